/* test_ops_streams.c: CreateStream, DeleteStream, DescribeStream(Summary), ListStreams and the
 * retention operations, called directly on an in-memory store with a virtual clock: state
 * transitions, pagination, NextToken expiry, ARNs and AWS's exact messages. */
#include <criterion/criterion.h>
#include <stdio.h>
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
TestSuite(ops_streams, .init = setup, .fini = teardown);

static json_t *describe(const char *name)
{
    json_t *out = fx_call(&F, op_describe_stream, "DescribeStream", "{\"StreamName\":\"%s\"}", name);
    cr_assert_not_null(out, "DescribeStream: %s", F.ctx.err_msg);
    return out;
}

static const char *status_of(json_t *d)
{
    return json_string_value(json_object_get(json_object_get(d, "StreamDescription"), "StreamStatus"));
}

Test(ops_streams, create_is_creating_then_active_after_delay)
{
    json_t *out = fx_call(&F, op_create_stream, "CreateStream", "{\"StreamName\":\"s\",\"ShardCount\":3}");
    cr_assert_not_null(out);
    cr_assert_eq(json_object_size(out), 0);
    json_decref(out);
    json_t *d = describe("s");
    cr_assert_str_eq(status_of(d), "CREATING");
    json_decref(d);
    fx_advance(&F, 499);
    d = describe("s");
    cr_assert_str_eq(status_of(d), "CREATING");
    json_decref(d);
    fx_advance(&F, 1);
    d = describe("s");
    cr_assert_str_eq(status_of(d), "ACTIVE");
    json_t *sd = json_object_get(d, "StreamDescription");
    cr_assert_str_eq(json_string_value(json_object_get(sd, "StreamARN")),
                     "arn:aws:kinesis:us-east-1:" FX_ACCOUNT ":stream/s");
    cr_assert_eq(json_integer_value(json_object_get(sd, "RetentionPeriodHours")), 24);
    cr_assert_eq(json_integer_value(json_object_get(sd, "StreamCreationTimestamp")), FX_T0_MS / 1000);
    cr_assert_eq(json_is_false(json_object_get(sd, "HasMoreShards")), 1);
    cr_assert_str_eq(json_string_value(json_object_get(sd, "EncryptionType")), "NONE");
    cr_assert_str_eq(
        json_string_value(json_object_get(json_object_get(sd, "StreamModeDetails"), "StreamMode")),
        "PROVISIONED");
    cr_assert_eq(json_array_size(json_object_get(json_array_get(json_object_get(sd, "EnhancedMonitoring"), 0),
                                                 "ShardLevelMetrics")),
                 0);
    json_t *shards = json_object_get(sd, "Shards");
    cr_assert_eq(json_array_size(shards), 3);
    json_t *s0 = json_array_get(shards, 0), *s2 = json_array_get(shards, 2);
    cr_assert_str_eq(json_string_value(json_object_get(s0, "ShardId")), "shardId-000000000000");
    cr_assert_str_eq(
        json_string_value(json_object_get(json_object_get(s0, "HashKeyRange"), "StartingHashKey")), "0");
    cr_assert_str_eq(json_string_value(json_object_get(json_object_get(s0, "HashKeyRange"), "EndingHashKey")),
                     "113427455640312821154458202477256070484");
    cr_assert_str_eq(json_string_value(json_object_get(json_object_get(s2, "HashKeyRange"), "EndingHashKey")),
                     "340282366920938463463374607431768211455");
    cr_assert(json_is_string(
        json_object_get(json_object_get(s0, "SequenceNumberRange"), "StartingSequenceNumber")));
    cr_assert_null(json_object_get(json_object_get(s0, "SequenceNumberRange"), "EndingSequenceNumber"));
    cr_assert_null(json_object_get(s0, "ParentShardId"));
    json_decref(d);
}

Test(ops_streams, create_existing_and_missing_shard_count)
{
    fx_stream(&F, "s", 1);
    const char *msg = fx_error(&F, op_create_stream, "CreateStream", SIM_ERR_ResourceInUseException,
                               "{\"StreamName\":\"s\",\"ShardCount\":1}");
    cr_assert_str_eq(msg, "Stream s under account " FX_ACCOUNT " already exists.");
    fx_error(&F, op_create_stream, "CreateStream", SIM_ERR_InvalidArgumentException,
             "{\"StreamName\":\"t\"}");
}

