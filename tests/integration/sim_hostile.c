/* sim_hostile.c: kinesis-sim against hostile and broken clients. Each test starts its own
 * simulator ($KINESIS_SIM_BIN, default build/kinesis-sim) with small front-door limits (the
 * KINESIS_SIM_MAX_CONNECTIONS, KINESIS_SIM_CONNECTION_TIMEOUT_MS and KINESIS_SIM_MAX_HEADER_BYTES
 * environment variables, the same as --max-connections etc.) and checks that each misbehaviour meets a
 * bounded limit and a clear error while everyone else is still served: slow senders (served within the
 * connection timeout, cut past it, others served meanwhile), 2000 idle connections (refused with 503 past
 * max-connections), clients that vanish mid-request (nothing half-stored) or mid-answer, pipelined
 * HTTP/1.1 requests (answered in order), a 100 MB body (413 before it is sent), header floods
 * (431), HTTP/2 garbage after the preface and a slow HTTP/2 stream, and TLS garbage. Every test
 * ends with a normal call, every wait is bounded, and the simulator must then stop cleanly. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <nghttp2/nghttp2.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

#define AUTH_HDRS                                                                                            \
    "Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/kinesis/aws4_request, "       \
    "SignedHeaders=host;x-amz-date, Signature=abc123\r\nX-Amz-Date: 20150830T123600Z\r\n"

static double now_s(void)
{
    return (double)tl_now_us() / 1e6;
}

static void sleep_ms(int ms)
{
    tl_sleep_ms(ms);
}

/* ---- our own simulator ---- */

static tl_sim sim;
static int sim_port, sim_tls_port;

/* Start kinesis-sim with environment settings ("NAME=value", NULL-terminated) and extra flags; wait
 * at most 10 s for its "listening on" line(s). */
static void sim_start(const char *const *env, const char *const *extra)
{
    const char *args[32] = {"--db",        ":memory:", "--create-delay-ms", "10", "--delete-delay-ms", "10",
                            "--log-level", "warn"};
    int n = 8;
    for (size_t i = 0; extra && extra[i] && n < 31; i++)
        args[n++] = extra[i];
    args[n] = NULL;
    tl_sim_options o = {.env = env, .args = args};
    int rc = tl_sim_start(&sim, &o);
    sim_port = sim.port;
    sim_tls_port = sim.tls_port;
    cr_assert_eq(rc, 0, "kinesis-sim did not start: %s", sim.printed);
}

/* SIGTERM, at most 10 s for a clean exit (SIGKILL after); the exit status. */
static int sim_stop(void)
{
    return tl_sim_stop(&sim);
}

static void expect_clean_stop(void)
{
    int rc = sim_stop();
    cr_expect_eq(rc, 0, "kinesis-sim exited with %d (a crash or a leak under ASan)", rc);
}

/* After every test, also a failed one: never leave a simulator behind. */
static void stop_leftover(void)
{
    if (sim.pid > 0)
        sim_stop();
}

TestSuite(hostile, .fini = stop_leftover);

/* ---- raw HTTP/1.1 ---- */

/* Case-insensitive strstr (strcasestr is a GNU extension). */
static const char *find_ci(const char *hay, const char *needle)
{
    size_t nl = strlen(needle);
    for (; *hay; hay++)
        if (strncasecmp(hay, needle, nl) == 0)
            return hay;
    return NULL;
}

/* A port that was free a moment ago (for --tls-port). */
static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    socklen_t sl = sizeof sa;
    cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    cr_assert_eq(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
    close(fd);
    return ntohs(sa.sin_port);
}

static int connect_port(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    cr_assert_geq(fd, 0, "socket: %s", strerror(errno));
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0, "connect: %s", strerror(errno));
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

/* A Kinesis request (malloc'd, *len bytes). body NULL: an empty body with declared_len as
 * Content-Length (a body the caller sends itself). extra: more header lines, each ending CRLF. */
static char *kin_request(const char *op, const char *body, size_t declared_len, const char *extra,
                         size_t *len)
{
    size_t bl = body ? strlen(body) : 0;
    size_t el = extra ? strlen(extra) : 0;
    size_t cap = 512 + el + bl;
    char *r = malloc(cap);
    cr_assert_not_null(r);
    int n = snprintf(r, cap,
                     "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-amz-json-1.1\r\n"
                     "X-Amz-Target: Kinesis_20131202.%s\r\n" AUTH_HDRS "%sContent-Length: %zu\r\n\r\n%s",
                     op, extra ? extra : "", body ? bl : declared_len, body ? body : "");
    cr_assert(n > 0 && (size_t)n < cap);
    *len = (size_t)n;
    return r;
}

static void send_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        cr_assert_gt(w, 0, "send: %s", strerror(errno));
        p += w;
        n -= (size_t)w;
    }
}

/* Bytes received on one connection, kept across answers (pipelining). */
typedef struct inbuf {
    char *p;
    size_t len, cap;
    int closed;
} inbuf;

typedef struct answer {
    int status; /* 0: none (closed or timed out) */
    char *body; /* NUL-terminated, malloc'd */
    char head[2048];
} answer;

