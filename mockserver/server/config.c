/* config.c: parse kinesis-sim's flags and KINESIS_SIM_* environment variables into a sim_config.
 *
 * One table (options[] below) describes every setting: its flag name, value type, the sim_config
 * field it fills, its limits and its help line. The environment variable name is derived from the
 * flag name (KINESIS_SIM_ + upper case, '-' -> '_'), and the default shown by --help is read from
 * sim_config_defaults, so one row is all a new setting needs. Order of precedence: defaults, then
 * environment, then flags. Every bad value gives one clear line naming where it came from. */
#include "server/config.h"
#include "simulation/simulation.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#ifndef KINESIS_VERSION
#define KINESIS_VERSION "0.0.0"
#endif

#define ENV_PREFIX "KINESIS_SIM_"

typedef enum {
    OPT_STRING, /* char[size]; optional check() */
    OPT_INT,    /* int within [min, max] */
    OPT_INT64,  /* int64_t within [min, max] */
    OPT_SIZE,   /* size_t within [min, max]; accepts k/m/g suffixes (binary) */
    OPT_CHOICE, /* int index into choices "a|b|c" */
    OPT_SIM,    /* a simulation option: parsed by sim_simulation_option_set (simulation.c) */
    OPT_LIST,   /* char[size]: comma-separated items, each checked; a repeated flag appends */
} opt_type;

typedef struct sim_option {
    const char *name; /* flag without "--" */
    opt_type type;
    size_t offset;    /* of the field in sim_config */
    size_t size;      /* OPT_STRING: the field's size */
    int64_t min, max; /* numeric limits */
    const char *choices;
    int (*check)(const char *value, char *why, size_t why_len);
    const char *metavar;
    const char *help;
} sim_option;

static int check_host(const char *v, char *why, size_t why_len);
static int check_region(const char *v, char *why, size_t why_len);
static int check_account(const char *v, char *why, size_t why_len);
static int check_nonempty(const char *v, char *why, size_t why_len);
static int check_token(const char *v, char *why, size_t why_len);
static int check_stream_specs(const char *v, char *why, size_t why_len);
static int parse_i64(const char *s, int64_t *out);

#define FIELD(f) offsetof(sim_config, f)
#define SZ(f) sizeof(((sim_config *)0)->f)
#define DAY_MS INT64_C(86400000)

