"""hfx's Python module (python/hfx) as a benchmark engine, `hfx-python`: what a pyhf user calls, in a worker
process, on the reference backend with one thread, so that its times divided by those of `hfx-cpu-ref`
(the C timer, tools/hfx-timeit, on the same cases of the same run) are the module's overhead: argument
checks, array conversion, the extension's call and result objects (report.py's overhead table).

Each task is the module's call for what hfx-timeit times in C: twice_nll at the init (nll, grad),
twice_nll_batch at hfxbench.points (nll-batch), infer.mle.fit (fit), infer.hypotest (hypotest; toys:
toybased), intervals.upper_limits.upper_limit (upper-limit), hfx.scan over the patches with one job
(grid: workspace parsing included, as `hfx scan` is timed as a whole process)."""
import numpy as np

from . import Unsupported, needs_poi
from ..points import batch_points

BACKEND, THREADS = "cpu-ref", 1


def versions():
    from .hfx import git_commit
    return {"hfx": git_commit(), "numpy": np.__version__}


def device(options):
    return "cpu"


def peak_device_memory(options):
    return None


def prepare(options, workload, task):
    import hfx
    name = task["name"]
    why = needs_poi(workload.get("no_poi"), name)
    if why:
        raise Unsupported(why)
    if name == "grid":
        return _grid(hfx, workload)
    ws = hfx.Workspace(workload["spec"])
    model = ws.model(poi_name=None, backend=BACKEND, threads=THREADS) if workload.get("no_poi") else \
        ws.model(backend=BACKEND, threads=THREADS)
    data = ws.data(model)
    init = np.array(model.config.suggested_init())
    if name == "nll":
        return lambda: {"quantity": "twice_nll", "value": model.twice_nll(init, data)}
    if name == "grad":
        def once():
            value, grad = model.twice_nll(init, data, return_grad=True)
            return {"quantity": "twice_nll", "value": value, "extra": {"grad_l2": float(np.linalg.norm(grad))}}
        return once
    if name == "nll-batch":
        cfg = model.config
        lower, upper = zip(*cfg.suggested_bounds())
        pts = np.array(batch_points(init, lower, upper, cfg.suggested_fixed(), int(task["batch"])))
        return lambda: {"quantity": "sum_twice_nll", "value": float(model.twice_nll_batch(pts, data).sum())}
    if name == "fit":
        def once():
            _, twice_nll = hfx.infer.mle.fit(data, model, return_fitted_val=True)
            return {"quantity": "twice_nll", "value": float(twice_nll)}
        return once
    if name in ("hypotest", "toys"):
        mu = float(task.get("poi", 1.0))
        kw = {"calctype": "toybased", "ntoys": int(task["toys"]), "seed": int(task.get("seed", 0))} \
            if name == "toys" else {}

        def once():
            obs, exp = hfx.infer.hypotest(mu, data, model, test_stat="qtilde", return_expected_set=True, **kw)
            return {"quantity": "CLs_obs", "value": float(obs), "extra": {"CLs_exp": [float(e) for e in exp]}}
        return once
    if name == "upper-limit":
        def once():
            obs, _ = hfx.infer.intervals.upper_limits.upper_limit(data, model, level=0.05)
            return {"quantity": "mu_up_obs", "value": float(obs)}
        return once
    raise Unsupported(f"unknown task {name!r}")


def _grid(hfx, workload):
    grid = workload["grid"]
    patches = workload["grid_patches"]

    def once():
        values = {r.name: r.cls_obs for r in hfx.scan(grid["background"], patches, jobs=THREADS, backend=BACKEND)}
        return {"quantity": "CLs_obs", "value": float(len(values)), "values": values}
    return once
