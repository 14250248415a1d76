/* sim_protocol.c: integration tests of kinesis-sim's front door and router over real HTTP:
 * transport-level errors in AWS's order and words (method, content type, target, body, SigV4
 * presence), the 413 limit and that the server keeps serving after it, Expect: 100-continue,
 * x-amzn-RequestId and a 96-character x-amz-id-2 on every answer, keep-alive reuse, the health
 * endpoint, and AWS's recorded answers outside JSON 1.1 (kinesalite's connection.js): XML 403/404, CBOR
 * errors, the application/json Output envelope, CORS, and empty bodies for operations without output.
 * Needs a running simulator at $KINESIS_SIM_ENDPOINT (ci/run-tests provides one). */
#include <criterion/criterion.h>
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"

#define JSON_CT "Content-Type: application/x-amz-json-1.1"
#define AUTH_OK                                                                                              \
    "Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/kinesis/"                     \
    "aws4_request, SignedHeaders=host;x-amz-date, Signature=abc123"
#define DATE_OK "X-Amz-Date: 20150830T123600Z"
#define TARGET(op) "X-Amz-Target: Kinesis_20131202." op

/* Send, parse the JSON answer, check status and __type; returns the parsed body. */
static json_t *expect_error(const char *method, const char *path, const char *const *headers,
                            const char *body, long status, const char *type)
{
    tl_response r;
    cr_assert_eq(tl_raw(method, path, headers, body, body ? strlen(body) : 0, &r), 0,
                 "transport failed (curl %d)", r.curl_code);
    cr_assert_eq(r.status, status, "status %ld, expected %ld; body %s", r.status, status, r.body);
    json_t *j = json_loads(r.body, 0, NULL);
    cr_assert_not_null(j, "answer is not JSON: %s", r.body);
    cr_assert_str_eq(tl_error_type(j), type, "body %s", r.body);
    char *rid = tl_header(&r, "x-amzn-RequestId");
    cr_assert_not_null(rid, "no x-amzn-RequestId on a %ld answer", r.status);
    free(rid);
    tl_response_free(&r);
    return j;
}

Test(protocol, health_endpoint_answers_ok)
{
    tl_response r;
    cr_assert_eq(tl_raw("GET", "/_sim/health", NULL, NULL, 0, &r), 0);
    cr_assert_eq(r.status, 200);
    json_t *j = json_loads(r.body, 0, NULL);
    cr_assert_str_eq(json_string_value(json_object_get(j, "status")), "ok", "body %s", r.body);
    json_decref(j);
    tl_response_free(&r);
}

/* One raw request; checks status, Content-Type (NULL: none at all) and the exact body. */
static void expect_raw(const char *method, const char *const *headers, const char *body, long status,
                       const char *content_type, const char *want)
{
    tl_response r;
    cr_assert_eq(tl_raw(method, "/", headers, body, body ? strlen(body) : 0, &r), 0,
                 "transport failed (curl %d)", r.curl_code);
    cr_assert_eq(r.status, status, "%s: status %ld, expected %ld; body %s", method, r.status, status, r.body);
    char *ct = tl_header(&r, "Content-Type");
    if (content_type)
        cr_assert(ct && strcmp(ct, content_type) == 0, "%s: Content-Type %s, expected %s", method,
                  ct ? ct : "(none)", content_type);
    else
        cr_assert_null(ct, "%s: a Content-Type (%s) where AWS sends none", method, ct);
    free(ct);
    cr_assert_eq(r.body_len, strlen(want), "%s: body %s", method, r.body);
    cr_assert(memcmp(r.body, want, r.body_len) == 0, "%s: body %s", method, r.body);
    char *rid = tl_header(&r, "x-amzn-RequestId");
    cr_assert_not_null(rid);
    free(rid);
    tl_response_free(&r);
}

#define ACCESS_DENIED_XML                                                                                    \
    "<AccessDeniedException>\n  <Message>Unable to determine service/operation name to be "                  \
    "authorized</Message>\n</AccessDeniedException>\n"

