/* console.h: the browser console's own listener (issue 18; README "The console"). With
 * --console-port N the simulator also listens on HOST:N and serves there, and only there:
 *   /_sim/ui/            the console's page (index.html, app.js, style.css from mockserver/console/ui/,
 *                        embedded into the binary at build time: no file is read at run time);
 *   /_sim/...            the control API, through the same router and dispatch lock as the Kinesis
 *                        port (so X-Sim-Control-Token applies exactly as there);
 *   /                    a redirect to /_sim/ui/.
 * Kinesis calls are not served on this port. A libmicrohttpd daemon with one thread of its own:
 * nothing runs while no page is open. */
#ifndef SIM_CONSOLE_H
#define SIM_CONSOLE_H

#include <stddef.h>

#include "net/http.h"
#include "server/sim.h"

typedef struct sim_console sim_console;

/* Listen on srv->cfg.host:srv->cfg.console_port (0 picks a free port). NULL with a message in err. */
sim_console *sim_console_start(sim_server *srv, sim_http *http, char *err, size_t err_len);
/* The port actually bound. */
int sim_console_port(const sim_console *c);
void sim_console_stop(sim_console *c);

/* The embedded file for a path under /_sim/ui/ ("" and "index.html" are the page): 0 with
 * *data, *len and *content_type set, -1 when there is none. */
int sim_console_asset(const char *name, const unsigned char **data, size_t *len, const char **content_type);

#endif
