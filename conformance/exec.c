/* exec.c: running one case (see exec.h): setup, steps with loops, polls, captures and
 * expectations, and the cleanup that always runs. */
#include "exec.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http_raw.h"
#include "match.h"
#include "subscribe.h"
#include "vars.h"

typedef struct run {
    const cf_case *c;
    const cf_env *env;
    kinesis_client *client;
    json_t *vars;
    cf_response last;
    char **created; /* stream names to delete at the end */
    size_t n_created;
    int64_t deadline;
    int no_answer; /* a call got no HTTP answer (refused, reset, timed out) */
    cf_subs *subs; /* SubscribeToShard steps' subscriptions (NULL until the first) */
    char why[2048];
} run;

int64_t cf_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int64_t ms)
{
    if (ms <= 0)
        return;
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int failf(run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int failf(run *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->why, sizeof r->why, fmt, ap);
    va_end(ap);
    return -1;
}

/* Stop conditions checked before every step and inside every wait. */
static int stopped(run *r)
{
    if (r->env->interrupted && *r->env->interrupted)
        return failf(r, "interrupted");
    if (cf_now_ms() > r->deadline)
        return failf(r, "timed out after %lld ms", (long long)r->env->timeout_ms);
    return 0;
}

static void track_stream(run *r, const char *name)
{
    for (size_t k = 0; k < r->n_created; k++)
        if (!strcmp(r->created[k], name))
            return;
    char **n = realloc(r->created, (r->n_created + 1) * sizeof *n);
    if (!n)
        return;
    r->created = n;
    r->created[r->n_created++] = strdup(name);
}

/* ------------------------------------------------------------------ pacing */

/* With a pacing profile the runner's own control-plane calls (setup, status polls, cleanup)
 * wait for their turn under the operation's per-account rate, shared by all the run's threads
 * (the endpoint counts per account, not per case): a GCRA token bucket at 60% of the documented
 * rate with a small burst, leaving the rest to the cases' own steps. Steps are not delayed (a
 * case may need to catch a stream while it is CREATING); a step refused with "Rate exceeded" is
 * sent again instead (exec_call). */
#define CF_PACE_SLOTS 32
static pthread_mutex_t pace_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
    char op[48];
    double tat_ms; /* theoretical arrival time */
} pace_slot[CF_PACE_SLOTS];

static void pace(run *r, const char *op)
{
    double tps = r->env->profile->pace && op ? cf_control_plane_tps(op) : 0;
    if (tps <= 0)
        return;
    double interval = 1000.0 / (tps * 0.6), tolerance = (tps > 4 ? 2 : 0) * interval;
    double now = (double)cf_now_ms(), at = now;
    pthread_mutex_lock(&pace_lock);
    size_t k = 0;
    while (k < CF_PACE_SLOTS && pace_slot[k].op[0] && strcmp(pace_slot[k].op, op))
        k++;
    if (k < CF_PACE_SLOTS) {
        if (!pace_slot[k].op[0])
            cf_fmt(pace_slot[k].op, sizeof pace_slot[k].op, "%s", op);
        double tat = pace_slot[k].tat_ms > now ? pace_slot[k].tat_ms : now;
        at = tat - tolerance > now ? tat - tolerance : now;
        pace_slot[k].tat_ms = tat + interval;
    }
    pthread_mutex_unlock(&pace_lock);
    int64_t wait = (int64_t)(at - now), left = r->deadline - cf_now_ms();
    sleep_ms(wait < left ? wait : left);
}

/* ------------------------------------------------------------------ calls */

