/* ops/subscribe.c: SubscribeToShard, enhanced fan-out's push API. The handler checks the request
 * (consumer by ConsumerARN, shard, StartingPosition, the 5-second re-subscribe rule) in one store
 * transaction and answers with a streaming answer (sim_stream, sim.h): the front door sends
 * 200 application/vnd.amazon.eventstream and then whatever the producer below yields, framed with
 * eventstream.h:
 *   - an "initial-response" event (payload {}), then at once a first SubscribeToShardEvent;
 *   - a SubscribeToShardEvent (Records, ContinuationSequenceNumber, MillisBehindLatest) whenever
 *     records arrived since the last poll (the front door polls every SUB_POLL_MS, never blocking),
 *     and an empty one every SUB_HEARTBEAT_MS so the consumer can checkpoint;
 *   - at the end of a closed shard, a last event with ChildShards and a null
 *     ContinuationSequenceNumber, then the stream ends;
 *   - the subscription ends after 5 minutes of simulation time (AWS's lifetime); an exception event
 *     ends it early: ResourceInUseException when a newer subscription of the same consumer took the
 *     shard over, ResourceNotFoundException when the stream, consumer or shard went away.
 * Payloads are JSON, or CBOR (model shape SubscribeToShardEvent) when the request was CBOR; a JSON
 * SubscribeToShardEvent is written straight into a buffer (ops/sub_event.c), a CBOR one from a tree.
 * Delivery follows the enhanced fan-out rate (2 MiB/s per consumer per shard, at least one record
 * per event). Producer calls come from the front door under its dispatch lock, so the registry of
 * recent subscriptions below is only ever touched by one thread at a time. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ops/ops.h"
#include "ops/resources.h"
#include "ops/sub_event.h"
#include "shared/base64.h"
#include "shared/eventstream.h"
#include "wire/cbor_codec.h"
#include "wire/codec.h"

#define SUB_LIFETIME_MS (5 * 60 * 1000)   /* a subscription lasts 5 minutes */
#define SUB_RESUBSCRIBE_MS 5000           /* re-subscribing sooner: ResourceInUseException */
#define SUB_POLL_MS 200                   /* how often the front door asks for more */
#define SUB_HEARTBEAT_MS 5000             /* an empty event at least this often */
#define SUB_BYTES_PER_S (2 * 1024 * 1024) /* enhanced fan-out: 2 MiB/s per consumer per shard */
#define SUB_MAX_RECORDS 10000             /* per event */
#define EVENTSTREAM_TYPE "application/vnd.amazon.eventstream"

/* Real (monotonic) milliseconds: pacing and heartbeats follow the wall, not the simulation clock. */
static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- recent subscriptions: (server, stream, consumer, shard) -> last success, generation ---- */

typedef struct sub_reg {
    const sim_server *srv;
    int64_t stream_id;
    uint32_t shard;
    char consumer[STORE_NAME_MAX];
    int64_t consumer_created_ms;
    int64_t last_ok_ms; /* simulation time of the last successful SubscribeToShard */
    uint64_t gen;       /* the subscription that owns the shard for this consumer */
    int active;         /* open subscriptions still pointing here */
} sub_reg;

static sub_reg *regs;
static size_t n_regs, cap_regs;
static uint64_t last_gen;

static sub_reg *reg_find(const sim_server *srv, int64_t stream_id, const char *consumer, int64_t created_ms,
                         uint32_t shard)
{
    for (size_t i = 0; i < n_regs; i++) {
        sub_reg *r = &regs[i];
        if (r->srv == srv && r->stream_id == stream_id && r->shard == shard &&
            r->consumer_created_ms == created_ms && strcmp(r->consumer, consumer) == 0)
            return r;
    }
    return NULL;
}

/* Drop entries no subscription uses and whose re-subscribe window has passed. */
static void reg_prune(int64_t now_ms)
{
    size_t kept = 0;
    for (size_t i = 0; i < n_regs; i++)
        if (regs[i].active > 0 || now_ms - regs[i].last_ok_ms < SUB_RESUBSCRIBE_MS ||
            now_ms < regs[i].last_ok_ms)
            regs[kept++] = regs[i];
    n_regs = kept;
    if (n_regs == 0) {
        free(regs);
        regs = NULL;
        cap_regs = 0;
    }
}

