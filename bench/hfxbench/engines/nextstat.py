"""NextStat (the `nextstat` package: a Rust HistFactory implementation with Python bindings) as a
benchmark engine.

What each task calls (model: nextstat.from_pyhf(json.dumps(spec)), built outside the timed call):

  nll          model.nll(x) at pyhf's suggested init, mapped by parameter name;
               twice_nll = 2 * model.nll(x)
  grad         model.nll(x) and model.grad_nll(x); grad_l2 = |2 * grad_nll(x)| (the gradient of
               twice_nll, all parameters, fixed ones included)
  nll-batch    sum of 2 * model.nll(x) over the points of hfxbench.points.batch_points, one call per
               point (NextStat has no batched NLL evaluation in Python)
  fit          MaximumLikelihoodEstimator().fit_minimum(model): the minimum without the Hessian, as
               pyhf.infer.mle.fit; options {"fit": "full"} uses nextstat.fit (adds covariance)
  hypotest     nextstat.hypotest(mu, model, return_tail_probs=True) (asymptotic, qtilde); CLs_exp is
               derived from the returned CLs+b and CLb (see _expected_set)
  upper-limit  nextstat.upper_limit(model, method="root") (observed and the five expected limits, as
               pyhf's upper_limit(scan=None) does; rtol 1e-4 as pyhf's toms748_scan);
               options {"ul_method": "bisect"} asks for the observed limit alone
  toys         nextstat.hypotest_toys(mu, model, n_toys, seed, expected_set=True, return_meta=True)
  grid         per patch: jsonpatch.apply_patch, nextstat.from_pyhf, nextstat.hypotest(mu, model)
  ranking      nextstat.ranking(model) (pre-fit impacts only); profile-scan: nextstat.profile_scan(model,
               mu_values, return_curve=True) (the POI only); significance: not in NextStat's API

Conventions, checked against pyhf 0.7.6 (numpy backend):
  - HistFactoryModel.nll is the full negative log-likelihood, constraint terms and all constants
    (log Gamma terms) included: 2 * nll equals pyhf.infer.mle.twice_nll to ~1e-12 relative, so the
    only conversion is the factor 2.
  - NextStat's parameter order is not pyhf's (model.config.par_order: POI first in NextStat, then
    its own grouping); names are the same, pyhf-style ("staterror_SR[0]"). The evaluation tasks
    take their points in pyhf's layout (the batch points depend on the position j of a parameter)
    and map them by name. pyhf's layout is read in a subprocess, so that pyhf, numpy and scipy do
    not count in this engine's peak memory.
  - NextStat always makes a POI parameter: for a background-only workspace (workload "no_poi") the
    measurement's POI, absent from every sample, becomes a free parameter that enters no term of
    the likelihood (a flat direction, gradient 0); it stays at its init in the evaluation tasks and
    does not change the fit's minimum. Tasks that need a POI are Unsupported there.
  - fit: NextStat's default tolerance (1e-6) stops ~1e-6 in twice_nll above pyhf's minimum on
    sbottom_1300_205_60; with tol 1e-8 it ends below pyhf's (pyhf's SLSQP stops ~7e-7 above the
    minimum). options {"tol", "max_iter", "m", "smooth_bounds"} go to MaximumLikelihoodEstimator.
  - Its bounded L-BFGS can stop early and still say "Solver converged": on 22 of the 217 sbottom
    RegionA patches the free fit from the default init ends 0.005 to 49 above the minimum in
    twice_nll (sbottom_400_280_150: 157.23 against pyhf's 107.81, so hypotest gives CLs 1.0 where
    pyhf gives 7.8e-10; sbottom_1300_1250_60 and sbottom_1200_200_70: |dCLs| 0.022). smooth_bounds
    =True finds the minimum in the fit task, but hypotest, upper_limit and hypotest_toys take no
    estimator settings, so those tasks (and the grid) show NextStat's defaults as they are.

Toys are NOT pyhf's toys, so their quantity is named "CLs_obs_fixed_aux", not "CLs_obs":
NextStat's hypotest_toys fluctuates the main-bin counts only and keeps the auxiliary data
(constraint observations) at their observed values, whereas pyhf samples the full model, auxdata
included; its tail probabilities are (k + 1) / (N + 1) where pyhf's are k / N; toy i uses seed
seed + i, so seeds 0 and 1 share N - 1 toys. On pyhf's simple model (signal 30, background
100 +- 10, data 120, 5 bins) 2000 toys give CLs 0.156 against pyhf's 0.058 (asymptotic 0.066): a
different ensemble, not a fluctuation. The NextStat Python API has no way to set auxiliary data
(with_observed_main changes main bins only), so pyhf's ensemble cannot be rebuilt from it.

Threads: NextStat parallelises with a global Rayon pool (all logical CPUs unless RAYON_NUM_THREADS
is set), used here by the toys only (likelihood evaluations, fits, hypotests and limits run on the
calling thread). options {"threads": n} sets the pool with nextstat.set_threads(n), which works once
per process, before the pool's first use (a fresh worker process: prepare calls it first).
options {"eval_mode": "parity"} selects NextStat's Kahan-summation mode (default "fast").

GPU: the PyPI wheel is built without CUDA (nextstat.has_cuda() False, RawCudaModel None). A CUDA
build takes device="cuda" in fit, fit_toys, profile_scan and ranking only; here options
{"device": "cuda"} runs the fit task with nextstat.fit(model, device="cuda") when has_cuda() is
True, and is Unsupported otherwise.
"""
import copy
import json
import math
import os
import subprocess
import sys
from statistics import NormalDist

