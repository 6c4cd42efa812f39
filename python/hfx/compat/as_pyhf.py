"""Importing this module makes every later `import pyhf` in the interpreter, yours and that of libraries
written for pyhf (cabinetry, spey-pyhf, ...), give hfx.compat, so that they run on hfx unchanged:

    import hfx.compat.as_pyhf  # first, before anything imports pyhf
    import cabinetry           # its pyhf calls now run on hfx

pyhf's submodules follow (`import pyhf.infer.mle` is hfx.compat.infer.mle). Where pyhf itself was imported
before, its objects are already in use: ImportError, rather than a mix of the two."""
import sys

if "pyhf" in sys.modules and not sys.modules["pyhf"].__name__.startswith("hfx.compat"):
    raise ImportError("hfx.compat.as_pyhf: pyhf was imported before it (by "
                      f"{sys.modules['pyhf'].__file__}): import hfx.compat.as_pyhf first, before cabinetry or "
                      "anything else that imports pyhf")

from ._alias import alias_pyhf  # noqa: E402

alias_pyhf()
