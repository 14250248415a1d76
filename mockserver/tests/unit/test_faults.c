/* test_faults.c: fault rules (faults.c): the JSON format and its error messages, matching,
 * triggers, determinism from the seed; and the effects as the simulation hooks apply them
 * (errors, status override, latency, dropped connections, truncated and malformed bodies,
 * PutRecords entry failures), with the metrics they feed. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "dispatch/router.h"
#include "ops_fixture.h"
#include "server/config.h"
#include "server/server.h"
#include "simulation/faults.h"
#include "simulation/simulation.h"

static json_t *flt_json(const char *text)
{
    json_error_t je;
    json_t *j = json_loads(text, 0, &je);
    cr_assert_not_null(j, "test JSON: %s", je.text);
    return j;
}

static uint64_t flt_add(sim_faults *f, const char *text)
{
    json_t *j = flt_json(text);
    char err[512] = "";
    uint64_t id = 0;
    cr_assert_eq(sim_faults_add(f, j, &id, err, sizeof err), 0, "%s", err);
    json_decref(j);
    return id;
}

static void flt_reject(const char *text, const char *expected_part)
{
    sim_faults *f = sim_faults_new(0);
    json_t *j = flt_json(text);
    char err[512] = "";
    cr_assert_eq(sim_faults_add(f, j, NULL, err, sizeof err), -1, "accepted: %s", text);
    cr_assert(strstr(err, expected_part) != NULL, "message '%s' lacks '%s'", err, expected_part);
    cr_assert_eq(sim_faults_count(f), 0);
    json_decref(j);
    sim_faults_free(f);
}

static size_t flt_eval(sim_faults *f, sim_fault_point pt, const char *op, const char *stream, int64_t shard,
                       const char *pk, sim_fault_fire *out)
{
    sim_fault_call c = {op, stream, shard, pk};
    sim_fault_fire tmp[8];
    size_t n = sim_faults_eval(f, pt, &c, out ? out : tmp, 8);
    return n;
}

/* ------------------------------------------------------------------ */
/* format                                                              */
/* ------------------------------------------------------------------ */

Test(faults_format, rejects_bad_rules_with_clear_messages)
{
    flt_reject("[]", "must be a JSON object");
    flt_reject("{}", "'effect' is required");
    flt_reject("{\"effect\": {}}", "needs one of");
    flt_reject("{\"effect\": {\"error\": \"NoSuchError\"}}", "must name a Kinesis error");
    flt_reject("{\"effect\": {\"error\": \"InternalFailure\", \"drop\": true}}", "only one of");
    flt_reject("{\"effect\": {\"entry_error\": \"ResourceNotFoundException\"}}",
               "ProvisionedThroughputExceededException or InternalFailure");
    flt_reject("{\"effect\": {\"drop\": \"sometimes\"}}", "'effect.drop' must be");
    flt_reject("{\"effect\": {\"latency_ms\": -5}}", "'effect.latency_ms'");
    flt_reject("{\"effect\": {\"latency_ms\": 10, \"status\": 500}}", "'effect.status' goes only");
    flt_reject("{\"effect\": {\"truncate\": -1}}", "'effect.truncate'");
    flt_reject("{\"effect\": {\"malform\": 1}}", "'effect.malform' must be true");
    flt_reject("{\"effect\": {\"error\": \"InternalFailure\", \"status\": 42}}", "HTTP status");
    flt_reject("{\"effect\": {\"drop\": true}, \"when\": {\"nth\": 0}}", "'when.nth'");
    flt_reject("{\"effect\": {\"drop\": true}, \"when\": {\"nth\": 2, \"every\": 3}}", "one trigger");
    flt_reject("{\"effect\": {\"drop\": true}, \"when\": {\"probability\": 1.5}}", "from 0 to 1");
    flt_reject("{\"effect\": {\"drop\": true}, \"when\": {\"from\": 5, \"to\": 2}}", "'when.to'");
    flt_reject("{\"effect\": {\"drop\": true}, \"when\": {\"sometimes\": 1}}",
               "unknown member 'when.sometimes'");
    flt_reject("{\"effect\": {\"drop\": true}, \"match\": {\"shard\": \"shard-one\"}}", "'match.shard'");
    flt_reject("{\"effect\": {\"drop\": true}, \"match\": {\"operations\": [1]}}", "operation names");
    flt_reject("{\"effect\": {\"drop\": true}, \"match\": {\"streams\": \"x\"}}",
               "unknown member 'match.streams'");
    flt_reject("{\"effect\": {\"drop\": true}, \"matches\": {}}", "unknown member 'matches'");
    flt_reject("{\"effect\": {\"drop\": true}, \"max_fires\": 0}", "'max_fires'");
}

