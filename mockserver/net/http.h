/* http.h: the simulator's front door. It accepts connections itself and picks the protocol per
 * connection: the HTTP/2 client preface ("PRI * HTTP/2.0...") goes to an HTTP/2 session
 * (http2.c, nghttp2), a TLS ClientHello to OpenSSL (tls.c: ALPN picks h2 or http/1.1), anything
 * else to libmicrohttpd (http.c, which hands it the accepted socket). Every path turns a request
 * into a sim_request, hands it to sim_dispatch and sends back the sim_response with
 * x-amzn-RequestId and x-amz-id-2, so nothing past this layer knows the protocol. The response's
 * simulation seams are honoured on every path: delay_ms (a timer, never a blocked loop),
 * drop_connection, and stream (an answer produced over time, SubscribeToShard's event stream).
 *
 * Threads: our HTTP/1.1 thread drives libmicrohttpd (MHD_run); one event-loop thread accepts,
 * detects protocols and runs HTTP/2 sessions and TLS. Both route requests into the same store
 * batches (group commit, server/server.h) and hold the answers until their batch is committed
 * (http.c). They route, and call a stream's producer, only under one dispatch lock, so the router,
 * the store and every handler see one request at a time; sim_http_lock commits an open batch
 * first, so a producer never reads uncommitted state. */
#ifndef SIM_HTTP_H
#define SIM_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "server/sim.h"

typedef struct sim_http sim_http;

/* Listen on srv->cfg.host:port and start serving. With --tls-cert/--tls-key, TLS is served on
 * that same port (detected per connection) and, when cfg.tls_port > 0, on a TLS-only listener
 * there too. NULL and a message in err on failure (address in use,
 * bad address, unreadable certificate...). */
sim_http *sim_http_start(sim_server *srv, char *err, size_t err_len);
/* The port actually bound (the chosen one when cfg.port was 0). */
int sim_http_port(const sim_http *h);
/* The port serving TLS (the --tls-port listener, else the plain port), or -1 when TLS is off. */
int sim_http_tls_port(const sim_http *h);
/* Answer any delayed requests at once, send GOAWAY on HTTP/2 connections, end open event streams,
 * stop serving, free everything. */
void sim_http_stop(sim_http *h);

/* ---- limits against hostile clients ----
 * Every limit is bounded and gives a clear error; the server keeps serving everyone else.
 *   max_connections       open client connections, all protocols together (an HTTP/1.1-over-TLS
 *                         connection counts once). One more is answered "HTTP/1.1 503" with a
 *                         ServiceUnavailable JSON body and closed at once. Default 1000, and never
 *                         more than the process's descriptor limit allows (RLIMIT_NOFILE - 64).
 *   connection_timeout_ms the longest a connection may stay idle or take to send one whole request
 *                         (head and body), counted from its opening or from its previous answer;
 *                         past it the connection (HTTP/1.1) or the stream (HTTP/2, RST_STREAM
 *                         CANCEL; an idle HTTP/2 connection gets GOAWAY) is cut. Waiting for a
 *                         delayed or streaming answer does not count. Default 60000.
 *   max_header_bytes      request head: HTTP/1.1 answers 431 above about this many bytes
 *                         (libmicrohttpd's per-connection memory); HTTP/2 answers 431 to a stream
 *                         whose header list is larger. Default 16384, like common front ends
 *                         (HTTP/1.1 gets 32 KiB more of connection memory for its buffers; that
 *                         memory is zeroed before every request, so it is kept small).
 * They come from the configuration: --max-connections, --connection-timeout-ms and
 * --max-header-bytes (or KINESIS_SIM_MAX_CONNECTIONS, ..._CONNECTION_TIMEOUT_MS, ..._MAX_HEADER_BYTES),
 * checked by config.c; the defaults below apply to a zeroed sim_config. */
#define SIM_HTTP_DEFAULT_MAX_CONNECTIONS 1000
#define SIM_HTTP_DEFAULT_CONNECTION_TIMEOUT_MS 60000
#define SIM_HTTP_DEFAULT_MAX_HEADER_BYTES 16384

typedef struct sim_http_limits {
    int max_connections;
    int64_t connection_timeout_ms;
    size_t max_header_bytes;
} sim_http_limits;

/* Fill out from the configuration (see above). 0, or -1 with a message naming the bad setting. */
int sim_http_limits_get(const sim_config *cfg, sim_http_limits *out, char *err, size_t err_len);
/* The limits a running front door enforces (max_connections already capped by RLIMIT_NOFILE). */
const sim_http_limits *sim_http_limits_of(const sim_http *h);

