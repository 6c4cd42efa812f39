"""hfx.scan: the CLs of many signal patches on one background-only workspace, yielded as they finish.

Design: a pool of Python threads (concurrent.futures), one patch per task. A task makes an O(1)
copy-on-write copy of the background, applies its patch, builds the model and its engine and runs the
hypotest: each a library call that runs without the GIL, so `jobs` patches compute at the same time on
as many cores, while the Python around them (a few microseconds per patch) takes turns. Each task's
handles are its own; the shared background and patchset are locked only for the copy and the patch
application. Results are the CLI's: `hfx scan` runs the same calls (threads 1 per patch unless given).
"""
import collections
import concurrent.futures
import os
import threading

import numpy as np

from . import _core
from ._backends import engine_options
from ._errors import error, whole
from ._workspace import Patchset, Workspace, _NORMSYS, _HISTOSYS, _patch_ops
from .infer._common import calctype_code, test_stat_code

ScanResult = collections.namedtuple("ScanResult", "index name cls_obs cls_exp error")
ScanResult.__doc__ = """One patch of hfx.scan: index (its position in the input), name, cls_obs (a float;
p0 for q0), cls_exp (the 5 expected values, -2 sigma .. +2 sigma, an array) and error (None, or the
hfx.Error the patch raised; cls_obs and cls_exp are then None)."""


def _patches(patchset):
    """[(name, apply)] where apply(core_workspace) patches a copy in place."""
    if isinstance(patchset, (str, os.PathLike)):
        patchset = Patchset(patchset)
    if isinstance(patchset, Patchset):
        ps = patchset._ps
        return [(name, (lambda ws, i=i: ps.apply(i, ws))) for i, name in enumerate(patchset.names)]
    patches = getattr(patchset, "patches", None)  # pyhf.PatchSet: .patches of Patch (.name, .patch)
    if patches is None and isinstance(patchset, dict):  # a patchset as JSON
        patches = patchset.get("patches")
        if patches is None:
            raise error(_core.ArgumentError, "scan: the patchset dict has no 'patches'")
        patches = [(p["metadata"]["name"], p["patch"]) for p in patches]
    elif patches is None:
        patches = list(patchset)  # (name, operations) pairs
    out = []
    for p in patches:
        name, ops = (p.name, p.patch) if hasattr(p, "name") and hasattr(p, "patch") else p
        text = _patch_ops(ops)
        out.append((name, (lambda ws, text=text, name=name: ws.apply_patch(text, name))))
    return out


def scan(bkg, patchset, jobs=None, poi_test=1.0, test_stat="qtilde", calctype="asymptotics", ntoys=2000, seed=0,
         measurement_name=None, modifier_settings=None, backend=None, threads=1, ordered=False):
    """Yields a ScanResult per patch of patchset applied to bkg, as each finishes (ordered=True: in input
    order). bkg: an hfx.Workspace or what Workspace() takes; patchset: a pyhf patchset file, an
    hfx.Patchset, a pyhf.PatchSet, a patchset dict, or (name, operations) pairs. jobs: patches computed
    at once (default: the number of cores); threads: of each patch's engine (1, as `hfx scan`). A
    patch that fails gives a result with its error, and the scan goes on. Leaving the loop early cancels
    the patches not yet started."""
    ws = bkg if isinstance(bkg, Workspace) else Workspace(bkg)
    items = _patches(patchset)
    jobs = int(jobs or os.cpu_count() or 1)
    if jobs < 1:
        raise error(_core.ArgumentError, f"scan: jobs = {jobs} must be >= 1")
    normsys = _NORMSYS.get(((modifier_settings or {}).get("normsys") or {}).get("interpcode", "code4"))
    histosys = _HISTOSYS.get(((modifier_settings or {}).get("histosys") or {}).get("interpcode", "code4p"))
    if normsys is None or histosys is None:
        raise error(_core.ArgumentError, f"scan: invalid modifier_settings {modifier_settings!r}")
    eo = engine_options(backend, threads)
    hypo = (float(poi_test), test_stat_code(test_stat), calctype_code(calctype),
            whole("ntoys", ntoys, 0, 2**63 - 1), whole("seed", seed))

    running = set()  # the engines of the patches being computed: a Ctrl-C cancels them (_results)
    stopping = []  # non-empty once they are cancelled: an engine made after that starts cancelled
    lock = threading.Lock()

    def one(index):
        name, apply = items[index]
        try:
            w = ws._ws.copy()
            apply(w)
            m = _core.Model(w, measurement=measurement_name, normsys=normsys, histosys=histosys)
            e = _core.Engine(m, **eo)
            with lock:
                running.add(e)
                if stopping:
                    e.cancel()
            try:
                r = e.hypotest(*hypo)
            finally:
                with lock:
                    running.discard(e)
            return ScanResult(index, name, float(r["cls_obs"]), np.array(r["cls_exp"]), None)
        except _core.Error as e:
            return ScanResult(index, name, None, None, e)

    def cancel_running():
        with lock:
            stopping.append(True)
            for e in running:
                e.cancel()

    # arguments are checked above, before the first result
    return _results(one, len(items), jobs, ordered, cancel_running)


def _results(one, n, jobs, ordered, cancel_running):
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="hfx-scan")
    try:
        futures = [pool.submit(one, i) for i in range(n)]
        for f in (futures if ordered else concurrent.futures.as_completed(futures)):
            yield f.result()
    except KeyboardInterrupt:
        # the main thread waits in Python, so Ctrl-C lands here; the patches in flight stop at their
        # next round of fits (hfx.CancelledError, dropped with the pool) instead of running to the end
        cancel_running()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
