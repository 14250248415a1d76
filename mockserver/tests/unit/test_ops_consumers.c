/* test_ops_consumers.c: enhanced fan-out consumers at the handler level (ops/consumers.c):
 * CREATING -> ACTIVE after the create delay, DELETING -> gone after the delete delay, the ARN
 * with its creation epoch, lookups by ConsumerARN or StreamARN + ConsumerName, the per-stream
 * and CREATING limits, ListStreamConsumers paging and token expiry, DescribeStreamSummary's
 * ConsumerCount, DeleteStream's EnforceConsumerDeletion, and the SubscribeToShard lookup. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops/resources.h"
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
TestSuite(ops_consumers, .init = setup, .fini = teardown);

static char *register_consumer(const char *stream, const char *name)
{
    json_t *out = fx_call(&f, op_register_stream_consumer, "RegisterStreamConsumer",
                          "{\"StreamARN\":\"" ARN("%s") "\",\"ConsumerName\":\"%s\"}", stream, name);
    cr_assert_not_null(out, "RegisterStreamConsumer: %s", f.ctx.err_msg);
    char *arn = strdup(json_string_value(json_object_get(json_object_get(out, "Consumer"), "ConsumerARN")));
    json_decref(out);
    return arn;
}

static const char *status_of(const char *carn)
{
    static char status[16];
    json_t *out =
        fx_call(&f, op_describe_stream_consumer, "DescribeStreamConsumer", "{\"ConsumerARN\":\"%s\"}", carn);
    cr_assert_not_null(out, "DescribeStreamConsumer: %s", f.ctx.err_msg);
    snprintf(
        status, sizeof status, "%s",
        json_string_value(json_object_get(json_object_get(out, "ConsumerDescription"), "ConsumerStatus")));
    json_decref(out);
    return status;
}

Test(ops_consumers, register_is_creating_then_active_with_arn_carrying_epoch)
{
    fx_stream(&f, "s", 1);
    json_t *out = fx_call(&f, op_register_stream_consumer, "RegisterStreamConsumer",
                          "{\"StreamARN\":\"" ARN("s") "\",\"ConsumerName\":\"app\"}");
    cr_assert_not_null(out, "%s", f.ctx.err_msg);
    json_t *c = json_object_get(out, "Consumer");
    char want[256];
    int64_t now = sim_clock_now_ms(f.srv.clock);
    snprintf(want, sizeof want, ARN("s") "/consumer/app:%lld", (long long)(now / 1000));
    cr_assert_str_eq(json_string_value(json_object_get(c, "ConsumerARN")), want);
    cr_assert_str_eq(json_string_value(json_object_get(c, "ConsumerStatus")), "CREATING");
    cr_assert_str_eq(json_string_value(json_object_get(c, "ConsumerName")), "app");
    cr_assert(json_is_number(json_object_get(c, "ConsumerCreationTimestamp")));
    json_decref(out);

    cr_assert_str_eq(status_of(want), "CREATING");
    fx_advance(&f, 501);
    cr_assert_str_eq(status_of(want), "ACTIVE");

    out = fx_call(&f, op_describe_stream_consumer, "DescribeStreamConsumer",
                  "{\"StreamARN\":\"" ARN("s") "\",\"ConsumerName\":\"app\"}");
    cr_assert_not_null(out, "%s", f.ctx.err_msg);
    json_t *d = json_object_get(out, "ConsumerDescription");
    cr_assert_str_eq(json_string_value(json_object_get(d, "StreamARN")), ARN("s"));
    cr_assert_str_eq(json_string_value(json_object_get(d, "ConsumerARN")), want);
    json_decref(out);
}

Test(ops_consumers, duplicate_missing_stream_and_bad_arguments)
{
    fx_stream(&f, "s", 1);
    free(register_consumer("s", "app"));
    fx_error(&f, op_register_stream_consumer, "RegisterStreamConsumer", SIM_ERR_ResourceInUseException,
             "{\"StreamARN\":\"" ARN("s") "\",\"ConsumerName\":\"app\"}");
    fx_error(&f, op_register_stream_consumer, "RegisterStreamConsumer", SIM_ERR_ResourceNotFoundException,
             "{\"StreamARN\":\"" ARN("nope") "\",\"ConsumerName\":\"app\"}");
    fx_error(&f, op_describe_stream_consumer, "DescribeStreamConsumer", SIM_ERR_ResourceNotFoundException,
             "{\"StreamARN\":\"" ARN("s") "\",\"ConsumerName\":\"other\"}");
    fx_error(&f, op_describe_stream_consumer, "DescribeStreamConsumer", SIM_ERR_InvalidArgumentException,
             "{\"ConsumerName\":\"app\"}");
    fx_error(&f, op_describe_stream_consumer, "DescribeStreamConsumer", SIM_ERR_InvalidArgumentException,
             "{\"ConsumerARN\":\"" ARN("s") "\"}");
    /* an ARN with another creation time names an earlier registration: not found */
    fx_error(&f, op_describe_stream_consumer, "DescribeStreamConsumer", SIM_ERR_ResourceNotFoundException,
             "{\"ConsumerARN\":\"" ARN("s") "/consumer/app:12\"}");
    /* a ConsumerARN that contradicts ConsumerName */
    char *arn = register_consumer("s", "b");
    fx_error(&f, op_describe_stream_consumer, "DescribeStreamConsumer", SIM_ERR_InvalidArgumentException,
             "{\"ConsumerARN\":\"%s\",\"ConsumerName\":\"app\"}", arn);
    json_decref(fx_call(&f, op_describe_stream_consumer, "DescribeStreamConsumer",
                        "{\"ConsumerARN\":\"%s\",\"ConsumerName\":\"b\",\"StreamARN\":\"" ARN("s") "\"}",
                        arn));
    cr_assert_not(f.ctx.err_set, "%s", f.ctx.err_msg);
    free(arn);
}

