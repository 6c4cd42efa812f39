#!/usr/bin/env python3
"""A SModelS / MadAnalysis-style spey session on sbottom patches, timed with hfx's spey backend and
with spey-pyhf's (issue 21, part 5): per patch, the observed CLs, the apriori (expected) CLs band and
the observed upper limit on mu. Prints one JSON line per backend and patch, then a summary line.

    python3 scripts/spey-session.py [--region A] [--patches 3] [--backends hfx,pyhf] [--archive PATH]

Needs spey and spey-pyhf (pip install spey spey-pyhf) and hfx importable (pip install ., or
PYTHONPATH=build/python). spey-pyhf takes 20 s to a minute per sbottom patch: --patches 1 for a quick run.
The session's calls are bench/hfxbench/spey_session.py's, which the benchmark suite's spey-hfx and
spey-pyhf rows time (`bench/hfx-bench run --config spey`, docs/benchmarks.md).
"""
import argparse
import json
import pathlib
import sys
import tarfile
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))
from hfxbench import spey_session  # noqa: E402  (the session's calls, shared with the benchmark suite)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--region", default="A", choices=["A", "B", "C"])
    ap.add_argument("--patches", type=int, default=3)
    ap.add_argument("--backends", default="hfx,pyhf")
    ap.add_argument("--archive", default=str(REPO / "data" / "sbottom-hepdata.89408.tar.gz"))
    args = ap.parse_args()

    region = f"Region{args.region}"
    with tempfile.TemporaryDirectory() as tmp, tarfile.open(args.archive) as tar:
        tar.extractall(tmp, members=[m for m in tar.getmembers() if m.name.startswith(region + "/")])
        d = pathlib.Path(tmp) / region
        bkg = json.loads((d / "BkgOnly.json").read_text())
        files = sorted(d.glob("patch.*.json"))[: args.patches]
        totals = {}
        for backend in args.backends.split(","):
            start = time.perf_counter()
            for f in files:
                patch = json.loads(f.read_text())
                t0 = time.perf_counter()
                result = spey_session.run(backend, bkg, patch, f.stem)
                print(json.dumps({"backend": backend, "patch": f.stem, **result,
                                  "seconds": round(time.perf_counter() - t0, 3)}), flush=True)
            totals[backend] = time.perf_counter() - start
        print(json.dumps({"summary": {k: round(v, 3) for k, v in totals.items()}, "patches": len(files),
                          "region": region, "python": sys.version.split()[0]}))


if __name__ == "__main__":
    main()
