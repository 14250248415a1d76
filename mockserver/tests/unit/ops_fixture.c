/* ops_fixture.c: the handler-level test fixture (see ops_fixture.h). */
#include "ops_fixture.h"

#include "dispatch/router.h"
#include "server/config.h"
#include "server/server.h"

#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fx_config(sim_config *c, const char *account)
{
    sim_config_defaults(c);
    snprintf(c->db_path, sizeof c->db_path, ":memory:");
    snprintf(c->account_id, sizeof c->account_id, "%s", account);
    snprintf(c->region, sizeof c->region, FX_REGION);
    c->sim.clock = SIM_CLOCK_VIRTUAL;
}

void fx_server(sim_server *srv, const sim_config *c)
{
    char err[1024] = "";
    cr_assert_eq(sim_server_init(srv, c, err, sizeof err), SIM_SERVER_OK, "%s", err);
}

void fx_init(fx *f, const char *db_path)
{
    memset(f, 0, sizeof *f);
    sim_config c;
    fx_config(&c, FX_ACCOUNT);
    snprintf(c.db_path, sizeof c.db_path, "%s", db_path);
    c.create_delay_ms = c.delete_delay_ms = c.update_delay_ms = 500;
    c.shard_limit = 500;
    c.sim.throttle = SIM_THROTTLE_OFF; /* handler-level tests call at one instant of the clock */
    fx_server(&f->srv, &c);
    sim_clock_set_ms(f->srv.clock, FX_T0_MS);
    f->ctx.srv = &f->srv;
    snprintf(f->ctx.account_id, sizeof f->ctx.account_id, FX_ACCOUNT);
    snprintf(f->ctx.region, sizeof f->ctx.region, FX_REGION);
    f->ctx.now_ms = FX_T0_MS;
}

void fx_fini(fx *f)
{
    sim_server_clean_up(&f->srv);
}

void fx_advance(fx *f, int64_t ms)
{
    sim_clock_advance_ms(f->srv.clock, ms);
    f->ctx.now_ms = sim_clock_now_ms(f->srv.clock);
}

__attribute__((format(printf, 4, 0))) static json_t *vcall(fx *f, sim_handler h, const char *op,
                                                           const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int need = vsnprintf(NULL, 0, fmt, ap);
    cr_assert(need >= 0);
    char *text = malloc((size_t)need + 1);
    cr_assert_not_null(text);
    vsnprintf(text, (size_t)need + 1, fmt, ap2);
    va_end(ap2);
    json_error_t jerr;
    json_t *in = json_loads(text, 0, &jerr);
    cr_assert_not_null(in, "bad test JSON %s: %s", text, jerr.text);
    free(text);
    f->ctx.op = op;
    f->ctx.op_def = sim_router_lookup(op);
    f->ctx.err_set = 0;
    f->ctx.err_msg[0] = 0;
    f->ctx.now_ms = sim_clock_now_ms(f->srv.clock);
    /* Through the router's table, as a request would run it: the transaction around the handler. */
    cr_assert(f->ctx.op_def && f->ctx.op_def->handler == h, "%s is not the table's handler for it", op);
    json_t *out = NULL;
    int rc = sim_op_run(&f->ctx, f->ctx.op_def, in, &out);
    json_decref(in);
    if (rc != 0) {
        cr_assert(f->ctx.err_set, "%s failed without sim_fail", op);
        cr_assert_null(out, "%s failed but left an answer", op);
        return NULL;
    }
    cr_assert_not_null(out, "%s succeeded without an answer", op);
    return out;
}

json_t *fx_call(fx *f, sim_handler h, const char *op, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    json_t *out = vcall(f, h, op, fmt, ap);
    va_end(ap);
    return out;
}

const char *fx_error(fx *f, sim_handler h, const char *op, sim_error_code want, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    json_t *out = vcall(f, h, op, fmt, ap);
    va_end(ap);
    if (out) {
        char *dump = json_dumps(out, JSON_COMPACT);
        cr_assert_fail("%s: expected %s, got success %s", op, sim_error_name(want), dump);
    }
    cr_assert_eq(f->ctx.err, want, "%s: expected %s, got %s: %s", op, sim_error_name(want),
                 sim_error_name(f->ctx.err), f->ctx.err_msg);
    return f->ctx.err_msg;
}

void fx_stream(fx *f, const char *name, int shards)
{
    json_t *out = fx_call(f, op_create_stream, "CreateStream", "{\"StreamName\":\"%s\",\"ShardCount\":%d}",
                          name, shards);
    cr_assert_not_null(out, "CreateStream %s: %s", name, f->ctx.err_msg);
    json_decref(out);
    fx_advance(f, 501);
}

char *fx_put(fx *f, const char *stream, const char *pkey, const char *data_b64, char *shard)
{
    json_t *out =
        fx_call(f, op_put_record, "PutRecord",
                "{\"StreamName\":\"%s\",\"PartitionKey\":\"%s\",\"Data\":\"%s\"}", stream, pkey, data_b64);
    cr_assert_not_null(out, "PutRecord: %s", f->ctx.err_msg);
    if (shard)
        snprintf(shard, 24, "%s", json_string_value(json_object_get(out, "ShardId")));
    char *seq = strdup(json_string_value(json_object_get(out, "SequenceNumber")));
    json_decref(out);
    return seq;
}

char *fx_iterator(fx *f, const char *stream, const char *shard, const char *type)
{
    json_t *out = fx_call(f, op_get_shard_iterator, "GetShardIterator",
                          "{\"StreamName\":\"%s\",\"ShardId\":\"%s\",\"ShardIteratorType\":\"%s\"}", stream,
                          shard, type);
    cr_assert_not_null(out, "GetShardIterator: %s", f->ctx.err_msg);
    char *it = strdup(json_string_value(json_object_get(out, "ShardIterator")));
    json_decref(out);
    return it;
}
