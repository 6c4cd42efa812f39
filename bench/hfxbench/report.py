"""Markdown tables from results files, for docs/benchmarks.md and the README."""
import json
from collections import defaultdict
from pathlib import Path


def fmt_s(s):
    if s is None:
        return "–"
    return f"{s * 1e6:.1f} µs" if s < 1e-3 else f"{s * 1e3:.3g} ms" if s < 1 else f"{s:.3g} s"


def fmt_d(d):
    return "–" if d is None else "0" if d == 0 else f"{d:.1e}"


def _cell(r):
    if r is None:
        return "–"
    if r["status"] != "ok":
        return "skipped" if r["status"] == "skipped" else "failed"
    t = r["timing"]
    return f"{fmt_s(t['median_s'])} [{fmt_s(t['q25_s'])}, {fmt_s(t['q75_s'])}]"


def environment_line(doc):
    env = doc["environment"]
    libs = env["libraries"]
    gpu = ", ".join(f"{g['name']} (driver {g['driver']})" for g in env.get("gpus", [])) or "no GPU"
    b = env["build"]
    lib = ", ".join(f"{k} {v}" for k, v in sorted(libs.items()))
    return (f"{env['cpu']}, {env['cores']} cores, {gpu}; hfx {env['commit']} ({b.get('compiler_version', '')}, "
            f"{b.get('CMAKE_BUILD_TYPE', '')} {b.get('CMAKE_C_FLAGS_RELEASE', '')}); Python {env['python']}: {lib}; "
            f"{env['date']}, config `{doc['config']}`, {doc['duration_s'] / 60:.0f} min")


def engines_table(rows, workloads, task_ids, title):
    """Rows: engines; columns: (workload, task) cells with median [quartiles]; plus accuracy."""
    engines = sorted({r["engine"]["id"] for r in rows if r["status"] == "ok" and r["workload"]["id"] in workloads
                      and r["task"]["id"] in task_ids})
    if not engines:
        return ""
    idx = {(r["engine"]["id"], r["workload"]["id"], r["task"]["id"]): r for r in rows}
    cols = [(w, t) for w in workloads for t in task_ids if any((e, w, t) in idx for e in engines)]
    out = [f"**{title}** (median [quartiles] per call; Δ: largest |difference| from pyhf numpy of the row's results)\n",
           "| engine | " + " | ".join(f"{w} {t}" for w, t in cols) + " | Δ vs pyhf numpy |",
           "|---" * (len(cols) + 2) + "|"]
    for e in engines:
        deltas = [idx[(e, w, t)]["accuracy"]["vs_pyhf_numpy"] for w, t in cols
                  if (e, w, t) in idx and idx[(e, w, t)]["status"] == "ok"
                  and idx[(e, w, t)]["accuracy"]["vs_pyhf_numpy"] is not None and not t.startswith("toys")]
        out.append(f"| {e} | " + " | ".join(_cell(idx.get((e, w, t))) for w, t in cols) +
                   f" | {fmt_d(max(deltas)) if deltas else '–'} |")
    return "\n".join(out) + "\n"


def scaling_table(rows, family, task_id):
    pts = defaultdict(dict)
    for r in rows:
        if r["workload"]["family"] == family and r["task"]["id"] == task_id and r["status"] == "ok":
            pts[r["engine"]["id"]][r["workload"]["n_bins"]] = r["timing"]["median_s"]
    if not pts:
        return ""
    sizes = sorted({n for v in pts.values() for n in v})
    out = [f"**{family}, {task_id}**: median time per call by number of bins\n",
           "| engine | " + " | ".join(str(n) for n in sizes) + " |", "|---" * (len(sizes) + 1) + "|"]
    for e in sorted(pts):
        out.append(f"| {e} | " + " | ".join(fmt_s(pts[e].get(n)) for n in sizes) + " |")
    return "\n".join(out) + "\n"


