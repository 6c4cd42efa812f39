"""pyhf 0.7.6 as a benchmark engine: any of its four backends (numpy, jax, pytorch, tensorflow) in
64-bit precision, with the scipy (SLSQP) or the minuit optimizer, each case in a worker process.

What each task times is what a pyhf user calls: `pyhf.infer.mle.twice_nll` (nll), the objective and
gradient function pyhf's optimizers call on every step, built by `pyhf.optimize.common.shim` (grad:
jit-compiled on jax, autodiff on torch and tensorflow; numpy has none), a batched model's logpdf
(nll-batch), `pyhf.infer.mle.fit`, `pyhf.infer.hypotest` (asymptotic q~, or toy-based), and
`toms748_scan` for upper limits with the bracket hfx uses (the POI's bounds, a lower bound of 0
replaced by upper/100: pyhf's own `upper_limit()` evaluates CLs at mu = 0, where it is 0/0),
a whole `pyhf cls` process (command), and whole `pyhf json2xml` / `pyhf xml2json` processes. Results are converted to Python floats inside the timed call, so lazy or asynchronous backends
finish their work before the clock stops."""
import json

import numpy as np

from . import Unsupported, installed_versions, needs_poi
from ..points import batch_points

OPTIMIZER_FREE_TASKS = ("nll", "grad", "nll-batch")


def versions():
    return installed_versions("pyhf", "numpy", "scipy", "iminuit", "jax", "jaxlib", "torch", "tensorflow",
                              "tensorflow-probability")


def _gpu_name(backend):
    try:
        if backend == "jax":
            import jax
            d = jax.devices()[0]
            return None if d.platform == "cpu" else getattr(d, "device_kind", d.platform)
        if backend == "pytorch":
            import torch
            return torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
        if backend == "tensorflow":
            import tensorflow as tf
            gpus = tf.config.list_physical_devices("GPU")
            return gpus[0].name if gpus else None
    except Exception:
        return None
    return None


def device(options):
    return _gpu_name(options["backend"]) or "cpu"


def peak_device_memory(options):
    backend = options["backend"]
    try:
        if backend == "pytorch":
            import torch
            return int(torch.cuda.max_memory_allocated()) if torch.cuda.is_available() else None
        if backend == "jax":
            import jax
            d = jax.devices()[0]
            return None if d.platform == "cpu" else int(d.memory_stats().get("peak_bytes_in_use", 0))
        if backend == "tensorflow":
            import tensorflow as tf
            return int(tf.config.experimental.get_memory_info("GPU:0")["peak"]) if _gpu_name(backend) else None
    except Exception:
        return None
    return None


def _setup(options):
    import pyhf
    backend, optimizer = options["backend"], options.get("optimizer", "scipy")
    if optimizer == "scipy":
        opt = pyhf.optimize.scipy_optimizer()
    elif optimizer == "minuit":
        opt = pyhf.optimize.minuit_optimizer()
    else:
        raise ValueError(f"unknown optimizer {optimizer!r}")
    try:
        pyhf.set_backend(backend, opt, precision="64b")
    except Exception as e:  # backend not installed (pyhf raises its own InvalidBackend)
        raise Unsupported(f"pyhf backend {backend} cannot be set up: {e}") from e
    if backend == "pytorch" and options.get("device") == "gpu":
        import torch
        if not torch.cuda.is_available():
            raise Unsupported("no CUDA device for torch")
        torch.set_default_device("cuda")
    return pyhf


def _model(pyhf, spec, workload, batch_size=None):
    ws = pyhf.Workspace(spec)
    kwargs = {"poi_name": None} if workload.get("no_poi") else {}
    model = ws.model(batch_size=batch_size, **kwargs)
    return ws, model, ws.data(model)


def _scalar(tensorlib, x):
    return float(np.asarray(tensorlib.tolist(x)).reshape(-1)[0])


def _hypotest(pyhf, mu, data, model, **kw):
    obs, exp = pyhf.infer.hypotest(mu, data, model, test_stat="qtilde", return_expected_set=True, **kw)
    tl = pyhf.tensorlib
    return {"quantity": "CLs_obs", "value": _scalar(tl, obs), "extra": {"CLs_exp": [_scalar(tl, e) for e in exp]}}


