"""hfx as a benchmark engine: one engine per backend in hfx's registry (`hfx-timeit --list-backends`),
so that a backend added later (cuda, ...) is benchmarked without touching the suite. Single-model
tasks run in `hfx-timeit` (in-process timing); the grid task times `hfx scan` as a whole process,
parsing included, as a user runs it (one job per core for threaded backends), and the command task
one whole `hfx cls` process (start-up, parsing, the hypotest at mu = 1, printing), against `pyhf cls`;
json2xml and xml2json time one whole `hfx json2xml` / `hfx xml2json` process, against pyhf's (convert())."""
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from ..timing import measure, summary
from . import needs_poi

REPO = Path(__file__).resolve().parents[3]


def build_dir():
    return Path(os.environ.get("HFX_BUILD", REPO / "build"))


def registry():
    """Backend names compiled into this build, or [] when hfx is not built."""
    exe = build_dir() / "hfx-timeit"
    if not exe.exists():
        return []
    return subprocess.run([str(exe), "--list-backends"], capture_output=True, text=True, check=True).stdout.split()


def backends_usable():
    """{name: {"usable": bool, "why": reason}} from `hfx backends --json`, or {} when hfx is not built."""
    exe = build_dir() / "hfx"
    if not exe.exists():
        return {}
    out = subprocess.run([str(exe), "backends", "--json"], capture_output=True, text=True, check=True).stdout
    return {b["name"]: b for b in json.loads(out)}


def run_measured(args, timeout, env=None):
    """Runs a process; returns (returncode, stdout, stderr, wall seconds, peak RSS bytes of the child and,
    for mpirun, of its largest rank)."""
    t = time.perf_counter()
    p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    outs = {}
    readers = [threading.Thread(target=lambda k, f: outs.__setitem__(k, f.read()), args=(k, f))
               for k, f in (("out", p.stdout), ("err", p.stderr))]
    for r in readers:
        r.start()
    timer = threading.Timer(timeout, p.kill)
    timer.start()
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t
    timer.cancel()
    for r in readers:
        r.join()
    p.returncode = os.waitstatus_to_exitcode(status)
    return p.returncode, outs.get("out", ""), outs.get("err", ""), wall, usage.ru_maxrss * 1024


