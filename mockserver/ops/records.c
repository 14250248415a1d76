/* ops/records.c: the data plane: PutRecord, PutRecords and GetRecords.
 * A record goes to the open shard whose hash range holds MD5(partition key) (or the
 * ExplicitHashKey), gets the shard's next counter (its sequence number encodes shard and
 * counter, ids.h) and is stored in the request's single transaction. GetRecords reads one range
 * of a shard from the iterator's position, caps the answer at the Limit and 10 MiB, and at the
 * end of a closed shard answers a null NextShardIterator with the ChildShards.
 * Retention: reads skip records older than now - retention, and writes trim expired records
 * physically in small batches (stream_trim, ops/resources.h). Records written while the stream has
 * SSE-KMS on are marked and report EncryptionType KMS. A stream's MaxRecordSizeInKiB bounds a
 * record (data + partition key); above 1024 KiB a PutRecords request may carry 10 MiB. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dispatch/validate.h"
#include "ops/ops.h"
#include "ops/resources.h"
#include "shared/base64.h"
#include "simulation/simulation.h"

#define PUT_RECORDS_MAX_BYTES (5 * 1024 * 1024)
#define PUT_RECORDS_MAX_BYTES_LARGE (10 * 1024 * 1024)
#define GET_RECORDS_MAX_BYTES (10 * 1024 * 1024)
#define GET_RECORDS_DEFAULT_LIMIT 10000

/* One decoded entry of a put. */
typedef struct put_entry {
    const char *pkey;
    uint8_t *data;
    size_t len;
    u128 hash;
} put_entry;

/* Decode Data, check sizes and ExplicitHashKey, compute the hash. path names the member for
 * messages ("data" or "records.N.member.data"). 0, or -1 after sim_fail. */
static int decode_entry(sim_ctx *ctx, const store_stream *st, json_t *rec, const char *path, put_entry *e)
{
    const char *b64 = json_string_value(json_object_get(rec, "Data"));
    const char *ehk = json_string_value(json_object_get(rec, "ExplicitHashKey"));
    e->pkey = json_string_value(json_object_get(rec, "PartitionKey"));
    e->data = NULL;
    if (!b64 || !e->pkey)
        return sim_fail(
            ctx, SIM_ERR_ValidationException,
            "1 validation error detected: Value null at '%s' failed to satisfy constraint: Member "
            "must not be null",
            !b64 ? path : "partitionKey");
    if (b64_decode(b64, &e->data, &e->len) != 0)
        return sim_fail(ctx, SIM_ERR_SerializationException, "Base64 encoded data in %s is not valid base64.",
                        path);
    /* Data over the record limit is named as AWS names a blob (putRecord.js: Value
     * 'java.nio.HeapByteBuffer[pos=0 lim=N cap=N]' at 'data'). Data within it whose partition key
     * takes the record over gets the same form with the room the key leaves, which is what Data
     * failed (our wording; docs/aws-behaviour.md). */
    size_t limit = (size_t)st->max_record_kib * 1024, klen = strlen(e->pkey);
    if (e->len > limit || e->len + klen > limit)
        return sim_fail(
            ctx, SIM_ERR_ValidationException,
            "1 validation error detected: Value 'java.nio.HeapByteBuffer[pos=0 lim=%zu cap=%zu]' at '%s' "
            "failed to satisfy constraint: Member must have length less than or equal to %zu",
            e->len, e->len, path, e->len > limit ? limit : limit - klen);
    if (ehk) {
        if (u128_parse(ehk, &e->hash) != 0)
            return sim_fail(ctx, SIM_ERR_InvalidArgumentException,
                            "Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. "
                            "Specified value was %s",
                            ehk);
    } else {
        e->hash = partition_key_hash(e->pkey, strlen(e->pkey));
    }
    return 0;
}

static int stream_encrypted(const store_stream *st)
{
    return strcmp(st->encryption_type, "KMS") == 0;
}

static sim_stream_ref stream_ref(const store_stream *st)
{
    sim_stream_ref ref = {
        .name = st->name, .created_ms = st->created_ms, .on_demand = strcmp(st->mode, "ON_DEMAND") == 0};
    return ref;
}

/* Store one decoded entry in its shard; fills shard id and sequence number. The simulation
 * layer (throttling, faults) sees the entry first: batch 0 (PutRecord) fails the request,
 * batch 1 (PutRecords) may fail only this entry: returns 1 with *res filled. */
