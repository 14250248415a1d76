/* sigv4.c: AWS Signature Version 4 (HMAC-SHA256), implementing sigv4.h.
 *
 * The signer is a pipeline of stages, each filling one field of sigv4_result, so a failing test
 * vector points at the exact stage: canonical request -> string to sign -> signing key ->
 * signature -> Authorization value. Time is always an input (sigv4_params.epoch_seconds).
 * The same code serves three users: libkinesis signs every request (sigv4_sign), kinesis-sim
 * checks the Authorization header and, in strict mode, recomputes the signature (sigv4_verify),
 * and `kinesis sign` prints every stage for a raw request (sigv4_raw_request_parse).
 * Crypto is OpenSSL 3's one-shot EVP_Q_digest / EVP_Q_mac (no deprecated HMAC_* calls).
 *
 * Sections: buffers and hex | time | URI encoding and paths | query | headers |
 * canonical request and stages | header signing | presigning | Authorization parsing and
 * verification | raw request parsing. */
#include "shared/sigv4.h"

#include <ctype.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SIGV4_ALGORITHM "AWS4-HMAC-SHA256"
#define SIGV4_TERMINATOR "aws4_request"
#define SIGV4_MAX_EXPIRES 604800

/* ===================================================================== buffers and hex */

/* A growable string. Any allocation failure sets err and makes later appends no-ops, so a chain
 * of appends is checked once at the end. */
typedef struct sbuf {
    char *p;
    size_t len;
    size_t cap;
    int err;
} sbuf;

static void sb_reserve(sbuf *b, size_t extra)
{
    if (b->err)
        return;
    if (extra > SIZE_MAX / 2 - b->len) {
        b->err = 1;
        return;
    }
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap *= 2;
    char *np = realloc(b->p, cap);
    if (!np) {
        b->err = 1;
        return;
    }
    b->p = np;
    b->cap = cap;
    b->p[b->len] = '\0';
}

static void sb_addn(sbuf *b, const char *s, size_t n)
{
    sb_reserve(b, n);
    if (b->err)
        return;
    if (n)
        memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void sb_add(sbuf *b, const char *s)
{
    sb_addn(b, s, strlen(s));
}

static void sb_addc(sbuf *b, char c)
{
    sb_addn(b, &c, 1);
}

/* Hand the string over (an empty buffer gives ""); NULL after an allocation failure. */
static char *sb_take(sbuf *b)
{
    if (!b->err && !b->p) {
        sb_reserve(b, 0);
        if (!b->err)
            b->p[0] = '\0';
    }
    if (b->err) {
        free(b->p);
        b->p = NULL;
        return NULL;
    }
    char *s = b->p;
    b->p = NULL;
    b->len = b->cap = 0;
    return s;
}

static void sb_free(sbuf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

static void set_why(char *why, size_t why_len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void set_why(char *why, size_t why_len, const char *fmt, ...)
{
    if (!why || why_len == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, why_len, fmt, ap);
    va_end(ap);
}

static void hex_encode(const uint8_t *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
}

void sigv4_sha256_hex(const void *data, size_t len, char out[65])
{
    uint8_t md[32];
    size_t md_len = 0;
    static const char empty[1] = {0};
    if (!EVP_Q_digest(NULL, "SHA256", NULL, data ? data : empty, data ? len : 0, md, &md_len) ||
        md_len != 32) {
        out[0] = '\0';
        return;
    }
    hex_encode(md, 32, out);
}

static int hmac_sha256(const void *key, size_t key_len, const void *data, size_t len, uint8_t out[32])
{
    size_t out_len = 0;
    static const char empty[1] = {0};
    if (!EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key, key_len, data ? data : empty, len, out, 32,
                   &out_len) ||
        out_len != 32)
        return -1;
    return 0;
}

static int ascii_ieq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
            return 0;
    return *a == *b;
}

static int is_ows(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* ===================================================================== time */

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's civil-date algorithm). */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

void sigv4_format_time(int64_t epoch_seconds, char amz_date[17], char date[9])
{
    int64_t days = epoch_seconds / 86400;
    int64_t secs = epoch_seconds % 86400;
    if (secs < 0) {
        secs += 86400;
        days--;
    }
    int64_t y;
    int m, d;
    civil_from_days(days, &y, &m, &d);
    if (y < 0 || y > 9999) { /* not representable in the 4-digit form */
        y = 0;
        m = 1;
        d = 1;
        secs = 0;
    }
    char buf[32];
    snprintf(buf, sizeof buf, "%04d%02d%02dT%02d%02d%02dZ", (int)y, m, d, (int)(secs / 3600),
             (int)(secs / 60 % 60), (int)(secs % 60));
    if (amz_date)
        memcpy(amz_date, buf, 17);
    if (date) {
        memcpy(date, buf, 8);
        date[8] = '\0';
    }
}

/* Read exactly n digits. */
static int read_digits(const char *s, int n, int *v)
{
    int x = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return -1;
        x = x * 10 + (s[i] - '0');
    }
    *v = x;
    return 0;
}

int sigv4_parse_time(const char *s, int64_t *epoch_seconds)
{
    if (!s || !epoch_seconds)
        return -1;
    int y, mo, d, h, mi, se;
    size_t n = strlen(s);
    if (n == 16) { /* 20150830T123600Z */
        if (read_digits(s, 4, &y) || read_digits(s + 4, 2, &mo) || read_digits(s + 6, 2, &d) || s[8] != 'T' ||
            read_digits(s + 9, 2, &h) || read_digits(s + 11, 2, &mi) || read_digits(s + 13, 2, &se) ||
            s[15] != 'Z')
            return -1;
    } else if (n == 20) { /* 2015-08-30T12:36:00Z */
        if (read_digits(s, 4, &y) || s[4] != '-' || read_digits(s + 5, 2, &mo) || s[7] != '-' ||
            read_digits(s + 8, 2, &d) || s[10] != 'T' || read_digits(s + 11, 2, &h) || s[13] != ':' ||
            read_digits(s + 14, 2, &mi) || s[16] != ':' || read_digits(s + 17, 2, &se) || s[19] != 'Z')
            return -1;
    } else {
        return -1;
    }
    static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || (mo == 2 && d == 29 && !leap) || h > 23 ||
        mi > 59 || se > 60)
        return -1;
    if (se == 60)
        se = 59; /* a leap second signs like the second before it */
    *epoch_seconds = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
    return 0;
}

/* ===================================================================== URI encoding and paths */

