/* http2.c: HTTP/2 server sessions on nghttp2 (see http2.h). nghttp2 is driven in memory
 * (nghttp2_session_mem_recv / mem_send), so the same code serves a plain socket and TLS; output the
 * transport cannot take yet waits in a small buffer until the loop says the socket is writable.
 * Limits (http.h): a stream still receiving its request after connection_timeout_ms is reset
 * (CANCEL) while the others go on; a connection without streams for that long gets GOAWAY and is
 * closed; a header list over max_header_bytes is answered 431, more than MAX_HEADERS headers 400. */
#include "net/http2.h"

#include <ctype.h>
#include <errno.h>
#include <nghttp2/nghttp2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dispatch/router.h"
#include "net/reqid.h"
#include "wire/codec.h"

#define MAX_CONCURRENT_STREAMS 128
#define STREAM_WINDOW (1 << 20)      /* per-stream receive window we announce */
#define CONNECTION_WINDOW (16 << 20) /* connection-level receive window */
#define MAX_HEADERS 128              /* regular headers per request */
#define MAX_HEADER_LIST (64 * 1024)
#define READ_CHUNK 16384
#define READS_PER_WAKE 64 /* bounded work per wake-up (level-triggered: the rest comes next) */

/* S_HELD: routed, its answer waits for the COMMIT of its batch (group commit, server/server.h) */
typedef enum { S_RECEIVING = 0, S_HELD, S_DELAYED, S_SENDING, S_STREAMING } stream_state;

typedef struct h2_stream {
    h2_session *s;
    int32_t id;
    stream_state state;
    int answered; /* a response was decided (do not dispatch again) */
    char *method, *path, *authority;
    sim_header *hdrs;
    size_t n_hdrs;
    int too_many_headers;
    size_t header_bytes; /* names and values so far (max_header_bytes) */
    int head_too_large;
    uint8_t *body;
    size_t len, cap;
    int too_large;
    sim_response resp;
    size_t body_off; /* how much of resp.body was sent */
    sim_stream *stream;
    uint8_t *sbuf;
    size_t slen, soff;
    int s_end;
    int64_t due_ms; /* delayed answer or next poll */
    int64_t t0;
    char request_id[SIM_REQUEST_ID_LEN];
    char target[128];
    sim_held hold; /* while S_HELD */
    struct h2_stream *prev, *next;
} h2_stream;

/* Output gathered before one write to the transport, and the buffer an idle connection may keep. */
#define FLUSH_GATHER ((size_t)64 * 1024)
#define FLUSH_KEEP ((size_t)128 * 1024)

struct h2_session {
    sim_http *h;
    sim_conn *conn; /* the loop's connection that carries it (ticked when held answers are released) */
    nghttp2_session *ng;
    h2_io io;
    uint8_t *pend; /* output not yet taken by the transport */
    size_t pend_len, pend_off, pend_cap;
    h2_stream *streams;
    int broken;            /* transport error */
    int64_t idle_since_ms; /* when the last stream went (connection_timeout_ms applies while none) */
    int going_away;        /* GOAWAY sent for idleness */
};

/* ---- streams ---- */

static void stream_unlink(h2_stream *st)
{
    h2_session *s = st->s;
    if (st->prev)
        st->prev->next = st->next;
    else if (s->streams == st)
        s->streams = st->next;
    if (st->next)
        st->next->prev = st->prev;
    st->prev = st->next = NULL;
}

static void stream_free(h2_stream *st)
{
    sim_http *h = st->s->h;
    if (st->state == S_HELD)
        sim_http_held_drop(h, &st->hold);
    if (st->stream || st->resp.stream) {
        sim_http_lock(h);
        if (st->stream)
            st->stream->close(st->stream);
        sim_response_clean_up(&st->resp);
        sim_http_unlock(h);
    } else {
        sim_response_clean_up(&st->resp);
    }
    for (size_t i = 0; i < st->n_hdrs; i++) {
        free(st->hdrs[i].name);
        free(st->hdrs[i].value);
    }
    free(st->hdrs);
    free(st->method);
    free(st->path);
    free(st->authority);
    free(st->body);
    free(st->sbuf);
    free(st);
}

