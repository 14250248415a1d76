/* sim.h: the values every simulator module shares.
 *
 * A request's path (docs/design.md): front door (net/) -> router (dispatch/router.c: codec,
 * auth, validation, simulation checks) -> handler (ops/) -> store (store/).
 * The front door turns whatever protocol it speaks into a sim_request and sends back the
 * sim_response it gets, so nothing past it knows the protocol. Handlers see a sim_ctx and
 * the request body as a Jansson value, and answer with a Jansson value or an error. */
#ifndef SIM_H
#define SIM_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "dispatch/errors.h"
#include "simulation/clock.h"
#include "simulation/simulation_options.h"

#define SIM_NAME_MAX 256

/* ---- configuration (flags and KINESIS_SIM_* environment, parsed in config.c) ---- */
typedef struct sim_config {
    char host[SIM_NAME_MAX];       /* --host, default 127.0.0.1 */
    int port;                      /* --port, default 4567; 0 picks a free port */
    char db_path[4096];            /* --db, default kinesis-sim.db; ":memory:" for none */
    char region[64];               /* --region, default us-east-1 */
    char account_id[16];           /* --account-id, default 000000000000 */
    int64_t create_delay_ms;       /* --create-delay-ms, default 500 */
    int64_t delete_delay_ms;       /* --delete-delay-ms, default 500 */
    int64_t update_delay_ms;       /* --update-delay-ms, default 500 */
    int shard_limit;               /* --shard-limit (per account and region); 0: AWS's default of the
                                      region (config.h sim_config_shard_limit) */
    int log_level;                 /* --log-level: 0 error, 1 warn, 2 info (default), 3 debug */
    size_t max_body_bytes;         /* --max-body-bytes, default 7 MiB (as kinesalite; 413 above) */
    int max_connections;           /* --max-connections, default 1000 (503 above; capped by the fd limit) */
    int64_t connection_timeout_ms; /* --connection-timeout-ms, default 60000 (idle or slow request: cut) */
    size_t max_header_bytes;       /* --max-header-bytes, default 16 KiB (431 above) */
    sim_simulation_options sim;    /* --throttle, --throttle-scale, --control-limits, --max-creating,
                                      --clock, --faults, --seed (simulation_options.h) */
    int auth_mode;                 /* --auth format|strict (SIM_AUTH_FORMAT default; auth.h) */
    char credentials_path[4096];   /* --credentials FILE: keys for --auth strict ("" none; auth.h) */
    char control_token[256];       /* --control-token: X-Sim-Control-Token required by /_sim/ ("" none) */
    char tls_cert[4096];           /* --tls-cert FILE: PEM certificate for TLS ("" none: no TLS) */
    char tls_key[4096];            /* --tls-key FILE: PEM private key for TLS ("" none) */
    int tls_port;                  /* --tls-port N: port of a separate TLS listener (0: none; http.c) */
    int bench_null_answer;         /* --bench-null-answer on: PutRecord gets a fixed answer, unrouted */
    char create_streams[4096];     /* --create-stream NAME[:SHARDS[:MODE]] (repeatable) or
                                      KINESIS_SIM_CREATE_STREAMS=a:2,b:1:ON_DEMAND: "a:2,b:1:ON_DEMAND",
                                      created at start (server/initial_streams.c); "" none */
    int console_port; /* --console-port N: the browser console's listener (-1: none; console.c) */
} sim_config;

/* --auth values (sim_config.auth_mode). */
enum { SIM_AUTH_FORMAT = 0, SIM_AUTH_STRICT = 1 };

/* ---- the protocol-neutral request and response ---- */
typedef struct sim_header {
    char *name;
    char *value;
} sim_header;

typedef struct sim_request {
    const char *method;  /* "POST", "GET", ... */
    const char *path;    /* "/" or "/_sim/..." (no query) */
    const char *query;   /* raw query string without '?', or NULL */
    sim_header *headers; /* as received; names compared case-insensitively */
    size_t n_headers;
    const uint8_t *body;
    size_t body_len;
    char request_id[40]; /* set by the front door; echoed as x-amzn-RequestId */
} sim_request;

/* ---- a streaming answer (SubscribeToShard's event stream; seam designed by the HTTP/2 work) ----
 * A handler that answers over time sets ctx->stream and returns 0; the router answers 200 with
 * the stream's content type and resp->stream set. The front door sends status and headers, then
 * the bytes pull() produces: it calls pull at once, then again every poll_ms (sooner when the
 * client has taken everything), always on one thread at a time under the dispatch lock. close()
 * is called exactly once, under the same lock, when the answer ends for any reason (pull said
 * SIM_STREAM_END, the client went away, the server stops). */
typedef struct sim_stream sim_stream;
typedef enum { SIM_STREAM_MORE = 0, SIM_STREAM_END = 1 } sim_stream_status;
struct sim_stream {
    char content_type[64]; /* e.g. application/vnd.amazon.eventstream */
    int64_t poll_ms;       /* how often to ask for more */
    /* Next bytes: *out malloc'd (NULL and *out_len 0 when there is nothing yet). SIM_STREAM_END:
     * *out holds the last bytes. stopping: the server is stopping, finish now. */
    sim_stream_status (*pull)(sim_stream *s, int stopping, uint8_t **out, size_t *out_len);
    void (*close)(sim_stream *s);
};