static int is_unreserved(unsigned char c)
{
    return isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

/* SigV4 URI encoding: everything but A-Za-z0-9-._~ as %XX (uppercase), '/' kept when keep_slash. */
static void uri_encode(sbuf *b, const char *s, size_t n, int keep_slash)
{
    static const char digits[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (is_unreserved(c) || (keep_slash && c == '/')) {
            sb_addc(b, (char)c);
        } else {
            char e[3] = {'%', digits[c >> 4], digits[c & 15]};
            sb_addn(b, e, 3);
        }
    }
}

int sigv4_hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decode %XX escapes (a '%' not followed by two hex digits stays literal; '+' stays '+'). */
static void uri_decode(sbuf *b, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%' && i + 2 < n && sigv4_hexval((unsigned char)s[i + 1]) >= 0 &&
            sigv4_hexval((unsigned char)s[i + 2]) >= 0) {
            sb_addc(b, (char)(sigv4_hexval((unsigned char)s[i + 1]) * 16 +
                              sigv4_hexval((unsigned char)s[i + 2])));
            i += 2;
            continue;
        }
        sb_addc(b, s[i]);
    }
}

/* The canonical URI: the path (as sent, escapes and all) URI-encoded once more, which is the
 * "double encoding" every service but S3 expects; with normalize, empty and "." segments are
 * dropped and ".." removes the segment before it, keeping a trailing '/'. */
static char *canonical_uri(const char *path, int normalize)
{
    sbuf b = {0};
    if (!path || !*path) {
        sb_addc(&b, '/');
        return sb_take(&b);
    }
    if (!normalize) {
        uri_encode(&b, path, strlen(path), 1);
        return sb_take(&b);
    }
    size_t n = strlen(path);
    /* Segment start offsets and lengths, as a stack. */
    size_t cap = n / 2 + 2, top = 0;
    size_t *off = malloc(cap * sizeof *off), *len = malloc(cap * sizeof *len);
    if (!off || !len) {
        free(off);
        free(len);
        return NULL;
    }
    int trailing = 0;
    size_t i = 0;
    while (i <= n) {
        size_t j = i;
        while (j < n && path[j] != '/')
            j++;
        size_t sl = j - i;
        const char *seg = path + i;
        int last = j >= n;
        if (sl == 0 || (sl == 1 && seg[0] == '.')) {
            trailing = 1;
        } else if (sl == 2 && seg[0] == '.' && seg[1] == '.') {
            if (top)
                top--;
            trailing = 1;
        } else {
            if (top < cap) {
                off[top] = i;
                len[top] = sl;
                top++;
            }
            trailing = 0;
        }
        if (last)
            break;
        i = j + 1;
    }
    for (size_t k = 0; k < top; k++) {
        sb_addc(&b, '/');
        uri_encode(&b, path + off[k], len[k], 1);
    }
    if (top == 0 || trailing)
        sb_addc(&b, '/');
    free(off);
    free(len);
    return sb_take(&b);
}

/* ===================================================================== query */

typedef struct qparam {
    char *key; /* encoded */
    char *val; /* encoded */
} qparam;

typedef struct qlist {
    qparam *v;
    size_t n;
    size_t cap;
} qlist;

static void qlist_free(qlist *q)
{
    for (size_t i = 0; i < q->n; i++) {
        free(q->v[i].key);
        free(q->v[i].val);
    }
    free(q->v);
    q->v = NULL;
    q->n = q->cap = 0;
}

/* Add a parameter from its decoded key and value (both get SigV4-encoded). */
static int qlist_add(qlist *q, const char *key, size_t klen, const char *val, size_t vlen)
{
    if (q->n == q->cap) {
        size_t cap = q->cap ? q->cap * 2 : 8;
        qparam *nv = realloc(q->v, cap * sizeof *nv);
        if (!nv)
            return -1;
        q->v = nv;
        q->cap = cap;
    }
    sbuf k = {0}, v = {0};
    uri_encode(&k, key, klen, 0);
    uri_encode(&v, val, vlen, 0);
    char *ks = sb_take(&k), *vs = sb_take(&v);
    if (!ks || !vs) {
        free(ks);
        free(vs);
        return -1;
    }
    q->v[q->n].key = ks;
    q->v[q->n].val = vs;
    q->n++;
    return 0;
}

static int qlist_add_str(qlist *q, const char *key, const char *val)
{
    return qlist_add(q, key, strlen(key), val, strlen(val));
}

/* Parse a raw query string: split on '&', each at its first '=', %-decode, re-encode. Empty
 * pieces are skipped; parameters whose decoded key is in skip[] (case-sensitive) are dropped. */
static int qlist_parse(qlist *q, const char *raw, const char *const *skip)
{
    if (!raw)
        return 0;
    const char *s = raw;
    while (*s) {
        const char *amp = strchr(s, '&');
        size_t plen = amp ? (size_t)(amp - s) : strlen(s);
        if (plen) {
            const char *eq = memchr(s, '=', plen);
            size_t klen = eq ? (size_t)(eq - s) : plen;
            sbuf k = {0}, v = {0};
            uri_decode(&k, s, klen);
            if (eq)
                uri_decode(&v, eq + 1, plen - klen - 1);
            sb_reserve(&k, 0);
            sb_reserve(&v, 0);
            int drop = 0;
            if (!k.err && skip)
                for (size_t i = 0; skip[i]; i++)
                    if (strcmp(k.p, skip[i]) == 0)
                        drop = 1;
            int rc = (k.err || v.err) ? -1 : drop ? 0 : qlist_add(q, k.p, k.len, v.p, v.len);
            sb_free(&k);
            sb_free(&v);
            if (rc)
                return -1;
        }
        if (!amp)
            break;
        s = amp + 1;
    }
    return 0;
}

static int qparam_cmp(const void *a, const void *b)
{
    const qparam *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : strcmp(x->val, y->val);
}

static char *qlist_canonical(qlist *q)
{
    if (q->n > 1)
        qsort(q->v, q->n, sizeof *q->v, qparam_cmp);
    sbuf b = {0};
    for (size_t i = 0; i < q->n; i++) {
        if (i)
            sb_addc(&b, '&');
        sb_add(&b, q->v[i].key);
        sb_addc(&b, '=');
        sb_add(&b, q->v[i].val);
    }
    return sb_take(&b);
}

/* ===================================================================== headers */

typedef struct chdr {
    char *name;  /* lowercase */
    char *value; /* trimmed, inner whitespace runs collapsed to one space */
    size_t order;
} chdr;

/* Headers a signer leaves out (as aws-c-auth does): proxies may rewrite them. */
static int skipped_header(const char *lname)
{
    static const char *const skip[] = {"authorization", "x-amzn-trace-id", "user-agent",       "connection",
                                       "expect",        "upgrade",         "transfer-encoding"};
    for (size_t i = 0; i < sizeof skip / sizeof skip[0]; i++)
        if (strcmp(lname, skip[i]) == 0)
            return 1;
    return strncmp(lname, "sec-websocket-", 14) == 0;
}

static int valid_header_name(const char *s)
{
    if (!s || !*s)
        return 0;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c <= 32 || c >= 127 || c == ':' || c == ';' || c == ',')
            return 0;
    }
    return 1;
}

