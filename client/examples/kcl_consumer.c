/* kcl_consumer.c: an example of libkinesis's KCL-style consumer (kinesis_consumer). It follows every
 * shard of the stream (through resharding, parents first), prints each user record (KPL-aggregated
 * records are de-aggregated) and checkpoints after every batch into a file, so running it again
 * resumes where it stopped. It stops after SECONDS (default 10).
 *
 *   kcl_consumer STREAM CHECKPOINT_FILE [SECONDS]   (endpoint from AWS_ENDPOINT_URL_KINESIS,
 *                                                   AWS_ENDPOINT_URL or KINESIS_ENDPOINT; region and
 *                                                   credentials from the usual AWS_* variables) */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "kinesis/kinesis.h"

static long printed;

static void got(const kinesis_consumer_batch *b, void *user)
{
    (void)user;
    for (size_t i = 0; i < b->count; i++) {
        const kinesis_user_record *r = &b->records[i];
        printf("%s %s/%llu %s: %.*s\n", b->shard_id, r->sequence_number,
               (unsigned long long)r->sub_sequence_number, r->partition_key, (int)r->data_len,
               (const char *)r->data);
        printed++;
    }
    kinesis_consumer_checkpoint(b); /* at least once: a crash before this line means the batch comes again */
}

static void failed(const char *shard_id, kinesis_error *err, void *user)
{
    (void)user;
    fprintf(stderr, "kcl_consumer: %s: %s: %s\n", shard_id ? shard_id : "stream", err->name, err->message);
    kinesis_error_free(err);
}

int main(int argc, char **argv)
{
    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: kcl_consumer STREAM CHECKPOINT_FILE [SECONDS]\n");
        return 2;
    }
    int seconds = argc == 4 ? atoi(argv[3]) : 10;
    kinesis_client_options o = {0}; /* endpoint, region, credentials: as the AWS SDKs find them */
    kinesis_error *err = NULL;
    kinesis_client *c = kinesis_client_new(&o, &err);
    if (!c) {
        fprintf(stderr, "kcl_consumer: %s\n", err->message);
        kinesis_error_free(err);
        return 1;
    }
    kinesis_consumer_options co = {0}; /* polling, TRIM_HORIZON for shards without a checkpoint */
    co.checkpoints = kinesis_checkpoint_store_file(argv[2], &err);
    kinesis_consumer_callbacks cb = {got, NULL, failed, NULL};
    kinesis_consumer *k = co.checkpoints ? kinesis_consumer_new(c, argv[1], &co, &cb, &err) : NULL;
    if (!k || (err = kinesis_consumer_start(k)) != NULL) {
        fprintf(stderr, "kcl_consumer: %s\n", err ? err->message : "out of memory");
        kinesis_error_free(err);
        kinesis_consumer_free(k);
        kinesis_client_free(c);
        return 1;
    }
    time_t end = time(NULL) + seconds;
    while (time(NULL) < end)
        kinesis_client_run(c, 200); /* the consumer's calls and callbacks happen in here */
    fprintf(stderr, "kcl_consumer: %ld records\n", printed);
    kinesis_consumer_free(k);
    kinesis_client_free(c);
    return 0;
}
