/* ops/resources.h: helpers shared by the operation handlers (ops_*.c): the per-request store
 * transaction, resolving StreamName/StreamARN to a stored stream, lazy state transitions
 * computed from the simulation clock (no timers), ARNs, shard JSON, sequence-number strings,
 * and opaque NextTokens; retention, consumers, resource ARNs, monitoring metric names and tag
 * characters. Rules and AWS's messages that more than one handler needs live here so they
 * are written once. */
#ifndef SIM_STREAMS_H
#define SIM_STREAMS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "server/sim.h"
#include "store/store.h"
#include "wire/ids.h"

#define STREAM_ARN_MAX 320
#define NEXT_TOKEN_TTL_MS 300000
/* ListShards' and ListStreamConsumers' words for an expired token (ListStreams has its own). */
#define NEXT_TOKEN_EXPIRED_MSG "Token has expired. NextToken was issued more than 300 seconds ago."
#define ITERATOR_TTL_MS 300000

/* ---- per-request transaction ---- */
/* Begin the request's store transaction (InternalFailure on failure). */
int ops_begin(sim_ctx *ctx);
/* Commit when rc == 0, roll back otherwise; returns rc, or -1 after a failed commit
 * (the answer is then an InternalFailure and *out is released). */
int ops_end(sim_ctx *ctx, int rc, json_t **out);
/* Fail with InternalFailureException for a store error. */
int ops_store_fail(sim_ctx *ctx);

/* ---- resolving streams ---- */
enum {
    STREAM_ANY = 0,           /* every state visible (Describe*, ListShards) */
    STREAM_HIDE_CREATING = 1, /* a CREATING stream answers ResourceNotFound */
    STREAM_HIDE_DELETING = 2, /* a DELETING stream answers ResourceNotFound */
};

/* Resolve in's StreamName and/or StreamARN (either may be absent, not both) to a stream of the
 * caller's account and region, applying due transitions. 0 ok, -1 after sim_fail. */
int stream_lookup(sim_ctx *ctx, json_t *in, int flags, store_stream *st);
/* Find by name in the caller's account/region after transitions: 0 found, 1 not found, -1 error. */
int stream_find(sim_ctx *ctx, const char *name, store_stream *st);
/* Apply a due CREATING->ACTIVE, UPDATING->ACTIVE or DELETING->(gone) transition.
 * Returns 0 (still exists), 1 (deleted now) or -1 (store error). */
int stream_settle(sim_ctx *ctx, store_stream *st);
/* ResourceInUseException "Stream X under account Y not ACTIVE, instead in state Z" unless ACTIVE. */
int stream_require_active(sim_ctx *ctx, const store_stream *st);
/* "Stream X under account Y not found." */
int stream_not_found(sim_ctx *ctx, const char *name);
void stream_arn(const sim_ctx *ctx, const char *name, char out[STREAM_ARN_MAX]);

/* ---- shards ---- */
/* Load the stream's shards as they are at ctx->now_ms: not yet those created later (a CREATING
 * stream's, a reshard's children while the stream is UPDATING), and still open those closed later.
 * -1 after sim_fail. Caller frees *shards. */
int stream_shards(sim_ctx *ctx, const store_stream *st, store_shard **shards, size_t *n);
/* The shard with this index, or NULL. */
store_shard *shard_by_index(store_shard *shards, size_t n, uint32_t index);
/* The open shard whose hash range holds h, or NULL. */
store_shard *shard_for_hash(store_shard *shards, size_t n, u128 h);
/* StartingSequenceNumber / EndingSequenceNumber / a record's number. */
void shard_start_seq(const store_shard *sh, char out[SEQNUM_MAX]);
void shard_end_seq(const store_shard *sh, char out[SEQNUM_MAX]);
void record_seq(const store_shard *sh, uint64_t counter, int64_t arrival_ms, char out[SEQNUM_MAX]);
/* Shard as the model's Shard shape. */
json_t *shard_json(const store_shard *sh);
/* The ChildShards list of a closed shard (GetRecords at its end, SubscribeToShard's last event): every
 * shard of the stream whose parent or adjacent parent is `parent`, with its parents and hash range. */