/* ---- answering ---- */

static ssize_t body_read(nghttp2_session *ng, int32_t id, uint8_t *buf, size_t length, uint32_t *flags,
                         nghttp2_data_source *src, void *ud)
{
    (void)ng;
    (void)id;
    (void)ud;
    h2_stream *st = src->ptr;
    size_t left = st->resp.body_len - st->body_off;
    size_t n = left < length ? left : length;
    if (n)
        memcpy(buf, st->resp.body + st->body_off, n);
    st->body_off += n;
    if (st->body_off >= st->resp.body_len)
        *flags |= NGHTTP2_DATA_FLAG_EOF;
    return (ssize_t)n;
}

static ssize_t stream_read(nghttp2_session *ng, int32_t id, uint8_t *buf, size_t length, uint32_t *flags,
                           nghttp2_data_source *src, void *ud)
{
    (void)ng;
    (void)id;
    (void)ud;
    h2_stream *st = src->ptr;
    size_t left = st->slen - st->soff;
    if (left == 0) {
        if (st->s_end) {
            *flags |= NGHTTP2_DATA_FLAG_EOF;
            return 0;
        }
        return NGHTTP2_ERR_DEFERRED;
    }
    size_t n = left < length ? left : length;
    memcpy(buf, st->sbuf + st->soff, n);
    st->soff += n;
    if (st->soff == st->slen && st->s_end)
        *flags |= NGHTTP2_DATA_FLAG_EOF;
    return (ssize_t)n;
}

/* Ask the producer for more (under the dispatch lock) when everything produced was sent. */
static void stream_pull(h2_stream *st, int stopping)
{
    if (st->s_end || st->soff < st->slen)
        return;
    sim_http *h = st->s->h;
    free(st->sbuf);
    st->sbuf = NULL;
    st->slen = st->soff = 0;
    sim_http_lock(h);
    sim_stream_status rc = st->stream->pull(st->stream, stopping, &st->sbuf, &st->slen);
    sim_http_unlock(h);
    if (rc == SIM_STREAM_END || stopping)
        st->s_end = 1;
    st->due_ms = st->s_end ? 0 : sim_http_mono_ms() + (st->stream->poll_ms > 0 ? st->stream->poll_ms : 200);
    if (st->slen || st->s_end)
        nghttp2_session_resume_data(st->s->ng, st->id);
}

static nghttp2_nv make_nv(const char *name, const char *value)
{
    nghttp2_nv nv = {(uint8_t *)name, (uint8_t *)value, strlen(name), strlen(value), NGHTTP2_NV_FLAG_NONE};
    return nv;
}

