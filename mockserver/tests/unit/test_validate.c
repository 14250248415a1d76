/* test_validate.c: Criterion tests for model-driven validation (validate.c) and base64 (base64.c).
 *
 * - model: the embedded model loads, knows every operation, and every pattern in it translates
 *   to a POSIX expression that compiles and matches as the Java one would; it is the fixture
 *   model without documentation (ci/tools/model_compact) and validates exactly as the full one;
 * - cases: fixtures/validation/cases.json, one case per wording (type errors per JSON type and
 *   shape kind, constraint messages taken from AWS's answers to kinesalite's tests);
 * - generated: for every operation, the required members and every top-level length, pattern,
 *   range and enum rule, with the expected message built here from the raw model JSON;
 * - joining, the 10-error cap, truncation, and a bounded timing check for PutRecords x 500.
 * Run from the repository root (or set SIM_FIXTURES_DIR to the fixtures directory). */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <jansson.h>
#include <regex.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dispatch/validate.h"
#include "shared/base64.h"

static sim_model *model;
static json_t *raw; /* the model JSON, read independently of validate.c */

static void setup(void)
{
    char err[256];
    model = sim_model_load(err, sizeof err);
    cr_assert_not_null(model, "model load: %s", err);
    json_error_t jerr;
    raw = json_loadb((const char *)sim_model_json, sim_model_json_len, 0, &jerr);
    cr_assert_not_null(raw, "model JSON: %s", jerr.text);
}

static void teardown(void)
{
    sim_model_free(model);
    json_decref(raw);
    model = NULL;
    raw = NULL;
}

/* Validate a JSON text; returns rc, fills code and msg. */
static int run(const char *op, const char *json_text, sim_error_code *code, char *msg, size_t msg_len)
{
    json_error_t jerr;
    json_t *in = json_loads(json_text, JSON_DECODE_ANY, &jerr);
    cr_assert_not_null(in, "bad test JSON %s: %s", json_text, jerr.text);
    int rc = sim_validate_input(model, op, in, code, msg, msg_len);
    json_decref(in);
    return rc;
}

/* ------------------------------------------------------------------------------------------ */
/* The model                                                                                   */
/* ------------------------------------------------------------------------------------------ */

TestSuite(validate_model, .init = setup, .fini = teardown);

Test(validate_model, knows_every_operation)
{
    json_t *ops = json_object_get(raw, "operations");
    cr_assert_eq(sim_model_operation_count(model), json_object_size(ops));
    cr_assert_eq(json_object_size(ops), 39);
    const char *name;
    json_t *v;
    json_object_foreach(ops, name, v)
    {
        cr_assert(sim_model_has_operation(model, name), "%s", name);
    }
    for (size_t i = 0; i < sim_model_operation_count(model); i++)
        cr_assert_not_null(json_object_get(ops, sim_model_operation_name(model, i)));
    cr_assert_null(sim_model_operation_name(model, 39));
    cr_assert_not(sim_model_has_operation(model, "PutRecordz"));
    cr_assert_not(sim_model_has_operation(model, ""));
}

Test(validate_model, every_pattern_translates_and_compiles)
{
    const char *name;
    json_t *s;
    int n = 0;
    json_object_foreach(json_object_get(raw, "shapes"), name, s)
    {
        const char *pat = json_string_value(json_object_get(s, "pattern"));
        if (!pat)
            continue;
        char posix[1024];
        cr_assert_eq(sim_regex_java_to_posix(pat, posix, sizeof posix), 0, "%s: %s", name, pat);
        regex_t re;
        cr_assert_eq(regcomp(&re, posix, REG_EXTENDED | REG_NOSUB), 0, "%s: %s", name, posix);
        regfree(&re);
        n++;
    }
    cr_assert_geq(n, 9);
}

static int java_matches(const char *java, const char *value)
{
    char posix[1024];
    regex_t re;
    cr_assert_eq(sim_regex_java_to_posix(java, posix, sizeof posix), 0, "%s", java);
    cr_assert_eq(regcomp(&re, posix, REG_EXTENDED | REG_NOSUB), 0, "%s", posix);
    int ok = regexec(&re, value, 0, NULL, 0) == 0;
    regfree(&re);
    return ok;
}

