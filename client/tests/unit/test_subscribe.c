/* test_subscribe.c: Criterion tests for SubscribeToShard in libkinesis (subscribe.c, and the
 * streaming path of engine.c). Two levels:
 *   - the event stream decoder (kc_event_stream) fed canned bytes split at every offset, byte by
 *     byte and at random cuts, then corrupted at every byte, truncated, and with exceptions and
 *     malformed payloads;
 *   - whole subscriptions against a raw HTTP/1.1 server in a thread (below) that answers with a
 *     chunked body cut at chosen offsets (a short pause between pieces so libcurl sees separate
 *     writes), errors before the stream, exceptions and drops inside it, and cancellation.
 * The frames are built with the shared encoder (eventstream.h). Every wait is bounded. */
#include <criterion/criterion.h>

#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "kinesis/kinesis.h"
#include "shared/eventstream.h"

#define SEQ1 "49590338271490256608559692538361571095921575989136588898"
#define SEQ2 "49590338271490256608559692538361571095921575989136588899"
#define CHILD_END "170141183460469231731687303715884105727"

static const char *EV1 =
    "{\"Records\":[{\"SequenceNumber\":\"" SEQ1 "\",\"ApproximateArrivalTimestamp\":1700000000.123,"
    "\"Data\":\"AAEC/w==\",\"PartitionKey\":\"k1\"},{\"SequenceNumber\":\"" SEQ2
    "\",\"ApproximateArrivalTimestamp\":1700000001,\"Data\":\"aGVsbG8=\",\"PartitionKey\":"
    "\"k2\",\"EncryptionType\":\"KMS\"}],\"ContinuationSequenceNumber\":\"" SEQ2
    "\",\"MillisBehindLatest\":42}";
static const char *EV2 =
    "{\"Records\":[],\"ContinuationSequenceNumber\":\"" SEQ2 "\",\"MillisBehindLatest\":0}";
static const char *EV3 = "{\"Records\":[],\"ContinuationSequenceNumber\":null,\"MillisBehindLatest\":0,"
                         "\"ChildShards\":[{\"ShardId\":\"shardId-000000000001\",\"ParentShards\":"
                         "[\"shardId-000000000000\"],\"HashKeyRange\":{\"StartingHashKey\":\"0\","
                         "\"EndingHashKey\":\"" CHILD_END "\"}}]}";

/* ------------------------------------------------------------------ building streams */

typedef struct bytes {
    uint8_t *p;
    size_t len;
} bytes;

static void append(bytes *b, const uint8_t *data, size_t len)
{
    uint8_t *np = realloc(b->p, b->len + len + 1);
    cr_assert_not_null(np);
    memcpy(np + b->len, data, len);
    b->p = np;
    b->len += len;
}

static void add_event(bytes *b, const char *type, const char *json)
{
    uint8_t *f = NULL;
    size_t n = 0;
    cr_assert_eq(eventstream_encode_event(type, NULL, (const uint8_t *)json, strlen(json), &f, &n), 0);
    append(b, f, n);
    free(f);
}

static void add_exception(bytes *b, const char *type, const char *json)
{
    uint8_t *f = NULL;
    size_t n = 0;
    cr_assert_eq(eventstream_encode_exception(type, NULL, (const uint8_t *)json, strlen(json), &f, &n), 0);
    append(b, f, n);
    free(f);
}

static void add_raw_message(bytes *b, const es_header *h, size_t nh, const char *payload)
{
    uint8_t *f = NULL;
    size_t n = 0;
    cr_assert_eq(eventstream_encode(h, nh, (const uint8_t *)payload, strlen(payload), &f, &n), 0);
    append(b, f, n);
    free(f);
}

/* initial-response, a data event, a heartbeat, the end of a closed shard. */
static bytes canned(void)
{
    bytes b = {0};
    add_event(&b, "initial-response", "{}");
    add_event(&b, "SubscribeToShardEvent", EV1);
    add_event(&b, "SubscribeToShardEvent", EV2);
    add_event(&b, "SubscribeToShardEvent", EV3);
    return b;
}

/* ------------------------------------------------------------------ collecting callbacks */

#define MAXEV 8

typedef struct got {
    int events, ends, errors;
    kinesis_error *err;
    size_t counts[MAXEV];
    uint8_t data0[MAXEV][16];
    size_t data0_len[MAXEV];
    char pkey1[MAXEV][16];
    int64_t arrival0[MAXEV];
    int enc1[MAXEV];
    char cont[MAXEV][80]; /* "" when NULL */
    int64_t behind[MAXEV];
    size_t children[MAXEV];
    char child_end[MAXEV][48];
    char child_parent[MAXEV][32];
    int stop;       /* for the decoder's stop flag */
    int stop_after; /* set stop when this many events arrived (0: never) */
    kinesis_subscription *sub;
    int cancel_after; /* kinesis_subscription_cancel after this many events */
    int free_after;   /* kinesis_subscription_free after this many events */
    int free_on_end;  /* kinesis_subscription_free from on_end / on_error */
} got;

static void on_event(kinesis_subscribe_event *ev, void *user)
{
    got *g = user;
    cr_assert_not_null(ev);
    int i = g->events++;
    if (i < MAXEV) {
        g->counts[i] = ev->count;
        if (ev->count > 0) {
            size_t n = ev->records[0].data_len < 16 ? ev->records[0].data_len : 16;
            memcpy(g->data0[i], ev->records[0].data, n);
            g->data0_len[i] = ev->records[0].data_len;
            g->arrival0[i] = ev->records[0].arrival_ms;
        }
        if (ev->count > 1) {
            snprintf(g->pkey1[i], sizeof g->pkey1[i], "%s", ev->records[1].partition_key);
            g->enc1[i] = ev->records[1].encryption_type;
        }
        snprintf(g->cont[i], sizeof g->cont[i], "%s",
                 ev->continuation_sequence_number ? ev->continuation_sequence_number : "");
        g->behind[i] = ev->millis_behind_latest;
        g->children[i] = ev->n_child_shards;
        if (ev->n_child_shards) {
            snprintf(g->child_end[i], sizeof g->child_end[i], "%s", ev->child_shards[0].ending_hash_key);
            if (ev->child_shards[0].n_parent_shards)
                snprintf(g->child_parent[i], sizeof g->child_parent[i], "%s",
                         ev->child_shards[0].parent_shards[0]);
        }
    }
    kinesis_subscribe_event_free(ev);
    if (g->stop_after && g->events >= g->stop_after)
        g->stop = 1;
    if (g->cancel_after && g->events == g->cancel_after)
        kinesis_subscription_cancel(g->sub);
    if (g->free_after && g->events == g->free_after) {
        kinesis_subscription_free(g->sub);
        g->sub = NULL;
    }
}

