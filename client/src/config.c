/* config.c: everything a client is configured with, resolved once in kinesis_client_new():
 * region (options, AWS_REGION, AWS_DEFAULT_REGION), endpoint (options, AWS_ENDPOINT_URL_KINESIS,
 * AWS_ENDPOINT_URL, KINESIS_ENDPOINT, else derived from the region), the CA bundle (options,
 * AWS_CA_BUNDLE), credentials (explicit, AWS_* environment, or a profile of the shared credentials
 * file), timeouts, retry policy (AWS_MAX_ATTEMPTS when the options leave attempts at 0) and user
 * agent. Anything missing or malformed is a LIBRARY error named Configuration that says what and
 * where. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "internal.h"
#include "testing.h"

static int empty(const char *s)
{
    return !s || !*s;
}

static const char *env(const char *name)
{
    const char *v = getenv(name);
    return empty(v) ? NULL : v;
}

void kc_credentials_clean_up(kc_credentials *c)
{
    free(c->access_key_id);
    free(c->secret_access_key);
    free(c->session_token);
    memset(c, 0, sizeof *c);
}

static int set_creds(kc_credentials *out, const char *akid, const char *secret, const char *token)
{
    out->access_key_id = kc_strdup(akid);
    out->secret_access_key = kc_strdup(secret);
    out->session_token = empty(token) ? NULL : kc_strdup(token);
    if (!out->access_key_id || !out->secret_access_key || (!empty(token) && !out->session_token)) {
        kc_credentials_clean_up(out);
        return -1;
    }
    return 0;
}

/* Trim spaces in place; returns the start. */
static char *trim(char *s)
{
    while (*s && isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

kinesis_error *kc_parse_credentials_file(const char *text, const char *profile, const char *file_name,
                                         kc_credentials *out)
{
    memset(out, 0, sizeof *out);
    if (!text || empty(profile))
        return kc_err(KINESIS_ERROR_LIBRARY, KINESIS_ERR_CONFIGURATION, 0, "no profile");
    char *copy = kc_strdup(text);
    if (!copy)
        return kc_err_nomem();
    char *akid = NULL, *secret = NULL, *token = NULL;
    int in_profile = 0, found = 0, line_no = 0;
    kinesis_error *err = NULL;
    char *save = NULL;
    for (char *line = copy; line && !err; line = save) {
        char *nl = strchr(line, '\n');
        save = nl ? nl + 1 : NULL;
        if (nl)
            *nl = '\0';
        line_no++;
        char *s = trim(line);
        if (!*s || *s == '#' || *s == ';')
            continue;
        if (*s == '[') {
            char *end = strchr(s, ']');
            if (!end || *trim(end + 1)) {
                err = kc_err(KINESIS_ERROR_LIBRARY, KINESIS_ERR_CONFIGURATION, 0,
                             "%s:%d: malformed section header", file_name, line_no);
                break;
            }
            *end = '\0';
            char *name = trim(s + 1);
            /* ~/.aws/config style "[profile x]" is accepted too. */
            if (strncmp(name, "profile ", 8) == 0)
                name = trim(name + 8);
            in_profile = strcmp(name, profile) == 0;
            if (in_profile)
                found = 1;
            continue;
        }
        char *eq = strchr(s, '=');
        if (!eq) {
            err = kc_err(KINESIS_ERROR_LIBRARY, KINESIS_ERR_CONFIGURATION, 0, "%s:%d: expected 'key = value'",
                         file_name, line_no);
            break;
        }
        if (!in_profile)
            continue;
        *eq = '\0';
        char *key = trim(s), *value = trim(eq + 1);
        for (char *k = key; *k; k++)
            *k = (char)tolower((unsigned char)*k);
        if (strcmp(key, "aws_access_key_id") == 0)
            akid = value;
        else if (strcmp(key, "aws_secret_access_key") == 0)
            secret = value;
        else if (strcmp(key, "aws_session_token") == 0)
            token = value;
    }
    if (!err && !found)
        err = kc_err(KINESIS_ERROR_LIBRARY, KINESIS_ERR_CONFIGURATION, 0, "profile '%s' not found in %s",
                     profile, file_name);
    if (!err && (empty(akid) || empty(secret)))
        err = kc_err(KINESIS_ERROR_LIBRARY, KINESIS_ERR_CONFIGURATION, 0, "profile '%s' in %s lacks %s",
                     profile, file_name, empty(akid) ? "aws_access_key_id" : "aws_secret_access_key");
    if (!err && set_creds(out, akid, secret, token) != 0)
        err = kc_err_nomem();
    free(copy);
    return err;
}

static char *read_file(const char *path, kinesis_error **err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        *err = kc_err(KINESIS_ERROR_LIBRARY, KINESIS_ERR_CONFIGURATION, 0,
                      "no credentials: none given, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY not set, and "
                      "cannot read %s",
                      path);
        return NULL;
    }
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    while (buf) {
        size_t n = fread(buf + len, 1, cap - len - 1, f);
        len += n;
        if (n == 0)
            break;
        if (len + 1 == cap) {
            if (cap > (1u << 20))
                break; /* a credentials file is small: read at most 1 MiB */
            char *nb = realloc(buf, cap *= 2);
            if (!nb) {
                free(buf);
                buf = NULL;
            } else
                buf = nb;
        }
    }
    fclose(f);
    if (!buf) {
        *err = kc_err_nomem();
        return NULL;
    }
    buf[len] = '\0';
    return buf;
}

static kinesis_error *from_profile(const char *profile, kc_credentials *out)
{
    const char *file = env("AWS_SHARED_CREDENTIALS_FILE");
    char *path = NULL;
    if (file)
        path = kc_strdup(file);
    else {
        const char *home = env("HOME");
        if (!home)
            return kc_err(KINESIS_ERROR_LIBRARY, KINESIS_ERR_CONFIGURATION, 0,
                          "no credentials: none given, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY not set, and "
                          "neither HOME nor AWS_SHARED_CREDENTIALS_FILE is set");
        path = kc_sprintf("%s/.aws/credentials", home);
    }
    if (!path)
        return kc_err_nomem();
    kinesis_error *err = NULL;
    char *text = read_file(path, &err);
    if (text) {
        err = kc_parse_credentials_file(text, profile, path, out);
        free(text);
    }
    free(path);
    return err;
}

kinesis_error *kc_resolve_credentials(const kinesis_client_options *opts, kc_credentials *out)
{
    memset(out, 0, sizeof *out);
    if (!empty(opts->access_key_id) || !empty(opts->secret_access_key)) {
        if (empty(opts->access_key_id) || empty(opts->secret_access_key))
            return kc_err(KINESIS_ERROR_LIBRARY, KINESIS_ERR_CONFIGURATION, 0,
                          "credentials: %s given without %s",
                          empty(opts->access_key_id) ? "secret_access_key" : "access_key_id",
                          empty(opts->access_key_id) ? "access_key_id" : "secret_access_key");
        return set_creds(out, opts->access_key_id, opts->secret_access_key, opts->session_token)
                   ? kc_err_nomem()
                   : NULL;
    }
    if (!empty(opts->profile))
        return from_profile(opts->profile, out);
    const char *akid = env("AWS_ACCESS_KEY_ID"), *secret = env("AWS_SECRET_ACCESS_KEY");
    if (akid || secret) {
        if (!akid || !secret)
            return kc_err(KINESIS_ERROR_LIBRARY, KINESIS_ERR_CONFIGURATION, 0,
                          "credentials: %s is set but %s is not",
                          akid ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
                          akid ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
        return set_creds(out, akid, secret, env("AWS_SESSION_TOKEN")) ? kc_err_nomem() : NULL;
    }
    const char *profile = env("AWS_PROFILE");
    return from_profile(profile ? profile : "default", out);
}

static int valid_region(const char *r)
{
    size_t n = strlen(r);
    if (n == 0 || n > 63)
        return 0;
    for (const char *p = r; *p; p++)
        if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '-'))
            return 0;
    return 1;
}

/* AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true makes the AWS SDKs ignore AWS_ENDPOINT_URL(_<SERVICE>);
 * an endpoint given in code (options.endpoint) is used regardless. */
static int ignore_configured_endpoints(void)
{
    const char *v = env("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
    return v && strcasecmp(v, "true") == 0;
}

const char *kc_configured_endpoint(const kinesis_client_options *opts, const char **source)
{
    const char *src = NULL, *v = NULL;
    if (!empty(opts->endpoint)) {
        src = "options.endpoint";
        v = opts->endpoint;
    } else if (!ignore_configured_endpoints() && (v = env("AWS_ENDPOINT_URL_KINESIS")) != NULL) {
        src = "AWS_ENDPOINT_URL_KINESIS";
    } else if (!ignore_configured_endpoints() && (v = env("AWS_ENDPOINT_URL")) != NULL) {
        src = "AWS_ENDPOINT_URL";
    } else if ((v = env("KINESIS_ENDPOINT")) != NULL) {
        src = "KINESIS_ENDPOINT";
    }
    if (source)
        *source = src;
    return v;
}

kinesis_error *kc_resolve_region(const kinesis_client_options *opts, char **region)
{
    *region = NULL;
    const char *r = !empty(opts->region) ? opts->region : env("AWS_REGION");
    if (!r)
        r = env("AWS_DEFAULT_REGION");
    if (!r && kc_configured_endpoint(opts, NULL))
        r = "us-east-1";
    if (!r)
        return kc_err(
            KINESIS_ERROR_LIBRARY, KINESIS_ERR_CONFIGURATION, 0,
            "no region and no endpoint: set options.region, AWS_REGION or AWS_DEFAULT_REGION "
            "(for AWS), or an endpoint (options.endpoint, AWS_ENDPOINT_URL_KINESIS, AWS_ENDPOINT_URL "
            "or KINESIS_ENDPOINT)");
    if (!valid_region(r))
        return kc_err(KINESIS_ERROR_LIBRARY, KINESIS_ERR_CONFIGURATION, 0,
                      "malformed region '%s' (expected lowercase letters, digits and '-')", r);
    *region = kc_strdup(r);
    return *region ? NULL : kc_err_nomem();
}

void kc_endpoint_clean_up(kc_endpoint *e)
{
    free(e->url);
    free(e->host);
    free(e->path);
    memset(e, 0, sizeof *e);
}

kinesis_error *kc_resolve_endpoint(const char *override, const char *region, kc_endpoint *out)
{
    memset(out, 0, sizeof *out);
    char *url = !empty(override) ? kc_strdup(override)
                                 : kc_sprintf("https://kinesis.%s.amazonaws.com%s", region,
                                              strncmp(region, "cn-", 3) == 0 ? ".cn" : "");
    if (!url)
        return kc_err_nomem();
    size_t n = strlen(url);
    while (n > 0 && url[n - 1] == '/')
        url[--n] = '\0';
    kinesis_error *err = NULL;
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL, *port = NULL, *path = NULL;
    if (!u)
        err = kc_err_nomem();
    else if (strstr(url, "://") == NULL || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK)
        err = kc_err(KINESIS_ERROR_LIBRARY, KINESIS_ERR_CONFIGURATION, 0,
                     "malformed endpoint '%s' (expected http://host[:port] or https://host[:port])", url);
    else {
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0);
        curl_url_get(u, CURLUPART_HOST, &host, 0);
        curl_url_get(u, CURLUPART_PORT, &port, 0);
        curl_url_get(u, CURLUPART_PATH, &path, 0);
        if (!scheme || (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0) || !host || !*host)
            err = kc_err(KINESIS_ERROR_LIBRARY, KINESIS_ERR_CONFIGURATION, 0,
                         "malformed endpoint '%s' (scheme must be http or https, with a host)", url);
        else {
            out->url = url;
            url = NULL;
            out->host = port ? kc_sprintf("%s:%s", host, port) : kc_strdup(host);
            out->path = kc_strdup(path && *path ? path : "/");
            if (!out->host || !out->path)
                err = kc_err_nomem();
        }
    }
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_free(path);
    if (u)
        curl_url_cleanup(u);
    free(url);
    if (err)
        kc_endpoint_clean_up(out);
    return err;
}

