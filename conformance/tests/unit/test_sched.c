/* test_sched.c: the run order (sched.c): exclusive cases run only after every other case has
 * finished and never beside another case, whatever --jobs is; a case that gets no answer from a
 * dead endpoint stops the cases not yet started (reported as not run, naming that case); an
 * interrupt leaves the rest "not run (interrupted)". The cases are fakes that record when they
 * ran and how many ran at once. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sched.h"

#define N_CASES 12

typedef struct fake {
    pthread_mutex_t lock;
    int active, max_active;
    int active_when_excl_started[N_CASES]; /* cases running when case k (exclusive) started */
    int order[N_CASES];                    /* start order */
    int n_started;
    int finished_shared;                  /* non-exclusive cases finished so far */
    int shared_done_before_excl[N_CASES]; /* for exclusive k: non-exclusive finished when it started */
    int ctx_made;
    int die_at; /* case index whose run kills the endpoint (-1: none) */
    int endpoint_dead;
    int probes;
    volatile sig_atomic_t *interrupt_flag;
    int interrupt_at; /* case index that sets the interrupt (-1: none) */
} fake;

static void nap(void)
{
    struct timespec ts = {0, 15 * 1000000L};
    nanosleep(&ts, NULL);
}

static void *ctx_new(void *ud)
{
    fake *f = ud;
    pthread_mutex_lock(&f->lock);
    f->ctx_made++;
    pthread_mutex_unlock(&f->lock);
    return ud; /* any non-NULL context */
}

static void ctx_free(void *ctx, void *ud)
{
    (void)ctx;
    (void)ud;
}

static void run(cf_outcome *o, size_t index, void *ctx, void *ud)
{
    fake *f = ud;
    cr_assert_eq(ctx, ud);
    pthread_mutex_lock(&f->lock);
    f->order[f->n_started++] = (int)index;
    if (o->c->exclusive) {
        f->active_when_excl_started[index] = f->active;
        f->shared_done_before_excl[index] = f->finished_shared;
    }
    f->active++;
    if (f->active > f->max_active)
        f->max_active = f->active;
    int dead = f->endpoint_dead;
    pthread_mutex_unlock(&f->lock);
    nap();
    pthread_mutex_lock(&f->lock);
    f->active--;
    if (!o->c->exclusive)
        f->finished_shared++;
    if ((int)index == f->die_at)
        f->endpoint_dead = 1;
    if ((int)index == f->interrupt_at)
        *f->interrupt_flag = 1;
    dead |= f->endpoint_dead;
    pthread_mutex_unlock(&f->lock);
    memset(&o->res, 0, sizeof o->res);
    o->res.passed = !dead;
    o->res.no_answer = dead;
    o->res.reason = dead ? strdup("no answer: Couldn't connect to server") : NULL;
}

static int alive(void *ud)
{
    fake *f = ud;
    pthread_mutex_lock(&f->lock);
    f->probes++;
    int a = !f->endpoint_dead;
    pthread_mutex_unlock(&f->lock);
    return a;
}

static cf_case cases[N_CASES];
static cf_outcome outs[N_CASES];
static char names[N_CASES][16];

static void make_cases(const int *exclusive)
{
    memset(cases, 0, sizeof cases);
    memset(outs, 0, sizeof outs);
    for (int k = 0; k < N_CASES; k++) {
        snprintf(names[k], sizeof names[k], "c%02d", k);
        cases[k].name = names[k];
        cases[k].exclusive = exclusive[k];
        outs[k].c = &cases[k];
    }
}

static void free_reasons(void)
{
    for (int k = 0; k < N_CASES; k++)
        cf_result_clean_up(&outs[k].res);
}

static const int EXCL[N_CASES] = {0, 1, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0};

