"""The `pyhf` that pyhf's test suite imports in the pyhf-suite run: hfx.compat, under pyhf's names.

`import pyhf` gives the module hfx.compat, and `import pyhf.X.Y` gives hfx.compat.X.Y (the same module
objects, so that a backend set through one name is seen through the other)."""
import importlib
import importlib.abc
import importlib.util
import sys


class _Alias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, fullname, path=None, target=None):
        if fullname.startswith("pyhf."):
            target_name = "hfx.compat." + fullname[len("pyhf."):]
            try:
                if importlib.util.find_spec(target_name) is None:
                    return None
            except ModuleNotFoundError:
                return None
            return importlib.util.spec_from_loader(fullname, self)
        return None

    def create_module(self, spec):
        return importlib.import_module("hfx.compat." + spec.name[len("pyhf."):])

    def exec_module(self, module):
        pass


sys.meta_path.insert(0, _Alias())
import hfx.compat as _compat  # noqa: E402

sys.modules[__name__] = _compat
