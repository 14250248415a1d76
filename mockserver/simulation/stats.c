/* stats.c: the rolling window behind GET /_sim/stats (see stats.h). One ring of sample times for the
 * whole simulator and, per shard, a ring of differences aligned with it, kept in the shard's slot
 * of the throttle table (so a shard forgotten there takes its window with it). Samples are taken
 * only when a page asks. */
#include "simulation/stats.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/sim.h"
#include "wire/ids.h"

enum { C_RIN, C_BIN, C_ROUT, C_BOUT, C_CALLS, C_THW, C_THR, N_COUNTERS };
static const char *const counter_names[N_COUNTERS] = {
    "records_in", "bytes_in", "records_out", "bytes_out", "get_records", "throttled_write", "throttled_read"};

typedef struct series {
    uint64_t prev[N_COUNTERS]; /* the counters at the previous sample */
    uint64_t born;             /* the first sample this shard has a difference for */
    uint64_t seen_gen;         /* the baseline generation prev belongs to */
    uint32_t d[SIM_STATS_CAP][N_COUNTERS];
} series;

typedef struct sample {
    int64_t wall_ms;
    int64_t interval_ms;
} sample;

struct sim_stats {
    sim_throttle *t;
    sample ring[SIM_STATS_CAP];
    uint64_t next_seq;  /* sequence number of the next sample */
    uint64_t first_seq; /* the oldest sample still valid (after the last baseline) */
    uint64_t gen;       /* bumped by each baseline */
    int64_t last_mono;  /* when the last sample (or baseline) was taken; 0 = never */
    int64_t watch_until;
};

static void counters_array(const sim_shard_counters *c, uint64_t out[N_COUNTERS])
{
    out[C_RIN] = c->records_in;
    out[C_BIN] = c->bytes_in;
    out[C_ROUT] = c->records_out;
    out[C_BOUT] = c->bytes_out;
    out[C_CALLS] = c->get_records;
    out[C_THW] = c->throttled_write;
    out[C_THR] = c->throttled_read;
}

sim_stats *sim_stats_new(sim_throttle *t)
{
    sim_stats *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->t = t;
    sim_throttle_set_slot_free(t, free);
    return s;
}

void sim_stats_free(sim_stats *s)
{
    free(s);
}

int sim_stats_watching(const sim_stats *s, int64_t mono_ms)
{
    return s && mono_ms < s->watch_until;
}

/* ---- sampling ---- */

typedef struct {
    sim_stats *s;
    int baseline;
    uint64_t seq;
} sample_pass;

static void sample_shard(void *arg, const char *key, uint32_t shard, const sim_shard_counters *c, void **slot)
{
    (void)key;
    (void)shard;
    sample_pass *p = arg;
    series *se = *slot;
    uint64_t now[N_COUNTERS];
    counters_array(c, now);
    if (!se) {
        se = calloc(1, sizeof *se);
        if (!se)
            return;
        *slot = se;
        se->seen_gen = p->s->gen;
        se->born = p->seq;
        if (p->baseline) {
            memcpy(se->prev, now, sizeof now);
            return;
        }
        /* a shard first seen since the previous sample: everything it counted is this interval's */
    } else if (p->baseline || se->seen_gen != p->s->gen) {
        memcpy(se->prev, now, sizeof now); /* what it counted before the baseline is not in the window */
        se->seen_gen = p->s->gen;
        se->born = p->baseline ? p->seq : p->seq + 1;
        return;
    }
    uint32_t *d = se->d[p->seq % SIM_STATS_CAP];
    for (int i = 0; i < N_COUNTERS; i++) {
        uint64_t diff = now[i] >= se->prev[i] ? now[i] - se->prev[i] : now[i]; /* a reset starts over */
        d[i] = diff > UINT32_MAX ? UINT32_MAX : (uint32_t)diff;
        se->prev[i] = now[i];
    }
}

static void take_sample(sim_stats *s, int64_t mono_ms, int64_t wall_ms)
{
    if (s->last_mono && mono_ms - s->last_mono < SIM_STATS_MIN_INTERVAL_MS)
        return;
    sample_pass p = {s, 0, s->next_seq};
    if (!s->last_mono || mono_ms - s->last_mono > SIM_STATS_WINDOW_MS) {
        p.baseline = 1; /* nobody looked for a whole window: start over from here */
        s->gen++;
        s->first_seq = s->next_seq;
        sim_throttle_foreach_shard(s->t, sample_shard, &p);
    } else {
        s->ring[p.seq % SIM_STATS_CAP] = (sample){wall_ms, mono_ms - s->last_mono};
        sim_throttle_foreach_shard(s->t, sample_shard, &p);
        s->next_seq++;
        if (s->next_seq - s->first_seq > SIM_STATS_CAP)
            s->first_seq = s->next_seq - SIM_STATS_CAP;
    }
    s->last_mono = mono_ms;
}

