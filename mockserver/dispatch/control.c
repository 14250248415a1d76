/* control.c: the test-only control API under /_sim/ (control.h; README, "The control API"),
 * in the spirit of redis's DEBUG command: health, reset, clock, faults, config, metrics, and the
 * read-only views the browser console polls (issue 18): streams, stats, records.
 * JSON in and out (metrics: Prometheus text). Every problem gets a JSON error
 * {"__type": ..., "message": ...}: 400 for bad JSON or bad values, 404 for unknown paths or ids,
 * 405 for a method the path does not take. The endpoints are listed in README's control API
 * section and in the 404 message. */
#include "dispatch/control.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dispatch/auth.h" /* sim_query_param */
#include <time.h>

#include "ops/resources.h" /* record_seq: a record's sequence number */
#include "shared/base64.h"
#include "simulation/clock.h"
#include "simulation/simulation.h"
#include "store/store.h"
#include "wire/ids.h"

#define KNOWN_ENDPOINTS                                                                                      \
    "GET /_sim/health, POST /_sim/reset, GET|POST /_sim/clock, GET|POST|DELETE /_sim/faults, "               \
    "GET|PUT /_sim/config, GET /_sim/metrics, GET /_sim/streams, GET /_sim/stats, GET /_sim/records"

/* ------------------------------------------------------------------ */
/* answers                                                             */
/* ------------------------------------------------------------------ */

static void answer_text(sim_response *resp, int status, const char *ctype, char *body, size_t len)
{
    resp->status = status;
    snprintf(resp->content_type, sizeof resp->content_type, "%s", ctype);
    free(resp->body);
    resp->body = (uint8_t *)body;
    resp->body_len = body ? len : 0;
}

/* Takes ownership of j. Reals as "%.15g" (as the Kinesis answers, wire/codec.c): a probability
 * given as 0.05 reads back as 0.05, not 0.050000000000000003. */
static void answer_json(sim_response *resp, int status, json_t *j)
{
    char *s = j ? json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(15)) : NULL;
    json_decref(j);
    if (!s) {
        static const char oom[] = "{\"__type\":\"InternalFailure\",\"message\":\"out of memory\"}";
        s = strdup(oom);
        status = 500;
    }
    answer_text(resp, status, "application/json", s, s ? strlen(s) : 0);
}

