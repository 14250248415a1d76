/* consumer.c: the Consumer half of the original library: get_shards (ListShards, every page,
 * closed shards included), get_shard_iterator (all five types) and get_records (data, keys,
 * sequence numbers, arrival times, next iterator, lag and child shards), asynchronous and
 * blocking. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define MAX_SHARD_PAGES 10000 /* a bound on pagination, in case an endpoint never stops */

typedef struct wait_slot {
    int done;
    kinesis_error *err;
    void *result;
} wait_slot;

/* ------------------------------------------------------------------ get_shards */

typedef struct shards_ctx {
    char *stream;
    kinesis_shard_list *list;
    int pages;
    kinesis_shards_cb cb;
    void *user;
} shards_ctx;

static void shards_ctx_free(void *p)
{
    shards_ctx *cx = p;
    kinesis_shard_list_free(cx->list);
    free(cx->stream);
    free(cx);
}

static void shards_step(kc_op *op, kinesis_error *err, kc_answer *ans)
{
    shards_ctx *cx = op->ctx;
    char *next = NULL;
    if (!err) {
        err = kc_parse_list_shards(ans->body, ans->body_len, cx->list, &next);
        kc_annotate(err, ans);
    }
    if (!err && next && ++cx->pages >= MAX_SHARD_PAGES)
        err = kc_err(KINESIS_ERROR_UNEXPECTED_RESPONSE, KINESIS_ERR_MALFORMED, ans->http_status,
                     "ListShards returned more than %d pages", MAX_SHARD_PAGES);
    if (!err && next) {
        char *body = kc_build_list_shards(NULL, next, &err);
        free(next);
        if (body) {
            kc_op_send(op, "ListShards", body, 0);
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
    kinesis_shard_list *list = cx->list;
    cx->list = NULL;
    cx->cb(NULL, list, cx->user);
}

int kinesis_get_shards_async(kinesis_client *client, const char *stream_name, kinesis_shards_cb cb,
                             void *user)
{
    if (!client || !cb)
        return -1;
    shards_ctx *cx = calloc(1, sizeof *cx);
    if (!cx)
        return -1;
    cx->cb = cb;
    cx->user = user;
    kc_op *op = kc_op_new(client, shards_step, cx, shards_ctx_free);
    if (!op)
        return -1;
    kinesis_error *err = NULL;
    char *body = kc_build_list_shards(stream_name, NULL, &err);
    cx->list = calloc(1, sizeof *cx->list);
    cx->stream = kc_strdup(stream_name);
    if (body && (!cx->list || !cx->stream)) {
        free(body);
        body = NULL;
        err = kc_err_nomem();
    }
    if (!body)
        kc_op_fail(op, err ? err : kc_err_nomem());
    else
        kc_op_send(op, "ListShards", body, 0);
    free(body);
    return 0;
}

static void shards_wait_cb(kinesis_error *err, kinesis_shard_list *shards, void *user)
{
    wait_slot *w = user;
    w->err = err;
    w->result = shards;
    w->done = 1;
}

kinesis_error *kinesis_get_shards(kinesis_client *client, const char *stream_name,
                                  kinesis_shard_list **shards)
{
    if (shards)
        *shards = NULL;
    if (!client || !shards)
        return kc_err(KINESIS_ERROR_LIBRARY, KINESIS_ERR_INVALID_PARAMETER, 0,
                      "Non empty argument required: %s", client ? "shards" : "client");
    wait_slot w = {0};
    if (kinesis_get_shards_async(client, stream_name, shards_wait_cb, &w) != 0)
        return kc_err_nomem();
    kc_wait(client, &w.done);
    *shards = w.result;
    return w.err;
}

/* ------------------------------------------------------------------ get_shard_iterator */

static kinesis_error *parse_iterator(const char *body, size_t len, void **out)
{
    char *it = NULL;
    kinesis_error *err = kc_parse_get_shard_iterator(body, len, &it);
    *out = it;
    return err;
}

static void done_iterator(kc_generic_fn cb, kinesis_error *err, void *result, void *user)
{
    ((kinesis_iterator_cb)cb)(err, result, user);
}

int kinesis_get_shard_iterator_async(kinesis_client *client, const char *stream_name, const char *shard_id,
                                     kinesis_iterator_type type, const kinesis_iterator_options *opts,
                                     kinesis_iterator_cb cb, void *user)
{
    kinesis_error *err = NULL;
    char *body = kc_build_get_shard_iterator(stream_name, shard_id, type, opts, &err);
    return kc_simple_call(client, "GetShardIterator", body, err, parse_iterator, done_iterator,
                          (kc_generic_fn)cb, user);
}

static void iterator_wait_cb(kinesis_error *err, char *iterator, void *user)
{
    wait_slot *w = user;
    w->err = err;
    w->result = iterator;
    w->done = 1;
}

kinesis_error *kinesis_get_shard_iterator(kinesis_client *client, const char *stream_name,
                                          const char *shard_id, kinesis_iterator_type type,
                                          const kinesis_iterator_options *opts, char **iterator)
{
    if (iterator)
        *iterator = NULL;
    if (!client || !iterator)
        return kc_err(KINESIS_ERROR_LIBRARY, KINESIS_ERR_INVALID_PARAMETER, 0,
                      "Non empty argument required: %s", client ? "iterator" : "client");
    wait_slot w = {0};
    if (kinesis_get_shard_iterator_async(client, stream_name, shard_id, type, opts, iterator_wait_cb, &w) !=
        0)
        return kc_err_nomem();
    kc_wait(client, &w.done);
    *iterator = w.result;
    return w.err;
}

/* ------------------------------------------------------------------ get_records */

static kinesis_error *parse_records(const char *body, size_t len, void **out)
{
    kinesis_get_records_result *r = NULL;
    kinesis_error *err = kc_parse_get_records(body, len, &r);
    *out = r;
    return err;
}

static void done_records(kc_generic_fn cb, kinesis_error *err, void *result, void *user)
{
    ((kinesis_records_cb)cb)(err, result, user);
}

int kinesis_get_records_async(kinesis_client *client, const char *shard_iterator, int limit,
                              kinesis_records_cb cb, void *user)
{
    kinesis_error *err = NULL;
    char *body = kc_build_get_records(shard_iterator, limit, &err);
    return kc_simple_call(client, "GetRecords", body, err, parse_records, done_records, (kc_generic_fn)cb,
                          user);
}

static void records_wait_cb(kinesis_error *err, kinesis_get_records_result *result, void *user)
{
    wait_slot *w = user;
    w->err = err;
    w->result = result;
    w->done = 1;
}

kinesis_error *kinesis_get_records(kinesis_client *client, const char *shard_iterator, int limit,
                                   kinesis_get_records_result **result)
{
    if (result)
        *result = NULL;
    if (!client || !result)
        return kc_err(KINESIS_ERROR_LIBRARY, KINESIS_ERR_INVALID_PARAMETER, 0,
                      "Non empty argument required: %s", client ? "result" : "client");
    wait_slot w = {0};
    if (kinesis_get_records_async(client, shard_iterator, limit, records_wait_cb, &w) != 0)
        return kc_err_nomem();
    kc_wait(client, &w.done);
    *result = w.result;
    return w.err;
}
