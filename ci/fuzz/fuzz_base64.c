/* fuzz_base64.c: libFuzzer harness for client/shared/base64.c, the strict base64 of blob members
 * (PutRecord Data and the like arrive base64-encoded in JSON).
 *
 * The input is tried as base64 text: b64_check and b64_decode_n must agree on
 * whether it is valid and on the decoded length, a refused character's position must be inside
 * the input, and (strict base64 being canonical) valid text must encode back to itself. The
 * input is also encoded as bytes, and that text must check and decode back to the input. */
#include <string.h>

#include "fuzz.h"
#include "shared/base64.h"

FUZZ_ENTRY(base64)
{
    const char *text = (const char *)data;
    size_t dlen = 0, bad = (size_t)-1;
    b64_status st = b64_check(text, size, &dlen, &bad);
    uint8_t *out = NULL;
    size_t out_len = 0;
    int rc = b64_decode_n(text, size, &out, &out_len);
    FUZZ_CHECK((st == B64_OK) == (rc == 0));
    if (st == B64_BAD_CHAR)
        FUZZ_CHECK(bad < size);
    if (rc == 0) {
        FUZZ_CHECK(out != NULL && out_len == dlen);
        size_t elen = 0;
        char *again = b64_encode(out, out_len, &elen);
        FUZZ_CHECK(again && elen == size && memcmp(again, text, size) == 0);
        free(again);
    } else {
        FUZZ_CHECK(out == NULL);
    }
    free(out);

    size_t elen = 0;
    char *enc = b64_encode(data, size, &elen);
    FUZZ_CHECK(enc && strlen(enc) == elen && elen % 4 == 0);
    FUZZ_CHECK(b64_check(enc, elen, &dlen, NULL) == B64_OK && dlen == size);
    out = NULL;
    FUZZ_CHECK(b64_decode(enc, &out, &out_len) == 0 && out_len == size);
    FUZZ_CHECK(size == 0 || memcmp(out, data, size) == 0);
    free(out);
    free(enc);
    return 0;
}