Test(ops_consumers, register_on_creating_stream_is_in_use)
{
    json_decref(fx_call(&f, op_create_stream, "CreateStream", "{\"StreamName\":\"c\",\"ShardCount\":1}"));
    fx_error(&f, op_register_stream_consumer, "RegisterStreamConsumer", SIM_ERR_ResourceInUseException,
             "{\"StreamARN\":\"" ARN("c") "\",\"ConsumerName\":\"app\"}");
}

Test(ops_consumers, deregister_goes_deleting_then_gone_and_name_can_return)
{
    fx_stream(&f, "s", 1);
    char *arn = register_consumer("s", "app");
    fx_advance(&f, 501);
    json_decref(fx_call(&f, op_deregister_stream_consumer, "DeregisterStreamConsumer",
                        "{\"ConsumerARN\":\"%s\"}", arn));
    cr_assert_not(f.ctx.err_set, "%s", f.ctx.err_msg);
    cr_assert_str_eq(status_of(arn), "DELETING");
    fx_advance(&f, 501);
    fx_error(&f, op_describe_stream_consumer, "DescribeStreamConsumer", SIM_ERR_ResourceNotFoundException,
             "{\"ConsumerARN\":\"%s\"}", arn);
    fx_error(&f, op_deregister_stream_consumer, "DeregisterStreamConsumer", SIM_ERR_ResourceNotFoundException,
             "{\"ConsumerARN\":\"%s\"}", arn);
    fx_advance(&f, 2000);
    char *again = register_consumer("s", "app");
    cr_assert_str_neq(again, arn, "a re-registered consumer gets a new ARN");
    free(again);
    free(arn);
}

