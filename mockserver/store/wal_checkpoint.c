/* wal_checkpoint.c: the store's WAL checkpoints, run on a background thread (wal_checkpoint.h).
 *
 * Why: with synchronous=NORMAL a commit only appends to the write-ahead log; the fsync calls come
 * with checkpoints, which copy the log into the database file (fsync of the log first, of the
 * database after). SQLite's automatic checkpoint runs them inside the COMMIT that crossed 1,000
 * log frames, on the thread that answers requests, which then waited for the disk: under a
 * PutRecord load a fifth of its time. Here a second connection, on a thread of its own, runs
 * PASSIVE checkpoints, which copy what the log holds without stopping the writer; the sync order
 * SQLite keeps for a checkpoint is unchanged, so a crash (or power loss) loses nothing more than
 * before.
 *
 * Starting the log over: SQLite rewrites the log from its start only when a write transaction
 * begins with every frame already copied. A background pass never gets there while writes go on
 * (new frames arrive during its fsync calls), so once the log is long the writer runs one PASSIVE
 * checkpoint itself, right after a background pass, when what is left to copy is what came during
 * that pass; its next write then starts the log over. Past hard limits it does so whenever the
 * background thread is idle, and at the last one it waits for it, so the log stays bounded
 * whatever the load.
 *
 * The thread opens its connection itself, so starting the simulator does not wait for it; if it
 * cannot, the writer checkpoints as SQLite would have (a pass every 1,000 frames).
 *
 * Both connections use STORE_VFS (store_vfs.c, over SQLite's unix-excl): the database file is
 * locked once for the process and the WAL index lives in this process's memory, shared by the two
 * connections; store.c holds the whole file for this process anyway (flock). */
#include "store/wal_checkpoint.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/sim.h"
#include "store/store_vfs.h"

#define KICK_FRAMES 1000    /* a background pass once this many frames wait to be copied */
#define RESTART_FRAMES 4000 /* log this long: the writer ends it after the next background pass */
#define FORCE_FRAMES 16000  /* log this long: the writer ends it whenever the thread is idle */
#define WAIT_FRAMES WAL_CHECKPOINT_MAX_FRAMES /* log this long: the writer waits, then ends it */

enum { IDLE, BACKGROUND, FOREGROUND };

struct wal_checkpointer {
    sqlite3 *db; /* the writer's connection (the hook runs on its thread) */
    sqlite3 *bg; /* the background thread's own connection (opened by the thread) */
    char *path;
    void (*before_pass)(void *); /* set before the thread starts */
    void *before_arg;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cond; /* kick, stop, or a pass ended */
    /* under mu */
    int running; /* IDLE, or who runs a pass */
    int kick;    /* the writer asks for a background pass */
    int stop;
    int copied;      /* frames of the current log known to be copied (after the last pass) */
    int last_frames; /* the log's length after the previous commit */
    int pass_ended;  /* a background pass ended since the writer last looked */
    int warned;      /* a failure was logged (once per run of failures) */
    int no_thread;   /* the thread could not open its connection: the writer checkpoints */
    wal_checkpoint_stats stats;
};

/* One PASSIVE pass, by the thread (BACKGROUND, on its connection) or by the writer (FOREGROUND,
 * on its own, while the thread is idle). Called under mu, which is let go during the pass; counts
 * the result and logs the first failure of a run of them. */
static void run_pass(wal_checkpointer *w, int who)
{
    sqlite3 *conn = who == BACKGROUND ? w->bg : w->db;
    w->running = who;
    pthread_mutex_unlock(&w->mu);
    if (w->before_pass)
        w->before_pass(w->before_arg);
    int log_frames = 0, ckpt_frames = 0;
    int rc = sqlite3_wal_checkpoint_v2(conn, NULL, SQLITE_CHECKPOINT_PASSIVE, &log_frames, &ckpt_frames);
    pthread_mutex_lock(&w->mu);
    w->running = IDLE;
    if (who == BACKGROUND)
        w->stats.background++;
    else
        w->stats.foreground++;
    if (rc == SQLITE_OK || rc == SQLITE_BUSY) { /* BUSY: another pass held the log; nothing lost */
        if (rc == SQLITE_OK)
            w->copied = ckpt_frames > 0 ? ckpt_frames : 0;
        w->warned = 0;
        return;
    }
    w->stats.failures++;
    if (!w->warned)
        sim_log(SIM_LOG_WARN, "store: WAL checkpoint failed: %s (the log grows until one succeeds)",
                sqlite3_errmsg(conn));
    w->warned = 1;
}

