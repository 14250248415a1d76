/* errors.h: the simulator's error codes, expanded from the one list of Kinesis error names that
 * the client shares (shared/errors.h), with lookups by code and by wire name (fault rules,
 * metrics, answers). */
#ifndef SIM_ERRORS_H
#define SIM_ERRORS_H

#include "shared/errors.h"

/* The simulator's name for the shared list. */
#define SIM_ERROR_LIST(X) KINESIS_ERROR_LIST(X)

typedef enum {
#define SIM_ERR_ENUM(name, status, retry) SIM_ERR_##name,
    SIM_ERROR_LIST(SIM_ERR_ENUM)
#undef SIM_ERR_ENUM
        SIM_ERR__COUNT
} sim_error_code;

/* Name as sent in `__type`, HTTP status; -1 / NULL when unknown. */
const char *sim_error_name(sim_error_code code);
int sim_error_status(sim_error_code code);
int sim_error_retryable(sim_error_code code);
/* Look an error up by its wire name (e.g. from a fault rule); returns -1 when unknown. */
int sim_error_from_name(const char *name);

#endif