Test(sched, exclusive_cases_run_alone_after_the_pool, .timeout = 20)
{
    for (int jobs = 1; jobs <= 8; jobs *= 2) {
        make_cases(EXCL);
        fake f = {.die_at = -1, .interrupt_at = -1};
        pthread_mutex_init(&f.lock, NULL);
        cf_sched s = {.out = outs,
                      .n = N_CASES,
                      .jobs = jobs,
                      .ctx_new = ctx_new,
                      .ctx_free = ctx_free,
                      .run = run,
                      .alive = alive,
                      .ud = &f};
        size_t passed = cf_sched_run(&s);
        cr_assert_eq(passed, N_CASES, "jobs %d", jobs);
        cr_assert_eq(f.n_started, N_CASES);
        if (jobs > 1)
            cr_assert_gt(f.max_active, 1, "jobs %d: the shared cases ran in parallel", jobs);
        for (int k = 0; k < N_CASES; k++) {
            if (!EXCL[k])
                continue;
            cr_assert_eq(f.active_when_excl_started[k], 0,
                         "jobs %d: exclusive case %d started beside another", jobs, k);
            cr_assert_eq(f.shared_done_before_excl[k], 9,
                         "jobs %d: exclusive case %d started before the pool drained", jobs, k);
        }
        /* the last three to start are the exclusive ones, in file order */
        cr_assert_eq(f.order[9], 1);
        cr_assert_eq(f.order[10], 4);
        cr_assert_eq(f.order[11], 9);
        cr_assert_eq(f.probes, 0, "no probe while every case gets answers");
        pthread_mutex_destroy(&f.lock);
        free_reasons();
    }
}

Test(sched, only_exclusive_cases)
{
    int all[N_CASES];
    for (int k = 0; k < N_CASES; k++)
        all[k] = 1;
    make_cases(all);
    fake f = {.die_at = -1, .interrupt_at = -1};
    pthread_mutex_init(&f.lock, NULL);
    cf_sched s = {
        .out = outs, .n = N_CASES, .jobs = 4, .ctx_new = ctx_new, .ctx_free = ctx_free, .run = run, .ud = &f};
    cr_assert_eq(cf_sched_run(&s), N_CASES);
    cr_assert_eq(f.max_active, 1);
    for (int k = 0; k < N_CASES; k++)
        cr_assert_eq(f.order[k], k);
    cr_assert_eq(f.ctx_made, 1, "no pool threads for an empty pool; one context for the exclusive phase");
    pthread_mutex_destroy(&f.lock);
    free_reasons();
}

Test(sched, a_dead_endpoint_stops_the_cases_not_started)
{
    int none[N_CASES] = {0};
    make_cases(none);
    fake f = {.die_at = 2, .interrupt_at = -1};
    pthread_mutex_init(&f.lock, NULL);
    cf_sched s = {.out = outs,
                  .n = N_CASES,
                  .jobs = 1,
                  .ctx_new = ctx_new,
                  .ctx_free = ctx_free,
                  .run = run,
                  .alive = alive,
                  .ud = &f};
    size_t passed = cf_sched_run(&s);
    cr_assert_eq(passed, 2, "cases 0 and 1 passed before the endpoint died");
    cr_assert_eq(f.n_started, 3, "nothing started after the probe found the endpoint gone");
    cr_assert_eq(f.probes, 1);
    cr_assert(outs[2].res.no_answer);
    cr_assert_not(outs[2].res.not_run);
    for (int k = 3; k < N_CASES; k++) {
        cr_assert(outs[k].res.not_run, "case %d", k);
        cr_assert(strstr(outs[k].res.reason, "endpoint stopped answering (no answer since case c02)"), "%s",
                  outs[k].res.reason);
    }
    pthread_mutex_destroy(&f.lock);
    free_reasons();
}

Test(sched, an_interrupt_leaves_the_rest_not_run)
{
    make_cases(EXCL);
    static volatile sig_atomic_t flag;
    flag = 0;
    fake f = {.die_at = -1, .interrupt_at = 0, .interrupt_flag = &flag};
    pthread_mutex_init(&f.lock, NULL);
    cf_sched s = {.out = outs,
                  .n = N_CASES,
                  .jobs = 1,
                  .ctx_new = ctx_new,
                  .ctx_free = ctx_free,
                  .run = run,
                  .interrupted = &flag,
                  .ud = &f};
    cr_assert_eq(cf_sched_run(&s), 1);
    cr_assert_eq(f.n_started, 1);
    cr_assert_str_eq(outs[1].res.reason, "not run (interrupted)", "exclusive cases do not start either");
    cr_assert_str_eq(outs[11].res.reason, "not run (interrupted)");
    pthread_mutex_destroy(&f.lock);
    free_reasons();
}

