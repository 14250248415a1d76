/* loadgen.c: the load generator behind `make bench` (driven by ci/bench/run).
 *
 *   loadgen run --endpoint HOST:PORT --mode MODE --stream NAME [--seconds S] [--warmup S]
 *               [--drain S] [--connections N] [--h2-streams M] [--shards N] [--max-requests N]
 *   loadgen count --endpoint HOST:PORT --stream NAME
 *   loadgen startup [--runs N] [--probe health|list] [--idle-ms MS] -- CMD ARG... ({PORT} and
 *               {PORT2} in any argument are replaced by free loopback ports)
 *
 * `run` keeps N keep-alive HTTP/1.1 connections busy from one thread (epoll), each sending
 * request bytes built once before the clock starts, and frames answers by Content-Length.
 * Modes: put-records-100 (PutRecords 100 x 100 B), put-records-500 (PutRecords 500 x 1 KiB),
 * put-record (100 B), get-records (pre-fill 10,000 x 100 B, then GetShardIterator TRIM_HORIZON +
 * GetRecords Limit 10000, counting the records returned), get-records-1k (the same with 1 KiB
 * records), list-streams.
 * With --h2-streams M, each connection speaks HTTP/2 instead (cleartext, prior knowledge, as the
 * AWS SDK for JavaScript v3 does; nghttp2) and keeps M requests in flight on concurrent streams
 * (every mode but get-records).
 * Only answers inside the measured window count; a non-200 answer or a PutRecords entry that
 * failed is an error, never throughput. After the window no new request starts and the ones in
 * flight are drained (at most --drain seconds, default 30), so `acked` is exactly what the server
 * acknowledged (`unanswered` counts requests still open when the drain ended): ci/bench/run
 * compares it with `count` afterwards. One line "RESULT key=value ..." goes to stdout.
 *
 * `probe` sends one health check (or ListStreams) and exits 0 on a 200; `free-port` prints a
 * free loopback port.
 * `startup` measures, several times, the time from fork+exec of a server to its first 200
 * answer (GET /_sim/health, or POST ListStreams for peers), and its RSS once idle.
 * Loopback only; every loop is bounded in time and count. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <nghttp2/nghttp2.h>
#include <openssl/evp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hist.h"
#include "wire.h"

#define MAX_CONNS 512
#define GET_PREFILL 10000

enum mode {
    M_PUT_RECORDS_100,
    M_PUT_RECORDS_500,
    M_PUT_RECORD,
    M_GET_RECORDS,
    M_GET_RECORDS_1K,
    M_LIST_STREAMS
};

static const struct {
    const char *name;
    int batch;     /* records per request (0: not a put) */
    int rec_bytes; /* data bytes per record */
    int templates; /* distinct pre-built requests, rotated (different partition keys) */
} modes[] = {
    [M_PUT_RECORDS_100] = {"put-records-100", 100, 100, 8},
    [M_PUT_RECORDS_500] = {"put-records-500", 500, 1024, 4},
    [M_PUT_RECORD] = {"put-record", 1, 100, 64},
    [M_GET_RECORDS] = {"get-records", 0, 100, 0},
    [M_GET_RECORDS_1K] = {"get-records-1k", 0, 1024, 0},
    [M_LIST_STREAMS] = {"list-streams", 0, 0, 1},
};
#define N_MODES (int)(sizeof modes / sizeof modes[0])

/* The GetRecords loads: pre-fill, then GetShardIterator + GetRecords. */
static int is_get(enum mode m)
{
    return m == M_GET_RECORDS || m == M_GET_RECORDS_1K;
}

typedef struct conn {
    int fd;
    int busy;        /* a request is in flight */
    const char *out; /* bytes being sent (a template or own_out) */
    size_t out_len, out_off;
    char *own_out; /* a request built for this connection (GetRecords) */
    char *in;
    size_t in_len, in_cap;
    wire_resp head; /* parsed head of the answer being received (head_len 0: not yet) */
    int64_t sent_us;
    int phase; /* get-records: 0 GetShardIterator, 1 GetRecords */
    unsigned next_tmpl;
    int want_out; /* EPOLLOUT registered */
} conn;

typedef struct bench {
    enum mode mode;
    char host[64];
    int port;
    char host_port[80];
    char stream[129];
    int n_conns;
    double seconds, warmup, drain;
    long long max_requests;
    char **tmpl;
    size_t *tmpl_len;
    int n_tmpl;
    char *gsi_req; /* GetShardIterator request bytes */
    size_t gsi_len;
    int h2_streams; /* > 0: HTTP/2, this many streams in flight per connection */
    char **body;    /* the templates' bodies alone (HTTP/2) */
    size_t *body_len;
    struct h2conn *h2; /* n_conns of them (HTTP/2) */
    int epfd;
    conn *conns;
    int64_t t_start, t_win0, t_win1;
    int stopping;
    /* in-window statistics */
    long long ok_requests, err_requests, records, rec_errors, bytes, started;
    hist lat;
    /* everything acknowledged, window or not */
    long long acked_records;
    long long all_answers, all_records; /* 200 answers and records moved, window or not */
    long long conn_errors, reconnects, unanswered;
    char first_error[256];
} bench;

static void note_error(bench *b, const char *fmt_what, int status, const char *body, size_t len)
{
    if (b->first_error[0])
        return;
    snprintf(b->first_error, sizeof b->first_error, "%s %d %.*s", fmt_what, status,
             (int)(len > 160 ? 160 : len), body ? body : "");
    for (char *p = b->first_error; *p; p++)
        if (*p == '\n' || *p == '\r' || *p == ' ')
            *p = '_';
}

/* ---- request templates ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;
static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* Base64 of n pseudo-random bytes into out (size >= 4*((n+2)/3)+1). */
static void random_b64(char *out, int n)
{
    unsigned char raw[2048];
    for (int i = 0; i < n; i++)
        raw[i] = (unsigned char)rng();
    EVP_EncodeBlock((unsigned char *)out, raw, n);
}

