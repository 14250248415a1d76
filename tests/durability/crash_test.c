/* crash_test.c: the crash-durability test for kinesis-sim, run by ci/run-tests
 * as `build/crash-test build/kinesis-sim`.
 *
 * 1. Start the simulator on a file database, create a 3-shard stream, and write from six
 *    connections at once: over HTTP/1.1 two PutRecord and two PutRecords of 10, over HTTP/2 (its
 *    answers go through the same group commit) one of each. Every record's bytes are unique
 *    (writer id, counter, then pseudo-random binary bytes), and each acknowledged record is kept
 *    with the sequence number and shard the server answered. Every third record is large (over
 *    600 bytes), so its bytes go to the data file beside the database (mockserver/store/datafile.c)
 *    while the small ones stay in SQLite.
 * 2. SIGKILL the simulator in the middle of that load, restart it on the same file, read every
 *    shard from TRIM_HORIZON, and check: every acknowledged record is there exactly once, in the
 *    shard and at the sequence number it was acknowledged with, with the same bytes; sequence
 *    numbers rise strictly within each shard; no record appears twice; and each writer's
 *    acknowledged records keep their order within a shard.
 * 3. Start-up failures are clean: a database in a missing directory, a file of garbage bytes,
 *    a read-only file, and a file another kinesis-sim is already serving each make the
 *    simulator exit non-zero with a message on stderr naming the file and the reason, never
 *    crash or hang. Root may write any file, so as root the read-only case runs the simulator as
 *    nobody, from a copy of the binary in this test's own directory: the clone may live where
 *    nobody cannot reach (/root/project), and that must not matter (issue 14).
 * Prints one line per check and ends with "N passed, M failed"; exit 0 only when none failed.
 * Bounded: each step has a deadline and a watchdog ends everything after 60 s. Loopback only. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tl_sim.h"
#include "wire.h"
#include "wire_h2.h"

#define STREAM "crash-durability"
#define N_SHARDS 3
#define N_WRITERS 6 /* 0-3 over HTTP/1.1, 4 and 5 over HTTP/2 */
#define FIRST_H2_WRITER 4
#define BATCH 10
#define MAX_PER_WRITER 200000
#define MAX_DATA 2100
#define LARGE_DATA 600 /* records longer than this go to the simulator's data file */

static const char *g_sim;
static char g_sim_copy[320]; /* the copy nobody runs (as root) */
static char g_dir[256];
static int g_passed, g_failed;
static volatile pid_t g_children[8];

