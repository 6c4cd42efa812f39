"""The benchmark run: every (engine, workload, task) case of a configuration, one results file.

A configuration (CONFIGS) is a list of blocks; a block names workloads, the tasks to run on them,
which engines take part (fnmatch patterns over engine ids) and the timing protocol. Cases an engine
cannot run are recorded as skipped with the reason; failures as errors with the message. Within a
scaling family, an engine whose median for a task exceeded the block's `size_budget_s` skips the
larger sizes (recorded as such) so that a slow engine cannot take the whole run.
"""
import csv
import fnmatch
import json
import os
import signal
import sys
import time
from pathlib import Path

from . import workloads as W
from .environment import environment
from .engines.hfx import HfxEngine, registry, scan_engines
from .engines.worker_engine import (cabinetry_engines, hfx_python_engines, nextstat_engines, pyhf_engines, root_engines,
                                    spey_engines)
from .report import fmt_s
from .timing import Protocol

SCHEMA_VERSION = "1.0"
ALL_ENGINES = ["hfx-*", "pyhf-*", "nextstat", "root-*"]
# the analysis workflows (issue 20): hfx's backends (the threaded one on 1 thread and on all cores),
# cabinetry (pyhf numpy, minuit), cabinetry on hfx (hfx.compat.as_pyhf) and NextStat
WORKFLOW_ENGINES = ["hfx-cpu*", "hfx-cuda", "cabinetry", "cabinetry-hfx", "nextstat"]
WORKFLOW_TASKS = ("ranking", "profile-scan", "significance")
UNITS = {"nll": "evals/s", "grad": "evals/s", "nll-batch": "evals/s", "fit": "fits/s", "hypotest": "hypotests/s",
         "upper-limit": "limits/s", "toys": "toys/s", "grid": "patches/s",
         "command": "commands/s", "json2xml": "conversions/s", "xml2json": "conversions/s",
         "ranking": "rankings/s", "profile-scan": "scans/s", "significance": "significances/s",
         "spey-session": "sessions/s"}


def engines():
    cores = os.cpu_count() or 1
    out = []
    for backend in registry() or ["cpu-ref", "cpu"]:
        out.append(HfxEngine(backend, cores if backend == "cpu" else 1))  # threads: the CPU backend's
    if "cuda" not in " ".join(registry()):
        out.append(HfxEngine("cuda", 1))  # recorded as skipped: not in this build's registry
    if cores > 1 and "cpu" in (registry() or ["cpu"]):
        # the threaded backend on one core: the workflows' scaling row (their batches spread over threads)
        one = HfxEngine("cpu", 1)
        one.only_tasks = WORKFLOW_TASKS
        out.append(one)
    return (out + scan_engines() + hfx_python_engines() + pyhf_engines() + nextstat_engines() + root_engines()
            + cabinetry_engines() + spey_engines())


def tasks(*names, **params):
    return [dict(name=n, **params) for n in names]


