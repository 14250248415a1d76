/* throttle.c: token buckets and the per-stream, per-shard and control-plane tables that hold
 * them (see throttle.h for the model and the limits). Buckets are created full on first use and
 * kept in two small string-keyed hash tables: one entry per stream (its shards in an array indexed
 * by shard index) and one per control-plane key. Single-threaded, like the rest of the simulator. */
#include "simulation/throttle.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* one bucket                                                          */
/* ------------------------------------------------------------------ */

void sim_bucket_init(sim_bucket *b, double rate_per_s, int64_t now_ms)
{
    b->rate = rate_per_s;
    b->capacity = rate_per_s; /* one second of rate */
    b->tokens = b->capacity;
    b->last_ms = now_ms;
}

void sim_bucket_refill(sim_bucket *b, int64_t now_ms)
{
    if (now_ms <= b->last_ms) {
        if (now_ms < b->last_ms)
            b->last_ms = now_ms; /* clock moved back: restart the accounting from here */
        return;
    }
    double earned = (double)(now_ms - b->last_ms) * b->rate / 1000.0;
    b->tokens += earned;
    if (b->tokens > b->capacity)
        b->tokens = b->capacity;
    b->last_ms = now_ms;
}

static double admit_level(const sim_bucket *b, double amount)
{
    return amount < b->capacity ? amount : b->capacity;
}

int sim_bucket_can_take(sim_bucket *b, double amount, int64_t now_ms)
{
    sim_bucket_refill(b, now_ms);
    /* a tiny epsilon absorbs the rounding of fractional refills */
    return b->tokens + 1e-9 >= admit_level(b, amount);
}

int sim_bucket_try_take(sim_bucket *b, double amount, int64_t now_ms)
{
    if (!sim_bucket_can_take(b, amount, now_ms))
        return 0;
    b->tokens -= amount;
    return 1;
}

void sim_bucket_charge(sim_bucket *b, double amount, int64_t now_ms)
{
    sim_bucket_refill(b, now_ms);
    b->tokens -= amount;
}

int64_t sim_bucket_wait_ms(sim_bucket *b, double amount, int64_t now_ms)
{
    sim_bucket_refill(b, now_ms);
    double missing = admit_level(b, amount) - b->tokens;
    if (missing <= 1e-9 || b->rate <= 0)
        return 0;
    return (int64_t)ceil(missing * 1000.0 / b->rate);
}

/* ------------------------------------------------------------------ */
/* a small string-keyed hash table                                     */
/* ------------------------------------------------------------------ */

typedef struct map_entry {
    char *key;
    void *value;
    struct map_entry *next;
} map_entry;

typedef struct {
    map_entry **slots;
    size_t n_slots, count;
    void (*free_value)(void *);
} str_map;

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

static int map_init(str_map *m, void (*free_value)(void *))
{
    m->n_slots = 64;
    m->count = 0;
    m->free_value = free_value;
    m->slots = calloc(m->n_slots, sizeof *m->slots);
    return m->slots ? 0 : -1;
}

static void map_clear(str_map *m)
{
    for (size_t i = 0; i < m->n_slots; i++) {
        map_entry *e = m->slots[i];
        while (e) {
            map_entry *next = e->next;
            m->free_value(e->value);
            free(e->key);
            free(e);
            e = next;
        }
        m->slots[i] = NULL;
    }
    m->count = 0;
}

static void map_destroy(str_map *m)
{
    if (!m->slots)
        return;
    map_clear(m);
    free(m->slots);
    m->slots = NULL;
}

static void *map_get(const str_map *m, const char *key)
{
    for (map_entry *e = m->slots[hash_str(key) % m->n_slots]; e; e = e->next)
        if (strcmp(e->key, key) == 0)
            return e->value;
    return NULL;
}

static void map_grow(str_map *m)
{
    size_t n = m->n_slots * 2;
    map_entry **slots = calloc(n, sizeof *slots);
    if (!slots)
        return; /* keep the old table: slower, still correct */
    for (size_t i = 0; i < m->n_slots; i++) {
        map_entry *e = m->slots[i];
        while (e) {
            map_entry *next = e->next;
            size_t j = hash_str(e->key) % n;
            e->next = slots[j];
            slots[j] = e;
            e = next;
        }
    }
    free(m->slots);
    m->slots = slots;
    m->n_slots = n;
}