static void typed_call(run *r, const char *op, const json_t *body, int retries, cf_response *out)
{
    memset(out, 0, sizeof *out);
    char *text = body ? json_dumps(body, JSON_COMPACT) : strdup("{}");
    char *resp = NULL;
    int status = 0;
    kinesis_error *err;
    if (retries) {
        err = kinesis_call(r->client, op, text, &resp);
        status = err ? err->http_status : 200;
    } else {
        err = kinesis_call_once(r->client, op, text, &resp, &status);
    }
    if (r->env->verbose)
        fprintf(stderr, "  [%s] %s %s -> %d %s\n", r->c->name, op, text, err ? err->http_status : status,
                err ? (err->name ? err->name : "?") : (resp ? resp : ""));
    free(text);
    if (err) {
        out->status = err->http_status ? err->http_status : status;
        if (err->type == KINESIS_ERROR_LIBRARY && out->status == 0) {
            r->no_answer = 1;
            out->transport_error = strdup(err->message ? err->message : "transport error");
        } else if (err->name) {
            const char *hash = strrchr(err->name, '#');
            out->error_name = strdup(hash ? hash + 1 : err->name);
            out->error_message = err->message ? strdup(err->message) : NULL;
        } else {
            out->error_name = strdup(kinesis_error_type_name(err->type));
            out->error_message = err->message ? strdup(err->message) : NULL;
        }
        kinesis_error_free(err);
        free(resp);
        return;
    }
    out->status = status ? status : 200;
    out->raw_body = resp ? resp : strdup("{}");
    out->body = json_loads(out->raw_body, JSON_DECODE_ANY, NULL);
    if (!out->body)
        out->body = json_object();
}

/* The runner's own calls (setup, status polls, cleanup): like typed_call with the client's
 * retries, and on LimitExceededException (AWS allows 5 CreateStream and 20 DescribeStreamSummary
 * calls per second per account; parallel cases exceed that) it backs off with jitter and tries
 * again, up to the profile's wait and never past the case's deadline. */
static void patient_call(run *r, const char *op, const json_t *body, cf_response *out)
{
    int64_t until = cf_now_ms() + r->env->profile->wait_ms;
    if (until > r->deadline)
        until = r->deadline;
    unsigned seed = (unsigned)cf_now_ms() ^ (unsigned)(uintptr_t)r;
    int64_t delay = r->env->profile->poll_ms > 50 ? r->env->profile->poll_ms : 50;
    for (;;) {
        pace(r, op);
        typed_call(r, op, body, 1, out);
        if (!out->error_name || strcmp(out->error_name, "LimitExceededException") ||
            (r->env->interrupted && *r->env->interrupted))
            return;
        int64_t pause = delay / 2 + (int64_t)(rand_r(&seed) % (unsigned)(delay / 2 + 1));
        if (cf_now_ms() + pause > until)
            return;
        cf_response_clean_up(out);
        sleep_ms(pause);
        delay = delay * 2 > 2000 ? 2000 : delay * 2;
    }
}

static const char *stream_status(run *r, const char *name, char **arn)
{
    static const char *const gone = "DELETED";
    json_t *body = json_pack("{ss}", "StreamName", name);
    cf_response resp;
    patient_call(r, "DescribeStreamSummary", body, &resp);
    json_decref(body);
    const char *st = NULL;
    if (resp.error_name && !strcmp(resp.error_name, "ResourceNotFoundException"))
        st = gone;
    else if (!resp.error_name && !resp.transport_error) {
        const json_t *d = json_object_get(resp.body, "StreamDescriptionSummary");
        const char *s = json_string_value(json_object_get(d, "StreamStatus"));
        static const char *const known[] = {"CREATING", "DELETING", "ACTIVE", "UPDATING"};
        for (size_t k = 0; s && k < 4; k++)
            if (!strcmp(s, known[k]))
                st = known[k];
        if (arn && json_string_value(json_object_get(d, "StreamARN")))
            *arn = strdup(json_string_value(json_object_get(d, "StreamARN")));
    }
    if (!st)
        failf(r, "DescribeStreamSummary %s: %s", name,
              resp.transport_error ? resp.transport_error
                                   : (resp.error_name ? resp.error_name : "no StreamStatus in the answer"));
    cf_response_clean_up(&resp);
    return st;
}

static int wait_stream(run *r, const char *name, const char *want, char **arn)
{
    int64_t until = cf_now_ms() + r->env->profile->wait_ms;
    const char *st = NULL;
    for (;;) {
        if (stopped(r) < 0)
            return -1;
        if (arn) {
            free(*arn);
            *arn = NULL;
        }
        st = stream_status(r, name, arn);
        if (!st)
            return -1;
        if (!strcmp(st, want))
            return 0;
        if (cf_now_ms() > until)
            return failf(r, "stream %s still %s after %lld ms (waiting for %s)", name, st,
                         (long long)r->env->profile->wait_ms, want);
        sleep_ms(r->env->profile->poll_ms);
    }
}

