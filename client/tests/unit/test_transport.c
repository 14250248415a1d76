/* test_transport.c: the client against a scripted local HTTP server (fake_server.c): the exact
 * requests it sends (target, content type, host, date, session token, a signature that verifies),
 * error answers, retries with a fake clock (attempts, delays, bounds, no retry for validation or
 * with kinesis_call_once), transport failures, malformed answers, PutRecords re-sending only the
 * failed entries, ListShards pagination, the waiter, connection reuse and the asynchronous API. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <time.h>

#include "fake_server.h"
#include "kinesis/kinesis.h"
#include "shared/sigv4.h"
#include "testing.h"

#define RID "x-amzn-RequestId: rid-123\r\n"

/* ------------------------------------------------------------------ fake clock */

typedef struct fake_clock {
    int64_t now;
    int64_t sleeps[32];
    int n_sleeps;
} fake_clock;

static int64_t fake_now(void *user)
{
    return ((fake_clock *)user)->now;
}
static void fake_sleep(int64_t ms, void *user)
{
    fake_clock *fc = user;
    if (fc->n_sleeps < 32)
        fc->sleeps[fc->n_sleeps++] = ms;
    fc->now += ms;
}

static kinesis_client *client_for(fake_server *s, const kinesis_retry_policy *rp, const char *token)
{
    kinesis_client_options o = {.region = "us-east-1",
                                .endpoint = s ? fs_url(s) : "http://127.0.0.1:9",
                                .access_key_id = "AKIDEXAMPLE",
                                .secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                                .session_token = token,
                                .connect_timeout_ms = 2000,
                                .request_timeout_ms = 5000};
    if (rp)
        o.retry = *rp;
    kinesis_error *err = NULL;
    kinesis_client *c = kinesis_client_new(&o, &err);
    cr_assert_not_null(c, "%s", err ? err->message : "?");
    return c;
}

static const char *hdr(fake_server *s, size_t i, const char *name, char *buf, size_t len)
{
    const fs_request *r = fs_get(s, i);
    cr_assert_not_null(r, "no request %zu", i);
    return fs_header(r, name, buf, len);
}

/* ------------------------------------------------------------------ request shape */

