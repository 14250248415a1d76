/* simulation.c: the simulation layer's glue (see simulation.h for where each hook is called).
 * Order inside one request: fault rules first (a fired fault replaces the answer and charges no
 * budget), then rate limits; effects found inside the handler (latency, drop, body faults, a
 * status override) wait in the per-request state and are applied by sim_sim_after_op, which
 * also feeds the metrics. */
#include "simulation/simulation.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "wire/ids.h"

/* ------------------------------------------------------------------ */
/* options                                                             */
/* ------------------------------------------------------------------ */

const sim_simulation_option_info sim_simulation_option_table[] = {
    {"throttle", "KINESIS_SIM_THROTTLE", "aws|off", "aws",
     "per-shard throughput limits and control-plane rates as AWS documents, or none"},
    {"throttle-scale", "KINESIS_SIM_THROTTLE_SCALE", "F", "1",
     "multiply every throughput limit by F (> 0; 0.001 makes 1 KiB/s shards for tests)"},
    {"control-limits", "KINESIS_SIM_CONTROL_LIMITS", "on|off", "on",
     "control-plane TPS limits and the CREATING limit (only with --throttle aws)"},
    {"max-creating", "KINESIS_SIM_MAX_CREATING", "N", "5",
     "streams that may be CREATING at once per account and region (0: no limit)"},
    {"clock", "KINESIS_SIM_CLOCK", "real|virtual", "real",
     "simulation clock; virtual time moves only through POST /_sim/clock"},
    {"faults", "KINESIS_SIM_FAULTS", "FILE", "none",
     "load fault-injection rules (JSON, see fixtures/faults/README.md) at start"},
    {"seed", "KINESIS_SIM_SEED", "N", "0",
     "seed of the fault rules' random generators (same seed, same requests: same faults)"},
    {NULL, NULL, NULL, NULL, NULL},
};

void sim_simulation_options_default(sim_simulation_options *o)
{
    memset(o, 0, sizeof *o);
    o->throttle = SIM_THROTTLE_AWS;
    o->throttle_scale = 1.0;
    o->control_limits = 1;
    o->max_creating = 5;
    o->clock = SIM_CLOCK_REAL;
    o->seed = 0;
}

static int parse_on_off(const char *v, int *out)
{
    if (strcasecmp(v, "on") == 0 || strcasecmp(v, "true") == 0 || strcmp(v, "1") == 0)
        *out = 1;
    else if (strcasecmp(v, "off") == 0 || strcasecmp(v, "false") == 0 || strcmp(v, "0") == 0)
        *out = 0;
    else
        return -1;
    return 0;
}

