#!/usr/bin/env bash
# gpu-rehearsal.sh -- the device command rehearsed here, before a GPU machine is lent (CI runs it):
# assembles the bundle (scripts/device-bundle.sh), then runs every step of scripts/gpu-check.sh with
# this machine's -dev packages out of sight, as on the GPU machine, which has none of them.
#
#   scripts/gpu-rehearsal.sh [OUT]        (OUT: where the archive goes; default build-rehearsal/out)
#
# How the -dev packages are hidden (docs/gpu.md): in a private mount namespace (unshare -m; as root,
# or in a user namespace otherwise), /usr is covered by an overlay whose upper layer holds a whiteout
# for every file of every installed *-dev package except the compiler's own (libc6-dev, libstdc++-dev,
# ...: the device has gcc for nvcc), and for the pkg-config programs. Headers, .pc files and the
# libraries' link names (libfoo.so) are then found only in the bundle; the runtime libraries
# (libfoo.so.N) stay visible, as on any machine, so gpu-check's runtime step checks with ldd that hfx
# loads the bundle's. Where overlays cannot be mounted, each file is covered by a bind mount of
# /dev/null instead (slower, same effect). Exit status 1 if any step fails; each step's time is printed.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-build-rehearsal/out}
t0=$(date +%s)
[ -n "${1:-}" ] || rm -rf build-rehearsal/out # the default OUT is the rehearsal's own
mkdir -p build-rehearsal "$out"
rm -f "$out"/hfx-gpu-rehearsal-*.tar.gz "$out"/.hfx-gpu-rehearsal-*.tar.gz.* # an earlier rehearsal's, only

echo "== rehearsal: bundle"
host_py=$(python3 -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
scripts/device-bundle.sh --python "$host_py"
t_bundle=$(($(date +%s) - t0))

echo "== rehearsal: hiding the -dev packages (unshare -m, overlay on /usr)"
keep=$(scripts/device-bundle.sh --toolchain)
hidden=build-rehearsal/hidden.txt
dpkg-query -W -f '${Package}\n' | grep -E -- '-dev$' | grep -Ev "$keep" >build-rehearsal/hidden-packages.txt || true
# every file (not folder) of those packages, under the name it has below /usr (under the merged /usr,
# dpkg's /lib/... is /usr/lib/...)
merged=0
[ -L /lib ] && merged=1
xargs -r dpkg -L <build-rehearsal/hidden-packages.txt 2>/dev/null | while read -r f; do
    [ -d "$f" ] && continue
    case $f in
    /usr/*) echo "$f" ;;
    /lib/* | /lib64/* | /bin/* | /sbin/*) [ $merged = 0 ] || echo "/usr$f" ;;
    esac
done | sort -u >"$hidden"
for p in /usr/bin/pkg-config /usr/bin/pkgconf /usr/bin/x86_64-linux-gnu-pkg-config; do [ -e "$p" ] && echo "$p"; done >>"$hidden"
echo "$(wc -l <build-rehearsal/hidden-packages.txt) packages, $(wc -l <"$hidden") files hidden (build-rehearsal/hidden-packages.txt)"

ns=unshare
[ "$(id -u)" = 0 ] || ns="unshare -r" # a user namespace: root inside it, where the kernel allows
layer=$(mktemp -d "${TMPDIR:-/tmp}/hfx-rehearsal-XXXXXX")
trap 'rm -rf "$layer"' EXIT
cat >"$layer/inner.sh" <<'EOF'
#!/usr/bin/env bash
# runs in the private mount namespace: hide, check that it is hidden, run the device command
set -uo pipefail
hidden=$1 layer=$2 out=$3
mkdir -p "$layer/upper" "$layer/work"
# a whiteout (character device 0/0) per file, made in one process
python3 - "$hidden" "$layer/upper" <<'PY' || exit 1
import os, stat, sys
for f in open(sys.argv[1]).read().split():
    w = sys.argv[2] + f[len("/usr"):]
    os.makedirs(os.path.dirname(w), exist_ok=True)
    os.mknod(w, stat.S_IFCHR | 0o600, os.makedev(0, 0))
PY
if mount -t overlay overlay -o "lowerdir=/usr,upperdir=$layer/upper,workdir=$layer/work" /usr 2>"$layer/mount.err"; then
    echo "hidden by an overlay on /usr"
else
    echo "no overlay here ($(cat "$layer/mount.err")): a bind mount of /dev/null over each file"
    while read -r f; do [ -e "$f" ] && mount --bind /dev/null "$f"; done <"$hidden" || exit 1
fi
# the proof: none of those files can be read, and no pkg-config program is left but the bundle's
while read -r f; do
    if [ -s "$f" ]; then echo "rehearsal: $f is still visible" >&2; exit 1; fi
done <"$hidden"
! command -v pkg-config >/dev/null || [ ! -s "$(command -v pkg-config)" ] || { echo "rehearsal: pkg-config still visible" >&2; exit 1; }
scripts/gpu-check.sh "$out" --rehearsal
EOF
t1=$(date +%s)
rc=0
$ns -m bash "$layer/inner.sh" "$PWD/$hidden" "$layer" "$out" || rc=$?
echo "== rehearsal: bundle ${t_bundle} s, device command $(($(date +%s) - t1)) s, in all $(($(date +%s) - t0)) s"
[ $rc = 0 ] || { echo "rehearsal FAILED (see the steps above; logs in $out/*.tar.gz)" >&2; exit 1; }

# the archive holds what the device run would hand back
archive=$(ls "$out"/*.tar.gz)
[ "$(ls -A "$out" | wc -l)" = 1 ] || { echo "rehearsal: OUT should hold one archive: $(ls -A "$out")" >&2; exit 1; }
listing=$(tar tzf "$archive")
for f in steps.txt environment.log unpack.log build.log backends.log conformance.log bench.log; do
    grep -q "/$f$" <<<"$listing" || { echo "rehearsal: $f missing from $archive" >&2; exit 1; }
done
grep -qE '/results/gpu-smoke-.*\.json$' <<<"$listing" || { echo "rehearsal: no results file in $archive" >&2; exit 1; }
echo "rehearsal: ok, $archive ($(du -k "$archive" | cut -f1) kB)"
