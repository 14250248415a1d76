/* sim_group_commit.c: the HTTP/1.1 group commit (http.c + store_batch_* in store.c) seen from
 * outside. Each test starts its own simulator ($KINESIS_SIM_BIN, default build/kinesis-sim) on a
 * file database with throttling off, then:
 *   - many keep-alive connections write at once while others read: every acknowledged record is
 *     read back exactly once, with its bytes, in the order each writer got its sequence numbers;
 *   - the database file cannot grow (RLIMIT_FSIZE set for the simulator, SIGXFSZ ignored, as on a
 *     full disk), so batch COMMITs fail: every answer is either 200 or the store failure 500
 *     (InternalFailure), every acknowledged record is there once, no failed one is, and the
 *     simulator keeps serving reads and stops cleanly.
 * Every wait is bounded. */
#include <criterion/criterion.h>
#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "shared/base64.h"
#include "testlib.h"

#define WRITERS 8
#define PER_WRITER 60

/* ---- our own simulator ---- */

static tl_sim sim;
static char db_path[128];

static void rm_db(void)
{
    char p[160];
    unlink(db_path);
    snprintf(p, sizeof p, "%s-wal", db_path);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", db_path);
    unlink(p);
}

/* Start kinesis-sim on a fresh file database; fsize_limit > 0 caps the size of any file it writes.
 * Points KINESIS_SIM_ENDPOINT (testlib) at it. */
static void sim_start(long fsize_limit)
{
    snprintf(db_path, sizeof db_path, "/tmp/kinesis-sim-group-commit-%d.db", (int)getpid());
    rm_db();
    const char *args[] = {"--db",  db_path, "--create-delay-ms", "0", "--throttle", "off", "--log-level",
                          "error", NULL};
    tl_sim_options o = {.args = args, .fsize_limit = fsize_limit};
    cr_assert_eq(tl_sim_start(&sim, &o), 0, "kinesis-sim did not start: %s", sim.printed);
    int port = sim.port;
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", port);
    setenv("KINESIS_SIM_ENDPOINT", url, 1);
}

/* SIGTERM, at most 10 s for a clean exit; the exit status (-1 when it had to be killed). */
static int sim_stop(void)
{
    int rc = tl_sim_stop(&sim);
    rm_db();
    return rc == 128 + SIGKILL ? -1 : rc;
}

/* ---- calls on a connection of one thread ---- */

/* An operation on c; the parsed answer (NULL when the transport failed or it is not JSON). */
static json_t *call(tl_conn *c, const char *op, const char *body, long *status)
{
    char target[160], auth[512];
    snprintf(target, sizeof target, "X-Amz-Target: Kinesis_20131202.%s", op);
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    char amz[32], date[64];
    strftime(amz, sizeof amz, "%Y%m%dT%H%M%SZ", &tm);
    snprintf(date, sizeof date, "X-Amz-Date: %s", amz);
    snprintf(auth, sizeof auth,
             "Authorization: AWS4-HMAC-SHA256 Credential=%s/%.8s/%s/kinesis/aws4_request, "
             "SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=%064d",
             TL_ACCESS_KEY, amz, TL_REGION, 0);
    const char *headers[] = {"Content-Type: application/x-amz-json-1.1", target, date, auth, NULL};
    tl_response r;
    int rc = tl_conn_raw(c, "POST", "/", headers, body, strlen(body), &r);
    *status = rc == 0 ? r.status : -(long)r.curl_code; /* a transport failure: minus libcurl's code */
    json_t *j = rc == 0 ? json_loadb(r.body, r.body_len, 0, NULL) : NULL;
    tl_response_free(&r);
    return j;
}

static void create_stream(const char *name, int shards)
{
    tl_conn *c = tl_conn_new();
    char body[256];
    long st = 0;
    snprintf(body, sizeof body, "{\"StreamName\":\"%s\",\"ShardCount\":%d}", name, shards);
    json_t *j = call(c, "CreateStream", body, &st);
    cr_assert_eq(st, 200, "CreateStream: %ld", st);
    json_decref(j);
    tl_conn_free(c);
    cr_assert_eq(tl_wait_stream_status(name, "ACTIVE", 5000), 0);
}

/* ---- writers ---- */

typedef struct writer {
    const char *stream;
    int id;
    int max;                      /* records to try */
    int stop_after_fail;          /* stop after this many failures (0: never) */
    char seq[PER_WRITER * 4][64]; /* SequenceNumber of record n, "" when it failed */
    long status[PER_WRITER * 4];
    int n, ok, failed, other;
    char other_msg[256];
} writer;

