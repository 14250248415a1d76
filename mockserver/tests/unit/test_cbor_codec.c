/* test_cbor_codec.c: Criterion tests for mockserver/wire/cbor_codec.c (AWS CBOR <-> the JSON form).
 * Hand-written CBOR bodies follow RFC 8949's encoding tables; expected integers and IEEE bytes
 * were computed with Python (struct.pack) while writing the tests. Encoded answers are also read
 * back with libcbor's own item decoder (cbor_load), independently of our streaming decoder, to
 * check that blobs are byte strings and timestamps are tag 1 + integer milliseconds. */
#include <criterion/criterion.h>

#include <cbor.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire/cbor_codec.h"

/* ---- helpers ---- */

/* Decode a hex string ("a2 61 61 01", spaces ignored) into a malloc'd buffer of exactly its
 * length, so ASan catches any read past the end. */
static uint8_t *hex(const char *h, size_t *len)
{
    size_t n = 0;
    uint8_t *out = malloc(strlen(h) / 2 + 1);
    for (const char *p = h; *p;) {
        if (*p == ' ') {
            p++;
            continue;
        }
        unsigned v;
        cr_assert_eq(sscanf(p, "%2x", &v), 1, "bad hex in test: %s", p);
        out[n++] = (uint8_t)v;
        p += 2;
    }
    *len = n;
    uint8_t *exact = malloc(n ? n : 1);
    memcpy(exact, out, n);
    free(out);
    return exact;
}

static json_t *J(const char *text)
{
    json_error_t e;
    json_t *v = json_loads(text, JSON_DECODE_ANY, &e);
    cr_assert_not_null(v, "bad JSON in test: %s (%s)", text, e.text);
    return v;
}

/* Decode hex CBOR and compare with the expected JSON text. */
static void decodes_to(const char *cbor_hex, const char *json_text)
{
    size_t n;
    uint8_t *b = hex(cbor_hex, &n);
    char err[160] = "";
    json_t *got = sim_cbor_to_json(b, n, err, sizeof err);
    cr_assert_not_null(got, "%s: %s", cbor_hex, err);
    json_t *want = J(json_text);
    char *g = json_dumps(got, JSON_ENCODE_ANY | JSON_SORT_KEYS);
    cr_assert(json_equal(got, want), "%s: got %s, want %s", cbor_hex, g, json_text);
    free(g);
    json_decref(got);
    json_decref(want);
    free(b);
}

/* Decoding must fail with a message containing `part`. */
static void rejects(const char *cbor_hex, const char *part)
{
    size_t n;
    uint8_t *b = hex(cbor_hex, &n);
    char err[160] = "";
    json_t *got = sim_cbor_to_json(b, n, err, sizeof err);
    cr_assert_null(got, "%s was accepted", cbor_hex);
    cr_assert(strstr(err, part) != NULL, "%s: message '%s' lacks '%s'", cbor_hex, err, part);
    free(b);
}

static void encodes_to_hex(const json_t *v, const char *op, const char *want_hex)
{
    uint8_t *out;
    size_t len, wlen;
    cr_assert_eq(sim_json_to_cbor(v, op, &out, &len), 0);
    uint8_t *want = hex(want_hex, &wlen);
    cr_assert_eq(len, wlen, "length %zu, want %zu", len, wlen);
    cr_assert_arr_eq(out, want, wlen);
    free(out);
    free(want);
}

/* Encode v as op's side, decode it back, and require the same JSON. Returns the CBOR bytes. */
static uint8_t *round_trip(const char *op, sim_cbor_side side, const char *json_text, size_t *len)
{
    json_t *v = J(json_text);
    uint8_t *out;
    cr_assert_eq(sim_json_to_cbor_op(v, op, side, &out, len), 0, "%s encode", op);
    char err[160] = "";
    json_t *back = sim_cbor_to_json(out, *len, err, sizeof err);
    cr_assert_not_null(back, "%s decode: %s", op, err);
    char *g = json_dumps(back, JSON_SORT_KEYS);
    cr_assert(json_equal(v, back), "%s: got %s, want %s", op, g, json_text);
    free(g);
    json_decref(back);
    json_decref(v);
    return out;
}

