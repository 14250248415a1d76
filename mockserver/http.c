/* http.c: the HTTP/1.1 front door on libmicrohttpd (the only file that includes microhttpd.h).
 *
 * One internal polling thread (epoll) runs every request, so the router, store and handlers are
 * single-threaded. A request's life, following libmicrohttpd's handler contract:
 *   - the URI callback allocates the per-request state and keeps the raw URI (for the query);
 *   - first access call (headers only): a Content-Length above --max-body-bytes is answered 413
 *     at once, before the body is read (curl's Expect: 100-continue then never sends it);
 *     otherwise MHD sends 100 Continue when asked and the body follows;
 *   - middle calls append the body (a chunked body that grows too large is discarded and 413'd);
 *   - the last call builds a sim_request, calls sim_dispatch and sends the answer. When the answer
 *     asks for a delay, the connection is suspended and a small timer thread resumes it later
 *     (the timer thread only ever calls MHD_resume_connection); when it asks for a drop, the
 *     connection is closed without an answer.
 * Every answer carries x-amzn-RequestId and x-amz-id-2. */
#include "http.h"

#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "codec.h"
#include "reqid.h"
#include "router.h"

#define CONN_MEMORY_LIMIT ((size_t)256 * 1024) /* per-connection buffer; MHD's default is 32 KiB */
#define BODY_PREALLOC_MAX ((size_t)1024 * 1024)
#define CONN_TIMEOUT_S 120u /* idle keep-alive connections are closed after this */

typedef enum { REQ_NEW = 0, REQ_RECEIVING, REQ_DELAYED } req_state;

typedef struct http_req {
    struct sim_http *h;
    struct MHD_Connection *conn;
    char *uri; /* raw, with the query string */
    req_state state;
    uint8_t *body;
    size_t len, cap;
    int too_large;
    sim_response resp; /* kept while a delayed answer waits */
    char request_id[SIM_REQUEST_ID_LEN];
    char target[128]; /* for the debug line */
    const char *method, *path;
    struct timespec t0, due;
    struct http_req *next; /* in the pending list while delayed */
} http_req;

struct sim_http {
    sim_server *srv;
    struct MHD_Daemon *daemon;
    int port;
    pthread_t timer;
    int timer_running;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    http_req *pending; /* delayed answers, sorted by due time */
    int stopping;      /* no more suspensions; resume everything */
    int delayed;       /* requests suspended for a delay and not completed yet */
};

/* ---- time ---- */

static struct timespec mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts;
}

static int ts_before(struct timespec a, struct timespec b)
{
    return a.tv_sec < b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec < b.tv_nsec);
}

static double ms_since(struct timespec t0)
{
    struct timespec t = mono_now();
    return (double)(t.tv_sec - t0.tv_sec) * 1e3 + (double)(t.tv_nsec - t0.tv_nsec) / 1e6;
}

/* ---- the delay timer: resumes suspended connections when their time comes ---- */

static void *timer_main(void *arg)
{
    sim_http *h = arg;
    pthread_mutex_lock(&h->mu);
    for (;;) {
        http_req *r = h->pending;
        if (r && (h->stopping || !ts_before(mono_now(), r->due))) {
            h->pending = r->next;
            r->next = NULL;
            struct MHD_Connection *c = r->conn;
            pthread_mutex_unlock(&h->mu);
            MHD_resume_connection(c); /* r may be freed by the MHD thread from here on */
            pthread_mutex_lock(&h->mu);
            continue;
        }
        if (h->stopping && !h->pending)
            break;
        if (r)
            pthread_cond_timedwait(&h->cv, &h->mu, &r->due);
        else
            pthread_cond_wait(&h->cv, &h->mu);
    }
    pthread_mutex_unlock(&h->mu);
    return NULL;
}

static void schedule(sim_http *h, http_req *r, int64_t delay_ms)
{
    struct timespec due = mono_now();
    due.tv_sec += (time_t)(delay_ms / 1000);
    due.tv_nsec += (long)(delay_ms % 1000) * 1000000L;
    if (due.tv_nsec >= 1000000000L) {
        due.tv_sec++;
        due.tv_nsec -= 1000000000L;
    }
    r->due = due;
    pthread_mutex_lock(&h->mu);
    h->delayed++;
    http_req **p = &h->pending;
    while (*p && !ts_before(due, (*p)->due))
        p = &(*p)->next;
    r->next = *p;
    *p = r;
    pthread_cond_signal(&h->cv);
    pthread_mutex_unlock(&h->mu);
}