/* Read one whole HTTP/1.1 answer (framed by Content-Length) within timeout_ms. */
static answer read_answer(int fd, inbuf *in, int timeout_ms)
{
    answer a;
    memset(&a, 0, sizeof a);
    double t0 = now_s();
    for (;;) {
        char *end = NULL;
        for (size_t i = 0; i + 4 <= in->len; i++)
            if (memcmp(in->p + i, "\r\n\r\n", 4) == 0) {
                end = in->p + i + 4;
                break;
            }
        if (end) {
            size_t hl = (size_t)(end - in->p);
            snprintf(a.head, sizeof a.head, "%.*s", (int)(hl < sizeof a.head ? hl : sizeof a.head - 1),
                     in->p);
            const char *cl = find_ci(a.head, "\r\nContent-Length:");
            size_t blen = cl ? strtoul(cl + 17, NULL, 10) : 0;
            if (in->len >= hl + blen) {
                a.status = atoi(in->p + 9);
                a.body = malloc(blen + 1);
                memcpy(a.body, end, blen);
                a.body[blen] = 0;
                memmove(in->p, in->p + hl + blen, in->len - hl - blen);
                in->len -= hl + blen;
                return a;
            }
        }
        if (in->closed)
            return a;
        int left = timeout_ms - (int)((now_s() - t0) * 1000);
        if (left <= 0)
            return a;
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, left) <= 0)
            continue;
        if (in->len + 65536 > in->cap) {
            in->cap = in->len + 65536 * 2;
            in->p = realloc(in->p, in->cap);
            cr_assert_not_null(in->p);
        }
        ssize_t n = recv(fd, in->p + in->len, in->cap - in->len, 0);
        if (n <= 0)
            in->closed = 1;
        else
            in->len += (size_t)n;
    }
}

/* 1 when the server closed fd (EOF or reset) within timeout_ms, discarding what it sent. */
static int closed_within(int fd, int timeout_ms)
{
    double t0 = now_s();
    char buf[4096];
    while ((now_s() - t0) * 1000 < timeout_ms) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 50) <= 0)
            continue;
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n <= 0)
            return 1;
    }
    return 0;
}

/* One operation on a fresh connection; the parsed answer (status in *status; 0 = no answer). */
static json_t *call(const char *op, const char *body, int *status)
{
    int fd = connect_port(sim_port);
    size_t len;
    char *req = kin_request(op, body, 0, NULL, &len);
    send_all(fd, req, len);
    free(req);
    inbuf in = {0};
    answer a = read_answer(fd, &in, 5000);
    close(fd);
    free(in.p);
    *status = a.status;
    json_t *j = a.body ? json_loads(a.body, 0, NULL) : NULL;
    free(a.body);
    return j;
}

/* The check every test ends with: the simulator still serves a normal call, promptly. */
static void normal_call_works(void)
{
    double t0 = now_s();
    int status = 0;
    json_t *j = call("ListStreams", "{}", &status);
    cr_assert_eq(status, 200, "a normal call after the hostile client got %d", status);
    cr_assert_not_null(json_object_get(j, "StreamNames"));
    cr_assert_lt(now_s() - t0, 2.0, "a normal call took %.2f s", now_s() - t0);
    json_decref(j);
}

static void create_stream(const char *name, int shards)
{
    char body[256];
    snprintf(body, sizeof body, "{\"StreamName\":\"%s\",\"ShardCount\":%d}", name, shards);
    int status = 0;
    json_t *j = call("CreateStream", body, &status);
    cr_assert_eq(status, 200, "CreateStream: %d", status);
    json_decref(j);
    snprintf(body, sizeof body, "{\"StreamName\":\"%s\"}", name);
    for (int i = 0; i < 200; i++) {
        j = call("DescribeStreamSummary", body, &status);
        const char *st = json_string_value(
            json_object_get(json_object_get(j, "StreamDescriptionSummary"), "StreamStatus"));
        int active = st && strcmp(st, "ACTIVE") == 0;
        json_decref(j);
        if (active)
            return;
        sleep_ms(20);
    }
    cr_assert_fail("stream %s never became ACTIVE", name);
}

/* Every record of a one-shard stream from TRIM_HORIZON (at most 10 pages). */
static size_t count_records(const char *name)
{
    char body[1200];
    snprintf(
        body, sizeof body,
        "{\"StreamName\":\"%s\",\"ShardId\":\"shardId-000000000000\",\"ShardIteratorType\":\"TRIM_HORIZON\"}",
        name);
    int status = 0;
    json_t *j = call("GetShardIterator", body, &status);
    cr_assert_eq(status, 200);
    char it[1024];
    snprintf(it, sizeof it, "%s", json_string_value(json_object_get(j, "ShardIterator")));
    json_decref(j);
    size_t total = 0;
    for (int page = 0; page < 10; page++) {
        snprintf(body, sizeof body, "{\"ShardIterator\":\"%s\",\"Limit\":10000}", it);
        j = call("GetRecords", body, &status);
        cr_assert_eq(status, 200);
        size_t n = json_array_size(json_object_get(j, "Records"));
        total += n;
        const char *next = json_string_value(json_object_get(j, "NextShardIterator"));
        int more = n > 0 && next;
        if (next)
            snprintf(it, sizeof it, "%s", next);
        json_decref(j);
        if (!more)
            break;
    }
    return total;
}

#define ENV_LIMITS(conns, timeout_ms, header)                                                                \
    "KINESIS_SIM_MAX_CONNECTIONS=" #conns, "KINESIS_SIM_CONNECTION_TIMEOUT_MS=" #timeout_ms,                 \
        "KINESIS_SIM_MAX_HEADER_BYTES=" #header

/* ---- slow senders ---- */

