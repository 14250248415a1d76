/* main.c: kinesis-sim's entry point. Parse the configuration (config.c), open the store, load the
 * API model, read the server key, load the credentials (--auth strict), start the clock (real or
 * virtual) and the simulation layer (throttling, faults), then the HTTP front door, print one
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

#include "dispatch/auth.h"
#include "dispatch/validate.h"
#include "net/http.h"
#include "server/config.h"
#include "server/sim.h"
#include "simulation/simulation.h"
#include "store/store.h"
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

static void shutdown_server(sim_server *srv, sim_http *http)
{
    sim_http_stop(http);
    if (srv->model)
        sim_model_free(srv->model);
    if (srv->store)
        store_close(srv->store);
    if (srv->clock)
        sim_clock_free(srv->clock);
    sim_simulation_free(srv->sim);
    sim_credentials_free(srv->credentials);
    free(srv);
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

    /* Block the stop signals in every thread (the HTTP threads inherit this mask); main waits
     * for them with sigwait, so no handler runs inside the server. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);

    double t0 = mono_ms();
    sim_server *srv = calloc(1, sizeof *srv);
    if (!srv) {
        fprintf(stderr, "kinesis-sim: out of memory\n");
        return 1;
    }
    srv->cfg = cfg;
    srv->store = store_open(cfg.db_path, err, sizeof err);
    if (!srv->store) {
        fprintf(stderr, "kinesis-sim: cannot open database '%s': %s\n", cfg.db_path, err);
        shutdown_server(srv, NULL);
        return 1;
    }
    if (store_server_key(srv->store, srv->iterator_key) != 0) {
        fprintf(stderr, "kinesis-sim: cannot read or create the server key in '%s'\n", cfg.db_path);
        shutdown_server(srv, NULL);
        return 1;
    }
    double t_store = mono_ms();
    srv->model = sim_model_load(err, sizeof err);
    if (!srv->model) {
        fprintf(stderr, "kinesis-sim: cannot load the API model: %s\n", err);
        shutdown_server(srv, NULL);
        return 1;
    }
    srv->clock = sim_clock_new(cfg.sim.clock);
    if (!srv->clock) {
        fprintf(stderr, "kinesis-sim: out of memory\n");
        shutdown_server(srv, NULL);
        return 1;
    }
    srv->sim = sim_simulation_new(&cfg.sim, err, sizeof err);
    if (!srv->sim) {
        fprintf(stderr, "kinesis-sim: %s\n", err);
        shutdown_server(srv, NULL);
        return 2;
    }
    if (cfg.auth_mode == SIM_AUTH_STRICT) {
        srv->credentials = sim_credentials_load(cfg.credentials_path, err, sizeof err);
        if (!srv->credentials) {
            fprintf(stderr, "kinesis-sim: %s\n", err);
            shutdown_server(srv, NULL);
            return 2;
        }
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

    double t_model = mono_ms();
    sim_http *http = sim_http_start(srv, err, sizeof err);
    if (!http) {
        fprintf(stderr, "kinesis-sim: %s\n", err);
        shutdown_server(srv, NULL);
        return 1;
    }
    print_ready(&cfg, sim_http_port(http));
    if (sim_http_tls_port(http) >= 0) {
        int v6 = strchr(cfg.host, ':') != NULL;
        printf("kinesis-sim listening on https://%s%s%s:%d\n", v6 ? "[" : "", cfg.host, v6 ? "]" : "",
               sim_http_tls_port(http));
        fflush(stdout);
    }
    double t_ready = mono_ms();
    sim_log(SIM_LOG_DEBUG, "ready in %.1f ms (store %.1f, model %.1f, http %.1f)", t_ready - t0, t_store - t0,
            t_model - t_store, t_ready - t_model);
    sim_log(SIM_LOG_INFO, "serving region %s, account %s, database %s (log level %s, auth %s%s%s)",
            cfg.region, cfg.account_id, cfg.db_path, sim_config_log_level_name(cfg.log_level),
            cfg.auth_mode == SIM_AUTH_STRICT ? "strict" : "format",
            cfg.sim.clock == SIM_CLOCK_VIRTUAL ? ", virtual clock" : "",
            cfg.sim.throttle == SIM_THROTTLE_OFF ? ", throttling off" : "");

    int sig = 0;
    while (sigwait(&stop, &sig) != 0)
        ;
    sim_log(SIM_LOG_INFO, "stopping on signal %d", sig);
    shutdown_server(srv, http);
    return 0;
}