/* ---- per-request state ---- */

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    (void)conn;
    http_req *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->h = cls;
    r->uri = strdup(uri ? uri : "/");
    r->t0 = mono_now();
    return r;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    http_req *r = *con_cls;
    if (!r)
        return;
    if (r->state == REQ_DELAYED) {
        pthread_mutex_lock(&r->h->mu);
        r->h->delayed--;
        pthread_mutex_unlock(&r->h->mu);
    }
    free(r->uri);
    free(r->body);
    sim_response_clean_up(&r->resp);
    free(r);
    *con_cls = NULL;
}

/* ---- answering ---- */

static enum MHD_Result send_answer(http_req *r, struct MHD_Connection *conn)
{
    sim_response *resp = &r->resp;
    struct MHD_Response *m;
    if (resp->body && resp->body_len) {
        m = MHD_create_response_from_buffer(resp->body_len, resp->body, MHD_RESPMEM_MUST_FREE);
        if (m)
            resp->body = NULL; /* MHD owns it now */
    } else
        m = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    if (!m)
        return MHD_NO;
    char id2[SIM_AMZ_ID2_LEN];
    sim_amz_id2_make(id2);
    MHD_add_response_header(m, "x-amzn-RequestId", r->request_id);
    MHD_add_response_header(m, "x-amz-id-2", id2);
    if (resp->content_type[0])
        MHD_add_response_header(m, MHD_HTTP_HEADER_CONTENT_TYPE, resp->content_type);
    for (size_t i = 0; i < resp->n_extra && i < 4; i++)
        if (resp->extra[i].name && resp->extra[i].value)
            MHD_add_response_header(m, resp->extra[i].name, resp->extra[i].value);
    int status = resp->status > 0 ? resp->status : 500;
    enum MHD_Result rc = MHD_queue_response(conn, (unsigned)status, m);
    MHD_destroy_response(m);
    sim_log(SIM_LOG_DEBUG, "%s %s %s -> %d (%.2f ms) %s", r->method ? r->method : "-",
            r->path ? r->path : "-", r->target[0] ? r->target : "-", status, ms_since(r->t0), r->request_id);
    sim_response_clean_up(resp);
    return rc;
}

static void new_request_id(http_req *r)
{
    sim_server *srv = r->h->srv;
    sim_request_id_make(++srv->request_counter, r->request_id);
}

static enum MHD_Result answer_too_large(http_req *r, struct MHD_Connection *conn, unsigned long long declared)
{
    char msg[160];
    size_t max = r->h->srv->cfg.max_body_bytes;
    if (declared)
        snprintf(msg, sizeof msg, "Request body of %llu bytes exceeds the maximum of %zu bytes", declared,
                 max);
    else
        snprintf(msg, sizeof msg, "Request body exceeds the maximum of %zu bytes", max);
    new_request_id(r);
    sim_response_error(&r->resp, CODEC_AWS_JSON, SIM_ERR_RequestEntityTooLarge, 413, msg);
    return send_answer(r, conn);
}

static enum MHD_Result collect_header(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    sim_request *req = cls;
    req->headers[req->n_headers].name = (char *)key;
    req->headers[req->n_headers].value = (char *)(value ? value : "");
    req->n_headers++;
    return MHD_YES;
}

/* Content-Length as a number; 0 when absent or not a plain decimal. */
static unsigned long long content_length(struct MHD_Connection *conn)
{
    const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    unsigned long long n = 0;
    for (const char *p = cl; p && *p; p++) {
        if (*p < '0' || *p > '9' || n > (~0ULL - 9) / 10)
            return 0;
        n = n * 10 + (unsigned)(*p - '0');
    }
    return n;
}