class HfxEngine:
    name = "hfx"

    def __init__(self, backend, threads):
        self.backend, self.threads = backend, threads
        self.id = f"hfx-{backend}" + (f"-{threads}t" if threads > 1 else "")

    def describe(self):
        return {"id": self.id, "name": "hfx", "backend": self.backend, "optimizer": "hfx (projected BFGS)",
                "threads": self.threads, "precision": "float64"}

    def available(self):
        if self.backend not in registry():
            return False, f"backend {self.backend!r} is not in this hfx build's registry ({build_dir()})"
        usable = backends_usable().get(self.backend)
        if usable and not usable["usable"]:
            return False, f"backend {self.backend!r} is compiled in but not usable here: {usable['why']}"
        return True, ""

    def run(self, workload, task, protocol, timeout):
        if task["name"] == "grid":
            return self._grid(workload, protocol, timeout)
        if task["name"] == "command":
            return self._command(workload, protocol, timeout)
        if task["name"] in CONVERSIONS:
            return self._convert(workload, task["name"], protocol, timeout)
        if task["name"] in WORKFLOWS:
            return self._workflow(workload, task, protocol, timeout)
        if not workload.workspace:
            return {"status": "skipped", "reason": "this workload is a grid only"}
        why = needs_poi(workload.no_poi, task["name"])
        if why:
            return {"status": "skipped", "reason": why}
        args = [str(build_dir() / "hfx-timeit"), workload.workspace, "--task", task["name"], "--backend", self.backend,
                "--threads", str(self.threads)]
        for p in workload.patches:
            args += ["-p", p]
        if workload.no_poi:
            args.append("--no-poi")
        for key, flag in (("batch", "--batch"), ("toys", "--toys"), ("seed", "--seed"), ("poi", "--test-poi")):
            if key in task:
                args += [flag, str(task[key])]
        pr = protocol
        args += ["--warmup", str(pr.warmup), "--min-reps", str(pr.min_reps), "--max-reps", str(pr.max_reps),
                 "--min-time", str(pr.min_time_s), "--max-time", str(pr.max_time_s)]
        rc, out, err, _, _ = run_measured(args, timeout)
        try:
            answer = json.loads(out.strip().splitlines()[-1])
        except (ValueError, IndexError):
            return {"status": "error", "reason": f"hfx-timeit exited {rc}: {err.strip()[-500:]}"}
        answer["versions"] = {"hfx": git_commit()}
        return answer

    def _command(self, workload, protocol, timeout):
        if not workload.workspace or workload.no_poi:
            return {"status": "skipped", "reason": "the command task is `hfx cls` on a model with a POI"}
        args = [str(build_dir() / "hfx"), "cls", workload.workspace, "--backend", self.backend,
                "--threads", str(self.threads)]
        for p in workload.patches:
            args += ["-p", p]

        def once():  # one whole `hfx cls` process, timed with the same call as `pyhf cls` (engines/pyhf.py)
            proc = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
            if proc.returncode != 0:
                raise RuntimeError(f"hfx cls exited {proc.returncode}: {proc.stderr.strip()[-500:]}")
            doc = json.loads(proc.stdout)
            return {"quantity": "CLs_obs", "value": doc["CLs_obs"], "extra": {"CLs_exp": doc["CLs_exp"]}}

        try:
            timing, result = measure(once, protocol)
        except RuntimeError as e:
            return {"status": "error", "reason": str(e)}
        peak = run_measured(args, timeout)[4]  # the peak memory from one more run, outside the timing
        return {"status": "ok", "device": "cpu", "timing": timing, "result": result,
                "memory": {"peak_host_bytes": peak, "peak_device_bytes": None}, "versions": {"hfx": git_commit()}}

    def _workflow(self, workload, task, protocol, timeout):
        """One whole `hfx ranking|profile-scan|significance` process (start-up and parsing included, as a
        user runs it; all of a ranking's or a scan's fits run as one batch inside), with the numbers
        cabinetry's rows are compared on (engines/cabinetry.py)."""
        from .cabinetry import largest, ranking_values, scan_values
        name = task["name"]
        if not workload.workspace:
            return {"status": "skipped", "reason": "this workload is a grid only"}
        why = needs_poi(workload.no_poi, name)
        if why:
            return {"status": "skipped", "reason": why}
        args = [str(build_dir() / "hfx"), name, workload.workspace, "--backend", self.backend,
                "--threads", str(self.threads), "--timings"]
        for p in workload.patches:
            args += ["-p", p]
        after_model = []  # per call: the process's time once its model was built (after_model_s)
        if name == "profile-scan":
            args += ["--par", task.get("par") or workload_poi(workload), "--range", task["range"]]
            if task.get("par2"):
                args += ["--par", task["par2"], "--range", task["range2"]]

        def once():
            proc = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
            if proc.returncode != 0:
                raise RuntimeError(f"hfx {name} exited {proc.returncode}: {proc.stderr.strip()[-500:]}")
            doc = json.loads(proc.stdout)
            after_model.append(after_model_s(proc.stderr))
            if name == "ranking":
                rows = [{"name": r["name"], **{k: r[f"impact_{k}"] for k in ("prefit_up", "prefit_down", "postfit_up",
                                                                              "postfit_down")}} for r in doc["ranking"]]
                return {"quantity": "impacts", "value": largest(rows), "values": ranking_values(rows),
                        "extra": {"n_parameters": len(rows), "status": doc.get("status")}}
            if name == "profile-scan":
                return {"quantity": "delta_twice_nll_last", "value": doc["points"][-1]["delta_twice_nll"],
                        "values": scan_values(doc["points"]),
                        "extra": {"bestfit": doc["bestfit"], "shape": doc["shape"], "status": doc.get("status")}}
            values = {"Z_obs": doc["observed"]["Z"], "Z_exp": doc["expected"]["Z"]}
            return {"quantity": "Z_obs", "value": values["Z_obs"], "values": values,
                    "extra": {"p0_obs": doc["observed"]["p0"], "p0_exp": doc["expected"]["p0"]}}

        try:
            timing, result = measure(once, protocol)
        except (RuntimeError, subprocess.TimeoutExpired) as e:
            return {"status": "error", "reason": str(e)}
        peak = run_measured(args, timeout)[4]  # the peak memory from one more run, outside the timing
        timed = after_model[len(after_model) - timing["repeats"] * timing["inner"]:]  # the warm-up's left out
        if all(t is not None for t in timed):
            result.setdefault("extra", {})["after_model_s"] = summary(timed)
        return {"status": "ok", "device": "cpu" if self.backend.startswith("cpu") else self.backend, "timing": timing,
                "result": result, "memory": {"peak_host_bytes": peak, "peak_device_bytes": None},
                "versions": {"hfx": git_commit()}}

    def _convert(self, workload, name, protocol, timeout):
        if not workload.workspace:
            return {"status": "skipped", "reason": "this workload is a grid only"}
        hfx = str(build_dir() / "hfx")
        with tempfile.TemporaryDirectory(prefix=f"hfxbench-{name}-") as tmp:
            def cmd(i):  # call i writes into a folder of its own, as a fresh conversion
                if name == "json2xml":
                    out = Path(tmp) / f"out{i}"
                    out.mkdir()
                    args = [hfx, "json2xml", workload.workspace, "--output-dir", str(out)]
                    for p in workload.patches:
                        args += ["-p", p]
                    return args, str(out / "FitConfig.xml")
                out = Path(tmp) / f"out{i}.json"
                return [hfx, "xml2json", xml, "--basedir", src, "--output-file", str(out)], str(out)
            try:
                src, xml = (convert_input(workload.workspace, workload.patches, tmp, timeout) if name == "xml2json"
                             else (None, None))
                timing, peak, converted = convert(cmd, protocol, timeout)
                value = eval_twice_nll([converted], timeout)
                original = eval_twice_nll([workload.workspace, *[a for p in workload.patches for a in ("-p", p)]],
                                          timeout)
            except RuntimeError as e:
                return {"status": "error", "reason": str(e)}
        return {"status": "ok", "device": "cpu", "timing": timing, "memory": {"peak_host_bytes": peak,
                                                                               "peak_device_bytes": None},
                "result": {"quantity": "twice_nll", "value": value, "extra": {"original_twice_nll": original}},
                "versions": {"hfx": git_commit()}}

    def _grid(self, workload, protocol, timeout):
        grid = workload.grid
        patches = grid["patches"] if isinstance(grid["patches"], list) else [grid["patches"]]
        args = [str(build_dir() / "hfx"), "scan", grid["background"], *patches, "--backend", self.backend,
                "--jobs", str(self.threads), "--threads", "1"]
        peak = [0]

        def once():  # one whole `hfx scan` process: the timing includes start-up and parsing
            rc, out, err, _, rss = run_measured(args, timeout)
            if rc != 0 and not out:
                raise RuntimeError(f"hfx scan exited {rc}: {err.strip()[-500:]}")
            peak[0] = max(peak[0], rss)
            values = {}
            for line in out.splitlines():
                row = json.loads(line)
                values[row["patch"]] = row.get("CLs_obs")  # null where hfx reported an error for the patch
            return {"quantity": "CLs_obs", "value": float(len(values)), "values": values}

        try:
            timing, result = measure(once, protocol)
        except RuntimeError as e:
            return {"status": "error", "reason": str(e)}
        return {"status": "ok", "device": "cpu", "timing": timing, "result": result,
                "memory": {"peak_host_bytes": peak[0], "peak_device_bytes": None}, "versions": {"hfx": git_commit()}}


