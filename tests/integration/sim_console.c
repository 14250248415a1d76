/* sim_console.c: the console's JSON endpoints and its port (issue 18; README "The console"), without
 * a browser (the browser test is ci/ui/console-test.js, `make test-ui`).
 *   - on the shared simulator ($KINESIS_SIM_ENDPOINT): GET /_sim/streams (shards, lineage after a
 *     split, counts), GET /_sim/records (pages, positions, sequence numbers, errors), the stats
 *     window counting a PutRecords, and /_sim/ui/ refused on the Kinesis port;
 *   - on simulators of their own ($KINESIS_SIM_BIN with --console-port 0): the page and its
 *     headers, the control API through the console port, Kinesis calls refused there, a foreign
 *     Host refused, the control token, throttled writes in the window, and that with throttling off
 *     nothing is counted until a page asks (the request path pays nothing while nobody watches). */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "shared/base64.h"
#include "shared/http_exchange.h"
#include "testlib.h"

/* ---- a request to any URL (the console port is not $KINESIS_SIM_ENDPOINT) ---- */

typedef hx_response answer;

static answer http(const char *method, const char *url, const char *const *headers, const char *body)
{
    hx_request rq = {.method = method,
                     .url = url,
                     .headers = headers,
                     .body = body,
                     .body_len = body ? strlen(body) : 0,
                     .no_proxy = 1};
    answer a;
    hx_perform(NULL, &rq, &a);
    return a;
}

static void answer_free(answer *a)
{
    hx_response_clean_up(a);
}

/* An operation call on a simulator of our own, signed as tl_call signs (a well-formed fake SigV4). */
static answer kinesis_on(const char *base, const char *op, const char *body)
{
    char url[512], target[160], date[64], amz_date[32], auth[512];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(amz_date, sizeof amz_date, "%Y%m%dT%H%M%SZ", &tm);
    snprintf(url, sizeof url, "%s/", base);
    snprintf(target, sizeof target, "X-Amz-Target: Kinesis_20131202.%s", op);
    snprintf(date, sizeof date, "X-Amz-Date: %s", amz_date);
    snprintf(auth, sizeof auth,
             "Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/%.8s/us-east-1/kinesis/aws4_request, "
             "SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=%064d",
             amz_date, 0);
    const char *hdr[] = {"Content-Type: application/x-amz-json-1.1", target, date, auth, NULL};
    return http("POST", url, hdr, body);
}

/* GET base+path as JSON (asserting 200). */
static json_t *get_json(const char *base, const char *path)
{
    char url[1024];
    snprintf(url, sizeof url, "%s%s", base, path);
    answer a = http("GET", url, NULL, NULL);
    cr_assert_eq(a.status, 200, "GET %s: %ld %s", path, a.status, a.body);
    json_t *j = json_loads(a.body, 0, NULL);
    cr_assert_not_null(j, "GET %s: not JSON: %s", path, a.body);
    answer_free(&a);
    return j;
}

/* ---- helpers over the shared simulator ---- */

static void create_stream(const char *name, int shards)
{
    char body[256];
    long status = 0;
    snprintf(body, sizeof body, "{\"StreamName\":\"%s\",\"ShardCount\":%d}", name, shards);
    cr_assert_eq(tl_call("CreateStream", body, &status, NULL), 0);
    cr_assert_eq(status, 200, "CreateStream %s", name);
    cr_assert_eq(tl_wait_stream_status(name, "ACTIVE", 10000), 0, "%s never became ACTIVE", name);
}

/* PutRecords of n records "r0".."r<n-1>" routed by ExplicitHashKey hash; answers the FailedRecordCount. */
static int put_records(const char *base, const char *stream, int n, const char *hash)
{
    json_t *recs = json_array();
    for (int i = 0; i < n; i++) {
        char data[32];
        snprintf(data, sizeof data, "r%d", i);
        char *b64 = b64_encode((const uint8_t *)data, strlen(data), NULL);
        json_array_append_new(
            recs, json_pack("{s:s, s:s, s:s}", "Data", b64, "PartitionKey", "k", "ExplicitHashKey", hash));
        free(b64);
    }
    json_t *in = json_pack("{s:s, s:o}", "StreamName", stream, "Records", recs);
    long status = 0;
    json_t *out = NULL;
    if (!base) {
        out = tl_call_json("PutRecords", in, &status);
    } else { /* a simulator of our own */
        char *body = json_dumps(in, JSON_COMPACT);
        answer a = kinesis_on(base, "PutRecords", body);
        status = a.status;
        out = json_loads(a.body, 0, NULL);
        cr_assert_eq(status, 200, "PutRecords: %s", a.body);
        answer_free(&a);
        free(body);
    }
    json_decref(in);
    cr_assert_eq(status, 200, "PutRecords on %s", stream);
    int failed = (int)json_integer_value(json_object_get(out, "FailedRecordCount"));
    json_decref(out);
    return failed;
}

