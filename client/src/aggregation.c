/* aggregation.c: the KPL aggregated record format (docs: client/src/kpl_aggregation.proto).
 * One Kinesis record carries many user records as
 *     F3 89 9A C2 | AggregatedRecord (protobuf) | MD5 of the protobuf bytes (16 bytes)
 * where AggregatedRecord holds a table of partition keys, a table of explicit hash keys and the
 * records, each naming its keys by index. The protobuf side is protobuf-c's code generated from
 * the .proto at build time; this file adds the framing, the size arithmetic the producer needs to
 * fill a record up to its limit without encoding it again and again (kc_agg), and the
 * de-aggregation the consumer applies to every record it reads.
 * Byte compatibility: tables list keys in order of first use and fields are written in field
 * order, as the KPL and aws-kinesis-agg do; fixtures/kpl/ holds records made by aws-kinesis-agg and
 * the unit tests check both directions byte for byte. */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "internal.h"
#include "kpl_aggregation.pb-c.h"

static const uint8_t magic[KC_AGG_MAGIC_LEN] = {0xF3, 0x89, 0x9A, 0xC2};

static int md5(const uint8_t *data, size_t len, uint8_t out[KC_AGG_MD5_LEN])
{
    unsigned int n = 0;
    return EVP_Digest(data, len, out, &n, EVP_md5(), NULL) == 1 && n == KC_AGG_MD5_LEN ? 0 : -1;
}

