/*
 * ranks.h -- the processes of one hfx run: the ranks of an MPI job when hfx is built with MPI and was
 * started by an MPI launcher (mpirun, srun), otherwise one process. ranks/mpi.c or ranks/single.c
 * implements it (cmake/hfx-mpi.cmake picks one); everything else in the program, and the library,
 * is written against this header and builds without MPI.
 *
 * Only the main thread of a rank calls these functions (MPI_THREAD_FUNNELED). Messages are small
 * and point to point; ranks_poll never blocks, so that a rank's main thread can also wait for its
 * own worker threads.
 */
#ifndef HFX_RANKS_H
#define HFX_RANKS_H

#include <stdbool.h>
#include <stddef.h>

struct ranks {
    int rank;       /* 0..size-1; rank 0 prints */
    int size;       /* 1 without MPI */
    int local_size; /* ranks on this node (they share its cores) */
};

/* Joins the MPI job when a launcher started this process; a build without MPI started as one of
 * several ranks says so and exits. Call once, first thing in main, and ranks_finalize at the end. */
void ranks_init(int * argc, char *** argv);
void ranks_finalize(void);
/* This process's place in the job. */
void ranks_get(struct ranks * out);
/* Whether this process is rank 0 (the one that prints). */
static inline bool ranks_is_root(void) {
    struct ranks r;
    ranks_get(&r);
    return r.rank == 0;
}
/* "Open MPI v4.1.4, ..." when built with MPI, else NULL. */
const char * ranks_transport(void);

/* Collective (every rank must call it): whether ok is true on every rank. */
bool ranks_all_ok(bool ok);
/* Sends n bytes to rank dest with a tag >= 0; returns false on failure (the job is then aborted). */
bool ranks_send(int dest, int tag, const void * buf, size_t n);
/* Whether a message is waiting; if so its source, tag and size in bytes. Never blocks. */
bool ranks_poll(int * src, int * tag, size_t * n);
/* Receives the message that ranks_poll announced (n bytes into buf). */
bool ranks_recv(int src, int tag, void * buf, size_t n);
/* Collective: rank r contributes counts[r] doubles; rank 0 receives them all, rank after rank, in all
 * (sum of counts); other ranks pass all = NULL. */
bool ranks_gather_doubles(const double * mine, const size_t * counts, double * all);
/* Collective: rank r contributes n bytes at mine; rank 0 receives them all, rank after rank, in all
 * (size * n bytes); other ranks pass all = NULL. */
bool ranks_gather_bytes(const void * mine, size_t n, void * all);
/* Collective: the largest v over the ranks, on every rank (the exit status they all return). */
int ranks_max_int(int v);
/* Ends every rank of the job with this exit status (after a fatal error on one rank), calling the
 * hook set by ranks_set_abort_hook first (what this rank has to say before it goes). */
void ranks_abort(int status) __attribute__((noreturn));
void ranks_set_abort_hook(void (*hook)(void));

#endif /* HFX_RANKS_H */
