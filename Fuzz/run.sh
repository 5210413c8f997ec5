#!/usr/bin/env bash
# Fuzz/run.sh [--runs N] [--jobs J] [--max-len BYTES] [--all] [TARGET[=RUNS]...]
#
# Builds the fuzz targets with libFuzzer and AddressSanitizer (in Fuzz/.build-fuzz), seeds each target's
# corpus from samples/ (and a few inputs written here for the formats samples/ has no log of), and runs each target
# for N executions (default 1,000,000; TARGET=RUNS sets one target's), J targets at a time (default 2). No TARGET, or
# --all, runs every target (with --all, a TARGET=RUNS only sets that target's count). Prints one line per target: executions,
# seconds, executions per second, and what it found. A crash leaves its input in Fuzz/crashes/TARGET-crash-*; the
# exit status is then 1. Corpora grow in Fuzz/corpus/ (not in git) and are reused by the next run.
set -euo pipefail
cd "$(dirname "$0")"
runs=1000000
max_len=8192
jobs=2
targets=()
everything=0
while [ $# -gt 0 ]; do
    case "$1" in
        --runs) runs="$2"; shift 2 ;;
        --jobs) jobs="$2"; shift 2 ;;
        --max-len) max_len="$2"; shift 2 ;;
        --all) everything=1; shift ;;
        -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
        *) targets+=("$1"); shift ;;
    esac
