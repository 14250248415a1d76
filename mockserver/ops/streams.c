/* ops/streams.c: stream lifecycle handlers: CreateStream, DeleteStream, DescribeStream,
 * DescribeStreamSummary, ListStreams, Increase/DecreaseStreamRetentionPeriod.
 * States move CREATING -> ACTIVE and DELETING -> gone after the configured delays, computed
 * lazily from the simulation clock when a stream is next touched (ops/resources.c). Messages follow
 * AWS as recorded by kinesalite's tests (docs/aws-behaviour.md). Descriptions carry the
 * settings other handlers change (encryption, enhanced monitoring, consumers, warm throughput,
 * MaxRecordSizeInKiB) and leave out closed shards whose retention has passed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dispatch/validate.h"
#include "ops/ops.h"
#include "ops/resources.h"
#include "server/config.h"
#include "simulation/simulation.h"

#define DEFAULT_RETENTION_HOURS 24
#define MAX_RETENTION_HOURS 8760
#define ON_DEMAND_SHARDS 4
#define MAX_TAGS_PER_STREAM_CREATE MAX_TAGS_PER_RESOURCE
#define ON_DEMAND_STREAM_LIMIT 50
#define DESCRIBE_MAX 100
#define LIST_STREAMS_MAX 100

static json_t *mode_json(const store_stream *st)
{
    return json_pack("{s:s}", "StreamMode", st->mode);
}

/* EncryptionType, and KeyId while encrypted. */
static void encryption_json(json_t *d, const store_stream *st)
{
    int kms = strcmp(st->encryption_type, "KMS") == 0;
    json_object_set_new(d, "EncryptionType", json_string(kms ? "KMS" : "NONE"));
    if (kms)
        json_object_set_new(d, "KeyId", json_string(st->key_id));
}

/* ---- CreateStream ---- */