Test(transport, request_is_signed_and_shaped)
{
    fs_answer a[] = {{200, "{\"StreamNames\":[],\"HasMoreStreams\":false}", RID}};
    fake_server *s = fs_start(a, 1);
    kinesis_client *c = client_for(s, NULL, NULL);
    char *resp = NULL;
    int status = 0;
    kinesis_error *e = kinesis_call_once(c, "ListStreams", "{}", &resp, &status);
    cr_assert_null(e, "%s", e ? e->message : "");
    cr_assert_eq(status, 200);
    cr_assert_str_eq(resp, "{\"StreamNames\":[],\"HasMoreStreams\":false}");
    free(resp);
    cr_assert_eq(fs_count(s), 1);
    const fs_request *r = fs_get(s, 0);
    cr_assert(strncmp(r->head, "POST / HTTP/1.1\r\n", 17) == 0, "%s", r->head);
    cr_assert_str_eq(r->body, "{}");
    char b[512], host[64], date[64], target[64], ctype[64], auth[512];
    cr_assert_str_eq(hdr(s, 0, "X-Amz-Target", target, sizeof target), "Kinesis_20131202.ListStreams");
    cr_assert_str_eq(hdr(s, 0, "Content-Type", ctype, sizeof ctype), "application/x-amz-json-1.1");
    cr_assert_str_eq(hdr(s, 0, "Host", host, sizeof host), fs_url(s) + 7);
    cr_assert_eq(strlen(hdr(s, 0, "X-Amz-Date", date, sizeof date)), 16);
    cr_assert_null(hdr(s, 0, "X-Amz-Security-Token", b, sizeof b));
    cr_assert_not_null(hdr(s, 0, "User-Agent", b, sizeof b));
    cr_assert(strncmp(b, "libkinesis/", 11) == 0);
    hdr(s, 0, "Authorization", auth, sizeof auth);
    cr_assert(strstr(auth, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/") == auth, "%s", auth);
    cr_assert(strstr(auth, "/us-east-1/kinesis/aws4_request") != NULL, "%s", auth);
    /* The signature verifies: re-sign what the server received with the same secret and time. */
    sigv4_header hs[4] = {
        {"Host", host}, {"X-Amz-Date", date}, {"X-Amz-Target", target}, {"Content-Type", ctype}};
    sigv4_request rq = {"POST", "/", NULL, hs, 4, (const uint8_t *)r->body, r->body_len};
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    cr_assert_eq(sscanf(date, "%4d%2d%2dT%2d%2d%2dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                        &tm.tm_min, &tm.tm_sec),
                 6);
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    sigv4_params p = {"AKIDEXAMPLE",
                      "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                      NULL,
                      "us-east-1",
                      "kinesis",
                      (int64_t)timegm(&tm),
                      1,
                      0};
    sigv4_result sr;
    memset(&sr, 0, sizeof sr);
    cr_assert_eq(sigv4_sign(&rq, &p, &sr), 0);
    cr_assert_str_eq(sr.authorization, auth);
    sigv4_result_clean_up(&sr);
    kinesis_client_free(c);
    fs_stop(s);
}

Test(transport, session_token_is_sent_and_signed)
{
    fs_answer a[] = {{200, "{}", NULL}};
    fake_server *s = fs_start(a, 1);
    kinesis_client *c = client_for(s, NULL, "SESSIONTOKEN");
    cr_assert_null(kinesis_call(c, "ListStreams", NULL, NULL));
    char b[512];
    cr_assert_str_eq(hdr(s, 0, "X-Amz-Security-Token", b, sizeof b), "SESSIONTOKEN");
    hdr(s, 0, "Authorization", b, sizeof b);
    cr_assert(strstr(b, "x-amz-security-token") != NULL, "token not signed: %s", b);
    cr_assert_str_eq(fs_get(s, 0)->body, "{}");
    kinesis_client_free(c);
    fs_stop(s);
}

/* ------------------------------------------------------------------ error answers */

Test(transport, error_answer_fields)
{
    fs_answer a[] = {
        {400,
         "{\"__type\":\"com.amazonaws.kinesis.v20131202#ResourceNotFoundException\",\"message\":\"Stream "
         "nope under account 000000000000 not found.\"}",
         RID}};
    fake_server *s = fs_start(a, 1);
    kinesis_client *c = client_for(s, NULL, NULL);
    char *resp = (char *)"untouched";
    int status = 0;
    kinesis_error *e =
        kinesis_call_once(c, "DescribeStreamSummary", "{\"StreamName\":\"nope\"}", &resp, &status);
    cr_assert_not_null(e);
    cr_assert_null(resp);
    cr_assert_eq(status, 400);
    cr_assert_eq(e->type, KINESIS_ERROR_REQUEST_FAILED);
    cr_assert_str_eq(kinesis_error_type_name(e->type), "REQUEST_FAILED");
    cr_assert_str_eq(e->name, "ResourceNotFoundException");
    cr_assert_str_eq(e->message, "Stream nope under account 000000000000 not found.");
    cr_assert_eq(e->http_status, 400);
    cr_assert_str_eq(e->request_id, "rid-123");
    cr_assert_eq(e->attempts, 1);
    kinesis_error_free(e);
    kinesis_client_free(c);
    fs_stop(s);
}

Test(transport, call_once_never_retries)
{
    fs_answer a[] = {{500, "{\"__type\":\"InternalFailure\",\"message\":\"boom\"}", NULL}, {200, "{}", NULL}};
    fake_server *s = fs_start(a, 2);
    kinesis_client *c = client_for(s, NULL, NULL);
    int status = 0;
    kinesis_error *e = kinesis_call_once(c, "ListStreams", "{}", NULL, &status);
    cr_assert_not_null(e);
    cr_assert_str_eq(e->name, "InternalFailure");
    cr_assert_eq(status, 500);
    cr_assert_eq(e->attempts, 1);
    cr_assert_eq(fs_count(s), 1);
    kinesis_error_free(e);
    kinesis_client_free(c);
    fs_stop(s);
}

Test(transport, bad_operation_name_sends_nothing)
{
    fs_answer a[] = {{200, "{}", NULL}};
    fake_server *s = fs_start(a, 1);
    kinesis_client *c = client_for(s, NULL, NULL);
    const char *bad[] = {NULL, "", "List Streams", "X\r\nEvil: 1"};
    for (size_t i = 0; i < 4; i++) {
        kinesis_error *e = kinesis_call(c, bad[i], "{}", NULL);
        cr_assert_not_null(e);
        cr_assert_eq(e->type, KINESIS_ERROR_LIBRARY);
        cr_assert_str_eq(e->name, KINESIS_ERR_INVALID_PARAMETER);
        kinesis_error_free(e);
    }
    cr_assert_eq(fs_count(s), 0);
    kinesis_client_free(c);
    fs_stop(s);
}

/* ------------------------------------------------------------------ retries with a fake clock */

Test(transport, retries_throttling_and_5xx_with_jittered_delays)
{
    fs_answer a[] = {
        {400, "{\"__type\":\"ProvisionedThroughputExceededException\",\"message\":\"Rate exceeded\"}", NULL},
        {503, "", NULL},
        {200, "{\"ok\":1}", NULL}};
    fake_server *s = fs_start(a, 3);
    kinesis_retry_policy rp = {5, 100, 20000, 60000};
    kinesis_client *c = client_for(s, &rp, NULL);
    fake_clock fc = {0};
    kc_client_set_time_hooks(c, fake_now, fake_sleep, &fc);
    kc_client_set_rng_seed(c, 1234);
    char *resp = NULL;
    kinesis_error *e = kinesis_call(c, "ListStreams", "{}", &resp);
    cr_assert_null(e, "%s", e ? e->message : "");
    cr_assert_str_eq(resp, "{\"ok\":1}");
    free(resp);
    cr_assert_eq(fs_count(s), 3);
    uint64_t rng = 1234;
    int64_t d1 = kinesis_retry_delay_ms(&rp, 1, &rng), d2 = kinesis_retry_delay_ms(&rp, 2, &rng);
    int64_t slept = 0;
    for (int i = 0; i < fc.n_sleeps; i++)
        slept += fc.sleeps[i];
    cr_assert_eq(slept, d1 + d2, "slept %lld, policy says %lld + %lld", (long long)slept, (long long)d1,
                 (long long)d2);
    cr_assert_eq(fc.now, d1 + d2);
    kinesis_client_free(c);
    fs_stop(s);
}

Test(transport, retries_are_bounded_by_attempts)
{
    fs_answer a[] = {{500, "{\"__type\":\"InternalFailure\",\"message\":\"boom\"}", RID}};
    fake_server *s = fs_start(a, 1);
    kinesis_retry_policy rp = {3, 100, 20000, 60000};
    kinesis_client *c = client_for(s, &rp, NULL);
    fake_clock fc = {0};
    kc_client_set_time_hooks(c, fake_now, fake_sleep, &fc);
    kinesis_error *e = kinesis_call(c, "ListStreams", "{}", NULL);
    cr_assert_not_null(e);
    cr_assert_eq(e->attempts, 3);
    cr_assert_eq(e->http_status, 500);
    cr_assert_str_eq(e->request_id, "rid-123");
    cr_assert_eq(fs_count(s), 3);
    kinesis_error_free(e);
    kinesis_client_free(c);
    fs_stop(s);
}

Test(transport, retries_are_bounded_by_total_delay)
{
    fs_answer a[] = {{500, "", NULL}};
    fake_server *s = fs_start(a, 1);
    kinesis_retry_policy rp = {10, 10000, 20000, 1};
    kinesis_client *c = client_for(s, &rp, NULL);
    fake_clock fc = {0};
    kc_client_set_time_hooks(c, fake_now, fake_sleep, &fc);
    kc_client_set_rng_seed(c, 99);
    uint64_t rng = 99;
    cr_assert_gt(kinesis_retry_delay_ms(&rp, 1, &rng), 1,
                 "precondition: the seed's first delay exceeds the budget");
    kinesis_error *e = kinesis_call(c, "ListStreams", "{}", NULL);
    cr_assert_not_null(e);
    cr_assert_eq(e->attempts, 1);
    cr_assert_eq(fs_count(s), 1);
    kinesis_error_free(e);
    kinesis_client_free(c);
    fs_stop(s);
}

Test(transport, no_retry_for_validation_or_not_found)
{
    fs_answer a[] = {
        {400, "{\"__type\":\"ValidationException\",\"message\":\"1 validation error detected\"}", NULL},
        {400, "{\"__type\":\"ResourceNotFoundException\",\"message\":\"no\"}", NULL}};
    fake_server *s = fs_start(a, 2);
    kinesis_client *c = client_for(s, NULL, NULL);
    fake_clock fc = {0};
    kc_client_set_time_hooks(c, fake_now, fake_sleep, &fc);
    kinesis_error *e = kinesis_call(c, "ListStreams", "{}", NULL);
    cr_assert_str_eq(e->name, "ValidationException");
    cr_assert_eq(e->attempts, 1);
    kinesis_error_free(e);
    e = kinesis_call(c, "ListStreams", "{}", NULL);
    cr_assert_str_eq(e->name, "ResourceNotFoundException");
    cr_assert_eq(e->attempts, 1);
    kinesis_error_free(e);
    cr_assert_eq(fs_count(s), 2);
    cr_assert_eq(fc.n_sleeps, 0);
    kinesis_client_free(c);
    fs_stop(s);
}

Test(transport, dropped_connection_is_retried)
{
    fs_answer a[] = {{0, NULL, NULL},
                     {200, "{\"ShardId\":\"shardId-000000000000\",\"SequenceNumber\":\"1\"}", NULL}};
    fake_server *s = fs_start(a, 2);
    kinesis_client *c = client_for(s, NULL, NULL);
    fake_clock fc = {0};
    kc_client_set_time_hooks(c, fake_now, fake_sleep, &fc);
    kinesis_record r = {"x", 1, "pk", NULL, NULL};
    kinesis_put_record_result *res = NULL;
    kinesis_error *e = kinesis_put_record(c, "s", &r, &res);
    cr_assert_null(e, "%s", e ? e->message : "");
    cr_assert_str_eq(res->sequence_number, "1");
    cr_assert_eq(fs_count(s), 2);
    kinesis_put_record_result_free(res);
    kinesis_client_free(c);
    fs_stop(s);
}

Test(transport, connection_refused_is_a_transport_error)
{
    kinesis_retry_policy rp = {2, 1, 1, 10};
    kinesis_client *c = client_for(NULL, &rp, NULL); /* port 9 on loopback: nothing listens */
    kinesis_error *e = kinesis_call(c, "ListStreams", "{}", NULL);
    cr_assert_not_null(e);
    cr_assert_eq(e->type, KINESIS_ERROR_LIBRARY);
    cr_assert_str_eq(e->name, KINESIS_ERR_TRANSPORT);
    cr_assert_eq(e->http_status, 0);
    cr_assert_eq(e->attempts, 2);
    kinesis_error_free(e);
    kinesis_client_free(c);
}

/* ------------------------------------------------------------------ typed calls */

Test(transport, malformed_success_answer_is_unexpected_response)
{
    fs_answer a[] = {{200, "{\"ShardId\":", RID}, {200, "<html/>", NULL}};
    fake_server *s = fs_start(a, 2);
    kinesis_client *c = client_for(s, NULL, NULL);
    kinesis_record r = {"x", 1, "pk", NULL, NULL};
    kinesis_put_record_result *res = (kinesis_put_record_result *)1;
    kinesis_error *e = kinesis_put_record(c, "s", &r, &res);
    cr_assert_not_null(e);
    cr_assert_null(res);
    cr_assert_eq(e->type, KINESIS_ERROR_UNEXPECTED_RESPONSE);
    cr_assert_eq(e->http_status, 200);
    cr_assert_str_eq(e->request_id, "rid-123");
    kinesis_error_free(e);
    char *it = NULL;
    e = kinesis_get_shard_iterator(c, "s", "shardId-000000000000", KINESIS_ITERATOR_LATEST, NULL, &it);
    cr_assert_eq(e->type, KINESIS_ERROR_UNEXPECTED_RESPONSE);
    cr_assert_null(it);
    kinesis_error_free(e);
    kinesis_client_free(c);
    fs_stop(s);
}

Test(transport, argument_errors_send_nothing)
{
    fs_answer a[] = {{200, "{}", NULL}};
    fake_server *s = fs_start(a, 1);
    kinesis_client *c = client_for(s, NULL, NULL);
    kinesis_record nopk = {"x", 1, "", NULL, NULL};
    kinesis_put_record_result *res = NULL;
    kinesis_error *e = kinesis_put_record(c, "s", &nopk, &res);
    cr_assert_eq(e->type, KINESIS_ERROR_LIBRARY);
    cr_assert_eq(e->http_status, 0);
    kinesis_error_free(e);
    kinesis_put_records_result *prs = NULL;
    e = kinesis_put_records(c, "s", NULL, 0, NULL, &prs);
    cr_assert_eq(e->type, KINESIS_ERROR_LIBRARY);
    kinesis_error_free(e);
    char *it = NULL;
    e = kinesis_get_shard_iterator(c, "s", "", KINESIS_ITERATOR_TRIM_HORIZON, NULL, &it);
    cr_assert_eq(e->type, KINESIS_ERROR_LIBRARY);
    kinesis_error_free(e);
    kinesis_get_records_result *gr = NULL;
    e = kinesis_get_records(c, NULL, 10, &gr);
    cr_assert_eq(e->type, KINESIS_ERROR_LIBRARY);
    kinesis_error_free(e);
    e = kinesis_create_stream(c, "", 1);
    cr_assert_eq(e->type, KINESIS_ERROR_LIBRARY);
    kinesis_error_free(e);
    kinesis_shard_list *sl = NULL;
    e = kinesis_get_shards(c, NULL, &sl);
    cr_assert_eq(e->type, KINESIS_ERROR_LIBRARY);
    kinesis_error_free(e);
    e = kinesis_put_record(NULL, "s", &nopk, &res);
    cr_assert_eq(e->type, KINESIS_ERROR_LIBRARY);
    kinesis_error_free(e);
    cr_assert_eq(fs_count(s), 0);
    kinesis_client_free(c);
    fs_stop(s);
}

Test(transport, put_records_resends_only_failed_entries)
{
    fs_answer a[] = {{200,
                      "{\"FailedRecordCount\":2,\"Records\":[{\"ShardId\":\"shardId-000000000000\","
                      "\"SequenceNumber\":\"1\"},"
                      "{\"ErrorCode\":\"ProvisionedThroughputExceededException\",\"ErrorMessage\":\"Rate "
                      "exceeded for shard\"},"
                      "{\"ErrorCode\":\"InternalFailure\",\"ErrorMessage\":\"Internal Service Failure\"}]}",
                      NULL},
                     {200,
                      "{\"FailedRecordCount\":1,\"Records\":[{\"ShardId\":\"shardId-000000000001\","
                      "\"SequenceNumber\":\"2\"},"
                      "{\"ErrorCode\":\"InternalFailure\",\"ErrorMessage\":\"Internal Service Failure\"}]}",
                      NULL},
                     {200,
                      "{\"FailedRecordCount\":0,\"Records\":[{\"ShardId\":\"shardId-000000000001\","
                      "\"SequenceNumber\":\"3\"}]}",
                      NULL}};
    fake_server *s = fs_start(a, 3);
    kinesis_client *c = client_for(s, NULL, NULL);
    fake_clock fc = {0};
    kc_client_set_time_hooks(c, fake_now, fake_sleep, &fc);
    /* full jitter may draw a 0 ms delay, which sleeps not at all: a fixed seed keeps the count of
     * backoffs below repeatable */
    kc_client_set_rng_seed(c, 7);
    kinesis_record rs[3] = {
        {"a", 1, "ka", NULL, NULL}, {"b", 1, "kb", NULL, NULL}, {"c", 1, "kc", NULL, NULL}};
    kinesis_put_records_options po = {1};
    kinesis_put_records_result *r = NULL;
    kinesis_error *e = kinesis_put_records(c, "s", rs, 3, &po, &r);
    cr_assert_null(e, "%s", e ? e->message : "");
    cr_assert_eq(r->count, 3);
    cr_assert_eq(r->failed_count, 0);
    cr_assert_eq(r->attempts, 3);
    cr_assert_str_eq(r->results[0].sequence_number, "1");
    cr_assert_str_eq(r->results[1].sequence_number, "2");
    cr_assert_str_eq(r->results[2].sequence_number, "3");
    cr_assert_eq(fs_count(s), 3);
    json_t *j2 = json_loads(fs_get(s, 1)->body, 0, NULL);
    json_t *recs = json_object_get(j2, "Records");
    cr_assert_eq(json_array_size(recs), 2);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(recs, 0), "PartitionKey")), "kb");
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(recs, 1), "PartitionKey")), "kc");
    json_decref(j2);
    json_t *j3 = json_loads(fs_get(s, 2)->body, 0, NULL);
    cr_assert_eq(json_array_size(json_object_get(j3, "Records")), 1);
    cr_assert_str_eq(
        json_string_value(json_object_get(json_array_get(json_object_get(j3, "Records"), 0), "PartitionKey")),
        "kc");
    json_decref(j3);
    cr_assert_eq(fc.n_sleeps, 2, "a backoff before each re-send");
    kinesis_put_records_result_free(r);
    kinesis_client_free(c);
    fs_stop(s);
}