def prepare(options, workload, task):
    name = task["name"]
    if options.get("optimizer", "scipy") != "scipy" and name in OPTIMIZER_FREE_TASKS:
        raise Unsupported("this task runs no optimizer: see the same backend with scipy")
    why = needs_poi(workload.get("no_poi"), name)
    if why:
        raise Unsupported(why)
    if name == "command":
        return _command(options, workload)
    if name in ("json2xml", "xml2json"):
        return _convert(options, workload, name)
    pyhf = _setup(options)
    tl = pyhf.tensorlib
    if name == "grid":
        return _grid(pyhf, workload)
    ws, model, data = _model(pyhf, workload["spec"], workload)
    init = model.config.suggested_init()
    if name == "nll":
        pars, d = tl.astensor(init), tl.astensor(data)
        return lambda: {"quantity": "twice_nll", "value": _scalar(tl, pyhf.infer.mle.twice_nll(pars, d, model))}
    if name == "grad":
        if options["backend"] == "numpy":
            raise Unsupported("the numpy backend has no automatic differentiation (its fits use finite differences)")
        from pyhf.optimize.common import shim
        kwargs, _ = shim(pyhf.infer.mle.twice_nll, data, model, init,
                                             model.config.suggested_bounds(), do_grad=True)
        func, x0 = kwargs["func"], np.asarray(init, dtype=float)

        def once():
            value, grad = func(x0)
            return {"quantity": "twice_nll", "value": float(np.asarray(value).reshape(-1)[0]),
                    "extra": {"grad_l2": float(np.linalg.norm(np.asarray(grad)))}}
        return once
    if name == "nll-batch":
        n = int(task["batch"])
        _, bmodel, _ = _model(pyhf, workload["spec"], workload, batch_size=n)
        cfg = model.config
        lower, upper = zip(*cfg.suggested_bounds())
        pts = tl.astensor(batch_points(init, lower, upper, cfg.suggested_fixed(), n))
        d = tl.astensor(data)

        def once():
            values = np.asarray(tl.tolist(bmodel.logpdf(pts, d))).reshape(-1)
            return {"quantity": "sum_twice_nll", "value": float(-2.0 * values.sum())}
        return once
    if name == "fit":
        def once():
            _, twice_nll = pyhf.infer.mle.fit(data, model, return_fitted_val=True)
            return {"quantity": "twice_nll", "value": _scalar(tl, twice_nll)}
        return once
    if name == "hypotest":
        mu = float(task.get("poi", 1.0))
        return lambda: _hypotest(pyhf, mu, data, model)
    if name == "toys":
        mu, n, seed = float(task.get("poi", 1.0)), int(task["toys"]), int(task.get("seed", 0))

        def once():
            np.random.seed(seed)  # the numpy backend's sampler; the others seed from it or their own state
            return _hypotest(pyhf, mu, data, model, calctype="toybased", ntoys=n, track_progress=False)
        return once
    if name == "upper-limit":
        lo, hi = model.config.suggested_bounds()[model.config.poi_index]
        lo = hi / 100 if lo <= 0 else lo
        from pyhf.infer.intervals.upper_limits import toms748_scan

        def once():
            obs, _ = toms748_scan(data, model, lo, hi, level=0.05)
            return {"quantity": "mu_up_obs", "value": float(obs)}
        return once
    raise Unsupported(f"unknown task {name!r}")


