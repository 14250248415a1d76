/* sim_simulation_faults.c: fault injection end to end over HTTP against a running kinesis-sim
 * ($KINESIS_SIM_ENDPOINT): rules added through POST /_sim/faults produce error answers with
 * their status, PutRecords partial failures with an exact FailedRecordCount, added latency,
 * dropped connections (before and after the write), and truncated bodies. Every rule matches
 * only a stream this test created, so tests running in parallel are not disturbed. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "testlib.h"

static void simf_create(const char *stream, int shards)
{
    long status = 0;
    json_t *in = json_pack("{s:s, s:i}", "StreamName", stream, "ShardCount", shards);
    json_t *out = tl_call_json("CreateStream", in, &status);
    cr_assert_eq(status, 200, "CreateStream %s: %ld", stream, status);
    json_decref(in);
    json_decref(out);
    cr_assert_eq(tl_wait_stream_status(stream, "ACTIVE", 10000), 0, "%s never ACTIVE", stream);
}

static void simf_delete(const char *stream)
{
    json_t *in = json_pack("{s:s}", "StreamName", stream);
    long status;
    json_decref(tl_call_json("DeleteStream", in, &status));
    json_decref(in);
}

static double simf_now_s(void)
{
    return (double)tl_now_us() / 1e6;
}

Test(sim_faults, error_answer_with_status_then_normal)
{
    char stream[64], rule[512];
    tl_unique_name("flt-err", stream, sizeof stream);
    simf_create(stream, 1);
    snprintf(rule, sizeof rule,
             "{\"match\": {\"operations\": [\"DescribeStreamSummary\"], \"stream\": \"%s\"},"
             " \"when\": {\"nth\": 1}, \"effect\": {\"error\": \"ServiceUnavailable\"}}",
             stream);
    json_int_t id = tl_fault_add(rule);
    json_t *in = json_pack("{s:s}", "StreamName", stream);
    long status = 0;
    json_t *out = tl_call_json("DescribeStreamSummary", in, &status);
    cr_assert_eq(status, 503);
    cr_assert_str_eq(tl_error_type(out), "ServiceUnavailable");
    json_decref(out);
    out = tl_call_json("DescribeStreamSummary", in, &status);
    cr_assert_eq(status, 200, "nth 1: only the first call");
    json_decref(out);
    json_decref(in);
    tl_fault_remove(id);
    simf_delete(stream);
}

Test(sim_faults, put_records_partial_failure_exact_count)
{
    char stream[64], rule[512];
    tl_unique_name("flt-part", stream, sizeof stream);
    simf_create(stream, 2);
    snprintf(rule, sizeof rule,
             "{\"match\": {\"operations\": [\"PutRecords\"], \"stream\": \"%s\"},"
             " \"when\": {\"every\": 2}, \"effect\": {\"entry_error\": \"InternalFailure\"}}",
             stream);
    json_int_t id = tl_fault_add(rule);
    json_t *records = json_array();
    for (int i = 0; i < 10; i++) {
        char key[16];
        snprintf(key, sizeof key, "k%d", i);
        json_array_append_new(records, json_pack("{s:s, s:s}", "Data", "aGVsbG8=", "PartitionKey", key));
    }
    json_t *in = json_pack("{s:s, s:o}", "StreamName", stream, "Records", records);
    long status = 0;
    json_t *out = tl_call_json("PutRecords", in, &status);
    cr_assert_eq(status, 200);
    cr_assert_eq(json_integer_value(json_object_get(out, "FailedRecordCount")), 5);
    json_t *res = json_object_get(out, "Records");
    cr_assert_eq(json_array_size(res), 10);
    for (size_t i = 0; i < 10; i++) {
        json_t *e = json_array_get(res, i);
        if (i % 2 == 1) {
            cr_assert_str_eq(json_string_value(json_object_get(e, "ErrorCode")), "InternalFailure");
            cr_assert_str_eq(json_string_value(json_object_get(e, "ErrorMessage")),
                             "Internal Service Failure");
            cr_assert_null(json_object_get(e, "SequenceNumber"));
        } else {
            cr_assert_not_null(json_object_get(e, "SequenceNumber"), "entry %zu", i);
            cr_assert_null(json_object_get(e, "ErrorCode"));
        }
    }
    json_decref(out);
    json_decref(in);
    tl_fault_remove(id);
    simf_delete(stream);
}

Test(sim_faults, latency_delays_the_answer)
{
    char stream[64], rule[512];
    tl_unique_name("flt-lat", stream, sizeof stream);
    simf_create(stream, 1);
    snprintf(rule, sizeof rule,
             "{\"match\": {\"operations\": [\"ListShards\"], \"stream\": \"%s\"},"
             " \"effect\": {\"latency_ms\": 300}}",
             stream);
    json_int_t id = tl_fault_add(rule);
    json_t *in = json_pack("{s:s}", "StreamName", stream);
    long status = 0;
    double t0 = simf_now_s();
    json_t *out = tl_call_json("ListShards", in, &status);
    double took = simf_now_s() - t0;
    cr_assert_eq(status, 200);
    cr_assert(took >= 0.29, "answered after %.3f s, expected >= 0.3 s", took);
    cr_assert(took < 5, "answered after %.3f s", took);
    json_decref(out);
    json_decref(in);
    tl_fault_remove(id);
    simf_delete(stream);
}

Test(sim_faults, dropped_connection_before_and_after_the_write)
{
    char stream[64], rule[512];
    tl_unique_name("flt-drop", stream, sizeof stream);
    simf_create(stream, 1);
    snprintf(
        rule, sizeof rule,
        "{\"match\": {\"operations\": [\"PutRecord\"], \"stream\": \"%s\", \"partition_key\": \"before\"},"
        " \"effect\": {\"drop\": true}}",
        stream);
    json_int_t before = tl_fault_add(rule);
    snprintf(
        rule, sizeof rule,
        "{\"match\": {\"operations\": [\"PutRecord\"], \"stream\": \"%s\", \"partition_key\": \"after\"},"
        " \"effect\": {\"drop\": \"after\"}}",
        stream);
    json_int_t after = tl_fault_add(rule);

    char body[256];
    long status = 0;
    snprintf(body, sizeof body, "{\"StreamName\":\"%s\",\"Data\":\"YQ==\",\"PartitionKey\":\"before\"}",
             stream);
    cr_assert_eq(tl_call("PutRecord", body, &status, NULL), -1, "connection dropped: no answer");
    snprintf(body, sizeof body, "{\"StreamName\":\"%s\",\"Data\":\"Yg==\",\"PartitionKey\":\"after\"}",
             stream);
    cr_assert_eq(tl_call("PutRecord", body, &status, NULL), -1, "connection dropped: no answer");

    /* only the "after" record was stored */
    snprintf(
        body, sizeof body,
        "{\"StreamName\":\"%s\",\"ShardId\":\"shardId-000000000000\",\"ShardIteratorType\":\"TRIM_HORIZON\"}",
        stream);
    json_t *it = json_loads(body, 0, NULL);
    json_t *out = tl_call_json("GetShardIterator", it, &status);
    cr_assert_eq(status, 200);
    json_t *gr = json_pack("{s:O}", "ShardIterator", json_object_get(out, "ShardIterator"));
    json_t *recs = tl_call_json("GetRecords", gr, &status);
    cr_assert_eq(status, 200);
    json_t *list = json_object_get(recs, "Records");
    cr_assert_eq(json_array_size(list), 1);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(list, 0), "PartitionKey")), "after");
    json_decref(recs);
    json_decref(gr);
    json_decref(out);
    json_decref(it);
    tl_fault_remove(before);
    tl_fault_remove(after);
    simf_delete(stream);
}