kinesis_error *kc_resolve_ca_bundle(const kinesis_client_options *opts, char **path)
{
    *path = NULL;
    const char *source = "options.ca_bundle";
    const char *p = opts->ca_bundle;
    if (empty(p)) {
        source = "AWS_CA_BUNDLE";
        p = env("AWS_CA_BUNDLE");
    }
    if (!p)
        return NULL;
    /* Checked now: libcurl would only say "error setting certificate file" at the first request. */
    FILE *f = fopen(p, "rb");
    if (!f)
        return kc_err(KINESIS_ERROR_LIBRARY, KINESIS_ERR_CONFIGURATION, 0,
                      "cannot read the CA bundle %s (%s): %s", p, source, strerror(errno));
    fclose(f);
    *path = kc_strdup(p);
    return *path ? NULL : kc_err_nomem();
}

kinesis_error *kc_resolve_max_attempts(const kinesis_client_options *opts, int *max_attempts)
{
    *max_attempts = opts->retry.max_attempts;
    const char *v = env("AWS_MAX_ATTEMPTS");
    if (opts->retry.max_attempts != 0 || !v)
        return NULL;
    /* the AWS SDKs' and CLI's variable: total attempts, the first included */
    char *end = NULL;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || end == v || *end || n < 1 || n > 1000)
        return kc_err(KINESIS_ERROR_LIBRARY, KINESIS_ERR_CONFIGURATION, 0,
                      "AWS_MAX_ATTEMPTS must be a whole number from 1 to 1000, not '%s'", v);
    *max_attempts = (int)n;
    return NULL;
}

