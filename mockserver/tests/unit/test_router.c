/* test_router.c: unit tests for router.c (sim_dispatch without HTTP): the operation table matches
 * the API model, the generic checks run in AWS's order with AWS's answers, CBOR requests get CBOR
 * answers worded as JSON ones, the access key and credential scope pick account and region,
 * --auth strict verifies signatures, long validation messages survive whole, the control API's
 * token gate, every operation has a handler, and the helpers sim_fail / sim_request_header. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "dispatch/auth.h"
#include "dispatch/router.h"
#include "dispatch/validate.h"
#include "ops/ops.h"
#include "ops_fixture.h"
#include "server/config.h"
#include "server/server.h"
#include "shared/sigv4.h"
#include "store/store.h"
#include "wire/cbor_codec.h"

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
    sim_log_set_level(SIM_LOG_ERROR); /* the unimplemented-operation warnings are expected */
    sim_config c;
    fx_config(&c, "000000000000");
    c.shard_limit = 500;
    c.sim.throttle = SIM_THROTTLE_OFF; /* the checks, not the rates, are under test */
    fx_server(&srv, &c);
}

static void fini_server(void)
{
    json_decref(answer);
    answer = NULL;
    sim_response_clean_up(&resp);
    sim_server_clean_up(&srv);
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
    answer = json_loadb((const char *)resp.body, resp.body_len, 0, NULL); /* NULL: not JSON (expect says) */
}

#define CT "application/x-amz-json-1.1"
#define T(op) "Kinesis_20131202." op
#define DATE "20150830T123600Z"

