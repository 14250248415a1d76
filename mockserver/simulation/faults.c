/* faults.c: fault rules: parsing and checking the JSON form, matching calls, triggers with a
 * per-rule seeded generator, and the list the control API shows (see faults.h and
 * fixtures/faults/README.md). Globs (stream, partition key) use POSIX fnmatch. */
#include "simulation/faults.h"

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dispatch/errors.h"
#include "wire/ids.h"

typedef enum { TRIG_ALWAYS, TRIG_NTH, TRIG_EVERY, TRIG_WINDOW, TRIG_PROBABILITY } trigger_kind;

typedef struct rule {
    uint64_t id;
    json_t *source; /* the rule as given, for listing */
    char **ops;     /* operation names; n_ops == 0 matches any */
    size_t n_ops;
    char *stream;  /* glob, NULL = any */
    char *pkey;    /* glob, NULL = any */
    int64_t shard; /* -1 = any */
    trigger_kind trig;
    uint64_t n, k, from, to; /* to == 0: open window */
    double probability;
    uint64_t max_fires; /* 0 = unlimited */
    sim_fault_fire effect;
    uint64_t calls, fired;
    uint64_t rng;
} rule;

struct sim_faults {
    rule **rules;
    size_t n_rules, cap;
    uint64_t next_id;
    uint64_t seed;
    uint64_t fired_total;
};

uint64_t sim_splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static uint64_t rule_seed(uint64_t seed, uint64_t id)
{
    uint64_t s = seed ^ (id * 0xD1B54A32D192ED03ULL);
    return sim_splitmix64(&s);
}

const char *sim_fault_kind_name(sim_fault_kind k)
{
    switch (k) {
    case SIM_FAULT_ERROR:
        return "error";
    case SIM_FAULT_ENTRY_ERROR:
        return "entry_error";
    case SIM_FAULT_LATENCY:
        return "latency";
    case SIM_FAULT_DROP:
        return "drop";
    case SIM_FAULT_TRUNCATE:
        return "truncate";
    case SIM_FAULT_MALFORM:
        return "malform";
    }
    return "unknown";
}

static void rule_free(rule *r)
{
    if (!r)
        return;
    json_decref(r->source);
    for (size_t i = 0; i < r->n_ops; i++)
        free(r->ops[i]);
    free(r->ops);
    free(r->stream);
    free(r->pkey);
    free(r);
}

sim_faults *sim_faults_new(uint64_t seed)
{
    sim_faults *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->seed = seed;
    f->next_id = 1;
    return f;
}

void sim_faults_clear(sim_faults *f)
{
    for (size_t i = 0; i < f->n_rules; i++)
        rule_free(f->rules[i]);
    f->n_rules = 0;
}

void sim_faults_free(sim_faults *f)
{
    if (!f)
        return;
    sim_faults_clear(f);
    free(f->rules);
    free(f);
}

void sim_faults_set_seed(sim_faults *f, uint64_t seed)
{
    f->seed = seed;
    for (size_t i = 0; i < f->n_rules; i++) {
        f->rules[i]->rng = rule_seed(seed, f->rules[i]->id);
        f->rules[i]->calls = 0;
    }
}

uint64_t sim_faults_seed(const sim_faults *f)
{
    return f->seed;
}
size_t sim_faults_count(const sim_faults *f)
{
    return f->n_rules;
}
uint64_t sim_faults_fired_total(const sim_faults *f)
{
    return f->fired_total;
}

/* ------------------------------------------------------------------ */
/* parsing                                                             */
/* ------------------------------------------------------------------ */

#define FAIL(...)                                                                                            \
    do {                                                                                                     \
        snprintf(err, err_len, __VA_ARGS__);                                                                 \
        return -1;                                                                                           \
    } while (0)

/* A JSON integer >= min; -1 with a message otherwise. */
static int get_count(const json_t *v, const char *name, uint64_t min, uint64_t *out, char *err,
                     size_t err_len)
{
    if (!json_is_integer(v) || json_integer_value(v) < (json_int_t)min)
        FAIL("fault rule: '%s' must be an integer >= %llu", name, (unsigned long long)min);
    *out = (uint64_t)json_integer_value(v);
    return 0;
}