Test(validate_model, patterns_match_as_java_matches_would)
{
    static const struct {
        const char *pattern, *value;
        int match;
    } cases[] = {
        {"[a-zA-Z0-9_.-]+", "my-stream_1.x", 1},
        {"[a-zA-Z0-9_.-]+", "my stream", 0},
        {"[a-zA-Z0-9_.-]+", "", 0},
        {"[a-zA-Z0-9_.-]+", "a/b", 0},
        {"0|([1-9]\\d{0,38})", "0", 1},
        {"0|([1-9]\\d{0,38})", "340282366920938463463374607431768211455", 1},
        {"0|([1-9]\\d{0,38})", "01", 0},
        {"0|([1-9]\\d{0,38})", "1000000000000000000000000000000000000000", 0}, /* 40 digits */
        {"0|([1-9]\\d{0,38})", "12a", 0},
        {"0|([1-9]\\d{0,38})", "-1", 0},
        {"[a-z0-9]{20}-[a-z0-9]{3}", "abcdefghij0123456789-abc", 1},
        {"[a-z0-9]{20}-[a-z0-9]{3}", "abcdefghij0123456789-abcd", 0},
        {"arn:aws.*:kinesis:.*:\\d{12}:stream/\\S+", "arn:aws:kinesis:us-east-1:123456789012:stream/s", 1},
        {"arn:aws.*:kinesis:.*:\\d{12}:stream/\\S+", "arn:aws-us-gov:kinesis:x:123456789012:stream/s", 1},
        {"arn:aws.*:kinesis:.*:\\d{12}:stream/\\S+", "arn:aws:kinesis:us-east-1:123456789012:stream/", 0},
        {"arn:aws.*:kinesis:.*:\\d{12}:stream/\\S+", "arn:aws:kinesis:us-east-1:123456789012:stream/a\tb", 0},
        {"arn:aws.*:kinesis:.*:\\d{12}:stream/\\S+", "xarn:aws:kinesis:us-east-1:123456789012:stream/s", 0},
        {"^(arn):aws.*:kinesis:.*:\\d{12}:.*stream\\/[a-zA-Z0-9_.-]+\\/consumer\\/[a-zA-Z0-9_.-]+:[0-9]+",
         "arn:aws:kinesis:us-east-1:123456789012:stream/s/consumer/c:1700000000", 1},
        {"^(arn):aws.*:kinesis:.*:\\d{12}:.*stream\\/[a-zA-Z0-9_.-]+\\/consumer\\/[a-zA-Z0-9_.-]+:[0-9]+",
         "arn:aws:kinesis:us-east-1:123456789012:stream/s/consumer/c:", 0},
        {"a\\.b", "a.b", 1},
        {"a\\.b", "axb", 0},
        {"\\w+\\s\\W", "a_1 !", 1},
        {"[\\d\\-]+", "1-2", 1},
        {"(?:ab)+?", "abab", 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        cr_expect_eq(java_matches(cases[i].pattern, cases[i].value), cases[i].match, "%s vs '%s'",
                     cases[i].pattern, cases[i].value);
}

Test(validate_model, regex_translation_output_and_refusals)
{
    char out[256];
    cr_assert_eq(sim_regex_java_to_posix("\\d{3}", out, sizeof out), 0);
    cr_assert_str_eq(out, "^([0-9]{3})$");
    cr_assert_eq(sim_regex_java_to_posix("a\\/b", out, sizeof out), 0);
    cr_assert_str_eq(out, "^(a/b)$");
    cr_assert_eq(sim_regex_java_to_posix("[\\-a]", out, sizeof out), 0);
    cr_assert_str_eq(out, "^([a-])$");
    cr_assert_eq(sim_regex_java_to_posix("[^\\]x]", out, sizeof out), 0);
    cr_assert_str_eq(out, "^([^]x])$");
    cr_assert_eq(sim_regex_java_to_posix("\\S+", out, sizeof out), 0);
    cr_assert_str_eq(out, "^([^[:space:]]+)$");
    /* no POSIX equivalent */
    cr_assert_eq(sim_regex_java_to_posix("(?=a)b", out, sizeof out), -1);
    cr_assert_eq(sim_regex_java_to_posix("\\p{L}+", out, sizeof out), -1);
    cr_assert_eq(sim_regex_java_to_posix("a*+", out, sizeof out), -1);
    cr_assert_eq(sim_regex_java_to_posix("[a[b]]", out, sizeof out), -1);
    cr_assert_eq(sim_regex_java_to_posix("[a-z&&[^b]]", out, sizeof out), -1);
    cr_assert_eq(sim_regex_java_to_posix("[abc", out, sizeof out), -1);
    cr_assert_eq(sim_regex_java_to_posix("abc\\", out, sizeof out), -1);
    cr_assert_eq(sim_regex_java_to_posix("\\bword", out, sizeof out), -1);
    /* out too small */
    cr_assert_eq(sim_regex_java_to_posix("[a-zA-Z0-9_.-]+", out, 8), -1);
}

static void expect_load_fails(const char *json, const char *why)
{
    char err[256] = "";
    sim_model *m = sim_model_load_json(json, strlen(json), err, sizeof err);
    cr_expect_null(m, "loaded: %s", json);
    sim_model_free(m);
    cr_expect(strstr(err, why) != NULL, "error '%s' should mention '%s'", err, why);
}

Test(validate_model, bad_models_are_refused_with_a_reason)
{
    expect_load_fails("{", "JSON error");
    expect_load_fails("{\"shapes\":{}}", "no shapes or operations");
    expect_load_fails("{\"operations\":{},\"shapes\":{\"S\":{\"type\":\"quux\"}}}", "unknown type quux");
    expect_load_fails("{\"operations\":{},\"shapes\":{\"S\":{\"type\":\"string\",\"pattern\":\"\\\\p{L}\"}}}",
                      "cannot be translated");
    expect_load_fails("{\"operations\":{},\"shapes\":{\"S\":{\"type\":\"structure\",\"members\":{\"A\":{"
                      "\"shape\":\"Nope\"}}}}}",
                      "member A has an unknown shape");
    expect_load_fails(
        "{\"operations\":{},\"shapes\":{\"L\":{\"type\":\"list\",\"member\":{\"shape\":\"Nope\"}}}}",
        "unknown member shape");
    expect_load_fails("{\"operations\":{\"Op\":{\"input\":{\"shape\":\"Nope\"}}},\"shapes\":{}}",
                      "unknown input shape");
    expect_load_fails(
        "{\"operations\":{\"Op\":{\"input\":{\"shape\":\"S\"}}},\"shapes\":{\"S\":{\"type\":\"string\"}}}",
        "not a structure");
}

Test(validate_model, a_small_model_with_double_and_long_loads)
{
    const char *json =
        "{\"operations\":{\"Op\":{\"input\":{\"shape\":\"In\"}}},\"shapes\":{"
        "\"In\":{\"type\":\"structure\",\"members\":{\"D\":{\"shape\":\"Dbl\"},\"L\":{\"shape\":\"Lng\"}}},"
        "\"Dbl\":{\"type\":\"double\"},\"Lng\":{\"type\":\"long\",\"min\":5}}}";
    char err[256];
    sim_model *m = sim_model_load_json(json, strlen(json), err, sizeof err);
    cr_assert_not_null(m, "%s", err);
    json_t *in = json_pack("{s:s}", "D", "x");
    sim_error_code code;
    char msg[256];
    cr_assert_eq(sim_validate_input(m, "Op", in, &code, msg, sizeof msg), -1);
    cr_assert_eq(code, SIM_ERR_SerializationException);
    cr_assert_str_eq(msg, "class java.lang.String can not be converted to an Double");
    json_decref(in);
    in = json_pack("{s:I}", "L", (json_int_t)4000000000LL);
    cr_assert_eq(sim_validate_input(m, "Op", in, &code, msg, sizeof msg), 0, "%s", msg); /* Long: no clamp */
    json_decref(in);
    in = json_pack("{s:i}", "L", 4);
    cr_assert_eq(sim_validate_input(m, "Op", in, &code, msg, sizeof msg), -1);
    cr_assert_str_eq(
        msg, "1 validation error detected: Value '4' at 'l' failed to satisfy constraint: Member must "
             "have value greater than or equal to 5");
    json_decref(in);
    sim_model_free(m);
}

/* ------------------------------------------------------------------------------------------ */
/* Data-driven cases                                                                           */
/* ------------------------------------------------------------------------------------------ */

TestSuite(validate_cases, .init = setup, .fini = teardown);

static json_t *load_fixture(const char *rel)
{
    const char *dir = getenv("SIM_FIXTURES_DIR");
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir ? dir : "fixtures", rel);
    json_error_t jerr;
    json_t *j = json_load_file(path, 0, &jerr);
    cr_assert_not_null(j, "cannot read %s (run from the repository root or set SIM_FIXTURES_DIR): %s", path,
                       jerr.text);
    return j;
}

Test(validate_cases, fixture_cases)
{
    json_t *doc = load_fixture("validation/cases.json");
    json_t *cases = json_object_get(doc, "cases");
    cr_assert_geq(json_array_size(cases), 80);
    size_t i, failed = 0;
    json_t *c;
    static char msg[65536];
    json_array_foreach(cases, i, c)
    {
        const char *name = json_string_value(json_object_get(c, "name"));
        const char *op = json_string_value(json_object_get(c, "op"));
        const char *type = json_string_value(json_object_get(c, "type"));
        const char *want = json_string_value(json_object_get(c, "message"));
        sim_error_code code = SIM_ERR__COUNT;
        msg[0] = '\0';
        int rc = sim_validate_input(model, op, json_object_get(c, "input"), &code, msg, sizeof msg);
        int ok;
        if (!type)
            ok = rc == 0;
        else
            ok = rc == -1 && strcmp(sim_error_name(code), type) == 0 && want && strcmp(msg, want) == 0;
        if (!ok) {
            failed++;
            cr_log_error("case '%s' (%s): rc %d %s\n  got:  %s\n  want: %s %s", name, op, rc,
                         rc ? sim_error_name(code) : "", msg, type ? type : "(valid)", want ? want : "");
        }
    }
    cr_assert_eq(failed, 0, "%zu of %zu cases failed", failed, json_array_size(cases));
    json_decref(doc);
}

/* ------------------------------------------------------------------------------------------ */
/* The embedded model: the fixture without what validation never reads                        */
/* ------------------------------------------------------------------------------------------ */

/* The build embeds fixtures/kinesis-api/service-2.json through ci/tools/model_compact, which
 * drops documentation, operations' http/errors/staticContextParams and members' contextParam
 * (a sixth of the text to parse at start-up). Everything else must be there, in the same order. */
static void expect_same_ref(const char *where, json_t *full, json_t *compact)
{
    cr_assert_eq(json_is_object(full), json_is_object(compact), "%s", where);
    if (!json_is_object(full))
        return;
    cr_assert(json_equal(json_object_get(full, "shape"), json_object_get(compact, "shape")), "%s", where);
}

Test(validate_model, embedded_model_is_the_fixture_without_documentation)
{
    json_t *full = load_fixture("kinesis-api/service-2.json");
    /* no documentation text left (the array ends with a NUL byte, see ci/tools/embed.c) */
    cr_assert_eq(sim_model_json[sim_model_json_len], 0);
    cr_assert_null(strstr((const char *)sim_model_json, "\"documentation\""));
    cr_assert_null(strstr((const char *)sim_model_json, "\"contextParam\""));
    cr_assert(json_equal(json_object_get(full, "metadata"), json_object_get(raw, "metadata")));

    const char *name, *key;
    json_t *fs, *v;
    json_t *cshapes = json_object_get(raw, "shapes");
    cr_assert_eq(json_object_size(cshapes), json_object_size(json_object_get(full, "shapes")));
    json_object_foreach(json_object_get(full, "shapes"), name, fs)
    {
        json_t *cs = json_object_get(cshapes, name);
        cr_assert_not_null(cs, "shape %s missing", name);
        size_t kept = 0;
        json_object_foreach(fs, key, v)
        {
            if (!strcmp(key, "documentation"))
                continue;
            kept++;
            json_t *cv = json_object_get(cs, key);
            cr_assert_not_null(cv, "%s.%s missing", name, key);
            if (!strcmp(key, "members")) {
                /* same members in the same order (validation reports in model order) */
                void *fi = json_object_iter(v), *ci = json_object_iter(cv);
                for (; fi; fi = json_object_iter_next(v, fi), ci = json_object_iter_next(cv, ci)) {
                    cr_assert_not_null(ci, "%s: fewer members", name);
                    cr_assert_str_eq(json_object_iter_key(ci), json_object_iter_key(fi), "%s", name);
                    expect_same_ref(name, json_object_iter_value(fi), json_object_iter_value(ci));
                }
                cr_assert_null(ci, "%s: more members", name);
            } else if (!strcmp(key, "member") || !strcmp(key, "key") || !strcmp(key, "value")) {
                expect_same_ref(name, v, cv);
            } else {
                cr_assert(json_equal(v, cv), "%s.%s differs", name, key);
            }
        }
        cr_assert_eq(json_object_size(cs), kept, "shape %s has extra keys", name);
    }
    json_t *cops = json_object_get(raw, "operations");
    cr_assert_eq(json_object_size(cops), json_object_size(json_object_get(full, "operations")));
    json_object_foreach(json_object_get(full, "operations"), name, fs)
    {
        json_t *co = json_object_get(cops, name);
        cr_assert_not_null(co, "operation %s missing", name);
        cr_assert(json_equal(json_object_get(fs, "name"), json_object_get(co, "name")), "%s", name);
        expect_same_ref(name, json_object_get(fs, "input"), json_object_get(co, "input"));
        expect_same_ref(name, json_object_get(fs, "output"), json_object_get(co, "output"));
    }
    json_decref(full);
}

/* A model built from the full fixture text and the embedded one answer every fixture case with
 * the same result and the same message, byte for byte. */
Test(validate_model, full_and_embedded_models_validate_alike)
{
    json_t *full = load_fixture("kinesis-api/service-2.json");
    char *text = json_dumps(full, JSON_PRESERVE_ORDER);
    cr_assert_not_null(text);
    char err[256];
    sim_model *fm = sim_model_load_json(text, strlen(text), err, sizeof err);
    cr_assert_not_null(fm, "%s", err);
    json_t *doc = load_fixture("validation/cases.json");
    json_t *cases = json_object_get(doc, "cases");
    cr_assert_geq(json_array_size(cases), 80);
    static char m1[65536], m2[65536];
    size_t i;
    json_t *c;
    json_array_foreach(cases, i, c)
    {
        const char *op = json_string_value(json_object_get(c, "op"));
        sim_error_code c1 = SIM_ERR__COUNT, c2 = SIM_ERR__COUNT;
        m1[0] = m2[0] = '\0';
        int r1 = sim_validate_input(fm, op, json_object_get(c, "input"), &c1, m1, sizeof m1);
        int r2 = sim_validate_input(model, op, json_object_get(c, "input"), &c2, m2, sizeof m2);
        cr_assert_eq(r1, r2, "case %zu", i);
        if (r1)
            cr_assert_eq(c1, c2, "case %zu", i);
        cr_assert_str_eq(m1, m2, "case %zu", i);
    }
    cr_assert_eq(sim_model_operation_count(fm), sim_model_operation_count(model));
    json_decref(doc);
    sim_model_free(fm);
    free(text);
    json_decref(full);
}

/* ------------------------------------------------------------------------------------------ */
/* Cases generated from the raw model: every operation, every top-level rule                   */
/* ------------------------------------------------------------------------------------------ */

TestSuite(validate_generated, .init = setup, .fini = teardown);

static json_t *shape_def(const char *name)
{
    return json_object_get(json_object_get(raw, "shapes"), name);
}

static json_t *member_def(json_t *mref)
{
    return shape_def(json_string_value(json_object_get(mref, "shape")));
}

static const char *shape_name(json_t *mref)
{
    return json_string_value(json_object_get(mref, "shape"));
}

static int is_required(json_t *structure, const char *member)
{
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(structure, "required"), i, r)
    {
        if (strcmp(json_string_value(r), member) == 0)
            return 1;
    }
    return 0;
}

