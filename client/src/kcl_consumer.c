/* kcl_consumer.c: kinesis_consumer, a consumer in the manner of the KCL for one process
 * (kinesis.h has the contract). It runs inside kinesis_client_run() as engine ops (internal.h):
 *   - one "sync" op: ListShards (all pages), then a timer until the next sync; new shards join
 *     the shard table with their parents;
 *   - per shard being read, one op that alternates GetShardIterator / GetRecords / a timer
 *     (polling), or a timer plus a kinesis_subscription (enhanced fan-out).
 * A shard is read once every parent in the table is finished (both parents of a merge). Each
 * answer's records are de-aggregated (aggregation.c) and handed to on_records as one batch; the
 * position after the batch is kept so an expired iterator or an ended subscription resumes there.
 * Checkpoints go to the store when the application asks; a shard read to its end whose last batch
 * was checkpointed is saved as SHARD_END. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "internal.h"

enum { SH_WAITING = 0, SH_READING = 1, SH_FINISHED = 2, SH_FAILED = 3 };
enum { PH_NONE = 0, PH_ITER, PH_RECORDS, PH_WAIT_RECORDS, PH_WAIT_ITER, PH_WAIT_SUBSCRIBE };

typedef struct cshard {
    kinesis_consumer *c;
    char *id;
    char *parents[2];
    int state;
    int phase;
    kc_op *op;
    char *iterator;
    /* where to (re)start: type and sequence number, plus sub-records to skip in that record */
    kinesis_iterator_type start_type;
    char *start_seq;
    char *skip_seq;
    uint64_t skip_sub;
    /* last record delivered (a batch always ends on a whole Kinesis record) */
    char *last_seq;
    int dirty; /* delivered records not covered by a checkpoint */
    int64_t last_call_ms;
    /* fan-out */
    kinesis_subscription *sub;
    int64_t sub_started_ms;
    int sub_ended_shard; /* the last event said the shard is closed and read */
} cshard;

struct kinesis_consumer {
    kinesis_client *client;
    char *stream;
    kinesis_consumer_options o;
    kinesis_consumer_callbacks cb;
    kinesis_checkpoint_store *store;
    char *consumer_arn;
    char *consumer_name;
    cshard **sh;
    size_t n, cap;
    kc_op *sync_op;
    int sync_phase; /* 0 timer, 1 listing */
    int synced_once;
    kinesis_shard_list *acc;
    int started;
};

static int64_t now_ms(kinesis_consumer *c)
{
    return c->client->now(c->client->time_user);
}

static void report(kinesis_consumer *c, const char *shard, kinesis_error *err)
{
    if (c->cb.on_error)
        c->cb.on_error(shard, err, c->cb.user);
    else
        kinesis_error_free(err);
}

static cshard *find(kinesis_consumer *c, const char *id)
{
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->sh[i]->id, id) == 0)
            return c->sh[i];
    return NULL;
}

static void set_str(char **dst, const char *v)
{
    char *n = v ? kc_strdup(v) : NULL;
    free(*dst);
    *dst = n;
}

/* ------------------------------------------------------------------ checkpoints */

static int save(kinesis_consumer *c, const char *shard, const char *seq, uint64_t sub, int whole)
{
    if (!c->store || !c->store->save)
        return 0;
    if (c->store->save(c->store->self, c->stream, shard, seq, sub, whole) == 0)
        return 0;
    report(c, shard,
           kc_err(KINESIS_ERROR_LIBRARY, KINESIS_ERR_CONFIGURATION, 0, "saving the checkpoint of %s failed",
                  shard));
    return -1;
}

int kinesis_consumer_checkpoint_at(kinesis_consumer *c, const char *shard_id, const char *seq, uint64_t sub,
                                   int whole)
{
    if (!c || !shard_id || !seq)
        return -1;
    cshard *s = find(c, shard_id);
    if (s && s->last_seq && whole && strcmp(seq, s->last_seq) == 0) {
        s->dirty = 0;
        if (s->state == SH_FINISHED) /* everything of the closed shard is done */
            return save(c, shard_id, KINESIS_CHECKPOINT_SHARD_END, 0, 1);
    }
    return save(c, shard_id, seq, sub, whole);
}

