/* test_store.c: the SQLite store on its own and across a restart: schema version, server key
 * kept, streams/shards/records/tags persisted in a file database and read back after reopening,
 * store_reset of one stream and of everything; the exclusive lock on the database file, and
 * SQLite failures at run time (full database, locked database) answered as errors without a crash
 * or a half-applied request; group commit (store_batch_*): durable only once committed, a failed
 * request undoes only its own changes, a failed COMMIT undoes the whole batch, and the requests'
 * sub-journal never goes to a temporary file; WAL checkpoints run on their own thread and the log
 * starts over instead of growing; a deleted stream's records (and data segments) go in bounded
 * passes after it (store_purge_step), also across a restart, unseen by a stream of the same name. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ops_fixture.h"
#include "store/datafile.h"
#include "wire/ids.h"

static char path[128];
static void setup(void)
{
    snprintf(path, sizeof path, "/tmp/kinesis-sim-test-store-%d.db", (int)getpid());
    unlink(path);
}
/* The file of data segment seg of the test database (store/datafile.c names them). */
static void seg_file(int seg, char *out, size_t cap)
{
    snprintf(out, cap, "%s-data-%06d", path, seg);
}

static void teardown(void)
{
    char p[160];
    unlink(path);
    snprintf(p, sizeof p, "%s-wal", path);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", path);
    unlink(p);
    for (int i = 1; i <= 200; i++) {
        seg_file(i, p, sizeof p);
        unlink(p);
    }
}
TestSuite(store, .init = setup, .fini = teardown);

Test(store, server_key_is_stable_across_reopen)
{
    char err[256] = "";
    store *s = store_open(path, err, sizeof err);
    cr_assert_not_null(s, "%s", err);
    uint8_t k1[32], k2[32], zero[32] = {0};
    cr_assert_eq(store_server_key(s, k1), 0);
    cr_assert_neq(memcmp(k1, zero, 32), 0);
    store_close(s);
    s = store_open(path, err, sizeof err);
    cr_assert_not_null(s, "%s", err);
    cr_assert_eq(store_server_key(s, k2), 0);
    cr_assert_arr_eq(k1, k2, 32);
    store_close(s);
}

Test(store, open_fails_clearly_on_a_bad_path)
{
    char err[256] = "";
    store *s = store_open("/nonexistent-dir/x/y.db", err, sizeof err);
    cr_assert_null(s);
    cr_assert(strstr(err, "/nonexistent-dir/x/y.db"), "%s", err);
}

Test(store, data_survives_restart)
{
    fx f;
    fx_init(&f, path);
    fx_stream(&f, "keep", 2);
    json_decref(fx_call(&f, op_add_tags_to_stream, "AddTagsToStream",
                        "{\"StreamName\":\"keep\",\"Tags\":{\"t\":\"v\"}}"));
    char *seq = fx_put(&f, "keep", "pk", "aGVsbG8=", NULL);
    char *seq_b = fx_put(&f, "keep", "pk", "d29ybGQ=", NULL);
    char *it = fx_iterator(&f, "keep", "shardId-000000000000", "TRIM_HORIZON");
    fx_fini(&f);

    fx g;
    fx_init(&g, path);
    g.ctx.now_ms = f.ctx.now_ms;
    sim_clock_set_ms(g.srv.clock, f.ctx.now_ms);
    /* the iterator issued before the restart still reads (the key was kept) */
    json_t *out = fx_call(&g, op_get_records, "GetRecords", "{\"ShardIterator\":\"%s\"}", it);
    cr_assert_not_null(out, "%s", g.ctx.err_msg);
    json_decref(out);
    json_t *ls = fx_call(&g, op_list_shards, "ListShards", "{\"StreamName\":\"keep\"}");
    json_t *shards = json_object_get(ls, "Shards");
    cr_assert_eq(json_array_size(shards), 2);
    json_t *tags = fx_call(&g, op_list_tags_for_stream, "ListTagsForStream", "{\"StreamName\":\"keep\"}");
    cr_assert_str_eq(
        json_string_value(json_object_get(json_array_get(json_object_get(tags, "Tags"), 0), "Value")), "v");
    json_decref(tags);
    /* records read back from the shard they went to, and new records continue the sequence */
    char shard[24];
    char *seq_c = fx_put(&g, "keep", "pk", "IQ==", shard);
    char *it2 = fx_iterator(&g, "keep", shard, "TRIM_HORIZON");
    out = fx_call(&g, op_get_records, "GetRecords", "{\"ShardIterator\":\"%s\"}", it2);
    json_t *recs = json_object_get(out, "Records");
    cr_assert_eq(json_array_size(recs), 3);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(recs, 0), "SequenceNumber")), seq);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(recs, 0), "Data")), "aGVsbG8=");
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(recs, 1), "SequenceNumber")), seq_b);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(recs, 2), "SequenceNumber")), seq_c);
    cr_assert_eq(seqnum_cmp_dec(seq_b, seq_c), -1);
    json_decref(out);
    json_decref(ls);
    fx_fini(&g);
    free(seq);
    free(seq_b);
    free(seq_c);
    free(it);
    free(it2);
}

Test(store, reset_one_stream_or_all)
{
    fx f;
    fx_init(&f, ":memory:");
    fx_stream(&f, "a", 1);
    fx_stream(&f, "b", 1);
    cr_assert_eq(store_reset(f.srv.store, FX_ACCOUNT, FX_REGION, "a"), 0);
    cr_assert_eq(store_reset(f.srv.store, FX_ACCOUNT, FX_REGION, "a"), -1);
    json_t *out = fx_call(&f, op_list_streams, "ListStreams", "{}");
    cr_assert_eq(json_array_size(json_object_get(out, "StreamNames")), 1);
    json_decref(out);
    cr_assert_eq(store_reset(f.srv.store, NULL, NULL, NULL), 0);
    out = fx_call(&f, op_list_streams, "ListStreams", "{}");
    cr_assert_eq(json_array_size(json_object_get(out, "StreamNames")), 0);
    json_decref(out);
    fx_fini(&f);
}

Test(store, transactions_roll_back)
{
    fx f;
    fx_init(&f, ":memory:");
    store_stream st = {0};
    snprintf(st.account_id, sizeof st.account_id, FX_ACCOUNT);
    snprintf(st.region, sizeof st.region, FX_REGION);
    snprintf(st.name, sizeof st.name, "tx");
    snprintf(st.status, sizeof st.status, "ACTIVE");
    snprintf(st.mode, sizeof st.mode, "PROVISIONED");
    cr_assert_eq(store_begin(f.srv.store), 0);
    cr_assert_eq(store_begin(f.srv.store), -1, "no nested transactions");
    cr_assert_eq(store_stream_insert(f.srv.store, &st), 0);
    store_rollback(f.srv.store);
    store_stream got;
    cr_assert_eq(store_stream_get(f.srv.store, FX_ACCOUNT, FX_REGION, "tx", &got), 1);
    cr_assert_eq(store_begin(f.srv.store), 0);
    cr_assert_eq(store_stream_insert(f.srv.store, &st), 0);
    cr_assert_eq(store_commit(f.srv.store), 0);
    cr_assert_eq(store_stream_get(f.srv.store, FX_ACCOUNT, FX_REGION, "tx", &got), 0);
    cr_assert_eq(got.id, st.id);
    fx_fini(&f);
}

/* ---- exclusive use of the database file ---- */

Test(store, second_open_of_the_same_file_is_refused)
{
    char err[512] = "";
    store *a = store_open(path, err, sizeof err);
    cr_assert_not_null(a, "%s", err);
    err[0] = 0;
    store *b = store_open(path, err, sizeof err);
    cr_assert_null(b, "a second store on a file in use must be refused");
    cr_assert(strstr(err, "in use by another process"), "%s", err);
    cr_assert(strstr(err, path), "the message names the file: %s", err);
    /* the first store is untouched and keeps working */
    uint8_t key[32];
    cr_assert_eq(store_server_key(a, key), 0);
    store_close(a);
    /* once closed, the file can be opened again */
    err[0] = 0;
    b = store_open(path, err, sizeof err);
    cr_assert_not_null(b, "%s", err);
    store_close(b);
}

Test(store, memory_databases_are_never_locked)
{
    char err[256] = "";
    store *a = store_open(":memory:", err, sizeof err);
    store *b = store_open(":memory:", err, sizeof err);
    cr_assert_not_null(a, "%s", err);
    cr_assert_not_null(b, "%s", err);
    store_close(a);
    store_close(b);
}

/* ---- refusals at start (issue 14): one message naming the file once, and the reason ---- */

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
        n++;
    return n;
}

Test(store, missing_directory_says_so_once)
{
    char err[1024] = "", db[256];
    snprintf(db, sizeof db, "%s.d/no/such/dir/sim.db", path);
    cr_assert_null(store_open(db, err, sizeof err));
    cr_assert(strstr(err, "does not exist"), "%s", err);
    cr_assert(strstr(err, "no/such/dir does not exist"), "names the missing directory: %s", err);
    cr_assert_eq(count(err, "sim.db"), 1, "the file is named once: %s", err);
}

/* Run store_open on db in a child, as `uid` when >= 0; the child writes the message to fd. Returns
 * 1 when the store opened. */
