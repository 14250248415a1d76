/* test_sub_event.c: ops/sub_event.c writes SubscribeToShardEvent JSON payloads byte for byte as
 * the Jansson tree did (json_dumps(ev, JSON_COMPACT)), which subscribe.c built for every event
 * before and still builds for CBOR subscribers. old_event() below is that tree, as subscribe.c
 * builds it; each case writes the same records both ways and compares the bytes, and the framed
 * event too. Partition keys needing escapes, non-ASCII, empty and 1 MiB data, encrypted records,
 * whole-second and millisecond timestamps, heartbeats, the end of a closed shard with ChildShards,
 * and a key that is not UTF-8 (left out by both). */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "ops/resources.h"
#include "ops/sub_event.h"
#include "shared/base64.h"
#include "shared/eventstream.h"

/* subscribe.c's tree for one event (the CBOR path keeps building it) */
static char *old_event(const store_shard *sh, const store_record *rs, size_t n, const char *cont,
                       int64_t behind, const json_t *children, size_t *len)
{
    json_t *records = json_array();
    for (size_t i = 0; i < n; i++) {
        const store_record *r = &rs[i];
        char seq[SEQNUM_MAX];
        record_seq(sh, r->counter, r->arrival_ms, seq);
        char *b64 = b64_encode(r->data, r->data_len, NULL);
        cr_assert_not_null(b64);
        json_t *rec = json_pack("{s:s, s:o, s:s, s:s}", "SequenceNumber", seq, "ApproximateArrivalTimestamp",
                                epoch_seconds_json(r->arrival_ms), "Data", b64, "PartitionKey", r->pkey);
        free(b64);
        if (r->encrypted)
            json_object_set_new(rec, "EncryptionType", json_string("KMS"));
        json_array_append_new(records, rec);
    }
    json_t *ev = json_object();
    json_object_set_new(ev, "Records", records);
    json_object_set_new(ev, "ContinuationSequenceNumber", cont ? json_string(cont) : json_null());
    json_object_set_new(ev, "MillisBehindLatest", json_integer(behind));
    if (children)
        json_object_set_new(ev, "ChildShards", json_deep_copy(children));
    char *t = json_dumps(ev, JSON_COMPACT);
    json_decref(ev);
    cr_assert_not_null(t);
    *len = strlen(t);
    return t;
}

static void check_event(const store_shard *sh, const store_record *rs, size_t n, const char *cont,
                        int64_t behind, const json_t *children, size_t want_written)
{
    size_t old_len;
    char *old = old_event(sh, rs, n, cont, behind, children, &old_len);
    sim_json_out w = {0};
    cr_assert_eq(sub_event_json_begin(&w), 1);
    size_t written = 0;
    for (size_t i = 0; i < n; i++) {
        int rc = sub_event_json_record(&w, sh, &rs[i], written == 0);
        cr_assert(rc == 0 || rc == 1, "record %zu: %d", i, rc);
        written += (size_t)rc;
    }
    cr_assert_eq(written, want_written);
    cr_assert_eq(sub_event_json_end(&w, cont, behind, children), 1);
    cr_assert_eq(w.n, old_len, "length %zu, Jansson %zu:\n%.*s\n%s", w.n, old_len,
                 (int)(w.n < 2000 ? w.n : 2000), w.d, old_len < 2000 ? old : "(long)");
    cr_assert(memcmp(w.d, old, old_len) == 0, "bytes differ:\n%.*s\n%s", (int)(w.n < 2000 ? w.n : 2000), w.d,
              old_len < 2000 ? old : "(long)");
    uint8_t *f1, *f2;
    size_t l1, l2;
    cr_assert_eq(eventstream_encode_event("SubscribeToShardEvent", "application/x-amz-json-1.1",
                                          (uint8_t *)w.d, w.n, &f1, &l1),
                 0);
    cr_assert_eq(eventstream_encode_event("SubscribeToShardEvent", "application/x-amz-json-1.1",
                                          (uint8_t *)old, old_len, &f2, &l2),
                 0);
    cr_assert(l1 == l2 && memcmp(f1, f2, l1) == 0);
    free(f1);
    free(f2);
    free(old);
    free(w.d);
}