def _command(options, workload):
    """One whole `pyhf cls WS --patch P` process (its defaults: numpy, scipy, q~ at mu = 1, asymptotics):
    Python's start-up and pyhf's import included, as a user runs it."""
    import subprocess
    import sys
    if options["backend"] != "numpy" or options.get("optimizer", "scipy") != "scipy" or options.get("device") == "gpu":
        raise Unsupported("the command task runs `pyhf cls` with its defaults (numpy, scipy): see pyhf-numpy-scipy")
    if not workload.get("workspace") or workload.get("no_poi"):
        raise Unsupported("the command task is `pyhf cls` on a model with a POI")
    args = [sys.executable, "-c", "from pyhf.cli import cli; cli()", "cls", workload["workspace"]]
    for p in workload.get("patches") or []:
        args += ["--patch", p]

    def once():
        proc = subprocess.run(args, capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"pyhf cls exited {proc.returncode}: {proc.stderr.strip()[-500:]}")
        doc = json.loads(proc.stdout)
        return {"quantity": "CLs_obs", "value": float(doc["CLs_obs"]), "extra": {"CLs_exp": doc["CLs_exp"]}}
    return once


def _convert(options, workload, name):
    """One whole `pyhf json2xml WS --patch P --output-dir D` process, or `pyhf xml2json` of the files
    `hfx json2xml` writes (the same input as hfx's row), each call into a new output; once.finish then
    reads the last output back and gives twice_nll at the inits of the converted model, with the
    original's (the workspace with its patches) as extra.original_twice_nll."""
    import subprocess
    import sys
    import tempfile
    from pathlib import Path
    from .hfx import build_dir, convert_input
    if options["backend"] != "numpy" or options.get("optimizer", "scipy") != "scipy" or options.get("device") == "gpu":
        raise Unsupported(f"the {name} task runs `pyhf {name}` (no backend): see pyhf-numpy-scipy")
    if not workload.get("workspace"):
        raise Unsupported("this workload is a grid only")
    tmp = tempfile.mkdtemp(prefix=f"hfxbench-pyhf-{name}-")  # the worker process's own; removed by finish
    if name == "xml2json":
        if not (build_dir() / "hfx").exists():
            raise Unsupported(f"xml2json converts the files `hfx json2xml` writes: hfx is not built in {build_dir()}")
        src, xml = convert_input(workload["workspace"], workload.get("patches") or [], tmp, 600)
    cli = [sys.executable, "-c", "from pyhf.cli import cli; cli()"]
    calls, last = [0], [None]

    def once():
        i = calls[0]
        calls[0] += 1
        if name == "json2xml":
            out = Path(tmp) / f"out{i}"
            out.mkdir()  # pyhf wants the folder to exist
            args = cli + ["json2xml", workload["workspace"], "--output-dir", str(out)]
            for p in workload.get("patches") or []:
                args += ["--patch", p]
        else:
            out = Path(tmp) / f"out{i}.json"
            args = cli + ["xml2json", xml, "--basedir", src, "--output-file", str(out), "--hide-progress"]
        proc = subprocess.run(args, capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"pyhf {name} exited {proc.returncode}: {proc.stderr.strip()[-500:]}")
        last[0] = out
        return None

    def finish(_):
        import shutil
        pyhf = _setup(options)
        if name == "json2xml":
            from pyhf import readxml  # needs uproot; not imported by `import pyhf`
            spec = readxml.parse(str(last[0] / "FitConfig.xml"), str(last[0]), track_progress=False)
        else:
            spec = json.loads(last[0].read_text())
        shutil.rmtree(tmp, ignore_errors=True)
        tl = pyhf.tensorlib

        def twice_nll(spec):
            _, model, data = _model(pyhf, spec, workload)
            pars = tl.astensor(model.config.suggested_init())
            return _scalar(tl, pyhf.infer.mle.twice_nll(pars, tl.astensor(data), model))
        return {"quantity": "twice_nll", "value": twice_nll(spec),
                "extra": {"original_twice_nll": twice_nll(workload["spec"])}}
    once.finish = finish
    return once


def _grid(pyhf, workload):
    import jsonpatch
    background, patches = workload["background"], workload["grid_patches"]

    def once():
        values = {}
        for name, ops in patches:
            spec = jsonpatch.apply_patch(background, ops)
            try:
                _, model, data = _model(pyhf, spec, workload)
                cls = _hypotest(pyhf, 1.0, data, model)["value"]
            except Exception:  # pyhf fails on some published patches (POI removed): recorded as null
                cls = None
            values[name] = cls
        return {"quantity": "CLs_obs", "value": float(len(values)), "values": values}
    return once
