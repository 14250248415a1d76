/* test_match.c: JSON paths, field matchers and expectations (match.c). */
#include <criterion/criterion.h>
#include <string.h>

#include "match.h"

static json_t *J(const char *text)
{
    json_error_t e;
    json_t *v = json_loads(text, JSON_DECODE_ANY, &e);
    cr_assert_not_null(v, "test JSON: %s", e.text);
    return v;
}

static const char *BODY =
    "{\"StreamDescription\": {\"StreamName\": \"s\", \"HasMoreShards\": false,"
    " \"Shards\": [{\"ShardId\": \"shardId-000000000000\", \"HashKeyRange\": {\"StartingHashKey\": \"0\","
    " \"EndingHashKey\": \"170141183460469231731687303715884105727\"}},"
    " {\"ShardId\": \"shardId-000000000001\", \"HashKeyRange\": {\"StartingHashKey\": "
    "\"170141183460469231731687303715884105728\", \"EndingHashKey\": "
    "\"340282366920938463463374607431768211455\"}}]},"
    " \"Next\": null, \"Millis\": 12, \"Ts\": 1459799926.48}";

static int field(const char *body, const char *matcher, char *why, size_t n)
{
    json_t *b = J(body), *m = J(matcher);
    json_t *fields = json_array();
    json_array_append(fields, m);
    cf_response r = {.status = 200, .body = b};
    int rc = cf_check_fields(fields, &r, why, n);
    json_decref(fields);
    json_decref(m);
    json_decref(b);
    return rc;
}

#define PASS(m)                                                                                              \
    do {                                                                                                     \
        char why_[512] = "";                                                                                 \
        cr_assert_eq(field(BODY, m, why_, sizeof why_), 0, "%s should hold: %s", m, why_);                   \
    } while (0)
#define FAILS(m, frag)                                                                                       \
    do {                                                                                                     \
        char why_[512] = "";                                                                                 \
        cr_assert_eq(field(BODY, m, why_, sizeof why_), -1, "%s should fail", m);                            \
        cr_assert(strstr(why_, frag), "%s: reason '%s' lacks '%s'", m, why_, frag);                          \
    } while (0)

Test(match, paths)
{
    json_t *b = J(BODY);
    char err[128];
    cr_assert_str_eq(
        json_string_value(cf_json_path(b, "StreamDescription.Shards[1].ShardId", err, sizeof err)),
        "shardId-000000000001");
    cr_assert_str_eq(
        json_string_value(cf_json_path(b, "StreamDescription.Shards[-1].ShardId", err, sizeof err)),
        "shardId-000000000001");
    cr_assert_str_eq(
        json_string_value(cf_json_path(
            b, "StreamDescription.Shards[?ShardId=shardId-000000000000].HashKeyRange.StartingHashKey", err,
            sizeof err)),
        "0");
    cr_assert_null(cf_json_path(b, "StreamDescription.Shards[2]", err, sizeof err));
    cr_assert_eq(err[0], '\0');
    cr_assert_null(cf_json_path(b, "StreamDescription.Shards[?ShardId=nope]", err, sizeof err));
    cr_assert_null(cf_json_path(b, "StreamDescription.Nope.Deeper", err, sizeof err));
    cr_assert_eq(cf_json_path(b, "", err, sizeof err), b);
    cr_assert_eq(cf_json_path(b, "$", err, sizeof err), b);
    cr_assert_null(cf_json_path(b, "StreamDescription.Shards[x]", err, sizeof err));
    cr_assert(strstr(err, "bad index"));
    cr_assert_null(cf_json_path(b, "StreamDescription.Shards[0", err, sizeof err));
    cr_assert(strstr(err, "missing ']'"));
    json_decref(b);
}

Test(match, equality_and_patterns)
{
    PASS("{\"path\": \"StreamDescription.StreamName\", \"equals\": \"s\"}");
    FAILS("{\"path\": \"StreamDescription.StreamName\", \"equals\": \"t\"}", "expected \"t\"");
    PASS("{\"path\": \"Millis\", \"equals\": 12.0}");
    PASS("{\"path\": \"StreamDescription.StreamName\", \"not_equals\": \"t\"}");
    FAILS("{\"path\": \"StreamDescription.StreamName\", \"not_equals\": \"s\"}", "not");
    PASS("{\"path\": \"StreamDescription.StreamName\", \"one_of\": [\"a\", \"s\"]}");
    FAILS("{\"path\": \"StreamDescription.StreamName\", \"one_of\": [\"a\", \"b\"]}", "one of");
    PASS("{\"path\": \"StreamDescription.Shards[0].ShardId\", \"re\": \"^shardId-[0-9]{12}$\"}");
    FAILS("{\"path\": \"StreamDescription.Shards[0].ShardId\", \"re\": \"^shard-\"}", "does not match");
    PASS("{\"path\": \"Millis\", \"re\": \"^12$\"}");
    FAILS("{\"path\": \"StreamDescription.Shards\", \"re\": \"x\"}", "not a scalar");
}

