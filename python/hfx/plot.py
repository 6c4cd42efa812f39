"""hfx.plot: the figures of an analysis, drawn with matplotlib from the JSON that hfx's commands write.

    python3 -m hfx.plot KIND RESULT -o PREFIX [options]     (writes PREFIX.png and PREFIX.svg)
    python3 python/hfx/plot.py KIND RESULT -o PREFIX         (the same, without the C extension built)

KIND (and the command whose output it reads):
    ranking        hfx ranking: impacts on the POI (pre-fit open boxes, post-fit filled) and pulls
    pulls          hfx fit --pulls: each constrained parameter's pull with its post-fit width
    correlations   hfx fit --correlations: the correlation matrix, parameters with no |rho| >= --threshold pruned
    profile-scan   hfx profile-scan: -2 Delta ln L along one parameter, or the 68%/95% CL contours of two
    brazil         hfx upper-limit --scan: observed CLs, expected median and its 1 and 2 sigma bands
    contour        hfx scan (JSON lines; scripts/sbottom.sh's file too): the observed and expected CLs = 0.05
                   exclusion contours in the plane of two signal-model parameters

From Python, each kind is a function that takes the parsed JSON (or a path) and returns a
matplotlib Figure, also written as PNG and SVG when output= names a prefix: hfx.plot.ranking(result,
output="ranking"). exclusion_lines() gives the contour lines themselves. Bad input raises PlotError (a
ValueError) whose message names the file and what is wrong; the command line prints it on one line and
exits 1 (2 for a usage error).

The module needs numpy and matplotlib only: it imports nothing of hfx, so that the figures can be
drawn where the C extension is not built (scripts/sbottom.sh runs it as a script). Figures are made
with matplotlib's object interface (no pyplot state), so calls from threads do not interfere.
"""
import argparse
import json
import math
import os
import re
import statistics
import sys

import numpy as np

import matplotlib

matplotlib.use("Agg")  # files only; never a window (a no-op where a backend is already in use)
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
import matplotlib.ticker  # noqa: E402
import matplotlib.tri as mtri  # noqa: E402

__all__ = ["PlotError", "load", "save", "ranking", "pulls", "correlations", "profile_scan", "brazil",
           "contour", "signal_grid", "exclusion_lines", "main"]

# Sizes for a slide: text readable at the back of a room when the figure fills half a slide.
_STYLE = {"font.size": 12, "axes.labelsize": 13, "legend.fontsize": 11, "xtick.labelsize": 11,
          "ytick.labelsize": 11, "svg.fonttype": "none", "savefig.dpi": 150, "xtick.direction": "in",
          "ytick.direction": "in", "xtick.top": False, "ytick.right": False}


class PlotError(ValueError):
    """Input a figure cannot be drawn from: the message names the file (or "result") and the problem."""


#
# Input
#

