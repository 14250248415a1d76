/* tls.c: TLS termination for the front door (see tls.h): the OpenSSL context with ALPN, the
 * non-blocking handshake, and after it either an HTTP/2 session over TLS or the byte pump that
 * bridges HTTP/1.1 over TLS to libmicrohttpd through a socketpair. */
#include "net/tls.h"

#include <errno.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/http2.h"

#define HANDSHAKE_TIMEOUT_MS 10000
#define PUMP_BUF 16384
#define PUMP_ROUNDS 64 /* bounded work per wake-up */

struct sim_tls_ctx {
    SSL_CTX *ctx;
};

/* Our ALPN preference, in wire form (length-prefixed). */
static const unsigned char ALPN_PROTOS[] = "\x02h2\x08http/1.1";

static int alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen, const unsigned char *in,
                       unsigned int inlen, void *arg)
{
    (void)ssl;
    (void)arg;
    unsigned char *sel = NULL;
    unsigned char sel_len = 0;
    if (SSL_select_next_proto(&sel, &sel_len, ALPN_PROTOS, sizeof ALPN_PROTOS - 1, in, inlen) !=
        OPENSSL_NPN_NEGOTIATED)
        return SSL_TLSEXT_ERR_NOACK; /* nothing in common: no ALPN, HTTP/1.1 */
    *out = sel;
    *outlen = sel_len;
    return SSL_TLSEXT_ERR_OK;
}

static void ssl_error_text(char *out, size_t len)
{
    unsigned long e = ERR_get_error();
    if (e)
        ERR_error_string_n(e, out, len);
    else
        snprintf(out, len, "%s", errno ? strerror(errno) : "unknown error");
    ERR_clear_error();
}

sim_tls_ctx *sim_tls_ctx_new(const char *cert_file, const char *key_file, char *err, size_t err_len)
{
    sim_tls_ctx *t = calloc(1, sizeof *t);
    if (!t) {
        snprintf(err, err_len, "out of memory");
        return NULL;
    }
    char why[256];
    t->ctx = SSL_CTX_new(TLS_server_method());
    if (!t->ctx) {
        ssl_error_text(why, sizeof why);
        snprintf(err, err_len, "cannot create a TLS context: %s", why);
        free(t);
        return NULL;
    }
    SSL_CTX_set_min_proto_version(t->ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(t->ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
    SSL_CTX_set_mode(t->ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    errno = 0;
    if (SSL_CTX_use_certificate_chain_file(t->ctx, cert_file) != 1) {
        ssl_error_text(why, sizeof why);
        snprintf(err, err_len, "cannot load --tls-cert %s: %s", cert_file, why);
        sim_tls_ctx_free(t);
        return NULL;
    }
    errno = 0;
    if (SSL_CTX_use_PrivateKey_file(t->ctx, key_file, SSL_FILETYPE_PEM) != 1) {
        ssl_error_text(why, sizeof why);
        snprintf(err, err_len, "cannot load --tls-key %s: %s", key_file, why);
        sim_tls_ctx_free(t);
        return NULL;
    }
    if (SSL_CTX_check_private_key(t->ctx) != 1) {
        ERR_clear_error();
        snprintf(err, err_len, "--tls-key %s does not match the certificate in --tls-cert %s", key_file,
                 cert_file);
        sim_tls_ctx_free(t);
        return NULL;
    }
    SSL_CTX_set_alpn_select_cb(t->ctx, alpn_select, NULL);
    return t;
}

void sim_tls_ctx_free(sim_tls_ctx *t)
{
    if (!t)
        return;
    SSL_CTX_free(t->ctx);
    free(t);
}

/* ---- one TLS connection ---- */

typedef enum { T_HANDSHAKE = 0, T_H2, T_BRIDGE } tls_state;

typedef struct tls_conn {
    sim_conn base; /* fd[0]: the client's socket; fd[1]: our end of the MHD bridge */
    SSL *ssl;
    tls_state state;
    h2_session *h2;
    /* the bridge: up = client -> MHD (plaintext), down = MHD -> client */
    uint8_t up[PUMP_BUF], down[PUMP_BUF];
    size_t up_len, up_off, down_len, down_off;
    int tls_eof, mhd_eof, up_shut;
} tls_conn;

static ssize_t ssl_io_result(SSL *ssl, int n)
{
    if (n > 0)
        return n;
    int e = SSL_get_error(ssl, n);
    ERR_clear_error();
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
        return H2_IO_AGAIN;
    if (e == SSL_ERROR_ZERO_RETURN)
        return 0;
    return H2_IO_ERROR;
}

static ssize_t tls_recv(void *ud, uint8_t *buf, size_t len)
{
    tls_conn *c = ud;
    int n = SSL_read(c->ssl, buf, len > 1u << 30 ? 1 << 30 : (int)len);
    ssize_t r = ssl_io_result(c->ssl, n);
    return r == 0 ? 0 : r;
}

static ssize_t tls_send(void *ud, const uint8_t *buf, size_t len)
{
    tls_conn *c = ud;
    int n = SSL_write(c->ssl, buf, len > 1u << 30 ? 1 << 30 : (int)len);
    ssize_t r = ssl_io_result(c->ssl, n);
    return r == 0 ? H2_IO_ERROR : r;
}

/* ---- HTTP/2 over TLS ---- */

static int h2_refresh(tls_conn *c, int rc)
{
    if (rc != 0)
        return -1;
    c->base.want[0] = EPOLLIN | (h2_session_want_write(c->h2) ? EPOLLOUT : 0);
    c->base.due_ms = h2_session_due(c->h2);
    if (SSL_pending(c->ssl) > 0) /* decrypted bytes left behind by the bounded read: come back at once */
        c->base.due_ms = sim_http_mono_ms();
    return sim_conn_update(&c->base);
}

/* ---- HTTP/1.1 over TLS: the bridge to libmicrohttpd ---- */

static int bridge_start(tls_conn *c)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) != 0) {
        sim_log(SIM_LOG_WARN, "tls: socketpair: %s", strerror(errno));
        return -1;
    }
    /* MHD is told the truth (a local socket), so it skips its TCP-only socket options */
    struct sockaddr_storage peer;
    socklen_t plen = sizeof peer;
    if (getsockname(sv[1], (struct sockaddr *)&peer, &plen) != 0) {
        memset(&peer, 0, sizeof peer);
        peer.ss_family = AF_UNIX;
        plen = sizeof(sa_family_t);
    }
    if (sim_http_hand_off(c->base.h, sv[1], (struct sockaddr *)&peer, plen) != 0) {
        close(sv[0]);
        return -1;
    }
    c->base.fd[1] = sv[0];
    c->state = T_BRIDGE;
    return 0;
}

