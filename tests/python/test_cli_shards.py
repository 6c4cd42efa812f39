"""Scans and toys split over batch jobs, in one process each (no MPI needed: these run in builds
without MPI too): `hfx scan --shard K/N` + `hfx merge` give the one-run output byte for byte and
refuse overlapping, missing, incomplete or foreign parts; `hfx scan --output FILE --resume` after a
real SIGKILL or SIGTERM mid-run loses nothing and repeats nothing; a failing patch writes its error
line and the scan goes on; toys run by ranges and `hfx toys merge` give the one-run CLs bit for bit.

Data: RegionA of the sbottom likelihoods bundled in data/ (217 patches, about 1 s per scan here;
HFX_TEST_QUICK=1, for sanitizer builds, takes its first 40)."""
import json
import os
import re
import signal
import subprocess
import time

import pytest

from conftest import DATA


N_PATCHES = 40 if os.environ.get("HFX_TEST_QUICK") == "1" else 217


def patches(region, n=None):
    files = sorted(region.glob("patch.*.json"))
    return files if n is None else files[:n]


@pytest.fixture(scope="module")
def full_run(hfx, sbottom_a):
    """The one-process output of all of RegionA: what every split must reproduce."""
    proc = hfx("scan", sbottom_a / "BkgOnly.json", *patches(sbottom_a, N_PATCHES), "--jobs", "2")
    assert len(proc.stdout.splitlines()) == N_PATCHES
    return proc.stdout


def test_shards_merge_into_the_one_run_output(hfx, sbottom_a, full_run, tmp_path):
    parts = []
    for k in (1, 2, 3):
        part = tmp_path / f"part{k}.jsonl"
        hfx("scan", sbottom_a / "BkgOnly.json", *patches(sbottom_a, N_PATCHES), "--shard", f"{k}/3", "--output", part,
            "--jobs", "2")
        header = json.loads(part.read_text().splitlines()[0])
        assert header["shard"] == f"{k}/3" and header["patches_total"] == N_PATCHES
        assert header["patches"] == len(range(k - 1, N_PATCHES, 3))
        parts.append(part)
    # a shard holds items k-1, k-1+N, ...: its lines are those of the one run, verbatim
    assert parts[1].read_text().splitlines()[1:] == full_run.splitlines()[1::3]
    merged = hfx("merge", parts[2], parts[0], parts[1])  # any order
    assert merged.stdout == full_run
    # each part names the scan's inputs (the same in every part) and its own patches
    headers = [json.loads(p.read_text().splitlines()[0]) for p in parts]
    assert len({h["inputs"] for h in headers}) == 1 and len({h["names"] for h in headers}) == 3
    hfx("merge", *parts, "-o", tmp_path / "merged.jsonl")
    assert (tmp_path / "merged.jsonl").read_text() == full_run


def test_merge_refuses_bad_sets_of_parts(hfx, sbottom_a, tmp_path):
    bkg, few = sbottom_a / "BkgOnly.json", patches(sbottom_a, 8)
    p = {}
    for k in (1, 2):
        p[k] = tmp_path / f"p{k}.jsonl"
        hfx("scan", bkg, *few, "--shard", f"{k}/2", "-o", p[k])
    other = tmp_path / "other.jsonl"
    hfx("scan", bkg, *few, "--shard", "2/2", "--test-poi", "2", "-o", other)
    cut = tmp_path / "cut.jsonl"
    cut.write_text("".join(p[2].read_text().splitlines(keepends=True)[:3]))
    plain = tmp_path / "plain.jsonl"
    plain.write_text(hfx("scan", bkg, *few).stdout)

    def refused(*parts):
        proc = hfx("merge", *parts, check=False)
        assert proc.returncode == 1 and proc.stdout == "", proc.stderr
        return proc.stderr

    assert f"missing part: shard 2/2 (1 of 2 parts given)" in refused(p[1])
    assert f"{p[1]} and {p[1]} are both shard 1/2 (overlapping parts)" in refused(p[1], p[1], p[2])
    assert f"{cut}: shard 2/2 is incomplete: 2 of its 4 patches" in refused(p[1], cut)
    assert f"{p[1]} and {other} are parts of different scans" in refused(p[1], other)
    assert f"{plain}:1: not a part of a sharded scan: written by an earlier hfx" in refused(plain)


