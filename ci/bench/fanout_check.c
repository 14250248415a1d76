/* fanout_check.c: the fan-out load's record ledger, its checks and the SubscribeToShard event
 * reader (see fanout_check.h). No I/O. */
#include "fanout_check.h"

#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shared/eventstream.h"

static const uint8_t magic[2] = {'F', 'O'};

void fo_hdr_b64(uint64_t id, uint64_t send_us, char out[FO_HDR_B64])
{
    uint8_t raw[FO_HDR_RAW];
    raw[0] = magic[0];
    raw[1] = magic[1];
    for (int i = 0; i < 8; i++) {
        raw[2 + i] = (uint8_t)(id >> (56 - 8 * i));
        raw[10 + i] = (uint8_t)(send_us >> (56 - 8 * i));
    }
    unsigned char tmp[FO_HDR_B64 + 1];
    EVP_EncodeBlock(tmp, raw, FO_HDR_RAW);
    memcpy(out, tmp, FO_HDR_B64);
}

int fo_hdr_parse(const char *b64, size_t len, uint64_t *id, uint64_t *send_us)
{
    if (len < FO_HDR_B64)
        return -1;
    unsigned char raw[FO_HDR_RAW + 3];
    if (EVP_DecodeBlock(raw, (const unsigned char *)b64, FO_HDR_B64) != FO_HDR_RAW)
        return -1;
    if (raw[0] != magic[0] || raw[1] != magic[1])
        return -1;
    uint64_t a = 0, t = 0;
    for (int i = 0; i < 8; i++) {
        a = a << 8 | raw[2 + i];
        t = t << 8 | raw[10 + i];
    }
    *id = a;
    *send_us = t;
    return 0;
}

int fo_seq_cmp(const char *a, const char *b)
{
    while (*a == '0' && a[1])
        a++;
    while (*b == '0' && b[1])
        b++;
    size_t la = strlen(a), lb = strlen(b);
    if (la != lb)
        return la < lb ? -1 : 1;
    return strcmp(a, b);
}

/* ---- the ledger ---- */

int fo_ledger_init(fo_ledger *l, int consumers, int shards)
{
    memset(l, 0, sizeof *l);
    if (consumers < 1 || consumers > FO_MAX_CONSUMERS || shards < 1 || shards > FO_MAX_SHARDS)
        return -1;
    l->consumers = consumers;
    l->shards = shards;
    return 0;
}

void fo_ledger_free(fo_ledger *l)
{
    free(l->ack);
    for (int c = 0; c < FO_MAX_CONSUMERS; c++)
        free(l->got[c]);
    memset(l, 0, sizeof *l);
}

static int grow(uint8_t **p, uint64_t old_cap, uint64_t cap)
{
    uint8_t *q = realloc(*p, cap);
    if (!q)
        return -1;
    memset(q + old_cap, 0, cap - old_cap);
    *p = q;
    return 0;
}

int64_t fo_ledger_take(fo_ledger *l, int n)
{
    if (n < 0 || l->n_ids + (uint64_t)n > FO_MAX_IDS)
        return -1;
    if (l->n_ids + (uint64_t)n > l->cap) {
        uint64_t cap = l->cap ? l->cap : 65536;
        while (cap < l->n_ids + (uint64_t)n)
            cap *= 2;
        if (grow(&l->ack, l->cap, cap) != 0)
            return -1;
        for (int c = 0; c < l->consumers; c++)
            if (grow(&l->got[c], l->cap, cap) != 0)
                return -1; /* the arrays grown so far stay valid: cap is only raised below */
        l->cap = cap;
    }
    int64_t first = (int64_t)l->n_ids;
    l->n_ids += (uint64_t)n;
    return first;
}

void fo_ledger_set(fo_ledger *l, uint64_t id, int shard_or_state)
{
    if (id >= l->n_ids)
        return;
    if (shard_or_state >= 0 && shard_or_state < l->shards) {
        l->ack[id] = (uint8_t)(shard_or_state + 1);
        l->acked[shard_or_state]++;
        l->acked_total++;
    } else if (shard_or_state == FO_FAILED || shard_or_state == FO_UNKNOWN) {
        l->ack[id] = (uint8_t)shard_or_state;
    }
}