static int parse_match(rule *r, const json_t *m, char *err, size_t err_len)
{
    if (!json_is_object(m))
        FAIL("fault rule: 'match' must be an object");
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)m, key, v)
    {
        if (strcmp(key, "operations") == 0 || strcmp(key, "operation") == 0) {
            size_t n = json_is_array(v) ? json_array_size(v) : 1;
            if (!json_is_array(v) && !json_is_string(v))
                FAIL("fault rule: 'match.%s' must be a string or an array of strings", key);
            if (r->n_ops)
                FAIL("fault rule: give only one of 'match.operation' and 'match.operations'");
            r->ops = calloc(n ? n : 1, sizeof *r->ops);
            if (!r->ops)
                FAIL("out of memory");
            for (size_t i = 0; i < n; i++) {
                const json_t *s = json_is_array(v) ? json_array_get(v, i) : v;
                if (!json_is_string(s) || json_string_length(s) == 0)
                    FAIL("fault rule: 'match.%s' must hold non-empty operation names", key);
                r->ops[i] = strdup(json_string_value(s));
                if (!r->ops[i])
                    FAIL("out of memory");
                r->n_ops = i + 1;
                if (strcmp(r->ops[i], "*") == 0) /* "*" = any operation */
                    r->n_ops = 0;
            }
            if (r->n_ops == 0) {
                for (size_t i = 0; i < n; i++)
                    free(r->ops[i]);
                free(r->ops);
                r->ops = NULL;
            }
        } else if (strcmp(key, "stream") == 0 || strcmp(key, "partition_key") == 0) {
            if (!json_is_string(v))
                FAIL("fault rule: 'match.%s' must be a string (a glob pattern)", key);
            char **dst = key[0] == 's' ? &r->stream : &r->pkey;
            *dst = strdup(json_string_value(v));
            if (!*dst)
                FAIL("out of memory");
        } else if (strcmp(key, "shard") == 0) {
            uint32_t idx;
            if (json_is_integer(v) && json_integer_value(v) >= 0 &&
                json_integer_value(v) <= (json_int_t)UINT32_MAX)
                r->shard = json_integer_value(v);
            else if (json_is_string(v) && shard_id_parse(json_string_value(v), &idx) == 0)
                r->shard = idx;
            else
                FAIL("fault rule: 'match.shard' must be a shard id (shardId-000000000001) or index");
        } else {
            FAIL("fault rule: unknown member 'match.%s' (known: operations, stream, shard, "
                 "partition_key)",
                 key);
        }
    }
    return 0;
}

static int parse_when(rule *r, const json_t *w, char *err, size_t err_len)
{
    if (!json_is_object(w))
        FAIL("fault rule: 'when' must be an object");
    int kinds = 0;
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)w, key, v)
    {
        if (strcmp(key, "nth") == 0) {
            if (get_count(v, "when.nth", 1, &r->n, err, err_len))
                return -1;
            r->trig = TRIG_NTH;
            kinds++;
        } else if (strcmp(key, "every") == 0) {
            if (get_count(v, "when.every", 1, &r->k, err, err_len))
                return -1;
            r->trig = TRIG_EVERY;
            kinds++;
        } else if (strcmp(key, "from") == 0 || strcmp(key, "to") == 0) {
            if (get_count(v, key[0] == 'f' ? "when.from" : "when.to", 1, key[0] == 'f' ? &r->from : &r->to,
                          err, err_len))
                return -1;
            if (r->trig != TRIG_WINDOW)
                kinds++;
            r->trig = TRIG_WINDOW;
        } else if (strcmp(key, "probability") == 0) {
            if (!json_is_number(v) || json_number_value(v) < 0 || json_number_value(v) > 1)
                FAIL("fault rule: 'when.probability' must be a number from 0 to 1");
            r->probability = json_number_value(v);
            r->trig = TRIG_PROBABILITY;
            kinds++;
        } else {
            FAIL("fault rule: unknown member 'when.%s' (known: nth, every, from, to, probability)", key);
        }
    }
    if (kinds > 1)
        FAIL("fault rule: 'when' takes one trigger: nth, every, from/to or probability");
    if (r->trig == TRIG_WINDOW) {
        if (r->from == 0)
            r->from = 1;
        if (r->to && r->to < r->from)
            FAIL("fault rule: 'when.to' must be >= 'when.from'");
    }
    return 0;
}

