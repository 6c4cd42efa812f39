/*
 * minimize-priv.h -- the minimizer's private state (struct min__priv) and the small helpers that
 * both forms of its quasi-Newton matrix use: the dense matrix with the line search
 * (minimize-kernel.h) and the limited-memory pairs (minimize-lbfgs.h). A header of its own so that
 * each of the two includes what it shares instead of one being included in the middle of the other.
 * Not an interface: callers include minimize-kernel.h (the minimizer) or hessian-kernel.h.
 *
 * Layer rule (kernel/, docs/architecture.md): HFX_HD code over caller memory; includes only
 * kernel/ headers, hfx-hd.h and <math.h>, never a backend, the engine or JSON.
 */
#ifndef HFX_MINIMIZE_PRIV_H
#define HFX_MINIMIZE_PRIV_H

#include "kernel/minimize.h"

#include <math.h>

enum min__phase { MIN__FIRST, MIN__LINE, MIN__DONE };

struct min__priv {
    double *        lower, *upper;
    double *        xk, *gk;    /* current iterate and its gradient (0 on fixed parameters) */
    double *        d;          /* search direction (0 off the working set) */
    double *        x_lo, *g_lo;/* best Armijo point of the line search so far */
    double *        s, *y, *hy; /* BFGS scratch */
    double *        h;          /* [n][n] inverse Hessian on the working set, zero rows/cols elsewhere (dense) */
    /* limited memory (hist > 0, minimize-lbfgs.h): hist pairs instead of h */
    int             hist, lb_count, lb_head;
    double *        lb_s, *lb_y;             /* [hist][n] */
    double *        lb_sy, *lb_yy, *lb_alpha; /* [hist] */
    size_t *        idx;        /* indices of the working set */
    unsigned char * fixed, *held;
    size_t          nw;         /* size of the working set */

    struct hfx_min_options opts;
    enum min__phase             phase;
    enum hfx_min_request   done;

    double fk, dphi0, diag_scale;
    bool   h_fresh;    /* H is a multiple of the identity: rescale on the next update */
    bool   sd_restart; /* the current search is the steepest-descent retry after a failure */
    int    small_count;

    /* line search */
    double alpha, alpha_first, alpha_last;
    double lo, f_lo, dphi_lo, hi, f_hi, dphi_hi;
    bool   have_lo;
    int    ls_evals;
};

HFX_HD static inline size_t min__round16(size_t b) {
    return (b + 15u) & ~(size_t) 15u;
}

/* A dot product with four running sums: a single sum is one long chain of dependent additions, which
 * takes four times as long as the multiplications feeding it. */
HFX_HD static inline double min__dot(const double * a, const double * b, size_t m) {
    double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
    size_t k  = 0;
    for (; k + 4 <= m; k += 4) {
        s0 += a[k] * b[k];
        s1 += a[k + 1] * b[k + 1];
        s2 += a[k + 2] * b[k + 2];
        s3 += a[k + 3] * b[k + 3];
    }
    for (; k < m; ++k) {
        s0 += a[k] * b[k];
    }
    return (s0 + s1) + (s2 + s3);
}

#endif /* HFX_MINIMIZE_PRIV_H */