def blocks(config, cache, args):
    """The blocks of a configuration: [(workloads, tasks, engine patterns, protocol, size budget)]."""
    quick = Protocol(warmup=1, min_reps=2, max_reps=3, min_time_s=0.0, max_time_s=2.0)
    if config == "smoke":  # every code path in seconds (CI)
        small = W.uncorrelated(cache, bins=(2,), sources=("static",))
        light = ["hfx-*", "pyhf-numpy-*", "nextstat"]  # toy and limit tasks take minutes on tensorflow
        out = [
            (small, tasks("nll", "grad", "fit", "hypotest", "upper-limit") + tasks("nll-batch", batch=8)
             + tasks("toys", toys=20, seed=1), light, quick, None),
            (small, tasks("nll", "grad", "hypotest") + tasks("nll-batch", batch=8), ["pyhf-jax-*", "pyhf-pytorch-*",
                                                                                      "pyhf-tensorflow-*"], quick, None),
            (W.synthetic(cache, "mixed", [3], channels=2, samples=2, shared=1,
                         modifiers=("normsys", "histosys", "staterror", "shapesys", "lumi")),
             tasks("nll", "fit"), light, quick, None),
            (W.sbottom(cache, args.archive, regions=("RegionA",), grid=True, max_patches=2),
             tasks("nll", "grid"), ["hfx-*", "pyhf-numpy-scipy"], quick, None),
            # the scaling rows (jobs, MPI ranks) work and agree
            (W.sbottom(cache, args.archive, regions=("RegionA",), grid=True, max_patches=4)[1:], tasks("grid"),
             ["hfxscan-*"], quick, None),
            # one ROOT case (importing ROOT takes about 2 s): RooFit's cpu backend, RooStats' q~ test
            (small, tasks("command", "json2xml", "xml2json"), ["hfx-cpu-ref", "pyhf-numpy-scipy"], quick, None),
            (small, tasks("hypotest"), ["root-cpu"], Protocol(warmup=0, min_reps=1, max_reps=1, min_time_s=0.0,
                                                              max_time_s=0.0), None),
        ]
        # the analysis workflows: a ranking of 2 parameters (8 refits), a 5-point scan, a significance
        once = Protocol(warmup=0, min_reps=1, max_reps=1, min_time_s=0.0, max_time_s=0.0)
        out.append((small, [dict(name="ranking"), dict(name="profile-scan", range="0,2,5"), dict(name="significance")],
                    WORKFLOW_ENGINES, once, None))
        # the spey session (issue 21) on the 2-bin model, split into background and signal patch: spey-pyhf
        # takes seconds here (20-60 s on an sbottom point: the spey configuration's), once each
        out.append((small, tasks("spey-session"), ["spey-*"], once, None))
        zoo = W.zoo(names=["atlas_susy_DVmuon_2020__srmu_bkg"]) if W.SHARED_ZOO.is_dir() else []
        if zoo:
            out.append((zoo, tasks("fit"), ["hfx-*", "pyhf-numpy-scipy"], quick, None))
        return out
    if config == "user":
        user = W.user(cache, args.workspace, args.patchset)
        return [(user, tasks("nll", "grad", "fit", "hypotest", "upper-limit", "grid") + tasks("nll-batch", batch=256)
                 + tasks("toys", toys=1000, seed=1), ALL_ENGINES, Protocol(), 30.0)]
    if config in ("gpu", "gpu-smoke"):  # the device machine (scripts/gpu-check.sh): sized to finish in about six minutes
        # gpu-smoke: the same blocks, engines and tasks at sizes that take seconds, for the rehearsal of the
        # device command in CI (scripts/gpu-rehearsal.sh) on a machine without a GPU
        smoke = config == "gpu-smoke"
        few = Protocol(warmup=1, min_reps=3, max_reps=5, min_time_s=0.0, max_time_s=10.0)
        once = Protocol(warmup=1, min_reps=1, max_reps=1, min_time_s=0.0, max_time_s=0.0)
        if smoke:
            few = once = Protocol(warmup=0, min_reps=1, max_reps=1, min_time_s=0.0, max_time_s=0.0)
        gpu = ["hfx-*", "pyhf-jax-scipy-gpu", "pyhf-pytorch-scipy-gpu"]
        sbottom_a = W.sbottom(cache, args.archive, regions=("RegionA",), grid=False)
        shared = W.synthetic(cache, "shared", [100] if smoke else [1000, 10000, 100000, 1000000], channels=1,
                             samples=2, shared=5, per_sample=0, modifiers=("normsys", "histosys", "lumi"))
        grids = [w for w in W.sbottom(cache, args.archive, regions=("RegionA",) if smoke else ("RegionA", "RegionB",
                                                                                             "RegionC"),
                                      grid=True, max_patches=2 if smoke else None) if w.family == "sbottom-grid"]
        return [
            (sbottom_a, tasks("nll", "grad", "fit", "hypotest"), gpu + ["pyhf-numpy-scipy"], few, None),
            # 10,000 and 1,000,000 toys in all (the task's count is per ensemble)
            (sbottom_a, [dict(name="toys", toys=n, seed=1) for n in ((20,) if smoke else (5000, 500000))], ["hfx-*"],
             once, 60.0),
            (shared, tasks("nll", "grad") + [dict(name="nll-batch", batch=b) for b in ((16,) if smoke else
                                                                                     (16, 256, 4096))], gpu, few,
             10.0),
            (grids, tasks("grid"), ["hfx-*"], once, None),
        ]
    if config == "speed":  # the speed targets of the issues side by side, in about ten minutes on 2 cores
        few = Protocol(warmup=1, min_reps=3, max_reps=10, min_time_s=0.0, max_time_s=10.0)
        std = Protocol(warmup=1, min_reps=5, max_reps=30, min_time_s=0.5, max_time_s=5.0)
        once = Protocol(warmup=0, min_reps=1, max_reps=1, min_time_s=0.0, max_time_s=0.0)
        hfx, light = ["hfx-*"], ["hfx-*", "pyhf-numpy-scipy", "nextstat"]
        sbottom_a = W.sbottom(cache, args.archive, regions=("RegionA",), grid=False)
        regions = [w for w in W.sbottom(cache, args.archive, grid=True) if w.family == "sbottom-grid"]
        return [
            # one hypotest in process and as a whole command, against pyhf numpy and NextStat
            (sbottom_a, tasks("nll", "grad", "fit", "hypotest"), light, few, None),
            (sbottom_a, tasks("command"), ["hfx-cpu-ref", "pyhf-numpy-scipy"], few, None),
            (W.uncorrelated(cache, bins=(100, 500), sources=("static",)), tasks("hypotest"), light, std, None),
            # large models: the 2000-parameter fit against NextStat, and 1e5 parameters in bounded memory
            (W.synthetic(cache, "perbin", [1000], channels=2, samples=2, shared=3, per_sample=1,
                         modifiers=("normsys", "histosys", "staterror")), tasks("fit"), ["hfx-*", "nextstat"], few,
             None),  # pyhf numpy: 19 s per fit at 200 bins (the full run), hours here
            (W.synthetic(cache, "perbin", [50000], channels=2, samples=2, shared=3, per_sample=1,
                         modifiers=("normsys", "histosys", "staterror")), tasks("nll", "fit"), hfx, once, None),
            (W.zoo() if W.SHARED_ZOO.is_dir() else [], tasks("fit"), ["hfx-cpu-ref"], few, None),
            # the 650 patches, whole processes; the RegionA grid's strong scaling; toys on the published model
            (regions, tasks("grid"), hfx, few, None),
            ([w for w in regions if w.id.startswith("sbottom-RegionA")], tasks("grid"), ["hfxscan-*"], few, None),
            (sbottom_a, [dict(name="toys", toys=1000, seed=1)], hfx, few, None),
        ]
    if config == "workflows":  # the analysis workflows of issue 20 side by side: hfx, cabinetry, NextStat
        few = Protocol(warmup=1, min_reps=3, max_reps=10, min_time_s=0.0, max_time_s=10.0)
        once = Protocol(warmup=0, min_reps=1, max_reps=1, min_time_s=0.0, max_time_s=0.0)
        hfx = ["hfx-cpu*", "hfx-cuda"]
        sbottom_a = W.sbottom(cache, args.archive, regions=("RegionA",), grid=False)
        # the two largest published likelihoods of the zoo (623 and 327 parameters), POI := a background norm
        zoo = W.zoo_with_poi(cache, ["atlas_susy_3Lresonance_2020__bkg", "atlas_susy_3L_2021__offshell_bkg"]) \
            if W.SHARED_ZOO.is_dir() else []
        flows = [dict(name="ranking"), dict(name="profile-scan", range="0,2,21"), dict(name="significance")]
        zoo_flows = [dict(name="ranking"), dict(name="profile-scan", range="0.5,1.5,11")]
        # hfx's sbottom cases take 10-300 ms: 10 samples each, so that the 1-core and 2-core rows'
        # medians and quartiles compare
        sides = Protocol(warmup=1, min_reps=10, max_reps=30, min_time_s=0.0, max_time_s=10.0)
        return [
            (sbottom_a, flows + [dict(name="profile-scan", range="0,2,21", par2="mu_ttbar", range2="0.6,1.4,21")],
             hfx, sides, None),
            # cabinetry's ranking of this model takes about 5 minutes: once
            (sbottom_a, flows, ["cabinetry", "nextstat"], once, None),
            # minutes per case (hfx-cpu-ref's ranking of 623 parameters: about 2 min on a loaded machine): once
            (zoo, zoo_flows, hfx + ["cabinetry", "nextstat"], once, None),  # each as far as --timeout (600 s)
        ]
    if config == "cabinetry":  # issue 21: cabinetry on pyhf and on hfx (import hfx.compat.as_pyhf), hfx beside
        once = Protocol(warmup=0, min_reps=1, max_reps=1, min_time_s=0.0, max_time_s=0.0)
        few = Protocol(warmup=1, min_reps=3, max_reps=10, min_time_s=0.0, max_time_s=20.0)
        sbottom_a = W.sbottom(cache, args.archive, regions=("RegionA",), grid=False)
        flows = [dict(name="ranking"), dict(name="profile-scan", range="0,2,21"), dict(name="significance")]
        return [
            # cabinetry's ranking of this model on pyhf takes about 5 minutes: once
            (sbottom_a, flows, ["cabinetry"], once, None),
            (sbottom_a, flows, ["cabinetry-hfx", "hfx-cpu"], few, None),
        ]
    if config == "spey":  # issue 21: a reinterpretation session through spey, hfx's plugin against spey-pyhf
        # spey-pyhf takes 20-60 s per session on an sbottom point: 1 warm-up (imports) and 3 timed sessions
        # (at most 5 min); spey-hfx takes a fraction of a second: 1 warm-up, 5-20 timed. Each point's two
        # rows one after the other (A B A B), so that both see the same machine load.
        slow = Protocol(warmup=1, min_reps=3, max_reps=3, min_time_s=0.0, max_time_s=300.0)
        fast = Protocol(warmup=1, min_reps=5, max_reps=20, min_time_s=2.0, max_time_s=10.0)
        out = []
        for point in W.sbottom_points(cache, args.archive, "RegionA", 3):
            out += [([point], tasks("spey-session"), ["spey-hfx"], fast, None),
                    ([point], tasks("spey-session"), ["spey-pyhf"], slow, None)]
        return out
    if config != "full":
        raise SystemExit(f"unknown configuration {config!r} (smoke, full, gpu, gpu-smoke, speed, workflows, cabinetry, spey, "
                         "user)")
    # sized to finish in about twenty minutes on 2 cores with every engine installed: pyhf's jax, pytorch
    # and tensorflow backends (seconds per case for process start and JIT) on the headline workloads
    std = Protocol(warmup=1, min_reps=5, max_reps=30, min_time_s=0.5, max_time_s=5.0)
    few = Protocol(warmup=1, min_reps=3, max_reps=10, min_time_s=0.0, max_time_s=10.0)
    once = Protocol(warmup=0, min_reps=1, max_reps=1, min_time_s=0.0, max_time_s=0.0)
    hfx, light = ["hfx-*"], ["hfx-*", "pyhf-numpy-scipy", "nextstat"]
    sbottom_a = W.sbottom(cache, args.archive, regions=("RegionA",), grid=False)
    static = W.uncorrelated(cache, bins=(1, 10, 100, 500), sources=("static",))
    return [
        (sbottom_a, tasks("nll", "grad", "fit", "hypotest"), ALL_ENGINES, few, None),
        (sbottom_a, tasks("upper-limit"), light, once, None),  # pyhf numpy: about two minutes per limit
        # whole processes: `hfx cls` against `pyhf cls` (Python start-up and pyhf's import included)
        (sbottom_a, tasks("command"), ["hfx-cpu-ref", "pyhf-numpy-scipy"], few, None),
        # whole conversion processes, `hfx json2xml|xml2json` against pyhf's (xml2json: of hfx's files)
        (sbottom_a, tasks("json2xml", "xml2json"), ["hfx-cpu-ref", "pyhf-numpy-scipy"], few, None),
        (static, tasks("nll", "hypotest"), ALL_ENGINES, std, 5.0),
        (static, tasks("fit") + tasks("nll-batch", batch=256), light, std, 5.0),
        (W.uncorrelated(cache, bins=(10, 100), sources=("poisson",)), tasks("hypotest"), light, std, 5.0),
        (W.synthetic(cache, "shared", [10, 1000, 100000], channels=1, samples=2, shared=5, per_sample=0,
                     modifiers=("normsys", "histosys", "lumi")),
         tasks("nll", "fit") + tasks("nll-batch", batch=64), light, std, 5.0),
        (W.synthetic(cache, "perbin", [10, 100, 1000], channels=2, samples=2, shared=3, per_sample=1,
                     modifiers=("normsys", "histosys", "staterror")), tasks("fit"), light, std, 5.0),
        (W.sbottom(cache, args.archive, regions=("RegionA",), grid=True, max_patches=8)[1:], tasks("grid"),
         light + ["root-cpu"], once, None),
        ([w for w in W.sbottom(cache, args.archive, grid=True) if w.family == "sbottom-grid"], tasks("grid"), hfx,
         Protocol(warmup=1, min_reps=3, max_reps=5, min_time_s=0.0, max_time_s=20.0), None),
        # strong scaling of the RegionA grid on this machine's cores: 1 and 2 jobs, 1 and 2 MPI ranks,
        # one row after the other, and the main threads' bookkeeping share (work)
        ([w for w in W.sbottom(cache, args.archive, regions=("RegionA",), grid=True) if w.family == "sbottom-grid"],
         tasks("grid"), ["hfxscan-*"], Protocol(warmup=1, min_reps=3, max_reps=5, min_time_s=0.0, max_time_s=30.0),
         None),
        (W.uncorrelated(cache, bins=(10,), sources=("static",)),
         [dict(name="toys", toys=n, seed=1) for n in (100, 1000, 10000, 100000)], light, few, 5.0),
        # batched toys on the published model (the task's count is per ensemble: 2x as many toys in
        # all); pyhf numpy takes about a second per toy, so it gets fewer
        (sbottom_a, [dict(name="toys", toys=1000, seed=1)], hfx, few, None),
        (sbottom_a, [dict(name="toys", toys=10, seed=1)], ["pyhf-numpy-scipy"], once, None),
        (W.zoo() if W.SHARED_ZOO.is_dir() else [], tasks("fit"), ["hfx-cpu-ref", "nextstat"], few, None),
    ]


