/* soak.c: the soak driver behind `make soak` (ci/soak/run starts the simulator with seeded fault
 * rules and runs this against it). For SOAK_MINUTES it drives mixed operations from 64 keep-alive
 * connections (one thread each): PutRecord, PutRecords, GetRecords following NextShardIterator,
 * DescribeStreamSummary, ListShards, ListStreams. Injected faults (503 ServiceUnavailable, 500
 * InternalFailure, failed PutRecords entries, dropped connections, latency) are expected and
 * counted; any other error is unexpected and fails the run. Every 10 s it samples the simulator's
 * RSS (/proc/PID/status); after a warm-up the last third of the samples must stay within 10% of
 * the first third's maximum. At the end it clears the fault rules and reads every shard back from
 * TRIM_HORIZON: every acknowledged record must be there exactly once, in increasing sequence order,
 * and anything else stored must be a write whose answer was lost (a dropped connection).
 * Each record's data is "soak-TT-NNNNNNNNNN" (thread, per-thread counter), so the read-back can
 * check it against per-thread bitmaps of acknowledged and unknown-outcome writes.
 * Exit 0 when everything holds, 1 otherwise, 2 on bad arguments or setup failure. Loopback only. */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "shared/base64.h"
#include "wire.h"

#define THREADS_MAX 256
#define SHARDS 4
#define CALL_TIMEOUT_MS 10000
#define RSS_PERIOD_S 10

typedef struct bitmap {
    uint8_t *bits;
    size_t cap; /* bits */
} bitmap;

static int bit_get(const bitmap *b, size_t i)
{
    return i < b->cap && (b->bits[i / 8] >> (i % 8)) & 1;
}

static void bit_set(bitmap *b, size_t i)
{
    if (i >= b->cap) {
        size_t cap = b->cap ? b->cap : 8192;
        while (cap <= i)
            cap *= 2;
        uint8_t *n = realloc(b->bits, cap / 8);
        if (!n) {
            fprintf(stderr, "soak: out of memory\n");
            exit(2);
        }
        memset(n + b->cap / 8, 0, (cap - b->cap) / 8);
        b->bits = n;
        b->cap = cap;
    }
    b->bits[i / 8] |= (uint8_t)(1u << (i % 8));
}

typedef struct worker {
    int id;
    pthread_t th;
    uint64_t rng;
    uint32_t next_n; /* next record number */
    bitmap acked;    /* acknowledged writes */
    bitmap unknown;  /* writes whose answer was lost */
    char iterator[1024];
    /* counters */
    uint64_t calls, puts_acked, injected, dropped, entry_failed, unexpected;
    char last_unexpected[512];
} worker;

static const char *g_host = "127.0.0.1";
static int g_port;
static char g_stream[128];
static int g_stop; /* set by main when time is up; under g_stop_mu */
static pthread_mutex_t g_stop_mu = PTHREAD_MUTEX_INITIALIZER;

static int stopping(void)
{
    pthread_mutex_lock(&g_stop_mu);
    int s = g_stop;
    pthread_mutex_unlock(&g_stop_mu);
    return s;
}