static void on_error(kinesis_error *err, void *user)
{
    got *g = user;
    g->errors++;
    kinesis_error_free(g->err);
    g->err = err;
    if (g->free_on_end) {
        kinesis_subscription_free(g->sub);
        g->sub = NULL;
    }
}

static void on_end(void *user)
{
    got *g = user;
    g->ends++;
    if (g->free_on_end) {
        kinesis_subscription_free(g->sub);
        g->sub = NULL;
    }
}

static void got_clean(got *g)
{
    kinesis_error_free(g->err);
    g->err = NULL;
}

/* The three events of canned(), exactly. */
static void check_canned(const got *g)
{
    cr_assert_eq(g->events, 3, "events: %d", g->events);
    cr_assert_eq(g->counts[0], 2);
    cr_assert_eq(g->data0_len[0], 4);
    const uint8_t want[4] = {0x00, 0x01, 0x02, 0xff};
    cr_assert_arr_eq(g->data0[0], want, 4);
    cr_assert_eq(g->arrival0[0], 1700000000123LL);
    cr_assert_str_eq(g->pkey1[0], "k2");
    cr_assert_eq(g->enc1[0], KINESIS_ENCRYPTION_KMS);
    cr_assert_str_eq(g->cont[0], SEQ2);
    cr_assert_eq(g->behind[0], 42);
    cr_assert_eq(g->counts[1], 0);
    cr_assert_str_eq(g->cont[1], SEQ2);
    cr_assert_eq(g->children[1], 0);
    cr_assert_str_eq(g->cont[2], "", "the end of a closed shard has no continuation");
    cr_assert_eq(g->children[2], 1);
    cr_assert_str_eq(g->child_end[2], CHILD_END);
    cr_assert_str_eq(g->child_parent[2], "shardId-000000000000");
}

static void es_init(kc_event_stream *es, got *g)
{
    memset(es, 0, sizeof *es);
    es->on_event = on_event;
    es->user = g;
    es->stop = &g->stop;
}

/* ------------------------------------------------------------------ the decoder */

Test(event_stream, whole_stream_in_one_piece)
{
    bytes b = canned();
    got g = {0};
    kc_event_stream es;
    es_init(&es, &g);
    cr_assert_eq(kc_event_stream_feed(&es, b.p, b.len), 0);
    cr_assert_null(kc_event_stream_finish(&es));
    check_canned(&g);
    cr_assert_eq(es.messages, 4);
    kc_event_stream_clean_up(&es);
    free(b.p);
}

Test(event_stream, split_at_every_offset)
{
    bytes b = canned();
    for (size_t k = 0; k <= b.len; k++) {
        got g = {0};
        kc_event_stream es;
        es_init(&es, &g);
        cr_assert_eq(kc_event_stream_feed(&es, b.p, k), 0, "first piece up to %zu", k);
        cr_assert_eq(kc_event_stream_feed(&es, b.p + k, b.len - k), 0, "second piece from %zu", k);
        kinesis_error *err = kc_event_stream_finish(&es);
        cr_assert_null(err, "split at %zu: %s", k, err ? err->message : "");
        check_canned(&g);
        kc_event_stream_clean_up(&es);
    }
    free(b.p);
}

Test(event_stream, byte_by_byte_and_random_cuts)
{
    bytes b = canned();
    got g = {0};
    kc_event_stream es;
    es_init(&es, &g);
    for (size_t i = 0; i < b.len; i++)
        cr_assert_eq(kc_event_stream_feed(&es, b.p + i, 1), 0);
    cr_assert_null(kc_event_stream_finish(&es));
    check_canned(&g);
    kc_event_stream_clean_up(&es);
    uint64_t rng = 7;
    for (int round = 0; round < 300; round++) {
        got g2 = {0};
        es_init(&es, &g2);
        size_t off = 0;
        while (off < b.len) {
            size_t n = 1 + (size_t)(kinesis_rng_next(&rng) % 97);
            if (n > b.len - off)
                n = b.len - off;
            cr_assert_eq(kc_event_stream_feed(&es, b.p + off, n), 0);
            off += n;
        }
        cr_assert_null(kc_event_stream_finish(&es));
        check_canned(&g2);
        kc_event_stream_clean_up(&es);
    }
    free(b.p);
}

Test(event_stream, every_corrupted_byte_is_unexpected_response)
{
    bytes b = canned();
    /* offsets where each message ends, to know how many events may precede a corruption */
    size_t ends[4], off = 0;
    for (int i = 0; i < 4; i++) {
        uint32_t total = (uint32_t)b.p[off] << 24 | (uint32_t)b.p[off + 1] << 16 |
                         (uint32_t)b.p[off + 2] << 8 | b.p[off + 3];
        off += total;
        ends[i] = off;
    }
    cr_assert_eq(off, b.len);
    for (size_t i = 0; i < b.len; i++) {
        b.p[i] ^= 0x20;
        got g = {0};
        kc_event_stream es;
        es_init(&es, &g);
        int rc = kc_event_stream_feed(&es, b.p, b.len);
        kinesis_error *err = kc_event_stream_finish(&es);
        cr_assert_eq(rc, -1, "corruption at %zu went unnoticed", i);
        cr_assert_not_null(err);
        cr_assert_eq(err->type, KINESIS_ERROR_UNEXPECTED_RESPONSE, "at %zu: %s", i, err->message);
        cr_assert_str_eq(err->name, KINESIS_ERR_MALFORMED);
        int before = 0; /* events whose message ends before the corrupted byte */
        for (int m = 1; m < 4; m++)
            if (ends[m] <= i)
                before++;
        cr_assert_eq(g.events, before, "at %zu: %d events, expected %d", i, g.events, before);
        kinesis_error_free(err);
        kc_event_stream_clean_up(&es);
        b.p[i] ^= 0x20;
    }
    free(b.p);
}

