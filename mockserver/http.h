/* http.h: the HTTP/1.1 front door (libmicrohttpd). It turns each request into a sim_request,
 * hands it to sim_dispatch, and sends back the sim_response with x-amzn-RequestId and x-amz-id-2
 * on every answer. It honours the response's simulation seams: delay_ms (the connection is
 * suspended and resumed by a timer, the event loop never blocks) and drop_connection.
 * A later HTTP/2 front end produces the same sim_request, so nothing past this knows HTTP. */
#ifndef SIM_HTTP_H
#define SIM_HTTP_H

#include <stddef.h>

#include "sim.h"

typedef struct sim_http sim_http;

/* Listen on srv->cfg.host:port and serve from one internal polling thread (epoll); every call
 * into the router, the store and the handlers happens on that thread. NULL and a message in err
 * on failure (address in use, bad address...). */
sim_http *sim_http_start(sim_server *srv, char *err, size_t err_len);
/* The port actually bound (the chosen one when cfg.port was 0). */
int sim_http_port(const sim_http *h);
/* Answer any delayed requests at once, stop serving, free everything. */
void sim_http_stop(sim_http *h);

#endif
