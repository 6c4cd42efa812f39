"""`hfx scan` on the published sbottom likelihoods: output format, order, determinism across --jobs,
per-patch errors, and the numbers of a sample of RegionA patches against pyhf (the C test
tests/c/test-sbottom.c checks all 650 in depth)."""
import json
import subprocess

import pytest

from conftest import read_jsonl


@pytest.fixture(scope="module")
def sbottom(sbottom_dir):
    return sbottom_dir


def test_scan_region_b(hfx, sbottom, shared):
    region = sbottom / "RegionB"
    patches = sorted(region.glob("patch.*.json"))[:40] + [region / "patch.sbottom_1500_1495_60.json"]
    one = hfx("scan", region / "BkgOnly.json", *patches, "--jobs", "1", check=False)
    two = hfx("scan", region / "BkgOnly.json", *patches, "--jobs", "2", check=False)
    assert one.returncode == 1  # one patch fails (below), the others are printed
    assert one.stdout == two.stdout  # deterministic whatever the thread count
    rows = [json.loads(line) for line in one.stdout.splitlines()]
    assert [r["patch"] for r in rows] == [p.name[len("patch."):-len(".json")] for p in patches]
    ref = {r["patch"]: r for r in read_jsonl(shared / "reference" / "sbottom_pyhf076.jsonl") if r["region"] == "RegionB"}
    bad = rows[-1]
    assert bad["patch"] == "sbottom_1500_1495_60" and "POI 'mu_SIG'" in bad["error"]
    close = 0
    for r in rows[:-1]:
        assert 0 <= r["CLs_obs"] <= 1 and len(r["CLs_exp"]) == 5
        assert r["CLs_exp"] == sorted(r["CLs_exp"])
        want = ref[r["patch"]]["cls_obs"]
        close += want is not None and abs(r["CLs_obs"] - want) <= 1e-4 * abs(want)
    # every patch is checked against pyhf or converged pyhf in tests/c/test-sbottom.c; here at least
    # three quarters must match the default-tolerance reference directly
    assert close >= 0.75 * (len(rows) - 1)


def test_main_job_script(sbottom, tmp_path):
    """The README's main command on an extracted directory: a summary table and a results file."""
    from conftest import REPO
    import os
    import sys
    # the interpreter of the tests first: the script draws its contours with it (matplotlib)
    env = {"HFX_SCAN_OUTPUT": str(tmp_path / "scan.jsonl"), "PATH": f"{os.path.dirname(sys.executable)}:/usr/bin:/bin"}
    proc = subprocess.run([str(REPO / "scripts" / "sbottom.sh"), str(sbottom)], capture_output=True, text=True,
                          env=env)
    assert proc.returncode == 0, proc.stderr
    assert "total        650" in proc.stdout
    rows = read_jsonl(tmp_path / "scan.jsonl")
    assert len(rows) == 650 and sum("error" in r for r in rows) == 1
    total = next(line for line in proc.stdout.splitlines() if line.startswith("total")).split()
    assert int(total[4]) == sum("warnings" in r for r in rows)  # the "warned" column
    # the fits' warnings are kept in the results, counted on the terminal, not printed one by one
    n_warn = sum(len(r.get("warnings", [])) for r in rows)
    assert n_warn > 0 and "--explore none reproduces" not in proc.stderr
    assert (f'warnings: {n_warn} in {total[4]} patches, not printed here: read them in the "warnings" of their '
            f'lines in {tmp_path / "scan.jsonl"}') in proc.stdout
    # and the exclusion contour of each region beside the results, named (tests/python/test_plot.py checks them)
    for region in ("RegionA", "RegionB", "RegionC"):
        prefix = tmp_path / f"scan-{region}-contour"
        assert f"contour {region}: {prefix}.png {prefix}.svg" in proc.stdout
        assert (tmp_path / f"scan-{region}-contour.png").stat().st_size > 10_000


def test_scan_groups_same_lines(hfx, sbottom):
    """Model groups (--groups on: every patch's hypotest in one job state machine, docs/batching.md)
    print the lines of a scan without them byte for byte: CLs, status, warnings, and the error of the
    patch whose model cannot be built (tolerance 0: the same fits; tests/c/test-groups.c checks all
    650 patches in the library). RegionB's first 40 patches, the one of them with a lower-minimum
    warning (sbottom_300_205_60) and the failing one, with --jobs 2; auto is off on the CPU."""
    region = sbottom / "RegionB"
    patches = sorted(region.glob("patch.*.json"))[:40] + [region / f"patch.sbottom_{p}.json"
                                                          for p in ("300_205_60", "1500_1495_60")]
    off = hfx("scan", region / "BkgOnly.json", *patches, "--jobs", "2", "--groups", "off", check=False)
    on = hfx("scan", region / "BkgOnly.json", *patches, "--jobs", "2", "--groups", "on", check=False)
    auto = hfx("scan", region / "BkgOnly.json", *patches, "--jobs", "2", check=False)
    assert off.returncode == on.returncode == auto.returncode == 1  # the failing patch
    assert on.stdout == off.stdout == auto.stdout
    assert '"warnings"' in on.stdout
    assert sorted(on.stderr.splitlines()) == sorted(off.stderr.splitlines())  # the warnings, in any order


def test_scan_groups_usage(hfx, sbottom):
    region = sbottom / "RegionB"
    args = ["scan", region / "BkgOnly.json", region / "patch.sbottom_1000_131_1.json"]
    cases = [
        (["--groups", "bogus"], "invalid value 'bogus' for --groups (expected auto, on or off)"),
        (["--groups", "on", "--upper-limit"], "--groups on runs the asymptotic CLs scan, not --upper-limit"),
        (["--groups", "on", "--calctype", "toybased"], "--groups on runs the asymptotic CLs scan, not --calctype toybased"),
        (["--groups", "on", "--backend", "cpu-ref"],
         "--groups on: backend 'cpu-ref' has no model groups or is not usable here (cpu and cuda have groups)"),
    ]
    for extra, message in cases:
        proc = hfx(*args, *extra, check=False)
        assert proc.returncode == 2, extra
        assert proc.stdout == ""
        assert proc.stderr == f"hfx: error: {message} (see 'hfx scan --help')\n"
