/* http.c: the front door (see http.h): our own listening sockets and event loop, protocol
 * detection per connection, and HTTP/1.1 on libmicrohttpd (the only file that includes
 * microhttpd.h).
 *
 * Threads and locking:
 *   - the event-loop thread (loop_main) accepts on the plain port (and the TLS port), peeks at the
 *     first bytes of each new connection and hands it on: HTTP/2 preface -> http2.c, TLS record
 *     -> tls.c, anything else -> libmicrohttpd via MHD_add_connection. It also runs every HTTP/2
 *     session and TLS connection, and their timers (delays, stream polls), without blocking;
 *   - libmicrohttpd's internal polling thread (epoll) serves HTTP/1.1 (started with
 *     MHD_USE_NO_LISTEN_SOCKET: it never accepts by itself);
 *   - a small timer thread wakes delayed answers and polled event streams on HTTP/1.1 (it hands
 *     them to the HTTP/1.1 thread, which resumes their connections).
 *   - the timer thread also enforces the connection timeout on libmicrohttpd's connections (it
 *     shuts down the socket of one idle, or sending one request, for too long; MHD then closes it).
 * sim_dispatch and a streaming answer's producer run only under h->dispatch_mu, so the router, the
 * store and the handlers see one request at a time whichever protocol it came by.
 *
 * Hostile clients (limits in http.h): connections past max_connections get a canned 503 at accept
 * (and when out of descriptors, a spare one is freed to accept and refuse); libmicrohttpd's
 * connections are tracked (on_connection) for the count and the deadline; a request head over
 * max_header_bytes gets 431, a body over --max-body-bytes 413 (before it is read when
 * Content-Length says so, otherwise discarded as it comes).
 *
 * HTTP/1.1 request life, following libmicrohttpd's handler contract:
 *   - the URI callback allocates the per-request state and keeps the raw URI (for the query);
 *   - first access call (headers only): a Content-Length above --max-body-bytes is answered 413
 *     at once, before the body is read (curl's Expect: 100-continue then never sends it);
 *     otherwise MHD sends 100 Continue when asked and the body follows;
 *   - middle calls append the body (a chunked body that grows too large is discarded and 413'd);
 *   - the last call builds a sim_request, dispatches and sends the answer. A delay suspends the
 *     connection and the timer thread resumes it; a drop closes it without an answer; a streaming
 *     answer is sent chunked from a content-reader callback that suspends the connection between
 *     polls when its producer has nothing yet.
 * Every answer carries x-amzn-RequestId, and x-amz-id-2 unless the router says not to (CORS preflight). */
#include "net/http.h"

#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "dispatch/router.h"
#include "net/http2.h"
#include "net/reqid.h"
#include "net/tls.h"
#include "server/server.h"
#include "wire/codec.h"

/* Per-connection memory beyond max_header_bytes: room for libmicrohttpd's per-header records and
 * its read buffer (bodies stream through it). libmicrohttpd zeroes the whole pool before every
 * request on a kept-alive connection, so it is kept small; a flood of tiny headers far over the
 * limit then runs out of it first and gets libmicrohttpd's own 431 rather than ours. */
#define CONN_MEMORY_SLACK ((size_t)32 * 1024)
#define BODY_PREALLOC_MAX ((size_t)1024 * 1024)
#define FD_RESERVE 64          /* descriptors kept for the store, the event loop and refusals */
#define TRACK_SCAN_MAX_MS 1000 /* the timer looks at connection deadlines at least this often */
#define DETECT_TIMEOUT_MS 2000 /* a connection that sends a partial HTTP/2 preface this long goes to MHD */
#define STOP_GRACE_MS 1000     /* how long the loop flushes GOAWAYs and last answers when stopping */
#define STREAM_CHUNK 16384
#define MAX_EVENTS 64

static const char H2_PREFACE[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"; /* 24 bytes */
#define H2_PREFACE_LEN 24

#define BATCH_MAX_HELD 64      /* a batch commits once this many answers wait for it */
#define MHD_STOP_GRACE_MS 1000 /* how long the HTTP/1.1 thread keeps answering once told to stop */

typedef enum { REQ_NEW = 0, REQ_RECEIVING, REQ_HELD, REQ_DELAYED, REQ_STREAMING } req_state;

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
    int counted;        /* counted in h->delayed until completed */
    int batch_done;     /* REQ_HELD: its batch's COMMIT returned (under dispatch_mu) */
    sim_stream *stream; /* a streaming answer being sent */
    uint8_t *sbuf;      /* produced and not yet sent */
    size_t slen, soff;
    int s_end;              /* the producer said END */
    int64_t next_pull_ms;   /* monotonic */
    struct http_req *next;  /* in the pending (or to_resume) list while suspended */
    struct http_req *bnext; /* in the held list (under dispatch_mu) */
    codec_kind codec;       /* the request's codec, for a failed batch's answer */
} http_req;

/* A socket waiting for the HTTP/1.1 thread to give it to libmicrohttpd. */
typedef struct handoff {
    int fd;
    struct sockaddr_storage peer;
    socklen_t peer_len;
    struct handoff *next;
} handoff;

/* One libmicrohttpd connection, for the connection timeout and the connection count (its socket
 * context). Fields other than fd are guarded by sim_http.mu. */
typedef struct mhd_track {
    int fd;
    int counted;      /* a client's connection (not the socketpair behind HTTP/1.1 over TLS) */
    int receiving;    /* idle or receiving a request: the deadline applies */
    int cut;          /* already shut down by the timer */
    int64_t since_ms; /* when it opened, or sent its previous answer */
    struct mhd_track *prev, *next;
} mhd_track;

struct sim_http {
    sim_server *srv;
    struct MHD_Daemon *daemon;
    int port, tls_port;
    pthread_t timer;
    int timer_running;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    http_req *pending; /* suspended HTTP/1.1 requests, sorted by due time */
    int stopping;      /* no more suspensions; resume everything */
    int delayed;       /* suspended (or resumed and unfinished) HTTP/1.1 requests */
    pthread_mutex_t dispatch_mu;
    /* the HTTP/1.1 thread (mhd_main) drives libmicrohttpd and the group commit */
    pthread_t mhd_thread;
    int mhd_running;
    int mhd_ep;        /* epoll over libmicrohttpd's epoll descriptor and mhd_wake */
    int mhd_wake;      /* eventfd: hand-offs, resumes, released answers, stop */
    int mhd_stop;      /* under mu */
    handoff *handoffs; /* under mu: sockets for MHD_add_connection, in order */
    handoff **handoffs_tail;
    int handoff_open;    /* under mu: how many (counted as open connections) */
    http_req *to_resume; /* under mu: delayed requests whose time came (the timer thread) */
    /* under dispatch_mu: the group commit */
    http_req *held, **held_tail; /* answers given while the open batch has changes */
    int n_held;
    int n_released; /* held answers whose batch ended since the HTTP/1.1 thread last looked */
    uint64_t batches, batch_failures; /* commits of batches with held answers, and failed ones */
    uint64_t held_total;              /* answers ever held */
    uint64_t h2_answers, h2_writes;   /* loop thread: HTTP/2 answers begun, transport writes */
    sim_held *h2_held;                /* HTTP/2 answers of the open batch */
    sim_held *h2_released;            /* HTTP/2 answers whose batch ended, for the loop thread */
    int n_h2_held;
    int loop_held_out; /* loop thread only: its HTTP/2 answers held or released, not yet taken */
    /* the event loop */
    int epfd, wakefd;
    int listen_fd, tls_listen_fd;
    pthread_t loop;
    int loop_running;
    int loop_stop; /* set under mu */
    sim_conn *conns;
    sim_tls_ctx *tls;
    /* limits (http.h) and what they count; under mu unless noted */
    sim_http_limits lim;      /* constant after start */
    int loop_open;            /* client connections held by the event loop (loop thread writes) */
    int mhd_open;             /* client connections held by libmicrohttpd */
    mhd_track *tracked;       /* every libmicrohttpd connection */
    int spare_fd;             /* kept open to accept-and-refuse when out of descriptors (loop thread) */
    int64_t last_refusal_log; /* loop thread */
};

