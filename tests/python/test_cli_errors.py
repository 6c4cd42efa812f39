"""Bad input through the CLI: every file of the two bad-input corpora gives exactly its expected
one-line error on stderr ("hfx: error: " + the line in expected.tsv), a non-zero exit status and
nothing on stdout."""
import pytest

from conftest import DATA


def corpus(name):
    rows = []
    for line in open(DATA / name / "expected.tsv"):
        file, message = line.rstrip("\n").split("\t", 1)
        rows.append((name, file, message))
    return rows


CASES = corpus("bad") + corpus("bad-model")


def command_for(directory, file):
    if file.endswith(".patch.json"):
        return ["fit", "../spec-simple.json", "-p", file]
    if file.endswith(".patchset.json"):
        return ["patchset", "inspect", file]
    return ["fit", file]


@pytest.mark.parametrize("directory,file,message", CASES, ids=[f"{d}/{f}" for d, f, _ in CASES])
def test_bad_input(hfx, directory, file, message):
    proc = hfx(*command_for(directory, file), cwd=DATA / directory, check=False)
    assert proc.returncode != 0
    assert proc.stdout == ""
    assert proc.stderr == f"hfx: error: {message}\n"


def test_usage_errors(hfx):
    for args in (["cls"], ["fit", "x.json", "--no-such-option"], ["cls", str(DATA / "spec-simple.json"), "--test-poi", "nan"],
                 ["frobnicate"]):
        proc = hfx(*args, check=False)
        assert proc.returncode == 2, args
        assert proc.stdout == ""
        assert proc.stderr.startswith("hfx")


def test_missing_file(hfx):
    proc = hfx("fit", DATA / "no-such-file.json", check=False)
    assert proc.returncode == 1 and proc.stdout == ""
    assert "no-such-file.json" in proc.stderr and "No such file" in proc.stderr