done
all=(woodpecker-json json-lines drone sql-dump text detected docker docker-system-df configuration stored-rows store-and-render)
if [ ${#targets[@]} -eq 0 ] || [ "$everything" -eq 1 ]; then
    chosen=()
    for name in "${all[@]}"; do
        entry="$name"
        for given in "${targets[@]+"${targets[@]}"}"; do [ "${given%%=*}" = "$name" ] && entry="$given"; done
        chosen+=("$entry")
    done
    targets=("${chosen[@]}")
fi

# Coverage for libFuzzer in every module, AddressSanitizer to catch memory errors in the unsafe pointer code and C;
# libFuzzer's driver without its main (the build's tools have mains of their own).
toolchain="$(dirname "$(dirname "$(readlink -f "$(command -v swift)")")")"
runtime="$(ls "$toolchain"/lib/clang/*/lib/linux/libclang_rt.fuzzer_no_main-x86_64.a | head -1)"
flags=(-c release --build-path .build-fuzz -Xswiftc -sanitize=address -Xswiftc -sanitize-coverage=edge,inline-8bit-counters,pc-table,trace-cmp
       -Xlinker "$runtime" -Xlinker -lstdc++)
swift build "${flags[@]}" >&2
binary="$(swift build "${flags[@]}" --show-bin-path)/buildtime-fuzz"
samples=../samples/logs
mkdir -p corpus crashes

seed() {  # seed TARGET: fills corpus/TARGET once
    local dir="corpus/$1"
    [ -d "$dir" ] && return
    mkdir -p "$dir"
    case "$1" in
        woodpecker-json) cp "$samples"/*.json "$dir"/ ;;
        json-lines) gzip -dc "$samples"/*.jsonl.gz > "$dir/filestore.jsonl" ;;
        drone)
            printf '%s\n' '[{"proc":"deploy","pos":0,"out":"+ ./deploy.sh\n","time":0},{"proc":"deploy","pos":1,"out":"#5 [2/3] RUN pip install -r requirements.txt\n#5 DONE 36.0s\n","time":41}]' > "$dir/drone.json" ;;
        sql-dump)
            printf '%s\n' "INSERT INTO log_entries VALUES (1, 7, 0, 0, '\\x2b202e2f6465706c6f792e7368', 0, 0);" \
                "INSERT INTO log_entries VALUES (2, 7, 3, 1, 'Building Docker images in parallel...', 0, 0);" \
                "INSERT INTO log_entries VALUES (3, 7, 40, 2, '#5 DONE 36.0s', 0, 0);" > "$dir/dump.sql" ;;
        text)
            local index=0
            for file in "$samples"/*.log; do
                { printf "\\x$(printf %02x $((index % 8)))"; cat "$file"; } > "$dir/$(basename "$file")"
                index=$((index + 1))
            done ;;
        detected) cp "$samples"/* "$dir"/ ;;
        docker)
            for file in "$samples"/*.log; do sed -E 's/^[0-9]{4}-[0-9-]+T[0-9:.]+Z //' "$file" > "$dir/$(basename "$file")"; done ;;
        docker-system-df)
            printf '%s\n' 'TYPE            TOTAL     ACTIVE    SIZE      RECLAIMABLE' 'Images          12        3         8.23GB    6.1GB (74%)' \
                'Containers      3         3         1.2MB     0B (0%)' 'Local Volumes   2         1         300MB     120MB (40%)' \
                'Build Cache     211       0         9.8GB     8.1GB' > "$dir/df.txt"
            printf '%s\n' 'ID   RECLAIMABLE   SIZE   LAST ACCESSED' 'abc*  true   14.77MB   4 days ago' 'Reclaimable: 2.1GB' 'Total: 3.4GB' > "$dir/du.txt" ;;
        configuration)
            printf '%s\n' 'phases:' '  - name: build' '    start: "Building Docker images in parallel..."' '    end: "/All images (built|tagged)/"' \
                'dependency_install: ["\\bpip install\\b"]' 'requirement_files: ["requirements*.txt"]' 'budgets:' '  cold: {build: [180, 240], total: [210, 270]}' \
                'regressions: {window: 20, mads: 3}' > "$dir/config.yml" ;;
        stored-rows)
            printf '\x02cold.log\x00\x02text\x00\x00240\x00\x02abc\x00\x02main\x00\x011800000000.5\x00\x003\x00\x0183.5\x00\x011\x00\x02cold\x00\x02high\x00\x02build\x00\x02["a"]\x00\x02{}\x00\x02key\x00\x03\x00\x02build\x00\x011.5\x00\x0170\x00\x003\x00\x0090\x00\x03\x00\x02web\x00\x02latest\x00\x02buildkit\x00\x02exact\x00\x000\x00\x010.1\x00\x0155\x00\x02succeeded\x00\x001\x00\x02[]\x00\x03\x00\x02cold\x00\x02high\x00\x02build\x00\x02[]\x00\x005\x00\x02stage\x00\x002\x00\x003\x00\x02RUN pip install -r requirements.txt\x00\x02run\x00\x02done\x00\x0136\x00\x011' > "$dir/run.bin" ;;
        store-and-render) cp "$samples"/team-*.log "$samples"/cold.log "$samples"/*.json "$dir"/ ;;
    esac
}

run_one() {  # run_one TARGET[=RUNS]: prints its line of figures
    local target="${1%%=*}" count="$runs"
    [[ "$1" == *=* ]] && count="${1#*=}"
    local log="crashes/$target.log"
    seed "$target"
    local status=0
    BUILDTIME_FUZZ_TARGET="$target" LSAN_OPTIONS="suppressions=$PWD/lsan.supp" "$binary" -runs="$count" -max_len="$max_len" -timeout=20 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="crashes/$target-" "corpus/$target" > "$log" 2>&1 || status=$?
    local executions seconds
    executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    seconds=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -1)
    local found="0 crashes"
    [ "$status" -eq 0 ] || found="FAILED (exit $status): $(grep -m1 -E 'ERROR|Fatal error|deadly signal|crash' "$log" || true); see $log"
    printf '%-18s %12s executions %6s s %10s/s  %s\n' "$target" "${executions:-?}" "${seconds:-?}" \
        "$([ -n "${seconds:-}" ] && [ "${seconds:-0}" -gt 0 ] && echo $(( ${executions:-0} / seconds )) || echo '?')" "$found"
    [ "$status" -eq 0 ]
}

failed=0
pids=()
for target in "${targets[@]}"; do
    run_one "$target" & pids+=($!)
    if [ ${#pids[@]} -ge "$jobs" ]; then wait "${pids[0]}" || failed=1; pids=("${pids[@]:1}"); fi
done
for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
exit $failed
