"""spey as a benchmark engine: a reinterpretation tool's session (SModelS, MadAnalysis 5) through spey,
with hfx's plugin (`spey-hfx`, python/hfx/spey_plugin.py) or spey-pyhf's pyhf backend (`spey-pyhf`),
each case in a worker process.

The one task, `spey-session`, times hfxbench.spey_session.run on one signal point: the statistical
model built from the background-only workspace and the signal patch, the observed CLs, the apriori
expected CLs band and the observed upper limit on mu (scripts/spey-session.py runs the same calls).
A workload with patches is taken as spey takes it (its workspace the background, its patches the
signal); a workload without is split into the two (spey_session.split: the samples carrying the POI).

Results carry the seven numbers per point ("values"); run.add_accuracy compares spey-hfx's with
spey-pyhf's on the same case, relatively ("rel_vs_spey_pyhf")."""
from . import Unsupported, installed_versions

TASK = "spey-session"


def versions():
    from .hfx import git_commit
    return {"hfx": git_commit(), **installed_versions("spey", "spey-pyhf", "pyhf", "numpy", "scipy")}


def device(options):
    return "cpu"


def peak_device_memory(options):
    return None


def background_and_patch(workload):
    """(background-only workspace, signal patch operations) of a materialised workload."""
    from ..jsonio import read_json
    from ..spey_session import split
    if workload.get("patches"):
        patch = [op for p in workload["patches"] for op in read_json(p)]
        return read_json(workload["workspace"]), patch
    return split(workload["spec"])


def prepare(options, workload, task):
    if task["name"] != TASK:
        raise Unsupported(f"spey's rows time the {TASK} task only (a tool's session per signal point)")
    if workload.get("no_poi"):
        raise Unsupported(f"{TASK} needs a POI; this workspace is background-only (fitted without one)")
    if workload.get("grid"):
        raise Unsupported(f"{TASK} runs on one signal point: the grid workloads are `hfx scan`'s")
    import logging
    logging.getLogger("spey").setLevel(logging.ERROR)  # its warnings per fit are not part of the timing
    from ..spey_session import flat, run
    background, patch = background_and_patch(workload)
    backend = options["backend"]
    name = workload.get("workspace") or "workload"

    def once():
        values = flat(run(backend, background, patch, name))
        return {"quantity": "CLs_obs", "value": values["CLs_obs"], "values": values}
    return once
