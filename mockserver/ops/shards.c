/* ops/shards.c: shard listing and resharding: ListShards (with NextToken and ShardFilter),
 * SplitShard, MergeShards and UpdateShardCount (UNIFORM_SCALING).
 * Resharding takes effect at once: parents close (EndingSequenceNumber set, writes route to
 * the open children by hash range) and the children get the next shard indexes with
 * ParentShardId / AdjacentParentShardId; the stream shows UPDATING for --update-delay-ms,
 * computed lazily from the clock like every state change. A closed shard whose retention has
 * passed no longer shows in ListShards. Messages follow AWS as recorded by
 * kinesalite's tests (docs/aws-behaviour.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dispatch/validate.h"
#include "ops/ops.h"
#include "ops/resources.h"
#include "server/config.h"

#define LIST_SHARDS_MAX 1000
#define MAX_SHARDS_PER_STREAM 10000

/* ---- ListShards ---- */

/* Does shard sh pass the filter? ts_ms is the filter's time (or the trim horizon). */
static int filter_keeps(const char *type, const store_shard *sh, int64_t ts_ms, uint32_t after_index)
{
    if (!type)
        return 1;
    if (strcmp(type, "AFTER_SHARD_ID") == 0)
        return sh->index > after_index;
    if (strcmp(type, "AT_LATEST") == 0)
        return sh->closed_ms == 0;
    int open_at_ts = sh->closed_ms == 0 || sh->closed_ms > ts_ms;
    if (strcmp(type, "AT_TRIM_HORIZON") == 0 || strcmp(type, "AT_TIMESTAMP") == 0)
        return open_at_ts && (sh->created_ms <= ts_ms || (sh->parent < 0 && sh->adjacent_parent < 0));
    /* FROM_TRIM_HORIZON, FROM_TIMESTAMP: open at that time, and every shard since */
    return open_at_ts;
}

int op_list_shards(sim_ctx *ctx, json_t *in, json_t **out)
{
    const char *token = json_string_value(json_object_get(in, "NextToken"));
    const char *name = json_string_value(json_object_get(in, "StreamName"));
    const char *arn = json_string_value(json_object_get(in, "StreamARN"));
    json_t *filter = json_object_get(in, "ShardFilter");
    const char *after = json_string_value(json_object_get(in, "ExclusiveStartShardId"));
    json_t *jmax = json_object_get(in, "MaxResults");
    int64_t max = json_is_number(jmax) ? sim_validate_integer(jmax) : LIST_SHARDS_MAX;
    if (max > LIST_SHARDS_MAX)
        max = LIST_SHARDS_MAX;

    if (!token && !name && !arn)
        return sim_fail(ctx, SIM_ERR_InvalidArgumentException,
                        "Either NextToken or StreamName should be provided.");
    if (token && (name || arn))
        return sim_fail(ctx, SIM_ERR_InvalidArgumentException,
                        "NextToken and StreamName cannot be provided together.");
    if (token && after)
        return sim_fail(ctx, SIM_ERR_InvalidArgumentException,
                        "NextToken and ExclusiveStartShardId cannot be provided together.");

    store_stream st;
    json_t *payload = NULL;
    int64_t after_index = -1;
    if (token) {
        if (next_token_take(ctx, token, NEXT_TOKEN_EXPIRED_MSG, &payload) != 0)
            return -1;
        const char *sname = json_string_value(json_object_get(payload, "s"));
        if (!sname || !json_is_integer(json_object_get(payload, "a")))
            return next_token_invalid(ctx, payload);
        int rc = stream_find(ctx, sname, &st);
        if (rc < 0) {
            json_decref(payload);
            return ops_store_fail(ctx);
        }
        if (rc > 0 || st.created_ms != json_integer_value(json_object_get(payload, "c"))) {
            rc = stream_not_found(ctx, sname);
            json_decref(payload);
            return rc;
        }
        after_index = json_integer_value(json_object_get(payload, "a"));
        filter = json_object_get(payload, "f");
    } else {
        if (stream_lookup(ctx, in, STREAM_ANY, &st) != 0)
            return -1;
        uint32_t idx;
        if (after)
            after_index = shard_id_parse(after, &idx) == 0 ? (int64_t)idx : INT64_MAX;
    }

    const char *ftype = json_string_value(json_object_get(filter, "Type"));
    int64_t ts_ms = ctx->now_ms - (int64_t)st.retention_hours * 3600 * 1000;
    uint32_t filter_after = 0;
    if (ftype && strcmp(ftype, "AFTER_SHARD_ID") == 0) {
        const char *fid = json_string_value(json_object_get(filter, "ShardId"));
        if (!fid) {
            json_decref(payload);
            return sim_fail(ctx, SIM_ERR_InvalidArgumentException,
                            "Must specify ShardId in ShardFilter when Type is AFTER_SHARD_ID.");
        }
        if (shard_id_parse(fid, &filter_after) != 0)
            filter_after = UINT32_MAX;
    } else if (ftype && (strcmp(ftype, "AT_TIMESTAMP") == 0 || strcmp(ftype, "FROM_TIMESTAMP") == 0)) {
        if (epoch_ms_from_json(json_object_get(filter, "Timestamp"), &ts_ms) != 0) {
            json_decref(payload);
            return sim_fail(ctx, SIM_ERR_InvalidArgumentException,
                            "Must specify Timestamp in ShardFilter when Type is %s.", ftype);
        }
    }

    store_shard *shards;
    size_t n;
    if (stream_shards(ctx, &st, &shards, &n) != 0) {
        json_decref(payload);
        return -1;
    }
    json_t *list = json_array();
    int more = 0;
    uint32_t last = 0;
    for (size_t i = 0; i < n; i++) {
        if ((int64_t)shards[i].index <= after_index ||
            !filter_keeps(ftype, &shards[i], ts_ms, filter_after) || shard_expired(ctx, &st, &shards[i]))
            continue;
        if ((int64_t)json_array_size(list) == max) {
            more = 1;
            break;
        }
        json_array_append_new(list, shard_json(&shards[i]));
        last = shards[i].index;
    }
    free(shards);
    *out = json_pack("{s:o}", "Shards", list);
    if (more) {
        json_t *p =
            json_pack("{s:s, s:I, s:I}", "s", st.name, "c", (json_int_t)st.created_ms, "a", (json_int_t)last);
        if (filter)
            json_object_set(p, "f", filter);
        char *next = next_token_make(ctx, p);
        json_decref(p);
        if (next)
            json_object_set_new(*out, "NextToken", json_string(next));
        free(next);
    }
    json_decref(payload);
    return 0;
}