/* ------------------------------------------------------------------ steps */

static int exec_steps(run *r, const json_t *steps, const char *loc);

/* Save values of the last answer as variables. optional (capture_optional): a value that is
 * missing or null removes the variable instead of failing, so a while loop can stop on it. */
static int do_capture(run *r, const json_t *capture, int optional)
{
    const char *name;
    const json_t *spec;
    json_object_foreach((json_t *)capture, name, spec)
    {
        const char *path =
            json_is_string(spec) ? json_string_value(spec) : json_string_value(json_object_get(spec, "path"));
        const char *header = json_string_value(json_object_get(spec, "header"));
        char *epath = NULL, err[256] = "";
        const json_t *v = NULL;
        if (header) {
            char lower[128];
            size_t n = strlen(header);
            n = n < sizeof lower - 1 ? n : sizeof lower - 1;
            for (size_t k = 0; k < n; k++)
                lower[k] = (char)((header[k] >= 'A' && header[k] <= 'Z') ? header[k] + 32 : header[k]);
            lower[n] = '\0';
            v = r->last.headers ? json_object_get(r->last.headers, lower) : NULL;
        } else {
            epath = cf_expand(r->vars, path, err, sizeof err);
            if (!epath)
                return failf(r, "capture %s: %s", name, err);
            v = cf_json_path(r->last.body, epath, err, sizeof err);
        }
        if (optional && (!v || json_is_null(v))) {
            char *ename = cf_expand(r->vars, name, err, sizeof err);
            free(epath);
            if (!ename)
                return failf(r, "capture_optional %s: %s", name, err);
            json_object_del(r->vars, ename);
            free(ename);
            continue;
        }
        if (!v) {
            int rc = failf(r, "capture %s: nothing at %s %s %s", name, header ? "header" : "path",
                           header ? header : epath, err);
            free(epath);
            return rc;
        }
        char *ename = cf_expand(r->vars, name, err, sizeof err);
        if (!ename) {
            free(epath);
            return failf(r, "capture %s: %s", name, err);
        }
        json_object_set_new(r->vars, ename, json_deep_copy(v));
        free(ename);
        free(epath);
    }
    return 0;
}

