/* wire.h: the small piece of Kinesis-over-HTTP/1.1 that the load generator (ci/bench/loadgen.c)
 * and the crash-durability test (tests/durability/crash_test.c) share: building request bytes
 * with a fixed, well-formed SigV4 Authorization header (the simulator checks presence and format
 * by default), an incremental HTTP/1.1 response parser that frames answers by Content-Length,
 * and a blocking call over one keep-alive connection for setup and read-back (JSON via Jansson).
 * Everything here talks to loopback only. */
#ifndef BENCH_WIRE_H
#define BENCH_WIRE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* Largest response head and body the parser accepts. */
#define WIRE_MAX_HEAD ((size_t)64 * 1024)
#define WIRE_MAX_BODY ((size_t)256 * 1024 * 1024)

/* ---- response framing ---- */
typedef struct wire_resp {
    int status;      /* HTTP status code */
    size_t head_len; /* bytes of status line + headers + the blank line */
    size_t body_len; /* from Content-Length */
    int conn_close;  /* the server said Connection: close (or HTTP/1.0 without keep-alive) */
} wire_resp;

/* Parse the response at the start of buf[0..len). Returns 1 when a whole response
 * (head_len + body_len bytes) is present, 0 when more bytes are needed, -1 when the bytes
 * are not an HTTP/1.x response this parser accepts (message in err). Responses without a
 * Content-Length (chunked, or close-delimited) are rejected. */
int wire_parse_response(const char *buf, size_t len, wire_resp *out, char *err, size_t err_len);

/* ---- request bytes ---- */
/* Build a complete HTTP/1.1 request (malloc'd, *out_len bytes, not NUL-terminated).
 * target: the operation for X-Amz-Target (e.g. "PutRecord"), or NULL for a plain request
 * (then no Kinesis headers are added). host_port is "127.0.0.1:4567". Returns NULL on OOM. */
char *wire_build_request(const char *method, const char *path, const char *host_port, const char *target,
                         const char *body, size_t body_len, size_t *out_len);

/* The fixed Authorization value the requests carry, and its X-Amz-Date (wire_h2.c sends them too). */
const char *wire_auth(const char **amz_date);

/* ---- blocking connection (setup, read-back, probes) ---- */
typedef struct wire_conn {
    int fd;
    char host[64];
    int port;
    char host_port[80];
    char *buf; /* receive buffer */
    size_t len, cap;
} wire_conn;

/* Connect to host:port (numeric IPv4). Returns 0, or -1 with a message in err. */
int wire_connect(wire_conn *c, const char *host, int port, int timeout_ms, char *err, size_t err_len);
void wire_close(wire_conn *c);

/* Send req (req_len bytes) and read one whole response within timeout_ms. On success returns
 * 0 and sets *status, and *body to a malloc'd NUL-terminated copy of the body (caller frees).
 * Reconnects once if the connection was closed by the server before the request was sent.
 * Returns -1 with a message in err on any transport or framing error. */
int wire_roundtrip(wire_conn *c, const char *req, size_t req_len, int timeout_ms, int *status, char **body,
                   size_t *body_len, char *err, size_t err_len);

/* Call a Kinesis operation with a JSON body. Returns the parsed answer (any status; NULL when
 * the body is not JSON) and sets *status; -1 status on transport error (message in err). */
json_t *wire_kinesis(wire_conn *c, const char *op, json_t *body, int timeout_ms, int *status, char *err,
                     size_t err_len);

/* Create a stream (ignoring ResourceInUse) and wait until it is ACTIVE, at most timeout_ms.
 * Returns 0, or -1 with a message. */
int wire_ensure_stream(wire_conn *c, const char *stream, int shards, int timeout_ms, char *err,
                       size_t err_len);

/* First occurrence of needle[0..nl) in hay[0..hl), or NULL (memmem without _GNU_SOURCE). */
const char *wire_find(const char *hay, size_t hl, const char *needle, size_t nl);

/* Monotonic clock in microseconds. */
int64_t wire_now_us(void);

#endif
