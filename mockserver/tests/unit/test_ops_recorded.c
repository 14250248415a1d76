/* test_ops_recorded.c: handler behaviours whose expectations come from kinesalite's test suite, which
 * was written to pass against real AWS (docs/aws-behaviour.md): shard id forms and the order of the
 * shard, stream and state checks of GetShardIterator, SplitShard and MergeShards; sequence numbers as
 * AWS reads them in GetShardIterator and PutRecord; and UpdateShardCount's documented ten scalings per
 * rolling 24 hours. Test names quote the kinesalite test they follow. */
#include <criterion/criterion.h>
#include <stdio.h>
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
TestSuite(ops_recorded, .init = setup, .fini = teardown);

#define GSI(stream, shard, type)                                                                             \
    "{\"StreamName\":\"" stream "\",\"ShardId\":\"" shard "\",\"ShardIteratorType\":\"" type "\"}"

Test(ops_recorded, get_shard_iterator_shard_ids)
{
    fx_stream(&F, "s", 3);
    /* "should work with random shard ID with hyphen", "... different length stream names" (shard-0) */
    const char *good[] = {"shard-0", "x-0", "anything-2", "shardId-000000000001", "1", "a-1-b"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        json_t *out =
            fx_call(&F, op_get_shard_iterator, "GetShardIterator",
                    "{\"StreamName\":\"s\",\"ShardId\":\"%s\",\"ShardIteratorType\":\"LATEST\"}", good[i]);
        cr_assert_not_null(out, "%s: %s", good[i], F.ctx.err_msg);
        json_decref(out);
    }
    /* unknown stream, valid ids: "... if unknown stream and shard ID just small enough", "... random shard
     * name", "... short prefix", "... no prefix" */
    const char *valid[] = {"2147483647", "x-2147483647", "a-00002147483647", "-00002147483647"};
    for (size_t i = 0; i < 4; i++) {
        const char *msg = fx_error(
            &F, op_get_shard_iterator, "GetShardIterator", SIM_ERR_ResourceNotFoundException,
            "{\"StreamName\":\"nope\",\"ShardId\":\"%s\",\"ShardIteratorType\":\"LATEST\"}", valid[i]);
        cr_assert_str_eq(
            msg, "Shard shardId-002147483647 in stream nope under account " FX_ACCOUNT " does not exist",
            "%s", valid[i]);
    }
    /* invalid ids, before the stream: "... shard ID too big", "... raw shard ID too big", "... string shard
     * ID", "... exponent shard ID" */
    const char *invalid[] = {"2147483648", "shardId-002147483648", "ABKLFD8", "2.14E4"};
    for (size_t i = 0; i < 4; i++) {
        const char *msg = fx_error(
            &F, op_get_shard_iterator, "GetShardIterator", SIM_ERR_ResourceNotFoundException,
            "{\"StreamName\":\"nope\",\"ShardId\":\"%s\",\"ShardIteratorType\":\"LATEST\"}", invalid[i]);
        char want[256];
        snprintf(want, sizeof want, "Could not find shard %s in stream nope under account " FX_ACCOUNT ".",
                 invalid[i]);
        cr_assert_str_eq(msg, want);
    }
    /* "... if known stream and raw shard ID does not exist" */
    const char *msg =
        fx_error(&F, op_get_shard_iterator, "GetShardIterator", SIM_ERR_ResourceNotFoundException,
                 "{\"StreamName\":\"s\",\"ShardId\":\"shardId-5\",\"ShardIteratorType\":\"AT_"
                 "SEQUENCE_NUMBER\",\"StartingSequenceNumber\":\"5\"}");
    cr_assert_str_eq(msg,
                     "Shard shardId-000000000005 in stream s under account " FX_ACCOUNT " does not exist");
}

#define AT_SEQ "{\"StreamName\":\"s\",\"ShardId\":\"shardId-0\",\"ShardIteratorType\":\"AT_SEQUENCE_NUMBER\","

