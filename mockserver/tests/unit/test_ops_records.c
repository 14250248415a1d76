/* test_ops_records.c: PutRecord, PutRecords, GetShardIterator and GetRecords called directly
 * (no HTTP) on an in-memory store with a virtual clock: MD5 routing, sequence numbers,
 * byte-for-byte read-back, iterator types, expiry and AWS's error messages. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops_fixture.h"
#include "shared/base64.h"
#include "wire/ids.h"

static fx F;
static void setup(void)
{
    fx_init(&F, ":memory:");
}
static void teardown(void)
{
    fx_fini(&F);
}
TestSuite(ops_records, .init = setup, .fini = teardown);

/* GetRecords with an iterator; returns the answer. */
static json_t *get(const char *it, int limit)
{
    json_t *out = limit ? fx_call(&F, op_get_records, "GetRecords", "{\"ShardIterator\":\"%s\",\"Limit\":%d}",
                                  it, limit)
                        : fx_call(&F, op_get_records, "GetRecords", "{\"ShardIterator\":\"%s\"}", it);
    cr_assert_not_null(out, "GetRecords: %s", F.ctx.err_msg);
    return out;
}

Test(ops_records, put_then_get_round_trip_bytes)
{
    fx_stream(&F, "s1", 1);
    const uint8_t raw[] = {0, 1, 2, 0xff, 0xfe, 'a', 0};
    char *b64 = b64_encode(raw, sizeof raw, NULL);
    char shard[24];
    char *seq = fx_put(&F, "s1", "pk", b64, shard);
    cr_assert_str_eq(shard, "shardId-000000000000");
    char *it = fx_iterator(&F, "s1", "shardId-000000000000", "TRIM_HORIZON");
    json_t *out = get(it, 0);
    json_t *recs = json_object_get(out, "Records");
    cr_assert_eq(json_array_size(recs), 1);
    json_t *r = json_array_get(recs, 0);
    cr_assert_str_eq(json_string_value(json_object_get(r, "SequenceNumber")), seq);
    cr_assert_str_eq(json_string_value(json_object_get(r, "PartitionKey")), "pk");
    uint8_t *back;
    size_t len;
    cr_assert_eq(b64_decode(json_string_value(json_object_get(r, "Data")), &back, &len), 0);
    cr_assert_eq(len, sizeof raw);
    cr_assert_arr_eq(back, raw, sizeof raw);
    cr_assert_eq(json_number_value(json_object_get(r, "ApproximateArrivalTimestamp")) * 1000,
                 (double)(FX_T0_MS + 501));
    cr_assert(json_is_string(json_object_get(out, "NextShardIterator")));
    cr_assert_eq(json_integer_value(json_object_get(out, "MillisBehindLatest")), 0);
    free(back);
    free(b64);
    free(seq);
    free(it);
    json_decref(out);
}

Test(ops_records, empty_data_is_stored)
{
    fx_stream(&F, "s1", 1);
    char *seq = fx_put(&F, "s1", "pk", "", NULL);
    char *it = fx_iterator(&F, "s1", "shardId-000000000000", "TRIM_HORIZON");
    json_t *out = get(it, 0);
    json_t *r = json_array_get(json_object_get(out, "Records"), 0);
    cr_assert_str_eq(json_string_value(json_object_get(r, "Data")), "");
    free(seq);
    free(it);
    json_decref(out);
}

Test(ops_records, md5_routing_picks_the_shard_holding_the_hash)
{
    fx_stream(&F, "s4", 4);
    for (int i = 0; i < 40; i++) {
        char key[16], shard[24];
        snprintf(key, sizeof key, "key-%d", i);
        char *seq = fx_put(&F, "s4", key, "eA==", shard);
        u128 h = partition_key_hash(key, strlen(key));
        uint32_t want = 4;
        for (uint32_t s = 0; s < 4; s++) {
            u128 lo, hi;
            hash_range_split(4, s, &lo, &hi);
            if (u128_cmp(h, lo) >= 0 && u128_cmp(h, hi) <= 0)
                want = s;
        }
        char want_id[SHARD_ID_MAX];
        shard_id_format(want, want_id);
        cr_assert_str_eq(shard, want_id, "key %s", key);
        seqnum sq;
        cr_assert_eq(seqnum_parse(seq, &sq), 0);
        cr_assert_eq(sq.shard_index, want);
        free(seq);
    }
}

