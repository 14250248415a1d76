/* fanout.c: the fan-out load of `make bench` (mode fan-out in ci/bench/run): enhanced fan-out
 * delivery while producers write.
 *
 *   fanout --endpoint HOST:PORT --stream NAME [--shards 4] [--consumers 5] [--producers 4]
 *          [--producer-streams 1] [--batch 100] [--record-bytes 100] [--rate R] [--seconds 5]
 *          [--warmup 1] [--drain 30] [--delete]
 *
 * It creates the stream, registers the consumers (RegisterStreamConsumer, then waits for ACTIVE),
 * opens one SubscribeToShard per consumer and shard from TRIM_HORIZON (one HTTP/2 connection per
 * consumer, cleartext with prior knowledge, as the AWS SDKs speak to an http:// endpoint), waits
 * for every subscription's first event, and then starts the producers: --producers HTTP/2 connections with
 * --producer-streams PutRecords (--batch records of --record-bytes) in flight each, as fast as
 * answers come, or at --rate records/s in all. Each record carries its id and send time
 * (fanout_check.h). The clock: --warmup seconds, then the measured window of --seconds; after it
 * no PutRecords starts, and the load waits (at most --drain seconds) for the answers in flight
 * and for every consumer to have received every acknowledged record.
 *
 * The check: each consumer got every acknowledged record of each shard exactly once, in sequence
 * number order, and nothing that was not stored (fo_verify). A failed check prints the RESULT
 * line and exits 1. Exit 3: the server has no SubscribeToShard (or no RegisterStreamConsumer, or
 * no HTTP/2), so the caller can print "-". --delete deletes the stream (and its consumers) at the
 * end. Output: one line "RESULT mode=fan-out key=value ..." on stdout; the keys are listed at
 * print_result. Loopback only; every wait is bounded. */
#include <errno.h>
#include <jansson.h>
#include <nghttp2/nghttp2.h>
#include <openssl/evp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fanout_check.h"
#include "hist.h"
#include "wire.h"

#define MAX_PRODUCERS 64
#define MAX_PRODUCER_STREAMS 32
#define MAX_BATCH 500
#define N_TEMPLATES 8
#define SUB_OPEN_TIMEOUT_US (15 * 1000000LL)
#define STREAM_WINDOW (1 << 20)      /* per-stream receive window we announce */
#define CONNECTION_WINDOW (16 << 20) /* connection-level receive window */

enum { K_SUB, K_PUT };

struct fo;

typedef struct fo_conn {
    struct fo *f;
    int fd;
    nghttp2_session *s;
    int want_out;
    int in_flight; /* PutRecords (producers) or open subscriptions (consumers) */
} fo_conn;

/* One HTTP/2 stream: a subscription or a PutRecords. */
typedef struct fo_req {
    int kind;
    fo_conn *conn;
    int32_t id;
    char *body;
    size_t body_len, body_off;
    int status;
    char *resp; /* a PutRecords answer, or a subscription's error answer */
    size_t resp_len;
    int closed;
    int reset; /* we cancelled it (a subscription that could not be read on) */
    /* PutRecords */
    uint64_t first_id;
    int n;
    /* subscription */
    fo_sub sub;
} fo_req;

typedef struct fo {
    char host[64];
    int port;
    char host_port[80];
    char stream[129];
    int shards, consumers, producers, pstreams, batch, rec_bytes, delete_after;
    double seconds, warmup, drain, rate;
    char *shard_ids[FO_MAX_SHARDS];
    char *consumer_arn[FO_MAX_CONSUMERS];
    int epfd;
    fo_conn ccons[FO_MAX_CONSUMERS], pcons[MAX_PRODUCERS];
    fo_req subs[FO_MAX_CONSUMERS][FO_MAX_SHARDS];
    fo_req puts[MAX_PRODUCERS][MAX_PRODUCER_STREAMS];
    /* PutRecords bodies: N_TEMPLATES pre-built, with where each record's data starts */
    char *tmpl[N_TEMPLATES];
    size_t tmpl_len[N_TEMPLATES];
    size_t *data_off[N_TEMPLATES];
    unsigned next_tmpl;
    fo_ledger led;
    int64_t t_start, t_win0, t_win1;
    int stopping;
    int closing; /* the run is over: subscriptions closing now are ours to close */
    long long started_records;
    /* in the window */
    long long ok_requests, err_requests, put_records, rec_errors, delivered, delivered_bytes;
    hist lat;
    /* all */
    long long acked, failed_entries, conn_errors, sub_errors, unanswered;
    char first_error[256];
} fo;

