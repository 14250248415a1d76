/* consumer.c: an example consumer with libkinesis's asynchronous API. It lists every shard,
 * takes a TRIM_HORIZON iterator for each, and reads all shards at once from one loop
 * (kinesis_client_run), printing each record, until every shard has returned an empty batch (or a
 * closed shard ends). The pattern is the original library's DataConsumer example.
 *
 *   consumer STREAM   (endpoint from AWS_ENDPOINT_URL_KINESIS, AWS_ENDPOINT_URL or KINESIS_ENDPOINT;
 *                     region and credentials as usual) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kinesis/kinesis.h"

typedef struct shard_reader {
    char *shard_id;
    int finished;
    int failed;
} shard_reader;

static int outstanding;
static kinesis_client *client;

static void on_records(kinesis_error *err, kinesis_get_records_result *r, void *user);

static void on_iterator(kinesis_error *err, char *iterator, void *user)
{
    shard_reader *s = user;
    if (err) {
        fprintf(stderr, "consumer: %s: %s: %s\n", s->shard_id, err->name, err->message);
        kinesis_error_free(err);
        s->failed = s->finished = 1;
        outstanding--;
        return;
    }
    if (kinesis_get_records_async(client, iterator, 10, on_records, s) != 0) {
        s->failed = s->finished = 1;
        outstanding--;
    }
    free(iterator);
}

static void on_records(kinesis_error *err, kinesis_get_records_result *r, void *user)
{
    shard_reader *s = user;
    if (err) {
        fprintf(stderr, "consumer: %s: %s: %s\n", s->shard_id, err->name, err->message);
        kinesis_error_free(err);
        s->failed = s->finished = 1;
        outstanding--;
        return;
    }
    for (size_t i = 0; i < r->count; i++)
        printf("%s %s %s %.*s\n", s->shard_id, r->records[i].sequence_number, r->records[i].partition_key,
               (int)r->records[i].data_len, (const char *)r->records[i].data);
    /* Caught up (an empty batch) or the shard is closed and read: this shard is done. */
    if (r->count == 0 || !r->next_shard_iterator ||
        kinesis_get_records_async(client, r->next_shard_iterator, 10, on_records, s) != 0) {
        s->finished = 1;
        outstanding--;
    }
    kinesis_get_records_result_free(r);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: consumer STREAM\n");
        return 2;
    }
    kinesis_global_init();
    kinesis_client_options opts = {0}; /* endpoint, region, credentials: as the AWS SDKs find them */
    kinesis_error *err = NULL;
    client = kinesis_client_new(&opts, &err);
    if (!client) {
        fprintf(stderr, "consumer: %s: %s\n", err->name, err->message);
        kinesis_error_free(err);
        return 1;
    }
    kinesis_shard_list *shards = NULL;
    if ((err = kinesis_get_shards(client, argv[1], &shards)) != NULL) {
        fprintf(stderr, "consumer: %s: %s\n", err->name, err->message);
        kinesis_error_free(err);
        kinesis_client_free(client);
        return 1;
    }
    shard_reader *readers = calloc(shards->count ? shards->count : 1, sizeof *readers);
    for (size_t i = 0; readers && i < shards->count; i++) {
        readers[i].shard_id = shards->shards[i].shard_id;
        if (kinesis_get_shard_iterator_async(client, argv[1], readers[i].shard_id,
                                             KINESIS_ITERATOR_TRIM_HORIZON, NULL, on_iterator,
                                             &readers[i]) == 0)
            outstanding++;
    }
    /* The application's loop: here nothing else to do, so just drive the client. */
    for (int rounds = 0; outstanding > 0 && rounds < 100000; rounds++)
        kinesis_client_run(client, 100);
    int failed = 0;
    for (size_t i = 0; readers && i < shards->count; i++)
        failed |= readers[i].failed;
    free(readers);
    kinesis_shard_list_free(shards);
    kinesis_client_free(client);
    kinesis_global_cleanup();
    return failed ? 1 : 0;
}
