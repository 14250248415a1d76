/* ops/resources.c: helpers shared by the operation handlers (see ops/resources.h): the request's store
 * transaction, StreamName/StreamARN resolution with AWS's messages, lazy stream state
 * transitions from the simulation clock, shard JSON and sequence-number strings, opaque
 * NextTokens authenticated with the server key, and base64; also the retention horizon and
 * its physical trimming, stream and consumer ARNs, consumer lookups (SubscribeToShard uses
 * consumer_lookup_arn), enhanced-monitoring metric names and the tag character rule. */
#include "ops/resources.h"

#include "server/server.h"
#include "shared/base64.h"

#include <math.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- per-request transaction ---- */

int ops_store_fail(sim_ctx *ctx)
{
    char msg[1024];
    sim_error_code err = sim_server_store_failure(ctx->srv, ctx->op ? ctx->op : "?", msg, sizeof msg);
    return sim_fail(ctx, err, "%s", msg);
}

int ops_begin(sim_ctx *ctx)
{
    if (store_begin(ctx->srv->store) != 0)
        return ops_store_fail(ctx);
    return 0;
}

int ops_end(sim_ctx *ctx, int rc, json_t **out)
{
    if (rc != 0) {
        store_rollback(ctx->srv->store);
        if (out && *out) {
            json_decref(*out);
            *out = NULL;
        }
        return rc;
    }
    if (store_commit(ctx->srv->store) != 0) {
        if (out && *out) {
            json_decref(*out);
            *out = NULL;
        }
        return ops_store_fail(ctx);
    }
    return 0;
}

/* ---- streams ---- */

int stream_not_found(sim_ctx *ctx, const char *name)
{
    return sim_fail(ctx, SIM_ERR_ResourceNotFoundException, "Stream %s under account %s not found.", name,
                    ctx->account_id);
}

void stream_arn(const sim_ctx *ctx, const char *name, char out[STREAM_ARN_MAX])
{
    snprintf(out, STREAM_ARN_MAX, "arn:aws:kinesis:%s:%s:stream/%s", ctx->region, ctx->account_id, name);
}

int stream_settle(sim_ctx *ctx, store_stream *st)
{
    if (strcmp(st->status, "ACTIVE") == 0 || ctx->now_ms < st->status_until_ms)
        return 0;
    if (strcmp(st->status, "DELETING") == 0)
        return store_stream_delete(ctx->srv->store, st->id) == 0 ? 1 : -1;
    snprintf(st->status, sizeof st->status, "ACTIVE");
    st->status_until_ms = 0;
    return store_stream_update(ctx->srv->store, st) == 0 ? 0 : -1;
}

int stream_find(sim_ctx *ctx, const char *name, store_stream *st)
{
    int rc = store_stream_get(ctx->srv->store, ctx->account_id, ctx->region, name, st);
    if (rc != 0)
        return rc;
    return stream_settle(ctx, st);
}

/* Split arn:<partition>:kinesis:<region>:<account>:stream/<name>; -1 when it is not one. */
static int parse_stream_arn(const char *arn, char *region, size_t rlen, char *account, size_t alen,
                            char *name, size_t nlen);

static int valid_name(const char *p, size_t len)
{
    if (len == 0 || len >= STORE_NAME_MAX)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = p[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
              c == '.' || c == '-'))
            return 0;
    }
    return 1;
}

