/* main.c: kinesis-sim's entry point. Parse the configuration (server/config.c), build the server
 * (server/server.c: store, server key, API model, clock, simulation, credentials), start the HTTP
 * front door (net/http.c), print one
 * "kinesis-sim listening on http://HOST:PORT" line when ready, serve until SIGINT or SIGTERM,
 * then stop the front door and close the store. Exit codes: 0 clean stop, 1 startup failure
 * (database, model, address), 2 bad flags, environment, faults file or credentials file. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "net/console.h"
#include "net/http.h"
#include "server/config.h"
#include "server/server.h"
#include "server/sim.h"
#include "wire/json_alloc.h"

extern char **environ;

static double mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void print_ready(const sim_config *cfg, int port)
{
    int v6 = strchr(cfg->host, ':') != NULL;
    printf("kinesis-sim listening on http://%s%s%s:%d\n", v6 ? "[" : "", cfg->host, v6 ? "]" : "", port);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    sim_json_alloc_install(); /* before any Jansson value exists */
    char err[1024];
    sim_config cfg;
    int rc = sim_config_parse(&cfg, argc, argv, environ, stdout, err, sizeof err);
    if (rc == SIM_CONFIG_EXIT)
        return 0;
    if (rc != SIM_CONFIG_RUN) {
        fprintf(stderr, "kinesis-sim: %s\nTry 'kinesis-sim --help'.\n", err);
        return 2;
    }
    sim_log_set_level(cfg.log_level);
    char unknown[512];
    if (sim_config_unknown_env(environ, unknown, sizeof unknown) > 0)
        sim_log(SIM_LOG_WARN,
                "unknown environment variable(s) ignored: %s (kinesis-sim --help lists the settings)",
                unknown);

    /* Block the stop signals in every thread (the HTTP threads inherit this mask); main waits
     * for them with sigwait, so no handler runs inside the server. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);

    double t0 = mono_ms();
    sim_server *srv = malloc(sizeof *srv);
    if (!srv) {
        fprintf(stderr, "kinesis-sim: out of memory\n");
        return 1;
    }
    rc = sim_server_init(srv, &cfg, err, sizeof err);
    if (rc != SIM_SERVER_OK) {
        fprintf(stderr, "kinesis-sim: %s\n", err);
        free(srv);
        return rc;
    }
    if (!sim_config_host_is_loopback(cfg.host)) {
        if (cfg.auth_mode != SIM_AUTH_STRICT)
            sim_log(SIM_LOG_WARN,
                    "listening on %s, which is not loopback, without --auth strict: anyone who can reach it "
                    "can read and write every stream",
                    cfg.host);
        if (!cfg.control_token[0])
            sim_log(SIM_LOG_WARN,
                    "the control API (/_sim/) is disabled off loopback until --control-token is set");
    }

    double t_built = mono_ms();
    sim_http *http = sim_http_start(srv, err, sizeof err);
    if (!http) {
        fprintf(stderr, "kinesis-sim: %s\n", err);
        sim_server_clean_up(srv);
        free(srv);
        return 1;
    }
    print_ready(&cfg, sim_http_port(http));
    if (sim_http_tls_port(http) >= 0) {
        int v6 = strchr(cfg.host, ':') != NULL;
        printf("kinesis-sim listening on https://%s%s%s:%d\n", v6 ? "[" : "", cfg.host, v6 ? "]" : "",
               sim_http_tls_port(http));
        fflush(stdout);
    }
    sim_console *console = NULL;
    if (cfg.console_port >= 0) {
        console = sim_console_start(srv, http, err, sizeof err);
        if (!console) {
            fprintf(stderr, "kinesis-sim: %s\n", err);
            sim_http_stop(http);
            sim_server_clean_up(srv);
            free(srv);
            return 1;
        }
        int v6 = strchr(cfg.host, ':') != NULL;
        printf("kinesis-sim console on http://%s%s%s:%d/_sim/ui/\n", v6 ? "[" : "", cfg.host, v6 ? "]" : "",
               sim_console_port(console));
        fflush(stdout);
    }
    double t_ready = mono_ms();
    sim_log(SIM_LOG_DEBUG, "ready in %.1f ms (store, model and simulation %.1f, http %.1f)", t_ready - t0,
            t_built - t0, t_ready - t_built);
    sim_log(SIM_LOG_INFO, "serving region %s, account %s, database %s (log level %s, auth %s%s%s)",
            cfg.region, cfg.account_id, cfg.db_path, sim_config_log_level_name(cfg.log_level),
            cfg.auth_mode == SIM_AUTH_STRICT ? "strict" : "format",
            cfg.sim.clock == SIM_CLOCK_VIRTUAL ? ", virtual clock" : "",
            cfg.sim.throttle == SIM_THROTTLE_OFF ? ", throttling off" : "");

    int sig = 0;
    while (sigwait(&stop, &sig) != 0)
        ;
    sim_log(SIM_LOG_INFO, "stopping on signal %d", sig);
    sim_console_stop(console); /* before the front door its requests are dispatched through */
    sim_http_stop(http);
    sim_server_clean_up(srv);
    free(srv);
    return 0;
}
