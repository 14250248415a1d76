/* match.c: JSON paths, field matchers and expectation checks (see match.h). */
#include "match.h"

#include <math.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vars.h"

static void set_why(char *why, size_t why_len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void set_why(char *why, size_t why_len, const char *fmt, ...)
{
    if (!why || !why_len)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, why_len, fmt, ap);
    va_end(ap);
}

void cf_response_clean_up(cf_response *r)
{
    json_decref(r->body);
    json_decref(r->headers);
    free(r->raw_body);
    free(r->error_name);
    free(r->error_message);
    free(r->transport_error);
    memset(r, 0, sizeof *r);
}

void cf_response_parse_error(cf_response *r)
{
    if (r->status < 300 || r->error_name)
        return;
    const char *type = json_string_value(json_object_get(r->body, "__type"));
    if (!type && r->headers)
        type = json_string_value(json_object_get(r->headers, "x-amzn-errortype"));
    if (type) {
        const char *hash = strrchr(type, '#');
        const char *name = hash ? hash + 1 : type;
        size_t n = strcspn(name, ":"); /* x-amzn-ErrorType may carry ":http://..." */
        r->error_name = strndup(name, n);
    }
    const char *msg = json_string_value(json_object_get(r->body, "message"));
    if (!msg)
        msg = json_string_value(json_object_get(r->body, "Message"));
    if (msg)
        r->error_message = strdup(msg);
}

/* ------------------------------------------------------------------ paths */

const json_t *cf_json_path(const json_t *root, const char *path, char *err, size_t err_len)
{
    if (err && err_len)
        err[0] = '\0';
    const json_t *cur = root;
    const char *p = path;
    if (*p == '$')
        p++;
    while (*p && cur) {
        if (*p == '.') {
            p++;
            continue;
        }
        if (*p == '[') {
            const char *close = strchr(p, ']');
            if (!close) {
                set_why(err, err_len, "path '%s': missing ']'", path);
                return NULL;
            }
            if (p[1] == '?') {
                const char *eq = memchr(p, '=', (size_t)(close - p));
                if (!eq || eq == p + 2) {
                    set_why(err, err_len, "path '%s': a filter is [?Member=value]", path);
                    return NULL;
                }
                char *member = strndup(p + 2, (size_t)(eq - p - 2));
                char *want = strndup(eq + 1, (size_t)(close - eq - 1));
                const json_t *found = NULL, *it;
                size_t k;
                if (json_is_array(cur)) {
                    json_array_foreach(cur, k, it)
                    {
                        char *t = cf_scalar_text(json_object_get(it, member));
                        int same = t && strcmp(t, want) == 0;
                        free(t);
                        if (same) {
                            found = it;
                            break;
                        }
                    }
                }
                free(member);
                free(want);
                cur = found;
            } else {
                char *end = NULL;
                long idx = strtol(p + 1, &end, 10);
                if (end == p + 1 || end != close) {
                    set_why(err, err_len, "path '%s': bad index", path);
                    return NULL;
                }
                if (!json_is_array(cur))
                    return NULL;
                long size = (long)json_array_size(cur);
                if (idx < 0)
                    idx += size;
                cur = idx >= 0 && idx < size ? json_array_get(cur, (size_t)idx) : NULL;
            }
            p = close + 1;
            continue;
        }
        size_t n = strcspn(p, ".[");
        char name[256];
        if (n >= sizeof name) {
            set_why(err, err_len, "path '%s': member name too long", path);
            return NULL;
        }
        memcpy(name, p, n);
        name[n] = '\0';
        cur = json_is_object(cur) ? json_object_get(cur, name) : NULL;
        p += n;
    }
    return cur;
}

/* ------------------------------------------------------------------ matchers */

int cf_compare_numbers(const char *a, const char *b, int *cmp)
{
    if (cf_is_decimal(a) && cf_is_decimal(b)) {
        *cmp = cf_bigcmp(a, b);
        return 0;
    }
    char *ea = NULL, *eb = NULL;
    double da = strtod(a, &ea), db = strtod(b, &eb);
    if (ea == a || *ea || eb == b || *eb || isnan(da) || isnan(db))
        return -1;
    *cmp = da < db ? -1 : (da > db ? 1 : 0);
    return 0;
}

static const char *type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "object";
    case JSON_ARRAY:
        return "array";
    case JSON_STRING:
        return "string";
    case JSON_INTEGER:
        return "integer";
    case JSON_REAL:
        return "number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "boolean";
    default:
        return "null";
    }
}

