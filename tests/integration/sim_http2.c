/* sim_http2.c: integration tests of kinesis-sim's HTTP/2 front door (cleartext, prior knowledge,
 * as the AWS SDK for JavaScript v3 speaks to an http:// endpoint) against a running simulator at
 * $KINESIS_SIM_ENDPOINT: the data-plane operations over HTTP/2 (libcurl), many concurrent
 * streams multiplexed on one connection (an nghttp2 client sends 24 requests at once), a large body
 * both ways, 413 above the body cap, protocol errors answered with GOAWAY, a slowly sent preface,
 * and the fault seams (latency from a timer, a dropped answer as a reset stream). Every stream
 * name is unique to the test, so tests running in parallel do not disturb each other. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <nghttp2/nghttp2.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

#define AUTH_HDR                                                                                             \
    "Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/kinesis/aws4_request, "       \
    "SignedHeaders=host;x-amz-date, Signature=abc123"
#define DATE_HDR "X-Amz-Date: 20150830T123600Z"

/* ---- a small HTTP/2 client on libcurl ---- */

typedef struct h2r {
    long status, version, connects;
    int curl_code;
    char *body;
    size_t len;
    char *hdrs;
    size_t hlen;
} h2r;

typedef struct h2buf {
    char *p;
    size_t len;
} h2buf;

static size_t h2_collect(char *p, size_t size, size_t n, void *ud)
{
    h2buf *b = ud;
    size_t add = size * n;
    char *d = realloc(b->p, b->len + add + 1);
    if (!d)
        return 0;
    memcpy(d + b->len, p, add);
    b->len += add;
    d[b->len] = 0;
    b->p = d;
    return add;
}

static CURL *h2_handle(void)
{
    CURL *c = curl_easy_init();
    cr_assert_not_null(c);
    curl_easy_setopt(c, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 20000L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    /* libcurl before 8.0 cannot reuse an idle prior-knowledge connection (curl issue #10634, fixed
     * by PR #10643): one connection per sequential request here; the multiplexing test keeps many
     * streams on one connection, and sim_tls.c reuses h2 connections negotiated by ALPN. */
    curl_easy_setopt(c, CURLOPT_FORBID_REUSE, 1L);
    return c;
}

typedef struct h2req {
    struct curl_slist *hl;
    h2buf body, hdrs;
    char url[512];
} h2req;

/* Prepare c for one request; the caller performs it (easy or multi) and then h2_finish. */
static void h2_prepare(CURL *c, h2req *q, const char *method, const char *path, const char *op,
                       const char *const *headers, const void *body, size_t len)
{
    memset(q, 0, sizeof *q);
    snprintf(q->url, sizeof q->url, "%s%s", tl_endpoint(), path);
    if (op) {
        char target[160];
        snprintf(target, sizeof target, "X-Amz-Target: Kinesis_20131202.%s", op);
        q->hl = curl_slist_append(q->hl, "Content-Type: application/x-amz-json-1.1");
        q->hl = curl_slist_append(q->hl, target);
        q->hl = curl_slist_append(q->hl, AUTH_HDR);
        q->hl = curl_slist_append(q->hl, DATE_HDR);
    }
    for (size_t i = 0; headers && headers[i]; i++)
        q->hl = curl_slist_append(q->hl, headers[i]);
    curl_easy_setopt(c, CURLOPT_URL, q->url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    } else {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, NULL);
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, q->hl);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, h2_collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &q->body);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, h2_collect);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &q->hdrs);
}

static void h2_finish(CURL *c, h2req *q, int code, h2r *out)
{
    memset(out, 0, sizeof *out);
    out->curl_code = code;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
    curl_easy_getinfo(c, CURLINFO_HTTP_VERSION, &out->version);
    curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &out->connects);
    out->body = q->body.p ? q->body.p : strdup("");
    out->len = q->body.len;
    out->hdrs = q->hdrs.p ? q->hdrs.p : strdup("");
    out->hlen = q->hdrs.len;
    curl_slist_free_all(q->hl);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
}

