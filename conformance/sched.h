/* sched.h: the order and parallelism of a run. Cases run on a pool of worker threads (--jobs),
 * each with its own per-thread context (a kinesis_client); cases marked exclusive (they change
 * the endpoint's global state: clock, configuration, reset of everything) run only after the
 * pool has drained, one at a time, whatever --jobs says. When a case fails without any answer
 * from the endpoint, a probe asks whether the endpoint still answers; if not, the cases not yet
 * started are reported as not run (with the case during which the endpoint went away) instead
 * of each waiting on a dead endpoint. main.c plugs the real runner in; the unit tests plug in
 * fakes to watch the order. */
#ifndef CF_SCHED_H
#define CF_SCHED_H

#include <signal.h>
#include <stddef.h>

#include "report.h"

typedef struct cf_sched {
    cf_outcome *out; /* the selected cases; results are filled in place */
    size_t n;
    int jobs; /* worker threads for the non-exclusive cases (1..) */
    /* per-thread context (a client); NULL means the thread could not start one */
    void *(*ctx_new)(void *ud);
    void (*ctx_free)(void *ctx, void *ud);
    /* run case out[index] with a thread's context; fills o->res */
    void (*run)(cf_outcome *o, size_t index, void *ctx, void *ud);
    /* called once per finished case, under the scheduler's lock (prints its line); may be NULL */
    void (*done)(const cf_outcome *o, void *ud);
    /* 1 when the endpoint answers at all; called after a case failed with no answer; may be NULL */
    int (*alive)(void *ud);
    volatile sig_atomic_t *interrupted; /* may be NULL */
    /* called once before the first exclusive case runs and once after the last (the runner saves
     * and restores the endpoint's clock, configuration and fault rules there); may be NULL */
    void (*exclusive_begin)(void *ud);
    void (*exclusive_end)(void *ud);
    void *ud;
} cf_sched;

/* Run every case, except those already marked skipped (res.skipped: left out, with their reason,
 * and neither passed nor failed). Cases never started get a reason ("not run (interrupted)", "not run: the
 * endpoint stopped answering during <case>", "not run: no client"). Returns the number passed. */
size_t cf_sched_run(const cf_sched *s);

#endif