Test(ops_records, explicit_hash_key_routes_and_is_range_checked)
{
    fx_stream(&F, "s2", 2);
    json_t *out =
        fx_call(&F, op_put_record, "PutRecord",
                "{\"StreamName\":\"s2\",\"PartitionKey\":\"a\",\"Data\":\"eA==\",\"ExplicitHashKey\":"
                "\"340282366920938463463374607431768211455\"}");
    cr_assert_str_eq(json_string_value(json_object_get(out, "ShardId")), "shardId-000000000001");
    json_decref(out);
    out =
        fx_call(&F, op_put_record, "PutRecord",
                "{\"StreamName\":\"s2\",\"PartitionKey\":\"a\",\"Data\":\"eA==\",\"ExplicitHashKey\":\"0\"}");
    cr_assert_str_eq(json_string_value(json_object_get(out, "ShardId")), "shardId-000000000000");
    json_decref(out);
    const char *msg =
        fx_error(&F, op_put_record, "PutRecord", SIM_ERR_InvalidArgumentException,
                 "{\"StreamName\":\"s2\",\"PartitionKey\":\"a\",\"Data\":\"eA==\",\"ExplicitHashKey\":"
                 "\"340282366920938463463374607431768211456\"}");
    cr_assert_str_eq(msg,
                     "Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. Specified "
                     "value was 340282366920938463463374607431768211456");
}

Test(ops_records, sequence_numbers_increase_within_a_shard)
{
    fx_stream(&F, "s1", 1);
    char *prev = NULL;
    for (int i = 0; i < 20; i++) {
        char *seq = fx_put(&F, "s1", "same", "eA==", NULL);
        if (prev) {
            cr_assert_eq(seqnum_cmp_dec(prev, seq), -1, "%s !< %s", prev, seq);
        }
        free(prev);
        prev = seq;
        fx_advance(&F, i % 3 == 0 ? 1500 : 0);
    }
    free(prev);
}

Test(ops_records, put_to_missing_or_creating_stream_is_not_found)
{
    const char *msg = fx_error(&F, op_put_record, "PutRecord", SIM_ERR_ResourceNotFoundException,
                               "{\"StreamName\":\"nope\",\"PartitionKey\":\"a\",\"Data\":\"eA==\"}");
    cr_assert_str_eq(msg, "Stream nope under account " FX_ACCOUNT " not found.");
    json_decref(fx_call(&F, op_create_stream, "CreateStream", "{\"StreamName\":\"c\",\"ShardCount\":1}"));
    fx_error(&F, op_put_record, "PutRecord", SIM_ERR_ResourceNotFoundException,
             "{\"StreamName\":\"c\",\"PartitionKey\":\"a\",\"Data\":\"eA==\"}");
    fx_advance(&F, 500);
    json_decref(fx_call(&F, op_put_record, "PutRecord",
                        "{\"StreamName\":\"c\",\"PartitionKey\":\"a\",\"Data\":\"eA==\"}"));
}

Test(ops_records, record_over_one_mib_with_key_is_rejected)
{
    fx_stream(&F, "s1", 1);
    size_t n = 1024 * 1024;
    uint8_t *raw = calloc(1, n);
    char *b64 = b64_encode(raw, n, NULL);
    const char *msg = fx_error(&F, op_put_record, "PutRecord", SIM_ERR_ValidationException,
                               "{\"StreamName\":\"s1\",\"PartitionKey\":\"k\",\"Data\":\"%s\"}", b64);
    /* data within 1 MiB that the key takes over: the message must not say Data is over 1 MiB */
    cr_assert_str_eq(msg,
                     "1 validation error detected: Value 'java.nio.HeapByteBuffer[pos=0 lim=1048576 "
                     "cap=1048576]' at 'data' failed to satisfy constraint: Member must have length less "
                     "than or equal to 1048575");
    free(b64);
    /* data alone over 1 MiB: named as AWS names a blob (kinesalite's putRecord.js "should return
     * ValidationException for long StreamName", recorded: Value 'java.nio.HeapByteBuffer[...]') */
    uint8_t *big = calloc(1, n + 1);
    b64 = b64_encode(big, n + 1, NULL);
    msg = fx_error(&F, op_put_record, "PutRecord", SIM_ERR_ValidationException,
                   "{\"StreamName\":\"s1\",\"PartitionKey\":\"k\",\"Data\":\"%s\"}", b64);
    cr_assert_str_eq(msg,
                     "1 validation error detected: Value 'java.nio.HeapByteBuffer[pos=0 lim=1048577 "
                     "cap=1048577]' at 'data' failed to satisfy constraint: Member must have length less "
                     "than or equal to 1048576");
    free(b64);
    free(big);
    b64 = b64_encode(raw, n - 1, NULL);
    json_decref(fx_call(&F, op_put_record, "PutRecord",
                        "{\"StreamName\":\"s1\",\"PartitionKey\":\"k\",\"Data\":\"%s\"}", b64));
    free(b64);
    free(raw);
}

