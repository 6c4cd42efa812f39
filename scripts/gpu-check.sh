#!/usr/bin/env bash
# The GPU check, one script for the device machine (an NVIDIA H200 without network access):
# builds hfx with the CUDA backend, runs the conformance suite (tests/c/test-backends.c, which
# compares every usable backend, cuda included, with cpu-ref) and the CUDA tests, then the
# benchmark suite's gpu configuration (hfx cpu and cuda, pyhf jax and pytorch on the GPU), and
# writes logs, the environment (GPU model, driver, clocks) and the results under OUT.
#
#   scripts/gpu-check.sh OUT [BUNDLE]
#
# BUNDLE holds what the machine lacks (default: ../shared/device, or .device-bundle in the
# checkout, which is where to copy it when only the checkout travels): debs/ (libjansson, zlib
# headers) and wheels/ (pyhf 0.7.6 and its pure-Python dependencies), as ../shared/device/README.md
# describes. Sized to finish in about eight minutes; every step's time goes to OUT/steps.txt.
set -uo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: scripts/gpu-check.sh OUT [BUNDLE]}
bundle=${2:-}
[ -n "$bundle" ] || { [ -d .device-bundle ] && bundle=.device-bundle; } || true
[ -n "$bundle" ] || bundle=../shared/device
mkdir -p "$out"
log() { echo "$(date -u +%H:%M:%S) $*" | tee -a "$out/steps.txt"; }

log "environment"
{
    nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.max.sm,clocks.mem,power.limit \
        --format=csv 2>&1
    nvidia-smi 2>&1
    nvcc --version 2>&1
    nproc; free -g; uname -a
} >"$out/environment.txt"

log "unpack $bundle"
prefix=/tmp/hfx-prefix
mkdir -p "$prefix"
for f in "$bundle"/debs/*.deb; do dpkg -x "$f" "$prefix"; done
lib=$prefix/usr/lib/x86_64-linux-gnu
# the .pc files say prefix=/usr: the sysroot points them into the unpacked tree
export PKG_CONFIG_PATH=$lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$prefix
export LD_LIBRARY_PATH=$lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
python3 -m pip install -q --no-index --no-deps --target /tmp/hfx-site "$bundle"/wheels/*.whl >"$out/pip.log" 2>&1 ||
    log "pyhf wheels did not install (see pip.log): pyhf rows will be skipped"
export PYTHONPATH=/tmp/hfx-site${PYTHONPATH:+:$PYTHONPATH}

log "build (CUDA, sm_90)"
# zlib: the static library (the dev package's libz.so links to a libz.so.1 that may be absent there)
cmake -S . -B build-gpu -DCMAKE_BUILD_TYPE=Release -DHFX_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=90 \
    -DCMAKE_PREFIX_PATH="$prefix/usr" -DZLIB_LIBRARY="$lib/libz.a" -DZLIB_INCLUDE_DIR="$prefix/usr/include" \
    >"$out/build.log" 2>&1 &&
    cmake --build build-gpu -j"$(nproc)" >>"$out/build.log" 2>&1 || { log "build failed (build.log)"; exit 1; }
build-gpu/hfx backends >"$out/backends.txt" 2>&1

[ -e ../shared ] || { [ -d shared ] && ln -s "$PWD/shared" ../shared; } # the tests read ../shared
log "conformance suite and CUDA tests"
(cd build-gpu && ctest --output-on-failure -R 'test-backends|test-cuda' -V) >"$out/conformance.log" 2>&1 ||
    log "conformance FAILED (conformance.log)"
(cd build-gpu && ctest --output-on-failure -j8 -E 'test-backends|test-cuda') >"$out/ctest.log" 2>&1 ||
    log "other C tests FAILED (ctest.log)"

log "benchmark suite, gpu configuration"
HFX_BUILD=$PWD/build-gpu timeout 420 bench/hfx-bench run --config gpu --out "$out" >"$out/bench.log" 2>&1 ||
    log "benchmark run ended early (bench.log): the results file holds the cases that finished"
log "done"
