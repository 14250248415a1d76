/* store.c: the simulator's state in SQLite (implements store.h). With store_vfs.c (its file
 * layer) and wal_checkpoint.c (its checkpoint thread), the only files that include sqlite3.h.
 * WAL with synchronous=NORMAL (an acknowledged write survives a process crash), a schema_version
 * table, one cached prepared statement per query, bound parameters only.
 *
 * Tables: meta (server key), streams, shards, records (lean, WITHOUT ROWID, keyed by stream,
 * shard and per-shard counter so GetRecords is one range scan), tags; since schema 2 also
 * consumers, consumer_tags, policies (resource policies of streams and consumers) and
 * account_settings; since schema 3 record_data (the data of large records, see SCHEMA_V3_OBJECTS);
 * since schema 4 data_segments: in a file database large records' bytes are in data files beside
 * it (datafile.c; see SCHEMA_V4_OBJECTS), written before the COMMIT that acknowledges them.
 * An older database is migrated in place when opened. The handlers own
 * the rules; this file only reads and writes rows.
 *
 * Robustness: store_open takes the database file exclusively (flock), so a second simulator on
 * the same file refuses to start instead of interleaving writes. At run time the first SQLite
 * error of a transaction is noted (store_last_error) so the handler can answer InternalFailure or
 * ServiceUnavailable; a failed COMMIT rolls back, so nothing unacknowledged stays and nothing
 * acknowledged is lost.
 *
 * Speed: the last few streams and their shard lists (with parsed hash ranges) are cached in
 * memory (see "the read cache" below), so a PutRecord does no stream or shard SELECT. Commits can
 * be grouped (store_batch_*, driven by the HTTP/1.1 front door in http.c): one BEGIN IMMEDIATE ..
 * COMMIT over the requests of one event-loop pass, each request inside it a SAVEPOINT that its
 * store_commit RELEASEs and its store_rollback undoes (ROLLBACK TO + RELEASE), so a request that
 * fails still undoes only its own changes. Each COMMIT appends two or more 4 KiB WAL frames (one
 * write each), so grouping turns several writes per request into a few per batch. The front door
 * holds every answer given while the batch has changes until store_batch_commit returned; a failed
 * batch COMMIT rolls the whole batch back and empties the cache, and every held answer becomes the
 * store failure answer. Without an open batch, store_begin/commit/rollback are plain transactions
 * (HTTP/2, TLS, the control API's own threads, the unit tests). */
#include "store/store.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server/sim.h"
#include "store/datafile.h"
#include "store/store_vfs.h"

#define SCHEMA_VERSION 4
/* Data longer than this goes to a data file beside a file database (schema version 4, datafile.c),
 * or to record_data in a :memory: one (schema version 3): with a partition key of up to 256 bytes
 * the records row then stays on its page. */
#define RECORD_DATA_INLINE_MAX 600
/* A records row whose data is in a data file: data_id is minus the segment, data holds this many
 * bytes: offset (8), length (4), CRC-32C (4), little-endian. */
#define LOCATOR_BYTES 16

/* Every statement the store runs, prepared once on first use. */
enum {
    Q_BEGIN,
    Q_COMMIT,
    Q_ROLLBACK,
    Q_SAVEPOINT,
    Q_RELEASE,
    Q_ROLLBACK_TO,
    Q_KEY_GET,
    Q_KEY_PUT,
    Q_STREAM_GET,
    Q_STREAM_INSERT,
    Q_STREAM_UPDATE,
    Q_STREAM_DELETE,
    Q_STREAM_LIST,
    Q_STREAM_LIST_ALL,
    Q_OPEN_SHARDS,
    Q_SHARDS_DEL,
    Q_RECORDS_DEL,
    Q_TAGS_DEL,
    Q_SHARDS_GET,
    Q_SHARD_INSERT,
    Q_SHARD_UPDATE,
    Q_RECORD_INSERT,
    Q_RECORD_DATA_INSERT,
    Q_RECORDS_SCAN,
    Q_RECORD_FIRST_AT,
    Q_RECORD_LAST,
    Q_RECORD_OLDEST,
    Q_RECORDS_TRIM,
    Q_TAGS_GET,
    Q_TAG_PUT,
    Q_TAG_DELETE,
    Q_RECORDS_TRIM_SHARD,
    Q_SHARD_FLOOR,
    Q_SHARD_FLOOR_ONE,
    Q_RECORDS_COUNT,
    Q_CONSUMERS_DEL,
    Q_CTAGS_DEL_STREAM,
    Q_POLICIES_DEL_STREAM,
    Q_CONSUMER_GET,
    Q_CONSUMER_INSERT,
    Q_CONSUMER_UPDATE,
    Q_CONSUMER_DELETE,
    Q_CONSUMER_LIST,
    Q_CONSUMERS_CREATING,
    Q_CTAGS_GET,
    Q_CTAG_PUT,
    Q_CTAG_DELETE,
    Q_CTAGS_DEL_CONSUMER,
    Q_POLICY_GET,
    Q_POLICY_PUT,
    Q_POLICY_DELETE,
    Q_ACCOUNT_GET,
    Q_ACCOUNT_PUT,
    Q_SCALINGS_GET,
    Q_SCALINGS_PUT,
    Q_SCALINGS_DEL,
    Q_SEGMENT_ADD,
    Q_SEGMENTS_DEAD,
    Q_SEGMENT_DEL,
    Q_PURGE_NEXT,
    Q_STREAM_EXISTS,
    Q_PURGE_FIRST,
    Q_PURGE_RANGE,
    Q__COUNT
};

#define STREAM_COLUMNS                                                                                       \
    "id, account_id, region, name, created_ms, status, status_until_ms, mode, retention_hours, "             \
    "next_shard_index, max_record_kib, encryption_type, key_id, shard_metrics, warm_mibps"
#define CONSUMER_COLUMNS "stream_id, name, created_ms, status, status_until_ms"

/* A shard's next record counter. Puts do not rewrite the shard's row (a page written to the log per
 * commit, and a statement per request): the row's next_counter is a floor, and the counter goes on
 * past the shard's newest record. The floor is brought up to date before records are deleted
 * (store_records_trim*: retention could take the newest one) and whenever the row is written for
 * another reason, so counters never go back, across restarts too. */
#define SHARD_NEXT_COUNTER                                                                                   \
    "max(next_counter, coalesce((SELECT max(r.counter) + 1 FROM records r WHERE r.stream_id = "              \
    "shards.stream_id AND r.shard_index = shards.shard_index), 0))"