static void lower_first(char *dst, const char *src, size_t n)
{
    snprintf(dst, n, "%s", src);
    if (dst[0] >= 'A' && dst[0] <= 'Z')
        dst[0] = (char)(dst[0] - 'A' + 'a');
}

/* Valid samples for the patterned strings (a pattern cannot be inverted generically). */
static const char *sample_for(const char *shape)
{
    static const struct {
        const char *shape, *value;
    } samples[] = {
        {"StreamName", "s"},
        {"StreamARN", "arn:aws:kinesis:us-east-1:123456789012:stream/s"},
        {"ResourceARN", "arn:aws:kinesis:us-east-1:123456789012:stream/s"},
        {"ConsumerARN", "arn:aws:kinesis:us-east-1:123456789012:stream/s/consumer/c:1"},
        {"ConsumerName", "c"},
        {"ShardId", "shardId-000000000000"},
        {"HashKey", "0"},
        {"SequenceNumber", "1"},
        {"StreamId", "abcdefghij0123456789-abc"},
    };
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++)
        if (strcmp(samples[i].shape, shape) == 0)
            return samples[i].value;
    return NULL;
}

static json_t *valid_value(const char *name)
{
    json_t *d = shape_def(name);
    const char *type = json_string_value(json_object_get(d, "type"));
    long long min = json_integer_value(json_object_get(d, "min"));
    json_t *e = json_object_get(d, "enum");
    if (strcmp(type, "string") == 0) {
        if (e)
            return json_incref(json_array_get(e, 0));
        const char *s = sample_for(name);
        cr_assert(s || !json_object_get(d, "pattern"), "no sample for patterned shape %s", name);
        if (s)
            return json_string(s);
        char buf[64];
        size_t n = min > 1 ? (size_t)min : 1;
        cr_assert_lt(n, sizeof buf);
        memset(buf, 'a', n);
        buf[n] = '\0';
        return json_string(buf);
    }
    if (strcmp(type, "blob") == 0)
        return json_string("");
    if (strcmp(type, "integer") == 0 || strcmp(type, "long") == 0)
        return json_integer(json_object_get(d, "min") ? min : 1);
    if (strcmp(type, "boolean") == 0)
        return json_true();
    if (strcmp(type, "timestamp") == 0)
        return json_integer(0);
    if (strcmp(type, "list") == 0) {
        json_t *a = json_array();
        size_t n = min > 1 ? (size_t)min : 1;
        for (size_t i = 0; i < n; i++)
            json_array_append_new(a, valid_value(shape_name(json_object_get(d, "member"))));
        return a;
    }
    if (strcmp(type, "map") == 0) {
        json_t *o = json_object();
        json_object_set_new(o, "k", valid_value(shape_name(json_object_get(d, "value"))));
        return o;
    }
    json_t *o = json_object();
    const char *mname;
    json_t *mref;
    json_object_foreach(json_object_get(d, "members"), mname, mref)
    {
        if (is_required(d, mname))
            json_object_set_new(o, mname, valid_value(shape_name(mref)));
    }
    return o;
}

