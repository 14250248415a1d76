/* ops/sub_event.c: SubscribeToShardEvent JSON payloads written into a buffer (see sub_event.h).
 * Sequence numbers and base64 are ASCII with nothing to escape by construction, so they are copied
 * as they are; only the partition key goes through the escaping writer. */
#include "ops/sub_event.h"

#include <stdlib.h>
#include <string.h>

#include "ops/resources.h"
#include "shared/base64.h"

#define LIT(w, s) sim_json_out_raw((w), (s), sizeof(s) - 1)

int sub_event_json_begin(sim_json_out *w)
{
    return LIT(w, "{\"Records\":[");
}

int sub_event_json_record(sim_json_out *w, const store_shard *sh, const store_record *r, int first)
{
    size_t start = w->n;
    char seq[SEQNUM_MAX];
    record_seq(sh, r->counter, r->arrival_ms, seq);
    if ((!first && !LIT(w, ",")) || !LIT(w, "{\"SequenceNumber\":\"") ||
        !sim_json_out_raw(w, seq, strlen(seq)) || !LIT(w, "\",\"ApproximateArrivalTimestamp\":"))
        return -1;
    /* as epoch_seconds_json (ops/resources.c): whole seconds are integers */
    int ok = r->arrival_ms % 1000 == 0 ? sim_json_out_integer(w, r->arrival_ms / 1000)
                                       : sim_json_out_real17(w, (double)r->arrival_ms / 1000.0);
    if (!ok || !LIT(w, ",\"Data\":\""))
        return -1;
    /* base64 straight into the buffer (b64_encode_into adds a NUL: one byte more) */
    size_t room = (r->data_len + 2) / 3 * 4 + 1;
    char *o = sim_json_out_reserve(w, room);
    size_t got = o ? b64_encode_into(r->data, r->data_len, o, room) : (size_t)-1;
    if (got == (size_t)-1)
        return -1;
    w->n += got;
    if (!LIT(w, "\",\"PartitionKey\":"))
        return -1;
    if (!r->pkey || !sim_json_out_string(w, r->pkey, strlen(r->pkey))) {
        /* invalid UTF-8 (or no memory): tell them apart by whether the key is valid */
        w->n = start;
        json_t *valid = r->pkey ? json_string(r->pkey) : NULL;
        int key_ok = valid != NULL;
        json_decref(valid);
        return key_ok ? -1 : 0;
    }
    if ((r->encrypted && !LIT(w, ",\"EncryptionType\":\"KMS\"")) || !LIT(w, "}"))
        return -1;
    return 1;
}

int sub_event_json_end(sim_json_out *w, const char *cont_seq, int64_t behind, const json_t *child_shards)
{
    if (!LIT(w, "],\"ContinuationSequenceNumber\":"))
        return 0;
    if (cont_seq ? !LIT(w, "\"") || !sim_json_out_raw(w, cont_seq, strlen(cont_seq)) || !LIT(w, "\"")
                 : !LIT(w, "null"))
        return 0;
    if (!LIT(w, ",\"MillisBehindLatest\":") || !sim_json_out_integer(w, behind))
        return 0;
    if (child_shards) {
        char *txt = json_dumps(child_shards, JSON_COMPACT);
        int ok = txt && LIT(w, ",\"ChildShards\":") && sim_json_out_raw(w, txt, strlen(txt));
        free(txt);
        if (!ok)
            return 0;
    }
    return LIT(w, "}");
}