static int store_entry(sim_ctx *ctx, const store_stream *st, store_shard *shards, size_t n,
                       const put_entry *e, int batch, sim_entry_result *res, char shard_id[SHARD_ID_MAX],
                       char seq[SEQNUM_MAX])
{
    store_shard *sh = shard_for_hash(shards, n, e->hash);
    if (!sh) {
        sim_log(SIM_LOG_ERROR, "stream %s has no open shard for a hash key", st->name);
        return sim_fail(ctx, SIM_ERR_InternalFailureException, "Internal service failure.");
    }
    sim_stream_ref ref = stream_ref(st);
    int hook = sim_sim_write_record(ctx, &ref, sh->index, e->pkey, e->len + strlen(e->pkey), batch, res);
    if (hook != 0)
        return hook;
    uint64_t counter = sh->next_counter++;
    if (store_record_insert_enc(ctx->srv->store, st->id, sh->index, counter, ctx->now_ms, e->pkey, e->data,
                                e->len, stream_encrypted(st)) != 0)
        return ops_store_fail(ctx);
    if (counter % RETENTION_TRIM_EVERY == 0 && stream_trim(ctx, st, shards, n, sh->index) != 0)
        return -1;
    shard_id_format(sh->index, shard_id);
    record_seq(sh, counter, ctx->now_ms, seq);
    return 0;
}

/* Persist the next counters of the shards that took records. */
static int save_counters(sim_ctx *ctx, const store_stream *st, store_shard *shards, const uint64_t *before,
                         size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (shards[i].next_counter != before[i] &&
            store_shard_counter_moved(ctx->srv->store, st->id, shards[i].index, shards[i].next_counter) != 0)
            return ops_store_fail(ctx);
    return 0;
}

/* ---- PutRecord ---- */

int op_put_record(sim_ctx *ctx, json_t *in, json_t **out)
{
    store_stream st;
    if (stream_lookup(ctx, in, STREAM_HIDE_CREATING, &st) != 0)
        return -1;
    put_entry e;
    int rc = decode_entry(ctx, &st, in, "data", &e);
    if (rc != 0) {
        free(e.data);
        return rc;
    }
    /* SequenceNumberForOrdering as AWS reads it (wire/ids.h seqnum_read; kinesalite's putRecord.js):
     * versions 1 and 2 are taken unless their time is in the future, anything else is invalid (an
     * old-layout number too: not recorded, kept as before). */
    const char *order = json_string_value(json_object_get(in, "SequenceNumberForOrdering"));
    seqnum_info sq;
    int v = order ? seqnum_read(order, &sq) : 0;
    if (order && ((v != 1 && v != 2) || sq.arrival_s * 1000 > ctx->now_ms)) {
        free(e.data);
        return sim_fail(
            ctx, SIM_ERR_InvalidArgumentException,
            "ExclusiveMinimumSequenceNumber %s used in PutRecord on stream %s under account %s is "
            "invalid.",
            order, st.name, ctx->account_id);
    }
    store_shard *shards;
    size_t n;
    if (stream_shards(ctx, &st, &shards, &n) != 0) {
        free(e.data);
        return -1;
    }
    uint64_t *before = malloc((n ? n : 1) * sizeof *before);
    for (size_t i = 0; before && i < n; i++)
        before[i] = shards[i].next_counter;
    char shard_id[SHARD_ID_MAX], seq[SEQNUM_MAX];
    rc = before ? store_entry(ctx, &st, shards, n, &e, 0, NULL, shard_id, seq) : ops_store_fail(ctx);
    if (rc == 0)
        rc = save_counters(ctx, &st, shards, before, n);
    free(before);
    free(shards);
    free(e.data);
    if (rc != 0)
        return rc;
    *out = json_pack("{s:s, s:s}", "ShardId", shard_id, "SequenceNumber", seq);
    if (stream_encrypted(&st))
        json_object_set_new(*out, "EncryptionType", json_string("KMS"));
    return 0;
}

/* ---- PutRecords ---- */

