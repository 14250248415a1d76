/* testlib.c: the integration tests' HTTP helper (see testlib.h), on libcurl's easy interface.
 * A tl_conn is one easy handle reused across requests, which is how libcurl keeps a connection
 * alive; tl_raw uses a fresh handle each time. */
#include "testlib.h"

#include <criterion/criterion.h>
#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define TL_TIMEOUT_MS 10000L

struct tl_conn {
    CURL *curl;
};

const char *tl_endpoint(void)
{
    static _Thread_local char ep[512]; /* writer threads call it at once */
    const char *e = getenv("KINESIS_SIM_ENDPOINT");
    if (!e || !*e)
        cr_assert_fail("KINESIS_SIM_ENDPOINT is not set: start kinesis-sim and export its URL "
                       "(ci/run-tests does both)");
    snprintf(ep, sizeof ep, "%s", e);
    size_t n = strlen(ep);
    while (n && ep[n - 1] == '/')
        ep[--n] = 0;
    return ep;
}

static void global_init(void)
{
    static int done;
    if (!done) {
        curl_global_init(CURL_GLOBAL_DEFAULT);
        done = 1;
    }
}

tl_conn *tl_conn_new(void)
{
    global_init();
    tl_conn *c = calloc(1, sizeof *c);
    if (c && !(c->curl = curl_easy_init())) {
        free(c);
        c = NULL;
    }
    return c;
}

void tl_conn_free(tl_conn *c)
{
    if (!c)
        return;
    curl_easy_cleanup(c->curl);
    free(c);
}

int tl_conn_raw(tl_conn *c, const char *method, const char *path, const char *const *headers,
                const void *body, size_t body_len, tl_response *out)
{
    char url[1024];
    snprintf(url, sizeof url, "%s%s", tl_endpoint(), path ? path : "/");
    hx_request rq = {.method = method ? method : "GET",
                     .url = url,
                     .headers = headers,
                     .body = body,
                     .body_len = body_len,
                     .timeout_ms = TL_TIMEOUT_MS,
                     .no_proxy = 1};
    return hx_perform(c->curl, &rq, out);
}

int tl_raw(const char *method, const char *path, const char *const *headers, const void *body,
           size_t body_len, tl_response *out)
{
    tl_conn *c = tl_conn_new();
    if (!c) {
        memset(out, 0, sizeof *out);
        out->curl_code = CURLE_OUT_OF_MEMORY;
        return -1;
    }
    int rc = tl_conn_raw(c, method, path, headers, body, body_len, out);
    tl_conn_free(c);
    return rc;
}

void tl_response_free(tl_response *r)
{
    hx_response_clean_up(r);
}

char *tl_header(const tl_response *r, const char *name)
{
    return hx_header(r, name);
}

/* ---- fault rules ---- */

json_int_t tl_fault_add(const char *rule)
{
    tl_response r;
    const char *h[] = {"Content-Type: application/json", NULL};
    cr_assert_eq(tl_raw("POST", "/_sim/faults", h, rule, strlen(rule), &r), 0,
                 "POST /_sim/faults: no answer");
    cr_assert_eq(r.status, 200, "adding %s: HTTP %ld %s", rule, r.status, r.body);
    json_t *j = json_loads(r.body, 0, NULL);
    json_int_t id = json_integer_value(json_object_get(j, "id"));
    json_decref(j);
    tl_response_free(&r);
    cr_assert(id > 0, "no rule id for %s", rule);
    return id;
}

void tl_fault_remove(json_int_t id)
{
    char path[64];
    snprintf(path, sizeof path, "/_sim/faults?id=%lld", (long long)id);
    tl_response r;
    tl_raw("DELETE", path, NULL, NULL, 0, &r);
    tl_response_free(&r);
}

void tl_fault_counters(json_int_t id, long long *calls, long long *fired)
{
    tl_response r;
    cr_assert_eq(tl_raw("GET", "/_sim/faults", NULL, NULL, 0, &r), 0);
    cr_assert_eq(r.status, 200, "GET /_sim/faults: HTTP %ld", r.status);
    json_t *j = json_loads(r.body, 0, NULL);
    tl_response_free(&r);
    cr_assert_not_null(j);
    json_t *rules = json_object_get(j, "rules"), *rule;
    size_t i;
    int found = 0;
    json_array_foreach(rules, i, rule)
    {
        if (json_integer_value(json_object_get(rule, "id")) == id) {
            *calls = json_integer_value(json_object_get(rule, "calls"));
            *fired = json_integer_value(json_object_get(rule, "fired"));
            found = 1;
        }
    }
    json_decref(j);
    cr_assert(found, "rule %lld is not listed", (long long)id);
}

/* ---- operation calls ---- */

