/* test_router.c: unit tests for router.c (sim_dispatch without HTTP): the operation table matches
 * the API model, the generic checks run in AWS's order with AWS's answers, unimplemented
 * operations say so, and the helpers sim_fail / sim_request_header behave. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "router.h"
#include "store.h"
#include "validate.h"

#define AUTH                                                                                                 \
    "AWS4-HMAC-SHA256 Credential=AKID/20150830/eu-west-1/kinesis/aws4_request, "                             \
    "SignedHeaders=host;x-amz-date, Signature=abc"

static sim_server srv;
static sim_header hdrs[8];
static sim_request req;
static sim_response resp;
static json_t *answer;

static void init_server(void)
{
    char err[256];
    sim_log_set_level(SIM_LOG_ERROR); /* the unimplemented-operation warnings are expected */
    memset(&srv, 0, sizeof srv);
    snprintf(srv.cfg.account_id, sizeof srv.cfg.account_id, "000000000000");
    snprintf(srv.cfg.region, sizeof srv.cfg.region, "us-east-1");
    srv.cfg.shard_limit = 500;
    srv.model = sim_model_load(err, sizeof err);
    cr_assert_not_null(srv.model, "%s", err);
    srv.clock = sim_clock_new(SIM_CLOCK_VIRTUAL);
}

static void fini_server(void)
{
    json_decref(answer);
    answer = NULL;
    sim_response_clean_up(&resp);
    if (srv.store)
        store_close(srv.store);
    sim_model_free(srv.model);
    sim_clock_free(srv.clock);
}

TestSuite(router, .init = init_server, .fini = fini_server);

/* Dispatch one request; headers: content type, target, auth, date (NULL = absent). */
static void send(const char *method, const char *ct, const char *target, const char *auth, const char *date,
                 const char *body)
{
    size_t n = 0;
    if (ct)
        hdrs[n++] = (sim_header){"Content-Type", (char *)ct};
    if (target)
        hdrs[n++] = (sim_header){"X-Amz-Target", (char *)target};
    if (auth)
        hdrs[n++] = (sim_header){"Authorization", (char *)auth};
    if (date)
        hdrs[n++] = (sim_header){"X-Amz-Date", (char *)date};
    memset(&req, 0, sizeof req);
    req.method = method;
    req.path = "/";
    req.headers = hdrs;
    req.n_headers = n;
    req.body = (const uint8_t *)body;
    req.body_len = body ? strlen(body) : 0;
    json_decref(answer);
    sim_response_clean_up(&resp);
    sim_dispatch(&srv, &req, &resp);
    answer = json_loadb((const char *)resp.body, resp.body_len, 0, NULL);
    cr_assert_not_null(answer, "answer is not JSON: %.*s", (int)resp.body_len, resp.body);
}

#define CT "application/x-amz-json-1.1"
#define T(op) "Kinesis_20131202." op
#define DATE "20150830T123600Z"

static void expect(int status, const char *type)
{
    cr_assert_eq(resp.status, status, "status %d, want %d: %.*s", resp.status, status, (int)resp.body_len,
                 resp.body);
    cr_assert_str_eq(json_string_value(json_object_get(answer, "__type")), type, "%.*s", (int)resp.body_len,
                     resp.body);
}

Test(router, table_matches_the_model)
{
    size_t n = sim_model_operation_count(srv.model);
    cr_assert_eq(sim_router_op_count(), n, "table has %zu operations, model %zu", sim_router_op_count(), n);
    cr_assert_eq(n, 39);
    for (size_t i = 0; i < n; i++) {
        const char *name = sim_model_operation_name(srv.model, i);
        cr_assert_not_null(sim_router_lookup(name), "%s missing from the table", name);
    }
    cr_assert_null(sim_router_lookup("putrecord"));
    cr_assert_null(sim_router_lookup(NULL));
    cr_assert_null(sim_router_op(n));
}

Test(router, non_post_comes_first)
{
    send("GET", "text/plain", NULL, NULL, NULL, "{");
    expect(403, "AccessDeniedException");
    cr_assert_str_eq(json_string_value(json_object_get(answer, "message")),
                     "Unable to determine service/operation name to be authorized");
    cr_assert_str_eq(resp.content_type, CT);
}

Test(router, empty_body_before_content_type)
{
    send("POST", "text/plain", T("ListStreams"), NULL, NULL, NULL);
    expect(400, "SerializationException");
    cr_assert_eq(json_object_size(answer), 1);
    send("POST", CT, T("Nope"), NULL, NULL, NULL);
    expect(400, "UnknownOperationException");
    cr_assert_eq(json_object_size(answer), 1);
}

Test(router, content_type_before_body)
{
    send("POST", "text/plain", T("ListStreams"), NULL, NULL, "{");
    expect(404, "UnknownOperationException");
    send("POST", NULL, T("ListStreams"), NULL, NULL, "{}");
    expect(404, "UnknownOperationException");
    send("POST", "text/plain", "NoDotHere", NULL, NULL, "{}");
    expect(403, "AccessDeniedException");
}