static int open_as(const char *db, int uid, char *err, size_t len)
{
    int p[2];
    cr_assert_eq(pipe(p), 0);
    pid_t pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0) {
        close(p[0]);
        if (uid >= 0 && (setgid((gid_t)uid) != 0 || setuid((uid_t)uid) != 0))
            _exit(3);
        char e[1024] = "";
        store *s = store_open(db, e, sizeof e);
        ssize_t w = write(p[1], e, strlen(e));
        (void)w;
        if (s)
            store_close(s);
        _exit(s ? 1 : 0);
    }
    close(p[1]);
    ssize_t n = read(p[0], err, len - 1);
    err[n > 0 ? n : 0] = 0;
    close(p[0]);
    int st;
    waitpid(pid, &st, 0);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) != 3, "could not become uid %d", uid);
    return WIFEXITED(st) && WEXITSTATUS(st) == 1;
}

Test(store, a_database_this_user_cannot_write_is_refused_at_start)
{
    /* root may write any file: as root the check runs as nobody (65534), in a directory nobody
     * can reach, on a file only root may write */
    int uid = geteuid() == 0 ? 65534 : -1;
    char dir[] = "/tmp/kinesis-store-ro-XXXXXX", db[128], err[1024];
    cr_assert_not_null(mkdtemp(dir));
    chmod(dir, 0755);
    snprintf(db, sizeof db, "%s/ro.db", dir);
    char e0[512] = "";
    store *s = store_open(db, e0, sizeof e0);
    cr_assert_not_null(s, "%s", e0);
    store_close(s);
    chmod(db, 0444);
    if (uid < 0)
        chmod(dir, 0555);
    int opened = open_as(db, uid, err, sizeof err);
    chmod(dir, 0755);
    chmod(db, 0644);
    unlink(db);
    rmdir(dir);
    cr_assert_not(opened, "a read-only database must be refused at start");
    cr_assert(strstr(err, "cannot write it") || strstr(err, "cannot create files"), "says why: %s", err);
    cr_assert(strstr(err, "Permission denied"), "with the system's reason: %s", err);
    cr_assert_eq(count(err, "ro.db"), 1, "names the file once: %s", err);
}

/* ---- SQLite failures at run time ---- */

/* PutRecords of n records of about 1 KiB with partition keys p<i>. */
/* PutRecords of n records of b64_chars base64 characters each (a multiple of 4, at most 1368). */
static json_t *put_batch_of(fx *f, const char *stream, int n, size_t b64_chars, const char **err_msg)
{
    size_t cap = (size_t)n * 1500 + 128;
    char *body = malloc(cap);
    cr_assert_not_null(body);
    size_t len = (size_t)snprintf(body, cap, "{\"StreamName\":\"%s\",\"Records\":[", stream);
    char data[1369];
    cr_assert_leq(b64_chars, sizeof data - 1);
    memset(data, 'A', b64_chars);
    data[b64_chars] = 0;
    for (int i = 0; i < n; i++)
        len += (size_t)snprintf(body + len, cap - len, "%s{\"PartitionKey\":\"p%d\",\"Data\":\"%s\"}",
                                i ? "," : "", i, data);
    snprintf(body + len, cap - len, "]}");
    json_t *out = fx_call(f, op_put_records, "PutRecords", "%s", body);
    free(body);
    *err_msg = f->ctx.err_msg;
    return out;
}

/* PutRecords of n records of 1,026 bytes (1,368 base64 characters). */
static json_t *put_batch(fx *f, const char *stream, int n, const char **err_msg)
{
    return put_batch_of(f, stream, n, 1368, err_msg);
}

/* Records readable from the stream's one shard from TRIM_HORIZON. */
static size_t count_records(fx *f, const char *stream)
{
    char *it = fx_iterator(f, stream, "shardId-000000000000", "TRIM_HORIZON");
    json_t *out = fx_call(f, op_get_records, "GetRecords", "{\"ShardIterator\":\"%s\"}", it);
    free(it);
    cr_assert_not_null(out, "GetRecords: %s", f->ctx.err_msg);
    size_t n = json_array_size(json_object_get(out, "Records"));
    json_decref(out);
    return n;
}

Test(store, full_database_answers_internal_failure_and_keeps_serving)
{
    fx f;
    fx_init(&f, ":memory:");
    fx_stream(&f, "full", 1);
    const char *msg;
    json_t *ok = put_batch(&f, "full", 10, &msg);
    cr_assert_not_null(ok, "%s", msg);
    json_decref(ok);
    cr_assert_eq(count_records(&f, "full"), 10);

    /* cap the database at its current size: the next write that needs a page fails (SQLITE_FULL) */
    cr_assert_eq(store_test_limit_pages(f.srv.store, 1), 0);
    json_t *out = put_batch(&f, "full", 200, &msg);
    cr_assert_null(out, "a put into a full database must fail");
    cr_assert_eq(f.ctx.err, SIM_ERR_InternalFailureException, "%s: %s", sim_error_name(f.ctx.err), msg);
    cr_assert_eq(sim_error_status(f.ctx.err), 500);
    cr_assert(strstr(msg, "full"), "the message says the database is full: %s", msg);
    cr_assert_eq(store_last_error(f.srv.store), STORE_ERR_FULL);

    /* still serving: reads work, and none of the failed batch is visible (it was rolled back) */
    cr_assert_eq(count_records(&f, "full"), 10);
    json_t *d = fx_call(&f, op_describe_stream_summary, "DescribeStreamSummary", "{\"StreamName\":\"full\"}");
    cr_assert_not_null(d, "%s", f.ctx.err_msg);
    json_decref(d);

    /* space again: writes succeed and the sequence continues after the acknowledged records */
    cr_assert_eq(store_test_limit_pages(f.srv.store, INT64_C(1) << 30), 0);
    ok = put_batch(&f, "full", 200, &msg);
    cr_assert_not_null(ok, "%s", msg);
    cr_assert_eq(json_integer_value(json_object_get(ok, "FailedRecordCount")), 0);
    json_decref(ok);
    cr_assert_eq(count_records(&f, "full"), 210);
    fx_fini(&f);
}

Test(store, full_database_fails_put_record_and_create_stream_cleanly)
{
    fx f;
    fx_init(&f, ":memory:");
    fx_stream(&f, "s", 1);
    char *seq = fx_put(&f, "s", "k", "aGVsbG8=", NULL);
    cr_assert_eq(store_test_limit_pages(f.srv.store, 1), 0);
    /* fill the last free space of the current pages, then the next write must fail */
    int failed_at = -1;
    for (int i = 0; i < 2000 && failed_at < 0; i++) {
        json_t *out = fx_call(&f, op_put_record, "PutRecord",
                              "{\"StreamName\":\"s\",\"PartitionKey\":\"k%d\",\"Data\":\"%0400d\"}", i, 0);
        if (!out)
            failed_at = i;
        json_decref(out);
    }
    cr_assert_geq(failed_at, 0, "the capped database never filled");
    cr_assert_eq(f.ctx.err, SIM_ERR_InternalFailureException, "%s", f.ctx.err_msg);
    const char *m = fx_error(&f, op_create_stream, "CreateStream", SIM_ERR_InternalFailureException,
                             "{\"StreamName\":\"t%0100d\",\"ShardCount\":50}", 0);
    cr_assert(strstr(m, "full"), "%s", m);
    cr_assert_eq(store_test_limit_pages(f.srv.store, INT64_C(1) << 30), 0);
    /* every acknowledged record is there, nothing of the failed ones */
    cr_assert_eq(count_records(&f, "s"), (size_t)failed_at + 1);
    free(seq);
    fx_fini(&f);
}

/* Another process's view of a database file: this test binary re-executed with
 * OTHER_SQLITE_DB and OTHER_SQLITE_SQL set runs the statement with SQLite's default VFS and no busy
 * timeout, before Criterion starts, and exits with its result code. (A forked child would not do:
 * it inherits SQLite's in-process record of the parent's locks.) */
__attribute__((constructor)) static void other_process_main(void)
{
    const char *db_path = getenv("OTHER_SQLITE_DB"), *sql = getenv("OTHER_SQLITE_SQL");
    if (!db_path || !sql)
        return;
    sqlite3 *other;
    if (sqlite3_open(db_path, &other) != SQLITE_OK)
        _exit(200);
    int rc = sqlite3_exec(other, sql, NULL, NULL, NULL);
    sqlite3_close(other);
    _exit(rc & 0xff);
}

/* Runs sql on db_path in another process; returns the SQLite result code (-1: no result). */
static int other_process_sqlite(const char *db_path, const char *sql)
{
    fflush(NULL);
    pid_t pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0) {
        setenv("OTHER_SQLITE_DB", db_path, 1);
        setenv("OTHER_SQLITE_SQL", sql, 1);
        char *argv[] = {(char *)"other-process", NULL};
        execv("/proc/self/exe", argv);
        _exit(201);
    }
    int status = 0;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    return WIFEXITED(status) && WEXITSTATUS(status) < 200 ? WEXITSTATUS(status) : -1;
}

Test(store, database_is_held_exclusively_while_served, .timeout = 30)
{
    fx f;
    fx_init(&f, path);
    fx_stream(&f, "busy", 1);
    char *seq = fx_put(&f, "busy", "k", "aGVsbG8=", NULL);
    free(seq);
    /* the unix-excl VFS locks the file for the process: once the simulator has written, another
     * process's connection (not a simulator: it takes no flock) can neither write nor read the
     * file behind its back */
    cr_assert_eq(other_process_sqlite(path, "BEGIN IMMEDIATE"), SQLITE_BUSY);
    cr_assert_eq(other_process_sqlite(path, "SELECT count(*) FROM records"), SQLITE_BUSY);
    /* and the simulator goes on serving */
    seq = fx_put(&f, "busy", "k", "aGVsbG8=", NULL);
    free(seq);
    cr_assert_eq(count_records(&f, "busy"), 2);
    fx_fini(&f);
}

