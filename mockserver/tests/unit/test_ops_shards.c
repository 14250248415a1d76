/* test_ops_shards.c: ListShards (filters, paging, NextToken rules and expiry), SplitShard,
 * MergeShards and UpdateShardCount called directly on an in-memory store with a virtual clock:
 * lineage (closed parents, ParentShardId/AdjacentParentShardId), routing to children, ChildShards
 * at the end of a closed shard, UPDATING then ACTIVE, and AWS's messages. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops_fixture.h"
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
TestSuite(ops_shards, .init = setup, .fini = teardown);

static json_t *list(const char *fmt_body)
{
    json_t *out = fx_call(&F, op_list_shards, "ListShards", "%s", fmt_body);
    cr_assert_not_null(out, "ListShards: %s", F.ctx.err_msg);
    return out;
}

static const char *sid(json_t *shards, size_t i)
{
    return json_string_value(json_object_get(json_array_get(shards, i), "ShardId"));
}

Test(ops_shards, list_shards_pages_with_next_token)
{
    fx_stream(&F, "s", 5);
    json_t *out = list("{\"StreamName\":\"s\",\"MaxResults\":2}");
    json_t *sh = json_object_get(out, "Shards");
    cr_assert_eq(json_array_size(sh), 2);
    char *tok = strdup(json_string_value(json_object_get(out, "NextToken")));
    json_decref(out);
    out = fx_call(&F, op_list_shards, "ListShards", "{\"NextToken\":\"%s\",\"MaxResults\":2}", tok);
    sh = json_object_get(out, "Shards");
    cr_assert_str_eq(sid(sh, 0), "shardId-000000000002");
    cr_assert_str_eq(sid(sh, 1), "shardId-000000000003");
    json_decref(out);
    const char *msg = fx_error(&F, op_list_shards, "ListShards", SIM_ERR_InvalidArgumentException,
                               "{\"StreamName\":\"s\",\"NextToken\":\"%s\"}", tok);
    cr_assert_str_eq(msg, "NextToken and StreamName cannot be provided together.");
    msg = fx_error(&F, op_list_shards, "ListShards", SIM_ERR_InvalidArgumentException, "{}");
    cr_assert_str_eq(msg, "Either NextToken or StreamName should be provided.");
    fx_advance(&F, 300001);
    fx_error(&F, op_list_shards, "ListShards", SIM_ERR_ExpiredNextTokenException, "{\"NextToken\":\"%s\"}",
             tok);
    free(tok);
    out = list("{\"StreamName\":\"s\",\"ExclusiveStartShardId\":\"shardId-000000000003\"}");
    cr_assert_eq(json_array_size(json_object_get(out, "Shards")), 1);
    cr_assert_null(json_object_get(out, "NextToken"));
    json_decref(out);
}

/* A split takes effect when UPDATING ends: until then DescribeStream shows the parent alone and
 * open, and writes go to it (kinesalite test/splitShard.js "should work with minimum hash", recorded
 * against AWS); then the parent is closed and the children take the writes. */
