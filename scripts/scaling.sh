#!/usr/bin/env bash
# Strong scaling of hfx scan on the sbottom grid (docs/scaling.md). Each configuration runs the three
# regions (650 patches, CLs at mu = 1) one after the other; the configurations are interleaved
# (A B C ... A B C ...) REPS times. Prints, per configuration, the wall time (median, min, max), the
# CPU time of all its processes (median) and the speedup of the median and of the best wall time
# over the first row, and checks that every configuration wrote the bytes of the first.
#
# Usage: scripts/scaling.sh [REPS] [--upper-limit]   (needs build/hfx; MPI rows need mpirun and an
# MPI build). --upper-limit: upper limits of RegionA's 217 patches instead (about 20x the work).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
hfx="$root/build/hfx"
reps="${1:-5}"
mode="${2:-}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tar xzf "$root/data/sbottom-hepdata.89408.tar.gz" -C "$work"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
regions="RegionA RegionB RegionC"
extra=""
if [ "$mode" = "--upper-limit" ]; then
    regions="RegionA"
    extra="--upper-limit"
fi
mpi=""
if command -v mpirun >/dev/null && "$hfx" --version | grep -q "MPI ("; then
    mpi="mpirun --oversubscribe --bind-to none"
fi

# name|command; {} is replaced by a region's background and patch directory, {r} by its name
configs=(
    "1 process, 1 thread|$hfx scan {} $extra --jobs 1"
    "1 process, 2 threads|$hfx scan {} $extra --jobs 2"
    "1 process, 2 threads, --output FILE|$hfx scan {} $extra --jobs 2 --output $work/out.{r}; $hfx merge $work/out.{r}"
    "2 shards at once, then hfx merge|$hfx scan {} $extra --jobs 1 --shard 1/2 -o $work/s1.{r} & $hfx scan {} $extra --jobs 1 --shard 2/2 -o $work/s2.{r}; wait; $hfx merge $work/s1.{r} $work/s2.{r}"
)
if [ "$mode" = "--upper-limit" ]; then
    configs=("${configs[@]:0:2}") # the rows that compare ranks with threads, nothing else
fi
if [ -n "$mpi" ]; then
    configs+=(
        "mpirun -n 1, 1 thread|$mpi -n 1 $hfx scan {} $extra --jobs 1"
        "mpirun -n 2, 1 thread each|$mpi -n 2 $hfx scan {} $extra --jobs 1"
    )
    [ "$mode" = "--upper-limit" ] || configs+=(
        "mpirun -n 1, 2 threads|$mpi -n 1 $hfx scan {} $extra --jobs 2"
        "mpirun -n 1, hfx --version (launch)|$mpi -n 1 $hfx --version >/dev/null"
    )
fi

script_for() { # the command of configuration $1 for every region, as one script
    local r cmd out=""
    for r in $regions; do
        cmd="${1//\{\}/$work/$r/BkgOnly.json $work/$r}"
        out+="${cmd//\{r\}/$r}; "
    done
    echo "$out"
}

echo "machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')); load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "hfx: $("$hfx" --version); commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')"
declare -A wall cpu
for ((rep = 0; rep < reps; rep++)); do
    for i in "${!configs[@]}"; do
        name="${configs[$i]%%|*}"
        script=$(script_for "${configs[$i]#*|}")
        /usr/bin/time -o "$work/time" -f "%e %U %S" bash -c "$script" > "$work/cur" 2>/dev/null || true
        read -r e u s < <(tail -n 1 "$work/time") # after "Command exited with non-zero status 1" (RegionB has a failing patch)
        wall[$i]+="$e "
        cpu[$i]+="$(echo "$u $s" | awk '{print $1 + $2}') "
        if [ "$i" = 0 ]; then
            cp "$work/cur" "$work/ref"
        elif [[ "$name" != *"(launch)"* ]] && ! cmp -s "$work/cur" "$work/ref"; then
            echo "DIFFERENT OUTPUT: $name" >&2
        fi
    done
done
stats() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END {m = NR % 2 ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2; print m, a[1], a[NR]}'; }
what="650 patches"; [ -n "$extra" ] && what="217 upper limits"
printf "%-38s %9s %18s %8s %9s %9s\n" "configuration ($what)" "wall [s]" "[min, max]" "CPU [s]" "speedup" "best/best"
for i in "${!configs[@]}"; do
    read -r med lo hi <<< "$(echo "${wall[$i]}" | stats)"
    read -r c _ _ <<< "$(echo "${cpu[$i]}" | stats)"
    [ "$i" = 0 ] && { base="$med"; base_lo="$lo"; }
    printf "%-38s %9.2f %18s %8.2f %8.2fx %8.2fx\n" "${configs[$i]%%|*}" "$med" "[$lo, $hi]" "$c" \
        "$(echo "$base $med" | awk '{print $1 / $2}')" "$(echo "$base_lo $lo" | awk '{print $1 / $2}')"
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
