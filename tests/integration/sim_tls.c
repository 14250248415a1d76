/* sim_tls.c: kinesis-sim over TLS. Each test starts its own simulator with --tls-cert/--tls-key
 * (the binary from $KINESIS_SIM_BIN, default build/kinesis-sim) and a self-signed certificate for
 * 127.0.0.1 made here with libcrypto, reads the "listening on https://" line, and checks: ALPN h2
 * (operations, connection reuse, many streams on one connection), ALPN http/1.1 (bridged to the
 * HTTP/1.1 server: keep-alive, a large body), plaintext HTTP/1.1 and h2c on the same port, a
 * separate --tls-port listener, a broken handshake, and a clear startup error for a bad certificate.
 * The simulator is stopped with SIGTERM and must exit 0. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

#define AUTH_HDR                                                                                             \
    "Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/kinesis/aws4_request, "       \
    "SignedHeaders=host;x-amz-date, Signature=abc123"

static double now_s(void)
{
    return (double)tl_now_us() / 1e6;
}

/* ---- a self-signed certificate for 127.0.0.1 (testlib) ---- */

static tl_cert cert;

/* ---- our own simulator ---- */

static tl_sim sim;
static char http_url[128], https_url[128];

/* Start kinesis-sim with extra arguments; wait (at most 10 s) for its ready lines. errbuf gets
 * what it printed. */
static int sim_start(const char *const *extra, char *errbuf, size_t errlen)
{
    const char *args[32] = {"--db",        ":memory:", "--create-delay-ms", "20", "--delete-delay-ms", "20",
                            "--log-level", "warn"};
    int n = 8;
    for (size_t i = 0; extra && extra[i] && n < 31; i++)
        args[n++] = extra[i];
    args[n] = NULL;
    tl_sim_options o = {.args = args};
    int rc = tl_sim_start(&sim, &o);
    snprintf(http_url, sizeof http_url, "%s", sim.url);
    snprintf(https_url, sizeof https_url, "%s", sim.tls_url);
    if (errbuf)
        snprintf(errbuf, errlen, "%s", sim.printed);
    return rc;
}

/* SIGTERM, then at most 10 s for a clean exit; returns the exit status. */
static int sim_stop(void)
{
    return tl_sim_stop(&sim);
}

static void cleanup_files(void)
{
    tl_cert_remove(&cert);
}

static void setup(void)
{
    tl_cert_make(&cert, "kinesis-tls");
    const char *extra[] = {"--tls-cert", cert.cert, "--tls-key", cert.key, NULL};
    char out[4096];
    cr_assert_eq(sim_start(extra, out, sizeof out), 0, "kinesis-sim did not start: %s", out);
    cr_assert(https_url[0], "no https line: %s", out);
}

static void teardown(void)
{
    int rc = sim_stop();
    cleanup_files();
    cr_expect_eq(rc, 0, "kinesis-sim exited with %d", rc);
}

TestSuite(tls, .init = setup, .fini = teardown);

/* ---- a libcurl client ---- */

typedef struct resp {
    long status, version, connects;
    int code;
    char *body;
    size_t len;
} resp;

static size_t collect(char *p, size_t size, size_t n, void *ud)
{
    resp *r = ud;
    size_t add = size * n;
    char *d = realloc(r->body, r->len + add + 1);
    if (!d)
        return 0;
    memcpy(d + r->len, p, add);
    r->len += add;
    d[r->len] = 0;
    r->body = d;
    return add;
}

static CURL *client(long version)
{
    CURL *c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_HTTP_VERSION, version);
    curl_easy_setopt(c, CURLOPT_CAINFO, cert.cert); /* verify the peer against our certificate */
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 20000L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    return c;
}