CONVERSIONS = ("json2xml", "xml2json")
WORKFLOWS = ("ranking", "profile-scan", "significance")

TIMINGS = re.compile(r"hfx: timings: parse ([0-9.]+) ms, compile ([0-9.]+) ms, engine ([0-9.]+) ms, .*total ([0-9.]+) ms")


def after_model_s(stderr):
    """From a process's `--timings` line: its time once the model and engine were built (the fits, the
    uncertainties, the output: total - parse - compile - engine), in seconds, as cabinetry's rows are
    timed (the model built outside the timing); None without the line."""
    m = TIMINGS.search(stderr)
    if not m:
        return None
    parse, compile_, engine, total = (float(x) for x in m.groups())
    return (total - parse - compile_ - engine) / 1e3


def workload_poi(workload):
    """The POI of a workload's measurement (the first), its patches applied: the parameter a profile-scan
    task scans unless it names one."""
    import jsonpatch
    from ..jsonio import read_json
    spec = read_json(workload.workspace)
    for p in workload.patches:
        spec = jsonpatch.apply_patch(spec, read_json(p))
    return spec["measurements"][0]["config"]["poi"]


def convert_input(workspace, patches, tmp, timeout):
    """The xml2json task's input, for hfx and pyhf alike: the files `hfx json2xml` writes of the workspace
    (its patches applied), in tmp/src. Returns (that folder, its driver XML)."""
    src = Path(tmp) / "src"
    src.mkdir()
    args = [str(build_dir() / "hfx"), "json2xml", workspace, "--output-dir", str(src)]
    for p in patches:
        args += ["-p", p]
    rc, _, err, _, _ = run_measured(args, timeout)
    if rc != 0:
        raise RuntimeError(f"hfx json2xml (the xml2json input) exited {rc}: {err.strip()[-500:]}")
    return str(src), str(src / "FitConfig.xml")


def convert(cmd, protocol, timeout):
    """Times whole conversion processes: cmd(i) -> (argv, the file its output is read back from), a new
    output per call. Returns (timing, peak RSS bytes, the last call's output)."""
    calls, last = [0], [None]

    def once():  # timed with the same call as pyhf's conversions (engines/pyhf.py)
        args, out = cmd(calls[0])
        calls[0] += 1
        proc = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(Path(a).name for a in args[:2])} exited {proc.returncode}: "
                               f"{proc.stderr.strip()[-500:]}")
        last[0] = out
        return None

    timing, _ = measure(once, protocol)
    peak = run_measured(cmd(calls[0])[0], timeout)[4]  # the peak memory from one more call, outside the timing
    return timing, peak, last[0]


