"""Runs one benchmark case of a Python engine in a process of its own, so that its peak memory is its
own and no backend state (JIT caches, thread pools, GPU contexts) leaks into the next case.

    python -m hfxbench.worker REQUEST.json    ->  one JSON object on stdout

The request names the engine module (hfxbench.engines.<name>), its options, the workload (workspace
and patch files) and the task; the answer holds the timing (hfxbench.timing), the task's result,
peak memory and the device. An engine module provides:

    versions() -> {library: version}
    device(options) -> "cpu" or the accelerator's name
    prepare(options, workload, task) -> once, where once() returns the task's result
        ({"quantity": ..., "value": ..., optional "values": {...}, "extra": {...}}); raises
        Unsupported(reason) for what the engine cannot do. Where once has a `finish` attribute, the
        result is finish(the last call's result), computed after the timing (a conversion's check)
    peak_device_memory(options) -> bytes or None
"""
import importlib
import json
import resource
import sys
import traceback
from pathlib import Path

from .engines import Unsupported
from .jsonio import read_json
from .timing import Protocol, measure




def materialize(workload):
    """Workload files -> Python objects: "spec" (the workspace with its patches applied) or, for a
    grid, "background" and "patches" [(name, RFC 6902 operations)]."""
    import jsonpatch
    out = dict(workload)
    if workload.get("workspace"):
        spec = read_json(workload["workspace"])
        for p in workload.get("patches", []):
            spec = jsonpatch.apply_patch(spec, read_json(p))
        out["spec"] = spec
    if workload.get("grid"):
        grid = workload["grid"]
        out["background"] = read_json(grid["background"])
        out["grid_patches"] = grid_patches(grid["patches"])
    return out


def grid_patches(source):
    """A pyhf patchset file or a list of patch files -> [(name, operations)]."""
    if isinstance(source, str):
        ps = read_json(source)
        return [(p["metadata"]["name"], p["patch"]) for p in ps["patches"]]
    return [(Path(p).name.removeprefix("patch.").removesuffix(".json"), read_json(p)) for p in source]


def peak_rss_bytes():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux reports KiB


def run(request):
    engine = importlib.import_module(f"hfxbench.engines.{request['engine']}")
    options = request.get("options", {})
    answer = {"versions": engine.versions(), "device": engine.device(options)}
    try:
        once = engine.prepare(options, materialize(request["workload"]), request["task"])
    except Unsupported as e:
        answer.update(status="skipped", reason=str(e))
        return answer
    timing, result = measure(once, Protocol.from_dict(request.get("protocol", {})))
    if hasattr(once, "finish"):
        result = once.finish(result)
    answer.update(status="ok", timing=timing, result=result,
                  memory={"peak_host_bytes": peak_rss_bytes(),
                          "peak_device_bytes": engine.peak_device_memory(options)})
    return answer


def main():
    request = read_json(sys.argv[1])
    try:
        answer = run(request)
    except Exception as e:  # the runner records the failure and goes on with the next case
        answer = {"status": "error", "reason": f"{type(e).__name__}: {e}".strip()[:2000],
                  "traceback": traceback.format_exc()[-4000:]}
    json.dump(answer, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