Test(store, database_locked_by_another_process_is_refused_at_open, .timeout = 30)
{
    char err[512] = "";
    store *s = store_open(path, err, sizeof err);
    cr_assert_not_null(s, "%s", err);
    store_close(s);
    /* another connection holds the write lock when the simulator starts */
    sqlite3 *other;
    cr_assert_eq(sqlite3_open(path, &other), SQLITE_OK);
    cr_assert_eq(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK, "%s",
                 sqlite3_errmsg(other));
    s = store_open(path, err, sizeof err);
    cr_assert_null(s, "a store opened a database another process holds");
    cr_assert(strstr(err, path), "%s", err);
    cr_assert(strstr(err, "locked"), "%s", err);
    cr_assert_eq(sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(other);
    /* once it lets go, the same file opens */
    s = store_open(path, err, sizeof err);
    cr_assert_not_null(s, "%s", err);
    store_close(s);
}

/* ---- the stream and shard-list cache ---- */

Test(store, cache_answers_repeated_reads_and_forgets_rolled_back_writes)
{
    fx f;
    fx_init(&f, ":memory:");
    fx_stream(&f, "c", 2);
    store *s = f.srv.store;
    store_stream st;
    cr_assert_eq(store_stream_get(s, FX_ACCOUNT, FX_REGION, "c", &st), 0);
    store_shard *sh;
    size_t n;
    cr_assert_eq(store_shards_get(s, st.id, &sh, &n), 0);
    free(sh);
    uint64_t hits = store_cache_hits(s);
    cr_assert_eq(store_stream_get(s, FX_ACCOUNT, FX_REGION, "c", &st), 0);
    cr_assert_eq(store_shards_get(s, st.id, &sh, &n), 0);
    cr_assert_eq(store_cache_hits(s), hits + 2, "both reads come from the cache");
    cr_assert_eq(n, 2);
    cr_assert_eq(sh[0].range_parsed, 1, "cached shards carry their parsed hash ranges");
    uint64_t counter0 = sh[0].next_counter;

    /* writes inside a transaction that is rolled back must not survive in the cache */
    cr_assert_eq(store_begin(s), 0);
    sh[0].next_counter = counter0 + 1000;
    cr_assert_eq(store_shard_update(s, st.id, &sh[0]), 0);
    store_stream changed = st;
    snprintf(changed.status, sizeof changed.status, "UPDATING");
    changed.retention_hours = 99;
    cr_assert_eq(store_stream_update(s, &changed), 0);
    store_stream seen;
    cr_assert_eq(store_stream_get(s, FX_ACCOUNT, FX_REGION, "c", &seen), 0);
    cr_assert_eq(seen.retention_hours, 99, "inside the transaction the write is visible");
    store_rollback(s);
    free(sh);
    cr_assert_eq(store_stream_get(s, FX_ACCOUNT, FX_REGION, "c", &seen), 0);
    cr_assert_eq(seen.retention_hours, st.retention_hours);
    cr_assert_str_eq(seen.status, st.status);
    cr_assert_eq(store_shards_get(s, st.id, &sh, &n), 0);
    cr_assert_eq(sh[0].next_counter, counter0, "the rolled-back counter is gone");

    /* committed writes are seen through the cache */
    cr_assert_eq(store_begin(s), 0);
    sh[1].next_counter += 7;
    cr_assert_eq(store_shard_update(s, st.id, &sh[1]), 0);
    cr_assert_eq(store_commit(s), 0);
    uint64_t want = sh[1].next_counter;
    free(sh);
    cr_assert_eq(store_shards_get(s, st.id, &sh, &n), 0);
    cr_assert_eq(sh[1].next_counter, want);
    free(sh);

    /* a deleted stream is not answered from the cache */
    cr_assert_eq(store_reset(s, FX_ACCOUNT, FX_REGION, "c"), 0);
    cr_assert_eq(store_stream_get(s, FX_ACCOUNT, FX_REGION, "c", &seen), 1);
    fx_fini(&f);
}

Test(store, puts_after_a_reshard_use_the_new_shards)
{
    fx f;
    fx_init(&f, ":memory:");
    fx_stream(&f, "r", 1);
    char shard[24];
    char *seq = fx_put(&f, "r", "k", "aGVsbG8=", shard); /* caches the one-shard map */
    cr_assert_str_eq(shard, "shardId-000000000000");
    free(seq);
    json_t *out = fx_call(&f, op_split_shard, "SplitShard",
                          "{\"StreamName\":\"r\",\"ShardToSplit\":\"shardId-000000000000\","
                          "\"NewStartingHashKey\":\"170141183460469231731687303715884105728\"}");
    cr_assert_not_null(out, "%s", f.ctx.err_msg);
    json_decref(out);
    fx_advance(&f, 501);
    seq = fx_put(&f, "r", "k", "aGVsbG8=", shard);
    cr_assert_neq(strcmp(shard, "shardId-000000000000"), 0, "the closed parent takes no records: %s", shard);
    free(seq);
    fx_fini(&f);
}

/* ---- group commit (store_batch_*): one transaction over several requests ---- */

/* Simulate a crash: the store goes away without committing, then the file is opened again. */
static void reopen(fx *f)
{
    char err[256] = "";
    store_close(f->srv.store);
    f->srv.store = store_open(path, err, sizeof err);
    cr_assert_not_null(f->srv.store, "%s", err);
}

Test(store, batch_is_durable_only_once_committed)
{
    fx f;
    fx_init(&f, path);
    fx_stream(&f, "g", 1);
    store *s = f.srv.store;
    cr_assert_eq(store_batch_is_open(s), 0);
    cr_assert_eq(store_batch_commit(s), 0, "committing with no batch open is a no-op");
    cr_assert_eq(store_batch_open(s), 0);
    cr_assert_eq(store_batch_open(s), -1, "one batch at a time");
    cr_assert_eq(store_batch_dirty(s), 0);
    for (int i = 0; i < 3; i++)
        free(fx_put(&f, "g", "k", "aGVsbG8=", NULL));
    cr_assert_eq(store_batch_dirty(s), 1);
    cr_assert_eq(count_records(&f, "g"), 3, "the batch sees its own writes");
    reopen(&f); /* never committed: gone */
    cr_assert_eq(count_records(&f, "g"), 0);

    s = f.srv.store;
    cr_assert_eq(store_batch_open(s), 0);
    char *first = fx_put(&f, "g", "k", "aGVsbG8=", NULL);
    char *second = fx_put(&f, "g", "k", "aGVsbG8=", NULL);
    cr_assert_eq(store_batch_commit(s), 0);
    cr_assert_eq(store_batch_is_open(s), 0);
    reopen(&f);
    cr_assert_eq(count_records(&f, "g"), 2);
    char *third = fx_put(&f, "g", "k", "aGVsbG8=", NULL); /* no batch: a transaction of its own */
    cr_assert(strcmp(first, second) < 0 && strcmp(second, third) < 0, "%s %s %s", first, second, third);
    free(first);
    free(second);
    free(third);
    reopen(&f);
    cr_assert_eq(count_records(&f, "g"), 3);
    fx_fini(&f);
}

Test(store, batch_reads_alone_leave_it_clean)
{
    fx f;
    fx_init(&f, ":memory:");
    fx_stream(&f, "r", 1);
    free(fx_put(&f, "r", "k", "aGVsbG8=", NULL));
    store *s = f.srv.store;
    cr_assert_eq(store_batch_open(s), 0);
    cr_assert_eq(count_records(&f, "r"), 1);
    json_t *d = fx_call(&f, op_describe_stream_summary, "DescribeStreamSummary", "{\"StreamName\":\"r\"}");
    cr_assert_not_null(d, "%s", f.ctx.err_msg);
    json_decref(d);
    cr_assert_eq(store_batch_dirty(s), 0, "reads do not need their answers held");
    cr_assert_eq(store_reset(s, FX_ACCOUNT, FX_REGION, NULL), 0);
    cr_assert_eq(store_batch_dirty(s), 1, "a reset is a change");
    cr_assert_eq(store_batch_commit(s), 0);
    cr_assert_eq(store_batch_dirty(s), 0);
    fx_fini(&f);
}

/* A full database in the middle of a batch: SQLite rolls the whole transaction back (a one-row
 * statement has no statement journal), so every request of the batch is lost and must fail. */
Test(store, batch_full_database_fails_the_whole_batch)
{
    fx f;
    fx_init(&f, ":memory:");
    fx_stream(&f, "u", 1);
    store *s = f.srv.store;
    cr_assert_eq(store_batch_open(s), 0);
    const char *msg;
    json_t *ok = put_batch(&f, "u", 10, &msg); /* request 1: fine so far, its answer held */
    cr_assert_not_null(ok, "%s", msg);
    json_decref(ok);
    cr_assert_eq(store_test_limit_pages(s, 1), 0);
    json_t *out = put_batch(&f, "u", 200, &msg); /* request 2 hits the full database */
    cr_assert_null(out, "a put into a full database must fail");
    cr_assert(strstr(msg, "full"), "%s", msg);
    cr_assert_eq(store_test_limit_pages(s, INT64_C(1) << 30), 0);
    /* request 3 in the same (lost) batch fails with the batch's error rather than build on it */
    const char *m = fx_error(&f, op_put_record, "PutRecord", SIM_ERR_InternalFailureException,
                             "{\"StreamName\":\"u\",\"PartitionKey\":\"k\",\"Data\":\"aGVsbG8=\"}");
    cr_assert(strstr(m, "full"), "%s", m);
    cr_assert_eq(store_batch_dirty(s), 1, "a lost batch still needs its answers held and failed");
    cr_assert_eq(store_batch_commit(s), -1);
    cr_assert_eq(store_last_error(s), STORE_ERR_FULL, "%s", store_errmsg(s));
    cr_assert_eq(count_records(&f, "u"), 0, "nothing of request 1 may stay");
    free(fx_put(&f, "u", "k", "aGVsbG8=", NULL)); /* and the store keeps serving */
    cr_assert_eq(count_records(&f, "u"), 1);
    fx_fini(&f);
}

Test(store, batch_request_that_fails_undoes_only_its_own_changes)
{
    fx f;
    fx_init(&f, ":memory:");
    store *s = f.srv.store;
    /* the same with the store API: a rolled-back request inside a batch leaves no row */
    cr_assert_eq(store_batch_open(s), 0);
    store_stream st = {0};
    snprintf(st.account_id, sizeof st.account_id, FX_ACCOUNT);
    snprintf(st.region, sizeof st.region, FX_REGION);
    snprintf(st.status, sizeof st.status, "ACTIVE");
    snprintf(st.mode, sizeof st.mode, "PROVISIONED");
    snprintf(st.name, sizeof st.name, "gone");
    cr_assert_eq(store_begin(s), 0);
    cr_assert_eq(store_begin(s), -1, "no nested transactions inside a batch either");
    cr_assert_eq(store_stream_insert(s, &st), 0);
    store_rollback(s);
    snprintf(st.name, sizeof st.name, "kept");
    cr_assert_eq(store_begin(s), 0);
    cr_assert_eq(store_stream_insert(s, &st), 0);
    cr_assert_eq(store_commit(s), 0);
    cr_assert_eq(store_batch_commit(s), 0);
    store_stream got;
    cr_assert_eq(store_stream_get(s, FX_ACCOUNT, FX_REGION, "gone", &got), 1);
    cr_assert_eq(store_stream_get(s, FX_ACCOUNT, FX_REGION, "kept", &got), 0);
    fx_fini(&f);
}

static long file_size(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0 ? (long)sb.st_size : 0;
}

static long file_size_of_seg(int seg)
{
    char p[160];
    seg_file(seg, p, sizeof p);
    return file_size(p);
}

/* A COMMIT that cannot write (the file size limit stands in for a full disk: the WAL cannot grow)
 * fails the whole batch: nothing of it stays, the cache forgets it, and the store keeps serving. */
Test(store, batch_commit_failure_rolls_back_everything)
{
    fx f;
    fx_init(&f, path);
    fx_stream(&f, "c", 1);
    char *seq1 = fx_put(&f, "c", "k", "aGVsbG8=", NULL);
    store *s = f.srv.store;
    char wal[160];
    snprintf(wal, sizeof wal, "%s-wal", path);
    long cap = file_size(wal) > file_size(path) ? file_size(wal) : file_size(path);
    cr_assert_gt(cap, 0);

    cr_assert_eq(store_batch_open(s), 0);
    for (int i = 0; i < 3; i++)
        free(fx_put(&f, "c", "k", "aGVsbG8=", NULL));
    cr_assert_eq(count_records(&f, "c"), 4);
    /* from here no file may grow: the COMMIT's WAL frames cannot be written */
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit old, lim;
    cr_assert_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
    lim = old;
    lim.rlim_cur = (rlim_t)cap;
    cr_assert_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
    int rc = store_batch_commit(s);
    cr_assert_eq(setrlimit(RLIMIT_FSIZE, &old), 0);
    cr_assert_eq(rc, -1, "the COMMIT must fail");
    cr_assert_eq(store_batch_is_open(s), 0);
    store_error kind = store_last_error(s);
    cr_assert(kind == STORE_ERR_FULL || kind == STORE_ERR_IO, "kind %d: %s", (int)kind, store_errmsg(s));

    /* nothing of the batch is left, and the next record follows the last acknowledged one */
    cr_assert_eq(count_records(&f, "c"), 1);
    char *seq2 = fx_put(&f, "c", "k", "aGVsbG8=", NULL);
    cr_assert_eq(count_records(&f, "c"), 2);
    reopen(&f);
    cr_assert_eq(count_records(&f, "c"), 2);
    char *it = fx_iterator(&f, "c", "shardId-000000000000", "TRIM_HORIZON");
    json_t *out = fx_call(&f, op_get_records, "GetRecords", "{\"ShardIterator\":\"%s\"}", it);
    free(it);
    cr_assert_not_null(out);
    json_t *recs = json_object_get(out, "Records");
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(recs, 0), "SequenceNumber")), seq1);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(recs, 1), "SequenceNumber")), seq2);
    json_decref(out);
    free(seq1);
    free(seq2);
    fx_fini(&f);
}

