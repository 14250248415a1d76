/* client_tls.c: libkinesis and the `kinesis` CLI against a kinesis-sim serving TLS with a
 * self-signed certificate (testlib's tl_cert_make; the simulator from $KINESIS_SIM_BIN, the CLI from
 * $KINESIS_CLI_BIN or next to the simulator). Checks issue 14's certificate conventions: a
 * certificate the client does not trust fails at once with a LIBRARY error named TLS (no retries);
 * the ca_bundle option, AWS_CA_BUNDLE, and the CLI's --ca-bundle (before or after the command) make
 * it trusted; an unreadable bundle is a Configuration error naming the file. Each test starts and
 * stops its own simulator (SIGTERM, exit 0). */
#include <criterion/criterion.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kinesis/kinesis.h"
#include "testlib.h"

static tl_cert cert;
static pid_t sim_pid;
static int sim_out = -1;
static char https_url[128];
static char tmpdir[64];

static double now_s(void)
{
    return (double)tl_now_us() / 1e6;
}

static const char *sim_bin(void)
{
    const char *b = getenv("KINESIS_SIM_BIN");
    return b && *b ? b : "build/kinesis-sim";
}

/* The CLI: $KINESIS_CLI_BIN, else `kinesis` in the simulator's directory. */
static void cli_bin(char *out, size_t len)
{
    const char *b = getenv("KINESIS_CLI_BIN");
    if (b && *b) {
        snprintf(out, len, "%s", b);
        return;
    }
    const char *sim = sim_bin();
    const char *slash = strrchr(sim, '/');
    snprintf(out, len, "%.*skinesis", slash ? (int)(slash - sim + 1) : 0, sim);
}

