"""`mpirun --oversubscribe -n 3 hfx ...`: the work of one command shared by MPI ranks gives exactly
what one process prints: scans (patches handed out one at a time by rank 0, lines in input order),
shards and resumed scans, upper-limit scans, upper-limit grids (chunks of points handed out by rank
0), and toy-based CLs (each rank a range of toys, warnings and failed toys gathered). An error is
one line, however many ranks meet it.
Skipped, with the reason, where mpirun is absent or hfx was built without MPI."""
import json
import os
import shutil
import signal
import subprocess
import time

import pytest

from conftest import DATA

RANKS = 3  # more ranks than cores here: --oversubscribe


@pytest.fixture(scope="module")
def mpirun(hfx):
    launcher = shutil.which("mpirun")
    if not launcher:
        pytest.skip("mpirun not found (Debian: apt-get install openmpi-bin libopenmpi-dev)")
    if "MPI (" not in hfx("--version").stdout:
        pytest.skip("this hfx was built without MPI (-DHFX_MPI=OFF or no MPI library at configure time)")
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
               OMPI_MCA_rmaps_base_oversubscribe="1")

    def run(*args, check=True, ranks=RANKS):
        cmd = [launcher, "--oversubscribe", "-n", str(ranks), hfx.exe, *map(str, args)]
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
        if check and proc.returncode != 0:
            raise AssertionError(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr}")
        return proc

    run.cmd = lambda *args: [launcher, "--oversubscribe", "-n", str(RANKS), hfx.exe, *map(str, args)]
    run.env = env
    run.launcher = launcher
    return run


def test_mpi_scan_prints_what_one_process_prints(hfx, mpirun, sbottom_a, tmp_path):
    bad = tmp_path / "patch.broken.json"
    bad.write_text(json.dumps([{"op": "remove", "path": "/channels/99"}]))
    inputs = [sbottom_a / "BkgOnly.json", *sorted(sbottom_a.glob("patch.*.json"))[:50], bad,
              *sorted(sbottom_a.glob("patch.*.json"))[50:90]]
    one = hfx("scan", *inputs, check=False)
    many = mpirun("scan", *inputs, "--jobs", "1", check=False)
    assert one.returncode == many.returncode == 1  # the broken patch's error line, the others computed
    assert many.stdout == one.stdout  # byte for byte, in input order
    assert len(one.stdout.splitlines()) == 91 and '"patch": "broken", "error"' in one.stdout


def test_mpi_shard_and_upper_limit_scan(hfx, mpirun, sbottom_a, tmp_path):
    bkg, files = sbottom_a / "BkgOnly.json", sorted(sbottom_a.glob("patch.*.json"))[:40]
    hfx("scan", bkg, *files, "--shard", "2/3", "-o", tmp_path / "one.jsonl")
    mpirun("scan", bkg, *files, "--shard", "2/3", "-o", tmp_path / "many.jsonl")
    assert (tmp_path / "many.jsonl").read_bytes() == (tmp_path / "one.jsonl").read_bytes()
    few = files[:5]
    assert mpirun("scan", bkg, *few, "--upper-limit").stdout == hfx("scan", bkg, *few, "--upper-limit").stdout