/* Insert a new key (caller checked it is absent). Returns 0, or -1 on allocation failure. */
static int map_put(str_map *m, const char *key, void *value)
{
    map_entry *e = malloc(sizeof *e);
    char *k = strdup(key);
    if (!e || !k) {
        free(e);
        free(k);
        return -1;
    }
    if (m->count + 1 > m->n_slots * 2)
        map_grow(m);
    size_t i = hash_str(key) % m->n_slots;
    e->key = k;
    e->value = value;
    e->next = m->slots[i];
    m->slots[i] = e;
    m->count++;
    return 0;
}

static void map_remove(str_map *m, const char *key)
{
    map_entry **pp = &m->slots[hash_str(key) % m->n_slots];
    while (*pp) {
        map_entry *e = *pp;
        if (strcmp(e->key, key) == 0) {
            *pp = e->next;
            m->free_value(e->value);
            free(e->key);
            free(e);
            m->count--;
            return;
        }
        pp = &e->next;
    }
}

/* ------------------------------------------------------------------ */
/* per-stream and per-shard state                                      */
/* ------------------------------------------------------------------ */

typedef struct {
    int ready; /* buckets set up (a scale change clears it; the counters stay) */
    int used;  /* the entry exists (counters may be kept without buckets) */
    sim_bucket write_bytes, write_records;
    sim_bucket read_calls, read_bytes;
    sim_bucket iterator_calls;
    int64_t read_blocked_until_ms;
    sim_shard_counters c;
    void *slot; /* the stats window's (sim_throttle_foreach_shard) */
} shard_state;

typedef struct {
    shard_state *shards;
    size_t n_shards;
    int stream_ready;
    sim_bucket write_bytes, write_records, read_bytes; /* on-demand stream-wide budget */
    void (*slot_free)(void *);
} stream_state;

struct sim_throttle {
    double scale;
    str_map streams;  /* stream_key -> stream_state */
    str_map controls; /* control key -> sim_bucket */
    void (*slot_free)(void *);
};

static void free_stream_state(void *p)
{
    stream_state *s = p;
    if (s) {
        for (size_t i = 0; s->slot_free && i < s->n_shards; i++)
            if (s->shards[i].slot)
                s->slot_free(s->shards[i].slot);
        free(s->shards);
    }
    free(s);
}

const char *sim_throttle_reason_name(sim_throttle_reason r)
{
    switch (r) {
    case SIM_THR_OK:
        return "ok";
    case SIM_THR_WRITE_BYTES:
        return "write_bytes";
    case SIM_THR_WRITE_RECORDS:
        return "write_records";
    case SIM_THR_STREAM_WRITE:
        return "stream_write";
    case SIM_THR_READ_CALLS:
        return "read_calls";
    case SIM_THR_READ_BYTES:
        return "read_bytes";
    case SIM_THR_READ_PENALTY:
        return "read_penalty";
    case SIM_THR_STREAM_READ:
        return "stream_read";
    case SIM_THR_ITERATOR:
        return "iterator";
    case SIM_THR_CONTROL:
        return "control";
    }
    return "unknown";
}

sim_throttle *sim_throttle_new(double scale)
{
    sim_throttle *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->scale = scale > 0 ? scale : 1.0;
    if (map_init(&t->streams, free_stream_state) != 0 || map_init(&t->controls, free) != 0) {
        sim_throttle_free(t);
        return NULL;
    }
    return t;
}

void sim_throttle_free(sim_throttle *t)
{
    if (!t)
        return;
    map_destroy(&t->streams);
    map_destroy(&t->controls);
    free(t);
}

void sim_throttle_set_scale(sim_throttle *t, double scale)
{
    if (scale > 0)
        t->scale = scale;
    /* every bucket starts full at the new rates on its next use; the shards' counters stay */
    for (size_t i = 0; i < t->streams.n_slots; i++)
        for (map_entry *e = t->streams.slots[i]; e; e = e->next) {
            stream_state *s = e->value;
            s->stream_ready = 0;
            for (size_t j = 0; j < s->n_shards; j++)
                s->shards[j].ready = 0;
        }
    map_clear(&t->controls);
}

double sim_throttle_scale(const sim_throttle *t)
{
    return t->scale;
}

void sim_throttle_reset(sim_throttle *t)
{
    map_clear(&t->streams);
    map_clear(&t->controls);
}

void sim_throttle_forget_stream(sim_throttle *t, const char *stream_key)
{
    map_remove(&t->streams, stream_key);
}

size_t sim_throttle_key_count(const sim_throttle *t)
{
    return t->streams.count + t->controls.count;
}