int sim_simulation_option_set(sim_simulation_options *o, const char *name, const char *value, char *err,
                              size_t err_len)
{
    if (!name)
        return 1;
    if (!value) {
        snprintf(err, err_len, "a value is required");
        return -1;
    }
    char *end = NULL;
    if (strcmp(name, "throttle") == 0) {
        if (strcmp(value, "aws") == 0)
            o->throttle = SIM_THROTTLE_AWS;
        else if (strcmp(value, "off") == 0)
            o->throttle = SIM_THROTTLE_OFF;
        else {
            snprintf(err, err_len, "expected aws or off");
            return -1;
        }
    } else if (strcmp(name, "throttle-scale") == 0) {
        errno = 0;
        double f = strtod(value, &end);
        if (errno || end == value || *end || !(f > 0) || f > 1e9) {
            snprintf(err, err_len, "expected a number > 0");
            return -1;
        }
        o->throttle_scale = f;
    } else if (strcmp(name, "control-limits") == 0) {
        if (parse_on_off(value, &o->control_limits) != 0) {
            snprintf(err, err_len, "expected on or off");
            return -1;
        }
    } else if (strcmp(name, "max-creating") == 0) {
        errno = 0;
        long n = strtol(value, &end, 10);
        if (errno || end == value || *end || n < 0 || n > 1000000) {
            snprintf(err, err_len, "expected an integer from 0 to 1000000");
            return -1;
        }
        o->max_creating = (int)n;
    } else if (strcmp(name, "clock") == 0) {
        if (strcmp(value, "real") == 0)
            o->clock = SIM_CLOCK_REAL;
        else if (strcmp(value, "virtual") == 0)
            o->clock = SIM_CLOCK_VIRTUAL;
        else {
            snprintf(err, err_len, "expected real or virtual");
            return -1;
        }
    } else if (strcmp(name, "faults") == 0) {
        if (!*value || strlen(value) >= sizeof o->faults_path) {
            snprintf(err, err_len, "expected a file path (under %zu bytes)", sizeof o->faults_path);
            return -1;
        }
        snprintf(o->faults_path, sizeof o->faults_path, "%s", value);
    } else if (strcmp(name, "seed") == 0) {
        errno = 0;
        unsigned long long n = strtoull(value, &end, 10);
        if (errno || end == value || *end || value[0] == '-') {
            snprintf(err, err_len, "expected an unsigned 64-bit integer");
            return -1;
        }
        o->seed = (uint64_t)n;
    } else {
        return 1;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* state                                                               */
/* ------------------------------------------------------------------ */

#define MAX_FIRES 16

typedef struct {
    int active;
    struct timespec start;
    const char *op;
    char stream[SIM_NAME_MAX];
    int deferred_request_point; /* GetRecords: REQUEST rules wait for the handler's read hook */
    int64_t delay_ms;
    int drop;
    int status_override;
    sim_error_code fault_error;
    int fault_error_set;
    int truncate;
    size_t truncate_bytes;
    int malform;
    uint64_t records, bytes;
} request_state;

struct sim_simulation {
    sim_simulation_options opt;
    sim_throttle *throttle;
    sim_faults *faults;
    sim_metrics *metrics;
    sim_stats *stats;
    request_state req;
};

sim_simulation *sim_simulation_new(const sim_simulation_options *opt, char *err, size_t err_len)
{
    sim_simulation *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, err_len, "out of memory");
        return NULL;
    }
    if (opt)
        s->opt = *opt;
    else
        sim_simulation_options_default(&s->opt);
    if (!(s->opt.throttle_scale > 0))
        s->opt.throttle_scale = 1.0;
    s->throttle = sim_throttle_new(s->opt.throttle_scale);
    s->faults = sim_faults_new(s->opt.seed);
    s->metrics = sim_metrics_new();
    s->stats = s->throttle ? sim_stats_new(s->throttle) : NULL;
    if (!s->throttle || !s->faults || !s->metrics || !s->stats) {
        snprintf(err, err_len, "out of memory");
        sim_simulation_free(s);
        return NULL;
    }
    if (s->opt.faults_path[0] && sim_faults_load_file(s->faults, s->opt.faults_path, err, err_len) < 0) {
        sim_simulation_free(s);
        return NULL;
    }
    return s;
}

void sim_simulation_free(sim_simulation *s)
{
    if (!s)
        return;
    sim_throttle_free(s->throttle);
    sim_faults_free(s->faults);
    sim_metrics_free(s->metrics);
    sim_stats_free(s->stats);
    free(s);
}

const sim_simulation_options *sim_simulation_get_options(const sim_simulation *s)
{
    return &s->opt;
}
sim_faults *sim_simulation_faults(sim_simulation *s)
{
    return s->faults;
}
sim_metrics *sim_simulation_metrics(sim_simulation *s)
{
    return s->metrics;
}
sim_throttle *sim_simulation_throttle(sim_simulation *s)
{
    return s->throttle;
}
sim_stats *sim_simulation_stats(sim_simulation *s)
{
    return s->stats;
}

void sim_simulation_set_throttle(sim_simulation *s, sim_throttle_mode mode, double scale)
{
    s->opt.throttle = mode;
    if (scale > 0 && scale != s->opt.throttle_scale) {
        s->opt.throttle_scale = scale;
        sim_throttle_set_scale(s->throttle, scale);
    }
}

