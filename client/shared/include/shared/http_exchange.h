/* shared/http_exchange.h: one HTTP request and its whole answer over libcurl's easy interface,
 * exactly as given (method, URL, header lines, body): the one request builder of kinesis-conform's
 * raw steps (conformance/http_raw.c) and of the integration tests (tests/integration/testlib.c).
 * libkinesis itself runs its calls on libcurl's multi interface (client/src/engine.c), and the
 * simulator links none of this. */
#ifndef KINESIS_SHARED_HTTP_EXCHANGE_H
#define KINESIS_SHARED_HTTP_EXCHANGE_H

#include <stddef.h>

typedef struct hx_request {
    const char *method;         /* "POST", "GET", ... (NULL: GET) */
    const char *url;            /* the whole URL, query included */
    const char *const *headers; /* "Name: value" lines ("Name:" removes one libcurl would add),
                                   NULL-terminated, or NULL */
    const void *body;           /* sent when not NULL, or whenever the method is not GET/HEAD */
    size_t body_len;
    long timeout_ms;         /* the whole exchange (0: 10000) */
    long connect_timeout_ms; /* 0: 5000 */
    size_t max_body;         /* a longer answer fails the exchange (0: no limit) */
    int no_proxy;            /* ignore proxy settings of the environment (tests on loopback) */
} hx_request;

typedef struct hx_response {
    long status; /* HTTP status; 0 when no answer came back */
    char *body;  /* NUL-terminated (it may also contain NULs: use body_len); never NULL */
    size_t body_len;
    char *headers;     /* the raw header block(s), any 100 Continue included; never NULL */
    long num_connects; /* connections opened: 0 means a kept-alive one was reused */
    int curl_code;     /* CURLE_OK, or libcurl's error (52: the server closed without answering) */
    int too_large;     /* the body passed max_body */
} hx_response;

/* Send rq on curl (a CURL * easy handle to reuse, which keeps its connection alive; NULL: a fresh
 * one). out is filled either way and must be cleaned up. Returns 0 when an answer came back, -1
 * otherwise (out->curl_code says why). */
int hx_perform(void *curl, const hx_request *rq, hx_response *out);
void hx_response_clean_up(hx_response *r);

/* The value of the last header `name` (case-insensitive) of the final header block, malloc'd;
 * NULL when absent. */
char *hx_header(const hx_response *r, const char *name);

#endif
