/* test_json_fast.c: differential unit tests for json_fast.c against Jansson itself.
 *
 * Every input in the tables goes through both sim_json_fast_parse and json_loadb: what the fast
 * reader accepts must be the tree (values and key order) json_loadb builds, what Jansson rejects
 * the fast reader must decline, and the common shapes it is there for must be accepted. A seeded
 * generator of bounded random trees checks that sim_json_fast_dump writes json_dumps's bytes
 * (JSON_COMPACT | JSON_REAL_PRECISION(15)) and that the fast reader reads them back to the same
 * tree; real Kinesis bodies (PutRecords of 500 entries, GetRecords answers with real timestamps)
 * and codec.c's use of both are checked the same way. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire/codec.h"
#include "wire/json_fast.h"

#define FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(15))

enum expect { MUST_ACCEPT, MUST_DECLINE };

/* The fast reader on buf: equal to Jansson when it accepts, declined when Jansson fails, and as
 * the table expects. */
static void check_parse(const char *buf, size_t len, enum expect want, const char *what)
{
    json_t *fast = NULL;
    int ok = sim_json_fast_parse(buf, len, &fast);
    json_error_t err;
    json_t *ref = json_loadb(buf, len, 0, &err);
    if (ok) {
        cr_assert_not_null(fast, "%s: accepted without a tree", what);
        cr_assert(json_is_object(fast), "%s: accepted a non-object", what);
        cr_assert_not_null(ref, "%s: accepted what Jansson rejects (%s)", what, err.text);
        cr_assert(json_equal(fast, ref), "%s: tree differs from Jansson's", what);
        /* the same key order too: Jansson's own writer follows insertion order */
        char *a = json_dumps(fast, JSON_COMPACT);
        char *b = json_dumps(ref, JSON_COMPACT);
        cr_assert_not_null(a);
        cr_assert_str_eq(a, b, "%s: key order differs", what);
        free(a);
        free(b);
    } else {
        cr_assert_null(fast, "%s: declined but set *out", what);
    }
    if (want == MUST_ACCEPT)
        cr_assert(ok, "%s: declined a body the fast reader is meant to read", what);
    else
        cr_assert(!ok, "%s: accepted a body it must decline", what);
    json_decref(fast);
    json_decref(ref);
}

static void check_str(const char *s, enum expect want)
{
    check_parse(s, strlen(s), want, s);
}

Test(json_fast, accepts_every_type_exactly)
{
    static const char *ok[] = {
        "{}",
        " \t\r\n{ \t\r\n} \t\r\n",
        "{\"a\":1}",
        "{\"s\":\"text\",\"i\":-42,\"t\":true,\"f\":false,\"n\":null,\"a\":[],\"o\":{}}",
        "{ \"a\" : [ 1 , 2 , [ 3 , { } ] , { \"b\" : [ ] } ] , \"c\" : \"d\" }",
        "{\"a\":[[[[[[[[[[]]]]]]]]]]}",
        "{\"esc\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"}",
        "{\"u\":\"\\u00e9\\u20AC\\u0041\\u007f\\u0001\\u001F\"}",
        "{\"pair\":\"\\ud83d\\ude00\\uD834\\uDD1E\"}",
        "{\"raw\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xef\xbf\xbf\xf4\x8f\xbf\xbf\"}",
        "{\"max\":9223372036854775807,\"min\":-9223372036854775808}",
        "{\"z\":0,\"nz\":-0,\"one\":1,\"neg\":-1,\"big\":1234567890123456789}",
        "{\"a\":1,\"b\":2,\"a\":3}",
        "{\"a\":{\"x\":1},\"b\":2,\"a\":[true]}",
        "{\"\":\"\",\"k\\n\\u00e9\":\"v\"}",
        "{\"k\\\"ey\":{\"k\\\"ey\":\"\\\\\"}}",
        "{\"StreamName\":\"s\",\"Records\":[{\"Data\":\"aGVsbG8=\",\"PartitionKey\":\"pk\"}]}",
        "{\"a\":[1,\"x\",null,{\"b\":false}],\"c\":-0}",
        "{\"slash\":\"a/b\",\"del\":\"\x7f\"}",
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        check_str(ok[i], MUST_ACCEPT);
}

