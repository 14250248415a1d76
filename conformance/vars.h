/* vars.h: a case's variables and the ${...} expansion used by kinesis-conform.
 *
 * Variables live in a Jansson object (name -> any JSON value): ${stream} and the other names a
 * case declares, captured values (SequenceNumber, ShardIterator, ...), loop variables (${i}).
 * Built-in functions compute values a case cannot write literally: ${md5int:KEY} (the partition
 * key's MD5 as a decimal 128-bit integer, the hash Kinesis routes by), ${b64:TEXT},
 * ${repeat:N:TEXT}, ${add:A:B} / ${sub:A:B} (big decimal integers), ${now} and ${now_ms}.
 * Expansion nests (${md5int:${key}}); "$${" is a literal "${". The helpers for big decimal
 * strings (compare, add, subtract) are shared with the matchers. */
#ifndef CF_VARS_H
#define CF_VARS_H

#include <jansson.h>
#include <stddef.h>

/* Expand every ${...} in s. Returns a malloc'd string, or NULL with a reason in err. */
char *cf_expand(const json_t *vars, const char *s, char *err, size_t err_len);

/* Deep copy of tmpl with every string expanded. A string that is exactly one "${name}" whose
 * value is not a string is replaced by that JSON value (so "Limit": "${n}" stays a number).
 * Returns a new reference, or NULL with a reason in err. */
json_t *cf_expand_json(const json_t *vars, const json_t *tmpl, char *err, size_t err_len);

/* Text of a scalar variable value (string as is, integer, real, true/false); malloc'd, NULL if
 * the value is an object, array or null. */
char *cf_scalar_text(const json_t *v);

/* MD5 of the UTF-8 bytes of key, read as a big-endian unsigned 128-bit integer, in decimal. */
void cf_md5int(const char *key, size_t key_len, char out[40]);

/* 1 if s is a non-negative decimal integer ("0", "123", leading zeros allowed). */
int cf_is_decimal(const char *s);
/* Compare two non-negative decimal integers of any length: <0, 0, >0. */
int cf_bigcmp(const char *a, const char *b);
/* a + b and a - b (b <= a) for non-negative decimal integers; malloc'd, NULL on bad input. */
char *cf_bigadd(const char *a, const char *b);
char *cf_bigsub(const char *a, const char *b);

/* snprintf that truncates silently (locations and messages may be cut; never an error). */
void cf_fmt(char *out, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
