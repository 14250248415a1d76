/* kpl_producer.c: kinesis_producer, a producer in the manner of the KPL (kinesis.h has the
 * contract). Everything runs inside kinesis_client_run() of one client, as engine ops
 * (internal.h): one timer op for the producer's own schedule, one op per PutRecords in flight and
 * one for ListShards. The way of a user record:
 *   put -> `unassigned` (until the shard map is known) -> its predicted shard's aggregator (user
 *   records gathered until the aggregated record is full or max_buffered_ms old) -> sealed into a
 *   Kinesis record (`krec`: aggregated bytes, or the user record itself when alone or when
 *   aggregation is off) in the shard's queue -> PutRecords of that shard's queue head, at most 500
 *   entries and 5 MiB, as far as the shard's token buckets allow -> per entry: success (every
 *   user record's callback), or a retryable failure (back to the head of the queue, the shard
 *   waits a backoff) until the time to live, or a final failure.
 * A record that lands on another shard than predicted, or a queue for a shard that closed, makes
 * the producer reload the shard map (at most every shard_map_refresh_ms); records queued for shards
 * that are no longer open go back through prediction.
 * Hash keys: MD5 of the partition key as a big-endian 128-bit number, or the explicit hash key, as
 * Kinesis maps records to shards (PutRecords in fixtures/kinesis-api/service-2.json: an MD5 hash maps
 * partition keys to 128-bit integers, and ExplicitHashKey overrides it). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "internal.h"

#define MAX_ENTRIES 500
#define MAX_CALL_BYTES (5u * 1024u * 1024u)
#define MAX_RECORD_BYTES (1024u * 1024u) /* data + partition key of one Kinesis record */
#define SHARD_RECORDS_PER_S 1000.0
#define SHARD_BYTES_PER_S (1024.0 * 1024.0)

/* ------------------------------------------------------------------ hash keys */

kc_u128 kc_hash_partition_key(const char *pk)
{
    uint8_t d[16];
    unsigned int n = 0;
    kc_u128 v = 0;
    if (EVP_Digest(pk, strlen(pk), d, &n, EVP_md5(), NULL) != 1)
        return 0;
    for (int i = 0; i < 16; i++)
        v = (v << 8) | d[i];
    return v;
}

int kc_parse_hash_key(const char *text, kc_u128 *out)
{
    if (!text || !*text || strlen(text) > 39)
        return -1;
    kc_u128 v = 0;
    for (const char *p = text; *p; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        kc_u128 nv = v * 10 + (kc_u128)(*p - '0');
        if (nv / 10 != v)
            return -1; /* overflow past 2^128 - 1 */
        v = nv;
    }
    *out = v;
    return 0;
}

void kc_format_hash_key(kc_u128 v, char *buf)
{
    char tmp[41];
    int i = 40;
    tmp[i] = 0;
    do {
        tmp[--i] = (char)('0' + (int)(v % 10));
        v /= 10;
    } while (v);
    memcpy(buf, tmp + i, (size_t)(41 - i));
}

/* ------------------------------------------------------------------ state */

typedef struct urec { /* a user record */
    struct urec *next;
    uint8_t *data;
    size_t len;
    char *pk, *ehk;
    kc_u128 hash;
    int64_t deadline_ms;
    kinesis_producer_cb cb;
    void *user;
} urec;

typedef struct krec { /* a Kinesis record: one entry of PutRecords */
    struct krec *next;
    urec **u; /* the user records it carries, in order */
    size_t n;
    int aggregated;
    char *b64;      /* Data, base64 */
    char *pk, *ehk; /* PartitionKey and ExplicitHashKey of the entry */
    size_t bytes;   /* data + partition key bytes: what the shard limit counts */
    size_t wire;    /* approximate request bytes of the entry */
    int attempts;
    int64_t created_ms, deadline_ms;
    char *last_code, *last_message;
} krec;

typedef struct pshard {
    char *id;
    kc_u128 start, end;
    int open; /* in the current shard map */
    urec *agg_head, *agg_tail;
    kc_agg *agg;
    size_t agg_n;
    int64_t agg_since_ms;
    krec *q_head, *q_tail;
    size_t q_n, q_wire;
    int inflight;
    int64_t not_before_ms; /* backoff after failures */
    int backoff_level;
    int stale; /* a record landed elsewhere than predicted: send nothing more until the map is new */
    double tok_rec, tok_bytes;
    int64_t tok_ms;
} pshard;

typedef struct flight { /* one PutRecords in flight */
    kinesis_producer *p;
    pshard *s;
    krec **k;
    size_t n;
    kc_op *op;
    struct flight *next;
} flight;

struct kinesis_producer {
    kinesis_client *c;
    char *stream;
    kinesis_producer_options o;
    double rec_rate, byte_rate;
    pshard **shards; /* every shard seen, open or not; sorted by start among the open ones for lookup */
    size_t n_shards;
    pshard **open; /* open shards sorted by start */
    size_t n_open;
    int map_loaded;
    int map_wanted; /* reload requested */
    int64_t map_last_ms;
    kc_op *list_op;
    kinesis_shard_list *list_acc;
    urec *un_head, *un_tail; /* waiting for the shard map */
    kc_op *timer;
    int64_t timer_at;
    flight *flights;
    int flushing;
    size_t outstanding, buffered_bytes;
    kinesis_producer_stats st;
    kinesis_error *map_error; /* the last ListShards failure */
    int in_tick;
    int in_timer_step;
};

