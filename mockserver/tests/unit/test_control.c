/* test_control.c: the control API (control.c) called directly with sim_request values: every
 * endpoint's answers, JSON parsing and its error messages, and that changes made through it
 * (clock, faults, throttle settings, delays) reach the simulation. Uses an in-memory store. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dispatch/control.h"
#include "dispatch/router.h"
#include "ops_fixture.h"
#include "server/config.h"
#include "server/server.h"
#include "simulation/simulation.h"
#include "store/store.h"

typedef struct {
    sim_server srv;
    sim_response resp;
    json_t *json; /* the parsed answer when it is JSON */
} ctl_fixture;

static void ctl_setup(ctl_fixture *f, sim_clock_mode mode)
{
    memset(f, 0, sizeof *f);
    sim_config c;
    fx_config(&c, "000000000000");
    c.create_delay_ms = c.delete_delay_ms = c.update_delay_ms = 500;
    c.sim.clock = mode;
    fx_server(&f->srv, &c);
}

static void ctl_clear(ctl_fixture *f)
{
    free(f->resp.body);
    for (size_t i = 0; i < f->resp.n_extra; i++) {
        free(f->resp.extra[i].name);
        free(f->resp.extra[i].value);
    }
    memset(&f->resp, 0, sizeof f->resp);
    json_decref(f->json);
    f->json = NULL;
}

static void ctl_teardown(ctl_fixture *f)
{
    ctl_clear(f);
    sim_server_clean_up(&f->srv);
}

/* Send one request; returns the status, parses a JSON answer into f->json. */
static int ctl_call(ctl_fixture *f, const char *method, const char *path, const char *query, const char *body)
{
    ctl_clear(f);
    sim_request req;
    memset(&req, 0, sizeof req);
    req.method = method;
    req.path = path;
    req.query = query;
    req.body = (const uint8_t *)body;
    req.body_len = body ? strlen(body) : 0;
    sim_control_dispatch(&f->srv, &req, &f->resp);
    cr_assert(f->resp.status >= 200 && f->resp.status < 600, "a status is always set");
    if (strcmp(f->resp.content_type, "application/json") == 0) {
        json_error_t je;
        f->json = json_loadb((const char *)f->resp.body, f->resp.body_len, 0, &je);
        cr_assert_not_null(f->json, "answer is JSON: %s", je.text);
    }
    return f->resp.status;
}

static const char *ctl_str(ctl_fixture *f, const char *key)
{
    return json_string_value(json_object_get(f->json, key));
}

static json_int_t ctl_int(ctl_fixture *f, const char *key)
{
    return json_integer_value(json_object_get(f->json, key));
}

static void ctl_assert_error(ctl_fixture *f, int status, const char *type, const char *msg_part)
{
    cr_assert_eq(f->resp.status, status);
    cr_assert_str_eq(ctl_str(f, "__type"), type);
    cr_assert(strstr(ctl_str(f, "message"), msg_part) != NULL, "message '%s' lacks '%s'",
              ctl_str(f, "message"), msg_part);
}

Test(control_api, health)
{
    ctl_fixture f;
    ctl_setup(&f, SIM_CLOCK_REAL);
    cr_assert_eq(ctl_call(&f, "GET", "/_sim/health", NULL, NULL), 200);
    cr_assert_str_eq(ctl_str(&f, "status"), "ok");
    cr_assert_eq(ctl_call(&f, "GET", "/_sim/health/", NULL, NULL), 200, "trailing slash");
    ctl_call(&f, "POST", "/_sim/health", NULL, NULL);
    ctl_assert_error(&f, 405, "MethodNotAllowed", "POST /_sim/health");
    ctl_teardown(&f);
}

Test(control_api, unknown_path)
{
    ctl_fixture f;
    ctl_setup(&f, SIM_CLOCK_REAL);
    ctl_call(&f, "GET", "/_sim/nope", NULL, NULL);
    ctl_assert_error(&f, 404, "UnknownOperationException", "no control endpoint /_sim/nope");
    ctl_call(&f, "GET", "/_sim/healthy", NULL, NULL);
    cr_assert_eq(f.resp.status, 404, "prefix of a known path is not that path");
    ctl_teardown(&f);
}

