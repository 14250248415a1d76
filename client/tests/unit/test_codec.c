/* test_codec.c: request bodies and response parsing of every typed call (client/src/codec.c),
 * including malformed and truncated answers, which must give UNEXPECTED_RESPONSE and never crash. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static json_t *parse(const char *text)
{
    json_t *j = json_loads(text, 0, NULL);
    cr_assert_not_null(j, "not JSON: %s", text);
    return j;
}

static const char *sget(json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static void expect_malformed(kinesis_error *e)
{
    cr_assert_not_null(e);
    cr_assert_eq(e->type, KINESIS_ERROR_UNEXPECTED_RESPONSE);
    cr_assert_str_eq(e->name, KINESIS_ERR_MALFORMED);
    kinesis_error_free(e);
}

/* The call runs first, then its error is checked (argument order is unspecified in C). */
#define expect_bad_arg(call, errvar)                                                                         \
    do {                                                                                                     \
        char *body_ = (call);                                                                                \
        check_bad_arg(body_, errvar);                                                                        \
    } while (0)

static void check_bad_arg(char *body, kinesis_error *e)
{
    cr_assert_null(body);
    cr_assert_not_null(e);
    cr_assert_eq(e->type, KINESIS_ERROR_LIBRARY);
    cr_assert_str_eq(e->name, KINESIS_ERR_INVALID_PARAMETER);
    kinesis_error_free(e);
}

/* ------------------------------------------------------------------ base64 */

Test(codec, base64_round_trip_and_rejects)
{
    const uint8_t bin[] = {0, 1, 2, 0xff, 0xfe, 'a'};
    char *t = kc_base64_encode(bin, sizeof bin);
    cr_assert_str_eq(t, "AAEC//5h");
    size_t n = 0;
    uint8_t *d = kc_base64_decode(t, &n);
    cr_assert_eq(n, sizeof bin);
    cr_assert_eq(memcmp(d, bin, n), 0);
    free(d);
    free(t);
    d = kc_base64_decode("aGk=", &n);
    cr_assert_eq(n, 2);
    cr_assert_str_eq((char *)d, "hi");
    free(d);
    d = kc_base64_decode("", &n);
    cr_assert_eq(n, 0);
    free(d);
    cr_assert_null(kc_base64_decode("abc", &n));
    cr_assert_null(kc_base64_decode("ab!d", &n));
    cr_assert_null(kc_base64_decode("a=bc", &n));
    cr_assert_null(kc_base64_decode("ab c", &n));
}

/* ------------------------------------------------------------------ builders */

Test(codec, put_record_body)
{
    kinesis_error *e = NULL;
    kinesis_record r = {"hello", 5, "pk1", NULL, NULL};
    char *b = kc_build_put_record("s1", &r, &e);
    cr_assert_null(e);
    json_t *j = parse(b);
    cr_assert_str_eq(sget(j, "StreamName"), "s1");
    cr_assert_str_eq(sget(j, "Data"), "aGVsbG8=");
    cr_assert_str_eq(sget(j, "PartitionKey"), "pk1");
    cr_assert_null(json_object_get(j, "ExplicitHashKey"));
    cr_assert_null(json_object_get(j, "SequenceNumberForOrdering"));
    json_decref(j);
    free(b);
    kinesis_record r2 = {NULL, 0, "pk", "12345", "4950"};
    b = kc_build_put_record("s1", &r2, &e);
    j = parse(b);
    cr_assert_str_eq(sget(j, "Data"), "");
    cr_assert_str_eq(sget(j, "ExplicitHashKey"), "12345");
    cr_assert_str_eq(sget(j, "SequenceNumberForOrdering"), "4950");
    json_decref(j);
    free(b);
}