int op_create_stream(sim_ctx *ctx, json_t *in, json_t **out)
{
    const sim_config *cfg = &ctx->srv->cfg;
    const char *name = json_string_value(json_object_get(in, "StreamName"));
    const char *mode =
        json_string_value(json_object_get(json_object_get(in, "StreamModeDetails"), "StreamMode"));
    json_t *jcount = json_object_get(in, "ShardCount");
    json_t *jkib = json_object_get(in, "MaxRecordSizeInKiB");
    if (!name)
        return sim_fail(ctx, SIM_ERR_ValidationException,
                        "1 validation error detected: Value null at 'streamName' failed to satisfy "
                        "constraint: Member must not be null");
    if (!mode)
        mode = "PROVISIONED";
    int64_t count;
    if (strcmp(mode, "ON_DEMAND") == 0) {
        count = ON_DEMAND_SHARDS;
    } else {
        if (!json_is_number(jcount))
            return sim_fail(ctx, SIM_ERR_InvalidArgumentException,
                            "ShardCount must be specified when StreamMode is PROVISIONED.");
        count = sim_validate_integer(jcount);
        if (count < 1)
            return sim_fail(ctx, SIM_ERR_ValidationException,
                            "1 validation error detected: Value '%lld' at 'shardCount' failed to satisfy "
                            "constraint: Member must have value greater than or equal to 1",
                            (long long)count);
    }

    store_stream st;
    int rc = stream_find(ctx, name, &st);
    if (rc < 0)
        return ops_store_fail(ctx);
    if (rc == 0)
        return sim_fail(ctx, SIM_ERR_ResourceInUseException, "Stream %s under account %s already exists.",
                        name, ctx->account_id);

    /* Tags: at most 50 (the model's CreateStream Tags: "A set of up to 50 key-value pairs"; the map
     * itself may hold 200), in the stream API's characters (AddTagsToStream's permission applies).
     * The wording of the count message is AddTagsToStream's recorded one with 50: inferred. */
    json_t *tags = json_object_get(in, "Tags");
    if (json_object_size(tags) > MAX_TAGS_PER_STREAM_CREATE)
        return sim_fail(
            ctx, SIM_ERR_InvalidArgumentException,
            "Failed to add tags to stream %s under account %s because a given stream cannot have more "
            "than %d tags associated with it.",
            name, ctx->account_id, MAX_TAGS_PER_STREAM_CREATE);
    if (tags && stream_tags_check(ctx, tags, name) != 0)
        return -1;

    int64_t open_total;
    if (store_open_shard_total(ctx->srv->store, ctx->account_id, ctx->region, &open_total) != 0)
        return ops_store_fail(ctx);
    int limit = sim_config_shard_limit(cfg, ctx->region);
    if (open_total + count > limit)
        return sim_fail(ctx, SIM_ERR_LimitExceededException,
                        "This request would exceed the shard limit for the account %s in %s. Current shard "
                        "count for the account: %lld. Limit: %d. Number of additional shards that would "
                        "have resulted from this request: %lld. Refer to the AWS Service Limits page "
                        "(http://docs.aws.amazon.com/general/latest/gr/aws_service_limits.html) for current "
                        "limits and how to request higher limits.",
                        ctx->account_id, ctx->region, (long long)open_total, limit, (long long)count);

    /* the simulation layer limits how many streams may be CREATING at once */
    store_stream *all;
    size_t n_all;
    int creating = 0, on_demand = 0;
    if (store_stream_list(ctx->srv->store, ctx->account_id, ctx->region, &all, &n_all) != 0)
        return ops_store_fail(ctx);
    for (size_t i = 0; i < n_all; i++) {
        int gone = stream_settle(ctx, &all[i]);
        creating += gone == 0 && strcmp(all[i].status, "CREATING") == 0;
        on_demand += gone == 0 && strcmp(all[i].mode, "ON_DEMAND") == 0;
    }
    free(all);
    if (sim_sim_check_creating(ctx, creating) != 0)
        return -1;
    if (strcmp(mode, "ON_DEMAND") == 0 && on_demand >= ON_DEMAND_STREAM_LIMIT)
        return sim_fail(ctx, SIM_ERR_LimitExceededException,
                        "Account %s already has %d streams in ON_DEMAND mode in %s; the limit is %d.",
                        ctx->account_id, on_demand, ctx->region, ON_DEMAND_STREAM_LIMIT);

    memset(&st, 0, sizeof st);
    snprintf(st.account_id, sizeof st.account_id, "%s", ctx->account_id);
    snprintf(st.region, sizeof st.region, "%s", ctx->region);
    snprintf(st.name, sizeof st.name, "%s", name);
    st.created_ms = ctx->now_ms;
    if (cfg->create_delay_ms > 0) {
        snprintf(st.status, sizeof st.status, "CREATING");
        st.status_until_ms = ctx->now_ms + cfg->create_delay_ms;
    } else {
        snprintf(st.status, sizeof st.status, "ACTIVE");
    }
    snprintf(st.mode, sizeof st.mode, "%s", mode);
    st.retention_hours = DEFAULT_RETENTION_HOURS;
    st.next_shard_index = (uint32_t)count;
    st.max_record_kib = json_is_number(jkib) ? (int)sim_validate_integer(jkib) : 1024;
    if (store_stream_insert(ctx->srv->store, &st) != 0)
        return ops_store_fail(ctx);

    /* the shards exist once the stream is ACTIVE: a CREATING stream lists none (stream_shards) */
    int64_t active_at = st.status_until_ms > ctx->now_ms ? st.status_until_ms : ctx->now_ms;
    for (uint32_t i = 0; i < (uint32_t)count; i++) {
        store_shard sh = {.index = i,
                          .created_ms = active_at,
                          .parent = -1,
                          .adjacent_parent = -1,
                          .closed_ms = 0,
                          .next_counter = 1};
        u128 lo, hi;
        hash_range_split((uint32_t)count, i, &lo, &hi);
        u128_format(lo, sh.start_hash);
        u128_format(hi, sh.end_hash);
        if (store_shard_insert(ctx->srv->store, st.id, &sh) != 0)
            return ops_store_fail(ctx);
    }

    const char *key;
    json_t *val;
    json_object_foreach(json_object_get(in, "Tags"), key, val)
    {
        if (store_tag_put(ctx->srv->store, st.id, key,
                          json_string_value(val) ? json_string_value(val) : "") != 0)
            return ops_store_fail(ctx);
    }
    *out = json_object();
    return 0;
}

