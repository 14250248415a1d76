/* endpoint_state.h: what the exclusive cases may change on the whole endpoint (kinesis-sim's
 * simulation clock, /_sim/config and the fault rules), saved before they run (--exclusive) and
 * put back after, so a run leaves the endpoint as it found it. Streams are each case's own and
 * are deleted by the case itself (exec.c). */
#ifndef CF_ENDPOINT_STATE_H
#define CF_ENDPOINT_STATE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "exec.h"

typedef struct cf_endpoint_state {
    int have_clock;    /* GET /_sim/clock answered */
    int virtual_mode;  /* the clock's mode */
    int64_t now_ms;    /* virtual mode: the reading to set back */
    int64_t offset_ms; /* real mode: the offset from wall time to set back */
    json_t *config;    /* GET /_sim/config without its read-only "clock", or NULL */
    json_t *faults;    /* GET /_sim/faults "rules", or NULL */
} cf_endpoint_state;

/* Read the clock, the configuration and the fault rules. Returns the number of parts read (0:
 * the endpoint has no control API, as any endpoint but kinesis-sim). */
int cf_endpoint_state_save(const cf_env *env, cf_endpoint_state *st);

/* Put back what was saved: the clock's mode and offset (or virtual reading), the configuration,
 * and the fault rules (rules added since are deleted, rules removed since are added again).
 * Returns 0, or -1 with what could not be restored in why. */
int cf_endpoint_state_restore(const cf_env *env, const cf_endpoint_state *st, char *why, size_t why_len);

void cf_endpoint_state_clean_up(cf_endpoint_state *st);

#endif
