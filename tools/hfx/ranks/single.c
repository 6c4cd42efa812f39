/*
 * ranks/single.c -- ranks.h without MPI: one process. Started by an MPI launcher as one of several
 * ranks, it refuses to run (every rank would print the whole result), naming the build option.
 */
#include "ranks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The job size that the common launchers export: Open MPI, MPICH/Hydra and Slurm's PMI. */
static long launched_size(void) {
    static const char * const vars[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        const char * v = getenv(vars[i]);
        if (v && atol(v) > 1) {
            return atol(v);
        }
    }
    return 1;
}

void ranks_init(int * argc, char *** argv) {
    (void) argc;
    (void) argv;
    long n = launched_size();
    if (n > 1) {
        fprintf(stderr, "hfx: error: started as one of %ld MPI ranks, but this hfx was built without MPI "
                        "(configure with -DHFX_MPI=ON and an MPI library installed, or run it as one process)\n",
                n);
        exit(2);
    }
}

void ranks_finalize(void) {}

void ranks_get(struct ranks * out) { *out = (struct ranks){.rank = 0, .size = 1, .local_size = 1}; }

const char * ranks_transport(void) { return NULL; }

bool ranks_all_ok(bool ok) { return ok; }

/* With one rank there is nobody to talk to: the callers never send. */
bool ranks_send(int dest, int tag, const void * buf, size_t n) {
    (void) dest, (void) tag, (void) buf, (void) n;
    return false;
}

bool ranks_poll(int * src, int * tag, size_t * n) {
    (void) src, (void) tag, (void) n;
    return false;
}

bool ranks_recv(int src, int tag, void * buf, size_t n) {
    (void) src, (void) tag, (void) buf, (void) n;
    return false;
}

bool ranks_gather_doubles(const double * mine, const size_t * counts, double * all) {
    for (size_t i = 0; i < counts[0]; i++) {
        all[i] = mine[i];
    }
    return true;
}

bool ranks_gather_bytes(const void * mine, size_t n, void * all) {
    memcpy(all, mine, n);
    return true;
}

int ranks_max_int(int v) { return v; }

static void (*abort_hook)(void);

void ranks_set_abort_hook(void (*hook)(void)) { abort_hook = hook; }

void ranks_abort(int status) {
    if (abort_hook) {
        abort_hook();
    }
    exit(status);
}
