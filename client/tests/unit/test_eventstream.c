/* test_eventstream.c: Criterion tests for client/shared/eventstream.c (AWS event stream framing).
 * The known-answer frames are the test vectors of the AWS SDK for JavaScript v3
 * (aws/aws-sdk-js-v3, packages/eventstream-marshaller/src/TestVectors.fixture.ts, Apache-2.0),
 * copied as data. CRC-32 check values are the standard ones ("123456789" -> 0xCBF43926). */
#include <criterion/criterion.h>

#include <stdlib.h>
#include <string.h>

#include "shared/eventstream.h"

/* ---- vectors (aws-sdk-js-v3) ---- */
static const uint8_t V_EMPTY[] = {0, 0, 0, 16, 0, 0, 0, 0, 5, 194, 72, 235, 125, 152, 200, 255};
static const uint8_t V_INT32[] = {0,   0,   0,   43, 0,   0,   0,   14, 52,  139, 236, 123, 8,  101, 118,
                                  101, 110, 116, 45, 105, 100, 4,   0,  0,   160, 12,  123, 39, 102, 111,
                                  111, 39,  58,  39, 98,  97,  114, 39, 125, 211, 137, 2,   133};
static const uint8_t V_NO_HEADERS[] = {0,   0,   0,  29, 0,  0,  0,  0,   253, 82,  140, 90,  123, 39, 102,
                                       111, 111, 39, 58, 39, 98, 97, 114, 39,  125, 195, 101, 57,  54};
static const uint8_t V_ONE_STR[] = {
    0,   0,   0,   61,  0,   0,   0,   32, 7,   253, 131, 150, 12,  99, 111, 110, 116, 101, 110, 116, 45,
    116, 121, 112, 101, 7,   0,   16,  97, 112, 112, 108, 105, 99,  97, 116, 105, 111, 110, 47,  106, 115,
    111, 110, 123, 39,  102, 111, 111, 39, 58,  39,  98,  97,  114, 39, 125, 141, 156, 8,   177};
static const uint8_t V_CORRUPTED_HEADERS[] = {
    0,   0,   0,   61,  0,   0,   0,   32, 7,   253, 131, 150, 12,  99, 111, 110, 116, 101, 110, 116, 43,
    116, 121, 112, 101, 7,   0,   16,  97, 112, 112, 108, 105, 99,  97, 116, 105, 111, 110, 47,  106, 115,
    111, 110, 123, 39,  102, 111, 111, 39, 58,  39,  98,  97,  114, 39, 125, 141, 156, 8,   177};
static const uint8_t V_CORRUPTED_HEADER_LEN[] = {
    0,   0,   0,   61,  0,   0,   1,   32, 7,   253, 131, 150, 12,  99, 111, 110, 116, 101, 110, 116, 45,
    116, 121, 112, 101, 7,   0,   16,  97, 112, 112, 108, 105, 99,  97, 116, 105, 111, 110, 47,  106, 115,
    111, 110, 123, 39,  102, 111, 111, 39, 58,  39,  98,  97,  114, 39, 125, 141, 156, 8,   177};
static const uint8_t V_CORRUPTED_LENGTH[] = {1,   0,  0,   29, 0,   0,   0,   0,  253, 82,
                                             140, 90, 123, 39, 102, 111, 111, 39, 58,  39,
                                             98,  97, 114, 39, 125, 195, 101, 57, 54};
static const uint8_t V_CORRUPTED_PAYLOAD[] = {0,   0,  0,   29, 0,   0,   0,   0,  253, 82,
                                              140, 90, 123, 39, 102, 111, 111, 39, 58,  39,
                                              98,  97, 114, 39, 141, 195, 101, 57, 54};
static const char BODY[] = "{'foo':'bar'}";

/* ============================== CRC-32 ============================== */

Test(eventstream_crc, known_answers)
{
    cr_assert_eq(es_crc32(0, "123456789", 9), 0xCBF43926u);
    cr_assert_eq(es_crc32(0, "", 0), 0u);
    const char *fox = "The quick brown fox jumps over the lazy dog";
    cr_assert_eq(es_crc32(0, fox, strlen(fox)), 0x414FA339u);
}

Test(eventstream_crc, chunked_equals_one_shot)
{
    const char *s = "The quick brown fox jumps over the lazy dog";
    size_t n = strlen(s);
    uint32_t whole = es_crc32(0, s, n);
    for (size_t cut = 0; cut <= n; cut++)
        cr_assert_eq(es_crc32(es_crc32(0, s, cut), s + cut, n - cut), whole, "cut %zu", cut);
}