/* op NULL: GET path; else POST / with the operation's headers and body. */
static void req(CURL *c, const char *base, const char *op, const char *body, size_t len, resp *r)
{
    memset(r, 0, sizeof *r);
    char url[256], target[128];
    snprintf(url, sizeof url, "%s%s", base, op ? "/" : "/_sim/health");
    struct curl_slist *hl = NULL;
    if (op) {
        snprintf(target, sizeof target, "X-Amz-Target: Kinesis_20131202.%s", op);
        hl = curl_slist_append(hl, "Content-Type: application/x-amz-json-1.1");
        hl = curl_slist_append(hl, target);
        hl = curl_slist_append(hl, AUTH_HDR);
        hl = curl_slist_append(hl, "X-Amz-Date: 20150830T123600Z");
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    } else {
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    }
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    r->code = (int)curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    curl_easy_getinfo(c, CURLINFO_HTTP_VERSION, &r->version);
    curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &r->connects);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(hl);
    if (!r->body)
        r->body = strdup("");
}

static void op_ok(CURL *c, const char *base, const char *op, const char *body, long version)
{
    resp r;
    req(c, base, op, body, strlen(body), &r);
    cr_assert_eq(r.code, CURLE_OK, "%s: curl %d", op, r.code);
    cr_assert_eq(r.status, 200, "%s: %ld %s", op, r.status, r.body);
    cr_assert_eq(r.version, version, "%s: HTTP version %ld, expected %ld", op, r.version, version);
    free(r.body);
}

static void wait_active(CURL *c, const char *base, const char *stream)
{
    char body[256];
    snprintf(body, sizeof body, "{\"StreamName\":\"%s\"}", stream);
    for (int i = 0; i < 200; i++) {
        resp r;
        req(c, base, "DescribeStreamSummary", body, strlen(body), &r);
        int ok = r.status == 200 && strstr(r.body, "\"ACTIVE\"");
        free(r.body);
        if (ok)
            return;
        struct timespec nap = {0, 25 * 1000000L};
        nanosleep(&nap, NULL);
    }
    cr_assert_fail("%s never became ACTIVE", stream);
}

/* ---- tests ---- */

Test(tls, alpn_h2_serves_operations_on_one_connection)
{
    CURL *c = client((long)CURL_HTTP_VERSION_2TLS);
    op_ok(c, https_url, "CreateStream", "{\"StreamName\":\"tls-h2\",\"ShardCount\":1}",
          CURL_HTTP_VERSION_2_0);
    wait_active(c, https_url, "tls-h2");
    op_ok(c, https_url, "PutRecord", "{\"StreamName\":\"tls-h2\",\"PartitionKey\":\"k\",\"Data\":\"dGxz\"}",
          CURL_HTTP_VERSION_2_0);
    op_ok(c, https_url, "ListShards", "{\"StreamName\":\"tls-h2\"}", CURL_HTTP_VERSION_2_0);
    resp r;
    req(c, https_url, NULL, NULL, 0, &r);
    cr_assert_eq(r.status, 200);
    cr_assert_eq(r.version, (long)CURL_HTTP_VERSION_2_0);
    cr_assert_eq(r.connects, 0, "the h2 connection was not reused");
    free(r.body);
    curl_easy_cleanup(c);
}

