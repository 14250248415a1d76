/* ids.c: Kinesis identifiers (see ids.h): 128-bit hash-key arithmetic, MD5 routing, shard ids,
 * sequence numbers in AWS's observed 47-hex-digit layout, and authenticated shard iterators.
 * Pure functions, no I/O; the only library used is OpenSSL's libcrypto (MD5, HMAC, AES, base64).
 *
 * Sections: u128 | hash ranges and routing | shard ids | a small fixed-size big integer |
 * sequence numbers | shard iterators. */
#include "wire/ids.h"

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

/* ============================== u128 ============================== */

u128 u128_from_u64(uint64_t v)
{
    u128 r = {0, v};
    return r;
}

u128 u128_max(void)
{
    u128 r = {UINT64_MAX, UINT64_MAX};
    return r;
}

int u128_is_zero(u128 v)
{
    return v.hi == 0 && v.lo == 0;
}

int u128_cmp(u128 a, u128 b)
{
    if (a.hi != b.hi)
        return a.hi < b.hi ? -1 : 1;
    if (a.lo != b.lo)
        return a.lo < b.lo ? -1 : 1;
    return 0;
}

u128 u128_add(u128 a, u128 b)
{
    u128 r;
    r.lo = a.lo + b.lo;
    r.hi = a.hi + b.hi + (r.lo < a.lo);
    return r;
}

u128 u128_sub(u128 a, u128 b)
{
    u128 r;
    r.lo = a.lo - b.lo;
    r.hi = a.hi - b.hi - (a.lo < b.lo);
    return r;
}

/* The four 32-bit words of v, most significant first, and back. */
static void u128_to_words(u128 v, uint32_t w[4])
{
    w[0] = (uint32_t)(v.hi >> 32);
    w[1] = (uint32_t)v.hi;
    w[2] = (uint32_t)(v.lo >> 32);
    w[3] = (uint32_t)v.lo;
}

static u128 u128_from_words(const uint32_t w[4])
{
    u128 r;
    r.hi = ((uint64_t)w[0] << 32) | w[1];
    r.lo = ((uint64_t)w[2] << 32) | w[3];
    return r;
}

u128 u128_mul_u32(u128 a, uint32_t m, uint32_t *overflow)
{
    uint32_t w[4];
    uint64_t carry = 0;
    u128_to_words(a, w);
    for (int i = 3; i >= 0; i--) {
        uint64_t t = (uint64_t)w[i] * m + carry;
        w[i] = (uint32_t)t;
        carry = t >> 32;
    }
    if (overflow)
        *overflow = (uint32_t)carry;
    return u128_from_words(w);
}

u128 u128_div_u32(u128 a, uint32_t d, uint32_t *rem)
{
    uint32_t w[4];
    uint64_t r = 0;
    if (d == 0) { /* defined rather than a crash: callers must not divide by zero */
        if (rem)
            *rem = 0;
        return u128_max();
    }
    u128_to_words(a, w);
    for (int i = 0; i < 4; i++) {
        uint64_t cur = (r << 32) | w[i];
        w[i] = (uint32_t)(cur / d);
        r = cur % d;
    }
    if (rem)
        *rem = (uint32_t)r;
    return u128_from_words(w);
}

u128 u128_midpoint(u128 a, u128 b)
{
    if (u128_cmp(a, b) > 0) {
        u128 t = a;
        a = b;
        b = t;
    }
    return u128_add(a, u128_div_u32(u128_sub(b, a), 2, NULL));
}

int u128_parse(const char *dec, u128 *out)
{
    u128 v = {0, 0};
    if (!dec || !*dec)
        return -1;
    for (const char *p = dec; *p; p++) {
        uint32_t ovf;
        if (*p < '0' || *p > '9')
            return -1;
        v = u128_mul_u32(v, 10, &ovf);
        if (ovf)
            return -1;
        u128 next = u128_add(v, u128_from_u64((uint64_t)(*p - '0')));
        if (u128_cmp(next, v) < 0) /* wrapped */
            return -1;
        v = next;
    }
    if (out)
        *out = v;
    return 0;
}