int kinesis_arn_parse(const char *arn, char region[64], char account[32], char stream[STORE_NAME_MAX],
                      char consumer[STORE_NAME_MAX], int64_t *consumer_epoch_s)
{
    consumer[0] = 0;
    *consumer_epoch_s = 0;
    char rest[STORE_NAME_MAX * 2 + 64];
    if (!arn || strlen(arn) >= sizeof rest + 128)
        return -1;
    /* a stream ARN first: the stream part then holds "<name>/consumer/<c>:<n>" for a consumer */
    if (parse_stream_arn(arn, region, 64, account, 32, stream, STORE_NAME_MAX) == 0)
        return valid_name(stream, strlen(stream)) ? 0 : -1;
    const char *s = strstr(arn, ":stream/");
    const char *c = s ? strstr(s + 8, "/consumer/") : NULL;
    if (!s || !c)
        return -1;
    /* the prefix up to the stream name must parse as a stream ARN of a placeholder name */
    size_t prefix = (size_t)(s - arn) + 8;
    if (prefix + 1 >= sizeof rest)
        return -1;
    snprintf(rest, sizeof rest, "%.*sx", (int)prefix, arn);
    char dummy[STORE_NAME_MAX];
    if (parse_stream_arn(rest, region, 64, account, 32, dummy, sizeof dummy) != 0)
        return -1;
    const char *name = s + 8;
    if (!valid_name(name, (size_t)(c - name)))
        return -1;
    snprintf(stream, STORE_NAME_MAX, "%.*s", (int)(c - name), name);
    const char *cn = c + 10, *colon = strrchr(cn, ':');
    if (!colon || !valid_name(cn, (size_t)(colon - cn)) || !colon[1] || strlen(colon + 1) > 15)
        return -1;
    int64_t epoch = 0;
    for (const char *d = colon + 1; *d; d++) {
        if (*d < '0' || *d > '9')
            return -1;
        epoch = epoch * 10 + (*d - '0');
    }
    snprintf(consumer, STORE_NAME_MAX, "%.*s", (int)(colon - cn), cn);
    *consumer_epoch_s = epoch;
    return 0;
}

static int parse_stream_arn(const char *arn, char *region, size_t rlen, char *account, size_t alen,
                            char *name, size_t nlen)
{
    if (strncmp(arn, "arn:", 4) != 0)
        return -1;
    const char *p = strchr(arn + 4, ':');
    if (!p || strncmp(p, ":kinesis:", 9) != 0)
        return -1;
    p += 9;
    const char *e = strchr(p, ':');
    if (!e || (size_t)(e - p) >= rlen)
        return -1;
    snprintf(region, rlen, "%.*s", (int)(e - p), p);
    p = e + 1;
    e = strchr(p, ':');
    if (!e || (size_t)(e - p) >= alen)
        return -1;
    snprintf(account, alen, "%.*s", (int)(e - p), p);
    p = e + 1;
    if (strncmp(p, "stream/", 7) != 0)
        return -1;
    p += 7;
    if (!*p || strlen(p) >= nlen || strchr(p, '/'))
        return -1;
    snprintf(name, nlen, "%s", p);
    return 0;
}

int stream_lookup(sim_ctx *ctx, json_t *in, int flags, store_stream *st)
{
    const char *name = json_string_value(json_object_get(in, "StreamName"));
    const char *arn = json_string_value(json_object_get(in, "StreamARN"));
    char arn_name[STORE_NAME_MAX], region[64], account[32];
    if (arn) {
        if (parse_stream_arn(arn, region, sizeof region, account, sizeof account, arn_name,
                             sizeof arn_name) != 0)
            return sim_fail(ctx, SIM_ERR_InvalidArgumentException, "StreamARN %s is not a valid stream ARN.",
                            arn);
        if (strcmp(account, ctx->account_id) != 0)
            return sim_fail(ctx, SIM_ERR_AccessDeniedException,
                            "User: arn:aws:iam::%s:root is not authorized to perform: kinesis:%s on "
                            "resource: %s because no resource-based policy allows the kinesis:%s action",
                            ctx->account_id, ctx->op ? ctx->op : "", arn, ctx->op ? ctx->op : "");
        if (name && strcmp(name, arn_name) != 0)
            return sim_fail(ctx, SIM_ERR_InvalidArgumentException,
                            "StreamName %s and StreamARN %s do not refer to the same stream.", name, arn);
        if (strcmp(region, ctx->region) != 0)
            return stream_not_found(ctx, arn_name);
        name = arn_name;
    }
    if (!name)
        return sim_fail(ctx, SIM_ERR_InvalidArgumentException,
                        "Either StreamName or StreamARN must be specified.");
    int rc = stream_find(ctx, name, st);
    if (rc < 0)
        return ops_store_fail(ctx);
    if (rc > 0 || ((flags & STREAM_HIDE_CREATING) && strcmp(st->status, "CREATING") == 0) ||
        ((flags & STREAM_HIDE_DELETING) && strcmp(st->status, "DELETING") == 0))
        return stream_not_found(ctx, name);
    return 0;
}

