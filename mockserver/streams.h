/* streams.h: helpers shared by the operation handlers (ops_*.c): the per-request store
 * transaction, resolving StreamName/StreamARN to a stored stream, lazy state transitions
 * computed from the simulation clock (no timers), ARNs, shard JSON, sequence-number strings,
 * and opaque NextTokens. Rules and AWS's messages that more than one handler needs
 * live here so they are written once. */
#ifndef SIM_STREAMS_H
#define SIM_STREAMS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "ids.h"
#include "sim.h"
#include "store.h"

#define STREAM_ARN_MAX 320
#define NEXT_TOKEN_TTL_MS 300000
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
/* Load shards; -1 after sim_fail. Caller frees *shards. */
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
/* The counter EndingSequenceNumber carries (above every record's). */
#define SHARD_END_COUNTER UINT64_C(0x7fffffffffffffff)

/* ---- epoch seconds with a millisecond fraction, as a JSON number ---- */
json_t *epoch_seconds_json(int64_t ms);
/* Read a Timestamp member (JSON number of epoch seconds) into ms; -1 when not a number. */
int epoch_ms_from_json(const json_t *v, int64_t *ms);

/* ---- opaque, authenticated NextTokens (ListStreams, ListShards) ----
 * The token carries a JSON object plus its issue time, with an HMAC under the server key. */
/* Returns a malloc'd token or NULL. */
char *next_token_make(const sim_ctx *ctx, json_t *payload);
/* 0 ok (*payload set), -1 malformed or forged, -2 expired (*issued_ms set). */
int next_token_read(const sim_ctx *ctx, const char *token, json_t **payload, int64_t *issued_ms);

#endif
