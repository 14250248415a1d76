/* tl_sim.c: starting, reading and stopping a kinesis-sim of a test's own (see tl_sim.h). */
#include "tl_sim.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_ARGS 64

int64_t tl_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t tl_now_ms(void)
{
    return tl_now_us() / 1000;
}

void tl_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static int has_arg(const char *const *args, const char *name)
{
    for (size_t i = 0; args && args[i]; i++)
        if (strcmp(args[i], name) == 0 ||
            (strncmp(args[i], name, strlen(name)) == 0 && args[i][strlen(name)] == '='))
            return 1;
    return 0;
}

/* Take the port after `prefix` ("listening on http://") in text, at the last ':' of its host. */
static int port_after(const char *text, const char *prefix, char *url, size_t url_len)
{
    const char *l = strstr(text, prefix);
    if (!l || !strchr(l, '\n'))
        return 0;
    l += strlen("listening on ");
    const char *end = strchr(l, '\n');
    const char *colon = NULL;
    for (const char *p = l; p < end; p++)
        if (*p == ':' && p > l + 6) /* past "https:" */
            colon = p;
    if (!colon)
        return 0;
    snprintf(url, url_len, "%.*s", (int)(end - l), l);
    return atoi(colon + 1);
}

int tl_sim_start(tl_sim *s, const tl_sim_options *opts)
{
    static const tl_sim_options none;
    if (!opts)
        opts = &none;
    memset(s, 0, sizeof *s);
    s->out = -1;
    const char *bin = opts->bin;
    if (!bin) {
        bin = getenv("KINESIS_SIM_BIN");
        if (!bin || !*bin)
            bin = "build/kinesis-sim";
    }
    const char *argv[MAX_ARGS];
    size_t n = 0;
    argv[n++] = bin;
    if (!has_arg(opts->args, "--host")) {
        argv[n++] = "--host";
        argv[n++] = "127.0.0.1";
    }
    if (!has_arg(opts->args, "--port")) {
        argv[n++] = "--port";
        argv[n++] = "0";
    }
    for (size_t i = 0; opts->args && opts->args[i] && n < MAX_ARGS - 1; i++)
        argv[n++] = opts->args[i];
    argv[n] = NULL;

    int out[2];
    if (pipe(out) != 0) {
        snprintf(s->printed, sizeof s->printed, "pipe: %s", strerror(errno));
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(s->printed, sizeof s->printed, "fork: %s", strerror(errno));
        close(out[0]);
        close(out[1]);
        return -1;
    }
    if (pid == 0) {
        dup2(out[1], 1);
        int ef = opts->stderr_path ? open(opts->stderr_path, O_WRONLY | O_CREAT | O_TRUNC, 0644) : -1;
        dup2(ef >= 0 ? ef : out[1], 2);
        close(out[0]);
        for (size_t i = 0; opts->env && opts->env[i]; i++)
            putenv((char *)opts->env[i]);
        if (opts->fsize_limit > 0) {
            signal(SIGXFSZ, SIG_IGN);
            struct rlimit rl;
            getrlimit(RLIMIT_FSIZE, &rl);
            rl.rlim_cur = (rlim_t)opts->fsize_limit;
            setrlimit(RLIMIT_FSIZE, &rl);
        }
        if (opts->uid > 0 && (setgid(65534) != 0 || setuid((uid_t)opts->uid) != 0))
            _exit(126);
        execv(bin, (char *const *)argv);
        fprintf(stderr, "cannot run %s: %s (set KINESIS_SIM_BIN)\n", bin, strerror(errno));
        _exit(127);
    }
    close(out[1]);
    s->pid = pid;
    s->out = out[0];
    if (opts->no_wait)
        return 0;

    int want_tls = has_arg(opts->args, "--tls-cert");
    size_t len = 0;
    int64_t deadline = tl_now_ms() + 10000;
    while (tl_now_ms() < deadline && len < sizeof s->printed - 1) {
        struct pollfd p = {s->out, POLLIN, 0};
        if (poll(&p, 1, 100) <= 0)
            continue;
        ssize_t r = read(s->out, s->printed + len, sizeof s->printed - 1 - len);
        if (r <= 0)
            break; /* it exited */
        len += (size_t)r;
        s->printed[len] = 0;
        s->port = port_after(s->printed, "listening on http://", s->url, sizeof s->url);
        s->tls_port = port_after(s->printed, "listening on https://", s->tls_url, sizeof s->tls_url);
        if (s->port && (!want_tls || s->tls_port))
            return 0;
    }
    s->printed[len] = 0;
    tl_sim_stop(s);
    return -1;
}

static int exit_code(int status)
{
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int tl_sim_wait(tl_sim *s, long ms)
{
    if (s->pid <= 0)
        return -1;
    int status = 0;
    int64_t deadline = tl_now_ms() + ms;
    for (;;) {
        pid_t r = waitpid(s->pid, &status, WNOHANG);
        if (r == s->pid)
            break;
        if (r < 0 || tl_now_ms() >= deadline) {
            kill(s->pid, SIGKILL);
            waitpid(s->pid, &status, 0);
            s->pid = 0;
            if (s->out >= 0)
                close(s->out);
            s->out = -1;
            return s->exit_code = -2;
        }
        tl_sleep_ms(10);
    }
    s->pid = 0;
    if (s->out >= 0)
        close(s->out);
    s->out = -1;
    return s->exit_code = exit_code(status);
}

int tl_sim_stop(tl_sim *s)
{
    if (s->pid <= 0)
        return -1;
    kill(s->pid, SIGTERM);
    int rc = tl_sim_wait(s, 10000);
    return rc == -2 ? 128 + SIGKILL : rc;
}

int tl_sim_kill(tl_sim *s)
{
    if (s->pid <= 0)
        return -1;
    kill(s->pid, SIGKILL);
    return tl_sim_wait(s, 10000);
}

size_t tl_sim_read(tl_sim *s, char *buf, size_t len, long ms)
{
    size_t got = 0;
    if (!len)
        return 0;
    int64_t deadline = tl_now_ms() + ms;
    while (s->out >= 0 && got < len - 1) {
        long left = (long)(deadline - tl_now_ms());
        if (left <= 0)
            break;
        struct pollfd p = {s->out, POLLIN, 0};
        if (poll(&p, 1, (int)left) <= 0)
            break;
        ssize_t r = read(s->out, buf + got, len - 1 - got);
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    buf[got] = 0;
    return got;
}