static sub_reg *reg_add(void)
{
    if (n_regs == cap_regs) {
        size_t cap = cap_regs ? cap_regs * 2 : 16;
        sub_reg *r = realloc(regs, cap * sizeof *r);
        if (!r)
            return NULL;
        regs = r;
        cap_regs = cap;
    }
    sub_reg *r = &regs[n_regs++];
    memset(r, 0, sizeof *r);
    return r;
}

/* ---- the subscription: a sim_stream producer ---- */

typedef struct subscription {
    sim_stream base;
    sim_server *srv;
    char account_id[16];
    char region[64];
    char stream_name[STORE_NAME_MAX];
    int64_t stream_id, stream_created_ms;
    char consumer[STORE_NAME_MAX];
    int64_t consumer_created_ms;
    uint32_t shard;
    uint64_t next_counter;   /* the next record to deliver */
    int64_t last_arrival_ms; /* of the last record delivered (for ContinuationSequenceNumber) */
    int64_t started_ms;      /* simulation time */
    int64_t last_event_mono; /* real time of the last event (heartbeats) */
    int64_t last_pull_mono;
    uint64_t gen;
    int cbor;
    int sent_initial;
    int registered;
} subscription;

typedef struct out_buf {
    uint8_t *p;
    size_t len, cap;
    int failed;
} out_buf;