void sim_simulation_set_control_limits(sim_simulation *s, int on, int max_creating)
{
    s->opt.control_limits = on ? 1 : 0;
    if (max_creating >= 0)
        s->opt.max_creating = max_creating;
}

void sim_simulation_set_seed(sim_simulation *s, uint64_t seed)
{
    s->opt.seed = seed;
    sim_faults_set_seed(s->faults, seed);
}

void sim_simulation_reset_buckets(sim_simulation *s)
{
    sim_throttle_reset(s->throttle);
}

/* ------------------------------------------------------------------ */
/* helpers                                                             */
/* ------------------------------------------------------------------ */

static sim_simulation *sim_of(const sim_ctx *ctx)
{
    return ctx && ctx->srv ? (sim_simulation *)ctx->srv->sim : NULL;
}

static int64_t now_of(const sim_ctx *ctx)
{
    if (ctx->now_ms)
        return ctx->now_ms;
    return ctx->srv->clock ? sim_clock_now_ms(ctx->srv->clock) : 0;
}

static const char *op_of(const sim_ctx *ctx)
{
    return ctx->op ? ctx->op : "unknown";
}

static int throttle_on(const sim_simulation *s)
{
    return s->opt.throttle == SIM_THROTTLE_AWS;
}

/* Throttling off: count the shard's activity only while a console page watches (stats.h); with
 * throttling on the limit checks count as they go. The request's start time is at hand. */
static int counting_off_throttle(const sim_simulation *s)
{
    int64_t mono_ms = (int64_t)s->req.start.tv_sec * 1000 + s->req.start.tv_nsec / 1000000;
    return s->req.active && sim_stats_watching(s->stats, mono_ms);
}

static void stream_key(const sim_ctx *ctx, const sim_stream_ref *st, char *out, size_t len)
{
    snprintf(out, len, "%s\x1f%s\x1f%s\x1f%lld", ctx->account_id, ctx->region, st && st->name ? st->name : "",
             (long long)(st ? st->created_ms : 0));
}

static void shard_message(const sim_ctx *ctx, const char *stream, uint32_t shard, char *out, size_t len)
{
    char id[SHARD_ID_MAX];
    shard_id_format(shard, id);
    snprintf(out, len, "Rate exceeded for shard %s in stream %s under account %s.", id, stream ? stream : "",
             ctx->account_id);
}

/* The stream name a request names: StreamName, else the name inside StreamARN or ConsumerARN
 * (arn:...:stream/<name>[/consumer/...]). */
static void stream_from_input(const json_t *in, char *out, size_t len)
{
    out[0] = '\0';
    if (!json_is_object(in))
        return;
    const char *name = json_string_value(json_object_get(in, "StreamName"));
    if (name) {
        snprintf(out, len, "%s", name);
        return;
    }
    const char *arn = json_string_value(json_object_get(in, "StreamARN"));
    if (!arn)
        arn = json_string_value(json_object_get(in, "ConsumerARN"));
    const char *p = arn ? strstr(arn, ":stream/") : NULL;
    if (!p)
        return;
    p += strlen(":stream/");
    size_t n = strcspn(p, "/");
    if (n >= len)
        n = len - 1;
    memcpy(out, p, n);
    out[n] = '\0';
}

static void default_error_message(const sim_ctx *ctx, const char *stream, int64_t shard,
                                  const sim_fault_fire *fx, char *out, size_t len)
{
    if (fx->message[0]) {
        snprintf(out, len, "%s", fx->message);
        return;
    }
    switch (fx->error) {
    case SIM_ERR_ProvisionedThroughputExceededException:
        if (shard >= 0)
            shard_message(ctx, stream, (uint32_t)shard, out, len);
        else
            snprintf(out, len, "Rate exceeded for stream %s under account %s.", stream ? stream : "",
                     ctx->account_id);
        return;
    case SIM_ERR_LimitExceededException:
        if (stream && *stream)
            snprintf(out, len, "Rate exceeded for stream %s under account %s.", stream, ctx->account_id);
        else
            snprintf(out, len, "Rate exceeded for account %s.", ctx->account_id);
        return;
    case SIM_ERR_InternalFailure:
    case SIM_ERR_InternalFailureException:
        snprintf(out, len, "Internal Service Failure");
        return;
    case SIM_ERR_ServiceUnavailable:
        snprintf(out, len, "Service Unavailable");
        return;
    default:
        snprintf(out, len, "%s injected by kinesis-sim fault rule %llu",
                 sim_error_name((sim_error_code)fx->error), (unsigned long long)fx->rule_id);
        return;
    }
}