static char *build_body(const bench *b, int t, size_t *len)
{
    json_t *body;
    char data[4096], pk[64];
    int rb = modes[b->mode].rec_bytes;
    if (b->mode == M_PUT_RECORD) {
        random_b64(data, rb);
        snprintf(pk, sizeof pk, "pk-%d", t);
        body = json_pack("{s:s, s:s, s:s}", "StreamName", b->stream, "Data", data, "PartitionKey", pk);
    } else if (b->mode == M_LIST_STREAMS) {
        body = json_object();
    } else {
        json_t *recs = json_array();
        for (int i = 0; i < modes[b->mode].batch; i++) {
            random_b64(data, rb);
            snprintf(pk, sizeof pk, "pk-%d-%d", t, i);
            json_array_append_new(recs, json_pack("{s:s, s:s}", "Data", data, "PartitionKey", pk));
        }
        body = json_pack("{s:s, s:o}", "StreamName", b->stream, "Records", recs);
    }
    char *s = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    *len = s ? strlen(s) : 0;
    return s;
}

static const char *mode_op(enum mode m)
{
    switch (m) {
    case M_PUT_RECORDS_100:
    case M_PUT_RECORDS_500:
        return "PutRecords";
    case M_PUT_RECORD:
        return "PutRecord";
    case M_LIST_STREAMS:
        return "ListStreams";
    default:
        return "GetRecords";
    }
}

static int build_templates(bench *b)
{
    int n = modes[b->mode].templates;
    b->tmpl = calloc((size_t)(n ? n : 1), sizeof *b->tmpl);
    b->tmpl_len = calloc((size_t)(n ? n : 1), sizeof *b->tmpl_len);
    if (!b->tmpl || !b->tmpl_len)
        return -1;
    for (int t = 0; t < n; t++) {
        size_t bl;
        char *body = build_body(b, t, &bl);
        if (!body)
            return -1;
        b->tmpl[t] =
            wire_build_request("POST", "/", b->host_port, mode_op(b->mode), body, bl, &b->tmpl_len[t]);
        if (b->h2_streams) {
            if (!b->body && (!(b->body = calloc((size_t)n, sizeof *b->body)) ||
                             !(b->body_len = calloc((size_t)n, sizeof *b->body_len))))
                return -1;
            b->body[t] = body;
            b->body_len[t] = bl;
        } else {
            free(body);
        }
        if (!b->tmpl[t])
            return -1;
    }
    b->n_tmpl = n;
    if (is_get(b->mode)) {
        json_t *j = json_pack("{s:s, s:s, s:s}", "StreamName", b->stream, "ShardId", "shardId-000000000000",
                              "ShardIteratorType", "TRIM_HORIZON");
        char *s = json_dumps(j, JSON_COMPACT);
        json_decref(j);
        if (!s)
            return -1;
        b->gsi_req =
            wire_build_request("POST", "/", b->host_port, "GetShardIterator", s, strlen(s), &b->gsi_len);
        free(s);
        if (!b->gsi_req)
            return -1;
    }
    return 0;
}

/* ---- setup ---- */