int stream_require_active(sim_ctx *ctx, const store_stream *st)
{
    if (strcmp(st->status, "ACTIVE") == 0)
        return 0;
    return sim_fail(ctx, SIM_ERR_ResourceInUseException,
                    "Stream %s under account %s not ACTIVE, instead in state %s", st->name, ctx->account_id,
                    st->status);
}

/* ---- shards ---- */

int stream_shards(sim_ctx *ctx, const store_stream *st, store_shard **shards, size_t *n)
{
    if (store_shards_get(ctx->srv->store, st->id, shards, n) != 0)
        return ops_store_fail(ctx);
    /* The shards as of now: a shard created later (a CREATING stream's, a reshard's children while
     * UPDATING) is not there yet, and a parent closed later is still open. */
    size_t kept = 0;
    for (size_t i = 0; i < *n; i++) {
        store_shard *sh = &(*shards)[i];
        if (sh->created_ms > ctx->now_ms)
            continue;
        if (sh->closed_ms > ctx->now_ms)
            sh->closed_ms = 0;
        if (kept != i)
            (*shards)[kept] = *sh;
        kept++;
    }
    *n = kept;
    return 0;
}

store_shard *shard_by_index(store_shard *shards, size_t n, uint32_t index)
{
    /* shards are ordered by index and indexes are dense from 0 */
    if (index < n && shards[index].index == index)
        return &shards[index];
    for (size_t i = 0; i < n; i++)
        if (shards[i].index == index)
            return &shards[i];
    return NULL;
}

store_shard *shard_for_hash(store_shard *shards, size_t n, u128 h)
{
    for (size_t i = 0; i < n; i++) {
        store_shard *sh = &shards[i];
        if (sh->closed_ms)
            continue;
        if (!sh->range_parsed) /* once per shard and request, not once per record */
            sh->range_parsed =
                u128_parse(sh->start_hash, &sh->range_lo) == 0 && u128_parse(sh->end_hash, &sh->range_hi) == 0
                    ? 1
                    : -1;
        if (sh->range_parsed > 0 && u128_cmp(h, sh->range_lo) >= 0 && u128_cmp(h, sh->range_hi) <= 0)
            return sh;
    }
    return NULL;
}

void record_seq(const store_shard *sh, uint64_t counter, int64_t arrival_ms, char out[SEQNUM_MAX])
{
    seqnum s = {.shard_created_s = sh->created_ms / 1000,
                .shard_index = sh->index,
                .counter = counter,
                .arrival_s = arrival_ms / 1000};
    seqnum_format(&s, out);
}

void shard_start_seq(const store_shard *sh, char out[SEQNUM_MAX])
{
    record_seq(sh, 0, sh->created_ms, out);
}

void shard_end_seq(const store_shard *sh, char out[SEQNUM_MAX])
{
    record_seq(sh, SHARD_END_COUNTER, sh->closed_ms, out);
}

json_t *child_shards_json(const store_shard *shards, size_t n, uint32_t parent)
{
    json_t *list = json_array();
    char id[SHARD_ID_MAX];
    for (size_t i = 0; i < n; i++) {
        const store_shard *c = &shards[i];
        if (c->parent != (int64_t)parent && c->adjacent_parent != (int64_t)parent)
            continue;
        json_t *parents = json_array();
        if (c->parent >= 0) {
            shard_id_format((uint32_t)c->parent, id);
            json_array_append_new(parents, json_string(id));
        }
        if (c->adjacent_parent >= 0) {
            shard_id_format((uint32_t)c->adjacent_parent, id);
            json_array_append_new(parents, json_string(id));
        }
        shard_id_format(c->index, id);
        json_array_append_new(list, json_pack("{s:s, s:o, s:{s:s, s:s}}", "ShardId", id, "ParentShards",
                                              parents, "HashKeyRange", "StartingHashKey", c->start_hash,
                                              "EndingHashKey", c->end_hash));
    }
    return list;
}

