/* client_faults.c: libkinesis's retry and re-send logic (client/src/engine.c, retry.c,
 * producer.c) exercised against faults injected into a running kinesis-sim ($KINESIS_SIM_ENDPOINT)
 * through POST /_sim/faults (fixtures/faults/README.md).
 *
 * What the client did is read from two sides: its own answer (error, err->attempts,
 * put_records result->attempts) and the simulator's rule counters (GET /_sim/faults: `calls` is
 * how many matching requests or entries the rule saw, `fired` how many it failed), so a retry
 * that did not happen, or a re-send of entries that had succeeded, shows up as a wrong count.
 * Every rule matches only a stream this file created, so other tests running at the same time
 * are not disturbed, and retry delays are a few milliseconds. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kinesis/kinesis.h"
#include "testing.h"
#include "testlib.h"

/* ------------------------------------------------------------------ helpers */

static kinesis_client *cfx_client(int max_attempts)
{
    kinesis_client_options o = {0};
    o.endpoint = tl_endpoint();
    o.region = TL_REGION;
    o.access_key_id = TL_ACCESS_KEY;
    o.secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    o.request_timeout_ms = 10000;
    o.retry.max_attempts = max_attempts;
    o.retry.base_delay_ms = 2;
    o.retry.max_delay_ms = 10;
    o.retry.max_total_ms = 5000;
    kinesis_error *err = NULL;
    kinesis_client *c = kinesis_client_new(&o, &err);
    cr_assert_not_null(c, "kinesis_client_new: %s", err && err->message ? err->message : "?");
    kc_client_set_rng_seed(c, 17);
    return c;
}

static void cfx_create(const char *stream, int shards)
{
    long status = 0;
    json_t *in = json_pack("{s:s, s:i}", "StreamName", stream, "ShardCount", shards);
    json_t *out = tl_call_json("CreateStream", in, &status);
    json_decref(in);
    json_decref(out);
    cr_assert_eq(status, 200, "CreateStream %s: HTTP %ld", stream, status);
    cr_assert_eq(tl_wait_stream_status(stream, "ACTIVE", 10000), 0, "%s never became ACTIVE", stream);
}

static void cfx_delete(const char *stream)
{
    long status = 0;
    json_t *in = json_pack("{s:s, s:b}", "StreamName", stream, "EnforceConsumerDeletion", 1);
    json_decref(tl_call_json("DeleteStream", in, &status));
    json_decref(in);
}

/* Every record of shard 0 (one GetRecords from TRIM_HORIZON), data as strings in order. */
static size_t cfx_read_all(kinesis_client *c, const char *stream, char out[][32], size_t max)
{
    char *it = NULL;
    kinesis_error *err = kinesis_get_shard_iterator(c, stream, "shardId-000000000000",
                                                    KINESIS_ITERATOR_TRIM_HORIZON, NULL, &it);
    cr_assert_null(err, "GetShardIterator: %s", err->message);
    kinesis_get_records_result *res = NULL;
    err = kinesis_get_records(c, it, 0, &res);
    free(it);
    cr_assert_null(err, "GetRecords: %s", err->message);
    size_t n = res->count < max ? res->count : max;
    for (size_t i = 0; i < n; i++)
        snprintf(out[i], 32, "%.*s", (int)res->records[i].data_len, (const char *)res->records[i].data);
    size_t count = res->count;
    kinesis_get_records_result_free(res);
    return count;
}

/* ------------------------------------------------------------------ whole-call retries */

Test(client_faults, put_record_retried_after_two_throttles)
{
    char stream[64], rule[512];
    tl_unique_name("cfx-pte", stream, sizeof stream);
    cfx_create(stream, 1);
    snprintf(rule, sizeof rule,
             "{\"match\": {\"operations\": [\"PutRecord\"], \"stream\": \"%s\"}, \"when\": {\"from\": 1, "
             "\"to\": 2},"
             " \"effect\": {\"error\": \"ProvisionedThroughputExceededException\"}}",
             stream);
    json_int_t id = tl_fault_add(rule);
    kinesis_client *c = cfx_client(5);

    kinesis_record rec = {"hello", 5, "pk", NULL, NULL};
    kinesis_put_record_result *res = NULL;
    kinesis_error *err = kinesis_put_record(c, stream, &rec, &res);
    cr_assert_null(err, "put_record failed: %s %s (attempts %d)", err->name, err->message, err->attempts);
    cr_assert_not_null(res->sequence_number);
    cr_assert_str_eq(res->shard_id, "shardId-000000000000");
    long long calls = 0, fired = 0;
    tl_fault_counters(id, &calls, &fired);
    cr_expect_eq(calls, 3, "the simulator saw %lld PutRecord calls; 2 throttled + 1 success = 3", calls);
    cr_expect_eq(fired, 2);

    char got[4][32];
    cr_expect_eq(cfx_read_all(c, stream, got, 4), 1, "the record must be stored once");
    cr_expect_str_eq(got[0], "hello");
    kinesis_put_record_result_free(res);
    kinesis_client_free(c);
    tl_fault_remove(id);
    cfx_delete(stream);
}