int sim_body_append(uint8_t **body, size_t *len, size_t *cap, const void *data, size_t n)
{
    if (*len + n > *cap) {
        size_t c = *cap ? *cap * 2 : 4096;
        while (c < *len + n)
            c *= 2;
        uint8_t *b = realloc(*body, c);
        if (!b)
            return -1;
        *body = b;
        *cap = c;
    }
    memcpy(*body + *len, data, n);
    *len += n;
    return 0;
}

/* ---- time ---- */

static struct timespec mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts;
}

int64_t sim_http_mono_ms(void)
{
    struct timespec ts = mono_now();
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
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

/* ---- limits (http.h) ---- */

int sim_http_limits_get(const sim_config *cfg, sim_http_limits *out, char *err, size_t err_len)
{
    (void)err;
    (void)err_len;
    /* config.c checks the ranges (--max-connections, --connection-timeout-ms, --max-header-bytes). */
    out->max_connections = cfg->max_connections > 0 ? cfg->max_connections : SIM_HTTP_DEFAULT_MAX_CONNECTIONS;
    out->connection_timeout_ms =
        cfg->connection_timeout_ms > 0 ? cfg->connection_timeout_ms : SIM_HTTP_DEFAULT_CONNECTION_TIMEOUT_MS;
    out->max_header_bytes =
        cfg->max_header_bytes > 0 ? cfg->max_header_bytes : SIM_HTTP_DEFAULT_MAX_HEADER_BYTES;
    return 0;
}

const sim_http_limits *sim_http_limits_of(const sim_http *h)
{
    return &h->lim;
}

/* ---- the group commit (server/server.h owns it; this file decides when to commit) ----
 * Requests are routed inside the open store batch (sim_server_dispatch opens one when none is);
 * each request runs in a savepoint of it (store.h). An answer given while the batch has changes
 * is held until the batch's COMMIT returned.
 *   - HTTP/1.1: the access handler returns without queueing the answer, and libmicrohttpd calls it
 *     again for the fully received request (its API allows this), which then answers once
 *     batch_done is set (a suspend/resume pair would cost two epoll_ctl calls per request).
 *   - HTTP/2 (on the event loop): the stream waits in S_HELD with a sim_held on h2_held; once its
 *     batch ended the node moves to h2_released, the loop marks it ready and ticks its connection.
 * The batch commits when libmicrohttpd's pass over the ready connections ends (mhd_main), when the
 * event loop's pass ends with HTTP/2 answers held (loop_end_pass), when BATCH_MAX_HELD answers
 * wait, or before anything else takes the dispatch lock (sim_http_lock: streaming producers), so
 * nothing else ever sees or builds on uncommitted state. A held request whose client goes away
 * leaves its list (on_completed; sim_http_held_drop). */

static void wake_mhd(sim_http *h)
{
    uint64_t one = 1;
    if (h->mhd_wake >= 0 && write(h->mhd_wake, &one, sizeof one) < 0 && errno != EAGAIN)
        sim_log(SIM_LOG_WARN, "http: wake-up write: %s", strerror(errno));
}

static int on_mhd_thread(sim_http *h)
{
    return h->mhd_running && pthread_equal(pthread_self(), h->mhd_thread);
}

/* The batch's COMMIT failed: every held answer becomes the answer the server gives a failed commit
 * (sim_server_commit), in the request's codec; a delay or a dropped connection still applies. */
static void fail_held(sim_http *h, sim_error_code err, const char *msg)
{
    for (http_req *r = h->held; r; r = r->bnext) {
        int64_t delay = r->resp.delay_ms;
        int drop = r->resp.drop_connection;
        sim_response_clean_up(&r->resp); /* closes a streaming answer that never started */
        sim_response_error(&r->resp, r->codec, err, 0, msg);
        r->resp.delay_ms = delay;
        r->resp.drop_connection = drop;
    }
}

static int on_loop_thread(sim_http *h)
{
    return h->loop_running && pthread_equal(pthread_self(), h->loop);
}

static void wake_loop(sim_http *h)
{
    uint64_t one = 1;
    if (h->wakefd >= 0 && write(h->wakefd, &one, sizeof one) < 0 && errno != EAGAIN)
        sim_log(SIM_LOG_WARN, "http: loop wake-up write: %s", strerror(errno));
}

static void held_unlink(sim_held **list, sim_held *n)
{
    if (n->prev)
        n->prev->next = n->next;
    else if (*list == n)
        *list = n->next;
    if (n->next)
        n->next->prev = n->prev;
    n->prev = n->next = NULL;
}

static void held_push(sim_held **list, sim_held *n)
{
    n->prev = NULL;
    n->next = *list;
    if (*list)
        (*list)->prev = n;
    *list = n;
}

/* Commit the open batch, if any, and release its held answers: HTTP/1.1 ones to the HTTP/1.1
 * thread, HTTP/2 ones to the event loop. Under dispatch_mu. */
static void flush_locked(sim_http *h)
{
    sim_error_code err = SIM_ERR_InternalFailure;
    char msg[1024];
    int rc = sim_server_commit(h->srv, &err, msg, sizeof msg);
    if (!h->held && !h->h2_held)
        return;
    h->batches++;
    if (rc != 0) {
        h->batch_failures++;
        fail_held(h, err, msg);
        for (sim_held *n = h->h2_held; n; n = n->next) {
            int64_t delay = n->resp->delay_ms;
            int drop = n->resp->drop_connection;
            sim_response_clean_up(n->resp);
            sim_response_error(n->resp, (codec_kind)n->codec, err, 0, msg);
            n->resp->delay_ms = delay;
            n->resp->drop_connection = drop;
        }
    }
    if (h->held) {
        for (http_req *r = h->held; r; r = r->bnext)
            r->batch_done = 1; /* its handler answers when libmicrohttpd calls it next */
        h->n_released += h->n_held;
        h->held = NULL;
        h->held_tail = &h->held;
        h->n_held = 0;
        if (!on_mhd_thread(h))
            wake_mhd(h);
    }
    if (h->h2_held) {
        while (h->h2_held) {
            sim_held *n = h->h2_held;
            held_unlink(&h->h2_held, n);
            held_push(&h->h2_released, n);
            n->linked = 2;
        }
        h->n_h2_held = 0;
        if (!on_loop_thread(h))
            wake_loop(h);
    }
}

/* The event loop's end of a pass: commit a batch that holds HTTP/2 answers, then hand the
 * released answers to their connections' ticks. */
static void loop_end_pass(sim_http *h)
{
    if (!h->loop_held_out)
        return; /* nothing of ours waits: no lock */
    pthread_mutex_lock(&h->dispatch_mu);
    if (h->h2_held)
        flush_locked(h);
    while (h->h2_released) {
        sim_held *n = h->h2_released;
        held_unlink(&h->h2_released, n);
        n->linked = 0;
        n->ready = 1;
        n->conn->due_ms = 1; /* due at once */
        h->loop_held_out--;
    }
    pthread_mutex_unlock(&h->dispatch_mu);
}

void sim_http_count_h2(sim_http *h, unsigned answers, unsigned writes)
{
    h->h2_answers += answers;
    h->h2_writes += writes;
}

int sim_http_dispatch_batched(sim_http *h, sim_request *req, sim_response *resp, sim_held *held)
{
    char id[SIM_REQUEST_ID_LEN];
    held->ready = 0;
    pthread_mutex_lock(&h->dispatch_mu);
    sim_request_id_make(++h->srv->request_counter, id);
    snprintf(req->request_id, sizeof req->request_id, "%s", id);
    int hold = sim_server_dispatch(h->srv, req, resp);
    if (hold) {
        held_push(&h->h2_held, held);
        held->linked = 1;
        h->n_h2_held++;
        h->loop_held_out++;
        h->held_total++;
        if (h->n_held + h->n_h2_held >= BATCH_MAX_HELD)
            flush_locked(h);
    }
    pthread_mutex_unlock(&h->dispatch_mu);
    return hold;
}

void sim_http_held_drop(sim_http *h, sim_held *held)
{
    pthread_mutex_lock(&h->dispatch_mu);
    if (held->linked == 1) {
        held_unlink(&h->h2_held, held);
        h->n_h2_held--;
    } else if (held->linked == 2) {
        held_unlink(&h->h2_released, held);
    }
    if (held->linked)
        h->loop_held_out--;
    held->linked = 0;
    pthread_mutex_unlock(&h->dispatch_mu);
}

/* ---- shared with http2.c and tls.c ---- */

void sim_http_lock(sim_http *h)
{
    pthread_mutex_lock(&h->dispatch_mu);
    flush_locked(h); /* a producer must not read what is not committed */
}

void sim_http_unlock(sim_http *h)
{
    pthread_mutex_unlock(&h->dispatch_mu);
}

sim_server *sim_http_server(const sim_http *h)
{
    return h->srv;
}

int sim_http_stopping(sim_http *h)
{
    pthread_mutex_lock(&h->mu);
    int s = h->stopping || h->loop_stop;
    pthread_mutex_unlock(&h->mu);
    return s;
}

void sim_http_request_id(sim_http *h, char *out, size_t out_len)
{
    char id[SIM_REQUEST_ID_LEN];
    pthread_mutex_lock(&h->dispatch_mu);
    sim_request_id_make(++h->srv->request_counter, id);
    pthread_mutex_unlock(&h->dispatch_mu);
    snprintf(out, out_len, "%s", id);
}

/* libmicrohttpd runs on our own thread (mhd_main), which alone may call MHD_add_connection: the
 * socket waits in a queue until that thread takes it. */
int sim_http_hand_off(sim_http *h, int fd, const struct sockaddr *peer, socklen_t peer_len)
{
    handoff *o = calloc(1, sizeof *o);
    if (!o || peer_len > sizeof o->peer) {
        free(o);
        close(fd);
        return -1;
    }
    o->fd = fd;
    memcpy(&o->peer, peer, peer_len);
    o->peer_len = peer_len;
    pthread_mutex_lock(&h->mu);
    int open = h->mhd_running && !h->mhd_stop;
    if (open) {
        *h->handoffs_tail = o;
        h->handoffs_tail = &o->next;
        h->handoff_open++;
    }
    pthread_mutex_unlock(&h->mu);
    if (!open) {
        close(fd);
        free(o);
        return -1;
    }
    wake_mhd(h);
    return 0;
}

/* On the HTTP/1.1 thread: give queued sockets to libmicrohttpd. */
static void take_handoffs(sim_http *h)
{
    pthread_mutex_lock(&h->mu);
    handoff *o = h->handoffs;
    h->handoffs = NULL;
    h->handoffs_tail = &h->handoffs;
    pthread_mutex_unlock(&h->mu);
    while (o) {
        handoff *next = o->next;
        if (MHD_add_connection(h->daemon, o->fd, (struct sockaddr *)&o->peer, o->peer_len) != MHD_YES)
            sim_log(SIM_LOG_WARN, "http: libmicrohttpd refused a connection: %s",
                    strerror(errno)); /* it closed fd */
        pthread_mutex_lock(&h->mu);   /* counted by on_connection from here on */
        h->handoff_open--;
        pthread_mutex_unlock(&h->mu);
        free(o);
        o = next;
    }
}

/* ---- the delay timer: resumes suspended connections when their time comes ---- */

/* Cut libmicrohttpd connections that have been idle or receiving one request for longer than the
 * connection timeout: shutdown() makes MHD see the end of the stream and close the connection
 * itself (the descriptor stays MHD's; it cannot be reused while tracked, because MHD reports the
 * close under h->mu before closing). Under h->mu; returns when to look again (monotonic ms). */
static int64_t cut_overdue(sim_http *h, int64_t now)
{
    int64_t next = now + TRACK_SCAN_MAX_MS;
    for (mhd_track *t = h->tracked; t; t = t->next) {
        if (!t->receiving || t->cut)
            continue;
        int64_t due = t->since_ms + h->lim.connection_timeout_ms;
        if (due <= now) {
            t->cut = 1;
            shutdown(t->fd, SHUT_RDWR);
            sim_log(SIM_LOG_INFO,
                    "http: closing a connection idle or sending one request for more than %lld ms",
                    (long long)h->lim.connection_timeout_ms);
        } else if (due < next) {
            next = due;
        }
    }
    return next;
}

static void *timer_main(void *arg)
{
    sim_http *h = arg;
    pthread_mutex_lock(&h->mu);
    for (;;) {
        http_req *r = h->pending;
        if (r && (h->stopping || !ts_before(mono_now(), r->due))) {
            h->pending = r->next;
            r->next = h->to_resume; /* the HTTP/1.1 thread resumes it (mhd_main) */
            h->to_resume = r;
            pthread_mutex_unlock(&h->mu);
            wake_mhd(h);
            pthread_mutex_lock(&h->mu);
            continue;
        }
        if (h->stopping && !h->pending)
            break;
        struct timespec wake = mono_now();
        if (h->tracked) {
            int64_t now = sim_http_mono_ms(), next = cut_overdue(h, now) - now;
            wake.tv_sec += (time_t)(next / 1000);
            wake.tv_nsec += (long)(next % 1000) * 1000000L;
            if (wake.tv_nsec >= 1000000000L) {
                wake.tv_sec++;
                wake.tv_nsec -= 1000000000L;
            }
            if (r && ts_before(r->due, wake))
                wake = r->due;
        } else if (r) {
            wake = r->due;
        } else {
            pthread_cond_wait(&h->cv, &h->mu);
            continue;
        }
        pthread_cond_timedwait(&h->cv, &h->mu, &wake);
    }
    pthread_mutex_unlock(&h->mu);
    return NULL;
}

/* Suspend r's connection and have the timer resume it after delay_ms. 0, or -1 when stopping
 * (then nothing was suspended). Called on the MHD thread. */
static int suspend_for(sim_http *h, http_req *r, struct MHD_Connection *conn, int64_t delay_ms)
{
    struct timespec due = mono_now();
    due.tv_sec += (time_t)(delay_ms / 1000);
    due.tv_nsec += (long)(delay_ms % 1000) * 1000000L;
    if (due.tv_nsec >= 1000000000L) {
        due.tv_sec++;
        due.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&h->mu);
    if (h->stopping) {
        pthread_mutex_unlock(&h->mu);
        return -1;
    }
    r->due = due;
    r->conn = conn;
    if (!r->counted) {
        r->counted = 1;
        h->delayed++;
    }
    MHD_suspend_connection(conn);
    http_req **p = &h->pending;
    while (*p && !ts_before(due, (*p)->due))
        p = &(*p)->next;
    r->next = *p;
    *p = r;
    pthread_cond_signal(&h->cv);
    pthread_mutex_unlock(&h->mu);
    return 0;
}

/* ---- connection tracking (libmicrohttpd's connections) ---- */

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    sim_http *h = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *fdi =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        const union MHD_ConnectionInfo *ai =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        mhd_track *t = fdi ? calloc(1, sizeof *t) : NULL;
        if (!t)
            return; /* untracked: MHD's own idle timeout still applies */
        t->fd = fdi->connect_fd;
        t->counted = !(ai && ai->client_addr && ai->client_addr->sa_family == AF_UNIX);
        t->receiving = 1;
        t->since_ms = sim_http_mono_ms();
        pthread_mutex_lock(&h->mu);
        t->next = h->tracked;
        if (h->tracked)
            h->tracked->prev = t;
        h->tracked = t;
        if (t->counted)
            h->mhd_open++;
        pthread_cond_signal(&h->cv); /* the timer may be waiting without a deadline */
        pthread_mutex_unlock(&h->mu);
        *socket_context = t;
        return;
    }
    mhd_track *t = *socket_context;
    if (!t)
        return;
    pthread_mutex_lock(&h->mu);
    if (t->prev)
        t->prev->next = t->next;
    else
        h->tracked = t->next;
    if (t->next)
        t->next->prev = t->prev;
    if (t->counted)
        h->mhd_open--;
    pthread_mutex_unlock(&h->mu);
    free(t);
    *socket_context = NULL;
}

