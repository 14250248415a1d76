/* wire.c: request building, response framing and a blocking loopback client for the load
 * generator and the crash test (see wire.h). The Authorization header is fixed and well formed
 * (scope date = X-Amz-Date's day, taken once at first use); the simulator's default auth mode
 * checks presence and format only, and kinesalite checks presence. */
#include "wire.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

int64_t wire_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

const char *wire_find(const char *hay, size_t hl, const char *needle, size_t nl)
{
    if (!nl)
        return hay;
    const char *p = hay, *e = hay + hl;
    while ((size_t)(e - p) >= nl) {
        p = memchr(p, needle[0], (size_t)(e - p) - nl + 1);
        if (!p)
            return NULL;
        if (!memcmp(p, needle, nl))
            return p;
        p++;
    }
    return NULL;
}

/* ---- response framing ---- */

/* Case-insensitive "does the header line [p, p+n) have this name"; sets *val to the value. */
static int header_is(const char *p, size_t n, const char *name, const char **val, size_t *vlen)
{
    size_t k = strlen(name);
    if (n <= k || p[k] != ':' || strncasecmp(p, name, k) != 0)
        return 0;
    const char *v = p + k + 1, *e = p + n;
    while (v < e && (*v == ' ' || *v == '\t'))
        v++;
    while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
        e--;
    *val = v;
    *vlen = (size_t)(e - v);
    return 1;
}

int wire_parse_response(const char *buf, size_t len, wire_resp *out, char *err, size_t err_len)
{
    memset(out, 0, sizeof *out);
    size_t scan = len < WIRE_MAX_HEAD ? len : WIRE_MAX_HEAD;
    const char *end = NULL;
    for (size_t i = 0; i + 3 < scan; i++)
        if (buf[i] == '\r' && buf[i + 1] == '\n' && buf[i + 2] == '\r' && buf[i + 3] == '\n') {
            end = buf + i;
            break;
        }
    if (len >= 5 && memcmp(buf, "HTTP/", 5) != 0) {
        snprintf(err, err_len, "response does not start with HTTP/");
        return -1;
    }
    if (!end) {
        if (len >= WIRE_MAX_HEAD) {
            snprintf(err, err_len, "response head longer than %zu bytes", WIRE_MAX_HEAD);
            return -1;
        }
        return 0;
    }
    /* status line: HTTP/1.x SSS reason */
    if (end - buf < 12 || memcmp(buf, "HTTP/1.", 7) != 0 || (buf[7] != '0' && buf[7] != '1') ||
        buf[8] != ' ') {
        snprintf(err, err_len, "malformed status line");
        return -1;
    }
    int status = 0;
    for (int i = 9; i < 12; i++) {
        if (buf[i] < '0' || buf[i] > '9') {
            snprintf(err, err_len, "malformed status code");
            return -1;
        }
        status = status * 10 + (buf[i] - '0');
    }
    int http10 = buf[7] == '0';
    int keep_alive = 0, close_seen = 0, have_len = 0;
    size_t clen = 0;
    const char *p = memchr(buf, '\n', (size_t)(end - buf));
    p = p ? p + 1 : end;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end + 2 - p));
        if (!nl)
            nl = end;
        size_t n = (size_t)(nl - p);
        if (n && p[n - 1] == '\r')
            n--;
        const char *v;
        size_t vl;
        if (header_is(p, n, "Content-Length", &v, &vl)) {
            if (!vl || vl > 12) {
                snprintf(err, err_len, "bad Content-Length");
                return -1;
            }
            size_t x = 0;
            for (size_t i = 0; i < vl; i++) {
                if (v[i] < '0' || v[i] > '9') {
                    snprintf(err, err_len, "bad Content-Length");
                    return -1;
                }
                x = x * 10 + (size_t)(v[i] - '0');
            }
            if (have_len && x != clen) {
                snprintf(err, err_len, "conflicting Content-Length headers");
                return -1;
            }
            clen = x;
            have_len = 1;
        } else if (header_is(p, n, "Transfer-Encoding", &v, &vl)) {
            snprintf(err, err_len, "Transfer-Encoding is not supported by this client");
            return -1;
        } else if (header_is(p, n, "Connection", &v, &vl)) {
            if (vl == 5 && !strncasecmp(v, "close", 5))
                close_seen = 1;
            else if (vl == 10 && !strncasecmp(v, "keep-alive", 10))
                keep_alive = 1;
        }
        p = nl + 1;
    }
    if (!have_len) {
        /* 1xx, 204 and 304 have no body; anything else must say how long it is. */
        if (!((status >= 100 && status < 200) || status == 204 || status == 304)) {
            snprintf(err, err_len, "response without Content-Length (status %d)", status);
            return -1;
        }
    }
    if (clen > WIRE_MAX_BODY) {
        snprintf(err, err_len, "response body of %zu bytes is too large", clen);
        return -1;
    }
    out->status = status;
    out->head_len = (size_t)(end - buf) + 4;
    out->body_len = clen;
    out->conn_close = close_seen || (http10 && !keep_alive);
    return len >= out->head_len + clen ? 1 : 0;
}