static enum MHD_Result dispatch(http_req *r, struct MHD_Connection *conn)
{
    sim_http *h = r->h;
    sim_request req;
    memset(&req, 0, sizeof req);
    int n = MHD_get_connection_values(conn, MHD_HEADER_KIND, NULL, NULL);
    req.headers = calloc(n > 0 ? (size_t)n : 1, sizeof *req.headers);
    if (!req.headers)
        return MHD_NO;
    MHD_get_connection_values(conn, MHD_HEADER_KIND, collect_header, &req);
    const char *q = strchr(r->uri, '?');
    req.method = r->method;
    req.path = r->path;
    req.query = q ? q + 1 : NULL;
    req.body = r->body;
    req.body_len = r->len;
    new_request_id(r);
    snprintf(req.request_id, sizeof req.request_id, "%s", r->request_id);
    const char *target = sim_request_header(&req, "X-Amz-Target");
    snprintf(r->target, sizeof r->target, "%s", target ? target : "");

    sim_dispatch(h->srv, &req, &r->resp);
    free(req.headers);

    if (r->resp.delay_ms > 0) {
        pthread_mutex_lock(&h->mu);
        int stopping = h->stopping;
        pthread_mutex_unlock(&h->mu);
        if (!stopping) {
            r->conn = conn;
            r->state = REQ_DELAYED;
            MHD_suspend_connection(conn);
            schedule(h, r, r->resp.delay_ms);
            return MHD_YES;
        }
    }
    if (r->resp.drop_connection) {
        sim_log(SIM_LOG_DEBUG, "%s %s %s -> connection dropped %s", r->method, r->path,
                r->target[0] ? r->target : "-", r->request_id);
        return MHD_NO;
    }
    return send_answer(r, conn);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    (void)version;
    sim_http *h = cls;
    http_req *r = *con_cls;
    if (!r) { /* the URI callback failed to allocate */
        r = on_uri(h, url, conn);
        if (!r)
            return MHD_NO;
        *con_cls = r;
    }
    switch (r->state) {
    case REQ_NEW: {
        r->state = REQ_RECEIVING;
        r->method = method;
        r->path = url;
        unsigned long long declared = content_length(conn);
        if (declared > h->srv->cfg.max_body_bytes) {
            r->too_large = 1;
            return answer_too_large(r, conn, declared);
        }
        if (declared) { /* reserve up front (bounded: a client may declare and not send) */
            size_t want = declared < BODY_PREALLOC_MAX ? (size_t)declared : BODY_PREALLOC_MAX;
            r->body = malloc(want);
            r->cap = r->body ? want : 0;
        }
        return MHD_YES; /* MHD sends 100 Continue if the client asked */
    }
    case REQ_RECEIVING:
        if (*upload_data_size) {
            size_t n = *upload_data_size;
            *upload_data_size = 0;
            if (r->too_large)
                return MHD_YES;
            if (r->len + n > h->srv->cfg.max_body_bytes) {
                r->too_large = 1;
                free(r->body);
                r->body = NULL;
                r->len = r->cap = 0;
                return MHD_YES;
            }
            if (r->len + n > r->cap) {
                size_t cap = r->cap ? r->cap * 2 : 4096;
                while (cap < r->len + n)
                    cap *= 2;
                uint8_t *b = realloc(r->body, cap);
                if (!b)
                    return MHD_NO;
                r->body = b;
                r->cap = cap;
            }
            memcpy(r->body + r->len, upload_data, n);
            r->len += n;
            return MHD_YES;
        }
        if (r->too_large)
            return answer_too_large(r, conn, 0);
        return dispatch(r, conn);
    case REQ_DELAYED: /* resumed by the timer */
        if (r->resp.drop_connection) {
            sim_log(SIM_LOG_DEBUG, "%s %s %s -> connection dropped after delay %s", r->method, r->path,
                    r->target[0] ? r->target : "-", r->request_id);
            return MHD_NO;
        }
        return send_answer(r, conn);
    }
    return MHD_NO;
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char buf[512];
    vsnprintf(buf, sizeof buf, fmt, ap);
    size_t n = strlen(buf);
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        buf[--n] = 0;
    /* Most of what MHD reports is about clients (malformed requests, closed connections): info.
     * A dropped connection (a fault the router asked for) is reported as an application error;
     * it is expected, so it goes to debug. Startup failures are reported by sim_http_start. */
    sim_log(strstr(buf, "Application reported internal error") ? SIM_LOG_DEBUG : SIM_LOG_INFO, "http: %s",
            buf);
}