static json_t *find_stream(json_t *streams, const char *name)
{
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(streams, "streams"), i,
                       s) if (strcmp(json_string_value(json_object_get(s, "name")), name) == 0) return s;
    return NULL;
}

static json_t *find_shard_stats(json_t *stats, const char *stream, const char *shard_id)
{
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(stats, "shards"), i, s)
    {
        if (strcmp(json_string_value(json_object_get(s, "stream")), stream) == 0 &&
            strcmp(json_string_value(json_object_get(s, "shard_id")), shard_id) == 0)
            return s;
    }
    return NULL;
}

static long long sum_series(const json_t *shard, const char *name)
{
    long long total = 0;
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(shard, name), i, v) total += json_integer_value(v);
    return total;
}

/* ---- on the shared simulator ---- */

Test(console, streams_show_shards_and_lineage)
{
    char name[96];
    tl_unique_name("console-lineage", name, sizeof name);
    create_stream(name, 2);
    char body[512];
    long status = 0;
    snprintf(body, sizeof body,
             "{\"StreamName\":\"%s\",\"ShardToSplit\":\"shardId-000000000000\","
             "\"NewStartingHashKey\":\"85070591730234615865843651857942052864\"}",
             name);
    cr_assert_eq(tl_call("SplitShard", body, &status, NULL), 0);
    cr_assert_eq(status, 200);
    /* the children exist once UPDATING ends (docs/aws-behaviour.md) */
    cr_assert_eq(tl_wait_stream_status(name, "ACTIVE", 10000), 0, "%s never became ACTIVE again", name);

    json_t *all = get_json(tl_endpoint(), "/_sim/streams");
    json_t *s = find_stream(all, name);
    cr_assert_not_null(s, "%s is not in /_sim/streams", name);
    cr_assert_str_eq(json_string_value(json_object_get(s, "account_id")), "000000000000");
    cr_assert_str_eq(json_string_value(json_object_get(s, "region")), "us-east-1");
    cr_assert_str_eq(json_string_value(json_object_get(s, "mode")), "PROVISIONED");
    cr_assert_eq(json_integer_value(json_object_get(s, "open_shards")), 3);
    cr_assert_eq(json_integer_value(json_object_get(s, "closed_shards")), 1);
    json_t *shards = json_object_get(s, "shards");
    cr_assert_eq(json_array_size(shards), 4);
    json_t *parent = json_array_get(shards, 0), *child = json_array_get(shards, 3);
    cr_assert_str_eq(json_string_value(json_object_get(parent, "start_hash")), "0");
    cr_assert(json_is_integer(json_object_get(parent, "closed_ms")), "the split parent is closed");
    cr_assert(json_is_null(json_object_get(parent, "parent")));
    cr_assert_str_eq(json_string_value(json_object_get(child, "shard_id")), "shardId-000000000003");
    cr_assert_str_eq(json_string_value(json_object_get(child, "parent")), "shardId-000000000000");
    cr_assert_str_eq(json_string_value(json_object_get(child, "start_hash")),
                     "85070591730234615865843651857942052864");
    cr_assert(json_is_null(json_object_get(child, "closed_ms")));
    json_decref(all);
}