Test(json_fast, declines_what_jansson_rejects)
{
    static const char *bad[] = {
        "",
        " ",
        "{",
        "}",
        "{\"a\"",
        "{\"a\":",
        "{\"a\":1",
        "{\"a\":\"x",
        "{\"a\":\"x\\",
        "{\"a\":\"\\u12",
        "{\"a\":[1,2",
        "{} x",
        "{}}",
        "{}{}",
        "{},",
        "{\"a\":01}",
        "{\"a\":-01}",
        "{\"a\":00}",
        "{\"a\":1.}",
        "{\"a\":.5}",
        "{\"a\":-}",
        "{\"a\":+1}",
        "{\"a\":1e}",
        "{\"a\":9223372036854775808}",
        "{\"a\":-9223372036854775809}",
        "{\"a\":99999999999999999999}",
        "{\"a\":123456789012345678901234}",
        "{\"a\":tru}",
        "{\"a\":truex}",
        "{\"a\":True}",
        "{\"a\":nul}",
        "{\"a\":nulll}",
        "{\"a\":fals}",
        "{\"a\":\"\x01\"}",
        "{\"a\":\"line\nbreak\"}",
        "{\"a\":\"tab\there\"}",
        "{\"a\":\"\\x\"}",
        "{\"a\":\"\\U0041\"}",
        "{\"a\":\"\\u00g1\"}",
        "{\"a\":\"\\u0000\"}",
        "{\"\\u0000\":1}",
        "{\"a\":\"\\ud800\"}",
        "{\"a\":\"\\udc00\"}",
        "{\"a\":\"\\ud800\\u0041\"}",
        "{\"a\":\"\\ud800x\"}",
        "{\"a\":\"\xc0\x80\"}",
        "{\"a\":\"\xc1\xbf\"}",
        "{\"a\":\"\xe0\x80\x80\"}",
        "{\"a\":\"\xed\xa0\x80\"}",
        "{\"a\":\"\xf0\x80\x80\x80\"}",
        "{\"a\":\"\xf4\x90\x80\x80\"}",
        "{\"a\":\"\xf5\x80\x80\x80\"}",
        "{\"a\":\"\xff\"}",
        "{\"a\":\"\x80\"}",
        "{\"a\":\"\xe2\x82\"}",
        "{\"a\":\"\xe2\x82\"",
        "{\"a\":\"\xc3\"}",
        "{\"\xff\":1}",
        "\xef\xbb\xbf{}",
        "{,}",
        "{\"a\":1,}",
        "{\"a\":[1,]}",
        "{\"a\":[,1]}",
        "{\"a\" 1}",
        "{\"a\"::1}",
        "{1:2}",
        "{'a':1}",
        "{a:1}",
        "{\"a\":1 \"b\":2}",
        "{\"a\":[1 2]}",
        "{\"a\":1}\x01",
        "/**/{}",
        "{\"a\":1}//",
        /* Jansson reads these, the fast reader leaves them to it */
        "[1]",
        "[]",
        "{\"a\":1.5}",
        "{\"a\":1e5}",
        "{\"a\":-2.5E-3}",
        "{\"a\":[0.0]}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        check_str(bad[i], MUST_DECLINE);
    /* top-level scalars are errors for json_loadb(0) */
    check_str("\"s\"", MUST_DECLINE);
    check_str("1", MUST_DECLINE);
    check_str("null", MUST_DECLINE);
}

Test(json_fast, nul_bytes_and_lengths)
{
    /* NUL inside a string, after the object, and a length that cuts the text */
    const char a[] = "{\"a\":\"x\0y\"}";
    check_parse(a, sizeof a - 1, MUST_DECLINE, "NUL in a string");
    const char b[] = "{\"a\":1}\0";
    check_parse(b, sizeof b - 1, MUST_DECLINE, "NUL after the object");
    const char c[] = "{\"a\0\":1}";
    check_parse(c, sizeof c - 1, MUST_DECLINE, "NUL in a key");
    const char d[] = "{\"a\":\"bc\"}";
    for (size_t n = 0; n < sizeof d - 1; n++)
        check_parse(d, n, MUST_DECLINE, "truncated");
    check_parse(d, sizeof d - 1, MUST_ACCEPT, "whole");
    /* the reader never reads past len: the same text followed by more bytes */
    const char e[] = "{\"a\":12}{\"b\":3}";
    check_parse(e, 8, MUST_ACCEPT, "prefix");
    json_t *v = NULL;
    cr_assert(sim_json_fast_parse(e, 8, &v));
    cr_assert_eq(json_integer_value(json_object_get(v, "a")), 12);
    json_decref(v);
    cr_assert_eq(sim_json_fast_parse(NULL, 0, &v), 0);
    cr_assert_null(v);
}

/* {"a":[[[...]]]} with depth levels of arrays in all. */
static char *nested(int depth)
{
    char *s = malloc((size_t)depth * 2 + 16);
    cr_assert_not_null(s);
    size_t n = 0;
    n += (size_t)sprintf(s, "{\"a\":");
    for (int i = 0; i < depth; i++)
        s[n++] = '[';
    for (int i = 0; i < depth; i++)
        s[n++] = ']';
    s[n++] = '}';
    s[n] = '\0';
    return s;
}

Test(json_fast, nesting_limits)
{
    char *s = nested(SIM_JSON_FAST_MAX_DEPTH - 1); /* the object plus the arrays: the limit */
    check_str(s, MUST_ACCEPT);
    free(s);
    s = nested(SIM_JSON_FAST_MAX_DEPTH); /* one more: Jansson reads it, the fast reader declines */
    check_str(s, MUST_DECLINE);
    free(s);
    s = nested(2100); /* past Jansson's own limit: both refuse */
    check_str(s, MUST_DECLINE);
    free(s);
}

Test(json_fast, duplicate_keys_keep_last_at_first_place)
{
    json_t *v = NULL;
    const char *s = "{\"a\":1,\"b\":\"x\",\"a\":{\"c\":2},\"b\":null}";
    cr_assert(sim_json_fast_parse(s, strlen(s), &v));
    cr_assert_eq(json_object_size(v), 2);
    char *out = sim_json_fast_dump(v, NULL);
    cr_assert_str_eq(out, "{\"a\":{\"c\":2},\"b\":null}");
    free(out);
    json_decref(v);
}

Test(json_fast, escapes_decode_to_the_right_bytes)
{
    json_t *v = NULL;
    const char *s = "{\"k\\u00e9\":\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\\u20ac\\ud83d\\ude00\"}";
    cr_assert(sim_json_fast_parse(s, strlen(s), &v));
    json_t *x = json_object_get(v, "k\xc3\xa9");
    cr_assert_not_null(x);
    cr_assert_str_eq(json_string_value(x), "a\"b\\c/d\b\f\n\r\t\xe2\x82\xac\xf0\x9f\x98\x80");
    json_decref(v);
    /* a long escaped key (past the reader's stack copy) next to an escaped value */
    char big[2048];
    size_t n = (size_t)sprintf(big, "{\"");
    for (int i = 0; i < 300; i++)
        n += (size_t)sprintf(big + n, "\\n%c", 'a' + i % 26);
    n += (size_t)sprintf(big + n, "\":\"v\\t\",\"p\":\"\\u0041\"}");
    check_parse(big, n, MUST_ACCEPT, "long escaped key");
}

/* ------------------------------------------------------------------ the writer */

static void check_dump(const json_t *v, const char *what)
{
    size_t n = 0;
    char *fast = sim_json_fast_dump(v, &n);
    char *ref = json_dumps(v, FLAGS);
    if (!ref) {
        cr_assert_null(fast, "%s: wrote what json_dumps refuses", what);
        return;
    }
    cr_assert_not_null(fast, "%s: declined, json_dumps gives %s", what, ref);
    cr_assert_eq(n, strlen(ref), "%s: length %zu, json_dumps %zu", what, n, strlen(ref));
    cr_assert_str_eq(fast, ref, "%s", what);
    free(fast);
    free(ref);
}

static void check_real(double d)
{
    json_t *a = json_array();
    json_array_append_new(a, json_real(d));
    char what[64];
    snprintf(what, sizeof what, "real %.17g", d);
    check_dump(a, what);
    json_decref(a);
}

Test(json_fast, reals_as_jansson_writes_them)
{
    static const double r[] = {0.0,
                               -0.0,
                               0.1,
                               0.5,
                               1.0,
                               -1.0,
                               1.5,
                               100.0,
                               1e15,
                               1e16,
                               1e17,
                               1e20,
                               1e21,
                               1e22,
                               1e100,
                               1e300,
                               1e-3,
                               1e-4,
                               1e-5,
                               1e-7,
                               1e-300,
                               5e-324,
                               123456789012345678.0,
                               1459799926.48,
                               1459799926.4,
                               1459799926.0,
                               1459799926.001,
                               1459799926.999,
                               -1459799926.123,
                               999999999999.999,
                               999999999999.9999,
                               0.0005,
                               0.001,
                               0.0015,
                               0.999,
                               1.7976931348623157e308,
                               2.2250738585072014e-308,
                               3.141592653589793,
                               1.0 / 3.0,
                               2.0 / 3.0,
                               12345678.901,
                               1e12,
                               1e12 - 0.001,
                               1e11 + 0.5,
                               4503599627370496.5};
    for (size_t i = 0; i < sizeof r / sizeof r[0]; i++)
        check_real(r[i]);
    /* epoch-second timestamps with milliseconds, the GetRecords case, and random bit patterns */
    uint64_t x = 0x9E3779B97F4A7C15ULL;
    for (int i = 0; i < 20000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        check_real((double)(1400000000000LL + (long long)(x % 400000000000ULL)) / 1000.0);
        double d;
        uint64_t bits = x * 0x2545F4914F6CDD1DULL;
        memcpy(&d, &bits, sizeof d);
        if (isfinite(d))
            check_real(d);
        check_real((double)(long long)(x % 2000000) / 1000.0 - 1000.0);
        check_real((double)(x % 100000) / 1024.0);
    }
}

Test(json_fast, strings_integers_and_refusals)
{
    json_t *o = json_object();
    json_object_set_new(o, "ctl", json_stringn("\x00\x01\x1f\x7f \"\\/\b\f\n\r\t", 13));
    json_object_set_new(o, "utf8", json_string("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"));
    json_object_set_new(o, "k\"\\\n\x01\xc3\xa9", json_integer(INT64_MIN));
    json_object_set_new(o, "max", json_integer(INT64_MAX));
    json_object_set_new(o, "zero", json_integer(0));
    json_object_setn_new(o, "n\0ul", 4, json_true()); /* a key with NUL: \u0000 */
    json_object_set_new(o, "e", json_array());
    json_object_set_new(o, "eo", json_object());
    check_dump(o, "mixed");
    json_decref(o);

    /* invalid UTF-8 in a string or a key: json_dumps fails, so must the fast writer */
    json_t *a = json_array();
    json_array_append_new(a, json_stringn_nocheck("\xff", 1));
    cr_assert_null(json_dumps(a, FLAGS));
    cr_assert_null(sim_json_fast_dump(a, NULL));
    json_decref(a);
    o = json_object();
    json_object_set_new_nocheck(o, "\xc3", json_null());
    cr_assert_null(sim_json_fast_dump(o, NULL));
    json_decref(o);

    /* a top-level scalar, NULL and a loop: declined as json_dumps refuses them */
    json_t *s = json_string("x");
    cr_assert_null(sim_json_fast_dump(s, NULL));
    json_decref(s);
    cr_assert_null(sim_json_fast_dump(NULL, NULL));
    json_t *loop = json_array(), *inner = json_array();
    json_array_append_new(loop, inner);
    cr_assert_eq(json_array_append(inner, loop), 0);
    cr_assert_null(sim_json_fast_dump(loop, NULL));
    cr_assert_null(json_dumps(loop, FLAGS));
    json_array_clear(inner);
    json_decref(loop);
}

/* ------------------------------------------------------------------ random trees */

typedef struct {
    uint64_t s;
} rng;

/* Whether a tree holds a real or a string with a NUL (the fast reader declines those). */
static int declined_parts(const json_t *v)
{
    const char *k;
    json_t *x;
    size_t i;
    switch (json_typeof(v)) {
    case JSON_REAL:
        return 1;
    case JSON_STRING:
        return memchr(json_string_value(v), '\0', json_string_length(v)) != NULL;
    case JSON_ARRAY:
        json_array_foreach(v, i, x) if (declined_parts(x)) return 1;
        return 0;
    case JSON_OBJECT:
        json_object_foreach((json_t *)v, k, x) if (declined_parts(x)) return 1;
        return 0;
    default:
        return 0;
    }
}

static uint64_t next(rng *r)
{
    r->s ^= r->s << 13;
    r->s ^= r->s >> 7;
    r->s ^= r->s << 17;
    return r->s;
}

/* A random string: ASCII, escapes, controls, multi-byte UTF-8; a NUL only when nul_ok. */
static json_t *rand_string(rng *r, int nul_ok, char *key, size_t *keylen)
{
    static const char *pieces[] = {"a",
                                   "Z",
                                   "0",
                                   " ",
                                   "\"",
                                   "\\",
                                   "/",
                                   "\b",
                                   "\f",
                                   "\n",
                                   "\r",
                                   "\t",
                                   "\x01",
                                   "\x1f",
                                   "\x7f",
                                   "\xc3\xa9",
                                   "\xe2\x82\xac",
                                   "\xf0\x9f\x98\x80",
                                   "\xef\xbf\xbf",
                                   "\xc2\x80",
                                   "aGVsbG8gd29ybGQ=",
                                   "pk-12345",
                                   "~"};
    char buf[256];
    size_t n = 0;
    int count = (int)(next(r) % 12);
    if (next(r) % 8 == 0)
        count = 40; /* long runs through the eight-byte scan */
    for (int i = 0; i < count; i++) {
        if (nul_ok && next(r) % 50 == 0) {
            buf[n++] = '\0';
            continue;
        }
        const char *p = pieces[next(r) % (sizeof pieces / sizeof pieces[0])];
        size_t l = strlen(p);
        if (n + l >= sizeof buf)
            break;
        memcpy(buf + n, p, l);
        n += l;
    }
    if (key) {
        memcpy(key, buf, n);
        *keylen = n;
        return NULL;
    }
    return json_stringn(buf, n);
}

static json_t *rand_tree(rng *r, int depth)
{
    unsigned pick = (unsigned)(next(r) % (depth >= 5 ? 6 : 8));
    switch (pick) {
    case 0:
        return rand_string(r, 1, NULL, NULL);
    case 1: {
        uint64_t x = next(r);
        switch (x % 4) {
        case 0:
            return json_integer((json_int_t)(x >> 2) - (json_int_t)(UINT64_C(1) << 61));
        case 1:
            return json_integer(x % 2 ? INT64_MAX : INT64_MIN);
        default:
            return json_integer((json_int_t)(x % 2001) - 1000);
        }
    }
    case 2: {
        uint64_t x = next(r);
        if (x % 3 == 0)
            return json_real((double)(1400000000000LL + (long long)(x % 400000000000ULL)) / 1000.0);
        double d;
        memcpy(&d, &x, sizeof d);
        return json_real(isfinite(d) ? d : (double)(x % 1000) / 7.0);
    }
    case 3:
        return json_true();
    case 4:
        return json_false();
    case 5:
        return json_null();
    case 6: {
        json_t *a = json_array();
        int n = (int)(next(r) % 6);
        for (int i = 0; i < n; i++)
            json_array_append_new(a, rand_tree(r, depth + 1));
        return a;
    }
    default: {
        json_t *o = json_object();
        int n = (int)(next(r) % 6);
        for (int i = 0; i < n; i++) {
            char key[256];
            size_t kl = 0;
            rand_string(r, 0, key, &kl);
            json_object_setn_new(o, key, kl, rand_tree(r, depth + 1));
        }
        return o;
    }
    }
}

Test(json_fast, random_trees_round_trip, .timeout = 60)
{
    rng r = {0x243F6A8885A308D3ULL};
    int accepted = 0;
    for (int t = 0; t < 2000; t++) {
        json_t *root = json_object();
        int n = (int)(next(&r) % 8);
        for (int i = 0; i < n; i++) {
            char key[256];
            size_t kl = 0;
            rand_string(&r, 0, key, &kl);
            json_object_setn_new(root, key, kl, rand_tree(&r, 1));
        }
        char what[32];
        snprintf(what, sizeof what, "tree %d", t);
        check_dump(root, what);

        char *text = json_dumps(root, FLAGS);
        cr_assert_not_null(text);
        /* Without reals and NULs the fast reader must take the text back, as the same tree. */
        int declined = declined_parts(root);
        check_parse(text, strlen(text), declined ? MUST_DECLINE : MUST_ACCEPT, what);
        if (!declined) {
            json_t *back = NULL;
            cr_assert(sim_json_fast_parse(text, strlen(text), &back));
            cr_assert(json_equal(back, root), "%s: read back differs", what);
            json_decref(back);
            accepted++;
        }
        free(text);
        json_decref(root);
    }
    cr_assert_gt(accepted, 200, "too few trees without reals: %d", accepted);
}

/* ------------------------------------------------------------------ real Kinesis bodies */

static void b64(rng *r, char *out, size_t nbytes)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0;
    for (size_t i = 0; i < nbytes; i += 3) {
        uint64_t x = next(r);
        out[o++] = tab[x & 63];
        out[o++] = tab[x >> 6 & 63];
        out[o++] = i + 1 < nbytes ? tab[x >> 12 & 63] : '=';
        out[o++] = i + 2 < nbytes ? tab[x >> 18 & 63] : '=';
    }
    out[o] = '\0';
}

