#!/usr/bin/env python3
"""Where pyhf 0.7.6's time goes on each of its backends (numpy, jax, pytorch, tensorflow), against hfx.

docs/profiling.md's `hfx-bench profile` profiles the backends installed in the project's Python (numpy only:
the project pins numpy 1.26 / scipy 1.13 / pyhf 0.7.6 there, and jax, torch and tensorflow are not installed
beside them). This script runs the same workload, one q~ hypotest at mu = 1 and one maximum-likelihood fit of
the sbottom RegionA point `sbottom_1300_205_60`, on every backend, where the backends may live in another
interpreter (`--python`, e.g. a virtual environment with `pyhf[jax,torch,tensorflow]==0.7.6`):

- each (backend, task) runs in a process of its own: import, `set_backend(..., precision="64b")`, the model
  built, then a *first* call (tracing and XLA compilation for jax, graph/kernel set-up for the others) timed
  apart from the *warm* calls that follow;
- the rounds interleave the engines (numpy jax pytorch tensorflow hfx, numpy jax ...), so that load from
  other work on a shared machine falls on all of them alike; medians and ranges are over every warm call;
- inside each call, pyhf's scipy optimizer is wrapped (a subclass, same SLSQP, same options) to count the
  fits and the objective evaluations the optimizer asks for (`fun` calls; with numpy they include the finite
  differences, the other backends return value and gradient from one call) and to time the objective
  against the whole minimisation: the optimizer's own share is minimize - objective, the rest of the call is
  pyhf's set-up around the fits (the hypotest's model and asymptotic formulas). These are ratios within one
  call, so they survive machine load better than the times themselves;
- jax: XLA's compilation and tracing time from `jax.monitoring`'s duration events, per call;
- one further warm call under cProfile, its own time grouped by where the code lives (hfxbench.profile's
  grouping, extended by tensorflow);
- hfx: `build/hfx-timeit --task hypotest|fit` (the suite's timing protocol, in-process), in the same rounds.

It prints a JSON document (`--out FILE` writes it) and `--markdown` prints the tables of docs/profiling.md.
Not part of CI's benchmarks: `--backends numpy --repeat 1 --warm 1 --no-hfx` is its smoke test.

    python3 bench/profile_pyhf_backends.py --python /path/to/venv/bin/python --repeat 3 --out docs/results/x.json
    python3 bench/profile_pyhf_backends.py --from docs/results/x.json --into docs/profiling.md
"""
import argparse
import cProfile
import json
import os
import platform
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
BACKENDS = ("numpy", "jax", "pytorch", "tensorflow")
MODULES = {"numpy": "numpy", "jax": "jax", "pytorch": "torch", "tensorflow": "tensorflow"}


# ---- in the child process (any interpreter with pyhf; only the standard library besides) --------------------------

class _Counts:
    def __init__(self):
        self.fits = 0
        self.fun = 0
        self.minimize_s = 0.0
        self.objective_s = 0.0
        self.compile = {}

    def take(self):
        out = {"fits": self.fits, "objective_calls": self.fun, "minimize_s": self.minimize_s,
               "objective_s": self.objective_s, "jax_events_s": dict(self.compile)}
        self.__init__()
        return out


def _counting_optimizer(pyhf, counts, block=lambda r: r):
    """pyhf's scipy optimizer (SLSQP, pyhf's options), with the minimiser wrapped to count and time."""
    import scipy.optimize

    class Counting(pyhf.optimize.scipy_optimizer):
        def _get_minimizer(self, *args, **kwargs):
            inner = super()._get_minimizer(*args, **kwargs)
            if inner is not scipy.optimize.minimize:
                return inner

            def minimize(fun, x0, *margs, **mkw):
                def objective(x, *fargs):
                    t = time.perf_counter()
                    try:
                        # jax dispatches asynchronously: wait for the value here, or its time would fall on
                        # the optimizer's conversion to numpy
                        return block(fun(x, *fargs))
                    finally:
                        counts.objective_s += time.perf_counter() - t
                        counts.fun += 1
                t = time.perf_counter()
                try:
                    return inner(objective, x0, *margs, **mkw)
                finally:
                    counts.minimize_s += time.perf_counter() - t
                    counts.fits += 1
            return minimize
    return Counting()