/* The CRC one bit at a time, straight from the definition: the reference the table-driven
 * es_crc32 (slicing-by-8) must agree with at every length and alignment. */
static uint32_t crc32_bitwise(const uint8_t *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    }
    return ~c;
}

Test(eventstream_crc, more_known_answers)
{
    /* zlib.crc32 of each */
    uint8_t b[64];
    memset(b, 0, 32);
    cr_assert_eq(es_crc32(0, b, 32), 0x190A55ADu);
    memset(b, 0xFF, 32);
    cr_assert_eq(es_crc32(0, b, 32), 0xFF6CAB0Bu);
    for (int i = 0; i < 64; i++)
        b[i] = (uint8_t)i;
    cr_assert_eq(es_crc32(0, b, 32), 0x91267E8Au);
    cr_assert_eq(es_crc32(0, b, 64), 0x100ECE8Cu);
    cr_assert_eq(es_crc32(0, "a", 1), 0xE8B7BE43u);
}

Test(eventstream_crc, every_length_to_64_and_alignment_matches_bitwise)
{
    uint8_t buf[64 + 8];
    uint32_t x = 2463534242u;
    for (size_t i = 0; i < sizeof buf; i++) {
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        buf[i] = (uint8_t)x;
    }
    for (size_t off = 0; off < 8; off++)
        for (size_t n = 0; n <= 64; n++)
            cr_assert_eq(es_crc32(0, buf + off, n), crc32_bitwise(buf + off, n), "offset %zu length %zu", off,
                         n);
}

Test(eventstream_crc, large_buffer_matches_bitwise)
{
    size_t n = (1u << 20) + 13;
    uint8_t *buf = malloc(n);
    cr_assert_not_null(buf);
    for (size_t i = 0; i < n; i++)
        buf[i] = (uint8_t)(i * 7 + 3);
    cr_assert_eq(es_crc32(0, buf, 1u << 20), 0x4A24D8FAu); /* zlib.crc32 */
    cr_assert_eq(es_crc32(0, buf, n), crc32_bitwise(buf, n));
    cr_assert_eq(es_crc32(es_crc32(0, buf, 777), buf + 777, n - 777), crc32_bitwise(buf, n));
    free(buf);
}

/* ============================== AWS vectors ============================== */

Test(eventstream_vectors, empty_message)
{
    es_message m;
    size_t used;
    cr_assert_eq(eventstream_decode(V_EMPTY, sizeof V_EMPTY, &m, &used), ES_OK);
    cr_assert_eq(used, sizeof V_EMPTY);
    cr_assert_eq(m.n_headers, 0);
    cr_assert_eq(m.payload_len, 0);
    eventstream_message_clean_up(&m);

    uint8_t *out;
    size_t out_len;
    cr_assert_eq(eventstream_encode(NULL, 0, NULL, 0, &out, &out_len), 0);
    cr_assert_eq(out_len, sizeof V_EMPTY);
    cr_assert_arr_eq(out, V_EMPTY, sizeof V_EMPTY);
    free(out);
}

Test(eventstream_vectors, int32_header)
{
    es_message m;
    size_t used;
    cr_assert_eq(eventstream_decode(V_INT32, sizeof V_INT32, &m, &used), ES_OK);
    cr_assert_eq(used, sizeof V_INT32);
    cr_assert_eq(m.n_headers, 1);
    const es_header *h = eventstream_find_header(&m, "event-id");
    cr_assert_not_null(h);
    cr_assert_eq(h->type, ES_INT);
    cr_assert_eq(h->v.i, 0xa00c);
    cr_assert_eq(m.payload_len, strlen(BODY));
    cr_assert_arr_eq(m.payload, BODY, strlen(BODY));
    eventstream_message_clean_up(&m);

    es_header eh = {.name = "event-id", .name_len = 8, .type = ES_INT, .v.i = 0xa00c};
    uint8_t *out;
    size_t out_len;
    cr_assert_eq(eventstream_encode(&eh, 1, (const uint8_t *)BODY, strlen(BODY), &out, &out_len), 0);
    cr_assert_eq(out_len, sizeof V_INT32);
    cr_assert_arr_eq(out, V_INT32, sizeof V_INT32);
    free(out);
}

