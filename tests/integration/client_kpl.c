/* client_kpl.c: kinesis_producer and kinesis_consumer (client/src/kpl_producer.c, kcl_consumer.c)
 * against the running kinesis-sim ($KINESIS_SIM_ENDPOINT, started by ci/run-tests with
 * --throttle aws, so every shard has AWS's limits of 1,000 records/s and 1 MiB/s of writes):
 *   - throughput: unaggregated, the producer sustains >= 95% of a shard's 1,000 records/s for 20 s,
 *     and every record arrives once; aggregated, 100-byte records pass at several times that;
 *   - partial failures: a fault rule fails every third PutRecords entry; every record arrives once;
 *   - resharding: a consumer follows a stream split twice and merged once while the producer
 *     writes, and delivers every record once, in order per partition key;
 *   - restart: a consumer killed (SIGKILL) after a checkpoint inside an aggregated record is
 *     restarted from the checkpoint file and delivers exactly the records after it;
 *   - enhanced fan-out: the consumer reads through SubscribeToShard, renewing its subscription.
 * Each test uses its own streams, so they run beside the other suites. Records carry their
 * number ("r00000042") and partition key so loss, duplicates and order are checked exactly. */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kinesis/kinesis.h"
#include "testlib.h"

/* ------------------------------------------------------------------ helpers */

static kinesis_client *kp_client(void)
{
    kinesis_client_options o = {0};
    o.endpoint = tl_endpoint();
    o.region = TL_REGION;
    o.access_key_id = TL_ACCESS_KEY;
    o.secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    o.request_timeout_ms = 10000;
    o.retry.base_delay_ms = 20;
    o.retry.max_delay_ms = 200;
    kinesis_error *err = NULL;
    kinesis_client *c = kinesis_client_new(&o, &err);
    cr_assert_not_null(c, "kinesis_client_new: %s", err && err->message ? err->message : "?");
    return c;
}

static void kp_create(const char *stream, int shards)
{
    long status = 0;
    json_t *in = json_pack("{s:s, s:i}", "StreamName", stream, "ShardCount", shards);
    json_decref(tl_call_json("CreateStream", in, &status));
    json_decref(in);
    cr_assert_eq(status, 200, "CreateStream %s: HTTP %ld", stream, status);
    cr_assert_eq(tl_wait_stream_status(stream, "ACTIVE", 10000), 0, "%s never became ACTIVE", stream);
}

static void kp_delete(const char *stream)
{
    long status = 0;
    json_t *in = json_pack("{s:s, s:b}", "StreamName", stream, "EnforceConsumerDeletion", 1);
    json_decref(tl_call_json("DeleteStream", in, &status));
    json_decref(in);
}

/* What the producer's callbacks saw. */
typedef struct sent {
    size_t ok, failed;
    char first_error[256];
} sent;

static void on_sent(const kinesis_producer_result *r, void *user)
{
    sent *s = user;
    if (r->error) {
        if (!s->failed++)
            snprintf(s->first_error, sizeof s->first_error, "%s: %s (%d attempts)", r->error->name,
                     r->error->message, r->attempts);
        return;
    }
    if (r->shard_id && r->sequence_number)
        s->ok++;
}

/* What a consumer delivered: per record number, how often; per key, the last number (order). */
typedef struct got {
    unsigned char *seen;
    size_t max, distinct, dups, total, out_of_order, bad;
    long last_of_key[64];
    int checkpoint;
} got;

static void got_init(got *g, size_t max)
{
    memset(g, 0, sizeof *g);
    g->seen = calloc(max, 1);
    g->max = max;
    for (int i = 0; i < 64; i++)
        g->last_of_key[i] = -1;
}

static void on_batch(const kinesis_consumer_batch *b, void *user)
{
    got *g = user;
    for (size_t i = 0; i < b->count; i++) {
        const kinesis_user_record *r = &b->records[i];
        unsigned long n = 0;
        int key = -1;
        g->total++;
        if (r->data_len < 9 || sscanf((const char *)r->data, "r%8lu", &n) != 1 || n >= g->max ||
            sscanf(r->partition_key, "key-%d", &key) != 1 || key < 0 || key >= 64) {
            g->bad++;
            continue;
        }
        if (g->seen[n]++)
            g->dups++;
        else
            g->distinct++;
        if ((long)n <= g->last_of_key[key])
            g->out_of_order++;
        g->last_of_key[key] = (long)n;
    }
    if (g->checkpoint)
        kinesis_consumer_checkpoint(b);
}

static void on_cons_error(const char *shard, kinesis_error *err, void *user)
{
    (void)user;
    fprintf(stderr, "consumer error on %s: %s %s\n", shard ? shard : "(stream)", err->name, err->message);
    kinesis_error_free(err);
}

/* Read the whole stream from TRIM_HORIZON with a consumer until `want` distinct records came (or
 * timeout_ms passed). */
static void read_all(kinesis_client *c, const char *stream, got *g, size_t want, int64_t timeout_ms)
{
    kinesis_consumer_options co = {0};
    co.idle_interval_ms = 200;
    co.shard_sync_ms = 500;
    kinesis_consumer_callbacks cb = {on_batch, NULL, on_cons_error, g};
    kinesis_error *err = NULL;
    kinesis_consumer *k = kinesis_consumer_new(c, stream, &co, &cb, &err);
    cr_assert_not_null(k, "kinesis_consumer_new: %s", err ? err->message : "?");
    err = kinesis_consumer_start(k);
    cr_assert_null(err, "kinesis_consumer_start: %s", err ? err->message : "");
    int64_t end = tl_now_ms() + timeout_ms;
    while (g->distinct < want && tl_now_ms() < end)
        kinesis_client_run(c, 100);
    kinesis_consumer_free(k);
}

