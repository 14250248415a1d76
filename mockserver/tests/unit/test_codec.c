/* test_codec.c: unit tests for codec.c: content-type recognition, JSON and CBOR decoding
 * (malformed, truncated, non-object bodies; CBOR blobs and tag-1 timestamps into the JSON form),
 * encoding (CBOR by the operation's output shape), and AWS error bodies (message vs Message) in
 * both codecs. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "wire/cbor_codec.h"
#include "wire/codec.h"

Test(codec, content_types)
{
    cr_assert_eq(codec_from_content_type("application/x-amz-json-1.1"), CODEC_AWS_JSON);
    cr_assert_eq(codec_from_content_type("Application/X-Amz-JSON-1.1"), CODEC_AWS_JSON);
    cr_assert_eq(codec_from_content_type("application/x-amz-json-1.1; charset=utf-8"), CODEC_AWS_JSON);
    cr_assert_eq(codec_from_content_type("  application/x-amz-json-1.1 ;x"), CODEC_AWS_JSON);
    cr_assert_eq(codec_from_content_type("application/json"), CODEC_PLAIN_JSON);
    cr_assert_eq(codec_from_content_type("application/x-amz-cbor-1.1"), CODEC_CBOR);
    cr_assert_eq(codec_from_content_type("application/x-amz-json-1.0"), CODEC_UNSUPPORTED);
    cr_assert_eq(codec_from_content_type("application/x-amz-json-1.10"), CODEC_UNSUPPORTED);
    cr_assert_eq(codec_from_content_type("application/x-amz-json"), CODEC_UNSUPPORTED);
    cr_assert_eq(codec_from_content_type("text/plain"), CODEC_UNSUPPORTED);
    cr_assert_eq(codec_from_content_type(""), CODEC_UNSUPPORTED);
    cr_assert_eq(codec_from_content_type(NULL), CODEC_UNSUPPORTED);
}

Test(codec, answer_content_types)
{
    cr_assert_str_eq(codec_content_type(CODEC_AWS_JSON), "application/x-amz-json-1.1");
    cr_assert_str_eq(codec_content_type(CODEC_PLAIN_JSON), "application/json");
    cr_assert_str_eq(codec_content_type(CODEC_UNSUPPORTED), "application/x-amz-json-1.1");
}

static codec_status dec(const char *s, json_t **out)
{
    char why[128];
    return codec_decode(CODEC_AWS_JSON, (const uint8_t *)s, strlen(s), out, why, sizeof why);
}

Test(codec, decodes_objects)
{
    json_t *v;
    cr_assert_eq(dec("{\"StreamName\":\"s\",\"ShardCount\":2}", &v), CODEC_OK);
    cr_assert_str_eq(json_string_value(json_object_get(v, "StreamName")), "s");
    cr_assert_eq(json_integer_value(json_object_get(v, "ShardCount")), 2);
    json_decref(v);
    cr_assert_eq(dec(" \n{}\t", &v), CODEC_OK);
    json_decref(v);
}

Test(codec, rejects_malformed_and_truncated)
{
    const char *bad[] = {"",           "{",          "{\"a\":", "{\"a\":\"b", "not json", "{a:1}",
                         "{\"a\":1}}", "{\"a\":1,}", "\"x\"",   "42",         "null",     "{\"a\":\"\xff\"}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_t *v = (json_t *)1;
        cr_assert_eq(dec(bad[i], &v), CODEC_ERR_SYNTAX, "accepted: %s", bad[i]);
        cr_assert_null(v);
    }
}

Test(codec, rejects_non_object_top_level)
{
    json_t *v;
    cr_assert_eq(dec("[1,2]", &v), CODEC_ERR_NOT_OBJECT);
    cr_assert_null(v);
}

Test(codec, body_with_embedded_nul_is_rejected)
{
    json_t *v;
    const uint8_t body[] = {'{', '}', 0, ' '};
    cr_assert_neq(codec_decode(CODEC_AWS_JSON, body, sizeof body, &v, NULL, 0), CODEC_OK);
}

Test(codec, unknown_content_type_is_unsupported)
{
    json_t *v;
    char why[128];
    const uint8_t b[] = {0xa0};
    cr_assert_eq(codec_decode(CODEC_UNSUPPORTED, b, 1, &v, why, sizeof why), CODEC_ERR_UNSUPPORTED);
    cr_assert_null(v);
}

/* ---- CBOR (application/x-amz-cbor-1.1) ---- */

