"""hfx.plot (python/hfx/plot.py): every figure drawn from real result files of hfx's commands on the
published sbottom likelihoods, as PNG and SVG; the exclusion contour checked against the CLs of the
scan it is drawn from; bad input (tests/data/bad-plot/) answered by one line and exit status 1.

The module is loaded from its file, as scripts/sbottom.sh runs it: it must work without the C
extension."""
import importlib.util
import json
import subprocess
import sys

import numpy as np
import pytest

from conftest import DATA, REPO

PLOT_PY = REPO / "python" / "hfx" / "plot.py"
PATCH = "sbottom_1300_205_60"


@pytest.fixture(scope="module")
def plot():
    spec = importlib.util.spec_from_file_location("hfx_plot_under_test", PLOT_PY)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def run_plot(*args, cwd=None):
    return subprocess.run([sys.executable, str(PLOT_PY), *map(str, args)], capture_output=True, text=True,
                          cwd=cwd)


@pytest.fixture(scope="module")
def scans(hfx, sbottom_dir, tmp_path_factory):
    """hfx scan of each sbottom region: {region: path of its JSON lines}."""
    out = tmp_path_factory.mktemp("plot-scans")
    paths = {}
    for region in ("RegionA", "RegionB", "RegionC"):
        d = sbottom_dir / region
        proc = hfx("scan", d / "BkgOnly.json", d, "--jobs", "2", check=False)  # RegionB has a failing patch
        assert proc.returncode in (0, 1) and proc.stdout.count("\n") > 200, proc.stderr
        paths[region] = out / f"{region}.jsonl"
        paths[region].write_text(proc.stdout)
    return paths


def check_files(paths, prefix):
    assert [str(p) for p in paths] == [f"{prefix}.png", f"{prefix}.svg"]
    png, svg = (open(p, "rb").read() for p in paths)
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000
    assert b"<svg" in svg[:1000] and len(svg) > 10_000


#
# The exclusion contour
#

def _segments(lines):
    """The lines' straight pieces as two (m x 2) arrays of start and end points."""
    a = np.concatenate([seg[:-1] for seg in lines])
    b = np.concatenate([seg[1:] for seg in lines])
    return a, b


def _distance(p, segs):
    a, b = segs
    ab = b - a
    t = np.clip(np.einsum("ij,ij->i", p - a, ab) / np.maximum(np.einsum("ij,ij->i", ab, ab), 1e-300), 0, 1)
    return float(np.min(np.linalg.norm(p - (a + t[:, None] * ab), axis=1)))


def _crossings(p, q, segs):
    """How many times the segment p-q crosses the lines (strict: touching does not count)."""
    a, b = segs

    def orient(u, v, w):  # sign of the turn u -> v -> w, for arrays of points
        return np.sign((v[..., 0] - u[..., 0]) * (w[..., 1] - u[..., 1]) - (v[..., 1] - u[..., 1]) * (w[..., 0] - u[..., 0]))
    return int(np.sum((orient(p, q, a) * orient(p, q, b) < 0) & (orient(a, b, p) * orient(a, b, q) < 0)))


def sides_wrong(grid, lines, cls, level=0.05):
    """The patches at least a grid spacing (the distance to their nearest neighbour) away from the
    lines that lie on the wrong side of them, judged by geometry alone: the segment to a reference
    patch (far from the lines too) crosses them an odd number of times exactly when the two patches'
    CLs are on opposite sides of level. Also returns how many patches were far enough to judge."""
    pts = np.column_stack([grid["x"], grid["y"]])
    segs = _segments(lines)
    near = np.array([np.sort(np.linalg.norm(pts - p, axis=1))[1] for p in pts])
    far = [i for i in range(len(pts)) if _distance(pts[i], segs) >= near[i]]
    # The segments are drawn between points moved a little towards the grid's centre: strictly
    # inside the triangulated region (the lines end on its border, so a segment along the border
    # could pass by a line's end), and off the rows and columns of the grid, so that no segment
    # passes exactly through a vertex of a line (which would count twice).
    centre = pts.mean(axis=0)
    inner = pts + 1e-3 * np.sqrt(2) * (centre - pts)
    ref = far[0]
    wrong = []
    for i in far:
        odd = _crossings(inner[i], inner[ref], segs) % 2 == 1
        if odd != ((cls[i] < level) != (cls[ref] < level)):
            wrong.append(grid["patches"][i])
    return wrong, len(far)


