/* vars.c: ${...} expansion, the built-in functions and big decimal arithmetic (see vars.h). */
#include "vars.h"

#include <openssl/evp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CF_EXPAND_DEPTH 16
#define CF_REPEAT_MAX (1u << 24)
/* The result of ${repeat:N:TEXT} is bounded too, not only N: 64 MiB is ten times the largest
 * request a case needs (a 5 MiB PutRecords body). */
#define CF_REPEAT_BYTES_MAX ((size_t)64 << 20)

/* ------------------------------------------------------------------ a growable buffer */

typedef struct sbuf {
    char *p;
    size_t len, cap;
} sbuf;

static int sb_add(sbuf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p)
            return -1;
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
    return 0;
}

static void set_err(char *err, size_t err_len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t err_len, const char *fmt, ...)
{
    if (!err || !err_len)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, err_len, fmt, ap);
    va_end(ap);
}

void cf_fmt(char *out, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out, n, fmt, ap);
    va_end(ap);
}

/* ------------------------------------------------------------------ big decimals */

int cf_is_decimal(const char *s)
{
    if (!s || !*s)
        return 0;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return 0;
    return 1;
}

static const char *skip_zeros(const char *s)
{
    while (s[0] == '0' && s[1])
        s++;
    return s;
}

int cf_bigcmp(const char *a, const char *b)
{
    a = skip_zeros(a);
    b = skip_zeros(b);
    size_t la = strlen(a), lb = strlen(b);
    if (la != lb)
        return la < lb ? -1 : 1;
    int c = strcmp(a, b);
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

char *cf_bigadd(const char *a, const char *b)
{
    if (!cf_is_decimal(a) || !cf_is_decimal(b))
        return NULL;
    size_t la = strlen(a), lb = strlen(b), n = (la > lb ? la : lb) + 1;
    char *out = malloc(n + 1);
    if (!out)
        return NULL;
    out[n] = '\0';
    int carry = 0;
    for (size_t k = 0; k < n; k++) {
        int d = carry;
        if (k < la)
            d += a[la - 1 - k] - '0';
        if (k < lb)
            d += b[lb - 1 - k] - '0';
        out[n - 1 - k] = (char)('0' + d % 10);
        carry = d / 10;
    }
    const char *s = skip_zeros(out);
    memmove(out, s, strlen(s) + 1);
    return out;
}

char *cf_bigsub(const char *a, const char *b)
{
    if (!cf_is_decimal(a) || !cf_is_decimal(b) || cf_bigcmp(a, b) < 0)
        return NULL;
    size_t la = strlen(a), lb = strlen(b);
    char *out = malloc(la + 1);
    if (!out)
        return NULL;
    out[la] = '\0';
    int borrow = 0;
    for (size_t k = 0; k < la; k++) {
        int d = a[la - 1 - k] - '0' - borrow;
        if (k < lb)
            d -= b[lb - 1 - k] - '0';
        borrow = d < 0;
        if (d < 0)
            d += 10;
        out[la - 1 - k] = (char)('0' + d);
    }
    const char *s = skip_zeros(out);
    memmove(out, s, strlen(s) + 1);
    return out;
}

void cf_md5int(const char *key, size_t key_len, char out[40])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    EVP_Digest(key, key_len, md, &md_len, EVP_md5(), NULL);
    /* repeated division of the 16-byte big-endian number by 10 */
    char digits[40];
    size_t nd = 0;
    int zero = 0;
    while (!zero && nd < sizeof digits) {
        unsigned rem = 0;
        zero = 1;
        for (int k = 0; k < 16; k++) {
            unsigned cur = (rem << 8) | md[k];
            md[k] = (unsigned char)(cur / 10);
            rem = cur % 10;
            if (md[k])
                zero = 0;
        }
        digits[nd++] = (char)('0' + rem);
    }
    for (size_t k = 0; k < nd; k++)
        out[k] = digits[nd - 1 - k];
    out[nd] = '\0';
}

/* ------------------------------------------------------------------ expansion */