Test(event_stream, truncated_and_empty_streams)
{
    bytes b = canned();
    for (size_t cut = 1; cut < 40; cut++) {
        got g = {0};
        kc_event_stream es;
        es_init(&es, &g);
        cr_assert_eq(kc_event_stream_feed(&es, b.p, b.len - cut), 0);
        kinesis_error *err = kc_event_stream_finish(&es);
        cr_assert_not_null(err, "a stream missing its last %zu bytes ended cleanly", cut);
        cr_assert_eq(err->type, KINESIS_ERROR_UNEXPECTED_RESPONSE);
        cr_assert(strstr(err->message, "ended inside a message"), "%s", err->message);
        cr_assert_eq(g.events, 2);
        kinesis_error_free(err);
        kc_event_stream_clean_up(&es);
    }
    got g = {0};
    kc_event_stream es;
    es_init(&es, &g);
    kinesis_error *err = kc_event_stream_finish(&es);
    cr_assert_not_null(err);
    cr_assert_eq(err->type, KINESIS_ERROR_UNEXPECTED_RESPONSE);
    kinesis_error_free(err);
    kc_event_stream_clean_up(&es);
    free(b.p);
}

Test(event_stream, absurd_length_is_rejected_at_once)
{
    /* a prelude claiming 1 GiB with a valid CRC: rejected without waiting for the bytes */
    uint8_t pre[12] = {0x40, 0, 0, 0, 0, 0, 0, 0};
    uint32_t crc = es_crc32(0, pre, 8);
    pre[8] = (uint8_t)(crc >> 24), pre[9] = (uint8_t)(crc >> 16), pre[10] = (uint8_t)(crc >> 8),
    pre[11] = (uint8_t)crc;
    got g = {0};
    kc_event_stream es;
    es_init(&es, &g);
    cr_assert_eq(kc_event_stream_feed(&es, pre, sizeof pre), -1);
    kinesis_error *err = kc_event_stream_finish(&es);
    cr_assert_eq(err->type, KINESIS_ERROR_UNEXPECTED_RESPONSE);
    cr_assert(strstr(err->message, "length"), "%s", err->message);
    kinesis_error_free(err);
    kc_event_stream_clean_up(&es);
}

Test(event_stream, exception_after_an_event)
{
    bytes b = {0};
    add_event(&b, "initial-response", "{}");
    add_event(&b, "SubscribeToShardEvent", EV2);
    add_exception(&b, "ResourceInUseException", "{\"message\":\"Another subscription took over.\"}");
    add_event(&b, "SubscribeToShardEvent", EV2); /* never delivered */
    got g = {0};
    kc_event_stream es;
    es_init(&es, &g);
    cr_assert_eq(kc_event_stream_feed(&es, b.p, b.len), -1);
    cr_assert_eq(kc_event_stream_feed(&es, b.p, b.len), -1, "feeding after a failure does nothing");
    cr_assert_eq(g.events, 1);
    kinesis_error *err = kc_event_stream_finish(&es);
    cr_assert_not_null(err);
    cr_assert_eq(err->type, KINESIS_ERROR_REQUEST_FAILED);
    cr_assert_str_eq(err->name, "ResourceInUseException");
    cr_assert_str_eq(err->message, "Another subscription took over.");
    cr_assert_eq(g.events, 1);
    kinesis_error_free(err);
    kc_event_stream_clean_up(&es);
    free(b.p);
}

Test(event_stream, error_message_type)
{
    bytes b = {0};
    es_header h[3] = {es_header_string(":message-type", "error"),
                      es_header_string(":error-code", "InternalFailure"),
                      es_header_string(":error-message", "it broke")};
    add_raw_message(&b, h, 3, "");
    got g = {0};
    kc_event_stream es;
    es_init(&es, &g);
    cr_assert_eq(kc_event_stream_feed(&es, b.p, b.len), -1);
    kinesis_error *err = kc_event_stream_finish(&es);
    cr_assert_eq(err->type, KINESIS_ERROR_REQUEST_FAILED);
    cr_assert_str_eq(err->name, "InternalFailure");
    cr_assert_str_eq(err->message, "it broke");
    kinesis_error_free(err);
    kc_event_stream_clean_up(&es);
    free(b.p);
}

/* A stream of one message that decodes as a frame but not as a SubscribeToShard message. */
static void expect_malformed_message(const es_header *h, size_t nh, const char *payload, const char *needle)
{
    bytes b = {0};
    add_raw_message(&b, h, nh, payload);
    got g = {0};
    kc_event_stream es;
    es_init(&es, &g);
    cr_assert_eq(kc_event_stream_feed(&es, b.p, b.len), -1, "accepted: %s", payload);
    kinesis_error *err = kc_event_stream_finish(&es);
    cr_assert_not_null(err);
    cr_assert_eq(err->type, KINESIS_ERROR_UNEXPECTED_RESPONSE, "%s", err->message);
    if (needle)
        cr_assert(strstr(err->message, needle), "%s lacks %s", err->message, needle);
    cr_assert_eq(g.events, 0);
    kinesis_error_free(err);
    kc_event_stream_clean_up(&es);
    free(b.p);
}

Test(event_stream, malformed_messages)
{
    es_header ev[2] = {es_header_string(":message-type", "event"),
                       es_header_string(":event-type", "SubscribeToShardEvent")};
    expect_malformed_message(ev, 2, "not json", "JSON");
    expect_malformed_message(ev, 2, "[1,2]", NULL);
    expect_malformed_message(ev, 2, "{\"MillisBehindLatest\":0}", "Records");
    expect_malformed_message(
        ev, 2,
        "{\"Records\":[{\"SequenceNumber\":\"1\",\"PartitionKey\":\"k\",\"Data\":\"%%%\","
        "\"ApproximateArrivalTimestamp\":1}]}",
        "base64");
    expect_malformed_message(ev, 2, "{\"Records\":[],\"ContinuationSequenceNumber\":5}",
                             "ContinuationSequenceNumber");
    expect_malformed_message(ev, 2, "{\"Records\":[],\"MillisBehindLatest\":\"x\"}", "MillisBehindLatest");
    expect_malformed_message(ev, 2, "{\"Records\":[],\"ChildShards\":[7]}", "ChildShards");
    es_header none[1] = {es_header_string(":event-type", "SubscribeToShardEvent")};
    expect_malformed_message(none, 1, "{\"Records\":[]}", "message-type");
    es_header odd[1] = {es_header_string(":message-type", "gossip")};
    expect_malformed_message(odd, 1, "{}", "message-type");
    es_header exc[1] = {es_header_string(":message-type", "exception")};
    expect_malformed_message(exc, 1, "{}", "exception-type");
}

