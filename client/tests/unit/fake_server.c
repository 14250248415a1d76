/* fake_server.c: the scripted HTTP/1.1 test server described in fake_server.h. One thread polls
 * the listening socket and up to 16 connections with a 50 ms timeout, so fs_stop() is prompt. */
#include "fake_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define FS_MAX_CONNS 16

typedef struct conn {
    int fd;
    char *buf;
    size_t len, cap;
} conn;

struct fake_server {
    int listen_fd;
    char url[64];
    pthread_t thread;
    pthread_mutex_t mu;
    int stop;
    const fs_answer *script;
    size_t n_script;
    fs_request reqs[FS_MAX_REQUESTS];
    size_t n_reqs;
    size_t n_conns;
    conn conns[FS_MAX_CONNS];
};

static void close_conn(conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    free(c->buf);
    memset(c, 0, sizeof *c);
    c->fd = -1;
}

static void send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w <= 0)
            return;
        p += w;
        n -= (size_t)w;
    }
}

/* If c holds a whole request, record it, answer it and return 1. */
static int serve_one(fake_server *s, conn *c)
{
    if (!c->buf)
        return 0;
    char *end = strstr(c->buf, "\r\n\r\n");
    if (!end)
        return 0;
    size_t head_len = (size_t)(end - c->buf) + 4;
    size_t body_len = 0;
    for (char *p = c->buf; p < end; p++)
        if ((p == c->buf || p[-1] == '\n') && strncasecmp(p, "Content-Length:", 15) == 0)
            body_len = strtoul(p + 15, NULL, 10);
    if (c->len < head_len + body_len)
        return 0;
    pthread_mutex_lock(&s->mu);
    size_t i = s->n_reqs;
    if (i < FS_MAX_REQUESTS) {
        fs_request *r = &s->reqs[i];
        r->head = strndup(c->buf, head_len - 4);
        r->body = malloc(body_len + 1);
        if (r->body) {
            memcpy(r->body, c->buf + head_len, body_len);
            r->body[body_len] = '\0';
        }
        r->body_len = body_len;
        s->n_reqs++;
    }
    pthread_mutex_unlock(&s->mu);
    memmove(c->buf, c->buf + head_len + body_len, c->len - head_len - body_len);
    c->len -= head_len + body_len;
    c->buf[c->len] = '\0';
    const fs_answer *a = &s->script[i < s->n_script ? i : s->n_script - 1];
    if (a->status == 0 || i >= FS_MAX_REQUESTS) {
        close_conn(c);
        return 1;
    }
    const char *body = a->body ? a->body : "";
    char head[1024];
    int n =
        snprintf(head, sizeof head,
                 "HTTP/1.1 %d X\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: %zu\r\n%s\r\n",
                 a->status, strlen(body), a->extra_headers ? a->extra_headers : "");
    send_all(c->fd, head, (size_t)n);
    send_all(c->fd, body, strlen(body));
    return 1;
}

static void *run(void *arg)
{
    fake_server *s = arg;
    for (;;) {
        pthread_mutex_lock(&s->mu);
        int stop = s->stop;
        pthread_mutex_unlock(&s->mu);
        if (stop)
            break;
        struct pollfd pf[FS_MAX_CONNS + 1];
        pf[0].fd = s->listen_fd;
        pf[0].events = POLLIN;
        for (int i = 0; i < FS_MAX_CONNS; i++) {
            pf[i + 1].fd = s->conns[i].fd;
            pf[i + 1].events = POLLIN;
            pf[i + 1].revents = 0;
        }
        if (poll(pf, FS_MAX_CONNS + 1, 50) <= 0)
            continue;
        if (pf[0].revents & POLLIN) {
            int fd = accept(s->listen_fd, NULL, NULL);
            int placed = 0;
            for (int i = 0; fd >= 0 && i < FS_MAX_CONNS && !placed; i++)
                if (s->conns[i].fd < 0) {
                    s->conns[i].fd = fd;
                    placed = 1;
                }
            if (fd >= 0 && !placed)
                close(fd);
            if (placed) {
                pthread_mutex_lock(&s->mu);
                s->n_conns++;
                pthread_mutex_unlock(&s->mu);
            }
        }
        for (int i = 0; i < FS_MAX_CONNS; i++) {
            conn *c = &s->conns[i];
            if (c->fd < 0 || !(pf[i + 1].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            if (c->len + 4097 > c->cap) {
                size_t cap = c->cap ? c->cap * 2 : 8192;
                char *nb = realloc(c->buf, cap);
                if (!nb) {
                    close_conn(c);
                    continue;
                }
                c->buf = nb;
                c->cap = cap;
            }
            ssize_t r = recv(c->fd, c->buf + c->len, c->cap - c->len - 1, 0);
            if (r <= 0) {
                close_conn(c);
                continue;
            }
            c->len += (size_t)r;
            c->buf[c->len] = '\0';
            while (c->fd >= 0 && serve_one(s, c)) {
            }
        }
    }
    return NULL;
}

fake_server *fs_start(const fs_answer *script, size_t n)
{
    fake_server *s = calloc(1, sizeof *s);
    if (!s || n == 0) {
        free(s);
        return NULL;
    }
    s->script = script;
    s->n_script = n;
    for (int i = 0; i < FS_MAX_CONNS; i++)
        s->conns[i].fd = -1;
    pthread_mutex_init(&s->mu, NULL);
    s->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t al = sizeof a;
    if (s->listen_fd < 0 || bind(s->listen_fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        listen(s->listen_fd, 16) != 0 || getsockname(s->listen_fd, (struct sockaddr *)&a, &al) != 0) {
        if (s->listen_fd >= 0)
            close(s->listen_fd);
        free(s);
        return NULL;
    }
    snprintf(s->url, sizeof s->url, "http://127.0.0.1:%d", ntohs(a.sin_port));
    if (pthread_create(&s->thread, NULL, run, s) != 0) {
        close(s->listen_fd);
        free(s);
        return NULL;
    }
    return s;
}

const char *fs_url(const fake_server *s)
{
    return s->url;
}

void fs_stop(fake_server *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->mu);
    s->stop = 1;
    pthread_mutex_unlock(&s->mu);
    pthread_join(s->thread, NULL);
    for (int i = 0; i < FS_MAX_CONNS; i++)
        close_conn(&s->conns[i]);
    close(s->listen_fd);
    for (size_t i = 0; i < s->n_reqs; i++) {
        free(s->reqs[i].head);
        free(s->reqs[i].body);
    }
    pthread_mutex_destroy(&s->mu);
    free(s);
}

size_t fs_count(fake_server *s)
{
    pthread_mutex_lock(&s->mu);
    size_t n = s->n_reqs;
    pthread_mutex_unlock(&s->mu);
    return n;
}

size_t fs_connections(fake_server *s)
{
    pthread_mutex_lock(&s->mu);
    size_t n = s->n_conns;
    pthread_mutex_unlock(&s->mu);
    return n;
}

const fs_request *fs_get(fake_server *s, size_t i)
{
    return i < fs_count(s) ? &s->reqs[i] : NULL;
}

const char *fs_header(const fs_request *r, const char *name, char *buf, size_t len)
{
    size_t nl = strlen(name);
    for (const char *p = r->head; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
        if (strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
            const char *v = p + nl + 1;
            while (*v == ' ')
                v++;
            size_t vl = strcspn(v, "\r\n");
            if (vl >= len)
                vl = len - 1;
            memcpy(buf, v, vl);
            buf[vl] = '\0';
            return buf;
        }
    }
    return NULL;
}