char *cf_scalar_text(const json_t *v)
{
    char buf[64];
    if (json_is_string(v))
        return strdup(json_string_value(v));
    if (json_is_integer(v)) {
        snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(v));
        return strdup(buf);
    }
    if (json_is_real(v)) {
        snprintf(buf, sizeof buf, "%.17g", json_real_value(v));
        return strdup(buf);
    }
    if (json_is_boolean(v))
        return strdup(json_is_true(v) ? "true" : "false");
    return NULL;
}

static char *b64(const char *s, size_t n)
{
    char *out = malloc(4 * ((n + 2) / 3) + 1);
    if (out)
        EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)s, (int)n);
    return out;
}

/* Evaluate the (already expanded) inside of one ${...}. */
static char *eval_inner(const json_t *vars, const char *in, char *err, size_t err_len)
{
    char buf[64];
    if (strcmp(in, "now") == 0 || strcmp(in, "now_ms") == 0) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        if (in[3])
            snprintf(buf, sizeof buf, "%lld", (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
        else
            snprintf(buf, sizeof buf, "%lld", (long long)ts.tv_sec);
        return strdup(buf);
    }
    const char *colon = strchr(in, ':');
    if (colon) {
        size_t fn = (size_t)(colon - in);
        const char *arg = colon + 1;
        if (fn == 6 && strncmp(in, "md5int", 6) == 0) {
            char d[40];
            cf_md5int(arg, strlen(arg), d);
            return strdup(d);
        }
        if (fn == 3 && strncmp(in, "b64", 3) == 0)
            return b64(arg, strlen(arg));
        if (fn == 6 && strncmp(in, "repeat", 6) == 0) {
            char *end = NULL;
            unsigned long n = strtoul(arg, &end, 10);
            if (end == arg || *end != ':' || n > CF_REPEAT_MAX) {
                set_err(err, err_len, "${repeat:N:TEXT}: bad count in '%s'", in);
                return NULL;
            }
            const char *text = end + 1;
            size_t tl = strlen(text);
            if (tl && n > CF_REPEAT_BYTES_MAX / tl) {
                set_err(err, err_len, "${repeat:N:TEXT}: %lu copies of %zu bytes exceed %zu MiB", n, tl,
                        CF_REPEAT_BYTES_MAX >> 20);
                return NULL;
            }
            char *out = malloc(n * tl + 1);
            if (!out) {
                set_err(err, err_len, "${repeat:N:TEXT}: out of memory for %lu copies of %zu bytes", n, tl);
                return NULL;
            }
            for (unsigned long k = 0; k < n; k++)
                memcpy(out + k * tl, text, tl);
            out[n * tl] = '\0';
            return out;
        }
        if (fn == 3 && (strncmp(in, "add", 3) == 0 || strncmp(in, "sub", 3) == 0)) {
            const char *c2 = strchr(arg, ':');
            char *a = c2 ? strndup(arg, (size_t)(c2 - arg)) : NULL;
            char *r = NULL;
            if (a)
                r = in[0] == 'a' ? cf_bigadd(a, c2 + 1) : cf_bigsub(a, c2 + 1);
            free(a);
            if (!r)
                set_err(err, err_len, "${%s}: needs two non-negative decimal integers (and A >= B for sub)",
                        in);
            return r;
        }
        set_err(err, err_len, "unknown function in ${%s}", in);
        return NULL;
    }
    const json_t *v = json_object_get(vars, in);
    if (!v) {
        set_err(err, err_len, "undefined variable ${%s}", in);
        return NULL;
    }
    char *t = cf_scalar_text(v);
    if (!t)
        set_err(err, err_len, "variable ${%s} is not a scalar", in);
    return t;
}

static char *expand_depth(const json_t *vars, const char *s, size_t n, int depth, char *err, size_t err_len)
{
    if (depth > CF_EXPAND_DEPTH) {
        set_err(err, err_len, "${...} nested too deeply");
        return NULL;
    }
    sbuf b = {0};
    if (sb_add(&b, "", 0) < 0)
        return NULL;
    size_t k = 0;
    while (k < n) {
        if (s[k] == '$' && k + 2 < n && s[k + 1] == '$' && s[k + 2] == '{') {
            if (sb_add(&b, "${", 2) < 0)
                goto fail;
            k += 3;
            continue;
        }
        if (s[k] == '$' && k + 1 < n && s[k + 1] == '{') {
            size_t start = k + 2, j = start;
            int level = 1;
            while (j < n && level > 0) {
                if (s[j] == '$' && j + 1 < n && s[j + 1] == '{') {
                    level++;
                    j += 2;
                    continue;
                }
                if (s[j] == '}')
                    level--;
                if (level > 0)
                    j++;
            }
            if (level) {
                set_err(err, err_len, "unterminated ${ in '%.*s'", (int)(n > 80 ? 80 : n), s);
                goto fail;
            }
            char *inner = expand_depth(vars, s + start, j - start, depth + 1, err, err_len);
            if (!inner)
                goto fail;
            char *val = eval_inner(vars, inner, err, err_len);
            free(inner);
            if (!val)
                goto fail;
            int rc = sb_add(&b, val, strlen(val));
            free(val);
            if (rc < 0)
                goto fail;
            k = j + 1;
            continue;
        }
        if (sb_add(&b, s + k, 1) < 0)
            goto fail;
        k++;
    }
    return b.p;
fail:
    free(b.p);
    return NULL;
}

char *cf_expand(const json_t *vars, const char *s, char *err, size_t err_len)
{
    return expand_depth(vars, s, strlen(s), 0, err, err_len);
}

/* "${name}" exactly, with a plain variable name inside: return the name's value or NULL. */
static const json_t *whole_var(const json_t *vars, const char *s)
{
    size_t n = strlen(s);
    if (n < 4 || s[0] != '$' || s[1] != '{' || s[n - 1] != '}')
        return NULL;
    for (size_t k = 2; k < n - 1; k++)
        if (!(s[k] == '_' || s[k] == '-' || (s[k] >= '0' && s[k] <= '9') || (s[k] >= 'a' && s[k] <= 'z') ||
              (s[k] >= 'A' && s[k] <= 'Z')))
            return NULL;
    char name[256];
    if (n - 3 >= sizeof name)
        return NULL;
    memcpy(name, s + 2, n - 3);
    name[n - 3] = '\0';
    const json_t *v = json_object_get(vars, name);
    return v && !json_is_string(v) ? v : NULL;
}

json_t *cf_expand_json(const json_t *vars, const json_t *tmpl, char *err, size_t err_len)
{
    if (json_is_string(tmpl)) {
        const json_t *v = whole_var(vars, json_string_value(tmpl));
        if (v)
            return json_deep_copy(v);
        char *s = cf_expand(vars, json_string_value(tmpl), err, err_len);
        if (!s)
            return NULL;
        json_t *r = json_string(s);
        if (!r)
            set_err(err, err_len, "expanded string is not valid UTF-8");
        free(s);
        return r;
    }
    if (json_is_array(tmpl)) {
        json_t *a = json_array();
        size_t k;
        const json_t *it;
        json_array_foreach(tmpl, k, it)
        {
            json_t *e = cf_expand_json(vars, it, err, err_len);
            if (!e || json_array_append_new(a, e) < 0) {
                json_decref(a);
                return NULL;
            }
        }
        return a;
    }
    if (json_is_object(tmpl)) {
        json_t *o = json_object();
        const char *key;
        const json_t *it;
        json_object_foreach((json_t *)tmpl, key, it)
        {
            char *k2 = cf_expand(vars, key, err, err_len);
            json_t *e = k2 ? cf_expand_json(vars, it, err, err_len) : NULL;
            int rc = e ? json_object_set_new(o, k2, e) : -1;
            free(k2);
            if (rc < 0) {
                json_decref(o);
                return NULL;
            }
        }
        return o;
    }
    return json_deep_copy(tmpl);
}
