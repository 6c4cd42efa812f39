#!/usr/bin/env python3
"""Two builds of hfx side by side, for a change that must keep every number and every speed: the outputs of
`hfx` byte for byte, and the speed rows of `hfx-timeit` timed alternately (old, new, old, new, ...) in one run.

    bench/compare_builds.py OLD_BUILD_DIR NEW_BUILD_DIR [--quick] [--out FILE.md]

Outputs compared (old vs new; stderr as sorted lines, since threads order the warnings): `hfx scan` of every
sbottom patch of the bundled likelihoods (data/), `hfx fit --no-poi` (with uncertainties) and `hfx fit
--no-poi --explore none --pulls --correlations` on the shared zoo workspaces (../shared/likelihoods/zoo, where
present), a toy-based `hfx cls`, `hfx ranking` and `hfx upper-limit` on one sbottom patch. Speed rows: the
likelihood, its gradient, a fit, a hypotest, an upper limit, toys and a batch of points on sbottom, and fits of
two zoo models; each row's median of the alternating rounds' medians, with their spread, and whether the
result is the same to the bit. --quick: one region, 3 zoo models, 2 rounds (the suite's own test). Exit 1 when
an output differs or a result is not the same."""
import argparse
import json
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ZOO = REPO.parent / "shared" / "likelihoods" / "zoo"


def outputs(hfx, sbottom, zoo, regions):
    """name -> (stdout bytes, sorted stderr lines) of the comparison's commands."""
    patch = ["-p", str(sbottom / "RegionA" / "patch.sbottom_1000_205_60.json")]
    bkg = str(sbottom / "RegionA" / "BkgOnly.json")
    cmds = {f"scan-{r}": ["scan", str(sbottom / r / "BkgOnly.json"), str(sbottom / r), "--jobs", "2"] for r in regions}
    for ws in zoo:
        name = ws.name.split(".")[0]
        cmds[f"fit-{name}"] = ["fit", str(ws), "--no-poi"]
        cmds[f"fit-pulls-{name}"] = ["fit", str(ws), "--no-poi", "--explore", "none", "--pulls", "--correlations"]
    cmds["cls-toys"] = ["cls", bkg, *patch, "--calctype", "toybased", "--ntoys", "200"]
    cmds["ranking"] = ["ranking", bkg, *patch]
    cmds["upper-limit"] = ["upper-limit", bkg, *patch]
    out = {}
    for name, args in cmds.items():
        p = subprocess.run([str(hfx), *args], capture_output=True)
        out[name] = (p.returncode, p.stdout, sorted(p.stderr.splitlines()))
    return out


def speed_cases(sbottom, zoo):
    ws = [str(sbottom / "RegionA" / "BkgOnly.json"), "-p", str(sbottom / "RegionA" / "patch.sbottom_1300_205_60.json")]
    cases = [
        ("sbottom twice_nll (cpu-ref)", [*ws, "--task", "nll", "--backend", "cpu-ref"]),
        ("sbottom gradient (cpu-ref)", [*ws, "--task", "grad", "--backend", "cpu-ref"]),
        ("sbottom fit (cpu-ref)", [*ws, "--task", "fit", "--backend", "cpu-ref"]),
        ("sbottom hypotest (cpu-ref)", [*ws, "--task", "hypotest", "--backend", "cpu-ref"]),
        ("sbottom upper limit (cpu-ref)", [*ws, "--task", "upper-limit", "--backend", "cpu-ref"]),
        ("sbottom 200 toys (cpu, 2 threads)", [*ws, "--task", "toys", "--toys", "200", "--backend", "cpu", "--threads", "2"]),
        ("sbottom 1000 points (cpu, 2 threads)", [*ws, "--task", "nll-batch", "--batch", "1000", "--backend", "cpu",
                                                  "--threads", "2"]),
    ]
    for w in zoo[:2]:
        cases.append((f"{w.name.split('.')[0]} fit (cpu, 2 threads)", [str(w), "--no-poi", "--task", "fit", "--backend",
                                                                         "cpu", "--threads", "2"]))
    return cases


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("old", type=Path, help="the old build folder (with hfx and hfx-timeit)")
    ap.add_argument("new", type=Path, help="the new build folder")
    ap.add_argument("--quick", action="store_true", help="a few seconds: one region, 3 zoo models, 2 rounds")
    ap.add_argument("--out", type=Path, help="also write the markdown report here")
    a = ap.parse_args()
    for b in (a.old, a.new):
        for exe in ("hfx", "hfx-timeit"):
            if not (b / exe).exists():
                sys.exit(f"compare_builds: {b / exe}: no such program (build both folders first)")
    zoo = sorted(ZOO.glob("*.json.gz")) if ZOO.is_dir() else []
    zoo = zoo[:3] if a.quick else zoo
    regions = ["RegionA"] if a.quick else ["RegionA", "RegionB", "RegionC"]
    lines, bad = [], 0
    with tempfile.TemporaryDirectory() as tmp:
        with tarfile.open(REPO / "data" / "sbottom-hepdata.89408.tar.gz") as t:
            t.extractall(tmp)
        sbottom = Path(tmp)
        old, new = outputs(a.old / "hfx", sbottom, zoo, regions), outputs(a.new / "hfx", sbottom, zoo, regions)
        differ = [n for n in old if old[n] != new[n]]
        bad += len(differ)
        lines.append(f"Outputs: {len(old) - len(differ)} of {len(old)} commands byte for byte the same "
                     f"({len(regions)} sbottom regions scanned, {len(zoo)} zoo workspaces)"
                     + (f"; differ: {', '.join(differ)}" if differ else ""))
        lines += ["", "| case | old: median [min, max] | new: median [min, max] | new / old | same result |",
                  "|---|---|---|---|---|"]
        rounds = 2 if a.quick else 3
        for name, args in speed_cases(sbottom, zoo):
            med, res = {"old": [], "new": []}, {}
            for _ in range(rounds):
                for key, b in (("old", a.old), ("new", a.new)):
                    p = subprocess.run([str(b / "hfx-timeit"), *args, "--max-time", "0.3" if a.quick else "2"],
                                       capture_output=True, text=True)
                    r = json.loads(p.stdout)
                    med[key].append(r["timing"]["median_s"])
                    res[key] = r.get("result")
            o, n = statistics.median(med["old"]), statistics.median(med["new"])
            same = res["old"] == res["new"]
            bad += not same
            fmt = lambda v: f"{statistics.median(v) * 1e3:.4g} ms [{min(v) * 1e3:.4g}, {max(v) * 1e3:.4g}]"
            lines.append(f"| {name} | {fmt(med['old'])} | {fmt(med['new'])} | {n / o:.3f} | {'yes' if same else 'NO'} |")
            print(lines[-1], file=sys.stderr, flush=True)
    text = "\n".join(lines) + "\n"
    sys.stdout.write(text)
    if a.out:
        a.out.write_text(text)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
