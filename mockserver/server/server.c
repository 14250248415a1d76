/* server.c: building and taking apart the simulator (sim_server; with the --create-stream streams,
 * initial_streams.c), group commit, and the answer a store failure gets (see server.h). */
#include "server/server.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dispatch/auth.h"
#include "dispatch/validate.h"
#include "server/initial_streams.h"
#include "simulation/simulation.h"
#include "store/store.h"

static int fail(sim_server *srv, int rc, char *err, size_t err_len, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int fail(sim_server *srv, int rc, char *err, size_t err_len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, err_len, fmt, ap);
    va_end(ap);
    sim_server_clean_up(srv);
    return rc;
}

int sim_server_init(sim_server *srv, const sim_config *cfg, char *err, size_t err_len)
{
    memset(srv, 0, sizeof *srv);
    srv->cfg = *cfg;
    srv->cfg_at_start = *cfg;
    char why[1024] = "";
    srv->store = store_open(cfg->db_path, why, sizeof why);
    if (!srv->store)
        return fail(srv, SIM_SERVER_START_FAILED, err, err_len, "%s", why); /* names the file once */
    if (store_server_key(srv->store, srv->iterator_key) != 0)
        return fail(srv, SIM_SERVER_START_FAILED, err, err_len,
                    "cannot read or create the server key in '%s'", cfg->db_path);
    srv->model = sim_model_load(why, sizeof why);
    if (!srv->model)
        return fail(srv, SIM_SERVER_START_FAILED, err, err_len, "cannot load the API model: %s", why);
    srv->clock = sim_clock_new(cfg->sim.clock);
    if (!srv->clock)
        return fail(srv, SIM_SERVER_START_FAILED, err, err_len, "out of memory");
    srv->sim = sim_simulation_new(&cfg->sim, why, sizeof why);
    if (!srv->sim)
        return fail(srv, SIM_SERVER_BAD_CONFIG, err, err_len, "%s", why);
    if (cfg->auth_mode == SIM_AUTH_STRICT) {
        srv->credentials = sim_credentials_load(cfg->credentials_path, why, sizeof why);
        if (!srv->credentials)
            return fail(srv, SIM_SERVER_BAD_CONFIG, err, err_len, "%s", why);
    }
    /* --create-stream: ACTIVE before main prints the listening line */
    if (sim_create_initial_streams(srv, why, sizeof why) != 0)
        return fail(srv, SIM_SERVER_START_FAILED, err, err_len, "%s", why);
    return SIM_SERVER_OK;
}

void sim_server_clean_up(sim_server *srv)
{
    if (srv->model)
        sim_model_free(srv->model);
    if (srv->store)
        store_close(srv->store);
    if (srv->clock)
        sim_clock_free(srv->clock);
    sim_simulation_free(srv->sim);
    sim_credentials_free(srv->credentials);
    memset(srv, 0, sizeof *srv);
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- group commit ---- */

/* --bench-null-answer: what a PutRecord answers, for measuring the HTTP layer alone. */
static const char null_answer[] =
    "{\"SequenceNumber\":\"49546986683135544286507457936321625675700192471156785154\","
    "\"ShardId\":\"shardId-000000000000\"}";

int sim_server_dispatch(sim_server *srv, const sim_request *req, sim_response *resp)
{
    const char *target = srv->cfg.bench_null_answer ? sim_request_header(req, "X-Amz-Target") : NULL;
    if (target && strcmp(target, "Kinesis_20131202.PutRecord") == 0) {
        memset(resp, 0, sizeof *resp);
        resp->status = 200;
        snprintf(resp->content_type, sizeof resp->content_type, "application/x-amz-json-1.1");
        resp->body = malloc(sizeof null_answer - 1);
        if (resp->body) {
            memcpy(resp->body, null_answer, sizeof null_answer - 1);
            resp->body_len = sizeof null_answer - 1;
        }
        return 0;
    }
    store *st = srv->store;
    if (!store_batch_is_open(st) && store_batch_open(st) != 0)
        sim_log(SIM_LOG_DEBUG, "no batch: %s", store_errmsg(st)); /* then a transaction per request */
    sim_dispatch(srv, req, resp);
    return store_batch_dirty(st) ? 1 : 0;
}

int sim_server_commit(sim_server *srv, sim_error_code *err, char *msg, size_t msg_len)
{
    if (!store_batch_is_open(srv->store) || store_batch_commit(srv->store) == 0)
        return 0;
    *err = sim_server_store_failure(srv, "a batch commit", msg, msg_len);
    return -1;
}

int sim_server_background(sim_server *srv)
{
    if (!srv->store || store_batch_is_open(srv->store))
        return 0;
    int deleted = 0;
    int rc = store_purge_step(srv->store, SIM_PURGE_BATCH_ROWS, &deleted);
    if (rc < 0) /* tried again on the next pass; nothing of this one stays */
        sim_log(SIM_LOG_WARN, "deleting the records of a deleted stream: %s", store_errmsg(srv->store));
    if (rc > 0 && !srv->purge_started_ms)
        srv->purge_started_ms = mono_ms();
    srv->purged += deleted;
    if (rc == 0 && srv->purge_started_ms) {
        sim_log(SIM_LOG_INFO, "deleted %lld records of deleted streams in %lld ms, %d at a time",
                (long long)srv->purged, (long long)(mono_ms() - srv->purge_started_ms), SIM_PURGE_BATCH_ROWS);
        srv->purged = 0;
        srv->purge_started_ms = 0;
    }
    return rc > 0;
}

sim_error_code sim_server_store_failure(sim_server *srv, const char *op, char *msg, size_t msg_len)
{
    store *s = srv->store;
    store_error kind = store_last_error(s);
    if (kind == STORE_ERR_NONE) {
        sim_log(SIM_LOG_ERROR, "internal failure in %s (out of memory?)", op);
        snprintf(msg, msg_len, "Internal service failure.");
        return SIM_ERR_InternalFailureException;
    }
    const char *why = store_errmsg(s);
    sim_log(SIM_LOG_ERROR, "store error in %s: %s", op, why);
    /* nothing of the request was committed: the client may retry it as it is */
    switch (kind) {
    case STORE_ERR_BUSY:
        snprintf(msg, msg_len,
                 "Service unavailable: the simulator's database is locked by another process (%s). "
                 "The request had no effect; retry it.",
                 why);
        return SIM_ERR_ServiceUnavailable;
    case STORE_ERR_FULL:
        snprintf(msg, msg_len,
                 "Internal service failure: the simulator's database or disk is full (%s). "
                 "The request had no effect.",
                 why);
        return SIM_ERR_InternalFailureException;
    case STORE_ERR_IO:
        snprintf(msg, msg_len,
                 "Internal service failure: the simulator cannot write its database file (%s). "
                 "The request had no effect.",
                 why);
        return SIM_ERR_InternalFailureException;
    default:
        snprintf(msg, msg_len, "Internal service failure: database error (%s). The request had no effect.",
                 why);
        return SIM_ERR_InternalFailureException;
    }
}
