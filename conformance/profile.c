/* profile.c: the timing profiles (see profile.h). */
#include "profile.h"

#include <string.h>

static const cf_profile profiles[] = {
    /* name          poll   wait     case     request  jobs pace */
    {"kinesis-sim", 20, 10000, 30000, 10000, 4, 1},  {"aws", 1000, 180000, 600000, 30000, 2, 1},
    {"kinesalite", 50, 15000, 60000, 10000, 4, 0},   {"kinesis-mock", 200, 30000, 120000, 15000, 2, 0},
    {"localstack", 200, 60000, 180000, 15000, 2, 0},
};

/* Per account and region (docs/aws-behaviour.md "Control-plane rates and paging"; the per-stream ones such as
 * ListShards are left out: each case has its own streams). */
static const struct {
    const char *op;
    double tps;
} rates[] = {
    {"CreateStream", 5},
    {"DeleteStream", 5},
    {"ListStreams", 5},
    {"DescribeStream", 10},
    {"DescribeStreamSummary", 20},
    {"DescribeLimits", 1},
    {"AddTagsToStream", 5},
    {"RemoveTagsFromStream", 5},
    {"ListTagsForStream", 5},
    {"SplitShard", 5},
    {"MergeShards", 5},
    {"UpdateShardCount", 10},
    {"RegisterStreamConsumer", 5},
    {"DescribeAccountSettings", 5},
    {"UpdateAccountSettings", 5},
    {"UpdateStreamWarmThroughput", 5},
};

double cf_control_plane_tps(const char *operation)
{
    for (size_t k = 0; operation && k < sizeof rates / sizeof rates[0]; k++)
        if (!strcmp(rates[k].op, operation))
            return rates[k].tps;
    return 0;
}

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