Test(ops_records, sequence_number_for_ordering_is_checked)
{
    fx_stream(&F, "s1", 1);
    char *seq = fx_put(&F, "s1", "k", "eA==", NULL);
    json_decref(fx_call(&F, op_put_record, "PutRecord",
                        "{\"StreamName\":\"s1\",\"PartitionKey\":\"k\",\"Data\":\"eA==\","
                        "\"SequenceNumberForOrdering\":\"%s\"}",
                        seq));
    const char *msg = fx_error(&F, op_put_record, "PutRecord", SIM_ERR_InvalidArgumentException,
                               "{\"StreamName\":\"s1\",\"PartitionKey\":\"k\",\"Data\":\"eA==\","
                               "\"SequenceNumberForOrdering\":\"12\"}");
    cr_assert_str_eq(
        msg, "ExclusiveMinimumSequenceNumber 12 used in PutRecord on stream s1 under account " FX_ACCOUNT
             " is invalid.");
    free(seq);
}

Test(ops_records, put_records_keeps_request_order_and_reads_back)
{
    fx_stream(&F, "s3", 3);
    json_t *out =
        fx_call(&F, op_put_records, "PutRecords",
                "{\"StreamName\":\"s3\",\"Records\":[{\"PartitionKey\":\"a\",\"Data\":\"MQ==\"},"
                "{\"PartitionKey\":\"b\",\"Data\":\"Mg==\"},{\"PartitionKey\":\"c\",\"Data\":\"Mw==\"},"
                "{\"PartitionKey\":\"a\",\"Data\":\"NA==\"}]}");
    cr_assert_not_null(out, "%s", F.ctx.err_msg);
    cr_assert_eq(json_integer_value(json_object_get(out, "FailedRecordCount")), 0);
    json_t *res = json_object_get(out, "Records");
    cr_assert_eq(json_array_size(res), 4);
    const char *keys[] = {"a", "b", "c", "a"};
    for (int i = 0; i < 4; i++) {
        const char *sid = json_string_value(json_object_get(json_array_get(res, (size_t)i), "ShardId"));
        char shard[24];
        char *seq = fx_put(&F, "s3", keys[i], "eA==", shard);
        cr_assert_str_eq(sid, shard, "entry %d routed like PutRecord", i);
        free(seq);
    }
    /* the two "a" records read back in order from a's shard */
    const char *sid = json_string_value(json_object_get(json_array_get(res, 0), "ShardId"));
    char *it = fx_iterator(&F, "s3", sid, "TRIM_HORIZON");
    json_t *got = get(it, 0);
    json_t *recs = json_object_get(got, "Records");
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(recs, 0), "Data")), "MQ==");
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(recs, 0), "SequenceNumber")),
                     json_string_value(json_object_get(json_array_get(res, 0), "SequenceNumber")));
    int found4 = 0;
    for (size_t i = 0; i < json_array_size(recs); i++)
        found4 |= strcmp(json_string_value(json_object_get(json_array_get(recs, i), "Data")), "NA==") == 0;
    cr_assert(found4);
    free(it);
    json_decref(got);
    json_decref(out);
}