/* ---- the answer ---- */

typedef struct {
    sim_stats *s;
    uint64_t from, to; /* samples [from, to) */
    json_t *shards;
} answer_pass;

/* "account\x1fregion\x1fname\x1fcreated" (simulation.c stream_key) */
static int split_key(const char *key, char account[32], char region[64], char name[SIM_NAME_MAX],
                     long long *created);

static void answer_shard(void *arg, const char *key, uint32_t shard, const sim_shard_counters *c, void **slot)
{
    answer_pass *p = arg;
    series *se = *slot;
    if (!se || se->seen_gen != p->s->gen)
        return;
    char account[32], region[64], name[SIM_NAME_MAX];
    long long created;
    if (split_key(key, account, region, name, &created) != 0)
        return;
    char shard_id[SHARD_ID_MAX];
    shard_id_format(shard, shard_id);
    uint64_t tot[N_COUNTERS];
    counters_array(c, tot);
    json_t *o = json_object();
    json_t *totals = json_object();
    json_object_set_new(o, "account_id", json_string(account));
    json_object_set_new(o, "region", json_string(region));
    json_object_set_new(o, "stream", json_string(name));
    json_object_set_new(o, "stream_created_ms", json_integer(created));
    json_object_set_new(o, "shard_id", json_string(shard_id));
    for (int i = 0; i < N_COUNTERS; i++) {
        json_object_set_new(totals, counter_names[i], json_integer((json_int_t)tot[i]));
        json_t *arr = json_array();
        for (uint64_t q = p->from; q < p->to; q++)
            json_array_append_new(arr,
                                  json_integer(q >= se->born ? (json_int_t)se->d[q % SIM_STATS_CAP][i] : 0));
        json_object_set_new(o, counter_names[i], arr);
    }
    json_object_set_new(o, "totals", totals);
    json_array_append_new(p->shards, o);
}

static int split_key(const char *key, char account[32], char region[64], char name[SIM_NAME_MAX],
                     long long *created)
{
    const char *a = key, *b = strchr(a, '\x1f');
    const char *c = b ? strchr(b + 1, '\x1f') : NULL;
    const char *d = c ? strrchr(c + 1, '\x1f') : NULL;
    if (!d || (size_t)(b - a) >= 32 || (size_t)(c - b - 1) >= 64 || (size_t)(d - c - 1) >= SIM_NAME_MAX)
        return -1;
    memcpy(account, a, (size_t)(b - a));
    account[b - a] = 0;
    memcpy(region, b + 1, (size_t)(c - b - 1));
    region[c - b - 1] = 0;
    memcpy(name, c + 1, (size_t)(d - c - 1));
    name[d - c - 1] = 0;
    *created = strtoll(d + 1, NULL, 10);
    return 0;
}

json_t *sim_stats_json(sim_stats *s, int64_t since_ms, int64_t mono_ms, int64_t wall_ms)
{
    take_sample(s, mono_ms, wall_ms);
    s->watch_until = mono_ms + SIM_STATS_WINDOW_MS;
    uint64_t from = s->first_seq;
    while (from < s->next_seq && (s->ring[from % SIM_STATS_CAP].wall_ms <= since_ms ||
                                  s->ring[from % SIM_STATS_CAP].wall_ms < wall_ms - SIM_STATS_WINDOW_MS))
        from++;
    json_t *t = json_array(), *iv = json_array();
    for (uint64_t q = from; q < s->next_seq; q++) {
        json_array_append_new(t, json_integer(s->ring[q % SIM_STATS_CAP].wall_ms));
        json_array_append_new(iv, json_integer(s->ring[q % SIM_STATS_CAP].interval_ms));
    }
    answer_pass p = {s, from, s->next_seq, json_array()};
    sim_throttle_foreach_shard(s->t, answer_shard, &p);
    json_t *o = json_object();
    if (!o || !t || !iv || !p.shards) {
        json_decref(o);
        json_decref(t);
        json_decref(iv);
        json_decref(p.shards);
        return NULL;
    }
    json_object_set_new(o, "now_ms", json_integer(wall_ms));
    json_object_set_new(o, "window_ms", json_integer(SIM_STATS_WINDOW_MS));
    json_object_set_new(o, "t", t);
    json_object_set_new(o, "interval_ms", iv);
    json_object_set_new(o, "shards", p.shards);
    return o;
}