Test(match, types_presence_lengths)
{
    PASS("{\"path\": \"Millis\", \"type\": \"integer\"}");
    PASS("{\"path\": \"Ts\", \"type\": \"number\"}");
    PASS("{\"path\": \"Millis\", \"type\": \"number\"}");
    FAILS("{\"path\": \"Ts\", \"type\": \"integer\"}", "expected a integer, got a number");
    PASS("{\"path\": \"StreamDescription.HasMoreShards\", \"type\": \"boolean\"}");
    PASS("{\"path\": \"Next\", \"absent\": true}");
    PASS("{\"path\": \"Nothing\", \"absent\": true}");
    FAILS("{\"path\": \"Millis\", \"absent\": true}", "expected absent");
    FAILS("{\"path\": \"Next\", \"absent\": false}", "expected a value");
    PASS("{\"path\": \"Next\", \"exists\": true}");
    FAILS("{\"path\": \"Nothing\", \"exists\": true}", "exist");
    PASS("{\"path\": \"StreamDescription.Shards\", \"length\": 2}");
    FAILS("{\"path\": \"StreamDescription.Shards\", \"length\": 3}", "length");
    PASS("{\"path\": \"StreamDescription.Shards[0].ShardId\", \"min_length\": 20, \"max_length\": 20}");
    FAILS("{\"path\": \"StreamDescription.Shards[0].ShardId\", \"max_length\": 19}", "max_length");
    FAILS("{\"path\": \"Nothing\", \"equals\": 1}", "no value");
}

Test(match, big_number_relations)
{
    PASS("{\"path\": \"StreamDescription.Shards[1].HashKeyRange.EndingHashKey\", \"gt\": "
         "\"340282366920938463463374607431768211454\"}");
    FAILS("{\"path\": \"StreamDescription.Shards[1].HashKeyRange.EndingHashKey\", \"gt\": "
          "\"340282366920938463463374607431768211455\"}",
          "is not gt");
    PASS("{\"path\": \"StreamDescription.Shards[1].HashKeyRange.EndingHashKey\", \"ge\": "
         "\"340282366920938463463374607431768211455\"}");
    /* string comparison would get this wrong: "9" > "10" as text */
    PASS("{\"path\": \"StreamDescription.Shards[1].HashKeyRange.StartingHashKey\", \"gt\": \"99999\"}");
    PASS("{\"path\": \"Millis\", \"lt\": 13, \"le\": 12, \"ge\": \"12\"}");
    PASS("{\"path\": \"Ts\", \"gt\": 1459799926}");
    FAILS("{\"path\": \"StreamDescription.StreamName\", \"gt\": 1}", "cannot compare");
}

Test(match, expectations)
{
    cf_response ok = {.status = 200, .body = J("{\"A\": 1}")};
    cf_response bad = {.status = 400,
                       .body = J("{\"__type\": \"com.amazonaws.kinesis.v20131202#ResourceNotFoundException\","
                                 " \"message\": \"Stream s under account 000000000000 not found.\"}")};
    cf_response_parse_error(&bad);
    cr_assert_str_eq(bad.error_name, "ResourceNotFoundException");
    char why[512];
    cr_assert_eq(cf_check_expect(NULL, &ok, why, sizeof why), 0);
    cr_assert_eq(cf_check_expect(NULL, &bad, why, sizeof why), -1);
    cr_assert(strstr(why, "expected success"), "%s", why);

    json_t *e = J("{\"status\": 400, \"error\": \"ResourceNotFoundException\","
                  " \"message_re\": \"^Stream s under account [0-9]{12} not found\\\\.$\"}");
    cr_assert_eq(cf_check_expect(e, &bad, why, sizeof why), 0, "%s", why);
    cr_assert_eq(cf_check_expect(e, &ok, why, sizeof why), -1);
    json_decref(e);
    e = J("{\"status\": 400, \"error\": \"ResourceInUseException\"}");
    cr_assert_eq(cf_check_expect(e, &bad, why, sizeof why), -1);
    cr_assert(strstr(why, "ResourceInUseException"), "%s", why);
    json_decref(e);
    e = J("{\"error\": \"ResourceNotFoundException\", \"message\": \"Stream s not found.\"}");
    cr_assert_eq(cf_check_expect(e, &bad, why, sizeof why), -1);
    cr_assert(strstr(why, "message"), "%s", why);
    json_decref(e);
    e = J("{\"status\": [400, 404], \"error\": [\"ValidationException\", \"ResourceNotFoundException\"]}");
    cr_assert_eq(cf_check_expect(e, &bad, why, sizeof why), 0, "%s", why);
    json_decref(e);
    e = J("{\"status\": 500}");
    cr_assert_eq(cf_check_expect(e, &bad, why, sizeof why), -1);
    cr_assert(strstr(why, "HTTP status 400"), "%s", why);
    json_decref(e);

    /* any_of: one alternative must hold */
    e = J("{\"any_of\": [{\"error\": \"ValidationException\"}, {\"error\": \"ResourceNotFoundException\"}]}");
    cr_assert_eq(cf_check_expect(e, &bad, why, sizeof why), 0, "%s", why);
    cr_assert_eq(cf_check_expect(e, &ok, why, sizeof why), -1);
    cr_assert(strstr(why, "none of the 2"), "%s", why);
    json_decref(e);

    cf_response none = {.transport_error = strdup("Connection refused")};
    cr_assert_eq(cf_check_expect(NULL, &none, why, sizeof why), -1);
    cr_assert(strstr(why, "Connection refused"));
    cf_response_clean_up(&none);
    cf_response_clean_up(&ok);
    cf_response_clean_up(&bad);
}

