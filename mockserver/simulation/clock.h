/* clock.h: the simulation clock. Every time-based rule in the simulator (stream state
 * transitions, iterator and NextToken expiry, retention, arrival timestamps, token buckets)
 * reads time from here, never from the system directly, so tests can run on virtual time. */
#ifndef SIM_CLOCK_H
#define SIM_CLOCK_H

#include <stdint.h>

typedef struct sim_clock sim_clock;

typedef enum { SIM_CLOCK_REAL = 0, SIM_CLOCK_VIRTUAL = 1 } sim_clock_mode;

sim_clock *sim_clock_new(sim_clock_mode mode);
void sim_clock_free(sim_clock *c);
/* Milliseconds since the Unix epoch, as the simulation sees it. */
int64_t sim_clock_now_ms(const sim_clock *c);
sim_clock_mode sim_clock_mode_get(const sim_clock *c);
/* Virtual mode: set the time, or move it forward. Real mode: set/advance add an offset. */
void sim_clock_set_ms(sim_clock *c, int64_t epoch_ms);
void sim_clock_advance_ms(sim_clock *c, int64_t delta_ms);
/* Real mode: the offset added to the system time (0 in virtual mode), and setting it. */
int64_t sim_clock_offset_ms(const sim_clock *c);
void sim_clock_set_offset_ms(sim_clock *c, int64_t offset_ms);
/* Switch modes. To virtual: the clock stops at its current reading. To real: it returns to wall
 * time, whatever offset set/advance had added (so {"mode": "real"} undoes every move). */
void sim_clock_set_mode(sim_clock *c, sim_clock_mode mode);
/* Back to how the clock started: mode, no offset, a virtual clock at the current wall time
 * (POST /_sim/reset). */
void sim_clock_reset(sim_clock *c, sim_clock_mode mode);

#endif