static store_shard test_shard(uint32_t index)
{
    store_shard sh;
    memset(&sh, 0, sizeof sh);
    sh.index = index;
    sh.created_ms = 1764990000123LL;
    sh.parent = sh.adjacent_parent = -1;
    snprintf(sh.start_hash, sizeof sh.start_hash, "0");
    snprintf(sh.end_hash, sizeof sh.end_hash, "340282366920938463463374607431768211455");
    return sh;
}

Test(sub_event, records_of_every_kind_match_the_jansson_tree)
{
    store_shard sh = test_shard(3);
    static uint8_t big[1024 * 1024];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (uint8_t)(i * 31 + 7);
    const uint8_t small[] = {0x00, 0xFF, 0x10};
    const char *keys[] = {
        "k",
        "with \"quotes\"",
        "back\\slash/and/slashes",
        "ctl \x01\x02\x1f\n\t\r\b\f end",
        "\x7f del",
        "h\xc3\xa9llo \xe2\x82\xac \xf0\x9d\x84\x9e \xe4\xb8\xad\xe6\x96\x87",
        "a-partition-key-of-exactly-256-bytes-is-allowed-so-check-a-long-one-"
        "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567"
        "890123456789012345678901234567890123456789012345678901234567890123456789"};
    int64_t times[] = {1765000000000LL,  1765000000001LL, 1765000000123LL, 1765000000999LL,
                       1765000000500LL,  1765012345678LL, 1000LL,          1LL,
                       999999999999999LL};
    store_record rs[64];
    size_t n = 0;
    for (size_t k = 0; k < sizeof keys / sizeof *keys; k++)
        for (size_t d = 0; d < 5; d++) {
            store_record *r = &rs[n];
            memset(r, 0, sizeof *r);
            r->counter = 1 + n * 977;
            r->arrival_ms = times[(k + d) % (sizeof times / sizeof *times)];
            r->pkey = keys[k];
            r->data = d == 4 ? big : small;
            r->data_len = d == 4 ? sizeof big : d; /* empty, 1, 2, 3 bytes and 1 MiB */
            r->encrypted = (int)((k + d) % 2);
            n++;
        }
    char cont[SEQNUM_MAX];
    record_seq(&sh, rs[n - 1].counter, rs[n - 1].arrival_ms, cont);
    check_event(&sh, rs, n, cont, 0, NULL, n);
    check_event(&sh, rs, n, cont, 123456, NULL, n);
    check_event(&sh, rs, 1, cont, 7, NULL, 1);
}

Test(sub_event, heartbeat_and_end_of_shard_match_the_jansson_tree)
{
    store_shard shards[3] = {test_shard(0), test_shard(1), test_shard(2)};
    shards[0].closed_ms = 1765000001000LL;
    shards[1].parent = 0;
    snprintf(shards[1].end_hash, sizeof shards[1].end_hash, "170141183460469231731687303715884105727");
    shards[2].parent = 0;
    snprintf(shards[2].start_hash, sizeof shards[2].start_hash, "170141183460469231731687303715884105728");
    char cont[SEQNUM_MAX];
    record_seq(&shards[0], 41, 1765000000250LL, cont);
    check_event(&shards[0], NULL, 0, cont, 0, NULL, 0);
    json_t *children = child_shards_json(shards, 3, 0);
    cr_assert_eq(json_array_size(children), 2);
    store_record r = {.counter = 42,
                      .arrival_ms = 1765000000999LL,
                      .pkey = "p",
                      .data = (const uint8_t *)"x",
                      .data_len = 1};
    check_event(&shards[0], &r, 1, NULL, 0, children, 1);
    check_event(&shards[0], NULL, 0, NULL, 0, children, 0);
    json_decref(children);
}

Test(sub_event, a_key_that_is_not_utf8_is_left_out_as_before)
{
    store_shard sh = test_shard(0);
    store_record rs[3] = {
        {.counter = 1,
         .arrival_ms = 1765000000001LL,
         .pkey = "bad \xff key",
         .data = (const uint8_t *)"a",
         .data_len = 1},
        {.counter = 2,
         .arrival_ms = 1765000000002LL,
         .pkey = "good",
         .data = (const uint8_t *)"b",
         .data_len = 1},
        {.counter = 3,
         .arrival_ms = 1765000000003LL,
         .pkey = "\xc3(",
         .data = (const uint8_t *)"c",
         .data_len = 1},
    };
    check_event(&sh, rs, 3, "1", 0, NULL, 1);
    check_event(&sh, rs, 1, "1", 0, NULL, 0);
}
