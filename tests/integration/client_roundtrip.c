/* client_roundtrip.c: libkinesis against a running simulator at $KINESIS_SIM_ENDPOINT (the tests
 * skip when it is unset): create streams, put single and batched records, read them back
 * byte-for-byte from every shard with every iterator type, list shards with pagination, the
 * asynchronous API, and errors as values (ResourceNotFound as REQUEST_FAILED with name, status and
 * request id). Each test uses its own stream names (prefix + pid + counter) and deletes them. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kinesis/kinesis.h"

#define MAX_STREAMS 4

static kinesis_client *client;
static char streams[MAX_STREAMS][64];
static int n_streams;

static void setup(void)
{
    const char *ep = getenv("KINESIS_SIM_ENDPOINT");
    if (!ep || !*ep)
        cr_skip_test("KINESIS_SIM_ENDPOINT is not set");
    kinesis_client_options o = {.endpoint = ep,
                                .region = "us-east-1",
                                .access_key_id = "AKIDCLIENTTEST",
                                .secret_access_key = "client-test-secret",
                                .request_timeout_ms = 10000};
    kinesis_error *err = NULL;
    client = kinesis_client_new(&o, &err);
    cr_assert_not_null(client, "%s", err ? err->message : "");
}

static void teardown(void)
{
    for (int i = 0; client && i < n_streams; i++)
        kinesis_error_free(kinesis_delete_stream(client, streams[i]));
    n_streams = 0;
    kinesis_client_free(client);
    client = NULL;
}

TestSuite(client, .init = setup, .fini = teardown, .timeout = 60);

static const char *new_stream(int shards)
{
    static int counter;
    cr_assert_lt(n_streams, MAX_STREAMS);
    char *name = streams[n_streams++];
    snprintf(name, 64, "h5-client-%d-%d-%ld", (int)getpid(), counter++, (long)time(NULL) % 100000);
    kinesis_error *err = kinesis_create_stream(client, name, shards);
    cr_assert_null(err, "CreateStream: %s: %s", err ? err->name : "", err ? err->message : "");
    err = kinesis_wait_for_stream_active(client, name, 30000, 100);
    cr_assert_null(err, "waiting for ACTIVE: %s: %s", err ? err->name : "", err ? err->message : "");
    return name;
}

#define ASSERT_OK(expr)                                                                                      \
    do {                                                                                                     \
        kinesis_error *e_ = (expr);                                                                          \
        cr_assert_null(e_, "%s: %s: %s", #expr, e_ ? e_->name : "", e_ ? e_->message : "");                  \
    } while (0)

typedef struct written {
    char seq[128];
    char shard[64];
    uint8_t data[64];
    size_t len;
    int seen;
} written;

/* Read every shard from TRIM_HORIZON until a batch comes back empty; match records to `w`. */
static size_t read_back(const char *stream, written *w, size_t n)
{
    kinesis_shard_list *shards = NULL;
    ASSERT_OK(kinesis_get_shards(client, stream, &shards));
    size_t matched = 0;
    for (size_t s = 0; s < shards->count; s++) {
        char *it = NULL;
        ASSERT_OK(kinesis_get_shard_iterator(client, stream, shards->shards[s].shard_id,
                                             KINESIS_ITERATOR_TRIM_HORIZON, NULL, &it));
        for (int round = 0; round < 50 && it; round++) {
            kinesis_get_records_result *r = NULL;
            ASSERT_OK(kinesis_get_records(client, it, 25, &r));
            free(it);
            it = r->next_shard_iterator ? strdup(r->next_shard_iterator) : NULL;
            for (size_t i = 0; i < r->count; i++) {
                const kinesis_read_record *rec = &r->records[i];
                size_t k = 0;
                while (k < n && strcmp(w[k].seq, rec->sequence_number) != 0)
                    k++;
                cr_assert_lt(k, n, "unexpected record %s", rec->sequence_number);
                cr_assert_str_eq(w[k].shard, shards->shards[s].shard_id);
                cr_assert_eq(rec->data_len, w[k].len);
                cr_assert_eq(memcmp(rec->data, w[k].data, w[k].len), 0, "record %s differs",
                             rec->sequence_number);
                cr_assert_gt(rec->arrival_ms, 0);
                cr_assert_eq(w[k].seen, 0);
                w[k].seen = 1;
                matched++;
            }
            int empty = r->count == 0;
            kinesis_get_records_result_free(r);
            if (empty)
                break;
        }
        free(it);
    }
    kinesis_shard_list_free(shards);
    return matched;
}

