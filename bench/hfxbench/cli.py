"""hfx-bench: the benchmark suite's command line.

    hfx-bench run [--config smoke|full|gpu|gpu-smoke|speed|workflows|cabinetry|spey] [--engines PATTERN...] [--out DIR]
    hfx-bench run --workspace WS.json [--patchset PATCHSET.json|DIR]   (any published likelihood)
    hfx-bench plot RESULTS.json... [--out DIR]                         (PNG and SVG figures)
    hfx-bench report RESULTS.json... [--out FILE]                      (markdown tables)
    hfx-bench validate RESULTS.json...                                 (against the JSON schema)
    hfx-bench gen [synthetic knobs] > WS.json                          (a synthetic workspace)
    hfx-bench profile [--into docs/profiling.md] [--from PROFILE.json] (where pyhf's and ROOT's time goes)
"""
import argparse
import json
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1]


def main(argv=None):
    ap = argparse.ArgumentParser(prog="hfx-bench", description=__doc__.splitlines()[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="run a configuration and write results JSON + CSV")
    r.add_argument("--config", default=None, help="smoke (seconds, CI), full (the documented run), gpu (the device machine, scripts/gpu-check.sh), gpu-smoke (the same at sizes of seconds: its rehearsal in CI), speed (the issues' speed targets side by side, about ten minutes), workflows (ranking, profile scans, significance against cabinetry and NextStat; cabinetry takes minutes), cabinetry (cabinetry's ranking, scan and significance on pyhf and on hfx through hfx.compat.as_pyhf, hfx beside: about 7 minutes), spey (a spey session per sbottom point, hfx's plugin against spey-pyhf: about 5 minutes); "
                   "default: full, or user with --workspace")
    r.add_argument("--engines", nargs="*", help="engine id patterns (fnmatch), e.g. 'hfx-*' 'pyhf-numpy-*'")
    r.add_argument("--tasks", nargs="*", help="task id patterns, e.g. hypotest 'toys-*'")
    r.add_argument("--workloads", nargs="*", help="workload id patterns, e.g. 'sbottom-*' 'uncorrelated-static-*'")
    r.add_argument("--workspace", help="a workspace or background-only JSON to benchmark")
    r.add_argument("--patchset", help="with --workspace: a pyhf patchset file or a folder of patch files")
    r.add_argument("--archive", help="the sbottom archive (default: scikit-hep-testdata's, else data/'s)")
    r.add_argument("--out", default=str(BENCH / "results"), help="where results go (default bench/results)")
    r.add_argument("--cache", default=str(BENCH / ".cache"), help="where generated workspaces go")
    r.add_argument("--timeout", type=float, default=600.0, help="seconds per case before it is recorded as failed")
    p = sub.add_parser("plot", help="figures from results files")
    p.add_argument("results", nargs="+")
    p.add_argument("--out", default=str(BENCH / "plots"))
    p.add_argument("--baseline", default="pyhf-numpy-scipy", help="engine the speedups are relative to")
    rep = sub.add_parser("report", help="markdown tables from results files")
    rep.add_argument("results", nargs="+")
    rep.add_argument("--out", help="write here instead of standard output")
    rep.add_argument("--into", help="replace the text between <!-- MARKER:begin --> and <!-- MARKER:end --> in "
                     "this markdown file (docs/benchmarks.md, README.md)")
    rep.add_argument("--marker", default="report", help="the marker name for --into (default: report)")
    rep.add_argument("--headline", action="store_true",
                     help="only the headline table (the published sbottom point, every engine, with speedups)")
    v = sub.add_parser("validate", help="check results files against the schema")
    v.add_argument("results", nargs="+")
    g = sub.add_parser("gen", help="print a synthetic workspace")
    g.add_argument("--channels", type=int, default=1)
    g.add_argument("--bins", type=int, default=10, help="bins per channel")
    g.add_argument("--samples", type=int, default=2, help="background samples per channel")
    g.add_argument("--modifiers", default="normsys,histosys,staterror",
                   help="comma-separated: normsys, histosys, staterror, shapesys, lumi")
    g.add_argument("--shared", type=int, default=3, help="normsys/histosys parameters shared by all samples")
    g.add_argument("--per-sample", type=int, default=1, help="private normsys/histosys parameters per sample")
    g.add_argument("--seed", type=int, default=0)
    pr = sub.add_parser("profile", help="profile pyhf's and ROOT's backends on one sbottom hypotest and fit")
    pr.add_argument("--out", default=str(BENCH / "results"), help="where the profile JSON goes (bench/results)")
    pr.add_argument("--from", dest="source", help="summarise this profile JSON instead of profiling")
    pr.add_argument("--into", help="put the summary between <!-- profile:begin --> and <!-- profile:end --> here")
    pr.add_argument("--cache", default=str(BENCH / ".cache"))
    pr.add_argument("--archive", help="the sbottom archive (default: scikit-hep-testdata's, else data/'s)")
    args = ap.parse_args(argv)

    if args.cmd == "run":
        from .run import run, write
        from .schema import validate
        config = args.config or ("user" if args.workspace else "full")
        if config == "user" and not args.workspace:
            ap.error("--config user needs --workspace")
        partial = Path(args.out) / f"{config}.partial.json"
        partial.parent.mkdir(parents=True, exist_ok=True)
        doc = run(config, args, checkpoint=lambda records: partial.write_text(json.dumps({"results": records})))
        partial.unlink(missing_ok=True)
        path = write(doc, args.out)
        validate(doc)
        n = {s: sum(r["status"] == s for r in doc["results"]) for s in ("ok", "skipped", "error")}
        print(f"{path} (and .csv): {n['ok']} measured, {n['skipped']} skipped, {n['error']} failed", file=sys.stderr)
        return 0
    if args.cmd == "plot":
        from .plot import plot_all
        for f in plot_all([json.loads(Path(p).read_text()) for p in args.results], Path(args.out), args.baseline):
            print(f)
        return 0
    if args.cmd == "report":
        from .report import headline, report
        docs = [json.loads(Path(p).read_text()) for p in args.results]
        text = headline(docs) if args.headline else report(docs)
        if args.into:
            doc = Path(args.into).read_text()
            begin, end = f"<!-- {args.marker}:begin -->\n", f"<!-- {args.marker}:end -->"
            if begin not in doc or end not in doc:
                ap.error(f"{args.into} has no {begin.strip()} ... {end} markers")
            head, rest = doc.split(begin, 1)
            Path(args.into).write_text(head + begin + text + rest[rest.index(end):])
        elif args.out:
            Path(args.out).write_text(text)
        else:
            sys.stdout.write(text)
        return 0
    if args.cmd == "validate":
        from .schema import validate
        for p in args.results:
            validate(json.loads(Path(p).read_text()))
            print(f"{p}: valid")
        return 0
    if args.cmd == "profile":
        from .profile import run_profiles, summary
        if args.source:
            doc = json.loads(Path(args.source).read_text())
        else:
            doc = run_profiles(args.cache, args.archive)
            Path(args.out).mkdir(parents=True, exist_ok=True)
            path = Path(args.out) / f"profile-{doc['environment']['date'].replace(':', '').replace('+0000', 'Z')}.json"
            path.write_text(json.dumps(doc, indent=1))
            print(path, file=sys.stderr)
        text = summary(doc)
        if args.into:
            md = Path(args.into).read_text()
            begin, end = "<!-- profile:begin -->\n", "<!-- profile:end -->"
            if begin not in md or end not in md:
                ap.error(f"{args.into} has no {begin.strip()} ... {end} markers")
            head, rest = md.split(begin, 1)
            Path(args.into).write_text(head + begin + text + rest[rest.index(end):])
        else:
            sys.stdout.write(text)
        return 0
    if args.cmd == "gen":
        from .synth import synthetic_workspace
        try:
            ws = synthetic_workspace(channels=args.channels, bins=args.bins, samples=args.samples,
                                     modifiers=tuple(m for m in args.modifiers.split(",") if m), shared=args.shared,
                                     per_sample=args.per_sample, seed=args.seed)
        except ValueError as e:
            ap.error(str(e))
        json.dump(ws, sys.stdout)
        sys.stdout.write("\n")
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
