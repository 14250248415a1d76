/* ops/iterators.c: GetShardIterator. Turns one of the five iterator types into a position
 * (the first record counter to read) in one shard, and returns it as an opaque iterator
 * authenticated with the server key (wire/ids.h) that expires 300 s after it was issued.
 * Messages are AWS's as recorded by kinesalite's tests (docs/aws-behaviour.md): the shard id is read
 * before the stream is looked up, sequence numbers as wire/ids.h seqnum_read says, and every argument
 * is checked before the shard's rate limit. Positions
 * before the trim horizon (now - retention) read from the horizon: GetRecords skips older records. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops/ops.h"
#include "ops/resources.h"
#include "simulation/simulation.h"

static int type_mismatch(sim_ctx *ctx, const char *type, int has_seq)
{
    return sim_fail(
        ctx, SIM_ERR_InvalidArgumentException,
        "Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and StartingSequenceNumber "
        "or (2) TRIM_HORIZON or LATEST and no StartingSequenceNumber. Request specified %s and %s.",
        type, has_seq ? "also a StartingSequenceNumber" : "no StartingSequenceNumber");
}

/* The stream name a request gave (StreamName, or the name in StreamARN), for messages. */
static void stream_name_arg(json_t *in, char out[STORE_NAME_MAX])
{
    const char *name = json_string_value(json_object_get(in, "StreamName"));
    const char *arn = json_string_value(json_object_get(in, "StreamARN"));
    char region[64], account[32], consumer[STORE_NAME_MAX];
    int64_t epoch;
    out[0] = 0;
    if (name)
        snprintf(out, STORE_NAME_MAX, "%s", name);
    else if (arn && kinesis_arn_parse(arn, region, account, out, consumer, &epoch) != 0)
        out[0] = 0;
}

static int seq_invalid(sim_ctx *ctx, const char *seq, const char *shard_id, const char *stream,
                       const char *why)
{
    return sim_fail(
        ctx, SIM_ERR_InvalidArgumentException,
        "StartingSequenceNumber %s used in GetShardIterator on shard %s in stream %s under account %s "
        "is invalid%s.",
        seq, shard_id, stream, ctx->account_id, why);
}

