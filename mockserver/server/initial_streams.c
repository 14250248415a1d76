/* initial_streams.c: create the --create-stream streams at start (see initial_streams.h). */
#include "server/initial_streams.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dispatch/router.h"
#include "server/config.h"
#include "simulation/clock.h"
#include "store/store.h"

/* Create one stream (or leave an existing one). 0 created or kept, -1 with err. */
static int create_one(sim_server *srv, sim_ctx *ctx, const sim_stream_spec *sp, char *err, size_t err_len)
{
    store_stream st;
    int found = store_stream_get(srv->store, srv->cfg.account_id, srv->cfg.region, sp->name, &st);
    if (found < 0) {
        snprintf(err, err_len, "cannot create stream %s: the store cannot read it: %s", sp->name,
                 store_errmsg(srv->store));
        return -1;
    }
    if (found == 0) {
        sim_log(SIM_LOG_INFO, "stream %s already exists (%s, %s): kept as it is", sp->name, st.status,
                st.mode);
        return 0;
    }
    memset(ctx, 0, offsetof(sim_ctx, err_msg));
    ctx->err_msg[0] = 0;
    ctx->srv = srv;
    ctx->op = "CreateStream";
    ctx->op_def = sim_router_lookup("CreateStream");
    snprintf(ctx->account_id, sizeof ctx->account_id, "%s", srv->cfg.account_id);
    snprintf(ctx->region, sizeof ctx->region, "%s", srv->cfg.region);
    ctx->now_ms = srv->clock ? sim_clock_now_ms(srv->clock) : 0;
    json_t *in = json_pack("{ss s{ss}}", "StreamName", sp->name, "StreamModeDetails", "StreamMode",
                           sp->on_demand ? "ON_DEMAND" : "PROVISIONED");
    if (!sp->on_demand)
        json_object_set_new(in, "ShardCount", json_integer(sp->shards));
    json_t *out = NULL;
    int rc = ctx->op_def ? sim_op_run(ctx, ctx->op_def, in, &out) : -1;
    json_decref(in);
    json_decref(out);
    if (rc != 0) {
        snprintf(err, err_len, "cannot create stream %s: %s", sp->name,
                 ctx->err_msg[0] ? ctx->err_msg : "CreateStream failed");
        return -1;
    }
    sim_log(SIM_LOG_INFO, "created stream %s (%s, %d shard%s)", sp->name,
            sp->on_demand ? "ON_DEMAND" : "PROVISIONED", sp->on_demand ? 4 : sp->shards,
            !sp->on_demand && sp->shards == 1 ? "" : "s");
    return 0;
}

int sim_create_initial_streams(sim_server *srv, char *err, size_t err_len)
{
    const char *list = srv->cfg.create_streams;
    if (!list[0])
        return 0;
    sim_ctx *ctx = malloc(sizeof *ctx); /* large: its error buffer */
    if (!ctx) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    /* ACTIVE before the listening line: no CREATING delay for these, and no CREATING limit */
    int64_t delay = srv->cfg.create_delay_ms;
    srv->cfg.create_delay_ms = 0;
    int rc = 0;
    for (const char *p = list; rc == 0;) {
        size_t len = strcspn(p, ",");
        sim_stream_spec sp;
        char why[256];
        if (sim_config_stream_spec(p, len, &sp, why, sizeof why) != 0) { /* config.c checked it already */
            snprintf(err, err_len, "--create-stream %s", why);
            rc = -1;
        } else {
            rc = create_one(srv, ctx, &sp, err, err_len);
        }
        if (!p[len])
            break;
        p += len + 1;
    }
    srv->cfg.create_delay_ms = delay;
    free(ctx);
    return rc;
}