static void record_text(char *buf, size_t len, size_t n, size_t pad)
{
    int w = snprintf(buf, len, "r%08zu", n);
    while ((size_t)w < pad && (size_t)w + 1 < len)
        buf[w++] = '.';
    buf[w] = 0;
}

/* Put records 0.. as fast as the producer takes them for run_ms; returns how many were put. */
static size_t produce_for(kinesis_client *c, kinesis_producer *p, sent *s, int64_t run_ms, size_t pad,
                          size_t max_records)
{
    size_t n = 0;
    char data[256], key[16];
    int64_t end = tl_now_ms() + run_ms;
    while (tl_now_ms() < end && n < max_records) {
        record_text(data, sizeof data, n, pad);
        snprintf(key, sizeof key, "key-%zu", n % 64);
        kinesis_record r = {data, strlen(data), key, NULL, NULL};
        int rc = kinesis_producer_put(p, &r, on_sent, s);
        cr_assert_neq(rc, KINESIS_PRODUCER_INVALID);
        if (rc == KINESIS_PRODUCER_OK)
            n++;
        else
            kinesis_client_run(c, 5);
        if (n % 64 == 0)
            kinesis_client_run(c, 0);
    }
    return n;
}

/* ------------------------------------------------------------------ throughput */

Test(kpl, unaggregated_sustains_the_shard_limit_for_20s, .timeout = 90)
{
    char stream[64];
    tl_unique_name("kpl-rate", stream, sizeof stream);
    kp_create(stream, 1);
    kinesis_client *c = kp_client();
    kinesis_producer_options po = {0};
    po.disable_aggregation = 1;
    po.max_buffered_bytes = 64 * 1024; /* backpressure keeps the buffer to a few seconds of records */
    kinesis_error *err = NULL;
    kinesis_producer *p = kinesis_producer_new(c, stream, &po, &err);
    cr_assert_not_null(p, "%s", err ? err->message : "");
    sent s = {0};
    int64_t t0 = tl_now_ms();
    size_t put = produce_for(c, p, &s, 20000, 0, 1000000);
    int64_t elapsed = tl_now_ms() - t0;
    size_t ok_in_window = s.ok;
    cr_assert_eq(kinesis_producer_flush_wait(p, 30000), 0, "records still outstanding after 30 s");
    kinesis_producer_stats st;
    kinesis_producer_get_stats(p, &st);
    double rate = (double)ok_in_window * 1000.0 / (double)elapsed;
    fprintf(stderr,
            "kpl: unaggregated: %zu records written in %lld ms = %.0f records/s (limit 1000/s), %llu calls, "
            "%llu throttled, %llu re-sent\n",
            ok_in_window, (long long)elapsed, rate, (unsigned long long)st.put_records_calls,
            (unsigned long long)st.entries_throttled, (unsigned long long)st.entries_retried);
    cr_expect(rate >= 950.0, "sustained %.0f records/s, less than 95%% of 1,000", rate);
    cr_expect_eq(s.failed, 0, "%zu records failed, first: %s", s.failed, s.first_error);
    cr_expect_eq(s.ok, put, "%zu put, %zu succeeded", put, s.ok);
    kinesis_producer_free(p);
    got g;
    got_init(&g, put);
    read_all(c, stream, &g, put, 30000);
    cr_expect_eq(g.distinct, put, "%zu of %zu records read back", g.distinct, put);
    cr_expect_eq(g.dups, 0, "%zu duplicates", g.dups);
    cr_expect_eq(g.bad, 0);
    free(g.seen);
    kinesis_client_free(c);
    kp_delete(stream);
}

Test(kpl, aggregated_100_byte_records_pass_at_several_times_the_record_limit, .timeout = 90)
{
    char stream[64];
    tl_unique_name("kpl-agg", stream, sizeof stream);
    kp_create(stream, 1);
    kinesis_client *c = kp_client();
    kinesis_producer_options po = {0}; /* aggregation on by default */
    po.max_buffered_bytes = 2 * 1024 * 1024;
    kinesis_error *err = NULL;
    kinesis_producer *p = kinesis_producer_new(c, stream, &po, &err);
    cr_assert_not_null(p, "%s", err ? err->message : "");
    sent s = {0};
    int64_t t0 = tl_now_ms();
    size_t put = produce_for(c, p, &s, 6000, 100, 1000000);
    int64_t elapsed = tl_now_ms() - t0;
    size_t ok_in_window = s.ok;
    cr_assert_eq(kinesis_producer_flush_wait(p, 30000), 0, "records still outstanding after 30 s");
    kinesis_producer_stats st;
    kinesis_producer_get_stats(p, &st);
    double rate = (double)ok_in_window * 1000.0 / (double)elapsed;
    fprintf(
        stderr,
        "kpl: aggregated: %zu user records of 100 B in %lld ms = %.0f records/s in %llu Kinesis records\n",
        ok_in_window, (long long)elapsed, rate, (unsigned long long)st.kinesis_records_sent);
    cr_expect(rate >= 3000.0, "aggregated 100-byte records reached only %.0f records/s on one shard", rate);
    cr_expect(st.kinesis_records_sent * 10 < st.user_records_sent, "records were not aggregated");
    cr_expect_eq(s.failed, 0, "%zu records failed, first: %s", s.failed, s.first_error);
    kinesis_producer_free(p);
    got g;
    got_init(&g, put);
    read_all(c, stream, &g, put, 40000);
    cr_expect_eq(g.distinct, put, "%zu of %zu records read back", g.distinct, put);
    cr_expect_eq(g.dups, 0, "%zu duplicates", g.dups);
    cr_expect_eq(g.bad, 0);
    free(g.seen);
    kinesis_client_free(c);
    kp_delete(stream);
}

