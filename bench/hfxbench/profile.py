"""Where pyhf's and ROOT's time goes: `hfx-bench profile` (docs/profiling.md).

For one sbottom hypotest and one fit, each engine backend installed here is profiled in a process of
its own (`python -m hfxbench.profile CASE.json`), after the model is built and one untimed call:

- pyhf (numpy; jax and pytorch where installed): cProfile over the calls, its functions' own time
  (tottime) grouped by where the code lives: pyhf's Python (the likelihood's modifiers and tensor
  shims: dispatch), numpy's Python wrappers, numpy's compiled kernels (the arithmetic), the
  optimizer (scipy.optimize's Python, SLSQP's Fortran; iminuit), the tensor library's own layers
  (jax/XLA, torch) and the rest; plus the number of likelihood calls and the finite-difference
  gradient's share.
- ROOT (RooFit's backends): Python sees one C++ call, so the split comes from perf (by shared
  library: RooFit's evaluation, Minuit2, the JIT, Python) where perf runs here, and from RooFit's own
  counters for fits: NLL evaluations per fit (RooMinimizer.evalCounter) times the time of one
  evaluation (timed in the same process), against the whole fit.
- perf (`perf record -e cpu-clock -p PID`, attached after the set-up) also runs on the pyhf cases.

The results go to a JSON file, and `--into docs/profiling.md` puts the summary tables between the
file's `<!-- profile:begin -->` and `<!-- profile:end -->` markers.
"""
import cProfile
import importlib.util
import json
import math
import os
import pstats
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1]


# ---- in the profiled process ------------------------------------------------------------------------

def _pyhf_once(backend, spec, task):
    import pyhf
    pyhf.set_backend(backend, pyhf.optimize.scipy_optimizer(), precision="64b")
    ws = pyhf.Workspace(spec)
    model = ws.model()
    data = ws.data(model)
    if task == "fit":
        return lambda: float(pyhf.infer.mle.fit(data, model, return_fitted_val=True)[1])
    return lambda: float(pyhf.infer.hypotest(1.0, data, model, test_stat="qtilde"))


def _root_once(backend, spec, task, out):
    from .engines import root as R
    ROOT = R._root()
    R._set_default_backend(ROOT, backend)
    model = R.Model(ROOT, spec)
    if task == "hypotest":
        return lambda: R.hypotest(ROOT, model)["value"]
    nll = model.nll(backend)
    evals = []

    def once():
        model.reset()
        m = ROOT.RooMinimizer(nll)
        m.setPrintLevel(-1)
        m.minimize("Minuit2", "Migrad")
        evals.append(int(m.evalCounter()))
        return 2 * nll.getVal()
    out["evals_per_fit"] = evals
    model.reset()
    return once