static int64_t now_ms(kinesis_producer *p)
{
    return p->c->now(p->c->time_user);
}

static void urec_free(urec *u)
{
    if (!u)
        return;
    free(u->data);
    free(u->pk);
    free(u->ehk);
    free(u);
}

static void krec_free(krec *k)
{
    if (!k)
        return;
    free(k->u);
    free(k->b64);
    free(k->pk);
    free(k->ehk);
    free(k->last_code);
    free(k->last_message);
    free(k);
}

/* The final outcome of a user record: callback, then gone. */
static void finish_user(kinesis_producer *p, urec *u, const char *shard, const char *seq, uint64_t sub,
                        int agg, const kinesis_error *err, int attempts)
{
    kinesis_producer_result r = {shard, seq, sub, agg, err, attempts};
    p->outstanding--;
    p->buffered_bytes -= u->len + strlen(u->pk);
    if (err)
        p->st.user_records_failed++;
    else
        p->st.user_records_sent++;
    if (u->cb)
        u->cb(&r, u->user);
    urec_free(u);
}

/* Fail every user record of k with err (borrowed). */
static void fail_krec(kinesis_producer *p, krec *k, const char *shard, const kinesis_error *err)
{
    for (size_t i = 0; i < k->n; i++)
        finish_user(p, k->u[i], shard, NULL, 0, k->aggregated, err, k->attempts);
    k->n = 0;
    krec_free(k);
}

static kinesis_error *krec_error(const krec *k, const char *fallback_name, const char *fallback_msg)
{
    if (k->last_code)
        return kc_err(KINESIS_ERROR_REQUEST_FAILED, k->last_code, 200, "%s",
                      k->last_message ? k->last_message : k->last_code);
    return kc_err(KINESIS_ERROR_LIBRARY, fallback_name, 0, "%s", fallback_msg);
}

static void fail_expired(kinesis_producer *p, krec *k, const char *shard)
{
    kinesis_error *err = krec_error(k, KINESIS_ERR_TIMEOUT, "record time to live passed before it was sent");
    if (err && err != kc_err_nomem()) {
        err->attempts = k->attempts;
        if (k->last_code) { /* say it was the time to live that ended it */
            char *m = kc_sprintf("record time to live passed; last failure: %s", err->message);
            if (m) {
                free(err->message);
                err->message = m;
            }
        }
    }
    fail_krec(p, k, shard, err);
    kinesis_error_free(err);
}

/* ------------------------------------------------------------------ shards */

static pshard *find_shard(kinesis_producer *p, const char *id)
{
    for (size_t i = 0; i < p->n_shards; i++)
        if (strcmp(p->shards[i]->id, id) == 0)
            return p->shards[i];
    return NULL;
}