/* ---- resharding helpers ---- */

static int not_for_on_demand(sim_ctx *ctx, const store_stream *st)
{
    if (strcmp(st->mode, "ON_DEMAND") != 0)
        return 0;
    return sim_fail(
        ctx, SIM_ERR_ValidationException,
        "%s is not supported for stream %s under account %s because it is in ON_DEMAND capacity mode.",
        ctx->op ? ctx->op : "This operation", st->name, ctx->account_id);
}

/* A CREATING or DELETING stream is ResourceInUse for UpdateShardCount before its arguments. */
static int not_active_yet_or_going(sim_ctx *ctx, const store_stream *st)
{
    if (strcmp(st->status, "CREATING") == 0 || strcmp(st->status, "DELETING") == 0)
        return stream_require_active(ctx, st);
    return 0;
}

/* A shard id argument of SplitShard or MergeShards, read before the stream is looked up (AWS's
 * order as kinesalite's splitShard.js and mergeShards.js record it): -1 after sim_fail. */
static int shard_arg_resolve(sim_ctx *ctx, json_t *in, const char *member, uint32_t *index)
{
    const char *arg = json_string_value(json_object_get(in, member));
    if (arg && shard_id_resolve(arg, index) == 0)
        return 0;
    const char *name = json_string_value(json_object_get(in, "StreamName"));
    char arn_name[STORE_NAME_MAX] = "", region[64], account[32], consumer[STORE_NAME_MAX];
    int64_t epoch;
    const char *arn = json_string_value(json_object_get(in, "StreamARN"));
    if (!name && arn && kinesis_arn_parse(arn, region, account, arn_name, consumer, &epoch) == 0)
        name = arn_name;
    return sim_fail(ctx, SIM_ERR_ResourceNotFoundException,
                    "Could not find shard %s in stream %s under account %s.", arg ? arg : "null",
                    name ? name : "", ctx->account_id);
}

