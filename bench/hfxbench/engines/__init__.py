"""Engines: the programs the suite compares. hfx (hfx.py) runs as native processes; pyhf and NextStat
run in Python worker processes (hfxbench.worker) through modules of this package."""


class Unsupported(Exception):
    """An engine cannot run a task (not installed, no such feature, no device): recorded as a skip
    with this reason."""


POI_TASKS = ("hypotest", "upper-limit", "toys", "ranking", "profile-scan", "significance")


def needs_poi(workload_no_poi, task_name):
    """The skip reason when a task needs a POI and the workspace is background-only, else None."""
    if workload_no_poi and task_name in POI_TASKS:
        return f"{task_name} needs a POI; this workspace is background-only (fitted without one)"
    return None


def installed_versions(*dists):
    """{distribution: version} of those installed, from their metadata (importing them would inflate each
    case's peak memory); the ones not installed are left out."""
    from importlib import metadata
    out = {}
    for dist in dists:
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            pass
    return out