static const char *const sql_text[Q__COUNT] = {
    [Q_BEGIN] = "BEGIN IMMEDIATE",
    [Q_COMMIT] = "COMMIT",
    [Q_ROLLBACK] = "ROLLBACK",
    [Q_SAVEPOINT] = "SAVEPOINT op",
    [Q_RELEASE] = "RELEASE op",
    [Q_ROLLBACK_TO] = "ROLLBACK TO op",
    [Q_KEY_GET] = "SELECT value FROM meta WHERE key = 'iterator_key'",
    [Q_KEY_PUT] = "INSERT INTO meta(key, value) VALUES ('iterator_key', ?1)",
    [Q_SCALINGS_GET] = "SELECT value FROM meta WHERE key = 'scalings:' || ?1",
    [Q_SCALINGS_PUT] = "INSERT OR REPLACE INTO meta(key, value) VALUES ('scalings:' || ?1, ?2)",
    [Q_SCALINGS_DEL] = "DELETE FROM meta WHERE key = 'scalings:' || ?1",
    [Q_STREAM_GET] =
        "SELECT " STREAM_COLUMNS " FROM streams WHERE account_id = ?1 AND region = ?2 AND name = ?3",
    [Q_STREAM_INSERT] = "INSERT INTO streams(account_id, region, name, created_ms, status, "
                        "status_until_ms, mode, retention_hours, next_shard_index, max_record_kib, "
                        "encryption_type, key_id, shard_metrics, warm_mibps) "
                        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
    [Q_STREAM_UPDATE] = "UPDATE streams SET status = ?2, status_until_ms = ?3, mode = ?4, "
                        "retention_hours = ?5, next_shard_index = ?6, max_record_kib = ?7, "
                        "encryption_type = ?8, key_id = ?9, shard_metrics = ?10, warm_mibps = ?11 "
                        "WHERE id = ?1",
    [Q_STREAM_DELETE] = "DELETE FROM streams WHERE id = ?1",
    [Q_STREAM_LIST] =
        "SELECT " STREAM_COLUMNS " FROM streams WHERE account_id = ?1 AND region = ?2 ORDER BY name",
    [Q_STREAM_LIST_ALL] = "SELECT " STREAM_COLUMNS " FROM streams ORDER BY account_id, region, name",
    [Q_OPEN_SHARDS] = "SELECT count(*) FROM shards JOIN streams ON streams.id = shards.stream_id "
                      "WHERE streams.account_id = ?1 AND streams.region = ?2 AND shards.closed_ms = 0",
    [Q_SHARDS_DEL] = "DELETE FROM shards WHERE stream_id = ?1",
    [Q_RECORDS_DEL] = "DELETE FROM records WHERE stream_id = ?1",
    [Q_TAGS_DEL] = "DELETE FROM tags WHERE stream_id = ?1",
    [Q_CONSUMERS_DEL] = "DELETE FROM consumers WHERE stream_id = ?1",
    [Q_CTAGS_DEL_STREAM] = "DELETE FROM consumer_tags WHERE stream_id = ?1",
    [Q_POLICIES_DEL_STREAM] = "DELETE FROM policies WHERE stream_id = ?1",
    /* a shard's next counter: its stored floor, or past its newest record (SHARD_NEXT_COUNTER) */
    [Q_SHARDS_GET] =
        "SELECT shard_index, created_ms, start_hash, end_hash, parent, adjacent_parent, "
        "closed_ms, " SHARD_NEXT_COUNTER " FROM shards WHERE stream_id = ?1 ORDER BY shard_index",
    [Q_SHARD_FLOOR] = "UPDATE shards SET next_counter = " SHARD_NEXT_COUNTER " WHERE stream_id = ?1",
    [Q_SHARD_FLOOR_ONE] =
        "UPDATE shards SET next_counter = " SHARD_NEXT_COUNTER " WHERE stream_id = ?1 AND shard_index = ?2",
    [Q_SHARD_INSERT] = "INSERT INTO shards(stream_id, shard_index, created_ms, start_hash, end_hash, "
                       "parent, adjacent_parent, closed_ms, next_counter) "
                       "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    [Q_SHARD_UPDATE] = "UPDATE shards SET closed_ms = ?3, next_counter = ?4 "
                       "WHERE stream_id = ?1 AND shard_index = ?2",
    [Q_RECORD_INSERT] = "INSERT INTO records(stream_id, shard_index, counter, arrival_ms, pkey, data, enc, "
                        "data_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    [Q_RECORD_DATA_INSERT] = "INSERT INTO record_data(data) VALUES (?1)",
    /* a large record's data is in record_data (data_id > 0), or data locates it in a data file
     * (data_id < 0; see RECORD_DATA_INLINE_MAX) */
    [Q_RECORDS_SCAN] =
        "SELECT counter, arrival_ms, pkey, CASE WHEN data_id <= 0 THEN data ELSE "
        "(SELECT d.data FROM record_data d WHERE d.id = data_id) END, enc, data_id FROM records "
        "WHERE stream_id = ?1 AND shard_index = ?2 AND counter >= ?3 AND arrival_ms >= ?4 "
        "ORDER BY counter LIMIT ?5",
    /* a request's records went into a data file segment: count them and move its committed end */
    [Q_SEGMENT_ADD] = "INSERT INTO data_segments(id, live, size) VALUES (?1, ?2, ?3) ON CONFLICT(id) DO "
                      "UPDATE SET live = live + excluded.live, size = max(size, excluded.size)",
    [Q_SEGMENTS_DEAD] = "SELECT id FROM data_segments WHERE live <= 0 AND id != ?1 ORDER BY id LIMIT 64",
    [Q_SEGMENT_DEL] = "DELETE FROM data_segments WHERE id = ?1",
    /* the records of deleted streams (store_purge_step): each an index seek */
    [Q_PURGE_NEXT] = "SELECT stream_id FROM records WHERE stream_id > ?1 ORDER BY stream_id LIMIT 1",
    [Q_STREAM_EXISTS] = "SELECT 1 FROM streams WHERE id = ?1",
    [Q_PURGE_FIRST] = "SELECT shard_index, counter FROM records WHERE stream_id = ?1 "
                      "ORDER BY shard_index, counter LIMIT 1",
    [Q_PURGE_RANGE] = "DELETE FROM records WHERE stream_id = ?1 AND shard_index = ?2 AND counter < ?3",
    [Q_RECORD_FIRST_AT] = "SELECT counter FROM records WHERE stream_id = ?1 AND shard_index = ?2 "
                          "AND arrival_ms >= ?3 ORDER BY counter LIMIT 1",
    [Q_RECORD_LAST] = "SELECT arrival_ms FROM records WHERE stream_id = ?1 AND shard_index = ?2 "
                      "ORDER BY counter DESC LIMIT 1",
    [Q_RECORD_OLDEST] = "SELECT arrival_ms FROM records WHERE stream_id = ?1 AND shard_index = ?2 "
                        "ORDER BY counter LIMIT 1",
    [Q_RECORDS_TRIM] = "DELETE FROM records WHERE stream_id = ?1 AND arrival_ms < ?2",
    [Q_TAGS_GET] = "SELECT key, value FROM tags WHERE stream_id = ?1 ORDER BY key",
    [Q_TAG_PUT] = "INSERT INTO tags(stream_id, key, value) VALUES (?1, ?2, ?3) "
                  "ON CONFLICT(stream_id, key) DO UPDATE SET value = excluded.value",
    [Q_TAG_DELETE] = "DELETE FROM tags WHERE stream_id = ?1 AND key = ?2",
    /* the oldest rows of one shard (bounded), where they have expired */
    [Q_RECORDS_TRIM_SHARD] = "DELETE FROM records WHERE stream_id = ?1 AND shard_index = ?2 AND counter IN "
                             "(SELECT counter FROM records WHERE stream_id = ?1 AND shard_index = ?2 "
                             "ORDER BY counter LIMIT ?4) AND arrival_ms < ?3",
    [Q_RECORDS_COUNT] = "SELECT count(*) FROM records WHERE stream_id = ?1 AND shard_index = ?2",
    [Q_CONSUMER_GET] = "SELECT " CONSUMER_COLUMNS " FROM consumers WHERE stream_id = ?1 AND name = ?2",
    [Q_CONSUMER_INSERT] = "INSERT INTO consumers(" CONSUMER_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5)",
    [Q_CONSUMER_UPDATE] =
        "UPDATE consumers SET status = ?3, status_until_ms = ?4 WHERE stream_id = ?1 AND name = ?2",
    [Q_CONSUMER_DELETE] = "DELETE FROM consumers WHERE stream_id = ?1 AND name = ?2",
    [Q_CONSUMER_LIST] = "SELECT " CONSUMER_COLUMNS " FROM consumers WHERE stream_id = ?1 ORDER BY name",
    [Q_CONSUMERS_CREATING] =
        "SELECT count(*) FROM consumers JOIN streams ON streams.id = consumers.stream_id "
        "WHERE streams.account_id = ?1 AND streams.region = ?2 "
        "AND consumers.status = 'CREATING' AND consumers.status_until_ms > ?3",
    [Q_CTAGS_GET] =
        "SELECT key, value FROM consumer_tags WHERE stream_id = ?1 AND consumer = ?2 ORDER BY key",
    [Q_CTAG_PUT] = "INSERT INTO consumer_tags(stream_id, consumer, key, value) VALUES (?1, ?2, ?3, ?4) "
                   "ON CONFLICT(stream_id, consumer, key) DO UPDATE SET value = excluded.value",
    [Q_CTAG_DELETE] = "DELETE FROM consumer_tags WHERE stream_id = ?1 AND consumer = ?2 AND key = ?3",
    [Q_CTAGS_DEL_CONSUMER] = "DELETE FROM consumer_tags WHERE stream_id = ?1 AND consumer = ?2",
    [Q_POLICY_GET] = "SELECT policy FROM policies WHERE stream_id = ?1 AND consumer = ?2",
    [Q_POLICY_PUT] = "INSERT INTO policies(stream_id, consumer, policy) VALUES (?1, ?2, ?3) "
                     "ON CONFLICT(stream_id, consumer) DO UPDATE SET policy = excluded.policy",
    [Q_POLICY_DELETE] = "DELETE FROM policies WHERE stream_id = ?1 AND consumer = ?2",
    [Q_ACCOUNT_GET] = "SELECT commitment, started_ms, ended_ms, earliest_end_ms FROM account_settings "
                      "WHERE account_id = ?1 AND region = ?2",
    [Q_ACCOUNT_PUT] = "INSERT INTO account_settings(account_id, region, commitment, started_ms, ended_ms, "
                      "earliest_end_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(account_id, region) DO "
                      "UPDATE SET commitment = excluded.commitment, started_ms = excluded.started_ms, "
                      "ended_ms = excluded.ended_ms, earliest_end_ms = excluded.earliest_end_ms",
};

/* Tables new in schema version 2 (created by a fresh open and by the 1 -> 2 migration). */
#define SCHEMA_V2_TABLES                                                                                     \
    "CREATE TABLE IF NOT EXISTS consumers ("                                                                 \
    " stream_id INTEGER NOT NULL, name TEXT NOT NULL, created_ms INTEGER NOT NULL,"                          \
    " status TEXT NOT NULL, status_until_ms INTEGER NOT NULL,"                                               \
    " PRIMARY KEY(stream_id, name)) WITHOUT ROWID;"                                                          \
    "CREATE TABLE IF NOT EXISTS consumer_tags ("                                                             \
    " stream_id INTEGER NOT NULL, consumer TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,"           \
    " PRIMARY KEY(stream_id, consumer, key)) WITHOUT ROWID;"                                                 \
    "CREATE TABLE IF NOT EXISTS policies ("                                                                  \
    " stream_id INTEGER NOT NULL, consumer TEXT NOT NULL, policy TEXT NOT NULL,"                             \
    " PRIMARY KEY(stream_id, consumer)) WITHOUT ROWID;"                                                      \
    "CREATE TABLE IF NOT EXISTS account_settings ("                                                          \
    " account_id TEXT NOT NULL, region TEXT NOT NULL, commitment TEXT NOT NULL,"                             \
    " started_ms INTEGER NOT NULL, ended_ms INTEGER NOT NULL, earliest_end_ms INTEGER NOT NULL,"             \
    " PRIMARY KEY(account_id, region)) WITHOUT ROWID;"

/* Version 1 -> 2: new stream and record columns (defaults keep old rows meaning what they
 * meant), then the new tables. */
static const char migrate_1_to_2_sql[] =
    "ALTER TABLE streams ADD COLUMN encryption_type TEXT NOT NULL DEFAULT 'NONE';"
    "ALTER TABLE streams ADD COLUMN key_id TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE streams ADD COLUMN shard_metrics INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE streams ADD COLUMN warm_mibps INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE records ADD COLUMN enc INTEGER NOT NULL DEFAULT 0;" SCHEMA_V2_TABLES
    "UPDATE schema_version SET version = 2;";

/* Schema version 3: the data of a large record lives in a rowid table beside the records index.
 * A WITHOUT ROWID row keeps at most about 1,000 bytes on its 4 KiB page; past that the rest goes to
 * an overflow page of its own, so a 1 KiB record took about 5 KiB of file (and twice that written,
 * log and checkpoint). A rowid table's row keeps up to about 4,000 bytes on its page. records.data
 * is then empty and records.data_id names the record_data row, which the trigger deletes with it. */
#define SCHEMA_V3_OBJECTS                                                                                    \
    "CREATE TABLE IF NOT EXISTS record_data (id INTEGER PRIMARY KEY, data BLOB NOT NULL);"                   \
    "CREATE TRIGGER IF NOT EXISTS record_data_gone AFTER DELETE ON records WHEN old.data_id != 0 "           \
    "BEGIN DELETE FROM record_data WHERE id = old.data_id; END;"
static const char migrate_2_to_3_sql[] =
    "ALTER TABLE records ADD COLUMN data_id INTEGER NOT NULL DEFAULT 0;" SCHEMA_V3_OBJECTS
    "UPDATE schema_version SET version = 3;";

/* Schema version 4: in a file database a large record's bytes go to an append-only data file
 * (datafile.c), written once, where record_data rows were written twice (log, then checkpoint).
 * records.data_id is then minus the segment number and records.data its locator (LOCATOR_BYTES).
 * data_segments counts each segment's live records (the trigger takes deleted ones off) and keeps
 * its committed length: a segment with none left is deleted whole (reclaim_segments), and bytes
 * past the committed length are cut off at open. record_data rows written before stay readable. */
#define SCHEMA_V4_OBJECTS                                                                                    \
    "CREATE TABLE IF NOT EXISTS data_segments (id INTEGER PRIMARY KEY, live INTEGER NOT NULL,"               \
    " size INTEGER NOT NULL);"                                                                               \
    "DROP TRIGGER IF EXISTS record_data_gone;"                                                               \
    "CREATE TRIGGER record_data_gone AFTER DELETE ON records WHEN old.data_id > 0 "                          \
    "BEGIN DELETE FROM record_data WHERE id = old.data_id; END;"                                             \
    "CREATE TRIGGER IF NOT EXISTS record_file_gone AFTER DELETE ON records WHEN old.data_id < 0 "            \
    "BEGIN UPDATE data_segments SET live = live - 1 WHERE id = -old.data_id; END;"
static const char migrate_3_to_4_sql[] = SCHEMA_V4_OBJECTS "UPDATE schema_version SET version = 4;";

static const char schema_sql[] =
    "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);"
    "CREATE TABLE IF NOT EXISTS streams ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT, account_id TEXT NOT NULL, region TEXT NOT NULL,"
    " name TEXT NOT NULL, created_ms INTEGER NOT NULL, status TEXT NOT NULL,"
    " status_until_ms INTEGER NOT NULL, mode TEXT NOT NULL, retention_hours INTEGER NOT NULL,"
    " next_shard_index INTEGER NOT NULL, max_record_kib INTEGER NOT NULL,"
    " encryption_type TEXT NOT NULL DEFAULT 'NONE', key_id TEXT NOT NULL DEFAULT '',"
    " shard_metrics INTEGER NOT NULL DEFAULT 0, warm_mibps INTEGER NOT NULL DEFAULT 0,"
    " UNIQUE(account_id, region, name));"
    "CREATE TABLE IF NOT EXISTS shards ("
    " stream_id INTEGER NOT NULL, shard_index INTEGER NOT NULL, created_ms INTEGER NOT NULL,"
    " start_hash TEXT NOT NULL, end_hash TEXT NOT NULL, parent INTEGER NOT NULL,"
    " adjacent_parent INTEGER NOT NULL, closed_ms INTEGER NOT NULL, next_counter INTEGER NOT NULL,"
    " PRIMARY KEY(stream_id, shard_index)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS records ("
    " stream_id INTEGER NOT NULL, shard_index INTEGER NOT NULL, counter INTEGER NOT NULL,"
    " arrival_ms INTEGER NOT NULL, pkey TEXT NOT NULL, data BLOB NOT NULL,"
    " enc INTEGER NOT NULL DEFAULT 0, data_id INTEGER NOT NULL DEFAULT 0,"
    " PRIMARY KEY(stream_id, shard_index, counter)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS tags ("
    " stream_id INTEGER NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,"
    " PRIMARY KEY(stream_id, key)) WITHOUT ROWID;" SCHEMA_V2_TABLES;