def toys_table(rows):
    pts = defaultdict(dict)
    for r in rows:
        if r["task"]["name"] == "toys" and r["status"] == "ok":
            pts[(r["workload"]["id"], r["engine"]["id"])][r["task"]["params"]["toys"]] = r["throughput"]["value"]
    if not pts:
        return ""
    sizes = sorted({n for v in pts.values() for n in v})
    out = ["**toy-based q~ hypotest**: toys per second by number of toys\n",
           "| workload | engine | " + " | ".join(str(n) for n in sizes) + " |", "|---" * (len(sizes) + 2) + "|"]
    for (w, e) in sorted(pts):
        out.append(f"| {w} | {e} | " + " | ".join(f"{pts[(w, e)][n]:.3g}" if n in pts[(w, e)] else "–" for n in sizes) + " |")
    return "\n".join(out) + "\n"


ZOO_REFERENCE = Path(__file__).resolve().parents[2].parent / "shared" / "reference" / "zoo_pyhf076.jsonl"


def zoo_table(rows, reference=ZOO_REFERENCE):
    """Fits of the published background-only likelihoods; each minimum against pyhf 0.7.6's from the
    shared reference file (computed once with pyhf, its fit times too: not part of this run)."""
    by = defaultdict(list)
    for r in rows:
        if r["workload"]["family"] == "zoo" and r["task"]["name"] == "fit":
            by[r["engine"]["id"]].append(r)
    if not by:
        return ""
    ref, ref_s = {}, []
    if Path(reference).exists():
        for line in open(reference):
            x = json.loads(line.replace("NaN", "null"))
            stem = x["file"].removesuffix(".gz").removesuffix(".json")
            if x.get("mle_twice_nll") is not None:
                ref[f"zoo-{stem}"] = x["mle_twice_nll"]
                ref_s.append(x.get("pyhf_fit_s") or 0.0)
    out = ["**zoo: maximum-likelihood fits of the published background-only likelihoods** (minimum against "
           f"pyhf 0.7.6's in `../shared/reference`, {len(ref)} models, whose pyhf fits took {sum(ref_s):.0f} s "
           "in all there)\n",
           "| engine | fits ok | failed | total time | median per fit | slowest | lower than pyhf by > 1e-3 | "
           "within 1e-3 | higher by > 1e-3 |", "|---|---|---|---|---|---|---|---|---|"]
    for e, rs in sorted(by.items()):
        ok = [r for r in rs if r["status"] == "ok"]
        times = sorted(r["timing"]["median_s"] for r in ok)
        d = [r["result"]["value"] - ref[r["workload"]["id"]] for r in ok if r["workload"]["id"] in ref]
        out.append(f"| {e} | {len(ok)} | {sum(r['status'] == 'error' for r in rs)} | {fmt_s(sum(times))} | "
                   f"{fmt_s(times[len(times) // 2]) if times else '–'} | {fmt_s(times[-1]) if times else '–'} | "
                   f"{sum(x < -1e-3 for x in d)} | {sum(abs(x) <= 1e-3 for x in d)} | {sum(x > 1e-3 for x in d)} |")
    return "\n".join(out) + "\n"


def skips_table(rows):
    reasons = defaultdict(set)
    for r in rows:
        if r["status"] != "ok":
            reasons[(r["engine"]["id"], r["status"], r["reason"])].add(r["task"]["name"])
    if not reasons:
        return ""
    out = ["**not measured** (engine, what, why)\n", "| engine | status | tasks | reason |", "|---|---|---|---|"]
    for (e, s, why), tasks in sorted(reasons.items()):
        out.append(f"| {e} | {s} | {', '.join(sorted(tasks))} | {why.splitlines()[0][:200] if why else ''} |")
    return "\n".join(out) + "\n"