Test(event_stream, unknown_event_types_are_skipped)
{
    bytes b = {0};
    add_event(&b, "initial-response", "{}");
    add_event(&b, "SomeFutureEvent", "{\"x\":1}");
    add_event(&b, "SubscribeToShardEvent", EV2);
    got g = {0};
    kc_event_stream es;
    es_init(&es, &g);
    cr_assert_eq(kc_event_stream_feed(&es, b.p, b.len), 0);
    cr_assert_null(kc_event_stream_finish(&es));
    cr_assert_eq(g.events, 1);
    cr_assert_eq(es.messages, 3);
    kc_event_stream_clean_up(&es);
    free(b.p);
}

Test(event_stream, stop_flag_ends_delivery)
{
    bytes b = canned();
    got g = {.stop_after = 1};
    kc_event_stream es;
    es_init(&es, &g);
    cr_assert_eq(kc_event_stream_feed(&es, b.p, b.len), -1);
    cr_assert_eq(g.events, 1);
    cr_assert_eq(kc_event_stream_feed(&es, b.p, b.len), -1);
    cr_assert_eq(g.events, 1);
    kc_event_stream_clean_up(&es);
    free(b.p);
}

/* ------------------------------------------------------------------ request bodies */

static json_t *build(const char *arn, const char *shard, const kinesis_starting_position *pos,
                     kinesis_error **err)
{
    char *body = kc_build_subscribe_to_shard(arn, shard, pos, err);
    if (!body)
        return NULL;
    json_t *j = json_loads(body, 0, NULL);
    free(body);
    cr_assert_not_null(j);
    return j;
}

Test(subscribe_request, bodies_per_position_type)
{
    const char *arn = "arn:aws:kinesis:us-east-1:123456789012:stream/s/consumer/c:1";
    kinesis_error *err = NULL;
    kinesis_starting_position th = {KINESIS_ITERATOR_TRIM_HORIZON, NULL, 0};
    json_t *j = build(arn, "shardId-000000000000", &th, &err);
    cr_assert_null(err);
    cr_assert_str_eq(json_string_value(json_object_get(j, "ConsumerARN")), arn);
    cr_assert_str_eq(json_string_value(json_object_get(j, "ShardId")), "shardId-000000000000");
    json_t *sp = json_object_get(j, "StartingPosition");
    cr_assert_str_eq(json_string_value(json_object_get(sp, "Type")), "TRIM_HORIZON");
    cr_assert_eq(json_object_size(sp), 1);
    json_decref(j);

    kinesis_starting_position after = {KINESIS_ITERATOR_AFTER_SEQUENCE_NUMBER, SEQ1, 0};
    j = build(arn, "shardId-000000000001", &after, &err);
    sp = json_object_get(j, "StartingPosition");
    cr_assert_str_eq(json_string_value(json_object_get(sp, "Type")), "AFTER_SEQUENCE_NUMBER");
    cr_assert_str_eq(json_string_value(json_object_get(sp, "SequenceNumber")), SEQ1);
    json_decref(j);

    kinesis_starting_position at = {KINESIS_ITERATOR_AT_TIMESTAMP, NULL, 1700000000500LL};
    j = build(arn, "shardId-000000000001", &at, &err);
    sp = json_object_get(j, "StartingPosition");
    cr_assert_str_eq(json_string_value(json_object_get(sp, "Type")), "AT_TIMESTAMP");
    cr_assert_float_eq(json_number_value(json_object_get(sp, "Timestamp")), 1700000000.5, 1e-6);
    json_decref(j);

    kinesis_starting_position epoch = {KINESIS_ITERATOR_AT_TIMESTAMP, NULL, 0}; /* the epoch: everything */
    j = build(arn, "shardId-000000000001", &epoch, &err);
    sp = json_object_get(j, "StartingPosition");
    cr_assert(json_is_number(json_object_get(sp, "Timestamp")), "Timestamp 0 is sent");
    cr_assert_float_eq(json_number_value(json_object_get(sp, "Timestamp")), 0.0, 1e-9);
    json_decref(j);
}

Test(subscribe_request, bad_arguments)
{
    kinesis_starting_position th = {KINESIS_ITERATOR_TRIM_HORIZON, NULL, 0};
    kinesis_starting_position at_seq_missing = {KINESIS_ITERATOR_AT_SEQUENCE_NUMBER, NULL, 0};
    /* 0 is the epoch (a valid time, issue 14); a negative time is what cannot be sent */
    kinesis_starting_position ts_missing = {KINESIS_ITERATOR_AT_TIMESTAMP, NULL, -1};
    kinesis_starting_position mismatch = {KINESIS_ITERATOR_LATEST, SEQ1, 0};
    kinesis_starting_position bad_type = {(kinesis_iterator_type)42, NULL, 0};
    struct {
        const char *arn, *shard;
        const kinesis_starting_position *pos;
    } cases[] = {{NULL, "s", &th},        {"", "s", &th},        {"a", NULL, &th},
                 {"a", "", &th},          {"a", "s", NULL},      {"a", "s", &at_seq_missing},
                 {"a", "s", &ts_missing}, {"a", "s", &mismatch}, {"a", "s", &bad_type},
                 {"a\xff", "s", &th}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        kinesis_error *err = NULL;
        char *body = kc_build_subscribe_to_shard(cases[i].arn, cases[i].shard, cases[i].pos, &err);
        cr_assert_null(body, "case %zu built %s", i, body);
        cr_assert_not_null(err, "case %zu", i);
        cr_assert_eq(err->type, KINESIS_ERROR_LIBRARY);
        cr_assert_str_eq(err->name, KINESIS_ERR_INVALID_PARAMETER);
        kinesis_error_free(err);
    }
}