/* ---- request bytes ---- */

static char g_amz_date[32];
static char g_auth[256];

static void auth_init(void)
{
    if (g_amz_date[0])
        return;
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(g_amz_date, sizeof g_amz_date, "%Y%m%dT%H%M%SZ", &tm);
    char day[16];
    strftime(day, sizeof day, "%Y%m%d", &tm);
    snprintf(g_auth, sizeof g_auth,
             "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/%s/us-east-1/kinesis/aws4_request, "
             "SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature="
             "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7",
             day);
}

const char *wire_auth(const char **amz_date)
{
    auth_init();
    *amz_date = g_amz_date;
    return g_auth;
}

char *wire_build_request(const char *method, const char *path, const char *host_port, const char *target,
                         const char *body, size_t body_len, size_t *out_len)
{
    auth_init();
    char head[1024];
    int n;
    if (target)
        n = snprintf(head, sizeof head,
                     "%s %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-amz-json-1.1\r\n"
                     "X-Amz-Target: Kinesis_20131202.%s\r\nX-Amz-Date: %s\r\n"
                     "Authorization: %s\r\nContent-Length: %zu\r\n\r\n",
                     method, path, host_port, target, g_amz_date, g_auth, body_len);
    else
        n = snprintf(head, sizeof head, "%s %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %zu\r\n\r\n", method,
                     path, host_port, body_len);
    if (n < 0 || (size_t)n >= sizeof head)
        return NULL;
    char *out = malloc((size_t)n + body_len + 1);
    if (!out)
        return NULL;
    memcpy(out, head, (size_t)n);
    if (body_len)
        memcpy(out + n, body, body_len);
    out[(size_t)n + body_len] = '\0';
    *out_len = (size_t)n + body_len;
    return out;
}

/* ---- blocking connection ---- */

int wire_connect(wire_conn *c, const char *host, int port, int timeout_ms, char *err, size_t err_len)
{
    memset(c, 0, sizeof *c);
    c->fd = -1;
    snprintf(c->host, sizeof c->host, "%s", host);
    c->port = port;
    snprintf(c->host_port, sizeof c->host_port, "%s:%d", host, port);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    if (port <= 0 || port > 65535 || inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
        snprintf(err, err_len, "bad address %s:%d", host, port);
        return -1;
    }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        snprintf(err, err_len, "socket: %s", strerror(errno));
        return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        if (errno != EINPROGRESS) {
            snprintf(err, err_len, "connect %s: %s", c->host_port, strerror(errno));
            close(fd);
            return -1;
        }
        struct pollfd pfd = {.fd = fd, .events = POLLOUT};
        int soerr = 0;
        socklen_t sl = sizeof soerr;
        if (poll(&pfd, 1, timeout_ms) != 1 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0 ||
            soerr) {
            snprintf(err, err_len, "connect %s: %s", c->host_port, soerr ? strerror(soerr) : "timed out");
            close(fd);
            return -1;
        }
    }
    c->fd = fd;
    return 0;
}

void wire_close(wire_conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    free(c->buf);
    c->buf = NULL;
    c->len = c->cap = 0;
}

static int reconnect(wire_conn *c, int timeout_ms, char *err, size_t err_len)
{
    char host[64];
    int port = c->port;
    snprintf(host, sizeof host, "%s", c->host);
    wire_close(c);
    return wire_connect(c, host, port, timeout_ms, err, err_len);
}

/* Write all of req; -1 on error or timeout (errno-style message in err). */
static int send_all(wire_conn *c, const char *req, size_t req_len, int64_t deadline_us, char *err,
                    size_t err_len)
{
    size_t off = 0;
    while (off < req_len) {
        ssize_t w = send(c->fd, req + off, req_len - off, MSG_NOSIGNAL);
        if (w > 0) {
            off += (size_t)w;
            continue;
        }
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            int64_t left = (deadline_us - wire_now_us()) / 1000;
            struct pollfd pfd = {.fd = c->fd, .events = POLLOUT};
            if (left <= 0 || poll(&pfd, 1, (int)left) <= 0) {
                snprintf(err, err_len, "send timed out");
                return -1;
            }
            continue;
        }
        snprintf(err, err_len, "send: %s", w < 0 ? strerror(errno) : "closed");
        return -1;
    }
    return 0;
}