def python_overhead_table(rows):
    """The Python module's overhead: hfx-python's median over hfx-cpu-ref's (the C timer, the same backend
    and thread count) on each case both ran in the run, with the difference of their results."""
    idx = {(r["engine"]["id"], r["workload"]["id"], r["task"]["id"]): r for r in rows if r["status"] == "ok"}
    cases = sorted((w, t) for e, w, t in idx if e == "hfx-python" and ("hfx-cpu-ref", w, t) in idx)
    if not cases:
        return ""
    out = ["**Python module overhead** (hfx-python over hfx-cpu-ref, the C timer: same backend, one thread; "
           "the grid times a whole `hfx scan` process against `hfx.scan` in a warm interpreter)\n",
           "| workload | task | hfx-python | hfx-cpu-ref | ratio | Δ of the results |", "|---|---|---|---|---|---|"]
    for w, t in cases:
        py, c = idx[("hfx-python", w, t)], idx[("hfx-cpu-ref", w, t)]
        ratio = py["timing"]["median_s"] / c["timing"]["median_s"]
        d = py["accuracy"]["vs_hfx_cpu_ref"]
        out.append(f"| {w} | {t} | {_cell(py)} | {_cell(c)} | {ratio:.3g}× | {fmt_d(d) if d is not None else '–'} |")
    return "\n".join(out) + "\n"


def ranks_table(rows):
    """The scaling rows (hfxscan-*): each grid's time with 1 and 2 jobs and 1 and 2 MPI ranks, the speedup
    over one job, and the main threads' bookkeeping share of the run's core time."""
    scan = [r for r in rows if r["engine"]["id"].startswith("hfxscan-") and r["status"] == "ok"]
    if not scan:
        return ""
    out = ["**Strong scaling of `hfx scan`** (cpu-ref backend per patch; jobs: threads of one process, ranks: "
           "`mpirun -n R hfx scan --jobs 1`, mpirun's start included; bookkeeping: the main threads' CPU time "
           "(writing, MPI messages and polls) over wall time x workers, last run)\n",
           "| workload | engine | ranks | jobs | median [quartiles] | speedup over 1 job | bookkeeping |",
           "|---|---|---|---|---|---|---|"]
    base = {r["workload"]["id"]: r["timing"]["median_s"] for r in scan if r["engine"]["id"] == "hfxscan-j1"}
    for r in sorted(scan, key=lambda r: (r["workload"]["id"], r["engine"]["id"])):
        b, w = base.get(r["workload"]["id"]), r.get("work") or {}
        speed = f"{b / r['timing']['median_s']:.3g}×" if b else "–"
        share = f"{100 * w['bookkeeping_share']:.2g} %" if w.get("bookkeeping_share") is not None else "–"
        out.append(f"| {r['workload']['id']} | {r['engine']['id']} | {w.get('ranks', '–')} | {w.get('jobs', '–')} | "
                   f"{_cell(r)} | {speed} | {share} |")
    return "\n".join(out) + "\n"


def conversion_table(rows):
    """Whole `hfx json2xml|xml2json` processes against pyhf's on each workload both ran (xml2json: of the
    files hfx's json2xml wrote), the speedup, and each converted model's twice_nll at init against the
    original's (relative)."""
    idx = {(r["engine"]["id"], r["workload"]["id"], r["task"]["name"]): r for r in rows if r["status"] == "ok"
           and r["task"]["name"] in ("json2xml", "xml2json")}
    cases = sorted({(w, t) for _, w, t in idx})
    if not cases:
        return ""
    out = ["**Conversions** (one whole process each, start-up included; xml2json reads the files `hfx json2xml` "
           "wrote; rel Δ: |twice_nll(converted) - twice_nll(original)| / |twice_nll(original)| at the inits)\n",
           "| workload | task | hfx | pyhf | speedup | hfx rel Δ | pyhf rel Δ |", "|---|---|---|---|---|---|---|"]

    def rel(r):
        if r is None:
            return "–"
        v, o = r["result"]["value"], r["result"]["extra"]["original_twice_nll"]
        return fmt_d(abs(v - o) / abs(o) if o else abs(v - o))
    for w, t in cases:
        h, p = idx.get(("hfx-cpu-ref", w, t)), idx.get(("pyhf-numpy-scipy", w, t))
        speed = f"{p['timing']['median_s'] / h['timing']['median_s']:.3g}×" if h and p else "–"
        out.append(f"| {w} | {t} | {_cell(h)} | {_cell(p)} | {speed} | {rel(h)} | {rel(p)} |")
    return "\n".join(out) + "\n"


