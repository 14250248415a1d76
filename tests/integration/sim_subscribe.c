/* sim_subscribe.c: SubscribeToShard end to end against a running kinesis-sim
 * ($KINESIS_SIM_ENDPOINT): a registered consumer subscribes over HTTP/2 (cleartext, prior
 * knowledge, like the SDKs) and the test decodes the event stream with eventstream_decode
 * (client/shared/eventstream.c): the initial-response, records already in the shard, records put
 * while subscribed (same sequence numbers and data as PutRecord answered), ContinuationSequenceNumber,
 * the 5-second re-subscribe rule (ResourceInUseException), the errors before the stream starts,
 * the end of a split shard (ChildShards, null ContinuationSequenceNumber, the stream ends), an
 * exception event when the consumer is deregistered, the same stream over HTTP/1.1 (chunked), and
 * CBOR events for a CBOR request.
 * Every test uses its own stream and consumer. */
#include <cbor.h>
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "shared/eventstream.h"
#include "testlib.h"

#define AUTH_HDR                                                                                             \
    "Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/kinesis/aws4_request, "       \
    "SignedHeaders=host;x-amz-date, Signature=abc123"

static double now_s(void)
{
    return (double)tl_now_us() / 1e6;
}

static void nap_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* ---- set-up: a stream with a registered, ACTIVE consumer ---- */

typedef struct fixture {
    char stream[64];
    char stream_arn[256];
    char consumer_arn[512];
} fixture;

static json_t *call_ok(const char *op, json_t *in)
{
    long status = 0;
    json_t *out = tl_call_json(op, in, &status);
    cr_assert_eq(status, 200, "%s: %ld %s", op, status, out ? json_dumps(out, 0) : "(no body)");
    return out;
}

static void fixture_make(fixture *f, const char *prefix, int shards)
{
    tl_unique_name(prefix, f->stream, sizeof f->stream);
    json_t *in = json_pack("{s:s, s:i}", "StreamName", f->stream, "ShardCount", shards);
    json_decref(call_ok("CreateStream", in));
    json_decref(in);
    cr_assert_eq(tl_wait_stream_status(f->stream, "ACTIVE", 10000), 0);
    in = json_pack("{s:s}", "StreamName", f->stream);
    json_t *out = call_ok("DescribeStreamSummary", in);
    snprintf(
        f->stream_arn, sizeof f->stream_arn, "%s",
        json_string_value(json_object_get(json_object_get(out, "StreamDescriptionSummary"), "StreamARN")));
    json_decref(out);
    json_decref(in);
    in = json_pack("{s:s, s:s}", "StreamARN", f->stream_arn, "ConsumerName", "reader");
    out = call_ok("RegisterStreamConsumer", in);
    snprintf(f->consumer_arn, sizeof f->consumer_arn, "%s",
             json_string_value(json_object_get(json_object_get(out, "Consumer"), "ConsumerARN")));
    json_decref(out);
    json_decref(in);
    for (int i = 0; i < 200; i++) {
        in = json_pack("{s:s}", "ConsumerARN", f->consumer_arn);
        out = call_ok("DescribeStreamConsumer", in);
        const char *st =
            json_string_value(json_object_get(json_object_get(out, "ConsumerDescription"), "ConsumerStatus"));
        int active = st && strcmp(st, "ACTIVE") == 0;
        json_decref(out);
        json_decref(in);
        if (active)
            return;
        nap_ms(50);
    }
    cr_assert_fail("consumer of %s never became ACTIVE", f->stream);
}

static void fixture_drop(fixture *f)
{
    json_t *in = json_pack("{s:s, s:b}", "StreamName", f->stream, "EnforceConsumerDeletion", 1);
    long status = 0;
    json_decref(tl_call_json("DeleteStream", in, &status));
    json_decref(in);
}

/* PutRecord; returns the sequence number (malloc'd). */
static char *put(const fixture *f, const char *pk, const char *b64)
{
    json_t *in = json_pack("{s:s, s:s, s:s}", "StreamName", f->stream, "PartitionKey", pk, "Data", b64);
    json_t *out = call_ok("PutRecord", in);
    char *seq = strdup(json_string_value(json_object_get(out, "SequenceNumber")));
    json_decref(out);
    json_decref(in);
    return seq;
}

/* ---- a subscription: curl multi, the event stream decoded as it arrives ---- */