Test(client_faults, internal_failure_500_retried)
{
    char stream[64], rule[512];
    tl_unique_name("cfx-500", stream, sizeof stream);
    cfx_create(stream, 1);
    snprintf(rule, sizeof rule,
             "{\"match\": {\"operations\": [\"DescribeStreamSummary\", \"ListShards\"], \"stream\": \"%s\"},"
             " \"when\": {\"every\": 2}, \"effect\": {\"error\": \"InternalFailure\"}}",
             stream);
    json_int_t id = tl_fault_add(rule);
    kinesis_client *c = cfx_client(3);

    /* call 1 passes; call 2 (500) is retried as call 3, which passes */
    kinesis_stream_summary *sum = NULL;
    kinesis_error *err = kinesis_describe_stream_summary(c, stream, &sum);
    cr_assert_null(err, "first call: %s", err->message);
    kinesis_stream_summary_free(sum);
    char *resp = NULL;
    char body[128];
    snprintf(body, sizeof body, "{\"StreamName\": \"%s\"}", stream);
    err = kinesis_call(c, "ListShards", body, &resp);
    cr_assert_null(err, "ListShards after one InternalFailure: %s %s (attempts %d)", err->name, err->message,
                   err->attempts);
    cr_expect_not_null(strstr(resp, "shardId-000000000000"), "%s", resp);
    free(resp);
    long long calls = 0, fired = 0;
    tl_fault_counters(id, &calls, &fired);
    cr_expect_eq(calls, 3);
    cr_expect_eq(fired, 1);

    /* kinesis_call_once does not retry: the next 500 comes straight back */
    int status = 0;
    resp = NULL;
    err = kinesis_call_once(c, "ListShards", body, &resp, &status); /* call 4: fails */
    cr_assert_not_null(err, "call 4 should have failed (every 2)");
    cr_expect_str_eq(err->name, "InternalFailure");
    cr_expect_eq(err->http_status, 500);
    cr_expect_eq(err->attempts, 1);
    cr_expect_eq(err->type, KINESIS_ERROR_REQUEST_FAILED);
    kinesis_error_free(err);
    free(resp);
    kinesis_client_free(c);
    tl_fault_remove(id);
    cfx_delete(stream);
}

Test(client_faults, validation_error_never_retried)
{
    char stream[64], rule[512];
    tl_unique_name("cfx-val", stream, sizeof stream);
    cfx_create(stream, 1);
    /* An injected ValidationException (always): the client must give up after the first answer. */
    snprintf(rule, sizeof rule,
             "{\"match\": {\"operations\": [\"PutRecord\"], \"stream\": \"%s\"},"
             " \"effect\": {\"error\": \"ValidationException\", \"message\": \"injected\"}}",
             stream);
    json_int_t id = tl_fault_add(rule);
    kinesis_client *c = cfx_client(5);

    kinesis_record rec = {"x", 1, "pk", NULL, NULL};
    kinesis_put_record_result *res = NULL;
    kinesis_error *err = kinesis_put_record(c, stream, &rec, &res);
    cr_assert_not_null(err, "an injected ValidationException must fail the call");
    cr_assert_null(res);
    cr_expect_str_eq(err->name, "ValidationException");
    cr_expect_eq(err->http_status, 400);
    cr_expect_eq(err->attempts, 1, "validation errors are not retried, got %d attempts", err->attempts);
    kinesis_error_free(err);
    long long calls = 0, fired = 0;
    tl_fault_counters(id, &calls, &fired);
    cr_expect_eq(calls, 1, "the simulator saw %lld PutRecord calls", calls);
    cr_expect_eq(fired, 1);

    /* A real validation error from the service (a stream name the model's pattern refuses) and a
     * ResourceNotFoundException: one attempt each. */
    char *resp = NULL;
    err = kinesis_call(c, "DescribeStreamSummary", "{\"StreamName\": \"bad name!\"}", &resp);
    cr_assert_not_null(err);
    cr_expect_str_eq(err->name, "ValidationException");
    cr_expect_eq(err->attempts, 1);
    kinesis_error_free(err);
    free(resp);
    char missing[96];
    snprintf(missing, sizeof missing, "%s-missing", stream);
    kinesis_stream_summary *sum = NULL;
    err = kinesis_describe_stream_summary(c, missing, &sum);
    cr_assert_not_null(err);
    cr_expect_str_eq(err->name, "ResourceNotFoundException");
    cr_expect_eq(err->attempts, 1);
    kinesis_error_free(err);
    kinesis_client_free(c);
    tl_fault_remove(id);
    cfx_delete(stream);
}