Test(json_fast, put_records_body_of_500)
{
    rng r = {0xB7E151628AED2A6AULL};
    size_t cap = 500 * 1500 + 256, n = 0;
    char *body = malloc(cap);
    cr_assert_not_null(body);
    n += (size_t)snprintf(body + n, cap - n, "{\"StreamName\":\"bench\",\"Records\":[");
    for (int i = 0; i < 500; i++) {
        char data[1400];
        b64(&r, data, 1000);
        n += (size_t)snprintf(
            body + n, cap - n, "%s{\"Data\":\"%s\",\"PartitionKey\":\"pk-%d\"%s}", i ? "," : "", data, i,
            i % 50 == 0 ? ",\"ExplicitHashKey\":\"170141183460469231731687303715884105728\"" : "");
    }
    n += (size_t)snprintf(body + n, cap - n, "]}");
    cr_assert_lt(n, cap);
    check_parse(body, n, MUST_ACCEPT, "PutRecords 500");

    /* through codec_decode too: the same tree as json_loadb */
    json_t *v = NULL;
    char why[128];
    cr_assert_eq(codec_decode(CODEC_AWS_JSON, (const uint8_t *)body, n, &v, why, sizeof why), CODEC_OK);
    json_t *ref = json_loadb(body, n, 0, NULL);
    cr_assert(json_equal(v, ref));
    cr_assert_eq(json_array_size(json_object_get(v, "Records")), 500);
    json_decref(ref);
    json_decref(v);
    free(body);
}