Test(console, records_pages_from_every_start)
{
    char name[96], path[512];
    tl_unique_name("console-peek", name, sizeof name);
    create_stream(name, 1);
    cr_assert_eq(put_records(NULL, name, 3, "0"), 0);

    snprintf(path, sizeof path, "/_sim/records?stream=%s&shard=shardId-000000000000&limit=2", name);
    json_t *p1 = get_json(tl_endpoint(), path);
    json_t *recs = json_object_get(p1, "records");
    cr_assert_eq(json_array_size(recs), 2);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(recs, 0), "data")),
                     "cjA=", "base64 of r0");
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(recs, 0), "partition_key")), "k");
    cr_assert(json_is_true(json_object_get(p1, "more")));
    char first_seq[80];
    snprintf(first_seq, sizeof first_seq, "%s",
             json_string_value(json_object_get(json_array_get(recs, 0), "sequence_number")));
    long long next = json_integer_value(json_object_get(p1, "next_position"));

    snprintf(path, sizeof path, "/_sim/records?stream=%s&shard=0&position=%lld", name, next);
    json_t *p2 = get_json(tl_endpoint(), path);
    cr_assert_eq(json_array_size(json_object_get(p2, "records")), 1);
    cr_assert_str_eq(
        json_string_value(json_object_get(json_array_get(json_object_get(p2, "records"), 0), "data")),
        "cjI=", "base64 of r2");
    cr_assert(json_is_false(json_object_get(p2, "more")));

    snprintf(path, sizeof path,
             "/_sim/records?stream=%s&shard=shardId-000000000000&from=after_sequence&sequence=%s", name,
             first_seq);
    json_t *p3 = get_json(tl_endpoint(), path);
    cr_assert_eq(json_array_size(json_object_get(p3, "records")), 2, "after the first: the other two");

    snprintf(path, sizeof path, "/_sim/records?stream=%s&shard=shardId-000000000000&from=latest", name);
    json_t *p4 = get_json(tl_endpoint(), path);
    cr_assert_eq(json_array_size(json_object_get(p4, "records")), 0);

    char url[1024];
    snprintf(url, sizeof url, "%s/_sim/records?stream=%s&shard=shardId-000000000000&from=sideways",
             tl_endpoint(), name);
    answer bad = http("GET", url, NULL, NULL);
    cr_assert_eq(bad.status, 400, "%s", bad.body);
    answer_free(&bad);
    snprintf(url, sizeof url, "%s/_sim/records?stream=%s-none&shard=shardId-000000000000", tl_endpoint(),
             name);
    answer missing = http("GET", url, NULL, NULL);
    cr_assert_eq(missing.status, 404, "%s", missing.body);
    cr_assert(strstr(missing.body, "ResourceNotFoundException"));
    answer_free(&missing);
    json_decref(p1);
    json_decref(p2);
    json_decref(p3);
    json_decref(p4);
}

Test(console, stats_window_counts_a_put)
{
    char name[96], path[128];
    tl_unique_name("console-stats", name, sizeof name);
    create_stream(name, 2);
    json_t *before = get_json(tl_endpoint(), "/_sim/stats");
    long long since = json_integer_value(json_object_get(before, "now_ms"));
    cr_assert(json_is_object(json_object_get(before, "limits")));
    cr_assert(json_real_value(json_object_get(json_object_get(before, "limits"), "write_records_per_s")) > 0);
    json_decref(before);
    cr_assert_eq(put_records(NULL, name, 5, "340282366920938463463374607431768211455"), 0);
    tl_sleep_ms(300); /* past the smallest sampling interval */
    snprintf(path, sizeof path, "/_sim/stats?since=%lld", since - 1);
    json_t *after = get_json(tl_endpoint(), path);
    json_t *sh = find_shard_stats(after, name, "shardId-000000000001");
    cr_assert_not_null(sh, "shard 1 of %s is not in the window", name);
    cr_assert_eq(sum_series(sh, "records_in"), 5, "the window holds the 5 records");
    cr_assert_eq(sum_series(sh, "bytes_in"), 5 * 3, "data + partition key bytes");
    cr_assert_eq(json_integer_value(json_object_get(json_object_get(sh, "totals"), "records_in")), 5);
    cr_assert_eq(json_array_size(json_object_get(sh, "records_in")),
                 json_array_size(json_object_get(after, "t")));
    cr_assert_null(find_shard_stats(after, name, "shardId-000000000000"), "shard 0 saw nothing");
    json_decref(after);

    char url[512];
    snprintf(url, sizeof url, "%s/_sim/stats?since=yesterday", tl_endpoint());
    answer bad = http("GET", url, NULL, NULL);
    cr_assert_eq(bad.status, 400, "%s", bad.body);
    answer_free(&bad);
}

