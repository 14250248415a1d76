/* json_fast.c: fast JSON reader and writer for request and answer bodies (see json_fast.h).
 *
 * The reader is a recursive-descent parser over the whole buffer: strings are scanned eight bytes
 * at a time for the few bytes that need attention (quote, backslash, control, non-ASCII) and
 * become Jansson strings straight from the buffer when they hold no escape. It accepts only what
 * it can build exactly as json_loadb would and declines everything else (returns 0), so the
 * caller's json_loadb keeps the errors. The writer walks the tree into one growing buffer with the
 * same escapes, key order, integer and real spelling as json_dumps with JSON_COMPACT and
 * JSON_REAL_PRECISION(15) in Jansson 2.14 (reals: "%.15g", ".0" added when there is no '.' or 'e',
 * no '+' and no leading zeros in the exponent). */
#include "wire/json_fast.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ shared scanning helpers */

#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

/* Non-zero when one of the eight bytes of x is a control character (< 0x20), '"', '\\' or has its
 * high bit set: the bytes a string scan must stop at. Exact as to "any". */
static inline uint64_t special8(uint64_t x)
{
    uint64_t q = x ^ (ONES * '"');
    uint64_t b = x ^ (ONES * '\\');
    uint64_t lt = (x - ONES * 0x20) & ~x;
    uint64_t zq = (q - ONES) & ~q;
    uint64_t zb = (b - ONES) & ~b;
    return ((lt | zq | zb) & HIGHS) | (x & HIGHS);
}

static inline uint64_t load8(const unsigned char *p)
{
    uint64_t x;
    memcpy(&x, p, sizeof x);
    return x;
}

/* A byte a string scan must stop at (the same set as special8). */
static inline int stop_byte(unsigned c)
{
    return c < 0x20 || c == '"' || c == '\\' || c >= 0x80;
}

static inline void store8(char *p, uint64_t x)
{
    memcpy(p, &x, sizeof x);
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define LITTLE_ENDIAN_WORDS 1
#else
#define LITTLE_ENDIAN_WORDS 0
#endif

/* Index of the first byte special8 flagged in m (m != 0). The lowest flagged byte is always a
 * real one: a false flag only follows a real one, carried upwards by a borrow. */
static inline size_t first_flagged(uint64_t m)
{
#if LITTLE_ENDIAN_WORDS
    return (size_t)__builtin_ctzll(m) >> 3;
#else
    (void)m;
    return 0; /* big-endian: the byte loops find it */
#endif
}

/* Skip bytes that need no attention; returns the first byte at end or needing attention. */
static inline const unsigned char *scan_plain(const unsigned char *p, const unsigned char *end)
{
    while (end - p >= 8) {
        uint64_t m = special8(load8(p));
        if (m) {
            p += first_flagged(m);
            break;
        }
        p += 8;
    }
    while (p < end && !stop_byte(*p))
        p++;
    return p;
}

/* Length of the valid UTF-8 sequence starting at p (its first byte >= 0x80), 0 when invalid:
 * the rules of Jansson's utf8_check_first/utf8_check_full (no overlong forms, no surrogates,
 * nothing above U+10FFFF). */
static size_t utf8_seq(const unsigned char *p, const unsigned char *end)
{
    unsigned c = p[0];
    if (c < 0xC2 || c > 0xF4)
        return 0;
    if (c < 0xE0)
        return end - p >= 2 && (p[1] & 0xC0) == 0x80 ? 2 : 0;
    if (c < 0xF0) {
        if (end - p < 3 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80)
            return 0;
        if ((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] >= 0xA0))
            return 0;
        return 3;
    }
    if (end - p < 4 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 || (p[3] & 0xC0) != 0x80)
        return 0;
    if ((c == 0xF0 && p[1] < 0x90) || (c == 0xF4 && p[1] >= 0x90))
        return 0;
    return 4;
}

/* ------------------------------------------------------------------ reader */

typedef struct {
    const unsigned char *p, *end;
    char *scratch; /* unescaped strings */
    size_t scratch_cap;
} reader;

static inline void skip_ws(reader *r)
{
    while (r->p < r->end && (*r->p == ' ' || *r->p == '\n' || *r->p == '\r' || *r->p == '\t'))
        r->p++;
}

static int hex4(const unsigned char *p, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        unsigned c = p[i], d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return 0;
        v = v << 4 | d;
    }
    *out = v;
    return 1;
}

