/* client_subscribe.c: libkinesis's enhanced fan-out against a running simulator at
 * $KINESIS_SIM_ENDPOINT (the tests skip when it is unset): register a consumer and wait until it is
 * ACTIVE, subscribe to a shard from TRIM_HORIZON over HTTP/1.1 (chunked) and over cleartext HTTP/2
 * (prior knowledge), receive the records put before and during the subscription byte for byte with
 * the sequence numbers PutRecord answered, then cancel; the 5-second re-subscribe rule and a
 * deregistered consumer arrive as REQUEST_FAILED errors named after the service's exception.
 * Every test has its own stream and consumer, and every wait is bounded. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kinesis/kinesis.h"

#include "testlib.h"

#define ASSERT_OK(expr)                                                                                      \
    do {                                                                                                     \
        kinesis_error *e_ = (expr);                                                                          \
        cr_assert_null(e_, "%s: %s: %s", #expr, e_ ? e_->name : "", e_ ? e_->message : "");                  \
    } while (0)

typedef struct fixture {
    kinesis_client *client;
    char stream[64];
    char *stream_arn;
    char *consumer_arn;
} fixture;

static fixture fx;

static kinesis_client *new_client(int h2)
{
    const char *ep = getenv("KINESIS_SIM_ENDPOINT");
    if (!ep || !*ep)
        cr_skip_test("KINESIS_SIM_ENDPOINT is not set");
    kinesis_client_options o = {.endpoint = ep,
                                .region = "us-east-1",
                                .access_key_id = "AKIDSUBSCRIBETEST",
                                .secret_access_key = "subscribe-test-secret",
                                .request_timeout_ms = 10000,
                                .http2_prior_knowledge = h2};
    kinesis_error *err = NULL;
    kinesis_client *c = kinesis_client_new(&o, &err);
    cr_assert_not_null(c, "%s", err ? err->message : "");
    return c;
}

/* A one-shard stream with a registered, ACTIVE consumer. */
static void make_fixture(int h2, const char *prefix)
{
    static int counter;
    fx.client = new_client(h2);
    snprintf(fx.stream, sizeof fx.stream, "%s-%d-%d-%ld", prefix, (int)getpid(), counter++,
             (long)time(NULL) % 100000);
    ASSERT_OK(kinesis_create_stream(fx.client, fx.stream, 1));
    ASSERT_OK(kinesis_wait_for_stream_active(fx.client, fx.stream, 30000, 100));
    kinesis_stream_summary *sum = NULL;
    ASSERT_OK(kinesis_describe_stream_summary(fx.client, fx.stream, &sum));
    fx.stream_arn = strdup(sum->stream_arn);
    kinesis_stream_summary_free(sum);
    ASSERT_OK(kinesis_register_stream_consumer(fx.client, fx.stream_arn, "efo-reader", &fx.consumer_arn));
    cr_assert(strstr(fx.consumer_arn, "/consumer/efo-reader:"), "%s", fx.consumer_arn);
    ASSERT_OK(kinesis_wait_for_consumer_active(fx.client, fx.consumer_arn, 30000, 100));
}

static void teardown(void)
{
    if (fx.client && fx.stream[0])
        kinesis_error_free(kinesis_delete_stream(fx.client, fx.stream));
    kinesis_client_free(fx.client);
    free(fx.stream_arn);
    free(fx.consumer_arn);
    memset(&fx, 0, sizeof fx);
}

TestSuite(client_subscribe, .fini = teardown, .timeout = 60);

/* ------------------------------------------------------------------ what the callbacks saw */

#define MAXREC 16

typedef struct seen {
    int events, ends, errors;
    kinesis_error *err;
    size_t n; /* records */
    uint8_t data[MAXREC][32];
    size_t data_len[MAXREC];
    char seq[MAXREC][64];
    char last_cont[64];
} seen;

static void on_event(kinesis_subscribe_event *ev, void *user)
{
    seen *s = user;
    s->events++;
    for (size_t i = 0; i < ev->count && s->n < MAXREC; i++, s->n++) {
        cr_assert_leq(ev->records[i].data_len, 32);
        memcpy(s->data[s->n], ev->records[i].data, ev->records[i].data_len);
        s->data_len[s->n] = ev->records[i].data_len;
        snprintf(s->seq[s->n], sizeof s->seq[s->n], "%s", ev->records[i].sequence_number);
    }
    if (ev->continuation_sequence_number)
        snprintf(s->last_cont, sizeof s->last_cont, "%s", ev->continuation_sequence_number);
    kinesis_subscribe_event_free(ev);
}