Test(transport, put_records_partial_failure_without_resend)
{
    fs_answer a[] = {
        {200,
         "{\"FailedRecordCount\":1,\"Records\":[{\"ErrorCode\":\"ProvisionedThroughputExceededException\","
         "\"ErrorMessage\":\"Rate exceeded\"},{\"ShardId\":\"shardId-000000000000\",\"SequenceNumber\":"
         "\"7\"}]}",
         NULL}};
    fake_server *s = fs_start(a, 1);
    kinesis_client *c = client_for(s, NULL, NULL);
    kinesis_record rs[2] = {{"a", 1, "ka", NULL, NULL}, {"b", 1, "kb", NULL, NULL}};
    kinesis_put_records_result *r = NULL;
    kinesis_error *e = kinesis_put_records(c, "s", rs, 2, NULL, &r);
    cr_assert_null(e);
    cr_assert_eq(r->failed_count, 1);
    cr_assert_str_eq(r->results[0].error_code, "ProvisionedThroughputExceededException");
    cr_assert_str_eq(r->results[0].error_message, "Rate exceeded");
    cr_assert_null(r->results[0].sequence_number);
    cr_assert_str_eq(r->results[1].sequence_number, "7");
    cr_assert_eq(fs_count(s), 1);
    kinesis_put_records_result_free(r);
    kinesis_client_free(c);
    fs_stop(s);
}