Test(ops_shards, split_closes_parent_and_routes_to_children)
{
    fx_stream(&F, "s", 1);
    char *before = fx_put(&F, "s", "k", "eA==", NULL);
    json_t *out =
        fx_call(&F, op_split_shard, "SplitShard",
                "{\"StreamName\":\"s\",\"ShardToSplit\":\"shardId-000000000000\",\"NewStartingHashKey\":"
                "\"170141183460469231731687303715884105728\"}");
    cr_assert_not_null(out, "%s", F.ctx.err_msg);
    json_decref(out);
    json_t *d = fx_call(&F, op_describe_stream, "DescribeStream", "{\"StreamName\":\"s\"}");
    json_t *sd = json_object_get(d, "StreamDescription");
    cr_assert_str_eq(json_string_value(json_object_get(sd, "StreamStatus")), "UPDATING");
    json_t *sh = json_object_get(sd, "Shards");
    cr_assert_eq(json_array_size(sh), 1, "while UPDATING only the parent is listed");
    cr_assert_null(json_object_get(json_object_get(json_array_get(sh, 0), "SequenceNumberRange"),
                                   "EndingSequenceNumber"),
                   "and it is still open");
    json_decref(d);
    /* writes keep working while UPDATING and go to the parent */
    char shard[24];
    char *during = fx_put(&F, "s", "k", "eg==", shard);
    cr_assert_str_eq(shard, "shardId-000000000000");
    /* a second split while UPDATING is refused */
    const char *msg = fx_error(
        &F, op_split_shard, "SplitShard", SIM_ERR_ResourceInUseException,
        "{\"StreamName\":\"s\",\"ShardToSplit\":\"shardId-000000000000\",\"NewStartingHashKey\":\"1000\"}");
    cr_assert_str_eq(msg, "Stream s under account " FX_ACCOUNT " not ACTIVE, instead in state UPDATING");

    fx_advance(&F, 500); /* UPDATING ends: the split takes effect */
    d = fx_call(&F, op_describe_stream, "DescribeStream", "{\"StreamName\":\"s\"}");
    sd = json_object_get(d, "StreamDescription");
    cr_assert_str_eq(json_string_value(json_object_get(sd, "StreamStatus")), "ACTIVE");
    sh = json_object_get(sd, "Shards");
    cr_assert_eq(json_array_size(sh), 3);
    cr_assert(json_is_string(json_object_get(json_object_get(json_array_get(sh, 0), "SequenceNumberRange"),
                                             "EndingSequenceNumber")));
    json_t *c1 = json_array_get(sh, 1), *c2 = json_array_get(sh, 2);
    cr_assert_str_eq(json_string_value(json_object_get(c1, "ParentShardId")), "shardId-000000000000");
    cr_assert_str_eq(json_string_value(json_object_get(json_object_get(c1, "HashKeyRange"), "EndingHashKey")),
                     "170141183460469231731687303715884105727");
    cr_assert_str_eq(
        json_string_value(json_object_get(json_object_get(c2, "HashKeyRange"), "StartingHashKey")),
        "170141183460469231731687303715884105728");
    json_decref(d);
    char *after = fx_put(&F, "s", "k", "eQ==", shard);
    cr_assert_neq(strcmp(shard, "shardId-000000000000"), 0, "writes now go to a child");
    /* the parent reads to its end: its two records, then a null iterator with ChildShards */
    char *it = fx_iterator(&F, "s", "shardId-000000000000", "TRIM_HORIZON");
    json_t *g = fx_call(&F, op_get_records, "GetRecords", "{\"ShardIterator\":\"%s\"}", it);
    cr_assert_eq(json_array_size(json_object_get(g, "Records")), 2);
    cr_assert(json_is_null(json_object_get(g, "NextShardIterator")));
    json_t *children = json_object_get(g, "ChildShards");
    cr_assert_eq(json_array_size(children), 2);
    cr_assert_str_eq(
        json_string_value(json_array_get(json_object_get(json_array_get(children, 0), "ParentShards"), 0)),
        "shardId-000000000000");
    json_decref(g);
    /* a child can be split now that the stream is ACTIVE */
    json_decref(fx_call(
        &F, op_split_shard, "SplitShard",
        "{\"StreamName\":\"s\",\"ShardToSplit\":\"shardId-000000000001\",\"NewStartingHashKey\":\"1000\"}"));
    /* splitting a closed shard is refused */
    fx_advance(&F, 500);
    msg = fx_error(
        &F, op_split_shard, "SplitShard", SIM_ERR_InvalidArgumentException,
        "{\"StreamName\":\"s\",\"ShardToSplit\":\"shardId-000000000000\",\"NewStartingHashKey\":\"1000\"}");
    cr_assert(strstr(msg, "has already been merged or split"), "%s", msg);
    free(it);
    free(before);
    free(during);
    free(after);
}