/* ---- the read cache of streams and shard lists ----
 * Every request resolves its stream and loads its shards; both change rarely while records flow,
 * and only through this file (the database file is locked to this process). So the last few
 * streams and their shard lists (with parsed hash ranges) are kept in memory: writes through
 * store_stream_update and store_shard_update update the cached copy, other writes to streams and
 * shards drop it, and a rollback drops everything (the cache may hold rolled-back changes). */
#define STREAM_CACHE_SLOTS 8

typedef struct cached_stream {
    int used;
    uint64_t last_use; /* for replacing the least recently used slot */
    store_stream st;
    int shards_valid;
    store_shard *shards; /* malloc'd, by index; valid when shards_valid */
    size_t n_shards;
} cached_stream;

struct store {
    sqlite3 *db;
    sqlite3_stmt *stmt[Q__COUNT];
    int in_tx;
    /* group commit (store_batch_*): one transaction over several requests, each request a savepoint */
    int batch;                    /* a batch transaction is open */
    int batch_dirty;              /* a write the change counter may miss (store_reset) */
    int batch_lost;               /* SQLite rolled the batch back by itself (I/O error, full disk) */
    sqlite3_int64 batch_changes0; /* sqlite3_total_changes64 when the batch opened */
    int batch_err_code;           /* the error that lost the batch */
    char batch_err_msg[256];
    int err_code;           /* first SQLite error since the last store_begin (SQLITE_OK: none) */
    char err_msg[256];      /* its message */
    int lock_fd;            /* holds flock(LOCK_EX) on the database file while open; -1 for :memory: */
    wal_checkpointer *ckpt; /* runs the WAL checkpoints of a file database */
    cached_stream cache[STREAM_CACHE_SLOTS];
    uint64_t cache_clock;
    uint64_t cache_hits; /* reads answered from the cache (tests check the cache is used) */
    /* large records' bytes of a file database (NULL for :memory:, which keeps record_data) */
    datafile *df;
    int64_t df_live;       /* records appended since the last Q_SEGMENT_ADD */
    int64_t df_live_mark;  /* df_live when the current request began */
    datafile_mark df_mark; /* the append position when the current request began */
    int64_t df_last_seg;   /* the segment the last append went to */
    int reclaim_due;       /* records were deleted (or a segment filled): look for dead segments */
    /* records of deleted streams may be left (store_purge_step); set at open, found from the rows */
    int purge_pending;
    int64_t purge_id; /* the deleted stream being emptied; 0: look for one */
};

static void cache_drop(cached_stream *c)
{
    free(c->shards);
    memset(c, 0, sizeof *c);
}

static void cache_clear(store *s)
{
    for (int i = 0; i < STREAM_CACHE_SLOTS; i++)
        cache_drop(&s->cache[i]);
}

static cached_stream *cache_by_id(store *s, int64_t id)
{
    for (int i = 0; i < STREAM_CACHE_SLOTS; i++)
        if (s->cache[i].used && s->cache[i].st.id == id)
            return &s->cache[i];
    return NULL;
}

static cached_stream *cache_by_name(store *s, const char *account_id, const char *region, const char *name)
{
    for (int i = 0; i < STREAM_CACHE_SLOTS; i++) {
        cached_stream *c = &s->cache[i];
        if (c->used && strcmp(c->st.name, name) == 0 && strcmp(c->st.account_id, account_id) == 0 &&
            strcmp(c->st.region, region) == 0)
            return c;
    }
    return NULL;
}

/* Remember a stream row just read (replacing the least recently used slot). */
static void cache_put_stream(store *s, const store_stream *st)
{
    cached_stream *c = cache_by_id(s, st->id);
    if (!c) {
        c = &s->cache[0];
        for (int i = 0; i < STREAM_CACHE_SLOTS && c->used; i++)
            if (!s->cache[i].used || s->cache[i].last_use < c->last_use)
                c = &s->cache[i];
        cache_drop(c);
        c->used = 1;
    }
    c->st = *st;
    c->last_use = ++s->cache_clock;
}

uint64_t store_cache_hits(store *s)
{
    return s->cache_hits;
}

void store_wal_stats(store *s, wal_checkpoint_stats *out)
{
    wal_checkpointer_stats(s->ckpt, out);
}

/* ---- helpers ---- */

/* Remember the first failure since the last store_begin (store_last_error reports it; a later
 * ROLLBACK must not overwrite what went wrong). */
static void note_error(store *s, int rc)
{
    if (s->err_code != SQLITE_OK)
        return;
    s->err_code = rc;
    snprintf(s->err_msg, sizeof s->err_msg, "%s", sqlite3_errmsg(s->db));
}

/* sqlite3_step, noting an error. */
static int step(store *s, sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        note_error(s, rc);
    return rc;
}

static sqlite3_stmt *q(store *s, int id)
{
    if (!s->stmt[id]) {
        int rc = sqlite3_prepare_v3(s->db, sql_text[id], -1, SQLITE_PREPARE_PERSISTENT, &s->stmt[id], NULL);
        if (rc != SQLITE_OK) {
            note_error(s, rc);
            return NULL;
        }
    } else {
        sqlite3_reset(s->stmt[id]);
        sqlite3_clear_bindings(s->stmt[id]);
    }
    return s->stmt[id];
}

/* Run a statement that returns no rows; 0 or -1. */
static int done(store *s, sqlite3_stmt *st)
{
    int rc = step(s, st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

static void copy_text(char *dst, size_t cap, sqlite3_stmt *st, int col)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    size_t n = t ? (size_t)sqlite3_column_bytes(st, col) : 0;
    if (n >= cap)
        n = cap - 1; /* cut, as snprintf would */
    if (n)
        memcpy(dst, t, n);
    dst[n] = 0;
}

/* Step a bound query to its end, one element of elem bytes per row, filled by read (which returns
 * -1 when it cannot, e.g. out of memory). Returns the array (NULL when there are no rows) and its
 * length in *n; on failure what was read is given to drop (free when NULL), NULL is returned with
 * *n 0 and *failed set. */
typedef int (*row_reader)(sqlite3_stmt *st, void *elem);

static void *collect_rows(store *s, sqlite3_stmt *st, size_t elem, row_reader read,
                          void (*drop)(void *, size_t), size_t *n, int *failed)
{
    char *rows = NULL;
    size_t count = 0, cap = 0;
    int rc;
    while ((rc = step(s, st)) == SQLITE_ROW) {
        if (count == cap) {
            cap = cap ? cap * 2 : 8;
            char *grown = realloc(rows, cap * elem);
            if (!grown) {
                rc = SQLITE_NOMEM;
                break;
            }
            rows = grown;
        }
        if (read(st, rows + elem * count++) != 0) {
            rc = SQLITE_NOMEM;
            break;
        }
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        if (drop)
            drop(rows, count);
        else
            free(rows);
        *n = 0;
        *failed = 1;
        return NULL;
    }
    *n = count;
    *failed = 0;
    return rows;
}

static void bind_text(sqlite3_stmt *st, int i, const char *v)
{
    sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
}

static int exec(store *s, const char *sql)
{
    return sqlite3_exec(s->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

/* ---- large records' bytes in data files (file databases; datafile.c) ---- */

static void put_le(uint8_t *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

/* Note a failure of the data file (errno) as the transaction's error: a full disk (or a file size
 * limit) as SQLITE_FULL, anything else as SQLITE_IOERR, so the answers say what SQLite's would. */
static void note_file_error(store *s, int code, const char *what)
{
    if (s->err_code != SQLITE_OK)
        return;
    int e = errno;
    s->err_code = code ? code : e == ENOSPC || e == EDQUOT || e == EFBIG ? SQLITE_FULL : SQLITE_IOERR;
    snprintf(s->err_msg, sizeof s->err_msg, "%s: %s", what,
             s->err_code == SQLITE_CORRUPT ? "checksum mismatch" : strerror(e));
}

/* Forget every appended byte not yet committed (the transaction or batch is gone). */
static void df_forget(store *s)
{
    if (s->df)
        datafile_abort(s->df);
    s->df_live = 0;
}

/* The records the current request appended are counted in data_segments, with the segment's new
 * end; in its transaction, before the COMMIT or RELEASE. 0 or -1. */
static int df_count(store *s)
{
    if (!s->df || s->df_live == 0)
        return 0;
    sqlite3_stmt *st = q(s, Q_SEGMENT_ADD);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, datafile_current(s->df));
    sqlite3_bind_int64(st, 2, s->df_live);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)datafile_position(s->df).pos);
    if (done(s, st) != 0)
        return -1;
    s->df_live = 0;
    return 0;
}

/* Before the COMMIT: every appended byte goes to the file, in one write. 0 or -1. */
static int df_write(store *s)
{
    if (!s->df || datafile_flush(s->df) == 0)
        return 0;
    note_file_error(s, 0, "cannot write the data file");
    return -1;
}

/* Delete the data segments no record needs any more (their rows first, then the files: a crash in
 * between leaves a file without a row, which the next open deletes). Runs outside transactions,
 * after a commit that deleted records; failures only leave a file for the next try. */
static void reclaim_segments(store *s)
{
    if (!s->df || !s->reclaim_due || s->batch || s->in_tx)
        return;
    s->reclaim_due = 0;
    int64_t dead[64];
    int n = 0;
    sqlite3_stmt *st = q(s, Q_SEGMENTS_DEAD);
    if (!st)
        goto out;
    sqlite3_bind_int64(st, 1, datafile_current(s->df));
    while (n < 64 && step(s, st) == SQLITE_ROW)
        dead[n++] = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    for (int i = 0; i < n; i++) {
        if (!(st = q(s, Q_SEGMENT_DEL)))
            break;
        sqlite3_bind_int64(st, 1, dead[i]);
        if (done(s, st) != 0)
            break;
        if (datafile_remove(s->df, dead[i]) != 0)
            sim_log(SIM_LOG_WARN, "store: cannot delete data segment %lld: %s", (long long)dead[i],
                    strerror(errno));
    }
out:
    if (s->err_code != SQLITE_OK)
        sim_log(SIM_LOG_WARN, "store: reclaiming data segments: %s", s->err_msg);
    store_clear_error(s); /* the commit before succeeded; this is housekeeping */
}

typedef struct seg_row {
    int64_t id, live, size;
} seg_row;

typedef struct seg_files {
    int64_t *ids;
    size_t n, cap;
} seg_files;

static void collect_file(void *ud, int64_t seg)
{
    seg_files *f = ud;
    if (f->n == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 16;
        int64_t *grown = realloc(f->ids, cap * sizeof *grown);
        if (!grown)
            return;
        f->ids = grown;
        f->cap = cap;
    }
    f->ids[f->n++] = seg;
}

/* Segment id's file is shorter than its committed length (power lost before the file reached the
 * disk): the records whose bytes are past its end are gone; delete their rows so that reading the
 * shard goes on (as if their commits had not reached the disk either). In a transaction. */
static int drop_lost_records(store *s, int64_t id, int64_t file_size)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT stream_id, shard_index, counter, data FROM records WHERE data_id = ?1", -1,
                           &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_int64(st, 1, -id);
    int64_t(*keys)[3] = NULL;
    size_t n = 0, cap = 0;
    int rc, failed = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const uint8_t *loc = sqlite3_column_blob(st, 3);
        if (sqlite3_column_bytes(st, 3) == LOCATOR_BYTES &&
            get_le(loc, 8) + get_le(loc + 8, 4) <= (uint64_t)file_size)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            int64_t(*grown)[3] = realloc(keys, cap * sizeof *keys);
            if (!grown) {
                failed = 1;
                break;
            }
            keys = grown;
        }
        for (int c = 0; c < 3; c++)
            keys[n][c] = sqlite3_column_int64(st, c);
        n++;
    }
    failed |= rc != SQLITE_DONE && rc != SQLITE_ROW;
    sqlite3_finalize(st);
    st = NULL;
    if (!failed && n &&
        sqlite3_prepare_v2(s->db,
                           "DELETE FROM records WHERE stream_id = ?1 AND shard_index = ?2 AND counter = ?3",
                           -1, &st, NULL) != SQLITE_OK)
        failed = 1;
    for (size_t i = 0; !failed && i < n; i++) {
        for (int c = 0; c < 3; c++)
            sqlite3_bind_int64(st, c + 1, keys[i][c]);
        failed |= sqlite3_step(st) != SQLITE_DONE;
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    free(keys);
    if (n)
        sim_log(SIM_LOG_WARN,
                "store: data segment %lld is shorter than committed (%lld bytes): %zu records whose bytes "
                "were lost are dropped",
                (long long)id, (long long)file_size, n);
    return failed ? -1 : 0;
}