@pytest.mark.parametrize("region", ["RegionA", "RegionB", "RegionC"])
def test_contour_separates_the_grid(plot, scans, region):
    rows = [json.loads(line) for line in open(scans[region])]
    grid = plot.signal_grid(rows)
    # the grid is the m(chi1) = 60 GeV plane of the patches' names, with the scan's CLs
    by_name = {r["patch"]: r for r in rows if "CLs_obs" in r}
    assert grid["fixed"] == {2: 60.0}
    assert len(grid["patches"]) == sum(name.endswith("_60") for name in by_name) >= 129
    for k, patch in enumerate(grid["patches"]):
        m_b1, m_chi2, m_chi1 = (float(v) for v in patch.split("_")[1:])
        assert (grid["x"][k], grid["y"][k], m_chi1) == (m_b1, m_chi2, 60.0)
        assert grid["cls_obs"][k] == by_name[patch]["CLs_obs"]
        assert list(grid["cls_exp"][k]) == by_name[patch]["CLs_exp"]
    lines = plot.exclusion_lines(grid)
    fields = {"observed": grid["cls_obs"], "expected": grid["cls_exp"][:, 2],
              "expected_minus1": grid["cls_exp"][:, 1], "expected_plus1": grid["cls_exp"][:, 3]}
    for key, cls in fields.items():
        assert lines[key], (region, key)  # every region excludes part of its plane
        wrong, judged = sides_wrong(grid, lines[key], cls)
        assert wrong == [], (region, key, wrong)
        # not vacuous: most patches are judged, on both sides of the line
        excluded = sum(cls < 0.05)
        assert judged >= 0.5 * len(cls) and 0 < excluded < len(cls), (region, key, judged, excluded)
        # and the check does catch a line in the wrong place: the same line moved by a quarter of the plane
        shift = np.array([0.25 * np.ptp(grid["x"]), 0.0])
        moved, _ = sides_wrong(grid, [seg + shift for seg in lines[key]], cls)
        assert moved, (region, key)


def test_contour_figure(plot, scans, tmp_path):
    prefix = tmp_path / "contour-A"
    proc = run_plot("contour", scans["RegionA"], "-o", prefix, "--label", "m(b1) [GeV]", "--label",
                    "m(chi2) [GeV]", "--label", "m(chi1) [GeV]", "--title", "sbottom Region A")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == [f"{prefix}.png", f"{prefix}.svg"]
    check_files(proc.stdout.split(), prefix)
    svg = open(f"{prefix}.svg").read()
    for text in ("m(b1) [GeV]", "m(chi2) [GeV]", "m(chi1) = 60 GeV", "sbottom Region A", "130 points"):
        assert text in svg, text  # text stays text in the SVG (svg.fonttype none)


def test_contour_of_sbottom_results_file(plot, scans, tmp_path):
    """scripts/sbottom.sh's file holds the three regions: one is chosen, and a choice is required."""
    both = tmp_path / "all.jsonl"
    with open(both, "w") as f:
        for region in ("RegionA", "RegionC"):
            for line in open(scans[region]):
                f.write(json.dumps({"region": region, **json.loads(line)}) + "\n")
    one = plot.signal_grid(both, region="RegionC")
    assert one["patches"] == plot.signal_grid(scans["RegionC"])["patches"]
    proc = run_plot("contour", both, "-o", tmp_path / "x")
    assert proc.returncode == 1 and proc.stderr.count("\n") == 1
    assert "rows of 2 regions (RegionA, RegionC): choose one with --region" in proc.stderr


def test_contour_from_module_scan(plot, scans, hfxmod, sbottom_dir):
    """hfx.scan's results (ScanResult tuples) place and colour the same grid as the CLI's lines."""
    region = sbottom_dir / "RegionA"
    files = sorted(region.glob("patch.*_60.json"))
    pairs = [(f.name[len("patch."):-len(".json")], json.loads(f.read_text())) for f in files]
    results = list(hfxmod.scan(region / "BkgOnly.json", pairs, jobs=2, ordered=True))
    mod, cli = plot.signal_grid(results), plot.signal_grid(scans["RegionA"])
    assert mod["patches"] == cli["patches"]
    np.testing.assert_array_equal(mod["cls_obs"], cli["cls_obs"])
    np.testing.assert_array_equal(mod["cls_exp"], cli["cls_exp"])


