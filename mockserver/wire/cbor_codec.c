/* cbor_codec.c: AWS CBOR bodies <-> the JSON form (see cbor_codec.h), with libcbor.
 *
 * Decoding uses libcbor's streaming decoder (cbor_stream_decode), one data item header at a
 * time, and builds the Jansson value directly with an explicit, bounded stack of open
 * containers. That keeps nesting bounded (SIM_CBOR_MAX_DEPTH, no recursion), allocates nothing
 * from a length the body merely claims (a map "of 2^32 pairs" in 9 bytes costs nothing), and
 * needs no intermediate libcbor item tree.
 *
 * Encoding writes straight into one growing buffer (doubling, so linear in the answer's size:
 * a 10,000-record GetRecords costs one pass) with libcbor's cbor_encode_* header writers, and
 * walks the API model's output shape next to the value to spot blobs and timestamps. */
#include "wire/cbor_codec.h"

#include <cbor.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dispatch/validate.h" /* sim_model_json, sim_model_json_len (the embedded API model) */
#include "shared/base64.h"
#include "wire/json_fast.h"

/* ========================================================================================== */
/* Decoding                                                                                   */
/* ========================================================================================== */

typedef enum { F_ARRAY, F_MAP, F_TAG, F_BYTES, F_TEXT } frame_kind;

/* One open container: an array or map being filled, a tag waiting for its item, or an
 * indefinite-length string collecting chunks. */
typedef struct {
    frame_kind kind;
    bool indef;       /* indefinite length: closed by a break, not by a count */
    size_t remaining; /* definite: items (arrays, tags) or pairs (maps) still to come */
    json_t *c;        /* the array or object being filled */
    json_t *key;      /* maps: the key waiting for its value */
    uint64_t tag;
} frame;

typedef struct {
    frame st[SIM_CBOR_MAX_DEPTH];
    int depth;
    json_t *root;
    bool done, failed;
    size_t pos, len; /* offset of the header being decoded, body length */
    char *err;
    size_t err_len;
    uint8_t *chunks; /* indefinite string being collected (they cannot nest: one buffer) */
    size_t clen, ccap;
} dec;

__attribute__((format(printf, 2, 3))) static void fail(dec *d, const char *fmt, ...)
{
    if (d->failed)
        return;
    d->failed = true;
    if (d->err && d->err_len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(d->err, d->err_len, fmt, ap);
        va_end(ap);
    }
}

static frame *top(dec *d)
{
    return d->depth ? &d->st[d->depth - 1] : NULL;
}

/* Tag 1 (epoch time): AWS sends integer milliseconds, RFC 8949 means seconds; tell them apart by
 * magnitude (see cbor_codec.h). Other tags are transparent. Takes ownership of v. */
static json_t *apply_tag(dec *d, uint64_t tag, json_t *v)
{
    if (tag != 1)
        return v;
    if (json_is_integer(v)) {
        json_int_t x = json_integer_value(v);
        if ((double)x >= SIM_CBOR_MILLIS_FROM || (double)x <= -SIM_CBOR_MILLIS_FROM) {
            json_decref(v);
            return x % 1000 == 0 ? json_integer(x / 1000) : json_real((double)x / 1000.0);
        }
        return v;
    }
    if (json_is_real(v)) {
        double x = json_real_value(v);
        if (fabs(x) >= SIM_CBOR_MILLIS_FROM) {
            json_decref(v);
            return json_real(x / 1000.0);
        }
        return v;
    }
    json_decref(v);
    fail(d, "CBOR tag 1 (epoch time) on a non-number at byte %zu", d->pos);
    return NULL;
}

/* A complete item: attach it to the open container, closing every container it completes.
 * Takes ownership of v (NULL means allocation failed). A byte string arrives here already as
 * base64 text, so `keyable` says whether v came from a CBOR text string (map keys must). */