Test(eventstream_vectors, payload_no_headers)
{
    es_message m;
    size_t used;
    cr_assert_eq(eventstream_decode(V_NO_HEADERS, sizeof V_NO_HEADERS, &m, &used), ES_OK);
    cr_assert_eq(m.n_headers, 0);
    cr_assert_arr_eq(m.payload, BODY, strlen(BODY));
    eventstream_message_clean_up(&m);

    uint8_t *out;
    size_t out_len;
    cr_assert_eq(eventstream_encode(NULL, 0, (const uint8_t *)BODY, strlen(BODY), &out, &out_len), 0);
    cr_assert_eq(out_len, sizeof V_NO_HEADERS);
    cr_assert_arr_eq(out, V_NO_HEADERS, sizeof V_NO_HEADERS);
    free(out);
}

Test(eventstream_vectors, payload_one_string_header)
{
    es_message m;
    size_t used;
    cr_assert_eq(eventstream_decode(V_ONE_STR, sizeof V_ONE_STR, &m, &used), ES_OK);
    cr_assert_eq(m.n_headers, 1);
    cr_assert(eventstream_header_is(&m, "content-type", "application/json"));
    cr_assert_not(eventstream_header_is(&m, "content-type", "application/jso"));
    cr_assert_arr_eq(m.payload, BODY, strlen(BODY));
    eventstream_message_clean_up(&m);

    es_header eh = es_header_string("content-type", "application/json");
    uint8_t *out;
    size_t out_len;
    cr_assert_eq(eventstream_encode(&eh, 1, (const uint8_t *)BODY, strlen(BODY), &out, &out_len), 0);
    cr_assert_eq(out_len, sizeof V_ONE_STR);
    cr_assert_arr_eq(out, V_ONE_STR, sizeof V_ONE_STR);
    free(out);
}

Test(eventstream_vectors, corrupted_frames_are_rejected)
{
    es_message m;
    size_t used;
    cr_assert_eq(eventstream_decode(V_CORRUPTED_HEADERS, sizeof V_CORRUPTED_HEADERS, &m, &used),
                 ES_ERR_MESSAGE_CRC);
    cr_assert_eq(used, 0);
    cr_assert_eq(eventstream_decode(V_CORRUPTED_HEADER_LEN, sizeof V_CORRUPTED_HEADER_LEN, &m, &used),
                 ES_ERR_PRELUDE_CRC);
    cr_assert_eq(eventstream_decode(V_CORRUPTED_LENGTH, sizeof V_CORRUPTED_LENGTH, &m, &used),
                 ES_ERR_PRELUDE_CRC);
    cr_assert_eq(eventstream_decode(V_CORRUPTED_PAYLOAD, sizeof V_CORRUPTED_PAYLOAD, &m, &used),
                 ES_ERR_MESSAGE_CRC);
    cr_assert_str_eq(es_status_str(ES_ERR_MESSAGE_CRC), "event stream message CRC mismatch");
}

/* ============================== round trips ============================== */

static const uint8_t UUID[16] = {0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
                                 0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10};

static size_t all_headers(es_header *h)
{
    memset(h, 0, 10 * sizeof *h);
    const char *names[] = {"t", "f", "byte", "short", "int", "long", "bytes", "str", "ts", "uuid"};
    for (int i = 0; i < 10; i++) {
        h[i].name = names[i];
        h[i].name_len = strlen(names[i]);
        h[i].type = (es_value_type)i;
    }
    h[0].v.b = true;
    h[2].v.i = -5;
    h[3].v.i = -30000;
    h[4].v.i = -2000000000;
    h[5].v.i = -9000000000000000000LL;
    h[6].v.bytes.ptr = (const uint8_t *)"\x00\x01\xff";
    h[6].v.bytes.len = 3;
    h[7].v.bytes.ptr = (const uint8_t *)"SubscribeToShardEvent";
    h[7].v.bytes.len = strlen("SubscribeToShardEvent");
    h[8].v.i = 1700000000123LL;
    memcpy(h[9].v.uuid, UUID, 16);
    return 10;
}