Test(faults_format, document_forms_and_all_or_nothing)
{
    sim_faults *f = sim_faults_new(0);
    char err[512];
    json_t *one = flt_json("{\"effect\": {\"drop\": true}}");
    cr_assert_eq(sim_faults_add_document(f, one, err, sizeof err), 1);
    json_t *arr = flt_json("[{\"effect\": {\"drop\": true}}, {\"effect\": {\"malform\": true}}]");
    cr_assert_eq(sim_faults_add_document(f, arr, err, sizeof err), 2);
    json_t *obj = flt_json("{\"seed\": 42, \"rules\": [{\"effect\": {\"truncate\": 3}}]}");
    cr_assert_eq(sim_faults_add_document(f, obj, err, sizeof err), 1);
    cr_assert_eq(sim_faults_seed(f), 42);
    cr_assert_eq(sim_faults_count(f), 4);
    json_t *bad = flt_json("[{\"effect\": {\"drop\": true}}, {\"effect\": {\"nope\": 1}}]");
    cr_assert_eq(sim_faults_add_document(f, bad, err, sizeof err), -1);
    cr_assert(strncmp(err, "rule 2: ", 8) == 0, "%s", err);
    cr_assert_eq(sim_faults_count(f), 4, "nothing added from a bad document");
    json_decref(one);
    json_decref(arr);
    json_decref(obj);
    json_decref(bad);
    sim_faults_free(f);
}

Test(faults_format, listing_keeps_the_rule_and_counts)
{
    sim_faults *f = sim_faults_new(0);
    uint64_t id = flt_add(f, "{\"name\": \"boom\", \"match\": {\"operations\": [\"PutRecord\"]}, "
                             "\"effect\": {\"error\": \"InternalFailure\"}}");
    cr_assert_eq(id, 1);
    flt_eval(f, SIM_FAULT_POINT_REQUEST, "PutRecord", "s", -1, NULL, NULL);
    flt_eval(f, SIM_FAULT_POINT_REQUEST, "GetRecords", "s", -1, NULL, NULL);
    json_t *list = sim_faults_to_json(f);
    cr_assert_eq(json_array_size(list), 1);
    json_t *r = json_array_get(list, 0);
    cr_assert_eq(json_integer_value(json_object_get(r, "id")), 1);
    cr_assert_eq(json_integer_value(json_object_get(r, "calls")), 1);
    cr_assert_eq(json_integer_value(json_object_get(r, "fired")), 1);
    cr_assert_str_eq(json_string_value(json_object_get(r, "name")), "boom");
    /* a listing can be posted back: id/calls/fired are ignored */
    char err[256];
    cr_assert_eq(sim_faults_add(f, r, &id, err, sizeof err), 0, "%s", err);
    cr_assert_eq(id, 2);
    json_decref(list);
    cr_assert_eq(sim_faults_remove(f, 1), 0);
    cr_assert_eq(sim_faults_remove(f, 1), -1);
    cr_assert_eq(sim_faults_count(f), 1);
    sim_faults_clear(f);
    cr_assert_eq(sim_faults_count(f), 0);
    cr_assert_eq(sim_faults_fired_total(f), 1);
    sim_faults_free(f);
}

Test(faults_format, load_file_and_report_line)
{
    char path[] = "/tmp/h7-faults-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    FILE *fp = fdopen(fd, "w");
    fputs("{\"seed\": 7, \"rules\": [\n {\"effect\": {\"latency_ms\": 25}}\n]}\n", fp);
    fclose(fp);
    sim_faults *f = sim_faults_new(0);
    char err[512];
    cr_assert_eq(sim_faults_load_file(f, path, err, sizeof err), 1, "%s", err);
    cr_assert_eq(sim_faults_seed(f), 7);
    fp = fopen(path, "w");
    fputs("[\n {\"effect\": {\"latency_ms\": 25}},\n {oops}\n]\n", fp);
    fclose(fp);
    cr_assert_eq(sim_faults_load_file(f, path, err, sizeof err), -1);
    char expect[64];
    snprintf(expect, sizeof expect, "%s:3:", path);
    cr_assert(strncmp(err, expect, strlen(expect)) == 0, "%s", err);
    unlink(path);
    sim_faults_free(f);
}