static const sim_option options[] = {
    {"host", OPT_STRING, FIELD(host), SZ(host), 0, 0, NULL, check_host, "ADDR",
     "address to listen on (loopback by default)"},
    {"port", OPT_INT, FIELD(port), 0, 0, 65535, NULL, NULL, "N", "TCP port; 0 picks a free one"},
    {"db", OPT_STRING, FIELD(db_path), SZ(db_path), 0, 0, NULL, check_nonempty, "PATH",
     "SQLite database file; \":memory:\" keeps nothing"},
    {"region", OPT_STRING, FIELD(region), SZ(region), 0, 0, NULL, check_region, "NAME",
     "region used when a request's credential scope names none"},
    {"account-id", OPT_STRING, FIELD(account_id), SZ(account_id), 0, 0, NULL, check_account, "ID",
     "12-digit account id used in ARNs"},
    {"create-delay-ms", OPT_INT64, FIELD(create_delay_ms), 0, 0, DAY_MS, NULL, NULL, "MS",
     "time a stream stays CREATING"},
    {"delete-delay-ms", OPT_INT64, FIELD(delete_delay_ms), 0, 0, DAY_MS, NULL, NULL, "MS",
     "time a stream stays DELETING"},
    {"update-delay-ms", OPT_INT64, FIELD(update_delay_ms), 0, 0, DAY_MS, NULL, NULL, "MS",
     "time a stream stays UPDATING"},
    {"shard-limit", OPT_INT, FIELD(shard_limit), 0, 1, 1000000, NULL, NULL, "N",
     "shards allowed per account and region (AWS's quota: 20000 in us-east-1, us-west-2 and "
     "eu-west-1, 1000 elsewhere)"},
    {"log-level", OPT_CHOICE, FIELD(log_level), 0, 0, 0, "error|warn|info|debug", NULL, "LEVEL",
     "what goes to stderr; debug logs one line per request"},
    {"max-body-bytes", OPT_SIZE, FIELD(max_body_bytes), 0, 1024, INT64_C(1) << 30, NULL, NULL, "N",
     "largest request body accepted (413 above); k/m suffixes allowed"},
    {"max-connections", OPT_INT, FIELD(max_connections), 0, 1, 1000000, NULL, NULL, "N",
     "open client connections at once; more are answered 503 (capped by the open-file limit)"},
    {"connection-timeout-ms", OPT_INT64, FIELD(connection_timeout_ms), 0, 100, DAY_MS, NULL, NULL, "MS",
     "longest a connection may idle or take to send one request before it is cut"},
    {"max-header-bytes", OPT_SIZE, FIELD(max_header_bytes), 0, 1024, INT64_C(16) << 20, NULL, NULL, "N",
     "largest request head accepted (431 above); k/m suffixes allowed"},
    /* the simulation layer's options: simulation.c parses them and writes their help */
    {"throttle", OPT_SIM, 0, 0, 0, 0, NULL, NULL, "aws|off", NULL},
    {"throttle-scale", OPT_SIM, 0, 0, 0, 0, NULL, NULL, "F", NULL},
    {"control-limits", OPT_SIM, 0, 0, 0, 0, NULL, NULL, "on|off", NULL},
    {"max-creating", OPT_SIM, 0, 0, 0, 0, NULL, NULL, "N", NULL},
    {"clock", OPT_SIM, 0, 0, 0, 0, NULL, NULL, "real|virtual", NULL},
    {"faults", OPT_SIM, 0, 0, 0, 0, NULL, NULL, "FILE", NULL},
    {"seed", OPT_SIM, 0, 0, 0, 0, NULL, NULL, "N", NULL},
    {"auth", OPT_CHOICE, FIELD(auth_mode), 0, 0, 0, "format|strict", NULL, "MODE",
     "format: SigV4 presence and form only; strict: verify every signature (needs --credentials)"},
    {"credentials", OPT_STRING, FIELD(credentials_path), SZ(credentials_path), 0, 0, NULL, check_nonempty,
     "FILE", "keys for --auth strict: lines 'ACCESS_KEY SECRET [ACCOUNT]', '#' comments"},
    {"control-token", OPT_STRING, FIELD(control_token), SZ(control_token), 0, 0, NULL, check_token, "TOKEN",
     "/_sim/ requests must carry it in X-Sim-Control-Token (required off loopback)"},
    {"tls-cert", OPT_STRING, FIELD(tls_cert), SZ(tls_cert), 0, 0, NULL, check_nonempty, "FILE",
     "PEM certificate (chain) for TLS"},
    {"tls-key", OPT_STRING, FIELD(tls_key), SZ(tls_key), 0, 0, NULL, check_nonempty, "FILE",
     "PEM private key for TLS"},
    {"tls-port", OPT_INT, FIELD(tls_port), 0, 0, 65535, NULL, NULL, "N",
     "port of an extra TLS-only listener (0: none); with a certificate, --port serves TLS too"},
    {"bench-null-answer", OPT_CHOICE, FIELD(bench_null_answer), 0, 0, 0, "off|on", NULL, "off|on",
     "benchmarks only: answer every PutRecord with one fixed answer, unchecked and stored nowhere "
     "(the HTTP layer's ceiling; make bench)"},
    {"create-stream", OPT_LIST, FIELD(create_streams), SZ(create_streams), 0, 0, NULL, check_stream_specs,
     "NAME[:SHARDS[:MODE]]",
     "a stream to create at start, ACTIVE before the listening line (repeatable; default 1 shard, "
     "PROVISIONED; ON_DEMAND has 4); a file database keeps an existing one"},
    {"console-port", OPT_INT, FIELD(console_port), 0, 0, 65535, NULL, NULL, "N",
     "serve the browser console at http://HOST:N/_sim/ui/ (0 picks a free port)"},
};

