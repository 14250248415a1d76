/* producer.c: the Producer half of the original library: put_record (PutRecord) and
 * put_records (PutRecords, results in request order, optionally re-sending only the failed
 * entries with backoff until all succeed or the retry policy is spent), asynchronous and
 * blocking. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* ------------------------------------------------------------------ put_record */

static kinesis_error *parse_put_record(const char *body, size_t len, void **out)
{
    kinesis_put_record_result *r = NULL;
    kinesis_error *err = kc_parse_put_record(body, len, &r);
    *out = r;
    return err;
}

static void done_put_record(kc_generic_fn cb, kinesis_error *err, void *result, void *user)
{
    ((kinesis_put_record_cb)cb)(err, result, user);
}

int kinesis_put_record_async(kinesis_client *client, const char *stream_name, const kinesis_record *record,
                             kinesis_put_record_cb cb, void *user)
{
    kinesis_error *err = NULL;
    char *body = kc_build_put_record(stream_name, record, &err);
    return kc_simple_call(client, "PutRecord", body, err, parse_put_record, done_put_record,
                          (kc_generic_fn)cb, user);
}

typedef struct put_wait {
    int done;
    kinesis_error *err;
    void *result;
} put_wait;

static void put_record_wait_cb(kinesis_error *err, kinesis_put_record_result *result, void *user)
{
    put_wait *w = user;
    w->err = err;
    w->result = result;
    w->done = 1;
}

kinesis_error *kinesis_put_record(kinesis_client *client, const char *stream_name,
                                  const kinesis_record *record, kinesis_put_record_result **result)
{
    if (result)
        *result = NULL;
    if (!client || !result)
        return kc_err(KINESIS_ERROR_LIBRARY, KINESIS_ERR_INVALID_PARAMETER, 0,
                      "Non empty argument required: %s", client ? "result" : "client");
    put_wait w = {0};
    if (kinesis_put_record_async(client, stream_name, record, put_record_wait_cb, &w) != 0)
        return kc_err_nomem();
    kc_wait(client, &w.done);
    *result = w.result;
    return w.err;
}

/* ------------------------------------------------------------------ put_records */

typedef struct put_records_ctx {
    char *stream;
    char *entries; /* JSON array text of every entry */
    size_t n;
    kinesis_put_record_result *results;
    size_t *idx; /* the entries of the request in flight */
    size_t n_idx;
    int retry_failed;
    int puts;     /* PutRecords answers received */
    int attempts; /* HTTP attempts, whole-request retries included */
    int64_t delays_total_ms;
    kinesis_put_records_cb cb;
    void *user;
} put_records_ctx;

static void put_records_ctx_free(void *p)
{
    put_records_ctx *cx = p;
    if (!cx)
        return;
    if (cx->results)
        for (size_t i = 0; i < cx->n; i++) {
            free(cx->results[i].shard_id);
            free(cx->results[i].sequence_number);
            free(cx->results[i].error_code);
            free(cx->results[i].error_message);
        }
    free(cx->results);
    free(cx->idx);
    free(cx->stream);
    free(cx->entries);
    free(cx);
}

void kinesis_put_records_result_free(kinesis_put_records_result *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->count; i++) {
        free(r->results[i].shard_id);
        free(r->results[i].sequence_number);
        free(r->results[i].error_code);
        free(r->results[i].error_message);
    }
    free(r->results);
    free(r);
}