static pshard *predict(kinesis_producer *p, kc_u128 h)
{
    size_t lo = 0, hi = p->n_open;
    while (lo < hi) { /* last open shard with start <= h */
        size_t mid = (lo + hi) / 2;
        if (p->open[mid]->start <= h)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return NULL;
    pshard *s = p->open[lo - 1];
    return h <= s->end ? s : NULL;
}

static void arm(kinesis_producer *p, int64_t delay_ms);

static void want_map(kinesis_producer *p)
{
    p->map_wanted = 1;
}

/* Seal the shard's aggregator into a Kinesis record at the tail of its queue. */
static int seal(kinesis_producer *p, pshard *s)
{
    (void)p;
    if (!s->agg_n)
        return 0;
    krec *k = calloc(1, sizeof *k);
    urec **u = calloc(s->agg_n, sizeof *u);
    if (!k || !u) {
        free(k);
        free(u);
        return -1;
    }
    k->u = u;
    k->n = s->agg_n;
    size_t i = 0;
    int64_t deadline = INT64_MAX;
    for (urec *x = s->agg_head; x; x = x->next) {
        u[i++] = x;
        if (x->deadline_ms < deadline)
            deadline = x->deadline_ms;
    }
    for (i = 0; i < k->n; i++)
        u[i]->next = NULL;
    k->deadline_ms = deadline;
    k->created_ms = s->agg_since_ms;
    uint8_t *blob = NULL;
    size_t blob_len = 0;
    const uint8_t *data = u[0]->data;
    size_t data_len = u[0]->len;
    int bad = 0;
    if (k->n > 1) { /* a lone record goes as it is, as the KPL sends it */
        kinesis_record *recs = calloc(k->n, sizeof *recs);
        bad = !recs;
        for (i = 0; !bad && i < k->n; i++) {
            recs[i].data = u[i]->data;
            recs[i].data_len = u[i]->len;
            recs[i].partition_key = u[i]->pk;
            recs[i].explicit_hash_key = u[i]->ehk;
        }
        kinesis_error *err = bad ? NULL : kinesis_aggregate(recs, k->n, &blob, &blob_len);
        free(recs);
        if (err) {
            kinesis_error_free(err);
            bad = 1;
        }
        data = blob;
        data_len = blob_len;
        k->aggregated = 1;
    }
    if (!bad) {
        k->b64 = kc_base64_encode(data, data_len);
        k->pk = kc_strdup(u[0]->pk);
        if (k->aggregated) {
            /* Route the aggregated record by the first user record's hash key, as the KPL does, so it
             * lands on the shard the others were predicted for whatever its partition key maps to. */
            char hk[41];
            kc_format_hash_key(u[0]->hash, hk);
            k->ehk = kc_strdup(hk);
        } else if (u[0]->ehk) {
            k->ehk = kc_strdup(u[0]->ehk);
        }
        bad = !k->b64 || !k->pk || ((k->aggregated || u[0]->ehk) && !k->ehk);
    }
    free(blob);
    if (bad) {
        free(k->b64);
        free(k->pk);
        free(k->ehk);
        free(k->u);
        free(k);
        /* leave the records in the aggregator */
        for (i = 0; i + 1 < s->agg_n; i++)
            u[i]->next = u[i + 1];
        return -1;
    }
    k->bytes = data_len + strlen(k->pk);
    k->wire = strlen(k->b64) + strlen(k->pk) + (k->ehk ? strlen(k->ehk) : 0) + 64;
    s->agg_head = s->agg_tail = NULL;
    s->agg_n = 0;
    kc_agg_reset(s->agg);
    if (s->q_tail)
        s->q_tail->next = k;
    else
        s->q_head = k;
    s->q_tail = k;
    s->q_n++;
    s->q_wire += k->wire;
    return 0;
}

/* Add a user record to its shard's aggregator (sealing first when it would not fit). */
static int place(kinesis_producer *p, pshard *s, urec *u)
{
    size_t max_bytes = p->o.aggregation_max_bytes;
    size_t one = u->len + strlen(u->pk);
    if (s->agg_n) {
        int full = p->o.disable_aggregation || s->agg_n >= p->o.aggregation_max_count ||
                   kc_agg_size_with(s->agg, u->pk, u->ehk, u->len) + strlen(s->agg_head->pk) > max_bytes;
        if (full && seal(p, s) != 0)
            return -1;
    }
    if (kc_agg_add(s->agg, u->pk, u->ehk, u->len) != 0)
        return -1;
    u->next = NULL;
    if (s->agg_tail)
        s->agg_tail->next = u;
    else
        s->agg_head = u;
    s->agg_tail = u;
    if (!s->agg_n++)
        s->agg_since_ms = now_ms(p);
    /* Alone it already fills a record (or aggregation is off): no reason to wait for company. */
    if (p->o.disable_aggregation || one + KC_AGG_MAGIC_LEN + KC_AGG_MD5_LEN + 16 > max_bytes)
        return seal(p, s);
    return 0;
}

/* Put queued work of shards that are no longer open (and records without a map) through prediction
 * again. Queued Kinesis records are unpacked back into their user records. */
static void reassign(kinesis_producer *p)
{
    if (!p->map_loaded)
        return;
    urec *head = p->un_head;
    p->un_head = p->un_tail = NULL;
    for (size_t i = 0; i < p->n_shards; i++) {
        pshard *s = p->shards[i];
        if (s->open)
            continue;
        /* its aggregator and its queue, in order, before anything newer */
        urec *list = NULL, **tail = &list;
        for (krec *k = s->q_head; k;) {
            krec *nk = k->next;
            for (size_t j = 0; j < k->n; j++) {
                *tail = k->u[j];
                k->u[j]->next = NULL;
                tail = &k->u[j]->next;
            }
            k->n = 0;
            krec_free(k);
            k = nk;
        }
        s->q_head = s->q_tail = NULL;
        s->q_n = s->q_wire = 0;
        *tail = s->agg_head;
        s->agg_head = s->agg_tail = NULL;
        s->agg_n = 0;
        kc_agg_reset(s->agg);
        if (list) {
            urec *last = list;
            while (last->next)
                last = last->next;
            last->next = head;
            head = list;
        }
    }
    while (head) {
        urec *u = head;
        head = u->next;
        pshard *s = predict(p, u->hash);
        if (!s || place(p, s, u) != 0) { /* no open shard for its key: keep it until the map changes */
            u->next = NULL;
            if (p->un_tail)
                p->un_tail->next = u;
            else
                p->un_head = u;
            p->un_tail = u;
            if (!s)
                want_map(p);
        }
    }
}

/* ------------------------------------------------------------------ ListShards */

static void list_free(void *ctx)
{
    kinesis_producer *p = ctx;
    if (p)
        p->list_op = NULL;
}

static void apply_map(kinesis_producer *p, kinesis_shard_list *l)
{
    for (size_t i = 0; i < p->n_shards; i++)
        p->shards[i]->open = p->shards[i]->stale = 0;
    size_t n_open = 0;
    for (size_t i = 0; i < l->count; i++)
        if (!l->shards[i].ending_sequence_number)
            n_open++;
    pshard **open = calloc(n_open ? n_open : 1, sizeof *open);
    if (!open)
        return;
    size_t k = 0;
    for (size_t i = 0; i < l->count; i++) {
        kinesis_shard *sh = &l->shards[i];
        if (sh->ending_sequence_number)
            continue;
        kc_u128 a, b;
        if (kc_parse_hash_key(sh->starting_hash_key, &a) != 0 ||
            kc_parse_hash_key(sh->ending_hash_key, &b) != 0)
            continue;
        pshard *s = find_shard(p, sh->shard_id);
        if (!s) {
            pshard **ns = realloc(p->shards, (p->n_shards + 1) * sizeof *ns);
            if (!ns)
                continue;
            p->shards = ns;
            s = calloc(1, sizeof *s);
            if (s)
                s->id = kc_strdup(sh->shard_id);
            if (s)
                s->agg = kc_agg_new();
            if (!s || !s->id || !s->agg) {
                if (s) {
                    free(s->id);
                    kc_agg_free(s->agg);
                    free(s);
                }
                continue;
            }
            s->tok_rec = p->rec_rate;
            s->tok_bytes = p->byte_rate;
            s->tok_ms = now_ms(p);
            p->shards[p->n_shards++] = s;
        }
        s->start = a;
        s->end = b;
        s->open = 1;
        open[k++] = s;
    }
    /* sort by start (insertion sort: a stream has few shards) */
    for (size_t i = 1; i < k; i++)
        for (size_t j = i; j > 0 && open[j - 1]->start > open[j]->start; j--) {
            pshard *t = open[j];
            open[j] = open[j - 1];
            open[j - 1] = t;
        }
    free(p->open);
    p->open = open;
    p->n_open = k;
    p->map_loaded = 1;
}

static void tick(kinesis_producer *p);

static void list_step(kc_op *op, kinesis_error *err, kc_answer *ans)
{
    kinesis_producer *p = op->ctx;
    char *next = NULL;
    if (!err) {
        if (!p->list_acc && !(p->list_acc = calloc(1, sizeof *p->list_acc)))
            err = kc_err_nomem();
        else
            err = kc_parse_list_shards(ans->body, ans->body_len, p->list_acc, &next);
    }
    if (!err && next) {
        char *body = kc_build_list_shards(NULL, next, &err);
        free(next);
        if (body) {
            kc_op_send(op, "ListShards", body, 0);
            free(body);
            return;
        }
    }
    kc_op_finish(op);
    op->ctx = NULL; /* done with it now: tick below may start the next ListShards */
    p->list_op = NULL;
    p->st.shard_map_refreshes++;
    if (err) {
        kinesis_error_free(p->map_error);
        p->map_error = err;
        want_map(p); /* try again after shard_map_refresh_ms */
    } else {
        kinesis_error_free(p->map_error);
        p->map_error = NULL;
        apply_map(p, p->list_acc);
        reassign(p);
    }
    kinesis_shard_list_free(p->list_acc);
    p->list_acc = NULL;
    tick(p);
}

static void load_map(kinesis_producer *p)
{
    if (p->list_op)
        return;
    int64_t now = now_ms(p);
    if (p->map_last_ms && now - p->map_last_ms < p->o.shard_map_refresh_ms)
        return; /* tick re-arms */
    kinesis_error *err = NULL;
    char *body = kc_build_list_shards(p->stream, NULL, &err);
    if (!body) {
        kinesis_error_free(p->map_error);
        p->map_error = err;
        return;
    }
    kc_op *op = kc_op_new(p->c, list_step, p, list_free);
    if (op) {
        p->list_op = op;
        p->map_wanted = 0;
        p->map_last_ms = now;
        kc_op_send(op, "ListShards", body, 0);
    }
    free(body);
}

/* ------------------------------------------------------------------ PutRecords */

/* Take the flight off the producer's list (its answer came, or the producer is going). */
static void flight_detach(flight *f)
{
    kinesis_producer *p = f->p;
    if (!p)
        return;
    for (flight **pp = &p->flights; *pp; pp = &(*pp)->next)
        if (*pp == f) {
            *pp = f->next;
            break;
        }
    f->s->inflight--;
    f->p = NULL;
}

static void flight_free(void *ctx)
{
    flight *f = ctx;
    flight_detach(
        f); /* the client was freed first: its records are lost (kinesis.h says free the producer first) */
    for (size_t i = 0; i < f->n; i++)
        krec_free(f->k[i]);
    free(f->k);
    free(f);
}

/* Put k back at the head of its shard's queue (keeps the order of re-sent entries). */
static void requeue_front(pshard *s, krec **ks, size_t n)
{
    for (size_t i = n; i-- > 0;) {
        krec *k = ks[i];
        k->next = s->q_head;
        s->q_head = k;
        if (!s->q_tail)
            s->q_tail = k;
        s->q_n++;
        s->q_wire += k->wire;
    }
}

static int retryable_code(const char *code)
{
    return code && kinesis_is_retryable(code, 0);
}

static void put_step(kc_op *op, kinesis_error *err, kc_answer *ans)
{
    flight *f = op->ctx;
    kinesis_producer *p = f->p;
    pshard *s = f->s;
    kc_op_finish(op);
    flight_detach(f);
    int64_t now = now_ms(p);
    kinesis_put_record_result *res = NULL;
    if (!err) {
        res = calloc(f->n, sizeof *res);
        size_t failed = 0;
        if (!res)
            err = kc_err_nomem();
        else
            err = kc_parse_put_records(ans->body, ans->body_len, f->n, NULL, res, &failed);
        kc_annotate(err, ans);
    }
    p->st.put_records_calls++;
    krec **retry = calloc(f->n, sizeof *retry);
    size_t n_retry = 0;
    int throttled = 0, wrong_shard = 0;
    for (size_t i = 0; i < f->n; i++) {
        krec *k = f->k[i];
        f->k[i] = NULL;
        k->attempts++;
        const char *code = err ? err->name : res[i].error_code;
        if (!code) { /* written */
            p->st.kinesis_records_sent++;
            if (strcmp(res[i].shard_id, s->id) != 0)
                wrong_shard = 1;
            for (size_t j = 0; j < k->n; j++)
                finish_user(p, k->u[j], res[i].shard_id, res[i].sequence_number, k->aggregated ? j : 0,
                            k->aggregated, NULL, k->attempts);
            k->n = 0;
            krec_free(k);
            continue;
        }
        free(k->last_code);
        free(k->last_message);
        k->last_code = kc_strdup(code);
        k->last_message = kc_strdup(err ? err->message : res[i].error_message);
        if (strcmp(code, "ProvisionedThroughputExceededException") == 0) {
            throttled = 1;
            p->st.entries_throttled++;
        }
        int can_retry = err ? kinesis_is_retryable(err->name, err->http_status) : retryable_code(code);
        if (can_retry && now < k->deadline_ms && retry) {
            retry[n_retry++] = k;
            p->st.entries_retried++;
        } else if (can_retry) {
            fail_expired(p, k, s->id);
        } else {
            kinesis_error *e = err ? NULL : krec_error(k, code, code);
            if (e && e != kc_err_nomem())
                e->attempts = k->attempts;
            if (err && err != kc_err_nomem())
                err->attempts = k->attempts;
            fail_krec(p, k, s->id, err ? err : e);
            kinesis_error_free(e);
        }
    }
    if (n_retry) {
        requeue_front(s, retry, n_retry);
        /* A short backoff for the shard: the token buckets pace it, this only keeps a throttled
         * shard from being hit again at once (jittered, at most 100 ms * 2^2). */
        int level = s->backoff_level < 3 ? ++s->backoff_level : 3;
        int64_t d = kinesis_retry_delay_ms(&p->c->retry, level, &p->c->rng);
        if (!throttled && !err)
            d = d / 2;
        s->not_before_ms = now + d;
    } else {
        s->backoff_level = 0;
    }
    free(retry);
    if (res) {
        for (size_t i = 0; i < f->n; i++) {
            free(res[i].shard_id);
            free(res[i].sequence_number);
            free(res[i].error_code);
            free(res[i].error_message);
        }
        free(res);
    }
    kinesis_error_free(err);
    if (wrong_shard)
        s->stale = 1;
    if (wrong_shard || !s->open)
        want_map(p);
    tick(p);
}

/* Refill the shard's buckets to now. */
static void refill(kinesis_producer *p, pshard *s, int64_t now)
{
    double dt = (double)(now - s->tok_ms) / 1000.0;
    if (dt <= 0)
        return;
    s->tok_rec += dt * p->rec_rate;
    s->tok_bytes += dt * p->byte_rate;
    if (s->tok_rec > p->rec_rate)
        s->tok_rec = p->rec_rate;
    if (s->tok_bytes > p->byte_rate)
        s->tok_bytes = p->byte_rate;
    s->tok_ms = now;
}

/* Milliseconds until the bucket allows a record of `bytes` (0: now). */
static int64_t tokens_wait(kinesis_producer *p, pshard *s, size_t bytes)
{
    double need_b = (double)bytes < p->byte_rate ? (double)bytes : p->byte_rate;
    double wr = s->tok_rec >= 1.0 ? 0 : (1.0 - s->tok_rec) / p->rec_rate * 1000.0;
    double wb = s->tok_bytes >= need_b ? 0 : (need_b - s->tok_bytes) / p->byte_rate * 1000.0;
    double w = wr > wb ? wr : wb;
    return (int64_t)w + (w > 0 ? 1 : 0);
}

/* Send one PutRecords from the shard's queue head if allowed. Returns the wait (ms) before it could
 * send when it could not for lack of tokens or backoff, -1 when it has nothing to wait for. */
static int64_t send_shard(kinesis_producer *p, pshard *s, int64_t now)
{
    if (!s->q_n || s->inflight >= p->o.max_inflight_per_shard || s->stale)
        return -1;
    if (now < s->not_before_ms)
        return s->not_before_ms - now;
    /* Wait for company unless the batch is full, the oldest is due, or we are flushing. */
    int due = p->flushing || s->q_n >= p->o.collection_max_count || s->q_wire >= p->o.collection_max_bytes ||
              s->q_head->attempts > 0 || now - s->q_head->created_ms >= p->o.max_buffered_ms;
    if (!due)
        return s->q_head->created_ms + p->o.max_buffered_ms - now;
    refill(p, s, now);
    size_t n = 0, wire = 0;
    for (krec *k = s->q_head; k && n < p->o.collection_max_count; k = k->next) {
        if (n && wire + k->wire > p->o.collection_max_bytes)
            break;
        double need_b = (double)k->bytes < p->byte_rate ? (double)k->bytes : p->byte_rate;
        if (s->tok_rec < 1.0 || s->tok_bytes < need_b)
            break;
        s->tok_rec -= 1.0;
        s->tok_bytes -= (double)k->bytes;
        wire += k->wire;
        n++;
    }
    if (!n)
        return tokens_wait(p, s, s->q_head->bytes);
    flight *f = calloc(1, sizeof *f);
    krec **ks = calloc(n, sizeof *ks);
    json_t *root = json_object(), *arr = json_array();
    char *body = NULL;
    if (f && ks && root && arr) {
        krec *k = s->q_head;
        int bad = json_object_set_new(root, "StreamName", json_string(p->stream)) != 0;
        for (size_t i = 0; i < n && !bad; i++, k = k->next) {
            json_t *e = json_object();
            bad = !e || json_object_set_new(e, "Data", json_string(k->b64)) != 0 ||
                  json_object_set_new(e, "PartitionKey", json_string(k->pk)) != 0 ||
                  (k->ehk && json_object_set_new(e, "ExplicitHashKey", json_string(k->ehk)) != 0) ||
                  json_array_append_new(arr, e) != 0;
        }
        if (!bad && json_object_set(root, "Records", arr) == 0)
            body = json_dumps(root, JSON_COMPACT);
    }
    json_decref(arr);
    json_decref(root);
    kc_op *op = body ? kc_op_new(p->c, put_step, f, flight_free) : NULL;
    if (!op) { /* out of memory: give the tokens back and try later */
        free(body);
        if (!body) {
            free(ks);
            free(f);
        }
        s->tok_rec += (double)n;
        s->tok_bytes += (double)wire;
        return 100;
    }
    for (size_t i = 0; i < n; i++) {
        krec *k = s->q_head;
        s->q_head = k->next;
        if (!s->q_head)
            s->q_tail = NULL;
        k->next = NULL;
        s->q_n--;
        s->q_wire -= k->wire;
        ks[i] = k;
    }
    f->p = p;
    f->s = s;
    f->k = ks;
    f->n = n;
    f->op = op;
    f->next = p->flights;
    p->flights = f;
    s->inflight++;
    kc_op_send(op, "PutRecords", body, 0);
    free(body);
    return s->q_n && s->inflight < p->o.max_inflight_per_shard ? 0 : -1;
}

/* ------------------------------------------------------------------ the schedule */

static void timer_free(void *ctx)
{
    kinesis_producer *p = ctx;
    if (p)
        p->timer = NULL;
}

static void timer_step(kc_op *op, kinesis_error *err, kc_answer *ans)
{
    (void)ans;
    kinesis_producer *p = op->ctx;
    kinesis_error_free(err);
    p->timer_at = 0;
    kc_op_timer(op, 3600 * 1000); /* kept alive; tick re-arms it (or finishes it when idle) */
    p->in_timer_step = 1;
    tick(p);
    p->in_timer_step = 0;
}

/* Make sure tick runs within delay_ms. */
static void arm(kinesis_producer *p, int64_t delay_ms)
{
    int64_t at = now_ms(p) + (delay_ms > 1 ? delay_ms : 1);
    if (!p->timer) {
        p->timer = kc_op_new(p->c, timer_step, p, timer_free);
        if (!p->timer)
            return;
        p->timer_at = 0;
    }
    if (p->timer_at && p->timer_at <= at)
        return;
    p->timer_at = at;
    kc_op_timer(p->timer, delay_ms);
}

static void min_wait(int64_t *best, int64_t w)
{
    if (w >= 0 && (*best < 0 || w < *best))
        *best = w;
}

/* Seal what is due, fail what expired, send what the buckets allow, and set the next wake-up. */
static void tick(kinesis_producer *p)
{
    if (p->in_tick)
        return;
    p->in_tick = 1;
    int64_t now = now_ms(p);
    int64_t wait = -1;
    if (!p->map_loaded || p->map_wanted) {
        load_map(p);
        if (p->map_wanted && !p->list_op)
            min_wait(&wait, p->map_last_ms + p->o.shard_map_refresh_ms - now);
    }
    if (!p->map_loaded && p->un_head) {
        /* Records wait for the map; expire those past their time to live. */
        urec **pp = &p->un_head, *last = NULL;
        while (*pp) {
            urec *u = *pp;
            if (now >= u->deadline_ms) {
                *pp = u->next;
                kinesis_error *e = p->map_error
                                       ? p->map_error
                                       : kc_err(KINESIS_ERROR_LIBRARY, KINESIS_ERR_TIMEOUT, 0,
                                                "record time to live passed before the shard map was loaded");
                finish_user(p, u, NULL, NULL, 0, 0, e, 0);
                if (e != p->map_error)
                    kinesis_error_free(e);
            } else {
                min_wait(&wait, u->deadline_ms - now);
                last = u;
                pp = &u->next;
            }
        }
        p->un_tail = last;
        if (!p->list_op)
            min_wait(&wait, p->o.shard_map_refresh_ms);
    }
    if (p->map_loaded && p->un_head) {
        reassign(p);
        if (p->un_head)
            min_wait(&wait, p->o.shard_map_refresh_ms);
    }
    for (size_t i = 0; i < p->n_shards; i++) {
        pshard *s = p->shards[i];
        if (!s->open) {
            if (s->q_n || s->agg_n)
                want_map(p);
            continue;
        }
        if (s->agg_n) {
            int64_t due = s->agg_since_ms + p->o.max_buffered_ms;
            if (p->flushing || now >= due)
                seal(p, s);
            else
                min_wait(&wait, due - now);
        }
        /* expire queued records past their time to live */
        for (krec **pp = &s->q_head; *pp;) {
            krec *k = *pp;
            if (now >= k->deadline_ms) {
                *pp = k->next;
                s->q_n--;
                s->q_wire -= k->wire;
                fail_expired(p, k, s->id);
            } else {
                pp = &k->next;
            }
        }
        s->q_tail = NULL;
        for (krec *k = s->q_head; k; k = k->next) {
            s->q_tail = k;
            min_wait(&wait, k->deadline_ms - now);
        }
        int64_t w;
        while ((w = send_shard(p, s, now)) == 0) {
        }
        min_wait(&wait, w);
    }
    if (p->map_wanted && !p->list_op) {
        load_map(p);
        if (!p->list_op)
            min_wait(&wait, p->map_last_ms + p->o.shard_map_refresh_ms - now);
    }
    if (p->outstanding == 0)
        p->flushing = 0;
    p->in_tick = 0;
    if (wait >= 0)
        arm(p, wait);
    else if (p->timer && !p->outstanding) { /* idle: no timer, so the client's loop can go quiet */
        p->timer->ctx = NULL;               /* timer_free must not clear a timer made later */
        if (p->in_timer_step)
            kc_op_finish(p->timer); /* the engine ends it after the step */
        else
            kc_op_abort(p->timer);
        p->timer = NULL;
        p->timer_at = 0;
    }
}

/* ------------------------------------------------------------------ public */

kinesis_producer *kinesis_producer_new(kinesis_client *client, const char *stream_name,
                                       const kinesis_producer_options *opts, kinesis_error **err)
{
    if (err)
        *err = NULL;
    kinesis_error *e = NULL;
    if (!client || !stream_name || !*stream_name)
        e = kc_err(KINESIS_ERROR_LIBRARY, KINESIS_ERR_INVALID_PARAMETER, 0, "Non empty argument required: %s",
                   client ? "stream_name" : "client");
    kinesis_producer *p = e ? NULL : calloc(1, sizeof *p);
    if (!e && !p)
        e = kc_err_nomem();
    if (p) {
        p->c = client;
        p->stream = kc_strdup(stream_name);
        if (opts)
            p->o = *opts;
        kinesis_producer_options *o = &p->o;
        if (!o->aggregation_max_bytes)
            o->aggregation_max_bytes = 51200;
        if (o->aggregation_max_bytes > MAX_RECORD_BYTES)
            o->aggregation_max_bytes = MAX_RECORD_BYTES;
        if (!o->aggregation_max_count)
            o->aggregation_max_count = (size_t)-1;
        if (!o->collection_max_count || o->collection_max_count > MAX_ENTRIES)
            o->collection_max_count = MAX_ENTRIES;
        if (!o->collection_max_bytes || o->collection_max_bytes > MAX_CALL_BYTES)
            o->collection_max_bytes = MAX_CALL_BYTES;
        if (o->max_buffered_ms <= 0)
            o->max_buffered_ms = 100;
        if (o->record_ttl_ms <= 0)
            o->record_ttl_ms = 30000;
        if (o->rate_limit_percent <= 0)
            o->rate_limit_percent = 150;
        if (!o->max_buffered_bytes)
            o->max_buffered_bytes = (size_t)64 * 1024 * 1024;
        if (o->max_inflight_per_shard <= 0)
            o->max_inflight_per_shard = 1;
        if (o->shard_map_refresh_ms <= 0)
            o->shard_map_refresh_ms = 1000;
        p->rec_rate = SHARD_RECORDS_PER_S * o->rate_limit_percent / 100.0;
        p->byte_rate = SHARD_BYTES_PER_S * o->rate_limit_percent / 100.0;
        if (!p->stream) {
            free(p);
            p = NULL;
            e = kc_err_nomem();
        }
    }
    if (p)
        tick(p); /* starts loading the shard map */
    if (e) {
        if (err)
            *err = e;
        else
            kinesis_error_free(e);
    }
    return p;
}

int kinesis_producer_put(kinesis_producer *p, const kinesis_record *r, kinesis_producer_cb cb, void *user)
{
    if (!p || !r || !r->partition_key)
        return KINESIS_PRODUCER_INVALID;
    size_t pkl = strlen(r->partition_key);
    if (pkl < 1 || pkl > 256 || (r->data_len && !r->data) || r->data_len + pkl > MAX_RECORD_BYTES)
        return KINESIS_PRODUCER_INVALID;
    kc_u128 h;
    if (r->explicit_hash_key) {
        if (kc_parse_hash_key(r->explicit_hash_key, &h) != 0)
            return KINESIS_PRODUCER_INVALID;
    } else {
        h = kc_hash_partition_key(r->partition_key);
    }
    if (p->buffered_bytes && p->buffered_bytes + r->data_len + pkl > p->o.max_buffered_bytes)
        return KINESIS_PRODUCER_BUSY;
    urec *u = calloc(1, sizeof *u);
    if (!u)
        return KINESIS_PRODUCER_BUSY;
    u->data = malloc(r->data_len ? r->data_len : 1);
    u->pk = kc_strdup(r->partition_key);
    u->ehk = r->explicit_hash_key ? kc_strdup(r->explicit_hash_key) : NULL;
    if (!u->data || !u->pk || (r->explicit_hash_key && !u->ehk)) {
        urec_free(u);
        return KINESIS_PRODUCER_BUSY;
    }
    if (r->data_len)
        memcpy(u->data, r->data, r->data_len);
    u->len = r->data_len;
    u->hash = h;
    u->cb = cb;
    u->user = user;
    int64_t now = now_ms(p);
    u->deadline_ms = now + p->o.record_ttl_ms;
    p->outstanding++;
    p->buffered_bytes += u->len + pkl;
    p->st.user_records_put++;
    pshard *s = p->map_loaded ? predict(p, h) : NULL;
    if (!s || place(p, s, u) != 0) {
        if (p->un_tail)
            p->un_tail->next = u;
        else
            p->un_head = u;
        p->un_tail = u;
        arm(p, 0);
        return KINESIS_PRODUCER_OK;
    }
    /* Send now when a batch is full; otherwise make sure the timer will come. */
    if (s->q_n >= p->o.collection_max_count || s->q_wire >= p->o.collection_max_bytes)
        tick(p);
    else
        arm(p, p->o.max_buffered_ms);
    return KINESIS_PRODUCER_OK;
}

void kinesis_producer_flush(kinesis_producer *p)
{
    if (!p || !p->outstanding)
        return;
    p->flushing = 1;
    arm(p, 0);
}

int kinesis_producer_flush_wait(kinesis_producer *p, int64_t timeout_ms)
{
    if (!p)
        return -1;
    int64_t end = now_ms(p) + timeout_ms;
    kinesis_producer_flush(p);
    p->c->in_blocking++;
    while (p->outstanding && now_ms(p) < end) {
        if (!p->flushing)
            kinesis_producer_flush(p);
        int64_t left = end - now_ms(p);
        kinesis_client_run(p->c, (int)(left < 100 ? left : 100));
    }
    p->c->in_blocking--;
    return p->outstanding ? -1 : 0;
}

size_t kinesis_producer_outstanding(const kinesis_producer *p)
{
    return p ? p->outstanding : 0;
}

void kinesis_producer_get_stats(const kinesis_producer *p, kinesis_producer_stats *st)
{
    if (!p || !st)
        return;
    *st = p->st;
    st->buffered_bytes = p->buffered_bytes;
    st->buffered_records = p->outstanding;
}

void kinesis_producer_free(kinesis_producer *p)
{
    if (!p)
        return;
    kinesis_error *e = kc_err(KINESIS_ERROR_LIBRARY, KINESIS_ERR_CANCELLED, 0, "the producer was freed");
    p->in_tick = 1; /* no scheduling from the callbacks below */
    /* In flight: abandon the calls; their records fail now. */
    while (p->flights) {
        flight *f = p->flights;
        p->flights = f->next;
        f->p = NULL;
        for (size_t i = 0; i < f->n; i++) {
            fail_krec(p, f->k[i], f->s->id, e);
            f->k[i] = NULL;
        }
        kc_op_abort(f->op);
    }
    if (p->timer)
        kc_op_abort(p->timer);
    if (p->list_op)
        kc_op_abort(p->list_op);
    for (size_t i = 0; i < p->n_shards; i++) {
        pshard *s = p->shards[i];
        while (s->q_head) {
            krec *k = s->q_head;
            s->q_head = k->next;
            fail_krec(p, k, s->id, e);
        }
        while (s->agg_head) {
            urec *u = s->agg_head;
            s->agg_head = u->next;
            finish_user(p, u, s->id, NULL, 0, 0, e, 0);
        }
        kc_agg_free(s->agg);
        free(s->id);
        free(s);
    }
    while (p->un_head) {
        urec *u = p->un_head;
        p->un_head = u->next;
        finish_user(p, u, NULL, NULL, 0, 0, e, 0);
    }
    kinesis_error_free(e);
    kinesis_error_free(p->map_error);
    kinesis_shard_list_free(p->list_acc);
    free(p->shards);
    free(p->open);
    free(p->stream);
    free(p);
}