Test(control_api, clock_get_set_advance_and_mode)
{
    ctl_fixture f;
    ctl_setup(&f, SIM_CLOCK_REAL);
    cr_assert_eq(ctl_call(&f, "GET", "/_sim/clock", NULL, NULL), 200);
    cr_assert_str_eq(ctl_str(&f, "mode"), "real");
    cr_assert(ctl_int(&f, "now_ms") > 1600000000000LL);

    cr_assert_eq(ctl_call(&f, "POST", "/_sim/clock", NULL, "{\"mode\": \"virtual\", \"set_ms\": 1000000}"),
                 200);
    cr_assert_str_eq(ctl_str(&f, "mode"), "virtual");
    cr_assert_eq(ctl_int(&f, "now_ms"), 1000000);
    cr_assert_eq(sim_clock_now_ms(f.srv.clock), 1000000);
    cr_assert_eq(ctl_call(&f, "POST", "/_sim/clock", NULL, "{\"advance_ms\": 300001}"), 200);
    cr_assert_eq(ctl_int(&f, "now_ms"), 1300001);
    cr_assert_eq(ctl_call(&f, "GET", "/_sim/clock", NULL, NULL), 200);
    cr_assert_eq(ctl_int(&f, "now_ms"), 1300001, "virtual time stands still");
    cr_assert_eq(ctl_call(&f, "POST", "/_sim/clock", NULL, "{\"mode\": \"real\"}"), 200);
    cr_assert_str_eq(ctl_str(&f, "mode"), "real");
    ctl_teardown(&f);
}

Test(control_api, clock_rejects_bad_input)
{
    ctl_fixture f;
    ctl_setup(&f, SIM_CLOCK_VIRTUAL);
    sim_clock_set_ms(f.srv.clock, 5000);
    ctl_call(&f, "POST", "/_sim/clock", NULL, "{\"advance_ms\": -1}");
    ctl_assert_error(&f, 400, "InvalidArgumentException", "'advance_ms' must be an integer >= 0");
    ctl_call(&f, "POST", "/_sim/clock", NULL, "{\"set_ms\": \"soon\"}");
    ctl_assert_error(&f, 400, "InvalidArgumentException", "'set_ms'");
    ctl_call(&f, "POST", "/_sim/clock", NULL, "{\"mode\": \"warp\"}");
    ctl_assert_error(&f, 400, "InvalidArgumentException", "'mode' must be");
    ctl_call(&f, "POST", "/_sim/clock", NULL, "{\"speed\": 2}");
    ctl_assert_error(&f, 400, "InvalidArgumentException", "unknown member 'speed'");
    ctl_call(&f, "POST", "/_sim/clock", NULL, "{}");
    ctl_assert_error(&f, 400, "InvalidArgumentException", "at least one of");
    ctl_call(&f, "POST", "/_sim/clock", NULL, "{\"advance_ms\": 5");
    ctl_assert_error(&f, 400, "SerializationException", "not valid JSON");
    ctl_call(&f, "POST", "/_sim/clock", NULL, "[1]");
    ctl_assert_error(&f, 400, "InvalidArgumentException", "must be a JSON object");
    ctl_call(&f, "POST", "/_sim/clock", NULL, NULL);
    ctl_assert_error(&f, 400, "InvalidArgumentException", "must be a JSON object");
    ctl_call(&f, "POST", "/_sim/clock", NULL, "{\"advance_ms\": 1, \"advance_ms\": 2}");
    ctl_assert_error(&f, 400, "SerializationException", "duplicate");
    cr_assert_eq(sim_clock_now_ms(f.srv.clock), 5000, "no bad request moved the clock");
    ctl_call(&f, "DELETE", "/_sim/clock", NULL, NULL);
    cr_assert_eq(f.resp.status, 405);
    ctl_teardown(&f);
}