static int exec_call(run *r, const json_t *step, const char *loc)
{
    char err[512] = "";
    const char *op = json_string_value(json_object_get(step, "op"));
    const json_t *raw = json_object_get(step, "raw");
    const json_t *subscribe = json_object_get(step, "subscribe");
    const json_t *sub_t = subscribe ? subscribe : json_object_get(step, "read_subscription");
    const json_t *expect_t = json_object_get(step, "expect");
    int poll = json_is_true(json_object_get(step, "poll"));
    int64_t until = cf_now_ms() + r->env->profile->wait_ms;
    char *eop = NULL;
    if (op && !(eop = cf_expand(r->vars, op, err, sizeof err)))
        return failf(r, "%s: %s", loc, err);
    for (;;) {
        json_t *body = NULL, *eraw = NULL, *expect = NULL;
        if (op && json_object_get(step, "body") &&
            !(body = cf_expand_json(r->vars, json_object_get(step, "body"), err, sizeof err))) {
            free(eop);
            return failf(r, "%s (%s): body: %s", loc, op, err);
        }
        if ((raw || sub_t) && !(eraw = cf_expand_json(r->vars, raw ? raw : sub_t, err, sizeof err))) {
            free(eop);
            return failf(r, "%s (%s): %s", loc, raw ? "raw" : "SubscribeToShard", err);
        }
        if (expect_t && !(expect = cf_expand_json(r->vars, expect_t, err, sizeof err))) {
            json_decref(body);
            json_decref(eraw);
            free(eop);
            return failf(r, "%s: expect: %s", loc, err);
        }
        cf_response_clean_up(&r->last);
        int64_t left = r->deadline - cf_now_ms();
        if (op) {
            typed_call(r, eop, body, 0, &r->last);
        } else if (sub_t) {
            const char *name = json_string_value(json_object_get(eraw, "name"));
            const json_t *cond = json_object_get(eraw, "until");
            const json_t *wj = json_object_get(eraw, "wait_ms");
            int64_t wait = wj ? json_integer_value(wj) : r->env->profile->wait_ms;
            if (wait > left)
                wait = left > 0 ? left : 0;
            if (!r->subs)
                r->subs = cf_subs_new();
            int src = !r->subs    ? -1
                      : subscribe ? cf_subs_start(r->subs, r->client, name ? name : "sub",
                                                  json_object_get(eraw, "body"), cond, wait, &r->last, err,
                                                  sizeof err)
                                  : cf_subs_read(r->subs, r->client, name ? name : "sub", cond, wait,
                                                 &r->last, err, sizeof err);
            if (src < 0) {
                json_decref(body);
                json_decref(eraw);
                json_decref(expect);
                free(eop);
                return failf(r, "%s (SubscribeToShard): %s", loc, err[0] ? err : "out of memory");
            }
            if (r->env->verbose)
                fprintf(stderr, "  [%s] SubscribeToShard -> %d %.300s\n", r->c->name, r->last.status,
                        r->last.error_name ? r->last.error_name
                        : r->last.raw_body ? r->last.raw_body
                                           : "");
        } else {
            int64_t t = r->env->profile->request_timeout_ms;
            cf_http_raw(r->env, eraw, left < t ? left : t, &r->last);
            if (r->last.transport_error)
                r->no_answer = 1;
            if (r->env->verbose)
                fprintf(stderr, "  [%s] raw -> %d %.300s\n", r->c->name, r->last.status,
                        r->last.raw_body ? r->last.raw_body
                                         : (r->last.transport_error ? r->last.transport_error : ""));
        }
        /* track streams created by the case so cleanup deletes them */
        const char *target = eraw ? json_string_value(json_object_get(eraw, "target")) : eop;
        if (target && !strcmp(target, "CreateStream") && r->last.status == 200) {
            const json_t *b = body ? body : json_object_get(eraw, "body");
            json_t *parsed = json_is_string(b) ? json_loads(json_string_value(b), 0, NULL) : NULL;
            const char *sn = json_string_value(json_object_get(parsed ? parsed : b, "StreamName"));
            if (sn)
                track_stream(r, sn);
            json_decref(parsed);
        }
        char why[1536];
        int rc = cf_check_expect(expect, &r->last, why, sizeof why);
        json_decref(body);
        json_decref(eraw);
        json_decref(expect);
        if (rc == 0)
            break;
        /* refused by the endpoint's control-plane rate (other cases' calls count too): the call
         * had no effect, send it again after a pause (pacing profiles only, within the wait) */
        int rate = r->env->profile->pace && r->last.error_name &&
                   !strcmp(r->last.error_name, "LimitExceededException") && r->last.error_message &&
                   !strncmp(r->last.error_message, "Rate exceeded", 13);
        if (rate && cf_now_ms() + 100 < until && stopped(r) == 0) {
            sleep_ms(100 + (cf_now_ms() % 150));
            continue;
        }
        if (!poll || cf_now_ms() > until) {
            int frc = failf(r, "%s (%s)%s: %s", loc,
                            op      ? eop
                            : sub_t ? "SubscribeToShard"
                                    : "raw",
                            poll ? " (polled until the wait ran out)" : "", why);
            free(eop);
            return frc;
        }
        if (stopped(r) < 0) {
            free(eop);
            return -1;
        }
        sleep_ms(r->env->profile->poll_ms);
    }
    free(eop);
    const json_t *capture = json_object_get(step, "capture");
    const json_t *capture_opt = json_object_get(step, "capture_optional");
    if ((capture && do_capture(r, capture, 0) < 0) || (capture_opt && do_capture(r, capture_opt, 1) < 0)) {
        char tmp[sizeof r->why];
        cf_fmt(tmp, sizeof tmp, "%s", r->why);
        return failf(r, "%s: %s", loc, tmp);
    }
    return 0;
}

