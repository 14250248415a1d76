/* fuzz_sigv4.c: libFuzzer harness for client/shared/sigv4.c, the code kinesis-sim runs on every
 * request's Authorization header in strict mode.
 *
 * The input is a raw request in the test-suite format (request.txt; seeds in corpus/sigv4/ are
 * the official vectors' request.txt and header-signed-request.txt). When it parses:
 *  - sigv4_verify checks it against a fixed secret (any status, no crash), and the query form
 *    sigv4_verify_query and sigv4_query_access_key read its query;
 *  - every Authorization value in it goes through sigv4_parse_authorization and
 *    sigv4_authorization_missing;
 *  - when it has one Host header, it is signed with sigv4_sign (and sigv4_presign) and the signed
 *    request must verify: what our signer produces our verifier accepts.
 * The whole input is also tried as an Authorization value and as a signing time. */
#include <string.h>
#include <strings.h>

#include "fuzz.h"
#include "shared/sigv4.h"

#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define EPOCH 1440938160 /* 2015-08-30T12:36:00Z, the vectors' time */

static int count_header(const sigv4_request *req, const char *name)
{
    int n = 0;
    for (size_t i = 0; i < req->n_headers; i++)
        if (strcasecmp(req->headers[i].name, name) == 0)
            n++;
    return n;
}

static void check_auth_value(const char *value)
{
    sigv4_auth_header ah;
    char why[256];
    if (sigv4_parse_authorization(value, &ah, why, sizeof why) == 0) {
        FUZZ_CHECK(strnlen(ah.access_key_id, sizeof ah.access_key_id) < sizeof ah.access_key_id);
        FUZZ_CHECK(strnlen(ah.signed_headers, sizeof ah.signed_headers) < sizeof ah.signed_headers);
        FUZZ_CHECK(strnlen(ah.signature, sizeof ah.signature) < sizeof ah.signature);
        FUZZ_CHECK(strnlen(ah.region, sizeof ah.region) < sizeof ah.region);
        FUZZ_CHECK(strnlen(ah.service, sizeof ah.service) < sizeof ah.service);
        FUZZ_CHECK(strnlen(ah.date, sizeof ah.date) < sizeof ah.date);
    } else {
        FUZZ_CHECK(strnlen(why, sizeof why) < sizeof why);
    }
    (void)sigv4_authorization_missing(value);
}

/* The request with Authorization and X-Amz-Date replaced by the signer's (no session token is
 * used, so an X-Amz-Security-Token header in the input is signed as any other header). */
static void check_sign_verify(const sigv4_request *req)
{
    if (count_header(req, "host") != 1)
        return;
    sigv4_params p = {
        .access_key_id = "AKIDEXAMPLE",
        .secret_access_key = SECRET,
        .region = "us-east-1",
        .service = "kinesis",
        .epoch_seconds = EPOCH,
        .normalize_path = 1,
    };
    sigv4_result r;
    memset(&r, 0, sizeof r);
    if (sigv4_sign(req, &p, &r) != 0) {
        sigv4_result_clean_up(&r);
        return;
    }
    FUZZ_CHECK(r.authorization && r.amz_date && r.signature && strlen(r.signature) == 64);
    sigv4_header *h = calloc(req->n_headers + 2, sizeof *h);
    if (!h) {
        sigv4_result_clean_up(&r);
        return;
    }
    size_t n = 0;
    for (size_t i = 0; i < req->n_headers; i++) {
        const char *name = req->headers[i].name;
        if (strcasecmp(name, "authorization") == 0 || strcasecmp(name, "x-amz-date") == 0)
            continue;
        h[n++] = req->headers[i];
    }
    h[n].name = "X-Amz-Date";
    h[n++].value = r.amz_date;
    h[n].name = "Authorization";
    h[n++].value = r.authorization;
    sigv4_request signed_req = *req;
    signed_req.headers = h;
    signed_req.n_headers = n;
    char why[512];
    why[0] = '\0';
    int rc = sigv4_verify(&signed_req, SECRET, NULL, why, sizeof why);
    if (rc != SIGV4_OK)
        fprintf(stderr, "verify after sign: %d %s\nauthorization: %s\n", rc, why, r.authorization);
    FUZZ_CHECK(rc == SIGV4_OK);
    FUZZ_CHECK(sigv4_verify(&signed_req, "another secret", NULL, why, sizeof why) == SIGV4_E_MISMATCH);
    free(h);
    sigv4_result_clean_up(&r);

    /* The presigned form of the same request verifies at the signing time. */
    char *q = NULL;
    memset(&r, 0, sizeof r);
    if (sigv4_presign(req, &p, 300, &r, &q) == 0) {
        FUZZ_CHECK(q != NULL);
        sigv4_request pre = *req;
        pre.query = q;
        char akid[160];
        FUZZ_CHECK(sigv4_query_access_key(q, akid, sizeof akid) == 0 && strcmp(akid, "AKIDEXAMPLE") == 0);
        rc = sigv4_verify_query(&pre, SECRET, EPOCH, NULL, why, sizeof why);
        if (rc != SIGV4_OK)
            fprintf(stderr, "verify_query after presign: %d %s\nquery: %s\n", rc, why, q);
        FUZZ_CHECK(rc == SIGV4_OK);
    }
    free(q);
    sigv4_result_clean_up(&r);
}

FUZZ_ENTRY(sigv4)
{
    char why[512];
    sigv4_raw_request raw;
    memset(&raw, 0, sizeof raw);
    char *text = fuzz_cstr(data, size);
    if (!text)
        return 0;
    if (sigv4_raw_request_parse((const char *)data, size, &raw, why, sizeof why) == 0) {
        const sigv4_request *req = &raw.req;
        for (size_t i = 0; i < req->n_headers; i++)
            if (strcasecmp(req->headers[i].name, "authorization") == 0)
                check_auth_value(req->headers[i].value);
        sigv4_result r;
        memset(&r, 0, sizeof r);
        (void)sigv4_verify(req, SECRET, &r, why, sizeof why);
        sigv4_result_clean_up(&r);
        if (req->query) {
            char akid[160];
            (void)sigv4_query_access_key(req->query, akid, sizeof akid);
            (void)sigv4_verify_query(req, SECRET, EPOCH, NULL, why, sizeof why);
        }
        check_sign_verify(req);
        sigv4_raw_request_clean_up(&raw);
    }
    check_auth_value(text);
    int64_t t;
    if (sigv4_parse_time(text, &t) == 0) {
        char amz[17], day[9];
        sigv4_format_time(t, amz, day);
        int64_t back;
        FUZZ_CHECK(sigv4_parse_time(amz, &back) == 0 && back == t);
    }
    free(text);
    return 0;
}