static void expect_message(const char *op, json_t *in, const char *want)
{
    sim_error_code code = SIM_ERR__COUNT;
    static char msg[4 << 20]; /* NextToken may be 1 MiB long */
    int rc = sim_validate_input(model, op, in, &code, msg, sizeof msg);
    char *dump = json_dumps(in, JSON_COMPACT);
    if (!want) {
        cr_expect_eq(rc, 0, "%s %s should be valid, got %s", op, dump, msg);
    } else {
        cr_expect_eq(rc, -1, "%s %s should fail", op, dump);
        cr_expect_eq(code, SIM_ERR_ValidationException, "%s %s: %s", op, dump, sim_error_name(code));
        /* plain strcmp: Criterion's string asserts choke on megabyte strings */
        int same = strcmp(msg, want) == 0;
        cr_expect(same, "%s %.300s\n  got:  %.600s\n  want: %.600s", op, dump, msg, want);
    }
    free(dump);
}

Test(validate_generated, required_members_of_every_operation)
{
    const char *op;
    json_t *o;
    int with_required = 0;
    json_object_foreach(json_object_get(raw, "operations"), op, o)
    {
        json_t *in_def = member_def(json_object_get(o, "input"));
        char list[2048] = "";
        int n = 0;
        const char *mname;
        json_t *mref;
        json_object_foreach(json_object_get(in_def, "members"), mname, mref)
        {
            if (!is_required(in_def, mname))
                continue;
            char lc[128];
            lower_first(lc, mname, sizeof lc);
            size_t len = strlen(list);
            snprintf(list + len, sizeof list - len,
                     "%sValue null at '%s' failed to satisfy constraint: Member must not be null",
                     n ? "; " : "", lc);
            n++;
        }
        json_t *empty = json_object();
        if (n == 0) {
            expect_message(op, empty, NULL);
        } else {
            char want[2200];
            snprintf(want, sizeof want, "%d validation error%s detected: %s", n, n > 1 ? "s" : "", list);
            expect_message(op, empty, want);
            with_required++;
        }
        json_decref(empty);
        /* and the minimal valid input passes */
        json_t *ok = valid_value(shape_name(json_object_get(o, "input")));
        expect_message(op, ok, NULL);
        json_decref(ok);
    }
    cr_assert_geq(with_required, 25);
}