json_t *child_shards_json(const store_shard *shards, size_t n, uint32_t parent);
/* The counter EndingSequenceNumber carries (above every record's). */
#define SHARD_END_COUNTER UINT64_C(0x7fffffffffffffff)

/* ---- epoch seconds with a millisecond fraction, as a JSON number ---- */
json_t *epoch_seconds_json(int64_t ms);
/* Read a Timestamp member (JSON number of epoch seconds) into ms; -1 when not a number. */
int epoch_ms_from_json(const json_t *v, int64_t *ms);

/* ---- opaque, authenticated NextTokens (ListStreams, ListShards, ListStreamConsumers) ----
 * The token carries a JSON object plus its issue time, with an HMAC under the server key. */
/* Returns a malloc'd token or NULL. */
char *next_token_make(const sim_ctx *ctx, json_t *payload);
/* 0 ok (*payload set), -1 malformed or forged, -2 expired (*issued_ms set). */
int next_token_read(const sim_ctx *ctx, const char *token, json_t **payload, int64_t *issued_ms);
/* A request's NextToken, or the request's error: 0 with *payload (the caller decrefs), or -1 after
 * sim_fail with ExpiredNextTokenException (expired_msg: each operation words it its own way) or
 * InvalidArgumentException "Invalid NextToken." (malformed or forged). */
int next_token_take(sim_ctx *ctx, const char *token, const char *expired_msg, json_t **payload);
/* The answer to a token that decoded but does not fit the request: releases payload and fails
 * with InvalidArgumentException "Invalid NextToken."; returns -1. */
int next_token_invalid(sim_ctx *ctx, json_t *payload);

/* ---- retention (records older than now - retention are gone) ---- */
/* now - RetentionPeriodHours: records that arrived before this are expired. */
int64_t stream_trim_horizon_ms(const sim_ctx *ctx, const store_stream *st);
/* A closed shard whose closed_ms + retention has passed: it no longer shows in DescribeStream or
 * ListShards and cannot be read (children still name it as their parent). */
int shard_expired(const sim_ctx *ctx, const store_stream *st, const store_shard *sh);
/* Physical trimming, done cheaply inside write transactions: after every RETENTION_TRIM_EVERY-th
 * record of a shard, delete up to RETENTION_TRIM_BATCH expired records of that shard and of each
 * closed shard of the stream. 0, or -1 after sim_fail. */
#define RETENTION_TRIM_EVERY 64
#define RETENTION_TRIM_BATCH 256
int stream_trim(sim_ctx *ctx, const store_stream *st, const store_shard *shards, size_t n,
                uint32_t shard_index);

/* ---- ARNs of streams and consumers ---- */
#define CONSUMER_ARN_MAX 640
/* Split arn:<partition>:kinesis:<region>:<account>:stream/<name>[/consumer/<c>:<epoch s>].
 * consumer is set to "" for a stream ARN. 0 ok, -1 when it is neither. */
int kinesis_arn_parse(const char *arn, char region[64], char account[32], char stream[STORE_NAME_MAX],
                      char consumer[STORE_NAME_MAX], int64_t *consumer_epoch_s);

/* ---- enhanced fan-out consumers ---- */
/* arn:aws:kinesis:<region>:<account>:stream/<stream>/consumer/<name>:<created_ms / 1000> */
void consumer_arn(const sim_ctx *ctx, const char *stream, const store_consumer *c,
                  char out[CONSUMER_ARN_MAX]);
/* Apply a due CREATING->ACTIVE or DELETING->(gone) transition: 0 exists, 1 deleted now, -1 error. */
int consumer_settle(sim_ctx *ctx, store_consumer *c);
/* The stream's consumers after transitions (malloc'd; free()). 0, or -1 after sim_fail. */
int stream_consumers(sim_ctx *ctx, const store_stream *st, store_consumer **out, size_t *n);
/* The consumer `name` of st after transitions: 0, or -1 after sim_fail (ResourceNotFound). */
int consumer_find(sim_ctx *ctx, const store_stream *st, const char *name, store_consumer *c);
/* ResourceNotFoundException for a consumer. */
int consumer_not_found(sim_ctx *ctx, const char *stream, const char *consumer);
/* Resolve a ConsumerARN to its stream and consumer (after transitions), as SubscribeToShard
 * needs: the ARN's creation time must match the registered consumer's (a re-registered name
 * has a new ARN). 0 ok, -1 after sim_fail (InvalidArgument for a malformed ARN, ResourceNotFound). */