static void answer_error(sim_response *resp, int status, const char *type, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void answer_error(sim_response *resp, int status, const char *type, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    answer_json(resp, status, json_pack("{s:s, s:s}", "__type", type, "message", msg));
}

static void bad_request(sim_response *resp, const char *msg)
{
    answer_error(resp, 400, "InvalidArgumentException", "%s", msg);
}

static void method_not_allowed(sim_response *resp, const sim_request *req, const char *allowed)
{
    answer_error(resp, 405, "MethodNotAllowed", "%s %s is not supported; use %s", req->method, req->path,
                 allowed);
}

/* ------------------------------------------------------------------ */
/* request helpers                                                     */
/* ------------------------------------------------------------------ */

static int method_is(const sim_request *req, const char *m)
{
    return req->method && strcmp(req->method, m) == 0;
}

/* The body as a JSON object; an empty body gives NULL with *ok = 1 when allow_empty. */
static json_t *body_object(const sim_request *req, sim_response *resp, int allow_empty, int *ok)
{
    *ok = 0;
    size_t len = req->body_len;
    while (len && (req->body[len - 1] == ' ' || req->body[len - 1] == '\n' || req->body[len - 1] == '\r' ||
                   req->body[len - 1] == '\t'))
        len--;
    if (!req->body || len == 0) {
        if (allow_empty) {
            *ok = 1;
            return NULL;
        }
        bad_request(resp, "the body must be a JSON object");
        return NULL;
    }
    json_error_t je;
    json_t *j =
        json_loadb((const char *)req->body, req->body_len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
    if (!j) {
        answer_error(resp, 400, "SerializationException",
                     "the body is not valid JSON: %s (line %d, column %d)", je.text, je.line, je.column);
        return NULL;
    }
    if (!json_is_object(j)) {
        json_decref(j);
        bad_request(resp, "the body must be a JSON object");
        return NULL;
    }
    *ok = 1;
    return j;
}

static sim_simulation *sim_state(sim_server *srv)
{
    return (sim_simulation *)srv->sim;
}

static int need_sim(sim_server *srv, sim_response *resp)
{
    if (sim_state(srv))
        return 1;
    answer_error(resp, 503, "ServiceUnavailable", "the simulation layer is not configured");
    return 0;
}

/* ------------------------------------------------------------------ */
/* endpoints                                                           */
/* ------------------------------------------------------------------ */

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* {"mode", "now_ms"} and, in real mode, "offset_ms" (how far it is from wall time): posting the
 * answer back to POST /_sim/clock puts the clock back where it was. */
static json_t *clock_json(const sim_server *srv)
{
    int virt = sim_clock_mode_get(srv->clock) == SIM_CLOCK_VIRTUAL;
    json_t *j = json_pack("{s:s, s:I}", "mode", virt ? "virtual" : "real", "now_ms",
                          (json_int_t)sim_clock_now_ms(srv->clock));
    if (j && !virt)
        json_object_set_new(j, "offset_ms", json_integer((json_int_t)sim_clock_offset_ms(srv->clock)));
    return j;
}

static void do_health(sim_server *srv, const sim_request *req, sim_response *resp)
{
    if (!method_is(req, "GET") && !method_is(req, "HEAD"))
        return method_not_allowed(resp, req, "GET");
    json_t *j = json_pack("{s:s}", "status", "ok");
    if (srv->clock)
        json_object_set_new(j, "clock", clock_json(srv));
    answer_json(resp, 200, j);
}

/* A reset of everything also puts the clock (mode, no offset) and the settings PUT /_sim/config
 * changes back to how the server started; fault rules stay (DELETE /_sim/faults removes them). */
static void reset_clock_and_config(sim_server *srv)
{
    const sim_config *start = &srv->cfg_at_start;
    if (srv->clock)
        sim_clock_reset(srv->clock, start->sim.clock);
    sim_simulation *s = sim_state(srv);
    if (s) {
        sim_simulation_set_throttle(s, start->sim.throttle, start->sim.throttle_scale);
        sim_simulation_set_control_limits(s, start->sim.control_limits, start->sim.max_creating);
        if (sim_faults_seed(sim_simulation_faults(s)) != start->sim.seed)
            sim_simulation_set_seed(s, start->sim.seed);
    }
    srv->cfg.create_delay_ms = start->create_delay_ms;
    srv->cfg.delete_delay_ms = start->delete_delay_ms;
    srv->cfg.update_delay_ms = start->update_delay_ms;
}

static void do_reset(sim_server *srv, const sim_request *req, sim_response *resp)
{
    if (!method_is(req, "POST"))
        return method_not_allowed(resp, req, "POST");
    int ok;
    json_t *body = body_object(req, resp, 1, &ok);
    if (!ok)
        return;
    char stream[SIM_NAME_MAX] = "", account[32], region[64];
    snprintf(account, sizeof account, "%s", srv->cfg.account_id);
    snprintf(region, sizeof region, "%s", srv->cfg.region);
    sim_query_param(req->query, "stream", stream, sizeof stream);
    const char *key;
    json_t *v;
    json_object_foreach(body, key, v)
    {
        char *dst = strcmp(key, "stream") == 0       ? stream
                    : strcmp(key, "account_id") == 0 ? account
                    : strcmp(key, "region") == 0     ? region
                                                     : NULL;
        size_t cap = dst == stream ? sizeof stream : dst == account ? sizeof account : sizeof region;
        if (!dst) {
            answer_error(resp, 400, "InvalidArgumentException",
                         "unknown member '%s' (known: stream, account_id, region)", key);
            json_decref(body);
            return;
        }
        if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) >= cap) {
            answer_error(resp, 400, "InvalidArgumentException",
                         "'%s' must be a non-empty string shorter than %zu bytes", key, cap);
            json_decref(body);
            return;
        }
        snprintf(dst, cap, "%s", json_string_value(v));
    }
    json_decref(body);
    if (!srv->store)
        return answer_error(resp, 503, "ServiceUnavailable", "no store is open");
    if (store_reset(srv->store, account, region, stream[0] ? stream : NULL) != 0) {
        if (stream[0])
            return answer_error(resp, 404, "ResourceNotFoundException",
                                "Stream %s under account %s not found.", stream, account);
        return answer_error(resp, 500, "InternalFailure", "the store could not be reset");
    }
    if (!stream[0]) {
        if (sim_state(srv))
            sim_simulation_reset_buckets(sim_state(srv));
        reset_clock_and_config(srv);
    }
    answer_json(resp, 200,
                stream[0] ? json_pack("{s:s, s:s}", "reset", "stream", "stream", stream)
                          : json_pack("{s:s}", "reset", "all"));
}

static int get_nonneg_int(const json_t *v, int64_t *out)
{
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return -1;
    *out = json_integer_value(v);
    return 0;
}

