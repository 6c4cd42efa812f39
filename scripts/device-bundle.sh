#!/usr/bin/env bash
# device-bundle.sh -- assembles what a bare GPU machine lacks to build and run hfx, into .device-bundle/
# (git ignores it; it travels to the device with the device tool's carry=[".device-bundle"]).
#
# The GPU machine (x86-64, nvcc, CMake, ninja, gcc, Python 3.12 with torch, jax, numpy 2, scipy,
# matplotlib, pytest) has no network and none of hfx's Debian -dev packages. The bundle holds:
#   debs/           the Debian packages of every file the GPU build reads (headers, .pc files, link
#                   inputs, the pkg-config program) and of every shared library its programs load
#   wheels/cpXY/    pyhf 0.7.6, iminuit and their dependencies as wheels for CPython X.Y, less what
#                   the device has (numpy, scipy: its own, numpy 2, must not be shadowed)
#   shared/         the pieces of ../shared the conformance suite reads (pyhf references), when present
#   MANIFEST        commit, source digest, each package with the file that put it there, the newest
#                   glibc symbol version the bundled libraries need, the wheels
#
# Nothing is listed by hand: the list is derived from a host build configured with the device build's
# own options (cmake/gpu-device.cmake) -- the headers its objects included (ninja's depfiles), the
# libraries it linked, the pkg-config modules CMake asked for and their Requires, and `ldd` of the
# programs -- each file mapped to its package with dpkg -S. A dependency added to CMakeLists.txt thus
# reaches the bundle the next time it is assembled, and scripts/gpu-rehearsal.sh (CI) proves the
# bundle complete by building and running with the host's -dev packages hidden. The host needs the
# packages .ci/run installs (Debian 12, as the device build expects), apt-get and pip with network.
#
#   scripts/device-bundle.sh [--out DIR] [--python X.Y]...   (X.Y: also wheels for that Python; 3.12 always)
#   scripts/device-bundle.sh --digest                       (the source digest gpu-check.sh compares)
#   scripts/device-bundle.sh --toolchain                    (the regex of the toolchain's packages)
#   scripts/device-bundle.sh --targets BUILD_DIR            (the device's build targets, configured there)
set -euo pipefail
cd "$(dirname "$0")/.."

# The compiler's own packages: the device has a toolchain (nvcc needs gcc), so these stay out of the
# bundle, and the rehearsal leaves them visible.
toolchain='^(libc6|libc6-dev|libc-dev-bin|linux-libc-dev|libcrypt1|libcrypt-dev|libnsl2|libnsl-dev|libtirpc3|libtirpc-dev|libtirpc-common|rpcsvc-proto|libgcc-s1|libgcc-[0-9]+-dev|libstdc\+\+6|libstdc\+\+-[0-9]+-dev|(gcc|g\+\+|cpp)(-[0-9]+)?(-x86-64-linux-gnu)?|binutils.*|libbinutils|libctf0|libctf-nobfd0|libgprofng0|libsframe1|libgomp1|libitm1|libatomic1|libquadmath0|libasan[0-9]+|liblsan0|libtsan[0-9]+|libubsan[0-9]+|libhwasan0|libcc1-0|libisl23|libmpc3|libmpfr6)$'
# What the device's Python has: wheels of these are left out (the requirement is met there).
device_python=(numpy scipy matplotlib torch jax jaxlib pytest)
requirements=('pyhf==0.7.6' iminuit)
platforms=(manylinux_2_28_x86_64 manylinux_2_17_x86_64 manylinux2014_x86_64)

# The sources the device build compiles and runs, as one hash: the device copy has no .git, so
# gpu-check.sh compares this with the MANIFEST's to say whether the bundle's commit is what ran.
digest() {
    find CMakeLists.txt cmake src include tools tests/CMakeLists.txt tests/c tests/data bench/hfx-bench bench/hfxbench \
        scripts -type f ! -path '*/__pycache__/*' ! -name '*.pyc' -print0 2>/dev/null |
        LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16
}

# The targets the device builds (cmake/gpu-device.cmake's HFX_DEVICE_TARGETS) that this tree has.
device_targets() {
    local have
    have=$(ninja -C "$1" -t targets all | sed -n 's/:.*//p')
    sed -n 's/^HFX_DEVICE_TARGETS:STRING=//p' "$1/CMakeCache.txt" | tr ';' '\n' | grep -Fx "$have" | tr '\n' ' '
}

out=.device-bundle
pythons=(3.12)
while [ $# -gt 0 ]; do
    case $1 in
    --out) out=${2:?--out DIR}; shift 2 ;;
    --python) pythons+=("${2:?--python X.Y}"); shift 2 ;;
    --digest) digest; exit 0 ;;
    --toolchain) echo "$toolchain"; exit 0 ;;
    --targets) device_targets "${2:?--targets BUILD_DIR}"; exit 0 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "device-bundle.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
done
for tool in cmake ninja pkg-config dpkg apt-get ldd objdump; do
    command -v "$tool" >/dev/null || { echo "device-bundle.sh: $tool not found (install what .ci/run installs)" >&2; exit 1; }
