/* call.c: calling any operation by name (kinesis_call, kinesis_call_once, kinesis_call_async),
 * and the shared shape of the typed one-request calls (kc_simple_call): send, parse the answer
 * with a codec.c parser, hand the result or the error to the typed callback. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

void kc_annotate(kinesis_error *err, const kc_answer *ans)
{
    if (!err || err == kc_err_nomem() || !ans)
        return;
    err->http_status = ans->http_status;
    err->attempts = ans->attempts;
    if (!err->request_id && ans->request_id)
        err->request_id = kc_strdup(ans->request_id);
}

static int valid_operation(const char *op)
{
    if (!op || !*op || strlen(op) > 64)
        return 0;
    for (const char *p = op; *p; p++)
        if (!isalnum((unsigned char)*p))
            return 0;
    return 1;
}

/* ------------------------------------------------------------------ any operation */

typedef struct call_ctx {
    kinesis_call_cb cb;
    void *user;
} call_ctx;

static void call_step(kc_op *op, kinesis_error *err, kc_answer *ans)
{
    call_ctx *cx = op->ctx;
    kc_op_finish(op);
    if (err) {
        cx->cb(err, NULL, ans->http_status, cx->user);
        return;
    }
    char *body = kc_strdup(ans->body_len ? ans->body : "{}");
    if (!body) {
        cx->cb(kc_err_nomem(), NULL, ans->http_status, cx->user);
        return;
    }
    cx->cb(NULL, body, ans->http_status, cx->user);
}

int kinesis_call_async(kinesis_client *client, const char *operation, const char *json_body, int once,
                       kinesis_call_cb cb, void *user)
{
    if (!client || !cb)
        return -1;
    call_ctx *cx = calloc(1, sizeof *cx);
    if (!cx)
        return -1;
    cx->cb = cb;
    cx->user = user;
    kc_op *op = kc_op_new(client, call_step, cx, free);
    if (!op)
        return -1;
    op->no_retry = once != 0;
    if (!valid_operation(operation))
        kc_op_fail(op, kc_err(KINESIS_ERROR_LIBRARY, KINESIS_ERR_INVALID_PARAMETER, 0,
                              "Wrong type of argument: operation (expected a name such as ListStreams)"));
    else
        kc_op_send(op, operation, json_body ? json_body : "{}", 0);
    return 0;
}

typedef struct call_wait {
    int done;
    kinesis_error *err;
    char *resp;
    int status;
} call_wait;

static void call_wait_cb(kinesis_error *err, char *response_json, int http_status, void *user)
{
    call_wait *w = user;
    w->err = err;
    w->resp = response_json;
    w->status = http_status;
    w->done = 1;
}

static kinesis_error *call_blocking(kinesis_client *client, const char *operation, const char *json_body,
                                    char **response_json, int *http_status, int once)
{
    if (response_json)
        *response_json = NULL;
    if (http_status)
        *http_status = 0;
    if (!client)
        return kc_err(KINESIS_ERROR_LIBRARY, KINESIS_ERR_INVALID_PARAMETER, 0,
                      "Non empty argument required: client");
    call_wait w = {0};
    if (kinesis_call_async(client, operation, json_body, once, call_wait_cb, &w) != 0)
        return kc_err_nomem();
    kc_wait(client, &w.done);
    if (http_status)
        *http_status = w.status;
    if (response_json)
        *response_json = w.resp;
    else
        free(w.resp);
    return w.err;
}

kinesis_error *kinesis_call(kinesis_client *client, const char *operation, const char *json_body,
                            char **response_json)
{
    return call_blocking(client, operation, json_body, response_json, NULL, 0);
}

kinesis_error *kinesis_call_once(kinesis_client *client, const char *operation, const char *json_body,
                                 char **response_json, int *http_status)
{
    return call_blocking(client, operation, json_body, response_json, http_status, 1);
}

/* ------------------------------------------------------------------ typed one-request calls */

typedef struct simple_ctx {
    kc_parse_fn parse;
    kc_done_fn done;
    kc_generic_fn cb;
    void *user;
} simple_ctx;

static void simple_step(kc_op *op, kinesis_error *err, kc_answer *ans)
{
    simple_ctx *cx = op->ctx;
    kc_op_finish(op);
    void *result = NULL;
    if (!err && cx->parse) {
        err = cx->parse(ans->body, ans->body_len, &result);
        kc_annotate(err, ans);
    }
    cx->done(cx->cb, err, result, cx->user);
}

int kc_simple_call(kinesis_client *client, const char *operation, char *body, kinesis_error *build_err,
                   kc_parse_fn parse, kc_done_fn done, kc_generic_fn cb, void *user)
{
    if (!client || !cb) {
        free(body);
        kinesis_error_free(build_err);
        return -1;
    }
    simple_ctx *cx = calloc(1, sizeof *cx);
    kc_op *op = cx ? kc_op_new(client, simple_step, cx, free) : NULL;
    if (!op) {
        free(body);
        kinesis_error_free(build_err);
        return -1;
    }
    cx->parse = parse;
    cx->done = done;
    cx->cb = cb;
    cx->user = user;
    if (!body)
        kc_op_fail(op, build_err ? build_err : kc_err_nomem());
    else
        kc_op_send(op, operation, body, 0);
    free(body);
    return 0;
}
