/* util.c: small helpers every libkinesis module uses: string copies, error values, base64
 * (the codec shared with the simulator, shared/base64.h), the real monotonic clock and sleep, and the
 * library's version and process-wide libcurl initialisation. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "internal.h"
#include "shared/base64.h"

#ifndef KINESIS_VERSION
#define KINESIS_VERSION "0.1.0"
#endif

const char *kinesis_version(void)
{
    return KINESIS_VERSION;
}

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static int global_rc;

static void global_init_once(void)
{
    global_rc = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

int kinesis_global_init(void)
{
    pthread_once(&global_once, global_init_once);
    return global_rc;
}

void kinesis_global_cleanup(void)
{
    curl_global_cleanup();
}

char *kc_strdup(const char *s)
{
    return s ? strdup(s) : NULL;
}

char *kc_strndup(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (!d)
        return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

__attribute__((format(printf, 1, 0))) static char *vformat(const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return NULL;
    char *s = malloc((size_t)n + 1);
    if (s)
        vsnprintf(s, (size_t)n + 1, fmt, ap);
    return s;
}

char *kc_sprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = vformat(fmt, ap);
    va_end(ap);
    return s;
}

/* A static error for when even the error cannot be allocated: kinesis_error_free ignores it. */
static kinesis_error nomem_error = {
    KINESIS_ERROR_LIBRARY, (char *)"OutOfMemory", (char *)"out of memory", 0, NULL, 0};

kinesis_error *kc_err_nomem(void)
{
    return &nomem_error;
}

__attribute__((format(printf, 4, 0))) static kinesis_error *err_v(kinesis_error_type type, const char *name,
                                                                  int status, const char *fmt, va_list ap)
{
    kinesis_error *e = calloc(1, sizeof *e);
    if (!e)
        return kc_err_nomem();
    e->type = type;
    e->name = kc_strdup(name ? name : "");
    e->message = vformat(fmt, ap);
    e->http_status = status;
    e->attempts = 0;
    if (!e->name || !e->message) {
        free(e->name);
        free(e->message);
        free(e);
        return kc_err_nomem();
    }
    return e;
}

kinesis_error *kc_err(kinesis_error_type type, const char *name, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    kinesis_error *e = err_v(type, name, status, fmt, ap);
    va_end(ap);
    return e;
}

kinesis_error *kinesis_error_new(kinesis_error_type type, const char *name, int http_status, const char *fmt,
                                 ...)
{
    va_list ap;
    va_start(ap, fmt);
    kinesis_error *e = err_v(type, name, http_status, fmt, ap);
    va_end(ap);
    return e == &nomem_error ? NULL : e;
}

void kinesis_error_free(kinesis_error *err)
{
    if (!err || err == &nomem_error)
        return;
    free(err->name);
    free(err->message);
    free(err->request_id);
    free(err);
}

const char *kinesis_error_type_name(kinesis_error_type type)
{
    switch (type) {
    case KINESIS_ERROR_LIBRARY:
        return "LIBRARY_ERROR";
    case KINESIS_ERROR_REQUEST_FAILED:
        return "REQUEST_FAILED";
    case KINESIS_ERROR_UNEXPECTED_RESPONSE:
        return "UNEXPECTED_RESPONSE";
    }
    return "UNKNOWN_ERROR";
}

char *kc_base64_encode(const void *data, size_t len)
{
    return b64_encode(data, len, NULL);
}

uint8_t *kc_base64_decode(const char *text, size_t *len)
{
    uint8_t *out;
    return b64_decode(text, &out, len) == 0 ? out : NULL;
}

int64_t kc_real_now_ms(void *user)
{
    (void)user;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void kc_real_sleep_ms(int64_t ms, void *user)
{
    (void)user;
    if (ms <= 0)
        return;
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {
    }
}