done
t0=$(date +%s)

work=$(mktemp -d)
trap 'kill ${wheels_pid:-} 2>/dev/null || true; rm -rf "$work"' EXIT
# The wheels, one folder per Python (the device: 3.12; --python adds the host's, for the rehearsal),
# fetched in the background beside the host build (one waits on the network, the other on the CPU).
wheels() {
    local v tag p wheels pyopts
    for v in $(printf '%s\n' "${pythons[@]}" | sort -u); do
        tag=cp${v/./}
        echo "== device-bundle: wheels for CPython $v (${requirements[*]}, less ${device_python[*]})"
        pyopts=(--python-version "$v" --implementation cp --only-binary=:all:)
        for p in "${platforms[@]}"; do pyopts+=(--platform "$p"); done
        python3 -m pip install -q --dry-run --ignore-installed --target "$work/t-$tag" --report "$work/report-$tag.json" \
            "${pyopts[@]}" "${requirements[@]}" >"$work/pip-$tag.log" 2>&1 ||
            { cat "$work/pip-$tag.log" >&2; echo "device-bundle.sh: pip could not resolve ${requirements[*]} for $v" >&2; return 1; }
        wheels=$(python3 - "$work/report-$tag.json" "${device_python[@]}" <<'EOF'
import json, re, sys
norm = lambda n: re.sub(r"[-_.]+", "-", n).lower()
skip = {norm(n) for n in sys.argv[2:]}
for i in json.load(open(sys.argv[1]))["install"]:
    if norm(i["metadata"]["name"]) not in skip:
        print(f'{i["metadata"]["name"]}=={i["metadata"]["version"]}')
EOF
)
        # shellcheck disable=SC2086
        python3 -m pip download -q --no-deps -d "$work/wheels/$tag" "${pyopts[@]}" $wheels >"$work/pip-$tag.log" 2>&1 ||
            { cat "$work/pip-$tag.log" >&2; echo "device-bundle.sh: pip download failed for $v" >&2; return 1; }
    done
}
wheels >"$work/wheels.out" 2>&1 &
wheels_pid=$!

# 1. The host build with the device build's options (CUDA off: nvcc brings no Debian package).
bd=build-bundle
echo "== device-bundle: host build with cmake/gpu-device.cmake's options ($bd)"
mkdir -p "$bd"
# (-O0: the same headers and libraries in a third of the compile time; the objects are not used)
cmake -S . -B "$bd" -G Ninja -C cmake/gpu-device.cmake -DHFX_CUDA=OFF -DCMAKE_C_FLAGS_RELEASE=-O0 \
    -DCMAKE_CXX_FLAGS_RELEASE=-O0 >"$bd/bundle.log" 2>&1 ||
    { cat "$bd/bundle.log" >&2; echo "device-bundle.sh: configure failed: the host needs hfx's -dev packages (.ci/run)" >&2; exit 1; }
targets=$(device_targets "$bd")
# shellcheck disable=SC2086
cmake --build "$bd" -j"$(nproc)" --target $targets >>"$bd/bundle.log" 2>&1 ||
    { tail -40 "$bd/bundle.log" >&2; echo "device-bundle.sh: build failed" >&2; exit 1; }

# 2. Every file the build read or its programs load, with why.
{
    ninja -C "$bd" -t deps | awk '/^    \//{print $1, "build (header)"}'
    ninja -C "$bd" -t commands | tr ' ' '\n' | grep -E '^/.*\.(so|a)(\.[0-9]+)*$' | sed 's/$/ build (link)/' || true
    # the pkg-config modules CMake asked for, and the modules they require
    mods=$(sed -n 's/^__pkg_config_arguments_[^:]*:INTERNAL=//p' "$bd/CMakeCache.txt" | tr ';' '\n' |
        grep -vE '^(REQUIRED|QUIET|IMPORTED_TARGET|GLOBAL|NO_CMAKE_PATH|NO_CMAKE_ENVIRONMENT_PATH)$' | sed 's/[<>=].*//')
    seen=" "
    while [ -n "$mods" ]; do
        next=""
        for m in $mods; do
            case $seen in *" $m "*) continue ;; esac
            seen="$seen$m "
            echo "$(pkg-config --path "$m") build (pkg-config $m)"
            next="$next $(pkg-config --print-requires --print-requires-private "$m" | awk '{print $1}')"
        done
        mods=$next
    done
    pc=$(sed -n 's/^PKG_CONFIG_EXECUTABLE:FILEPATH=//p' "$bd/CMakeCache.txt")
    echo "$(readlink -f "$pc") build (pkg-config program)"
    # shared libraries: of the programs (and tests) and of pkg-config itself
    for f in "$(readlink -f "$pc")" $(find "$bd" -maxdepth 3 -type f -perm -u+x ! -name '*.so' ! -name '*.sh'); do
        ldd "$f" 2>/dev/null | awk -v who="${f##*/}" '/=> \//{print $3, "run (" who ")"}'
    done
} | sort -u -k1,1 >"$work/files"
# file -> package, from dpkg's file lists in one pass (dpkg -S reads them all for every file). Under
# the merged /usr, a file dpkg installed as /lib/... is read as /usr/lib/..., so both names are tried.
python3 - "$work/files" "$toolchain" >"$work/bundled" <<'EOF'
import glob, os, re, sys
owner = {}
for lst in glob.glob("/var/lib/dpkg/info/*.list"):
    pkg = os.path.basename(lst)[:-5].split(":")[0]
    with open(lst, errors="replace") as f:
        for line in f:
            owner.setdefault(line.rstrip("\n"), pkg)