static void note_error(fo *f, const char *fmt, const char *detail)
{
    if (f->first_error[0])
        return;
    snprintf(f->first_error, sizeof f->first_error, "%s%s%.160s", fmt, detail ? " " : "",
             detail ? detail : "");
    for (char *p = f->first_error; *p; p++)
        if (*p == '\n' || *p == '\r' || *p == ' ')
            *p = '_';
}

static int in_window(const fo *f, int64_t t)
{
    return t >= f->t_win0 && t < f->t_win1;
}

/* ---- setup over HTTP/1.1 ---- */

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* 1: the answer says the server does not know the operation. */
static int unknown_op(int status, json_t *ans)
{
    const char *t = json_string_value(json_object_get(ans, "__type"));
    return status == 404 || status == 501 ||
           (status == 400 && t && (strstr(t, "UnknownOperation") || strstr(t, "NotImplemented")));
}

/* Returns 0, 1 on failure, 3 when the server lacks enhanced fan-out. */
static int setup(fo *f)
{
    char err[512];
    wire_conn c;
    int st, rc = 1;
    if (wire_connect(&c, f->host, f->port, 5000, err, sizeof err) != 0) {
        fprintf(stderr, "fanout: %s\n", err);
        return 1;
    }
    json_t *req = NULL, *ans = NULL;
    if (wire_ensure_stream(&c, f->stream, f->shards, 60000, err, sizeof err) != 0) {
        fprintf(stderr, "fanout: setup: %s\n", err);
        goto out;
    }
    req = json_pack("{s:s}", "StreamName", f->stream);
    ans = wire_kinesis(&c, "DescribeStream", req, 30000, &st, err, sizeof err);
    json_t *sd = json_object_get(ans, "StreamDescription");
    json_t *shards = json_object_get(sd, "Shards");
    const char *arn = json_string_value(json_object_get(sd, "StreamARN"));
    if (st != 200 || !arn || !json_is_array(shards) || json_array_size(shards) != (size_t)f->shards) {
        fprintf(stderr, "fanout: DescribeStream %s: %d, %zu shards\n", f->stream, st,
                json_array_size(shards));
        goto out;
    }
    char stream_arn[512];
    snprintf(stream_arn, sizeof stream_arn, "%s", arn);
    for (int i = 0; i < f->shards; i++) {
        const char *id = json_string_value(json_object_get(json_array_get(shards, (size_t)i), "ShardId"));
        if (!id || !(f->shard_ids[i] = strdup(id)))
            goto out;
    }
    json_decref(req);
    json_decref(ans);
    req = ans = NULL;
    for (int i = 0; i < f->consumers; i++) {
        char name[64];
        snprintf(name, sizeof name, "fanout-%d", i);
        req = json_pack("{s:s, s:s}", "StreamARN", stream_arn, "ConsumerName", name);
        ans = wire_kinesis(&c, "RegisterStreamConsumer", req, 30000, &st, err, sizeof err);
        const char *carn =
            json_string_value(json_object_get(json_object_get(ans, "Consumer"), "ConsumerARN"));
        if (st != 200 || !carn) {
            const char *t = json_string_value(json_object_get(ans, "__type"));
            fprintf(stderr, "fanout: RegisterStreamConsumer: %d %s %s\n", st, t ? t : "", st < 0 ? err : "");
            rc = unknown_op(st, ans) ? 3 : 1;
            goto out;
        }
        f->consumer_arn[i] = strdup(carn);
        json_decref(req);
        json_decref(ans);
        req = ans = NULL;
        if (!f->consumer_arn[i])
            goto out;
    }
    /* every consumer ACTIVE, at most 60 s */
    int64_t deadline = wire_now_us() + 60 * 1000000LL;
    for (int i = 0; i < f->consumers; i++) {
        for (;;) {
            req = json_pack("{s:s}", "ConsumerARN", f->consumer_arn[i]);
            ans = wire_kinesis(&c, "DescribeStreamConsumer", req, 30000, &st, err, sizeof err);
            const char *s = json_string_value(
                json_object_get(json_object_get(ans, "ConsumerDescription"), "ConsumerStatus"));
            int active = st == 200 && s && !strcmp(s, "ACTIVE");
            json_decref(req);
            json_decref(ans);
            req = ans = NULL;
            if (active)
                break;
            if (st < 0 || wire_now_us() > deadline) {
                fprintf(stderr, "fanout: consumer %d did not become ACTIVE (%d %s)\n", i, st,
                        st < 0 ? err : "");
                goto out;
            }
            sleep_ms(20);
        }
    }
    rc = 0;
out:
    json_decref(req);
    json_decref(ans);
    wire_close(&c);
    return rc;
}