static void check(int ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void check(int ok, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("%s - ", ok ? "ok" : "not ok");
    vprintf(fmt, ap);
    printf("\n");
    fflush(stdout);
    va_end(ap);
    if (ok)
        g_passed++;
    else
        g_failed++;
}

static void watchdog(int sig)
{
    (void)sig;
    for (int i = 0; i < 8; i++)
        if (g_children[i] > 0)
            kill(g_children[i], SIGKILL);
    static const char msg[] = "crash-test: watchdog: took longer than 60 s\n0 passed, 1 failed\n";
    ssize_t w = write(2, msg, sizeof msg - 1);
    (void)w;
    _exit(1);
}

static void track(pid_t pid, int add)
{
    for (int i = 0; i < 8; i++)
        if (add ? g_children[i] == 0 : g_children[i] == pid) {
            g_children[i] = add ? pid : 0;
            return;
        }
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* ---- running the simulator ---- */

typedef struct sim_proc {
    pid_t pid;
    int port;
    char err_path[300];
} sim_proc;

/* Start kinesis-sim on db (tl_sim.h). With want_port, wait (<= 10 s) for its "listening" line;
 * returns 0 when it is serving. Without, the caller waits for it to exit. uid >= 0 runs it as that
 * user. */
static int sim_start(sim_proc *p, const char *db, int want_port, uid_t uid, const char *tag)
{
    memset(p, 0, sizeof *p);
    snprintf(p->err_path, sizeof p->err_path, "%s/%s.stderr", g_dir, tag);
    const char *args[] = {"--db", db, "--create-delay-ms", "0", "--log-level", "warn", NULL};
    /* as nobody: the copy in our own directory; and in a sanitizer build, no suppressions file
     * (nobody may not be able to read the one beside the clone) and no leak check: this short
     * run is about the refusal */
    const char *nobody_env[] = {"LSAN_OPTIONS=", "ASAN_OPTIONS=detect_leaks=0", NULL};
    int as_other = uid != (uid_t)-1;
    tl_sim_options o = {.bin = as_other ? g_sim_copy : g_sim,
                        .env = as_other ? nobody_env : NULL,
                        .args = args,
                        .stderr_path = p->err_path,
                        .uid = uid == (uid_t)-1 ? 0 : (long)uid,
                        .no_wait = !want_port};
    tl_sim t;
    int rc = tl_sim_start(&t, &o);
    if (t.out >= 0)
        close(t.out); /* it ignores SIGPIPE: what it prints later is dropped */
    p->pid = t.pid;   /* 0 when it did not start and was reaped */
    p->port = t.port;
    if (p->pid > 0)
        track(p->pid, 1);
    return rc;
}

/* Wait up to ms for the process to exit; returns its wait status, or -1 if it still runs
 * (then it is killed). */
static int sim_wait(sim_proc *p, long ms)
{
    int st;
    for (long i = 0; i < ms / 10 + 1; i++) {
        pid_t r = waitpid(p->pid, &st, WNOHANG);
        if (r == p->pid) {
            track(p->pid, 0);
            return st;
        }
        sleep_ms(10);
    }
    kill(p->pid, SIGKILL);
    waitpid(p->pid, &st, 0);
    track(p->pid, 0);
    return -1;
}

static int sim_stop(sim_proc *p)
{
    kill(p->pid, SIGTERM);
    return sim_wait(p, 10000);
}

static void read_file(const char *path, char *buf, size_t len)
{
    buf[0] = '\0';
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    size_t n = fread(buf, 1, len - 1, f);
    buf[n] = '\0';
    fclose(f);
    char *nl;
    while ((nl = strchr(buf, '\n')) != NULL && nl[1] == '\0')
        *nl = '\0';
}

/* ---- the writers ---- */

typedef struct rec {
    unsigned char *data;
    size_t len;
    char seq[80];
    char shard[40];
    int writer;
    long idx;
} rec;

typedef struct writer {
    int id;
    int port;
    pthread_t thread;
    rec *acked;
    _Atomic long n_acked; /* read by the main thread while the writer runs */
    long requests;
    char last_error[256];
} writer;

static atomic_int g_stop;

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb3f97f4a7c15ULL;
    x ^= x >> 33;
    return x;
}

/* Unique bytes for (writer, idx): a readable prefix, then 1..200 pseudo-random bytes, or for every
 * third record 601..2000 of them. */
static size_t make_data(int w, long idx, unsigned char *out)
{
    int n = snprintf((char *)out, MAX_DATA, "w%d-%ld|", w, idx);
    uint64_t h = mix((uint64_t)w << 40 ^ (uint64_t)idx);
    size_t extra = idx % 3 == 0 ? LARGE_DATA + 1 + h % 1400 : 1 + h % 200;
    for (size_t i = 0; i < extra; i++) {
        h = mix(h + i);
        out[n + i] = (unsigned char)h;
    }
    return (size_t)n + extra;
}

static json_t *entry_json(const unsigned char *data, size_t len, int w, long idx)
{
    char b64[MAX_DATA * 2];
    EVP_EncodeBlock((unsigned char *)b64, data, (int)len);
    char pk[48];
    snprintf(pk, sizeof pk, "pk-%d-%ld", w, idx);
    return json_pack("{s:s, s:s}", "Data", b64, "PartitionKey", pk);
}

static void keep(writer *wr, const unsigned char *data, size_t len, const char *seq, const char *shard,
                 long idx)
{
    if (wr->n_acked >= MAX_PER_WRITER)
        return;
    rec *r = &wr->acked[wr->n_acked++];
    r->data = malloc(len);
    memcpy(r->data, data, len);
    r->len = len;
    snprintf(r->seq, sizeof r->seq, "%s", seq);
    snprintf(r->shard, sizeof r->shard, "%s", shard);
    r->writer = wr->id;
    r->idx = idx;
}

/* One call on the writer's connection, over HTTP/1.1 or HTTP/2. */
static json_t *writer_call(writer *wr, wire_conn *c, wire_h2 *h2, const char *op, json_t *req, int *st)
{
    if (h2)
        return wire_h2_kinesis(h2, op, req, 5000, st, wr->last_error, sizeof wr->last_error);
    return wire_kinesis(c, op, req, 5000, st, wr->last_error, sizeof wr->last_error);
}

static void *writer_main(void *arg)
{
    writer *wr = arg;
    wire_conn c = {.fd = -1};
    wire_h2 *h2 = NULL;
    if (wr->id >= FIRST_H2_WRITER) {
        h2 = wire_h2_connect("127.0.0.1", wr->port, 2000, wr->last_error, sizeof wr->last_error);
        if (!h2)
            return NULL;
    } else if (wire_connect(&c, "127.0.0.1", wr->port, 2000, wr->last_error, sizeof wr->last_error)) {
        return NULL;
    }
    unsigned char data[BATCH][MAX_DATA];
    size_t lens[BATCH];
    long idx = 0;
    int64_t end = wire_now_us() + 8 * 1000000LL;
    int batched = wr->id % 2;
    while (!g_stop && wire_now_us() < end && wr->n_acked + BATCH < MAX_PER_WRITER) {
        int st;
        json_t *req, *ans;
        if (!batched) {
            lens[0] = make_data(wr->id, idx, data[0]);
            req = entry_json(data[0], lens[0], wr->id, idx);
            json_object_set_new(req, "StreamName", json_string(STREAM));
            ans = writer_call(wr, &c, h2, "PutRecord", req, &st);
            json_decref(req);
            const char *seq = json_string_value(json_object_get(ans, "SequenceNumber"));
            const char *sh = json_string_value(json_object_get(ans, "ShardId"));
            if (st == 200 && seq && sh)
                keep(wr, data[0], lens[0], seq, sh, idx);
            idx++;
        } else {
            json_t *recs = json_array();
            for (int i = 0; i < BATCH; i++) {
                lens[i] = make_data(wr->id, idx + i, data[i]);
                json_array_append_new(recs, entry_json(data[i], lens[i], wr->id, idx + i));
            }
            req = json_pack("{s:s, s:o}", "StreamName", STREAM, "Records", recs);
            ans = writer_call(wr, &c, h2, "PutRecords", req, &st);
            json_decref(req);
            json_t *out = json_object_get(ans, "Records");
            if (st == 200 && json_array_size(out) == BATCH)
                for (int i = 0; i < BATCH; i++) {
                    json_t *e = json_array_get(out, (size_t)i);
                    const char *seq = json_string_value(json_object_get(e, "SequenceNumber"));
                    const char *sh = json_string_value(json_object_get(e, "ShardId"));
                    if (seq && sh && !json_object_get(e, "ErrorCode"))
                        keep(wr, data[i], lens[i], seq, sh, idx + i);
                }
            idx += BATCH;
        }
        json_decref(ans);
        wr->requests++;
        if (st < 0)
            break; /* transport error: the server is gone */
        if (st != 200)
            sleep_ms(5); /* throttled or refused: try again shortly */
    }
    if (h2)
        wire_h2_close(h2);
    else
        wire_close(&c);
    return NULL;
}

/* ---- reading back ---- */

typedef struct stored {
    unsigned char *data;
    size_t len;
    char seq[80];
    int shard;
} stored;

static int seq_cmp(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la != lb)
        return la < lb ? -1 : 1;
    return strcmp(a, b);
}