kinesis_client *kinesis_client_new(const kinesis_client_options *opts, kinesis_error **errp)
{
    kinesis_client_options none = {0};
    if (!opts)
        opts = &none;
    kinesis_error *err = NULL;
    if (errp)
        *errp = NULL;
    if (kinesis_global_init() != 0) {
        if (errp)
            *errp = kc_err(KINESIS_ERROR_LIBRARY, KINESIS_ERR_CONFIGURATION, 0, "curl_global_init failed");
        return NULL;
    }
    kinesis_client *c = calloc(1, sizeof *c);
    if (!c) {
        if (errp)
            *errp = kc_err_nomem();
        return NULL;
    }
    c->now = kc_real_now_ms;
    c->sleep_ms = kc_real_sleep_ms;
    c->rng = ((uint64_t)time(NULL) << 20) ^ (uint64_t)getpid() ^ (uint64_t)(uintptr_t)c;
    c->connect_timeout_ms = opts->connect_timeout_ms > 0 ? opts->connect_timeout_ms : 5000;
    c->request_timeout_ms = opts->request_timeout_ms > 0 ? opts->request_timeout_ms : 30000;
    if (opts->connect_timeout_ms < 0 || opts->request_timeout_ms < 0)
        err = kc_err(KINESIS_ERROR_LIBRARY, KINESIS_ERR_CONFIGURATION, 0, "timeouts must not be negative");
    c->retry = opts->retry;
    c->http2_prior_knowledge = opts->http2_prior_knowledge != 0;
    if (!err)
        err = kc_resolve_max_attempts(opts, &c->retry.max_attempts);
    if (!err && (c->retry.max_attempts < 0 || c->retry.base_delay_ms < 0 || c->retry.max_delay_ms < 0 ||
                 c->retry.max_total_ms < 0))
        err = kc_err(KINESIS_ERROR_LIBRARY, KINESIS_ERR_CONFIGURATION, 0,
                     "retry policy values must not be negative");
    kinesis_retry_policy_defaults(&c->retry);
    if (!err)
        err = kc_resolve_region(opts, &c->region);
    if (!err) {
        const char *source = NULL;
        const char *ep = kc_configured_endpoint(opts, &source);
        err = kc_resolve_endpoint(ep, c->region, &c->endpoint);
        if (err && source && err != kc_err_nomem()) { /* say where the bad URL came from */
            char *m = kc_sprintf("%s (from %s)", err->message, source);
            if (m) {
                free(err->message);
                err->message = m;
            }
        }
    }
    if (!err)
        err = kc_resolve_ca_bundle(opts, &c->ca_bundle);
    if (!err)
        err = kc_resolve_credentials(opts, &c->creds);
    if (!err) {
        c->user_agent = empty(opts->user_agent)
                            ? kc_sprintf("libkinesis/%s", kinesis_version())
                            : kc_sprintf("libkinesis/%s %s", kinesis_version(), opts->user_agent);
        c->multi = curl_multi_init();
        if (!c->user_agent || !c->multi)
            err = kc_err_nomem();
    }
    if (err) {
        kinesis_client_free(c);
        if (errp)
            *errp = err;
        else
            kinesis_error_free(err);
        return NULL;
    }
    return c;
}

const char *kinesis_client_endpoint(const kinesis_client *client)
{
    return client ? client->endpoint.url : NULL;
}
const char *kinesis_client_region(const kinesis_client *client)
{
    return client ? client->region : NULL;
}
const char *kinesis_client_access_key_id(const kinesis_client *client)
{
    return client ? client->creds.access_key_id : NULL;
}

void kinesis_set_debug(kinesis_client *client, int on)
{
    if (client)
        client->debug = on;
}

void kc_client_set_time_hooks(kinesis_client *client, kc_now_fn now, kc_sleep_fn sleep_ms, void *user)
{
    if (!client)
        return;
    client->now = now ? now : kc_real_now_ms;
    client->sleep_ms = sleep_ms ? sleep_ms : kc_real_sleep_ms;
    client->time_user = user;
}

void kc_client_set_rng_seed(kinesis_client *client, uint64_t seed)
{
    if (client)
        client->rng = seed;
}
