/*
 * interrupt.c -- SIGINT and SIGTERM for the long commands (scan, cls, upper-limit, toys): the first
 * signal asks every running library call to stop (hfx_cancel_all, async-signal-safe) and is
 * remembered, so that the command ends cleanly: a scan writes its complete lines and says how to
 * resume, a toy-based or grid computation says it stopped before its result; the exit status is
 * 128 + the signal's number (130 for SIGINT, 143 for SIGTERM), as a shell reports a process the
 * signal killed. A second signal ends the process at once (the default action), for a user who
 * does not want to wait for the round of fits in flight.
 */
#include "cli.h"

#include <signal.h>
#include <string.h>

static volatile sig_atomic_t caught;

static void on_signal(int sig) {
    if (caught) {
        signal(sig, SIG_DFL);
        raise(sig);
        return;
    }
    caught = sig;
    hfx_cancel_all(true);
}

void cli_interrupt_install(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART; /* reads and writes go on: a scan's last lines are still written */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

int cli_interrupted(void) { return caught; }

const char * cli_signal_name(int sig) { return sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "a signal"; }
