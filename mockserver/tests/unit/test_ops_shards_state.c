/* test_ops_shards_state.c: resharding and reading around stream states, at the handler level:
 * SplitShard/MergeShards/UpdateShardCount on a CREATING or DELETING stream are ResourceInUse
 * (not ResourceNotFound), ListShards refuses NextToken with ExclusiveStartShardId, and
 * GetRecords at the end of an empty closed parent answers a null NextShardIterator with the
 * ChildShards. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "ops_fixture.h"

#define HALF "170141183460469231731687303715884105728"

static fx f;
static void setup(void)
{
    fx_init(&f, ":memory:");
}
static void teardown(void)
{
    fx_fini(&f);
}
TestSuite(ops_shards_state, .init = setup, .fini = teardown);

Test(ops_shards_state, resharding_creating_or_deleting_stream_is_in_use)
{
    json_decref(fx_call(&f, op_create_stream, "CreateStream", "{\"StreamName\":\"c\",\"ShardCount\":2}"));
    const char *msg = fx_error(&f, op_split_shard, "SplitShard", SIM_ERR_ResourceInUseException,
                               "{\"StreamName\":\"c\",\"ShardToSplit\":\"shardId-000000000000\","
                               "\"NewStartingHashKey\":\"1000\"}");
    cr_assert(strstr(msg, "CREATING"), "%s", msg);
    fx_error(&f, op_merge_shards, "MergeShards", SIM_ERR_ResourceInUseException,
             "{\"StreamName\":\"c\",\"ShardToMerge\":\"shardId-000000000000\","
             "\"AdjacentShardToMerge\":\"shardId-000000000001\"}");
    fx_error(&f, op_update_shard_count, "UpdateShardCount", SIM_ERR_ResourceInUseException,
             "{\"StreamName\":\"c\",\"TargetShardCount\":4,\"ScalingType\":\"UNIFORM_SCALING\"}");
    fx_advance(&f, 501);
    json_decref(fx_call(&f, op_delete_stream, "DeleteStream", "{\"StreamName\":\"c\"}"));
    msg = fx_error(&f, op_merge_shards, "MergeShards", SIM_ERR_ResourceInUseException,
                   "{\"StreamName\":\"c\",\"ShardToMerge\":\"shardId-000000000000\","
                   "\"AdjacentShardToMerge\":\"shardId-000000000001\"}");
    cr_assert(strstr(msg, "DELETING"), "%s", msg);
    fx_error(&f, op_split_shard, "SplitShard", SIM_ERR_ResourceNotFoundException,
             "{\"StreamName\":\"none\",\"ShardToSplit\":\"shardId-000000000000\",\"NewStartingHashKey\":"
             "\"1000\"}");
}

Test(ops_shards_state, list_shards_token_with_exclusive_start_is_invalid)
{
    fx_stream(&f, "s", 2);
    json_t *out = fx_call(&f, op_list_shards, "ListShards", "{\"StreamName\":\"s\",\"MaxResults\":1}");
    char *token = strdup(json_string_value(json_object_get(out, "NextToken")));
    json_decref(out);
    fx_error(&f, op_list_shards, "ListShards", SIM_ERR_InvalidArgumentException,
             "{\"NextToken\":\"%s\",\"ExclusiveStartShardId\":\"shardId-000000000000\"}", token);
    out = fx_call(&f, op_list_shards, "ListShards", "{\"NextToken\":\"%s\"}", token);
    cr_assert_eq(json_array_size(json_object_get(out, "Shards")), 1);
    json_decref(out);
    free(token);
}

Test(ops_shards_state, empty_closed_parent_ends_with_child_shards)
{
    fx_stream(&f, "s", 1);
    char *it = fx_iterator(&f, "s", "shardId-000000000000", "TRIM_HORIZON");
    json_decref(fx_call(
        &f, op_split_shard, "SplitShard",
        "{\"StreamName\":\"s\",\"ShardToSplit\":\"shardId-000000000000\",\"NewStartingHashKey\":\"" HALF
        "\"}"));
    cr_assert_not(f.ctx.err_set, "%s", f.ctx.err_msg);
    /* while UPDATING the parent is still open (the split takes effect when UPDATING ends) */
    json_t *out = fx_call(&f, op_get_records, "GetRecords", "{\"ShardIterator\":\"%s\"}", it);
    cr_assert_not_null(out, "%s", f.ctx.err_msg);
    cr_assert_eq(json_array_size(json_object_get(out, "Records")), 0);
    cr_assert(json_is_string(json_object_get(out, "NextShardIterator")));
    char *next = strdup(json_string_value(json_object_get(out, "NextShardIterator")));
    json_decref(out);
    fx_advance(&f, 500);
    out = fx_call(&f, op_get_records, "GetRecords", "{\"ShardIterator\":\"%s\"}", next);
    cr_assert_not_null(out, "%s", f.ctx.err_msg);
    cr_assert_eq(json_array_size(json_object_get(out, "Records")), 0);
    cr_assert(json_is_null(json_object_get(out, "NextShardIterator")));
    cr_assert_eq(json_array_size(json_object_get(out, "ChildShards")), 2);
    json_decref(out);
    free(next);
    free(it);
}