Test(ops_recorded, get_shard_iterator_sequence_numbers)
{
    fx_stream(&F, "s", 3);
    /* "should return InternalFailure if using small (old?) sequence number" */
    fx_error(&F, op_get_shard_iterator, "GetShardIterator", SIM_ERR_InternalFailure,
             AT_SEQ "\"StartingSequenceNumber\":\"0\"}");
    cr_assert_str_eq(F.ctx.err_msg, "");
    /* "... for 8 in index in StartingSequenceNumber" */
    const char *msg = fx_error(
        &F, op_get_shard_iterator, "GetShardIterator", SIM_ERR_InvalidArgumentException,
        AT_SEQ "\"StartingSequenceNumber\":\"49039857307719593840066370180380661734935976090628259842\"}");
    cr_assert_str_eq(
        msg, "StartingSequenceNumber 49039857307719593840066370180380661734935976090628259842 used in "
             "GetShardIterator on shard shardId-000000000000 in stream s under account " FX_ACCOUNT
             " is invalid.");
    /* "... for 8 near end of StartingSequenceNumber": the shard field reads as negative */
    msg = fx_error(
        &F, op_get_shard_iterator, "GetShardIterator", SIM_ERR_InvalidArgumentException,
        AT_SEQ "\"StartingSequenceNumber\":\"49039857307708443467467104868809893875799651944235008002\"}");
    cr_assert_str_eq(
        msg, "Invalid StartingSequenceNumber. It encodes shardId--02147483648, while it was used in a "
             "call to a shard with shardId-000000000000");
    /* a version-1 number of the right shard is not from this stream (kinesalite's getShardIterator action) */
    msg = fx_error(
        &F, op_get_shard_iterator, "GetShardIterator", SIM_ERR_InvalidArgumentException,
        AT_SEQ "\"StartingSequenceNumber\":\"49039857307708443467467104868809893875799651909875269633\"}");
    cr_assert(strstr(msg, "is invalid because it did not come from this stream."), "%s", msg);
    /* a real number of the shard still works, also in the shard-0 form */
    char shard[24];
    char *seq = fx_put(&F, "s", "k", "eA==", shard);
    json_t *out =
        fx_call(&F, op_get_shard_iterator, "GetShardIterator",
                "{\"StreamName\":\"s\",\"ShardId\":\"%s\",\"ShardIteratorType\":\"AT_SEQUENCE_NUMBER\","
                "\"StartingSequenceNumber\":\"%s\"}",
                shard + 6, seq);
    cr_assert_not_null(out, "%s", F.ctx.err_msg);
    json_decref(out);
    free(seq);
}

#define PUT_SEQ                                                                                              \
    "{\"StreamName\":\"s\",\"PartitionKey\":\"a\",\"Data\":\"\",\"SequenceNumberForOrdering\":\"%s\"}"

Test(ops_recorded, put_record_sequence_number_for_ordering)
{
    fx_stream(&F, "s", 3);
    /* putRecord.js "should work with SequenceNumberForOrdering all 0", "... all 0 with version 1", "... if 8
     * near end" */
    const char *taken[] = {"49039857307708443467467104868809893875799651909875269634",
                           "49039857307708443467467104868809893875799651909875269633",
                           "49039857307708443467467104868809893875799651944235008002"};
    for (size_t i = 0; i < 3; i++) {
        json_t *out = fx_call(&F, op_put_record, "PutRecord", PUT_SEQ, taken[i]);
        cr_assert_not_null(out, "%s: %s", taken[i], F.ctx.err_msg);
        json_decref(out);
    }
    /* "... InvalidArgumentException for version 0", "... version 4", "... initial 3", "... initial 1",
     * "... 8 in index", "... sequence number with large date"; version 3 is invalid in kinesalite 3.3.3 too
     */
    const char *invalid[] = {"49039857307708443467467104868809893875799651909875269632",
                             "49039857307708443467467104868809893875799651909875269636",
                             "73559785961562665201200657303214840813699477864812904449",
                             "49039857307697293094867839557237917090843713134307311602",
                             "49039857307719593840066370180380661734935976090628259842",
                             "26227199374822427428162556223570313216",
                             "49039857307708443467467104868809893875799651909875269635"};
    for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++) {
        const char *msg =
            fx_error(&F, op_put_record, "PutRecord", SIM_ERR_InvalidArgumentException, PUT_SEQ, invalid[i]);
        char want[256];
        snprintf(want, sizeof want,
                 "ExclusiveMinimumSequenceNumber %s used in PutRecord on stream s under account " FX_ACCOUNT
                 " is invalid.",
                 invalid[i]);
        cr_assert_str_eq(msg, want);
    }
}

