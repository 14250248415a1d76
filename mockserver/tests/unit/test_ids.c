/* test_ids.c: Criterion tests for mockserver/wire/ids.c (hash keys, hash ranges, MD5 routing, shard
 * ids, sequence numbers, shard iterators). Expected big numbers were computed independently with
 * Python (int arithmetic, hashlib.md5) while writing the tests; the AWS sequence number example is
 * from the Kinesis documentation (docs/aws-behaviour.md, sequence numbers). */
#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "wire/ids.h"

#define MAX128 "340282366920938463463374607431768211455"

static void fmt(u128 v, char out[U128_DEC_MAX])
{
    u128_format(v, out);
}

static u128 P(const char *dec)
{
    u128 v;
    cr_assert_eq(u128_parse(dec, &v), 0, "parse %s", dec);
    return v;
}

static void assert_u128(u128 v, const char *expected)
{
    char buf[U128_DEC_MAX];
    fmt(v, buf);
    cr_assert_str_eq(buf, expected);
}

/* ============================== u128 ============================== */

Test(ids_u128, parse_format_round_trip)
{
    const char *vals[] = {"0",
                          "1",
                          "9",
                          "10",
                          "18446744073709551615",
                          "18446744073709551616",
                          "170141183460469231731687303715884105728",
                          MAX128};
    for (size_t i = 0; i < sizeof vals / sizeof *vals; i++)
        assert_u128(P(vals[i]), vals[i]);
    u128 v = P("18446744073709551616");
    cr_assert_eq(v.hi, 1u);
    cr_assert_eq(v.lo, 0u);
    cr_assert_eq(u128_cmp(P(MAX128), u128_max()), 0);
}

Test(ids_u128, parse_accepts_leading_zeros)
{
    assert_u128(P("000123"), "123");
    assert_u128(P("0000000000000000000000000000000000000000000" MAX128), MAX128);
    assert_u128(P("0000"), "0");
}

Test(ids_u128, parse_rejects)
{
    const char *bad[] = {"",
                         "-1",
                         "+1",
                         " 1",
                         "1 ",
                         "1a",
                         "0x10",
                         "1.5",
                         "1e3",
                         "340282366920938463463374607431768211456", /* 2^128 */
                         "340282366920938463463374607431768211460",
                         "999999999999999999999999999999999999999",
                         "1000000000000000000000000000000000000000000000000000"};
    u128 v = {7, 7};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        cr_assert_eq(u128_parse(bad[i], &v), -1, "accepted '%s'", bad[i]);
    cr_assert_eq(u128_parse(NULL, &v), -1);
    cr_assert_eq(v.hi, 7u, "output untouched on failure");
}

Test(ids_u128, add_sub_wrap_and_carry)
{
    u128 one = u128_from_u64(1);
    assert_u128(u128_add(P("18446744073709551615"), one), "18446744073709551616");
    assert_u128(u128_sub(P("18446744073709551616"), one), "18446744073709551615");
    cr_assert(u128_is_zero(u128_add(u128_max(), one)));
    assert_u128(u128_sub(u128_from_u64(0), one), MAX128);
    assert_u128(
        u128_add(P("170141183460469231731687303715884105727"), P("170141183460469231731687303715884105728")),
        MAX128);
}

Test(ids_u128, cmp)
{
    cr_assert_eq(u128_cmp(P("1"), P("2")), -1);
    cr_assert_eq(u128_cmp(P("2"), P("1")), 1);
    cr_assert_eq(u128_cmp(P("5"), P("5")), 0);
    cr_assert_eq(u128_cmp(P("18446744073709551616"), P("18446744073709551615")), 1);
    cr_assert_eq(u128_cmp(P("18446744073709551615"), P("18446744073709551616")), -1);
    cr_assert(!u128_is_zero(P("18446744073709551616")));
}

Test(ids_u128, mul_div_small)
{
    uint32_t ovf = 99, rem = 99;
    assert_u128(u128_mul_u32(P("18446744073709551616"), 10, &ovf), "184467440737095516160");
    cr_assert_eq(ovf, 0u);
    u128 w = u128_mul_u32(u128_max(), 2, &ovf);
    cr_assert_eq(ovf, 1u);
    assert_u128(w, "340282366920938463463374607431768211454");
    assert_u128(u128_div_u32(u128_max(), 3, &rem), "113427455640312821154458202477256070485");
    cr_assert_eq(rem, 0u);
    assert_u128(u128_div_u32(u128_max(), 10000, &rem), "34028236692093846346337460743176821");
    cr_assert_eq(rem, 1455u);
    assert_u128(u128_div_u32(P("184467440737095516161"), 10, &rem), "18446744073709551616");
    cr_assert_eq(rem, 1u);
    assert_u128(u128_div_u32(P("42"), 0, &rem), MAX128); /* defined, not a crash */
    cr_assert_eq(rem, 0u);
}

