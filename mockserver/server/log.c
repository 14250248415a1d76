/* log.c: the simulator's log (sim_log in sim.h): one line per message on stderr, with a UTC
 * timestamp and the level, filtered by --log-level. Each line is written with a single call so
 * lines from different threads never interleave. */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "server/sim.h"

static int log_level = SIM_LOG_INFO;

void sim_log_set_level(int level)
{
    log_level = level;
}

void sim_log(int level, const char *fmt, ...)
{
    if (level > log_level)
        return;
    static const char *const names[] = {"error", "warn", "info", "debug"};
    char line[4096];
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    int n = snprintf(line, sizeof line,
                     "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ kinesis-sim %s: ", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000L,
                     level >= 0 && level <= SIM_LOG_DEBUG ? names[level] : "log");
    if (n < 0 || (size_t)n >= sizeof line)
        n = 0;
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
    va_end(ap);
    size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
    if (len > sizeof line - 2)
        len = sizeof line - 2;
    line[len++] = '\n';
    line[len] = 0;
    fputs(line, stderr);
}