typedef struct sub {
    CURLM *m;
    CURL *e;
    struct curl_slist *hl;
    char body[1024];
    uint8_t *buf;
    size_t len, off; /* off: bytes already decoded */
    int done;
    CURLcode result;
    long status;
} sub;

static size_t sub_write(char *p, size_t size, size_t n, void *ud)
{
    sub *s = ud;
    size_t add = size * n;
    uint8_t *b = realloc(s->buf, s->len + add);
    if (!b)
        return 0;
    memcpy(b + s->len, p, add);
    s->buf = b;
    s->len += add;
    return add;
}

/* Start a subscription with this request body (len bytes) of this content type. */
static void sub_start_raw(sub *s, const void *body, size_t len, const char *content_type, long http_version)
{
    memset(s, 0, sizeof *s);
    cr_assert(len <= sizeof s->body);
    memcpy(s->body, body, len);
    char url[512], ct[128];
    snprintf(url, sizeof url, "%s/", tl_endpoint());
    snprintf(ct, sizeof ct, "Content-Type: %s", content_type);
    s->hl = curl_slist_append(s->hl, ct);
    s->hl = curl_slist_append(s->hl, "X-Amz-Target: Kinesis_20131202.SubscribeToShard");
    s->hl = curl_slist_append(s->hl, AUTH_HDR);
    s->hl = curl_slist_append(s->hl, "X-Amz-Date: 20150830T123600Z");
    s->e = curl_easy_init();
    curl_easy_setopt(s->e, CURLOPT_URL, url);
    curl_easy_setopt(s->e, CURLOPT_HTTP_VERSION, http_version);
    curl_easy_setopt(s->e, CURLOPT_POSTFIELDS, s->body);
    curl_easy_setopt(s->e, CURLOPT_POSTFIELDSIZE, (long)len);
    curl_easy_setopt(s->e, CURLOPT_HTTPHEADER, s->hl);
    curl_easy_setopt(s->e, CURLOPT_WRITEFUNCTION, sub_write);
    curl_easy_setopt(s->e, CURLOPT_WRITEDATA, s);
    curl_easy_setopt(s->e, CURLOPT_TIMEOUT_MS, 30000L);
    curl_easy_setopt(s->e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(s->e, CURLOPT_NOPROXY, "*");
    s->m = curl_multi_init();
    curl_multi_add_handle(s->m, s->e);
}

static void sub_start(sub *s, const fixture *f, const char *shard, const char *position_json,
                      long http_version)
{
    char body[1024];
    int n = snprintf(body, sizeof body, "{\"ConsumerARN\":\"%s\",\"ShardId\":\"%s\",\"StartingPosition\":%s}",
                     f->consumer_arn, shard, position_json);
    cr_assert(n > 0 && (size_t)n < sizeof body);
    sub_start_raw(s, body, (size_t)n, "application/x-amz-json-1.1", http_version);
}

static void sub_pump(sub *s, int ms)
{
    double t0 = now_s();
    while (!s->done && (now_s() - t0) * 1000 < ms) {
        int running = 0;
        curl_multi_perform(s->m, &running);
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(s->m, &left)))
            if (msg->msg == CURLMSG_DONE) {
                s->done = 1;
                s->result = msg->data.result;
            }
        if (!s->done)
            curl_multi_poll(s->m, NULL, 0, 20, NULL);
    }
    curl_easy_getinfo(s->e, CURLINFO_RESPONSE_CODE, &s->status);
}

static void sub_end(sub *s)
{
    curl_multi_remove_handle(s->m, s->e);
    curl_easy_cleanup(s->e);
    curl_multi_cleanup(s->m);
    curl_slist_free_all(s->hl);
    free(s->buf);
}

/* One decoded message: its headers that matter and the payload parsed as JSON. */
typedef struct event {
    char message_type[32];
    char type[64]; /* :event-type or :exception-type */
    json_t *payload;
} event;

static void header_str(const es_message *m, const char *name, char *out, size_t len)
{
    const es_header *h = eventstream_find_header(m, name);
    out[0] = 0;
    if (h && h->type == ES_STRING)
        snprintf(out, len, "%.*s", (int)h->v.bytes.len, (const char *)h->v.bytes.ptr);
}

