/* ops/limits.c: limits, account settings and a stream's capacity settings:
 * DescribeLimits (ShardLimit = --shard-limit, OpenShardCount, OnDemandStreamCount, and AWS's
 * default OnDemandStreamCountLimit of 50), Describe/UpdateAccountSettings (the account's
 * MinimumThroughputBillingCommitment), UpdateStreamMode (PROVISIONED <-> ON_DEMAND),
 * UpdateStreamWarmThroughput (on-demand streams of accounts with the commitment enabled) and
 * UpdateMaxRecordSize (1024..10240 KiB; PutRecord(s) enforce it, ops/records.c).
 *
 * The billing commitment has a minimum window (COMMITMENT_MIN_MS): disabling it earlier gives
 * ENABLED_UNTIL_EARLIEST_ALLOWED_END, which turns DISABLED once the window has passed (lazily,
 * from the simulation clock). Stream changes put the stream in UPDATING for --update-delay-ms. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dispatch/validate.h"
#include "ops/ops.h"
#include "ops/resources.h"
#include "server/config.h"

#define ON_DEMAND_STREAM_LIMIT 50
#define COMMITMENT_MIN_MS (INT64_C(24) * 3600 * 1000)
#define WARM_THROUGHPUT_MAX_MIBPS 10240
#define MAX_RECORD_KIB_MIN 1024
#define MAX_RECORD_KIB_MAX 10240

static int mark_updating(sim_ctx *ctx, store_stream *st)
{
    if (ctx->srv->cfg.update_delay_ms > 0) {
        snprintf(st->status, sizeof st->status, "UPDATING");
        st->status_until_ms = ctx->now_ms + ctx->srv->cfg.update_delay_ms;
    }
    return store_stream_update(ctx->srv->store, st) == 0 ? 0 : ops_store_fail(ctx);
}

/* ON_DEMAND streams of the caller's account and region (after transitions). */
static int on_demand_count(sim_ctx *ctx, int64_t *count)
{
    store_stream *all;
    size_t n;
    *count = 0;
    if (store_stream_list(ctx->srv->store, ctx->account_id, ctx->region, &all, &n) != 0)
        return ops_store_fail(ctx);
    for (size_t i = 0; i < n; i++) {
        int rc = stream_settle(ctx, &all[i]);
        if (rc < 0) {
            free(all);
            return ops_store_fail(ctx);
        }
        *count += rc == 0 && strcmp(all[i].mode, "ON_DEMAND") == 0;
    }
    free(all);
    return 0;
}

/* ---- DescribeLimits ---- */

int op_describe_limits(sim_ctx *ctx, json_t *in, json_t **out)
{
    (void)in;
    int64_t open, on_demand;
    if (store_open_shard_total(ctx->srv->store, ctx->account_id, ctx->region, &open) != 0)
        return ops_store_fail(ctx);
    if (on_demand_count(ctx, &on_demand) != 0)
        return -1;
    *out =
        json_pack("{s:i, s:I, s:I, s:i}", "ShardLimit", sim_config_shard_limit(&ctx->srv->cfg, ctx->region),
                  "OpenShardCount", (json_int_t)open, "OnDemandStreamCount", (json_int_t)on_demand,
                  "OnDemandStreamCountLimit", ON_DEMAND_STREAM_LIMIT);
    return 0;
}

/* ---- account settings ---- */

/* The account's settings with a due ENABLED_UNTIL_EARLIEST_ALLOWED_END -> DISABLED applied. */
static int account_settings(sim_ctx *ctx, store_account *a)
{
    if (store_account_get(ctx->srv->store, ctx->account_id, ctx->region, a) < 0)
        return ops_store_fail(ctx);
    if (strcmp(a->commitment, "ENABLED_UNTIL_EARLIEST_ALLOWED_END") == 0 &&
        ctx->now_ms >= a->earliest_end_ms) {
        snprintf(a->commitment, sizeof a->commitment, "DISABLED");
        if (store_account_put(ctx->srv->store, ctx->account_id, ctx->region, a) != 0)
            return ops_store_fail(ctx);
    }
    return 0;
}

static int commitment_enabled(const store_account *a)
{
    return strcmp(a->commitment, "DISABLED") != 0;
}