static void respond(h2_stream *st)
{
    h2_session *s = st->s;
    sim_response *resp = &st->resp;
    st->due_ms = 0;
    if (resp->drop_connection) {
        sim_log(SIM_LOG_DEBUG, "h2 %s %s %s -> stream reset (dropped) %s", st->method ? st->method : "-",
                st->path ? st->path : "-", st->target[0] ? st->target : "-", st->request_id);
        nghttp2_submit_rst_stream(s->ng, NGHTTP2_FLAG_NONE, st->id, NGHTTP2_INTERNAL_ERROR);
        return;
    }
    char status[16], clen[24], id2[SIM_AMZ_ID2_LEN];
    int code = resp->status >= 100 && resp->status <= 999 ? resp->status : 500;
    snprintf(status, sizeof status, "%d", code);
    snprintf(clen, sizeof clen, "%zu", resp->body_len);
    if (!resp->no_amz_id2)
        sim_amz_id2_make(id2);
    nghttp2_nv nva[5 + SIM_RESPONSE_EXTRA_MAX];
    char lower[SIM_RESPONSE_EXTRA_MAX][64];
    size_t n = 0;
    nva[n++] = make_nv(":status", status);
    if (resp->content_type[0])
        nva[n++] = make_nv("content-type", resp->content_type);
    nva[n++] = make_nv("x-amzn-requestid", st->request_id);
    if (!resp->no_amz_id2)
        nva[n++] = make_nv("x-amz-id-2", id2);
    if (!resp->stream)
        nva[n++] = make_nv("content-length", clen);
    for (size_t i = 0; i < resp->n_extra && i < SIM_RESPONSE_EXTRA_MAX; i++) {
        if (!resp->extra[i].name || !resp->extra[i].value)
            continue;
        snprintf(lower[i], sizeof lower[i], "%s", resp->extra[i].name);
        for (char *p = lower[i]; *p; p++)
            *p = (char)tolower((unsigned char)*p);
        nva[n++] = make_nv(lower[i], resp->extra[i].value);
    }
    nghttp2_data_provider prd;
    prd.source.ptr = st;
    int rv;
    if (resp->stream) {
        st->stream = resp->stream;
        resp->stream = NULL;
        st->state = S_STREAMING;
        prd.read_callback = stream_read;
        rv = nghttp2_submit_response(s->ng, st->id, nva, n, &prd);
        if (rv == 0)
            stream_pull(st, sim_http_stopping(s->h));
    } else {
        st->state = S_SENDING;
        prd.read_callback = body_read;
        rv = nghttp2_submit_response(s->ng, st->id, nva, n, resp->body_len ? &prd : NULL);
    }
    if (rv != 0)
        nghttp2_submit_rst_stream(s->ng, NGHTTP2_FLAG_NONE, st->id, NGHTTP2_INTERNAL_ERROR);
    else
        sim_http_count_h2(s->h, 1, 0);
    sim_log(SIM_LOG_DEBUG, "h2 %s %s %s -> %d%s (%lld ms) %s%s", st->method ? st->method : "-",
            st->path ? st->path : "-", st->target[0] ? st->target : "-", code, st->stream ? " stream" : "",
            (long long)(sim_http_mono_ms() - st->t0), st->request_id, resp->log_note);
}

static void answer_error(h2_stream *st, sim_error_code code, int status, const char *msg)
{
    st->answered = 1;
    sim_http_request_id(st->s->h, st->request_id, sizeof st->request_id);
    sim_response_error(&st->resp, CODEC_AWS_JSON, code, status, msg);
    respond(st);
}

static void answer_too_large(h2_stream *st, unsigned long long declared)
{
    char msg[160];
    size_t max = sim_http_server(st->s->h)->cfg.max_body_bytes;
    if (declared)
        snprintf(msg, sizeof msg, "Request body of %llu bytes exceeds the maximum of %zu bytes", declared,
                 max);
    else
        snprintf(msg, sizeof msg, "Request body exceeds the maximum of %zu bytes", max);
    answer_error(st, SIM_ERR_RequestEntityTooLarge, 413, msg);
}

static const char *find_header(const h2_stream *st, const char *name)
{
    for (size_t i = 0; i < st->n_hdrs; i++)
        if (strcasecmp(st->hdrs[i].name, name) == 0)
            return st->hdrs[i].value;
    return NULL;
}

/* The routed request's answer may leave: now, or after its delay. */
static void answer_routed(h2_stream *st)
{
    if (st->resp.delay_ms > 0 && !sim_http_stopping(st->s->h)) {
        st->state = S_DELAYED;
        st->due_ms = sim_http_mono_ms() + st->resp.delay_ms;
        return;
    }
    respond(st);
}

/* The request is complete: route it and answer (now, later for a delay, or once its batch
 * committed). */
