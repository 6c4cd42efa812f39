#!/usr/bin/env bash
# gpu-check.sh -- the device command: on a lent GPU machine (no network, none of hfx's -dev packages)
# builds hfx with CUDA from the bundle, runs the conformance suite and the benchmark's gpu
# configuration, and packs everything into ONE archive under OUT. docs/gpu.md says how to call it
# (the device tool, carry=[".device-bundle"]) and how to read the results back.
#
#   scripts/gpu-check.sh OUT [--rehearsal]
#
# Steps, each timed, each writing its outputs as it goes (the work folder is re-packed after every
# step and every 30 s during the benchmark, so a run cut short still hands back what it did):
#   environment   GPU model, driver, clocks, power (nvidia-smi), CPU, memory, OS, glibc, nvcc, commit
#   unpack        the bundle's .deb files into a prefix, its wheels (for this Python) into a site folder
#   configure     CMake with cmake/gpu-device.cmake's options, CUDA on for this GPU's architecture;
#                 pkg-config, headers and libraries from the prefix; the programs' RPATH points there
#   build         the device targets (program, timer, conformance suite)
#   runtime       ldd: every library hfx loads comes from the prefix or is the C/C++ runtime
#   backends      hfx backends
#   conformance   the conformance suite (ctest), every backend against cpu-ref
#   bench         hfx-bench run --config gpu (gpu-smoke in the rehearsal), until the time budget ends:
#                 on SIGTERM the benchmark writes the cases it finished
#   pack          OUT/hfx-gpu-check-<commit>-<time>.tar.gz (the device hands back at most 8 files)
#
# The whole run is held to HFX_GPU_CHECK_BUDGET seconds (default 450: the device tool's call allows
# 540, and the lease 15 minutes in all with the machine's start), leaving HFX_GPU_CHECK_RESERVE (20) to
# pack; HFX_GPU_CHECK_ARCH overrides the CUDA architecture (CMake's spelling, e.g. 90 or 90-virtual).
# Exit status 1 if any step failed (the archive is written either way).
#
# --rehearsal (scripts/gpu-rehearsal.sh, CI): the same steps on a machine without a GPU: the benchmark
# at gpu-smoke size, and the conformance suite must report cuda SKIPPED with a reason.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
repo=$PWD
out=""
rehearsal=0
for a in "$@"; do
    case $a in
    --rehearsal) rehearsal=1 ;;
    -h | --help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "gpu-check.sh: unknown option '$a' (see --help)" >&2; exit 2 ;;
    *) [ -z "$out" ] || { echo "gpu-check.sh: one OUT folder, not '$out' and '$a'" >&2; exit 2; }; out=$a ;;
    esac
done
[ -n "$out" ] || { echo "usage: scripts/gpu-check.sh OUT [--rehearsal]" >&2; exit 2; }
mkdir -p "$out" && out=$(cd "$out" && pwd) || { echo "gpu-check.sh: cannot write to $out" >&2; exit 1; }
bundle=$(cd "${HFX_BUNDLE:-$repo/.device-bundle}" 2>/dev/null && pwd) || bundle=${HFX_BUNDLE:-$repo/.device-bundle}
budget=${HFX_GPU_CHECK_BUDGET:-450}
reserve=${HFX_GPU_CHECK_RESERVE:-20}
t_start=$(date +%s)
deadline=$((t_start + budget - reserve))

# Everything is written to a work folder outside OUT and packed into OUT as one file.
stamp=$(date -u +%Y%m%dT%H%M%SZ)
commit=$(git rev-parse --short HEAD 2>/dev/null) || commit=""
[ -n "$commit" ] || commit=$(sed -n 's/^commit //p' "$bundle/MANIFEST" 2>/dev/null)
commit=${commit:-unknown}
name=hfx-gpu-check-$commit-$stamp
[ $rehearsal = 1 ] && name=hfx-gpu-rehearsal-$commit-$stamp
work=${TMPDIR:-/tmp}/$name
prefix=$work.prefix # the unpacked bundle (not packed)
mkdir -p "$work" "$prefix"
build=$repo/build-gpu
failed=()