Test(ids_u128, midpoint)
{
    assert_u128(u128_midpoint(u128_from_u64(0), u128_max()), "170141183460469231731687303715884105727");
    assert_u128(u128_midpoint(u128_max(), u128_from_u64(0)), "170141183460469231731687303715884105727");
    assert_u128(u128_midpoint(u128_max(), u128_max()), MAX128);
    assert_u128(u128_midpoint(P("10"), P("13")), "11");
}

/* ======================= hash ranges and routing ======================= */

static void assert_range(uint32_t n, uint32_t i, const char *s, const char *e)
{
    u128 a, b;
    hash_range_split(n, i, &a, &b);
    assert_u128(a, s);
    assert_u128(b, e);
}

Test(ids_hash, split_one_two_three)
{
    assert_range(1, 0, "0", MAX128);
    assert_range(2, 0, "0", "170141183460469231731687303715884105727");
    assert_range(2, 1, "170141183460469231731687303715884105728", MAX128);
    assert_range(3, 0, "0", "113427455640312821154458202477256070484");
    assert_range(3, 1, "113427455640312821154458202477256070485", "226854911280625642308916404954512140969");
    assert_range(3, 2, "226854911280625642308916404954512140970", MAX128);
}

Test(ids_hash, split_ten_thousand)
{
    assert_range(10000, 0, "0", "34028236692093846346337460743176820");
    assert_range(10000, 1, "34028236692093846346337460743176821", "68056473384187692692674921486353641");
    assert_range(10000, 9999, "340248338684246369617028269971025033179", MAX128);
}

Test(ids_hash, split_is_contiguous_and_covers)
{
    const uint32_t ns[] = {1, 2, 3, 4, 7, 16, 100, 10000};
    for (size_t k = 0; k < sizeof ns / sizeof *ns; k++) {
        u128 prev_end = {0, 0}, s, e;
        for (uint32_t i = 0; i < ns[k]; i++) {
            hash_range_split(ns[k], i, &s, &e);
            if (i == 0)
                cr_assert(u128_is_zero(s));
            else
                cr_assert_eq(u128_cmp(s, u128_add(prev_end, u128_from_u64(1))), 0, "n=%u i=%u", ns[k], i);
            cr_assert_leq(u128_cmp(s, e), 0);
            prev_end = e;
        }
        cr_assert_eq(u128_cmp(prev_end, u128_max()), 0, "n=%u", ns[k]);
    }
}

Test(ids_hash, split_power_of_two_has_exact_step)
{
    /* 2^128 / 4 = 2^126: the last shard gets no remainder */
    assert_range(4, 1, "85070591730234615865843651857942052864", "170141183460469231731687303715884105727");
    assert_range(4, 3, "255211775190703847597530955573826158592", MAX128);
}

Test(ids_hash, split_degenerate_arguments)
{
    assert_range(0, 0, "0", MAX128);                                       /* n = 0 acts as 1 */
    assert_range(2, 5, "170141183460469231731687303715884105728", MAX128); /* i >= n: the last */
}

Test(ids_hash, md5_big_endian)
{
    assert_u128(partition_key_hash("a", 1), "16955237001963240173058271559858726497");
    assert_u128(partition_key_hash("", 0), "281949768489412648962353822266799178366");
    assert_u128(partition_key_hash("partitionKey", 12), "193318062818912349798954611745638949166");
    const char *utf8 = "h\xc3\xa9llo"; /* "héllo": the UTF-8 bytes are hashed */
    assert_u128(partition_key_hash(utf8, strlen(utf8)), "252973414135665226741597071662034525008");
    cr_assert_eq(u128_cmp(partition_key_hash("ab", 1), partition_key_hash("a", 1)), 0, "len is honoured");
    cr_assert_eq(u128_cmp(partition_key_hash(NULL, 0), partition_key_hash("", 0)), 0);
}

/* ============================== shard ids ============================== */

Test(ids_shard, format)
{
    char buf[SHARD_ID_MAX];
    shard_id_format(0, buf);
    cr_assert_str_eq(buf, "shardId-000000000000");
    shard_id_format(7, buf);
    cr_assert_str_eq(buf, "shardId-000000000007");
    shard_id_format(UINT32_MAX, buf);
    cr_assert_str_eq(buf, "shardId-004294967295");
}