static void request_complete(h2_stream *st)
{
    if (st->answered)
        return;
    if (st->too_large) {
        answer_too_large(st, 0);
        return;
    }
    if (st->head_too_large) {
        char msg[160];
        snprintf(msg, sizeof msg, "Request header fields exceed the maximum of %zu bytes",
                 sim_http_limits_of(st->s->h)->max_header_bytes);
        answer_error(st, SIM_ERR_SerializationException, 431, msg);
        return;
    }
    if (st->too_many_headers) {
        char msg[96];
        snprintf(msg, sizeof msg, "Too many request headers (more than %d)", MAX_HEADERS);
        answer_error(st, SIM_ERR_SerializationException, 400, msg);
        return;
    }
    st->answered = 1;
    sim_request req;
    memset(&req, 0, sizeof req);
    /* :authority stands for Host; one more slot for it */
    sim_header *hv = calloc(st->n_hdrs + 1, sizeof *hv);
    if (!hv) {
        nghttp2_submit_rst_stream(st->s->ng, NGHTTP2_FLAG_NONE, st->id, NGHTTP2_INTERNAL_ERROR);
        return;
    }
    memcpy(hv, st->hdrs, st->n_hdrs * sizeof *hv);
    req.n_headers = st->n_hdrs;
    if (st->authority && !find_header(st, "host")) {
        hv[req.n_headers].name = (char *)"host";
        hv[req.n_headers].value = st->authority;
        req.n_headers++;
    }
    req.headers = hv;
    char *q = st->path ? strchr(st->path, '?') : NULL;
    if (q)
        *q = 0; /* path and query */
    req.method = st->method ? st->method : "";
    req.path = st->path ? st->path : "/";
    req.query = q ? q + 1 : NULL;
    req.body = st->body;
    req.body_len = st->len;
    const char *target = find_header(st, "x-amz-target");
    snprintf(st->target, sizeof st->target, "%s", target ? target : "");
    st->hold.resp = &st->resp;
    st->hold.codec = (int)codec_from_content_type(find_header(st, "content-type"));
    st->hold.conn = st->s->conn;
    int held = sim_http_dispatch_batched(st->s->h, &req, &st->resp, &st->hold);
    snprintf(st->request_id, sizeof st->request_id, "%.36s", req.request_id);
    if (q)
        *q = '?';
    free(hv);
    if (held) {
        st->state = S_HELD; /* answered from the tick once the batch committed */
        return;
    }
    answer_routed(st);
}

/* ---- nghttp2 callbacks ---- */

static int on_begin_headers(nghttp2_session *ng, const nghttp2_frame *frame, void *ud)
{
    h2_session *s = ud;
    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST)
        return 0;
    h2_stream *st = calloc(1, sizeof *st);
    if (!st)
        return NGHTTP2_ERR_CALLBACK_FAILURE;
    st->s = s;
    st->id = frame->hd.stream_id;
    st->t0 = sim_http_mono_ms();
    st->next = s->streams;
    if (s->streams)
        s->streams->prev = st;
    s->streams = st;
    nghttp2_session_set_stream_user_data(ng, st->id, st);
    return 0;
}

static char *dup_n(const uint8_t *p, size_t n)
{
    char *s = malloc(n + 1);
    if (s) {
        memcpy(s, p, n);
        s[n] = 0;
    }
    return s;
}