/* ------------------------------------------------------------------ */
/* matching and triggers                                               */
/* ------------------------------------------------------------------ */

Test(faults_match, operations_stream_glob_shard_and_key)
{
    sim_faults *f = sim_faults_new(0);
    flt_add(f, "{\"match\": {\"operations\": [\"PutRecord\", \"PutRecords\"], \"stream\": \"orders-*\"},"
               " \"effect\": {\"error\": \"ServiceUnavailable\"}}");
    cr_assert_eq(flt_eval(f, SIM_FAULT_POINT_REQUEST, "PutRecord", "orders-eu", -1, NULL, NULL), 1);
    cr_assert_eq(flt_eval(f, SIM_FAULT_POINT_REQUEST, "PutRecords", "orders-us", -1, NULL, NULL), 1);
    cr_assert_eq(flt_eval(f, SIM_FAULT_POINT_REQUEST, "GetRecords", "orders-eu", -1, NULL, NULL), 0);
    cr_assert_eq(flt_eval(f, SIM_FAULT_POINT_REQUEST, "PutRecord", "payments", -1, NULL, NULL), 0);
    cr_assert_eq(flt_eval(f, SIM_FAULT_POINT_REQUEST, "PutRecord", NULL, -1, NULL, NULL), 0);
    cr_assert_eq(flt_eval(f, SIM_FAULT_POINT_SHARD, "PutRecord", "orders-eu", 0, NULL, NULL), 0,
                 "no shard filter: request point only");
    sim_faults_clear(f);

    flt_add(f, "{\"match\": {\"shard\": \"shardId-000000000002\"}, \"effect\": {\"latency_ms\": 5}}");
    cr_assert_eq(flt_eval(f, SIM_FAULT_POINT_REQUEST, "GetRecords", "s", 2, NULL, NULL), 0,
                 "shard filter: shard point only");
    cr_assert_eq(flt_eval(f, SIM_FAULT_POINT_SHARD, "GetRecords", "s", 2, NULL, NULL), 1);
    cr_assert_eq(flt_eval(f, SIM_FAULT_POINT_SHARD, "GetRecords", "s", 1, NULL, NULL), 0);
    sim_faults_clear(f);

    flt_add(f, "{\"match\": {\"partition_key\": \"user-1?\", \"operation\": \"*\"}, "
               "\"effect\": {\"entry_error\": \"InternalFailure\"}}");
    cr_assert_eq(flt_eval(f, SIM_FAULT_POINT_ENTRY, "PutRecords", "s", 0, "user-12", NULL), 1);
    cr_assert_eq(flt_eval(f, SIM_FAULT_POINT_ENTRY, "PutRecords", "s", 0, "user-123", NULL), 0);
    cr_assert_eq(flt_eval(f, SIM_FAULT_POINT_ENTRY, "PutRecords", "s", 0, NULL, NULL), 0);
    cr_assert_eq(flt_eval(f, SIM_FAULT_POINT_REQUEST, "PutRecords", "s", -1, "user-12", NULL), 0,
                 "entry_error: entry point only");
    sim_faults_free(f);
}

static void flt_pattern(const char *rule, const char *expected)
{
    sim_faults *f = sim_faults_new(0);
    flt_add(f, rule);
    char got[64];
    size_t n = strlen(expected);
    for (size_t i = 0; i < n; i++)
        got[i] = flt_eval(f, SIM_FAULT_POINT_REQUEST, "ListStreams", NULL, -1, NULL, NULL) ? 'x' : '.';
    got[n] = '\0';
    cr_assert_str_eq(got, expected, "rule %s", rule);
    sim_faults_free(f);
}

