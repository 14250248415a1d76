/* config.h: kinesis-sim's settings from command-line flags and KINESIS_SIM_* environment variables.
 *
 * Every setting is one row of a table in config.c (name, type, target field in sim_config, limits,
 * help), so adding a flag is adding a row. `--name VALUE`, `--name=VALUE` and the environment
 * variable KINESIS_SIM_NAME (upper case, '-' -> '_') all set it; flags win over the environment.
 * main.c calls sim_config_parse once at start; the result lives in sim_server.cfg (sim.h). */
#ifndef SIM_CONFIG_H
#define SIM_CONFIG_H

#include <stddef.h>
#include <stdio.h>

#include "server/sim.h"

/* What sim_config_parse tells the caller to do. */
enum {
    SIM_CONFIG_RUN = 0,   /* start the server with *cfg */
    SIM_CONFIG_EXIT = 1,  /* --help or --version was printed to `out`: exit 0 */
    SIM_CONFIG_ERROR = 2, /* err holds a one-line message naming the flag or variable: exit 2 */
};

/* Fill cfg with the documented defaults. */
void sim_config_defaults(sim_config *cfg);

/* Defaults, then the environment (envp: NULL-terminated "NAME=value" strings, e.g. `environ`;
 * NULL for none), then argv[1..argc-1]. Returns one of the SIM_CONFIG_* values above. */
int sim_config_parse(sim_config *cfg, int argc, char **argv, char *const *envp, FILE *out, char *err,
                     size_t err_len);

/* The --help text. */
void sim_config_usage(FILE *out);

/* Name of a log level (0..3), e.g. "info"; "?" when out of range. */
const char *sim_config_log_level_name(int level);

/* One item of --create-stream / KINESIS_SIM_CREATE_STREAMS: NAME[:SHARDS[:MODE]] (SHARDS default 1,
 * MODE PROVISIONED (default) or ON_DEMAND, either case). ON_DEMAND streams start with 4 shards, as
 * AWS's do: SHARDS is not used for them. Returns 0, or -1 with what is wrong in why. */
typedef struct sim_stream_spec {
    char name[SIM_NAME_MAX];
    int shards;
    int on_demand;
} sim_stream_spec;
int sim_config_stream_spec(const char *item, size_t len, sim_stream_spec *out, char *why, size_t why_len);

/* The KINESIS_SIM_* variables in envp that are no setting (a typo: KINESIS_SIM_PROT), space-separated
 * into out; returns how many. Names the tools around the simulator read (KINESIS_SIM_ENDPOINT,
 * KINESIS_SIM_BIN) are not counted. main.c warns about them once at start. */
int sim_config_unknown_env(char *const *envp, char *out, size_t out_len);

/* 1 when host names the loopback interface (127.0.0.0/8, ::1, localhost). Off loopback, main.c
 * warns unless --auth strict, and the control API (/_sim/) needs --control-token. */
int sim_config_host_is_loopback(const char *host);

/* Shards allowed per account in region: --shard-limit when given, else AWS's default quota. */
#define SIM_SHARD_QUOTA_LARGE_REGIONS 20000
#define SIM_SHARD_QUOTA_OTHER_REGIONS 1000
int sim_config_shard_limit(const sim_config *cfg, const char *region);

#endif