static int on_header(nghttp2_session *ng, const nghttp2_frame *frame, const uint8_t *name, size_t namelen,
                     const uint8_t *value, size_t valuelen, uint8_t flags, void *ud)
{
    (void)flags;
    (void)ud;
    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST)
        return 0;
    h2_stream *st = nghttp2_session_get_stream_user_data(ng, frame->hd.stream_id);
    if (!st || st->head_too_large)
        return 0;
    st->header_bytes += namelen + valuelen;
    if (st->header_bytes > sim_http_limits_of(st->s->h)->max_header_bytes) {
        st->head_too_large = 1; /* answered 431 once the headers end; kept ones are freed with the stream */
        return 0;
    }
    char **pseudo = NULL;
    if (namelen && name[0] == ':') {
        if (namelen == 7 && memcmp(name, ":method", 7) == 0)
            pseudo = &st->method;
        else if (namelen == 5 && memcmp(name, ":path", 5) == 0)
            pseudo = &st->path;
        else if (namelen == 10 && memcmp(name, ":authority", 10) == 0)
            pseudo = &st->authority;
        else
            return 0; /* :scheme */
        free(*pseudo);
        *pseudo = dup_n(value, valuelen);
        return *pseudo ? 0 : NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    }
    if (st->n_hdrs >= MAX_HEADERS) {
        st->too_many_headers = 1;
        return 0;
    }
    if (!st->hdrs) {
        st->hdrs = calloc(MAX_HEADERS, sizeof *st->hdrs);
        if (!st->hdrs)
            return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    }
    char *n = dup_n(name, namelen), *v = dup_n(value, valuelen);
    if (!n || !v) {
        free(n);
        free(v);
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    }
    st->hdrs[st->n_hdrs].name = n;
    st->hdrs[st->n_hdrs].value = v;
    st->n_hdrs++;
    return 0;
}

static int on_data_chunk(nghttp2_session *ng, uint8_t flags, int32_t id, const uint8_t *data, size_t len,
                         void *ud)
{
    (void)flags;
    h2_session *s = ud;
    h2_stream *st = nghttp2_session_get_stream_user_data(ng, id);
    if (!st || st->answered || st->too_large)
        return 0; /* consumed (nghttp2 updates the window) and dropped */
    size_t max = sim_http_server(s->h)->cfg.max_body_bytes;
    if (st->len + len > max) {
        st->too_large = 1;
        free(st->body);
        st->body = NULL;
        st->len = st->cap = 0;
        return 0;
    }
    return sim_body_append(&st->body, &st->len, &st->cap, data, len) == 0
               ? 0
               : NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
}

/* content-length as a number; 0 when absent or not plain decimal. */
static unsigned long long declared_length(const h2_stream *st)
{
    const char *cl = find_header(st, "content-length");
    unsigned long long n = 0;
    for (const char *p = cl; p && *p; p++) {
        if (*p < '0' || *p > '9' || n > (~0ULL - 9) / 10)
            return 0;
        n = n * 10 + (unsigned)(*p - '0');
    }
    return n;
}

static int on_frame_recv(nghttp2_session *ng, const nghttp2_frame *frame, void *ud)
{
    h2_session *s = ud;
    if (frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA)
        return 0;
    h2_stream *st = nghttp2_session_get_stream_user_data(ng, frame->hd.stream_id);
    if (!st)
        return 0;
    if (frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
        unsigned long long declared = declared_length(st);
        if (declared > sim_http_server(s->h)->cfg.max_body_bytes) {
            st->too_large = 1;
            answer_too_large(st, declared);
            return 0;
        }
        if (declared && declared <= (1u << 20)) { /* reserve (bounded: a client may declare and not send) */
            st->body = malloc((size_t)declared);
            st->cap = st->body ? (size_t)declared : 0;
        }
    }
    if (frame->hd.flags & NGHTTP2_FLAG_END_STREAM)
        request_complete(st);
    return 0;
}

static int on_stream_close(nghttp2_session *ng, int32_t id, uint32_t error_code, void *ud)
{
    h2_stream *st = nghttp2_session_get_stream_user_data(ng, id);
    if (!st)
        return 0;
    if (st->stream)
        sim_log(SIM_LOG_DEBUG, "h2 stream %d closed (%s) after %lld ms %s", id,
                nghttp2_http2_strerror(error_code), (long long)(sim_http_mono_ms() - st->t0), st->request_id);
    nghttp2_session_set_stream_user_data(ng, id, NULL);
    stream_unlink(st);
    stream_free(st);
    h2_session *s = ud;
    if (!s->streams)
        s->idle_since_ms = sim_http_mono_ms();
    return 0;
}

/* ---- the session ---- */