#define N_OPTIONS (sizeof options / sizeof options[0])

static void env_name(const sim_option *o, char *out, size_t len);

void sim_config_defaults(sim_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    snprintf(cfg->host, sizeof cfg->host, "%s", "127.0.0.1");
    cfg->port = 4567;
    snprintf(cfg->db_path, sizeof cfg->db_path, "%s", "kinesis-sim.db");
    snprintf(cfg->region, sizeof cfg->region, "%s", "us-east-1");
    snprintf(cfg->account_id, sizeof cfg->account_id, "%s", "000000000000");
    cfg->create_delay_ms = 500;
    cfg->delete_delay_ms = 500;
    cfg->update_delay_ms = 500;
    cfg->shard_limit = 0; /* AWS's default of the caller's region: sim_config_shard_limit */
    cfg->log_level = SIM_LOG_INFO;
    cfg->max_body_bytes = (size_t)7 * 1024 * 1024;
    cfg->max_connections = 1000;
    cfg->connection_timeout_ms = 60000;
    cfg->max_header_bytes = 16384;
    sim_simulation_options_default(&cfg->sim);
    cfg->auth_mode = SIM_AUTH_FORMAT;
    cfg->console_port = -1; /* no console unless asked for */
}

const char *sim_config_log_level_name(int level)
{
    static const char *const names[] = {"error", "warn", "info", "debug"};
    return level >= 0 && level < 4 ? names[level] : "?";
}

/* ---- value checks ---- */

static int check_nonempty(const char *v, char *why, size_t why_len)
{
    if (!*v) {
        snprintf(why, why_len, "must not be empty");
        return -1;
    }
    return 0;
}

/* A header value: printable ASCII without spaces, at least 8 characters. */
static int check_token(const char *v, char *why, size_t why_len)
{
    size_t n = strlen(v);
    for (size_t i = 0; i < n; i++)
        if (!isgraph((unsigned char)v[i]))
            n = 0;
    if (n < 8) {
        snprintf(why, why_len, "expected at least 8 printable characters without spaces");
        return -1;
    }
    return 0;
}

int sim_config_unknown_env(char *const *envp, char *out, size_t out_len)
{
    /* read by the tests and CI examples around the simulator, not by it */
    static const char *const tools[] = {"KINESIS_SIM_ENDPOINT", "KINESIS_SIM_BIN", "KINESIS_SIM_REPO",
                                        "KINESIS_SIM_REF"};
    int n = 0;
    size_t used = 0;
    if (out_len)
        out[0] = 0;
    for (; envp && *envp; envp++) {
        const char *e = *envp, *eq = strchr(e, '=');
        if (strncmp(e, ENV_PREFIX, strlen(ENV_PREFIX)) != 0 || !eq)
            continue;
        size_t len = (size_t)(eq - e);
        int known = 0;
        for (size_t i = 0; i < N_OPTIONS && !known; i++) {
            char name[64];
            env_name(&options[i], name, sizeof name);
            known = strlen(name) == len && !strncmp(name, e, len);
        }
        for (size_t i = 0; i < sizeof tools / sizeof tools[0] && !known; i++)
            known = strlen(tools[i]) == len && !strncmp(tools[i], e, len);
        if (known)
            continue;
        n++;
        if (used + len + 2 < out_len) {
            used += (size_t)snprintf(out + used, out_len - used, "%s%.*s", used ? " " : "", (int)len, e);
        }
    }
    return n;
}

int sim_config_host_is_loopback(const char *host)
{
    if (!host)
        return 0;
    if (strcmp(host, "localhost") == 0 || strcmp(host, "::1") == 0)
        return 1;
    /* 127.0.0.0/8, written as a dotted quad */
    unsigned a, b, c, d;
    char tail;
    return sscanf(host, "%u.%u.%u.%u%c", &a, &b, &c, &d, &tail) == 4 && a == 127 && b < 256 && c < 256 &&
           d < 256;
}

