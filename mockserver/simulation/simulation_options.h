/* simulation_options.h: the simulation layer's settings (--throttle, --throttle-scale,
 * --control-limits, --max-creating, --clock, --faults, --seed) as a plain struct with no
 * dependencies beyond clock.h, so sim.h's sim_config can embed it without including the whole
 * simulation layer. simulation.c parses and documents them (sim_simulation_option_set and the
 * option table, used by config.c); main.c hands them to sim_simulation_new and sim_clock_new. */
#ifndef SIM_SIMULATION_OPTIONS_H
#define SIM_SIMULATION_OPTIONS_H

#include <stddef.h>
#include <stdint.h>

#include "simulation/clock.h"

/* ---- options (flags / environment; config.c delegates these names to sim_simulation_option_set) ---- */
typedef enum { SIM_THROTTLE_AWS = 0, SIM_THROTTLE_OFF = 1 } sim_throttle_mode;

typedef struct sim_simulation_options {
    sim_throttle_mode throttle; /* --throttle aws|off            env KINESIS_SIM_THROTTLE, default aws */
    double throttle_scale;      /* --throttle-scale F (> 0)       env KINESIS_SIM_THROTTLE_SCALE, default 1 */
    int control_limits;         /* --control-limits on|off        env KINESIS_SIM_CONTROL_LIMITS, default on
                                   (control-plane TPS and the CREATING limit; only with --throttle aws) */
    int max_creating;           /* --max-creating N (>= 0, 0 none) env KINESIS_SIM_MAX_CREATING, default 5 */
    sim_clock_mode clock;       /* --clock real|virtual           env KINESIS_SIM_CLOCK, default real */
    char faults_path[4096];     /* --faults FILE                  env KINESIS_SIM_FAULTS, default none */
    uint64_t seed;              /* --seed N (unsigned 64-bit)     env KINESIS_SIM_SEED, default 0 */
} sim_simulation_options;

typedef struct sim_simulation_option_info {
    const char *name; /* flag without "--" */
    const char *env;
    const char *value_hint;
    const char *default_text;
    const char *help;
} sim_simulation_option_info;

/* The options above, for config.c's table and --help; terminated by a {NULL} row. */
extern const sim_simulation_option_info sim_simulation_option_table[];

void sim_simulation_options_default(sim_simulation_options *o);
/* Set one option by flag name (without "--"). Returns 0, 1 when the name is not one of ours
 * (config.c handles it), or -1 with what was expected in err (e.g. "expected aws or off"; the
 * caller names the flag or variable and the value). */
int sim_simulation_option_set(sim_simulation_options *o, const char *name, const char *value, char *err,
                              size_t err_len);

#endif
