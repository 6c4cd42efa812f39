"""`mpirun --oversubscribe -n 3 hfx ...`: the work of one command shared by MPI ranks gives exactly
what one process prints: scans (patches handed out one at a time by rank 0, lines in input order),
shards and resumed scans, upper-limit scans, and toy-based CLs (each rank a range of toys).
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
        if out.exists() and out.read_bytes().count(b"\n") >= 30:
            break
        time.sleep(0.005)
    # SIGKILL rank 0, the one that writes (as when its node dies); mpirun then ends the job
    os.kill(rank_pid(proc.pid, 0), signal.SIGKILL)
    proc.wait()
    assert proc.returncode != 0
    done = out.read_text().count("\n")
    assert 30 <= done < 217, "the kill must land mid-run"
    again = mpirun(*args, "--resume")
    assert f"{done} of 217 patches there already" in again.stderr
    assert out.read_text() == want


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
