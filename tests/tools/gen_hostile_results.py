"""Writes the result-file reproducers of issue 19 into tests/data/hostile/ (files results-*) and their
expected messages into tests/data/hostile/results-expected.tsv, run by tests/python/test_cli_results.py.

Each reproducer is made the way a user would make it: real hfx runs on tests/data/spec-simple.json and a
6-patch patchset, then damaged as the issue found them (a line replaced by a copy of another, a non-JSON
line, a shard of another background, a resume at another --test-poi, toys of two workspaces, ...). The
identity lines hold hfx's version and the digest of the inputs, so the files are regenerated when
either changes (a version bump):  python3 tests/tools/gen_hostile_results.py build/hfx
"""
import json
import pathlib
import subprocess
import sys

REPO = pathlib.Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "data"
OUT = DATA / "hostile"


def run(hfx, *args, check=True):
    proc = subprocess.run([hfx, *map(str, args)], cwd=OUT, capture_output=True, text=True)
    if check and proc.returncode != 0:
        sys.exit(f"hfx {' '.join(map(str, args))}: {proc.stderr}")
    return proc


def lines(name):
    return (OUT / name).read_text().splitlines(keepends=True)


def write(name, rows):
    (OUT / name).write_text("".join(rows))


def main(hfx):
    hfx = str(pathlib.Path(hfx).resolve())
    # inputs: a 6-patch patchset on spec-simple.json, and the background with its observations x 1.5
    ps = {"metadata": {"description": "signal points for spec-simple.json (issue 19 reproducers)",
                       "digests": {"md5": "0" * 32}, "labels": ["m"], "references": {"hepdata": "ins0000019"},
                       "analysis_id": "TEST-RESULTS"},
          "version": "1.0.0",
          "patches": [{"metadata": {"name": f"sig_{m}", "values": [m]},
                       "patch": [{"op": "replace", "path": "/channels/0/samples/0/data", "value": [s, 2 * s]}]}
                      for m, s in ((100, 1.0), (200, 1.5), (300, 2.0), (400, 2.5), (500, 3.0), (600, 4.0))]}
    (OUT / "results-patchset.json").write_text(json.dumps(ps, indent=1) + "\n")
    bkg = json.loads((DATA / "spec-simple.json").read_text())
    for obs in bkg["observations"]:
        obs["data"] = [1.5 * x for x in obs["data"]]
    (OUT / "results-bkg15.json").write_text(json.dumps(bkg, indent=1) + "\n")
    ws, pset = "../spec-simple.json", "results-patchset.json"
    cases = []

    # shards of one scan, then damaged copies
    for k in (1, 2):
        run(hfx, "scan", ws, pset, "--shard", f"{k}/2", "-o", f"results-part{k}.jsonl")
    p2 = lines("results-part2.jsonl")
    write("results-dup-line.jsonl", [p2[0], p2[1], p2[1], p2[3]])  # line 3 replaced by a copy of line 2
    cases.append(("merge results-part1.jsonl results-dup-line.jsonl",
                  "results-dup-line.jsonl:2 and results-dup-line.jsonl:3 both hold patch 'sig_200': a duplicate "
                  "(and so another patch's result is missing)"))
    write("results-non-json.jsonl", [p2[0], p2[1], "this is not a result\n", p2[3]])
    cases.append(("merge results-part1.jsonl results-non-json.jsonl",
                  "results-non-json.jsonl:3: not JSON (column 4: '[' or '{' expected near 'this')"))
    write("results-swapped.jsonl", [p2[0], p2[2], p2[1], p2[3]])
    cases.append(("merge results-part1.jsonl results-swapped.jsonl",
                  "results-swapped.jsonl: its lines are not the patches its identity line names (a line replaced "
                  "by another patch's, or lines reordered)"))
    write("results-gap.jsonl", [p2[0], p2[1], p2[3]])
    cases.append(("merge results-part1.jsonl results-gap.jsonl",
                  "results-gap.jsonl: shard 2/2 is incomplete: 2 of its 3 patches (finish it with the same hfx "
                  "scan command and --output FILE --resume)"))
    write("results-incomplete-result.jsonl", [p2[0], p2[1], '{"patch": "sig_400", "CLs_obs": 0.5}\n', p2[3]])
    cases.append(("merge results-part1.jsonl results-incomplete-result.jsonl",
                  "results-incomplete-result.jsonl:3: not a complete CLs result (\"CLs_obs\" and 5 \"CLs_exp\" values)"))
    # the crash: a header whose patch count is 2^61
    h = json.loads(p2[0])
    h["patches"] = 2 ** 61
    write("results-huge-count.jsonl", [json.dumps(h) + "\n"] + p2[1:])
    cases.append(("merge results-huge-count.jsonl",
                  "results-huge-count.jsonl:1: not a part of a sharded scan: a damaged identity line: its patch "
                  "counts are negative or beyond hfx's limit of 4294967296"))
    # a shard of another background (observations x 1.5): same patches and options, other contents
    run(hfx, "scan", "results-bkg15.json", pset, "--shard", "2/2", "-o", "results-bkg15-part2.jsonl")
    cases.append(("merge results-part1.jsonl results-bkg15-part2.jsonl",
                  "results-part1.jsonl and results-bkg15-part2.jsonl are parts of different scans (another "
                  "background, other patches or patch contents, options or number of shards: 1/2 of 6 patches vs "
                  "2/2 of 6)"))
    # --shard --resume of that shard's file with the other background: refused by its identity
    b15 = json.loads(lines("results-bkg15-part2.jsonl")[0])["inputs"]
    own = json.loads(p2[0])["inputs"]
    cases.append((f"scan ../spec-simple.json {pset} --shard 2/2 -o results-bkg15-part2.jsonl --resume",
                  f"results-bkg15-part2.jsonl:1: the output of a scan of other inputs (identity {b15}, this scan's is "
                  f"{own}): another background, other patches or patch contents, or options that change the results "
                  "(--test-poi, --calctype, interpolation codes, ...)"))
    # an earlier hfx's shard header and plain output
    write("results-old-shard.jsonl", ['{"shard": "2/2", "patches": 3, "patches_total": 6, "scan": "0123456789abcdef"}\n']
          + p2[1:])
    cases.append(("merge results-part1.jsonl results-old-shard.jsonl",
                  "results-old-shard.jsonl:1: not a part of a sharded scan: written by an earlier hfx, before result "
                  "files began with the identity of their inputs: it cannot be checked against this scan (compute it "
                  "again with this hfx, or finish and merge it with the hfx that wrote it)"))

    # --resume: a file of a run at --test-poi 0.5, resumed at mu = 1
    run(hfx, "scan", ws, pset, "--test-poi", "0.5", "-o", "results-poi05.jsonl")
    write("results-poi05.jsonl", lines("results-poi05.jsonl")[:3])
    full = run(hfx, "scan", ws, pset, "-o", "results-full.jsonl")
    f = lines("results-full.jsonl")
    inputs = json.loads(f[0])["inputs"]
    cases.append((f"scan ../spec-simple.json {pset} -o results-poi05.jsonl --resume",
                  f"results-poi05.jsonl:1: the output of a scan of other inputs (identity "
                  f"{json.loads(lines('results-poi05.jsonl')[0])['inputs']}, this scan's is {inputs}): another "
                  "background, other patches or patch contents, or options that change the results (--test-poi, "
                  "--calctype, interpolation codes, ...)"))
    # a corrupt line, the issue's {"patch": "name", this is not json}, before the last
    write("results-corrupt-line.jsonl", [f[0], f[1], '{"patch": "sig_200", this is not json}\n', f[3]])
    cases.append((f"scan ../spec-simple.json {pset} -o results-corrupt-line.jsonl --resume",
                  "results-corrupt-line.jsonl:3: not JSON (column 25: string or '}' expected near 'this'): a corrupt "
                  "line (only a last line without its newline, cut short by an interruption, is dropped)"))
    # the same corrupt line last, with its newline: still refused (a kill never leaves a newline after a torn line)
    write("results-corrupt-last.jsonl", [f[0], f[1], '{"patch": "sig_200", this is not json}\n'])
    cases.append((f"scan ../spec-simple.json {pset} -o results-corrupt-last.jsonl --resume",
                  "results-corrupt-last.jsonl:3: not JSON (column 25: string or '}' expected near 'this'): a corrupt "
                  "line (only a last line without its newline, cut short by an interruption, is dropped)"))
    write("results-resume-dup.jsonl", [f[0], f[1], f[2], f[2]])
    cases.append((f"scan ../spec-simple.json {pset} -o results-resume-dup.jsonl --resume",
                  "results-resume-dup.jsonl:4: patch 'sig_200' again (its result is line 3): a duplicate"))
    write("results-resume-gap.jsonl", [f[0], f[1], f[3]])
    cases.append((f"scan ../spec-simple.json {pset} -o results-resume-gap.jsonl --resume",
                  "results-resume-gap.jsonl:3: patch 'sig_300', where this scan has patch 'sig_200': a gap (its "
                  "result is missing)"))
    write("results-old-output.jsonl", f[1:3])
    cases.append((f"scan ../spec-simple.json {pset} -o results-old-output.jsonl --resume",
                  "results-old-output.jsonl:1: written by an earlier hfx, before result files began with the identity "
                  "of their inputs: it cannot be checked against this scan (compute it again with this hfx, or finish "
                  "and merge it with the hfx that wrote it)"))
    v = json.loads(f[0])
    ours = v["version"]
    v["version"] = "0.0.9"
    write("results-other-version.jsonl", [json.dumps(v) + "\n"] + f[1:3])
    cases.append((f"scan ../spec-simple.json {pset} -o results-other-version.jsonl --resume",
                  f"results-other-version.jsonl:1: written by hfx 0.0.9, this is hfx {ours}: "
                  "results of two versions are not mixed (compute it again, or finish it with hfx 0.0.9)"))

    # toys: two workspaces, an unknown teststat, an earlier hfx's file, a gap
    toy = ["--calctype", "toybased", "--seed", "1"]
    run(hfx, "cls", ws, *toy, "--toy-range", "0:20", "--toys-out", "results-toys-a.json")
    run(hfx, "cls", "results-bkg15.json", *toy, "--toy-range", "20:40", "--toys-out", "results-toys-b.json")
    cases.append(("toys merge results-toys-a.json results-toys-b.json",
                  "results-toys-a.json and results-toys-b.json are toys of different hypotests: their inputs "
                  "(workspace or patch contents, model or fit options: their \"inputs\" digest) differs"))
    t = json.loads((OUT / "results-toys-a.json").read_text())
    t["teststat"] = "bogus"
    (OUT / "results-toys-bogus.json").write_text(json.dumps(t) + "\n")
    cases.append(("toys merge results-toys-bogus.json",
                  "results-toys-bogus.json: unknown teststat 'bogus' (one of qtilde, q, q0, tmu, tmutilde)"))
    t = json.loads((OUT / "results-toys-a.json").read_text())
    t["hfx_toys"] = 1
    del t["version"], t["inputs"]
    (OUT / "results-toys-v1.json").write_text(json.dumps(t) + "\n")
    cases.append(("toys merge results-toys-v1.json",
                  "results-toys-v1.json: written by an earlier hfx, before toys files carried the identity of their "
                  "inputs: it cannot be checked against the others (run its range again with this hfx, or merge it "
                  "with the hfx that wrote it)"))
    run(hfx, "cls", ws, *toy, "--toy-range", "30:40", "--toys-out", "results-toys-c.json")
    cases.append(("toys merge results-toys-a.json results-toys-c.json",
                  "results-toys-a.json ends at toy 19 and results-toys-c.json starts at toy 30: a gap (toys 20..29 "
                  "are in no file)"))
    t = json.loads((OUT / "results-toys-a.json").read_text())
    t["count"] = 2 ** 61
    (OUT / "results-toys-huge.json").write_text(json.dumps(t) + "\n")
    cases.append(("toys merge results-toys-huge.json",
                  "results-toys-huge.json: a damaged toys file: its range (first 0, count 2305843009213693952) is not "
                  "0 <= first, 1 <= count, both at most 2^40"))
    for name in ("results-full.jsonl",):
        (OUT / name).unlink()
    with open(OUT / "results-expected.tsv", "w") as out:
        for args, message in cases:
            out.write(f"{args}\t{message}\n")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else REPO / "build" / "hfx")
