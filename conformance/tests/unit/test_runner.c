/* test_runner.c: running cases end to end (exec.c, http_raw.c) against a tiny stub Kinesis
 * endpoint on 127.0.0.1: a deliberately wrong case fails with its reason, a true one passes,
 * captures feed later steps, raw steps see headers, and cleanup deletes the case's streams
 * after a failure and after an interrupt. The stub also plays a closed shard (GetRecords hands
 * out NextShardIterator it-1..it-3, then none) for while loops with capture_optional. */
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
#include "http_raw.h"
#include "report.h"

typedef struct stub {
    int fd, port;
    volatile int stop;
    pthread_t th;
    pthread_mutex_t lock;
    int creates, deletes, puts, gets;
    int throttle_creates; /* answer the first N CreateStream calls with LimitExceededException */
} stub;

static stub S;

static void reply(int c, int status, const char *body)
{
    char head[512];
    int n = snprintf(
        head, sizeof head,
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
    else if (!strcmp(op, "GetRecords"))
        S.gets++;
    pthread_mutex_unlock(&S.lock);
    pthread_mutex_lock(&S.lock);
    int throttled = !strcmp(op, "CreateStream") && S.creates <= S.throttle_creates;
    pthread_mutex_unlock(&S.lock);
    if (throttled)
        reply(c, 400,
              "{\"__type\": \"LimitExceededException\", \"message\": \"Rate exceeded for account "
              "000000000000.\"}");
    else if (!strcmp(op, "CreateStream") || !strcmp(op, "DeleteStream"))
        reply(c, 200, "{}");
    else if (!strcmp(op, "DescribeStreamSummary"))
        reply(c, 200,
              "{\"StreamDescriptionSummary\": {\"StreamStatus\": \"ACTIVE\", \"StreamARN\": "
              "\"arn:aws:kinesis:us-east-1:000000000000:stream/x\"}}");
    else if (!strcmp(op, "PutRecord"))
        reply(c, 200, "{\"ShardId\": \"shardId-000000000000\", \"SequenceNumber\": \"1\"}");
    else if (!strcmp(op, "GetShardIterator"))
        reply(c, 200,
              strstr(end, "endless") ? "{\"ShardIterator\": \"loop-0\"}" : "{\"ShardIterator\": \"it-0\"}");
    else if (!strcmp(op, "GetRecords")) {
        /* it-0..it-2: one record and the next iterator; it-3: the end of a closed shard (no
         * NextShardIterator, ChildShards); loop-N: an iterator that never ends */
        const char *it = strstr(end, "\"it-");
        const char *lp = strstr(end, "\"loop-");
        char body[512];
        if (lp)
            snprintf(body, sizeof body, "{\"Records\": [], \"NextShardIterator\": \"loop-%d\"}",
                     atoi(lp + 6) + 1);
        else if (it && atoi(it + 4) < 3)
            snprintf(
                body, sizeof body,
                "{\"Records\": [{\"Data\": \"eA==\", \"PartitionKey\": \"k\", \"SequenceNumber\": \"%d\"}],"
                " \"NextShardIterator\": \"it-%d\", \"MillisBehindLatest\": 0}",
                atoi(it + 4) + 1, atoi(it + 4) + 1);
        else
            snprintf(body, sizeof body,
                     "{\"Records\": [], \"NextShardIterator\": null, \"ChildShards\": "
                     "[{\"ShardId\": \"shardId-000000000001\"}]}");
        reply(c, 200, body);
    } else
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
static const char *profile_name = "kinesis-sim";

static void run_file(const char *file, cf_result *res)
{
    cf_case_list l = {0};
    char err[512] = "";
    cr_assert_eq(cf_load_case_file(file, "t", &l, err, sizeof err), 0, "%s", err);
    char endpoint[64];
    snprintf(endpoint, sizeof endpoint, "http://127.0.0.1:%d", S.port);
    const cf_profile *prof = cf_profile_find(profile_name);
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

Test(runner, a_while_loop_follows_next_shard_iterator_to_the_end)
{
    cf_result res;
    run_file("conformance/tests/data/while-closed-shard.json", &res);
    cr_assert_eq(res.passed, 1, "reason: %s", res.reason ? res.reason : "");
    cr_assert_eq(S.gets, 4, "it-0, it-1, it-2 gave a next iterator, it-3 ended the loop");
    cf_result_clean_up(&res);
}

Test(runner, a_while_loop_that_never_ends_fails_at_max)
{
    cf_result res;
    run_file("conformance/tests/data/while-endless.json", &res);
    cr_assert_eq(res.passed, 0);
    cr_assert(strstr(res.reason,
                     "steps[1]: while {\"var\":\"it\",\"absent\":false} still held after 5 iterations (max)"),
              "%s", res.reason);
    cr_assert_eq(S.gets, 5);
    cr_assert_eq(S.deletes, 1, "cleanup still runs");
    cf_result_clean_up(&res);
}

Test(runner, a_dead_endpoint_is_detected_quickly)
{
    char endpoint[64];
    snprintf(endpoint, sizeof endpoint, "http://127.0.0.1:%d", S.port);
    cf_env env = {.endpoint = endpoint,
                  .region = "us-east-1",
                  .access_key_id = "AKIDEXAMPLE",
                  .secret_access_key = "secret",
                  .profile = cf_profile_find("kinesis-sim")};
    char why[512] = "";
    cr_assert_eq(cf_endpoint_answers(&env, 2000, why, sizeof why), 1,
                 "the stub answers (with an error status)");
    stop_stub();
    S.fd = -1;
    int64_t t0 = cf_now_ms();
    cr_assert_eq(cf_endpoint_answers(&env, 2000, why, sizeof why), 0);
    cr_assert_lt(cf_now_ms() - t0, 2500, "bounded by the timeout");
    cr_assert(strlen(why) > 0, "the transport error is given");
    start_stub();
}

Test(runner, setup_waits_out_control_plane_throttling)
{
    S.throttle_creates = 3; /* more than the client's own retries would absorb quickly */
    cf_result res;
    run_file("conformance/tests/data/must-pass.json", &res);
    cr_assert_eq(res.passed, 1, "reason: %s", res.reason ? res.reason : "");
    cr_assert_geq(S.creates, 4, "CreateStream was tried again after LimitExceededException");
    cf_result_clean_up(&res);
}

/* 8 CreateStream steps, then cleanup deletes the 8 streams: with the kinesis-sim profile (it
 * enforces AWS's 5 DeleteStream calls per second) the runner's own deletes are paced, and a step
 * refused with "Rate exceeded" is sent again; with kinesalite's (no limits) neither happens. */
Test(runner, control_plane_pacing_and_rate_exceeded_steps)
{
    cf_result res;
    S.throttle_creates = 2;
    int64_t t0 = cf_now_ms();
    run_file("conformance/tests/data/pace-creates.json", &res);
    int64_t paced = cf_now_ms() - t0;
    cr_assert_eq(res.passed, 1, "reason: %s", res.reason ? res.reason : "");
    cr_assert_eq(S.creates, 10, "two refused steps were sent again");
    cr_assert_eq(S.deletes, 8);
    /* 8 deletes at 3 per second after a burst of 2: at least 6 intervals of 333 ms */
    cr_assert_geq(paced, 1800, "took %lld ms", (long long)paced);
    cf_result_clean_up(&res);

    profile_name = "kinesalite";
    S.creates = S.deletes = 0;
    S.throttle_creates = 0;
    t0 = cf_now_ms();
    run_file("conformance/tests/data/pace-creates.json", &res);
    int64_t fast = cf_now_ms() - t0;
    profile_name = "kinesis-sim";
    cr_assert_eq(res.passed, 1, "reason: %s", res.reason ? res.reason : "");
    cr_assert_eq(S.deletes, 8);
    cr_assert_lt(fast, 900, "unpaced: %lld ms", (long long)fast);
    cf_result_clean_up(&res);

    profile_name = "kinesalite";
    S.creates = 0;
    S.throttle_creates = 1;
    run_file("conformance/tests/data/pace-creates.json", &res);
    profile_name = "kinesis-sim";
    cr_assert_eq(res.passed, 0, "without pacing a refused step is a failure");
    cr_assert(strstr(res.reason, "LimitExceededException"), "%s", res.reason);
    cf_result_clean_up(&res);
}
