/* test_retention.c: retention over time on the virtual clock: reads skip records older than
 * now - retention, writes trim expired records physically in small batches (also in closed
 * shards), closed shards leave DescribeStream/ListShards/GetShardIterator once closed_ms +
 * retention has passed while children still name them as parents; and the store's migration of
 * a schema-1 database (this test writes one with SQLite directly, as store.c did before). */
#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ops/resources.h"
#include "ops_fixture.h"

#define DAY_MS (INT64_C(24) * 3600 * 1000)
#define HALF "170141183460469231731687303715884105728"

static fx f;
static void setup(void)
{
    fx_init(&f, ":memory:");
}
static void teardown(void)
{
    fx_fini(&f);
}
TestSuite(retention, .init = setup, .fini = teardown);

static int64_t stored(const char *stream, uint32_t shard)
{
    store_stream st;
    cr_assert_eq(store_stream_get(f.srv.store, FX_ACCOUNT, FX_REGION, stream, &st), 0);
    int64_t n;
    cr_assert_eq(store_records_count(f.srv.store, st.id, shard, &n), 0);
    return n;
}

static json_t *records_from(const char *stream, const char *shard, const char *type)
{
    char *it = fx_iterator(&f, stream, shard, type);
    json_t *out = fx_call(&f, op_get_records, "GetRecords", "{\"ShardIterator\":\"%s\"}", it);
    cr_assert_not_null(out, "%s", f.ctx.err_msg);
    free(it);
    return out;
}

Test(retention, expired_records_are_skipped_then_trimmed_by_writes)
{
    fx_stream(&f, "s", 1);
    for (int i = 0; i < 10; i++)
        free(fx_put(&f, "s", "k", "b2xk", NULL)); /* "old" */
    fx_advance(&f, DAY_MS - 1000);
    free(fx_put(&f, "s", "k", "bmV3", NULL)); /* "new", 1 s before the old ones expire */
    fx_advance(&f, 1001);

    json_t *out = records_from("s", "shardId-000000000000", "TRIM_HORIZON");
    json_t *recs = json_object_get(out, "Records");
    cr_assert_eq(json_array_size(recs), 1, "only the record inside the retention window");
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(recs, 0), "Data")), "bmV3");
    json_decref(out);
    /* AT_TIMESTAMP before the trim horizon reads from the horizon */
    char *it;
    out = fx_call(
        &f, op_get_shard_iterator, "GetShardIterator",
        "{\"StreamName\":\"s\",\"ShardId\":\"shardId-000000000000\",\"ShardIteratorType\":\"AT_TIMESTAMP\","
        "\"Timestamp\":%lld}",
        (long long)(FX_T0_MS / 1000));
    it = strdup(json_string_value(json_object_get(out, "ShardIterator")));
    json_decref(out);
    out = fx_call(&f, op_get_records, "GetRecords", "{\"ShardIterator\":\"%s\"}", it);
    cr_assert_eq(json_array_size(json_object_get(out, "Records")), 1);
    json_decref(out);
    free(it);

    /* still physically there: trimming runs every RETENTION_TRIM_EVERY-th record of a shard */
    cr_assert_eq(stored("s", 0), 11);
    for (int i = 11; i < RETENTION_TRIM_EVERY - 1; i++)
        free(fx_put(&f, "s", "k", "bmV3", NULL));
    cr_assert_eq(stored("s", 0), RETENTION_TRIM_EVERY - 1);
    free(fx_put(&f, "s", "k", "bmV3", NULL)); /* counter 64 */
    cr_assert_eq(stored("s", 0), RETENTION_TRIM_EVERY - 10, "the 10 expired records are gone");
}

Test(retention, longer_retention_keeps_records)
{
    fx_stream(&f, "s", 1);
    free(fx_put(&f, "s", "k", "b2xk", NULL));
    json_decref(fx_call(&f, op_increase_stream_retention_period, "IncreaseStreamRetentionPeriod",
                        "{\"StreamName\":\"s\",\"RetentionPeriodHours\":48}"));
    fx_advance(&f, DAY_MS + 1);
    json_t *out = records_from("s", "shardId-000000000000", "TRIM_HORIZON");
    cr_assert_eq(json_array_size(json_object_get(out, "Records")), 1);
    json_decref(out);
    for (int i = 1; i < RETENTION_TRIM_EVERY; i++)
        free(fx_put(&f, "s", "k", "bmV3", NULL));
    cr_assert_eq(stored("s", 0), RETENTION_TRIM_EVERY, "nothing expired, nothing trimmed");
}

