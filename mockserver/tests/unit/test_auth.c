/* test_auth.c: unit tests for auth.c: every SigV4 presence and format rule with AWS's exact
 * words, for the Authorization header and the query-string forms, and the credential scope
 * (access key, region) handed to the router. */
#include <criterion/criterion.h>
#include <string.h>

#include "auth.h"

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