Test(tls, alpn_h2_multiplexes_streams)
{
    CURLM *m = curl_multi_init();
    curl_multi_setopt(m, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
    enum { N = 16 };
    CURL *e[N];
    resp r[N];
    char url[256];
    snprintf(url, sizeof url, "%s/_sim/health", https_url);
    for (int i = 0; i < N; i++) {
        memset(&r[i], 0, sizeof r[i]);
        e[i] = client((long)CURL_HTTP_VERSION_2TLS);
        curl_easy_setopt(e[i], CURLOPT_URL, url);
        curl_easy_setopt(e[i], CURLOPT_PIPEWAIT, 1L);
        curl_easy_setopt(e[i], CURLOPT_WRITEFUNCTION, collect);
        curl_easy_setopt(e[i], CURLOPT_WRITEDATA, &r[i]);
        curl_multi_add_handle(m, e[i]);
    }
    int running = 1;
    double t0 = now_s();
    while (running && now_s() - t0 < 20) {
        curl_multi_perform(m, &running);
        if (running)
            curl_multi_poll(m, NULL, 0, 50, NULL);
    }
    cr_assert_eq(running, 0);
    long connects = 0;
    for (int i = 0; i < N; i++) {
        long status = 0, version = 0, n = 0;
        curl_easy_getinfo(e[i], CURLINFO_RESPONSE_CODE, &status);
        curl_easy_getinfo(e[i], CURLINFO_HTTP_VERSION, &version);
        curl_easy_getinfo(e[i], CURLINFO_NUM_CONNECTS, &n);
        cr_assert_eq(status, 200, "request %d", i);
        cr_assert_eq(version, (long)CURL_HTTP_VERSION_2_0);
        connects += n;
        free(r[i].body);
        curl_multi_remove_handle(m, e[i]);
        curl_easy_cleanup(e[i]);
    }
    curl_multi_cleanup(m);
    cr_assert_eq(connects, 1, "%ld connections for %d multiplexed requests", connects, N);
}

Test(tls, alpn_http11_is_bridged_with_keep_alive_and_large_bodies)
{
    CURL *c = client((long)CURL_HTTP_VERSION_1_1);
    op_ok(c, https_url, "CreateStream", "{\"StreamName\":\"tls-h1\",\"ShardCount\":1}",
          CURL_HTTP_VERSION_1_1);
    wait_active(c, https_url, "tls-h1");
    /* a 900 KiB record: about 1.2 MB through the TLS -> libmicrohttpd bridge and back */
    size_t raw = 900 * 1024, b64 = 4 * (raw / 3);
    char *data = malloc(b64 + 1);
    for (size_t i = 0; i < b64; i++)
        data[i] = "QUJDRA=="[i % 4];
    data[b64] = 0;
    size_t cap = b64 + 256;
    char *body = malloc(cap);
    snprintf(body, cap, "{\"StreamName\":\"tls-h1\",\"PartitionKey\":\"k\",\"Data\":\"%s\"}", data);
    op_ok(c, https_url, "PutRecord", body, CURL_HTTP_VERSION_1_1);
    resp r;
    const char *gi = "{\"StreamName\":\"tls-h1\",\"ShardId\":\"shardId-000000000000\",\"ShardIteratorType\":"
                     "\"TRIM_HORIZON\"}";
    req(c, https_url, "GetShardIterator", gi, strlen(gi), &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    json_t *j = json_loads(r.body, 0, NULL);
    char gr[1024];
    snprintf(gr, sizeof gr, "{\"ShardIterator\":\"%s\"}",
             json_string_value(json_object_get(j, "ShardIterator")));
    json_decref(j);
    free(r.body);
    req(c, https_url, "GetRecords", gr, strlen(gr), &r);
    cr_assert_eq(r.status, 200);
    cr_assert_eq(r.version, (long)CURL_HTTP_VERSION_1_1);
    cr_assert_eq(r.connects, 0, "the HTTP/1.1 TLS connection was not kept alive");
    j = json_loads(r.body, 0, NULL);
    cr_assert_str_eq(
        json_string_value(json_object_get(json_array_get(json_object_get(j, "Records"), 0), "Data")), data);
    json_decref(j);
    free(r.body);
    free(body);
    free(data);
    curl_easy_cleanup(c);
}

Test(tls, plain_http1_and_h2c_share_the_port)
{
    CURL *c = client((long)CURL_HTTP_VERSION_1_1);
    resp r;
    req(c, http_url, NULL, NULL, 0, &r);
    cr_assert_eq(r.status, 200);
    cr_assert_eq(r.version, (long)CURL_HTTP_VERSION_1_1);
    free(r.body);
    curl_easy_cleanup(c);
    c = client((long)CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE);
    req(c, http_url, NULL, NULL, 0, &r);
    cr_assert_eq(r.status, 200);
    cr_assert_eq(r.version, (long)CURL_HTTP_VERSION_2_0);
    free(r.body);
    curl_easy_cleanup(c);
}

Test(tls, broken_handshake_is_closed_and_the_server_keeps_serving)
{
    const char *hp = strstr(https_url, "://") + 3;
    int port = atoi(strrchr(hp, ':') + 1);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    const uint8_t junk[] = {0x16, 0x03, 0x01, 0x00, 0x05, 'h', 'e', 'l', 'l', 'o'};
    cr_assert_eq(send(fd, junk, sizeof junk, 0), (ssize_t)sizeof junk);
    struct pollfd p = {fd, POLLIN, 0};
    cr_assert_gt(poll(&p, 1, 5000), 0, "no reaction to a broken ClientHello");
    char buf[256];
    ssize_t n;
    double t0 = now_s();
    while ((n = recv(fd, buf, sizeof buf, 0)) > 0 && now_s() - t0 < 5) /* an alert, then the close */
        ;
    cr_assert_eq(n, 0, "the connection was not closed");
    close(fd);
    CURL *c = client((long)CURL_HTTP_VERSION_2TLS);
    resp r;
    req(c, https_url, NULL, NULL, 0, &r);
    cr_assert_eq(r.status, 200);
    free(r.body);
    curl_easy_cleanup(c);
}

Test(tls, separate_tls_port_listener)
{
    /* a second simulator of this test with --tls-port: TLS on both ports */
    int first_rc = sim_stop();
    cr_assert_eq(first_rc, 0);
    int probe = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    cr_assert_eq(bind(probe, (struct sockaddr *)&sa, sizeof sa), 0);
    socklen_t sl = sizeof sa;
    getsockname(probe, (struct sockaddr *)&sa, &sl);
    int port = ntohs(sa.sin_port);
    close(probe); /* a free port, most likely still free a moment later */
    char ps[16];
    snprintf(ps, sizeof ps, "%d", port);
    const char *extra[] = {"--tls-cert", cert.cert, "--tls-key", cert.key, "--tls-port", ps, NULL};
    char out[4096];
    cr_assert_eq(sim_start(extra, out, sizeof out), 0, "%s", out);
    char want[64];
    snprintf(want, sizeof want, ":%d", port);
    cr_assert(strstr(https_url, want), "no https line for port %d: %s", port, out);
    char base[128];
    snprintf(base, sizeof base, "https://127.0.0.1:%d", port);
    CURL *c = client((long)CURL_HTTP_VERSION_2TLS);
    resp r;
    req(c, base, NULL, NULL, 0, &r);
    cr_assert_eq(r.code, CURLE_OK, "curl %d", r.code);
    cr_assert_eq(r.status, 200);
    free(r.body);
    curl_easy_cleanup(c);
}

Test(tls, bad_certificate_is_a_clear_startup_error)
{
    cr_assert_eq(sim_stop(), 0);
    const char *extra[] = {"--tls-cert", "/nonexistent/cert.pem", "--tls-key", cert.key, NULL};
    char out[4096];
    cr_assert_neq(sim_start(extra, out, sizeof out), 0, "started with a missing certificate");
    cr_assert(strstr(out, "--tls-cert") != NULL, "the error does not name the flag: %s", out);
    cr_assert_eq(sim.exit_code, 1, "exit status %d", sim.exit_code);
    /* the key does not belong to the certificate */
    const char *extra2[] = {"--tls-cert", cert.cert, "--tls-key", cert.cert, NULL};
    cr_assert_neq(sim_start(extra2, out, sizeof out), 0);
    cr_assert(strstr(out, "--tls-key") != NULL, "%s", out);
    /* teardown expects a running simulator: give it one */
    const char *ok[] = {"--tls-cert", cert.cert, "--tls-key", cert.key, NULL};
    cr_assert_eq(sim_start(ok, out, sizeof out), 0, "%s", out);
}
