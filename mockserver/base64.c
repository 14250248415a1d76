/* base64.c: strict base64 check, decode and encode (see base64.h). The check mirrors the three
 * failures AWS reports for a Blob member (wrong length, bad character, bad last character) so
 * validation can word them; decoding and encoding are OpenSSL's block functions. */
#include "base64.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* 0..63 for alphabet characters, 64 for '=', 255 for anything else. */
static unsigned char b64_table[256];
static pthread_once_t b64_once = PTHREAD_ONCE_INIT;

static void b64_init(void)
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    memset(b64_table, 255, sizeof b64_table);
    for (int i = 0; i < 64; i++)
        b64_table[(unsigned char)alphabet[i]] = (unsigned char)i;
    b64_table['='] = 64;
}

static int b64_value(unsigned char c)
{
    return b64_table[c];
}

sim_b64_status sim_base64_check(const char *in, size_t len, size_t *decoded_len, size_t *bad_pos)
{
    pthread_once(&b64_once, b64_init);
    if (len % 4 != 0)
        return SIM_B64_BAD_LENGTH;
    /* Fast path: every character but the last two must be in the alphabet proper. */
    size_t start = 0;
    while (start + 2 < len && b64_table[(unsigned char)in[start]] < 64)
        start++;
    for (size_t i = start; i < len; i++) {
        int v = b64_value((unsigned char)in[i]);
        /* '=' may only be followed by more '=' (so padding is one trailing run). */
        if (v == 255 || (v == 64 && i + 1 < len && in[i + 1] != '=')) {
            if (bad_pos)
                *bad_pos = i;
            return SIM_B64_BAD_CHAR;
        }
    }
    size_t pad = 0;
    while (pad < len && in[len - 1 - pad] == '=')
        pad++;
    if (pad > 2)
        return SIM_B64_BAD_LAST;
    /* Canonical form: the bits below the last full byte must be zero. */
    if (pad == 1 && (b64_value((unsigned char)in[len - 2]) & 0x3) != 0)
        return SIM_B64_BAD_LAST;
    if (pad == 2 && (b64_value((unsigned char)in[len - 3]) & 0xf) != 0)
        return SIM_B64_BAD_LAST;
    if (decoded_len)
        *decoded_len = len / 4 * 3 - pad;
    return SIM_B64_OK;
}

int sim_base64_decode_n(const char *in, size_t in_len, uint8_t **out, size_t *len)
{
    size_t n = 0;
    *out = NULL;
    if (!in || sim_base64_check(in, in_len, &n, NULL) != SIM_B64_OK || in_len > (size_t)INT32_MAX)
        return -1;
    uint8_t *buf = malloc(in_len / 4 * 3 + 1);
    if (!buf)
        return -1;
    if (in_len > 0 && EVP_DecodeBlock(buf, (const unsigned char *)in, (int)in_len) < 0) {
        free(buf);
        return -1;
    }
    *out = buf;
    *len = n;
    return 0;
}

int sim_base64_decode(const char *in, uint8_t **out, size_t *len)
{
    if (!in) {
        *out = NULL;
        return -1;
    }
    return sim_base64_decode_n(in, strlen(in), out, len);
}

char *sim_base64_encode(const uint8_t *in, size_t len, size_t *out_len)
{
    if (len > (size_t)INT32_MAX / 4 * 3)
        return NULL;
    char *s = malloc((len + 2) / 3 * 4 + 1);
    if (!s)
        return NULL;
    int n = len ? EVP_EncodeBlock((unsigned char *)s, in, (int)len) : 0;
    s[n] = '\0';
    if (out_len)
        *out_len = (size_t)n;
    return s;
}