json_t *shard_json(const store_shard *sh)
{
    char id[SHARD_ID_MAX], seq[SEQNUM_MAX];
    json_t *o = json_object();
    shard_id_format(sh->index, id);
    json_object_set_new(o, "ShardId", json_string(id));
    if (sh->parent >= 0) {
        shard_id_format((uint32_t)sh->parent, id);
        json_object_set_new(o, "ParentShardId", json_string(id));
    }
    if (sh->adjacent_parent >= 0) {
        shard_id_format((uint32_t)sh->adjacent_parent, id);
        json_object_set_new(o, "AdjacentParentShardId", json_string(id));
    }
    json_object_set_new(
        o, "HashKeyRange",
        json_pack("{s:s, s:s}", "StartingHashKey", sh->start_hash, "EndingHashKey", sh->end_hash));
    json_t *range = json_object();
    shard_start_seq(sh, seq);
    json_object_set_new(range, "StartingSequenceNumber", json_string(seq));
    if (sh->closed_ms) {
        shard_end_seq(sh, seq);
        json_object_set_new(range, "EndingSequenceNumber", json_string(seq));
    }
    json_object_set_new(o, "SequenceNumberRange", range);
    return o;
}

/* ---- time ---- */

json_t *epoch_seconds_json(int64_t ms)
{
    if (ms % 1000 == 0)
        return json_integer(ms / 1000);
    return json_real((double)ms / 1000.0);
}

int epoch_ms_from_json(const json_t *v, int64_t *ms)
{
    if (!json_is_number(v))
        return -1;
    double d = json_number_value(v);
    if (!isfinite(d) || d < -9.2e15 || d > 9.2e15)
        return -1;
    *ms = (int64_t)llround(d * 1000.0);
    return 0;
}

/* ---- NextTokens ---- */

#define TOKEN_TAG_LEN 16

static void token_tag(const sim_ctx *ctx, const uint8_t *msg, size_t len, uint8_t tag[32])
{
    unsigned int tlen = 32;
    HMAC(EVP_sha256(), ctx->srv->iterator_key, 32, msg, len, tag, &tlen);
}

char *next_token_make(const sim_ctx *ctx, json_t *payload)
{
    json_t *wrapped = json_pack("{s:I, s:s, s:s, s:O}", "t", (json_int_t)ctx->now_ms, "a", ctx->account_id,
                                "r", ctx->region, "p", payload);
    char *text = wrapped ? json_dumps(wrapped, JSON_COMPACT) : NULL;
    json_decref(wrapped);
    if (!text)
        return NULL;
    size_t len = strlen(text);
    uint8_t *buf = malloc(len + TOKEN_TAG_LEN);
    if (!buf) {
        free(text);
        return NULL;
    }
    memcpy(buf, text, len);
    free(text);
    uint8_t tag[32];
    token_tag(ctx, buf, len, tag);
    memcpy(buf + len, tag, TOKEN_TAG_LEN);
    char *token = b64_encode(buf, len + TOKEN_TAG_LEN, NULL);
    free(buf);
    return token;
}

