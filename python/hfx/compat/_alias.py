"""The mechanism behind hfx.compat.as_pyhf (and the pyhf-suite's shim, tests/pyhf-suite/shim): `import pyhf`
gives the module hfx.compat, and `import pyhf.X.Y` gives hfx.compat.X.Y, the same module objects, so that a
backend set through one name is seen through the other."""
import importlib
import importlib.abc
import importlib.util
import sys


class _Alias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, fullname, path=None, target=None):
        if not fullname.startswith("pyhf."):
            return None
        try:
            if importlib.util.find_spec("hfx.compat." + fullname[len("pyhf."):]) is None:
                return None
        except ModuleNotFoundError:
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec):
        return importlib.import_module("hfx.compat." + spec.name[len("pyhf."):])

    def exec_module(self, module):
        pass


def alias_pyhf():
    """Makes `pyhf` (and its submodules) name hfx.compat in this interpreter, from now on."""
    if not any(isinstance(f, _Alias) for f in sys.meta_path):
        sys.meta_path.insert(0, _Alias())
    import hfx.compat
    sys.modules["pyhf"] = hfx.compat
    return hfx.compat
