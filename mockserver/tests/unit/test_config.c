/* test_config.c: unit tests for config.c: defaults, every flag in both spellings, the
 * KINESIS_SIM_* environment, flags winning over the environment, --help/--version, and a clear
 * error (SIM_CONFIG_ERROR, naming the flag or variable) for each kind of bad value. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/config.h"

static char err[512];

static int parse(sim_config *cfg, char **envp, int argc, char **argv)
{
    FILE *out = fopen("/dev/null", "w");
    int rc = sim_config_parse(cfg, argc, argv, envp, out, err, sizeof err);
    fclose(out);
    return rc;
}

#define ARGV(...) ((char *[]){"kinesis-sim", __VA_ARGS__, NULL})
#define ARGC(...) ((int)(sizeof((char *[]){"kinesis-sim", __VA_ARGS__}) / sizeof(char *)))
#define PARSE_ARGS(cfg, envp, ...) parse(cfg, envp, ARGC(__VA_ARGS__), ARGV(__VA_ARGS__))

Test(config, defaults)
{
    sim_config c;
    char *argv[] = {"kinesis-sim", NULL};
    cr_assert_eq(parse(&c, NULL, 1, argv), SIM_CONFIG_RUN);
    cr_assert_str_eq(c.host, "127.0.0.1");
    cr_assert_eq(c.port, 4567);
    cr_assert_str_eq(c.db_path, "kinesis-sim.db");
    cr_assert_str_eq(c.region, "us-east-1");
    cr_assert_str_eq(c.account_id, "000000000000");
    cr_assert_eq(c.create_delay_ms, 500);
    cr_assert_eq(c.delete_delay_ms, 500);
    cr_assert_eq(c.update_delay_ms, 500);
    /* no --shard-limit: AWS's default quota of the caller's region (service-sizes-and-limits.html:
     * 20,000 in us-east-1, us-west-2 and eu-west-1; "1,000 or 6,000" elsewhere, the lower taken) */
    cr_assert_eq(c.shard_limit, 0);
    cr_assert_eq(sim_config_shard_limit(&c, "us-east-1"), 20000);
    cr_assert_eq(sim_config_shard_limit(&c, "us-west-2"), 20000);
    cr_assert_eq(sim_config_shard_limit(&c, "eu-west-1"), 20000);
    cr_assert_eq(sim_config_shard_limit(&c, "ap-south-1"), 1000);
    c.shard_limit = 7;
    cr_assert_eq(sim_config_shard_limit(&c, "us-east-1"), 7, "--shard-limit overrides every region");
    cr_assert_eq(c.log_level, SIM_LOG_INFO);
    cr_assert_eq(c.max_body_bytes, (size_t)7 * 1024 * 1024);
}

Test(config, every_flag_with_space_and_equals)
{
    sim_config c;
    cr_assert_eq(PARSE_ARGS(&c, NULL, "--host", "::1", "--port=0", "--db", ":memory:", "--region=eu-west-2",
                            "--account-id", "123456789012", "--create-delay-ms", "50", "--delete-delay-ms=60",
                            "--update-delay-ms", "70", "--shard-limit=10", "--log-level", "debug",
                            "--max-body-bytes=2048"),
                 SIM_CONFIG_RUN, "%s", err);
    cr_assert_str_eq(c.host, "::1");
    cr_assert_eq(c.port, 0);
    cr_assert_str_eq(c.db_path, ":memory:");
    cr_assert_str_eq(c.region, "eu-west-2");
    cr_assert_str_eq(c.account_id, "123456789012");
    cr_assert_eq(c.create_delay_ms, 50);
    cr_assert_eq(c.delete_delay_ms, 60);
    cr_assert_eq(c.update_delay_ms, 70);
    cr_assert_eq(c.shard_limit, 10);
    cr_assert_eq(c.log_level, SIM_LOG_DEBUG);
    cr_assert_eq(c.max_body_bytes, 2048);
}