/* At open: take up the data segments where the last run left them. Files without a row (started
 * for a transaction that never committed, or reclaimed but not yet deleted) go; a file shorter than
 * its committed length loses the records past its end; segments with no live records go; the
 * newest one takes the next appends, cut back to its committed length. 0, or -1 with err. */
static int df_open(store *s, const char *path, char *err, size_t err_len)
{
    if (!(s->df = datafile_new(path))) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    seg_row *rows = NULL;
    size_t n = 0, cap = 0;
    seg_files files = {0};
    sqlite3_stmt *st = NULL;
    int rc = -1;
    if (sqlite3_prepare_v2(s->db, "SELECT id, live, size FROM data_segments ORDER BY id", -1, &st, NULL) !=
        SQLITE_OK)
        goto out;
    int step_rc;
    while ((step_rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            seg_row *grown = realloc(rows, cap * sizeof *rows);
            if (!grown)
                goto out;
            rows = grown;
        }
        rows[n].id = sqlite3_column_int64(st, 0);
        rows[n].live = sqlite3_column_int64(st, 1);
        rows[n].size = sqlite3_column_int64(st, 2);
        n++;
    }
    if (step_rc != SQLITE_DONE)
        goto out;
    datafile_each_file(s->df, collect_file, &files);
    for (size_t i = 0; i < files.n; i++) {
        size_t k = 0;
        while (k < n && rows[k].id != files.ids[i])
            k++;
        if (k == n && datafile_remove(s->df, files.ids[i]) != 0)
            goto out;
    }
    int64_t newest = n ? rows[n - 1].id : 0, newest_size = n ? rows[n - 1].size : 0;
    int repaired = 0;
    for (size_t i = 0; i < n; i++) {
        int64_t fsz = datafile_file_size(s->df, rows[i].id);
        if (fsz >= rows[i].size)
            continue;
        if (fsz < 0)
            fsz = 0;
        if (!repaired && exec(s, "BEGIN IMMEDIATE") != 0)
            goto out;
        repaired = 1;
        char sql[128];
        snprintf(sql, sizeof sql, "UPDATE data_segments SET size = %lld WHERE id = %lld", (long long)fsz,
                 (long long)rows[i].id);
        if (drop_lost_records(s, rows[i].id, fsz) != 0 || exec(s, sql) != 0) {
            exec(s, "ROLLBACK");
            goto out;
        }
        if (rows[i].id == newest)
            newest_size = fsz;
    }
    if (repaired && exec(s, "COMMIT") != 0)
        goto out;
    if (datafile_resume(s->df, newest, (uint64_t)newest_size) != 0) {
        snprintf(err, err_len, "cannot open its data file segment %lld: %s", (long long)newest,
                 strerror(errno));
        goto out;
    }
    s->df_last_seg = newest;
    s->reclaim_due = 1;
    reclaim_segments(s);
    rc = 0;
out:
    if (rc != 0 && !err[0])
        snprintf(err, err_len, "cannot take up its data files: %s", s->db ? sqlite3_errmsg(s->db) : "");
    sqlite3_finalize(st);
    free(rows);
    free(files.ids);
    return rc;
}

static void df_sync(void *arg)
{
    datafile_sync(arg);
}

void store_test_segment_bytes(store *s, uint64_t bytes)
{
    if (s->df)
        datafile_test_segment_bytes(s->df, bytes);
}

/* ---- lifecycle ---- */

static int check_schema(store *s, char *err, size_t err_len)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "SELECT version FROM schema_version", -1, &st, NULL) != SQLITE_OK) {
        snprintf(err, err_len, "cannot read schema version: %s", sqlite3_errmsg(s->db));
        return -1;
    }
    int rc = step(s, st), version = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE) { /* a new database: schema_sql made the current tables */
        char sql[96];
        snprintf(sql, sizeof sql, "INSERT INTO schema_version(version) VALUES (%d)", SCHEMA_VERSION);
        if (exec(s, SCHEMA_V3_OBJECTS) != 0 || exec(s, SCHEMA_V4_OBJECTS) != 0 || exec(s, sql) != 0) {
            snprintf(err, err_len, "cannot write schema version: %s", sqlite3_errmsg(s->db));
            return -1;
        }
        return 0;
    }
    if (version == 1) {
        if (exec(s, migrate_1_to_2_sql) != 0) {
            snprintf(err, err_len, "cannot migrate the database from schema version 1 to 2: %s",
                     sqlite3_errmsg(s->db));
            return -1;
        }
        version = 2;
    }
    if (version == 2) {
        if (exec(s, migrate_2_to_3_sql) != 0) {
            snprintf(err, err_len, "cannot migrate the database from schema version 2 to 3: %s",
                     sqlite3_errmsg(s->db));
            return -1;
        }
        version = 3;
    }
    if (version == 3) {
        if (exec(s, migrate_3_to_4_sql) != 0) {
            snprintf(err, err_len, "cannot migrate the database from schema version 3 to 4: %s",
                     sqlite3_errmsg(s->db));
            return -1;
        }
        return 0;
    }
    if (version != SCHEMA_VERSION) {
        snprintf(err, err_len, "database schema version %d is not the supported version %d", version,
                 SCHEMA_VERSION);
        return -1;
    }
    return 0;
}

/* Take the database file for this process alone: flock(LOCK_EX | LOCK_NB) on a descriptor of
 * its own. flock locks are independent of the POSIX record locks SQLite takes, so this neither
 * disturbs SQLite nor is disturbed by it; the descriptor stays open until store_close (closing
 * it earlier would also drop SQLite's own locks on the file). 0, or -1 with a message. */
static int lock_file(store *s, const char *path, char *err, size_t err_len)
{
    s->lock_fd = open(path, O_RDONLY | O_CLOEXEC);
    if (s->lock_fd < 0) {
        snprintf(err, err_len, "cannot open it to lock it: %s", strerror(errno));
        return -1;
    }
    if (flock(s->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK)
            snprintf(err, err_len,
                     "it is in use by another process (is another kinesis-sim serving it?); "
                     "stop that one or choose another --db");
        else
            snprintf(err, err_len, "cannot lock it: %s", strerror(errno));
        return -1;
    }
    return 0;
}

/* Before SQLite sees a file database, say plainly what would stop it: SQLite's own words for a
 * missing directory ("unable to open database file") name no cause, and a file this user may read
 * but not write opens read-only and fails only at the first write (issue 14). The messages name
 * no path: the caller prints it once. 0, or -1 with the reason. */
static int check_path(const char *path, char *err, size_t err_len)
{
    char dir[4096];
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else if (slash == path)
        snprintf(dir, sizeof dir, "/");
    else
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    struct stat st;
    if (stat(dir, &st) != 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            snprintf(err, err_len, "the directory %.512s does not exist", dir);
        else
            snprintf(err, err_len, "cannot reach the directory %.512s: %s", dir, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        snprintf(err, err_len, "%.512s is not a directory", dir);
        return -1;
    }
    if (stat(path, &st) == 0) {
        if (S_ISDIR(st.st_mode)) {
            snprintf(err, err_len, "it is a directory, not a database file");
            return -1;
        }
        if (access(path, R_OK | W_OK) != 0) {
            snprintf(err, err_len, "this user (uid %u) cannot write it: %s", (unsigned)geteuid(),
                     strerror(errno));
            return -1;
        }
    }
    if (access(dir, W_OK | X_OK) != 0) {
        snprintf(
            err, err_len,
            "this user (uid %u) cannot create files in %.512s, where the write-ahead log goes beside the "
            "database: %s",
            (unsigned)geteuid(), dir, strerror(errno));
        return -1;
    }
    return 0;
}

/* store_open without the path in its messages (they give the reason only). */
static store *open_store(const char *path, char *err, size_t err_len)
{
    store *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, err_len, "out of memory");
        return NULL;
    }
    s->lock_fd = -1;
    s->purge_pending = 1; /* a deletion a restart cut short goes on (store_purge_step) */
    if (store_vfs_register() != 0) {
        snprintf(err, err_len, "cannot set up SQLite's file layer: this SQLite has no unix-excl VFS");
        free(s);
        return NULL;
    }
    int is_memory = strcmp(path, ":memory:") == 0 || !path[0];
    if (!is_memory && check_path(path, err, err_len) != 0) {
        free(s);
        return NULL;
    }
    if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        STORE_VFS) != SQLITE_OK) {
        snprintf(err, err_len, "%s", s->db ? sqlite3_errmsg(s->db) : "out of memory");
        store_close(s);
        return NULL;
    }
    /* sqlite3_open_v2 has created the file by now; lock it before reading or writing anything */
    if (!is_memory && lock_file(s, path, err, err_len) != 0) {
        store_close(s);
        return NULL;
    }
    if (sqlite3_db_readonly(s->db, "main") == 1) { /* whatever check_path could not foresee */
        snprintf(err, err_len, "SQLite could open it only read-only (this user, uid %u, cannot write it)",
                 (unsigned)geteuid());
        store_close(s);
        return NULL;
    }
    sqlite3_busy_timeout(s->db, 2000);
    /* STORE_VFS (store_vfs.c, over SQLite's unix-excl): the file is ours alone anyway (lock_file),
     * so SQLite locks it once for the process and keeps the WAL index in memory, which spares every
     * transaction its fcntl lock calls, and the checkpoint thread's connection shares that index
     * (wal_checkpoint.c); each commit reaches the log in one write call.
     * temp_store=MEMORY keeps the sub-journal of the per-request SAVEPOINTs in memory: otherwise
     * one transaction that touches more than 64 KiB of pages (a large PutRecords batch) spills
     * it to a temporary file; in exclusive locking mode, used before the checkpoint thread, SQLite
     * kept that file, and from then on every request paid four pwrite calls per page it changed
     * (a PutRecord then cost 47 us of CPU, not 31). */
    if ((!is_memory && exec(s, "PRAGMA journal_mode=WAL") != 0) ||
        exec(s, "PRAGMA synchronous=NORMAL") != 0 || exec(s, "PRAGMA foreign_keys=OFF") != 0 ||
        exec(s, "PRAGMA temp_store=MEMORY") != 0 || exec(s, "BEGIN IMMEDIATE") != 0) {
        snprintf(err, err_len, "%s", sqlite3_errmsg(s->db));
        store_close(s);
        return NULL;
    }
    if (exec(s, schema_sql) != 0) {
        snprintf(err, err_len, "cannot create the schema: %s", sqlite3_errmsg(s->db));
        store_close(s);
        return NULL;
    }
    if (check_schema(s, err, err_len) != 0 || exec(s, "COMMIT") != 0) {
        if (!err[0])
            snprintf(err, err_len, "cannot commit schema: %s", sqlite3_errmsg(s->db));
        store_close(s);
        return NULL;
    }
    if (!is_memory && df_open(s, path, err, err_len) != 0) {
        store_close(s);
        return NULL;
    }
    /* a checkpoint syncs the log: the data files' committed bytes are synced first */
    if (!is_memory && !(s->ckpt = wal_checkpointer_start(s->db, path, df_sync, s->df, err, err_len))) {
        store_close(s);
        return NULL;
    }
    return s;
}