static int h2_do(CURL *c, const char *method, const char *path, const char *op, const char *const *headers,
                 const void *body, size_t len, h2r *out)
{
    h2req q;
    h2_prepare(c, &q, method, path, op, headers, body, len);
    int code = (int)curl_easy_perform(c);
    h2_finish(c, &q, code, out);
    return code == CURLE_OK ? 0 : -1;
}

static void h2r_free(h2r *r)
{
    free(r->body);
    free(r->hdrs);
    memset(r, 0, sizeof *r);
}

/* An operation over HTTP/2; asserts the status and returns the parsed answer. */
static json_t *h2_op(CURL *c, const char *op, json_t *in, long want_status)
{
    char *txt = json_dumps(in, JSON_COMPACT);
    h2r r;
    int rc = h2_do(c, "POST", "/", op, NULL, txt, strlen(txt), &r);
    free(txt);
    cr_assert_eq(rc, 0, "%s: transport failed (curl %d)", op, r.curl_code);
    cr_assert_eq(r.version, (long)CURL_HTTP_VERSION_2_0, "%s was not answered over HTTP/2", op);
    cr_assert_eq(r.status, want_status, "%s: status %ld, body %s", op, r.status, r.body);
    cr_assert(strstr(r.hdrs, "x-amzn-requestid: ") != NULL, "%s: no x-amzn-requestid in %s", op, r.hdrs);
    /* an operation without output answers 200 with an empty body (the API reference) */
    json_t *j = r.status == 200 && !r.body[0] ? json_object() : json_loads(r.body, 0, NULL);
    cr_assert_not_null(j, "%s: answer is not JSON: %s", op, r.body);
    h2r_free(&r);
    return j;
}

static void h2_wait_active(CURL *c, const char *stream)
{
    for (int i = 0; i < 100; i++) {
        json_t *in = json_pack("{s:s}", "StreamName", stream);
        json_t *out = h2_op(c, "DescribeStreamSummary", in, 200);
        const char *st = json_string_value(
            json_object_get(json_object_get(out, "StreamDescriptionSummary"), "StreamStatus"));
        int active = st && strcmp(st, "ACTIVE") == 0;
        json_decref(in);
        json_decref(out);
        if (active)
            return;
        struct timespec nap = {0, 50 * 1000000L};
        nanosleep(&nap, NULL);
    }
    cr_assert_fail("stream %s never became ACTIVE", stream);
}

static void h2_create(CURL *c, const char *stream, int shards)
{
    json_t *in = json_pack("{s:s, s:i}", "StreamName", stream, "ShardCount", shards);
    json_decref(h2_op(c, "CreateStream", in, 200));
    json_decref(in);
    h2_wait_active(c, stream);
}

static void h2_delete(CURL *c, const char *stream)
{
    json_t *in = json_pack("{s:s}", "StreamName", stream);
    json_decref(h2_op(c, "DeleteStream", in, 200));
    json_decref(in);
}

static double now_s(void)
{
    return (double)tl_now_us() / 1e6;
}

/* ---- tests ---- */

Test(http2, health_over_h2c_prior_knowledge)
{
    CURL *c = h2_handle();
    h2r r;
    cr_assert_eq(h2_do(c, "GET", "/_sim/health", NULL, NULL, NULL, 0, &r), 0, "curl %d", r.curl_code);
    cr_assert_eq(r.version, (long)CURL_HTTP_VERSION_2_0);
    cr_assert_eq(r.status, 200);
    cr_assert(strstr(r.body, "\"ok\"") != NULL, "%s", r.body);
    cr_assert(strstr(r.hdrs, "x-amzn-requestid: ") != NULL, "%s", r.hdrs);
    cr_assert(strstr(r.hdrs, "x-amz-id-2: ") != NULL, "%s", r.hdrs);
    cr_assert(strstr(r.hdrs, "content-length: ") != NULL, "%s", r.hdrs);
    h2r_free(&r);
    curl_easy_cleanup(c);
}