Test(ops_streams, on_demand_starts_with_four_shards)
{
    json_decref(fx_call(&F, op_create_stream, "CreateStream",
                        "{\"StreamName\":\"od\",\"StreamModeDetails\":{\"StreamMode\":\"ON_DEMAND\"}}"));
    /* a CREATING stream has no shards yet (kinesalite test/createStream.js "should create a basic
     * 3-shard stream", recorded against AWS: Shards []) */
    json_t *out = fx_call(&F, op_describe_stream_summary, "DescribeStreamSummary", "{\"StreamName\":\"od\"}");
    json_t *s = json_object_get(out, "StreamDescriptionSummary");
    cr_assert_str_eq(json_string_value(json_object_get(s, "StreamStatus")), "CREATING");
    cr_assert_eq(json_integer_value(json_object_get(s, "OpenShardCount")), 0);
    json_decref(out);
    fx_advance(&F, 500);
    out = fx_call(&F, op_describe_stream_summary, "DescribeStreamSummary", "{\"StreamName\":\"od\"}");
    s = json_object_get(out, "StreamDescriptionSummary");
    cr_assert_str_eq(json_string_value(json_object_get(s, "StreamStatus")), "ACTIVE");
    cr_assert_eq(json_integer_value(json_object_get(s, "OpenShardCount")), 4);
    cr_assert_eq(json_integer_value(json_object_get(s, "ConsumerCount")), 0);
    cr_assert_str_eq(
        json_string_value(json_object_get(json_object_get(s, "StreamModeDetails"), "StreamMode")),
        "ON_DEMAND");
    json_decref(out);
}

Test(ops_streams, shard_limit_is_enforced_with_aws_message)
{
    F.srv.cfg.shard_limit = 10;
    fx_stream(&F, "a", 3);
    const char *msg = fx_error(&F, op_create_stream, "CreateStream", SIM_ERR_LimitExceededException,
                               "{\"StreamName\":\"b\",\"ShardCount\":8}");
    cr_assert_str_eq(
        msg, "This request would exceed the shard limit for the account " FX_ACCOUNT " in us-east-1. "
             "Current shard count for the account: 3. Limit: 10. Number of additional shards that would "
             "have resulted from this request: 8. Refer to the AWS Service Limits page "
             "(http://docs.aws.amazon.com/general/latest/gr/aws_service_limits.html) for current limits "
             "and how to request higher limits.");
    fx_stream(&F, "b", 7);
}

Test(ops_streams, delete_goes_deleting_then_gone)
{
    fx_stream(&F, "s", 1);
    json_t *out = fx_call(&F, op_delete_stream, "DeleteStream",
                          "{\"StreamName\":\"s\",\"EnforceConsumerDeletion\":true}");
    cr_assert_not_null(out, "%s", F.ctx.err_msg);
    json_decref(out);
    json_t *d = describe("s");
    cr_assert_str_eq(status_of(d), "DELETING");
    json_decref(d);
    fx_error(&F, op_delete_stream, "DeleteStream", SIM_ERR_ResourceNotFoundException,
             "{\"StreamName\":\"s\"}");
    fx_advance(&F, 500);
    const char *msg = fx_error(&F, op_describe_stream, "DescribeStream", SIM_ERR_ResourceNotFoundException,
                               "{\"StreamName\":\"s\"}");
    cr_assert_str_eq(msg, "Stream s under account " FX_ACCOUNT " not found.");
    fx_stream(&F, "s", 2); /* the name is free again */
}

Test(ops_streams, delete_creating_stream_goes_deleting)
{
    /* kinesalite's deleteStream.js "should allow stream to be deleted while it is being created"
     * (recorded against AWS): 200, and the stream is then DELETING */
    json_decref(fx_call(&F, op_create_stream, "CreateStream", "{\"StreamName\":\"s\",\"ShardCount\":1}"));
    json_t *out = fx_call(&F, op_describe_stream_summary, "DescribeStreamSummary", "{\"StreamName\":\"s\"}");
    cr_assert_str_eq(
        json_string_value(json_object_get(json_object_get(out, "StreamDescriptionSummary"), "StreamStatus")),
        "CREATING");
    json_decref(out);
    out = fx_call(&F, op_delete_stream, "DeleteStream", "{\"StreamName\":\"s\"}");
    cr_assert_not_null(out, "%s", F.ctx.err_msg);
    json_decref(out);
    out = fx_call(&F, op_describe_stream_summary, "DescribeStreamSummary", "{\"StreamName\":\"s\"}");
    cr_assert_str_eq(
        json_string_value(json_object_get(json_object_get(out, "StreamDescriptionSummary"), "StreamStatus")),
        "DELETING");
    json_decref(out);
    fx_advance(&F, 1000);
    fx_error(&F, op_describe_stream_summary, "DescribeStreamSummary", SIM_ERR_ResourceNotFoundException,
             "{\"StreamName\":\"s\"}");
}