/* A string holding escapes, decoded into r->scratch: the bytes from start up to r->p (the first
 * backslash) are copied as they are, then the rest is decoded up to the closing quote. */
static int read_escaped(reader *r, const unsigned char *start, const char **s, size_t *n)
{
    /* The unescaped text is never longer than the source text up to the closing quote, which is
     * at most the rest of the buffer. */
    size_t need = (size_t)(r->end - start) + 1;
    if (need > r->scratch_cap) {
        char *t = realloc(r->scratch, need);
        if (!t)
            return 0;
        r->scratch = t;
        r->scratch_cap = need;
    }
    char *o = r->scratch;
    size_t plain = (size_t)(r->p - start);
    memcpy(o, start, plain);
    o += plain;
    const unsigned char *p = r->p, *end = r->end;
    for (;;) {
        const unsigned char *q = scan_plain(p, end);
        memcpy(o, p, (size_t)(q - p));
        o += q - p;
        p = q;
        if (p >= end)
            return 0;
        unsigned c = *p;
        if (c == '"') {
            r->p = p + 1;
            *s = r->scratch;
            *n = (size_t)(o - r->scratch);
            return 1;
        }
        if (c >= 0x80) {
            size_t k = utf8_seq(p, end);
            if (!k)
                return 0;
            memcpy(o, p, k);
            o += k;
            p += k;
            continue;
        }
        if (c != '\\' || end - p < 2)
            return 0; /* a control character, or a truncated escape */
        c = p[1];
        p += 2;
        switch (c) {
        case '"':
        case '\\':
        case '/':
            *o++ = (char)c;
            continue;
        case 'b':
            *o++ = '\b';
            continue;
        case 'f':
            *o++ = '\f';
            continue;
        case 'n':
            *o++ = '\n';
            continue;
        case 'r':
            *o++ = '\r';
            continue;
        case 't':
            *o++ = '\t';
            continue;
        case 'u':
            break;
        default:
            return 0;
        }
        unsigned u, u2;
        if (end - p < 4 || !hex4(p, &u))
            return 0;
        p += 4;
        if (u == 0 || (u >= 0xDC00 && u <= 0xDFFF))
            return 0; /* \u0000 needs JSON_ALLOW_NUL; a lone low surrogate is an error */
        if (u >= 0xD800 && u <= 0xDBFF) {
            if (end - p < 6 || p[0] != '\\' || p[1] != 'u' || !hex4(p + 2, &u2) || u2 < 0xDC00 || u2 > 0xDFFF)
                return 0;
            p += 6;
            u = ((u - 0xD800) << 10) + (u2 - 0xDC00) + 0x10000;
        }
        if (u < 0x80) {
            *o++ = (char)u;
        } else if (u < 0x800) {
            *o++ = (char)(0xC0 | u >> 6);
            *o++ = (char)(0x80 | (u & 0x3F));
        } else if (u < 0x10000) {
            *o++ = (char)(0xE0 | u >> 12);
            *o++ = (char)(0x80 | (u >> 6 & 0x3F));
            *o++ = (char)(0x80 | (u & 0x3F));
        } else {
            *o++ = (char)(0xF0 | u >> 18);
            *o++ = (char)(0x80 | (u >> 12 & 0x3F));
            *o++ = (char)(0x80 | (u >> 6 & 0x3F));
            *o++ = (char)(0x80 | (u & 0x3F));
        }
    }
}

/* A string whose opening quote r->p is past. *s points into the buffer (no escapes) or into
 * r->scratch (valid until the next string). */
static int read_string(reader *r, const char **s, size_t *n)
{
    const unsigned char *start = r->p, *p = start, *end = r->end;
    for (;;) {
        p = scan_plain(p, end);
        if (p >= end)
            return 0;
        if (*p == '"') {
            *s = (const char *)start;
            *n = (size_t)(p - start);
            r->p = p + 1;
            return 1;
        }
        if (*p >= 0x80) {
            size_t k = utf8_seq(p, end);
            if (!k)
                return 0;
            p += k;
            continue;
        }
        if (*p != '\\')
            return 0; /* control character */
        r->p = p;
        return read_escaped(r, start, s, n);
    }
}