static void do_clock(sim_server *srv, const sim_request *req, sim_response *resp)
{
    if (!srv->clock)
        return answer_error(resp, 503, "ServiceUnavailable", "no clock is configured");
    if (method_is(req, "GET"))
        return answer_json(resp, 200, clock_json(srv));
    if (!method_is(req, "POST"))
        return method_not_allowed(resp, req, "GET or POST");
    int ok;
    json_t *body = body_object(req, resp, 0, &ok);
    if (!ok)
        return;
    int has_mode = 0, has_set = 0, has_adv = 0, has_off = 0;
    sim_clock_mode mode = SIM_CLOCK_REAL;
    int64_t set_ms = 0, adv_ms = 0, off_ms = 0;
    const char *key;
    json_t *v;
    const char *problem = NULL;
    json_object_foreach(body, key, v)
    {
        if (strcmp(key, "mode") == 0) {
            const char *m = json_string_value(v);
            if (m && strcmp(m, "virtual") == 0)
                mode = SIM_CLOCK_VIRTUAL;
            else if (m && strcmp(m, "real") == 0)
                mode = SIM_CLOCK_REAL;
            else {
                problem = "'mode' must be \"real\" or \"virtual\"";
                break;
            }
            has_mode = 1;
        } else if (strcmp(key, "set_ms") == 0) {
            if (get_nonneg_int(v, &set_ms) != 0) {
                problem = "'set_ms' must be an integer >= 0 (milliseconds since the epoch)";
                break;
            }
            has_set = 1;
        } else if (strcmp(key, "advance_ms") == 0) {
            if (get_nonneg_int(v, &adv_ms) != 0) {
                problem = "'advance_ms' must be an integer >= 0 (time only moves forward)";
                break;
            }
            has_adv = 1;
        } else if (strcmp(key, "offset_ms") == 0) {
            if (!json_is_integer(v)) {
                problem = "'offset_ms' must be an integer (milliseconds added to wall time, real mode)";
                break;
            }
            off_ms = json_integer_value(v);
            has_off = 1;
        } else if (strcmp(key, "now_ms") != 0) { /* a GET answer posted back: now_ms ignored */
            answer_error(resp, 400, "InvalidArgumentException",
                         "unknown member '%s' (known: mode, set_ms, advance_ms, offset_ms)", key);
            json_decref(body);
            return;
        }
    }
    json_decref(body);
    if (problem)
        return bad_request(resp, problem);
    if (!has_mode && !has_set && !has_adv && !has_off)
        return bad_request(resp, "give at least one of mode, set_ms, advance_ms, offset_ms");
    if (has_off && (has_mode ? mode : sim_clock_mode_get(srv->clock)) != SIM_CLOCK_REAL)
        return bad_request(resp, "'offset_ms' applies to the real clock only (virtual: use set_ms)");
    /* mode first ("real" returns to wall time), then offset, set, advance */
    if (has_mode)
        sim_clock_set_mode(srv->clock, mode);
    if (has_off)
        sim_clock_set_offset_ms(srv->clock, off_ms);
    if (has_set)
        sim_clock_set_ms(srv->clock, set_ms);
    if (has_adv)
        sim_clock_advance_ms(srv->clock, adv_ms);
    answer_json(resp, 200, clock_json(srv));
}

static void do_faults(sim_server *srv, const sim_request *req, sim_response *resp)
{
    if (!need_sim(srv, resp))
        return;
    sim_faults *f = sim_simulation_faults(sim_state(srv));
    if (method_is(req, "GET")) {
        json_t *j = json_pack("{s:I, s:I, s:o}", "seed", (json_int_t)sim_faults_seed(f), "fired_total",
                              (json_int_t)sim_faults_fired_total(f), "rules", sim_faults_to_json(f));
        return answer_json(resp, 200, j);
    }
    if (method_is(req, "POST")) {
        json_error_t je;
        json_t *doc = req->body_len ? json_loadb((const char *)req->body, req->body_len,
                                                 JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je)
                                    : NULL;
        if (!doc) {
            if (!req->body_len)
                return bad_request(resp, "the body must be a fault rule (JSON object) or a list of rules");
            return answer_error(resp, 400, "SerializationException",
                                "the body is not valid JSON: %s (line %d, column %d)", je.text, je.line,
                                je.column);
        }
        if (!json_is_object(doc) && !json_is_array(doc)) {
            json_decref(doc);
            return bad_request(resp, "the body must be a fault rule (JSON object) or a list of rules");
        }
        size_t before = sim_faults_count(f);
        char err[512];
        int n = sim_faults_add_document(f, doc, err, sizeof err);
        json_decref(doc);
        if (n < 0)
            return bad_request(resp, err);
        json_t *all = sim_faults_to_json(f);
        json_t *ids = json_array();
        for (size_t i = before; i < json_array_size(all); i++)
            json_array_append(ids, json_object_get(json_array_get(all, i), "id"));
        json_decref(all);
        json_t *j = json_array_size(ids) == 1
                        ? json_pack("{s:O, s:o}", "id", json_array_get(ids, 0), "ids", ids)
                        : json_pack("{s:o}", "ids", ids);
        return answer_json(resp, 200, j);
    }
    if (method_is(req, "DELETE")) {
        char idtxt[32];
        if (!sim_query_param(req->query, "id", idtxt, sizeof idtxt)) {
            size_t n = sim_faults_count(f);
            sim_faults_clear(f);
            return answer_json(resp, 200, json_pack("{s:I}", "deleted", (json_int_t)n));
        }
        char *end;
        errno = 0;
        unsigned long long id = strtoull(idtxt, &end, 10);
        if (errno || end == idtxt || *end || idtxt[0] == '-')
            return answer_error(resp, 400, "InvalidArgumentException",
                                "'id' must be a rule id (a positive integer), not '%s'", idtxt);
        if (sim_faults_remove(f, id) != 0)
            return answer_error(resp, 404, "ResourceNotFoundException", "no fault rule with id %llu", id);
        return answer_json(resp, 200, json_pack("{s:I}", "deleted", (json_int_t)1));
    }
    method_not_allowed(resp, req, "GET, POST or DELETE");
}