/* Every refusal is one line naming the file once, then the reason (main.c prints it as is). */
store *store_open(const char *path, char *err, size_t err_len)
{
    char why[1024] = "";
    store *s = open_store(path, why, sizeof why);
    if (!s)
        snprintf(err, err_len, "cannot open database %s: %s", path, why[0] ? why : "unknown error");
    return s;
}

void store_close(store *s)
{
    if (!s)
        return;
    wal_checkpointer_stop(s->ckpt); /* before its connection closes: the last one checkpoints */
    cache_clear(s);
    for (int i = 0; i < Q__COUNT; i++)
        sqlite3_finalize(s->stmt[i]);
    if (s->df)
        datafile_sync(s->df); /* before the closing checkpoint syncs the log */
    sqlite3_close(s->db);
    datafile_free(s->df);
    /* after SQLite let go of the file: closing this descriptor ends the exclusive lock */
    if (s->lock_fd >= 0)
        close(s->lock_fd);
    free(s);
}

const char *store_errmsg(store *s)
{
    if (s && s->err_code != SQLITE_OK)
        return s->err_msg;
    return s && s->db ? sqlite3_errmsg(s->db) : "no database";
}

store_error store_last_error(store *s)
{
    if (!s || s->err_code == SQLITE_OK)
        return STORE_ERR_NONE;
    switch (s->err_code & 0xff) {
    case SQLITE_FULL:
        return STORE_ERR_FULL;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return STORE_ERR_BUSY;
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
        return STORE_ERR_IO;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        return STORE_ERR_CORRUPT;
    default:
        return STORE_ERR_OTHER;
    }
}

void store_clear_error(store *s)
{
    s->err_code = SQLITE_OK;
    s->err_msg[0] = 0;
}

/* The batch transaction is gone (SQLite rolled it back after an I/O error or a full disk, or a
 * savepoint could not be undone): every request of the batch is lost, so the batch's COMMIT must
 * fail. Remember the first error for the answers. */
static void batch_lose(store *s)
{
    if (!s->batch_lost && s->batch_err_code == SQLITE_OK) {
        s->batch_err_code = s->err_code != SQLITE_OK ? s->err_code : SQLITE_ABORT;
        snprintf(s->batch_err_msg, sizeof s->batch_err_msg, "%s",
                 s->err_code != SQLITE_OK ? s->err_msg : "the batch transaction was rolled back");
    }
    s->batch_lost = 1;
    cache_clear(s);
    df_forget(s);
}

/* Make the lost batch's error the noted one (store_last_error / store_errmsg report it). */
static void batch_note_lost(store *s)
{
    s->err_code = s->batch_err_code != SQLITE_OK ? s->batch_err_code : SQLITE_ABORT;
    snprintf(s->err_msg, sizeof s->err_msg, "%s",
             s->batch_err_msg[0] ? s->batch_err_msg : "batch rolled back");
}

int store_begin(store *s)
{
    store_clear_error(s);
    if (s->in_tx)
        return -1;
    if (s->batch) { /* a savepoint inside the batch transaction */
        if (!s->batch_lost && sqlite3_get_autocommit(s->db))
            batch_lose(s);
        if (s->batch_lost) {
            batch_note_lost(s);
            return -1;
        }
        sqlite3_stmt *st = q(s, Q_SAVEPOINT);
        if (!st || done(s, st) != 0)
            return -1;
        s->in_tx = 1;
        if (s->df)
            s->df_mark = datafile_position(s->df);
        s->df_live_mark = s->df_live;
        return 0;
    }
    sqlite3_stmt *st = q(s, Q_BEGIN);
    if (!st || done(s, st) != 0)
        return -1;
    s->in_tx = 1;
    df_forget(s); /* nothing can be pending outside a transaction; be sure */
    if (s->df)
        s->df_mark = datafile_position(s->df);
    s->df_live_mark = 0;
    return 0;
}

int store_commit(store *s)
{
    if (!s->in_tx)
        return -1;
    /* the request's large records are counted in its own savepoint or transaction; a transaction
     * of its own writes their bytes before its COMMIT (a batch does before the batch's) */
    if (df_count(s) != 0 || (!s->batch && df_write(s) != 0)) {
        store_rollback(s);
        return -1;
    }
    sqlite3_stmt *st = q(s, s->batch ? Q_RELEASE : Q_COMMIT);
    if (!st || done(s, st) != 0) {
        /* a failed COMMIT (disk full, I/O error, busy) leaves nothing acknowledged: undo it all */
        store_rollback(s);
        return -1;
    }
    s->in_tx = 0;
    if (!s->batch && s->df) {
        datafile_committed(s->df);
        reclaim_segments(s);
    }
    return 0;
}

void store_rollback(store *s)
{
    if (!s->in_tx)
        return;
    s->in_tx = 0;
    cache_clear(s); /* it may hold changes of the transaction being undone */
    /* SQLite may have rolled the transaction back itself after an I/O error or a full disk */
    if (sqlite3_get_autocommit(s->db)) {
        if (s->batch)
            batch_lose(s);
        df_forget(s);
        return;
    }
    if (s->batch) { /* undo this request's changes only; the batch goes on */
        sqlite3_stmt *st = q(s, Q_ROLLBACK_TO);
        if (st && done(s, st) == 0 && (st = q(s, Q_RELEASE)) != NULL && done(s, st) == 0) {
            if (s->df)
                datafile_rewind(s->df, s->df_mark);
            s->df_live = s->df_live_mark;
            return;
        }
        batch_lose(s); /* the batch's state is unknown: throw it all away */
        if (!sqlite3_get_autocommit(s->db) && (st = q(s, Q_ROLLBACK)) != NULL)
            done(s, st);
        return;
    }
    df_forget(s);
    sqlite3_stmt *st = q(s, Q_ROLLBACK);
    if (st)
        done(s, st);
}

/* ---- group commit ---- */

int store_batch_open(store *s)
{
    if (s->batch || s->in_tx)
        return -1;
    store_clear_error(s);
    sqlite3_stmt *st = q(s, Q_BEGIN);
    if (!st || done(s, st) != 0)
        return -1;
    s->batch = 1;
    s->batch_dirty = 0;
    s->batch_lost = 0;
    s->batch_err_code = SQLITE_OK;
    s->batch_err_msg[0] = 0;
    s->batch_changes0 = sqlite3_total_changes64(s->db);
    df_forget(s); /* nothing can be pending outside a transaction; be sure */
    return 0;
}

int store_batch_is_open(store *s)
{
    return s->batch;
}

int store_batch_dirty(store *s)
{
    return s->batch &&
           (s->batch_dirty || s->batch_lost || sqlite3_total_changes64(s->db) != s->batch_changes0);
}

int store_batch_commit(store *s)
{
    if (!s->batch)
        return 0;
    if (s->in_tx) /* a request left its savepoint open: it was not acknowledged, undo it */
        store_rollback(s);
    s->batch = 0;
    store_clear_error(s);
    if (!s->batch_lost && sqlite3_get_autocommit(s->db))
        batch_lose(s);
    if (!s->batch_lost) {
        /* every large record's bytes of the batch reach the data file in one write, before the
         * COMMIT that makes their rows visible */
        sqlite3_stmt *st = NULL;
        if (df_count(s) == 0 && df_write(s) == 0 && (st = q(s, Q_COMMIT)) != NULL && done(s, st) == 0) {
            if (s->df)
                datafile_committed(s->df);
            reclaim_segments(s);
            return 0;
        }
        /* nothing of the batch is acknowledged yet: undo it all (store_last_error says why) */
        df_forget(s);
        cache_clear(s);
        if (!sqlite3_get_autocommit(s->db) && (st = q(s, Q_ROLLBACK)) != NULL) {
            int code = s->err_code;
            char msg[sizeof s->err_msg];
            snprintf(msg, sizeof msg, "%s", s->err_msg);
            done(s, st);
            s->err_code = code;
            snprintf(s->err_msg, sizeof s->err_msg, "%s", msg);
        }
        if (s->err_code == SQLITE_OK)
            note_error(s, SQLITE_ERROR);
        return -1;
    }
    cache_clear(s);
    df_forget(s);
    if (!sqlite3_get_autocommit(s->db)) {
        sqlite3_stmt *st = q(s, Q_ROLLBACK);
        if (st)
            done(s, st);
    }
    batch_note_lost(s);
    return -1;
}

int store_server_key(store *s, uint8_t key[32])
{
    sqlite3_stmt *st = q(s, Q_KEY_GET);
    if (!st)
        return -1;
    if (step(s, st) == SQLITE_ROW && sqlite3_column_bytes(st, 0) == 32) {
        memcpy(key, sqlite3_column_blob(st, 0), 32);
        sqlite3_reset(st);
        return 0;
    }
    sqlite3_reset(st);
    if (getrandom(key, 32, 0) != 32) /* not OpenSSL's RAND: its set-up costs start-up time and RSS */
        return -1;
    st = q(s, Q_KEY_PUT);
    if (!st)
        return -1;
    sqlite3_bind_blob(st, 1, key, 32, SQLITE_STATIC);
    return done(s, st);
}

/* ---- UpdateShardCount history: "t1,t2,..." in meta under scalings:<stream id> ---- */

int store_scalings_get(store *s, int64_t stream_id, int64_t *times, size_t max, size_t *n)
{
    *n = 0;
    sqlite3_stmt *st = q(s, Q_SCALINGS_GET);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, stream_id);
    int rc = step(s, st);
    if (rc == SQLITE_ROW) {
        const char *p = (const char *)sqlite3_column_text(st, 0);
        while (p && *p && *n < max) {
            char *end;
            long long v = strtoll(p, &end, 10);
            if (end == p)
                break;
            times[(*n)++] = (int64_t)v;
            p = *end == ',' ? end + 1 : end;
        }
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

int store_scalings_put(store *s, int64_t stream_id, const int64_t *times, size_t n)
{
    char text[STORE_SCALINGS_MAX * 21 + 1];
    size_t len = 0;
    text[0] = 0;
    for (size_t i = 0; i < n && i < STORE_SCALINGS_MAX; i++)
        len += (size_t)snprintf(text + len, sizeof text - len, "%s%lld", i ? "," : "", (long long)times[i]);
    sqlite3_stmt *st = q(s, Q_SCALINGS_PUT);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, stream_id);
    sqlite3_bind_text(st, 2, text, (int)len, SQLITE_TRANSIENT);
    if (s->batch)
        s->batch_dirty = 1;
    return done(s, st);
}