int op_put_records(sim_ctx *ctx, json_t *in, json_t **out)
{
    store_stream st;
    if (stream_lookup(ctx, in, STREAM_HIDE_CREATING, &st) != 0)
        return -1;
    json_t *records = json_object_get(in, "Records");
    size_t count = json_array_size(records);
    if (count == 0)
        return sim_fail(ctx, SIM_ERR_ValidationException,
                        "1 validation error detected: Value null at 'records' failed to satisfy constraint: "
                        "Member must not be null");
    put_entry *entries = calloc(count, sizeof *entries);
    if (!entries)
        return ops_store_fail(ctx);
    int rc = 0;
    size_t total = 0;
    for (size_t i = 0; i < count && rc == 0; i++) {
        char path[64];
        snprintf(path, sizeof path, "records.%zu.member.data", i + 1);
        rc = decode_entry(ctx, &st, json_array_get(records, i), path, &entries[i]);
        if (rc == 0)
            total += entries[i].len + strlen(entries[i].pkey);
    }
    int large = st.max_record_kib > 1024;
    if (rc == 0 && total > (size_t)(large ? PUT_RECORDS_MAX_BYTES_LARGE : PUT_RECORDS_MAX_BYTES))
        rc = sim_fail(ctx, SIM_ERR_InvalidArgumentException, "Records size exceeds %d MB limit",
                      large ? 10 : 5);

    store_shard *shards = NULL;
    size_t n = 0;
    uint64_t *before = NULL;
    if (rc == 0)
        rc = stream_shards(ctx, &st, &shards, &n);
    if (rc == 0 && !(before = malloc((n ? n : 1) * sizeof *before)))
        rc = ops_store_fail(ctx);
    for (size_t i = 0; rc == 0 && i < n; i++)
        before[i] = shards[i].next_counter;

    json_t *results = json_array();
    int failed = 0;
    for (size_t i = 0; rc == 0 && i < count; i++) {
        char shard_id[SHARD_ID_MAX], seq[SEQNUM_MAX];
        sim_entry_result res = {.code = SIM_ERR_InternalFailure, .message = ""};
        rc = store_entry(ctx, &st, shards, n, &entries[i], 1, &res, shard_id, seq);
        if (rc == 0) {
            json_t *r = json_object();
            json_object_set_new_nocheck(r, "SequenceNumber", json_string_nocheck(seq));
            json_object_set_new_nocheck(r, "ShardId", json_string_nocheck(shard_id));
            json_array_append_new(results, r);
        } else if (rc == 1) {
            json_array_append_new(results, json_pack("{s:s, s:s}", "ErrorCode", sim_error_name(res.code),
                                                     "ErrorMessage", res.message));
            failed++;
            rc = 0;
        }
    }
    if (rc == 0)
        rc = save_counters(ctx, &st, shards, before, n);
    for (size_t i = 0; i < count; i++)
        free(entries[i].data);
    free(entries);
    free(before);
    free(shards);
    if (rc != 0) {
        json_decref(results);
        return rc;
    }
    *out = json_pack("{s:i, s:o}", "FailedRecordCount", failed, "Records", results);
    if (stream_encrypted(&st))
        json_object_set_new(*out, "EncryptionType", json_string("KMS"));
    return 0;
}

/* ---- GetRecords ---- */

/* "Thu Jan 22 01:22:02 UTC 2015", as AWS prints times in the expiry message. */
static void amz_utc(int64_t ms, char out[40])
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 40, "%a %b %d %H:%M:%S UTC %Y", &tm);
}

typedef struct read_state {
    const store_shard *sh;
    json_t *records;
    size_t bytes;
    uint64_t last_counter;
    int64_t last_arrival_ms;
    int got;
} read_state;

static int read_one(void *ud, const store_record *r)
{
    read_state *rs = ud;
    size_t size = r->data_len + strlen(r->pkey);
    if (rs->got && rs->bytes + size > GET_RECORDS_MAX_BYTES)
        return 1;
    char seq[SEQNUM_MAX];
    record_seq(rs->sh, r->counter, r->arrival_ms, seq);
    /* small records (the usual case) encode into a stack buffer, larger ones into the heap */
    char small[4096];
    size_t b64_len = 0;
    char *b64 = small;
    if (r->data_len <= (sizeof small - 1) / 4 * 3)
        b64_len = b64_encode_into(r->data, r->data_len, small, sizeof small);
    else if (!(b64 = b64_encode(r->data, r->data_len, &b64_len)))
        return 1;
    /* built member by member, without json_pack's format parsing or UTF-8 checks: the sequence
     * number and base64 are ASCII, and the partition key was checked as UTF-8 when it was put */
    json_t *rec = json_object();
    json_object_set_new_nocheck(rec, "SequenceNumber", json_string_nocheck(seq));
    json_object_set_new_nocheck(rec, "ApproximateArrivalTimestamp", epoch_seconds_json(r->arrival_ms));
    json_object_set_new_nocheck(rec, "Data", json_stringn_nocheck(b64, b64_len));
    json_object_set_new_nocheck(rec, "PartitionKey", json_string_nocheck(r->pkey));
    if (r->encrypted)
        json_object_set_new_nocheck(rec, "EncryptionType", json_string_nocheck("KMS"));
    json_array_append_new(rs->records, rec);
    if (b64 != small)
        free(b64);
    rs->bytes += size;
    rs->last_counter = r->counter;
    rs->last_arrival_ms = r->arrival_ms;
    rs->got++;
    return 0;
}

