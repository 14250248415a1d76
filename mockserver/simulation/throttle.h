/* throttle.h: token buckets for the simulator's throughput limits (docs/design.md;
 * the limits are in docs/aws-behaviour.md). Pure bookkeeping: time is always an argument (simulation-clock
 * milliseconds), nothing here reads a clock, answers a request or knows about JSON.
 *
 * Bucket model: a bucket holds at most `capacity` tokens and gains `rate` tokens per second of
 * simulation time. capacity = 1 second of rate (AWS's per-second limits, with a one-second
 * burst). A demand of `n` tokens is admitted when the bucket holds at least min(n, capacity);
 * the bucket may then go below zero ("debt"), which later demands wait out. That lets one
 * record larger than the bucket (a 1 MiB record with --throttle-scale 0.5) pass when the
 * bucket is full, then throttle the shard until the budget has refilled, as AWS describes for
 * large records.
 *
 * Limits per shard (provisioned and on-demand streams), multiplied by the scale:
 *   write: 1 MiB/s (data + partition key bytes) and 1,000 records/s;
 *   read:  5 GetRecords calls/s and 2 MiB/s; after an answer of at least SIM_READ_BIG_ANSWER
 *          bytes every call for the next SIM_READ_BIG_PENALTY_MS is refused (not scaled);
 *   GetShardIterator: 5 calls/s per shard.
 * On-demand streams additionally share a stream-wide budget: 4 MiB/s and 4,000 records/s of
 * writes and 8 MiB/s of reads (their documented starting capacity).
 * Control-plane operations use one bucket per key (operation + account + region [+ stream])
 * with capacity = 1 s of the operation's TPS.
 *
 * Beside its buckets each shard keeps activity counters (sim_shard_counters: records and bytes in
 * and out, throttled demands) for the console's rolling window (stats.c). The checks above count
 * as they go, on the shard they already looked up, so counting costs no second lookup;
 * sim_throttle_count_write/_read count without checking, for when throttling is off. */
#ifndef SIM_THROTTLE_H
#define SIM_THROTTLE_H

#include <stddef.h>
#include <stdint.h>

#define SIM_MIB (1024.0 * 1024.0)
#define SIM_WRITE_BYTES_PER_S (1.0 * SIM_MIB)
#define SIM_WRITE_RECORDS_PER_S 1000.0
#define SIM_READ_CALLS_PER_S 5.0
#define SIM_READ_BYTES_PER_S (2.0 * SIM_MIB)
#define SIM_ITERATOR_CALLS_PER_S 5.0
#define SIM_ONDEMAND_WRITE_BYTES_PER_S (4.0 * SIM_MIB)
#define SIM_ONDEMAND_WRITE_RECORDS_PER_S 4000.0
#define SIM_ONDEMAND_READ_BYTES_PER_S (8.0 * SIM_MIB)
/* "near 10 MiB": GetRecords answers are capped at 10 MiB; one record can be up to 1 MiB, so an
 * answer of 9 MiB or more is one that hit the cap. */
#define SIM_READ_BIG_ANSWER ((size_t)9 * 1024 * 1024)
#define SIM_READ_BIG_PENALTY_MS 5000

/* ---- one token bucket ---- */
typedef struct sim_bucket {
    double tokens;   /* may be negative (debt) */
    double rate;     /* tokens per second */
    double capacity; /* = rate * 1 s */
    int64_t last_ms; /* time of the last refill */
} sim_bucket;

/* A full bucket of `rate_per_s` tokens per second, capacity one second of rate. */
void sim_bucket_init(sim_bucket *b, double rate_per_s, int64_t now_ms);
/* Add the tokens earned since the last refill (never above capacity). A clock moved backwards
 * earns nothing. */
void sim_bucket_refill(sim_bucket *b, int64_t now_ms);
/* Would a demand of `amount` be admitted now? (refills first, takes nothing) */
int sim_bucket_can_take(sim_bucket *b, double amount, int64_t now_ms);
/* Take `amount` if admitted (see the model above): 1 taken, 0 refused (nothing taken). */
int sim_bucket_try_take(sim_bucket *b, double amount, int64_t now_ms);
/* Take `amount` unconditionally (may go into debt). */
void sim_bucket_charge(sim_bucket *b, double amount, int64_t now_ms);
/* Milliseconds until a demand of `amount` would be admitted (0 when it would be now). */
int64_t sim_bucket_wait_ms(sim_bucket *b, double amount, int64_t now_ms);

/* ---- the table of buckets for every stream, shard and control-plane key ---- */
typedef struct sim_throttle sim_throttle;

