/* fuzz_client.c: libFuzzer harness for the client's response parsing (client/src/codec.c) and its
 * shared credentials file reader (client/src/config.c): what libkinesis does with bytes a server
 * or a file gives it.
 *
 * The input is an answer body (seeds in corpus/client/ are answers of each operation, and a few
 * credentials files). It is fed to every response parser as a 2xx body and to
 * kc_error_from_answer as an error body; each returns a result or an UNEXPECTED_RESPONSE error,
 * never both, and a parser that fails leaves its output empty. It is also read as a credentials
 * file for the profile "default". */
#include <string.h>

#include "fuzz.h"
#include "internal.h"

static void check_err(kinesis_error *err)
{
    if (!err)
        return;
    FUZZ_CHECK(err->name != NULL || err->message != NULL);
    if (err != kc_err_nomem())
        kinesis_error_free(err);
}

static void parse_all(const char *body, size_t len)
{
    kinesis_put_record_result *one = NULL;
    kinesis_error *err = kc_parse_put_record(body, len, &one);
    FUZZ_CHECK(!err || !one);
    if (one)
        FUZZ_CHECK(one->shard_id && one->sequence_number);
    check_err(err);
    kinesis_put_record_result_free(one);

    /* PutRecords answers for 1..3 sent entries, written in reverse order through idx. */
    for (size_t n = 1; n <= 3; n++) {
        kinesis_put_record_result res[3];
        memset(res, 0, sizeof res);
        size_t idx[3] = {2, 1, 0}, failed = 99;
        err = kc_parse_put_records(body, len, n, idx + (3 - n), res, &failed);
        if (!err)
            FUZZ_CHECK(failed <= n);
        for (size_t i = 0; i < 3; i++) {
            if (err)
                FUZZ_CHECK(!res[i].shard_id && !res[i].error_code);
            free(res[i].shard_id);
            free(res[i].sequence_number);
            free(res[i].error_code);
            free(res[i].error_message);
        }
        check_err(err);
    }

    /* the lists are the caller's heap objects (their _free releases the list too) */
    kinesis_shard_list *shards = calloc(1, sizeof *shards);
    char *next = NULL;
    if (shards) {
        err = kc_parse_list_shards(body, len, shards, &next);
        FUZZ_CHECK(!err || shards->count == 0);
        check_err(err);
        free(next);
        kinesis_shard_list_free(shards);
    }

    char *iter = NULL;
    err = kc_parse_get_shard_iterator(body, len, &iter);
    FUZZ_CHECK(!err || !iter);
    check_err(err);
    free(iter);

    kinesis_get_records_result *gr = NULL;
    err = kc_parse_get_records(body, len, &gr);
    FUZZ_CHECK(!err || !gr);
    check_err(err);
    kinesis_get_records_result_free(gr);

    kinesis_stream_summary *sum = NULL;
    err = kc_parse_describe_stream_summary(body, len, &sum);
    FUZZ_CHECK(!err || !sum);
    check_err(err);
    kinesis_stream_summary_free(sum);

    kinesis_string_list *names = calloc(1, sizeof *names);
    int more = -1;
    next = NULL;
    if (names) {
        err = kc_parse_list_streams(body, len, names, &more, &next);
        check_err(err);
        free(next);
        kinesis_string_list_free(names);
    }

    err = kc_error_from_answer(400, body, len, "req-1", NULL);
    FUZZ_CHECK(err != NULL);
    check_err(err);
    err = kc_error_from_answer(503, body, len, NULL, "ThrottlingException:http://internal.amazon.com/");
    FUZZ_CHECK(err != NULL);
    check_err(err);
}

FUZZ_ENTRY(client)
{
    char *body = fuzz_cstr(data, size);
    if (!body)
        return 0;
    parse_all(body, size);
    kc_credentials c;
    memset(&c, 0, sizeof c);
    kinesis_error *err = kc_parse_credentials_file(body, "default", "fuzz-credentials", &c);
    if (!err)
        FUZZ_CHECK(c.access_key_id && c.secret_access_key);
    check_err(err);
    kc_credentials_clean_up(&c);
    free(body);
    return 0;
}