Test(transport, get_shards_follows_next_token)
{
    fs_answer a[] = {
        {200,
         "{\"NextToken\":\"page2\",\"Shards\":[{\"ShardId\":\"shardId-000000000000\",\"HashKeyRange\":{"
         "\"StartingHashKey\":\"0\",\"EndingHashKey\":\"1\"},\"SequenceNumberRange\":{"
         "\"StartingSequenceNumber\":\"1\"}}]}",
         NULL},
        {200,
         "{\"Shards\":[{\"ShardId\":\"shardId-000000000001\",\"HashKeyRange\":{\"StartingHashKey\":\"2\","
         "\"EndingHashKey\":\"3\"},\"SequenceNumberRange\":{\"StartingSequenceNumber\":\"1\"}}]}",
         NULL}};
    fake_server *s = fs_start(a, 2);
    kinesis_client *c = client_for(s, NULL, NULL);
    kinesis_shard_list *l = NULL;
    kinesis_error *e = kinesis_get_shards(c, "s", &l);
    cr_assert_null(e, "%s", e ? e->message : "");
    cr_assert_eq(l->count, 2);
    cr_assert_str_eq(l->shards[1].shard_id, "shardId-000000000001");
    cr_assert_str_eq(fs_get(s, 0)->body, "{\"StreamName\":\"s\"}");
    cr_assert_str_eq(fs_get(s, 1)->body, "{\"NextToken\":\"page2\"}");
    char b[64];
    cr_assert_str_eq(hdr(s, 1, "X-Amz-Target", b, sizeof b), "Kinesis_20131202.ListShards");
    kinesis_shard_list_free(l);
    kinesis_client_free(c);
    fs_stop(s);
}