Test(ops_shards, split_errors)
{
    fx_stream(&F, "s", 1);
    const char *msg = fx_error(
        &F, op_split_shard, "SplitShard", SIM_ERR_InvalidArgumentException,
        "{\"StreamName\":\"s\",\"ShardToSplit\":\"shardId-000000000000\",\"NewStartingHashKey\":\"1\"}");
    cr_assert_str_eq(msg,
                     "NewStartingHashKey 1 used in SplitShard() on shard shardId-000000000000 in stream s "
                     "under account " FX_ACCOUNT
                     " is not both greater than one plus the shard's StartingHashKey 0 and less than the "
                     "shard's EndingHashKey 340282366920938463463374607431768211455.");
    msg = fx_error(
        &F, op_split_shard, "SplitShard", SIM_ERR_ResourceNotFoundException,
        "{\"StreamName\":\"s\",\"ShardToSplit\":\"shardId-000000000009\",\"NewStartingHashKey\":\"1000\"}");
    cr_assert_str_eq(msg,
                     "Could not find shard shardId-000000000009 in stream s under account " FX_ACCOUNT ".");
    F.srv.cfg.shard_limit = 1;
    msg = fx_error(
        &F, op_split_shard, "SplitShard", SIM_ERR_LimitExceededException,
        "{\"StreamName\":\"s\",\"ShardToSplit\":\"shardId-000000000000\",\"NewStartingHashKey\":\"1000\"}");
    cr_assert(strstr(msg, "Number of additional shards that would have resulted from this request: 1."), "%s",
              msg);
}

Test(ops_shards, merge_adjacent_shards_and_reject_others)
{
    fx_stream(&F, "s", 3);
    const char *msg = fx_error(&F, op_merge_shards, "MergeShards", SIM_ERR_InvalidArgumentException,
                               "{\"StreamName\":\"s\",\"ShardToMerge\":\"shardId-000000000000\","
                               "\"AdjacentShardToMerge\":\"shardId-000000000002\"}");
    cr_assert_str_eq(
        msg, "Shards shardId-000000000000 and shardId-000000000002 in stream s under account " FX_ACCOUNT
             " are not an adjacent pair of shards eligible for merging");
    /* the pair the other way round (ShardToMerge above its neighbour) is refused too (kinesalite
     * test/mergeShards.js "should return InvalidArgumentException if adjacency is inverted",
     * recorded against AWS) */
    msg = fx_error(&F, op_merge_shards, "MergeShards", SIM_ERR_InvalidArgumentException,
                   "{\"StreamName\":\"s\",\"ShardToMerge\":\"shardId-000000000002\","
                   "\"AdjacentShardToMerge\":\"shardId-000000000001\"}");
    cr_assert_str_eq(
        msg, "Shards shardId-000000000002 and shardId-000000000001 in stream s under account " FX_ACCOUNT
             " are not an adjacent pair of shards eligible for merging");
    json_t *out = fx_call(&F, op_merge_shards, "MergeShards",
                          "{\"StreamName\":\"s\",\"ShardToMerge\":\"shardId-000000000001\","
                          "\"AdjacentShardToMerge\":\"shardId-000000000002\"}");
    cr_assert_not_null(out, "%s", F.ctx.err_msg);
    json_decref(out);
    fx_advance(&F, 500);
    out = list("{\"StreamName\":\"s\",\"ShardFilter\":{\"Type\":\"AT_LATEST\"}}");
    json_t *sh = json_object_get(out, "Shards");
    cr_assert_eq(json_array_size(sh), 2);
    json_t *child = json_array_get(sh, 1);
    cr_assert_str_eq(sid(sh, 1), "shardId-000000000003");
    cr_assert_str_eq(json_string_value(json_object_get(child, "ParentShardId")), "shardId-000000000001");
    cr_assert_str_eq(json_string_value(json_object_get(child, "AdjacentParentShardId")),
                     "shardId-000000000002");
    cr_assert_str_eq(
        json_string_value(json_object_get(json_object_get(child, "HashKeyRange"), "StartingHashKey")),
        "113427455640312821154458202477256070485");
    cr_assert_str_eq(
        json_string_value(json_object_get(json_object_get(child, "HashKeyRange"), "EndingHashKey")),
        "340282366920938463463374607431768211455");
    json_decref(out);
    out = list("{\"StreamName\":\"s\",\"ShardFilter\":{\"Type\":\"AFTER_SHARD_ID\",\"ShardId\":\"shardId-"
               "000000000001\"}}");
    cr_assert_eq(json_array_size(json_object_get(out, "Shards")), 2);
    json_decref(out);
    out = list("{\"StreamName\":\"s\",\"ShardFilter\":{\"Type\":\"FROM_TRIM_HORIZON\"}}");
    cr_assert_eq(json_array_size(json_object_get(out, "Shards")), 4);
    json_decref(out);
    out = list("{\"StreamName\":\"s\",\"ShardFilter\":{\"Type\":\"AT_TRIM_HORIZON\"}}");
    cr_assert_eq(json_array_size(json_object_get(out, "Shards")), 3);
    json_decref(out);
    out = fx_call(&F, op_list_shards, "ListShards",
                  "{\"StreamName\":\"s\",\"ShardFilter\":{\"Type\":\"AT_TIMESTAMP\",\"Timestamp\":%lld}}",
                  (long long)(F.ctx.now_ms / 1000 + 1));
    cr_assert_eq(json_array_size(json_object_get(out, "Shards")), 2);
    json_decref(out);
    fx_error(&F, op_list_shards, "ListShards", SIM_ERR_InvalidArgumentException,
             "{\"StreamName\":\"s\",\"ShardFilter\":{\"Type\":\"AT_TIMESTAMP\"}}");
    fx_error(&F, op_list_shards, "ListShards", SIM_ERR_InvalidArgumentException,
             "{\"StreamName\":\"s\",\"ShardFilter\":{\"Type\":\"AFTER_SHARD_ID\"}}");
}