/* ------------------------------------------------------------------ partial failures */

Test(kpl, every_third_entry_failing_still_delivers_every_record_once, .timeout = 60)
{
    char stream[64], rule[512];
    tl_unique_name("kpl-partial", stream, sizeof stream);
    kp_create(stream, 2);
    snprintf(rule, sizeof rule,
             "{\"match\": {\"operations\": [\"PutRecords\"], \"stream\": \"%s\"}, \"when\": {\"every\": 3},"
             " \"effect\": {\"entry_error\": \"ProvisionedThroughputExceededException\"}}",
             stream);
    json_int_t id = tl_fault_add(rule);
    kinesis_client *c = kp_client();
    kinesis_producer_options po = {0};
    po.disable_aggregation = 1;
    kinesis_error *err = NULL;
    kinesis_producer *p = kinesis_producer_new(c, stream, &po, &err);
    cr_assert_not_null(p);
    sent s = {0};
    size_t put = produce_for(c, p, &s, 60000, 0, 1500);
    cr_assert_eq(kinesis_producer_flush_wait(p, 30000), 0, "records still outstanding after 30 s");
    kinesis_producer_stats st;
    kinesis_producer_get_stats(p, &st);
    long long calls = 0, fired = -1;
    tl_fault_counters(id, &calls, &fired);
    tl_fault_remove(id);
    cr_expect_eq(s.failed, 0, "%zu records failed, first: %s", s.failed, s.first_error);
    cr_expect_eq(s.ok, put);
    cr_expect(fired >= (long long)put / 3, "the rule fired %lld times for %zu records", fired, put);
    cr_expect(st.entries_retried >= (unsigned long long)fired,
              "%llu entries re-sent, %lld failed by the rule", (unsigned long long)st.entries_retried, fired);
    kinesis_producer_free(p);
    got g;
    got_init(&g, put);
    read_all(c, stream, &g, put, 20000);
    cr_expect_eq(g.distinct, put, "%zu of %zu records read back", g.distinct, put);
    cr_expect_eq(g.dups, 0, "%zu duplicates: a record that succeeded was sent again", g.dups);
    free(g.seen);
    kinesis_client_free(c);
    kp_delete(stream);
}

/* ------------------------------------------------------------------ resharding */

static void call_ok(kinesis_client *c, const char *op, json_t *in)
{
    char *body = json_dumps(in, JSON_COMPACT);
    json_decref(in);
    char *resp = NULL;
    kinesis_error *err = kinesis_call(c, op, body, &resp);
    cr_assert_null(err, "%s: %s %s", op, err ? err->name : "", err ? err->message : "");
    free(body);
    free(resp);
}

/* The open shards, sorted by starting hash key (ids and ranges). */
static size_t open_shards(kinesis_client *c, const char *stream, char ids[][64], char starts[][48],
                          char ends[][48])
{
    kinesis_shard_list *l = NULL;
    kinesis_error *err = kinesis_get_shards(c, stream, &l);
    cr_assert_null(err, "ListShards: %s", err ? err->message : "");
    size_t n = 0;
    for (size_t i = 0; i < l->count; i++) {
        if (l->shards[i].ending_sequence_number)
            continue;
        snprintf(ids[n], 64, "%s", l->shards[i].shard_id);
        snprintf(starts[n], 48, "%s", l->shards[i].starting_hash_key);
        snprintf(ends[n], 48, "%s", l->shards[i].ending_hash_key);
        n++;
    }
    kinesis_shard_list_free(l);
    /* sort by start (as numbers: compare length, then text) */
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0; j--) {
            size_t a = strlen(starts[j - 1]), b = strlen(starts[j]);
            if (a < b || (a == b && strcmp(starts[j - 1], starts[j]) <= 0))
                break;
            char t[64];
            memcpy(t, ids[j], 64), memcpy(ids[j], ids[j - 1], 64), memcpy(ids[j - 1], t, 64);
            memcpy(t, starts[j], 48), memcpy(starts[j], starts[j - 1], 48), memcpy(starts[j - 1], t, 48);
            memcpy(t, ends[j], 48), memcpy(ends[j], ends[j - 1], 48), memcpy(ends[j - 1], t, 48);
        }
    return n;
}

/* Keep the producer writing (about `rate` records/s) and the consumer reading for ms. */
static void pump(kinesis_client *c, kinesis_producer *p, sent *s, size_t *n, size_t max, int64_t ms, int rate)
{
    int64_t end = tl_now_ms() + ms, t0 = tl_now_ms();
    size_t base = *n;
    char data[32], key[16];
    while (tl_now_ms() < end) {
        size_t due = base + (size_t)((tl_now_ms() - t0) * rate / 1000);
        while (*n < due && *n < max) {
            record_text(data, sizeof data, *n, 0);
            snprintf(key, sizeof key, "key-%zu", *n % 16);
            kinesis_record r = {data, strlen(data), key, NULL, NULL};
            if (kinesis_producer_put(p, &r, on_sent, s) != KINESIS_PRODUCER_OK)
                break;
            (*n)++;
        }
        kinesis_client_run(c, 10);
    }
}