/* Opens the thread's connection; 0, or -1 with the reason logged. */
static int open_connection(wal_checkpointer *w)
{
    if (sqlite3_open_v2(w->path, &w->bg, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, STORE_VFS) ==
            SQLITE_OK &&
        /* NORMAL: a checkpoint syncs the log before copying and the database after */
        sqlite3_exec(w->bg, "PRAGMA synchronous=NORMAL", NULL, NULL, NULL) == SQLITE_OK &&
        /* reading the schema opens the log on this connection */
        sqlite3_exec(w->bg, "SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL) == SQLITE_OK)
        return 0;
    sim_log(SIM_LOG_WARN, "store: no checkpoint thread (%s): the writer checkpoints the log itself",
            w->bg ? sqlite3_errmsg(w->bg) : "out of memory");
    sqlite3_close(w->bg);
    w->bg = NULL;
    return -1;
}

static void *checkpoint_main(void *arg)
{
    wal_checkpointer *w = arg;
    /* opened here, not in wal_checkpointer_start: the simulator answers sooner after starting */
    int opened = open_connection(w);
    pthread_mutex_lock(&w->mu);
    if (opened != 0)
        w->no_thread = 1;
    for (;;) {
        while (!w->stop && (!w->kick || w->no_thread))
            pthread_cond_wait(&w->cond, &w->mu);
        if (w->stop)
            break;
        w->kick = 0;
        if (w->running != IDLE)
            continue; /* the writer runs one; it kicks again if still needed */
        run_pass(w, BACKGROUND);
        w->pass_ended = 1;
        pthread_cond_broadcast(&w->cond);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

/* SQLite calls this on the writer's thread after each commit, with the log's length in frames. */
static int on_commit(void *arg, sqlite3 *db, const char *name, int frames)
{
    (void)db;
    (void)name;
    wal_checkpointer *w = arg;
    pthread_mutex_lock(&w->mu);
    if (frames < w->last_frames) { /* the log started over */
        w->copied = 0;
        w->stats.restarts++;
    }
    w->last_frames = frames;
    if ((uint64_t)frames > w->stats.max_frames)
        w->stats.max_frames = (uint64_t)frames;
    int ended = w->pass_ended;
    w->pass_ended = 0;
    if (frames >= WAIT_FRAMES && w->running == BACKGROUND) {
        w->stats.waits++;
        while (w->running == BACKGROUND)
            pthread_cond_wait(&w->cond, &w->mu);
    }
    if (w->running == IDLE) {
        int left = frames - w->copied;
        if (w->no_thread ? left >= KICK_FRAMES
                         : (frames >= FORCE_FRAMES || (frames >= RESTART_FRAMES && ended))) {
            run_pass(w, FOREGROUND);
        } else if (left >= KICK_FRAMES) {
            w->kick = 1;
            pthread_cond_signal(&w->cond);
        }
    }
    pthread_mutex_unlock(&w->mu);
    return SQLITE_OK;
}

wal_checkpointer *wal_checkpointer_start(sqlite3 *db, const char *path, void (*before_pass)(void *),
                                         void *arg, char *err, size_t err_len)
{
    wal_checkpointer *w = calloc(1, sizeof *w);
    if (!w || !(w->path = strdup(path))) {
        free(w);
        snprintf(err, err_len, "out of memory");
        return NULL;
    }
    w->db = db;
    w->before_pass = before_pass;
    w->before_arg = arg;
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cond, NULL);
    if (pthread_create(&w->thread, NULL, checkpoint_main, w) != 0) {
        snprintf(err, err_len, "cannot start the checkpoint thread");
        pthread_cond_destroy(&w->cond);
        pthread_mutex_destroy(&w->mu);
        free(w->path);
        free(w);
        return NULL;
    }
    sqlite3_wal_hook(db, on_commit, w); /* replaces SQLite's automatic checkpoint */
    return w;
}

void wal_checkpointer_stop(wal_checkpointer *w)
{
    if (!w)
        return;
    sqlite3_wal_autocheckpoint(w->db, 1000); /* SQLite's default, in place of our hook */
    pthread_mutex_lock(&w->mu);
    w->stop = 1;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL); /* the counters are final from here on */
    sim_log(SIM_LOG_DEBUG,
            "store: WAL checkpoints: %llu in the background, %llu by the writer (%llu after waiting), %llu "
            "failed",
            (unsigned long long)w->stats.background, (unsigned long long)w->stats.foreground,
            (unsigned long long)w->stats.waits, (unsigned long long)w->stats.failures);
    sqlite3_close(w->bg);
    free(w->path);
    pthread_cond_destroy(&w->cond);
    pthread_mutex_destroy(&w->mu);
    free(w);
}

void wal_checkpointer_stats(wal_checkpointer *w, wal_checkpoint_stats *out)
{
    memset(out, 0, sizeof *out);
    if (!w)
        return;
    pthread_mutex_lock(&w->mu);
    *out = w->stats;
    pthread_mutex_unlock(&w->mu);
}
