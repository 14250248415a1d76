/* test_ops_decimals.c: Integer members sent as JSON decimals (5.0, 1.9). AWS accepts them and
 * truncates (sim_validate_integer, validate.h); json_integer_value would read 0. Each case calls a
 * handler of the streams, shards or records group with a decimal and checks the truncated value
 * took effect. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "ops_fixture.h"

static fx F;
static void setup(void)
{
    fx_init(&F, ":memory:");
}
static void teardown(void)
{
    fx_fini(&F);
}
TestSuite(ops_decimals, .init = setup, .fini = teardown);

static size_t shard_count(const char *stream)
{
    json_t *out = fx_call(&F, op_list_shards, "ListShards", "{\"StreamName\":\"%s\"}", stream);
    cr_assert_not_null(out, "%s", F.ctx.err_msg);
    size_t n = json_array_size(json_object_get(out, "Shards"));
    json_decref(out);
    return n;
}

Test(ops_decimals, create_stream_shard_count)
{
    json_t *out = fx_call(&F, op_create_stream, "CreateStream", "{\"StreamName\":\"d\",\"ShardCount\":3.0}");
    cr_assert_not_null(out, "%s", F.ctx.err_msg);
    json_decref(out);
    fx_advance(&F, 501);
    cr_assert_eq(shard_count("d"), 3);
    out = fx_call(&F, op_create_stream, "CreateStream", "{\"StreamName\":\"e\",\"ShardCount\":2.7}");
    cr_assert_not_null(out, "%s", F.ctx.err_msg);
    json_decref(out);
    fx_advance(&F, 501);
    cr_assert_eq(shard_count("e"), 2, "2.7 truncates to 2");
}

Test(ops_decimals, list_shards_max_results_and_describe_limit)
{
    fx_stream(&F, "s", 3);
    json_t *out = fx_call(&F, op_list_shards, "ListShards", "{\"StreamName\":\"s\",\"MaxResults\":1.0}");
    cr_assert_not_null(out, "%s", F.ctx.err_msg);
    cr_assert_eq(json_array_size(json_object_get(out, "Shards")), 1);
    cr_assert_not_null(json_object_get(out, "NextToken"));
    json_decref(out);
    out = fx_call(&F, op_describe_stream, "DescribeStream", "{\"StreamName\":\"s\",\"Limit\":2.0}");
    cr_assert_not_null(out, "%s", F.ctx.err_msg);
    json_t *d = json_object_get(out, "StreamDescription");
    cr_assert_eq(json_array_size(json_object_get(d, "Shards")), 2);
    cr_assert(json_is_true(json_object_get(d, "HasMoreShards")));
    json_decref(out);
}

Test(ops_decimals, list_streams_limit)
{
    fx_stream(&F, "a", 1);
    fx_stream(&F, "b", 1);
    json_t *out = fx_call(&F, op_list_streams, "ListStreams", "{\"Limit\":1.0}");
    cr_assert_not_null(out, "%s", F.ctx.err_msg);
    cr_assert_eq(json_array_size(json_object_get(out, "StreamNames")), 1);
    cr_assert(json_is_true(json_object_get(out, "HasMoreStreams")));
    json_decref(out);
}

Test(ops_decimals, retention_period_hours)
{
    fx_stream(&F, "r", 1);
    json_t *out = fx_call(&F, op_increase_stream_retention_period, "IncreaseStreamRetentionPeriod",
                          "{\"StreamName\":\"r\",\"RetentionPeriodHours\":48.9}");
    cr_assert_not_null(out, "%s", F.ctx.err_msg);
    json_decref(out);
    out = fx_call(&F, op_describe_stream_summary, "DescribeStreamSummary", "{\"StreamName\":\"r\"}");
    cr_assert_not_null(out, "%s", F.ctx.err_msg);
    cr_assert_eq(json_integer_value(json_object_get(json_object_get(out, "StreamDescriptionSummary"),
                                                    "RetentionPeriodHours")),
                 48);
    json_decref(out);
    out = fx_call(&F, op_decrease_stream_retention_period, "DecreaseStreamRetentionPeriod",
                  "{\"StreamName\":\"r\",\"RetentionPeriodHours\":30.0}");
    cr_assert_not_null(out, "%s", F.ctx.err_msg);
    json_decref(out);
    out = fx_call(&F, op_describe_stream_summary, "DescribeStreamSummary", "{\"StreamName\":\"r\"}");
    cr_assert_eq(json_integer_value(json_object_get(json_object_get(out, "StreamDescriptionSummary"),
                                                    "RetentionPeriodHours")),
                 30);
    json_decref(out);
}

Test(ops_decimals, update_shard_count_target)
{
    fx_stream(&F, "u", 1);
    json_t *out = fx_call(&F, op_update_shard_count, "UpdateShardCount",
                          "{\"StreamName\":\"u\",\"TargetShardCount\":2.0,"
                          "\"ScalingType\":\"UNIFORM_SCALING\"}");
    cr_assert_not_null(out, "%s", F.ctx.err_msg);
    cr_assert_eq(json_integer_value(json_object_get(out, "TargetShardCount")), 2);
    json_decref(out);
    fx_advance(&F, 501);
    /* the parent closed and two children opened */
    cr_assert_eq(shard_count("u"), 3);
}