Test(transport, waiter_polls_until_active_and_times_out)
{
#define SUMMARY(st)                                                                                          \
    "{\"StreamDescriptionSummary\":{\"StreamName\":\"s\",\"StreamARN\":\"arn\",\"StreamStatus\":\"" st "\"}" \
    "}"
    fs_answer a[] = {{200, SUMMARY("CREATING"), NULL},
                     {200, SUMMARY("CREATING"), NULL},
                     {200, SUMMARY("ACTIVE"), NULL},
                     {200, SUMMARY("UPDATING"), NULL}};
    fake_server *s = fs_start(a, 4);
    kinesis_client *c = client_for(s, NULL, NULL);
    fake_clock fc = {0};
    kc_client_set_time_hooks(c, fake_now, fake_sleep, &fc);
    cr_assert_null(kinesis_wait_for_stream_active(c, "s", 10000, 500));
    cr_assert_eq(fs_count(s), 3);
    cr_assert_eq(fc.now, 1000);
    kinesis_error *e = kinesis_wait_for_stream_active(c, "s", 2000, 500);
    cr_assert_not_null(e);
    cr_assert_str_eq(e->name, KINESIS_ERR_TIMEOUT);
    cr_assert_eq(fs_count(s), 3 + 5, "polls at +0, +500, ... +2000 ms, then gives up");
    cr_assert_eq(fc.now, 1000 + 2000);
    kinesis_error_free(e);
    kinesis_client_free(c);
    fs_stop(s);
}