Test(protocol, get_is_access_denied_403)
{
    /* kinesalite's connection.js "should return AccessDeniedException if GET" / "... PUT" / "... DELETE",
     * recorded against AWS: XML, no Content-Type */
    const char *methods[] = {"GET", "PUT", "DELETE"};
    const char *h[] = {AUTH_OK, DATE_OK, NULL};
    for (size_t i = 0; i < 3; i++)
        expect_raw(methods[i], h, NULL, 403, NULL, ACCESS_DENIED_XML);
    /* "should return AccessDeniedException if body and no Content-Type" */
    const char *none[] = {"Content-Type:", AUTH_OK, DATE_OK, NULL};
    expect_raw("POST", none, "{}", 403, NULL, ACCESS_DENIED_XML);
}

Test(protocol, missing_authentication_token)
{
    const char *h[] = {JSON_CT, TARGET("ListStreams"), NULL};
    json_t *j = expect_error("POST", "/", h, "{}", 400, "MissingAuthenticationTokenException");
    cr_assert_str_eq(tl_error_message(j), "Missing Authentication Token");
    json_decref(j);
}

Test(protocol, garbage_authorization_is_incomplete_signature)
{
    const char *h[] = {JSON_CT, TARGET("ListStreams"), "Authorization: garbage", NULL};
    json_t *j = expect_error("POST", "/", h, "{}", 400, "IncompleteSignatureException");
    cr_assert_str_eq(tl_error_message(j),
                     "Authorization header requires 'Credential' parameter. "
                     "Authorization header requires 'Signature' parameter. "
                     "Authorization header requires 'SignedHeaders' parameter. "
                     "Authorization header requires existence of either a 'X-Amz-Date' or a "
                     "'Date' header. Authorization=garbage");
    json_decref(j);
}

Test(protocol, missing_date_is_incomplete_signature)
{
    const char *h[] = {JSON_CT, TARGET("ListStreams"), AUTH_OK, NULL};
    json_t *j = expect_error("POST", "/", h, "{}", 400, "IncompleteSignatureException");
    cr_assert(strstr(tl_error_message(j), "Authorization header requires existence of either a "
                                          "'X-Amz-Date' or a 'Date' header. Authorization=AWS4"),
              "%s", tl_error_message(j));
    json_decref(j);
}

Test(protocol, header_and_query_auth_is_invalid_signature)
{
    const char *h[] = {JSON_CT, TARGET("ListStreams"), AUTH_OK, DATE_OK, NULL};
    json_t *j =
        expect_error("POST", "/?X-Amz-Algorithm=AWS4-HMAC-SHA256", h, "{}", 400, "InvalidSignatureException");
    cr_assert_str_eq(tl_error_message(j), "Found both 'X-Amz-Algorithm' as a query-string param "
                                          "and 'Authorization' as HTTP header.");
    json_decref(j);
}

Test(protocol, incomplete_query_auth)
{
    const char *h[] = {JSON_CT, TARGET("ListStreams"), NULL};
    json_t *j = expect_error("POST", "/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20150830T1", h, "{}", 400,
                             "IncompleteSignatureException");
    cr_assert_str_eq(tl_error_message(j), "AWS query-string parameters must include 'X-Amz-Credential'. "
                                          "AWS query-string parameters must include 'X-Amz-Signature'. "
                                          "AWS query-string parameters must include 'X-Amz-SignedHeaders'. "
                                          "Re-examine the query-string parameters.");
    json_decref(j);
}

Test(protocol, complete_query_auth_reaches_the_operation)
{
    const char *h[] = {JSON_CT, TARGET("ListStreams"), NULL};
    tl_response r;
    cr_assert_eq(tl_raw("POST",
                        "/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20150830%2F"
                        "us-east-1%2Fkinesis%2Faws4_request&X-Amz-Date=20150830T123600Z&"
                        "X-Amz-SignedHeaders=host&X-Amz-Signature=abc",
                        h, "{}", 2, &r),
                 0);
    cr_assert_eq(r.status, 200, "body %s", r.body);
    tl_response_free(&r);
}

