/* ops/tags.c: tags. The stream API: AddTagsToStream, ListTagsForStream (ExclusiveStartTagKey,
 * Limit, HasMoreTags) and RemoveTagsFromStream; and the resource API by ARN: TagResource,
 * UntagResource and ListTagsForResource, for a stream (the same tags the stream API sees) or an
 * enhanced fan-out consumer. At most 50 tags per resource; characters are checked as AWS does
 * (kinesalite's tests record the stream API's messages; ops/resources.h tag_text_check says which set
 * each API allows). Tags live in the store and go with their resource. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dispatch/validate.h"
#include "ops/ops.h"
#include "ops/resources.h"

#define MAX_TAGS_PER_STREAM MAX_TAGS_PER_RESOURCE
#define LIST_TAGS_DEFAULT 50

int op_add_tags_to_stream(sim_ctx *ctx, json_t *in, json_t **out)
{
    store_stream st;
    if (stream_lookup(ctx, in, STREAM_HIDE_CREATING | STREAM_HIDE_DELETING, &st) != 0)
        return -1;
    json_t *tags = json_object_get(in, "Tags");
    const char *key;
    json_t *val;
    if (stream_tags_check(ctx, tags, st.name) != 0)
        return -1;
    store_tag *have;
    size_t n;
    if (store_tags_get(ctx->srv->store, st.id, &have, &n) != 0)
        return ops_store_fail(ctx);
    size_t total = n;
    json_object_foreach(tags, key, val)
    {
        int known = 0;
        for (size_t i = 0; i < n && !known; i++)
            known = strcmp(have[i].key, key) == 0;
        total += !known;
    }
    store_tags_free(have, n);
    if (total > MAX_TAGS_PER_STREAM)
        return sim_fail(
            ctx, SIM_ERR_InvalidArgumentException,
            "Failed to add tags to stream %s under account %s because a given stream cannot have more "
            "than %d tags associated with it.",
            st.name, ctx->account_id, MAX_TAGS_PER_STREAM);
    json_object_foreach(tags, key, val)
    {
        if (store_tag_put(ctx->srv->store, st.id, key,
                          json_string_value(val) ? json_string_value(val) : "") != 0)
            return ops_store_fail(ctx);
    }
    *out = json_object();
    return 0;
}

int op_list_tags_for_stream(sim_ctx *ctx, json_t *in, json_t **out)
{
    store_stream st;
    if (stream_lookup(ctx, in, STREAM_HIDE_CREATING | STREAM_HIDE_DELETING, &st) != 0)
        return -1;
    const char *after = json_string_value(json_object_get(in, "ExclusiveStartTagKey"));
    json_t *jlimit = json_object_get(in, "Limit");
    int64_t limit = json_is_number(jlimit) ? sim_validate_integer(jlimit) : LIST_TAGS_DEFAULT;
    store_tag *tags;
    size_t n;
    if (store_tags_get(ctx->srv->store, st.id, &tags, &n) != 0)
        return ops_store_fail(ctx);
    json_t *list = json_array();
    int more = 0;
    for (size_t i = 0; i < n; i++) {
        if (after && strcmp(tags[i].key, after) <= 0)
            continue;
        if ((int64_t)json_array_size(list) == limit) {
            more = 1;
            break;
        }
        json_array_append_new(list, json_pack("{s:s, s:s}", "Key", tags[i].key, "Value", tags[i].value));
    }
    store_tags_free(tags, n);
    *out = json_pack("{s:o, s:b}", "Tags", list, "HasMoreTags", more);
    return 0;
}

int op_remove_tags_from_stream(sim_ctx *ctx, json_t *in, json_t **out)
{
    store_stream st;
    if (stream_lookup(ctx, in, STREAM_HIDE_CREATING | STREAM_HIDE_DELETING, &st) != 0)
        return -1;
    json_t *keys = json_object_get(in, "TagKeys");
    size_t i;
    json_t *k;
    int worst = 0;
    json_array_foreach(keys, i, k)
    {
        int c = json_string_value(k) ? tag_text_check(json_string_value(k), TAGS_STREAM_API) : 0;
        if (c == 1 || (c == 2 && worst == 0))
            worst = c;
    }
    if (worst == 1)
        return sim_fail(ctx, SIM_ERR_InvalidArgumentException, TAG_INVALID_CHARS_MESSAGE);
    if (worst == 2)
        return sim_fail(ctx, SIM_ERR_InvalidArgumentException, TAG_PERCENT_MESSAGE_FMT, "remove", "from",
                        st.name, ctx->account_id);
    json_array_foreach(keys, i, k)
    {
        if (json_string_value(k) && store_tag_delete(ctx->srv->store, st.id, json_string_value(k)) != 0)
            return ops_store_fail(ctx);
    }
    *out = json_object();
    return 0;
}

/* ---- TagResource, UntagResource, ListTagsForResource ---- */