Test(http2, data_plane_operations)
{
    CURL *c = h2_handle();
    char stream[64];
    tl_unique_name("h2-ops", stream, sizeof stream);
    h2_create(c, stream, 2);

    json_t *in = json_pack("{s:s}", "StreamName", stream);
    json_t *out = h2_op(c, "ListShards", in, 200);
    cr_assert_eq(json_array_size(json_object_get(out, "Shards")), 2);
    json_decref(out);
    out = h2_op(c, "DescribeStream", in, 200);
    cr_assert_str_eq(
        json_string_value(json_object_get(json_object_get(out, "StreamDescription"), "StreamName")), stream);
    json_decref(out);
    json_decref(in);

    in = json_pack("{s:s, s:s, s:s}", "StreamName", stream, "PartitionKey", "pk-1", "Data", "aGVsbG8gaDI=");
    out = h2_op(c, "PutRecord", in, 200);
    char shard[64], seq[128];
    snprintf(shard, sizeof shard, "%s", json_string_value(json_object_get(out, "ShardId")));
    snprintf(seq, sizeof seq, "%s", json_string_value(json_object_get(out, "SequenceNumber")));
    json_decref(out);
    json_decref(in);

    in = json_pack("{s:s, s:[{s:s, s:s}, {s:s, s:s}]}", "StreamName", stream, "Records", "PartitionKey",
                   "pk-1", "Data", "c2Vjb25k", "PartitionKey", "pk-1", "Data", "dGhpcmQ=");
    out = h2_op(c, "PutRecords", in, 200);
    cr_assert_eq(json_integer_value(json_object_get(out, "FailedRecordCount")), 0);
    json_decref(out);
    json_decref(in);

    in = json_pack("{s:s, s:s, s:s, s:s}", "StreamName", stream, "ShardId", shard, "ShardIteratorType",
                   "AT_SEQUENCE_NUMBER", "StartingSequenceNumber", seq);
    out = h2_op(c, "GetShardIterator", in, 200);
    json_t *gin =
        json_pack("{s:s}", "ShardIterator", json_string_value(json_object_get(out, "ShardIterator")));
    json_decref(out);
    json_decref(in);
    out = h2_op(c, "GetRecords", gin, 200);
    json_t *recs = json_object_get(out, "Records");
    cr_assert_eq(json_array_size(recs), 3, "records: %zu", json_array_size(recs));
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(recs, 0), "Data")), "aGVsbG8gaDI=");
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(recs, 2), "Data")), "dGhpcmQ=");
    json_decref(out);
    json_decref(gin);

    in = json_pack("{s:s, s:{s:s}}", "StreamName", stream, "Tags", "team", "h2");
    json_decref(h2_op(c, "AddTagsToStream", in, 200));
    json_decref(in);
    in = json_pack("{s:s}", "StreamName", stream);
    out = h2_op(c, "ListTagsForStream", in, 200);
    cr_assert_str_eq(
        json_string_value(json_object_get(json_array_get(json_object_get(out, "Tags"), 0), "Value")), "h2");
    json_decref(out);
    json_decref(in);
    in = json_object();
    json_decref(h2_op(c, "ListStreams", in, 200));
    json_decref(in);

    h2_delete(c, stream);
    curl_easy_cleanup(c);
}

Test(http2, errors_have_aws_shape_over_h2)
{
    CURL *c = h2_handle();
    h2r r;
    const char *noauth[] = {"Content-Type: application/x-amz-json-1.1",
                            "X-Amz-Target: Kinesis_20131202.ListStreams", NULL};
    cr_assert_eq(h2_do(c, "POST", "/", NULL, noauth, "{}", 2, &r), 0);
    cr_assert_eq(r.status, 400);
    cr_assert(strstr(r.body, "MissingAuthenticationTokenException") != NULL, "%s", r.body);
    h2r_free(&r);
    cr_assert_eq(h2_do(c, "GET", "/", NULL, NULL, NULL, 0, &r), 0);
    cr_assert_eq(r.status, 403);
    cr_assert(strstr(r.body, "AccessDeniedException") != NULL, "%s", r.body);
    h2r_free(&r);
    cr_assert_eq(h2_do(c, "POST", "/", "NoSuchOperation", NULL, "{}", 2, &r), 0);
    cr_assert_eq(r.status, 400);
    cr_assert(strstr(r.body, "UnknownOperationException") != NULL, "%s", r.body);
    h2r_free(&r);
    curl_easy_cleanup(c);
}

/* ---- many streams on one connection, with an nghttp2 client (libcurl before 8.0 cannot put a
 * second stream on a prior-knowledge connection) ---- */