Test(ids_shard, parse_accepts)
{
    uint32_t ix = 99;
    cr_assert_eq(shard_id_parse("shardId-000000000007", &ix), 0);
    cr_assert_eq(ix, 7u);
    cr_assert_eq(shard_id_parse("shardId-000000000000", &ix), 0);
    cr_assert_eq(ix, 0u);
    cr_assert_eq(shard_id_parse("shardId-12", &ix), 0);
    cr_assert_eq(ix, 12u);
    cr_assert_eq(shard_id_parse("3", &ix), 0); /* bare number, as kinesalite accepts */
    cr_assert_eq(ix, 3u);
    cr_assert_eq(shard_id_parse("shardId-004294967295", &ix), 0);
    cr_assert_eq(ix, UINT32_MAX);
    char buf[SHARD_ID_MAX];
    for (uint32_t i = 0; i < 300; i += 37) {
        shard_id_format(i, buf);
        cr_assert_eq(shard_id_parse(buf, &ix), 0);
        cr_assert_eq(ix, i);
    }
}

Test(ids_shard, parse_rejects)
{
    const char *bad[] = {"",
                         "shardId-",
                         "shardId-x",
                         "shardid-1",
                         "shard-1",
                         "ShardId-1",
                         "-1",
                         "+1",
                         "4294967296",
                         "shardId-4294967296",
                         "shardId-000000000001 ",
                         " 1",
                         "shardId--1",
                         "shardId-1a",
                         "shardId-shardId-1",
                         "99999999999999999999999"};
    uint32_t ix = 5;
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        cr_assert_eq(shard_id_parse(bad[i], &ix), -1, "accepted '%s'", bad[i]);
    cr_assert_eq(shard_id_parse(NULL, &ix), -1);
    cr_assert_eq(ix, 5u);
}

/* ============================ sequence numbers ============================ */

#define AWS_EXAMPLE "49590338271490256608559692538361571095921575989136588898"

Test(ids_seqnum, aws_example_fits_layout)
{
    seqnum s;
    cr_assert_eq(seqnum_parse(AWS_EXAMPLE, &s), 0);
    cr_assert_eq(s.shard_created_s, 1542776258);
    cr_assert_eq(s.shard_index, 6u);
    cr_assert_eq(s.counter, 0x67648a17u);
    cr_assert_eq(s.arrival_s, 1545084650);
    char buf[SEQNUM_MAX];
    seqnum_format(&s, buf);
    cr_assert_str_eq(buf, AWS_EXAMPLE);
}

Test(ids_seqnum, known_values)
{
    char buf[SEQNUM_MAX];
    seqnum a = {1700000000, 0, 0, 1700000000};
    seqnum_format(&a, buf);
    cr_assert_str_eq(buf, "49646437577108476416916876405825929425585429676275269634");
    seqnum b = {1700000000, 0x12345678, 0xfedcba9876543210u, 1700000123};
    seqnum_format(&b, buf);
    cr_assert_str_eq(buf, "49646437577309084009280547433552541143794123101457180546");
    seqnum c = {1700000000, 3, 42, 1700000005};
    seqnum_format(&c, buf);
    cr_assert_str_eq(buf, "49646437577175378652512468275301311464827189529728254002");
}

Test(ids_seqnum, round_trip_and_length)
{
    uint64_t x = 88172645463325252u; /* xorshift64, fixed seed: deterministic */
    char buf[SEQNUM_MAX];
    for (int i = 0; i < 2000; i++) {
        seqnum s, t;
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        s.shard_created_s = (int64_t)(x % 68719476736u);
        s.shard_index = (uint32_t)(x >> 20);
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        s.counter = x;
        s.arrival_s = (int64_t)((x >> 5) % 68719476736u);
        seqnum_format(&s, buf);
        cr_assert_eq(strlen(buf), 56u, "%s", buf);
        cr_assert_eq(seqnum_parse(buf, &t), 0, "%s", buf);
        cr_assert_eq(t.shard_created_s, s.shard_created_s);
        cr_assert_eq(t.shard_index, s.shard_index);
        cr_assert_eq(t.counter, s.counter);
        cr_assert_eq(t.arrival_s, s.arrival_s);
    }
}

Test(ids_seqnum, extremes)
{
    char buf[SEQNUM_MAX];
    seqnum t, lo = {0, 0, 0, 0}, hi = {68719476735, UINT32_MAX, UINT64_MAX, 68719476735};
    seqnum_format(&lo, buf);
    cr_assert_eq(strlen(buf), 56u);
    cr_assert_eq(seqnum_parse(buf, &t), 0);
    cr_assert_eq(t.counter, 0u);
    seqnum_format(&hi, buf);
    cr_assert_eq(strlen(buf), 56u);
    cr_assert_eq(seqnum_parse(buf, &t), 0);
    cr_assert_eq(t.counter, UINT64_MAX);
    cr_assert_eq(t.shard_index, UINT32_MAX);
    cr_assert_eq(t.shard_created_s, 68719476735);
    cr_assert_eq(t.arrival_s, 68719476735);
}