Test(ops_consumers, twenty_per_stream_and_five_creating)
{
    fx_stream(&f, "s", 1);
    fx_stream(&f, "t", 1);
    char name[32];
    for (int i = 0; i < 5; i++) {
        snprintf(name, sizeof name, "c%02d", i);
        free(register_consumer("s", name));
    }
    const char *msg =
        fx_error(&f, op_register_stream_consumer, "RegisterStreamConsumer", SIM_ERR_LimitExceededException,
                 "{\"StreamARN\":\"" ARN("t") "\",\"ConsumerName\":\"x\"}");
    cr_assert(strstr(msg, "CREATING"), "%s", msg);
    fx_advance(&f, 501);
    for (int i = 5; i < 20; i++) {
        snprintf(name, sizeof name, "c%02d", i);
        free(register_consumer("s", name));
        fx_advance(&f, 501);
    }
    msg = fx_error(&f, op_register_stream_consumer, "RegisterStreamConsumer", SIM_ERR_LimitExceededException,
                   "{\"StreamARN\":\"" ARN("s") "\",\"ConsumerName\":\"x\"}");
    cr_assert(strstr(msg, "20"), "%s", msg);
    free(register_consumer("t", "x")); /* the limit is per stream */

    json_t *out = fx_call(&f, op_describe_stream_summary, "DescribeStreamSummary", "{\"StreamName\":\"s\"}");
    cr_assert_eq(json_integer_value(
                     json_object_get(json_object_get(out, "StreamDescriptionSummary"), "ConsumerCount")),
                 20);
    json_decref(out);
}

Test(ops_consumers, list_pages_sorted_and_token_expires)
{
    fx_stream(&f, "s", 1);
    const char *names[] = {"d", "b", "a", "c", "e"};
    for (int i = 0; i < 5; i++)
        free(register_consumer("s", names[i]));
    json_t *out = fx_call(&f, op_list_stream_consumers, "ListStreamConsumers",
                          "{\"StreamARN\":\"" ARN("s") "\",\"MaxResults\":2}");
    cr_assert_not_null(out, "%s", f.ctx.err_msg);
    json_t *list = json_object_get(out, "Consumers");
    cr_assert_eq(json_array_size(list), 2);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(list, 0), "ConsumerName")), "a");
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(list, 1), "ConsumerName")), "b");
    char *token = strdup(json_string_value(json_object_get(out, "NextToken")));
    json_decref(out);

    out = fx_call(&f, op_list_stream_consumers, "ListStreamConsumers",
                  "{\"StreamARN\":\"" ARN("s") "\",\"NextToken\":\"%s\",\"MaxResults\":10}", token);
    cr_assert_not_null(out, "%s", f.ctx.err_msg);
    list = json_object_get(out, "Consumers");
    cr_assert_eq(json_array_size(list), 3);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(list, 0), "ConsumerName")), "c");
    cr_assert_null(json_object_get(out, "NextToken"));
    json_decref(out);

    fx_error(&f, op_list_stream_consumers, "ListStreamConsumers", SIM_ERR_InvalidArgumentException,
             "{\"StreamARN\":\"" ARN("s") "\",\"NextToken\":\"bm90LWEtdG9rZW4=\"}");
    fx_error(&f, op_list_stream_consumers, "ListStreamConsumers", SIM_ERR_InvalidArgumentException,
             "{\"StreamARN\":\"" ARN("s") "\",\"NextToken\":\"%s\",\"StreamCreationTimestamp\":1}", token);
    fx_error(&f, op_list_stream_consumers, "ListStreamConsumers", SIM_ERR_ResourceNotFoundException,
             "{\"StreamARN\":\"" ARN("s") "\",\"StreamCreationTimestamp\":1}");
    fx_advance(&f, 300001);
    fx_error(&f, op_list_stream_consumers, "ListStreamConsumers", SIM_ERR_ExpiredNextTokenException,
             "{\"StreamARN\":\"" ARN("s") "\",\"NextToken\":\"%s\"}", token);
    free(token);

    out = fx_call(&f, op_list_stream_consumers, "ListStreamConsumers", "{\"StreamARN\":\"" ARN("s") "\"}");
    cr_assert_eq(json_array_size(json_object_get(out, "Consumers")), 5);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(out, "Consumers"), 0),
                                                       "ConsumerStatus")),
                     "ACTIVE");
    json_decref(out);
}

