/* fuzz_cbor.c: libFuzzer harness for mockserver/wire/cbor_codec.c, the decoder of the Java SDKs'
 * default body format (application/x-amz-cbor-1.1).
 *
 * The input is a CBOR request body (seeds in corpus/cbor/ encode each operation's request with
 * sim_json_to_cbor_op). sim_cbor_to_json gives a value or a reason. A value must survive the way
 * back: encoded by JSON type (sim_json_to_cbor with no operation) and decoded again it is equal.
 * It is also encoded as the input and output shape of a few operations, which may refuse it
 * (a blob member that is not base64) but must not crash. */
#include <string.h>

#include "fuzz.h"
#include "wire/cbor_codec.h"

static const char *const ops[] = {"PutRecord",      "PutRecords", "GetRecords",
                                  "DescribeStream", "ListShards", "SubscribeToShard"};

FUZZ_ENTRY(cbor)
{
    char err[256];
    err[0] = '\0';
    json_t *v = sim_cbor_to_json(data, size, err, sizeof err);
    if (!v) {
        FUZZ_CHECK(err[0] != '\0' && strnlen(err, sizeof err) < sizeof err);
        return 0;
    }
    uint8_t *out = NULL;
    size_t len = 0;
    if (sim_json_to_cbor(v, NULL, &out, &len) == 0) {
        json_t *again = sim_cbor_to_json(out, len, err, sizeof err);
        if (!again)
            fprintf(stderr, "re-decode failed: %s\n", err);
        FUZZ_CHECK(again != NULL);
        FUZZ_CHECK(json_equal(v, again));
        json_decref(again);
        free(out);
    }
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        for (int side = 0; side < 2; side++) {
            out = NULL;
            if (sim_json_to_cbor_op(v, ops[i], side ? SIM_CBOR_INPUT : SIM_CBOR_OUTPUT, &out, &len) == 0) {
                json_t *back = sim_cbor_to_json(out, len, err, sizeof err);
                FUZZ_CHECK(back != NULL);
                json_decref(back);
            }
            free(out);
        }
    }
    json_decref(v);
    return 0;
}