static void wait_active(kinesis_client *c, const char *stream, sent *s, kinesis_producer *p, size_t *n,
                        size_t max)
{
    for (int i = 0; i < 100; i++) {
        kinesis_stream_summary *sum = NULL;
        kinesis_error *err = kinesis_describe_stream_summary(c, stream, &sum);
        cr_assert_null(err);
        int active = strcmp(sum->stream_status, "ACTIVE") == 0;
        kinesis_stream_summary_free(sum);
        if (active)
            return;
        pump(c, p, s, n, max, 100, 200);
    }
    cr_assert_fail("%s did not become ACTIVE after resharding", stream);
}

Test(kpl, consumer_follows_two_splits_and_a_merge_under_load, .timeout = 90)
{
    char stream[64];
    tl_unique_name("kpl-reshard", stream, sizeof stream);
    kp_create(stream, 1);
    kinesis_client *c = kp_client();
    /* Unaggregated: an aggregated record is routed as a whole by its first user record's hash key,
     * so one sealed before a split can carry keys of both children to one of them, and a consumer
     * reading the two children side by side may then order those keys differently (kinesis.h,
     * "Ordering"). This test is about the consumer's order, so its input keeps order. */
    kinesis_producer_options po = {0};
    po.disable_aggregation = 1;
    po.shard_map_refresh_ms = 200;
    kinesis_error *err = NULL;
    kinesis_producer *p = kinesis_producer_new(c, stream, &po, &err);
    cr_assert_not_null(p);
    enum { MAX = 100000 };
    got g;
    got_init(&g, MAX);
    kinesis_consumer_options co = {0};
    co.idle_interval_ms = 200;
    co.shard_sync_ms = 500;
    kinesis_consumer_callbacks cb = {on_batch, NULL, on_cons_error, &g};
    kinesis_consumer *k = kinesis_consumer_new(c, stream, &co, &cb, &err);
    cr_assert_not_null(k);
    cr_assert_null(kinesis_consumer_start(k));
    sent s = {0};
    size_t n = 0;
    char ids[8][64], starts[8][48], ends[8][48];
    pump(c, p, &s, &n, MAX, 1000, 200);
    /* split the only shard in the middle */
    size_t no = open_shards(c, stream, ids, starts, ends);
    cr_assert_eq(no, 1);
    call_ok(c, "SplitShard",
            json_pack("{s:s, s:s, s:s}", "StreamName", stream, "ShardToSplit", ids[0], "NewStartingHashKey",
                      "170141183460469231731687303715884105728"));
    wait_active(c, stream, &s, p, &n, MAX);
    pump(c, p, &s, &n, MAX, 1000, 200);
    /* split the upper half again */
    no = open_shards(c, stream, ids, starts, ends);
    cr_assert_eq(no, 2);
    call_ok(c, "SplitShard",
            json_pack("{s:s, s:s, s:s}", "StreamName", stream, "ShardToSplit", ids[1], "NewStartingHashKey",
                      "255211775190703847597530955573826158592"));
    wait_active(c, stream, &s, p, &n, MAX);
    pump(c, p, &s, &n, MAX, 1000, 200);
    /* merge the lower two of the three */
    no = open_shards(c, stream, ids, starts, ends);
    cr_assert_eq(no, 3);
    call_ok(c, "MergeShards",
            json_pack("{s:s, s:s, s:s}", "StreamName", stream, "ShardToMerge", ids[0], "AdjacentShardToMerge",
                      ids[1]));
    wait_active(c, stream, &s, p, &n, MAX);
    pump(c, p, &s, &n, MAX, 1000, 200);
    cr_assert_eq(kinesis_producer_flush_wait(p, 20000), 0, "records still outstanding after 20 s");
    cr_expect_eq(s.failed, 0, "%zu records failed, first: %s", s.failed, s.first_error);
    int64_t end = tl_now_ms() + 30000;
    while (g.distinct < n && tl_now_ms() < end)
        kinesis_client_run(c, 100);
    size_t reading = 0, waiting = 0, finished = 0;
    kinesis_consumer_shard_counts(k, &reading, &waiting, &finished);
    fprintf(stderr,
            "kpl: resharding: %zu records, %zu read (%zu duplicates); shards reading %zu, waiting %zu, "
            "finished %zu\n",
            n, g.distinct, g.dups, reading, waiting, finished);
    cr_expect_eq(g.distinct, n, "%zu of %zu records delivered", g.distinct, n);
    cr_expect_eq(g.dups, 0, "%zu delivered twice", g.dups);
    cr_expect_eq(g.out_of_order, 0, "%zu records out of order within their partition key", g.out_of_order);
    cr_expect_eq(finished, 4, "the 4 closed shards are finished (%zu)", finished);
    cr_expect_eq(reading, 2, "the 2 open shards are being read (%zu)", reading);
    kinesis_consumer_free(k);
    kinesis_producer_free(p);
    free(g.seen);
    /* A second consumer reads the whole history afterwards, in small batches: with all six shards
     * holding records at once, only reading parents before children keeps each key in order. */
    got h;
    got_init(&h, MAX);
    co.max_records = 20;
    kinesis_consumer_callbacks cb2 = {on_batch, NULL, on_cons_error, &h};
    k = kinesis_consumer_new(c, stream, &co, &cb2, &err);
    cr_assert_not_null(k);
    cr_assert_null(kinesis_consumer_start(k));
    end = tl_now_ms() + 30000;
    while (h.distinct < n && tl_now_ms() < end)
        kinesis_client_run(c, 100);
    kinesis_consumer_free(k);
    fprintf(stderr, "kpl: resharding, read afterwards: %zu read (%zu duplicates, %zu out of order)\n",
            h.distinct, h.dups, h.out_of_order);
    cr_expect_eq(h.distinct, n, "afterwards: %zu of %zu records delivered", h.distinct, n);
    cr_expect_eq(h.dups, 0, "afterwards: %zu delivered twice", h.dups);
    cr_expect_eq(h.out_of_order, 0, "afterwards: %zu records out of order within their partition key",
                 h.out_of_order);
    free(h.seen);
    kinesis_client_free(c);
    kp_delete(stream);
}