/* Files this process has open other than the database, its WAL, its data segments and the
 * standard streams: SQLite's temporary files are unlinked at once, so they show only as
 * /proc/self/fd links. */
static int count_other_files(const char *db)
{
    char wal[160], data[160];
    snprintf(wal, sizeof wal, "%s-wal", db);
    snprintf(data, sizeof data, "%s-data-", db);
    DIR *d = opendir("/proc/self/fd");
    cr_assert_not_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char link[300], target[512];
        snprintf(link, sizeof link, "/proc/self/fd/%s", e->d_name);
        ssize_t len = readlink(link, target, sizeof target - 1);
        if (len <= 0)
            continue;
        target[len] = 0;
        if (target[0] == '/' && strncmp(target, "/dev/", 5) != 0 && strncmp(target, "/proc/", 6) != 0 &&
            strcmp(target, db) != 0 && strcmp(target, wal) != 0 && strncmp(target, data, strlen(data)) != 0) {
            fprintf(stderr, "open file: %s\n", target);
            n++;
        }
    }
    closedir(d);
    return n;
}

/* Every request in a batch runs in a SAVEPOINT, whose sub-journal keeps the original of each page
 * the request changes. A request that changes megabytes (deleting a stream) must not spill it to
 * a temporary file: in exclusive locking mode, which the store used when this was found, SQLite
 * kept that file open for good, and every later request wrote each page it touched twice more. */
Test(store, request_sub_journal_stays_in_memory)
{
    fx f;
    fx_init(&f, path);
    fx_stream(&f, "big", 1);
    fx_stream(&f, "small", 1);
    int before = count_other_files(path);
    const char *msg;
    for (int i = 0; i < 4; i++) { /* 2,000 records of 1 KiB: several MB of pages */
        json_t *out = put_batch(&f, "big", 500, &msg);
        cr_assert_not_null(out, "%s", msg);
        json_decref(out);
    }
    store *s = f.srv.store;
    cr_assert_eq(store_batch_open(s), 0);
    free(fx_put(&f, "small", "k", "aGVsbG8=", NULL));
    cr_assert_eq(store_reset(s, FX_ACCOUNT, FX_REGION, "big"), 0, "%s", store_errmsg(s));
    free(fx_put(&f, "small", "k", "aGVsbG8=", NULL));
    cr_assert_eq(store_batch_commit(s), 0, "%s", store_errmsg(s));
    cr_assert_eq(count_other_files(path), before, "a temporary file stayed open after the batch");
    cr_assert_eq(count_records(&f, "small"), 2);
    store_stream got;
    cr_assert_eq(store_stream_get(s, FX_ACCOUNT, FX_REGION, "big", &got), 1, "the reset was committed");
    fx_fini(&f);
}

/* wal_checkpoint.c: a load of commits (1 KiB records, about 600 log frames each) gets its
 * checkpoints from the background thread, the log starts over again and again instead of growing,
 * and every record is in the file, intact, once the store is closed. */
