/* test_fanout.c: Criterion tests for the fan-out load's accounting (ci/bench/fanout_check.c): the
 * record header, sequence number order, the ledger's exactly-once check, PutRecords answers and
 * the SubscribeToShard event stream reader. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fanout_check.h"
#include "shared/eventstream.h"

Test(fanout_hdr, round_trip_and_foreign_data)
{
    char b64[FO_HDR_B64 + 8];
    fo_hdr_b64(123456789012345ULL, 987654321ULL, b64);
    memcpy(b64 + FO_HDR_B64, "AAAA", 5); /* more data after the header */
    uint64_t id = 0, t = 0;
    cr_assert_eq(fo_hdr_parse(b64, strlen(b64), &id, &t), 0);
    cr_assert_eq(id, 123456789012345ULL);
    cr_assert_eq(t, 987654321ULL);
    cr_assert_eq(fo_hdr_parse(b64, FO_HDR_B64 - 1, &id, &t), -1, "too short");
    cr_assert_eq(fo_hdr_parse("QUJDREVGR0hJSktMTU5PUFFS", 24, &id, &t), -1, "no magic");
    cr_assert_eq(fo_hdr_parse("!!!!!!!!!!!!!!!!!!!!!!!!", 24, &id, &t), -1, "not base64");
}

Test(fanout_seq, numeric_order)
{
    cr_assert_gt(fo_seq_cmp("10", "9"), 0);
    cr_assert_lt(fo_seq_cmp("49590338271490256608559692538361571095921575989136588802",
                            "49590338271490256608559692540925702759324208523137515618"),
                 0);
    cr_assert_eq(fo_seq_cmp("007", "7"), 0);
    cr_assert_eq(fo_seq_cmp("0", "0"), 0);
    cr_assert_lt(fo_seq_cmp("0", "1"), 0);
}

static fo_ledger led;

/* n ids, acknowledged round robin over the shards. */
static void ack_all(int n)
{
    cr_assert_eq(fo_ledger_init(&led, 2, 2), 0);
    cr_assert_eq(fo_ledger_take(&led, n), 0);
    for (int i = 0; i < n; i++)
        fo_ledger_set(&led, (uint64_t)i, i % 2);
}

static void seq(int n, char out[32])
{
    snprintf(out, 32, "%d", 1000 + n);
}

/* Every consumer gets every record of its shard, in order. */
static void deliver_all(int n, int skip_consumer, int skip_id)
{
    char s[32];
    for (int c = 0; c < 2; c++)
        for (int i = 0; i < n; i++) {
            if (c == skip_consumer && i == skip_id)
                continue;
            seq(i, s);
            cr_assert_eq(fo_ledger_deliver(&led, c, i % 2, (uint64_t)i, s), FO_DELIVER_OK);
        }
}

Test(fanout_ledger, every_record_once_passes)
{
    ack_all(10);
    cr_assert_eq(fo_caught_up(&led), 0);
    deliver_all(10, -1, -1);
    fo_report r;
    cr_assert_eq(fo_verify(&led, &r), 0);
    cr_assert_eq(r.acked, 10);
    cr_assert_eq(r.expected, 20);
    cr_assert_eq(r.lost + r.duplicated + r.misordered + r.wrong_shard + r.not_stored + r.foreign, 0);
    cr_assert_eq(fo_caught_up(&led), 1);
    fo_ledger_free(&led);
}

Test(fanout_ledger, a_lost_record_fails)
{
    ack_all(10);
    deliver_all(10, 1, 7);
    fo_report r;
    cr_assert_eq(fo_verify(&led, &r), 1);
    cr_assert_eq(r.lost, 1);
    cr_assert_eq(fo_caught_up(&led), 0);
    fo_ledger_free(&led);
}

Test(fanout_ledger, a_duplicate_fails)
{
    ack_all(4);
    deliver_all(4, -1, -1);
    cr_assert_eq(fo_ledger_deliver(&led, 0, 0, 2, "2000"), FO_DELIVER_DUP);
    fo_report r;
    cr_assert_eq(fo_verify(&led, &r), 1);
    cr_assert_eq(r.duplicated, 1);
    cr_assert_eq(r.lost, 0);
    fo_ledger_free(&led);
}

