/* admin.c: typed helpers for stream administration: create, delete, describe summary, list
 * (every page) and wait until ACTIVE (polling DescribeStreamSummary on the engine's timers, so
 * the asynchronous form never blocks the application's loop). */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define MAX_LIST_PAGES 10000

typedef struct wait_slot {
    int done;
    kinesis_error *err;
    void *result;
} wait_slot;

static kinesis_error *no_client(const char *what)
{
    return kc_err(KINESIS_ERROR_LIBRARY, KINESIS_ERR_INVALID_PARAMETER, 0, "Non empty argument required: %s",
                  what);
}

static void done_plain(kc_generic_fn cb, kinesis_error *err, void *result, void *user)
{
    (void)result;
    ((kinesis_done_cb)cb)(err, user);
}

static void plain_wait_cb(kinesis_error *err, void *user)
{
    wait_slot *w = user;
    w->err = err;
    w->done = 1;
}

/* ------------------------------------------------------------------ create / delete */

int kinesis_create_stream_async(kinesis_client *client, const char *stream_name, int shard_count,
                                kinesis_done_cb cb, void *user)
{
    kinesis_error *err = NULL;
    char *body = kc_build_create_stream(stream_name, shard_count, &err);
    return kc_simple_call(client, "CreateStream", body, err, NULL, done_plain, (kc_generic_fn)cb, user);
}

kinesis_error *kinesis_create_stream(kinesis_client *client, const char *stream_name, int shard_count)
{
    if (!client)
        return no_client("client");
    wait_slot w = {0};
    if (kinesis_create_stream_async(client, stream_name, shard_count, plain_wait_cb, &w) != 0)
        return kc_err_nomem();
    kc_wait(client, &w.done);
    return w.err;
}

int kinesis_delete_stream_async(kinesis_client *client, const char *stream_name, kinesis_done_cb cb,
                                void *user)
{
    kinesis_error *err = NULL;
    char *body = kc_build_delete_stream(stream_name, &err);
    return kc_simple_call(client, "DeleteStream", body, err, NULL, done_plain, (kc_generic_fn)cb, user);
}

kinesis_error *kinesis_delete_stream(kinesis_client *client, const char *stream_name)
{
    if (!client)
        return no_client("client");
    wait_slot w = {0};
    if (kinesis_delete_stream_async(client, stream_name, plain_wait_cb, &w) != 0)
        return kc_err_nomem();
    kc_wait(client, &w.done);
    return w.err;
}

/* ------------------------------------------------------------------ describe summary */

static kinesis_error *parse_summary(const char *body, size_t len, void **out)
{
    kinesis_stream_summary *s = NULL;
    kinesis_error *err = kc_parse_describe_stream_summary(body, len, &s);
    *out = s;
    return err;
}

static void done_summary(kc_generic_fn cb, kinesis_error *err, void *result, void *user)
{
    ((kinesis_summary_cb)cb)(err, result, user);
}

int kinesis_describe_stream_summary_async(kinesis_client *client, const char *stream_name,
                                          kinesis_summary_cb cb, void *user)
{
    kinesis_error *err = NULL;
    char *body = kc_build_stream_name(stream_name, &err);
    return kc_simple_call(client, "DescribeStreamSummary", body, err, parse_summary, done_summary,
                          (kc_generic_fn)cb, user);
}

static void summary_wait_cb(kinesis_error *err, kinesis_stream_summary *summary, void *user)
{
    wait_slot *w = user;
    w->err = err;
    w->result = summary;
    w->done = 1;
}

kinesis_error *kinesis_describe_stream_summary(kinesis_client *client, const char *stream_name,
                                               kinesis_stream_summary **summary)
{
    if (summary)
        *summary = NULL;
    if (!client || !summary)
        return no_client(client ? "summary" : "client");
    wait_slot w = {0};
    if (kinesis_describe_stream_summary_async(client, stream_name, summary_wait_cb, &w) != 0)
        return kc_err_nomem();
    kc_wait(client, &w.done);
    *summary = w.result;
    return w.err;
}

/* ------------------------------------------------------------------ list streams */

typedef struct list_ctx {
    kinesis_string_list *list;
    int pages;
    kinesis_strings_cb cb;
    void *user;
} list_ctx;

static void list_ctx_free(void *p)
{
    list_ctx *cx = p;
    kinesis_string_list_free(cx->list);
    free(cx);
}

static void list_step(kc_op *op, kinesis_error *err, kc_answer *ans)
{
    list_ctx *cx = op->ctx;
    int more = 0;
    char *next = NULL;
    if (!err) {
        size_t before = cx->list->count;
        err = kc_parse_list_streams(ans->body, ans->body_len, cx->list, &more, &next);
        kc_annotate(err, ans);
        /* More pages but neither a token nor a name to continue from: stop rather than loop. */
        if (!err && more && !next && cx->list->count == before)
            more = 0;
    }
    if (!err && more && ++cx->pages >= MAX_LIST_PAGES)
        err = kc_err(KINESIS_ERROR_UNEXPECTED_RESPONSE, KINESIS_ERR_MALFORMED, ans->http_status,
                     "ListStreams returned more than %d pages", MAX_LIST_PAGES);
    if (!err && more) {
        char *body = kc_build_list_streams(next, cx->list->items[cx->list->count - 1], &err);
        free(next);
        if (body) {
            kc_op_send(op, "ListStreams", body, 0);
            free(body);
            return;
        }
    }
    free(next);
    kc_op_finish(op);
    if (err) {
        cx->cb(err, NULL, cx->user);
        return;
    }
    kinesis_string_list *list = cx->list;
    cx->list = NULL;
    cx->cb(NULL, list, cx->user);
}