Test(ops_records, put_records_over_five_mib_total_is_rejected_atomically)
{
    fx_stream(&F, "s1", 1);
    size_t n = 1024 * 1024 - 1;
    uint8_t *raw = calloc(1, n);
    char *b64 = b64_encode(raw, n, NULL);
    const char *msg =
        fx_error(&F, op_put_records, "PutRecords", SIM_ERR_InvalidArgumentException,
                 "{\"StreamName\":\"s1\",\"Records\":[{\"PartitionKey\":\"k\",\"Data\":\"%s\"},"
                 "{\"PartitionKey\":\"k\",\"Data\":\"%s\"},{\"PartitionKey\":\"k\",\"Data\":\"%s\"},"
                 "{\"PartitionKey\":\"k\",\"Data\":\"%s\"},{\"PartitionKey\":\"k\",\"Data\":\"%s\"},"
                 "{\"PartitionKey\":\"k\",\"Data\":\"eA==\"}]}",
                 b64, b64, b64, b64, b64);
    cr_assert_str_eq(msg, "Records size exceeds 5 MB limit");
    char *it = fx_iterator(&F, "s1", "shardId-000000000000", "TRIM_HORIZON");
    json_t *got = get(it, 0);
    cr_assert_eq(json_array_size(json_object_get(got, "Records")), 0, "nothing stored");
    json_decref(got);
    free(it);
    free(b64);
    free(raw);
}

Test(ops_records, iterator_types_position_correctly)
{
    fx_stream(&F, "s1", 1);
    char *seq1 = fx_put(&F, "s1", "k", "MQ==", NULL);
    fx_advance(&F, 2000);
    char *seq2 = fx_put(&F, "s1", "k", "Mg==", NULL);
    char *latest = fx_iterator(&F, "s1", "shardId-000000000000", "LATEST");
    fx_advance(&F, 2000);
    char *seq3 = fx_put(&F, "s1", "k", "Mw==", NULL);

    json_t *out = get(latest, 0);
    cr_assert_eq(json_array_size(json_object_get(out, "Records")), 1);
    cr_assert_str_eq(
        json_string_value(json_object_get(json_array_get(json_object_get(out, "Records"), 0), "Data")),
        "Mw==");
    json_decref(out);

    json_t *it = fx_call(&F, op_get_shard_iterator, "GetShardIterator",
                         "{\"StreamName\":\"s1\",\"ShardId\":\"shardId-000000000000\",\"ShardIteratorType\":"
                         "\"AT_SEQUENCE_NUMBER\",\"StartingSequenceNumber\":\"%s\"}",
                         seq2);
    out = get(json_string_value(json_object_get(it, "ShardIterator")), 0);
    cr_assert_eq(json_array_size(json_object_get(out, "Records")), 2);
    json_decref(out);
    json_decref(it);

    it = fx_call(&F, op_get_shard_iterator, "GetShardIterator",
                 "{\"StreamName\":\"s1\",\"ShardId\":\"shardId-000000000000\",\"ShardIteratorType\":"
                 "\"AFTER_SEQUENCE_NUMBER\",\"StartingSequenceNumber\":\"%s\"}",
                 seq2);
    out = get(json_string_value(json_object_get(it, "ShardIterator")), 0);
    cr_assert_eq(json_array_size(json_object_get(out, "Records")), 1);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(out, "Records"), 0),
                                                       "SequenceNumber")),
                     seq3);
    json_decref(out);
    json_decref(it);

    /* AT_TIMESTAMP between record 1 and 2 starts at record 2 */
    it = fx_call(&F, op_get_shard_iterator, "GetShardIterator",
                 "{\"StreamName\":\"s1\",\"ShardId\":\"shardId-000000000000\",\"ShardIteratorType\":"
                 "\"AT_TIMESTAMP\",\"Timestamp\":%.3f}",
                 (double)(FX_T0_MS + 501 + 1000) / 1000.0);
    out = get(json_string_value(json_object_get(it, "ShardIterator")), 0);
    cr_assert_eq(json_array_size(json_object_get(out, "Records")), 2);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(out, "Records"), 0),
                                                       "SequenceNumber")),
                     seq2);
    json_decref(out);
    json_decref(it);

    /* TRIM_HORIZON with Limit pages through with NextShardIterator */
    char *th = fx_iterator(&F, "s1", "shardId-000000000000", "TRIM_HORIZON");
    out = get(th, 2);
    cr_assert_eq(json_array_size(json_object_get(out, "Records")), 2);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(out, "Records"), 0),
                                                       "SequenceNumber")),
                     seq1);
    cr_assert_gt(json_integer_value(json_object_get(out, "MillisBehindLatest")), 0);
    json_t *out2 = get(json_string_value(json_object_get(out, "NextShardIterator")), 2);
    cr_assert_eq(json_array_size(json_object_get(out2, "Records")), 1);
    json_decref(out2);
    json_decref(out);
    free(th);
    free(latest);
    free(seq1);
    free(seq2);
    free(seq3);
}

