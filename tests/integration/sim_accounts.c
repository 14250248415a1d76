/* sim_accounts.c: integration tests of accounts and regions against a running kinesis-sim at
 * $KINESIS_SIM_ENDPOINT: the access key picks the account (a 12-digit access key is the account
 * id, any other key the default --account-id) and the credential scope's region picks the
 * region. The same stream name in two accounts and two regions is four separate streams, each
 * ARN names its own account and region, and deleting one leaves the others alone. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "testlib.h"

#define ACCOUNT_A "111111111111"
#define ACCOUNT_B "222222222222"

/* One operation signed (in form) with access key `key` and credential scope region `region`. */
static json_t *acall(const char *key, const char *region, const char *op, const char *body, long *status)
{
    char target[128], auth[512], date[64], amz[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(amz, sizeof amz, "%Y%m%dT%H%M%SZ", &tm);
    snprintf(target, sizeof target, "X-Amz-Target: Kinesis_20131202.%s", op);
    snprintf(date, sizeof date, "X-Amz-Date: %s", amz);
    snprintf(auth, sizeof auth,
             "Authorization: AWS4-HMAC-SHA256 Credential=%s/%.8s/%s/kinesis/aws4_request, "
             "SignedHeaders=host;x-amz-date, Signature=%064d",
             key, amz, region, 0);
    const char *h[] = {"Content-Type: application/x-amz-json-1.1", target, date, auth, NULL};
    tl_response r;
    cr_assert_eq(tl_raw("POST", "/", h, body, strlen(body), &r), 0, "%s: transport failed (curl %d)", op,
                 r.curl_code);
    *status = r.status;
    /* an operation without output answers 200 with an empty body (the API reference) */
    json_t *j = r.status == 200 && r.body_len == 0 ? json_object() : json_loadb(r.body, r.body_len, 0, NULL);
    cr_assert_not_null(j, "%s: answer is not JSON: %s", op, r.body);
    tl_response_free(&r);
    return j;
}

static json_t *acall_ok(const char *key, const char *region, const char *op, const char *body)
{
    long status = 0;
    json_t *j = acall(key, region, op, body, &status);
    cr_assert_eq(status, 200, "%s as %s in %s: %ld %s %s", op, key, region, status, tl_error_type(j),
                 tl_error_message(j));
    return j;
}

static json_t *summary(const char *key, const char *region, const char *name, long *status)
{
    char body[256];
    snprintf(body, sizeof body, "{\"StreamName\":\"%s\"}", name);
    return acall(key, region, "DescribeStreamSummary", body, status);
}

static int wait_active(const char *key, const char *region, const char *name)
{
    for (int i = 0; i < 200; i++) {
        long st = 0;
        json_t *j = summary(key, region, name, &st);
        const char *s = json_string_value(
            json_object_get(json_object_get(j, "StreamDescriptionSummary"), "StreamStatus"));
        int active = st == 200 && s && strcmp(s, "ACTIVE") == 0;
        json_decref(j);
        if (active)
            return 0;
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return -1;
}

typedef struct where {
    const char *key, *region, *account;
    int shards;
} where;

Test(sim_accounts, same_name_in_two_accounts_and_two_regions_is_four_streams)
{
    char name[64], body[256];
    tl_unique_name("acct", name, sizeof name);
    const where w[] = {{ACCOUNT_A, "us-east-1", ACCOUNT_A, 1},
                       {ACCOUNT_A, "eu-west-1", ACCOUNT_A, 2},
                       {ACCOUNT_B, "us-east-1", ACCOUNT_B, 3},
                       {ACCOUNT_B, "eu-west-1", ACCOUNT_B, 4}};
    const size_t n = sizeof w / sizeof w[0];

    /* before: nobody has it */
    for (size_t i = 0; i < n; i++) {
        long st = 0;
        json_t *j = summary(w[i].key, w[i].region, name, &st);
        cr_assert_eq(st, 400);
        cr_assert_str_eq(tl_error_type(j), "ResourceNotFoundException");
        char want[256];
        snprintf(want, sizeof want, "Stream %s under account %s not found.", name, w[i].account);
        cr_assert_str_eq(tl_error_message(j), want);
        json_decref(j);
    }
    /* create the same name four times: no ResourceInUseException */
    for (size_t i = 0; i < n; i++) {
        snprintf(body, sizeof body, "{\"StreamName\":\"%s\",\"ShardCount\":%d}", name, w[i].shards);
        json_decref(acall_ok(w[i].key, w[i].region, "CreateStream", body));
    }
    for (size_t i = 0; i < n; i++) {
        cr_assert_eq(wait_active(w[i].key, w[i].region, name), 0, "not ACTIVE as %s in %s", w[i].key,
                     w[i].region);
        long st = 0;
        json_t *j = summary(w[i].key, w[i].region, name, &st);
        json_t *s = json_object_get(j, "StreamDescriptionSummary");
        char arn[256];
        snprintf(arn, sizeof arn, "arn:aws:kinesis:%s:%s:stream/%s", w[i].region, w[i].account, name);
        cr_assert_str_eq(json_string_value(json_object_get(s, "StreamARN")), arn);
        cr_assert_eq(json_integer_value(json_object_get(s, "OpenShardCount")), w[i].shards,
                     "as %s in %s: the shard count of another account's or region's stream", w[i].key,
                     w[i].region);
        json_decref(j);
    }
    /* records stay in their stream */
    snprintf(body, sizeof body, "{\"StreamName\":\"%s\",\"Data\":\"QQ==\",\"PartitionKey\":\"k\"}", name);
    json_decref(acall_ok(ACCOUNT_B, "eu-west-1", "PutRecord", body));
    snprintf(
        body, sizeof body,
        "{\"StreamName\":\"%s\",\"ShardId\":\"shardId-000000000000\",\"ShardIteratorType\":\"TRIM_HORIZON\"}",
        name);
    json_t *it = acall_ok(ACCOUNT_A, "us-east-1", "GetShardIterator", body);
    char gr[1024];
    snprintf(gr, sizeof gr, "{\"ShardIterator\":\"%s\"}",
             json_string_value(json_object_get(it, "ShardIterator")));
    json_decref(it);
    json_t *recs = acall_ok(ACCOUNT_A, "us-east-1", "GetRecords", gr);
    cr_assert_eq(json_array_size(json_object_get(recs, "Records")), 0, "a record of another account leaked");
    json_decref(recs);
    /* an iterator is bound to its account and region */
    long st = 0;
    json_t *j = acall(ACCOUNT_B, "us-east-1", "GetRecords", gr, &st);
    cr_assert_eq(st, 400, "an iterator of account A was accepted from account B: %s", tl_error_type(j));
    json_decref(j);

    /* delete one: the other three are untouched */
    snprintf(body, sizeof body, "{\"StreamName\":\"%s\"}", name);
    json_decref(acall_ok(ACCOUNT_A, "eu-west-1", "DeleteStream", body));
    for (size_t i = 0; i < n; i++) {
        if (i == 1)
            continue;
        j = summary(w[i].key, w[i].region, name, &st);
        cr_assert_eq(st, 200, "as %s in %s: %s", w[i].key, w[i].region, tl_error_type(j));
        cr_assert_str_eq(json_string_value(
                             json_object_get(json_object_get(j, "StreamDescriptionSummary"), "StreamStatus")),
                         "ACTIVE");
        json_decref(j);
    }
    for (size_t i = 0; i < n; i++)
        if (i != 1)
            json_decref(acall_ok(w[i].key, w[i].region, "DeleteStream", body));
}

Test(sim_accounts, other_keys_use_the_default_account)
{
    char name[64], body[256];
    tl_unique_name("acct-default", name, sizeof name);
    snprintf(body, sizeof body, "{\"StreamName\":\"%s\",\"ShardCount\":1}", name);
    json_decref(acall_ok("AKIDSOMEBODY", "ap-southeast-2", "CreateStream", body));
    cr_assert_eq(wait_active("AKIDSOMEBODY", "ap-southeast-2", name), 0);
    long st = 0;
    json_t *j = summary("AKIDSOMEBODYELSE", "ap-southeast-2", name, &st);
    cr_assert_eq(st, 200, "keys that are not account ids share the default account: %s", tl_error_type(j));
    const char *arn =
        json_string_value(json_object_get(json_object_get(j, "StreamDescriptionSummary"), "StreamARN"));
    char want[256];
    snprintf(want, sizeof want, "arn:aws:kinesis:ap-southeast-2:000000000000:stream/%s", name);
    cr_assert_str_eq(arn, want);
    json_decref(j);
    /* ListStreams in another region does not list it */
    json_t *l = acall_ok("AKIDSOMEBODY", "ca-central-1", "ListStreams", "{}");
    json_t *names = json_object_get(l, "StreamNames");
    for (size_t i = 0; i < json_array_size(names); i++)
        cr_assert_str_neq(json_string_value(json_array_get(names, i)), name);
    json_decref(l);
    snprintf(body, sizeof body, "{\"StreamName\":\"%s\"}", name);
    json_decref(acall_ok("AKIDSOMEBODY", "ap-southeast-2", "DeleteStream", body));
}