/* Find a member of a libcbor map item by key. */
static cbor_item_t *map_get(cbor_item_t *map, const char *key)
{
    cr_assert(cbor_isa_map(map));
    struct cbor_pair *p = cbor_map_handle(map);
    for (size_t i = 0; i < cbor_map_size(map); i++)
        if (cbor_isa_string(p[i].key) && cbor_string_length(p[i].key) == strlen(key) &&
            memcmp(cbor_string_handle(p[i].key), key, strlen(key)) == 0)
            return p[i].value;
    return NULL;
}

static cbor_item_t *load(const uint8_t *b, size_t n)
{
    struct cbor_load_result r;
    cbor_item_t *it = cbor_load(b, n, &r);
    cr_assert_not_null(it, "libcbor cannot read our output (error %d)", r.error.code);
    cr_assert_eq(r.read, n);
    return it;
}

static void assert_bytes(cbor_item_t *it, const char *want, size_t n)
{
    cr_assert_not_null(it);
    cr_assert(cbor_isa_bytestring(it), "not a byte string (major type %d)", cbor_typeof(it));
    cr_assert_eq(cbor_bytestring_length(it), n);
    cr_assert_arr_eq(cbor_bytestring_handle(it), want, n);
}

static void assert_tag1_millis(cbor_item_t *it, uint64_t ms)
{
    cr_assert_not_null(it);
    cr_assert(cbor_isa_tag(it), "not a tag (major type %d)", cbor_typeof(it));
    cr_assert_eq(cbor_tag_value(it), 1);
    cbor_item_t *inner = cbor_tag_item(it);
    cr_assert(cbor_isa_uint(inner), "tag 1 does not hold an unsigned integer");
    cr_assert_eq(cbor_get_int(inner), ms);
    cbor_decref(&inner);
}

/* ============================== decoding: types ============================== */

Test(cbor_decode, put_record_as_the_java_sdk_sends_it)
{
    /* {"StreamName":"s","Data":h'0102',"PartitionKey":"pk"} */
    decodes_to("a3 6a 53747265616d4e616d65 61 73 64 44617461 42 0102 6c 506172746974696f6e4b6579"
               " 62 706b",
               "{\"StreamName\":\"s\",\"Data\":\"AQI=\",\"PartitionKey\":\"pk\"}");
    decodes_to("a1 64 44617461 40", "{\"Data\":\"\"}"); /* empty blob */
}

Test(cbor_decode, integers)
{
    decodes_to("00", "0");
    decodes_to("17", "23");
    decodes_to("18 18", "24");
    decodes_to("19 03e8", "1000");
    decodes_to("1a 000f4240", "1000000");
    decodes_to("1b 7fffffffffffffff", "9223372036854775807");
    decodes_to("20", "-1");
    decodes_to("38 63", "-100");
    decodes_to("39 03e7", "-1000");
    decodes_to("3b 7fffffffffffffff", "-9223372036854775808");
    rejects("1b 8000000000000000", "integer out of range");
    rejects("3b 8000000000000000", "integer out of range");
}

Test(cbor_decode, floats_simple_values_and_text)
{
    decodes_to("f9 3c00", "1.0");
    decodes_to("fa 47c35000", "100000.0");
    decodes_to("fb 3ff199999999999a", "1.1");
    decodes_to("f4", "false");
    decodes_to("f5", "true");
    decodes_to("f6", "null");
    decodes_to("f7", "null"); /* undefined */
    decodes_to("63 c3a978", "\"\xc3\xa9x\"");
    decodes_to("82 61 61 a0", "[\"a\",{}]");
    rejects("f9 7e00", "non-finite"); /* NaN */
    rejects("f9 7c00", "non-finite"); /* +Infinity */
    rejects("fb 7ff0000000000000", "non-finite");
    rejects("62 c328", "invalid UTF-8");
}

Test(cbor_decode, maps_keys_and_duplicates)
{
    decodes_to("a2 61 61 01 61 61 02", "{\"a\":2}"); /* last duplicate wins */
    rejects("a1 01 02", "map key is not a text string");
    rejects("a1 41 61 02", "map key is not a text string");
    rejects("a1 62 6100 01", "NUL byte");
}

/* ============================== decoding: timestamps ============================== */

Test(cbor_decode, tag1_integer_millis_as_aws_sends)
{
    decodes_to("a1 69 54696d657374616d70 c1 1b 0000018bcfe56800", "{\"Timestamp\":1700000000}");
    decodes_to("a1 69 54696d657374616d70 c1 1b 0000018bcfe5687b", "{\"Timestamp\":1700000000.123}");
}