/* Move bytes both ways until nothing moves. 0 keep, -1 close. */
static int bridge_pump(tls_conn *c)
{
    int mfd = c->base.fd[1];
    for (int round = 0; round < PUMP_ROUNDS; round++) {
        int moved = 0;
        if (c->up_off == c->up_len && !c->tls_eof) {
            c->up_off = c->up_len = 0;
            ssize_t n = tls_recv(c, c->up, sizeof c->up);
            if (n > 0) {
                c->up_len = (size_t)n;
                moved = 1;
            } else if (n != H2_IO_AGAIN) {
                c->tls_eof = 1;
            }
        }
        if (c->up_off < c->up_len) {
            ssize_t w = send(mfd, c->up + c->up_off, c->up_len - c->up_off, MSG_NOSIGNAL);
            if (w > 0) {
                c->up_off += (size_t)w;
                moved = 1;
            } else if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                return -1; /* MHD closed its end */
            }
        }
        if (c->down_off == c->down_len && !c->mhd_eof) {
            c->down_off = c->down_len = 0;
            ssize_t n = recv(mfd, c->down, sizeof c->down, 0);
            if (n > 0) {
                c->down_len = (size_t)n;
                moved = 1;
            } else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
                c->mhd_eof = 1;
            }
        }
        if (c->down_off < c->down_len) {
            ssize_t w = tls_send(c, c->down + c->down_off, c->down_len - c->down_off);
            if (w > 0) {
                c->down_off += (size_t)w;
                moved = 1;
            } else if (w != H2_IO_AGAIN) {
                return -1; /* the client is gone */
            }
        }
        if (!moved)
            break;
    }
    if (c->tls_eof && c->up_off == c->up_len && !c->up_shut) {
        shutdown(mfd, SHUT_WR); /* MHD reads end of stream */
        c->up_shut = 1;
    }
    if (c->mhd_eof && c->down_off == c->down_len) {
        SSL_shutdown(c->ssl); /* best effort close_notify */
        ERR_clear_error();
        return -1;
    }
    if (c->tls_eof && c->mhd_eof)
        return -1;
    c->base.want[0] =
        (c->up_off == c->up_len && !c->tls_eof ? EPOLLIN : 0) | (c->down_off < c->down_len ? EPOLLOUT : 0);
    c->base.want[1] =
        (c->down_off == c->down_len && !c->mhd_eof ? EPOLLIN : 0) | (c->up_off < c->up_len ? EPOLLOUT : 0);
    c->base.due_ms = SSL_pending(c->ssl) > 0 && c->up_off == c->up_len ? sim_http_mono_ms() : 0;
    return sim_conn_update(&c->base);
}