Test(ids_seqnum, counter_order_is_integer_order)
{
    char prev[SEQNUM_MAX], cur[SEQNUM_MAX];
    const int64_t created = 1700000000;
    seqnum s = {created, 5, 0, created};
    seqnum_format(&s, prev);
    for (uint64_t c = 1; c < 3000; c++) {
        s.counter = c * 977;
        /* arrival time may even go backwards: the counter decides the order */
        s.arrival_s = created + (int64_t)((c * 7919) % 1000);
        seqnum_format(&s, cur);
        cr_assert_eq(seqnum_cmp_dec(prev, cur), -1, "%s !< %s", prev, cur);
        cr_assert_eq(strlen(prev), strlen(cur));
        cr_assert_lt(strcmp(prev, cur), 0);
        memcpy(prev, cur, sizeof cur);
    }
    /* adjacent counters at the top of the range */
    seqnum a = {created, 5, UINT64_MAX - 1, created + 900}, b = {created, 5, UINT64_MAX, created};
    seqnum_format(&a, prev);
    seqnum_format(&b, cur);
    cr_assert_eq(seqnum_cmp_dec(prev, cur), -1);
}

Test(ids_seqnum, shards_are_encoded)
{
    char a[SEQNUM_MAX], b[SEQNUM_MAX];
    for (uint32_t ix = 0; ix < 40; ix++) {
        seqnum s = {1700000000, ix, 12345, 1700000100}, o = s, t;
        o.shard_index = ix + 1;
        seqnum_format(&s, a);
        seqnum_format(&o, b);
        cr_assert_str_neq(a, b);
        cr_assert_eq(seqnum_parse(a, &t), 0);
        cr_assert_eq(t.shard_index, ix);
        cr_assert_eq(seqnum_parse(b, &t), 0);
        cr_assert_eq(t.shard_index, ix + 1);
    }
    /* same low hex digit, different index */
    seqnum s = {1700000000, 0x10, 1, 1700000000}, o = {1700000000, 0x20, 1, 1700000000};
    seqnum_format(&s, a);
    seqnum_format(&o, b);
    cr_assert_str_neq(a, b);
}

Test(ids_seqnum, starting_number_is_below_every_record)
{
    const int64_t created = 1700000000;
    char start[SEQNUM_MAX], rec[SEQNUM_MAX];
    seqnum st = {created, 9, 0, created};
    seqnum_format(&st, start);
    for (uint64_t c = 1; c < 500; c++) {
        seqnum r = {created, 9, c, created + (int64_t)c};
        seqnum_format(&r, rec);
        cr_assert_eq(seqnum_cmp_dec(start, rec), -1);
    }
    seqnum late = {created, 9, 1, created}; /* same second as creation */
    seqnum_format(&late, rec);
    cr_assert_eq(seqnum_cmp_dec(start, rec), -1);
}

Test(ids_seqnum, parse_rejects)
{
    const char *bad[] = {
        "",
        "abc",
        "-1",
        "1",
        "0",
        " " AWS_EXAMPLE,
        AWS_EXAMPLE " ",
        AWS_EXAMPLE "0",
        "0" AWS_EXAMPLE,
        "+49590338271490256608559692538361571095921575989136588898",
        "4959033827149025660855969253836157109592157598913658889x",
        "1000000000000000000000000000000000000000000000000000000000000", /* 61 digits */
        "74166366231029600386246020709706258402727015484665888818",      /* leading nibble 3 */
        "25126508923321156918778915840896364526927363574790619186",      /* leading nibble 1 */
        "49646437577175378652512468275301311464827189529728254000",      /* trailing nibble 0 */
        "49646437577175378652512468275301311464827189529728254003",      /* trailing nibble 3 */
        "49646437577175378652512468275301316187193672399373467698",      /* "00" byte is 01 */
        "49646437577175378652512468275301387022690915444051673138",      /* "00" byte is 10 */
        "49646437577197679397710998898442847183099837891234234418",      /* index low digit 4 != 3 */
        "3102902348573461165782029267206331966551699345608015922",       /* 46 hex digits */
        "794343001234806058440199492404820983437235032475652063282",     /* 48 hex digits */
    };
    seqnum s = {1, 2, 3, 4};
    cr_assert_eq(seqnum_parse("49646437577175378652512468275301311464827189529728254002", &s), 0,
                 "the unaltered base value parses");
    s.counter = 77;
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        cr_assert_eq(seqnum_parse(bad[i], &s), -1, "accepted '%s'", bad[i]);
    cr_assert_eq(seqnum_parse(NULL, &s), -1);
    cr_assert_eq(s.counter, 77u, "output untouched on failure");
}