Test(match, error_type_from_header_and_capital_message)
{
    cf_response r = {.status = 400,
                     .body = J("{\"Message\": \"Start of structure or map found where not expected.\"}"),
                     .headers =
                         J("{\"x-amzn-errortype\": \"SerializationException:http://internal.amazon.com/\"}")};
    cf_response_parse_error(&r);
    cr_assert_str_eq(r.error_name, "SerializationException");
    cr_assert_str_eq(r.error_message, "Start of structure or map found where not expected.");
    cf_response_clean_up(&r);
}

/* body_contains / body_re read the raw body, for answers that are not JSON (Prometheus text). */
Test(match, body_contains_and_body_re_on_text_answers)
{
    const char *metrics = "# HELP kinesis_sim_records_stored_total Records acknowledged.\n"
                          "# TYPE kinesis_sim_records_stored_total counter\n"
                          "kinesis_sim_records_stored_total 42\n"
                          "kinesis_sim_requests_total{operation=\"ListStreams\",outcome=\"ok\"} 3\n";
    cf_response r = {.status = 200, .raw_body = strdup(metrics)};
    char why[1024];
    json_t *e =
        J("{\"status\": 200, \"body_contains\": \"# TYPE kinesis_sim_records_stored_total counter\"}");
    cr_assert_eq(cf_check_expect(e, &r, why, sizeof why), 0, "%s", why);
    json_decref(e);
    e = J("{\"body_contains\": [\"kinesis_sim_records_stored_total\", \"kinesis_sim_throttled_total\"]}");
    cr_assert_eq(cf_check_expect(e, &r, why, sizeof why), -1, "every entry of the list must be there");
    cr_assert(strstr(why, "body does not contain 'kinesis_sim_throttled_total'"), "%s", why);
    json_decref(e);

    /* ^ and $ are line anchors (REG_NEWLINE): the sample line matches as a whole line */
    e = J("{\"body_re\": [\"^kinesis_sim_records_stored_total [0-9]+$\","
          " \"^kinesis_sim_requests_total\\\\{operation=\\\"ListStreams\\\",outcome=\\\"ok\\\"\\\\} "
          "[1-9][0-9]*$\"]}");
    cr_assert_eq(cf_check_expect(e, &r, why, sizeof why), 0, "%s", why);
    json_decref(e);
    e = J("{\"body_re\": \"^kinesis_sim_records_stored_total [a-z]+$\"}");
    cr_assert_eq(cf_check_expect(e, &r, why, sizeof why), -1);
    cr_assert(
        strstr(why,
               "body does not match /^kinesis_sim_records_stored_total [a-z]+$/ on any line (body: # HELP"),
        "%s", why);
    cr_assert_null(strchr(why, '\n'), "the reason stays on one line: %s", why);
    json_decref(e);
    /* '.' does not cross lines: "HELP.*42" would match across lines without REG_NEWLINE */
    e = J("{\"body_re\": \"HELP.*42\"}");
    cr_assert_eq(cf_check_expect(e, &r, why, sizeof why), -1);
    json_decref(e);

    /* beside any_of, body checks hold for every alternative */
    e = J("{\"any_of\": [{\"status\": 200}, {\"status\": 204}], \"body_contains\": \"nothing like this\"}");
    cr_assert_eq(cf_check_expect(e, &r, why, sizeof why), -1);
    json_decref(e);

    /* an error answer without a body: body_contains fails with a reason, nothing crashes */
    cf_response empty = {.status = 500};
    e = J("{\"status\": 500, \"body_contains\": \"x\"}");
    cr_assert_eq(cf_check_expect(e, &empty, why, sizeof why), -1);
    json_decref(e);
    cf_response_clean_up(&r);
}
