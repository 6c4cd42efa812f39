"""Hostile input through the CLI (tests/data/hostile/README.md): every case of the corpus gives
exactly its one-line error, exit status 1 and nothing on stdout; outputs are strict JSON (no bare
NaN or Infinity); the input limits hold."""
import gzip
import json
import os
import re
import resource
import shlex
import subprocess
import time

import pytest

from conftest import DATA

HOSTILE = DATA / "hostile"


def cases():
    rows = []
    for line in open(HOSTILE / "expected.tsv"):
        args, message = line.rstrip("\n").split("\t", 1)
        rows.append((args, message))
    return rows


CASES = cases()


def strict_json(text):
    """json.loads that refuses Python's NaN / Infinity tokens, as strict parsers do."""
    return json.loads(text, parse_constant=lambda token: pytest.fail(f"bare {token} in hfx's JSON output"))


@pytest.mark.parametrize("args,message", CASES, ids=[a for a, _ in CASES])
def test_hostile_case(hfx, args, message):
    argv = shlex.split(args)
    stdin_file = next((a[1:] for a in argv if a.startswith("<")), None)
    argv = [a for a in argv if not a.startswith("<")]
    stdin = open(HOSTILE / stdin_file, "rb") if stdin_file else subprocess.DEVNULL
    start = time.monotonic()
    proc = subprocess.run([hfx.exe, *argv], cwd=HOSTILE, stdin=stdin, capture_output=True, timeout=60)
    elapsed = time.monotonic() - start
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout == b""
    assert proc.stderr.decode() == f"hfx: error: {message}\n"
    # Linear-time loading: the 10,000-patch patchset took 5-30 s with the pairwise check, 0.1 s now;
    # 5 s leaves room for a loaded machine and still catches the quadratic check.
    assert elapsed < 5.0, f"{args} took {elapsed:.1f} s"


def test_every_file_is_used():
    used = " ".join(a for a, _ in CASES)
    # and what the driver XMLs read: their channel XMLs, and the ROOT files these name
    for _ in range(2):
        xmls = set(re.findall(r"[\w.-]+\.xml", used))
        used += " ".join((HOSTILE / x).read_text() for x in sorted(xmls) if (HOSTILE / x).is_file())
    # results-*: the result-file cases, run by test_cli_results.py from results-expected.tsv
    files = [p.name for p in HOSTILE.iterdir()
             if p.name not in ("README.md", "expected.tsv") and not p.name.startswith("results-")]
    assert files and all(name in used for name in files), [n for n in files if n not in used]


def test_patchset_inspect_prints_string_values(hfx):
    # was: NaN for the string label value "heavy", a bare token that is not JSON
    out = strict_json(hfx("patchset", "inspect", "--json", DATA / "spec-patchset.json").stdout)
    values = {p["name"]: p["values"] for p in out["patches"]}
    assert values == {"sig_500_100": [500.0, 100.0], "sig_600_100": [600.0, 100.0], "sig_700_200": ["700", "heavy"]}
    text = hfx("patchset", "inspect", DATA / "spec-patchset.json").stdout
    assert text.splitlines()[-1].split() == ["sig_700_200", "700", "heavy"]


def test_infinite_result_is_null_with_a_warning(hfx):
    # sf = 0 empties the CR bin, which observes 205 events: the likelihood is 0, twice_nll +inf
    proc = hfx("eval", DATA / "spec-simple.json", "--pars", '{"sf": [0.0]}')
    assert strict_json(proc.stdout) == {"twice_nll": None}
    assert proc.stderr == "hfx: warning: /twice_nll is Infinity, written as null (JSON has no NaN or Infinity)\n"


def test_gzip_members_and_stdin(hfx, tmp_path):
    # gunzip reads concatenated members (RFC 1952); so does hfx, also on standard input
    text = (DATA / "spec-simple.json").read_bytes()
    two = tmp_path / "two-members.json.gz"
    two.write_bytes(gzip.compress(text[:100]) + gzip.compress(text[100:]))
    ref = strict_json(hfx("fit", DATA / "spec-simple.json").stdout)
    assert strict_json(hfx("fit", two).stdout) == ref
    proc = subprocess.run([hfx.exe, "fit", "-"], stdin=open(two, "rb"), capture_output=True, text=True, check=True)
    assert strict_json(proc.stdout) == ref
    plain = tmp_path / "plain.json.gz"  # a name ending in .gz does not make plain JSON gzip
    plain.write_bytes(text)
    assert strict_json(hfx("fit", plain).stdout) == ref


def test_out_of_memory_says_what_and_how_much(hfx, tmp_path):
    # A 96 MB workspace read under a 64 MB address-space limit: the reader's buffer cannot grow.
    if os.environ.get("ASAN_OPTIONS") is not None:
        pytest.skip("address-space limits and sanitizers do not mix")
    big = tmp_path / "big.json"
    with open(big, "wb") as f:
        f.write(b" " * (96 << 20) + b"{}")
    limit = 64 << 20

    def cap():
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    proc = subprocess.run([hfx.exe, "fit", big], capture_output=True, text=True, preexec_fn=cap)
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr.startswith(f"hfx: error: {big}: out of memory allocating ")
    assert proc.stderr.endswith(" bytes for the input text\n")
