/* test_report.c: the report writers (report.c): TAP version 13 (version line, plan, ok / not ok
 * lines numbered in order, YAML block for failures), JUnit XML (well-formed, testsuite /
 * testcase / failure, text escaped, the suite's time the run's wall time), JSON, and the console
 * lines and operations table; skipped cases (kinesis-conform without --exclusive) in each. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

static cf_case cases[3];
static cf_outcome out[3];

static void setup(void)
{
    static char *tags_a[] = {"aws", "PutRecord"};
    static char *tags_b[] = {"aws", "GetRecords"};
    memset(cases, 0, sizeof cases);
    memset(out, 0, sizeof out);
    cases[0].name = "records/put";
    cases[0].tags = tags_a;
    cases[0].n_tags = 2;
    cases[1].name = "records/get#1 <&>";
    cases[1].tags = tags_b;
    cases[1].n_tags = 2;
    cases[2].name = "plain";
    cases[2].tags = tags_a;
    cases[2].n_tags = 2;
    cases[2].gap = "not in kinesis-sim";
    static char *src_a[] = {"recorded: kinesalite test/putRecord.js \"should work\"",
                            "model: PutRecordInput"};
    static char *src_b[] = {"model: GetRecordsInput.Limit"};
    cases[0].sources = src_a;
    cases[0].n_sources = 2;
    cases[0].source_kinds = (1u << CF_SOURCE_RECORDED) | (1u << CF_SOURCE_MODEL);
    cases[1].sources = src_b;
    cases[1].n_sources = 1;
    cases[1].source_kinds = 1u << CF_SOURCE_MODEL;
    for (int k = 0; k < 3; k++)
        out[k].c = &cases[k];
    out[0].res.passed = 1;
    out[1].res.reason = strdup("steps[0] (GetRecords): message 'a < b & \"c\"\n' expected '\x01'");
    out[2].res.passed = 1;
}

static void teardown(void)
{
    free(out[1].res.reason);
}

static char *render(int (*fn)(FILE *, const cf_outcome *, size_t))
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    cr_assert_eq(fn(f, out, 3), 0);
    fclose(f);
    return buf;
}

static int junit(FILE *f, const cf_outcome *o, size_t n)
{
    return cf_write_junit(f, o, n, "kinesis-conform", 12.5);
}

TestSuite(report, .init = setup, .fini = teardown);

Test(report, tap)
{
    char *t = render(cf_write_tap);
    char *save = NULL, *line = strtok_r(t, "\n", &save);
    cr_assert_str_eq(line, "TAP version 13");
    line = strtok_r(NULL, "\n", &save);
    cr_assert_str_eq(line, "1..3");
    int seen = 0, in_yaml = 0;
    for (line = strtok_r(NULL, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (!strcmp(line, "  ---")) {
            in_yaml = 1;
            continue;
        }
        if (!strcmp(line, "  ...")) {
            in_yaml = 0;
            continue;
        }
        if (in_yaml) {
            cr_assert(!strncmp(line, "  ", 2), "YAML lines are indented: '%s'", line);
            continue;
        }
        if (!strncmp(line, "# ", 2)) /* a TAP comment: the counts by evidence */
            continue;
        seen++;
        char want[128];
        snprintf(want, sizeof want, "%s %d - ", seen == 2 ? "not ok" : "ok", seen);
        cr_assert(!strncmp(line, want, strlen(want)), "line '%s' should start '%s'", line, want);
        cr_assert_null(strchr(line, '#'), "a '#' in a description starts a TAP directive: '%s'", line);
    }
    cr_assert_eq(seen, 3);
    cr_assert_eq(in_yaml, 0);
    free(t);
    t = render(cf_write_tap);
    cr_assert(
        strstr(t, "  message: \"steps[0] (GetRecords): message 'a < b & \\\"c\\\"\\n' expected '\\u0001'\""),
        "%s", t);
    cr_assert(strstr(t, "  gap: true"));
    cr_assert(strstr(t, "# evidence recorded: 1 cases, 1 passed, 0 failed\n"), "%s", t);
    cr_assert(strstr(t, "# evidence model: 1 cases, 0 passed, 1 failed\n"), "%s", t);
    cr_assert(strstr(t, "# evidence none: 1 cases, 1 passed, 0 failed\n"), "%s", t);
    cr_assert(strstr(t, "ok 1 - records/put\n  ---\n  evidence: recorded\n  source:\n"
                        "    - \"recorded: kinesalite test/putRecord.js \\\"should work\\\"\"\n"
                        "    - \"model: PutRecordInput\"\n"),
              "%s", t);
    free(t);
}

