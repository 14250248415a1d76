/* subscribe.c: SubscribeToShard steps (see subscribe.h). Events arrive through libkinesis's
 * callbacks whenever the thread's client runs (also during the blocking calls of later steps), so
 * each subscription keeps what arrived since its last read; a read drives the client until its
 * condition holds. */
#include "subscribe.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "exec.h"
#include "vars.h"

typedef struct sub {
    char *name;
    kinesis_subscription *handle;
    json_t *events; /* events received and not yet read */
    int ended;      /* on_end: the service closed the stream */
    int failed;     /* on_error */
    int status;
    char *error_name, *error_message;
    struct sub *next;
} sub;

struct cf_subs {
    sub *list;
};

cf_subs *cf_subs_new(void)
{
    return calloc(1, sizeof(cf_subs));
}

static void sub_free(sub *x)
{
    kinesis_subscription_free(x->handle); /* cancels: no callback after this */
    json_decref(x->events);
    free(x->name);
    free(x->error_name);
    free(x->error_message);
    free(x);
}

void cf_subs_free(cf_subs *s)
{
    if (!s)
        return;
    while (s->list) {
        sub *n = s->list->next;
        sub_free(s->list);
        s->list = n;
    }
    free(s);
}

static char *b64(const uint8_t *p, size_t n)
{
    char *out = malloc(4 * ((n + 2) / 3) + 1);
    if (out)
        EVP_EncodeBlock((unsigned char *)out, p, (int)n);
    return out;
}

/* One SubscribeToShardEvent as the JSON the model describes. */
static json_t *event_json(const kinesis_subscribe_event *e)
{
    json_t *ev = json_object(), *recs = json_array();
    for (size_t k = 0; k < e->count; k++) {
        const kinesis_read_record *r = &e->records[k];
        char *data = b64(r->data, r->data_len);
        json_t *jr =
            json_pack("{sssssssf}", "SequenceNumber", r->sequence_number ? r->sequence_number : "", "Data",
                      data ? data : "", "PartitionKey", r->partition_key ? r->partition_key : "",
                      "ApproximateArrivalTimestamp", (double)r->arrival_ms / 1000.0);
        if (r->encryption_type == KINESIS_ENCRYPTION_KMS)
            json_object_set_new(jr, "EncryptionType", json_string("KMS"));
        free(data);
        json_array_append_new(recs, jr);
    }
    json_object_set_new(ev, "Records", recs);
    if (e->continuation_sequence_number)
        json_object_set_new(ev, "ContinuationSequenceNumber", json_string(e->continuation_sequence_number));
    json_object_set_new(ev, "MillisBehindLatest", json_integer(e->millis_behind_latest));
    if (e->n_child_shards) {
        json_t *cs = json_array();
        for (size_t k = 0; k < e->n_child_shards; k++) {
            const kinesis_child_shard *c = &e->child_shards[k];
            json_t *parents = json_array();
            for (size_t p = 0; p < c->n_parent_shards; p++)
                json_array_append_new(parents, json_string(c->parent_shards[p]));
            json_array_append_new(cs,
                                  json_pack("{sssos{ssss}}", "ShardId", c->shard_id ? c->shard_id : "",
                                            "ParentShards", parents, "HashKeyRange", "StartingHashKey",
                                            c->starting_hash_key ? c->starting_hash_key : "", "EndingHashKey",
                                            c->ending_hash_key ? c->ending_hash_key : ""));
        }
        json_object_set_new(ev, "ChildShards", cs);
    }
    return ev;
}

static void on_event(kinesis_subscribe_event *e, void *user)
{
    sub *x = user;
    json_array_append_new(x->events, event_json(e));
    kinesis_subscribe_event_free(e);
}

static void on_error(kinesis_error *err, void *user)
{
    sub *x = user;
    x->failed = 1;
    x->status = err && err->http_status ? err->http_status : 400;
    const char *name = err && err->name ? err->name : err ? kinesis_error_type_name(err->type) : "error";
    const char *hash = strrchr(name, '#');
    x->error_name = strdup(hash ? hash + 1 : name);
    x->error_message = err && err->message ? strdup(err->message) : NULL;
    kinesis_error_free(err);
}

static void on_end(void *user)
{
    ((sub *)user)->ended = 1;
}

int cf_subs_until_valid(const json_t *until)
{
    if (!until || (json_is_string(until) && !strcmp(json_string_value(until), "end")))
        return 0;
    if (!json_is_object(until) || json_object_size(until) != 1)
        return -1;
    const json_t *n = json_object_get(until, "events");
    if (!n)
        n = json_object_get(until, "records");
    return json_is_integer(n) && json_integer_value(n) >= 1 ? 0 : -1;
}