Test(cbor_decode, tag1_seconds_and_floats_by_magnitude)
{
    decodes_to("c1 1a 6553f100", "1700000000");           /* integer seconds */
    decodes_to("c1 fb 41d954fc40200000", "1700000000.5"); /* float seconds */
    decodes_to("c1 fb 4278bcfe569f4000", "1700000000.5"); /* float millis */
    decodes_to("c1 3b 0000018bcfe567ff", "-1700000000");  /* negative millis */
    decodes_to("c1 00", "0");
    rejects("c1 61 78", "tag 1 (epoch time) on a non-number");
    rejects("c1 a0", "tag 1");
    /* other tags are transparent: tag 0 (date text), tag 24 (embedded CBOR) */
    decodes_to("c0 74 323031332d30332d32315432303a30343a30305a", "\"2013-03-21T20:04:00Z\"");
    decodes_to("d8 18 42 0102", "\"AQI=\"");
    decodes_to("c1 c1 1a 6553f100", "1700000000");
}

/* ============================== decoding: indefinite lengths ============================== */

Test(cbor_decode, indefinite_lengths_are_accepted)
{
    decodes_to("5f 42 0102 41 03 ff", "\"AQID\"");
    decodes_to("5f ff", "\"\"");
    decodes_to("7f 62 6162 61 63 ff", "\"abc\"");
    decodes_to("7f ff", "\"\"");
    decodes_to("bf 61 61 01 ff", "{\"a\":1}");
    decodes_to("9f 01 02 ff", "[1,2]");
    decodes_to("9f ff", "[]");
    decodes_to("bf 67 5265636f726473 9f bf 64 44617461 5f 41 01 41 02 ff ff ff ff",
               "{\"Records\":[{\"Data\":\"AQI=\"}]}");
    decodes_to("bf 7f 61 61 61 62 ff 01 ff", "{\"ab\":1}"); /* indefinite key */
}

Test(cbor_decode, malformed_indefinite_lengths_are_rejected)
{
    rejects("5f 61 61 ff", "chunk of another type");
    rejects("7f 41 61 ff", "chunk of another type");
    rejects("5f 01 ff", "chunk of another type");
    rejects("5f 5f ff ff", "nested in another");
    rejects("ff", "unexpected CBOR break");
    rejects("82 01 ff", "unexpected CBOR break");
    rejects("c1 ff", "unexpected CBOR break");
    rejects("bf 61 61 ff", "key without its value");
    rejects("9f 01 02", "truncated");
    rejects("7f 62 c3", "truncated");
    rejects("7f 61 c3 61 28 ff", "invalid UTF-8");
}

/* ============================== decoding: malformed input ============================== */

Test(cbor_decode, empty_truncated_trailing_and_reserved)
{
    char err[100] = "";
    cr_assert_null(sim_cbor_to_json(NULL, 0, err, sizeof err));
    cr_assert_str_eq(err, "empty CBOR body");
    cr_assert_null(sim_cbor_to_json((const uint8_t *)"", 0, NULL, 0)); /* no err buffer */
    rejects("a1 61", "truncated");
    rejects("19 03", "truncated");
    rejects("62 61", "truncated");
    rejects("a0 00", "trailing bytes after the CBOR item at byte 1");
    rejects("1c", "malformed CBOR at byte 0");
    rejects("82 01 1f", "malformed CBOR at byte 2");
    /* reserved additional information (28-30) in every major type, and simple values */
    const char *reserved[] = {"1c", "3d", "5e", "7c", "9d", "be", "dc", "fd", "e0", "f8 20"};
    for (size_t i = 0; i < sizeof reserved / sizeof *reserved; i++)
        rejects(reserved[i], "malformed CBOR at byte 0");
}

Test(cbor_decode, claimed_sizes_larger_than_the_body)
{
    /* a map "of 2^32-1 pairs" or an array of 2^64-1 items, in a few bytes: refused without
     * allocating for the claim */
    rejects("bb 00000000ffffffff 61 61 01", "does not fit");
    rejects("9b ffffffffffffffff 00", "does not fit");
    rejects("a2 61 61 01", "truncated");
    rejects("5b ffffffffffffffff 00", "truncated");
}

static uint8_t *nested(size_t depth, uint8_t opener, size_t *len)
{
    uint8_t *b = malloc(depth + 1);
    memset(b, opener, depth);
    b[depth] = 0x00;
    *len = depth + 1;
    return b;
}