Test(report, evidence_counts_on_the_console)
{
    size_t passed[CF_SOURCE_KINDS], failed[CF_SOURCE_KINDS];
    cf_count_evidence(out, 3, passed, failed);
    cr_assert(passed[CF_SOURCE_RECORDED] == 1 && failed[CF_SOURCE_RECORDED] == 0);
    cr_assert(passed[CF_SOURCE_MODEL] == 0 && failed[CF_SOURCE_MODEL] == 1,
              "a case counts once, by its strongest kind");
    cr_assert(passed[CF_SOURCE_NONE] == 1 && passed[CF_SOURCE_DOC] == 0 && failed[CF_SOURCE_INFERRED] == 0);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    cf_print_evidence(f, out, 3);
    fclose(f);
    cr_assert(strstr(buf, "cases by evidence:\n"), "%s", buf);
    cr_assert(strstr(buf, "     1  recorded       1 passed      0 failed\n"), "%s", buf);
    cr_assert(strstr(buf, "     1  model          0 passed      1 failed\n"), "%s", buf);
    cr_assert(strstr(buf, "     0  doc            0 passed      0 failed\n"), "%s", buf);
    cr_assert(strstr(buf, "     1  none           1 passed      0 failed\n"), "%s", buf);
    free(buf);
}

/* A small XML well-formedness check: balanced tags, quoted attributes, only the five predefined
 * entities, no raw '<' or '&' in text or attribute values, no control characters, one root. */
static void assert_well_formed(const char *x)
{
    const char *stack[32];
    int depth = 0, roots = 0;
    const char *p = x;
    if (!strncmp(p, "<?xml", 5)) {
        p = strstr(p, "?>");
        cr_assert_not_null(p);
        p += 2;
    }
    while (*p) {
        unsigned char ch = (unsigned char)*p;
        cr_assert(ch >= 0x20 || ch == '\n' || ch == '\t' || ch == '\r', "control character in XML");
        if (*p == '&') {
            static const char *const ents[] = {"&lt;", "&gt;", "&amp;", "&quot;", "&apos;"};
            int ok = 0;
            for (int k = 0; k < 5; k++)
                ok |= !strncmp(p, ents[k], strlen(ents[k]));
            cr_assert(ok, "bad entity at '%.10s'", p);
            p++;
            continue;
        }
        if (*p != '<') {
            cr_assert(depth > 0 || ch == '\n' || ch == ' ', "text outside the root: '%.20s'", p);
            p++;
            continue;
        }
        if (p[1] == '/') {
            const char *end = strchr(p, '>');
            cr_assert_not_null(end);
            cr_assert_gt(depth, 0, "closing tag without an open one");
            const char *open = stack[--depth];
            size_t n = (size_t)(end - p - 2);
            cr_assert(!strncmp(open, p + 2, n) && (open[n] == ' ' || open[n] == '>' || open[n] == '/'),
                      "mismatched </%.*s>", (int)n, p + 2);
            p = end + 1;
            continue;
        }
        const char *q = p + 1;
        while (*q && *q != '>' && *q != '"')
            q++;
        while (*q == '"') { /* attribute value */
            const char *v = q + 1;
            const char *close = strchr(v, '"');
            cr_assert_not_null(close, "unterminated attribute");
            for (const char *c = v; c < close; c++) {
                cr_assert_neq(*c, '<', "raw '<' in an attribute");
                if (*c == '&')
                    cr_assert(!strncmp(c, "&lt;", 4) || !strncmp(c, "&gt;", 4) || !strncmp(c, "&amp;", 5) ||
                                  !strncmp(c, "&quot;", 6) || !strncmp(c, "&apos;", 6),
                              "bad entity in an attribute");
            }
            q = close + 1;
            while (*q && *q != '>' && *q != '"')
                q++;
        }
        cr_assert_eq(*q, '>');
        if (depth == 0)
            roots++;
        if (q[-1] != '/') {
            cr_assert_lt(depth, 32);
            stack[depth++] = p + 1;
        }
        p = q + 1;
    }
    cr_assert_eq(depth, 0, "unclosed tags");
    cr_assert_eq(roots, 1, "one root element");
}

