/* test_store_vfs.c: the store's SQLite VFS (store_vfs.c) on plain SQLite connections: a commit
 * reaches the log in one write, and it is in the file when COMMIT returns (a copy of the files
 * taken then, as a crash would leave them, holds it); another connection sees every commit whole;
 * transactions larger than the buffer stay intact; the database reads back the same through
 * SQLite's own VFS. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store_vfs.h"

static char path[128];
static char copy_path[160];

static void remove_db(const char *p)
{
    char f[200];
    unlink(p);
    snprintf(f, sizeof f, "%s-wal", p);
    unlink(f);
    snprintf(f, sizeof f, "%s-shm", p);
    unlink(f);
}
static void setup(void)
{
    snprintf(path, sizeof path, "/tmp/kinesis-sim-test-vfs-%d.db", (int)getpid());
    snprintf(copy_path, sizeof copy_path, "%s.copy", path);
    remove_db(path);
    remove_db(copy_path);
}
static void teardown(void)
{
    remove_db(path);
    remove_db(copy_path);
}
TestSuite(store_vfs, .init = setup, .fini = teardown);

static sqlite3 *open_db(const char *p, const char *vfs)
{
    sqlite3 *db = NULL;
    cr_assert_eq(sqlite3_open_v2(p, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, vfs), SQLITE_OK);
    return db;
}

static void exec_ok(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    cr_assert_eq(rc, SQLITE_OK, "%s: %s", sql, msg ? msg : sqlite3_errmsg(db));
}

static sqlite3_int64 query_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK, "%s", sqlite3_errmsg(db));
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW, "%s: %s", sql, sqlite3_errmsg(db));
    sqlite3_int64 v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* A store-like database: WAL, synchronous=NORMAL, rows of about 1 KiB whose content follows k. */
static sqlite3 *open_store_db(void)
{
    cr_assert_eq(store_vfs_register(), 0);
    sqlite3 *db = open_db(path, STORE_VFS);
    exec_ok(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                "CREATE TABLE IF NOT EXISTS t (k INTEGER PRIMARY KEY, v TEXT NOT NULL)");
    return db;
}

static void insert_rows(sqlite3 *db, int from, int n)
{
    char sql[300];
    snprintf(sql, sizeof sql,
             "WITH RECURSIVE c(i) AS (SELECT %d UNION ALL SELECT i + 1 FROM c WHERE i < %d) "
             "INSERT INTO t (k, v) SELECT i, printf('%%d-%%.1000c', i, 'x') FROM c",
             from, from + n - 1);
    exec_ok(db, sql);
}

/* Rows whose content does not follow their key (0 when all are intact). */
static sqlite3_int64 bad_rows(sqlite3 *db)
{
    return query_int(db, "SELECT count(*) FROM t WHERE v <> printf('%d-%.1000c', k, 'x')");
}

static void copy_file(const char *from, const char *to)
{
    int in = open(from, O_RDONLY), out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    cr_assert(in >= 0 && out >= 0, "cannot copy %s", from);
    char buf[65536];
    ssize_t n;
    while ((n = read(in, buf, sizeof buf)) > 0)
        cr_assert_eq(write(out, buf, (size_t)n), n);
    cr_assert_eq(n, 0);
    close(in);
    close(out);
}

Test(store_vfs, a_commit_reaches_the_log_in_one_write)
{
    sqlite3 *db = open_store_db();
    insert_rows(db, 1, 1); /* the log exists and has its header */
    store_vfs_stats a, b;
    store_vfs_stats_get(&a);
    insert_rows(db, 2, 12); /* one transaction: a dozen 1 KiB rows, several pages */
    store_vfs_stats_get(&b);
    uint64_t writes = b.wal_writes - a.wal_writes, flushes = b.wal_flushes - a.wal_flushes;
    cr_assert_geq(writes, 6, "SQLite asked for %llu writes", (unsigned long long)writes);
    cr_assert_eq(flushes, 1, "%llu writes went out in %llu calls", (unsigned long long)writes,
                 (unsigned long long)flushes);
    cr_assert_eq(query_int(db, "SELECT count(*) FROM t"), 13);
    sqlite3_close(db);
}

Test(store_vfs, a_commit_is_in_the_files_when_commit_returns)
{
    sqlite3 *db = open_store_db();
    insert_rows(db, 1, 40);
    /* the files as a crash right after COMMIT would leave them (the connection stays open) */
    copy_file(path, copy_path);
    char from[200], to[200];
    snprintf(from, sizeof from, "%s-wal", path);
    snprintf(to, sizeof to, "%s-wal", copy_path);
    copy_file(from, to);
    sqlite3 *crashed = open_db(copy_path, NULL); /* SQLite's own VFS recovers the log */
    cr_assert_eq(query_int(crashed, "SELECT count(*) FROM t"), 40);
    cr_assert_eq(bad_rows(crashed), 0);
    sqlite3_close(crashed);
    sqlite3_close(db);
}

Test(store_vfs, another_connection_sees_each_commit_whole)
{
    sqlite3 *db = open_store_db();
    sqlite3 *reader = open_db(path, STORE_VFS); /* shares the in-memory WAL index */
    for (int i = 0; i < 20; i++) {
        insert_rows(db, 1 + i * 7, 7);
        cr_assert_eq(query_int(reader, "SELECT count(*) FROM t"), (i + 1) * 7);
        cr_assert_eq(bad_rows(reader), 0);
    }
    sqlite3_close(reader);
    sqlite3_close(db);
}

Test(store_vfs, transactions_larger_than_the_buffer_stay_intact)
{
    sqlite3 *db = open_store_db();
    store_vfs_stats a, b;
    store_vfs_stats_get(&a);
    for (int i = 0; i < 4; i++)
        insert_rows(db, 1 + i * 500, 500); /* about 600 frames, 2.4 MB, each */
    store_vfs_stats_get(&b);
    cr_assert_gt(b.wal_flushes - a.wal_flushes, 4, "the buffer was written out as it filled");
    exec_ok(db, "UPDATE t SET v = printf('%d-%.1000c', k, 'x') WHERE k % 3 = 0"); /* rewrites pages */
    cr_assert_eq(bad_rows(db), 0);
    sqlite3_close(db);
    db = open_db(path, NULL);
    cr_assert_eq(query_int(db, "SELECT count(*) FROM t"), 2000);
    cr_assert_eq(bad_rows(db), 0);
    sqlite3_stmt *st;
    cr_assert_eq(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL), SQLITE_OK);
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
    cr_assert_str_eq((const char *)sqlite3_column_text(st, 0), "ok");
    sqlite3_finalize(st);
    sqlite3_close(db);
}
