/* test_sigv4.c: tests of the SigV4 signer (client/shared/sigv4.c).
 *
 * The core is data-driven, like aws-c-auth's own suite: it loops over every case folder in
 * fixtures/sigv4/v4 (38 official vectors, see fixtures/sigv4/SOURCE.md), parses request.txt and
 * context.json, and compares each stage (canonical request, string to sign, signature, signed
 * request) with the expected files, for header signing and for query (presigned) signing. It
 * then feeds every header-signed request back to sigv4_verify. The rest are unit tests of the
 * parts the vectors do not reach: Authorization parsing, verification failures, time parsing,
 * the raw request parser and bad input.
 * Run from the repository root, or set KINESIS_SIGV4_FIXTURES to the v4 folder. */
#include "shared/sigv4.h"

#include <criterion/criterion.h>
#include <ctype.h>
#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define N_VECTORS 38

/* ===================================================================== helpers */

static const char *fixtures_dir(void)
{
    const char *d = getenv("KINESIS_SIGV4_FIXTURES");
    return d && *d ? d : "fixtures/sigv4/v4";
}

/* Whole file, NUL-terminated; NULL if it cannot be read. */
static char *slurp(const char *dir, const char *name, size_t *len_out)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += got;
        if (cap - len - 1 == 0) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    fclose(f);
    if (buf)
        buf[len] = '\0';
    if (len_out)
        *len_out = len;
    return buf;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The case folders, sorted. Returns the count; names[] is malloc'd. */
static size_t list_cases(char ***names_out)
{
    DIR *d = opendir(fixtures_dir());
    cr_assert_not_null(d, "cannot open %s (run from the repository root or set KINESIS_SIGV4_FIXTURES)",
                       fixtures_dir());
    char **names = NULL;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[1024];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s/request.txt", fixtures_dir(), e->d_name);
        if (stat(path, &st) != 0)
            continue;
        names = realloc(names, (n + 1) * sizeof *names);
        cr_assert_not_null(names);
        names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp_str);
    *names_out = names;
    return n;
}

static void free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

typedef struct vcase {
    char dir[1024];
    json_t *ctx;
    sigv4_params p;
    int sign_body;
    int64_t expires;
    sigv4_raw_request raw;
} vcase;

/* Load context.json and request.txt; NULL on success, else a static reason. */
static const char *vcase_load(vcase *c, const char *name)
{
    memset(c, 0, sizeof *c);
    snprintf(c->dir, sizeof c->dir, "%s/%s", fixtures_dir(), name);
    char path[1100];
    snprintf(path, sizeof path, "%s/context.json", c->dir);
    json_error_t jerr;
    c->ctx = json_load_file(path, 0, &jerr);
    if (!c->ctx)
        return "context.json does not parse";
    json_t *cred = json_object_get(c->ctx, "credentials");
    c->p.access_key_id = json_string_value(json_object_get(cred, "access_key_id"));
    c->p.secret_access_key = json_string_value(json_object_get(cred, "secret_access_key"));
    c->p.session_token = json_string_value(json_object_get(cred, "token"));
    c->p.region = json_string_value(json_object_get(c->ctx, "region"));
    c->p.service = json_string_value(json_object_get(c->ctx, "service"));
    c->p.normalize_path = json_is_true(json_object_get(c->ctx, "normalize"));
    c->p.omit_session_token = json_is_true(json_object_get(c->ctx, "omit_session_token"));
    c->sign_body = json_is_true(json_object_get(c->ctx, "sign_body"));
    c->expires = json_integer_value(json_object_get(c->ctx, "expiration_in_seconds"));
    const char *ts = json_string_value(json_object_get(c->ctx, "timestamp"));
    if (!c->p.access_key_id || !c->p.secret_access_key || !c->p.region || !c->p.service || !ts)
        return "context.json lacks a field";
    if (sigv4_parse_time(ts, &c->p.epoch_seconds))
        return "context.json timestamp does not parse";
    size_t len;
    char *text = slurp(c->dir, "request.txt", &len);
    if (!text)
        return "no request.txt";
    char why[256];
    int rc = sigv4_raw_request_parse(text, len, &c->raw, why, sizeof why);
    free(text);
    return rc ? "request.txt does not parse" : NULL;
}

static void vcase_free(vcase *c)
{
    sigv4_raw_request_clean_up(&c->raw);
    json_decref(c->ctx);
}

/* Compare a stage with the expected file; appends to report on mismatch. */
static int stage_eq(const vcase *c, const char *file, const char *got, char *report, size_t rlen,
                    const char *name)
{
    char *want = slurp(c->dir, file, NULL);
    int ok = want && got && strcmp(want, got) == 0;
    if (!ok) {
        size_t used = strlen(report);
        snprintf(report + used, rlen - used, "  %s: %s differs\n    want: %s\n    got:  %s\n", name, file,
                 want ? want : "(missing)", got ? got : "(null)");
    }
    free(want);
    return ok;
}

/* Header lines as "lowercasename:value" strings, sorted: a multiset compare of headers with
 * case-insensitive names and exact values. */
static char **header_multiset(const sigv4_header *h, size_t n)
{
    char **v = calloc(n + 1, sizeof *v);
    for (size_t i = 0; i < n; i++) {
        size_t nl = strlen(h[i].name), vl = strlen(h[i].value);
        v[i] = malloc(nl + vl + 2);
        for (size_t k = 0; k < nl; k++)
            v[i][k] = (char)tolower((unsigned char)h[i].name[k]);
        v[i][nl] = ':';
        memcpy(v[i] + nl + 1, h[i].value, vl + 1);
    }
    qsort(v, n, sizeof *v, cmp_str);
    return v;
}

