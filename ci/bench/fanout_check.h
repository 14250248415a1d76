/* fanout_check.h: the accounting behind the fan-out load (ci/bench/fanout.c), kept apart from its
 * I/O so the bench unit tests (ci/bench/tests/test_fanout.c) can drive it.
 *
 * Every record the load writes carries, in the first 18 bytes of its data, a magic, a unique id
 * and the producer's send time (monotonic microseconds): 24 base64 characters patched into a
 * pre-built PutRecords body. The ledger remembers, per id, what the PutRecords answer said (stored
 * on which shard, failed, or unknown) and, per consumer, on which shard the id was delivered and
 * whether twice. At the end fo_verify says whether each consumer got every acknowledged record of
 * each shard exactly once, and nothing that was not stored; the order is checked as records
 * arrive (sequence numbers strictly increasing per consumer and shard). fo_sub_feed takes the raw
 * bytes of one SubscribeToShard answer (application/vnd.amazon.eventstream, in any chunking) and
 * feeds its records to the ledger. */
#ifndef BENCH_FANOUT_CHECK_H
#define BENCH_FANOUT_CHECK_H

#include <stddef.h>
#include <stdint.h>

#define FO_HDR_RAW 18 /* bytes of the header at the start of each record's data */
#define FO_HDR_B64 24 /* its base64 (18 is a multiple of 3: the rest encodes on its own) */
#define FO_MAX_CONSUMERS 20
#define FO_MAX_SHARDS 64
#define FO_SEQ_MAX 130
#define FO_MAX_IDS ((uint64_t)32 * 1024 * 1024) /* bounds the ledger's memory (1 + consumers bytes/id) */

/* The header's base64 for (id, send_us): exactly FO_HDR_B64 characters, no NUL. */
void fo_hdr_b64(uint64_t id, uint64_t send_us, char out[FO_HDR_B64]);
/* Read the header from a record's base64 data (len characters). 0, or -1 when it is not ours. */
int fo_hdr_parse(const char *b64, size_t len, uint64_t *id, uint64_t *send_us);

/* Compare two sequence numbers (unsigned decimal strings) by value: <0, 0, >0. */
int fo_seq_cmp(const char *a, const char *b);

/* What a PutRecords answer said about an id. */
enum {
    FO_PENDING = 0,    /* no answer (yet): may or may not be stored */
    FO_FAILED = 0xFD,  /* the entry failed (ErrorCode), or the request got a 4xx: not stored */
    FO_UNKNOWN = 0xFE, /* a 5xx or a lost connection: may or may not be stored */
};
#define FO_GOT_DUP 0xFF /* a consumer got the id more than once */

typedef struct fo_ledger {
    int consumers, shards;
    uint64_t n_ids, cap;
    uint8_t *ack;                   /* per id: FO_PENDING, shard + 1, FO_FAILED or FO_UNKNOWN */
    uint8_t *got[FO_MAX_CONSUMERS]; /* per consumer per id: 0, shard + 1, or FO_GOT_DUP */
    long long acked[FO_MAX_SHARDS]; /* records acknowledged per shard */
    long long acked_total;
    long long delivered[FO_MAX_CONSUMERS][FO_MAX_SHARDS]; /* first deliveries */
    long long delivered_total;                            /* every delivery, duplicates too */
    char last_seq[FO_MAX_CONSUMERS][FO_MAX_SHARDS][FO_SEQ_MAX];
    long long dups, misordered, foreign; /* seen as records arrive */
} fo_ledger;

int fo_ledger_init(fo_ledger *l, int consumers, int shards);
void fo_ledger_free(fo_ledger *l);
/* Hand out n consecutive new ids; returns the first, or -1 (no memory, or FO_MAX_IDS reached). */
int64_t fo_ledger_take(fo_ledger *l, int n);
/* Record the outcome of id: stored on shard (0-based), or FO_FAILED / FO_UNKNOWN. */
void fo_ledger_set(fo_ledger *l, uint64_t id, int shard_or_state);

enum { FO_DELIVER_OK, FO_DELIVER_DUP, FO_DELIVER_MISORDERED, FO_DELIVER_FOREIGN };
/* A consumer received record id with sequence number seq on shard. */
int fo_ledger_deliver(fo_ledger *l, int consumer, int shard, uint64_t id, const char *seq);

typedef struct fo_report {
    long long acked;       /* records acknowledged */
    long long expected;    /* acked x consumers */
    long long lost;        /* (consumer, acked record) pairs never delivered */
    long long duplicated;  /* (consumer, record) pairs delivered more than once */
    long long wrong_shard; /* delivered on a shard other than the one PutRecords named */
    long long not_stored;  /* delivered although the answer said the entry failed */
    long long foreign;     /* data without our header, or an id never handed out */
    long long misordered;  /* a sequence number not above the one before it */
    long long uncertain;   /* ids whose PutRecords had no clear answer (either way is fine) */
} fo_report;

/* Check everything. Returns 0 when each consumer got every acknowledged record of each shard
 * exactly once, in order, and nothing that was not stored; 1 otherwise (the counts say why). */
int fo_verify(const fo_ledger *l, fo_report *r);
/* 1 when every consumer has received every record acknowledged so far (cheap when not). */
int fo_caught_up(const fo_ledger *l);

/* Apply a PutRecords answer (status, body) for ids first_id .. first_id + n - 1 in request
 * order. shard_ids names the stream's shards (their index is the ledger's shard). Adds to
 * *acked the entries stored and to *failed those that failed. Returns 0, or -1 when a 200 body
 * cannot be read (every id is then FO_UNKNOWN). */
int fo_put_answer(fo_ledger *l, uint64_t first_id, int n, int status, const char *body, size_t len,
                  char *const *shard_ids, int n_shards, long long *acked, long long *failed);

/* ---- one SubscribeToShard answer ---- */

/* Called for every record delivered: its send time and its data's size in bytes. */
typedef void (*fo_record_fn)(void *ud, uint64_t send_us, size_t data_bytes);

typedef struct fo_sub {
    int consumer, shard;
    uint8_t *buf;
    size_t len, cap;
    int got_initial; /* the initial-response event arrived */
    long long events, records;
    long long bytes; /* everything received */
    int ended;       /* an exception event or the shard's end (null ContinuationSequenceNumber) */
    char error[256]; /* the exception, or why the bytes could not be read */
} fo_sub;

/* Append the bytes and handle every whole message in the buffer. Returns 0, or -1 when the
 * stream cannot be read any more (framing error, a payload that is not the expected JSON, or an
 * exception event; sub->error says which). */
int fo_sub_feed(fo_sub *s, fo_ledger *l, const uint8_t *data, size_t len, fo_record_fn fn, void *ud);
void fo_sub_free(fo_sub *s);

#endif