int sim_config_stream_spec(const char *item, size_t len, sim_stream_spec *out, char *why, size_t why_len)
{
    memset(out, 0, sizeof *out);
    out->shards = 1;
    char buf[512];
    if (len >= sizeof buf) {
        snprintf(why, why_len, "'%.40s...' is too long", item);
        return -1;
    }
    memcpy(buf, item, len);
    buf[len] = 0;
    char *shards = strchr(buf, ':'), *mode = NULL;
    if (shards) {
        *shards++ = 0;
        mode = strchr(shards, ':');
        if (mode)
            *mode++ = 0;
    }
    /* the stream name rule of the API model: 1-128 of [a-zA-Z0-9_.-] */
    size_t n = strlen(buf);
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)buf[i]) && !strchr("_.-", buf[i]))
            n = 0;
    if (n == 0 || n > 128) {
        snprintf(why, why_len,
                 "'%s': a stream name is 1 to 128 of a-z, A-Z, 0-9, '_', '.', '-' (NAME[:SHARDS[:MODE]])",
                 buf);
        return -1;
    }
    snprintf(out->name, sizeof out->name, "%.128s", buf); /* n <= 128 here */
    if (shards && *shards) {
        int64_t v;
        if (parse_i64(shards, &v) != 0 || v < 1 || v > 10000) {
            snprintf(why, why_len, "'%s': the shard count must be an integer from 1 to 10000", shards);
            return -1;
        }
        out->shards = (int)v;
    }
    if (mode && *mode) {
        if (!strcasecmp(mode, "ON_DEMAND"))
            out->on_demand = 1;
        else if (strcasecmp(mode, "PROVISIONED")) {
            snprintf(why, why_len, "'%s': the mode must be PROVISIONED or ON_DEMAND", mode);
            return -1;
        }
    }
    return 0;
}

static int check_stream_specs(const char *v, char *why, size_t why_len)
{
    for (const char *p = v;;) {
        size_t len = strcspn(p, ",");
        sim_stream_spec sp;
        if (sim_config_stream_spec(p, len, &sp, why, why_len) != 0)
            return -1;
        if (!p[len])
            return 0;
        p += len + 1;
    }
}

static int check_host(const char *v, char *why, size_t why_len)
{
    if (check_nonempty(v, why, why_len))
        return -1;
    for (const char *p = v; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr(".-:_", *p)) {
            snprintf(why, why_len, "expected an IP address or host name");
            return -1;
        }
    return 0;
}

static int check_region(const char *v, char *why, size_t why_len)
{
    if (check_nonempty(v, why, why_len))
        return -1;
    for (const char *p = v; *p; p++)
        if (!islower((unsigned char)*p) && !isdigit((unsigned char)*p) && *p != '-') {
            snprintf(why, why_len, "expected a region name such as us-east-1");
            return -1;
        }
    return 0;
}

static int check_account(const char *v, char *why, size_t why_len)
{
    size_t n = strlen(v);
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)v[i]))
            n = 0;
    if (n != 12) {
        snprintf(why, why_len, "expected 12 digits");
        return -1;
    }
    return 0;
}

/* ---- parsing one value ---- */

/* Whole-string signed decimal; -1 when empty, not a number, or out of int64 range. */
static int parse_i64(const char *s, int64_t *out)
{
    if (!*s || isspace((unsigned char)*s))
        return -1;
    errno = 0;
    char *end;
    long long v = strtoll(s, &end, 10);
    if (errno || *end)
        return -1;
    *out = v;
    return 0;
}