/* The next complete message, waiting for it at most ms. 0 got one, -1 none (yet). */
static int next_event(sub *s, event *ev, int ms)
{
    double t0 = now_s();
    for (;;) {
        es_message m;
        size_t used = 0;
        es_status st = eventstream_decode(s->buf + s->off, s->len - s->off, &m, &used);
        cr_assert(st == ES_OK || st == ES_NEED_MORE, "bad event stream framing: %s", es_status_str(st));
        if (st == ES_OK) {
            header_str(&m, ":message-type", ev->message_type, sizeof ev->message_type);
            header_str(&m, strcmp(ev->message_type, "exception") == 0 ? ":exception-type" : ":event-type",
                       ev->type, sizeof ev->type);
            ev->payload = json_loadb((const char *)m.payload, m.payload_len, 0, NULL);
            cr_assert_not_null(ev->payload, "event payload is not JSON: %.*s", (int)m.payload_len, m.payload);
            eventstream_message_clean_up(&m);
            s->off += used;
            return 0;
        }
        if (s->done || (now_s() - t0) * 1000 >= ms)
            return -1;
        sub_pump(s, 20);
    }
}

/* Collect the records of SubscribeToShardEvents until n have arrived (at most ms). Returns the
 * records (JSON array) and the last event's ContinuationSequenceNumber in cont. */
static json_t *collect_records(sub *s, size_t n, int ms, char *cont, size_t cont_len)
{
    json_t *all = json_array();
    double t0 = now_s();
    while (json_array_size(all) < n && (now_s() - t0) * 1000 < ms) {
        event ev;
        if (next_event(s, &ev, 100) != 0)
            continue;
        cr_assert_str_eq(ev.message_type, "event", "unexpected %s %s", ev.message_type, ev.type);
        cr_assert_str_eq(ev.type, "SubscribeToShardEvent");
        json_array_extend(all, json_object_get(ev.payload, "Records"));
        cr_assert(json_is_integer(json_object_get(ev.payload, "MillisBehindLatest")));
        const char *c = json_string_value(json_object_get(ev.payload, "ContinuationSequenceNumber"));
        if (c && cont)
            snprintf(cont, cont_len, "%s", c);
        json_decref(ev.payload);
    }
    return all;
}

static void expect_initial_response(sub *s)
{
    event ev;
    cr_assert_eq(next_event(s, &ev, 5000), 0, "no initial-response (status %ld, curl %d)", s->status,
                 s->result);
    cr_assert_eq(s->status, 200);
    cr_assert_str_eq(ev.message_type, "event");
    cr_assert_str_eq(ev.type, "initial-response");
    cr_assert(json_is_object(ev.payload) && json_object_size(ev.payload) == 0);
    json_decref(ev.payload);
}

/* ---- tests ---- */

Test(subscribe, delivers_records_over_http2)
{
    fixture f;
    fixture_make(&f, "sub-h2", 1);
    char *seq0 = put(&f, "a", "Zmlyc3Q="); /* before the subscription */
    sub s;
    sub_start(&s, &f, "shardId-000000000000", "{\"Type\":\"TRIM_HORIZON\"}",
              (long)CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE);
    expect_initial_response(&s);
    long version = 0;
    curl_easy_getinfo(s.e, CURLINFO_HTTP_VERSION, &version);
    cr_assert_eq(version, (long)CURL_HTTP_VERSION_2_0);
    char *ct = NULL;
    curl_easy_getinfo(s.e, CURLINFO_CONTENT_TYPE, &ct);
    cr_assert_str_eq(ct, "application/vnd.amazon.eventstream");

    char cont[128] = "";
    json_t *recs = collect_records(&s, 1, 5000, cont, sizeof cont);
    cr_assert_eq(json_array_size(recs), 1);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(recs, 0), "SequenceNumber")), seq0);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(recs, 0), "Data")), "Zmlyc3Q=");
    cr_assert_str_eq(cont, seq0);
    json_decref(recs);

    /* records put while subscribed are pushed */
    char *seq1 = put(&f, "b", "c2Vjb25k");
    char *seq2 = put(&f, "c", "dGhpcmQ=");
    recs = collect_records(&s, 2, 5000, cont, sizeof cont);
    cr_assert_eq(json_array_size(recs), 2, "got %zu records", json_array_size(recs));
    json_t *r1 = json_array_get(recs, 0), *r2 = json_array_get(recs, 1);
    cr_assert_str_eq(json_string_value(json_object_get(r1, "SequenceNumber")), seq1);
    cr_assert_str_eq(json_string_value(json_object_get(r1, "PartitionKey")), "b");
    cr_assert_str_eq(json_string_value(json_object_get(r2, "Data")), "dGhpcmQ=");
    cr_assert(json_is_number(json_object_get(r2, "ApproximateArrivalTimestamp")));
    cr_assert_str_eq(cont, seq2);
    json_decref(recs);
    cr_assert_not(s.done, "the subscription ended early");

    /* a second subscription of the same consumer to the same shard within 5 s */
    char body[1024];
    snprintf(body, sizeof body,
             "{\"ConsumerARN\":\"%s\",\"ShardId\":\"shardId-000000000000\",\"StartingPosition\":{\"Type\":"
             "\"LATEST\"}}",
             f.consumer_arn);
    long status = 0;
    char *answer = NULL;
    cr_assert_eq(tl_call("SubscribeToShard", body, &status, &answer), 0);
    cr_assert_eq(status, 400, "%s", answer);
    cr_assert(strstr(answer, "ResourceInUseException") != NULL, "%s", answer);
    free(answer);

    sub_end(&s);
    free(seq0);
    free(seq1);
    free(seq2);
    fixture_drop(&f);
}