static void put_records_step(kc_op *op, kinesis_error *err, kc_answer *ans)
{
    put_records_ctx *cx = op->ctx;
    kinesis_client *c = op->client;
    cx->attempts += ans->attempts;
    if (!err) {
        size_t failed = 0;
        err = kc_parse_put_records(ans->body, ans->body_len, cx->n_idx, cx->idx, cx->results, &failed);
        kc_annotate(err, ans);
    }
    if (err) {
        if (err != kc_err_nomem())
            err->attempts = cx->attempts;
        kc_op_finish(op);
        cx->cb(err, NULL, cx->user);
        return;
    }
    cx->puts++;
    /* Which of the entries just sent failed in a way worth re-sending? */
    size_t n_retry = 0;
    for (size_t i = 0; i < cx->n_idx; i++) {
        const char *code = cx->results[cx->idx[i]].error_code;
        if (code && kinesis_is_retryable(code, 0))
            cx->idx[n_retry++] = cx->idx[i];
    }
    if (cx->retry_failed && n_retry > 0 && cx->puts < c->retry.max_attempts) {
        int64_t delay = kinesis_retry_delay_ms(&c->retry, cx->puts, &c->rng);
        if (cx->delays_total_ms + delay <= c->retry.max_total_ms) {
            kinesis_error *berr = NULL;
            char *body = kc_build_put_records(cx->stream, cx->entries, cx->idx, n_retry, &berr);
            if (body) {
                cx->delays_total_ms += delay;
                cx->n_idx = n_retry;
                kc_op_send(op, "PutRecords", body, delay);
                free(body);
                return;
            }
            kc_op_finish(op);
            cx->cb(berr, NULL, cx->user);
            return;
        }
    }
    kc_op_finish(op);
    kinesis_put_records_result *r = calloc(1, sizeof *r);
    if (!r) {
        cx->cb(kc_err_nomem(), NULL, cx->user);
        return;
    }
    r->results = cx->results;
    r->count = cx->n;
    cx->results = NULL;
    for (size_t i = 0; i < r->count; i++)
        if (r->results[i].error_code)
            r->failed_count++;
    r->attempts = cx->attempts;
    cx->cb(NULL, r, cx->user);
}

int kinesis_put_records_async(kinesis_client *client, const char *stream_name, const kinesis_record *records,
                              size_t n_records, const kinesis_put_records_options *opts,
                              kinesis_put_records_cb cb, void *user)
{
    if (!client || !cb)
        return -1;
    put_records_ctx *cx = calloc(1, sizeof *cx);
    if (!cx)
        return -1;
    cx->cb = cb;
    cx->user = user;
    cx->retry_failed = opts ? opts->retry_failed : 0;
    kc_op *op = kc_op_new(client, put_records_step, cx, put_records_ctx_free);
    if (!op)
        return -1;
    kinesis_error *err = NULL;
    char *body = NULL;
    cx->entries = kc_build_put_records_entries(records, n_records, &err);
    if (cx->entries) {
        cx->n = n_records;
        cx->stream = kc_strdup(stream_name);
        cx->results = calloc(n_records, sizeof *cx->results);
        cx->idx = calloc(n_records, sizeof *cx->idx);
        if (!cx->results || !cx->idx || (stream_name && !cx->stream))
            err = kc_err_nomem();
        for (size_t i = 0; !err && i < n_records; i++)
            cx->idx[i] = i;
        cx->n_idx = n_records;
        if (!err)
            body = kc_build_put_records(stream_name, cx->entries, cx->idx, n_records, &err);
    }
    if (!body)
        kc_op_fail(op, err ? err : kc_err_nomem());
    else
        kc_op_send(op, "PutRecords", body, 0);
    free(body);
    return 0;
}

static void put_records_wait_cb(kinesis_error *err, kinesis_put_records_result *result, void *user)
{
    put_wait *w = user;
    w->err = err;
    w->result = result;
    w->done = 1;
}

kinesis_error *kinesis_put_records(kinesis_client *client, const char *stream_name,
                                   const kinesis_record *records, size_t n_records,
                                   const kinesis_put_records_options *opts,
                                   kinesis_put_records_result **result)
{
    if (result)
        *result = NULL;
    if (!client || !result)
        return kc_err(KINESIS_ERROR_LIBRARY, KINESIS_ERR_INVALID_PARAMETER, 0,
                      "Non empty argument required: %s", client ? "result" : "client");
    put_wait w = {0};
    if (kinesis_put_records_async(client, stream_name, records, n_records, opts, put_records_wait_cb, &w) !=
        0)
        return kc_err_nomem();
    kc_wait(client, &w.done);
    *result = w.result;
    return w.err;
}