int next_token_read(const sim_ctx *ctx, const char *token, json_t **payload, int64_t *issued_ms)
{
    uint8_t *buf;
    size_t len;
    *payload = NULL;
    if (b64_decode(token, &buf, &len) != 0)
        return -1;
    if (len <= TOKEN_TAG_LEN) {
        free(buf);
        return -1;
    }
    uint8_t tag[32];
    len -= TOKEN_TAG_LEN;
    token_tag(ctx, buf, len, tag);
    if (CRYPTO_memcmp(tag, buf + len, TOKEN_TAG_LEN) != 0) {
        free(buf);
        return -1;
    }
    json_t *w = json_loadb((const char *)buf, len, 0, NULL);
    free(buf);
    json_t *p = json_object_get(w, "p");
    const char *a = json_string_value(json_object_get(w, "a"));
    const char *r = json_string_value(json_object_get(w, "r"));
    if (!p || !json_is_integer(json_object_get(w, "t")) || !a || !r || strcmp(a, ctx->account_id) != 0 ||
        strcmp(r, ctx->region) != 0) {
        json_decref(w);
        return -1;
    }
    *issued_ms = json_integer_value(json_object_get(w, "t"));
    if (ctx->now_ms - *issued_ms > NEXT_TOKEN_TTL_MS) {
        json_decref(w);
        return -2;
    }
    *payload = json_incref(p);
    json_decref(w);
    return 0;
}

int next_token_take(sim_ctx *ctx, const char *token, const char *expired_msg, json_t **payload)
{
    int64_t issued;
    int rc = next_token_read(ctx, token, payload, &issued);
    if (rc == -2)
        return sim_fail(ctx, SIM_ERR_ExpiredNextTokenException, "%s", expired_msg);
    if (rc != 0)
        return next_token_invalid(ctx, *payload);
    return 0;
}

int next_token_invalid(sim_ctx *ctx, json_t *payload)
{
    json_decref(payload);
    return sim_fail(ctx, SIM_ERR_InvalidArgumentException, "Invalid NextToken.");
}

/* ---- retention ---- */

int64_t stream_trim_horizon_ms(const sim_ctx *ctx, const store_stream *st)
{
    return ctx->now_ms - (int64_t)st->retention_hours * 3600 * 1000;
}

int shard_expired(const sim_ctx *ctx, const store_stream *st, const store_shard *sh)
{
    return sh->closed_ms != 0 && sh->closed_ms < stream_trim_horizon_ms(ctx, st);
}

int stream_trim(sim_ctx *ctx, const store_stream *st, const store_shard *shards, size_t n,
                uint32_t shard_index)
{
    int64_t horizon = stream_trim_horizon_ms(ctx, st);
    for (size_t i = 0; i < n; i++) {
        if (shards[i].index != shard_index && !shards[i].closed_ms)
            continue;
        if (store_records_trim_shard(ctx->srv->store, st->id, shards[i].index, horizon, RETENTION_TRIM_BATCH,
                                     NULL) != 0)
            return ops_store_fail(ctx);
    }
    return 0;
}

/* ---- consumers ---- */

void consumer_arn(const sim_ctx *ctx, const char *stream, const store_consumer *c, char out[CONSUMER_ARN_MAX])
{
    snprintf(out, CONSUMER_ARN_MAX, "arn:aws:kinesis:%s:%s:stream/%s/consumer/%s:%lld", ctx->region,
             ctx->account_id, stream, c->name, (long long)(c->created_ms / 1000));
}

int consumer_settle(sim_ctx *ctx, store_consumer *c)
{
    if (strcmp(c->status, "ACTIVE") == 0 || ctx->now_ms < c->status_until_ms)
        return 0;
    if (strcmp(c->status, "DELETING") == 0)
        return store_consumer_delete(ctx->srv->store, c->stream_id, c->name) == 0 ? 1 : -1;
    snprintf(c->status, sizeof c->status, "ACTIVE");
    c->status_until_ms = 0;
    return store_consumer_update(ctx->srv->store, c) == 0 ? 0 : -1;
}

