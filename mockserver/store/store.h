/* store.h: the simulator's persistent state in SQLite (store.c, with store_vfs.c for its file layer
 * and wal_checkpoint.c for its checkpoint thread, are the only files that include sqlite3.h), and
 * large records' bytes in data files beside a file database (datafile.c). WAL mode, prepared
 * statements, bound parameters only, a schema version.
 * An acknowledged write is committed before its answer leaves.
 *
 * The domain API used by the handlers (streams, shards, records, tags, ...) is declared
 * below the lifecycle functions; it is owned by the store and handler work. */
#ifndef SIM_STORE_H
#define SIM_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "store/wal_checkpoint.h" /* wal_checkpoint_stats */
#include "wire/ids.h"             /* u128 (pure arithmetic, no I/O) */

typedef struct store store;

/* Open (creating if needed) the database at path (":memory:" for none). On failure returns
 * NULL and writes a human message into err. */
store *store_open(const char *path, char *err, size_t err_len);
void store_close(store *s);

/* How many stream and shard-list reads the in-memory cache answered (store.c keeps the last few
 * streams and their shards; writes through this file keep it exact, a rollback empties it). */
uint64_t store_cache_hits(store *s);

/* What the WAL checkpoint thread of a file database did (all zero for ":memory:"). */
void store_wal_stats(store *s, wal_checkpoint_stats *out);

/* The server key for shard iterators: created once, kept in the database. */
int store_server_key(store *s, uint8_t key[32]);

/* Remove all data (stream_name NULL) or one stream of an account/region; 0 ok, -1 not found/failure. */
int store_reset(store *s, const char *account_id, const char *region, const char *stream_name);

/* ---- transactions: one per write request, committed before the answer leaves ---- */
int store_begin(store *s);
int store_commit(store *s);
void store_rollback(store *s);
/* The last SQLite error message (for logs): the first error since store_begin when there was one. */
const char *store_errmsg(store *s);
/* What kind of failure the first SQLite error since the last store_begin was (STORE_ERR_NONE when
 * there was none, e.g. an allocation failed outside SQLite). Handlers map it to an answer:
 * busy -> ServiceUnavailable (503), the others -> InternalFailure (500) (ops/resources.c ops_store_fail). */
typedef enum {
    STORE_ERR_NONE = 0,
    STORE_ERR_FULL,    /* database or disk full (SQLITE_FULL) */
    STORE_ERR_BUSY,    /* locked by another connection past the busy timeout */
    STORE_ERR_IO,      /* I/O error, file vanished or became read-only */
    STORE_ERR_CORRUPT, /* the file is damaged */
    STORE_ERR_OTHER,
} store_error;
store_error store_last_error(store *s);
/* Forget the noted error (store_begin does this). */
void store_clear_error(store *s);
/* Fault injection for tests: cap the database at max_pages pages (PRAGMA max_page_count) so that
 * writes beyond it fail as on a full disk. 0, or -1. */
int store_test_limit_pages(store *s, int64_t max_pages);
/* Tests: start a new data file segment once the current one holds this many bytes (0: the
 * default, DATAFILE_SEGMENT_BYTES), so that reclaiming whole segments can be seen with little data.
 * No effect on a :memory: database. */
void store_test_segment_bytes(store *s, uint64_t bytes);

/* ---- group commit: one transaction over several requests (http.c drives it) ----
 * While a batch is open, store_begin/store_commit/store_rollback work on a per-request savepoint
 * inside it (a failed request undoes only its own changes) and nothing is durable until
 * store_batch_commit returned 0: whoever answers requests must hold every answer given while
 * store_batch_dirty() until then. Without an open batch they are plain transactions, as above. */
/* BEGIN IMMEDIATE; 0, or -1 (also when a batch or a transaction is already open). */
int store_batch_open(store *s);
int store_batch_is_open(store *s);
/* 1 when the open batch holds changes (rows written, a reset, or a batch SQLite rolled back). */
int store_batch_dirty(store *s);
/* COMMIT the open batch (0 when none is open). -1 when it failed: everything of the batch was
 * rolled back, the cache emptied, and store_last_error/store_errmsg say why. */
int store_batch_commit(store *s);

/* ---- streams ---- */
#define STORE_NAME_MAX 129
typedef struct store_stream {
    int64_t id; /* assigned by store_stream_insert; never reused */
    char account_id[16];
    char region[64];
    char name[STORE_NAME_MAX];
    int64_t created_ms;
    char status[16];         /* CREATING, ACTIVE, UPDATING, DELETING (as stored) */
    int64_t status_until_ms; /* when a transitional status ends */
    char mode[16];           /* PROVISIONED or ON_DEMAND */
    int retention_hours;
    uint32_t next_shard_index; /* the index the next new shard gets */
    int max_record_kib;        /* MaxRecordSizeInKiB, default 1024 */
    /* schema 2 */
    char encryption_type[8]; /* NONE or KMS ("" is stored as NONE) */
    char key_id[2056];       /* KeyId while KMS, else "" */
    unsigned shard_metrics;  /* enhanced monitoring: bit i = the i-th metric (ops/monitoring.c) */
    int warm_mibps;          /* UpdateStreamWarmThroughput target, 0 for none */
} store_stream;

