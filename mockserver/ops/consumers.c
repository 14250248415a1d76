/* ops/consumers.c: enhanced fan-out consumers: RegisterStreamConsumer, DeregisterStreamConsumer,
 * DescribeStreamConsumer and ListStreamConsumers. A consumer is CREATING for --create-delay-ms,
 * then ACTIVE; deregistered it is DELETING for --delete-delay-ms, then gone (transitions computed
 * lazily from the clock, ops/resources.c). Its ARN carries its creation time in epoch seconds, so a
 * re-registered name gets a new ARN. Limits (the API model's documentation; docs/aws-behaviour.md): 20
 * consumers per stream, 5 CREATING at once per account and region. SubscribeToShard resolves a
 * ConsumerARN with consumer_lookup_arn (ops/resources.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dispatch/validate.h"
#include "ops/ops.h"
#include "ops/resources.h"

#define MAX_CONSUMERS_PER_STREAM 20
#define MAX_CONSUMERS_CREATING 5
#define LIST_CONSUMERS_MAX 100

static json_t *consumer_json(sim_ctx *ctx, const store_stream *st, const store_consumer *c, int with_stream)
{
    char arn[CONSUMER_ARN_MAX];
    consumer_arn(ctx, st->name, c, arn);
    json_t *o =
        json_pack("{s:s, s:s, s:s, s:o}", "ConsumerName", c->name, "ConsumerARN", arn, "ConsumerStatus",
                  c->status, "ConsumerCreationTimestamp", epoch_seconds_json(c->created_ms));
    if (with_stream) {
        char sarn[STREAM_ARN_MAX];
        stream_arn(ctx, st->name, sarn);
        json_object_set_new(o, "StreamARN", json_string(sarn));
    }
    return o;
}

/* ---- RegisterStreamConsumer ---- */

int op_register_stream_consumer(sim_ctx *ctx, json_t *in, json_t **out)
{
    const char *name = json_string_value(json_object_get(in, "ConsumerName"));
    if (!json_string_value(json_object_get(in, "StreamARN")) || !name)
        return sim_fail(ctx, SIM_ERR_InvalidArgumentException,
                        "Both StreamARN and ConsumerName must be specified.");
    store_stream st;
    if (stream_lookup(ctx, in, STREAM_ANY, &st) != 0)
        return -1;
    if (strcmp(st.status, "CREATING") == 0 || strcmp(st.status, "DELETING") == 0)
        return stream_require_active(ctx, &st);

    json_t *tags = json_object_get(in, "Tags");
    if (tags_map_check(ctx, tags) != 0)
        return -1;
    const char *key;
    json_t *val;
    if (json_object_size(tags) > MAX_TAGS_PER_RESOURCE)
        return sim_fail(ctx, SIM_ERR_InvalidArgumentException,
                        "A consumer cannot have more than %d tags associated with it.",
                        MAX_TAGS_PER_RESOURCE);

    store_consumer *all;
    size_t n;
    if (stream_consumers(ctx, &st, &all, &n) != 0)
        return -1;
    int exists = 0;
    for (size_t i = 0; i < n && !exists; i++)
        exists = strcmp(all[i].name, name) == 0;
    free(all);
    if (exists)
        return sim_fail(ctx, SIM_ERR_ResourceInUseException,
                        "Consumer %s under stream %s already exists for account %s.", name, st.name,
                        ctx->account_id);
    if (n >= MAX_CONSUMERS_PER_STREAM)
        return sim_fail(ctx, SIM_ERR_LimitExceededException,
                        "Stream %s under account %s already has the maximum of %d registered consumers.",
                        st.name, ctx->account_id, MAX_CONSUMERS_PER_STREAM);
    int64_t creating;
    if (store_consumers_creating(ctx->srv->store, ctx->account_id, ctx->region, ctx->now_ms, &creating) != 0)
        return ops_store_fail(ctx);
    if (creating >= MAX_CONSUMERS_CREATING)
        return sim_fail(ctx, SIM_ERR_LimitExceededException,
                        "Account %s already has %d consumers in CREATING status; at most %d can be created "
                        "at the same time.",
                        ctx->account_id, (int)creating, MAX_CONSUMERS_CREATING);

    store_consumer c;
    memset(&c, 0, sizeof c);
    c.stream_id = st.id;
    snprintf(c.name, sizeof c.name, "%s", name);
    c.created_ms = ctx->now_ms;
    if (ctx->srv->cfg.create_delay_ms > 0) {
        snprintf(c.status, sizeof c.status, "CREATING");
        c.status_until_ms = ctx->now_ms + ctx->srv->cfg.create_delay_ms;
    } else {
        snprintf(c.status, sizeof c.status, "ACTIVE");
    }
    if (store_consumer_insert(ctx->srv->store, &c) != 0)
        return ops_store_fail(ctx);
    json_object_foreach(tags, key, val)
    {
        if (store_resource_tag_put(ctx->srv->store, st.id, c.name, key,
                                   json_string_value(val) ? json_string_value(val) : "") != 0)
            return ops_store_fail(ctx);
    }
    *out = json_pack("{s:o}", "Consumer", consumer_json(ctx, &st, &c, 0));
    return 0;
}

/* ---- resolving a consumer: ConsumerARN, or StreamARN + ConsumerName (all three must agree) ---- */