from . import Unsupported
from ..points import batch_points

_NSIGMA = (2, 1, 0, -1, -2)  # pyhf's order of the expected set
_NO_POI_NAME = "__hfxbench_no_poi__"


def _ns():
    try:
        import nextstat
    except ImportError as e:
        raise Unsupported(f"nextstat is not installed ({e})")
    return nextstat


def versions():
    try:
        import nextstat
    except ImportError:
        return {"nextstat": None}
    return {"nextstat": nextstat.__version__}


def _wants_gpu(options):
    return str(options.get("device", "cpu")).lower() not in ("cpu", "")


def _has_cuda():
    try:
        import nextstat
        return bool(nextstat.has_cuda())
    except Exception:
        return False


def device(options):
    if _wants_gpu(options) and _has_cuda():
        from ..environment import gpus
        found = gpus()
        return found[0]["name"] if found else "cuda"
    return "cpu"


def peak_device_memory(options):
    return None


# ---------------------------------------------------------------------------------------------

def _configure(ns, options):
    """Thread pool and evaluation mode; returns what was set, for the results' extra."""
    info = {}
    threads = options.get("threads")
    if threads:  # None or 0: NextStat's default
        applied = bool(ns.set_threads(int(threads)))
        if not applied:
            raise RuntimeError(f"nextstat.set_threads({threads}) was not applied (Rayon pool already built)")
        info["threads"] = int(threads)
    else:
        env = os.environ.get("RAYON_NUM_THREADS")
        ncpu = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        info["threads"] = f"default ({'RAYON_NUM_THREADS=' + env if env else f'{ncpu} logical CPUs'})"
    mode = options.get("eval_mode")
    if mode is not None:
        ns.set_eval_mode(str(mode))
    info["eval_mode"] = ns.get_eval_mode()
    return info


def _spec_for_nextstat(spec, no_poi):
    """NextStat needs a "poi" in the measurement; a background-only workspace may have none."""
    if no_poi and any("poi" not in m.get("config", {}) for m in spec.get("measurements", [])):
        spec = copy.deepcopy(spec)
        for m in spec["measurements"]:
            m.setdefault("config", {}).setdefault("poi", _NO_POI_NAME)
    return spec


def _build(ns, spec, no_poi=False):
    return ns.from_pyhf(json.dumps(_spec_for_nextstat(spec, no_poi)))


