"""Figures from results files (matplotlib, PNG and SVG): time against model size per engine (log-log),
speedup against a baseline engine, the crossover where another backend overtakes hfx's reference
CPU backend (the GPU/CPU crossover when GPU rows are present), toys/s against the number of toys,
the accuracy of each engine, and the spey session of hfx's plugin against spey-pyhf."""
from collections import defaultdict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

SCALING_FAMILIES = ("uncorrelated-static", "uncorrelated-poisson", "synthetic-shared", "synthetic-perbin")
SIZE_TASKS = ("nll", "grad", "nll-batch-batch256", "nll-batch-batch64", "fit", "hypotest")


def _ok(docs):
    from .report import all_rows
    return [r for r in all_rows(docs) if r["status"] == "ok"]


def _machine(docs):
    env = docs[0]["environment"]
    gpu = ", ".join(g["name"] for g in env.get("gpus", [])) or "no GPU"
    return f"{env['cpu']}, {env['cores']} cores, {gpu}; hfx {env['commit']}"


def _series(rows, family, task_id):
    """{engine: sorted [(n_bins, median, q25, q75)]} for one family and task."""
    out = defaultdict(list)
    for r in rows:
        if r["workload"]["family"] == family and r["task"]["id"] == task_id:
            t = r["timing"]
            out[r["engine"]["id"]].append((r["workload"]["n_bins"], t["median_s"], t["q25_s"], t["q75_s"]))
    return {k: sorted(v) for k, v in out.items() if v}


_COLORS = {"hfx-cpu-ref": "black"}  # the reference stands out; the others in order of first use


def _color(engine):
    """One colour per engine across every figure of a run (tab20, in order of first use)."""
    if engine not in _COLORS:
        _COLORS[engine] = plt.get_cmap("tab20")(len(_COLORS) % 20)
    return _COLORS[engine]


def _style(engine):
    if engine.startswith("hfx"):
        return dict(marker="o", linewidth=2.2, color=_color(engine))
    if engine.startswith("nextstat"):
        return dict(marker="D", linestyle="-.", color=_color(engine))
    if engine.startswith("root"):
        return dict(marker="s", linestyle=":", linewidth=1.5, color=_color(engine))
    return dict(marker=".", linestyle="--" if "minuit" in engine else "-", linewidth=1.2, color=_color(engine))


def _legend(fig, axes):
    """One legend for all panels (a panel may lack engines that another has)."""
    seen = {}
    for ax in axes:
        for h, label in zip(*ax.get_legend_handles_labels()):
            seen.setdefault(label, h)
    labels = sorted(seen)
    fig.legend([seen[l] for l in labels], labels, fontsize=7, loc="center left", bbox_to_anchor=(0.91, 0.5))


def _save(fig, out, name):
    paths = []
    for ext in ("png", "svg"):
        p = out / f"{name}.{ext}"
        fig.savefig(p, dpi=150, bbox_inches="tight")
        paths.append(p)
    plt.close(fig)
    return paths


def time_vs_size(rows, out, machine):
    paths = []
    for family in SCALING_FAMILIES:
        tasks = [t for t in SIZE_TASKS if _series(rows, family, t)]
        if not tasks:
            continue
        fig, axes = plt.subplots(1, len(tasks), figsize=(4.2 * len(tasks), 4.2), squeeze=False)
        for ax, task in zip(axes[0], tasks):
            for engine, pts in sorted(_series(rows, family, task).items()):
                x = [p[0] for p in pts]
                y = [p[1] for p in pts]
                err = [[p[1] - p[2] for p in pts], [p[3] - p[1] for p in pts]]
                ax.errorbar(x, y, yerr=err, label=engine, capsize=2, **_style(engine))
            ax.set(xscale="log", yscale="log", xlabel="bins", ylabel="median time per call [s]", title=task)
            ax.grid(True, which="both", alpha=0.3)
        _legend(fig, axes[0])
        fig.suptitle(f"{family}: time per call vs model size (bars: quartiles)\n{machine}", fontsize=9, y=1.06)
        paths += _save(fig, out, f"time-vs-size-{family}")
    return paths


def speedup(rows, out, machine, baseline):
    families = [f for f in SCALING_FAMILIES if _series(rows, f, "hypotest").get(baseline)]
    if not families:
        return []
    fig, axes = plt.subplots(1, len(families), figsize=(4.6 * len(families), 4.2), squeeze=False)
    for ax, family in zip(axes[0], families):
        series = _series(rows, family, "hypotest")
        base = {n: m for n, m, _, _ in series[baseline]}
        for engine, pts in sorted(series.items()):
            xs = [(n, base[n] / m) for n, m, _, _ in pts if n in base]
            if engine != baseline and xs:
                ax.plot(*zip(*xs), label=engine, **_style(engine))
        ax.axhline(1, color="k", linewidth=0.8)
        ax.set(xscale="log", yscale="log", xlabel="bins", ylabel=f"speedup over {baseline}", title=f"{family}: hypotest")
        ax.grid(True, which="both", alpha=0.3)
    _legend(fig, axes[0])
    fig.suptitle(f"speedup of one q~ hypotest over {baseline}\n{machine}", fontsize=9, y=1.06)
    return _save(fig, out, "speedup")