static stream_state *get_stream(sim_throttle *t, const char *key, int64_t now_ms)
{
    stream_state *s = map_get(&t->streams, key);
    if (s && s->stream_ready)
        return s;
    if (!s) {
        s = calloc(1, sizeof *s);
        if (!s || map_put(&t->streams, key, s) != 0) {
            free(s);
            return NULL;
        }
        s->slot_free = t->slot_free;
    }
    sim_bucket_init(&s->write_bytes, SIM_ONDEMAND_WRITE_BYTES_PER_S * t->scale, now_ms);
    sim_bucket_init(&s->write_records, SIM_ONDEMAND_WRITE_RECORDS_PER_S * t->scale, now_ms);
    sim_bucket_init(&s->read_bytes, SIM_ONDEMAND_READ_BYTES_PER_S * t->scale, now_ms);
    s->stream_ready = 1;
    return s;
}

static shard_state *get_shard(sim_throttle *t, stream_state *s, uint32_t shard, int64_t now_ms)
{
    if (shard >= s->n_shards) {
        size_t n = s->n_shards ? s->n_shards : 4;
        while (n <= shard)
            n *= 2;
        shard_state *grown = realloc(s->shards, n * sizeof *grown);
        if (!grown)
            return NULL;
        memset(grown + s->n_shards, 0, (n - s->n_shards) * sizeof *grown);
        s->shards = grown;
        s->n_shards = n;
    }
    shard_state *sh = &s->shards[shard];
    sh->used = 1;
    if (!sh->ready) {
        sim_bucket_init(&sh->write_bytes, SIM_WRITE_BYTES_PER_S * t->scale, now_ms);
        sim_bucket_init(&sh->write_records, SIM_WRITE_RECORDS_PER_S * t->scale, now_ms);
        sim_bucket_init(&sh->read_calls, SIM_READ_CALLS_PER_S * t->scale, now_ms);
        sim_bucket_init(&sh->read_bytes, SIM_READ_BYTES_PER_S * t->scale, now_ms);
        sim_bucket_init(&sh->iterator_calls, SIM_ITERATOR_CALLS_PER_S * t->scale, now_ms);
        sh->read_blocked_until_ms = INT64_MIN;
        sh->ready = 1;
    }
    return sh;
}

/* ------------------------------------------------------------------ */
/* the checks                                                          */
/* ------------------------------------------------------------------ */

sim_throttle_reason sim_throttle_write(sim_throttle *t, const char *stream_key, int on_demand, uint32_t shard,
                                       size_t bytes, int64_t now_ms)
{
    stream_state *s = get_stream(t, stream_key, now_ms);
    shard_state *sh = s ? get_shard(t, s, shard, now_ms) : NULL;
    if (!sh)
        return SIM_THR_OK; /* out of memory: never invent throttling */
    double b = (double)bytes;
    sim_throttle_reason why = SIM_THR_OK;
    if (!sim_bucket_can_take(&sh->write_bytes, b, now_ms))
        why = SIM_THR_WRITE_BYTES;
    else if (!sim_bucket_can_take(&sh->write_records, 1, now_ms))
        why = SIM_THR_WRITE_RECORDS;
    else if (on_demand && (!sim_bucket_can_take(&s->write_bytes, b, now_ms) ||
                           !sim_bucket_can_take(&s->write_records, 1, now_ms)))
        why = SIM_THR_STREAM_WRITE;
    if (why != SIM_THR_OK) {
        sh->c.throttled_write++;
        return why;
    }
    sh->c.records_in++;
    sh->c.bytes_in += bytes;
    sim_bucket_charge(&sh->write_bytes, b, now_ms);
    sim_bucket_charge(&sh->write_records, 1, now_ms);
    if (on_demand) {
        sim_bucket_charge(&s->write_bytes, b, now_ms);
        sim_bucket_charge(&s->write_records, 1, now_ms);
    }
    return SIM_THR_OK;
}

sim_throttle_reason sim_throttle_read_admit(sim_throttle *t, const char *stream_key, int on_demand,
                                            uint32_t shard, int64_t now_ms)
{
    stream_state *s = get_stream(t, stream_key, now_ms);
    shard_state *sh = s ? get_shard(t, s, shard, now_ms) : NULL;
    if (!sh)
        return SIM_THR_OK;
    sim_throttle_reason why = SIM_THR_OK;
    if (now_ms < sh->read_blocked_until_ms)
        why = SIM_THR_READ_PENALTY;
    else {
        sim_bucket_refill(&sh->read_bytes, now_ms);
        if (sh->read_bytes.tokens <= 0)
            why = SIM_THR_READ_BYTES;
    }
    if (why == SIM_THR_OK && on_demand) {
        sim_bucket_refill(&s->read_bytes, now_ms);
        if (s->read_bytes.tokens <= 0)
            why = SIM_THR_STREAM_READ;
    }
    if (why == SIM_THR_OK && !sim_bucket_try_take(&sh->read_calls, 1, now_ms))
        why = SIM_THR_READ_CALLS;
    if (why != SIM_THR_OK)
        sh->c.throttled_read++;
    else
        sh->c.get_records++;
    return why;
}