Test(subscribe, starts_at_a_sequence_number)
{
    fixture f;
    fixture_make(&f, "sub-seq", 1);
    char *a = put(&f, "a", "YQ==");
    char *b = put(&f, "a", "Yg==");
    char pos[512];
    snprintf(pos, sizeof pos, "{\"Type\":\"AFTER_SEQUENCE_NUMBER\",\"SequenceNumber\":\"%s\"}", a);
    sub s;
    sub_start(&s, &f, "shardId-000000000000", pos, (long)CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE);
    expect_initial_response(&s);
    json_t *recs = collect_records(&s, 1, 5000, NULL, 0);
    cr_assert_eq(json_array_size(recs), 1);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(recs, 0), "SequenceNumber")), b);
    json_decref(recs);
    sub_end(&s);
    free(a);
    free(b);
    fixture_drop(&f);
}

Test(subscribe, errors_before_the_stream_starts)
{
    fixture f;
    fixture_make(&f, "sub-err", 1);
    char body[1024], *answer = NULL;
    long status = 0;
    snprintf(body, sizeof body,
             "{\"ConsumerARN\":\"%s\",\"ShardId\":\"shardId-000000000007\",\"StartingPosition\":{\"Type\":"
             "\"LATEST\"}}",
             f.consumer_arn);
    cr_assert_eq(tl_call("SubscribeToShard", body, &status, &answer), 0);
    cr_assert_eq(status, 400);
    cr_assert(strstr(answer, "ResourceNotFoundException") != NULL, "%s", answer);
    free(answer);

    snprintf(body, sizeof body,
             "{\"ConsumerARN\":\"%s/consumer/nobody:1\",\"ShardId\":\"shardId-000000000000\","
             "\"StartingPosition\":{\"Type\":\"LATEST\"}}",
             f.stream_arn);
    cr_assert_eq(tl_call("SubscribeToShard", body, &status, &answer), 0);
    cr_assert_eq(status, 400);
    cr_assert(strstr(answer, "ResourceNotFoundException") != NULL, "%s", answer);
    free(answer);

    snprintf(body, sizeof body,
             "{\"ConsumerARN\":\"%s\",\"ShardId\":\"shardId-000000000000\","
             "\"StartingPosition\":{\"Type\":\"AT_SEQUENCE_NUMBER\"}}",
             f.consumer_arn);
    cr_assert_eq(tl_call("SubscribeToShard", body, &status, &answer), 0);
    cr_assert_eq(status, 400);
    cr_assert(strstr(answer, "InvalidArgumentException") != NULL, "%s", answer);
    free(answer);
    fixture_drop(&f);
}

