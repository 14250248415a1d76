/* test_base64.c: Criterion tests for the table-driven base64 of base64.c beyond the vectors in
 * test_validate.c: the strict check against a plain reference of its rules on every short text
 * over a mixed alphabet (status and offending offset), decoding and encoding against OpenSSL's
 * EVP_DecodeBlock/EVP_EncodeBlock for every length up to 300, every byte value in every position
 * of a group, and the allocation-free variants' bounds. */
#include <criterion/criterion.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "shared/base64.h"

/* ---- reference: the rules written out one character at a time ---- */

static int ref_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    if (c == '=')
        return 64;
    return -1;
}

static b64_status ref_check(const char *in, size_t len, size_t *decoded_len, size_t *bad_pos)
{
    if (len % 4 != 0)
        return B64_BAD_LENGTH;
    for (size_t i = 0; i < len; i++) {
        int v = ref_value((unsigned char)in[i]);
        if (v < 0 || (v == 64 && i + 1 < len && in[i + 1] != '=')) {
            *bad_pos = i;
            return B64_BAD_CHAR;
        }
    }
    size_t pad = 0;
    while (pad < len && in[len - 1 - pad] == '=')
        pad++;
    if (pad > 2)
        return B64_BAD_LAST;
    if (pad == 1 && (ref_value((unsigned char)in[len - 2]) & 0x3) != 0)
        return B64_BAD_LAST;
    if (pad == 2 && (ref_value((unsigned char)in[len - 3]) & 0xf) != 0)
        return B64_BAD_LAST;
    *decoded_len = len / 4 * 3 - pad;
    return B64_OK;
}

static void expect_same_as_reference(const char *s, size_t len)
{
    size_t n1 = 999, n2 = 999, b1 = 999, b2 = 999;
    b64_status want = ref_check(s, len, &n1, &b1);
    b64_status got = b64_check(s, len, &n2, &b2);
    cr_assert_eq(got, want, "status of '%.*s': %d, want %d", (int)len, s, got, want);
    if (want == B64_OK)
        cr_assert_eq(n2, n1, "decoded length of '%.*s'", (int)len, s);
    if (want == B64_BAD_CHAR)
        cr_assert_eq(b2, b1, "bad position in '%.*s': %zu, want %zu", (int)len, s, b2, b1);
}

/* Every text of length 0..8 over symbols that cover each rule: alphabet characters with and
 * without low bits, '=', a character outside the alphabet, and a UTF-8 lead byte. */
Test(base64_check, matches_reference_on_every_short_text)
{
    static const char sym[] = {'A', 'Q', 'g', 'B', '=', '!', '\xc3'};
    const size_t ns = sizeof sym;
    char buf[8];
    size_t tested = 0;
    for (size_t len = 0; len <= 8; len++) {
        size_t k = len <= 6 ? ns : 5; /* 5^8 texts of length 8, 7^6 of length 6 */
        size_t total = 1;
        for (size_t i = 0; i < len; i++)
            total *= k;
        for (size_t code = 0; code < total; code++) {
            size_t c = code;
            for (size_t i = 0; i < len; i++) {
                buf[i] = sym[c % k];
                c /= k;
            }
            expect_same_as_reference(buf, len);
            tested++;
        }
    }
    cr_assert_gt(tested, 500000);
}

/* Each byte value in each position of the first group, before the padding, and at the end of a
 * long text (past the four-at-a-time scan). */
Test(base64_check, every_byte_value_in_every_position)
{
    char buf[64];
    for (int c = 0; c < 256; c++) {
        for (size_t pos = 0; pos < 4; pos++) {
            memcpy(buf, "QUFBQUFB", 8);
            buf[pos] = (char)c;
            expect_same_as_reference(buf, 4);
            expect_same_as_reference(buf, 8);
        }
        /* the character before the padding: its unused low bits must be zero */
        memcpy(buf, "QA==QQA=", 8);
        buf[1] = (char)c;
        expect_same_as_reference(buf, 4);
        buf[6] = (char)c;
        expect_same_as_reference(buf + 4, 4);
        for (size_t pos = 36; pos < 40; pos++) {
            memset(buf, 'A', 40);
            buf[pos] = (char)c;
            expect_same_as_reference(buf, 40);
        }
    }
    size_t bad = 0;
    cr_assert_eq(b64_check("AAAAAAAA!AAA", 12, NULL, &bad), B64_BAD_CHAR);
    cr_assert_eq(bad, 8);
    cr_assert_eq(b64_check("AAAAAAAAAA=A", 12, NULL, &bad), B64_BAD_CHAR);
    cr_assert_eq(bad, 10);
    cr_assert_eq(b64_check("AAAAAAAA==AA", 12, NULL, &bad), B64_BAD_CHAR);
    cr_assert_eq(bad, 9); /* the last '=' before the data */
}

/* ---- decoding and encoding against OpenSSL ---- */

