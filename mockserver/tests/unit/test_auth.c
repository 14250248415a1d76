/* test_auth.c: unit tests for auth.c: every SigV4 presence and format rule with AWS's exact
 * words, for the Authorization header and the query-string forms, and the credential scope
 * (access key, region) handed to the router; the credentials file, the account an access key
 * maps to, and strict verification of requests signed by the client's signer (good, unknown key,
 * wrong secret, altered body, stale and future dates, another service, presigned URLs). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dispatch/auth.h"
#include "shared/sigv4.h"

#define GOOD_AUTH                                                                                            \
    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/eu-west-1/kinesis/aws4_request, "                      \
    "SignedHeaders=host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06"           \
    "b5924a6f2b5d7"

static sim_header hdrs[8];
static sim_request req;

static void setup(const char *query, const char *auth, const char *date_name, const char *date_value)
{
    memset(&req, 0, sizeof req);
    memset(hdrs, 0, sizeof hdrs);
    size_t n = 0;
    hdrs[n++] = (sim_header){"Content-Type", "application/x-amz-json-1.1"};
    if (auth)
        hdrs[n++] = (sim_header){"authorization", (char *)auth};
    if (date_name)
        hdrs[n++] = (sim_header){(char *)date_name, (char *)date_value};
    req.method = "POST";
    req.path = "/";
    req.query = query;
    req.headers = hdrs;
    req.n_headers = n;
}

static sim_auth_info info;
static sim_error_code err;
static char msg[2048];

static int check(void)
{
    return sim_auth_check(&req, &info, &err, msg, sizeof msg);
}

Test(auth, missing_token)
{
    setup(NULL, NULL, "X-Amz-Date", "20150830T123600Z");
    cr_assert_eq(check(), -1);
    cr_assert_eq(err, SIM_ERR_MissingAuthenticationTokenException);
    cr_assert_str_eq(msg, "Missing Authentication Token");
}

Test(auth, empty_header_counts_as_missing)
{
    setup("Action=x", "", "X-Amz-Date", "20150830T123600Z");
    cr_assert_eq(check(), -1);
    cr_assert_eq(err, SIM_ERR_MissingAuthenticationTokenException);
}

Test(auth, header_and_query_together)
{
    setup("X-Amz-Algorithm=AWS4-HMAC-SHA256", GOOD_AUTH, "X-Amz-Date", "20150830T123600Z");
    cr_assert_eq(check(), -1);
    cr_assert_eq(err, SIM_ERR_InvalidSignatureException);
    cr_assert_str_eq(msg, "Found both 'X-Amz-Algorithm' as a query-string param and "
                          "'Authorization' as HTTP header.");
    /* the key alone, even empty, selects the query form */
    setup("X-Amz-Algorithm", GOOD_AUTH, "X-Amz-Date", "20150830T123600Z");
    cr_assert_eq(check(), -1);
    cr_assert_eq(err, SIM_ERR_InvalidSignatureException);
}

Test(auth, garbage_header_lists_everything)
{
    setup(NULL, "garbage", NULL, NULL);
    cr_assert_eq(check(), -1);
    cr_assert_eq(err, SIM_ERR_IncompleteSignatureException);
    cr_assert_str_eq(msg, "Authorization header requires 'Credential' parameter. "
                          "Authorization header requires 'Signature' parameter. "
                          "Authorization header requires 'SignedHeaders' parameter. "
                          "Authorization header requires existence of either a 'X-Amz-Date' or "
                          "a 'Date' header. Authorization=garbage");
}