Test(config, environment_sets_values)
{
    sim_config c;
    char *env[] = {"PATH=/bin",
                   "KINESIS_SIM_PORT=9999",
                   "KINESIS_SIM_CREATE_DELAY_MS=5",
                   "KINESIS_SIM_LOG_LEVEL=error",
                   "KINESIS_SIM_ACCOUNT_ID=111122223333",
                   "KINESIS_SIM_DB=/tmp/x.db",
                   "KINESIS_SIM_MAX_BODY_BYTES=1m",
                   NULL};
    char *argv[] = {"kinesis-sim", NULL};
    cr_assert_eq(parse(&c, env, 1, argv), SIM_CONFIG_RUN, "%s", err);
    cr_assert_eq(c.port, 9999);
    cr_assert_eq(c.create_delay_ms, 5);
    cr_assert_eq(c.log_level, SIM_LOG_ERROR);
    cr_assert_str_eq(c.account_id, "111122223333");
    cr_assert_str_eq(c.db_path, "/tmp/x.db");
    cr_assert_eq(c.max_body_bytes, 1024 * 1024);
}

Test(config, flags_win_over_environment)
{
    sim_config c;
    char *env[] = {"KINESIS_SIM_PORT=9999", "KINESIS_SIM_REGION=ap-south-1", NULL};
    cr_assert_eq(PARSE_ARGS(&c, env, "--port", "1234"), SIM_CONFIG_RUN, "%s", err);
    cr_assert_eq(c.port, 1234);
    cr_assert_str_eq(c.region, "ap-south-1"); /* not given as a flag: the environment's */
}

Test(config, environment_error_names_the_variable)
{
    sim_config c;
    char *env[] = {"KINESIS_SIM_PORT=abc", NULL};
    char *argv[] = {"kinesis-sim", NULL};
    cr_assert_eq(parse(&c, env, 1, argv), SIM_CONFIG_ERROR);
    cr_assert(strstr(err, "KINESIS_SIM_PORT"), "%s", err);
    cr_assert(strstr(err, "'abc'"), "%s", err);
}

