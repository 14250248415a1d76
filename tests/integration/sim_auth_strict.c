/* sim_auth_strict.c: integration tests of --auth strict. Each test starts its own kinesis-sim
 * ($KINESIS_SIM_BIN, set by ci/run-tests) on a free loopback port with a credentials file
 * written here, reads its "listening on" line, and calls it with libkinesis (the client's
 * signer): a good signature passes and the key's account is used; a wrong secret, an unknown
 * key, and a date more than 5 minutes from the simulation clock (moved with the virtual clock)
 * fail with AWS's errors and words. Also: the control API behind --control-token. Every wait
 * is bounded; the simulator is stopped with SIGTERM (SIGKILL after 5 s) in the fixture. */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <kinesis/kinesis.h>

#include "testlib.h"

#define KEY_A "AKIDSTRICTA"
#define SECRET_A "secret/A+0123456789abcdefghijklmnopqrstu"
#define KEY_B "AKIDSTRICTB"
#define SECRET_B "secret-B-zyxwvutsrqponmlkjihgfedcba987654"
#define ACCOUNT_B "333344445555"
#define TOKEN "tok-strict-12345678"

static tl_sim sim;
static const char *sim_url = sim.url;
static char creds_path[64];

/* Start kinesis-sim --auth strict with our keys; extra: more flags (NULL-terminated). */
static void start_strict_sim(const char *const *extra)
{
    const char *bin = getenv("KINESIS_SIM_BIN");
    if (!bin || !*bin)
        cr_skip_test("KINESIS_SIM_BIN is not set (ci/run-tests sets it to the kinesis-sim binary)");
    snprintf(creds_path, sizeof creds_path, "/tmp/kinesis-strict-XXXXXX");
    int fd = mkstemp(creds_path);
    cr_assert_geq(fd, 0, "mkstemp: %s", strerror(errno));
    FILE *f = fdopen(fd, "w");
    fprintf(f, "# keys of sim_auth_strict.c\n%s %s\n%s %s %s\n", KEY_A, SECRET_A, KEY_B, SECRET_B, ACCOUNT_B);
    fclose(f);

    const char *args[32];
    size_t n = 0;
    const char *fixed[] = {"--db",     ":memory:",          "--auth", "strict",      "--credentials",
                           creds_path, "--create-delay-ms", "0",      "--log-level", "error"};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        args[n++] = fixed[i];
    for (size_t i = 0; extra && extra[i] && n + 1 < sizeof args / sizeof args[0]; i++)
        args[n++] = extra[i];
    args[n] = NULL;
    tl_sim_options o = {.bin = bin, .args = args};
    cr_assert_eq(tl_sim_start(&sim, &o), 0, "kinesis-sim --auth strict did not start (%s): %s", bin,
                 sim.printed);
}

static void stop_strict_sim(void)
{
    tl_sim_stop(&sim);
    if (creds_path[0])
        unlink(creds_path);
    creds_path[0] = 0;
}

static kinesis_client *client_for(const char *key, const char *secret)
{
    kinesis_client_options o;
    memset(&o, 0, sizeof o);
    o.region = "us-west-2";
    o.endpoint = sim_url;
    o.access_key_id = key;
    o.secret_access_key = secret;
    o.retry.max_attempts = 1;
    o.request_timeout_ms = 10000;
    kinesis_error *e = NULL;
    kinesis_client *c = kinesis_client_new(&o, &e);
    cr_assert_not_null(c, "kinesis_client_new: %s", e ? e->message : "?");
    return c;
}

/* One call; returns the error (NULL on success) and the answer in *out (free()). */
static kinesis_error *call(const char *key, const char *secret, const char *op, const char *body, char **out)
{
    kinesis_client *c = client_for(key, secret);
    int status = 0;
    char *resp = NULL;
    kinesis_error *e = kinesis_call_once(c, op, body, &resp, &status);
    kinesis_client_free(c);
    if (out)
        *out = resp;
    else
        free(resp);
    return e;
}

/* A control API request to the strict simulator; returns the HTTP status. */
static long control(const char *method, const char *path, const char *body, const char *token)
{
    CURL *h = curl_easy_init();
    cr_assert_not_null(h);
    char url[256], tok[128];
    snprintf(url, sizeof url, "%s%s", sim_url, path);
    struct curl_slist *hl = curl_slist_append(NULL, "Content-Type: application/json");
    if (token) {
        snprintf(tok, sizeof tok, "X-Sim-Control-Token: %s", token);
        hl = curl_slist_append(hl, tok);
    }
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    if (body)
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 10000L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
    FILE *devnull = fopen("/dev/null", "w");
    curl_easy_setopt(h, CURLOPT_WRITEDATA, devnull);
    long status = 0;
    if (curl_easy_perform(h) == CURLE_OK)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    fclose(devnull);
    curl_slist_free_all(hl);
    curl_easy_cleanup(h);
    return status;
}

static void start_default(void)
{
    start_strict_sim(NULL);
}

TestSuite(sim_auth_strict, .fini = stop_strict_sim, .timeout = 60);