int kinesis_consumer_checkpoint(const kinesis_consumer_batch *b)
{
    if (!b || !b->consumer || !b->shard_id)
        return -1;
    if (!b->count)
        return 0;
    const kinesis_user_record *last = &b->records[b->count - 1];
    return kinesis_consumer_checkpoint_at(b->consumer, b->shard_id, last->sequence_number,
                                          last->sub_sequence_number, 1);
}

/* ------------------------------------------------------------------ the shard table */

static void start_ready(kinesis_consumer *c);

static void shard_op_free(void *ctx)
{
    cshard *s = ctx;
    if (s)
        s->op = NULL;
}

static void shard_free(cshard *s)
{
    if (!s)
        return;
    if (s->op) {
        s->op->ctx = NULL;
        kc_op_abort(s->op);
    }
    kinesis_subscription_free(s->sub);
    free(s->id);
    free(s->parents[0]);
    free(s->parents[1]);
    free(s->iterator);
    free(s->start_seq);
    free(s->skip_seq);
    free(s->last_seq);
    free(s);
}

/* Add a shard (known or not); its start comes from the store, or the initial position (shards of
 * the first sync) or TRIM_HORIZON (shards that appear later: children read after their parents). */
static cshard *add_shard(kinesis_consumer *c, const char *id, const char *p1, const char *p2,
                         int closed_at_start)
{
    cshard *s = find(c, id);
    if (s)
        return s;
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 16;
        cshard **ns = realloc(c->sh, cap * sizeof *ns);
        if (!ns)
            return NULL;
        c->sh = ns;
        c->cap = cap;
    }
    s = calloc(1, sizeof *s);
    if (!s || !(s->id = kc_strdup(id))) {
        free(s);
        return NULL;
    }
    s->c = c;
    s->parents[0] = p1 && *p1 ? kc_strdup(p1) : NULL;
    s->parents[1] = p2 && *p2 ? kc_strdup(p2) : NULL;
    c->sh[c->n++] = s;
    char *seq = NULL;
    uint64_t sub = 0;
    int whole = 0;
    if (c->store && c->store->load && c->store->load(c->store->self, c->stream, id, &seq, &sub, &whole) != 0)
        report(c, id,
               kc_err(KINESIS_ERROR_LIBRARY, KINESIS_ERR_CONFIGURATION, 0,
                      "loading the checkpoint of %s failed", id));
    if (seq && strcmp(seq, KINESIS_CHECKPOINT_SHARD_END) == 0) {
        s->state = SH_FINISHED;
    } else if (seq) {
        s->start_seq = kc_strdup(seq);
        if (whole) {
            s->start_type = KINESIS_ITERATOR_AFTER_SEQUENCE_NUMBER;
        } else { /* inside an aggregated record: read it again, skipping what was done */
            s->start_type = KINESIS_ITERATOR_AT_SEQUENCE_NUMBER;
            s->skip_seq = kc_strdup(seq);
            s->skip_sub = sub;
        }
        s->last_seq = kc_strdup(seq);
    } else if (!c->synced_once) {
        s->start_type = c->o.initial_position;
        if (c->o.initial_position == KINESIS_ITERATOR_LATEST && closed_at_start)
            s->state = SH_FINISHED; /* LATEST: nothing of an already closed shard */
    } else {
        s->start_type = KINESIS_ITERATOR_TRIM_HORIZON;
    }
    free(seq);
    return s;
}

static int parents_done(kinesis_consumer *c, cshard *s)
{
    for (int i = 0; i < 2; i++) {
        if (!s->parents[i])
            continue;
        cshard *p = find(c, s->parents[i]);
        if (p && p->state != SH_FINISHED)
            return 0;
    }
    return 1;
}

/* ------------------------------------------------------------------ delivery */

/* De-aggregate records and hand them to on_records as one batch. Returns 0, or -1 on a record that
 * cannot be de-aggregated (reported). */