Test(codec, put_record_bad_arguments)
{
    kinesis_error *e = NULL;
    kinesis_record ok = {"x", 1, "pk", NULL, NULL};
    expect_bad_arg(kc_build_put_record("s", NULL, &e), e);
    kinesis_record nopk = {"x", 1, NULL, NULL, NULL};
    expect_bad_arg(kc_build_put_record("s", &nopk, &e), e);
    kinesis_record emptypk = {"x", 1, "", NULL, NULL};
    expect_bad_arg(kc_build_put_record("s", &emptypk, &e), e);
    kinesis_record nodata = {NULL, 3, "pk", NULL, NULL};
    expect_bad_arg(kc_build_put_record("s", &nodata, &e), e);
    kinesis_record badutf = {"x", 1, "\xff\xfe", NULL, NULL};
    expect_bad_arg(kc_build_put_record("s", &badutf, &e), e);
    expect_bad_arg(kc_build_put_record(NULL, &ok, &e), e);
    expect_bad_arg(kc_build_put_record("", &ok, &e), e);
}

Test(codec, put_records_entries_and_subset)
{
    kinesis_error *e = NULL;
    kinesis_record rs[3] = {
        {"a", 1, "k0", NULL, "ignored"}, {"bb", 2, "k1", "99", NULL}, {"ccc", 3, "k2", NULL, NULL}};
    char *entries = kc_build_put_records_entries(rs, 3, &e);
    cr_assert_null(e);
    size_t idx[2] = {2, 0};
    char *b = kc_build_put_records("s", entries, idx, 2, &e);
    cr_assert_null(e);
    json_t *j = parse(b);
    json_t *arr = json_object_get(j, "Records");
    cr_assert_eq(json_array_size(arr), 2);
    cr_assert_str_eq(sget(json_array_get(arr, 0), "PartitionKey"), "k2");
    cr_assert_str_eq(sget(json_array_get(arr, 0), "Data"), "Y2Nj");
    cr_assert_str_eq(sget(json_array_get(arr, 1), "PartitionKey"), "k0");
    /* SequenceNumberForOrdering is a PutRecord field only */
    cr_assert_null(json_object_get(json_array_get(arr, 1), "SequenceNumberForOrdering"));
    json_decref(j);
    free(b);
    b = kc_build_put_records("s", entries, NULL, 3, &e);
    j = parse(b);
    cr_assert_str_eq(sget(json_array_get(json_object_get(j, "Records"), 1), "ExplicitHashKey"), "99");
    json_decref(j);
    free(b);
    size_t bad[1] = {7};
    expect_bad_arg(kc_build_put_records("s", entries, bad, 1, &e), e);
    free(entries);
    expect_bad_arg(kc_build_put_records_entries(rs, 0, &e), e);
    expect_bad_arg(kc_build_put_records_entries(NULL, 2, &e), e);
    kinesis_record withbad[2] = {{"a", 1, "k", NULL, NULL}, {"a", 1, "", NULL, NULL}};
    expect_bad_arg(kc_build_put_records_entries(withbad, 2, &e), e);
}