/* A plain integer as Jansson's lexer and strtoll read it; declines reals and overflow. */
static json_t *read_integer(reader *r)
{
    const unsigned char *p = r->p, *end = r->end;
    int neg = 0;
    if (*p == '-') {
        neg = 1;
        p++;
    }
    if (p >= end || *p < '0' || *p > '9')
        return NULL;
    const unsigned char *digits = p;
    uint64_t v = 0;
    if (*p == '0') {
        p++;
    } else {
        while (p < end && *p >= '0' && *p <= '9') {
            if (p - digits >= 19)
                return NULL; /* 20 digits and more overflow */
            v = v * 10 + (uint64_t)(*p - '0');
            p++;
        }
    }
    if (p < end && (*p == '.' || *p == 'e' || *p == 'E' || (*p >= '0' && *p <= '9')))
        return NULL; /* a real (Jansson's own reader), or a leading zero (an error) */
    if (v > (uint64_t)INT64_MAX + (uint64_t)neg)
        return NULL;
    r->p = p;
    json_int_t i;
    if (neg)
        i = v == (uint64_t)INT64_MAX + 1 ? (json_int_t)INT64_MIN : -(json_int_t)v;
    else
        i = (json_int_t)v;
    return json_integer(i);
}

static json_t *read_value(reader *r, int depth);

static json_t *read_object(reader *r, int depth)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    skip_ws(r);
    if (r->p < r->end && *r->p == '}') {
        r->p++;
        return o;
    }
    for (;;) {
        if (r->p >= r->end || *r->p != '"')
            goto fail;
        r->p++;
        const char *k;
        size_t kn;
        if (!read_string(r, &k, &kn) || memchr(k, '\0', kn))
            goto fail;
        /* The key may live in scratch, which the value's strings reuse: keep a copy then. */
        char kbuf[128];
        char *kheap = NULL;
        if (k == r->scratch) {
            if (kn <= sizeof kbuf) {
                memcpy(kbuf, k, kn);
                k = kbuf;
            } else {
                kheap = malloc(kn);
                if (!kheap)
                    goto fail;
                memcpy(kheap, k, kn);
                k = kheap;
            }
        }
        skip_ws(r);
        if (r->p >= r->end || *r->p != ':') {
            free(kheap);
            goto fail;
        }
        r->p++;
        skip_ws(r);
        json_t *v = read_value(r, depth);
        if (!v || json_object_setn_new_nocheck(o, k, kn, v) != 0) {
            free(kheap);
            goto fail;
        }
        free(kheap);
        skip_ws(r);
        if (r->p >= r->end)
            goto fail;
        if (*r->p == ',') {
            r->p++;
            skip_ws(r);
            continue;
        }
        if (*r->p == '}') {
            r->p++;
            return o;
        }
        goto fail;
    }
fail:
    json_decref(o);
    return NULL;
}

static json_t *read_array(reader *r, int depth)
{
    json_t *a = json_array();
    if (!a)
        return NULL;
    skip_ws(r);
    if (r->p < r->end && *r->p == ']') {
        r->p++;
        return a;
    }
    for (;;) {
        json_t *v = read_value(r, depth);
        if (!v || json_array_append_new(a, v) != 0)
            goto fail;
        skip_ws(r);
        if (r->p >= r->end)
            goto fail;
        if (*r->p == ',') {
            r->p++;
            skip_ws(r);
            continue;
        }
        if (*r->p == ']') {
            r->p++;
            return a;
        }
        goto fail;
    }
fail:
    json_decref(a);
    return NULL;
}

static int literal(reader *r, const char *word, size_t n)
{
    if ((size_t)(r->end - r->p) < n || memcmp(r->p, word, n) != 0)
        return 0;
    r->p += n;
    return 1;
}

/* The value at r->p (white space already skipped); depth counts the containers around it. */
static json_t *read_value(reader *r, int depth)
{
    if (r->p >= r->end)
        return NULL;
    switch (*r->p) {
    case '"': {
        r->p++;
        const char *s;
        size_t n;
        if (!read_string(r, &s, &n) || memchr(s, '\0', n))
            return NULL;
        return json_stringn_nocheck(s, n);
    }
    case '{':
        if (depth >= SIM_JSON_FAST_MAX_DEPTH)
            return NULL;
        r->p++;
        return read_object(r, depth + 1);
    case '[':
        if (depth >= SIM_JSON_FAST_MAX_DEPTH)
            return NULL;
        r->p++;
        return read_array(r, depth + 1);
    case 't':
        return literal(r, "true", 4) ? json_true() : NULL;
    case 'f':
        return literal(r, "false", 5) ? json_false() : NULL;
    case 'n':
        return literal(r, "null", 4) ? json_null() : NULL;
    default:
        return read_integer(r);
    }
}