static void req_reset(sim_simulation *s)
{
    memset(&s->req, 0, sizeof s->req);
}

/* Apply fired rules. The first ERROR wins (sim_fail; returns -1); latency takes the largest;
 * drop, truncate and malform wait for after_op (a drop found before the handler is returned
 * through *drop_now). ENTRY_ERROR fills *entry (returns 1 when one fired and no error did). */
static int apply_fires(sim_simulation *s, sim_ctx *ctx, const sim_fault_fire *fires, size_t n,
                       const char *stream, int64_t shard, int *drop_now, sim_entry_result *entry)
{
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        const sim_fault_fire *fx = &fires[i];
        sim_metrics_fault(s->metrics, fx->rule_id, sim_fault_kind_name(fx->kind));
        sim_log(SIM_LOG_INFO, "fault rule %llu fired: %s on %s (stream %s)", (unsigned long long)fx->rule_id,
                sim_fault_kind_name(fx->kind), op_of(ctx), stream && *stream ? stream : "-");
        if (fx->latency_ms > s->req.delay_ms)
            s->req.delay_ms = fx->latency_ms;
        switch (fx->kind) {
        case SIM_FAULT_ERROR:
            if (rc != -1) {
                char msg[1024];
                default_error_message(ctx, stream, shard, fx, msg, sizeof msg);
                sim_fail(ctx, (sim_error_code)fx->error, "%s", msg);
                s->req.fault_error = (sim_error_code)fx->error;
                s->req.fault_error_set = 1;
                s->req.status_override = fx->status;
                rc = -1;
            }
            break;
        case SIM_FAULT_ENTRY_ERROR:
            if (rc == 0 && entry) {
                entry->code = (sim_error_code)fx->error;
                if (fx->message[0])
                    snprintf(entry->message, sizeof entry->message, "%s", fx->message);
                else if (fx->error == SIM_ERR_ProvisionedThroughputExceededException && shard >= 0)
                    shard_message(ctx, stream, (uint32_t)shard, entry->message, sizeof entry->message);
                else
                    snprintf(entry->message, sizeof entry->message, "Internal Service Failure");
                rc = 1;
            }
            break;
        case SIM_FAULT_LATENCY:
            break;
        case SIM_FAULT_DROP:
            if (!fx->drop_after && drop_now)
                *drop_now = 1;
            else
                s->req.drop = 1;
            break;
        case SIM_FAULT_TRUNCATE:
            s->req.truncate = 1;
            s->req.truncate_bytes = fx->truncate_bytes;
            break;
        case SIM_FAULT_MALFORM:
            s->req.malform = 1;
            break;
        }
    }
    return rc;
}

/* ------------------------------------------------------------------ */
/* router hooks                                                        */
/* ------------------------------------------------------------------ */