#define N_MUX 24

typedef struct mux_stream {
    int32_t id;
    int status;
    char body[512];
    size_t len;
    int closed;
    uint32_t error;
} mux_stream;

typedef struct mux_client {
    int fd;
    mux_stream st[N_MUX];
    int closed;
} mux_client;

static mux_stream *mux_find(mux_client *m, int32_t id)
{
    for (int i = 0; i < N_MUX; i++)
        if (m->st[i].id == id)
            return &m->st[i];
    return NULL;
}

static ssize_t mux_send(nghttp2_session *s, const uint8_t *data, size_t len, int flags, void *ud)
{
    (void)s;
    (void)flags;
    mux_client *m = ud;
    ssize_t n = send(m->fd, data, len, MSG_NOSIGNAL);
    return n < 0 ? NGHTTP2_ERR_CALLBACK_FAILURE : n;
}

static int mux_header(nghttp2_session *s, const nghttp2_frame *f, const uint8_t *name, size_t namelen,
                      const uint8_t *value, size_t valuelen, uint8_t flags, void *ud)
{
    (void)s;
    (void)flags;
    mux_stream *st = mux_find(ud, f->hd.stream_id);
    if (st && namelen == 7 && memcmp(name, ":status", 7) == 0) {
        char v[8] = {0};
        memcpy(v, value, valuelen < 7 ? valuelen : 7);
        st->status = atoi(v);
    }
    return 0;
}

static int mux_data(nghttp2_session *s, uint8_t flags, int32_t id, const uint8_t *data, size_t len, void *ud)
{
    (void)s;
    (void)flags;
    mux_stream *st = mux_find(ud, id);
    if (st && st->len + len < sizeof st->body) {
        memcpy(st->body + st->len, data, len);
        st->len += len;
    }
    return 0;
}

static int mux_close(nghttp2_session *s, int32_t id, uint32_t error, void *ud)
{
    (void)s;
    mux_stream *st = mux_find(ud, id);
    if (st) {
        st->closed = 1;
        st->error = error;
    }
    return 0;
}

static nghttp2_nv mux_nv(const char *n, const char *v)
{
    nghttp2_nv nv = {(uint8_t *)n, (uint8_t *)v, strlen(n), strlen(v), NGHTTP2_NV_FLAG_NONE};
    return nv;
}

typedef struct mux_body {
    const char *p;
    size_t len, off;
} mux_body;

static ssize_t mux_read(nghttp2_session *s, int32_t id, uint8_t *buf, size_t length, uint32_t *flags,
                        nghttp2_data_source *src, void *ud)
{
    (void)s;
    (void)id;
    (void)ud;
    mux_body *b = src->ptr;
    size_t n = b->len - b->off < length ? b->len - b->off : length;
    memcpy(buf, b->p + b->off, n);
    b->off += n;
    if (b->off == b->len)
        *flags |= NGHTTP2_DATA_FLAG_EOF;
    return (ssize_t)n;
}

static int raw_connect(void);

/* Send N_MUX PutRecords to stream on one new connection, all before any answer is read, and wait
 * (at most 20 s) for every answer; each must be a 200 with a SequenceNumber. */