static int deliver(cshard *s, kinesis_read_record *recs, size_t n, int64_t behind)
{
    kinesis_consumer *c = s->c;
    kinesis_user_record *all = NULL;
    size_t count = 0, cap = 0;
    const char *last = NULL;
    for (size_t i = 0; i < n; i++) {
        kinesis_user_record *u = NULL;
        size_t un = 0;
        kinesis_error *err = kinesis_deaggregate(&recs[i], &u, &un);
        if (err) {
            kinesis_user_records_free(all, count);
            report(c, s->id, err);
            return -1;
        }
        last = recs[i].sequence_number;
        size_t from = 0;
        if (s->skip_seq) {
            if (recs[i].sequence_number && strcmp(recs[i].sequence_number, s->skip_seq) == 0)
                while (from < un && u[from].sub_sequence_number <= s->skip_sub)
                    from++;
            free(s->skip_seq);
            s->skip_seq = NULL;
        }
        if (count + (un - from) > cap) {
            size_t nc = cap ? cap : 64;
            while (nc < count + (un - from))
                nc *= 2;
            kinesis_user_record *na = realloc(all, nc * sizeof *na);
            if (!na) {
                kinesis_user_records_free(u, un);
                kinesis_user_records_free(all, count);
                report(c, s->id, kc_err_nomem());
                return -1;
            }
            all = na;
            cap = nc;
        }
        for (size_t j = 0; j < un; j++) {
            if (j >= from)
                all[count++] = u[j];
            else {
                free(u[j].data);
                free(u[j].partition_key);
                free(u[j].explicit_hash_key);
                free(u[j].sequence_number);
            }
        }
        free(u);
    }
    if (last) {
        set_str(&s->last_seq, last);
        s->dirty = 1;
    }
    if (count) {
        kinesis_consumer_batch b = {s->id, all, count, behind, c};
        c->cb.on_records(&b, c->cb.user);
    } else if (last) {
        s->dirty = 0; /* only sub-records already done: nothing new to checkpoint */
    }
    kinesis_user_records_free(all, count);
    return 0;
}

static void sync_now(kinesis_consumer *c);

/* The shard was read to its end. */
static void shard_finished(cshard *s, kinesis_child_shard *children, size_t n_children)
{
    kinesis_consumer *c = s->c;
    s->state = SH_FINISHED;
    s->phase = PH_NONE;
    if (!s->dirty)
        save(c, s->id, KINESIS_CHECKPOINT_SHARD_END, 0, 1);
    for (size_t i = 0; i < n_children; i++) {
        kinesis_child_shard *ch = &children[i];
        add_shard(c, ch->shard_id, ch->n_parent_shards > 0 ? ch->parent_shards[0] : NULL,
                  ch->n_parent_shards > 1 ? ch->parent_shards[1] : NULL, 0);
    }
    if (c->cb.on_shard_end)
        c->cb.on_shard_end(s->id, c->cb.user);
    sync_now(c);
    start_ready(c);
}

/* ------------------------------------------------------------------ polling */

static char *iterator_body(cshard *s, kinesis_error **err)
{
    kinesis_consumer *c = s->c;
    kinesis_iterator_options io = {0};
    kinesis_iterator_type t = s->start_type;
    if (s->last_seq && !s->skip_seq) { /* resume after what was delivered */
        t = KINESIS_ITERATOR_AFTER_SEQUENCE_NUMBER;
        io.starting_sequence_number = s->last_seq;
    } else if (t == KINESIS_ITERATOR_AT_SEQUENCE_NUMBER || t == KINESIS_ITERATOR_AFTER_SEQUENCE_NUMBER) {
        io.starting_sequence_number = s->start_seq;
    } else if (t == KINESIS_ITERATOR_AT_TIMESTAMP) {
        io.timestamp_ms = c->o.initial_timestamp_ms;
    }
    return kc_build_get_shard_iterator(c->stream, s->id, t, &io, err);
}

static void send_iterator(cshard *s, kc_op *op, int64_t delay)
{
    kinesis_error *err = NULL;
    char *body = iterator_body(s, &err);
    if (!body) {
        s->state = SH_FAILED;
        kc_op_finish(op);
        report(s->c, s->id, err);
        return;
    }
    s->phase = PH_ITER;
    kc_op_send(op, "GetShardIterator", body, delay);
    free(body);
}

static void send_records(cshard *s, kc_op *op)
{
    kinesis_error *err = NULL;
    char *body = kc_build_get_records(s->iterator, s->c->o.max_records, &err);
    if (!body) {
        s->state = SH_FAILED;
        kc_op_finish(op);
        report(s->c, s->id, err);
        return;
    }
    s->phase = PH_RECORDS;
    s->last_call_ms = now_ms(s->c);
    kc_op_send(op, "GetRecords", body, 0);
    free(body);
}