/* 0 found, 1 not found, -1 error. */
int store_stream_get(store *s, const char *account_id, const char *region, const char *name,
                     store_stream *out);
int store_stream_insert(store *s, store_stream *st); /* sets st->id */
int store_stream_update(store *s, const store_stream *st);
/* Delete a stream with its shards, tags, consumers and policies. Its records stay until
 * store_purge_step removes them, unseen: they belong to no stream. */
int store_stream_delete(store *s, int64_t stream_id);
/* All streams of an account and region, sorted by name (malloc'd array; free()). */
int store_stream_list(store *s, const char *account_id, const char *region, store_stream **out, size_t *n);
/* Every stream of every account and region, sorted by account, region and name (the console's
 * GET /_sim/streams; malloc'd array; free()). */
int store_stream_list_all(store *s, store_stream **out, size_t *n);
/* Open shards over every stream of an account and region (for the shard limit). */
int store_open_shard_total(store *s, const char *account_id, const char *region, int64_t *total);

/* When UpdateShardCount last scaled a stream (epoch ms, oldest first; at most STORE_SCALINGS_MAX
 * kept): AWS allows ten per rolling 24 hours. */
#define STORE_SCALINGS_MAX 16
int store_scalings_get(store *s, int64_t stream_id, int64_t *times, size_t max, size_t *n);
int store_scalings_put(store *s, int64_t stream_id, const int64_t *times, size_t n);

/* ---- shards ---- */
typedef struct store_shard {
    uint32_t index;
    int64_t created_ms;
    char start_hash[40]; /* decimal */
    char end_hash[40];
    int64_t parent;          /* shard index, -1 for none */
    int64_t adjacent_parent; /* shard index, -1 for none */
    int64_t closed_ms;       /* 0 while open */
    uint64_t next_counter;   /* counter the next record gets (records start at 1) */
    /* start_hash/end_hash parsed, filled on first use by shard_for_hash (ops/resources.c) so a request
     * routing many records parses each range once: 0 not yet, 1 parsed, -1 unparseable. A zeroed
     * struct is "not yet"; code that changes start_hash/end_hash of a used struct resets it. */
    int range_parsed;
    u128 range_lo, range_hi;
} store_shard;

/* All shards of a stream ordered by index (malloc'd array; free()). */
int store_shards_get(store *s, int64_t stream_id, store_shard **out, size_t *n);
int store_shard_insert(store *s, int64_t stream_id, const store_shard *sh);
/* Update closed_ms and next_counter. A next_counter that only moved on past the records put since
 * (closed_ms unchanged) is kept in memory, not written: a shard's counter is read back as past
 * its newest record (store.c, SHARD_NEXT_COUNTER). */
int store_shard_update(store *s, int64_t stream_id, const store_shard *sh);
/* Records were put: the shard's next counter moved on to next_counter. Nothing else of the shard
 * changes (a handler's shard list may show a reshard's parent still open: ops/resources.h,
 * stream_shards), and nothing is written: the counter is read back past the newest record. */
int store_shard_counter_moved(store *s, int64_t stream_id, uint32_t shard_index, uint64_t next_counter);

/* ---- records ---- */
typedef struct store_record {
    uint64_t counter;
    int64_t arrival_ms;
    const char *pkey; /* valid during the callback only */
    const uint8_t *data;
    size_t data_len;
    int encrypted; /* written while the stream had KMS encryption on */
} store_record;

int store_record_insert(store *s, int64_t stream_id, uint32_t shard_index, uint64_t counter,
                        int64_t arrival_ms, const char *pkey, const uint8_t *data, size_t len);
/* As store_record_insert, marking the record encrypted (SSE-KMS on at write time) or not. */
int store_record_insert_enc(store *s, int64_t stream_id, uint32_t shard_index, uint64_t counter,
                            int64_t arrival_ms, const char *pkey, const uint8_t *data, size_t len,
                            int encrypted);
/* Call cb for records of one shard with counter >= from_counter and arrival_ms >= min_arrival_ms,
 * in counter order, at most `limit`; cb returns nonzero to stop. Returns 0 or -1. */
typedef int (*store_record_cb)(void *ud, const store_record *r);
int store_records_scan(store *s, int64_t stream_id, uint32_t shard_index, uint64_t from_counter,
                       int64_t min_arrival_ms, int limit, store_record_cb cb, void *ud);
/* Counter of the first record with arrival_ms >= at_ms: 0 found, 1 none, -1 error. */
int store_record_first_at(store *s, int64_t stream_id, uint32_t shard_index, int64_t at_ms,
                          uint64_t *counter);