/* ---- shared by http2.c and tls.c (not for other modules) ---- */

/* An HTTP/2 answer held until the batch that holds its changes commits (group commit:
 * server/server.h). The stream embeds it. */
struct sim_conn;
typedef struct sim_held {
    sim_response *resp;    /* the answer; replaced by the failure answer if the COMMIT fails */
    int codec;             /* the request's codec_kind, for that failure answer */
    struct sim_conn *conn; /* ticked (on the loop thread) once the answer is released */
    int linked;            /* under the dispatch lock: 1 on the held list, 2 released, 0 neither */
    int ready;             /* loop thread: released, the answer may leave now */
    struct sim_held *prev, *next;
} sim_held;
/* Route req inside the open batch, as HTTP/1.1 requests are (assigns req->request_id). Returns 1
 * when the answer is held: once its batch commits, held->ready is set and held->conn ticked, and
 * not before. 0: it may leave now. Event-loop thread only; held->resp, codec and conn set. */
int sim_http_dispatch_batched(sim_http *h, sim_request *req, sim_response *resp, sim_held *held);
/* HTTP/2 sessions count their answers and their writes to the transport (loop thread only); the
 * totals are logged at stop (debug). */
void sim_http_count_h2(sim_http *h, unsigned answers, unsigned writes);
/* The stream of a held answer went away: forget it. Event-loop thread. */
void sim_http_held_drop(sim_http *h, sim_held *held);
/* A fresh x-amzn-RequestId (for answers given without dispatching, e.g. 413). */
void sim_http_request_id(sim_http *h, char *out, size_t out_len);
/* The dispatch lock, for calls into a streaming answer's producer (sim_stream in sim.h). Taking it
 * commits the HTTP/1.1 batch in progress, if any (its held answers are then released). */
void sim_http_lock(sim_http *h);
void sim_http_unlock(sim_http *h);
sim_server *sim_http_server(const sim_http *h);
/* Hand an accepted (or bridged) socket to libmicrohttpd; it owns fd from here on, even on failure.
 * 0 ok, -1 refused. */
int sim_http_hand_off(sim_http *h, int fd, const struct sockaddr *peer, socklen_t peer_len);
/* 1 while the server is stopping (no new delays; streams end). */
int sim_http_stopping(sim_http *h);
/* Append n bytes to a growing request body (*body, *len bytes of *cap), doubling from 4 KiB. 0, or -1
 * when out of memory (the body is unchanged). HTTP/1.1, HTTP/2 and the console port share it. */
int sim_body_append(uint8_t **body, size_t *len, size_t *cap, const void *data, size_t n);
/* Monotonic milliseconds (the front door's timers; not the simulation clock). */
int64_t sim_http_mono_ms(void);

/* The event loop's connections: a connection watches up to two file descriptors and may ask for
 * a tick at due_ms. The loop calls io() when a watched descriptor is ready, tick() once due_ms has
 * passed, stop() once when the server stops, and destroy() after io() or tick() returned -1 (or at
 * the very end). After changing fd[] or want[], call sim_conn_update. */
typedef struct sim_conn sim_conn;
typedef struct sim_conn_ops {
    int (*io)(sim_conn *c, int which, uint32_t events); /* 0 keep, -1 close */
    int (*tick)(sim_conn *c, int64_t now_ms);           /* 0 keep, -1 close */
    void (*stop)(sim_conn *c);                          /* the server stops: GOAWAY, end streams */
    void (*destroy)(sim_conn *c);                       /* close the descriptors, free */
} sim_conn_ops;

struct sim_conn {
    const sim_conn_ops *ops;
    sim_http *h;
    int fd[2];        /* -1 when unused */
    uint32_t want[2]; /* epoll events wanted (EPOLLIN, EPOLLOUT) */
    int64_t due_ms;   /* next tick (monotonic ms), 0 for none */
    /* the loop's own fields */
    uint32_t watching[2];
    int registered[2];
    int dead;    /* destroyed at the end of the loop iteration */
    int counted; /* holds a client connection (max_connections) */
    struct sim_conn *prev, *next;
};

/* Add a connection to the loop (c->ops, c->fd, c->want set); -1 when it cannot be watched. */
int sim_conn_add(sim_http *h, sim_conn *c);
/* Apply changes to want[] (and to a newly set fd[]); -1 when a descriptor cannot be watched. */
int sim_conn_update(sim_conn *c);
/* Stop watching fd[which] (before closing it or giving it away). */
void sim_conn_unwatch(sim_conn *c, int which);

#endif
