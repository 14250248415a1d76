/* sim_simulation_control.c: integration tests of the control API (the /_sim/ endpoints) over HTTP against a
 * running kinesis-sim at $KINESIS_SIM_ENDPOINT. The simulator is shared with every other
 * integration test running in parallel, so these tests change nothing global: they read the
 * clock and config, add and remove fault rules that match only their own streams, and check
 * parsing errors and metrics. Changes of clock, throttle settings and seed are covered by the
 * unit tests (mockserver/tests/unit/test_control.c). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"

static json_t *simc_request(const char *method, const char *path, const char *body, long status)
{
    tl_response r;
    const char *h[] = {"Content-Type: application/json", NULL};
    cr_assert_eq(tl_raw(method, path, h, body, body ? strlen(body) : 0, &r), 0,
                 "%s %s: transport failed (curl %d)", method, path, r.curl_code);
    cr_assert_eq(r.status, status, "%s %s: status %ld, expected %ld; body %s", method, path, r.status, status,
                 r.body);
    json_t *j = json_loads(r.body, 0, NULL);
    cr_assert_not_null(j, "%s %s: answer is not JSON: %s", method, path, r.body);
    tl_response_free(&r);
    return j;
}

Test(sim_control, health_and_clock_read)
{
    json_t *j = simc_request("GET", "/_sim/health", NULL, 200);
    cr_assert_str_eq(json_string_value(json_object_get(j, "status")), "ok");
    json_decref(j);
    j = simc_request("GET", "/_sim/clock", NULL, 200);
    const char *mode = json_string_value(json_object_get(j, "mode"));
    cr_assert(mode && (strcmp(mode, "real") == 0 || strcmp(mode, "virtual") == 0));
    cr_assert(json_integer_value(json_object_get(j, "now_ms")) > 0);
    json_decref(j);
    /* advancing by 0 changes nothing and answers the time */
    j = simc_request("POST", "/_sim/clock", "{\"advance_ms\": 0}", 200);
    cr_assert(json_is_integer(json_object_get(j, "now_ms")));
    json_decref(j);
}

Test(sim_control, bad_json_and_bad_values_are_400)
{
    json_t *j = simc_request("POST", "/_sim/clock", "{\"advance_ms\": ", 400);
    cr_assert_str_eq(tl_error_type(j), "SerializationException");
    cr_assert(strstr(tl_error_message(j), "not valid JSON") != NULL, "%s", tl_error_message(j));
    json_decref(j);
    j = simc_request("POST", "/_sim/clock", "{\"advance_ms\": -5}", 400);
    cr_assert_str_eq(tl_error_type(j), "InvalidArgumentException");
    json_decref(j);
    j = simc_request("PUT", "/_sim/config", "{\"throttle\": \"sometimes\"}", 400);
    cr_assert(strstr(tl_error_message(j), "'throttle' must be") != NULL);
    json_decref(j);
    j = simc_request("POST", "/_sim/faults", "{\"effect\": {\"error\": \"NoSuchError\"}}", 400);
    cr_assert(strstr(tl_error_message(j), "must name a Kinesis error") != NULL);
    json_decref(j);
    j = simc_request("GET", "/_sim/nothing-here", NULL, 404);
    cr_assert(strstr(tl_error_message(j), "/_sim/health") != NULL, "lists the endpoints");
    json_decref(j);
    j = simc_request("DELETE", "/_sim/health", NULL, 405);
    json_decref(j);
}

Test(sim_control, config_reads_back)
{
    json_t *j = simc_request("GET", "/_sim/config", NULL, 200);
    const char *t = json_string_value(json_object_get(j, "throttle"));
    cr_assert(t && (strcmp(t, "aws") == 0 || strcmp(t, "off") == 0));
    cr_assert(json_number_value(json_object_get(j, "throttle_scale")) > 0);
    cr_assert(json_is_integer(json_object_get(j, "create_delay_ms")));
    /* writing back the same values is accepted and changes nothing */
    json_t *same = json_pack("{s:O, s:O}", "throttle", json_object_get(j, "throttle"), "throttle_scale",
                             json_object_get(j, "throttle_scale"));
    char *body = json_dumps(same, 0);
    json_t *k = simc_request("PUT", "/_sim/config", body, 200);
    cr_assert(json_equal(json_object_get(k, "throttle"), json_object_get(j, "throttle")));
    free(body);
    json_decref(same);
    json_decref(k);
    json_decref(j);
}

Test(sim_control, faults_add_list_delete_by_id)
{
    char stream[64], rule[256], path[64];
    tl_unique_name("ctl-fault", stream, sizeof stream);
    snprintf(rule, sizeof rule,
             "{\"match\": {\"stream\": \"%s\"}, \"effect\": {\"error\": \"InternalFailure\"}}", stream);
    json_t *j = simc_request("POST", "/_sim/faults", rule, 200);
    json_int_t id = json_integer_value(json_object_get(j, "id"));
    cr_assert(id > 0);
    json_decref(j);
    j = simc_request("GET", "/_sim/faults", NULL, 200);
    json_t *rules = json_object_get(j, "rules"), *r;
    size_t i;
    int found = 0;
    json_array_foreach(rules, i, r)
    {
        if (json_integer_value(json_object_get(r, "id")) == id) {
            found = 1;
            cr_assert_str_eq(json_string_value(json_object_get(json_object_get(r, "match"), "stream")),
                             stream);
        }
    }
    cr_assert(found, "rule %lld listed", (long long)id);
    json_decref(j);
    snprintf(path, sizeof path, "/_sim/faults?id=%lld", (long long)id);
    j = simc_request("DELETE", path, NULL, 200);
    json_decref(j);
    j = simc_request("DELETE", path, NULL, 404);
    json_decref(j);
}

Test(sim_control, metrics_are_prometheus_text)
{
    /* one request we know of, then its counter must be there */
    long status = 0;
    cr_assert_eq(tl_call("ListStreams", "{}", &status, NULL), 0);
    tl_response r;
    cr_assert_eq(tl_raw("GET", "/_sim/metrics", NULL, NULL, 0, &r), 0);
    cr_assert_eq(r.status, 200);
    char *ct = tl_header(&r, "Content-Type");
    cr_assert(ct && strncmp(ct, "text/plain", 10) == 0, "content type %s", ct ? ct : "(none)");
    free(ct);
    cr_assert(strstr(r.body, "# TYPE kinesis_sim_requests_total counter") != NULL);
    cr_assert(strstr(r.body, "kinesis_sim_requests_total{operation=\"ListStreams\"") != NULL, "%s", r.body);
    cr_assert(strstr(r.body, "kinesis_sim_request_duration_seconds_bucket{le=\"+Inf\"}") != NULL);
    tl_response_free(&r);
}