/* AWS's order for this enum (kinesalite test/getShardIterator.js); the others follow the model. */
static void enum_text(const char *shape, json_t *values, char *out, size_t n)
{
    if (strcmp(shape, "ShardIteratorType") == 0) {
        snprintf(out, n, "[AFTER_SEQUENCE_NUMBER, LATEST, AT_TIMESTAMP, AT_SEQUENCE_NUMBER, TRIM_HORIZON]");
        return;
    }
    size_t i, len;
    json_t *v;
    snprintf(out, n, "[");
    json_array_foreach(values, i, v)
    {
        len = strlen(out);
        snprintf(out + len, n - len, "%s%s", i ? ", " : "", json_string_value(v));
    }
    len = strlen(out);
    snprintf(out + len, n - len, "]");
}

/* Build "N validation error(s) detected: " + the errors. */
static char *join_errors(const char *const *errs, int n)
{
    size_t total = 64;
    for (int i = 0; i < n; i++)
        total += strlen(errs[i]) + 2;
    char *s = malloc(total);
    cr_assert_not_null(s);
    int off = snprintf(s, total, "%d validation error%s detected: ", n, n > 1 ? "s" : "");
    for (int i = 0; i < n; i++)
        off += snprintf(s + off, total - (size_t)off, "%s%s", i ? "; " : "", errs[i]);
    return s;
}

static char *one_error(const char *value_quoted, const char *path, const char *constraint)
{
    size_t n = strlen(value_quoted) + strlen(path) + strlen(constraint) + 64;
    char *s = malloc(n);
    cr_assert_not_null(s);
    snprintf(s, n, "Value %s at '%s' failed to satisfy constraint: %s", value_quoted, path, constraint);
    return s;
}

static char *quoted(const char *v)
{
    size_t n = strlen(v) + 3;
    char *s = malloc(n);
    cr_assert_not_null(s);
    snprintf(s, n, "'%s'", v);
    return s;
}

/* Check one member value that breaks the listed constraints (errs: texts after "constraint: "). */
static void check_member_case(const char *op, json_t *base, const char *mname, json_t *value,
                              const char *value_text, const char *const *constraints, int n)
{
    char lc[128];
    lower_first(lc, mname, sizeof lc);
    json_t *in = json_deep_copy(base);
    json_object_set_new(in, mname, value);
    char *q = quoted(value_text);
    char *errs[4];
    for (int i = 0; i < n; i++)
        errs[i] = one_error(q, lc, constraints[i]);
    char *want = join_errors((const char *const *)errs, n);
    expect_message(op, in, want);
    free(want);
    for (int i = 0; i < n; i++)
        free(errs[i]);
    free(q);
    json_decref(in);
}

static char *repeat_join(const char *item, size_t count, const char *sep)
{
    size_t n = count * (strlen(item) + strlen(sep)) + 1;
    char *s = malloc(n);
    cr_assert_not_null(s);
    s[0] = '\0';
    size_t off = 0;
    for (size_t i = 0; i < count; i++)
        off += (size_t)snprintf(s + off, n - off, "%s%s", i ? sep : "", item);
    return s;
}