Test(store, wal_checkpoints_run_in_the_background_and_the_log_starts_over, .timeout = 120)
{
    fx f;
    fx_init(&f, path);
    fx_stream(&f, "ckpt", 1);
    store *s = f.srv.store;
    wal_checkpoint_stats st;
    const char *msg;
    int batches = 0;
    /* 498-byte records stay in the records rows, so all of them go through the log (larger ones
     * go to the data file, store.c) */
    while (batches < 200) { /* bounded: 200 x 250 KB */
        json_t *out = put_batch_of(&f, "ckpt", 500, 664, &msg);
        cr_assert_not_null(out, "%s", msg);
        cr_assert_eq(json_integer_value(json_object_get(out, "FailedRecordCount")), 0);
        json_decref(out);
        batches++;
        store_wal_stats(s, &st);
        if (st.restarts >= 2 && st.background >= 2)
            break;
    }
    cr_log_info(
        "%d batches: %llu background passes, %llu by the writer, %llu restarts, longest log %llu frames",
        batches, (unsigned long long)st.background, (unsigned long long)st.foreground,
        (unsigned long long)st.restarts, (unsigned long long)st.max_frames);
    cr_assert_geq(st.background, 2, "the checkpoint thread ran %llu passes",
                  (unsigned long long)st.background);
    cr_assert_geq(st.restarts, 2, "the log started over %llu times in %d batches (longest %llu frames)",
                  (unsigned long long)st.restarts, batches, (unsigned long long)st.max_frames);
    cr_assert_leq(st.max_frames, WAL_CHECKPOINT_MAX_FRAMES + 1000, "the log reached %llu frames",
                  (unsigned long long)st.max_frames);
    cr_assert_eq(st.failures, 0);
    fx_fini(&f);

    sqlite3 *db;
    cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_stmt *q;
    /* a 498-byte record's data is in its records row */
    cr_assert_eq(sqlite3_prepare_v2(db, "SELECT count(*), sum(length(data)) FROM records WHERE data_id = 0",
                                    -1, &q, NULL),
                 SQLITE_OK);
    cr_assert_eq(sqlite3_step(q), SQLITE_ROW);
    cr_assert_eq(sqlite3_column_int64(q, 0), (sqlite3_int64)batches * 500);
    sqlite3_int64 bytes = sqlite3_column_int64(q, 1);
    sqlite3_finalize(q);
    cr_assert_eq(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &q, NULL), SQLITE_OK);
    cr_assert_eq(sqlite3_step(q), SQLITE_ROW);
    cr_assert_str_eq((const char *)sqlite3_column_text(q, 0), "ok");
    sqlite3_finalize(q);
    sqlite3_close(db);
    cr_assert_eq(bytes, (sqlite3_int64)batches * 500 * 498);
}

/* The next counter stored in a shard's row (read with SQLite after the store closed). */
static sqlite3_int64 stored_floor(void)
{
    sqlite3 *db;
    sqlite3_stmt *q;
    cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
    cr_assert_eq(sqlite3_prepare_v2(db, "SELECT next_counter FROM shards", -1, &q, NULL), SQLITE_OK, "%s",
                 sqlite3_errmsg(db));
    cr_assert_eq(sqlite3_step(q), SQLITE_ROW);
    sqlite3_int64 v = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    sqlite3_close(db);
    return v;
}

static uint64_t counter_of(const char *seq)
{
    seqnum sq;
    cr_assert_eq(seqnum_parse(seq, &sq), 0, "%s", seq);
    return sq.counter;
}

/* Puts do not rewrite the shard's row (store.c, SHARD_NEXT_COUNTER): its stored counter stays a
 * floor, the counter goes on past the newest record across a restart, and deleting every record
 * (retention) first stores the floor, so counters never go back. */
Test(store, shard_counters_go_on_past_the_newest_record_without_row_writes)
{
    fx f;
    fx_init(&f, path);
    fx_stream(&f, "ctr", 1);
    uint64_t last = 0;
    for (int i = 0; i < 5; i++) {
        char *seq = fx_put(&f, "ctr", "k", "aGVsbG8=", NULL);
        uint64_t c = counter_of(seq);
        cr_assert_gt(c, last);
        last = c;
        free(seq);
    }
    int64_t now = f.ctx.now_ms;
    fx_fini(&f);
    cr_assert_lt(stored_floor(), (sqlite3_int64)last, "the row was rewritten by the puts");

    fx g;
    fx_init(&g, path);
    g.ctx.now_ms = now;
    sim_clock_set_ms(g.srv.clock, now);
    char *seq = fx_put(&g, "ctr", "k", "aGVsbG8=", NULL);
    cr_assert_eq(counter_of(seq), last + 1, "after a restart the counter goes on past the newest record");
    last = counter_of(seq);
    free(seq);
    store_stream st;
    cr_assert_eq(store_stream_get(g.srv.store, FX_ACCOUNT, FX_REGION, "ctr", &st), 0);
    cr_assert_eq(store_records_trim(g.srv.store, st.id, now + 1000), 0, "%s", store_errmsg(g.srv.store));
    cr_assert_eq(count_records(&g, "ctr"), 0);
    fx_fini(&g);
    cr_assert_eq(stored_floor(), (sqlite3_int64)last + 1, "the floor was stored before the records went");

    fx h;
    fx_init(&h, path);
    h.ctx.now_ms = now;
    sim_clock_set_ms(h.srv.clock, now);
    seq = fx_put(&h, "ctr", "k", "aGVsbG8=", NULL);
    cr_assert_eq(counter_of(seq), last + 1, "with no records left the counter goes on from the floor");
    free(seq);
    fx_fini(&h);
}

/* ---- large records' data: a data file beside a file database (schema 4), record_data in
 * :memory: (schema 3) ---- */

typedef struct got_recs {
    size_t n;
    size_t len[8];
    uint8_t data[8][2048];
} got_recs;

static int keep_rec(void *ud, const store_record *r)
{
    got_recs *g = ud;
    if (g->n < 8) {
        g->len[g->n] = r->data_len;
        if (r->data_len) /* SQLite gives NULL for an empty blob */
            memcpy(g->data[g->n], r->data, r->data_len < 2048 ? r->data_len : 2048);
        g->n++;
    }
    return 0;
}

static sqlite3_int64 count_rows(const char *sql)
{
    sqlite3 *db;
    sqlite3_stmt *q;
    cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
    cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK, "%s", sqlite3_errmsg(db));
    cr_assert_eq(sqlite3_step(q), SQLITE_ROW);
    sqlite3_int64 v = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    sqlite3_close(db);
    return v;
}

/* The bytes of the record with counter c (len of them). */
static void fill(uint8_t *b, size_t len, uint64_t c)
{
    for (size_t k = 0; k < len; k++)
        b[k] = (uint8_t)(c * 31 + k * 7 + (k >> 8));
}

/* Every record scanned must carry fill()'s bytes for its counter and the length len_of gives. */
typedef struct checked {
    size_t n, bad;
    uint64_t first, last;
    size_t (*len_of)(uint64_t c);
} checked;

static int check_rec(void *ud, const store_record *r)
{
    checked *k = ud;
    uint8_t want[2048];
    size_t len = k->len_of(r->counter);
    fill(want, len, r->counter);
    if (r->data_len != len || (len && memcmp(r->data, want, len) != 0))
        k->bad++;
    if (k->n++ == 0)
        k->first = r->counter;
    k->last = r->counter;
    return 0;
}

static size_t len_1000(uint64_t c)
{
    (void)c;
    return 1000;
}

static size_t len_varied(uint64_t c)
{
    return 601 + (size_t)(c * 97 % 1400);
}

/* Scan shard 0 of stream_id; every record must match fill(). Returns how many there were. */
static size_t scan_checked(store *s, int64_t stream_id, size_t (*len_of)(uint64_t), checked *out)
{
    checked k = {.len_of = len_of};
    cr_assert_eq(store_records_scan(s, stream_id, 0, 0, 0, 100000, check_rec, &k), 0, "%s", store_errmsg(s));
    cr_assert_eq(k.bad, 0, "%zu of %zu records came back with other bytes", k.bad, k.n);
    if (out)
        *out = k;
    return k.n;
}

/* One record with counter c (len_of(c) bytes) in a transaction of its own. */
static void put_one(store *s, int64_t stream_id, uint64_t c, size_t (*len_of)(uint64_t))
{
    uint8_t buf[2048];
    size_t len = len_of(c);
    fill(buf, len, c);
    cr_assert_eq(store_begin(s), 0, "%s", store_errmsg(s));
    cr_assert_eq(store_record_insert(s, stream_id, 0, c, FX_T0_MS + (int64_t)c, "pk", buf, len), 0, "%s",
                 store_errmsg(s));
    cr_assert_eq(store_commit(s), 0, "%s", store_errmsg(s));
}

static int64_t stream_id_of(fx *f, const char *name)
{
    store_stream st;
    cr_assert_eq(store_stream_get(f->srv.store, FX_ACCOUNT, FX_REGION, name, &st), 0);
    return st.id;
}

static int seg_exists(int seg)
{
    char p[160];
    seg_file(seg, p, sizeof p);
    return access(p, F_OK) == 0;
}

/* Run store_purge_step (the server's background passes) until nothing is left; how many passes. */
static int purge_all(store *s)
{
    int passes = 0, rc;
    while ((rc = store_purge_step(s, 4096, NULL)) == 1)
        cr_assert_lt(++passes, 100000, "the purge never ends");
    cr_assert_eq(rc, 0, "%s", store_errmsg(s));
    return passes;
}

/* Records on both sides of the inline limit come back byte for byte; in a file database the large
 * ones are in the data file (records rows hold a 16-byte locator, record_data nothing); deleting
 * records (trim, stream delete) takes them off their segment's live count. */
