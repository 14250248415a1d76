/* fuzz_codec.c: libFuzzer harness for mockserver/wire/codec.c, the first thing a request body meets.
 *
 * The input is a request body. codec_decode (AWS JSON) must give an object or a reason; an object
 * it gives must encode (codec_encode) to text that decodes and encodes to the same text again
 * (reals are written with 15 significant digits, so only the first encoding may round). The input is also
 * tried as a Content-Type header, and as the message of an error answer, whose body (codec_error_body) must
 * decode to the same message. */
#include <string.h>

#include "fuzz.h"
#include "wire/codec.h"

FUZZ_ENTRY(codec)
{
    json_t *v = NULL;
    char why[256];
    why[0] = '\0';
    codec_status st = codec_decode(CODEC_AWS_JSON, data, size, &v, why, sizeof why);
    if (st == CODEC_OK) {
        FUZZ_CHECK(json_is_object(v));
        uint8_t *body = NULL;
        size_t len = 0;
        FUZZ_CHECK(codec_encode(CODEC_AWS_JSON, v, &body, &len) == 0);
        json_t *again = NULL;
        FUZZ_CHECK(codec_decode(CODEC_AWS_JSON, body, len, &again, NULL, 0) == CODEC_OK);
        /* Reals are written with 15 significant digits, so the first encoding may round them;
         * from then on the text is a fixed point. */
        uint8_t *body2 = NULL;
        size_t len2 = 0;
        FUZZ_CHECK(codec_encode(CODEC_AWS_JSON, again, &body2, &len2) == 0);
        FUZZ_CHECK(len2 == len && memcmp(body, body2, len) == 0);
        FUZZ_CHECK(json_object_size(again) == json_object_size(v));
        json_decref(again);
        free(body2);
        free(body);
        json_decref(v);
    } else {
        FUZZ_CHECK(v == NULL && why[0] != '\0');
    }
    (void)codec_decode(CODEC_PLAIN_JSON, data, size, &v, NULL, 0);
    json_decref(v);

    char *s = fuzz_cstr(data, size);
    if (!s)
        return 0;
    codec_kind k = codec_from_content_type(s);
    FUZZ_CHECK(codec_content_type(k) != NULL);
    json_t *utf8 = strlen(s) == size ? json_string(s) : NULL; /* a UTF-8 message without NULs */
    if (utf8) {
        json_decref(utf8);
        uint8_t *body = NULL;
        size_t len = 0;
        sim_error_code codes[2] = {SIM_ERR_SerializationException, SIM_ERR_ValidationException};
        for (int i = 0; i < 2; i++) {
            FUZZ_CHECK(codec_error_body(CODEC_AWS_JSON, codes[i], s, &body, &len) == 0);
            json_t *e = NULL;
            FUZZ_CHECK(codec_decode(CODEC_AWS_JSON, body, len, &e, NULL, 0) == CODEC_OK);
            json_t *m = json_object_get(e, i == 0 ? "Message" : "message");
            FUZZ_CHECK(json_is_string(m) && strcmp(json_string_value(m), s) == 0);
            json_decref(e);
            free(body);
        }
    }
    free(s);
    return 0;
}