static json_t *config_json(const sim_server *srv, sim_simulation *s)
{
    const sim_simulation_options *o = sim_simulation_get_options(s);
    return json_pack("{s:s, s:f, s:b, s:i, s:I, s:s, s:I, s:I, s:I}", "throttle",
                     o->throttle == SIM_THROTTLE_AWS ? "aws" : "off", "throttle_scale", o->throttle_scale,
                     "control_limits", o->control_limits, "max_creating", o->max_creating, "seed",
                     (json_int_t)sim_faults_seed(sim_simulation_faults(s)), "clock",
                     srv->clock && sim_clock_mode_get(srv->clock) == SIM_CLOCK_VIRTUAL ? "virtual" : "real",
                     "create_delay_ms", (json_int_t)srv->cfg.create_delay_ms, "delete_delay_ms",
                     (json_int_t)srv->cfg.delete_delay_ms, "update_delay_ms",
                     (json_int_t)srv->cfg.update_delay_ms);
}

static void do_config(sim_server *srv, const sim_request *req, sim_response *resp)
{
    if (!need_sim(srv, resp))
        return;
    sim_simulation *s = sim_state(srv);
    if (method_is(req, "GET"))
        return answer_json(resp, 200, config_json(srv, s));
    if (!method_is(req, "PUT") && !method_is(req, "POST"))
        return method_not_allowed(resp, req, "GET or PUT");
    int ok;
    json_t *body = body_object(req, resp, 0, &ok);
    if (!ok)
        return;
    /* check everything first, then apply: all or nothing */
    sim_simulation_options o = *sim_simulation_get_options(s);
    int64_t delays[3] = {srv->cfg.create_delay_ms, srv->cfg.delete_delay_ms, srv->cfg.update_delay_ms};
    uint64_t seed = sim_faults_seed(sim_simulation_faults(s));
    const char *key;
    json_t *v;
    char problem[300] = "";
    json_object_foreach(body, key, v)
    {
        int64_t n;
        if (strcmp(key, "throttle") == 0) {
            const char *m = json_string_value(v);
            if (m && strcmp(m, "aws") == 0)
                o.throttle = SIM_THROTTLE_AWS;
            else if (m && strcmp(m, "off") == 0)
                o.throttle = SIM_THROTTLE_OFF;
            else
                snprintf(problem, sizeof problem, "'throttle' must be \"aws\" or \"off\"");
        } else if (strcmp(key, "throttle_scale") == 0) {
            if (!json_is_number(v) || !(json_number_value(v) > 0) || json_number_value(v) > 1e9)
                snprintf(problem, sizeof problem, "'throttle_scale' must be a number > 0");
            else
                o.throttle_scale = json_number_value(v);
        } else if (strcmp(key, "control_limits") == 0) {
            if (!json_is_boolean(v))
                snprintf(problem, sizeof problem, "'control_limits' must be true or false");
            else
                o.control_limits = json_is_true(v);
        } else if (strcmp(key, "max_creating") == 0) {
            if (get_nonneg_int(v, &n) != 0 || n > 1000000)
                snprintf(problem, sizeof problem, "'max_creating' must be an integer >= 0");
            else
                o.max_creating = (int)n;
        } else if (strcmp(key, "seed") == 0) {
            if (get_nonneg_int(v, &n) != 0)
                snprintf(problem, sizeof problem, "'seed' must be an integer >= 0");
            else
                seed = (uint64_t)n;
        } else if (strcmp(key, "create_delay_ms") == 0 || strcmp(key, "delete_delay_ms") == 0 ||
                   strcmp(key, "update_delay_ms") == 0) {
            if (get_nonneg_int(v, &n) != 0)
                snprintf(problem, sizeof problem, "'%s' must be an integer >= 0", key);
            else
                delays[key[0] == 'c' ? 0 : key[0] == 'd' ? 1 : 2] = n;
        } else if (strcmp(key, "clock") == 0) {
            snprintf(problem, sizeof problem, "'clock' is read-only here: POST /_sim/clock {\"mode\": ...}");
        } else {
            snprintf(problem, sizeof problem,
                     "unknown member '%s' (known: throttle, throttle_scale, control_limits, "
                     "max_creating, seed, create_delay_ms, delete_delay_ms, update_delay_ms)",
                     key);
        }
        if (problem[0])
            break;
    }
    json_decref(body);
    if (problem[0])
        return bad_request(resp, problem);
    sim_simulation_set_throttle(s, o.throttle, o.throttle_scale);
    sim_simulation_set_control_limits(s, o.control_limits, o.max_creating);
    if (seed != sim_faults_seed(sim_simulation_faults(s)))
        sim_simulation_set_seed(s, seed);
    srv->cfg.create_delay_ms = delays[0];
    srv->cfg.delete_delay_ms = delays[1];
    srv->cfg.update_delay_ms = delays[2];
    answer_json(resp, 200, config_json(srv, s));
}

