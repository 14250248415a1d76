/* base64.h: strict standard base64 (RFC 4648 alphabet, '=' padding required) for the simulator.
 * Blob members (PutRecord Data, ...) arrive base64-encoded in JSON; validation checks them with
 * sim_base64_check (AWS's rules and failure kinds), handlers decode with sim_base64_decode and
 * answers encode with sim_base64_encode. Table-driven, one pass over the text (base64.c). */
#ifndef SIM_BASE64_H
#define SIM_BASE64_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
    SIM_B64_OK = 0,
    SIM_B64_BAD_LENGTH, /* length is not a multiple of 4 */
    SIM_B64_BAD_CHAR,   /* a character outside A-Z a-z 0-9 + / =, or '=' before a non-'=' */
    SIM_B64_BAD_LAST    /* too much padding, or the last non-pad character carries stray bits */
} sim_b64_status;

/* Check in[0..len) without decoding (no allocation). On SIM_B64_OK sets *decoded_len (if not
 * NULL); on SIM_B64_BAD_CHAR sets *bad_pos (if not NULL) to the offending byte's offset. */
sim_b64_status sim_base64_check(const char *in, size_t len, size_t *decoded_len, size_t *bad_pos);

/* Decode NUL-terminated (or in_len-long) base64 into a malloc'd buffer (*out, *len; *out is
 * never NULL on success, even for empty input). Returns 0, or -1 when the input is not strict
 * base64 or memory runs out (*out = NULL). The caller frees *out. */
int sim_base64_decode(const char *in, uint8_t **out, size_t *len);
int sim_base64_decode_n(const char *in, size_t in_len, uint8_t **out, size_t *len);

/* Encode into a malloc'd NUL-terminated string (NULL when memory runs out); *out_len (if not
 * NULL) gets its length. */
char *sim_base64_encode(const uint8_t *in, size_t len, size_t *out_len);

/* ---- additions (H18): the same without an allocation, for per-record paths ---- */

/* Decode strict base64 in[0..in_len) into out (out_cap bytes; sim_base64_check's decoded_len, at
 * most in_len / 4 * 3, is enough). Returns 0 and sets *len, or -1 when the text is not strict
 * base64 or out is too small (out is then unspecified). */
int sim_base64_decode_into(const char *in, size_t in_len, uint8_t *out, size_t out_cap, size_t *len);

/* Encode into out (out_cap bytes, at least (len + 2) / 3 * 4 + 1) and NUL-terminate it. Returns
 * the length written (without the NUL), or (size_t)-1 when out is too small. */
size_t sim_base64_encode_into(const uint8_t *in, size_t len, char *out, size_t out_cap);

#endif