int sim_json_fast_parse(const char *buf, size_t len, json_t **out)
{
    *out = NULL;
    if (!buf)
        return 0;
    reader r = {(const unsigned char *)buf, (const unsigned char *)buf + len, NULL, 0};
    skip_ws(&r);
    if (r.p >= r.end || *r.p != '{')
        return 0;
    json_t *v = read_value(&r, 0);
    free(r.scratch);
    if (!v)
        return 0;
    skip_ws(&r);
    /* The literals above end at their last letter: "truex" is caught here or by the separator
     * checks, as Jansson rejects it. */
    if (r.p != r.end) {
        json_decref(v);
        return 0;
    }
    *out = v;
    return 1;
}

/* ------------------------------------------------------------------ writer */

typedef sim_json_out writer;

static int grow(writer *w, size_t more)
{
    size_t want = w->n + more + 1;
    if (want <= w->cap)
        return 1;
    size_t cap = w->cap ? w->cap : 256;
    while (cap < want) {
        if (cap > SIZE_MAX / 2)
            return 0;
        cap *= 2;
    }
    char *t = realloc(w->d, cap);
    if (!t)
        return 0;
    w->d = t;
    w->cap = cap;
    return 1;
}

static inline int put(writer *w, const void *s, size_t n)
{
    if (w->n + n >= w->cap && !grow(w, n))
        return 0;
    memcpy(w->d + w->n, s, n);
    w->n += n;
    return 1;
}

static inline int put1(writer *w, char c)
{
    if (w->n + 1 >= w->cap && !grow(w, 1))
        return 0;
    w->d[w->n++] = c;
    return 1;
}

static const char hexdig[] = "0123456789ABCDEF";

/* A string as Jansson's dump_string writes it without JSON_ENSURE_ASCII / JSON_ESCAPE_SLASH;
 * 0 for invalid UTF-8 (json_dumps fails on it too). Plain bytes are copied eight at a time while
 * they are checked; the room kept ahead (the rest of the input, the closing quote and eight bytes)
 * lets every eight-byte store land inside the buffer. */
static int write_string(writer *w, const char *str, size_t len)
{
    const unsigned char *p = (const unsigned char *)str, *end = p + len;
    const unsigned char *run = p; /* where the current stretch copied as it is began */
    if (!grow(w, len + 2 + 8))
        return 0;
    char *o = w->d + w->n;
    *o++ = '"';
    for (;;) {
        while (end - p >= 8) {
            uint64_t x = load8(p);
            uint64_t m = special8(x);
            store8(o, x);
            if (m) {
                size_t k = first_flagged(m);
                p += k;
                o += k;
                goto attention;
            }
            p += 8;
            o += 8;
        }
        if (p < end) {
            size_t r = (size_t)(end - p);
            if (LITTLE_ENDIAN_WORDS && (size_t)(p - run) >= 8 - r) {
                /* the last eight bytes, overlapping plain bytes already copied as they are */
                uint64_t x = load8(end - 8);
                uint64_t m = special8(x) & (~0ULL << (8 * (8 - r)));
                if (!m) {
                    store8(o - (8 - r), x);
                    p = end;
                    o += r;
                }
            }
            while (p < end && !stop_byte(*p))
                *o++ = (char)*p++;
        }
        if (p >= end)
            break;
    attention:;
        unsigned c = *p;
        if (c >= 0x80) {
            size_t k = utf8_seq(p, end);
            if (!k)
                return 0;
            memcpy(o, p, k);
            o += k;
            p += k;
            run = p;
            continue;
        }
        if (!stop_byte(c)) {
            *o++ = (char)c; /* big-endian: first_flagged only points near */
            p++;
            continue;
        }
        /* An escape writes up to six bytes for one: make room for it and the rest. */
        w->n = (size_t)(o - w->d);
        if (!grow(w, (size_t)(end - p) + 6 + 2 + 8))
            return 0;
        o = w->d + w->n;
        *o++ = '\\';
        switch (c) {
        case '"':
            *o++ = '"';
            break;
        case '\\':
            *o++ = '\\';
            break;
        case '\b':
            *o++ = 'b';
            break;
        case '\f':
            *o++ = 'f';
            break;
        case '\n':
            *o++ = 'n';
            break;
        case '\r':
            *o++ = 'r';
            break;
        case '\t':
            *o++ = 't';
            break;
        default:
            *o++ = 'u';
            *o++ = '0';
            *o++ = '0';
            *o++ = hexdig[c >> 4];
            *o++ = hexdig[c & 0xF];
            break;
        }
        p++;
        run = p;
    }
    *o++ = '"';
    w->n = (size_t)(o - w->d);
    return 1;
}

