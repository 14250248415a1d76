/* case.c: loading and strictly validating case files (see case.h and FORMAT.md).
 *
 * Jansson reports syntax errors with their line. For structural errors (unknown key, wrong
 * type) Jansson keeps no positions, so the message names the JSON location inside the case
 * ("steps[2].expect.status") and the line is found by searching the text for the offending key
 * after the start of the case: good enough to jump to the right place. */
#include "case.h"
#include "subscribe.h"
#include "vars.h"

#include <dirent.h>
#include <errno.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define CF_MAX_REPEAT 10000
#define CF_MAX_SLEEP_MS 60000
#define CF_MAX_DEPTH 8
#define CF_MAX_SUB_WAIT_MS 600000

typedef struct vctx {
    const char *text;
    const char *file;
    const char *case_name;
    size_t start; /* where the case starts in text (for line search) */
    char *err;
    size_t err_len;
    char **ops; /* operation names seen */
    size_t n_ops;
} vctx;

static int line_of(const char *text, size_t from, const char *needle)
{
    const char *hit = needle ? strstr(text + from, needle) : NULL;
    if (!hit)
        hit = text + from;
    int line = 1;
    for (const char *p = text; p < hit; p++)
        line += *p == '\n';
    return line;
}

/* Report an error at location loc; key (may be NULL) helps find the line. Returns -1. */
static int fail(vctx *v, const char *loc, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail(vctx *v, const char *loc, const char *key, const char *fmt, ...)
{
    char needle[300] = "", msg[768];
    if (key)
        cf_fmt(needle, sizeof needle, "\"%s\"", key);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    cf_fmt(v->err, v->err_len, "%s:%d: case '%s': %s%s%s", v->file,
           line_of(v->text, v->start, key ? needle : NULL), v->case_name ? v->case_name : "?", loc,
           *loc ? ": " : "", msg);
    return -1;
}

static int only_keys(vctx *v, const json_t *o, const char *loc, const char *const *allowed)
{
    const char *key;
    const json_t *val;
    json_object_foreach((json_t *)o, key, val)
    {
        int ok = 0;
        for (const char *const *a = allowed; *a && !ok; a++)
            ok = !strcmp(*a, key);
        if (!ok) {
            char list[512] = "";
            for (const char *const *a = allowed; *a; a++) {
                strncat(list, *a, sizeof list - strlen(list) - 1);
                if (a[1])
                    strncat(list, ", ", sizeof list - strlen(list) - 1);
            }
            return fail(v, loc, key, "unknown key '%s' (expected one of: %s)", key, list);
        }
    }
    return 0;
}

static int want_type(vctx *v, const json_t *o, const char *key, const char *loc, int (*pred)(const json_t *),
                     const char *what)
{
    const json_t *x = json_object_get(o, key);
    if (x && !pred(x))
        return fail(v, loc, key, "'%s' must be %s", key, what);
    return 0;
}

static int is_string(const json_t *x)
{
    return json_is_string(x);
}
static int is_int(const json_t *x)
{
    return json_is_integer(x);
}
static int is_bool(const json_t *x)
{
    return json_is_boolean(x);
}
static int is_object(const json_t *x)
{
    return json_is_object(x);
}
static int is_array(const json_t *x)
{
    return json_is_array(x);
}
static int is_scalar_num(const json_t *x)
{
    return json_is_string(x) || json_is_number(x);
}
static int is_string_list(const json_t *x)
{
    if (json_is_string(x))
        return 1;
    if (!json_is_array(x) || json_array_size(x) == 0)
        return 0;
    size_t k;
    const json_t *it;
    json_array_foreach(x, k, it) if (!json_is_string(it)) return 0;
    return 1;
}
static int is_int_list(const json_t *x)
{
    if (json_is_integer(x))
        return 1;
    if (!json_is_array(x) || json_array_size(x) == 0)
        return 0;
    size_t k;
    const json_t *it;
    json_array_foreach(x, k, it) if (!json_is_integer(it)) return 0;
    return 1;
}

static int check_regex(vctx *v, const json_t *o, const char *key, const char *loc)
{
    const char *pat = json_string_value(json_object_get(o, key));
    if (!pat || strstr(pat, "${"))
        return 0; /* checked after expansion */
    regex_t re;
    int rc = regcomp(&re, pat, REG_EXTENDED | REG_NOSUB);
    if (rc) {
        char buf[128];
        regerror(rc, &re, buf, sizeof buf);
        return fail(v, loc, key, "bad regular expression /%s/: %s", pat, buf);
    }
    regfree(&re);
    return 0;
}

static int add_op(vctx *v, const char *op)
{
    if (strstr(op, "${"))
        return 0;
    for (size_t k = 0; k < v->n_ops; k++)
        if (!strcmp(v->ops[k], op))
            return 0;
    char **n = realloc(v->ops, (v->n_ops + 1) * sizeof *n);
    if (!n)
        return -1;
    v->ops = n;
    v->ops[v->n_ops++] = strdup(op);
    return 0;
}

/* ------------------------------------------------------------------ expectations */

/* One matcher: a place (path or header for field matchers; var for a while condition) and at
 * least one condition. */
static int check_matcher(vctx *v, const json_t *f, const char *l, int is_var)
{
    static const char *const keys[] = {"path", "header", "equals", "not_equals", "one_of",     "re",
                                       "type", "absent", "exists", "length",     "min_length", "max_length",
                                       "gt",   "ge",     "lt",     "le",         "note",       NULL};
    static const char *const var_keys[] = {
        "var",        "equals",     "not_equals", "one_of", "re", "type", "absent", "exists", "length",
        "min_length", "max_length", "gt",         "ge",     "lt", "le",   "note",   NULL};
    static const char *const types[] = {"string", "number", "integer", "boolean",
                                        "array",  "object", "null",    NULL};
    if (!json_is_object(f))
        return fail(v, l, is_var ? "while" : "fields",
                    is_var ? "a while condition must be an object" : "a field matcher must be an object");
    if (only_keys(v, f, l, is_var ? var_keys : keys) < 0)
        return -1;
    int has_path = json_object_get(f, "path") != NULL, has_header = json_object_get(f, "header") != NULL;
    if (is_var && !json_is_string(json_object_get(f, "var")))
        return fail(v, l, "while",
                    "a while condition names a variable: {\"var\": \"it\", \"absent\": false}");
    if (!is_var && has_path == has_header)
        return fail(v, l, "fields", "give exactly one of 'path' or 'header'");
    if (want_type(v, f, "path", l, is_string, "a string") ||
        want_type(v, f, "header", l, is_string, "a string") ||
        want_type(v, f, "re", l, is_string, "a string") ||
        want_type(v, f, "type", l, is_string, "a string") ||
        want_type(v, f, "absent", l, is_bool, "true or false") ||
        want_type(v, f, "exists", l, is_bool, "true or false") ||
        want_type(v, f, "length", l, is_int, "an integer") ||
        want_type(v, f, "min_length", l, is_int, "an integer") ||
        want_type(v, f, "max_length", l, is_int, "an integer") ||
        want_type(v, f, "one_of", l, is_array, "an array") ||
        want_type(v, f, "gt", l, is_scalar_num, "a number or decimal string") ||
        want_type(v, f, "ge", l, is_scalar_num, "a number or decimal string") ||
        want_type(v, f, "lt", l, is_scalar_num, "a number or decimal string") ||
        want_type(v, f, "le", l, is_scalar_num, "a number or decimal string") || check_regex(v, f, "re", l))
        return -1;
    const char *t = json_string_value(json_object_get(f, "type"));
    if (t) {
        int ok = 0;
        for (const char *const *a = types; *a; a++)
            ok |= !strcmp(*a, t);
        if (!ok)
            return fail(v, l, "type", "unknown type '%s'", t);
    }
    if (json_object_size(f) < 2 || (json_object_size(f) == 2 && json_object_get(f, "note")))
        return fail(v, l,
                    is_var     ? "var"
                    : has_path ? "path"
                               : "header",
                    is_var ? "a while condition needs at least one condition besides 'var'"
                           : "a field matcher needs at least one condition");
    return 0;
}

static int check_fields(vctx *v, const json_t *fields, const char *loc)
{
    size_t k;
    const json_t *f;
    char l[256];
    json_array_foreach(fields, k, f)
    {
        cf_fmt(l, sizeof l, "%s[%zu]", loc, k);
        if (check_matcher(v, f, l, 0) < 0)
            return -1;
    }
    return 0;
}

/* body_contains / body_re: a string or a non-empty list of strings; body_re entries must compile. */
static int check_body_keys(vctx *v, const json_t *e, const char *loc)
{
    if (want_type(v, e, "body_contains", loc, is_string_list, "a string or a list of strings") ||
        want_type(v, e, "body_re", loc, is_string_list, "a regular expression or a list of them"))
        return -1;
    const json_t *re = json_object_get(e, "body_re");
    size_t n = json_is_array(re) ? json_array_size(re) : (re ? 1 : 0);
    for (size_t k = 0; k < n; k++) {
        const char *pat = json_string_value(json_is_array(re) ? json_array_get(re, k) : re);
        if (strstr(pat, "${"))
            continue; /* checked after expansion */
        regex_t rx;
        int rc = regcomp(&rx, pat, REG_EXTENDED | REG_NOSUB | REG_NEWLINE);
        if (rc) {
            char buf[128];
            regerror(rc, &rx, buf, sizeof buf);
            return fail(v, loc, "body_re", "bad regular expression /%s/: %s", pat, buf);
        }
        regfree(&rx);
    }
    return 0;
}

static int check_expect(vctx *v, const json_t *e, const char *loc, int top)
{
    static const char *const keys[] = {"status",        "error",   "message", "message_re", "fields",
                                       "body_contains", "body_re", "any_of",  "note",       NULL};
    if (!json_is_object(e))
        return fail(v, loc, "expect", "must be an object");
    if (only_keys(v, e, loc, keys) < 0)
        return -1;
    if (want_type(v, e, "status", loc, is_int_list, "an integer or a list of integers") ||
        want_type(v, e, "error", loc, is_string_list, "an error name or a list of names") ||
        want_type(v, e, "message", loc, is_string, "a string") ||
        want_type(v, e, "message_re", loc, is_string, "a string") ||
        want_type(v, e, "fields", loc, is_array, "an array") || check_regex(v, e, "message_re", loc) ||
        check_body_keys(v, e, loc))
        return -1;
    char l[256];
    const json_t *fields = json_object_get(e, "fields");
    if (fields) {
        cf_fmt(l, sizeof l, "%s.fields", loc);
        if (check_fields(v, fields, l) < 0)
            return -1;
    }
    const json_t *any = json_object_get(e, "any_of");
    if (any) {
        if (!top)
            return fail(v, loc, "any_of", "any_of cannot nest");
        if (!json_is_array(any) || json_array_size(any) < 2)
            return fail(v, loc, "any_of", "any_of must list at least two expectations");
        if (json_object_get(e, "status") || json_object_get(e, "error") || json_object_get(e, "message") ||
            json_object_get(e, "message_re"))
            return fail(v, loc, "any_of", "with any_of, put status/error/message inside the alternatives");
        size_t k;
        const json_t *alt;
        json_array_foreach(any, k, alt)
        {
            cf_fmt(l, sizeof l, "%s.any_of[%zu]", loc, k);
            if (check_expect(v, alt, l, 0) < 0)
                return -1;
        }
    }
    return 0;
}

static int check_capture(vctx *v, const json_t *c, const char *loc)
{
    if (!json_is_object(c))
        return fail(v, loc, "capture", "must be an object of name -> path");
    const char *key;
    const json_t *val;
    json_object_foreach((json_t *)c, key, val)
    {
        if (json_is_string(val))
            continue;
        static const char *const keys[] = {"path", "header", NULL};
        if (!json_is_object(val) || only_keys(v, val, loc, keys) < 0 ||
            (json_object_get(val, "path") != NULL) == (json_object_get(val, "header") != NULL) ||
            want_type(v, val, "path", loc, is_string, "a string") ||
            want_type(v, val, "header", loc, is_string, "a string")) {
            if (v->err[0])
                return -1;
            return fail(v, loc, key, "capture '%s' must be a path string or {\"path\"|\"header\": ...}", key);
        }
    }
    return 0;
}

/* ------------------------------------------------------------------ steps */

static int check_steps(vctx *v, const json_t *steps, const char *loc, int depth);

static int check_raw(vctx *v, const json_t *raw, const char *loc)
{
    static const char *const keys[] = {"method",  "path", "query", "target", "content_type",
                                       "headers", "body", "sign",  NULL};
    if (!json_is_object(raw))
        return fail(v, loc, "raw", "must be an object");
    if (only_keys(v, raw, loc, keys) < 0 || want_type(v, raw, "method", loc, is_string, "a string") ||
        want_type(v, raw, "path", loc, is_string, "a string") ||
        want_type(v, raw, "query", loc, is_string, "a string") ||
        want_type(v, raw, "target", loc, is_string, "a string") ||
        want_type(v, raw, "headers", loc, is_object, "an object") ||
        want_type(v, raw, "sign", loc, is_bool, "true or false"))
        return -1;
    const json_t *ct = json_object_get(raw, "content_type");
    if (ct && !json_is_string(ct) && !json_is_null(ct))
        return fail(v, loc, "content_type", "'content_type' must be a string or null (no header)");
    const json_t *h = json_object_get(raw, "headers");
    const char *key;
    const json_t *val;
    json_object_foreach((json_t *)h, key, val)
    {
        if (!json_is_string(val) && !json_is_null(val))
            return fail(v, loc, key, "header '%s' must be a string or null (remove)", key);
    }
    const char *target = json_string_value(json_object_get(raw, "target"));
    if (target && add_op(v, target) < 0)
        return -1;
    return 0;
}

/* subscribe: {"name"?, "body", "until"?, "wait_ms"?}; read_subscription: {"name"?, "until"?, "wait_ms"?}. */
static int check_subscription(vctx *v, const json_t *s, const char *loc)
{
    static const char *const skeys[] = {"name", "body", "until", "wait_ms", NULL};
    static const char *const rkeys[] = {"name", "until", "wait_ms", NULL};
    int start = json_object_get(s, "subscribe") != NULL;
    const char *what = start ? "subscribe" : "read_subscription";
    const json_t *o = json_object_get(s, what);
    char l[256];
    cf_fmt(l, sizeof l, "%s.%s", loc, what);
    if (!json_is_object(o))
        return fail(v, l, what, "'%s' must be an object", what);
    if (only_keys(v, o, l, start ? skeys : rkeys) < 0 || want_type(v, o, "name", l, is_string, "a string") ||
        want_type(v, o, "wait_ms", l, is_int, "an integer"))
        return -1;
    if (start && !json_is_object(json_object_get(o, "body")))
        return fail(v, l, what,
                    "subscribe needs a 'body': {\"ConsumerARN\", \"ShardId\", \"StartingPosition\"}");
    json_int_t ms = json_integer_value(json_object_get(o, "wait_ms"));
    if (json_object_get(o, "wait_ms") && (ms < 1 || ms > CF_MAX_SUB_WAIT_MS))
        return fail(v, l, "wait_ms", "'wait_ms' must be 1..%d", CF_MAX_SUB_WAIT_MS);
    if (cf_subs_until_valid(json_object_get(o, "until")) < 0)
        return fail(v, l, "until", "'until' is \"end\", {\"events\": N} or {\"records\": N} (N >= 1)");
    if (start && add_op(v, "SubscribeToShard") < 0)
        return -1;
    return 0;
}

static int check_step(vctx *v, const json_t *s, const char *loc, int depth)
{
    static const char *const keys[] = {
        "op",     "body",    "raw",   "expect", "capture",   "capture_optional",  "poll",
        "repeat", "foreach", "while", "max",    "as",        "wait_stream",       "sleep_ms",
        "check",  "steps",   "set",   "note",   "subscribe", "read_subscription", NULL};
    if (!json_is_object(s))
        return fail(v, loc, NULL, "a step must be an object");
    if (only_keys(v, s, loc, keys) < 0)
        return -1;
    static const char *const kinds[] = {"op",    "raw", "wait_stream", "sleep_ms",          "check",
                                        "steps", "set", "subscribe",   "read_subscription", NULL};
    int n_kinds = 0;
    for (const char *const *k = kinds; *k; k++)
        n_kinds += json_object_get(s, *k) != NULL;
    if (n_kinds != 1)
        return fail(
            v, loc, NULL,
            "a step needs exactly one of op, raw, wait_stream, sleep_ms, check, steps, set, subscribe, "
            "read_subscription");
    if (want_type(v, s, "op", loc, is_string, "an operation name") ||
        want_type(v, s, "body", loc, is_object, "an object") ||
        want_type(v, s, "poll", loc, is_bool, "true or false") ||
        want_type(v, s, "repeat", loc, is_int, "an integer") ||
        want_type(v, s, "foreach", loc, is_array, "an array") ||
        want_type(v, s, "as", loc, is_string, "a string") ||
        want_type(v, s, "sleep_ms", loc, is_int, "an integer") ||
        want_type(v, s, "set", loc, is_object, "an object") ||
        want_type(v, s, "note", loc, is_string, "a string"))
        return -1;
    int is_sub = json_object_get(s, "subscribe") || json_object_get(s, "read_subscription");
    int is_call = json_object_get(s, "op") || json_object_get(s, "raw") || is_sub;
    if (json_object_get(s, "body") && !json_object_get(s, "op"))
        return fail(v, loc, "body", "'body' belongs to an 'op' step (a raw step has raw.body)");
    if (!is_call && (json_object_get(s, "expect") || json_object_get(s, "capture") ||
                     json_object_get(s, "poll") || json_object_get(s, "capture_optional")))
        return fail(v, loc, json_object_get(s, "expect") ? "expect" : "capture",
                    "expect/capture/capture_optional/poll belong to op or raw steps");
    json_int_t rep = json_integer_value(json_object_get(s, "repeat"));
    if (json_object_get(s, "repeat") && (rep < 1 || rep > CF_MAX_REPEAT))
        return fail(v, loc, "repeat", "'repeat' must be 1..%d", CF_MAX_REPEAT);
    int n_loops = (json_object_get(s, "repeat") != NULL) + (json_object_get(s, "foreach") != NULL) +
                  (json_object_get(s, "while") != NULL);
    if (n_loops > 1)
        return fail(v, loc, json_object_get(s, "while") ? "while" : "foreach",
                    "use one of repeat, foreach or while on a step");
    const json_t *wh = json_object_get(s, "while"), *mx = json_object_get(s, "max");
    if (mx && !wh)
        return fail(v, loc, "max", "'max' bounds a 'while' loop; this step has none");
    if (wh) {
        if (!json_is_integer(mx) || json_integer_value(mx) < 1 || json_integer_value(mx) > CF_MAX_REPEAT)
            return fail(v, loc, "while", "a 'while' loop needs \"max\": 1..%d (its most iterations)",
                        CF_MAX_REPEAT);
        char wl[256];
        cf_fmt(wl, sizeof wl, "%s.while", loc);
        if (check_matcher(v, wh, wl, 1) < 0)
            return -1;
    }
    json_int_t sl = json_integer_value(json_object_get(s, "sleep_ms"));
    if (json_object_get(s, "sleep_ms") && (sl < 0 || sl > CF_MAX_SLEEP_MS))
        return fail(v, loc, "sleep_ms", "'sleep_ms' must be 0..%d", CF_MAX_SLEEP_MS);
    char l[256];
    const char *op = json_string_value(json_object_get(s, "op"));
    if (op && add_op(v, op) < 0)
        return -1;
    if (json_object_get(s, "raw")) {
        cf_fmt(l, sizeof l, "%s.raw", loc);
        if (check_raw(v, json_object_get(s, "raw"), l) < 0)
            return -1;
    }
    if (json_object_get(s, "expect")) {
        cf_fmt(l, sizeof l, "%s.expect", loc);
        if (check_expect(v, json_object_get(s, "expect"), l, 1) < 0)
            return -1;
    }
    if (json_object_get(s, "check")) {
        cf_fmt(l, sizeof l, "%s.check", loc);
        if (check_expect(v, json_object_get(s, "check"), l, 1) < 0)
            return -1;
    }
    if (json_object_get(s, "capture")) {
        cf_fmt(l, sizeof l, "%s.capture", loc);
        if (check_capture(v, json_object_get(s, "capture"), l) < 0)
            return -1;
    }
    if (json_object_get(s, "capture_optional")) {
        cf_fmt(l, sizeof l, "%s.capture_optional", loc);
        if (check_capture(v, json_object_get(s, "capture_optional"), l) < 0)
            return -1;
    }
    if (is_sub) {
        if (json_object_get(s, "poll"))
            return fail(v, loc, "poll",
                        "a subscription step reads until its 'until' holds; it has no 'poll'");
        if (check_subscription(v, s, loc) < 0)
            return -1;
    }
    const json_t *w = json_object_get(s, "wait_stream");
    if (w) {
        static const char *const wkeys[] = {"name", "status", NULL};
        cf_fmt(l, sizeof l, "%s.wait_stream", loc);
        if (!json_is_object(w) || only_keys(v, w, l, wkeys) < 0 ||
            !json_is_string(json_object_get(w, "name")) ||
            want_type(v, w, "status", l, is_string, "a string")) {
            if (v->err[0])
                return -1;
            return fail(v, l, "wait_stream",
                        "wait_stream is {\"name\": ..., \"status\": \"ACTIVE\"|\"DELETED\"|...}");
        }
    }
    if (json_object_get(s, "steps")) {
        if (depth >= CF_MAX_DEPTH)
            return fail(v, loc, "steps", "blocks nest too deeply");
        cf_fmt(l, sizeof l, "%s.steps", loc);
        if (check_steps(v, json_object_get(s, "steps"), l, depth + 1) < 0)
            return -1;
    }
    return 0;
}

static int check_steps(vctx *v, const json_t *steps, const char *loc, int depth)
{
    if (!json_is_array(steps) || json_array_size(steps) == 0)
        return fail(v, loc, NULL, "steps must be a non-empty array");
    size_t k;
    const json_t *s;
    char l[256];
    json_array_foreach(steps, k, s)
    {
        cf_fmt(l, sizeof l, "%s[%zu]", loc, k);
        if (check_step(v, s, l, depth) < 0)
            return -1;
    }
    return 0;
}

static int check_setup(vctx *v, const json_t *setup)
{
    static const char *const keys[] = {"streams", NULL};
    static const char *const skeys[] = {"var", "shards", "mode", "wait", NULL};
    if (!json_is_object(setup) || only_keys(v, setup, "setup", keys) < 0) {
        if (v->err[0])
            return -1;
        return fail(v, "setup", "setup", "must be an object");
    }
    const json_t *streams = json_object_get(setup, "streams");
    if (!streams)
        return 0;
    if (!json_is_array(streams))
        return fail(v, "setup", "streams", "'streams' must be an array");
    size_t k;
    const json_t *s;
    char l[64];
    json_array_foreach(streams, k, s)
    {
        cf_fmt(l, sizeof l, "setup.streams[%zu]", k);
        if (!json_is_object(s))
            return fail(v, l, "streams", "must be an object");
        if (only_keys(v, s, l, skeys) < 0 || want_type(v, s, "var", l, is_string, "a variable name") ||
            want_type(v, s, "shards", l, is_int, "an integer") ||
            want_type(v, s, "mode", l, is_string, "a string") ||
            want_type(v, s, "wait", l, is_bool, "true or false"))
            return -1;
        json_int_t n = json_integer_value(json_object_get(s, "shards"));
        if (json_object_get(s, "shards") && (n < 1 || n > 1000))
            return fail(v, l, "shards", "'shards' must be 1..1000");
        const char *mode = json_string_value(json_object_get(s, "mode"));
        if (mode && strcmp(mode, "PROVISIONED") && strcmp(mode, "ON_DEMAND"))
            return fail(v, l, "mode", "'mode' is PROVISIONED or ON_DEMAND");
    }
    return 0;
}

/* ------------------------------------------------------------------ sources */

static const char *const source_kind_names[CF_SOURCE_KINDS] = {"recorded", "doc", "model", "inferred",
                                                               "none"};

const char *cf_source_kind_name(cf_source_kind k)
{
    return k < CF_SOURCE_KINDS ? source_kind_names[k] : "none";
}

int cf_source_kind_parse(const char *name)
{
    for (int k = 0; k < CF_SOURCE_NONE; k++)
        if (!strcmp(name, source_kind_names[k]))
            return k;
    return -1;
}

static int why_fail(char *why, size_t n, const char *msg)
{
    if (why && n)
        cf_fmt(why, n, "%s", msg);
    return -1;
}

/* "<kind>: <text>". recorded and inferred need some text; doc needs a title and an http(s) URL;
 * model starts with a shape name, optionally ".member" (more words may follow). */
int cf_source_classify(const char *e, char *why, size_t why_len)
{
    int kind = -1;
    const char *text = NULL;
    for (int k = 0; k < CF_SOURCE_NONE && kind < 0; k++) {
        size_t n = strlen(source_kind_names[k]);
        if (!strncmp(e, source_kind_names[k], n) && e[n] == ':' && e[n + 1] == ' ') {
            kind = k;
            text = e + n + 2;
        }
    }
    if (kind < 0)
        return why_fail(why, why_len,
                        "a source starts with \"recorded: \", \"doc: \", \"model: \" or \"inferred: \"");
    while (*text == ' ')
        text++;
    if (!*text)
        return why_fail(why, why_len, "a source needs text after its kind");
    if (kind == CF_SOURCE_DOC) {
        const char *url = strstr(text, "https://");
        if (!url)
            url = strstr(text, "http://");
        if (!url || url == text)
            return why_fail(why, why_len, "a doc: source is \"doc: <page title> <URL>\"");
    }
    if (kind == CF_SOURCE_MODEL) {
        const char *p = text;
        int parts = 0;
        while (parts == 0 || *p == '.') {
            if (parts)
                p++;
            if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z')))
                return why_fail(
                    why, why_len,
                    "a model: source names a shape: \"model: <Shape>\" or \"model: <Shape.member>\"");
            while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9'))
                p++;
            parts++;
        }
        if (*p && *p != ' ' && *p != ',' && *p != ';')
            return why_fail(why, why_len,
                            "a model: source names a shape: \"model: <Shape>\" or \"model: <Shape.member>\"");
    }
    return kind;
}

cf_source_kind cf_case_evidence(const cf_case *c)
{
    for (int k = 0; k < CF_SOURCE_NONE; k++)
        if (c->source_kinds & (1u << k))
            return (cf_source_kind)k;
    return CF_SOURCE_NONE;
}

/* source: one entry or a non-empty list of them, each classified. */
static int check_source(vctx *v, const json_t *src, const char *loc)
{
    if (!is_string_list(src))
        return fail(v, loc, "source", "'source' must be a string or a list of strings");
    size_t n = json_is_array(src) ? json_array_size(src) : 1;
    for (size_t k = 0; k < n; k++) {
        const char *e = json_string_value(json_is_array(src) ? json_array_get(src, k) : src);
        char why[160];
        if (cf_source_classify(e, why, sizeof why) < 0)
            return fail(v, loc, "source", "source '%.80s': %s", e, why);
    }
    return 0;
}

/* ------------------------------------------------------------------ cases */

static void free_case(cf_case *c)
{
    free(c->name);
    free(c->file);
    free(c->description);
    for (size_t k = 0; k < c->n_tags; k++)
        free(c->tags[k]);
    free(c->tags);
    for (size_t k = 0; k < c->n_ops; k++)
        free(c->ops[k]);
    free(c->ops);
    free(c->gap);
    for (size_t k = 0; k < c->n_sources; k++)
        free(c->sources[k]);
    free(c->sources);
    json_decref(c->root);
}

static int push_tag(cf_case *c, const char *t)
{
    for (size_t k = 0; k < c->n_tags; k++)
        if (!strcmp(c->tags[k], t))
            return 0;
    char **n = realloc(c->tags, (c->n_tags + 1) * sizeof *n);
    if (!n)
        return -1;
    c->tags = n;
    c->tags[c->n_tags++] = strdup(t);
    return 0;
}

static int build_case(vctx *v, json_t *obj, const char *name, const json_t *file_tags,
                      const json_t *file_source, cf_case *out)
{
    static const char *const keys[] = {"name",       "description", "tags",  "gap",   "exclusive",
                                       "vars",       "names",       "setup", "steps", "cleanup",
                                       "timeout_ms", "source",      NULL};
    memset(out, 0, sizeof *out);
    v->case_name = name;
    v->n_ops = 0;
    v->ops = NULL;
    if (!json_is_object(obj))
        return fail(v, "", NULL, "a case must be an object");
    if (only_keys(v, obj, "", keys) < 0 || want_type(v, obj, "description", "", is_string, "a string") ||
        want_type(v, obj, "vars", "", is_object, "an object") ||
        want_type(v, obj, "timeout_ms", "", is_int, "an integer") ||
        want_type(v, obj, "exclusive", "", is_bool, "true or false"))
        goto fail_ops;
    const json_t *gap = json_object_get(obj, "gap");
    if (gap && !json_is_boolean(gap) && !json_is_string(gap)) {
        fail(v, "", "gap", "'gap' must be true/false or a reason");
        goto fail_ops;
    }
    const json_t *names = json_object_get(obj, "names");
    if (names && !is_string_list(names)) {
        fail(v, "", "names", "'names' must be a list of variable names");
        goto fail_ops;
    }
    const json_t *tags = json_object_get(obj, "tags");
    if (tags && !is_string_list(tags)) {
        fail(v, "", "tags", "'tags' must be a list of strings");
        goto fail_ops;
    }
    /* the case's own source replaces the file's */
    const json_t *source = json_object_get(obj, "source");
    if (source && check_source(v, source, "") < 0)
        goto fail_ops;
    if (!source)
        source = file_source;
    if (json_object_get(obj, "setup") && check_setup(v, json_object_get(obj, "setup")) < 0)
        goto fail_ops;
    if (!json_object_get(obj, "steps")) {
        fail(v, "", NULL, "a case needs 'steps'");
        goto fail_ops;
    }
    if (check_steps(v, json_object_get(obj, "steps"), "steps", 0) < 0)
        goto fail_ops;
    size_t n_main_ops = v->n_ops; /* cleanup calls are not what the case tests */
    if (json_object_get(obj, "cleanup") && check_steps(v, json_object_get(obj, "cleanup"), "cleanup", 0) < 0)
        goto fail_ops;

    out->name = strdup(name);
    out->file = strdup(v->file);
    const char *d = json_string_value(json_object_get(obj, "description"));
    out->description = d ? strdup(d) : NULL;
    if (json_is_string(gap))
        out->gap = strdup(json_string_value(gap));
    else if (json_is_true(gap))
        out->gap = strdup("gap");
    size_t k;
    const json_t *t;
    json_array_foreach(file_tags, k, t) push_tag(out, json_string_value(t));
    json_array_foreach(tags, k, t) push_tag(out, json_string_value(t));
    if (!cf_case_has_tag(out, "aws") && !cf_case_has_tag(out, "sim")) {
        free_case(out);
        memset(out, 0, sizeof *out);
        fail(v, "", "tags",
             "tags must include \"aws\" (documented behaviour) or \"sim\" (simulator extension)");
        goto fail_ops;
    }
    if (cf_case_has_tag(out, "aws") && !source) {
        free_case(out);
        memset(out, 0, sizeof *out);
        fail(v, "", "tags",
             "an \"aws\" case needs a 'source': its evidence, one or more of \"recorded: ...\", \"doc: "
             "<title> "
             "<URL>\", \"model: <Shape.member>\", \"inferred: <why>\" (FORMAT.md)");
        goto fail_ops;
    }
    if (source) {
        size_t ns = json_is_array(source) ? json_array_size(source) : 1;
        out->sources = calloc(ns, sizeof *out->sources);
        for (size_t j = 0; out->sources && j < ns; j++) {
            const char *e = json_string_value(json_is_array(source) ? json_array_get(source, j) : source);
            out->sources[out->n_sources++] = strdup(e);
            out->source_kinds |= 1u << cf_source_classify(e, NULL, 0);
        }
    }
    /* exclusive: the "exclusive" tag (from the case or its file) or "exclusive": true */
    if (json_is_true(json_object_get(obj, "exclusive")))
        push_tag(out, "exclusive");
    out->exclusive = cf_case_has_tag(out, "exclusive");
    for (k = 0; k < n_main_ops; k++)
        push_tag(out, v->ops[k]);
    out->ops = v->ops;
    out->n_ops = n_main_ops;
    for (k = n_main_ops; k < v->n_ops; k++)
        free(v->ops[k]);
    v->ops = NULL;
    out->root = json_incref(obj);
    return 0;
fail_ops:
    for (k = 0; k < v->n_ops; k++)
        free(v->ops[k]);
    free(v->ops);
    v->ops = NULL;
    return -1;
}

static int valid_case_name(const char *n)
{
    if (!*n)
        return 0;
    for (; *n; n++)
        if (!((*n >= 'a' && *n <= 'z') || (*n >= 'A' && *n <= 'Z') || (*n >= '0' && *n <= '9') || *n == '-' ||
              *n == '_' || *n == '.'))
            return 0;
    return 1;
}

int cf_parse_cases(const char *text, const char *file, const char *base_name, cf_case_list *out, char *err,
                   size_t err_len)
{
    json_error_t jerr;
    json_t *root = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        cf_fmt(err, err_len, "%s:%d: %s", file, jerr.line, jerr.text);
        return -1;
    }
    vctx v = {.text = text, .file = file, .case_name = base_name, .err = err, .err_len = err_len};
    err[0] = '\0';
    int rc = -1;
    if (!json_is_object(root)) {
        fail(&v, "", NULL, "a case file holds one JSON object");
        goto done;
    }
    const json_t *cases = json_object_get(root, "cases");
    if (!cases) {
        const char *nm = json_string_value(json_object_get(root, "name"));
        char full[512];
        cf_fmt(full, sizeof full, "%s", base_name);
        if (nm && strcmp(nm, base_name) != 0) {
            fail(&v, "", "name", "in a single-case file the name comes from the path ('%s'); drop 'name'",
                 base_name);
            goto done;
        }
        cf_case c;
        if (build_case(&v, root, full, NULL, NULL, &c) < 0)
            goto done;
        cf_case *n = realloc(out->items, (out->n + 1) * sizeof *n);
        if (!n) {
            free_case(&c);
            goto done;
        }
        out->items = n;
        out->items[out->n++] = c;
        rc = 0;
        goto done;
    }
    static const char *const fkeys[] = {"description", "tags", "source", "cases", NULL};
    if (only_keys(&v, root, "(file)", fkeys) < 0)
        goto done;
    const json_t *fsource = json_object_get(root, "source");
    if (fsource && check_source(&v, fsource, "(file)") < 0)
        goto done;
    const json_t *ftags = json_object_get(root, "tags");
    if (ftags && !is_string_list(ftags)) {
        fail(&v, "(file)", "tags", "'tags' must be a list of strings");
        goto done;
    }
    if (!json_is_array(cases) || json_array_size(cases) == 0) {
        fail(&v, "(file)", "cases", "'cases' must be a non-empty array");
        goto done;
    }
    size_t first = out->n, k;
    json_t *c;
    json_array_foreach(cases, k, c)
    {
        const char *nm = json_string_value(json_object_get(c, "name"));
        char full[512], needle[300];
        if (!nm || !valid_case_name(nm)) {
            v.start = 0;
            v.case_name = base_name;
            fail(&v, "", nm ? "name" : "cases", "case %zu needs a 'name' of letters, digits, '-', '_', '.'",
                 k);
            goto undo;
        }
        cf_fmt(needle, sizeof needle, "\"%s\"", nm);
        const char *at = strstr(text, needle);
        v.start = at ? (size_t)(at - text) : 0;
        cf_fmt(full, sizeof full, "%s/%s", base_name, nm);
        for (size_t j = first; j < out->n; j++)
            if (!strcmp(out->items[j].name, full)) {
                v.case_name = full;
                fail(&v, "", "name", "duplicate case name");
                goto undo;
            }
        cf_case one;
        if (build_case(&v, c, full, ftags, fsource, &one) < 0)
            goto undo;
        cf_case *n = realloc(out->items, (out->n + 1) * sizeof *n);
        if (!n) {
            free_case(&one);
            goto undo;
        }
        out->items = n;
        out->items[out->n++] = one;
    }
    rc = 0;
    goto done;
undo:
    while (out->n > first)
        free_case(&out->items[--out->n]);
    if (out->n == 0) {
        free(out->items);
        out->items = NULL;
    }
done:
    json_decref(root);
    return rc;
}