Test(ops_records, get_shard_iterator_errors)
{
    fx_stream(&F, "s1", 2);
    char *seq = fx_put(&F, "s1", "k", "eA==", NULL);
    seqnum sq;
    cr_assert_eq(seqnum_parse(seq, &sq), 0);
    const char *other = sq.shard_index == 0 ? "shardId-000000000001" : "shardId-000000000000";
    const char *msg;
    msg = fx_error(&F, op_get_shard_iterator, "GetShardIterator", SIM_ERR_InvalidArgumentException,
                   "{\"StreamName\":\"s1\",\"ShardId\":\"shardId-000000000000\",\"ShardIteratorType\":\"AT_"
                   "SEQUENCE_NUMBER\"}");
    cr_assert_str_eq(
        msg, "Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and StartingSequenceNumber "
             "or (2) TRIM_HORIZON or LATEST and no StartingSequenceNumber. Request specified "
             "AT_SEQUENCE_NUMBER and no StartingSequenceNumber.");
    msg = fx_error(
        &F, op_get_shard_iterator, "GetShardIterator", SIM_ERR_InvalidArgumentException,
        "{\"StreamName\":\"s1\",\"ShardId\":\"shardId-000000000000\",\"ShardIteratorType\":\"LATEST\","
        "\"StartingSequenceNumber\":\"%s\"}",
        seq);
    cr_assert(strstr(msg, "Request specified LATEST and also a StartingSequenceNumber."), "%s", msg);
    msg = fx_error(&F, op_get_shard_iterator, "GetShardIterator", SIM_ERR_InvalidArgumentException,
                   "{\"StreamName\":\"s1\",\"ShardId\":\"%s\",\"ShardIteratorType\":\"AT_SEQUENCE_NUMBER\","
                   "\"StartingSequenceNumber\":\"%s\"}",
                   other, seq);
    char want[256];
    char sid[SHARD_ID_MAX];
    shard_id_format(sq.shard_index, sid);
    snprintf(want, sizeof want,
             "Invalid StartingSequenceNumber. It encodes %s, while it was used in a call to a shard with %s",
             sid, other);
    cr_assert_str_eq(msg, want);
    /* a small number is an old-layout one encoding its shard (kinesalite's getShardIterator.js "should
     * return InvalidArgumentException if shard mismatches simple sequence", recorded) */
    msg = fx_error(&F, op_get_shard_iterator, "GetShardIterator", SIM_ERR_InvalidArgumentException,
                   "{\"StreamName\":\"s1\",\"ShardId\":\"shardId-000000000000\",\"ShardIteratorType\":\"AT_"
                   "SEQUENCE_NUMBER\","
                   "\"StartingSequenceNumber\":\"5\"}");
    cr_assert_str_eq(
        msg, "Invalid StartingSequenceNumber. It encodes shardId-000000000005, while it was used in a "
             "call to a shard with shardId-000000000000");
    /* a shard creation time of 16025175000 s or more ("... with large date", recorded) */
    msg = fx_error(&F, op_get_shard_iterator, "GetShardIterator", SIM_ERR_InvalidArgumentException,
                   "{\"StreamName\":\"s1\",\"ShardId\":\"shardId-000000000000\",\"ShardIteratorType\":\"AT_"
                   "SEQUENCE_NUMBER\","
                   "\"StartingSequenceNumber\":\"26227199374822427428162556223570313216\"}");
    cr_assert_str_eq(msg,
                     "StartingSequenceNumber 26227199374822427428162556223570313216 used in GetShardIterator "
                     "on shard shardId-000000000000 in stream s1 under account " FX_ACCOUNT " is invalid.");
    msg = fx_error(
        &F, op_get_shard_iterator, "GetShardIterator", SIM_ERR_ResourceNotFoundException,
        "{\"StreamName\":\"s1\",\"ShardId\":\"shardId-000000000005\",\"ShardIteratorType\":\"LATEST\"}");
    cr_assert_str_eq(msg,
                     "Shard shardId-000000000005 in stream s1 under account " FX_ACCOUNT " does not exist");
    msg = fx_error(&F, op_get_shard_iterator, "GetShardIterator", SIM_ERR_InvalidArgumentException,
                   "{\"StreamName\":\"s1\",\"ShardId\":\"shardId-000000000000\",\"ShardIteratorType\":\"AT_"
                   "TIMESTAMP\"}");
    cr_assert_str_eq(
        msg, "Must specify timestampInMillis parameter for iterator of type AT_TIMESTAMP. Current request "
             "has no timestamp parameter.");
    msg = fx_error(
        &F, op_get_shard_iterator, "GetShardIterator", SIM_ERR_InvalidArgumentException,
        "{\"StreamName\":\"s1\",\"ShardId\":\"shardId-000000000000\",\"ShardIteratorType\":\"AT_TIMESTAMP\","
        "\"Timestamp\":%lld}",
        (long long)(FX_T0_MS / 1000 + 3600));
    cr_assert(strncmp(msg,
                      "The timestampInMillis parameter cannot be greater than the currentTimestampInMillis. ",
                      85) == 0,
              "%s", msg);
    /* a bare shard number is accepted */
    char *it = fx_iterator(&F, "s1", "1", "LATEST");
    free(it);
    free(seq);
}