Test(codec, shard_iterator_all_types)
{
    kinesis_error *e = NULL;
    kinesis_iterator_options seq = {"4950", 0}, ts = {NULL, 1459799926480};
    struct {
        kinesis_iterator_type t;
        const kinesis_iterator_options *o;
        const char *name;
    } cases[] = {{KINESIS_ITERATOR_AT_SEQUENCE_NUMBER, &seq, "AT_SEQUENCE_NUMBER"},
                 {KINESIS_ITERATOR_AFTER_SEQUENCE_NUMBER, &seq, "AFTER_SEQUENCE_NUMBER"},
                 {KINESIS_ITERATOR_AT_TIMESTAMP, &ts, "AT_TIMESTAMP"},
                 {KINESIS_ITERATOR_TRIM_HORIZON, NULL, "TRIM_HORIZON"},
                 {KINESIS_ITERATOR_LATEST, NULL, "LATEST"}};
    for (size_t i = 0; i < 5; i++) {
        char *b = kc_build_get_shard_iterator("s", "shardId-000000000001", cases[i].t, cases[i].o, &e);
        cr_assert_null(e, "%s", cases[i].name);
        json_t *j = parse(b);
        cr_assert_str_eq(sget(j, "ShardIteratorType"), cases[i].name);
        cr_assert_str_eq(sget(j, "ShardId"), "shardId-000000000001");
        cr_assert_str_eq(sget(j, "StreamName"), "s");
        if (cases[i].o == &seq)
            cr_assert_str_eq(sget(j, "StartingSequenceNumber"), "4950");
        else
            cr_assert_null(json_object_get(j, "StartingSequenceNumber"));
        if (cases[i].o == &ts)
            cr_assert_float_eq(json_number_value(json_object_get(j, "Timestamp")), 1459799926.48, 1e-6);
        else
            cr_assert_null(json_object_get(j, "Timestamp"));
        json_decref(j);
        free(b);
        kinesis_iterator_type back;
        cr_assert_eq(kinesis_iterator_type_parse(cases[i].name, &back), 0);
        cr_assert_eq(back, cases[i].t);
    }
    kinesis_iterator_type t;
    cr_assert_eq(kinesis_iterator_type_parse("abc", &t), -1);
    cr_assert_eq(kinesis_iterator_type_parse(NULL, &t), -1);
}

Test(codec, shard_iterator_bad_arguments)
{
    kinesis_error *e = NULL;
    kinesis_iterator_options seq = {"4950", 0}, ts = {NULL, 1000}, empty = {"", 0};
    expect_bad_arg(kc_build_get_shard_iterator("s", "sh", KINESIS_ITERATOR_AT_SEQUENCE_NUMBER, NULL, &e), e);
    expect_bad_arg(kc_build_get_shard_iterator("s", "sh", KINESIS_ITERATOR_AFTER_SEQUENCE_NUMBER, &empty, &e),
                   e);
    expect_bad_arg(kc_build_get_shard_iterator("s", "sh", KINESIS_ITERATOR_AT_TIMESTAMP, &seq, &e), e);
    expect_bad_arg(kc_build_get_shard_iterator("s", "sh", KINESIS_ITERATOR_AT_SEQUENCE_NUMBER, &ts, &e), e);
    expect_bad_arg(kc_build_get_shard_iterator("s", "sh", KINESIS_ITERATOR_LATEST, &seq, &e), e);
    expect_bad_arg(kc_build_get_shard_iterator("s", "", KINESIS_ITERATOR_LATEST, NULL, &e), e);
    expect_bad_arg(kc_build_get_shard_iterator("s", NULL, KINESIS_ITERATOR_LATEST, NULL, &e), e);
    expect_bad_arg(kc_build_get_shard_iterator("s", "sh", (kinesis_iterator_type)42, NULL, &e), e);
    expect_bad_arg(kc_build_get_shard_iterator(NULL, "sh", KINESIS_ITERATOR_LATEST, NULL, &e), e);
}

Test(codec, get_records_list_shards_create_bodies)
{
    kinesis_error *e = NULL;
    char *b = kc_build_get_records("it", 0, &e);
    cr_assert_str_eq(b, "{\"ShardIterator\":\"it\"}");
    free(b);
    b = kc_build_get_records("it", 25, &e);
    json_t *j = parse(b);
    cr_assert_eq(json_integer_value(json_object_get(j, "Limit")), 25);
    json_decref(j);
    free(b);
    expect_bad_arg(kc_build_get_records("", 1, &e), e);
    expect_bad_arg(kc_build_get_records("it", -1, &e), e);

    b = kc_build_list_shards("s", NULL, &e);
    cr_assert_str_eq(b, "{\"StreamName\":\"s\"}");
    free(b);
    b = kc_build_list_shards("s", "tok", &e);
    cr_assert_str_eq(b, "{\"NextToken\":\"tok\"}");
    free(b);

    b = kc_build_create_stream("s", 3, &e);
    j = parse(b);
    cr_assert_eq(json_integer_value(json_object_get(j, "ShardCount")), 3);
    json_decref(j);
    free(b);
    b = kc_build_create_stream("s", 0, &e);
    j = parse(b);
    cr_assert_str_eq(sget(json_object_get(j, "StreamModeDetails"), "StreamMode"), "ON_DEMAND");
    cr_assert_null(json_object_get(j, "ShardCount"));
    json_decref(j);
    free(b);
    expect_bad_arg(kc_build_create_stream("s", -2, &e), e);

    b = kc_build_delete_stream("s", &e);
    j = parse(b);
    cr_assert(json_is_true(json_object_get(j, "EnforceConsumerDeletion")));
    json_decref(j);
    free(b);

    b = kc_build_list_streams(NULL, NULL, &e);
    cr_assert_str_eq(b, "{}");
    free(b);
    b = kc_build_list_streams(NULL, "last", &e);
    cr_assert_str_eq(b, "{\"ExclusiveStartStreamName\":\"last\"}");
    free(b);
    b = kc_build_list_streams("t", "last", &e);
    cr_assert_str_eq(b, "{\"NextToken\":\"t\"}");
    free(b);
}

