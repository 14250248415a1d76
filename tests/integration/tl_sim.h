/* tl_sim.h: the one way a test starts a kinesis-sim of its own (integration tests that need other
 * flags than the shared simulator's, and the crash-durability test), and the tests' clock. Plain C
 * with no test framework, so tests/durability/crash_test.c links it too; testlib.h includes it.
 * Every wait is bounded. */
#ifndef TL_SIM_H
#define TL_SIM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct tl_sim_options {
    const char *bin;         /* NULL: $KINESIS_SIM_BIN, else build/kinesis-sim */
    const char *const *env;  /* "NAME=value" strings added to its environment, NULL-terminated */
    const char *const *args; /* flags, NULL-terminated; "--host 127.0.0.1 --port 0" go first
                                unless args name --host or --port themselves */
    const char *stderr_path; /* its stderr into this file; NULL: with stdout, into tl_sim.out */
    long uid;                /* > 0: run as this user (group 65534); 0 or less: as we are */
    int no_wait;             /* do not wait for it to listen (a start that must fail) */
    long fsize_limit;        /* > 0: the size cap of any file it writes (RLIMIT_FSIZE, SIGXFSZ
                                ignored, so a write past it fails with EFBIG) */
} tl_sim_options;

typedef struct tl_sim {
    pid_t pid;
    int out;            /* its stdout (and stderr unless stderr_path), for tl_sim_read; -1 closed */
    int port;           /* from "listening on http://...:PORT"; 0 when not (yet) known */
    int tls_port;       /* from "listening on https://...:PORT" (--tls-port); 0 when none */
    char url[96];       /* http://127.0.0.1:PORT */
    char tls_url[96];   /* https://127.0.0.1:PORT, or "" */
    char printed[4096]; /* what it printed before it listened (or failed to) */
    int exit_code;      /* once it ended: as tl_sim_stop returns (-2: killed after a wait) */
} tl_sim;

/* Start a simulator. Unless no_wait, wait at most 10 s for its "listening on" line (and for the
 * https line too when args name --tls-cert). Returns 0 when it serves (or, with no_wait, runs);
 * -1 when it could not be started or did not listen in time: s->printed then says why, and the
 * process was stopped. */
int tl_sim_start(tl_sim *s, const tl_sim_options *opts);
/* SIGTERM, then at most 10 s for it to exit (SIGKILL after). Returns its exit code, 128 + the
 * signal that ended it, or -1 when there was no process. */
int tl_sim_stop(tl_sim *s);
/* SIGKILL now (a crash) and reap it; returns as tl_sim_stop. */
int tl_sim_kill(tl_sim *s);
/* Wait at most ms for it to exit by itself; as tl_sim_stop, or -2 when it still runs (it is then
 * killed). */
int tl_sim_wait(tl_sim *s, long ms);
/* Read what it printed since, for at most ms, into buf (NUL-terminated); the bytes read. */
size_t tl_sim_read(tl_sim *s, char *buf, size_t len, long ms);

/* The monotonic clock in milliseconds and microseconds, and a sleep: what every test measures
 * time with. */
int64_t tl_now_ms(void);
int64_t tl_now_us(void);
void tl_sleep_ms(long ms);

#endif