static void expect(int status, const char *type)
{
    cr_assert_not_null(answer, "answer is not JSON: %.*s", (int)resp.body_len, resp.body);
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

/* The answer's body as text, exactly. */
static void expect_body(int status, const char *content_type, const char *body)
{
    cr_assert_eq(resp.status, status, "status %d, want %d: %.*s", resp.status, status, (int)resp.body_len,
                 resp.body);
    cr_assert_str_eq(resp.content_type, content_type);
    cr_assert_eq(resp.body_len, strlen(body), "%.*s", (int)resp.body_len, resp.body);
    cr_assert(memcmp(resp.body, body, resp.body_len) == 0, "%.*s", (int)resp.body_len, resp.body);
}

#define ACCESS_DENIED_XML                                                                                    \
    "<AccessDeniedException>\n  <Message>Unable to determine service/operation name to be "                  \
    "authorized</Message>\n</AccessDeniedException>\n"

Test(router, non_post_comes_first)
{
    /* kinesalite's connection.js "should return AccessDeniedException if GET" (recorded): XML, no
     * Content-Type */
    const char *methods[] = {"GET", "PUT", "DELETE", "OPTIONS"};
    for (size_t i = 0; i < 4; i++) {
        send(methods[i], "text/plain", NULL, NULL, NULL, "{");
        expect_body(403, "", ACCESS_DENIED_XML);
    }
}

Test(router, empty_body_before_content_type)
{
    /* an empty body is answered in CBOR unless the content type is exactly JSON 1.1 (connection.js "should
     * return CBOR SerializationException if no Content-Type", "... UnknownOperationException if
     * x-amz-json-1.0 Content-Type", recorded); the CBOR answer is checked in cbor_answers_to_the_rest */
    send("POST", "text/plain", T("ListStreams"), NULL, NULL, NULL);
    cr_assert_eq(resp.status, 400);
    cr_assert_str_eq(resp.content_type, "application/x-amz-cbor-1.1");
    send("POST", CT, T("Nope"), NULL, NULL, NULL);
    expect(400, "UnknownOperationException");
    cr_assert_eq(json_object_size(answer), 1);
    send("POST", CT, T("ListStreams"), NULL, NULL, NULL);
    expect(400, "SerializationException");
    cr_assert_eq(json_object_size(answer), 1);
}

Test(router, content_type_before_body)
{
    /* a body in an unknown content type: 404 <UnknownOperationException/> when the target names a
     * Service.Operation, else 403 AccessDenied ("should return AccessDeniedException if body and no
     * Content-Type", recorded; kinesalite's index.js) */
    send("POST", "text/plain", T("ListStreams"), NULL, NULL, "{");
    expect_body(404, "", "<UnknownOperationException/>\n");
    send("POST", NULL, T("ListStreams"), NULL, NULL, "{}");
    expect_body(404, "", "<UnknownOperationException/>\n");
    send("POST", "text/plain", "NoDotHere", NULL, NULL, "{}");
    expect_body(403, "", ACCESS_DENIED_XML);
    send("POST", NULL, NULL, NULL, NULL, "{}");
    expect_body(403, "", ACCESS_DENIED_XML);
}

Test(router, plain_json_gets_the_output_envelope)
{
    /* connection.js "should return UnknownOperationException if valid target and body and application/json"
     * and "... SerializationException if non-JSON body and application/json [with spaces]" (recorded) */
    send("POST", "application/json", T("ListStreams"), NULL, NULL, "{}");
    expect_body(404, "application/json",
                "{\"Output\":{\"__type\":\"com.amazon.coral.service#UnknownOperationException\"},\"Version\":"
                "\"1.0\"}");
    send("POST", "     application/json     ;", T("ListStreams"), AUTH, DATE, "hello");
    expect_body(
        400, "application/json",
        "{\"Output\":{\"__type\":\"com.amazon.coral.service#SerializationException\"},\"Version\":\"1.0\"}");
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

/* ---- CBOR ---- */

#define CBOR_CT "application/x-amz-cbor-1.1"

/* Dispatch a raw body with the given content type, target and a good-looking signature. */
static void send_body(const char *ct, const char *target, const uint8_t *body, size_t len)
{
    size_t n = 0;
    hdrs[n++] = (sim_header){"Content-Type", (char *)ct};
    hdrs[n++] = (sim_header){"X-Amz-Target", (char *)target};
    hdrs[n++] = (sim_header){"Authorization", AUTH};
    hdrs[n++] = (sim_header){"X-Amz-Date", DATE};
    memset(&req, 0, sizeof req);
    req.method = "POST";
    req.path = "/";
    req.headers = hdrs;
    req.n_headers = n;
    req.body = body;
    req.body_len = len;
    json_decref(answer);
    answer = NULL;
    sim_response_clean_up(&resp);
    sim_dispatch(&srv, &req, &resp);
}

/* The CBOR answer, through the same converter requests go through. */
static json_t *cbor_answer(void)
{
    char why[128] = "";
    cr_assert_str_eq(resp.content_type, CBOR_CT);
    json_t *j = sim_cbor_to_json(resp.body, resp.body_len, why, sizeof why);
    cr_assert_not_null(j, "answer is not CBOR: %s", why);
    return j;
}

Test(router, cbor_request_gets_a_cbor_answer)
{
    const uint8_t empty_map[] = {0xa0};
    send_body(CBOR_CT, T("ListStreams"), empty_map, sizeof empty_map);
    cr_assert_eq(resp.status, 200);
    answer = cbor_answer();
    cr_assert(json_is_array(json_object_get(answer, "StreamNames")));
    cr_assert(json_is_false(json_object_get(answer, "HasMoreStreams")));
}

Test(router, cbor_errors_are_cbor_with_the_json_wording)
{
    const uint8_t bad[] = {0xa1, 0x65, 'L', 'i', 'm'}; /* truncated */
    send_body(CBOR_CT, T("ListStreams"), bad, sizeof bad);
    cr_assert_eq(resp.status, 400);
    answer = cbor_answer();
    cr_assert_str_eq(json_string_value(json_object_get(answer, "__type")), "SerializationException");
    cr_assert_eq(json_object_size(answer), 1);

    /* {"Limit": 0}: the same ValidationException text a JSON client gets */
    const uint8_t limit0[] = {0xa1, 0x65, 'L', 'i', 'm', 'i', 't', 0x00};
    send_body(CBOR_CT, T("ListStreams"), limit0, sizeof limit0);
    cr_assert_eq(resp.status, 400);
    json_t *c = cbor_answer();
    send("POST", CT, T("ListStreams"), AUTH, DATE, "{\"Limit\":0}");
    cr_assert_str_eq(json_string_value(json_object_get(c, "__type")), "ValidationException");
    cr_assert_str_eq(json_string_value(json_object_get(c, "message")),
                     json_string_value(json_object_get(answer, "message")));
    json_decref(c);

    /* a top-level array is not a request */
    const uint8_t array[] = {0x80};
    send_body(CBOR_CT, T("ListStreams"), array, sizeof array);
    cr_assert_eq(resp.status, 400);
    answer = cbor_answer();
    cr_assert_str_eq(json_string_value(json_object_get(answer, "__type")), "SerializationException");

    /* errors before the body is read (unknown target) are CBOR too */
    send_body(CBOR_CT, T("Nope"), array, sizeof array);
    answer = cbor_answer();
    send_body(CBOR_CT, T("Nope"), limit0, sizeof limit0);
    cr_assert_eq(resp.status, 400);
    answer = cbor_answer();
    cr_assert_str_eq(json_string_value(json_object_get(answer, "__type")), "UnknownOperationException");
}

Test(router, cbor_answers_to_the_rest)
{
    /* a request that is not JSON 1.1 and has no body gets a CBOR map (connection.js "should return CBOR
     * UnknownOperationException if POST with no body", "... if random Content-Type", "should return CBOR
     * SerializationException if valid target and application/json", recorded) */
    const char *cts[] = {NULL, "application/x-amz-json-1.0", "application/x-amz-json-1.1asdf",
                         "application/json"};
    for (size_t i = 0; i < 4; i++) {
        send("POST", cts[i], NULL, NULL, NULL, NULL);
        cr_assert_eq(resp.status, 400);
        json_decref(answer);
        answer = cbor_answer();
        cr_assert_str_eq(json_string_value(json_object_get(answer, "__type")), "UnknownOperationException");
        cr_assert_eq(json_object_size(answer), 1);
        send("POST", cts[i], T("ListStreams"), NULL, NULL, NULL);
        json_decref(answer);
        answer = cbor_answer();
        cr_assert_str_eq(json_string_value(json_object_get(answer, "__type")), "SerializationException");
    }
}

/* ---- accounts and regions ---- */

static void call_with_key(const char *access_key, const char *region, const char *op, const char *body)
{
    static char auth[256];
    snprintf(
        auth, sizeof auth,
        "AWS4-HMAC-SHA256 Credential=%s/20150830/%s/kinesis/aws4_request, SignedHeaders=host;x-amz-date, "
        "Signature=abc",
        access_key, region);
    char target[96];
    snprintf(target, sizeof target, "Kinesis_20131202.%s", op);
    send("POST", CT, target, auth, DATE, body);
}

Test(router, access_key_and_scope_pick_account_and_region)
{
    call_with_key("123456789012", "ap-south-1", "CreateStream", "{\"StreamName\":\"s\",\"ShardCount\":1}");
    cr_assert_eq(resp.status, 200, "%.*s", (int)resp.body_len, resp.body);
    call_with_key("123456789012", "ap-south-1", "DescribeStreamSummary", "{\"StreamName\":\"s\"}");
    cr_assert_eq(resp.status, 200, "%.*s", (int)resp.body_len, resp.body);
    cr_assert_str_eq(
        json_string_value(json_object_get(json_object_get(answer, "StreamDescriptionSummary"), "StreamARN")),
        "arn:aws:kinesis:ap-south-1:123456789012:stream/s");
    /* another key (default account) and another region do not see it */
    call_with_key("AKIDEXAMPLE", "ap-south-1", "DescribeStreamSummary", "{\"StreamName\":\"s\"}");
    expect(400, "ResourceNotFoundException");
    cr_assert_str_eq(json_string_value(json_object_get(answer, "message")),
                     "Stream s under account 000000000000 not found.");
    call_with_key("123456789012", "eu-west-1", "DescribeStreamSummary", "{\"StreamName\":\"s\"}");
    expect(400, "ResourceNotFoundException");
}

/* ---- strict SigV4 ---- */

#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define T0 INT64_C(1440938160) /* 20150830T123600Z */

static char sig_auth[512], sig_date[32];

/* A ListStreams request signed by the client's signer. */
static void send_signed(const char *akid, const char *secret, int64_t t)
{
    static const char body[] = "{}";
    sigv4_header h[] = {{"Host", "localhost"}, {"Content-Type", CT}, {"X-Amz-Target", T("ListStreams")}};
    sigv4_request r = {"POST", "/", NULL, h, 3, (const uint8_t *)body, 2};
    sigv4_params p = {.access_key_id = akid,
                      .secret_access_key = secret,
                      .region = "us-west-2",
                      .service = "kinesis",
                      .epoch_seconds = t,
                      .normalize_path = 1};
    sigv4_result out = {0};
    cr_assert_eq(sigv4_sign(&r, &p, &out), 0);
    snprintf(sig_auth, sizeof sig_auth, "%s", out.authorization);
    snprintf(sig_date, sizeof sig_date, "%s", out.amz_date);
    sigv4_result_clean_up(&out);
    size_t n = 0;
    hdrs[n++] = (sim_header){"Host", "localhost"};
    hdrs[n++] = (sim_header){"Content-Type", CT};
    hdrs[n++] = (sim_header){"X-Amz-Target", T("ListStreams")};
    hdrs[n++] = (sim_header){"X-Amz-Date", sig_date};
    hdrs[n++] = (sim_header){"Authorization", sig_auth};
    memset(&req, 0, sizeof req);
    req.method = "POST";
    req.path = "/";
    req.headers = hdrs;
    req.n_headers = n;
    req.body = (const uint8_t *)body;
    req.body_len = 2;
    json_decref(answer);
    sim_response_clean_up(&resp);
    sim_dispatch(&srv, &req, &resp);
    answer = json_loadb((const char *)resp.body, resp.body_len, 0, NULL);
    cr_assert_not_null(answer);
}

Test(router, strict_mode_verifies_signatures)
{
    char why[128];
    const char *keys = "AKIDEXAMPLE " SECRET "\n";
    srv.credentials = sim_credentials_parse(keys, strlen(keys), why, sizeof why);
    cr_assert_not_null(srv.credentials, "%s", why);
    srv.cfg.auth_mode = SIM_AUTH_STRICT;
    sim_clock_set_ms(srv.clock, T0 * 1000 + 2000);

    send_signed("AKIDEXAMPLE", SECRET, T0);
    cr_assert_eq(resp.status, 200, "%.*s", (int)resp.body_len, resp.body);
    send_signed("AKIDEXAMPLE", "wrong", T0);
    expect(400, "InvalidSignatureException");
    send_signed("AKIDNOBODY", SECRET, T0);
    expect(400, "UnrecognizedClientException");
    cr_assert_str_eq(json_string_value(json_object_get(answer, "message")),
                     "The security token included in the request is invalid.");
    send_signed("AKIDEXAMPLE", SECRET, T0 - 3600);
    expect(400, "InvalidSignatureException");
    cr_assert(strncmp(json_string_value(json_object_get(answer, "message")), "Signature expired: ", 19) == 0);
    /* the made-up signatures format mode accepts are refused */
    send("POST", CT, T("ListStreams"), AUTH, DATE, "{}");
    cr_assert_eq(resp.status, 400);

    srv.cfg.auth_mode = SIM_AUTH_FORMAT;
    send_signed("AKIDEXAMPLE", "wrong", T0);
    cr_assert_eq(resp.status, 200, "format mode checks the form only");
    sim_credentials_free(srv.credentials);
    srv.credentials = NULL;
}

/* ---- the error buffer and bare SerializationExceptions ---- */

Test(router, long_validation_messages_are_not_cut)
{
    /* ten PutRecords entries with 256-byte partition keys and over-long explicit hash keys */
    json_t *recs = json_array();
    char pk[300];
    memset(pk, 'p', 299);
    pk[299] = 0;
    for (int i = 0; i < 10; i++)
        json_array_append_new(recs, json_pack("{s:s,s:s}", "Data", "AA==", "PartitionKey", pk));
    json_t *in = json_pack("{s:s,s:o}", "StreamName", "s", "Records", recs);
    char *body = json_dumps(in, JSON_COMPACT);
    json_decref(in);
    send("POST", CT, T("PutRecords"), AUTH, DATE, body);
    free(body);
    expect(400, "ValidationException");
    const char *m = json_string_value(json_object_get(answer, "message"));
    cr_assert_gt(strlen(m), 2048, "message is %zu bytes: %s", strlen(m), m);
    cr_assert(strstr(m, "10 validation errors detected: "), "%s", m);
    cr_assert(strstr(m, "records.10.member.partitionKey"), "the last error is missing: %s", m);
}

Test(router, bare_serialization_exception_has_no_message)
{
    sim_response rs;
    memset(&rs, 0, sizeof rs);
    sim_response_error(&rs, CODEC_AWS_JSON, SIM_ERR_SerializationException, 0, "");
    cr_assert_eq(rs.status, 400);
    cr_assert_eq(rs.body_len, strlen("{\"__type\":\"SerializationException\"}"), "%.*s", (int)rs.body_len,
                 rs.body);
    sim_response_clean_up(&rs);
    sim_response_error(&rs, CODEC_AWS_JSON, SIM_ERR_ValidationException, 0, "");
    cr_assert(strstr((char *)rs.body, "\"message\":\"\""), "other errors keep an empty message");
    sim_response_clean_up(&rs);
}

/* ---- the control API's gate ---- */

static void control(const char *method, const char *path, const char *token)
{
    size_t n = 0;
    if (token)
        hdrs[n++] = (sim_header){"X-Sim-Control-Token", (char *)token};
    memset(&req, 0, sizeof req);
    req.method = method;
    req.path = path;
    req.headers = hdrs;
    req.n_headers = n;
    json_decref(answer);
    answer = NULL;
    sim_response_clean_up(&resp);
    sim_dispatch(&srv, &req, &resp);
}

Test(router, control_token_gate)
{
    snprintf(srv.cfg.host, sizeof srv.cfg.host, "127.0.0.1");
    control("GET", "/_sim/clock", NULL);
    cr_assert_neq(resp.status, 403, "loopback without a token: open");

    snprintf(srv.cfg.control_token, sizeof srv.cfg.control_token, "tok-12345678");
    control("GET", "/_sim/clock", NULL);
    cr_assert_eq(resp.status, 403);
    answer = json_loadb((const char *)resp.body, resp.body_len, 0, NULL);
    cr_assert_str_eq(json_string_value(json_object_get(answer, "__type")), "AccessDeniedException");
    control("GET", "/_sim/clock", "tok-1234567");
    cr_assert_eq(resp.status, 403);
    control("GET", "/_sim/clock", "tok-123456789");
    cr_assert_eq(resp.status, 403);
    control("GET", "/_sim/clock", "tok-12345678");
    cr_assert_eq(resp.status, 200, "%.*s", (int)resp.body_len, resp.body);
    control("GET", "/_sim/health", NULL);
    cr_assert_neq(resp.status, 403, "health needs no token");

    srv.cfg.control_token[0] = 0;
    snprintf(srv.cfg.host, sizeof srv.cfg.host, "0.0.0.0");
    control("GET", "/_sim/clock", NULL);
    cr_assert_eq(resp.status, 403, "off loopback the control API needs --control-token");
    answer = json_loadb((const char *)resp.body, resp.body_len, 0, NULL);
    cr_assert(strstr(json_string_value(json_object_get(answer, "message")), "--control-token"));
    /* the data plane is not gated */
    send("POST", CT, T("ListStreams"), NULL, NULL, "{}");
    expect(400, "MissingAuthenticationTokenException");
}

Test(router, every_operation_has_a_handler)
{
    for (size_t i = 0; i < sim_router_op_count(); i++)
        cr_assert_not_null(sim_router_op(i)->handler, "%s has no handler", sim_router_op(i)->name);
    cr_assert_eq(sim_router_lookup("SubscribeToShard")->handler, op_subscribe_to_shard);
}

Test(router, success_is_200_json)
{
    send("POST", CT, T("ListStreams"), AUTH, DATE, "{}");
    cr_assert_eq(resp.status, 200, "%.*s", (int)resp.body_len, resp.body);
    cr_assert_str_eq(resp.content_type, CT);
    cr_assert(json_is_object(answer));
    /* an operation without output: 200 with an empty body (the API reference: "an HTTP 200 response with
     * an empty HTTP body"; kinesalite's splitShard.js and others: body '') */
    send("POST", CT, T("CreateStream"), AUTH, DATE, "{\"StreamName\":\"s\",\"ShardCount\":1}");
    cr_assert_eq(resp.status, 200, "%.*s", (int)resp.body_len, resp.body);
    cr_assert_eq(resp.body_len, 0, "%.*s", (int)resp.body_len, resp.body);
    cr_assert_str_eq(resp.content_type, CT);
}

Test(router, cors)
{
    /* connection.js "should set CORS if OPTIONS and Origin and Headers and Method" and "... set CORS if
     * using Origin" (recorded) */
    hdrs[0] = (sim_header){"Origin", "whatever"};
    hdrs[1] = (sim_header){"Access-Control-Request-Headers", "a, b, c"};
    hdrs[2] = (sim_header){"Access-Control-Request-Method", "d"};
    memset(&req, 0, sizeof req);
    req.method = "OPTIONS";
    req.path = "/";
    req.headers = hdrs;
    req.n_headers = 3;
    sim_response_clean_up(&resp);
    sim_dispatch(&srv, &req, &resp);
    cr_assert_eq(resp.status, 200);
    cr_assert_eq(resp.body_len, 0);
    cr_assert_str_eq(resp.content_type, "");
    cr_assert(resp.no_amz_id2);
    const char *want[][2] = {{"Access-Control-Allow-Origin", "*"},
                             {"Access-Control-Allow-Headers", "a, b, c"},
                             {"Access-Control-Allow-Methods", "d"},
                             {"Access-Control-Max-Age", "172800"}};
    cr_assert_eq(resp.n_extra, 4);
    for (size_t i = 0; i < 4; i++) {
        cr_assert_str_eq(resp.extra[i].name, want[i][0]);
        cr_assert_str_eq(resp.extra[i].value, want[i][1]);
    }
    req.method = "POST";
    req.n_headers = 1;
    sim_response_clean_up(&resp);
    sim_dispatch(&srv, &req, &resp);
    cr_assert_eq(resp.status, 400);
    cr_assert_str_eq(resp.content_type, "application/x-amz-cbor-1.1");
    cr_assert_not(resp.no_amz_id2);
    cr_assert_eq(resp.n_extra, 2);
    cr_assert_str_eq(resp.extra[0].value, "*");
    cr_assert_str_eq(resp.extra[1].name, "Access-Control-Expose-Headers");
    cr_assert_str_eq(
        resp.extra[1].value,
        "x-amzn-RequestId,x-amzn-ErrorType,x-amz-request-id,x-amz-id-2,x-amzn-ErrorMessage,Date");
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
