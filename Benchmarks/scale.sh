#!/usr/bin/env bash
# Every figure of the scale targets in one run, each printed beside its reference and target:
#   1. the full analysis of a MEGABYTES log against `grep -cE` on the same file (target ≥ 0.5), memory flat;
#   2. the default report and `report --history RUNS` over a database of RUNS runs (targets 0.2 s and < 1 s), kept in
#      DIR and reused on the next run (`--keep`);
#   3. `runs --limit RUNS --format json` on that database (target < 5 s, memory flat);
#   4. `record` passthrough of RECORD_MB into a pipe against `cat` (target ≥ 0.8) and the added time of `record -- true`.
# Usage: Benchmarks/scale.sh   (MEGABYTES=500 RUNS=100000 RECORD_MB=100 DIR=/tmp by default)
set -euo pipefail
cd "$(dirname "$0")/.."
megabytes=${MEGABYTES:-500}
runs=${RUNS:-100000}
record_mb=${RECORD_MB:-100}
dir=${DIR:-/tmp}
swift build -c release >/dev/null
bench=.build/release/buildtime-bench

echo "== 1. analysis throughput"
"$bench" --megabytes "$megabytes" --dir "$dir"
echo
echo "== 2. report"
"$bench" report --runs "$runs" --dir "$dir" --keep
echo
echo "== 3. runs --format json"
db=$dir/buildtime-bench-report-$runs.sqlite
/usr/bin/time -f "runs --limit $runs --format json: %e s wall (target < 5 s), peak RSS %M KB" \
    .build/release/buildtime runs --db "$db" --limit "$runs" --format json >/dev/null
/usr/bin/time -f "runs --limit 1000 --format json: %e s wall, peak RSS %M KB (flat: about the same as above)" \
    .build/release/buildtime runs --db "$db" --limit 1000 --format json >/dev/null
/usr/bin/time -f "runs --limit $runs (table): %e s wall, peak RSS %M KB (it keeps each row's cells)" \
    .build/release/buildtime runs --db "$db" --limit "$runs" >/dev/null
echo
echo "== 4. record"
SKIP_TS=1 Benchmarks/record-overhead.sh "$record_mb"