/* The connection's request is complete (receiving 0) or its answer was sent (receiving 1). */
static void track_receiving(sim_http *h, struct MHD_Connection *conn, int receiving)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    mhd_track *t = ci ? ci->socket_context : NULL;
    if (!t)
        return;
    pthread_mutex_lock(&h->mu);
    t->receiving = receiving;
    t->since_ms = sim_http_mono_ms();
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
    (void)toe;
    track_receiving(cls, conn, 1); /* the connection's next request starts its clock now */
    http_req *r = *con_cls;
    if (!r)
        return;
    if (r->state == REQ_HELD) { /* the client left before its batch ended: forget it there */
        sim_http *h = r->h;
        pthread_mutex_lock(&h->dispatch_mu);
        if (!r->batch_done) {
            for (http_req **pp = &h->held; *pp; pp = &(*pp)->bnext) {
                if (*pp == r) {
                    *pp = r->bnext;
                    if (h->held_tail == &r->bnext)
                        h->held_tail = pp;
                    h->n_held--;
                    break;
                }
            }
        }
        pthread_mutex_unlock(&h->dispatch_mu);
    }
    if (r->counted) {
        pthread_mutex_lock(&r->h->mu);
        r->h->delayed--;
        pthread_mutex_unlock(&r->h->mu);
    }
    /* plain dispatch lock: closing a stream touches no stored state, and a commit per finished
     * request would undo the group commit */
    if (r->stream) {
        pthread_mutex_lock(&r->h->dispatch_mu);
        r->stream->close(r->stream);
        pthread_mutex_unlock(&r->h->dispatch_mu);
        sim_log(SIM_LOG_DEBUG, "%s %s %s -> stream ended (%.2f ms) %s", r->method ? r->method : "-",
                r->path ? r->path : "-", r->target[0] ? r->target : "-", ms_since(r->t0), r->request_id);
    }
    free(r->sbuf);
    free(r->uri);
    free(r->body);
    pthread_mutex_lock(&r->h->dispatch_mu); /* a stream left in resp is closed under the lock */
    sim_response_clean_up(&r->resp);
    pthread_mutex_unlock(&r->h->dispatch_mu);
    free(r);
    *con_cls = NULL;
}