Test(client_faults, attempt_budget_exhausted)
{
    char stream[64], rule[512];
    tl_unique_name("cfx-max", stream, sizeof stream);
    cfx_create(stream, 1);
    snprintf(rule, sizeof rule,
             "{\"match\": {\"operations\": [\"PutRecord\"], \"stream\": \"%s\"},"
             " \"effect\": {\"error\": \"ServiceUnavailable\"}}",
             stream);
    json_int_t id = tl_fault_add(rule);
    kinesis_client *c = cfx_client(3);

    kinesis_record rec = {"x", 1, "pk", NULL, NULL};
    kinesis_put_record_result *res = NULL;
    kinesis_error *err = kinesis_put_record(c, stream, &rec, &res);
    cr_assert_not_null(err, "every attempt fails: the call must fail");
    cr_expect_str_eq(err->name, "ServiceUnavailable");
    cr_expect_eq(err->http_status, 503);
    cr_expect_eq(err->attempts, 3, "max_attempts 3, got %d", err->attempts);
    cr_expect_eq(err->type, KINESIS_ERROR_REQUEST_FAILED);
    kinesis_error_free(err);
    long long calls = 0, fired = 0;
    tl_fault_counters(id, &calls, &fired);
    cr_expect_eq(calls, 3);
    cr_expect_eq(fired, 3);

    char got[4][32];
    cr_expect_eq(cfx_read_all(c, stream, got, 4), 0, "nothing was stored");
    kinesis_client_free(c);
    tl_fault_remove(id);
    cfx_delete(stream);
}

/* ------------------------------------------------------------------ PutRecords re-send */

Test(client_faults, put_records_resends_only_failed_entries)
{
    char stream[64], rule[512];
    tl_unique_name("cfx-rs", stream, sizeof stream);
    cfx_create(stream, 1);
    /* the first two entries keyed retry-* fail (once each); a second rule that never fires counts
     * every entry the simulator receives */
    snprintf(
        rule, sizeof rule,
        "{\"match\": {\"operations\": [\"PutRecords\"], \"stream\": \"%s\", \"partition_key\": \"retry-*\"},"
        " \"when\": {\"from\": 1, \"to\": 2}, \"effect\": {\"entry_error\": "
        "\"ProvisionedThroughputExceededException\"}}",
        stream);
    json_int_t fail_id = tl_fault_add(rule);
    snprintf(rule, sizeof rule,
             "{\"match\": {\"operations\": [\"PutRecords\"], \"stream\": \"%s\"},"
             " \"when\": {\"from\": 1000000}, \"effect\": {\"entry_error\": \"InternalFailure\"}}",
             stream);
    json_int_t count_id = tl_fault_add(rule);
    kinesis_client *c = cfx_client(4);

    const char *keys[5] = {"ok-0", "retry-1", "ok-2", "retry-3", "ok-4"};
    const char *data[5] = {"d0", "d1", "d2", "d3", "d4"};
    kinesis_record recs[5];
    for (int i = 0; i < 5; i++)
        recs[i] = (kinesis_record){data[i], 2, keys[i], NULL, NULL};
    kinesis_put_records_options po = {1};
    kinesis_put_records_result *res = NULL;
    kinesis_error *err = kinesis_put_records(c, stream, recs, 5, &po, &res);
    cr_assert_null(err, "put_records: %s %s", err->name, err->message);
    cr_expect_eq(res->count, 5);
    cr_expect_eq(res->failed_count, 0, "every entry succeeds after the re-send");
    cr_expect_eq(res->attempts, 2, "one PutRecords, then one re-send of the two failed entries");
    for (size_t i = 0; i < res->count; i++) {
        cr_expect_null(res->results[i].error_code, "entry %zu: %s", i, res->results[i].error_code);
        cr_expect_not_null(res->results[i].sequence_number, "entry %zu has no sequence number", i);
    }
    long long calls = 0, fired = 0;
    tl_fault_counters(fail_id, &calls, &fired);
    cr_expect_eq(fired, 2);
    cr_expect_eq(calls, 4, "retry-* entries seen: 2 in the first request, 2 re-sent (got %lld)", calls);
    tl_fault_counters(count_id, &calls, &fired);
    cr_expect_eq(calls, 7, "entries received: 5 + the 2 failed ones re-sent (got %lld)", calls);
    cr_expect_eq(fired, 0);

    /* each record stored exactly once; the re-sent ones after the others */
    char got[8][32];
    size_t n = cfx_read_all(c, stream, got, 8);
    cr_expect_eq(n, 5, "stored %zu records", n);
    const char *want[5] = {"d0", "d2", "d4", "d1", "d3"};
    for (size_t i = 0; i < 5 && i < n; i++)
        cr_expect_str_eq(got[i], want[i], "record %zu", i);
    kinesis_put_records_result_free(res);
    kinesis_client_free(c);
    tl_fault_remove(fail_id);
    tl_fault_remove(count_id);
    cfx_delete(stream);
}