/* Arrival time of the oldest record (lowest counter) of a shard: 0 found, 1 none, -1 error. */
int store_record_first_arrival(store *s, int64_t stream_id, uint32_t shard_index, int64_t *arrival_ms);
/* Arrival time of the newest record of a shard: 0 found, 1 none, -1 error. */
int store_record_last_arrival(store *s, int64_t stream_id, uint32_t shard_index, int64_t *arrival_ms);
/* Delete records that arrived before before_ms (retention). */
int store_records_trim(store *s, int64_t stream_id, int64_t before_ms);
/* Bounded retention trim of one shard: look at its oldest max_rows records and delete those that
 * arrived before before_ms; *deleted (may be NULL) gets how many went. */
int store_records_trim_shard(store *s, int64_t stream_id, uint32_t shard_index, int64_t before_ms,
                             int max_rows, int *deleted);
/* How many records a shard holds (physically, expired or not). */
int store_records_count(store *s, int64_t stream_id, uint32_t shard_index, int64_t *n);
/* store_stream_delete leaves the stream's records behind (they belong to no stream: ids are never
 * reused); this deletes up to max_rows of them, in a transaction of its own unless one is open,
 * and lets their data segments go. Returns 1 when it did work (call again), 0 when nothing is left,
 * -1 on error (nothing of this call stays; the work is found again next call). *deleted (may be
 * NULL) gets how many records went. After a restart the leftovers are found from the rows. */
int store_purge_step(store *s, int max_rows, int *deleted);

/* ---- tags ---- */
typedef struct store_tag {
    char *key;
    char *value;
} store_tag;

/* All tags of a stream sorted by key (malloc'd; free with store_tags_free). */
int store_tags_get(store *s, int64_t stream_id, store_tag **out, size_t *n);
void store_tags_free(store_tag *tags, size_t n);
int store_tag_put(store *s, int64_t stream_id, const char *key, const char *value);
int store_tag_delete(store *s, int64_t stream_id, const char *key);

/* ---- enhanced fan-out consumers (schema 2) ---- */
typedef struct store_consumer {
    int64_t stream_id;
    char name[STORE_NAME_MAX];
    int64_t created_ms;      /* the ConsumerARN carries created_ms / 1000 */
    char status[16];         /* CREATING, ACTIVE, DELETING (as stored) */
    int64_t status_until_ms; /* when a transitional status ends */
} store_consumer;

/* 0 found, 1 not found, -1 error. */
int store_consumer_get(store *s, int64_t stream_id, const char *name, store_consumer *out);
int store_consumer_insert(store *s, const store_consumer *c);
/* Update status and status_until_ms. */
int store_consumer_update(store *s, const store_consumer *c);
/* Delete a consumer with its tags and resource policy. */
int store_consumer_delete(store *s, int64_t stream_id, const char *name);
/* All consumers of a stream sorted by name (malloc'd array; free()). */
int store_consumers_list(store *s, int64_t stream_id, store_consumer **out, size_t *n);
/* Consumers of an account and region still CREATING at now_ms. */
int store_consumers_creating(store *s, const char *account_id, const char *region, int64_t now_ms,
                             int64_t *count);

/* ---- tags of a resource: the stream itself (consumer NULL or "") or one of its consumers ---- */
int store_resource_tags_get(store *s, int64_t stream_id, const char *consumer, store_tag **out, size_t *n);
int store_resource_tag_put(store *s, int64_t stream_id, const char *consumer, const char *key,
                           const char *value);
int store_resource_tag_delete(store *s, int64_t stream_id, const char *consumer, const char *key);

/* ---- resource policies of a stream (consumer NULL or "") or consumer ---- */
/* 0 found (*policy malloc'd), 1 none, -1 error. */
int store_policy_get(store *s, int64_t stream_id, const char *consumer, char **policy);
int store_policy_put(store *s, int64_t stream_id, const char *consumer, const char *policy);
/* *deleted (may be NULL): 1 when a policy was there. */
int store_policy_delete(store *s, int64_t stream_id, const char *consumer, int *deleted);

/* ---- account settings (per account and region) ---- */
typedef struct store_account {
    char commitment[48];     /* MinimumThroughputBillingCommitment status: ENABLED, DISABLED,
                                ENABLED_UNTIL_EARLIEST_ALLOWED_END */
    int64_t started_ms;      /* 0 when never enabled */
    int64_t ended_ms;        /* 0 when not ended */
    int64_t earliest_end_ms; /* 0 when not enabled */
} store_account;

/* Fills *out (DISABLED and zeros when nothing is stored); 0 stored, 1 defaults, -1 error. */
int store_account_get(store *s, const char *account_id, const char *region, store_account *out);
int store_account_put(store *s, const char *account_id, const char *region, const store_account *a);

#endif
