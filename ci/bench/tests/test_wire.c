/* test_wire.c: Criterion tests for the bench's HTTP/1.1 response framing and request building
 * (ci/bench/wire.c). */
#include <criterion/criterion.h>
#include <string.h>

#include "wire.h"

static int parse(const char *s, wire_resp *r)
{
    char err[128];
    return wire_parse_response(s, strlen(s), r, err, sizeof err);
}

Test(wire_parse, whole_response_with_body)
{
    const char *s = "HTTP/1.1 200 OK\r\nContent-Type: x\r\ncontent-length: 5\r\n\r\nhello";
    wire_resp r;
    cr_assert_eq(parse(s, &r), 1);
    cr_assert_eq(r.status, 200);
    cr_assert_eq(r.body_len, 5);
    cr_assert_eq(r.head_len, strlen(s) - 5);
    cr_assert_eq(r.conn_close, 0);
}

Test(wire_parse, incomplete_head_and_body_need_more)
{
    wire_resp r;
    cr_assert_eq(parse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n", &r), 0);
    cr_assert_eq(parse("HTTP/1.1 400 Bad\r\nContent-Length: 5\r\n\r\nhel", &r), 0);
    cr_assert_eq(r.status, 400);
    cr_assert_eq(r.body_len, 5);
    cr_assert_eq(parse("HTT", &r), 0);
}

Test(wire_parse, connection_close_and_http10)
{
    wire_resp r;
    cr_assert_eq(parse("HTTP/1.1 500 X\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", &r), 1);
    cr_assert_eq(r.conn_close, 1);
    cr_assert_eq(r.status, 500);
    cr_assert_eq(parse("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", &r), 1);
    cr_assert_eq(r.conn_close, 1);
    cr_assert_eq(parse("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n", &r), 1);
    cr_assert_eq(r.conn_close, 0);
}

Test(wire_parse, no_length_is_only_fine_without_body)
{
    wire_resp r;
    cr_assert_eq(parse("HTTP/1.1 204 No Content\r\n\r\n", &r), 1);
    cr_assert_eq(r.body_len, 0);
    cr_assert_eq(parse("HTTP/1.1 200 OK\r\n\r\nabc", &r), -1);
    cr_assert_eq(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", &r), -1);
}

Test(wire_parse, malformed_is_rejected)
{
    wire_resp r;
    cr_assert_eq(parse("GARBAGE!\r\n\r\n", &r), -1);
    cr_assert_eq(parse("HTTP/1.1 2x0 OK\r\nContent-Length: 1\r\n\r\n", &r), -1);
    cr_assert_eq(parse("HTTP/1.1 200 OK\r\nContent-Length: 1a\r\n\r\n", &r), -1);
    cr_assert_eq(parse("HTTP/1.1 200 OK\r\nContent-Length: \r\n\r\n", &r), -1);
    cr_assert_eq(parse("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n", &r), -1);
    cr_assert_eq(parse("HTTP/1.1 200 OK\r\nContent-Length: 9999999999999\r\n\r\n", &r), -1);
    cr_assert_eq(parse("HTTP/2 200\r\n\r\n", &r), -1);
}

Test(wire_parse, overlong_head_is_rejected)
{
    size_t n = WIRE_MAX_HEAD + 10;
    char *s = malloc(n + 1);
    memcpy(s, "HTTP/1.1 200 OK\r\n", 17);
    memset(s + 17, 'a', n - 17);
    s[n] = '\0';
    wire_resp r;
    char err[128];
    cr_assert_eq(wire_parse_response(s, n, &r, err, sizeof err), -1);
    free(s);
}

Test(wire_build, kinesis_request_has_headers_and_body)
{
    size_t len;
    char *req = wire_build_request("POST", "/", "127.0.0.1:9", "PutRecord", "{\"a\":1}", 7, &len);
    cr_assert_not_null(req);
    cr_assert_eq(len, strlen(req));
    cr_assert(strstr(req, "POST / HTTP/1.1\r\n") == req);
    cr_assert_not_null(strstr(req, "\r\nHost: 127.0.0.1:9\r\n"));
    cr_assert_not_null(strstr(req, "\r\nX-Amz-Target: Kinesis_20131202.PutRecord\r\n"));
    cr_assert_not_null(strstr(req, "\r\nContent-Type: application/x-amz-json-1.1\r\n"));
    cr_assert_not_null(strstr(req, "\r\nAuthorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"));
    cr_assert_not_null(strstr(req, "\r\nX-Amz-Date: "));
    cr_assert_not_null(strstr(req, "\r\nContent-Length: 7\r\n\r\n{\"a\":1}"));
    free(req);
    req = wire_build_request("GET", "/_sim/health", "127.0.0.1:9", NULL, NULL, 0, &len);
    cr_assert_null(strstr(req, "X-Amz-Target"));
    cr_assert_not_null(strstr(req, "Content-Length: 0\r\n\r\n"));
    free(req);
}

Test(wire_find, finds_first_occurrence_or_null)
{
    const char *h = "abcabcX";
    cr_assert_eq(wire_find(h, 7, "cab", 3), h + 2);
    cr_assert_eq(wire_find(h, 7, "X", 1), h + 6);
    cr_assert_null(wire_find(h, 7, "cX ", 3));
    cr_assert_null(wire_find(h, 6, "X", 1));
    cr_assert_null(wire_find(h, 2, "abc", 3));
}