Test(fanout_ledger, out_of_order_fails)
{
    ack_all(4);
    /* shard 0 holds ids 0 and 2: consumer 0 sees 2 before 0 */
    cr_assert_eq(fo_ledger_deliver(&led, 0, 0, 2, "1002"), FO_DELIVER_OK);
    cr_assert_eq(fo_ledger_deliver(&led, 0, 0, 0, "1000"), FO_DELIVER_MISORDERED);
    fo_report r;
    cr_assert_eq(fo_verify(&led, &r), 1);
    cr_assert_eq(r.misordered, 1);
    fo_ledger_free(&led);
}

Test(fanout_ledger, wrong_shard_not_stored_and_foreign_fail)
{
    cr_assert_eq(fo_ledger_init(&led, 1, 2), 0);
    cr_assert_eq(fo_ledger_take(&led, 3), 0);
    fo_ledger_set(&led, 0, 0);
    fo_ledger_set(&led, 1, FO_FAILED);
    fo_ledger_set(&led, 2, 1);
    fo_ledger_deliver(&led, 0, 1, 0, "1");  /* stored on shard 0, delivered on shard 1 */
    fo_ledger_deliver(&led, 0, 0, 1, "2");  /* failed entry delivered */
    fo_ledger_deliver(&led, 0, 1, 2, "3");  /* fine */
    fo_ledger_deliver(&led, 0, 1, 99, "4"); /* never handed out */
    fo_report r;
    cr_assert_eq(fo_verify(&led, &r), 1);
    cr_assert_eq(r.wrong_shard, 1);
    cr_assert_eq(r.not_stored, 1);
    cr_assert_eq(r.foreign, 1);
    cr_assert_eq(r.lost, 0);
    fo_ledger_free(&led);
}

Test(fanout_ledger, unclear_answers_are_tolerated_either_way)
{
    cr_assert_eq(fo_ledger_init(&led, 1, 1), 0);
    cr_assert_eq(fo_ledger_take(&led, 3), 0);
    fo_ledger_set(&led, 0, 0);
    fo_ledger_set(&led, 1, FO_UNKNOWN); /* id 2 stays FO_PENDING */
    fo_ledger_deliver(&led, 0, 0, 0, "1");
    fo_ledger_deliver(&led, 0, 0, 1, "2");
    fo_report r;
    cr_assert_eq(fo_verify(&led, &r), 0);
    cr_assert_eq(r.uncertain, 2);
    cr_assert_eq(r.acked, 1);
    fo_ledger_free(&led);
}

Test(fanout_ledger, delivery_before_the_ack_counts)
{
    /* a record can reach a consumer before its PutRecords answer reaches the producer */
    cr_assert_eq(fo_ledger_init(&led, 1, 1), 0);
    cr_assert_eq(fo_ledger_take(&led, 1), 0);
    cr_assert_eq(fo_ledger_deliver(&led, 0, 0, 0, "1"), FO_DELIVER_OK);
    fo_ledger_set(&led, 0, 0);
    fo_report r;
    cr_assert_eq(fo_verify(&led, &r), 0);
    cr_assert_eq(fo_caught_up(&led), 1);
    fo_ledger_free(&led);
}

Test(fanout_ledger, ids_grow_past_the_first_allocation)
{
    cr_assert_eq(fo_ledger_init(&led, 3, 1), 0);
    cr_assert_eq(fo_ledger_take(&led, 60000), 0);
    cr_assert_eq(fo_ledger_take(&led, 60000), 60000);
    fo_ledger_set(&led, 119999, 0);
    cr_assert_eq(led.ack[119999], 1);
    cr_assert_eq(led.got[2][119999], 0);
    cr_assert_eq(fo_ledger_take(&led, (int)FO_MAX_IDS), -1);
    fo_ledger_free(&led);
}

static char *shard_names[] = {"shardId-000000000000", "shardId-000000000001"};

Test(fanout_put, answer_entries_map_to_shards_and_failures)
{
    cr_assert_eq(fo_ledger_init(&led, 1, 2), 0);
    cr_assert_eq(fo_ledger_take(&led, 3), 0);
    const char *body = "{\"FailedRecordCount\":1,\"Records\":["
                       "{\"SequenceNumber\":\"1\",\"ShardId\":\"shardId-000000000001\"},"
                       "{\"ErrorCode\":\"ProvisionedThroughputExceededException\",\"ErrorMessage\":\"x\"},"
                       "{\"SequenceNumber\":\"2\",\"ShardId\":\"shardId-000000000000\",\"ErrorCode\":null}]}";
    long long acked = 0, failed = 0;
    cr_assert_eq(fo_put_answer(&led, 0, 3, 200, body, strlen(body), shard_names, 2, &acked, &failed), 0);
    cr_assert_eq(acked, 2);
    cr_assert_eq(failed, 1);
    cr_assert_eq(led.ack[0], 2);
    cr_assert_eq(led.ack[1], FO_FAILED);
    cr_assert_eq(led.ack[2], 1);
    cr_assert_eq(led.acked[0], 1);
    cr_assert_eq(led.acked[1], 1);
    fo_ledger_free(&led);
}

