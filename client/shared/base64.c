/* base64.c: strict base64 check, decode and encode (see base64.h). The check mirrors the three
 * failures AWS reports for a Blob member (wrong length, bad character, bad last character) so
 * validation can word them. Every record of a PutRecords passes through here (validation checks
 * its Data, the handler decodes it), so both walk the text once with a constant 256-entry table
 * and decode four characters at a time. Encoding (GetRecords answers, shard iterators) is the
 * same table read the other way. The unit tests compare both directions with OpenSSL's. */
#include "shared/base64.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* 0..63 for the alphabet, 64 for '=', 255 for anything else: a byte is an alphabet character
 * exactly when its entry has neither bit 0x40 nor bit 0x80 set, so four characters can be
 * tested with one OR. */
#define B64_PAD 64
#define B64_NOT_ALPHABET 0xc0
static const unsigned char b64_table[256] = {
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 62,  255, 255, 255, 63,  52,  53,  54,  55,  56,  57,  58,  59,  60,  61,  255, 255,
    255, 64,  255, 255, 255, 0,   1,   2,   3,   4,   5,   6,   7,   8,   9,   10,  11,  12,  13,  14,
    15,  16,  17,  18,  19,  20,  21,  22,  23,  24,  25,  255, 255, 255, 255, 255, 255, 26,  27,  28,
    29,  30,  31,  32,  33,  34,  35,  36,  37,  38,  39,  40,  41,  42,  43,  44,  45,  46,  47,  48,
    49,  50,  51,  255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
};

static const char b64_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Length of the leading run of alphabet characters in in[0..len). */
static size_t alphabet_run(const unsigned char *in, size_t len)
{
    size_t i = 0;
    while (i + 4 <= len &&
           ((b64_table[in[i]] | b64_table[in[i + 1]] | b64_table[in[i + 2]] | b64_table[in[i + 3]]) &
            B64_NOT_ALPHABET) == 0)
        i += 4;
    while (i < len && (b64_table[in[i]] & B64_NOT_ALPHABET) == 0)
        i++;
    return i;
}

b64_status b64_check(const char *in, size_t len, size_t *decoded_len, size_t *bad_pos)
{
    if (len % 4 != 0)
        return B64_BAD_LENGTH;
    const unsigned char *u = (const unsigned char *)in;
    size_t i = alphabet_run(u, len), pad = 0;
    if (i < len) {
        if (b64_table[u[i]] != B64_PAD) {
            if (bad_pos)
                *bad_pos = i;
            return B64_BAD_CHAR;
        }
        /* Padding must be one trailing run: the last '=' before anything else is the bad one. */
        size_t k = i;
        while (k < len && u[k] == '=')
            k++;
        if (k < len) {
            if (bad_pos)
                *bad_pos = k - 1;
            return B64_BAD_CHAR;
        }
        pad = len - i;
    }
    if (pad > 2)
        return B64_BAD_LAST;
    /* Canonical form: the bits below the last full byte must be zero. */
    if (pad == 1 && (b64_table[u[len - 2]] & 0x3) != 0)
        return B64_BAD_LAST;
    if (pad == 2 && (b64_table[u[len - 3]] & 0xf) != 0)
        return B64_BAD_LAST;
    if (decoded_len)
        *decoded_len = len / 4 * 3 - pad;
    return B64_OK;
}

/* Decode text that b64_check accepted (n decoded bytes) into out. */
static void decode_checked(const unsigned char *in, size_t in_len, size_t n, uint8_t *out)
{
    size_t full = n / 3, o = 0;
    for (size_t g = 0; g < full; g++, in += 4) {
        uint32_t v = (uint32_t)b64_table[in[0]] << 18 | (uint32_t)b64_table[in[1]] << 12 |
                     (uint32_t)b64_table[in[2]] << 6 | b64_table[in[3]];
        out[o++] = (uint8_t)(v >> 16);
        out[o++] = (uint8_t)(v >> 8);
        out[o++] = (uint8_t)v;
    }
    if (n % 3 != 0 && in_len >= 4) {
        uint32_t v = (uint32_t)b64_table[in[0]] << 18 | (uint32_t)b64_table[in[1]] << 12;
        out[o++] = (uint8_t)(v >> 16);
        if (n % 3 == 2) {
            v |= (uint32_t)b64_table[in[2]] << 6;
            out[o] = (uint8_t)(v >> 8);
        }
    }
}

int b64_decode_into(const char *in, size_t in_len, uint8_t *out, size_t out_cap, size_t *len)
{
    size_t n = 0;
    if (!in || !out || b64_check(in, in_len, &n, NULL) != B64_OK || n > out_cap)
        return -1;
    decode_checked((const unsigned char *)in, in_len, n, out);
    *len = n;
    return 0;
}

int b64_decode_n(const char *in, size_t in_len, uint8_t **out, size_t *len)
{
    size_t n = 0;
    *out = NULL;
    if (!in || b64_check(in, in_len, &n, NULL) != B64_OK)
        return -1;
    uint8_t *buf = malloc(n + 1);
    if (!buf)
        return -1;
    decode_checked((const unsigned char *)in, in_len, n, buf);
    buf[n] = 0; /* callers may read short text data as a string */
    *out = buf;
    *len = n;
    return 0;
}

int b64_decode(const char *in, uint8_t **out, size_t *len)
{
    if (!in) {
        *out = NULL;
        return -1;
    }
    return b64_decode_n(in, strlen(in), out, len);
}

size_t b64_encode_into(const uint8_t *in, size_t len, char *out, size_t out_cap)
{
    size_t need = (len + 2) / 3 * 4;
    if (!out || out_cap <= need || (len > 0 && !in))
        return (size_t)-1;
    size_t o = 0, i = 0;
    for (; i + 3 <= len; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[o++] = b64_alphabet[v >> 18];
        out[o++] = b64_alphabet[(v >> 12) & 63];
        out[o++] = b64_alphabet[(v >> 6) & 63];
        out[o++] = b64_alphabet[v & 63];
    }
    if (i < len) {
        uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < len ? (uint32_t)in[i + 1] << 8 : 0);
        out[o++] = b64_alphabet[v >> 18];
        out[o++] = b64_alphabet[(v >> 12) & 63];
        out[o++] = i + 1 < len ? b64_alphabet[(v >> 6) & 63] : '=';
        out[o++] = '=';
    }
    out[o] = '\0';
    return o;
}

char *b64_encode(const uint8_t *in, size_t len, size_t *out_len)
{
    if (len > SIZE_MAX / 4 - 3)
        return NULL;
    size_t cap = (len + 2) / 3 * 4 + 1;
    char *s = malloc(cap);
    if (!s)
        return NULL;
    size_t n = b64_encode_into(in, len, s, cap);
    if (n == (size_t)-1) {
        free(s);
        return NULL;
    }
    if (out_len)
        *out_len = n;
    return s;
}
