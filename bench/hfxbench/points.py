"""The points of the batched-evaluation task, defined once for every engine (tools/hfx-timeit computes
the same in C): point k moves each free parameter j from its init by
0.1 * min(upper - lower, 1) * sin(1 + k + j / 2), clipped to the bounds; fixed parameters stay."""
import math


def batch_points(init, lower, upper, fixed, n):
    pts = []
    for k in range(n):
        row = []
        for j, (x0, lo, hi, fx) in enumerate(zip(init, lower, upper, fixed)):
            if fx:
                row.append(x0)
                continue
            x = x0 + 0.1 * min(hi - lo, 1.0) * math.sin(1.0 + k + 0.5 * j)
            row.append(min(max(x, lo), hi))
        pts.append(row)
    return pts