static void do_metrics(sim_server *srv, const sim_request *req, sim_response *resp)
{
    if (!method_is(req, "GET"))
        return method_not_allowed(resp, req, "GET");
    if (!need_sim(srv, resp))
        return;
    size_t len = 0;
    char *text = sim_metrics_render(sim_simulation_metrics(sim_state(srv)), &len);
    if (!text)
        return answer_error(resp, 500, "InternalFailure", "out of memory");
    answer_text(resp, 200, "text/plain; version=0.0.4; charset=utf-8", text, len);
}

/* ------------------------------------------------------------------ */
/* the console's views: streams, stats, records                        */
/* ------------------------------------------------------------------ */

/* A stream's status as the next Kinesis call would see it (the lazy transitions of
 * ops/resources.c stream_settle, computed without writing); NULL when it is gone. */
static const char *effective_status(const char *status, int64_t until_ms, int64_t now)
{
    if (strcmp(status, "ACTIVE") == 0 || now < until_ms)
        return status;
    return strcmp(status, "DELETING") == 0 ? NULL : "ACTIVE";
}

/* The shards as a Kinesis call would see them now (ops/resources.c stream_shards): not yet those
 * created later (a CREATING stream's, a reshard's children while UPDATING), still open those
 * closed later. */
static void shards_as_of(store_shard *shards, size_t *n, int64_t now)
{
    size_t kept = 0;
    for (size_t i = 0; i < *n; i++) {
        store_shard sh = shards[i];
        if (sh.created_ms > now)
            continue;
        if (sh.closed_ms > now)
            sh.closed_ms = 0;
        shards[kept++] = sh;
    }
    *n = kept;
}

static json_t *shard_id_or_null(int64_t index)
{
    if (index < 0)
        return json_null();
    char id[SHARD_ID_MAX];
    shard_id_format((uint32_t)index, id);
    return json_string(id);
}