Test(transport, connections_are_reused)
{
    fs_answer a[] = {{200, "{}", NULL}};
    fake_server *s = fs_start(a, 1);
    kinesis_client *c = client_for(s, NULL, NULL);
    for (int i = 0; i < 4; i++)
        cr_assert_null(kinesis_call(c, "ListStreams", "{}", NULL));
    cr_assert_eq(fs_count(s), 4);
    cr_assert_eq(fs_connections(s), 1);
    kinesis_client_free(c);
    fs_stop(s);
}

/* ------------------------------------------------------------------ asynchronous API */

typedef struct async_state {
    int calls;
    kinesis_error *err;
    char *seq;
} async_state;

static void on_put(kinesis_error *err, kinesis_put_record_result *res, void *user)
{
    async_state *st = user;
    st->calls++;
    st->err = err;
    if (res)
        st->seq = strdup(res->sequence_number);
    kinesis_put_record_result_free(res);
}

Test(transport, async_calls_complete_from_the_loop)
{
    fs_answer a[] = {{200, "{\"ShardId\":\"shardId-000000000000\",\"SequenceNumber\":\"42\"}", NULL}};
    fake_server *s = fs_start(a, 1);
    kinesis_client *c = client_for(s, NULL, NULL);
    async_state ok = {0}, bad = {0};
    kinesis_record r = {"x", 1, "pk", NULL, NULL}, nopk = {"x", 1, NULL, NULL, NULL};
    cr_assert_eq(kinesis_put_record_async(c, "s", &r, on_put, &ok), 0);
    cr_assert_eq(kinesis_put_record_async(c, "s", &nopk, on_put, &bad), 0);
    cr_assert_eq(bad.calls, 0, "argument errors are delivered from the loop, not from the call");
    cr_assert_eq(kinesis_client_pending(c), 2);
    for (int i = 0; i < 200 && kinesis_client_pending(c) > 0; i++) {
        fd_set rd, wr, ex;
        FD_ZERO(&rd);
        FD_ZERO(&wr);
        FD_ZERO(&ex);
        int max_fd = -1;
        cr_assert_eq(kinesis_client_fdset(c, &rd, &wr, &ex, &max_fd), 0);
        cr_assert_geq(kinesis_client_timeout_ms(c), 0);
        kinesis_client_run(c, 50);
    }
    cr_assert_eq(kinesis_client_pending(c), 0);
    cr_assert_eq(kinesis_client_timeout_ms(c), -1);
    cr_assert_eq(ok.calls, 1);
    cr_assert_null(ok.err);
    cr_assert_str_eq(ok.seq, "42");
    cr_assert_eq(bad.calls, 1);
    cr_assert_eq(bad.err->type, KINESIS_ERROR_LIBRARY);
    kinesis_error_free(bad.err);
    free(ok.seq);
    cr_assert_eq(kinesis_put_record_async(c, "s", &r, NULL, NULL), -1, "no callback: nothing queued");
    kinesis_client_free(c);
    fs_stop(s);
}

