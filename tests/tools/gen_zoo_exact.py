"""twice_nll of each zoo model at pyhf's suggested init, to 50 digits (mpmath), from pyhf's own
expected data: an exact reference that is independent of floating-point summation order.

pyhf's float64 value is itself off by ~1e-6 relative on a model whose shapesys constraint has
tau ~ 2e11 (the Poisson terms cancel catastrophically there); tests/c/test-zoo.c checks hfx against
pyhf to 1e-9 where pyhf agrees with the exact value, and against the exact value elsewhere.
Not run by CI. Usage: python3 tests/tools/gen_zoo_exact.py ../shared/likelihoods/zoo > tests/data/zoo_exact_init.jsonl
"""
import glob
import gzip
import json
import os
import sys

import mpmath
import pyhf

mpmath.mp.dps = 50
for path in sorted(glob.glob(os.path.join(sys.argv[1], "*.json.gz"))):
    spec = json.load(gzip.open(path))
    ws = pyhf.Workspace(spec)
    model = ws.model(poi_name=None)
    data = ws.data(model)
    init = model.config.suggested_init()
    expected = model.expected_data(init, include_auxdata=False)
    total = mpmath.mpf(0)
    for n, lam in zip(data[: model.config.nmaindata], expected):
        n, lam = mpmath.mpf(float(n)), mpmath.mpf(float(lam))
        total += (n * mpmath.log(lam) if n > 0 else 0) - lam - mpmath.loggamma(n + 1)
    aux = data[model.config.nmaindata:]
    i = 0
    for name in model.config.auxdata_order:
        ps = model.config.param_set(name)
        sl = model.config.par_slice(name)
        for j in range(ps.n_parameters):
            a, theta = mpmath.mpf(float(aux[i])), mpmath.mpf(float(init[sl][j]))
            if ps.pdf_type == "normal":
                s = mpmath.mpf(float(ps.width()[j]))
                total += -((a - theta) / s) ** 2 / 2 - mpmath.log(s) - mpmath.log(2 * mpmath.pi) / 2
            else:
                rate = theta * mpmath.mpf(float(ps.factors[j]))
                total += a * mpmath.log(rate) - rate - mpmath.loggamma(a + 1)
            i += 1
    print(json.dumps({"file": os.path.basename(path), "twice_nll_at_init": mpmath.nstr(-2 * total, 25)}), flush=True)
