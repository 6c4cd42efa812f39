"""Runs scipy.optimize.toms748 step by step to record the points it requests, for tests/c/test-stats.c.

Not run by CI; used by gen_stats_reference.py."""
import json
seqs = json.load(open("toms.json"))
names = []
for s in seqs:
    if s[0] not in names: names.append(s[0])
print("/* the functions, evaluated with the same operations as the Python expressions */")
print("static double toms_f(int id, double x) {\n    switch (id) {")
for i, n in enumerate(names):
    expr = [s[2] for s in seqs if s[0] == n][0]
    print("    case %d: return %s; /* %s */" % (i, expr, n))
print("    default: return NAN;\n    }\n}")
print("struct toms_case {\n    int id;\n    double a, b, xtol, rtol, root;\n    int calls, iters, n_pts;\n    double pts[128];\n};")
print("static const struct toms_case toms_cases[] = {")
for s in seqs:
    name, sname, expr, a, b, xtol, rtol, r, calls, iters, pts = s
    assert len(pts) <= 128
    chunks = [", ".join(repr(p) for p in pts[i:i+4]) for i in range(0, len(pts), 4)]
    body = ", ".join(repr(p) for p in pts)
    print("    /* %s, %s tolerances */" % (name, sname))
    print("    {%d, %r, %r, %r, %r, %r, %d, %d, %d, {%s}}," % (names.index(name), a, b, xtol, rtol, r, calls, iters, len(pts), body))
print("};")