/* Decimal digits of v into the end of buf (at least 20 bytes); returns the first digit. */
static char *utoa_end(uint64_t v, char *bufend)
{
    char *p = bufend;
    do {
        *--p = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return p;
}

static int write_integer(writer *w, json_int_t i)
{
    char buf[24];
    char *end = buf + sizeof buf;
    uint64_t u = i < 0 ? (uint64_t)0 - (uint64_t)i : (uint64_t)i;
    char *p = utoa_end(u, end);
    if (i < 0)
        *--p = '-';
    return put(w, p, (size_t)(end - p));
}

/* Jansson 2.14's jsonp_dtostr (the snprintf build): "%.<precision>g", then ".0" when there is
 * neither '.' nor 'e', then no '+' and no leading zeros in the exponent. 0 for a locale's decimal
 * point (left to Jansson). */
static int put_dtostr(writer *w, double v, int precision)
{
    char buf[48];
    int n = snprintf(buf, sizeof buf - 3, "%.*g", precision, v);
    if (n < 0 || (size_t)n >= sizeof buf - 3)
        return 0;
    int has_point = 0;
    char *e = NULL;
    for (int i = 0; i < n; i++) {
        char c = buf[i];
        if (c == '.')
            has_point = 1;
        else if (c == 'e')
            e = buf + i;
        else if (!(c == '-' || c == '+' || (c >= '0' && c <= '9')))
            return 0;
    }
    if (!has_point && !e) {
        buf[n++] = '.';
        buf[n++] = '0';
        buf[n] = '\0';
    }
    if (e) {
        char *s = e + 1; /* sign or first digit */
        char *d = s + 1; /* first digit after a sign */
        if (*s == '-')
            s++; /* keep '-' */
        while (*d == '0')
            d++;
        if (d != s) {
            memmove(s, d, (size_t)(buf + n - d) + 1);
            n -= (int)(d - s);
        }
    }
    return put(w, buf, (size_t)n);
}

/* A real as Jansson writes it by default (jsonp_dtostr with precision 15), with a fast path for
 * epoch seconds with milliseconds. */
static int write_real(writer *w, double v)
{
    if (!isfinite(v))
        return 0;
    char buf[48];
    double a = fabs(v);
    /* Fast path: a value that is the double nearest to a decimal with at most three decimals
     * and at most 15 significant digits (epoch seconds with milliseconds) prints as that
     * decimal: the double is within half an ulp of it, less than half a unit in the 15th
     * digit, so "%.15g" rounds back to it, in fixed notation since 1e-3 <= a < 1e12. */
    if (a >= 1e-3 && a < 1e12) {
        long long m = llround(a * 1000.0);
        if (m >= 1 && m < 1000000000000000LL && (double)m / 1000.0 == a) {
            char *end = buf + sizeof buf;
            char *p = end;
            unsigned r = (unsigned)(m % 1000);
            if (r == 0) {
                *--p = '0';
            } else {
                char f[3] = {(char)('0' + r / 100), (char)('0' + r / 10 % 10), (char)('0' + r % 10)};
                int fn = 3;
                while (f[fn - 1] == '0')
                    fn--;
                p -= fn;
                memcpy(p, f, (size_t)fn);
            }
            *--p = '.';
            p = utoa_end((uint64_t)(m / 1000), p);
            if (v < 0)
                *--p = '-';
            return put(w, p, (size_t)(end - p));
        }
    }
    return put_dtostr(w, v, 15);
}

static int write_value(writer *w, const json_t *v, int depth)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        if (depth >= 2048)
            return 0; /* a loop, or deeper than worth it: json_dumps decides */
        if (!put1(w, '{'))
            return 0;
        int first = 1;
        for (void *it = json_object_iter((json_t *)v); it; it = json_object_iter_next((json_t *)v, it)) {
            if (!first && !put1(w, ','))
                return 0;
            first = 0;
            if (!write_string(w, json_object_iter_key(it), json_object_iter_key_len(it)) || !put1(w, ':') ||
                !write_value(w, json_object_iter_value(it), depth + 1))
                return 0;
        }
        return put1(w, '}');
    }
    case JSON_ARRAY: {
        if (depth >= 2048)
            return 0;
        if (!put1(w, '['))
            return 0;
        size_t n = json_array_size(v);
        for (size_t i = 0; i < n; i++) {
            if ((i && !put1(w, ',')) || !write_value(w, json_array_get(v, i), depth + 1))
                return 0;
        }
        return put1(w, ']');
    }
    case JSON_STRING:
        return write_string(w, json_string_value(v), json_string_length(v));
    case JSON_INTEGER:
        return write_integer(w, json_integer_value(v));
    case JSON_REAL:
        return write_real(w, json_real_value(v));
    case JSON_TRUE:
        return put(w, "true", 4);
    case JSON_FALSE:
        return put(w, "false", 5);
    case JSON_NULL:
        return put(w, "null", 4);
    }
    return 0;
}