Test(console, page_not_on_the_kinesis_port)
{
    char url[512];
    snprintf(url, sizeof url, "%s/_sim/ui/", tl_endpoint());
    answer a = http("GET", url, NULL, NULL);
    cr_assert_eq(a.status, 404);
    cr_assert(strstr(a.body, "--console-port"), "%s", a.body);
    answer_free(&a);
}

/* ---- simulators of their own, with the console port ---- */

static tl_sim own;
static char own_api[128], own_ui[128];

/* A simulator of our own with the console on (tl_sim.c), and the URL of its console port. */
static void start_own(const char *const *extra)
{
    const char *args[24];
    size_t n = 0;
    const char *fixed[] = {
        "--console-port", "0", "--db", ":memory:", "--create-delay-ms", "0", "--log-level", "error"};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        args[n++] = fixed[i];
    for (size_t i = 0; extra && extra[i] && n + 1 < sizeof args / sizeof args[0]; i++)
        args[n++] = extra[i];
    args[n] = NULL;
    tl_sim_options o = {.args = args};
    cr_assert_eq(tl_sim_start(&own, &o), 0, "kinesis-sim did not start: %s", own.printed);
    snprintf(own_api, sizeof own_api, "%s", own.url);
    /* the console line follows the listening line */
    char text[4096];
    snprintf(text, sizeof text, "%s", own.printed);
    int64_t deadline = tl_now_ms() + 10000;
    const char *c;
    while (!((c = strstr(text, "console on http://")) && strstr(c, "/_sim/ui/\n")) &&
           tl_now_ms() < deadline) {
        size_t used = strlen(text);
        if (used + 1 >= sizeof text)
            break;
        tl_sim_read(&own, text + used, sizeof text - used, 200);
    }
    c = strstr(text, "console on http://");
    const char *end = c ? strstr(c, "/_sim/ui/\n") : NULL;
    cr_assert(end, "no console line: %s", text);
    snprintf(own_ui, sizeof own_ui, "%.*s", (int)(end - c - 11), c + 11);
}

static void stop_own(void)
{
    if (own.pid > 0)
        cr_expect_eq(tl_sim_stop(&own), 0, "kinesis-sim exits cleanly with the console open");
}

static void create_on(const char *base, const char *name, int shards)
{
    char body[256];
    snprintf(body, sizeof body, "{\"StreamName\":\"%s\",\"ShardCount\":%d}", name, shards);
    answer a = kinesis_on(base, "CreateStream", body);
    cr_assert_eq(a.status, 200, "CreateStream: %s", a.body);
    answer_free(&a);
}

Test(console_port, serves_the_page_and_the_control_api_only, .fini = stop_own)
{
    start_own(NULL);
    char url[512];
    snprintf(url, sizeof url, "%s/", own_ui);
    answer root = http("GET", url, NULL, NULL);
    cr_assert_eq(root.status, 302);
    cr_assert(strstr(root.headers, "Location: /_sim/ui/"), "%s", root.headers);
    answer_free(&root);

    static const struct {
        const char *file, *type, *needle;
    } files[] = {{"", "text/html", "<title>kinesis-sim console</title>"},
                 {"app.js", "text/javascript", "/_sim/stats"},
                 {"style.css", "text/css", "--bg"}};
    for (size_t i = 0; i < 3; i++) {
        snprintf(url, sizeof url, "%s/_sim/ui/%s", own_ui, files[i].file);
        answer f = http("GET", url, NULL, NULL);
        cr_assert_eq(f.status, 200, "%s", url);
        cr_assert(strstr(f.headers, files[i].type), "%s: %s", url, f.headers);
        cr_assert(strstr(f.headers, "Content-Security-Policy: default-src 'none'"), "%s", f.headers);
        cr_assert(strstr(f.body, files[i].needle), "%s lacks %s", url, files[i].needle);
        answer_free(&f);
    }
    snprintf(url, sizeof url, "%s/_sim/ui/missing.js", own_ui);
    answer nf = http("GET", url, NULL, NULL);
    cr_assert_eq(nf.status, 404);
    answer_free(&nf);

    create_on(own_api, "seen", 1);
    json_t *s = get_json(own_ui, "/_sim/streams");
    cr_assert_not_null(find_stream(s, "seen"), "the console port reads the same simulator");
    json_decref(s);

    /* Kinesis calls belong to the main port */
    snprintf(url, sizeof url, "%s/", own_ui);
    const char *hdr[] = {"Content-Type: application/x-amz-json-1.1",
                         "X-Amz-Target: Kinesis_20131202.ListStreams", NULL};
    answer k = http("POST", url, hdr, "{}");
    cr_assert_eq(k.status, 404, "%s", k.body);
    answer_free(&k);

    /* a page served under another name (DNS rebinding) is refused */
    snprintf(url, sizeof url, "%s/_sim/streams", own_ui);
    const char *evil[] = {"Host: attacker.example", NULL};
    answer e = http("GET", url, evil, NULL);
    cr_assert_eq(e.status, 403, "%s", e.body);
    answer_free(&e);
    const char *local[] = {"Host: localhost:1", NULL};
    answer l = http("GET", url, local, NULL);
    cr_assert_eq(l.status, 200, "%s", l.body);
    answer_free(&l);

    /* the clock's offset from real time */
    snprintf(url, sizeof url, "%s/_sim/clock", own_ui);
    answer adv = http("POST", url, NULL, "{\"advance_ms\": 301000}");
    cr_assert_eq(adv.status, 200, "%s", adv.body);
    json_t *c = json_loads(adv.body, 0, NULL);
    long long off = json_integer_value(json_object_get(c, "offset_ms"));
    cr_assert(off >= 300900 && off <= 302000, "offset_ms %lld after advancing 301 s", off);
    json_decref(c);
    answer_free(&adv);
}

