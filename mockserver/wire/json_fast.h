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

#endif