int kinesis_list_streams_async(kinesis_client *client, kinesis_strings_cb cb, void *user)
{
    if (!client || !cb)
        return -1;
    list_ctx *cx = calloc(1, sizeof *cx);
    if (!cx)
        return -1;
    cx->cb = cb;
    cx->user = user;
    kc_op *op = kc_op_new(client, list_step, cx, list_ctx_free);
    if (!op)
        return -1;
    kinesis_error *err = NULL;
    char *body = kc_build_list_streams(NULL, NULL, &err);
    cx->list = calloc(1, sizeof *cx->list);
    if (!body || !cx->list)
        kc_op_fail(op, err ? err : kc_err_nomem());
    else
        kc_op_send(op, "ListStreams", body, 0);
    free(body);
    return 0;
}

static void strings_wait_cb(kinesis_error *err, kinesis_string_list *list, void *user)
{
    wait_slot *w = user;
    w->err = err;
    w->result = list;
    w->done = 1;
}

kinesis_error *kinesis_list_streams(kinesis_client *client, kinesis_string_list **names)
{
    if (names)
        *names = NULL;
    if (!client || !names)
        return no_client(client ? "names" : "client");
    wait_slot w = {0};
    if (kinesis_list_streams_async(client, strings_wait_cb, &w) != 0)
        return kc_err_nomem();
    kc_wait(client, &w.done);
    *names = w.result;
    return w.err;
}

/* ------------------------------------------------------------------ wait until ACTIVE */

typedef struct waiter_ctx {
    char *body;
    int64_t deadline_ms;
    int64_t poll_ms;
    int64_t timeout_ms;
    kinesis_done_cb cb;
    void *user;
} waiter_ctx;

static void waiter_ctx_free(void *p)
{
    waiter_ctx *cx = p;
    free(cx->body);
    free(cx);
}

static void waiter_step(kc_op *op, kinesis_error *err, kc_answer *ans)
{
    waiter_ctx *cx = op->ctx;
    kinesis_client *c = op->client;
    kinesis_stream_summary *s = NULL;
    if (!err) {
        err = kc_parse_describe_stream_summary(ans->body, ans->body_len, &s);
        kc_annotate(err, ans);
    }
    if (!err && strcmp(s->stream_status, "ACTIVE") != 0) {
        if (c->now(c->time_user) + cx->poll_ms <= cx->deadline_ms) {
            kinesis_stream_summary_free(s);
            kc_op_send(op, "DescribeStreamSummary", cx->body, cx->poll_ms);
            return;
        }
        err = kc_err(KINESIS_ERROR_LIBRARY, KINESIS_ERR_TIMEOUT, 0, "stream %s still %s after %lld ms",
                     s->stream_name, s->stream_status, (long long)cx->timeout_ms);
    }
    kinesis_stream_summary_free(s);
    kc_op_finish(op);
    cx->cb(err, cx->user);
}

int kinesis_wait_for_stream_active_async(kinesis_client *client, const char *stream_name, int64_t timeout_ms,
                                         int64_t poll_ms, kinesis_done_cb cb, void *user)
{
    if (!client || !cb)
        return -1;
    waiter_ctx *cx = calloc(1, sizeof *cx);
    if (!cx)
        return -1;
    cx->cb = cb;
    cx->user = user;
    cx->timeout_ms = timeout_ms > 0 ? timeout_ms : 180000;
    cx->poll_ms = poll_ms > 0 ? poll_ms : 1000;
    cx->deadline_ms = client->now(client->time_user) + cx->timeout_ms;
    kc_op *op = kc_op_new(client, waiter_step, cx, waiter_ctx_free);
    if (!op)
        return -1;
    kinesis_error *err = NULL;
    cx->body = kc_build_stream_name(stream_name, &err);
    if (timeout_ms < 0 || poll_ms < 0) {
        kinesis_error_free(err);
        err = kc_err(KINESIS_ERROR_LIBRARY, KINESIS_ERR_INVALID_PARAMETER, 0,
                     "Wrong type of argument: timeout_ms and poll_ms must not be negative");
        free(cx->body);
        cx->body = NULL;
    }
    if (!cx->body)
        kc_op_fail(op, err ? err : kc_err_nomem());
    else
        kc_op_send(op, "DescribeStreamSummary", cx->body, 0);
    return 0;
}

kinesis_error *kinesis_wait_for_stream_active(kinesis_client *client, const char *stream_name,
                                              int64_t timeout_ms, int64_t poll_ms)
{
    if (!client)
        return no_client("client");
    wait_slot w = {0};
    if (kinesis_wait_for_stream_active_async(client, stream_name, timeout_ms, poll_ms, plain_wait_cb, &w) !=
        0)
        return kc_err_nomem();
    kc_wait(client, &w.done);
    return w.err;
}