int sim_sim_before_op(sim_ctx *ctx, const json_t *in, sim_response *resp)
{
    sim_simulation *s = sim_of(ctx);
    if (!s)
        return SIM_HOOK_PROCEED;
    req_reset(s);
    s->req.active = 1;
    clock_gettime(CLOCK_MONOTONIC, &s->req.start);
    s->req.op = ctx->op;
    stream_from_input(in, s->req.stream, sizeof s->req.stream);

    /* fault rules evaluated on the request as a whole */
    if (ctx->op_def && (ctx->op_def->flags & SIM_OP_STREAM_FROM_ITERATOR)) {
        s->req.deferred_request_point = 1; /* the stream is known only from the iterator */
    } else {
        sim_fault_call call = {ctx->op, s->req.stream[0] ? s->req.stream : NULL, -1, NULL};
        uint32_t idx;
        const char *shard_id = json_string_value(json_object_get(in, "ShardId"));
        if (shard_id && shard_id_parse(shard_id, &idx) == 0)
            call.shard = idx;
        call.partition_key = json_string_value(json_object_get(in, "PartitionKey"));
        sim_fault_fire fires[MAX_FIRES];
        size_t n = sim_faults_eval(s->faults, SIM_FAULT_POINT_REQUEST, &call, fires, MAX_FIRES);
        int drop = 0;
        int rc = apply_fires(s, ctx, fires, n, call.stream, call.shard, &drop, NULL);
        if (resp && s->req.delay_ms > resp->delay_ms)
            resp->delay_ms = s->req.delay_ms;
        if (drop) {
            if (resp)
                resp->drop_connection = 1;
            s->req.drop = 1;
            return SIM_HOOK_DROP;
        }
        if (rc < 0)
            return SIM_HOOK_ERROR;
    }

    /* control-plane rates */
    double tps = ctx->op_def ? ctx->op_def->control_tps : 0;
    int per_stream = ctx->op_def && (ctx->op_def->flags & SIM_OP_RATE_PER_STREAM);
    if (tps > 0 && throttle_on(s) && s->opt.control_limits) {
        char key[600];
        snprintf(key, sizeof key, "%s\x1f%s\x1f%s\x1f%s", ctx->op, ctx->account_id, ctx->region,
                 per_stream ? s->req.stream : "");
        if (sim_throttle_control(s->throttle, key, tps, now_of(ctx)) != SIM_THR_OK) {
            sim_metrics_throttled(s->metrics, "control");
            if (s->req.stream[0])
                sim_fail(ctx, SIM_ERR_LimitExceededException, "Rate exceeded for stream %s under account %s.",
                         s->req.stream, ctx->account_id);
            else
                sim_fail(ctx, SIM_ERR_LimitExceededException, "Rate exceeded for account %s.",
                         ctx->account_id);
            return SIM_HOOK_ERROR;
        }
    }
    return SIM_HOOK_PROCEED;
}

static void apply_body_faults(sim_simulation *s, sim_response *resp)
{
    if (s->req.truncate && resp->body && resp->body_len > s->req.truncate_bytes)
        resp->body_len = s->req.truncate_bytes;
    if (s->req.malform) {
        static const char prefix[] = "{\"kinesis-sim\": malformed ";
        size_t plen = sizeof prefix - 1;
        uint8_t *b = malloc(plen + resp->body_len + 1);
        if (b) {
            memcpy(b, prefix, plen);
            if (resp->body_len)
                memcpy(b + plen, resp->body, resp->body_len);
            b[plen + resp->body_len] = '\0';
            free(resp->body);
            resp->body = b;
            resp->body_len += plen;
        }
    }
}

/* The error name of a failed answer: the handler's error, else the body's "__type" (errors
 * answered before a handler ran, e.g. by the generic checks), else "HTTP <status>". */
static void error_outcome(const sim_ctx *ctx, const sim_response *resp, char *out, size_t len)
{
    if (ctx->err_set && sim_error_name(ctx->err)) {
        snprintf(out, len, "%s", sim_error_name(ctx->err));
        return;
    }
    snprintf(out, len, "HTTP %d", resp->status);
    if (!resp->body || resp->body_len == 0 || resp->body_len > 8192)
        return;
    json_t *j = json_loadb((const char *)resp->body, resp->body_len, 0, NULL);
    const char *type = json_string_value(json_object_get(j, "__type"));
    if (type) {
        const char *hash = strrchr(type, '#');
        snprintf(out, len, "%s", hash ? hash + 1 : type);
    }
    json_decref(j);
}

