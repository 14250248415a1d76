/* http_raw.c: raw HTTP steps with libcurl, optionally SigV4-signed (see http_raw.h). */
#include "http_raw.h"
#include "vars.h"

#include <ctype.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "shared/http_exchange.h"
#include "shared/sigv4.h"

#define CF_MAX_HEADERS 32
#define CF_MAX_BODY (64u * 1024 * 1024)

/* The answer's final header block (after any 100 Continue) as {lower-case name: value}. */
static json_t *headers_json(const char *block)
{
    json_t *headers = json_object();
    for (const char *line = block; line && *line;) {
        const char *eol = strchr(line, '\n');
        size_t len = eol ? (size_t)(eol - line) : strlen(line);
        if (len >= 5 && !strncmp(line, "HTTP/", 5)) {
            json_object_clear(headers); /* a new status line */
        } else {
            const char *colon = memchr(line, ':', len);
            char name[128];
            size_t nl = colon ? (size_t)(colon - line) : 0;
            if (nl > 0 && nl < sizeof name) {
                for (size_t k = 0; k < nl; k++)
                    name[k] = (char)tolower((unsigned char)line[k]);
                name[nl] = '\0';
                const char *v = colon + 1, *end = line + len;
                while (v < end && (*v == ' ' || *v == '\t'))
                    v++;
                while (end > v && (end[-1] == '\r' || end[-1] == ' '))
                    end--;
                json_object_set_new(headers, name, json_stringn(v, (size_t)(end - v)));
            }
        }
        line += len + (eol ? 1 : 0);
    }
    return headers;
}

char *cf_endpoint_host(const char *endpoint)
{
    const char *p = strstr(endpoint, "://");
    p = p ? p + 3 : endpoint;
    size_t n = strcspn(p, "/?#");
    return strndup(p, n);
}

typedef struct hdr_list {
    char *name[CF_MAX_HEADERS];
    char *value[CF_MAX_HEADERS]; /* NULL: remove this header */
    size_t n;
} hdr_list;

static void hl_set(hdr_list *h, const char *name, const char *value)
{
    for (size_t k = 0; k < h->n; k++)
        if (!strcasecmp(h->name[k], name)) {
            free(h->value[k]);
            h->value[k] = value ? strdup(value) : NULL;
            return;
        }
    if (h->n == CF_MAX_HEADERS)
        return;
    h->name[h->n] = strdup(name);
    h->value[h->n] = value ? strdup(value) : NULL;
    h->n++;
}

static const char *hl_get(const hdr_list *h, const char *name)
{
    for (size_t k = 0; k < h->n; k++)
        if (!strcasecmp(h->name[k], name))
            return h->value[k];
    return NULL;
}

static void hl_free(hdr_list *h)
{
    for (size_t k = 0; k < h->n; k++) {
        free(h->name[k]);
        free(h->value[k]);
    }
    h->n = 0;
}

static int sign(const cf_env *env, const char *method, const char *path, const char *query, hdr_list *h,
                const char *body, size_t body_len)
{
    char amz_date[17], date[9];
    int64_t now = (int64_t)time(NULL);
    sigv4_format_time(now, amz_date, date);
    hl_set(h, "X-Amz-Date", amz_date);
    if (env->session_token)
        hl_set(h, "X-Amz-Security-Token", env->session_token);
    sigv4_header sh[CF_MAX_HEADERS];
    size_t n = 0;
    for (size_t k = 0; k < h->n; k++)
        if (h->value[k]) {
            sh[n].name = h->name[k];
            sh[n].value = h->value[k];
            n++;
        }
    sigv4_request req = {.method = method,
                         .path = path,
                         .query = query,
                         .headers = sh,
                         .n_headers = n,
                         .body = (const uint8_t *)body,
                         .body_len = body_len};
    sigv4_params p = {.access_key_id = env->access_key_id,
                      .secret_access_key = env->secret_access_key,
                      .session_token = env->session_token,
                      .region = env->region,
                      .service = "kinesis",
                      .epoch_seconds = now,
                      .normalize_path = 1};
    sigv4_result r;
    memset(&r, 0, sizeof r);
    int rc = sigv4_sign(&req, &p, &r);
    if (rc == 0 && r.authorization)
        hl_set(h, "Authorization", r.authorization);
    sigv4_result_clean_up(&r);
    return rc;
}