/* ---- DeleteStream ---- */

/* A CREATING stream may be deleted: it goes DELETING at once (kinesalite's deleteStream.js "should allow
 * stream to be deleted while it is being created", recorded against AWS). */
int op_delete_stream(sim_ctx *ctx, json_t *in, json_t **out)
{
    store_stream st;
    if (stream_lookup(ctx, in, STREAM_HIDE_DELETING, &st) != 0)
        return -1;
    if (!json_is_true(json_object_get(in, "EnforceConsumerDeletion"))) {
        store_consumer *consumers;
        size_t n_consumers;
        if (stream_consumers(ctx, &st, &consumers, &n_consumers) != 0)
            return -1;
        free(consumers);
        if (n_consumers > 0)
            return sim_fail(
                ctx, SIM_ERR_ResourceInUseException,
                "Stream %s under account %s has %zu registered consumer(s): deregister them or set "
                "EnforceConsumerDeletion.",
                st.name, ctx->account_id, n_consumers);
    }
    if (ctx->srv->cfg.delete_delay_ms > 0) {
        snprintf(st.status, sizeof st.status, "DELETING");
        st.status_until_ms = ctx->now_ms + ctx->srv->cfg.delete_delay_ms;
        if (store_stream_update(ctx->srv->store, &st) != 0)
            return ops_store_fail(ctx);
    } else if (store_stream_delete(ctx->srv->store, st.id) != 0) {
        return ops_store_fail(ctx);
    }
    *out = json_object();
    return 0;
}

/* ---- DescribeStream ---- */

int op_describe_stream(sim_ctx *ctx, json_t *in, json_t **out)
{
    store_stream st;
    if (stream_lookup(ctx, in, STREAM_ANY, &st) != 0)
        return -1;
    json_t *jlimit = json_object_get(in, "Limit");
    int64_t limit = json_is_number(jlimit) ? sim_validate_integer(jlimit) : DESCRIBE_MAX;
    if (limit > DESCRIBE_MAX)
        limit = DESCRIBE_MAX;
    const char *after = json_string_value(json_object_get(in, "ExclusiveStartShardId"));
    uint32_t after_index = 0;
    int has_after = after && shard_id_parse(after, &after_index) == 0;

    store_shard *shards;
    size_t n;
    if (stream_shards(ctx, &st, &shards, &n) != 0)
        return -1;
    json_t *list = json_array();
    int more = 0;
    for (size_t i = 0; i < n; i++) {
        if (after && (!has_after || shards[i].index <= after_index))
            continue;
        if (shard_expired(ctx, &st, &shards[i]))
            continue;
        if ((int64_t)json_array_size(list) == limit) {
            more = 1;
            break;
        }
        json_array_append_new(list, shard_json(&shards[i]));
    }
    free(shards);

    char arn[STREAM_ARN_MAX];
    stream_arn(ctx, st.name, arn);
    json_t *d = json_object();
    json_object_set_new(d, "StreamName", json_string(st.name));
    json_object_set_new(d, "StreamARN", json_string(arn));
    json_object_set_new(d, "StreamStatus", json_string(st.status));
    json_object_set_new(d, "StreamModeDetails", mode_json(&st));
    json_object_set_new(d, "Shards", list);
    json_object_set_new(d, "HasMoreShards", json_boolean(more));
    json_object_set_new(d, "RetentionPeriodHours", json_integer(st.retention_hours));
    json_object_set_new(d, "StreamCreationTimestamp", epoch_seconds_json(st.created_ms));
    json_object_set_new(d, "EnhancedMonitoring", enhanced_monitoring_json(&st));
    encryption_json(d, &st);
    *out = json_pack("{s:o}", "StreamDescription", d);
    return 0;
}