/* ------------------------------------------------------------------ a raw streaming server */

typedef struct raw_answer {
    const char *head; /* status line and headers, without the blank line; NULL: close at once */
    const uint8_t *body;
    size_t body_len;
    const size_t *cuts; /* increasing offsets where the body is cut into separate chunks */
    size_t n_cuts;
    int drop;    /* close without the terminating chunk */
    int hold_ms; /* after the body, wait this long for the client to close before ending */
} raw_answer;

#define RS_MAX 8

typedef struct raw_server {
    int fd;
    char url[64];
    pthread_t thread;
    const raw_answer *script;
    size_t n;
    volatile int stop;
    char *reqs[RS_MAX]; /* request head + body as received (NUL-terminated) */
    size_t n_reqs;
    int client_closed[RS_MAX]; /* the client closed the connection during hold_ms */
} raw_server;

static void send_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n > 0) {
        ssize_t w = send(fd, c, n, MSG_NOSIGNAL);
        if (w <= 0)
            return;
        c += w;
        n -= (size_t)w;
    }
}

static void nap_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Read one request (or the HTTP/2 preface) within 5 s. */
static char *read_request(int fd)
{
    size_t cap = 65536, len = 0;
    char *buf = calloc(1, cap);
    for (int waited = 0; buf && waited < 5000 && len < cap - 1;) {
        struct pollfd pf = {fd, POLLIN, 0};
        if (poll(&pf, 1, 20) <= 0) {
            waited += 20;
            continue;
        }
        ssize_t r = recv(fd, buf + len, cap - 1 - len, 0);
        if (r <= 0)
            break;
        len += (size_t)r;
        buf[len] = '\0';
        if (strncmp(buf, "PRI * HTTP/2.0", len < 14 ? len : 14) == 0 && len >= 14)
            break;
        char *end = strstr(buf, "\r\n\r\n");
        if (!end)
            continue;
        const char *cl = strstr(buf, "\r\nContent-Length:");
        size_t body = cl && cl < end ? strtoul(cl + 17, NULL, 10) : 0;
        if (len >= (size_t)(end + 4 - buf) + body)
            break;
    }
    return buf;
}

static void *rs_run(void *arg)
{
    raw_server *s = arg;
    for (size_t i = 0; i < s->n && !s->stop;) {
        struct pollfd pf = {s->fd, POLLIN, 0};
        if (poll(&pf, 1, 20) <= 0)
            continue;
        int c = accept(s->fd, NULL, NULL);
        if (c < 0)
            continue;
        int one = 1;
        setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        char *req = read_request(c);
        if (s->n_reqs < RS_MAX)
            s->reqs[s->n_reqs++] = req;
        else
            free(req);
        const raw_answer *a = &s->script[i++];
        if (a->head && req && strncmp(req, "PRI ", 4) != 0) {
            char head[1024];
            int hn = snprintf(head, sizeof head,
                              "%s\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n", a->head);
            send_all(c, head, (size_t)hn);
            size_t from = 0;
            for (size_t k = 0; k <= a->n_cuts; k++) {
                size_t to = k < a->n_cuts ? a->cuts[k] : a->body_len;
                if (to > from) {
                    char sz[32];
                    int zn = snprintf(sz, sizeof sz, "%zx\r\n", to - from);
                    send_all(c, sz, (size_t)zn);
                    send_all(c, a->body + from, to - from);
                    send_all(c, "\r\n", 2);
                    if (k < a->n_cuts)
                        nap_ms(3);
                }
                from = to > from ? to : from;
            }
            for (int waited = 0; waited < a->hold_ms && !s->stop; waited += 10) {
                struct pollfd cp = {c, POLLIN, 0};
                char tmp[64];
                if (poll(&cp, 1, 10) > 0 && recv(c, tmp, sizeof tmp, 0) <= 0) {
                    s->client_closed[i - 1] = 1;
                    break;
                }
            }
            if (!a->drop)
                send_all(c, "0\r\n\r\n", 5);
        }
        close(c);
    }
    return NULL;
}

static raw_server *rs_start(const raw_answer *script, size_t n)
{
    raw_server *s = calloc(1, sizeof *s);
    cr_assert_not_null(s);
    s->script = script;
    s->n = n;
    s->fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t al = sizeof a;
    cr_assert(s->fd >= 0 && bind(s->fd, (struct sockaddr *)&a, sizeof a) == 0 && listen(s->fd, 8) == 0 &&
              getsockname(s->fd, (struct sockaddr *)&a, &al) == 0);
    snprintf(s->url, sizeof s->url, "http://127.0.0.1:%d", ntohs(a.sin_port));
    cr_assert_eq(pthread_create(&s->thread, NULL, rs_run, s), 0);
    return s;
}

static void rs_stop(raw_server *s)
{
    s->stop = 1;
    pthread_join(s->thread, NULL);
    close(s->fd);
    for (size_t i = 0; i < s->n_reqs; i++)
        free(s->reqs[i]);
    free(s);
}

#define EVENTSTREAM_HEAD                                                                                     \
    "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.amazon.eventstream\r\nx-amzn-RequestId: rid-1"
#define ARN "arn:aws:kinesis:us-east-1:123456789012:stream/s/consumer/c:1"

static kinesis_client *client_for(const char *url, int h2)
{
    kinesis_client_options o = {.region = "us-east-1",
                                .endpoint = url,
                                .access_key_id = "AKIDEXAMPLE",
                                .secret_access_key = "secret",
                                .connect_timeout_ms = 2000,
                                .request_timeout_ms = 5000,
                                .retry = {.max_attempts = 3, .base_delay_ms = 1, .max_delay_ms = 5},
                                .http2_prior_knowledge = h2};
    kinesis_error *err = NULL;
    kinesis_client *c = kinesis_client_new(&o, &err);
    cr_assert_not_null(c, "%s", err ? err->message : "");
    return c;
}