/* The open shard with this index; -1 after sim_fail. */
static int open_shard_arg(sim_ctx *ctx, const store_stream *st, store_shard *shards, size_t n, uint32_t idx,
                          store_shard **out)
{
    char id[SHARD_ID_MAX];
    shard_id_format(idx, id);
    *out = shard_by_index(shards, n, idx);
    if (!*out) {
        return sim_fail(ctx, SIM_ERR_ResourceNotFoundException,
                        "Could not find shard %s in stream %s under account %s.", id, st->name,
                        ctx->account_id);
    }
    if ((*out)->closed_ms) {
        return sim_fail(
            ctx, SIM_ERR_InvalidArgumentException,
            "Shard %s in stream %s under account %s has already been merged or split, and thus is not "
            "eligible for merging or splitting.",
            id, st->name, ctx->account_id);
    }
    return 0;
}

static int shard_limit_check(sim_ctx *ctx, int64_t additional)
{
    int64_t total;
    if (store_open_shard_total(ctx->srv->store, ctx->account_id, ctx->region, &total) != 0)
        return ops_store_fail(ctx);
    int limit = sim_config_shard_limit(&ctx->srv->cfg, ctx->region);
    if (total + additional <= limit)
        return 0;
    return sim_fail(
        ctx, SIM_ERR_LimitExceededException,
        "This request would exceed the shard limit for the account %s in %s. Current shard count for the "
        "account: %lld. Limit: %d. Number of additional shards that would have resulted from this "
        "request: %lld. Refer to the AWS Service Limits page "
        "(http://docs.aws.amazon.com/general/latest/gr/aws_service_limits.html) for current limits and "
        "how to request higher limits.",
        ctx->account_id, ctx->region, (long long)total, limit, (long long)additional);
}

/* When a reshard takes effect: as the stream's UPDATING ends. Until then the parents stay open and
 * take the writes, and the children are not listed (stream_shards shows shards as of now), as AWS
 * was recorded doing (docs/aws-behaviour.md, resharding). */
static int64_t reshard_at(const sim_ctx *ctx)
{
    return ctx->now_ms + (ctx->srv->cfg.update_delay_ms > 0 ? ctx->srv->cfg.update_delay_ms : 0);
}

/* Add a child shard with the stream's next index. */
static int add_child(sim_ctx *ctx, store_stream *st, u128 lo, u128 hi, int64_t parent, int64_t adjacent)
{
    store_shard c = {.index = st->next_shard_index++,
                     .created_ms = reshard_at(ctx),
                     .parent = parent,
                     .adjacent_parent = adjacent,
                     .closed_ms = 0,
                     .next_counter = 1};
    u128_format(lo, c.start_hash);
    u128_format(hi, c.end_hash);
    return store_shard_insert(ctx->srv->store, st->id, &c) == 0 ? 0 : ops_store_fail(ctx);
}

static int close_shard(sim_ctx *ctx, const store_stream *st, store_shard *sh)
{
    sh->closed_ms = reshard_at(ctx);
    return store_shard_update(ctx->srv->store, st->id, sh) == 0 ? 0 : ops_store_fail(ctx);
}

/* The stream goes UPDATING for the update delay, and records its new shard index. */
static int mark_updating(sim_ctx *ctx, store_stream *st)
{
    if (ctx->srv->cfg.update_delay_ms > 0) {
        snprintf(st->status, sizeof st->status, "UPDATING");
        st->status_until_ms = ctx->now_ms + ctx->srv->cfg.update_delay_ms;
    }
    return store_stream_update(ctx->srv->store, st) == 0 ? 0 : ops_store_fail(ctx);
}

/* ---- SplitShard ---- */