Test(client, put_and_read_back_every_shard_byte_for_byte)
{
    const char *s = new_stream(3);
    written w[41];
    memset(w, 0, sizeof w);
    /* one PutRecord with binary data (zero bytes, high bytes) */
    for (size_t i = 0; i < 16; i++)
        w[0].data[i] = (uint8_t)(i * 37);
    w[0].data[3] = 0;
    w[0].len = 16;
    kinesis_record r0 = {w[0].data, w[0].len, "first-key", NULL, NULL};
    kinesis_put_record_result *pr = NULL;
    ASSERT_OK(kinesis_put_record(client, s, &r0, &pr));
    snprintf(w[0].seq, sizeof w[0].seq, "%s", pr->sequence_number);
    snprintf(w[0].shard, sizeof w[0].shard, "%s", pr->shard_id);
    kinesis_put_record_result_free(pr);
    /* a batch of 40 with varied keys, so every shard gets some */
    kinesis_record batch[40];
    char keys[40][32];
    for (size_t i = 0; i < 40; i++) {
        written *x = &w[i + 1];
        x->len = 1 + i % 50;
        for (size_t j = 0; j < x->len; j++)
            x->data[j] = (uint8_t)(i * 7 + j);
        snprintf(keys[i], sizeof keys[i], "key-%zu", i);
        batch[i] = (kinesis_record){x->data, x->len, keys[i], NULL, NULL};
    }
    kinesis_put_records_options po = {1};
    kinesis_put_records_result *prs = NULL;
    ASSERT_OK(kinesis_put_records(client, s, batch, 40, &po, &prs));
    cr_assert_eq(prs->count, 40);
    cr_assert_eq(prs->failed_count, 0);
    for (size_t i = 0; i < 40; i++) {
        cr_assert_not_null(prs->results[i].sequence_number);
        snprintf(w[i + 1].seq, sizeof w[i + 1].seq, "%s", prs->results[i].sequence_number);
        snprintf(w[i + 1].shard, sizeof w[i + 1].shard, "%s", prs->results[i].shard_id);
    }
    kinesis_put_records_result_free(prs);
    cr_assert_eq(read_back(s, w, 41), 41);
}

Test(client, iterator_types)
{
    const char *s = new_stream(1);
    const char *sh = "shardId-000000000000";
    char *latest = NULL;
    ASSERT_OK(kinesis_get_shard_iterator(client, s, sh, KINESIS_ITERATOR_LATEST, NULL, &latest));
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t before_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 - 1000;
    char seqs[3][128];
    for (int i = 0; i < 3; i++) {
        char data[16];
        snprintf(data, sizeof data, "r%d", i);
        kinesis_record r = {data, strlen(data), "k", NULL, i ? seqs[i - 1] : NULL};
        kinesis_put_record_result *pr = NULL;
        ASSERT_OK(kinesis_put_record(client, s, &r, &pr));
        snprintf(seqs[i], sizeof seqs[i], "%s", pr->sequence_number);
        kinesis_put_record_result_free(pr);
    }
    struct {
        kinesis_iterator_type t;
        kinesis_iterator_options o;
        const char *first;
    } cases[] = {{KINESIS_ITERATOR_AT_SEQUENCE_NUMBER, {seqs[1], 0}, "r1"},
                 {KINESIS_ITERATOR_AFTER_SEQUENCE_NUMBER, {seqs[1], 0}, "r2"},
                 {KINESIS_ITERATOR_AT_TIMESTAMP, {NULL, before_ms}, "r0"},
                 {KINESIS_ITERATOR_TRIM_HORIZON, {NULL, 0}, "r0"}};
    for (size_t i = 0; i < 4; i++) {
        char *it = NULL;
        ASSERT_OK(kinesis_get_shard_iterator(client, s, sh, cases[i].t, &cases[i].o, &it));
        kinesis_get_records_result *r = NULL;
        ASSERT_OK(kinesis_get_records(client, it, 10, &r));
        cr_assert_gt(r->count, 0, "%s", kinesis_iterator_type_name(cases[i].t));
        cr_assert_str_eq((char *)r->records[0].data, cases[i].first, "%s",
                         kinesis_iterator_type_name(cases[i].t));
        cr_assert_not_null(r->next_shard_iterator);
        kinesis_get_records_result_free(r);
        free(it);
    }
    kinesis_get_records_result *r = NULL;
    ASSERT_OK(kinesis_get_records(client, latest, 10, &r));
    cr_assert_eq(r->count, 3, "LATEST taken before the puts sees all three");
    kinesis_get_records_result_free(r);
    free(latest);
}