def throughput(task, result, timing):
    per_call = {"nll-batch": task.get("batch", 1), "toys": task.get("toys", 1)}.get(task["name"], 1)
    if task["name"] == "grid":
        per_call = len(result.get("values", {}))
    return {"value": per_call / timing["median_s"], "unit": UNITS[task["name"]]}


def task_id(task):
    return task["name"] + "".join(f"-{k}{v}" for k, v in sorted(task.items()) if k not in ("name", "seed"))


class Runner:
    """The cases of a configuration (`cases`), run one at a time (`run_case`) and gathered into one
    results document (`finish`): used by `run` (the command line) and by bench/test_cases.py (pytest)."""

    def __init__(self, config, args):
        self.config = config
        cache = Path(args.cache)
        self.env = environment()
        chosen = [e for e in engines() if not args.engines or any(fnmatch.fnmatch(e.id, p) for p in args.engines)]
        self.avail = {e.id: e.available() for e in chosen}
        self.cases = []
        for wls, tks, patterns, protocol, budget in blocks(config, cache, args):
            for task in tks:
                for e in chosen:
                    if not any(fnmatch.fnmatch(e.id, p) for p in patterns):
                        continue
                    if getattr(e, "only_tasks", None) and task["name"] not in e.only_tasks:
                        continue
                    for w in wls:
                        if (w.grid is not None) != (task["name"] == "grid"):  # grids are for the grid task only
                            continue
                        if args.tasks and not any(fnmatch.fnmatch(task_id(task), p) for p in args.tasks):
                            continue
                        if args.workloads and not any(fnmatch.fnmatch(w.id, p) for p in args.workloads):
                            continue
                        self.cases.append((e, w, task, protocol, budget))
        self.timeout = args.timeout
        self.too_slow = {}
        self.records = []
        self.started = time.time()

    def run_case(self, case):
        e, w, task, protocol, budget = case
        rec = {"engine": e.describe(), "workload": w.record(), "task": {"name": task["name"], "id": task_id(task),
                                                                        "params": {k: v for k, v in task.items() if k != "name"}}}
        ok, why = self.avail[e.id]
        key = (e.id, w.family, task["name"])  # sizes grow along a family's bins or a task's count (toys)
        if not ok:
            answer = {"status": "skipped", "reason": why}
        elif key in self.too_slow:
            answer = {"status": "skipped", "reason": self.too_slow[key]}
        else:
            answer = e.run(w, task, protocol, self.timeout)
        rec.update(status=answer.get("status", "error"), reason=answer.get("reason"))
        rec["engine"]["device"] = answer.get("device", "cpu")
        for k in ("timing", "result", "memory", "work", "phases", "versions"):
            rec[k] = answer.get(k)
        rec["throughput"] = throughput(task, rec["result"], rec["timing"]) if rec["status"] == "ok" else None
        if rec["status"] == "ok" and budget and rec["timing"]["median_s"] > budget:
            self.too_slow[key] = (f"the {w.id} case took {rec['timing']['median_s']:.1f} s (> {budget:g} s budget): "
                                  "larger sizes of this family skipped")
        self.records.append(rec)
        return rec

    def finish(self):
        add_accuracy(self.records)
        return {"schema_version": SCHEMA_VERSION, "config": self.config, "started": self.env["date"],
                "duration_s": time.time() - self.started, "environment": self.env, "results": self.records}