/* Delete the stream and its consumers (--delete). */
static void delete_stream(fo *f)
{
    char err[256];
    wire_conn c;
    int st;
    if (wire_connect(&c, f->host, f->port, 5000, err, sizeof err) != 0)
        return;
    json_t *req = json_pack("{s:s, s:b}", "StreamName", f->stream, "EnforceConsumerDeletion", 1);
    json_decref(wire_kinesis(&c, "DeleteStream", req, 30000, &st, err, sizeof err));
    json_decref(req);
    if (st != 200)
        fprintf(stderr, "fanout: DeleteStream %s: %d\n", f->stream, st);
    wire_close(&c);
}

/* ---- PutRecords bodies ---- */

static uint64_t rng_state = 0x2545f4914f6cdd1dULL;
static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* {"StreamName":"S","Records":[{"Data":"<b64>","PartitionKey":"fo-T-I"},...]} with the offset of
 * each record's data, whose first FO_HDR_B64 characters are patched per request. */
static int build_templates(fo *f)
{
    size_t b64_len = 4 * (((size_t)f->rec_bytes + 2) / 3);
    unsigned char *raw = malloc((size_t)f->rec_bytes), *b64 = malloc(b64_len + 1);
    int rc = -1;
    if (!raw || !b64)
        goto out;
    for (int t = 0; t < N_TEMPLATES; t++) {
        size_t cap = 64 + strlen(f->stream) + (size_t)f->batch * (b64_len + 64);
        char *p = malloc(cap);
        f->data_off[t] = calloc((size_t)f->batch, sizeof(size_t));
        f->tmpl[t] = p;
        if (!p || !f->data_off[t])
            goto out;
        size_t n = (size_t)snprintf(p, cap, "{\"StreamName\":\"%s\",\"Records\":[", f->stream);
        for (int i = 0; i < f->batch; i++) {
            for (int k = 0; k < f->rec_bytes; k++)
                raw[k] = (unsigned char)rng();
            EVP_EncodeBlock(b64, raw, f->rec_bytes);
            n += (size_t)snprintf(p + n, cap - n, "%s{\"Data\":\"", i ? "," : "");
            f->data_off[t][i] = n;
            n += (size_t)snprintf(p + n, cap - n, "%s\",\"PartitionKey\":\"fo-%d-%d\"}", (const char *)b64, t,
                                  i);
        }
        n += (size_t)snprintf(p + n, cap - n, "]}");
        f->tmpl_len[t] = n;
    }
    rc = 0;
out:
    free(raw);
    free(b64);
    return rc;
}

/* ---- HTTP/2 ---- */

static ssize_t send_cb(nghttp2_session *s, const uint8_t *data, size_t len, int flags, void *ud)
{
    (void)s;
    (void)flags;
    fo_conn *c = ud;
    ssize_t n = send(c->fd, data, len, MSG_NOSIGNAL);
    if (n < 0)
        return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? NGHTTP2_ERR_WOULDBLOCK
                                                                         : NGHTTP2_ERR_CALLBACK_FAILURE;
    return n;
}

static int header_cb(nghttp2_session *s, const nghttp2_frame *fr, const uint8_t *name, size_t nl,
                     const uint8_t *value, size_t vl, uint8_t flags, void *ud)
{
    (void)flags;
    (void)vl;
    (void)ud;
    fo_req *r = nghttp2_session_get_stream_user_data(s, fr->hd.stream_id);
    if (r && nl == 7 && !memcmp(name, ":status", 7))
        r->status = atoi((const char *)value);
    return 0;
}

/* A delivered record: latency and bytes when it arrives inside the window. */
static void on_record(void *ud, uint64_t send_us, size_t bytes)
{
    fo *f = ud;
    int64_t now = wire_now_us();
    if (!in_window(f, now))
        return;
    f->delivered++;
    f->delivered_bytes += (long long)bytes;
    hist_record(&f->lat, now > (int64_t)send_us ? (uint64_t)(now - (int64_t)send_us) : 0);
}

static int data_cb(nghttp2_session *s, uint8_t flags, int32_t id, const uint8_t *data, size_t len, void *ud)
{
    (void)flags;
    fo_conn *c = ud;
    fo_req *r = nghttp2_session_get_stream_user_data(s, id);
    if (!r)
        return 0;
    if (r->kind == K_SUB && r->status == 200) {
        if (fo_sub_feed(&r->sub, &c->f->led, data, len, on_record, c->f) != 0 && !r->closed && !r->reset) {
            /* an exception or unreadable bytes: the subscription is over */
            r->reset = 1;
            nghttp2_submit_rst_stream(s, NGHTTP2_FLAG_NONE, id, NGHTTP2_CANCEL);
        }
        return 0;
    }
    if (r->resp_len + len > ((size_t)64 << 20))
        return NGHTTP2_ERR_CALLBACK_FAILURE;
    char *p = realloc(r->resp, r->resp_len + len + 1);
    if (!p)
        return NGHTTP2_ERR_CALLBACK_FAILURE;
    memcpy(p + r->resp_len, data, len);
    p[r->resp_len + len] = '\0';
    r->resp = p;
    r->resp_len += len;
    return 0;
}

