/* control.h: the test-only control API under /_sim/ (like redis's DEBUG): health, reset,
 * clock, faults, config, metrics. Served on the same port, outside AWS's `POST /` space. */
#ifndef SIM_CONTROL_H
#define SIM_CONTROL_H

#include "server/sim.h"

/* Answer a request whose path starts with "/_sim/". Always fills resp (404 JSON for unknown paths). */
void sim_control_dispatch(sim_server *srv, const sim_request *req, sim_response *resp);

#endif