def case_id(case):
    """engine/workload/task: the pytest id of a case (`-k "sbottom and root"` selects on it)."""
    e, w, task = case[:3]
    return f"{e.id}/{w.id}/{task_id(task)}"


class Terminated(BaseException):
    """SIGTERM (a time limit's, e.g. scripts/gpu-check.sh's): the run stops and writes what it measured.
    A BaseException, as KeyboardInterrupt is, so that the engines' `except Exception` (a case that
    failed) does not swallow it."""


def _terminate(signum, frame):
    raise Terminated()


def run(config, args, log=sys.stderr, checkpoint=None):
    """Runs every case; checkpoint(records), if given, is called after each (partial results survive an
    interrupted run). On SIGTERM the case under way is dropped and the results document holds the cases
    that finished, with "interrupted" saying how many did not run."""
    runner = Runner(config, args)
    previous = signal.signal(signal.SIGTERM, _terminate)
    interrupted = None
    try:
        for i, case in enumerate(runner.cases, 1):
            rec = runner.run_case(case)
            if checkpoint:
                checkpoint(runner.records)
            e, w, task = case[:3]
            print(f"[{i}/{len(runner.cases)}] {e.id:26} {w.id:36} {task_id(task):18} {describe(rec)}", file=log,
                  flush=True)
    except Terminated:
        interrupted = (f"terminated (SIGTERM) after {len(runner.records)} of {len(runner.cases)} cases: "
                       "the cases that did not finish are not recorded")
        print(interrupted, file=log, flush=True)
    finally:
        signal.signal(signal.SIGTERM, previous)
    doc = runner.finish()
    if interrupted:
        doc["interrupted"] = interrupted
    return doc