/* Pre-fill a GetRecords stream (one shard) with GET_PREFILL records of the mode's size. */
static int prefill(bench *b, wire_conn *c, char *err, size_t err_len)
{
    char data[2048];
    int done = 0;
    for (int round = 0; round < 200 && done < GET_PREFILL; round++) {
        json_t *recs = json_array();
        int n = GET_PREFILL - done < 500 ? GET_PREFILL - done : 500;
        for (int i = 0; i < n; i++) {
            char pk[32];
            random_b64(data, modes[b->mode].rec_bytes);
            snprintf(pk, sizeof pk, "pk-%d", done + i);
            json_array_append_new(recs, json_pack("{s:s, s:s}", "Data", data, "PartitionKey", pk));
        }
        json_t *req = json_pack("{s:s, s:o}", "StreamName", b->stream, "Records", recs);
        int st;
        json_t *ans = wire_kinesis(c, "PutRecords", req, 30000, &st, err, err_len);
        json_decref(req);
        if (st < 0)
            return -1;
        long long failed = json_integer_value(json_object_get(ans, "FailedRecordCount"));
        json_decref(ans);
        if (st == 200) {
            done += n - (int)failed;
            b->acked_records += n - failed;
        } else {
            struct timespec ts = {0, 50 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
    }
    if (done < GET_PREFILL) {
        snprintf(err, err_len, "pre-fill stored only %d of %d records", done, GET_PREFILL);
        return -1;
    }
    return 0;
}

/* ---- the event loop ---- */

static int conn_open(bench *b, conn *c)
{
    wire_conn w;
    char err[256];
    if (wire_connect(&w, b->host, b->port, 5000, err, sizeof err) != 0) {
        if (!b->first_error[0])
            snprintf(b->first_error, sizeof b->first_error, "%s", err);
        return -1;
    }
    c->fd = w.fd;
    c->want_out = 0;
    c->busy = 0;
    c->in_len = 0;
    c->head.head_len = 0;
    c->phase = 0;
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
    if (epoll_ctl(b->epfd, EPOLL_CTL_ADD, c->fd, &ev) != 0) {
        close(c->fd);
        c->fd = -1;
        return -1;
    }
    return 0;
}

static void conn_drop(bench *b, conn *c)
{
    if (c->fd >= 0) {
        epoll_ctl(b->epfd, EPOLL_CTL_DEL, c->fd, NULL);
        close(c->fd);
    }
    c->fd = -1;
    c->busy = 0;
    free(c->own_out);
    c->own_out = NULL;
}

static void set_out_interest(bench *b, conn *c, int want)
{
    if (c->want_out == want)
        return;
    struct epoll_event ev = {.events = EPOLLIN | (want ? EPOLLOUT : 0), .data.ptr = c};
    epoll_ctl(b->epfd, EPOLL_CTL_MOD, c->fd, &ev);
    c->want_out = want;
}

/* Send what can be sent now; -1 when the connection failed. */
static int conn_flush(bench *b, conn *c)
{
    while (c->out_off < c->out_len) {
        ssize_t w = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
        if (w > 0) {
            c->out_off += (size_t)w;
        } else if (w < 0 && errno == EINTR) {
            continue;
        } else if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            set_out_interest(b, c, 1);
            return 0;
        } else {
            return -1;
        }
    }
    set_out_interest(b, c, 0);
    return 0;
}

static int in_window(const bench *b, int64_t t)
{
    return t >= b->t_win0 && t < b->t_win1;
}

/* Start this connection's next request; 0 when none started (stopping), -1 on failure. */
static int conn_start(bench *b, conn *c)
{
    if (b->stopping)
        return 0;
    if (b->max_requests > 0 && b->started >= b->max_requests) {
        b->stopping = 1;
        return 0;
    }
    free(c->own_out);
    c->own_out = NULL;
    if (is_get(b->mode) && c->phase == 0) {
        c->out = b->gsi_req;
        c->out_len = b->gsi_len;
    } else if (!is_get(b->mode)) {
        unsigned t = c->next_tmpl++ % (unsigned)b->n_tmpl;
        c->out = b->tmpl[t];
        c->out_len = b->tmpl_len[t];
    } else {
        return -1; /* GetRecords requests are started by on_answer */
    }
    c->out_off = 0;
    c->busy = 1;
    c->sent_us = wire_now_us();
    b->started++;
    return conn_flush(b, c) == 0 ? 1 : -1;
}

/* Count occurrences of needle in [s, s+n). */
static long long count_str(const char *s, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    long long count = 0;
    const char *p = s, *e = s + n;
    while (p < e) {
        const char *q = wire_find(p, (size_t)(e - p), needle, k);
        if (!q)
            break;
        count++;
        p = q + k;
    }
    return count;
}

/* Value of `"FailedRecordCount": N`; -1 when absent. */
static long long failed_count(const char *s, size_t n)
{
    const char *k = "\"FailedRecordCount\"";
    const char *q = wire_find(s, n, k, strlen(k));
    if (!q)
        return -1;
    q += strlen(k);
    const char *e = s + n;
    while (q < e && (*q == ' ' || *q == ':'))
        q++;
    long long v = 0;
    int digits = 0;
    while (q < e && *q >= '0' && *q <= '9' && digits < 18) {
        v = v * 10 + (*q++ - '0');
        digits++;
    }
    return digits ? v : -1;
}

static void account(bench *b, int status, const char *body, size_t len, int64_t sent_us, int64_t now);

/* A whole answer arrived on c. Returns 1 when c started its next request, 0 when idle. */
static int on_answer(bench *b, conn *c, int status, const char *body, size_t len)
{
    int64_t now = wire_now_us();
    int win = in_window(b, now);
    c->busy = 0;
    if (is_get(b->mode) && c->phase == 0) {
        if (status != 200) {
            if (win)
                b->err_requests++;
            note_error(b, "GetShardIterator", status, body, len);
            return conn_start(b, c);
        }
        json_t *j = json_loadb(body, len, 0, NULL);
        const char *it = json_string_value(json_object_get(j, "ShardIterator"));
        if (!it || b->stopping) {
            if (!it && win)
                b->err_requests++;
            json_decref(j);
            return b->stopping ? 0 : conn_start(b, c);
        }
        json_t *g = json_pack("{s:s, s:i}", "ShardIterator", it, "Limit", 10000);
        json_decref(j);
        char *s = json_dumps(g, JSON_COMPACT);
        json_decref(g);
        if (!s)
            return -1;
        size_t rl;
        c->own_out = wire_build_request("POST", "/", b->host_port, "GetRecords", s, strlen(s), &rl);
        free(s);
        if (!c->own_out)
            return -1;
        c->out = c->own_out;
        c->out_len = rl;
        c->out_off = 0;
        c->phase = 1;
        c->busy = 1;
        c->sent_us = now;
        b->started++;
        return conn_flush(b, c) == 0 ? 1 : -1;
    }
    account(b, status, body, len, c->sent_us, now);
    if (is_get(b->mode))
        c->phase = 0;
    return conn_start(b, c);
}

/* Count one answer of the load (not a GetShardIterator) sent at sent_us, received at now. */
static void account(bench *b, int status, const char *body, size_t len, int64_t sent_us, int64_t now)
{
    int win = in_window(b, now);
    uint64_t lat = (uint64_t)(now - sent_us);
    if (status == 200)
        b->all_answers++;
    if (status != 200) {
        if (win)
            b->err_requests++;
        note_error(b, mode_op(b->mode), status, body, len);
    } else if (modes[b->mode].batch > 0) {
        long long batch = modes[b->mode].batch;
        long long failed = b->mode == M_PUT_RECORD ? 0 : failed_count(body, len);
        if (failed < 0 || failed > batch) {
            failed = batch; /* an answer we cannot read acknowledges nothing */
            note_error(b, "unreadable PutRecords answer", status, body, len);
        }
        b->acked_records += batch - failed;
        b->all_records += batch - failed;
        if (win) {
            if (failed)
                b->err_requests++;
            else
                b->ok_requests++;
            b->records += batch - failed;
            b->rec_errors += failed;
            b->bytes += (batch - failed) * modes[b->mode].rec_bytes;
            hist_record(&b->lat, lat);
        }
        if (failed)
            note_error(b, "PutRecords FailedRecordCount", (int)failed, body, len);
    } else {
        long long n = is_get(b->mode) ? count_str(body, len, "\"SequenceNumber\"") : 0;
        b->all_records += n;
        if (win) {
            b->ok_requests++;
            hist_record(&b->lat, lat);
            b->records += n;
            b->bytes += n * modes[b->mode].rec_bytes;
        }
    }
}

/* Read what is there; handle a complete answer. -1: connection is gone. */
static int conn_read(bench *b, conn *c)
{
    for (int spins = 0; spins < 64; spins++) {
        if (c->in_cap - c->in_len < 65536) {
            size_t ncap = c->in_cap ? c->in_cap * 2 : 262144;
            char *nb = realloc(c->in, ncap);
            if (!nb)
                return -1;
            c->in = nb;
            c->in_cap = ncap;
        }
        ssize_t n = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, 0);
        if (n == 0)
            return -1;
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return 0;
            return -1;
        }
        c->in_len += (size_t)n;
        if (!c->busy) {
            note_error(b, "bytes without a request", 0, c->in, c->in_len);
            return -1;
        }
        int complete;
        if (c->head.head_len) {
            complete = c->in_len >= c->head.head_len + c->head.body_len;
        } else {
            char err[128];
            complete = wire_parse_response(c->in, c->in_len, &c->head, err, sizeof err);
            if (complete < 0) {
                note_error(b, err, 0, NULL, 0);
                return -1;
            }
        }
        if (complete) {
            size_t total = c->head.head_len + c->head.body_len;
            if (c->in_len != total) {
                note_error(b, "extra bytes after an answer", 0, NULL, 0);
                return -1;
            }
            wire_resp r = c->head;
            c->head.head_len = 0;
            c->in_len = 0;
            if (on_answer(b, c, r.status, c->in + r.head_len, r.body_len) < 0)
                return -1;
            if (r.conn_close)
                return -1;
            return 0;
        }
    }
    return 0;
}