/* Run the client until the subscription ended (or was cancelled) and nothing is pending: 10 s at most. */
static void drive(kinesis_client *c, got *g)
{
    for (int i = 0; i < 1000; i++) {
        int pending = kinesis_client_run(c, 10);
        if (pending <= 0 &&
            (g->ends || g->errors || (g->sub && !kinesis_subscription_active(g->sub)) || !g->sub))
            return;
    }
    cr_assert_fail("the subscription did not end within 10 s");
}

static kinesis_subscription *subscribe(kinesis_client *c, got *g)
{
    kinesis_starting_position pos = {KINESIS_ITERATOR_TRIM_HORIZON, NULL, 0};
    kinesis_subscribe_callbacks cb = {on_event, on_error, on_end, g};
    g->sub = kinesis_subscribe_to_shard(c, ARN, "shardId-000000000000", &pos, &cb);
    cr_assert_not_null(g->sub);
    return g->sub;
}

/* ------------------------------------------------------------------ subscriptions over HTTP */

Test(subscription, receives_events_with_the_body_cut_anywhere)
{
    bytes b = canned();
    /* every offset would take minutes of pauses; every 3rd offset, plus a 3-way cut, covers each
     * part of a message (prelude, headers, payload, CRC) many times */
    for (size_t k = 1; k < b.len; k += 3) {
        size_t cuts[2] = {k, k + (b.len - k) / 2};
        raw_answer a = {EVENTSTREAM_HEAD, b.p, b.len, cuts, (k % 2) ? 2 : 1, 0, 0};
        raw_server *s = rs_start(&a, 1);
        kinesis_client *c = client_for(s->url, 0);
        got g = {0};
        subscribe(c, &g);
        drive(c, &g);
        cr_assert_eq(g.errors, 0, "cut at %zu: %s", k, g.err ? g.err->message : "");
        cr_assert_eq(g.ends, 1);
        check_canned(&g);
        cr_assert_eq(kinesis_subscription_active(g.sub), 0);
        kinesis_subscription_free(g.sub);
        kinesis_client_free(c);
        rs_stop(s);
        got_clean(&g);
    }
    free(b.p);
}

Test(subscription, sends_a_signed_subscribe_request)
{
    bytes b = canned();
    raw_answer a = {EVENTSTREAM_HEAD, b.p, b.len, NULL, 0, 0, 0};
    raw_server *s = rs_start(&a, 1);
    kinesis_client *c = client_for(s->url, 0);
    got g = {0};
    kinesis_starting_position pos = {KINESIS_ITERATOR_AT_SEQUENCE_NUMBER, SEQ1, 0};
    kinesis_subscribe_callbacks cb = {on_event, on_error, on_end, &g};
    g.sub = kinesis_subscribe_to_shard(c, ARN, "shardId-000000000003", &pos, &cb);
    drive(c, &g);
    cr_assert_eq(g.ends, 1);
    cr_assert_eq(s->n_reqs, 1);
    const char *req = s->reqs[0];
    cr_assert(strncmp(req, "POST / HTTP/1.1\r\n", 17) == 0, "%.40s", req);
    cr_assert(strstr(req, "\r\nX-Amz-Target: Kinesis_20131202.SubscribeToShard\r\n"), "%s", req);
    cr_assert(strstr(req, "\r\nAuthorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"), "%s", req);
    json_t *body = json_loads(strstr(req, "\r\n\r\n") + 4, 0, NULL);
    cr_assert_not_null(body);
    cr_assert_str_eq(json_string_value(json_object_get(body, "ConsumerARN")), ARN);
    cr_assert_str_eq(json_string_value(json_object_get(body, "ShardId")), "shardId-000000000003");
    json_t *sp = json_object_get(body, "StartingPosition");
    cr_assert_str_eq(json_string_value(json_object_get(sp, "Type")), "AT_SEQUENCE_NUMBER");
    cr_assert_str_eq(json_string_value(json_object_get(sp, "SequenceNumber")), SEQ1);
    json_decref(body);
    kinesis_subscription_free(g.sub);
    kinesis_client_free(c);
    rs_stop(s);
    free(b.p);
}

Test(subscription, http2_prior_knowledge_only_when_asked)
{
    for (int h2 = 0; h2 <= 1; h2++) {
        bytes b = canned();
        raw_answer a[3] = {{EVENTSTREAM_HEAD, b.p, b.len, NULL, 0, 0, 0}};
        a[1] = a[2] = a[0]; /* with h2 the client retries its transport failures (3 attempts) */
        raw_server *s = rs_start(a, h2 ? 3 : 1);
        kinesis_client *c = client_for(s->url, h2);
        got g = {0};
        subscribe(c, &g);
        drive(c, &g);
        cr_assert_eq(s->n_reqs, h2 ? 3u : 1u);
        if (h2) { /* this HTTP/1.1-only server sees the HTTP/2 preface and hangs up */
            cr_assert(strncmp(s->reqs[0], "PRI * HTTP/2.0\r\n", 16) == 0, "%.20s", s->reqs[0]);
            cr_assert_eq(g.errors, 1);
            cr_assert_eq(g.err->type, KINESIS_ERROR_LIBRARY);
        } else {
            cr_assert(strncmp(s->reqs[0], "POST / HTTP/1.1\r\n", 17) == 0, "%.20s", s->reqs[0]);
            cr_assert_eq(g.ends, 1);
        }
        kinesis_subscription_free(g.sub);
        kinesis_client_free(c);
        rs_stop(s);
        got_clean(&g);
        free(b.p);
    }
}

Test(subscription, error_answer_before_the_stream)
{
    static const uint8_t body[] =
        "{\"__type\":\"ResourceInUseException\",\"message\":\"Consumer is not ACTIVE\"}";
    raw_answer a = {
        "HTTP/1.1 400 Bad Request\r\nContent-Type: application/x-amz-json-1.1\r\nx-amzn-RequestId: r-400",
        body,
        sizeof body - 1,
        NULL,
        0,
        0,
        0};
    raw_server *s = rs_start(&a, 1);
    kinesis_client *c = client_for(s->url, 0);
    got g = {0};
    subscribe(c, &g);
    drive(c, &g);
    cr_assert_eq(g.errors, 1);
    cr_assert_eq(g.events, 0);
    cr_assert_eq(g.ends, 0);
    cr_assert_eq(g.err->type, KINESIS_ERROR_REQUEST_FAILED);
    cr_assert_str_eq(g.err->name, "ResourceInUseException");
    cr_assert_str_eq(g.err->message, "Consumer is not ACTIVE");
    cr_assert_eq(g.err->http_status, 400);
    cr_assert_str_eq(g.err->request_id, "r-400");
    cr_assert_eq(s->n_reqs, 1, "not retryable: one request");
    kinesis_subscription_free(g.sub);
    kinesis_client_free(c);
    rs_stop(s);
    got_clean(&g);
}

