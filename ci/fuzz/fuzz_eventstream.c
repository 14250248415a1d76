/* fuzz_eventstream.c: libFuzzer harness for client/shared/eventstream.c, the event stream framing
 * of SubscribeToShard (what a client reads frame by frame from a socket).
 *
 * The input is a byte stream of frames (seeds in corpus/eventstream/ are encoded events and
 * exceptions). eventstream_decode is called on every prefix length a reader could see at the
 * start, then frame after frame: ES_NEED_MORE must never be answered for a buffer that holds
 * a whole frame, and every decoded frame must encode (eventstream_encode, same headers and
 * payload) to exactly its own bytes. */
#include <string.h>

#include "fuzz.h"
#include "shared/eventstream.h"

static void check_frame(const uint8_t *buf, size_t len)
{
    es_message msg;
    size_t used = 0;
    es_status st = eventstream_decode(buf, len, &msg, &used);
    (void)es_status_str(st);
    if (st != ES_OK) {
        FUZZ_CHECK(used == 0);
        return;
    }
    FUZZ_CHECK(used >= ES_MIN_MESSAGE_LEN && used <= len && used == msg.total_len);
    FUZZ_CHECK(msg.payload_len <= used);
    for (size_t i = 0; i < msg.n_headers; i++) {
        FUZZ_CHECK(msg.headers[i].name_len > 0);
        FUZZ_CHECK((const uint8_t *)msg.headers[i].name >= buf &&
                   (const uint8_t *)msg.headers[i].name + msg.headers[i].name_len <= buf + used);
    }
    if (msg.n_headers > 0) {
        const es_header *h = eventstream_find_header(&msg, "");
        FUZZ_CHECK(h == NULL);
        (void)eventstream_header_is(&msg, ":message-type", "event");
    }
    uint8_t *out = NULL;
    size_t out_len = 0;
    FUZZ_CHECK(eventstream_encode(msg.headers, msg.n_headers, msg.payload, msg.payload_len, &out, &out_len) ==
               0);
    FUZZ_CHECK(out_len == used && memcmp(out, buf, used) == 0);
    free(out);
    /* every shorter prefix is incomplete or already known bad (prelude checked first) */
    for (size_t cut = 0; cut < used && cut < 64; cut++) {
        es_message part;
        size_t u = 1;
        es_status ps = eventstream_decode(buf, cut, &part, &u);
        FUZZ_CHECK(ps == ES_NEED_MORE && u == 0);
    }
    eventstream_message_clean_up(&msg);
}

FUZZ_ENTRY(eventstream)
{
    size_t off = 0;
    for (int frames = 0; frames < 64 && off < size; frames++) {
        es_message msg;
        size_t used = 0;
        es_status st = eventstream_decode(data + off, size - off, &msg, &used);
        if (st != ES_OK)
            break;
        eventstream_message_clean_up(&msg);
        check_frame(data + off, size - off);
        off += used;
    }
    (void)es_crc32(0, data, size);
    return 0;
}
