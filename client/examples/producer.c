/* producer.c: an example producer with libkinesis. It writes one record with put_record, then a
 * batch with put_records, re-sending failed entries with backoff, and reports any entry that
 * still failed. Like the original library's DataProducer example, each record's data is a small
 * JSON document with a counter and the call that wrote it.
 *
 *   producer STREAM [COUNT]   (endpoint from AWS_ENDPOINT_URL_KINESIS, AWS_ENDPOINT_URL or
 *                              KINESIS_ENDPOINT, e.g. http://127.0.0.1:4567; region and credentials
 *                              from the usual AWS_* variables or profile) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kinesis/kinesis.h"

static int report(kinesis_error *err)
{
    fprintf(stderr, "producer: %s %s: %s (HTTP %d, %d attempt(s))\n", kinesis_error_type_name(err->type),
            err->name, err->message, err->http_status, err->attempts);
    kinesis_error_free(err);
    return 1;
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: producer STREAM [COUNT]\n");
        return 2;
    }
    const char *stream = argv[1];
    int count = argc == 3 ? atoi(argv[2]) : 10;
    if (count < 1 || count > 500) {
        fprintf(stderr, "producer: COUNT must be 1..500\n");
        return 2;
    }
    kinesis_global_init();
    kinesis_client_options opts = {0}; /* endpoint, region, credentials: as the AWS SDKs find them */
    kinesis_error *err = NULL;
    kinesis_client *client = kinesis_client_new(&opts, &err);
    if (!client)
        return report(err);

    /* 1. one record */
    char data[128];
    int n = snprintf(data, sizeof data, "{\"value\":%d,\"origin\":\"putRecord\"}", 0);
    kinesis_record one = {data, (size_t)n, "testPartitionKey", NULL, NULL};
    kinesis_put_record_result *res = NULL;
    if ((err = kinesis_put_record(client, stream, &one, &res)) != NULL) {
        kinesis_client_free(client);
        return report(err);
    }
    printf("put_record: %s %s\n", res->shard_id, res->sequence_number);
    kinesis_put_record_result_free(res);

    /* 2. a batch, varied partition keys so records spread over the shards */
    kinesis_record *batch = calloc((size_t)count, sizeof *batch);
    char(*texts)[64] = calloc((size_t)count, sizeof *texts);
    char(*keys)[32] = calloc((size_t)count, sizeof *keys);
    if (!batch || !texts || !keys) {
        fprintf(stderr, "producer: out of memory\n");
        return 1;
    }
    for (int i = 0; i < count; i++) {
        int len = snprintf(texts[i], sizeof texts[i], "{\"value\":%d,\"origin\":\"putRecords\"}", i + 1);
        snprintf(keys[i], sizeof keys[i], "testPartitionKey%d", i);
        batch[i] = (kinesis_record){texts[i], (size_t)len, keys[i], NULL, NULL};
    }
    kinesis_put_records_options po = {.retry_failed = 1};
    kinesis_put_records_result *results = NULL;
    int rc = 0;
    err = kinesis_put_records(client, stream, batch, (size_t)count, &po, &results);
    if (err)
        rc = report(err); /* the whole request failed */
    else {
        printf("put_records: %zu written, %zu failed, %d request(s)\n",
               results->count - results->failed_count, results->failed_count, results->attempts);
        for (size_t i = 0; i < results->count; i++) {
            const kinesis_put_record_result *r = &results->results[i];
            if (r->error_code)
                printf("  record %zu failed: %s: %s\n", i, r->error_code, r->error_message);
        }
        rc = results->failed_count ? 1 : 0;
        kinesis_put_records_result_free(results);
    }
    free(batch);
    free(texts);
    free(keys);
    kinesis_client_free(client);
    kinesis_global_cleanup();
    return rc;
}