/* Record n of writer w: its data (base64 of "w<id>-<n>") is unique. */
static void data_of(int id, int n, char *b64, size_t len)
{
    char raw[32];
    int rl = snprintf(raw, sizeof raw, "w%d-%d", id, n);
    cr_assert_neq(b64_encode_into((const uint8_t *)raw, (size_t)rl, b64, len), (size_t)-1);
}

static void *writer_main(void *arg)
{
    writer *w = arg;
    tl_conn *c = tl_conn_new();
    for (int n = 0; n < w->max && c; n++) {
        char b64[64], body[256];
        data_of(w->id, n, b64, sizeof b64);
        snprintf(body, sizeof body, "{\"StreamName\":\"%s\",\"PartitionKey\":\"w%d\",\"Data\":\"%s\"}",
                 w->stream, w->id, b64);
        long st = 0;
        json_t *j = call(c, "PutRecord", body, &st);
        w->status[n] = st;
        w->seq[n][0] = 0;
        w->n = n + 1;
        if (st == 200 && j && json_is_string(json_object_get(j, "SequenceNumber"))) {
            snprintf(w->seq[n], sizeof w->seq[n], "%s",
                     json_string_value(json_object_get(j, "SequenceNumber")));
            w->ok++;
        } else if (st == 500 && j && strcmp(tl_error_type(j), "InternalFailureException") == 0) {
            w->failed++;
        } else {
            w->other++;
            snprintf(w->other_msg, sizeof w->other_msg, "status %ld: %s %s", st, j ? tl_error_type(j) : "-",
                     j ? tl_error_message(j) : "-");
        }
        json_decref(j);
        if (w->stop_after_fail && w->failed >= w->stop_after_fail)
            break;
    }
    tl_conn_free(c);
    return NULL;
}

/* Reads the stream while the writers run: every answer must be a 200. */
typedef struct reader {
    const char *stream;
    volatile int *stop;
    int reads, bad;
} reader;

static void *reader_main(void *arg)
{
    reader *r = arg;
    tl_conn *c = tl_conn_new();
    char body[256];
    snprintf(body, sizeof body, "{\"StreamName\":\"%s\"}", r->stream);
    for (int i = 0; i < 2000 && c && !*r->stop; i++) {
        long st = 0;
        json_t *j = call(c, "DescribeStreamSummary", body, &st);
        r->reads++;
        if (st != 200)
            r->bad++;
        json_decref(j);
    }
    tl_conn_free(c);
    return NULL;
}

/* Every record of the stream's shards, "w<id>-<n>" -> SequenceNumber, read from TRIM_HORIZON. */
static json_t *read_all(const char *stream, int shards)
{
    json_t *seen = json_object();
    tl_conn *c = tl_conn_new();
    for (int s = 0; s < shards; s++) {
        char body[512];
        long st = 0;
        snprintf(
            body, sizeof body,
            "{\"StreamName\":\"%s\",\"ShardId\":\"shardId-%012d\",\"ShardIteratorType\":\"TRIM_HORIZON\"}",
            stream, s);
        json_t *it = call(c, "GetShardIterator", body, &st);
        cr_assert_eq(st, 200, "GetShardIterator: %ld", st);
        char *iter = strdup(json_string_value(json_object_get(it, "ShardIterator")));
        json_decref(it);
        char last[64] = "";
        for (int round = 0; round < 200 && iter; round++) {
            char *b = malloc(strlen(iter) + 64);
            sprintf(b, "{\"ShardIterator\":\"%s\"}", iter);
            json_t *out = call(c, "GetRecords", b, &st);
            free(b);
            cr_assert_eq(st, 200, "GetRecords: %ld", st);
            json_t *recs = json_object_get(out, "Records");
            size_t i;
            json_t *rec;
            json_array_foreach(recs, i, rec)
            {
                const char *seq = json_string_value(json_object_get(rec, "SequenceNumber"));
                const char *data = json_string_value(json_object_get(rec, "Data"));
                cr_assert(seq && data);
                cr_assert(strlen(seq) > strlen(last) ||
                              (strlen(seq) == strlen(last) && strcmp(seq, last) > 0),
                          "records come in sequence order: %s after %s", seq, last);
                snprintf(last, sizeof last, "%s", seq);
                cr_assert_null(json_object_get(seen, data), "record %s is stored twice", data);
                json_object_set_new(seen, data, json_string(seq));
            }
            free(iter);
            const char *next = json_string_value(json_object_get(out, "NextShardIterator"));
            int done = json_array_size(recs) == 0;
            iter = next && !done ? strdup(next) : NULL;
            json_decref(out);
        }
        free(iter);
    }
    tl_conn_free(c);
    return seen;
}

