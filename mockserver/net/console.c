/* console.c: the browser console's listener (see console.h). A small libmicrohttpd daemon with its
 * own thread (besides http.c, the one other file that includes microhttpd.h): it serves the embedded
 * page, hands /_sim/ requests to the router under the front door's dispatch lock (sim_http_lock,
 * which commits the open group-commit batch first, so the page reads committed state only) and answers
 * everything else 404. Every answer carries a Content-Security-Policy that lets the page load
 * nothing but itself and talk to nothing but its own origin. */
#include "net/console.h"

#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dispatch/router.h"
#include "net/http.h"
#include "server/config.h"

/* the page, embedded by the Makefile (ci/tools/embed over mockserver/console/ui/) */
extern const unsigned char sim_console_index_html[], sim_console_app_js[], sim_console_style_css[];
extern const size_t sim_console_index_html_len, sim_console_app_js_len, sim_console_style_css_len;

#define CONSOLE_BODY_MAX ((size_t)1024 * 1024)
#define CONSOLE_CONNECTIONS 64
#define CONSOLE_TIMEOUT_S 60

#define CSP                                                                                                  \
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "    \
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

struct sim_console {
    sim_server *srv;
    sim_http *http;
    struct MHD_Daemon *daemon;
    int fd;
    int port;
};

typedef struct console_req {
    char *uri; /* raw, with the query string */
    uint8_t *body;
    size_t len, cap;
    int too_large;
    int started;
} console_req;

int sim_console_asset(const char *name, const unsigned char **data, size_t *len, const char **content_type)
{
    if (!name[0] || strcmp(name, "index.html") == 0) {
        *data = sim_console_index_html;
        *len = sim_console_index_html_len;
        *content_type = "text/html; charset=utf-8";
    } else if (strcmp(name, "app.js") == 0) {
        *data = sim_console_app_js;
        *len = sim_console_app_js_len;
        *content_type = "text/javascript; charset=utf-8";
    } else if (strcmp(name, "style.css") == 0) {
        *data = sim_console_style_css;
        *len = sim_console_style_css_len;
        *content_type = "text/css; charset=utf-8";
    } else {
        return -1;
    }
    return 0;
}