int op_split_shard(sim_ctx *ctx, json_t *in, json_t **out)
{
    uint32_t idx;
    if (shard_arg_resolve(ctx, in, "ShardToSplit", &idx) != 0)
        return -1;
    store_stream st;
    if (stream_lookup(ctx, in, STREAM_ANY, &st) != 0)
        return -1;
    /* a stream that is not ACTIVE (UPDATING too) is ResourceInUse before any shard is looked at */
    if (stream_require_active(ctx, &st) != 0 || not_for_on_demand(ctx, &st) != 0)
        return -1;
    const char *key = json_string_value(json_object_get(in, "NewStartingHashKey"));
    store_shard *shards, *sh;
    size_t n;
    if (stream_shards(ctx, &st, &shards, &n) != 0)
        return -1;
    int rc = open_shard_arg(ctx, &st, shards, n, idx, &sh);
    if (rc == 0)
        rc = shard_limit_check(ctx, 1);
    u128 k, lo, hi;
    if (rc == 0) {
        u128_parse(sh->start_hash, &lo);
        u128_parse(sh->end_hash, &hi);
        /* AWS requires StartingHashKey + 1 < key < EndingHashKey */
        if (!key || u128_parse(key, &k) != 0 || u128_cmp(k, u128_add(lo, u128_from_u64(1))) <= 0 ||
            u128_cmp(k, hi) >= 0) {
            char id[SHARD_ID_MAX];
            shard_id_format(sh->index, id);
            rc = sim_fail(
                ctx, SIM_ERR_InvalidArgumentException,
                "NewStartingHashKey %s used in SplitShard() on shard %s in stream %s under account %s is "
                "not both greater than one plus the shard's StartingHashKey %s and less than the shard's "
                "EndingHashKey %s.",
                key ? key : "null", id, st.name, ctx->account_id, sh->start_hash, sh->end_hash);
        }
    }
    if (rc == 0)
        rc = close_shard(ctx, &st, sh);
    if (rc == 0)
        rc = add_child(ctx, &st, lo, u128_sub(k, u128_from_u64(1)), sh->index, -1);
    if (rc == 0)
        rc = add_child(ctx, &st, k, hi, sh->index, -1);
    if (rc == 0)
        rc = mark_updating(ctx, &st);
    free(shards);
    if (rc == 0)
        *out = json_object();
    return rc;
}

/* ---- MergeShards ---- */

int op_merge_shards(sim_ctx *ctx, json_t *in, json_t **out)
{
    uint32_t ia, ib;
    if (shard_arg_resolve(ctx, in, "ShardToMerge", &ia) != 0 ||
        shard_arg_resolve(ctx, in, "AdjacentShardToMerge", &ib) != 0)
        return -1;
    store_stream st;
    if (stream_lookup(ctx, in, STREAM_ANY, &st) != 0)
        return -1;
    if (stream_require_active(ctx, &st) != 0 || not_for_on_demand(ctx, &st) != 0)
        return -1;
    store_shard *shards, *a = NULL, *b = NULL;
    size_t n;
    if (stream_shards(ctx, &st, &shards, &n) != 0)
        return -1;
    int rc = open_shard_arg(ctx, &st, shards, n, ia, &a);
    if (rc == 0)
        rc = open_shard_arg(ctx, &st, shards, n, ib, &b);
    u128 alo, ahi, blo, bhi;
    if (rc == 0) {
        u128_parse(a->start_hash, &alo);
        u128_parse(a->end_hash, &ahi);
        u128_parse(b->start_hash, &blo);
        u128_parse(b->end_hash, &bhi);
        u128 one = u128_from_u64(1);
        /* ShardToMerge must hold the lower range: the pair given the other way round is refused
         * (kinesalite test/mergeShards.js "should return InvalidArgumentException if adjacency is
         * inverted", recorded against AWS) */
        int a_then_b = u128_cmp(u128_add(ahi, one), blo) == 0 && u128_cmp(ahi, u128_max()) != 0;
        if (a == b || !a_then_b) {
            char ida[SHARD_ID_MAX], idb[SHARD_ID_MAX];
            shard_id_format(a->index, ida);
            shard_id_format(b->index, idb);
            rc = sim_fail(ctx, SIM_ERR_InvalidArgumentException,
                          "Shards %s and %s in stream %s under account %s are not an adjacent pair of shards "
                          "eligible for merging",
                          ida, idb, st.name, ctx->account_id);
        }
    }
    if (rc == 0)
        rc = close_shard(ctx, &st, a);
    if (rc == 0)
        rc = close_shard(ctx, &st, b);
    if (rc == 0)
        rc = add_child(ctx, &st, u128_cmp(alo, blo) < 0 ? alo : blo, u128_cmp(ahi, bhi) > 0 ? ahi : bhi,
                       a->index, b->index);
    if (rc == 0)
        rc = mark_updating(ctx, &st);
    free(shards);
    if (rc == 0)
        *out = json_object();
    return rc;
}

/* ---- UpdateShardCount ---- */

/* "Scale more than ten times per rolling 24-hour period per stream" is refused (UpdateShardCount's
 * page, default limits). Counts this scaling when allowed. The message is ours: AWS's is not
 * recorded. 0, or -1 after sim_fail. */
