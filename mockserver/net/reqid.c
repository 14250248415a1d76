/* reqid.c: request ids for x-amzn-RequestId and x-amz-id-2 (see reqid.h). The random part comes
 * from a per-thread xoshiro256** generator seeded once from getrandom(2): ids need to differ
 * across runs, not to be secret, and OpenSSL's RAND_bytes cost two getpid(2) calls (its fork
 * check) on every request. Should getrandom fail, the seed falls back to the clock, the pid and
 * the state's address; the counter alone still keeps ids unique within a run. */
#include "net/reqid.h"

#include <openssl/evp.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

typedef struct {
    uint64_t s[4];
    int seeded;
} rng_state;

static _Thread_local rng_state tls_rng;

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static uint64_t rng_next(void)
{
    rng_state *r = &tls_rng;
    if (!r->seeded) {
        uint64_t seed = 0;
        if (getrandom(&seed, sizeof seed, GRND_NONBLOCK) != (ssize_t)sizeof seed) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            seed = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 30) ^ ((uint64_t)getpid() << 16) ^
                   (uint64_t)(uintptr_t)r;
        }
        for (int i = 0; i < 4; i++)
            r->s[i] = splitmix64(&seed);
        r->seeded = 1;
    }
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

static void random_bytes(uint8_t *b, size_t n)
{
    while (n) {
        uint64_t v = rng_next();
        size_t k = n < 8 ? n : 8;
        memcpy(b, &v, k);
        b += k;
        n -= k;
    }
}

void sim_request_id_make(uint64_t counter, char out[SIM_REQUEST_ID_LEN])
{
    static const char hex[] = "0123456789abcdef";
    uint8_t b[16];
    random_bytes(b, 10);
    for (int i = 0; i < 6; i++) /* low 48 bits of the counter, big-endian */
        b[10 + i] = (uint8_t)(counter >> (8 * (5 - i)));
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x40); /* version 4 */
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
    char *p = out;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            *p++ = '-';
        *p++ = hex[b[i] >> 4];
        *p++ = hex[b[i] & 15];
    }
    *p = '\0';
}

void sim_amz_id2_make(char out[SIM_AMZ_ID2_LEN])
{
    uint8_t b[72];
    random_bytes(b, sizeof b);
    EVP_EncodeBlock((unsigned char *)out, b, sizeof b); /* 72 bytes -> 96 chars + NUL */
}