char *sim_json_fast_dump(const json_t *v, size_t *len)
{
    /* Like json_dumps without JSON_ENCODE_ANY: only an object or an array. */
    if (!v || !(json_is_object(v) || json_is_array(v)))
        return NULL;
    writer w = {NULL, 0, 0};
    if (!grow(&w, 255) || !write_value(&w, v, 0)) {
        free(w.d);
        return NULL;
    }
    w.d[w.n] = '\0';
    if (len)
        *len = w.n;
    return w.d;
}

/* ------------------------------------------------------------------ the writer's pieces */

int sim_json_out_raw(sim_json_out *w, const char *s, size_t n)
{
    return put(w, s, n);
}

char *sim_json_out_reserve(sim_json_out *w, size_t n)
{
    return grow(w, n) ? w->d + w->n : NULL;
}

int sim_json_out_string(sim_json_out *w, const char *s, size_t n)
{
    return write_string(w, s, n);
}

int sim_json_out_integer(sim_json_out *w, json_int_t i)
{
    return write_integer(w, i);
}

/* "%.17g" of v for 1 <= |v| < 2^53 (epoch seconds with milliseconds are 1.7e9), computed
 * exactly: |v| = m * 2^-s with m < 2^53 and s <= 52, the 17 significant digits are
 * m * 10^(16 - X) / 2^s rounded half to even (glibc's printf in the default rounding mode),
 * where X is the decimal exponent; the product stays under 2^107. Returns 0 when v is outside
 * that range or rounding reaches another power of ten (the caller uses snprintf then). */
static int real17_exact(double v, char *out, size_t *out_len)
{
    double a = fabs(v);
    if (!(a >= 1.0 && a < 9007199254740992.0))
        return 0;
    int e2;
    double f = frexp(a, &e2); /* a = f * 2^e2, 0.5 <= f < 1, 1 <= e2 <= 53 */
    uint64_t m = (uint64_t)ldexp(f, 53);
    unsigned s = (unsigned)(53 - e2);
    int x = 0; /* 10^x <= a < 10^(x+1); powers of ten up to 10^16 are exact doubles */
    double p10 = 10.0;
    while (x < 15 && a >= p10) {
        x++;
        p10 *= 10.0;
    }
    if (a >= p10)
        return 0;
    unsigned __int128 scale = 1;
    for (int i = 0; i < 16 - x; i++)
        scale *= 10;
    unsigned __int128 prod = (unsigned __int128)m * scale;
    unsigned __int128 q = s ? prod >> s : prod;
    if (s) {
        unsigned __int128 rem = prod & (((unsigned __int128)1 << s) - 1),
                          half = (unsigned __int128)1 << (s - 1);
        if (rem > half || (rem == half && (q & 1)))
            q++;
    }
    if (q < 10000000000000000ULL || q >= 100000000000000000ULL)
        return 0;
    char dig[17];
    uint64_t u = (uint64_t)q;
    for (int i = 16; i >= 0; i--) {
        dig[i] = (char)('0' + u % 10);
        u /= 10;
    }
    int last = 16; /* %g drops trailing zeros of the fraction */
    while (last > x && dig[last] == '0')
        last--;
    char *o = out;
    if (v < 0)
        *o++ = '-';
    memcpy(o, dig, (size_t)x + 1);
    o += x + 1;
    *o++ = '.'; /* with no fraction left Jansson writes ".0" */
    if (last > x) {
        memcpy(o, dig + x + 1, (size_t)(last - x));
        o += last - x;
    } else {
        *o++ = '0';
    }
    *out_len = (size_t)(o - out);
    return 1;
}

int sim_json_out_real17(sim_json_out *w, double v)
{
    if (!isfinite(v))
        return 0;
    char buf[48];
    size_t n;
    if (real17_exact(v, buf, &n))
        return put(w, buf, n);
    /* Jansson's jsonp_dtostr with its default precision */
    return put_dtostr(w, v, 17);
}