Test(ops_records, iterator_expires_after_300_seconds)
{
    fx_stream(&F, "s1", 1);
    char *it = fx_iterator(&F, "s1", "shardId-000000000000", "TRIM_HORIZON");
    fx_advance(&F, 300000);
    json_decref(get(it, 0));
    fx_advance(&F, 1);
    const char *msg = fx_error(&F, op_get_records, "GetRecords", SIM_ERR_ExpiredIteratorException,
                               "{\"ShardIterator\":\"%s\"}", it);
    cr_assert_str_eq(
        msg, "Iterator expired. The iterator was created at time Tue Nov 14 22:13:20 UTC 2023 while right "
             "now it is Tue Nov 14 22:18:20 UTC 2023 which is further in the future than the tolerated "
             "delay of 300000 milliseconds.");
    free(it);
}

Test(ops_records, forged_or_foreign_iterator_is_invalid)
{
    fx_stream(&F, "s1", 1);
    char *it = fx_iterator(&F, "s1", "shardId-000000000000", "TRIM_HORIZON");
    size_t len = strlen(it);
    it[len / 2] = it[len / 2] == 'A' ? 'B' : 'A';
    const char *msg = fx_error(&F, op_get_records, "GetRecords", SIM_ERR_InvalidArgumentException,
                               "{\"ShardIterator\":\"%s\"}", it);
    cr_assert_str_eq(msg, "Invalid ShardIterator.");
    fx_error(&F, op_get_records, "GetRecords", SIM_ERR_InvalidArgumentException,
             "{\"ShardIterator\":\"garbage\"}");
    free(it);
    /* an iterator of another account does not read this one */
    it = fx_iterator(&F, "s1", "shardId-000000000000", "TRIM_HORIZON");
    snprintf(F.ctx.account_id, sizeof F.ctx.account_id, "999999999999");
    fx_error(&F, op_get_records, "GetRecords", SIM_ERR_InvalidArgumentException, "{\"ShardIterator\":\"%s\"}",
             it);
    free(it);
}

Test(ops_records, iterator_of_a_recreated_stream_is_not_found)
{
    fx_stream(&F, "s1", 1);
    char *it = fx_iterator(&F, "s1", "shardId-000000000000", "TRIM_HORIZON");
    json_decref(fx_call(&F, op_delete_stream, "DeleteStream", "{\"StreamName\":\"s1\"}"));
    fx_advance(&F, 501);
    fx_stream(&F, "s1", 1);
    const char *msg = fx_error(&F, op_get_records, "GetRecords", SIM_ERR_ResourceNotFoundException,
                               "{\"ShardIterator\":\"%s\"}", it);
    cr_assert_str_eq(msg,
                     "Shard shardId-000000000000 in stream s1 under account " FX_ACCOUNT " does not exist");
    free(it);
}

Test(ops_records, retention_hides_old_records)
{
    fx_stream(&F, "s1", 1);
    char *old = fx_put(&F, "s1", "k", "MQ==", NULL);
    fx_advance(&F, 24LL * 3600 * 1000 - 1000);
    char *young = fx_put(&F, "s1", "k", "Mg==", NULL);
    fx_advance(&F, 2000);
    char *it = fx_iterator(&F, "s1", "shardId-000000000000", "TRIM_HORIZON");
    json_t *out = get(it, 0);
    json_t *recs = json_object_get(out, "Records");
    cr_assert_eq(json_array_size(recs), 1);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(recs, 0), "SequenceNumber")), young);
    json_decref(out);
    free(it);
    free(old);
    free(young);
}