static void emit_item(dec *d, json_t *v, bool keyable)
{
    if (!v) {
        fail(d, "out of memory decoding CBOR");
        return;
    }
    if (d->failed) {
        json_decref(v);
        return;
    }
    for (;;) {
        frame *f = top(d);
        if (!f) {
            d->root = v;
            d->done = true;
            return;
        }
        switch (f->kind) {
        case F_BYTES:
        case F_TEXT:
            json_decref(v);
            fail(d, "CBOR indefinite-length string holds a chunk of another type at byte %zu", d->pos);
            return;
        case F_TAG:
            d->depth--;
            v = apply_tag(d, f->tag, v);
            if (!v) {
                fail(d, "out of memory decoding CBOR");
                return;
            }
            continue;
        case F_ARRAY:
            if (json_array_append_new(f->c, v)) {
                fail(d, "out of memory decoding CBOR");
                return;
            }
            break;
        case F_MAP:
            if (!f->key) {
                if (!keyable || !json_is_string(v)) {
                    json_decref(v);
                    fail(d, "CBOR map key is not a text string at byte %zu", d->pos);
                    return;
                }
                if (strlen(json_string_value(v)) != json_string_length(v)) {
                    json_decref(v);
                    fail(d, "CBOR map key contains a NUL byte at byte %zu", d->pos);
                    return;
                }
                f->key = v;
                return;
            }
            /* duplicate keys: the last one wins, as with Jansson's JSON parser */
            if (json_object_set_new(f->c, json_string_value(f->key), v)) {
                fail(d, "out of memory decoding CBOR");
                return;
            }
            json_decref(f->key);
            f->key = NULL;
            break;
        }
        if (f->indef || --f->remaining > 0)
            return;
        v = f->c;
        f->c = NULL;
        d->depth--;
        keyable = false;
    }
}

static void emit(dec *d, json_t *v)
{
    emit_item(d, v, false);
}

static void push(dec *d, frame_kind kind, bool indef, size_t remaining, uint64_t tag)
{
    if (d->failed)
        return;
    if (d->depth >= SIM_CBOR_MAX_DEPTH) {
        fail(d, "CBOR nesting deeper than %d at byte %zu", SIM_CBOR_MAX_DEPTH, d->pos);
        return;
    }
    frame *f = &d->st[d->depth];
    memset(f, 0, sizeof *f);
    f->kind = kind;
    f->indef = indef;
    f->remaining = remaining;
    f->tag = tag;
    if (kind == F_ARRAY || kind == F_MAP) {
        f->c = kind == F_ARRAY ? json_array() : json_object();
        if (!f->c) {
            fail(d, "out of memory decoding CBOR");
            return;
        }
    }
    if (kind == F_BYTES || kind == F_TEXT)
        d->clen = 0;
    d->depth++;
}

static json_t *bytes_to_base64(const uint8_t *p, size_t n)
{
    size_t slen;
    char *s = b64_encode(p, n, &slen);
    if (!s)
        return NULL;
    json_t *v = json_stringn_nocheck(s, slen);
    free(s);
    return v;
}

static json_t *text(dec *d, const uint8_t *p, size_t n)
{
    json_t *v = json_stringn((const char *)p, n);
    if (!v)
        fail(d, "invalid UTF-8 in a CBOR text string at byte %zu", d->pos);
    return v;
}

static void add_chunk(dec *d, const uint8_t *p, size_t n)
{
    if (d->ccap - d->clen < n) {
        size_t cap = d->ccap ? d->ccap : 64;
        while (cap - d->clen < n)
            cap *= 2;
        uint8_t *q = realloc(d->chunks, cap);
        if (!q) {
            fail(d, "out of memory decoding CBOR");
            return;
        }
        d->chunks = q;
        d->ccap = cap;
    }
    if (n)
        memcpy(d->chunks + d->clen, p, n);
    d->clen += n;
}

/* ---- libcbor streaming callbacks ---- */

static void on_uint(void *ctx, uint64_t v)
{
    dec *d = ctx;
    if (v > (uint64_t)INT64_MAX) {
        fail(d, "CBOR integer out of range at byte %zu", d->pos);
        return;
    }
    emit(d, json_integer((json_int_t)v));
}
static void on_uint8(void *ctx, uint8_t v)
{
    on_uint(ctx, v);
}
static void on_uint16(void *ctx, uint16_t v)
{
    on_uint(ctx, v);
}
static void on_uint32(void *ctx, uint32_t v)
{
    on_uint(ctx, v);
}

/* A negative integer n encodes the value -1 - n. */
static void on_negint(void *ctx, uint64_t n)
{
    dec *d = ctx;
    if (n > (uint64_t)INT64_MAX) {
        fail(d, "CBOR integer out of range at byte %zu", d->pos);
        return;
    }
    emit(d, json_integer(-1 - (json_int_t)n));
}
static void on_negint8(void *ctx, uint8_t n)
{
    on_negint(ctx, n);
}
static void on_negint16(void *ctx, uint16_t n)
{
    on_negint(ctx, n);
}
static void on_negint32(void *ctx, uint32_t n)
{
    on_negint(ctx, n);
}

static void on_bytes(void *ctx, cbor_data p, size_t n)
{
    dec *d = ctx;
    frame *f = top(d);
    if (f && f->kind == F_BYTES)
        add_chunk(d, p, n);
    else if (f && f->kind == F_TEXT)
        fail(d, "CBOR indefinite-length string holds a chunk of another type at byte %zu", d->pos);
    else
        emit(d, bytes_to_base64(p, n));
}