def test_contour_from_patchset_labels(plot, tmp_path):
    """A pyhf patchset's labels and values place the patches, not their names' numbers."""
    rng = np.random.default_rng(1)
    masses = [(a, b) for a in (100, 200, 300, 400) for b in (10, 50, 90)]
    ps = {"metadata": {"labels": ["m_stop", "m_lsp"], "digests": {}, "description": "", "references": {}},
          "patches": [{"metadata": {"name": f"point{i}", "values": list(m)}, "patch": []}
                      for i, m in enumerate(masses)]}
    (tmp_path / "ps.json").write_text(json.dumps(ps))
    rows = [{"patch": f"point{i}", "CLs_obs": float(c), "CLs_exp": sorted(rng.uniform(0, 1, 5).tolist())}
            for i, c in enumerate(np.linspace(0.001, 0.5, len(masses)))]
    grid = plot.signal_grid(rows, patchset=tmp_path / "ps.json")
    assert grid["axes"] == ("m_stop", "m_lsp") and grid["fixed"] == {}
    assert list(grid["x"]) == [a for a, _ in masses] and list(grid["y"]) == [b for _, b in masses]
    fig = plot.contour(rows, output=tmp_path / "ps", patchset=tmp_path / "ps.json")
    assert fig.axes[0].get_xlabel() == "m_stop"
    check_files([tmp_path / "ps.png", tmp_path / "ps.svg"], tmp_path / "ps")


#
# The other figures, from real results
#

def test_brazil(plot, hfx, sbottom_dir, tmp_path):
    d = sbottom_dir / "RegionA"
    proc = hfx("upper-limit", d / "BkgOnly.json", "-p", d / f"patch.{PATCH}.json", "--scan", "0,3,31")
    (tmp_path / "ul.json").write_text(proc.stdout)
    doc = json.loads(proc.stdout)
    fig = plot.brazil(tmp_path / "ul.json", output=tmp_path / "brazil")
    check_files([tmp_path / "brazil.png", tmp_path / "brazil.svg"], tmp_path / "brazil")
    ax = fig.axes[0]
    obs = next(line for line in ax.get_lines() if line.get_label() == "observed")
    assert list(obs.get_ydata()) == doc["CLs_obs"] and list(obs.get_xdata()) == doc["scan"]
    assert f"observed {doc['obs']:.3g}" in ax.get_title(loc="left")


def _analysis(hfx, sbottom_dir, tmp_path, *args, name):
    """An analyses command (issue 20 parts 1-4) on sbottom_1300_205_60, its JSON written to a file."""
    d = sbottom_dir / "RegionA"
    proc = hfx(*args[:1], d / "BkgOnly.json", "-p", d / f"patch.{PATCH}.json", *args[1:])
    path = tmp_path / f"{name}.json"
    path.write_text(proc.stdout)
    return path, json.loads(proc.stdout)


def test_ranking(plot, hfx, sbottom_dir, tmp_path):
    path, doc = _analysis(hfx, sbottom_dir, tmp_path, "ranking", name="ranking")
    fig = plot.ranking(path, output=tmp_path / "ranking", top=15)
    check_files([tmp_path / "ranking.png", tmp_path / "ranking.svg"], tmp_path / "ranking")
    ax_pull = fig.axes[0]
    names = [t.get_text() for t in ax_pull.get_yticklabels()]
    assert names == [r["name"] for r in doc["ranking"][:15]]  # the largest impact on top
    # the full ranking too
    fig = plot.ranking(doc, output=tmp_path / "all", top=None)
    assert len(fig.axes[0].get_yticklabels()) == len(doc["ranking"])


