/* test_runner.c: running cases end to end (exec.c, http_raw.c) against a tiny stub Kinesis
 * endpoint on 127.0.0.1: a deliberately wrong case fails with its reason, a true one passes,
 * captures feed later steps, raw steps see headers, and cleanup deletes the case's streams
 * after a failure and after an interrupt. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "case.h"
#include "exec.h"
#include "report.h"

typedef struct stub {
    int fd, port;
    volatile int stop;
    pthread_t th;
    pthread_mutex_t lock;
    int creates, deletes, puts;
} stub;

static stub S;

static void reply(int c, int status, const char *body)
{
    char head[512];
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 %d %s\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: %zu\r\n"
                     "x-amzn-RequestId: 00000000-0000-0000-0000-000000000000\r\nX-Stub: yes\r\nConnection: close\r\n\r\n",
                     status, status == 200 ? "OK" : "Bad Request", strlen(body));
    if (write(c, head, (size_t)n) < 0 || write(c, body, strlen(body)) < 0)
        return;
}

static void serve_one(int c)
{
    char buf[65536];
    size_t len = 0;
    char *end = NULL;
    for (int tries = 0; tries < 200 && !end; tries++) {
        struct pollfd p = {.fd = c, .events = POLLIN};
        if (poll(&p, 1, 50) <= 0)
            continue;
        ssize_t r = read(c, buf + len, sizeof buf - 1 - len);
        if (r <= 0)
            return;
        len += (size_t)r;
        buf[len] = '\0';
        end = strstr(buf, "\r\n\r\n");
    }
    if (!end)
        return;
    long clen = 0;
    for (char *h = buf; h < end; h = strstr(h, "\r\n") + 2) {
        if (!strncasecmp(h, "Content-Length:", 15))
            clen = atol(h + 15);
    }
    while ((long)(len - (size_t)(end + 4 - buf)) < clen && len < sizeof buf - 1) {
        struct pollfd p = {.fd = c, .events = POLLIN};
        if (poll(&p, 1, 1000) <= 0)
            return;
        ssize_t r = read(c, buf + len, sizeof buf - 1 - len);
        if (r <= 0)
            return;
        len += (size_t)r;
        buf[len] = '\0';
    }
    char lower[sizeof buf];
    for (size_t k = 0; k <= len; k++)
        lower[k] = (char)((buf[k] >= 'A' && buf[k] <= 'Z') ? buf[k] + 32 : buf[k]);
    const char *t = strstr(lower, "x-amz-target: kinesis_20131202.");
    char op[64] = "";
    if (t && t < lower + (end - buf))
        sscanf(buf + (t - lower) + strlen("x-amz-target: kinesis_20131202."), "%63[A-Za-z]", op);
    pthread_mutex_lock(&S.lock);
    if (!strcmp(op, "CreateStream"))
        S.creates++;
    else if (!strcmp(op, "DeleteStream"))
        S.deletes++;
    else if (!strcmp(op, "PutRecord"))
        S.puts++;
    pthread_mutex_unlock(&S.lock);
    if (!strcmp(op, "CreateStream") || !strcmp(op, "DeleteStream"))
        reply(c, 200, "{}");
    else if (!strcmp(op, "DescribeStreamSummary"))
        reply(c, 200, "{\"StreamDescriptionSummary\": {\"StreamStatus\": \"ACTIVE\", \"StreamARN\": "
                      "\"arn:aws:kinesis:us-east-1:000000000000:stream/x\"}}");
    else if (!strcmp(op, "PutRecord"))
        reply(c, 200, "{\"ShardId\": \"shardId-000000000000\", \"SequenceNumber\": \"1\"}");
    else
        reply(c, 400, "{\"__type\": \"UnknownOperationException\"}");
}

static void *serve(void *arg)
{
    (void)arg;
    for (int rounds = 0; !S.stop && rounds < 600; rounds++) { /* at most ~60 s */
        struct pollfd p = {.fd = S.fd, .events = POLLIN};
        if (poll(&p, 1, 100) <= 0)
            continue;
        int c = accept(S.fd, NULL, NULL);
        if (c < 0)
            continue;
        serve_one(c);
        close(c);
    }
    return NULL;
}

