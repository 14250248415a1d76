/* profile.c: the timing profiles (see profile.h). */
#include "profile.h"

#include <string.h>

static const cf_profile profiles[] = {
    /* name          poll   wait     case     request  jobs */
    {"kinesis-sim", 20, 10000, 30000, 10000, 4},
    {"aws", 1000, 180000, 600000, 30000, 2},
    {"kinesalite", 50, 15000, 60000, 10000, 4},
    {"kinesis-mock", 200, 30000, 120000, 15000, 2},
    {"localstack", 200, 60000, 180000, 15000, 2},
};

const cf_profile *cf_profile_find(const char *name)
{
    for (size_t k = 0; k < sizeof profiles / sizeof profiles[0]; k++)
        if (!strcmp(profiles[k].name, name))
            return &profiles[k];
    return NULL;
}

const char *cf_profile_names(void)
{
    return "aws|kinesis-sim|kinesalite|kinesis-mock|localstack";
}