static ssize_t body_cb(nghttp2_session *s, int32_t id, uint8_t *buf, size_t len, uint32_t *flags,
                       nghttp2_data_source *src, void *ud)
{
    (void)s;
    (void)id;
    (void)ud;
    fo_req *r = src->ptr;
    size_t n = r->body_len - r->body_off;
    if (n > len)
        n = len;
    memcpy(buf, r->body + r->body_off, n);
    r->body_off += n;
    if (r->body_off == r->body_len)
        *flags |= NGHTTP2_DATA_FLAG_EOF;
    return (ssize_t)n;
}

static nghttp2_nv mk_nv(const char *name, const char *value)
{
    nghttp2_nv v = {(uint8_t *)name, (uint8_t *)value, strlen(name), strlen(value), NGHTTP2_NV_FLAG_NONE};
    return v;
}

static int submit(fo *f, fo_conn *c, fo_req *r, const char *op)
{
    const char *amz_date;
    const char *auth = wire_auth(&amz_date);
    char target[64];
    snprintf(target, sizeof target, "Kinesis_20131202.%s", op);
    nghttp2_nv nva[] = {mk_nv(":method", "POST"),
                        mk_nv(":scheme", "http"),
                        mk_nv(":path", "/"),
                        mk_nv(":authority", f->host_port),
                        mk_nv("content-type", "application/x-amz-json-1.1"),
                        mk_nv("x-amz-target", target),
                        mk_nv("x-amz-date", amz_date),
                        mk_nv("authorization", auth)};
    r->conn = c;
    r->body_off = 0;
    r->status = 0;
    r->closed = 0;
    nghttp2_data_provider prd = {.source.ptr = r, .read_callback = body_cb};
    int32_t id = nghttp2_submit_request(c->s, NULL, nva, sizeof nva / sizeof nva[0], &prd, r);
    if (id < 0)
        return -1;
    r->id = id;
    c->in_flight++;
    return 0;
}

/* Start the next PutRecords on slot r: 1 started, 0 not now (stopping, or --rate says wait). */
static int put_start(fo *f, fo_conn *c, fo_req *r)
{
    if (f->stopping || !c->s)
        return 0;
    int64_t now = wire_now_us();
    if (f->rate > 0 && f->started_records >= (long long)(f->rate * (double)(now - f->t_start) / 1e6))
        return 0;
    int64_t first = fo_ledger_take(&f->led, f->batch);
    if (first < 0) {
        note_error(f, "the record ledger is full (FO_MAX_IDS): stopping the producers", NULL);
        f->stopping = 1;
        return 0;
    }
    unsigned t = f->next_tmpl++ % N_TEMPLATES;
    r->kind = K_PUT;
    r->body_len = f->tmpl_len[t];
    r->body = malloc(r->body_len);
    if (!r->body)
        return 0;
    memcpy(r->body, f->tmpl[t], r->body_len);
    for (int i = 0; i < f->batch; i++)
        fo_hdr_b64((uint64_t)first + (uint64_t)i, (uint64_t)now, r->body + f->data_off[t][i]);
    r->first_id = (uint64_t)first;
    r->n = f->batch;
    if (submit(f, c, r, "PutRecords") != 0) {
        free(r->body);
        r->body = NULL;
        for (int i = 0; i < f->batch; i++)
            fo_ledger_set(&f->led, (uint64_t)first + (uint64_t)i, FO_FAILED);
        return 0;
    }
    f->started_records += f->batch;
    return 1;
}

static void put_done(fo *f, fo_req *r, uint32_t error_code)
{
    int64_t now = wire_now_us();
    int win = in_window(f, now);
    if (error_code || !r->status) {
        f->conn_errors++;
        if (win)
            f->err_requests++;
        note_error(f, "PutRecords stream reset", NULL);
        fo_put_answer(&f->led, r->first_id, r->n, -1, NULL, 0, f->shard_ids, f->shards, &f->acked,
                      &f->failed_entries);
    } else {
        long long acked = 0, failed = 0;
        if (fo_put_answer(&f->led, r->first_id, r->n, r->status, r->resp, r->resp_len, f->shard_ids,
                          f->shards, &acked, &failed) != 0)
            note_error(f, "PutRecords answer not understood", r->resp);
        if (r->status != 200)
            note_error(f, "PutRecords answered", r->resp);
        else if (failed)
            note_error(f, "PutRecords entries failed", r->resp);
        f->acked += acked;
        f->failed_entries += failed;
        if (win) {
            if (r->status == 200) {
                f->ok_requests++;
                f->put_records += acked;
                f->rec_errors += failed;
            } else {
                f->err_requests++;
            }
        }
    }
    free(r->body);
    free(r->resp);
    r->body = r->resp = NULL;
    r->resp_len = 0;
    r->n = 0;
}