def describe(rec):
    if rec["status"] != "ok":
        return f"{rec['status']}: {rec['reason']}"
    t = rec["timing"]
    v = rec["result"]["value"]
    return f"{fmt_s(t['median_s'])} [{fmt_s(t['q25_s'])}, {fmt_s(t['q75_s'])}] n={t['repeats']}  {rec['result']['quantity']} {v:.10g}"


def difference(a, b):
    """|a - b| of two results of the same case: scalars, or the largest over the patches both have."""
    if a is None or b is None or a.get("quantity") != b.get("quantity"):
        return None  # nothing to compare, or not the same quantity (NextStat's toys fix the auxdata)
    if "values" in a and "values" in b:
        common = [abs(a["values"][k] - b["values"][k]) for k in a["values"]
                  if a["values"].get(k) is not None and b["values"].get(k) is not None]
        return max(common) if common else None
    if a.get("value") is None or b.get("value") is None:
        return None
    return abs(a["value"] - b["value"])


def relative_difference(a, b):
    """max |a - b| / |b| over the numbers of two results of the same case (b the reference), or None.
    A reference of exactly 0 counts |a - b| itself."""
    if a is None or b is None or a.get("quantity") != b.get("quantity"):
        return None
    pairs = [(a["values"][k], v) for k, v in b.get("values", {}).items() if a.get("values", {}).get(k) is not None
             and v is not None] or ([(a["value"], b["value"])] if None not in (a.get("value"), b.get("value")) else [])
    return max((abs(x - y) / abs(y) if y else abs(x - y) for x, y in pairs), default=None)


