/* test_aggregation.c: the KPL aggregated record format (client/src/aggregation.c) against records
 * that aws-kinesis-agg made (fixtures/kpl/, see its README.md): ours decodes theirs, and ours
 * encodes their inputs to the same bytes. Also the size arithmetic the producer fills records
 * with, the pass-through rules of de-aggregation, and the hash keys that predict shards. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "kinesis/kinesis.h"

static const char *const fixtures[] = {"three-keys", "explicit-hash-keys", "binary-and-large", "single"};
#define N_FIXTURES (sizeof fixtures / sizeof *fixtures)

static uint8_t *slurp(const char *name, const char *ext, size_t *len)
{
    char path[256];
    const char *dir = getenv("KINESIS_KPL_FIXTURES");
    snprintf(path, sizeof path, "%s/%s.%s", dir && *dir ? dir : "fixtures/kpl", name, ext);
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s (run from the repository root)", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc((size_t)n + 1);
    cr_assert_not_null(b);
    cr_assert_eq(fread(b, 1, (size_t)n, f), (size_t)n);
    b[n] = 0;
    fclose(f);
    *len = (size_t)n;
    return b;
}

typedef struct fixture {
    uint8_t *bin;
    size_t bin_len;
    json_t *desc;
    size_t n;
    kinesis_record *recs;
    uint8_t **datas;
} fixture;

static void load(const char *name, fixture *fx)
{
    memset(fx, 0, sizeof *fx);
    fx->bin = slurp(name, "bin", &fx->bin_len);
    size_t jl = 0;
    char *js = (char *)slurp(name, "json", &jl);
    fx->desc = json_loads(js, 0, NULL);
    free(js);
    cr_assert_not_null(fx->desc, "%s.json is not JSON", name);
    json_t *recs = json_object_get(fx->desc, "records");
    fx->n = json_array_size(recs);
    cr_assert(fx->n > 0);
    fx->recs = calloc(fx->n, sizeof *fx->recs);
    fx->datas = calloc(fx->n, sizeof *fx->datas);
    for (size_t i = 0; i < fx->n; i++) {
        json_t *r = json_array_get(recs, i);
        size_t dl = 0;
        fx->datas[i] = kc_base64_decode(json_string_value(json_object_get(r, "data_base64")), &dl);
        cr_assert_not_null(fx->datas[i]);
        fx->recs[i].data = fx->datas[i];
        fx->recs[i].data_len = dl;
        fx->recs[i].partition_key = json_string_value(json_object_get(r, "partition_key"));
        fx->recs[i].explicit_hash_key = json_string_value(json_object_get(r, "explicit_hash_key"));
    }
}

static void unload(fixture *fx)
{
    for (size_t i = 0; i < fx->n; i++)
        free(fx->datas[i]);
    free(fx->datas);
    free(fx->recs);
    json_decref(fx->desc);
    free(fx->bin);
}

Test(aggregation, decodes_aws_kinesis_agg_records)
{
    for (size_t f = 0; f < N_FIXTURES; f++) {
        fixture fx;
        load(fixtures[f], &fx);
        cr_assert(kinesis_is_aggregated(fx.bin, fx.bin_len), "%s: not seen as aggregated", fixtures[f]);
        kinesis_read_record rr = {
            fx.bin, fx.bin_len, "outer", "4960000000000000001", 1700000000000, KINESIS_ENCRYPTION_NONE};
        kinesis_user_record *u = NULL;
        size_t n = 0;
        kinesis_error *err = kinesis_deaggregate(&rr, &u, &n);
        cr_assert_null(err, "%s: %s", fixtures[f], err ? err->message : "");
        cr_assert_eq(n, fx.n, "%s: %zu user records, expected %zu", fixtures[f], n, fx.n);
        for (size_t i = 0; i < n; i++) {
            cr_expect_eq(u[i].data_len, fx.recs[i].data_len, "%s[%zu] length", fixtures[f], i);
            cr_expect(memcmp(u[i].data, fx.recs[i].data, u[i].data_len) == 0, "%s[%zu] data", fixtures[f], i);
            cr_expect_str_eq(u[i].partition_key, fx.recs[i].partition_key);
            if (fx.recs[i].explicit_hash_key)
                cr_expect_str_eq(u[i].explicit_hash_key, fx.recs[i].explicit_hash_key);
            else
                cr_expect_null(u[i].explicit_hash_key);
            cr_expect_str_eq(u[i].sequence_number, "4960000000000000001");
            cr_expect_eq(u[i].sub_sequence_number, i);
            cr_expect_eq(u[i].aggregated, 1);
            cr_expect_eq(u[i].arrival_ms, 1700000000000);
        }
        kinesis_user_records_free(u, n);
        unload(&fx);
    }
}

Test(aggregation, encodes_the_same_bytes_as_aws_kinesis_agg)
{
    for (size_t f = 0; f < N_FIXTURES; f++) {
        fixture fx;
        load(fixtures[f], &fx);
        uint8_t *out = NULL;
        size_t len = 0;
        kinesis_error *err = kinesis_aggregate(fx.recs, fx.n, &out, &len);
        cr_assert_null(err, "%s: %s", fixtures[f], err ? err->message : "");
        cr_expect_eq(len, fx.bin_len, "%s: %zu bytes, aws-kinesis-agg made %zu", fixtures[f], len,
                     fx.bin_len);
        cr_expect(len == fx.bin_len && memcmp(out, fx.bin, len) == 0, "%s: bytes differ", fixtures[f]);
        /* the producer's running size gives the same total without encoding */
        kc_agg *a = kc_agg_new();
        for (size_t i = 0; i < fx.n; i++) {
            size_t predicted = kc_agg_size_with(a, fx.recs[i].partition_key, fx.recs[i].explicit_hash_key,
                                                fx.recs[i].data_len);
            cr_assert_eq(
                kc_agg_add(a, fx.recs[i].partition_key, fx.recs[i].explicit_hash_key, fx.recs[i].data_len),
                0);
            cr_expect_eq(kc_agg_size(a), predicted);
        }
        cr_expect_eq(kc_agg_size(a), len, "%s: size predicted %zu, encoded %zu", fixtures[f], kc_agg_size(a),
                     len);
        cr_expect_eq(kc_agg_count(a), fx.n);
        kc_agg_free(a);
        free(out);
        unload(&fx);
    }
}