int cf_load_case_file(const char *path, const char *base_name, cf_case_list *out, char *err, size_t err_len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        cf_fmt(err, err_len, "%s: %s", path, strerror(errno));
        return -1;
    }
    char *text = NULL;
    size_t len = 0, cap = 0;
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        if (len + n + 1 > cap) {
            cap = (len + n + 1) * 2;
            char *t = realloc(text, cap);
            if (!t) {
                free(text);
                fclose(f);
                cf_fmt(err, err_len, "%s: out of memory", path);
                return -1;
            }
            text = t;
        }
        memcpy(text + len, buf, n);
        len += n;
    }
    fclose(f);
    if (!text) {
        cf_fmt(err, err_len, "%s:1: empty file", path);
        return -1;
    }
    text[len] = '\0';
    if (strlen(text) != len) {
        free(text);
        cf_fmt(err, err_len, "%s: contains a NUL byte", path);
        return -1;
    }
    int rc = cf_parse_cases(text, path, base_name, out, err, err_len);
    free(text);
    return rc;
}

/* ------------------------------------------------------------------ directories */

typedef struct path_list {
    char **p;
    size_t n;
} path_list;

static int collect(const char *dir, const char *rel, path_list *pl, int depth)
{
    if (depth > 16)
        return 0;
    char full[4096];
    cf_fmt(full, sizeof full, "%s%s%s", dir, *rel ? "/" : "", rel);
    DIR *d = opendir(full);
    if (!d)
        return -1;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char sub[4096], subfull[8192];
        cf_fmt(sub, sizeof sub, "%s%s%s", rel, *rel ? "/" : "", e->d_name);
        cf_fmt(subfull, sizeof subfull, "%s/%s", dir, sub);
        struct stat st;
        if (stat(subfull, &st) < 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            collect(dir, sub, pl, depth + 1);
        } else {
            size_t n = strlen(sub);
            if (n > 5 && !strcmp(sub + n - 5, ".json")) {
                char **np = realloc(pl->p, (pl->n + 1) * sizeof *np);
                if (!np)
                    break;
                pl->p = np;
                pl->p[pl->n++] = strdup(sub);
            }
        }
    }
    closedir(d);
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int cf_load_cases_dir(const char *dir, cf_case_list *out, char *err, size_t err_len)
{
    path_list pl = {0};
    if (collect(dir, "", &pl, 0) < 0) {
        cf_fmt(err, err_len, "%s: cannot read the case directory: %s", dir, strerror(errno));
        return -1;
    }
    qsort(pl.p, pl.n, sizeof *pl.p, cmp_str);
    int rc = 0;
    for (size_t k = 0; k < pl.n; k++) {
        if (rc == 0) {
            char full[8192], base[4096];
            cf_fmt(full, sizeof full, "%s/%s", dir, pl.p[k]);
            cf_fmt(base, sizeof base, "%.*s", (int)(strlen(pl.p[k]) - 5), pl.p[k]);
            rc = cf_load_case_file(full, base, out, err, err_len);
        }
        free(pl.p[k]);
    }
    free(pl.p);
    return rc;
}

void cf_case_list_free(cf_case_list *list)
{
    for (size_t k = 0; k < list->n; k++)
        free_case(&list->items[k]);
    free(list->items);
    list->items = NULL;
    list->n = 0;
}

int cf_case_has_tag(const cf_case *c, const char *tag)
{
    for (size_t k = 0; k < c->n_tags; k++)
        if (!strcmp(c->tags[k], tag))
            return 1;
    return 0;
}