void sim_sim_after_op(sim_ctx *ctx, sim_response *resp)
{
    sim_simulation *s = sim_of(ctx);
    if (!s || !resp)
        return;
    int ok = resp->status >= 200 && resp->status < 300;
    char outcome[96] = "ok";
    if (!ok)
        error_outcome(ctx, resp, outcome, sizeof outcome);
    sim_metrics_request(s->metrics, ctx->op ? ctx->op : "unknown", outcome);
    if (ok && (s->req.records || s->req.bytes))
        sim_metrics_stored(s->metrics, s->req.records, s->req.bytes);
    if (s->req.fault_error_set && s->req.status_override && ctx->err_set && ctx->err == s->req.fault_error)
        resp->status = s->req.status_override;
    apply_body_faults(s, resp);
    if (s->req.drop)
        resp->drop_connection = 1;
    if (s->req.delay_ms > resp->delay_ms)
        resp->delay_ms = s->req.delay_ms;
    double secs = 0;
    if (s->req.active) {
        struct timespec end;
        clock_gettime(CLOCK_MONOTONIC, &end);
        secs =
            (double)(end.tv_sec - s->req.start.tv_sec) + (double)(end.tv_nsec - s->req.start.tv_nsec) / 1e9;
    }
    sim_metrics_duration(s->metrics, secs + (double)resp->delay_ms / 1000.0);
    req_reset(s);
}

/* ------------------------------------------------------------------ */
/* handler hooks                                                       */
/* ------------------------------------------------------------------ */

/* Rules at the SHARD point (and, for GetRecords, the deferred REQUEST point). */
static int shard_faults(sim_simulation *s, sim_ctx *ctx, const sim_stream_ref *st, uint32_t shard,
                        const char *pkey)
{
    sim_fault_call call = {ctx->op, st ? st->name : NULL, shard, pkey};
    sim_fault_fire fires[MAX_FIRES];
    int rc = 0;
    if (s->req.deferred_request_point) {
        s->req.deferred_request_point = 0;
        sim_fault_call rcall = call;
        rcall.shard = -1;
        size_t n = sim_faults_eval(s->faults, SIM_FAULT_POINT_REQUEST, &rcall, fires, MAX_FIRES);
        rc = apply_fires(s, ctx, fires, n, call.stream, shard, NULL, NULL);
        if (rc < 0)
            return -1;
    }
    size_t n = sim_faults_eval(s->faults, SIM_FAULT_POINT_SHARD, &call, fires, MAX_FIRES);
    return apply_fires(s, ctx, fires, n, call.stream, shard, NULL, NULL) < 0 ? -1 : 0;
}

int sim_sim_write_record(sim_ctx *ctx, const sim_stream_ref *st, uint32_t shard, const char *partition_key,
                         size_t bytes, int batch, sim_entry_result *res)
{
    sim_simulation *s = sim_of(ctx);
    if (!s)
        return 0;
    const char *stream = st ? st->name : NULL;
    if (shard_faults(s, ctx, st, shard, partition_key) < 0)
        return -1;

    sim_entry_result local;
    sim_entry_result *ent = res ? res : &local;
    memset(ent, 0, sizeof *ent);
    sim_fault_call call = {ctx->op, stream, shard, partition_key};
    sim_fault_fire fires[MAX_FIRES];
    size_t n = sim_faults_eval(s->faults, SIM_FAULT_POINT_ENTRY, &call, fires, MAX_FIRES);
    int rc = apply_fires(s, ctx, fires, n, stream, shard, NULL, ent);
    if (rc < 0)
        return -1;
    if (rc == 0 && throttle_on(s)) {
        char key[600];
        stream_key(ctx, st, key, sizeof key);
        if (sim_throttle_write(s->throttle, key, st ? st->on_demand : 0, shard, bytes, now_of(ctx)) !=
            SIM_THR_OK) {
            sim_metrics_throttled(s->metrics, "write");
            ent->code = SIM_ERR_ProvisionedThroughputExceededException;
            shard_message(ctx, stream, shard, ent->message, sizeof ent->message);
            rc = 1;
        }
    }
    if (rc == 1) {
        if (batch)
            return 1;
        sim_fail(ctx, ent->code, "%s", ent->message);
        return -1;
    }
    if (!throttle_on(s) && counting_off_throttle(s)) {
        char key[600];
        stream_key(ctx, st, key, sizeof key);
        sim_throttle_count_write(s->throttle, key, shard, bytes, now_of(ctx));
    }
    s->req.records++;
    s->req.bytes += bytes;
    return 0;
}

