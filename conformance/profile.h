/* profile.h: per-endpoint timing profiles for kinesis-conform (--profile). A profile chooses how
 * often to poll and how long to wait for state changes and answers, never what is expected:
 * the same cases hold for every endpoint. AWS needs tens of seconds for CREATING -> ACTIVE;
 * kinesis-sim (started with short delays) needs milliseconds. Endpoints that enforce AWS's
 * control-plane rates (AWS, kinesis-sim) get paced: the runner spaces its CreateStream,
 * DeleteStream, DescribeStream... calls so parallel cases stay under those rates. */
#ifndef CF_PROFILE_H
#define CF_PROFILE_H

#include <stdint.h>

typedef struct cf_profile {
    const char *name;
    int64_t poll_ms;            /* between polls of a stream's status or a "poll" step */
    int64_t wait_ms;            /* longest wait for one state change */
    int64_t case_timeout_ms;    /* default per-case timeout (--timeout overrides) */
    int64_t request_timeout_ms; /* one HTTP request */
    int default_jobs;           /* --jobs when not given */
    int pace;                   /* keep control-plane calls under AWS's per-account rates (the
                                   endpoint enforces them: parallel cases would throttle each other) */
} cf_profile;

/* AWS's documented per-account rate of a control-plane operation (calls per second; kinesis-
 * facts.md section 10), or 0 for an operation without one (data plane, or not limited). */
double cf_control_plane_tps(const char *operation);

/* The profile of that name, or NULL. */
const cf_profile *cf_profile_find(const char *name);
/* "aws|kinesis-sim|..." for help texts. */
const char *cf_profile_names(void);

#endif
