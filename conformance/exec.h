/* exec.h: running one conformance case against an endpoint.
 *
 * A run: set up the case's streams (unique names per run and case, wait for ACTIVE), run the
 * steps (typed calls through libkinesis, raw HTTP through http_raw), check expectations, save
 * captures, then always clean up: the case's cleanup steps, then DeleteStream for every stream
 * the case created, also after a failure, a timeout or an interrupt. */
#ifndef CF_EXEC_H
#define CF_EXEC_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "case.h"
#include "profile.h"
#include <kinesis/kinesis.h>

typedef struct cf_env {
    const char *endpoint; /* http://127.0.0.1:4567 */
    const char *region;
    const char *access_key_id;
    const char *secret_access_key;
    const char *session_token; /* may be NULL */
    const cf_profile *profile;
    int64_t timeout_ms;                 /* per case */
    const char *run_prefix;             /* unique per run, e.g. "cf3f9a1c" */
    volatile sig_atomic_t *interrupted; /* set by SIGINT: stop, clean up */
    int verbose;                        /* print each step to stderr */
} cf_env;

typedef struct cf_result {
    int passed;
    char *reason;  /* why it failed (NULL when passed) */
    int no_answer; /* failed, and at least one call got no HTTP answer at all */
    int not_run;   /* never started (interrupted, or the endpoint had gone away) */
    int skipped;   /* left out on purpose (reason says why): neither passed nor failed */
    int64_t duration_ms;
} cf_result;

/* Run case c (index makes its stream names unique) with client (one per thread). Fills out. */
void cf_run_case(const cf_case *c, size_t index, const cf_env *env, kinesis_client *client, cf_result *out);
void cf_result_clean_up(cf_result *r);

/* Milliseconds on a monotonic clock. */
int64_t cf_now_ms(void);

#endif