/* ------------------------------------------------------------------ restart from a checkpoint */

#define RS_PLAIN 100
#define RS_AGG 10
#define RS_TOTAL (RS_PLAIN + RS_AGG + RS_PLAIN)
#define RS_CUT 105 /* the user record checkpointed last: the 6th inside the aggregated record */

typedef struct rs_state {
    kinesis_consumer *k;
    size_t delivered;
} rs_state;

/* Consumer A: checkpoint every batch fully until the cut, then just the cut, then die. */
static void rs_batch_a(const kinesis_consumer_batch *b, void *user)
{
    rs_state *st = user;
    for (size_t i = 0; i < b->count; i++) {
        unsigned long n = 0;
        sscanf((const char *)b->records[i].data, "r%8lu", &n);
        if (n == RS_CUT) {
            kinesis_consumer_checkpoint_at(st->k, b->shard_id, b->records[i].sequence_number,
                                           b->records[i].sub_sequence_number, 0);
            raise(SIGKILL); /* killed right after the checkpoint: the rest of the batch was never processed */
        }
    }
    kinesis_consumer_checkpoint(b);
}

Test(kpl, restart_resumes_after_the_checkpoint_inside_an_aggregated_record, .timeout = 60)
{
    char stream[64], path[128];
    tl_unique_name("kpl-restart", stream, sizeof stream);
    snprintf(path, sizeof path, "/tmp/kpl-ckpt-%d-%s", (int)getpid(), stream);
    unlink(path);
    kp_create(stream, 1);
    /* 100 plain records, one aggregated record of 10, 100 plain records, in that order */
    {
        kinesis_client *c = kp_client();
        char data[RS_TOTAL][16];
        kinesis_record recs[RS_TOTAL];
        for (int i = 0; i < RS_TOTAL; i++) {
            record_text(data[i], sizeof data[i], (size_t)i, 0);
            recs[i] = (kinesis_record){data[i], strlen(data[i]), "key-1", NULL, NULL};
        }
        kinesis_put_records_result *res = NULL;
        cr_assert_null(kinesis_put_records(c, stream, recs, RS_PLAIN, NULL, &res));
        cr_assert_eq(res->failed_count, 0);
        kinesis_put_records_result_free(res);
        uint8_t *agg = NULL;
        size_t agg_len = 0;
        cr_assert_null(kinesis_aggregate(recs + RS_PLAIN, RS_AGG, &agg, &agg_len));
        kinesis_record ar = {agg, agg_len, "key-1", NULL, NULL};
        kinesis_put_record_result *one = NULL;
        cr_assert_null(kinesis_put_record(c, stream, &ar, &one));
        kinesis_put_record_result_free(one);
        free(agg);
        cr_assert_null(kinesis_put_records(c, stream, recs + RS_PLAIN + RS_AGG, RS_PLAIN, NULL, &res));
        cr_assert_eq(res->failed_count, 0);
        kinesis_put_records_result_free(res);
        kinesis_client_free(c);
    }
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) { /* consumer A, in its own process, killed after the checkpoint */
        kinesis_client *c = kp_client();
        rs_state st = {0};
        kinesis_consumer_options co = {0};
        co.max_records = 25; /* several batches before the aggregated record */
        co.idle_interval_ms = 200;
        co.checkpoints = kinesis_checkpoint_store_file(path, NULL);
        kinesis_consumer_callbacks cb = {rs_batch_a, NULL, NULL, &st};
        st.k = kinesis_consumer_new(c, stream, &co, &cb, NULL);
        if (!st.k || kinesis_consumer_start(st.k))
            _exit(3);
        int64_t end = tl_now_ms() + 20000;
        while (tl_now_ms() < end)
            kinesis_client_run(c, 100);
        _exit(4); /* never reached the cut */
    }
    int status = 0;
    waitpid(pid, &status, 0);
    cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
              "consumer A did not die at the cut (status %d)", status);
    /* consumer B from the same file */
    kinesis_client *c = kp_client();
    got g;
    got_init(&g, RS_TOTAL);
    kinesis_consumer_options co = {0};
    co.idle_interval_ms = 200;
    kinesis_error *err = NULL;
    co.checkpoints = kinesis_checkpoint_store_file(path, &err);
    cr_assert_not_null(co.checkpoints, "checkpoint file: %s", err ? err->message : "");
    kinesis_consumer_callbacks cb = {on_batch, NULL, on_cons_error, &g};
    kinesis_consumer *k = kinesis_consumer_new(c, stream, &co, &cb, &err);
    cr_assert_not_null(k);
    cr_assert_null(kinesis_consumer_start(k));
    int64_t end = tl_now_ms() + 15000;
    while (g.distinct < RS_TOTAL - RS_CUT - 1 && tl_now_ms() < end)
        kinesis_client_run(c, 100);
    for (int i = 0; i < 5; i++) /* anything more would come now */
        kinesis_client_run(c, 100);
    kinesis_consumer_free(k);
    for (size_t i = 0; i <= RS_CUT; i++)
        cr_expect_eq(g.seen[i], 0, "record %zu (checkpointed) was delivered again", i);
    for (size_t i = RS_CUT + 1; i < RS_TOTAL; i++)
        cr_expect_eq(g.seen[i], 1, "record %zu after the checkpoint was delivered %d times", i, g.seen[i]);
    free(g.seen);
    kinesis_client_free(c);
    kp_delete(stream);
    unlink(path);
}