static void on_text(void *ctx, cbor_data p, size_t n)
{
    dec *d = ctx;
    frame *f = top(d);
    if (f && f->kind == F_TEXT)
        add_chunk(d, p, n);
    else if (f && f->kind == F_BYTES)
        fail(d, "CBOR indefinite-length string holds a chunk of another type at byte %zu", d->pos);
    else {
        json_t *v = text(d, p, n);
        if (v)
            emit_item(d, v, true);
    }
}

static void start_indef_string(dec *d, frame_kind kind)
{
    frame *f = top(d);
    if (f && (f->kind == F_BYTES || f->kind == F_TEXT)) {
        fail(d, "CBOR indefinite-length string nested in another at byte %zu", d->pos);
        return;
    }
    push(d, kind, true, 0, 0);
}
static void on_bytes_start(void *ctx)
{
    start_indef_string(ctx, F_BYTES);
}
static void on_text_start(void *ctx)
{
    start_indef_string(ctx, F_TEXT);
}

static void start_container(dec *d, frame_kind kind, size_t n)
{
    if (n == 0) {
        emit(d, kind == F_ARRAY ? json_array() : json_object());
        return;
    }
    /* every item takes at least one byte: a count the rest of the body cannot hold is a lie */
    size_t avail = d->len - d->pos;
    if (n > avail || (kind == F_MAP && n > avail / 2)) {
        fail(d, "truncated CBOR body: %s of %zu %s at byte %zu does not fit", kind == F_MAP ? "map" : "array",
             n, kind == F_MAP ? "pairs" : "items", d->pos);
        return;
    }
    push(d, kind, false, n, 0);
}
static void on_array(void *ctx, size_t n)
{
    start_container(ctx, F_ARRAY, n);
}
static void on_map(void *ctx, size_t n)
{
    start_container(ctx, F_MAP, n);
}
static void on_indef_array(void *ctx)
{
    push(ctx, F_ARRAY, true, 0, 0);
}
static void on_indef_map(void *ctx)
{
    push(ctx, F_MAP, true, 0, 0);
}
static void on_tag(void *ctx, uint64_t t)
{
    push(ctx, F_TAG, false, 1, t);
}

static void on_double(void *ctx, double x)
{
    dec *d = ctx;
    if (!isfinite(x)) {
        fail(d, "non-finite CBOR float at byte %zu", d->pos);
        return;
    }
    emit(d, json_real(x));
}
static void on_float(void *ctx, float x)
{
    on_double(ctx, x);
}
static void on_null(void *ctx)
{
    emit(ctx, json_null());
}
static void on_bool(void *ctx, bool b)
{
    emit(ctx, json_boolean(b));
}

static void on_break(void *ctx)
{
    dec *d = ctx;
    frame *f = top(d);
    if (!f || !f->indef) {
        fail(d, "unexpected CBOR break at byte %zu", d->pos);
        return;
    }
    json_t *v;
    switch (f->kind) {
    case F_MAP:
        if (f->key) {
            fail(d, "CBOR map ends after a key without its value at byte %zu", d->pos);
            return;
        }
        /* fall through */
    case F_ARRAY:
        v = f->c;
        f->c = NULL;
        break;
    case F_BYTES:
        v = bytes_to_base64(d->chunks ? d->chunks : (const uint8_t *)"", d->clen);
        break;
    case F_TEXT:
        v = text(d, d->chunks ? d->chunks : (const uint8_t *)"", d->clen);
        if (!v)
            return;
        d->depth--;
        emit_item(d, v, true);
        return;
    default: /* tags are never indefinite */
        fail(d, "unexpected CBOR break at byte %zu", d->pos);
        return;
    }
    d->depth--;
    emit(d, v);
}

static const struct cbor_callbacks callbacks = {
    .uint8 = on_uint8,
    .uint16 = on_uint16,
    .uint32 = on_uint32,
    .uint64 = on_uint,
    .negint8 = on_negint8,
    .negint16 = on_negint16,
    .negint32 = on_negint32,
    .negint64 = on_negint,
    .byte_string_start = on_bytes_start,
    .byte_string = on_bytes,
    .string = on_text,
    .string_start = on_text_start,
    .indef_array_start = on_indef_array,
    .array_start = on_array,
    .indef_map_start = on_indef_map,
    .map_start = on_map,
    .tag = on_tag,
    .float2 = on_float,
    .float4 = on_float,
    .float8 = on_double,
    .undefined = on_null,
    .null = on_null,
    .boolean = on_bool,
    .indef_break = on_break,
};