static int bytes_cmp(const unsigned char *a, size_t la, const unsigned char *b, size_t lb)
{
    int c = memcmp(a, b, la < lb ? la : lb);
    if (c)
        return c;
    return (la > lb) - (la < lb);
}

static int stored_cmp(const void *x, const void *y)
{
    const stored *a = x, *b = y;
    return bytes_cmp(a->data, a->len, b->data, b->len);
}

/* Base64-decode s into a malloc'd buffer; NULL when malformed. */
static unsigned char *b64_decode(const char *s, size_t *len)
{
    size_t n = strlen(s);
    if (n % 4)
        return NULL;
    unsigned char *out = malloc(n / 4 * 3 + 1);
    int got = EVP_DecodeBlock(out, (const unsigned char *)s, (int)n);
    if (got < 0) {
        free(out);
        return NULL;
    }
    size_t pad = (n && s[n - 1] == '=') + (n > 1 && s[n - 2] == '=');
    *len = (size_t)got - pad;
    return out;
}

/* Read every record of the stream; returns the count (-1 on error), *out malloc'd. */
static long read_all(int port, char shard_ids[][40], int *n_shards, stored **out)
{
    wire_conn c;
    char err[256];
    int st;
    *out = NULL;
    if (wire_connect(&c, "127.0.0.1", port, 2000, err, sizeof err) != 0)
        return -1;
    json_t *req = json_pack("{s:s}", "StreamName", STREAM);
    json_t *ans = wire_kinesis(&c, "DescribeStream", req, 5000, &st, err, sizeof err);
    json_decref(req);
    json_t *shards = json_object_get(json_object_get(ans, "StreamDescription"), "Shards");
    if (st != 200 || !json_is_array(shards) || json_array_size(shards) > 16) {
        printf("# DescribeStream after restart: %d %s\n", st, st < 0 ? err : "");
        json_decref(ans);
        wire_close(&c);
        return -1;
    }
    long n = 0, cap = 1024;
    stored *all = malloc((size_t)cap * sizeof *all);
    *n_shards = (int)json_array_size(shards);
    int64_t deadline = wire_now_us() + 15 * 1000000LL;
    int bad = 0;
    for (int s = 0; s < *n_shards && !bad; s++) {
        const char *id = json_string_value(json_object_get(json_array_get(shards, (size_t)s), "ShardId"));
        snprintf(shard_ids[s], 40, "%s", id ? id : "?");
        req = json_pack("{s:s, s:s, s:s}", "StreamName", STREAM, "ShardId", shard_ids[s], "ShardIteratorType",
                        "TRIM_HORIZON");
        json_t *g = wire_kinesis(&c, "GetShardIterator", req, 5000, &st, err, sizeof err);
        json_decref(req);
        const char *it0 = json_string_value(json_object_get(g, "ShardIterator"));
        char *it = st == 200 && it0 ? strdup(it0) : NULL;
        json_decref(g);
        if (!it)
            bad = 1;
        for (int call = 0; it && call < 10000 && wire_now_us() < deadline; call++) {
            req = json_pack("{s:s, s:i}", "ShardIterator", it, "Limit", 10000);
            json_t *r = wire_kinesis(&c, "GetRecords", req, 10000, &st, err, sizeof err);
            json_decref(req);
            free(it);
            it = NULL;
            json_t *recs = json_object_get(r, "Records");
            if (st != 200 || !json_is_array(recs)) {
                printf("# GetRecords on %s: %d %s\n", shard_ids[s], st, st < 0 ? err : "");
                bad = 1;
                json_decref(r);
                break;
            }
            size_t i;
            json_t *e;
            json_array_foreach(recs, i, e)
            {
                const char *seq = json_string_value(json_object_get(e, "SequenceNumber"));
                const char *d = json_string_value(json_object_get(e, "Data"));
                size_t dl = 0;
                unsigned char *raw = d ? b64_decode(d, &dl) : NULL;
                if (!seq || !raw) {
                    printf("# a record without SequenceNumber or with bad Data in %s\n", shard_ids[s]);
                    free(raw);
                    bad = 1;
                    continue;
                }
                if (n == cap) {
                    cap *= 2;
                    all = realloc(all, (size_t)cap * sizeof *all);
                }
                all[n].data = raw;
                all[n].len = dl;
                snprintf(all[n].seq, sizeof all[n].seq, "%s", seq);
                all[n].shard = s;
                n++;
            }
            json_t *behind = json_object_get(r, "MillisBehindLatest");
            const char *next = json_string_value(json_object_get(r, "NextShardIterator"));
            if (next && (json_array_size(recs) > 0 || json_integer_value(behind) > 0))
                it = strdup(next);
            json_decref(r);
        }
        free(it);
    }
    json_decref(ans);
    wire_close(&c);
    *out = all;
    return bad ? -1 : n;
}