Test(eventstream_round_trip, every_header_type)
{
    es_header h[10];
    size_t n = all_headers(h);
    uint8_t *out;
    size_t out_len;
    cr_assert_eq(eventstream_encode(h, n, (const uint8_t *)"xyz", 3, &out, &out_len), 0);
    es_message m;
    size_t used;
    cr_assert_eq(eventstream_decode(out, out_len, &m, &used), ES_OK);
    cr_assert_eq(used, out_len);
    cr_assert_eq(m.n_headers, n);
    for (size_t i = 0; i < n; i++) {
        cr_assert_eq(m.headers[i].type, h[i].type);
        cr_assert_eq(m.headers[i].name_len, h[i].name_len);
        cr_assert_arr_eq(m.headers[i].name, h[i].name, h[i].name_len);
    }
    cr_assert_eq(m.headers[0].v.b, true);
    cr_assert_eq(m.headers[1].v.b, false);
    cr_assert_eq(m.headers[2].v.i, -5);
    cr_assert_eq(m.headers[3].v.i, -30000);
    cr_assert_eq(m.headers[4].v.i, -2000000000);
    cr_assert_eq(m.headers[5].v.i, -9000000000000000000LL);
    cr_assert_eq(m.headers[6].v.bytes.len, 3);
    cr_assert_arr_eq(m.headers[6].v.bytes.ptr, "\x00\x01\xff", 3);
    cr_assert(eventstream_header_is(&m, "str", "SubscribeToShardEvent"));
    cr_assert_eq(m.headers[8].v.i, 1700000000123LL);
    cr_assert_arr_eq(m.headers[9].v.uuid, UUID, 16);
    cr_assert_eq(m.payload_len, 3);
    cr_assert_arr_eq(m.payload, "xyz", 3);
    cr_assert_null(eventstream_find_header(&m, "absent"));
    eventstream_message_clean_up(&m);
    free(out);
}

Test(eventstream_round_trip, subscribe_event_and_exception_frames)
{
    const char *payload = "{\"Records\":[],\"ContinuationSequenceNumber\":\"1\"}";
    uint8_t *out;
    size_t out_len;
    cr_assert_eq(eventstream_encode_event("SubscribeToShardEvent", NULL, (const uint8_t *)payload,
                                          strlen(payload), &out, &out_len),
                 0);
    es_message m;
    size_t used;
    cr_assert_eq(eventstream_decode(out, out_len, &m, &used), ES_OK);
    cr_assert(eventstream_header_is(&m, ":message-type", "event"));
    cr_assert(eventstream_header_is(&m, ":event-type", "SubscribeToShardEvent"));
    cr_assert(eventstream_header_is(&m, ":content-type", "application/x-amz-json-1.1"));
    cr_assert_eq(m.payload_len, strlen(payload));
    cr_assert_arr_eq(m.payload, payload, strlen(payload));
    eventstream_message_clean_up(&m);
    free(out);

    cr_assert_eq(eventstream_encode_exception("ResourceInUseException", "application/x-amz-cbor-1.1", NULL, 0,
                                              &out, &out_len),
                 0);
    cr_assert_eq(eventstream_decode(out, out_len, &m, &used), ES_OK);
    cr_assert(eventstream_header_is(&m, ":message-type", "exception"));
    cr_assert(eventstream_header_is(&m, ":exception-type", "ResourceInUseException"));
    cr_assert(eventstream_header_is(&m, ":content-type", "application/x-amz-cbor-1.1"));
    cr_assert_eq(m.payload_len, 0);
    eventstream_message_clean_up(&m);
    free(out);

    cr_assert_eq(eventstream_encode_event(NULL, NULL, NULL, 0, &out, &out_len), -1);
    cr_assert_null(out);
}

Test(eventstream_round_trip, consecutive_frames_in_one_buffer)
{
    uint8_t *a, *b;
    size_t al, bl;
    cr_assert_eq(eventstream_encode_event("initial-response", NULL, (const uint8_t *)"{}", 2, &a, &al), 0);
    cr_assert_eq(eventstream_encode_event("SubscribeToShardEvent", NULL, (const uint8_t *)"{1}", 3, &b, &bl),
                 0);
    uint8_t *buf = malloc(al + bl);
    memcpy(buf, a, al);
    memcpy(buf + al, b, bl);
    es_message m;
    size_t used;
    cr_assert_eq(eventstream_decode(buf, al + bl, &m, &used), ES_OK);
    cr_assert_eq(used, al);
    cr_assert(eventstream_header_is(&m, ":event-type", "initial-response"));
    eventstream_message_clean_up(&m);
    cr_assert_eq(eventstream_decode(buf + used, al + bl - used, &m, &used), ES_OK);
    cr_assert_eq(used, bl);
    cr_assert(eventstream_header_is(&m, ":event-type", "SubscribeToShardEvent"));
    cr_assert_arr_eq(m.payload, "{1}", 3);
    eventstream_message_clean_up(&m);
    free(buf);
    free(a);
    free(b);
}

