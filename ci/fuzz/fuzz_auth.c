/* fuzz_auth.c: libFuzzer harness for mockserver/dispatch/auth.c, the simulator's SigV4 gate (presence and
 * format always, full verification in --auth strict).
 *
 * The input is a raw request in the test-suite format (as fuzz_sigv4.c; seeds in corpus/auth/
 * are signed requests), turned into the simulator's sim_request. sim_auth_check must accept it
 * with the credential's parts, or refuse it with an AWS auth error and a message; an accepted
 * request goes on to sim_auth_verify with a fixed credentials file at the vectors' time. The
 * query's X-Amz-* parameters are read with sim_query_param, and the whole input is also parsed
 * as a credentials file (sim_credentials_parse). */
#include <string.h>

#include "dispatch/auth.h"
#include "fuzz.h"
#include "shared/sigv4.h"

#define CREDS "AKIDEXAMPLE wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY 123456789012\n# comment\nAKID2\tsecret2\n"
#define NOW_MS 1440938160000LL /* 2015-08-30T12:36:00Z */

static sim_credentials *creds(void)
{
    static sim_credentials *c;
    if (!c) {
        char err[256];
        c = sim_credentials_parse(CREDS, strlen(CREDS), err, sizeof err);
        if (!c)
            fprintf(stderr, "fuzz_auth: credentials: %s\n", err);
        FUZZ_CHECK(c != NULL);
    }
    return c;
}

static void check_request(const sigv4_raw_request *raw)
{
    sim_header *h = calloc(raw->req.n_headers + 1, sizeof *h);
    if (!h)
        return;
    for (size_t i = 0; i < raw->req.n_headers; i++) {
        h[i].name = (char *)raw->req.headers[i].name;
        h[i].value = (char *)raw->req.headers[i].value;
    }
    sim_request req;
    memset(&req, 0, sizeof req);
    req.method = raw->method;
    req.path = raw->path;
    req.query = raw->query;
    req.headers = h;
    req.n_headers = raw->req.n_headers;
    req.body = raw->body;
    req.body_len = raw->req.body_len;
    strcpy(req.request_id, "fuzz");

    sim_auth_info info;
    sim_error_code err = SIM_ERR_InternalFailureException;
    char msg[8192];
    msg[0] = '\0';
    if (sim_auth_check(&req, &info, &err, msg, sizeof msg) == 0) {
        FUZZ_CHECK(strnlen(info.access_key_id, sizeof info.access_key_id) < sizeof info.access_key_id);
        FUZZ_CHECK(strnlen(info.region, sizeof info.region) < sizeof info.region);
        char account[16];
        sim_auth_account(creds(), info.access_key_id, "000000000000", account);
        FUZZ_CHECK(strlen(account) == 12);
        msg[0] = '\0';
        if (sim_auth_verify(creds(), &req, &info, NOW_MS, &err, msg, sizeof msg) != 0) {
            FUZZ_CHECK(msg[0] != '\0' && strnlen(msg, sizeof msg) < sizeof msg);
            FUZZ_CHECK(err != SIM_ERR_InternalFailureException);
        }
    } else {
        FUZZ_CHECK(strnlen(msg, sizeof msg) < sizeof msg);
        FUZZ_CHECK(err != SIM_ERR_InternalFailureException);
    }
    if (req.query) {
        static const char *const keys[] = {"X-Amz-Algorithm",     "X-Amz-Credential", "X-Amz-Date",
                                           "X-Amz-SignedHeaders", "X-Amz-Signature",  ""};
        for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
            char out[256];
            if (sim_query_param(req.query, keys[i], out, sizeof out))
                FUZZ_CHECK(strnlen(out, sizeof out) < sizeof out);
            char tiny[1];
            (void)sim_query_param(req.query, keys[i], tiny, sizeof tiny);
        }
    }
    free(h);
}

FUZZ_ENTRY(auth)
{
    sigv4_raw_request raw;
    memset(&raw, 0, sizeof raw);
    char why[256];
    if (sigv4_raw_request_parse((const char *)data, size, &raw, why, sizeof why) == 0) {
        check_request(&raw);
        sigv4_raw_request_clean_up(&raw);
    }
    char err[256];
    err[0] = '\0';
    sim_credentials *c = sim_credentials_parse((const char *)data, size, err, sizeof err);
    if (c) {
        FUZZ_CHECK(sim_credentials_count(c) > 0);
        const char *account = NULL;
        (void)sim_credentials_find(c, "AKIDEXAMPLE", &account);
        sim_credentials_free(c);
    } else {
        FUZZ_CHECK(err[0] != '\0');
    }
    return 0;
}
