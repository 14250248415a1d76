/* subscribe.c: SubscribeToShard, enhanced fan-out's push API. The answer is a long-lived HTTP
 * response (HTTP/1.1 chunked, or HTTP/2) whose body is an AWS event stream (eventstream.h): an
 * initial-response event, then SubscribeToShardEvent events with JSON payloads, possibly an
 * exception message at the end. Two layers:
 *   - kc_event_stream (internal.h): bytes in, events out. It buffers until a whole message is
 *     there (libcurl hands over body bytes split anywhere), decodes it, and turns events into
 *     kinesis_subscribe_event values and exceptions or broken frames into errors. It knows
 *     nothing of the transport, so the unit tests feed it canned bytes split at every offset.
 *   - kinesis_subscription: one engine op (engine.c) with a sink, so the body goes to the event
 *     stream as it arrives. The request is retried like any other until the stream starts, never
 *     after. The handle belongs to the user and the op to the engine; each can end first, and
 *     whichever ends last frees the shared state (sub_detach, kinesis_subscription_free). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "internal.h"
#include "shared/eventstream.h"

#define EVENT_TYPE "SubscribeToShardEvent"

/* ------------------------------------------------------------------ request and event payloads */

static kinesis_error *bad_arg(const char *what)
{
    return kc_err(KINESIS_ERROR_LIBRARY, KINESIS_ERR_INVALID_PARAMETER, 0, "%s", what);
}

static kinesis_error *malformed(const char *what, const char *detail)
{
    return kc_err(KINESIS_ERROR_UNEXPECTED_RESPONSE, KINESIS_ERR_MALFORMED, 200, "%s%s", what,
                  detail ? detail : "");
}

char *kc_build_subscribe_to_shard(const char *consumer_arn, const char *shard_id,
                                  const kinesis_starting_position *pos, kinesis_error **err)
{
    *err = NULL;
    if (!consumer_arn || !*consumer_arn) {
        *err = bad_arg("Non empty argument required: consumer_arn");
        return NULL;
    }
    if (!shard_id || !*shard_id) {
        *err = bad_arg("Non empty argument required: shard_id");
        return NULL;
    }
    if (!pos) {
        *err = bad_arg("Non empty argument required: position");
        return NULL;
    }
    const char *tname = kinesis_iterator_type_name(pos->type);
    if (!tname) {
        *err = bad_arg("Wrong type of argument: position.type");
        return NULL;
    }
    int need_seq = pos->type == KINESIS_ITERATOR_AT_SEQUENCE_NUMBER ||
                   pos->type == KINESIS_ITERATOR_AFTER_SEQUENCE_NUMBER;
    int need_ts = pos->type == KINESIS_ITERATOR_AT_TIMESTAMP;
    if (need_seq && (!pos->sequence_number || !*pos->sequence_number)) {
        *err = bad_arg("Non empty argument required: position.sequence_number");
        return NULL;
    }
    if (need_ts && pos->timestamp_ms < 0) { /* 0 is the epoch: a valid time, before every record */
        *err = bad_arg("Wrong type of argument: position.timestamp_ms is negative");
        return NULL;
    }
    if ((!need_seq && pos->sequence_number) || (!need_ts && pos->timestamp_ms)) {
        *err = bad_arg("Wrong type of argument: position does not match its type");
        return NULL;
    }
    json_t *sp = json_object(), *root = json_object();
    int bad = !sp || !root;
    if (!bad)
        bad = json_object_set_new(sp, "Type", json_string(tname)) != 0;
    if (!bad && need_seq)
        bad = json_object_set_new(sp, "SequenceNumber", json_string(pos->sequence_number)) != 0;
    if (!bad && need_ts)
        bad = json_object_set_new(sp, "Timestamp", json_real((double)pos->timestamp_ms / 1000.0)) != 0;
    if (!bad)
        bad = json_object_set_new(root, "ConsumerARN", json_string(consumer_arn)) != 0;
    if (!bad)
        bad = json_object_set_new(root, "ShardId", json_string(shard_id)) != 0;
    if (!bad)
        bad = json_object_set(root, "StartingPosition", sp) != 0;
    char *text = bad ? NULL : json_dumps(root, JSON_COMPACT);
    json_decref(sp);
    json_decref(root);
    if (!text)
        *err =
            bad ? bad_arg(
                      "Wrong type of argument: consumer_arn, shard_id or sequence_number is not valid UTF-8")
                : kc_err_nomem();
    return text;
}

