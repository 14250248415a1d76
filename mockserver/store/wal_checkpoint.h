/* wal_checkpoint.h: checkpoints the store's write-ahead log on a thread of its own, so the thread
 * that answers requests does not wait for the disk (see wal_checkpoint.c). Driven by store.c;
 * store_wal_stats passes its counters on. */
#ifndef SIM_WAL_CHECKPOINT_H
#define SIM_WAL_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

struct sqlite3; /* sqlite3.h stays out of the files that include store.h */
typedef struct wal_checkpointer wal_checkpointer;

/* The log's length never passes this many frames plus one commit's (the writer then waits for the
 * thread, and ends the log itself). */
#define WAL_CHECKPOINT_MAX_FRAMES 32000

typedef struct wal_checkpoint_stats {
    uint64_t background; /* checkpoint passes the background thread ran */
    uint64_t foreground; /* passes run on the writer's thread, to let the log start over */
    uint64_t waits;      /* times the writer waited for a background pass (the log was too long) */
    uint64_t failures;   /* passes that returned an error */
    uint64_t restarts;   /* times the log started over from its beginning */
    uint64_t max_frames; /* the longest the log was after a commit, in frames */
} wal_checkpoint_stats;

/* Takes over checkpointing for db, a WAL-mode connection opened on path with STORE_VFS:
 * turns its automatic checkpoints off, opens a second connection for the background thread and
 * installs a WAL hook on db. before_pass (may be NULL) runs, on the thread that runs the pass,
 * before each checkpoint pass, which syncs the log: store.c syncs its data files there.
 * Returns NULL with err filled when that is impossible. */
wal_checkpointer *wal_checkpointer_start(struct sqlite3 *db, const char *path, void (*before_pass)(void *),
                                         void *arg, char *err, size_t err_len);

/* Stops the thread (after the pass it is running) and closes its connection; db gets SQLite's
 * automatic checkpoints back. Call before closing db. NULL is accepted. */
void wal_checkpointer_stop(wal_checkpointer *w);

void wal_checkpointer_stats(wal_checkpointer *w, wal_checkpoint_stats *out);

#endif