/* ---- lifecycle ---- */

sim_http *sim_http_start(sim_server *srv, char *err, size_t err_len)
{
    const sim_config *cfg = &srv->cfg;
    struct addrinfo hints, *ai = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    char port[16];
    snprintf(port, sizeof port, "%d", cfg->port);
    int gai = getaddrinfo(cfg->host, port, &hints, &ai);
    if (gai != 0 || !ai) {
        snprintf(err, err_len, "cannot resolve --host %s: %s", cfg->host,
                 gai ? gai_strerror(gai) : "no address");
        if (ai)
            freeaddrinfo(ai);
        return NULL;
    }

    sim_http *h = calloc(1, sizeof *h);
    if (!h) {
        freeaddrinfo(ai);
        snprintf(err, err_len, "out of memory");
        return NULL;
    }
    h->srv = srv;
    pthread_mutex_init(&h->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&h->cv, &ca);
    pthread_condattr_destroy(&ca);

    unsigned base = MHD_USE_INTERNAL_POLLING_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
    if (ai->ai_family == AF_INET6)
        base |= MHD_USE_IPv6;
    /* epoll where there is one; otherwise whatever this platform polls with */
    unsigned pollers[] = {MHD_USE_EPOLL, MHD_USE_AUTO};
    for (size_t i = 0; i < 2 && !h->daemon; i++) {
        errno = 0;
        h->daemon = MHD_start_daemon(
            base | pollers[i], (uint16_t)cfg->port, NULL, NULL, on_request, h, MHD_OPTION_EXTERNAL_LOGGER,
            on_mhd_log, h, MHD_OPTION_SOCK_ADDR, ai->ai_addr, MHD_OPTION_URI_LOG_CALLBACK, on_uri, h,
            MHD_OPTION_NOTIFY_COMPLETED, on_completed, h, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
            CONN_MEMORY_LIMIT, MHD_OPTION_CONNECTION_TIMEOUT, CONN_TIMEOUT_S,
            MHD_OPTION_LISTENING_ADDRESS_REUSE, 1u, MHD_OPTION_END);
        if (!h->daemon && errno == EADDRINUSE)
            break;
    }
    freeaddrinfo(ai);
    if (!h->daemon) {
        int e = errno;
        snprintf(err, err_len, "cannot listen on %s:%d: %s", cfg->host, cfg->port,
                 e ? strerror(e) : "libmicrohttpd refused to start");
        pthread_cond_destroy(&h->cv);
        pthread_mutex_destroy(&h->mu);
        free(h);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->daemon, MHD_DAEMON_INFO_BIND_PORT);
    h->port = info && info->port ? info->port : cfg->port;
    if (pthread_create(&h->timer, NULL, timer_main, h) == 0)
        h->timer_running = 1;
    else
        sim_log(SIM_LOG_WARN, "no delay timer thread: delayed answers will be sent at once");
    if (!h->timer_running)
        h->stopping = 1; /* never suspend without a timer to resume */
    return h;
}

int sim_http_port(const sim_http *h)
{
    return h ? h->port : -1;
}

void sim_http_stop(sim_http *h)
{
    if (!h)
        return;
    pthread_mutex_lock(&h->mu);
    h->stopping = 1;
    pthread_cond_signal(&h->cv);
    pthread_mutex_unlock(&h->mu);
    if (h->timer_running)
        pthread_join(h->timer, NULL); /* returns once every delayed answer was resumed */
    /* Give the resumed requests up to a second to be answered before the connections close. */
    for (int i = 0; i < 200; i++) {
        pthread_mutex_lock(&h->mu);
        int left = h->delayed;
        pthread_mutex_unlock(&h->mu);
        if (left <= 0)
            break;
        struct timespec nap = {0, 5 * 1000000L};
        nanosleep(&nap, NULL);
    }
    MHD_stop_daemon(h->daemon);
    pthread_cond_destroy(&h->cv);
    pthread_mutex_destroy(&h->mu);
    free(h);
}