Test(subscribe, split_shard_ends_the_stream_with_child_shards)
{
    fixture f;
    fixture_make(&f, "sub-split", 1);
    sub s;
    sub_start(&s, &f, "shardId-000000000000", "{\"Type\":\"LATEST\"}",
              (long)CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE);
    expect_initial_response(&s);
    json_t *in = json_pack("{s:s, s:s, s:s}", "StreamName", f.stream, "ShardToSplit", "shardId-000000000000",
                           "NewStartingHashKey", "170141183460469231731687303715884105728");
    json_decref(call_ok("SplitShard", in));
    json_decref(in);
    /* read events until the one that carries ChildShards; the stream then ends */
    json_t *children = NULL;
    double t0 = now_s();
    while (!children && now_s() - t0 < 10) {
        event ev;
        if (next_event(&s, &ev, 200) != 0)
            continue;
        cr_assert_str_eq(ev.type, "SubscribeToShardEvent", "unexpected %s %s", ev.message_type, ev.type);
        json_t *c = json_object_get(ev.payload, "ChildShards");
        if (c) {
            children = json_incref(c);
            cr_assert(json_is_null(json_object_get(ev.payload, "ContinuationSequenceNumber")));
        }
        json_decref(ev.payload);
    }
    cr_assert_not_null(children, "no event with ChildShards within 10 s");
    cr_assert_eq(json_array_size(children), 2);
    cr_assert_str_eq(
        json_string_value(json_array_get(json_object_get(json_array_get(children, 0), "ParentShards"), 0)),
        "shardId-000000000000");
    json_decref(children);
    sub_pump(&s, 3000);
    cr_assert(s.done, "the stream did not end after the last event of a closed shard");
    cr_assert_eq(s.result, CURLE_OK, "curl %d", s.result);
    sub_end(&s);
    fixture_drop(&f);
}

Test(subscribe, deregistered_consumer_gets_an_exception_event)
{
    fixture f;
    fixture_make(&f, "sub-dereg", 1);
    sub s;
    sub_start(&s, &f, "shardId-000000000000", "{\"Type\":\"LATEST\"}",
              (long)CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE);
    expect_initial_response(&s);
    json_t *in = json_pack("{s:s}", "ConsumerARN", f.consumer_arn);
    json_decref(call_ok("DeregisterStreamConsumer", in));
    json_decref(in);
    int got = 0;
    double t0 = now_s();
    while (!got && now_s() - t0 < 10) {
        event ev;
        if (next_event(&s, &ev, 200) != 0)
            continue;
        if (strcmp(ev.message_type, "exception") == 0) {
            cr_assert_str_eq(ev.type, "ResourceNotFoundException");
            cr_assert(strstr(json_string_value(json_object_get(ev.payload, "message")), "reader") != NULL);
            got = 1;
        }
        json_decref(ev.payload);
    }
    cr_assert(got, "no exception event within 10 s");
    sub_pump(&s, 3000);
    cr_assert(s.done, "the stream did not end after the exception");
    sub_end(&s);
    fixture_drop(&f);
}

Test(subscribe, works_over_http1_chunked)
{
    fixture f;
    fixture_make(&f, "sub-h1", 1);
    char *seq = put(&f, "a", "aDE=");
    sub s;
    sub_start(&s, &f, "shardId-000000000000", "{\"Type\":\"TRIM_HORIZON\"}", (long)CURL_HTTP_VERSION_1_1);
    expect_initial_response(&s);
    json_t *recs = collect_records(&s, 1, 5000, NULL, 0);
    cr_assert_eq(json_array_size(recs), 1);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(recs, 0), "SequenceNumber")), seq);
    json_decref(recs);
    char *later = put(&f, "a", "aDI=");
    recs = collect_records(&s, 1, 5000, NULL, 0);
    cr_assert_eq(json_array_size(recs), 1, "a record put while subscribed over HTTP/1.1 was not pushed");
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(recs, 0), "SequenceNumber")), later);
    json_decref(recs);
    sub_end(&s);
    free(seq);
    free(later);
    fixture_drop(&f);
}

/* A CBOR subscriber (the Java SDK's default) gets CBOR events: subscribe.c keeps the Jansson tree
 * and the CBOR encoder for it while JSON subscribers get the directly written payload. */