/* ------------------------------------------------------------------ enhanced fan-out */

/* Renewing sooner than AWS's 5-second re-subscribe rule: the new subscription is refused with
 * ResourceInUseException until the old one is gone, and the consumer waits and tries again. */
Test(kpl, fanout_consumer_renewing_early_rides_out_resource_in_use, .timeout = 60)
{
    char stream[64];
    tl_unique_name("kpl-efo", stream, sizeof stream);
    kp_create(stream, 2);
    kinesis_client *c = kp_client();
    enum { MAX = 20000 };
    got g;
    got_init(&g, MAX);
    kinesis_consumer_options co = {0};
    co.mode = KINESIS_CONSUMER_FANOUT;
    co.consumer_name = "kpl-efo-test";
    co.subscription_renew_ms = 1000; /* renew every second instead of every 5 minutes */
    co.idle_interval_ms = 200;
    kinesis_consumer_callbacks cb = {on_batch, NULL, on_cons_error, &g};
    kinesis_error *err = NULL;
    kinesis_consumer *k = kinesis_consumer_new(c, stream, &co, &cb, &err);
    cr_assert_not_null(k);
    err = kinesis_consumer_start(k);
    cr_assert_null(err, "start: %s %s", err ? err->name : "", err ? err->message : "");
    cr_assert_not_null(kinesis_consumer_arn(k));
    kinesis_producer *p = kinesis_producer_new(c, stream, NULL, &err);
    cr_assert_not_null(p);
    sent s = {0};
    size_t n = 0;
    pump(c, p, &s, &n, MAX, 4000, 300);
    cr_assert_eq(kinesis_producer_flush_wait(p, 20000), 0);
    int64_t end = tl_now_ms() + 20000;
    while (g.distinct < n && tl_now_ms() < end)
        kinesis_client_run(c, 100);
    cr_expect_eq(g.distinct, n, "%zu of %zu records delivered", g.distinct, n);
    cr_expect_eq(g.dups, 0, "%zu delivered twice across renewals", g.dups);
    cr_expect_eq(g.out_of_order, 0);
    kinesis_producer_free(p);
    kinesis_consumer_free(k);
    free(g.seen);
    kinesis_client_free(c);
    kp_delete(stream);
}

/* ------------------------------------------------------------------ backpressure, time to live */

static void count_error(const kinesis_producer_result *r, void *user)
{
    sent *s = user;
    if (r->error && strcmp(r->error->name, "ResourceNotFoundException") == 0 && r->shard_id == NULL)
        s->failed++;
    else
        s->ok++;
}

Test(kpl, put_refuses_past_the_buffer_limit_and_records_end_at_their_time_to_live, .timeout = 30)
{
    char stream[64];
    tl_unique_name("kpl-missing", stream, sizeof stream); /* never created: no shard map can load */
    kinesis_client *c = kp_client();
    kinesis_producer_options po = {0};
    po.max_buffered_bytes = 1000;
    po.record_ttl_ms = 500;
    kinesis_error *err = NULL;
    kinesis_producer *p = kinesis_producer_new(c, stream, &po, &err);
    cr_assert_not_null(p);
    sent s = {0};
    char data[100];
    memset(data, 'x', sizeof data);
    kinesis_record r = {data, sizeof data, "key-1", NULL, NULL};
    int accepted = 0, rc = KINESIS_PRODUCER_OK;
    for (int i = 0; i < 100 && (rc = kinesis_producer_put(p, &r, count_error, &s)) == KINESIS_PRODUCER_OK;
         i++)
        accepted++;
    cr_expect_eq(rc, KINESIS_PRODUCER_BUSY, "put never refused");
    cr_expect(accepted >= 9 && accepted <= 10, "%d records of 105 bytes accepted under a 1000-byte limit",
              accepted);
    kinesis_record bad = {data, sizeof data, "", NULL, NULL};
    cr_expect_eq(kinesis_producer_put(p, &bad, count_error, &s), KINESIS_PRODUCER_INVALID);
    kinesis_record bad_ehk = {data, sizeof data, "k", "12x", NULL};
    cr_expect_eq(kinesis_producer_put(p, &bad_ehk, count_error, &s), KINESIS_PRODUCER_INVALID);
    int64_t t0 = tl_now_ms();
    cr_expect_eq(kinesis_producer_flush_wait(p, 5000), 0,
                 "records not finished 5 s after their 500 ms time to live");
    int64_t waited = tl_now_ms() - t0;
    cr_expect_eq(s.failed, (size_t)accepted, "%zu of %d records failed with the ListShards error", s.failed,
                 accepted);
    cr_expect_eq(s.ok, 0);
    cr_expect(waited >= 400, "records ended after %lld ms, before their time to live", (long long)waited);
    cr_expect_eq(kinesis_producer_put(p, &r, count_error, &s), KINESIS_PRODUCER_OK,
                 "room again once they ended");
    kinesis_producer_free(p); /* the last one is cancelled */
    cr_expect_eq(s.ok, 1, "the record outstanding at free got its callback");
    kinesis_client_free(c);
}