static int parse_effect(rule *r, const json_t *e, char *err, size_t err_len)
{
    if (!json_is_object(e))
        FAIL("fault rule: 'effect' must be an object");
    sim_fault_fire *fx = &r->effect;
    int kinds = 0, has_latency = 0;
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)e, key, v)
    {
        if (strcmp(key, "error") == 0 || strcmp(key, "entry_error") == 0) {
            int code = json_is_string(v) ? sim_error_from_name(json_string_value(v)) : -1;
            if (code < 0)
                FAIL("fault rule: 'effect.%s' must name a Kinesis error (e.g. InternalFailure, "
                     "ServiceUnavailable, ProvisionedThroughputExceededException)",
                     key);
            fx->error = code;
            fx->kind = key[0] == 'e' && key[1] == 'r' ? SIM_FAULT_ERROR : SIM_FAULT_ENTRY_ERROR;
            if (fx->kind == SIM_FAULT_ENTRY_ERROR && code != SIM_ERR_ProvisionedThroughputExceededException &&
                code != SIM_ERR_InternalFailure)
                FAIL("fault rule: 'effect.entry_error' must be ProvisionedThroughputExceededException "
                     "or InternalFailure (the only PutRecords entry error codes)");
            kinds++;
        } else if (strcmp(key, "message") == 0) {
            if (!json_is_string(v) || json_string_length(v) >= sizeof fx->message)
                FAIL("fault rule: 'effect.message' must be a string under %zu bytes", sizeof fx->message);
            snprintf(fx->message, sizeof fx->message, "%s", json_string_value(v));
        } else if (strcmp(key, "status") == 0) {
            if (!json_is_integer(v) || json_integer_value(v) < 100 || json_integer_value(v) > 599)
                FAIL("fault rule: 'effect.status' must be an HTTP status (100-599)");
            fx->status = (int)json_integer_value(v);
        } else if (strcmp(key, "latency_ms") == 0) {
            if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 600000)
                FAIL("fault rule: 'effect.latency_ms' must be an integer from 0 to 600000");
            fx->latency_ms = json_integer_value(v);
            has_latency = 1;
        } else if (strcmp(key, "drop") == 0) {
            const char *when = json_is_string(v) ? json_string_value(v) : NULL;
            if (json_is_true(v) || (when && strcmp(when, "before") == 0))
                fx->drop_after = 0;
            else if (when && strcmp(when, "after") == 0)
                fx->drop_after = 1;
            else
                FAIL("fault rule: 'effect.drop' must be true, \"before\" or \"after\"");
            fx->kind = SIM_FAULT_DROP;
            kinds++;
        } else if (strcmp(key, "malform") == 0) {
            if (!json_is_true(v))
                FAIL("fault rule: 'effect.malform' must be true");
            fx->kind = SIM_FAULT_MALFORM;
            kinds++;
        } else if (strcmp(key, "truncate") == 0) {
            if (!json_is_integer(v) || json_integer_value(v) < 0)
                FAIL("fault rule: 'effect.truncate' must be the number of body bytes kept (>= 0)");
            fx->truncate_bytes = (size_t)json_integer_value(v);
            fx->kind = SIM_FAULT_TRUNCATE;
            kinds++;
        } else {
            FAIL("fault rule: unknown member 'effect.%s' (known: error, entry_error, message, "
                 "status, latency_ms, drop, truncate, malform)",
                 key);
        }
    }
    if (kinds == 0 && has_latency)
        fx->kind = SIM_FAULT_LATENCY;
    else if (kinds == 0)
        FAIL("fault rule: 'effect' needs one of error, entry_error, latency_ms, drop, truncate, "
             "malform");
    else if (kinds > 1)
        FAIL("fault rule: 'effect' takes only one of error, entry_error, drop, truncate, malform "
             "(latency_ms may go with any)");
    if (fx->status && fx->kind != SIM_FAULT_ERROR)
        FAIL("fault rule: 'effect.status' goes only with 'effect.error'");
    if (fx->message[0] && fx->kind != SIM_FAULT_ERROR && fx->kind != SIM_FAULT_ENTRY_ERROR)
        FAIL("fault rule: 'effect.message' goes only with 'effect.error' or 'effect.entry_error'");
    return 0;
}

