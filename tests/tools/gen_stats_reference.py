"""Generates the expected values embedded in tests/c/test-stats.c from scipy and pyhf 0.7.6.

Not run by CI: run it by hand (python3 tests/tools/gen_stats_reference.py > table.inc) when the
reference values must be regenerated, and paste its output into the test."""
import math, numpy as np, scipy
from scipy.stats import norm
from scipy.optimize import toms748
import pyhf
from pyhf.infer import calculators as C
pyhf.set_backend("numpy")

def f17(v):
    v = float(v)
    if math.isnan(v): return "NAN"
    if math.isinf(v): return "INFINITY" if v > 0 else "-INFINITY"
    return repr(v)

out = []
# ---- normal
xs = [-38.4, -37.68, -37.6, -37.5, -35.0, -30.0, -25.3, -20.0, -12.5, -8.0, -5.0, -3.3, -1.5, -0.7072, -0.70710678, -0.5, -1e-5, -1e-300, 0.0,
      1e-12, 0.3, 0.7, 1.0, 1.96, 3.0, 6.0, 8.2, 9.0, 15.0, 37.0, 40.0]
out.append("/* scipy.stats.norm.cdf(x), norm.sf(x) (scipy %s) */" % scipy.__version__)
out.append("static const double norm_cdf_cases[][3] = {")
for x in xs:
    out.append("    {%s, %s, %s}," % (f17(x), f17(norm.cdf(x)), f17(norm.sf(x))))
out.append("};")
ps = [5e-324, 1e-320, 2.5e-310, 1e-300, 1e-250, 1e-200, 1e-150, 1e-100, 1e-50, 1e-20, 1e-16, 1e-10, 1e-5, 0.001, 0.01, 0.02424, 0.02426, 0.1,
      0.2, 0.25, 0.2500001, 0.3, 0.4, 0.49, 0.5 - 1e-10, 0.5 - 1e-15, 0.5, 0.5 + 1e-15, 0.5 + 1e-9, 0.6, 0.75, 0.9, 0.975, 0.99, 0.999999,
      1 - 1e-10, 1 - 1e-15, 1 - 1e-16]
rng = np.random.default_rng(7)
ps += list(rng.uniform(0, 1, 40)) + list(10.0 ** rng.uniform(-320, -1, 40))
out.append("/* scipy.stats.norm.ppf(p) */")
out.append("static const double norm_ppf_cases[][2] = {")
for p in ps:
    out.append("    {%s, %s}," % (f17(p), f17(norm.ppf(p))))
out.append("};")

# ---- asymptotics: the real AsymptoticCalculator methods, with the fits monkeypatched to return q, qA
def run(kind, q, qA, base="normal"):
    ts_name = {0: "qtilde", 1: "q", 2: "q0"}[kind]
    def fake_stat(mu, data, pdf, ip, pb, fp, return_fitted_pars=False):
        v = np.asarray(q if data == "obs" else qA, dtype=float)
        return v, (None, None)
    C.utils.get_test_stat = lambda name: fake_stat
    C.generate_asimov_data = lambda *a, **k: ("asimov", None)
    calc = object.__new__(C.AsymptoticCalculator)
    calc.data, calc.pdf = "obs", None
    calc.init_pars = calc.par_bounds = calc.fixed_params = None
    calc.test_stat, calc.calc_base_dist = ts_name, base
    calc.sqrtqmuA_v = None
    with np.errstate(all="ignore"):
        ts = calc.teststatistic(1.0)
        sb, b = calc.distributions(1.0)
        obs = calc.pvalues(ts, sb, b)
        exp = calc.expected_pvalues(sb, b)
    return ts, obs, exp, math.sqrt(qA)

qs = [0.0, 1e-9, 0.01, 0.5, 1.0, 2.7, 3.84, 9.0, 25.0, 100.0, 1400.0, 1600.0, 1e6]
qAs = [0.0, 1e-8, 0.3, 1.0, 2.7, 4.0, 16.0, 100.0]
out.append("/* pyhf %s AsymptoticCalculator.teststatistic / distributions / pvalues / expected_pvalues\n"
           " * (calc_base_dist='normal') with the fits replaced by the given q, qA:\n"
           " * {kind, q, qA, teststat, CLsb, CLb, CLs, hypotest's expected set [5] (CLsb_exp for q0)} */" % pyhf.__version__)
out.append("static const double asym_cases[][12] = {")
for kind in (0, 1, 2):
    for q in qs:
        for qA in qAs:
            ts, obs, exp, _ = run(kind, q, qA)
            band = exp[0] if kind == 2 else exp[2]
            out.append("    {%d, %s, %s, %s, %s, %s, %s, %s}," % (kind, f17(q), f17(qA), f17(ts), f17(obs[0]), f17(obs[1]), f17(obs[2]),
                       ", ".join(f17(v) for v in band)))
out.append("};")
out.append("/* the same with calc_base_dist='clipped_normal': {kind, qA, CLsb_exp[5], CLb_exp[5], CLs_exp[5]} */")
out.append("static const double asym_clipped_cases[][17] = {")
for kind in (0, 2):
    for qA in [0.0, 0.25, 1.0, 2.25, 4.0, 9.0, 30.0]:
        ts, obs, exp, _ = run(kind, 1.0, qA, "clipped_normal")
        out.append("    {%d, %s, %s}," % (kind, f17(qA), ", ".join(f17(v) for row in exp for v in row)))
out.append("};")

# ---- toms748: record every evaluated x
funcs = {
    "cubic": ("x * x * x - 1", 0.0, 3.0),
    "cls_like": ("1 / (1 + x * x * x) - 0.05", 0.1, 10.0),
    "flat5": ("(x - 1.3) * (x - 1.3) * (x - 1.3) * (x - 1.3) * (x - 1.3)", 0.0, 3.5),
    "rational": ("(x * x - 2) / (x + 3)", -1.0, 7.0),
    "steep": ("x * x * x * x * x * x * x * x * x * x * x - 1e-3", 0.0, 2.0),
    "skew": ("x - 1e-3 + 1e-9 * x * x", 0.0, 1000.0),
    "wide": ("(x - 0.25) * (1 + 1e6 * x * x)", -5.0, 20.0),
}
settings = [("pyhf", 2e-12, 1e-4), ("tight", 2e-12, 4 * np.finfo(float).eps)]
out.append("/* scipy.optimize.toms748(f, a, b, k=2, xtol, rtol, full_output=True): root, function_calls, iterations,\n"
           " * and the points f was called at (after f(a), f(b)) */")
seqs = []
for name, (expr, a, b) in funcs.items():
    for sname, xtol, rtol in settings:
        pts = []
        def f(x):
            pts.append(x)
            return eval(expr)
        r, res = toms748(f, a, b, k=2, xtol=xtol, rtol=rtol, full_output=True)
        seq = pts[2:]
        seqs.append((name, sname, expr, a, b, xtol, rtol, r, res.function_calls, res.iterations, seq))
print("\n".join(out))
import json
json.dump([[s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7], s[8], s[9], s[10]] for s in seqs], open("/tmp/gen/toms.json", "w"))
for s in seqs:
    dup = sum(1 for i in range(1, len(s[10])) if s[10][i] == s[10][i-1])
    print("//", s[0], s[1], s[7], s[8], s[9], len(s[10]), "dups", dup)