int op_get_shard_iterator(sim_ctx *ctx, json_t *in, json_t **out)
{
    const char *shard_arg = json_string_value(json_object_get(in, "ShardId"));
    const char *type = json_string_value(json_object_get(in, "ShardIteratorType"));
    const char *start_seq = json_string_value(json_object_get(in, "StartingSequenceNumber"));
    json_t *jts = json_object_get(in, "Timestamp");
    if (!shard_arg || !type)
        return sim_fail(
            ctx, SIM_ERR_ValidationException,
            "1 validation error detected: Value null at '%s' failed to satisfy constraint: Member "
            "must not be null",
            !shard_arg ? "shardId" : "shardIteratorType");
    /* AWS reads the shard id before it looks for the stream */
    char name[STORE_NAME_MAX];
    stream_name_arg(in, name);
    uint32_t index;
    if (shard_id_resolve(shard_arg, &index) != 0)
        return sim_fail(ctx, SIM_ERR_ResourceNotFoundException,
                        "Could not find shard %s in stream %s under account %s.", shard_arg, name,
                        ctx->account_id);
    char shard_id[SHARD_ID_MAX];
    shard_id_format(index, shard_id);
    store_stream st;
    if (stream_lookup(ctx, in, STREAM_HIDE_CREATING, &st) != 0) {
        if (ctx->err == SIM_ERR_ResourceNotFoundException)
            return sim_fail(ctx, SIM_ERR_ResourceNotFoundException,
                            "Shard %s in stream %s under account %s does not exist", shard_id, name,
                            ctx->account_id);
        return -1;
    }
    store_shard *shards;
    size_t n;
    if (stream_shards(ctx, &st, &shards, &n) != 0)
        return -1;
    store_shard *found = shard_by_index(shards, n, index);
    store_shard sh;
    if (found && shard_expired(ctx, &st, found))
        found = NULL; /* a closed shard past its retention is gone */
    if (found)
        sh = *found;
    free(shards);
    if (!found)
        return sim_fail(ctx, SIM_ERR_ResourceNotFoundException,
                        "Shard %s in stream %s under account %s does not exist", shard_id, st.name,
                        ctx->account_id);

    /* Every argument is checked before the shard's rate limit (AWS answered a burst of bad
     * StartingSequenceNumbers on one shard with InvalidArgumentException each time). */
    int at_seq = strcmp(type, "AT_SEQUENCE_NUMBER") == 0,
        after_seq = strcmp(type, "AFTER_SEQUENCE_NUMBER") == 0;
    int horizon = strcmp(type, "TRIM_HORIZON") == 0, latest = strcmp(type, "LATEST") == 0;
    int at_ts = strcmp(type, "AT_TIMESTAMP") == 0;
    seqnum_info si;
    int64_t ts_ms = 0;
    if (at_seq || after_seq) {
        if (!start_seq)
            return type_mismatch(ctx, type, 0);
        int v = seqnum_read(start_seq, &si);
        if (v == SEQNUM_READ_INVALID || v == SEQNUM_READ_OTHER_VERSION)
            return seq_invalid(ctx, start_seq, shard_id, st.name, "");
        if (si.shard_index != (int64_t)index) {
            char other[SHARD_ID_MAX];
            shard_id_format_signed(si.shard_index, other);
            return sim_fail(
                ctx, SIM_ERR_InvalidArgumentException,
                "Invalid StartingSequenceNumber. It encodes %s, while it was used in a call to a shard "
                "with %s",
                other, shard_id);
        }
        if (v == 0) /* an old-layout number of this shard: AWS fails */
            return sim_fail(ctx, SIM_ERR_InternalFailure, "%s", "");
        if (v != 2 || si.shard_created_s != sh.created_ms / 1000)
            return seq_invalid(ctx, start_seq, shard_id, st.name,
                               " because it did not come from this stream");
    } else if (horizon || latest) {
        if (start_seq)
            return type_mismatch(ctx, type, 1);
    } else if (at_ts) {
        if (!jts || epoch_ms_from_json(jts, &ts_ms) != 0)
            return sim_fail(
                ctx, SIM_ERR_InvalidArgumentException,
                "Must specify timestampInMillis parameter for iterator of type AT_TIMESTAMP. Current "
                "request has no timestamp parameter.");
        if (ts_ms > ctx->now_ms)
            return sim_fail(
                ctx, SIM_ERR_InvalidArgumentException,
                "The timestampInMillis parameter cannot be greater than the currentTimestampInMillis. "
                "timestampInMillis: %lld, currentTimestampInMillis: %lld",
                (long long)ts_ms, (long long)ctx->now_ms);
    } else {
        return sim_fail(ctx, SIM_ERR_InvalidArgumentException, "Unknown ShardIteratorType %s.", type);
    }

    sim_stream_ref ref = {
        .name = st.name, .created_ms = st.created_ms, .on_demand = strcmp(st.mode, "ON_DEMAND") == 0};
    if (sim_sim_iterator(ctx, &ref, index) != 0)
        return -1;

    uint64_t position;
    if (at_seq || after_seq) {
        position = si.counter + (after_seq ? 1 : 0);
    } else if (horizon || latest) {
        position = horizon ? 0 : sh.next_counter;
    } else {
        int rc = store_record_first_at(ctx->srv->store, st.id, index, ts_ms, &position);
        if (rc < 0)
            return ops_store_fail(ctx);
        if (rc > 0)
            position = sh.next_counter;
    }

    iterator_pos pos;
    memset(&pos, 0, sizeof pos);
    snprintf(pos.stream_name, sizeof pos.stream_name, "%s", st.name);
    snprintf(pos.account_id, sizeof pos.account_id, "%s", ctx->account_id);
    snprintf(pos.region, sizeof pos.region, "%.31s", ctx->region);
    pos.stream_created_ms = st.created_ms;
    pos.shard_index = index;
    pos.next_counter = position;
    pos.issued_ms = ctx->now_ms;
    char it[ITERATOR_MAX];
    if (iterator_encode(ctx->srv->iterator_key, &pos, it) != 0)
        return sim_fail(ctx, SIM_ERR_InternalFailureException, "Internal service failure.");
    *out = json_pack("{s:s}", "ShardIterator", it);
    return 0;
}