static char *lower_dup(const char *s)
{
    size_t n = strlen(s);
    char *d = malloc(n + 1);
    if (!d)
        return NULL;
    for (size_t i = 0; i <= n; i++)
        d[i] = (char)tolower((unsigned char)s[i]);
    return d;
}

static char *trim_collapse(const char *s)
{
    sbuf b = {0};
    int pending = 0;
    for (; *s; s++) {
        if (is_ows(*s)) {
            pending = b.len > 0;
            continue;
        }
        if (pending)
            sb_addc(&b, ' ');
        pending = 0;
        sb_addc(&b, *s);
    }
    return sb_take(&b);
}

static int chdr_cmp(const void *a, const void *b)
{
    const chdr *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    if (c)
        return c;
    return x->order < y->order ? -1 : x->order > y->order;
}

/* Is lname in the ';'-separated list? */
static int in_list(const char *list, const char *lname)
{
    size_t n = strlen(lname);
    const char *s = list;
    while (*s) {
        const char *e = strchr(s, ';');
        size_t l = e ? (size_t)(e - s) : strlen(s);
        if (l == n && memcmp(s, lname, n) == 0)
            return 1;
        if (!e)
            break;
        s = e + 1;
    }
    return 0;
}

/* Build the canonical headers block and the signed headers list. With only == NULL every header
 * but the skipped ones is signed; otherwise exactly the names in the ';'-list only, each of which
 * must be present. */
static int canonical_headers(const sigv4_header *h, size_t n, const char *only, char **block,
                             char **signed_list, char *why, size_t why_len)
{
    chdr *v = calloc(n ? n : 1, sizeof *v);
    size_t m = 0;
    int rc = -1;
    sbuf hb = {0}, sb = {0};
    if (!v)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (!valid_header_name(h[i].name)) {
            set_why(why, why_len, "invalid header name '%s'", h[i].name ? h[i].name : "(null)");
            goto out;
        }
        char *ln = lower_dup(h[i].name);
        if (!ln)
            goto out;
        if (only ? !in_list(only, ln) : skipped_header(ln)) {
            free(ln);
            continue;
        }
        char *val = trim_collapse(h[i].value ? h[i].value : "");
        if (!val) {
            free(ln);
            goto out;
        }
        v[m].name = ln;
        v[m].value = val;
        v[m].order = i;
        m++;
    }
    if (m > 1)
        qsort(v, m, sizeof *v, chdr_cmp);
    for (size_t i = 0; i < m; i++) {
        int same = i > 0 && strcmp(v[i].name, v[i - 1].name) == 0;
        if (same) {
            sb_addc(&hb, ',');
        } else {
            if (i) {
                sb_addc(&hb, '\n');
                sb_addc(&sb, ';');
            }
            sb_add(&hb, v[i].name);
            sb_addc(&hb, ':');
            sb_add(&sb, v[i].name);
        }
        sb_add(&hb, v[i].value);
    }
    if (m)
        sb_addc(&hb, '\n');
    if (only) { /* every listed header must exist */
        const char *s = only;
        while (*s) {
            const char *e = strchr(s, ';');
            size_t l = e ? (size_t)(e - s) : strlen(s);
            int found = 0;
            for (size_t i = 0; i < m && !found; i++)
                found = strlen(v[i].name) == l && memcmp(v[i].name, s, l) == 0;
            if (!found) {
                set_why(why, why_len, "signed header '%.*s' is not in the request", (int)(l > 200 ? 200 : l),
                        s);
                goto out;
            }
            if (!e)
                break;
            s = e + 1;
        }
    }
    *block = sb_take(&hb);
    *signed_list = sb_take(&sb);
    if (!*block || !*signed_list) {
        free(*block);
        free(*signed_list);
        *block = *signed_list = NULL;
        goto out;
    }
    rc = 0;
out:
    for (size_t i = 0; i < m; i++) {
        free(v[i].name);
        free(v[i].value);
    }
    free(v);
    sb_free(&hb);
    sb_free(&sb);
    return rc;
}

/* The payload hash: x-amz-content-sha256 when the request carries it, else SHA-256(body). */
static int payload_hash(const sigv4_request *req, char out[65])
{
    for (size_t i = 0; i < req->n_headers; i++) {
        if (req->headers[i].name && ascii_ieq(req->headers[i].name, "x-amz-content-sha256")) {
            char *t = trim_collapse(req->headers[i].value ? req->headers[i].value : "");
            if (!t)
                return -1;
            int ok = strlen(t) < 65;
            if (ok)
                strcpy(out, t);
            free(t);
            if (ok)
                return 0;
        }
    }
    if (!req->body && req->body_len)
        return -1;
    sigv4_sha256_hex(req->body, req->body_len, out);
    return out[0] ? 0 : -1;
}

/* ===================================================================== canonical request and stages */

static int check_params(const sigv4_params *p)
{
    return p && p->access_key_id && *p->access_key_id && p->secret_access_key && p->region && *p->region &&
                   p->service && *p->service
               ? 0
               : -1;
}

static int check_request(const sigv4_request *req)
{
    if (!req || !req->method || !*req->method || (req->n_headers && !req->headers))
        return -1;
    for (const char *m = req->method; *m; m++)
        if ((unsigned char)*m <= 32 || (unsigned char)*m >= 127)
            return -1;
    return 0;
}

static int ensure_date(const sigv4_params *p, sigv4_result *out)
{
    if (out->amz_date)
        return 0;
    out->amz_date = malloc(17);
    if (!out->amz_date)
        return -1;
    sigv4_format_time(p->epoch_seconds, out->amz_date, NULL);
    return 0;
}

/* The shared core: canonical request over req's headers (filtered by only, see
 * canonical_headers), its query plus the extra parameters in q, the path per normalize. */
static int build_canonical(const sigv4_request *req, const sigv4_params *p, const char *only, qlist *q,
                           const char *const *qskip, sigv4_result *out, char *why, size_t why_len)
{
    if (check_request(req) || check_params(p)) {
        set_why(why, why_len, "bad request or signing parameters");
        return -1;
    }
    if (ensure_date(p, out))
        return -1;
    char hash[65];
    if (payload_hash(req, hash)) {
        set_why(why, why_len, "cannot hash the payload");
        return -1;
    }
    char *uri = canonical_uri(req->path, p->normalize_path);
    char *block = NULL, *signed_list = NULL, *query = NULL;
    int rc = -1;
    if (!uri || qlist_parse(q, req->query, qskip))
        goto out;
    query = qlist_canonical(q);
    if (!query)
        goto out;
    if (canonical_headers(req->headers, req->n_headers, only, &block, &signed_list, why, why_len))
        goto out;
    sbuf b = {0};
    sb_add(&b, req->method);
    sb_addc(&b, '\n');
    sb_add(&b, uri);
    sb_addc(&b, '\n');
    sb_add(&b, query);
    sb_addc(&b, '\n');
    sb_add(&b, block);
    sb_addc(&b, '\n');
    sb_add(&b, signed_list);
    sb_addc(&b, '\n');
    sb_add(&b, hash);
    char *cr = sb_take(&b);
    if (!cr)
        goto out;
    free(out->canonical_request);
    free(out->signed_headers);
    out->canonical_request = cr;
    out->signed_headers = signed_list;
    signed_list = NULL;
    rc = 0;
out:
    free(uri);
    free(block);
    free(signed_list);
    free(query);
    return rc;
}