Test(ops_shards, update_shard_count_rules_and_lineage)
{
    fx_stream(&F, "s", 2);
    const char *msg =
        fx_error(&F, op_update_shard_count, "UpdateShardCount", SIM_ERR_LimitExceededException,
                 "{\"StreamName\":\"s\",\"TargetShardCount\":5,\"ScalingType\":\"UNIFORM_SCALING\"}");
    cr_assert_str_eq(
        msg, "UpdateShardCount cannot scale up over double your current open shard count. Current open shard "
             "count: 2, Target shard count: 5");
    json_t *out =
        fx_call(&F, op_update_shard_count, "UpdateShardCount",
                "{\"StreamName\":\"s\",\"TargetShardCount\":4,\"ScalingType\":\"UNIFORM_SCALING\"}");
    cr_assert_not_null(out, "%s", F.ctx.err_msg);
    cr_assert_eq(json_integer_value(json_object_get(out, "CurrentShardCount")), 2);
    cr_assert_eq(json_integer_value(json_object_get(out, "TargetShardCount")), 4);
    cr_assert_str_eq(json_string_value(json_object_get(out, "StreamName")), "s");
    json_decref(out);
    fx_advance(&F, 500);
    out = list("{\"StreamName\":\"s\",\"ShardFilter\":{\"Type\":\"AT_LATEST\"}}");
    json_t *sh = json_object_get(out, "Shards");
    cr_assert_eq(json_array_size(sh), 4);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(sh, 0), "ParentShardId")),
                     "shardId-000000000000");
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(sh, 3), "ParentShardId")),
                     "shardId-000000000001");
    json_decref(out);
    msg = fx_error(&F, op_update_shard_count, "UpdateShardCount", SIM_ERR_LimitExceededException,
                   "{\"StreamName\":\"s\",\"TargetShardCount\":1,\"ScalingType\":\"UNIFORM_SCALING\"}");
    cr_assert_str_eq(
        msg,
        "UpdateShardCount cannot scale down below half your current open shard count. Current open shard "
        "count: 4, Target shard count: 1");
}

Test(ops_shards, on_demand_streams_refuse_resharding)
{
    json_decref(fx_call(&F, op_create_stream, "CreateStream",
                        "{\"StreamName\":\"od\",\"StreamModeDetails\":{\"StreamMode\":\"ON_DEMAND\"}}"));
    fx_advance(&F, 500);
    fx_error(&F, op_update_shard_count, "UpdateShardCount", SIM_ERR_ValidationException,
             "{\"StreamName\":\"od\",\"TargetShardCount\":5,\"ScalingType\":\"UNIFORM_SCALING\"}");
    fx_error(
        &F, op_split_shard, "SplitShard", SIM_ERR_ValidationException,
        "{\"StreamName\":\"od\",\"ShardToSplit\":\"shardId-000000000000\",\"NewStartingHashKey\":\"1000\"}");
}