/* What one shard did since its entry was made (cumulative; a scale change keeps them). */
typedef struct sim_shard_counters {
    uint64_t records_in, bytes_in;   /* records admitted by the write checks */
    uint64_t records_out, bytes_out; /* records returned by GetRecords */
    uint64_t get_records;            /* GetRecords calls admitted */
    uint64_t throttled_write;        /* records refused by a write limit */
    uint64_t throttled_read;         /* GetRecords and GetShardIterator calls refused */
} sim_shard_counters;

/* Why a demand was refused. */
typedef enum {
    SIM_THR_OK = 0,
    SIM_THR_WRITE_BYTES,   /* shard write bytes/s */
    SIM_THR_WRITE_RECORDS, /* shard write records/s */
    SIM_THR_STREAM_WRITE,  /* on-demand stream-wide write budget */
    SIM_THR_READ_CALLS,    /* shard GetRecords calls/s */
    SIM_THR_READ_BYTES,    /* shard read bytes/s (in debt) */
    SIM_THR_READ_PENALTY,  /* within 5 s of a 10 MiB answer */
    SIM_THR_STREAM_READ,   /* on-demand stream-wide read budget (in debt) */
    SIM_THR_ITERATOR,      /* GetShardIterator calls/s per shard */
    SIM_THR_CONTROL        /* control-plane operation rate */
} sim_throttle_reason;

const char *sim_throttle_reason_name(sim_throttle_reason r);

/* scale multiplies every rate (and so every capacity); must be > 0. NULL on allocation failure. */
sim_throttle *sim_throttle_new(double scale);
void sim_throttle_free(sim_throttle *t);
/* Change the scale; forgets every bucket (they start full at the new rates). */
void sim_throttle_set_scale(sim_throttle *t, double scale);
double sim_throttle_scale(const sim_throttle *t);
/* Forget every bucket (all streams), or those of one stream key. */
void sim_throttle_reset(sim_throttle *t);
void sim_throttle_forget_stream(sim_throttle *t, const char *stream_key);
/* Number of streams and control keys that currently have buckets (for tests and metrics). */
size_t sim_throttle_key_count(const sim_throttle *t);

/* stream_key identifies one stream instance (account, region, name, creation time: the caller
 * builds it); shard is the shard index. */

/* One record of `bytes` (data + partition key) written to a shard: all the shard's (and for
 * on-demand streams the stream's) write buckets must admit it; then all are charged. */
sim_throttle_reason sim_throttle_write(sim_throttle *t, const char *stream_key, int on_demand, uint32_t shard,
                                       size_t bytes, int64_t now_ms);
/* A GetRecords call on a shard, before reading: takes one call token. */
sim_throttle_reason sim_throttle_read_admit(sim_throttle *t, const char *stream_key, int on_demand,
                                            uint32_t shard, int64_t now_ms);
/* After the answer is built: charge its bytes; an answer >= SIM_READ_BIG_ANSWER blocks the
 * shard's reads for SIM_READ_BIG_PENALTY_MS. */
void sim_throttle_read_charge(sim_throttle *t, const char *stream_key, int on_demand, uint32_t shard,
                              size_t bytes, int64_t now_ms);
/* A GetShardIterator call on a shard. */
sim_throttle_reason sim_throttle_iterator(sim_throttle *t, const char *stream_key, uint32_t shard,
                                          int64_t now_ms);
/* Counting only (no bucket is checked or charged), for when throttling is off: a record of
 * `bytes` written; a GetRecords answer of `records` records and `bytes` bytes. */
void sim_throttle_count_write(sim_throttle *t, const char *stream_key, uint32_t shard, size_t bytes,
                              int64_t now_ms);
void sim_throttle_count_read(sim_throttle *t, const char *stream_key, uint32_t shard, uint64_t records,
                             size_t bytes, int64_t now_ms);
/* With throttling on, GetRecords' answer size goes to sim_throttle_read_charge; its record count
 * comes here. */
void sim_throttle_count_records_out(sim_throttle *t, const char *stream_key, uint32_t shard, uint64_t records,
                                    int64_t now_ms);

/* Every shard that has an entry: fn(arg, stream_key, shard index, its counters, slot), where
 * *slot is the caller's own pointer for that shard (NULL at first; stats.c keeps its window there),
 * released with the shard's entry by the function given to sim_throttle_set_slot_free. */
typedef void (*sim_shard_visit)(void *arg, const char *stream_key, uint32_t shard,
                                const sim_shard_counters *c, void **slot);
void sim_throttle_foreach_shard(sim_throttle *t, sim_shard_visit fn, void *arg);
void sim_throttle_set_slot_free(sim_throttle *t, void (*slot_free)(void *));

/* A control-plane call under `key` limited to `tps` per second. */
sim_throttle_reason sim_throttle_control(sim_throttle *t, const char *key, double tps, int64_t now_ms);

#endif