static int parse_rule(rule *r, const json_t *j, char *err, size_t err_len)
{
    if (!json_is_object(j))
        FAIL("fault rule: must be a JSON object");
    r->shard = -1;
    r->trig = TRIG_ALWAYS;
    const json_t *effect = NULL;
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)j, key, v)
    {
        if (strcmp(key, "match") == 0) {
            if (parse_match(r, v, err, err_len))
                return -1;
        } else if (strcmp(key, "when") == 0) {
            if (parse_when(r, v, err, err_len))
                return -1;
        } else if (strcmp(key, "effect") == 0) {
            effect = v;
        } else if (strcmp(key, "max_fires") == 0) {
            if (get_count(v, "max_fires", 1, &r->max_fires, err, err_len))
                return -1;
        } else if (strcmp(key, "name") == 0 || strcmp(key, "comment") == 0) {
            if (!json_is_string(v))
                FAIL("fault rule: '%s' must be a string", key);
        } else if (strcmp(key, "id") == 0 || strcmp(key, "calls") == 0 || strcmp(key, "fired") == 0) {
            /* read-only fields of a listing given back to us: ignored */
        } else {
            FAIL("fault rule: unknown member '%s' (known: name, match, when, max_fires, effect)", key);
        }
    }
    if (!effect)
        FAIL("fault rule: 'effect' is required");
    return parse_effect(r, effect, err, err_len);
}

static rule *build_rule(const json_t *j, char *err, size_t err_len)
{
    rule *r = calloc(1, sizeof *r);
    if (!r) {
        snprintf(err, err_len, "out of memory");
        return NULL;
    }
    if (parse_rule(r, j, err, err_len) != 0) {
        rule_free(r);
        return NULL;
    }
    r->source = json_deep_copy(j);
    json_object_del(r->source, "id");
    json_object_del(r->source, "calls");
    json_object_del(r->source, "fired");
    return r;
}

static int push_rule(sim_faults *f, rule *r)
{
    if (f->n_rules == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 8;
        rule **grown = realloc(f->rules, cap * sizeof *grown);
        if (!grown)
            return -1;
        f->rules = grown;
        f->cap = cap;
    }
    r->id = f->next_id++;
    r->rng = rule_seed(f->seed, r->id);
    f->rules[f->n_rules++] = r;
    return 0;
}

int sim_faults_add(sim_faults *f, const json_t *j, uint64_t *id, char *err, size_t err_len)
{
    rule *r = build_rule(j, err, err_len);
    if (!r)
        return -1;
    if (push_rule(f, r) != 0) {
        rule_free(r);
        FAIL("out of memory");
    }
    if (id)
        *id = r->id;
    return 0;
}

int sim_faults_add_document(sim_faults *f, const json_t *doc, char *err, size_t err_len)
{
    const json_t *list = doc;
    int has_seed = 0;
    uint64_t seed = 0;
    if (json_is_object(doc) && json_object_get(doc, "rules")) {
        const char *key;
        json_t *v;
        json_object_foreach((json_t *)doc, key, v)
        {
            if (strcmp(key, "seed") == 0) {
                if (!json_is_integer(v) || json_integer_value(v) < 0)
                    FAIL("faults: 'seed' must be a non-negative integer");
                seed = (uint64_t)json_integer_value(v);
                has_seed = 1;
            } else if (strcmp(key, "rules") != 0) {
                FAIL("faults: unknown member '%s' (known: seed, rules)", key);
            }
        }
        list = json_object_get(doc, "rules");
        if (!json_is_array(list))
            FAIL("faults: 'rules' must be an array");
    }
    size_t n = json_is_array(list) ? json_array_size(list) : 1;
    rule **built = calloc(n ? n : 1, sizeof *built);
    if (!built)
        FAIL("out of memory");
    for (size_t i = 0; i < n; i++) {
        char why[400];
        built[i] = build_rule(json_is_array(list) ? json_array_get(list, i) : list, why, sizeof why);
        if (!built[i]) {
            if (json_is_array(list))
                snprintf(err, err_len, "rule %zu: %s", i + 1, why);
            else
                snprintf(err, err_len, "%s", why);
            for (size_t k = 0; k < i; k++)
                rule_free(built[k]);
            free(built);
            return -1;
        }
    }
    if (has_seed)
        sim_faults_set_seed(f, seed);
    for (size_t i = 0; i < n; i++) {
        if (push_rule(f, built[i]) != 0) {
            for (size_t k = i; k < n; k++)
                rule_free(built[k]);
            free(built);
            FAIL("out of memory");
        }
    }
    free(built);
    return (int)n;
}