def _child(req):
    counts = _Counts()
    t0 = time.perf_counter()
    import pyhf
    import jsonpatch
    lib = None
    if req["backend"] != "numpy":
        lib = __import__(MODULES[req["backend"]])
    t_import = time.perf_counter() - t0
    if req["backend"] == "jax":
        import jax.monitoring

        def listener(event, duration, *args, **kwargs):
            counts.compile[event] = counts.compile.get(event, 0.0) + duration
        jax.monitoring.register_event_duration_secs_listener(listener)
    block = lambda r: r  # noqa: E731
    if req["backend"] == "jax":
        import jax
        block = jax.block_until_ready
    pyhf.set_backend(req["backend"], _counting_optimizer(pyhf, counts, block), precision="64b")
    t = time.perf_counter()
    spec = json.loads(Path(req["workspace"]).read_text())
    for p in req["patches"]:
        spec = jsonpatch.apply_patch(spec, json.loads(Path(p).read_text()))
    ws = pyhf.Workspace(spec)
    model = ws.model()
    data = pyhf.tensorlib.astensor(ws.data(model))
    t_build = time.perf_counter() - t
    build_events = counts.take()["jax_events_s"]  # the model's own jitted pieces, not the first call's
    if req["task"] == "fit":
        def once():
            return float(pyhf.infer.mle.fit(data, model, return_fitted_val=True)[1])
    else:
        def once():
            return float(pyhf.infer.hypotest(1.0, data, model, test_stat="qtilde"))
    calls = []
    for i in range(1 + req["warm"]):
        t = time.perf_counter()
        value = once()
        c = {"s": time.perf_counter() - t, "value": value}
        c.update(counts.take())
        calls.append(c)
    out = {"engine": "pyhf", "backend": req["backend"], "task": req["task"], "import_s": t_import,
           "build_s": t_build, "build_jax_events_s": build_events, "first": calls[0], "warm": calls[1:],
           "versions": {"pyhf": pyhf.__version__, "numpy": __import__("numpy").__version__,
                        "scipy": __import__("scipy").__version__}}
    if lib is not None:
        out["versions"][MODULES[req["backend"]]] = lib.__version__
    if req["backend"] == "tensorflow":
        import tensorflow_probability
        out["versions"]["tensorflow_probability"] = tensorflow_probability.__version__
    if req["backend"] == "jax":
        import jaxlib
        out["versions"]["jaxlib"] = jaxlib.__version__
    if req["backend"] == "pytorch":
        out["threads"] = lib.get_num_threads()
    if req.get("profile"):
        sys.path.insert(0, str(BENCH))
        from hfxbench.profile import classify  # the grouping docs/profiling.md's numpy table uses
        prof = cProfile.Profile()
        t = time.perf_counter()
        prof.runcall(once)
        out["profiled_s"] = time.perf_counter() - t
        out["profiled_counts"] = counts.take()
        out["cprofile"] = classify(pstats.Stats(prof), 1)
    return out


# ---- the orchestrator --------------------------------------------------------------------------------------------