Test(cbor_decode, nesting_depth_is_bounded)
{
    char err[120];
    size_t n;
    uint8_t *b = nested(SIM_CBOR_MAX_DEPTH, 0x81, &n);
    json_t *v = sim_cbor_to_json(b, n, err, sizeof err);
    cr_assert_not_null(v, "%d nested arrays should be accepted: %s", SIM_CBOR_MAX_DEPTH, err);
    json_decref(v);
    free(b);

    b = nested(SIM_CBOR_MAX_DEPTH + 1, 0x81, &n);
    cr_assert_null(sim_cbor_to_json(b, n, err, sizeof err));
    cr_assert(strstr(err, "nesting deeper than 32"), "%s", err);
    free(b);

    /* very deep: arrays, indefinite arrays, maps with a key, tags; each ends quickly */
    const uint8_t openers[] = {0x81, 0x9f, 0xc1, 0xd8};
    for (size_t i = 0; i < sizeof openers; i++) {
        b = nested(200000, openers[i], &n);
        cr_assert_null(sim_cbor_to_json(b, n, err, sizeof err), "opener %02x", openers[i]);
        free(b);
    }
}

Test(cbor_decode, every_truncation_of_a_valid_body_is_rejected)
{
    size_t len;
    uint8_t *full =
        round_trip("PutRecords", SIM_CBOR_INPUT,
                   "{\"StreamName\":\"s\",\"Records\":[{\"Data\":\"aGVsbG8=\",\"PartitionKey\":\"a\","
                   "\"ExplicitHashKey\":\"1\"},{\"Data\":\"\",\"PartitionKey\":\"\\u00e9\"}]}",
                   &len);
    for (size_t cut = 0; cut < len; cut++) {
        uint8_t *p = malloc(cut ? cut : 1);
        memcpy(p, full, cut);
        char err[120] = "";
        json_t *v = sim_cbor_to_json(p, cut, err, sizeof err);
        cr_assert_null(v, "prefix of %zu bytes accepted", cut);
        cr_assert(err[0] != '\0', "no message for prefix %zu", cut);
        free(p);
    }
    free(full);
}

Test(cbor_decode, corrupted_bytes_never_crash)
{
    size_t len;
    uint8_t *full =
        round_trip("GetRecords", SIM_CBOR_OUTPUT,
                   "{\"Records\":[{\"SequenceNumber\":\"1\",\"ApproximateArrivalTimestamp\":1700000000.5,"
                   "\"Data\":\"AAEC\",\"PartitionKey\":\"k\"}],\"NextShardIterator\":\"it\","
                   "\"MillisBehindLatest\":0}",
                   &len);
    size_t accepted = 0, rejected = 0;
    for (size_t i = 0; i < len; i++) {
        for (unsigned x = 1; x < 256; x += 3) {
            full[i] ^= (uint8_t)x;
            char err[120] = "";
            json_t *v = sim_cbor_to_json(full, len, err, sizeof err);
            if (v) {
                accepted++;
                json_decref(v);
            } else {
                rejected++;
                cr_assert(err[0] != '\0');
            }
            full[i] ^= (uint8_t)x;
        }
    }
    cr_assert_gt(rejected, 0);
    free(full);
}

/* ============================== encoding ============================== */

Test(cbor_encode, known_bytes_put_record_answer_and_errors)
{
    json_t *v = J("{\"ShardId\":\"shardId-000000000000\",\"SequenceNumber\":\"1\"}");
    encodes_to_hex(v, "PutRecord",
                   "a2 67 53686172644964 74 736861726449642d303030303030303030303030"
                   " 6e 53657175656e63654e756d626572 61 31");
    json_decref(v);

    v = J("{\"__type\":\"ResourceNotFoundException\",\"message\":\"x\"}");
    encodes_to_hex(v, NULL,
                   "a2 66 5f5f74797065 78 19 5265736f757263654e6f74466f756e64457863657074696f6e"
                   " 67 6d657373616765 61 78");
    json_decref(v);

    encodes_to_hex(NULL, NULL, "a0");
    v = J("{}");
    encodes_to_hex(v, "DeleteStream", "a0"); /* operation without output */
    json_decref(v);

    /* JSON types with no shape: ints of each width, negative, real, bool, null, array */
    v = J("[0, 23, 24, 1000, -1, -1000, 1.1, true, false, null, 9223372036854775807]");
    encodes_to_hex(v, NULL,
                   "8b 00 17 18 18 19 03e8 20 39 03e7 fb 3ff199999999999a f5 f4 f6"
                   " 1b 7fffffffffffffff");
    json_decref(v);
}