static uint32_t rng_next(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

Test(base64_codec, decode_and_encode_match_openssl_for_every_length)
{
    uint32_t seed = 12345;
    uint8_t bytes[300], back[300], evp_back[304];
    char text[404], evp_text[404];
    for (size_t len = 0; len <= 300; len++) {
        for (int round = 0; round < 4; round++) {
            for (size_t i = 0; i < len; i++)
                bytes[i] = (uint8_t)(round == 1 ? 0xff : round == 2 ? 0 : rng_next(&seed));
            int en = EVP_EncodeBlock((unsigned char *)evp_text, bytes, (int)len);
            size_t tl = 0;
            char *t = b64_encode(bytes, len, &tl);
            cr_assert_not_null(t);
            cr_assert_eq(tl, (size_t)en, "encoded length for %zu bytes", len);
            cr_assert_eq(memcmp(t, evp_text, tl), 0, "encoding of %zu bytes", len);
            cr_assert_eq(t[tl], '\0');
            cr_assert_eq(b64_encode_into(bytes, len, text, sizeof text), tl);
            cr_assert_str_eq(text, t);

            uint8_t *d = NULL;
            size_t dl = 0;
            cr_assert_eq(b64_decode_n(t, tl, &d, &dl), 0, "%s", t);
            cr_assert_not_null(d);
            cr_assert_eq(dl, len);
            cr_assert_eq(memcmp(d, bytes, len), 0, "decoding of %s", t);
            free(d);
            /* OpenSSL decodes whole groups (padding as zero bytes): the same prefix */
            if (tl > 0) {
                int n = EVP_DecodeBlock(evp_back, (const unsigned char *)t, (int)tl);
                cr_assert_geq(n, (int)len);
                cr_assert_eq(memcmp(evp_back, bytes, len), 0);
            }
            cr_assert_eq(b64_decode_into(t, tl, back, len, &dl), 0);
            cr_assert_eq(dl, len);
            cr_assert_eq(memcmp(back, bytes, len), 0);
            free(t);
        }
    }
}

Test(base64_codec, every_byte_value_in_every_position_of_a_group)
{
    for (int c = 0; c < 256; c++) {
        for (size_t pos = 0; pos < 3; pos++) {
            for (size_t len = pos + 1; len <= 3; len++) {
                uint8_t in[3] = {0x5a, 0xa5, 0x0f}, *out = NULL;
                in[pos] = (uint8_t)c;
                unsigned char evp[8];
                char mine[8];
                int en = EVP_EncodeBlock(evp, in, (int)len);
                cr_assert_eq(b64_encode_into(in, len, mine, sizeof mine), (size_t)en);
                cr_assert_eq(memcmp(mine, evp, (size_t)en), 0, "byte %d at %zu of %zu", c, pos, len);
                size_t dl = 0;
                cr_assert_eq(b64_decode(mine, &out, &dl), 0);
                cr_assert_eq(dl, len);
                cr_assert_eq(memcmp(out, in, len), 0);
                free(out);
            }
        }
    }
}

Test(base64_codec, decode_rejects_what_check_rejects)
{
    static const char *bad[] = {
        "Zg", "Zm 9", "Zm=v", "Zh==", "Zm9=", "a===", "====", "Zm9v\xc3\xa9\x41\x41", "AA==AAAA"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint8_t *out = (uint8_t *)1, buf[16];
        size_t len = 77;
        cr_assert_eq(b64_decode(bad[i], &out, &len), -1, "%s", bad[i]);
        cr_assert_null(out);
        cr_assert_eq(len, 77);
        cr_assert_eq(b64_decode_into(bad[i], strlen(bad[i]), buf, sizeof buf, &len), -1, "%s", bad[i]);
    }
    uint8_t *out = NULL;
    size_t len = 5;
    cr_assert_eq(b64_decode("", &out, &len), 0);
    cr_assert_not_null(out); /* never NULL on success */
    cr_assert_eq(len, 0);
    free(out);
}

Test(base64_codec, into_variants_respect_the_buffer_size)
{
    uint8_t buf[8];
    size_t len = 0;
    cr_assert_eq(b64_decode_into("Zm9vYmFy", 8, buf, 5, &len), -1); /* needs 6 */
    cr_assert_eq(b64_decode_into("Zm9vYmFy", 8, buf, 6, &len), 0);
    cr_assert_eq(len, 6);
    cr_assert_eq(memcmp(buf, "foobar", 6), 0);
    cr_assert_eq(b64_decode_into("Zm9vYg==", 8, buf, 4, &len), 0);
    cr_assert_eq(len, 4);
    cr_assert_eq(b64_decode_into(NULL, 0, buf, 4, &len), -1);

    char out[9];
    cr_assert_eq(b64_encode_into((const uint8_t *)"foobar", 6, out, 8), (size_t)-1); /* no room for NUL */
    cr_assert_eq(b64_encode_into((const uint8_t *)"foobar", 6, out, 9), 8);
    cr_assert_str_eq(out, "Zm9vYmFy");
    cr_assert_eq(b64_encode_into(NULL, 0, out, 1), 0);
    cr_assert_str_eq(out, "");
    cr_assert_eq(b64_encode_into(NULL, 3, out, sizeof out), (size_t)-1);
}