Test(console_port, control_token_applies, .fini = stop_own)
{
    const char *extra[] = {"--control-token", "s3cret-token", NULL};
    start_own(extra);
    char url[512];
    snprintf(url, sizeof url, "%s/_sim/streams", own_ui);
    answer no = http("GET", url, NULL, NULL);
    cr_assert_eq(no.status, 403, "%s", no.body);
    cr_assert(strstr(no.body, "X-Sim-Control-Token"), "%s", no.body);
    answer_free(&no);
    const char *tok[] = {"X-Sim-Control-Token: s3cret-token", NULL};
    answer yes = http("GET", url, tok, NULL);
    cr_assert_eq(yes.status, 200, "%s", yes.body);
    answer_free(&yes);
    /* the page itself holds no data: it loads, then asks for the token */
    snprintf(url, sizeof url, "%s/_sim/ui/", own_ui);
    answer page = http("GET", url, NULL, NULL);
    cr_assert_eq(page.status, 200);
    answer_free(&page);
}

Test(console_port, throttled_writes_in_the_window, .fini = stop_own)
{
    const char *extra[] = {"--throttle-scale", "0.01", "--control-limits", "off", NULL};
    start_own(extra);
    create_on(own_api, "hot", 1);
    json_t *first = get_json(own_ui, "/_sim/stats");
    json_decref(first);
    int failed = put_records(own_api, "hot", 30, "0"); /* 10 records/s per shard */
    cr_assert_gt(failed, 0);
    tl_sleep_ms(300);
    json_t *st = get_json(own_ui, "/_sim/stats");
    json_t *sh = find_shard_stats(st, "hot", "shardId-000000000000");
    cr_assert_not_null(sh);
    cr_assert_eq(sum_series(sh, "throttled_write"), failed, "every refused entry is counted");
    cr_assert_eq(sum_series(sh, "records_in"), 30 - failed);
    cr_assert(json_real_value(json_object_get(json_object_get(st, "limits"), "write_records_per_s")) < 10.01);
    json_decref(st);
}

Test(console_port, nothing_counted_while_nobody_watches, .fini = stop_own)
{
    const char *extra[] = {"--throttle", "off", NULL};
    start_own(extra);
    create_on(own_api, "cold", 1);
    cr_assert_eq(put_records(own_api, "cold", 4, "0"), 0);
    json_t *first = get_json(own_ui, "/_sim/stats");
    cr_assert_null(find_shard_stats(first, "cold", "shardId-000000000000"),
                   "with throttling off and no page open, the writes were not counted");
    json_decref(first);
    cr_assert_eq(put_records(own_api, "cold", 3, "0"), 0); /* a page is watching now */
    tl_sleep_ms(300);
    json_t *st = get_json(own_ui, "/_sim/stats");
    json_t *sh = find_shard_stats(st, "cold", "shardId-000000000000");
    cr_assert_not_null(sh, "counted once a page asked");
    cr_assert_eq(sum_series(sh, "records_in"), 3);
    json_decref(st);
}