static sub *find(cf_subs *s, const char *name)
{
    for (sub *x = s->list; x; x = x->next)
        if (!strcmp(x->name, name))
            return x;
    return NULL;
}

/* The condition holds for what this read has seen so far. */
static int reached(const sub *x, const json_t *until, size_t first)
{
    if (x->ended || x->failed)
        return 1;
    size_t n = json_array_size(x->events);
    if (!until)
        return n > first;
    if (json_is_string(until))
        return 0; /* "end": only the end (above) */
    const json_t *ev = json_object_get(until, "events");
    if (ev)
        return (json_int_t)(n - first) >= json_integer_value(ev);
    json_int_t want = json_integer_value(json_object_get(until, "records")), got = 0;
    for (size_t k = first; k < n; k++)
        got += (json_int_t)json_array_size(json_object_get(json_array_get(x->events, k), "Records"));
    return got >= want;
}

int cf_subs_read(cf_subs *s, kinesis_client *client, const char *name, const json_t *until, int64_t wait_ms,
                 cf_response *out, char *err, size_t err_len)
{
    memset(out, 0, sizeof *out);
    sub *x = find(s, name);
    if (!x) {
        cf_fmt(err, err_len, "no subscription named '%s' (start it with a subscribe step)", name);
        return -1;
    }
    /* events that arrived since the last read (during other steps) count for this one */
    int64_t until_ms = cf_now_ms() + wait_ms;
    while (!reached(x, until, 0) && cf_now_ms() < until_ms) {
        int64_t left = until_ms - cf_now_ms();
        kinesis_client_run(client, (int)(left < 200 ? left : 200));
    }
    json_t *events = x->events, *records = json_array();
    x->events = json_array();
    size_t k;
    json_t *ev;
    json_array_foreach(events, k, ev)
    {
        size_t j;
        json_t *r;
        json_array_foreach(json_object_get(ev, "Records"), j, r) json_array_append(records, r);
    }
    out->body = json_pack("{sososb}", "Events", events, "Records", records, "Ended", x->ended);
    if (x->failed) {
        out->status = x->status;
        out->error_name = x->error_name ? strdup(x->error_name) : NULL;
        out->error_message = x->error_message ? strdup(x->error_message) : NULL;
    } else {
        out->status = 200;
    }
    out->raw_body = json_dumps(out->body, JSON_COMPACT);
    return 0;
}

int cf_subs_start(cf_subs *s, kinesis_client *client, const char *name, const json_t *body,
                  const json_t *until, int64_t wait_ms, cf_response *out, char *err, size_t err_len)
{
    memset(out, 0, sizeof *out);
    const json_t *pos = json_object_get(body, "StartingPosition");
    const char *arn = json_string_value(json_object_get(body, "ConsumerARN"));
    const char *shard = json_string_value(json_object_get(body, "ShardId"));
    kinesis_starting_position sp = {0};
    if (!arn || !shard || !json_is_object(pos) ||
        kinesis_iterator_type_parse(json_string_value(json_object_get(pos, "Type")), &sp.type) != 0) {
        cf_fmt(err, err_len,
               "subscribe needs body.ConsumerARN, body.ShardId and body.StartingPosition.Type (a "
               "ShardIteratorType)");
        return -1;
    }
    sp.sequence_number = json_string_value(json_object_get(pos, "SequenceNumber"));
    const json_t *ts = json_object_get(pos, "Timestamp");
    if (ts)
        sp.timestamp_ms = (int64_t)(json_number_value(ts) * 1000.0 + 0.5);
    sub *old = find(s, name);
    if (old) {
        sub **p = &s->list;
        while (*p != old)
            p = &(*p)->next;
        *p = old->next;
        sub_free(old);
    }
    sub *x = calloc(1, sizeof *x);
    if (!x || !(x->name = strdup(name)) || !(x->events = json_array())) {
        if (x)
            free(x->name);
        free(x);
        cf_fmt(err, err_len, "out of memory");
        return -1;
    }
    kinesis_subscribe_callbacks cb = {
        .on_event = on_event, .on_error = on_error, .on_end = on_end, .user = x};
    x->handle = kinesis_subscribe_to_shard(client, arn, shard, &sp, &cb);
    if (!x->handle) {
        sub_free(x);
        cf_fmt(err, err_len, "kinesis_subscribe_to_shard queued nothing");
        return -1;
    }
    x->next = s->list;
    s->list = x;
    return cf_subs_read(s, client, name, until, wait_ms, out, err, err_len);
}