static void out_append(out_buf *b, const uint8_t *data, size_t len)
{
    if (b->failed)
        return;
    if (b->len + len > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (cap < b->len + len)
            cap *= 2;
        uint8_t *p = realloc(b->p, cap);
        if (!p) {
            b->failed = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, data, len);
    b->len += len;
}

/* Encode v as the payload of an event (or exception) and append the frame. */
static void append_frame(subscription *s, out_buf *b, int exception, const char *type, const json_t *v,
                         const char *shape)
{
    uint8_t *payload = NULL, *frame = NULL;
    size_t plen = 0, flen = 0;
    int rc;
    if (s->cbor) {
        rc = sim_json_to_cbor_shape(v, shape, &payload, &plen);
    } else {
        char *txt = json_dumps(v, JSON_COMPACT);
        rc = txt ? 0 : -1;
        payload = (uint8_t *)txt;
        plen = txt ? strlen(txt) : 0;
    }
    const char *ct = s->cbor ? CODEC_CBOR_TYPE : CODEC_JSON_TYPE;
    if (rc == 0)
        rc = exception ? eventstream_encode_exception(type, ct, payload, plen, &frame, &flen)
                       : eventstream_encode_event(type, ct, payload, plen, &frame, &flen);
    if (rc == 0)
        out_append(b, frame, flen);
    else
        b->failed = 1;
    free(payload);
    free(frame);
}

static void append_exception(subscription *s, out_buf *b, sim_error_code code, const char *msg)
{
    json_t *v = json_pack("{s:s}", "message", msg);
    append_frame(s, b, 1, sim_error_name(code), v, NULL);
    json_decref(v);
    sim_log(SIM_LOG_DEBUG, "SubscribeToShard %s/%s shard %u ended: %s: %s", s->stream_name, s->consumer,
            s->shard, sim_error_name(code), msg);
}

/* Appends a frame whose JSON payload is already written. */
static void append_json_frame(out_buf *b, const char *type, const sim_json_out *payload)
{
    uint8_t *frame = NULL;
    size_t flen = 0;
    if (eventstream_encode_event(type, CODEC_JSON_TYPE, (const uint8_t *)payload->d, payload->n, &frame,
                                 &flen) == 0)
        out_append(b, frame, flen);
    else
        b->failed = 1;
    free(frame);
}

typedef struct scan_state {
    const store_shard *sh;
    json_t *records;  /* CBOR subscribers: the event's tree */
    sim_json_out *js; /* JSON subscribers: the payload written as it goes (sub_event.h) */
    int written, failed;
    size_t bytes, budget;
    uint64_t last_counter;
    int64_t last_arrival_ms;
    int got;
} scan_state;

static int scan_one(void *ud, const store_record *r)
{
    scan_state *ss = ud;
    size_t size = r->data_len + strlen(r->pkey);
    if (ss->got && ss->bytes + size > ss->budget)
        return 1;
    if (ss->js) {
        int rc = sub_event_json_record(ss->js, ss->sh, r, !ss->written);
        if (rc < 0) {
            ss->failed = 1;
            return 1;
        }
        ss->written += rc;
    } else {
        char seq[SEQNUM_MAX];
        record_seq(ss->sh, r->counter, r->arrival_ms, seq);
        char *b64 = b64_encode(r->data, r->data_len, NULL);
        if (!b64)
            return 1;
        json_t *rec = json_pack("{s:s, s:o, s:s, s:s}", "SequenceNumber", seq, "ApproximateArrivalTimestamp",
                                epoch_seconds_json(r->arrival_ms), "Data", b64, "PartitionKey", r->pkey);
        free(b64);
        if (r->encrypted)
            json_object_set_new(rec, "EncryptionType", json_string("KMS"));
        json_array_append_new(ss->records, rec);
    }
    ss->bytes += size;
    ss->last_counter = r->counter;
    ss->last_arrival_ms = r->arrival_ms;
    ss->got++;
    return 0;
}

/* One poll inside the store transaction: append what is due to b. Returns SIM_STREAM_END when the
 * subscription is over (after its last frame). */
static sim_stream_status poll_once(subscription *s, sim_ctx *ctx, out_buf *b, int force_event)
{
    char shard_id[SHARD_ID_MAX];
    shard_id_format(s->shard, shard_id);
    if (ctx->now_ms - s->started_ms >= SUB_LIFETIME_MS)
        return SIM_STREAM_END; /* the 5 minutes are over: the stream just ends */
    sub_reg *reg = reg_find(s->srv, s->stream_id, s->consumer, s->consumer_created_ms, s->shard);
    if (!reg || reg->gen != s->gen) {
        char msg[512];
        snprintf(msg, sizeof msg,
                 "Another subscription of consumer %s to shard %s in stream %s under account %s took over "
                 "this one.",
                 s->consumer, shard_id, s->stream_name, s->account_id);
        append_exception(s, b, SIM_ERR_ResourceInUseException, msg);
        return SIM_STREAM_END;
    }
    store_stream st;
    int rc = stream_find(ctx, s->stream_name, &st);
    if (rc < 0)
        return SIM_STREAM_MORE; /* a store hiccup: try again at the next poll */
    if (rc > 0 || st.created_ms != s->stream_created_ms || strcmp(st.status, "DELETING") == 0) {
        char msg[512];
        snprintf(msg, sizeof msg, "Stream %s under account %s not found.", s->stream_name, s->account_id);
        append_exception(s, b, SIM_ERR_ResourceNotFoundException, msg);
        return SIM_STREAM_END;
    }
    store_consumer c;
    rc = store_consumer_get(ctx->srv->store, st.id, s->consumer, &c);
    if (rc < 0)
        return SIM_STREAM_MORE;
    if (rc == 0 && consumer_settle(ctx, &c) > 0)
        rc = 1;
    if (rc > 0 || c.created_ms != s->consumer_created_ms || strcmp(c.status, "DELETING") == 0) {
        char msg[512];
        snprintf(msg, sizeof msg, "Consumer %s under stream %s not found for account %s.", s->consumer,
                 s->stream_name, s->account_id);
        append_exception(s, b, SIM_ERR_ResourceNotFoundException, msg);
        return SIM_STREAM_END;
    }
    store_shard *shards = NULL;
    size_t n = 0;
    if (stream_shards(ctx, &st, &shards, &n) != 0)
        return SIM_STREAM_MORE;
    store_shard *sh = shard_by_index(shards, n, s->shard);
    if (!sh || shard_expired(ctx, &st, sh)) {
        free(shards);
        char msg[512];
        snprintf(msg, sizeof msg, "Shard %s in stream %s under account %s does not exist", shard_id,
                 s->stream_name, s->account_id);
        append_exception(s, b, SIM_ERR_ResourceNotFoundException, msg);
        return SIM_STREAM_END;
    }

    /* the fan-out rate: what accrued since the last poll (at least one record per event) */
    int64_t mono = mono_ms();
    int64_t elapsed = s->last_pull_mono ? mono - s->last_pull_mono : SUB_POLL_MS;
    if (elapsed < 1)
        elapsed = 1;
    if (elapsed > 1000)
        elapsed = 1000;
    s->last_pull_mono = mono;
    sim_json_out js = {0};
    scan_state ss = {.sh = sh, .budget = (size_t)SUB_BYTES_PER_S * (size_t)elapsed / 1000};
    if (s->cbor)
        ss.records = json_array();
    else
        ss.js = &js;
    if (ss.js && !sub_event_json_begin(ss.js))
        ss.failed = 1;
    int64_t min_arrival = ctx->now_ms - (int64_t)st.retention_hours * 3600 * 1000;
    int scan_rc = ss.failed ? 0
                            : store_records_scan(ctx->srv->store, st.id, sh->index, s->next_counter,
                                                 min_arrival, SUB_MAX_RECORDS, scan_one, &ss);
    if (scan_rc != 0 || ss.failed) {
        json_decref(ss.records);
        free(js.d);
        free(shards);
        if (ss.failed)
            b->failed = 1; /* out of memory: the stream ends */
        return SIM_STREAM_MORE;
    }
    if (ss.got) {
        s->next_counter = ss.last_counter + 1;
        s->last_arrival_ms = ss.last_arrival_ms;
    }
    int caught_up = s->next_counter >= sh->next_counter;
    int at_end = sh->closed_ms && caught_up;
    if (!ss.got && !at_end && !force_event && mono - s->last_event_mono < SUB_HEARTBEAT_MS) {
        json_decref(ss.records);
        free(js.d);
        free(shards);
        return SIM_STREAM_MORE;
    }
    char seq[SEQNUM_MAX];
    int64_t behind = 0;
    if (!at_end) {
        record_seq(sh, s->next_counter > 0 ? s->next_counter - 1 : 0, s->last_arrival_ms, seq);
        behind = (!caught_up && ss.got) ? ctx->now_ms - ss.last_arrival_ms : 0;
        if (behind < 0)
            behind = 0;
    }
    json_t *children = at_end ? child_shards_json(shards, n, sh->index) : NULL;
    if (ss.js) {
        if (sub_event_json_end(ss.js, at_end ? NULL : seq, behind, children))
            append_json_frame(b, "SubscribeToShardEvent", ss.js);
        else
            b->failed = 1;
        json_decref(children);
        free(js.d);
    } else {
        /* the tree sub_event.h's writer reproduces for JSON: keep the two in step */
        json_t *ev = json_object();
        json_object_set_new(ev, "Records", ss.records);
        json_object_set_new(ev, "ContinuationSequenceNumber", at_end ? json_null() : json_string(seq));
        json_object_set_new(ev, "MillisBehindLatest", json_integer(behind));
        if (children)
            json_object_set_new(ev, "ChildShards", children);
        append_frame(s, b, 0, "SubscribeToShardEvent", ev, "SubscribeToShardEvent");
        json_decref(ev);
    }
    free(shards);
    s->last_event_mono = mono;
    return at_end ? SIM_STREAM_END : SIM_STREAM_MORE;
}

static sim_stream_status sub_pull(sim_stream *base, int stopping, uint8_t **out, size_t *out_len)
{
    subscription *s = (subscription *)base;
    out_buf b = {0};
    int first = !s->sent_initial;
    if (first) {
        json_t *empty = json_object();
        append_frame(s, &b, 0, "initial-response", empty, NULL);
        json_decref(empty);
        s->sent_initial = 1;
    }
    sim_stream_status st = SIM_STREAM_END;
    if (!stopping) {
        /* zeroed up to its 64 KiB message buffer, which sim_fail writes whole strings into: a
         * calloc per poll zeroed all of it, the largest cost of a poll with few records */
        sim_ctx *ctx = malloc(sizeof *ctx);
        if (ctx) {
            memset(ctx, 0, offsetof(sim_ctx, err_msg));
            ctx->err_msg[0] = 0;
            ctx->srv = s->srv;
            ctx->op = "SubscribeToShard";
            snprintf(ctx->account_id, sizeof ctx->account_id, "%s", s->account_id);
            snprintf(ctx->region, sizeof ctx->region, "%s", s->region);
            ctx->now_ms = sim_clock_now_ms(s->srv->clock);
            if (ops_begin(ctx) == 0) {
                st = poll_once(s, ctx, &b, first);
                json_t *none = NULL;
                ops_end(ctx, 0, &none);
            } else {
                st = SIM_STREAM_MORE;
            }
            free(ctx);
        }
    }
    if (b.failed) {
        free(b.p);
        b.p = NULL;
        b.len = 0;
        st = SIM_STREAM_END;
        sim_log(SIM_LOG_ERROR, "SubscribeToShard: cannot encode an event; ending the stream");
    }
    *out = b.p;
    *out_len = b.len;
    return st;
}

static void sub_close(sim_stream *base)
{
    subscription *s = (subscription *)base;
    sub_reg *reg = reg_find(s->srv, s->stream_id, s->consumer, s->consumer_created_ms, s->shard);
    if (reg && reg->active > 0)
        reg->active--;
    free(s);
}

/* ---- the handler ---- */

static int position_of(sim_ctx *ctx, json_t *pos, const store_stream *st, const store_shard *sh,
                       const char *shard_id, uint64_t *counter)
{
    const char *type = json_string_value(json_object_get(pos, "Type"));
    const char *seq = json_string_value(json_object_get(pos, "SequenceNumber"));
    json_t *jts = json_object_get(pos, "Timestamp");
    if (!type)
        return sim_fail(
            ctx, SIM_ERR_ValidationException,
            "1 validation error detected: Value null at 'startingPosition.type' failed to satisfy "
            "constraint: Member must not be null");
    int at_seq = strcmp(type, "AT_SEQUENCE_NUMBER") == 0,
        after_seq = strcmp(type, "AFTER_SEQUENCE_NUMBER") == 0;
    if (at_seq || after_seq) {
        seqnum sq;
        if (!seq)
            return sim_fail(ctx, SIM_ERR_InvalidArgumentException,
                            "StartingPosition of type %s needs a SequenceNumber.", type);
        if (seqnum_parse(seq, &sq) != 0)
            return sim_fail(
                ctx, SIM_ERR_InvalidArgumentException,
                "StartingSequenceNumber %s used in SubscribeToShard on shard %s in stream %s under "
                "account %s is invalid.",
                seq, shard_id, st->name, ctx->account_id);
        if (sq.shard_index != sh->index) {
            char other[SHARD_ID_MAX];
            shard_id_format(sq.shard_index, other);
            return sim_fail(ctx, SIM_ERR_InvalidArgumentException,
                            "Invalid StartingSequenceNumber. It encodes %s, while it was used in a call to a "
                            "shard with %s",
                            other, shard_id);
        }
        if (sq.shard_created_s != sh->created_ms / 1000)
            return sim_fail(
                ctx, SIM_ERR_InvalidArgumentException,
                "StartingSequenceNumber %s used in SubscribeToShard on shard %s in stream %s under "
                "account %s is invalid because it did not come from this stream.",
                seq, shard_id, st->name, ctx->account_id);
        *counter = sq.counter + (after_seq ? 1 : 0);
        return 0;
    }
    if (seq)
        return sim_fail(ctx, SIM_ERR_InvalidArgumentException,
                        "StartingPosition of type %s takes no SequenceNumber.", type);
    if (strcmp(type, "TRIM_HORIZON") == 0) {
        *counter = 0;
        return 0;
    }
    if (strcmp(type, "LATEST") == 0) {
        *counter = sh->next_counter;
        return 0;
    }
    if (strcmp(type, "AT_TIMESTAMP") == 0) {
        int64_t ts_ms;
        if (!jts || epoch_ms_from_json(jts, &ts_ms) != 0)
            return sim_fail(
                ctx, SIM_ERR_InvalidArgumentException,
                "Must specify timestampInMillis parameter for iterator of type AT_TIMESTAMP. Current "
                "request has no timestamp parameter.");
        if (ts_ms > ctx->now_ms)
            return sim_fail(
                ctx, SIM_ERR_InvalidArgumentException,
                "The timestampInMillis parameter cannot be greater than the currentTimestampInMillis. "
                "timestampInMillis: %lld, currentTimestampInMillis: %lld",
                (long long)ts_ms, (long long)ctx->now_ms);
        int rc = store_record_first_at(ctx->srv->store, st->id, sh->index, ts_ms, counter);
        if (rc < 0)
            return ops_store_fail(ctx);
        if (rc > 0)
            *counter = sh->next_counter;
        return 0;
    }
    return sim_fail(ctx, SIM_ERR_InvalidArgumentException, "Unknown StartingPosition type %s.", type);
}

static int subscribe(sim_ctx *ctx, json_t *in)
{
    const char *arn = json_string_value(json_object_get(in, "ConsumerARN"));
    const char *shard_arg = json_string_value(json_object_get(in, "ShardId"));
    store_stream st;
    store_consumer c;
    if (consumer_lookup_arn(ctx, arn, &st, &c) != 0)
        return -1;
    if (strcmp(c.status, "ACTIVE") != 0)
        return sim_fail(ctx, SIM_ERR_ResourceInUseException,
                        "Consumer %s under stream %s is not ACTIVE, instead in state %s.", c.name, st.name,
                        c.status);
    if (strcmp(st.status, "ACTIVE") != 0 && strcmp(st.status, "UPDATING") != 0)
        return stream_require_active(ctx, &st);
    uint32_t index;
    if (!shard_arg || shard_id_parse(shard_arg, &index) != 0)
        return sim_fail(ctx, SIM_ERR_ResourceNotFoundException,
                        "Could not find shard %s in stream %s under account %s.",
                        shard_arg ? shard_arg : "null", st.name, ctx->account_id);
    char shard_id[SHARD_ID_MAX];
    shard_id_format(index, shard_id);
    store_shard *shards;
    size_t n;
    if (stream_shards(ctx, &st, &shards, &n) != 0)
        return -1;
    store_shard *found = shard_by_index(shards, n, index);
    store_shard sh;
    int expired = found && shard_expired(ctx, &st, found);
    if (found)
        sh = *found;
    free(shards);
    if (!found || expired)
        return sim_fail(ctx, SIM_ERR_ResourceNotFoundException,
                        "Shard %s in stream %s under account %s does not exist", shard_id, st.name,
                        ctx->account_id);
    uint64_t counter;
    if (position_of(ctx, json_object_get(in, "StartingPosition"), &st, &sh, shard_id, &counter) != 0)
        return -1;

    reg_prune(ctx->now_ms);
    sub_reg *reg = reg_find(ctx->srv, st.id, c.name, c.created_ms, index);
    if (reg && ctx->now_ms - reg->last_ok_ms < SUB_RESUBSCRIBE_MS && ctx->now_ms >= reg->last_ok_ms) {
        char carn[CONSUMER_ARN_MAX];
        consumer_arn(ctx, st.name, &c, carn);
        return sim_fail(
            ctx, SIM_ERR_ResourceInUseException,
            "Another active subscription exists for consumer %s on shard %s: subscribe again at least "
            "%d seconds after the last successful SubscribeToShard.",
            carn, shard_id, SUB_RESUBSCRIBE_MS / 1000);
    }
    subscription *s = calloc(1, sizeof *s);
    if (!s || (!reg && !(reg = reg_add()))) {
        free(s);
        return sim_fail(ctx, SIM_ERR_InternalFailureException, "Internal service failure.");
    }
    if (!reg->srv) {
        reg->srv = ctx->srv;
        reg->stream_id = st.id;
        reg->shard = index;
        snprintf(reg->consumer, sizeof reg->consumer, "%s", c.name);
        reg->consumer_created_ms = c.created_ms;
    }
    reg->last_ok_ms = ctx->now_ms;
    reg->gen = ++last_gen;
    reg->active++;

    snprintf(s->base.content_type, sizeof s->base.content_type, "%s", EVENTSTREAM_TYPE);
    s->base.poll_ms = SUB_POLL_MS;
    s->base.pull = sub_pull;
    s->base.close = sub_close;
    s->srv = ctx->srv;
    snprintf(s->account_id, sizeof s->account_id, "%s", ctx->account_id);
    snprintf(s->region, sizeof s->region, "%s", ctx->region);
    snprintf(s->stream_name, sizeof s->stream_name, "%s", st.name);
    s->stream_id = st.id;
    s->stream_created_ms = st.created_ms;
    snprintf(s->consumer, sizeof s->consumer, "%s", c.name);
    s->consumer_created_ms = c.created_ms;
    s->shard = index;
    s->next_counter = counter;
    s->last_arrival_ms = ctx->now_ms;
    s->started_ms = ctx->now_ms;
    s->gen = reg->gen;
    s->cbor = ctx->req && codec_from_content_type(sim_request_header(ctx->req, "Content-Type")) == CODEC_CBOR;
    ctx->stream = &s->base;
    return 0;
}

int op_subscribe_to_shard(sim_ctx *ctx, json_t *in, json_t **out)
{
    *out = NULL; /* the answer is the event stream the handler leaves in ctx->stream */
    return subscribe(ctx, in);
}