/* Decimal with an optional binary suffix: 7m, 7M, 7MiB, 512k, 1g. */
static int parse_size(const char *s, int64_t *out)
{
    if (!*s || !isdigit((unsigned char)*s))
        return -1;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno)
        return -1;
    int shift = 0;
    if (*end) {
        switch (tolower((unsigned char)*end)) {
        case 'k':
            shift = 10;
            break;
        case 'm':
            shift = 20;
            break;
        case 'g':
            shift = 30;
            break;
        default:
            return -1;
        }
        end++;
        if (strcmp(end, "") && strcmp(end, "iB") && strcmp(end, "B") && strcmp(end, "ib") && strcmp(end, "b"))
            return -1;
    }
    if (v > (UINT64_C(1) << (62 - shift)))
        return -1;
    *out = (int64_t)(v << shift);
    return 0;
}

static int choice_index(const char *choices, const char *v)
{
    size_t vlen = strlen(v);
    int i = 0;
    for (const char *p = choices; *p; i++) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == vlen && strncmp(p, v, len) == 0)
            return i;
        if (!bar)
            break;
        p = bar + 1;
    }
    return -1;
}

/* Store value into cfg for option o. `where` names the source ("--port", "KINESIS_SIM_PORT"). */
static int apply(sim_config *cfg, const sim_option *o, const char *value, const char *where, char *err,
                 size_t err_len)
{
    char *field = (char *)cfg + o->offset;
    char why[160] = "";
    int64_t n = 0;

    switch (o->type) {
    case OPT_LIST: {
        if (o->check && o->check(value, why, sizeof why))
            break;
        size_t have = strlen(field);
        if (have + 1 + strlen(value) >= o->size) {
            snprintf(why, sizeof why, "the list is longer than %zu characters", o->size - 1);
            break;
        }
        snprintf(field + have, o->size - have, "%s%s", have ? "," : "", value);
        return 0;
    }
    case OPT_STRING:
        if (strlen(value) >= o->size) {
            snprintf(why, sizeof why, "longer than %zu characters", o->size - 1);
            break;
        }
        if (o->check && o->check(value, why, sizeof why))
            break;
        memcpy(field, value, strlen(value) + 1);
        return 0;
    case OPT_INT:
    case OPT_INT64:
    case OPT_SIZE:
        if ((o->type == OPT_SIZE ? parse_size(value, &n) : parse_i64(value, &n)) || n < o->min ||
            n > o->max) {
            snprintf(why, sizeof why, "expected %s from %" PRId64 " to %" PRId64,
                     o->type == OPT_SIZE ? "a byte count" : "an integer", o->min, o->max);
            break;
        }
        if (o->type == OPT_INT)
            *(int *)(void *)field = (int)n;
        else if (o->type == OPT_INT64)
            *(int64_t *)(void *)field = n;
        else
            *(size_t *)(void *)field = (size_t)n;
        return 0;
    case OPT_SIM:
        if (sim_simulation_option_set(&cfg->sim, o->name, value, why, sizeof why) == 0)
            return 0;
        break;
    case OPT_CHOICE: {
        int i = choice_index(o->choices, value);
        if (i < 0) {
            snprintf(why, sizeof why, "expected one of %s", o->choices);
            break;
        }
        *(int *)(void *)field = i;
        return 0;
    }
    }
    snprintf(err, err_len, "invalid value '%s' for %s: %s", value, where, why);
    return -1;
}

/* A list flag's variable holds the whole list: --create-stream is KINESIS_SIM_CREATE_STREAMS. */
static const struct {
    const char *option, *env;
} env_names[] = {{"create-stream", "KINESIS_SIM_CREATE_STREAMS"}};

static void env_name(const sim_option *o, char *out, size_t len)
{
    for (size_t k = 0; k < sizeof env_names / sizeof env_names[0]; k++)
        if (!strcmp(o->name, env_names[k].option)) {
            snprintf(out, len, "%s", env_names[k].env);
            return;
        }
    size_t i = 0, pre = strlen(ENV_PREFIX);
    if (len <= pre) {
        *out = 0;
        return;
    }
    memcpy(out, ENV_PREFIX, pre);
    for (i = pre; i + 1 < len && o->name[i - pre]; i++) {
        char c = o->name[i - pre];
        out[i] = c == '-' ? '_' : (char)toupper((unsigned char)c);
    }
    out[i] = 0;
}

