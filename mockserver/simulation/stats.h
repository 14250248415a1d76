/* stats.h: the rolling window behind GET /_sim/stats (issue 18; README "The control API"): per
 * shard, what was written, read and throttled in each interval of the last minute.
 *
 * Nothing here runs on the request path. The shards' cumulative counters live beside their token
 * buckets (throttle.h, sim_shard_counters); a sample is taken only when a page asks
 * (sim_stats_json), at most one per SIM_STATS_MIN_INTERVAL_MS, and stores each shard's difference
 * from the previous sample. With throttling off the request path counts only while
 * sim_stats_watching says a page asked within the window, so a simulator nobody watches pays nothing
 * (simulation.c). A gap longer than the window starts over: the next sample is a baseline. */
#ifndef SIM_STATS_H
#define SIM_STATS_H

#include <jansson.h>
#include <stdint.h>

#include "simulation/throttle.h"

#define SIM_STATS_WINDOW_MS 60000
#define SIM_STATS_MIN_INTERVAL_MS 250
#define SIM_STATS_CAP 240 /* samples kept: the window at the fastest sampling */

typedef struct sim_stats sim_stats;

/* The window over the shards of t (it keeps its per-shard data in t's slots). NULL when out of memory. */
sim_stats *sim_stats_new(sim_throttle *t);
void sim_stats_free(sim_stats *s);

/* 1 while a page asked within the last SIM_STATS_WINDOW_MS (mono_ms: CLOCK_MONOTONIC milliseconds). */
int sim_stats_watching(const sim_stats *s, int64_t mono_ms);

/* Take a sample when due, then answer the samples taken after since_ms (wall-clock milliseconds; 0
 * for the whole window):
 *   {"now_ms", "window_ms", "t": [wall ms of each sample], "interval_ms": [...],
 *    "shards": [{"account_id", "region", "stream", "stream_created_ms", "shard_id",
 *                "totals": {records_in, bytes_in, records_out, bytes_out, get_records, throttled_write,
 *                           throttled_read},
 *                "records_in": [count per interval, aligned with "t"], "bytes_in": [...], "records_out",
 *                "bytes_out", "get_records", "throttled_write", "throttled_read"}]}
 * Counts are per interval (a rate is count * 1000 / interval_ms). NULL when out of memory. */
json_t *sim_stats_json(sim_stats *s, int64_t since_ms, int64_t mono_ms, int64_t wall_ms);

#endif