Test(protocol, unknown_target_has_no_message)
{
    const char *h[] = {JSON_CT, TARGET("NoSuchOperation"), AUTH_OK, DATE_OK, NULL};
    json_t *j = expect_error("POST", "/", h, "{}", 400, "UnknownOperationException");
    cr_assert_null(json_object_get(j, "message"));
    json_decref(j);
    const char *h2[] = {JSON_CT, "X-Amz-Target: Kinesis_20991231.ListStreams", AUTH_OK, DATE_OK, NULL};
    json_decref(expect_error("POST", "/", h2, "{}", 400, "UnknownOperationException"));
}

Test(protocol, missing_target_is_unknown_operation)
{
    const char *h[] = {JSON_CT, AUTH_OK, DATE_OK, NULL};
    json_decref(expect_error("POST", "/", h, "{}", 400, "UnknownOperationException"));
}

Test(protocol, unsupported_content_type)
{
    /* a body in a content type AWS does not speak: 404 <UnknownOperationException/> when the target names
     * an operation, 403 AccessDenied when it does not (kinesalite 3.3.3's index.js; connection.js's
     * recorded matrix), both XML without Content-Type */
    const char *h[] = {"Content-Type: text/plain", TARGET("ListStreams"), AUTH_OK, DATE_OK, NULL};
    expect_raw("POST", h, "{}", 404, NULL, "<UnknownOperationException/>\n");
    const char *h2[] = {"Content-Type: text/plain", AUTH_OK, DATE_OK, NULL};
    expect_raw("POST", h2, "{}", 403, NULL, ACCESS_DENIED_XML);
}

Test(protocol, content_type_parameters_accepted_and_plain_json_gets_the_envelope)
{
    const char *h[] = {"Content-Type: application/x-amz-json-1.1; charset=utf-8", TARGET("ListStreams"),
                       AUTH_OK, DATE_OK, NULL};
    tl_response r;
    cr_assert_eq(tl_raw("POST", "/", h, "{}", 2, &r), 0);
    cr_assert_eq(r.status, 200, "body %s", r.body);
    tl_response_free(&r);
    /* connection.js "should return UnknownOperationException if valid target and body and
     * application/json" and "... SerializationException if non-JSON body and application/json [with
     * spaces]" (recorded): AWS's old Output envelope, signed or not */
    const char *h2[] = {"Content-Type: application/json", TARGET("ListStreams"), NULL};
    expect_raw("POST", h2, "{}", 404, "application/json",
               "{\"Output\":{\"__type\":\"com.amazon.coral.service#UnknownOperationException\"},\"Version\":"
               "\"1.0\"}");
    const char *h3[] = {"Content-Type:      application/json     ;", TARGET("ListStreams"), NULL};
    expect_raw(
        "POST", h3, "hello", 400, "application/json",
        "{\"Output\":{\"__type\":\"com.amazon.coral.service#SerializationException\"},\"Version\":\"1.0\"}");
    const char *h4[] = {"Content-Type: application/json", TARGET("ListStreams"), AUTH_OK, DATE_OK, NULL};
    expect_raw("POST", h4, "{}", 404, "application/json",
               "{\"Output\":{\"__type\":\"com.amazon.coral.service#UnknownOperationException\"},\"Version\":"
               "\"1.0\"}");
}

/* The CBOR map {"__type": type}, as AWS writes it (a one-entry map of two text strings). */
static void expect_cbor_type(const tl_response *r, const char *type)
{
    char *ct = tl_header(r, "Content-Type");
    cr_assert(ct && strcmp(ct, "application/x-amz-cbor-1.1") == 0, "Content-Type %s", ct ? ct : "(none)");
    free(ct);
    size_t n = strlen(type);
    cr_assert_eq(r->body_len, 1 + 1 + 6 + (n < 24 ? 1 : 2) + n, "CBOR body of %zu bytes", r->body_len);
    const uint8_t *b = (const uint8_t *)r->body;
    cr_assert(b[0] == 0xa1 || b[0] == 0xbf, "not a CBOR map: %02x", b[0]);
    cr_assert(b[1] == 0x66 && memcmp(b + 2, "__type", 6) == 0, "first key is not __type");
    size_t off = 8 + (n < 24 ? 1 : 2);
    cr_assert(memcmp(b + off, type, n) == 0, "__type is not %s", type);
}