int op_get_records(sim_ctx *ctx, json_t *in, json_t **out)
{
    const char *token = json_string_value(json_object_get(in, "ShardIterator"));
    iterator_pos pos;
    if (!token || iterator_decode(ctx->srv->iterator_key, token, &pos) != 0 ||
        strcmp(pos.account_id, ctx->account_id) != 0 || strcmp(pos.region, ctx->region) != 0)
        return sim_fail(ctx, SIM_ERR_InvalidArgumentException, "Invalid ShardIterator.");
    if (ctx->now_ms - pos.issued_ms > ITERATOR_TTL_MS) {
        char t1[40], t2[40];
        amz_utc(pos.issued_ms, t1);
        amz_utc(ctx->now_ms, t2);
        return sim_fail(
            ctx, SIM_ERR_ExpiredIteratorException,
            "Iterator expired. The iterator was created at time %s while right now it is %s which is "
            "further in the future than the tolerated delay of %d milliseconds.",
            t1, t2, ITERATOR_TTL_MS);
    }
    char shard_id[SHARD_ID_MAX];
    shard_id_format(pos.shard_index, shard_id);
    store_stream st;
    int rc = stream_find(ctx, pos.stream_name, &st);
    if (rc < 0)
        return ops_store_fail(ctx);
    if (rc > 0 || st.created_ms != pos.stream_created_ms)
        return sim_fail(ctx, SIM_ERR_ResourceNotFoundException,
                        "Shard %s in stream %s under account %s does not exist", shard_id, pos.stream_name,
                        ctx->account_id);
    store_shard *shards;
    size_t n;
    if (stream_shards(ctx, &st, &shards, &n) != 0)
        return -1;
    store_shard *sh = shard_by_index(shards, n, pos.shard_index);
    if (!sh) {
        free(shards);
        return sim_fail(ctx, SIM_ERR_ResourceNotFoundException,
                        "Shard %s in stream %s under account %s does not exist", shard_id, pos.stream_name,
                        ctx->account_id);
    }
    sim_stream_ref ref = stream_ref(&st);
    if (sim_sim_read_begin(ctx, &ref, sh->index) != 0) {
        free(shards);
        return -1;
    }
    json_t *jlimit = json_object_get(in, "Limit");
    int limit = json_is_number(jlimit) ? (int)sim_validate_integer(jlimit) : GET_RECORDS_DEFAULT_LIMIT;
    if (limit < 1 || limit > GET_RECORDS_DEFAULT_LIMIT)
        limit = GET_RECORDS_DEFAULT_LIMIT;
    int64_t min_arrival = stream_trim_horizon_ms(ctx, &st);

    read_state rs = {.sh = sh, .records = json_array()};
    if (store_records_scan(ctx->srv->store, st.id, sh->index, pos.next_counter, min_arrival, limit, read_one,
                           &rs) != 0) {
        json_decref(rs.records);
        free(shards);
        return ops_store_fail(ctx);
    }
    sim_sim_read_end(ctx, &ref, sh->index, (uint64_t)rs.got, rs.bytes);
    uint64_t next = rs.got ? rs.last_counter + 1 : pos.next_counter;
    /* nothing readable from the position on (a TRIM_HORIZON position 0 of an empty shard, or only
     * expired records) is caught up too */
    int caught_up = rs.got == 0 || next >= sh->next_counter;

    *out = json_object();
    json_object_set_new(*out, "Records", rs.records);
    if (sh->closed_ms && caught_up) {
        json_object_set_new(*out, "NextShardIterator", json_null());
        json_object_set_new(*out, "MillisBehindLatest", json_integer(0));
        json_object_set_new(*out, "ChildShards", child_shards_json(shards, n, sh->index));
    } else {
        iterator_pos np = pos;
        np.next_counter = next;
        np.issued_ms = ctx->now_ms;
        char it[ITERATOR_MAX];
        if (iterator_encode(ctx->srv->iterator_key, &np, it) != 0) {
            free(shards);
            return sim_fail(ctx, SIM_ERR_InternalFailureException, "Internal service failure.");
        }
        json_object_set_new(*out, "NextShardIterator", json_string(it));
        int64_t behind = (!caught_up && rs.got) ? ctx->now_ms - rs.last_arrival_ms : 0;
        json_object_set_new(*out, "MillisBehindLatest", json_integer(behind < 0 ? 0 : behind));
    }
    free(shards);
    return 0;
}