Test(hostile, slow_sender_within_the_timeout_is_served_and_others_meanwhile, .timeout = 30)
{
    const char *env[] = {ENV_LIMITS(100, 3000, 16384), NULL};
    sim_start(env, NULL);
    size_t len;
    char *req = kin_request("ListStreams", "{\"Limit\":5}", 0, NULL, &len);
    int fd = connect_port(sim_port);
    double t0 = now_s();
    /* about 1.2 s in 12 parts: slow, but inside the 3 s timeout */
    size_t step = len / 12 + 1;
    for (size_t off = 0; off < len; off += step) {
        send_all(fd, req + off, off + step < len ? step : len - off);
        if (off == step) { /* meanwhile, another client is served at once */
            double t1 = now_s();
            normal_call_works();
            cr_assert_lt(now_s() - t1, 0.5, "another client waited %.2f s behind a slow sender",
                         now_s() - t1);
        }
        sleep_ms(100);
    }
    inbuf in = {0};
    answer a = read_answer(fd, &in, 3000);
    cr_assert_eq(a.status, 200, "the slow sender got %d after %.2f s", a.status, now_s() - t0);
    free(a.body);
    free(in.p);
    free(req);
    close(fd);
    normal_call_works();
    expect_clean_stop();
}

Test(hostile, slow_sender_past_the_timeout_is_cut, .timeout = 30)
{
    const char *env[] = {ENV_LIMITS(100, 1500, 16384), NULL};
    sim_start(env, NULL);
    /* a 200-byte body (JSON padded with spaces), so dribbling it alone outlasts the timeout */
    char padded[256];
    snprintf(padded, sizeof padded, "{\"Limit\":5%190s}", "");
    size_t len;
    char *req = kin_request("ListStreams", padded, 0, NULL, &len);
    /* one dribbling the head, one dribbling the body, byte by byte every 30 ms (6 s or more each) */
    size_t head_len = strstr(req, "\r\n\r\n") + 4 - req;
    int fds[2] = {connect_port(sim_port), connect_port(sim_port)};
    send_all(fds[1], req, head_len);
    size_t off[2] = {0, head_len};
    int cut[2] = {0, 0};
    double cut_at[2] = {0, 0};
    double t0 = now_s();
    while ((!cut[0] || !cut[1]) && now_s() - t0 < 8) {
        for (int i = 0; i < 2; i++) {
            if (cut[i] || off[i] >= len)
                continue;
            ssize_t w = send(fds[i], req + off[i], 1, MSG_NOSIGNAL);
            struct pollfd p = {fds[i], POLLIN, 0};
            char b[256];
            if (w < 0 || (poll(&p, 1, 0) > 0 && recv(fds[i], b, sizeof b, MSG_DONTWAIT) <= 0)) {
                cut[i] = 1;
                cut_at[i] = now_s() - t0;
            } else if (w > 0) {
                off[i]++;
            }
        }
        sleep_ms(30);
    }
    for (int i = 0; i < 2; i++) {
        cr_assert(cut[i], "the slow %s sender was never cut (%zu of %zu bytes sent)", i ? "body" : "head",
                  off[i], len);
        cr_assert(cut_at[i] >= 1.3 && cut_at[i] <= 4.0,
                  "the slow %s sender was cut after %.2f s (timeout 1.5 s)", i ? "body" : "head", cut_at[i]);
        cr_assert_lt(off[i], len, "the whole request went through");
        close(fds[i]);
    }
    free(req);
    normal_call_works();
    expect_clean_stop();
}

/* ---- many idle connections ---- */