Test(protocol, requests_that_are_not_json_1_1_get_cbor_errors)
{
    /* connection.js "should return CBOR UnknownOperationException if POST with no body", "... if
     * x-amz-json-1.0 Content-Type", "... if random Content-Type", "... if no target and application/json",
     * "should return CBOR SerializationException if no Content-Type", "... if valid target and
     * application/json" (recorded against AWS) */
    const char *cts[] = {"Content-Type:", "Content-Type: application/x-amz-json-1.0",
                         "Content-Type: application/x-amz-json-1.1asdf", "Content-Type: application/json"};
    for (size_t i = 0; i < 4; i++) {
        const char *h[] = {cts[i], AUTH_OK, DATE_OK, NULL};
        tl_response r;
        cr_assert_eq(tl_raw("POST", "/", h, NULL, 0, &r), 0);
        cr_assert_eq(r.status, 400, "%s: status %ld", cts[i], r.status);
        expect_cbor_type(&r, "UnknownOperationException");
        tl_response_free(&r);
        const char *h2[] = {cts[i], TARGET("ListStreams"), AUTH_OK, DATE_OK, NULL};
        cr_assert_eq(tl_raw("POST", "/", h2, NULL, 0, &r), 0);
        cr_assert_eq(r.status, 400, "%s: status %ld", cts[i], r.status);
        expect_cbor_type(&r, "SerializationException");
        tl_response_free(&r);
    }
}

Test(protocol, cors)
{
    /* connection.js "should set CORS if OPTIONS and Origin and Headers and Method" (signed or not): 200, a
     * request id, Allow-Origin *, the requested headers and method echoed, Max-Age 172800, Content-Length
     * 0, and no Content-Type, x-amz-id-2 or body */
    const char *h[] = {"Origin: whatever", "Access-Control-Request-Headers: a, b, c",
                       "Access-Control-Request-Method: d", NULL};
    const char *signed_h[] = {"Origin: whatever", AUTH_OK, DATE_OK, NULL};
    const char *const *variants[] = {h, signed_h};
    for (size_t v = 0; v < 2; v++) {
        tl_response r;
        cr_assert_eq(tl_raw("OPTIONS", "/", variants[v], NULL, 0, &r), 0);
        cr_assert_eq(r.status, 200, "variant %zu: %ld %s", v, r.status, r.body);
        cr_assert_eq(r.body_len, 0);
        char *rid = tl_header(&r, "x-amzn-RequestId"), *origin = tl_header(&r, "Access-Control-Allow-Origin"),
             *age = tl_header(&r, "Access-Control-Max-Age"), *len = tl_header(&r, "Content-Length"),
             *ct = tl_header(&r, "Content-Type"), *id2 = tl_header(&r, "x-amz-id-2");
        cr_assert(rid && strlen(rid) == 36);
        cr_assert(origin && strcmp(origin, "*") == 0);
        cr_assert(age && strcmp(age, "172800") == 0);
        cr_assert(len && strcmp(len, "0") == 0);
        cr_assert_null(ct, "a preflight answer has no Content-Type: %s", ct);
        cr_assert_null(id2, "a preflight answer has no x-amz-id-2: %s", id2);
        if (v == 0) {
            char *ah = tl_header(&r, "Access-Control-Allow-Headers"),
                 *am = tl_header(&r, "Access-Control-Allow-Methods");
            cr_assert(ah && strcmp(ah, "a, b, c") == 0, "%s", ah ? ah : "(none)");
            cr_assert(am && strcmp(am, "d") == 0, "%s", am ? am : "(none)");
            free(ah);
            free(am);
        }
        free(rid);
        free(origin);
        free(age);
        free(len);
        tl_response_free(&r);
    }
    /* any other request with Origin: "should return CBOR UnknownOperationException and set CORS if using
     * Origin" */
    const char *o[] = {"Origin: whatever", "Content-Type:", NULL};
    tl_response r;
    cr_assert_eq(tl_raw("POST", "/", o, NULL, 0, &r), 0);
    cr_assert_eq(r.status, 400);
    expect_cbor_type(&r, "UnknownOperationException");
    char *origin = tl_header(&r, "Access-Control-Allow-Origin"),
         *expose = tl_header(&r, "Access-Control-Expose-Headers");
    cr_assert(origin && strcmp(origin, "*") == 0);
    cr_assert(
        expose &&
            strcmp(
                expose,
                "x-amzn-RequestId,x-amzn-ErrorType,x-amz-request-id,x-amz-id-2,x-amzn-ErrorMessage,Date") ==
                0,
        "%s", expose ? expose : "(none)");
    free(origin);
    free(expose);
    tl_response_free(&r);
    /* a successful call with Origin carries them too */
    const char *ok[] = {
        "Origin: https://example.com", JSON_CT, TARGET("ListStreams"), AUTH_OK, DATE_OK, NULL};
    cr_assert_eq(tl_raw("POST", "/", ok, "{}", 2, &r), 0);
    cr_assert_eq(r.status, 200);
    origin = tl_header(&r, "Access-Control-Allow-Origin");
    cr_assert(origin && strcmp(origin, "*") == 0);
    free(origin);
    tl_response_free(&r);
}