Test(cbor_encode, get_records_blobs_and_timestamps_per_the_model)
{
    json_t *v = J("{\"Records\":[{\"SequenceNumber\":\"4959\",\"ApproximateArrivalTimestamp\":"
                  "1700000000.123,\"Data\":\"aGVsbG8=\",\"PartitionKey\":\"pk\","
                  "\"EncryptionType\":\"NONE\"}],\"NextShardIterator\":\"AAAA\","
                  "\"MillisBehindLatest\":0,\"ChildShards\":[{\"ShardId\":\"shardId-000000000001\","
                  "\"ParentShards\":[\"shardId-000000000000\"],\"HashKeyRange\":"
                  "{\"StartingHashKey\":\"0\",\"EndingHashKey\":\"1\"}}]}");
    uint8_t *out;
    size_t len;
    cr_assert_eq(sim_json_to_cbor(v, "GetRecords", &out, &len), 0);
    cbor_item_t *root = load(out, len);
    cbor_item_t *recs = map_get(root, "Records");
    cr_assert(cbor_isa_array(recs));
    cbor_item_t *rec = cbor_array_handle(recs)[0];
    assert_bytes(map_get(rec, "Data"), "hello", 5);
    assert_tag1_millis(map_get(rec, "ApproximateArrivalTimestamp"), 1700000000123ULL);
    cr_assert(cbor_isa_string(map_get(rec, "PartitionKey")));
    cr_assert(cbor_isa_uint(map_get(root, "MillisBehindLatest")));
    cbor_decref(&root);
    free(out);

    /* without the operation, Data stays text and the timestamp a float */
    cr_assert_eq(sim_json_to_cbor(v, NULL, &out, &len), 0);
    root = load(out, len);
    rec = cbor_array_handle(map_get(root, "Records"))[0];
    cr_assert(cbor_isa_string(map_get(rec, "Data")));
    cr_assert(cbor_isa_float_ctrl(map_get(rec, "ApproximateArrivalTimestamp")));
    cbor_decref(&root);
    free(out);
    /* an operation the model does not know: the same */
    cr_assert_eq(sim_json_to_cbor(v, "NoSuchOperation", &out, &len), 0);
    root = load(out, len);
    rec = cbor_array_handle(map_get(root, "Records"))[0];
    cr_assert(cbor_isa_string(map_get(rec, "Data")));
    cbor_decref(&root);
    free(out);
    json_decref(v);
}

Test(cbor_encode, timestamps_in_descriptions_and_consumers)
{
    json_t *v = J("{\"StreamDescriptionSummary\":{\"StreamName\":\"s\",\"StreamCreationTimestamp\":"
                  "1459799926.48,\"OpenShardCount\":1}}");
    uint8_t *out;
    size_t len;
    cr_assert_eq(sim_json_to_cbor(v, "DescribeStreamSummary", &out, &len), 0);
    cbor_item_t *root = load(out, len);
    assert_tag1_millis(map_get(map_get(root, "StreamDescriptionSummary"), "StreamCreationTimestamp"),
                       1459799926480ULL);
    cbor_decref(&root);
    free(out);
    json_decref(v);

    v = J("{\"Consumers\":[{\"ConsumerName\":\"c\",\"ConsumerCreationTimestamp\":1700000000}]}");
    cr_assert_eq(sim_json_to_cbor(v, "ListStreamConsumers", &out, &len), 0);
    root = load(out, len);
    cbor_item_t *c = cbor_array_handle(map_get(root, "Consumers"))[0];
    assert_tag1_millis(map_get(c, "ConsumerCreationTimestamp"), 1700000000000ULL);
    cbor_decref(&root);
    free(out);
    json_decref(v);
}