Test(ids_seqnum, cmp_dec)
{
    cr_assert_eq(seqnum_cmp_dec("1", "2"), -1);
    cr_assert_eq(seqnum_cmp_dec("2", "1"), 1);
    cr_assert_eq(seqnum_cmp_dec("9", "10"), -1);
    cr_assert_eq(seqnum_cmp_dec("100", "99"), 1);
    cr_assert_eq(seqnum_cmp_dec("0", "0"), 0);
    cr_assert_eq(seqnum_cmp_dec(AWS_EXAMPLE, AWS_EXAMPLE), 0);
    cr_assert_eq(seqnum_cmp_dec("0", AWS_EXAMPLE), -1);
    const char *bad[] = {"", "01", "00", "1a", "-1", " 1", "1 "};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        cr_assert_eq(seqnum_cmp_dec(bad[i], "1"), SEQNUM_CMP_INVALID, "'%s'", bad[i]);
        cr_assert_eq(seqnum_cmp_dec("1", bad[i]), SEQNUM_CMP_INVALID, "'%s'", bad[i]);
    }
    cr_assert_eq(seqnum_cmp_dec(NULL, "1"), SEQNUM_CMP_INVALID);
    cr_assert_eq(seqnum_cmp_dec("1", NULL), SEQNUM_CMP_INVALID);
}

/* ============================ shard iterators ============================ */

static const uint8_t KEY[32] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16,
                                17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};

static iterator_pos sample_pos(void)
{
    iterator_pos p;
    memset(&p, 0, sizeof p);
    snprintf(p.stream_name, sizeof p.stream_name, "my-stream_1.a");
    snprintf(p.account_id, sizeof p.account_id, "000000000000");
    snprintf(p.region, sizeof p.region, "us-east-1");
    p.stream_created_ms = 1700000000123;
    p.shard_index = 42;
    p.next_counter = 0x0123456789abcdefu;
    p.issued_ms = 1700000300456;
    return p;
}

static iterator_pos max_pos(void)
{
    iterator_pos p = sample_pos();
    memset(p.stream_name, 'n', 128);
    p.stream_name[128] = '\0';
    memset(p.account_id, '9', 15);
    p.account_id[15] = '\0';
    memset(p.region, 'r', 31);
    p.region[31] = '\0';
    p.shard_index = UINT32_MAX;
    p.next_counter = UINT64_MAX;
    p.stream_created_ms = INT64_MAX;
    p.issued_ms = INT64_MAX;
    return p;
}

static void assert_pos_eq(const iterator_pos *a, const iterator_pos *b)
{
    cr_assert_str_eq(a->stream_name, b->stream_name);
    cr_assert_str_eq(a->account_id, b->account_id);
    cr_assert_str_eq(a->region, b->region);
    cr_assert_eq(a->stream_created_ms, b->stream_created_ms);
    cr_assert_eq(a->shard_index, b->shard_index);
    cr_assert_eq(a->next_counter, b->next_counter);
    cr_assert_eq(a->issued_ms, b->issued_ms);
}

/* Decode base64 (test helper, via OpenSSL); returns the byte count. */
static size_t b64_decode(const char *tok, uint8_t *out)
{
    size_t n = strlen(tok);
    int r = EVP_DecodeBlock(out, (const unsigned char *)tok, (int)n);
    cr_assert_geq(r, 0);
    return (size_t)r - (tok[n - 1] == '=') - (tok[n - 2] == '=');
}

static const void *find_bytes(const uint8_t *hay, size_t n, const char *needle, size_t m)
{
    for (size_t i = 0; i + m <= n; i++)
        if (memcmp(hay + i, needle, m) == 0)
            return hay + i;
    return NULL;
}

static void b64_encode(const uint8_t *bin, size_t n, char *out)
{
    EVP_EncodeBlock((unsigned char *)out, bin, (int)n);
}

Test(ids_iterator, round_trip)
{
    iterator_pos p = sample_pos(), q;
    char tok[ITERATOR_MAX];
    cr_assert_eq(iterator_encode(KEY, &p, tok), 0);
    memset(&q, 0xAA, sizeof q);
    cr_assert_eq(iterator_decode(KEY, tok, &q), 0);
    assert_pos_eq(&p, &q);
}