static size_t listed_shards(void)
{
    json_t *out = fx_call(&f, op_list_shards, "ListShards", "{\"StreamName\":\"s\"}");
    cr_assert_not_null(out, "%s", f.ctx.err_msg);
    size_t n = json_array_size(json_object_get(out, "Shards"));
    json_decref(out);
    return n;
}

Test(retention, closed_shards_disappear_after_retention)
{
    fx_stream(&f, "s", 1);
    for (int i = 0; i < 3; i++)
        free(fx_put(&f, "s", "k", "b2xk", NULL));
    json_decref(fx_call(
        &f, op_split_shard, "SplitShard",
        "{\"StreamName\":\"s\",\"ShardToSplit\":\"shardId-000000000000\",\"NewStartingHashKey\":\"" HALF
        "\"}"));
    cr_assert_not(f.ctx.err_set, "%s", f.ctx.err_msg);
    fx_advance(&f, DAY_MS - 1000);
    cr_assert_eq(listed_shards(), 3);
    char *it = fx_iterator(&f, "s", "shardId-000000000000", "TRIM_HORIZON");
    free(it);
    fx_advance(&f, 2000);

    cr_assert_eq(listed_shards(), 2);
    json_t *out = fx_call(&f, op_describe_stream, "DescribeStream", "{\"StreamName\":\"s\"}");
    json_t *shards = json_object_get(json_object_get(out, "StreamDescription"), "Shards");
    cr_assert_eq(json_array_size(shards), 2);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(shards, 0), "ShardId")),
                     "shardId-000000000001");
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(shards, 0), "ParentShardId")),
                     "shardId-000000000000", "children still name their parent");
    json_decref(out);
    fx_error(
        &f, op_get_shard_iterator, "GetShardIterator", SIM_ERR_ResourceNotFoundException,
        "{\"StreamName\":\"s\",\"ShardId\":\"shardId-000000000000\",\"ShardIteratorType\":\"TRIM_HORIZON\"}");
    out = fx_call(&f, op_list_shards, "ListShards",
                  "{\"StreamName\":\"s\",\"ShardFilter\":{\"Type\":\"FROM_TRIM_HORIZON\"}}");
    cr_assert_eq(json_array_size(json_object_get(out, "Shards")), 2);
    json_decref(out);

    /* the parent's records go physically with the next trimming write */
    cr_assert_eq(stored("s", 0), 3);
    for (int i = 0; i < RETENTION_TRIM_EVERY; i++)
        free(fx_put(&f, "s", "k", "bmV3", NULL));
    cr_assert_eq(stored("s", 0), 0);
}

Test(retention, helpers_compute_the_horizon)
{
    store_stream st = {.retention_hours = 24};
    store_shard open = {.closed_ms = 0}, closed = {.closed_ms = FX_T0_MS};
    f.ctx.now_ms = FX_T0_MS + DAY_MS;
    cr_assert_eq(stream_trim_horizon_ms(&f.ctx, &st), FX_T0_MS);
    cr_assert_not(shard_expired(&f.ctx, &st, &open));
    cr_assert_not(shard_expired(&f.ctx, &st, &closed), "closed exactly at the horizon still shows");
    f.ctx.now_ms += 1;
    cr_assert(shard_expired(&f.ctx, &st, &closed));
    cr_assert_not(shard_expired(&f.ctx, &st, &open));
}

/* ---- schema 1 -> 2 migration ---- */