/* ---- the crash scenario ---- */

static void crash_scenario(const char *db)
{
    sim_proc p;
    if (sim_start(&p, db, 1, (uid_t)-1, "first") != 0) {
        char e[512];
        read_file(p.err_path, e, sizeof e);
        check(0, "simulator starts on %s (%s)", db, e);
        if (p.pid > 0)
            sim_wait(&p, 0);
        return;
    }
    wire_conn c;
    char err[256];
    int ok = wire_connect(&c, "127.0.0.1", p.port, 2000, err, sizeof err) == 0 &&
             wire_ensure_stream(&c, STREAM, N_SHARDS, 10000, err, sizeof err) == 0;
    wire_close(&c);
    check(ok, "create a %d-shard stream (%s)", N_SHARDS, ok ? "ACTIVE" : err);
    if (!ok) {
        sim_stop(&p);
        return;
    }
    static writer ws[N_WRITERS];
    for (int i = 0; i < N_WRITERS; i++) {
        ws[i].id = i;
        ws[i].port = p.port;
        ws[i].acked = calloc(MAX_PER_WRITER, sizeof(rec));
        pthread_create(&ws[i].thread, NULL, writer_main, &ws[i]);
    }
    /* Let the load run until a good number of records are acknowledged (or 2 s), then kill. */
    int64_t until = wire_now_us() + 2 * 1000000LL;
    long total = 0;
    while (wire_now_us() < until) {
        total = 0;
        for (int i = 0; i < N_WRITERS; i++)
            total += ws[i].n_acked;
        if (total >= 3000)
            break;
        sleep_ms(5);
    }
    kill(p.pid, SIGKILL);
    int st = sim_wait(&p, 5000);
    g_stop = 1;
    for (int i = 0; i < N_WRITERS; i++)
        pthread_join(ws[i].thread, NULL);
    total = 0;
    long requests = 0;
    for (int i = 0; i < N_WRITERS; i++) {
        total += ws[i].n_acked;
        requests += ws[i].requests;
    }
    check(st >= 0 && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL,
          "SIGKILL mid-load after %ld acknowledged records (%ld requests)", total, requests);
    check(total > 0, "the writers had records acknowledged before the kill (%ld)", total);
    long h2_acked = 0, least = -1, large = 0;
    int least_w = 0;
    for (int i = 0; i < N_WRITERS; i++) {
        for (long k = 0; k < ws[i].n_acked; k++)
            large += ws[i].acked[k].len > LARGE_DATA;
        if (i >= FIRST_H2_WRITER)
            h2_acked += ws[i].n_acked;
        if (least < 0 || ws[i].n_acked < least) {
            least = ws[i].n_acked;
            least_w = i;
        }
    }
    check(least > 0,
          "every writer had records acknowledged, over HTTP/1.1 and HTTP/2 (%ld over HTTP/2; writer %d: "
          "%ld%s%s)",
          h2_acked, least_w, least, ws[least_w].last_error[0] ? ", " : "", ws[least_w].last_error);
    check(large > 0, "large records (over %d bytes, kept in the data file) were acknowledged too (%ld)",
          LARGE_DATA, large);

    sim_proc q;
    if (sim_start(&q, db, 1, (uid_t)-1, "restart") != 0) {
        char e[512];
        read_file(q.err_path, e, sizeof e);
        check(0, "restart on the same file (%s)", e);
        if (q.pid > 0)
            sim_wait(&q, 0);
        goto out;
    }
    check(1, "restart on the same file after SIGKILL");
    char seg[600];
    snprintf(seg, sizeof seg, "%s-data-000001", db);
    struct stat sb;
    check(stat(seg, &sb) == 0 && sb.st_size > 0,
          "the large records' bytes are in the data file beside the "
          "database (%s: %lld bytes)",
          seg, stat(seg, &sb) == 0 ? (long long)sb.st_size : -1LL);
    char shard_ids[16][40];
    int n_shards = 0;
    stored *all;
    long n = read_all(q.port, shard_ids, &n_shards, &all);
    check(n >= 0 && n_shards == N_SHARDS, "read back %ld records from %d shards", n, n_shards);
    if (n >= 0) {
        /* per-shard order: strictly rising sequence numbers in read order */
        long order_bad = 0;
        for (long i = 1; i < n; i++)
            if (all[i].shard == all[i - 1].shard && seq_cmp(all[i - 1].seq, all[i].seq) >= 0)
                order_bad++;
        check(order_bad == 0, "sequence numbers rise strictly within each shard (%ld out of order)",
              order_bad);
        qsort(all, (size_t)n, sizeof *all, stored_cmp);
        long dups = 0;
        for (long i = 1; i < n; i++)
            if (!stored_cmp(&all[i - 1], &all[i]))
                dups++;
        check(dups == 0, "no record is stored twice (%ld duplicates)", dups);
        long missing = 0, wrong_place = 0, twice = 0, writer_order = 0;
        for (int w = 0; w < N_WRITERS; w++) {
            char last_seq[16][80];
            memset(last_seq, 0, sizeof last_seq);
            for (long i = 0; i < ws[w].n_acked; i++) {
                rec *r = &ws[w].acked[i];
                stored key = {.data = r->data, .len = r->len};
                stored *hit = bsearch(&key, all, (size_t)n, sizeof *all, stored_cmp);
                if (!hit) {
                    if (missing++ < 5)
                        printf("# missing: writer %d record %ld seq %s in %s\n", w, r->idx, r->seq, r->shard);
                    continue;
                }
                long lo = hit - all, hi = lo;
                while (lo > 0 && !stored_cmp(&all[lo - 1], &key))
                    lo--;
                while (hi + 1 < n && !stored_cmp(&all[hi + 1], &key))
                    hi++;
                if (hi > lo)
                    twice++;
                if (strcmp(hit->seq, r->seq) != 0 || strcmp(shard_ids[hit->shard], r->shard)) {
                    if (wrong_place++ < 5)
                        printf("# moved: writer %d record %ld acked %s/%s, stored %s/%s\n", w, r->idx,
                               r->shard, r->seq, shard_ids[hit->shard], hit->seq);
                }
                int s = hit->shard;
                if (last_seq[s][0] && seq_cmp(last_seq[s], r->seq) >= 0)
                    writer_order++;
                snprintf(last_seq[s], sizeof last_seq[s], "%s", r->seq);
            }
        }
        check(missing == 0, "every acknowledged record survived the crash (%ld of %ld missing)", missing,
              total);
        check(twice == 0, "every acknowledged record is stored exactly once (%ld more than once)", twice);
        check(wrong_place == 0,
              "each acknowledged record has its acknowledged shard, sequence number and bytes "
              "(%ld differ)",
              wrong_place);
        check(writer_order == 0,
              "each writer's records keep their acknowledged order within a shard (%ld not)", writer_order);
        for (long i = 0; i < n; i++)
            free(all[i].data);
    }
    free(all);
    st = sim_stop(&q);
    check(st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "SIGTERM stops the restarted "
                                                            "simulator cleanly (exit 0)");
out:
    for (int i = 0; i < N_WRITERS; i++) {
        for (long k = 0; k < ws[i].n_acked; k++)
            free(ws[i].acked[k].data);
        free(ws[i].acked);
    }
}