Test(control_api, faults_add_list_delete)
{
    ctl_fixture f;
    ctl_setup(&f, SIM_CLOCK_VIRTUAL);
    cr_assert_eq(ctl_call(&f, "POST", "/_sim/faults", NULL,
                          "{\"match\": {\"operations\": [\"PutRecord\"]}, "
                          "\"effect\": {\"error\": \"InternalFailure\"}}"),
                 200);
    cr_assert_eq(ctl_int(&f, "id"), 1);
    cr_assert_eq(ctl_call(&f, "POST", "/_sim/faults", NULL,
                          "[{\"effect\": {\"latency_ms\": 5}}, {\"effect\": {\"drop\": true}}]"),
                 200);
    cr_assert_null(json_object_get(f.json, "id"), "several rules: only ids");
    json_t *ids = json_object_get(f.json, "ids");
    cr_assert_eq(json_array_size(ids), 2);
    cr_assert_eq(json_integer_value(json_array_get(ids, 0)), 2);
    cr_assert_eq(json_integer_value(json_array_get(ids, 1)), 3);

    cr_assert_eq(ctl_call(&f, "GET", "/_sim/faults", NULL, NULL), 200);
    json_t *rules = json_object_get(f.json, "rules");
    cr_assert_eq(json_array_size(rules), 3);
    cr_assert_eq(json_integer_value(json_object_get(json_array_get(rules, 0), "id")), 1);

    cr_assert_eq(ctl_call(&f, "DELETE", "/_sim/faults", "id=2", NULL), 200);
    cr_assert_eq(ctl_int(&f, "deleted"), 1);
    ctl_call(&f, "DELETE", "/_sim/faults", "id=2", NULL);
    ctl_assert_error(&f, 404, "ResourceNotFoundException", "no fault rule with id 2");
    ctl_call(&f, "DELETE", "/_sim/faults", "id=abc", NULL);
    ctl_assert_error(&f, 400, "InvalidArgumentException", "'id' must be a rule id");
    cr_assert_eq(ctl_call(&f, "DELETE", "/_sim/faults", NULL, NULL), 200);
    cr_assert_eq(ctl_int(&f, "deleted"), 2);
    cr_assert_eq(sim_faults_count(sim_simulation_faults(f.srv.sim)), 0);
    ctl_teardown(&f);
}

Test(control_api, faults_reject_bad_rules)
{
    ctl_fixture f;
    ctl_setup(&f, SIM_CLOCK_VIRTUAL);
    ctl_call(&f, "POST", "/_sim/faults", NULL, "{\"effect\": {\"error\": \"Nope\"}}");
    ctl_assert_error(&f, 400, "InvalidArgumentException", "must name a Kinesis error");
    ctl_call(&f, "POST", "/_sim/faults", NULL, "{\"effect\": ");
    ctl_assert_error(&f, 400, "SerializationException", "not valid JSON");
    ctl_call(&f, "POST", "/_sim/faults", NULL, "42");
    ctl_assert_error(&f, 400, "InvalidArgumentException", "fault rule");
    ctl_call(&f, "POST", "/_sim/faults", NULL, NULL);
    ctl_assert_error(&f, 400, "InvalidArgumentException", "fault rule");
    ctl_call(&f, "PUT", "/_sim/faults", NULL, "{}");
    cr_assert_eq(f.resp.status, 405);
    cr_assert_eq(sim_faults_count(sim_simulation_faults(f.srv.sim)), 0);
    ctl_teardown(&f);
}