Test(sim_auth_strict, good_signature_passes_and_the_key_picks_the_account, .init = start_default)
{
    char *out = NULL;
    kinesis_error *e = call(KEY_A, SECRET_A, "ListStreams", "{}", &out);
    cr_assert_null(e, "ListStreams: %s %s", e ? e->name : "", e ? e->message : "");
    cr_assert(strstr(out, "StreamNames"), "%s", out);
    free(out);

    e = call(KEY_B, SECRET_B, "CreateStream", "{\"StreamName\":\"strict\",\"ShardCount\":1}", NULL);
    cr_assert_null(e, "CreateStream: %s %s", e ? e->name : "", e ? e->message : "");
    e = call(KEY_B, SECRET_B, "DescribeStreamSummary", "{\"StreamName\":\"strict\"}", &out);
    cr_assert_null(e, "DescribeStreamSummary: %s %s", e ? e->name : "", e ? e->message : "");
    cr_assert(strstr(out, "\"arn:aws:kinesis:us-west-2:" ACCOUNT_B ":stream/strict\""),
              "the credentials file's account is not in the ARN: %s", out);
    free(out);
    /* key A has no account column: the default account, which has no such stream */
    e = call(KEY_A, SECRET_A, "DescribeStreamSummary", "{\"StreamName\":\"strict\"}", NULL);
    cr_assert_not_null(e);
    cr_assert_str_eq(e->name, "ResourceNotFoundException");
    kinesis_error_free(e);
}

Test(sim_auth_strict, wrong_secret_is_invalid_signature, .init = start_default)
{
    kinesis_error *e = call(KEY_A, SECRET_B, "ListStreams", "{}", NULL);
    cr_assert_not_null(e, "a wrong secret was accepted");
    cr_assert_eq(e->http_status, 400);
    cr_assert_str_eq(e->name, "InvalidSignatureException");
    const char *want = "The request signature we calculated does not match the signature you provided. Check "
                       "your AWS Secret Access Key and signing method. Consult the service documentation for "
                       "details.";
    cr_assert(strncmp(e->message, want, strlen(want)) == 0, "%s", e->message);
    cr_assert(strstr(e->message, "The Canonical String for this request should have been"), "%s", e->message);
    kinesis_error_free(e);
}

Test(sim_auth_strict, unknown_key_is_unrecognized_client, .init = start_default)
{
    kinesis_error *e = call("AKIDNOBODYKNOWS", SECRET_A, "ListStreams", "{}", NULL);
    cr_assert_not_null(e, "an unknown key was accepted");
    cr_assert_eq(e->http_status, 400);
    cr_assert_str_eq(e->name, "UnrecognizedClientException");
    cr_assert_str_eq(e->message, "The security token included in the request is invalid.");
    kinesis_error_free(e);
}

static void start_virtual_with_token(void)
{
    const char *extra[] = {"--clock", "virtual", "--control-token", TOKEN, NULL};
    start_strict_sim(extra);
}

/* "Signature expired: 20150830T123600Z is now earlier than 20150830T124100Z (20150830T124600Z - 5 min.)" */
static void check_time_message(const char *m, const char *lead, const char *middle, const char *tail)
{
    size_t ll = strlen(lead);
    cr_assert(strncmp(m, lead, ll) == 0, "%s", m);
    const char *p = m + ll;
    cr_assert(strlen(p) == 16 + strlen(middle) + 16 + 2 + 16 + strlen(tail), "shape of '%s'", m);
    cr_assert(p[8] == 'T' && p[15] == 'Z', "%s", m);
    cr_assert(strncmp(p + 16, middle, strlen(middle)) == 0, "%s", m);
    cr_assert(strcmp(m + strlen(m) - strlen(tail), tail) == 0, "%s", m);
}

Test(sim_auth_strict, dates_more_than_5_minutes_off_are_refused, .init = start_virtual_with_token)
{
    /* the control API needs the token */
    cr_assert_eq(control("GET", "/_sim/clock", NULL, NULL), 403);
    cr_assert_eq(control("GET", "/_sim/clock", NULL, "tok-wrong-12345678"), 403);
    cr_assert_eq(control("GET", "/_sim/clock", NULL, TOKEN), 200);

    kinesis_error *e = call(KEY_A, SECRET_A, "ListStreams", "{}", NULL);
    cr_assert_null(e, "in time: %s %s", e ? e->name : "", e ? e->message : "");

    /* the simulation clock 10 minutes ahead: our signatures are stale */
    cr_assert_eq(control("POST", "/_sim/clock", "{\"advance_ms\": 600000}", TOKEN), 200);
    e = call(KEY_A, SECRET_A, "ListStreams", "{}", NULL);
    cr_assert_not_null(e, "a 10-minute-old signature was accepted");
    cr_assert_eq(e->http_status, 400);
    cr_assert_str_eq(e->name, "InvalidSignatureException");
    check_time_message(e->message, "Signature expired: ", " is now earlier than ", " - 5 min.)");
    kinesis_error_free(e);

    /* 10 minutes behind: not yet current */
    char body[96];
    snprintf(body, sizeof body, "{\"set_ms\": %lld}", (long long)(time(NULL) - 600) * 1000);
    cr_assert_eq(control("POST", "/_sim/clock", body, TOKEN), 200);
    e = call(KEY_A, SECRET_A, "ListStreams", "{}", NULL);
    cr_assert_not_null(e, "a signature 10 minutes in the future was accepted");
    cr_assert_str_eq(e->name, "InvalidSignatureException");
    check_time_message(e->message, "Signature not yet current: ", " is still later than ", " + 5 min.)");
    kinesis_error_free(e);
}