static void mux_put_all(const char *stream)
{
    mux_client m;
    memset(&m, 0, sizeof m);
    m.fd = raw_connect();
    nghttp2_session_callbacks *cbs;
    nghttp2_session_callbacks_new(&cbs);
    nghttp2_session_callbacks_set_send_callback(cbs, mux_send);
    nghttp2_session_callbacks_set_on_header_callback(cbs, mux_header);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, mux_data);
    nghttp2_session_callbacks_set_on_stream_close_callback(cbs, mux_close);
    nghttp2_session *s;
    cr_assert_eq(nghttp2_session_client_new(&s, cbs, &m), 0);
    nghttp2_session_callbacks_del(cbs);
    nghttp2_submit_settings(s, NGHTTP2_FLAG_NONE, NULL, 0);

    const char *ep = tl_endpoint();
    const char *authority = strstr(ep, "://") ? strstr(ep, "://") + 3 : ep;
    char target[128];
    snprintf(target, sizeof target, "Kinesis_20131202.PutRecord");
    char body[N_MUX][256];
    mux_body bodies[N_MUX];
    for (int i = 0; i < N_MUX; i++) {
        snprintf(body[i], sizeof body[i],
                 "{\"StreamName\":\"%s\",\"PartitionKey\":\"k%d\",\"Data\":\"eHl6\"}", stream, i);
        bodies[i] = (mux_body){body[i], strlen(body[i]), 0};
        nghttp2_nv nva[] = {mux_nv(":method", "POST"),
                            mux_nv(":scheme", "http"),
                            mux_nv(":path", "/"),
                            mux_nv(":authority", authority),
                            mux_nv("content-type", "application/x-amz-json-1.1"),
                            mux_nv("x-amz-target", target),
                            mux_nv("authorization", &AUTH_HDR[strlen("Authorization: ")]),
                            mux_nv("x-amz-date", &DATE_HDR[strlen("X-Amz-Date: ")])};
        nghttp2_data_provider prd;
        prd.source.ptr = &bodies[i];
        prd.read_callback = mux_read;
        m.st[i].id = nghttp2_submit_request(s, NULL, nva, sizeof nva / sizeof nva[0], &prd, NULL);
        cr_assert_gt(m.st[i].id, 0);
    }
    cr_assert_eq(nghttp2_session_send(s), 0); /* all the requests leave before any answer is read */
    double t0 = now_s();
    int open = N_MUX;
    while (open > 0 && now_s() - t0 < 20) {
        struct pollfd p = {m.fd, POLLIN, 0};
        if (poll(&p, 1, 100) <= 0)
            continue;
        uint8_t buf[16384];
        ssize_t n = recv(m.fd, buf, sizeof buf, 0);
        cr_assert_gt(n, 0, "the server closed the connection");
        cr_assert_geq(nghttp2_session_mem_recv(s, buf, (size_t)n), 0);
        nghttp2_session_send(s);
        open = 0;
        for (int i = 0; i < N_MUX; i++)
            open += !m.st[i].closed;
    }
    cr_assert_eq(open, 0, "%d streams still open after 20 s", open);
    for (int i = 0; i < N_MUX; i++) {
        cr_assert_eq(m.st[i].error, 0u, "stream %d reset", m.st[i].id);
        cr_assert_eq(m.st[i].status, 200, "stream %d: %d %.*s", m.st[i].id, m.st[i].status, (int)m.st[i].len,
                     m.st[i].body);
        cr_assert(strstr(m.st[i].body, "SequenceNumber") != NULL, "%s", m.st[i].body);
    }
    nghttp2_session_del(s);
    close(m.fd);
}

Test(http2, concurrent_streams_multiplexed_on_one_connection)
{
    CURL *c = h2_handle();
    char stream[64];
    tl_unique_name("h2-mux", stream, sizeof stream);
    h2_create(c, stream, 1);
    mux_put_all(stream);
    h2_delete(c, stream);
    curl_easy_cleanup(c);
}

/* Group commit over HTTP/2: streams that arrive together share one COMMIT (server/server.h), as
 * HTTP/1.1 requests do. A simulator of our own logs its counts at debug level when it stops. */
static tl_sim batch_sim;

static void batch_sim_stop(void)
{
    tl_sim_stop(&batch_sim); /* a failed test leaves no simulator behind */
}

