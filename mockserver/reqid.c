/* reqid.c: request ids for x-amzn-RequestId and x-amz-id-2 (see reqid.h). Randomness comes from
 * OpenSSL's RAND_bytes; should it ever fail, the counter alone still keeps ids unique. */
#include "reqid.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>

void sim_request_id_make(uint64_t counter, char out[SIM_REQUEST_ID_LEN])
{
    uint8_t b[16] = {0};
    if (RAND_bytes(b, 10) != 1)
        memset(b, 0, 10);
    for (int i = 0; i < 6; i++) /* low 48 bits of the counter, big-endian */
        b[10 + i] = (uint8_t)(counter >> (8 * (5 - i)));
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x40); /* version 4 */
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
    snprintf(out, SIM_REQUEST_ID_LEN, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
             b[15]);
}

void sim_amz_id2_make(char out[SIM_AMZ_ID2_LEN])
{
    uint8_t b[48] = {0};
    if (RAND_bytes(b, sizeof b) != 1)
        memset(b, 0x5a, sizeof b);
    EVP_EncodeBlock((unsigned char *)out, b, sizeof b); /* 48 bytes -> 64 chars + NUL */
}