/* ---- start-up failures ---- */

/* Run the simulator on db and expect a clean refusal: non-zero exit (not a signal) within 10 s
 * and a message on stderr that names the file. */
static void expect_refusal(const char *what, const char *db, uid_t uid, const char *reason)
{
    sim_proc p;
    char tag[32];
    snprintf(tag, sizeof tag, "refuse-%d", g_passed + g_failed);
    if (sim_start(&p, db, 0, uid, tag) != 0) {
        check(0, "%s: could not run the simulator", what);
        return;
    }
    int st = sim_wait(&p, 10000);
    char e[1024];
    read_file(p.err_path, e, sizeof e);
    if (st >= 0 && WIFEXITED(st) && (WEXITSTATUS(st) == 126 || WEXITSTATUS(st) == 127) && !e[0]) {
        check(0, "%s: the simulator could not be executed (exit %d)", what, WEXITSTATUS(st));
        return;
    }
    if (st < 0)
        check(0, "%s: the simulator is still running after 10 s (killed)", what);
    else if (WIFSIGNALED(st))
        check(0, "%s: the simulator died of signal %d (%s)", what, WTERMSIG(st), e);
    else
        check(WEXITSTATUS(st) != 0 && e[0] && strstr(e, db) && strstr(e, reason),
              "%s: exits %d with a message naming the file and the reason ('%s'): %s", what, WEXITSTATUS(st),
              reason, e);
}