/* ------------------------------------------------------------------ results, expired iterators */

typedef struct where {
    char seq[64][64];
    uint64_t sub[64];
    int done[64];
} where;

typedef struct where_slot {
    where *w;
    int i;
} where_slot;

static void on_where_slot(const kinesis_producer_result *r, void *user)
{
    where_slot *ws = user;
    if (r->error || !r->sequence_number)
        return;
    snprintf(ws->w->seq[ws->i], sizeof ws->w->seq[ws->i], "%s", r->sequence_number);
    ws->w->sub[ws->i] = r->sub_sequence_number;
    ws->w->done[ws->i] = 1 + r->aggregated;
}

static where *check_where;
static size_t where_mismatch, where_checked;

static void on_batch_where(const kinesis_consumer_batch *b, void *user)
{
    got *g = user;
    for (size_t i = 0; i < b->count; i++) {
        unsigned long n = 0;
        if (sscanf((const char *)b->records[i].data, "r%8lu", &n) == 1 && n < 64) {
            where_checked++;
            if (strcmp(check_where->seq[n], b->records[i].sequence_number) != 0 ||
                check_where->sub[n] != b->records[i].sub_sequence_number)
                where_mismatch++;
        }
    }
    on_batch(b, g);
}

Test(kpl, callbacks_name_the_sequence_and_sub_sequence_the_consumer_sees, .timeout = 30)
{
    char stream[64];
    tl_unique_name("kpl-where", stream, sizeof stream);
    kp_create(stream, 1);
    kinesis_client *c = kp_client();
    kinesis_producer *p = kinesis_producer_new(c, stream, NULL, NULL);
    cr_assert_not_null(p);
    static where w;
    memset(&w, 0, sizeof w);
    where_slot slots[64];
    char data[64][16];
    for (int i = 0; i < 64; i++) {
        slots[i] = (where_slot){&w, i};
        record_text(data[i], sizeof data[i], (size_t)i, 0);
        kinesis_record r = {data[i], strlen(data[i]), "key-2", NULL, NULL};
        cr_assert_eq(kinesis_producer_put(p, &r, on_where_slot, &slots[i]), KINESIS_PRODUCER_OK);
    }
    cr_assert_eq(kinesis_producer_flush_wait(p, 10000), 0);
    for (int i = 0; i < 64; i++) {
        cr_assert_eq(w.done[i], 2, "record %d: no aggregated success", i);
        cr_expect_str_eq(w.seq[i], w.seq[0], "64 records put at once share one aggregated record");
        cr_expect_eq(w.sub[i], (uint64_t)i, "record %d has sub-sequence %llu", i,
                     (unsigned long long)w.sub[i]);
    }
    kinesis_producer_free(p);
    /* the consumer sees the same numbers; an ExpiredIteratorException on its 2nd GetRecords is recovered */
    char rule[512];
    snprintf(rule, sizeof rule,
             "{\"match\": {\"operations\": [\"GetRecords\"], \"stream\": \"%s\"}, \"when\": {\"nth\": 2},"
             " \"effect\": {\"error\": \"ExpiredIteratorException\"}}",
             stream);
    json_int_t id = tl_fault_add(rule);
    /* more records after the aggregated one, so there is something to read after the failure */
    kinesis_record more = {"r00000064", 9, "key-2", NULL, NULL};
    kinesis_put_record_result *res = NULL;
    cr_assert_null(kinesis_put_record(c, stream, &more, &res));
    kinesis_put_record_result_free(res);
    check_where = &w;
    got g;
    got_init(&g, 65);
    kinesis_consumer_options co = {0};
    co.idle_interval_ms = 200;
    co.max_records = 1; /* one Kinesis record per call: the aggregated one, then the failure, then the last */
    kinesis_consumer_callbacks cb = {on_batch_where, NULL, on_cons_error, &g};
    kinesis_consumer *k = kinesis_consumer_new(c, stream, &co, &cb, NULL);
    cr_assert_not_null(k);
    cr_assert_null(kinesis_consumer_start(k));
    int64_t end = tl_now_ms() + 10000;
    while (g.distinct < 65 && tl_now_ms() < end)
        kinesis_client_run(c, 100);
    for (int i = 0; i < 5; i++)
        kinesis_client_run(c, 100);
    kinesis_consumer_free(k);
    long long calls = 0, fired = -1;
    tl_fault_counters(id, &calls, &fired);
    tl_fault_remove(id);
    cr_expect_eq(fired, 1, "the ExpiredIteratorException rule fired %lld times", fired);
    cr_expect_eq(where_checked, 64);
    cr_expect_eq(where_mismatch, 0, "%zu records read with other numbers than their callbacks gave",
                 where_mismatch);
    cr_expect_eq(g.distinct, 65, "%zu of 65 records read", g.distinct);
    cr_expect_eq(g.dups, 0, "%zu delivered twice after the expired iterator", g.dups);
    free(g.seen);
    kinesis_client_free(c);
    kp_delete(stream);
}

