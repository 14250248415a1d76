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
    /* the messages and sets of kinesalite's addTagsToStream.js and removeTagsFromStream.js (recorded
     * against AWS): no ':' in the lists, tab and newline are not white space, '%' has its own answer */
    fx_stream(&F, "s", 1);
    const char *bad[] = {"a;b", "a,b", "a\\tb", "a\\nb", "a:b"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *msg =
            fx_error(&F, op_add_tags_to_stream, "AddTagsToStream", SIM_ERR_InvalidArgumentException,
                     "{\"StreamName\":\"s\",\"Tags\":{\"%s\":\"v\"}}", bad[i]);
        cr_assert_str_eq(msg,
                         "Some tags contain invalid characters. Valid characters: Unicode letters, digits, "
                         "white space, _ . / = + - % @.",
                         "key %s", bad[i]);
        msg = fx_error(&F, op_add_tags_to_stream, "AddTagsToStream", SIM_ERR_InvalidArgumentException,
                       "{\"StreamName\":\"s\",\"Tags\":{\"a\":\"%s\"}}", bad[i]);
        cr_assert(strstr(msg, "Some tags contain invalid characters."), "value %s: %s", bad[i], msg);
    }
    const char *msg = fx_error(&F, op_add_tags_to_stream, "AddTagsToStream", SIM_ERR_InvalidArgumentException,
                               "{\"StreamName\":\"s\",\"Tags\":{\"a%%b\":\"v\"}}");
    cr_assert_str_eq(msg,
                     "Failed to add tags to stream s under account " FX_ACCOUNT
                     " because some tags contained illegal characters. The allowed characters are Unicode "
                     "letters, white-spaces, '_',',','/','=','+','-','@'.");
    msg = fx_error(&F, op_remove_tags_from_stream, "RemoveTagsFromStream", SIM_ERR_InvalidArgumentException,
                   "{\"StreamName\":\"s\",\"TagKeys\":[\"a%%b\"]}");
    cr_assert_str_eq(msg,
                     "Failed to remove tags from stream s under account " FX_ACCOUNT
                     " because some tags contained illegal characters. The allowed characters are Unicode "
                     "letters, white-spaces, '_',',','/','=','+','-','@'.");
    msg = fx_error(&F, op_remove_tags_from_stream, "RemoveTagsFromStream", SIM_ERR_InvalidArgumentException,
                   "{\"StreamName\":\"s\",\"TagKeys\":[\"a\\tb\"]}");
    cr_assert(strstr(msg, "Some tags contain invalid characters."), "%s", msg);
    json_decref(fx_call(&F, op_add_tags_to_stream, "AddTagsToStream",
                        "{\"StreamName\":\"s\",\"Tags\":{\"k/=+-@ ._\":\"\u00fc0 _./=+-@\"}}"));
}

Test(ops_tags, tag_resource_allows_colon_and_reserves_aws_prefix)
{
    /* TagResource's page lists "_ . : / = + - @"; keys may not start with aws: (tagging pages) */
    fx_stream(&F, "s", 1);
    const char *arn = "arn:aws:kinesis:" FX_REGION ":" FX_ACCOUNT ":stream/s";
    json_decref(fx_call(&F, op_tag_resource, "TagResource",
                        "{\"ResourceARN\":\"%s\",\"Tags\":{\"team:name\":\"a:b\"}}", arn));
    const char *msg = fx_error(&F, op_tag_resource, "TagResource", SIM_ERR_InvalidArgumentException,
                               "{\"ResourceARN\":\"%s\",\"Tags\":{\"aws:owner\":\"x\"}}", arn);
    cr_assert(strstr(msg, "aws:"), "%s", msg);
    msg = fx_error(&F, op_tag_resource, "TagResource", SIM_ERR_InvalidArgumentException,
                   "{\"ResourceARN\":\"%s\",\"Tags\":{\"a\\tb\":\"x\"}}", arn);
    cr_assert(strstr(msg, "Some tags contain invalid characters."), "%s", msg);
}

Test(ops_tags, create_stream_tags_are_checked)
{
    /* CreateStream takes "up to 50" tags (the model's CreateStream Tags), in the stream API's characters */
    char body[4096];
    size_t len = (size_t)snprintf(body, sizeof body, "{\"StreamName\":\"s\",\"ShardCount\":1,\"Tags\":{");
    for (int i = 0; i < 51; i++)
        len += (size_t)snprintf(body + len, sizeof body - len, "%s\"k%d\":\"v\"", i ? "," : "", i);
    snprintf(body + len, sizeof body - len, "}}");
    const char *msg =
        fx_error(&F, op_create_stream, "CreateStream", SIM_ERR_InvalidArgumentException, "%s", body);
    cr_assert(strstr(msg, "cannot have more than 50 tags"), "%s", msg);
    msg = fx_error(&F, op_create_stream, "CreateStream", SIM_ERR_InvalidArgumentException,
                   "{\"StreamName\":\"s\",\"ShardCount\":1,\"Tags\":{\"a\\tb\":\"v\"}}");
    cr_assert(strstr(msg, "Some tags contain invalid characters."), "%s", msg);
    /* 50 are fine */
    len = (size_t)snprintf(body, sizeof body, "{\"StreamName\":\"s\",\"ShardCount\":1,\"Tags\":{");
    for (int i = 0; i < 50; i++)
        len += (size_t)snprintf(body + len, sizeof body - len, "%s\"k%d\":\"v\"", i ? "," : "", i);
    snprintf(body + len, sizeof body - len, "}}");
    json_decref(fx_call(&F, op_create_stream, "CreateStream", "%s", body));
}

Test(ops_tags, creating_stream_is_not_found)
{
    json_decref(fx_call(&F, op_create_stream, "CreateStream", "{\"StreamName\":\"s\",\"ShardCount\":1}"));
    const char *msg = fx_error(&F, op_list_tags_for_stream, "ListTagsForStream",
                               SIM_ERR_ResourceNotFoundException, "{\"StreamName\":\"s\"}");
    cr_assert_str_eq(msg, "Stream s under account " FX_ACCOUNT " not found.");
}