Test(store, large_records_live_beside_the_index_and_go_with_their_records)
{
    fx f;
    fx_init(&f, path);
    fx_stream(&f, "big", 1);
    store *s = f.srv.store;
    store_stream st;
    cr_assert_eq(store_stream_get(s, FX_ACCOUNT, FX_REGION, "big", &st), 0);
    static const size_t sizes[] = {0, 100, 600, 601, 1024, 2000};
    uint8_t buf[2048];
    cr_assert_eq(store_begin(s), 0);
    for (size_t i = 0; i < 6; i++) {
        for (size_t k = 0; k < sizes[i]; k++)
            buf[k] = (uint8_t)(i * 31 + k * 7);
        cr_assert_eq(store_record_insert(s, st.id, 0, i, FX_T0_MS + (int64_t)i, "pk", buf, sizes[i]), 0);
    }
    cr_assert_eq(store_commit(s), 0);
    got_recs g = {0};
    cr_assert_eq(store_records_scan(s, st.id, 0, 0, 0, 100, keep_rec, &g), 0);
    cr_assert_eq(g.n, 6);
    for (size_t i = 0; i < 6; i++) {
        cr_assert_eq(g.len[i], sizes[i], "record %zu: %zu bytes", i, g.len[i]);
        for (size_t k = 0; k < sizes[i]; k++)
            cr_assert_eq(g.data[i][k], (uint8_t)(i * 31 + k * 7), "record %zu byte %zu", i, k);
    }
    fx_fini(&f);
    cr_assert_eq(count_rows("SELECT count(*) FROM record_data"), 0,
                 "a file database keeps record_data empty");
    cr_assert_eq(count_rows("SELECT count(*) FROM records WHERE data_id < 0"), 3, "601, 1024 and 2000 bytes");
    cr_assert_eq(count_rows("SELECT max(length(data)) FROM records"), 600, "no records row holds more");
    cr_assert_eq(count_rows("SELECT live FROM data_segments WHERE id = 1"), 3);
    cr_assert_eq(count_rows("SELECT size FROM data_segments WHERE id = 1"), 601 + 1024 + 2000);
    cr_assert_eq(file_size_of_seg(1), 601 + 1024 + 2000, "the data file holds the bytes once");

    /* retention takes the oldest four: one of them large */
    fx_init(&f, path);
    s = f.srv.store;
    cr_assert_eq(store_begin(s), 0);
    cr_assert_geq(store_records_trim(s, st.id, FX_T0_MS + 4), 0);
    cr_assert_eq(store_commit(s), 0);
    fx_fini(&f);
    cr_assert_eq(count_rows("SELECT count(*) FROM records"), 2);
    cr_assert_eq(count_rows("SELECT live FROM data_segments WHERE id = 1"), 2,
                 "the trimmed record is not live");

    /* deleting the stream's records takes the rest */
    fx_init(&f, path);
    s = f.srv.store;
    cr_assert_eq(store_begin(s), 0);
    cr_assert_eq(store_stream_delete(s, st.id), 0);
    cr_assert_eq(store_commit(s), 0);
    purge_all(s); /* the records go in background passes */
    fx_fini(&f);
    cr_assert_eq(count_rows("SELECT live FROM data_segments WHERE id = 1"), 0);
}

/* A :memory: database has no data file: large records keep going to record_data, and come back
 * byte for byte. */
Test(store, memory_database_keeps_large_records_in_sqlite)
{
    fx f;
    fx_init(&f, ":memory:");
    fx_stream(&f, "big", 1);
    store *s = f.srv.store;
    int64_t id = stream_id_of(&f, "big");
    for (uint64_t c = 0; c < 20; c++)
        put_one(s, id, c, len_varied);
    cr_assert_eq(scan_checked(s, id, len_varied, NULL), 20);
    cr_assert_eq(seg_exists(1), 0);
    fx_fini(&f);
}

/* Group commit: each request's appended bytes are its own. A request rolled back inside the batch
 * takes its bytes back (the next request's go where they were), the batch's records read back
 * before its COMMIT (from the buffer) and after, and the file then holds exactly the committed
 * bytes. */
Test(store, batch_requests_share_one_data_file_write)
{
    fx f;
    fx_init(&f, path);
    fx_stream(&f, "b", 1);
    store *s = f.srv.store;
    int64_t id = stream_id_of(&f, "b");
    uint8_t buf[2048];
    cr_assert_eq(store_batch_open(s), 0);
    put_one(s, id, 0, len_varied);
    fill(buf, len_varied(1), 1);
    cr_assert_eq(store_begin(s), 0);
    cr_assert_eq(store_record_insert(s, id, 0, 1, FX_T0_MS, "pk", buf, len_varied(1)), 0);
    store_rollback(s); /* this request fails: its record and its bytes go */
    put_one(s, id, 2, len_varied);
    checked k;
    cr_assert_eq(scan_checked(s, id, len_varied, &k), 2, "read inside the batch, before its COMMIT");
    cr_assert_eq(file_size_of_seg(1), 0, "nothing is written before the batch commits");
    cr_assert_eq(store_batch_commit(s), 0, "%s", store_errmsg(s));
    cr_assert_eq(scan_checked(s, id, len_varied, &k), 2);
    cr_assert_eq(k.first, 0);
    cr_assert_eq(k.last, 2);
    fx_fini(&f);
    cr_assert_eq(file_size_of_seg(1), (long)(len_varied(0) + len_varied(2)));
    cr_assert_eq(count_rows("SELECT size FROM data_segments WHERE id = 1"),
                 (long)(len_varied(0) + len_varied(2)));
    cr_assert_eq(count_rows("SELECT live FROM data_segments WHERE id = 1"), 2);
    fx_init(&f, path);
    cr_assert_eq(scan_checked(f.srv.store, id, len_varied, NULL), 2, "after reopening");
    fx_fini(&f);
}

/* Segments fill up and new ones start; a segment none of whose records is left (retention, a
 * deleted stream) is deleted, file and row; the segment taking appends stays. */
Test(store, data_segments_without_live_records_are_deleted)
{
    fx f;
    fx_init(&f, path);
    fx_stream(&f, "r", 1);
    store *s = f.srv.store;
    store_test_segment_bytes(s, 8192); /* 9 records of 1,000 bytes per segment */
    int64_t id = stream_id_of(&f, "r");
    for (uint64_t c = 0; c < 40; c++)
        put_one(s, id, c, len_1000);
    for (int seg = 1; seg <= 5; seg++)
        cr_assert(seg_exists(seg), "segment %d was started", seg);
    cr_assert_eq(seg_exists(6), 0);

    /* retention (the bounded trim the handlers use) takes records 0-19: segments 1 (0-8) and
     * 2 (9-17) hold none of the rest */
    int deleted = 0;
    cr_assert_eq(store_begin(s), 0);
    cr_assert_eq(store_records_trim_shard(s, id, 0, FX_T0_MS + 20, 1000, &deleted), 0);
    cr_assert_eq(store_commit(s), 0);
    cr_assert_eq(deleted, 20);
    cr_assert_eq(seg_exists(1), 0, "segment 1 is deleted");
    cr_assert_eq(seg_exists(2), 0, "segment 2 is deleted");
    cr_assert(seg_exists(3) && seg_exists(4) && seg_exists(5));
    checked k;
    cr_assert_eq(scan_checked(s, id, len_1000, &k), 20);
    cr_assert_eq(k.first, 20);

    /* deleting the stream leaves only the segment that takes the next appends */
    cr_assert_eq(store_begin(s), 0);
    cr_assert_eq(store_stream_delete(s, id), 0);
    cr_assert_eq(store_commit(s), 0);
    cr_assert(seg_exists(3) && seg_exists(4), "the records (and their bytes) go in later passes");
    purge_all(s);
    cr_assert_eq(seg_exists(3) || seg_exists(4), 0, "segments 3 and 4 are deleted");
    cr_assert(seg_exists(5));
    fx_fini(&f);
    cr_assert_eq(count_rows("SELECT count(*) FROM data_segments"), 1);
    cr_assert_eq(count_rows("SELECT id FROM data_segments"), 5);

    /* the current segment goes too, once it is full and the next one started */
    fx_init(&f, path);
    s = f.srv.store;
    store_test_segment_bytes(s, 2000);
    fx_stream(&f, "r2", 1);
    id = stream_id_of(&f, "r2");
    put_one(s, id, 0, len_1000);
    cr_assert_eq(seg_exists(5), 0, "the full segment without live records is deleted");
    cr_assert(seg_exists(6));
    cr_assert_eq(scan_checked(s, id, len_1000, NULL), 1);
    fx_fini(&f);
}

/* A SIGKILL between the data file write and the COMMIT leaves bytes past the committed end:
 * they are cut off at open, and the next records go where they were. A segment file without a
 * committed row (started for a transaction that never committed) is deleted at open. */
Test(store, uncommitted_data_file_bytes_are_cut_off_at_open)
{
    fx f;
    fx_init(&f, path);
    fx_stream(&f, "t", 1);
    int64_t id = stream_id_of(&f, "t");
    for (uint64_t c = 0; c < 3; c++)
        put_one(f.srv.store, id, c, len_1000);
    fx_fini(&f);
    char p[160];
    seg_file(1, p, sizeof p);
    FILE *fp = fopen(p, "ab");
    cr_assert_not_null(fp);
    for (int i = 0; i < 500; i++)
        fputc(0x5a, fp);
    fclose(fp);
    seg_file(2, p, sizeof p);
    fp = fopen(p, "wb");
    cr_assert_not_null(fp);
    fputs("never committed", fp);
    fclose(fp);
    cr_assert_eq(file_size_of_seg(1), 3500);

    fx_init(&f, path);
    cr_assert_eq(file_size_of_seg(1), 3000, "the torn tail is cut off");
    cr_assert_eq(seg_exists(2), 0, "a segment without a row is deleted");
    cr_assert_eq(scan_checked(f.srv.store, id, len_1000, NULL), 3);
    put_one(f.srv.store, id, 3, len_1000);
    cr_assert_eq(scan_checked(f.srv.store, id, len_1000, NULL), 4);
    fx_fini(&f);
    cr_assert_eq(file_size_of_seg(1), 4000);
}

/* Power lost before a data file's last bytes reached the disk (the file is shorter than its
 * committed length): the store still opens, the records whose bytes are gone are dropped, the
 * others read back, and writing goes on. */