json_t *sim_cbor_to_json(const uint8_t *buf, size_t len, char *err, size_t err_len)
{
    dec *d = calloc(1, sizeof *d);
    if (!d) {
        if (err && err_len)
            snprintf(err, err_len, "out of memory decoding CBOR");
        return NULL;
    }
    d->err = err;
    d->err_len = err_len;
    d->len = len;
    if (!buf || len == 0)
        fail(d, "empty CBOR body");
    while (!d->failed && !d->done) {
        if (d->pos >= len) {
            fail(d, "truncated CBOR body at byte %zu", len);
            break;
        }
        struct cbor_decoder_result r = cbor_stream_decode(buf + d->pos, len - d->pos, &callbacks, d);
        if (r.status == CBOR_DECODER_NEDATA)
            fail(d, "truncated CBOR body at byte %zu", len);
        else if (r.status != CBOR_DECODER_FINISHED)
            fail(d, "malformed CBOR at byte %zu", d->pos);
        else
            d->pos += r.read;
    }
    if (!d->failed && d->pos < len)
        fail(d, "trailing bytes after the CBOR item at byte %zu", d->pos);

    json_t *out = d->failed ? NULL : d->root;
    if (d->failed)
        json_decref(d->root);
    for (int i = 0; i < d->depth; i++) {
        json_decref(d->st[i].c);
        json_decref(d->st[i].key);
    }
    free(d->chunks);
    free(d);
    return out;
}

/* ========================================================================================== */
/* The model: shapes of each operation's input and output                                     */
/* ========================================================================================== */

static pthread_mutex_t model_lock = PTHREAD_MUTEX_INITIALIZER;
static json_t *model;

static const json_t *get_model(void)
{
    pthread_mutex_lock(&model_lock);
    if (!model)
        if (!sim_json_fast_parse((const char *)sim_model_json, sim_model_json_len, &model))
            model = json_loadb((const char *)sim_model_json, sim_model_json_len, 0, NULL);
    const json_t *m = model;
    pthread_mutex_unlock(&model_lock);
    return m;
}

void sim_cbor_codec_cleanup(void)
{
    pthread_mutex_lock(&model_lock);
    json_decref(model);
    model = NULL;
    pthread_mutex_unlock(&model_lock);
}

static const json_t *shape_named(const json_t *m, const char *name)
{
    return name ? json_object_get(json_object_get(m, "shapes"), name) : NULL;
}

/* {"shape": "Name"} -> the shape Name */
static const json_t *shape_ref(const json_t *m, const json_t *ref)
{
    return shape_named(m, json_string_value(json_object_get(ref, "shape")));
}

/* ========================================================================================== */
/* Encoding                                                                                   */
/* ========================================================================================== */

typedef struct {
    uint8_t *p;
    size_t len, cap;
    bool failed;
} obuf;

static bool reserve(obuf *b, size_t n)
{
    if (b->failed)
        return false;
    if (b->cap - b->len >= n)
        return true;
    size_t cap = b->cap ? b->cap : 256;
    while (cap - b->len < n) {
        if (cap > SIZE_MAX / 2) {
            b->failed = true;
            return false;
        }
        cap *= 2;
    }
    uint8_t *q = realloc(b->p, cap);
    if (!q) {
        b->failed = true;
        return false;
    }
    b->p = q;
    b->cap = cap;
    return true;
}

/* Run one cbor_encode_* header writer (at most 9 bytes) at the end of the buffer. */
#define PUT(b, call, ...)                                                                                    \
    do {                                                                                                     \
        if (reserve((b), 9))                                                                                 \
            (b)->len += call(__VA_ARGS__, (b)->p + (b)->len, (b)->cap - (b)->len);                           \
    } while (0)

static void put_raw(obuf *b, const void *p, size_t n)
{
    if (n && reserve(b, n)) {
        memcpy(b->p + b->len, p, n);
        b->len += n;
    }
}

static void put_text(obuf *b, const char *s, size_t n)
{
    PUT(b, cbor_encode_string_start, n);
    put_raw(b, s, n);
}

static void put_int(obuf *b, long long v)
{
    if (v >= 0)
        PUT(b, cbor_encode_uint, (uint64_t)v);
    else
        PUT(b, cbor_encode_negint, (uint64_t)(-(v + 1)));
}

static void encode(obuf *b, const json_t *m, const json_t *v, const json_t *shape, int depth);

