"""--timings: one line of phase times on stderr, standard output unchanged, and counts that match the
work (a q~ hypotest is pyhf's five fits less those whose answer is known: hypotest.c; a fit is one)."""
import json
import re

from conftest import DATA

LINE = re.compile(
    r"hfx: timings: parse (?P<parse>[0-9.]+) ms, compile (?P<compile>[0-9.]+) ms, engine (?P<engine>[0-9.]+) ms, "
    r"fits (?P<fits>[0-9.]+) ms \((?P<n_fits>\d+) fits, (?P<n_evals>\d+) evaluations\), "
    r"inference (?P<inference>-?[0-9.]+) ms, total (?P<total>[0-9.]+) ms$")


def timings(stderr):
    lines = [l for l in stderr.splitlines() if l.startswith("hfx: timings:")]
    assert len(lines) == 1, stderr
    m = LINE.match(lines[0])
    assert m, lines[0]
    return {k: float(v) for k, v in m.groupdict().items()}


def test_cls_timings(hfx):
    ws = DATA / "infer_simple.json"
    plain = hfx("cls", ws)
    timed = hfx("cls", ws, "--timings")
    assert json.loads(timed.stdout) == json.loads(plain.stdout)
    assert plain.stderr == ""
    t = timings(timed.stderr)
    # the free fit to the Asimov data is never run (its minimum is the generator's point), and the
    # Asimov generator (mu held at 0) not where the free fit's mu_hat is 0 already
    mu_hat = json.loads(hfx("fit", ws).stdout)["parameters"]["mu"]
    assert t["n_fits"] == (3 if mu_hat == 0.0 else 4) and t["n_evals"] >= t["n_fits"]
    # the phases add up to the total (each printed to 1 us: 6 roundings)
    parts = t["parse"] + t["compile"] + t["engine"] + t["fits"] + t["inference"]
    assert abs(parts - t["total"]) <= 0.01


def test_fit_timings(hfx):
    t = timings(hfx("fit", DATA / "infer_simple.json", "--timings", "--explore", "none").stderr)
    assert t["n_fits"] == 1