Test(transport, freeing_a_client_with_pending_calls)
{
    fs_answer a[] = {{200, "{}", NULL}};
    fake_server *s = fs_start(a, 1);
    kinesis_client *c = client_for(s, NULL, NULL);
    async_state st = {0};
    kinesis_record r = {"x", 1, "pk", NULL, NULL};
    cr_assert_eq(kinesis_put_record_async(c, "s", &r, on_put, &st), 0);
    fd_set rd, wr, ex;
    FD_ZERO(&rd);
    FD_ZERO(&wr);
    FD_ZERO(&ex);
    int max_fd = -1;
    cr_assert_eq(kinesis_client_fdset(c, &rd, &wr, &ex, &max_fd), 0);   /* starts the first transfer */
    cr_assert_eq(kinesis_put_record_async(c, "s", &r, on_put, &st), 0); /* still waiting to start */
    cr_assert_eq(kinesis_client_pending(c), 2 - st.calls);
    int calls = st.calls;
    kinesis_client_free(c); /* frees in-flight and waiting calls: no callback, no leak (valgrind/ASan) */
    cr_assert_eq(st.calls, calls);
    fs_stop(s);
}

/* PutRecords beyond Kinesis's limits (500 records, 5 MiB of data and partition keys) fails here,
 * naming the limit, before anything is sent; exactly at the limits the request goes out. */