static json_t *get_records_answer(rng *r, int count)
{
    json_t *recs = json_array();
    for (int i = 0; i < count; i++) {
        char data[200];
        b64(r, data, 100);
        char seq[64];
        snprintf(seq, sizeof seq, "49590338271490256608559692538361571095921575989136588%03d", i % 1000);
        char pk[32];
        snprintf(pk, sizeof pk, "pk-%d", i);
        json_t *rec = json_object();
        json_object_set_new(rec, "SequenceNumber", json_string(seq));
        json_object_set_new(rec, "ApproximateArrivalTimestamp",
                            json_real((double)(1700000000000LL + i * 7) / 1000.0));
        json_object_set_new(rec, "Data", json_string(data));
        json_object_set_new(rec, "PartitionKey", json_string(pk));
        json_array_append_new(recs, rec);
    }
    json_t *o = json_object();
    json_object_set_new(o, "Records", recs);
    json_object_set_new(o, "NextShardIterator", json_string("AAAAAAAAAAH+/=="));
    json_object_set_new(o, "MillisBehindLatest", json_integer(0));
    json_object_set_new(o, "ChildShards", json_array());
    return o;
}

Test(json_fast, get_records_answer_bytes)
{
    rng r = {0x13198A2E03707344ULL};
    json_t *o = get_records_answer(&r, 10000);
    check_dump(o, "GetRecords 10000");
    /* codec_encode gives the same bytes as json_dumps */
    uint8_t *body = NULL;
    size_t len = 0;
    cr_assert_eq(codec_encode(CODEC_AWS_JSON, o, &body, &len), 0);
    char *ref = json_dumps(o, FLAGS);
    cr_assert_eq(len, strlen(ref));
    cr_assert(memcmp(body, ref, len) == 0);
    cr_assert_eq(body[len], '\0');
    free(ref);
    free(body);
    json_decref(o);
}