/* ------------------------------------------------------------------ error answers */

Test(codec, error_answer_names_and_messages)
{
    const char *b1 =
        "{\"__type\":\"com.amazonaws.kinesis.v20131202#ResourceNotFoundException\",\"message\":\"Stream s "
        "under account 000000000000 not found.\"}";
    kinesis_error *e = kc_error_from_answer(400, b1, strlen(b1), "rid-1", NULL);
    cr_assert_eq(e->type, KINESIS_ERROR_REQUEST_FAILED);
    cr_assert_str_eq(e->name, "ResourceNotFoundException");
    cr_assert_str_eq(e->message, "Stream s under account 000000000000 not found.");
    cr_assert_eq(e->http_status, 400);
    cr_assert_str_eq(e->request_id, "rid-1");
    kinesis_error_free(e);

    const char *b2 = "{\"__type\":\"SerializationException\",\"Message\":\"Start of structure found\"}";
    e = kc_error_from_answer(400, b2, strlen(b2), NULL, NULL);
    cr_assert_str_eq(e->name, "SerializationException");
    cr_assert_str_eq(e->message, "Start of structure found");
    cr_assert_null(e->request_id);
    kinesis_error_free(e);

    e = kc_error_from_answer(503, "<html>down</html>", 17, NULL, "ServiceUnavailable:http://internal");
    cr_assert_str_eq(e->name, "ServiceUnavailable");
    cr_assert_str_eq(e->message, "AWS Kinesis request failed with status code: 503");
    kinesis_error_free(e);

    e = kc_error_from_answer(500, "", 0, NULL, NULL);
    cr_assert_str_eq(e->name, "UnknownError");
    cr_assert_eq(e->http_status, 500);
    kinesis_error_free(e);
}

/* ------------------------------------------------------------------ parsers */

Test(codec, parse_put_record)
{
    const char *ok =
        "{\"ShardId\":\"shardId-000000000000\",\"SequenceNumber\":\"4959\",\"EncryptionType\":\"KMS\"}";
    kinesis_put_record_result *r = NULL;
    cr_assert_null(kc_parse_put_record(ok, strlen(ok), &r));
    cr_assert_str_eq(r->shard_id, "shardId-000000000000");
    cr_assert_str_eq(r->sequence_number, "4959");
    cr_assert_eq(r->encryption_type, KINESIS_ENCRYPTION_KMS);
    cr_assert_null(r->error_code);
    kinesis_put_record_result_free(r);
    const char *bad[] = {"",
                         "null",
                         "[]",
                         "not json",
                         "{\"ShardId\":\"x\"}",
                         "{\"ShardId\":1,\"SequenceNumber\":\"1\"}",
                         "{\"ShardId\":\"x\",\"SequenceNumber\":\"\"}",
                         "{\"ShardId\":\"x\",\"SequenceNumber\":\"1\",\"EncryptionType\":5}"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        expect_malformed(kc_parse_put_record(bad[i], strlen(bad[i]), &r));
        cr_assert_null(r);
    }
}