Test(subscription, retried_before_the_stream_starts)
{
    static const uint8_t busy[] = "{\"__type\":\"LimitExceededException\",\"message\":\"Rate exceeded\"}";
    bytes b = canned();
    raw_answer a[2] = {{"HTTP/1.1 400 Bad Request\r\nContent-Type: application/x-amz-json-1.1", busy,
                        sizeof busy - 1, NULL, 0, 0, 0},
                       {EVENTSTREAM_HEAD, b.p, b.len, NULL, 0, 0, 0}};
    raw_server *s = rs_start(a, 2);
    kinesis_client *c = client_for(s->url, 0);
    got g = {0};
    subscribe(c, &g);
    drive(c, &g);
    cr_assert_eq(g.errors, 0, "%s", g.err ? g.err->message : "");
    cr_assert_eq(g.ends, 1);
    check_canned(&g);
    cr_assert_eq(s->n_reqs, 2);
    kinesis_subscription_free(g.sub);
    kinesis_client_free(c);
    rs_stop(s);
    free(b.p);
}

Test(subscription, exception_inside_the_stream)
{
    bytes b = {0};
    add_event(&b, "initial-response", "{}");
    add_event(&b, "SubscribeToShardEvent", EV1);
    add_exception(&b, "ResourceNotFoundException", "{\"message\":\"Consumer c not found.\"}");
    size_t cut = b.len - 5;
    raw_answer a = {EVENTSTREAM_HEAD, b.p, b.len, &cut, 1, 0, 0};
    raw_server *s = rs_start(&a, 1);
    kinesis_client *c = client_for(s->url, 0);
    got g = {0};
    subscribe(c, &g);
    drive(c, &g);
    cr_assert_eq(g.events, 1);
    cr_assert_eq(g.ends, 0);
    cr_assert_eq(g.errors, 1);
    cr_assert_eq(g.err->type, KINESIS_ERROR_REQUEST_FAILED);
    cr_assert_str_eq(g.err->name, "ResourceNotFoundException");
    cr_assert_str_eq(g.err->message, "Consumer c not found.");
    cr_assert_str_eq(g.err->request_id, "rid-1");
    cr_assert_eq(s->n_reqs, 1, "never retried once the stream started");
    kinesis_subscription_free(g.sub);
    kinesis_client_free(c);
    rs_stop(s);
    got_clean(&g);
    free(b.p);
}

Test(subscription, corrupt_frame_is_unexpected_response)
{
    bytes b = canned();
    b.p[b.len - 30] ^= 0x01; /* inside the last event's payload: its message CRC fails */
    raw_answer a = {EVENTSTREAM_HEAD, b.p, b.len, NULL, 0, 0, 0};
    raw_server *s = rs_start(&a, 1);
    kinesis_client *c = client_for(s->url, 0);
    got g = {0};
    subscribe(c, &g);
    drive(c, &g);
    cr_assert_eq(g.events, 2);
    cr_assert_eq(g.errors, 1);
    cr_assert_eq(g.err->type, KINESIS_ERROR_UNEXPECTED_RESPONSE);
    cr_assert(strstr(g.err->message, "CRC"), "%s", g.err->message);
    cr_assert_eq(s->n_reqs, 1);
    kinesis_subscription_free(g.sub);
    kinesis_client_free(c);
    rs_stop(s);
    got_clean(&g);
    free(b.p);
}

Test(subscription, not_an_event_stream)
{
    static const uint8_t body[] = "{\"Records\":[]}";
    raw_answer a = {
        "HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.1", body, sizeof body - 1, NULL, 0, 0, 0};
    raw_server *s = rs_start(&a, 1);
    kinesis_client *c = client_for(s->url, 0);
    got g = {0};
    subscribe(c, &g);
    drive(c, &g);
    cr_assert_eq(g.errors, 1);
    cr_assert_eq(g.err->type, KINESIS_ERROR_UNEXPECTED_RESPONSE);
    kinesis_subscription_free(g.sub);
    kinesis_client_free(c);
    rs_stop(s);
    got_clean(&g);
}

Test(subscription, dropped_connection_mid_stream)
{
    bytes b = canned();
    size_t part = b.len - 20; /* the server sends all but the end of the last message, then hangs up */
    raw_answer a = {EVENTSTREAM_HEAD, b.p, part, NULL, 0, 1, 0};
    raw_server *s = rs_start(&a, 1);
    kinesis_client *c = client_for(s->url, 0);
    got g = {0};
    subscribe(c, &g);
    drive(c, &g);
    cr_assert_eq(g.events, 2);
    cr_assert_eq(g.errors, 1);
    cr_assert_eq(g.ends, 0);
    cr_assert_eq(g.err->type, KINESIS_ERROR_LIBRARY, "%s", g.err->message);
    cr_assert_str_eq(g.err->name, KINESIS_ERR_TRANSPORT);
    cr_assert_eq(s->n_reqs, 1, "never retried once the stream started");
    kinesis_subscription_free(g.sub);
    kinesis_client_free(c);
    rs_stop(s);
    got_clean(&g);
    free(b.p);
}

