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

#include "shared/sigv4.h"

#define CF_MAX_HEADERS 32
#define CF_MAX_BODY (64u * 1024 * 1024)

typedef struct buf {
    char *p;
    size_t len;
    int overflow;
} buf;

static size_t on_body(char *data, size_t size, size_t n, void *ud)
{
    buf *b = ud;
    size_t add = size * n;
    if (b->len + add > CF_MAX_BODY) {
        b->overflow = 1;
        return 0;
    }
    char *p = realloc(b->p, b->len + add + 1);
    if (!p)
        return 0;
    memcpy(p + b->len, data, add);
    b->p = p;
    b->len += add;
    b->p[b->len] = '\0';
    return add;
}

static size_t on_header(char *data, size_t size, size_t n, void *ud)
{
    json_t *headers = ud;
    size_t len = size * n;
    if (len >= 5 && !strncmp(data, "HTTP/", 5)) {
        json_object_clear(headers); /* a new status line (after 100 Continue) */
        return len;
    }
    const char *colon = memchr(data, ':', len);
    if (!colon)
        return len;
    char name[128];
    size_t nl = (size_t)(colon - data);
    if (nl == 0 || nl >= sizeof name)
        return len;
    for (size_t k = 0; k < nl; k++)
        name[k] = (char)tolower((unsigned char)data[k]);
    name[nl] = '\0';
    const char *v = colon + 1, *end = data + len;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
        end--;
    char *value = strndup(v, (size_t)(end - v));
    json_t *js = value ? json_stringn(value, strlen(value)) : NULL;
    if (js)
        json_object_set_new(headers, name, js);
    free(value);
    return len;
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

    CURL *curl = curl_easy_init();
    if (!curl) {
        out->transport_error = strdup("curl_easy_init failed");
        goto done;
    }
    size_t ulen = strlen(env->endpoint) + strlen(path) + (query ? strlen(query) + 1 : 0) + 1;
    char *url = malloc(ulen);
    const char *ep = env->endpoint;
    size_t eplen = strlen(ep);
    while (eplen && ep[eplen - 1] == '/')
        eplen--;
    cf_fmt(url, ulen, "%.*s%s%s%s", (int)eplen, ep, path, query ? "?" : "", query ? query : "");
    struct curl_slist *hl = NULL;
    for (size_t k = 0; k < h.n; k++) {
        char line[8192];
        cf_fmt(line, sizeof line, "%s:%s%s", h.name[k], h.value[k] ? " " : "", h.value[k] ? h.value[k] : "");
        hl = curl_slist_append(hl, line);
    }
    hl = curl_slist_append(hl, "Expect:");
    buf b = {0};
    json_t *rh = json_object();
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
    if (strcmp(method, "GET") != 0 || body_len) {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)body_len);
    }
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, rh);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)(timeout_ms > 0 ? timeout_ms : 1));
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    CURLcode rc = curl_easy_perform(curl);
    if (rc != CURLE_OK) {
        char msg[512];
        cf_fmt(msg, sizeof msg, "%s%s", curl_easy_strerror(rc), b.overflow ? " (answer too large)" : "");
        out->transport_error = strdup(msg);
        free(b.p);
        json_decref(rh);
    } else {
        long status = 0;
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
        out->status = (int)status;
        out->raw_body = b.p ? b.p : strdup("");
        out->headers = rh;
        if (b.len)
            out->body = json_loadb(b.p, b.len, JSON_DECODE_ANY, NULL);
        cf_response_parse_error(out);
    }
    curl_slist_free_all(hl);
    curl_easy_cleanup(curl);
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