/* A blob member: the JSON form's base64 text becomes a byte string. */
static void put_blob(obuf *b, const json_t *v)
{
    uint8_t *raw;
    size_t n;
    if (b64_decode_n(json_string_value(v), json_string_length(v), &raw, &n) != 0) {
        b->failed = true;
        return;
    }
    PUT(b, cbor_encode_bytestring_start, n);
    put_raw(b, raw, n);
    free(raw);
}

/* A timestamp member: epoch seconds become tag 1 + integer epoch milliseconds (AWS's form). */
static void put_timestamp(obuf *b, const json_t *v)
{
    double ms = json_number_value(v) * 1000.0;
    if (!(fabs(ms) < 9.2e18)) {
        b->failed = true;
        return;
    }
    PUT(b, cbor_encode_tag, 1);
    put_int(b, llround(ms));
}

static void encode(obuf *b, const json_t *m, const json_t *v, const json_t *shape, int depth)
{
    if (b->failed)
        return;
    if (depth >= SIM_CBOR_MAX_DEPTH) {
        b->failed = true;
        return;
    }
    const char *type = shape ? json_string_value(json_object_get(shape, "type")) : NULL;
    if (type && strcmp(type, "blob") == 0 && json_is_string(v)) {
        put_blob(b, v);
        return;
    }
    if (type && strcmp(type, "timestamp") == 0 && json_is_number(v)) {
        put_timestamp(b, v);
        return;
    }
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        bool is_struct = type && strcmp(type, "structure") == 0;
        bool is_map = type && strcmp(type, "map") == 0;
        const json_t *members = is_struct ? json_object_get(shape, "members") : NULL;
        const json_t *value_shape = is_map ? shape_ref(m, json_object_get(shape, "value")) : NULL;
        PUT(b, cbor_encode_map_start, json_object_size(v));
        const char *key;
        json_t *val;
        json_object_foreach((json_t *)v, key, val)
        {
            put_text(b, key, strlen(key));
            encode(b, m, val, is_map ? value_shape : shape_ref(m, json_object_get(members, key)), depth + 1);
        }
        break;
    }
    case JSON_ARRAY: {
        const json_t *item_shape =
            type && strcmp(type, "list") == 0 ? shape_ref(m, json_object_get(shape, "member")) : NULL;
        size_t n = json_array_size(v);
        PUT(b, cbor_encode_array_start, n);
        for (size_t i = 0; i < n && !b->failed; i++)
            encode(b, m, json_array_get(v, i), item_shape, depth + 1);
        break;
    }
    case JSON_STRING:
        put_text(b, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER:
        put_int(b, json_integer_value(v));
        break;
    case JSON_REAL:
        PUT(b, cbor_encode_double, json_real_value(v));
        break;
    case JSON_TRUE:
        PUT(b, cbor_encode_bool, true);
        break;
    case JSON_FALSE:
        PUT(b, cbor_encode_bool, false);
        break;
    case JSON_NULL:
        if (reserve(b, 1))
            b->len += cbor_encode_null(b->p + b->len, b->cap - b->len);
        break;
    }
}

static int finish(obuf *b, uint8_t **out, size_t *len)
{
    if (b->failed) {
        free(b->p);
        return -1;
    }
    *out = b->p;
    *len = b->len;
    return 0;
}

/* Encode from the start shape: op's input or output, or a shape by name; neither: no model. */
static int encode_top(const json_t *v, const char *op, const char *shape_name, sim_cbor_side side,
                      uint8_t **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    const json_t *m = NULL, *shape = NULL;
    if (op || shape_name) {
        m = get_model();
        if (!m)
            return -1;
        if (op) {
            const json_t *o = json_object_get(json_object_get(m, "operations"), op);
            shape = shape_ref(m, json_object_get(o, side == SIM_CBOR_INPUT ? "input" : "output"));
        } else {
            shape = shape_named(m, shape_name);
        }
    }
    obuf b = {0};
    if (v)
        encode(&b, m, v, shape, 0);
    else
        PUT(&b, cbor_encode_map_start, 0);
    return finish(&b, out, len);
}

int sim_json_to_cbor(const json_t *v, const char *op, uint8_t **out, size_t *len)
{
    return encode_top(v, op, NULL, SIM_CBOR_OUTPUT, out, len);
}

int sim_json_to_cbor_op(const json_t *v, const char *op, sim_cbor_side side, uint8_t **out, size_t *len)
{
    return encode_top(v, op, NULL, side, out, len);
}

int sim_json_to_cbor_shape(const json_t *v, const char *shape, uint8_t **out, size_t *len)
{
    return encode_top(v, NULL, shape, SIM_CBOR_OUTPUT, out, len);
}