Test(codec, parse_put_records_partial)
{
    const char *ok =
        "{\"FailedRecordCount\":1,\"EncryptionType\":\"NONE\",\"Records\":["
        "{\"ShardId\":\"shardId-000000000000\",\"SequenceNumber\":\"1\"},"
        "{\"ErrorCode\":\"ProvisionedThroughputExceededException\",\"ErrorMessage\":\"Rate exceeded\"}]}";
    kinesis_put_record_result res[2];
    memset(res, 0, sizeof res);
    size_t failed = 9;
    cr_assert_null(kc_parse_put_records(ok, strlen(ok), 2, NULL, res, &failed));
    cr_assert_eq(failed, 1);
    cr_assert_str_eq(res[0].sequence_number, "1");
    cr_assert_null(res[0].error_code);
    cr_assert_str_eq(res[1].error_code, "ProvisionedThroughputExceededException");
    cr_assert_str_eq(res[1].error_message, "Rate exceeded");
    cr_assert_null(res[1].shard_id);
    /* a re-send of entry 1 alone lands in slot 1 */
    const char *again = "{\"FailedRecordCount\":0,\"Records\":[{\"ShardId\":\"shardId-000000000001\","
                        "\"SequenceNumber\":\"2\"}]}";
    size_t idx[1] = {1};
    cr_assert_null(kc_parse_put_records(again, strlen(again), 1, idx, res, &failed));
    cr_assert_eq(failed, 0);
    cr_assert_str_eq(res[1].shard_id, "shardId-000000000001");
    cr_assert_null(res[1].error_code);
    for (int i = 0; i < 2; i++) {
        free(res[i].shard_id);
        free(res[i].sequence_number);
        free(res[i].error_code);
        free(res[i].error_message);
    }
}

Test(codec, parse_put_records_malformed)
{
    const char *bad[] = {
        "{}",
        "{\"FailedRecordCount\":0}",
        "{\"FailedRecordCount\":0,\"Records\":[]}", /* fewer entries than sent */
        "{\"FailedRecordCount\":0,\"Records\":[1]}",
        "{\"FailedRecordCount\":\"0\",\"Records\":[{\"ShardId\":\"a\",\"SequenceNumber\":\"1\"}]}",
        "{\"FailedRecordCount\":0,\"Records\":[{\"ShardId\":\"a\"}]}",
        "{\"FailedRecordCount\":1,\"Records\":[{\"ErrorCode\":7}]}",
        "{\"FailedRecordCount\":0,\"Records\":[{\"ShardId\":\"a\",\"SequenceNumber\":\"1\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        kinesis_put_record_result res[1];
        memset(res, 0, sizeof res);
        size_t failed;
        expect_malformed(kc_parse_put_records(bad[i], strlen(bad[i]), 1, NULL, res, &failed));
        cr_assert_null(res[0].shard_id);
    }
}

static const char *SHARDS_PAGE =
    "{\"NextToken\":\"tok2\",\"Shards\":[{\"ShardId\":\"shardId-000000000000\","
    "\"HashKeyRange\":{\"StartingHashKey\":\"0\",\"EndingHashKey\":"
    "\"170141183460469231731687303715884105727\"},"
    "\"SequenceNumberRange\":{\"StartingSequenceNumber\":\"100\",\"EndingSequenceNumber\":\"200\"}},"
    "{\"ShardId\":\"shardId-000000000002\",\"ParentShardId\":\"shardId-000000000000\","
    "\"HashKeyRange\":{\"StartingHashKey\":\"0\",\"EndingHashKey\":\"5\"},"
    "\"SequenceNumberRange\":{\"StartingSequenceNumber\":\"300\"}}]}";