h2_session *h2_session_new(sim_http *h, sim_conn *conn, h2_io io)
{
    h2_session *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->h = h;
    s->conn = conn;
    s->io = io;
    s->idle_since_ms = sim_http_mono_ms();
    nghttp2_session_callbacks *cbs;
    if (nghttp2_session_callbacks_new(&cbs) != 0) {
        free(s);
        return NULL;
    }
    nghttp2_session_callbacks_set_on_begin_headers_callback(cbs, on_begin_headers);
    nghttp2_session_callbacks_set_on_header_callback(cbs, on_header);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, on_data_chunk);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, on_frame_recv);
    nghttp2_session_callbacks_set_on_stream_close_callback(cbs, on_stream_close);
    nghttp2_option *opt = NULL;
    int rv = nghttp2_option_new(&opt);
    if (rv == 0)
        nghttp2_option_set_max_send_header_block_length(opt, MAX_HEADER_LIST);
    rv = rv == 0 ? nghttp2_session_server_new2(&s->ng, cbs, s, opt) : rv;
    nghttp2_option_del(opt);
    nghttp2_session_callbacks_del(cbs);
    if (rv != 0) {
        free(s);
        return NULL;
    }
    nghttp2_settings_entry iv[] = {
        {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, MAX_CONCURRENT_STREAMS},
        {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, STREAM_WINDOW},
        {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, MAX_HEADER_LIST},
    };
    if (nghttp2_submit_settings(s->ng, NGHTTP2_FLAG_NONE, iv, sizeof iv / sizeof iv[0]) != 0 ||
        nghttp2_session_set_local_window_size(s->ng, NGHTTP2_FLAG_NONE, 0, CONNECTION_WINDOW) != 0) {
        nghttp2_session_del(s->ng);
        free(s);
        return NULL;
    }
    return s;
}

/* Gather what nghttp2 has to send behind the pending output, up to FLUSH_GATHER bytes, so that
 * the frames of several answers (each answer is a HEADERS and a DATA frame) leave in one call to
 * the transport rather than one call per frame. 0, or -1 on an nghttp2 error or out of memory. */
static int gather(h2_session *s)
{
    while (s->pend_len - s->pend_off < FLUSH_GATHER) {
        const uint8_t *data;
        ssize_t n = nghttp2_session_mem_send(s->ng, &data);
        if (n < 0) {
            sim_log(SIM_LOG_INFO, "h2: %s", nghttp2_strerror((int)n));
            return -1;
        }
        if (n == 0)
            return 0;
        if (s->pend_off > 0) { /* what was sent goes; the rest moves to the front */
            memmove(s->pend, s->pend + s->pend_off, s->pend_len - s->pend_off);
            s->pend_len -= s->pend_off;
            s->pend_off = 0;
        }
        if (s->pend_len + (size_t)n > s->pend_cap) {
            size_t cap = s->pend_cap ? s->pend_cap : 4096;
            while (cap < s->pend_len + (size_t)n)
                cap *= 2;
            uint8_t *b = realloc(s->pend, cap);
            if (!b)
                return -1;
            s->pend = b;
            s->pend_cap = cap;
        }
        /* mem_send's buffer is only valid until its next call: copied now */
        memcpy(s->pend + s->pend_len, data, (size_t)n);
        s->pend_len += (size_t)n;
    }
    return 0;
}

/* Write pending output, then whatever nghttp2 has, until the transport would block. 0 or -1. */
static int flush(h2_session *s)
{
    for (int guard = 0; guard < 4096; guard++) {
        if (gather(s) != 0)
            return -1;
        if (s->pend_off == s->pend_len) {
            s->pend_off = s->pend_len = 0;
            if (s->pend_cap > FLUSH_KEEP) { /* a burst's buffer is not kept by an idle connection */
                free(s->pend);
                s->pend = NULL;
                s->pend_cap = 0;
            }
            return 0;
        }
        while (s->pend_off < s->pend_len) {
            ssize_t w = s->io.send(s->io.ud, s->pend + s->pend_off, s->pend_len - s->pend_off);
            if (w == H2_IO_AGAIN)
                return 0;
            if (w <= 0) {
                s->broken = 1;
                return -1;
            }
            s->pend_off += (size_t)w;
            sim_http_count_h2(s->h, 0, 1);
        }
    }
    return 0;
}

