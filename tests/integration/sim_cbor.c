/* sim_cbor.c: integration tests of the CBOR protocol (application/x-amz-cbor-1.1, the AWS SDK for
 * Java's default) against a running kinesis-sim at $KINESIS_SIM_ENDPOINT. Requests are built here
 * with libcbor the way the Java SDK builds them (blobs as byte strings), every data-plane
 * operation is called, and the answers are read as CBOR: Data comes back as a byte string,
 * ApproximateArrivalTimestamp as tag 1 with integer epoch milliseconds, errors as a CBOR map
 * with __type and message, all with the CBOR content type. */
#include <cbor.h>
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "testlib.h"

#define CBOR_CT "application/x-amz-cbor-1.1"

/* ---- building requests ---- */

/* A definite map from n (key, item) pairs; the items are moved into the map. */
static cbor_item_t *cmap(size_t n, ...)
{
    cbor_item_t *m = cbor_new_definite_map(n);
    cr_assert_not_null(m);
    va_list ap;
    va_start(ap, n);
    for (size_t i = 0; i < n; i++) {
        const char *key = va_arg(ap, const char *);
        cbor_item_t *v = va_arg(ap, cbor_item_t *);
        cr_assert_not_null(v);
        cr_assert(cbor_map_add(
            m, (struct cbor_pair){.key = cbor_move(cbor_build_string(key)), .value = cbor_move(v)}));
    }
    va_end(ap);
    return m;
}

static cbor_item_t *cstr(const char *s)
{
    return cbor_build_string(s);
}

static cbor_item_t *cbytes(const void *p, size_t n)
{
    return cbor_build_bytestring((cbor_data)p, n);
}

static cbor_item_t *cint(uint32_t v)
{
    return cbor_build_uint32(v);
}

/* ---- reading answers ---- */

static cbor_item_t *cget(const cbor_item_t *map, const char *key)
{
    if (!map || !cbor_isa_map(map))
        return NULL;
    struct cbor_pair *pairs = cbor_map_handle(map);
    for (size_t i = 0; i < cbor_map_size(map); i++) {
        cbor_item_t *k = pairs[i].key;
        if (cbor_isa_string(k) && cbor_string_is_definite(k) && cbor_string_length(k) == strlen(key) &&
            memcmp(cbor_string_handle(k), key, strlen(key)) == 0)
            return pairs[i].value;
    }
    return NULL;
}

/* A text member as a NUL-terminated copy in buf ("" when absent or not text). */
static const char *ctext(const cbor_item_t *map, const char *key, char *buf, size_t len)
{
    cbor_item_t *v = cget(map, key);
    buf[0] = 0;
    if (v && cbor_isa_string(v) && cbor_string_is_definite(v)) {
        size_t n = cbor_string_length(v);
        if (n >= len)
            n = len - 1;
        memcpy(buf, cbor_string_handle(v), n);
        buf[n] = 0;
    }
    return buf;
}

static uint64_t cuint(const cbor_item_t *v)
{
    cr_assert(v && cbor_isa_uint(v), "not an unsigned integer");
    return cbor_get_int(v);
}

/* POST one operation with a CBOR body; returns the decoded answer (cbor_decref it) and the status. */
static cbor_item_t *ccall(const char *op, cbor_item_t *in, long *status)
{
    unsigned char *buf = NULL;
    size_t cap = 0;
    size_t len = cbor_serialize_alloc(in, &buf, &cap);
    cbor_decref(&in);
    cr_assert_gt(len, 0, "cannot serialize the %s request", op);
    char target[96];
    snprintf(target, sizeof target, "X-Amz-Target: Kinesis_20131202.%s", op);
    const char *h[] = {"Content-Type: " CBOR_CT, target,
                       "Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/kinesis/"
                       "aws4_request, SignedHeaders=host;x-amz-date, Signature=abc123",
                       "X-Amz-Date: 20150830T123600Z", NULL};
    tl_response r;
    cr_assert_eq(tl_raw("POST", "/", h, buf, len, &r), 0, "%s: transport failed (curl %d)", op, r.curl_code);
    free(buf);
    char *ct = tl_header(&r, "Content-Type");
    cr_assert_not_null(ct, "%s: no Content-Type", op);
    cr_assert_str_eq(ct, CBOR_CT, "%s answered with %s", op, ct);
    free(ct);
    struct cbor_load_result res;
    if (r.status == 200 && r.body_len == 0) { /* an operation without output: an empty body */
        *status = r.status;
        tl_response_free(&r);
        return cbor_new_definite_map(0);
    }
    cbor_item_t *out = cbor_load((cbor_data)r.body, r.body_len, &res);
    cr_assert_not_null(out, "%s: answer is not CBOR (error %d at %zu)", op, (int)res.error.code,
                       res.error.position);
    cr_assert_eq(res.read, r.body_len, "%s: trailing bytes after the CBOR answer", op);
    cr_assert(cbor_isa_map(out), "%s: answer is not a map", op);
    *status = r.status;
    tl_response_free(&r);
    return out;
}