/* Resolve ResourceARN; a stream must exist and not be CREATING or DELETING. */
static int tagged_resource(sim_ctx *ctx, json_t *in, store_stream *st, store_consumer *c,
                           const char **consumer)
{
    int is_consumer;
    if (resource_lookup(ctx, json_string_value(json_object_get(in, "ResourceARN")), st, c, &is_consumer) != 0)
        return -1;
    *consumer = is_consumer ? c->name : NULL;
    if (strcmp(st->status, "CREATING") == 0 || strcmp(st->status, "DELETING") == 0)
        return stream_require_active(ctx, st);
    return 0;
}

int op_tag_resource(sim_ctx *ctx, json_t *in, json_t **out)
{
    store_stream st;
    store_consumer c;
    const char *consumer;
    if (tagged_resource(ctx, in, &st, &c, &consumer) != 0)
        return -1;
    const char *arn = json_string_value(json_object_get(in, "ResourceARN"));
    json_t *tags = json_object_get(in, "Tags");
    if (tags_map_check(ctx, tags) != 0)
        return -1;
    const char *key;
    json_t *val;
    store_tag *have;
    size_t n;
    if (store_resource_tags_get(ctx->srv->store, st.id, consumer, &have, &n) != 0)
        return ops_store_fail(ctx);
    size_t total = n;
    json_object_foreach(tags, key, val)
    {
        int known = 0;
        for (size_t i = 0; i < n && !known; i++)
            known = strcmp(have[i].key, key) == 0;
        total += !known;
    }
    store_tags_free(have, n);
    if (total > MAX_TAGS_PER_RESOURCE)
        return sim_fail(ctx, SIM_ERR_InvalidArgumentException,
                        "Failed to add tags to resource %s under account %s because a given resource cannot "
                        "have more than %d tags associated with it.",
                        arn, ctx->account_id, MAX_TAGS_PER_RESOURCE);
    json_object_foreach(tags, key, val)
    {
        if (store_resource_tag_put(ctx->srv->store, st.id, consumer, key,
                                   json_string_value(val) ? json_string_value(val) : "") != 0)
            return ops_store_fail(ctx);
    }
    *out = json_object();
    return 0;
}

int op_untag_resource(sim_ctx *ctx, json_t *in, json_t **out)
{
    store_stream st;
    store_consumer c;
    const char *consumer;
    if (tagged_resource(ctx, in, &st, &c, &consumer) != 0)
        return -1;
    json_t *keys = json_object_get(in, "TagKeys");
    size_t i;
    json_t *k;
    if (tag_keys_check(ctx, keys) != 0)
        return -1;
    json_array_foreach(keys, i, k)
    {
        if (json_string_value(k) &&
            store_resource_tag_delete(ctx->srv->store, st.id, consumer, json_string_value(k)) != 0)
            return ops_store_fail(ctx);
    }
    *out = json_object();
    return 0;
}

int op_list_tags_for_resource(sim_ctx *ctx, json_t *in, json_t **out)
{
    store_stream st;
    store_consumer c;
    const char *consumer;
    if (tagged_resource(ctx, in, &st, &c, &consumer) != 0)
        return -1;
    store_tag *tags;
    size_t n;
    if (store_resource_tags_get(ctx->srv->store, st.id, consumer, &tags, &n) != 0)
        return ops_store_fail(ctx);
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(list, json_pack("{s:s, s:s}", "Key", tags[i].key, "Value", tags[i].value));
    store_tags_free(tags, n);
    *out = json_pack("{s:o}", "Tags", list);
    return 0;
}
