/* initial_streams.h: the streams kinesis-sim creates at start (--create-stream NAME[:SHARDS[:MODE]],
 * KINESIS_SIM_CREATE_STREAMS=a:2,b:1:ON_DEMAND), as kinesis-mock's INITIALIZE_STREAMS offers: a
 * test or a compose file gets its streams without a client racing the start. */
#ifndef SIM_INITIAL_STREAMS_H
#define SIM_INITIAL_STREAMS_H

#include <stddef.h>

#include "server/sim.h"

/* Create every stream of srv->cfg.create_streams in the default account and region, ACTIVE at
 * once, through CreateStream's own handler (same checks, same shards). A stream that already
 * exists (a file database from an earlier run) is left as it is. Call after the store, the clock
 * and the simulation layer are up, before the listening line. 0, or -1 with the reason in err. */
int sim_create_initial_streams(sim_server *srv, char *err, size_t err_len);

#endif
