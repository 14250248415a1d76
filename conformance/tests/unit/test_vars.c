/* test_vars.c: ${...} expansion, the built-in functions and big decimal arithmetic (vars.c). */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "vars.h"

static json_t *vars;

static void setup(void)
{
    vars = json_pack("{ss si ss ss}", "stream", "cf-0001-stream", "n", 7, "key", "a:b", "i", "3");
}
static void teardown(void)
{
    json_decref(vars);
}

static void expect_expand(const char *in, const char *want)
{
    char err[256] = "";
    char *got = cf_expand(vars, in, err, sizeof err);
    cr_assert_not_null(got, "expanding '%s' failed: %s", in, err);
    cr_assert_str_eq(got, want, "expanding '%s'", in);
    free(got);
}

static void expect_error(const char *in, const char *fragment)
{
    char err[256] = "";
    char *got = cf_expand(vars, in, err, sizeof err);
    cr_assert_null(got, "'%s' should not expand (got '%s')", in, got ? got : "");
    cr_assert(strstr(err, fragment), "error for '%s' is '%s', expected to mention '%s'", in, err, fragment);
}

TestSuite(vars, .init = setup, .fini = teardown);

Test(vars, plain_variables_and_literals)
{
    expect_expand("no variables", "no variables");
    expect_expand("${stream}", "cf-0001-stream");
    expect_expand("x-${stream}-${n}", "x-cf-0001-stream-7");
    expect_expand("$${stream}", "${stream}");
    expect_expand("cost $5", "cost $5");
}

Test(vars, functions)
{
    expect_expand("${md5int:}", "281949768489412648962353822266799178366");
    expect_expand("${md5int:partitionKey}", "193318062818912349798954611745638949166");
    expect_expand("${b64:hello}", "aGVsbG8=");
    expect_expand("${b64:}", "");
    expect_expand("${repeat:3:ab}", "ababab");
    expect_expand("${repeat:0:ab}", "");
    expect_expand("${add:340282366920938463463374607431768211455:1}",
                  "340282366920938463463374607431768211456");
    expect_expand("${sub:1000:1}", "999");
}

Test(vars, nested_calls_expand_inside_first)
{
    char err[256];
    char *direct = cf_expand(vars, "${md5int:a:b}", err, sizeof err);
    char *nested = cf_expand(vars, "${md5int:${key}}", err, sizeof err);
    cr_assert_not_null(direct);
    cr_assert_not_null(nested);
    cr_assert_str_eq(direct, nested);
    free(direct);
    free(nested);
    expect_expand("${repeat:${i}:z}", "zzz");
    expect_expand("${b64:r${i}}", "cjM=");
}

Test(vars, errors_are_reported)
{
    expect_error("${nope}", "undefined variable");
    expect_error("${stream", "unterminated");
    expect_error("${frob:x}", "unknown function");
    expect_error("${repeat:x:y}", "bad count");
    /* found by fuzzing (ci/fuzz/regressions/vars): the count is capped, so must count x length be */
    expect_error("${repeat:16777216:0123456789012345678901234567890123456789}", "exceed 64 MiB");
    expect_error("${sub:1:2}", "non-negative");
    expect_error("${add:1}", "two");
}

Test(vars, now_is_current_epoch)
{
    char err[64];
    char *s = cf_expand(vars, "${now}", err, sizeof err), *ms = cf_expand(vars, "${now_ms}", err, sizeof err);
    long long sec = atoll(s), msec = atoll(ms);
    cr_assert(sec > 1600000000LL && sec < 4000000000LL, "now=%s", s);
    cr_assert(msec / 1000 - sec <= 1 && msec / 1000 - sec >= 0, "now=%s now_ms=%s", s, ms);
    free(s);
    free(ms);
}

Test(vars, json_expansion_keeps_types)
{
    json_t *tmpl = json_pack("{ss ss s[ss] s{ss}}", "Limit", "${n}", "Name", "${stream}", "List", "${n}x",
                             "${i}", "Tags", "k${i}", "v${n}");
    char err[256] = "";
    json_t *out = cf_expand_json(vars, tmpl, err, sizeof err);
    cr_assert_not_null(out, "%s", err);
    cr_assert(json_is_integer(json_object_get(out, "Limit")));
    cr_assert_eq(json_integer_value(json_object_get(out, "Limit")), 7);
    cr_assert_str_eq(json_string_value(json_object_get(out, "Name")), "cf-0001-stream");
    cr_assert_str_eq(json_string_value(json_array_get(json_object_get(out, "List"), 0)), "7x");
    cr_assert_str_eq(json_string_value(json_array_get(json_object_get(out, "List"), 1)), "3");
    cr_assert_str_eq(json_string_value(json_object_get(json_object_get(out, "Tags"), "k3")), "v7");
    json_decref(out);
    json_decref(tmpl);

    tmpl = json_pack("{ss}", "x", "${missing}");
    cr_assert_null(cf_expand_json(vars, tmpl, err, sizeof err));
    cr_assert(strstr(err, "missing"));
    json_decref(tmpl);
}

Test(vars, big_decimals)
{
    cr_assert_eq(cf_bigcmp("10", "9"), 1);
    cr_assert_eq(cf_bigcmp("0009", "9"), 0);
    cr_assert_eq(cf_bigcmp("49590338271490256608559692538361571095921575989136588898",
                           "49590338271490256608559692538361571095921575989136588899"),
                 -1);
    cr_assert(cf_is_decimal("0123"));
    cr_assert(!cf_is_decimal("12a"));
    cr_assert(!cf_is_decimal(""));
    cr_assert(!cf_is_decimal("-1"));
    char *s = cf_bigadd("999", "1");
    cr_assert_str_eq(s, "1000");
    free(s);
    s = cf_bigsub("1000", "1000");
    cr_assert_str_eq(s, "0");
    free(s);
    cr_assert_null(cf_bigsub("1", "2"));
    cr_assert_null(cf_bigadd("1", "x"));
}