Test(control_api, config_get_and_put)
{
    ctl_fixture f;
    ctl_setup(&f, SIM_CLOCK_VIRTUAL);
    cr_assert_eq(ctl_call(&f, "GET", "/_sim/config", NULL, NULL), 200);
    cr_assert_str_eq(ctl_str(&f, "throttle"), "aws");
    cr_assert_float_eq(json_number_value(json_object_get(f.json, "throttle_scale")), 1.0, 1e-12);
    cr_assert(json_is_true(json_object_get(f.json, "control_limits")));
    cr_assert_eq(ctl_int(&f, "max_creating"), 5);
    cr_assert_eq(ctl_int(&f, "create_delay_ms"), 500);
    cr_assert_str_eq(ctl_str(&f, "clock"), "virtual");

    cr_assert_eq(ctl_call(&f, "PUT", "/_sim/config", NULL,
                          "{\"throttle\": \"off\", \"throttle_scale\": 0.5, \"control_limits\": false,"
                          " \"max_creating\": 9, \"seed\": 77, \"create_delay_ms\": 10,"
                          " \"delete_delay_ms\": 20, \"update_delay_ms\": 30}"),
                 200);
    cr_assert_str_eq(ctl_str(&f, "throttle"), "off");
    const sim_simulation_options *o = sim_simulation_get_options(f.srv.sim);
    cr_assert_eq(o->throttle, SIM_THROTTLE_OFF);
    cr_assert_float_eq(o->throttle_scale, 0.5, 1e-12);
    cr_assert_float_eq(sim_throttle_scale(sim_simulation_throttle(f.srv.sim)), 0.5, 1e-12);
    cr_assert_eq(o->control_limits, 0);
    cr_assert_eq(o->max_creating, 9);
    cr_assert_eq(sim_faults_seed(sim_simulation_faults(f.srv.sim)), 77);
    cr_assert_eq(f.srv.cfg.create_delay_ms, 10);
    cr_assert_eq(f.srv.cfg.delete_delay_ms, 20);
    cr_assert_eq(f.srv.cfg.update_delay_ms, 30);
    ctl_teardown(&f);
}

Test(control_api, config_rejects_bad_values_all_or_nothing)
{
    ctl_fixture f;
    ctl_setup(&f, SIM_CLOCK_VIRTUAL);
    ctl_call(&f, "PUT", "/_sim/config", NULL, "{\"throttle\": \"off\", \"throttle_scale\": 0}");
    ctl_assert_error(&f, 400, "InvalidArgumentException", "'throttle_scale' must be a number > 0");
    cr_assert_eq(sim_simulation_get_options(f.srv.sim)->throttle, SIM_THROTTLE_AWS,
                 "nothing applied from a rejected request");
    ctl_call(&f, "PUT", "/_sim/config", NULL, "{\"throttle\": \"maybe\"}");
    ctl_assert_error(&f, 400, "InvalidArgumentException", "'throttle' must be");
    ctl_call(&f, "PUT", "/_sim/config", NULL, "{\"create_delay_ms\": -1}");
    ctl_assert_error(&f, 400, "InvalidArgumentException", "'create_delay_ms'");
    ctl_call(&f, "PUT", "/_sim/config", NULL, "{\"control_limits\": \"yes\"}");
    ctl_assert_error(&f, 400, "InvalidArgumentException", "'control_limits'");
    ctl_call(&f, "PUT", "/_sim/config", NULL, "{\"turbo\": true}");
    ctl_assert_error(&f, 400, "InvalidArgumentException", "unknown member 'turbo'");
    ctl_call(&f, "PUT", "/_sim/config", NULL, "{\"clock\": \"virtual\"}");
    ctl_assert_error(&f, 400, "InvalidArgumentException", "/_sim/clock");
    ctl_call(&f, "PUT", "/_sim/config", NULL, "not json");
    ctl_assert_error(&f, 400, "SerializationException", "not valid JSON");
    cr_assert_eq(f.srv.cfg.create_delay_ms, 500);
    ctl_teardown(&f);
}