static void common_headers(struct MHD_Response *m)
{
    MHD_add_response_header(m, "Content-Security-Policy", CSP);
    MHD_add_response_header(m, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(m, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(m, "Cache-Control", "no-cache");
}

static enum MHD_Result send_bytes(struct MHD_Connection *conn, unsigned status, const char *ctype,
                                  const void *data, size_t len, const char *location)
{
    struct MHD_Response *m = MHD_create_response_from_buffer(len, (void *)data, MHD_RESPMEM_PERSISTENT);
    if (!m)
        return MHD_NO;
    common_headers(m);
    if (ctype)
        MHD_add_response_header(m, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    if (location)
        MHD_add_response_header(m, MHD_HTTP_HEADER_LOCATION, location);
    enum MHD_Result rc = MHD_queue_response(conn, status, m);
    MHD_destroy_response(m);
    return rc;
}

static enum MHD_Result send_error(struct MHD_Connection *conn, unsigned status, const char *type,
                                  const char *msg)
{
    char body[768];
    int n = snprintf(body, sizeof body, "{\"__type\":\"%s\",\"message\":\"%s\"}", type, msg);
    struct MHD_Response *m =
        MHD_create_response_from_buffer(n > 0 ? (size_t)n : 0, body, MHD_RESPMEM_MUST_COPY);
    if (!m)
        return MHD_NO;
    common_headers(m);
    MHD_add_response_header(m, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    enum MHD_Result rc = MHD_queue_response(conn, status, m);
    MHD_destroy_response(m);
    return rc;
}

/* A page reached through DNS rebinding (some site's name pointed at 127.0.0.1) names that site in
 * Host: on loopback without a token, only loopback names are answered. */
static int host_allowed(const sim_console *c, struct MHD_Connection *conn)
{
    if (c->srv->cfg.control_token[0] || !sim_config_host_is_loopback(c->srv->cfg.host))
        return 1;
    const char *host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
    if (!host)
        return 1; /* HTTP/1.0 without Host: not a browser */
    size_t n = strlen(host);
    const char *colon = strrchr(host, ':');
    if (colon && (!strchr(host, ']') || colon > strchr(host, ']')))
        n = (size_t)(colon - host);
    static const char *const names[] = {"127.0.0.1", "localhost", "[::1]"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strlen(names[i]) == n && strncasecmp(host, names[i], n) == 0)
            return 1;
    return 0;
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

static enum MHD_Result dispatch_control(sim_console *c, console_req *r, struct MHD_Connection *conn,
                                        const char *url, const char *method)
{
    sim_request req;
    memset(&req, 0, sizeof req);
    int n = MHD_get_connection_values(conn, MHD_HEADER_KIND, NULL, NULL);
    req.headers = calloc(n > 0 ? (size_t)n : 1, sizeof *req.headers);
    if (!req.headers)
        return MHD_NO;
    MHD_get_connection_values(conn, MHD_HEADER_KIND, collect_header, &req);
    const char *q = r->uri ? strchr(r->uri, '?') : NULL;
    req.method = method;
    req.path = url;
    req.query = q ? q + 1 : NULL;
    req.body = r->body;
    req.body_len = r->len;
    sim_response resp;
    memset(&resp, 0, sizeof resp);
    sim_http_request_id(c->http, req.request_id, sizeof req.request_id);
    sim_http_lock(c->http); /* one request at a time, after the open batch has committed */
    sim_dispatch(c->srv, &req, &resp);
    sim_http_unlock(c->http);
    free(req.headers);
    struct MHD_Response *m = MHD_create_response_from_buffer(
        resp.body_len, resp.body ? (void *)resp.body : "", MHD_RESPMEM_MUST_COPY);
    enum MHD_Result rc = MHD_NO;
    if (m) {
        common_headers(m);
        if (resp.content_type[0])
            MHD_add_response_header(m, MHD_HTTP_HEADER_CONTENT_TYPE, resp.content_type);
        for (size_t i = 0; i < resp.n_extra; i++)
            MHD_add_response_header(m, resp.extra[i].name, resp.extra[i].value);
        MHD_add_response_header(m, "x-amzn-RequestId", req.request_id);
        rc = MHD_queue_response(conn, resp.status ? (unsigned)resp.status : 500, m);
        MHD_destroy_response(m);
    }
    sim_response_clean_up(&resp);
    return rc;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    (void)version;
    sim_console *c = cls;
    console_req *r = *con_cls;
    if (!r)
        return MHD_NO; /* the URI callback could not allocate */
    if (!r->started) {
        r->started = 1;
        return MHD_YES; /* headers only; the body (if any) follows */
    }
    if (*upload_data_size) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (r->too_large || r->len + n > CONSOLE_BODY_MAX) {
            r->too_large = 1;
            return MHD_YES;
        }
        return sim_body_append(&r->body, &r->len, &r->cap, upload_data, n) == 0 ? MHD_YES : MHD_NO;
    }
    if (r->too_large)
        return send_error(conn, 413, "RequestEntityTooLarge", "the body is larger than 1 MiB");
    if (!host_allowed(c, conn))
        return send_error(conn, 403, "AccessDeniedException",
                          "the console answers only to a loopback Host (127.0.0.1, localhost, [::1])");
    int get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
    if ((strcmp(url, "/") == 0 || strcmp(url, "/_sim/ui") == 0) && get)
        return send_bytes(conn, strcmp(url, "/") == 0 ? 302 : 301, NULL, "", 0, "/_sim/ui/");
    if (strncmp(url, "/_sim/ui/", 9) == 0) {
        if (!get)
            return send_error(conn, 405, "MethodNotAllowed", "use GET");
        if (!c->srv->cfg.control_token[0] && !sim_config_host_is_loopback(c->srv->cfg.host))
            return send_error(conn, 403, "AccessDeniedException",
                              "The control API is disabled because kinesis-sim listens on a non-loopback "
                              "address: start it with --control-token TOKEN.");
        const unsigned char *data;
        size_t len;
        const char *ctype;
        if (sim_console_asset(url + 9, &data, &len, &ctype) != 0)
            return send_error(conn, 404, "NotFound", "no such file in the console");
        return send_bytes(conn, 200, ctype, data, len, NULL);
    }
    if (strncmp(url, "/_sim/", 6) == 0 || strcmp(url, "/_sim") == 0)
        return dispatch_control(c, r, conn, url, method);
    return send_error(conn, 404, "UnknownOperationException",
                      "this is kinesis-sim's console port: it serves /_sim/ui/ and the /_sim/ control API; "
                      "send Kinesis calls to the main port");
}

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    (void)cls;
    (void)conn;
    console_req *r = calloc(1, sizeof *r);
    if (r)
        r->uri = strdup(uri ? uri : "/");
    return r;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    console_req *r = *con_cls;
    if (!r)
        return;
    free(r->uri);
    free(r->body);
    free(r);
    *con_cls = NULL;
}

static void on_log(void *cls, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
static void on_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char buf[512];
    vsnprintf(buf, sizeof buf, fmt, ap);
    size_t n = strlen(buf);
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        buf[--n] = 0;
    sim_log(SIM_LOG_DEBUG, "console: %s", buf);
}

sim_console *sim_console_start(sim_server *srv, sim_http *http, char *err, size_t err_len)
{
    const sim_config *cfg = &srv->cfg;
    sim_console *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(err, err_len, "out of memory");
        return NULL;
    }
    c->srv = srv;
    c->http = http;
    c->fd = -1;
    struct addrinfo hints, *ai = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    char ps[16];
    snprintf(ps, sizeof ps, "%d", cfg->console_port);
    int gai = getaddrinfo(cfg->host, ps, &hints, &ai);
    if (gai != 0 || !ai) {
        snprintf(err, err_len, "cannot resolve --host %s: %s", cfg->host,
                 gai ? gai_strerror(gai) : "no address");
        if (ai)
            freeaddrinfo(ai);
        free(c);
        return NULL;
    }
    int v6 = ai->ai_family == AF_INET6;
    c->fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    if (c->fd >= 0)
        setsockopt(c->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (c->fd < 0 || bind(c->fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(c->fd, 64) != 0) {
        snprintf(err, err_len, "cannot listen on %s:%d (console): %s", cfg->host, cfg->console_port,
                 strerror(errno));
        freeaddrinfo(ai);
        sim_console_stop(c);
        return NULL;
    }
    freeaddrinfo(ai);
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    c->port = cfg->console_port;
    if (getsockname(c->fd, (struct sockaddr *)&ss, &sl) == 0)
        c->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                                 : ((struct sockaddr_in *)&ss)->sin_port);
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_ERROR_LOG;
    if (v6)
        flags |= MHD_USE_IPv6;
    c->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, c, MHD_OPTION_LISTEN_SOCKET, c->fd,
                                 MHD_OPTION_EXTERNAL_LOGGER, on_log, c, MHD_OPTION_URI_LOG_CALLBACK, on_uri,
                                 c, MHD_OPTION_NOTIFY_COMPLETED, on_completed, c, MHD_OPTION_CONNECTION_LIMIT,
                                 (unsigned)CONSOLE_CONNECTIONS, MHD_OPTION_CONNECTION_TIMEOUT,
                                 (unsigned)CONSOLE_TIMEOUT_S, MHD_OPTION_END);
    if (!c->daemon) {
        snprintf(err, err_len, "libmicrohttpd refused to start the console listener");
        sim_console_stop(c);
        return NULL;
    }
    return c;
}

int sim_console_port(const sim_console *c)
{
    return c ? c->port : -1;
}

void sim_console_stop(sim_console *c)
{
    if (!c)
        return;
    if (c->daemon)
        MHD_stop_daemon(c->daemon); /* closes the listening socket it was given */
    else if (c->fd >= 0)
        close(c->fd);
    free(c);
}