#define SIM_RESPONSE_EXTRA_MAX 6
typedef struct sim_response {
    int status;            /* HTTP status */
    char content_type[64]; /* e.g. application/x-amz-json-1.1 */
    uint8_t *body;         /* malloc'd; the front door frees it */
    size_t body_len;
    sim_header extra[SIM_RESPONSE_EXTRA_MAX]; /* additional headers (malloc'd strings): CORS */
    size_t n_extra;
    int no_amz_id2; /* send no x-amz-id-2 (AWS's answer to a CORS preflight has none) */
    /* seams for the simulation layer (faults): the front door acts on these */
    int64_t delay_ms;    /* answer only after this long (connection suspended, loop not blocked) */
    int drop_connection; /* close without answering */
    sim_stream *stream;  /* a streaming answer (the body is empty); the front door owns it */
    char log_note[320];  /* " stream NAME error CODE" for the front door's debug line (router.c) */
} sim_response;

/* Case-insensitive header lookup; NULL when absent. */
const char *sim_request_header(const sim_request *req, const char *name);

/* ---- the server: everything a request needs, created once at start ---- */
struct store;
typedef struct sim_server {
    sim_config cfg;
    struct store *store;
    sim_clock *clock;
    uint8_t iterator_key[32]; /* authenticates shard iterators; kept in the store so they survive restarts */
    uint64_t request_counter;
    void *model;                         /* validation model (validate.h), opaque here */
    void *sim;                           /* simulation state (throttle, faults); opaque here */
    struct sim_credentials *credentials; /* --auth strict: the known keys (auth.h); NULL otherwise */
    sim_config cfg_at_start; /* the configuration as started (sim_server_init): POST /_sim/reset returns
                                the clock and PUT /_sim/config's settings to it */
    /* sim_server_background: the deleted streams' records removed since the work began, and when */
    int64_t purged;
    int64_t purge_started_ms; /* monotonic; 0: no work under way */
} sim_server;

/* Route one request to its answer. Never fails: every problem becomes an AWS-style error answer. */
void sim_dispatch(sim_server *srv, const sim_request *req, sim_response *resp);

/* ---- handler context ---- */
#define SIM_ERR_MSG_MAX 65536
struct sim_op;
typedef struct sim_ctx {
    sim_server *srv;
    const sim_request *req;
    const char *op;              /* operation name, e.g. "PutRecord" */
    const struct sim_op *op_def; /* its row of the operation table (dispatch/router.h); NULL
                                    outside an operation (a batch commit, a delivery poll) */
    char account_id[16];         /* the caller's account (default: cfg.account_id) */
    char region[64];             /* the caller's region (default: cfg.region) */
    int64_t now_ms;              /* simulation time when the request arrived */
    sim_stream *stream;          /* set by a handler that answers with a stream (SubscribeToShard) */
    /* set by sim_fail */
    sim_error_code err;
    int err_set;
    char err_msg[SIM_ERR_MSG_MAX]; /* large enough for 10 validation errors quoting long values: the
                                      router allocates its sim_ctx on the heap, once per request */
} sim_ctx;

/* A handler validates semantics, reads and writes the store and builds the answer. It runs inside
 * the request's store transaction, which the router opens and ends around it (sim_op_run).
 * Returns 0 with *out set (may be an empty object), or -1 after sim_fail(). */
typedef int (*sim_handler)(sim_ctx *ctx, json_t *in, json_t **out);

/* One operation: its row of the router's table, the one list of operations and their properties
 * (dispatch/router.c). */
typedef struct sim_op {
    const char *name;    /* "PutRecord" */
    sim_handler handler; /* NULL: not implemented yet (400 UnknownOperationException saying so) */
    double control_tps;  /* AWS's control-plane limit in calls per second; 0: none */
    unsigned flags;      /* SIM_OP_* */
} sim_op;
enum {
    /* control_tps counts per stream (otherwise per account and region) */
    SIM_OP_RATE_PER_STREAM = 1u << 0,
    /* the stream and shard are known only from the request's shard iterator (GetRecords): fault
     * rules of the request point wait for the handler to decode it */
    SIM_OP_STREAM_FROM_ITERATOR = 1u << 1,
    /* the model gives it no output: success is 200 with an empty body (the API reference: "an HTTP 200
     * response with an empty HTTP body"; kinesalite's recorded tests: body '') */
    SIM_OP_NO_OUTPUT = 1u << 2,
};

/* Record an error for the answer; returns -1 so handlers can `return sim_fail(...)`. */
int sim_fail(sim_ctx *ctx, sim_error_code err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* ---- logging (log.c) ---- */
enum { SIM_LOG_ERROR = 0, SIM_LOG_WARN = 1, SIM_LOG_INFO = 2, SIM_LOG_DEBUG = 3 };
void sim_log_set_level(int level);
void sim_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