def crossover(rows, out, machine):
    """Time of hfx-cpu-ref divided by each other hfx backend's (and each GPU row's), against size: where
    a curve crosses 1 the other backend starts to win."""
    gpu_rows = any(r["engine"]["device"] not in ("cpu", None) for r in rows)
    # the CPU backends differ only where a call evaluates many points (a single fit runs on the calling
    # thread in both): batches always, single fits only against a GPU
    candidates = ("nll-batch-batch64", "nll-batch-batch256") + (("nll", "fit", "hypotest") if gpu_rows else ())
    panels = [(f, t) for f in SCALING_FAMILIES for t in candidates if "hfx-cpu-ref" in _series(rows, f, t)]
    if not panels:
        return []
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 4.2), squeeze=False)
    for ax, (family, task) in zip(axes[0], panels):
        series = _series(rows, family, task)
        ref = {n: m for n, m, _, _ in series["hfx-cpu-ref"]}
        for engine, pts in sorted(series.items()):
            is_gpu = any(r["engine"]["id"] == engine and r["engine"]["device"] not in ("cpu", None) for r in rows)
            if engine == "hfx-cpu-ref" or not (engine.startswith("hfx") or is_gpu):
                continue
            xs = [(n, ref[n] / m) for n, m, _, _ in pts if n in ref]
            if xs:
                ax.plot(*zip(*xs), label=engine, **_style(engine))
                cross = next((n for n, s in xs if s > 1), None)
                if cross:
                    ax.annotate(f"wins from {cross} bins", (cross, 1), fontsize=7, xytext=(5, 10),
                                textcoords="offset points")
        ax.axhline(1, color="k", linewidth=0.8)
        ax.set(xscale="log", yscale="log", xlabel="bins", ylabel="time(hfx-cpu-ref) / time(backend)",
               title=f"{family}: {task}")
        ax.grid(True, which="both", alpha=0.3)
    _legend(fig, axes[0])
    note = "" if gpu_rows else " (no GPU rows in these results: other hfx backends only)"
    fig.suptitle(f"crossover against hfx-cpu-ref{note}\n{machine}", fontsize=9, y=1.06)
    return _save(fig, out, "crossover")


def toys(rows, out, machine):
    by = defaultdict(list)
    for r in rows:
        if r["task"]["name"] == "toys":
            by[(r["workload"]["id"], r["engine"]["id"])].append((r["task"]["params"]["toys"], r["throughput"]["value"]))
    if not by:
        return []
    workloads = sorted({w for w, _ in by})
    fig, axes = plt.subplots(1, len(workloads), figsize=(4.8 * len(workloads), 4.2), squeeze=False)
    for ax, w in zip(axes[0], workloads):
        for (wid, engine), pts in sorted(by.items()):
            if wid == w:
                ax.plot(*zip(*sorted(pts)), label=engine, **_style(engine))
        ax.set(xscale="log", yscale="log", xlabel="toys per hypotest (batch size)", ylabel="toys/s", title=w)
        ax.grid(True, which="both", alpha=0.3)
    _legend(fig, axes[0])
    fig.suptitle(f"toy-based hypotests: throughput vs number of toys\n{machine}", fontsize=9, y=1.06)
    return _save(fig, out, "toys")


def accuracy(rows, out, machine):
    worst = defaultdict(float)
    for r in rows:
        acc = r.get("accuracy") or {}
        if r["task"]["name"] == "toys":
            continue  # statistical: different random streams
        for ref in ("vs_pyhf_numpy", "vs_hfx_cpu_ref"):
            d = acc.get(ref)
            if d is not None:
                key = (r["engine"]["id"], acc["quantity"], ref)
                worst[key] = max(worst[key], d)
    if not worst:
        return []
    quantities = sorted({q for _, q, _ in worst})
    fig, axes = plt.subplots(1, len(quantities), figsize=(5.2 * len(quantities), 4.6), squeeze=False)
    for ax, q in zip(axes[0], quantities):
        engines = sorted({e for e, qq, _ in worst if qq == q})
        for k, ref in enumerate(("vs_pyhf_numpy", "vs_hfx_cpu_ref")):
            vals = [max(worst.get((e, q, ref), 0.0), 1e-17) for e in engines]
            ax.barh([i + 0.4 * k for i in range(len(engines))], vals, height=0.4, label=ref.replace("vs_", "vs "))
        ax.set_yticks([i + 0.2 for i in range(len(engines))], engines, fontsize=7)
        ax.set(xscale="log", xlabel=f"largest |Δ {q}| over the cases (1e-17: equal)", title=q)
        ax.grid(True, axis="x", which="both", alpha=0.3)
    axes[0][-1].legend(fontsize=7)
    fig.suptitle(f"accuracy: largest difference from pyhf numpy and from hfx-cpu-ref\n{machine}", fontsize=9, y=1.06)
    return _save(fig, out, "accuracy")


