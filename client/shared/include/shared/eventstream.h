/* eventstream.h: the AWS event stream framing (application/vnd.amazon.eventstream) that
 * SubscribeToShard answers with. It lives in libkinesis (client/src/), where the client's
 * SubscribeToShard decodes it, and the simulator reuses it (it links libkinesis.a, as it does for
 * SigV4) to encode its events, so both sides share one implementation. One message on the wire is
 *
 *   total length u32 BE | headers length u32 BE | prelude CRC32 (of the 8 bytes before) |
 *   headers | payload | message CRC32 (of every byte before it)
 *
 * and each header is: name length u8 | name | value type u8 | value (see es_value_type).
 * The CRC is zlib's CRC-32 (reflected polynomial 0xEDB88320), computed by our own table.
 * The SubscribeToShard handler encodes events with eventstream_encode_event (or the general
 * eventstream_encode); tests and clients read frames back with eventstream_decode, which works on
 * a byte buffer that may hold a partial frame (ES_NEED_MORE) or several (it takes the first).
 * Pure functions, no I/O. */
#ifndef SIM_EVENTSTREAM_H
#define SIM_EVENTSTREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ES_PRELUDE_LEN 12u                     /* two lengths and the prelude CRC */
#define ES_MIN_MESSAGE_LEN 16u                 /* prelude + message CRC, no headers or payload */
#define ES_MAX_MESSAGE_LEN (16u * 1024 * 1024) /* AWS's limit for one message */
#define ES_MAX_HEADERS_LEN (128u * 1024)       /* AWS's limit for the headers section */

/* Header value types, numbered as on the wire. */
typedef enum {
    ES_BOOL_TRUE = 0, /* no value bytes */
    ES_BOOL_FALSE = 1,
    ES_BYTE = 2,      /* int8 */
    ES_SHORT = 3,     /* int16 BE */
    ES_INT = 4,       /* int32 BE */
    ES_LONG = 5,      /* int64 BE */
    ES_BYTES = 6,     /* u16 BE length + bytes */
    ES_STRING = 7,    /* u16 BE length + UTF-8 bytes */
    ES_TIMESTAMP = 8, /* int64 BE, epoch milliseconds */
    ES_UUID = 9,      /* 16 bytes */
} es_value_type;

/* One header. For ES_BYTES and ES_STRING, v.bytes points at the value (not NUL-terminated);
 * after eventstream_decode, name and v.bytes point into the decoded buffer. Integers of every
 * width (and the timestamp) are in v.i; booleans in v.b. */
typedef struct {
    const char *name;
    size_t name_len;
    es_value_type type;
    union {
        bool b;
        int64_t i;
        struct {
            const uint8_t *ptr;
            size_t len;
        } bytes;
        uint8_t uuid[16];
    } v;
} es_header;

/* Convenience constructor of a string header (name and value NUL-terminated, not copied). */
es_header es_header_string(const char *name, const char *value);

typedef enum {
    ES_OK = 0,
    ES_NEED_MORE = 1,        /* the buffer holds only part of a message: read more and retry */
    ES_ERR_LENGTH = -1,      /* total or headers length out of bounds */
    ES_ERR_PRELUDE_CRC = -2, /* the prelude's CRC does not match */
    ES_ERR_MESSAGE_CRC = -3, /* the message's CRC does not match */
    ES_ERR_HEADER = -4,      /* a header overruns its section, is empty-named or of unknown type */
    ES_ERR_NOMEM = -5,
} es_status;

/* A human-readable reason for a status. */
const char *es_status_str(es_status s);

/* A decoded message. headers is malloc'd (free with eventstream_message_clean_up); names,
 * string/bytes values and payload point into the buffer given to eventstream_decode. */
typedef struct {
    es_header *headers;
    size_t n_headers;
    const uint8_t *payload;
    size_t payload_len;
    size_t total_len;
} es_message;

/* CRC-32 as zlib's crc32(): start with crc = 0, feed chunks by passing the last result. */
uint32_t es_crc32(uint32_t crc, const void *buf, size_t len);

/* Decode the first message in buf[0..len). ES_OK fills *msg and sets *consumed to its length;
 * ES_NEED_MORE and errors leave *msg empty and *consumed 0. Errors are final for the stream
 * (framing is lost). The prelude is checked (CRC, then bounds) before waiting for the rest, so a
 * corrupt length is reported at once instead of waiting for up to 16 MiB. */
es_status eventstream_decode(const uint8_t *buf, size_t len, es_message *msg, size_t *consumed);
void eventstream_message_clean_up(es_message *msg);
/* The first header with this name (exact, case-sensitive), or NULL. */
const es_header *eventstream_find_header(const es_message *msg, const char *name);
/* 1 when the header exists, is a string, and equals value. */
int eventstream_header_is(const es_message *msg, const char *name, const char *value);

/* Encode one message into a malloc'd buffer (*out, *out_len; free()). Returns 0, or -1 for an
 * invalid header (empty name or longer than 255 bytes, string/bytes value longer than 65535,
 * unknown type), a message over the size limits, or no memory (*out = NULL). */
int eventstream_encode(const es_header *headers, size_t n_headers, const uint8_t *payload, size_t payload_len,
                       uint8_t **out, size_t *out_len);

/* The frames SubscribeToShard sends: an event (:message-type event, :event-type <event_type>,
 * :content-type <content_type>) and an exception (:message-type exception, :exception-type
 * <exception_type>, :content-type <content_type>). content_type NULL means
 * application/x-amz-json-1.1. Same return convention as eventstream_encode. */
int eventstream_encode_event(const char *event_type, const char *content_type, const uint8_t *payload,
                             size_t payload_len, uint8_t **out, size_t *out_len);
int eventstream_encode_exception(const char *exception_type, const char *content_type, const uint8_t *payload,
                                 size_t payload_len, uint8_t **out, size_t *out_len);

#endif