void kinesis_subscribe_event_free(kinesis_subscribe_event *ev)
{
    if (!ev)
        return;
    for (size_t i = 0; i < ev->count; i++) {
        free(ev->records[i].data);
        free(ev->records[i].partition_key);
        free(ev->records[i].sequence_number);
    }
    free(ev->records);
    for (size_t i = 0; i < ev->n_child_shards; i++) {
        kinesis_child_shard *c = &ev->child_shards[i];
        free(c->shard_id);
        for (size_t j = 0; j < c->n_parent_shards; j++)
            free(c->parent_shards[j]);
        free(c->parent_shards);
        free(c->starting_hash_key);
        free(c->ending_hash_key);
    }
    free(ev->child_shards);
    free(ev->continuation_sequence_number);
    free(ev);
}

kinesis_error *kc_parse_subscribe_event(const char *body, size_t len, kinesis_subscribe_event **out)
{
    *out = NULL;
    /* Records, MillisBehindLatest and ChildShards have GetRecords's shapes: reuse its parser. */
    kinesis_get_records_result *r = NULL;
    kinesis_error *err = kc_parse_get_records(body, len, &r);
    if (err)
        return err;
    json_t *root = json_loadb(body, len, 0, NULL); /* parsed fine just above */
    json_t *cont = json_object_get(root, "ContinuationSequenceNumber");
    if (cont && !json_is_null(cont) && (!json_is_string(cont) || json_string_length(cont) == 0))
        err = malformed("event member ContinuationSequenceNumber is not a non-empty string", NULL);
    kinesis_subscribe_event *ev = err ? NULL : calloc(1, sizeof *ev);
    if (!err && !ev)
        err = kc_err_nomem();
    if (!err && json_is_string(cont) &&
        !(ev->continuation_sequence_number = kc_strdup(json_string_value(cont))))
        err = kc_err_nomem();
    json_decref(root);
    if (err) {
        free(ev);
        kinesis_get_records_result_free(r);
        return err;
    }
    ev->records = r->records;
    ev->count = r->count;
    ev->millis_behind_latest = r->millis_behind_latest;
    ev->child_shards = r->child_shards;
    ev->n_child_shards = r->n_child_shards;
    free(r->next_shard_iterator);
    free(r);
    *out = ev;
    return NULL;
}

/* ------------------------------------------------------------------ the event stream decoder */

/* A string header's value as a malloc'd C string; NULL if absent, not a string, or no memory. */
static char *header_string(const es_message *m, const char *name)
{
    const es_header *h = eventstream_find_header(m, name);
    if (!h || h->type != ES_STRING)
        return NULL;
    return kc_strndup((const char *)h->v.bytes.ptr, h->v.bytes.len);
}

/* The error an exception message stands for: REQUEST_FAILED named by :exception-type, with the
 * payload's message (or Message). */
static kinesis_error *exception_error(const es_message *m)
{
    char *name = header_string(m, ":exception-type");
    if (!name || !*name) {
        free(name);
        return malformed("event stream exception without an :exception-type header", NULL);
    }
    json_t *p = json_loadb((const char *)m->payload, m->payload_len, 0, NULL);
    const char *msg = json_string_value(json_object_get(p, "message"));
    if (!msg)
        msg = json_string_value(json_object_get(p, "Message"));
    kinesis_error *err = kc_err(KINESIS_ERROR_REQUEST_FAILED, name, 200, "%s", msg ? msg : name);
    json_decref(p);
    free(name);
    return err;
}