static void *no_ctx(void *ud)
{
    (void)ud;
    return NULL;
}

Test(sched, no_client_is_reported_per_case)
{
    make_cases(EXCL);
    fake f = {.die_at = -1, .interrupt_at = -1};
    pthread_mutex_init(&f.lock, NULL);
    cf_sched s = {
        .out = outs, .n = N_CASES, .jobs = 2, .ctx_new = no_ctx, .ctx_free = ctx_free, .run = run, .ud = &f};
    cr_assert_eq(cf_sched_run(&s), 0);
    cr_assert_eq(f.n_started, 0);
    cr_assert_str_eq(outs[0].res.reason, "not run: no client could be created");
    pthread_mutex_destroy(&f.lock);
    free_reasons();
}

/* issue 14: skipped cases (exclusive ones without --exclusive) never run and keep their reason;
 * the exclusive phase is bracketed by one begin and one end call (the runner saves and restores
 * the endpoint's clock, configuration and fault rules there), and only when an exclusive case runs */
static int hook_begin, hook_end, started_at_begin, started_at_end;
static fake *hook_fake;

static void on_begin(void *ud)
{
    (void)ud;
    hook_begin++;
    started_at_begin = hook_fake->n_started;
}

static void on_end(void *ud)
{
    (void)ud;
    hook_end++;
    started_at_end = hook_fake->n_started;
}

Test(sched, skipped_cases_never_run_and_exclusive_phase_is_bracketed, .timeout = 20)
{
    for (int skip_exclusive = 0; skip_exclusive <= 1; skip_exclusive++) {
        make_cases(EXCL);
        int n_excl = 0;
        for (int k = 0; k < N_CASES; k++) {
            n_excl += EXCL[k];
            if (EXCL[k] && skip_exclusive) {
                outs[k].res.skipped = 1;
                outs[k].res.reason = strdup("exclusive: run with --exclusive");
            }
        }
        fake f = {.die_at = -1, .interrupt_at = -1};
        pthread_mutex_init(&f.lock, NULL);
        hook_fake = &f;
        hook_begin = hook_end = 0;
        cf_sched s = {.out = outs,
                      .n = N_CASES,
                      .jobs = 4,
                      .ctx_new = ctx_new,
                      .ctx_free = ctx_free,
                      .run = run,
                      .exclusive_begin = on_begin,
                      .exclusive_end = on_end,
                      .ud = &f};
        size_t passed = cf_sched_run(&s);
        if (skip_exclusive) {
            cr_assert_eq(passed, (size_t)(N_CASES - n_excl));
            cr_assert_eq(f.n_started, N_CASES - n_excl, "skipped cases do not run");
            cr_assert_eq(hook_begin + hook_end, 0, "no exclusive phase without an exclusive case to run");
            for (int k = 0; k < N_CASES; k++)
                if (EXCL[k]) {
                    cr_assert(outs[k].res.skipped && !outs[k].res.passed && !outs[k].res.not_run);
                    cr_assert_str_eq(outs[k].res.reason, "exclusive: run with --exclusive",
                                     "the reason is kept");
                }
        } else {
            cr_assert_eq(passed, (size_t)N_CASES);
            cr_assert_eq(hook_begin, 1);
            cr_assert_eq(hook_end, 1);
            cr_assert_eq(started_at_begin, N_CASES - n_excl,
                         "begin: after the pool, before any exclusive case");
            cr_assert_eq(started_at_end, N_CASES, "end: after the last exclusive case");
        }
        free_reasons();
        pthread_mutex_destroy(&f.lock);
    }
}