Test(aggregation, running_size_matches_encoding_with_many_keys)
{
    /* enough keys and records that indexes and lengths need multi-byte varints */
    enum { N = 400 };
    kinesis_record recs[N];
    char pks[N][16], ehks[N][8];
    static uint8_t data[N][300];
    kc_agg *a = kc_agg_new();
    for (int i = 0; i < N; i++) {
        snprintf(pks[i], sizeof pks[i], "key-%d", i % 170);
        snprintf(ehks[i], sizeof ehks[i], "%d", i % 3);
        memset(data[i], i & 0xff, sizeof data[i]);
        recs[i] = (kinesis_record){data[i], (size_t)(i % 300), pks[i], i % 5 ? NULL : ehks[i], NULL};
        kc_agg_add(a, recs[i].partition_key, recs[i].explicit_hash_key, recs[i].data_len);
    }
    uint8_t *out = NULL;
    size_t len = 0;
    kinesis_error *err = kinesis_aggregate(recs, N, &out, &len);
    cr_assert_null(err);
    cr_expect_eq(kc_agg_size(a), len);
    kinesis_read_record rr = {out, len, "k", "1", 0, KINESIS_ENCRYPTION_NONE};
    kinesis_user_record *u = NULL;
    size_t n = 0;
    cr_assert_null(kinesis_deaggregate(&rr, &u, &n));
    cr_assert_eq(n, (size_t)N);
    for (int i = 0; i < N; i++) {
        cr_expect_str_eq(u[i].partition_key, pks[i]);
        cr_expect_eq(u[i].data_len, recs[i].data_len);
        cr_expect(memcmp(u[i].data, data[i], u[i].data_len) == 0);
        if (i % 5)
            cr_expect_null(u[i].explicit_hash_key);
        else
            cr_expect_str_eq(u[i].explicit_hash_key, ehks[i]);
    }
    kinesis_user_records_free(u, n);
    free(out);
    kc_agg_free(a);
}

Test(aggregation, plain_records_pass_through)
{
    const char *text = "just a record";
    kinesis_read_record rr = {(uint8_t *)text, strlen(text), "pk", "42", 5, KINESIS_ENCRYPTION_NONE};
    kinesis_user_record *u = NULL;
    size_t n = 0;
    cr_assert_null(kinesis_deaggregate(&rr, &u, &n));
    cr_assert_eq(n, 1);
    cr_expect_eq(u[0].aggregated, 0);
    cr_expect_eq(u[0].sub_sequence_number, 0);
    cr_expect_str_eq((char *)u[0].data, text);
    cr_expect_str_eq(u[0].partition_key, "pk");
    cr_expect_str_eq(u[0].sequence_number, "42");
    kinesis_user_records_free(u, n);
}