def test_module_entry(hfxmod, tmp_path):
    """python3 -m hfx.plot, as installed with the package (the script is the same file)."""
    import os
    proc = subprocess.run([sys.executable, "-m", "hfx.plot", "--help"], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": os.path.dirname(os.path.dirname(hfxmod.__file__))})
    assert proc.returncode == 0 and "python3 -m hfx.plot" in proc.stdout and "contour" in proc.stdout


def test_pulls_and_correlations(plot, hfx, sbottom_dir, tmp_path):
    if "--pulls" not in hfx("fit", "--help").stdout:
        pytest.skip("hfx fit has no --pulls --correlations in this build (issue 20 part 2)")
    path, doc = _analysis(hfx, sbottom_dir, tmp_path, "fit", "--pulls", "--correlations", name="fit")
    fig = plot.pulls(path, output=tmp_path / "pulls")
    check_files([tmp_path / "pulls.png", tmp_path / "pulls.svg"], tmp_path / "pulls")
    shown = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert shown == [r["name"] for r in doc["pulls"] if r.get("pull") is not None]
    fig = plot.correlations(path, output=tmp_path / "corr", threshold=0.2)
    check_files([tmp_path / "corr.png", tmp_path / "corr.svg"], tmp_path / "corr")
    m = np.array(doc["correlations"]["matrix"])
    kept = [n for i, n in enumerate(doc["correlations"]["names"])
            if any(abs(m[i, j]) >= 0.2 for j in range(len(m)) if j != i)]
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == kept and 2 <= len(kept) < len(m)
    plot.correlations(path, threshold=0)  # all of them


def test_profile_scans(plot, hfx, sbottom_dir, tmp_path):
    path, doc = _analysis(hfx, sbottom_dir, tmp_path, "profile-scan", "--par", "mu_SIG", "--range", "0,2.5,21",
                          name="scan1")
    fig = plot.profile_scan(path, output=tmp_path / "scan1")
    check_files([tmp_path / "scan1.png", tmp_path / "scan1.svg"], tmp_path / "scan1")
    curve = fig.axes[0].get_lines()[0]
    assert list(curve.get_ydata()) == [p["delta_twice_nll"] for p in doc["points"]]
    path, doc = _analysis(hfx, sbottom_dir, tmp_path, "profile-scan", "--par", "mu_SIG", "--range", "0,2.5,11",
                          "--par", "mu_ttbar", "--range", "0.6,1.4,11", name="scan2")
    assert doc["shape"] == [11, 11]
    plot.profile_scan(path, output=tmp_path / "scan2")
    check_files([tmp_path / "scan2.png", tmp_path / "scan2.svg"], tmp_path / "scan2")


#
# Bad input
#

def bad_cases():
    rows = []
    for line in open(DATA / "bad-plot" / "expected.tsv"):
        kind, file, message = line.rstrip("\n").split("\t", 2)
        rows.append((kind, file, message))
    return rows


@pytest.mark.parametrize("kind,file,message", bad_cases(), ids=[f"{k}/{f}" for k, f, _ in bad_cases()])
def test_bad_input(plot, kind, file, message, tmp_path, capsys, monkeypatch):
    # in this process (the command line's own code, main()): a new interpreter per case costs seconds
    monkeypatch.chdir(DATA / "bad-plot")
    assert plot.main([kind, file, "-o", str(tmp_path / "out")]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err == f"hfx.plot: error: {message}\n"
    assert not list(tmp_path.iterdir())  # nothing written


def test_bad_input_exit_status(tmp_path):
    """The script itself: exit status 1 and the one line, as main() returns and prints."""
    proc = run_plot("contour", "two-points.jsonl", "-o", tmp_path / "out", cwd=DATA / "bad-plot")
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr == ("hfx.plot: error: two-points.jsonl: 2 patch(es) with CLs in the plane (all): a contour "
                           "needs at least 3\n")


def test_usage_errors(plot, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for args in (["frobnicate", "x.json", "-o", "x"], ["ranking", "x.json"], ["ranking", "x.json", "-o", "x", "--top", "a"],
                 ["contour", "x.json", "-o", "x", "--fix", "2"]):
        with pytest.raises(SystemExit) as e:
            plot.main(args)
        assert e.value.code == 2, args
        assert capsys.readouterr().out == ""
    assert plot.main(["ranking", "x.json", "-o", "x"]) == 1
    assert "hfx.plot: error: x.json: No such file or directory\n" == capsys.readouterr().err