static tl_conn *shared_conn(void)
{
    static tl_conn *c;
    if (!c)
        c = tl_conn_new();
    return c;
}

int tl_call(const char *op, const char *json_body, long *status, char **body)
{
    char target[160], date[64], amz_date[32], auth[512];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(amz_date, sizeof amz_date, "%Y%m%dT%H%M%SZ", &tm);
    snprintf(target, sizeof target, "X-Amz-Target: Kinesis_20131202.%s", op);
    snprintf(date, sizeof date, "X-Amz-Date: %s", amz_date);
    snprintf(auth, sizeof auth,
             "Authorization: AWS4-HMAC-SHA256 Credential=%s/%.8s/%s/kinesis/aws4_request, "
             "SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=%064d",
             TL_ACCESS_KEY, amz_date, TL_REGION, 0);
    const char *headers[] = {"Content-Type: application/x-amz-json-1.1", target, date, auth, NULL};
    if (!json_body)
        json_body = "{}";
    tl_response r;
    tl_conn *c = shared_conn();
    int rc = c ? tl_conn_raw(c, "POST", "/", headers, json_body, strlen(json_body), &r)
               : tl_raw("POST", "/", headers, json_body, strlen(json_body), &r);
    if (status)
        *status = r.status;
    if (body) {
        *body = r.body;
        r.body = NULL;
    }
    tl_response_free(&r);
    return rc;
}

json_t *tl_call_json(const char *op, const json_t *in, long *status)
{
    char *text = in ? json_dumps(in, JSON_COMPACT) : NULL;
    char *body = NULL;
    long st = 0;
    int rc = tl_call(op, text ? text : "{}", &st, &body);
    free(text);
    if (status)
        *status = st;
    json_t *out = NULL;
    if (rc == 0 && body)
        out = json_loads(body[0] ? body : "{}", 0, NULL);
    free(body);
    return out;
}

const char *tl_error_type(const json_t *j)
{
    const char *s = json_string_value(json_object_get(j, "__type"));
    return s ? s : "";
}

const char *tl_error_message(const json_t *j)
{
    const char *s = json_string_value(json_object_get(j, "message"));
    if (!s)
        s = json_string_value(json_object_get(j, "Message"));
    return s ? s : "";
}

void tl_unique_name(const char *prefix, char *out, size_t len)
{
    static unsigned n;
    snprintf(out, len, "%s-%ld-%u", prefix, (long)getpid(), ++n);
}

int tl_wait_stream_status(const char *stream, const char *status, int timeout_ms)
{
    int64_t t0 = tl_now_ms();
    for (int i = 0; i < 10000; i++) { /* bounded by count and by time */
        json_t *in = json_pack("{s:s}", "StreamName", stream);
        long st = 0;
        json_t *out = tl_call_json("DescribeStreamSummary", in, &st);
        json_decref(in);
        const char *s = json_string_value(
            json_object_get(json_object_get(out, "StreamDescriptionSummary"), "StreamStatus"));
        int reached = st == 200 && s && strcmp(s, status) == 0;
        json_decref(out);
        if (reached)
            return 0;
        if (tl_now_ms() - t0 >= timeout_ms)
            return -1;
        struct timespec nap = {0, 20 * 1000000L};
        nanosleep(&nap, NULL);
    }
    return -1;
}

/* ---- a self-signed certificate for the TLS tests ---- */

void tl_cert_make(tl_cert *c, const char *prefix)
{
    snprintf(c->dir, sizeof c->dir, "/tmp/%s-XXXXXX", prefix);
    cr_assert_not_null(mkdtemp(c->dir));
    snprintf(c->cert, sizeof c->cert, "%s/cert.pem", c->dir);
    snprintf(c->key, sizeof c->key, "%s/key.pem", c->dir);
    EVP_PKEY *key = EVP_EC_gen("P-256");
    cr_assert_not_null(key);
    X509 *x = X509_new();
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), -60);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_set_pubkey(x, key);
    X509_NAME *name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"127.0.0.1", -1, -1, 0);
    X509_set_issuer_name(x, name);
    X509V3_CTX v3;
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost");
    cr_assert_not_null(ext);
    X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    cr_assert(X509_sign(x, key, EVP_sha256()) > 0);
    FILE *f = fopen(c->cert, "w");
    cr_assert_not_null(f);
    PEM_write_X509(f, x);
    fclose(f);
    f = fopen(c->key, "w");
    cr_assert_not_null(f);
    PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL);
    fclose(f);
    X509_free(x);
    EVP_PKEY_free(key);
}

void tl_cert_remove(const tl_cert *c)
{
    unlink(c->cert);
    unlink(c->key);
    rmdir(c->dir);
}