Test(router, body_before_target_and_auth)
{
    send("POST", CT, T("Nope"), NULL, NULL, "{");
    expect(400, "SerializationException");
    cr_assert_eq(json_object_size(answer), 1);
    send("POST", CT, T("ListStreams"), NULL, NULL, "[]");
    expect(400, "SerializationException");
}

Test(router, target_before_auth)
{
    const char *targets[] = {T("Nope"),
                             "Kinesis_20131202",
                             "Kinesis_20131202.",
                             ".ListStreams",
                             "DynamoDB_20120810.ListStreams",
                             T("ListStreams.Extra"),
                             "kinesis_20131202.ListStreams",
                             T("liststreams")};
    for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++) {
        send("POST", CT, targets[i], NULL, NULL, "{}");
        expect(400, "UnknownOperationException");
        cr_assert_null(json_object_get(answer, "message"), "%s", targets[i]);
    }
    send("POST", CT, NULL, NULL, NULL, "{}");
    expect(400, "UnknownOperationException");
}

Test(router, auth_before_validation)
{
    send("POST", CT, T("ListStreams"), NULL, NULL, "{\"Limit\":0}");
    expect(400, "MissingAuthenticationTokenException");
    send("POST", CT, T("ListStreams"), "junk", NULL, "{\"Limit\":0}");
    expect(400, "IncompleteSignatureException");
}

Test(router, validation_errors)
{
    send("POST", CT, T("ListStreams"), AUTH, DATE, "{\"Limit\":0}");
    expect(400, "ValidationException");
    send("POST", CT, T("ListStreams"), AUTH, DATE, "{\"Limit\":\"x\"}");
    expect(400, "SerializationException");
    cr_assert(json_is_string(json_object_get(answer, "Message")));
}

Test(router, cbor_is_refused_clearly)
{
    send("POST", "application/x-amz-cbor-1.1", T("ListStreams"), AUTH, DATE, "\xa0");
    expect(400, "SerializationException");
    cr_assert(strstr(json_string_value(json_object_get(answer, "Message")), "cbor"));
}

Test(router, unimplemented_operations_say_so)
{
    size_t tried = 0;
    for (size_t i = 0; i < sim_router_op_count(); i++) {
        const sim_op_entry *op = sim_router_op(i);
        if (op->handler)
            continue;
        char target[128];
        snprintf(target, sizeof target, "Kinesis_20131202.%s", op->name);
        send("POST", CT, target, AUTH, DATE, "{}");
        const char *type = json_string_value(json_object_get(answer, "__type"));
        if (strcmp(type, "ValidationException") == 0)
            continue; /* needs members to get that far */
        char want[160];
        snprintf(want, sizeof want, "kinesis-sim does not implement %s yet", op->name);
        expect(400, "UnknownOperationException");
        cr_assert_str_eq(json_string_value(json_object_get(answer, "message")), want);
        tried++;
    }
    if (!tried)
        cr_skip_test("every operation without members is implemented");
}

Test(router, success_is_200_json)
{
    char err[256];
    srv.store = store_open(":memory:", err, sizeof err);
    cr_assert_not_null(srv.store, "%s", err);
    send("POST", CT, T("ListStreams"), AUTH, DATE, "{}");
    cr_assert_eq(resp.status, 200, "%.*s", (int)resp.body_len, resp.body);
    cr_assert_str_eq(resp.content_type, CT);
    cr_assert(json_is_object(answer));
    send("POST", "application/json; charset=UTF-8", T("ListStreams"), AUTH, DATE, "{}");
    cr_assert_eq(resp.status, 200);
    cr_assert_str_eq(resp.content_type, "application/json");
}

Test(router, helpers)
{
    sim_header h[] = {{"X-Amz-Target", "a"}, {"content-type", "b"}};
    sim_request r = {.headers = h, .n_headers = 2};
    cr_assert_str_eq(sim_request_header(&r, "x-amz-target"), "a");
    cr_assert_str_eq(sim_request_header(&r, "Content-Type"), "b");
    cr_assert_null(sim_request_header(&r, "Authorization"));

    sim_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    cr_assert_eq(sim_fail(&ctx, SIM_ERR_ResourceNotFoundException,
                          "Stream %s under account %s "
                          "not found.",
                          "s", "000000000000"),
                 -1);
    cr_assert_eq(ctx.err_set, 1);
    cr_assert_eq(ctx.err, SIM_ERR_ResourceNotFoundException);
    cr_assert_str_eq(ctx.err_msg, "Stream s under account 000000000000 not found.");

    sim_response rs;
    memset(&rs, 0, sizeof rs);
    sim_response_error(&rs, CODEC_AWS_JSON, SIM_ERR_InternalFailure, 0, "x");
    cr_assert_eq(rs.status, 500);
    sim_response_clean_up(&rs);
    cr_assert_null(rs.body);
}