_PYHF_LAYOUT = r"""
import json, sys
import pyhf
pyhf.set_backend("numpy")
req = json.load(sys.stdin)
ws = pyhf.Workspace(req["spec"])
model = ws.model(poi_name=None) if req["no_poi"] else ws.model()
c = model.config
names = c.par_names() if callable(c.par_names) else c.par_names
json.dump({"pyhf": pyhf.__version__, "names": list(names),
           "init": [float(v) for v in c.suggested_init()],
           "bounds": [[float(a), float(b)] for a, b in c.suggested_bounds()],
           "fixed": [bool(v) for v in c.suggested_fixed()]}, sys.stdout)
"""


def _pyhf_layout(spec, no_poi):
    """pyhf's parameter layout (names, init, bounds, fixed), from a subprocess; None without pyhf."""
    r = subprocess.run([sys.executable, "-c", _PYHF_LAYOUT], input=json.dumps({"spec": spec, "no_poi": bool(no_poi)}),
                       capture_output=True, text=True, env={**os.environ, "OMP_NUM_THREADS": "1",
                                                            "OPENBLAS_NUM_THREADS": "1"})
    if r.returncode != 0:
        if "No module named 'pyhf'" in r.stderr:
            return None
        raise RuntimeError(f"pyhf layout subprocess failed: {r.stderr.strip()[-1500:]}")
    return json.loads(r.stdout)


def _mapper(model, layout):
    """pyhf-ordered point -> NextStat-ordered list, by parameter name; NextStat-only parameters
    (the POI NextStat makes for a background-only workspace) stay at NextStat's init."""
    ns_names = list(model.parameter_names())
    pos = {n: i for i, n in enumerate(ns_names)}
    missing = [n for n in layout["names"] if n not in pos]
    if missing:
        raise RuntimeError(f"parameters of pyhf's model missing in NextStat's: {missing[:10]}")
    base = [float(v) for v in model.suggested_init()]
    idx = [pos[n] for n in layout["names"]]

    def to_ns(point):
        x = list(base)
        for i, v in zip(idx, point):
            x[i] = float(v)
        return x
    return to_ns


def _init_point(model, layout):
    if layout is None:
        return [float(v) for v in model.suggested_init()], {"point": "nextstat suggested_init (pyhf not available)"}
    to_ns = _mapper(model, layout)
    x = to_ns(layout["init"])
    own = dict(zip(model.parameter_names(), model.suggested_init()))
    d = max(abs(own[n] - v) for n, v in zip(layout["names"], layout["init"]))
    return x, {"point": "pyhf suggested_init, mapped by name", "init_max_abs_diff_vs_nextstat": d}


_N01 = NormalDist()


def _sf(x):
    return 0.5 * math.erfc(x / math.sqrt(2.0))


def _expected_set(clsb, clb):
    """pyhf's asymptotic expected CLs set from the observed CLs+b and CLb.

    With pyhf's (and NextStat's) asymptotics, qtilde, base distribution "normal":
    CLs+b = sf(t + sqrt(q_A)), CLb = sf(t), so sqrt(q_A) = isf(CLs+b) - isf(CLb), and the expected
    CLs at n sigma is sf(n + sqrt(q_A)) / sf(n), n = 2, 1, 0, -1, -2. Exact algebra on NextStat's
    own output (no further fit); agrees with nextstat.cls_curve's expected band to ~1e-11.
    None when a tail probability is 0 or 1 (the inversion is undefined)."""
    if not (0.0 < clsb < 1.0 and 0.0 < clb < 1.0):
        return None
    sqrt_qa = -_N01.inv_cdf(clsb) + _N01.inv_cdf(clb)
    return [_sf(n + sqrt_qa) / _sf(n) for n in _NSIGMA]


# ---------------------------------------------------------------------------------------------