/* The service ends every subscription after 5 minutes: a simulator of this test's own has its clock
 * moved past that, and the consumer must subscribe again from where it was, losing nothing. */
static long sim_post_get(const char *url, const char *path, const char *body, char **out)
{
    CURL *h = curl_easy_init();
    char full[256];
    snprintf(full, sizeof full, "%s%s", url, path);
    struct curl_slist *hl = curl_slist_append(NULL, "Content-Type: application/json");
    FILE *mem = NULL;
    size_t len = 0;
    char *buf = NULL;
    mem = open_memstream(&buf, &len);
    curl_easy_setopt(h, CURLOPT_URL, full);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 10000L);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, mem);
    if (body)
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    long status = 0;
    if (curl_easy_perform(h) == CURLE_OK)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    fclose(mem);
    curl_slist_free_all(hl);
    curl_easy_cleanup(h);
    if (out)
        *out = buf;
    else
        free(buf);
    return status;
}

static long subscribe_ok_count(const char *url)
{
    char *m = NULL;
    sim_post_get(url, "/_sim/metrics", NULL, &m);
    const char *k = "kinesis_sim_requests_total{operation=\"SubscribeToShard\",outcome=\"ok\"} ";
    const char *p = m ? strstr(m, k) : NULL;
    long n = p ? atol(p + strlen(k)) : -1;
    free(m);
    return n;
}

static tl_sim life_sim;

/* After the test, a failed one too: never leave its simulator behind. */
static void stop_life_sim(void)
{
    if (life_sim.pid > 0)
        tl_sim_stop(&life_sim);
}

Test(kpl, fanout_consumer_resubscribes_when_the_5_minute_subscription_ends, .timeout = 60,
     .fini = stop_life_sim)
{
    const char *args[] = {"--db", ":memory:", "--create-delay-ms", "50", "--log-level", "warn", NULL};
    tl_sim_options so = {0};
    so.args = args;
    cr_assert_eq(tl_sim_start(&life_sim, &so), 0, "kinesis-sim did not start: %s", life_sim.printed);
    kinesis_client_options o = {0};
    o.endpoint = life_sim.url;
    o.region = TL_REGION;
    o.access_key_id = TL_ACCESS_KEY;
    o.secret_access_key = "x";
    kinesis_client *c = kinesis_client_new(&o, NULL);
    cr_assert_not_null(c);
    cr_assert_null(kinesis_create_stream(c, "efo-life", 2));
    cr_assert_null(kinesis_wait_for_stream_active(c, "efo-life", 10000, 50));
    enum { MAX = 2000 };
    got g;
    got_init(&g, MAX);
    kinesis_consumer_options co = {0};
    co.mode = KINESIS_CONSUMER_FANOUT;
    co.consumer_name = "life";
    co.idle_interval_ms = 200;
    kinesis_consumer_callbacks cb = {on_batch, NULL, on_cons_error, &g};
    kinesis_consumer *k = kinesis_consumer_new(c, "efo-life", &co, &cb, NULL);
    cr_assert_not_null(k);
    kinesis_error *err = kinesis_consumer_start(k);
    cr_assert_null(err, "start: %s", err ? err->message : "");
    kinesis_producer *p = kinesis_producer_new(c, "efo-life", NULL, NULL);
    sent s = {0};
    size_t n = 0;
    pump(c, p, &s, &n, MAX, 1000, 200);
    cr_assert_eq(kinesis_producer_flush_wait(p, 10000), 0);
    int64_t end = tl_now_ms() + 10000;
    while (g.distinct < n && tl_now_ms() < end)
        kinesis_client_run(c, 50);
    cr_assert_eq(g.distinct, n, "before the clock moved: %zu of %zu", g.distinct, n);
    long before = subscribe_ok_count(life_sim.url);
    cr_assert_eq(sim_post_get(life_sim.url, "/_sim/clock", "{\"advance_ms\": 301000}", NULL), 200);
    pump(c, p, &s, &n, MAX, 1500, 200);
    cr_assert_eq(kinesis_producer_flush_wait(p, 10000), 0);
    end = tl_now_ms() + 15000;
    while (g.distinct < n && tl_now_ms() < end)
        kinesis_client_run(c, 50);
    long after = subscribe_ok_count(life_sim.url);
    fprintf(stderr, "kpl: fan-out: %zu records, subscriptions %ld before the clock moved, %ld after\n", n,
            before, after);
    cr_expect_eq(before, 2, "one subscription per shard at first (%ld)", before);
    cr_expect(after >= 4, "the ended subscriptions were renewed (%ld subscriptions)", after);
    cr_expect_eq(g.distinct, n, "%zu of %zu records delivered", g.distinct, n);
    cr_expect_eq(g.dups, 0, "%zu delivered twice across the renewal", g.dups);
    cr_expect_eq(g.out_of_order, 0);
    kinesis_producer_free(p);
    kinesis_consumer_free(k);
    kinesis_client_free(c);
    free(g.seen);
    cr_expect_eq(tl_sim_stop(&life_sim), 0);
}