static void setup(void)
{
    tl_cert_make(&cert, "kinesis-client-tls");
    snprintf(tmpdir, sizeof tmpdir, "/tmp/kinesis-client-tls-out-XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir));
    int out[2];
    cr_assert_eq(pipe(out), 0);
    sim_pid = fork();
    cr_assert_neq(sim_pid, -1);
    if (sim_pid == 0) {
        dup2(out[1], 1);
        dup2(out[1], 2);
        close(out[0]);
        const char *argv[] = {sim_bin(), "--host",      "127.0.0.1",  "--port",  "0",
                              "--db",    ":memory:",    "--tls-cert", cert.cert, "--tls-key",
                              cert.key,  "--log-level", "warn",       NULL};
        execv(argv[0], (char *const *)argv);
        fprintf(stderr, "cannot run %s: %s (set KINESIS_SIM_BIN)\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(out[1]);
    sim_out = out[0];
    char buf[4096];
    size_t len = 0;
    double t0 = now_s();
    https_url[0] = 0;
    while (!https_url[0] && now_s() - t0 < 10 && len < sizeof buf - 1) {
        struct pollfd p = {sim_out, POLLIN, 0};
        if (poll(&p, 1, 100) <= 0)
            continue;
        ssize_t n = read(sim_out, buf + len, sizeof buf - 1 - len);
        if (n <= 0)
            break;
        len += (size_t)n;
        buf[len] = 0;
        for (char *l = buf; (l = strstr(l, "listening on https://")); l++)
            sscanf(l, "listening on %127s", https_url);
    }
    buf[len] = 0;
    cr_assert(https_url[0], "kinesis-sim did not announce an https:// listener: %s", buf);
}

static void teardown(void)
{
    int status = 0;
    if (sim_pid > 0) {
        kill(sim_pid, SIGTERM);
        double t0 = now_s();
        pid_t r;
        while ((r = waitpid(sim_pid, &status, WNOHANG)) == 0 && now_s() - t0 < 10) {
            struct timespec nap = {0, 20 * 1000000L};
            nanosleep(&nap, NULL);
        }
        if (r == 0) {
            kill(sim_pid, SIGKILL);
            waitpid(sim_pid, &status, 0);
        }
        close(sim_out);
    }
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    cr_expect_eq(system(cmd), 0);
    tl_cert_remove(&cert);
    cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "kinesis-sim exit status %d", status);
}

TestSuite(client_tls, .init = setup, .fini = teardown, .timeout = 60);

static kinesis_client *client(const char *ca_bundle, kinesis_error **err)
{
    kinesis_client_options o = {0};
    o.endpoint = https_url;
    o.region = "us-east-1";
    o.access_key_id = "AKIDEXAMPLE";
    o.secret_access_key = "secret";
    o.ca_bundle = ca_bundle;
    o.retry.base_delay_ms = 10; /* retries, were there any, would be quick */
    return kinesis_client_new(&o, err);
}

Test(client_tls, untrusted_certificate_fails_once_named_tls)
{
    unsetenv("AWS_CA_BUNDLE");
    kinesis_error *err = NULL;
    kinesis_client *c = client(NULL, &err);
    cr_assert_not_null(c, "%s", err ? err->message : "");
    kinesis_string_list *names = NULL;
    err = kinesis_list_streams(c, &names);
    cr_assert_not_null(err, "a self-signed certificate must not be trusted by default");
    cr_expect_str_eq(err->name, KINESIS_ERR_TLS, "%s: %s", err->name, err->message);
    cr_expect_eq(err->type, KINESIS_ERROR_LIBRARY);
    cr_expect_eq(err->attempts, 1, "a certificate error is not retried (%d attempts)", err->attempts);
    cr_expect_not_null(strstr(err->message, "AWS_CA_BUNDLE"), "the message says how to trust it: %s",
                       err->message);
    cr_expect_eq(kinesis_is_retryable(err->name, err->http_status), 0);
    kinesis_error_free(err);
    kinesis_client_free(c);
}

Test(client_tls, ca_bundle_option_trusts_the_certificate)
{
    unsetenv("AWS_CA_BUNDLE");
    kinesis_error *err = NULL;
    kinesis_client *c = client(cert.cert, &err);
    cr_assert_not_null(c, "%s", err ? err->message : "");
    kinesis_string_list *names = NULL;
    err = kinesis_list_streams(c, &names);
    cr_assert_null(err, "%s: %s", err ? err->name : "", err ? err->message : "");
    kinesis_string_list_free(names);
    kinesis_client_free(c);
}

Test(client_tls, aws_ca_bundle_environment_trusts_the_certificate)
{
    setenv("AWS_CA_BUNDLE", cert.cert, 1);
    kinesis_error *err = NULL;
    kinesis_client *c = client(NULL, &err);
    cr_assert_not_null(c, "%s", err ? err->message : "");
    kinesis_string_list *names = NULL;
    err = kinesis_list_streams(c, &names);
    cr_assert_null(err, "%s: %s", err ? err->name : "", err ? err->message : "");
    kinesis_string_list_free(names);
    kinesis_client_free(c);
    unsetenv("AWS_CA_BUNDLE");
}

Test(client_tls, unreadable_ca_bundle_is_a_configuration_error)
{
    unsetenv("AWS_CA_BUNDLE");
    char missing[128];
    snprintf(missing, sizeof missing, "%s/no-such-bundle.pem", tmpdir);
    kinesis_error *err = NULL;
    kinesis_client *c = client(missing, &err);
    cr_assert_null(c);
    cr_assert_not_null(err);
    cr_expect_str_eq(err->name, KINESIS_ERR_CONFIGURATION);
    cr_expect_not_null(strstr(err->message, missing), "names the file: %s", err->message);
    kinesis_error_free(err);
    setenv("AWS_CA_BUNDLE", missing, 1);
    c = client(NULL, &err);
    cr_assert_null(c);
    cr_assert_not_null(err);
    cr_expect_not_null(strstr(err->message, "AWS_CA_BUNDLE"), "names the variable: %s", err->message);
    kinesis_error_free(err);
    unsetenv("AWS_CA_BUNDLE");
}

/* Run the CLI with `args` (a shell fragment) and extra environment `env`; the exit status, with
 * stdout and stderr kept in tmpdir/out and tmpdir/err. */
static int run_cli(const char *env, const char *args)
{
    char bin[1024], cmd[4096];
    cli_bin(bin, sizeof bin);
    snprintf(cmd, sizeof cmd,
             "env -u AWS_CA_BUNDLE -u AWS_PROFILE AWS_ACCESS_KEY_ID=AKIDEXAMPLE AWS_SECRET_ACCESS_KEY=secret "
             "AWS_REGION=us-east-1 %s '%s' %s >'%s/out' 2>'%s/err'",
             env, bin, args, tmpdir, tmpdir);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static char *slurp(const char *name)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "rb");
    static char buf[8192];
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    buf[n] = 0;
    if (f)
        fclose(f);
    return buf;
}

Test(client_tls, cli_ca_bundle_option_and_environment)
{
    char args[512];
    /* --ca-bundle after the command (global options go anywhere) */
    snprintf(args, sizeof args, "--endpoint %s list-streams --ca-bundle %s", https_url, cert.cert);
    int rc = run_cli("", args);
    cr_expect_eq(rc, 0, "kinesis ... list-streams --ca-bundle: exit %d, stderr: %s", rc, slurp("err"));
    snprintf(args, sizeof args, "--ca-bundle=%s --endpoint %s list-streams", cert.cert, https_url);
    rc = run_cli("", args);
    cr_expect_eq(rc, 0, "kinesis --ca-bundle=F ...: exit %d, stderr: %s", rc, slurp("err"));
    char env[256];
    snprintf(env, sizeof env, "AWS_CA_BUNDLE='%s'", cert.cert);
    snprintf(args, sizeof args, "list-streams --endpoint %s", https_url);
    rc = run_cli(env, args);
    cr_expect_eq(rc, 0, "AWS_CA_BUNDLE: exit %d, stderr: %s", rc, slurp("err"));
}

Test(client_tls, cli_untrusted_certificate_exit_1_without_retries)
{
    char args[512];
    snprintf(args, sizeof args, "--endpoint %s list-streams", https_url);
    int rc = run_cli("", args);
    const char *err = slurp("err");
    cr_expect_eq(rc, 1, "exit %d, stderr: %s", rc, err);
    cr_expect_not_null(strstr(err, "kinesis: TLS: "), "stderr: %s", err);
    cr_expect_null(strstr(err, "attempts"), "no retries: %s", err);
}
