/* http2.h: HTTP/2 server sessions on nghttp2 (the only file that includes nghttp2.h), for the
 * front door (http.c): cleartext with prior knowledge (h2c, what the AWS SDK for JavaScript v3
 * sends to an http:// endpoint) and, through tls.c, h2 chosen by ALPN.
 *
 * A session turns each HTTP/2 stream into the same sim_request the HTTP/1.1 path builds
 * (:method, :path with its query, :authority as Host, the other headers, the body from DATA
 * frames), routes it inside the open batch with sim_http_dispatch_batched (group commit: an
 * answer that acknowledges changes waits for their COMMIT) and answers it (status, content-type,
 * x-amzn-RequestId, x-amz-id-2, content-length, body). Streams are concurrent; nghttp2 keeps the
 * flow-control windows (bodies are consumed as they arrive). Bodies over --max-body-bytes get 413
 * (at once when content-length says so). delay_ms answers from a timer; drop_connection resets
 * the stream (RST_STREAM INTERNAL_ERROR, the other streams of the connection go on); a streaming
 * answer (sim_stream) is sent as DATA frames as its producer yields bytes. Stopping sends GOAWAY.
 * Everything runs on the front door's event-loop thread. */
#ifndef SIM_HTTP2_H
#define SIM_HTTP2_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "net/http.h"

/* The byte transport under a session: a plain socket or TLS. recv/send return bytes moved (> 0),
 * 0 for end of stream (recv only), H2_IO_AGAIN when it would block, H2_IO_ERROR when broken. */
#define H2_IO_AGAIN (-1)
#define H2_IO_ERROR (-2)
typedef struct h2_io {
    ssize_t (*recv)(void *ud, uint8_t *buf, size_t len);
    ssize_t (*send)(void *ud, const uint8_t *buf, size_t len);
    void *ud;
} h2_io;

typedef struct h2_session h2_session;

/* A server session on the loop's connection conn; it queues our SETTINGS at once. NULL when out
 * of memory. */
h2_session *h2_session_new(sim_http *h, sim_conn *conn, h2_io io);
/* Read what the transport has, process it, write what it takes. 0 keep, -1 close. */
int h2_session_io(h2_session *s);
/* Run due timers (delayed answers, stream polls) and write. 0 keep, -1 close. */
int h2_session_tick(h2_session *s, int64_t now_ms);
/* When the next timer is due (monotonic ms), 0 for none. */
int64_t h2_session_due(const h2_session *s);
/* 1 when output is waiting for the transport to accept it. */
int h2_session_want_write(const h2_session *s);
/* The server stops: answer delayed requests, end streams, send GOAWAY. */
void h2_session_stop(h2_session *s);
void h2_session_free(h2_session *s);

/* A cleartext HTTP/2 connection on an accepted socket whose first bytes are the client preface.
 * Owns fd from here on (closes it on failure). NULL on failure. */
sim_conn *sim_h2_conn_new(sim_http *h, int fd);

#endif
