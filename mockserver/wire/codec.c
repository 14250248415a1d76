/* codec.c: request and answer bodies in and out (see codec.h). The one place that knows how a
 * body is spelled on the wire: JSON with Jansson, CBOR through cbor_codec.c (libcbor), which turns
 * CBOR into the same JSON form (blobs as base64, timestamps as epoch seconds) so validation and
 * the handlers never know which codec the client spoke, and back again guided by the model.
 * JSON goes through json_fast.c first (the same trees and bytes as Jansson, faster); Jansson reads
 * and writes what it declines. */
#include "wire/codec.h"

#include "wire/cbor_codec.h"
#include "wire/json_fast.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Reals are printed with 15 significant digits: epoch-second timestamps with milliseconds
 * (1459799926.48) come out as written instead of with binary noise (1459799926.4800000191). */
#define JSON_OUT_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(15))

codec_kind codec_from_content_type(const char *ct)
{
    if (!ct)
        return CODEC_UNSUPPORTED;
    while (*ct == ' ' || *ct == '\t')
        ct++;
    size_t n = strcspn(ct, ";");
    while (n && (ct[n - 1] == ' ' || ct[n - 1] == '\t'))
        n--;
    static const struct {
        const char *type;
        codec_kind kind;
    } known[] = {{CODEC_JSON_TYPE, CODEC_AWS_JSON},
                 {"application/json", CODEC_PLAIN_JSON},
                 {CODEC_CBOR_TYPE, CODEC_CBOR}};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strlen(known[i].type) == n && strncasecmp(known[i].type, ct, n) == 0)
            return known[i].kind;
    return CODEC_UNSUPPORTED;
}

const char *codec_content_type(codec_kind k)
{
    switch (k) {
    case CODEC_PLAIN_JSON:
        return "application/json";
    case CODEC_CBOR:
        return CODEC_CBOR_TYPE;
    case CODEC_AWS_JSON:
    case CODEC_UNSUPPORTED:
        break;
    }
    return CODEC_JSON_TYPE;
}

codec_status codec_decode(codec_kind k, const uint8_t *body, size_t len, json_t **out, char *why,
                          size_t why_len)
{
    char dummy[1];
    if (!why) {
        why = dummy;
        why_len = sizeof dummy;
    }
    *out = NULL;
    if (k == CODEC_UNSUPPORTED) {
        snprintf(why, why_len, "this content type's bodies are not supported");
        return CODEC_ERR_UNSUPPORTED;
    }
    if (k == CODEC_CBOR) {
        json_t *c = sim_cbor_to_json(body, len, why, why_len);
        if (!c)
            return CODEC_ERR_SYNTAX;
        if (!json_is_object(c)) {
            json_decref(c);
            snprintf(why, why_len, "the body must be a CBOR map");
            return CODEC_ERR_NOT_OBJECT;
        }
        *out = c;
        return CODEC_OK;
    }
    /* The fast reader builds the same tree for the common case (json_fast.h) and declines the
     * rest, errors included, which Jansson then reads with its own messages. */
    if (sim_json_fast_parse((const char *)body, len, out))
        return CODEC_OK;
    json_error_t jerr;
    /* No JSON_DECODE_ANY: a bare string or number at the top level is a syntax error, as AWS
     * treats it. Jansson keeps the last of duplicate keys. */
    json_t *v = json_loadb((const char *)body, len, 0, &jerr);
    if (!v) {
        snprintf(why, why_len, "%s at byte %d", jerr.text, jerr.position);
        return CODEC_ERR_SYNTAX;
    }
    if (!json_is_object(v)) {
        json_decref(v);
        snprintf(why, why_len, "the body must be a JSON object");
        return CODEC_ERR_NOT_OBJECT;
    }
    *out = v;
    return CODEC_OK;
}

int codec_encode(codec_kind k, const json_t *v, uint8_t **body, size_t *len)
{
    return codec_encode_op(k, NULL, v, body, len);
}

int codec_encode_op(codec_kind k, const char *op, const json_t *v, uint8_t **body, size_t *len)
{
    if (k == CODEC_CBOR) {
        json_t *empty = v ? NULL : json_object();
        int rc = sim_json_to_cbor(v ? v : empty, op, body, len);
        json_decref(empty);
        return rc;
    }
    if (!v) {
        char *s = strdup("{}");
        if (!s)
            return -1;
        *body = (uint8_t *)s;
        *len = 2;
        return 0;
    }
    /* The fast writer gives json_dumps's bytes (json_fast.h); json_dumps covers what it declines. */
    size_t n = 0;
    char *s = sim_json_fast_dump(v, &n);
    if (!s) {
        s = json_dumps(v, JSON_OUT_FLAGS);
        if (!s)
            return -1;
        n = strlen(s);
    }
    *body = (uint8_t *)s;
    *len = n;
    return 0;
}

int codec_error_body(codec_kind k, sim_error_code code, const char *msg, uint8_t **body, size_t *len)
{
    const char *name = sim_error_name(code);
    json_t *o = json_object();
    if (!o)
        return -1;
    json_object_set_new(o, "__type", json_string(name ? name : "InternalFailure"));
    if (msg) {
        /* json_string rejects invalid UTF-8 (e.g. a quoted raw header); keep the bytes readable. */
        json_t *m = json_string(msg);
        if (!m) {
            char *clean = strdup(msg);
            for (char *p = clean; p && *p; p++)
                if ((unsigned char)*p >= 0x80 || iscntrl((unsigned char)*p))
                    *p = '?';
            m = clean ? json_string(clean) : NULL;
            free(clean);
        }
        json_object_set_new(o, code == SIM_ERR_SerializationException ? "Message" : "message",
                            m ? m : json_string(""));
    }
    int rc = codec_encode(k, o, body, len);
    json_decref(o);
    return rc;
}