Test(json_fast, codec_keeps_jansson_for_the_rest)
{
    /* a real in a request: declined by the fast reader, read by Jansson */
    json_t *v = NULL;
    const char *s = "{\"Timestamp\":1459799926.48}";
    cr_assert_eq(codec_decode(CODEC_AWS_JSON, (const uint8_t *)s, strlen(s), &v, NULL, 0), CODEC_OK);
    cr_assert_float_eq(json_real_value(json_object_get(v, "Timestamp")), 1459799926.48, 1e-9);
    json_decref(v);
    /* errors keep Jansson's text and position */
    const char *bad = "{\"a\":01}";
    char why[256];
    cr_assert_eq(codec_decode(CODEC_AWS_JSON, (const uint8_t *)bad, strlen(bad), &v, why, sizeof why),
                 CODEC_ERR_SYNTAX);
    json_error_t err;
    cr_assert_null(json_loadb(bad, strlen(bad), 0, &err));
    char want[256];
    snprintf(want, sizeof want, "%s at byte %d", err.text, err.position);
    cr_assert_str_eq(why, want);
    /* a top-level array is still "not an object" */
    cr_assert_eq(codec_decode(CODEC_AWS_JSON, (const uint8_t *)"[1]", 3, &v, why, sizeof why),
                 CODEC_ERR_NOT_OBJECT);
    cr_assert_null(v);
    /* NULL encodes "{}" */
    uint8_t *body = NULL;
    size_t len = 0;
    cr_assert_eq(codec_encode(CODEC_AWS_JSON, NULL, &body, &len), 0);
    cr_assert_eq(len, 2);
    cr_assert(memcmp(body, "{}", 3) == 0);
    free(body);
}

