"""pytest bench/: the suite's smoke run and its parts. Lets the tests import hfxbench.

`--bench-config NAME` also collects the cases of that configuration as pytest items (test_cases.py,
ids engine/workload/task: `pytest bench/ --bench-config full -k "sbottom and root"`); the cases that
ran are written as one results file, as `hfx-bench run` writes it, when the session ends."""
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))


def pytest_addoption(parser):
    g = parser.getgroup("hfx-bench", "the benchmark suite's cases as pytest items")
    g.addoption("--bench-config", default=None, help="collect this configuration's cases (smoke, full, gpu, user)")
    g.addoption("--bench-out", default=str(BENCH / "results"), help="where the results file goes (bench/results)")
    g.addoption("--bench-cache", default=str(BENCH / ".cache"), help="where generated workspaces go")
    g.addoption("--bench-workspace", default=None, help="the user configuration's workspace")
    g.addoption("--bench-patchset", default=None, help="the user configuration's patchset or folder of patches")
    g.addoption("--bench-timeout", type=float, default=600.0, help="seconds per case")


def bench_args(config):
    """The pytest options as the arguments hfxbench.run expects from its command line."""
    from argparse import Namespace
    return Namespace(cache=config.getoption("--bench-cache"), archive=None, engines=None, tasks=None, workloads=None,
                     workspace=config.getoption("--bench-workspace"), patchset=config.getoption("--bench-patchset"),
                     timeout=config.getoption("--bench-timeout"))


def pytest_sessionfinish(session):
    runner = getattr(session.config, "_hfx_bench_runner", None)
    if runner is None or not runner.records:
        return
    from hfxbench.run import write
    from hfxbench.schema import validate
    doc = runner.finish()
    validate(doc)
    path = write(doc, session.config.getoption("--bench-out"))
    n = {s: sum(r["status"] == s for r in doc["results"]) for s in ("ok", "skipped", "error")}
    sys.stderr.write(f"\nhfx-bench: {path} (and .csv): {n['ok']} measured, {n['skipped']} skipped, "
                     f"{n['error']} failed\n")