int sigv4_canonical_request(const sigv4_request *req, const sigv4_params *p, sigv4_result *out)
{
    if (!out)
        return -1;
    qlist q = {0};
    int rc = build_canonical(req, p, NULL, &q, NULL, out, NULL, 0);
    qlist_free(&q);
    return rc;
}

/* "20150830/us-east-1/kinesis/aws4_request" */
static char *credential_scope(const sigv4_params *p)
{
    char date[9];
    sigv4_format_time(p->epoch_seconds, NULL, date);
    sbuf b = {0};
    sb_add(&b, date);
    sb_addc(&b, '/');
    sb_add(&b, p->region);
    sb_addc(&b, '/');
    sb_add(&b, p->service);
    sb_addc(&b, '/');
    sb_add(&b, SIGV4_TERMINATOR);
    return sb_take(&b);
}

int sigv4_string_to_sign(const sigv4_params *p, sigv4_result *out)
{
    if (!out || check_params(p) || !out->canonical_request || ensure_date(p, out))
        return -1;
    char hash[65];
    sigv4_sha256_hex(out->canonical_request, strlen(out->canonical_request), hash);
    char *scope = credential_scope(p);
    if (!scope || !hash[0]) {
        free(scope);
        return -1;
    }
    sbuf b = {0};
    sb_add(&b, SIGV4_ALGORITHM "\n");
    sb_add(&b, out->amz_date);
    sb_addc(&b, '\n');
    sb_add(&b, scope);
    sb_addc(&b, '\n');
    sb_add(&b, hash);
    free(scope);
    char *s = sb_take(&b);
    if (!s)
        return -1;
    free(out->string_to_sign);
    out->string_to_sign = s;
    return 0;
}

void sigv4_signing_key(const char *secret, const char *date, const char *region, const char *service,
                       uint8_t key[32])
{
    uint8_t k[32];
    sbuf b = {0};
    sb_add(&b, "AWS4");
    sb_add(&b, secret ? secret : "");
    int bad = b.err;
    bad = bad || hmac_sha256(b.p, b.len, date, strlen(date), k);
    bad = bad || hmac_sha256(k, 32, region, strlen(region), k);
    bad = bad || hmac_sha256(k, 32, service, strlen(service), k);
    bad = bad || hmac_sha256(k, 32, SIGV4_TERMINATOR, strlen(SIGV4_TERMINATOR), k);
    if (b.p)
        OPENSSL_cleanse(b.p, b.len);
    sb_free(&b);
    if (bad)
        memset(k, 0, sizeof k);
    memcpy(key, k, 32);
    OPENSSL_cleanse(k, sizeof k);
}

int sigv4_signature(const sigv4_params *p, sigv4_result *out)
{
    if (!out || check_params(p) || !out->string_to_sign)
        return -1;
    char date[9];
    sigv4_format_time(p->epoch_seconds, NULL, date);
    sigv4_signing_key(p->secret_access_key, date, p->region, p->service, out->signing_key);
    uint8_t mac[32];
    if (hmac_sha256(out->signing_key, 32, out->string_to_sign, strlen(out->string_to_sign), mac))
        return -1;
    char *hex = malloc(65);
    if (!hex)
        return -1;
    hex_encode(mac, 32, hex);
    free(out->signature);
    out->signature = hex;
    return 0;
}

int sigv4_authorization(const sigv4_params *p, sigv4_result *out)
{
    if (!out || check_params(p) || !out->signature || !out->signed_headers)
        return -1;
    char *scope = credential_scope(p);
    if (!scope)
        return -1;
    sbuf b = {0};
    sb_add(&b, SIGV4_ALGORITHM " Credential=");
    sb_add(&b, p->access_key_id);
    sb_addc(&b, '/');
    sb_add(&b, scope);
    sb_add(&b, ", SignedHeaders=");
    sb_add(&b, out->signed_headers);
    sb_add(&b, ", Signature=");
    sb_add(&b, out->signature);
    free(scope);
    char *s = sb_take(&b);
    if (!s)
        return -1;
    free(out->authorization);
    out->authorization = s;
    return 0;
}

void sigv4_result_clean_up(sigv4_result *r)
{
    if (!r)
        return;
    free(r->amz_date);
    free(r->canonical_request);
    free(r->signed_headers);
    free(r->string_to_sign);
    free(r->signature);
    free(r->authorization);
    OPENSSL_cleanse(r->signing_key, sizeof r->signing_key);
    memset(r, 0, sizeof *r);
}

/* ===================================================================== header signing */

/* sigv4_sign signs the request's headers plus X-Amz-Date (from epoch_seconds) and, when there is a
 * session token and omit_session_token is 0, X-Amz-Security-Token. Any Authorization, X-Amz-Date
 * or (with a token) X-Amz-Security-Token already among the headers is replaced, so the caller
 * sends X-Amz-Date: out->amz_date, the token, and Authorization: out->authorization. */
int sigv4_sign(const sigv4_request *req, const sigv4_params *p, sigv4_result *out)
{
    if (!out || check_request(req) || check_params(p))
        return -1;
    int with_token = p->session_token && *p->session_token;
    sigv4_header *h = malloc((req->n_headers + 2) * sizeof *h);
    if (!h)
        return -1;
    size_t n = 0;
    for (size_t i = 0; i < req->n_headers; i++) {
        const char *name = req->headers[i].name;
        if (name && (ascii_ieq(name, "authorization") || ascii_ieq(name, "x-amz-date") ||
                     (with_token && ascii_ieq(name, "x-amz-security-token"))))
            continue;
        h[n++] = req->headers[i];
    }
    if (ensure_date(p, out)) {
        free(h);
        return -1;
    }
    h[n].name = "X-Amz-Date";
    h[n++].value = out->amz_date;
    if (with_token && !p->omit_session_token) {
        h[n].name = "X-Amz-Security-Token";
        h[n++].value = p->session_token;
    }
    sigv4_request r = *req;
    r.headers = h;
    r.n_headers = n;
    int rc = sigv4_canonical_request(&r, p, out);
    free(h);
    if (rc || sigv4_string_to_sign(p, out) || sigv4_signature(p, out) || sigv4_authorization(p, out))
        return -1;
    return 0;
}

/* ===================================================================== presigning */