/* ---- sim_json_out_real17: json_dumps's default real spelling ("%.17g"), for epoch seconds ---- */

/* What json_dumps(JSON_COMPACT) writes for the real v (in an array, then the brackets cut). */
static char *jansson_real(double v)
{
    json_t *a = json_pack("[f]", v);
    char *t = json_dumps(a, JSON_COMPACT);
    json_decref(a);
    cr_assert_not_null(t);
    size_t n = strlen(t);
    memmove(t, t + 1, n - 2);
    t[n - 2] = '\0';
    return t;
}

static void check_real17(double v)
{
    sim_json_out w = {0};
    cr_assert_eq(sim_json_out_real17(&w, v), 1);
    char *want = jansson_real(v);
    cr_assert(w.n == strlen(want) && memcmp(w.d, want, w.n) == 0, "%.17g: wrote %.*s, Jansson %s", v,
              (int)w.n, w.d, want);
    free(want);
    free(w.d);
}

Test(json_fast_out, real17_matches_json_dumps_for_epoch_millis)
{
    /* a run of consecutive milliseconds now, around powers of ten and the ends of the exact
     * path, and a seeded spread over the whole int64 millisecond range */
    for (int64_t ms = 1765000000000LL; ms < 1765000000000LL + 20000; ms++)
        check_real17((double)ms / 1000.0);
    for (int p = 0; p <= 15; p++) { /* ms up to 1e18 + 1500: inside int64 */
        double t = pow(10, p);
        for (int64_t d = -1500; d <= 1500; d++) {
            int64_t ms = (int64_t)(t * 1000) + d;
            check_real17((double)ms / 1000.0);
            check_real17(-(double)ms / 1000.0);
        }
    }
    uint64_t x = 88172645463325252ULL;
    for (int i = 0; i < 200000; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        int64_t ms = (int64_t)(x >> (1 + x % 63));
        check_real17((double)ms / 1000.0);
        check_real17((double)(ms % 100000) / 1000.0);
    }
    check_real17(9007199254740991.0);
    check_real17(9007199254740992.0);
    check_real17(0.5);
    check_real17(1e300);
    check_real17(-1e-300);
}