def workflows_table(rows):
    """The analysis workflows (ranking, profile-scan, significance): per workload and task, each engine's
    median [quartiles], its speed relative to cabinetry's and the largest |difference| from cabinetry's
    numbers (impacts, -2 Delta ln L per point, Z)."""
    flows = [r for r in rows if r["task"]["name"] in ("ranking", "profile-scan", "significance")
             and r["status"] != "skipped"]
    if not flows:
        return ""
    idx = {(r["workload"]["id"], r["task"]["id"], r["engine"]["id"]): r for r in flows}
    out = ["**Analysis workflows** (whole `hfx ranking|profile-scan|significance` processes; cabinetry at its "
           "defaults, pyhf numpy + minuit; Δ: largest |difference| from cabinetry's impacts, −2 Δ ln L per point, "
           "or Z; hfx once its model is built: the same processes' time after parsing, compiling and the engine, "
           "from `--timings`, as cabinetry's rows are timed)\n",
           "| workload | task | engine | median [quartiles] | cabinetry's time / this | Δ vs cabinetry "
           "| hfx once its model is built |",
           "|---|---|---|---|---|---|---|"]
    for (w, t, e), r in sorted(idx.items()):
        cab = idx.get((w, t, "cabinetry"))
        speed = (f"{cab['timing']['median_s'] / r['timing']['median_s']:.3g}×" if cab and cab["status"] == "ok"
                 and r["status"] == "ok" else "–")
        d = (r.get("accuracy") or {}).get("vs_cabinetry") if r["status"] == "ok" else None
        cell = _cell(r) if r["status"] == "ok" else f"failed: {r['reason'][:80]}"
        a = ((r.get("result") or {}).get("extra") or {}).get("after_model_s") if r["status"] == "ok" else None
        after = f"{fmt_s(a['median_s'])} [{fmt_s(a['q25_s'])}, {fmt_s(a['q75_s'])}]" if a else "–"
        out.append(f"| {w} | {t} | {e} | {cell} | {speed} | {fmt_d(d)} | {after} |")
    return "\n".join(out) + "\n"


def spey_table(rows):
    """The spey session per signal point: spey-hfx (hfx's plugin) against spey-pyhf on the same run, the
    speedup, the observed CLs and upper limit of both, and spey-hfx's largest relative difference from
    spey-pyhf over the session's seven numbers, with whether all are within the plugin's tested tolerances."""
    from .spey_session import ABS_TOL, REL_TOL, within_tolerance
    idx = {(r["workload"]["id"], r["engine"]["id"]): r for r in rows if r["task"]["name"] == "spey-session"
           and r["status"] == "ok"}
    points = sorted({w for w, e in idx if e == "spey-hfx" and (w, "spey-pyhf") in idx})
    if not points:
        return ""
    out = ["**A spey session per signal point** (as SModelS / MadAnalysis 5 ask a full likelihood: the statistical "
           "model from background + signal patch, observed CLs, apriori expected CLs band, observed 95% CL upper "
           "limit on μ; `bench/hfxbench/spey_session.py`; spey-hfx: hfx's plugin; spey-pyhf: pyhf numpy and spey's "
           "SLSQP; rel Δ: largest |hfx − pyhf| / |pyhf| over the seven numbers; tolerance: the plugin's tested "
           f"{REL_TOL:g} relative or {ABS_TOL:g} absolute)\n",
           "| workload | spey-hfx | spey-pyhf | speedup | CLs_obs hfx / pyhf | μ_UL hfx / pyhf | rel Δ | "
           "within tolerance |", "|---|---|---|---|---|---|---|---|"]
    total = [0.0, 0.0]
    for w in points:
        h, p = idx[(w, "spey-hfx")], idx[(w, "spey-pyhf")]
        hv, pv = h["result"]["values"], p["result"]["values"]
        total[0] += h["timing"]["median_s"]
        total[1] += p["timing"]["median_s"]
        rel = h["accuracy"].get("rel_vs_spey_pyhf")
        out.append(f"| {w} | {_cell(h)} | {_cell(p)} | {p['timing']['median_s'] / h['timing']['median_s']:.3g}× | "
                   f"{hv['CLs_obs']:.6g} / {pv['CLs_obs']:.6g} | {hv['mu_UL_obs']:.6g} / {pv['mu_UL_obs']:.6g} | "
                   f"{fmt_d(rel)} | {'yes' if within_tolerance(hv, pv) else 'NO'} |")
    out.append(f"| all {len(points)} points (sum of medians) | {fmt_s(total[0])} | {fmt_s(total[1])} | "
               f"{total[1] / total[0]:.3g}× | | | | |")
    return "\n".join(out) + "\n"