Test(ops_recorded, split_shard_ids_and_order)
{
    fx_stream(&F, "s", 3);
    /* splitShard.js: unknown stream with valid ids is "not found"; invalid ids come first */
    const char *msg = fx_error(
        &F, op_split_shard, "SplitShard", SIM_ERR_ResourceNotFoundException,
        "{\"StreamName\":\"nope\",\"ShardToSplit\":\"-00002147483647\",\"NewStartingHashKey\":\"0\"}");
    cr_assert_str_eq(msg, "Stream nope under account " FX_ACCOUNT " not found.");
    msg = fx_error(&F, op_split_shard, "SplitShard", SIM_ERR_ResourceNotFoundException,
                   "{\"StreamName\":\"nope\",\"ShardToSplit\":\"2.14E4\",\"NewStartingHashKey\":\"0\"}");
    cr_assert_str_eq(msg, "Could not find shard 2.14E4 in stream nope under account " FX_ACCOUNT ".");
    /* "... if known stream and raw shard ID does not exist": the id normalised */
    msg = fx_error(&F, op_split_shard, "SplitShard", SIM_ERR_ResourceNotFoundException,
                   "{\"StreamName\":\"s\",\"ShardToSplit\":\"shardId-5\",\"NewStartingHashKey\":\"0\"}");
    cr_assert_str_eq(msg,
                     "Could not find shard shardId-000000000005 in stream s under account " FX_ACCOUNT ".");
    /* "should work with minimum hash": while UPDATING, the same split is ResourceInUse */
    json_decref(fx_call(&F, op_split_shard, "SplitShard",
                        "{\"StreamName\":\"s\",\"ShardToSplit\":\"shard-0\",\"NewStartingHashKey\":\"2\"}"));
    msg = fx_error(&F, op_split_shard, "SplitShard", SIM_ERR_ResourceInUseException,
                   "{\"StreamName\":\"s\",\"ShardToSplit\":\"shard-0\",\"NewStartingHashKey\":\"2\"}");
    cr_assert_str_eq(msg, "Stream s under account " FX_ACCOUNT " not ACTIVE, instead in state UPDATING");
    /* ... and so is a merge of a missing shard: the state comes before any shard (mergeShards.js) */
    msg =
        fx_error(&F, op_merge_shards, "MergeShards", SIM_ERR_ResourceInUseException,
                 "{\"StreamName\":\"s\",\"ShardToMerge\":\"shard-9\",\"AdjacentShardToMerge\":\"shard-1\"}");
    cr_assert_str_eq(msg, "Stream s under account " FX_ACCOUNT " not ACTIVE, instead in state UPDATING");
}

Test(ops_recorded, merge_shard_ids)
{
    fx_stream(&F, "s", 3);
    const char *msg =
        fx_error(&F, op_merge_shards, "MergeShards", SIM_ERR_ResourceNotFoundException,
                 "{\"StreamName\":\"nope\",\"ShardToMerge\":\"x-0\",\"AdjacentShardToMerge\":\"ABKLFD8\"}");
    cr_assert_str_eq(msg, "Could not find shard ABKLFD8 in stream nope under account " FX_ACCOUNT ".");
    msg = fx_error(
        &F, op_merge_shards, "MergeShards", SIM_ERR_ResourceNotFoundException,
        "{\"StreamName\":\"nope\",\"ShardToMerge\":\"x-0\",\"AdjacentShardToMerge\":\"2147483647\"}");
    cr_assert_str_eq(msg, "Stream nope under account " FX_ACCOUNT " not found.");
    msg = fx_error(&F, op_merge_shards, "MergeShards", SIM_ERR_ResourceNotFoundException,
                   "{\"StreamName\":\"s\",\"ShardToMerge\":\"x-0\",\"AdjacentShardToMerge\":\"shardId-5\"}");
    cr_assert_str_eq(msg,
                     "Could not find shard shardId-000000000005 in stream s under account " FX_ACCOUNT ".");
    /* "should return InvalidArgumentException if shards not adjacent" with hyphenated names */
    msg = fx_error(&F, op_merge_shards, "MergeShards", SIM_ERR_InvalidArgumentException,
                   "{\"StreamName\":\"s\",\"ShardToMerge\":\"abc-0\",\"AdjacentShardToMerge\":\"def-2\"}");
    cr_assert_str_eq(
        msg, "Shards shardId-000000000000 and shardId-000000000002 in stream s under account " FX_ACCOUNT
             " are not an adjacent pair of shards eligible for merging");
}

Test(ops_recorded, update_shard_count_ten_scalings_per_day)
{
    /* UpdateShardCount's page: "Scale more than ten times per rolling 24-hour period per stream" is refused
     */
    fx_stream(&F, "s", 1);
    for (int i = 0; i < 10; i++) {
        json_t *out =
            fx_call(&F, op_update_shard_count, "UpdateShardCount",
                    "{\"StreamName\":\"s\",\"TargetShardCount\":%d,\"ScalingType\":\"UNIFORM_SCALING\"}",
                    i % 2 ? 1 : 2);
        cr_assert_not_null(out, "scaling %d: %s", i + 1, F.ctx.err_msg);
        json_decref(out);
        fx_advance(&F, 1000); /* past UPDATING */
    }
    const char *msg =
        fx_error(&F, op_update_shard_count, "UpdateShardCount", SIM_ERR_LimitExceededException,
                 "{\"StreamName\":\"s\",\"TargetShardCount\":2,\"ScalingType\":\"UNIFORM_SCALING\"}");
    cr_assert(strstr(msg, "24"), "%s", msg);
    /* the window rolls: a day after the first scaling there is room for one more */
    fx_advance(&F, INT64_C(24) * 3600 * 1000 - 10 * 1000 + 1);
    json_t *out =
        fx_call(&F, op_update_shard_count, "UpdateShardCount",
                "{\"StreamName\":\"s\",\"TargetShardCount\":2,\"ScalingType\":\"UNIFORM_SCALING\"}");
    cr_assert_not_null(out, "%s", F.ctx.err_msg);
    json_decref(out);
}