/* ---- the HTTP/2 load (--h2-streams) ---- */

#define H2_MAX_STREAMS 128

typedef struct h2req {
    int32_t id; /* 0: free slot */
    const char *body;
    size_t body_len, body_off;
    int64_t sent_us;
    int status;
    char *resp;
    size_t resp_len;
} h2req;

typedef struct h2conn {
    bench *b;
    int fd;
    nghttp2_session *s;
    int want_out;
    int in_flight;
    unsigned next_tmpl;
    int dead;
    h2req req[H2_MAX_STREAMS];
} h2conn;

static h2req *h2_find(h2conn *c, int32_t id)
{
    for (int i = 0; i < c->b->h2_streams; i++)
        if (c->req[i].id == id)
            return &c->req[i];
    return NULL;
}

static ssize_t h2_send_cb(nghttp2_session *s, const uint8_t *data, size_t len, int flags, void *ud)
{
    (void)s;
    (void)flags;
    h2conn *c = ud;
    ssize_t n = send(c->fd, data, len, MSG_NOSIGNAL);
    if (n < 0)
        return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? NGHTTP2_ERR_WOULDBLOCK
                                                                         : NGHTTP2_ERR_CALLBACK_FAILURE;
    return n;
}

static int h2_header_cb(nghttp2_session *s, const nghttp2_frame *f, const uint8_t *name, size_t nl,
                        const uint8_t *value, size_t vl, uint8_t flags, void *ud)
{
    (void)s;
    (void)flags;
    (void)vl;
    h2req *r = h2_find(ud, f->hd.stream_id);
    if (r && nl == 7 && !memcmp(name, ":status", 7))
        r->status = atoi((const char *)value);
    return 0;
}

static int h2_data_cb(nghttp2_session *s, uint8_t flags, int32_t id, const uint8_t *data, size_t len,
                      void *ud)
{
    (void)s;
    (void)flags;
    h2req *r = h2_find(ud, id);
    if (!r)
        return 0;
    char *p = realloc(r->resp, r->resp_len + len + 1);
    if (!p)
        return NGHTTP2_ERR_CALLBACK_FAILURE;
    memcpy(p + r->resp_len, data, len);
    r->resp = p;
    r->resp_len += len;
    return 0;
}

static ssize_t h2_body_cb(nghttp2_session *s, int32_t id, uint8_t *buf, size_t len, uint32_t *flags,
                          nghttp2_data_source *src, void *ud)
{
    (void)s;
    (void)id;
    (void)ud;
    h2req *r = src->ptr;
    size_t n = r->body_len - r->body_off;
    if (n > len)
        n = len;
    memcpy(buf, r->body + r->body_off, n);
    r->body_off += n;
    if (r->body_off == r->body_len)
        *flags |= NGHTTP2_DATA_FLAG_EOF;
    return (ssize_t)n;
}

static int h2_start(h2conn *c, h2req *r);

static int h2_close_cb(nghttp2_session *s, int32_t id, uint32_t error_code, void *ud)
{
    (void)s;
    h2conn *c = ud;
    h2req *r = h2_find(c, id);
    if (!r)
        return 0;
    bench *b = c->b;
    int64_t now = wire_now_us();
    if (error_code || !r->status) {
        b->conn_errors++;
        if (in_window(b, now))
            b->err_requests++;
        note_error(b, "HTTP/2 stream reset", (int)error_code, NULL, 0);
    } else {
        account(b, r->status, r->resp ? r->resp : "", r->resp_len, r->sent_us, now);
    }
    free(r->resp);
    memset(r, 0, sizeof *r);
    c->in_flight--;
    if (!b->stopping)
        h2_start(c, r);
    return 0;
}

static nghttp2_nv h2_nv(const char *name, const char *value)
{
    nghttp2_nv v = {(uint8_t *)name, (uint8_t *)value, strlen(name), strlen(value), NGHTTP2_NV_FLAG_NONE};
    return v;
}

/* Submit the next request of the load on slot r; 0 when none (stopping), -1 on failure. */
static int h2_start(h2conn *c, h2req *r)
{
    bench *b = c->b;
    if (b->stopping)
        return 0;
    if (b->max_requests > 0 && b->started >= b->max_requests) {
        b->stopping = 1;
        return 0;
    }
    const char *amz_date;
    const char *auth = wire_auth(&amz_date);
    char target[64];
    snprintf(target, sizeof target, "Kinesis_20131202.%s", mode_op(b->mode));
    nghttp2_nv nva[] = {h2_nv(":method", "POST"),
                        h2_nv(":scheme", "http"),
                        h2_nv(":path", "/"),
                        h2_nv(":authority", b->host_port),
                        h2_nv("content-type", "application/x-amz-json-1.1"),
                        h2_nv("x-amz-target", target),
                        h2_nv("x-amz-date", amz_date),
                        h2_nv("authorization", auth)};
    unsigned t = c->next_tmpl++ % (unsigned)b->n_tmpl;
    r->body = b->body[t];
    r->body_len = b->body_len[t];
    r->body_off = 0;
    r->status = 0;
    r->sent_us = wire_now_us();
    nghttp2_data_provider prd = {.source.ptr = r, .read_callback = h2_body_cb};
    int32_t id = nghttp2_submit_request(c->s, NULL, nva, sizeof nva / sizeof nva[0], &prd, NULL);
    if (id < 0)
        return -1;
    r->id = id;
    c->in_flight++;
    b->started++;
    return 1;
}

