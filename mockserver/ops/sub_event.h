/* ops/sub_event.h: SubscribeToShardEvent JSON payloads written straight into a buffer
 * (ops/sub_event.c), for ops/subscribe.c's JSON subscribers. The bytes are those json_dumps(ev,
 * JSON_COMPACT) gives for the Jansson tree subscribe.c builds for CBOR subscribers: the same key
 * order, escapes and number spelling (ApproximateArrivalTimestamp with Jansson's default "%.17g"),
 * without a Jansson string per field (each re-checks UTF-8) or a tree per event. An event is
 *   sub_event_json_begin, sub_event_json_record for each record, sub_event_json_end. */
#ifndef SIM_SUB_EVENT_H
#define SIM_SUB_EVENT_H

#include <jansson.h>
#include <stdint.h>

#include "store/store.h"
#include "wire/json_fast.h"

/* {"Records":[ ; 1, or 0 when memory runs out. */
int sub_event_json_begin(sim_json_out *w);
/* One record of sh, preceded by ',' unless it is the first written. Returns 1 when written, 0
 * when left out because its partition key is not valid UTF-8 (the Jansson tree left such a record
 * out too: json_pack refuses the string), -1 when memory runs out. */
int sub_event_json_record(sim_json_out *w, const store_shard *sh, const store_record *r, int first);
/* ],"ContinuationSequenceNumber":<cont_seq, or null when NULL>,"MillisBehindLatest":<behind>
 * then ,"ChildShards":<child_shards> when it is not NULL, and }. 1, or 0 when memory runs out. */
int sub_event_json_end(sim_json_out *w, const char *cont_seq, int64_t behind, const json_t *child_shards);

#endif