Test(cbor_encode, subscribe_to_shard_event_payload_by_shape)
{
    json_t *v = J("{\"Records\":[{\"SequenceNumber\":\"1\",\"ApproximateArrivalTimestamp\":2,"
                  "\"Data\":\"AA==\",\"PartitionKey\":\"k\"}],\"ContinuationSequenceNumber\":\"1\","
                  "\"MillisBehindLatest\":0}");
    uint8_t *out;
    size_t len;
    cr_assert_eq(sim_json_to_cbor_shape(v, "SubscribeToShardEvent", &out, &len), 0);
    cbor_item_t *root = load(out, len);
    cbor_item_t *rec = cbor_array_handle(map_get(root, "Records"))[0];
    assert_bytes(map_get(rec, "Data"), "\0", 1);
    assert_tag1_millis(map_get(rec, "ApproximateArrivalTimestamp"), 2000);
    cbor_decref(&root);
    free(out);

    /* the same value nested in the operation's output (EventStream member) */
    json_t *wrapped = json_pack("{s:{s:O}}", "EventStream", "SubscribeToShardEvent", v);
    cr_assert_eq(sim_json_to_cbor(wrapped, "SubscribeToShard", &out, &len), 0);
    root = load(out, len);
    rec = cbor_array_handle(
        map_get(map_get(map_get(root, "EventStream"), "SubscribeToShardEvent"), "Records"))[0];
    assert_bytes(map_get(rec, "Data"), "\0", 1);
    cbor_decref(&root);
    free(out);
    json_decref(wrapped);
    json_decref(v);
}

Test(cbor_encode, failures)
{
    uint8_t *out = (uint8_t *)"x";
    size_t len = 3;
    json_t *v = J("{\"Records\":[{\"Data\":\"not base64!\"}]}");
    cr_assert_eq(sim_json_to_cbor(v, "GetRecords", &out, &len), -1);
    cr_assert_null(out);
    cr_assert_eq(len, 0);
    json_decref(v);

    /* nesting beyond the bound */
    json_t *deep = json_array();
    for (int i = 0; i < SIM_CBOR_MAX_DEPTH + 2; i++) {
        json_t *outer = json_array();
        json_array_append_new(outer, deep);
        deep = outer;
    }
    cr_assert_eq(sim_json_to_cbor(deep, NULL, &out, &len), -1);
    json_decref(deep);
}

/* ============================== round trips per operation ============================== */

static void req_round_trip(const char *op, const char *json_text)
{
    size_t len;
    free(round_trip(op, SIM_CBOR_INPUT, json_text, &len));
}

static void ans_round_trip(const char *op, const char *json_text)
{
    size_t len;
    free(round_trip(op, SIM_CBOR_OUTPUT, json_text, &len));
}

Test(cbor_round_trip, data_plane_requests)
{
    req_round_trip("PutRecord", "{\"StreamName\":\"s\",\"Data\":\"AAECAw==\",\"PartitionKey\":"
                                "\"pk\",\"ExplicitHashKey\":\"170141183460469231731687303715884105728\","
                                "\"SequenceNumberForOrdering\":\"1\"}");
    req_round_trip("PutRecords", "{\"StreamARN\":\"arn:aws:kinesis:us-east-1:123456789012:stream/s\","
                                 "\"Records\":[{\"Data\":\"YQ==\",\"PartitionKey\":\"a\"},"
                                 "{\"Data\":\"\",\"PartitionKey\":\"b\"}]}");
    req_round_trip("GetRecords", "{\"ShardIterator\":\"AAAA\",\"Limit\":10000}");
    req_round_trip("GetShardIterator", "{\"StreamName\":\"s\",\"ShardId\":\"shardId-000000000000\","
                                       "\"ShardIteratorType\":\"AT_TIMESTAMP\",\"Timestamp\":"
                                       "1700000000.5}");
    req_round_trip("GetShardIterator", "{\"StreamName\":\"s\",\"ShardId\":\"0\",\"ShardIteratorType\":"
                                       "\"AT_TIMESTAMP\",\"Timestamp\":1700000000}");
    req_round_trip("ListShards", "{\"StreamName\":\"s\",\"MaxResults\":100,\"ShardFilter\":{\"Type\":"
                                 "\"FROM_TIMESTAMP\",\"Timestamp\":1600000000.25},"
                                 "\"StreamCreationTimestamp\":1500000000}");
    req_round_trip("DescribeStreamSummary", "{\"StreamName\":\"s\"}");
    req_round_trip("CreateStream", "{\"StreamName\":\"s\",\"ShardCount\":2,\"StreamModeDetails\":"
                                   "{\"StreamMode\":\"PROVISIONED\"},\"Tags\":{\"k\":\"v\"}}");
    req_round_trip("SubscribeToShard", "{\"ConsumerARN\":\"arn\",\"ShardId\":\"0\",\"StartingPosition\":"
                                       "{\"Type\":\"AT_TIMESTAMP\",\"Timestamp\":1700000000.001}}");
    req_round_trip("ListStreamConsumers",
                   "{\"StreamName\":\"s\",\"StreamCreationTimestamp\":1.50000000075e9}");
}