/* The other failure message of the event stream protocol: :message-type error with
 * :error-code and :error-message headers. */
static kinesis_error *error_message_error(const es_message *m)
{
    char *code = header_string(m, ":error-code");
    char *text = header_string(m, ":error-message");
    kinesis_error *err = code && *code
                             ? kc_err(KINESIS_ERROR_REQUEST_FAILED, code, 200, "%s", text ? text : code)
                             : malformed("event stream error without an :error-code header", NULL);
    free(code);
    free(text);
    return err;
}

/* Handle one whole message. Returns 0 to go on, -1 when the stream must stop. */
static int handle_message(kc_event_stream *es, const es_message *m)
{
    es->messages++;
    if (eventstream_header_is(m, ":message-type", "exception")) {
        es->err = exception_error(m);
        return -1;
    }
    if (eventstream_header_is(m, ":message-type", "error")) {
        es->err = error_message_error(m);
        return -1;
    }
    if (!eventstream_header_is(m, ":message-type", "event")) {
        es->err = malformed("event stream message without a known :message-type", NULL);
        return -1;
    }
    if (!eventstream_header_is(m, ":event-type", EVENT_TYPE))
        return 0; /* initial-response, or newer types */
    kinesis_subscribe_event *ev = NULL;
    kinesis_error *err = kc_parse_subscribe_event((const char *)m->payload, m->payload_len, &ev);
    if (err) {
        es->err = err;
        return -1;
    }
    es->events++;
    es->on_event(ev, es->user);
    return es->stop && *es->stop ? -1 : 0;
}

int kc_event_stream_feed(kc_event_stream *es, const uint8_t *data, size_t len)
{
    if (es->err || (es->stop && *es->stop))
        return -1;
    if (len == 0)
        return 0;
    if (es->len + len > es->cap) {
        size_t cap = es->cap ? es->cap : 4096;
        while (cap < es->len + len)
            cap *= 2;
        uint8_t *nb = realloc(es->buf, cap);
        if (!nb) {
            es->err = kc_err_nomem();
            return -1;
        }
        es->buf = nb;
        es->cap = cap;
    }
    memcpy(es->buf + es->len, data, len);
    es->len += len;
    size_t off = 0;
    int rc = 0;
    while (rc == 0) {
        es_message m;
        size_t used = 0;
        es_status st = eventstream_decode(es->buf + off, es->len - off, &m, &used);
        if (st == ES_NEED_MORE)
            break;
        if (st != ES_OK) {
            es->err = st == ES_ERR_NOMEM ? kc_err_nomem()
                                         : malformed("undecodable event stream: ", es_status_str(st));
            rc = -1;
            break;
        }
        rc = handle_message(es, &m);
        eventstream_message_clean_up(&m);
        off += used;
    }
    memmove(es->buf, es->buf + off, es->len - off);
    es->len -= off;
    return rc;
}

kinesis_error *kc_event_stream_finish(kc_event_stream *es)
{
    kinesis_error *err = es->err;
    es->err = NULL;
    if (err)
        return err;
    if (es->len) {
        char detail[64];
        snprintf(detail, sizeof detail, " (%zu bytes of an unfinished message)", es->len);
        return malformed("the event stream ended inside a message", detail);
    }
    if (es->messages == 0)
        return malformed("the answer carried no event stream message", NULL);
    return NULL;
}

void kc_event_stream_clean_up(kc_event_stream *es)
{
    if (!es)
        return;
    free(es->buf);
    kinesis_error_free(es->err);
    es->buf = NULL;
    es->err = NULL;
    es->len = es->cap = 0;
}

/* ------------------------------------------------------------------ the subscription */

struct kinesis_subscription {
    kc_op *op; /* NULL once the engine ended the op (finished, aborted, client freed) */
    kc_event_stream es;
    kinesis_subscribe_callbacks cb;
    int cancelled;   /* no more callbacks */
    int user_freed;  /* kinesis_subscription_free was called while the op lived */
    int in_callback; /* inside one of this subscription's callbacks */
};

