/* http_exchange.c: one HTTP exchange over libcurl's easy interface (see http_exchange.h). */
#include "shared/http_exchange.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct grow {
    char *data;
    size_t len;
    size_t max;
    int over;
} grow;

static size_t on_bytes(char *p, size_t size, size_t n, void *ud)
{
    grow *b = ud;
    size_t add = size * n;
    if (b->max && b->len + add > b->max) {
        b->over = 1;
        return 0;
    }
    char *d = realloc(b->data, b->len + add + 1);
    if (!d)
        return 0;
    memcpy(d + b->len, p, add);
    b->len += add;
    d[b->len] = 0;
    b->data = d;
    return add;
}

int hx_perform(void *curl, const hx_request *rq, hx_response *out)
{
    memset(out, 0, sizeof *out);
    CURL *h = curl;
    if (h)
        curl_easy_reset(h); /* keeps the connection cache */
    else
        h = curl_easy_init();
    if (!h) {
        out->curl_code = CURLE_FAILED_INIT;
        out->body = calloc(1, 1);
        out->headers = calloc(1, 1);
        return -1;
    }
    const char *method = rq->method ? rq->method : "GET";
    grow b = {.max = rq->max_body}, hb = {0};
    struct curl_slist *hl = NULL;
    for (size_t i = 0; rq->headers && rq->headers[i]; i++)
        hl = curl_slist_append(hl, rq->headers[i]);
    curl_easy_setopt(h, CURLOPT_URL, rq->url);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    if (rq->body || (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, rq->body ? (const char *)rq->body : "");
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(rq->body ? rq->body_len : 0));
    }
    if (!strcmp(method, "HEAD"))
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_bytes);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_bytes);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &hb);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, rq->timeout_ms > 0 ? rq->timeout_ms : 10000L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                     rq->connect_timeout_ms > 0 ? rq->connect_timeout_ms : 5000L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    if (rq->no_proxy)
        curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
    CURLcode rc = curl_easy_perform(h);
    curl_slist_free_all(hl);
    out->curl_code = (int)rc;
    out->too_large = b.over;
    if (rc == CURLE_OK)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out->status);
    curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &out->num_connects);
    out->body = b.data ? b.data : calloc(1, 1);
    out->body_len = b.len;
    out->headers = hb.data ? hb.data : calloc(1, 1);
    if (!curl)
        curl_easy_cleanup(h);
    return rc == CURLE_OK ? 0 : -1;
}

void hx_response_clean_up(hx_response *r)
{
    free(r->body);
    free(r->headers);
    memset(r, 0, sizeof *r);
}

char *hx_header(const hx_response *r, const char *name)
{
    if (!r->headers)
        return NULL;
    /* the final block: after the last status line */
    const char *block = r->headers;
    for (const char *p = r->headers; (p = strstr(p, "HTTP/")); p++)
        if (p == r->headers || p[-1] == '\n')
            block = p;
    size_t nl = strlen(name);
    char *found = NULL;
    for (const char *line = block; *line;) {
        const char *eol = strchr(line, '\n');
        size_t len = eol ? (size_t)(eol - line) : strlen(line);
        if (len > nl && line[nl] == ':' && strncasecmp(line, name, nl) == 0) {
            const char *v = line + nl + 1, *end = line + len;
            while (v < end && (*v == ' ' || *v == '\t'))
                v++;
            while (end > v && (end[-1] == '\r' || end[-1] == ' ' || end[-1] == '\t'))
                end--;
            free(found);
            found = strndup(v, (size_t)(end - v));
        }
        line += len + (eol ? 1 : 0);
    }
    return found;
}
