/* sched.c: the parallel pool, the exclusive phase after it, and the dead-endpoint stop (see
 * sched.h). */
#include "sched.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vars.h"

typedef struct state {
    const cf_sched *s;
    pthread_mutex_t lock;
    size_t next;      /* next case index the pool looks at */
    char *dead_after; /* the case during which the endpoint stopped answering */
    int no_client;    /* a thread could not make its context */
} state;

static int stop_now(state *st)
{
    return (st->s->interrupted && *st->s->interrupted) || st->dead_after;
}

/* Run one case, then, if it got no answer at all, ask whether the endpoint is still there. */
static void run_one(state *st, size_t k, void *ctx)
{
    const cf_sched *s = st->s;
    cf_outcome *o = &s->out[k];
    s->run(o, k, ctx, s->ud);
    int dead = o->res.no_answer && s->alive && !s->alive(s->ud);
    pthread_mutex_lock(&st->lock);
    if (dead && !st->dead_after)
        st->dead_after = strdup(o->c && o->c->name ? o->c->name : "?");
    if (s->done)
        s->done(o, s->ud);
    pthread_mutex_unlock(&st->lock);
}

static void *pool_worker(void *arg)
{
    state *st = arg;
    const cf_sched *s = st->s;
    void *ctx = s->ctx_new ? s->ctx_new(s->ud) : NULL;
    if (s->ctx_new && !ctx) {
        pthread_mutex_lock(&st->lock);
        st->no_client = 1;
        pthread_mutex_unlock(&st->lock);
        return NULL;
    }
    for (;;) {
        pthread_mutex_lock(&st->lock);
        while (st->next < s->n && (s->out[st->next].c->exclusive || s->out[st->next].res.skipped))
            st->next++;
        size_t k = st->next < s->n && !stop_now(st) ? st->next++ : s->n;
        pthread_mutex_unlock(&st->lock);
        if (k >= s->n)
            break;
        run_one(st, k, ctx);
    }
    if (s->ctx_free)
        s->ctx_free(ctx, s->ud);
    return NULL;
}

size_t cf_sched_run(const cf_sched *s)
{
    state st = {.s = s};
    pthread_mutex_init(&st.lock, NULL);
    size_t n_shared = 0, n_exclusive = 0;
    for (size_t k = 0; k < s->n; k++) {
        if (s->out[k].res.skipped)
            continue;
        n_shared += !s->out[k].c->exclusive;
        n_exclusive += s->out[k].c->exclusive != 0;
    }

    /* phase 1: the parallel pool (only the non-exclusive cases) */
    if (n_shared) {
        int jobs = s->jobs < 1 ? 1 : s->jobs;
        if ((size_t)jobs > n_shared)
            jobs = (int)n_shared;
        pthread_t *th = calloc((size_t)jobs, sizeof *th);
        int started = 0;
        for (int k = 0; th && k < jobs; k++)
            if (pthread_create(&th[started], NULL, pool_worker, &st) == 0)
                started++;
        if (started == 0)
            pool_worker(&st); /* no thread could start: run them here */
        for (int k = 0; k < started; k++)
            pthread_join(th[k], NULL);
        free(th);
    }

    /* phase 2: the exclusive cases, alone and in order, once the pool has drained */
    if (n_exclusive && !stop_now(&st)) {
        void *ctx = s->ctx_new ? s->ctx_new(s->ud) : NULL;
        if (s->ctx_new && !ctx) {
            st.no_client = 1;
        } else {
            if (s->exclusive_begin)
                s->exclusive_begin(s->ud);
            for (size_t k = 0; k < s->n && !stop_now(&st); k++)
                if (s->out[k].c->exclusive && !s->out[k].res.skipped)
                    run_one(&st, k, ctx);
            if (s->exclusive_end)
                s->exclusive_end(s->ud);
            if (s->ctx_free)
                s->ctx_free(ctx, s->ud);
        }
    }

    /* cases never started */
    size_t passed = 0;
    for (size_t k = 0; k < s->n; k++) {
        cf_outcome *o = &s->out[k];
        if (!o->res.passed && !o->res.reason && !o->res.skipped) {
            char why[600];
            if (s->interrupted && *s->interrupted)
                cf_fmt(why, sizeof why, "not run (interrupted)");
            else if (st.dead_after)
                cf_fmt(why, sizeof why, "not run: the endpoint stopped answering (no answer since case %s)",
                       st.dead_after);
            else if (st.no_client)
                cf_fmt(why, sizeof why, "not run: no client could be created");
            else
                cf_fmt(why, sizeof why, "not run");
            o->res.reason = strdup(why);
            o->res.not_run = 1;
            if (s->done)
                s->done(o, s->ud);
        }
        passed += o->res.passed != 0;
    }
    free(st.dead_after);
    pthread_mutex_destroy(&st.lock);
    return passed;
}
