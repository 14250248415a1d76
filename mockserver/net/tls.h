/* tls.h: TLS for the front door (OpenSSL; the only file that includes openssl/ssl.h).
 * A TLS connection is accepted on --tls-port (or detected on the plain port by its first byte,
 * 0x16, a handshake record). The handshake runs non-blocking on the front door's event loop; ALPN
 * then picks the protocol: "h2" gets an HTTP/2 session (http2.c) reading and writing through TLS,
 * "http/1.1" (or no ALPN) is bridged to libmicrohttpd through a socketpair: the loop decrypts
 * into one end and MHD serves the other end exactly like a plain connection. So both protocols
 * over TLS reuse the cleartext code paths unchanged, and libmicrohttpd needs no TLS of its own
 * (Debian builds it against GnuTLS; this keeps one TLS library). */
#ifndef SIM_TLS_H
#define SIM_TLS_H

#include <stddef.h>

#include "net/http.h"

typedef struct sim_tls_ctx sim_tls_ctx;

/* Load a PEM certificate chain and private key; TLS 1.2 and later; ALPN h2 and http/1.1.
 * NULL and a message naming the file in err on failure. */
sim_tls_ctx *sim_tls_ctx_new(const char *cert_file, const char *key_file, char *err, size_t err_len);
void sim_tls_ctx_free(sim_tls_ctx *t);

/* A TLS connection on an accepted, non-blocking socket; owns fd from here on (closes it on
 * failure). NULL on failure. */
sim_conn *sim_tls_conn_new(sim_http *h, sim_tls_ctx *t, int fd);

#endif