static cbor_item_t *ccall_ok(const char *op, cbor_item_t *in)
{
    long status = 0;
    cbor_item_t *out = ccall(op, in, &status);
    char t[128], m[512];
    cr_assert_eq(status, 200, "%s: status %ld %s %s", op, status, ctext(out, "__type", t, sizeof t),
                 ctext(out, "message", m, sizeof m));
    return out;
}

static void create_active_stream(const char *name, uint32_t shards)
{
    cbor_item_t *out =
        ccall_ok("CreateStream", cmap(2, "StreamName", cstr(name), "ShardCount", cint(shards)));
    cr_assert_eq(cbor_map_size(out), 0, "CreateStream answers an empty map");
    cbor_decref(&out);
    cr_assert_eq(tl_wait_stream_status(name, "ACTIVE", 10000), 0, "stream %s never became ACTIVE", name);
}

Test(sim_cbor, data_plane_round_trip)
{
    char name[64], buf[256];
    tl_unique_name("cbor", name, sizeof name);
    create_active_stream(name, 2);
    time_t before = time(NULL);

    /* PutRecord with binary data (a NUL and a 0xff inside) */
    const uint8_t data1[] = {0x00, 0x01, 0xfe, 0xff, 'x'};
    cbor_item_t *out = ccall_ok("PutRecord", cmap(3, "StreamName", cstr(name), "Data",
                                                  cbytes(data1, sizeof data1), "PartitionKey", cstr("pk-1")));
    char shard[64], seq1[128];
    ctext(out, "ShardId", shard, sizeof shard);
    ctext(out, "SequenceNumber", seq1, sizeof seq1);
    cr_assert(strncmp(shard, "shardId-", 8) == 0, "ShardId %s", shard);
    cr_assert(seq1[0], "no SequenceNumber");
    cbor_decref(&out);

    /* PutRecords: two more records to the same partition key (so the same shard) */
    cbor_item_t *recs = cbor_new_definite_array(2);
    cr_assert(
        cbor_array_push(recs, cbor_move(cmap(2, "Data", cbytes("two", 3), "PartitionKey", cstr("pk-1")))));
    cr_assert(cbor_array_push(recs, cbor_move(cmap(2, "Data", cbytes("", 0), "PartitionKey", cstr("pk-1")))));
    out = ccall_ok("PutRecords", cmap(2, "StreamName", cstr(name), "Records", recs));
    cr_assert_eq(cuint(cget(out, "FailedRecordCount")), 0);
    cbor_item_t *results = cget(out, "Records");
    cr_assert(results && cbor_isa_array(results) && cbor_array_size(results) == 2);
    for (size_t i = 0; i < 2; i++) {
        cbor_item_t *e = cbor_array_handle(results)[i];
        cr_assert_str_eq(ctext(e, "ShardId", buf, sizeof buf), shard);
    }
    cbor_decref(&out);

    /* ListShards and DescribeStreamSummary */
    out = ccall_ok("ListShards", cmap(1, "StreamName", cstr(name)));
    cbor_item_t *shards = cget(out, "Shards");
    cr_assert(shards && cbor_isa_array(shards) && cbor_array_size(shards) == 2);
    cbor_item_t *range = cget(cbor_array_handle(shards)[0], "HashKeyRange");
    cr_assert_str_eq(ctext(range, "StartingHashKey", buf, sizeof buf), "0");
    cbor_decref(&out);
    out = ccall_ok("DescribeStreamSummary", cmap(1, "StreamName", cstr(name)));
    cbor_item_t *sum = cget(out, "StreamDescriptionSummary");
    cr_assert_str_eq(ctext(sum, "StreamName", buf, sizeof buf), name);
    cr_assert_str_eq(ctext(sum, "StreamStatus", buf, sizeof buf), "ACTIVE");
    cr_assert_eq(cuint(cget(sum, "OpenShardCount")), 2);
    cbor_item_t *created = cget(sum, "StreamCreationTimestamp");
    cr_assert(created && cbor_isa_tag(created) && cbor_tag_value(created) == 1, "creation time is not tag 1");
    cbor_decref(&out);

    /* GetShardIterator + GetRecords */
    out = ccall_ok("GetShardIterator", cmap(3, "StreamName", cstr(name), "ShardId", cstr(shard),
                                            "ShardIteratorType", cstr("TRIM_HORIZON")));
    char iter[1024];
    ctext(out, "ShardIterator", iter, sizeof iter);
    cr_assert(iter[0], "no ShardIterator");
    cbor_decref(&out);
    out = ccall_ok("GetRecords", cmap(1, "ShardIterator", cstr(iter)));
    cbor_item_t *got = cget(out, "Records");
    cr_assert(got && cbor_isa_array(got) && cbor_array_size(got) == 3, "expected 3 records");
    cbor_item_t *r0 = cbor_array_handle(got)[0];
    cbor_item_t *d0 = cget(r0, "Data");
    cr_assert(d0 && cbor_isa_bytestring(d0) && cbor_bytestring_is_definite(d0), "Data is not a byte string");
    cr_assert_eq(cbor_bytestring_length(d0), sizeof data1);
    cr_assert(memcmp(cbor_bytestring_handle(d0), data1, sizeof data1) == 0, "Data changed on the way");
    cr_assert_str_eq(ctext(r0, "SequenceNumber", buf, sizeof buf), seq1);
    cr_assert_str_eq(ctext(r0, "PartitionKey", buf, sizeof buf), "pk-1");
    cbor_item_t *ts = cget(r0, "ApproximateArrivalTimestamp");
    cr_assert(ts && cbor_isa_tag(ts) && cbor_tag_value(ts) == 1, "ApproximateArrivalTimestamp is not tag 1");
    cbor_item_t *ms = cbor_tag_item(ts);
    cr_assert(cbor_isa_uint(ms), "the timestamp is not an integer");
    uint64_t millis = cbor_get_int(ms);
    cbor_decref(&ms);
    cr_assert(millis >= (uint64_t)(before - 60) * 1000 && millis <= (uint64_t)(time(NULL) + 60) * 1000,
              "timestamp %llu is not epoch milliseconds of now", (unsigned long long)millis);
    cbor_item_t *d2 = cget(cbor_array_handle(got)[2], "Data");
    cr_assert(d2 && cbor_isa_bytestring(d2) && cbor_bytestring_length(d2) == 0, "empty Data");
    cr_assert(cget(out, "NextShardIterator") != NULL);
    cr_assert(cbor_isa_uint(cget(out, "MillisBehindLatest")));
    cbor_decref(&out);
}