/* Delete one stream's rows (stream, shards, tags, consumers, policies, scaling history), and its
 * records too when with_records; otherwise they are left for store_purge_step. */
static int delete_stream_rows(store *s, int64_t id, int with_records)
{
    cached_stream *c = cache_by_id(s, id);
    if (c)
        cache_drop(c);
    s->reclaim_due = 1;
    static const int qs[] = {Q_RECORDS_DEL,      Q_SHARDS_DEL,          Q_TAGS_DEL,      Q_CONSUMERS_DEL,
                             Q_CTAGS_DEL_STREAM, Q_POLICIES_DEL_STREAM, Q_STREAM_DELETE, Q_SCALINGS_DEL};
    if (!with_records)
        s->purge_pending = 1;
    for (size_t i = with_records ? 0 : 1; i < sizeof qs / sizeof qs[0]; i++) {
        sqlite3_stmt *st = q(s, qs[i]);
        if (!st)
            return -1;
        sqlite3_bind_int64(st, 1, id);
        if (done(s, st) != 0)
            return -1;
    }
    return 0;
}

int store_reset(store *s, const char *account_id, const char *region, const char *stream_name)
{
    cache_clear(s);
    s->reclaim_due = 1;
    if (s->batch)
        s->batch_dirty = 1; /* DELETE without WHERE may not count as changes */
    int own_tx = !s->in_tx;
    if (own_tx && store_begin(s) != 0)
        return -1;
    int rc;
    if (!stream_name) {
        rc = exec(s, "DELETE FROM records; DELETE FROM shards; DELETE FROM tags; DELETE FROM consumers;"
                     "DELETE FROM consumer_tags; DELETE FROM policies; DELETE FROM account_settings;"
                     "DELETE FROM streams; DELETE FROM meta WHERE key LIKE 'scalings:%';");
    } else {
        store_stream st;
        rc = store_stream_get(s, account_id, region, stream_name, &st);
        if (rc == 0)
            rc = delete_stream_rows(s, st.id, 1);
        else
            rc = -1;
    }
    if (own_tx) {
        if (rc == 0)
            rc = store_commit(s);
        else
            store_rollback(s);
    }
    return rc;
}

/* ---- streams ---- */

static void read_stream(sqlite3_stmt *st, store_stream *o)
{
    memset(o, 0, sizeof *o);
    o->id = sqlite3_column_int64(st, 0);
    copy_text(o->account_id, sizeof o->account_id, st, 1);
    copy_text(o->region, sizeof o->region, st, 2);
    copy_text(o->name, sizeof o->name, st, 3);
    o->created_ms = sqlite3_column_int64(st, 4);
    copy_text(o->status, sizeof o->status, st, 5);
    o->status_until_ms = sqlite3_column_int64(st, 6);
    copy_text(o->mode, sizeof o->mode, st, 7);
    o->retention_hours = sqlite3_column_int(st, 8);
    o->next_shard_index = (uint32_t)sqlite3_column_int64(st, 9);
    o->max_record_kib = sqlite3_column_int(st, 10);
    copy_text(o->encryption_type, sizeof o->encryption_type, st, 11);
    copy_text(o->key_id, sizeof o->key_id, st, 12);
    o->shard_metrics = (unsigned)sqlite3_column_int(st, 13);
    o->warm_mibps = sqlite3_column_int(st, 14);
}

static int row_stream(sqlite3_stmt *st, void *elem)
{
    read_stream(st, elem);
    return 0;
}

static const char *encryption_or_none(const store_stream *x)
{
    return x->encryption_type[0] ? x->encryption_type : "NONE";
}

int store_stream_get(store *s, const char *account_id, const char *region, const char *name,
                     store_stream *out)
{
    cached_stream *c = cache_by_name(s, account_id, region, name);
    if (c) {
        *out = c->st;
        c->last_use = ++s->cache_clock;
        s->cache_hits++;
        return 0;
    }
    sqlite3_stmt *st = q(s, Q_STREAM_GET);
    if (!st)
        return -1;
    bind_text(st, 1, account_id);
    bind_text(st, 2, region);
    bind_text(st, 3, name);
    int rc = step(s, st);
    if (rc == SQLITE_ROW) {
        read_stream(st, out);
        cache_put_stream(s, out);
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? 1 : -1;
}

int store_stream_insert(store *s, store_stream *x)
{
    sqlite3_stmt *st = q(s, Q_STREAM_INSERT);
    if (!st)
        return -1;
    bind_text(st, 1, x->account_id);
    bind_text(st, 2, x->region);
    bind_text(st, 3, x->name);
    sqlite3_bind_int64(st, 4, x->created_ms);
    bind_text(st, 5, x->status);
    sqlite3_bind_int64(st, 6, x->status_until_ms);
    bind_text(st, 7, x->mode);
    sqlite3_bind_int(st, 8, x->retention_hours);
    sqlite3_bind_int64(st, 9, x->next_shard_index);
    sqlite3_bind_int(st, 10, x->max_record_kib);
    bind_text(st, 11, encryption_or_none(x));
    bind_text(st, 12, x->key_id);
    sqlite3_bind_int(st, 13, (int)x->shard_metrics);
    sqlite3_bind_int(st, 14, x->warm_mibps);
    if (done(s, st) != 0)
        return -1;
    x->id = sqlite3_last_insert_rowid(s->db);
    cached_stream *c = cache_by_name(s, x->account_id, x->region, x->name);
    if (c)
        cache_drop(c);
    return 0;
}

int store_stream_update(store *s, const store_stream *x)
{
    sqlite3_stmt *st = q(s, Q_STREAM_UPDATE);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, x->id);
    bind_text(st, 2, x->status);
    sqlite3_bind_int64(st, 3, x->status_until_ms);
    bind_text(st, 4, x->mode);
    sqlite3_bind_int(st, 5, x->retention_hours);
    sqlite3_bind_int64(st, 6, x->next_shard_index);
    sqlite3_bind_int(st, 7, x->max_record_kib);
    bind_text(st, 8, encryption_or_none(x));
    bind_text(st, 9, x->key_id);
    sqlite3_bind_int(st, 10, (int)x->shard_metrics);
    sqlite3_bind_int(st, 11, x->warm_mibps);
    cached_stream *c = cache_by_id(s, x->id);
    if (done(s, st) != 0) {
        if (c)
            cache_drop(c);
        return -1;
    }
    if (c) {
        /* the row as stored: only the columns the UPDATE writes change */
        store_stream *cs = &c->st;
        memcpy(cs->status, x->status, sizeof cs->status);
        cs->status_until_ms = x->status_until_ms;
        memcpy(cs->mode, x->mode, sizeof cs->mode);
        cs->retention_hours = x->retention_hours;
        cs->next_shard_index = x->next_shard_index;
        cs->max_record_kib = x->max_record_kib;
        snprintf(cs->encryption_type, sizeof cs->encryption_type, "%s", encryption_or_none(x));
        memcpy(cs->key_id, x->key_id, sizeof cs->key_id);
        cs->shard_metrics = x->shard_metrics;
        cs->warm_mibps = x->warm_mibps;
    }
    return 0;
}

int store_stream_delete(store *s, int64_t stream_id)
{
    return delete_stream_rows(s, stream_id, 0);
}

int store_stream_list(store *s, const char *account_id, const char *region, store_stream **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = q(s, Q_STREAM_LIST);
    if (!st)
        return -1;
    bind_text(st, 1, account_id);
    bind_text(st, 2, region);
    int failed;
    *out = collect_rows(s, st, sizeof **out, row_stream, NULL, n, &failed);
    return failed ? -1 : 0;
}

int store_stream_list_all(store *s, store_stream **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = q(s, Q_STREAM_LIST_ALL);
    if (!st)
        return -1;
    int failed;
    *out = collect_rows(s, st, sizeof **out, row_stream, NULL, n, &failed);
    return failed ? -1 : 0;
}

int store_open_shard_total(store *s, const char *account_id, const char *region, int64_t *total)
{
    sqlite3_stmt *st = q(s, Q_OPEN_SHARDS);
    if (!st)
        return -1;
    bind_text(st, 1, account_id);
    bind_text(st, 2, region);
    int rc = step(s, st);
    *total = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 0 : -1;
}

/* ---- shards ---- */

/* A malloc'd copy of n shards (n may be 0); NULL when memory runs out. */
static store_shard *shards_copy(const store_shard *from, size_t n)
{
    store_shard *to = malloc((n ? n : 1) * sizeof *to);
    if (to && n)
        memcpy(to, from, n * sizeof *to);
    return to;
}

static int row_shard(sqlite3_stmt *st, void *elem)
{
    store_shard *sh = elem;
    memset(sh, 0, sizeof *sh);
    sh->index = (uint32_t)sqlite3_column_int64(st, 0);
    sh->created_ms = sqlite3_column_int64(st, 1);
    copy_text(sh->start_hash, sizeof sh->start_hash, st, 2);
    copy_text(sh->end_hash, sizeof sh->end_hash, st, 3);
    sh->parent = sqlite3_column_int64(st, 4);
    sh->adjacent_parent = sqlite3_column_int64(st, 5);
    sh->closed_ms = sqlite3_column_int64(st, 6);
    sh->next_counter = (uint64_t)sqlite3_column_int64(st, 7);
    /* parse the hash range once here (the cache keeps it) rather than per request */
    sh->range_parsed =
        u128_parse(sh->start_hash, &sh->range_lo) == 0 && u128_parse(sh->end_hash, &sh->range_hi) == 0 ? 1
                                                                                                       : -1;
    return 0;
}

int store_shards_get(store *s, int64_t stream_id, store_shard **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    cached_stream *c = cache_by_id(s, stream_id);
    if (c && c->shards_valid) {
        if (!(*out = shards_copy(c->shards, c->n_shards)))
            return -1;
        *n = c->n_shards;
        c->last_use = ++s->cache_clock;
        s->cache_hits++;
        return 0;
    }
    sqlite3_stmt *st = q(s, Q_SHARDS_GET);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, stream_id);
    int failed;
    *out = collect_rows(s, st, sizeof **out, row_shard, NULL, n, &failed);
    if (failed)
        return -1;
    if (c) {
        free(c->shards);
        c->shards = shards_copy(*out, *n);
        c->n_shards = *n;
        c->shards_valid = c->shards != NULL;
    }
    return 0;
}

int store_shard_insert(store *s, int64_t stream_id, const store_shard *sh)
{
    sqlite3_stmt *st = q(s, Q_SHARD_INSERT);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, stream_id);
    sqlite3_bind_int64(st, 2, sh->index);
    sqlite3_bind_int64(st, 3, sh->created_ms);
    bind_text(st, 4, sh->start_hash);
    bind_text(st, 5, sh->end_hash);
    sqlite3_bind_int64(st, 6, sh->parent);
    sqlite3_bind_int64(st, 7, sh->adjacent_parent);
    sqlite3_bind_int64(st, 8, sh->closed_ms);
    sqlite3_bind_int64(st, 9, (sqlite3_int64)sh->next_counter);
    cached_stream *c = cache_by_id(s, stream_id);
    if (c) { /* the list changed: read it again next time */
        free(c->shards);
        c->shards = NULL;
        c->n_shards = 0;
        c->shards_valid = 0;
    }
    return done(s, st);
}

int store_shard_counter_moved(store *s, int64_t stream_id, uint32_t shard_index, uint64_t next_counter)
{
    cached_stream *cached = cache_by_id(s, stream_id);
    for (size_t i = 0; cached && cached->shards_valid && i < cached->n_shards; i++) {
        store_shard *cs = &cached->shards[i];
        if (cs->index == shard_index && next_counter > cs->next_counter)
            cs->next_counter = next_counter;
    }
    return 0; /* uncached, it is read back past the newest record (SHARD_NEXT_COUNTER) */
}