static int exec_one(run *r, const json_t *step, const char *loc)
{
    char err[512] = "";
    if (stopped(r) < 0)
        return -1;
    if (json_object_get(step, "op") || json_object_get(step, "raw") || json_object_get(step, "subscribe") ||
        json_object_get(step, "read_subscription"))
        return exec_call(r, step, loc);
    const json_t *set = json_object_get(step, "set");
    if (set) {
        const char *key;
        const json_t *val;
        json_object_foreach((json_t *)set, key, val)
        {
            json_t *v = cf_expand_json(r->vars, val, err, sizeof err);
            if (!v)
                return failf(r, "%s: set %s: %s", loc, key, err);
            json_object_set_new(r->vars, key, v);
        }
        return 0;
    }
    const json_t *sl = json_object_get(step, "sleep_ms");
    if (sl) {
        int64_t ms = json_integer_value(sl), left = r->deadline - cf_now_ms();
        sleep_ms(ms < left ? ms : left);
        return stopped(r);
    }
    const json_t *ws = json_object_get(step, "wait_stream");
    if (ws) {
        char *name = cf_expand(r->vars, json_string_value(json_object_get(ws, "name")), err, sizeof err);
        if (!name)
            return failf(r, "%s: wait_stream: %s", loc, err);
        const char *want = json_string_value(json_object_get(ws, "status"));
        int rc = wait_stream(r, name, want ? want : "ACTIVE", NULL);
        free(name);
        if (rc < 0) {
            char tmp[sizeof r->why];
            cf_fmt(tmp, sizeof tmp, "%s", r->why);
            return failf(r, "%s: %s", loc, tmp);
        }
        return 0;
    }
    const json_t *check = json_object_get(step, "check");
    if (check) {
        json_t *e = cf_expand_json(r->vars, check, err, sizeof err);
        if (!e)
            return failf(r, "%s: check: %s", loc, err);
        char why[1536];
        int rc = cf_check_expect(e, &r->last, why, sizeof why);
        json_decref(e);
        return rc == 0 ? 0 : failf(r, "%s (check): %s", loc, why);
    }
    char sub[300];
    cf_fmt(sub, sizeof sub, "%s.steps", loc);
    return exec_steps(r, json_object_get(step, "steps"), sub);
}

/* 1 when the while condition holds (its "var" names a variable, the other keys are field
 * conditions on its value), 0 when not, -1 on an expansion error. */
static int while_holds(run *r, const json_t *cond, const char *loc)
{
    char err[512];
    json_t *c = cf_expand_json(r->vars, cond, err, sizeof err);
    if (!c)
        return failf(r, "%s: while: %s", loc, err);
    const json_t *value = json_object_get(r->vars, json_string_value(json_object_get(c, "var")));
    char why[512];
    int holds = cf_match_value(c, value, why, sizeof why) == 0;
    json_decref(c);
    return holds;
}

/* A step with "while": run it as long as the condition holds before an iteration, at most
 * "max" times; a condition still true after max iterations fails the step (a loop that does not
 * end is a finding, never a silent pass). */
static int exec_while(run *r, const json_t *step, const char *l)
{
    const json_t *cond = json_object_get(step, "while");
    const char *as = json_string_value(json_object_get(step, "as"));
    size_t max = (size_t)json_integer_value(json_object_get(step, "max"));
    for (size_t i = 0;; i++) {
        int h = while_holds(r, cond, l);
        if (h < 0)
            return -1;
        if (!h)
            return 0;
        if (i == max) {
            char *sc = json_dumps(cond, JSON_COMPACT);
            int rc = failf(r, "%s: while %s still held after %zu iterations (max)", l, sc ? sc : "?", max);
            free(sc);
            return rc;
        }
        char li[340];
        json_object_set_new(r->vars, as ? as : "i", json_integer((json_int_t)i));
        cf_fmt(li, sizeof li, "%s#%zu", l, i);
        if (exec_one(r, step, li) < 0)
            return -1;
    }
}

