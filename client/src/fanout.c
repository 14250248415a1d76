/* fanout.c: the enhanced fan-out consumers a subscription (subscribe.c) reads through:
 * RegisterStreamConsumer, DeregisterStreamConsumer and a waiter until the consumer is ACTIVE.
 * Blocking helpers over kinesis_call (call.c), with the request and answer bodies in Jansson;
 * anything else about consumers is one kinesis_call away. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "internal.h"

static kinesis_error *bad_arg(const char *what)
{
    return kc_err(KINESIS_ERROR_LIBRARY, KINESIS_ERR_INVALID_PARAMETER, 0, "%s", what);
}

/* Call op with a body of one or two string members (k2 NULL: one); *answer is the parsed JSON
 * object (json_decref it) when wanted. */
static kinesis_error *call_json(kinesis_client *client, const char *op, json_t **answer, const char *k1,
                                const char *v1, const char *k2, const char *v2)
{
    if (answer)
        *answer = NULL;
    json_t *in = json_object();
    int bad = !in || json_object_set_new(in, k1, json_string(v1)) != 0 ||
              (k2 && json_object_set_new(in, k2, json_string(v2)) != 0);
    char *body = bad ? NULL : json_dumps(in, JSON_COMPACT);
    json_decref(in);
    if (!body)
        return bad ? bad_arg("Wrong type of argument: not valid UTF-8") : kc_err_nomem();
    char *resp = NULL;
    kinesis_error *err = kinesis_call(client, op, body, &resp);
    free(body);
    if (!err && answer) {
        *answer = json_loads(resp, 0, NULL);
        if (!json_is_object(*answer)) {
            json_decref(*answer);
            *answer = NULL;
            err = kc_err(KINESIS_ERROR_UNEXPECTED_RESPONSE, KINESIS_ERR_MALFORMED, 200,
                         "%s answer is not a JSON object", op);
        }
    }
    free(resp);
    return err;
}

/* answer.<outer>.<inner> as a non-empty string, or NULL. */
static const char *nested_str(json_t *answer, const char *outer, const char *inner)
{
    json_t *v = json_object_get(json_object_get(answer, outer), inner);
    return json_is_string(v) && json_string_length(v) > 0 ? json_string_value(v) : NULL;
}

kinesis_error *kinesis_register_stream_consumer(kinesis_client *client, const char *stream_arn,
                                                const char *consumer_name, char **consumer_arn)
{
    if (consumer_arn)
        *consumer_arn = NULL;
    if (!client)
        return bad_arg("Non empty argument required: client");
    if (!consumer_arn)
        return bad_arg("Non empty argument required: consumer_arn");
    if (!stream_arn || !*stream_arn)
        return bad_arg("Non empty argument required: stream_arn");
    if (!consumer_name || !*consumer_name)
        return bad_arg("Non empty argument required: consumer_name");
    json_t *out = NULL;
    kinesis_error *err = call_json(client, "RegisterStreamConsumer", &out, "StreamARN", stream_arn,
                                   "ConsumerName", consumer_name);
    if (!err) {
        const char *arn = nested_str(out, "Consumer", "ConsumerARN");
        if (!arn)
            err = kc_err(KINESIS_ERROR_UNEXPECTED_RESPONSE, KINESIS_ERR_MALFORMED, 200,
                         "RegisterStreamConsumer answer lacks Consumer.ConsumerARN");
        else if (!(*consumer_arn = kc_strdup(arn)))
            err = kc_err_nomem();
    }
    json_decref(out);
    return err;
}

kinesis_error *kinesis_deregister_stream_consumer(kinesis_client *client, const char *consumer_arn)
{
    if (!client)
        return bad_arg("Non empty argument required: client");
    if (!consumer_arn || !*consumer_arn)
        return bad_arg("Non empty argument required: consumer_arn");
    return call_json(client, "DeregisterStreamConsumer", NULL, "ConsumerARN", consumer_arn, NULL, NULL);
}

kinesis_error *kinesis_wait_for_consumer_active(kinesis_client *client, const char *consumer_arn,
                                                int64_t timeout_ms, int64_t poll_ms)
{
    if (!client)
        return bad_arg("Non empty argument required: client");
    if (!consumer_arn || !*consumer_arn)
        return bad_arg("Non empty argument required: consumer_arn");
    if (timeout_ms < 0 || poll_ms < 0)
        return bad_arg("Wrong type of argument: timeout_ms and poll_ms must not be negative");
    if (timeout_ms == 0)
        timeout_ms = 180000;
    if (poll_ms == 0)
        poll_ms = 1000;
    int64_t deadline = client->now(client->time_user) + timeout_ms;
    for (;;) {
        json_t *out = NULL;
        kinesis_error *err =
            call_json(client, "DescribeStreamConsumer", &out, "ConsumerARN", consumer_arn, NULL, NULL);
        if (err)
            return err;
        const char *status = nested_str(out, "ConsumerDescription", "ConsumerStatus");
        if (!status) {
            json_decref(out);
            return kc_err(KINESIS_ERROR_UNEXPECTED_RESPONSE, KINESIS_ERR_MALFORMED, 200,
                          "DescribeStreamConsumer answer lacks ConsumerDescription.ConsumerStatus");
        }
        if (strcmp(status, "ACTIVE") == 0) {
            json_decref(out);
            return NULL;
        }
        if (client->now(client->time_user) + poll_ms > deadline) {
            err = kc_err(KINESIS_ERROR_LIBRARY, KINESIS_ERR_TIMEOUT, 0, "consumer %s still %s after %lld ms",
                         consumer_arn, status, (long long)timeout_ms);
            json_decref(out);
            return err;
        }
        json_decref(out);
        client->sleep_ms(poll_ms, client->time_user);
    }
}