Test(ids_iterator, round_trip_extremes_and_empty_strings)
{
    iterator_pos p = max_pos(), q;
    char tok[ITERATOR_MAX];
    cr_assert_eq(iterator_encode(KEY, &p, tok), 0);
    cr_assert_leq(strlen(tok), 512u);
    cr_assert_eq(iterator_decode(KEY, tok, &q), 0);
    assert_pos_eq(&p, &q);

    memset(&p, 0, sizeof p);
    p.stream_created_ms = -5;
    cr_assert_eq(iterator_encode(KEY, &p, tok), 0);
    cr_assert_eq(iterator_decode(KEY, tok, &q), 0);
    assert_pos_eq(&p, &q);
}

Test(ids_iterator, outer_shape_like_aws)
{
    iterator_pos p = max_pos();
    char tok[ITERATOR_MAX];
    uint8_t bin[600];
    cr_assert_eq(iterator_encode(KEY, &p, tok), 0);
    size_t len = strlen(tok);
    cr_assert_leq(len, 512u);
    cr_assert_eq(len % 4, 0u);
    size_t n = b64_decode(tok, bin);
    static const uint8_t ver[8] = {0, 0, 0, 0, 0, 0, 0, 1};
    cr_assert_eq(memcmp(bin, ver, 8), 0);
    cr_assert_eq((n - 8) % 16, 0u);
    /* the payload is encrypted: the stream name does not appear in clear */
    cr_assert_null(find_bytes(bin, n, "nnnnnnnn", 8));
    p = sample_pos();
    cr_assert_eq(iterator_encode(KEY, &p, tok), 0);
    n = b64_decode(tok, bin);
    cr_assert_null(find_bytes(bin, n, "my-stream", 9));
    cr_assert_null(find_bytes(bin, n, "us-east-1", 9));
}

Test(ids_iterator, deterministic_and_position_sensitive)
{
    iterator_pos p = sample_pos();
    char a[ITERATOR_MAX], b[ITERATOR_MAX];
    cr_assert_eq(iterator_encode(KEY, &p, a), 0);
    cr_assert_eq(iterator_encode(KEY, &p, b), 0);
    cr_assert_str_eq(a, b);
    p.issued_ms++;
    cr_assert_eq(iterator_encode(KEY, &p, b), 0);
    cr_assert_str_neq(a, b);
}

Test(ids_iterator, other_key_rejected)
{
    iterator_pos p = sample_pos(), q;
    uint8_t other[32];
    char tok[ITERATOR_MAX];
    memcpy(other, KEY, 32);
    other[31] ^= 1;
    cr_assert_eq(iterator_encode(KEY, &p, tok), 0);
    cr_assert_eq(iterator_decode(other, tok, &q), -1);
}

Test(ids_iterator, every_byte_flip_rejected)
{
    iterator_pos p = sample_pos(), q;
    char tok[ITERATOR_MAX], bad[ITERATOR_MAX];
    uint8_t bin[600], mod[600];
    cr_assert_eq(iterator_encode(KEY, &p, tok), 0);
    size_t n = b64_decode(tok, bin);
    for (size_t i = 0; i < n; i++) {
        for (int bit = 0; bit < 8; bit += 7) { /* lowest and highest bit of each byte */
            memcpy(mod, bin, n);
            mod[i] ^= (uint8_t)(1u << bit);
            b64_encode(mod, n, bad);
            cr_assert_eq(iterator_decode(KEY, bad, &q), -1, "byte %zu bit %d", i, bit);
        }
    }
}

Test(ids_iterator, every_char_change_rejected)
{
    iterator_pos p = sample_pos(), q;
    char tok[ITERATOR_MAX], bad[ITERATOR_MAX];
    cr_assert_eq(iterator_encode(KEY, &p, tok), 0);
    size_t len = strlen(tok);
    for (size_t i = 0; i < len; i++) {
        memcpy(bad, tok, len + 1);
        /* a different base64 character, including in the unused bits before the padding */
        bad[i] = tok[i] == 'A' ? 'B' : 'A';
        cr_assert_eq(iterator_decode(KEY, bad, &q), -1, "char %zu", i);
    }
}

Test(ids_iterator, wrong_version_rejected)
{
    iterator_pos p = sample_pos(), q;
    char tok[ITERATOR_MAX], bad[ITERATOR_MAX];
    uint8_t bin[600];
    cr_assert_eq(iterator_encode(KEY, &p, tok), 0);
    size_t n = b64_decode(tok, bin);
    bin[7] = 2;
    b64_encode(bin, n, bad);
    cr_assert_eq(iterator_decode(KEY, bad, &q), -1);
    bin[7] = 1;
    bin[0] = 1;
    b64_encode(bin, n, bad);
    cr_assert_eq(iterator_decode(KEY, bad, &q), -1);
}