static void sub_destroy(kinesis_subscription *sub)
{
    kc_event_stream_clean_up(&sub->es);
    free(sub);
}

/* The op's free_ctx: the engine is done with the op. */
static void sub_detach(void *ctx)
{
    kinesis_subscription *sub = ctx;
    sub->op = NULL;
    if (sub->user_freed)
        sub_destroy(sub);
}

static int sub_sink(kc_op *op, const uint8_t *data, size_t len)
{
    kinesis_subscription *sub = op->ctx;
    op->no_retry = 1; /* the stream started: a retry would deliver events twice */
    if (sub->cancelled)
        return -1;
    sub->in_callback++;
    int rc = kc_event_stream_feed(&sub->es, data, len);
    sub->in_callback--;
    return rc;
}

static void sub_step(kc_op *op, kinesis_error *err, kc_answer *ans)
{
    kinesis_subscription *sub = op->ctx;
    kc_op_finish(op);
    if (sub->cancelled) {
        kinesis_error_free(err);
        return;
    }
    kinesis_error *final = NULL;
    if (sub->es.err) { /* the stream failed (exception, broken frame): that, not the aborted transfer */
        kinesis_error_free(err);
        final = kc_event_stream_finish(&sub->es);
        if (final && final != kc_err_nomem()) {
            final->attempts = ans->attempts;
            if (!final->request_id && ans->request_id)
                final->request_id = kc_strdup(ans->request_id);
        }
    } else if (err) {
        final = err;
    } else {
        final = kc_event_stream_finish(&sub->es);
        kc_annotate(final, ans);
    }
    sub->cancelled = 1; /* ended: nothing more will be called */
    sub->in_callback++;
    if (final) {
        if (sub->cb.on_error)
            sub->cb.on_error(final, sub->cb.user);
        else
            kinesis_error_free(final);
    } else if (sub->cb.on_end) {
        sub->cb.on_end(sub->cb.user);
    }
    sub->in_callback--;
}

kinesis_subscription *kinesis_subscribe_to_shard(kinesis_client *client, const char *consumer_arn,
                                                 const char *shard_id,
                                                 const kinesis_starting_position *position,
                                                 const kinesis_subscribe_callbacks *callbacks)
{
    if (!client || !callbacks || !callbacks->on_event)
        return NULL;
    kinesis_subscription *sub = calloc(1, sizeof *sub);
    if (!sub)
        return NULL;
    sub->cb = *callbacks;
    sub->es.on_event = callbacks->on_event;
    sub->es.user = callbacks->user;
    sub->es.stop = &sub->cancelled;
    kc_op *op = kc_op_new(client, sub_step, sub, NULL);
    if (!op) {
        sub_destroy(sub);
        return NULL;
    }
    op->free_ctx = sub_detach;
    sub->op = op;
    op->sink = sub_sink;
    kinesis_error *err = NULL;
    char *body = kc_build_subscribe_to_shard(consumer_arn, shard_id, position, &err);
    if (body)
        kc_op_send(op, "SubscribeToShard", body, 0);
    else
        kc_op_fail(op, err);
    free(body);
    return sub;
}

void kinesis_subscription_cancel(kinesis_subscription *sub)
{
    if (!sub || sub->cancelled)
        return;
    sub->cancelled = 1;
    if (sub->op && !sub->in_callback)
        kc_op_abort(sub->op); /* from its own callback: the sink stops it */
}

int kinesis_subscription_active(const kinesis_subscription *sub)
{
    return sub && !sub->cancelled && sub->op;
}

void kinesis_subscription_free(kinesis_subscription *sub)
{
    if (!sub)
        return;
    kinesis_subscription_cancel(sub);
    if (sub->op)
        sub->user_freed = 1; /* the op still refers to it: sub_detach frees it */
    else
        sub_destroy(sub);
}