/* ---- DescribeStreamSummary ---- */

int op_describe_stream_summary(sim_ctx *ctx, json_t *in, json_t **out)
{
    store_stream st;
    if (stream_lookup(ctx, in, STREAM_ANY, &st) != 0)
        return -1;
    store_shard *shards;
    size_t n, open = 0;
    if (stream_shards(ctx, &st, &shards, &n) != 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        open += shards[i].closed_ms == 0;
    free(shards);
    char arn[STREAM_ARN_MAX];
    stream_arn(ctx, st.name, arn);
    json_t *d = json_object();
    json_object_set_new(d, "StreamName", json_string(st.name));
    json_object_set_new(d, "StreamARN", json_string(arn));
    json_object_set_new(d, "StreamStatus", json_string(st.status));
    json_object_set_new(d, "StreamModeDetails", mode_json(&st));
    json_object_set_new(d, "RetentionPeriodHours", json_integer(st.retention_hours));
    json_object_set_new(d, "StreamCreationTimestamp", epoch_seconds_json(st.created_ms));
    json_object_set_new(d, "EnhancedMonitoring", enhanced_monitoring_json(&st));
    encryption_json(d, &st);
    store_consumer *consumers;
    size_t n_consumers;
    if (stream_consumers(ctx, &st, &consumers, &n_consumers) != 0) {
        json_decref(d);
        return -1;
    }
    free(consumers);
    json_object_set_new(d, "OpenShardCount", json_integer((json_int_t)open));
    json_object_set_new(d, "ConsumerCount", json_integer((json_int_t)n_consumers));
    json_object_set_new(d, "MaxRecordSizeInKiB", json_integer(st.max_record_kib));
    if (st.warm_mibps > 0 && strcmp(st.mode, "ON_DEMAND") == 0) {
        json_t *warm = json_pack("{s:i}", "TargetMiBps", st.warm_mibps);
        if (strcmp(st.status, "UPDATING") != 0)
            json_object_set_new(warm, "CurrentMiBps", json_integer(st.warm_mibps));
        json_object_set_new(d, "WarmThroughput", warm);
    }
    *out = json_pack("{s:o}", "StreamDescriptionSummary", d);
    return 0;
}

/* ---- ListStreams ---- */

int op_list_streams(sim_ctx *ctx, json_t *in, json_t **out)
{
    json_t *jlimit = json_object_get(in, "Limit");
    int64_t limit = json_is_number(jlimit) ? sim_validate_integer(jlimit) : LIST_STREAMS_MAX;
    if (limit > LIST_STREAMS_MAX)
        limit = LIST_STREAMS_MAX;
    const char *after = json_string_value(json_object_get(in, "ExclusiveStartStreamName"));
    const char *token = json_string_value(json_object_get(in, "NextToken"));
    json_t *payload = NULL;
    if (token) {
        if (next_token_take(ctx, token, "The NextToken has expired.", &payload) != 0)
            return -1;
        after = json_string_value(json_object_get(payload, "after"));
        if (!after)
            return next_token_invalid(ctx, payload);
    }

    store_stream *all;
    size_t n;
    if (store_stream_list(ctx->srv->store, ctx->account_id, ctx->region, &all, &n) != 0) {
        json_decref(payload);
        return ops_store_fail(ctx);
    }
    json_t *names = json_array(), *summaries = json_array();
    int more = 0;
    for (size_t i = 0; i < n; i++) {
        int rc = stream_settle(ctx, &all[i]);
        if (rc < 0) {
            free(all);
            json_decref(payload);
            json_decref(names);
            json_decref(summaries);
            return ops_store_fail(ctx);
        }
        if (rc > 0 || (after && strcmp(all[i].name, after) <= 0))
            continue;
        if ((int64_t)json_array_size(names) == limit) {
            more = 1;
            break;
        }
        char arn[STREAM_ARN_MAX];
        stream_arn(ctx, all[i].name, arn);
        json_array_append_new(names, json_string(all[i].name));
        json_array_append_new(
            summaries, json_pack("{s:s, s:s, s:s, s:o, s:o}", "StreamName", all[i].name, "StreamARN", arn,
                                 "StreamStatus", all[i].status, "StreamModeDetails", mode_json(&all[i]),
                                 "StreamCreationTimestamp", epoch_seconds_json(all[i].created_ms)));
    }
    free(all);
    json_decref(payload);
    *out = json_object();
    json_object_set_new(*out, "StreamNames", names);
    json_object_set_new(*out, "HasMoreStreams", json_boolean(more));
    if (more) {
        size_t k = json_array_size(names);
        json_t *p = json_pack("{s:O}", "after", json_array_get(names, k - 1));
        char *next = next_token_make(ctx, p);
        json_decref(p);
        if (next)
            json_object_set_new(*out, "NextToken", json_string(next));
        free(next);
    }
    json_object_set_new(*out, "StreamSummaries", summaries);
    return 0;
}

/* ---- retention ---- */

static int change_retention(sim_ctx *ctx, json_t *in, json_t **out, int increase)
{
    store_stream st;
    if (stream_lookup(ctx, in, STREAM_HIDE_CREATING | STREAM_HIDE_DELETING, &st) != 0)
        return -1;
    json_t *jh = json_object_get(in, "RetentionPeriodHours");
    if (!json_is_number(jh))
        return sim_fail(ctx, SIM_ERR_ValidationException,
                        "1 validation error detected: Value null at 'retentionPeriodHours' failed to satisfy "
                        "constraint: Member must not be null");
    long long h = sim_validate_integer(jh);
    if (h < DEFAULT_RETENTION_HOURS)
        return sim_fail(ctx, SIM_ERR_InvalidArgumentException,
                        "Minimum allowed retention period is %d hours. Requested retention period (%lld "
                        "hours) is too short.",
                        DEFAULT_RETENTION_HOURS, h);
    if (h > MAX_RETENTION_HOURS)
        return sim_fail(ctx, SIM_ERR_InvalidArgumentException,
                        "Maximum allowed retention period is %d hours. Requested retention period (%lld "
                        "hours) is too long.",
                        MAX_RETENTION_HOURS, h);
    if (increase && h < st.retention_hours)
        return sim_fail(ctx, SIM_ERR_InvalidArgumentException,
                        "Requested retention period (%lld hours) for stream %s can not be shorter than "
                        "existing retention period (%d hours). Use DecreaseRetentionPeriod API.",
                        h, st.name, st.retention_hours);
    if (!increase && h > st.retention_hours)
        return sim_fail(ctx, SIM_ERR_InvalidArgumentException,
                        "Requested retention period (%lld hours) for stream %s can not be longer than "
                        "existing retention period (%d hours). Use IncreaseRetentionPeriod API.",
                        h, st.name, st.retention_hours);
    st.retention_hours = (int)h;
    if (store_stream_update(ctx->srv->store, &st) != 0)
        return ops_store_fail(ctx);
    *out = json_object();
    return 0;
}

int op_increase_stream_retention_period(sim_ctx *ctx, json_t *in, json_t **out)
{
    return change_retention(ctx, in, out, 1);
}

int op_decrease_stream_retention_period(sim_ctx *ctx, json_t *in, json_t **out)
{
    return change_retention(ctx, in, out, 0);
}