int sigv4_presign(const sigv4_request *req, const sigv4_params *p, int64_t expires_seconds, sigv4_result *out,
                  char **signed_query)
{
    if (!out || !signed_query || check_request(req) || check_params(p) || expires_seconds < 1 ||
        expires_seconds > SIGV4_MAX_EXPIRES)
        return -1;
    *signed_query = NULL;
    static const char *const ours[] = {
        "X-Amz-Algorithm",     "X-Amz-Credential", "X-Amz-Date",           "X-Amz-Expires",
        "X-Amz-SignedHeaders", "X-Amz-Signature",  "X-Amz-Security-Token", NULL};
    int with_token = p->session_token && *p->session_token;
    int rc = -1;
    qlist q = {0};
    char *block = NULL, *signed_list = NULL, *scope = NULL, *cred = NULL;
    char expires[24];
    snprintf(expires, sizeof expires, "%lld", (long long)expires_seconds);
    if (ensure_date(p, out))
        goto out;
    /* The signed headers go into the query, so they are computed first. */
    if (canonical_headers(req->headers, req->n_headers, NULL, &block, &signed_list, NULL, 0))
        goto out;
    scope = credential_scope(p);
    sbuf cb = {0};
    sb_add(&cb, p->access_key_id);
    sb_addc(&cb, '/');
    sb_add(&cb, scope ? scope : "");
    cred = sb_take(&cb);
    if (!scope || !cred)
        goto out;
    if (qlist_add_str(&q, "X-Amz-Algorithm", SIGV4_ALGORITHM) ||
        qlist_add_str(&q, "X-Amz-Credential", cred) || qlist_add_str(&q, "X-Amz-Date", out->amz_date) ||
        qlist_add_str(&q, "X-Amz-Expires", expires) ||
        qlist_add_str(&q, "X-Amz-SignedHeaders", signed_list) ||
        (with_token && !p->omit_session_token && qlist_add_str(&q, "X-Amz-Security-Token", p->session_token)))
        goto out;
    if (build_canonical(req, p, NULL, &q, ours, out, NULL, 0) || sigv4_string_to_sign(p, out) ||
        sigv4_signature(p, out))
        goto out;
    free(out->authorization);
    out->authorization = NULL;

    /* The query to send: the request's own parameters (minus ours), then ours in the usual order. */
    qlist extra = {0};
    qlist_add_str(&extra, "X-Amz-Algorithm", SIGV4_ALGORITHM);
    qlist_add_str(&extra, "X-Amz-Credential", cred);
    qlist_add_str(&extra, "X-Amz-Date", out->amz_date);
    qlist_add_str(&extra, "X-Amz-SignedHeaders", signed_list);
    qlist_add_str(&extra, "X-Amz-Expires", expires);
    if (with_token)
        qlist_add_str(&extra, "X-Amz-Security-Token", p->session_token);
    qlist_add_str(&extra, "X-Amz-Signature", out->signature);
    sbuf b = {0};
    if (req->query) { /* keep the caller's parameters as written, dropping any of ours */
        const char *s = req->query;
        while (*s) {
            const char *amp = strchr(s, '&');
            size_t plen = amp ? (size_t)(amp - s) : strlen(s);
            const char *eq = memchr(s, '=', plen);
            size_t klen = eq ? (size_t)(eq - s) : plen;
            int drop = plen == 0;
            for (size_t i = 0; ours[i] && !drop; i++)
                drop = strlen(ours[i]) == klen && memcmp(ours[i], s, klen) == 0;
            if (!drop) {
                if (b.len)
                    sb_addc(&b, '&');
                sb_addn(&b, s, plen);
            }
            if (!amp)
                break;
            s = amp + 1;
        }
    }
    for (size_t i = 0; i < extra.n; i++) {
        if (b.len)
            sb_addc(&b, '&');
        sb_add(&b, extra.v[i].key);
        sb_addc(&b, '=');
        sb_add(&b, extra.v[i].val);
    }
    int complete = extra.n == (size_t)(6 + with_token);
    qlist_free(&extra);
    *signed_query = sb_take(&b);
    if (!complete || !*signed_query) {
        free(*signed_query);
        *signed_query = NULL;
        goto out;
    }
    rc = 0;
out:
    qlist_free(&q);
    free(block);
    free(signed_list);
    free(scope);
    free(cred);
    return rc;
}

/* ===================================================================== Authorization parsing and
 * verification */

/* Find "Key=" among the comma-separated parameters after the algorithm; returns the value start
 * and its length (up to the next ',' or end, trailing blanks dropped), or NULL. */
static const char *auth_param(const char *params, const char *key, size_t *vlen)
{
    size_t kl = strlen(key);
    const char *s = params;
    while (*s) {
        while (*s == ' ' || *s == '\t' || *s == ',')
            s++;
        const char *e = strchr(s, ',');
        size_t l = e ? (size_t)(e - s) : strlen(s);
        if (l > kl && memcmp(s, key, kl) == 0 && s[kl] == '=') {
            size_t n = l - kl - 1;
            while (n && (s[kl + 1 + n - 1] == ' ' || s[kl + 1 + n - 1] == '\t'))
                n--;
            *vlen = n;
            return s + kl + 1;
        }
        if (!e)
            break;
        s = e + 1;
    }
    return NULL;
}

static const char *auth_params_start(const char *value)
{
    size_t al = strlen(SIGV4_ALGORITHM);
    if (!value || strncmp(value, SIGV4_ALGORITHM, al) != 0 || (value[al] != ' ' && value[al] != '\t'))
        return NULL;
    return value + al;
}

unsigned sigv4_authorization_missing(const char *value)
{
    const char *ps = auth_params_start(value);
    if (!ps)
        return 0;
    unsigned m = 0;
    size_t l;
    if (!auth_param(ps, "Credential", &l))
        m |= SIGV4_MISSING_CREDENTIAL;
    if (!auth_param(ps, "SignedHeaders", &l))
        m |= SIGV4_MISSING_SIGNED_HEADERS;
    if (!auth_param(ps, "Signature", &l))
        m |= SIGV4_MISSING_SIGNATURE;
    return m;
}

static int copy_part(char *dst, size_t cap, const char *s, size_t n)
{
    if (n == 0 || n >= cap)
        return -1;
    memcpy(dst, s, n);
    dst[n] = '\0';
    return 0;
}