Test(store, records_past_a_short_data_file_are_dropped_at_open)
{
    fx f;
    fx_init(&f, path);
    fx_stream(&f, "p", 1);
    int64_t id = stream_id_of(&f, "p");
    for (uint64_t c = 0; c < 3; c++)
        put_one(f.srv.store, id, c, len_1000);
    fx_fini(&f);
    char p[160];
    seg_file(1, p, sizeof p);
    cr_assert_eq(truncate(p, 2500), 0);

    fx_init(&f, path);
    checked k;
    cr_assert_eq(scan_checked(f.srv.store, id, len_1000, &k), 2, "records 0 and 1 are whole");
    cr_assert_eq(k.last, 1);
    put_one(f.srv.store, id, 2, len_1000);
    cr_assert_eq(scan_checked(f.srv.store, id, len_1000, NULL), 3);
    fx_fini(&f);
    cr_assert_eq(count_rows("SELECT live FROM data_segments WHERE id = 1"), 3);
}

/* Bytes changed in the data file are caught by the record's CRC: the read fails as corrupt
 * instead of answering other bytes. */
Test(store, damaged_data_file_bytes_fail_the_read)
{
    cr_assert_eq(datafile_crc32c((const uint8_t *)"123456789", 9), 0xE3069283u, "CRC-32C check value");
    fx f;
    fx_init(&f, path);
    fx_stream(&f, "d", 1);
    int64_t id = stream_id_of(&f, "d");
    put_one(f.srv.store, id, 0, len_1000);
    fx_fini(&f);
    char p[160];
    seg_file(1, p, sizeof p);
    FILE *fp = fopen(p, "r+b");
    cr_assert_not_null(fp);
    cr_assert_eq(fseek(fp, 500, SEEK_SET), 0);
    int was = fgetc(fp);
    cr_assert_eq(fseek(fp, 500, SEEK_SET), 0);
    fputc(was ^ 0xff, fp);
    fclose(fp);
    fx_init(&f, path);
    got_recs g = {0};
    cr_assert_eq(store_records_scan(f.srv.store, id, 0, 0, 0, 10, keep_rec, &g), -1);
    cr_assert_eq(store_last_error(f.srv.store), STORE_ERR_CORRUPT, "%s", store_errmsg(f.srv.store));
    fx_fini(&f);
}

/* The data file cannot grow (the file size limit stands in for a full disk): the batch's COMMIT
 * fails as a full database, nothing of it stays, and writing goes on where the committed bytes end. */
Test(store, data_file_write_failure_fails_the_batch)
{
    fx f;
    fx_init(&f, path);
    fx_stream(&f, "w", 1);
    store *s = f.srv.store;
    int64_t id = stream_id_of(&f, "w");
    put_one(s, id, 0, len_1000);
    put_one(s, id, 1, len_1000);
    cr_assert_eq(file_size_of_seg(1), 2000);
    cr_assert_eq(store_batch_open(s), 0);
    put_one(s, id, 2, len_1000);
    put_one(s, id, 3, len_1000);
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit old, lim;
    cr_assert_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
    lim = old;
    lim.rlim_cur = 2000;
    cr_assert_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
    int rc = store_batch_commit(s);
    cr_assert_eq(setrlimit(RLIMIT_FSIZE, &old), 0);
    cr_assert_eq(rc, -1, "the COMMIT must fail");
    cr_assert_eq(store_last_error(s), STORE_ERR_FULL, "%s", store_errmsg(s));
    checked k;
    cr_assert_eq(scan_checked(s, id, len_1000, &k), 2, "nothing of the batch stays");
    cr_assert_eq(k.last, 1);
    put_one(s, id, 2, len_1000);
    cr_assert_eq(scan_checked(s, id, len_1000, NULL), 3);
    fx_fini(&f);
    cr_assert_eq(count_rows("SELECT live FROM data_segments WHERE id = 1"), 3);
    cr_assert_eq(file_size_of_seg(1), 3000);
}

/* ---- the records of a deleted stream go in bounded background passes (store_purge_step) ---- */

/* Records still stored in shard `shard` of stream id (a deleted stream's too). */
static int64_t stored(store *s, int64_t id, uint32_t shard)
{
    int64_t n = -1;
    cr_assert_eq(store_records_count(s, id, shard, &n), 0, "%s", store_errmsg(s));
    return n;
}

/* n small records with counters 0..n-1 in one shard, one transaction. */
static void put_many(store *s, int64_t id, uint32_t shard, int n)
{
    cr_assert_eq(store_begin(s), 0, "%s", store_errmsg(s));
    for (int c = 0; c < n; c++)
        cr_assert_eq(
            store_record_insert(s, id, shard, (uint64_t)c, FX_T0_MS + c, "pk", (const uint8_t *)"abc", 3), 0,
            "%s", store_errmsg(s));
    cr_assert_eq(store_commit(s), 0, "%s", store_errmsg(s));
}

static void delete_stream(store *s, int64_t id)
{
    cr_assert_eq(store_begin(s), 0, "%s", store_errmsg(s));
    cr_assert_eq(store_stream_delete(s, id), 0, "%s", store_errmsg(s));
    cr_assert_eq(store_commit(s), 0, "%s", store_errmsg(s));
}

/* The stream is gone at once; its records stay until the passes take them, never more than the
 * batch per pass, each pass a full batch (across shards) until the last, and then none is left. */
Test(store, deleted_stream_records_go_in_bounded_passes)
{
    fx f;
    fx_init(&f, path);
    fx_stream(&f, "d", 2);
    store *s = f.srv.store;
    int64_t id = stream_id_of(&f, "d");
    put_many(s, id, 0, 700);
    put_many(s, id, 1, 300);
    int deleted = -1;
    cr_assert_eq(store_purge_step(s, 128, &deleted), 0, "nothing to do while the stream lives");
    cr_assert_eq(deleted, 0);
    cr_assert_eq(stored(s, id, 0) + stored(s, id, 1), 1000);

    delete_stream(s, id);
    store_stream got;
    cr_assert_eq(store_stream_get(s, FX_ACCOUNT, FX_REGION, "d", &got), 1, "the stream is gone at once");
    cr_assert_eq(stored(s, id, 0) + stored(s, id, 1), 1000, "its records go later");
    int64_t left = 1000;
    int passes = 0, rc;
    while ((rc = store_purge_step(s, 128, &deleted)) == 1) {
        cr_assert_eq(deleted, left < 128 ? left : 128, "pass %d: %d deleted, %lld left", passes, deleted,
                     (long long)left);
        left -= deleted;
        cr_assert_eq(stored(s, id, 0) + stored(s, id, 1), left);
        cr_assert_lt(++passes, 100);
    }
    cr_assert_eq(rc, 0, "%s", store_errmsg(s));
    cr_assert_eq(left, 0);
    cr_assert_eq(passes, 8, "eight passes of records (1,000 / 128); the next one finds none left");
    cr_assert_eq(store_purge_step(s, 128, &deleted), 0);
    fx_fini(&f);
    cr_assert_eq(count_rows("SELECT count(*) FROM records"), 0);
}

/* A restart in the middle of the deletion: the rest is found from the rows and deleted. */
Test(store, deleted_stream_records_purge_resumes_after_reopen)
{
    fx f;
    fx_init(&f, path);
    fx_stream(&f, "keep", 1);
    fx_stream(&f, "d", 1);
    fx_stream(&f, "keep2", 1);
    store *s = f.srv.store;
    int64_t id = stream_id_of(&f, "d");
    put_many(s, stream_id_of(&f, "keep"), 0, 10);
    put_many(s, id, 0, 1000);
    put_many(s, stream_id_of(&f, "keep2"), 0, 20);
    delete_stream(s, id);
    int deleted;
    cr_assert_eq(store_purge_step(s, 300, &deleted), 1);
    cr_assert_eq(deleted, 300);
    fx_fini(&f);
    cr_assert_eq(count_rows("SELECT count(*) FROM records"), 700 + 30);

    fx_init(&f, path);
    s = f.srv.store;
    cr_assert_eq(store_purge_step(s, 300, &deleted), 1, "the reopened store finds the work");
    cr_assert_eq(deleted, 300);
    cr_assert_eq(stored(s, id, 0), 400);
    cr_assert_geq(purge_all(s), 1);
    cr_assert_eq(stored(s, id, 0), 0);
    cr_assert_eq(stored(s, stream_id_of(&f, "keep"), 0), 10, "other streams keep their records");
    cr_assert_eq(stored(s, stream_id_of(&f, "keep2"), 0), 20);
    fx_fini(&f);
    cr_assert_eq(count_rows("SELECT count(*) FROM records"), 30);
}

/* DeleteStream then CreateStream of the same name at once: the new stream has a new id, sees
 * none of the old records before or after they go, and loses none of its own. */
