/* sim_simulation_throttle.c: per-shard write limits end to end over HTTP against a running
 * kinesis-sim ($KINESIS_SIM_ENDPOINT): PutRecord over 1 MiB/s gets
 * ProvisionedThroughputExceededException with AWS's message, and PutRecords over 1,000
 * records/s fails only the over-limit entries with an exact FailedRecordCount. The tests read
 * /_sim/config and are skipped when the simulator runs with --throttle off or a scale above 1
 * (they never change the shared simulator's settings). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"

/* 1 when the simulator enforces AWS's limits at scale <= 1. */
static int simt_throttling_on(void)
{
    tl_response r;
    cr_assert_eq(tl_raw("GET", "/_sim/config", NULL, NULL, 0, &r), 0);
    cr_assert_eq(r.status, 200, "%s", r.body);
    json_t *j = json_loads(r.body, 0, NULL);
    tl_response_free(&r);
    cr_assert_not_null(j);
    int on = strcmp(json_string_value(json_object_get(j, "throttle")), "aws") == 0 &&
             json_number_value(json_object_get(j, "throttle_scale")) <= 1.0;
    json_decref(j);
    return on;
}

static void simt_create(const char *stream)
{
    long status = 0;
    json_t *in = json_pack("{s:s, s:i}", "StreamName", stream, "ShardCount", 1);
    json_decref(tl_call_json("CreateStream", in, &status));
    json_decref(in);
    cr_assert_eq(status, 200,
                 "CreateStream: %ld (a LimitExceeded here means control-plane "
                 "limits are on while tests run in parallel)",
                 status);
    cr_assert_eq(tl_wait_stream_status(stream, "ACTIVE", 10000), 0);
}

static void simt_delete(const char *stream)
{
    long status;
    json_t *in = json_pack("{s:s}", "StreamName", stream);
    json_decref(tl_call_json("DeleteStream", in, &status));
    json_decref(in);
}

Test(sim_throttle, put_record_over_one_mib_per_second)
{
    if (!simt_throttling_on())
        cr_skip_test("simulator runs without AWS throughput limits");
    char stream[64];
    tl_unique_name("thr-bytes", stream, sizeof stream);
    simt_create(stream);
    /* 700,000 bytes of data = 933,336 base64 characters */
    size_t b64_len = 933336;
    char *b64 = malloc(b64_len + 1);
    memset(b64, 'A', b64_len);
    b64[b64_len] = '\0';
    json_t *in = json_pack("{s:s, s:s, s:s}", "StreamName", stream, "Data", b64, "PartitionKey", "k");
    free(b64);
    long status = 0;
    json_t *out = tl_call_json("PutRecord", in, &status);
    cr_assert_eq(status, 200, "first 700 KB record fits the 1 MiB budget");
    json_decref(out);
    out = tl_call_json("PutRecord", in, &status);
    cr_assert_eq(status, 400, "second 700 KB record within the same second is throttled");
    cr_assert_str_eq(tl_error_type(out), "ProvisionedThroughputExceededException");
    char expect[256];
    snprintf(expect, sizeof expect,
             "Rate exceeded for shard shardId-000000000000 in stream %s under account ", stream);
    cr_assert(strncmp(tl_error_message(out), expect, strlen(expect)) == 0, "message '%s'",
              tl_error_message(out));
    json_decref(out);
    json_decref(in);
    simt_delete(stream);
}

Test(sim_throttle, put_records_fails_only_over_limit_entries)
{
    if (!simt_throttling_on())
        cr_skip_test("simulator runs without AWS throughput limits");
    char stream[64];
    tl_unique_name("thr-recs", stream, sizeof stream);
    simt_create(stream);
    json_t *records = json_array();
    for (int i = 0; i < 500; i++)
        json_array_append_new(records, json_pack("{s:s, s:s}", "Data", "eA==", "PartitionKey", "p"));
    json_t *in = json_pack("{s:s, s:o}", "StreamName", stream, "Records", records);
    long total_failed = 0, total_ok = 0;
    for (int call = 0; call < 4; call++) { /* 2,000 records, far more than 1,000/s */
        long status = 0;
        json_t *out = tl_call_json("PutRecords", in, &status);
        cr_assert_eq(status, 200);
        long failed = 0;
        json_t *res = json_object_get(out, "Records"), *e;
        size_t i;
        cr_assert_eq(json_array_size(res), 500);
        json_array_foreach(res, i, e)
        {
            const char *code = json_string_value(json_object_get(e, "ErrorCode"));
            if (code) {
                failed++;
                cr_assert_str_eq(code, "ProvisionedThroughputExceededException");
                cr_assert(strstr(json_string_value(json_object_get(e, "ErrorMessage")), stream) != NULL);
            } else {
                cr_assert_not_null(json_object_get(e, "SequenceNumber"));
            }
        }
        cr_assert_eq(json_integer_value(json_object_get(out, "FailedRecordCount")), failed,
                     "FailedRecordCount is exact");
        total_failed += failed;
        total_ok += 500 - failed;
        json_decref(out);
    }
    cr_assert(total_ok >= 1000, "the first second's 1,000 records pass (%ld passed)", total_ok);
    cr_assert(total_failed > 0, "some of 2,000 records in well under 2 s are throttled");
    json_decref(in);
    simt_delete(stream);
}