static int exec_steps(run *r, const json_t *steps, const char *loc)
{
    size_t k;
    const json_t *step;
    json_array_foreach(steps, k, step)
    {
        char l[300];
        cf_fmt(l, sizeof l, "%s[%zu]", loc, k);
        if (json_object_get(step, "while")) {
            if (exec_while(r, step, l) < 0)
                return -1;
            continue;
        }
        const json_t *rep = json_object_get(step, "repeat");
        const json_t *each = json_object_get(step, "foreach");
        const char *as = json_string_value(json_object_get(step, "as"));
        if (!rep && !each) {
            if (exec_one(r, step, l) < 0)
                return -1;
            continue;
        }
        size_t n = rep ? (size_t)json_integer_value(rep) : json_array_size(each);
        for (size_t i = 0; i < n; i++) {
            char li[340];
            json_t *v;
            if (rep) {
                v = json_integer((json_int_t)i);
            } else {
                char err[512];
                v = cf_expand_json(r->vars, json_array_get(each, i), err, sizeof err);
                if (!v)
                    return failf(r, "%s: foreach: %s", l, err);
            }
            json_object_set_new(r->vars, as ? as : (rep ? "i" : "item"), v);
            cf_fmt(li, sizeof li, "%s#%zu", l, i);
            if (exec_one(r, step, li) < 0)
                return -1;
        }
    }
    return 0;
}

/* ------------------------------------------------------------------ setup, cleanup */

static void stream_name(const run *r, size_t index, const char *var, char *out, size_t n)
{
    cf_fmt(out, n, "%s-%04zu-%s", r->env->run_prefix, index, var);
}

static int setup(run *r, size_t index)
{
    char prefix[128];
    cf_fmt(prefix, sizeof prefix, "%s-%04zu", r->env->run_prefix, index);
    json_object_set_new(r->vars, "prefix", json_string(prefix));
    json_object_set_new(r->vars, "region", json_string(r->env->region ? r->env->region : ""));
    json_object_set_new(r->vars, "endpoint", json_string(r->env->endpoint));
    char name[256];
    stream_name(r, index, "stream", name, sizeof name);
    json_object_set_new(r->vars, "stream", json_string(name));
    const json_t *names = json_object_get(r->c->root, "names");
    size_t k;
    const json_t *it;
    if (json_is_string(names)) {
        stream_name(r, index, json_string_value(names), name, sizeof name);
        json_object_set_new(r->vars, json_string_value(names), json_string(name));
    }
    json_array_foreach(names, k, it)
    {
        stream_name(r, index, json_string_value(it), name, sizeof name);
        json_object_set_new(r->vars, json_string_value(it), json_string(name));
    }
    const char *key;
    json_t *val;
    json_object_foreach(json_object_get(r->c->root, "vars"), key, val)
    {
        char err[512];
        json_t *v = cf_expand_json(r->vars, val, err, sizeof err);
        if (!v)
            return failf(r, "vars.%s: %s", key, err);
        json_object_set_new(r->vars, key, v);
    }
    const json_t *streams = json_object_get(json_object_get(r->c->root, "setup"), "streams");
    json_array_foreach(streams, k, it)
    {
        const char *var = json_string_value(json_object_get(it, "var"));
        var = var ? var : "stream";
        stream_name(r, index, var, name, sizeof name);
        json_object_set_new(r->vars, var, json_string(name));
        const char *mode = json_string_value(json_object_get(it, "mode"));
        json_t *body = json_pack("{ss}", "StreamName", name);
        if (mode && !strcmp(mode, "ON_DEMAND"))
            json_object_set_new(body, "StreamModeDetails", json_pack("{ss}", "StreamMode", "ON_DEMAND"));
        else
            json_object_set_new(body, "ShardCount",
                                json_integer(json_integer_value(json_object_get(it, "shards"))
                                                 ? json_integer_value(json_object_get(it, "shards"))
                                                 : 1));
        cf_response resp;
        patient_call(r, "CreateStream", body, &resp);
        json_decref(body);
        if (resp.transport_error || resp.error_name) {
            failf(r, "setup: CreateStream %s: %s %s", name,
                  resp.transport_error ? resp.transport_error : resp.error_name,
                  resp.error_message ? resp.error_message : "");
            cf_response_clean_up(&resp);
            return -1;
        }
        cf_response_clean_up(&resp);
        track_stream(r, name);
    }
    json_array_foreach(streams, k, it)
    {
        const char *var = json_string_value(json_object_get(it, "var"));
        var = var ? var : "stream";
        const char *sname = json_string_value(json_object_get(r->vars, var));
        char *arn = NULL;
        if (json_is_false(json_object_get(it, "wait")))
            continue;
        if (wait_stream(r, sname, "ACTIVE", &arn) < 0) {
            free(arn);
            char tmp[sizeof r->why];
            cf_fmt(tmp, sizeof tmp, "%s", r->why);
            return failf(r, "setup: %s", tmp);
        }
        if (arn) {
            char v[300];
            cf_fmt(v, sizeof v, "%s_arn", var);
            json_object_set_new(r->vars, v, json_string(arn));
            free(arn);
        }
    }
    return 0;
}

