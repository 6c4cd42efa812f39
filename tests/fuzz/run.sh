#!/usr/bin/env bash
# Runs every fuzz harness for SECONDS each, one after the other, from the committed seed corpus
# (tests/fuzz/corpus/<target>, only read) plus a scratch corpus that collects what the run finds.
# A crash, leak, sanitizer report or timeout fails the run; the input that caused it is written to
# BUILD/fuzz-artifacts/ and its path printed (reproduce: BUILD/tests/fuzz/fuzz-<target> FILE).
# Usage: tests/fuzz/run.sh BUILD_DIR [SECONDS] [TARGET...]
set -euo pipefail
build=${1:?usage: tests/fuzz/run.sh BUILD_DIR [SECONDS] [TARGET...]}
seconds=${2:-60}
shift $(( $# > 1 ? 2 : 1 ))
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(workspace json-patch patchset rootfile xml)
    targets+=(hs3)
    targets+=(results) # shards, --output files and toys files (fuzz-results)
    # fuzz-json exists where hfx is built with simdjson (the fast JSON path against jansson)
    [ -x "$build/tests/fuzz/fuzz-json" ] && targets+=(json)
fi
here=$(cd "$(dirname "$0")" && pwd)
artifacts="$build/fuzz-artifacts"
mkdir -p "$artifacts"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
for t in "${targets[@]}"; do
    mkdir -p "$scratch/$t"
    # -max_len: room for deep nesting and long patches; -timeout: one input may take 10 s at most
    if ! "$build/tests/fuzz/fuzz-$t" -max_total_time="$seconds" -max_len=16384 -timeout=10 -rss_limit_mb=2048 \
        -dict="$here/hfx.dict" -artifact_prefix="$artifacts/$t-" -print_final_stats=1 \
        "$scratch/$t" "$here/corpus/$t" >"$scratch/$t.log" 2>&1; then
        tail -n 60 "$scratch/$t.log"
        echo "fuzz-$t FAILED: see the input(s) in $artifacts/" >&2
        exit 1
    fi
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$scratch/$t.log")
    cov=$(grep -o 'cov: [0-9]*' "$scratch/$t.log" | tail -n 1)
    echo "fuzz-$t: ${runs:-?} inputs in ${seconds} s, ${cov:-cov: ?} edges, no failure"
done
