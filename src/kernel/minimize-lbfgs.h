/*
 * minimize-lbfgs.h -- the limited-memory form of the quasi-Newton matrix of minimize-kernel.h, for
 * models whose dense n x n matrix costs more than their gradient (over the private state of
 * minimize-priv.h; used by minimize-kernel.h, not meant to be used on its own).
 *
 * Instead of H, the minimizer keeps the last `hist` pairs (s, y) of steps and gradient changes and
 * applies H to a vector by the two-loop recursion (Nocedal 1980), with H0 = diag_scale I (the last
 * y's/y'y). Everything else (the working set, the projected path, the line search, the tests) is the
 * dense minimizer's. The pairs live on the working set: a pair stores s and y only on the working
 * set of its step, and holding a parameter on a bound zeroes its entries in every pair and takes
 * them out of the pair's s'y and y'y, so the recursion is exactly that of the pairs restricted to
 * the current working set. A released parameter has zeros in every pair, so H acts on it as
 * diag_scale with no coupling: the dense matrix's fresh diagonal entry. Costs: O(hist n) per update
 * and per direction, O(hist) per hold, memory 2 hist n doubles instead of n^2.
 *
 * A pair whose curvature s'y is not clearly positive (s'y <= eps y'y, as in L-BFGS-B) is not stored,
 * or, when holds make it so, skipped; the dense matrix damps such pairs instead, which needs H y.
 */
#ifndef HFX_MINIMIZE_LBFGS_H
#define HFX_MINIMIZE_LBFGS_H

#include "kernel/minimize-priv.h"

#define MIN__LB_EPS 2.220446049250313e-16 /* the curvature floor, relative to y'y */

/* Pair k (0 = oldest of those kept) is stored at slot (head + k) % hist. */
HFX_HD static inline size_t min__lb_slot(const struct min__priv * p, int k) {
    return (size_t) ((p->lb_head + k) % p->hist);
}

HFX_HD static inline void min__lb_reset(struct min__priv * p) {
    p->lb_count = 0;
    p->lb_head  = 0;
}

/* Stores the step's pair (s, y over the working set idx[0..nw), zero elsewhere), the oldest one
 * dropped when all hist are in use. Returns false if its curvature is not positive enough. */
HFX_HD static inline bool min__lb_push(struct min__priv * p, size_t n, double sy, double yy) {
    if (!(sy > MIN__LB_EPS * yy)) {
        return false;
    }
    size_t k;
    if (p->lb_count < p->hist) {
        k = min__lb_slot(p, p->lb_count++);
    } else {
        k          = (size_t) p->lb_head;
        p->lb_head = (p->lb_head + 1) % p->hist;
    }
    double * s = p->lb_s + k * n, * y = p->lb_y + k * n;
    for (size_t i = 0; i < n; ++i) {
        s[i] = 0.0;
        y[i] = 0.0;
    }
    for (size_t a = 0; a < p->nw; ++a) {
        size_t i = p->idx[a];
        s[i]     = p->s[i];
        y[i]     = p->y[i];
    }
    p->lb_sy[k] = sy;
    p->lb_yy[k] = yy;
    return true;
}

/* Takes parameter j out of every pair. */
HFX_HD static inline void min__lb_hold(struct min__priv * p, size_t n, size_t j) {
    for (int k = 0; k < p->lb_count; ++k) {
        size_t   c = min__lb_slot(p, k);
        double * s = p->lb_s + c * n, * y = p->lb_y + c * n;
        p->lb_sy[c] -= s[j] * y[j];
        p->lb_yy[c] -= y[j] * y[j];
        s[j] = 0.0;
        y[j] = 0.0;
    }
}

/* d = -H g on the working set (g's entries off it ignored; d is zero there). */
HFX_HD static inline void min__lb_direction(struct min__priv * p, size_t n) {
    double * q = p->d; /* the recursion runs in place in d */
    for (size_t i = 0; i < n; ++i) {
        q[i] = 0.0;
    }
    for (size_t a = 0; a < p->nw; ++a) {
        q[p->idx[a]] = p->gk[p->idx[a]];
    }
    for (int k = p->lb_count - 1; k >= 0; --k) {
        size_t c = min__lb_slot(p, k);
        if (!(p->lb_sy[c] > MIN__LB_EPS * p->lb_yy[c])) {
            p->lb_alpha[c] = 0.0;
            continue;
        }
        const double * s = p->lb_s + c * n, * y = p->lb_y + c * n;
        double         a = min__dot(s, q, n) / p->lb_sy[c];
        p->lb_alpha[c]   = a;
        for (size_t i = 0; i < n; ++i) {
            q[i] -= a * y[i];
        }
    }
    for (size_t i = 0; i < n; ++i) {
        q[i] *= p->diag_scale;
    }
    for (int k = 0; k < p->lb_count; ++k) {
        size_t c = min__lb_slot(p, k);
        if (!(p->lb_sy[c] > MIN__LB_EPS * p->lb_yy[c])) {
            continue;
        }
        const double * s = p->lb_s + c * n, * y = p->lb_y + c * n;
        double         b = p->lb_alpha[c] - min__dot(y, q, n) / p->lb_sy[c];
        for (size_t i = 0; i < n; ++i) {
            q[i] += b * s[i];
        }
    }
    for (size_t i = 0; i < n; ++i) {
        q[i] = -q[i];
    }
}

#endif /* HFX_MINIMIZE_LBFGS_H */