Test(json_fast_out, pieces_write_what_json_dumps_writes)
{
    sim_json_out w = {0};
    const char key[] = "q\"b\\c\x01\x1f\n\t\r\b\f/\x7f h\xc3\xa9 \xe2\x82\xac \xf0\x9d\x84\x9e";
    cr_assert_eq(sim_json_out_raw(&w, "[", 1), 1);
    cr_assert_eq(sim_json_out_string(&w, key, strlen(key)), 1);
    cr_assert_eq(sim_json_out_raw(&w, ",", 1), 1);
    cr_assert_eq(sim_json_out_integer(&w, -9223372036854775807LL - 1), 1);
    cr_assert_eq(sim_json_out_raw(&w, "]", 1), 1);
    json_t *a = json_pack("[s,I]", key, (json_int_t)(-9223372036854775807LL - 1));
    char *want = json_dumps(a, JSON_COMPACT);
    cr_assert(w.n == strlen(want) && memcmp(w.d, want, w.n) == 0, "%.*s vs %s", (int)w.n, w.d, want);
    size_t n = w.n;
    cr_assert_eq(sim_json_out_string(&w, "\xff", 1), 0, "invalid UTF-8 is refused");
    w.n = n;
    char *room = sim_json_out_reserve(&w, 4096);
    cr_assert_not_null(room);
    memset(room, 'x', 4096);
    cr_assert_eq(w.n, n);
    json_decref(a);
    free(want);
    free(w.d);
}