static int values_equal(const json_t *a, const json_t *b)
{
    if (json_is_number(a) && json_is_number(b))
        return json_number_value(a) == json_number_value(b);
    return json_equal(a, b);
}

/* Short printable form of a value for messages; malloc'd. */
static char *show(const json_t *v)
{
    if (!v)
        return strdup("(absent)");
    char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
    if (s && strlen(s) > 200)
        strcpy(s + 190, "...");
    return s ? s : strdup("?");
}

static size_t utf8_length(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            n++;
    return n;
}

static int regex_search_flags(const char *pattern, const char *text, int flags, char *why, size_t why_len)
{
    regex_t re;
    int rc = regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB | flags);
    if (rc != 0) {
        char buf[128];
        regerror(rc, &re, buf, sizeof buf);
        set_why(why, why_len, "bad regular expression /%s/: %s", pattern, buf);
        return -1;
    }
    rc = regexec(&re, text, 0, NULL, 0);
    regfree(&re);
    if (rc != 0) {
        set_why(why, why_len, "'%.200s' does not match /%s/", text, pattern);
        return -1;
    }
    return 0;
}

int cf_regex_search(const char *pattern, const char *text, char *why, size_t why_len)
{
    return regex_search_flags(pattern, text, 0, why, why_len);
}

int cf_regex_search_lines(const char *pattern, const char *text, char *why, size_t why_len)
{
    return regex_search_flags(pattern, text, REG_NEWLINE, why, why_len);
}

static int relation(const char *op, const json_t *want, const json_t *value, char *why, size_t why_len)
{
    char *a = cf_scalar_text(value), *b = cf_scalar_text(want);
    int cmp = 0, rc = -1;
    if (!a || !b || cf_compare_numbers(a, b, &cmp) < 0) {
        char *sv = show(value);
        set_why(why, why_len, "%s: cannot compare %s with %s as numbers", op, sv, b ? b : "?");
        free(sv);
    } else {
        int ok = strcmp(op, "gt") == 0   ? cmp > 0
                 : strcmp(op, "ge") == 0 ? cmp >= 0
                 : strcmp(op, "lt") == 0 ? cmp < 0
                                         : cmp <= 0;
        if (ok)
            rc = 0;
        else
            set_why(why, why_len, "%s is not %s %s", a, op, b);
    }
    free(a);
    free(b);
    return rc;
}

static long length_of(const json_t *v)
{
    if (json_is_string(v))
        return (long)utf8_length(json_string_value(v));
    if (json_is_array(v))
        return (long)json_array_size(v);
    if (json_is_object(v))
        return (long)json_object_size(v);
    return -1;
}