Test(control_api, metrics_prometheus_text)
{
    ctl_fixture f;
    ctl_setup(&f, SIM_CLOCK_VIRTUAL);
    sim_metrics *m = sim_simulation_metrics(f.srv.sim);
    sim_metrics_request(m, "PutRecord", "ok");
    sim_metrics_request(m, "PutRecord", "ok");
    sim_metrics_request(m, "PutRecord", "ProvisionedThroughputExceededException");
    sim_metrics_stored(m, 2, 300);
    sim_metrics_throttled(m, "write");
    sim_metrics_fault(m, 4, "latency");
    sim_metrics_duration(m, 0.003);
    sim_metrics_duration(m, 20);
    cr_assert_eq(ctl_call(&f, "GET", "/_sim/metrics", NULL, NULL), 200);
    cr_assert(strncmp(f.resp.content_type, "text/plain; version=0.0.4", 25) == 0);
    char *text = strndup((const char *)f.resp.body, f.resp.body_len);
    const char *expect[] = {
        "# TYPE kinesis_sim_requests_total counter\n",
        "kinesis_sim_requests_total{operation=\"PutRecord\",outcome=\"ok\"} 2\n",
        ("kinesis_sim_requests_total{operation=\"PutRecord\",outcome="
         "\"ProvisionedThroughputExceededException\"} 1\n"),
        "kinesis_sim_records_stored_total 2\n",
        "kinesis_sim_bytes_stored_total 300\n",
        "kinesis_sim_throttled_total{kind=\"write\"} 1\n",
        "kinesis_sim_faults_fired_total{rule=\"4\",effect=\"latency\"} 1\n",
        "# TYPE kinesis_sim_request_duration_seconds histogram\n",
        "kinesis_sim_request_duration_seconds_bucket{le=\"0.0025\"} 0\n",
        "kinesis_sim_request_duration_seconds_bucket{le=\"0.005\"} 1\n",
        "kinesis_sim_request_duration_seconds_bucket{le=\"10\"} 1\n",
        "kinesis_sim_request_duration_seconds_bucket{le=\"+Inf\"} 2\n",
        "kinesis_sim_request_duration_seconds_count 2\n",
    };
    for (size_t i = 0; i < sizeof expect / sizeof expect[0]; i++)
        cr_assert(strstr(text, expect[i]) != NULL, "metrics lack: %s\n---\n%s", expect[i], text);
    free(text);
    ctl_call(&f, "POST", "/_sim/metrics", NULL, NULL);
    cr_assert_eq(f.resp.status, 405);
    ctl_teardown(&f);
}

Test(control_api, metrics_escape_label_values)
{
    sim_metrics *m = sim_metrics_new();
    sim_metrics_request(m, "Bad\"Op\\\n", "ok");
    size_t len;
    char *text = sim_metrics_render(m, &len);
    cr_assert(strstr(text, "operation=\"Bad\\\"Op\\\\\\n\"") != NULL, "%s", text);
    cr_assert_eq(strlen(text), len);
    free(text);
    sim_metrics_free(m);
}

Test(control_api, reset_all_or_one_stream)
{
    ctl_fixture f;
    ctl_setup(&f, SIM_CLOCK_VIRTUAL);
    sim_throttle *t = sim_simulation_throttle(f.srv.sim);
    sim_throttle_control(t, "k", 1, 0);
    cr_assert_eq(ctl_call(&f, "POST", "/_sim/reset", NULL, NULL), 200);
    cr_assert_str_eq(ctl_str(&f, "reset"), "all");
    cr_assert_eq(sim_throttle_key_count(t), 0, "buckets forgotten with the data");
    ctl_call(&f, "POST", "/_sim/reset", "stream=missing", NULL);
    ctl_assert_error(&f, 404, "ResourceNotFoundException",
                     "Stream missing under account 000000000000 not found.");
    ctl_call(&f, "POST", "/_sim/reset", NULL, "{\"stream\": \"missing\", \"account_id\": \"123456789012\"}");
    ctl_assert_error(&f, 404, "ResourceNotFoundException", "under account 123456789012");
    ctl_call(&f, "POST", "/_sim/reset", NULL, "{\"stream\": 5}");
    ctl_assert_error(&f, 400, "InvalidArgumentException", "'stream' must be a non-empty string");
    ctl_call(&f, "POST", "/_sim/reset", NULL, "{\"everything\": true}");
    ctl_assert_error(&f, 400, "InvalidArgumentException", "unknown member 'everything'");
    ctl_call(&f, "GET", "/_sim/reset", NULL, NULL);
    cr_assert_eq(f.resp.status, 405);
    ctl_teardown(&f);
}