static int finished(h2_session *s)
{
    if (s->broken)
        return -1;
    if (s->pend_off < s->pend_len)
        return 0;
    return !nghttp2_session_want_read(s->ng) && !nghttp2_session_want_write(s->ng) ? -1 : 0;
}

int h2_session_io(h2_session *s)
{
    uint8_t buf[READ_CHUNK];
    int eof = 0;
    for (int i = 0; i < READS_PER_WAKE && !eof; i++) {
        if (s->pend_off < s->pend_len)
            break; /* the peer is not reading: stop reading until it does */
        ssize_t n = s->io.recv(s->io.ud, buf, sizeof buf);
        if (n == H2_IO_AGAIN)
            break;
        if (n == 0 || n == H2_IO_ERROR) {
            eof = 1;
            break;
        }
        ssize_t rv = nghttp2_session_mem_recv(s->ng, buf, (size_t)n);
        if (rv < 0) {
            sim_log(SIM_LOG_INFO, "h2: closing a connection: %s", nghttp2_strerror((int)rv));
            if (rv == NGHTTP2_ERR_BAD_CLIENT_MAGIC)
                return -1;
            nghttp2_session_terminate_session(s->ng, NGHTTP2_PROTOCOL_ERROR);
            flush(s);
            return -1;
        }
        if (flush(s) != 0)
            return -1;
    }
    if (eof)
        return -1; /* the client went away: nobody left to answer */
    if (flush(s) != 0)
        return -1;
    return finished(s);
}

/* A stream still receiving its request, and when it must be in (connection_timeout_ms). */
static int64_t receive_deadline(const h2_stream *st)
{
    if (st->answered || st->state != S_RECEIVING)
        return 0;
    return st->t0 + sim_http_limits_of(st->s->h)->connection_timeout_ms;
}

int h2_session_tick(h2_session *s, int64_t now_ms)
{
    int stopping = sim_http_stopping(s->h);
    int64_t timeout = sim_http_limits_of(s->h)->connection_timeout_ms;
    if (!s->streams && !s->going_away && now_ms >= s->idle_since_ms + timeout) {
        /* idle too long: say so and close once it is written */
        s->going_away = 1;
        nghttp2_submit_goaway(s->ng, NGHTTP2_FLAG_NONE, nghttp2_session_get_last_proc_stream_id(s->ng),
                              NGHTTP2_NO_ERROR, (const uint8_t *)"idle timeout", 12);
        flush(s);
        return -1;
    }
    for (h2_stream *st = s->streams; st; st = st->next) {
        int64_t rd = receive_deadline(st);
        if (rd && rd <= now_ms) { /* a slow sender: cut this stream, the others go on */
            st->answered = 1;
            sim_log(SIM_LOG_INFO, "h2: resetting stream %d: its request took more than %lld ms", st->id,
                    (long long)timeout);
            nghttp2_submit_rst_stream(s->ng, NGHTTP2_FLAG_NONE, st->id, NGHTTP2_CANCEL);
            continue;
        }
        if (st->state == S_HELD) {
            if (st->hold.ready) {
                st->hold.ready = 0;
                answer_routed(st);
            }
            continue;
        }
        if (!st->due_ms || st->due_ms > now_ms)
            continue;
        if (st->state == S_DELAYED)
            respond(st);
        else if (st->state == S_STREAMING)
            stream_pull(st, stopping);
        else
            st->due_ms = 0;
    }
    if (flush(s) != 0)
        return -1;
    return finished(s);
}