static const char v1_schema[] =
    "CREATE TABLE schema_version (version INTEGER NOT NULL);"
    "INSERT INTO schema_version VALUES (1);"
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);"
    "CREATE TABLE streams (id INTEGER PRIMARY KEY AUTOINCREMENT, account_id TEXT NOT NULL, region TEXT NOT "
    "NULL,"
    " name TEXT NOT NULL, created_ms INTEGER NOT NULL, status TEXT NOT NULL, status_until_ms INTEGER NOT "
    "NULL,"
    " mode TEXT NOT NULL, retention_hours INTEGER NOT NULL, next_shard_index INTEGER NOT NULL,"
    " max_record_kib INTEGER NOT NULL, UNIQUE(account_id, region, name));"
    "CREATE TABLE shards (stream_id INTEGER NOT NULL, shard_index INTEGER NOT NULL, created_ms INTEGER NOT "
    "NULL,"
    " start_hash TEXT NOT NULL, end_hash TEXT NOT NULL, parent INTEGER NOT NULL, adjacent_parent INTEGER NOT "
    "NULL,"
    " closed_ms INTEGER NOT NULL, next_counter INTEGER NOT NULL, PRIMARY KEY(stream_id, shard_index)) "
    "WITHOUT ROWID;"
    "CREATE TABLE records (stream_id INTEGER NOT NULL, shard_index INTEGER NOT NULL, counter INTEGER NOT "
    "NULL,"
    " arrival_ms INTEGER NOT NULL, pkey TEXT NOT NULL, data BLOB NOT NULL,"
    " PRIMARY KEY(stream_id, shard_index, counter)) WITHOUT ROWID;"
    "CREATE TABLE tags (stream_id INTEGER NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,"
    " PRIMARY KEY(stream_id, key)) WITHOUT ROWID;"
    "INSERT INTO streams VALUES (1, '" FX_ACCOUNT "', '" FX_REGION "', 'old', 1700000000000, 'ACTIVE', 0,"
    " 'PROVISIONED', 24, 1, 1024);"
    "INSERT INTO shards VALUES (1, 0, 1700000000000, '0', '340282366920938463463374607431768211455', -1, -1, "
    "0, 2);"
    "INSERT INTO records VALUES (1, 0, 1, 1700000000000, 'k', x'6f6c64');";

Test(retention, schema_1_database_is_migrated)
{
    char path[128];
    snprintf(path, sizeof path, "/tmp/kinesis-sim-test-migrate-%d.db", (int)getpid());
    unlink(path);
    sqlite3 *db;
    cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
    cr_assert_eq(sqlite3_exec(db, v1_schema, NULL, NULL, NULL), SQLITE_OK, "%s", sqlite3_errmsg(db));
    sqlite3_close(db);

    fx g;
    fx_init(&g, path);
    json_t *out =
        fx_call(&g, op_describe_stream_summary, "DescribeStreamSummary", "{\"StreamName\":\"old\"}");
    cr_assert_not_null(out, "%s", g.ctx.err_msg);
    json_t *d = json_object_get(out, "StreamDescriptionSummary");
    cr_assert_str_eq(json_string_value(json_object_get(d, "EncryptionType")), "NONE");
    cr_assert_eq(json_integer_value(json_object_get(d, "ConsumerCount")), 0);
    json_decref(out);
    out = fx_call(&g, op_register_stream_consumer, "RegisterStreamConsumer",
                  "{\"StreamARN\":\"arn:aws:kinesis:" FX_REGION ":" FX_ACCOUNT
                  ":stream/old\",\"ConsumerName\":\"c\"}");
    cr_assert_not_null(out, "the new tables exist: %s", g.ctx.err_msg);
    json_decref(out);
    sim_clock_set_ms(g.srv.clock, 1700000001000);
    char *it = fx_iterator(&g, "old", "shardId-000000000000", "TRIM_HORIZON");
    out = fx_call(&g, op_get_records, "GetRecords", "{\"ShardIterator\":\"%s\"}", it);
    json_t *recs = json_object_get(out, "Records");
    cr_assert_eq(json_array_size(recs), 1);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(recs, 0), "Data")), "b2xk");
    cr_assert_null(json_object_get(json_array_get(recs, 0), "EncryptionType"));
    json_decref(out);
    free(it);
    fx_fini(&g);

    /* reopening a migrated database is a no-op */
    char err[256] = "";
    store *s = store_open(path, err, sizeof err);
    cr_assert_not_null(s, "%s", err);
    store_close(s);
    char p[160];
    unlink(path);
    snprintf(p, sizeof p, "%s-wal", path);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", path);
    unlink(p);
}