static void h2_drop(bench *b, h2conn *c)
{
    if (c->fd >= 0) {
        epoll_ctl(b->epfd, EPOLL_CTL_DEL, c->fd, NULL);
        close(c->fd);
        c->fd = -1;
    }
    if (c->s)
        nghttp2_session_del(c->s);
    c->s = NULL;
    for (int i = 0; i < H2_MAX_STREAMS; i++) {
        free(c->req[i].resp);
        c->req[i].resp = NULL;
    }
}

static int h2_open(bench *b, h2conn *c)
{
    memset(c, 0, sizeof *c);
    c->b = b;
    wire_conn w;
    char err[256];
    if (wire_connect(&w, b->host, b->port, 5000, err, sizeof err) != 0) {
        c->fd = -1;
        if (!b->first_error[0])
            snprintf(b->first_error, sizeof b->first_error, "%s", err);
        return -1;
    }
    c->fd = w.fd;
    nghttp2_session_callbacks *cbs;
    if (nghttp2_session_callbacks_new(&cbs) != 0)
        return -1;
    nghttp2_session_callbacks_set_send_callback(cbs, h2_send_cb);
    nghttp2_session_callbacks_set_on_header_callback(cbs, h2_header_cb);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, h2_data_cb);
    nghttp2_session_callbacks_set_on_stream_close_callback(cbs, h2_close_cb);
    int rv = nghttp2_session_client_new(&c->s, cbs, c);
    nghttp2_session_callbacks_del(cbs);
    if (rv != 0)
        return -1;
    nghttp2_settings_entry set[] = {{NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, H2_MAX_STREAMS}};
    nghttp2_submit_settings(c->s, NGHTTP2_FLAG_NONE, set, 1);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
    return epoll_ctl(b->epfd, EPOLL_CTL_ADD, c->fd, &ev);
}

/* Write what nghttp2 has; ask for EPOLLOUT when the socket is full. -1: the connection failed. */
static int h2_pump(bench *b, h2conn *c)
{
    if (nghttp2_session_send(c->s) != 0)
        return -1;
    int want = nghttp2_session_want_write(c->s);
    if (want != c->want_out) {
        struct epoll_event ev = {.events = EPOLLIN | (want ? EPOLLOUT : 0), .data.ptr = c};
        epoll_ctl(b->epfd, EPOLL_CTL_MOD, c->fd, &ev);
        c->want_out = want;
    }
    return 0;
}

static int h2_read(h2conn *c)
{
    uint8_t buf[65536];
    for (int spins = 0; spins < 64; spins++) {
        ssize_t n = recv(c->fd, buf, sizeof buf, 0);
        if (n == 0)
            return -1;
        if (n < 0)
            return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
        if (nghttp2_session_mem_recv(c->s, buf, (size_t)n) < 0)
            return -1;
    }
    return 0;
}

/* The clock starts: warm-up, then the measured window. */
static void window_start(bench *b)
{
    b->t_start = wire_now_us();
    b->t_win0 = b->t_start + (int64_t)(b->warmup * 1e6);
    b->t_win1 = b->t_win0 + (int64_t)(b->seconds * 1e6);
}

static int run_load_h2(bench *b)
{
    b->epfd = epoll_create1(EPOLL_CLOEXEC);
    b->h2 = calloc((size_t)b->n_conns, sizeof *b->h2);
    if (b->epfd < 0 || !b->h2)
        return -1;
    hist_init(&b->lat);
    for (int i = 0; i < b->n_conns; i++)
        if (h2_open(b, &b->h2[i]) != 0)
            return -1;
    window_start(b);
    for (int i = 0; i < b->n_conns; i++) {
        for (int k = 0; k < b->h2_streams; k++)
            if (h2_start(&b->h2[i], &b->h2[i].req[k]) < 0)
                return -1;
        if (h2_pump(b, &b->h2[i]) != 0)
            return -1;
    }
    struct epoll_event evs[64];
    int64_t hard_end = b->t_win1 + (int64_t)(b->drain * 1e6);
    for (long long iter = 0; iter < 2000000000LL; iter++) {
        int64_t now = wire_now_us();
        if (now >= b->t_win1)
            b->stopping = 1;
        long long busy = 0;
        for (int i = 0; i < b->n_conns; i++)
            busy += b->h2[i].fd >= 0 ? b->h2[i].in_flight : 0;
        if ((b->stopping && !busy) || now >= hard_end)
            break;
        int n = epoll_wait(b->epfd, evs, 64, 10);
        for (int i = 0; i < n; i++) {
            h2conn *c = evs[i].data.ptr;
            if (c->fd < 0)
                continue;
            int bad = (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) && h2_read(c) != 0;
            if (!bad)
                bad = h2_pump(b, c) != 0;
            if (bad) {
                b->conn_errors += c->in_flight;
                if (in_window(b, wire_now_us()))
                    b->err_requests += c->in_flight;
                note_error(b, "HTTP/2 connection lost", 0, NULL, 0);
                b->unanswered += c->in_flight;
                c->in_flight = 0;
                h2_drop(b, c); /* not reopened: a lost connection is an error of the run */
            }
        }
    }
    for (int i = 0; i < b->n_conns; i++) {
        if (b->h2[i].fd >= 0)
            b->unanswered += b->h2[i].in_flight;
        h2_drop(b, &b->h2[i]);
    }
    return 0;
}