Test(http2, concurrent_streams_share_commits, .fini = batch_sim_stop)
{
    char log_path[64];
    snprintf(log_path, sizeof log_path, "/tmp/kinesis-h2-batch-%d.log", (int)getpid());
    char db[64];
    snprintf(db, sizeof db, "/tmp/kinesis-h2-batch-%d.db", (int)getpid());
    const char *args[] = {"--db",  db,  "--create-delay-ms", "0", "--throttle", "off", "--log-level",
                          "debug", NULL};
    tl_sim_options o = {.args = args, .stderr_path = log_path};
    tl_sim *sim = &batch_sim;
    cr_assert_eq(tl_sim_start(sim, &o), 0, "kinesis-sim did not start: %s", sim->printed);
    setenv("KINESIS_SIM_ENDPOINT", sim->url, 1);
    CURL *c = h2_handle();
    h2_create(c, "h2-batch", 1);
    for (int round = 0; round < 3; round++)
        mux_put_all("h2-batch");
    curl_easy_cleanup(c);
    cr_assert_eq(tl_sim_stop(sim), 0);
    FILE *f = fopen(log_path, "r");
    cr_assert_not_null(f);
    char line[512];
    unsigned long long held = 0, batches = 0, answers = 0, writes = 0;
    while (fgets(line, sizeof line, f)) {
        const char *g = strstr(line, "group commit: ");
        if (g)
            sscanf(g, "group commit: %llu answers held over %llu batches", &held, &batches);
        const char *w = strstr(line, "HTTP/2: ");
        if (w)
            sscanf(w, "HTTP/2: %llu answers in %llu writes", &answers, &writes);
    }
    fclose(f);
    unlink(log_path);
    unlink(db);
    char p[80];
    snprintf(p, sizeof p, "%s-wal", db);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", db);
    unlink(p);
    /* every PutRecord waited for a COMMIT, and the commits were shared */
    cr_assert_geq(held, (unsigned long long)(3 * N_MUX), "held %llu answers over %llu batches", held,
                  batches);
    cr_assert_lt(batches, held / 2, "held %llu answers over %llu batches", held, batches);
    /* answers released by one COMMIT leave together: each is a HEADERS and a DATA frame, and a
     * write per frame would make twice as many writes as answers */
    cr_assert_geq(answers, held, "HTTP/2: %llu answers in %llu writes", answers, writes);
    cr_assert_lt(writes, answers / 2, "HTTP/2: %llu answers in %llu writes", answers, writes);
    cr_log_info("HTTP/2: %llu answers in %llu writes", answers, writes);
}

Test(http2, large_body_both_ways)
{
    CURL *c = h2_handle();
    char stream[64];
    tl_unique_name("h2-big", stream, sizeof stream);
    h2_create(c, stream, 4);
    /* 4 records of 900 KiB, one per shard (each shard takes 1 MiB/s): about 4.8 MB of JSON up;
     * then 900 KiB back through GetRecords, far beyond the initial flow-control windows */
    static const char *const hash[4] = {"1", "85070591730234615865843651857942052865",
                                        "170141183460469231731687303715884105729",
                                        "255211775190703847597530955573826158593"};
    size_t raw = 900 * 1024, b64 = 4 * ((raw + 2) / 3);
    char *data = malloc(b64 + 1);
    static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (size_t i = 0; i < b64; i++)
        data[i] = al[(i * 7 + i / 64) % 64];
    data[b64] = 0; /* raw is a multiple of 3: no padding needed */
    json_t *in = json_pack("{s:s, s:[]}", "StreamName", stream, "Records");
    for (int i = 0; i < 4; i++)
        json_array_append_new(
            json_object_get(in, "Records"),
            json_pack("{s:s, s:s, s:s}", "PartitionKey", "big", "ExplicitHashKey", hash[i], "Data", data));
    json_t *out = h2_op(c, "PutRecords", in, 200);
    cr_assert_eq(json_integer_value(json_object_get(out, "FailedRecordCount")), 0, "%s",
                 json_dumps(json_array_get(json_object_get(out, "Records"), 0), 0));
    const char *shard =
        json_string_value(json_object_get(json_array_get(json_object_get(out, "Records"), 2), "ShardId"));
    json_t *gi = json_pack("{s:s, s:s, s:s}", "StreamName", stream, "ShardId", shard, "ShardIteratorType",
                           "TRIM_HORIZON");
    json_decref(out);
    json_decref(in);
    out = h2_op(c, "GetShardIterator", gi, 200);
    json_t *gin =
        json_pack("{s:s}", "ShardIterator", json_string_value(json_object_get(out, "ShardIterator")));
    json_decref(out);
    json_decref(gi);
    out = h2_op(c, "GetRecords", gin, 200);
    json_t *recs = json_object_get(out, "Records");
    cr_assert_eq(json_array_size(recs), 1);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(recs, 0), "Data")), data,
                     "the record differs");
    json_decref(out);
    json_decref(gin);
    free(data);
    h2_delete(c, stream);
    curl_easy_cleanup(c);
}