Test(cbor_round_trip, data_plane_answers)
{
    ans_round_trip("PutRecord", "{\"ShardId\":\"shardId-000000000000\",\"SequenceNumber\":"
                                "\"49590338271490256608559692538361571095921575989136588898\","
                                "\"EncryptionType\":\"NONE\"}");
    ans_round_trip("PutRecords", "{\"FailedRecordCount\":1,\"Records\":[{\"ShardId\":\"s0\","
                                 "\"SequenceNumber\":\"1\"},{\"ErrorCode\":"
                                 "\"ProvisionedThroughputExceededException\",\"ErrorMessage\":\"m\"}]}");
    ans_round_trip("GetRecords", "{\"Records\":[{\"SequenceNumber\":\"1\",\"ApproximateArrivalTimestamp\":"
                                 "1700000000.123,\"Data\":\"/w==\",\"PartitionKey\":\"k\"}],"
                                 "\"NextShardIterator\":null,\"MillisBehindLatest\":5,"
                                 "\"ChildShards\":[]}");
    ans_round_trip("GetShardIterator", "{\"ShardIterator\":\"AAAAAAAAAAE=\"}");
    ans_round_trip("ListShards", "{\"Shards\":[{\"ShardId\":\"shardId-000000000000\",\"HashKeyRange\":"
                                 "{\"StartingHashKey\":\"0\",\"EndingHashKey\":"
                                 "\"340282366920938463463374607431768211455\"},"
                                 "\"SequenceNumberRange\":{\"StartingSequenceNumber\":\"1\"}}],"
                                 "\"NextToken\":\"t\"}");
    ans_round_trip("DescribeStreamSummary",
                   "{\"StreamDescriptionSummary\":{\"StreamName\":\"s\",\"StreamARN\":\"a\","
                   "\"StreamStatus\":\"ACTIVE\",\"RetentionPeriodHours\":24,"
                   "\"StreamCreationTimestamp\":1459799926.48,\"EnhancedMonitoring\":"
                   "[{\"ShardLevelMetrics\":[]}],\"OpenShardCount\":1,\"ConsumerCount\":0}}");
    ans_round_trip("DescribeStreamConsumer",
                   "{\"ConsumerDescription\":{\"ConsumerName\":\"c\",\"ConsumerARN\":\"a\","
                   "\"ConsumerStatus\":\"ACTIVE\",\"ConsumerCreationTimestamp\":1700000000,"
                   "\"StreamARN\":\"s\"}}");
    ans_round_trip("ListTagsForStream", "{\"Tags\":[{\"Key\":\"k\",\"Value\":\"v\"}],"
                                        "\"HasMoreTags\":false}");
}

/* Encode and decode a GetRecords answer of n records of 1 KiB and check it comes back equal. */
static void records_round_trip(int n)
{
    json_t *recs = json_array();
    char data[1400];
    memset(data, 'Q', 1368); /* 1026 bytes once decoded */
    data[1368] = 0;
    for (int i = 0; i < n; i++) {
        char seq[32];
        snprintf(seq, sizeof seq, "%d", i);
        json_array_append_new(recs, json_pack("{s:s,s:f,s:s,s:s}", "SequenceNumber", seq,
                                              "ApproximateArrivalTimestamp", 1700000000.5 + i, "Data", data,
                                              "PartitionKey", seq));
    }
    json_t *v =
        json_pack("{s:o,s:s,s:i}", "Records", recs, "NextShardIterator", "it", "MillisBehindLatest", 0);
    uint8_t *out;
    size_t len;
    cr_assert_eq(sim_json_to_cbor(v, "GetRecords", &out, &len), 0);
    cr_assert_gt(len, (size_t)n * 1026);
    char err[100];
    json_t *back = sim_cbor_to_json(out, len, err, sizeof err);
    cr_assert_not_null(back, "%s", err);
    cr_assert(json_equal(v, back));
    json_decref(back);
    json_decref(v);
    free(out);
}

/* The largest GetRecords answer (10,000 records of 1 KiB, about 10 MiB) round-trips intact.
 * Its speed is measured by `make bench`, not here. */
Test(cbor_round_trip, ten_thousand_records, .timeout = 120)
{
    records_round_trip(10000);
    sim_cbor_codec_cleanup();
}
