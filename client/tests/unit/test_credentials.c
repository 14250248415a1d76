/* test_credentials.c: client configuration (client/src/config.c): credentials from options,
 * environment and a profile file in a temporary directory, region and endpoint resolution (the
 * endpoint from options, AWS_ENDPOINT_URL_KINESIS, AWS_ENDPOINT_URL, KINESIS_ENDPOINT in that
 * order), the CA bundle, and a clear Configuration error for anything missing or malformed. Criterion runs
 * each test in its own process, so changing the environment here is safe. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

static char tmpdir[64];

static void clear_env(void)
{
    const char *vars[] = {"AWS_ACCESS_KEY_ID",
                          "AWS_SECRET_ACCESS_KEY",
                          "AWS_SESSION_TOKEN",
                          "AWS_PROFILE",
                          "AWS_SHARED_CREDENTIALS_FILE",
                          "AWS_REGION",
                          "AWS_DEFAULT_REGION",
                          "AWS_ENDPOINT_URL_KINESIS",
                          "AWS_ENDPOINT_URL",
                          "KINESIS_ENDPOINT",
                          "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
                          "AWS_CA_BUNDLE",
                          "AWS_MAX_ATTEMPTS"};
    for (size_t i = 0; i < sizeof vars / sizeof *vars; i++)
        unsetenv(vars[i]);
    strcpy(tmpdir, "/tmp/kinesis-cred-XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir));
    setenv("HOME", tmpdir, 1); /* no real ~/.aws/credentials leaks into a test */
}

static void remove_tmp(void)
{
    char path[128];
    snprintf(path, sizeof path, "%s/.aws/credentials", tmpdir);
    unlink(path);
    snprintf(path, sizeof path, "%s/.aws", tmpdir);
    rmdir(path);
    snprintf(path, sizeof path, "%s/creds", tmpdir);
    unlink(path);
    rmdir(tmpdir);
}

TestSuite(config, .init = clear_env, .fini = remove_tmp);

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
}

static void expect_config_error(kinesis_error *e, const char *needle)
{
    cr_assert_not_null(e);
    cr_assert_eq(e->type, KINESIS_ERROR_LIBRARY);
    cr_assert_str_eq(e->name, KINESIS_ERR_CONFIGURATION);
    cr_assert(strstr(e->message, needle) != NULL, "message '%s' lacks '%s'", e->message, needle);
    kinesis_error_free(e);
}

Test(config, explicit_credentials_win)
{
    setenv("AWS_ACCESS_KEY_ID", "ENVKEY", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "ENVSECRET", 1);
    kinesis_client_options o = {.access_key_id = "AK", .secret_access_key = "SK", .session_token = "TOK"};
    kc_credentials c;
    cr_assert_null(kc_resolve_credentials(&o, &c));
    cr_assert_str_eq(c.access_key_id, "AK");
    cr_assert_str_eq(c.secret_access_key, "SK");
    cr_assert_str_eq(c.session_token, "TOK");
    kc_credentials_clean_up(&c);
}

Test(config, half_explicit_credentials_fail)
{
    kinesis_client_options o = {.access_key_id = "AK"};
    kc_credentials c;
    expect_config_error(kc_resolve_credentials(&o, &c), "secret_access_key");
}

Test(config, environment_credentials)
{
    setenv("AWS_ACCESS_KEY_ID", "ENVKEY", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "ENVSECRET", 1);
    setenv("AWS_SESSION_TOKEN", "ENVTOKEN", 1);
    kinesis_client_options o = {0};
    kc_credentials c;
    cr_assert_null(kc_resolve_credentials(&o, &c));
    cr_assert_str_eq(c.access_key_id, "ENVKEY");
    cr_assert_str_eq(c.secret_access_key, "ENVSECRET");
    cr_assert_str_eq(c.session_token, "ENVTOKEN");
    kc_credentials_clean_up(&c);
}

Test(config, half_environment_fails)
{
    setenv("AWS_ACCESS_KEY_ID", "ENVKEY", 1);
    kinesis_client_options o = {0};
    kc_credentials c;
    expect_config_error(kc_resolve_credentials(&o, &c), "AWS_SECRET_ACCESS_KEY");
}

static const char *PROFILES = "# comment\n"
                              "[default]\n"
                              "aws_access_key_id = DEFKEY\n"
                              "aws_secret_access_key=DEFSECRET\n"
                              "\n"
                              "; another comment\n"
                              "[dev]\n"
                              "  AWS_ACCESS_KEY_ID = DEVKEY  \n"
                              "aws_secret_access_key = DEVSECRET\n"
                              "aws_session_token = DEVTOKEN\n"
                              "region = eu-west-1\n";