Test(validate_generated, every_top_level_rule_of_every_operation)
{
    const char *op;
    json_t *o;
    int checked = 0;
    json_object_foreach(json_object_get(raw, "operations"), op, o)
    {
        const char *in_name = shape_name(json_object_get(o, "input"));
        json_t *in_def = shape_def(in_name);
        json_t *base = valid_value(in_name);
        const char *mname;
        json_t *mref;
        json_object_foreach(json_object_get(in_def, "members"), mname, mref)
        {
            const char *sname = shape_name(mref);
            json_t *d = shape_def(sname);
            const char *type = json_string_value(json_object_get(d, "type"));
            json_t *jmin = json_object_get(d, "min"), *jmax = json_object_get(d, "max");
            long long min = json_integer_value(jmin), max = json_integer_value(jmax);
            const char *pattern = json_string_value(json_object_get(d, "pattern"));
            json_t *en = json_object_get(d, "enum");
            char c1[1200], c2[512], c3[512];
            json_t *b = json_deep_copy(base);
            json_object_del(b, mname);
            if (pattern)
                snprintf(c3, sizeof c3, "Member must satisfy regular expression pattern: %s", pattern);
            if (strcmp(type, "string") == 0 && en) {
                char et[1024];
                enum_text(sname, en, et, sizeof et);
                snprintf(c1, sizeof c1, "Member must satisfy enum value set: %s", et);
                const char *cs[] = {c1};
                check_member_case(op, b, mname, json_string("NOT_A_MEMBER"), "NOT_A_MEMBER", cs, 1);
                checked++;
            } else if (strcmp(type, "string") == 0) {
                if (jmin && min >= 1) {
                    snprintf(c1, sizeof c1, "Member must have length greater than or equal to %lld", min);
                    const char *cs[] = {pattern ? c3 : c1, c1};
                    check_member_case(op, b, mname, json_string(""), "", pattern ? cs : cs + 1,
                                      pattern ? 2 : 1);
                    checked++;
                } else if (pattern) {
                    const char *cs[] = {c3};
                    check_member_case(op, b, mname, json_string("x y"), "x y", cs, 1);
                    checked++;
                }
                if (jmax) {
                    /* A valid sample grown past max; only StreamId's fixed-width pattern breaks too. */
                    const char *s = sample_for(sname);
                    size_t n = (size_t)max + 1;
                    char *v = malloc(n + 1);
                    cr_assert_not_null(v);
                    memset(v, strcmp(sname, "ConsumerARN") == 0 ? '1' : 'a', n);
                    if (s)
                        memcpy(v, s, strlen(s));
                    v[n] = '\0';
                    snprintf(c2, sizeof c2, "Member must have length less than or equal to %lld", max);
                    int also_pattern = strcmp(sname, "StreamId") == 0;
                    const char *cs[] = {c3, c2};
                    check_member_case(op, b, mname, json_string(v), v, also_pattern ? cs : cs + 1,
                                      also_pattern ? 2 : 1);
                    free(v);
                    checked++;
                }
            } else if (strcmp(type, "integer") == 0) {
                char v[32];
                if (jmin) {
                    snprintf(c1, sizeof c1, "Member must have value greater than or equal to %lld", min);
                    snprintf(v, sizeof v, "%lld", min - 1);
                    const char *cs[] = {c1};
                    check_member_case(op, b, mname, json_integer(min - 1), v, cs, 1);
                    checked++;
                }
                if (jmax) {
                    snprintf(c2, sizeof c2, "Member must have value less than or equal to %lld", max);
                    snprintf(v, sizeof v, "%lld", max + 1);
                    const char *cs[] = {c2};
                    check_member_case(op, b, mname, json_integer(max + 1), v, cs, 1);
                    checked++;
                }
            } else if (strcmp(type, "list") == 0 || strcmp(type, "map") == 0) {
                int is_list = type[0] == 'l';
                if (jmin && min >= 1) {
                    snprintf(c1, sizeof c1, "Member must have length greater than or equal to %lld", min);
                    const char *cs[] = {c1};
                    check_member_case(op, b, mname, is_list ? json_array() : json_object(),
                                      is_list ? "[]" : "{}", cs, 1);
                    checked++;
                }
                const char *elem = is_list ? shape_name(json_object_get(d, "member"))
                                           : shape_name(json_object_get(d, "value"));
                json_t *ev = valid_value(elem);
                if (jmax && json_is_string(ev)) {
                    snprintf(c2, sizeof c2, "Member must have length less than or equal to %lld", max);
                    json_t *big = is_list ? json_array() : json_object();
                    char *text;
                    if (is_list) {
                        for (long long i = 0; i <= max; i++)
                            json_array_append(big, ev);
                        char *items = repeat_join(json_string_value(ev), (size_t)max + 1, ", ");
                        size_t tl = strlen(items) + 3;
                        text = malloc(tl);
                        cr_assert_not_null(text);
                        snprintf(text, tl, "[%s]", items);
                        free(items);
                    } else {
                        size_t tl = ((size_t)max + 1) * (16 + json_string_length(ev)) + 3, off = 1;
                        text = malloc(tl);
                        cr_assert_not_null(text);
                        text[0] = '{';
                        for (long long i = 0; i <= max; i++) {
                            char k[32];
                            snprintf(k, sizeof k, "k%lld", i);
                            json_object_set(big, k, ev);
                            off += (size_t)snprintf(text + off, tl - off, "%s%s=%s", i ? ", " : "", k,
                                                    json_string_value(ev));
                        }
                        snprintf(text + off, tl - off, "}");
                    }
                    const char *cs[] = {c2};
                    check_member_case(op, b, mname, big, text, cs, 1);
                    free(text);
                    checked++;
                }
                json_decref(ev);
            }
            json_decref(b);
        }
        json_decref(base);
    }
    cr_assert_geq(checked, 100, "only %d rules checked", checked);
}

/* ------------------------------------------------------------------------------------------ */
/* Joining, the cap, blobs, buffers, numbers, timing                                            */
/* ------------------------------------------------------------------------------------------ */

TestSuite(validate_errors, .init = setup, .fini = teardown);

