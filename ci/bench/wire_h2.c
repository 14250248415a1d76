/* wire_h2.c: one Kinesis call at a time over cleartext HTTP/2 on nghttp2 (see wire_h2.h). */
#include "wire_h2.h"

#include <errno.h>
#include <nghttp2/nghttp2.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "wire.h"

struct wire_h2 {
    int fd;
    char authority[80];
    nghttp2_session *s;
    int broken;
    /* the stream in flight */
    int32_t id;
    const char *body;
    size_t body_len, body_off;
    int status;
    char *resp;
    size_t resp_len;
    int closed;
    uint32_t error_code;
};

static ssize_t on_send(nghttp2_session *s, const uint8_t *data, size_t len, int flags, void *ud)
{
    (void)s;
    (void)flags;
    wire_h2 *c = ud;
    ssize_t n = send(c->fd, data, len, MSG_NOSIGNAL);
    if (n < 0)
        return errno == EAGAIN || errno == EWOULDBLOCK ? NGHTTP2_ERR_WOULDBLOCK
                                                       : NGHTTP2_ERR_CALLBACK_FAILURE;
    return n;
}

static int on_header(nghttp2_session *s, const nghttp2_frame *f, const uint8_t *name, size_t nl,
                     const uint8_t *value, size_t vl, uint8_t flags, void *ud)
{
    (void)s;
    (void)flags;
    (void)vl;
    wire_h2 *c = ud;
    if (f->hd.stream_id == c->id && nl == 7 && !memcmp(name, ":status", 7))
        c->status = atoi((const char *)value);
    return 0;
}

static int on_data(nghttp2_session *s, uint8_t flags, int32_t id, const uint8_t *data, size_t len, void *ud)
{
    (void)s;
    (void)flags;
    wire_h2 *c = ud;
    if (id != c->id)
        return 0;
    char *p = realloc(c->resp, c->resp_len + len + 1);
    if (!p)
        return NGHTTP2_ERR_CALLBACK_FAILURE;
    memcpy(p + c->resp_len, data, len);
    c->resp = p;
    c->resp_len += len;
    c->resp[c->resp_len] = 0;
    return 0;
}

static int on_close(nghttp2_session *s, int32_t id, uint32_t error_code, void *ud)
{
    (void)s;
    wire_h2 *c = ud;
    if (id == c->id) {
        c->closed = 1;
        c->error_code = error_code;
    }
    return 0;
}

static ssize_t body_read(nghttp2_session *s, int32_t id, uint8_t *buf, size_t len, uint32_t *flags,
                         nghttp2_data_source *src, void *ud)
{
    (void)s;
    (void)id;
    (void)src;
    wire_h2 *c = ud;
    size_t n = c->body_len - c->body_off;
    if (n > len)
        n = len;
    memcpy(buf, c->body + c->body_off, n);
    c->body_off += n;
    if (c->body_off == c->body_len)
        *flags |= NGHTTP2_DATA_FLAG_EOF;
    return (ssize_t)n;
}

wire_h2 *wire_h2_connect(const char *host, int port, int timeout_ms, char *err, size_t err_len)
{
    wire_conn w;
    if (wire_connect(&w, host, port, timeout_ms, err, err_len) != 0)
        return NULL;
    wire_h2 *c = calloc(1, sizeof *c);
    if (!c) {
        close(w.fd);
        snprintf(err, err_len, "out of memory");
        return NULL;
    }
    c->fd = w.fd;
    snprintf(c->authority, sizeof c->authority, "%s", w.host_port);
    nghttp2_session_callbacks *cbs;
    if (nghttp2_session_callbacks_new(&cbs) != 0) {
        wire_h2_close(c);
        snprintf(err, err_len, "out of memory");
        return NULL;
    }
    nghttp2_session_callbacks_set_send_callback(cbs, on_send);
    nghttp2_session_callbacks_set_on_header_callback(cbs, on_header);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, on_data);
    nghttp2_session_callbacks_set_on_stream_close_callback(cbs, on_close);
    int rv = nghttp2_session_client_new(&c->s, cbs, c);
    nghttp2_session_callbacks_del(cbs);
    if (rv != 0) {
        wire_h2_close(c);
        snprintf(err, err_len, "nghttp2: %s", nghttp2_strerror(rv));
        return NULL;
    }
    nghttp2_submit_settings(c->s, NGHTTP2_FLAG_NONE, NULL, 0);
    return c;
}