static int close_cb(nghttp2_session *s, int32_t id, uint32_t error_code, void *ud)
{
    fo_conn *c = ud;
    fo *f = c->f;
    fo_req *r = nghttp2_session_get_stream_user_data(s, id);
    if (!r || r->closed)
        return 0;
    r->closed = 1;
    c->in_flight--;
    if (r->kind == K_PUT) {
        put_done(f, r, error_code);
        put_start(f, c, r);
        return 0;
    }
    /* a subscription ended: before we close it, and but at a closed shard's end, an error */
    if (!f->closing && (r->sub.error[0] || r->status != 200 || !r->sub.ended)) {
        f->sub_errors++;
        char what[320];
        snprintf(what, sizeof what, "consumer %d shard %d: %d %s%s", r->sub.consumer, r->sub.shard, r->status,
                 r->sub.error[0] ? r->sub.error : "ended early", r->resp ? r->resp : "");
        note_error(f, "SubscribeToShard", what);
    }
    return 0;
}

static void conn_drop(fo *f, fo_conn *c)
{
    if (c->fd >= 0) {
        epoll_ctl(f->epfd, EPOLL_CTL_DEL, c->fd, NULL);
        close(c->fd);
    }
    c->fd = -1;
    if (c->s)
        nghttp2_session_del(c->s);
    c->s = NULL;
}

static int conn_open(fo *f, fo_conn *c)
{
    memset(c, 0, sizeof *c);
    c->f = f;
    c->fd = -1;
    wire_conn w;
    char err[256];
    if (wire_connect(&w, f->host, f->port, 5000, err, sizeof err) != 0) {
        note_error(f, err, NULL);
        return -1;
    }
    c->fd = w.fd;
    nghttp2_session_callbacks *cbs;
    if (nghttp2_session_callbacks_new(&cbs) != 0)
        return -1;
    nghttp2_session_callbacks_set_send_callback(cbs, send_cb);
    nghttp2_session_callbacks_set_on_header_callback(cbs, header_cb);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, data_cb);
    nghttp2_session_callbacks_set_on_stream_close_callback(cbs, close_cb);
    int rv = nghttp2_session_client_new(&c->s, cbs, c);
    nghttp2_session_callbacks_del(cbs);
    if (rv != 0)
        return -1;
    nghttp2_settings_entry set[] = {{NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, 128},
                                    {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, STREAM_WINDOW}};
    if (nghttp2_submit_settings(c->s, NGHTTP2_FLAG_NONE, set, 2) != 0 ||
        nghttp2_session_set_local_window_size(c->s, NGHTTP2_FLAG_NONE, 0, CONNECTION_WINDOW) != 0)
        return -1;
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
    return epoll_ctl(f->epfd, EPOLL_CTL_ADD, c->fd, &ev);
}

/* Write what nghttp2 has; EPOLLOUT while the socket is full. -1: the connection failed. */
static int conn_pump(fo *f, fo_conn *c)
{
    if (!c->s || nghttp2_session_send(c->s) != 0)
        return -1;
    int want = nghttp2_session_want_write(c->s);
    if (want != c->want_out) {
        struct epoll_event ev = {.events = EPOLLIN | (want ? EPOLLOUT : 0), .data.ptr = c};
        epoll_ctl(f->epfd, EPOLL_CTL_MOD, c->fd, &ev);
        c->want_out = want;
    }
    return 0;
}

static int conn_read(fo_conn *c)
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

/* A connection failed: everything in flight on it is lost (and counted). */
static void conn_fail(fo *f, fo_conn *c)
{
    fo_req *slots = NULL;
    int n = 0;
    for (int i = 0; i < f->consumers && !slots; i++)
        if (c == &f->ccons[i]) {
            slots = f->subs[i];
            n = f->shards;
        }
    for (int i = 0; i < f->producers && !slots; i++)
        if (c == &f->pcons[i]) {
            slots = f->puts[i];
            n = f->pstreams;
        }
    for (int k = 0; k < n; k++) {
        fo_req *r = &slots[k];
        if (!r->id || r->closed)
            continue;
        r->closed = 1;
        if (r->kind == K_PUT) {
            f->unanswered++;
            put_done(f, r, NGHTTP2_INTERNAL_ERROR);
        } else {
            f->sub_errors++;
            note_error(f, "SubscribeToShard connection lost", NULL);
        }
    }
    c->in_flight = 0;
    conn_drop(f, c);
}

