/* ops_fixture.h: a handler-level test fixture for the store and operation tests
 * (test_store.c, test_ops_*.c): a sim_server over an in-memory (or file) store, a virtual
 * clock, a server key, and helpers that call an op_* handler with a JSON text and check its
 * answer or its exact error. No HTTP involved. */
#ifndef OPS_FIXTURE_H
#define OPS_FIXTURE_H

#include <jansson.h>

#include "ops/ops.h"
#include "server/sim.h"
#include "store/store.h"

#define FX_ACCOUNT "123456789012"
#define FX_REGION "us-east-1"
#define FX_T0_MS INT64_C(1700000000000)

typedef struct fx {
    sim_server srv;
    sim_ctx ctx;
} fx;

/* The configuration every unit test's server starts from: the defaults, an in-memory database,
 * this account, region FX_REGION and a virtual clock. */
void fx_config(sim_config *c, const char *account);
/* sim_server_init with c, or fail the test. */
void fx_server(sim_server *srv, const sim_config *c);

/* Open a server over db_path (":memory:" for none) with delays of 500 ms and a virtual clock at FX_T0_MS. */
void fx_init(fx *f, const char *db_path);
void fx_fini(fx *f);
/* Move the virtual clock forward (the context's now follows). */
void fx_advance(fx *f, int64_t ms);
/* Call a handler with a JSON text (printf-style); returns the answer (caller decrefs) or NULL on error
 * (the error is then in f->ctx.err / err_msg). */
json_t *fx_call(fx *f, sim_handler h, const char *op, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Call and require an error of this type; returns the message (valid until the next call). */
const char *fx_error(fx *f, sim_handler h, const char *op, sim_error_code want, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* Create an ACTIVE stream with n shards (advances the clock past the create delay). */
void fx_stream(fx *f, const char *name, int shards);
/* PutRecord; returns the SequenceNumber (malloc'd) and the shard id into shard (24 bytes) if not NULL. */
char *fx_put(fx *f, const char *stream, const char *pkey, const char *data_b64, char *shard);
/* GetShardIterator of a type (malloc'd iterator). */
char *fx_iterator(fx *f, const char *stream, const char *shard, const char *type);

#endif
