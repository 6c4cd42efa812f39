#!/usr/bin/env bash
# gpu-results.sh -- reads the archive that scripts/gpu-check.sh handed back into the docs: the
# benchmark's results file (JSON + CSV) into docs/results/, the run's logs (steps and their times,
# GPU model, driver and clocks, backends, conformance suite) into docs/results/gpu-<time>/, its
# figures into docs/plots/gpu/ and its tables into docs/results/gpu-<time>/report.md.
#
#   scripts/gpu-results.sh ARCHIVE [DOCS]     (DOCS: default docs)
#
# docs/gpu.md says where the archive lies after the device call. Look at every figure before committing.
set -euo pipefail
cd "$(dirname "$0")/.."
archive=${1:?usage: scripts/gpu-results.sh ARCHIVE [DOCS]}
docs=${2:-docs}
[ -f "$archive" ] || { echo "gpu-results.sh: $archive not found" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tar xzf "$archive" -C "$tmp"
run=$(find "$tmp" -mindepth 1 -maxdepth 1 -type d | head -1)
[ -f "$run/steps.txt" ] || { echo "gpu-results.sh: $archive is not a gpu-check archive (no steps.txt)" >&2; exit 1; }
echo "== steps of the run"
cat "$run/steps.txt"

results=$(find "$run/results" -name '*.json' ! -name '*.partial.json' 2>/dev/null | sort | tail -1)
stamp=$(basename "$run" | sed 's/.*-//')
logs=$docs/results/gpu-$stamp
mkdir -p "$logs"
for f in steps.txt environment.log backends.log conformance.log clocks-before-bench.txt clocks-after-bench.txt bench.log; do
    [ -f "$run/$f" ] && cp "$run/$f" "$logs/"
done
if [ -z "$results" ]; then
    echo "gpu-results.sh: no results file in the archive (the benchmark did not finish a case): logs in $logs" >&2
    exit 1
fi
python3 bench/hfx-bench validate "$results"
cp "$results" "${results%.json}.csv" "$docs/results/"
name=$(basename "$results")
python3 bench/hfx-bench plot "$docs/results/$name" --out "$docs/plots/gpu"
python3 bench/hfx-bench report "$docs/results/$name" --out "$logs/report.md"
python3 - "$docs/results/$name" <<'EOF'
import json, sys
doc = json.load(open(sys.argv[1]))
gpus = ", ".join(f"{g['name']} (driver {g['driver']})" for g in doc["environment"].get("gpus", [])) or "NO GPU"
n = {s: sum(r["status"] == s for r in doc["results"]) for s in ("ok", "skipped", "error")}
print(f"{sys.argv[1]}: {gpus}, commit {doc['environment']['commit']}: {n['ok']} measured, {n['skipped']} skipped, "
      f"{n['error']} failed" + (f"; {doc['interrupted']}" if doc.get("interrupted") else ""))
EOF
echo "logs in $logs, figures in $docs/plots/gpu, tables in $logs/report.md"