static void put_records_done(kinesis_error *err, kinesis_put_records_result *r, void *user)
{
    *(kinesis_error **)user = err ? err : (kinesis_error *)1;
    kinesis_put_records_result_free(r);
}

Test(transport, put_records_limits_are_checked_locally)
{
    char ok5[512] = "{\"FailedRecordCount\":0,\"Records\":[";
    for (int i = 0; i < 5; i++)
        strcat(ok5, i ? ",{\"ShardId\":\"shardId-000000000000\",\"SequenceNumber\":\"1\"}"
                      : "{\"ShardId\":\"shardId-000000000000\",\"SequenceNumber\":\"1\"}");
    strcat(ok5, "]}");
    fs_answer a[] = {{200, ok5, NULL}};
    fake_server *s = fs_start(a, 1);
    kinesis_client *c = client_for(s, NULL, NULL);
    static kinesis_record many[KINESIS_PUT_RECORDS_MAX_RECORDS + 1];
    for (size_t i = 0; i < sizeof many / sizeof *many; i++)
        many[i] = (kinesis_record){"x", 1, "k", NULL, NULL};
    kinesis_put_records_result *r = NULL;
    kinesis_error *e = kinesis_put_records(c, "s", many, 501, NULL, &r);
    cr_assert_not_null(e);
    cr_assert_eq(e->type, KINESIS_ERROR_LIBRARY);
    cr_assert_str_eq(e->name, KINESIS_ERR_INVALID_PARAMETER);
    cr_assert(strstr(e->message, "at most 500 records") != NULL, "%s", e->message);
    cr_assert_null(r);
    kinesis_error_free(e);

    size_t mib = 1024 * 1024;
    char *big = malloc(mib);
    cr_assert_not_null(big);
    memset(big, 'a', mib);
    kinesis_record five[6];
    for (int i = 0; i < 6; i++) /* 1 MiB - 1 bytes of data + a 1-byte key: 1 MiB each */
        five[i] = (kinesis_record){big, mib - 1, "k", NULL, NULL};
    e = kinesis_put_records(c, "s", five, 6, NULL, &r);
    cr_assert_not_null(e, "6 MiB must be refused");
    cr_assert_str_eq(e->name, KINESIS_ERR_INVALID_PARAMETER);
    cr_assert(strstr(e->message, "5 MiB") != NULL, "%s", e->message);
    kinesis_error_free(e);
    five[5].data_len = 0; /* one more byte than 5 MiB: data 0 + key 1 */
    e = kinesis_put_records(c, "s", five, 6, NULL, &r);
    cr_assert_not_null(e, "5 MiB + 1 byte must be refused");
    kinesis_error_free(e);

    kinesis_error *async_err = NULL;
    cr_assert_eq(kinesis_put_records_async(c, "s", many, 501, NULL, put_records_done, &async_err), 0);
    for (int i = 0; i < 100 && !async_err; i++)
        kinesis_client_run(c, 10);
    cr_assert_not_null(async_err);
    cr_assert_neq(async_err, (kinesis_error *)1, "the asynchronous form checks the limit too");
    cr_assert_str_eq(async_err->name, KINESIS_ERR_INVALID_PARAMETER);
    kinesis_error_free(async_err);
    cr_assert_eq(fs_count(s), 0, "nothing was sent");

    e = kinesis_put_records(c, "s", five, 5, NULL, &r); /* exactly 5 MiB */
    cr_assert_null(e, "%s", e ? e->message : "");
    cr_assert_eq(r->count, 5);
    kinesis_put_records_result_free(r);
    cr_assert_eq(fs_count(s), 1);
    free(big);
    kinesis_client_free(c);
    fs_stop(s);
}