def eval_twice_nll(args, timeout):
    """twice_nll at the parameters' inits by `hfx eval` (a workspace, or a driver XML, and its options)."""
    rc, out, err, _, _ = run_measured([str(build_dir() / "hfx"), "eval", *args], timeout)
    if rc != 0:
        raise RuntimeError(f"hfx eval exited {rc}: {err.strip()[-500:]}")
    return json.loads(out)["twice_nll"]


class HfxScanEngine(HfxEngine):
    """The grid task as rows of a scaling table, run side by side in one block: `hfx scan --jobs J`
    (J threads, one process) and `mpirun -n R hfx scan --jobs 1` (R ranks), each patch on the cpu-ref
    backend. With --timings every rank reports the CPU time of its main thread (writing the lines in
    order, MPI messages and polls: the bookkeeping, the patches being on the other threads); "work"
    records their sum over the ranks, in the last timed run, and its share of the run's core time
    (wall time x ranks x jobs). Grid task only."""

    def __init__(self, jobs=1, ranks=None):
        super().__init__("cpu-ref", jobs)
        self.ranks = ranks
        self.id = f"hfxscan-mpi{ranks}" if ranks else f"hfxscan-j{jobs}"

    def describe(self):
        d = super().describe()
        d.update(ranks=self.ranks or 1, jobs=self.threads)
        return d

    def available(self):
        ok, why = super().available()
        if not ok or not self.ranks:
            return ok, why
        if not shutil.which("mpirun"):
            return False, "mpirun not found (Debian: apt-get install openmpi-bin libopenmpi-dev)"
        version = subprocess.run([str(build_dir() / "hfx"), "--version"], capture_output=True, text=True).stdout
        if "MPI (" not in version:
            return False, "this hfx was built without MPI (-DHFX_MPI=ON and an MPI library)"
        return True, ""

    def run(self, workload, task, protocol, timeout):
        if task["name"] != "grid":
            return {"status": "skipped", "reason": "the scaling rows time hfx scan (the grid task) only"}
        return self._grid(workload, protocol, timeout)

    def _grid(self, workload, protocol, timeout):
        grid = workload.grid
        patches = grid["patches"] if isinstance(grid["patches"], list) else [grid["patches"]]
        args = [str(build_dir() / "hfx"), "scan", grid["background"], *patches, "--backend", "cpu-ref",
                "--jobs", str(self.threads), "--threads", "1", "--timings"]
        env = None
        if self.ranks:
            # as root in a container Open MPI wants to be told; more ranks than cores are allowed
            env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
            args = ["mpirun", "--oversubscribe", "-n", str(self.ranks), *args]
        peak, work = [0], {}

        def once():
            rc, out, err, wall, rss = run_measured(args, timeout, env)
            if rc != 0 and not out:
                raise RuntimeError(f"{' '.join(args[:4])} exited {rc}: {err.strip()[-500:]}")
            peak[0] = max(peak[0], rss)
            main_cpu = [float(m.group(1)) for m in re.finditer(r"main thread \(.*?\) ([0-9.]+) s CPU", err)]
            workers = (self.ranks or 1) * self.threads
            work.update(ranks=self.ranks or 1, jobs=self.threads, ranks_reporting=len(main_cpu),
                        main_thread_cpu_s=sum(main_cpu), wall_s=wall,
                        bookkeeping_share=sum(main_cpu) / (wall * workers) if wall > 0 else None)
            values = {}
            for line in out.splitlines():
                row = json.loads(line)
                values[row["patch"]] = row.get("CLs_obs")
            return {"quantity": "CLs_obs", "value": float(len(values)), "values": values}

        try:
            timing, result = measure(once, protocol)
        except RuntimeError as e:
            return {"status": "error", "reason": str(e)}
        return {"status": "ok", "device": "cpu", "timing": timing, "result": result, "work": dict(work),
                "memory": {"peak_host_bytes": peak[0], "peak_device_bytes": None}, "versions": {"hfx": git_commit()}}


def scan_engines():
    """The scaling rows: one process with 1 and 2 jobs, mpirun with 1 and 2 ranks."""
    return [HfxScanEngine(jobs=1), HfxScanEngine(jobs=2), HfxScanEngine(ranks=1), HfxScanEngine(ranks=2)]


def git_commit():
    # HFX_COMMIT: where the tree has no .git (the GPU machine's copy), scripts/gpu-check.sh passes the
    # commit its bundle was assembled from
    if os.environ.get("HFX_COMMIT"):
        return os.environ["HFX_COMMIT"]
    try:
        rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=REPO).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "src", "include", "tools"], capture_output=True, text=True,
                               cwd=REPO).stdout.strip()
        return rev + ("-dirty" if dirty else "")
    except OSError:
        return "unknown"