Test(protocol, operations_without_output_answer_an_empty_body)
{
    /* the API reference: "an HTTP 200 response with an empty HTTP body"; kinesalite's splitShard.js,
     * mergeShards.js, deleteStream.js: res.body.should.equal('') (recorded) */
    char name[64], body[160];
    tl_unique_name("empty", name, sizeof name);
    snprintf(body, sizeof body, "{\"StreamName\":\"%s\",\"ShardCount\":1}", name);
    const char *h[] = {JSON_CT, TARGET("CreateStream"), AUTH_OK, DATE_OK, NULL};
    tl_response r;
    cr_assert_eq(tl_raw("POST", "/", h, body, strlen(body), &r), 0);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_eq(r.body_len, 0, "body %s", r.body);
    char *len = tl_header(&r, "Content-Length");
    cr_assert(len && strcmp(len, "0") == 0);
    free(len);
    tl_response_free(&r);
    snprintf(body, sizeof body, "{\"StreamName\":\"%s\"}", name);
    const char *d[] = {JSON_CT, TARGET("DeleteStream"), AUTH_OK, DATE_OK, NULL};
    cr_assert_eq(tl_raw("POST", "/", d, body, strlen(body), &r), 0);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_eq(r.body_len, 0, "body %s", r.body);
    tl_response_free(&r);
}

Test(protocol, empty_body)
{
    const char *h[] = {JSON_CT, TARGET("ListStreams"), AUTH_OK, DATE_OK, NULL};
    json_decref(expect_error("POST", "/", h, NULL, 400, "SerializationException"));
    const char *h2[] = {JSON_CT, TARGET("Nope"), AUTH_OK, DATE_OK, NULL};
    json_decref(expect_error("POST", "/", h2, NULL, 400, "UnknownOperationException"));
}

