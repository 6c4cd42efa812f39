"""hfx backends: the backends compiled in, each usable or not with a reason; the table and --json agree,
and a backend that the engine cannot start (cuda without a GPU) is reported as not usable, with why."""
import json
import shutil
import subprocess

import pytest


def gpu_present():
    """Whether this machine has an NVIDIA GPU that the driver sees (nvidia-smi lists one)."""
    if not shutil.which("nvidia-smi"):
        return False
    proc = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True)
    return proc.returncode == 0 and "GPU" in proc.stdout


def listing(hfx):
    return json.loads(hfx("backends", "--json").stdout)


def test_json_lists_cpu_backends_usable(hfx):
    got = listing(hfx)
    assert all(set(b) == {"name", "usable", "why", "description"} for b in got)
    by_name = {b["name"]: b for b in got}
    assert len(by_name) == len(got)
    for name in ("cpu-ref", "cpu"):
        assert by_name[name]["usable"] is True and by_name[name]["why"] is None
        assert by_name[name]["description"]
    for b in got:
        assert b["usable"] == (b["why"] is None)


def test_table_matches_json(hfx):
    proc = hfx("backends")
    assert proc.stderr == ""
    lines = proc.stdout.splitlines()
    got = listing(hfx)
    assert len(lines) == len(got)
    for line, b in zip(lines, got):
        assert line.split()[0] == b["name"]
        if b["usable"]:
            assert line.split()[1] == "usable" and line.endswith(b["description"])
        else:
            assert "compiled, not usable: " + b["why"] in line


def test_version_names_the_same_backends(hfx):
    version = hfx("--version").stdout
    for b in listing(hfx):
        assert b["name"] in version


def test_cuda_without_gpu_not_usable(hfx):
    by_name = {b["name"]: b for b in listing(hfx)}
    if "cuda" not in by_name:
        pytest.skip("this build has no cuda backend")
    if gpu_present():
        pytest.skip("a GPU is present (nvidia-smi lists one): nothing to check about its absence")
    cuda = by_name["cuda"]
    assert cuda["usable"] is False
    assert cuda["why"] and "CUDA" in cuda["why"]
    assert "cuda" in hfx("backends").stdout and "compiled, not usable: " in hfx("backends").stdout


def test_usage_errors(hfx):
    proc = hfx("backends", "--nope", check=False)
    assert proc.returncode == 2 and proc.stdout == "" and "--nope" in proc.stderr
    proc = hfx("backends", "extra", check=False)
    assert proc.returncode == 2 and proc.stdout == ""