int sigv4_parse_authorization(const char *value, sigv4_auth_header *out, char *why, size_t why_len)
{
    if (!out) {
        set_why(why, why_len, "no output");
        return -1;
    }
    memset(out, 0, sizeof *out);
    if (!value || !*value) {
        set_why(why, why_len, "empty Authorization header");
        return -1;
    }
    const char *ps = auth_params_start(value);
    if (!ps) {
        set_why(why, why_len, "Authorization header must start with '" SIGV4_ALGORITHM " '");
        return -1;
    }
    unsigned missing = sigv4_authorization_missing(value);
    if (missing) {
        set_why(why, why_len, "Authorization header lacks%s%s%s",
                (missing & SIGV4_MISSING_CREDENTIAL) ? " Credential" : "",
                (missing & SIGV4_MISSING_SIGNED_HEADERS) ? " SignedHeaders" : "",
                (missing & SIGV4_MISSING_SIGNATURE) ? " Signature" : "");
        return -1;
    }
    /* Every parameter must be one of the three, each at most once. */
    for (const char *s = ps; *s;) {
        while (*s == ' ' || *s == '\t' || *s == ',')
            s++;
        if (!*s)
            break;
        const char *e = strchr(s, ',');
        size_t l = e ? (size_t)(e - s) : strlen(s);
        const char *eq = memchr(s, '=', l);
        size_t kl = eq ? (size_t)(eq - s) : l;
        static const char *const keys[] = {"Credential", "SignedHeaders", "Signature"};
        int known = 0;
        for (size_t i = 0; i < 3; i++)
            known |= strlen(keys[i]) == kl && memcmp(keys[i], s, kl) == 0;
        if (!eq || !known) {
            set_why(why, why_len, "unexpected Authorization parameter '%.*s'", (int)(l > 64 ? 64 : l), s);
            return -1;
        }
        size_t vl;
        char key[16];
        memcpy(key, s, kl);
        key[kl] = '\0';
        const char *first = auth_param(ps, key, &vl);
        if (first != eq + 1) {
            set_why(why, why_len, "Authorization parameter '%s' appears more than once", key);
            return -1;
        }
        if (!e)
            break;
        s = e + 1;
    }

    size_t cl, hl, sl;
    const char *cred = auth_param(ps, "Credential", &cl);
    const char *sh = auth_param(ps, "SignedHeaders", &hl);
    const char *sig = auth_param(ps, "Signature", &sl);

    /* Credential=AKID/YYYYMMDD/region/service/aws4_request */
    const char *part[5];
    size_t plen[5];
    size_t np = 0;
    const char *s = cred;
    const char *end = cred + cl;
    while (np < 5) {
        const char *slash = memchr(s, '/', (size_t)(end - s));
        part[np] = s;
        plen[np] = slash ? (size_t)(slash - s) : (size_t)(end - s);
        np++;
        if (!slash)
            break;
        s = slash + 1;
        if (np == 5) {
            np = 6; /* too many parts */
            break;
        }
    }
    if (np != 5) {
        set_why(why, why_len,
                "Credential should be scoped to a valid region/service: expected "
                "AKID/YYYYMMDD/region/service/aws4_request, got '%.*s'",
                (int)(cl > 200 ? 200 : cl), cred);
        return -1;
    }
    if (copy_part(out->access_key_id, sizeof out->access_key_id, part[0], plen[0])) {
        set_why(why, why_len, "Credential has an empty or too long access key id");
        return -1;
    }
    int dummy;
    if (plen[1] != 8 || read_digits(part[1], 8, &dummy)) {
        set_why(why, why_len, "Credential date '%.*s' is not YYYYMMDD", (int)(plen[1] > 64 ? 64 : plen[1]),
                part[1]);
        return -1;
    }
    memcpy(out->date, part[1], 8);
    out->date[8] = '\0';
    if (copy_part(out->region, sizeof out->region, part[2], plen[2])) {
        set_why(why, why_len, "Credential has an empty or too long region");
        return -1;
    }
    if (copy_part(out->service, sizeof out->service, part[3], plen[3])) {
        set_why(why, why_len, "Credential has an empty or too long service");
        return -1;
    }
    if (plen[4] != strlen(SIGV4_TERMINATOR) || memcmp(part[4], SIGV4_TERMINATOR, plen[4]) != 0) {
        set_why(why, why_len,
                "Credential should be scoped with a valid terminator: 'aws4_request', not '%.*s'",
                (int)(plen[4] > 64 ? 64 : plen[4]), part[4]);
        return -1;
    }

    /* SignedHeaders=lowercase names joined by ';', none empty. */
    if (copy_part(out->signed_headers, sizeof out->signed_headers, sh, hl)) {
        set_why(why, why_len, "SignedHeaders is empty or too long");
        return -1;
    }
    for (size_t i = 0; i < hl; i++) {
        unsigned char c = (unsigned char)sh[i];
        int sep = c == ';';
        if ((sep && (i == 0 || i + 1 == hl || sh[i + 1] == ';')) || c <= 32 || c >= 127 || c == ':' ||
            c == ',' || isupper(c)) {
            set_why(why, why_len,
                    "SignedHeaders '%.*s' is not a ';'-separated list of lowercase header names",
                    (int)(hl > 200 ? 200 : hl), sh);
            return -1;
        }
    }

    /* Signature=64 hex digits. */
    if (sl != 64) {
        set_why(why, why_len, "Signature must be 64 hex digits, got %zu characters", sl);
        return -1;
    }
    for (size_t i = 0; i < 64; i++) {
        if (sigv4_hexval((unsigned char)sig[i]) < 0) {
            set_why(why, why_len, "Signature must be 64 hex digits");
            return -1;
        }
        out->signature[i] = (char)tolower((unsigned char)sig[i]);
    }
    out->signature[64] = '\0';
    return 0;
}

static const char *find_header(const sigv4_request *req, const char *name, int *count)
{
    const char *found = NULL;
    *count = 0;
    for (size_t i = 0; i < req->n_headers; i++) {
        if (req->headers[i].name && ascii_ieq(req->headers[i].name, name)) {
            if (!found)
                found = req->headers[i].value ? req->headers[i].value : "";
            (*count)++;
        }
    }
    return found;
}