Test(config, default_profile_from_home)
{
    char dir[128], path[160];
    snprintf(dir, sizeof dir, "%s/.aws", tmpdir);
    cr_assert_eq(mkdir(dir, 0700), 0);
    snprintf(path, sizeof path, "%s/credentials", dir);
    write_file(path, PROFILES);
    kinesis_client_options o = {0};
    kc_credentials c;
    cr_assert_null(kc_resolve_credentials(&o, &c));
    cr_assert_str_eq(c.access_key_id, "DEFKEY");
    cr_assert_str_eq(c.secret_access_key, "DEFSECRET");
    cr_assert_null(c.session_token);
    kc_credentials_clean_up(&c);
}

Test(config, named_profile_from_env_file)
{
    char path[160];
    snprintf(path, sizeof path, "%s/creds", tmpdir);
    write_file(path, PROFILES);
    setenv("AWS_SHARED_CREDENTIALS_FILE", path, 1);
    setenv("AWS_PROFILE", "dev", 1);
    kinesis_client_options o = {0};
    kc_credentials c;
    cr_assert_null(kc_resolve_credentials(&o, &c));
    cr_assert_str_eq(c.access_key_id, "DEVKEY");
    cr_assert_str_eq(c.session_token, "DEVTOKEN");
    kc_credentials_clean_up(&c);
}

Test(config, explicit_profile_beats_environment_keys)
{
    char path[160];
    snprintf(path, sizeof path, "%s/creds", tmpdir);
    write_file(path, PROFILES);
    setenv("AWS_SHARED_CREDENTIALS_FILE", path, 1);
    setenv("AWS_ACCESS_KEY_ID", "ENVKEY", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "ENVSECRET", 1);
    kinesis_client_options o = {.profile = "dev"};
    kc_credentials c;
    cr_assert_null(kc_resolve_credentials(&o, &c));
    cr_assert_str_eq(c.access_key_id, "DEVKEY");
    kc_credentials_clean_up(&c);
}

Test(config, missing_profile_file_and_profile)
{
    kinesis_client_options o = {0};
    kc_credentials c;
    expect_config_error(kc_resolve_credentials(&o, &c), "cannot read");
    char path[160];
    snprintf(path, sizeof path, "%s/creds", tmpdir);
    write_file(path, PROFILES);
    setenv("AWS_SHARED_CREDENTIALS_FILE", path, 1);
    o.profile = "nope";
    expect_config_error(kc_resolve_credentials(&o, &c), "profile 'nope' not found");
}

Test(config, malformed_profile_files)
{
    kc_credentials c;
    expect_config_error(kc_parse_credentials_file("[default\naws_access_key_id=a\n", "default", "f", &c),
                        "f:1: malformed section header");
    expect_config_error(kc_parse_credentials_file("[default]\njust words\n", "default", "f", &c),
                        "f:2: expected 'key = value'");
    expect_config_error(kc_parse_credentials_file("[default]\naws_access_key_id=a\n", "default", "f", &c),
                        "lacks aws_secret_access_key");
    expect_config_error(kc_parse_credentials_file("[default]\naws_access_key_id=\naws_secret_access_key=s\n",
                                                  "default", "f", &c),
                        "lacks aws_access_key_id");
    cr_assert_null(kc_parse_credentials_file(
        "[profile x]\r\naws_access_key_id=a\r\naws_secret_access_key=b\r\n", "x", "f", &c));
    cr_assert_str_eq(c.secret_access_key, "b");
    kc_credentials_clean_up(&c);
}

Test(config, region_resolution)
{
    kinesis_client_options o = {0};
    char *r = NULL;
    expect_config_error(kc_resolve_region(&o, &r), "no region");
    setenv("AWS_DEFAULT_REGION", "eu-west-1", 1);
    cr_assert_null(kc_resolve_region(&o, &r));
    cr_assert_str_eq(r, "eu-west-1");
    free(r);
    setenv("AWS_REGION", "us-west-2", 1);
    cr_assert_null(kc_resolve_region(&o, &r));
    cr_assert_str_eq(r, "us-west-2");
    free(r);
    o.region = "ap-south-1";
    cr_assert_null(kc_resolve_region(&o, &r));
    cr_assert_str_eq(r, "ap-south-1");
    free(r);
    o.region = "US East/1";
    expect_config_error(kc_resolve_region(&o, &r), "malformed region");
    unsetenv("AWS_REGION");
    unsetenv("AWS_DEFAULT_REGION");
    kinesis_client_options local = {.endpoint = "http://127.0.0.1:4567"};
    cr_assert_null(kc_resolve_region(&local, &r));
    cr_assert_str_eq(r, "us-east-1");
    free(r);
}