def _run_child(python, req, timeout):
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(req, f)
    try:
        p = subprocess.run([python, str(Path(__file__).resolve()), "--child", f.name], capture_output=True, text=True,
                           timeout=timeout, cwd=str(BENCH))
    except subprocess.TimeoutExpired:
        return {"engine": "pyhf", "backend": req["backend"], "task": req["task"], "error": f"timed out ({timeout} s)"}
    finally:
        os.unlink(f.name)
    try:
        return json.loads(p.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {"engine": "pyhf", "backend": req["backend"], "task": req["task"],
                "error": f"exit {p.returncode}: {p.stderr.strip()[-600:]}"}


def _run_hfx(timeit, w, task, reps, timeout):
    cmd = [str(timeit), w["workspace"]] + sum((["-p", p] for p in w["patches"]), []) + [
        "--task", task, "--warmup", "1", "--min-reps", str(reps), "--max-reps", str(reps), "--min-time", "0"]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    try:
        doc = json.loads(p.stdout)
    except ValueError:
        return {"engine": "hfx", "task": task, "error": f"exit {p.returncode}: {p.stderr.strip()[-600:]}"}
    return {"engine": "hfx", "backend": "hfx", "task": task, "timeit": doc, "command": " ".join(cmd)}


def _workload(args):
    if args.workspace:  # another model (the smoke test's small one)
        return {"id": Path(args.workspace).name, "workspace": str(Path(args.workspace).resolve()),
                "patches": [str(Path(p).resolve()) for p in args.patch], "source": args.workspace}
    sys.path.insert(0, str(BENCH))
    from hfxbench import workloads as W
    w = W.sbottom(Path(args.cache), args.archive, regions=("RegionA",), grid=False)[0]
    return {"id": w.id, "workspace": w.workspace, "patches": list(w.patches), "source": w.source}


def _machine():
    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True).stdout.strip()
    except OSError:
        commit = ""
    return {"cpu": cpu, "cores": os.cpu_count(), "loadavg_start": list(os.getloadavg()), "commit": commit,
            "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "orchestrator_python": platform.python_version()}


def run(args):
    w = _workload(args)
    doc = {"workload": w, "machine": _machine(), "python": args.python, "repeat": args.repeat, "warm": args.warm,
           "warm_for": args.warm_for, "command": sys.argv,
           "runs": []}
    timeit = None if args.no_hfx else Path(args.hfx_timeit)
    if timeit is not None and not timeit.exists():
        print(f"profile_pyhf_backends: {timeit} not built; hfx left out", file=sys.stderr)
        timeit = None
    for r in range(args.repeat):
        for task in args.tasks:
            for b in args.backends:  # interleaved: every engine once per round
                res = _run_child(args.python, {"backend": b, "task": task, "warm": args.warm_for.get(b, args.warm),
                                               "workspace": w["workspace"],
                                               "patches": w["patches"], "profile": False}, args.timeout)
                res["round"] = r
                doc["runs"].append(res)
                _say(res)
            if timeit is not None:
                res = _run_hfx(timeit, w, task, max(args.warm, 5), args.timeout)
                res["round"] = r
                doc["runs"].append(res)
                _say(res)
    if not args.no_profile:
        for task in args.tasks:
            for b in args.profile_for or args.backends:
                if b not in args.backends or any(x.get("backend") == b and "error" in x for x in doc["runs"]):
                    continue
                res = _run_child(args.python, {"backend": b, "task": task, "warm": 1, "workspace": w["workspace"],
                                               "patches": w["patches"], "profile": True}, args.timeout)
                res["round"] = "cprofile"
                doc["runs"].append(res)
                _say(res)
    doc["machine"]["loadavg_end"] = list(os.getloadavg())
    return doc


def _say(res):
    if "error" in res:
        msg = res["error"].splitlines()[-1] if res["error"] else "error"
    elif res["engine"] == "hfx":
        msg = f"median {res['timeit']['timing']['median_s'] * 1e3:.3g} ms" if "timing" in res["timeit"] else "done"
    else:
        msg = f"first {res['first']['s']:.3g} s, warm " + ", ".join(f"{c['s']:.3g}" for c in res["warm"]) + " s"
    print(f"[{res.get('round')}] {res['engine']}-{res.get('backend')} {res['task']}: {msg}", file=sys.stderr, flush=True)


# ---- the summary -------------------------------------------------------------------------------------------------

def _t(s):
    if 0 < s < 1e-3:
        return f"{s * 1e6:.3g} µs"
    return f"{s * 1e3:.3g} ms" if s < 1 else f"{s:.3g} s"


def _spread(xs):
    xs = sorted(xs)
    return f"{_t(statistics.median(xs))} ({_t(xs[0])}–{_t(xs[-1])}, n={len(xs)})"


JAX_COMPILE_EVENTS = ("/jax/core/compile/jaxpr_trace_duration", "/jax/core/compile/jaxpr_to_mlir_module_duration",
                      "/jax/core/compile/backend_compile_duration")  # sequential stages of one compilation


def _jax_compile(events):
    return sum(events.get(k, 0.0) for k in JAX_COMPILE_EVENTS)


def summarise(doc):
    """Per (engine, task): medians and ranges, and the per-call shares, from a document `run` made."""
    rows = {}
    for res in doc["runs"]:
        if "error" in res or res.get("round") == "cprofile":
            continue
        key = (res.get("backend"), res["task"])
        row = rows.setdefault(key, {"first": [], "warm": [], "import": [], "build": [], "calls": []})
        if res["engine"] == "hfx":
            t = res["timeit"]
            row["warm"] += t["timing"]["samples_s"] if "samples_s" in t["timing"] else [t["timing"]["median_s"]]
            row["hfx"] = t
            continue
        row["first"].append(res["first"]["s"])
        row["import"].append(res["import_s"])
        row["build"].append(res["build_s"])
        row.setdefault("build_events", []).append(res.get("build_jax_events_s", {}))
        row["warm"] += [c["s"] for c in res["warm"]]
        row["calls"] += res["warm"]
        row.setdefault("firsts", []).append(res["first"])
        row["versions"] = res.get("versions", {})
    return rows


def markdown(doc):
    rows = summarise(doc)
    m = doc["machine"]
    versions = {}
    for r in rows.values():
        versions.update(r.get("versions", {}))
    out = [f"Generated by `bench/profile_pyhf_backends.py` on {m['cpu']}, {m['cores']} cores shared with other "
           f"sessions' builds (load average {m['loadavg_start'][0]:.1f} at the start, {m['loadavg_end'][0]:.1f} at "
           f"the end: times move by tens of percent, shares within a call much less), {m['date']}, hfx {m['commit']}; "
           f"{doc['repeat']} interleaved rounds, {doc['warm']} warm calls per process. pyhf's interpreter: "
           + ", ".join(f"{k} {v}" for k, v in sorted(versions.items())) + f". Workload `{doc['workload']['id']}`.", ""]
    errors = [r for r in doc["runs"] if "error" in r]
    tasks = [t for t in ("hypotest", "fit") if any(k[1] == t for k in rows)]
    engines = [b for b in BACKENDS + ("hfx",) if any(k[0] == b for k in rows)]
    for task in tasks:
        out += [f"**{task}** (" + ("one q̃ hypotest at μ = 1" if task == "hypotest" else "one free maximum-likelihood fit")
                + "; times per call: median (range, number of calls))", "",
                "| | " + " | ".join(engines) + " |", "|---" * (len(engines) + 1) + "|"]

        def line(label, f):
            cells = []
            for e in engines:
                r = rows.get((e, task))
                try:
                    cells.append(f(r, e) if r else "–")
                except (KeyError, ZeroDivisionError, statistics.StatisticsError, TypeError):
                    cells.append("–")
            out.append(f"| {label} | " + " | ".join(cells) + " |")

        def share(key):
            return lambda r, e: f"{100 * statistics.median(c[key] / c['s'] for c in r['calls']):.0f}%"
        line("warm call", lambda r, e: _spread(r["warm"]))
        line("first call in the process", lambda r, e: _spread(r["first"]) if e != "hfx" else "(no JIT; set-up below)")
        line("of which jax tracing + lowering + XLA compilation (`jax.monitoring`)", lambda r, e: _spread(
            [_jax_compile(f["jax_events_s"]) for f in r["firsts"]]) if e == "jax" else "–")
        line("jax tracing + compilation in a warm call", lambda r, e: _spread(
            [_jax_compile(c["jax_events_s"]) for c in r["calls"]]) if e == "jax" else "–")
        line("import of pyhf + backend / set-up", lambda r, e: _spread(r["import"]) if e != "hfx" else
             "parse {:.3g} ms, compile {:.3g} ms".format(r["hfx"]["phases"]["parse_s"] * 1e3,
                                                          r["hfx"]["phases"]["compile_s"] * 1e3))
        line("model build (Workspace, model, data)", lambda r, e: _spread(r["build"]) if e != "hfx" else "–")
        line("of which jax tracing + compilation", lambda r, e: _spread(
            [_jax_compile(x) for x in r["build_events"]]) if e == "jax" else "–")
        line("fits per call", lambda r, e: str(r["calls"][0]["fits"]) if e != "hfx" else
             f"{r['hfx']['work']['fits_per_call']:.0f}")
        line("objective evaluations per call (numpy: values; the others and hfx: value + gradient)", lambda r, e: f"{statistics.median(c['objective_calls'] for c in r['calls']):.0f}"
             if e != "hfx" else f"{r['hfx']['work']['backend_calls_per_call']:.0f}")
        line("time per objective evaluation (hfx: the whole call / evaluations)", lambda r, e: _t(statistics.median(c["objective_s"] / c["objective_calls"]
                                                                               for c in r["calls"])) if e != "hfx"
             else _t(statistics.median(r["warm"]) / r["hfx"]["work"]["backend_calls_per_call"]))
        line("share: objective (likelihood + gradient, via pyhf's shims)", lambda r, e: share("objective_s")(r, e)
             if e != "hfx" else "–")
        line("share: optimizer (SLSQP + scipy's Python)", lambda r, e: f"{100 * statistics.median((c['minimize_s'] - c['objective_s']) / c['s'] for c in r['calls']):.0f}%"
             if e != "hfx" else "–")
        line("share: outside the fits (pyhf's set-up, asymptotics)", lambda r, e: f"{100 * statistics.median(1 - c['minimize_s'] / c['s'] for c in r['calls']):.0f}%"
             if e != "hfx" else "–")
        line("result", lambda r, e: f"{r['calls'][0]['value']:.6g}" if e != "hfx" else f"{r['hfx']['result']['value']:.6g}")
        out.append("")
    prof = [r for r in doc["runs"] if r.get("round") == "cprofile" and "cprofile" in r]
    if prof:
        groups = []
        for p in prof:
            for g in p["cprofile"]["groups_s"]:
                if g not in groups:
                    groups.append(g)
        out += ["**cProfile of one warm call** (own time, share of the profiled total; the profiler inflates "
                "Python-heavy code, so shares matter more than totals)", "",
                "| where | " + " | ".join(f"{p['backend']} {p['task']}" for p in prof) + " |",
                "|---" * (len(prof) + 1) + "|"]
        for g in groups:
            cells = []
            for p in prof:
                v = p["cprofile"]["groups_s"].get(g, 0.0)
                cells.append(f"{_t(v)} ({100 * v / p['cprofile']['total_s']:.0f}%)" if v >= 5e-4 else "–")
            out.append(f"| {g} | " + " | ".join(cells) + " |")
        out.append("| **total under cProfile** | " + " | ".join(_t(p["cprofile"]["total_s"]) for p in prof) + " |")
        out.append("")
    for e in errors:
        out.append(f"- {e['engine']}-{e.get('backend')} {e['task']}: failed: {e['error'][-300:]}")
    return "\n".join(out) + "\n"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--backends", default=",".join(BACKENDS), help="comma-separated pyhf backends (%(default)s)")
    ap.add_argument("--tasks", default="hypotest,fit", help="comma-separated: hypotest, fit (%(default)s)")
    ap.add_argument("--repeat", type=int, default=3, help="interleaved rounds (%(default)s)")
    ap.add_argument("--warm", type=int, default=2, help="warm calls per process after the first (%(default)s)")
    ap.add_argument("--warm-for", action="append", default=[], metavar="BACKEND=N",
                    help="another number of warm calls for one backend (tensorflow=1: its calls are slow)")
    ap.add_argument("--profile-for", help="comma-separated backends to run under cProfile (all)")
    ap.add_argument("--python", default=sys.executable, help="interpreter with pyhf and the backends (this one)")
    ap.add_argument("--hfx-timeit", default=str(ROOT / "build" / "hfx-timeit"), help="hfx's timer (%(default)s)")
    ap.add_argument("--no-hfx", action="store_true", help="leave hfx out")
    ap.add_argument("--no-profile", action="store_true", help="skip the cProfile pass")
    ap.add_argument("--timeout", type=float, default=900, help="seconds per process (%(default)s)")
    ap.add_argument("--cache", default=str(BENCH / ".cache"), help="where the sbottom archive is unpacked")
    ap.add_argument("--archive", help="the sbottom archive (default: hfxbench's search: scikit-hep-testdata, ../shared)")
    ap.add_argument("--workspace", help="profile this workspace instead of the sbottom point")
    ap.add_argument("-p", "--patch", action="append", default=[], help="a JSON patch for --workspace (repeatable)")
    ap.add_argument("--out", help="write the JSON document here (default: standard output)")
    ap.add_argument("--from", dest="source", help="summarise this JSON document instead of running")
    ap.add_argument("--markdown", action="store_true", help="print the markdown tables")
    ap.add_argument("--into", help="put the tables between <!-- backends:begin --> and <!-- backends:end --> here")
    args = ap.parse_args(argv)
    if args.child:
        try:
            out = _child(json.loads(Path(args.child).read_text()))
        except Exception as e:  # recorded in the document with the message: a backend that is not installed
            req = json.loads(Path(args.child).read_text())
            out = {"engine": "pyhf", "backend": req["backend"], "task": req["task"], "error": f"{type(e).__name__}: {e}"[:1000]}
        print(json.dumps(out))
        return 0
    args.backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    args.tasks = [t.strip() for t in args.tasks.split(",") if t.strip()]
    try:
        args.warm_for = {k: int(v) for k, v in (x.split("=", 1) for x in args.warm_for)}
    except ValueError:
        ap.error("--warm-for takes BACKEND=N")
    args.profile_for = [b.strip() for b in args.profile_for.split(",")] if args.profile_for else None
    bad = [b for b in args.backends + list(args.warm_for) + (args.profile_for or []) if b not in BACKENDS] + [t for t in args.tasks if t not in ("hypotest", "fit")]
    if bad:
        ap.error(f"unknown backend or task: {', '.join(bad)}")
    doc = json.loads(Path(args.source).read_text()) if args.source else run(args)
    if not args.source:
        text = json.dumps(doc, indent=1)
        if args.out:
            Path(args.out).write_text(text + "\n")
        elif not args.markdown:
            print(text)
    if args.markdown:
        print(markdown(doc), end="")
    if args.into:  # as `hfx-bench profile --into` does for its own markers
        text = Path(args.into).read_text()
        begin, end = "<!-- backends:begin -->\n", "<!-- backends:end -->"
        if begin not in text or end not in text:
            ap.error(f"{args.into} has no {begin.strip()} ... {end} markers")
        head, rest = text.split(begin, 1)
        Path(args.into).write_text(head + begin + markdown(doc) + "\n" + end + rest.split(end, 1)[1])
    return 0


if __name__ == "__main__":
    sys.exit(main())
