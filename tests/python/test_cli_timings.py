"""--timings: one line of phase times on stderr, standard output unchanged, and counts that match the
work (a q~ hypotest is five fits; a fit is one)."""
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
    assert t["n_fits"] == 5 and t["n_evals"] >= 5
    # the phases add up to the total (each printed to 1 us: 6 roundings)
    parts = t["parse"] + t["compile"] + t["engine"] + t["fits"] + t["inference"]
    assert abs(parts - t["total"]) <= 0.01


def test_fit_timings(hfx):
    t = timings(hfx("fit", DATA / "infer_simple.json", "--timings", "--explore", "none").stderr)
    assert t["n_fits"] == 1