Test(store, recreated_stream_neither_sees_nor_loses_records)
{
    fx f;
    fx_init(&f, ":memory:");
    fx_stream(&f, "x", 1);
    int64_t old_id = stream_id_of(&f, "x");
    for (int i = 0; i < 5; i++)
        free(fx_put(&f, "x", "k", "b2xk", NULL));
    json_decref(fx_call(&f, op_delete_stream, "DeleteStream", "{\"StreamName\":\"x\"}"));
    fx_advance(&f, 501);
    json_t *out = fx_call(&f, op_list_streams, "ListStreams", "{}");
    cr_assert_eq(json_array_size(json_object_get(out, "StreamNames")), 0, "the deletion ended");
    json_decref(out);
    store *s = f.srv.store;
    cr_assert_eq(stored(s, old_id, 0), 5, "the old records are still stored");

    fx_stream(&f, "x", 1);
    int64_t new_id = stream_id_of(&f, "x");
    cr_assert_gt(new_id, old_id, "ids are never reused");
    for (int i = 0; i < 3; i++)
        free(fx_put(&f, "x", "k", "bmV3", NULL));
    cr_assert_eq(count_records(&f, "x"), 3, "before the passes, only the new records are seen");
    purge_all(s);
    cr_assert_eq(stored(s, old_id, 0), 0);
    cr_assert_eq(stored(s, new_id, 0), 3);
    cr_assert_eq(count_records(&f, "x"), 3);
    fx_fini(&f);
}

/* A DeleteStream rolled back leaves a live stream: the passes must not touch its records. */
Test(store, rolled_back_delete_keeps_the_records)
{
    fx f;
    fx_init(&f, ":memory:");
    fx_stream(&f, "r", 1);
    store *s = f.srv.store;
    int64_t id = stream_id_of(&f, "r");
    put_many(s, id, 0, 50);
    cr_assert_eq(store_begin(s), 0);
    cr_assert_eq(store_stream_delete(s, id), 0);
    store_rollback(s);
    purge_all(s);
    cr_assert_eq(stored(s, id, 0), 50);
    cr_assert_eq(stream_id_of(&f, "r"), id);
    fx_fini(&f);
}

/* The large records' bytes of a deleted stream: each pass takes its records off their segments'
 * live counts, and a segment is deleted (file and row) once a pass took its last record. */
Test(store, deleted_stream_data_segments_go_with_the_passes)
{
    fx f;
    fx_init(&f, path);
    fx_stream(&f, "big", 1);
    store *s = f.srv.store;
    store_test_segment_bytes(s, 8192); /* 9 records of 1,000 bytes per segment */
    int64_t id = stream_id_of(&f, "big");
    for (uint64_t c = 0; c < 40; c++) /* segments 1-5: 0-8, 9-17, 18-26, 27-35, 36-39 */
        put_one(s, id, c, len_1000);
    delete_stream(s, id);
    for (int seg = 1; seg <= 5; seg++)
        cr_assert(seg_exists(seg), "segment %d stays until its records go", seg);
    int deleted;
    cr_assert_eq(store_purge_step(s, 20, &deleted), 1);
    cr_assert_eq(deleted, 20);
    cr_assert_eq(seg_exists(1) || seg_exists(2), 0, "segments 1 and 2 lost their last record");
    cr_assert(seg_exists(3) && seg_exists(4) && seg_exists(5));
    purge_all(s);
    cr_assert_eq(seg_exists(3) || seg_exists(4), 0);
    cr_assert(seg_exists(5), "the segment taking appends stays");
    fx_fini(&f);
    cr_assert_eq(count_rows("SELECT count(*) FROM records"), 0);
    cr_assert_eq(count_rows("SELECT count(*) FROM data_segments"), 1);
    cr_assert_eq(count_rows("SELECT live FROM data_segments WHERE id = 5"), 0);
}

/* A schema-2 database (records without data_id, no record_data) is migrated when opened: its
 * records read back, and new large records go to the data file. */
Test(store, schema_2_database_is_migrated_to_4)
{
    sqlite3 *db;
    cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
    const char *v2 = "PRAGMA journal_mode=WAL;"
                     "CREATE TABLE schema_version (version INTEGER NOT NULL);"
                     "INSERT INTO schema_version VALUES (2);"
                     "CREATE TABLE records (stream_id INTEGER NOT NULL, shard_index INTEGER NOT NULL,"
                     " counter INTEGER NOT NULL, arrival_ms INTEGER NOT NULL, pkey TEXT NOT NULL,"
                     " data BLOB NOT NULL, enc INTEGER NOT NULL DEFAULT 0,"
                     " PRIMARY KEY(stream_id, shard_index, counter)) WITHOUT ROWID;"
                     "INSERT INTO records VALUES (7, 0, 0, 1, 'pk', zeroblob(1024), 0);";
    char *e = NULL;
    cr_assert_eq(sqlite3_exec(db, v2, NULL, NULL, &e), SQLITE_OK, "%s", e ? e : "");
    sqlite3_close(db);

    fx f;
    fx_init(&f, path);
    got_recs g = {0};
    cr_assert_eq(store_records_scan(f.srv.store, 7, 0, 0, 0, 10, keep_rec, &g), 0);
    cr_assert_eq(g.n, 1);
    cr_assert_eq(g.len[0], 1024, "the old inline record reads back");
    uint8_t buf[900] = {1};
    cr_assert_eq(store_begin(f.srv.store), 0);
    cr_assert_eq(store_record_insert(f.srv.store, 7, 0, 1, 2, "pk", buf, sizeof buf), 0);
    cr_assert_eq(store_commit(f.srv.store), 0);
    fx_fini(&f);
    cr_assert_eq(count_rows("SELECT version FROM schema_version"), 4);
    cr_assert_eq(count_rows("SELECT count(*) FROM record_data"), 0);
    cr_assert_eq(count_rows("SELECT live FROM data_segments WHERE id = 1"), 1);
}

/* A schema-3 database (large records in record_data) is migrated when opened: its record_data
 * records read back beside new ones in the data file, and deleting records deletes their
 * record_data rows (the trigger) and takes data file records off their segment's count. */
Test(store, schema_3_database_is_migrated_to_4)
{
    sqlite3 *db;
    cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
    const char *v3 =
        "PRAGMA journal_mode=WAL;"
        "CREATE TABLE schema_version (version INTEGER NOT NULL);"
        "INSERT INTO schema_version VALUES (3);"
        "CREATE TABLE records (stream_id INTEGER NOT NULL, shard_index INTEGER NOT NULL,"
        " counter INTEGER NOT NULL, arrival_ms INTEGER NOT NULL, pkey TEXT NOT NULL,"
        " data BLOB NOT NULL, enc INTEGER NOT NULL DEFAULT 0, data_id INTEGER NOT NULL DEFAULT 0,"
        " PRIMARY KEY(stream_id, shard_index, counter)) WITHOUT ROWID;"
        "CREATE TABLE record_data (id INTEGER PRIMARY KEY, data BLOB NOT NULL);"
        "CREATE TRIGGER record_data_gone AFTER DELETE ON records WHEN old.data_id != 0 "
        "BEGIN DELETE FROM record_data WHERE id = old.data_id; END;";
    char *e = NULL;
    cr_assert_eq(sqlite3_exec(db, v3, NULL, NULL, &e), SQLITE_OK, "%s", e ? e : "");
    /* records 0 and 1 as schema 3 stored them: their bytes in record_data */
    sqlite3_stmt *ins, *insd;
    cr_assert_eq(sqlite3_prepare_v2(db, "INSERT INTO record_data(id, data) VALUES (?1, ?2)", -1, &insd, NULL),
                 SQLITE_OK);
    cr_assert_eq(
        sqlite3_prepare_v2(db, "INSERT INTO records VALUES (7, 0, ?1, ?2, 'pk', x'', 0, ?3)", -1, &ins, NULL),
        SQLITE_OK);
    for (int c = 0; c < 2; c++) {
        uint8_t buf[2048];
        fill(buf, len_varied((uint64_t)c), (uint64_t)c);
        sqlite3_bind_int(insd, 1, c + 1);
        sqlite3_bind_blob(insd, 2, buf, (int)len_varied((uint64_t)c), SQLITE_TRANSIENT);
        cr_assert_eq(sqlite3_step(insd), SQLITE_DONE);
        sqlite3_reset(insd);
        sqlite3_bind_int(ins, 1, c);
        sqlite3_bind_int64(ins, 2, FX_T0_MS + c);
        sqlite3_bind_int(ins, 3, c + 1);
        cr_assert_eq(sqlite3_step(ins), SQLITE_DONE);
        sqlite3_reset(ins);
    }
    sqlite3_finalize(ins);
    sqlite3_finalize(insd);
    sqlite3_close(db);

    fx f;
    fx_init(&f, path);
    store *s = f.srv.store;
    cr_assert_eq(scan_checked(s, 7, len_varied, NULL), 2, "schema 3's records read back");
    put_one(s, 7, 2, len_varied);
    put_one(s, 7, 3, len_varied);
    cr_assert_eq(scan_checked(s, 7, len_varied, NULL), 4, "old and new side by side");
    fx_fini(&f);
    cr_assert_eq(count_rows("SELECT version FROM schema_version"), 4);
    cr_assert_eq(count_rows("SELECT count(*) FROM record_data"), 2);
    cr_assert_eq(count_rows("SELECT live FROM data_segments WHERE id = 1"), 2);

    fx_init(&f, path);
    s = f.srv.store;
    cr_assert_eq(store_begin(s), 0);
    cr_assert_eq(store_records_trim(s, 7, FX_T0_MS + 3), 0); /* records 0, 1 (record_data) and 2 */
    cr_assert_eq(store_commit(s), 0);
    cr_assert_eq(scan_checked(s, 7, len_varied, NULL), 1);
    fx_fini(&f);
    cr_assert_eq(count_rows("SELECT count(*) FROM record_data"), 0, "the trigger deleted schema 3's rows");
    cr_assert_eq(count_rows("SELECT live FROM data_segments WHERE id = 1"), 1);
}
