/* ops.h: the operation handlers, one file per group (ops/streams.c, ops/shards.c,
 * ops/records.c, ops/iterators.c, ops/tags.c, ops/consumers.c, ops/encryption.c, ops/monitoring.c,
 * ops/limits.c, ops/policies.c). The router's table (router.c) maps
 * "Kinesis_20131202.<Operation>" to these. A handler runs after the generic checks
 * (known operation, body parses, model validation, auth) have passed. */
#ifndef SIM_OPS_H
#define SIM_OPS_H

#include "server/sim.h"

/* streams (ops/streams.c) */
int op_create_stream(sim_ctx *ctx, json_t *in, json_t **out);
int op_delete_stream(sim_ctx *ctx, json_t *in, json_t **out);
int op_describe_stream(sim_ctx *ctx, json_t *in, json_t **out);
int op_describe_stream_summary(sim_ctx *ctx, json_t *in, json_t **out);
int op_list_streams(sim_ctx *ctx, json_t *in, json_t **out);
int op_increase_stream_retention_period(sim_ctx *ctx, json_t *in, json_t **out);
int op_decrease_stream_retention_period(sim_ctx *ctx, json_t *in, json_t **out);
/* tags (ops/tags.c) */
int op_add_tags_to_stream(sim_ctx *ctx, json_t *in, json_t **out);
int op_list_tags_for_stream(sim_ctx *ctx, json_t *in, json_t **out);
int op_remove_tags_from_stream(sim_ctx *ctx, json_t *in, json_t **out);
int op_tag_resource(sim_ctx *ctx, json_t *in, json_t **out);
int op_untag_resource(sim_ctx *ctx, json_t *in, json_t **out);
int op_list_tags_for_resource(sim_ctx *ctx, json_t *in, json_t **out);
/* shards and resharding (ops/shards.c) */
int op_list_shards(sim_ctx *ctx, json_t *in, json_t **out);
int op_split_shard(sim_ctx *ctx, json_t *in, json_t **out);
int op_merge_shards(sim_ctx *ctx, json_t *in, json_t **out);
int op_update_shard_count(sim_ctx *ctx, json_t *in, json_t **out);
/* records (ops/records.c) */
int op_put_record(sim_ctx *ctx, json_t *in, json_t **out);
int op_put_records(sim_ctx *ctx, json_t *in, json_t **out);
int op_get_records(sim_ctx *ctx, json_t *in, json_t **out);
/* iterators (ops/iterators.c) */
int op_get_shard_iterator(sim_ctx *ctx, json_t *in, json_t **out);
/* enhanced fan-out consumers (ops/consumers.c) */
int op_register_stream_consumer(sim_ctx *ctx, json_t *in, json_t **out);
int op_deregister_stream_consumer(sim_ctx *ctx, json_t *in, json_t **out);
int op_describe_stream_consumer(sim_ctx *ctx, json_t *in, json_t **out);
int op_list_stream_consumers(sim_ctx *ctx, json_t *in, json_t **out);
/* server-side encryption (ops/encryption.c) */
int op_start_stream_encryption(sim_ctx *ctx, json_t *in, json_t **out);
int op_stop_stream_encryption(sim_ctx *ctx, json_t *in, json_t **out);
/* enhanced monitoring (ops/monitoring.c) */
int op_enable_enhanced_monitoring(sim_ctx *ctx, json_t *in, json_t **out);
int op_disable_enhanced_monitoring(sim_ctx *ctx, json_t *in, json_t **out);
/* limits, account settings and stream capacity (ops/limits.c) */
int op_describe_limits(sim_ctx *ctx, json_t *in, json_t **out);
int op_describe_account_settings(sim_ctx *ctx, json_t *in, json_t **out);
int op_update_account_settings(sim_ctx *ctx, json_t *in, json_t **out);
int op_update_stream_mode(sim_ctx *ctx, json_t *in, json_t **out);
int op_update_max_record_size(sim_ctx *ctx, json_t *in, json_t **out);
int op_update_stream_warm_throughput(sim_ctx *ctx, json_t *in, json_t **out);
/* resource policies (ops/policies.c) */
int op_put_resource_policy(sim_ctx *ctx, json_t *in, json_t **out);
int op_get_resource_policy(sim_ctx *ctx, json_t *in, json_t **out);
int op_delete_resource_policy(sim_ctx *ctx, json_t *in, json_t **out);

/* enhanced fan-out delivery (ops/subscribe.c) */
int op_subscribe_to_shard(sim_ctx *ctx, json_t *in, json_t **out);

#endif