int store_shard_update(store *s, int64_t stream_id, const store_shard *sh)
{
    /* only the counter moved on (records were put): the records say so already */
    cached_stream *cached = cache_by_id(s, stream_id);
    for (size_t i = 0; cached && cached->shards_valid && i < cached->n_shards; i++) {
        store_shard *cs = &cached->shards[i];
        if (cs->index == sh->index && cs->closed_ms == sh->closed_ms &&
            sh->next_counter >= cs->next_counter) {
            cs->next_counter = sh->next_counter;
            return 0;
        }
    }
    sqlite3_stmt *st = q(s, Q_SHARD_UPDATE);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, stream_id);
    sqlite3_bind_int64(st, 2, sh->index);
    sqlite3_bind_int64(st, 3, sh->closed_ms);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)sh->next_counter);
    int rc = done(s, st);
    cached_stream *c = cache_by_id(s, stream_id);
    if (c && c->shards_valid) {
        store_shard *cs = NULL;
        for (size_t i = 0; i < c->n_shards && !cs; i++)
            if (c->shards[i].index == sh->index)
                cs = &c->shards[i];
        if (rc == 0 && cs) {
            cs->closed_ms = sh->closed_ms;
            cs->next_counter = sh->next_counter;
        } else {
            free(c->shards);
            c->shards = NULL;
            c->n_shards = 0;
            c->shards_valid = 0;
        }
    }
    return rc;
}

/* ---- records ---- */

int store_record_insert(store *s, int64_t stream_id, uint32_t shard_index, uint64_t counter,
                        int64_t arrival_ms, const char *pkey, const uint8_t *data, size_t len)
{
    return store_record_insert_enc(s, stream_id, shard_index, counter, arrival_ms, pkey, data, len, 0);
}

int store_record_insert_enc(store *s, int64_t stream_id, uint32_t shard_index, uint64_t counter,
                            int64_t arrival_ms, const char *pkey, const uint8_t *data, size_t len,
                            int encrypted)
{
    sqlite3_int64 data_id = 0;
    uint8_t loc[LOCATOR_BYTES];
    if (len > RECORD_DATA_INLINE_MAX && s->df) {
        /* its bytes to the data file (written before the COMMIT), its locator to the row */
        if (!s->in_tx) { /* a transaction of its own, so that the row and its count go together */
            if (store_begin(s) != 0)
                return -1;
            int rc = store_record_insert_enc(s, stream_id, shard_index, counter, arrival_ms, pkey, data, len,
                                             encrypted);
            if (rc == 0)
                return store_commit(s);
            store_rollback(s);
            return -1;
        }
        int64_t seg;
        uint64_t off;
        if (datafile_append(s->df, data, len, &seg, &off) != 0) {
            note_file_error(s, 0, "cannot write the data file");
            return -1;
        }
        if (seg != s->df_last_seg) { /* the previous segment is full: it may be all dead already */
            s->df_last_seg = seg;
            s->reclaim_due = 1;
        }
        put_le(loc, off, 8);
        put_le(loc + 8, len, 4);
        put_le(loc + 12, datafile_crc32c(data, len), 4);
        s->df_live++;
        data = loc;
        len = LOCATOR_BYTES;
        data_id = -seg;
    } else if (len > RECORD_DATA_INLINE_MAX) {
        sqlite3_stmt *d = q(s, Q_RECORD_DATA_INSERT);
        if (!d)
            return -1;
        sqlite3_bind_blob64(d, 1, data, len, SQLITE_STATIC);
        if (done(s, d) != 0)
            return -1;
        data_id = sqlite3_last_insert_rowid(s->db);
    }
    sqlite3_stmt *st = q(s, Q_RECORD_INSERT);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, stream_id);
    sqlite3_bind_int64(st, 2, shard_index);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)counter);
    sqlite3_bind_int64(st, 4, arrival_ms);
    bind_text(st, 5, pkey);
    /* a zero-length blob must still be a blob, not NULL */
    sqlite3_bind_blob64(st, 6, len && data_id <= 0 ? (const void *)data : (const void *)"",
                        data_id > 0 ? 0 : len, SQLITE_STATIC);
    sqlite3_bind_int(st, 7, encrypted ? 1 : 0);
    sqlite3_bind_int64(st, 8, data_id);
    return done(s, st);
}

/* r's data is a locator (data_id < 0): point it at the bytes in data file segment seg instead,
 * checked against their CRC. SQLITE_OK, or an error code (noted). */
static int read_located(store *s, int64_t seg, store_record *r)
{
    if (!s->df || r->data_len != LOCATOR_BYTES) {
        errno = EINVAL;
        note_file_error(s, SQLITE_CORRUPT, "a record's data locator is damaged");
        return SQLITE_CORRUPT;
    }
    uint64_t off = get_le(r->data, 8);
    size_t len = (size_t)get_le(r->data + 8, 4);
    uint32_t crc = (uint32_t)get_le(r->data + 12, 4);
    const uint8_t *p = datafile_read(s->df, seg, off, len);
    if (!p) {
        note_file_error(s, 0, "cannot read the data file");
        return SQLITE_IOERR;
    }
    if (datafile_crc32c(p, len) != crc) {
        note_file_error(s, SQLITE_CORRUPT, "a record's bytes in the data file");
        return SQLITE_CORRUPT;
    }
    r->data = p;
    r->data_len = len;
    return SQLITE_OK;
}

int store_records_scan(store *s, int64_t stream_id, uint32_t shard_index, uint64_t from_counter,
                       int64_t min_arrival_ms, int limit, store_record_cb cb, void *ud)
{
    sqlite3_stmt *st = q(s, Q_RECORDS_SCAN);
    if (!st)
        return -1;
    /* counters are below 2^63 in practice; clamp so the comparison stays in SQLite's range */
    if (from_counter > (uint64_t)INT64_MAX)
        from_counter = (uint64_t)INT64_MAX;
    sqlite3_bind_int64(st, 1, stream_id);
    sqlite3_bind_int64(st, 2, shard_index);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)from_counter);
    sqlite3_bind_int64(st, 4, min_arrival_ms);
    sqlite3_bind_int(st, 5, limit);
    int rc;
    while ((rc = step(s, st)) == SQLITE_ROW) {
        store_record r;
        r.counter = (uint64_t)sqlite3_column_int64(st, 0);
        r.arrival_ms = sqlite3_column_int64(st, 1);
        const unsigned char *pk = sqlite3_column_text(st, 2);
        r.pkey = pk ? (const char *)pk : "";
        r.data = sqlite3_column_blob(st, 3);
        r.data_len = (size_t)sqlite3_column_bytes(st, 3);
        r.encrypted = sqlite3_column_int(st, 4);
        sqlite3_int64 data_id = sqlite3_column_int64(st, 5);
        if (data_id < 0 && (rc = read_located(s, -data_id, &r)) != SQLITE_OK)
            break;
        if (cb(ud, &r)) {
            rc = SQLITE_DONE;
            break;
        }
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

int store_record_first_at(store *s, int64_t stream_id, uint32_t shard_index, int64_t at_ms, uint64_t *counter)
{
    sqlite3_stmt *st = q(s, Q_RECORD_FIRST_AT);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, stream_id);
    sqlite3_bind_int64(st, 2, shard_index);
    sqlite3_bind_int64(st, 3, at_ms);
    int rc = step(s, st);
    if (rc == SQLITE_ROW)
        *counter = (uint64_t)sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? 1 : -1;
}

int store_record_last_arrival(store *s, int64_t stream_id, uint32_t shard_index, int64_t *arrival_ms)
{
    sqlite3_stmt *st = q(s, Q_RECORD_LAST);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, stream_id);
    sqlite3_bind_int64(st, 2, shard_index);
    int rc = step(s, st);
    if (rc == SQLITE_ROW)
        *arrival_ms = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? 1 : -1;
}

int store_record_first_arrival(store *s, int64_t stream_id, uint32_t shard_index, int64_t *arrival_ms)
{
    sqlite3_stmt *st = q(s, Q_RECORD_OLDEST);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, stream_id);
    sqlite3_bind_int64(st, 2, shard_index);
    int rc = step(s, st);
    if (rc == SQLITE_ROW)
        *arrival_ms = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? 1 : -1;
}

int store_records_trim(store *s, int64_t stream_id, int64_t before_ms)
{
    sqlite3_stmt *floor = q(s, Q_SHARD_FLOOR); /* the newest records may go */
    if (!floor)
        return -1;
    sqlite3_bind_int64(floor, 1, stream_id);
    if (done(s, floor) != 0)
        return -1;
    sqlite3_stmt *st = q(s, Q_RECORDS_TRIM);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, stream_id);
    sqlite3_bind_int64(st, 2, before_ms);
    s->reclaim_due = 1;
    return done(s, st);
}

/* ---- tags ---- */

void store_tags_free(store_tag *tags, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(tags[i].key);
        free(tags[i].value);
    }
    free(tags);
}

static int row_tag(sqlite3_stmt *st, void *elem)
{
    store_tag *t = elem;
    t->key = strdup((const char *)sqlite3_column_text(st, 0));
    t->value = strdup((const char *)sqlite3_column_text(st, 1));
    return t->key && t->value ? 0 : -1;
}

static void drop_tags(void *tags, size_t n)
{
    store_tags_free(tags, n);
}

/* Read the (key, value) rows of a bound tag query into a new array; -1 (and nothing) on failure. */
static int collect_tags(store *s, sqlite3_stmt *st, store_tag **out, size_t *n)
{
    int failed;
    *out = collect_rows(s, st, sizeof **out, row_tag, drop_tags, n, &failed);
    return failed ? -1 : 0;
}

int store_tags_get(store *s, int64_t stream_id, store_tag **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = q(s, Q_TAGS_GET);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, stream_id);
    return collect_tags(s, st, out, n);
}

int store_tag_put(store *s, int64_t stream_id, const char *key, const char *value)
{
    sqlite3_stmt *st = q(s, Q_TAG_PUT);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, stream_id);
    bind_text(st, 2, key);
    bind_text(st, 3, value);
    return done(s, st);
}

int store_tag_delete(store *s, int64_t stream_id, const char *key)
{
    sqlite3_stmt *st = q(s, Q_TAG_DELETE);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, stream_id);
    bind_text(st, 2, key);
    return done(s, st);
}

int store_records_trim_shard(store *s, int64_t stream_id, uint32_t shard_index, int64_t before_ms,
                             int max_rows, int *deleted)
{
    if (deleted)
        *deleted = 0;
    /* the common case, nothing expired: one index seek to the oldest record says so, where the
     * bounded DELETE below would read max_rows rows into a temporary list first */
    int64_t oldest;
    int rc = store_record_first_arrival(s, stream_id, shard_index, &oldest);
    if (rc < 0)
        return -1;
    if (rc == 1 || oldest >= before_ms)
        return 0;
    sqlite3_stmt *floor = q(s, Q_SHARD_FLOOR_ONE); /* the newest record may go */
    if (!floor)
        return -1;
    sqlite3_bind_int64(floor, 1, stream_id);
    sqlite3_bind_int64(floor, 2, shard_index);
    if (done(s, floor) != 0)
        return -1;
    sqlite3_stmt *st = q(s, Q_RECORDS_TRIM_SHARD);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, stream_id);
    sqlite3_bind_int64(st, 2, shard_index);
    sqlite3_bind_int64(st, 3, before_ms);
    sqlite3_bind_int(st, 4, max_rows);
    if (done(s, st) != 0)
        return -1;
    s->reclaim_due = 1;
    if (deleted)
        *deleted = sqlite3_changes(s->db);
    return 0;
}