void u128_format(u128 v, char out[U128_DEC_MAX])
{
    char tmp[U128_DEC_MAX];
    size_t n = 0;
    do {
        uint32_t r;
        v = u128_div_u32(v, 10, &r);
        tmp[n++] = (char)('0' + r);
    } while (!u128_is_zero(v));
    for (size_t i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    out[n] = '\0';
}

/* ======================= hash ranges and routing ======================= */

void hash_range_split(uint32_t n, uint32_t i, u128 *start, u128 *end)
{
    if (n == 0)
        n = 1;
    if (i >= n)
        i = n - 1;
    /* floor(2^128 / n) = floor((2^128 - 1) / n), plus one when n divides 2^128 (a power of two).
     * For n == 1 the step is 2^128 itself, which wraps to 0; only shard 0 exists then and
     * its start (0 * step) and end (max, as the last shard) do not need the step. */
    uint32_t rem;
    u128 step = u128_div_u32(u128_max(), n, &rem);
    if (rem == n - 1)
        step = u128_add(step, u128_from_u64(1));
    u128 s = u128_mul_u32(step, i, NULL);
    u128 e = (i == n - 1) ? u128_max() : u128_sub(u128_mul_u32(step, i + 1, NULL), u128_from_u64(1));
    if (start)
        *start = s;
    if (end)
        *end = e;
}

/* MD5 routes every record, so its context is made once and reused: EVP_Digest with EVP_md5()
 * looks the algorithm up and builds a context on every call, three times the cost of the digest
 * of a short key. Callers may be on different threads (the front door serialises dispatch, tests
 * and tools do not), hence the mutex; the context lives until exit. */
static pthread_once_t md5_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t md5_mu = PTHREAD_MUTEX_INITIALIZER;
static EVP_MD *md5_md;
static EVP_MD_CTX *md5_ctx;

static void md5_setup(void)
{
    md5_md = EVP_MD_fetch(NULL, "MD5", NULL);
    md5_ctx = md5_md ? EVP_MD_CTX_new() : NULL;
}

u128 partition_key_hash(const char *key, size_t len)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    u128 r = {0, 0};
    pthread_once(&md5_once, md5_setup);
    if (!md5_ctx)
        return r; /* only on an OpenSSL failure (e.g. MD5 disabled by a FIPS provider) */
    pthread_mutex_lock(&md5_mu);
    int ok = EVP_DigestInit_ex2(md5_ctx, md5_md, NULL) &&
             EVP_DigestUpdate(md5_ctx, key ? key : "", key ? len : 0) &&
             EVP_DigestFinal_ex(md5_ctx, md, &mdlen);
    pthread_mutex_unlock(&md5_mu);
    if (!ok || mdlen != 16)
        return r;
    for (int b = 0; b < 8; b++) {
        r.hi = (r.hi << 8) | md[b];
        r.lo = (r.lo << 8) | md[8 + b];
    }
    return r;
}

/* ============================== shard ids ============================== */

void shard_id_format(uint32_t index, char out[SHARD_ID_MAX])
{
    /* "shardId-%012u" without printf (this runs once per record written) */
    memcpy(out, "shardId-", 8);
    uint64_t v = index;
    for (int i = 19; i >= 8; i--) {
        out[i] = (char)('0' + v % 10);
        v /= 10;
    }
    out[20] = '\0';
}

/* Like kinesalite, a shard id may also be given as its bare index ("7"); AWS itself documents only
 * the "shardId-" form. Leading zeros are allowed (they are the normal form). */
int shard_id_parse(const char *s, uint32_t *index)
{
    static const char prefix[] = "shardId-";
    uint64_t v = 0;
    if (!s)
        return -1;
    if (strncmp(s, prefix, sizeof prefix - 1) == 0)
        s += sizeof prefix - 1;
    if (!*s)
        return -1;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        v = v * 10 + (uint64_t)(*s - '0');
        if (v > UINT32_MAX)
            return -1;
    }
    if (index)
        *index = (uint32_t)v;
    return 0;
}

int shard_id_resolve(const char *s, uint32_t *index)
{
    if (!s)
        return -1;
    const char *p = strchr(s, '-'), *end = NULL;
    if (p) {
        p++;
        end = strchr(p, '-');
        if (!end)
            end = p + strlen(p);
    }
    if (!p || end == p) { /* no '-', or nothing after it: the whole string */
        p = s;
        end = s + strlen(s);
    }
    if (p == end)
        return -1;
    uint64_t v = 0;
    for (; p < end; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        v = v * 10 + (uint64_t)(*p - '0');
        if (v > SHARD_INDEX_MAX)
            return -1;
    }
    if (index)
        *index = (uint32_t)v;
    return 0;
}