int64_t h2_session_due(const h2_session *s)
{
    int64_t best = 0;
    if (!s->streams && !s->going_away)
        best = s->idle_since_ms + sim_http_limits_of(s->h)->connection_timeout_ms;
    for (const h2_stream *st = s->streams; st; st = st->next) {
        if (st->due_ms && (!best || st->due_ms < best))
            best = st->due_ms;
        int64_t rd = receive_deadline(st);
        if (rd && (!best || rd < best))
            best = rd;
    }
    return best;
}

int h2_session_want_write(const h2_session *s)
{
    return s->pend_off < s->pend_len;
}

void h2_session_stop(h2_session *s)
{
    for (h2_stream *st = s->streams; st; st = st->next) {
        if (st->state == S_DELAYED)
            respond(st);
        else if (st->state == S_STREAMING)
            stream_pull(st, 1);
    }
    nghttp2_submit_goaway(s->ng, NGHTTP2_FLAG_NONE, nghttp2_session_get_last_proc_stream_id(s->ng),
                          NGHTTP2_NO_ERROR, NULL, 0);
    flush(s);
}

void h2_session_free(h2_session *s)
{
    if (!s)
        return;
    nghttp2_session_del(s->ng); /* closes the remaining streams through on_stream_close */
    while (s->streams) {        /* any nghttp2 did not report */
        h2_stream *st = s->streams;
        stream_unlink(st);
        stream_free(st);
    }
    free(s->pend);
    free(s);
}

/* ---- cleartext HTTP/2 on a socket ---- */

typedef struct h2_conn {
    sim_conn base;
    h2_session *s;
} h2_conn;

static ssize_t fd_recv(void *ud, uint8_t *buf, size_t len)
{
    int fd = *(int *)ud;
    ssize_t n = recv(fd, buf, len, 0);
    if (n < 0)
        return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? H2_IO_AGAIN : H2_IO_ERROR;
    return n;
}

static ssize_t fd_send(void *ud, const uint8_t *buf, size_t len)
{
    int fd = *(int *)ud;
    ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
    if (n < 0)
        return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? H2_IO_AGAIN : H2_IO_ERROR;
    return n;
}

static int h2c_refresh(h2_conn *c, int rc)
{
    if (rc != 0)
        return -1;
    c->base.want[0] = EPOLLIN | (h2_session_want_write(c->s) ? EPOLLOUT : 0);
    c->base.due_ms = h2_session_due(c->s);
    return sim_conn_update(&c->base);
}

static int h2c_io(sim_conn *base, int which, uint32_t events)
{
    (void)which;
    (void)events;
    h2_conn *c = (h2_conn *)base;
    return h2c_refresh(c, h2_session_io(c->s));
}

static int h2c_tick(sim_conn *base, int64_t now_ms)
{
    h2_conn *c = (h2_conn *)base;
    return h2c_refresh(c, h2_session_tick(c->s, now_ms));
}

static void h2c_stop(sim_conn *base)
{
    h2_conn *c = (h2_conn *)base;
    h2_session_stop(c->s);
    h2c_refresh(c, 0);
}

static void h2c_destroy(sim_conn *base)
{
    h2_conn *c = (h2_conn *)base;
    h2_session_free(c->s);
    if (base->fd[0] >= 0)
        close(base->fd[0]);
    free(c);
}

static const sim_conn_ops h2c_ops = {h2c_io, h2c_tick, h2c_stop, h2c_destroy};

sim_conn *sim_h2_conn_new(sim_http *h, int fd)
{
    h2_conn *c = calloc(1, sizeof *c);
    if (!c) {
        close(fd);
        return NULL;
    }
    c->base.ops = &h2c_ops;
    c->base.h = h;
    c->base.fd[0] = fd;
    c->base.fd[1] = -1;
    c->base.want[0] = EPOLLIN;
    h2_io io = {fd_recv, fd_send, &c->base.fd[0]};
    c->s = h2_session_new(h, &c->base, io);
    if (!c->s) {
        close(fd);
        free(c);
        return NULL;
    }
    return &c->base;
}
