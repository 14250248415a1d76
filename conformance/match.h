/* match.h: what one step got back, and the expectations checked against it.
 *
 * A response is the same whether it came from a typed call (libkinesis) or a raw HTTP request:
 * status, parsed JSON body, headers (raw steps), and the error name/message. Expectations are
 * the case file's "expect" object (already ${}-expanded): status, error (one name or a list of
 * accepted names), message (exact) or message_re (POSIX ERE), fields checked by JSON path with
 * matchers, body_contains / body_re over the raw body (answers that are not JSON), and any_of (a
 * list of expectations, one must hold). FORMAT.md documents them. */
#ifndef CF_MATCH_H
#define CF_MATCH_H

#include <jansson.h>
#include <stddef.h>

typedef struct cf_response {
    int status;            /* HTTP status; 0 when no answer was received */
    json_t *body;          /* the body parsed as JSON, or NULL */
    char *raw_body;        /* the body as received, or NULL */
    json_t *headers;       /* object: lower-case header name -> value (raw steps), or NULL */
    char *error_name;      /* error type (text after the last '#'), NULL on success */
    char *error_message;   /* error message, or NULL */
    char *transport_error; /* set when no answer was received */
} cf_response;

void cf_response_clean_up(cf_response *r);
/* Set error_name/error_message from the body's __type and message/Message (status >= 300),
 * falling back to the x-amzn-ErrorType header. */
void cf_response_parse_error(cf_response *r);

/* Follow a path such as "StreamDescription.Shards[0].ShardId", "Shards[-1]" (last),
 * "Shards[?ShardId=shardId-000000000001].HashKeyRange" (first element whose member equals).
 * "" or "$" is the root. Returns NULL when nothing is there; a malformed path also sets err. */
const json_t *cf_json_path(const json_t *root, const char *path, char *err, size_t err_len);

/* Check one field matcher object (keys other than path/header/var) against value (NULL: absent).
 * 0 when it holds, else -1 with a reason. */
int cf_match_value(const json_t *matcher, const json_t *value, char *why, size_t why_len);

/* Check an expectation object (NULL: the call must succeed). 0 when it holds, else -1. */
int cf_check_expect(const json_t *expect, const cf_response *r, char *why, size_t why_len);

/* Check a list of field matchers against a response. 0 when all hold. */
int cf_check_fields(const json_t *fields, const cf_response *r, char *why, size_t why_len);

/* Search text for the POSIX ERE pattern (unanchored). 0 on a match, else -1 with a reason. */
int cf_regex_search(const char *pattern, const char *text, char *why, size_t why_len);

/* The same with REG_NEWLINE: ^ and $ also match at line boundaries, '.' never crosses a line
 * (body_re over multi-line text such as Prometheus metrics). */
int cf_regex_search_lines(const char *pattern, const char *text, char *why, size_t why_len);

/* Decimal-aware comparison used by gt/ge/lt/le: both decimal integers of any size, or both
 * numbers. Returns 0 and sets *cmp, or -1 when they cannot be compared. */
int cf_compare_numbers(const char *a, const char *b, int *cmp);

#endif