def load(path):
    """The JSON document at path: one value (hfx ranking, fit, profile-scan, upper-limit), or a list of
    the values of a JSON lines file (hfx scan). Raises PlotError naming the file and line."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        raise PlotError(f"{path}: {e.strerror or e}") from None
    except UnicodeDecodeError as e:
        raise PlotError(f"{path}: not UTF-8 text (byte {e.start})") from None
    if not text.strip():
        raise PlotError(f"{path}: empty file")
    try:
        return json.loads(text)
    except json.JSONDecodeError as whole:
        lines = [(n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
        if len(lines) < 2:  # one document that is not JSON: its own error is the useful one
            raise PlotError(f"{path}: line {whole.lineno} column {whole.colno}: not JSON: {whole.msg}") from None
        rows = []
        for n, line in lines:
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as e:
                raise PlotError(f"{path}: line {n} column {e.colno}: not JSON: {e.msg}") from None
        return rows


def _doc(result, what):
    """(the document, its name for messages): result is a parsed document or a path to one."""
    if isinstance(result, (str, os.PathLike)):
        return load(result), os.fspath(result)
    return result, what


def _need(doc, name, key, kind, types=None):
    value = doc.get(key) if isinstance(doc, dict) else None
    if value is None or (types is not None and not isinstance(value, types)):
        found = "a JSON object" if isinstance(doc, dict) else f"a JSON {type(doc).__name__}"
        raise PlotError(f"{name}: no {key!r} of the right type in {found}: a {kind} figure reads the output of "
                        f"{_SOURCE[kind]}")
    return value


def _num(value, name, where):
    """value as a float (None and null are NaN: a quantity hfx could not compute); else PlotError."""
    if value is None:
        return math.nan
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise PlotError(f"{name}: {where}: {value!r} is not a number")
    return float(value)


_SOURCE = {"ranking": "hfx ranking", "pulls": "hfx fit --pulls", "correlations": "hfx fit --correlations",
           "profile-scan": "hfx profile-scan", "brazil": "hfx upper-limit --scan", "contour": "hfx scan"}


def save(fig, prefix, formats=("png", "svg")):
    """Writes fig to PREFIX.png and PREFIX.svg (or the given formats); returns the paths."""
    paths = []
    folder = os.path.dirname(os.fspath(prefix))
    if folder:
        os.makedirs(folder, exist_ok=True)
    for fmt in formats:
        path = f"{os.fspath(prefix)}.{fmt}"
        # fixed metadata: a figure redrawn from the same results is the same file (SVG: no date, fixed ids)
        meta = {"Software": None} if fmt == "png" else {"Date": None, "Creator": None} if fmt == "svg" else {}
        with matplotlib.rc_context({**_STYLE, "svg.hashsalt": "hfx"}):
            fig.savefig(path, format=fmt, metadata=meta)
        paths.append(path)
    return paths


def _figure(width, height):
    with matplotlib.rc_context(_STYLE):
        return Figure(figsize=(width, height), layout="constrained")


def _finish(fig, output):
    if output is not None:
        save(fig, output)
    return fig


#
# Ranking, pulls, correlations
#

def ranking(result, output=None, top=20):
    """The impact plot of `hfx ranking` output: the top parameters by impact, each with its pre-fit
    impacts (open boxes, theta at best fit +- pre-fit width), post-fit impacts (filled, +- post-fit
    width) on the POI (top axis), and its pull with the post-fit width over the pre-fit width (points,
    bottom axis), in the style of the ATLAS and CMS impact plots."""
    doc, name = _doc(result, "result")
    rows = _need(doc, name, "ranking", "ranking", list)
    if top is not None and top < 1:
        raise PlotError(f"--top {top}: must be at least 1")
    rows = rows[:top] if top else rows
    if not rows:
        raise PlotError(f"{name}: the ranking is empty (no constrained parameter to rank)")
    poi = str(doc.get("poi", "POI"))
    keys = ("impact_prefit_up", "impact_prefit_down", "impact_postfit_up", "impact_postfit_down", "pull",
            "pull_uncertainty")
    labels, cols = [], {k: [] for k in keys}
    for i, r in enumerate(rows):
        if not isinstance(r, dict) or not isinstance(r.get("name"), str):
            raise PlotError(f"{name}: ranking[{i}] has no parameter 'name'")
        labels.append(r["name"])
        for k in keys:
            cols[k].append(_num(r.get(k), name, f"ranking[{i}] ({r['name']}) {k}"))
    c = {k: np.array(v) for k, v in cols.items()}
    n = len(rows)
    with matplotlib.rc_context(_STYLE):
        fig = _figure(8.0, 2.4 + 0.34 * n)
        ax_pull = fig.add_subplot()
        ax_imp = ax_pull.twiny()  # impacts on the top axis, sharing the parameters' rows
        ax_pull.set_zorder(ax_imp.get_zorder() + 1)  # pulls drawn over the bars
        ax_pull.patch.set_visible(False)
        y = np.arange(n)[::-1]  # the largest impact on top
        up, down = "#1f77b4", "#ff7f0e"
        # filled post-fit bars first, the pre-fit outlines over them: both stay visible where equal
        ax_imp.barh(y, c["impact_postfit_up"], height=0.7, color=up, alpha=0.55, linewidth=0)
        ax_imp.barh(y, c["impact_postfit_down"], height=0.7, color=down, alpha=0.55, linewidth=0)
        ax_imp.barh(y, c["impact_prefit_up"], height=0.7, fill=False, edgecolor=up, linewidth=1.4)
        ax_imp.barh(y, c["impact_prefit_down"], height=0.7, fill=False, edgecolor=down, linewidth=1.4)
        ax_imp.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(5, symmetric=True))
        ax_imp.axvline(0, color="grey", linewidth=0.6)
        extent = np.nanmax(np.abs(np.concatenate([c[k] for k in keys[:4]])))
        extent = 1.15 * extent if np.isfinite(extent) and extent > 0 else 1.0
        ax_imp.set_xlim(-extent, extent)
        ax_imp.set_xlabel(rf"$\Delta\hat{{\mu}}$  ({poi})")
        for v in (-1, 1):
            ax_pull.axvline(v, color="black", linestyle=":", linewidth=0.8)
        ax_pull.axvline(0, color="black", linestyle="--", linewidth=0.8)
        shown = np.isfinite(c["pull"])
        ax_pull.errorbar(c["pull"][shown], y[shown], xerr=np.nan_to_num(c["pull_uncertainty"][shown]), fmt="o",
                         color="black", markersize=5, capsize=0, elinewidth=1.2)
        reach = np.nanmax(np.abs(c["pull"]) + np.nan_to_num(c["pull_uncertainty"])) if shown.any() else 0
        lim = 2.0 if not np.isfinite(reach) or reach <= 1.9 else math.ceil(reach + 0.2)
        ax_pull.set_xlim(-lim, lim)
        ax_pull.set_xlabel(r"pull  $(\hat{\theta}-\theta_0)/\Delta\theta$")
        ax_pull.set_yticks(y, labels)
        ax_pull.set_ylim(-0.7, n - 0.3)
        bf = doc.get("bestfit")
        if isinstance(bf, (int, float)) and isinstance(doc.get("uncertainty"), (int, float)):
            ax_pull.set_title(rf"{poi}: $\hat{{\mu}}$ = {bf:.3g} $\pm$ {doc['uncertainty']:.2g}; "
                              f"top {n} of {len(doc['ranking'])} by impact", fontsize=12, loc="left")
        # two columns, filled column by column: pre-fit (and the pull) left, post-fit right
        handles = [Patch(fill=False, edgecolor=up, label=r"pre-fit impact, $\theta=\hat{\theta}+\Delta\theta$"),
                   Patch(fill=False, edgecolor=down, label=r"pre-fit impact, $\theta=\hat{\theta}-\Delta\theta$"),
                   Line2D([], [], marker="o", color="black", label="pull (post-fit width)"),
                   Patch(color=up, alpha=0.55, label=r"post-fit impact, $\theta=\hat{\theta}+\Delta\hat{\theta}$"),
                   Patch(color=down, alpha=0.55, label=r"post-fit impact, $\theta=\hat{\theta}-\Delta\hat{\theta}$")]
        fig.legend(handles=handles, loc="outside lower center", ncol=2, frameon=False)
    return _finish(fig, output)


def pulls(result, output=None):
    """The pulls of `hfx fit --pulls`: (best fit - nominal) / pre-fit width for each constrained
    parameter, with the post-fit width over the pre-fit width as its error bar, on the 1 and 2 sigma
    bands. Unconstrained parameters (normalisation factors) have no pull and are listed below."""
    doc, name = _doc(result, "result")
    rows = _need(doc, name, "pulls", "pulls", list)
    labels, vals, errs, free = [], [], [], []
    for i, r in enumerate(rows):
        if not isinstance(r, dict) or not isinstance(r.get("name"), str):
            raise PlotError(f"{name}: pulls[{i}] has no parameter 'name'")
        p = _num(r.get("pull"), name, f"pulls[{i}] ({r['name']}) pull")
        if math.isnan(p):
            free.append(r["name"])
            continue
        labels.append(r["name"])
        vals.append(p)
        errs.append(_num(r.get("pull_uncertainty"), name, f"pulls[{i}] ({r['name']}) pull_uncertainty"))
    if not labels:
        raise PlotError(f"{name}: no parameter has a pull (all are unconstrained or fixed)")
    n = len(labels)
    vals, errs = np.array(vals), np.nan_to_num(np.array(errs))
    with matplotlib.rc_context(_STYLE):
        fig = _figure(7.0, 1.8 + 0.26 * n)
        ax = fig.add_subplot()
        y = np.arange(n)[::-1]
        ax.axvspan(-2, 2, color="#ffdd00", zorder=0)
        ax.axvspan(-1, 1, color="#33cc33", zorder=0)
        ax.axvline(0, color="black", linestyle="--", linewidth=0.8)
        ax.errorbar(vals, y, xerr=errs, fmt="o", color="black", markersize=4, elinewidth=1.1)
        reach = float(np.max(np.abs(vals) + errs))
        lim = 3.0 if reach <= 2.9 else math.ceil(reach + 0.2)
        ax.set_xlim(-lim, lim)
        ax.set_ylim(-0.7, n - 0.3)
        ax.set_yticks(y, labels, fontsize=9 if n > 30 else 11)
        ax.set_xlabel(r"pull  $(\hat{\theta}-\theta_0)/\Delta\theta$")
        if free:
            shown = ", ".join(free[:4]) + (f" and {len(free) - 4} more" if len(free) > 4 else "")
            ax.set_title(f"not shown (unconstrained): {shown}", fontsize=10, loc="left")
    return _finish(fig, output)


def correlations(result, output=None, threshold=0.2):
    """The correlation matrix of `hfx fit --correlations`, keeping only the parameters with at least one
    |correlation| >= threshold with another parameter (0 keeps all); values written in the cells for up
    to 25 parameters."""
    doc, name = _doc(result, "result")
    corr = _need(doc, name, "correlations", "correlations", dict)
    names, matrix = corr.get("names"), corr.get("matrix")
    if not isinstance(names, list) or not isinstance(matrix, list):
        raise PlotError(f"{name}: 'correlations' needs 'names' and 'matrix' lists")
    try:
        m = np.array(matrix, dtype=float)
    except (TypeError, ValueError):
        raise PlotError(f"{name}: correlations 'matrix' is not a matrix of numbers") from None
    if m.shape != (len(names), len(names)):
        raise PlotError(f"{name}: correlations 'matrix' is {'x'.join(map(str, m.shape))}, not "
                        f"{len(names)}x{len(names)} as its 'names'")
    if not 0 <= threshold <= 1:
        raise PlotError(f"--threshold {threshold}: must be within [0, 1]")
    off = np.abs(np.nan_to_num(m)) - np.eye(len(names))
    keep = np.flatnonzero((off >= threshold).any(axis=1)) if threshold > 0 else np.arange(len(names))
    if keep.size == 0:
        big = float(off.max()) if off.size else 0.0
        raise PlotError(f"{name}: no two parameters are correlated by |rho| >= {threshold:g} (the largest is "
                        f"{big:.3g}): lower --threshold")
    m, labels = m[np.ix_(keep, keep)], [str(names[i]) for i in keep]
    n = len(labels)
    with matplotlib.rc_context(_STYLE):
        side = 3.2 + 0.3 * n
        fig = _figure(side + 1.2, side)
        ax = fig.add_subplot()
        im = ax.imshow(m, cmap="RdBu_r", vmin=-1, vmax=1)
        fig.colorbar(im, ax=ax, label="correlation", shrink=0.8)
        small = 9 if n > 20 else 11
        ax.set_xticks(np.arange(n), labels, rotation=90, fontsize=small)
        ax.set_yticks(np.arange(n), labels, fontsize=small)
        if n <= 25:
            for i in range(n):
                for j in range(n):
                    ax.text(j, i, f"{m[i, j]:.2f}", ha="center", va="center", fontsize=8 if n > 12 else 10,
                            color="white" if abs(m[i, j]) > 0.6 else "black")
        if threshold > 0:
            ax.set_title(f"{n} of {len(names)} parameters: those with |\u03c1| \u2265 {threshold:g} to another",
                         fontsize=11, loc="left")
    return _finish(fig, output)


#
# Profile likelihood scans and the Brazil band
#

# -2 Delta ln L at 68% (1 sigma, 68.27%) and 95% CL for 2 parameters: the chi2 quantiles with 2
# degrees of freedom, -2 ln(1 - p) (2.30 and 5.99)
_CHI2_2DOF = {"68% CL": -2 * math.log(1 - 0.6827), "95% CL": -2 * math.log(1 - 0.95)}


def profile_scan(result, output=None):
    """The curve of `hfx profile-scan`: -2 Delta ln L along one parameter with the 1 and 2 sigma lines
    (1 and 4), or, for two parameters, the 68% and 95% CL contours (2.30 and 5.99, two degrees of
    freedom) around the best fit. Points whose fit did not converge are marked."""
    doc, name = _doc(result, "result")
    pars = _need(doc, name, "parameters", "profile-scan", list)
    points = _need(doc, name, "points", "profile-scan", list)
    shape = _need(doc, name, "shape", "profile-scan", list)
    if len(pars) not in (1, 2) or len(shape) != len(pars):
        raise PlotError(f"{name}: a profile scan of {len(pars)} parameters with shape {shape}: 1 or 2 expected")
    if not all(isinstance(s, int) and s > 0 for s in shape) or math.prod(shape) != len(points):
        raise PlotError(f"{name}: shape {shape} does not match the {len(points)} points")
    vals = np.empty((len(points), len(pars)))
    d = np.empty(len(points))
    bad = np.zeros(len(points), bool)
    for i, p in enumerate(points):
        v = p.get("values") if isinstance(p, dict) else None
        if not isinstance(v, list) or len(v) != len(pars):
            raise PlotError(f"{name}: points[{i}] has no 'values' of {len(pars)} numbers")
        vals[i] = [_num(x, name, f"points[{i}] values") for x in v]
        d[i] = _num(p.get("delta_twice_nll"), name, f"points[{i}] delta_twice_nll")
        bad[i] = p.get("status", "converged") != "converged" or not np.isfinite(d[i])
    best = doc.get("bestfit") if isinstance(doc.get("bestfit"), dict) else {}
    with matplotlib.rc_context(_STYLE):
        fig = _figure(6.4, 4.8)
        ax = fig.add_subplot()
        if len(pars) == 1:
            x = vals[:, 0]
            ax.plot(x[~bad], d[~bad], "-o", color="black", markersize=3.5, linewidth=1.5,
                    label=r"profile likelihood")
            if bad.any():
                ax.plot(x[bad], np.nan_to_num(d[bad]), "x", color="red", markersize=7, label="fit not converged")
            top = max(float(np.nanmax(d[~bad])) if (~bad).any() else 0, 5.0)
            for level, text in ((1, r"1$\sigma$"), (4, r"2$\sigma$")):
                ax.axhline(level, color="grey", linestyle="--", linewidth=1)
                ax.text(x.max(), level, text + " ", ha="right", va="bottom", color="grey")
            if isinstance(best.get(pars[0]), (int, float)):
                ax.axvline(best[pars[0]], color="#1f77b4", linestyle=":", linewidth=1.2,
                           label=f"best fit {best[pars[0]]:.3g}")
            ax.set_xlim(x.min(), x.max())
            ax.set_ylim(0, 1.08 * top)
            ax.set_xlabel(str(pars[0]))
            ax.set_ylabel(r"$-2\,\Delta\ln L$")
            ax.legend(frameon=False, loc="upper center")
        else:
            nx, ny = shape
            X, Y, D = vals[:, 0].reshape(nx, ny), vals[:, 1].reshape(nx, ny), d.reshape(nx, ny)
            im = ax.pcolormesh(X, Y, np.clip(D, 0, 16), cmap="Blues", shading="nearest", vmin=0, vmax=16)
            fig.colorbar(im, ax=ax, label=r"$-2\,\Delta\ln L$ (capped at 16)")
            styles = (("-", "black"), ("--", "black"))
            ax.contour(X, Y, D, levels=list(_CHI2_2DOF.values()), colors="black", linestyles=["-", "--"],
                       linewidths=1.6)
            handles = [Line2D([], [], color=c, linestyle=s, label=lab) for (s, c), lab in zip(styles, _CHI2_2DOF)]
            if all(isinstance(best.get(p), (int, float)) for p in pars):
                ax.plot([best[pars[0]]], [best[pars[1]]], marker="*", color="#d62728", markersize=13,
                        linestyle="none")
                handles.append(Line2D([], [], marker="*", color="#d62728", markersize=13, linestyle="none",
                                      label="best fit"))
            if bad.any():
                ax.plot(vals[bad, 0], vals[bad, 1], "x", color="red", markersize=6)
                handles.append(Line2D([], [], marker="x", color="red", linestyle="none", label="fit not converged"))
            fig.legend(handles=handles, loc="outside upper center", ncol=len(handles), frameon=False)
            ax.set_xlabel(str(pars[0]))
            ax.set_ylabel(str(pars[1]))
    return _finish(fig, output)


def brazil(result, output=None, level=0.05):
    """The Brazil band of `hfx upper-limit --scan`: the observed CLs (solid), the expected median
    (dashed) with its 1 and 2 sigma bands (green, yellow) against the POI, the line CLs = level and the
    limits where the curves cross it."""
    doc, name = _doc(result, "result")
    mu = np.array([_num(v, name, "scan") for v in _need(doc, name, "scan", "brazil", list)])
    obs = np.array([_num(v, name, "CLs_obs") for v in _need(doc, name, "CLs_obs", "brazil", list)])
    exp_rows = _need(doc, name, "CLs_exp", "brazil", list)
    if not (len(mu) == len(obs) == len(exp_rows)) or len(mu) < 2:
        raise PlotError(f"{name}: 'scan', 'CLs_obs' and 'CLs_exp' must hold the same number (>= 2) of points "
                        f"(found {len(mu)}, {len(obs)}, {len(exp_rows)})")
    exp = np.empty((len(mu), 5))
    for i, row in enumerate(exp_rows):
        if not isinstance(row, list) or len(row) != 5:
            raise PlotError(f"{name}: CLs_exp[{i}] is not the 5 expected values (-2 .. +2 sigma)")
        exp[i] = [_num(v, name, f"CLs_exp[{i}]") for v in row]
    with matplotlib.rc_context(_STYLE):
        fig = _figure(6.4, 4.8)
        ax = fig.add_subplot()
        ax.fill_between(mu, exp[:, 0], exp[:, 4], color="#ffdd00", linewidth=0, label=r"expected $\pm 2\sigma$")
        ax.fill_between(mu, exp[:, 1], exp[:, 3], color="#33cc33", linewidth=0, label=r"expected $\pm 1\sigma$")
        ax.plot(mu, exp[:, 2], "--", color="black", linewidth=1.5, label="expected median")
        ax.plot(mu, obs, "-", color="black", linewidth=2, label="observed")
        ax.axhline(level, color="#d62728", linewidth=1.3, label=f"CLs = {level:g}")
        lim_o, lim_e = doc.get("obs"), doc.get("exp")
        if isinstance(lim_o, (int, float)) and isinstance(lim_e, list) and len(lim_e) == 5:
            ax.set_title(rf"upper limits at {100 * (1 - level):g}% CL: observed {lim_o:.3g}, expected "
                         rf"{lim_e[2]:.3g}$^{{+{lim_e[3] - lim_e[2]:.2g}}}_{{-{lim_e[2] - lim_e[1]:.2g}}}$",
                         fontsize=11, loc="left")
        ax.set_xlim(mu.min(), mu.max())
        ax.set_ylim(0, 1.05)
        ax.set_xlabel(r"$\mu$ (signal strength)")
        ax.set_ylabel("CLs")
        ax.legend(frameon=False, loc="upper right")
    return _finish(fig, output)


#
# Exclusion contours over a signal grid
#

_UNIT = re.compile(r"\s*\[([^\]]+)\]\s*$")  # the "[GeV]" that ends an axis title
_NUMBER = re.compile(r"\d+(?:[.p]\d+)?")  # 300p5 is 300.5, as in many patch names


def _name_numbers(patch):
    return [float(t.replace("p", ".")) for t in _NUMBER.findall(patch)]


def signal_grid(rows, patchset=None, x=0, y=1, fix=None, region=None, name="result"):
    """The points of a signal grid from `hfx scan` results: a dict with "x", "y" (arrays), "cls_obs",
    "cls_exp" (n x 5), "patches", "axes" (the two coordinates' labels, or None) and "fixed" ({label
    or index: value} of the other coordinates, held at one value to cut a plane).

    rows: the scan's lines (dicts with "patch", "CLs_obs", "CLs_exp"; lines with "error" and shard
    headers are skipped) or hfx.scan's results. A patch's coordinates are its values in the patchset
    (a path or a parsed pyhf patchset: metadata "labels" and each patch's "values"), or else the numbers
    in its name (sbottom_1300_205_60 -> 1300, 205, 60). x, y: the indices of the plane's coordinates;
    fix: {index: value} for the others (default: each at its most common value). region: keep the rows
    of this "region" only (scripts/sbottom.sh's file holds three)."""
    if isinstance(rows, (str, os.PathLike)):
        name = os.fspath(rows)
        rows = load(rows)
    if isinstance(rows, dict):
        rows = [rows]
    if not isinstance(rows, list):
        raise PlotError(f"{name}: not the output of hfx scan (JSON lines, one object per patch)")
    labels, coords = None, None
    if patchset is not None:
        labels, coords = _patchset_values(patchset)
    points = []
    regions = set()
    for i, r in enumerate(rows):
        if hasattr(r, "cls_obs") and hasattr(r, "name"):  # hfx.ScanResult
            r = {"patch": r.name, "CLs_obs": r.cls_obs,
                 "CLs_exp": None if r.cls_exp is None else list(r.cls_exp)}
        if not isinstance(r, dict):
            raise PlotError(f"{name}: line {i + 1} is not a JSON object")
        if "shard" in r and "patch" not in r:
            continue
        if "region" in r:
            regions.add(r["region"])
            if region is not None and r["region"] != region:
                continue
        if r.get("error") is not None or r.get("CLs_obs") is None:
            if "patch" not in r:
                raise PlotError(f"{name}: line {i + 1} has no 'patch': not the output of hfx scan")
            continue  # a failed patch has no CLs: it is not a point of the grid
        patch = r.get("patch")
        exp = r.get("CLs_exp")
        if not isinstance(patch, str) or not isinstance(exp, list) or len(exp) != 5:
            raise PlotError(f"{name}: line {i + 1}: needs 'patch', 'CLs_obs' and 5 'CLs_exp' (hfx scan's CLs "
                            "output; --upper-limit output has no CLs)")
        cls = [_num(r["CLs_obs"], name, f"line {i + 1} CLs_obs")] + [_num(v, name, f"line {i + 1} CLs_exp")
                                                                     for v in exp]
        if not all(0 <= v <= 1 for v in cls):  # NaN included
            raise PlotError(f"{name}: line {i + 1} (patch {patch!r}): CLs values {cls} are not all within [0, 1]")
        if coords is not None:
            if patch not in coords:
                raise PlotError(f"{name}: patch {patch!r} is not in the patchset")
            c = coords[patch]
        else:
            c = _name_numbers(patch)
        points.append((patch, c, cls))
    if region is not None and region not in regions:
        raise PlotError(f"{name}: no rows of region {region!r} (regions: {', '.join(sorted(regions)) or 'none'})")
    if region is None and len(regions) > 1:
        raise PlotError(f"{name}: rows of {len(regions)} regions ({', '.join(sorted(regions))}): choose one "
                        "with --region")
    if not points:
        raise PlotError(f"{name}: no patch with CLs values (contours are drawn from hfx scan's CLs, not from "
                        "its --upper-limit output)")
    dims = {len(c) for _, c, _ in points}
    if min(dims) < 2 or len(dims) != 1:
        p, c, _ = min(points, key=lambda t: len(t[1]))
        what = (f"patch {p!r} has {len(c)} value(s) in the patchset" if coords is not None else
                f"the name of patch {p!r} holds {len(c)} number(s)")
        raise PlotError(f"{name}: a grid needs two numeric labels per patch: {what}"
                        + ("" if len(dims) == 1 else f" and others have {max(dims)}")
                        + ("" if coords is not None else " (give the grid's patchset with --patchset)"))
    k = dims.pop()
    for axis in (x, y):
        if not 0 <= axis < k:
            raise PlotError(f"coordinate index {axis} out of range: the patches have {k} coordinates (0 .. {k - 1})")
    if x == y:
        raise PlotError(f"the x and y coordinates are both index {x}")
    fix = dict(fix or {})
    for idx in range(k):
        if idx in (x, y) or idx in fix:
            continue
        values = [c[idx] for _, c, _ in points]
        fix[idx] = max(set(values), key=lambda v: (values.count(v), -v))
    for idx in fix:
        if not 0 <= idx < k or idx in (x, y):
            raise PlotError(f"--fix {idx}: not one of the other coordinates of the {k}")
    sel = [(p, c, cls) for p, c, cls in points if all(c[i] == v for i, v in fix.items())]
    if len(sel) < 3:
        held = ", ".join(f"coordinate {i} = {v:g}" for i, v in fix.items())
        raise PlotError(f"{name}: {len(sel)} patch(es) with CLs in the plane ({held or 'all'}): a contour needs "
                        "at least 3")
    seen = {}
    for p, c, _ in sel:
        key = (c[x], c[y])
        if key in seen:
            raise PlotError(f"{name}: patches {seen[key]!r} and {p!r} are the same point ({key[0]:g}, {key[1]:g}) "
                            "of the plane: fix the other coordinates with --fix")
        seen[key] = p
    cls = np.array([t[2] for t in sel])
    fixed = {(labels[i] if labels else i): v for i, v in sorted(fix.items())}
    return {"x": np.array([c[x] for _, c, _ in sel]), "y": np.array([c[y] for _, c, _ in sel]),
            "cls_obs": cls[:, 0], "cls_exp": cls[:, 1:], "patches": [p for p, _, _ in sel],
            "axes": (labels[x], labels[y]) if labels else None, "fixed": fixed, "source": name}


def _patchset_values(patchset):
    """(labels, {patch name: values}) of a pyhf patchset (path or parsed)."""
    name = "patchset"
    if isinstance(patchset, (str, os.PathLike)):
        name = os.fspath(patchset)
        patchset = load(patchset)
    try:
        labels = [str(v) for v in patchset["metadata"]["labels"]]
        coords = {}
        for i, p in enumerate(patchset["patches"]):
            meta = p["metadata"]
            coords[str(meta["name"])] = [_num(v, name, f"patches[{i}] values") for v in meta["values"]]
    except (KeyError, TypeError):
        raise PlotError(f"{name}: not a pyhf patchset (needs metadata.labels and each patch's metadata.name and "
                        "values)") from None
    return labels, coords


def _quantile(cls):
    """Phi^-1(1 - CLs): the significance-like transform the contours are interpolated in.

    CLs falls over orders of magnitude across a grid, so straight lines between neighbouring points
    in CLs itself would put the 0.05 crossing far from where the fits say. Asymptotically CLs is a
    ratio of Gaussian tail probabilities of sqrt(q_mu), and sqrt(q_mu) grows like the signal yield
    over its uncertainty, which changes smoothly with the masses; Phi^-1(1 - CLs) undoes the tail, so
    it is close to linear between neighbouring points and linear interpolation on the triangulation
    is accurate. It is monotone, so the contour at Phi^-1(0.95) is exactly CLs = 0.05 at every point
    of the scan (log10 CLs would be the other choice: also monotone, but curved where CLs nears 1).
    CLs is clipped to [1e-15, 1 - 1e-15] (|value| <= 7.94) so that 0 and 1 stay finite."""
    p = np.clip(np.asarray(cls, dtype=float), 1e-15, 1 - 1e-15)
    inv = statistics.NormalDist().inv_cdf
    return np.array([inv(1 - v) for v in p.ravel()]).reshape(p.shape)


def _triangulation(grid):
    x, y = grid["x"], grid["y"]
    # qhull fails on points along one line (a grid of one row): say so instead
    scale = max(np.ptp(x), np.ptp(y), 1.0)
    span = np.linalg.matrix_rank(np.column_stack([x - x.mean(), y - y.mean()]), tol=1e-9 * scale)
    if span < 2:
        raise PlotError(f"{grid.get('source', 'result')}: the {len(x)} points of the grid lie on one line: a "
                        "contour needs a plane")
    tri = mtri.Triangulation(x, y)
    # Delaunay's hull can close a non-convex grid with slivers along its border (three nearly
    # collinear points): no signal point lies inside them, so the contour is not drawn there.
    tri.set_mask(mtri.TriAnalyzer(tri).get_flat_tri_mask(min_circle_ratio=0.02))
    return tri


def exclusion_lines(grid, level=0.05):
    """The CLs = level lines of a signal_grid() (or of what signal_grid takes): a dict with "observed",
    "expected", "expected_minus1", "expected_plus1" (-1 and +1 sigma), each a list of (n x 2) arrays of
    (x, y) points, one per connected piece."""
    if not isinstance(grid, dict) or "cls_obs" not in grid:
        grid = signal_grid(grid)
    tri = _triangulation(grid)
    target = statistics.NormalDist().inv_cdf(1 - level)
    fields = {"observed": grid["cls_obs"], "expected": grid["cls_exp"][:, 2],
              "expected_minus1": grid["cls_exp"][:, 1], "expected_plus1": grid["cls_exp"][:, 3]}
    fig = Figure()
    ax = fig.add_subplot()
    out = {}
    for key, cls in fields.items():
        z = _quantile(cls)
        out[key] = []
        if z.min() < target < z.max():
            cs = ax.tricontour(tri, z, levels=[target])
            for path in cs.get_paths():
                out[key].extend(np.asarray(poly) for poly in path.to_polygons(closed_only=False) if len(poly) > 1)
    return out


def contour(result, output=None, patchset=None, x=0, y=1, fix=None, region=None, labels=None, level=0.05,
            title=None):
    """The exclusion contour of a signal grid scanned by `hfx scan`: the observed CLs = level line
    (solid red), the expected one (dashed) with its +-1 sigma band (yellow), and the grid's points.
    result, patchset, x, y, fix, region: as signal_grid(). labels: the axis titles, [x, y] or one per
    coordinate (with units: "m(b1) [GeV]"; default: the patchset's labels or "coordinate i"); a held
    coordinate is written as "label = value" in the figure. title: a line above the plot."""
    grid = result if isinstance(result, dict) and "cls_obs" in result else signal_grid(
        result, patchset=patchset, x=x, y=y, fix=fix, region=region)
    lines = exclusion_lines(grid, level)
    names = list(labels) if labels else None

    def axis_label(idx, default):
        if names and len(names) > 2 and idx < len(names):
            return names[idx]
        return default

    if names and len(names) == 2:
        xl, yl = names
    elif grid["axes"]:
        xl, yl = grid["axes"]
    else:
        xl, yl = axis_label(x, f"coordinate {x}"), axis_label(y, f"coordinate {y}")
    held = []
    for key, v in grid["fixed"].items():
        lab = axis_label(key, f"coordinate {key}") if isinstance(key, int) else key
        unit = _UNIT.search(lab)  # "m(chi1) [GeV]" -> "m(chi1) = 60 GeV"
        bare = lab[:unit.start()] if unit else lab
        held.append(f"{bare} = {v:g}" + (f" {unit.group(1)}" if unit else ""))
    tri = _triangulation(grid)
    target = statistics.NormalDist().inv_cdf(1 - level)
    with matplotlib.rc_context(_STYLE):
        fig = _figure(6.6, 5.4)
        ax = fig.add_subplot()
        lo, hi = _quantile(grid["cls_exp"][:, 1]), _quantile(grid["cls_exp"][:, 3])
        # The +-1 sigma band: excluded by the -1 sigma expectation but not by the +1 sigma one,
        # i.e. min(z(-1 sigma) - t, t - z(+1 sigma)) > 0 (z grows as CLs falls).
        band = np.minimum(lo - target, target - hi)
        if band.max() > 0:
            ax.tricontourf(tri, band, levels=[0, band.max() + 1], colors=["#ffdd00"], zorder=1)
        ax.plot(grid["x"], grid["y"], ".", color="grey", markersize=3, zorder=2)
        for key, style in (("expected", dict(color="black", linestyle="--", linewidth=1.8)),
                           ("observed", dict(color="#d62728", linestyle="-", linewidth=2.4))):
            for seg in lines[key]:
                ax.plot(seg[:, 0], seg[:, 1], zorder=3, **style)
        handles = [Line2D([], [], color="#d62728", linewidth=2.4, label=f"observed (CLs = {level:g})"),
                   Line2D([], [], color="black", linestyle="--", linewidth=1.8, label="expected"),
                   Patch(color="#ffdd00", label=r"expected $\pm 1\sigma$"),
                   Line2D([], [], marker=".", color="grey", linestyle="none", label="signal points")]
        fig.legend(handles=handles, loc="outside upper center", ncol=2, frameon=False)
        for setlim, v in ((ax.set_xlim, grid["x"]), (ax.set_ylim, grid["y"])):
            pad = 0.04 * (v.max() - v.min())  # the points on the grid's edges stay visible
            setlim(v.min() - pad, v.max() + pad)
        ax.set_xlabel(xl)
        ax.set_ylabel(yl)
        text = "\n".join(([title] if title else []) + held + [f"{len(grid['patches'])} points, "
                                                              f"{100 * (1 - level):g}% CL, CLs"])
        ax.text(0.03, 0.97, text, transform=ax.transAxes, va="top", ha="left", fontsize=11,
                bbox=dict(facecolor="white", edgecolor="none", alpha=0.8))
        for key in ("observed", "expected"):
            if not lines[key]:
                side = "every" if (grid["cls_obs"] if key == "observed" else grid["cls_exp"][:, 2]).max() < level \
                    else "no"
                ax.text(0.97, 0.03 if key == "observed" else 0.09, f"{key}: {side} point excluded",
                        transform=ax.transAxes, ha="right", va="bottom", fontsize=10)
    return _finish(fig, output)


#
# Command line
#

_KINDS = {"ranking": ranking, "pulls": pulls, "correlations": correlations, "profile-scan": profile_scan,
          "brazil": brazil, "contour": contour}


def _fix_arg(text):
    try:
        idx, value = text.split("=", 1)
        return int(idx), float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not INDEX=VALUE (2=60)") from None


def main(argv=None):
    p = argparse.ArgumentParser(prog="python3 -m hfx.plot", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="\n\n".join(__doc__.split("\n\n")[1:3]))
    p.add_argument("kind", choices=sorted(_KINDS), help="which figure")
    p.add_argument("result", help="the JSON (or JSON lines) file of the command the figure reads")
    p.add_argument("-o", "--output", required=True, help="PREFIX: writes PREFIX.png and PREFIX.svg")
    p.add_argument("--top", type=int, default=20, help="ranking: the N parameters with the largest impact (20)")
    p.add_argument("--threshold", type=float, default=0.2,
                   help="correlations: keep parameters with a |correlation| >= X with another (0.2; 0: all)")
    p.add_argument("--level", type=float, default=0.05, help="brazil, contour: the CLs of the limit (0.05)")
    p.add_argument("--patchset", help="contour: the pyhf patchset whose labels and values place the patches")
    p.add_argument("--x", type=int, default=0, help="contour: index of the x coordinate (0)")
    p.add_argument("--y", type=int, default=1, help="contour: index of the y coordinate (1)")
    p.add_argument("--fix", type=_fix_arg, action="append", default=[], metavar="INDEX=VALUE",
                   help="contour: hold another coordinate (default: its most common value)")
    p.add_argument("--region", help="contour: the rows of this region only (scripts/sbottom.sh's file)")
    p.add_argument("--label", action="append", dest="labels", metavar="TEXT",
                   help="contour: an axis title with its unit, once per coordinate in order ('m(b1) [GeV]')")
    p.add_argument("--title", help="contour: a line of text in the plot (the analysis, the region)")
    a = p.parse_args(argv)
    prog = "hfx.plot"
    try:
        if a.kind == "ranking":
            fig = ranking(a.result, top=a.top)
        elif a.kind == "correlations":
            fig = correlations(a.result, threshold=a.threshold)
        elif a.kind == "brazil":
            fig = brazil(a.result, level=a.level)
        elif a.kind == "contour":
            fig = contour(a.result, patchset=a.patchset, x=a.x, y=a.y, fix=dict(a.fix), region=a.region,
                          labels=a.labels, level=a.level, title=a.title)
        else:
            fig = _KINDS[a.kind](a.result)
        paths = save(fig, a.output)
    except PlotError as e:
        print(f"{prog}: error: {e}", file=sys.stderr)
        return 1
    except OSError as e:
        print(f"{prog}: error: {e.filename or a.output}: {e.strerror or e}", file=sys.stderr)
        return 1
    print(" ".join(paths))
    return 0


if __name__ == "__main__":
    sys.exit(main())