static json_t *commitment_json(const store_account *a)
{
    json_t *o = json_pack("{s:s}", "Status", a->commitment);
    if (a->started_ms)
        json_object_set_new(o, "StartedAt", epoch_seconds_json(a->started_ms));
    if (a->ended_ms)
        json_object_set_new(o, "EndedAt", epoch_seconds_json(a->ended_ms));
    if (a->earliest_end_ms && commitment_enabled(a))
        json_object_set_new(o, "EarliestAllowedEndAt", epoch_seconds_json(a->earliest_end_ms));
    return o;
}

int op_describe_account_settings(sim_ctx *ctx, json_t *in, json_t **out)
{
    (void)in;
    store_account a;
    if (account_settings(ctx, &a) != 0)
        return -1;
    *out = json_pack("{s:o}", "MinimumThroughputBillingCommitment", commitment_json(&a));
    return 0;
}

int op_update_account_settings(sim_ctx *ctx, json_t *in, json_t **out)
{
    const char *want = json_string_value(
        json_object_get(json_object_get(in, "MinimumThroughputBillingCommitment"), "Status"));
    if (!want || (strcmp(want, "ENABLED") != 0 && strcmp(want, "DISABLED") != 0))
        return sim_fail(ctx, SIM_ERR_InvalidArgumentException,
                        "MinimumThroughputBillingCommitment.Status must be ENABLED or DISABLED.");
    store_account a;
    if (account_settings(ctx, &a) != 0)
        return -1;
    if (strcmp(want, "ENABLED") == 0) {
        if (strcmp(a.commitment, "ENABLED_UNTIL_EARLIEST_ALLOWED_END") == 0) {
            snprintf(a.commitment, sizeof a.commitment, "ENABLED");
            a.ended_ms = 0;
        } else if (strcmp(a.commitment, "DISABLED") == 0) {
            snprintf(a.commitment, sizeof a.commitment, "ENABLED");
            a.started_ms = ctx->now_ms;
            a.ended_ms = 0;
            a.earliest_end_ms = ctx->now_ms + COMMITMENT_MIN_MS;
        }
    } else if (strcmp(a.commitment, "ENABLED") == 0) {
        if (ctx->now_ms >= a.earliest_end_ms) {
            snprintf(a.commitment, sizeof a.commitment, "DISABLED");
            a.ended_ms = ctx->now_ms;
        } else {
            snprintf(a.commitment, sizeof a.commitment, "ENABLED_UNTIL_EARLIEST_ALLOWED_END");
            a.ended_ms = a.earliest_end_ms;
        }
    }
    if (store_account_put(ctx->srv->store, ctx->account_id, ctx->region, &a) != 0)
        return ops_store_fail(ctx);
    *out = json_pack("{s:o}", "MinimumThroughputBillingCommitment", commitment_json(&a));
    return 0;
}

/* ---- warm throughput ---- */

/* WarmThroughputMiBps is allowed for this (on-demand) stream: 0, or -1 after sim_fail. */
static int warm_allowed(sim_ctx *ctx, const store_stream *st, json_int_t mibps)
{
    store_account a;
    if (account_settings(ctx, &a) != 0)
        return -1;
    if (!commitment_enabled(&a))
        return sim_fail(ctx, SIM_ERR_InvalidArgumentException,
                        "Warm throughput requires MinimumThroughputBillingCommitment to be enabled for "
                        "account %s.",
                        ctx->account_id);
    if (mibps < 0 || mibps > WARM_THROUGHPUT_MAX_MIBPS)
        return sim_fail(
            ctx, SIM_ERR_InvalidArgumentException,
            "Requested warm throughput (%lld MiBps) for stream %s is above the maximum of %d MiBps.",
            (long long)mibps, st->name, WARM_THROUGHPUT_MAX_MIBPS);
    return 0;
}

