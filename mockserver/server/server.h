/* server.h: the simulator as one value. sim_server_init builds everything a request needs from a
 * configuration (store and server key, API model, clock, simulation, credentials) for main.c, the
 * handler-level fixtures and the unit tests alike; sim_server_clean_up takes it apart.
 *
 * It also owns group commit (docs/design.md, "Group commit"): requests run inside one open store
 * batch, an answer that acknowledges or has read uncommitted changes is held, and one COMMIT
 * releases them all. The front doors (net/) only decide when to commit: at the end of a pass over
 * ready connections, when too many answers wait, or before anything else takes the dispatch
 * lock; they call these functions under that lock. */
#ifndef SIM_SERVER_H
#define SIM_SERVER_H

#include <stddef.h>

#include "server/sim.h"

/* What sim_server_init returns; main.c's exit code for each. */
enum {
    SIM_SERVER_OK = 0,
    SIM_SERVER_START_FAILED = 1, /* the database, the server key or the API model */
    SIM_SERVER_BAD_CONFIG = 2,   /* a faults file or a credentials file */
};

/* Build srv (zeroed first) from cfg. err gets one line naming what failed and why, and whatever
 * was built is taken apart again. */
int sim_server_init(sim_server *srv, const sim_config *cfg, char *err, size_t err_len);
/* Take apart what sim_server_init built (any part may be missing); srv is zeroed. */
void sim_server_clean_up(sim_server *srv);

/* ---- group commit ---- */

/* Route req inside the open batch, opening one when none is (without one, each request commits on
 * its own). Returns 1 when the answer must be held until sim_server_commit: the request changed
 * the store, or read what an earlier request of the batch changed. 0: it may leave now. */
int sim_server_dispatch(sim_server *srv, const sim_request *req, sim_response *resp);

/* Commit the open batch, if any. 0: committed, or there was nothing to commit. -1: the COMMIT
 * failed and nothing of the batch is stored; *err and msg then hold the answer every held request
 * gets instead of its own (sim_server_store_failure: what a failed commit of one request gets). */
int sim_server_commit(sim_server *srv, sim_error_code *err, char *msg, size_t msg_len);

/* Records of deleted streams removed per background pass (store_purge_step): a pass takes a
 * millisecond or two, which is what a request may wait for it (4,096 was tried: a fifth faster to
 * empty a stream, passes four times as long; docs/performance.md). */
#define SIM_PURGE_BATCH_ROWS 1024

/* Background work, between batches (no batch open): one bounded pass of deleting the records of
 * deleted streams. Returns 1 when there is more (the caller should come back soon), 0 when not. */
int sim_server_background(sim_server *srv);

/* The answer to a store failure in `op` (the store's last error): InternalFailureException, or
 * ServiceUnavailable when another process holds the database, with a message saying that the
 * request had no effect. Logs the store's error once. */
sim_error_code sim_server_store_failure(sim_server *srv, const char *op, char *msg, size_t msg_len);

#endif