static int run_load(bench *b)
{
    b->epfd = epoll_create1(EPOLL_CLOEXEC);
    b->conns = calloc((size_t)b->n_conns, sizeof *b->conns);
    if (b->epfd < 0 || !b->conns)
        return -1;
    hist_init(&b->lat);
    for (int i = 0; i < b->n_conns; i++) {
        b->conns[i].fd = -1;
        if (conn_open(b, &b->conns[i]) != 0)
            return -1;
    }
    window_start(b);
    for (int i = 0; i < b->n_conns; i++)
        if (conn_start(b, &b->conns[i]) < 0)
            conn_drop(b, &b->conns[i]);
    struct epoll_event evs[64];
    int64_t hard_end = b->t_win1 + (int64_t)(b->drain * 1e6);
    for (long long iter = 0; iter < 2000000000LL; iter++) {
        int64_t now = wire_now_us();
        if (now >= b->t_win1)
            b->stopping = 1;
        int busy = 0;
        for (int i = 0; i < b->n_conns; i++) {
            conn *c = &b->conns[i];
            if (c->busy)
                busy++;
            else if (!b->stopping && c->fd < 0 && b->reconnects < 1000) {
                b->reconnects++;
                if (conn_open(b, c) == 0 && conn_start(b, c) < 0)
                    conn_drop(b, c);
                else if (c->fd >= 0)
                    busy++;
            }
        }
        if ((b->stopping && !busy) || now >= hard_end)
            break;
        int n = epoll_wait(b->epfd, evs, 64, 10);
        for (int i = 0; i < n; i++) {
            conn *c = evs[i].data.ptr;
            if (c->fd < 0)
                continue;
            int bad = 0;
            if (evs[i].events & EPOLLOUT)
                bad = conn_flush(b, c) != 0;
            if (!bad && (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)))
                bad = conn_read(b, c) != 0;
            if (bad) {
                if (c->busy) {
                    b->conn_errors++;
                    if (in_window(b, wire_now_us()))
                        b->err_requests++;
                    note_error(b, "connection lost", 0, NULL, 0);
                }
                conn_drop(b, c);
            }
        }
    }
    long long in_flight = 0;
    for (int i = 0; i < b->n_conns; i++) {
        if (b->conns[i].busy)
            in_flight++;
        conn_drop(b, &b->conns[i]);
        free(b->conns[i].in);
    }
    b->unanswered = in_flight; /* still unanswered when the drain ended */
    return 0;
}

/* ---- modes of the program ---- */

static int parse_endpoint(const char *ep, char *host, size_t host_len, int *port)
{
    if (!strncmp(ep, "http://", 7))
        ep += 7;
    const char *colon = strrchr(ep, ':');
    if (!colon || colon == ep || (size_t)(colon - ep) >= host_len)
        return -1;
    memcpy(host, ep, (size_t)(colon - ep));
    host[colon - ep] = '\0';
    if (!strcmp(host, "localhost"))
        snprintf(host, host_len, "127.0.0.1");
    char *end;
    long p = strtol(colon + 1, &end, 10);
    if ((*end && *end != '/') || p <= 0 || p > 65535)
        return -1;
    *port = (int)p;
    return 0;
}

static void usage(void)
{
    fprintf(stderr,
            "usage: loadgen run --endpoint HOST:PORT --mode MODE --stream NAME [--seconds S]\n"
            "                   [--warmup S] [--drain S] [--connections N] [--h2-streams M]\n"
            "                   [--shards N]\n"
            "                   [--max-requests N]\n"
            "       loadgen count --endpoint HOST:PORT --stream NAME\n"
            "       loadgen startup [--runs N] [--probe health|list] [--idle-ms MS] -- CMD ARG...\n"
            "       loadgen probe --endpoint HOST:PORT [--probe health|list]\n"
            "       loadgen free-port\n"
            "modes: put-records-100 put-records-500 put-record get-records get-records-1k list-streams\n");
}

static int cmd_run(bench *b, int shards)
{
    char err[512];
    wire_conn c;
    if (wire_connect(&c, b->host, b->port, 5000, err, sizeof err) != 0) {
        fprintf(stderr, "loadgen: %s\n", err);
        return 1;
    }
    if (b->h2_streams && is_get(b->mode)) {
        fprintf(stderr, "loadgen: --h2-streams does not apply to get-records\n");
        wire_close(&c);
        return 2;
    }
    if (b->mode != M_LIST_STREAMS || b->stream[0]) {
        if (!b->stream[0]) {
            fprintf(stderr, "loadgen: --stream is required for %s\n", modes[b->mode].name);
            wire_close(&c);
            return 2;
        }
        if (wire_ensure_stream(&c, b->stream, is_get(b->mode) ? 1 : shards, 60000, err, sizeof err) != 0 ||
            (is_get(b->mode) && prefill(b, &c, err, sizeof err) != 0)) {
            fprintf(stderr, "loadgen: setup: %s\n", err);
            wire_close(&c);
            return 1;
        }
    }
    wire_close(&c);
    if (build_templates(b) != 0) {
        fprintf(stderr, "loadgen: cannot build the requests\n");
        return 1;
    }
    if ((b->h2_streams ? run_load_h2(b) : run_load(b)) != 0) {
        fprintf(stderr, "loadgen: %s\n", b->first_error[0] ? b->first_error : "cannot start");
        return 1;
    }
    double s = b->seconds;
    printf("RESULT mode=%s%s connections=%d seconds=%.2f requests=%lld errors=%lld records=%lld "
           "record_errors=%lld rps=%.1f recs=%.1f mbps=%.2f p50_ms=%.3f p99_ms=%.3f "
           "p999_ms=%.3f max_ms=%.3f acked=%lld all_answers=%lld all_records=%lld conn_errors=%lld "
           "unanswered=%lld stream=%s first_error=%s\n",
           modes[b->mode].name, b->h2_streams ? "-h2" : "", b->n_conns, s, b->ok_requests, b->err_requests,
           b->records, b->rec_errors, (double)b->ok_requests / s, (double)b->records / s,
           (double)b->bytes / s / 1e6, (double)hist_quantile(&b->lat, 0.50) / 1000.0,
           (double)hist_quantile(&b->lat, 0.99) / 1000.0, (double)hist_quantile(&b->lat, 0.999) / 1000.0,
           (double)b->lat.max / 1000.0, b->acked_records, b->all_answers, b->all_records, b->conn_errors,
           b->unanswered, b->stream[0] ? b->stream : "-", b->first_error[0] ? b->first_error : "-");
    for (int t = 0; t < b->n_tmpl; t++) {
        free(b->tmpl[t]);
        if (b->body)
            free(b->body[t]);
    }
    free(b->body);
    free(b->body_len);
    free(b->h2);
    free(b->tmpl);
    free(b->tmpl_len);
    free(b->gsi_req);
    free(b->conns);
    close(b->epfd);
    return 0;
}