void cf_http_raw(const cf_env *env, const json_t *raw, int64_t timeout_ms, cf_response *out)
{
    memset(out, 0, sizeof *out);
    const char *method = json_string_value(json_object_get(raw, "method"));
    const char *path = json_string_value(json_object_get(raw, "path"));
    const char *query = json_string_value(json_object_get(raw, "query"));
    const char *target = json_string_value(json_object_get(raw, "target"));
    const json_t *jbody = json_object_get(raw, "body");
    const json_t *jsign = json_object_get(raw, "sign");
    method = method ? method : "POST";
    path = path ? path : "/";

    char *body = NULL;
    if (json_is_string(jbody))
        body = strdup(json_string_value(jbody));
    else if (jbody)
        body = json_dumps(jbody, JSON_COMPACT | JSON_ENCODE_ANY);
    else
        body = strdup("");
    size_t body_len = body ? strlen(body) : 0;

    hdr_list h = {0};
    char *host = cf_endpoint_host(env->endpoint);
    hl_set(&h, "Host", host);
    free(host);
    const json_t *ct = json_object_get(raw, "content_type");
    if (!ct)
        hl_set(&h, "Content-Type", "application/x-amz-json-1.1");
    else
        hl_set(&h, "Content-Type", json_string_value(ct)); /* null: no Content-Type */
    if (target) {
        char t[300];
        cf_fmt(t, sizeof t, "%s%s", strchr(target, '.') ? "" : "Kinesis_20131202.", target);
        hl_set(&h, "X-Amz-Target", t);
    }
    const json_t *headers = json_object_get(raw, "headers");
    const char *key;
    const json_t *val;
    json_object_foreach((json_t *)headers, key, val) hl_set(&h, key, json_string_value(val));
    if ((!jsign || json_is_true(jsign)) && !hl_get(&h, "Authorization") &&
        sign(env, method, path, query, &h, body, body_len) < 0) {
        out->transport_error = strdup("SigV4 signing failed");
        goto done;
    }

    size_t ulen = strlen(env->endpoint) + strlen(path) + (query ? strlen(query) + 1 : 0) + 1;
    char *url = malloc(ulen);
    const char *ep = env->endpoint;
    size_t eplen = strlen(ep);
    while (eplen && ep[eplen - 1] == '/')
        eplen--;
    cf_fmt(url, ulen, "%.*s%s%s%s", (int)eplen, ep, path, query ? "?" : "", query ? query : "");
    const char *lines[CF_MAX_HEADERS + 2];
    char *line_mem[CF_MAX_HEADERS];
    size_t nl = 0;
    for (size_t k = 0; k < h.n; k++) {
        size_t need = strlen(h.name[k]) + (h.value[k] ? strlen(h.value[k]) : 0) + 3;
        line_mem[nl] = malloc(need);
        cf_fmt(line_mem[nl], need, "%s:%s%s", h.name[k], h.value[k] ? " " : "", h.value[k] ? h.value[k] : "");
        lines[nl] = line_mem[nl];
        nl++;
    }
    lines[nl] = "Expect:";
    lines[nl + 1] = NULL;
    hx_request rq = {.method = method,
                     .url = url,
                     .headers = lines,
                     .body = (strcmp(method, "GET") != 0 || body_len) ? body : NULL,
                     .body_len = body_len,
                     .timeout_ms = (long)(timeout_ms > 0 ? timeout_ms : 1),
                     .max_body = CF_MAX_BODY};
    hx_response r;
    if (hx_perform(NULL, &rq, &r) != 0) {
        char msg[512];
        cf_fmt(msg, sizeof msg, "%s%s", curl_easy_strerror((CURLcode)r.curl_code),
               r.too_large ? " (answer too large)" : "");
        out->transport_error = strdup(msg);
    } else {
        out->status = (int)r.status;
        out->raw_body = r.body;
        r.body = NULL;
        out->headers = headers_json(r.headers);
        if (r.body_len)
            out->body = json_loadb(out->raw_body, r.body_len, JSON_DECODE_ANY, NULL);
        cf_response_parse_error(out);
    }
    hx_response_clean_up(&r);
    for (size_t k = 0; k < nl; k++)
        free(line_mem[k]);
    free(url);
done:
    hl_free(&h);
    free(body);
}

int cf_endpoint_answers(const cf_env *env, int64_t timeout_ms, char *why, size_t why_len)
{
    json_t *raw = json_pack("{ss ss s{si}}", "method", "POST", "target", "ListStreams", "body", "Limit", 1);
    cf_response r;
    cf_http_raw(env, raw, timeout_ms, &r);
    json_decref(raw);
    int ok = r.status > 0;
    if (!ok && why && why_len)
        cf_fmt(why, why_len, "%s", r.transport_error ? r.transport_error : "no HTTP answer");
    cf_response_clean_up(&r);
    return ok;
}