int sim_faults_load_file(sim_faults *f, const char *path, char *err, size_t err_len)
{
    json_error_t je;
    json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!doc)
        FAIL("%s:%d: %s", path, je.line, je.text);
    char why[450];
    int n = sim_faults_add_document(f, doc, why, sizeof why);
    json_decref(doc);
    if (n < 0)
        FAIL("%s: %s", path, why);
    return n;
}

int sim_faults_remove(sim_faults *f, uint64_t id)
{
    for (size_t i = 0; i < f->n_rules; i++) {
        if (f->rules[i]->id == id) {
            rule_free(f->rules[i]);
            memmove(&f->rules[i], &f->rules[i + 1], (f->n_rules - i - 1) * sizeof *f->rules);
            f->n_rules--;
            return 0;
        }
    }
    return -1;
}

json_t *sim_faults_to_json(const sim_faults *f)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < f->n_rules; i++) {
        const rule *r = f->rules[i];
        json_t *o = json_deep_copy(r->source);
        if (!o)
            continue;
        json_object_set_new(o, "id", json_integer((json_int_t)r->id));
        json_object_set_new(o, "calls", json_integer((json_int_t)r->calls));
        json_object_set_new(o, "fired", json_integer((json_int_t)r->fired));
        json_array_append_new(arr, o);
    }
    return arr;
}

/* ------------------------------------------------------------------ */
/* matching                                                            */
/* ------------------------------------------------------------------ */

static sim_fault_point rule_point(const rule *r)
{
    if (r->effect.kind == SIM_FAULT_ENTRY_ERROR)
        return SIM_FAULT_POINT_ENTRY;
    return r->shard >= 0 ? SIM_FAULT_POINT_SHARD : SIM_FAULT_POINT_REQUEST;
}

static int rule_matches(const rule *r, const sim_fault_call *c)
{
    if (r->n_ops) {
        int found = 0;
        for (size_t i = 0; c->operation && i < r->n_ops && !found; i++)
            found = strcmp(r->ops[i], c->operation) == 0;
        if (!found)
            return 0;
    }
    if (r->stream && (!c->stream || fnmatch(r->stream, c->stream, 0) != 0))
        return 0;
    if (r->pkey && (!c->partition_key || fnmatch(r->pkey, c->partition_key, 0) != 0))
        return 0;
    if (r->shard >= 0 && c->shard != r->shard)
        return 0;
    return 1;
}

static int rule_triggers(rule *r)
{
    uint64_t n = r->calls; /* this call's number, 1-based */
    switch (r->trig) {
    case TRIG_ALWAYS:
        return 1;
    case TRIG_NTH:
        return n == r->n;
    case TRIG_EVERY:
        return n % r->k == 0;
    case TRIG_WINDOW:
        return n >= r->from && (r->to == 0 || n <= r->to);
    case TRIG_PROBABILITY: {
        double u = (double)(sim_splitmix64(&r->rng) >> 11) * (1.0 / 9007199254740992.0);
        return u < r->probability;
    }
    }
    return 0;
}

size_t sim_faults_eval(sim_faults *f, sim_fault_point point, const sim_fault_call *call,
                       sim_fault_fire *fires, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < f->n_rules; i++) {
        rule *r = f->rules[i];
        if (rule_point(r) != point || !rule_matches(r, call))
            continue;
        r->calls++;
        if (!rule_triggers(r) || (r->max_fires && r->fired >= r->max_fires))
            continue;
        r->fired++;
        f->fired_total++;
        if (n < max) {
            fires[n] = r->effect;
            fires[n].rule_id = r->id;
            n++;
        }
    }
    return n;
}