Test(client_faults, put_records_without_resend_reports_failures)
{
    char stream[64], rule[512];
    tl_unique_name("cfx-nrs", stream, sizeof stream);
    cfx_create(stream, 1);
    snprintf(rule, sizeof rule,
             "{\"match\": {\"operations\": [\"PutRecords\"], \"stream\": \"%s\", \"partition_key\": \"bad\"},"
             " \"effect\": {\"entry_error\": \"InternalFailure\"}}",
             stream);
    json_int_t id = tl_fault_add(rule);
    kinesis_client *c = cfx_client(4);

    kinesis_record recs[3] = {
        {"a", 1, "good", NULL, NULL}, {"b", 1, "bad", NULL, NULL}, {"c", 1, "good", NULL, NULL}};
    kinesis_put_records_options po = {0};
    kinesis_put_records_result *res = NULL;
    kinesis_error *err = kinesis_put_records(c, stream, recs, 3, &po, &res);
    cr_assert_null(err, "a partial failure is not an error: %s", err->message);
    cr_expect_eq(res->failed_count, 1);
    cr_expect_eq(res->attempts, 1, "retry_failed 0: no re-send");
    cr_expect_null(res->results[0].error_code);
    cr_assert_not_null(res->results[1].error_code);
    cr_expect_str_eq(res->results[1].error_code, "InternalFailure");
    cr_expect_null(res->results[1].sequence_number);
    cr_expect_null(res->results[2].error_code);
    long long calls = 0, fired = 0;
    tl_fault_counters(id, &calls, &fired);
    cr_expect_eq(calls, 1);
    kinesis_put_records_result_free(res);
    kinesis_client_free(c);
    tl_fault_remove(id);
    cfx_delete(stream);
}

Test(client_faults, put_records_resend_budget_exhausted)
{
    char stream[64], rule[512];
    tl_unique_name("cfx-rsmax", stream, sizeof stream);
    cfx_create(stream, 1);
    snprintf(
        rule, sizeof rule,
        "{\"match\": {\"operations\": [\"PutRecords\"], \"stream\": \"%s\", \"partition_key\": \"always-*\"},"
        " \"effect\": {\"entry_error\": \"ProvisionedThroughputExceededException\"}}",
        stream);
    json_int_t id = tl_fault_add(rule);
    kinesis_client *c = cfx_client(3);

    kinesis_record recs[4] = {{"a", 1, "fine-0", NULL, NULL},
                              {"b", 1, "always-1", NULL, NULL},
                              {"c", 1, "fine-2", NULL, NULL},
                              {"d", 1, "always-3", NULL, NULL}};
    kinesis_put_records_options po = {1};
    kinesis_put_records_result *res = NULL;
    kinesis_error *err = kinesis_put_records(c, stream, recs, 4, &po, &res);
    cr_assert_null(err, "entry failures are reported in the result: %s", err->message);
    cr_expect_eq(res->attempts, 3, "max_attempts 3: three PutRecords, got %d", res->attempts);
    cr_expect_eq(res->failed_count, 2);
    cr_assert_not_null(res->results[1].error_code);
    cr_expect_str_eq(res->results[1].error_code, "ProvisionedThroughputExceededException");
    cr_assert_not_null(res->results[3].error_code);
    cr_expect_null(res->results[0].error_code);
    cr_expect_null(res->results[2].error_code);
    long long calls = 0, fired = 0;
    tl_fault_counters(id, &calls, &fired);
    cr_expect_eq(calls, 6, "2 always-* entries x 3 requests, got %lld", calls);
    cr_expect_eq(fired, 6);
    kinesis_put_records_result_free(res);
    kinesis_client_free(c);
    tl_fault_remove(id);
    cfx_delete(stream);
}