def all_rows(docs):
    """The records of several results files, with accuracy recomputed over all of them (a run of
    extra engines is compared with the references of another run on the same machine)."""
    from .run import add_accuracy
    rows = [r for d in docs for r in d["results"]]
    if len(docs) > 1:
        add_accuracy(rows)
    return rows


def report(docs):
    rows = all_rows(docs)
    sb = sorted({r["workload"]["id"] for r in rows if r["workload"]["family"] == "sbottom"})
    grids = sorted({r["workload"]["id"] for r in rows if r["workload"]["family"] == "sbottom-grid"})
    parts = ["Measured on: " + "; ".join(environment_line(d) for d in docs) + "\n",
             engines_table(rows, sb, ["nll", "grad", "fit", "hypotest", "upper-limit", "command"], "published sbottom likelihoods, one signal patch per region (command: one whole `hfx cls` / `pyhf cls` process)"),
             engines_table(rows, grids, ["grid"], "sbottom patch grids (hfx: `hfx scan`, a whole process, parsing included)")]
    for family in ("uncorrelated-static", "uncorrelated-poisson", "synthetic-shared", "synthetic-perbin"):
        for task in ("nll", "grad", "nll-batch-batch256", "nll-batch-batch64", "fit", "hypotest"):
            parts.append(scaling_table(rows, family, task))
    parts += [workflows_table(rows), spey_table(rows), conversion_table(rows), ranks_table(rows), toys_table(rows), zoo_table(rows), python_overhead_table(rows), skips_table(rows)]
    return "\n".join(p for p in parts if p)


def headline(docs):
    """The README's table: one published sbottom point, every engine that ran it, each task's median
    with quartiles, the hypotest's speedup over pyhf numpy and the largest difference from pyhf numpy."""
    rows = [r for r in all_rows(docs) if r["workload"]["family"] == "sbottom"]
    idx = {(r["engine"]["id"], r["task"]["id"]): r for r in rows}
    tasks = [t for t in ("nll", "grad", "fit", "hypotest", "upper-limit", "command") if any(k[1] == t for k in idx)]
    engines = sorted({e for e, _ in idx if any(idx.get((e, t), {}).get("status") == "ok" for t in tasks)})
    base = idx.get(("pyhf-numpy-scipy", "hypotest"))
    out = ["Measured on: " + "; ".join(environment_line(d) for d in docs) + "\n",
           "| engine | " + " | ".join(tasks) + " | hypotest speedup over pyhf numpy | largest abs Δ vs pyhf numpy |",
           "|---" * (len(tasks) + 3) + "|"]
    for e in engines:
        h = idx.get((e, "hypotest"))
        speed = (f"{base['timing']['median_s'] / h['timing']['median_s']:.3g}×"
                 if base and base["status"] == "ok" and h and h["status"] == "ok" else "–")
        deltas = [idx[(e, t)]["accuracy"]["vs_pyhf_numpy"] for t in tasks if idx.get((e, t), {}).get("status") == "ok"
                  and idx[(e, t)]["accuracy"]["vs_pyhf_numpy"] is not None]
        out.append(f"| {e} | " + " | ".join(_cell(idx.get((e, t))) for t in tasks) + f" | {speed} | "
                   f"{fmt_d(max(deltas)) if deltas else '–'} |")
    return "\n".join(out) + "\n"