static void copy_file(const char *from, const char *to)
{
    FILE *a = fopen(from, "rb"), *b = fopen(to, "wb");
    char buf[65536];
    size_t n;
    while (a && b && (n = fread(buf, 1, sizeof buf, a)) > 0)
        fwrite(buf, 1, n, b);
    if (a)
        fclose(a);
    if (b)
        fclose(b);
}

/* Copy the simulator into this test's directory (mode 0755 under /tmp) and prove that uid can
 * run it there, whatever the directories above the clone allow. 0, or -1 after a failed check. */
static int copy_sim_for(uid_t uid)
{
    char dir[300];
    snprintf(dir, sizeof dir, "%s/bin", g_dir);
    mkdir(dir, 0755);
    chmod(dir, 0755);
    snprintf(g_sim_copy, sizeof g_sim_copy, "%s/kinesis-sim", dir);
    copy_file(g_sim, g_sim_copy);
    chmod(g_sim_copy, 0755);
    pid_t pid = fork();
    if (pid == 0) {
        if (setgid(65534) != 0 || setuid(uid) != 0)
            _exit(2);
        _exit(access(g_sim_copy, X_OK) == 0 ? 0 : 1);
    }
    int st = 0;
    if (pid > 0)
        waitpid(pid, &st, 0);
    if (pid < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        check(0, "read-only database file: uid %u cannot run the copy of the simulator at %s (exit %d)",
              (unsigned)uid, g_sim_copy, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
        return -1;
    }
    return 0;
}

static void startup_failures(const char *good_db)
{
    char path[512];
    snprintf(path, sizeof path, "%s/no/such/dir/sim.db", g_dir);
    expect_refusal("database in a missing directory", path, (uid_t)-1, "no/such/dir does not exist");

    snprintf(path, sizeof path, "%s/garbage.db", g_dir);
    FILE *f = fopen(path, "wb");
    uint64_t h = 42;
    for (int i = 0; f && i < 65536; i++) {
        h = mix(h + (uint64_t)i);
        fputc((int)(h & 0xff), f);
    }
    if (f)
        fclose(f);
    expect_refusal("database file of garbage bytes", path, (uid_t)-1, "not a database");

    /* read-only: root ignores permission bits, so as root the simulator runs as nobody */
    char rodir[300];
    snprintf(rodir, sizeof rodir, "%s/ro", g_dir);
    mkdir(rodir, 0755);
    snprintf(path, sizeof path, "%s/ro/sim.db", g_dir);
    copy_file(good_db, path);
    chmod(path, 0444);
    chmod(rodir, 0555);
    chmod(g_dir, 0755);
    uid_t as = (uid_t)-1;
    if (geteuid() == 0) {
        struct passwd *pw = getpwnam("nobody");
        as = pw ? pw->pw_uid : 65534;
        if (copy_sim_for(as) != 0) {
            chmod(rodir, 0755);
            return;
        }
    }
    expect_refusal("read-only database file", path, as, "cannot write it");
    chmod(rodir, 0755);

    /* in use: a second simulator on a file the first is serving */
    sim_proc a;
    if (sim_start(&a, good_db, 1, (uid_t)-1, "holder") != 0) {
        check(0, "database in use: the first simulator did not start");
        if (a.pid > 0)
            sim_wait(&a, 0);
        return;
    }
    expect_refusal("database in use by another kinesis-sim", good_db, (uid_t)-1, "in use by another process");
    int st = sim_stop(&a);
    check(st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
          "the first simulator kept serving and stopped cleanly");
}

static void remove_tree(const char *dir)
{
    pid_t pid = fork();
    if (pid == 0) {
        execlp("rm", "rm", "-rf", dir, (char *)NULL);
        _exit(127);
    }
    if (pid > 0)
        waitpid(pid, NULL, 0);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: crash-test PATH/TO/kinesis-sim\n");
        return 2;
    }
    g_sim = argv[1];
    if (access(g_sim, X_OK) != 0) {
        fprintf(stderr, "crash-test: cannot run %s: %s\n", g_sim, strerror(errno));
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    signal(SIGALRM, watchdog);
    alarm(60);
    snprintf(g_dir, sizeof g_dir, "/tmp/kinesis-crash-XXXXXX");
    if (!mkdtemp(g_dir)) {
        fprintf(stderr, "crash-test: mkdtemp: %s\n", strerror(errno));
        return 1;
    }
    chmod(g_dir, 0755);
    int64_t t0 = wire_now_us();
    char db[512];
    snprintf(db, sizeof db, "%s/crash.db", g_dir);
    crash_scenario(db);
    startup_failures(db);
    printf("# %.1f s\n", (double)(wire_now_us() - t0) / 1e6);
    if (!g_failed || getenv("CRASH_TEST_CLEAN"))
        remove_tree(g_dir);
    else
        printf("# files kept in %s\n", g_dir);
    printf("%d passed, %d failed\n", g_passed, g_failed);
    return g_failed ? 1 : 0;
}