/* ================= a small fixed-size big integer (for sequence numbers) ================= */

/* Little-endian 32-bit limbs; 7 limbs = 224 bits, enough for any decimal string of up to
 * SEQNUM_DEC_DIGITS_MAX digits (10^60 < 2^200). */
#define BN_LIMBS 7
#define SEQNUM_DEC_DIGITS_MAX 60
typedef struct {
    uint32_t w[BN_LIMBS];
} bignum;

/* a = a * m + add; returns the carry out of the top limb. */
static uint32_t bn_mul_add(bignum *a, uint32_t m, uint32_t add)
{
    uint64_t carry = add;
    for (int i = 0; i < BN_LIMBS; i++) {
        uint64_t t = (uint64_t)a->w[i] * m + carry;
        a->w[i] = (uint32_t)t;
        carry = t >> 32;
    }
    return (uint32_t)carry;
}

/* Nibble k counts from the least significant hex digit. */
static unsigned bn_nibble(const bignum *a, unsigned k)
{
    return (a->w[k / 8] >> (4 * (k % 8))) & 0xFu;
}

static uint64_t bn_get_field(const bignum *a, unsigned pos, unsigned width)
{
    uint64_t v = 0;
    for (unsigned k = width; k-- > 0;)
        v = (v << 4) | bn_nibble(a, pos + k);
    return v;
}

/* ============================ sequence numbers ============================ */

/* Field positions in hex digits from the least significant end (the layout in ids.h, read
 * right to left): '2' | shard index (8) | arrival s (9) | "00" | counter (16) | low digit of
 * the shard index (1) | shard creation s (9) | '2'. */
enum {
    SQ_VERSION_LO = 0,
    SQ_INDEX = 1,      /* 8 */
    SQ_ARRIVAL = 9,    /* 9 */
    SQ_ZERO = 18,      /* 2 */
    SQ_COUNTER = 20,   /* 16 */
    SQ_INDEX_LOW = 36, /* 1 */
    SQ_CREATED = 37,   /* 9 */
    SQ_VERSION_HI = 46,
    SQ_NIBBLES = 47
};
#define SQ_TIME_MASK ((UINT64_C(1) << 36) - 1) /* 9 hex digits of seconds */

/* OR v into a (zero there) from hex digit pos up: the fields of a fresh sequence number never
 * overlap, so a shift and an OR per limb do. */
static void bn_or_field(bignum *a, unsigned pos, uint64_t v)
{
    unsigned bit = 4 * pos;
    while (v && bit / 32 < BN_LIMBS) {
        unsigned sh = bit % 32;
        a->w[bit / 32] |= (uint32_t)(v << sh);
        v >>= 32 - sh;
        bit += 32 - sh;
    }
}

/* Printed once for every record written and read, so: fields set by shifts, divisions only over
 * the limbs still in use, two digits at a time. */