/* One stream with its shards (lineage: parents by id, children are the shards naming it) and consumers. */
static json_t *stream_view(store *st, const store_stream *s, const char *status, int64_t now)
{
    store_shard *shards = NULL;
    size_t n = 0;
    store_consumer *cons = NULL;
    size_t nc = 0;
    if (store_shards_get(st, s->id, &shards, &n) != 0 || store_consumers_list(st, s->id, &cons, &nc) != 0) {
        free(shards);
        free(cons);
        return NULL;
    }
    shards_as_of(shards, &n, now);
    int64_t horizon = now - (int64_t)s->retention_hours * 3600 * 1000;
    json_t *jsh = json_array(), *jc = json_array();
    int open = 0, closed = 0;
    for (size_t i = 0; i < n; i++) {
        const store_shard *sh = &shards[i];
        int expired = sh->closed_ms != 0 && sh->closed_ms < horizon;
        if (!sh->closed_ms)
            open++;
        else if (!expired)
            closed++;
        json_t *o = json_pack(
            "{s:o, s:o, s:o, s:s, s:s, s:I, s:o, s:b}", "shard_id", shard_id_or_null(sh->index), "parent",
            shard_id_or_null(sh->parent), "adjacent_parent", shard_id_or_null(sh->adjacent_parent),
            "start_hash", sh->start_hash, "end_hash", sh->end_hash, "created_ms", (json_int_t)sh->created_ms,
            "closed_ms", sh->closed_ms ? json_integer(sh->closed_ms) : json_null(), "expired", expired);
        json_array_append_new(jsh, o);
    }
    for (size_t i = 0; i < nc; i++) {
        const char *cs = effective_status(cons[i].status, cons[i].status_until_ms, now);
        if (cs)
            json_array_append_new(jc, json_pack("{s:s, s:s, s:I}", "name", cons[i].name, "status", cs,
                                                "created_ms", (json_int_t)cons[i].created_ms));
    }
    free(shards);
    free(cons);
    char arn[STREAM_ARN_MAX];
    snprintf(arn, sizeof arn, "arn:aws:kinesis:%s:%s:stream/%s", s->region, s->account_id, s->name);
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:i, s:s, s:i, s:i, s:o, s:o}", "account_id",
                     s->account_id, "region", s->region, "name", s->name, "arn", arn, "status", status,
                     "mode", s->mode, "created_ms", (json_int_t)s->created_ms, "retention_hours",
                     s->retention_hours, "encryption", s->encryption_type[0] ? s->encryption_type : "NONE",
                     "open_shards", open, "closed_shards", closed, "consumers", jc, "shards", jsh);
}

static void do_streams(sim_server *srv, const sim_request *req, sim_response *resp)
{
    if (!method_is(req, "GET"))
        return method_not_allowed(resp, req, "GET");
    if (!srv->store)
        return answer_error(resp, 503, "ServiceUnavailable", "no store is open");
    int64_t now = srv->clock ? sim_clock_now_ms(srv->clock) : wall_ms();
    store_stream *list = NULL;
    size_t n = 0;
    if (store_stream_list_all(srv->store, &list, &n) != 0)
        return answer_error(resp, 500, "InternalFailure", "the store could not list the streams");
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        const char *status = effective_status(list[i].status, list[i].status_until_ms, now);
        if (!status)
            continue;
        json_t *v = stream_view(srv->store, &list[i], status, now);
        if (!v) {
            free(list);
            json_decref(arr);
            return answer_error(resp, 500, "InternalFailure", "the store could not read a stream's shards");
        }
        json_array_append_new(arr, v);
    }
    free(list);
    answer_json(resp, 200, json_pack("{s:I, s:o}", "now_ms", (json_int_t)now, "streams", arr));
}

static void do_stats(sim_server *srv, const sim_request *req, sim_response *resp)
{
    if (!method_is(req, "GET"))
        return method_not_allowed(resp, req, "GET");
    if (!need_sim(srv, resp))
        return;
    char since_txt[32];
    int64_t since = 0;
    if (sim_query_param(req->query, "since", since_txt, sizeof since_txt) && since_txt[0]) {
        char *end;
        errno = 0;
        long long v = strtoll(since_txt, &end, 10);
        if (errno || *end || v < 0)
            return answer_error(
                resp, 400, "InvalidArgumentException",
                "'since' must be a time in milliseconds since the epoch (a \"t\" of an earlier "
                "answer), not '%s'",
                since_txt);
        since = v;
    }
    sim_simulation *s = sim_state(srv);
    json_t *j = sim_stats_json(sim_simulation_stats(s), since, mono_ms(), wall_ms());
    if (!j)
        return answer_error(resp, 500, "InternalFailure", "out of memory");
    const sim_simulation_options *o = sim_simulation_get_options(s);
    double k = o->throttle_scale;
    json_object_set_new(j, "since", json_integer(since));
    json_object_set_new(j, "throttle", json_string(o->throttle == SIM_THROTTLE_AWS ? "aws" : "off"));
    json_object_set_new(j, "throttle_scale", json_real(k));
    json_object_set_new(j, "limits",
                        json_pack("{s:f, s:f, s:f, s:f}", "write_records_per_s", SIM_WRITE_RECORDS_PER_S * k,
                                  "write_bytes_per_s", SIM_WRITE_BYTES_PER_S * k, "read_calls_per_s",
                                  SIM_READ_CALLS_PER_S * k, "read_bytes_per_s", SIM_READ_BYTES_PER_S * k));
    answer_json(resp, 200, j);
}