Test(subscription, cancel_inside_on_event)
{
    bytes b = canned();
    size_t cuts[1] = {0};
    /* the first event in its own piece, so the cancel happens while more is to come */
    uint32_t first = (uint32_t)b.p[0] << 24 | (uint32_t)b.p[1] << 16 | (uint32_t)b.p[2] << 8 | b.p[3];
    uint32_t second = (uint32_t)b.p[first] << 24 | (uint32_t)b.p[first + 1] << 16 |
                      (uint32_t)b.p[first + 2] << 8 | b.p[first + 3];
    cuts[0] = first + second;
    raw_answer a = {EVENTSTREAM_HEAD, b.p, b.len, cuts, 1, 0, 2000};
    raw_server *s = rs_start(&a, 1);
    kinesis_client *c = client_for(s->url, 0);
    got g = {.cancel_after = 1};
    subscribe(c, &g);
    for (int i = 0; i < 500 && (g.events == 0 || kinesis_client_pending(c) > 0); i++)
        kinesis_client_run(c, 10);
    cr_assert_eq(g.events, 1);
    cr_assert_eq(kinesis_client_pending(c), 0);
    cr_assert_eq(kinesis_subscription_active(g.sub), 0);
    for (int i = 0; i < 10; i++)
        kinesis_client_run(c, 10);
    cr_assert_eq(g.events, 1, "no event after cancel");
    cr_assert_eq(g.ends + g.errors, 0, "no end or error after cancel");
    kinesis_subscription_free(g.sub);
    kinesis_client_free(c);
    rs_stop(s);
    free(b.p);
}

Test(subscription, free_inside_on_event)
{
    bytes b = canned();
    raw_answer a = {EVENTSTREAM_HEAD, b.p, b.len, NULL, 0, 0, 0};
    raw_server *s = rs_start(&a, 1);
    kinesis_client *c = client_for(s->url, 0);
    got g = {.free_after = 1};
    subscribe(c, &g);
    for (int i = 0; i < 500 && (g.events == 0 || kinesis_client_pending(c) > 0); i++)
        kinesis_client_run(c, 10);
    cr_assert_eq(g.events, 1);
    cr_assert_null(g.sub);
    cr_assert_eq(kinesis_client_pending(c), 0);
    cr_assert_eq(g.ends + g.errors, 0);
    kinesis_client_free(c);
    rs_stop(s);
    free(b.p);
}

Test(subscription, free_inside_on_end)
{
    bytes b = canned();
    raw_answer a = {EVENTSTREAM_HEAD, b.p, b.len, NULL, 0, 0, 0};
    raw_server *s = rs_start(&a, 1);
    kinesis_client *c = client_for(s->url, 0);
    got g = {.free_on_end = 1};
    subscribe(c, &g);
    for (int i = 0; i < 500 && g.ends == 0; i++)
        kinesis_client_run(c, 10);
    cr_assert_eq(g.ends, 1);
    cr_assert_null(g.sub);
    cr_assert_eq(kinesis_client_pending(c), 0);
    kinesis_client_free(c);
    rs_stop(s);
    free(b.p);
}

Test(subscription, cancel_from_outside_closes_the_connection)
{
    bytes b = {0};
    add_event(&b, "initial-response", "{}");
    add_event(&b, "SubscribeToShardEvent", EV2);
    raw_answer a = {
        EVENTSTREAM_HEAD, b.p, b.len, NULL, 0, 0, 3000}; /* then the server holds the stream open */
    raw_server *s = rs_start(&a, 1);
    kinesis_client *c = client_for(s->url, 0);
    got g = {0};
    subscribe(c, &g);
    for (int i = 0; i < 500 && g.events == 0; i++)
        kinesis_client_run(c, 10);
    cr_assert_eq(g.events, 1);
    cr_assert_eq(kinesis_client_pending(c), 1, "the stream is still open");
    cr_assert_eq(kinesis_subscription_active(g.sub), 1);
    kinesis_subscription_cancel(g.sub);
    kinesis_subscription_cancel(g.sub); /* twice is harmless */
    cr_assert_eq(kinesis_client_pending(c), 0);
    cr_assert_eq(kinesis_subscription_active(g.sub), 0);
    for (int i = 0; i < 200 && !s->client_closed[0]; i++)
        nap_ms(10);
    cr_assert(s->client_closed[0], "the server did not see the connection close");
    cr_assert_eq(g.ends + g.errors, 0);
    kinesis_subscription_free(g.sub);
    kinesis_client_free(c);
    rs_stop(s);
    free(b.p);
}

Test(subscription, client_freed_before_the_handle)
{
    bytes b = {0};
    add_event(&b, "initial-response", "{}");
    raw_answer a = {EVENTSTREAM_HEAD, b.p, b.len, NULL, 0, 0, 1000};
    raw_server *s = rs_start(&a, 1);
    kinesis_client *c = client_for(s->url, 0);
    got g = {0};
    subscribe(c, &g);
    for (int i = 0; i < 20; i++)
        kinesis_client_run(c, 10);
    kinesis_client_free(c);
    cr_assert_eq(kinesis_subscription_active(g.sub), 0);
    kinesis_subscription_cancel(g.sub);
    kinesis_subscription_free(g.sub);
    cr_assert_eq(g.ends + g.errors, 0);
    rs_stop(s);
    free(b.p);
}

Test(subscription, argument_errors_go_to_on_error)
{
    kinesis_client *c = client_for("http://127.0.0.1:9", 0);
    got g = {0};
    kinesis_starting_position pos = {KINESIS_ITERATOR_AT_SEQUENCE_NUMBER, NULL, 0};
    kinesis_subscribe_callbacks cb = {on_event, on_error, on_end, &g};
    g.sub = kinesis_subscribe_to_shard(c, ARN, "shardId-000000000000", &pos, &cb);
    cr_assert_not_null(g.sub);
    drive(c, &g);
    cr_assert_eq(g.errors, 1);
    cr_assert_eq(g.err->type, KINESIS_ERROR_LIBRARY);
    cr_assert_str_eq(g.err->name, KINESIS_ERR_INVALID_PARAMETER);
    kinesis_subscription_free(g.sub);
    got_clean(&g);
    kinesis_subscribe_callbacks no_event = {NULL, on_error, on_end, &g};
    cr_assert_null(kinesis_subscribe_to_shard(c, ARN, "s", &pos, &no_event));
    cr_assert_null(kinesis_subscribe_to_shard(c, ARN, "s", &pos, NULL));
    cr_assert_null(kinesis_subscribe_to_shard(NULL, ARN, "s", &pos, &cb));
    kinesis_subscription_free(NULL);
    kinesis_subscription_cancel(NULL);
    cr_assert_eq(kinesis_subscription_active(NULL), 0);
    kinesis_client_free(c);
}