def _perf_start(path):
    if not shutil.which("perf"):
        return None
    p = subprocess.Popen(["perf", "record", "-q", "-e", "cpu-clock", "-F", "997", "-p", str(os.getpid()), "-o",
                          str(path)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(0.5)  # attached
    if p.poll() is not None:
        return None
    return p


def _perf_stop(p):
    if p is None:
        return
    p.send_signal(signal.SIGINT)
    p.wait(timeout=60)


def profile_case(req):
    """Runs in its own process: set-up, one untimed call, then the profiled calls."""
    from .jsonio import read_json
    import jsonpatch
    spec = read_json(req["workspace"])
    for p in req.get("patches", []):
        spec = jsonpatch.apply_patch(spec, read_json(p))
    out = {"engine": req["engine"], "backend": req["backend"], "task": req["task"]}
    once = (_pyhf_once(req["backend"], spec, req["task"]) if req["engine"] == "pyhf"
            else _root_once(req["backend"], spec, req["task"], out))
    once()  # warm-up: caches, JIT
    n = int(req.get("calls", 1))
    plain = []
    perf = _perf_start(req["perf_data"]) if req.get("perf_data") else None
    for _ in range(n):  # without cProfile: the wall time, and perf's samples
        t = time.perf_counter()
        once()
        plain.append(time.perf_counter() - t)
    _perf_stop(perf)
    prof = cProfile.Profile()
    times = []
    for _ in range(n):
        t = time.perf_counter()
        prof.runcall(once)
        times.append(time.perf_counter() - t)
    out["times_s"] = plain
    out["profiled_times_s"] = times
    out["perf"] = perf is not None
    if req["engine"] == "pyhf":
        out.update(classify(pstats.Stats(prof), n))
    return out


# ---- cProfile summary ----------------------------------------------------------------------------------

def _group(file, func):
    if file == "~":  # built-ins: compiled code called from Python
        if "_slsqp" in func or "slsqp" in func:
            return "SLSQP (Fortran)"
        if "numpy" in func or "ufunc" in func or "ndarray" in func:
            return "numpy kernels (compiled)"
        if "jax" in func or "xla" in func.lower():
            return "jax / XLA (compiled)"
        if "torch" in func:
            return "torch (compiled)"
        if "tensorflow" in func or "TFE_" in func or "pywrap" in func:
            return "tensorflow (compiled)"
        return "Python built-ins"
    for part, name in (("/pyhf/", "pyhf (Python)"), ("/scipy/optimize/", "scipy.optimize (Python)"),
                       ("/numpy/", "numpy (Python wrappers)"), ("/iminuit/", "iminuit"), ("/jax/", "jax (Python)"),
                       ("/jaxlib/", "jax (Python)"), ("/torch/", "torch (Python)"),
                       ("/tensorflow_probability/", "tensorflow (Python)"), ("/tensorflow/", "tensorflow (Python)"),
                       ("/keras/", "tensorflow (Python)"), ("/scipy/", "scipy (other)")):
        if part in file:
            return name
    return "other Python"


def classify(stats, calls):
    """Own time per group, likelihood calls and the finite-difference gradient's share, per call."""
    groups = {}
    total = 0.0
    logpdf_calls = 0
    numdiff = 0.0
    objective = 0.0
    for (file, line, func), (cc, nc, tt, ct, callers) in stats.stats.items():
        g = _group(file, func)
        groups[g] = groups.get(g, 0.0) + tt
        total += tt
        if file.endswith("pyhf/pdf.py") and func == "logpdf":
            logpdf_calls += nc
        if file.endswith("_numdiff.py") and func == "approx_derivative":
            numdiff = max(numdiff, ct)
        if file.endswith("pyhf/infer/mle.py") and func == "twice_nll":
            objective = max(objective, ct)
    return {"total_s": total / calls, "groups_s": {k: v / calls for k, v in sorted(groups.items(), key=lambda x: -x[1])},
            "logpdf_calls": logpdf_calls // calls, "finite_difference_s": numdiff / calls,
            "likelihood_s": objective / calls}


# ---- perf summary --------------------------------------------------------------------------------------

def perf_dsos(data, top=8):
    """[(percent, shared object)] from perf report --sort dso."""
    r = subprocess.run(["perf", "report", "-i", str(data), "--stdio", "--sort", "dso", "-q"], capture_output=True,
                       text=True)
    out = []
    for line in r.stdout.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0].endswith("%"):
            name = " ".join(parts[1:])
            out.append((float(parts[0].rstrip("%")), "[JIT]" if name.startswith("[JIT]") else name))
    return out[:top]


def perf_symbols(data, top=8):
    r = subprocess.run(["perf", "report", "-i", str(data), "--stdio", "--sort", "dso,sym", "-q"],
                       capture_output=True, text=True)
    out = []
    for line in r.stdout.splitlines():
        parts = line.split(None, 2)
        if len(parts) == 3 and parts[0].endswith("%"):
            sym = parts[2].replace("[.] ", "").replace("[k] ", "").strip()
            if parts[1] == "[JIT]":
                continue  # code generated at run time: addresses, no names
            out.append((float(parts[0].rstrip("%")), parts[1], sym[:90]))
    return out[:top]


# ---- the command ---------------------------------------------------------------------------------------

def cases(workload):
    out = []
    backends = ["numpy"] + [b for b, m in (("jax", "jax"), ("pytorch", "torch")) if importlib.util.find_spec(m)]
    missing = [b for b, m in (("jax", "jax"), ("pytorch", "torch")) if not importlib.util.find_spec(m)]
    for b in backends:
        out += [("pyhf", b, "hypotest", 1), ("pyhf", b, "fit", 3)]
    if importlib.util.find_spec("ROOT"):
        for b in ("legacy", "cpu", "codegen_no_grad"):
            out += [("root", b, "hypotest", 1 if b == "legacy" else 2), ("root", b, "fit", 1 if b == "legacy" else 5)]
    return out, missing


def run_profiles(cache, archive=None, log=sys.stderr):
    from . import workloads as W
    from .environment import environment
    w = W.sbottom(Path(cache), archive, regions=("RegionA",), grid=False)[0]
    todo, missing = cases(w)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for engine, backend, task, calls in todo:
            data = Path(tmp) / f"{engine}-{backend}-{task}.perf"
            req = {"engine": engine, "backend": backend, "task": task, "calls": calls, "workspace": w.workspace,
                   "patches": w.patches, "perf_data": str(data)}
            reqf = Path(tmp) / "req.json"
            reqf.write_text(json.dumps(req))
            p = subprocess.run([sys.executable, "-m", "hfxbench.profile", str(reqf)], cwd=BENCH, capture_output=True,
                               text=True, timeout=900)
            try:
                res = json.loads(p.stdout.strip().splitlines()[-1])
            except (ValueError, IndexError):
                res = {"engine": engine, "backend": backend, "task": task,
                       "error": f"exit {p.returncode}: {p.stderr.strip()[-400:]}"}
            if res.get("perf") and data.exists():
                res["perf_dsos_all"] = perf_dsos(data, top=100)
                res["perf_dsos"] = res["perf_dsos_all"][:8]
                res["perf_symbols"] = perf_symbols(data)
            results.append(res)
            t = res.get("times_s")
            print(f"profile {engine}-{backend} {task}: " + (f"median {statistics.median(t):.3g} s" if t else
                                                            res.get("error", "")), file=log, flush=True)
    env = environment()
    return {"workload": w.id, "environment": {k: env[k] for k in ("date", "commit", "cpu", "cores", "python",
                                                                   "libraries")},
            "not_installed": missing, "profiles": results}


def _ms(s):
    return f"{s * 1e3:.3g} ms" if s < 1 else f"{s:.3g} s"


def summary(doc):
    """The markdown summary of a profile document (docs/profiling.md)."""
    env = doc["environment"]
    libs = ", ".join(f"{k} {v}" for k, v in sorted(env["libraries"].items()) if k in (
        "pyhf", "numpy", "scipy", "iminuit", "root", "ROOT", "jax", "torch"))
    out = [f"Generated by `bench/hfx-bench profile` on {env['cpu']}, {env['cores']} cores shared with other "
           f"sessions (times move by tens of percent between runs), {env['date']}, hfx {env['commit']}; "
           f"Python {env['python']}: {libs}. Workload `{doc['workload']}`."]
    if doc.get("not_installed"):
        out.append(f"Not installed here, so not profiled: pyhf backends {', '.join(doc['not_installed'])}.")
    out.append("")
    pyhf_rows = [p for p in doc["profiles"] if p["engine"] == "pyhf" and "groups_s" in p]
    if pyhf_rows:
        groups = []
        for p in pyhf_rows:
            for g in p["groups_s"]:
                if g not in groups:
                    groups.append(g)
        out += ["**pyhf, cProfile** (own time per call, share of the profiled total; the profiler's overhead "
                "inflates Python-heavy code, so shares matter more than totals)", "",
                "| where | " + " | ".join(f"{p['backend']} {p['task']}" for p in pyhf_rows) + " |",
                "|---" * (len(pyhf_rows) + 1) + "|"]
        for g in groups:
            cells = []
            for p in pyhf_rows:
                v = p["groups_s"].get(g, 0.0)
                cells.append(f"{_ms(v)} ({100 * v / p['total_s']:.0f}%)" if v else "–")
            out.append(f"| {g} | " + " | ".join(cells) + " |")
        out.append("| **total under cProfile** | " + " | ".join(_ms(p["total_s"]) for p in pyhf_rows) + " |")
        out.append("| wall time per call without the profiler (median) | " + " | ".join(
            _ms(statistics.median(p["times_s"])) for p in pyhf_rows) + " |")
        out.append("| likelihood calls (`logpdf`) | " + " | ".join(str(p["logpdf_calls"]) for p in pyhf_rows) + " |")
        out.append("| inside the finite-difference gradient (`approx_derivative`, cumulative) | " + " | ".join(
            f"{100 * p['finite_difference_s'] / p['total_s']:.0f}%" for p in pyhf_rows) + " |")
        out.append("")
    root_fit = [p for p in doc["profiles"] if p["engine"] == "root" and p["task"] == "fit" and p.get("evals_per_fit")]
    if root_fit:
        out += ["**ROOT fits: NLL evaluations and where a fit's samples fall** (Minuit2 with RooFit's defaults: "
                "Migrad, strategy 1; evaluations counted by RooMinimizer; perf shares of the fit's samples)", "",
                "| backend | fit (median) | NLL evaluations per fit | fit time per evaluation | Minuit2 | "
                "RooFit + HistFactory (+ generated code, libm) | other |", "|---|---|---|---|---|---|---|"]
        for p in root_fit:
            fit = statistics.median(p["times_s"])
            n = statistics.median(p["evals_per_fit"])
            dsos = dict((d, pct) for pct, d in p.get("perf_dsos_all", p.get("perf_dsos", [])))
            minuit = dsos.get("libMinuit2.so", 0.0)
            roofit = sum(v for k, v in dsos.items() if k in ("libRooFitCore.so", "libHistFactory.so", "libRooFit.so",
                                                             "libRooBatchCompute.so", "[JIT]", "libm.so.6")
                         or k.startswith("libRooBatchCompute"))
            other = max(0.0, 100.0 - minuit - roofit)
            out.append(f"| {p['backend']} | {_ms(fit)} | {n:.0f} | {fit / n * 1e6:.1f} µs | {minuit:.0f}% | "
                       f"{roofit:.0f}% | {other:.0f}% |" if dsos else
                       f"| {p['backend']} | {_ms(fit)} | {n:.0f} | {fit / n * 1e6:.1f} µs | – | – | – |")
        out.append("")
    perf_rows = [p for p in doc["profiles"] if p.get("perf_dsos")]
    if perf_rows:
        out += ["**perf, by shared object** (`perf record -e cpu-clock`, attached after the set-up, over the "
                "calls made without cProfile; the top entries of each case)", "", "| case | where the samples fall |", "|---|---|"]
        for p in perf_rows:
            cells = ", ".join(f"{d} {pct:.0f}%" for pct, d in p["perf_dsos"][:6])
            out.append(f"| {p['engine']}-{p['backend']} {p['task']} | {cells} |")
        out.append("")
        root_perf = [p for p in perf_rows if p["engine"] == "root" and p.get("perf_symbols")]
        if root_perf:
            out += ["**perf, ROOT's hottest functions** (share of the samples)", ""]
            for p in root_perf:
                out.append(f"- {p['engine']}-{p['backend']} {p['task']}: " + "; ".join(
                    f"`{sym}` ({dso}) {pct:.0f}%" for pct, dso, sym in p["perf_symbols"][:4]))
            out.append("")
    errors = [p for p in doc["profiles"] if "error" in p]
    for p in errors:
        out.append(f"- {p['engine']}-{p['backend']} {p['task']}: failed: {p['error']}")
    return "\n".join(out) + "\n"


def main():
    req = json.loads(Path(sys.argv[1]).read_text())
    try:
        out = profile_case(req)
    except Exception as e:  # recorded in the profile document with the message
        out = {"engine": req["engine"], "backend": req["backend"], "task": req["task"],
               "error": f"{type(e).__name__}: {e}"[:1000]}
    sys.stdout.flush()
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