/* ---- streaming answers (chunked) ---- */

static ssize_t stream_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    http_req *r = cls;
    sim_http *h = r->h;
    for (;;) {
        if (r->soff < r->slen) {
            size_t n = r->slen - r->soff < max ? r->slen - r->soff : max;
            memcpy(buf, r->sbuf + r->soff, n);
            r->soff += n;
            return (ssize_t)n;
        }
        if (r->s_end)
            return MHD_CONTENT_READER_END_OF_STREAM;
        int64_t now = sim_http_mono_ms();
        int stopping = sim_http_stopping(h);
        if (!stopping && now < r->next_pull_ms) {
            if (suspend_for(h, r, r->conn, r->next_pull_ms - now) == 0)
                return 0; /* resumed by the timer; MHD calls again */
            stopping = 1;
        }
        free(r->sbuf);
        r->sbuf = NULL;
        r->slen = r->soff = 0;
        sim_http_lock(h);
        sim_stream_status st = r->stream->pull(r->stream, stopping, &r->sbuf, &r->slen);
        sim_http_unlock(h);
        if (st == SIM_STREAM_END || stopping)
            r->s_end = 1;
        r->next_pull_ms = now + (r->stream->poll_ms > 0 ? r->stream->poll_ms : 200);
        if (r->slen == 0 && !r->s_end) {
            free(r->sbuf);
            r->sbuf = NULL;
        }
    }
}

/* ---- answering ---- */

static void add_common_headers(http_req *r, struct MHD_Response *m)
{
    sim_response *resp = &r->resp;
    MHD_add_response_header(m, "x-amzn-RequestId", r->request_id);
    if (!resp->no_amz_id2) {
        char id2[SIM_AMZ_ID2_LEN];
        sim_amz_id2_make(id2);
        MHD_add_response_header(m, "x-amz-id-2", id2);
    }
    if (resp->content_type[0])
        MHD_add_response_header(m, MHD_HTTP_HEADER_CONTENT_TYPE, resp->content_type);
    for (size_t i = 0; i < resp->n_extra && i < SIM_RESPONSE_EXTRA_MAX; i++)
        if (resp->extra[i].name && resp->extra[i].value)
            MHD_add_response_header(m, resp->extra[i].name, resp->extra[i].value);
}

static enum MHD_Result send_stream(http_req *r, struct MHD_Connection *conn)
{
    r->stream = r->resp.stream;
    r->resp.stream = NULL;
    r->conn = conn;
    r->state = REQ_STREAMING;
    struct MHD_Response *m =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, STREAM_CHUNK, stream_reader, r, NULL);
    if (!m)
        return MHD_NO;
    add_common_headers(r, m);
    enum MHD_Result rc = MHD_queue_response(conn, 200, m);
    MHD_destroy_response(m);
    sim_log(SIM_LOG_DEBUG, "%s %s %s -> 200 stream (%.2f ms) %s", r->method ? r->method : "-",
            r->path ? r->path : "-", r->target[0] ? r->target : "-", ms_since(r->t0), r->request_id);
    return rc;
}

static enum MHD_Result send_answer(http_req *r, struct MHD_Connection *conn)
{
    sim_response *resp = &r->resp;
    if (resp->stream)
        return send_stream(r, conn);
    struct MHD_Response *m;
    if (resp->body && resp->body_len) {
        m = MHD_create_response_from_buffer(resp->body_len, resp->body, MHD_RESPMEM_MUST_FREE);
        if (m)
            resp->body = NULL; /* MHD owns it now */
    } else
        m = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    if (!m)
        return MHD_NO;
    add_common_headers(r, m);
    int status = resp->status > 0 ? resp->status : 500;
    enum MHD_Result rc = MHD_queue_response(conn, (unsigned)status, m);
    MHD_destroy_response(m);
    sim_log(SIM_LOG_DEBUG, "%s %s %s -> %d (%.2f ms) %s%s", r->method ? r->method : "-",
            r->path ? r->path : "-", r->target[0] ? r->target : "-", status, ms_since(r->t0), r->request_id,
            resp->log_note);
    sim_response_clean_up(resp);
    return rc;
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
    sim_http_request_id(r->h, r->request_id, sizeof r->request_id);
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

static enum MHD_Result add_header_bytes(void *cls, enum MHD_ValueKind kind, const char *key,
                                        const char *value)
{
    (void)kind;
    size_t *n = cls;
    *n += strlen(key) + (value ? strlen(value) : 0) + 4; /* "name: value\r\n" */
    return MHD_YES;
}

/* The request head's size, about as it came on the wire (request line and headers). */
static size_t head_bytes(http_req *r, struct MHD_Connection *conn)
{
    size_t n = strlen(r->uri) + (r->method ? strlen(r->method) : 0) + 12;
    MHD_get_connection_values(conn, MHD_HEADER_KIND, add_header_bytes, &n);
    return n;
}

static enum MHD_Result answer_head_too_large(http_req *r, struct MHD_Connection *conn, size_t bytes)
{
    char msg[160];
    snprintf(msg, sizeof msg, "Request header fields of %zu bytes exceed the maximum of %zu bytes", bytes,
             r->h->lim.max_header_bytes);
    sim_http_request_id(r->h, r->request_id, sizeof r->request_id);
    sim_response_error(&r->resp, CODEC_AWS_JSON, SIM_ERR_SerializationException, 431, msg);
    return send_answer(r, conn);
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

static enum MHD_Result answer_now(http_req *r, struct MHD_Connection *conn);

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
    const char *target = sim_request_header(&req, "X-Amz-Target");
    snprintf(r->target, sizeof r->target, "%s", target ? target : "");