Test(sim_faults, truncated_answer_body)
{
    char stream[64], rule[512];
    tl_unique_name("flt-trunc", stream, sizeof stream);
    simf_create(stream, 1);
    snprintf(rule, sizeof rule,
             "{\"match\": {\"operations\": [\"DescribeStreamSummary\"], \"stream\": \"%s\"},"
             " \"effect\": {\"truncate\": 7}}",
             stream);
    json_int_t id = tl_fault_add(rule);
    char body[200];
    snprintf(body, sizeof body, "{\"StreamName\":\"%s\"}", stream);
    long status = 0;
    char *answer = NULL;
    cr_assert_eq(tl_call("DescribeStreamSummary", body, &status, &answer), 0);
    cr_assert_eq(status, 200);
    cr_assert_eq(strlen(answer), 7, "body '%s'", answer);
    cr_assert_null(json_loads(answer, 0, NULL), "a truncated body does not parse");
    free(answer);
    tl_fault_remove(id);
    simf_delete(stream);
}

/* GET /_sim/faults gives a rule's probability back as it was written (issue 14): 0.05, not the
 * nearest double's 17 digits (0.050000000000000003). */
Test(sim_faults, listed_probability_keeps_its_digits)
{
    char stream[64], rule[512];
    tl_unique_name("flt-prob", stream, sizeof stream);
    snprintf(rule, sizeof rule,
             "{\"match\": {\"operations\": [\"DescribeStreamSummary\"], \"stream\": \"%s\"},"
             " \"when\": {\"probability\": 0.05}, \"effect\": {\"error\": \"ServiceUnavailable\"}}",
             stream);
    json_int_t id = tl_fault_add(rule);
    tl_response r;
    cr_assert_eq(tl_raw("GET", "/_sim/faults", NULL, NULL, 0, &r), 0);
    cr_assert_eq(r.status, 200, "%s", r.body);
    char *mine = strstr(r.body, stream);
    cr_assert_not_null(mine, "the rule is listed: %s", r.body);
    char *next = strstr(mine, "\"probability\":");
    cr_assert_not_null(next, "%s", r.body);
    cr_assert(strncmp(next, "\"probability\":0.05", 18) == 0 && (next[18] == ',' || next[18] == '}'),
              "probability as written: %.60s", next);
    tl_response_free(&r);
    tl_fault_remove(id);
}
