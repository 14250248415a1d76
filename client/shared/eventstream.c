/* eventstream.c: encoder and decoder of AWS event stream messages (see eventstream.h for the
 * layout), part of libkinesis: the client decodes SubscribeToShard with it and the simulator
 * (mockserver/ops/subscribe.c) encodes with it. Decoding checks, in order: the prelude CRC, the
 * lengths' bounds, that the whole message is present, the message CRC, and then every header
 * against its section's end, so a frame is either fully trusted or rejected before any field of
 * it is used. */
#include "shared/eventstream.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------------------------ */
/* CRC-32 (zlib's: reflected, polynomial 0xEDB88320, initial and final XOR 0xFFFFFFFF)         */
/* ------------------------------------------------------------------------------------------ */

/* Slicing-by-8: crc_table[0] is the classic byte table, crc_table[k][n] the CRC of byte n followed
 * by k zero bytes, so eight input bytes take eight independent look-ups instead of eight dependent
 * ones (the simulator computes two CRCs over every SubscribeToShard event it sends). */
static uint32_t crc_table[8][256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void crc_init(void)
{
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = n;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[0][n] = c;
    }
    for (uint32_t n = 0; n < 256; n++)
        for (int k = 1; k < 8; k++)
            crc_table[k][n] = (crc_table[k - 1][n] >> 8) ^ crc_table[0][crc_table[k - 1][n] & 0xFF];
}

static inline uint32_t load_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

uint32_t es_crc32(uint32_t crc, const void *buf, size_t len)
{
    pthread_once(&crc_once, crc_init);
    const uint8_t *p = buf;
    crc = ~crc;
    for (; len >= 8; len -= 8, p += 8) {
        uint32_t lo = crc ^ load_le32(p), hi = load_le32(p + 4);
        crc = crc_table[7][lo & 0xFF] ^ crc_table[6][lo >> 8 & 0xFF] ^ crc_table[5][lo >> 16 & 0xFF] ^
              crc_table[4][lo >> 24] ^ crc_table[3][hi & 0xFF] ^ crc_table[2][hi >> 8 & 0xFF] ^
              crc_table[1][hi >> 16 & 0xFF] ^ crc_table[0][hi >> 24];
    }
    for (; len; len--)
        crc = crc_table[0][(crc ^ *p++) & 0xFF] ^ (crc >> 8);
    return ~crc;
}

/* ------------------------------------------------------------------------------------------ */
/* Big-endian helpers                                                                          */
/* ------------------------------------------------------------------------------------------ */

static uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t get_u64(const uint8_t *p)
{
    return (uint64_t)get_u32(p) << 32 | get_u32(p + 4);
}

static uint8_t *put_u16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
    return p + 2;
}

static uint8_t *put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
    return p + 4;
}

static uint8_t *put_u64(uint8_t *p, uint64_t v)
{
    p = put_u32(p, (uint32_t)(v >> 32));
    return put_u32(p, (uint32_t)v);
}

/* ------------------------------------------------------------------------------------------ */
/* Headers                                                                                     */
/* ------------------------------------------------------------------------------------------ */

es_header es_header_string(const char *name, const char *value)
{
    es_header h;
    memset(&h, 0, sizeof h);
    h.name = name;
    h.name_len = strlen(name);
    h.type = ES_STRING;
    h.v.bytes.ptr = (const uint8_t *)value;
    h.v.bytes.len = strlen(value);
    return h;
}

/* Bytes a value of this type takes after the type byte; -1 for variable (bytes, string) and
 * -2 for an unknown type. */
static int fixed_value_len(int type)
{
    switch (type) {
    case ES_BOOL_TRUE:
    case ES_BOOL_FALSE:
        return 0;
    case ES_BYTE:
        return 1;
    case ES_SHORT:
        return 2;
    case ES_INT:
        return 4;
    case ES_LONG:
    case ES_TIMESTAMP:
        return 8;
    case ES_UUID:
        return 16;
    case ES_BYTES:
    case ES_STRING:
        return -1;
    default:
        return -2;
    }
}

/* Parse one header at p (end = end of the headers section). Returns the bytes it takes, or 0
 * when it is malformed. h may be NULL (counting pass). */