int cf_match_value(const json_t *m, const json_t *value, char *why, size_t why_len)
{
    const json_t *absent = json_object_get(m, "absent");
    int is_absent = !value || json_is_null(value);
    if (absent) {
        if (json_is_true(absent) && !is_absent) {
            char *sv = show(value);
            set_why(why, why_len, "expected absent or null, got %s", sv);
            free(sv);
            return -1;
        }
        if (json_is_false(absent) && is_absent) {
            set_why(why, why_len, "expected a value, got none");
            return -1;
        }
    }
    const json_t *exists = json_object_get(m, "exists");
    if (exists) {
        if (json_is_true(exists) && !value) {
            set_why(why, why_len, "expected the member to exist");
            return -1;
        }
        if (json_is_false(exists) && value) {
            set_why(why, why_len, "expected the member not to exist");
            return -1;
        }
    }
    const char *key;
    const json_t *want;
    json_object_foreach((json_t *)m, key, want)
    {
        if (!strcmp(key, "path") || !strcmp(key, "header") || !strcmp(key, "var") || !strcmp(key, "absent") ||
            !strcmp(key, "exists") || !strcmp(key, "note"))
            continue;
        if (!value) {
            set_why(why, why_len, "%s: no value there", key);
            return -1;
        }
        if (!strcmp(key, "equals") || !strcmp(key, "not_equals")) {
            int eq = values_equal(want, value);
            if (eq != (key[0] == 'e')) {
                char *sw = show(want), *sv = show(value);
                set_why(why, why_len, "expected %s%s, got %s", key[0] == 'e' ? "" : "not ", sw, sv);
                free(sw);
                free(sv);
                return -1;
            }
        } else if (!strcmp(key, "one_of")) {
            size_t k;
            const json_t *it;
            int any = 0;
            json_array_foreach(want, k, it) any |= values_equal(it, value);
            if (!any) {
                char *sw = show(want), *sv = show(value);
                set_why(why, why_len, "expected one of %s, got %s", sw, sv);
                free(sw);
                free(sv);
                return -1;
            }
        } else if (!strcmp(key, "re")) {
            char *text = cf_scalar_text(value);
            if (!text) {
                set_why(why, why_len, "re: value is a %s, not a scalar", type_name(value));
                return -1;
            }
            int rc = cf_regex_search(json_string_value(want), text, why, why_len);
            free(text);
            if (rc < 0)
                return -1;
        } else if (!strcmp(key, "type")) {
            const char *t = json_string_value(want), *have = type_name(value);
            int ok = !strcmp(t, have) || (!strcmp(t, "number") && json_is_number(value));
            if (!ok) {
                set_why(why, why_len, "expected a %s, got a %s", t, have);
                return -1;
            }
        } else if (!strcmp(key, "length") || !strcmp(key, "min_length") || !strcmp(key, "max_length")) {
            long len = length_of(value), w = (long)json_integer_value(want);
            int ok = len >= 0 && (key[1] == 'e' ? len == w : key[1] == 'i' ? len >= w : len <= w);
            if (!ok) {
                set_why(why, why_len, "%s %ld expected, got length %ld", key, w, len);
                return -1;
            }
        } else if (!strcmp(key, "gt") || !strcmp(key, "ge") || !strcmp(key, "lt") || !strcmp(key, "le")) {
            if (relation(key, want, value, why, why_len) < 0)
                return -1;
        } else {
            set_why(why, why_len, "unknown matcher '%s'", key);
            return -1;
        }
    }
    return 0;
}

int cf_check_fields(const json_t *fields, const cf_response *r, char *why, size_t why_len)
{
    size_t k;
    const json_t *f;
    json_array_foreach(fields, k, f)
    {
        const char *path = json_string_value(json_object_get(f, "path"));
        const char *header = json_string_value(json_object_get(f, "header"));
        const json_t *value = NULL;
        char perr[256], sub[1024];
        if (header) {
            char lower[256];
            size_t n = strlen(header);
            if (n >= sizeof lower)
                n = sizeof lower - 1;
            for (size_t j = 0; j < n; j++)
                lower[j] = (char)((header[j] >= 'A' && header[j] <= 'Z') ? header[j] + 32 : header[j]);
            lower[n] = '\0';
            value = r->headers ? json_object_get(r->headers, lower) : NULL;
        } else {
            value = cf_json_path(r->body, path ? path : "", perr, sizeof perr);
            if (perr[0]) {
                set_why(why, why_len, "%s", perr);
                return -1;
            }
        }
        if (cf_match_value(f, value, sub, sizeof sub) < 0) {
            set_why(why, why_len, "%s %s: %s", header ? "header" : "field", header ? header : path, sub);
            return -1;
        }
    }
    return 0;
}

/* The start of a body on one line (newlines shown as \n), for failure reasons. */
static void excerpt(const char *body, char *out, size_t n)
{
    size_t o = 0;
    const char *p = body;
    for (; *p && o + 6 < n; p++) {
        if (*p == '\n' || *p == '\r') {
            out[o++] = '\\';
            out[o++] = *p == '\n' ? 'n' : 'r';
        } else {
            out[o++] = *p;
        }
    }
    if (*p) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
}

/* body_contains and body_re: checks of the raw body for answers that are not JSON (Prometheus
 * text, HTML error pages). Each is one string or a list; every entry must hold. body_re is a
 * POSIX ERE with REG_NEWLINE, so ^ and $ match at line starts and ends. */
static int check_body(const json_t *e, const cf_response *r, char *why, size_t why_len)
{
    static const char *const keys[] = {"body_contains", "body_re"};
    const char *body = r->raw_body ? r->raw_body : "";
    for (size_t k = 0; k < 2; k++) {
        const json_t *want = json_object_get(e, keys[k]);
        if (!want)
            continue;
        size_t n = json_is_array(want) ? json_array_size(want) : 1;
        for (size_t j = 0; j < n; j++) {
            const char *w = json_string_value(json_is_array(want) ? json_array_get(want, j) : want);
            if (!w) {
                set_why(why, why_len, "%s: entries must be strings", keys[k]);
                return -1;
            }
            if (k == 0 && !strstr(body, w)) {
                char ex[200];
                excerpt(body, ex, sizeof ex);
                set_why(why, why_len, "body does not contain '%.200s' (body: %s)", w, ex);
                return -1;
            }
            char sub[768];
            if (k == 1 && cf_regex_search_lines(w, body, sub, sizeof sub) < 0) {
                char ex[200];
                excerpt(body, ex, sizeof ex);
                if (!strncmp(sub, "bad regular expression", 22))
                    set_why(why, why_len, "body_re: %s", sub);
                else
                    set_why(why, why_len, "body does not match /%s/ on any line (body: %s)", w, ex);
                return -1;
            }
        }
    }
    return 0;
}