Test(config, endpoints)
{
    kc_endpoint e;
    cr_assert_null(kc_resolve_endpoint(NULL, "eu-west-1", &e));
    cr_assert_str_eq(e.url, "https://kinesis.eu-west-1.amazonaws.com");
    cr_assert_str_eq(e.host, "kinesis.eu-west-1.amazonaws.com");
    cr_assert_str_eq(e.path, "/");
    kc_endpoint_clean_up(&e);
    cr_assert_null(kc_resolve_endpoint(NULL, "cn-north-1", &e));
    cr_assert_str_eq(e.url, "https://kinesis.cn-north-1.amazonaws.com.cn");
    kc_endpoint_clean_up(&e);
    cr_assert_null(kc_resolve_endpoint("http://127.0.0.1:4567/", "us-east-1", &e));
    cr_assert_str_eq(e.url, "http://127.0.0.1:4567");
    cr_assert_str_eq(e.host, "127.0.0.1:4567");
    cr_assert_str_eq(e.path, "/");
    kc_endpoint_clean_up(&e);
    const char *bad[] = {"127.0.0.1:4567", "ftp://host", "http://", "not a url", "https://exa mple.com"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        kinesis_error *err = kc_resolve_endpoint(bad[i], "us-east-1", &e);
        cr_assert_not_null(err, "%s accepted", bad[i]);
        expect_config_error(err, "malformed endpoint");
    }
}

Test(config, client_new_reports_configuration_errors)
{
    kinesis_error *err = NULL;
    kinesis_client_options o = {.region = "us-east-1"};
    cr_assert_null(kinesis_client_new(&o, &err));
    expect_config_error(err, "no credentials");
    kinesis_client_options o2 = {
        .region = "us-east-1", .access_key_id = "a", .secret_access_key = "b", .endpoint = "gopher://x"};
    cr_assert_null(kinesis_client_new(&o2, &err));
    expect_config_error(err, "malformed endpoint");
    kinesis_client_options o3 = {
        .region = "us-east-1", .access_key_id = "a", .secret_access_key = "b", .connect_timeout_ms = -1};
    cr_assert_null(kinesis_client_new(&o3, &err));
    expect_config_error(err, "negative");
    cr_assert_null(kinesis_client_new(&o3, NULL)); /* no error pointer: no leak, no crash */
    kinesis_client_options ok = {.access_key_id = "a",
                                 .secret_access_key = "b",
                                 .endpoint = "http://127.0.0.1:1",
                                 .user_agent = "test/1"};
    kinesis_client *c = kinesis_client_new(&ok, &err);
    cr_assert_not_null(c);
    cr_assert_null(err);
    cr_assert_str_eq(kinesis_client_region(c), "us-east-1");
    cr_assert_str_eq(kinesis_client_endpoint(c), "http://127.0.0.1:1");
    cr_assert_str_eq(kinesis_client_access_key_id(c), "a");
    kinesis_client_free(c);
}

/* The endpoint a client created with these options resolves to ("" when creation failed). */
static const char *endpoint_of(const char *explicit_endpoint, const char *region, char *buf, size_t len)
{
    kinesis_client_options o = {
        .region = region, .endpoint = explicit_endpoint, .access_key_id = "a", .secret_access_key = "b"};
    kinesis_error *err = NULL;
    kinesis_client *c = kinesis_client_new(&o, &err);
    snprintf(buf, len, "%s", c ? kinesis_client_endpoint(c) : "");
    if (c && !region)
        cr_assert_str_eq(kinesis_client_region(c), "us-east-1", "an endpoint without a region: us-east-1");
    kinesis_client_free(c);
    kinesis_error_free(err);
    return buf;
}