int fo_ledger_deliver(fo_ledger *l, int consumer, int shard, uint64_t id, const char *seq)
{
    if (consumer < 0 || consumer >= l->consumers || shard < 0 || shard >= l->shards) {
        l->foreign++;
        return FO_DELIVER_FOREIGN;
    }
    l->delivered_total++;
    char *last = l->last_seq[consumer][shard];
    int ordered = !last[0] || fo_seq_cmp(seq, last) > 0;
    if (ordered)
        snprintf(last, FO_SEQ_MAX, "%s", seq);
    if (id >= l->n_ids) {
        l->foreign++;
        return FO_DELIVER_FOREIGN;
    }
    uint8_t *g = &l->got[consumer][id];
    if (*g) {
        *g = FO_GOT_DUP;
        l->dups++;
        return FO_DELIVER_DUP;
    }
    *g = (uint8_t)(shard + 1);
    l->delivered[consumer][shard]++;
    if (!ordered) {
        l->misordered++;
        return FO_DELIVER_MISORDERED;
    }
    return FO_DELIVER_OK;
}

int fo_verify(const fo_ledger *l, fo_report *r)
{
    memset(r, 0, sizeof *r);
    r->foreign = l->foreign;
    r->misordered = l->misordered;
    for (uint64_t id = 0; id < l->n_ids; id++) {
        uint8_t a = l->ack[id];
        int stored = a >= 1 && a <= l->shards;
        if (stored)
            r->acked++;
        else if (a == FO_PENDING || a == FO_UNKNOWN)
            r->uncertain++;
        for (int c = 0; c < l->consumers; c++) {
            uint8_t g = l->got[c][id];
            if (g == FO_GOT_DUP)
                r->duplicated++;
            if (stored) {
                if (g == 0)
                    r->lost++;
                else if (g != FO_GOT_DUP && g != a)
                    r->wrong_shard++;
            } else if (a == FO_FAILED && g != 0) {
                r->not_stored++;
            }
        }
    }
    r->expected = r->acked * l->consumers;
    return r->lost || r->duplicated || r->wrong_shard || r->not_stored || r->foreign || r->misordered;
}

int fo_caught_up(const fo_ledger *l)
{
    for (int c = 0; c < l->consumers; c++)
        for (int s = 0; s < l->shards; s++)
            if (l->delivered[c][s] < l->acked[s])
                return 0;
    /* the counts can include records of unclear requests: look at each acknowledged one */
    for (uint64_t id = 0; id < l->n_ids; id++) {
        uint8_t a = l->ack[id];
        if (a < 1 || a > l->shards)
            continue;
        for (int c = 0; c < l->consumers; c++)
            if (!l->got[c][id])
                return 0;
    }
    return 1;
}

static int shard_slot(char *const *ids, int n, const char *id)
{
    for (int i = 0; id && i < n; i++)
        if (!strcmp(ids[i], id))
            return i;
    return -1;
}

int fo_put_answer(fo_ledger *l, uint64_t first_id, int n, int status, const char *body, size_t len,
                  char *const *shard_ids, int n_shards, long long *acked, long long *failed)
{
    if (status != 200) {
        int state = status >= 400 && status < 500 ? FO_FAILED : FO_UNKNOWN;
        for (int i = 0; i < n; i++)
            fo_ledger_set(l, first_id + (uint64_t)i, state);
        return 0;
    }
    json_t *ans = json_loadb(body ? body : "", len, 0, NULL);
    json_t *recs = json_object_get(ans, "Records");
    int rc = 0;
    if (!json_is_array(recs) || json_array_size(recs) != (size_t)n) {
        for (int i = 0; i < n; i++)
            fo_ledger_set(l, first_id + (uint64_t)i, FO_UNKNOWN);
        rc = -1;
    } else {
        for (int i = 0; i < n; i++) {
            json_t *e = json_array_get(recs, (size_t)i);
            uint64_t id = first_id + (uint64_t)i;
            if (json_is_string(json_object_get(e, "ErrorCode"))) { /* kinesis-mock sends null when fine */
                fo_ledger_set(l, id, FO_FAILED);
                (*failed)++;
                continue;
            }
            int s = shard_slot(shard_ids, n_shards, json_string_value(json_object_get(e, "ShardId")));
            if (s < 0 || !json_is_string(json_object_get(e, "SequenceNumber"))) {
                fo_ledger_set(l, id, FO_UNKNOWN);
                rc = -1;
                continue;
            }
            fo_ledger_set(l, id, s);
            (*acked)++;
        }
    }
    json_decref(ans);
    return rc;
}