void sim_throttle_read_charge(sim_throttle *t, const char *stream_key, int on_demand, uint32_t shard,
                              size_t bytes, int64_t now_ms)
{
    stream_state *s = get_stream(t, stream_key, now_ms);
    shard_state *sh = s ? get_shard(t, s, shard, now_ms) : NULL;
    if (!sh)
        return;
    sh->c.bytes_out += bytes;
    sim_bucket_charge(&sh->read_bytes, (double)bytes, now_ms);
    if (on_demand)
        sim_bucket_charge(&s->read_bytes, (double)bytes, now_ms);
    if (bytes >= SIM_READ_BIG_ANSWER)
        sh->read_blocked_until_ms = now_ms + SIM_READ_BIG_PENALTY_MS;
}

sim_throttle_reason sim_throttle_iterator(sim_throttle *t, const char *stream_key, uint32_t shard,
                                          int64_t now_ms)
{
    stream_state *s = get_stream(t, stream_key, now_ms);
    shard_state *sh = s ? get_shard(t, s, shard, now_ms) : NULL;
    if (!sh)
        return SIM_THR_OK;
    if (sim_bucket_try_take(&sh->iterator_calls, 1, now_ms))
        return SIM_THR_OK;
    sh->c.throttled_read++;
    return SIM_THR_ITERATOR;
}

/* ---- counting without checking (throttling off) ---- */

static shard_state *counting_shard(sim_throttle *t, const char *stream_key, uint32_t shard, int64_t now_ms)
{
    stream_state *s = get_stream(t, stream_key, now_ms);
    return s ? get_shard(t, s, shard, now_ms) : NULL;
}

void sim_throttle_count_write(sim_throttle *t, const char *stream_key, uint32_t shard, size_t bytes,
                              int64_t now_ms)
{
    shard_state *sh = counting_shard(t, stream_key, shard, now_ms);
    if (!sh)
        return;
    sh->c.records_in++;
    sh->c.bytes_in += bytes;
}

void sim_throttle_count_read(sim_throttle *t, const char *stream_key, uint32_t shard, uint64_t records,
                             size_t bytes, int64_t now_ms)
{
    shard_state *sh = counting_shard(t, stream_key, shard, now_ms);
    if (!sh)
        return;
    sh->c.get_records++;
    sh->c.records_out += records;
    sh->c.bytes_out += bytes;
}

void sim_throttle_count_records_out(sim_throttle *t, const char *stream_key, uint32_t shard, uint64_t records,
                                    int64_t now_ms)
{
    shard_state *sh = counting_shard(t, stream_key, shard, now_ms);
    if (sh)
        sh->c.records_out += records;
}

void sim_throttle_foreach_shard(sim_throttle *t, sim_shard_visit fn, void *arg)
{
    for (size_t i = 0; i < t->streams.n_slots; i++)
        for (map_entry *e = t->streams.slots[i]; e; e = e->next) {
            stream_state *s = e->value;
            for (size_t j = 0; j < s->n_shards; j++)
                if (s->shards[j].used)
                    fn(arg, e->key, (uint32_t)j, &s->shards[j].c, &s->shards[j].slot);
        }
}

void sim_throttle_set_slot_free(sim_throttle *t, void (*slot_free)(void *))
{
    t->slot_free = slot_free;
    for (size_t i = 0; i < t->streams.n_slots; i++)
        for (map_entry *e = t->streams.slots[i]; e; e = e->next)
            ((stream_state *)e->value)->slot_free = slot_free;
}

sim_throttle_reason sim_throttle_control(sim_throttle *t, const char *key, double tps, int64_t now_ms)
{
    sim_bucket *b = map_get(&t->controls, key);
    if (!b) {
        b = malloc(sizeof *b);
        if (!b || map_put(&t->controls, key, b) != 0) {
            free(b);
            return SIM_THR_OK;
        }
        sim_bucket_init(b, tps * t->scale, now_ms);
    }
    return sim_bucket_try_take(b, 1, now_ms) ? SIM_THR_OK : SIM_THR_CONTROL;
}