Test(config, bad_values_are_errors)
{
    const char *cases[][2] = {
        {"--port", "65536"},
        {"--port", "-1"},
        {"--port", "12x"},
        {"--port", ""},
        {"--port", " 1"},
        {"--create-delay-ms", "-5"},
        {"--delete-delay-ms", "1e3"},
        {"--update-delay-ms", "99999999999999999999"},
        {"--shard-limit", "0"},
        {"--log-level", "verbose"},
        {"--log-level", "DEBUG"},
        {"--account-id", "12345678901"},
        {"--account-id", "1234567890ab"},
        {"--region", "US-EAST-1"},
        {"--region", ""},
        {"--host", ""},
        {"--host", "a b"},
        {"--db", ""},
        {"--max-body-bytes", "100"},
        {"--max-body-bytes", "7x"},
        {"--max-body-bytes", "2g"},
        {"--max-body-bytes", "-1"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sim_config c;
        char *argv[] = {"kinesis-sim", (char *)cases[i][0], (char *)cases[i][1], NULL};
        err[0] = 0;
        cr_assert_eq(parse(&c, NULL, 3, argv), SIM_CONFIG_ERROR, "%s %s accepted", cases[i][0], cases[i][1]);
        cr_assert(strstr(err, cases[i][0]), "message does not name %s: %s", cases[i][0], err);
    }
}

Test(config, too_long_string_is_an_error)
{
    sim_config c;
    char longv[400];
    memset(longv, 'a', sizeof longv - 1);
    longv[sizeof longv - 1] = 0;
    cr_assert_eq(PARSE_ARGS(&c, NULL, "--host", longv), SIM_CONFIG_ERROR);
    cr_assert(strstr(err, "longer than"), "%s", err);
}

Test(config, size_suffixes)
{
    struct {
        const char *in;
        size_t want;
    } cases[] = {{"7m", 7340032}, {"7MiB", 7340032},  {"512k", 524288},
                 {"1K", 1024},    {"1g", 1073741824}, {"4096", 4096}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sim_config c;
        cr_assert_eq(PARSE_ARGS(&c, NULL, "--max-body-bytes", (char *)cases[i].in), SIM_CONFIG_RUN, "%s: %s",
                     cases[i].in, err);
        cr_assert_eq(c.max_body_bytes, cases[i].want, "%s", cases[i].in);
    }
}

Test(config, unknown_flag_missing_value_and_positional)
{
    sim_config c;
    cr_assert_eq(PARSE_ARGS(&c, NULL, "--prot", "1"), SIM_CONFIG_ERROR);
    cr_assert(strstr(err, "unknown flag '--prot'"), "%s", err);
    cr_assert_eq(PARSE_ARGS(&c, NULL, "--port"), SIM_CONFIG_ERROR);
    cr_assert(strstr(err, "--port needs a value"), "%s", err);
    cr_assert_eq(PARSE_ARGS(&c, NULL, "serve"), SIM_CONFIG_ERROR);
    cr_assert(strstr(err, "'serve'"), "%s", err);
    cr_assert_eq(PARSE_ARGS(&c, NULL, "-p", "1"), SIM_CONFIG_ERROR);
}

Test(config, help_and_version)
{
    sim_config c;
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    char *argv[] = {"kinesis-sim", "--port", "1", "--help", NULL};
    cr_assert_eq(sim_config_parse(&c, 4, argv, NULL, out, err, sizeof err), SIM_CONFIG_EXIT);
    fclose(out);
    cr_assert(strstr(buf, "--port N"), "%s", buf);
    cr_assert(strstr(buf, "KINESIS_SIM_CREATE_DELAY_MS"), "%s", buf);
    cr_assert(strstr(buf, "default 4567"), "%s", buf);
    cr_assert(strstr(buf, "error|warn|info|debug"), "%s", buf);
    free(buf);

    buf = NULL;
    out = open_memstream(&buf, &len);
    char *argv2[] = {"kinesis-sim", "--version", NULL};
    cr_assert_eq(sim_config_parse(&c, 2, argv2, NULL, out, err, sizeof err), SIM_CONFIG_EXIT);
    fclose(out);
    cr_assert(strncmp(buf, "kinesis-sim ", 12) == 0, "%s", buf);
    free(buf);
}

Test(config, log_level_names)
{
    cr_assert_str_eq(sim_config_log_level_name(SIM_LOG_ERROR), "error");
    cr_assert_str_eq(sim_config_log_level_name(SIM_LOG_DEBUG), "debug");
    cr_assert_str_eq(sim_config_log_level_name(9), "?");
}

/* ---- the simulation layer's options, auth, control token, TLS ---- */

Test(config, new_defaults)
{
    sim_config c;
    char *argv[] = {"kinesis-sim", NULL};
    cr_assert_eq(parse(&c, NULL, 1, argv), SIM_CONFIG_RUN);
    cr_assert_eq(c.sim.throttle, SIM_THROTTLE_AWS);
    cr_assert(c.sim.throttle_scale == 1.0);
    cr_assert_eq(c.sim.control_limits, 1);
    cr_assert_eq(c.sim.clock, SIM_CLOCK_REAL);
    cr_assert_str_eq(c.sim.faults_path, "");
    cr_assert_eq(c.auth_mode, SIM_AUTH_FORMAT);
    cr_assert_str_eq(c.credentials_path, "");
    cr_assert_str_eq(c.control_token, "");
    cr_assert_str_eq(c.tls_cert, "");
    cr_assert_str_eq(c.tls_key, "");
    cr_assert_eq(c.tls_port, 0);
}

Test(config, simulation_flags_reach_the_simulation_options)
{
    sim_config c;
    cr_assert_eq(PARSE_ARGS(&c, NULL, "--throttle", "off", "--throttle-scale=0.5", "--control-limits", "off",
                            "--max-creating=7", "--clock", "virtual", "--faults", "/tmp/f.json", "--seed=42"),
                 SIM_CONFIG_RUN, "%s", err);
    cr_assert_eq(c.sim.throttle, SIM_THROTTLE_OFF);
    cr_assert(c.sim.throttle_scale == 0.5);
    cr_assert_eq(c.sim.control_limits, 0);
    cr_assert_eq(c.sim.max_creating, 7);
    cr_assert_eq(c.sim.clock, SIM_CLOCK_VIRTUAL);
    cr_assert_str_eq(c.sim.faults_path, "/tmp/f.json");
    cr_assert_eq(c.sim.seed, 42);

    char *env[] = {"KINESIS_SIM_CLOCK=virtual", "KINESIS_SIM_CONTROL_LIMITS=off", "KINESIS_SIM_SEED=7", NULL};
    char *argv[] = {"kinesis-sim", NULL};
    cr_assert_eq(parse(&c, env, 1, argv), SIM_CONFIG_RUN, "%s", err);
    cr_assert_eq(c.sim.clock, SIM_CLOCK_VIRTUAL);
    cr_assert_eq(c.sim.control_limits, 0);
    cr_assert_eq(c.sim.seed, 7);
}

Test(config, bad_simulation_values_name_the_flag)
{
    const char *cases[][2] = {{"--throttle", "maybe"}, {"--throttle-scale", "0"}, {"--control-limits", "yes"},
                              {"--clock", "fast"},     {"--seed", "-1"},          {"--max-creating", "x"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sim_config c;
        char *argv[] = {"kinesis-sim", (char *)cases[i][0], (char *)cases[i][1], NULL};
        err[0] = 0;
        cr_assert_eq(parse(&c, NULL, 3, argv), SIM_CONFIG_ERROR, "%s %s accepted", cases[i][0], cases[i][1]);
        cr_assert(strstr(err, cases[i][0]), "message does not name %s: %s", cases[i][0], err);
        cr_assert(strstr(err, cases[i][1]), "message does not quote the value: %s", err);
    }
    sim_config c;
    char *env[] = {"KINESIS_SIM_THROTTLE=sometimes", NULL};
    char *argv[] = {"kinesis-sim", NULL};
    cr_assert_eq(parse(&c, env, 1, argv), SIM_CONFIG_ERROR);
    cr_assert(strstr(err, "KINESIS_SIM_THROTTLE"), "%s", err);
}

Test(config, auth_modes_and_credentials)
{
    sim_config c;
    cr_assert_eq(PARSE_ARGS(&c, NULL, "--auth", "strict"), SIM_CONFIG_ERROR);
    cr_assert(strstr(err, "--credentials"), "%s", err);
    cr_assert_eq(PARSE_ARGS(&c, NULL, "--auth", "strict", "--credentials", "/tmp/keys"), SIM_CONFIG_RUN, "%s",
                 err);
    cr_assert_eq(c.auth_mode, SIM_AUTH_STRICT);
    cr_assert_str_eq(c.credentials_path, "/tmp/keys");
    char *env[] = {"KINESIS_SIM_AUTH=strict", "KINESIS_SIM_CREDENTIALS=/tmp/k2", NULL};
    char *argv[] = {"kinesis-sim", NULL};
    cr_assert_eq(parse(&c, env, 1, argv), SIM_CONFIG_RUN, "%s", err);
    cr_assert_eq(c.auth_mode, SIM_AUTH_STRICT);
    cr_assert_str_eq(c.credentials_path, "/tmp/k2");
    cr_assert_eq(PARSE_ARGS(&c, NULL, "--auth", "format"), SIM_CONFIG_RUN);
    cr_assert_eq(c.auth_mode, SIM_AUTH_FORMAT);
    cr_assert_eq(PARSE_ARGS(&c, NULL, "--auth", "sigv4"), SIM_CONFIG_ERROR);
    cr_assert(strstr(err, "format|strict"), "%s", err);
}

Test(config, control_token_and_tls)
{
    sim_config c;
    cr_assert_eq(PARSE_ARGS(&c, NULL, "--control-token", "s3cret-token"), SIM_CONFIG_RUN, "%s", err);
    cr_assert_str_eq(c.control_token, "s3cret-token");
    cr_assert_eq(PARSE_ARGS(&c, NULL, "--control-token", "short"), SIM_CONFIG_ERROR);
    cr_assert_eq(PARSE_ARGS(&c, NULL, "--control-token", "has space in it"), SIM_CONFIG_ERROR);

    cr_assert_eq(PARSE_ARGS(&c, NULL, "--tls-cert", "c.pem", "--tls-key=k.pem", "--tls-port", "4568"),
                 SIM_CONFIG_RUN, "%s", err);
    cr_assert_str_eq(c.tls_cert, "c.pem");
    cr_assert_str_eq(c.tls_key, "k.pem");
    cr_assert_eq(c.tls_port, 4568);
    char *env[] = {"KINESIS_SIM_TLS_CERT=/e/c.pem", "KINESIS_SIM_TLS_KEY=/e/k.pem", "KINESIS_SIM_TLS_PORT=0",
                   NULL};
    char *argv[] = {"kinesis-sim", NULL};
    cr_assert_eq(parse(&c, env, 1, argv), SIM_CONFIG_RUN, "%s", err);
    cr_assert_str_eq(c.tls_cert, "/e/c.pem");
    cr_assert_str_eq(c.tls_key, "/e/k.pem");
    cr_assert_eq(PARSE_ARGS(&c, NULL, "--tls-cert", "c.pem"), SIM_CONFIG_ERROR);
    cr_assert(strstr(err, "--tls-key"), "%s", err);
    cr_assert_eq(PARSE_ARGS(&c, NULL, "--tls-port", "70000"), SIM_CONFIG_ERROR);
}

Test(config, console_port_is_off_unless_given)
{
    sim_config c;
    cr_assert_eq(PARSE_ARGS(&c, NULL, "--port", "0"), SIM_CONFIG_RUN, "%s", err);
    cr_assert_eq(c.console_port, -1, "no console listener by default");
    cr_assert_eq(PARSE_ARGS(&c, NULL, "--console-port", "0"), SIM_CONFIG_RUN, "%s", err);
    cr_assert_eq(c.console_port, 0, "0: a free port");
    char *env[] = {"KINESIS_SIM_CONSOLE_PORT=4580", NULL};
    char *argv[] = {"kinesis-sim", NULL};
    cr_assert_eq(parse(&c, env, 1, argv), SIM_CONFIG_RUN, "%s", err);
    cr_assert_eq(c.console_port, 4580);
    cr_assert_eq(PARSE_ARGS(&c, NULL, "--console-port", "-1"), SIM_CONFIG_ERROR);
    cr_assert_eq(PARSE_ARGS(&c, NULL, "--console-port", "70000"), SIM_CONFIG_ERROR);
}

Test(config, loopback_hosts)
{
    cr_assert(sim_config_host_is_loopback("127.0.0.1"));
    cr_assert(sim_config_host_is_loopback("127.1.2.3"));
    cr_assert(sim_config_host_is_loopback("::1"));
    cr_assert(sim_config_host_is_loopback("localhost"));
    cr_assert_not(sim_config_host_is_loopback("0.0.0.0"));
    cr_assert_not(sim_config_host_is_loopback("::"));
    cr_assert_not(sim_config_host_is_loopback("10.0.0.1"));
    cr_assert_not(sim_config_host_is_loopback("127.0.0.1.evil"));
    cr_assert_not(sim_config_host_is_loopback("128.0.0.1"));
    cr_assert_not(sim_config_host_is_loopback(NULL));
}

Test(config, help_lists_the_new_flags)
{
    sim_config c;
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    char *argv[] = {"kinesis-sim", "--help", NULL};
    cr_assert_eq(sim_config_parse(&c, 2, argv, NULL, out, err, sizeof err), SIM_CONFIG_EXIT);
    fclose(out);
    const char *want[] = {"--throttle aws|off",
                          "KINESIS_SIM_THROTTLE_SCALE",
                          "--clock real|virtual",
                          "--faults FILE",
                          "--seed N",
                          "--auth MODE",
                          "format|strict",
                          "default format",
                          "--credentials FILE",
                          "KINESIS_SIM_CONTROL_TOKEN",
                          "--tls-cert FILE",
                          "--tls-port N",
                          "--console-port N",
                          "ACCESS_KEY_ID SECRET_ACCESS_KEY [ACCOUNT_ID]"};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        cr_assert(strstr(buf, want[i]), "help lacks '%s':\n%s", want[i], buf);
    free(buf);
}

/* issue 14: --create-stream NAME[:SHARDS[:MODE]], repeatable, and KINESIS_SIM_CREATE_STREAMS */
Test(config, create_stream_flags_and_environment)
{
    sim_config c;
    cr_assert_eq(PARSE_ARGS(&c, NULL, "--create-stream", "orders:2", "--create-stream=audit"), SIM_CONFIG_RUN,
                 "%s", err);
    cr_assert_str_eq(c.create_streams, "orders:2,audit", "repeatable: each flag adds one");
    char *env[] = {"KINESIS_SIM_CREATE_STREAMS=a:2,b:1:ON_DEMAND", NULL};
    cr_assert_eq(PARSE_ARGS(&c, env, "--port", "0"), SIM_CONFIG_RUN, "%s", err);
    cr_assert_str_eq(c.create_streams, "a:2,b:1:ON_DEMAND");
    cr_assert_eq(PARSE_ARGS(&c, env, "--create-stream", "c"), SIM_CONFIG_RUN, "%s", err);
    cr_assert_str_eq(c.create_streams, "c", "flags replace the environment's list, as flags win");

    cr_assert_eq(PARSE_ARGS(&c, NULL, "--create-stream", "x:0"), SIM_CONFIG_ERROR);
    cr_assert(strstr(err, "--create-stream") && strstr(err, "shard count"), "%s", err);
    cr_assert_eq(PARSE_ARGS(&c, NULL, "--create-stream", "x:1:FAST"), SIM_CONFIG_ERROR);
    cr_assert(strstr(err, "PROVISIONED or ON_DEMAND"), "%s", err);
    cr_assert_eq(PARSE_ARGS(&c, NULL, "--create-stream", "no spaces"), SIM_CONFIG_ERROR);
    char *bad_env[] = {"KINESIS_SIM_CREATE_STREAMS=a,,b", NULL};
    cr_assert_eq(PARSE_ARGS(&c, bad_env, "--port", "0"), SIM_CONFIG_ERROR);
    cr_assert(strstr(err, "KINESIS_SIM_CREATE_STREAMS"), "names the variable: %s", err);

    sim_stream_spec sp;
    char why[256];
    const char *item = "Orders.v2:3:on_demand";
    cr_assert_eq(sim_config_stream_spec(item, strlen(item), &sp, why, sizeof why), 0, "%s", why);
    cr_assert_str_eq(sp.name, "Orders.v2");
    cr_assert_eq(sp.shards, 3);
    cr_assert_eq(sp.on_demand, 1, "the mode in either case");
    cr_assert_eq(sim_config_stream_spec("solo,next", 4, &sp, why, sizeof why), 0,
                 "only len characters count");
    cr_assert_str_eq(sp.name, "solo");
    cr_assert_eq(sp.shards, 1, "one shard by default");
    cr_assert_eq(sp.on_demand, 0);
}

/* issue 14: a KINESIS_SIM_* variable that is no setting is reported (main.c warns) */
Test(config, unknown_environment_variables_are_found)
{
    char names[256];
    char *env[] = {
        "KINESIS_SIM_PROT=4567",    "KINESIS_SIM_PORT=1",           "KINESIS_SIM_ENDPOINT=http://x",
        "KINESIS_SIM_BIN=build/x",  "KINESIS_SIM_CREATE_STREAMS=a", "PATH=/bin",
        "KINESIS_SIM_THROTTLE=off", "KINESIS_SIM_CREATE_STREAM=b",  NULL};
    cr_assert_eq(sim_config_unknown_env(env, names, sizeof names), 2);
    cr_assert_str_eq(names, "KINESIS_SIM_PROT KINESIS_SIM_CREATE_STREAM");
    char *none[] = {"KINESIS_SIM_DB=:memory:", NULL};
    cr_assert_eq(sim_config_unknown_env(none, names, sizeof names), 0);
    cr_assert_str_eq(names, "");
}