Test(sim_cbor, errors_are_cbor_maps)
{
    char name[64], t[128], m[512];
    tl_unique_name("cbor-missing", name, sizeof name);
    long status = 0;
    cbor_item_t *out = ccall("DescribeStreamSummary", cmap(1, "StreamName", cstr(name)), &status);
    cr_assert_eq(status, 400);
    cr_assert_str_eq(ctext(out, "__type", t, sizeof t), "ResourceNotFoundException");
    char want[256];
    snprintf(want, sizeof want, "Stream %s under account 000000000000 not found.", name);
    cr_assert_str_eq(ctext(out, "message", m, sizeof m), want);
    cbor_decref(&out);

    /* validation: the same words as over JSON */
    out = ccall("ListStreams", cmap(1, "Limit", cint(0)), &status);
    cr_assert_eq(status, 400);
    cr_assert_str_eq(ctext(out, "__type", t, sizeof t), "ValidationException");
    cr_assert_str_eq(ctext(out, "message", m, sizeof m),
                     "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: Member "
                     "must have value greater than or equal to 1");
    cbor_decref(&out);

    /* a type mismatch is a SerializationException */
    out = ccall("ListStreams", cmap(1, "Limit", cstr("ten")), &status);
    cr_assert_eq(status, 400);
    cr_assert_str_eq(ctext(out, "__type", t, sizeof t), "SerializationException");
    cbor_decref(&out);
}

Test(sim_cbor, malformed_body_is_a_cbor_serialization_exception)
{
    const uint8_t bad[] = {0xa2, 0x6a, 'S', 't', 'r'}; /* truncated */
    const char *h[] = {"Content-Type: " CBOR_CT, "X-Amz-Target: Kinesis_20131202.ListStreams",
                       "Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/kinesis/"
                       "aws4_request, SignedHeaders=host;x-amz-date, Signature=abc123",
                       "X-Amz-Date: 20150830T123600Z", NULL};
    tl_response r;
    cr_assert_eq(tl_raw("POST", "/", h, bad, sizeof bad, &r), 0);
    cr_assert_eq(r.status, 400);
    char *ct = tl_header(&r, "Content-Type");
    cr_assert_str_eq(ct, CBOR_CT);
    free(ct);
    struct cbor_load_result res;
    cbor_item_t *out = cbor_load((cbor_data)r.body, r.body_len, &res);
    cr_assert_not_null(out, "error answer is not CBOR");
    char t[128];
    cr_assert_str_eq(ctext(out, "__type", t, sizeof t), "SerializationException");
    cbor_decref(&out);
    tl_response_free(&r);
}