/* ============================== damage ============================== */

Test(eventstream_damage, every_truncation_needs_more)
{
    es_header h[10];
    size_t n = all_headers(h);
    uint8_t *out;
    size_t out_len;
    cr_assert_eq(eventstream_encode(h, n, (const uint8_t *)"payload", 7, &out, &out_len), 0);
    for (size_t cut = 0; cut < out_len; cut++) {
        /* a copy of exactly `cut` bytes, so ASan sees any read past the prefix */
        uint8_t *p = malloc(cut ? cut : 1);
        memcpy(p, out, cut);
        es_message m;
        size_t used = 99;
        cr_assert_eq(eventstream_decode(p, cut, &m, &used), ES_NEED_MORE, "cut %zu", cut);
        cr_assert_eq(used, 0);
        cr_assert_null(m.headers);
        free(p);
    }
    es_message m;
    size_t used;
    cr_assert_eq(eventstream_decode(NULL, 0, &m, &used), ES_NEED_MORE);
    free(out);
}

Test(eventstream_damage, every_corrupted_byte_is_detected)
{
    es_header h[10];
    size_t n = all_headers(h);
    uint8_t *out;
    size_t out_len;
    cr_assert_eq(eventstream_encode(h, n, (const uint8_t *)"payload", 7, &out, &out_len), 0);
    for (size_t i = 0; i < out_len; i++) {
        for (unsigned x = 1; x < 256; x++) {
            out[i] ^= (uint8_t)x;
            es_message m;
            size_t used;
            es_status st = eventstream_decode(out, out_len, &m, &used);
            cr_assert(st < 0, "byte %zu ^ %u gave %d", i, x, st);
            out[i] ^= (uint8_t)x;
        }
    }
    free(out);
}

/* Build a frame from raw header bytes with correct CRCs, to reach the header checks. */
static uint8_t *raw_frame(const uint8_t *hdr, size_t hlen, size_t *len)
{
    size_t total = 16 + hlen;
    uint8_t *f = malloc(total);
    f[0] = (uint8_t)(total >> 24);
    f[1] = (uint8_t)(total >> 16);
    f[2] = (uint8_t)(total >> 8);
    f[3] = (uint8_t)total;
    f[4] = (uint8_t)(hlen >> 24);
    f[5] = (uint8_t)(hlen >> 16);
    f[6] = (uint8_t)(hlen >> 8);
    f[7] = (uint8_t)hlen;
    uint32_t c = es_crc32(0, f, 8);
    for (int i = 0; i < 4; i++)
        f[8 + i] = (uint8_t)(c >> (24 - 8 * i));
    memcpy(f + 12, hdr, hlen);
    c = es_crc32(0, f, total - 4);
    for (int i = 0; i < 4; i++)
        f[total - 4 + i] = (uint8_t)(c >> (24 - 8 * i));
    *len = total;
    return f;
}

static es_status decode_raw(const char *hdr, size_t hlen)
{
    size_t len;
    uint8_t *f = raw_frame((const uint8_t *)hdr, hlen, &len);
    es_message m;
    size_t used;
    es_status st = eventstream_decode(f, len, &m, &used);
    eventstream_message_clean_up(&m);
    free(f);
    return st;
}

Test(eventstream_damage, header_overruns_and_bad_types)
{
    /* a good header as the control */
    cr_assert_eq(decode_raw("\x01"
                            "a"
                            "\x07"
                            "\x00\x02"
                            "hi",
                            7),
                 ES_OK);
    /* string value longer than the section */
    cr_assert_eq(decode_raw("\x01"
                            "a"
                            "\x07"
                            "\x00\x03"
                            "hi",
                            7),
                 ES_ERR_HEADER);
    /* string length cut */
    cr_assert_eq(decode_raw("\x01"
                            "a"
                            "\x07"
                            "\x00",
                            4),
                 ES_ERR_HEADER);
    /* name longer than the section */
    cr_assert_eq(decode_raw("\x05"
                            "ab",
                            3),
                 ES_ERR_HEADER);
    /* empty name */
    cr_assert_eq(decode_raw("\x00"
                            "\x00",
                            2),
                 ES_ERR_HEADER);
    /* unknown type 10 and 255 */
    cr_assert_eq(decode_raw("\x01"
                            "a"
                            "\x0a",
                            3),
                 ES_ERR_HEADER);
    cr_assert_eq(decode_raw("\x01"
                            "a"
                            "\xff",
                            3),
                 ES_ERR_HEADER);
    /* fixed-size values cut short */
    cr_assert_eq(decode_raw("\x01"
                            "a"
                            "\x04"
                            "\x00\x00\x00",
                            6),
                 ES_ERR_HEADER);
    cr_assert_eq(decode_raw("\x01"
                            "a"
                            "\x05"
                            "\x00\x00\x00\x00\x00\x00\x00",
                            10),
                 ES_ERR_HEADER);
    cr_assert_eq(decode_raw("\x01"
                            "a"
                            "\x09"
                            "0123456789abcde",
                            18),
                 ES_ERR_HEADER);
    /* a type byte missing */
    cr_assert_eq(decode_raw("\x01"
                            "a",
                            2),
                 ES_ERR_HEADER);
}