int stream_consumers(sim_ctx *ctx, const store_stream *st, store_consumer **out, size_t *n)
{
    if (store_consumers_list(ctx->srv->store, st->id, out, n) != 0)
        return ops_store_fail(ctx);
    size_t kept = 0;
    for (size_t i = 0; i < *n; i++) {
        int rc = consumer_settle(ctx, &(*out)[i]);
        if (rc < 0) {
            free(*out);
            *out = NULL;
            *n = 0;
            return ops_store_fail(ctx);
        }
        if (rc == 0)
            (*out)[kept++] = (*out)[i];
    }
    *n = kept;
    return 0;
}

int consumer_not_found(sim_ctx *ctx, const char *stream, const char *consumer)
{
    return sim_fail(ctx, SIM_ERR_ResourceNotFoundException,
                    "Consumer %s under stream %s not found for account %s.", consumer, stream,
                    ctx->account_id);
}

/* Shared by consumer_lookup_arn and resource_lookup: the ARN's parts, checked against the caller. */
static int arn_for_caller(sim_ctx *ctx, const char *arn, const char *what, char stream[STORE_NAME_MAX],
                          char consumer[STORE_NAME_MAX], int64_t *epoch_s)
{
    char region[64], account[32];
    if (!arn || kinesis_arn_parse(arn, region, account, stream, consumer, epoch_s) != 0)
        return sim_fail(ctx, SIM_ERR_InvalidArgumentException, "%s %s is not a valid ARN.", what,
                        arn ? arn : "null");
    if (strcmp(account, ctx->account_id) != 0)
        return sim_fail(ctx, SIM_ERR_AccessDeniedException,
                        "User: arn:aws:iam::%s:root is not authorized to perform: kinesis:%s on resource: %s "
                        "because no resource-based policy allows the kinesis:%s action",
                        ctx->account_id, ctx->op ? ctx->op : "", arn, ctx->op ? ctx->op : "");
    if (strcmp(region, ctx->region) != 0)
        return consumer[0] ? consumer_not_found(ctx, stream, consumer) : stream_not_found(ctx, stream);
    return 0;
}

/* The consumer `name` of stream st, registered at epoch_s (when epoch_s >= 0). */
static int consumer_of(sim_ctx *ctx, const store_stream *st, const char *name, int64_t epoch_s,
                       store_consumer *c)
{
    int rc = store_consumer_get(ctx->srv->store, st->id, name, c);
    if (rc < 0)
        return ops_store_fail(ctx);
    if (rc == 0) {
        rc = consumer_settle(ctx, c);
        if (rc < 0)
            return ops_store_fail(ctx);
    }
    if (rc > 0 || (epoch_s >= 0 && c->created_ms / 1000 != epoch_s))
        return consumer_not_found(ctx, st->name, name);
    return 0;
}

int consumer_find(sim_ctx *ctx, const store_stream *st, const char *name, store_consumer *c)
{
    return consumer_of(ctx, st, name, -1, c);
}

int consumer_lookup_arn(sim_ctx *ctx, const char *arn, store_stream *st, store_consumer *c)
{
    char stream[STORE_NAME_MAX], consumer[STORE_NAME_MAX];
    int64_t epoch;
    if (arn_for_caller(ctx, arn, "ConsumerARN", stream, consumer, &epoch) != 0)
        return -1;
    if (!consumer[0])
        return sim_fail(ctx, SIM_ERR_InvalidArgumentException, "ConsumerARN %s is not a valid ARN.", arn);
    int rc = stream_find(ctx, stream, st);
    if (rc < 0)
        return ops_store_fail(ctx);
    if (rc > 0)
        return consumer_not_found(ctx, stream, consumer);
    return consumer_of(ctx, st, consumer, epoch, c);
}

int resource_lookup(sim_ctx *ctx, const char *arn, store_stream *st, store_consumer *c, int *is_consumer)
{
    char stream[STORE_NAME_MAX], consumer[STORE_NAME_MAX];
    int64_t epoch;
    if (arn_for_caller(ctx, arn, "ResourceARN", stream, consumer, &epoch) != 0)
        return -1;
    *is_consumer = consumer[0] != 0;
    int rc = stream_find(ctx, stream, st);
    if (rc < 0)
        return ops_store_fail(ctx);
    if (rc > 0)
        return *is_consumer ? consumer_not_found(ctx, stream, consumer) : stream_not_found(ctx, stream);
    if (!*is_consumer) {
        memset(c, 0, sizeof *c);
        return 0;
    }
    return consumer_of(ctx, st, consumer, epoch, c);
}

