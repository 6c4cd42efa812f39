#!/usr/bin/env python3
"""pyhf 0.7.6's own test suite against hfx: runs its test modules from ../shared/pyhf-tests/tests with
`pyhf` = hfx.compat (shim/ first on sys.path), prints the pass counts per module next to pyhf's own
(baseline.json, measured with --pyhf real), and fails when hfx passes fewer than --target (0.95) of the
tests pyhf itself passes. Failures not listed in docs/pyhf-compat.md are printed.

    python3 tests/pyhf-suite/run.py                 # hfx (PYTHONPATH must reach the module hfx)
    python3 tests/pyhf-suite/run.py --pyhf real --write-baseline   # pyhf itself: the baseline

Exit status: 0 (target met, or ../shared absent: SKIPPED with the reason), 1 (below target), 2 (usage).
Only the numpy backends run (numpy, numpy_minuit): pytorch, tensorflow and jax are not installed here.
"""
import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[1]
MODULES = ["test_validation.py", "test_infer.py", "test_simplemodels.py", "test_regression.py",
           "test_workspace.py", "test_patchset.py", "test_pdf.py", "test_optim.py", "test_calculator.py",
           "test_scripts.py"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pyhf", choices=["hfx", "real"], default="hfx", help="whose pyhf the tests import")
    ap.add_argument("--suite", default=os.environ.get("HFX_PYHF_TESTS", str(ROOT.parent / "shared" / "pyhf-tests")),
                    help="pyhf's repository checkout holding tests/ and validation/ (default ../shared/pyhf-tests)")
    ap.add_argument("--target", type=float, default=0.95, help="minimum passed / pyhf's passed (default 0.95)")
    ap.add_argument("--write-baseline", action="store_true", help="store the counts as baseline.json (--pyhf real)")
    ap.add_argument("-k", default=None, help="pytest -k expression (for debugging)")
    ap.add_argument("modules", nargs="*", default=MODULES)
    args = ap.parse_args()
    suite = pathlib.Path(args.suite).resolve()
    if not (suite / "tests" / "conftest.py").is_file():
        print(f"SKIPPED: pyhf's test suite not found at {suite} (../shared absent): nothing run")
        return 0
    env = dict(os.environ)
    env["HFX_PYHF_SUITE_LIKELIHOODS"] = str(suite.parent / "likelihoods")  # for skhep_testdata.py
    # test_scripts.py runs pyhf's console script, pyhf.cli:cli: through the shim hfx.compat.cli, which runs
    # hfx's program (this checkout's build unless HFX_BIN names another)
    env.setdefault("HFX_BIN", str(ROOT / "build" / "hfx"))
    paths = [str(HERE)] + ([str(HERE / "shim")] if args.pyhf == "hfx" else [])
    env["PYTHONPATH"] = os.pathsep.join(paths + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    tally, seconds = {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        for module in args.modules:  # one pytest per module: a module that fails to import fails alone
            report = pathlib.Path(tmp) / f"{module}.json"
            env["HFX_PYHF_SUITE_REPORT"] = str(report)
            cmd = [sys.executable, "-m", "pytest", "-q", "-p", "pyhf_suite_plugin", "-p", "no:cacheprovider",
                   "-c", os.devnull, "--rootdir", str(suite), "-W", "ignore", "--tb=line", "-rN",
                   "--basetemp", str(pathlib.Path(tmp) / ("t-" + module.replace(".py", "")))]
            if args.k:
                cmd += ["-k", args.k]
            cmd.append(f"tests/{module}")
            t0 = time.monotonic()
            proc = subprocess.run(cmd, cwd=suite, env=env, capture_output=True, text=True)
            seconds[module] = time.monotonic() - t0
            if os.environ.get("HFX_PYHF_SUITE_VERBOSE"):
                sys.stdout.write(proc.stdout + proc.stderr)
            if report.is_file():
                tally.update(json.loads(report.read_text()))
            if not report.is_file() or module not in tally:
                print(f"pyhf-suite: {module}: pytest reported no tests (exit {proc.returncode}):")
                sys.stdout.write("".join(proc.stdout.splitlines(True)[-15:]))
                tally[module] = {"passed": [], "failed": [f"tests/{module}::<collection>"], "skipped": [],
                                 "xfailed": []}
    seconds_total = sum(seconds.values())
    counts = {m: {k: len(v) for k, v in t.items()} for m, t in sorted(tally.items())}
    if args.write_baseline:  # the modules run replace theirs; the others are kept
        old = json.loads((HERE / "baseline.json").read_text())["counts"] if (HERE / "baseline.json").is_file() else {}
        old.update(counts)
        (HERE / "baseline.json").write_text(json.dumps(
            {"what": "pyhf 0.7.6's own tests run against pyhf 0.7.6 itself (numpy backends), by run.py --pyhf real",
             "counts": old}, indent=1, sort_keys=True) + "\n")
    baseline = json.loads((HERE / "baseline.json").read_text())["counts"] if (HERE / "baseline.json").is_file() else {}
    docs = (ROOT / "docs" / "pyhf-compat.md").read_text() if (ROOT / "docs" / "pyhf-compat.md").is_file() else ""
    print(f"pyhf 0.7.6's test suite against {'hfx (pyhf = hfx.compat)' if args.pyhf == 'hfx' else 'pyhf'}: "
          f"{seconds_total:.0f} s")
    print(f"{'module':24s} {'passed':>7s} {'failed':>7s} {'skipped':>8s} {'pyhf passed':>12s} {'seconds':>8s}")
    tot_pass = tot_base = 0
    undocumented = []
    for m in sorted(set(counts) | set(baseline)):
        c = counts.get(m, {})
        b = baseline.get(m, {}).get("passed", 0)
        print(f"{m:24s} {c.get('passed', 0):7d} {c.get('failed', 0):7d} {c.get('skipped', 0):8d} {b:12d} "
              f"{seconds.get(m, 0):8.1f}")
        tot_pass += c.get("passed", 0)
        tot_base += b
        # a failure is listed when docs/pyhf-compat.md names its module::function (parameters aside)
        undocumented += [t for t in tally.get(m, {}).get("failed", []) if t.split("/", 1)[-1].split("[")[0] not in docs]
    rate = tot_pass / tot_base if tot_base else 1.0
    print(f"{'total':24s} {tot_pass:7d} {sum(c.get('failed', 0) for c in counts.values()):7d} "
          f"{sum(c.get('skipped', 0) for c in counts.values()):8d} {tot_base:12d}   {100 * rate:.2f}% of pyhf's")
    if undocumented and args.pyhf == "hfx":
        print("failures not listed in docs/pyhf-compat.md:")
        for t in undocumented:
            print("  " + t)
    if args.pyhf == "hfx" and tot_base and rate < args.target:
        print(f"pyhf-suite: FAILED: {tot_pass} of the {tot_base} tests pyhf passes ({100 * rate:.1f}% < "
              f"{100 * args.target:.0f}%)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