static const sim_option *find_option(const char *name, size_t len)
{
    for (size_t i = 0; i < N_OPTIONS; i++)
        if (strlen(options[i].name) == len && strncmp(options[i].name, name, len) == 0)
            return &options[i];
    return NULL;
}

static const char *env_lookup(char *const *envp, const char *name)
{
    size_t len = strlen(name);
    for (; envp && *envp; envp++)
        if (strncmp(*envp, name, len) == 0 && (*envp)[len] == '=')
            return *envp + len + 1;
    return NULL;
}

int sim_config_parse(sim_config *cfg, int argc, char **argv, char *const *envp, FILE *out, char *err,
                     size_t err_len)
{
    sim_config_defaults(cfg);
    if (err_len)
        err[0] = 0;

    for (size_t i = 0; i < N_OPTIONS; i++) {
        char name[64];
        env_name(&options[i], name, sizeof name);
        const char *v = env_lookup(envp, name);
        if (v && apply(cfg, &options[i], v, name, err, err_len))
            return SIM_CONFIG_ERROR;
    }
    int list_from_flags[N_OPTIONS] = {0}; /* flags replace a list the environment gave */
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            sim_config_usage(out);
            return SIM_CONFIG_EXIT;
        }
        if (!strcmp(a, "--version") || !strcmp(a, "-V")) {
            fprintf(out, "kinesis-sim %s\n", KINESIS_VERSION);
            return SIM_CONFIG_EXIT;
        }
        if (strncmp(a, "--", 2) != 0 || !a[2]) {
            snprintf(err, err_len, "unexpected argument '%s' (flags start with --)", a);
            return SIM_CONFIG_ERROR;
        }
        const char *name = a + 2, *eq = strchr(name, '=');
        size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
        const sim_option *o = find_option(name, nlen);
        if (!o) {
            snprintf(err, err_len, "unknown flag '--%.*s' (see --help)", (int)nlen, name);
            return SIM_CONFIG_ERROR;
        }
        const char *value;
        if (eq)
            value = eq + 1;
        else if (i + 1 < argc)
            value = argv[++i];
        else {
            snprintf(err, err_len, "flag --%s needs a value (%s)", o->name, o->metavar);
            return SIM_CONFIG_ERROR;
        }
        char where[80];
        snprintf(where, sizeof where, "--%s", o->name);
        if (o->type == OPT_LIST && !list_from_flags[o - options]) {
            list_from_flags[o - options] = 1;
            ((char *)cfg + o->offset)[0] = 0;
        }
        if (apply(cfg, o, value, where, err, err_len))
            return SIM_CONFIG_ERROR;
    }
    /* settings that only make sense together */
    if (cfg->auth_mode == SIM_AUTH_STRICT && !cfg->credentials_path[0]) {
        snprintf(err, err_len, "--auth strict needs --credentials FILE (or %sCREDENTIALS)", ENV_PREFIX);
        return SIM_CONFIG_ERROR;
    }
    if (!cfg->tls_cert[0] != !cfg->tls_key[0]) {
        snprintf(err, err_len, "--tls-cert and --tls-key go together (%s is missing)",
                 cfg->tls_cert[0] ? "--tls-key" : "--tls-cert");
        return SIM_CONFIG_ERROR;
    }
    return SIM_CONFIG_RUN;
}

/* The i-th name of choices "a|b|c" into buf ("?" when out of range). */
static void choice_name(const char *choices, int i, char *buf, size_t len)
{
    const char *p = choices;
    for (; i > 0 && p; i--) {
        p = strchr(p, '|');
        if (p)
            p++;
    }
    if (!p || i < 0) {
        snprintf(buf, len, "?");
        return;
    }
    snprintf(buf, len, "%.*s", (int)strcspn(p, "|"), p);
}

