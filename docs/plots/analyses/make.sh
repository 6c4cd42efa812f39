#!/usr/bin/env bash
# Regenerates the example figures of docs/plots.md from the published sbottom likelihoods
# (data/sbottom-hepdata.89408.tar.gz): the results of hfx's commands, then python/hfx/plot.py on them.
# Usage: docs/plots/analyses/make.sh   (after a build in build/; needs matplotlib)
set -euo pipefail
root="$(cd "$(dirname "$0")/../../.." && pwd)"
out="$root/docs/plots/analyses"
hfx="$root/build/hfx"
plot="python3 $root/python/hfx/plot.py"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tar xzf "$root/data/sbottom-hepdata.89408.tar.gz" -C "$work"
# RegionC sbottom_1100_550_60: a signal point near the exclusion line whose mu_SIG fits to 0.25 +- 0.45
# (at RegionA sbottom_1300_205_60 it fits to 0, its lower bound, where every impact is 0)
ws=("$work/RegionC/BkgOnly.json" -p "$work/RegionC/patch.sbottom_1100_550_60.json")
"$hfx" ranking "${ws[@]}" > "$work/ranking.json"
"$hfx" fit "${ws[@]}" --pulls --correlations > "$work/fit.json"
"$hfx" profile-scan "${ws[@]}" --par mu_SIG --range 0,2,21 > "$work/scan1.json"
"$hfx" profile-scan "${ws[@]}" --par mu_SIG --range 0,1.6,21 --par Z_theory_SR --range -2.5,2.5,21 \
    > "$work/scan2.json" 2> /dev/null  # (warnings of fits that found a lower minimum: kept in the JSON)
"$hfx" upper-limit "${ws[@]}" --scan 0,3,31 > "$work/upper-limit.json"
$plot ranking "$work/ranking.json" -o "$out/ranking" --top 15
$plot pulls "$work/fit.json" -o "$out/pulls"
$plot correlations "$work/fit.json" -o "$out/correlations" --threshold 0.2
$plot profile-scan "$work/scan1.json" -o "$out/profile-scan-1d"
$plot profile-scan "$work/scan2.json" -o "$out/profile-scan-2d"
$plot brazil "$work/upper-limit.json" -o "$out/brazil"
# the exclusion contours as scripts/sbottom.sh draws them
HFX_SCAN_OUTPUT="$work/sbottom-scan.jsonl" "$root/scripts/sbottom.sh" "$work" > "$work/sbottom.txt" 2> /dev/null
for region in RegionA RegionB RegionC; do
    cp "$work/sbottom-scan-$region-contour.png" "$out/contour-$region.png"
    cp "$work/sbottom-scan-$region-contour.svg" "$out/contour-$region.svg"
done
ls "$out"