Test(faults_match, triggers)
{
    flt_pattern("{\"effect\": {\"drop\": true}}", "xxxxxx");
    flt_pattern("{\"when\": {\"nth\": 3}, \"effect\": {\"drop\": true}}", "..x.....");
    flt_pattern("{\"when\": {\"every\": 3}, \"effect\": {\"drop\": true}}", "..x..x..x");
    flt_pattern("{\"when\": {\"from\": 2, \"to\": 4}, \"effect\": {\"drop\": true}}", ".xxx....");
    flt_pattern("{\"when\": {\"from\": 3}, \"effect\": {\"drop\": true}}", "..xxxx");
    flt_pattern("{\"when\": {\"to\": 2}, \"effect\": {\"drop\": true}}", "xx....");
    flt_pattern("{\"when\": {\"every\": 2}, \"max_fires\": 2, \"effect\": {\"drop\": true}}", ".x.x....");
    flt_pattern("{\"when\": {\"probability\": 0}, \"effect\": {\"drop\": true}}", "..........");
    flt_pattern("{\"when\": {\"probability\": 1}, \"effect\": {\"drop\": true}}", "xxxxxxxxxx");
}

static void flt_sequence(uint64_t seed, char *out, size_t n)
{
    sim_faults *f = sim_faults_new(seed);
    flt_add(f, "{\"when\": {\"probability\": 0.5}, \"effect\": {\"error\": \"InternalFailure\"}}");
    flt_add(f, "{\"when\": {\"probability\": 0.5}, \"effect\": {\"latency_ms\": 3}}");
    for (size_t i = 0; i + 1 < n; i++) {
        sim_fault_fire ff[8];
        size_t k = flt_eval(f, SIM_FAULT_POINT_REQUEST, "PutRecord", "s", -1, NULL, ff);
        char c = '0';
        for (size_t j = 0; j < k; j++)
            c = (char)(c + (ff[j].rule_id == 1 ? 1 : 2));
        out[i] = c;
    }
    out[n - 1] = '\0';
    sim_faults_free(f);
}

Test(faults_match, same_seed_same_faults)
{
    char a[201], b[201], c[201];
    flt_sequence(12345, a, sizeof a);
    flt_sequence(12345, b, sizeof b);
    flt_sequence(12346, c, sizeof c);
    cr_assert_str_eq(a, b);
    cr_assert_str_neq(a, c, "another seed, another sequence");
    /* probability 0.5 over 200 calls: each rule fires a plausible number of times */
    int r1 = 0, r2 = 0;
    for (int i = 0; i < 200; i++) {
        r1 += (a[i] - '0') & 1;
        r2 += ((a[i] - '0') >> 1) & 1;
    }
    cr_assert(r1 > 60 && r1 < 140, "rule 1 fired %d/200", r1);
    cr_assert(r2 > 60 && r2 < 140, "rule 2 fired %d/200", r2);
    /* rules draw from their own generators: the sequences of the two rules differ */
    int same = 0;
    for (int i = 0; i < 200; i++)
        same += (((a[i] - '0') & 1) == (((a[i] - '0') >> 1) & 1));
    cr_assert(same < 180, "rule generators look identical (%d/200 equal)", same);
}

Test(faults_match, splitmix64_reference_values)
{
    /* first outputs of splitmix64 seeded with 0 (the published reference sequence) */
    uint64_t s = 0;
    cr_assert_eq(sim_splitmix64(&s), 0xE220A8397B1DCDAFULL);
    cr_assert_eq(sim_splitmix64(&s), 0x6E789E6AA1B965F4ULL);
    cr_assert_eq(sim_splitmix64(&s), 0x06C45D188009454FULL);
}

Test(faults_match, reseeding_restarts_counters_and_generators)
{
    sim_faults *f = sim_faults_new(5);
    flt_add(f, "{\"when\": {\"nth\": 2}, \"effect\": {\"drop\": true}}");
    cr_assert_eq(flt_eval(f, SIM_FAULT_POINT_REQUEST, "X", NULL, -1, NULL, NULL), 0);
    cr_assert_eq(flt_eval(f, SIM_FAULT_POINT_REQUEST, "X", NULL, -1, NULL, NULL), 1);
    sim_faults_set_seed(f, 6);
    cr_assert_eq(flt_eval(f, SIM_FAULT_POINT_REQUEST, "X", NULL, -1, NULL, NULL), 0);
    cr_assert_eq(flt_eval(f, SIM_FAULT_POINT_REQUEST, "X", NULL, -1, NULL, NULL), 1);
    sim_faults_free(f);
}