Test(http2, body_over_the_cap_is_413_and_the_server_lives_on)
{
    CURL *c = h2_handle();
    size_t n = 8u * 1024 * 1024; /* above the default 7 MiB cap */
    char *big = malloc(n);
    memset(big, 'x', n);
    big[0] = '{';
    h2r r;
    cr_assert_eq(h2_do(c, "POST", "/", "PutRecord", NULL, big, n, &r), 0, "curl %d", r.curl_code);
    cr_assert_eq(r.status, 413, "status %ld %s", r.status, r.body);
    cr_assert(strstr(r.body, "exceeds the maximum") != NULL, "%s", r.body);
    cr_assert(strstr(r.hdrs, "x-amzn-requestid: ") != NULL);
    h2r_free(&r);
    free(big);
    cr_assert_eq(h2_do(c, "GET", "/_sim/health", NULL, NULL, NULL, 0, &r), 0);
    cr_assert_eq(r.status, 200);
    h2r_free(&r);
    curl_easy_cleanup(c);
}

/* ---- raw sockets: the preface and protocol errors ---- */

static int raw_connect(void)
{
    const char *ep = tl_endpoint();
    const char *hp = strstr(ep, "://");
    hp = hp ? hp + 3 : ep;
    const char *colon = strrchr(hp, ':');
    cr_assert_not_null(colon, "endpoint %s has no port", ep);
    int port = atoi(colon + 1);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    return fd;
}

/* Read frames for up to timeout_ms; returns a bitmask of the frame types seen (1 << type) and sets
 * *closed when the server closed the connection. goaway_code gets the error code of a GOAWAY. */
static unsigned read_frames(int fd, int timeout_ms, int *closed, uint32_t *goaway_code)
{
    uint8_t buf[65536];
    size_t len = 0;
    unsigned seen = 0;
    *closed = 0;
    double t0 = now_s();
    while ((now_s() - t0) * 1000 < timeout_ms && len < sizeof buf) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 50) <= 0)
            continue;
        ssize_t n = recv(fd, buf + len, sizeof buf - len, 0);
        if (n <= 0) {
            *closed = 1;
            break;
        }
        len += (size_t)n;
    }
    size_t off = 0;
    while (off + 9 <= len) {
        size_t flen = ((size_t)buf[off] << 16) | ((size_t)buf[off + 1] << 8) | buf[off + 2];
        uint8_t type = buf[off + 3];
        if (type < 32)
            seen |= 1u << type;
        if (type == 7 && off + 9 + 8 <= len && goaway_code)
            *goaway_code = ((uint32_t)buf[off + 13] << 24) | ((uint32_t)buf[off + 14] << 16) |
                           ((uint32_t)buf[off + 15] << 8) | buf[off + 16];
        off += 9 + flen;
    }
    return seen;
}