Test(fanout_put, errors_and_unreadable_answers)
{
    cr_assert_eq(fo_ledger_init(&led, 1, 2), 0);
    cr_assert_eq(fo_ledger_take(&led, 6), 0);
    long long acked = 0, failed = 0;
    cr_assert_eq(fo_put_answer(&led, 0, 2, 400, "{}", 2, shard_names, 2, &acked, &failed), 0);
    cr_assert_eq(led.ack[0], FO_FAILED, "a 4xx stored nothing");
    cr_assert_eq(fo_put_answer(&led, 2, 2, 503, NULL, 0, shard_names, 2, &acked, &failed), 0);
    cr_assert_eq(led.ack[3], FO_UNKNOWN, "a 5xx may have stored");
    const char *one = "{\"Records\":[{\"SequenceNumber\":\"1\",\"ShardId\":\"shardId-000000000000\"}]}";
    cr_assert_eq(fo_put_answer(&led, 4, 2, 200, one, strlen(one), shard_names, 2, &acked, &failed), -1,
                 "fewer entries than records");
    cr_assert_eq(led.ack[4], FO_UNKNOWN);
    cr_assert_eq(acked, 0);
    fo_ledger_free(&led);
}

/* ---- the event stream reader ---- */

static uint8_t *stream_bytes;
static size_t stream_len;

static void add_frame(int exception, const char *type, const char *payload)
{
    uint8_t *f;
    size_t fl;
    int rc =
        exception
            ? eventstream_encode_exception(type, NULL, (const uint8_t *)payload, strlen(payload), &f, &fl)
            : eventstream_encode_event(type, NULL, (const uint8_t *)payload, strlen(payload), &f, &fl);
    cr_assert_eq(rc, 0);
    stream_bytes = realloc(stream_bytes, stream_len + fl);
    memcpy(stream_bytes + stream_len, f, fl);
    stream_len += fl;
    free(f);
}

/* A SubscribeToShardEvent payload with records (id, seq) of ours. */
static void add_event(const uint64_t *ids, const char *const *seqs, int n)
{
    json_t *recs = json_array();
    for (int i = 0; i < n; i++) {
        char data[FO_HDR_B64 + 5];
        fo_hdr_b64(ids[i], 5000, data);
        memcpy(data + FO_HDR_B64, "AAAA", 5);
        json_array_append_new(recs, json_pack("{s:s, s:s, s:s, s:f}", "SequenceNumber", seqs[i], "Data", data,
                                              "PartitionKey", "pk", "ApproximateArrivalTimestamp", 1.5));
    }
    json_t *ev = json_pack("{s:o, s:s, s:i}", "Records", recs, "ContinuationSequenceNumber", "9",
                           "MillisBehindLatest", 0);
    char *s = json_dumps(ev, JSON_COMPACT);
    add_frame(0, "SubscribeToShardEvent", s);
    free(s);
    json_decref(ev);
}

static long long seen_records, seen_bytes;
static void on_rec(void *ud, uint64_t send_us, size_t bytes)
{
    (void)ud;
    cr_assert_eq(send_us, 5000);
    seen_records++;
    seen_bytes += (long long)bytes;
}

static void reset_stream(void)
{
    free(stream_bytes);
    stream_bytes = NULL;
    stream_len = 0;
    seen_records = seen_bytes = 0;
}

