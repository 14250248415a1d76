/* simulation.h: the simulation layer's glue (docs/design.md, "A request's path"): the options the
 * flags set, the state hung on sim_server.sim, and the hooks the router and the handlers call.
 * It ties together throttle.c (token buckets), faults.c (fault rules) and metrics.c (counters);
 * control.c exposes all of it under /_sim/.
 *
 * Every hook takes the handler context and finds the state at ctx->srv->sim; when that is NULL
 * (unit tests of handlers, or a server built without simulation) every hook does nothing and
 * allows everything. The server is single-threaded: the state of the request in progress lives
 * in the simulation object between sim_sim_before_op and sim_sim_after_op.
 *
 * Where the calls go (router.c and the handlers):
 *   router, after the generic checks passed, before the handler:
 *       rc = sim_sim_before_op(ctx, in, resp);
 *       SIM_HOOK_DROP  -> send nothing (resp->drop_connection is set), skip the handler
 *       SIM_HOOK_ERROR -> answer the error in ctx (sim_fail was called), skip the handler
 *   router, once the answer (success or any error, including failed generic checks) is encoded
 *   in resp, just before returning it to the front door (keep delay_ms / drop_connection):
 *       sim_sim_after_op(ctx, resp);
 *   PutRecord: after semantic checks, with the record's shard known, before storing:
 *       if (sim_sim_write_record(ctx, &ref, shard, pkey, data_len + pkey_len, 0, NULL) != 0)
 *           return -1;
 *   PutRecords: for each entry in order (after every entry passed the semantic checks):
 *       rc = sim_sim_write_record(ctx, &ref, shard, pkey, bytes, 1, &res);
 *       0 -> store the entry; 1 -> answer {ErrorCode: res.code name, ErrorMessage: res.message},
 *       count it in FailedRecordCount, do not store it; -1 -> fail the whole request (return -1).
 *   GetRecords: after decoding the iterator (shard known), before reading:
 *       if (sim_sim_read_begin(ctx, &ref, shard) != 0) return -1;
 *     and once the answer's records are chosen: sim_sim_read_end(ctx, &ref, shard, records, bytes)
 *     (records returned, and their data + partition key bytes).
 *   GetShardIterator: after resolving the shard: if (sim_sim_iterator(ctx, &ref, shard)) return -1;
 *   CreateStream: with the number of this account+region's streams now CREATING (or DELETING):
 *       if (sim_sim_check_creating(ctx, n)) return -1;
 *   DeleteStream (once gone) and /_sim/reset: sim_sim_stream_gone(ctx, &ref) (optional; frees
 *   buckets). */
#ifndef SIM_SIMULATION_H
#define SIM_SIMULATION_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "dispatch/errors.h"
#include "server/sim.h"
#include "simulation/clock.h"
#include "simulation/faults.h"
#include "simulation/metrics.h"
#include "simulation/simulation_options.h"
#include "simulation/stats.h"
#include "simulation/throttle.h"

/* ---- the simulation state ---- */
typedef struct sim_simulation sim_simulation;

/* Builds throttle, faults (loading opt->faults_path when set) and metrics. NULL with a message
 * on failure (e.g. a bad faults file: main should print it and exit 2). The clock is the
 * server's (create it with sim_clock_new(opt->clock)). */
sim_simulation *sim_simulation_new(const sim_simulation_options *opt, char *err, size_t err_len);
void sim_simulation_free(sim_simulation *s);

const sim_simulation_options *sim_simulation_get_options(const sim_simulation *s);
sim_faults *sim_simulation_faults(sim_simulation *s);
sim_metrics *sim_simulation_metrics(sim_simulation *s);
sim_throttle *sim_simulation_throttle(sim_simulation *s);
/* The per-shard rolling window of GET /_sim/stats (stats.h). */
sim_stats *sim_simulation_stats(sim_simulation *s);
void sim_simulation_set_throttle(sim_simulation *s, sim_throttle_mode mode, double scale);
void sim_simulation_set_control_limits(sim_simulation *s, int on, int max_creating);
void sim_simulation_set_seed(sim_simulation *s, uint64_t seed);
/* Forget all token buckets (after /_sim/reset of all data). */
void sim_simulation_reset_buckets(sim_simulation *s);

/* ---- hooks ---- */
typedef enum { SIM_HOOK_PROCEED = 0, SIM_HOOK_ERROR = -1, SIM_HOOK_DROP = 1 } sim_hook_result;

/* The stream a data-plane hook is about, as the handler resolved it. */
typedef struct sim_stream_ref {
    const char *name;   /* StreamName */
    int64_t created_ms; /* creation time: a re-created stream gets fresh buckets */
    int on_demand;      /* StreamMode ON_DEMAND: adds the stream-wide budget */
} sim_stream_ref;

/* A failed PutRecords entry. */
typedef struct sim_entry_result {
    sim_error_code code; /* ProvisionedThroughputExceededException or InternalFailure */
    char message[512];
} sim_entry_result;

int sim_sim_before_op(sim_ctx *ctx, const json_t *in, sim_response *resp);
void sim_sim_after_op(sim_ctx *ctx, sim_response *resp);
/* batch = 0 (PutRecord): returns 0 or -1 (sim_fail called). batch = 1 (PutRecords entry):
 * returns 0, 1 (entry failed, *res filled) or -1 (whole request fails, sim_fail called). */
int sim_sim_write_record(sim_ctx *ctx, const sim_stream_ref *st, uint32_t shard, const char *partition_key,
                         size_t bytes, int batch, sim_entry_result *res);
int sim_sim_read_begin(sim_ctx *ctx, const sim_stream_ref *st, uint32_t shard);
void sim_sim_read_end(sim_ctx *ctx, const sim_stream_ref *st, uint32_t shard, uint64_t records, size_t bytes);
int sim_sim_iterator(sim_ctx *ctx, const sim_stream_ref *st, uint32_t shard);
int sim_sim_check_creating(sim_ctx *ctx, int streams_creating);
void sim_sim_stream_gone(sim_ctx *ctx, const sim_stream_ref *st);

#endif