static int64_t wall_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* issue 14: {"mode": "real"} is the way back to wall time, from a moved real clock or from virtual */
Test(control_api, clock_real_mode_returns_to_wall_time)
{
    ctl_fixture f;
    ctl_setup(&f, SIM_CLOCK_REAL);
    cr_assert_eq(ctl_call(&f, "POST", "/_sim/clock", NULL, "{\"advance_ms\": 86400000}"), 200);
    cr_assert_eq(ctl_int(&f, "offset_ms"), 86400000, "GET/POST answers show the offset in real mode");
    cr_assert_eq(ctl_call(&f, "POST", "/_sim/clock", NULL, "{\"mode\": \"real\"}"), 200);
    cr_assert_eq(ctl_int(&f, "offset_ms"), 0, "the offset is dropped");
    int64_t now = ctl_int(&f, "now_ms"), wall = wall_now_ms();
    cr_assert(now <= wall && now > wall - 2000, "real again: %lld vs wall %lld", (long long)now,
              (long long)wall);

    cr_assert_eq(ctl_call(&f, "POST", "/_sim/clock", NULL, "{\"mode\": \"virtual\", \"set_ms\": 1000}"), 200);
    cr_assert_null(json_object_get(f.json, "offset_ms"), "no offset in virtual mode");
    cr_assert_eq(ctl_call(&f, "POST", "/_sim/clock", NULL, "{\"mode\": \"real\"}"), 200);
    now = ctl_int(&f, "now_ms");
    wall = wall_now_ms();
    cr_assert(now <= wall && now > wall - 2000, "from virtual too: %lld vs wall %lld", (long long)now,
              (long long)wall);

    /* offset_ms sets the offset directly (how kinesis-conform puts a clock back) */
    cr_assert_eq(ctl_call(&f, "POST", "/_sim/clock", NULL, "{\"offset_ms\": -5000}"), 200);
    cr_assert_eq(ctl_int(&f, "offset_ms"), -5000);
    cr_assert_eq(sim_clock_offset_ms(f.srv.clock), -5000);
    ctl_call(&f, "POST", "/_sim/clock", NULL, "{\"offset_ms\": 1.5}");
    ctl_assert_error(&f, 400, "InvalidArgumentException", "'offset_ms' must be an integer");
    ctl_call(&f, "POST", "/_sim/clock", NULL, "{\"mode\": \"virtual\", \"offset_ms\": 5}");
    ctl_assert_error(&f, 400, "InvalidArgumentException", "real clock only");
    cr_assert_eq(sim_clock_mode_get(f.srv.clock), SIM_CLOCK_REAL, "a refused request changes nothing");
    cr_assert_eq(sim_clock_offset_ms(f.srv.clock), -5000);
    ctl_teardown(&f);
}

/* issue 14: POST /_sim/reset puts the clock and the configuration back as started; a reset of
 * one stream touches neither */