pack() { # atomically (the packer below runs beside the steps); tar's status 1 is a file that changed
    # while it was read (a log being written), not a failure
    local tmp=$out/.$name.tar.gz.$BASHPID rc=0
    tar czf "$tmp" -C "$(dirname "$work")" "$name" 2>/dev/null || rc=$?
    if [ $rc -le 1 ]; then mv -f "$tmp" "$out/$name.tar.gz"; else rm -f "$tmp"; fi
}
log() { echo "$(date -u +%H:%M:%S) $*" | tee -a "$work/steps.txt"; }
left() { echo $((deadline - $(date +%s))); }
# step NAME CAP_S COMMAND...: runs COMMAND with its output in NAME.log, for at most CAP_S seconds and
# never past the deadline; records status and seconds in steps.txt; re-packs.
step() {
    local sname=$1 cap=$2 t0 rc limit took
    shift 2
    limit=$(left)
    [ "$cap" -lt "$limit" ] || cap=$limit
    if [ "$cap" -le 0 ]; then
        log "step $sname: not run: the time budget (${budget}s) is spent"
        failed+=("$sname")
        return 1
    fi
    t0=$(date +%s)
    # (bash -c: a step may be one of the functions below, exported)
    timeout --signal=TERM --kill-after=15 "$cap" bash -c '"$@"' _ "$@" >"$work/$sname.log" 2>&1
    rc=$?
    took=$(($(date +%s) - t0))
    if [ $rc = 0 ]; then
        log "step $sname: ok, ${took} s"
    else
        [ $rc = 124 ] && rc="timed out after ${cap} s"
        log "step $sname: FAILED ($rc), ${took} s: see $sname.log"
        tail -n 15 "$work/$sname.log" | sed 's/^/    /'
        failed+=("$sname")
    fi
    pack
    [ "$rc" = 0 ]
}

# --- environment: what the numbers were measured on
environment() {
    echo "== commit"
    echo "commit: $commit"
    if [ -f "$bundle/MANIFEST" ]; then
        local bdig here
        bdig=$(sed -n 's/^source_digest //p' "$bundle/MANIFEST")
        here=$(scripts/device-bundle.sh --digest)
        echo "bundle: $(sed -n 's/^assembled //p' "$bundle/MANIFEST") from commit $(sed -n 's/^commit //p' "$bundle/MANIFEST")"
        if [ "$bdig" = "$here" ]; then echo "sources: as when the bundle was assembled (digest $here)"
        else echo "sources: CHANGED since the bundle was assembled (digest $here, bundle's $bdig): the commit is approximate"; fi
    fi
    echo "== GPU (nvidia-smi)"
    # (a field this driver does not know fails the whole query: then the fields every driver has)
    nvidia-smi --query-gpu=index,name,uuid,driver_version,pci.bus_id,compute_cap,memory.total,clocks.sm,clocks.max.sm,clocks.mem,clocks.max.mem,clocks.applications.graphics,clocks.applications.memory,power.limit,power.max_limit,pstate,temperature.gpu,persistence_mode,compute_mode,mig.mode.current \
        --format=csv 2>&1 ||
        nvidia-smi --query-gpu=index,name,driver_version,memory.total,clocks.sm,clocks.max.sm,clocks.mem,clocks.max.mem,power.limit,pstate \
            --format=csv 2>&1 || echo "nvidia-smi failed: no GPU visible"
    nvidia-smi 2>&1 | head -30
    nvidia-smi -q -d CLOCK,PERFORMANCE,POWER 2>&1 | head -120
    echo "== CUDA"
    nvcc --version 2>&1
    echo "== CPU, memory, OS"
    lscpu 2>&1 | head -30
    echo "cores: $(nproc)"
    free -m 2>&1
    uname -a
    cat /etc/os-release 2>/dev/null | head -4
    local need have
    have=$(getconf GNU_LIBC_VERSION 2>/dev/null | cut -d' ' -f2)
    need=$(sed -n 's/^needs_glibc //p' "$bundle/MANIFEST" 2>/dev/null)
    echo "glibc: $have (the bundle's libraries need >= ${need:-?})"
    if [ -n "$need" ] && [ -n "$have" ] && [ "$(printf '%s\n%s\n' "$need" "$have" | sort -V | head -1)" != "$need" ]; then
        echo "WARNING: glibc $have is older than the bundle's $need: its libraries may not load"
    fi
    echo "== tools"
    cmake --version | head -1
    ninja --version 2>&1 | sed 's/^/ninja /'
    gcc --version 2>&1 | head -1
    python3 --version 2>&1
    python3 -c "import numpy, scipy; print('numpy', numpy.__version__, 'scipy', scipy.__version__)" 2>&1
}
# nvidia-smi's clocks, power and temperature at a moment (before and after the benchmark)
clocks() {
    nvidia-smi --query-gpu=timestamp,clocks.sm,clocks.mem,power.draw,temperature.gpu,pstate,clocks_throttle_reasons.active \
        --format=csv 2>&1 || nvidia-smi --query-gpu=timestamp,clocks.sm,clocks.mem,power.draw,temperature.gpu,pstate \
        --format=csv 2>&1 || echo "nvidia-smi failed: no GPU visible"
}

