#!/usr/bin/env bash
# Strong scaling of hfx scan on the sbottom grid (docs/scaling.md): the three regions (650 patches)
# run one after the other in each configuration, the configurations interleaved (A B C ... A B C ...)
# REPS times; prints the median wall time of each with its min and max, and checks that every
# configuration wrote the same bytes as the first.
#
# Usage: scripts/scaling.sh [REPS]   (needs build/hfx; the MPI rows need mpirun and an MPI build)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
hfx="$root/build/hfx"
reps="${1:-5}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tar xzf "$root/data/sbottom-hepdata.89408.tar.gz" -C "$work"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
mpi=""
if command -v mpirun >/dev/null && "$hfx" --version | grep -q "MPI ("; then
    mpi="mpirun --oversubscribe --bind-to none"
fi

# name | command prefix ('{}' is replaced by the region's arguments)
configs=(
    "1 process, 1 thread|$hfx scan {} --jobs 1"
    "1 process, 2 threads|$hfx scan {} --jobs 2"
    "1 process, 2 threads, --output|$hfx scan {} --jobs 2 --output $work/out.{r}"
    "2 shards at once + merge|($hfx scan {} --jobs 1 --shard 1/2 -o $work/s1.{r} & $hfx scan {} --jobs 1 --shard 2/2 -o $work/s2.{r}; wait) && $hfx merge $work/s1.{r} $work/s2.{r}"
)
if [ -n "$mpi" ]; then
    configs+=(
        "mpirun -n 1, 2 threads|$mpi -n 1 $hfx scan {} --jobs 2"
        "mpirun -n 2, 1 thread each|$mpi -n 2 $hfx scan {} --jobs 1"
        "mpirun -n 1, 1 patch (launch cost)|$mpi -n 1 $hfx scan $work/RegionA/BkgOnly.json $work/RegionA/patch.sbottom_1300_205_60.json --jobs 1"
    )
fi

run_config() { # $1: command template; prints the seconds for the three regions
    local t0 t1
    t0=$(date +%s.%N)
    for region in RegionA RegionB RegionC; do
        local cmd="${1//\{\}/$work/$region/BkgOnly.json $work/$region}"
        cmd="${cmd//\{r\}/$region}"
        rm -f "$work"/out."$region" "$work"/s?."$region"
        bash -c "$cmd" > "$work/cur.$region" 2>/dev/null || true
        [ -f "$work/out.$region" ] && cp "$work/out.$region" "$work/cur.$region"
    done
    t1=$(date +%s.%N)
    echo "$t0 $t1" | awk '{printf "%.3f", $2 - $1}'
}

echo "machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')); load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "hfx: $("$hfx" --version); commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')"
declare -A times
for ((rep = 0; rep < reps; rep++)); do
    for i in "${!configs[@]}"; do
        name="${configs[$i]%%|*}"
        cmd="${configs[$i]#*|}"
        times[$i]+="$(run_config "$cmd") "
        if [ "$i" = 0 ]; then
            cat "$work"/cur.Region{A,B,C} > "$work/ref"
        elif [[ "$name" != *"launch cost"* ]]; then
            cat "$work"/cur.Region{A,B,C} | cmp -s - "$work/ref" || echo "DIFFERENT OUTPUT: $name" >&2
        fi
    done
done
printf "%-38s %10s %20s %8s\n" "configuration (650 patches, 3 regions)" "median [s]" "[min, max]" "speedup"
base=""
for i in "${!configs[@]}"; do
    name="${configs[$i]%%|*}"
    read -r med lo hi <<< "$(echo "${times[$i]}" | tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END {m = NR % 2 ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2; print m, a[1], a[NR]}')"
    [ -z "$base" ] && base="$med"
    printf "%-38s %10.3f %20s %7.2fx\n" "$name" "$med" "[$lo, $hi]" "$(echo "$base $med" | awk '{print $1 / $2}')"
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