static void on_error(kinesis_error *err, void *user)
{
    seen *s = user;
    s->errors++;
    kinesis_error_free(s->err);
    s->err = err;
}

static void on_end(void *user)
{
    ((seen *)user)->ends++;
}

/* Run the loop until cond(s) holds, at most ms milliseconds. */
static int run_until(kinesis_client *c, seen *s, int (*cond)(const seen *, size_t), size_t arg, int ms)
{
    int64_t t0 = tl_now_ms();
    for (;;) {
        if (cond(s, arg))
            return 1;
        kinesis_client_run(c, 20);
        if (tl_now_ms() - t0 > ms)
            return cond(s, arg);
    }
}

static int has_records(const seen *s, size_t n)
{
    return s->n >= n || s->errors || s->ends;
}

static int has_ended(const seen *s, size_t n)
{
    (void)n;
    return s->errors || s->ends;
}

/* A record payload with bytes a text path would mangle. */
static size_t payload(int i, uint8_t *out)
{
    const uint8_t fixed[] = {0x00, 0xff, '\n', 0x80, 0x7f, '"', '\\'};
    memcpy(out, fixed, sizeof fixed);
    out[sizeof fixed] = (uint8_t)i;
    return sizeof fixed + 1;
}

static void put(int i, char *seq_out)
{
    uint8_t data[16];
    size_t n = payload(i, data);
    kinesis_record r = {data, n, "pk", NULL, NULL};
    kinesis_put_record_result *res = NULL;
    ASSERT_OK(kinesis_put_record(fx.client, fx.stream, &r, &res));
    snprintf(seq_out, 64, "%s", res->sequence_number);
    kinesis_put_record_result_free(res);
}

/* Records put before and while subscribed come through, in order, byte for byte. */
static void roundtrip(int h2)
{
    make_fixture(h2, h2 ? "h22-efo-h2" : "h22-efo-h1");
    char seqs[6][64];
    for (int i = 0; i < 3; i++)
        put(i, seqs[i]);
    seen s = {0};
    kinesis_starting_position pos = {KINESIS_ITERATOR_TRIM_HORIZON, NULL, 0};
    kinesis_subscribe_callbacks cb = {on_event, on_error, on_end, &s};
    kinesis_subscription *sub =
        kinesis_subscribe_to_shard(fx.client, fx.consumer_arn, "shardId-000000000000", &pos, &cb);
    cr_assert_not_null(sub);
    cr_assert(run_until(fx.client, &s, has_records, 3, 10000), "3 records within 10 s (got %zu)", s.n);
    cr_assert_eq(s.errors, 0, "%s: %s", s.err ? s.err->name : "", s.err ? s.err->message : "");
    /* more records while the subscription is open (the blocking put runs the same loop) */
    for (int i = 3; i < 6; i++)
        put(i, seqs[i]);
    cr_assert(run_until(fx.client, &s, has_records, 6, 10000), "6 records within 10 s (got %zu)", s.n);
    cr_assert_eq(s.errors, 0, "%s: %s", s.err ? s.err->name : "", s.err ? s.err->message : "");
    cr_assert_eq(s.n, 6);
    for (int i = 0; i < 6; i++) {
        uint8_t want[16];
        size_t wn = payload(i, want);
        cr_assert_eq(s.data_len[i], wn, "record %d length", i);
        cr_assert_arr_eq(s.data[i], want, wn, "record %d bytes", i);
        cr_assert_str_eq(s.seq[i], seqs[i], "record %d sequence number", i);
    }
    cr_assert_str_eq(s.last_cont, seqs[5], "ContinuationSequenceNumber is the last record's");
    cr_assert_eq(kinesis_subscription_active(sub), 1);
    kinesis_subscription_cancel(sub);
    cr_assert_eq(kinesis_client_pending(fx.client), 0);
    int events = s.events;
    for (int i = 0; i < 10; i++)
        kinesis_client_run(fx.client, 20);
    cr_assert_eq(s.events, events, "no event after cancel");
    cr_assert_eq(s.ends + s.errors, 0);
    kinesis_subscription_free(sub);
}

Test(client_subscribe, records_over_http1)
{
    roundtrip(0);
}

