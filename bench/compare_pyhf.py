#!/usr/bin/env python3
"""pyhf 0.7.6 (numpy backend, scipy optimizer) and hfx side by side, in one run.

Workloads (issue: the first benchmark):
  - the published sbottom likelihood, RegionA patch sbottom_1300_205_60: one q~ hypotest at mu = 1;
  - pyhf's own benchmark model, pyhf.simplemodels.uncorrelated_background with the numbers of pyhf's
    tests/benchmarks source_static (signal 30, background 100 +- 10, data 120 per bin) at 1, 10, 50,
    100, 200 and 500 bins: one q~ hypotest at mu = 1;
  - the full sbottom grid: every patch of regions A, B and C through `hfx scan --jobs 2`.

Method: A B A B ... interleaved repetitions after one untimed warm-up of each; the median and the
interquartile range of each side. An hfx sample is the median of 5 in-process repetitions after an
untimed warm-up in the same process (a scan's situation); a pyhf sample is one call (each takes
milliseconds to seconds). hfx is timed in-process by build/hfx-bench (the work itself: fits
and inference, without process start-up or JSON parsing, which pyhf's figure also excludes: pyhf is
timed around pyhf.infer.hypotest alone). Next to every speed figure is an accuracy figure: |dCLs_obs|
between the two for the same workload. Results go to bench/results/compare-<time>.json with the
environment (commit, CPU, compiler, library versions).

Usage: python3 bench/compare_pyhf.py [--quick] [--reps N] [--archive PATH]
"""
import os

# One core for each side, as the targets are stated: numpy's BLAS threads would otherwise spin on the
# second core after each pyhf call and slow the hfx subprocess running beside them.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
# and each on its own core where there are two: pyhf (this process) on the last, hfx on the first
_CORES = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
if len(_CORES) >= 2:
    os.sched_setaffinity(0, {_CORES[-1]})

import argparse
import datetime
import json
import platform
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
HFX_BENCH = REPO / "build" / "hfx-bench"
HFX = REPO / "build" / "hfx"


def environment():
    def cmd(*args):
        try:
            return subprocess.run(args, capture_output=True, text=True, cwd=REPO).stdout.strip()
        except OSError:
            return ""
    cpu = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines() if Path("/proc/cpuinfo").exists() else []:
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    import numpy
    import pyhf
    import scipy
    cache = (REPO / "build" / "CMakeCache.txt").read_text() if (REPO / "build" / "CMakeCache.txt").exists() else ""
    flags = [l for l in cache.splitlines() if l.startswith(("CMAKE_BUILD_TYPE", "CMAKE_C_COMPILER:", "CMAKE_C_FLAGS_RELEASE"))]
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "commit": cmd("git", "rev-parse", "--short", "HEAD") + ("-dirty" if cmd("git", "status", "--porcelain", "src", "tools") else ""),
        "cpu": cpu, "cores": os.cpu_count(), "platform": platform.platform(),
        "compiler": cmd("cc", "--version").splitlines()[0] if cmd("cc", "--version") else "",
        "build": flags, "python": platform.python_version(),
        "pyhf": pyhf.__version__, "numpy": numpy.__version__, "scipy": scipy.__version__,
    }


def summary(samples):
    q = statistics.quantiles(samples, n=4) if len(samples) > 1 else [samples[0]] * 3
    return {"median_s": statistics.median(samples), "q25_s": q[0], "q75_s": q[2], "n": len(samples)}


def pyhf_hypotest(ws_spec):
    import pyhf
    pyhf.set_backend("numpy")
    ws = pyhf.Workspace(ws_spec)
    model = ws.model()
    data = ws.data(model)

    def once():
        t = time.perf_counter()
        cls = pyhf.infer.hypotest(1.0, data, model, test_stat="qtilde")
        return time.perf_counter() - t, float(cls)
    return once


def hfx_hypotest(ws_path, patches=()):
    # each sample: the median of 5 in-process repetitions after hfx-bench's own untimed warm-up, as a
    # scan runs many hypotests in one process (a cold single call is slower: caches, page faults)
    pin = ["taskset", "-c", str(_CORES[0])] if len(_CORES) >= 2 else []
    args = [*pin, str(HFX_BENCH), str(ws_path), "--task", "hypotest", "-r", "5", "--backend", "cpu-ref"]
    for p in patches:
        args += ["-p", str(p)]

    def once():
        out = json.loads(subprocess.run(args, capture_output=True, text=True, check=True).stdout)
        return out["median_s"], out["result"]
    return once