static void poll_step(kc_op *op, kinesis_error *err, kc_answer *ans)
{
    cshard *s = op->ctx;
    if (!s) {
        kinesis_error_free(err);
        kc_op_finish(op);
        return;
    }
    kinesis_consumer *c = s->c;
    switch (s->phase) {
    case PH_WAIT_ITER:
        send_iterator(s, op, 0);
        return;
    case PH_WAIT_RECORDS:
        send_records(s, op);
        return;
    case PH_ITER: {
        char *it = NULL;
        if (!err) {
            err = kc_parse_get_shard_iterator(ans->body, ans->body_len, &it);
            kc_annotate(err, ans);
        }
        if (err) {
            if (kinesis_is_retryable(err->name, err->http_status)) { /* after the client's own retries */
                kinesis_error_free(err);
                s->phase = PH_WAIT_ITER;
                kc_op_timer(op, c->o.idle_interval_ms);
                return;
            }
            s->state = SH_FAILED;
            kc_op_finish(op);
            report(c, s->id, err);
            return;
        }
        free(s->iterator);
        s->iterator = it;
        int64_t wait = s->last_call_ms + c->o.poll_interval_ms - now_ms(c);
        if (wait > 0) {
            s->phase = PH_WAIT_RECORDS;
            kc_op_timer(op, wait);
        } else {
            send_records(s, op);
        }
        return;
    }
    case PH_RECORDS: {
        kinesis_get_records_result *r = NULL;
        if (!err) {
            err = kc_parse_get_records(ans->body, ans->body_len, &r);
            kc_annotate(err, ans);
        }
        if (err) {
            if (strcmp(err->name, "ExpiredIteratorException") == 0) { /* renew from the last position */
                kinesis_error_free(err);
                send_iterator(s, op, 0);
                return;
            }
            if (kinesis_is_retryable(err->name, err->http_status)) {
                kinesis_error_free(err);
                s->phase = PH_WAIT_RECORDS;
                kc_op_timer(op, c->o.idle_interval_ms);
                return;
            }
            s->state = SH_FAILED;
            kc_op_finish(op);
            report(c, s->id, err);
            return;
        }
        /* From here on the user's callback runs: keep the op alive across it (no abort of it there). */
        int bad = deliver(s, r->records, r->count, r->millis_behind_latest);
        if (bad) {
            s->state = SH_FAILED;
            kc_op_finish(op);
        } else if (!r->next_shard_iterator) {
            kc_op_finish(op);
            shard_finished(s, r->child_shards, r->n_child_shards);
        } else {
            free(s->iterator);
            s->iterator = r->next_shard_iterator;
            r->next_shard_iterator = NULL;
            int64_t gap = r->count ? c->o.poll_interval_ms : c->o.idle_interval_ms;
            int64_t wait = s->last_call_ms + gap - now_ms(c);
            s->phase = PH_WAIT_RECORDS;
            kc_op_timer(op, wait > 0 ? wait : 0);
        }
        kinesis_get_records_result_free(r);
        return;
    }
    default:
        kinesis_error_free(err);
        kc_op_finish(op);
        return;
    }
}

/* ------------------------------------------------------------------ enhanced fan-out */

static void subscribe(cshard *s);

static void sub_event(kinesis_subscribe_event *ev, void *user)
{
    cshard *s = user;
    kinesis_consumer *c = s->c;
    if (deliver(s, ev->records, ev->count, ev->millis_behind_latest) != 0) {
        s->state = SH_FAILED;
        kinesis_subscription_cancel(s->sub);
        kinesis_subscribe_event_free(ev);
        return;
    }
    if (ev->continuation_sequence_number) {
        /* resume from here: the records up to it are delivered */
        set_str(&s->start_seq, ev->continuation_sequence_number);
        s->start_type = KINESIS_ITERATOR_AFTER_SEQUENCE_NUMBER;
    } else {
        s->sub_ended_shard = 1;
        kinesis_subscription_cancel(s->sub);
        kc_op_timer(s->op, 0);
        s->phase = PH_NONE;
        shard_finished(s, ev->child_shards, ev->n_child_shards);
        kinesis_subscribe_event_free(ev);
        return;
    }
    kinesis_subscribe_event_free(ev);
    if (now_ms(c) - s->sub_started_ms >= c->o.subscription_renew_ms) { /* renew now */
        kinesis_subscription_cancel(s->sub);
        s->phase = PH_WAIT_SUBSCRIBE;
        kc_op_timer(s->op, 0);
    }
}