Test(report, junit_is_well_formed_and_escaped)
{
    char *x = render(junit);
    assert_well_formed(x);
    cr_assert(strstr(x, "<testsuites>"));
    cr_assert(
        strstr(x, "<testsuite name=\"kinesis-conform\" tests=\"3\" failures=\"1\" errors=\"0\" skipped=\"0\" "
                  "time=\"12.500\">"),
        "the suite's time is the wall time given, not the sum of the cases: %s", x);
    cr_assert(strstr(x, "<testcase classname=\"records\" name=\"records/put\""), "%s", x);
    cr_assert(strstr(x, "name=\"records/get#1 &lt;&amp;&gt;\""), "%s", x);
    cr_assert(
        strstr(x, "<failure message=\"steps[0] (GetRecords): message &apos;a &lt; b &amp; &quot;c&quot;"),
        "%s", x);
    cr_assert(strstr(x, "classname=\"conformance\" name=\"plain\""), "%s", x);
    cr_assert(strstr(x, "<system-out>gap: not in kinesis-sim</system-out>"), "%s", x);
    cr_assert(strstr(x, "<property name=\"evidence.recorded.passed\" value=\"1\"/>"), "%s", x);
    cr_assert(strstr(x, "<property name=\"evidence.model.failed\" value=\"1\"/>"), "%s", x);
    cr_assert(strstr(x, "<property name=\"source\" value=\"recorded: kinesalite test/putRecord.js "
                        "&quot;should work&quot;\"/>"),
              "%s", x);
    /* the failing case and only it has a failure element */
    cr_assert_eq(strstr(strstr(x, "<failure") + 1, "<failure"), NULL);
    free(x);
}

Test(report, json)
{
    char *s = render(cf_write_json);
    json_error_t e;
    json_t *j = json_loads(s, 0, &e);
    cr_assert_not_null(j, "%s", e.text);
    cr_assert_eq(json_integer_value(json_object_get(j, "passed")), 2);
    cr_assert_eq(json_integer_value(json_object_get(j, "failed")), 1);
    json_t *c1 = json_array_get(json_object_get(j, "cases"), 1);
    cr_assert_str_eq(json_string_value(json_object_get(c1, "name")), "records/get#1 <&>");
    cr_assert(json_is_false(json_object_get(c1, "passed")));
    cr_assert_not_null(strstr(json_string_value(json_object_get(c1, "reason")), "GetRecords"));
    cr_assert_str_eq(
        json_string_value(json_object_get(json_array_get(json_object_get(j, "cases"), 2), "gap")),
        "not in kinesis-sim");
    json_t *ev = json_object_get(j, "evidence");
    cr_assert_eq(json_integer_value(json_object_get(json_object_get(ev, "recorded"), "passed")), 1);
    cr_assert_eq(json_integer_value(json_object_get(json_object_get(ev, "model"), "failed")), 1);
    cr_assert_eq(json_integer_value(json_object_get(json_object_get(ev, "none"), "passed")), 1);
    json_t *c0 = json_array_get(json_object_get(j, "cases"), 0);
    cr_assert_str_eq(json_string_value(json_object_get(c0, "evidence")), "recorded");
    cr_assert_eq(json_array_size(json_object_get(c0, "source")), 2);
    cr_assert_str_eq(json_string_value(json_array_get(json_object_get(c0, "source"), 1)),
                     "model: PutRecordInput");
    json_decref(j);
    free(s);
}

Test(report, console_lines_and_operations_table)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    cf_print_case_line(f, &out[0]);
    cf_print_case_line(f, &out[1]);
    cf_print_case_line(f, &out[2]);
    char *ops[] = {"GetRecords", "ListStreams", "PutRecord"};
    cf_print_op_table(f, ops, 3, out, 3);
    fclose(f);
    cr_assert(!strncmp(buf, "ok   records/put\nFAIL records/get#1 <&>: steps[0] (GetRecords)", 60), "%s",
              buf);
    cr_assert(strstr(buf, "ok   plain  [gap: not in kinesis-sim]\n"), "%s", buf);
    cr_assert(strstr(buf, "GetRecords                            0      1      0\n"), "%s", buf);
    cr_assert(strstr(buf, "ListStreams                           -      -      -  not covered\n"), "%s", buf);
    cr_assert(strstr(buf, "PutRecord                             2      0      1\n"), "%s", buf);
    cr_assert(strstr(buf, "2 of 3 operations covered"), "%s", buf);
    free(buf);
}

Test(report, a_multi_line_reason_stays_on_its_case_line)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    cf_print_case_line(f, &out[1]);
    fclose(f);
    cr_assert(strstr(buf, "message 'a < b & \"c\"\\n' expected"), "the newline is shown as \\n: %s", buf);
    cr_assert_eq(strchr(buf, '\n'), buf + len - 1, "exactly one newline, at the end: %s", buf);
    free(buf);
}

Test(report, model_operations)
{
    size_t n = 0;
    char err[256];
    char **ops = cf_model_operations("fixtures/kinesis-api/service-2.json", &n, err, sizeof err);
    cr_assert_not_null(ops, "%s", err);
    cr_assert_eq(n, 39);
    cr_assert_str_eq(ops[0], "AddTagsToStream");
    cf_free_strings(ops, n);
    cr_assert_null(cf_model_operations("no/such/model.json", &n, err, sizeof err));
    cr_assert(strstr(err, "no/such/model.json"));
}

