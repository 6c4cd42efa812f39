#!/usr/bin/env bash
# The main job: hypothesis tests (q~, mu = 1, asymptotics) for every signal point of the published
# ATLAS sbottom multi-b likelihoods (HEPData 10.17182/hepdata.89408: regions A, B, C, 650 patches),
# with a summary table per region. Results go to sbottom-scan.jsonl (one line per patch), and the
# observed and expected exclusion contours of each region (m(b1), m(chi2) at m(chi1) = 60 GeV) to
# sbottom-scan-RegionX-contour.png and .svg beside it (python/hfx/plot.py; needs matplotlib).
#
# Usage: scripts/sbottom.sh [ARCHIVE.tar.gz | DIRECTORY] [hfx scan options...]
# Data: the argument; else scikit-hep-testdata's copy (pip install scikit-hep-testdata; its wheel
# fetches the archive from GitHub on first use); else the copy bundled in data/.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
jobs=$(nproc 2>/dev/null || echo 2)

src=""
if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then
    src="$1"
    shift
fi
if [ -z "$src" ]; then
    src=$(python3 -c "import skhep_testdata; print(skhep_testdata.data_path('pyhf-ins1748602-probability-models.tar.gz'))" 2>/dev/null || true)
    [ -n "$src" ] && [ -f "$src" ] || src="$root/data/sbottom-hepdata.89408.tar.gz"
fi
[ -e "$src" ] || { echo "sbottom.sh: no such file or directory: $src" >&2; exit 1; }

if [ ! -x "$root/build/hfx" ]; then
    echo "building hfx ..." >&2
    cmake -S "$root" -B "$root/build" -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build "$root/build" -j"$jobs" >/dev/null
fi
hfx="$root/build/hfx"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ -d "$src" ]; then
    dir="$src"
else
    tar xzf "$src" -C "$work"
    dir="$work"
fi
echo "likelihoods: $src" >&2

out="${HFX_SCAN_OUTPUT:-sbottom-scan.jsonl}"
: > "$out"
for region in RegionA RegionB RegionC; do
    start=$(date +%s.%N)
    # a patch that fails is reported in the table; it does not stop the scan. The warnings of fits
    # that found a lower minimum than pyhf's single descent (one long line each) stay in the results
    # ("warnings"): the summary counts them; other messages pass through.
    "$hfx" scan "$dir/$region/BkgOnly.json" "$dir/$region" --jobs "$jobs" "$@" > "$work/$region.jsonl" \
        2> "$work/$region.err" || true
    grep -v -e '--explore none reproduces' "$work/$region.err" >&2 || true
    end=$(date +%s.%N)
    python3 - "$region" "$start" "$end" "$work/$region.jsonl" >> "$out" <<'PY'
import json, sys
region, start, end, path = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
for line in open(path):
    row = json.loads(line)
    print(json.dumps({"region": region, **row}))
PY
    echo "$region $start $end" >> "$work/times"
done

python3 - "$out" "$work/times" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
times = {r: float(e) - float(s) for r, s, e in (l.split() for l in open(sys.argv[2]))}
print(f"{'region':8} {'patches':>7} {'excluded':>8} {'exp. excl.':>10} {'warned':>6} {'failed':>6} {'time [s]':>8}")
tot = [0, 0, 0, 0, 0, 0.0]
for region in ["RegionA", "RegionB", "RegionC"]:
    rr = [r for r in rows if r["region"] == region]
    ok = [r for r in rr if "CLs_obs" in r]
    excl = sum(r["CLs_obs"] < 0.05 for r in ok)
    expx = sum(r["CLs_exp"][2] < 0.05 for r in ok)
    warned = sum("warnings" in r for r in ok)
    fail = len(rr) - len(ok)
    print(f"{region:8} {len(rr):7d} {excl:8d} {expx:10d} {warned:6d} {fail:6d} {times[region]:8.2f}")
    for i, v in enumerate([len(rr), excl, expx, warned, fail, times[region]]):
        tot[i] += v
print(f"{'total':8} {tot[0]:7d} {tot[1]:8d} {tot[2]:10d} {tot[3]:6d} {tot[4]:6d} {tot[5]:8.2f}")
print("excluded: CLs_obs < 0.05 (95% CL); exp. excl.: median expected CLs < 0.05")
print("warned: a fit found a lower minimum than the single descent from the init that pyhf and ROOT make")
print("        (\"warnings\" in the results; --explore none gives the single-descent answer)")
n_warn = sum(len(r.get("warnings", [])) for r in rows)
if n_warn:
    print(f"warnings: {n_warn} in {tot[3]} patches, not printed here: read them in the \"warnings\" of their "
          f"lines in {sys.argv[1]}")
for r in rows:
    if "error" in r:
        print(f"failed: {r['region']} {r['patch']}: {r['error']}")
print(f"results: {sys.argv[1]}")
PY

# The exclusion contours (python/hfx/plot.py, needs matplotlib), next to the results
python3 - "$root/python/hfx" "$out" <<'PY' || echo "contours: not drawn (the error above)" >&2
import os, sys
try:
    import matplotlib  # noqa: F401
except ImportError:
    print("contours: not drawn (matplotlib is not installed: pip install matplotlib)")
    sys.exit(0)
sys.path.insert(0, sys.argv[1])
import plot
out = sys.argv[2]
stem = out[:-len(".jsonl")] if out.endswith(".jsonl") else out
labels = [r"m($\tilde{b}_1$) [GeV]", r"m($\tilde{\chi}^0_2$) [GeV]", r"m($\tilde{\chi}^0_1$) [GeV]"]
for region in ["RegionA", "RegionB", "RegionC"]:
    title = f"ATLAS sbottom multi-b, {region[:-1]} {region[-1]}"
    paths = plot.save(plot.contour(out, region=region, labels=labels, title=title), f"{stem}-{region}-contour")
    print(f"contour {region}: {' '.join(paths)}")
PY
exit 0