Test(hostile, two_thousand_idle_connections_meet_max_connections, .timeout = 60)
{
    enum { N = 2000, MAX = 300 };
    struct rlimit rl;
    cr_assert_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
    if (rl.rlim_cur < N + 200 && rl.rlim_max >= N + 200) {
        rl.rlim_cur = N + 200;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    if (rl.rlim_cur < N + 200) {
        cr_skip_test("ulimit -n is %lu; this test needs %d descriptors (raise it with ulimit -n)",
                     (unsigned long)rl.rlim_cur, N + 200);
    }
    const char *env[] = {ENV_LIMITS(300, 20000, 16384), NULL};
    sim_start(env, NULL);
    /* a keep-alive client that was there before the flood */
    int early = connect_port(sim_port);
    size_t len;
    char *req = kin_request("ListStreams", "{}", 0, NULL, &len);
    inbuf ein = {0};
    send_all(early, req, len);
    answer a = read_answer(early, &ein, 3000);
    cr_assert_eq(a.status, 200);
    free(a.body);

    static int fds[N];
    int refused = 0, open_ok = 0;
    double t0 = now_s();
    for (int i = 0; i < N; i++)
        fds[i] = connect_port(sim_port);
    /* refused ones get a 503 and are closed; the others stay open and silent */
    for (int i = 0; i < N; i++) {
        struct pollfd p = {fds[i], POLLIN, 0};
        int left = 3000 - (int)((now_s() - t0) * 1000);
        char b[1024];
        if (poll(&p, 1, left > 0 ? left / 50 + 1 : 0) > 0) {
            ssize_t n = recv(fds[i], b, sizeof b - 1, 0);
            if (n > 0) {
                b[n] = 0;
                cr_assert(strstr(b, "503 Service Unavailable") && strstr(b, "ServiceUnavailable") &&
                              strstr(b, "max-connections 300"),
                          "a refused connection got: %s", b);
                refused++;
                continue;
            }
        }
        open_ok++;
    }
    cr_assert_geq(refused, N - MAX - 5, "only %d of %d connections were refused (max 300 + 1 early)", refused,
                  N);
    cr_assert_geq(open_ok, MAX - 10, "only %d connections were accepted (max 300)", open_ok);
    /* during the flood, the early client is still served */
    send_all(early, req, len);
    a = read_answer(early, &ein, 3000);
    cr_assert_eq(a.status, 200, "the early keep-alive client got %d during the flood", a.status);
    free(a.body);
    /* a new client meanwhile gets the clear refusal */
    int status = 0;
    json_t *j = call("ListStreams", "{}", &status);
    cr_assert_eq(status, 503);
    cr_assert_str_eq(json_string_value(json_object_get(j, "__type")), "ServiceUnavailable");
    json_decref(j);
    for (int i = 0; i < N; i++)
        close(fds[i]);
    /* the slots come back within a bounded time */
    int served = 0;
    for (int i = 0; i < 50 && !served; i++) {
        j = call("ListStreams", "{}", &status);
        json_decref(j);
        served = status == 200;
        if (!served)
            sleep_ms(100);
    }
    cr_assert(served, "new clients were still refused after the idle connections closed");
    close(early);
    free(ein.p);
    free(req);
    normal_call_works();
    expect_clean_stop();
}

/* ---- clients that vanish ---- */

static void set_reset_on_close(int fd)
{
    struct linger lg = {1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
}

Test(hostile, disconnect_mid_request_stores_nothing, .timeout = 30)
{
    const char *env[] = {ENV_LIMITS(100, 5000, 16384), NULL};
    sim_start(env, NULL);
    create_stream("hostile-mid-request", 1);
    const char *body =
        "{\"StreamName\":\"hostile-mid-request\",\"Records\":[{\"Data\":\"AAAA\",\"PartitionKey\":\"a\"},"
        "{\"Data\":\"BBBB\",\"PartitionKey\":\"b\"}]}";
    size_t bl = strlen(body);
    for (int i = 0; i < 20; i++) {
        size_t len;
        char *head = kin_request("PutRecords", NULL, bl, NULL, &len);
        int fd = connect_port(sim_port);
        send_all(fd, head, len);
        send_all(fd, body, bl * (size_t)(i + 1) / 22); /* part of the body, never all */
        if (i % 2)
            set_reset_on_close(fd); /* half of them with a reset, half with a FIN */
        close(fd);
        free(head);
    }
    /* a half-sent request with headers only, then gone */
    int fd = connect_port(sim_port);
    send_all(fd, "POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Tar", 36);
    close(fd);
    sleep_ms(200);
    cr_assert_eq(count_records("hostile-mid-request"), 0, "a half-sent PutRecords stored records");
    /* the same request sent whole is stored */
    int status = 0;
    json_t *j = call("PutRecords", body, &status);
    cr_assert_eq(status, 200);
    cr_assert_eq(json_integer_value(json_object_get(j, "FailedRecordCount")), 0);
    json_decref(j);
    cr_assert_eq(count_records("hostile-mid-request"), 2);
    normal_call_works();
    expect_clean_stop();
}

Test(hostile, disconnect_mid_answer_leaves_the_server_serving, .timeout = 60)
{
    const char *env[] = {ENV_LIMITS(100, 5000, 16384), NULL};
    const char *flags[] = {"--throttle", "off", NULL};
    sim_start(env, flags);
    create_stream("hostile-mid-answer", 1);
    /* about 2 MB of records, so GetRecords answers are large */
    char *data = malloc(40000);
    memset(data, 'Q', 39996);
    data[39996] = 0;
    for (int batch = 0; batch < 5; batch++) {
        json_t *recs = json_array();
        for (int i = 0; i < 10; i++)
            json_array_append_new(recs, json_pack("{s:s,s:s}", "Data", data, "PartitionKey", "k"));
        json_t *in = json_pack("{s:s,s:o}", "StreamName", "hostile-mid-answer", "Records", recs);
        char *body = json_dumps(in, JSON_COMPACT);
        int status = 0;
        json_t *j = call("PutRecords", body, &status);
        cr_assert_eq(status, 200);
        json_decref(j);
        free(body);
        json_decref(in);
    }
    free(data);
    char body[512];
    snprintf(
        body, sizeof body,
        "{\"StreamName\":\"hostile-mid-answer\",\"ShardId\":\"shardId-000000000000\",\"ShardIteratorType\":"
        "\"TRIM_HORIZON\"}");
    int status = 0;
    json_t *j = call("GetShardIterator", body, &status);
    cr_assert_eq(status, 200);
    snprintf(body, sizeof body, "{\"ShardIterator\":\"%s\"}",
             json_string_value(json_object_get(j, "ShardIterator")));
    json_decref(j);
    for (int i = 0; i < 20; i++) {
        size_t len;
        char *req = kin_request("GetRecords", body, 0, NULL, &len);
        int fd = connect_port(sim_port);
        int small = 4096;
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
        send_all(fd, req, len);
        free(req);
        if (i % 2) { /* read a little of the answer first */
            char b[1024];
            struct pollfd p = {fd, POLLIN, 0};
            if (poll(&p, 1, 2000) > 0)
                cr_assert_geq(recv(fd, b, sizeof b, 0), 0);
        }
        if (i % 4 < 2)
            set_reset_on_close(fd);
        close(fd);
    }
    /* the records are all still there, and readable */
    cr_assert_eq(count_records("hostile-mid-answer"), 50);
    normal_call_works();
    expect_clean_stop();
}

/* ---- pipelining ---- */

Test(hostile, pipelined_requests_are_answered_in_order, .timeout = 30)
{
    const char *env[] = {ENV_LIMITS(100, 5000, 16384), NULL};
    sim_start(env, NULL);
    create_stream("hostile-pipe", 1);
    const char *ops[] = {"DescribeStreamSummary",
                         "DescribeStreamSummary",
                         "PutRecord",
                         "ListShards",
                         "DescribeStreamSummary",
                         "PutRecord"};
    const char *bodies[] = {"{\"StreamName\":\"hostile-pipe\"}",
                            "{\"StreamName\":\"hostile-pipe-missing\"}",
                            "{\"StreamName\":\"hostile-pipe\",\"Data\":\"AQID\",\"PartitionKey\":\"p1\"}",
                            "{\"StreamName\":\"hostile-pipe\"}",
                            "{\"StreamName\":\"\"}",
                            "{\"StreamName\":\"hostile-pipe\",\"Data\":\"BAUG\",\"PartitionKey\":\"p2\"}"};
    enum { N = 6 };
    char *all = NULL;
    size_t all_len = 0;
    for (int i = 0; i < N; i++) {
        size_t len;
        char *r = kin_request(ops[i], bodies[i], 0, NULL, &len);
        all = realloc(all, all_len + len);
        memcpy(all + all_len, r, len);
        all_len += len;
        free(r);
    }
    int fd = connect_port(sim_port);
    send_all(fd, all, all_len); /* all six in one write */
    free(all);
    inbuf in = {0};
    answer a[N];
    for (int i = 0; i < N; i++) {
        a[i] = read_answer(fd, &in, 5000);
        cr_assert_neq(a[i].status, 0, "answer %d of %d never came", i + 1, N);
    }
    cr_assert_eq(a[0].status, 200);
    cr_assert(strstr(a[0].body, "\"StreamName\":\"hostile-pipe\""), "answer 1: %s", a[0].body);
    cr_assert_eq(a[1].status, 400);
    cr_assert(strstr(a[1].body, "ResourceNotFoundException") && strstr(a[1].body, "hostile-pipe-missing"),
              "answer 2: %s", a[1].body);
    cr_assert_eq(a[2].status, 200);
    cr_assert(strstr(a[2].body, "SequenceNumber"), "answer 3: %s", a[2].body);
    cr_assert_eq(a[3].status, 200);
    cr_assert(strstr(a[3].body, "\"Shards\""), "answer 4: %s", a[3].body);
    cr_assert_eq(a[4].status, 400);
    cr_assert(strstr(a[4].body, "ValidationException"), "answer 5: %s", a[4].body);
    cr_assert_eq(a[5].status, 200);
    json_t *s1 = json_loads(a[2].body, 0, NULL), *s2 = json_loads(a[5].body, 0, NULL);
    const char *q1 = json_string_value(json_object_get(s1, "SequenceNumber"));
    const char *q2 = json_string_value(json_object_get(s2, "SequenceNumber"));
    cr_assert(q1 && q2 && (strlen(q1) < strlen(q2) || (strlen(q1) == strlen(q2) && strcmp(q1, q2) < 0)),
              "the two PutRecords were not stored in the order sent: %s then %s", q1, q2);
    json_decref(s1);
    json_decref(s2);
    for (int i = 0; i < N; i++)
        free(a[i].body);
    free(in.p);
    close(fd);
    normal_call_works();
    expect_clean_stop();
}

/* ---- oversized bodies and heads ---- */

Test(hostile, body_of_100_mb_is_413_before_it_is_sent, .timeout = 30)
{
    const char *env[] = {ENV_LIMITS(100, 5000, 16384), NULL};
    sim_start(env, NULL);
    size_t len;
    char *head = kin_request("PutRecord", NULL, (size_t)100 * 1024 * 1024, NULL, &len);
    int fd = connect_port(sim_port);
    double t0 = now_s();
    send_all(fd, head, len);
    free(head);
    /* send only the first 64 KiB: the answer must not wait for the rest */
    char *chunk = calloc(1, 65536);
    ssize_t w = send(fd, chunk, 65536, MSG_NOSIGNAL | MSG_DONTWAIT);
    (void)w; /* the server may already have answered and closed */
    free(chunk);
    inbuf in = {0};
    answer a = read_answer(fd, &in, 3000);
    cr_assert_eq(a.status, 413, "a 100 MB body got %d", a.status);
    cr_assert_lt(now_s() - t0, 1.0, "the 413 took %.2f s", now_s() - t0);
    cr_assert(strstr(a.body, "RequestEntityTooLarge"), "body: %s", a.body);
    cr_assert(find_ci(a.head, "x-amzn-RequestId:"), "no request id: %s", a.head);
    free(a.body);
    free(in.p);
    close(fd);

    /* chunked, so the size is unknown up front: 16 MiB is discarded as it comes (not stored), 413 */
    fd = connect_port(sim_port);
    const char *ch =
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-amz-json-1.1\r\n"
        "X-Amz-Target: Kinesis_20131202.PutRecord\r\n" AUTH_HDRS "Transfer-Encoding: chunked\r\n\r\n";
    send_all(fd, ch, strlen(ch));
    char *piece = malloc(65536 + 16);
    int pl = snprintf(piece, 16, "10000\r\n");
    memset(piece + pl, 'x', 65536);
    memcpy(piece + pl + 65536, "\r\n", 2);
    t0 = now_s();
    for (int i = 0; i < 256; i++)
        send_all(fd, piece, (size_t)pl + 65536 + 2);
    send_all(fd, "0\r\n\r\n", 5);
    free(piece);
    memset(&in, 0, sizeof in);
    a = read_answer(fd, &in, 5000);
    cr_assert_eq(a.status, 413, "a 16 MiB chunked body got %d", a.status);
    cr_assert_lt(now_s() - t0, 5.0);
    free(a.body);
    free(in.p);
    close(fd);
    normal_call_works();
    expect_clean_stop();
}

Test(hostile, header_floods_get_431, .timeout = 30)
{
    const char *env[] = {ENV_LIMITS(100, 5000, 16384), NULL};
    sim_start(env, NULL);
    /* many headers, over max-header-bytes (16 KiB) -> our 431 with a JSON body */
    size_t cap = 300 * 64 + 1;
    char *many = malloc(cap), *p = many;
    for (int i = 0; i < 300; i++)
        p += snprintf(p, cap - (size_t)(p - many), "X-Flood-%d: %040d\r\n", i, i);
    size_t len;
    char *req = kin_request("ListStreams", "{}", 0, many, &len);
    int fd = connect_port(sim_port);
    send_all(fd, req, len);
    inbuf in = {0};
    answer a = read_answer(fd, &in, 3000);
    cr_assert_eq(a.status, 431, "300 headers of 55 bytes got %d", a.status);
    cr_assert(strstr(a.body, "exceed the maximum of 16384 bytes"), "body: %s", a.body);
    cr_assert(find_ci(a.head, "x-amzn-RequestId:"), "no request id: %s", a.head);
    free(a.body);
    free(in.p);
    close(fd);
    free(req);
    free(many);

    /* 20000 headers: libmicrohttpd's bounded connection memory gives out first; still 431 */
    cap = 20000 * 24 + 1;
    many = malloc(cap);
    p = many;
    for (int i = 0; i < 20000; i++)
        p += snprintf(p, cap - (size_t)(p - many), "X-Flood-%d: v\r\n", i);
    req = kin_request("ListStreams", "{}", 0, many, &len);
    free(many);
    fd = connect_port(sim_port);
    size_t sent = 0;
    while (sent < len) { /* the server may answer and close before taking it all */
        ssize_t w = send(fd, req + sent, len - sent, MSG_NOSIGNAL);
        if (w <= 0)
            break;
        sent += (size_t)w;
    }
    memset(&in, 0, sizeof in);
    a = read_answer(fd, &in, 3000);
    cr_assert(a.status == 431 || (a.status == 0 && sent < len),
              "20000 headers got %d (%zu of %zu bytes sent)", a.status, sent, len);
    free(a.body);
    free(in.p);
    close(fd);
    free(req);

    /* one huge header (1 MiB): cut off by the bounded per-connection memory, 431, never read whole */
    char *huge = malloc(1024 * 1024 + 32);
    memcpy(huge, "X-Huge: ", 8);
    memset(huge + 8, 'h', 1024 * 1024);
    memcpy(huge + 8 + 1024 * 1024, "\r\n", 3);
    req = kin_request("ListStreams", "{}", 0, huge, &len);
    free(huge);
    fd = connect_port(sim_port);
    sent = 0;
    while (sent < len) { /* the server may answer and close before taking it all */
        ssize_t w = send(fd, req + sent, len - sent, MSG_NOSIGNAL);
        if (w <= 0)
            break;
        sent += (size_t)w;
    }
    memset(&in, 0, sizeof in);
    a = read_answer(fd, &in, 3000);
    cr_assert(a.status == 431 || (a.status == 0 && sent < len),
              "a 1 MiB header got %d (%zu of %zu bytes sent)", a.status, sent, len);
    free(a.body);
    free(in.p);
    close(fd);
    free(req);
    normal_call_works();
    expect_clean_stop();
}

/* ---- HTTP/2 ---- */

static const char PREFACE[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
static const uint8_t EMPTY_SETTINGS[9] = {0, 0, 0, 4, 0, 0, 0, 0, 0};

/* Read frames until the server closes or timeout_ms; bit (1 << type) per frame type seen. */
static unsigned h2_frames(int fd, int timeout_ms, int *closed, uint32_t *goaway_code)
{
    static uint8_t buf[1 << 18];
    size_t len = 0;
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
    unsigned seen = 0;
    for (size_t off = 0; off + 9 <= len;) {
        size_t flen = ((size_t)buf[off] << 16) | ((size_t)buf[off + 1] << 8) | buf[off + 2];
        uint8_t type = buf[off + 3];
        if (type < 32)
            seen |= 1u << type;
        if (type == 7 && off + 17 <= len && goaway_code)
            *goaway_code = ((uint32_t)buf[off + 13] << 24) | ((uint32_t)buf[off + 14] << 16) |
                           ((uint32_t)buf[off + 15] << 8) | buf[off + 16];
        off += 9 + flen;
    }
    return seen;
}

Test(hostile, http2_garbage_after_the_preface_gets_goaway, .timeout = 30)
{
    const char *env[] = {ENV_LIMITS(100, 5000, 16384), NULL};
    sim_start(env, NULL);
    unsigned seed = 7;
    for (int round = 0; round < 3; round++) {
        int fd = connect_port(sim_port);
        send_all(fd, PREFACE, 24);
        if (round > 0)
            send_all(fd, (const char *)EMPTY_SETTINGS, 9);
        uint8_t junk[4096];
        for (size_t i = 0; i < sizeof junk; i++)
            junk[i] = (uint8_t)(rand_r(&seed) >> 3);
        if (round == 2) /* a frame header announcing 16 MiB, then junk */
            memcpy(junk, "\xff\xff\xff\x00\x00\x00\x00\x00\x01", 9);
        ssize_t w = send(fd, junk, sizeof junk, MSG_NOSIGNAL);
        (void)w;
        int closed = 0;
        uint32_t code = 0xffffffffu;
        unsigned seen = h2_frames(fd, 3000, &closed, &code);
        cr_assert(closed, "round %d: the connection stayed open after garbage", round);
        cr_assert(seen & (1u << 7), "round %d: no GOAWAY (frame types seen 0x%x)", round, seen);
        cr_assert(code == 1 || code == 6 || code == 9,
                  "round %d: GOAWAY code %u (expected PROTOCOL_ERROR, FRAME_SIZE_ERROR or COMPRESSION_ERROR)",
                  round, code);
        close(fd);
    }
    normal_call_works();
    expect_clean_stop();
}

/* A minimal nghttp2 client for one request: its :status and the stream's close code. */
typedef struct h2c {
    int fd;
    int status;
    int closed;
    uint32_t close_code;
} h2c;

static ssize_t h2c_send(nghttp2_session *s, const uint8_t *data, size_t len, int flags, void *ud)
{
    (void)s;
    (void)flags;
    h2c *c = ud;
    ssize_t n = send(c->fd, data, len, MSG_NOSIGNAL);
    if (n < 0)
        return errno == EAGAIN ? NGHTTP2_ERR_WOULDBLOCK : NGHTTP2_ERR_CALLBACK_FAILURE;
    return n;
}

static int h2c_header(nghttp2_session *s, const nghttp2_frame *f, const uint8_t *name, size_t namelen,
                      const uint8_t *value, size_t valuelen, uint8_t flags, void *ud)
{
    (void)s;
    (void)f;
    (void)flags;
    h2c *c = ud;
    if (namelen == 7 && memcmp(name, ":status", 7) == 0)
        c->status = atoi((const char *)value) * (valuelen > 0);
    return 0;
}

static int h2c_close(nghttp2_session *s, int32_t id, uint32_t code, void *ud)
{
    (void)s;
    (void)id;
    h2c *c = ud;
    c->closed = 1;
    c->close_code = code;
    return 0;
}

static nghttp2_session *h2c_new(h2c *c)
{
    nghttp2_session_callbacks *cb;
    nghttp2_session_callbacks_new(&cb);
    nghttp2_session_callbacks_set_send_callback(cb, h2c_send);
    nghttp2_session_callbacks_set_on_header_callback(cb, h2c_header);
    nghttp2_session_callbacks_set_on_stream_close_callback(cb, h2c_close);
    nghttp2_option *opt;
    nghttp2_option_new(&opt);
    nghttp2_option_set_max_send_header_block_length(opt, 1 << 20);
    nghttp2_session *s;
    cr_assert_eq(nghttp2_session_client_new2(&s, cb, c, opt), 0);
    nghttp2_option_del(opt);
    nghttp2_session_callbacks_del(cb);
    cr_assert_eq(nghttp2_submit_settings(s, NGHTTP2_FLAG_NONE, NULL, 0), 0);
    return s;
}

/* Pump the session until the stream closes or timeout_ms. */
static void h2c_run(nghttp2_session *s, h2c *c, int timeout_ms)
{
    double t0 = now_s();
    while (!c->closed && (now_s() - t0) * 1000 < timeout_ms) {
        cr_assert_eq(nghttp2_session_send(s), 0);
        struct pollfd p = {c->fd, POLLIN, 0};
        if (poll(&p, 1, 50) <= 0)
            continue;
        uint8_t buf[16384];
        ssize_t n = recv(c->fd, buf, sizeof buf, 0);
        if (n <= 0)
            break;
        cr_assert_geq(nghttp2_session_mem_recv(s, buf, (size_t)n), 0);
    }
}

static nghttp2_nv nv(const char *n, const char *v)
{
    nghttp2_nv x = {(uint8_t *)n, (uint8_t *)v, strlen(n), strlen(v), NGHTTP2_NV_FLAG_NONE};
    return x;
}

typedef struct body_src {
    const char *p;
    size_t len, off;
    int hold; /* send nothing yet (a slow sender) */
} body_src;

static ssize_t body_read_cb(nghttp2_session *s, int32_t id, uint8_t *buf, size_t length, uint32_t *flags,
                            nghttp2_data_source *src, void *ud)
{
    (void)s;
    (void)id;
    (void)ud;
    body_src *b = src->ptr;
    if (b->hold)
        return NGHTTP2_ERR_DEFERRED;
    size_t n = b->len - b->off < length ? b->len - b->off : length;
    memcpy(buf, b->p + b->off, n);
    b->off += n;
    if (b->off == b->len)
        *flags |= NGHTTP2_DATA_FLAG_EOF;
    return (ssize_t)n;
}

Test(hostile, http2_header_flood_gets_431_and_a_slow_stream_is_reset, .timeout = 30)
{
    const char *env[] = {ENV_LIMITS(100, 1500, 8192), NULL};
    sim_start(env, NULL);
    /* 1. 200 headers of 300 bytes (60 KB) against max-header-bytes 8192 */
    h2c c = {connect_port(sim_port), 0, 0, 0};
    nghttp2_session *s = h2c_new(&c);
    enum { NH = 200 };
    static nghttp2_nv hv[NH + 8];
    static char names[NH][24], value[301];
    memset(value, 'v', 300);
    size_t n = 0;
    hv[n++] = nv(":method", "POST");
    hv[n++] = nv(":scheme", "http");
    hv[n++] = nv(":path", "/");
    hv[n++] = nv(":authority", "127.0.0.1");
    hv[n++] = nv("x-amz-target", "Kinesis_20131202.ListStreams");
    for (int i = 0; i < NH; i++) {
        snprintf(names[i], sizeof names[i], "x-flood-%d", i);
        hv[n++] = nv(names[i], value);
    }
    cr_assert_gt(nghttp2_submit_request(s, NULL, hv, n, NULL, NULL), 0);
    h2c_run(s, &c, 3000);
    cr_assert_eq(c.status, 431, "an HTTP/2 header flood got %d", c.status);
    nghttp2_session_del(s);
    close(c.fd);

    /* 2. a stream that sends its headers and then never its body: reset after the timeout (1.5 s),
     *    while another stream on the same connection is answered */
    h2c d = {connect_port(sim_port), 0, 0, 0};
    s = h2c_new(&d);
    body_src slow = {"{}", 2, 0, 1};
    nghttp2_data_provider prd = {.source.ptr = &slow, .read_callback = body_read_cb};
    nghttp2_nv sv[] = {nv(":method", "POST"),
                       nv(":scheme", "http"),
                       nv(":path", "/"),
                       nv(":authority", "127.0.0.1"),
                       nv("x-amz-target", "Kinesis_20131202.ListStreams"),
                       nv("content-type", "application/x-amz-json-1.1")};
    double t0 = now_s();
    cr_assert_gt(nghttp2_submit_request(s, NULL, sv, sizeof sv / sizeof sv[0], &prd, NULL), 0);
    h2c_run(s, &d, 5000);
    double took = now_s() - t0;
    cr_assert(d.closed, "the slow stream was never reset");
    cr_assert_eq(d.close_code, (uint32_t)NGHTTP2_CANCEL, "closed with %u", d.close_code);
    cr_assert(took >= 1.3 && took < 3.5, "reset after %.2f s (timeout 1.5 s)", took);
    cr_assert_eq(d.status, 0, "the slow stream was answered %d", d.status);
    nghttp2_session_del(s);
    close(d.fd);
    normal_call_works();
    expect_clean_stop();
}

/* ---- TLS ---- */

static tl_cert cert;

/* A TLS connection to port that sends one HTTP/1.1 request; its status (0: none). */
static int tls_call(int port)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    cr_assert_not_null(ctx);
    const unsigned char alpn[] = "\x08http/1.1";
    SSL_CTX_set_alpn_protos(ctx, alpn, sizeof alpn - 1);
    int fd = connect_port(port);
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    SSL *ssl = SSL_new(ctx);
    SSL_set_fd(ssl, fd);
    int status = 0;
    if (SSL_connect(ssl) == 1) {
        size_t len;
        char *req = kin_request("ListStreams", "{}", 0, "Connection: close\r\n", &len);
        if (SSL_write(ssl, req, (int)len) == (int)len) {
            char buf[4096];
            int n = SSL_read(ssl, buf, sizeof buf - 1);
            if (n > 12) {
                buf[n] = 0;
                status = atoi(buf + 9);
            }
        }
        free(req);
    }
    ERR_clear_error();
    SSL_free(ssl);
    SSL_CTX_free(ctx);
    close(fd);
    return status;
}

Test(hostile, tls_garbage_is_closed_and_the_server_keeps_serving, .timeout = 40)
{
    tl_cert_make(&cert, "kinesis-hostile");
    const char *env[] = {ENV_LIMITS(100, 5000, 16384), NULL};
    char tls_port[16];
    snprintf(tls_port, sizeof tls_port, "%d", free_port());
    const char *flags[] = {"--tls-cert", cert.cert, "--tls-key", cert.key, "--tls-port", tls_port, NULL};
    sim_start(env, flags);
    cr_assert_eq(tls_call(sim_port), 200, "TLS on the plain port before the garbage");
    unsigned seed = 11;
    for (int round = 0; round < 4; round++) {
        int fd = connect_port(sim_port);
        uint8_t junk[2048];
        for (size_t i = 0; i < sizeof junk; i++)
            junk[i] = (uint8_t)(rand_r(&seed) >> 5);
        junk[0] = 0x16; /* looks like a handshake record ... */
        if (round == 1)
            memcpy(junk, "\x16\x03\x01\xff\xff", 5); /* ... announcing a huge one */
        if (round == 2)
            memcpy(junk, "\x16\x03\x01\x00\x30\x01\x00\x00\x2c\x03\x03", 11); /* a truncated ClientHello */
        if (round == 3) /* a record that is cut short, then silence: the handshake times out (10 s) */
            memcpy(junk, "\x16\x03\x01\x00\x05\x01", 6);
        ssize_t w = send(fd, junk, round == 3 ? 6 : sizeof junk, MSG_NOSIGNAL);
        (void)w;
        if (round < 3)
            cr_assert(closed_within(fd, 3000), "round %d: the connection stayed open after TLS garbage",
                      round);
        else
            cr_assert(closed_within(fd, 13000), "a stalled handshake was never closed");
        close(fd);
        normal_call_works();
    }
    /* plain-text garbage on a TLS-only port is a failed handshake too */
    cr_assert_gt(sim_tls_port, 0);
    int fd = connect_port(sim_tls_port);
    send_all(fd, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 27);
    cr_assert(closed_within(fd, 3000), "plain HTTP on the TLS port was not closed");
    close(fd);
    cr_assert_eq(tls_call(sim_port), 200, "TLS on the plain port after the garbage");
    cr_assert_eq(tls_call(sim_tls_port), 200, "TLS on the TLS port after the garbage");
    normal_call_works();
    expect_clean_stop();
    tl_cert_remove(&cert);
}