Test(client, list_shards_with_pagination)
{
    const char *s = new_stream(5);
    kinesis_shard_list *l = NULL;
    ASSERT_OK(kinesis_get_shards(client, s, &l));
    cr_assert_eq(l->count, 5);
    kinesis_shard_list_free(l);
    /* page by hand through the generic call with MaxResults 2 */
    char body[256];
    snprintf(body, sizeof body, "{\"StreamName\":\"%s\",\"MaxResults\":2}", s);
    size_t total = 0;
    int pages = 0;
    for (; pages < 10; pages++) {
        char *resp = NULL;
        ASSERT_OK(kinesis_call(client, "ListShards", body, &resp));
        json_t *j = json_loads(resp, 0, NULL);
        free(resp);
        cr_assert_not_null(j);
        size_t n = json_array_size(json_object_get(j, "Shards"));
        cr_assert_leq(n, 2);
        total += n;
        const char *tok = json_string_value(json_object_get(j, "NextToken"));
        if (!tok || total >= 5) {
            json_decref(j);
            break;
        }
        snprintf(body, sizeof body, "{\"NextToken\":\"%s\",\"MaxResults\":2}", tok);
        json_decref(j);
    }
    cr_assert_eq(total, 5);
    cr_assert_geq(pages, 2);
}

Test(client, errors_are_values)
{
    char missing[64];
    snprintf(missing, sizeof missing, "h5-missing-%d", (int)getpid());
    kinesis_stream_summary *sum = NULL;
    kinesis_error *e = kinesis_describe_stream_summary(client, missing, &sum);
    cr_assert_not_null(e);
    cr_assert_null(sum);
    cr_assert_eq(e->type, KINESIS_ERROR_REQUEST_FAILED);
    cr_assert_str_eq(e->name, "ResourceNotFoundException");
    cr_assert_eq(e->http_status, 400);
    cr_assert_not_null(e->request_id);
    cr_assert_eq(e->attempts, 1, "not found is never retried");
    kinesis_error_free(e);

    kinesis_record r = {"x", 1, "k", NULL, NULL};
    kinesis_put_record_result *pr = NULL;
    e = kinesis_put_record(client, missing, &r, &pr);
    cr_assert_not_null(e);
    cr_assert_str_eq(e->name, "ResourceNotFoundException");
    kinesis_error_free(e);

    char *resp = NULL;
    int status = 0;
    e = kinesis_call_once(client, "ListStreams", "{\"Limit\":0}", &resp, &status);
    cr_assert_not_null(e);
    cr_assert_str_eq(e->name, "ValidationException");
    cr_assert_eq(status, 400);
    cr_assert_null(resp);
    kinesis_error_free(e);

    e = kinesis_call_once(client, "NoSuchOperation", "{}", &resp, &status);
    cr_assert_not_null(e);
    cr_assert_eq(e->type, KINESIS_ERROR_REQUEST_FAILED);
    cr_assert_eq(status, 400);
    kinesis_error_free(e);
}

typedef struct async_result {
    int done;
    kinesis_error *err;
    size_t count;
} async_result;

static void on_batch(kinesis_error *err, kinesis_put_records_result *r, void *user)
{
    async_result *a = user;
    a->done = 1;
    a->err = err;
    a->count = r ? r->count - r->failed_count : 0;
    kinesis_put_records_result_free(r);
}

static void on_shards(kinesis_error *err, kinesis_shard_list *l, void *user)
{
    async_result *a = user;
    a->done = 1;
    a->err = err;
    a->count = l ? l->count : 0;
    kinesis_shard_list_free(l);
}

Test(client, asynchronous_calls_and_list_streams)
{
    const char *s = new_stream(2);
    kinesis_record rs[3] = {
        {"a", 1, "k1", NULL, NULL}, {"b", 1, "k2", NULL, NULL}, {"c", 1, "k3", NULL, NULL}};
    async_result put = {0}, shards = {0};
    cr_assert_eq(kinesis_put_records_async(client, s, rs, 3, NULL, on_batch, &put), 0);
    cr_assert_eq(kinesis_get_shards_async(client, s, on_shards, &shards), 0);
    for (int i = 0; i < 500 && (!put.done || !shards.done); i++)
        kinesis_client_run(client, 20);
    cr_assert(put.done && shards.done);
    ASSERT_OK(put.err);
    ASSERT_OK(shards.err);
    cr_assert_eq(put.count, 3);
    cr_assert_eq(shards.count, 2);
    kinesis_string_list *names = NULL;
    ASSERT_OK(kinesis_list_streams(client, &names));
    int found = 0;
    for (size_t i = 0; i < names->count; i++)
        if (strcmp(names->items[i], s) == 0)
            found = 1;
    cr_assert(found, "ListStreams lacks %s", s);
    kinesis_string_list_free(names);
}
