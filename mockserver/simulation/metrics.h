/* metrics.h: the simulator's counters, shown by GET /_sim/metrics in the Prometheus text
 * exposition format (version 0.0.4). simulation.c feeds them from the request hooks; nothing
 * else needs to. Names (all prefixed kinesis_sim_):
 *   requests_total{operation,outcome}   outcome = "ok" or the error name (__type)
 *   records_stored_total, bytes_stored_total   (records acknowledged by PutRecord(s))
 *   throttled_total{kind}              kind = write, read, iterator, control, creating
 *   faults_fired_total{rule,effect}
 *   request_duration_seconds           histogram: handling time plus injected latency */
#ifndef SIM_METRICS_H
#define SIM_METRICS_H

#include <stddef.h>
#include <stdint.h>

typedef struct sim_metrics sim_metrics;

sim_metrics *sim_metrics_new(void);
void sim_metrics_free(sim_metrics *m);
void sim_metrics_reset(sim_metrics *m);

void sim_metrics_request(sim_metrics *m, const char *operation, const char *outcome);
void sim_metrics_stored(sim_metrics *m, uint64_t records, uint64_t bytes);
void sim_metrics_throttled(sim_metrics *m, const char *kind);
void sim_metrics_fault(sim_metrics *m, uint64_t rule_id, const char *effect);
void sim_metrics_duration(sim_metrics *m, double seconds);

/* Lookups for tests and the control API (0 when never counted). */
uint64_t sim_metrics_requests(const sim_metrics *m, const char *operation, const char *outcome);
uint64_t sim_metrics_throttled_count(const sim_metrics *m, const char *kind);
uint64_t sim_metrics_records_stored(const sim_metrics *m);
uint64_t sim_metrics_bytes_stored(const sim_metrics *m);
uint64_t sim_metrics_faults_fired(const sim_metrics *m, uint64_t rule_id);

/* The Prometheus text; malloc'd, NUL-terminated, *len set; NULL on allocation failure. */
char *sim_metrics_render(const sim_metrics *m, size_t *len);

#endif
