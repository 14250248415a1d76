/* json_fast.h: a fast path for JSON bodies in and out of the simulator (used by codec.c).
 *
 * Jansson's json_loadb lexes byte by byte through a callback and json_dumps writes through a
 * callback into a growing strbuffer with a loop-check hashtable; on PutRecords and GetRecords
 * that is most of the simulator's time. These two functions give the same results faster:
 *
 * sim_json_fast_parse reads a strict, common subset of JSON (a top-level object; strings with any
 * escape Jansson accepts; valid UTF-8; integers that fit json_int_t; true/false/null; nesting up
 * to SIM_JSON_FAST_MAX_DEPTH) and builds exactly the tree json_loadb(buf, len, 0, ...) builds,
 * with the same keys in the same order (the last of duplicate keys wins, at the first one's
 * place). Anything else (reals, errors, odd cases) it declines, and the caller uses json_loadb,
 * which keeps every error text and every odd case as it was.
 *
 * sim_json_fast_dump writes the bytes json_dumps(v, JSON_COMPACT | JSON_REAL_PRECISION(15))
 * writes, or returns NULL where json_dumps would fail or the case is not handled (the caller
 * then calls json_dumps). */
#ifndef SIM_JSON_FAST_H
#define SIM_JSON_FAST_H

#include <jansson.h>
#include <stddef.h>

/* Deeper documents are declined (Jansson itself allows 2048). */
#define SIM_JSON_FAST_MAX_DEPTH 128

/* 1 with *out set to a new object when the input was accepted; 0 (and *out NULL) when declined:
 * the caller then calls json_loadb(buf, len, 0, ...) for the answer or the error. */
int sim_json_fast_parse(const char *buf, size_t len, json_t **out);

/* The NUL-terminated malloc'd (free()) text json_dumps(v, JSON_COMPACT | JSON_REAL_PRECISION(15))
 * would give, its length in *len when len is not NULL; NULL when declined or out of memory. */
char *sim_json_fast_dump(const json_t *v, size_t *len);

/* ---- the writer's pieces, for payloads written without a Jansson tree (ops/subscribe.c) ---- */

/* A growing text buffer; start it zeroed and free() its d. The functions return 1, or 0 when
 * memory runs out or the string is not valid UTF-8 (n may then have moved: callers that go on
 * put it back to where they were). */
typedef struct sim_json_out {
    char *d;
    size_t n, cap;
} sim_json_out;

int sim_json_out_raw(sim_json_out *w, const char *s, size_t n);
/* Room for n more bytes at w->d + w->n (the caller writes them and adds to n); NULL when memory
 * runs out. */
char *sim_json_out_reserve(sim_json_out *w, size_t n);
/* A string, quoted and escaped as json_dumps escapes it (without JSON_ENSURE_ASCII). */
int sim_json_out_string(sim_json_out *w, const char *s, size_t n);
int sim_json_out_integer(sim_json_out *w, json_int_t i);
/* A real as json_dumps writes it WITHOUT JSON_REAL_PRECISION (Jansson's default, "%.17g"). */
int sim_json_out_real17(sim_json_out *w, double v);

#endif