static void cleanup(run *r)
{
    const json_t *steps = json_object_get(r->c->root, "cleanup");
    if (steps) {
        char keep[sizeof r->why];
        cf_fmt(keep, sizeof keep, "%s", r->why);
        int64_t saved = r->deadline;
        r->deadline = cf_now_ms() + r->env->profile->wait_ms; /* cleanup gets its own time */
        exec_steps(r, steps, "cleanup");
        r->deadline = saved;
        cf_fmt(r->why, sizeof r->why, "%s", keep);
    }
    r->deadline = cf_now_ms() + r->env->profile->wait_ms; /* deleting gets its own time too */
    for (size_t k = 0; k < r->n_created; k++) {
        json_t *body = json_pack("{sssb}", "StreamName", r->created[k], "EnforceConsumerDeletion", 1);
        cf_response resp;
        /* a stream still CREATING or UPDATING refuses deletion (ResourceInUseException): wait for it,
         * bounded by the profile's wait, whatever the interrupt flag says */
        int64_t until = cf_now_ms() + r->env->profile->wait_ms;
        for (;;) {
            patient_call(r, "DeleteStream", body, &resp);
            if (!resp.error_name || strcmp(resp.error_name, "ResourceInUseException") || cf_now_ms() > until)
                break;
            cf_response_clean_up(&resp);
            sleep_ms(r->env->profile->poll_ms);
        }
        if (r->env->verbose && resp.error_name && strcmp(resp.error_name, "ResourceNotFoundException"))
            fprintf(stderr, "  [%s] cleanup: DeleteStream %s: %s\n", r->c->name, r->created[k],
                    resp.error_name);
        cf_response_clean_up(&resp);
        json_decref(body);
        free(r->created[k]);
    }
    free(r->created);
    r->created = NULL;
    r->n_created = 0;
}

void cf_run_case(const cf_case *c, size_t index, const cf_env *env, kinesis_client *client, cf_result *out)
{
    memset(out, 0, sizeof *out);
    run r;
    memset(&r, 0, sizeof r);
    r.c = c;
    r.env = env;
    r.client = client;
    r.vars = json_object();
    int64_t start = cf_now_ms();
    int64_t timeout = env->timeout_ms;
    const json_t *ct = json_object_get(c->root, "timeout_ms");
    if (ct && json_integer_value(ct) > timeout)
        timeout = json_integer_value(ct);
    r.deadline = start + timeout;
    int rc = setup(&r, index);
    if (rc == 0)
        rc = exec_steps(&r, json_object_get(c->root, "steps"), "steps");
    cf_subs_free(r.subs); /* before the streams go: no callback may outlive the case */
    r.subs = NULL;
    cleanup(&r);
    out->passed = rc == 0;
    out->reason = rc == 0 ? NULL : strdup(r.why[0] ? r.why : "failed");
    out->no_answer = rc != 0 && r.no_answer;
    out->duration_ms = cf_now_ms() - start;
    cf_response_clean_up(&r.last);
    json_decref(r.vars);
}

void cf_result_clean_up(cf_result *r)
{
    free(r->reason);
    r->reason = NULL;
}