int op_update_stream_warm_throughput(sim_ctx *ctx, json_t *in, json_t **out)
{
    store_stream st;
    if (stream_lookup(ctx, in, STREAM_ANY, &st) != 0)
        return -1;
    json_t *jw = json_object_get(in, "WarmThroughputMiBps");
    if (!json_is_integer(jw))
        return sim_fail(ctx, SIM_ERR_InvalidArgumentException, "WarmThroughputMiBps must be specified.");
    if (stream_require_active(ctx, &st) != 0)
        return -1;
    if (strcmp(st.mode, "ON_DEMAND") != 0)
        return sim_fail(ctx, SIM_ERR_InvalidArgumentException,
                        "Warm throughput is only supported for streams in ON_DEMAND mode; stream %s under "
                        "account %s is in %s mode.",
                        st.name, ctx->account_id, st.mode);
    if (warm_allowed(ctx, &st, sim_validate_integer(jw)) != 0)
        return -1;
    int current = st.warm_mibps;
    st.warm_mibps = (int)sim_validate_integer(jw);
    if (mark_updating(ctx, &st) != 0)
        return -1;
    char arn[STREAM_ARN_MAX];
    stream_arn(ctx, st.name, arn);
    *out = json_pack("{s:s, s:s, s:{s:i, s:i}}", "StreamARN", arn, "StreamName", st.name, "WarmThroughput",
                     "TargetMiBps", st.warm_mibps, "CurrentMiBps", current);
    return 0;
}

/* ---- UpdateStreamMode ---- */

int op_update_stream_mode(sim_ctx *ctx, json_t *in, json_t **out)
{
    const char *mode =
        json_string_value(json_object_get(json_object_get(in, "StreamModeDetails"), "StreamMode"));
    json_t *jw = json_object_get(in, "WarmThroughputMiBps");
    if (!json_string_value(json_object_get(in, "StreamARN")))
        return sim_fail(ctx, SIM_ERR_InvalidArgumentException, "StreamARN must be specified.");
    if (!mode || (strcmp(mode, "ON_DEMAND") != 0 && strcmp(mode, "PROVISIONED") != 0))
        return sim_fail(ctx, SIM_ERR_InvalidArgumentException,
                        "StreamModeDetails.StreamMode must be PROVISIONED or ON_DEMAND.");
    store_stream st;
    if (stream_lookup(ctx, in, STREAM_ANY, &st) != 0)
        return -1;
    if (stream_require_active(ctx, &st) != 0)
        return -1;
    if (strcmp(st.mode, mode) == 0)
        return sim_fail(ctx, SIM_ERR_InvalidArgumentException,
                        "Stream %s under account %s is already in %s mode.", st.name, ctx->account_id, mode);
    int on_demand = strcmp(mode, "ON_DEMAND") == 0;
    if (json_is_integer(jw)) {
        if (!on_demand)
            return sim_fail(ctx, SIM_ERR_InvalidArgumentException,
                            "WarmThroughputMiBps can only be specified when the stream mode is updated to "
                            "ON_DEMAND.");
        if (warm_allowed(ctx, &st, sim_validate_integer(jw)) != 0)
            return -1;
    }
    if (on_demand) {
        int64_t count;
        if (on_demand_count(ctx, &count) != 0)
            return -1;
        if (count >= ON_DEMAND_STREAM_LIMIT)
            return sim_fail(ctx, SIM_ERR_LimitExceededException,
                            "Account %s already has %lld streams in ON_DEMAND mode in %s; the limit is %d.",
                            ctx->account_id, (long long)count, ctx->region, ON_DEMAND_STREAM_LIMIT);
    }
    snprintf(st.mode, sizeof st.mode, "%s", mode);
    st.warm_mibps = on_demand && json_is_number(jw) ? (int)sim_validate_integer(jw) : 0;
    if (mark_updating(ctx, &st) != 0)
        return -1;
    *out = json_object();
    return 0;
}

/* ---- UpdateMaxRecordSize ---- */

int op_update_max_record_size(sim_ctx *ctx, json_t *in, json_t **out)
{
    json_t *jk = json_object_get(in, "MaxRecordSizeInKiB");
    store_stream st;
    if (stream_lookup(ctx, in, STREAM_ANY, &st) != 0)
        return -1;
    if (!json_is_number(jk) || sim_validate_integer(jk) < MAX_RECORD_KIB_MIN ||
        sim_validate_integer(jk) > MAX_RECORD_KIB_MAX)
        return sim_fail(ctx, SIM_ERR_InvalidArgumentException,
                        "MaxRecordSizeInKiB must be between %d and %d.", MAX_RECORD_KIB_MIN,
                        MAX_RECORD_KIB_MAX);
    if (stream_require_active(ctx, &st) != 0)
        return -1;
    st.max_record_kib = (int)sim_validate_integer(jk);
    if (mark_updating(ctx, &st) != 0)
        return -1;
    *out = json_object();
    return 0;
}