Test(codec, parse_list_shards)
{
    kinesis_shard_list *l = calloc(1, sizeof *l);
    char *next = NULL;
    cr_assert_null(kc_parse_list_shards(SHARDS_PAGE, strlen(SHARDS_PAGE), l, &next));
    cr_assert_str_eq(next, "tok2");
    cr_assert_eq(l->count, 2);
    cr_assert_str_eq(l->shards[0].ending_sequence_number, "200");
    cr_assert_null(l->shards[0].parent_shard_id);
    cr_assert_str_eq(l->shards[1].parent_shard_id, "shardId-000000000000");
    cr_assert_null(l->shards[1].ending_sequence_number);
    cr_assert_str_eq(l->shards[0].ending_hash_key, "170141183460469231731687303715884105727");
    free(next);
    const char *last = "{\"Shards\":[]}";
    cr_assert_null(kc_parse_list_shards(last, strlen(last), l, &next));
    cr_assert_null(next);
    cr_assert_eq(l->count, 2);
    const char *bad[] = {"{}",
                         "{\"Shards\":{}}",
                         "{\"Shards\":[{\"ShardId\":\"x\"}]}",
                         "{\"Shards\":[null]}",
                         "{\"Shards\":[],\"NextToken\":3}",
                         "{\"Shards\":[{\"ShardId\":\"x\",\"HashKeyRange\":{},\"SequenceNumberRange\":{}}]}"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        expect_malformed(kc_parse_list_shards(bad[i], strlen(bad[i]), l, &next));
        cr_assert_eq(l->count, 2, "a bad page must not change the list");
    }
    kinesis_shard_list_free(l);
}

Test(codec, parse_get_shard_iterator)
{
    char *it = NULL;
    const char *ok = "{\"ShardIterator\":\"AAAA\"}";
    cr_assert_null(kc_parse_get_shard_iterator(ok, strlen(ok), &it));
    cr_assert_str_eq(it, "AAAA");
    free(it);
    expect_malformed(kc_parse_get_shard_iterator("{}", 2, &it));
    expect_malformed(kc_parse_get_shard_iterator("{\"ShardIterator\":null}", 22, &it));
    cr_assert_null(it);
}

static const char *RECORDS =
    "{\"Records\":[{\"Data\":\"AAEC//5h\",\"PartitionKey\":\"pk\",\"SequenceNumber\":\"4950\","
    "\"ApproximateArrivalTimestamp\":1459799926.48,\"EncryptionType\":\"KMS\"},"
    "{\"Data\":\"\",\"PartitionKey\":\"pk2\",\"SequenceNumber\":\"4951\",\"ApproximateArrivalTimestamp\":1."
    "5e9}],"
    "\"NextShardIterator\":null,\"MillisBehindLatest\":1234,\"ChildShards\":[{\"ShardId\":\"shardId-"
    "000000000003\","
    "\"ParentShards\":[\"shardId-000000000001\",\"shardId-000000000002\"],"
    "\"HashKeyRange\":{\"StartingHashKey\":\"0\",\"EndingHashKey\":\"9\"}}]}";

Test(codec, parse_get_records)
{
    kinesis_get_records_result *r = NULL;
    cr_assert_null(kc_parse_get_records(RECORDS, strlen(RECORDS), &r));
    cr_assert_eq(r->count, 2);
    const uint8_t bin[] = {0, 1, 2, 0xff, 0xfe, 'a'};
    cr_assert_eq(r->records[0].data_len, sizeof bin);
    cr_assert_eq(memcmp(r->records[0].data, bin, sizeof bin), 0);
    cr_assert_str_eq(r->records[0].partition_key, "pk");
    cr_assert_str_eq(r->records[0].sequence_number, "4950");
    cr_assert_eq(r->records[0].arrival_ms, 1459799926480);
    cr_assert_eq(r->records[0].encryption_type, KINESIS_ENCRYPTION_KMS);
    cr_assert_eq(r->records[1].data_len, 0);
    cr_assert_eq(r->records[1].arrival_ms, 1500000000000);
    cr_assert_eq(r->records[1].encryption_type, KINESIS_ENCRYPTION_NONE);
    cr_assert_null(r->next_shard_iterator);
    cr_assert_eq(r->millis_behind_latest, 1234);
    cr_assert_eq(r->n_child_shards, 1);
    cr_assert_str_eq(r->child_shards[0].shard_id, "shardId-000000000003");
    cr_assert_eq(r->child_shards[0].n_parent_shards, 2);
    cr_assert_str_eq(r->child_shards[0].parent_shards[1], "shardId-000000000002");
    cr_assert_str_eq(r->child_shards[0].ending_hash_key, "9");
    kinesis_get_records_result_free(r);

    const char *open = "{\"Records\":[],\"NextShardIterator\":\"next\"}";
    cr_assert_null(kc_parse_get_records(open, strlen(open), &r));
    cr_assert_eq(r->count, 0);
    cr_assert_str_eq(r->next_shard_iterator, "next");
    cr_assert_eq(r->millis_behind_latest, 0);
    kinesis_get_records_result_free(r);
}

