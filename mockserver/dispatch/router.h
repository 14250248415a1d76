/* router.h: sim_dispatch (declared in sim.h) and the pieces of it others reuse: the table of
 * operations ("Kinesis_20131202.<Operation>" -> handler) and helpers that fill a sim_response.
 * The router does every generic check once, in AWS's order (router.c says which and why), then
 * runs the handler and encodes its answer. */
#ifndef SIM_ROUTER_H
#define SIM_ROUTER_H

#include <stddef.h>

#include "server/sim.h"
#include "wire/codec.h"

#define SIM_TARGET_PREFIX "Kinesis_20131202"
/* The header that carries --control-token on /_sim/ requests. */
#define SIM_CONTROL_TOKEN_HEADER "X-Sim-Control-Token"

/* The operation table (sim_op, server/sim.h): every operation of the API model, in its order. */
size_t sim_router_op_count(void);
const sim_op *sim_router_op(size_t i);
/* Find an operation by exact name; NULL when the API has no such operation. */
const sim_op *sim_router_lookup(const char *name);
/* Run op's handler inside the request's store transaction: commit when it succeeds, roll back
 * when it fails. Returns 0 with *out set, or -1 with the error in ctx (a failed commit is an
 * InternalFailure). The router's step 9, and what handler-level tests call. */
int sim_op_run(sim_ctx *ctx, const sim_op *op, json_t *in, json_t **out);

/* Fill resp with an AWS error answer in codec k. status 0 takes the status from errors.h.
 * msg NULL sends no message member (as AWS does for some errors); so does an empty message of a
 * SerializationException (validate.c's bare SerializationException). */
void sim_response_error(sim_response *resp, codec_kind k, sim_error_code code, int status, const char *msg);
/* Fill resp with a 200 answer carrying v (NULL: "{}"), operation op's output, in codec k. */
void sim_response_ok(sim_response *resp, codec_kind k, const char *op, const json_t *v);
/* Free what a filled response owns (body, extra headers) and zero it. */
void sim_response_clean_up(sim_response *resp);

#endif