/* Read one response; returns 1 with *r set, 0 when the peer closed before any byte, -1 error. */
static int recv_response(wire_conn *c, wire_resp *r, int64_t deadline_us, char *err, size_t err_len)
{
    c->len = 0;
    for (;;) {
        if (c->len) {
            int pr = wire_parse_response(c->buf, c->len, r, err, err_len);
            if (pr < 0)
                return -1;
            if (pr == 1)
                return 1;
        }
        if (c->cap - c->len < 65536) {
            size_t ncap = c->cap ? c->cap * 2 : 131072;
            if (ncap > WIRE_MAX_HEAD + WIRE_MAX_BODY + 65536) {
                snprintf(err, err_len, "response too large");
                return -1;
            }
            char *nb = realloc(c->buf, ncap);
            if (!nb) {
                snprintf(err, err_len, "out of memory");
                return -1;
            }
            c->buf = nb;
            c->cap = ncap;
        }
        ssize_t n = recv(c->fd, c->buf + c->len, c->cap - c->len - 1, 0);
        if (n > 0) {
            c->len += (size_t)n;
            continue;
        }
        if (n == 0) {
            if (!c->len)
                return 0;
            snprintf(err, err_len, "connection closed mid-response");
            return -1;
        }
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            int64_t left = (deadline_us - wire_now_us()) / 1000;
            struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
            if (left <= 0 || poll(&pfd, 1, (int)left) <= 0) {
                snprintf(err, err_len, "no answer within the timeout");
                return -1;
            }
            continue;
        }
        if (errno == ECONNRESET && !c->len)
            return 0;
        snprintf(err, err_len, "recv: %s", strerror(errno));
        return -1;
    }
}

int wire_roundtrip(wire_conn *c, const char *req, size_t req_len, int timeout_ms, int *status, char **body,
                   size_t *body_len, char *err, size_t err_len)
{
    int64_t deadline = wire_now_us() + (int64_t)timeout_ms * 1000;
    *body = NULL;
    *body_len = 0;
    for (int attempt = 0; attempt < 2; attempt++) {
        if (c->fd < 0 && reconnect(c, timeout_ms, err, err_len) != 0)
            return -1;
        if (send_all(c, req, req_len, deadline, err, err_len) != 0) {
            if (attempt == 0) {
                close(c->fd);
                c->fd = -1;
                continue;
            }
            return -1;
        }
        wire_resp r;
        int got = recv_response(c, &r, deadline, err, err_len);
        if (got == 0 && attempt == 0) {
            /* the server closed an idle keep-alive connection: once more on a fresh one */
            close(c->fd);
            c->fd = -1;
            continue;
        }
        if (got <= 0) {
            if (got == 0)
                snprintf(err, err_len, "connection closed before an answer");
            close(c->fd);
            c->fd = -1;
            return -1;
        }
        char *b = malloc(r.body_len + 1);
        if (!b) {
            snprintf(err, err_len, "out of memory");
            return -1;
        }
        memcpy(b, c->buf + r.head_len, r.body_len);
        b[r.body_len] = '\0';
        *status = r.status;
        *body = b;
        *body_len = r.body_len;
        if (r.conn_close) {
            close(c->fd);
            c->fd = -1;
        }
        return 0;
    }
    return -1;
}

json_t *wire_kinesis(wire_conn *c, const char *op, json_t *body, int timeout_ms, int *status, char *err,
                     size_t err_len)
{
    *status = -1;
    char *js = json_dumps(body, JSON_COMPACT);
    if (!js) {
        snprintf(err, err_len, "cannot encode the request");
        return NULL;
    }
    size_t rl;
    char *req = wire_build_request("POST", "/", c->host_port, op, js, strlen(js), &rl);
    free(js);
    if (!req) {
        snprintf(err, err_len, "out of memory");
        return NULL;
    }
    char *rb;
    size_t rbl;
    int st;
    int rc = wire_roundtrip(c, req, rl, timeout_ms, &st, &rb, &rbl, err, err_len);
    free(req);
    if (rc != 0)
        return NULL;
    *status = st;
    json_error_t je;
    json_t *ans = json_loadb(rb, rbl, 0, &je);
    if (!ans)
        snprintf(err, err_len, "%s answered %d with a body that is not JSON: %.200s", op, st, rb);
    free(rb);
    return ans;
}

int wire_ensure_stream(wire_conn *c, const char *stream, int shards, int timeout_ms, char *err,
                       size_t err_len)
{
    int64_t deadline = wire_now_us() + (int64_t)timeout_ms * 1000;
    int st;
    json_t *req = json_pack("{s:s, s:i}", "StreamName", stream, "ShardCount", shards);
    json_t *ans = wire_kinesis(c, "CreateStream", req, timeout_ms, &st, err, err_len);
    json_decref(req);
    if (st < 0)
        return -1;
    if (st != 200) {
        const char *type = json_string_value(json_object_get(ans, "__type"));
        if (!type || !strstr(type, "ResourceInUse")) {
            snprintf(err, err_len, "CreateStream %s: HTTP %d %s", stream, st, type ? type : "");
            json_decref(ans);
            return -1;
        }
    }
    json_decref(ans);
    for (int i = 0; i < 100000 && wire_now_us() < deadline; i++) {
        req = json_pack("{s:s}", "StreamName", stream);
        ans = wire_kinesis(c, "DescribeStream", req, timeout_ms, &st, err, err_len);
        json_decref(req);
        if (st < 0)
            return -1;
        const char *status =
            json_string_value(json_object_get(json_object_get(ans, "StreamDescription"), "StreamStatus"));
        int active = st == 200 && status && !strcmp(status, "ACTIVE");
        json_decref(ans);
        if (active)
            return 0;
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    snprintf(err, err_len, "stream %s did not become ACTIVE in %d ms", stream, timeout_ms);
    return -1;
}