/* ---- SubscribeToShard answers ---- */

static size_t b64_bytes(const char *s, size_t n)
{
    if (n < 4)
        return 0;
    size_t pad = (s[n - 1] == '=') + (s[n - 2] == '=');
    return n / 4 * 3 - pad;
}

/* One SubscribeToShardEvent payload. */
static int on_event(fo_sub *s, fo_ledger *l, const uint8_t *p, size_t n, fo_record_fn fn, void *ud)
{
    json_error_t je;
    json_t *ev = json_loadb((const char *)p, n, 0, &je);
    json_t *recs = json_object_get(ev, "Records");
    if (!json_is_array(recs)) {
        snprintf(s->error, sizeof s->error, "a SubscribeToShardEvent without Records: %.120s",
                 (const char *)p);
        json_decref(ev);
        return -1;
    }
    size_t i;
    json_t *r;
    json_array_foreach(recs, i, r)
    {
        const char *data = json_string_value(json_object_get(r, "Data"));
        const char *seq = json_string_value(json_object_get(r, "SequenceNumber"));
        size_t dl = data ? json_string_length(json_object_get(r, "Data")) : 0;
        uint64_t id, sent;
        if (!data || !seq || fo_hdr_parse(data, dl, &id, &sent) != 0) {
            l->foreign++;
            continue;
        }
        fo_ledger_deliver(l, s->consumer, s->shard, id, seq);
        s->records++;
        if (fn)
            fn(ud, sent, b64_bytes(data, dl));
    }
    json_t *cont = json_object_get(ev, "ContinuationSequenceNumber");
    if (cont && json_is_null(cont))
        s->ended = 1; /* the shard was closed and everything in it delivered */
    json_decref(ev);
    return 0;
}

static void header_str(const es_message *m, const char *name, char *out, size_t out_len)
{
    const es_header *h = eventstream_find_header(m, name);
    if (h && h->type == ES_STRING)
        snprintf(out, out_len, "%.*s", (int)h->v.bytes.len, (const char *)h->v.bytes.ptr);
    else
        snprintf(out, out_len, "-");
}

int fo_sub_feed(fo_sub *s, fo_ledger *l, const uint8_t *data, size_t len, fo_record_fn fn, void *ud)
{
    if (s->error[0])
        return -1;
    if (s->len + len > s->cap) {
        size_t cap = s->cap ? s->cap : 65536;
        while (cap < s->len + len)
            cap *= 2;
        uint8_t *p = realloc(s->buf, cap);
        if (!p) {
            snprintf(s->error, sizeof s->error, "out of memory");
            return -1;
        }
        s->buf = p;
        s->cap = cap;
    }
    memcpy(s->buf + s->len, data, len);
    s->len += len;
    s->bytes += (long long)len;
    size_t off = 0;
    int rc = 0;
    while (rc == 0 && off < s->len) {
        es_message m;
        size_t used;
        es_status st = eventstream_decode(s->buf + off, s->len - off, &m, &used);
        if (st == ES_NEED_MORE)
            break;
        if (st != ES_OK) {
            snprintf(s->error, sizeof s->error, "event stream: %s", es_status_str(st));
            rc = -1;
            break;
        }
        off += used;
        s->events++;
        if (eventstream_header_is(&m, ":message-type", "event")) {
            if (eventstream_header_is(&m, ":event-type", "initial-response"))
                s->got_initial = 1;
            else if (eventstream_header_is(&m, ":event-type", "SubscribeToShardEvent"))
                rc = on_event(s, l, m.payload, m.payload_len, fn, ud);
        } else {
            char type[96], code[96];
            header_str(&m, ":exception-type", type, sizeof type);
            header_str(&m, ":error-code", code, sizeof code);
            snprintf(s->error, sizeof s->error, "%s%s %.*s", strcmp(type, "-") ? type : "error ",
                     strcmp(type, "-") ? "" : code, (int)(m.payload_len > 120 ? 120 : m.payload_len),
                     (const char *)m.payload);
            s->ended = 1;
            rc = -1;
        }
        eventstream_message_clean_up(&m);
    }
    memmove(s->buf, s->buf + off, s->len - off);
    s->len -= off;
    return rc;
}

void fo_sub_free(fo_sub *s)
{
    free(s->buf);
    s->buf = NULL;
    s->len = s->cap = 0;
}