/* Read every record of every shard; prints "COUNT stream=S shards=N records=M". */
static int cmd_count(const char *host, int port, const char *stream)
{
    char err[512];
    wire_conn c;
    int st;
    if (wire_connect(&c, host, port, 5000, err, sizeof err) != 0) {
        fprintf(stderr, "loadgen: %s\n", err);
        return 1;
    }
    json_t *req = json_pack("{s:s}", "StreamName", stream);
    json_t *ans = wire_kinesis(&c, "DescribeStream", req, 30000, &st, err, sizeof err);
    json_decref(req);
    json_t *shards = json_object_get(json_object_get(ans, "StreamDescription"), "Shards");
    if (st != 200 || !json_is_array(shards)) {
        fprintf(stderr, "loadgen: DescribeStream %s: %d %s\n", stream, st, st < 0 ? err : "");
        json_decref(ans);
        wire_close(&c);
        return 1;
    }
    long long total = 0;
    int64_t deadline = wire_now_us() + 300 * 1000000LL;
    size_t i;
    json_t *sh;
    int rc = 0;
    json_array_foreach(shards, i, sh)
    {
        const char *id = json_string_value(json_object_get(sh, "ShardId"));
        req = json_pack("{s:s, s:s, s:s}", "StreamName", stream, "ShardId", id ? id : "", "ShardIteratorType",
                        "TRIM_HORIZON");
        json_t *g = wire_kinesis(&c, "GetShardIterator", req, 30000, &st, err, sizeof err);
        json_decref(req);
        char *it = NULL;
        const char *s = json_string_value(json_object_get(g, "ShardIterator"));
        if (st == 200 && s)
            it = strdup(s);
        json_decref(g);
        if (!it) {
            fprintf(stderr, "loadgen: GetShardIterator %s: %d\n", id ? id : "?", st);
            rc = 1;
            break;
        }
        for (int call = 0; call < 1000000 && it && wire_now_us() < deadline; call++) {
            req = json_pack("{s:s, s:i}", "ShardIterator", it, "Limit", 10000);
            json_t *r = wire_kinesis(&c, "GetRecords", req, 60000, &st, err, sizeof err);
            json_decref(req);
            free(it);
            it = NULL;
            if (st != 200) {
                fprintf(stderr, "loadgen: GetRecords: %d %s\n", st, st < 0 ? err : "");
                json_decref(r);
                rc = 1;
                break;
            }
            size_t n = json_array_size(json_object_get(r, "Records"));
            total += (long long)n;
            json_t *behind = json_object_get(r, "MillisBehindLatest");
            const char *next = json_string_value(json_object_get(r, "NextShardIterator"));
            if (next && (n > 0 || (behind && json_integer_value(behind) > 0)))
                it = strdup(next);
            json_decref(r);
        }
        free(it);
        if (rc)
            break;
    }
    if (!rc)
        printf("COUNT stream=%s shards=%zu records=%lld\n", stream, json_array_size(shards), total);
    json_decref(ans);
    wire_close(&c);
    return rc;
}

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t sl = sizeof sa;
    int port = -1;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
        getsockname(fd, (struct sockaddr *)&sa, &sl) == 0)
        port = ntohs(sa.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

/* arg with every {PORT} and {PORT2} replaced; NULL when it has none (or on OOM). */
static char *subst_ports(const char *arg, int port, int port2)
{
    if (!strstr(arg, "{PORT"))
        return NULL;
    size_t cap = strlen(arg) + 64, o = 0;
    char *out = malloc(cap);
    if (!out)
        return NULL;
    for (const char *p = arg; *p && o + 8 < cap;) {
        if (!strncmp(p, "{PORT}", 6)) {
            o += (size_t)snprintf(out + o, cap - o, "%d", port);
            p += 6;
        } else if (!strncmp(p, "{PORT2}", 7)) {
            o += (size_t)snprintf(out + o, cap - o, "%d", port2);
            p += 7;
        } else {
            out[o++] = *p++;
        }
    }
    out[o] = '\0';
    return out;
}

static long rss_kib(pid_t pid, const char *field)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    long v = -1;
    size_t k = strlen(field);
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, field, k) && line[k] == ':')
            v = strtol(line + k + 1, NULL, 10);
    if (f)
        fclose(f);
    return v;
}

