/* ops/monitoring.c: enhanced monitoring: EnableEnhancedMonitoring and DisableEnhancedMonitoring.
 * The simulator publishes no CloudWatch metrics; it keeps the stream's set of shard-level
 * metrics (a bit mask in the store, names in ops/resources.c) so the answers and DescribeStream's
 * EnhancedMonitoring read as AWS's do. "ALL" stands for the seven metrics; answers always list
 * the metric names. The stream must be ACTIVE (ResourceInUseException otherwise). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops/ops.h"
#include "ops/resources.h"

/* The mask named by ShardLevelMetrics; -1 after sim_fail for an unknown name. */
static int metrics_mask(sim_ctx *ctx, json_t *list, unsigned *mask)
{
    *mask = 0;
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v)
    {
        const char *name = json_string_value(v);
        if (name && strcmp(name, "ALL") == 0) {
            *mask |= SHARD_METRICS_ALL;
            continue;
        }
        unsigned k = 0;
        while (k < SHARD_METRICS_COUNT && (!name || strcmp(name, shard_metric_names[k]) != 0))
            k++;
        if (k == SHARD_METRICS_COUNT)
            return sim_fail(ctx, SIM_ERR_InvalidArgumentException, "Unknown shard-level metric %s.",
                            name ? name : "null");
        *mask |= 1u << k;
    }
    if (json_array_size(list) == 0)
        return sim_fail(ctx, SIM_ERR_InvalidArgumentException,
                        "ShardLevelMetrics must name at least one metric.");
    return 0;
}

static int change_monitoring(sim_ctx *ctx, json_t *in, json_t **out, int enable)
{
    store_stream st;
    if (stream_lookup(ctx, in, STREAM_ANY, &st) != 0)
        return -1;
    unsigned mask;
    if (metrics_mask(ctx, json_object_get(in, "ShardLevelMetrics"), &mask) != 0)
        return -1;
    if (stream_require_active(ctx, &st) != 0)
        return -1;
    unsigned before = st.shard_metrics;
    st.shard_metrics = enable ? (before | mask) : (before & ~mask);
    if (st.shard_metrics != before && store_stream_update(ctx->srv->store, &st) != 0)
        return ops_store_fail(ctx);
    char arn[STREAM_ARN_MAX];
    stream_arn(ctx, st.name, arn);
    *out = json_pack("{s:s, s:s, s:o, s:o}", "StreamName", st.name, "StreamARN", arn,
                     "CurrentShardLevelMetrics", shard_metrics_json(before), "DesiredShardLevelMetrics",
                     shard_metrics_json(st.shard_metrics));
    return 0;
}

int op_enable_enhanced_monitoring(sim_ctx *ctx, json_t *in, json_t **out)
{
    return change_monitoring(ctx, in, out, 1);
}

int op_disable_enhanced_monitoring(sim_ctx *ctx, json_t *in, json_t **out)
{
    return change_monitoring(ctx, in, out, 0);
}
