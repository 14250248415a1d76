/* sim_ops_data.c: HTTP-level tests of the stream, record, shard and tag operations against a
 * running kinesis-sim ($KINESIS_SIM_ENDPOINT, started by ci/run-tests with short state delays):
 * create -> ACTIVE, PutRecord/PutRecords, GetShardIterator/GetRecords byte-for-byte, ListShards,
 * SplitShard lineage, tags, errors as AWS-shaped JSON, DeleteStream. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "testlib.h"

static json_t *ok_call(const char *op, json_t *in)
{
    long status = 0;
    json_t *out = tl_call_json(op, in, &status);
    json_decref(in);
    cr_assert_not_null(out, "%s: no JSON answer", op);
    cr_assert_eq(status, 200, "%s: status %ld: %s %s", op, status, tl_error_type(out), tl_error_message(out));
    return out;
}

static void make_stream(const char *name, int shards)
{
    json_decref(ok_call("CreateStream", json_pack("{s:s, s:i}", "StreamName", name, "ShardCount", shards)));
    cr_assert_eq(tl_wait_stream_status(name, "ACTIVE", 5000), 0, "stream %s never became ACTIVE", name);
}

Test(sim_ops, put_get_round_trip_over_http)
{
    char name[64];
    tl_unique_name("ops-rt", name, sizeof name);
    make_stream(name, 2);
    json_t *put = ok_call("PutRecord", json_pack("{s:s, s:s, s:s}", "StreamName", name, "PartitionKey",
                                                 "pk-1", "Data", "AAEC/w=="));
    const char *shard = json_string_value(json_object_get(put, "ShardId"));
    const char *seq = json_string_value(json_object_get(put, "SequenceNumber"));
    cr_assert_not_null(shard);
    cr_assert_not_null(seq);
    json_t *pr = ok_call("PutRecords", json_pack("{s:s, s:[{s:s, s:s}, {s:s, s:s}]}", "StreamName", name,
                                                 "Records", "PartitionKey", "pk-1", "Data",
                                                 "Yg==", "PartitionKey", "pk-1", "Data", "Yw=="));
    cr_assert_eq(json_integer_value(json_object_get(pr, "FailedRecordCount")), 0);
    cr_assert_eq(json_array_size(json_object_get(pr, "Records")), 2);
    json_t *it = ok_call("GetShardIterator", json_pack("{s:s, s:s, s:s}", "StreamName", name, "ShardId",
                                                       shard, "ShardIteratorType", "TRIM_HORIZON"));
    json_t *got =
        ok_call("GetRecords", json_pack("{s:O}", "ShardIterator", json_object_get(it, "ShardIterator")));
    json_t *recs = json_object_get(got, "Records");
    cr_assert_eq(json_array_size(recs), 3);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(recs, 0), "Data")), "AAEC/w==");
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(recs, 0), "SequenceNumber")), seq);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(recs, 2), "Data")), "Yw==");
    cr_assert(json_is_number(json_object_get(json_array_get(recs, 0), "ApproximateArrivalTimestamp")));
    cr_assert(json_is_string(json_object_get(got, "NextShardIterator")));
    json_decref(got);
    json_decref(it);
    json_decref(pr);
    json_decref(put);
    json_decref(ok_call("DeleteStream", json_pack("{s:s}", "StreamName", name)));
}

Test(sim_ops, errors_are_aws_shaped)
{
    long status = 0;
    json_t *in = json_pack("{s:s}", "StreamName", "ops-no-such-stream");
    json_t *out = tl_call_json("DescribeStream", in, &status);
    json_decref(in);
    cr_assert_not_null(out);
    cr_assert_eq(status, 400);
    cr_assert_str_eq(tl_error_type(out), "ResourceNotFoundException");
    cr_assert(strstr(tl_error_message(out), "Stream ops-no-such-stream under account ") != NULL, "%s",
              tl_error_message(out));
    json_decref(out);
    in = json_pack("{s:s}", "ShardIterator", "AAAAAAAAAAEAAAAAAAAAAAAAAAAAAAAA");
    out = tl_call_json("GetRecords", in, &status);
    json_decref(in);
    cr_assert_eq(status, 400);
    cr_assert_str_eq(tl_error_type(out), "InvalidArgumentException");
    cr_assert_str_eq(tl_error_message(out), "Invalid ShardIterator.");
    json_decref(out);
}

Test(sim_ops, split_tags_and_list_shards_over_http)
{
    char name[64];
    tl_unique_name("ops-split", name, sizeof name);
    make_stream(name, 1);
    json_decref(
        ok_call("AddTagsToStream", json_pack("{s:s, s:{s:s}}", "StreamName", name, "Tags", "env", "ci")));
    json_t *tags = ok_call("ListTagsForStream", json_pack("{s:s}", "StreamName", name));
    cr_assert_str_eq(
        json_string_value(json_object_get(json_array_get(json_object_get(tags, "Tags"), 0), "Value")), "ci");
    json_decref(tags);
    json_decref(ok_call("SplitShard", json_pack("{s:s, s:s, s:s}", "StreamName", name, "ShardToSplit",
                                                "shardId-000000000000", "NewStartingHashKey",
                                                "170141183460469231731687303715884105728")));
    cr_assert_eq(tl_wait_stream_status(name, "ACTIVE", 5000), 0);
    json_t *ls = ok_call("ListShards", json_pack("{s:s}", "StreamName", name));
    json_t *shards = json_object_get(ls, "Shards");
    cr_assert_eq(json_array_size(shards), 3);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(shards, 2), "ParentShardId")),
                     "shardId-000000000000");
    json_decref(ls);
    json_decref(ok_call("DeleteStream", json_pack("{s:s}", "StreamName", name)));
}