Test(codec, cbor_answers_in_cbor)
{
    cr_assert_str_eq(codec_content_type(CODEC_CBOR), "application/x-amz-cbor-1.1");
}

Test(codec, cbor_map_decodes_to_the_json_form)
{
    /* {"StreamName": "s", "Data": h'0102ff', "Timestamp": 1(1459799926480)} */
    const uint8_t b[] = {0xa3, 0x6a, 'S',  't',  'r',  'e',  'a',  'm',  'N',  'a',  'm',
                         'e',  0x61, 's',  0x64, 'D',  'a',  't',  'a',  0x43, 0x01, 0x02,
                         0xff, 0x69, 'T',  'i',  'm',  'e',  's',  't',  'a',  'm',  'p',
                         0xc1, 0x1b, 0x00, 0x00, 0x01, 0x53, 0xe2, 0xdb, 0x26, 0xd0};
    json_t *v = NULL;
    char why[128] = "";
    cr_assert_eq(codec_decode(CODEC_CBOR, b, sizeof b, &v, why, sizeof why), CODEC_OK, "%s", why);
    cr_assert_str_eq(json_string_value(json_object_get(v, "StreamName")), "s");
    cr_assert_str_eq(json_string_value(json_object_get(v, "Data")), "AQL/");
    double ts = json_number_value(json_object_get(v, "Timestamp"));
    cr_assert(ts > 1459799926.47 && ts < 1459799926.49, "timestamp %f", ts);
    json_decref(v);
}

Test(codec, cbor_malformed_and_non_map_are_rejected)
{
    json_t *v = (json_t *)1;
    char why[128] = "";
    const uint8_t truncated[] = {0xa1, 0x61, 'a'};
    cr_assert_eq(codec_decode(CODEC_CBOR, truncated, sizeof truncated, &v, why, sizeof why),
                 CODEC_ERR_SYNTAX);
    cr_assert_null(v);
    cr_assert(why[0], "no reason given");
    const uint8_t trailing[] = {0xa0, 0x00};
    cr_assert_eq(codec_decode(CODEC_CBOR, trailing, sizeof trailing, &v, why, sizeof why), CODEC_ERR_SYNTAX);
    const uint8_t array[] = {0x82, 0x01, 0x02};
    cr_assert_eq(codec_decode(CODEC_CBOR, array, sizeof array, &v, why, sizeof why), CODEC_ERR_NOT_OBJECT);
    cr_assert_null(v);
    const uint8_t empty_map[] = {0xa0};
    cr_assert_eq(codec_decode(CODEC_CBOR, empty_map, 1, &v, NULL, 0), CODEC_OK);
    cr_assert(json_is_object(v) && json_object_size(v) == 0);
    json_decref(v);
}

/* Decode CBOR produced by the codec back to JSON, through the same converter requests use. */
static json_t *cbor_back(const uint8_t *b, size_t n)
{
    char why[128] = "";
    json_t *j = sim_cbor_to_json(b, n, why, sizeof why);
    cr_assert_not_null(j, "%s", why);
    return j;
}

Test(codec, cbor_encodes_by_the_operation_output_shape)
{
    json_t *o = json_pack("{s:[{s:s,s:s,s:s,s:f}],s:i}", "Records", "Data", "AQL/", "PartitionKey", "k",
                          "SequenceNumber", "1", "ApproximateArrivalTimestamp", 1459799926.48,
                          "MillisBehindLatest", 0);
    uint8_t *b = NULL;
    size_t n = 0;
    cr_assert_eq(codec_encode_op(CODEC_CBOR, "GetRecords", o, &b, &n), 0);
    /* the blob is a CBOR byte string 43 01 02 ff, the timestamp tag 1 (c1) */
    int found_bytes = 0, found_tag = 0;
    for (size_t i = 0; i + 3 < n; i++) {
        if (b[i] == 0x43 && b[i + 1] == 0x01 && b[i + 2] == 0x02 && b[i + 3] == 0xff)
            found_bytes = 1;
        if (b[i] == 0xc1)
            found_tag = 1;
    }
    cr_assert(found_bytes, "Data is not a byte string");
    cr_assert(found_tag, "ApproximateArrivalTimestamp has no tag 1");
    json_t *back = cbor_back(b, n);
    json_t *rec = json_array_get(json_object_get(back, "Records"), 0);
    cr_assert_str_eq(json_string_value(json_object_get(rec, "Data")), "AQL/");
    free(b);
    json_decref(back);
    json_decref(o);

    cr_assert_eq(codec_encode(CODEC_CBOR, NULL, &b, &n), 0);
    cr_assert_eq(n, 1);
    cr_assert_eq(b[0], 0xa0, "an empty answer is an empty CBOR map");
    free(b);
}