def add_accuracy(records):
    """Each ok record's result against hfx's reference backend and pyhf numpy on the same case, against
    cabinetry for the analysis workflows (ranking, profile-scan, significance), and, relatively, against
    spey-pyhf for the spey session."""
    refs = {}
    for r in records:
        if r["status"] == "ok" and r["engine"]["id"] in ("hfx-cpu-ref", "pyhf-numpy-scipy", "cabinetry", "spey-pyhf"):
            refs[(r["engine"]["id"], r["workload"]["id"], r["task"]["id"])] = r["result"]
    for r in records:
        if r["status"] != "ok":
            r["accuracy"] = None
            continue
        key = (r["workload"]["id"], r["task"]["id"])
        r["accuracy"] = {"quantity": r["result"]["quantity"],
                         "vs_hfx_cpu_ref": difference(r["result"], refs.get(("hfx-cpu-ref", *key))),
                         "vs_pyhf_numpy": difference(r["result"], refs.get(("pyhf-numpy-scipy", *key)))}
        if r["task"]["name"] in WORKFLOW_TASKS:
            r["accuracy"]["vs_cabinetry"] = difference(r["result"], refs.get(("cabinetry", *key)))
        if r["task"]["name"] == "spey-session":
            r["accuracy"]["rel_vs_spey_pyhf"] = relative_difference(r["result"], refs.get(("spey-pyhf", *key)))


