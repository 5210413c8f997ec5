#!/usr/bin/env bash
# What `buildtime record` costs a deploy, as ratios against plain commands on this machine:
#   1. added wall time: `buildtime record -- true` against `true` (best of N);
#   2. passthrough: a command writing SIZE MB through `buildtime record` into a pipe, against `cat` into the same pipe
#      (time until the reader has every byte, best of 3 each after a `sync`, so that the write-back of the freshly
#      written input or of an earlier run's spill file does not land on one side; target ≥ 0.8);
#   3. line stamping: `buildtime record` against moreutils `ts '%.T'` on the same bytes (skipped without `ts`).
# Usage: Benchmarks/record-overhead.sh [SIZE_MB]   (builds the release binary first, as the README installs it;
#        SKIP_TS=1 skips part 3)
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:-500}
# The static build has a build folder of its own: in .build it would replace the objects of the usual release build,
# which the next `swift build -c release` (Benchmarks/scale.sh's other parts) would then make again from scratch.
static=.build/static
if swift build -c release --static-swift-stdlib --scratch-path "$static" --product buildtime >/dev/null 2>&1; then
    bin=$PWD/$static/release/buildtime
else
    # Where the static link fails (a toolchain without its static Swift libraries), the dynamic binary is measured,
    # and said so. (Until buildtime stopped linking FoundationNetworking it always failed here, on -lcurl.)
    echo "(no static build here: measuring the dynamically linked binary)"
    swift build -c release --product buildtime >/dev/null
    bin=$PWD/.build/release/buildtime
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export BUILDTIME_DB=$work/db.sqlite
now() { date +%s.%N; }
elapsed() { echo "$2 - $1" | bc; }
best() { # best wall time of N runs of a command string
    local n=$1 b=999999; shift
    for _ in $(seq "$n"); do local s=$(now); eval "$@" >/dev/null 2>&1 || true; local t=$(elapsed "$s" "$(now)"); b=$(echo "if ($t < $b) $t else $b" | bc); done
    echo "$b"
}

# A realistic chatty output: the sample pipelines' BuildKit lines, repeated.
log=$work/output.log
while [ "$(stat -c %s "$log" 2>/dev/null || echo 0)" -lt $((size * 1000000)) ]; do
    sed 's/^[^ ]* //' samples/logs/cold.log samples/logs/requirements.log samples/logs/code-only.log >> "$log"
done
bytes=$(stat -c %s "$log")
sync

plain=$(best 20 true)
wrapped=$(best 20 "$bin record -- true")
echo "added wall time: record -- true $(echo "$wrapped * 1000" | bc) ms, true $(echo "$plain * 1000" | bc) ms: +$(echo "($wrapped - $plain) * 1000" | bc) ms (each includes starting \`date\`)"
plain=$(best 5 "sleep 0.5")
wrapped=$(best 5 "$bin record -- sleep 0.5")
echo "added wall time to a 0.5 s command (its context helpers run): +$(echo "($wrapped - $plain) * 1000" | bc) ms"

c=999999; r=999999; w=999999
for _ in 1 2 3; do
    sync; s=$(now); cat "$log" | { cat >/dev/null; now >"$work/end"; }; t=$(elapsed "$s" "$(cat "$work/end")")
    c=$(echo "if ($t < $c) $t else $c" | bc)
    sync; s=$(now); "$bin" record -- cat "$log" | { cat >/dev/null; now >"$work/end"; }; t=$(elapsed "$s" "$(cat "$work/end")"); a=$(elapsed "$s" "$(now)")
    r=$(echo "if ($t < $r) $t else $r" | bc); w=$(echo "if ($a < $w) $a else $w" | bc)
done
echo "passthrough of $((bytes / 1000000)) MB: cat $c s, record $r s (analysis done after $w s); ratio $(echo "scale=2; $c / $r" | bc) (target ≥ 0.80)"

if [ -n "${SKIP_TS:-}" ]; then
    echo "stamping: skipped (SKIP_TS)"
elif command -v ts >/dev/null; then
    s=$(now); ts '%.T' <"$log" >/dev/null; t=$(elapsed "$s" "$(now)")
    s=$(now); "$bin" record --log "$work/stamped.log" -- cat "$log" >/dev/null; r=$(elapsed "$s" "$(now)")
    echo "stamping every line: ts $t s, record --log $r s; ratio $(echo "scale=2; $t / $r" | bc)"
else
    echo "stamping: moreutils ts is not installed; skipped"
fi