Test(codec, cbor_error_bodies)
{
    uint8_t *b;
    size_t n;
    cr_assert_eq(
        codec_error_body(CODEC_CBOR, SIM_ERR_ResourceNotFoundException, "Stream s not found.", &b, &n), 0);
    json_t *j = cbor_back(b, n);
    free(b);
    cr_assert_str_eq(json_string_value(json_object_get(j, "__type")), "ResourceNotFoundException");
    cr_assert_str_eq(json_string_value(json_object_get(j, "message")), "Stream s not found.");
    json_decref(j);
    cr_assert_eq(codec_error_body(CODEC_CBOR, SIM_ERR_SerializationException, NULL, &b, &n), 0);
    j = cbor_back(b, n);
    free(b);
    cr_assert_eq(json_object_size(j), 1);
    cr_assert_str_eq(json_string_value(json_object_get(j, "__type")), "SerializationException");
    json_decref(j);
}

Test(codec, encodes_compact_and_empty)
{
    uint8_t *b;
    size_t n;
    cr_assert_eq(codec_encode(CODEC_AWS_JSON, NULL, &b, &n), 0);
    cr_assert_eq(n, 2);
    cr_assert(memcmp(b, "{}", 2) == 0);
    free(b);
    json_t *o = json_pack("{s:s,s:b,s:f}", "A", "x", "B", 1, "T", 1459799926.48);
    cr_assert_eq(codec_encode(CODEC_AWS_JSON, o, &b, &n), 0);
    cr_assert_str_eq((char *)b, "{\"A\":\"x\",\"B\":true,\"T\":1459799926.48}");
    cr_assert_eq(n, strlen((char *)b));
    free(b);
    json_decref(o);
}

static json_t *error_json(sim_error_code code, const char *msg)
{
    uint8_t *b;
    size_t n;
    cr_assert_eq(codec_error_body(CODEC_AWS_JSON, code, msg, &b, &n), 0);
    json_t *j = json_loadb((char *)b, n, 0, NULL);
    cr_assert_not_null(j, "%.*s", (int)n, b);
    free(b);
    return j;
}

Test(codec, error_bodies)
{
    json_t *j = error_json(SIM_ERR_ResourceNotFoundException, "Stream s not found.");
    cr_assert_str_eq(json_string_value(json_object_get(j, "__type")), "ResourceNotFoundException");
    cr_assert_str_eq(json_string_value(json_object_get(j, "message")), "Stream s not found.");
    cr_assert_null(json_object_get(j, "Message"));
    json_decref(j);

    j = error_json(SIM_ERR_SerializationException, "bad");
    cr_assert_str_eq(json_string_value(json_object_get(j, "Message")), "bad");
    cr_assert_null(json_object_get(j, "message"));
    json_decref(j);

    j = error_json(SIM_ERR_UnknownOperationException, NULL);
    cr_assert_eq(json_object_size(j), 1);
    cr_assert_str_eq(json_string_value(json_object_get(j, "__type")), "UnknownOperationException");
    json_decref(j);
}

Test(codec, error_message_with_invalid_utf8_stays_json)
{
    json_t *j = error_json(SIM_ERR_IncompleteSignatureException, "Authorization=\xff\xfe x\x01");
    const char *m = json_string_value(json_object_get(j, "message"));
    cr_assert_str_eq(m, "Authorization=?? x?");
    json_decref(j);
}
