/*
 * ranks/mpi.c -- ranks.h over MPI (MPI_COMM_WORLD). MPI is initialised only when a launcher
 * started the process (its environment says so): a plain "hfx scan" does not pay for MPI_Init and
 * behaves as the build without MPI. MPI's default error handler (errors are fatal, the launcher ends
 * the job) stays: a broken link has no useful recovery here.
 */
#include "ranks.h"

#include <mpi.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RANKS_STR_(x) #x
#define RANKS_STR(x) RANKS_STR_(x)

/* Whether a launcher started us: Open MPI, MPICH/Hydra and Slurm's PMI/PMIx each export a rank. */
static bool launched(void) {
    static const char * const vars[] = {"OMPI_COMM_WORLD_RANK", "PMI_RANK", "PMIX_RANK"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        if (getenv(vars[i])) {
            return true;
        }
    }
    return false;
}

static bool active(void) {
    int init = 0, fin = 0;
    MPI_Initialized(&init);
    MPI_Finalized(&fin);
    return init && !fin;
}

void ranks_init(int * argc, char *** argv) {
    if (launched()) {
        int provided = 0;
        MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided);
    }
}

void ranks_finalize(void) {
    if (active()) {
        ranks_all_ok(true); /* the ranks done first wait here asleep, not spinning in MPI_Finalize */
        MPI_Finalize();
    }
}

/* Ranks on this node, from the launcher's environment (a collective split would make this call
 * collective); 1 when no launcher says. */
static int local_size(void) {
    static const char * const vars[] = {"OMPI_COMM_WORLD_LOCAL_SIZE", "MPI_LOCALNRANKS"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        const char * v = getenv(vars[i]);
        if (v && atoi(v) > 0) {
            return atoi(v);
        }
    }
    return 1;
}

void ranks_get(struct ranks * out) {
    *out = (struct ranks){.rank = 0, .size = 1, .local_size = 1};
    if (active()) {
        MPI_Comm_rank(MPI_COMM_WORLD, &out->rank);
        MPI_Comm_size(MPI_COMM_WORLD, &out->size);
        out->local_size = local_size();
    }
}

const char * ranks_transport(void) {
#if defined(OMPI_MAJOR_VERSION)
    return "MPI (Open MPI " RANKS_STR(OMPI_MAJOR_VERSION) "." RANKS_STR(OMPI_MINOR_VERSION) "." RANKS_STR(
        OMPI_RELEASE_VERSION) ")";
#elif defined(MPICH_VERSION)
    return "MPI (MPICH " MPICH_VERSION ")";
#else
    return "MPI " RANKS_STR(MPI_VERSION) "." RANKS_STR(MPI_SUBVERSION);
#endif
}

/* An allreduce of one int, non-blocking and tested every millisecond: a rank that is done early
 * sleeps instead of spinning in a blocking collective, and leaves its node's cores to the ranks
 * still at work. */
static int allreduce_int(int mine, MPI_Op op) {
    int         all = 0, done = 0;
    MPI_Request req;
    MPI_Iallreduce(&mine, &all, 1, MPI_INT, op, MPI_COMM_WORLD, &req);
    MPI_Test(&req, &done, MPI_STATUS_IGNORE);
    while (!done) {
        nanosleep(&(struct timespec){.tv_sec = 0, .tv_nsec = 1000000}, NULL);
        MPI_Test(&req, &done, MPI_STATUS_IGNORE);
    }
    return all;
}

bool ranks_all_ok(bool ok) { return active() ? allreduce_int(ok ? 1 : 0, MPI_MIN) == 1 : ok; }

int ranks_max_int(int v) { return active() ? allreduce_int(v, MPI_MAX) : v; }

bool ranks_gather_bytes(const void * mine, size_t n, void * all) {
    if (!active()) {
        memcpy(all, mine, n);
        return true;
    }
    if (n > INT32_MAX) {
        return false;
    }
    return MPI_Gather(mine, (int) n, MPI_BYTE, all, (int) n, MPI_BYTE, 0, MPI_COMM_WORLD) == MPI_SUCCESS;
}

bool ranks_send(int dest, int tag, const void * buf, size_t n) {
    if (n > INT32_MAX) {
        return false;
    }
    return MPI_Send(buf, (int) n, MPI_BYTE, dest, tag, MPI_COMM_WORLD) == MPI_SUCCESS;
}

bool ranks_poll(int * src, int * tag, size_t * n) {
    int        flag = 0, count = 0;
    MPI_Status st;
    MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &st);
    if (!flag) {
        return false;
    }
    MPI_Get_count(&st, MPI_BYTE, &count);
    *src = st.MPI_SOURCE;
    *tag = st.MPI_TAG;
    *n   = (size_t) count;
    return true;
}

bool ranks_recv(int src, int tag, void * buf, size_t n) {
    return MPI_Recv(buf, (int) n, MPI_BYTE, src, tag, MPI_COMM_WORLD, MPI_STATUS_IGNORE) == MPI_SUCCESS;
}

bool ranks_gather_doubles(const double * mine, const size_t * counts, double * all) {
    struct ranks r;
    ranks_get(&r);
    if (r.size == 1) {
        for (size_t i = 0; i < counts[0]; i++) {
            all[i] = mine[i];
        }
        return true;
    }
    int * cnt  = calloc((size_t) r.size, sizeof *cnt);
    int * disp = calloc((size_t) r.size, sizeof *disp);
    bool  ok   = cnt && disp;
    long  off  = 0;
    for (int i = 0; ok && i < r.size; i++) {
        ok      = counts[i] <= INT32_MAX && off <= INT32_MAX;
        cnt[i]  = (int) counts[i];
        disp[i] = (int) off;
        off += (long) counts[i];
    }
    /* every rank takes part even when its own check failed, so that nobody waits forever */
    ok = ranks_all_ok(ok);
    if (ok) {
        ok = MPI_Gatherv(mine, cnt[r.rank], MPI_DOUBLE, all, cnt, disp, MPI_DOUBLE, 0, MPI_COMM_WORLD) == MPI_SUCCESS;
    }
    free(cnt);
    free(disp);
    return ok;
}

static void (*abort_hook)(void);

void ranks_set_abort_hook(void (*hook)(void)) { abort_hook = hook; }

void ranks_abort(int status) {
    if (abort_hook) {
        abort_hook();
    }
    if (active()) {
        MPI_Abort(MPI_COMM_WORLD, status);
    }
    exit(status);
}