static int check_one(const json_t *e, const cf_response *r, char *why, size_t why_len)
{
    if (r->transport_error) {
        set_why(why, why_len, "no answer: %s", r->transport_error);
        return -1;
    }
    const json_t *status = json_object_get(e, "status");
    const json_t *error = json_object_get(e, "error");
    if (status) {
        int ok = 0;
        if (json_is_integer(status))
            ok = json_integer_value(status) == r->status;
        size_t k;
        const json_t *it;
        json_array_foreach(status, k, it) ok |= json_integer_value(it) == r->status;
        if (!ok) {
            char *sw = show(status);
            set_why(why, why_len, "HTTP status %d, expected %s (%s: %.200s)", r->status, sw,
                    r->error_name ? r->error_name : "no error",
                    r->error_message ? r->error_message : (r->raw_body ? r->raw_body : ""));
            free(sw);
            return -1;
        }
    }
    if (error) {
        int ok = 0;
        const char *got = r->error_name ? r->error_name : "";
        if (json_is_string(error))
            ok = !strcmp(json_string_value(error), got);
        size_t k;
        const json_t *it;
        json_array_foreach(error, k, it) ok |= !strcmp(json_string_value(it), got);
        if (!ok) {
            char *sw = show(error);
            set_why(why, why_len, "error %s expected, got %s (HTTP %d: %.200s)", sw,
                    r->error_name ? r->error_name : "success", r->status,
                    r->error_message ? r->error_message : "");
            free(sw);
            return -1;
        }
    }
    if (!status && !error && (r->error_name || r->status < 200 || r->status >= 300)) {
        set_why(why, why_len, "expected success, got HTTP %d %s: %.300s", r->status,
                r->error_name ? r->error_name : "", r->error_message ? r->error_message : "");
        return -1;
    }
    const json_t *msg = json_object_get(e, "message");
    if (msg && (!r->error_message || strcmp(r->error_message, json_string_value(msg)) != 0)) {
        set_why(why, why_len, "message '%.300s', expected '%.300s'",
                r->error_message ? r->error_message : "(none)", json_string_value(msg));
        return -1;
    }
    const json_t *msg_re = json_object_get(e, "message_re");
    if (msg_re) {
        char sub[768];
        if (cf_regex_search(json_string_value(msg_re), r->error_message ? r->error_message : "", sub,
                            sizeof sub) < 0) {
            set_why(why, why_len, "message: %s", sub);
            return -1;
        }
    }
    if (check_body(e, r, why, why_len) < 0)
        return -1;
    const json_t *fields = json_object_get(e, "fields");
    if (fields && cf_check_fields(fields, r, why, why_len) < 0)
        return -1;
    return 0;
}

int cf_check_expect(const json_t *expect, const cf_response *r, char *why, size_t why_len)
{
    if (!expect) {
        json_t *empty = json_object();
        int rc = check_one(empty, r, why, why_len);
        json_decref(empty);
        return rc;
    }
    const json_t *any = json_object_get(expect, "any_of");
    if (!any)
        return check_one(expect, r, why, why_len);
    /* one alternative must hold; fields beside any_of must hold in every case */
    size_t k;
    const json_t *alt;
    char last[1024] = "";
    int held = 0;
    json_array_foreach(any, k, alt)
    {
        if (check_one(alt, r, last, sizeof last) == 0) {
            held = 1;
            break;
        }
    }
    if (!held) {
        set_why(why, why_len, "none of the %zu accepted outcomes held; last: %s", json_array_size(any), last);
        return -1;
    }
    if (check_body(expect, r, why, why_len) < 0)
        return -1;
    const json_t *fields = json_object_get(expect, "fields");
    return fields ? cf_check_fields(fields, r, why, why_len) : 0;
}
