/* wire_h2.h: a blocking Kinesis call over HTTP/2 (cleartext with prior knowledge, as the AWS SDK
 * for JavaScript v3 speaks to an http:// endpoint), one stream at a time on one connection, on
 * nghttp2: for the crash-durability test's HTTP/2 writers. Loopback only. */
#ifndef BENCH_WIRE_H2_H
#define BENCH_WIRE_H2_H

#include <jansson.h>
#include <stddef.h>

typedef struct wire_h2 wire_h2;

/* Connect to host:port (numeric IPv4) and open an HTTP/2 session. NULL with a message in err. */
wire_h2 *wire_h2_connect(const char *host, int port, int timeout_ms, char *err, size_t err_len);
void wire_h2_close(wire_h2 *c);

/* Call a Kinesis operation with a JSON body (the same fixed, well-formed SigV4 headers as wire.h).
 * Returns the parsed answer (any status; NULL when it is not JSON) and sets *status; -1 status on
 * a transport error, a reset stream or a time-out (message in err). */
json_t *wire_h2_kinesis(wire_h2 *c, const char *op, json_t *body, int timeout_ms, int *status, char *err,
                        size_t err_len);

#endif