/* Handle what epoll reported, for at most wait_ms. */
static void poll_once(fo *f, int wait_ms)
{
    struct epoll_event evs[64];
    int n = epoll_wait(f->epfd, evs, 64, wait_ms);
    for (int i = 0; i < n; i++) {
        fo_conn *c = evs[i].data.ptr;
        if (c->fd < 0)
            continue;
        int bad = (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) && conn_read(c) != 0;
        if (!bad)
            bad = conn_pump(f, c) != 0;
        if (bad)
            conn_fail(f, c);
    }
}

static void pump_all(fo *f)
{
    for (int i = 0; i < f->consumers; i++)
        if (f->ccons[i].s && conn_pump(f, &f->ccons[i]) != 0)
            conn_fail(f, &f->ccons[i]);
    for (int i = 0; i < f->producers; i++)
        if (f->pcons[i].s && conn_pump(f, &f->pcons[i]) != 0)
            conn_fail(f, &f->pcons[i]);
}

/* ---- the run ---- */

/* Open every subscription and wait for its first event. 0, 1 on failure, 3 unsupported. */
static int open_subscriptions(fo *f)
{
    for (int i = 0; i < f->consumers; i++) {
        if (conn_open(f, &f->ccons[i]) != 0)
            return 1;
        for (int s = 0; s < f->shards; s++) {
            fo_req *r = &f->subs[i][s];
            json_t *j = json_pack("{s:s, s:s, s:{s:s}}", "ConsumerARN", f->consumer_arn[i], "ShardId",
                                  f->shard_ids[s], "StartingPosition", "Type", "TRIM_HORIZON");
            r->body = json_dumps(j, JSON_COMPACT);
            json_decref(j);
            if (!r->body)
                return 1;
            r->body_len = strlen(r->body);
            r->kind = K_SUB;
            r->sub.consumer = i;
            r->sub.shard = s;
            if (submit(f, &f->ccons[i], r, "SubscribeToShard") != 0)
                return 1;
        }
    }
    pump_all(f);
    int64_t deadline = wire_now_us() + SUB_OPEN_TIMEOUT_US;
    while (wire_now_us() < deadline) {
        int ready = 0, done = 0, refused = 0;
        for (int i = 0; i < f->consumers; i++)
            for (int s = 0; s < f->shards; s++) {
                fo_req *r = &f->subs[i][s];
                /* kinesis-mock sends no initial-response: its first event says the same */
                ready += r->status == 200 && (r->sub.got_initial || r->sub.events > 0) && !r->closed;
                done += r->closed;
                refused += r->closed && r->status != 200;
            }
        if (ready == f->consumers * f->shards)
            return 0;
        if (done) {
            /* the first answers tell whether the server has SubscribeToShard over HTTP/2 at all */
            fo_req *r = &f->subs[0][0];
            fprintf(stderr, "fanout: %d subscriptions ended before the load: %s\n", done,
                    f->first_error[0] ? f->first_error : "-");
            int none = refused == done && ready == 0 &&
                       (r->status == 0 || r->status == 404 || r->status == 501 ||
                        (r->status == 400 && r->resp && strstr(r->resp, "UnknownOperation")));
            return none ? 3 : 1;
        }
        poll_once(f, 20);
        pump_all(f);
    }
    fprintf(stderr, "fanout: the subscriptions did not all open within %lld s\n",
            SUB_OPEN_TIMEOUT_US / 1000000);
    return 1;
}

static int run_load(fo *f)
{
    for (int i = 0; i < f->producers; i++)
        if (conn_open(f, &f->pcons[i]) != 0)
            return 1;
    f->t_start = wire_now_us();
    f->t_win0 = f->t_start + (int64_t)(f->warmup * 1e6);
    f->t_win1 = f->t_win0 + (int64_t)(f->seconds * 1e6);
    int64_t hard_end = f->t_win1 + (int64_t)(f->drain * 1e6);
    int64_t next_check = 0;
    for (long long iter = 0; iter < 2000000000LL; iter++) {
        int64_t now = wire_now_us();
        if (now >= f->t_win1)
            f->stopping = 1;
        int busy = 0;
        for (int i = 0; i < f->producers; i++) {
            fo_conn *c = &f->pcons[i];
            busy += c->in_flight;
            if (!f->stopping && c->s && c->in_flight < f->pstreams)
                for (int k = 0; k < f->pstreams; k++) {
                    fo_req *r = &f->puts[i][k];
                    if ((!r->id || r->closed) && put_start(f, c, r) == 1)
                        busy++;
                }
        }
        if (now >= hard_end)
            break;
        if (f->stopping && !busy && now >= next_check) {
            int subs_open = 0;
            for (int i = 0; i < f->consumers; i++)
                subs_open += f->ccons[i].in_flight;
            if (!subs_open || fo_caught_up(&f->led))
                break;
            next_check = now + 20000;
        }
        pump_all(f);
        poll_once(f, f->rate > 0 ? 2 : 10);
    }
    for (int i = 0; i < f->producers; i++) {
        fo_conn *c = &f->pcons[i];
        if (c->s)
            for (int k = 0; k < f->pstreams; k++) {
                fo_req *r = &f->puts[i][k];
                if (r->id && !r->closed) {
                    r->closed = 1;
                    f->unanswered++;
                    free(r->body);
                    free(r->resp);
                    r->body = r->resp = NULL;
                }
            }
        conn_drop(f, c);
    }
    return 0;
}

