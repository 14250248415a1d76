/* test_store.c: the SQLite store on its own and across a restart: schema version, server key
 * kept, streams/shards/records/tags persisted in a file database and read back after reopening,
 * store_reset of one stream and of everything. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ids.h"
#include "ops_fixture.h"

static char path[128];
static void setup(void)
{
    snprintf(path, sizeof path, "/tmp/kinesis-sim-test-store-%d.db", (int)getpid());
    unlink(path);
}
static void teardown(void)
{
    char p[160];
    unlink(path);
    snprintf(p, sizeof p, "%s-wal", path);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", path);
    unlink(p);
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