static void sub_error(kinesis_error *err, void *user)
{
    cshard *s = user;
    kinesis_consumer *c = s->c;
    int retry = kinesis_is_retryable(err->name, err->http_status) ||
                strcmp(err->name, "ResourceInUseException") == 0; /* a newer subscription took the shard */
    if (!retry) {
        s->state = SH_FAILED;
        report(c, s->id, err);
        return;
    }
    kinesis_error_free(err);
    s->phase = PH_WAIT_SUBSCRIBE;
    kc_op_timer(s->op, c->o.idle_interval_ms);
}

static void sub_end(void *user)
{
    cshard *s = user; /* the 5-minute lifetime is over: go on from the continuation */
    s->phase = PH_WAIT_SUBSCRIBE;
    kc_op_timer(s->op, 0);
}

static void fanout_step(kc_op *op, kinesis_error *err, kc_answer *ans)
{
    (void)ans;
    kinesis_error_free(err);
    cshard *s = op->ctx;
    if (!s || s->state != SH_READING) {
        kc_op_finish(op);
        return;
    }
    if (s->phase == PH_WAIT_SUBSCRIBE)
        subscribe(s);
    if (s->state == SH_READING)
        kc_op_timer(op, 3600 * 1000); /* a holder: the subscription's callbacks re-arm it */
    else
        kc_op_finish(op);
}

static void subscribe(cshard *s)
{
    kinesis_consumer *c = s->c;
    kinesis_subscription_free(s->sub);
    s->sub = NULL;
    kinesis_starting_position pos = {0};
    pos.type = s->start_type;
    if (s->last_seq && !s->skip_seq && s->start_type != KINESIS_ITERATOR_AFTER_SEQUENCE_NUMBER) {
        pos.type = KINESIS_ITERATOR_AFTER_SEQUENCE_NUMBER;
        pos.sequence_number = s->last_seq;
    } else if (pos.type == KINESIS_ITERATOR_AT_SEQUENCE_NUMBER ||
               pos.type == KINESIS_ITERATOR_AFTER_SEQUENCE_NUMBER) {
        pos.sequence_number = s->start_seq;
    } else if (pos.type == KINESIS_ITERATOR_AT_TIMESTAMP) {
        pos.timestamp_ms = c->o.initial_timestamp_ms;
    }
    kinesis_subscribe_callbacks cb = {sub_event, sub_error, sub_end, s};
    s->phase = PH_NONE;
    s->sub_started_ms = now_ms(c);
    s->sub = kinesis_subscribe_to_shard(c->client, c->consumer_arn, s->id, &pos, &cb);
    if (!s->sub) {
        s->phase = PH_WAIT_SUBSCRIBE;
        kc_op_timer(s->op, c->o.idle_interval_ms);
    }
}

/* ------------------------------------------------------------------ starting shards */

static void start_shard(cshard *s)
{
    kinesis_consumer *c = s->c;
    s->state = SH_READING;
    int fan = c->o.mode == KINESIS_CONSUMER_FANOUT;
    s->op = kc_op_new(c->client, fan ? fanout_step : poll_step, s, shard_op_free);
    if (!s->op) {
        s->state = SH_WAITING; /* out of memory: the next sync tries again */
        return;
    }
    if (fan) {
        s->phase = PH_WAIT_SUBSCRIBE;
        kc_op_timer(s->op, 0);
    } else {
        s->phase = PH_WAIT_ITER;
        kc_op_timer(s->op, 0);
    }
}

static void start_ready(kinesis_consumer *c)
{
    if (!c->started)
        return;
    for (size_t i = 0; i < c->n; i++) {
        cshard *s = c->sh[i];
        if (s->state == SH_WAITING && parents_done(c, s))
            start_shard(s);
    }
}

/* ------------------------------------------------------------------ shard sync */

static void sync_op_free(void *ctx)
{
    kinesis_consumer *c = ctx;
    if (c)
        c->sync_op = NULL;
}