static size_t parse_header(const uint8_t *p, const uint8_t *end, es_header *h)
{
    const uint8_t *start = p;
    size_t avail = (size_t)(end - p);
    if (avail < 1)
        return 0;
    size_t name_len = p[0];
    if (name_len == 0 || avail < 1 + name_len + 1)
        return 0;
    const char *name = (const char *)p + 1;
    p += 1 + name_len;
    int type = *p++;
    int fixed = fixed_value_len(type);
    if (fixed == -2)
        return 0;
    size_t vlen;
    const uint8_t *val = p;
    if (fixed == -1) {
        if (end - p < 2)
            return 0;
        vlen = (size_t)p[0] << 8 | p[1];
        val = p + 2;
        p += 2;
    } else {
        vlen = (size_t)fixed;
    }
    if ((size_t)(end - p) < vlen)
        return 0;
    p += vlen;
    if (h) {
        memset(h, 0, sizeof *h);
        h->name = name;
        h->name_len = name_len;
        h->type = (es_value_type)type;
        switch (type) {
        case ES_BOOL_TRUE:
            h->v.b = true;
            break;
        case ES_BOOL_FALSE:
            h->v.b = false;
            break;
        case ES_BYTE:
            h->v.i = (int8_t)val[0];
            break;
        case ES_SHORT:
            h->v.i = (int16_t)(uint16_t)((unsigned)val[0] << 8 | val[1]);
            break;
        case ES_INT:
            h->v.i = (int32_t)get_u32(val);
            break;
        case ES_LONG:
        case ES_TIMESTAMP:
            h->v.i = (int64_t)get_u64(val);
            break;
        case ES_UUID:
            memcpy(h->v.uuid, val, 16);
            break;
        default: /* bytes, string */
            h->v.bytes.ptr = val;
            h->v.bytes.len = vlen;
            break;
        }
    }
    return (size_t)(p - start);
}

/* Wire size of a header to encode; 0 when it cannot be encoded. */
static size_t header_wire_len(const es_header *h)
{
    if (!h->name || h->name_len == 0 || h->name_len > 255)
        return 0;
    int fixed = fixed_value_len((int)h->type);
    if (fixed == -2)
        return 0;
    size_t n = 1 + h->name_len + 1;
    if (fixed == -1) {
        if (h->v.bytes.len > 0xFFFF || (h->v.bytes.len && !h->v.bytes.ptr))
            return 0;
        return n + 2 + h->v.bytes.len;
    }
    return n + (size_t)fixed;
}

static uint8_t *write_header(uint8_t *p, const es_header *h)
{
    *p++ = (uint8_t)h->name_len;
    memcpy(p, h->name, h->name_len);
    p += h->name_len;
    *p++ = (uint8_t)h->type;
    switch (h->type) {
    case ES_BOOL_TRUE:
    case ES_BOOL_FALSE:
        break;
    case ES_BYTE:
        *p++ = (uint8_t)(int8_t)h->v.i;
        break;
    case ES_SHORT:
        p = put_u16(p, (uint16_t)(int16_t)h->v.i);
        break;
    case ES_INT:
        p = put_u32(p, (uint32_t)(int32_t)h->v.i);
        break;
    case ES_LONG:
    case ES_TIMESTAMP:
        p = put_u64(p, (uint64_t)h->v.i);
        break;
    case ES_UUID:
        memcpy(p, h->v.uuid, 16);
        p += 16;
        break;
    case ES_BYTES:
    case ES_STRING:
        p = put_u16(p, (uint16_t)h->v.bytes.len);
        if (h->v.bytes.len)
            memcpy(p, h->v.bytes.ptr, h->v.bytes.len);
        p += h->v.bytes.len;
        break;
    }
    return p;
}

/* ------------------------------------------------------------------------------------------ */
/* Messages                                                                                    */
/* ------------------------------------------------------------------------------------------ */

const char *es_status_str(es_status s)
{
    switch (s) {
    case ES_OK:
        return "ok";
    case ES_NEED_MORE:
        return "incomplete event stream message";
    case ES_ERR_LENGTH:
        return "event stream message length out of bounds";
    case ES_ERR_PRELUDE_CRC:
        return "event stream prelude CRC mismatch";
    case ES_ERR_MESSAGE_CRC:
        return "event stream message CRC mismatch";
    case ES_ERR_HEADER:
        return "malformed event stream header";
    case ES_ERR_NOMEM:
        return "out of memory";
    }
    return "unknown event stream status";
}