Test(validate_errors, at_most_ten_errors_and_the_list_value_as_aws_prints_it)
{
    /* kinesalite test/putRecords.js "too many records" (against AWS): the list error, then
     * records.1..9, and nothing more. */
    json_t *records = json_array();
    for (int i = 0; i < 501; i++)
        json_array_append_new(records, json_pack("{s:s,s:s}", "PartitionKey", "", "Data", ""));
    json_t *in = json_pack("{s:s,s:o}", "StreamName", "", "Records", records);
    static char msg[131072];
    sim_error_code code;
    cr_assert_eq(sim_validate_input(model, "PutRecords", in, &code, msg, sizeof msg), -1);
    cr_assert_eq(code, SIM_ERR_ValidationException);
    const char *prefix =
        "10 validation errors detected: Value '[com.amazonaws.kinesis.v20131202.PutRecordsRequestEntry@";
    cr_assert_eq(strncmp(msg, prefix, strlen(prefix)), 0, "%.200s", msg);
    /* equal entries print the same hash, as AWS's did */
    const char *h = msg + strlen(prefix);
    size_t hl = strcspn(h, ",]");
    char entry[128];
    snprintf(entry, sizeof entry, "PutRecordsRequestEntry@%.*s", (int)hl, h);
    int count = 0;
    for (const char *p = msg; (p = strstr(p, entry)) != NULL; p++)
        count++;
    cr_assert_eq(count, 501);
    cr_assert(strstr(msg,
                     "]' at 'records' failed to satisfy constraint: Member must have length less than or "
                     "equal to 500; Value '' at 'records.1.member.partitionKey'") != NULL);
    const char *tail =
        "; Value '' at 'records.9.member.partitionKey' failed to satisfy constraint: Member must have "
        "length greater than or equal to 1";
    cr_assert_str_eq(msg + strlen(msg) - strlen(tail), tail);
    cr_assert_null(strstr(msg, "records.10."));
    cr_assert_null(strstr(msg, "streamName"));
    json_decref(in);
}

Test(validate_errors, different_entries_print_different_hashes)
{
    sim_error_code code;
    char msg[4096];
    cr_assert_eq(
        run("PutRecords",
            "{\"Records\":[{\"PartitionKey\":\"a\",\"Data\":\"\"},{\"PartitionKey\":\"b\",\"Data\":\"\"},"
            "{\"PartitionKey\":\"\",\"Data\":\"\"}]}",
            &code, msg, sizeof msg),
        -1);
    cr_assert_str_eq(msg,
                     "1 validation error detected: Value '' at 'records.3.member.partitionKey' failed to "
                     "satisfy constraint: Member must have length greater than or equal to 1");
    json_t *records = json_array();
    for (int i = 0; i < 501; i++)
        json_array_append_new(records, json_pack("{s:s,s:s}", "PartitionKey", i ? "a" : "b", "Data", ""));
    json_t *in = json_pack("{s:o}", "Records", records);
    static char big[131072];
    cr_assert_eq(sim_validate_input(model, "PutRecords", in, &code, big, sizeof big), -1);
    const char *p1 = strstr(big, "Entry@"), *p2 = strstr(p1 + 1, "Entry@");
    cr_assert(p1 && p2);
    cr_assert_neq(strncmp(p1, p2, strcspn(p1, ",")), 0, "entries with different contents share a hash");
    json_decref(in);
}

Test(validate_errors, blob_length_is_checked_on_decoded_bytes_against_the_model_max)
{
    /* Data max in this model is 10485760 (1 MiB in older models; the handlers enforce the
     * stream's MaxRecordSizeInKiB separately). */
    size_t n = 10485761;
    uint8_t *bytes = calloc(n, 1);
    cr_assert_not_null(bytes);
    size_t elen;
    char *b64 = b64_encode(bytes, n, &elen);
    cr_assert_not_null(b64);
    json_t *in = json_pack("{s:s,s:s}", "PartitionKey", "a", "Data", b64);
    sim_error_code code;
    char msg[1024];
    cr_assert_eq(sim_validate_input(model, "PutRecord", in, &code, msg, sizeof msg), -1);
    cr_assert_str_eq(
        msg, "1 validation error detected: Value 'java.nio.HeapByteBuffer[pos=0 lim=10485761 "
             "cap=10485761]' at 'data' failed to satisfy constraint: Member must have length less than "
             "or equal to 10485760");
    json_decref(in);
    free(b64);
    b64 = b64_encode(bytes, n - 1, &elen);
    in = json_pack("{s:s,s:s}", "PartitionKey", "a", "Data", b64);
    cr_assert_eq(sim_validate_input(model, "PutRecord", in, &code, msg, sizeof msg), 0, "%s", msg);
    json_decref(in);
    free(b64);
    free(bytes);
}

Test(validate_errors, small_buffers_are_truncated_safely)
{
    sim_error_code code;
    char msg[16];
    memset(msg, 'X', sizeof msg);
    cr_assert_eq(run("PutRecords", "{}", &code, msg, sizeof msg), -1);
    cr_assert_eq(code, SIM_ERR_ValidationException);
    cr_assert_eq(strlen(msg), sizeof msg - 1);
    cr_assert_str_eq(msg, "1 validation er");
    cr_assert_eq(run("ListShards", "{\"MaxResults\":\"1\"}", &code, msg, 1), -1);
    cr_assert_eq(code, SIM_ERR_SerializationException);
    cr_assert_eq(run("ListShards", "{\"MaxResults\":\"1\"}", &code, NULL, 0), -1);
}

Test(validate_errors, unknown_operation_and_non_object_bodies)
{
    sim_error_code code;
    char msg[256];
    cr_assert_eq(run("NoSuchOp", "{}", &code, msg, sizeof msg), -1);
    cr_assert_eq(code, SIM_ERR_UnknownOperationException);
    cr_assert_eq(sim_validate_input(model, NULL, NULL, &code, msg, sizeof msg), -1);
    cr_assert_eq(code, SIM_ERR_UnknownOperationException);
    cr_assert_eq(sim_validate_input(model, "ListStreams", NULL, &code, msg, sizeof msg), -1);
    cr_assert_eq(code, SIM_ERR_SerializationException);
    const char *scalars[] = {"3", "\"x\"", "true", "null"};
    for (size_t i = 0; i < 4; i++) {
        strcpy(msg, "junk");
        cr_assert_eq(run("ListStreams", scalars[i], &code, msg, sizeof msg), -1, "%s", scalars[i]);
        cr_assert_eq(code, SIM_ERR_SerializationException);
        cr_assert_str_eq(msg, "", "a bare SerializationException (no message) for %s", scalars[i]);
    }
    cr_assert_eq(run("ListStreams", "[]", &code, msg, sizeof msg), -1);
    cr_assert_str_eq(msg, "Start of list found where not expected");
    cr_assert_eq(run("ListStreams", "{}", &code, msg, sizeof msg), 0);
}