/* The query parameter key into out when present; out keeps its default otherwise. */
static void param_or_default(const char *query, const char *key, char *out, size_t len)
{
    char v[256];
    if (!sim_query_param(query, key, v, sizeof v) || !v[0])
        return;
    size_t n = strlen(v);
    if (n >= len)
        n = 0; /* too long to be a valid value: it then matches nothing */
    memcpy(out, v, n);
    out[n] = 0;
}

typedef struct peek_state {
    const store_shard *sh;
    json_t *records;
    int want, got;
    uint64_t last_counter;
    int failed;
} peek_state;

static int peek_one(void *ud, const store_record *r)
{
    peek_state *p = ud;
    if (p->got == p->want)
        return 1; /* one more than asked exists: there is a next page */
    char seq[SEQNUM_MAX];
    record_seq(p->sh, r->counter, r->arrival_ms, seq);
    size_t b64len = 0;
    char *b64 = b64_encode(r->data, r->data_len, &b64len);
    json_t *o = b64 ? json_pack("{s:s, s:s, s:I, s:s%, s:b}", "sequence_number", seq, "partition_key",
                                r->pkey, "arrival_ms", (json_int_t)r->arrival_ms, "data", b64, b64len,
                                "encrypted", r->encrypted)
                    : NULL;
    free(b64);
    if (!o) {
        p->failed = 1;
        return 1;
    }
    json_array_append_new(p->records, o);
    p->got++;
    p->last_counter = r->counter;
    return 0;
}

/* GET /_sim/records: a page of one shard's records read straight from the store, without an
 * iterator, the simulation layer (no throttling, faults or metrics) or a change to anything, so
 * looking never disturbs the test being looked at. */
static void do_records(sim_server *srv, const sim_request *req, sim_response *resp)
{
    if (!method_is(req, "GET"))
        return method_not_allowed(resp, req, "GET");
    if (!srv->store)
        return answer_error(resp, 503, "ServiceUnavailable", "no store is open");
    char name[SIM_NAME_MAX] = "", shard_txt[64] = "", account[32], region[64], from[32] = "trim_horizon";
    char seq_txt[SEQNUM_MAX + 8] = "", ts_txt[32] = "", pos_txt[32] = "", limit_txt[16] = "";
    snprintf(account, sizeof account, "%s", srv->cfg.account_id);
    snprintf(region, sizeof region, "%s", srv->cfg.region);
    sim_query_param(req->query, "stream", name, sizeof name);
    sim_query_param(req->query, "shard", shard_txt, sizeof shard_txt);
    param_or_default(req->query, "account_id", account, sizeof account);
    param_or_default(req->query, "region", region, sizeof region);
    param_or_default(req->query, "from", from, sizeof from);
    sim_query_param(req->query, "sequence", seq_txt, sizeof seq_txt);
    sim_query_param(req->query, "timestamp", ts_txt, sizeof ts_txt);
    sim_query_param(req->query, "position", pos_txt, sizeof pos_txt);
    sim_query_param(req->query, "limit", limit_txt, sizeof limit_txt);
    if (!name[0] || !shard_txt[0])
        return bad_request(resp,
                           "give ?stream=NAME&shard=shardId-... (and optionally account_id, region, from, "
                           "sequence, timestamp, position, limit)");
    int limit = 25;
    if (limit_txt[0]) {
        char *end;
        long v = strtol(limit_txt, &end, 10);
        if (*end || v < 1 || v > 1000)
            return bad_request(resp, "'limit' must be an integer from 1 to 1000");
        limit = (int)v;
    }
    int64_t now = srv->clock ? sim_clock_now_ms(srv->clock) : wall_ms();
    store_stream st;
    int rc = store_stream_get(srv->store, account, region, name, &st);
    if (rc < 0)
        return answer_error(resp, 500, "InternalFailure", "the store could not read the stream");
    if (rc > 0 || !effective_status(st.status, st.status_until_ms, now))
        return answer_error(resp, 404, "ResourceNotFoundException", "Stream %s under account %s not found.",
                            name, account);
    uint32_t index;
    char *end;
    unsigned long as_number = strtoul(shard_txt, &end, 10);
    if (shard_id_parse(shard_txt, &index) != 0) {
        if (*end || shard_txt[0] == '-' || as_number > UINT32_MAX)
            return bad_request(resp, "'shard' must be a shard id (shardId-000000000001) or index");
        index = (uint32_t)as_number;
    }
    store_shard *shards = NULL;
    size_t n = 0;
    if (store_shards_get(srv->store, st.id, &shards, &n) != 0)
        return answer_error(resp, 500, "InternalFailure", "the store could not read the shards");
    shards_as_of(shards, &n, now);
    store_shard *sh = NULL;
    for (size_t i = 0; i < n; i++)
        if (shards[i].index == index)
            sh = &shards[i];
    int64_t horizon = now - (int64_t)st.retention_hours * 3600 * 1000;
    char shard_id[SHARD_ID_MAX];
    shard_id_format(index, shard_id);
    if (!sh || (sh->closed_ms && sh->closed_ms < horizon)) {
        free(shards);
        return answer_error(resp, 404, "ResourceNotFoundException",
                            "Shard %s in stream %s under account %s does not exist", shard_id, name, account);
    }
    uint64_t position = 0;
    const char *problem = NULL;
    if (pos_txt[0]) {
        unsigned long long v = strtoull(pos_txt, &end, 10);
        if (*end || pos_txt[0] == '-')
            problem = "'position' must be a \"next_position\" of an earlier answer";
        position = v;
    } else if (strcmp(from, "trim_horizon") == 0) {
        position = 0;
    } else if (strcmp(from, "latest") == 0) {
        position = sh->next_counter;
    } else if (strcmp(from, "at_sequence") == 0 || strcmp(from, "after_sequence") == 0) {
        seqnum sq;
        if (seqnum_parse(seq_txt, &sq) != 0)
            problem = "'sequence' must be a sequence number of this shard";
        else if (sq.shard_index != index || sq.shard_created_s != sh->created_ms / 1000)
            problem = "'sequence' is a sequence number of another shard";
        else
            position = sq.counter + (from[0] == 'a' && from[1] == 'f' ? 1 : 0);
    } else if (strcmp(from, "at_timestamp") == 0) {
        long long ts = strtoll(ts_txt, &end, 10);
        if (!ts_txt[0] || *end)
            problem = "'timestamp' must be milliseconds since the epoch";
        else {
            int r = store_record_first_at(srv->store, st.id, index, ts, &position);
            if (r < 0)
                problem = "the store could not search the shard";
            else if (r > 0)
                position = sh->next_counter;
        }
    } else {
        problem = "'from' must be trim_horizon, latest, at_sequence, after_sequence or at_timestamp";
    }
    if (problem) {
        free(shards);
        return bad_request(resp, problem);
    }
    peek_state p = {sh, json_array(), limit, 0, 0, 0};
    if (store_records_scan(srv->store, st.id, index, position, horizon, limit + 1, peek_one, &p) != 0 ||
        p.failed) {
        free(shards);
        json_decref(p.records);
        return answer_error(resp, 500, "InternalFailure", "the store could not read the records");
    }
    uint64_t next = p.got ? p.last_counter + 1 : position;
    int more = json_array_size(p.records) == (size_t)limit && next < sh->next_counter;
    json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:o, s:I, s:b, s:b}", "account_id", account, "region", region,
                          "stream", name, "shard_id", shard_id, "records", p.records, "next_position",
                          (json_int_t)next, "more", more, "shard_closed", sh->closed_ms != 0);
    free(shards);
    answer_json(resp, 200, j);
}