def sbottom_tasks(rows, out, machine):
    """One panel per task on the published sbottom workloads: every engine's median with its quartiles."""
    cells = defaultdict(dict)
    for r in rows:
        if r["workload"]["family"] in ("sbottom", "sbottom-grid") and r["task"]["name"] != "toys":
            cells[f"{r['workload']['id']} {r['task']['id']}"][r["engine"]["id"]] = r["timing"]
    if not cells:
        return []
    keys = sorted(k for k in cells if len(cells[k]) > 2)  # a comparison: more than hfx's two backends
    if not keys:
        return []
    ncols = min(3, len(keys))
    nrows = (len(keys) + ncols - 1) // ncols
    height = 0.8 + 0.3 * max(len(cells[k]) for k in keys)
    fig, axes = plt.subplots(nrows, ncols, figsize=(5.2 * ncols, height * nrows), squeeze=False)
    for ax in axes.flat[len(keys):]:
        ax.set_visible(False)
    for ax, key in zip(axes.flat, keys):
        engines = sorted(cells[key])
        med = [cells[key][e]["median_s"] for e in engines]
        err = [[m - cells[key][e]["q25_s"] for e, m in zip(engines, med)],
               [cells[key][e]["q75_s"] - m for e, m in zip(engines, med)]]
        ax.barh(range(len(engines)), med, xerr=err, color=[_color(e) for e in engines], capsize=2)
        ax.set_yticks(range(len(engines)), engines, fontsize=7)
        ax.set(xscale="log", xlabel="seconds per call (median, quartiles)", title=key.replace("sbottom-", ""))
        ax.title.set_fontsize(8)
        ax.grid(True, axis="x", which="both", alpha=0.3)
    fig.tight_layout()
    # the two title lines about half an inch above the panels, whatever the figure's height (a fraction of a
    # short figure's height would put them on the panels' own titles)
    fig.suptitle(f"published sbottom likelihood: time per call\n{machine}", fontsize=9, y=1 + 0.5 / (height * nrows))
    return _save(fig, out, "sbottom-tasks")


def spey(rows, out, machine):
    """The spey session per signal point: spey-hfx's and spey-pyhf's medians with quartiles side by side,
    each pair labelled with its speedup."""
    cells = defaultdict(dict)
    for r in rows:
        if r["task"]["name"] == "spey-session":
            cells[r["workload"]["id"]][r["engine"]["id"]] = r["timing"]
    points = sorted(w for w, c in cells.items() if {"spey-hfx", "spey-pyhf"} <= set(c))
    if not points:
        return []
    fig, ax = plt.subplots(figsize=(7.5, 1.2 + 0.75 * len(points)))
    for k, engine in enumerate(("spey-hfx", "spey-pyhf")):
        med = [cells[w][engine]["median_s"] for w in points]
        err = [[m - cells[w][engine]["q25_s"] for w, m in zip(points, med)],
               [cells[w][engine]["q75_s"] - m for w, m in zip(points, med)]]
        ax.barh([i + 0.38 * k for i in range(len(points))], med, height=0.36, xerr=err, capsize=2, label=engine,
                color=("tab:blue", "tab:orange")[k])
    for i, w in enumerate(points):
        h, p = cells[w]["spey-hfx"]["median_s"], cells[w]["spey-pyhf"]["median_s"]
        ax.annotate(f"spey-hfx {p / h:.0f}× faster", (p, i + 0.38), xytext=(6, -3), textcoords="offset points",
                    fontsize=8)
    ax.set_yticks([i + 0.19 for i in range(len(points))], [w.replace("sbottom-", "") for w in points], fontsize=8)
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlim(right=ax.get_xlim()[1] * 12)  # room for the labels
    ax.set(xlabel="seconds per session (median, bars: quartiles)")
    ax.grid(True, axis="x", which="both", alpha=0.3)
    ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5))
    ax.set_title("spey session per signal point: observed CLs, apriori CLs band, upper limit on μ\n"
                 f"hfx's spey plugin vs spey-pyhf; {machine}", fontsize=8)
    return _save(fig, out, "spey-session")


def plot_all(docs, out, baseline="pyhf-numpy-scipy"):
    out.mkdir(parents=True, exist_ok=True)
    rows, machine = _ok(docs), _machine(docs)
    return (time_vs_size(rows, out, machine) + speedup(rows, out, machine, baseline) + crossover(rows, out, machine)
            + toys(rows, out, machine) + accuracy(rows, out, machine) + sbottom_tasks(rows, out, machine)
            + spey(rows, out, machine))