Test(codec, parse_get_records_malformed)
{
    const char *bad[] = {
        "{\"NextShardIterator\":\"x\"}",
        "{\"Records\":[{\"Data\":\"a\",\"PartitionKey\":\"p\",\"SequenceNumber\":\"1\","
        "\"ApproximateArrivalTimestamp\":1}]}",
        "{\"Records\":[{\"PartitionKey\":\"p\",\"SequenceNumber\":\"1\",\"ApproximateArrivalTimestamp\":1}]}",
        "{\"Records\":[{\"Data\":\"\",\"SequenceNumber\":\"1\",\"ApproximateArrivalTimestamp\":1}]}",
        "{\"Records\":[{\"Data\":\"\",\"PartitionKey\":\"p\",\"SequenceNumber\":\"1\"}]}",
        "{\"Records\":[{\"Data\":\"\",\"PartitionKey\":\"p\",\"SequenceNumber\":\"1\","
        "\"ApproximateArrivalTimestamp\":\"x\"}]}",
        "{\"Records\":[],\"MillisBehindLatest\":\"5\"}",
        "{\"Records\":[],\"ChildShards\":{}}",
        "{\"Records\":[],\"ChildShards\":[{\"ParentShards\":[]}]}",
        "{\"Records\":[],\"ChildShards\":[{\"ShardId\":\"a\",\"ParentShards\":[1]}]}",
        "{\"Records\":[7]}",
        "{\"Records\":[],\"NextShardIterator\":4}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        kinesis_get_records_result *r = NULL;
        expect_malformed(kc_parse_get_records(bad[i], strlen(bad[i]), &r));
        cr_assert_null(r, "case %zu", i);
    }
}

/* Every truncation of a valid answer is an error, never a crash. */
Test(codec, truncated_answers)
{
    size_t n = strlen(RECORDS);
    for (size_t cut = 0; cut < n; cut++) {
        kinesis_get_records_result *r = NULL;
        kinesis_error *e = kc_parse_get_records(RECORDS, cut, &r);
        cr_assert_not_null(e, "prefix of %zu bytes parsed", cut);
        cr_assert_eq(e->type, KINESIS_ERROR_UNEXPECTED_RESPONSE);
        kinesis_error_free(e);
    }
    n = strlen(SHARDS_PAGE);
    for (size_t cut = 0; cut < n; cut++) {
        kinesis_shard_list l = {0};
        char *next = NULL;
        kinesis_error *e = kc_parse_list_shards(SHARDS_PAGE, cut, &l, &next);
        cr_assert_not_null(e);
        kinesis_error_free(e);
        cr_assert_eq(l.count, 0);
        free(l.shards);
    }
}