def prepare(options, workload, task):
    ns = _ns()
    info = _configure(ns, options)
    name = task["name"]
    gpu = _wants_gpu(options)
    if gpu:
        if not ns.has_cuda():
            raise Unsupported("this nextstat build has no CUDA support (nextstat.has_cuda() is False)")
        if name != "fit":
            raise Unsupported(f"NextStat's Python API takes device='cuda' only in fit/fit_toys/profile_scan/"
                              f"ranking, not for the {name} task")

    if name == "grid":
        return _prepare_grid(ns, workload, task, info)

    spec = workload["spec"]
    no_poi = bool(workload.get("no_poi"))
    if no_poi and name in ("hypotest", "upper-limit", "toys", "ranking", "profile-scan", "significance"):
        raise Unsupported(f"{name} needs a POI; the workspace is background-only")
    model = _build(ns, spec, no_poi)

    if name in ("ranking", "profile-scan", "significance"):
        return _prepare_workflow(ns, model, task, info)

    if name in ("nll", "grad", "nll-batch"):
        layout = _pyhf_layout(spec, no_poi)
        if name == "nll-batch":
            if layout is None:
                raise Unsupported("the batch points are defined in pyhf's parameter order; pyhf is not installed")
            lower = [b[0] for b in layout["bounds"]]
            upper = [b[1] for b in layout["bounds"]]
            to_ns = _mapper(model, layout)
            xs = [to_ns(p) for p in batch_points(layout["init"], lower, upper, layout["fixed"], int(task["batch"]))]
            extra = {**info, "points": len(xs), "point_layout": "pyhf par_order, mapped by name"}
            nll = model.nll

            def once():
                # 2 * NextStat's NLL = pyhf's twice_nll (NextStat's NLL keeps every constant)
                return {"quantity": "sum_twice_nll", "value": 2.0 * sum(nll(x) for x in xs), "extra": extra}
            return once

        x, point_info = _init_point(model, layout)
        extra = {**info, **point_info}
        nll, grad = model.nll, model.grad_nll
        if name == "nll":
            def once():
                return {"quantity": "twice_nll", "value": 2.0 * nll(x), "extra": extra}
            return once

        def once():
            v = 2.0 * nll(x)
            g = grad(x)
            return {"quantity": "twice_nll", "value": v,
                    "extra": {**extra, "grad_l2": 2.0 * math.sqrt(sum(c * c for c in g))}}
        return once

    if name == "fit":
        # MaximumLikelihoodEstimator settings (NextStat's defaults unless given): tol, max_iter,
        # m (L-BFGS memory), smooth_bounds
        mle_kw = {k: options[k] for k in ("tol", "max_iter", "m", "smooth_bounds") if k in options}
        if gpu:
            def once():
                r = ns.fit(model, device="cuda")
                return {"quantity": "twice_nll", "value": float(r.twice_nll),
                        "extra": {**info, "converged": bool(r.converged), "n_iter": int(r.n_iter), "call": "fit(device=cuda)"}}
            return once
        if options.get("fit") == "full":
            mle = ns.MaximumLikelihoodEstimator(**mle_kw)

            def once():
                r = mle.fit(model)
                return {"quantity": "twice_nll", "value": float(r.twice_nll),
                        "extra": {**info, **mle_kw, "converged": bool(r.converged), "n_iter": int(r.n_iter), "call": "fit (with covariance)"}}
            return once
        mle = ns.MaximumLikelihoodEstimator(**mle_kw)

        def once():
            r = mle.fit_minimum(model)
            return {"quantity": "twice_nll", "value": 2.0 * float(r.nll),
                    "extra": {**info, **mle_kw, "converged": bool(r.converged), "n_iter": int(r.n_iter), "call": "fit_minimum"}}
        return once

    if name == "hypotest":
        mu = float(task.get("poi", 1.0))

        def once():
            cls, (clsb, clb) = ns.hypotest(mu, model, return_tail_probs=True)
            exp = _expected_set(clsb, clb)
            if exp is None:  # degenerate tail probabilities: NextStat's own expected band instead
                exp = [row[0] for row in ns.cls_curve(model, [mu, mu])["cls_exp"]]
            return {"quantity": "CLs_obs", "value": float(cls),
                    "extra": {**info, "CLs_exp": exp, "CLsb": clsb, "CLb": clb}}
        return once

    if name == "upper-limit":
        method = options.get("ul_method", "root")
        if method not in ("root", "bisect"):
            raise Unsupported(f"unknown ul_method {method!r}")

        def once():
            r = ns.upper_limit(model, method=method, alpha=0.05)
            if method == "root":
                obs, exp = r
                return {"quantity": "mu_up_obs", "value": float(obs),
                        "extra": {**info, "mu_up_exp": [float(v) for v in exp], "method": method}}
            return {"quantity": "mu_up_obs", "value": float(r), "extra": {**info, "method": method}}
        return once

    if name == "toys":
        mu = float(task.get("poi", 1.0))
        n_toys = int(task["toys"])
        seed = int(task.get("seed", 0))

        def once():
            r = ns.hypotest_toys(mu, model, n_toys=n_toys, seed=seed, expected_set=True, return_meta=True)
            keep = ("clsb", "clb", "q_obs", "mu_hat", "n_toys_b", "n_toys_sb", "n_error_b", "n_error_sb",
                    "n_nonconverged_b", "n_nonconverged_sb")
            return {"quantity": "CLs_obs_fixed_aux", "value": float(r["cls"]),
                    "extra": {**info, "CLs_exp": r.get("expected"), **{k: r[k] for k in keep if k in r},
                              "note": "NextStat toys: main bins fluctuated, auxdata fixed; (k+1)/(N+1) tails"}}
        return once

    raise Unsupported(f"unknown task {name!r}")