size_t kc_varint_size(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

/* ------------------------------------------------------------------ key tables */

/* An index of strings by value: the order of first use is the index (the table on the wire). */
typedef struct key_table {
    const char **keys; /* borrowed, in index order */
    size_t count, cap;
    uint32_t *slots; /* open addressing: index + 1, 0 = empty */
    size_t n_slots;  /* a power of two, at least twice count */
} key_table;

static uint32_t fnv1a(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 16777619u;
    return h;
}

static void key_table_clean_up(key_table *t)
{
    free(t->keys);
    free(t->slots);
    memset(t, 0, sizeof *t);
}

/* The index of s, or -1. */
static long key_table_find(const key_table *t, const char *s)
{
    if (!t->n_slots)
        return -1;
    for (size_t i = fnv1a(s) & (t->n_slots - 1);; i = (i + 1) & (t->n_slots - 1)) {
        uint32_t v = t->slots[i];
        if (!v)
            return -1;
        if (strcmp(t->keys[v - 1], s) == 0)
            return (long)(v - 1);
    }
}

static int key_table_grow(key_table *t)
{
    size_t n = t->n_slots ? t->n_slots * 2 : 64;
    uint32_t *slots = calloc(n, sizeof *slots);
    if (!slots)
        return -1;
    for (size_t k = 0; k < t->count; k++) {
        size_t i = fnv1a(t->keys[k]) & (n - 1);
        while (slots[i])
            i = (i + 1) & (n - 1);
        slots[i] = (uint32_t)(k + 1);
    }
    free(t->slots);
    t->slots = slots;
    t->n_slots = n;
    return 0;
}

/* The index of s, adding it (borrowed) when new. -1 when out of memory. */
static long key_table_add(key_table *t, const char *s)
{
    long found = key_table_find(t, s);
    if (found >= 0)
        return found;
    if ((t->count + 1) * 2 > t->n_slots && key_table_grow(t) != 0)
        return -1;
    if (t->count == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        const char **keys = realloc(t->keys, cap * sizeof *keys);
        if (!keys)
            return -1;
        t->keys = keys;
        t->cap = cap;
    }
    t->keys[t->count] = s;
    size_t i = fnv1a(s) & (t->n_slots - 1);
    while (t->slots[i])
        i = (i + 1) & (t->n_slots - 1);
    t->slots[i] = (uint32_t)(t->count + 1);
    return (long)t->count++;
}

/* ------------------------------------------------------------------ sizes (kc_agg) */

struct kc_agg {
    key_table pk, ehk;
    size_t message_size; /* the AggregatedRecord's encoded size so far */
    size_t count;
};

kc_agg *kc_agg_new(void)
{
    return calloc(1, sizeof(kc_agg));
}

void kc_agg_reset(kc_agg *a)
{
    if (!a)
        return;
    key_table_clean_up(&a->pk);
    key_table_clean_up(&a->ehk);
    a->message_size = 0;
    a->count = 0;
}

void kc_agg_free(kc_agg *a)
{
    kc_agg_reset(a);
    free(a);
}

size_t kc_agg_count(const kc_agg *a)
{
    return a->count;
}

/* How much the message grows by one record (a field-1/2 string when a key is new, then the field-3
 * Record: tag, length, and its own fields). */
static size_t growth(const kc_agg *a, const char *pk, const char *ehk, size_t data_len)
{
    size_t add = 0;
    long pi = key_table_find(&a->pk, pk);
    if (pi < 0) {
        size_t l = strlen(pk);
        add += 1 + kc_varint_size(l) + l;
        pi = (long)a->pk.count;
    }
    size_t inner = 1 + kc_varint_size((uint64_t)pi) + 1 + kc_varint_size(data_len) + data_len;
    if (ehk) {
        long ei = key_table_find(&a->ehk, ehk);
        if (ei < 0) {
            size_t l = strlen(ehk);
            add += 1 + kc_varint_size(l) + l;
            ei = (long)a->ehk.count;
        }
        inner += 1 + kc_varint_size((uint64_t)ei);
    }
    return add + 1 + kc_varint_size(inner) + inner;
}

size_t kc_agg_size(const kc_agg *a)
{
    return KC_AGG_MAGIC_LEN + a->message_size + KC_AGG_MD5_LEN;
}

size_t kc_agg_size_with(const kc_agg *a, const char *pk, const char *ehk, size_t data_len)
{
    return kc_agg_size(a) + growth(a, pk, ehk, data_len);
}

int kc_agg_add(kc_agg *a, const char *pk, const char *ehk, size_t data_len)
{
    size_t g = growth(a, pk, ehk, data_len);
    if (key_table_add(&a->pk, pk) < 0 || (ehk && key_table_add(&a->ehk, ehk) < 0))
        return -1;
    a->message_size += g;
    a->count++;
    return 0;
}

/* ------------------------------------------------------------------ encode */

static kinesis_error *bad_arg(const char *what)
{
    return kc_err(KINESIS_ERROR_LIBRARY, KINESIS_ERR_INVALID_PARAMETER, 0, "%s", what);
}

kinesis_error *kinesis_aggregate(const kinesis_record *records, size_t n, uint8_t **out, size_t *out_len)
{
    if (out)
        *out = NULL;
    if (out_len)
        *out_len = 0;
    if (!out || !out_len)
        return bad_arg("Non empty argument required: out, out_len");
    if (!records || n == 0)
        return bad_arg("Non empty argument required: records");
    for (size_t i = 0; i < n; i++)
        if (!records[i].partition_key || !*records[i].partition_key ||
            (records[i].data_len && !records[i].data))
            return bad_arg("Non empty argument required: records[].partition_key and data");
    kinesis_error *err = NULL;
    key_table pk = {0}, ehk = {0};
    Kinesis__Kpl__Record *recs = calloc(n, sizeof *recs);
    Kinesis__Kpl__Record **ptrs = calloc(n, sizeof *ptrs);
    uint8_t *buf = NULL;
    if (!recs || !ptrs)
        goto nomem;
    for (size_t i = 0; i < n; i++) {
        const kinesis_record *r = &records[i];
        kinesis__kpl__record__init(&recs[i]);
        long pi = key_table_add(&pk, r->partition_key);
        if (pi < 0)
            goto nomem;
        recs[i].partition_key_index = (uint64_t)pi;
        if (r->explicit_hash_key) {
            long ei = key_table_add(&ehk, r->explicit_hash_key);
            if (ei < 0)
                goto nomem;
            recs[i].has_explicit_hash_key_index = 1;
            recs[i].explicit_hash_key_index = (uint64_t)ei;
        }
        recs[i].data.data = (uint8_t *)r->data;
        recs[i].data.len = r->data_len;
        ptrs[i] = &recs[i];
    }
    Kinesis__Kpl__AggregatedRecord ar = KINESIS__KPL__AGGREGATED_RECORD__INIT;
    ar.n_partition_key_table = pk.count;
    ar.partition_key_table = (char **)pk.keys;
    ar.n_explicit_hash_key_table = ehk.count;
    ar.explicit_hash_key_table = (char **)ehk.keys;
    ar.n_records = n;
    ar.records = ptrs;
    size_t msg = kinesis__kpl__aggregated_record__get_packed_size(&ar);
    size_t total = KC_AGG_MAGIC_LEN + msg + KC_AGG_MD5_LEN;
    buf = malloc(total);
    if (!buf)
        goto nomem;
    memcpy(buf, magic, KC_AGG_MAGIC_LEN);
    kinesis__kpl__aggregated_record__pack(&ar, buf + KC_AGG_MAGIC_LEN);
    if (md5(buf + KC_AGG_MAGIC_LEN, msg, buf + KC_AGG_MAGIC_LEN + msg) != 0) {
        err =
            kc_err(KINESIS_ERROR_LIBRARY, KINESIS_ERR_CONFIGURATION, 0, "MD5 is not available from OpenSSL");
        free(buf);
        goto out;
    }
    *out = buf;
    *out_len = total;
    goto out;
nomem:
    err = kc_err_nomem();
out:
    key_table_clean_up(&pk);
    key_table_clean_up(&ehk);
    free(recs);
    free(ptrs);
    return err;
}

/* ------------------------------------------------------------------ decode */

int kinesis_is_aggregated(const void *data, size_t len)
{
    const uint8_t *p = data;
    if (!p || len < KC_AGG_MAGIC_LEN + KC_AGG_MD5_LEN || memcmp(p, magic, KC_AGG_MAGIC_LEN) != 0)
        return 0;
    uint8_t sum[KC_AGG_MD5_LEN];
    size_t msg = len - KC_AGG_MAGIC_LEN - KC_AGG_MD5_LEN;
    if (md5(p + KC_AGG_MAGIC_LEN, msg, sum) != 0)
        return 0;
    return memcmp(sum, p + len - KC_AGG_MD5_LEN, KC_AGG_MD5_LEN) == 0;
}

void kinesis_user_records_free(kinesis_user_record *records, size_t count)
{
    if (!records)
        return;
    for (size_t i = 0; i < count; i++) {
        free(records[i].data);
        free(records[i].partition_key);
        free(records[i].explicit_hash_key);
        free(records[i].sequence_number);
    }
    free(records);
}

static uint8_t *dup_bytes(const uint8_t *p, size_t n)
{
    uint8_t *d = malloc(n + 1); /* NUL-terminated for convenience, like kinesis_read_record.data */
    if (!d)
        return NULL;
    if (n)
        memcpy(d, p, n);
    d[n] = 0;
    return d;
}

/* The record as one user record (not aggregated, or not decodable as one). */
static kinesis_error *pass_through(const kinesis_read_record *rec, kinesis_user_record **out, size_t *count)
{
    kinesis_user_record *u = calloc(1, sizeof *u);
    if (!u)
        return kc_err_nomem();
    u->data = dup_bytes(rec->data, rec->data_len);
    u->data_len = rec->data_len;
    u->partition_key = kc_strdup(rec->partition_key);
    u->sequence_number = kc_strdup(rec->sequence_number);
    u->arrival_ms = rec->arrival_ms;
    if (!u->data || (rec->partition_key && !u->partition_key) ||
        (rec->sequence_number && !u->sequence_number)) {
        kinesis_user_records_free(u, 1);
        return kc_err_nomem();
    }
    *out = u;
    *count = 1;
    return NULL;
}

kinesis_error *kinesis_deaggregate(const kinesis_read_record *rec, kinesis_user_record **out, size_t *count)
{
    if (out)
        *out = NULL;
    if (count)
        *count = 0;
    if (!rec || !out || !count)
        return bad_arg("Non empty argument required: record, out, count");
    /* A record that does not carry the magic and a matching MD5 is passed through as it is, as the
     * KCL does: a user record may begin with the magic by chance. */
    if (!kinesis_is_aggregated(rec->data, rec->data_len))
        return pass_through(rec, out, count);
    size_t msg = rec->data_len - KC_AGG_MAGIC_LEN - KC_AGG_MD5_LEN;
    Kinesis__Kpl__AggregatedRecord *ar =
        kinesis__kpl__aggregated_record__unpack(NULL, msg, rec->data + KC_AGG_MAGIC_LEN);
    if (!ar) /* the checksum matched but the protobuf did not parse: not ours to guess at */
        return kc_err(KINESIS_ERROR_UNEXPECTED_RESPONSE, KINESIS_ERR_MALFORMED, 0,
                      "record %s: aggregated record (KPL magic and MD5) whose protobuf does not decode",
                      rec->sequence_number ? rec->sequence_number : "?");
    kinesis_error *err = NULL;
    for (size_t i = 0; i < ar->n_records && !err; i++) {
        const Kinesis__Kpl__Record *r = ar->records[i];
        if (r->partition_key_index >= ar->n_partition_key_table ||
            (r->has_explicit_hash_key_index && r->explicit_hash_key_index >= ar->n_explicit_hash_key_table))
            err = kc_err(KINESIS_ERROR_UNEXPECTED_RESPONSE, KINESIS_ERR_MALFORMED, 0,
                         "record %s: user record %zu names a key beyond its table",
                         rec->sequence_number ? rec->sequence_number : "?", i);
    }
    kinesis_user_record *u = err || ar->n_records == 0 ? NULL : calloc(ar->n_records, sizeof *u);
    if (!err && ar->n_records && !u)
        err = kc_err_nomem();
    for (size_t i = 0; !err && i < ar->n_records; i++) {
        const Kinesis__Kpl__Record *r = ar->records[i];
        u[i].data = dup_bytes(r->data.data, r->data.len);
        u[i].data_len = r->data.len;
        u[i].partition_key = kc_strdup(ar->partition_key_table[r->partition_key_index]);
        if (r->has_explicit_hash_key_index)
            u[i].explicit_hash_key = kc_strdup(ar->explicit_hash_key_table[r->explicit_hash_key_index]);
        u[i].sequence_number = kc_strdup(rec->sequence_number);
        u[i].sub_sequence_number = i;
        u[i].aggregated = 1;
        u[i].arrival_ms = rec->arrival_ms;
        if (!u[i].data || !u[i].partition_key ||
            (r->has_explicit_hash_key_index && !u[i].explicit_hash_key) ||
            (rec->sequence_number && !u[i].sequence_number))
            err = kc_err_nomem();
    }
    size_t n = ar->n_records;
    kinesis__kpl__aggregated_record__free_unpacked(ar, NULL);
    if (err) {
        kinesis_user_records_free(u, n);
        return err;
    }
    *out = u;
    *count = n;
    return NULL;
}
