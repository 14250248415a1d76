/* test_codec.c: unit tests for codec.c: content-type recognition, JSON decoding (malformed,
 * truncated, non-object bodies), encoding, and AWS error bodies (message vs Message). */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"

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

Test(codec, cbor_and_unknown_are_unsupported_for_now)
{
    json_t *v;
    char why[128];
    const uint8_t b[] = {0xa0};
    cr_assert_eq(codec_decode(CODEC_CBOR, b, 1, &v, why, sizeof why), CODEC_ERR_UNSUPPORTED);
    cr_assert(strstr(why, "CBOR"), "%s", why);
    cr_assert_eq(codec_decode(CODEC_UNSUPPORTED, b, 1, &v, why, sizeof why), CODEC_ERR_UNSUPPORTED);
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