/* Every acknowledged record is there with its sequence number; no failed one is. */
static void check_writers(json_t *seen, writer *ws, int nw)
{
    size_t acked = 0;
    for (int k = 0; k < nw; k++) {
        writer *w = &ws[k];
        for (int n = 0; n < w->n; n++) {
            char b64[64];
            data_of(w->id, n, b64, sizeof b64);
            const char *got = json_string_value(json_object_get(seen, b64));
            if (w->status[n] == 200) {
                acked++;
                cr_assert_not_null(got, "acknowledged record w%d-%d is missing", w->id, n);
                cr_assert_str_eq(got, w->seq[n], "record w%d-%d has another sequence number", w->id, n);
            } else if (w->status[n] == 500) {
                cr_assert_null(got, "record w%d-%d was answered 500 but is stored", w->id, n);
            }
        }
    }
    cr_assert_eq(json_object_size(seen), acked, "only acknowledged records are stored");
}

/* After every test, a failed one too: never leave a simulator (or its database) behind. */
static void stop_leftover(void)
{
    if (sim.pid > 0)
        sim_stop();
}

TestSuite(group_commit, .fini = stop_leftover);

Test(group_commit, concurrent_writers_every_acknowledged_record_once_in_order, .timeout = 60)
{
    sim_start(0);
    create_stream("gc", 2);
    static writer ws[WRITERS];
    pthread_t th[WRITERS], rt;
    volatile int stop = 0;
    reader rd = {"gc", &stop, 0, 0};
    cr_assert_eq(pthread_create(&rt, NULL, reader_main, &rd), 0);
    for (int k = 0; k < WRITERS; k++) {
        memset(&ws[k], 0, sizeof ws[k]);
        ws[k].stream = "gc";
        ws[k].id = k;
        ws[k].max = PER_WRITER;
        cr_assert_eq(pthread_create(&th[k], NULL, writer_main, &ws[k]), 0);
    }
    for (int k = 0; k < WRITERS; k++)
        pthread_join(th[k], NULL);
    stop = 1;
    pthread_join(rt, NULL);
    cr_assert_eq(rd.bad, 0, "%d of %d reads failed", rd.bad, rd.reads);
    cr_assert_gt(rd.reads, 0);
    for (int k = 0; k < WRITERS; k++) {
        cr_assert_eq(ws[k].ok, PER_WRITER, "writer %d: %d ok, %d failed, %d other (%s)", k, ws[k].ok,
                     ws[k].failed, ws[k].other, ws[k].other_msg);
        for (int n = 1; n < PER_WRITER; n++) { /* one partition key per writer: one shard, in order */
            const char *a = ws[k].seq[n - 1], *b = ws[k].seq[n];
            cr_assert(strlen(b) > strlen(a) || (strlen(b) == strlen(a) && strcmp(b, a) > 0),
                      "writer %d: %s then %s", k, a, b);
        }
    }
    json_t *seen = read_all("gc", 2);
    check_writers(seen, ws, WRITERS);
    cr_assert_eq(json_object_size(seen), (size_t)WRITERS * PER_WRITER);
    json_decref(seen);
    cr_assert_eq(sim_stop(), 0, "the simulator stops cleanly");
}

Test(group_commit, failed_commits_answer_internal_failure_and_lose_nothing_acknowledged, .timeout = 60)
{
    /* room for the schema, a stream and some records; then every COMMIT fails (the WAL cannot grow) */
    sim_start(160 * 1024);
    create_stream("full", 1);
    static writer ws[WRITERS];
    pthread_t th[WRITERS];
    for (int k = 0; k < WRITERS; k++) {
        memset(&ws[k], 0, sizeof ws[k]);
        ws[k].stream = "full";
        ws[k].id = k;
        ws[k].max = PER_WRITER * 4;
        ws[k].stop_after_fail = 5;
        cr_assert_eq(pthread_create(&th[k], NULL, writer_main, &ws[k]), 0);
    }
    int ok = 0, failed = 0;
    for (int k = 0; k < WRITERS; k++) {
        pthread_join(th[k], NULL);
        cr_assert_eq(ws[k].other, 0, "writer %d: an answer neither 200 nor InternalFailure: %s", k,
                     ws[k].other_msg);
        ok += ws[k].ok;
        failed += ws[k].failed;
    }
    cr_assert_gt(ok, 0, "some writes fit before the database was full");
    cr_assert_gt(failed, 0, "the full database made commits fail");
    /* reads still work, and show exactly the acknowledged records */
    json_t *seen = read_all("full", 1);
    check_writers(seen, ws, WRITERS);
    json_decref(seen);
    cr_assert_eq(sim_stop(), 0, "the simulator stops cleanly");
}