/* ---- the handshake ---- */

static int handshake(tls_conn *c)
{
    ERR_clear_error();
    int rc = SSL_accept(c->ssl);
    if (rc != 1) {
        int e = SSL_get_error(c->ssl, rc);
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
            c->base.want[0] = EPOLLIN | (e == SSL_ERROR_WANT_WRITE ? EPOLLOUT : 0);
            ERR_clear_error();
            return sim_conn_update(&c->base);
        }
        char why[256];
        ssl_error_text(why, sizeof why);
        sim_log(SIM_LOG_INFO, "tls: handshake failed: %s", why);
        return -1;
    }
    const unsigned char *proto = NULL;
    unsigned int plen = 0;
    SSL_get0_alpn_selected(c->ssl, &proto, &plen);
    c->base.due_ms = 0;
    if (plen == 2 && memcmp(proto, "h2", 2) == 0) {
        h2_io io = {tls_recv, tls_send, c};
        c->h2 = h2_session_new(c->base.h, &c->base, io);
        if (!c->h2)
            return -1;
        c->state = T_H2;
        return h2_refresh(c, h2_session_io(c->h2));
    }
    if (bridge_start(c) != 0)
        return -1;
    return bridge_pump(c);
}

/* ---- the connection's loop callbacks ---- */

static int tls_io(sim_conn *base, int which, uint32_t events)
{
    (void)which;
    (void)events;
    tls_conn *c = (tls_conn *)base;
    switch (c->state) {
    case T_HANDSHAKE:
        return handshake(c);
    case T_H2:
        return h2_refresh(c, h2_session_io(c->h2));
    case T_BRIDGE:
        return bridge_pump(c);
    }
    return -1;
}

static int tls_tick(sim_conn *base, int64_t now_ms)
{
    tls_conn *c = (tls_conn *)base;
    switch (c->state) {
    case T_HANDSHAKE:
        sim_log(SIM_LOG_INFO, "tls: handshake timed out");
        return -1;
    case T_H2: {
        int rc = h2_session_tick(c->h2, now_ms);
        if (rc == 0 && SSL_pending(c->ssl) > 0)
            rc = h2_session_io(c->h2);
        return h2_refresh(c, rc);
    }
    case T_BRIDGE:
        return bridge_pump(c);
    }
    return -1;
}

static void tls_stop(sim_conn *base)
{
    tls_conn *c = (tls_conn *)base;
    if (c->state == T_H2) {
        h2_session_stop(c->h2);
        h2_refresh(c, 0);
    }
}

static void tls_destroy(sim_conn *base)
{
    tls_conn *c = (tls_conn *)base;
    h2_session_free(c->h2);
    SSL_free(c->ssl);
    if (base->fd[0] >= 0)
        close(base->fd[0]);
    if (base->fd[1] >= 0)
        close(base->fd[1]);
    free(c);
}

static const sim_conn_ops tls_ops = {tls_io, tls_tick, tls_stop, tls_destroy};

sim_conn *sim_tls_conn_new(sim_http *h, sim_tls_ctx *t, int fd)
{
    tls_conn *c = t ? calloc(1, sizeof *c) : NULL;
    if (!c) {
        close(fd);
        return NULL;
    }
    c->ssl = SSL_new(t->ctx);
    if (!c->ssl || SSL_set_fd(c->ssl, fd) != 1) {
        ERR_clear_error();
        SSL_free(c->ssl);
        close(fd);
        free(c);
        return NULL;
    }
    c->base.ops = &tls_ops;
    c->base.h = h;
    c->base.fd[0] = fd;
    c->base.fd[1] = -1;
    c->base.want[0] = EPOLLIN;
    c->base.due_ms = sim_http_mono_ms() + HANDSHAKE_TIMEOUT_MS;
    return &c->base;
}
