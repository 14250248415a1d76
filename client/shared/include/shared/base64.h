/* shared/base64.h: strict standard base64 (RFC 4648 alphabet, '=' padding required), the one codec
 * of the client and the simulator. Blob members (PutRecord Data, ...) travel base64-encoded in JSON:
 * the simulator's validation checks them with b64_check (AWS's rules and failure kinds), handlers
 * decode with b64_decode and answers encode with b64_encode; the client encodes what it sends and
 * decodes what it reads the same way. Table-driven, one pass over the text (client/shared/base64.c). */
#ifndef KINESIS_SHARED_BASE64_H
#define KINESIS_SHARED_BASE64_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
    B64_OK = 0,
    B64_BAD_LENGTH, /* length is not a multiple of 4 */
    B64_BAD_CHAR,   /* a character outside A-Z a-z 0-9 + / =, or '=' before a non-'=' */
    B64_BAD_LAST    /* too much padding, or the last non-pad character carries stray bits */
} b64_status;

/* Check in[0..len) without decoding (no allocation). On B64_OK sets *decoded_len (if not
 * NULL); on B64_BAD_CHAR sets *bad_pos (if not NULL) to the offending byte's offset. */
b64_status b64_check(const char *in, size_t len, size_t *decoded_len, size_t *bad_pos);

/* Decode NUL-terminated (or in_len-long) base64 into a malloc'd buffer (*out, *len; *out is
 * never NULL on success, even for empty input). Returns 0, or -1 when the input is not strict
 * base64 or memory runs out (*out = NULL). The caller frees *out. */
int b64_decode(const char *in, uint8_t **out, size_t *len);
int b64_decode_n(const char *in, size_t in_len, uint8_t **out, size_t *len);

/* Encode into a malloc'd NUL-terminated string (NULL when memory runs out); *out_len (if not
 * NULL) gets its length. */
char *b64_encode(const uint8_t *in, size_t len, size_t *out_len);

/* ---- the same without an allocation, for per-record paths ---- */

/* Decode strict base64 in[0..in_len) into out (out_cap bytes; b64_check's decoded_len, at
 * most in_len / 4 * 3, is enough). Returns 0 and sets *len, or -1 when the text is not strict
 * base64 or out is too small (out is then unspecified). */
int b64_decode_into(const char *in, size_t in_len, uint8_t *out, size_t out_cap, size_t *len);

/* Encode into out (out_cap bytes, at least (len + 2) / 3 * 4 + 1) and NUL-terminate it. Returns
 * the length written (without the NUL), or (size_t)-1 when out is too small. */
size_t b64_encode_into(const uint8_t *in, size_t len, char *out, size_t out_cap);

#endif