void seqnum_format(const seqnum *s, char out[SEQNUM_MAX])
{
    static const char pairs[] =
        "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
        "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
        "8081828384858687888990919293949596979899";
    bignum a;
    memset(&a, 0, sizeof a);
    bn_or_field(&a, SQ_VERSION_LO, 2);
    bn_or_field(&a, SQ_INDEX, s->shard_index);
    bn_or_field(&a, SQ_ARRIVAL, (uint64_t)s->arrival_s & SQ_TIME_MASK);
    bn_or_field(&a, SQ_COUNTER, s->counter);
    bn_or_field(&a, SQ_INDEX_LOW, s->shard_index & 0xF);
    bn_or_field(&a, SQ_CREATED, (uint64_t)s->shard_created_s & SQ_TIME_MASK);
    bn_or_field(&a, SQ_VERSION_HI, 2);

    char tmp[SEQNUM_MAX + 9];
    size_t n = 0; /* digits in tmp, least significant first */
    int top = BN_LIMBS - 1;
    while (top >= 0 && !a.w[top])
        top--;
    while (top >= 0 && n + 9 < sizeof tmp) {
        uint64_t r = 0;
        for (int i = top; i >= 0; i--) {
            uint64_t cur = (r << 32) | a.w[i];
            a.w[i] = (uint32_t)(cur / 1000000000u);
            r = cur % 1000000000u;
        }
        while (top >= 0 && !a.w[top])
            top--;
        uint32_t chunk = (uint32_t)r;
        for (int d = 0; d < 4; d++) {
            unsigned two = chunk % 100;
            chunk /= 100;
            tmp[n++] = pairs[2 * two + 1];
            tmp[n++] = pairs[2 * two];
        }
        tmp[n++] = (char)('0' + chunk);
    }
    while (n > 1 && tmp[n - 1] == '0') /* drop the leading zeros of the top chunk */
        n--;
    if (n > SEQNUM_MAX - 1)
        n = SEQNUM_MAX - 1;
    for (size_t i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    out[n] = '\0';
}

/* Digits only, non-empty, no leading zero (except "0" itself). */
static int canonical_decimal(const char *s, size_t *len)
{
    size_t n = 0;
    if (!s || !*s)
        return 0;
    for (const char *p = s; *p; p++, n++)
        if (*p < '0' || *p > '9')
            return 0;
    if (n > 1 && s[0] == '0')
        return 0;
    if (len)
        *len = n;
    return 1;
}

int seqnum_parse(const char *dec, seqnum *out)
{
    size_t len;
    bignum a;
    if (!canonical_decimal(dec, &len) || len > SEQNUM_DEC_DIGITS_MAX)
        return -1;
    memset(&a, 0, sizeof a);
    for (size_t i = 0; i < len; i++)
        if (bn_mul_add(&a, 10, (uint32_t)(dec[i] - '0')))
            return -1;
    /* exactly 47 hex digits, the first and the last '2' */
    for (unsigned k = SQ_NIBBLES; k < 8 * BN_LIMBS; k++)
        if (bn_nibble(&a, k))
            return -1;
    if (bn_nibble(&a, SQ_VERSION_HI) != 2 || bn_nibble(&a, SQ_VERSION_LO) != 2)
        return -1;
    if (bn_get_field(&a, SQ_ZERO, 2) != 0)
        return -1;
    uint32_t index = (uint32_t)bn_get_field(&a, SQ_INDEX, 8);
    if (bn_get_field(&a, SQ_INDEX_LOW, 1) != (index & 0xF))
        return -1;
    if (out) {
        out->shard_index = index;
        out->shard_created_s = (int64_t)bn_get_field(&a, SQ_CREATED, 9);
        out->counter = bn_get_field(&a, SQ_COUNTER, 16);
        out->arrival_s = (int64_t)bn_get_field(&a, SQ_ARRIVAL, 9);
    }
    return 0;
}

/* Bits in use (0 for zero). */
static unsigned bn_bits(const bignum *a)
{
    for (int i = BN_LIMBS - 1; i >= 0; i--)
        if (a->w[i])
            return 32u * (unsigned)i + 32u - (unsigned)__builtin_clz(a->w[i]);
    return 0;
}

/* Hex digits [from, to) counted from the left of a number of `len` hex digits, as kinesalite's
 * hex.slice(from, to) reads them. */
static uint64_t bn_slice(const bignum *a, unsigned len, unsigned from, unsigned to)
{
    return bn_get_field(a, len - to, to - from);
}

#define SEQ_CREATED_LIMIT_S INT64_C(16025175000)

/* Are the low n hex digits all zero? */
static int bn_low_zero(const bignum *a, unsigned n)
{
    for (unsigned k = 0; k < n; k++)
        if (bn_nibble(a, k))
            return 0;
    return 1;
}

int seqnum_read(const char *dec, seqnum_info *out)
{
    size_t len;
    bignum a;
    seqnum_info si;
    memset(&si, 0, sizeof si);
    if (!canonical_decimal(dec, &len) || len > SEQNUM_DEC_DIGITS_MAX)
        return SEQNUM_READ_INVALID;
    memset(&a, 0, sizeof a);
    for (size_t i = 0; i < len; i++)
        if (bn_mul_add(&a, 10, (uint32_t)(dec[i] - '0')))
            return SEQNUM_READ_INVALID;
    unsigned bits = bn_bits(&a);
    if (bits <= 124) { /* below 2^124: add 2^124 */
        a.w[124 / 32] |= 1u << (124 % 32);
        bits = 125;
    }
    int rc;
    if (bits <= 129) { /* below 2^129: the old layout */
        unsigned hex = (bits + 3) / 4;
        si.version = 0;
        si.shard_created_s = (int64_t)bn_slice(&a, hex, 1, 10);
        si.shard_index = (int64_t)bn_slice(&a, hex, 28, 32);
        rc = 0;
    } else if (bits == 186 && bn_nibble(&a, 46) == 2 && !bn_low_zero(&a, 46)) {
        /* 2^185 < n < 1.5 * 2^185: 47 hex digits, the first '2' */
        unsigned v = bn_nibble(&a, 0);
        si.version = (int)v;
        si.shard_created_s = (int64_t)bn_slice(&a, 47, 1, 10);
        if (v == 2) {
            if (bn_nibble(&a, 35) > 7) /* the counter's first digit */
                return SEQNUM_READ_INVALID;
            si.counter = bn_slice(&a, 47, 11, 27);
            si.arrival_s = (int64_t)bn_slice(&a, 47, 29, 38);
            uint64_t idx = bn_slice(&a, 47, 38, 46);
            si.shard_index = idx > 0x7fffffffu ? -(int64_t)idx : (int64_t)idx;
            rc = 2;
        } else if (v == 1) {
            si.arrival_s = (int64_t)bn_slice(&a, 47, 13, 22);
            si.shard_index = (int64_t)bn_slice(&a, 47, 38, 46);
            rc = 1;
        } else {
            rc = SEQNUM_READ_OTHER_VERSION;
        }
    } else {
        return SEQNUM_READ_INVALID;
    }
    /* the creation-time limit of old-layout and version-2 numbers (getShardIterator.js and putRecord.js
     * "... with large date"; kinesalite 3.3.3's parseSequence, which passes them) */
    if ((rc == 0 || rc == 2) && si.shard_created_s >= SEQ_CREATED_LIMIT_S)
        return SEQNUM_READ_INVALID;
    if (out)
        *out = si;
    return rc;
}

void shard_id_format_signed(int64_t index, char out[SHARD_ID_MAX])
{
    if (index >= 0 && index <= (int64_t)UINT32_MAX) {
        shard_id_format((uint32_t)index, out);
        return;
    }
    /* AWS's form (kinesalite's shardIdName): "shardId-", '-', the magnitude in 11 digits */
    uint32_t mag = (uint32_t)(index < 0 ? -index : index); /* callers pass 32-bit fields */
    char tmp[32];
    snprintf(tmp, sizeof tmp, "shardId--%011lu", (unsigned long)mag);
    snprintf(out, SHARD_ID_MAX, "%.23s", tmp);
}

int seqnum_cmp_dec(const char *a, const char *b)
{
    size_t la, lb;
    if (!canonical_decimal(a, &la) || !canonical_decimal(b, &lb))
        return SEQNUM_CMP_INVALID;
    if (la != lb)
        return la < lb ? -1 : 1;
    int c = strcmp(a, b);
    return c < 0 ? -1 : c > 0 ? 1 : 0;
}

/* ============================ shard iterators ============================ */

/* Token bytes: version (8) | ciphertext (payload padded to 16-byte blocks) | tag (16).
 * Payload: format (1) | name len (1) name | account len (1) account | region len (1) region |
 * stream_created_ms (8) | shard_index (4) | next_counter (8) | issued_ms (8), big-endian,
 * zero-padded. Sealing is SIV-like: tag = HMAC-SHA256(mac key, version | payload)[0..16), and the
 * payload is encrypted with AES-256-CTR under the encryption key with the tag as IV. Both keys
 * are HMAC-SHA256(server key, label). Tokens are deterministic for a given position and time. */
#define IT_VERSION_LEN 8
#define IT_TAG_LEN 16
#define IT_BLOCK 16
#define IT_FORMAT 1
#define IT_NAME_MAX (sizeof(((iterator_pos *)0)->stream_name) - 1)
#define IT_ACCOUNT_MAX (sizeof(((iterator_pos *)0)->account_id) - 1)
#define IT_REGION_MAX (sizeof(((iterator_pos *)0)->region) - 1)
#define IT_PAYLOAD_MAX                                                                                       \
    (((1 + 1 + IT_NAME_MAX + 1 + IT_ACCOUNT_MAX + 1 + IT_REGION_MAX + 28) + IT_BLOCK - 1) / IT_BLOCK *       \
     IT_BLOCK)
#define IT_BIN_MAX (IT_VERSION_LEN + IT_PAYLOAD_MAX + IT_TAG_LEN)
#define IT_B64_MAX (4 * ((IT_BIN_MAX + 2) / 3))

static const uint8_t it_version[IT_VERSION_LEN] = {0, 0, 0, 0, 0, 0, 0, 1};

typedef char it_fits_check[(IT_B64_MAX < ITERATOR_MAX) ? 1 : -1];

static int derive_key(const uint8_t key[32], const char *label, uint8_t out[32])
{
    unsigned int n = 0;
    if (!HMAC(EVP_sha256(), key, 32, (const unsigned char *)label, strlen(label), out, &n))
        return -1;
    return n == 32 ? 0 : -1;
}

static int it_tag(const uint8_t key[32], const uint8_t *payload, size_t len, uint8_t tag[IT_TAG_LEN])
{
    uint8_t mk[32], full[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    int rc = -1;
    uint8_t msg[IT_VERSION_LEN + IT_PAYLOAD_MAX];
    if (len > IT_PAYLOAD_MAX || derive_key(key, "kinesis-sim iterator mac v1", mk) != 0)
        goto out;
    memcpy(msg, it_version, IT_VERSION_LEN);
    memcpy(msg + IT_VERSION_LEN, payload, len);
    if (!HMAC(EVP_sha256(), mk, sizeof mk, msg, IT_VERSION_LEN + len, full, &n) || n < IT_TAG_LEN)
        goto out;
    memcpy(tag, full, IT_TAG_LEN);
    rc = 0;
out:
    OPENSSL_cleanse(mk, sizeof mk);
    return rc;
}

/* AES-256-CTR is its own inverse: the same call encrypts and decrypts. */
static int it_ctr(const uint8_t key[32], const uint8_t iv[IT_TAG_LEN], const uint8_t *in, size_t len,
                  uint8_t *out)
{
    uint8_t ek[32];
    int rc = -1, n1 = 0, n2 = 0;
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    if (!ctx || derive_key(key, "kinesis-sim iterator enc v1", ek) != 0)
        goto out;
    if (EVP_EncryptInit_ex(ctx, EVP_aes_256_ctr(), NULL, ek, iv) != 1 ||
        EVP_EncryptUpdate(ctx, out, &n1, in, (int)len) != 1 || EVP_EncryptFinal_ex(ctx, out + n1, &n2) != 1 ||
        (size_t)(n1 + n2) != len)
        goto out;
    rc = 0;
out:
    OPENSSL_cleanse(ek, sizeof ek);
    EVP_CIPHER_CTX_free(ctx);
    return rc;
}

static void put_be(uint8_t *p, uint64_t v, int bytes)
{
    for (int i = bytes - 1; i >= 0; i--) {
        p[i] = (uint8_t)v;
        v >>= 8;
    }
}

static uint64_t get_be(const uint8_t *p, int bytes)
{
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++)
        v = (v << 8) | p[i];
    return v;
}

static int put_str(uint8_t *buf, size_t *off, const char *s, size_t cap, size_t max)
{
    size_t n = strnlen(s, cap);
    if (n > max)
        return -1;
    buf[(*off)++] = (uint8_t)n;
    memcpy(buf + *off, s, n);
    *off += n;
    return 0;
}

int iterator_encode(const uint8_t key[32], const iterator_pos *pos, char out[ITERATOR_MAX])
{
    uint8_t payload[IT_PAYLOAD_MAX], bin[IT_BIN_MAX], tag[IT_TAG_LEN];
    size_t off = 0;
    if (!key || !pos || !out)
        return -1;
    memset(payload, 0, sizeof payload);
    payload[off++] = IT_FORMAT;
    if (put_str(payload, &off, pos->stream_name, sizeof pos->stream_name, IT_NAME_MAX) != 0 ||
        put_str(payload, &off, pos->account_id, sizeof pos->account_id, IT_ACCOUNT_MAX) != 0 ||
        put_str(payload, &off, pos->region, sizeof pos->region, IT_REGION_MAX) != 0)
        return -1;
    put_be(payload + off, (uint64_t)pos->stream_created_ms, 8);
    put_be(payload + off + 8, pos->shard_index, 4);
    put_be(payload + off + 12, pos->next_counter, 8);
    put_be(payload + off + 20, (uint64_t)pos->issued_ms, 8);
    off += 28;
    size_t plen = (off + IT_BLOCK - 1) / IT_BLOCK * IT_BLOCK;

    memcpy(bin, it_version, IT_VERSION_LEN);
    if (it_tag(key, payload, plen, tag) != 0 || it_ctr(key, tag, payload, plen, bin + IT_VERSION_LEN) != 0)
        return -1;
    memcpy(bin + IT_VERSION_LEN + plen, tag, IT_TAG_LEN);
    size_t blen = IT_VERSION_LEN + plen + IT_TAG_LEN;
    int n = EVP_EncodeBlock((unsigned char *)out, bin, (int)blen);
    OPENSSL_cleanse(payload, sizeof payload);
    return (n > 0 && n < ITERATOR_MAX) ? 0 : -1;
}

static int get_str(const uint8_t *p, size_t len, size_t *off, char *dst, size_t max)
{
    if (*off >= len)
        return -1;
    size_t n = p[(*off)++];
    if (n > max || *off + n > len || memchr(p + *off, '\0', n))
        return -1;
    memcpy(dst, p + *off, n);
    dst[n] = '\0';
    *off += n;
    return 0;
}

int iterator_decode(const uint8_t key[32], const char *token, iterator_pos *out)
{
    uint8_t bin[IT_BIN_MAX + 3], payload[IT_PAYLOAD_MAX], tag[IT_TAG_LEN];
    char again[IT_B64_MAX + 1];
    iterator_pos pos;
    size_t tlen, off = 0;
    if (!key || !token)
        return -1;
    tlen = strnlen(token, IT_B64_MAX + 1);
    if (tlen == 0 || tlen > IT_B64_MAX || tlen % 4 != 0)
        return -1;
    int n = EVP_DecodeBlock(bin, (const unsigned char *)token, (int)tlen);
    if (n < 0)
        return -1;
    size_t blen = (size_t)n - (token[tlen - 1] == '=') - (token[tlen - 2] == '=');
    /* only the canonical encoding is accepted, so no two tokens decode to the same bytes */
    if (EVP_EncodeBlock((unsigned char *)again, bin, (int)blen) != (int)tlen ||
        memcmp(again, token, tlen) != 0)
        return -1;
    if (blen < IT_VERSION_LEN + IT_BLOCK + IT_TAG_LEN || (blen - IT_VERSION_LEN) % IT_BLOCK != 0)
        return -1;
    if (memcmp(bin, it_version, IT_VERSION_LEN) != 0)
        return -1;
    size_t plen = blen - IT_VERSION_LEN - IT_TAG_LEN;
    if (plen > IT_PAYLOAD_MAX)
        return -1;
    const uint8_t *given = bin + IT_VERSION_LEN + plen;
    if (it_ctr(key, given, bin + IT_VERSION_LEN, plen, payload) != 0 || it_tag(key, payload, plen, tag) != 0)
        return -1;
    if (CRYPTO_memcmp(tag, given, IT_TAG_LEN) != 0)
        return -1;

    /* authentic; still parse strictly */
    memset(&pos, 0, sizeof pos);
    if (payload[off++] != IT_FORMAT)
        return -1;
    if (get_str(payload, plen, &off, pos.stream_name, IT_NAME_MAX) != 0 ||
        get_str(payload, plen, &off, pos.account_id, IT_ACCOUNT_MAX) != 0 ||
        get_str(payload, plen, &off, pos.region, IT_REGION_MAX) != 0 || off + 28 > plen)
        return -1;
    pos.stream_created_ms = (int64_t)get_be(payload + off, 8);
    pos.shard_index = (uint32_t)get_be(payload + off + 8, 4);
    pos.next_counter = get_be(payload + off + 12, 8);
    pos.issued_ms = (int64_t)get_be(payload + off + 20, 8);
    off += 28;
    if (plen - off >= IT_BLOCK)
        return -1;
    for (size_t i = off; i < plen; i++)
        if (payload[i] != 0)
            return -1;
    if (out)
        *out = pos;
    OPENSSL_cleanse(payload, sizeof payload);
    return 0;
}