Test(ids_iterator, truncated_and_wrong_length_rejected)
{
    iterator_pos p = sample_pos(), q;
    char tok[ITERATOR_MAX], bad[ITERATOR_MAX];
    uint8_t bin[600];
    cr_assert_eq(iterator_encode(KEY, &p, tok), 0);
    size_t len = strlen(tok), n = b64_decode(tok, bin);
    for (size_t cut = 1; cut < len; cut++) { /* every prefix */
        memcpy(bad, tok, len - cut);
        bad[len - cut] = '\0';
        cr_assert_eq(iterator_decode(KEY, bad, &q), -1, "cut %zu", cut);
    }
    size_t lens[] = {n - 16, n - 1, n + 1, n + 16, 8, 24, 40};
    uint8_t big[700];
    memset(big, 0, sizeof big);
    memcpy(big, bin, n);
    for (size_t i = 0; i < sizeof lens / sizeof *lens; i++) {
        b64_encode(big, lens[i], bad);
        cr_assert_eq(iterator_decode(KEY, bad, &q), -1, "length %zu", lens[i]);
    }
}

Test(ids_iterator, malformed_text_rejected)
{
    iterator_pos p = sample_pos(), q;
    char tok[ITERATOR_MAX], bad[1200];
    cr_assert_eq(iterator_encode(KEY, &p, tok), 0);
    const char *simple[] = {
        "", "A", "AA==", "!!!!", "AAAA====", "not base64 at all", "AAAAAAAAAAE=", "AAAAAAAAAAE"};
    for (size_t i = 0; i < sizeof simple / sizeof *simple; i++)
        cr_assert_eq(iterator_decode(KEY, simple[i], &q), -1, "'%s'", simple[i]);
    cr_assert_eq(iterator_decode(KEY, NULL, &q), -1);
    snprintf(bad, sizeof bad, " %s", tok);
    cr_assert_eq(iterator_decode(KEY, bad, &q), -1);
    snprintf(bad, sizeof bad, "%s\n", tok);
    cr_assert_eq(iterator_decode(KEY, bad, &q), -1);
    snprintf(bad, sizeof bad, "%sAAAA", tok);
    cr_assert_eq(iterator_decode(KEY, bad, &q), -1);
    memset(bad, 'A', 1100);
    bad[1100] = '\0';
    cr_assert_eq(iterator_decode(KEY, bad, &q), -1);
    /* url-safe alphabet is not the standard one */
    for (size_t i = 0; tok[i]; i++)
        bad[i] = tok[i] == '+' ? '-' : tok[i] == '/' ? '_' : tok[i];
    bad[strlen(tok)] = '\0';
    if (strcmp(bad, tok) != 0)
        cr_assert_eq(iterator_decode(KEY, bad, &q), -1);
}

Test(ids_iterator, encode_rejects_oversized_fields)
{
    char tok[ITERATOR_MAX];
    iterator_pos p = sample_pos();
    memset(p.stream_name, 'x', sizeof p.stream_name); /* no terminator: 129 chars */
    cr_assert_eq(iterator_encode(KEY, &p, tok), -1);
    p = sample_pos();
    memset(p.account_id, '1', sizeof p.account_id);
    cr_assert_eq(iterator_encode(KEY, &p, tok), -1);
    p = sample_pos();
    memset(p.region, 'r', sizeof p.region);
    cr_assert_eq(iterator_encode(KEY, &p, tok), -1);
    cr_assert_eq(iterator_encode(KEY, NULL, tok), -1);
}

Test(ids_iterator, non_canonical_base64_rejected)
{
    /* With a 128-char name the token has 232 bytes, so it ends in "x==" where x carries 4 unused
     * bits; setting them gives another string that decodes to the same bytes. */
    iterator_pos p = max_pos(), q;
    char tok[ITERATOR_MAX], bad[ITERATOR_MAX];
    static const char alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    cr_assert_eq(iterator_encode(KEY, &p, tok), 0);
    size_t len = strlen(tok);
    cr_assert_str_eq(tok + len - 2, "==");
    const char *at = strchr(alpha, tok[len - 3]);
    cr_assert_not_null(at);
    cr_assert_eq((at - alpha) % 16, 0, "canonical: unused bits are zero");
    memcpy(bad, tok, len + 1);
    bad[len - 3] = alpha[(at - alpha) + 1];
    uint8_t b1[600], b2[600];
    size_t n1 = b64_decode(tok, b1), n2 = b64_decode(bad, b2);
    cr_assert_eq(n1, n2);
    cr_assert_eq(memcmp(b1, b2, n1), 0, "same bytes");
    cr_assert_eq(iterator_decode(KEY, tok, &q), 0);
    cr_assert_eq(iterator_decode(KEY, bad, &q), -1);
}