int store_records_count(store *s, int64_t stream_id, uint32_t shard_index, int64_t *n)
{
    sqlite3_stmt *st = q(s, Q_RECORDS_COUNT);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, stream_id);
    sqlite3_bind_int64(st, 2, shard_index);
    int rc = step(s, st);
    *n = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 0 : -1;
}

/* ---- the records of deleted streams ----
 * DeleteStream removes the stream's row and everything small at once, and leaves its records
 * (which may be millions) to store_purge_step, a bounded batch per call: one DELETE of them all
 * held every other request for seconds. Stream ids are never reused (AUTOINCREMENT), so records
 * whose stream_id has no streams row belong to nobody: a stream re-created under the same name
 * cannot see them, and a restart finds them again from the rows alone. */

/* The next deleted stream that still has records after stream id `after`: 1 found (*id), 0 none,
 * -1 error. Walks the distinct stream ids of records, an index seek each. */
static int purge_find(store *s, int64_t after, int64_t *id)
{
    for (;;) {
        sqlite3_stmt *st = q(s, Q_PURGE_NEXT);
        if (!st)
            return -1;
        sqlite3_bind_int64(st, 1, after);
        int rc = step(s, st);
        int64_t next = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
        sqlite3_reset(st);
        if (rc != SQLITE_ROW)
            return rc == SQLITE_DONE ? 0 : -1;
        if (!(st = q(s, Q_STREAM_EXISTS)))
            return -1;
        sqlite3_bind_int64(st, 1, next);
        rc = step(s, st);
        sqlite3_reset(st);
        if (rc == SQLITE_DONE) {
            *id = next;
            return 1;
        }
        if (rc != SQLITE_ROW)
            return -1;
        after = next;
    }
}

/* Delete up to max_rows records of stream id, in key order; *n gets how many went. 0 or -1. */
static int purge_rows(store *s, int64_t id, int max_rows, int *n)
{
    *n = 0;
    while (*n < max_rows) {
        sqlite3_stmt *st = q(s, Q_PURGE_FIRST);
        if (!st)
            return -1;
        sqlite3_bind_int64(st, 1, id);
        int rc = step(s, st);
        int64_t shard = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
        int64_t first = rc == SQLITE_ROW ? sqlite3_column_int64(st, 1) : 0;
        sqlite3_reset(st);
        if (rc == SQLITE_DONE)
            return 0;
        if (rc != SQLITE_ROW)
            return -1;
        /* counters are unique within a shard: below first + k there are at most k of them */
        if (!(st = q(s, Q_PURGE_RANGE)))
            return -1;
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_int64(st, 2, shard);
        sqlite3_bind_int64(st, 3, first + (max_rows - *n));
        if (done(s, st) != 0)
            return -1;
        *n += sqlite3_changes(s->db);
    }
    return 0;
}

int store_purge_step(store *s, int max_rows, int *deleted)
{
    if (deleted)
        *deleted = 0;
    if (!s->purge_pending)
        return 0;
    int own_tx = !s->in_tx;
    if (own_tx && store_begin(s) != 0)
        return -1;
    int n = 0, rc = 0;
    /* the stream may be back: its DeleteStream was rolled back */
    if (s->purge_id) {
        sqlite3_stmt *st = q(s, Q_STREAM_EXISTS);
        if (!st)
            goto fail;
        sqlite3_bind_int64(st, 1, s->purge_id);
        int e = step(s, st);
        sqlite3_reset(st);
        if (e == SQLITE_ROW)
            s->purge_id = 0;
        else if (e != SQLITE_DONE)
            goto fail;
    }
    if (!s->purge_id) {
        int found = purge_find(s, 0, &s->purge_id);
        if (found < 0)
            goto fail;
        if (found == 0)
            s->purge_pending = 0;
    }
    if (s->purge_id) {
        if (purge_rows(s, s->purge_id, max_rows, &n) != 0)
            goto fail;
        if (n < max_rows)
            s->purge_id = 0; /* emptied; the next call looks for another */
        if (n > 0) {
            s->reclaim_due = 1;
            if (s->batch)
                s->batch_dirty = 1;
        }
        rc = 1;
    }
    if (own_tx && store_commit(s) != 0) {
        s->purge_id = 0;
        s->purge_pending = 1;
        return -1;
    }
    if (deleted)
        *deleted = n;
    return rc;
fail:
    s->purge_id = 0;
    s->purge_pending = 1;
    if (own_tx)
        store_rollback(s);
    return -1;
}

/* ---- consumers ---- */

static void read_consumer(sqlite3_stmt *st, store_consumer *o)
{
    memset(o, 0, sizeof *o);
    o->stream_id = sqlite3_column_int64(st, 0);
    copy_text(o->name, sizeof o->name, st, 1);
    o->created_ms = sqlite3_column_int64(st, 2);
    copy_text(o->status, sizeof o->status, st, 3);
    o->status_until_ms = sqlite3_column_int64(st, 4);
}

static int row_consumer(sqlite3_stmt *st, void *elem)
{
    read_consumer(st, elem);
    return 0;
}

int store_consumer_get(store *s, int64_t stream_id, const char *name, store_consumer *out)
{
    sqlite3_stmt *st = q(s, Q_CONSUMER_GET);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, stream_id);
    bind_text(st, 2, name);
    int rc = step(s, st);
    if (rc == SQLITE_ROW)
        read_consumer(st, out);
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? 1 : -1;
}

int store_consumer_insert(store *s, const store_consumer *c)
{
    sqlite3_stmt *st = q(s, Q_CONSUMER_INSERT);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, c->stream_id);
    bind_text(st, 2, c->name);
    sqlite3_bind_int64(st, 3, c->created_ms);
    bind_text(st, 4, c->status);
    sqlite3_bind_int64(st, 5, c->status_until_ms);
    return done(s, st);
}

int store_consumer_update(store *s, const store_consumer *c)
{
    sqlite3_stmt *st = q(s, Q_CONSUMER_UPDATE);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, c->stream_id);
    bind_text(st, 2, c->name);
    bind_text(st, 3, c->status);
    sqlite3_bind_int64(st, 4, c->status_until_ms);
    return done(s, st);
}

int store_consumer_delete(store *s, int64_t stream_id, const char *name)
{
    static const int qs[] = {Q_CTAGS_DEL_CONSUMER, Q_POLICY_DELETE, Q_CONSUMER_DELETE};
    for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++) {
        sqlite3_stmt *st = q(s, qs[i]);
        if (!st)
            return -1;
        sqlite3_bind_int64(st, 1, stream_id);
        bind_text(st, 2, name);
        if (done(s, st) != 0)
            return -1;
    }
    return 0;
}

int store_consumers_list(store *s, int64_t stream_id, store_consumer **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = q(s, Q_CONSUMER_LIST);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, stream_id);
    int failed;
    *out = collect_rows(s, st, sizeof **out, row_consumer, NULL, n, &failed);
    return failed ? -1 : 0;
}

int store_consumers_creating(store *s, const char *account_id, const char *region, int64_t now_ms,
                             int64_t *count)
{
    sqlite3_stmt *st = q(s, Q_CONSUMERS_CREATING);
    if (!st)
        return -1;
    bind_text(st, 1, account_id);
    bind_text(st, 2, region);
    sqlite3_bind_int64(st, 3, now_ms);
    int rc = step(s, st);
    *count = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 0 : -1;
}

/* ---- tags of any resource: a stream (consumer NULL or "") or one of its consumers ---- */

static int is_stream(const char *consumer)
{
    return !consumer || !consumer[0];
}

int store_resource_tags_get(store *s, int64_t stream_id, const char *consumer, store_tag **out, size_t *n)
{
    if (is_stream(consumer))
        return store_tags_get(s, stream_id, out, n);
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = q(s, Q_CTAGS_GET);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, stream_id);
    bind_text(st, 2, consumer);
    return collect_tags(s, st, out, n);
}

int store_resource_tag_put(store *s, int64_t stream_id, const char *consumer, const char *key,
                           const char *value)
{
    if (is_stream(consumer))
        return store_tag_put(s, stream_id, key, value);
    sqlite3_stmt *st = q(s, Q_CTAG_PUT);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, stream_id);
    bind_text(st, 2, consumer);
    bind_text(st, 3, key);
    bind_text(st, 4, value);
    return done(s, st);
}

int store_resource_tag_delete(store *s, int64_t stream_id, const char *consumer, const char *key)
{
    if (is_stream(consumer))
        return store_tag_delete(s, stream_id, key);
    sqlite3_stmt *st = q(s, Q_CTAG_DELETE);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, stream_id);
    bind_text(st, 2, consumer);
    bind_text(st, 3, key);
    return done(s, st);
}

/* ---- resource policies ---- */

int store_policy_get(store *s, int64_t stream_id, const char *consumer, char **policy)
{
    *policy = NULL;
    sqlite3_stmt *st = q(s, Q_POLICY_GET);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, stream_id);
    bind_text(st, 2, consumer ? consumer : "");
    int rc = step(s, st);
    if (rc == SQLITE_ROW) {
        const unsigned char *t = sqlite3_column_text(st, 0);
        *policy = strdup(t ? (const char *)t : "");
        if (!*policy)
            rc = SQLITE_NOMEM;
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? 1 : -1;
}

int store_policy_put(store *s, int64_t stream_id, const char *consumer, const char *policy)
{
    sqlite3_stmt *st = q(s, Q_POLICY_PUT);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, stream_id);
    bind_text(st, 2, consumer ? consumer : "");
    bind_text(st, 3, policy);
    return done(s, st);
}

int store_policy_delete(store *s, int64_t stream_id, const char *consumer, int *deleted)
{
    sqlite3_stmt *st = q(s, Q_POLICY_DELETE);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, stream_id);
    bind_text(st, 2, consumer ? consumer : "");
    if (done(s, st) != 0)
        return -1;
    if (deleted)
        *deleted = sqlite3_changes(s->db);
    return 0;
}

/* ---- account settings ---- */

int store_account_get(store *s, const char *account_id, const char *region, store_account *out)
{
    memset(out, 0, sizeof *out);
    snprintf(out->commitment, sizeof out->commitment, "DISABLED");
    sqlite3_stmt *st = q(s, Q_ACCOUNT_GET);
    if (!st)
        return -1;
    bind_text(st, 1, account_id);
    bind_text(st, 2, region);
    int rc = step(s, st);
    if (rc == SQLITE_ROW) {
        copy_text(out->commitment, sizeof out->commitment, st, 0);
        out->started_ms = sqlite3_column_int64(st, 1);
        out->ended_ms = sqlite3_column_int64(st, 2);
        out->earliest_end_ms = sqlite3_column_int64(st, 3);
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? 1 : -1;
}

int store_account_put(store *s, const char *account_id, const char *region, const store_account *a)
{
    sqlite3_stmt *st = q(s, Q_ACCOUNT_PUT);
    if (!st)
        return -1;
    bind_text(st, 1, account_id);
    bind_text(st, 2, region);
    bind_text(st, 3, a->commitment);
    sqlite3_bind_int64(st, 4, a->started_ms);
    sqlite3_bind_int64(st, 5, a->ended_ms);
    sqlite3_bind_int64(st, 6, a->earliest_end_ms);
    return done(s, st);
}

/* ---- fault injection (tests) ---- */

int store_test_limit_pages(store *s, int64_t max_pages)
{
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA max_page_count = %lld", (long long)max_pages);
    return exec(s, sql);
}