toolchain = re.compile(sys.argv[2])
chosen = {}
for line in open(sys.argv[1]):
    path, why = line.rstrip("\n").split(" ", 1)
    if not path.startswith(("/usr/", "/lib", "/bin/", "/sbin/")) or path.startswith("/usr/local/"):
        continue  # the sources, the build tree, the CUDA toolkit: no Debian package
    real = os.path.realpath(path)
    names = [path, real] + [p[4:] for p in (path, real) if p.startswith("/usr/")] + \
        ["/usr" + p for p in (path, real) if not p.startswith("/usr/")]
    pkg = next((owner[n] for n in names if n in owner), None)
    if pkg is None:
        print(f"device-bundle.sh: no Debian package owns {path} ({why}): left out", file=sys.stderr)
    elif not toolchain.match(pkg) and pkg not in chosen:
        chosen[pkg] = f"{path} {why}"
for pkg in sorted(chosen):
    print(pkg, chosen[pkg])
EOF
n_pkg=$(wc -l <"$work/bundled")
[ "$n_pkg" -gt 0 ] || { echo "device-bundle.sh: no package found (dpkg?)" >&2; exit 1; }

# 3. The packages: the archive's candidates (the host's installed versions may be gone from the
# archive after a security update; a -dev package and its library come from the same source).
rm -rf "$out"
mkdir -p "$out/debs"
echo "== device-bundle: $n_pkg Debian packages (apt-get download)"
specs=()
while read -r pkg _; do specs+=("$pkg"); done <"$work/bundled"
(cd "$out/debs" && apt-get download -q -o APT::Sandbox::User=root "${specs[@]}" >"$work/apt.log" 2>&1) ||
    { cat "$work/apt.log" >&2; echo "device-bundle.sh: apt-get download failed" >&2; exit 1; }
# the newest glibc symbol version the bundled libraries and programs ask for (the device's must be as new)
mkdir "$work/x"
for f in "$out"/debs/*.deb; do dpkg -x "$f" "$work/x"; done
glibc=$(find "$work/x" -type f \( -name '*.so*' -o -perm -u+x \) -exec sh -c 'objdump -T "$@" 2>/dev/null; true' _ {} + |
    grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -1)


# 4. The wheels, fetched meanwhile.
wait "$wheels_pid" || { cat "$work/wheels.out" >&2; exit 1; }
cat "$work/wheels.out"
mv "$work/wheels" "$out/wheels"

# 5. The pyhf references the conformance suite reads from ../shared (the device has no ../shared;
# the sbottom archive is in data/ and gpu-check.sh links it in).
if [ -d ../shared/reference ]; then
    mkdir -p "$out/shared/reference"
    cp ../shared/reference/*.jsonl "$out/shared/reference/"
    shared_note="../shared/reference copied"
else
    shared_note="../shared absent here: the suite's cases that need it will report SKIPPED on the device"
fi

commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
git diff --quiet HEAD -- 2>/dev/null || commit="$commit-dirty"
{
    echo "commit $commit"
    echo "source_digest $(digest)"
    echo "assembled $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(. /etc/os-release && echo "$PRETTY_NAME"), glibc $(getconf GNU_LIBC_VERSION | cut -d' ' -f2)"
    echo "needs_glibc ${glibc#GLIBC_}"
    echo "shared $shared_note"
    echo "# Debian packages: package, a file that put it there, why"
    sed 's/^/deb /' "$work/bundled"
    echo "# wheels"
    (cd "$out/wheels" && find . -name '*.whl' | sort | sed 's|^\./|wheel |')
} >"$out/MANIFEST"
size=$(du -sb "$out" | cut -f1)
du -sh "$out"/debs "$out"/wheels/* "$out"/shared 2>/dev/null | sed 's/^/  /' || true
echo "== device-bundle: $out: $n_pkg packages, $(find "$out/wheels" -name '*.whl' | wc -l) wheels," \
    "$((size / 1024 / 1024)) MiB ($size bytes; the device's carry takes 64 MiB in all), needs glibc >= ${glibc#GLIBC_}," \
    "$(($(date +%s) - t0)) s"
# The carry's 64 MiB hold the working tree too (13 MiB of tracked files in December 2026): a bundle
# past 44 MiB is a mistake to look at (a package with a large closure), not something to send.
[ "$size" -lt $((44 * 1024 * 1024)) ] || { echo "device-bundle.sh: the bundle is over 44 MiB: see $out/MANIFEST" >&2; exit 1; }
