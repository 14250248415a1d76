/* subscribe.h: SubscribeToShard steps (enhanced fan-out) for conformance cases.
 *
 * A subscription is an event stream, not one answer, so it has its own steps (FORMAT.md):
 * "subscribe" starts one through libkinesis (kinesis_subscribe_to_shard, whose event-stream decoder
 * is the client's) and reads it until a condition; "read_subscription" reads more of one still open.
 * A case may hold several subscriptions by name (a takeover needs two); they live until the case
 * ends. What a read saw becomes the step's answer, checked with the usual expectations:
 *   {"Events": [{"Records": [...], "ContinuationSequenceNumber": "...", "MillisBehindLatest": 0,
 *                "ChildShards": [...]}, ...],      (events received during this read)
 *    "Records": [...],                              (their records, in order)
 *    "Ended": true|false}                           (the service closed the stream normally)
 * and, when the stream failed (at the start, or later as an exception event), the error's status,
 * name and message, as for a failed call. Absent members stay absent (ContinuationSequenceNumber
 * at the end of a closed shard). */
#ifndef CF_SUBSCRIBE_H
#define CF_SUBSCRIBE_H

#include <jansson.h>
#include <stdint.h>

#include "match.h"
#include <kinesis/kinesis.h>

typedef struct cf_subs cf_subs; /* the open subscriptions of one case */

cf_subs *cf_subs_new(void);
/* Cancel and release every subscription (no callback runs afterwards). NULL is ignored. */
void cf_subs_free(cf_subs *s);

/* Start subscription `name` (an open one of that name is cancelled first) with body
 * {"ConsumerARN", "ShardId", "StartingPosition": {"Type", "SequenceNumber"?, "Timestamp"? (epoch
 * seconds)}}, then read as cf_subs_read does. Argument errors are reported in err (returns -1). */
int cf_subs_start(cf_subs *s, kinesis_client *client, const char *name, const json_t *body,
                  const json_t *until, int64_t wait_ms, cf_response *out, char *err, size_t err_len);

/* Read subscription `name` until `until` holds, the stream ends or fails, or wait_ms passes:
 * "end" (the stream ended or failed), {"events": N} or {"records": N} (counted in this read).
 * NULL: the first event. Returns -1 with err when there is no subscription of that name. */
int cf_subs_read(cf_subs *s, kinesis_client *client, const char *name, const json_t *until, int64_t wait_ms,
                 cf_response *out, char *err, size_t err_len);

/* 0 when `until` is a valid condition (see above), else -1. */
int cf_subs_until_valid(const json_t *until);

#endif
