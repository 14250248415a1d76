/* producer_bench.c: records/s that libkinesis's producer (kinesis_producer) writes into an
 * endpoint, for `make bench-producer` (ci/bench/producer-run starts kinesis-sim with --throttle off
 * and runs this several times, aggregated and not, and prints the medians).
 *
 *   producer-bench ENDPOINT STREAM SECONDS SIZE agg|noagg
 *
 * Puts SIZE-byte records with 1,000 partition keys as fast as the producer takes them for SECONDS,
 * waits for every callback, and prints one line:
 *   mode=agg size=100 seconds=5.00 records=123456 failed=0 records_per_s=24691 kinesis_records=...
 * The records/s counts user records whose callback reported success within the timed window. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kinesis/kinesis.h"

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

typedef struct tally {
    long long ok, failed;
} tally;

static void sent(const kinesis_producer_result *r, void *user)
{
    tally *t = user;
    if (r->error)
        t->failed++;
    else
        t->ok++;
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: producer-bench ENDPOINT STREAM SECONDS SIZE agg|noagg\n");
        return 2;
    }
    double seconds = atof(argv[3]);
    size_t size = (size_t)atol(argv[4]);
    int aggregate = strcmp(argv[5], "agg") == 0;
    if (seconds <= 0 || size < 1 || size > 100000) {
        fprintf(stderr, "producer-bench: bad SECONDS or SIZE\n");
        return 2;
    }
    kinesis_client_options o = {0};
    o.endpoint = argv[1];
    o.region = "us-east-1";
    o.access_key_id = "AKIDEXAMPLE";
    o.secret_access_key = "bench";
    kinesis_error *err = NULL;
    kinesis_client *c = kinesis_client_new(&o, &err);
    if (!c) {
        fprintf(stderr, "producer-bench: %s\n", err->message);
        return 1;
    }
    kinesis_producer_options po = {0};
    po.disable_aggregation = !aggregate;
    po.rate_limit_percent = 100000; /* the simulator runs with --throttle off: no shard limit to respect */
    po.max_buffered_bytes = 16 * 1024 * 1024;
    po.max_inflight_per_shard = 4;
    kinesis_producer *p = kinesis_producer_new(c, argv[2], &po, &err);
    if (!p) {
        fprintf(stderr, "producer-bench: %s\n", err->message);
        return 1;
    }
    char *data = malloc(size);
    memset(data, 'x', size);
    tally t = {0, 0};
    long long n = 0;
    int64_t t0 = mono_ms(), end = t0 + (int64_t)(seconds * 1000);
    while (mono_ms() < end) {
        char key[16];
        snprintf(key, sizeof key, "k%lld", n % 1000);
        kinesis_record r = {data, size, key, NULL, NULL};
        int rc = kinesis_producer_put(p, &r, sent, &t);
        if (rc == KINESIS_PRODUCER_OK)
            n++;
        else
            kinesis_client_run(c, 1);
        if ((n & 255) == 0)
            kinesis_client_run(c, 0);
    }
    long long ok_in_window = t.ok;
    double elapsed = (double)(mono_ms() - t0) / 1000.0;
    kinesis_producer_flush_wait(p, 60000);
    kinesis_producer_stats st;
    kinesis_producer_get_stats(p, &st);
    printf("mode=%s size=%zu seconds=%.2f records=%lld failed=%lld records_per_s=%.0f kinesis_records=%llu "
           "calls=%llu\n",
           aggregate ? "agg" : "noagg", size, elapsed, t.ok, t.failed, (double)ok_in_window / elapsed,
           (unsigned long long)st.kinesis_records_sent, (unsigned long long)st.put_records_calls);
    kinesis_producer_free(p);
    kinesis_client_free(c);
    free(data);
    return t.failed ? 1 : 0;
}
