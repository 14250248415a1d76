/* test_ops_resources.c: operations on a resource named by ARN, at the handler level:
 * TagResource / UntagResource / ListTagsForResource (ops/tags.c) on streams (sharing the tags
 * the stream API sees) and consumers, and Put/Get/DeleteResourcePolicy (ops/policies.c). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops_fixture.h"

#define ARN(s) "arn:aws:kinesis:" FX_REGION ":" FX_ACCOUNT ":stream/" s

static fx f;
static void setup(void)
{
    fx_init(&f, ":memory:");
}
static void teardown(void)
{
    fx_fini(&f);
}
TestSuite(ops_resources, .init = setup, .fini = teardown);

static char *consumer(const char *stream, const char *name)
{
    json_t *out = fx_call(
        &f, op_register_stream_consumer, "RegisterStreamConsumer",
        "{\"StreamARN\":\"" ARN("%s") "\",\"ConsumerName\":\"%s\",\"Tags\":{\"team\":\"x\"}}", stream, name);
    cr_assert_not_null(out, "%s", f.ctx.err_msg);
    char *arn = strdup(json_string_value(json_object_get(json_object_get(out, "Consumer"), "ConsumerARN")));
    json_decref(out);
    return arn;
}

static size_t tag_count(const char *arn)
{
    json_t *out =
        fx_call(&f, op_list_tags_for_resource, "ListTagsForResource", "{\"ResourceARN\":\"%s\"}", arn);
    cr_assert_not_null(out, "%s", f.ctx.err_msg);
    size_t n = json_array_size(json_object_get(out, "Tags"));
    json_decref(out);
    return n;
}

Test(ops_resources, stream_tags_by_arn_are_the_stream_tags)
{
    fx_stream(&f, "s", 1);
    json_decref(fx_call(&f, op_tag_resource, "TagResource",
                        "{\"ResourceARN\":\"" ARN("s") "\",\"Tags\":{\"a\":\"1\",\"b\":\"2\"}}"));
    cr_assert_not(f.ctx.err_set, "%s", f.ctx.err_msg);
    json_t *out = fx_call(&f, op_list_tags_for_stream, "ListTagsForStream", "{\"StreamName\":\"s\"}");
    cr_assert_eq(json_array_size(json_object_get(out, "Tags")), 2);
    json_decref(out);
    json_decref(fx_call(&f, op_add_tags_to_stream, "AddTagsToStream",
                        "{\"StreamName\":\"s\",\"Tags\":{\"c\":\"3\"}}"));
    out = fx_call(&f, op_list_tags_for_resource, "ListTagsForResource", "{\"ResourceARN\":\"" ARN("s") "\"}");
    json_t *tags = json_object_get(out, "Tags");
    cr_assert_eq(json_array_size(tags), 3);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(tags, 0), "Key")), "a");
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(tags, 0), "Value")), "1");
    json_decref(out);
    json_decref(fx_call(&f, op_untag_resource, "UntagResource",
                        "{\"ResourceARN\":\"" ARN("s") "\",\"TagKeys\":[\"a\",\"c\",\"absent\"]}"));
    cr_assert_not(f.ctx.err_set, "%s", f.ctx.err_msg);
    cr_assert_eq(tag_count(ARN("s")), 1);
}

Test(ops_resources, consumer_tags_are_separate_and_go_with_the_consumer)
{
    fx_stream(&f, "s", 1);
    char *arn = consumer("s", "app");
    cr_assert_eq(tag_count(arn), 1, "Tags given at registration");
    cr_assert_eq(tag_count(ARN("s")), 0);
    json_decref(
        fx_call(&f, op_tag_resource, "TagResource", "{\"ResourceARN\":\"%s\",\"Tags\":{\"k\":\"v\"}}", arn));
    cr_assert_eq(tag_count(arn), 2);
    json_decref(fx_call(&f, op_deregister_stream_consumer, "DeregisterStreamConsumer",
                        "{\"ConsumerARN\":\"%s\"}", arn));
    fx_advance(&f, 1501);
    fx_error(&f, op_list_tags_for_resource, "ListTagsForResource", SIM_ERR_ResourceNotFoundException,
             "{\"ResourceARN\":\"%s\"}", arn);
    char *again = consumer("s", "app");
    cr_assert_eq(tag_count(again), 1, "a new registration starts with only its own tags");
    free(again);
    free(arn);
}

Test(ops_resources, tag_limits_characters_and_missing_resources)
{
    fx_stream(&f, "s", 1);
    char tags[2048] = "";
    size_t off = 0;
    for (int i = 0; i < 50; i++)
        off += (size_t)snprintf(tags + off, sizeof tags - off, "%s\"k%d\":\"v\"", i ? "," : "", i);
    json_decref(fx_call(&f, op_tag_resource, "TagResource",
                        "{\"ResourceARN\":\"" ARN("s") "\",\"Tags\":{%s}}", tags));
    cr_assert_not(f.ctx.err_set, "%s", f.ctx.err_msg);
    json_decref(fx_call(&f, op_tag_resource, "TagResource",
                        "{\"ResourceARN\":\"" ARN("s") "\",\"Tags\":{\"k1\":\"w\"}}"));
    cr_assert_not(f.ctx.err_set, "overwriting an existing key stays at 50: %s", f.ctx.err_msg);
    fx_error(&f, op_tag_resource, "TagResource", SIM_ERR_InvalidArgumentException,
             "{\"ResourceARN\":\"" ARN("s") "\",\"Tags\":{\"k50\":\"v\"}}");
    fx_error(&f, op_tag_resource, "TagResource", SIM_ERR_InvalidArgumentException,
             "{\"ResourceARN\":\"" ARN("s") "\",\"Tags\":{\"bad*\":\"v\"}}");
    fx_error(&f, op_tag_resource, "TagResource", SIM_ERR_ResourceNotFoundException,
             "{\"ResourceARN\":\"" ARN("nope") "\",\"Tags\":{\"k\":\"v\"}}");
    fx_error(&f, op_list_tags_for_resource, "ListTagsForResource", SIM_ERR_ResourceNotFoundException,
             "{\"ResourceARN\":\"" ARN("s") "/consumer/none:1\"}");
    fx_error(&f, op_list_tags_for_resource, "ListTagsForResource", SIM_ERR_InvalidArgumentException,
             "{\"ResourceARN\":\"arn:aws:kinesis:" FX_REGION ":" FX_ACCOUNT ":table/x\"}");
    fx_error(&f, op_list_tags_for_resource, "ListTagsForResource", SIM_ERR_AccessDeniedException,
             "{\"ResourceARN\":\"arn:aws:kinesis:" FX_REGION ":111111111111:stream/s\"}");
}

Test(ops_resources, resource_policy_put_get_delete)
{
    fx_stream(&f, "s", 1);
    char *arn = consumer("s", "app");
    json_t *out =
        fx_call(&f, op_get_resource_policy, "GetResourcePolicy", "{\"ResourceARN\":\"" ARN("s") "\"}");
    cr_assert_str_eq(json_string_value(json_object_get(out, "Policy")), "{}");
    json_decref(out);
    const char *policy = "{\\\"Version\\\":\\\"2012-10-17\\\",\\\"Statement\\\":[]}";
    json_decref(fx_call(&f, op_put_resource_policy, "PutResourcePolicy",
                        "{\"ResourceARN\":\"" ARN("s") "\",\"Policy\":\"%s\"}", policy));
    cr_assert_not(f.ctx.err_set, "%s", f.ctx.err_msg);
    out = fx_call(&f, op_get_resource_policy, "GetResourcePolicy", "{\"ResourceARN\":\"" ARN("s") "\"}");
    cr_assert_str_eq(json_string_value(json_object_get(out, "Policy")),
                     "{\"Version\":\"2012-10-17\",\"Statement\":[]}");
    json_decref(out);
    /* the consumer's policy is its own */
    out = fx_call(&f, op_get_resource_policy, "GetResourcePolicy", "{\"ResourceARN\":\"%s\"}", arn);
    cr_assert_str_eq(json_string_value(json_object_get(out, "Policy")), "{}");
    json_decref(out);
    json_decref(fx_call(&f, op_put_resource_policy, "PutResourcePolicy",
                        "{\"ResourceARN\":\"%s\",\"Policy\":\"{}\"}", arn));
    cr_assert_not(f.ctx.err_set, "%s", f.ctx.err_msg);

    fx_error(&f, op_put_resource_policy, "PutResourcePolicy", SIM_ERR_InvalidArgumentException,
             "{\"ResourceARN\":\"" ARN("s") "\",\"Policy\":\"not json\"}");
    fx_error(&f, op_put_resource_policy, "PutResourcePolicy", SIM_ERR_InvalidArgumentException,
             "{\"ResourceARN\":\"" ARN("s") "\",\"Policy\":\"[1]\"}");
    fx_error(&f, op_get_resource_policy, "GetResourcePolicy", SIM_ERR_ResourceNotFoundException,
             "{\"ResourceARN\":\"" ARN("nope") "\"}");

    json_decref(
        fx_call(&f, op_delete_resource_policy, "DeleteResourcePolicy", "{\"ResourceARN\":\"" ARN("s") "\"}"));
    cr_assert_not(f.ctx.err_set, "%s", f.ctx.err_msg);
    out = fx_call(&f, op_get_resource_policy, "GetResourcePolicy", "{\"ResourceARN\":\"" ARN("s") "\"}");
    cr_assert_str_eq(json_string_value(json_object_get(out, "Policy")), "{}");
    json_decref(out);
    json_decref(
        fx_call(&f, op_delete_resource_policy, "DeleteResourcePolicy", "{\"ResourceARN\":\"" ARN("s") "\"}"));
    cr_assert_not(f.ctx.err_set, "deleting no policy succeeds: %s", f.ctx.err_msg);
    free(arn);
}