/* ---- shard ids and sequence numbers as AWS reads them (kinesalite's recorded getShardIterator.js,
 * splitShard.js, mergeShards.js, putRecord.js) ---- */

Test(ids, shard_id_resolve_forms)
{
    struct {
        const char *in;
        int64_t want; /* -1: not a shard id */
    } cases[] = {{"shardId-000000000007", 7},
                 {"shard-0", 0},
                 {"x-0", 0},
                 {"-00002147483647", 2147483647},
                 {"a-00002147483647", 2147483647},
                 {"shardId-5", 5},
                 {"2147483647", 2147483647},
                 {"a-1-b", 1},
                 {"2147483648", -1},
                 {"shardId-002147483648", -1},
                 {"ABKLFD8", -1},
                 {"2.14E4", -1},
                 {"shardId--5", -1},
                 {"", -1},
                 {"shardId-", -1}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint32_t idx = 99;
        int rc = shard_id_resolve(cases[i].in, &idx);
        if (cases[i].want < 0)
            cr_assert_eq(rc, -1, "'%s' is not a shard id", cases[i].in);
        else
            cr_assert(rc == 0 && idx == (uint32_t)cases[i].want, "'%s' -> %d %u", cases[i].in, rc, idx);
    }
}

Test(ids, seqnum_read_versions_and_fields)
{
    seqnum_info si;
    /* small numbers are old-layout numbers encoding their shard */
    cr_assert_eq(seqnum_read("5", &si), 0);
    cr_assert_eq(si.shard_index, 5);
    cr_assert_eq(seqnum_read("0", &si), 0);
    cr_assert_eq(si.shard_index, 0);
    /* 13bb2cc3d80000000000000000000000: a creation time of 16025175000 s */
    cr_assert_eq(seqnum_read("26227199374822427428162556223570313216", &si), SEQNUM_READ_INVALID);
    /* version 2, 8 in the sequence index; 8 near the end (the shard field reads as negative) */
    cr_assert_eq(seqnum_read("49039857307719593840066370180380661734935976090628259842", &si),
                 SEQNUM_READ_INVALID);
    cr_assert_eq(seqnum_read("49039857307708443467467104868809893875799651944235008002", &si), 2);
    cr_assert_eq(si.shard_index, -INT64_C(2147483648));
    char id[SHARD_ID_MAX];
    shard_id_format_signed(si.shard_index, id);
    cr_assert_str_eq(id, "shardId--02147483648");
    /* versions 1, 0 and 3 in the 47-digit range; "initial 1" and "initial 3" are outside it */
    cr_assert_eq(seqnum_read("49039857307708443467467104868809893875799651909875269633", &si), 1);
    /* 2^185 itself is not above 2^185 (putRecord.js "... version 0": invalid); 2^185 + 2^100 is version 0 */
    cr_assert_eq(seqnum_read("49039857307708443467467104868809893875799651909875269632", &si),
                 SEQNUM_READ_INVALID);
    cr_assert_eq(seqnum_read("49039857307708443467467106136460494104029053406578475008", &si),
                 SEQNUM_READ_OTHER_VERSION);
    cr_assert_eq(si.version, 0);
    cr_assert_eq(seqnum_read("49039857307708443467467104868809893875799651909875269635", &si),
                 SEQNUM_READ_OTHER_VERSION);
    cr_assert_eq(si.version, 3);
    cr_assert_eq(seqnum_read("49039857307697293094867839557237917090843713134307311602", &si),
                 SEQNUM_READ_INVALID);
    cr_assert_eq(seqnum_read("73559785961562665201200657303214840813699477864812904449", &si),
                 SEQNUM_READ_INVALID);
    /* a number we issue reads back with its fields */
    seqnum s = {
        .shard_created_s = 1700000000, .shard_index = 6, .counter = 0x67648a17, .arrival_s = 1700000123};
    char dec[SEQNUM_MAX];
    seqnum_format(&s, dec);
    cr_assert_eq(seqnum_read(dec, &si), 2);
    cr_assert_eq(si.shard_index, 6);
    cr_assert_eq(si.shard_created_s, 1700000000);
    cr_assert_eq(si.counter, 0x67648a17u);
    cr_assert_eq(si.arrival_s, 1700000123);
}