Test(ops_consumers, delete_stream_needs_enforce_consumer_deletion)
{
    fx_stream(&f, "s", 1);
    char *arn = register_consumer("s", "app");
    fx_error(&f, op_delete_stream, "DeleteStream", SIM_ERR_ResourceInUseException, "{\"StreamName\":\"s\"}");
    json_decref(fx_call(&f, op_delete_stream, "DeleteStream",
                        "{\"StreamName\":\"s\",\"EnforceConsumerDeletion\":true}"));
    cr_assert_not(f.ctx.err_set, "%s", f.ctx.err_msg);
    fx_advance(&f, 501);
    fx_stream(&f, "s", 1);
    /* the consumers went with the stream */
    json_t *out =
        fx_call(&f, op_list_stream_consumers, "ListStreamConsumers", "{\"StreamARN\":\"" ARN("s") "\"}");
    cr_assert_eq(json_array_size(json_object_get(out, "Consumers")), 0);
    json_decref(out);
    free(arn);
}

Test(ops_consumers, lookup_by_consumer_arn_for_subscribe_to_shard)
{
    fx_stream(&f, "s", 2);
    char *arn = register_consumer("s", "app");
    store_stream st;
    store_consumer c;
    f.ctx.err_set = 0;
    cr_assert_eq(consumer_lookup_arn(&f.ctx, arn, &st, &c), 0, "%s", f.ctx.err_msg);
    cr_assert_str_eq(st.name, "s");
    cr_assert_str_eq(c.name, "app");
    cr_assert_str_eq(c.status, "CREATING");
    cr_assert_eq(c.stream_id, st.id);
    cr_assert_eq(
        consumer_lookup_arn(&f.ctx, "arn:aws:kinesis:" FX_REGION ":" FX_ACCOUNT ":stream/s", &st, &c), -1);
    cr_assert_eq(f.ctx.err, SIM_ERR_InvalidArgumentException);
    cr_assert_eq(consumer_lookup_arn(&f.ctx, ARN("s") "/consumer/zz:1", &st, &c), -1);
    cr_assert_eq(f.ctx.err, SIM_ERR_ResourceNotFoundException);
    cr_assert_eq(consumer_lookup_arn(
                     &f.ctx, "arn:aws:kinesis:" FX_REGION ":999999999999:stream/s/consumer/app:1", &st, &c),
                 -1);
    cr_assert_eq(f.ctx.err, SIM_ERR_AccessDeniedException);
    free(arn);
}

Test(ops_consumers, arn_parser_accepts_streams_and_consumers_only)
{
    char region[64], account[32], stream[STORE_NAME_MAX], consumer[STORE_NAME_MAX];
    int64_t epoch;
    cr_assert_eq(
        kinesis_arn_parse("arn:aws:kinesis:eu-west-1:123456789012:stream/a.b-c/consumer/x_1:1700000000",
                          region, account, stream, consumer, &epoch),
        0);
    cr_assert_str_eq(region, "eu-west-1");
    cr_assert_str_eq(account, "123456789012");
    cr_assert_str_eq(stream, "a.b-c");
    cr_assert_str_eq(consumer, "x_1");
    cr_assert_eq(epoch, 1700000000);
    cr_assert_eq(kinesis_arn_parse("arn:aws-cn:kinesis:cn-north-1:123456789012:stream/s", region, account,
                                   stream, consumer, &epoch),
                 0);
    cr_assert_str_eq(consumer, "");
    const char *bad[] = {"",
                         "arn:aws:kinesis:r:1:stream/",
                         "arn:aws:kinesis:r:1:stream/s/consumer/c",
                         "arn:aws:kinesis:r:1:stream/s/consumer/c:x",
                         "arn:aws:kinesis:r:1:stream/s/consumer/:1",
                         "arn:aws:sqs:r:1:stream/s",
                         "arn:aws:kinesis:r:1:stream/s/other/c:1",
                         "arn:aws:kinesis:r:1:stream/s p"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert_eq(kinesis_arn_parse(bad[i], region, account, stream, consumer, &epoch), -1, "%s", bad[i]);
}