def rank_pid(launcher_pid, rank):
    """The process id of an MPI rank started by this mpirun (Open MPI exports the rank)."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = open(f"/proc/{entry}/stat").read()
            env = open(f"/proc/{entry}/environ", "rb").read().split(b"\0")
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == launcher_pid and f"OMPI_COMM_WORLD_RANK={rank}".encode() in env:
            return int(entry)
    pytest.fail(f"rank {rank} of mpirun {launcher_pid} not found")


def test_mpi_scan_resumes_after_the_job_is_killed(hfx, mpirun, sbottom_a, tmp_path):
    want = hfx("scan", sbottom_a / "BkgOnly.json", sbottom_a).stdout
    out = tmp_path / "scan.jsonl"
    args = ["scan", sbottom_a / "BkgOnly.json", sbottom_a, "--jobs", "1", "--output", out]
    proc = subprocess.Popen(mpirun.cmd(*args), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=mpirun.env)
    deadline = time.time() + 60
    while proc.poll() is None and time.time() < deadline:
        if out.exists() and out.read_bytes().count(b"\n") >= 31:  # the identity line and 30 patches
            break
        time.sleep(0.005)
    # SIGKILL rank 0, the one that writes (as when its node dies); mpirun then ends the job
    os.kill(rank_pid(proc.pid, 0), signal.SIGKILL)
    proc.wait()
    assert proc.returncode != 0
    done = out.read_text().count("\n") - 1  # the identity line first
    assert 30 <= done < 217, "the kill must land mid-run"
    again = mpirun(*args, "--resume")
    assert f"{done} of 217 patches there already" in again.stderr
    assert hfx("merge", out).stdout == want


def test_mpi_toys_are_the_one_process_toys(hfx, mpirun, tmp_path):
    ws = DATA / "infer_mixed.json"
    toy = ["--calctype", "toybased", "--ntoys", "200", "--seed", "11"]
    one = hfx("cls", ws, *toy)
    many = mpirun("cls", ws, *toy)
    assert many.stdout == one.stdout  # bit for bit: each rank a range of the same Philox streams
    # the statistics gathered at rank 0 are those of one run, for hfx toys merge
    mpirun("cls", ws, *toy, "--toys-out", tmp_path / "all.json")
    hfx("cls", ws, "--calctype", "toybased", "--seed", "11", "--toy-range", "0:200", "--toys-out", tmp_path / "one.json")
    assert (tmp_path / "all.json").read_text() == (tmp_path / "one.json").read_text()
    assert hfx("toys", "merge", tmp_path / "all.json").stdout == one.stdout


def test_mpi_upper_limit_grid_is_the_one_process_grid(hfx, mpirun, validation_paths, sbottom_a, tmp_path):
    """The points of a grid shared out over the ranks in chunks: rows, limits, status and the
    warnings (create's, then each chunk's in grid order) are one process's, byte for byte, whatever
    the split; so is stderr (the warnings' lines, printed by rank 0)."""
    bimodal = validation_paths["2bin_2channel_coupledhistosys"]
    sbottom = [sbottom_a / "BkgOnly.json", "-p", sorted(sbottom_a.glob("patch.*.json"))[0]]
    cases = [[DATA / "infer_mixed.json", "--scan", "0.2,4,9"],
             [bimodal, "--scan", "0,5,41"],  # multimodal fits: warnings from several chunks
             [*sbottom, "--scan", "0,3,21", "--backend", "cpu", "--threads", "1"]]
    for args in cases:
        one = hfx("upper-limit", *args)
        for ranks in (2, 3):
            many = mpirun("upper-limit", *args, ranks=ranks)
            assert many.stdout == one.stdout, (args, ranks)
            assert many.stderr == one.stderr
    assert len(json.loads(hfx("upper-limit", *cases[1]).stdout)["warnings"]) >= 3
    # more ranks than points, and the output file written once, by rank 0
    mpirun("upper-limit", DATA / "infer_mixed.json", "--scan", "0.2,4,2", "-o", tmp_path / "few.json")
    one = hfx("upper-limit", DATA / "infer_mixed.json", "--scan", "0.2,4,2").stdout
    assert (tmp_path / "few.json").read_text() + "\n" == one  # a file ends at its brace (pyhf's json.dump)


def test_mpi_upper_limit_root_search_runs_once(hfx, mpirun):
    one = hfx("upper-limit", DATA / "infer_mixed.json")
    many = mpirun("upper-limit", DATA / "infer_mixed.json")
    assert many.stdout == one.stdout and many.stderr == one.stderr


def error_lines(stderr):
    return [line for line in stderr.splitlines() if line.startswith("hfx: error:")]


def test_mpi_error_is_reported_once(hfx, mpirun, sbottom_a, tmp_path):
    """An error every rank meets (a missing workspace, a bad patch, a bad option) is one line, as from
    one process, and mpirun exits non-zero; commands that do not share work run on rank 0 alone."""
    bad = tmp_path / "patch.bad.json"
    bad.write_text(json.dumps([{"op": "remove", "path": "/channels/99"}]))
    missing = tmp_path / "missing.json"
    for args in [["scan", missing, *sorted(sbottom_a.glob("patch.*.json"))[:3]],
                 ["scan", sbottom_a / "BkgOnly.json", sbottom_a, "--shard", "1/0"],
                 ["cls", missing, "--calctype", "toybased", "--ntoys", "20"],
                 ["cls", DATA / "infer_mixed.json", "-p", bad, "--calctype", "toybased", "--ntoys", "20"],
                 ["upper-limit", missing, "--scan", "0,5,11"],
                 ["upper-limit", DATA / "infer_mixed.json", "--scan", "-5,5,11"],  # fits fail in some chunks
                 ["upper-limit", missing],
                 ["fit", missing]]:
        one = hfx(*args, check=False)
        many = mpirun(*args, check=False)
        assert one.returncode != 0 and many.returncode == one.returncode, args
        assert error_lines(many.stderr) == error_lines(one.stderr) and len(error_lines(one.stderr)) == 1, args
        assert many.stdout == one.stdout == ""
    # the help, once
    assert mpirun("scan", "--help").stdout == hfx("scan", "--help").stdout


def test_mpi_error_of_one_rank_names_it(hfx, mpirun, tmp_path):
    """A file missing on one node only: its rank's error reaches rank 0, named by rank, once; no rank
    waits for it forever (the toys' collectives start only when every rank could set up)."""
    script = tmp_path / "rank2.sh"
    script.write_text(f'#!/bin/sh\nws="$1"; shift\n[ "$OMPI_COMM_WORLD_RANK" = 2 ] && ws="{tmp_path}/only-here.json"\n'
                      f'exec "{hfx.exe}" "$@" "$ws"\n')
    script.chmod(0o755)
    for args in [["cls", "--calctype", "toybased", "--ntoys", "20"], ["upper-limit", "--scan", "0,5,11"]]:
        cmd = [mpirun.launcher, "--oversubscribe", "-n", "3", script, DATA / "infer_mixed.json", *args]
        proc = subprocess.run(list(map(str, cmd)), capture_output=True, text=True, env=mpirun.env, timeout=120)
        assert proc.returncode == 1, proc.stderr
        assert error_lines(proc.stderr) == [
            f"hfx: error: rank 2: {tmp_path}/only-here.json: cannot open file: No such file or directory"]
        assert proc.stdout == ""


def test_mpi_toys_gather_warnings_and_failures(hfx, mpirun, validation_paths, tmp_path):
    """Toys over ranks carry every rank's toy-fit warnings (one warning: the fits summed, the largest
    difference) and failed toys into the one output: one process's, byte for byte, stderr too."""
    from test_cli_toys import FAILING
    failing = tmp_path / "failing.json"
    failing.write_text(json.dumps(FAILING))
    bimodal = validation_paths["2bin_2channel_coupledhistosys"]
    for args in [[bimodal, "--test-stat", "q", "--normsys-interp", "code1", "--histosys-interp", "code0"],
                 [failing, "--seed", "5"]]:
        toy = [*args, "--calctype", "toybased", "--ntoys", "200"]
        one = hfx("cls", *toy)
        out = json.loads(one.stdout)
        assert out.get("warnings") or out["toys_failed"] > 0  # the cases say something
        for ranks in (2, 3):
            many = mpirun("cls", *toy, ranks=ranks)
            assert many.stdout == one.stdout and many.stderr == one.stderr, (args, ranks)
    toys = [w for w in json.loads(hfx("cls", bimodal, "--calctype", "toybased", "--ntoys", "200", "--test-stat", "q",
                                      "--normsys-interp", "code1", "--histosys-interp", "code0").stdout)["warnings"]
            if w["fit"].startswith("toy fits")]
    assert len(toys) == 1 and toys[0]["n_fits"] > 100