static int resolve_consumer(sim_ctx *ctx, json_t *in, store_stream *st, store_consumer *c)
{
    const char *carn = json_string_value(json_object_get(in, "ConsumerARN"));
    const char *sarn = json_string_value(json_object_get(in, "StreamARN"));
    const char *name = json_string_value(json_object_get(in, "ConsumerName"));
    if (carn) {
        if (sarn || name) {
            char region[64], account[32], stream[STORE_NAME_MAX], consumer[STORE_NAME_MAX];
            char sstream[STORE_NAME_MAX], sconsumer[STORE_NAME_MAX];
            int64_t epoch, sepoch;
            int ok = kinesis_arn_parse(carn, region, account, stream, consumer, &epoch) == 0 && consumer[0];
            if (ok && sarn)
                ok = kinesis_arn_parse(sarn, region, account, sstream, sconsumer, &sepoch) == 0 &&
                     !sconsumer[0] && strcmp(stream, sstream) == 0;
            if (ok && name)
                ok = strcmp(name, consumer) == 0;
            if (!ok)
                return sim_fail(ctx, SIM_ERR_InvalidArgumentException,
                                "ConsumerARN %s does not refer to the consumer given by StreamARN and "
                                "ConsumerName.",
                                carn);
        }
        return consumer_lookup_arn(ctx, carn, st, c);
    }
    if (!sarn || !name)
        return sim_fail(ctx, SIM_ERR_InvalidArgumentException,
                        "Either ConsumerARN or both StreamARN and ConsumerName must be specified.");
    if (stream_lookup(ctx, in, STREAM_ANY, st) != 0)
        return -1;
    return consumer_find(ctx, st, name, c);
}

/* ---- DeregisterStreamConsumer ---- */

int op_deregister_stream_consumer(sim_ctx *ctx, json_t *in, json_t **out)
{
    store_stream st;
    store_consumer c;
    if (resolve_consumer(ctx, in, &st, &c) != 0)
        return -1;
    if (strcmp(c.status, "DELETING") != 0) {
        if (ctx->srv->cfg.delete_delay_ms > 0) {
            snprintf(c.status, sizeof c.status, "DELETING");
            c.status_until_ms = ctx->now_ms + ctx->srv->cfg.delete_delay_ms;
            if (store_consumer_update(ctx->srv->store, &c) != 0)
                return ops_store_fail(ctx);
        } else if (store_consumer_delete(ctx->srv->store, st.id, c.name) != 0) {
            return ops_store_fail(ctx);
        }
    }
    *out = json_object();
    return 0;
}

/* ---- DescribeStreamConsumer ---- */

int op_describe_stream_consumer(sim_ctx *ctx, json_t *in, json_t **out)
{
    store_stream st;
    store_consumer c;
    if (resolve_consumer(ctx, in, &st, &c) != 0)
        return -1;
    *out = json_pack("{s:o}", "ConsumerDescription", consumer_json(ctx, &st, &c, 1));
    return 0;
}

/* ---- ListStreamConsumers ---- */

int op_list_stream_consumers(sim_ctx *ctx, json_t *in, json_t **out)
{
    const char *token = json_string_value(json_object_get(in, "NextToken"));
    json_t *jts = json_object_get(in, "StreamCreationTimestamp");
    json_t *jmax = json_object_get(in, "MaxResults");
    int64_t max = json_is_number(jmax) ? sim_validate_integer(jmax) : LIST_CONSUMERS_MAX;
    if (max > LIST_CONSUMERS_MAX)
        max = LIST_CONSUMERS_MAX;
    if (max < 1)
        max = 1;
    if (token && jts)
        return sim_fail(ctx, SIM_ERR_InvalidArgumentException,
                        "NextToken and StreamCreationTimestamp cannot be provided together.");
    store_stream st;
    if (stream_lookup(ctx, in, STREAM_ANY, &st) != 0)
        return -1;
    if (jts) {
        int64_t ts_ms;
        if (epoch_ms_from_json(jts, &ts_ms) != 0)
            return sim_fail(ctx, SIM_ERR_InvalidArgumentException, "Invalid StreamCreationTimestamp.");
        if (ts_ms != st.created_ms && ts_ms / 1000 != st.created_ms / 1000)
            return stream_not_found(ctx, st.name);
    }
    char after[STORE_NAME_MAX] = "";
    if (token) {
        json_t *payload;
        if (next_token_take(ctx, token, NEXT_TOKEN_EXPIRED_MSG, &payload) != 0)
            return -1;
        const char *sname = json_string_value(json_object_get(payload, "s"));
        const char *a = json_string_value(json_object_get(payload, "a"));
        if (!sname || !a || strcmp(sname, st.name) != 0 ||
            json_integer_value(json_object_get(payload, "c")) != st.created_ms)
            return next_token_invalid(ctx, payload);
        snprintf(after, sizeof after, "%s", a);
        json_decref(payload);
    }
    store_consumer *all;
    size_t n;
    if (stream_consumers(ctx, &st, &all, &n) != 0)
        return -1;
    json_t *list = json_array();
    int more = 0;
    for (size_t i = 0; i < n; i++) {
        if (after[0] && strcmp(all[i].name, after) <= 0)
            continue;
        if ((int64_t)json_array_size(list) == max) {
            more = 1;
            break;
        }
        json_array_append_new(list, consumer_json(ctx, &st, &all[i], 0));
    }
    free(all);
    *out = json_pack("{s:o}", "Consumers", list);
    if (more) {
        const char *last = json_string_value(
            json_object_get(json_array_get(list, json_array_size(list) - 1), "ConsumerName"));
        json_t *p = json_pack("{s:s, s:I, s:s}", "s", st.name, "c", (json_int_t)st.created_ms, "a", last);
        char *next = next_token_make(ctx, p);
        json_decref(p);
        if (next)
            json_object_set_new(*out, "NextToken", json_string(next));
        free(next);
    }
    return 0;
}