static uint64_t xorshift(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

static char *record_data(int thread, uint32_t n)
{
    char raw[32];
    int len = snprintf(raw, sizeof raw, "soak-%02d-%010" PRIu32, thread, n);
    return b64_encode((const uint8_t *)raw, (size_t)len, NULL);
}

/* Decode "soak-TT-NNNNNNNNNN" from base64 data; 0 ok. */
static int parse_data(const char *b64, int *thread, uint32_t *n)
{
    unsigned char raw[64];
    size_t o = 0;
    if (b64_decode_into(b64, strlen(b64), raw, sizeof raw - 1, &o) != 0)
        return -1;
    raw[o] = 0;
    unsigned t = 0;
    unsigned long long nn = 0;
    if (sscanf((const char *)raw, "soak-%2u-%10llu", &t, &nn) != 2)
        return -1;
    *thread = (int)t;
    *n = (uint32_t)nn;
    return 0;
}

/* One request and its answer on c, with no retry (wire_roundtrip re-sends once when a connection
 * closes without an answer, which would hide a dropped connection and could store a write twice).
 * Returns the parsed answer (NULL when not JSON) with *status, or NULL with *status -1 and the
 * connection closed on a transport failure. */
static json_t *call_once(wire_conn *c, const char *op, json_t *in, int *status, char *err, size_t err_len)
{
    *status = -1;
    char *js = json_dumps(in, JSON_COMPACT);
    size_t rl = 0;
    char *req = js ? wire_build_request("POST", "/", c->host_port, op, js, strlen(js), &rl) : NULL;
    free(js);
    if (!req) {
        snprintf(err, err_len, "cannot build the request");
        return NULL;
    }
    int64_t deadline = wire_now_us() + (int64_t)CALL_TIMEOUT_MS * 1000;
    json_t *ans = NULL;
    size_t off = 0;
    while (off < rl) {
        ssize_t w = send(c->fd, req + off, rl - off, MSG_NOSIGNAL);
        if (w > 0) {
            off += (size_t)w;
            continue;
        }
        struct pollfd p = {c->fd, POLLOUT, 0};
        if ((w < 0 && errno != EAGAIN && errno != EINTR) || wire_now_us() > deadline ||
            poll(&p, 1, 100) < 0) {
            snprintf(err, err_len, "send: %s", w < 0 ? strerror(errno) : "timed out");
            goto broken;
        }
    }
    c->len = 0;
    for (;;) {
        wire_resp r;
        int got = wire_parse_response(c->buf ? c->buf : "", c->len, &r, err, err_len);
        if (got < 0)
            goto broken;
        if (got == 1) {
            *status = r.status;
            ans = json_loadb(c->buf + r.head_len, r.body_len, 0, NULL);
            if (r.conn_close)
                wire_close(c);
            else
                c->len = 0;
            free(req);
            return ans;
        }
        if (c->len + 65536 > c->cap) {
            size_t cap = c->cap ? c->cap * 2 : 131072;
            char *b = realloc(c->buf, cap);
            if (!b) {
                snprintf(err, err_len, "out of memory");
                goto broken;
            }
            c->buf = b;
            c->cap = cap;
        }
        ssize_t n = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
        if (n > 0) {
            c->len += (size_t)n;
            continue;
        }
        if (n == 0) {
            snprintf(err, err_len, "connection closed before an answer");
            goto broken;
        }
        struct pollfd p = {c->fd, POLLIN, 0};
        if ((errno != EAGAIN && errno != EINTR) || wire_now_us() > deadline || poll(&p, 1, 100) < 0) {
            snprintf(err, err_len, "recv: %s", strerror(errno));
            goto broken;
        }
    }
broken:
    free(req);
    wire_close(c);
    *status = -1;
    return NULL;
}

/* An answer: expected (injected) fault, or unexpected. Returns 1 when it was a success (2xx). */
static int classify(worker *w, const char *op, int status, json_t *j, const char *err)
{
    __atomic_fetch_add(&w->calls, 1, __ATOMIC_RELAXED);
    if (status == 200)
        return 1;
    if (status < 0) { /* the connection was dropped (a drop fault) */
        w->dropped++;
        return 0;
    }
    const char *type = json_string_value(json_object_get(j, "__type"));
    if ((status == 503 && type && strcmp(type, "ServiceUnavailable") == 0) ||
        (status == 500 && type && strcmp(type, "InternalFailure") == 0)) {
        w->injected++;
        return 0;
    }
    w->unexpected++;
    char *dump = j ? json_dumps(j, JSON_COMPACT) : NULL;
    snprintf(w->last_unexpected, sizeof w->last_unexpected, "%s -> %d %s %s", op, status, dump ? dump : "",
             err ? err : "");
    free(dump);
    return 0;
}

static void put_record(worker *w, wire_conn *c)
{
    uint32_t n = w->next_n++;
    char *data = record_data(w->id, n);
    char pk[32];
    snprintf(pk, sizeof pk, "pk-%d-%" PRIu32, w->id, n % 97);
    json_t *in = json_pack("{s:s,s:s,s:s}", "StreamName", g_stream, "Data", data, "PartitionKey", pk);
    int status = 0;
    char err[256] = "";
    json_t *out = call_once(c, "PutRecord", in, &status, err, sizeof err);
    if (classify(w, "PutRecord", status, out, err)) {
        bit_set(&w->acked, n);
        w->puts_acked++;
    } else if (status < 0) {
        bit_set(&w->unknown, n); /* dropped: written or not */
        wire_close(c);
    }
    json_decref(out);
    json_decref(in);
    free(data);
}

static void put_records(worker *w, wire_conn *c)
{
    enum { N = 10 };
    uint32_t first = w->next_n;
    w->next_n += N;
    json_t *recs = json_array();
    for (int i = 0; i < N; i++) {
        char *data = record_data(w->id, first + (uint32_t)i);
        char pk[32];
        snprintf(pk, sizeof pk, "pk-%d-%d", w->id, i);
        json_array_append_new(recs, json_pack("{s:s,s:s}", "Data", data, "PartitionKey", pk));
        free(data);
    }
    json_t *in = json_pack("{s:s,s:o}", "StreamName", g_stream, "Records", recs);
    int status = 0;
    char err[256] = "";
    json_t *out = call_once(c, "PutRecords", in, &status, err, sizeof err);
    if (classify(w, "PutRecords", status, out, err)) {
        json_t *res = json_object_get(out, "Records");
        if (json_array_size(res) != N) {
            w->unexpected++;
            snprintf(w->last_unexpected, sizeof w->last_unexpected, "PutRecords answered %zu entries for %d",
                     json_array_size(res), N);
        }
        for (size_t i = 0; i < json_array_size(res) && i < N; i++) {
            json_t *e = json_array_get(res, i);
            if (json_object_get(e, "SequenceNumber")) {
                bit_set(&w->acked, first + (uint32_t)i);
                w->puts_acked++;
            } else {
                w->entry_failed++; /* an injected entry_error: not stored */
            }
        }
    } else if (status < 0) {
        for (int i = 0; i < N; i++)
            bit_set(&w->unknown, first + (uint32_t)i);
        wire_close(c);
    }
    json_decref(out);
    json_decref(in);
}

static void get_records(worker *w, wire_conn *c)
{
    int status = 0;
    char err[256] = "";
    if (!w->iterator[0]) {
        char shard[32];
        snprintf(shard, sizeof shard, "shardId-%012d", (int)(xorshift(&w->rng) % SHARDS));
        json_t *in = json_pack("{s:s,s:s,s:s}", "StreamName", g_stream, "ShardId", shard, "ShardIteratorType",
                               "LATEST");
        json_t *out = call_once(c, "GetShardIterator", in, &status, err, sizeof err);
        if (classify(w, "GetShardIterator", status, out, err))
            snprintf(w->iterator, sizeof w->iterator, "%s",
                     json_string_value(json_object_get(out, "ShardIterator")));
        else if (status < 0)
            wire_close(c);
        json_decref(out);
        json_decref(in);
        return;
    }
    json_t *in = json_pack("{s:s,s:i}", "ShardIterator", w->iterator, "Limit", 1000);
    json_t *out = call_once(c, "GetRecords", in, &status, err, sizeof err);
    if (classify(w, "GetRecords", status, out, err)) {
        const char *next = json_string_value(json_object_get(out, "NextShardIterator"));
        snprintf(w->iterator, sizeof w->iterator, "%s", next ? next : "");
    } else if (status < 0) {
        wire_close(c);
    }
    json_decref(out);
    json_decref(in);
}

static void describe(worker *w, wire_conn *c, const char *op)
{
    json_t *in = strcmp(op, "ListStreams") == 0 ? json_object() : json_pack("{s:s}", "StreamName", g_stream);
    int status = 0;
    char err[256] = "";
    json_t *out = call_once(c, op, in, &status, err, sizeof err);
    if (!classify(w, op, status, out, err) && status < 0)
        wire_close(c);
    json_decref(out);
    json_decref(in);
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    wire_conn c;
    char err[256];
    memset(&c, 0, sizeof c);
    c.fd = -1;
    while (!stopping()) {
        if (c.fd < 0 && wire_connect(&c, g_host, g_port, 2000, err, sizeof err) != 0) {
            w->unexpected++;
            snprintf(w->last_unexpected, sizeof w->last_unexpected, "connect: %s", err);
            struct timespec nap = {0, 100 * 1000000L};
            nanosleep(&nap, NULL);
            continue;
        }
        unsigned r = (unsigned)(xorshift(&w->rng) % 100);
        if (r < 55)
            put_record(w, &c);
        else if (r < 70)
            put_records(w, &c);
        else if (r < 85)
            get_records(w, &c);
        else if (r < 93)
            describe(w, &c, "DescribeStreamSummary");
        else if (r < 97)
            describe(w, &c, "ListShards");
        else
            describe(w, &c, "ListStreams");
    }
    wire_close(&c);
    return NULL;
}

/* ---- RSS ---- */

static long rss_kb(int pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    long kb = -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
            break;
    fclose(f);
    return kb;
}

/* ---- final read-back ---- */

static int control(wire_conn *c, const char *method, const char *path, int *status)
{
    size_t len;
    char *req = wire_build_request(method, path, c->host_port, NULL, NULL, 0, &len);
    char *body = NULL;
    size_t blen = 0;
    char err[256];
    int rc = wire_roundtrip(c, req, len, CALL_TIMEOUT_MS, status, &body, &blen, err, sizeof err);
    free(req);
    free(body);
    return rc;
}

/* Read every shard; check against the workers' bitmaps. Returns the number of problems. */
static long read_back(worker *ws, int nw, uint64_t *stored_out)
{
    wire_conn c;
    char err[256];
    if (wire_connect(&c, g_host, g_port, 2000, err, sizeof err) != 0) {
        fprintf(stderr, "soak: read-back: %s\n", err);
        return 1;
    }
    bitmap *seen = calloc((size_t)nw, sizeof *seen);
    long problems = 0;
    uint64_t stored = 0, lost_answers_stored = 0;
    for (int s = 0; s < SHARDS; s++) {
        char shard[32];
        snprintf(shard, sizeof shard, "shardId-%012d", s);
        json_t *in = json_pack("{s:s,s:s,s:s}", "StreamName", g_stream, "ShardId", shard, "ShardIteratorType",
                               "TRIM_HORIZON");
        int status = 0;
        json_t *out = call_once(&c, "GetShardIterator", in, &status, err, sizeof err);
        json_decref(in);
        const char *it0 = json_string_value(json_object_get(out, "ShardIterator"));
        if (status != 200 || !it0) {
            fprintf(stderr, "soak: read-back: GetShardIterator %s: %d %s\n", shard, status, err);
            json_decref(out);
            problems++;
            continue;
        }
        char *it = strdup(it0);
        json_decref(out);
        char last_seq[128] = "";
        for (int page = 0; page < 100000 && it; page++) {
            in = json_pack("{s:s,s:i}", "ShardIterator", it, "Limit", 10000);
            out = call_once(&c, "GetRecords", in, &status, err, sizeof err);
            json_decref(in);
            if (status != 200) {
                fprintf(stderr, "soak: read-back: GetRecords %s: %d %s\n", shard, status, err);
                problems++;
                json_decref(out);
                break;
            }
            json_t *recs = json_object_get(out, "Records");
            for (size_t i = 0; i < json_array_size(recs); i++) {
                json_t *r = json_array_get(recs, i);
                const char *seq = json_string_value(json_object_get(r, "SequenceNumber"));
                const char *data = json_string_value(json_object_get(r, "Data"));
                if (seq && last_seq[0] &&
                    (strlen(seq) < strlen(last_seq) ||
                     (strlen(seq) == strlen(last_seq) && strcmp(seq, last_seq) <= 0))) {
                    if (problems++ < 10)
                        fprintf(stderr, "soak: %s: sequence %s after %s\n", shard, seq, last_seq);
                }
                snprintf(last_seq, sizeof last_seq, "%s", seq ? seq : "");
                int t;
                uint32_t n;
                if (!data || parse_data(data, &t, &n) != 0 || t >= nw) {
                    if (problems++ < 10)
                        fprintf(stderr, "soak: %s: a record we did not write: %s\n", shard,
                                data ? data : "?");
                    continue;
                }
                stored++;
                if (bit_get(&seen[t], n)) {
                    if (problems++ < 10)
                        fprintf(stderr, "soak: record %d-%" PRIu32 " stored twice\n", t, n);
                    continue;
                }
                bit_set(&seen[t], n);
                if (!bit_get(&ws[t].acked, n)) {
                    if (bit_get(&ws[t].unknown, n))
                        lost_answers_stored++;
                    else if (problems++ < 10)
                        fprintf(stderr, "soak: record %d-%" PRIu32 " stored but never acknowledged\n", t, n);
                }
            }
            const char *next = json_string_value(json_object_get(out, "NextShardIterator"));
            json_int_t behind = json_integer_value(json_object_get(out, "MillisBehindLatest"));
            int done = json_array_size(recs) == 0 && behind == 0;
            free(it);
            it = next && !done ? strdup(next) : NULL;
            json_decref(out);
        }
        free(it);
    }
    /* every acknowledged record was seen */
    uint64_t missing = 0;
    for (int t = 0; t < nw; t++)
        for (size_t n = 0; n < ws[t].acked.cap; n++)
            if (bit_get(&ws[t].acked, n) && !bit_get(&seen[t], n)) {
                if (missing++ < 10)
                    fprintf(stderr, "soak: acknowledged record %d-%zu is missing\n", t, n);
            }
    problems += (long)missing;
    printf("soak: read-back: %" PRIu64 " records stored, %" PRIu64 " of them from dropped answers, %" PRIu64
           " acknowledged missing\n",
           stored, lost_answers_stored, missing);
    for (int t = 0; t < nw; t++)
        free(seen[t].bits);
    free(seen);
    wire_close(&c);
    *stored_out = stored;
    return problems;
}

static void usage(void)
{
    fprintf(stderr, "usage: soak --port N --pid PID [--seconds S] [--connections N] [--stream NAME]\n");
}

int main(int argc, char **argv)
{
    int pid = 0, nw = 64;
    long seconds = 600;
    snprintf(g_stream, sizeof g_stream, "soak-%d", (int)getpid());
    for (int i = 1; i < argc; i += 2) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(argv[i], "--port") == 0 && v)
            g_port = atoi(v);
        else if (strcmp(argv[i], "--pid") == 0 && v)
            pid = atoi(v);
        else if (strcmp(argv[i], "--seconds") == 0 && v)
            seconds = atol(v);
        else if (strcmp(argv[i], "--connections") == 0 && v)
            nw = atoi(v);
        else if (strcmp(argv[i], "--stream") == 0 && v)
            snprintf(g_stream, sizeof g_stream, "%s", v);
        else {
            usage();
            return 2;
        }
    }
    if (g_port <= 0 || g_port > 65535 || pid <= 0 || seconds < 30 || nw < 1 || nw > THREADS_MAX) {
        usage();
        return 2;
    }
    wire_conn c;
    char err[256] = "";
    int ready = 0; /* the fault rules are already on: retry injected failures, a bounded number of times */
    for (int attempt = 0; attempt < 20 && !ready; attempt++) {
        ready = wire_connect(&c, g_host, g_port, 2000, err, sizeof err) == 0 &&
                wire_ensure_stream(&c, g_stream, SHARDS, 30000, err, sizeof err) == 0;
        wire_close(&c);
    }
    if (!ready) {
        fprintf(stderr, "soak: setup: %s\n", err);
        return 2;
    }
    worker *ws = calloc((size_t)nw, sizeof *ws);
    for (int i = 0; i < nw; i++) {
        ws[i].id = i;
        ws[i].rng = 0x9E3779B97F4A7C15ull * (uint64_t)(i + 1);
        if (pthread_create(&ws[i].th, NULL, worker_main, &ws[i]) != 0) {
            fprintf(stderr, "soak: cannot start thread %d\n", i);
            return 2;
        }
    }
    printf("soak: %d connections for %ld s against 127.0.0.1:%d (pid %d), stream %s\n", nw, seconds, g_port,
           pid, g_stream);
    fflush(stdout);
    long samples[1024];
    int ns = 0;
    int64_t t0 = wire_now_us();
    for (;;) {
        int64_t el = (wire_now_us() - t0) / 1000000;
        if (el >= seconds)
            break;
        long next = (long)(ns + 1) * RSS_PERIOD_S;
        if (next > seconds)
            next = seconds;
        sleep((unsigned)(next - el > 0 ? next - el : 1));
        if ((wire_now_us() - t0) / 1000000 >= (long)(ns + 1) * RSS_PERIOD_S && ns < 1024) {
            long kb = rss_kb(pid);
            samples[ns++] = kb;
            uint64_t calls = 0;
            for (int i = 0; i < nw; i++)
                calls += __atomic_load_n(&ws[i].calls, __ATOMIC_RELAXED);
            printf("soak: t=%3lds rss=%ld kB calls=%" PRIu64 "\n", (long)ns * RSS_PERIOD_S, kb, calls);
            fflush(stdout);
            if (kb < 0) {
                fprintf(stderr, "soak: the simulator (pid %d) is gone\n", pid);
                break;
            }
        }
    }
    pthread_mutex_lock(&g_stop_mu);
    g_stop = 1;
    pthread_mutex_unlock(&g_stop_mu);
    uint64_t calls = 0, acked = 0, injected = 0, dropped = 0, entry_failed = 0, unexpected = 0;
    for (int i = 0; i < nw; i++) {
        pthread_join(ws[i].th, NULL);
        calls += ws[i].calls;
        acked += ws[i].puts_acked;
        injected += ws[i].injected;
        dropped += ws[i].dropped;
        entry_failed += ws[i].entry_failed;
        unexpected += ws[i].unexpected;
        if (ws[i].unexpected)
            fprintf(stderr, "soak: connection %d: %" PRIu64 " unexpected, last: %s\n", i, ws[i].unexpected,
                    ws[i].last_unexpected);
    }
    int failed = 0;
    printf("soak: %" PRIu64 " calls (%.0f/s), %" PRIu64 " records acknowledged; injected: %" PRIu64
           " error answers, %" PRIu64 " failed entries, %" PRIu64 " dropped connections; unexpected: %" PRIu64
           "\n",
           calls, (double)calls / (double)seconds, acked, injected, entry_failed, dropped, unexpected);
    if (unexpected)
        failed = 1;
    if (injected + entry_failed + dropped == 0) {
        fprintf(stderr, "soak: no fault was injected: are the fault rules loaded?\n");
        failed = 1;
    }
    /* RSS: skip the warm-up (the first 20% of samples, at least one), then compare thirds */
    int warm = ns / 5 > 0 ? ns / 5 : 1;
    int m = ns - warm;
    if (m >= 3) {
        long first_max = 0, last_max = 0;
        for (int i = warm; i < warm + m / 3; i++)
            first_max = samples[i] > first_max ? samples[i] : first_max;
        for (int i = ns - m / 3; i < ns; i++)
            last_max = samples[i] > last_max ? samples[i] : last_max;
        int flat = (double)last_max <= (double)first_max * 1.10;
        printf("soak: RSS after warm-up: first third max %ld kB, last third max %ld kB (%+.1f%%): %s\n",
               first_max, last_max, 100.0 * ((double)last_max - (double)first_max) / (double)first_max,
               flat ? "flat" : "GROWING");
        if (!flat)
            failed = 1;
    } else {
        fprintf(stderr, "soak: too few RSS samples (%d) to judge\n", ns);
        failed = 1;
    }
    /* read-back with the fault rules cleared */
    int st = 0;
    if (wire_connect(&c, g_host, g_port, 2000, err, sizeof err) != 0 ||
        control(&c, "DELETE", "/_sim/faults", &st) != 0 || st != 200) {
        fprintf(stderr, "soak: cannot clear the fault rules (status %d)\n", st);
        failed = 1;
    }
    wire_close(&c);
    uint64_t stored = 0;
    long problems = read_back(ws, nw, &stored);
    if (problems) {
        fprintf(stderr, "soak: read-back found %ld problems\n", problems);
        failed = 1;
    }
    for (int i = 0; i < nw; i++) {
        free(ws[i].acked.bits);
        free(ws[i].unknown.bits);
    }
    free(ws);
    printf("soak: %s\n", failed ? "FAILED" : "passed");
    return failed;
}