Test(auth, each_missing_header_parameter)
{
    struct {
        const char *auth, *want;
    } cases[] = {
        {"AWS4-HMAC-SHA256 SignedHeaders=host, Signature=abc",
         "Authorization header requires 'Credential' parameter. "
         "Authorization=AWS4-HMAC-SHA256 SignedHeaders=host, Signature=abc"},
        {"AWS4-HMAC-SHA256 Credential=A/B/C/D/E, SignedHeaders=host",
         "Authorization header requires 'Signature' parameter. "
         "Authorization=AWS4-HMAC-SHA256 Credential=A/B/C/D/E, SignedHeaders=host"},
        {"AWS4-HMAC-SHA256 Credential=A/B/C/D/E, Signature=abc",
         "Authorization header requires 'SignedHeaders' parameter. "
         "Authorization=AWS4-HMAC-SHA256 Credential=A/B/C/D/E, Signature=abc"},
        /* an empty value is as good as missing */
        {"AWS4-HMAC-SHA256 Credential=, SignedHeaders=host, Signature=abc",
         "Authorization header requires 'Credential' parameter. "
         "Authorization=AWS4-HMAC-SHA256 Credential=, SignedHeaders=host, Signature=abc"},
        /* the first word is the algorithm and is never read as a parameter */
        {"Credential=A/B/C/D/E, SignedHeaders=host, Signature=abc",
         "Authorization header requires 'Credential' parameter. "
         "Authorization=Credential=A/B/C/D/E, SignedHeaders=host, Signature=abc"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        setup(NULL, cases[i].auth, "X-Amz-Date", "20150830T123600Z");
        cr_assert_eq(check(), -1, "case %zu passed", i);
        cr_assert_eq(err, SIM_ERR_IncompleteSignatureException);
        cr_assert_str_eq(msg, cases[i].want, "case %zu", i);
    }
}

Test(auth, date_header_rules)
{
    setup(NULL, GOOD_AUTH, NULL, NULL);
    cr_assert_eq(check(), -1);
    cr_assert_str_eq(msg, "Authorization header requires existence of either a 'X-Amz-Date' or "
                          "a 'Date' header. Authorization=" GOOD_AUTH);
    setup(NULL, GOOD_AUTH, "X-Amz-Date", "");
    cr_assert_eq(check(), -1);
    setup(NULL, GOOD_AUTH, "Date", "Sun, 30 Aug 2015 12:36:00 GMT");
    cr_assert_eq(check(), 0, "%s", msg);
    setup(NULL, GOOD_AUTH, "x-amz-date", "20150830T123600Z");
    cr_assert_eq(check(), 0, "%s", msg);
}

Test(auth, complete_header_gives_the_credential_scope)
{
    setup(NULL, GOOD_AUTH, "X-Amz-Date", "20150830T123600Z");
    cr_assert_eq(check(), 0, "%s", msg);
    cr_assert_eq(info.via_query, 0);
    cr_assert_str_eq(info.access_key_id, "AKIDEXAMPLE");
    cr_assert_str_eq(info.date, "20150830");
    cr_assert_str_eq(info.region, "eu-west-1");
    cr_assert_str_eq(info.service, "kinesis");
}

Test(auth, commas_without_spaces_and_odd_credentials)
{
    setup(NULL,
          "AWS4-HMAC-SHA256 Credential=AK/20150830/us-west-2/kinesis/aws4_request,"
          "SignedHeaders=host,Signature=ab",
          "X-Amz-Date", "x");
    cr_assert_eq(check(), 0, "%s", msg);
    cr_assert_str_eq(info.region, "us-west-2");
    /* a short credential is not an error here (strict mode checks it); the region is unknown */
    setup(NULL, "AWS4-HMAC-SHA256 Credential=AK, SignedHeaders=host, Signature=ab", "X-Amz-Date", "x");
    cr_assert_eq(check(), 0, "%s", msg);
    cr_assert_str_eq(info.access_key_id, "AK");
    cr_assert_str_eq(info.region, "");
    /* a region that is not a region name is not used */
    setup(NULL, "AWS4-HMAC-SHA256 Credential=AK/2015/US_EAST/kinesis/x, SignedHeaders=h, Signature=a",
          "X-Amz-Date", "x");
    cr_assert_eq(check(), 0, "%s", msg);
    cr_assert_str_eq(info.region, "");
}

Test(auth, query_form_missing_parameters)
{
    setup("X-Amz-Algorithm=AWS4-HMAC-SHA256", NULL, NULL, NULL);
    cr_assert_eq(check(), -1);
    cr_assert_eq(err, SIM_ERR_IncompleteSignatureException);
    cr_assert_str_eq(msg, "AWS query-string parameters must include 'X-Amz-Credential'. "
                          "AWS query-string parameters must include 'X-Amz-Signature'. "
                          "AWS query-string parameters must include 'X-Amz-SignedHeaders'. "
                          "AWS query-string parameters must include 'X-Amz-Date'. "
                          "Re-examine the query-string parameters.");
    setup("X-Amz-Algorithm=&X-Amz-Credential=a&X-Amz-Signature=b&X-Amz-SignedHeaders=c&"
          "X-Amz-Date=d",
          NULL, NULL, NULL);
    cr_assert_eq(check(), -1);
    cr_assert_str_eq(msg, "AWS query-string parameters must include 'X-Amz-Algorithm'. "
                          "Re-examine the query-string parameters.");
}

Test(auth, complete_query_form)
{
    setup("Foo=1&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKQ%2F20200101%2Fap-south-1"
          "%2Fkinesis%2Faws4_request&X-Amz-Date=20200101T000000Z&X-Amz-SignedHeaders=host&"
          "X-Amz-Signature=abc",
          NULL, NULL, NULL);
    cr_assert_eq(check(), 0, "%s", msg);
    cr_assert_eq(info.via_query, 1);
    cr_assert_str_eq(info.access_key_id, "AKQ");
    cr_assert_str_eq(info.region, "ap-south-1");
}

Test(auth, query_param_parsing)
{
    char v[64];
    cr_assert_eq(sim_query_param("a=1&b=2", "b", v, sizeof v), 1);
    cr_assert_str_eq(v, "2");
    cr_assert_eq(sim_query_param("a=1&b", "b", v, sizeof v), 1);
    cr_assert_str_eq(v, "");
    cr_assert_eq(sim_query_param("a=1&bb=2", "b", v, sizeof v), 0);
    cr_assert_eq(sim_query_param(NULL, "b", v, sizeof v), 0);
    cr_assert_eq(sim_query_param("", "b", v, sizeof v), 0);
    cr_assert_eq(sim_query_param("x=a%2Fb+c%zz%4", "x", v, sizeof v), 1);
    cr_assert_str_eq(v, "a/b c%zz%4");
    cr_assert_eq(sim_query_param("X%2DAmz=7", "X-Amz", v, sizeof v), 1);
    cr_assert_str_eq(v, "7");
    cr_assert_eq(sim_query_param("&&k=v&", "k", v, sizeof v), 1);
    cr_assert_str_eq(v, "v");
    char small[4];
    cr_assert_eq(sim_query_param("k=abcdef", "k", small, sizeof small), 1);
    cr_assert_str_eq(small, "abc");
}

Test(auth, very_long_header_is_truncated_not_overflowed)
{
    static char big[8192];
    memset(big, 'x', sizeof big - 1);
    setup(NULL, big, NULL, NULL);
    cr_assert_eq(check(), -1);
    cr_assert_eq(err, SIM_ERR_IncompleteSignatureException);
    cr_assert_lt(strlen(msg), sizeof msg);
}

/* ---- credentials file ---- */

static sim_credentials *parse_creds(const char *text, char *why, size_t why_len)
{
    return sim_credentials_parse(text, strlen(text), why, why_len);
}

Test(auth, credentials_file_lines)
{
    char why[256] = "";
    sim_credentials *c = parse_creds("# keys for the tests\n"
                                     "\n"
                                     "AKIDEXAMPLE wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY\n"
                                     "  AKIDSECOND\tsecret2   111122223333  \r\n"
                                     "   # indented comment\n"
                                     "123456789012 s3",
                                     why, sizeof why);
    cr_assert_not_null(c, "%s", why);
    cr_assert_eq(sim_credentials_count(c), 3);
    const char *acct = "unset";
    cr_assert_str_eq(sim_credentials_find(c, "AKIDEXAMPLE", &acct),
                     "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
    cr_assert_str_eq(acct, "");
    cr_assert_str_eq(sim_credentials_find(c, "AKIDSECOND", &acct), "secret2");
    cr_assert_str_eq(acct, "111122223333");
    cr_assert_null(sim_credentials_find(c, "AKIDEXAMPL", NULL));
    cr_assert_null(sim_credentials_find(c, NULL, NULL));
    sim_credentials_free(c);
}

Test(auth, credentials_file_errors_name_the_line)
{
    const char *cases[][2] = {
        {"AKID secret\nlonely\n", "line 2"},
        {"AKID secret 12345 \n", "line 1: account '12345' is not 12 digits"},
        {"AKID secret 111122223333 extra\n", "line 1"},
        {"A s\n# c\nA t\n", "line 3: access key 'A' appears twice"},
        {"# nothing but comments\n\n", "no access keys"},
        {"", "no access keys"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char why[256] = "";
        sim_credentials *c = parse_creds(cases[i][0], why, sizeof why);
        cr_assert_null(c, "accepted: %s", cases[i][0]);
        cr_assert(strstr(why, cases[i][1]), "'%s' does not say '%s'", why, cases[i][1]);
    }
    char why[256];
    const char nul[] = {'A', ' ', 's', 0, 'x', '\n'};
    cr_assert_null(sim_credentials_parse(nul, sizeof nul, why, sizeof why));
}

Test(auth, credentials_load_from_file)
{
    char why[512] = "";
    cr_assert_null(sim_credentials_load("/nonexistent/kinesis-keys", why, sizeof why));
    cr_assert(strstr(why, "/nonexistent/kinesis-keys"), "%s", why);
    char path[] = "/tmp/h15-creds-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    FILE *f = fdopen(fd, "w");
    fputs("AKID1 sec1 210987654321\n", f);
    fclose(f);
    sim_credentials *c = sim_credentials_load(path, why, sizeof why);
    remove(path);
    cr_assert_not_null(c, "%s", why);
    cr_assert_str_eq(sim_credentials_find(c, "AKID1", NULL), "sec1");
    sim_credentials_free(c);
}

Test(auth, access_key_picks_the_account)
{
    char why[128], acct[16];
    sim_credentials *c = parse_creds("AKIDMAPPED s 444455556666\nAKIDPLAIN s\n", why, sizeof why);
    cr_assert_not_null(c, "%s", why);
    sim_auth_account(c, "AKIDMAPPED", "000000000000", acct);
    cr_assert_str_eq(acct, "444455556666");
    sim_auth_account(c, "AKIDPLAIN", "000000000000", acct);
    cr_assert_str_eq(acct, "000000000000");
    sim_auth_account(NULL, "123456789012", "000000000000", acct);
    cr_assert_str_eq(acct, "123456789012");
    sim_auth_account(NULL, "12345678901", "000000000000", acct);
    cr_assert_str_eq(acct, "000000000000");
    sim_auth_account(NULL, "12345678901x", "000000000000", acct);
    cr_assert_str_eq(acct, "000000000000");
    sim_auth_account(NULL, "", "000000000000", acct);
    cr_assert_str_eq(acct, "000000000000");
    sim_credentials_free(c);
}

/* ---- strict verification ---- */

#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define T0 INT64_C(1440938160) /* 2015-08-30T12:36:00Z */

static sim_header shdrs[8];
static sim_request sreq;
static char sauth[512], sdate[32];
static const char sbody[] = "{\"StreamName\":\"s\"}";

/* A request signed with the client's signer by akid/secret at time t, scope region/service. */
static void signed_request(const char *akid, const char *secret, int64_t t, const char *service)
{
    sigv4_header h[] = {{"Host", "127.0.0.1:4567"},
                        {"Content-Type", "application/x-amz-json-1.1"},
                        {"X-Amz-Target", "Kinesis_20131202.DescribeStream"}};
    sigv4_request r = {"POST", "/", NULL, h, 3, (const uint8_t *)sbody, strlen(sbody)};
    sigv4_params p = {.access_key_id = akid,
                      .secret_access_key = secret,
                      .region = "eu-west-1",
                      .service = service,
                      .epoch_seconds = t,
                      .normalize_path = 1};
    sigv4_result out = {0};
    cr_assert_eq(sigv4_sign(&r, &p, &out), 0);
    snprintf(sauth, sizeof sauth, "%s", out.authorization);
    snprintf(sdate, sizeof sdate, "%s", out.amz_date);
    sigv4_result_clean_up(&out);
    size_t n = 0;
    shdrs[n++] = (sim_header){"Host", "127.0.0.1:4567"};
    shdrs[n++] = (sim_header){"Content-Type", "application/x-amz-json-1.1"};
    shdrs[n++] = (sim_header){"X-Amz-Target", "Kinesis_20131202.DescribeStream"};
    shdrs[n++] = (sim_header){"X-Amz-Date", sdate};
    shdrs[n++] = (sim_header){"Authorization", sauth};
    memset(&sreq, 0, sizeof sreq);
    sreq.method = "POST";
    sreq.path = "/";
    sreq.headers = shdrs;
    sreq.n_headers = n;
    sreq.body = (const uint8_t *)sbody;
    sreq.body_len = strlen(sbody);
}

static sim_credentials *test_keys(void)
{
    char why[128];
    sim_credentials *c = parse_creds("AKIDEXAMPLE " SECRET "\n", why, sizeof why);
    cr_assert_not_null(c, "%s", why);
    return c;
}

static char bigmsg[65536];

static int verify(sim_credentials *c, int64_t now_s)
{
    sim_auth_info ai;
    sim_error_code e0;
    char m0[512];
    cr_assert_eq(sim_auth_check(&sreq, &ai, &e0, m0, sizeof m0), 0, "%s", m0);
    return sim_auth_verify(c, &sreq, &ai, now_s * 1000, &err, bigmsg, sizeof bigmsg);
}

Test(auth, strict_good_signature_passes)
{
    sim_credentials *c = test_keys();
    signed_request("AKIDEXAMPLE", SECRET, T0, "kinesis");
    cr_assert_eq(verify(c, T0), 0, "%s", bigmsg);
    cr_assert_eq(verify(c, T0 + 300), 0, "5 minutes late is still in time: %s", bigmsg);
    cr_assert_eq(verify(c, T0 - 300), 0, "5 minutes early is still in time: %s", bigmsg);
    sim_credentials_free(c);
}

Test(auth, strict_unknown_key)
{
    sim_credentials *c = test_keys();
    signed_request("AKIDOTHER", SECRET, T0, "kinesis");
    cr_assert_eq(verify(c, T0), -1);
    cr_assert_eq(err, SIM_ERR_UnrecognizedClientException);
    cr_assert_str_eq(bigmsg, "The security token included in the request is invalid.");
    sim_credentials_free(c);
}

Test(auth, strict_wrong_secret)
{
    sim_credentials *c = test_keys();
    signed_request("AKIDEXAMPLE", "not-the-secret", T0, "kinesis");
    cr_assert_eq(verify(c, T0), -1);
    cr_assert_eq(err, SIM_ERR_InvalidSignatureException);
    const char *want = "The request signature we calculated does not match the signature you provided. Check "
                       "your AWS Secret Access Key and signing method. Consult the service documentation for "
                       "details.";
    cr_assert(strncmp(bigmsg, want, strlen(want)) == 0, "%s", bigmsg);
    cr_assert(strstr(bigmsg, "\n\nThe Canonical String for this request should have been\n'POST\n/\n"), "%s",
              bigmsg);
    cr_assert(strstr(bigmsg, "The String-to-Sign should have been\n'AWS4-HMAC-SHA256\n20150830T123600Z\n"
                             "20150830/eu-west-1/kinesis/aws4_request\n"),
              "%s", bigmsg);

    /* a body changed after signing is a mismatch too */
    signed_request("AKIDEXAMPLE", SECRET, T0, "kinesis");
    sreq.body = (const uint8_t *)"{\"StreamName\":\"t\"}";
    cr_assert_eq(verify(c, T0), -1);
    cr_assert_eq(err, SIM_ERR_InvalidSignatureException);
    sim_credentials_free(c);
}

Test(auth, strict_stale_and_future_dates)
{
    sim_credentials *c = test_keys();
    signed_request("AKIDEXAMPLE", SECRET, T0, "kinesis");
    cr_assert_eq(verify(c, T0 + 301), -1);
    cr_assert_eq(err, SIM_ERR_InvalidSignatureException);
    cr_assert_str_eq(bigmsg, "Signature expired: 20150830T123600Z is now earlier than 20150830T123601Z "
                             "(20150830T124101Z - 5 min.)");
    cr_assert_eq(verify(c, T0 - 600), -1);
    cr_assert_eq(err, SIM_ERR_InvalidSignatureException);
    cr_assert_str_eq(bigmsg,
                     "Signature not yet current: 20150830T123600Z is still later than 20150830T123100Z "
                     "(20150830T122600Z + 5 min.)");
    sim_credentials_free(c);
}

Test(auth, strict_wrong_service_scope)
{
    sim_credentials *c = test_keys();
    signed_request("AKIDEXAMPLE", SECRET, T0, "dynamodb");
    cr_assert_eq(verify(c, T0), -1);
    cr_assert_eq(err, SIM_ERR_InvalidSignatureException);
    cr_assert(strstr(bigmsg, "Credential should be scoped to correct service: 'kinesis'."), "%s", bigmsg);
    sim_credentials_free(c);
}

Test(auth, strict_presigned_query)
{
    sim_credentials *c = test_keys();
    sigv4_header h[] = {{"Host", "127.0.0.1:4567"}};
    sigv4_request r = {"POST", "/", NULL, h, 1, (const uint8_t *)sbody, strlen(sbody)};
    sigv4_params p = {.access_key_id = "AKIDEXAMPLE",
                      .secret_access_key = SECRET,
                      .region = "us-east-1",
                      .service = "kinesis",
                      .epoch_seconds = T0,
                      .normalize_path = 1};
    sigv4_result out = {0};
    char *q = NULL;
    cr_assert_eq(sigv4_presign(&r, &p, 60, &out, &q), 0);
    sigv4_result_clean_up(&out);
    memset(&sreq, 0, sizeof sreq);
    shdrs[0] = (sim_header){"Host", "127.0.0.1:4567"};
    sreq.method = "POST";
    sreq.path = "/";
    sreq.query = q;
    sreq.headers = shdrs;
    sreq.n_headers = 1;
    sreq.body = (const uint8_t *)sbody;
    sreq.body_len = strlen(sbody);
    cr_assert_eq(verify(c, T0 + 10), 0, "%s", bigmsg);
    cr_assert_eq(verify(c, T0 + 61), -1);
    cr_assert_eq(err, SIM_ERR_InvalidSignatureException);
    cr_assert_str_eq(bigmsg, "Request has expired");
    sreq.body = (const uint8_t *)"{}";
    sreq.body_len = 2;
    cr_assert_eq(verify(c, T0 + 10), -1);
    cr_assert(strncmp(bigmsg, "The request signature we calculated", 35) == 0, "%s", bigmsg);
    free(q);
    sim_credentials_free(c);
}
