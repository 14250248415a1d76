/* endpoint_state.c: save and restore the endpoint-wide simulator state around the exclusive
 * cases (see endpoint_state.h), through the control API with raw requests (http_raw.c). */
#include "endpoint_state.h"

#include <string.h>

#include "http_raw.h"
#include "match.h"
#include "vars.h"

#define STATE_TIMEOUT_MS 10000

/* One control request; body (borrowed) may be NULL. Returns the HTTP status (0: no answer). */
static int control(const cf_env *env, const char *method, const char *path, const char *query, json_t *body,
                   cf_response *r)
{
    json_t *raw = json_pack("{ss ss}", "method", method, "path", path);
    json_object_set_new(raw, "content_type", body ? json_string("application/json") : json_null());
    if (query)
        json_object_set_new(raw, "query", json_string(query));
    if (body)
        json_object_set(raw, "body", body);
    cf_http_raw(env, raw, STATE_TIMEOUT_MS, r);
    json_decref(raw);
    return r->status;
}

int cf_endpoint_state_save(const cf_env *env, cf_endpoint_state *st)
{
    memset(st, 0, sizeof *st);
    int parts = 0;
    cf_response r;
    if (control(env, "GET", "/_sim/clock", NULL, NULL, &r) == 200 && json_is_object(r.body)) {
        const char *mode = json_string_value(json_object_get(r.body, "mode"));
        st->have_clock = mode != NULL;
        st->virtual_mode = mode && !strcmp(mode, "virtual");
        st->now_ms = (int64_t)json_integer_value(json_object_get(r.body, "now_ms"));
        st->offset_ms = (int64_t)json_integer_value(json_object_get(r.body, "offset_ms"));
        parts += st->have_clock;
    }
    cf_response_clean_up(&r);
    if (control(env, "GET", "/_sim/config", NULL, NULL, &r) == 200 && json_is_object(r.body)) {
        st->config = json_deep_copy(r.body);
        json_object_del(st->config, "clock"); /* read-only there: POST /_sim/clock sets it */
        parts++;
    }
    cf_response_clean_up(&r);
    if (control(env, "GET", "/_sim/faults", NULL, NULL, &r) == 200 &&
        json_is_array(json_object_get(r.body, "rules"))) {
        st->faults = json_deep_copy(json_object_get(r.body, "rules"));
        parts++;
    }
    cf_response_clean_up(&r);
    return parts;
}

static void add_why(char *why, size_t why_len, const char *what, const cf_response *r)
{
    size_t used = strlen(why);
    cf_fmt(why + used, why_len - used, "%s%s (%s)", used ? "; " : "", what,
           r->transport_error ? r->transport_error
           : r->raw_body      ? r->raw_body
                              : "no answer");
}

static int has_id(const json_t *rules, json_int_t id)
{
    size_t k;
    json_t *v;
    json_array_foreach(rules, k, v)
    {
        if (json_integer_value(json_object_get(v, "id")) == id)
            return 1;
    }
    return 0;
}

int cf_endpoint_state_restore(const cf_env *env, const cf_endpoint_state *st, char *why, size_t why_len)
{
    if (why_len)
        why[0] = '\0';
    int rc = 0;
    cf_response r;
    if (st->have_clock) {
        json_t *b = st->virtual_mode
                        ? json_pack("{ss sI}", "mode", "virtual", "set_ms", (json_int_t)st->now_ms)
                        : json_pack("{ss sI}", "mode", "real", "offset_ms", (json_int_t)st->offset_ms);
        if (control(env, "POST", "/_sim/clock", NULL, b, &r) != 200) {
            add_why(why, why_len, "the clock", &r);
            rc = -1;
        }
        cf_response_clean_up(&r);
        json_decref(b);
    }
    if (st->config) {
        if (control(env, "PUT", "/_sim/config", NULL, st->config, &r) != 200) {
            add_why(why, why_len, "the configuration", &r);
            rc = -1;
        }
        cf_response_clean_up(&r);
    }
    if (st->faults) {
        json_t *now = NULL;
        if (control(env, "GET", "/_sim/faults", NULL, NULL, &r) == 200)
            now = json_incref(json_object_get(r.body, "rules"));
        cf_response_clean_up(&r);
        if (!json_is_array(now)) {
            cf_response none = {0};
            add_why(why, why_len, "the fault rules", &none);
            json_decref(now);
            return -1;
        }
        size_t k;
        json_t *v;
        /* rules added by the cases go */
        json_array_foreach(now, k, v)
        {
            json_int_t id = json_integer_value(json_object_get(v, "id"));
            if (has_id(st->faults, id))
                continue;
            char q[48];
            cf_fmt(q, sizeof q, "id=%lld", (long long)id);
            if (control(env, "DELETE", "/_sim/faults", q, NULL, &r) != 200) {
                add_why(why, why_len, "a fault rule added by a case", &r);
                rc = -1;
            }
            cf_response_clean_up(&r);
        }
        /* rules the cases removed come back (with new ids: ids are never reused) */
        json_array_foreach(st->faults, k, v)
        {
            if (has_id(now, json_integer_value(json_object_get(v, "id"))))
                continue;
            json_t *rule = json_deep_copy(v);
            json_object_del(rule, "id");
            json_object_del(rule, "calls");
            json_object_del(rule, "fired");
            if (control(env, "POST", "/_sim/faults", NULL, rule, &r) != 200) {
                add_why(why, why_len, "a fault rule a case removed", &r);
                rc = -1;
            }
            cf_response_clean_up(&r);
            json_decref(rule);
        }
        json_decref(now);
    }
    return rc;
}

void cf_endpoint_state_clean_up(cf_endpoint_state *st)
{
    json_decref(st->config);
    json_decref(st->faults);
    memset(st, 0, sizeof *st);
}