static uint8_t *prelude_only(uint32_t total, uint32_t hlen)
{
    uint8_t *f = calloc(1, 64);
    f[0] = (uint8_t)(total >> 24);
    f[1] = (uint8_t)(total >> 16);
    f[2] = (uint8_t)(total >> 8);
    f[3] = (uint8_t)total;
    f[4] = (uint8_t)(hlen >> 24);
    f[5] = (uint8_t)(hlen >> 16);
    f[6] = (uint8_t)(hlen >> 8);
    f[7] = (uint8_t)hlen;
    uint32_t c = es_crc32(0, f, 8);
    for (int i = 0; i < 4; i++)
        f[8 + i] = (uint8_t)(c >> (24 - 8 * i));
    return f;
}

Test(eventstream_damage, lengths_out_of_bounds)
{
    struct {
        uint32_t total, hlen;
        es_status want;
    } cases[] = {
        {15, 0, ES_ERR_LENGTH},
        {0, 0, ES_ERR_LENGTH},
        {16 * 1024 * 1024 + 1, 0, ES_ERR_LENGTH},
        {0xFFFFFFFFu, 0, ES_ERR_LENGTH},
        {40, 25, ES_ERR_LENGTH},
        {200 * 1024, 128 * 1024 + 1, ES_ERR_LENGTH},
        {40, 24, ES_NEED_MORE}, /* plausible: waits for the rest */
        {16 * 1024 * 1024, 0, ES_NEED_MORE},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        uint8_t *f = prelude_only(cases[i].total, cases[i].hlen);
        es_message m;
        size_t used;
        cr_assert_eq(eventstream_decode(f, 64 < cases[i].total ? 64 : 16, &m, &used), cases[i].want,
                     "case %zu", i);
        free(f);
    }
}

Test(eventstream_encode_limits, invalid_headers_are_refused)
{
    uint8_t *out = (uint8_t *)"x";
    size_t len = 7;
    char name[257];
    memset(name, 'n', 256);
    name[256] = 0;
    es_header h = es_header_string(name, "v");
    cr_assert_eq(eventstream_encode(&h, 1, NULL, 0, &out, &len), -1);
    cr_assert_null(out);
    cr_assert_eq(len, 0);
    name[255] = 0; /* 255 is allowed */
    h = es_header_string(name, "v");
    cr_assert_eq(eventstream_encode(&h, 1, NULL, 0, &out, &len), 0);
    free(out);

    h = es_header_string("", "v");
    cr_assert_eq(eventstream_encode(&h, 1, NULL, 0, &out, &len), -1);

    char *big = malloc(65537);
    memset(big, 'v', 65536);
    big[65536] = 0;
    h = es_header_string("k", big);
    cr_assert_eq(eventstream_encode(&h, 1, NULL, 0, &out, &len), -1);
    big[65535] = 0; /* 65535 is allowed */
    h = es_header_string("k", big);
    cr_assert_eq(eventstream_encode(&h, 1, NULL, 0, &out, &len), 0);
    free(out);
    free(big);

    h = es_header_string("k", "v");
    h.type = (es_value_type)10;
    cr_assert_eq(eventstream_encode(&h, 1, NULL, 0, &out, &len), -1);
    /* payload length without a payload */
    cr_assert_eq(eventstream_encode(NULL, 0, NULL, 5, &out, &len), -1);
    /* over the message limit */
    cr_assert_eq(eventstream_encode(NULL, 0, (const uint8_t *)"", ES_MAX_MESSAGE_LEN, &out, &len), -1);
}
