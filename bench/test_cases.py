"""The benchmark suite's cases as pytest items, one per (engine, workload, task) of the configuration
named by --bench-config (none without it), with ids engine/workload/task:

    pytest bench/ --bench-config full -k "sbottom and root"

runs the ROOT rows of the sbottom workloads and writes the results file that `hfx-bench run` would
(conftest.py, at the end of the session), with only the cases that ran. A skipped case is a pytest
skip with the suite's reason; a failed case fails with the engine's message. The accuracy columns
compare with hfx-cpu-ref and pyhf-numpy-scipy where their rows ran in the same session."""
import pytest

from conftest import bench_args


def pytest_generate_tests(metafunc):
    if "bench_case" not in metafunc.fixturenames:
        return
    config = metafunc.config.getoption("--bench-config")
    if not config:
        metafunc.parametrize("bench_case", [pytest.param(None, marks=pytest.mark.skip(
            reason="the suite's cases are collected with --bench-config smoke|full|gpu|user"))], ids=["no-config"])
        return
    from hfxbench.run import Runner, case_id
    runner = getattr(metafunc.config, "_hfx_bench_runner", None)
    if runner is None:
        runner = metafunc.config._hfx_bench_runner = Runner(config, bench_args(metafunc.config))
    metafunc.parametrize("bench_case", runner.cases, ids=[case_id(c) for c in runner.cases])


def test_case(bench_case, request):
    runner = request.config._hfx_bench_runner
    rec = runner.run_case(bench_case)
    if rec["status"] == "skipped":
        pytest.skip(rec["reason"])
    assert rec["status"] == "ok", rec["reason"]
    t = rec["timing"]
    assert t["q25_s"] <= t["median_s"] <= t["q75_s"] and rec["result"]["quantity"]