    r->codec = codec_from_content_type(sim_request_header(&req, "Content-Type"));

    /* Dispatch inside the open batch (opening one if needed); hold the answer while the batch
     * has changes: it may acknowledge them, or have read them. */
    char id[SIM_REQUEST_ID_LEN];
    pthread_mutex_lock(&h->dispatch_mu);
    sim_request_id_make(++h->srv->request_counter, id);
    snprintf(req.request_id, sizeof req.request_id, "%s", id);
    int hold = sim_server_dispatch(h->srv, &req, &r->resp);
    if (hold) {
        r->state = REQ_HELD;
        r->conn = conn;
        r->bnext = NULL;
        *h->held_tail = r;
        h->held_tail = &r->bnext;
        h->n_held++;
        h->held_total++;
        pthread_mutex_lock(&h->mu);
        if (!r->counted) { /* sim_http_stop waits for it */
            r->counted = 1;
            h->delayed++;
        }
        pthread_mutex_unlock(&h->mu);
        r->batch_done = 0;
        if (h->n_held >= BATCH_MAX_HELD)
            flush_locked(h);
    }
    pthread_mutex_unlock(&h->dispatch_mu);
    snprintf(r->request_id, sizeof r->request_id, "%.36s", req.request_id);
    free(req.headers);
    if (hold)
        return MHD_YES; /* resumed once the batch ended (on_request, REQ_HELD) */
    return answer_now(r, conn);
}

/* The answer may leave (committed, or nothing to commit): after its delay, or drop the connection. */
static enum MHD_Result answer_now(http_req *r, struct MHD_Connection *conn)
{
    sim_http *h = r->h;
    if (r->resp.delay_ms > 0) {
        r->state = REQ_DELAYED;
        if (suspend_for(h, r, conn, r->resp.delay_ms) == 0)
            return MHD_YES;
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
        size_t head = head_bytes(r, conn);
        if (head > h->lim.max_header_bytes) {
            track_receiving(h, conn, 0);
            return answer_head_too_large(r, conn, head);
        }
        unsigned long long declared = content_length(conn);
        if (declared > h->srv->cfg.max_body_bytes) {
            r->too_large = 1;
            track_receiving(h, conn, 0);
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
            return sim_body_append(&r->body, &r->len, &r->cap, upload_data, n) == 0 ? MHD_YES : MHD_NO;
        }
        track_receiving(h, conn, 0); /* the whole request is in */
        if (r->too_large)
            return answer_too_large(r, conn, 0);
        return dispatch(r, conn);
    case REQ_HELD: { /* called again while its batch is open, or after its COMMIT */
        pthread_mutex_lock(&h->dispatch_mu);
        int done = r->batch_done;
        pthread_mutex_unlock(&h->dispatch_mu);
        if (!done)
            return MHD_YES; /* libmicrohttpd calls again; the end of its pass commits */
        return answer_now(r, conn);
    }
    case REQ_DELAYED: /* resumed by the timer */
        if (r->resp.drop_connection) {
            sim_log(SIM_LOG_DEBUG, "%s %s %s -> connection dropped after delay %s", r->method, r->path,
                    r->target[0] ? r->target : "-", r->request_id);
            return MHD_NO;
        }
        return send_answer(r, conn);
    case REQ_STREAMING: /* the response is queued; nothing more to do here */
        return MHD_YES;
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
    /* TCP options fail on the socketpair that bridges HTTP/1.1 over TLS (tls.c): harmless, debug. */
    int quiet = strstr(buf, "Application reported internal error") || strstr(buf, "TCP_NODELAY") ||
                strstr(buf, "TCP_CORK") || strstr(buf, "Failed to push the data");
    sim_log(quiet ? SIM_LOG_DEBUG : SIM_LOG_INFO, "http: %s", buf);
}

/* ---- the event loop: connections ---- */

static uint64_t watch_key(sim_conn *c, int which)
{
    return (uint64_t)(uintptr_t)c | (uint64_t)which; /* connections are at least 8-byte aligned */
}

int sim_conn_update(sim_conn *c)
{
    sim_http *h = c->h;
    for (int i = 0; i < 2; i++) {
        if (c->fd[i] < 0)
            continue;
        if (c->registered[i] && c->watching[i] == c->want[i])
            continue;
        struct epoll_event ev;
        memset(&ev, 0, sizeof ev);
        ev.events = c->want[i];
        ev.data.u64 = watch_key(c, i);
        if (epoll_ctl(h->epfd, c->registered[i] ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, c->fd[i], &ev) != 0)
            return -1;
        c->registered[i] = 1;
        c->watching[i] = c->want[i];
    }
    return 0;
}

void sim_conn_unwatch(sim_conn *c, int which)
{
    if (c->fd[which] >= 0 && c->registered[which])
        epoll_ctl(c->h->epfd, EPOLL_CTL_DEL, c->fd[which], NULL);
    c->registered[which] = 0;
    c->watching[which] = 0;
}

int sim_conn_add(sim_http *h, sim_conn *c)
{
    c->h = h;
    c->registered[0] = c->registered[1] = 0;
    c->dead = 0;
    if (sim_conn_update(c) != 0)
        return -1;
    c->prev = NULL;
    c->next = h->conns;
    if (h->conns)
        h->conns->prev = c;
    h->conns = c;
    return 0;
}

/* Mark dead; freed at the end of the loop iteration (other events of the batch may name it). */
static void conn_kill(sim_conn *c)
{
    if (c->dead)
        return;
    c->dead = 1;
    for (int i = 0; i < 2; i++)
        sim_conn_unwatch(c, i);
}

static void reap_dead(sim_http *h)
{
    sim_conn *c = h->conns;
    while (c) {
        sim_conn *next = c->next;
        if (c->dead) {
            if (c->prev)
                c->prev->next = c->next;
            else
                h->conns = c->next;
            if (c->next)
                c->next->prev = c->prev;
            if (c->counted) {
                pthread_mutex_lock(&h->mu);
                h->loop_open--;
                pthread_mutex_unlock(&h->mu);
            }
            c->ops->destroy(c);
        }
        c = next;
    }
}

/* ---- protocol detection: a new plain connection ---- */

typedef struct detect_conn {
    sim_conn base;
    struct sockaddr_storage peer;
    socklen_t peer_len;
    int64_t deadline_ms;
    int released; /* fd given away */
} detect_conn;

static void detect_destroy(sim_conn *c)
{
    detect_conn *d = (detect_conn *)c;
    if (!d->released && c->fd[0] >= 0)
        close(c->fd[0]);
    free(d);
}

/* Give the socket to libmicrohttpd and retire this connection. */
static int detect_to_mhd(detect_conn *d)
{
    sim_conn *c = &d->base;
    sim_conn_unwatch(c, 0);
    d->released = 1;
    if (c->counted) { /* libmicrohttpd counts it from here on (on_connection) */
        c->counted = 0;
        pthread_mutex_lock(&c->h->mu);
        c->h->loop_open--;
        pthread_mutex_unlock(&c->h->mu);
    }
    sim_http_hand_off(c->h, c->fd[0], (struct sockaddr *)&d->peer, d->peer_len);
    c->fd[0] = -1;
    return -1;
}

static int detect_become(detect_conn *d, sim_conn *(*make)(sim_http *, int))
{
    sim_conn *c = &d->base;
    sim_conn_unwatch(c, 0);
    sim_conn *n = make(c->h, c->fd[0]);
    d->released = 1; /* make owns the descriptor, even when it failed */
    c->fd[0] = -1;
    if (n && sim_conn_add(c->h, n) != 0)
        n->ops->destroy(n);
    else if (n) { /* the count moves to the new connection */
        n->counted = c->counted;
        c->counted = 0;
    }
    return -1;
}

static sim_conn *make_tls(sim_http *h, int fd)
{
    return sim_tls_conn_new(h, h->tls, fd);
}

static int detect_io(sim_conn *c, int which, uint32_t events)
{
    (void)which;
    detect_conn *d = (detect_conn *)c;
    uint8_t buf[H2_PREFACE_LEN];
    ssize_t n = recv(c->fd[0], buf, sizeof buf, MSG_PEEK);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return (events & (EPOLLHUP | EPOLLERR)) ? -1 : 0;
    if (n <= 0)
        return -1;                   /* closed before saying anything */
    if (buf[0] == 0x16 && c->h->tls) /* a TLS handshake record */
        return detect_become(d, make_tls);
    if (memcmp(buf, H2_PREFACE, (size_t)n) != 0)
        return detect_to_mhd(d);
    if (n == H2_PREFACE_LEN)
        return detect_become(d, sim_h2_conn_new);
    return 0; /* a prefix of the preface so far: wait for more (edge-triggered) */
}

static int detect_tick(sim_conn *c, int64_t now_ms)
{
    detect_conn *d = (detect_conn *)c;
    if (now_ms < d->deadline_ms)
        return 0;
    return detect_to_mhd(d); /* slow sender: libmicrohttpd has its own timeouts */
}

static void detect_stop(sim_conn *c)
{
    (void)c;
}

static const sim_conn_ops detect_ops = {detect_io, detect_tick, detect_stop, detect_destroy};

/* Answer a connection over max_connections (or beyond the descriptor limit) with a plain
 * HTTP/1.1 503 and close it. It is refused before it says anything, so the protocol is unknown:
 * HTTP/1.1 clients read a clear answer, others see the connection close. */
static void refuse(sim_http *h, int fd, int open_now, const char *why)
{
    char id[SIM_REQUEST_ID_LEN], body[256], head[512];
    sim_http_request_id(h, id, sizeof id);
    int bl = snprintf(body, sizeof body,
                      "{\"__type\":\"ServiceUnavailable\",\"message\":\"Too many connections: %s "
                      "(max-connections %d)\"}",
                      why, h->lim.max_connections);
    int hl =
        snprintf(head, sizeof head,
                 "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/x-amz-json-1.1\r\n"
                 "x-amzn-RequestId: %s\r\nRetry-After: 1\r\nConnection: close\r\nContent-Length: %d\r\n\r\n",
                 id, bl);
    struct iovec iov[2] = {{head, (size_t)hl}, {body, (size_t)bl}};
    struct msghdr mh;
    memset(&mh, 0, sizeof mh);
    mh.msg_iov = iov;
    mh.msg_iovlen = 2;
    if (sendmsg(fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
        sim_log(SIM_LOG_DEBUG, "http: refusal not sent: %s", strerror(errno));
    shutdown(fd, SHUT_WR);
    close(fd);
    int64_t now = sim_http_mono_ms();
    if (now - h->last_refusal_log >= 1000) { /* at most one line a second under a flood */
        h->last_refusal_log = now;
        sim_log(SIM_LOG_WARN, "http: refusing connections: %s (%d open, max-connections %d)", why, open_now,
                h->lim.max_connections);
    }
}

/* Out of descriptors: free the spare one, accept and refuse one client with it, take it back, so a
 * flood is answered instead of spinning on a listening socket that stays readable. */
static void accept_with_spare(sim_http *h, int lfd)
{
    if (h->spare_fd < 0)
        return;
    close(h->spare_fd);
    h->spare_fd = -1;
    int fd = accept(lfd, NULL, NULL);
    if (fd >= 0)
        refuse(h, fd, -1, "out of file descriptors");
    h->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
}

static void accept_all(sim_http *h, int lfd, int is_tls)
{
    for (int i = 0; i < 64; i++) { /* bounded per wake-up; level-triggered, so the rest comes next */
        struct sockaddr_storage peer;
        socklen_t plen = sizeof peer;
        int fd = accept(lfd, (struct sockaddr *)&peer, &plen);
        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE) {
                accept_with_spare(h, lfd);
                continue;
            }
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != ECONNABORTED)
                sim_log(SIM_LOG_WARN, "http: accept: %s", strerror(errno));
            return;
        }
        pthread_mutex_lock(&h->mu);
        int open_now = h->loop_open + h->mhd_open + h->handoff_open;
        int over = open_now >= h->lim.max_connections;
        if (!over)
            h->loop_open++; /* handed to a sim_conn below, which gives it back when it goes */
        pthread_mutex_unlock(&h->mu);
        if (over) {
            refuse(h, fd, open_now, "the limit is reached");
            continue;
        }
        sim_conn *c = NULL;
        int fl = fcntl(fd, F_GETFL, 0);
        if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) {
            close(fd);
            goto uncount;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (is_tls) {
            c = sim_tls_conn_new(h, h->tls, fd);
            if (c && sim_conn_add(h, c) == 0) {
                c->counted = 1;
                continue;
            }
            if (c)
                c->ops->destroy(c);
            goto uncount;
        }
        detect_conn *d = calloc(1, sizeof *d);
        if (!d) {
            close(fd);
            goto uncount;
        }
        d->base.ops = &detect_ops;
        d->base.fd[0] = fd;
        d->base.fd[1] = -1;
        d->base.want[0] = EPOLLIN | EPOLLRDHUP | EPOLLET;
        memcpy(&d->peer, &peer, plen);
        d->peer_len = plen;
        d->deadline_ms = sim_http_mono_ms() + DETECT_TIMEOUT_MS;
        d->base.due_ms = d->deadline_ms;
        if (sim_conn_add(h, &d->base) == 0) {
            d->base.counted = 1;
            continue;
        }
        close(fd);
        free(d);
    uncount:
        pthread_mutex_lock(&h->mu);
        h->loop_open--;
        pthread_mutex_unlock(&h->mu);
    }
}

/* ---- the event loop ---- */

#define KEY_WAKE 1u
#define KEY_LISTEN 2u
#define KEY_TLS_LISTEN 3u

static void run_ticks(sim_http *h)
{
    int64_t now = sim_http_mono_ms();
    for (sim_conn *c = h->conns; c; c = c->next)
        if (!c->dead && c->due_ms && c->due_ms <= now && c->ops->tick(c, now) != 0)
            conn_kill(c);
}

static int next_timeout_ms(sim_http *h)
{
    int64_t now = sim_http_mono_ms(), best = -1;
    for (sim_conn *c = h->conns; c; c = c->next)
        if (!c->dead && c->due_ms && (best < 0 || c->due_ms < best))
            best = c->due_ms;
    if (best < 0)
        return 1000;
    int64_t d = best - now;
    return d <= 0 ? 0 : d > 1000 ? 1000 : (int)d;
}

static void *loop_main(void *arg)
{
    sim_http *h = arg;
    struct epoll_event evs[MAX_EVENTS];
    int stopping = 0;
    int64_t stop_deadline = 0;
    for (;;) {
        int n = epoll_wait(h->epfd, evs, MAX_EVENTS, stopping ? 20 : next_timeout_ms(h));
        for (int i = 0; i < n; i++) {
            uint64_t key = evs[i].data.u64;
            if (key == KEY_WAKE) {
                uint64_t v;
                if (read(h->wakefd, &v, sizeof v) < 0 && errno != EAGAIN)
                    sim_log(SIM_LOG_WARN, "http: wake-up read: %s", strerror(errno));
                continue;
            }
            if (key == KEY_LISTEN || key == KEY_TLS_LISTEN) {
                if (!stopping)
                    accept_all(h, key == KEY_LISTEN ? h->listen_fd : h->tls_listen_fd, key == KEY_TLS_LISTEN);
                continue;
            }
            sim_conn *c = (sim_conn *)(uintptr_t)(key & ~(uint64_t)1);
            int which = (int)(key & 1);
            if (c->dead)
                continue;
            if (c->ops->io(c, which, evs[i].events) != 0)
                conn_kill(c);
        }
        loop_end_pass(h);
        run_ticks(h);
        reap_dead(h);
        if (!stopping) {
            pthread_mutex_lock(&h->mu);
            stopping = h->loop_stop;
            pthread_mutex_unlock(&h->mu);
            if (stopping) {
                stop_deadline = sim_http_mono_ms() + STOP_GRACE_MS;
                if (h->listen_fd >= 0)
                    epoll_ctl(h->epfd, EPOLL_CTL_DEL, h->listen_fd, NULL);
                if (h->tls_listen_fd >= 0)
                    epoll_ctl(h->epfd, EPOLL_CTL_DEL, h->tls_listen_fd, NULL);
                for (sim_conn *c = h->conns; c; c = c->next)
                    if (!c->dead)
                        c->ops->stop(c);
                reap_dead(h);
            }
        }
        if (stopping && (!h->conns || sim_http_mono_ms() >= stop_deadline))
            break;
    }
    for (sim_conn *c = h->conns; c; c = c->next)
        conn_kill(c);
    reap_dead(h);
    return NULL;
}

/* ---- the HTTP/1.1 thread: drives libmicrohttpd and ends each batch ---- */

/* On the HTTP/1.1 thread: resume delayed requests whose time came. */
static void take_resumes(sim_http *h)
{
    pthread_mutex_lock(&h->mu);
    http_req *r = h->to_resume;
    h->to_resume = NULL;
    pthread_mutex_unlock(&h->mu);
    while (r) {
        http_req *next = r->next;
        r->next = NULL;
        MHD_resume_connection(r->conn); /* r may be freed by libmicrohttpd from here on */
        r = next;
    }
}

/* The end of a pass over the ready connections: commit the batch. Returns how many held answers
 * may now leave (libmicrohttpd must then run again at once to call their handlers); *more says
 * whether background work is left (the next pass should come at once too). */
static int end_pass(sim_http *h, int *more)
{
    pthread_mutex_lock(&h->dispatch_mu);
    flush_locked(h);
    int n = h->n_released;
    h->n_released = 0;
    /* one bounded piece of background work per pass, between batches, so requests wait for at
     * most one piece */
    *more = sim_server_background(h->srv);
    pthread_mutex_unlock(&h->dispatch_mu);
    return n;
}

/* Nothing left for the HTTP/1.1 thread to answer before it stops. */
static int mhd_idle(sim_http *h)
{
    pthread_mutex_lock(&h->mu);
    int busy = h->delayed > 0 || h->to_resume || h->handoffs;
    pthread_mutex_unlock(&h->mu);
    return !busy;
}

static void *mhd_main(void *arg)
{
    sim_http *h = arg;
    struct epoll_event evs[4];
    int again = 0;
    int64_t stop_deadline = 0;
    for (;;) {
        int timeout = 1000;
        MHD_UNSIGNED_LONG_LONG mhd_ms;
        if (again)
            timeout = 0;
        else if (MHD_get_timeout(h->daemon, &mhd_ms) == MHD_YES && mhd_ms < 1000)
            timeout = (int)mhd_ms;
        if (stop_deadline && timeout > 20)
            timeout = 20;
        int n = epoll_wait(h->mhd_ep, evs, 4, timeout);
        for (int i = 0; i < n; i++) {
            if (evs[i].data.u64 == KEY_WAKE) {
                uint64_t v;
                if (read(h->mhd_wake, &v, sizeof v) < 0 && errno != EAGAIN)
                    sim_log(SIM_LOG_WARN, "http: wake-up read: %s", strerror(errno));
            }
        }
        take_handoffs(h);
        take_resumes(h);
        MHD_run(h->daemon);
        int more = 0;
        int released = end_pass(h, &more) > 0;
        again = released || more;
        if (!stop_deadline) {
            pthread_mutex_lock(&h->mu);
            int stop = h->mhd_stop;
            pthread_mutex_unlock(&h->mu);
            if (stop)
                stop_deadline = sim_http_mono_ms() + MHD_STOP_GRACE_MS;
        }
        /* background work left over is found again after a restart: it does not hold up the stop */
        if (stop_deadline && !released && (mhd_idle(h) || sim_http_mono_ms() >= stop_deadline))
            break;
    }
    return NULL;
}

/* ---- lifecycle ---- */

static int listen_on(const char *host, int port, int *bound_port, int *v6, char *err, size_t err_len,
                     const char *what)
{
    struct addrinfo hints, *ai = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    char ps[16];
    snprintf(ps, sizeof ps, "%d", port);
    int gai = getaddrinfo(host, ps, &hints, &ai);
    if (gai != 0 || !ai) {
        snprintf(err, err_len, "cannot resolve --host %s: %s", host, gai ? gai_strerror(gai) : "no address");
        if (ai)
            freeaddrinfo(ai);
        return -1;
    }
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd >= 0)
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (fd < 0 || bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 256) != 0) {
        int e = errno;
        snprintf(err, err_len, "cannot listen on %s:%d%s: %s", host, port, what, strerror(e));
        if (fd >= 0)
            close(fd);
        freeaddrinfo(ai);
        return -1;
    }
    *v6 = ai->ai_family == AF_INET6;
    freeaddrinfo(ai);
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    *bound_port = port;
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0) {
        if (ss.ss_family == AF_INET)
            *bound_port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
        else if (ss.ss_family == AF_INET6)
            *bound_port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    }
    return fd;
}