#define SCALINGS_PER_DAY 10
#define DAY_MS (INT64_C(24) * 3600 * 1000)
static int scaling_allowed(sim_ctx *ctx, const store_stream *st)
{
    int64_t times[STORE_SCALINGS_MAX], kept[STORE_SCALINGS_MAX];
    size_t n, k = 0;
    if (store_scalings_get(ctx->srv->store, st->id, times, STORE_SCALINGS_MAX, &n) != 0)
        return ops_store_fail(ctx);
    for (size_t i = 0; i < n; i++)
        if (times[i] > ctx->now_ms - DAY_MS && times[i] <= ctx->now_ms)
            kept[k++] = times[i];
    if (k >= SCALINGS_PER_DAY)
        return sim_fail(
            ctx, SIM_ERR_LimitExceededException,
            "Stream %s under account %s has been scaled %d times in the last 24 hours: UpdateShardCount "
            "allows at most %d scalings per rolling 24-hour period.",
            st->name, ctx->account_id, SCALINGS_PER_DAY, SCALINGS_PER_DAY);
    kept[k++] = ctx->now_ms;
    return store_scalings_put(ctx->srv->store, st->id, kept, k) == 0 ? 0 : ops_store_fail(ctx);
}

int op_update_shard_count(sim_ctx *ctx, json_t *in, json_t **out)
{
    store_stream st;
    if (stream_lookup(ctx, in, STREAM_ANY, &st) != 0)
        return -1;
    if (not_active_yet_or_going(ctx, &st) != 0 || not_for_on_demand(ctx, &st) != 0)
        return -1;
    if (stream_require_active(ctx, &st) != 0)
        return -1;
    json_int_t target = sim_validate_integer(json_object_get(in, "TargetShardCount"));
    store_shard *shards;
    size_t n;
    if (stream_shards(ctx, &st, &shards, &n) != 0)
        return -1;
    size_t open = 0;
    for (size_t i = 0; i < n; i++)
        open += shards[i].closed_ms == 0;
    int rc = 0;
    if (target > MAX_SHARDS_PER_STREAM)
        rc = sim_fail(
            ctx, SIM_ERR_LimitExceededException,
            "Target shard count or number of open shards cannot be greater than %d. Current open shard "
            "count: %zu, Target shard count: %lld",
            MAX_SHARDS_PER_STREAM, open, (long long)target);
    else if (target > (json_int_t)open * 2)
        rc = sim_fail(
            ctx, SIM_ERR_LimitExceededException,
            "UpdateShardCount cannot scale up over double your current open shard count. Current open "
            "shard count: %zu, Target shard count: %lld",
            open, (long long)target);
    else if (target * 2 < (json_int_t)open)
        rc = sim_fail(
            ctx, SIM_ERR_LimitExceededException,
            "UpdateShardCount cannot scale down below half your current open shard count. Current open "
            "shard count: %zu, Target shard count: %lld",
            open, (long long)target);
    else if (target > (json_int_t)open)
        rc = shard_limit_check(ctx, target - (json_int_t)open);

    if (rc == 0 && target != (json_int_t)open)
        rc = scaling_allowed(ctx, &st);
    if (rc == 0 && target != (json_int_t)open) {
        /* new even ranges; each child's parents are the open shards holding its first and last keys */
        for (uint32_t i = 0; rc == 0 && i < (uint32_t)target; i++) {
            u128 lo, hi;
            hash_range_split((uint32_t)target, i, &lo, &hi);
            store_shard *p1 = shard_for_hash(shards, n, lo), *p2 = shard_for_hash(shards, n, hi);
            int64_t parent = p1 ? (int64_t)p1->index : -1;
            int64_t adjacent = p2 && p2 != p1 ? (int64_t)p2->index : -1;
            rc = add_child(ctx, &st, lo, hi, parent, adjacent);
        }
        for (size_t i = 0; rc == 0 && i < n; i++)
            if (shards[i].closed_ms == 0)
                rc = close_shard(ctx, &st, &shards[i]);
        if (rc == 0)
            rc = mark_updating(ctx, &st);
    }
    free(shards);
    if (rc != 0)
        return rc;
    char arn[STREAM_ARN_MAX];
    stream_arn(ctx, st.name, arn);
    *out = json_pack("{s:s, s:i, s:I, s:s}", "StreamName", st.name, "CurrentShardCount", (int)open,
                     "TargetShardCount", target, "StreamARN", arn);
    return 0;
}
