/* errors.c: lookups over SIM_ERROR_LIST (errors.h): name, HTTP status, retryable. */
#include "dispatch/errors.h"

#include <string.h>

static const struct {
    const char *name;
    int status;
    int retryable;
} error_table[] = {
#define SIM_ERR_ROW(name, status, retry) {#name, status, retry},
    SIM_ERROR_LIST(SIM_ERR_ROW)
#undef SIM_ERR_ROW
};

const char *sim_error_name(sim_error_code code)
{
    return (code >= 0 && code < SIM_ERR__COUNT) ? error_table[code].name : NULL;
}

int sim_error_status(sim_error_code code)
{
    return (code >= 0 && code < SIM_ERR__COUNT) ? error_table[code].status : -1;
}

int sim_error_retryable(sim_error_code code)
{
    return (code >= 0 && code < SIM_ERR__COUNT) ? error_table[code].retryable : 0;
}

int sim_error_from_name(const char *name)
{
    if (!name)
        return -1;
    for (int i = 0; i < SIM_ERR__COUNT; i++)
        if (strcmp(error_table[i].name, name) == 0)
            return i;
    return -1;
}