static void print_result(fo *f, const fo_report *rep, int failed)
{
    double s = f->seconds;
    /* rps: PutRecords answered 200 per second; put_recs: records acknowledged per second;
     * recs / records: deliveries (all consumers) per second / in the window; mbps: data bytes
     * delivered; p50_ms .. max_ms: from PutRecords sent to record delivered; acked, delivered
     * (= all_records): every record acknowledged / delivered, window or not; expected: acked x
     * consumers; lost, duplicated, misordered, wrong_shard, not_stored, foreign: the check
     * (all 0 when it passed); uncertain: records of requests without a clear answer */
    printf(
        "RESULT mode=fan-out consumers=%d shards=%d producers=%d producer_streams=%d batch=%d seconds=%.2f "
        "requests=%lld errors=%lld records=%lld record_errors=%lld rps=%.1f recs=%.1f put_recs=%.1f "
        "mbps=%.2f p50_ms=%.3f p99_ms=%.3f p999_ms=%.3f max_ms=%.3f acked=%lld delivered=%lld "
        "all_records=%lld expected=%lld lost=%lld duplicated=%lld misordered=%lld wrong_shard=%lld "
        "not_stored=%lld foreign=%lld uncertain=%lld sub_errors=%lld conn_errors=%lld unanswered=%lld "
        "check=%s stream=%s first_error=%s\n",
        f->consumers, f->shards, f->producers, f->pstreams, f->batch, s, f->ok_requests,
        f->err_requests + f->sub_errors, f->delivered, f->rec_errors, (double)f->ok_requests / s,
        (double)f->delivered / s, (double)f->put_records / s, (double)f->delivered_bytes / s / 1e6,
        (double)hist_quantile(&f->lat, 0.50) / 1000.0, (double)hist_quantile(&f->lat, 0.99) / 1000.0,
        (double)hist_quantile(&f->lat, 0.999) / 1000.0, (double)f->lat.max / 1000.0, rep->acked,
        f->led.delivered_total, f->led.delivered_total, rep->expected, rep->lost, rep->duplicated,
        rep->misordered, rep->wrong_shard, rep->not_stored, rep->foreign, rep->uncertain, f->sub_errors,
        f->conn_errors, f->unanswered, failed ? "FAILED" : "ok", f->stream,
        f->first_error[0] ? f->first_error : "-");
}

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
            "usage: fanout --endpoint HOST:PORT --stream NAME [--shards 4] [--consumers 5]\n"
            "              [--producers 4] [--producer-streams 1] [--batch 100] [--record-bytes 100]\n"
            "              [--rate RECORDS_PER_S] [--seconds 5] [--warmup 1] [--drain 30] [--delete]\n");
}