void wire_h2_close(wire_h2 *c)
{
    if (!c)
        return;
    if (c->s)
        nghttp2_session_del(c->s);
    if (c->fd >= 0)
        close(c->fd);
    free(c->resp);
    free(c);
}

static nghttp2_nv nv(const char *name, const char *value)
{
    nghttp2_nv v = {(uint8_t *)name, (uint8_t *)value, strlen(name), strlen(value), NGHTTP2_NV_FLAG_NONE};
    return v;
}

json_t *wire_h2_kinesis(wire_h2 *c, const char *op, json_t *body, int timeout_ms, int *status, char *err,
                        size_t err_len)
{
    *status = -1;
    if (c->broken) {
        snprintf(err, err_len, "the connection is broken");
        return NULL;
    }
    char *js = json_dumps(body, JSON_COMPACT);
    if (!js) {
        snprintf(err, err_len, "cannot encode the request");
        return NULL;
    }
    const char *amz_date;
    const char *auth = wire_auth(&amz_date);
    char target[128];
    snprintf(target, sizeof target, "Kinesis_20131202.%s", op);
    nghttp2_nv nva[] = {nv(":method", "POST"),
                        nv(":scheme", "http"),
                        nv(":path", "/"),
                        nv(":authority", c->authority),
                        nv("content-type", "application/x-amz-json-1.1"),
                        nv("x-amz-target", target),
                        nv("x-amz-date", amz_date),
                        nv("authorization", auth)};
    c->body = js;
    c->body_len = strlen(js);
    c->body_off = 0;
    c->status = 0;
    c->closed = 0;
    c->error_code = 0;
    free(c->resp);
    c->resp = NULL;
    c->resp_len = 0;
    nghttp2_data_provider prd = {.source.ptr = NULL, .read_callback = body_read};
    c->id = nghttp2_submit_request(c->s, NULL, nva, sizeof nva / sizeof nva[0], &prd, NULL);
    json_t *ans = NULL;
    if (c->id < 0) {
        snprintf(err, err_len, "nghttp2: %s", nghttp2_strerror(c->id));
        goto done;
    }
    int64_t deadline = wire_now_us() + (int64_t)timeout_ms * 1000;
    while (!c->closed) {
        if (nghttp2_session_send(c->s) != 0) {
            c->broken = 1;
            snprintf(err, err_len, "send failed");
            goto done;
        }
        int64_t left = (deadline - wire_now_us()) / 1000;
        if (left <= 0) {
            c->broken = 1;
            snprintf(err, err_len, "%s: no answer within %d ms", op, timeout_ms);
            goto done;
        }
        struct pollfd p = {c->fd, POLLIN | (nghttp2_session_want_write(c->s) ? POLLOUT : 0), 0};
        if (poll(&p, 1, (int)(left < 100 ? left : 100)) <= 0 || !(p.revents & (POLLIN | POLLHUP | POLLERR)))
            continue;
        uint8_t buf[16384];
        ssize_t n = recv(c->fd, buf, sizeof buf, 0);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
            continue;
        if (n <= 0 || nghttp2_session_mem_recv(c->s, buf, (size_t)n) < 0) {
            c->broken = 1;
            snprintf(err, err_len, "%s: the connection closed", op);
            goto done;
        }
    }
    if (c->error_code || !c->status) {
        snprintf(err, err_len, "%s: stream reset (error %u)", op, c->error_code);
        goto done;
    }
    *status = c->status;
    ans = c->resp ? json_loadb(c->resp, c->resp_len, 0, NULL) : NULL;
    if (!ans)
        snprintf(err, err_len, "%s answered %d with a body that is not JSON", op, c->status);
done:
    free(js);
    c->body = NULL;
    return ans;
}
