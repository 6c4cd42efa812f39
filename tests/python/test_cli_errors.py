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


# hfx ranking and hfx profile-scan (docs/analyses.md): bad parameters and grids
ANALYSIS_ERRORS = [
    (["ranking", DATA / "spec-simple.json", "--parameter", "nope"],
     "no parameter 'nope' in the model (per-bin parameters are named as pyhf's par_names, e.g. 'staterror_SR[0]')"),
    (["ranking", DATA / "analyses-fixed-par.json", "--parameter", "jes"],
     "parameter 'jes' is fixed in the model: it has no uncertainty, so no impact to rank"),
    (["ranking", DATA / "spec-simple.json", "--parameter", "sf[0]"],
     "parameter 'sf[0]' is unconstrained (a normfactor or shapefactor): it has no pre-fit width; a ranking takes "
     "constrained nuisance parameters"),
    (["ranking", DATA / "spec-simple.json", "--parameter", "mu"], "parameter 'mu' is the POI: a ranking gives the impacts on it"),
    (["profile-scan", DATA / "spec-simple.json", "--par", "nope"],
     "no parameter 'nope' in the model (per-bin parameters are named as pyhf's par_names, e.g. 'staterror_SR[0]')"),
    (["profile-scan", DATA / "spec-simple.json", "--par", "mu", "--range", "1,1,3"], "--range 1,1,3: the range is empty (LO must be below HI)"),
    (["profile-scan", DATA / "spec-simple.json", "--par", "mu", "--range", "2,1"], "--range 2,1: the range is empty (LO must be below HI)"),
    (["profile-scan", DATA / "spec-simple.json", "--par", "mu", "--range", "0,1,1"], "--range 0,1,1: a scan needs at least 2 points, got 1"),
    (["profile-scan", DATA / "spec-simple.json", "--par", "mu", "--par", "mu"], "parameter 'mu' is scanned twice"),
    (["profile-scan", DATA / "analyses-fixed-par.json", "--par", "jes"],
     "parameter 'jes' is fixed in the model: a profile scan takes a free parameter"),
    (["profile-scan", DATA / "spec-simple.json", "--par", "mu", "--range", "-1,2"],
     "the range -1 to 2 of 'mu' leaves its bounds [0, 5] (pyhf fits refuse such a start too)"),
]


@pytest.mark.parametrize("args,message", ANALYSIS_ERRORS,
                         ids=[f"{a[0]} {' '.join(map(str, a[2:]))}" for a, _ in ANALYSIS_ERRORS])
def test_analysis_errors(hfx, args, message):
    """hfx ranking / profile-scan given a parameter they cannot take, or an empty grid: one line, exit 1."""
    proc = hfx(*args, check=False)
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr == f"hfx: error: {message}\n"


def test_analysis_usage_errors(hfx):
    """Malformed options of the analyses: usage errors (exit 2), nothing on stdout."""
    spec = DATA / "spec-simple.json"
    for args in (["profile-scan", spec], ["profile-scan", spec, "--range", "0,1", "--par", "mu"],
                 ["profile-scan", spec, "--par", "mu", "--range", "0,1,3x"],
                 ["profile-scan", spec, "--par", "mu", "--range", "0,1", "--range", "0,2"],
                 ["profile-scan", spec, "--par", "mu", "--par", "jes", "--par", "lumi"],
                 ["fit", spec, "--pulls", "--no-uncertainties"]):
        proc = hfx(*args, check=False)
        assert proc.returncode == 2, args
        assert proc.stdout == "" and proc.stderr.startswith("hfx") and len(proc.stderr.splitlines()) == 1, args