static void sync_step(kc_op *op, kinesis_error *err, kc_answer *ans)
{
    kinesis_consumer *c = op->ctx;
    if (c->sync_phase == 0) { /* the timer: list again */
        kinesis_error_free(err);
        kinesis_error *berr = NULL;
        char *body = kc_build_list_shards(c->stream, NULL, &berr);
        if (!body) {
            report(c, NULL, berr);
            kc_op_timer(op, c->o.shard_sync_ms);
            return;
        }
        c->sync_phase = 1;
        kc_op_send(op, "ListShards", body, 0);
        free(body);
        return;
    }
    char *next = NULL;
    if (!err) {
        if (!c->acc && !(c->acc = calloc(1, sizeof *c->acc)))
            err = kc_err_nomem();
        else
            err = kc_parse_list_shards(ans->body, ans->body_len, c->acc, &next);
        kc_annotate(err, ans);
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
    if (err) {
        if (!kinesis_is_retryable(err->name, err->http_status))
            report(c, NULL, err);
        else
            kinesis_error_free(err);
    } else {
        for (size_t i = 0; i < c->acc->count; i++) {
            kinesis_shard *sh = &c->acc->shards[i];
            add_shard(c, sh->shard_id, sh->parent_shard_id, sh->adjacent_parent_shard_id,
                      sh->ending_sequence_number != NULL);
        }
        c->synced_once = 1;
    }
    kinesis_shard_list_free(c->acc);
    c->acc = NULL;
    c->sync_phase = 0;
    kc_op_timer(op, c->o.shard_sync_ms);
    start_ready(c);
}

/* Sync soon (a shard ended: its children are listed now). */
static void sync_now(kinesis_consumer *c)
{
    if (c->sync_op && c->sync_phase == 0)
        kc_op_timer(c->sync_op, 0);
}

/* ------------------------------------------------------------------ public */

kinesis_consumer *kinesis_consumer_new(kinesis_client *client, const char *stream_name,
                                       const kinesis_consumer_options *opts,
                                       const kinesis_consumer_callbacks *cb, kinesis_error **err)
{
    if (err)
        *err = NULL;
    kinesis_error *e = NULL;
    if (!client || !stream_name || !*stream_name || !cb || !cb->on_records)
        e = kc_err(KINESIS_ERROR_LIBRARY, KINESIS_ERR_INVALID_PARAMETER, 0,
                   "Non empty argument required: client, stream_name and callbacks.on_records");
    else if (opts && opts->mode == KINESIS_CONSUMER_FANOUT && !opts->consumer_arn && !opts->consumer_name)
        e = kc_err(KINESIS_ERROR_LIBRARY, KINESIS_ERR_INVALID_PARAMETER, 0,
                   "Non empty argument required: consumer_name or consumer_arn (enhanced fan-out)");
    else if (opts &&
             (opts->initial_position == KINESIS_ITERATOR_AFTER_SEQUENCE_NUMBER ||
              (opts->initial_position == KINESIS_ITERATOR_AT_TIMESTAMP && opts->initial_timestamp_ms < 0)))
        e = kc_err(KINESIS_ERROR_LIBRARY, KINESIS_ERR_INVALID_PARAMETER, 0,
                   "Wrong type of argument: initial_position (TRIM_HORIZON, LATEST or AT_TIMESTAMP with a "
                   "time >= 0)");
    kinesis_consumer *c = e ? NULL : calloc(1, sizeof *c);
    if (!e && !c)
        e = kc_err_nomem();
    if (c) {
        c->client = client;
        c->cb = *cb;
        if (opts)
            c->o = *opts;
        kinesis_consumer_options *o = &c->o;
        if (o->initial_position == KINESIS_ITERATOR_AT_SEQUENCE_NUMBER) /* zero: the default */
            o->initial_position = KINESIS_ITERATOR_TRIM_HORIZON;
        if (o->max_records <= 0 || o->max_records > 10000)
            o->max_records = 10000;
        if (o->poll_interval_ms < 200)
            o->poll_interval_ms = 200;
        if (o->idle_interval_ms <= 0)
            o->idle_interval_ms = 1000;
        if (o->shard_sync_ms <= 0)
            o->shard_sync_ms = 10000;
        if (o->subscription_renew_ms <= 0)
            o->subscription_renew_ms = 300000;
        c->store = o->checkpoints;
        o->checkpoints = NULL;
        o->consumer_name = NULL; /* borrowed strings: copied where kept */
        o->consumer_arn = NULL;
        c->stream = kc_strdup(stream_name);
        if (opts && opts->consumer_arn)
            c->consumer_arn = kc_strdup(opts->consumer_arn);
        if (opts && opts->consumer_name)
            c->consumer_name = kc_strdup(opts->consumer_name);
        if (!c->stream || (opts && opts->consumer_arn && !c->consumer_arn) ||
            (opts && opts->consumer_name && !c->consumer_name)) {
            e = kc_err_nomem();
            free(c->stream);
            free(c->consumer_arn);
            free(c->consumer_name);
            free(c);
            c = NULL;
        }
    }
    if (!c && opts && opts->checkpoints) /* the consumer owns the store, even when it fails */
        kinesis_checkpoint_store_free(opts->checkpoints);
    if (e) {
        if (err)
            *err = e;
        else
            kinesis_error_free(e);
    }
    return c;
}

/* FANOUT: the consumer's ARN, registering it when needed (blocking). */
static kinesis_error *ensure_consumer(kinesis_consumer *c, const char *name)
{
    kinesis_stream_summary *sum = NULL;
    kinesis_error *err = kinesis_describe_stream_summary(c->client, c->stream, &sum);
    if (err)
        return err;
    char *arn = NULL;
    err = kinesis_register_stream_consumer(c->client, sum->stream_arn, name, &arn);
    if (err && strcmp(err->name, "ResourceInUseException") == 0) { /* registered already: look it up */
        kinesis_error_free(err);
        json_t *in = json_pack("{s:s, s:s}", "StreamARN", sum->stream_arn, "ConsumerName", name);
        char *body = in ? json_dumps(in, JSON_COMPACT) : NULL;
        json_decref(in);
        char *resp = NULL;
        err = body ? kinesis_call(c->client, "DescribeStreamConsumer", body, &resp) : kc_err_nomem();
        free(body);
        if (!err) {
            json_t *j = json_loads(resp, 0, NULL);
            const char *a =
                json_string_value(json_object_get(json_object_get(j, "ConsumerDescription"), "ConsumerARN"));
            if (a)
                arn = kc_strdup(a);
            else
                err = kc_err(KINESIS_ERROR_UNEXPECTED_RESPONSE, KINESIS_ERR_MALFORMED, 200,
                             "DescribeStreamConsumer answer lacks ConsumerDescription.ConsumerARN");
            json_decref(j);
        }
        free(resp);
    }
    kinesis_stream_summary_free(sum);
    if (!err)
        err = kinesis_wait_for_consumer_active(c->client, arn, 60000, 200);
    if (err) {
        free(arn);
        return err;
    }
    free(c->consumer_arn);
    c->consumer_arn = arn;
    return NULL;
}

kinesis_error *kinesis_consumer_start(kinesis_consumer *c)
{
    if (!c)
        return kc_err(KINESIS_ERROR_LIBRARY, KINESIS_ERR_INVALID_PARAMETER, 0,
                      "Non empty argument required: consumer");
    if (c->started)
        return kc_err(KINESIS_ERROR_LIBRARY, KINESIS_ERR_INVALID_PARAMETER, 0,
                      "the consumer was started already");
    if (c->o.mode == KINESIS_CONSUMER_FANOUT && !c->consumer_arn) {
        kinesis_error *err = ensure_consumer(c, c->consumer_name);
        if (err)
            return err;
    }
    c->sync_op = kc_op_new(c->client, sync_step, c, sync_op_free);
    if (!c->sync_op)
        return kc_err_nomem();
    c->started = 1;
    c->sync_phase = 0;
    kc_op_timer(c->sync_op, 0);
    return NULL;
}

void kinesis_consumer_shard_counts(const kinesis_consumer *c, size_t *reading, size_t *waiting,
                                   size_t *finished)
{
    size_t r = 0, w = 0, f = 0;
    for (size_t i = 0; c && i < c->n; i++) {
        if (c->sh[i]->state == SH_READING)
            r++;
        else if (c->sh[i]->state == SH_WAITING)
            w++;
        else if (c->sh[i]->state == SH_FINISHED)
            f++;
    }
    if (reading)
        *reading = r;
    if (waiting)
        *waiting = w;
    if (finished)
        *finished = f;
}

const char *kinesis_consumer_arn(const kinesis_consumer *c)
{
    return c ? c->consumer_arn : NULL;
}

void kinesis_consumer_free(kinesis_consumer *c)
{
    if (!c)
        return;
    if (c->sync_op) {
        c->sync_op->ctx = NULL;
        kc_op_abort(c->sync_op);
    }
    for (size_t i = 0; i < c->n; i++)
        shard_free(c->sh[i]);
    free(c->sh);
    kinesis_shard_list_free(c->acc);
    kinesis_checkpoint_store_free(c->store);
    free(c->consumer_arn);
    free(c->consumer_name);
    free(c->stream);
    free(c);
}