static int epoll_add_key(int epfd, int fd, uint64_t key)
{
    struct epoll_event ev;
    memset(&ev, 0, sizeof ev);
    ev.events = EPOLLIN;
    ev.data.u64 = key;
    return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

static void free_partial(sim_http *h)
{
    if (h->daemon) {
        /* whatever the last requests wrote is committed before their connections close */
        pthread_mutex_lock(&h->dispatch_mu);
        flush_locked(h);
        pthread_mutex_unlock(&h->dispatch_mu);
        MHD_stop_daemon(h->daemon);
    }
    while (h->handoffs) {
        handoff *o = h->handoffs;
        h->handoffs = o->next;
        close(o->fd);
        free(o);
    }
    if (h->mhd_ep >= 0)
        close(h->mhd_ep);
    if (h->mhd_wake >= 0)
        close(h->mhd_wake);
    if (h->listen_fd >= 0)
        close(h->listen_fd);
    if (h->tls_listen_fd >= 0)
        close(h->tls_listen_fd);
    if (h->epfd >= 0)
        close(h->epfd);
    if (h->wakefd >= 0)
        close(h->wakefd);
    if (h->spare_fd >= 0)
        close(h->spare_fd);
    sim_tls_ctx_free(h->tls);
    pthread_cond_destroy(&h->cv);
    pthread_mutex_destroy(&h->mu);
    pthread_mutex_destroy(&h->dispatch_mu);
    free(h);
}

/* Tell the HTTP/1.1 thread to stop (it answers what it holds first, for up to MHD_STOP_GRACE_MS)
 * and wait for it. */
static void stop_mhd_thread(sim_http *h)
{
    if (!h->mhd_running)
        return;
    pthread_mutex_lock(&h->mu);
    h->mhd_stop = 1;
    pthread_mutex_unlock(&h->mu);
    wake_mhd(h);
    pthread_join(h->mhd_thread, NULL);
    h->mhd_running = 0;
}

sim_http *sim_http_start(sim_server *srv, char *err, size_t err_len)
{
    const sim_config *cfg = &srv->cfg;
    sim_http *h = calloc(1, sizeof *h);
    if (!h) {
        snprintf(err, err_len, "out of memory");
        return NULL;
    }
    h->srv = srv;
    h->listen_fd = h->tls_listen_fd = h->epfd = h->wakefd = h->spare_fd = -1;
    h->mhd_ep = h->mhd_wake = -1;
    h->handoffs_tail = &h->handoffs;
    h->held_tail = &h->held;
    h->tls_port = -1;
    pthread_mutex_init(&h->mu, NULL);
    pthread_mutex_init(&h->dispatch_mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&h->cv, &ca);
    pthread_condattr_destroy(&ca);

    if (sim_http_limits_get(cfg, &h->lim, err, err_len) != 0) {
        free_partial(h);
        return NULL;
    }
    /* Never promise more connections than there are descriptors (each may also need a socketpair). */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
        long room = ((long)rl.rlim_cur - FD_RESERVE) / 2;
        if (room < 16)
            room = 16;
        if (h->lim.max_connections > room) {
            sim_log(SIM_LOG_WARN, "http: max-connections lowered from %d to %ld (open file limit %ld)",
                    h->lim.max_connections, room, (long)rl.rlim_cur);
            h->lim.max_connections = (int)room;
        }
    }
    h->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

    int v6 = 0, tv6 = 0;
    h->listen_fd = listen_on(cfg->host, cfg->port, &h->port, &v6, err, err_len, "");
    if (h->listen_fd < 0) {
        free_partial(h);
        return NULL;
    }
    if (cfg->tls_cert[0] || cfg->tls_key[0]) {
        if (!cfg->tls_cert[0] || !cfg->tls_key[0]) {
            snprintf(err, err_len, "TLS needs both --tls-cert and --tls-key");
            free_partial(h);
            return NULL;
        }
        h->tls = sim_tls_ctx_new(cfg->tls_cert, cfg->tls_key, err, err_len);
        if (!h->tls) {
            free_partial(h);
            return NULL;
        }
        /* TLS is always detected on the plain port; --tls-port adds a TLS-only listener. */
        h->tls_port = h->port;
        if (cfg->tls_port > 0 && cfg->tls_port != h->port) {
            h->tls_listen_fd =
                listen_on(cfg->host, cfg->tls_port, &h->tls_port, &tv6, err, err_len, " (TLS)");
            if (h->tls_listen_fd < 0) {
                free_partial(h);
                return NULL;
            }
        }
    }

    /* no internal thread: mhd_main runs it (MHD_run), so a batch ends when a pass does */
    unsigned base = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG | MHD_USE_NO_LISTEN_SOCKET;
    if (v6)
        base |= MHD_USE_IPv6;
    /* MHD's idle timeout is a backstop behind the timer's (whole seconds) */
    unsigned mhd_timeout_s = (unsigned)((h->lim.connection_timeout_ms + 999) / 1000) + 1;
    h->daemon =
        MHD_start_daemon(base, 0, NULL, NULL, on_request, h, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, h,
                         MHD_OPTION_URI_LOG_CALLBACK, on_uri, h, MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
                         MHD_OPTION_NOTIFY_CONNECTION, on_connection, h, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
                         h->lim.max_header_bytes + CONN_MEMORY_SLACK, MHD_OPTION_CONNECTION_LIMIT,
                         (unsigned)h->lim.max_connections * 2u + 16u, MHD_OPTION_CONNECTION_TIMEOUT,
                         mhd_timeout_s, MHD_OPTION_END);
    const union MHD_DaemonInfo *ei =
        h->daemon ? MHD_get_daemon_info(h->daemon, MHD_DAEMON_INFO_EPOLL_FD) : NULL;
    if (!h->daemon || !ei) {
        snprintf(err, err_len, "libmicrohttpd refused to start");
        free_partial(h);
        return NULL;
    }
    h->mhd_ep = epoll_create1(EPOLL_CLOEXEC);
    h->mhd_wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (h->mhd_ep < 0 || h->mhd_wake < 0 || epoll_add_key(h->mhd_ep, h->mhd_wake, KEY_WAKE) != 0 ||
        epoll_add_key(h->mhd_ep, ei->epoll_fd, KEY_LISTEN) != 0) {
        snprintf(err, err_len, "cannot set up the HTTP/1.1 event loop: %s", strerror(errno));
        free_partial(h);
        return NULL;
    }
    if (pthread_create(&h->mhd_thread, NULL, mhd_main, h) != 0) {
        snprintf(err, err_len, "cannot start the HTTP/1.1 thread");
        free_partial(h);
        return NULL;
    }
    h->mhd_running = 1;

    h->epfd = epoll_create1(EPOLL_CLOEXEC);
    h->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (h->epfd < 0 || h->wakefd < 0 || epoll_add_key(h->epfd, h->wakefd, KEY_WAKE) != 0 ||
        epoll_add_key(h->epfd, h->listen_fd, KEY_LISTEN) != 0 ||
        (h->tls_listen_fd >= 0 && epoll_add_key(h->epfd, h->tls_listen_fd, KEY_TLS_LISTEN) != 0)) {
        snprintf(err, err_len, "cannot set up the event loop: %s", strerror(errno));
        stop_mhd_thread(h);
        free_partial(h);
        return NULL;
    }
    if (pthread_create(&h->loop, NULL, loop_main, h) != 0) {
        snprintf(err, err_len, "cannot start the event loop thread");
        stop_mhd_thread(h);
        free_partial(h);
        return NULL;
    }
    h->loop_running = 1;
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

int sim_http_tls_port(const sim_http *h)
{
    return h ? h->tls_port : -1;
}

void sim_http_stop(sim_http *h)
{
    if (!h)
        return;
    /* 1. HTTP/1.1: resume every suspended request (delays answer now, streams end). */
    pthread_mutex_lock(&h->mu);
    h->stopping = 1;
    pthread_cond_signal(&h->cv);
    pthread_mutex_unlock(&h->mu);
    if (h->timer_running)
        pthread_join(h->timer, NULL); /* returns once every suspended request was resumed */
    /* 2. The event loop: GOAWAY on HTTP/2, end streams, flush for up to STOP_GRACE_MS. */
    pthread_mutex_lock(&h->mu);
    h->loop_stop = 1;
    pthread_mutex_unlock(&h->mu);
    uint64_t one = 1;
    if (write(h->wakefd, &one, sizeof one) < 0)
        sim_log(SIM_LOG_WARN, "http: wake-up write: %s", strerror(errno));
    if (h->loop_running)
        pthread_join(h->loop, NULL);
    /* 3. The HTTP/1.1 thread commits what it holds and answers resumed and held requests for up to
     *    a second, then stops; free_partial commits anything left before the connections close. */
    stop_mhd_thread(h);
    sim_log(SIM_LOG_DEBUG, "http: group commit: %llu answers held over %llu batches, %llu batches failed",
            (unsigned long long)h->held_total, (unsigned long long)h->batches,
            (unsigned long long)h->batch_failures);
    sim_log(SIM_LOG_DEBUG, "http: HTTP/2: %llu answers in %llu writes", (unsigned long long)h->h2_answers,
            (unsigned long long)h->h2_writes);
    free_partial(h);
}
