/* store_vfs.h: the SQLite VFS the store's connections use (see store_vfs.c): SQLite's unix-excl
 * with the write-ahead log's writes gathered, one write call per commit. Used by store.c and
 * wal_checkpoint.c. */
#ifndef SIM_STORE_VFS_H
#define SIM_STORE_VFS_H

#include <stdint.h>

#define STORE_VFS "kinesis-sim-store"

/* Registers STORE_VFS (once per process; later calls only report the first result). Returns 0, or
 * -1 when SQLite has no unix-excl VFS or is out of memory. */
int store_vfs_register(void);

typedef struct store_vfs_stats {
    uint64_t wal_writes;  /* writes SQLite asked for on log files */
    uint64_t wal_flushes; /* writes that reached the operating system */
} store_vfs_stats;

/* Totals over every log file opened through STORE_VFS in this process. */
void store_vfs_stats_get(store_vfs_stats *out);

#endif
