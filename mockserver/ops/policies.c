/* ops/policies.c: resource-based policies: PutResourcePolicy, GetResourcePolicy and
 * DeleteResourcePolicy, for a stream or a consumer named by ResourceARN. The simulator stores the
 * policy text per resource (it goes with its stream or consumer) but does not evaluate it.
 * Choices where AWS documents nothing: Policy must be a JSON object (InvalidArgumentException
 * otherwise); Get of a resource without a policy answers Policy "{}"; Delete of a resource
 * without a policy succeeds. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops/ops.h"
#include "ops/resources.h"

/* Resolve ResourceARN; its stream must not be CREATING or DELETING. consumer is "" for a stream. */
static int policy_resource(sim_ctx *ctx, json_t *in, store_stream *st, store_consumer *c)
{
    int is_consumer;
    if (resource_lookup(ctx, json_string_value(json_object_get(in, "ResourceARN")), st, c, &is_consumer) != 0)
        return -1;
    if (!is_consumer)
        c->name[0] = 0;
    if (strcmp(st->status, "CREATING") == 0 || strcmp(st->status, "DELETING") == 0)
        return stream_require_active(ctx, st);
    return 0;
}

int op_put_resource_policy(sim_ctx *ctx, json_t *in, json_t **out)
{
    store_stream st;
    store_consumer c;
    if (policy_resource(ctx, in, &st, &c) != 0)
        return -1;
    const char *policy = json_string_value(json_object_get(in, "Policy"));
    json_error_t jerr;
    json_t *doc = policy ? json_loads(policy, JSON_REJECT_DUPLICATES, &jerr) : NULL;
    int is_object = json_is_object(doc);
    json_decref(doc);
    if (!is_object)
        return sim_fail(ctx, SIM_ERR_InvalidArgumentException,
                        "Policy is not a valid JSON policy document: it must be a JSON object.");
    if (store_policy_put(ctx->srv->store, st.id, c.name, policy) != 0)
        return ops_store_fail(ctx);
    *out = json_object();
    return 0;
}

int op_get_resource_policy(sim_ctx *ctx, json_t *in, json_t **out)
{
    store_stream st;
    store_consumer c;
    if (policy_resource(ctx, in, &st, &c) != 0)
        return -1;
    char *policy;
    int rc = store_policy_get(ctx->srv->store, st.id, c.name, &policy);
    if (rc < 0)
        return ops_store_fail(ctx);
    *out = json_pack("{s:s}", "Policy", rc == 0 ? policy : "{}");
    free(policy);
    return 0;
}

int op_delete_resource_policy(sim_ctx *ctx, json_t *in, json_t **out)
{
    store_stream st;
    store_consumer c;
    if (policy_resource(ctx, in, &st, &c) != 0)
        return -1;
    if (store_policy_delete(ctx->srv->store, st.id, c.name, NULL) != 0)
        return ops_store_fail(ctx);
    *out = json_object();
    return 0;
}