int consumer_lookup_arn(sim_ctx *ctx, const char *arn, store_stream *st, store_consumer *c);

/* ---- enhanced monitoring: the ShardLevelMetrics names, bit i of store_stream.shard_metrics ---- */
#define SHARD_METRICS_COUNT 7
extern const char *const shard_metric_names[SHARD_METRICS_COUNT];
#define SHARD_METRICS_ALL ((1u << SHARD_METRICS_COUNT) - 1u)
/* The names of the bits set, in the model's order (a JSON array). */
json_t *shard_metrics_json(unsigned mask);
/* The stream's EnhancedMonitoring member: [{"ShardLevelMetrics": [...]}]. */
json_t *enhanced_monitoring_json(const store_stream *st);

/* ---- tags ---- */
#define MAX_TAGS_PER_RESOURCE 50
/* Characters of a tag key or value. The stream API (AddTagsToStream, RemoveTagsFromStream,
 * CreateStream's Tags) allows Unicode letters (any non-ASCII character), digits, space and
 * _ . / = + - @, and refuses '%' with a message of its own (kinesalite's recorded
 * addTagsToStream.js and removeTagsFromStream.js; tab and newline are not white space there). The
 * resource API (TagResource, UntagResource, RegisterStreamConsumer) also allows ':' (the
 * TagResource page). Returns 0 allowed, 2 when it holds '%' (and is otherwise allowed in the
 * stream API), 1 for anything else. */
enum { TAGS_STREAM_API = 0, TAGS_RESOURCE_API = 1 };
int tag_text_check(const char *s, int api);
/* AWS's answer to a tag with characters outside the set (recorded for AddTagsToStream). */
#define TAG_INVALID_CHARS_MESSAGE                                                                            \
    "Some tags contain invalid characters. Valid characters: Unicode letters, digits, white space, _ . / = " \
    "+ - "                                                                                                   \
    "%% @."
/* AWS's answer to '%' in AddTagsToStream ("add") and RemoveTagsFromStream ("remove"), recorded. */
#define TAG_PERCENT_MESSAGE_FMT                                                                              \
    "Failed to %s tags %s stream %s under account %s because some tags contained illegal characters. The "   \
    "allowed characters are Unicode letters, white-spaces, '_',',','/','=','+','-','@'."
/* Keys starting with "aws:" (any case) are reserved for AWS (tagging pages); 1 when key is one. */
int tag_key_reserved(const char *key);
/* A Tags map (TagResource, RegisterStreamConsumer): 0, or -1 after InvalidArgumentException when any
 * key or value is not allowed text, or a key is reserved. */
int tags_map_check(sim_ctx *ctx, const json_t *tags);
/* A TagKeys list of UntagResource: 0, or -1 after InvalidArgumentException when a key holds a
 * character outside the resource set ('%' is accepted there). */
int tag_keys_check(sim_ctx *ctx, const json_t *keys);
/* The stream API's check of a Tags map (AddTagsToStream, CreateStream): 0, or -1 after
 * InvalidArgumentException (the invalid-characters message first, then the '%' one). */
int stream_tags_check(sim_ctx *ctx, const json_t *tags, const char *stream);

/* ---- any taggable resource (TagResource, resource policies) ---- */
/* Resolve a ResourceARN (a stream or a consumer) of the caller's account and region. *is_consumer
 * tells which; c is filled for a consumer. 0 ok, -1 after sim_fail. */
int resource_lookup(sim_ctx *ctx, const char *arn, store_stream *st, store_consumer *c, int *is_consumer);

#endif