Test(codec, parse_describe_stream_summary)
{
    const char *ok =
        "{\"StreamDescriptionSummary\":{\"StreamName\":\"s\",\"StreamARN\":\"arn:aws:kinesis:us-east-1:"
        "000000000000:stream/s\",\"StreamStatus\":\"ACTIVE\",\"StreamModeDetails\":{\"StreamMode\":"
        "\"PROVISIONED\"},\"RetentionPeriodHours\":24,\"StreamCreationTimestamp\":1700000000.5,"
        "\"EncryptionType\":\"NONE\",\"OpenShardCount\":2,\"ConsumerCount\":0,\"EnhancedMonitoring\":[]}}";
    kinesis_stream_summary *s = NULL;
    cr_assert_null(kc_parse_describe_stream_summary(ok, strlen(ok), &s));
    cr_assert_str_eq(s->stream_name, "s");
    cr_assert_str_eq(s->stream_status, "ACTIVE");
    cr_assert_str_eq(s->stream_mode, "PROVISIONED");
    cr_assert_eq(s->retention_period_hours, 24);
    cr_assert_eq(s->open_shard_count, 2);
    cr_assert_eq(s->creation_ms, 1700000000500);
    kinesis_stream_summary_free(s);
    const char *bad[] = {
        "{}", "{\"StreamDescriptionSummary\":[]}",
        "{\"StreamDescriptionSummary\":{\"StreamName\":\"s\",\"StreamARN\":\"a\"}}",
        ("{\"StreamDescriptionSummary\":{\"StreamName\":\"s\",\"StreamARN\":\"a\",\"StreamStatus\":"
         "\"ACTIVE\",\"OpenShardCount\":\"2\"}}")};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        expect_malformed(kc_parse_describe_stream_summary(bad[i], strlen(bad[i]), &s));
        cr_assert_null(s);
    }
}

Test(codec, parse_list_streams)
{
    kinesis_string_list *l = calloc(1, sizeof *l);
    int more = 0;
    char *next = NULL;
    const char *p1 = "{\"StreamNames\":[\"a\",\"b\"],\"HasMoreStreams\":true,\"NextToken\":\"t\"}";
    cr_assert_null(kc_parse_list_streams(p1, strlen(p1), l, &more, &next));
    cr_assert_eq(more, 1);
    cr_assert_str_eq(next, "t");
    free(next);
    const char *p2 = "{\"StreamNames\":[\"c\"],\"HasMoreStreams\":false}";
    cr_assert_null(kc_parse_list_streams(p2, strlen(p2), l, &more, &next));
    cr_assert_eq(more, 0);
    cr_assert_null(next);
    cr_assert_eq(l->count, 3);
    cr_assert_str_eq(l->items[2], "c");
    expect_malformed(kc_parse_list_streams("{\"StreamNames\":[1]}", 19, l, &more, &next));
    expect_malformed(kc_parse_list_streams("{\"StreamNames\":[],\"HasMoreStreams\":1}", 37, l, &more, &next));
    expect_malformed(kc_parse_list_streams("{}", 2, l, &more, &next));
    cr_assert_eq(l->count, 3);
    kinesis_string_list_free(l);
}

/* AT_TIMESTAMP 0 is the epoch (before every record), not "unset"; a negative time is refused. */
Test(codec, shard_iterator_at_timestamp_zero)
{
    kinesis_error *e = NULL;
    kinesis_iterator_options zero = {NULL, 0}, neg = {NULL, -1};
    char *b = kc_build_get_shard_iterator("s", "sh", KINESIS_ITERATOR_AT_TIMESTAMP, &zero, &e);
    cr_assert_null(e, "%s", e ? e->message : "");
    json_t *j = parse(b);
    cr_assert(json_is_number(json_object_get(j, "Timestamp")), "%s", b);
    cr_assert_float_eq(json_number_value(json_object_get(j, "Timestamp")), 0.0, 1e-9);
    json_decref(j);
    free(b);
    expect_bad_arg(kc_build_get_shard_iterator("s", "sh", KINESIS_ITERATOR_AT_TIMESTAMP, &neg, &e), e);
    expect_bad_arg(kc_build_get_shard_iterator("s", "sh", KINESIS_ITERATOR_AT_TIMESTAMP, NULL, &e), e);
}
