/* test_ops_tags.c: AddTagsToStream, ListTagsForStream (paging) and RemoveTagsFromStream called
 * directly on an in-memory store: the 50-tag limit and the character rules with AWS's messages. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "ops_fixture.h"

static fx F;
static void setup(void)
{
    fx_init(&F, ":memory:");
}
static void teardown(void)
{
    fx_fini(&F);
}
TestSuite(ops_tags, .init = setup, .fini = teardown);

Test(ops_tags, add_list_page_remove)
{
    fx_stream(&F, "s", 1);
    json_decref(fx_call(&F, op_add_tags_to_stream, "AddTagsToStream",
                        "{\"StreamName\":\"s\",\"Tags\":{\"b\":\"2\",\"a\":\"1\",\"c\":\"\"}}"));
    json_t *out =
        fx_call(&F, op_list_tags_for_stream, "ListTagsForStream", "{\"StreamName\":\"s\",\"Limit\":2}");
    json_t *tags = json_object_get(out, "Tags");
    cr_assert_eq(json_array_size(tags), 2);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(tags, 0), "Key")), "a");
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(tags, 0), "Value")), "1");
    cr_assert(json_is_true(json_object_get(out, "HasMoreTags")));
    json_decref(out);
    out = fx_call(&F, op_list_tags_for_stream, "ListTagsForStream",
                  "{\"StreamName\":\"s\",\"ExclusiveStartTagKey\":\"b\"}");
    tags = json_object_get(out, "Tags");
    cr_assert_eq(json_array_size(tags), 1);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(tags, 0), "Key")), "c");
    cr_assert(json_is_false(json_object_get(out, "HasMoreTags")));
    json_decref(out);
    json_decref(fx_call(&F, op_add_tags_to_stream, "AddTagsToStream",
                        "{\"StreamName\":\"s\",\"Tags\":{\"a\":\"new\"}}"));
    json_decref(fx_call(&F, op_remove_tags_from_stream, "RemoveTagsFromStream",
                        "{\"StreamName\":\"s\",\"TagKeys\":[\"b\",\"zz\"]}"));
    out = fx_call(&F, op_list_tags_for_stream, "ListTagsForStream", "{\"StreamName\":\"s\"}");
    tags = json_object_get(out, "Tags");
    cr_assert_eq(json_array_size(tags), 2);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(tags, 0), "Value")), "new");
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(tags, 1), "Key")), "c");
    json_decref(out);
}

Test(ops_tags, tags_given_at_create_are_listed)
{
    json_decref(fx_call(&F, op_create_stream, "CreateStream",
                        "{\"StreamName\":\"s\",\"ShardCount\":1,\"Tags\":{\"team\":\"x\"}}"));
    fx_advance(&F, 500);
    json_t *out = fx_call(&F, op_list_tags_for_stream, "ListTagsForStream", "{\"StreamName\":\"s\"}");
    cr_assert_str_eq(
        json_string_value(json_object_get(json_array_get(json_object_get(out, "Tags"), 0), "Key")), "team");
    json_decref(out);
}

Test(ops_tags, more_than_fifty_tags_is_rejected)
{
    fx_stream(&F, "s", 1);
    char body[4096] = "{\"StreamName\":\"s\",\"Tags\":{";
    for (int i = 0; i < 50; i++) {
        char kv[32];
        snprintf(kv, sizeof kv, "%s\"k%d\":\"v\"", i ? "," : "", i);
        strcat(body, kv);
    }
    strcat(body, "}}");
    json_decref(fx_call(&F, op_add_tags_to_stream, "AddTagsToStream", "%s", body));
    json_decref(fx_call(&F, op_add_tags_to_stream, "AddTagsToStream",
                        "{\"StreamName\":\"s\",\"Tags\":{\"k0\":\"w\"}}"));
    const char *msg = fx_error(&F, op_add_tags_to_stream, "AddTagsToStream", SIM_ERR_InvalidArgumentException,
                               "{\"StreamName\":\"s\",\"Tags\":{\"one-more\":\"v\"}}");
    cr_assert_str_eq(msg, "Failed to add tags to stream s under account " FX_ACCOUNT
                          " because a given stream cannot have more than 50 tags associated with it.");
}

Test(ops_tags, invalid_characters_are_rejected)
{
    fx_stream(&F, "s", 1);
    const char *msg = fx_error(&F, op_add_tags_to_stream, "AddTagsToStream", SIM_ERR_InvalidArgumentException,
                               "{\"StreamName\":\"s\",\"Tags\":{\"a;b\":\"v\"}}");
    cr_assert_str_eq(
        msg, "Some tags contain invalid characters. Valid characters: Unicode letters, digits, white space, "
             "_ . / = + - % @ :.");
    msg = fx_error(&F, op_add_tags_to_stream, "AddTagsToStream", SIM_ERR_InvalidArgumentException,
                   "{\"StreamName\":\"s\",\"Tags\":{\"a%%b\":\"v\"}}");
    cr_assert(strstr(msg, "because some tags contained illegal characters"), "%s", msg);
    json_decref(fx_call(&F, op_add_tags_to_stream, "AddTagsToStream",
                        "{\"StreamName\":\"s\",\"Tags\":{\"k/=+-@: ._\":\"\u00e9\"}}"));
}

Test(ops_tags, creating_stream_is_not_found)
{
    json_decref(fx_call(&F, op_create_stream, "CreateStream", "{\"StreamName\":\"s\",\"ShardCount\":1}"));
    const char *msg = fx_error(&F, op_list_tags_for_stream, "ListTagsForStream",
                               SIM_ERR_ResourceNotFoundException, "{\"StreamName\":\"s\"}");
    cr_assert_str_eq(msg, "Stream s under account " FX_ACCOUNT " not found.");
}