def _prepare_workflow(ns, model, task, info):
    """nextstat.ranking(model): the POI's shift with each nuisance parameter moved by +- its prior
    width (delta_mu_up/down, "shifted +-1 sigma", with "constraint" the prior width, per nextstat's
    interpret.py): compared with the pre-fit impacts of cabinetry and hfx (on the smoke model they
    agree with hfx's to 1e-8; NextStat gives no post-fit impacts); nextstat.profile_scan(model, mu_values): -2 Delta ln L along the POI
    (its twice_delta_nll; the POI only, so no 2-D scan). NextStat has no discovery (q0) test."""
    from .cabinetry import largest, parse_range, ranking_values, scan_values
    name = task["name"]
    if name == "significance":
        raise Unsupported("NextStat's Python API has no discovery test (q0 at mu = 0)")
    if name == "ranking":
        def once():
            rows = [{"name": r["name"], "prefit_up": r["delta_mu_up"], "prefit_down": r["delta_mu_down"]}
                    for r in ns.ranking(model)]
            return {"quantity": "impacts", "value": largest(rows), "values": ranking_values(rows),
                    "extra": {**info, "n_parameters": len(rows)}}
        return once
    if task.get("par2") or task.get("par"):
        raise Unsupported("nextstat.profile_scan scans the POI only (no other parameter, no 2-D grid)")
    lo, hi, n = parse_range(task["range"])
    mus = [lo + (hi - lo) * i / (n - 1) for i in range(n)] if n > 1 else [lo]

    def once():
        r = ns.profile_scan(model, mus, return_curve=True)
        pts = [{"values": [m], "delta_twice_nll": float(d)} for m, d in zip(r["mu_values"], r["twice_delta_nll"])]
        return {"quantity": "delta_twice_nll_last", "value": pts[-1]["delta_twice_nll"], "values": scan_values(pts),
                "extra": {**info, "mu_hat": float(r["mu_hat"])}}
    return once


def _prepare_grid(ns, workload, task, info):
    import jsonpatch
    background = workload["background"]
    patches = workload["grid_patches"]
    mu = float(task.get("poi", 1.0))

    def once():
        values = {}
        for pname, ops in patches:
            spec = jsonpatch.apply_patch(background, ops)
            model = ns.from_pyhf(json.dumps(spec))
            values[pname] = float(ns.hypotest(mu, model))
        return {"quantity": "CLs_obs", "value": len(values), "values": values, "extra": info}
    return once
