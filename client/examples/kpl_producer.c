/* kpl_producer.c: an example of libkinesis's KPL-style producer (kinesis_producer). It puts COUNT
 * small JSON records with partition keys spread over 100 devices and lets the producer batch,
 * aggregate and rate-limit them; each record's callback counts its outcome. The producer is driven
 * by the client's event loop: the program calls kinesis_client_run() whenever put says the buffer
 * is full, and kinesis_producer_flush_wait() at the end.
 *
 *   kpl_producer STREAM [COUNT]   (endpoint from AWS_ENDPOINT_URL_KINESIS, AWS_ENDPOINT_URL or
 *                                  KINESIS_ENDPOINT, e.g. http://127.0.0.1:4567;
 *                                  region and credentials from the usual AWS_* variables or profile) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kinesis/kinesis.h"

typedef struct tally {
    long ok, failed;
} tally;

static void sent(const kinesis_producer_result *r, void *user)
{
    tally *t = user;
    if (!r->error) {
        t->ok++;
        return;
    }
    if (!t->failed++)
        fprintf(stderr, "kpl_producer: first failure: %s: %s after %d attempt(s)\n", r->error->name,
                r->error->message, r->attempts);
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: kpl_producer STREAM [COUNT]\n");
        return 2;
    }
    long count = argc == 3 ? atol(argv[2]) : 10000;
    kinesis_client_options o = {0}; /* endpoint, region, credentials: as the AWS SDKs find them */
    kinesis_error *err = NULL;
    kinesis_client *c = kinesis_client_new(&o, &err);
    if (!c) {
        fprintf(stderr, "kpl_producer: %s\n", err->message);
        kinesis_error_free(err);
        return 1;
    }
    kinesis_producer_options po = {0}; /* aggregation on, 150% of the shard limits, 100 ms buffering */
    kinesis_producer *p = kinesis_producer_new(c, argv[1], &po, &err);
    if (!p) {
        fprintf(stderr, "kpl_producer: %s\n", err->message);
        kinesis_error_free(err);
        kinesis_client_free(c);
        return 1;
    }
    tally t = {0, 0};
    for (long i = 0; i < count; i++) {
        char data[96], key[32];
        snprintf(data, sizeof data, "{\"device\": %ld, \"reading\": %ld}", i % 100, i);
        snprintf(key, sizeof key, "device-%ld", i % 100);
        kinesis_record rec = {data, strlen(data), key, NULL, NULL};
        int rc;
        while ((rc = kinesis_producer_put(p, &rec, sent, &t)) == KINESIS_PRODUCER_BUSY)
            kinesis_client_run(c, 100); /* backpressure: let the buffer drain */
        if (rc == KINESIS_PRODUCER_INVALID) {
            fprintf(stderr, "kpl_producer: record %ld refused\n", i);
            break;
        }
    }
    int drained = kinesis_producer_flush_wait(p, 60000) == 0;
    kinesis_producer_stats st;
    kinesis_producer_get_stats(p, &st);
    printf("%ld records written in %llu Kinesis records (%llu PutRecords calls), %ld failed%s\n", t.ok,
           (unsigned long long)st.kinesis_records_sent, (unsigned long long)st.put_records_calls, t.failed,
           drained ? "" : ", some still buffered after 60 s");
    kinesis_producer_free(p);
    kinesis_client_free(c);
    return t.failed || !drained ? 1 : 0;
}