Test(config, endpoint_from_the_environment_in_aws_order)
{
    char b[256];
    cr_assert_str_eq(endpoint_of(NULL, "us-east-1", b, sizeof b), "https://kinesis.us-east-1.amazonaws.com");
    setenv("KINESIS_ENDPOINT", "http://127.0.0.1:3", 1);
    cr_assert_str_eq(endpoint_of(NULL, NULL, b, sizeof b), "http://127.0.0.1:3");
    setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:2", 1);
    cr_assert_str_eq(endpoint_of(NULL, NULL, b, sizeof b), "http://127.0.0.1:2");
    setenv("AWS_ENDPOINT_URL_KINESIS", "http://127.0.0.1:1/", 1);
    cr_assert_str_eq(endpoint_of(NULL, NULL, b, sizeof b), "http://127.0.0.1:1");
    cr_assert_str_eq(endpoint_of("http://127.0.0.1:9", NULL, b, sizeof b), "http://127.0.0.1:9",
                     "options.endpoint goes first");
    setenv("AWS_ENDPOINT_URL_KINESIS", "", 1); /* empty counts as unset */
    cr_assert_str_eq(endpoint_of(NULL, NULL, b, sizeof b), "http://127.0.0.1:2");
    setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "TRUE", 1); /* the SDKs' switch for AWS_ENDPOINT_URL* */
    cr_assert_str_eq(endpoint_of(NULL, NULL, b, sizeof b), "http://127.0.0.1:3");
    unsetenv("KINESIS_ENDPOINT");
    cr_assert_str_eq(endpoint_of(NULL, "eu-west-1", b, sizeof b), "https://kinesis.eu-west-1.amazonaws.com");
}

Test(config, malformed_endpoint_from_the_environment_names_the_variable)
{
    setenv("AWS_ENDPOINT_URL", "localhost:4567", 1);
    kinesis_client_options o = {.access_key_id = "a", .secret_access_key = "b"};
    kinesis_error *err = NULL;
    cr_assert_null(kinesis_client_new(&o, &err));
    cr_assert_not_null(err);
    cr_assert(strstr(err->message, "AWS_ENDPOINT_URL") != NULL, "%s", err->message);
    expect_config_error(err, "malformed endpoint 'localhost:4567'");
}

Test(config, neither_region_nor_endpoint)
{
    kinesis_client_options o = {.access_key_id = "a", .secret_access_key = "b"};
    kinesis_error *err = NULL;
    cr_assert_null(kinesis_client_new(&o, &err));
    expect_config_error(err, "KINESIS_ENDPOINT");
}

Test(config, ca_bundle_from_options_then_environment)
{
    char *path = NULL;
    kinesis_client_options o = {0};
    cr_assert_null(kc_resolve_ca_bundle(&o, &path));
    cr_assert_null(path, "none set: libcurl's default store");
    char file[128];
    snprintf(file, sizeof file, "%s/creds", tmpdir); /* removed by remove_tmp */
    write_file(file, "-----BEGIN CERTIFICATE-----\n");
    setenv("AWS_CA_BUNDLE", file, 1);
    cr_assert_null(kc_resolve_ca_bundle(&o, &path));
    cr_assert_str_eq(path, file);
    free(path);
    o.ca_bundle = "/nonexistent/ca.pem";
    expect_config_error(kc_resolve_ca_bundle(&o, &path), "/nonexistent/ca.pem (options.ca_bundle)");
    o.ca_bundle = NULL;
    setenv("AWS_CA_BUNDLE", "/nonexistent/env.pem", 1);
    expect_config_error(kc_resolve_ca_bundle(&o, &path), "/nonexistent/env.pem (AWS_CA_BUNDLE)");
}

Test(config, max_attempts_from_options_then_environment)
{
    int n = -1;
    kinesis_client_options o = {0};
    cr_assert_null(kc_resolve_max_attempts(&o, &n));
    cr_assert_eq(n, 0, "none set: the library's default");
    setenv("AWS_MAX_ATTEMPTS", "12", 1);
    cr_assert_null(kc_resolve_max_attempts(&o, &n));
    cr_assert_eq(n, 12);
    o.retry.max_attempts = 2;
    cr_assert_null(kc_resolve_max_attempts(&o, &n));
    cr_assert_eq(n, 2, "the option wins over the environment");
    o.retry.max_attempts = 0;
    setenv("AWS_MAX_ATTEMPTS", "0", 1);
    expect_config_error(kc_resolve_max_attempts(&o, &n), "AWS_MAX_ATTEMPTS");
    setenv("AWS_MAX_ATTEMPTS", "3x", 1);
    expect_config_error(kc_resolve_max_attempts(&o, &n), "'3x'");
}
