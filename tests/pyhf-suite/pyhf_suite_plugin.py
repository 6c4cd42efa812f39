"""pytest plugin of the pyhf-suite run (tests/pyhf-suite/run.py): runs pyhf 0.7.6's own test modules
(../shared/pyhf-tests/tests, never copied here) either against pyhf itself (the baseline) or against hfx
through `pyhf` = hfx.compat (the shim package in shim/, first on sys.path).

What it does to pyhf's suite, the same in both modes so that the counts compare:
- the tensor backends that are not installed here (pytorch, tensorflow, jax) become placeholders, so that
  pyhf's conftest.py can build its `backend` fixture's parameters, and every test that would run on
  them is deselected: the suite runs on the numpy backends (numpy, numpy_minuit) only;
- pyhf's datadir fixture copies its data with a plain, writable copy (_copy_tree);
- the outcome of each test is tallied per module and written as JSON to $HFX_PYHF_SUITE_REPORT.
"""
import json
import os
import re

_OTHER_BACKENDS = ("pytorch", "pytorch64", "tensorflow", "jax")


class _Unavailable:
    """A tensor backend that is not installed: it exists so that pyhf's conftest imports."""

    def __init__(self, name, *args, **kwargs):
        self.name = name

    def __repr__(self):
        return f"<{self.name} backend: not installed>"


def _install_placeholders():
    import pyhf.tensor as tensor  # the real one, or hfx.compat.tensor through the shim
    import importlib.util
    for name, module in (("pytorch", "torch"), ("tensorflow", "tensorflow"), ("jax", "jax")):
        if importlib.util.find_spec(module) is None:
            def make(*a, _n=name, **k):
                return _Unavailable(_n, *a, **k)
            make._hfx_unavailable = True  # a test parametrized by the factory itself is deselected too
            setattr(tensor, f"{name}_backend", make)


def _symlink_target(path):
    """pyhf's repository has data files that are git symlinks (test_patchset/patchset_good.json ->
    ../test_schema/patchset_good.json); ../shared holds them as small files whose text is the target:
    the file they point to."""
    if os.path.getsize(path) < 256:
        with open(path, "rb") as f:
            text = f.read().decode("utf-8", "replace").strip()
        if text.startswith("..") and "\n" not in text:
            target = os.path.normpath(os.path.join(os.path.dirname(path), text))
            if os.path.isfile(target):
                return target
    return path


def _copy_tree(src, dst, *args, **kwargs):
    """pyhf's datadir fixture copies its test data with distutils' copy_tree, which caches the folders it
    made across calls and leaves some copies empty when the source is read-only (../shared is): a plain
    copy instead, writable."""
    import shutil
    import stat

    def copy(s, d):
        shutil.copyfile(_symlink_target(s), d)
        os.chmod(d, stat.S_IRUSR | stat.S_IWUSR | stat.S_IRGRP | stat.S_IROTH)
    shutil.copytree(src, dst, dirs_exist_ok=True, copy_function=copy)
    return []


def _patch_copy_tree():
    try:
        from setuptools._distutils import dir_util
    except ImportError:
        return
    dir_util.copy_tree = _copy_tree


def _tight_optimizer():
    """HFX_PYHF_SUITE_TIGHT=1 (with --pyhf real): pyhf's scipy optimizer at tolerance 1e-12 whenever a
    test sets the numpy backend, to show that the numbers where hfx and pyhf's defaults differ are
    pyhf's SLSQP stopping early (docs/pyhf-compat.md)."""
    import pyhf
    if os.environ.get("HFX_PYHF_SUITE_TIGHT") != "1" or not hasattr(pyhf.optimize, "scipy_optimizer"):
        return
    original = pyhf.set_backend

    def set_backend(backend, custom_optimizer=None, precision=None, default=False):
        if custom_optimizer is None:
            custom_optimizer = pyhf.optimize.scipy_optimizer(tolerance=1e-12)
        return original(backend, custom_optimizer, precision=precision, default=default)
    pyhf.set_backend = set_backend


def _explore():
    """HFX_PYHF_SUITE_EXPLORE=none|default|thorough (hfx mode): the explore= of every hfx model the suite
    builds, to show where hfx's global-minimum search is what differs from pyhf (docs/pyhf-compat.md)."""
    explore = os.environ.get("HFX_PYHF_SUITE_EXPLORE")
    if not explore:
        return
    import hfx
    init = hfx.Model.__init__

    def patched(self, spec, *args, **kwargs):
        kwargs.setdefault("explore", explore)
        return init(self, spec, *args, **kwargs)
    hfx.Model.__init__ = patched


_patch_copy_tree()
_tight_optimizer()
# at import (-p): pyhf's conftest is loaded before pytest_configure
_install_placeholders()
_explore()


def pytest_configure(config):
    config._hfx_tally = {}


def _other_backend(item):
    callspec = getattr(item, "callspec", None)
    ids = re.split(r"[\[\]\-]", item.name)
    if any(i in _OTHER_BACKENDS for i in ids):
        return True
    if callspec is not None:
        for value in callspec.params.values():
            values = value if isinstance(value, tuple) else (value,)
            if any(isinstance(v, _Unavailable) or getattr(v, "_hfx_unavailable", False) for v in values):
                return True
    return False


def pytest_collection_modifyitems(session, config, items):
    keep, drop = [], []
    for item in items:
        (drop if _other_backend(item) else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def pytest_runtest_logreport(report):
    import pytest
    config = pytest._hfx_config  # set in pytest_sessionstart
    module = report.nodeid.split("::")[0].rsplit("/", 1)[-1]
    t = config._hfx_tally.setdefault(module, {"passed": [], "failed": [], "skipped": [], "xfailed": []})
    if report.when == "call" or (report.when == "setup" and report.outcome != "passed") or (
            report.when == "teardown" and report.outcome == "failed"):
        if hasattr(report, "wasxfail"):
            kind = "xfailed" if report.skipped else "passed"
        else:
            kind = report.outcome
        # a test counts once: a failing teardown after a passing call turns it into a failure
        for k in t:
            if report.nodeid in t[k]:
                t[k].remove(report.nodeid)
        t[kind].append(report.nodeid)


def pytest_sessionstart(session):
    import pytest
    pytest._hfx_config = session.config


def pytest_sessionfinish(session):
    path = os.environ.get("HFX_PYHF_SUITE_REPORT")
    if path:
        with open(path, "w") as f:
            json.dump(session.config._hfx_tally, f, indent=1, sort_keys=True)