Test(fanout_sub, events_in_any_chunking)
{
    cr_assert_eq(fo_ledger_init(&led, 1, 1), 0);
    cr_assert_eq(fo_ledger_take(&led, 3), 0);
    for (int i = 0; i < 3; i++)
        fo_ledger_set(&led, (uint64_t)i, 0);
    reset_stream();
    add_frame(0, "initial-response", "{}");
    uint64_t a[] = {0, 1}, b[] = {2};
    const char *sa[] = {"10", "11"}, *sb[] = {"12"};
    add_event(a, sa, 2);
    add_event(NULL, NULL, 0); /* a heartbeat */
    add_event(b, sb, 1);
    fo_sub sub = {.consumer = 0, .shard = 0};
    for (size_t i = 0; i < stream_len; i++) /* one byte at a time */
        cr_assert_eq(fo_sub_feed(&sub, &led, stream_bytes + i, 1, on_rec, NULL), 0, "at byte %zu: %s", i,
                     sub.error);
    cr_assert_eq(sub.got_initial, 1);
    cr_assert_eq(sub.events, 4);
    cr_assert_eq(sub.records, 3);
    cr_assert_eq(sub.len, 0);
    cr_assert_eq(sub.bytes, (long long)stream_len);
    cr_assert_eq(seen_records, 3);
    cr_assert_eq(seen_bytes, 3 * (FO_HDR_RAW + 3));
    fo_report r;
    cr_assert_eq(fo_verify(&led, &r), 0);
    fo_sub_free(&sub);
    reset_stream();
    fo_ledger_free(&led);
}

Test(fanout_sub, a_record_delivered_twice_is_caught)
{
    cr_assert_eq(fo_ledger_init(&led, 1, 1), 0);
    cr_assert_eq(fo_ledger_take(&led, 2), 0);
    fo_ledger_set(&led, 0, 0);
    fo_ledger_set(&led, 1, 0);
    reset_stream();
    uint64_t a[] = {0, 1, 1};
    const char *sa[] = {"10", "11", "11"};
    add_event(a, sa, 3);
    fo_sub sub = {.consumer = 0, .shard = 0};
    cr_assert_eq(fo_sub_feed(&sub, &led, stream_bytes, stream_len, NULL, NULL), 0);
    fo_report r;
    cr_assert_eq(fo_verify(&led, &r), 1);
    cr_assert_eq(r.duplicated, 1);
    fo_sub_free(&sub);
    reset_stream();
    fo_ledger_free(&led);
}

Test(fanout_sub, exception_and_corrupt_bytes_end_the_stream)
{
    cr_assert_eq(fo_ledger_init(&led, 1, 1), 0);
    reset_stream();
    add_frame(1, "ResourceInUseException", "{\"message\":\"took over\"}");
    fo_sub sub = {.consumer = 0, .shard = 0};
    cr_assert_eq(fo_sub_feed(&sub, &led, stream_bytes, stream_len, NULL, NULL), -1);
    cr_assert_eq(sub.ended, 1);
    cr_assert(strstr(sub.error, "ResourceInUseException") != NULL, "%s", sub.error);
    fo_sub_free(&sub);

    reset_stream();
    add_frame(0, "initial-response", "{}");
    stream_bytes[stream_len - 1] ^= 0x55; /* the message CRC no longer matches */
    fo_sub sub2 = {.consumer = 0, .shard = 0};
    cr_assert_eq(fo_sub_feed(&sub2, &led, stream_bytes, stream_len, NULL, NULL), -1);
    cr_assert(strstr(sub2.error, "event stream") != NULL, "%s", sub2.error);
    fo_sub_free(&sub2);

    uint8_t *bad = NULL;
    size_t bl;
    cr_assert_eq(
        eventstream_encode_event("SubscribeToShardEvent", NULL, (const uint8_t *)"[1]", 3, &bad, &bl), 0);
    fo_sub sub3 = {.consumer = 0, .shard = 0};
    cr_assert_eq(fo_sub_feed(&sub3, &led, bad, bl, NULL, NULL), -1, "a payload without Records");
    free(bad);
    fo_sub_free(&sub3);
    reset_stream();
    fo_ledger_free(&led);
}

Test(fanout_sub, records_without_our_header_are_foreign)
{
    cr_assert_eq(fo_ledger_init(&led, 1, 1), 0);
    reset_stream();
    add_frame(0, "SubscribeToShardEvent",
              "{\"Records\":[{\"SequenceNumber\":\"1\",\"Data\":\"aGVsbG8=\",\"PartitionKey\":\"p\"}],"
              "\"ContinuationSequenceNumber\":\"1\",\"MillisBehindLatest\":0}");
    fo_sub sub = {.consumer = 0, .shard = 0};
    cr_assert_eq(fo_sub_feed(&sub, &led, stream_bytes, stream_len, NULL, NULL), 0);
    fo_report r;
    cr_assert_eq(fo_verify(&led, &r), 1);
    cr_assert_eq(r.foreign, 1);
    fo_sub_free(&sub);
    reset_stream();
    fo_ledger_free(&led);
}