CSV_FIELDS = ["engine", "backend", "optimizer", "threads", "device", "workload", "family", "n_bins", "task", "status",
              "median_s", "q25_s", "q75_s", "repeats", "throughput", "throughput_unit", "peak_host_bytes",
              "peak_device_bytes", "quantity", "value", "abs_diff_vs_hfx_cpu_ref", "abs_diff_vs_pyhf_numpy", "reason",
              "abs_diff_vs_cabinetry", "rel_diff_vs_spey_pyhf"]


def csv_rows(doc):
    for r in doc["results"]:
        ok = r["status"] == "ok"
        yield {"engine": r["engine"]["id"], "backend": r["engine"]["backend"], "optimizer": r["engine"]["optimizer"],
               "threads": r["engine"]["threads"], "device": r["engine"]["device"], "workload": r["workload"]["id"],
               "family": r["workload"]["family"], "n_bins": r["workload"]["n_bins"], "task": r["task"]["id"],
               "status": r["status"], "median_s": ok and r["timing"]["median_s"], "q25_s": ok and r["timing"]["q25_s"],
               "q75_s": ok and r["timing"]["q75_s"], "repeats": ok and r["timing"]["repeats"],
               "throughput": ok and r["throughput"]["value"], "throughput_unit": ok and r["throughput"]["unit"],
               "peak_host_bytes": ok and r["memory"]["peak_host_bytes"],
               "peak_device_bytes": ok and r["memory"]["peak_device_bytes"],
               "quantity": ok and r["result"]["quantity"], "value": ok and r["result"]["value"],
               "abs_diff_vs_hfx_cpu_ref": ok and r["accuracy"]["vs_hfx_cpu_ref"],
               "abs_diff_vs_pyhf_numpy": ok and r["accuracy"]["vs_pyhf_numpy"], "reason": r["reason"] or "",
               "abs_diff_vs_cabinetry": ok and r["accuracy"].get("vs_cabinetry"),
               "rel_diff_vs_spey_pyhf": ok and r["accuracy"].get("rel_vs_spey_pyhf")}


def write(doc, out_dir):
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"{doc['config']}-{doc['started'].replace(':', '').replace('+0000', 'Z')}"
    path = out_dir / f"{stem}.json"
    path.write_text(json.dumps(doc, indent=1))
    with open(out_dir / f"{stem}.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=CSV_FIELDS)
        w.writeheader()
        for row in csv_rows(doc):
            w.writerow({k: ("" if v is False or v is None else v) for k, v in row.items()})
    return path