Test(ops_decimals, get_records_limit)
{
    fx_stream(&F, "g", 1);
    for (int i = 0; i < 3; i++)
        free(fx_put(&F, "g", "k", "aGVsbG8=", NULL));
    char *it = fx_iterator(&F, "g", "shardId-000000000000", "TRIM_HORIZON");
    json_t *out = fx_call(&F, op_get_records, "GetRecords", "{\"ShardIterator\":\"%s\",\"Limit\":2.9}", it);
    cr_assert_not_null(out, "%s", F.ctx.err_msg);
    cr_assert_eq(json_array_size(json_object_get(out, "Records")), 2, "2.9 truncates to 2");
    json_decref(out);
    free(it);
}

Test(ops_decimals, tags_limit_and_max_record_size)
{
    fx_stream(&F, "t", 1);
    json_t *out = fx_call(&F, op_add_tags_to_stream, "AddTagsToStream",
                          "{\"StreamName\":\"t\",\"Tags\":{\"a\":\"1\",\"b\":\"2\",\"c\":\"3\"}}");
    cr_assert_not_null(out, "%s", F.ctx.err_msg);
    json_decref(out);
    out = fx_call(&F, op_list_tags_for_stream, "ListTagsForStream", "{\"StreamName\":\"t\",\"Limit\":2.0}");
    cr_assert_not_null(out, "%s", F.ctx.err_msg);
    cr_assert_eq(json_array_size(json_object_get(out, "Tags")), 2);
    cr_assert(json_is_true(json_object_get(out, "HasMoreTags")));
    json_decref(out);

    out = fx_call(&F, op_describe_stream_summary, "DescribeStreamSummary", "{\"StreamName\":\"t\"}");
    cr_assert_not_null(out, "%s", F.ctx.err_msg);
    const char *arn =
        json_string_value(json_object_get(json_object_get(out, "StreamDescriptionSummary"), "StreamARN"));
    char *arn_copy = strdup(arn);
    json_decref(out);
    out = fx_call(&F, op_update_max_record_size, "UpdateMaxRecordSize",
                  "{\"StreamARN\":\"%s\",\"MaxRecordSizeInKiB\":2048.0}", arn_copy);
    free(arn_copy);
    cr_assert_not_null(out, "%s", F.ctx.err_msg);
    json_decref(out);
    out = fx_call(&F, op_describe_stream_summary, "DescribeStreamSummary", "{\"StreamName\":\"t\"}");
    cr_assert_not_null(out, "%s", F.ctx.err_msg);
    json_t *kib = json_object_get(json_object_get(out, "StreamDescriptionSummary"), "MaxRecordSizeInKiB");
    cr_assert(json_is_integer(kib), "MaxRecordSizeInKiB missing from the summary");
    cr_assert_eq(json_integer_value(kib), 2048);
    json_decref(out);
}