int sigv4_verify(const sigv4_request *req, const char *secret, sigv4_result *out, char *why, size_t why_len)
{
    sigv4_result local = {0};
    sigv4_result *r = out ? out : &local;
    if (out)
        memset(out, 0, sizeof *out);
    if (check_request(req) || !secret) {
        set_why(why, why_len, "bad request or secret");
        return SIGV4_E_MALFORMED;
    }
    int count;
    const char *auth = find_header(req, "authorization", &count);
    if (!auth) {
        set_why(why, why_len, "no Authorization header");
        return SIGV4_E_MALFORMED;
    }
    if (count > 1) {
        set_why(why, why_len, "more than one Authorization header");
        return SIGV4_E_MALFORMED;
    }
    sigv4_auth_header ah;
    if (sigv4_parse_authorization(auth, &ah, why, why_len))
        return SIGV4_E_MALFORMED;
    const char *date = find_header(req, "x-amz-date", &count);
    if (!date) {
        set_why(why, why_len, "Authorization header requires existence of an 'X-Amz-Date' header");
        return SIGV4_E_MALFORMED;
    }
    int64_t epoch;
    char *tdate = trim_collapse(date);
    if (!tdate)
        return SIGV4_E_MALFORMED;
    int bad_date = count > 1 || sigv4_parse_time(tdate, &epoch) || strlen(tdate) != 16;
    if (bad_date) {
        set_why(why, why_len, "X-Amz-Date '%.40s' is not one YYYYMMDD'T'HHMMSS'Z' value", tdate);
        free(tdate);
        return SIGV4_E_MALFORMED;
    }
    if (memcmp(tdate, ah.date, 8) != 0) {
        set_why(why, why_len,
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
                "'%s' != '%.8s', from '%s'.",
                ah.date, tdate, tdate);
        free(tdate);
        return SIGV4_E_MALFORMED;
    }
    free(tdate);
    if (!in_list(ah.signed_headers, "host")) {
        set_why(why, why_len, "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
        return SIGV4_E_MALFORMED;
    }
    sigv4_params p = {
        .access_key_id = ah.access_key_id,
        .secret_access_key = secret,
        .region = ah.region,
        .service = ah.service,
        .epoch_seconds = epoch,
        .normalize_path = 1,
    };
    qlist q = {0};
    int rc = build_canonical(req, &p, ah.signed_headers, &q, NULL, r, why, why_len);
    qlist_free(&q);
    if (rc) {
        sigv4_result_clean_up(&local);
        return SIGV4_E_MALFORMED;
    }
    if (sigv4_string_to_sign(&p, r) || sigv4_signature(&p, r) || sigv4_authorization(&p, r)) {
        set_why(why, why_len, "internal error while signing");
        sigv4_result_clean_up(&local);
        return SIGV4_E_MALFORMED;
    }
    int match = CRYPTO_memcmp(r->signature, ah.signature, 64) == 0;
    sigv4_result_clean_up(&local);
    if (!match) {
        set_why(why, why_len,
                "The request signature we calculated does not match the signature you provided. Check your "
                "AWS Secret Access Key and signing method. Consult the service documentation for details.");
        return SIGV4_E_MISMATCH;
    }
    return SIGV4_OK;
}

/* The decoded value of parameter key in a raw query; returns how many times it occurs (the value
 * is the first's). *val is malloc'd when the count is > 0. -1 on allocation failure. */
static int query_get(const char *raw, const char *key, char **val)
{
    *val = NULL;
    if (!raw)
        return 0;
    int count = 0;
    const char *s = raw;
    while (*s) {
        const char *amp = strchr(s, '&');
        size_t plen = amp ? (size_t)(amp - s) : strlen(s);
        const char *eq = memchr(s, '=', plen);
        size_t klen = eq ? (size_t)(eq - s) : plen;
        sbuf k = {0};
        uri_decode(&k, s, klen);
        sb_reserve(&k, 0);
        if (k.err) {
            sb_free(&k);
            free(*val);
            *val = NULL;
            return -1;
        }
        if (plen && strcmp(k.p, key) == 0) {
            if (count++ == 0) {
                sbuf v = {0};
                if (eq)
                    uri_decode(&v, eq + 1, plen - klen - 1);
                *val = sb_take(&v);
                if (!*val) {
                    sb_free(&k);
                    return -1;
                }
            }
        }
        sb_free(&k);
        if (!amp)
            break;
        s = amp + 1;
    }
    return count;
}

int sigv4_query_access_key(const char *query, char *out, size_t out_len)
{
    char *cred = NULL;
    if (!out || out_len == 0 || query_get(query, "X-Amz-Credential", &cred) != 1) {
        free(cred);
        return -1;
    }
    char *slash = strchr(cred, '/');
    size_t n = slash ? (size_t)(slash - cred) : strlen(cred);
    int rc = n && n < out_len ? 0 : -1;
    if (!rc) {
        memcpy(out, cred, n);
        out[n] = '\0';
    }
    free(cred);
    return rc;
}

int sigv4_verify_query(const sigv4_request *req, const char *secret, int64_t now_epoch, sigv4_result *out,
                       char *why, size_t why_len)
{
    if (out)
        memset(out, 0, sizeof *out);
    if (check_request(req) || !secret) {
        set_why(why, why_len, "bad request or secret");
        return SIGV4_E_MALFORMED;
    }
    static const char *const names[] = {"X-Amz-Algorithm", "X-Amz-Credential",    "X-Amz-Date",
                                        "X-Amz-Expires",   "X-Amz-SignedHeaders", "X-Amz-Signature"};
    char *v[6] = {0};
    int rc = SIGV4_E_MALFORMED;
    for (size_t i = 0; i < 6; i++) {
        int c = query_get(req->query, names[i], &v[i]);
        if (c != 1) {
            set_why(why, why_len, c == 0 ? "query lacks %s" : "query has %s more than once", names[i]);
            goto out;
        }
    }
    if (strcmp(v[0], SIGV4_ALGORITHM) != 0) {
        set_why(why, why_len, "X-Amz-Algorithm must be " SIGV4_ALGORITHM);
        goto out;
    }
    /* Reuse the strict Authorization parser for the credential, signed headers and signature. */
    sbuf ab = {0};
    sb_add(&ab, SIGV4_ALGORITHM " Credential=");
    sb_add(&ab, v[1]);
    sb_add(&ab, ", SignedHeaders=");
    sb_add(&ab, v[4]);
    sb_add(&ab, ", Signature=");
    sb_add(&ab, v[5]);
    char *auth = sb_take(&ab);
    if (!auth || strchr(v[1], ',') || strchr(v[4], ',') || strchr(v[5], ',')) {
        free(auth);
        set_why(why, why_len, "malformed X-Amz-Credential, X-Amz-SignedHeaders or X-Amz-Signature");
        goto out;
    }
    sigv4_auth_header ah;
    int perr = sigv4_parse_authorization(auth, &ah, why, why_len);
    free(auth);
    if (perr)
        goto out;
    int64_t date;
    if (strlen(v[2]) != 16 || sigv4_parse_time(v[2], &date)) {
        set_why(why, why_len, "X-Amz-Date '%.40s' is not YYYYMMDD'T'HHMMSS'Z'", v[2]);
        goto out;
    }
    if (memcmp(v[2], ah.date, 8) != 0) {
        set_why(why, why_len,
                "Date in Credential scope does not match YYYYMMDD from X-Amz-Date: '%s' != '%.8s'", ah.date,
                v[2]);
        goto out;
    }
    int expires = 0;
    size_t el = strlen(v[3]);
    if (el == 0 || el > 6 || read_digits(v[3], (int)el, &expires) || expires < 1 ||
        expires > SIGV4_MAX_EXPIRES) {
        set_why(why, why_len, "X-Amz-Expires must be an integer from 1 to %d", SIGV4_MAX_EXPIRES);
        goto out;
    }
    if (!in_list(ah.signed_headers, "host")) {
        set_why(why, why_len, "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
        goto out;
    }
    sigv4_params p = {
        .access_key_id = ah.access_key_id,
        .secret_access_key = secret,
        .region = ah.region,
        .service = ah.service,
        .epoch_seconds = date,
        .normalize_path = 1,
    };
    sigv4_result local = {0};
    sigv4_result *r = out ? out : &local;
    static const char *const skip[] = {"X-Amz-Signature", NULL};
    qlist q = {0};
    int brc = build_canonical(req, &p, ah.signed_headers, &q, skip, r, why, why_len);
    qlist_free(&q);
    if (brc || sigv4_string_to_sign(&p, r) || sigv4_signature(&p, r)) {
        sigv4_result_clean_up(&local);
        goto out;
    }
    int match = CRYPTO_memcmp(r->signature, ah.signature, 64) == 0;
    sigv4_result_clean_up(&local);
    if (!match) {
        set_why(why, why_len,
                "The request signature we calculated does not match the signature you provided. Check your "
                "AWS Secret Access Key and signing method. Consult the service documentation for details.");
        rc = SIGV4_E_MISMATCH;
        goto out;
    }
    if (now_epoch > date + expires) {
        set_why(why, why_len, "Request has expired");
        rc = SIGV4_E_EXPIRED;
        goto out;
    }
    if (now_epoch < date - 900) {
        set_why(why, why_len, "Request is not yet valid");
        rc = SIGV4_E_EXPIRED;
        goto out;
    }
    rc = SIGV4_OK;
out:
    for (size_t i = 0; i < 6; i++)
        free(v[i]);
    return rc;
}

/* ===================================================================== raw request parsing */

void sigv4_raw_request_clean_up(sigv4_raw_request *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->req.n_headers; i++) {
        free((char *)r->headers[i].name);
        free((char *)r->headers[i].value);
    }
    free(r->headers);
    free(r->method);
    free(r->path);
    free(r->query);
    free(r->body);
    memset(r, 0, sizeof *r);
}

static char *dup_n(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (!d)
        return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

int sigv4_raw_request_parse(const char *text, size_t len, sigv4_raw_request *out, char *why, size_t why_len)
{
    if (!out) {
        set_why(why, why_len, "no output");
        return -1;
    }
    memset(out, 0, sizeof *out);
    if (!text || len == 0) {
        set_why(why, why_len, "empty request");
        return -1;
    }
    size_t pos = 0, cap = 0, n = 0;
    int line_no = 0;
    int have_body = 0;
    while (pos < len) {
        const char *ls = text + pos;
        const char *nl = memchr(ls, '\n', len - pos);
        size_t ll = nl ? (size_t)(nl - ls) : len - pos;
        size_t next = pos + ll + (nl ? 1 : 0);
        if (ll && ls[ll - 1] == '\r')
            ll--;
        if (memchr(ls, '\0', ll)) {
            set_why(why, why_len, "line %d contains a NUL byte", line_no + 1);
            goto fail;
        }
        line_no++;
        if (line_no == 1) { /* METHOD target HTTP/x.y */
            const char *sp1 = memchr(ls, ' ', ll);
            const char *sp2 = NULL;
            for (size_t i = ll; i > 0; i--)
                if (ls[i - 1] == ' ') {
                    sp2 = ls + i - 1;
                    break;
                }
            if (!sp1 || sp2 == sp1 || sp1 == ls || (size_t)(ls + ll - (sp2 + 1)) < 6 ||
                strncmp(sp2 + 1, "HTTP/", 5) != 0 || sp2 - sp1 < 2) {
                set_why(why, why_len, "line 1: expected 'METHOD target HTTP/1.1'");
                goto fail;
            }
            const char *ts = sp1 + 1;
            size_t tl = (size_t)(sp2 - ts);
            const char *q = memchr(ts, '?', tl);
            out->method = dup_n(ls, (size_t)(sp1 - ls));
            out->path = dup_n(ts, q ? (size_t)(q - ts) : tl);
            if (q)
                out->query = dup_n(q + 1, tl - (size_t)(q - ts) - 1);
            if (!out->method || !out->path || (q && !out->query))
                goto oom;
        } else if (ll == 0) { /* end of headers */
            pos = next;
            have_body = 1;
            break;
        } else if (ls[0] == ' ' || ls[0] == '\t') { /* folded continuation of the previous value */
            if (n == 0) {
                set_why(why, why_len, "line %d: continuation line before any header", line_no);
                goto fail;
            }
            size_t i = 0;
            while (i < ll && (ls[i] == ' ' || ls[i] == '\t'))
                i++;
            const char *prev = out->headers[n - 1].value;
            size_t pl = strlen(prev);
            while (pl && (prev[pl - 1] == ' ' || prev[pl - 1] == '\t'))
                pl--;
            char *nv = malloc(pl + 1 + (ll - i) + 1);
            if (!nv)
                goto oom;
            memcpy(nv, prev, pl);
            nv[pl] = ' ';
            memcpy(nv + pl + 1, ls + i, ll - i);
            nv[pl + 1 + ll - i] = '\0';
            free((char *)prev);
            out->headers[n - 1].value = nv;
        } else {
            const char *colon = memchr(ls, ':', ll);
            if (!colon || colon == ls) {
                set_why(why, why_len, "line %d: expected 'Name:value'", line_no);
                goto fail;
            }
            for (const char *c = ls; c < colon; c++) {
                if ((unsigned char)*c <= 32 || (unsigned char)*c >= 127) {
                    set_why(why, why_len, "line %d: invalid character in header name", line_no);
                    goto fail;
                }
            }
            if (n == cap) {
                size_t nc = cap ? cap * 2 : 8;
                sigv4_header *nh = realloc(out->headers, nc * sizeof *nh);
                if (!nh)
                    goto oom;
                out->headers = nh;
                cap = nc;
            }
            char *name = dup_n(ls, (size_t)(colon - ls));
            char *value = dup_n(colon + 1, ll - (size_t)(colon - ls) - 1);
            if (!name || !value) {
                free(name);
                free(value);
                goto oom;
            }
            out->headers[n].name = name;
            out->headers[n].value = value;
            n++;
            out->req.n_headers = n; /* so clean_up frees what is there */
        }
        pos = next;
    }
    if (!out->method) {
        set_why(why, why_len, "no request line");
        goto fail;
    }
    if (have_body && pos < len) {
        out->body = malloc(len - pos);
        if (!out->body)
            goto oom;
        memcpy(out->body, text + pos, len - pos);
        out->req.body_len = len - pos;
    }
    out->req.method = out->method;
    out->req.path = out->path;
    out->req.query = out->query;
    out->req.headers = out->headers;
    out->req.n_headers = n;
    out->req.body = out->body;
    return 0;
oom:
    set_why(why, why_len, "out of memory");
fail:
    out->req.n_headers = n;
    sigv4_raw_request_clean_up(out);
    return -1;
}