Test(aggregation, magic_with_a_wrong_checksum_passes_through)
{
    size_t len = 0;
    uint8_t *bin = slurp("three-keys", "bin", &len);
    bin[len - 1] ^= 0x01; /* the MD5 no longer matches: user data that happens to start with the magic */
    cr_expect_eq(kinesis_is_aggregated(bin, len), 0);
    kinesis_read_record rr = {bin, len, "pk", "7", 0, KINESIS_ENCRYPTION_NONE};
    kinesis_user_record *u = NULL;
    size_t n = 0;
    cr_assert_null(kinesis_deaggregate(&rr, &u, &n));
    cr_assert_eq(n, 1);
    cr_expect_eq(u[0].aggregated, 0);
    cr_expect_eq(u[0].data_len, len);
    kinesis_user_records_free(u, n);
    free(bin);
}

Test(aggregation, matching_checksum_over_a_broken_protobuf_is_an_error)
{
    /* magic + bytes that are no AggregatedRecord (a field-3 length running past the end) + their MD5 */
    uint8_t junk[] = {0x1a, 0x7f, 0x08};
    uint8_t rec[4 + sizeof junk + 16] = {0xF3, 0x89, 0x9A, 0xC2};
    memcpy(rec + 4, junk, sizeof junk);
    unsigned int dl = 0;
    cr_assert(EVP_Digest(junk, sizeof junk, rec + 4 + sizeof junk, &dl, EVP_md5(), NULL) == 1);
    cr_assert(kinesis_is_aggregated(rec, sizeof rec));
    kinesis_read_record rr = {rec, sizeof rec, "pk", "9", 0, KINESIS_ENCRYPTION_NONE};
    kinesis_user_record *u = NULL;
    size_t n = 0;
    kinesis_error *err = kinesis_deaggregate(&rr, &u, &n);
    cr_assert_not_null(err);
    cr_expect_eq(err->type, KINESIS_ERROR_UNEXPECTED_RESPONSE);
    cr_expect_null(u);
    kinesis_error_free(err);
}

Test(aggregation, index_beyond_the_key_table_is_an_error)
{
    /* one record naming partition key 3 of an empty table */
    kinesis_record r = {"x", 1, "k", NULL, NULL};
    uint8_t *out = NULL;
    size_t len = 0;
    cr_assert_null(kinesis_aggregate(&r, 1, &out, &len));
    /* bytes: magic, 0a 01 'k' (table), 1a 05 08 00 1a 01 'x' (record), md5: make the index 3 */
    cr_assert_eq(out[4], 0x0a);
    cr_assert_eq(out[9], 0x08);
    out[10] = 3;
    unsigned int dl = 0;
    EVP_Digest(out + 4, len - 20, out + len - 16, &dl, EVP_md5(), NULL);
    kinesis_read_record rr = {out, len, "pk", "9", 0, KINESIS_ENCRYPTION_NONE};
    kinesis_user_record *u = NULL;
    size_t n = 0;
    kinesis_error *err = kinesis_deaggregate(&rr, &u, &n);
    cr_assert_not_null(err);
    cr_expect_eq(err->type, KINESIS_ERROR_UNEXPECTED_RESPONSE);
    kinesis_error_free(err);
    free(out);
}

Test(aggregation, bad_arguments)
{
    uint8_t *out = NULL;
    size_t len = 0;
    kinesis_error *err = kinesis_aggregate(NULL, 0, &out, &len);
    cr_assert_not_null(err);
    cr_expect_str_eq(err->name, KINESIS_ERR_INVALID_PARAMETER);
    kinesis_error_free(err);
    kinesis_record r = {"x", 1, NULL, NULL, NULL};
    err = kinesis_aggregate(&r, 1, &out, &len);
    cr_assert_not_null(err);
    kinesis_error_free(err);
    cr_expect_eq(kinesis_is_aggregated(NULL, 0), 0);
}

Test(hash_keys, md5_of_the_partition_key_big_endian)
{
    char buf[41];
    /* int(hashlib.md5(pk).hexdigest(), 16) */
    kc_format_hash_key(kc_hash_partition_key("a"), buf);
    cr_expect_str_eq(buf, "16955237001963240173058271559858726497");
    kc_format_hash_key(kc_hash_partition_key("user-1"), buf);
    cr_expect_str_eq(buf, "285573413173782752570879317399258818820");
}

Test(hash_keys, parse_and_format_round_trip)
{
    kc_u128 v = 0;
    char buf[41];
    cr_assert_eq(kc_parse_hash_key("340282366920938463463374607431768211455", &v), 0); /* 2^128 - 1 */
    kc_format_hash_key(v, buf);
    cr_expect_str_eq(buf, "340282366920938463463374607431768211455");
    cr_assert_eq(kc_parse_hash_key("0", &v), 0);
    cr_expect(v == 0);
    cr_expect_eq(kc_parse_hash_key("340282366920938463463374607431768211456", &v), -1); /* 2^128 */
    cr_expect_eq(kc_parse_hash_key("12a", &v), -1);
    cr_expect_eq(kc_parse_hash_key("", &v), -1);
}