static void cleanup(fo *f)
{
    for (int i = 0; i < f->consumers; i++) {
        conn_drop(f, &f->ccons[i]);
        for (int s = 0; s < f->shards; s++) {
            free(f->subs[i][s].body);
            free(f->subs[i][s].resp);
            fo_sub_free(&f->subs[i][s].sub);
        }
        free(f->consumer_arn[i]);
    }
    for (int i = 0; i < f->producers; i++)
        for (int k = 0; k < f->pstreams; k++) {
            free(f->puts[i][k].body);
            free(f->puts[i][k].resp);
        }
    for (int s = 0; s < f->shards; s++)
        free(f->shard_ids[s]);
    for (int t = 0; t < N_TEMPLATES; t++) {
        free(f->tmpl[t]);
        free(f->data_off[t]);
    }
    fo_ledger_free(&f->led);
    if (f->epfd >= 0)
        close(f->epfd);
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    static fo f;
    f.shards = 4;
    f.consumers = 5;
    f.producers = 4;
    f.pstreams = 1;
    f.batch = 100;
    f.rec_bytes = 100;
    f.seconds = 5;
    f.warmup = 1;
    f.drain = 30;
    f.epfd = -1;
    int have_ep = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--delete")) {
            f.delete_after = 1;
            continue;
        }
        const char *v = i + 1 < argc ? argv[++i] : NULL;
        if (!v) {
            fprintf(stderr, "fanout: %s needs a value\n", a);
            usage();
            return 2;
        }
        char *end;
        double d = strtod(v, &end);
        int num = *v && !*end && d >= 0;
        int whole = num && d == (double)(long)d;
        if (!strcmp(a, "--endpoint")) {
            if (parse_endpoint(v, f.host, sizeof f.host, &f.port) != 0) {
                fprintf(stderr, "fanout: bad --endpoint '%s' (want HOST:PORT)\n", v);
                return 2;
            }
            snprintf(f.host_port, sizeof f.host_port, "%s:%d", f.host, f.port);
            have_ep = 1;
        } else if (!strcmp(a, "--stream") && strlen(v) < sizeof f.stream &&
                   strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") ==
                       strlen(v)) {
            snprintf(f.stream, sizeof f.stream, "%s", v);
        } else if (num && !strcmp(a, "--seconds") && d > 0 && d <= 3600) {
            f.seconds = d;
        } else if (num && !strcmp(a, "--warmup") && d <= 3600) {
            f.warmup = d;
        } else if (num && !strcmp(a, "--drain") && d <= 3600) {
            f.drain = d;
        } else if (num && !strcmp(a, "--rate") && d <= 1e8) {
            f.rate = d;
        } else if (whole && !strcmp(a, "--shards") && d >= 1 && d <= FO_MAX_SHARDS) {
            f.shards = (int)d;
        } else if (whole && !strcmp(a, "--consumers") && d >= 1 && d <= FO_MAX_CONSUMERS) {
            f.consumers = (int)d;
        } else if (whole && !strcmp(a, "--producers") && d >= 1 && d <= MAX_PRODUCERS) {
            f.producers = (int)d;
        } else if (whole && !strcmp(a, "--producer-streams") && d >= 1 && d <= MAX_PRODUCER_STREAMS) {
            f.pstreams = (int)d;
        } else if (whole && !strcmp(a, "--batch") && d >= 1 && d <= MAX_BATCH) {
            f.batch = (int)d;
        } else if (whole && !strcmp(a, "--record-bytes") && d >= FO_HDR_RAW && d <= 1024) {
            f.rec_bytes = (int)d;
        } else {
            fprintf(stderr, "fanout: unknown option or bad value: %s %s\n", a, v);
            usage();
            return 2;
        }
    }
    if (!have_ep || !f.stream[0]) {
        fprintf(stderr, "fanout: --endpoint and --stream are required\n");
        usage();
        return 2;
    }
    hist_init(&f.lat);
    int rc = fo_ledger_init(&f.led, f.consumers, f.shards) != 0 || build_templates(&f) != 0;
    f.epfd = epoll_create1(EPOLL_CLOEXEC);
    if (rc || f.epfd < 0) {
        fprintf(stderr, "fanout: cannot start (out of memory?)\n");
        cleanup(&f);
        return 1;
    }
    rc = setup(&f);
    if (rc == 0)
        rc = open_subscriptions(&f);
    if (rc == 0)
        rc = run_load(&f);
    if (rc == 0) {
        f.closing = 1;
        fo_report rep;
        int failed = fo_verify(&f.led, &rep) != 0 || f.sub_errors > 0;
        print_result(&f, &rep, failed);
        if (failed) {
            fprintf(stderr,
                    "fanout: check FAILED: of %lld acknowledged records x %d consumers, %lld never "
                    "delivered, %lld delivered twice, %lld out of order, %lld on the wrong shard, %lld "
                    "delivered though not stored, %lld not ours; %lld subscription errors (%s)\n",
                    rep.acked, f.consumers, rep.lost, rep.duplicated, rep.misordered, rep.wrong_shard,
                    rep.not_stored, rep.foreign, f.sub_errors, f.first_error[0] ? f.first_error : "-");
            for (int i = 0; i < f.consumers; i++)
                for (int k = 0; k < f.shards; k++) {
                    fo_req *r = &f.subs[i][k];
                    fprintf(stderr,
                            "fanout:   consumer %d shard %d: %lld of %lld records, %lld events in %lld "
                            "bytes, %zu "
                            "bytes of an unfinished event, HTTP %d%s %s\n",
                            i, k, f.led.delivered[i][k], f.led.acked[k], r->sub.events, r->sub.bytes,
                            r->sub.len, r->status, r->closed ? ", closed" : "", r->sub.error);
                }
            rc = 1;
        }
    }
    f.closing = 1;
    if (rc != 2 && f.delete_after)
        delete_stream(&f);
    cleanup(&f);
    return rc;
}