Test(validate_errors, integer_value_as_aws_reads_it)
{
    json_t *v = json_real(1.9);
    cr_assert_eq(sim_validate_integer(v), 1);
    json_real_set(v, -0.5);
    cr_assert_eq(sim_validate_integer(v), -1);
    json_real_set(v, 1e12);
    cr_assert_eq(sim_validate_integer(v), 2147483647LL);
    json_real_set(v, -1e30);
    cr_assert_eq(sim_validate_integer(v), -2147483648LL);
    json_decref(v);
    v = json_integer(4000000000LL);
    cr_assert_eq(sim_validate_integer(v), 2147483647LL);
    json_integer_set(v, 42);
    cr_assert_eq(sim_validate_integer(v), 42);
    json_decref(v);
    v = json_string("7");
    cr_assert_eq(sim_validate_integer(v), 0);
    json_decref(v);
}

Test(validate_errors, put_records_of_500_is_validated_quickly, .timeout = 60)
{
    uint8_t data[1024];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)i;
    char *b64 = b64_encode(data, sizeof data, NULL);
    json_t *records = json_array();
    for (int i = 0; i < 500; i++) {
        char pk[32], ehk[48];
        snprintf(pk, sizeof pk, "key-%d", i);
        snprintf(ehk, sizeof ehk, "%d000000000000000000000000000000", i + 1);
        json_array_append_new(
            records, json_pack("{s:s,s:s,s:s}", "PartitionKey", pk, "Data", b64, "ExplicitHashKey", ehk));
    }
    json_t *in = json_pack("{s:s,s:o}", "StreamName", "perf", "Records", records);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int iterations = 50;
    for (int i = 0; i < iterations; i++) {
        sim_error_code code;
        char msg[256];
        cr_assert_eq(sim_validate_input(model, "PutRecords", in, &code, msg, sizeof msg), 0, "%s", msg);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
    cr_log_info("PutRecords x 500 (1 KiB each): %.3f ms per request", ms / iterations);
    cr_assert_lt(ms, 30000.0);
    json_decref(in);
    free(b64);
}

/* ------------------------------------------------------------------------------------------ */
/* base64                                                                                      */
/* ------------------------------------------------------------------------------------------ */

Test(base64, rfc4648_vectors_decode_and_encode)
{
    /* Test vectors from RFC 4648 section 10. */
    static const char *plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    static const char *enc[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
    for (size_t i = 0; i < 7; i++) {
        uint8_t *out;
        size_t len;
        cr_assert_eq(b64_decode(enc[i], &out, &len), 0, "%s", enc[i]);
        cr_assert_not_null(out);
        cr_assert_eq(len, strlen(plain[i]));
        cr_assert_eq(memcmp(out, plain[i], len), 0);
        free(out);
        size_t elen;
        char *e = b64_encode((const uint8_t *)plain[i], strlen(plain[i]), &elen);
        cr_assert_str_eq(e, enc[i]);
        cr_assert_eq(elen, strlen(enc[i]));
        free(e);
    }
}

Test(base64, strict_checks)
{
    size_t n = 99, bad = 99;
    cr_assert_eq(b64_check("Zg", 2, &n, &bad), B64_BAD_LENGTH);
    cr_assert_eq(b64_check("Zm9v\n", 5, &n, &bad), B64_BAD_LENGTH);
    cr_assert_eq(b64_check("Zm 9", 4, &n, &bad), B64_BAD_CHAR);
    cr_assert_eq(bad, 2);
    cr_assert_eq(b64_check("Zm=v", 4, &n, &bad), B64_BAD_CHAR); /* '=' before data */
    cr_assert_eq(bad, 2);
    cr_assert_eq(b64_check("Zh==", 4, &n, &bad), B64_BAD_LAST); /* stray bits */
    cr_assert_eq(b64_check("Zm9=", 4, &n, &bad), B64_BAD_LAST);
    cr_assert_eq(b64_check("a===", 4, &n, &bad), B64_BAD_LAST);
    cr_assert_eq(b64_check("====", 4, &n, &bad), B64_BAD_LAST);
    cr_assert_eq(b64_check("Zm8=", 4, &n, &bad), B64_OK);
    cr_assert_eq(n, 2);
    uint8_t *out = (uint8_t *)"sentinel";
    size_t len;
    cr_assert_eq(b64_decode("Zm9=", &out, &len), -1);
    cr_assert_null(out);
    cr_assert_eq(b64_decode(NULL, &out, &len), -1);
    cr_assert_eq(b64_decode_n("Zm9vYmFyXX", 8, &out, &len), 0); /* only the first 8 */
    cr_assert_eq(len, 6);
    free(out);
}

Test(base64, round_trip_every_length)
{
    uint8_t buf[200];
    unsigned seed = 7;
    for (size_t n = 0; n <= sizeof buf; n++) {
        for (size_t i = 0; i < n; i++) {
            seed = seed * 1103515245u + 12345u;
            buf[i] = (uint8_t)(seed >> 16);
        }
        size_t elen;
        char *e = b64_encode(buf, n, &elen);
        cr_assert_not_null(e);
        cr_assert_eq(elen, (n + 2) / 3 * 4);
        size_t dl = 0;
        cr_assert_eq(b64_check(e, elen, &dl, NULL), B64_OK, "%s", e);
        cr_assert_eq(dl, n);
        uint8_t *d;
        cr_assert_eq(b64_decode(e, &d, &dl), 0);
        cr_assert_eq(dl, n);
        cr_assert_eq(memcmp(d, buf, n), 0);
        free(d);
        free(e);
    }
}
