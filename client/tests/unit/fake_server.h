/* fake_server.h: a tiny HTTP/1.1 server for the client's unit tests. It listens on
 * 127.0.0.1:<ephemeral port> in a thread, records every request it gets, and answers each with
 * the next canned answer of its script (or drops the connection, to simulate a transport
 * failure). Bounded: it serves at most FS_MAX_REQUESTS requests and stops within 100 ms of
 * fs_stop(). */
#ifndef FAKE_SERVER_H
#define FAKE_SERVER_H

#include <stddef.h>

#define FS_MAX_REQUESTS 64

typedef struct fs_answer {
    int status;                /* 0: close the connection without answering */
    const char *body;          /* NULL: empty */
    const char *extra_headers; /* e.g. "x-amzn-RequestId: abc\r\n", or NULL */
} fs_answer;

typedef struct fs_request {
    char *head; /* request line and headers */
    char *body;
    size_t body_len;
} fs_request;

typedef struct fake_server fake_server;

/* Start with a script of n answers; requests beyond the script get the last answer again. */
fake_server *fs_start(const fs_answer *script, size_t n);
/* "http://127.0.0.1:<port>" */
const char *fs_url(const fake_server *s);
/* Stop the thread and free everything. */
void fs_stop(fake_server *s);
/* Requests received so far (thread-safe snapshot count). */
size_t fs_count(fake_server *s);
/* Connections accepted so far. */
size_t fs_connections(fake_server *s);
/* The i-th request (valid until fs_stop). */
const fs_request *fs_get(fake_server *s, size_t i);
/* A header's value in a request head (case-insensitive name), copied into buf; NULL if absent. */
const char *fs_header(const fs_request *r, const char *name, char *buf, size_t len);

#endif