Test(protocol, malformed_and_truncated_json)
{
    const char *h[] = {JSON_CT, TARGET("ListStreams"), AUTH_OK, DATE_OK, NULL};
    const char *bad[] = {"{",     "{\"Limit\":1", "{\"StreamName\":\"ab", "not json", "[]",
                         "\"x\"", "12",           "{\"a\":1}}",           "null"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        json_decref(expect_error("POST", "/", h, bad[i], 400, "SerializationException"));
}

Test(protocol, body_is_checked_before_auth_and_target)
{
    /* AWS parses the body first: a bad body with no auth is still a SerializationException */
    const char *h[] = {JSON_CT, TARGET("ListStreams"), NULL};
    json_decref(expect_error("POST", "/", h, "{", 400, "SerializationException"));
}

Test(protocol, wrong_member_type_is_serialization_exception_with_capital_message)
{
    const char *h[] = {JSON_CT, TARGET("ListStreams"), AUTH_OK, DATE_OK, NULL};
    json_t *j = expect_error("POST", "/", h, "{\"Limit\":\"ten\"}", 400, "SerializationException");
    cr_assert(json_is_string(json_object_get(j, "Message")), "no Message key");
    cr_assert_null(json_object_get(j, "message"));
    json_decref(j);
}

Test(protocol, model_validation_runs_after_auth)
{
    const char *h[] = {JSON_CT, TARGET("ListStreams"), AUTH_OK, DATE_OK, NULL};
    json_t *j = expect_error("POST", "/", h, "{\"Limit\":0}", 400, "ValidationException");
    cr_assert(strncmp(tl_error_message(j), "1 validation error detected: ", 29) == 0, "%s",
              tl_error_message(j));
    json_decref(j);
}

static int is_uuid_v4(const char *s)
{
    if (!s || strlen(s) != 36)
        return 0;
    for (int i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-')
                return 0;
        } else if (!isxdigit((unsigned char)s[i]))
            return 0;
    }
    return s[14] == '4' && strchr("89ab", s[19]) != NULL;
}

Test(protocol, request_id_on_every_answer)
{
    const char *ok[] = {JSON_CT, TARGET("ListStreams"), AUTH_OK, DATE_OK, NULL};
    const char *noauth[] = {JSON_CT, TARGET("ListStreams"), NULL};
    const char *badct[] = {"Content-Type: text/plain", TARGET("ListStreams"), NULL};
    struct {
        const char *method, *path;
        const char *const *h;
        const char *body;
    } cases[] = {{"POST", "/", ok, "{}"},     {"GET", "/", NULL, NULL}, {"POST", "/", noauth, "{}"},
                 {"POST", "/", badct, "{}"},  {"POST", "/", ok, "{"},   {"GET", "/_sim/health", NULL, NULL},
                 {"DELETE", "/x", NULL, NULL}};
    char seen[8][40];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tl_response r;
        cr_assert_eq(tl_raw(cases[i].method, cases[i].path, cases[i].h, cases[i].body,
                            cases[i].body ? strlen(cases[i].body) : 0, &r),
                     0);
        char *rid = tl_header(&r, "x-amzn-RequestId");
        cr_assert(is_uuid_v4(rid), "case %zu (%ld): bad request id '%s'", i, r.status, rid ? rid : "(none)");
        /* base64 of 72 random bytes: kinesalite's connection.js (recorded) decodes AWS's to 64-80 bytes */
        char *id2 = tl_header(&r, "x-amz-id-2");
        cr_assert(id2 && strlen(id2) == 96 &&
                      strspn(id2, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                  "0123456789+/") == 96,
                  "case %zu: x-amz-id-2 '%s' is not 96 base64 characters", i, id2 ? id2 : "(none)");
        snprintf(seen[i], sizeof seen[i], "%s", rid);
        for (size_t k = 0; k < i; k++)
            cr_assert_str_neq(seen[k], seen[i], "request ids repeat");
        free(rid);
        free(id2);
        tl_response_free(&r);
    }
}

Test(protocol, success_answer_headers)
{
    const char *h[] = {JSON_CT, TARGET("ListStreams"), AUTH_OK, DATE_OK, NULL};
    tl_response r;
    cr_assert_eq(tl_raw("POST", "/", h, "{}", 2, &r), 0);
    cr_assert_eq(r.status, 200);
    char *ct = tl_header(&r, "Content-Type");
    cr_assert_str_eq(ct, "application/x-amz-json-1.1");
    free(ct);
    json_t *j = json_loads(r.body, 0, NULL);
    cr_assert(json_is_object(j), "body %s", r.body);
    json_decref(j);
    tl_response_free(&r);
}

static char *big_json(size_t n)
{
    /* "{}" followed by n-2 spaces: valid JSON of exactly n bytes */
    char *b = malloc(n + 1);
    cr_assert_not_null(b);
    memset(b, ' ', n);
    b[0] = '{';
    b[1] = '}';
    b[n] = 0;
    return b;
}