static int multiset_eq(char **a, char **b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(a[i], b[i]) != 0)
            return 0;
    return 1;
}

static void free_list(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

/* Split a query on '&' into a sorted list (a set compare of parameters). */
static char **query_list(const char *q, size_t *n_out)
{
    size_t n = 0;
    char **v = NULL;
    char *dup = strdup(q ? q : "");
    for (char *save = NULL, *t = strtok_r(dup, "&", &save); t; t = strtok_r(NULL, "&", &save)) {
        v = realloc(v, (n + 1) * sizeof *v);
        v[n++] = strdup(t);
    }
    free(dup);
    if (n)
        qsort(v, n, sizeof *v, cmp_str);
    *n_out = n;
    return v;
}

/* ===================================================================== the vectors */

/* Header signing of one case; 1 if every stage matches. */
static int run_header_case(const char *name, char *report, size_t rlen)
{
    vcase c;
    const char *err = vcase_load(&c, name);
    if (err) {
        size_t used = strlen(report);
        snprintf(report + used, rlen - used, "  %s: %s\n", name, err);
        vcase_free(&c);
        return 0;
    }
    /* sign_body: the caller adds x-amz-content-sha256 (the signer then uses it as the payload hash). */
    sigv4_header *h = calloc(c.raw.req.n_headers + 4, sizeof *h);
    size_t n = c.raw.req.n_headers;
    memcpy(h, c.raw.req.headers, n * sizeof *h);
    char body_hash[65];
    if (c.sign_body) {
        sigv4_sha256_hex(c.raw.req.body, c.raw.req.body_len, body_hash);
        h[n].name = "x-amz-content-sha256";
        h[n++].value = body_hash;
    }
    sigv4_request req = c.raw.req;
    req.headers = h;
    req.n_headers = n;
    sigv4_result r = {0};
    int ok = sigv4_sign(&req, &c.p, &r) == 0;
    char tag[300];
    snprintf(tag, sizeof tag, "%s [header]", name);
    ok = ok && stage_eq(&c, "header-canonical-request.txt", r.canonical_request, report, rlen, tag);
    ok = ok && stage_eq(&c, "header-string-to-sign.txt", r.string_to_sign, report, rlen, tag);
    ok = ok && stage_eq(&c, "header-signature.txt", r.signature, report, rlen, tag);
    if (ok) { /* the signed request: ours = request + X-Amz-Date (+ token) + Authorization */
        h[n].name = "X-Amz-Date";
        h[n++].value = r.amz_date;
        if (c.p.session_token) {
            h[n].name = "X-Amz-Security-Token";
            h[n++].value = c.p.session_token;
        }
        h[n].name = "Authorization";
        h[n++].value = r.authorization;
        size_t len;
        char *text = slurp(c.dir, "header-signed-request.txt", &len);
        sigv4_raw_request want;
        int parsed = text && sigv4_raw_request_parse(text, len, &want, NULL, 0) == 0;
        free(text);
        if (!parsed || want.req.n_headers != n || strcmp(want.method, c.raw.method) != 0 ||
            strcmp(want.path, c.raw.path) != 0 ||
            strcmp(want.query ? want.query : "", c.raw.query ? c.raw.query : "") != 0) {
            ok = 0;
        } else {
            char **a = header_multiset(h, n), **b = header_multiset(want.req.headers, n);
            ok = multiset_eq(a, b, n);
            free_list(a, n);
            free_list(b, n);
        }
        if (parsed)
            sigv4_raw_request_clean_up(&want);
        if (!ok) {
            size_t used = strlen(report);
            snprintf(report + used, rlen - used, "  %s: header-signed-request.txt differs\n", tag);
        }
    }
    sigv4_result_clean_up(&r);
    free(h);
    vcase_free(&c);
    return ok;
}

/* Query (presigned) signing of one case; 1 if every stage matches. */
static int run_query_case(const char *name, char *report, size_t rlen)
{
    vcase c;
    const char *err = vcase_load(&c, name);
    if (err) {
        size_t used = strlen(report);
        snprintf(report + used, rlen - used, "  %s: %s\n", name, err);
        vcase_free(&c);
        return 0;
    }
    sigv4_result r = {0};
    char *q = NULL;
    int ok = sigv4_presign(&c.raw.req, &c.p, c.expires, &r, &q) == 0;
    char tag[300];
    snprintf(tag, sizeof tag, "%s [query]", name);
    ok = ok && stage_eq(&c, "query-canonical-request.txt", r.canonical_request, report, rlen, tag);
    ok = ok && stage_eq(&c, "query-string-to-sign.txt", r.string_to_sign, report, rlen, tag);
    ok = ok && stage_eq(&c, "query-signature.txt", r.signature, report, rlen, tag);
    ok = ok && r.authorization == NULL;
    if (ok) {
        size_t len;
        char *text = slurp(c.dir, "query-signed-request.txt", &len);
        sigv4_raw_request want;
        int parsed = text && sigv4_raw_request_parse(text, len, &want, NULL, 0) == 0;
        free(text);
        size_t n = c.raw.req.n_headers;
        if (!parsed || want.req.n_headers != n || strcmp(want.method, c.raw.method) != 0 ||
            strcmp(want.path, c.raw.path) != 0) {
            ok = 0;
        } else {
            size_t na, nb;
            char **a = query_list(q, &na), **b = query_list(want.query, &nb);
            ok = na == nb && multiset_eq(a, b, na);
            free_list(a, na);
            free_list(b, nb);
            char **ha = header_multiset(c.raw.req.headers, n), **hb = header_multiset(want.req.headers, n);
            ok = ok && multiset_eq(ha, hb, n);
            free_list(ha, n);
            free_list(hb, n);
        }
        if (parsed)
            sigv4_raw_request_clean_up(&want);
        if (!ok) {
            size_t used = strlen(report);
            snprintf(report + used, rlen - used, "  %s: query-signed-request.txt differs (got query %s)\n",
                     tag, q ? q : "(null)");
        }
    }
    free(q);
    sigv4_result_clean_up(&r);
    vcase_free(&c);
    return ok;
}

static void run_all(int (*run)(const char *, char *, size_t), const char *mode)
{
    char **names;
    size_t n = list_cases(&names);
    size_t rlen = 1 << 16, pass = 0;
    char *report = calloc(1, rlen);
    for (size_t i = 0; i < n; i++)
        pass += (size_t)run(names[i], report, rlen);
    cr_log_info("sigv4 %s signing: %zu of %zu vectors pass", mode, pass, n);
    fprintf(stderr, "sigv4 %s signing: %zu of %zu vectors pass\n", mode, pass, n);
    free_names(names, n);
    cr_expect_eq(n, N_VECTORS, "expected %d vector folders in %s, found %zu", N_VECTORS, fixtures_dir(), n);
    cr_expect_eq(pass, n, "%zu of %zu %s vectors fail:\n%s", n - pass, n, mode, report);
    free(report);
}

Test(sigv4_vectors, header_signing_every_vector)
{
    run_all(run_header_case, "header");
}

Test(sigv4_vectors, query_signing_every_vector)
{
    run_all(run_query_case, "query");
}

/* Every header-signed vector verifies with its secret (normalising cases only: the server always
 * normalises, as every service but S3 does), and fails with another secret. */
Test(sigv4_vectors, verify_every_header_signed_vector)
{
    char **names;
    size_t n = list_cases(&names), checked = 0;
    for (size_t i = 0; i < n; i++) {
        vcase c;
        cr_assert_null(vcase_load(&c, names[i]), "%s", names[i]);
        if (!c.p.normalize_path) {
            vcase_free(&c);
            continue;
        }
        size_t len;
        char *text = slurp(c.dir, "header-signed-request.txt", &len);
        sigv4_raw_request sr;
        cr_assert_eq(sigv4_raw_request_parse(text, len, &sr, NULL, 0), 0, "%s", names[i]);
        free(text);
        char why[512] = "";
        sigv4_result r = {0};
        int rc = sigv4_verify(&sr.req, c.p.secret_access_key, &r, why, sizeof why);
        cr_expect_eq(rc, SIGV4_OK, "%s: %s", names[i], why);
        char *want = slurp(c.dir, "header-canonical-request.txt", NULL);
        cr_expect_str_eq(r.canonical_request ? r.canonical_request : "", want, "%s", names[i]);
        free(want);
        sigv4_result_clean_up(&r);
        cr_expect_eq(sigv4_verify(&sr.req, "not-the-secret", NULL, why, sizeof why), SIGV4_E_MISMATCH, "%s",
                     names[i]);
        cr_expect(strstr(why, "does not match") != NULL);
        sigv4_raw_request_clean_up(&sr);
        vcase_free(&c);
        checked++;
    }
    free_names(names, n);
    cr_expect_geq(checked, 30, "only %zu vectors verified", checked);
}

/* ===================================================================== stages */

Test(sigv4_stages, format_and_parse_time)
{
    char amz[17], date[9];
    sigv4_format_time(1440938160, amz, date);
    cr_expect_str_eq(amz, "20150830T123600Z");
    cr_expect_str_eq(date, "20150830");
    sigv4_format_time(0, amz, date);
    cr_expect_str_eq(amz, "19700101T000000Z");
    sigv4_format_time(951782400 + 86399, amz, NULL); /* 2000-02-29, a leap day */
    cr_expect_str_eq(amz, "20000229T235959Z");

    int64_t t = 0;
    cr_expect_eq(sigv4_parse_time("20150830T123600Z", &t), 0);
    cr_expect_eq(t, 1440938160);
    cr_expect_eq(sigv4_parse_time("2015-08-30T12:36:00Z", &t), 0);
    cr_expect_eq(t, 1440938160);
    const char *bad[] = {"",
                         "2015083T123600Z",
                         "20150830T123600",
                         "20150830 123600Z",
                         "20151330T123600Z",
                         "20150230T123600Z",
                         "20150830T243600Z",
                         "2015-08-30 12:36:00Z",
                         "2015-08-30T12:36:00",
                         "2f150830T123600Z",
                         "20190229T000000Z"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_expect_neq(sigv4_parse_time(bad[i], &t), 0, "'%s' accepted", bad[i]);
    cr_expect_neq(sigv4_parse_time(NULL, &t), 0);
}

/* The signing key of AWS's documented derivation example (20150830/us-east-1/iam). */
Test(sigv4_stages, signing_key_documented_example)
{
    uint8_t key[32];
    sigv4_signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20150830", "us-east-1", "iam", key);
    char hex[65];
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", key[i]);
    cr_expect_str_eq(hex, "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9");
}

Test(sigv4_stages, sha256_hex_of_empty_and_abc)
{
    char h[65];
    sigv4_sha256_hex("", 0, h);
    cr_expect_str_eq(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    sigv4_sha256_hex("abc", 3, h);
    cr_expect_str_eq(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static const sigv4_params kparams = {
    .access_key_id = "AKIDEXAMPLE",
    .secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
    .region = "us-east-1",
    .service = "kinesis",
    .epoch_seconds = 1440938160,
    .normalize_path = 1,
};

/* A non-S3 path is encoded again: an escaped space becomes %2520 ("double encoding"). */
Test(sigv4_stages, path_is_double_encoded_and_query_sorted)
{
    sigv4_header h[] = {{"Host", "example.amazonaws.com"}};
    sigv4_request req = {
        .method = "GET", .path = "/a%20b/c d", .query = "b=2&a=x+y&a=1&c", .headers = h, .n_headers = 1};
    sigv4_result r = {0};
    cr_assert_eq(sigv4_canonical_request(&req, &kparams, &r), 0);
    cr_expect_str_eq(r.canonical_request, "GET\n/a%2520b/c%20d\na=1&a=x%2By&b=2&c=\n"
                                          "host:example.amazonaws.com\n\nhost\n"
                                          "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    sigv4_result_clean_up(&r);
}

/* Stages alone compose to the same result as sigv4_sign, and a stage called too early fails. */
Test(sigv4_stages, stages_compose_and_check_order)
{
    sigv4_header h[] = {{"Host", "kinesis.us-east-1.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}};
    sigv4_request req = {.method = "POST",
                         .path = "/",
                         .headers = h,
                         .n_headers = 2,
                         .body = (const uint8_t *)"{}",
                         .body_len = 2};
    sigv4_result a = {0}, b = {0};
    cr_expect_neq(sigv4_string_to_sign(&kparams, &a), 0);
    cr_expect_neq(sigv4_signature(&kparams, &a), 0);
    cr_expect_neq(sigv4_authorization(&kparams, &a), 0);
    cr_assert_eq(sigv4_canonical_request(&req, &kparams, &a), 0);
    cr_assert_eq(sigv4_string_to_sign(&kparams, &a), 0);
    cr_assert_eq(sigv4_signature(&kparams, &a), 0);
    cr_assert_eq(sigv4_authorization(&kparams, &a), 0);
    cr_assert_eq(sigv4_sign(&req, &kparams, &b), 0);
    cr_expect_str_eq(a.authorization, b.authorization);
    cr_expect_str_eq(a.signed_headers, "host;x-amz-date");
    sigv4_result_clean_up(&a);
    sigv4_result_clean_up(&b);
}

/* sigv4_sign replaces a stale X-Amz-Date and Authorization, leaves User-Agent unsigned, signs the
 * session token, and uses x-amz-content-sha256 as the payload hash when present. */
Test(sigv4_sign, replaces_and_skips_headers)
{
    sigv4_header h[] = {{"Host", "localhost:4567"},
                        {"X-Amz-Date", "19990101T000000Z"},
                        {"Authorization", "AWS4-HMAC-SHA256 stale"},
                        {"User-Agent", "test/1.0"},
                        {"X-Amz-Target", "Kinesis_20131202.ListStreams"},
                        {"x-amz-content-sha256", "UNSIGNED-PAYLOAD"}};
    sigv4_request req = {.method = "POST", .path = "/", .headers = h, .n_headers = 6};
    sigv4_params p = kparams;
    p.session_token = "TOKEN";
    sigv4_result r = {0};
    cr_assert_eq(sigv4_sign(&req, &p, &r), 0);
    cr_expect_str_eq(r.signed_headers,
                     "host;x-amz-content-sha256;x-amz-date;x-amz-security-token;x-amz-target");
    cr_expect(strstr(r.canonical_request, "x-amz-date:20150830T123600Z\n") != NULL);
    cr_expect(strstr(r.canonical_request, "x-amz-security-token:TOKEN\n") != NULL);
    cr_expect(strstr(r.canonical_request, "19990101") == NULL);
    size_t cl = strlen(r.canonical_request);
    cr_expect(cl > 16 && strcmp(r.canonical_request + cl - 16, "UNSIGNED-PAYLOAD") == 0);
    const char *prefix =
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/kinesis/aws4_request, "
        "SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token;x-amz-target, "
        "Signature=";
    cr_expect(strncmp(r.authorization, prefix, strlen(prefix)) == 0, "%s", r.authorization);
    cr_expect_eq(strlen(r.authorization), strlen(prefix) + 64);
    sigv4_result_clean_up(&r);
}

Test(sigv4_sign, bad_input_is_an_error)
{
    sigv4_header h[] = {{"Host", "x"}};
    sigv4_header bad_name[] = {{"Bad Name", "x"}};
    sigv4_request ok = {.method = "GET", .path = "/", .headers = h, .n_headers = 1};
    sigv4_result r = {0};
    sigv4_request req = ok;
    req.method = NULL;
    cr_expect_neq(sigv4_sign(&req, &kparams, &r), 0);
    req = ok;
    req.headers = NULL;
    cr_expect_neq(sigv4_sign(&req, &kparams, &r), 0);
    req = ok;
    req.headers = bad_name;
    cr_expect_neq(sigv4_sign(&req, &kparams, &r), 0);
    req = ok;
    req.body_len = 3; /* body NULL */
    cr_expect_neq(sigv4_sign(&req, &kparams, &r), 0);
    sigv4_params p = kparams;
    p.region = NULL;
    cr_expect_neq(sigv4_sign(&ok, &p, &r), 0);
    cr_expect_neq(sigv4_sign(NULL, &kparams, &r), 0);
    cr_expect_neq(sigv4_sign(&ok, &kparams, NULL), 0);
    char *q = NULL;
    cr_expect_neq(sigv4_presign(&ok, &kparams, 0, &r, &q), 0);
    cr_expect_neq(sigv4_presign(&ok, &kparams, 604801, &r, &q), 0);
    cr_expect_null(q);
    sigv4_result_clean_up(&r);
    sigv4_result_clean_up(&r); /* idempotent */
}

/* ===================================================================== Authorization parsing */

#define GOOD_SIG "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"

Test(sigv4_auth, parses_a_good_header)
{
    sigv4_auth_header a;
    char why[256] = "";
    int rc = sigv4_parse_authorization("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/kinesis/"
                                       "aws4_request, SignedHeaders=host;x-amz-date, Signature=" GOOD_SIG,
                                       &a, why, sizeof why);
    cr_assert_eq(rc, 0, "%s", why);
    cr_expect_str_eq(a.access_key_id, "AKIDEXAMPLE");
    cr_expect_str_eq(a.date, "20150830");
    cr_expect_str_eq(a.region, "us-east-1");
    cr_expect_str_eq(a.service, "kinesis");
    cr_expect_str_eq(a.signed_headers, "host;x-amz-date");
    cr_expect_str_eq(a.signature, GOOD_SIG);
    /* No spaces after commas, other order, uppercase hex: accepted (signature lowercased). */
    rc = sigv4_parse_authorization(
        "AWS4-HMAC-SHA256 Signature=5FA00FA31553B73EBF1942676E86291E8372FF2A2260956D9B8AAE1"
        "D763FBF31,SignedHeaders=host,Credential=K/20150830/eu-west-1/kinesis/aws4_request",
        &a, why, sizeof why);
    cr_assert_eq(rc, 0, "%s", why);
    cr_expect_str_eq(a.signature, GOOD_SIG);
    cr_expect_str_eq(a.region, "eu-west-1");
}

Test(sigv4_auth, reports_what_is_missing)
{
    cr_expect_eq(sigv4_authorization_missing("AWS4-HMAC-SHA256 Credential=a/b/c/d/aws4_request"),
                 SIGV4_MISSING_SIGNED_HEADERS | SIGV4_MISSING_SIGNATURE);
    cr_expect_eq(sigv4_authorization_missing("AWS4-HMAC-SHA256 SignedHeaders=host, Signature=" GOOD_SIG),
                 SIGV4_MISSING_CREDENTIAL);
    cr_expect_eq(sigv4_authorization_missing("AWS4-HMAC-SHA256 x"),
                 SIGV4_MISSING_CREDENTIAL | SIGV4_MISSING_SIGNED_HEADERS | SIGV4_MISSING_SIGNATURE);
    cr_expect_eq(sigv4_authorization_missing("Basic abc"), 0u);

    sigv4_auth_header a;
    char why[256] = "";
    cr_expect_neq(
        sigv4_parse_authorization("AWS4-HMAC-SHA256 Credential=K/20150830/us-east-1/kinesis/aws4_request", &a,
                                  why, sizeof why),
        0);
    cr_expect(strstr(why, "SignedHeaders") && strstr(why, "Signature") && !strstr(why, "Credential"), "%s",
              why);
}

Test(sigv4_auth, rejects_malformed_headers)
{
    const char *bad[] = {
        "",
        "Basic dXNlcjpwYXNz",
        "AWS4-HMAC-SHA256",
        "AWS4-HMAC-SHA256Credential=K/20150830/us-east-1/kinesis/aws4_request, SignedHeaders=host, "
        "Signature=" GOOD_SIG,
        /* credential scope */
        "AWS4-HMAC-SHA256 Credential=K/20150830/us-east-1/kinesis, SignedHeaders=host, Signature=" GOOD_SIG,
        "AWS4-HMAC-SHA256 Credential=K/20150830/us-east-1/kinesis/aws4_request/x, SignedHeaders=host, "
        "Signature=" GOOD_SIG,
        "AWS4-HMAC-SHA256 Credential=K/2015083/us-east-1/kinesis/aws4_request, SignedHeaders=host, "
        "Signature=" GOOD_SIG,
        "AWS4-HMAC-SHA256 Credential=K/2015o830/us-east-1/kinesis/aws4_request, SignedHeaders=host, "
        "Signature=" GOOD_SIG,
        "AWS4-HMAC-SHA256 Credential=K/20150830/us-east-1/kinesis/aws5_request, SignedHeaders=host, "
        "Signature=" GOOD_SIG,
        "AWS4-HMAC-SHA256 Credential=/20150830/us-east-1/kinesis/aws4_request, SignedHeaders=host, "
        "Signature=" GOOD_SIG,
        "AWS4-HMAC-SHA256 Credential=K/20150830//kinesis/aws4_request, SignedHeaders=host, "
        "Signature=" GOOD_SIG,
        "AWS4-HMAC-SHA256 Credential=K/20150830/us-east-1//aws4_request, SignedHeaders=host, "
        "Signature=" GOOD_SIG,
        /* signed headers */
        "AWS4-HMAC-SHA256 Credential=K/20150830/us-east-1/kinesis/aws4_request, SignedHeaders=, "
        "Signature=" GOOD_SIG,
        "AWS4-HMAC-SHA256 Credential=K/20150830/us-east-1/kinesis/aws4_request, SignedHeaders=Host, "
        "Signature=" GOOD_SIG,
        "AWS4-HMAC-SHA256 Credential=K/20150830/us-east-1/kinesis/aws4_request, SignedHeaders=host;;x, "
        "Signature=" GOOD_SIG,
        "AWS4-HMAC-SHA256 Credential=K/20150830/us-east-1/kinesis/aws4_request, SignedHeaders=host;, "
        "Signature=" GOOD_SIG,
        /* signature */
        "AWS4-HMAC-SHA256 Credential=K/20150830/us-east-1/kinesis/aws4_request, SignedHeaders=host, "
        "Signature=abc",
        "AWS4-HMAC-SHA256 Credential=K/20150830/us-east-1/kinesis/aws4_request, SignedHeaders=host, "
        "Signature="
        "zfa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
        /* duplicates and strangers */
        "AWS4-HMAC-SHA256 Credential=K/20150830/us-east-1/kinesis/aws4_request, "
        "Credential=K/20150830/us-east-1/kinesis/"
        "aws4_request, SignedHeaders=host, Signature=" GOOD_SIG,
        "AWS4-HMAC-SHA256 Credential=K/20150830/us-east-1/kinesis/aws4_request, SignedHeaders=host, "
        "Signature=" GOOD_SIG ", Extra=1",
        "AWS4-HMAC-SHA256 Credential=K/20150830/us-east-1/kinesis/aws4_request, SignedHeaders=host, "
        "Signature=" GOOD_SIG ", junk",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sigv4_auth_header a;
        char why[256] = "";
        cr_expect_neq(sigv4_parse_authorization(bad[i], &a, why, sizeof why), 0, "accepted: %s", bad[i]);
        cr_expect_neq(why[0], '\0', "no reason for: %s", bad[i]);
    }
    sigv4_auth_header a;
    cr_expect_neq(sigv4_parse_authorization(NULL, &a, NULL, 0), 0);
}

/* ===================================================================== verification */

typedef struct signed_req {
    sigv4_header h[8];
    sigv4_request req;
    sigv4_result r;
} signed_req;

static void make_signed(signed_req *s, const char *body)
{
    memset(s, 0, sizeof *s);
    s->h[0] = (sigv4_header){"Host", "localhost:4567"};
    s->h[1] = (sigv4_header){"Content-Type", "application/x-amz-json-1.1"};
    s->h[2] = (sigv4_header){"X-Amz-Target", "Kinesis_20131202.ListStreams"};
    s->req = (sigv4_request){.method = "POST",
                             .path = "/",
                             .headers = s->h,
                             .n_headers = 3,
                             .body = (const uint8_t *)body,
                             .body_len = strlen(body)};
    cr_assert_eq(sigv4_sign(&s->req, &kparams, &s->r), 0);
    s->h[3] = (sigv4_header){"X-Amz-Date", s->r.amz_date};
    s->h[4] = (sigv4_header){"Authorization", s->r.authorization};
    s->h[5] = (sigv4_header){"User-Agent", "not signed"};
    s->req.n_headers = 6;
}

Test(sigv4_verify, accepts_what_sign_produced)
{
    signed_req s;
    make_signed(&s, "{}");
    char why[512] = "";
    cr_expect_eq(sigv4_verify(&s.req, kparams.secret_access_key, NULL, why, sizeof why), SIGV4_OK, "%s", why);
    sigv4_result_clean_up(&s.r);
}

Test(sigv4_verify, detects_tampering)
{
    signed_req s;
    make_signed(&s, "{}");
    char why[512] = "";
    s.req.body = (const uint8_t *)"{ }";
    s.req.body_len = 3;
    cr_expect_eq(sigv4_verify(&s.req, kparams.secret_access_key, NULL, why, sizeof why), SIGV4_E_MISMATCH);
    s.req.body = (const uint8_t *)"{}";
    s.req.body_len = 2;
    s.h[2].value = "Kinesis_20131202.DeleteStream";
    cr_expect_eq(sigv4_verify(&s.req, kparams.secret_access_key, NULL, why, sizeof why), SIGV4_E_MISMATCH);
    s.h[2].value = "Kinesis_20131202.ListStreams";
    s.req.path = "/other";
    cr_expect_eq(sigv4_verify(&s.req, kparams.secret_access_key, NULL, why, sizeof why), SIGV4_E_MISMATCH);
    s.req.path = "/";
    cr_expect_eq(sigv4_verify(&s.req, kparams.secret_access_key, NULL, why, sizeof why), SIGV4_OK, "%s", why);
    sigv4_result_clean_up(&s.r);
}

Test(sigv4_verify, malformed_requests)
{
    signed_req s;
    make_signed(&s, "{}");
    char why[512] = "";
    /* No X-Amz-Date. */
    s.h[3].name = "X-Other";
    cr_expect_eq(sigv4_verify(&s.req, kparams.secret_access_key, NULL, why, sizeof why), SIGV4_E_MALFORMED);
    cr_expect(strstr(why, "X-Amz-Date") != NULL, "%s", why);
    /* Malformed date, and a date that disagrees with the credential scope. */
    s.h[3] = (sigv4_header){"X-Amz-Date", "2015-08-30"};
    cr_expect_eq(sigv4_verify(&s.req, kparams.secret_access_key, NULL, why, sizeof why), SIGV4_E_MALFORMED);
    s.h[3].value = "20150831T000000Z";
    cr_expect_eq(sigv4_verify(&s.req, kparams.secret_access_key, NULL, why, sizeof why), SIGV4_E_MALFORMED);
    cr_expect(strstr(why, "Date in Credential scope does not match") != NULL, "%s", why);
    s.h[3].value = s.r.amz_date;
    /* A signed header the request lacks. */
    s.h[2].name = "X-Amz-Targe";
    cr_expect_eq(sigv4_verify(&s.req, kparams.secret_access_key, NULL, why, sizeof why), SIGV4_E_MALFORMED);
    cr_expect(strstr(why, "x-amz-target") != NULL, "%s", why);
    s.h[2].name = "X-Amz-Target";
    /* Host not signed. */
    s.h[4].value = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/kinesis/aws4_request, "
                   "SignedHeaders=x-amz-date, Signature=" GOOD_SIG;
    cr_expect_eq(sigv4_verify(&s.req, kparams.secret_access_key, NULL, why, sizeof why), SIGV4_E_MALFORMED);
    cr_expect(strstr(why, "'Host'") != NULL, "%s", why);
    /* Malformed Authorization, and none at all. */
    s.h[4].value = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/kinesis/aws4_request";
    cr_expect_eq(sigv4_verify(&s.req, kparams.secret_access_key, NULL, why, sizeof why), SIGV4_E_MALFORMED);
    s.h[4].name = "X-Authorization";
    cr_expect_eq(sigv4_verify(&s.req, kparams.secret_access_key, NULL, why, sizeof why), SIGV4_E_MALFORMED);
    /* Two Authorization headers. */
    s.h[4] = (sigv4_header){"Authorization", s.r.authorization};
    s.h[6] = (sigv4_header){"authorization", s.r.authorization};
    s.req.n_headers = 7;
    cr_expect_eq(sigv4_verify(&s.req, kparams.secret_access_key, NULL, why, sizeof why), SIGV4_E_MALFORMED);
    cr_expect_eq(sigv4_verify(NULL, kparams.secret_access_key, NULL, why, sizeof why), SIGV4_E_MALFORMED);
    sigv4_result_clean_up(&s.r);
}

/* ===================================================================== raw request parsing */

Test(sigv4_raw, parses_folding_crlf_and_body)
{
    const char text[] = "POST /a b?x=1 HTTP/1.1\r\nHost:h\r\nMy-H: v1\r\n   v2 \r\nMy-H:v3\r\n\r\nbody\nmore";
    sigv4_raw_request r;
    char why[128] = "";
    cr_assert_eq(sigv4_raw_request_parse(text, sizeof text - 1, &r, why, sizeof why), 0, "%s", why);
    cr_expect_str_eq(r.req.method, "POST");
    cr_expect_str_eq(r.req.path, "/a b");
    cr_expect_str_eq(r.req.query, "x=1");
    cr_assert_eq(r.req.n_headers, 3);
    cr_expect_str_eq(r.req.headers[1].name, "My-H");
    cr_expect_str_eq(r.req.headers[1].value, " v1 v2 ");
    cr_expect_str_eq(r.req.headers[2].value, "v3");
    cr_assert_eq(r.req.body_len, 9);
    cr_expect(memcmp(r.req.body, "body\nmore", 9) == 0);
    sigv4_raw_request_clean_up(&r);

    const char nobody[] = "GET / HTTP/1.1\nHost:h";
    cr_assert_eq(sigv4_raw_request_parse(nobody, sizeof nobody - 1, &r, why, sizeof why), 0, "%s", why);
    cr_expect_null(r.req.query);
    cr_expect_eq(r.req.body_len, 0);
    sigv4_raw_request_clean_up(&r);
}

Test(sigv4_raw, rejects_malformed_requests)
{
    const char *bad[] = {"",
                         "GET /\nHost:h",
                         "GET / FTP/1\nHost:h",
                         " / HTTP/1.1\nHost:h",
                         "GET HTTP/1.1\nHost:h",
                         "GET / HTTP/1.1\n continuation:first",
                         "GET / HTTP/1.1\nNoColon",
                         "GET / HTTP/1.1\n:empty",
                         "GET / HTTP/1.1\nBad Name:v"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sigv4_raw_request r;
        char why[128] = "";
        cr_expect_neq(sigv4_raw_request_parse(bad[i], strlen(bad[i]), &r, why, sizeof why), 0, "accepted: %s",
                      bad[i]);
        cr_expect_neq(why[0], '\0', "no reason for: %s", bad[i]);
    }
    const char nul[] = "GET / HTTP/1.1\nHost:a\0b";
    sigv4_raw_request r;
    cr_expect_neq(sigv4_raw_request_parse(nul, sizeof nul - 1, &r, NULL, 0), 0);
}

/* ===================================================================== query verification */

/* Every presigned vector (normalising, token signed) verifies at its signing time, fails with
 * another secret, and expires after X-Amz-Expires. */
Test(sigv4_verify_query, every_presigned_vector)
{
    char **names;
    size_t n = list_cases(&names), checked = 0;
    for (size_t i = 0; i < n; i++) {
        vcase c;
        cr_assert_null(vcase_load(&c, names[i]), "%s", names[i]);
        if (!c.p.normalize_path || c.p.omit_session_token) {
            vcase_free(&c);
            continue;
        }
        size_t len;
        char *text = slurp(c.dir, "query-signed-request.txt", &len);
        sigv4_raw_request sr;
        cr_assert_eq(sigv4_raw_request_parse(text, len, &sr, NULL, 0), 0, "%s", names[i]);
        free(text);
        char why[512] = "", akid[64];
        cr_expect_eq(sigv4_query_access_key(sr.req.query, akid, sizeof akid), 0);
        cr_expect_str_eq(akid, "AKIDEXAMPLE");
        sigv4_result r = {0};
        int64_t t = c.p.epoch_seconds;
        cr_expect_eq(sigv4_verify_query(&sr.req, c.p.secret_access_key, t + 10, &r, why, sizeof why),
                     SIGV4_OK, "%s: %s", names[i], why);
        char *want = slurp(c.dir, "query-canonical-request.txt", NULL);
        cr_expect_str_eq(r.canonical_request ? r.canonical_request : "", want, "%s", names[i]);
        free(want);
        sigv4_result_clean_up(&r);
        cr_expect_eq(sigv4_verify_query(&sr.req, "other", t, NULL, why, sizeof why), SIGV4_E_MISMATCH, "%s",
                     names[i]);
        cr_expect_eq(
            sigv4_verify_query(&sr.req, c.p.secret_access_key, t + c.expires + 1, NULL, why, sizeof why),
            SIGV4_E_EXPIRED, "%s", names[i]);
        cr_expect_eq(sigv4_verify_query(&sr.req, c.p.secret_access_key, t - 901, NULL, why, sizeof why),
                     SIGV4_E_EXPIRED, "%s", names[i]);
        sigv4_raw_request_clean_up(&sr);
        vcase_free(&c);
        checked++;
    }
    free_names(names, n);
    cr_expect_geq(checked, 30, "only %zu vectors verified", checked);
}

Test(sigv4_verify_query, malformed_queries)
{
    sigv4_header h[] = {{"Host", "localhost"}};
    sigv4_request req = {.method = "GET", .path = "/", .headers = h, .n_headers = 1};
    sigv4_result r = {0};
    char *q = NULL;
    cr_assert_eq(sigv4_presign(&req, &kparams, 60, &r, &q), 0);
    char why[512] = "";
    req.query = q;
    cr_expect_eq(
        sigv4_verify_query(&req, kparams.secret_access_key, kparams.epoch_seconds, NULL, why, sizeof why),
        SIGV4_OK, "%s", why);
    /* Each required parameter removed, duplicated or altered. */
    const char *keys[] = {"X-Amz-Algorithm=", "X-Amz-Credential=",    "X-Amz-Date=",
                          "X-Amz-Expires=",   "X-Amz-SignedHeaders=", "X-Amz-Signature="};
    for (size_t i = 0; i < 6; i++) {
        char buf[1024];
        const char *at = strstr(q, keys[i]);
        cr_assert_not_null(at);
        snprintf(buf, sizeof buf, "%.*sX-Other=%s", (int)(at - q), q, at + strlen(keys[i]));
        req.query = buf;
        cr_expect_eq(
            sigv4_verify_query(&req, kparams.secret_access_key, kparams.epoch_seconds, NULL, why, sizeof why),
            SIGV4_E_MALFORMED, "without %s", keys[i]);
        cr_expect(strstr(why, "lacks") != NULL, "%s", why);
        snprintf(buf, sizeof buf, "%s&%s1", q, keys[i]);
        cr_expect_eq(
            sigv4_verify_query(&req, kparams.secret_access_key, kparams.epoch_seconds, NULL, why, sizeof why),
            SIGV4_E_MALFORMED, "twice %s", keys[i]);
    }
    char buf[1024];
    const char *bad_values[][2] = {{"X-Amz-Expires=60", "X-Amz-Expires=0"},
                                   {"X-Amz-Expires=60", "X-Amz-Expires=6x"},
                                   {"X-Amz-Algorithm=AWS4-HMAC-SHA256", "X-Amz-Algorithm=AWS4-HMAC-SHA1"},
                                   {"X-Amz-Date=20150830T123600Z", "X-Amz-Date=20150831T123600Z"},
                                   {"X-Amz-SignedHeaders=host", "X-Amz-SignedHeaders=x-other"}};
    for (size_t i = 0; i < sizeof bad_values / sizeof bad_values[0]; i++) {
        const char *at = strstr(q, bad_values[i][0]);
        cr_assert_not_null(at, "%s", bad_values[i][0]);
        snprintf(buf, sizeof buf, "%.*s%s%s", (int)(at - q), q, bad_values[i][1],
                 at + strlen(bad_values[i][0]));
        req.query = buf;
        cr_expect_eq(
            sigv4_verify_query(&req, kparams.secret_access_key, kparams.epoch_seconds, NULL, why, sizeof why),
            SIGV4_E_MALFORMED, "%s", buf);
    }
    /* An extra parameter added after signing changes the canonical query. */
    snprintf(buf, sizeof buf, "%s&Action=Other", q);
    req.query = buf;
    cr_expect_eq(
        sigv4_verify_query(&req, kparams.secret_access_key, kparams.epoch_seconds, NULL, why, sizeof why),
        SIGV4_E_MISMATCH);
    req.query = NULL;
    cr_expect_eq(
        sigv4_verify_query(&req, kparams.secret_access_key, kparams.epoch_seconds, NULL, why, sizeof why),
        SIGV4_E_MALFORMED);
    char akid[4];
    cr_expect_neq(sigv4_query_access_key(q, akid, sizeof akid), 0); /* too small */
    cr_expect_neq(sigv4_query_access_key("a=b", akid, sizeof akid), 0);
    free(q);
    sigv4_result_clean_up(&r);
}
