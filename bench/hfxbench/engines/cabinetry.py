"""cabinetry as a benchmark engine: the analysis workflows physicists run on pyhf, with cabinetry's
defaults (pyhf's numpy backend, the minuit optimizer), each case in a worker process. The row
cabinetry-hfx (options {"on": "hfx"}) runs the same calls with hfx.compat.as_pyhf imported first, so that
cabinetry's pyhf is hfx.compat: its fits are MINUIT on hfx's likelihood, its significance hfx's own
inference (docs/pyhf-compat.md).

What each task times (model and data: cabinetry.model_utils.model_and_data(pyhf.Workspace(spec)),
built outside the timed call):
  ranking       cabinetry.fit.ranking(model, data): the nominal fit and four refits per parameter
                (pre- and post-fit widths up and down)
  profile-scan  cabinetry.fit.scan(model, data, POI, par_range, n_steps): one parameter only;
                cabinetry has no 2-D scan (a two-parameter task is recorded as skipped)
  significance  cabinetry.fit.significance(model, data): observed and expected Z with q0

Results carry the numbers the rows are compared on (run.add_accuracy, "vs_cabinetry"): the four
impacts of every ranked parameter, -2 Delta ln L at every scan point, the observed and expected Z.
Other tasks are not cabinetry's (pyhf's rows time them)."""
from . import Unsupported, installed_versions, needs_poi

WORKFLOW_TASKS = ("ranking", "profile-scan", "significance")


def versions():
    return installed_versions("cabinetry", "pyhf", "iminuit", "numpy", "scipy")


def device(options):
    return "cpu"


def peak_device_memory(options):
    return None


def parse_range(text):
    """"LO,HI,N" -> (lo, hi, n), the task's grid as hfx profile-scan --range takes it."""
    lo, hi, n = text.split(",")
    return float(lo), float(hi), int(n)


def ranking_values(rows):
    """{"name:impact_kind": value} of the four impacts of each parameter (the accuracy's keys)."""
    out = {}
    for r in rows:
        for k in ("prefit_up", "prefit_down", "postfit_up", "postfit_down"):
            if r.get(k) is not None:
                out[f"{r['name']}:{k}"] = float(r[k])
    return out


def largest(rows):
    """The ranking's headline number: its largest |impact| (pre- or post-fit, up or down)."""
    return max((abs(v) for v in ranking_values(rows).values()), default=0.0)


def scan_values(points):
    """{"x" or "x,y": -2 Delta ln L} of a scan's points; the keys at 10 digits, so that grids computed
    as lo + i * step and as numpy.linspace meet."""
    return {",".join(f"{float(v):.10g}" for v in p["values"]): float(p["delta_twice_nll"]) for p in points}


def prepare(options, workload, task):
    name = task["name"]
    if name not in WORKFLOW_TASKS:
        raise Unsupported(f"cabinetry's rows are the analysis workflows ({', '.join(WORKFLOW_TASKS)}); pyhf's rows "
                          f"time the {name} task")
    why = needs_poi(workload.get("no_poi"), name)
    if why:
        raise Unsupported(why)
    if name == "profile-scan" and task.get("par2"):
        raise Unsupported("cabinetry.fit.scan scans one parameter; it has no 2-D scan")
    import logging
    logging.getLogger("cabinetry").setLevel(logging.WARNING)  # its INFO lines per fit are not part of the timing
    if options.get("on") == "hfx":
        import hfx.compat.as_pyhf  # noqa: F401  (before cabinetry imports pyhf; an ImportError if it came first)
    import cabinetry
    import pyhf
    model, data = cabinetry.model_utils.model_and_data(pyhf.Workspace(workload["spec"]))
    poi = model.config.poi_name
    if name == "ranking":
        def once():
            r = cabinetry.fit.ranking(model, data)
            rows = [{"name": n, "prefit_up": float(a), "prefit_down": float(b), "postfit_up": float(c),
                     "postfit_down": float(d)}
                    for n, a, b, c, d in zip(r.labels, r.prefit_up, r.prefit_down, r.postfit_up, r.postfit_down)]
            return {"quantity": "impacts", "value": largest(rows), "values": ranking_values(rows),
                    "extra": {"n_parameters": len(rows)}}
        return once
    if name == "profile-scan":
        lo, hi, n = parse_range(task["range"])

        def once():
            s = cabinetry.fit.scan(model, data, poi, par_range=(lo, hi), n_steps=n)
            pts = [{"values": [float(x)], "delta_twice_nll": float(d)} for x, d in zip(s.parameter_values, s.delta_nlls)]
            return {"quantity": "delta_twice_nll_last", "value": pts[-1]["delta_twice_nll"],
                    "values": scan_values(pts), "extra": {"bestfit": float(s.bestfit)}}
        return once
    if name == "significance":
        def once():
            s = cabinetry.fit.significance(model, data)
            values = {"Z_obs": float(s.observed_significance), "Z_exp": float(s.expected_significance)}
            return {"quantity": "Z_obs", "value": values["Z_obs"], "values": values,
                    "extra": {"p0_obs": float(s.observed_p_value), "p0_exp": float(s.expected_p_value)}}
        return once
    raise Unsupported(f"unknown task {name!r}")