/* ------------------------------------------------------------------ */
/* effects through the hooks                                           */
/* ------------------------------------------------------------------ */

typedef struct {
    sim_server srv;
    sim_ctx ctx;
} flt_fixture;

static void flt_setup(flt_fixture *ff, const char *rules)
{
    memset(ff, 0, sizeof *ff);
    sim_config c;
    fx_config(&c, "222222222222");
    fx_server(&ff->srv, &c);
    char err[1024];
    json_t *doc = flt_json(rules);
    cr_assert(sim_faults_add_document(sim_simulation_faults(ff->srv.sim), doc, err, sizeof err) > 0, "%s",
              err);
    json_decref(doc);
    ff->ctx.srv = &ff->srv;
    snprintf(ff->ctx.account_id, sizeof ff->ctx.account_id, "222222222222");
    snprintf(ff->ctx.region, sizeof ff->ctx.region, "eu-west-1");
}

static void flt_request(flt_fixture *ff, const char *op, sim_response *resp)
{
    ff->ctx.op = op;
    ff->ctx.op_def = sim_router_lookup(op);
    ff->ctx.err_set = 0;
    ff->ctx.err_msg[0] = '\0';
    ff->ctx.now_ms = sim_clock_now_ms(ff->srv.clock);
    memset(resp, 0, sizeof *resp);
}

static void flt_teardown(flt_fixture *ff)
{
    sim_server_clean_up(&ff->srv);
}

static void flt_body(sim_response *resp, const char *text)
{
    resp->status = 200;
    resp->body_len = strlen(text);
    resp->body = (uint8_t *)strdup(text);
}

Test(faults_effects, error_with_default_message_and_status_override)
{
    flt_fixture ff;
    flt_setup(&ff, "[{\"match\": {\"operations\": [\"DescribeStream\"]}, \"when\": {\"nth\": 1},"
                   "  \"effect\": {\"error\": \"InternalFailure\"}},"
                   " {\"match\": {\"operations\": [\"ListShards\"]},"
                   "  \"effect\": {\"error\": \"ExpiredIteratorException\", \"message\": \"custom\","
                   "              \"status\": 429}}]");
    sim_response resp;
    json_t *in = json_pack("{s:s}", "StreamName", "s1");
    flt_request(&ff, "DescribeStream", &resp);
    cr_assert_eq(sim_sim_before_op(&ff.ctx, in, &resp), SIM_HOOK_ERROR);
    cr_assert_eq(ff.ctx.err, SIM_ERR_InternalFailure);
    cr_assert_str_eq(ff.ctx.err_msg, "Internal Service Failure");
    resp.status = 500; /* what the router would answer */
    sim_sim_after_op(&ff.ctx, &resp);
    cr_assert_eq(resp.status, 500);
    flt_request(&ff, "DescribeStream", &resp);
    cr_assert_eq(sim_sim_before_op(&ff.ctx, in, &resp), SIM_HOOK_PROCEED, "nth 1 fired once");
    resp.status = 200;
    sim_sim_after_op(&ff.ctx, &resp);

    flt_request(&ff, "ListShards", &resp);
    cr_assert_eq(sim_sim_before_op(&ff.ctx, in, &resp), SIM_HOOK_ERROR);
    cr_assert_eq(ff.ctx.err, SIM_ERR_ExpiredIteratorException);
    cr_assert_str_eq(ff.ctx.err_msg, "custom");
    resp.status = 400;
    sim_sim_after_op(&ff.ctx, &resp);
    cr_assert_eq(resp.status, 429, "status override applied to the fault's answer");
    json_decref(in);

    sim_metrics *m = sim_simulation_metrics(ff.srv.sim);
    cr_assert_eq(sim_metrics_faults_fired(m, 1), 1);
    cr_assert_eq(sim_metrics_faults_fired(m, 2), 1);
    cr_assert_eq(sim_metrics_requests(m, "DescribeStream", "InternalFailure"), 1);
    cr_assert_eq(sim_metrics_requests(m, "DescribeStream", "ok"), 1);
    cr_assert_eq(sim_metrics_requests(m, "ListShards", "ExpiredIteratorException"), 1);
    flt_teardown(&ff);
}

