"""The `pyhf` that pyhf's test suite imports in the pyhf-suite run: hfx.compat, under pyhf's names, by the
mechanism of hfx.compat.as_pyhf (this package is first on sys.path, so it is what `import pyhf` finds)."""
import sys

from hfx.compat._alias import alias_pyhf

sys.modules[__name__] = alias_pyhf()