es_status eventstream_decode(const uint8_t *buf, size_t len, es_message *msg, size_t *consumed)
{
    memset(msg, 0, sizeof *msg);
    *consumed = 0;
    if (!buf || len < ES_PRELUDE_LEN)
        return ES_NEED_MORE;
    uint32_t total = get_u32(buf);
    uint32_t hlen = get_u32(buf + 4);
    if (es_crc32(0, buf, 8) != get_u32(buf + 8))
        return ES_ERR_PRELUDE_CRC;
    if (total < ES_MIN_MESSAGE_LEN || total > ES_MAX_MESSAGE_LEN || hlen > ES_MAX_HEADERS_LEN ||
        hlen > total - ES_MIN_MESSAGE_LEN)
        return ES_ERR_LENGTH;
    if (len < total)
        return ES_NEED_MORE;
    if (es_crc32(0, buf, total - 4) != get_u32(buf + total - 4))
        return ES_ERR_MESSAGE_CRC;

    const uint8_t *hstart = buf + ES_PRELUDE_LEN, *hend = hstart + hlen;
    size_t count = 0;
    for (const uint8_t *p = hstart; p < hend; count++) {
        size_t n = parse_header(p, hend, NULL);
        if (!n)
            return ES_ERR_HEADER;
        p += n;
    }
    es_header *hs = NULL;
    if (count) {
        hs = calloc(count, sizeof *hs);
        if (!hs)
            return ES_ERR_NOMEM;
        const uint8_t *p = hstart;
        for (size_t i = 0; i < count; i++)
            p += parse_header(p, hend, &hs[i]);
    }
    msg->headers = hs;
    msg->n_headers = count;
    msg->payload = hend;
    msg->payload_len = total - ES_MIN_MESSAGE_LEN - hlen;
    msg->total_len = total;
    *consumed = total;
    return ES_OK;
}

void eventstream_message_clean_up(es_message *msg)
{
    if (!msg)
        return;
    free(msg->headers);
    memset(msg, 0, sizeof *msg);
}

const es_header *eventstream_find_header(const es_message *msg, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < msg->n_headers; i++)
        if (msg->headers[i].name_len == n && memcmp(msg->headers[i].name, name, n) == 0)
            return &msg->headers[i];
    return NULL;
}

int eventstream_header_is(const es_message *msg, const char *name, const char *value)
{
    const es_header *h = eventstream_find_header(msg, name);
    size_t n = strlen(value);
    return h && h->type == ES_STRING && h->v.bytes.len == n &&
           (n == 0 || memcmp(h->v.bytes.ptr, value, n) == 0);
}

int eventstream_encode(const es_header *headers, size_t n_headers, const uint8_t *payload, size_t payload_len,
                       uint8_t **out, size_t *out_len)
{
    *out = NULL;
    *out_len = 0;
    size_t hlen = 0;
    for (size_t i = 0; i < n_headers; i++) {
        size_t n = header_wire_len(&headers[i]);
        if (!n)
            return -1;
        hlen += n;
        if (hlen > ES_MAX_HEADERS_LEN)
            return -1;
    }
    if (payload_len && !payload)
        return -1;
    if (payload_len > ES_MAX_MESSAGE_LEN - ES_MIN_MESSAGE_LEN - hlen)
        return -1;
    size_t total = ES_MIN_MESSAGE_LEN + hlen + payload_len;
    uint8_t *buf = malloc(total);
    if (!buf)
        return -1;
    uint8_t *p = put_u32(buf, (uint32_t)total);
    p = put_u32(p, (uint32_t)hlen);
    p = put_u32(p, es_crc32(0, buf, 8));
    for (size_t i = 0; i < n_headers; i++)
        p = write_header(p, &headers[i]);
    if (payload_len)
        memcpy(p, payload, payload_len);
    p += payload_len;
    put_u32(p, es_crc32(0, buf, total - 4));
    *out = buf;
    *out_len = total;
    return 0;
}

#define ES_DEFAULT_CONTENT_TYPE "application/x-amz-json-1.1"

int eventstream_encode_event(const char *event_type, const char *content_type, const uint8_t *payload,
                             size_t payload_len, uint8_t **out, size_t *out_len)
{
    if (!event_type) {
        *out = NULL;
        *out_len = 0;
        return -1;
    }
    es_header h[3] = {
        es_header_string(":event-type", event_type),
        es_header_string(":content-type", content_type ? content_type : ES_DEFAULT_CONTENT_TYPE),
        es_header_string(":message-type", "event"),
    };
    return eventstream_encode(h, 3, payload, payload_len, out, out_len);
}

int eventstream_encode_exception(const char *exception_type, const char *content_type, const uint8_t *payload,
                                 size_t payload_len, uint8_t **out, size_t *out_len)
{
    if (!exception_type) {
        *out = NULL;
        *out_len = 0;
        return -1;
    }
    es_header h[3] = {
        es_header_string(":exception-type", exception_type),
        es_header_string(":content-type", content_type ? content_type : ES_DEFAULT_CONTENT_TYPE),
        es_header_string(":message-type", "exception"),
    };
    return eventstream_encode(h, 3, payload, payload_len, out, out_len);
}