Test(faults_effects, latency_and_drop)
{
    flt_fixture ff;
    flt_setup(&ff, "[{\"match\": {\"operations\": [\"ListStreams\"]}, \"effect\": {\"latency_ms\": 250}},"
                   " {\"match\": {\"operations\": [\"DeleteStream\"]}, \"effect\": {\"drop\": true}},"
                   " {\"match\": {\"operations\": [\"CreateStream\"]}, \"effect\": {\"drop\": \"after\","
                   "  \"latency_ms\": 40}}]");
    sim_response resp;
    flt_request(&ff, "ListStreams", &resp);
    cr_assert_eq(sim_sim_before_op(&ff.ctx, NULL, &resp), SIM_HOOK_PROCEED);
    cr_assert_eq(resp.delay_ms, 250);
    resp.delay_ms = 0; /* even if the router rebuilt the response, after_op sets it again */
    flt_body(&resp, "{}");
    sim_sim_after_op(&ff.ctx, &resp);
    cr_assert_eq(resp.delay_ms, 250);
    cr_assert_not(resp.drop_connection);
    free(resp.body);

    flt_request(&ff, "DeleteStream", &resp);
    cr_assert_eq(sim_sim_before_op(&ff.ctx, NULL, &resp), SIM_HOOK_DROP);
    cr_assert(resp.drop_connection);

    flt_request(&ff, "CreateStream", &resp);
    cr_assert_eq(sim_sim_before_op(&ff.ctx, NULL, &resp), SIM_HOOK_PROCEED, "drop after: handler runs");
    cr_assert_not(resp.drop_connection);
    flt_body(&resp, "{}");
    sim_sim_after_op(&ff.ctx, &resp);
    cr_assert(resp.drop_connection);
    cr_assert_eq(resp.delay_ms, 40);
    free(resp.body);
    flt_teardown(&ff);
}

Test(faults_effects, truncate_and_malform_bodies)
{
    flt_fixture ff;
    flt_setup(&ff,
              "[{\"match\": {\"operations\": [\"DescribeStreamSummary\"]}, \"effect\": {\"truncate\": 5}},"
              " {\"match\": {\"operations\": [\"ListStreams\"]}, \"effect\": {\"malform\": true}}]");
    sim_response resp;
    flt_request(&ff, "DescribeStreamSummary", &resp);
    cr_assert_eq(sim_sim_before_op(&ff.ctx, NULL, &resp), SIM_HOOK_PROCEED);
    flt_body(&resp, "{\"StreamDescriptionSummary\":{}}");
    sim_sim_after_op(&ff.ctx, &resp);
    cr_assert_eq(resp.body_len, 5);
    cr_assert(memcmp(resp.body, "{\"Str", 5) == 0);
    free(resp.body);

    flt_request(&ff, "ListStreams", &resp);
    cr_assert_eq(sim_sim_before_op(&ff.ctx, NULL, &resp), SIM_HOOK_PROCEED);
    flt_body(&resp, "{\"StreamNames\":[]}");
    sim_sim_after_op(&ff.ctx, &resp);
    json_error_t je;
    json_t *parsed = json_loadb((const char *)resp.body, resp.body_len, 0, &je);
    cr_assert_null(parsed, "a malformed body must not parse as JSON");
    cr_assert(resp.body_len > strlen("{\"StreamNames\":[]}"));
    free(resp.body);
    flt_teardown(&ff);
}