Test(control_api, reset_all_restores_clock_and_config)
{
    ctl_fixture f;
    ctl_setup(&f, SIM_CLOCK_REAL);
    const sim_config *start =
        &f.srv.cfg_at_start; /* sim_server_init keeps the configuration it started with */
    store_stream st;
    memset(&st, 0, sizeof st);
    snprintf(st.account_id, sizeof st.account_id, "000000000000");
    snprintf(st.region, sizeof st.region, "us-east-1");
    snprintf(st.name, sizeof st.name, "kept");
    snprintf(st.status, sizeof st.status, "ACTIVE");
    snprintf(st.mode, sizeof st.mode, "PROVISIONED");
    cr_assert_eq(store_stream_insert(f.srv.store, &st), 0);

    cr_assert_eq(ctl_call(&f, "POST", "/_sim/clock", NULL, "{\"mode\": \"virtual\", \"set_ms\": 1000}"), 200);
    const char *start_throttle = start->sim.throttle == SIM_THROTTLE_AWS ? "aws" : "off";
    char put[160];
    snprintf(put, sizeof put,
             "{\"throttle\": \"%s\", \"create_delay_ms\": 7, \"seed\": 99, \"max_creating\": 2}",
             start->sim.throttle == SIM_THROTTLE_AWS ? "off" : "aws");
    cr_assert_eq(ctl_call(&f, "PUT", "/_sim/config", NULL, put), 200);
    cr_assert_eq(ctl_call(&f, "POST", "/_sim/reset", NULL, "{\"stream\": \"kept\"}"), 200);
    cr_assert_eq(sim_clock_mode_get(f.srv.clock), SIM_CLOCK_VIRTUAL, "a stream reset leaves the clock");
    cr_assert_eq(sim_clock_now_ms(f.srv.clock), 1000);
    cr_assert_eq(f.srv.cfg.create_delay_ms, 7, "and the configuration");

    cr_assert_eq(ctl_call(&f, "POST", "/_sim/reset", NULL, NULL), 200);
    cr_assert_eq(sim_clock_mode_get(f.srv.clock), SIM_CLOCK_REAL, "the clock's mode as started");
    cr_assert_eq(sim_clock_offset_ms(f.srv.clock), 0);
    int64_t now = sim_clock_now_ms(f.srv.clock), wall = wall_now_ms();
    cr_assert(now <= wall && now > wall - 2000, "wall time again");
    cr_assert_eq(ctl_call(&f, "GET", "/_sim/config", NULL, NULL), 200);
    cr_assert_str_eq(ctl_str(&f, "throttle"), start_throttle, "back to the start value");
    cr_assert_eq(ctl_int(&f, "create_delay_ms"), 500);
    cr_assert_eq(ctl_int(&f, "seed"), (json_int_t)start->sim.seed);
    cr_assert_eq(ctl_int(&f, "max_creating"), start->sim.max_creating);
    cr_assert_str_eq(ctl_str(&f, "clock"), "real");
    ctl_teardown(&f);
}

Test(control_api, without_simulation_layer)
{
    ctl_fixture f;
    ctl_setup(&f, SIM_CLOCK_VIRTUAL);
    sim_simulation_free(f.srv.sim);
    f.srv.sim = NULL;
    ctl_call(&f, "GET", "/_sim/faults", NULL, NULL);
    ctl_assert_error(&f, 503, "ServiceUnavailable", "not configured");
    cr_assert_eq(ctl_call(&f, "GET", "/_sim/health", NULL, NULL), 200);
    cr_assert_eq(ctl_call(&f, "GET", "/_sim/clock", NULL, NULL), 200);
    ctl_teardown(&f);
}

Test(control_api, clock_changes_reach_the_throttle)
{
    /* the control API's clock drives the buckets: advancing it refills a throttled shard */
    ctl_fixture f;
    ctl_setup(&f, SIM_CLOCK_VIRTUAL);
    sim_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.srv = &f.srv;
    ctx.op = "GetShardIterator";
    ctx.op_def = sim_router_lookup("GetShardIterator");
    snprintf(ctx.account_id, sizeof ctx.account_id, "000000000000");
    sim_stream_ref st = {"s", 1, 0};
    for (int i = 0; i < 5; i++)
        cr_assert_eq(sim_sim_iterator(&ctx, &st, 0), 0);
    cr_assert_eq(sim_sim_iterator(&ctx, &st, 0), -1);
    cr_assert_eq(ctl_call(&f, "POST", "/_sim/clock", NULL, "{\"advance_ms\": 1000}"), 200);
    ctx.err_set = 0;
    cr_assert_eq(sim_sim_iterator(&ctx, &st, 0), 0, "now_ms 0 in ctx: the hook reads the clock");
    ctl_teardown(&f);
}