Test(client_subscribe, records_over_h2c_prior_knowledge)
{
    roundtrip(1);
}

Test(client_subscribe, resubscribing_too_soon_is_resource_in_use)
{
    make_fixture(0, "h22-efo-again");
    seen a = {0}, b = {0};
    kinesis_starting_position pos = {KINESIS_ITERATOR_LATEST, NULL, 0};
    kinesis_subscribe_callbacks cba = {on_event, on_error, on_end, &a};
    kinesis_subscribe_callbacks cbb = {on_event, on_error, on_end, &b};
    kinesis_subscription *first =
        kinesis_subscribe_to_shard(fx.client, fx.consumer_arn, "shardId-000000000000", &pos, &cba);
    for (int i = 0; i < 500 && a.events == 0 && !a.errors; i++)
        kinesis_client_run(fx.client, 20);
    cr_assert_eq(a.errors, 0, "%s", a.err ? a.err->message : "");
    cr_assert_geq(a.events, 1, "the first subscription started");
    kinesis_subscription *second =
        kinesis_subscribe_to_shard(fx.client, fx.consumer_arn, "shardId-000000000000", &pos, &cbb);
    cr_assert(run_until(fx.client, &b, has_ended, 0, 10000));
    cr_assert_eq(b.errors, 1);
    cr_assert_eq(b.err->type, KINESIS_ERROR_REQUEST_FAILED);
    cr_assert_str_eq(b.err->name, "ResourceInUseException", "%s", b.err->message);
    cr_assert_eq(b.err->http_status, 400);
    cr_assert_eq(b.events, 0);
    kinesis_subscription_free(second);
    kinesis_subscription_free(first);
    kinesis_error_free(a.err);
    kinesis_error_free(b.err);
}

Test(client_subscribe, deregistered_consumer_ends_the_stream_with_an_exception)
{
    make_fixture(0, "h22-efo-dereg");
    seen s = {0};
    kinesis_starting_position pos = {KINESIS_ITERATOR_TRIM_HORIZON, NULL, 0};
    kinesis_subscribe_callbacks cb = {on_event, on_error, on_end, &s};
    kinesis_subscription *sub =
        kinesis_subscribe_to_shard(fx.client, fx.consumer_arn, "shardId-000000000000", &pos, &cb);
    for (int i = 0; i < 500 && s.events == 0 && !s.errors; i++)
        kinesis_client_run(fx.client, 20);
    cr_assert_geq(s.events, 1);
    ASSERT_OK(kinesis_deregister_stream_consumer(fx.client, fx.consumer_arn));
    cr_assert(run_until(fx.client, &s, has_ended, 0, 10000), "the stream did not end within 10 s");
    cr_assert_eq(s.errors, 1);
    cr_assert_eq(s.err->type, KINESIS_ERROR_REQUEST_FAILED);
    cr_assert_str_eq(s.err->name, "ResourceNotFoundException", "%s", s.err->message);
    cr_assert_eq(s.err->http_status, 200, "the exception came inside the stream");
    cr_assert_eq(kinesis_subscription_active(sub), 0);
    kinesis_subscription_free(sub);
    kinesis_error_free(s.err);
}

Test(client_subscribe, consumer_helpers_report_errors_as_values)
{
    fx.client = new_client(0);
    char *arn = NULL;
    kinesis_error *err = kinesis_register_stream_consumer(
        fx.client, "arn:aws:kinesis:us-east-1:000000000000:stream/h22-no-such-stream", "c", &arn);
    cr_assert_not_null(err);
    cr_assert_eq(err->type, KINESIS_ERROR_REQUEST_FAILED);
    cr_assert_str_eq(err->name, "ResourceNotFoundException", "%s: %s", err->name, err->message);
    cr_assert_null(arn);
    kinesis_error_free(err);
    err = kinesis_register_stream_consumer(fx.client, "", "c", &arn);
    cr_assert_eq(err->type, KINESIS_ERROR_LIBRARY);
    kinesis_error_free(err);
    err = kinesis_wait_for_consumer_active(
        fx.client, "arn:aws:kinesis:us-east-1:000000000000:stream/h22-none/consumer/c:1", 1000, 100);
    cr_assert_not_null(err);
    cr_assert_eq(err->type, KINESIS_ERROR_REQUEST_FAILED, "%s: %s", err->name, err->message);
    kinesis_error_free(err);
}