/* One request: GET /_sim/health, or ListStreams; 0 when it answered 200. */
static int cmd_probe(const char *host, int port, int list_probe)
{
    char host_port[80], err[256];
    snprintf(host_port, sizeof host_port, "%s:%d", host, port);
    size_t rl;
    char *req = list_probe ? wire_build_request("POST", "/", host_port, "ListStreams", "{}", 2, &rl)
                           : wire_build_request("GET", "/_sim/health", host_port, NULL, NULL, 0, &rl);
    wire_conn c;
    int st = 0, rc = 1;
    char *body = NULL;
    size_t bl;
    if (req && wire_connect(&c, host, port, 1000, err, sizeof err) == 0) {
        if (wire_roundtrip(&c, req, rl, 5000, &st, &body, &bl, err, sizeof err) == 0 && st == 200)
            rc = 0;
        wire_close(&c);
    }
    free(body);
    free(req);
    return rc;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void stop_child(pid_t pid)
{
    kill(pid, SIGTERM);
    for (int i = 0; i < 500; i++) {
        if (waitpid(pid, NULL, WNOHANG) == pid)
            return;
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

static int cmd_startup(int runs, int list_probe, int idle_ms, char **argv, int argc)
{
    double ms[64], rss[64];
    if (runs < 1 || runs > 64 || argc < 1)
        return 2;
    for (int r = 0; r < runs; r++) {
        int port = free_port();
        if (port < 0)
            return 1;
        int port2 = free_port();
        char **av = calloc((size_t)argc + 1, sizeof *av);
        char *owned[64] = {0};
        if (!av || port2 < 0)
            return 1;
        for (int i = 0; i < argc; i++)
            av[i] = (i < 64 && (owned[i] = subst_ports(argv[i], port, port2))) ? owned[i] : argv[i];
        char host_port[32];
        snprintf(host_port, sizeof host_port, "127.0.0.1:%d", port);
        size_t rl;
        char *req = list_probe ? wire_build_request("POST", "/", host_port, "ListStreams", "{}", 2, &rl)
                               : wire_build_request("GET", "/_sim/health", host_port, NULL, NULL, 0, &rl);
        int64_t t0 = wire_now_us();
        pid_t pid = fork();
        if (pid == 0) {
            int dn = open("/dev/null", O_RDWR);
            if (dn >= 0) {
                dup2(dn, 1);
                dup2(dn, 2);
            }
            execvp(av[0], av);
            _exit(127);
        }
        for (int i = 0; i < argc && i < 64; i++)
            free(owned[i]);
        free(av);
        if (pid < 0 || !req) {
            free(req);
            return 1;
        }
        double got = -1;
        for (long spin = 0; spin < 2000000 && wire_now_us() - t0 < 60 * 1000000LL; spin++) {
            if (waitpid(pid, NULL, WNOHANG) == pid) {
                pid = -1;
                break;
            }
            wire_conn c;
            char err[256];
            int st = 0;
            char *body = NULL;
            size_t bl;
            if (wire_connect(&c, "127.0.0.1", port, 1000, err, sizeof err) == 0) {
                if (wire_roundtrip(&c, req, rl, 5000, &st, &body, &bl, err, sizeof err) == 0 && st == 200) {
                    got = (double)(wire_now_us() - t0) / 1000.0;
                }
                free(body);
                wire_close(&c);
                if (got >= 0)
                    break;
            }
            struct timespec ts = {0, 200 * 1000};
            nanosleep(&ts, NULL);
        }
        free(req);
        if (got < 0) {
            fprintf(stderr, "loadgen: the server %s before answering\n",
                    pid < 0 ? "exited" : "did not answer in 60 s");
            if (pid > 0)
                stop_child(pid);
            return 1;
        }
        struct timespec idle = {idle_ms / 1000, (long)(idle_ms % 1000) * 1000000L};
        nanosleep(&idle, NULL);
        ms[r] = got;
        rss[r] = (double)rss_kib(pid, "VmRSS") / 1024.0;
        stop_child(pid);
    }
    qsort(ms, (size_t)runs, sizeof ms[0], cmp_double);
    qsort(rss, (size_t)runs, sizeof rss[0], cmp_double);
    printf("STARTUP runs=%d median_ms=%.2f min_ms=%.2f max_ms=%.2f idle_rss_mib=%.1f\n", runs, ms[runs / 2],
           ms[0], ms[runs - 1], rss[runs / 2]);
    return 0;
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    if (argc < 2) {
        usage();
        return 2;
    }
    const char *cmd = argv[1];
    static bench b;
    memset(&b, 0, sizeof b);
    b.mode = -1;
    b.seconds = 5;
    b.warmup = 1;
    b.drain = 30;
    b.n_conns = 16;
    int shards = 4, runs = 5, list_probe = 0, idle_ms = 300, have_ep = 0;
    int i = 2;
    for (; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--")) {
            i++;
            break;
        }
        if (!v) {
            fprintf(stderr, "loadgen: %s needs a value\n", a);
            return 2;
        }
        i++;
        if (!strcmp(a, "--endpoint")) {
            if (parse_endpoint(v, b.host, sizeof b.host, &b.port) != 0) {
                fprintf(stderr, "loadgen: bad --endpoint '%s' (want HOST:PORT)\n", v);
                return 2;
            }
            snprintf(b.host_port, sizeof b.host_port, "%s:%d", b.host, b.port);
            have_ep = 1;
        } else if (!strcmp(a, "--mode")) {
            for (int m = 0; m < N_MODES; m++)
                if (!strcmp(v, modes[m].name))
                    b.mode = m;
            if ((int)b.mode < 0) {
                fprintf(stderr, "loadgen: unknown mode '%s'\n", v);
                usage();
                return 2;
            }
        } else if (!strcmp(a, "--stream")) {
            snprintf(b.stream, sizeof b.stream, "%s", v);
        } else if (!strcmp(a, "--seconds") || !strcmp(a, "--warmup") || !strcmp(a, "--drain")) {
            char *end;
            double d = strtod(v, &end);
            if (*end || d < 0 || d > 3600 || (a[2] == 's' && d <= 0)) {
                fprintf(stderr, "loadgen: bad %s '%s'\n", a, v);
                return 2;
            }
            *(a[2] == 's' ? &b.seconds : a[2] == 'w' ? &b.warmup : &b.drain) = d;
        } else if (!strcmp(a, "--probe")) {
            if (strcmp(v, "health") != 0 && strcmp(v, "list") != 0) {
                fprintf(stderr, "loadgen: --probe is health or list, not '%s'\n", v);
                return 2;
            }
            list_probe = !strcmp(v, "list");
        } else {
            char *end;
            long n = strtol(v, &end, 10);
            int ok = !*end && n >= 0;
            if (ok && !strcmp(a, "--connections") && n >= 1 && n <= MAX_CONNS)
                b.n_conns = (int)n;
            else if (ok && !strcmp(a, "--h2-streams") && n <= H2_MAX_STREAMS)
                b.h2_streams = (int)n;
            else if (ok && !strcmp(a, "--shards") && n >= 1 && n <= 1000)
                shards = (int)n;
            else if (ok && !strcmp(a, "--max-requests"))
                b.max_requests = n;
            else if (ok && !strcmp(a, "--runs") && n >= 1 && n <= 64)
                runs = (int)n;
            else if (ok && !strcmp(a, "--idle-ms") && n <= 60000)
                idle_ms = (int)n;
            else {
                fprintf(stderr, "loadgen: unknown option or bad value: %s %s\n", a, v);
                usage();
                return 2;
            }
        }
    }
    if (!strcmp(cmd, "free-port")) {
        int port = free_port();
        if (port < 0)
            return 1;
        printf("%d\n", port);
        return 0;
    }
    if (!strcmp(cmd, "startup"))
        return cmd_startup(runs, list_probe, idle_ms, argv + i, argc - i);
    if (!have_ep) {
        fprintf(stderr, "loadgen: --endpoint is required\n");
        return 2;
    }
    if (!strcmp(cmd, "probe"))
        return cmd_probe(b.host, b.port, list_probe);
    if (!strcmp(cmd, "count")) {
        if (!b.stream[0]) {
            fprintf(stderr, "loadgen: --stream is required\n");
            return 2;
        }
        return cmd_count(b.host, b.port, b.stream);
    }
    if (!strcmp(cmd, "run")) {
        if ((int)b.mode < 0) {
            fprintf(stderr, "loadgen: --mode is required\n");
            return 2;
        }
        return cmd_run(&b, shards);
    }
    usage();
    return 2;
}