static const char PREFACE[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
static const uint8_t EMPTY_SETTINGS[9] = {0, 0, 0, 4, 0, 0, 0, 0, 0};

Test(http2, slowly_sent_preface_is_still_http2)
{
    int fd = raw_connect();
    cr_assert_eq(send(fd, PREFACE, 10, 0), 10);
    struct timespec nap = {0, 150 * 1000000L};
    nanosleep(&nap, NULL);
    cr_assert_eq(send(fd, PREFACE + 10, 14, 0), 14);
    cr_assert_eq(send(fd, EMPTY_SETTINGS, 9, 0), 9);
    int closed;
    unsigned seen = read_frames(fd, 500, &closed, NULL);
    cr_assert(seen & (1u << 4), "no SETTINGS frame from the server (types seen 0x%x)", seen);
    cr_assert_not(closed);
    close(fd);
}

Test(http2, protocol_error_gets_goaway_and_the_server_keeps_serving)
{
    int fd = raw_connect();
    cr_assert_eq(send(fd, PREFACE, 24, 0), 24);
    cr_assert_eq(send(fd, EMPTY_SETTINGS, 9, 0), 9);
    /* a DATA frame on stream 0 is a connection error of type PROTOCOL_ERROR (RFC 9113 6.1) */
    const uint8_t bad[] = {0, 0, 4, 0, 0, 0, 0, 0, 0, 'a', 'b', 'c', 'd'};
    cr_assert_eq(send(fd, bad, sizeof bad, 0), (ssize_t)sizeof bad);
    int closed;
    uint32_t code = 0xffffffff;
    unsigned seen = read_frames(fd, 2000, &closed, &code);
    cr_assert(seen & (1u << 7), "no GOAWAY (types seen 0x%x)", seen);
    cr_assert_eq(code, 1u, "GOAWAY error code %u, expected PROTOCOL_ERROR (1)", code);
    cr_assert(closed, "the connection stayed open after GOAWAY");
    close(fd);

    /* a broken preface is not HTTP/2: it goes to the HTTP/1.1 server, which rejects it */
    fd = raw_connect();
    const char notpri[] = "PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n";
    cr_assert_eq(send(fd, notpri, 24, 0), 24);
    char buf[512];
    struct pollfd p = {fd, POLLIN, 0};
    cr_assert_gt(poll(&p, 1, 3000), 0, "no answer to a broken preface");
    close(fd);

    CURL *c = h2_handle();
    h2r r;
    cr_assert_eq(h2_do(c, "GET", "/_sim/health", NULL, NULL, NULL, 0, &r), 0);
    cr_assert_eq(r.status, 200);
    h2r_free(&r);
    curl_easy_cleanup(c);
    (void)buf;
}

Test(http2, latency_fault_and_dropped_answer)
{
    CURL *c = h2_handle();
    char stream[64], rule[512];
    tl_unique_name("h2-flt", stream, sizeof stream);
    h2_create(c, stream, 1);
    h2r r;
    snprintf(rule, sizeof rule,
             "{\"match\": {\"operations\": [\"ListShards\"], \"stream\": \"%s\"}, \"effect\": "
             "{\"latency_ms\": 300}}",
             stream);
    const char *jh[] = {"Content-Type: application/json", NULL};
    cr_assert_eq(h2_do(c, "POST", "/_sim/faults", NULL, jh, rule, strlen(rule), &r), 0);
    cr_assert_eq(r.status, 200, "%s", r.body);
    json_t *j = json_loads(r.body, 0, NULL);
    long long lat_id = (long long)json_integer_value(json_object_get(j, "id"));
    json_decref(j);
    h2r_free(&r);
    snprintf(rule, sizeof rule,
             "{\"match\": {\"operations\": [\"DescribeStreamSummary\"], \"stream\": \"%s\"}, \"effect\": "
             "{\"drop\": true}}",
             stream);
    cr_assert_eq(h2_do(c, "POST", "/_sim/faults", NULL, jh, rule, strlen(rule), &r), 0);
    cr_assert_eq(r.status, 200, "%s", r.body);
    j = json_loads(r.body, 0, NULL);
    long long drop_id = (long long)json_integer_value(json_object_get(j, "id"));
    json_decref(j);
    h2r_free(&r);

    char body[256];
    snprintf(body, sizeof body, "{\"StreamName\":\"%s\"}", stream);
    double t0 = now_s();
    cr_assert_eq(h2_do(c, "POST", "/", "ListShards", NULL, body, strlen(body), &r), 0);
    double took = now_s() - t0;
    cr_assert_eq(r.status, 200);
    cr_assert(took >= 0.29 && took < 5, "answered after %.3f s, expected about 0.3 s", took);
    h2r_free(&r);

    /* the dropped answer resets its stream (no answer); the server still serves */
    cr_assert_neq(h2_do(c, "POST", "/", "DescribeStreamSummary", NULL, body, strlen(body), &r), 0,
                  "a dropped answer came back with status %ld", r.status);
    h2r_free(&r);
    cr_assert_eq(h2_do(c, "GET", "/_sim/health", NULL, NULL, NULL, 0, &r), 0);
    cr_assert_eq(r.status, 200);
    h2r_free(&r);

    char path[64];
    snprintf(path, sizeof path, "/_sim/faults?id=%lld", lat_id);
    h2_do(c, "DELETE", path, NULL, NULL, NULL, 0, &r);
    h2r_free(&r);
    snprintf(path, sizeof path, "/_sim/faults?id=%lld", drop_id);
    h2_do(c, "DELETE", path, NULL, NULL, NULL, 0, &r);
    h2r_free(&r);
    h2_delete(c, stream);
    curl_easy_cleanup(c);
}