Test(faults_effects, put_records_entry_failures)
{
    flt_fixture ff;
    flt_setup(&ff, "{\"seed\": 3, \"rules\": ["
                   " {\"match\": {\"operations\": [\"PutRecords\"]}, \"when\": {\"every\": 2},"
                   "  \"effect\": {\"entry_error\": \"InternalFailure\"}},"
                   " {\"match\": {\"partition_key\": \"hot\"},"
                   "  \"effect\": {\"entry_error\": \"ProvisionedThroughputExceededException\"}}]}");
    sim_response resp;
    flt_request(&ff, "PutRecords", &resp);
    cr_assert_eq(sim_sim_before_op(&ff.ctx, NULL, &resp), SIM_HOOK_PROCEED);
    sim_stream_ref st = {"s", 1, 0};
    int results[6];
    sim_entry_result res[6];
    const char *keys[6] = {"a", "b", "c", "hot", "hot", "d"};
    for (int i = 0; i < 6; i++)
        results[i] = sim_sim_write_record(&ff.ctx, &st, 3, keys[i], 10, 1, &res[i]);
    int expect[6] = {0, 1, 0, 1, 1, 1};
    for (int i = 0; i < 6; i++)
        cr_assert_eq(results[i], expect[i], "entry %d", i);
    cr_assert_eq(res[1].code, SIM_ERR_InternalFailure);
    cr_assert_str_eq(res[1].message, "Internal Service Failure");
    cr_assert_eq(res[4].code, SIM_ERR_ProvisionedThroughputExceededException);
    cr_assert_str_eq(res[4].message, "Rate exceeded for shard shardId-000000000003 in stream s under "
                                     "account 222222222222.");
    cr_assert_not(ff.ctx.err_set);
    resp.status = 200;
    sim_sim_after_op(&ff.ctx, &resp);
    sim_metrics *m = sim_simulation_metrics(ff.srv.sim);
    cr_assert_eq(sim_metrics_records_stored(m), 2, "only the entries that were let through");
    cr_assert_eq(sim_metrics_bytes_stored(m), 20);
    flt_teardown(&ff);
}

Test(faults_effects, put_record_entry_failure_is_whole_error)
{
    flt_fixture ff;
    flt_setup(&ff, "{\"match\": {\"operations\": [\"PutRecord\"]}, "
                   "\"effect\": {\"entry_error\": \"InternalFailure\"}}");
    sim_response resp;
    flt_request(&ff, "PutRecord", &resp);
    cr_assert_eq(sim_sim_before_op(&ff.ctx, NULL, &resp), SIM_HOOK_PROCEED);
    sim_stream_ref st = {"s", 1, 0};
    cr_assert_eq(sim_sim_write_record(&ff.ctx, &st, 0, "k", 1, 0, NULL), -1);
    cr_assert_eq(ff.ctx.err, SIM_ERR_InternalFailure);
    resp.status = 500;
    sim_sim_after_op(&ff.ctx, &resp);
    cr_assert_eq(sim_metrics_records_stored(sim_simulation_metrics(ff.srv.sim)), 0);
    flt_teardown(&ff);
}

Test(faults_effects, shard_rules_fire_in_handler_hooks)
{
    flt_fixture ff;
    flt_setup(&ff, "[{\"match\": {\"operations\": [\"GetRecords\"], \"stream\": \"logs\"},"
                   "  \"effect\": {\"error\": \"ExpiredIteratorException\"}},"
                   " {\"match\": {\"operations\": [\"PutRecords\"], \"shard\": 1},"
                   "  \"effect\": {\"error\": \"ServiceUnavailable\"}},"
                   " {\"match\": {\"operations\": [\"GetShardIterator\"], \"shard\": 4},"
                   "  \"effect\": {\"latency_ms\": 70}}]");
    sim_response resp;
    sim_stream_ref logs = {"logs", 1, 0}, other = {"other", 1, 0};
    /* GetRecords: the stream is known only in the handler */
    flt_request(&ff, "GetRecords", &resp);
    json_t *in = json_pack("{s:s}", "ShardIterator", "AAAA");
    cr_assert_eq(sim_sim_before_op(&ff.ctx, in, &resp), SIM_HOOK_PROCEED);
    cr_assert_eq(sim_sim_read_begin(&ff.ctx, &logs, 0), -1);
    cr_assert_eq(ff.ctx.err, SIM_ERR_ExpiredIteratorException);
    resp.status = 400;
    sim_sim_after_op(&ff.ctx, &resp);
    flt_request(&ff, "GetRecords", &resp);
    cr_assert_eq(sim_sim_before_op(&ff.ctx, in, &resp), SIM_HOOK_PROCEED);
    cr_assert_eq(sim_sim_read_begin(&ff.ctx, &other, 0), 0);
    sim_sim_after_op(&ff.ctx, &resp);
    json_decref(in);

    /* PutRecords: a shard rule with an error effect fails the whole request */
    flt_request(&ff, "PutRecords", &resp);
    cr_assert_eq(sim_sim_before_op(&ff.ctx, NULL, &resp), SIM_HOOK_PROCEED);
    sim_entry_result res;
    cr_assert_eq(sim_sim_write_record(&ff.ctx, &other, 0, "k", 1, 1, &res), 0);
    cr_assert_eq(sim_sim_write_record(&ff.ctx, &other, 1, "k", 1, 1, &res), -1);
    cr_assert_eq(ff.ctx.err, SIM_ERR_ServiceUnavailable);
    sim_sim_after_op(&ff.ctx, &resp);

    flt_request(&ff, "GetShardIterator", &resp);
    cr_assert_eq(sim_sim_before_op(&ff.ctx, NULL, &resp), SIM_HOOK_PROCEED);
    cr_assert_eq(sim_sim_iterator(&ff.ctx, &other, 4), 0);
    resp.status = 200;
    sim_sim_after_op(&ff.ctx, &resp);
    cr_assert_eq(resp.delay_ms, 70, "latency found in the handler reaches the response");
    flt_teardown(&ff);
}