Test(subscribe, cbor_subscriber_gets_cbor_events)
{
    fixture f;
    fixture_make(&f, "sub-cbor", 1);
    char *seq0 = put(&f, "k\"q\\", "Zmlyc3Q="); /* "first" */
    cbor_item_t *pos = cbor_new_definite_map(1);
    cbor_map_add(pos, (struct cbor_pair){cbor_move(cbor_build_string("Type")),
                                         cbor_move(cbor_build_string("TRIM_HORIZON"))});
    cbor_item_t *req = cbor_new_definite_map(3);
    cbor_map_add(req, (struct cbor_pair){cbor_move(cbor_build_string("ConsumerARN")),
                                         cbor_move(cbor_build_string(f.consumer_arn))});
    cbor_map_add(req, (struct cbor_pair){cbor_move(cbor_build_string("ShardId")),
                                         cbor_move(cbor_build_string("shardId-000000000000"))});
    cbor_map_add(req, (struct cbor_pair){cbor_move(cbor_build_string("StartingPosition")), cbor_move(pos)});
    unsigned char *body = NULL;
    size_t cap = 0, len = cbor_serialize_alloc(req, &body, &cap);
    cbor_decref(&req);
    cr_assert(len > 0);
    sub s;
    sub_start_raw(&s, body, len, "application/x-amz-cbor-1.1", (long)CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE);
    free(body);

    int got_initial = 0, got_record = 0;
    double t0 = now_s();
    while (!got_record && (now_s() - t0) < 10) {
        es_message m;
        size_t used = 0;
        es_status st = eventstream_decode(s.buf + s.off, s.len - s.off, &m, &used);
        cr_assert(st == ES_OK || st == ES_NEED_MORE, "bad event stream framing: %s", es_status_str(st));
        if (st == ES_NEED_MORE) {
            cr_assert_not(s.done, "the subscription ended (status %ld, curl %d)", s.status, s.result);
            sub_pump(&s, 20);
            continue;
        }
        s.off += used;
        char type[64], ct[64], mt[32];
        header_str(&m, ":event-type", type, sizeof type);
        header_str(&m, ":content-type", ct, sizeof ct);
        header_str(&m, ":message-type", mt, sizeof mt);
        cr_assert_str_eq(mt, "event", "got %s %s", mt, type);
        cr_assert_str_eq(ct, "application/x-amz-cbor-1.1");
        struct cbor_load_result res;
        cbor_item_t *ev = cbor_load(m.payload, m.payload_len, &res);
        cr_assert(ev && res.error.code == CBOR_ERR_NONE && cbor_isa_map(ev), "event %s is not a CBOR map",
                  type);
        if (strcmp(type, "initial-response") == 0) {
            got_initial = 1;
        } else {
            cr_assert_str_eq(type, "SubscribeToShardEvent");
            cr_assert(got_initial, "no initial-response first");
            cbor_item_t *recs = NULL;
            struct cbor_pair *p = cbor_map_handle(ev);
            for (size_t i = 0; i < cbor_map_size(ev); i++)
                if (cbor_string_length(p[i].key) == 7 &&
                    memcmp(cbor_string_handle(p[i].key), "Records", 7) == 0)
                    recs = p[i].value;
            cr_assert(recs && cbor_isa_array(recs));
            if (cbor_array_size(recs) > 0) {
                cbor_item_t *r = cbor_array_get(recs, 0);
                struct cbor_pair *rp = cbor_map_handle(r);
                int seen = 0;
                for (size_t i = 0; i < cbor_map_size(r); i++) {
                    const char *k = (const char *)cbor_string_handle(rp[i].key);
                    size_t kn = cbor_string_length(rp[i].key);
                    cbor_item_t *v = rp[i].value;
                    if (kn == 4 && !memcmp(k, "Data", 4)) {
                        cr_assert(cbor_isa_bytestring(v) && cbor_bytestring_length(v) == 5 &&
                                      !memcmp(cbor_bytestring_handle(v), "first", 5),
                                  "Data is not the bytes put");
                        seen |= 1;
                    } else if (kn == 12 && !memcmp(k, "PartitionKey", 12)) {
                        cr_assert(cbor_isa_string(v) && cbor_string_length(v) == 4 &&
                                  !memcmp(cbor_string_handle(v), "k\"q\\", 4));
                        seen |= 2;
                    } else if (kn == 14 && !memcmp(k, "SequenceNumber", 14)) {
                        cr_assert(cbor_isa_string(v) && cbor_string_length(v) == strlen(seq0) &&
                                  !memcmp(cbor_string_handle(v), seq0, strlen(seq0)));
                        seen |= 4;
                    }
                }
                cbor_decref(&r);
                cr_assert_eq(seen, 7, "record members missing (%d)", seen);
                got_record = 1;
            }
        }
        cbor_decref(&ev);
        eventstream_message_clean_up(&m);
    }
    cr_assert(got_record, "no record within 10 s");
    sub_end(&s);
    free(seq0);
    fixture_drop(&f);
}