/* The simulation layer's description of one of its options (simulation.c owns them). */
static const sim_simulation_option_info *sim_option_info(const char *name)
{
    for (size_t i = 0; sim_simulation_option_table[i].name; i++)
        if (strcmp(sim_simulation_option_table[i].name, name) == 0)
            return &sim_simulation_option_table[i];
    return NULL;
}

/* The default of option o, as text, read from the defaults themselves. */
static void default_text(const sim_option *o, char *buf, size_t len)
{
    sim_config d;
    sim_config_defaults(&d);
    const char *field = (const char *)&d + o->offset;
    switch (o->type) {
    case OPT_STRING:
    case OPT_LIST:
        snprintf(buf, len, "%s", field[0] ? field : "none");
        break;
    case OPT_INT: {
        int v = *(const int *)(const void *)field;
        if (field == (const char *)&d.shard_limit && d.shard_limit == 0)
            snprintf(buf, len, "AWS's quota");
        else if (v < o->min)
            snprintf(buf, len, "none"); /* below the range: off unless given (--console-port) */
        else
            snprintf(buf, len, "%d", v);
        break;
    }
    case OPT_INT64:
        snprintf(buf, len, "%" PRId64, *(const int64_t *)(const void *)field);
        break;
    case OPT_SIZE:
        snprintf(buf, len, "%zu", *(const size_t *)(const void *)field);
        break;
    case OPT_CHOICE:
        choice_name(o->choices, *(const int *)(const void *)field, buf, len);
        break;
    case OPT_SIM: {
        const sim_simulation_option_info *info = sim_option_info(o->name);
        snprintf(buf, len, "%s", info ? info->default_text : "?");
        break;
    }
    }
}

void sim_config_usage(FILE *out)
{
    fprintf(out, "Usage: kinesis-sim [FLAGS]\n"
                 "A local Amazon Kinesis Data Streams simulator.\n\n"
                 "Flags (each also read from the environment variable shown; flags win):\n");
    for (size_t i = 0; i < N_OPTIONS; i++) {
        const sim_option *o = &options[i];
        char flag[64], env[64], def[64];
        snprintf(flag, sizeof flag, "--%s %s", o->name, o->metavar);
        env_name(o, env, sizeof env);
        default_text(o, def, sizeof def);
        const char *help = o->help;
        if (o->type == OPT_SIM) {
            const sim_simulation_option_info *info = sim_option_info(o->name);
            help = info ? info->help : "";
        }
        fprintf(out, "  %-26s %s\n  %-26s   [%s; default %s", flag, help, "", env, def);
        if (o->type == OPT_CHOICE)
            fprintf(out, "; one of %s", o->choices);
        fprintf(out, "]\n");
    }
    fprintf(out, "  %-26s %s\n  %-26s %s\n", "--help", "print this help and exit", "--version",
            "print the version and exit");
    fprintf(out,
            "\nCredentials file (--credentials, for --auth strict): one key per line,\n"
            "  ACCESS_KEY_ID SECRET_ACCESS_KEY [ACCOUNT_ID]\n"
            "separated by spaces or tabs; blank lines and lines starting with '#' are ignored.\n"
            "A request's account is the key's ACCOUNT_ID when given, else the access key itself\n"
            "when it is 12 digits, else --account-id; its credential scope's region picks the region.\n");
}

/* AWS's default shard quota (service-sizes-and-limits.html, "Quotas and limits"): 20,000 shards per
 * account in US East (N. Virginia), US West (Oregon) and Europe (Ireland); "1,000 or 6,000" in the
 * other Regions, of which we take the lower (what works here then works there). */
int sim_config_shard_limit(const sim_config *cfg, const char *region)
{
    if (cfg->shard_limit > 0)
        return cfg->shard_limit;
    static const char *const large[] = {"us-east-1", "us-west-2", "eu-west-1"};
    for (size_t i = 0; i < sizeof large / sizeof large[0]; i++)
        if (region && strcmp(region, large[i]) == 0)
            return SIM_SHARD_QUOTA_LARGE_REGIONS;
    return SIM_SHARD_QUOTA_OTHER_REGIONS;
}
