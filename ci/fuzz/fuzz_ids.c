/* fuzz_ids.c: libFuzzer harness for mockserver/wire/ids.c, the identifiers a client sends back to us.
 *
 * The whole input is tried as each kind of identifier: a shard iterator (iterator_decode under
 * a fixed key; seeds in corpus/ids/ were made with this key), a sequence number, a 128-bit hash
 * key and a shard id. Whatever parses must survive a format/parse round trip unchanged. The
 * input is also split at its first newline for seqnum_cmp_dec, which must be antisymmetric, and
 * its bytes fill an iterator_pos that must encode and decode back to itself (a forged token
 * cannot get past the tag, so this is how the payload reader sees varied payloads). */
#include <string.h>

#include "fuzz.h"
#include "wire/ids.h"

/* The server key of the seeds: bytes 0x00..0x1f. */
static void fixed_key(uint8_t key[32])
{
    for (int i = 0; i < 32; i++)
        key[i] = (uint8_t)i;
}

static int pos_equal(const iterator_pos *a, const iterator_pos *b)
{
    return strcmp(a->stream_name, b->stream_name) == 0 && strcmp(a->account_id, b->account_id) == 0 &&
           strcmp(a->region, b->region) == 0 && a->stream_created_ms == b->stream_created_ms &&
           a->shard_index == b->shard_index && a->next_counter == b->next_counter &&
           a->issued_ms == b->issued_ms;
}

static void check_iterator(const uint8_t key[32], const char *s)
{
    iterator_pos pos;
    if (iterator_decode(key, s, &pos) != 0)
        return;
    FUZZ_CHECK(strnlen(pos.stream_name, sizeof pos.stream_name) < sizeof pos.stream_name);
    FUZZ_CHECK(strnlen(pos.account_id, sizeof pos.account_id) < sizeof pos.account_id);
    FUZZ_CHECK(strnlen(pos.region, sizeof pos.region) < sizeof pos.region);
    char again[ITERATOR_MAX];
    FUZZ_CHECK(iterator_encode(key, &pos, again) == 0);
    FUZZ_CHECK(strcmp(again, s) == 0); /* tokens are deterministic and canonical */
}

/* Fill a position from the bytes (strings cut at the field's size) and round-trip it. */
static void check_iterator_roundtrip(const uint8_t key[32], const uint8_t *data, size_t size)
{
    iterator_pos pos, back;
    memset(&pos, 0, sizeof pos);
    size_t off = 0;
    char *fields[3] = {pos.stream_name, pos.account_id, pos.region};
    size_t caps[3] = {sizeof pos.stream_name, sizeof pos.account_id, sizeof pos.region};
    for (int f = 0; f < 3; f++) {
        size_t n = 0;
        while (off < size && data[off] != 0 && n + 1 < caps[f])
            fields[f][n++] = (char)data[off++];
        while (off < size && data[off] != 0)
            off++; /* the rest of an over-long field */
        if (off < size)
            off++; /* the NUL */
    }
    uint64_t nums[4] = {0, 0, 0, 0};
    for (int k = 0; k < 4; k++)
        for (int b = 0; b < 8 && off < size; b++)
            nums[k] = nums[k] << 8 | data[off++];
    pos.stream_created_ms = (int64_t)nums[0];
    pos.shard_index = (uint32_t)nums[1];
    pos.next_counter = nums[2];
    pos.issued_ms = (int64_t)nums[3];
    char token[ITERATOR_MAX];
    if (iterator_encode(key, &pos, token) != 0)
        return; /* a field too long for the format */
    FUZZ_CHECK(strlen(token) < ITERATOR_MAX);
    FUZZ_CHECK(iterator_decode(key, token, &back) == 0);
    FUZZ_CHECK(pos_equal(&pos, &back));
    uint8_t other[32];
    memcpy(other, key, sizeof other);
    other[0] ^= 1;
    FUZZ_CHECK(iterator_decode(other, token, &back) != 0);
}

static void check_seqnum(const char *s)
{
    seqnum a, b;
    if (seqnum_parse(s, &a) != 0)
        return;
    char text[SEQNUM_MAX];
    seqnum_format(&a, text);
    FUZZ_CHECK(strlen(text) == 56);
    FUZZ_CHECK(seqnum_parse(text, &b) == 0);
    FUZZ_CHECK(a.shard_index == b.shard_index && a.counter == b.counter &&
               a.shard_created_s == b.shard_created_s && a.arrival_s == b.arrival_s);
}

static void check_u128(const char *s)
{
    u128 a, b;
    if (u128_parse(s, &a) != 0)
        return;
    char text[U128_DEC_MAX];
    u128_format(a, text);
    FUZZ_CHECK(strlen(text) < U128_DEC_MAX);
    FUZZ_CHECK(text[0] != '0' || text[1] == '\0');
    FUZZ_CHECK(u128_parse(text, &b) == 0 && u128_cmp(a, b) == 0);
    /* floor((a + a) / 2) == a */
    FUZZ_CHECK(u128_cmp(u128_midpoint(a, a), a) == 0);
}

static void check_shard_id(const char *s)
{
    uint32_t idx, again;
    if (shard_id_parse(s, &idx) != 0)
        return;
    char text[SHARD_ID_MAX];
    shard_id_format(idx, text);
    FUZZ_CHECK(shard_id_parse(text, &again) == 0 && again == idx);
}

static void check_cmp(const char *s)
{
    const char *nl = strchr(s, '\n');
    if (!nl)
        return;
    size_t alen = (size_t)(nl - s);
    char *a = fuzz_cstr((const uint8_t *)s, alen);
    if (!a)
        return;
    const char *b = nl + 1;
    int ab = seqnum_cmp_dec(a, b), ba = seqnum_cmp_dec(b, a);
    if (ab == SEQNUM_CMP_INVALID || ba == SEQNUM_CMP_INVALID) {
        FUZZ_CHECK(ab == ba);
    } else {
        FUZZ_CHECK(ab == -ba);
        FUZZ_CHECK(ab >= -1 && ab <= 1);
        FUZZ_CHECK((ab == 0) == (strcmp(a, b) == 0));
    }
    free(a);
}

FUZZ_ENTRY(ids)
{
    uint8_t key[32];
    fixed_key(key);
    char *s = fuzz_cstr(data, size);
    if (!s)
        return 0;
    check_iterator(key, s);
    check_seqnum(s);
    check_u128(s);
    check_shard_id(s);
    check_cmp(s);
    (void)partition_key_hash(s, size);
    free(s);
    check_iterator_roundtrip(key, data, size);
    return 0;
}