def compare(name, pyhf_once, hfx_once, reps):
    pyhf_once()
    hfx_once()  # warm-up
    tp, th, cp, ch = [], [], None, None
    for _ in range(reps):
        t, cp = pyhf_once()
        tp.append(t)
        t, ch = hfx_once()
        th.append(t)
    row = {"workload": name, "pyhf": summary(tp), "hfx": summary(th), "cls_obs_pyhf": cp, "cls_obs_hfx": ch,
           "abs_dcls_obs": abs(cp - ch)}
    row["speedup"] = row["pyhf"]["median_s"] / row["hfx"]["median_s"]
    print(f"| {name:34} | {fmt(row['pyhf'])} | {fmt(row['hfx'])} | {row['speedup']:9.0f} | {row['abs_dcls_obs']:.1e} |",
          flush=True)
    return row


def fmt(s):
    return f"{s['median_s'] * 1e3:9.3f} ms [{s['q25_s'] * 1e3:.3f}, {s['q75_s'] * 1e3:.3f}]"


def uncorrelated_workspace(n):
    import pyhf
    model = pyhf.simplemodels.uncorrelated_background(signal=[30.0] * n, bkg=[100.0] * n, bkg_uncertainty=[10.0] * n)
    return {"channels": model.spec["channels"], "observations": [{"name": "singlechannel", "data": [120.0] * n}],
            "measurements": [{"name": "m", "config": {"poi": "mu", "parameters": []}}], "version": "1.0.0"}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="few repetitions, up to 100 bins (a smoke run)")
    ap.add_argument("--reps", type=int, default=None)
    ap.add_argument("--archive", default=str(REPO / "data" / "sbottom-hepdata.89408.tar.gz"))
    args = ap.parse_args()
    reps = args.reps or (3 if args.quick else 11)
    if not HFX_BENCH.exists():
        sys.exit("build hfx first: cmake -S . -B build && cmake --build build")

    env = environment()
    print(f"# {env['cpu']}, {env['cores']} cores; hfx {env['commit']}; pyhf {env['pyhf']} (numpy {env['numpy']}, "
          f"scipy {env['scipy']}); {reps} repetitions, median [quartiles]\n")
    print("| workload                           | pyhf 0.7.6 numpy, hypotest      | hfx cpu-ref, hypotest          | speedup   | abs dCLs_obs |")
    print("|------------------------------------|---------------------------------|--------------------------------|-----------|--------------|")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        with tarfile.open(args.archive) as tar:
            tar.extractall(tmp)
        region = tmp / "RegionA"
        patch = region / "patch.sbottom_1300_205_60.json"
        import jsonpatch
        spec = jsonpatch.apply_patch(json.loads((region / "BkgOnly.json").read_text()), json.loads(patch.read_text()))
        rows.append(compare("sbottom RegionA 1300_205_60", pyhf_hypotest(spec),
                            hfx_hypotest(region / "BkgOnly.json", [patch]), reps))
        for n in ([1, 10, 50, 100] if args.quick else [1, 10, 50, 100, 200, 500]):
            spec = uncorrelated_workspace(n)
            path = tmp / f"uncorrelated_{n}.json"
            path.write_text(json.dumps(spec))
            rows.append(compare(f"uncorrelated_background, {n} bins", pyhf_hypotest(spec), hfx_hypotest(path),
                                max(3, reps // (2 if n >= 200 else 1))))

        grid = []
        for _ in range(1 if args.quick else 3):
            t = time.perf_counter()
            for r in ["RegionA", "RegionB", "RegionC"]:
                # all cores for the scan (this process is pinned to one)
                subprocess.run([str(HFX), "scan", str(tmp / r / "BkgOnly.json"), str(tmp / r), "--jobs", "2"],
                               capture_output=True, text=True,
                               preexec_fn=(lambda: os.sched_setaffinity(0, _CORES)) if _CORES else None)
            grid.append(time.perf_counter() - t)
        grid_row = {"workload": "sbottom grid, 650 patches, hfx scan --jobs 2 (wall, incl. parsing)", "hfx": summary(grid)}
        print(f"\nsbottom grid (650 patches, 3 regions, `hfx scan --jobs 2`, wall time incl. parsing): "
              f"median {grid_row['hfx']['median_s']:.2f} s [{grid_row['hfx']['q25_s']:.2f}, {grid_row['hfx']['q75_s']:.2f}]")
    out = REPO / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"compare-{env['date'].replace(':', '')}.json"
    path.write_text(json.dumps({"environment": env, "rows": rows, "grid": grid_row}, indent=1))
    print(f"\nresults: {path.relative_to(REPO)}")


if __name__ == "__main__":
    main()