def wait_for_lines(path, proc, n):
    """Waits until path has at least n complete lines (the scan is then mid-run)."""
    deadline = time.time() + 60
    while time.time() < deadline and proc.poll() is None:
        if path.exists() and path.read_bytes().count(b"\n") >= n:
            return
        time.sleep(0.005)
    pytest.fail(f"the scan ended (or stalled) before writing {n} lines")


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_resume_after_a_kill_loses_nothing_and_repeats_nothing(hfx, sbottom_a, full_run, tmp_path, sig):
    out = tmp_path / "scan.jsonl"
    cmd = [hfx.exe, "scan", sbottom_a / "BkgOnly.json", *patches(sbottom_a, N_PATCHES), "--jobs", "2", "--output", out]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wait_for_lines(out, proc, N_PATCHES // 7 + 1)  # the identity line, then N_PATCHES // 7 patches
    proc.send_signal(sig)
    proc.wait()
    # SIGKILL kills; SIGTERM stops the scan cleanly (test_cli_results.py), exit status 128 + 15
    assert proc.returncode == (-sig if sig == signal.SIGKILL else 143)
    text = out.read_text()
    lines = text.splitlines(keepends=True)
    done = (len(lines) if text.endswith("\n") else len(lines) - 1) - 1  # the identity line first
    assert N_PATCHES // 7 <= done < N_PATCHES, "the kill must land mid-run"
    # only whole lines: each is the one-run line of its patch, in order
    assert json.loads(lines[0])["hfx_scan"] == 2
    assert lines[1:done + 1] == full_run.splitlines(keepends=True)[:done]
    again = hfx("scan", *cmd[2:], "--resume")
    assert f"{done} of {N_PATCHES} patches there already (0 failed), {N_PATCHES - done} to do" in again.stderr
    assert out.read_text() == lines[0] + full_run
    assert hfx("merge", out).stdout == full_run  # an --output file is shard 1/1 of the scan


def test_resume_cuts_a_partial_line_and_refuses_another_scans_file(hfx, sbottom_a, tmp_path):
    bkg, few = sbottom_a / "BkgOnly.json", patches(sbottom_a, 6)
    want = hfx("scan", bkg, *few).stdout
    out = tmp_path / "scan.jsonl"
    hfx("scan", bkg, *few, "-o", out)
    header = out.read_text().splitlines(keepends=True)[0]
    assert out.read_text() == header + want
    lines = want.splitlines(keepends=True)
    out.write_text(header + "".join(lines[:2]) + lines[2][:40])  # as a machine crash could leave it
    proc = hfx("scan", bkg, *few, "-o", out, "--resume")
    assert "2 of 6 patches there already" in proc.stderr and proc.stdout == ""
    assert out.read_text() == header + want
    # the same file for a scan of other patches: refused, the file untouched
    proc = hfx("scan", bkg, *patches(sbottom_a)[10:16], "-o", out, "--resume", check=False)
    assert proc.returncode == 1
    assert re.search(rf"{out}:1: the output of a scan of other inputs \(identity [0-9a-f]{{16}}, this scan's is "
                     rf"[0-9a-f]{{16}}\)", proc.stderr)
    assert out.read_text() == header + want
    # a shard's file resumed as another shard: refused by its header
    part = tmp_path / "part.jsonl"
    hfx("scan", bkg, *few, "--shard", "1/2", "-o", part)
    proc = hfx("scan", bkg, *few, "--shard", "2/2", "-o", part, "--resume", check=False)
    assert proc.returncode == 1 and f"{part}:1: shard 1/2 of this scan, not 2/2" in proc.stderr
    usage = hfx("scan", bkg, *few, "--resume", check=False)
    assert usage.returncode == 2 and "--resume needs --output FILE" in usage.stderr


def test_a_failing_patch_writes_its_error_line_and_the_scan_goes_on(hfx, sbottom_a, tmp_path):
    bad = tmp_path / "patch.broken.json"
    bad.write_text(json.dumps([{"op": "remove", "path": "/channels/99"}]))
    bkg, few = sbottom_a / "BkgOnly.json", patches(sbottom_a, 4)
    inputs = [few[0], few[1], bad, few[2], few[3]]
    out = tmp_path / "scan.jsonl"
    proc = hfx("scan", bkg, *inputs, "-o", out, check=False)
    assert proc.returncode == 1
    rows = [json.loads(line) for line in out.read_text().splitlines()[1:]]
    assert [r["patch"] for r in rows][2] == "broken" and "error" in rows[2]
    assert all("CLs_obs" in r for i, r in enumerate(rows) if i != 2)
    # resumed, the error line counts as done (it is that patch's result) and the status stays 1
    again = hfx("scan", bkg, *inputs, "-o", out, "--resume", check=False)
    assert again.returncode == 1 and "5 of 5 patches there already (1 failed), 0 to do" in again.stderr


def test_upper_limit_scan_is_hfx_upper_limit_per_patch(hfx, sbottom_a):
    bkg, few = sbottom_a / "BkgOnly.json", patches(sbottom_a)[40:42]
    rows = [json.loads(line) for line in hfx("scan", bkg, *few, "--upper-limit").stdout.splitlines()]
    for row, patch in zip(rows, few):
        one = json.loads(hfx("upper-limit", bkg, "-p", patch).stdout)
        assert row["obs"] == one["obs"] and row["exp"] == one["exp"]  # the same computation, bit for bit


def test_toy_ranges_merge_into_the_one_run_cls(hfx, tmp_path):
    ws = DATA / "infer_mixed.json"
    toy = ["--calctype", "toybased", "--seed", "3"]
    one = hfx("cls", ws, *toy, "--ntoys", "300").stdout
    files = []
    for a, b in ((0, 70), (70, 71), (71, 300)):
        files.append(tmp_path / f"toys{a}.json")
        part = json.loads(hfx("cls", ws, *toy, "--toy-range", f"{a}:{b}", "--toys-out", files[-1]).stdout)
        assert 0 <= part["CLs_obs"] <= 1  # the CLs of the range's own toys
        saved = json.loads(files[-1].read_text())
        assert saved["first"] == a and saved["count"] == b - a and len(saved["teststat_b"]) == b - a
    assert hfx("toys", "merge", files[2], files[0], files[1]).stdout == one  # bit for bit, any order
    # a gap is refused (a file forgotten; test_cli_results.py), as are overlaps and other seeds
    gap = hfx("toys", "merge", files[0], files[2], check=False)
    assert gap.returncode == 1 and "a gap (toys 70..70 are in no file)" in gap.stderr
    proc = hfx("toys", "merge", files[0], files[0], check=False)
    assert proc.returncode == 1 and "overlap: each toy must come from one file" in proc.stderr
    other = tmp_path / "seed4.json"
    hfx("cls", ws, "--calctype", "toybased", "--seed", "4", "--toy-range", "300:400", "--toys-out", other)
    proc = hfx("toys", "merge", files[0], other, check=False)
    assert proc.returncode == 1 and "their seed differs" in proc.stderr
    usage = hfx("cls", ws, "--toy-range", "0:10", check=False)
    assert usage.returncode == 2 and "need --calctype toybased" in usage.stderr