Test(protocol, oversized_body_is_413_and_server_keeps_serving)
{
    size_t n = (size_t)8 * 1024 * 1024; /* the default limit is 7 MiB */
    char *b = big_json(n);
    const char *with_expect[] = {JSON_CT, TARGET("ListStreams"),  AUTH_OK,
                                 DATE_OK, "Expect: 100-continue", NULL};
    const char *no_expect[] = {JSON_CT, TARGET("ListStreams"), AUTH_OK, DATE_OK, "Expect:", NULL};
    const char *chunked[] = {JSON_CT, TARGET("ListStreams"),        AUTH_OK,
                             DATE_OK, "Transfer-Encoding: chunked", NULL};
    const char *const *variants[] = {with_expect, no_expect, chunked};
    for (size_t v = 0; v < 3; v++) {
        tl_response r;
        int rc = tl_raw("POST", "/", variants[v], b, n, &r);
        /* Without Expect, the server may close while curl is still sending: then curl reports a
         * send error instead of the status. With Expect or chunked, the 413 always arrives. */
        if (v != 1 || rc == 0) {
            cr_assert_eq(r.status, 413, "variant %zu: status %ld (curl %d)", v, r.status, r.curl_code);
            json_t *j = json_loads(r.body, 0, NULL);
            cr_assert_str_eq(tl_error_type(j), "RequestEntityTooLarge", "body %s", r.body);
            cr_assert(strstr(tl_error_message(j), "exceeds the maximum of 7340032 bytes"), "%s",
                      tl_error_message(j));
            json_decref(j);
            char *rid = tl_header(&r, "x-amzn-RequestId");
            cr_assert_not_null(rid);
            free(rid);
        }
        tl_response_free(&r);
        cr_assert_eq(tl_raw("GET", "/_sim/health", NULL, NULL, 0, &r), 0);
        cr_assert_eq(r.status, 200, "server stopped serving after an oversized body");
        tl_response_free(&r);
    }
    free(b);
}

Test(protocol, expect_100_continue_with_a_large_body)
{
    size_t n = (size_t)3 * 1024 * 1024; /* under the limit, several reads on the server side */
    char *b = big_json(n);
    const char *h[] = {JSON_CT, TARGET("ListStreams"), AUTH_OK, DATE_OK, "Expect: 100-continue", NULL};
    tl_response r;
    cr_assert_eq(tl_raw("POST", "/", h, b, n, &r), 0, "curl %d", r.curl_code);
    cr_assert(strstr(r.headers, "100 Continue"), "no 100 Continue in: %s", r.headers);
    cr_assert_eq(r.status, 200, "body %s", r.body);
    tl_response_free(&r);
    free(b);
}

Test(protocol, keep_alive_connection_is_reused)
{
    tl_conn *c = tl_conn_new();
    cr_assert_not_null(c);
    const char *ok[] = {JSON_CT, TARGET("ListStreams"), AUTH_OK, DATE_OK, NULL};
    const char *bad[] = {JSON_CT, TARGET("Nope"), AUTH_OK, DATE_OK, NULL};
    tl_response r;
    cr_assert_eq(tl_conn_raw(c, "POST", "/", ok, "{}", 2, &r), 0);
    cr_assert_eq(r.num_connects, 1);
    tl_response_free(&r);
    for (int i = 0; i < 5; i++) { /* errors do not close the connection either */
        cr_assert_eq(tl_conn_raw(c, "POST", "/", i % 2 ? bad : ok, "{}", 2, &r), 0);
        cr_assert_eq(r.num_connects, 0, "request %d opened a new connection", i);
        tl_response_free(&r);
    }
    tl_conn_free(c);
}

Test(protocol, tl_call_passes_the_generic_checks)
{
    long status = 0;
    json_t *out = tl_call_json("ListStreams", NULL, &status);
    cr_assert_eq(status, 200);
    cr_assert(json_is_object(out));
    json_decref(out);
    json_t *in = json_pack("{s:i}", "Limit", 0);
    out = tl_call_json("ListStreams", in, &status);
    cr_assert_eq(status, 400);
    cr_assert_str_eq(tl_error_type(out), "ValidationException");
    json_decref(in);
    json_decref(out);
}