/* ---- tags ---- */

int tag_text_check(const char *s, int api)
{
    int pct = 0;
    const char *allowed = api == TAGS_RESOURCE_API ? " _./=+-@:" : " _./=+-@";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p >= 0x80 || (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
            strchr(allowed, *p))
            continue;
        if (*p == '%') {
            pct = 1;
            continue;
        }
        return 1;
    }
    return pct ? 2 : 0;
}

int tag_key_reserved(const char *key)
{
    return key && strncasecmp(key, "aws:", 4) == 0;
}

int tags_map_check(sim_ctx *ctx, const json_t *tags)
{
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)tags, key, val)
    {
        if (tag_text_check(key, TAGS_RESOURCE_API) != 0 ||
            tag_text_check(json_string_value(val) ? json_string_value(val) : "", TAGS_RESOURCE_API) != 0)
            return sim_fail(ctx, SIM_ERR_InvalidArgumentException, TAG_INVALID_CHARS_MESSAGE);
    }
    json_object_foreach((json_t *)tags, key, val)
    {
        if (tag_key_reserved(key)) /* the message is ours: AWS's is not recorded */
            return sim_fail(ctx, SIM_ERR_InvalidArgumentException,
                            "Tag key %s uses the prefix 'aws:', which is reserved for AWS use.", key);
    }
    return 0;
}

int tag_keys_check(sim_ctx *ctx, const json_t *keys)
{
    size_t i;
    json_t *k;
    json_array_foreach(keys, i, k)
    {
        const char *key = json_string_value(k);
        if (key && tag_text_check(key, TAGS_RESOURCE_API) == 1)
            return sim_fail(ctx, SIM_ERR_InvalidArgumentException, TAG_INVALID_CHARS_MESSAGE);
    }
    return 0;
}

int stream_tags_check(sim_ctx *ctx, const json_t *tags, const char *stream)
{
    const char *key;
    json_t *val;
    int worst = 0;
    json_object_foreach((json_t *)tags, key, val)
    {
        int a = tag_text_check(key, TAGS_STREAM_API),
            b = tag_text_check(json_string_value(val) ? json_string_value(val) : "", TAGS_STREAM_API);
        if (a == 1 || b == 1)
            worst = 1;
        else if ((a == 2 || b == 2) && worst == 0)
            worst = 2;
    }
    if (worst == 1)
        return sim_fail(ctx, SIM_ERR_InvalidArgumentException, TAG_INVALID_CHARS_MESSAGE);
    if (worst == 2)
        return sim_fail(ctx, SIM_ERR_InvalidArgumentException, TAG_PERCENT_MESSAGE_FMT, "add", "to", stream,
                        ctx->account_id);
    return 0;
}

/* ---- enhanced monitoring ---- */

const char *const shard_metric_names[SHARD_METRICS_COUNT] = {"IncomingBytes",
                                                             "IncomingRecords",
                                                             "OutgoingBytes",
                                                             "OutgoingRecords",
                                                             "WriteProvisionedThroughputExceeded",
                                                             "ReadProvisionedThroughputExceeded",
                                                             "IteratorAgeMilliseconds"};

json_t *shard_metrics_json(unsigned mask)
{
    json_t *list = json_array();
    for (unsigned i = 0; i < SHARD_METRICS_COUNT; i++)
        if (mask & (1u << i))
            json_array_append_new(list, json_string(shard_metric_names[i]));
    return list;
}

json_t *enhanced_monitoring_json(const store_stream *st)
{
    return json_pack("[{s:o}]", "ShardLevelMetrics", shard_metrics_json(st->shard_metrics));
}