# --- unpack: the .deb files (dpkg -x, or ar + tar where there is no dpkg) and this Python's wheels
unpack() {
    local lib=$prefix/usr/lib/x86_64-linux-gnu f d t
    [ -d "$bundle/debs" ] || { echo "no bundle at $bundle: assemble it with scripts/device-bundle.sh and carry it"; return 1; }
    for f in "$bundle"/debs/*.deb; do
        if command -v dpkg >/dev/null; then
            dpkg -x "$f" "$prefix" || return 1
        else
            d=$(mktemp -d)
            (cd "$d" && ar x "$f") || return 1
            for t in "$d"/data.tar.*; do tar xf "$t" -C "$prefix" || return 1; done
            rm -rf "$d"
        fi
    done
    # Debian 12 puts runtime libraries in /lib and the -dev links in /usr/lib (the merged /usr makes
    # them one folder): do the same in the prefix, and point absolute links back into it
    if [ -d "$prefix/lib" ] && [ ! -L "$prefix/lib" ]; then
        cp -a "$prefix/lib/." "$prefix/usr/lib/" && rm -rf "${prefix:?}/lib" && ln -s usr/lib "$prefix/lib" || return 1
    fi
    find "$prefix" -type l -lname '/*' | while read -r f; do ln -sfn "$prefix$(readlink "$f")" "$f"; done
    # pkg-config: the bundle's pkgconf, seeing the prefix only (the sysroot maps the .pc files' /usr into
    # it; "system" -I/-L flags kept, as they name the prefix, not /usr)
    mkdir -p "$prefix/bin"
    cat >"$prefix/bin/pkg-config" <<EOF
#!/bin/sh
export PKG_CONFIG_LIBDIR="$lib/pkgconfig:$prefix/usr/share/pkgconfig" PKG_CONFIG_PATH= PKG_CONFIG_SYSROOT_DIR="$prefix"
export PKG_CONFIG_ALLOW_SYSTEM_CFLAGS=1 PKG_CONFIG_ALLOW_SYSTEM_LIBS=1 LD_LIBRARY_PATH="$lib"
exec "$prefix/usr/bin/pkgconf" "\$@"
EOF
    chmod +x "$prefix/bin/pkg-config"
    "$prefix/bin/pkg-config" --modversion jansson >/dev/null || { echo "the bundle's pkg-config does not run"; return 1; }
    echo "unpacked $(ls "$bundle"/debs/*.deb | wc -l) packages into $prefix"
    # the wheels of this Python (pyhf, iminuit and their dependencies), before the site's own packages
    local tag
    tag=$(python3 -c 'import sys; print(f"cp{sys.version_info[0]}{sys.version_info[1]}")')
    if [ ! -d "$bundle/wheels/$tag" ]; then
        echo "no wheels for $tag in the bundle (it has: $(ls "$bundle/wheels" 2>/dev/null | tr '\n' ' ')): pyhf rows will be skipped"
        return 1
    fi
    if python3 -m pip --version >/dev/null 2>&1; then
        python3 -m pip install -q --no-index --no-deps --target "$work.site" "$bundle/wheels/$tag"/*.whl || return 1
    else # no pip: a wheel is a zip file of the package as it is imported
        for f in "$bundle/wheels/$tag"/*.whl; do python3 -m zipfile -e "$f" "$work.site" || return 1; done
    fi
    # pyhf must come from the bundle (the rehearsal's machine has its own)
    PYTHONPATH=$work.site python3 -c "
import sys, pyhf, iminuit, jsonschema
print('pyhf', pyhf.__version__, pyhf.__file__); print('iminuit', iminuit.__version__)
sys.exit(not pyhf.__file__.startswith('$work.site'))"
}

configure() {
    local lib=$prefix/usr/lib/x86_64-linux-gnu arch shared=$repo/../shared
    # one architecture, this GPU's (compute_cap 9.0 -> 90: machine code and PTX), 90 without one; the
    # rehearsal compiles PTX only (90-virtual): the device code is checked, without ptxas's minute
    arch=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null | head -1 | tr -d ' .')
    [[ $arch =~ ^[0-9]+$ ]] || arch=90
    [ "$rehearsal" = 0 ] || arch=90-virtual
    arch=${HFX_GPU_CHECK_ARCH:-$arch}
    # the tests' ../shared, where it is absent (the device): the sbottom archive of data/ (the same
    # file, data/README.md) and the bundle's copy of the pyhf references, if it has one
    if [ ! -d "$shared/reference" ] || [ ! -f "$shared/likelihoods/sbottom-hepdata.89408.tar.gz" ]; then
        local ref=""
        [ ! -d "$shared/reference" ] || ref=$(cd "$shared/reference" && pwd)
        [ -n "$ref" ] || [ ! -d "$bundle/shared/reference" ] || ref=$bundle/shared/reference
        shared=$work.shared
        mkdir -p "$shared/likelihoods"
        ln -sfn "$repo/data/sbottom-hepdata.89408.tar.gz" "$shared/likelihoods/sbottom-hepdata.89408.tar.gz"
        if [ -n "$ref" ]; then
            ln -sfn "$ref" "$shared/reference"
        else
            echo "no pyhf references (../shared/reference, or the bundle's): the suite's random workspaces are skipped"
        fi
    fi
    echo "the tests' shared folder: $shared"
    rm -f "$build/CMakeCache.txt"
    # RPATH (not RUNPATH: it also serves the libraries' own dependencies, e.g. libxml2's ICU) to the
    # prefix, so that hfx finds the bundle's libraries and nothing else in the process (Python with
    # torch and jax, which the benchmark also runs) sees them
    # The multiarch include folder too: Debian keeps architecture-dependent headers there (OpenSSL's
    # opensslconf.h), where the compiler looks by default in /usr but not in the prefix.
    local multiarch="-isystem $prefix/usr/include/x86_64-linux-gnu"
    cmake -S . -B "$build" -G Ninja -C cmake/gpu-device.cmake -DHFX_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES="$arch" \
        -DCMAKE_C_FLAGS="$multiarch" -DCMAKE_CXX_FLAGS="$multiarch" \
        -DPKG_CONFIG_EXECUTABLE="$prefix/bin/pkg-config" -DCMAKE_PREFIX_PATH="$prefix/usr" \
        -DCMAKE_EXE_LINKER_FLAGS="-Wl,--disable-new-dtags,-rpath,$lib" -DHFX_SHARED_DIR="$shared"
}

build_targets() {
    local targets
    targets=$(scripts/device-bundle.sh --targets "$build")
    echo "targets: $targets"
    # shellcheck disable=SC2086
    cmake --build "$build" -j"$(nproc)" --target $targets
}

# every library hfx loads: from the prefix, or the C/C++ runtime the toolchain brings
runtime() {
    local bad
    ldd "$build/hfx"
    bad=$(ldd "$build/hfx" | grep -v -e "$prefix" -e 'linux-vdso' -e 'ld-linux' \
        -e '/lib\(c\|m\|dl\|rt\|pthread\|stdc++\|gcc_s\)\.so' || true)
    [ -z "$bad" ] || { echo "libraries from outside the bundle, or not found:"; echo "$bad"; return 1; }
}

conformance() {
    (cd "$build" && ctest --output-on-failure -V -R '^(test-backends|test-toys-draw|test-groups)$') || return 1
    if [ $rehearsal = 1 ]; then # no GPU here: cuda must say it is skipped, and why
        grep -E 'cuda.*SKIPPED.*[[:alnum:]]' "$work/conformance.log" | head -3 |
            grep . || { echo "the suite did not report cuda SKIPPED with a reason"; return 1; }
    fi
}

bench() {
    local config=gpu
    [ $rehearsal = 1 ] && config=gpu-smoke
    # the case list and each case's line, as the run goes (bench.log); the results file at the end, or
    # the finished cases when the time limit's SIGTERM comes
    HFX_BUILD=$build HFX_COMMIT=$commit PYTHONPATH=$work.site${PYTHONPATH:+:$PYTHONPATH} \
        python3 bench/hfx-bench run --config "$config" --out "$work/results" --cache "$work.cache" || return 1
    if [ $rehearsal = 1 ]; then # the rows of the CPU backends were measured, the pyhf one from the bundle
        python3 - "$work/results" <<'EOF' || return 1
import fnmatch, glob, json, sys
doc = json.load(open(sorted(glob.glob(sys.argv[1] + "/gpu-smoke-*.json"))[-1]))
ok = {(r["engine"]["id"], r["task"]["name"]) for r in doc["results"] if r["status"] == "ok"}
# hfx's CPU backends on every task of the configuration (hfx-cpu-Nt: the cpu backend on N threads), and
# pyhf from the bundle's wheels
need = [(e, t) for e in ("hfx-cpu-ref", "hfx-cpu-*t") for t in ("nll", "grad", "fit", "hypotest", "toys", "nll-batch",
                                                                 "grid")]
need += [("pyhf-numpy-scipy", "hypotest")]
missing = [f"{e} {t}" for e, t in need if not any(fnmatch.fnmatch(i, e) and u == t for i, u in ok)]
errors = [f'{r["engine"]["id"]}/{r["workload"]["id"]}/{r["task"]["id"]}: {r["reason"]}' for r in doc["results"] if r["status"] == "error"]
print(f"{len(ok)} engine x task measured; missing: {missing or 'none'}; errors: {errors or 'none'}")
sys.exit(1 if missing or errors else 0)
EOF
    fi
}

export repo out bundle prefix work build rehearsal commit name
export -f environment clocks unpack configure build_targets runtime conformance bench
echo "gpu-check: $name (budget ${budget} s, archive in $out)"
log "start: commit $commit, bundle $bundle, rehearsal $rehearsal"
step environment 60 environment
cat "$work/environment.log" | sed -n '/== GPU/,/== CUDA/p' | head -4
step unpack 90 unpack
built=0
step configure 120 configure && step build 300 build_targets && built=1 &&
    step runtime 10 runtime && step backends 20 "$build/hfx" backends && cat "$work/backends.log"
if [ $built = 1 ]; then # (not a program left by an earlier build)
    step conformance 120 conformance
    clocks >"$work/clocks-before-bench.txt"
    # the benchmark gets what is left; a packer keeps the archive current while it runs
    (while sleep 30; do pack; done) &
    packer=$!
    step bench 100000 bench
    kill "$packer" 2>/dev/null
    wait "$packer" 2>/dev/null
    clocks >"$work/clocks-after-bench.txt"
    [ ! -f "$work/bench.log" ] || grep -E '^\[[0-9]+/[0-9]+\]' "$work/bench.log" | cut -c1-160 | tail -n 60
fi
log "end: $(($(date +%s) - t_start)) s in all; failed steps: ${failed[*]:-none}"
pack
echo "gpu-check: packed $out/$name.tar.gz ($(du -k "$out/$name.tar.gz" | cut -f1) kB)"
echo "== steps"
cat "$work/steps.txt"
# the rehearsal (CI) leaves nothing in $TMPDIR: the prefix, site, cache (~400 MB) and work folder
[ $rehearsal = 0 ] || rm -rf "${work:?}" "$work.prefix" "$work.site" "$work.cache" "$work.shared"
[ ${#failed[@]} = 0 ]