Test(ops_streams, default_shard_quota_depends_on_the_region)
{
    /* service-sizes-and-limits.html: 20,000 shards in us-east-1, us-west-2 and eu-west-1, "1,000 or
     * 6,000" elsewhere (the lower taken); --shard-limit (cfg.shard_limit) overrides */
    F.srv.cfg.shard_limit = 0;
    const char *msg = fx_error(&F, op_create_stream, "CreateStream", SIM_ERR_LimitExceededException,
                               "{\"StreamName\":\"s\",\"ShardCount\":20001}");
    cr_assert(strstr(msg, "in us-east-1. Current shard count for the account: 0. Limit: 20000."), "%s", msg);
    snprintf(F.ctx.region, sizeof F.ctx.region, "%s", "ap-south-1");
    msg = fx_error(&F, op_create_stream, "CreateStream", SIM_ERR_LimitExceededException,
                   "{\"StreamName\":\"s\",\"ShardCount\":1001}");
    cr_assert(strstr(msg, "in ap-south-1. Current shard count for the account: 0. Limit: 1000."), "%s", msg);
    json_decref(fx_call(&F, op_create_stream, "CreateStream", "{\"StreamName\":\"s\",\"ShardCount\":1000}"));
}

Test(ops_streams, stream_arn_is_accepted_and_checked)
{
    fx_stream(&F, "s", 1);
    json_t *out = fx_call(&F, op_describe_stream_summary, "DescribeStreamSummary",
                          "{\"StreamARN\":\"arn:aws:kinesis:us-east-1:" FX_ACCOUNT ":stream/s\"}");
    cr_assert_not_null(out, "%s", F.ctx.err_msg);
    json_decref(out);
    const char *msg =
        fx_error(&F, op_describe_stream_summary, "DescribeStreamSummary", SIM_ERR_ResourceNotFoundException,
                 "{\"StreamARN\":\"arn:aws:kinesis:eu-west-1:" FX_ACCOUNT ":stream/s\"}");
    cr_assert_str_eq(msg, "Stream s under account " FX_ACCOUNT " not found.");
    fx_error(&F, op_describe_stream_summary, "DescribeStreamSummary", SIM_ERR_AccessDeniedException,
             "{\"StreamARN\":\"arn:aws:kinesis:us-east-1:111111111111:stream/s\"}");
    fx_error(&F, op_describe_stream_summary, "DescribeStreamSummary", SIM_ERR_InvalidArgumentException,
             "{\"StreamName\":\"t\",\"StreamARN\":\"arn:aws:kinesis:us-east-1:" FX_ACCOUNT ":stream/s\"}");
    fx_error(&F, op_describe_stream_summary, "DescribeStreamSummary", SIM_ERR_InvalidArgumentException, "{}");
}

Test(ops_streams, describe_stream_pages_shards)
{
    fx_stream(&F, "s", 5);
    json_t *out = fx_call(&F, op_describe_stream, "DescribeStream", "{\"StreamName\":\"s\",\"Limit\":2}");
    json_t *sd = json_object_get(out, "StreamDescription");
    cr_assert_eq(json_array_size(json_object_get(sd, "Shards")), 2);
    cr_assert(json_is_true(json_object_get(sd, "HasMoreShards")));
    json_decref(out);
    out = fx_call(&F, op_describe_stream, "DescribeStream",
                  "{\"StreamName\":\"s\",\"Limit\":2,\"ExclusiveStartShardId\":\"shardId-000000000003\"}");
    sd = json_object_get(out, "StreamDescription");
    cr_assert_eq(json_array_size(json_object_get(sd, "Shards")), 1);
    cr_assert_str_eq(
        json_string_value(json_object_get(json_array_get(json_object_get(sd, "Shards"), 0), "ShardId")),
        "shardId-000000000004");
    cr_assert(json_is_false(json_object_get(sd, "HasMoreShards")));
    json_decref(out);
}