static void start_stub(void)
{
    memset(&S, 0, sizeof S);
    pthread_mutex_init(&S.lock, NULL);
    S.fd = socket(AF_INET, SOCK_STREAM, 0);
    cr_assert_geq(S.fd, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert_eq(bind(S.fd, (struct sockaddr *)&a, sizeof a), 0);
    cr_assert_eq(listen(S.fd, 16), 0);
    socklen_t al = sizeof a;
    getsockname(S.fd, (struct sockaddr *)&a, &al);
    S.port = ntohs(a.sin_port);
    pthread_create(&S.th, NULL, serve, NULL);
}

static void stop_stub(void)
{
    S.stop = 1;
    pthread_join(S.th, NULL);
    close(S.fd);
    pthread_mutex_destroy(&S.lock);
}

static volatile sig_atomic_t interrupted;

static void run_file(const char *file, cf_result *res)
{
    cf_case_list l = {0};
    char err[512] = "";
    cr_assert_eq(cf_load_case_file(file, "t", &l, err, sizeof err), 0, "%s", err);
    char endpoint[64];
    snprintf(endpoint, sizeof endpoint, "http://127.0.0.1:%d", S.port);
    const cf_profile *prof = cf_profile_find("kinesis-sim");
    cf_env env = {.endpoint = endpoint,
                  .region = "us-east-1",
                  .access_key_id = "AKIAIOSFODNN7EXAMPLE",
                  .secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                  .profile = prof,
                  .timeout_ms = 10000,
                  .run_prefix = "cftest",
                  .interrupted = &interrupted};
    kinesis_client_options co;
    memset(&co, 0, sizeof co);
    co.endpoint = endpoint;
    co.region = "us-east-1";
    co.access_key_id = env.access_key_id;
    co.secret_access_key = env.secret_access_key;
    co.retry.max_attempts = 1;
    kinesis_error *kerr = NULL;
    kinesis_client *client = kinesis_client_new(&co, &kerr);
    cr_assert_not_null(client, "client: %s", kerr && kerr->message ? kerr->message : "?");
    cf_run_case(&l.items[0], 0, &env, client, res);
    kinesis_client_free(client);
    cf_case_list_free(&l);
}

TestSuite(runner, .init = start_stub, .fini = stop_stub, .timeout = 30);

Test(runner, a_wrong_case_fails_and_still_cleans_up)
{
    cf_result res;
    run_file("conformance/tests/data/must-fail.json", &res);
    cr_assert_eq(res.passed, 0, "the deliberately wrong case must fail");
    cr_assert_not_null(res.reason);
    cr_assert(strstr(res.reason, "steps[0] (PutRecord): field SequenceNumber: 1 is not gt 5"), "reason: %s",
              res.reason);
    cr_assert_eq(S.creates, 1);
    cr_assert_eq(S.puts, 1);
    cr_assert_eq(S.deletes, 1, "cleanup deletes the setup stream after a failure");
    cf_outcome o = {.res = res};
    cf_case c = {.name = "must-fail"};
    o.c = &c;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    cf_print_case_line(f, &o);
    fclose(f);
    cr_assert(!strncmp(buf, "FAIL must-fail: steps[0] (PutRecord)", 36), "%s", buf);
    free(buf);
    cf_result_clean_up(&res);
}

Test(runner, a_true_case_passes_with_captures_and_raw_headers)
{
    cf_result res;
    run_file("conformance/tests/data/must-pass.json", &res);
    cr_assert_eq(res.passed, 1, "reason: %s", res.reason ? res.reason : "");
    cr_assert_eq(S.puts, 2);
    cr_assert_eq(S.deletes, 1);
    cf_result_clean_up(&res);
}

Test(runner, an_interrupt_stops_the_case_and_cleans_up)
{
    interrupted = 1;
    cf_result res;
    run_file("conformance/tests/data/must-pass.json", &res);
    interrupted = 0;
    cr_assert_eq(res.passed, 0);
    cr_assert(strstr(res.reason, "interrupted"), "%s", res.reason);
    cr_assert_eq(S.puts, 0);
    cr_assert_eq(S.deletes, S.creates, "every stream made is deleted");
    cf_result_clean_up(&res);
}

Test(runner, no_endpoint_is_a_clear_failure)
{
    stop_stub();
    S.fd = -1;
    cf_result res;
    /* nothing listens on the stub's port any more */
    run_file("conformance/tests/data/must-fail.json", &res);
    cr_assert_eq(res.passed, 0);
    cr_assert(strstr(res.reason, "setup: CreateStream"), "%s", res.reason);
    cf_result_clean_up(&res);
    start_stub();
}