/* Reasons as the runner words them (taken from runs against kinesalite and kinesis-mock). */
Test(report, failure_kinds)
{
    static const struct {
        const char *reason, *kind;
    } t[] = {
        {"steps[0] (DescribeAccountSettings): expected success, got HTTP 400 UnknownOperationException: x",
         "operation not supported"},
        {"steps[1] (PutRecord): error \"ValidationException\" expected, got UnknownOperationException (HTTP "
         "400: )",
         "operation not supported"},
        {"steps[0] (CreateStream): error \"ValidationException\" expected, got InvalidArgumentException "
         "(HTTP 400: m)",
         "different error name"},
        {"steps[2] (GetShardIterator): message '1 validation error detected: Value null', expected 'x'",
         "different error message"},
        {"steps[0] (ListShards): field Shards: length 1 expected, got length 3", "different answer content"},
        {"steps[0]: capture token: nothing at path NextToken ", "different answer content"},
        {"steps[0] (GetShardIterator): HTTP status 200, expected 400 (no error: {})",
         "accepted a request that must be refused"},
        {"steps[1] (AddTagsToStream): error \"AccessDeniedException\" expected, got success (HTTP 200: )",
         "accepted a request that must be refused"},
        {"steps[3] (MergeShards): expected success, got HTTP 400 ValidationException: 1 validation error",
         "refused a valid request"},
        {"steps[1] (DescribeStream) (polled until the wait ran out): expected success, got HTTP 400 "
         "LimitExceededException: m",
         "refused a valid request"},
        {"steps[0] (raw): HTTP status 404, expected 400 (ValidationException: m)", "different HTTP status"},
        {"setup: CreateStream cf-0001-stream: LimitExceededException m", "setup failed"},
        {"steps[0] (ListShards): no answer: ListShards http://127.0.0.1:1: Couldn't connect to server",
         "no answer"},
        {"timed out after 30000 ms", "timed out"},
        {"not run: the endpoint stopped answering (no answer since case a/b)", "not run"},
        {"steps[1]: while {\"var\":\"it\",\"absent\":false} still held after 5 iterations (max)",
         "loop did not end"},
        {"something else", "other"},
    };
    for (size_t k = 0; k < sizeof t / sizeof t[0]; k++)
        cr_assert_str_eq(cf_failure_kind(t[k].reason), t[k].kind, "%s", t[k].reason);

    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    cf_print_failure_kinds(f, out, 3);
    fclose(f);
    cr_assert_str_eq(buf, "failures by kind:\n     1  different error message\n\n");
    free(buf);
    char *js = render(cf_write_json);
    cr_assert(strstr(js, "\"kind\": \"different error message\""), "%s", js);
    free(js);
}

/* issue 14: a skipped case (an exclusive one without --exclusive) is neither passed nor failed */
Test(report, skipped_cases_in_every_format)
{
    out[0].res.passed = 0;
    out[0].res.skipped = 1;
    out[0].res.reason = strdup("exclusive: changes what the whole endpoint shares; run with --exclusive");

    char *t = render(cf_write_tap);
    cr_assert(strstr(t, "ok 1 - records/put # SKIP exclusive: changes what the whole endpoint shares"), "%s",
              t);
    free(t);

    char *x = render(junit);
    assert_well_formed(x);
    cr_assert(strstr(x, "tests=\"3\" failures=\"1\" errors=\"0\" skipped=\"1\""), "%s", x);
    cr_assert(strstr(x, "<skipped message=\"exclusive: changes what"), "%s", x);
    free(x);

    char *js = render(cf_write_json);
    json_t *j = json_loads(js, 0, NULL);
    cr_assert_not_null(j);
    cr_assert_eq(json_integer_value(json_object_get(j, "passed")), 1);
    cr_assert_eq(json_integer_value(json_object_get(j, "failed")), 1);
    cr_assert_eq(json_integer_value(json_object_get(j, "skipped")), 1);
    cr_assert(json_is_true(json_object_get(json_array_get(json_object_get(j, "cases"), 0), "skipped")));
    json_decref(j);
    free(js);

    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    cf_print_case_line(f, &out[0]);
    char *ops[] = {"PutRecord"};
    cf_print_op_table(f, ops, 1, out, 3);
    cf_print_failure_kinds(f, out, 3);
    fclose(f);
    cr_assert(!strncmp(buf, "skip records/put: exclusive: changes", 36), "%s", buf);
    cr_assert(strstr(buf, "PutRecord                             1      0      1\n"),
              "not counted as failed: %s", buf);
    cr_assert(strstr(buf, "failures by kind:\n     1  different error message\n\n"),
              "only the failed case is counted: %s", buf);
    cr_assert_null(strstr(buf, "not run"), "%s", buf);
    free(buf);
    free(out[0].res.reason);
}
