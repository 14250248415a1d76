/* ids.h: Kinesis identifiers and their arithmetic, pure functions with no I/O:
 *  - 128-bit hash keys (decimal strings <-> u128), even hash-range splits, MD5 routing;
 *  - shard ids (shardId-000000000000);
 *  - sequence numbers in AWS's observed 56-digit shape, tied to their shard;
 *  - shard iterators: opaque base64 tokens, authenticated with a server key (HMAC-SHA256),
 *    carrying position and issue time.
 * What AWS does with each: docs/aws-behaviour.md (hash keys and shards, sequence numbers,
 * shard iterators). */
#ifndef SIM_IDS_H
#define SIM_IDS_H

#include <stddef.h>
#include <stdint.h>

/* ---- 128-bit hash keys ---- */
typedef struct {
    uint64_t hi, lo;
} u128;

#define U128_DEC_MAX 40 /* 39 digits + NUL */

/* Parse a decimal string of digits only (no sign, no spaces). Returns 0, or -1 when it is not
 * decimal or is >= 2^128. Leading zeros are accepted. */
int u128_parse(const char *dec, u128 *out);
/* Write the decimal form (no leading zeros). */
void u128_format(u128 v, char out[U128_DEC_MAX]);
int u128_cmp(u128 a, u128 b);
u128 u128_max(void);           /* 2^128 - 1 */
u128 u128_add(u128 a, u128 b); /* wraps */
u128 u128_sub(u128 a, u128 b); /* wraps */
u128 u128_from_u64(uint64_t v);
int u128_is_zero(u128 v);
/* a * m, wrapping; *overflow (may be NULL) gets the bits above 2^128 (0 when it fits). */
u128 u128_mul_u32(u128 a, uint32_t m, uint32_t *overflow);
/* floor(a / d); *rem (may be NULL) gets a mod d. d == 0 is a caller bug: returns max, rem 0. */
u128 u128_div_u32(u128 a, uint32_t d, uint32_t *rem);
/* floor((a + b) / 2) without overflow, in either argument order. */
u128 u128_midpoint(u128 a, u128 b);
/* Initial range of shard i of n: step = floor(2^128 / n), [i*step, (i+1)*step - 1], last ends at max. */
void hash_range_split(uint32_t n, uint32_t i, u128 *start, u128 *end);
/* MD5 of the key's bytes read as a big-endian 128-bit integer. */
u128 partition_key_hash(const char *key, size_t len);

/* ---- shard ids ---- */
#define SHARD_ID_MAX 24
void shard_id_format(uint32_t index, char out[SHARD_ID_MAX]); /* shardId-000000000007 */
/* Accept "shardId-<digits>" (and a bare number, as AWS does); -1 when not a shard id. */
int shard_id_parse(const char *s, uint32_t *index);
/* A shard id argument as GetShardIterator, SplitShard and MergeShards read it (kinesalite's
 * recorded tests, docs/aws-behaviour.md): the text between the first '-' and the next one (the
 * whole string when that is empty or there is no '-') must be decimal digits naming 0..2147483647,
 * so "shard-0", "x-0", "-00002147483647" and "shardId-5" are all shard ids. -1 when not. */
#define SHARD_INDEX_MAX 2147483647u
int shard_id_resolve(const char *s, uint32_t *index);

/* ---- sequence numbers ----
 * Hex layout (47 hex digits, about 56 decimal): '2' | shard creation epoch seconds (9) |
 * low hex digit of shard index (1) | per-shard counter (16) | "00" | arrival epoch seconds (9) |
 * shard index (8) | '2'. Integers compare in counter order within one shard. The decimal form
 * is always 56 digits. Times are kept modulo 16^9 s (non-negative times fit until year 4147).
 * seqnum_parse also checks the version nibbles, the "00" byte and that the low-digit field
 * matches the shard index. The AWS example 49590338271490256608559692538361571095921575989136588898
 * fits this layout exactly (created 1542776258, shard 6, counter 0x67648a17, arrival 1545084650). */
#define SEQNUM_MAX 64
typedef struct {
    int64_t shard_created_s; /* the shard's creation time, epoch seconds */
    uint32_t shard_index;
    uint64_t counter;  /* per-shard, strictly increasing */
    int64_t arrival_s; /* the record's arrival time, epoch seconds */
} seqnum;

void seqnum_format(const seqnum *s, char out[SEQNUM_MAX]);
/* -1 when the string is not a well-formed sequence number of this shape. */
int seqnum_parse(const char *dec, seqnum *out);
/* Any sequence number read as AWS reads it (kinesalite's recorded tests: putRecord.js,
 * getShardIterator.js; docs/aws-behaviour.md "Sequence numbers"): a number below 2^124 gets 2^124
 * added; below 2^129 it is an old-layout (version 0) number whose shard is its hex digits 28..31;
 * between 2^185 and 1.5 * 2^185 its last hex digit is its version, 2 (this layout, where a counter
 * whose first hex digit is 8 or more is invalid and a shard field of 0x80000000 or more reads as
 * negative) or 1 (an older layout); anything else, or an old-layout or version-2 number with a
 * shard creation time of 16025175000 s or more, is invalid. */
typedef struct {
    int version;         /* 0, 1, 2; another last digit for SEQNUM_READ_OTHER_VERSION */
    int64_t shard_index; /* may be negative (version 2, field >= 0x80000000: minus the field) */
    int64_t shard_created_s;
    uint64_t counter;  /* version 2 only */
    int64_t arrival_s; /* versions 1 and 2 */
} seqnum_info;
#define SEQNUM_READ_INVALID (-1)
#define SEQNUM_READ_OTHER_VERSION 3 /* 47 hex digits from '2' with a last digit other than 1 or 2 */
/* Returns the version (0, 1, 2), SEQNUM_READ_OTHER_VERSION or SEQNUM_READ_INVALID. */
int seqnum_read(const char *dec, seqnum_info *out);
/* "shardId-000000000005", or AWS's form of a negative index "shardId--02147483648". */
void shard_id_format_signed(int64_t index, char out[SHARD_ID_MAX]);

/* Compare two decimal strings as integers: -1, 0 or 1. Each must be digits only, non-empty, with
 * no leading zero (except "0"); otherwise SEQNUM_CMP_INVALID is returned (check it first). */
#define SEQNUM_CMP_INVALID 2
int seqnum_cmp_dec(const char *a, const char *b);

/* ---- shard iterators ----
 * base64 of a version prefix (00 00 00 00 00 00 00 01, as AWS's), the encoded position and an
 * HMAC-SHA256 tag under the server key. The bytes are private to ids.c; callers see only this
 * struct. At most 512 characters (312 with the longest fields). The payload is encrypted
 * (AES-256-CTR, SIV-style with the tag as IV) so tokens are opaque; tokens are deterministic for
 * a given position and issue time. Only canonical standard base64 is accepted. */
#define ITERATOR_MAX 513
typedef struct {
    char stream_name[129];
    char account_id[16];
    char region[32];
    int64_t stream_created_ms; /* tells a re-created stream of the same name apart */
    uint32_t shard_index;
    uint64_t next_counter; /* the first record counter this iterator reads */
    int64_t issued_ms;     /* for the 300 s expiry */
} iterator_pos;

/* Returns 0, or -1 if the result would not fit. */
int iterator_encode(const uint8_t key[32], const iterator_pos *pos, char out[ITERATOR_MAX]);
/* Returns 0, or -1 when the token is malformed, forged or altered (InvalidArgumentException). */
int iterator_decode(const uint8_t key[32], const char *token, iterator_pos *out);

#endif