Test(faults_effects, faults_fire_before_rate_limits)
{
    flt_fixture ff;
    flt_setup(&ff, "{\"match\": {\"operations\": [\"DescribeLimits\"]}, \"when\": {\"nth\": 1},"
                   " \"effect\": {\"error\": \"ServiceUnavailable\"}}");
    sim_response resp;
    flt_request(&ff, "DescribeLimits", &resp);
    cr_assert_eq(sim_sim_before_op(&ff.ctx, NULL, &resp), SIM_HOOK_ERROR);
    cr_assert_eq(ff.ctx.err, SIM_ERR_ServiceUnavailable);
    sim_sim_after_op(&ff.ctx, &resp);
    flt_request(&ff, "DescribeLimits", &resp);
    cr_assert_eq(sim_sim_before_op(&ff.ctx, NULL, &resp), SIM_HOOK_PROCEED,
                 "the faulted call used no rate budget");
    flt_teardown(&ff);
}

Test(faults_effects, outcome_of_errors_answered_before_the_handler)
{
    flt_fixture ff;
    flt_setup(&ff, "{\"match\": {\"operations\": [\"Nothing\"]}, \"effect\": {\"drop\": true}}");
    sim_response resp;
    flt_request(&ff, "PutRecord", &resp);
    resp.status = 400;
    const char *body = "{\"__type\":\"com.amazon.coral.validate#ValidationException\",\"message\":\"x\"}";
    resp.body = (uint8_t *)strdup(body);
    resp.body_len = strlen(body);
    sim_sim_after_op(&ff.ctx, &resp);
    free(resp.body);
    flt_request(&ff, NULL, &resp);
    resp.status = 404;
    sim_sim_after_op(&ff.ctx, &resp);
    sim_metrics *m = sim_simulation_metrics(ff.srv.sim);
    cr_assert_eq(sim_metrics_requests(m, "PutRecord", "ValidationException"), 1);
    cr_assert_eq(sim_metrics_requests(m, "unknown", "HTTP 404"), 1);
    flt_teardown(&ff);
}

/* The example files in fixtures/faults/ must load (paths from this file's location, so the test
 * runs from the repository root as the Makefile builds it, or from anywhere with absolute paths). */
static void flt_example_path(const char *name, char *out, size_t len)
{
    const char *self = __FILE__;
    const char *tail = strstr(self, "mockserver/tests/unit/test_faults.c");
    int prefix = tail ? (int)(tail - self) : 0;
    snprintf(out, len, "%.*sfixtures/faults/%s", prefix, self, name);
}

Test(faults_format, example_files_load)
{
    const char *files[] = {"partial-failures.json", "flaky-service.json", "bad-answers.json"};
    int expected[] = {2, 3, 3};
    for (size_t i = 0; i < 3; i++) {
        char path[1024], err[600] = "";
        flt_example_path(files[i], path, sizeof path);
        sim_faults *f = sim_faults_new(0);
        cr_assert_eq(sim_faults_load_file(f, path, err, sizeof err), expected[i], "%s: %s", path, err);
        sim_faults_free(f);
    }
}
