/* fuzz_deaggregate.c: libFuzzer harness for client/src/aggregation.c, the KPL aggregated record
 * format, as a consumer meets it: any bytes a stream holds go through kinesis_deaggregate.
 *
 * The input is used twice: as one Kinesis record's data, and as the protobuf part of an aggregated
 * record (wrapped in the magic and its MD5 here, which mutations would almost never hit). Seeds in
 * corpus/deaggregate/ are records made by aws-kinesis-agg (fixtures/kpl/) and their protobuf parts.
 * Invariants: a record that is not aggregated (no magic, or an
 * MD5 that does not match) comes back whole as one user record; an aggregated one that decodes
 * gives user records numbered 0, 1, ... whose keys are strings of their tables, and encoding
 * them again with kinesis_aggregate and decoding that gives the same records. */
#include <string.h>

#include <openssl/evp.h>

#include "fuzz.h"
#include "kinesis/kinesis.h"

static void check(const uint8_t *data, size_t size)
{
    kinesis_read_record rec = {
        (uint8_t *)data,        size, "pk", "49590338271490256608559692538361571095921575989136588898", 0,
        KINESIS_ENCRYPTION_NONE};
    kinesis_user_record *u = NULL;
    size_t n = 0;
    int aggregated = kinesis_is_aggregated(data, size);
    kinesis_error *err = kinesis_deaggregate(&rec, &u, &n);
    if (!aggregated) {
        FUZZ_CHECK(err == NULL && n == 1 && u != NULL);
        FUZZ_CHECK(u[0].aggregated == 0 && u[0].sub_sequence_number == 0 && u[0].data_len == size);
        FUZZ_CHECK(size == 0 || memcmp(u[0].data, data, size) == 0);
        kinesis_user_records_free(u, n);
        return;
    }
    if (err) {
        FUZZ_CHECK(u == NULL && n == 0 && err->type == KINESIS_ERROR_UNEXPECTED_RESPONSE);
        kinesis_error_free(err);
        return;
    }
    if (n == 0) {
        FUZZ_CHECK(u == NULL);
        return;
    }
    kinesis_record *in = calloc(n, sizeof *in);
    FUZZ_CHECK(in != NULL);
    int keys_ok = 1;
    for (size_t i = 0; i < n; i++) {
        FUZZ_CHECK(u[i].aggregated == 1 && u[i].sub_sequence_number == i && u[i].partition_key != NULL);
        in[i] = (kinesis_record){u[i].data, u[i].data_len, u[i].partition_key, u[i].explicit_hash_key, NULL};
        if (!*u[i].partition_key)
            keys_ok = 0; /* protobuf allows an empty key; kinesis_aggregate refuses one */
    }
    if (keys_ok) {
        uint8_t *again = NULL;
        size_t again_len = 0;
        kinesis_error *aerr = kinesis_aggregate(in, n, &again, &again_len);
        FUZZ_CHECK(aerr == NULL);
        FUZZ_CHECK(kinesis_is_aggregated(again, again_len));
        kinesis_read_record rec2 = {again, again_len, "pk", "1", 0, KINESIS_ENCRYPTION_NONE};
        kinesis_user_record *v = NULL;
        size_t m = 0;
        FUZZ_CHECK(kinesis_deaggregate(&rec2, &v, &m) == NULL && m == n);
        for (size_t i = 0; i < n; i++) {
            FUZZ_CHECK(v[i].data_len == u[i].data_len && memcmp(v[i].data, u[i].data, u[i].data_len) == 0);
            FUZZ_CHECK(strcmp(v[i].partition_key, u[i].partition_key) == 0);
            FUZZ_CHECK((v[i].explicit_hash_key == NULL) == (u[i].explicit_hash_key == NULL));
            FUZZ_CHECK(!v[i].explicit_hash_key ||
                       strcmp(v[i].explicit_hash_key, u[i].explicit_hash_key) == 0);
        }
        kinesis_user_records_free(v, m);
        free(again);
    }
    free(in);
    kinesis_user_records_free(u, n);
}

FUZZ_ENTRY(deaggregate)
{
    check(data, size);
    uint8_t *wrapped = malloc(size + 20);
    FUZZ_CHECK(wrapped != NULL);
    memcpy(wrapped, "\xF3\x89\x9A\xC2", 4);
    if (size)
        memcpy(wrapped + 4, data, size);
    unsigned int md = 0;
    FUZZ_CHECK(EVP_Digest(data, size, wrapped + 4 + size, &md, EVP_md5(), NULL) == 1 && md == 16);
    FUZZ_CHECK(kinesis_is_aggregated(wrapped, size + 20));
    check(wrapped, size + 20);
    free(wrapped);
    return 0;
}