Test(ops_streams, list_streams_sorted_paged_and_token_expires)
{
    const char *names[] = {"c", "a", "e", "b", "d"};
    for (int i = 0; i < 5; i++)
        fx_stream(&F, names[i], 1);
    json_t *out = fx_call(&F, op_list_streams, "ListStreams", "{\"Limit\":2}");
    json_t *sn = json_object_get(out, "StreamNames");
    cr_assert_eq(json_array_size(sn), 2);
    cr_assert_str_eq(json_string_value(json_array_get(sn, 0)), "a");
    cr_assert_str_eq(json_string_value(json_array_get(sn, 1)), "b");
    cr_assert(json_is_true(json_object_get(out, "HasMoreStreams")));
    json_t *sum = json_array_get(json_object_get(out, "StreamSummaries"), 0);
    cr_assert_str_eq(json_string_value(json_object_get(sum, "StreamARN")),
                     "arn:aws:kinesis:us-east-1:" FX_ACCOUNT ":stream/a");
    cr_assert_str_eq(json_string_value(json_object_get(sum, "StreamStatus")), "ACTIVE");
    char *token = strdup(json_string_value(json_object_get(out, "NextToken")));
    json_decref(out);
    out = fx_call(&F, op_list_streams, "ListStreams", "{\"NextToken\":\"%s\"}", token);
    sn = json_object_get(out, "StreamNames");
    cr_assert_eq(json_array_size(sn), 3);
    cr_assert_str_eq(json_string_value(json_array_get(sn, 0)), "c");
    cr_assert(json_is_false(json_object_get(out, "HasMoreStreams")));
    cr_assert_null(json_object_get(out, "NextToken"));
    json_decref(out);
    out = fx_call(&F, op_list_streams, "ListStreams", "{\"ExclusiveStartStreamName\":\"d\"}");
    cr_assert_eq(json_array_size(json_object_get(out, "StreamNames")), 1);
    json_decref(out);
    fx_error(&F, op_list_streams, "ListStreams", SIM_ERR_InvalidArgumentException,
             "{\"NextToken\":\"bm90IGEgdG9rZW4=\"}");
    fx_advance(&F, 300001);
    fx_error(&F, op_list_streams, "ListStreams", SIM_ERR_ExpiredNextTokenException, "{\"NextToken\":\"%s\"}",
             token);
    free(token);
}

Test(ops_streams, list_streams_is_per_account_and_region)
{
    fx_stream(&F, "mine", 1);
    snprintf(F.ctx.region, sizeof F.ctx.region, "eu-west-1");
    json_t *out = fx_call(&F, op_list_streams, "ListStreams", "{}");
    cr_assert_eq(json_array_size(json_object_get(out, "StreamNames")), 0);
    json_decref(out);
    fx_stream(&F, "mine", 1); /* same name, other region */
}

Test(ops_streams, retention_bounds_and_messages)
{
    fx_stream(&F, "s", 1);
    const char *msg;
    msg = fx_error(&F, op_increase_stream_retention_period, "IncreaseStreamRetentionPeriod",
                   SIM_ERR_InvalidArgumentException, "{\"StreamName\":\"s\",\"RetentionPeriodHours\":8761}");
    cr_assert_str_eq(msg, "Maximum allowed retention period is 8760 hours. Requested retention period (8761 "
                          "hours) is too long.");
    msg = fx_error(&F, op_increase_stream_retention_period, "IncreaseStreamRetentionPeriod",
                   SIM_ERR_InvalidArgumentException, "{\"StreamName\":\"s\",\"RetentionPeriodHours\":23}");
    cr_assert_str_eq(
        msg,
        "Minimum allowed retention period is 24 hours. Requested retention period (23 hours) is too short.");
    json_decref(fx_call(&F, op_increase_stream_retention_period, "IncreaseStreamRetentionPeriod",
                        "{\"StreamName\":\"s\",\"RetentionPeriodHours\":48}"));
    msg = fx_error(&F, op_increase_stream_retention_period, "IncreaseStreamRetentionPeriod",
                   SIM_ERR_InvalidArgumentException, "{\"StreamName\":\"s\",\"RetentionPeriodHours\":30}");
    cr_assert_str_eq(
        msg, "Requested retention period (30 hours) for stream s can not be shorter than existing retention "
             "period (48 hours). Use DecreaseRetentionPeriod API.");
    msg = fx_error(&F, op_decrease_stream_retention_period, "DecreaseStreamRetentionPeriod",
                   SIM_ERR_InvalidArgumentException, "{\"StreamName\":\"s\",\"RetentionPeriodHours\":72}");
    cr_assert_str_eq(
        msg, "Requested retention period (72 hours) for stream s can not be longer than existing retention "
             "period (48 hours). Use IncreaseRetentionPeriod API.");
    json_decref(fx_call(&F, op_decrease_stream_retention_period, "DecreaseStreamRetentionPeriod",
                        "{\"StreamName\":\"s\",\"RetentionPeriodHours\":24}"));
    json_t *d = describe("s");
    cr_assert_eq(
        json_integer_value(json_object_get(json_object_get(d, "StreamDescription"), "RetentionPeriodHours")),
        24);
    json_decref(d);
}