int sim_sim_read_begin(sim_ctx *ctx, const sim_stream_ref *st, uint32_t shard)
{
    sim_simulation *s = sim_of(ctx);
    if (!s)
        return 0;
    if (shard_faults(s, ctx, st, shard, NULL) < 0)
        return -1;
    if (!throttle_on(s))
        return 0;
    char key[600];
    stream_key(ctx, st, key, sizeof key);
    if (sim_throttle_read_admit(s->throttle, key, st ? st->on_demand : 0, shard, now_of(ctx)) != SIM_THR_OK) {
        char msg[600];
        sim_metrics_throttled(s->metrics, "read");
        shard_message(ctx, st ? st->name : NULL, shard, msg, sizeof msg);
        sim_fail(ctx, SIM_ERR_ProvisionedThroughputExceededException, "%s", msg);
        return -1;
    }
    return 0;
}

void sim_sim_read_end(sim_ctx *ctx, const sim_stream_ref *st, uint32_t shard, uint64_t records, size_t bytes)
{
    sim_simulation *s = sim_of(ctx);
    if (!s)
        return;
    int on = throttle_on(s);
    if (!on && !counting_off_throttle(s))
        return;
    char key[600];
    stream_key(ctx, st, key, sizeof key);
    if (!on) {
        sim_throttle_count_read(s->throttle, key, shard, records, bytes, now_of(ctx));
        return;
    }
    sim_throttle_read_charge(s->throttle, key, st ? st->on_demand : 0, shard, bytes, now_of(ctx));
    if (records)
        sim_throttle_count_records_out(s->throttle, key, shard, records, now_of(ctx));
}

int sim_sim_iterator(sim_ctx *ctx, const sim_stream_ref *st, uint32_t shard)
{
    sim_simulation *s = sim_of(ctx);
    if (!s)
        return 0;
    if (shard_faults(s, ctx, st, shard, NULL) < 0)
        return -1;
    if (!throttle_on(s))
        return 0;
    char key[600];
    stream_key(ctx, st, key, sizeof key);
    if (sim_throttle_iterator(s->throttle, key, shard, now_of(ctx)) != SIM_THR_OK) {
        char msg[600];
        sim_metrics_throttled(s->metrics, "iterator");
        shard_message(ctx, st ? st->name : NULL, shard, msg, sizeof msg);
        sim_fail(ctx, SIM_ERR_ProvisionedThroughputExceededException, "%s", msg);
        return -1;
    }
    return 0;
}

int sim_sim_check_creating(sim_ctx *ctx, int streams_creating)
{
    sim_simulation *s = sim_of(ctx);
    if (!s || !throttle_on(s) || !s->opt.control_limits || s->opt.max_creating <= 0)
        return 0;
    if (streams_creating < s->opt.max_creating)
        return 0;
    sim_metrics_throttled(s->metrics, "creating");
    return sim_fail(ctx, SIM_ERR_LimitExceededException,
                    "This request would exceed the limit on the number of streams that can "
                    "simultaneously be in CREATING or DELETING state. Limit: %d",
                    s->opt.max_creating);
}

void sim_sim_stream_gone(sim_ctx *ctx, const sim_stream_ref *st)
{
    sim_simulation *s = sim_of(ctx);
    if (!s || !st)
        return;
    char key[600];
    stream_key(ctx, st, key, sizeof key);
    sim_throttle_forget_stream(s->throttle, key);
}