/* The console's page is served only on its own port (net/console.c); here it gets a pointer there. */
static void do_ui_elsewhere(sim_server *srv, const sim_request *req, sim_response *resp)
{
    (void)req;
    answer_error(resp, 404, "UnknownOperationException",
                 "the console is served on its own port: start kinesis-sim with --console-port N and open "
                 "http://%s:N/_sim/ui/",
                 srv->cfg.host);
}

void sim_control_dispatch(sim_server *srv, const sim_request *req, sim_response *resp)
{
    static const struct {
        const char *path;
        void (*fn)(sim_server *, const sim_request *, sim_response *);
    } routes[] = {
        {"/_sim/health", do_health},   {"/_sim/reset", do_reset},   {"/_sim/clock", do_clock},
        {"/_sim/faults", do_faults},   {"/_sim/config", do_config}, {"/_sim/metrics", do_metrics},
        {"/_sim/streams", do_streams}, {"/_sim/stats", do_stats},   {"/_sim/records", do_records},
    };
    const char *path = req->path ? req->path : "";
    if (strncmp(path, "/_sim/ui", 8) == 0 && (path[8] == 0 || path[8] == '/'))
        return do_ui_elsewhere(srv, req, resp);
    size_t plen = strlen(path);
    if (plen > 1 && path[plen - 1] == '/') /* tolerate one trailing slash */
        plen--;
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        if (strlen(routes[i].path) == plen && strncmp(routes[i].path, path, plen) == 0) {
            routes[i].fn(srv, req, resp);
            return;
        }
    }
    answer_error(resp, 404, "UnknownOperationException", "no control endpoint %s; known: %s", path,
                 KNOWN_ENDPOINTS);
}
