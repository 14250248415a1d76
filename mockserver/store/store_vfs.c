/* store_vfs.c: the store's SQLite VFS (store_vfs.h), a thin layer over SQLite's unix-excl VFS.
 *
 * unix-excl locks the database file once for the process and keeps the WAL index in this
 * process's memory, shared by its connections (the writer and the checkpoint thread's, see
 * wal_checkpoint.c); locking then costs no system calls. The layer adds one thing: SQLite writes
 * each log frame as two calls (its 24-byte header, then the page), so a commit of five pages made
 * ten pwrite calls. Here the writes to a log file that follow each other are gathered in a buffer
 * and go out as one call when the commit's last page is written (its frame header says it ends a
 * commit), before SQLite publishes the frames in the WAL index: other connections, and a restart
 * after a crash, see exactly what they saw before. Anything else done to the log (a read, a sync,
 * a truncation, a size query, closing) first writes out what is buffered; so does a write
 * elsewhere in the file and a full buffer. A failed write out is reported by the call that caused
 * it, as SQLite's own write would have been, and the buffered frames are dropped (SQLite never
 * published them).
 *
 * Every other file, and every other method, goes straight to unix-excl. */
#include "store/store_vfs.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* SQLite's unix VFS asserts, and then masks, that one write is under 128 KiB (0x1ffff bytes) */
#define WAL_BUFFER_BYTES (120 * 1024)
#define WAL_FRAME_HEADER 24

typedef struct vfs_file {
    sqlite3_file base;  /* pMethods: &wal_methods for a log file, &plain_methods otherwise */
    sqlite3_file *real; /* unix-excl's file, in the same allocation after this struct */
    unsigned char *buf; /* log files: writes not yet made (malloc'd on first use) */
    size_t len;
    sqlite3_int64 buf_off; /* file offset of buf[0] */
    int commit_next;       /* the last write was a frame header that ends a commit */
} vfs_file;

static sqlite3_vfs *real_vfs; /* unix-excl */
static sqlite3_vfs store_vfs;
static pthread_once_t register_once = PTHREAD_ONCE_INIT;
static int register_rc = -1;
static atomic_uint_fast64_t n_writes, n_flushes;

#define REAL(f) (((vfs_file *)(f))->real)

/* Write out what is buffered. */
static int flush(vfs_file *f)
{
    if (f->len == 0)
        return SQLITE_OK;
    atomic_fetch_add_explicit(&n_flushes, 1, memory_order_relaxed);
    int rc = f->real->pMethods->xWrite(f->real, f->buf, (int)f->len, f->buf_off);
    f->len = 0;
    return rc;
}

/* ---- methods of log files ---- */

static int wal_close(sqlite3_file *file)
{
    vfs_file *f = (vfs_file *)file;
    int rc = flush(f);
    int rc2 = f->real->pMethods->xClose(f->real);
    free(f->buf);
    f->buf = NULL;
    return rc != SQLITE_OK ? rc : rc2;
}

static int wal_read(sqlite3_file *file, void *out, int amt, sqlite3_int64 off)
{
    int rc = flush((vfs_file *)file);
    return rc != SQLITE_OK ? rc : REAL(file)->pMethods->xRead(REAL(file), out, amt, off);
}

static int wal_write(sqlite3_file *file, const void *data, int amt, sqlite3_int64 off)
{
    vfs_file *f = (vfs_file *)file;
    atomic_fetch_add_explicit(&n_writes, 1, memory_order_relaxed);
    /* this write completes a commit when the previous one was the header of its last frame */
    int ends_commit = f->commit_next;
    /* a frame header: bytes 4-7 hold the database size after a commit, zero in other frames */
    const unsigned char *h = data;
    f->commit_next = amt == WAL_FRAME_HEADER && (h[4] | h[5] | h[6] | h[7]) != 0;
    if (f->len > 0 &&
        (off != f->buf_off + (sqlite3_int64)f->len || f->len + (size_t)amt > WAL_BUFFER_BYTES)) {
        int rc = flush(f);
        if (rc != SQLITE_OK)
            return rc;
    }
    if ((size_t)amt > WAL_BUFFER_BYTES || (!f->buf && !(f->buf = malloc(WAL_BUFFER_BYTES)))) {
        /* larger than the buffer, or no memory for one: straight through */
        atomic_fetch_add_explicit(&n_flushes, 1, memory_order_relaxed);
        return f->real->pMethods->xWrite(f->real, data, amt, off);
    }
    if (f->len == 0)
        f->buf_off = off;
    memcpy(f->buf + f->len, data, (size_t)amt);
    f->len += (size_t)amt;
    return ends_commit ? flush(f) : SQLITE_OK;
}

static int wal_truncate(sqlite3_file *file, sqlite3_int64 size)
{
    int rc = flush((vfs_file *)file);
    return rc != SQLITE_OK ? rc : REAL(file)->pMethods->xTruncate(REAL(file), size);
}

static int wal_sync(sqlite3_file *file, int flags)
{
    int rc = flush((vfs_file *)file);
    return rc != SQLITE_OK ? rc : REAL(file)->pMethods->xSync(REAL(file), flags);
}

static int wal_file_size(sqlite3_file *file, sqlite3_int64 *size)
{
    int rc = flush((vfs_file *)file);
    return rc != SQLITE_OK ? rc : REAL(file)->pMethods->xFileSize(REAL(file), size);
}

static int wal_file_control(sqlite3_file *file, int op, void *arg)
{
    int rc = flush((vfs_file *)file);
    return rc != SQLITE_OK ? rc : REAL(file)->pMethods->xFileControl(REAL(file), op, arg);
}

static int wal_fetch(sqlite3_file *file, sqlite3_int64 off, int amt, void **pp)
{
    *pp = NULL;
    int rc = flush((vfs_file *)file);
    return rc != SQLITE_OK ? rc : REAL(file)->pMethods->xFetch(REAL(file), off, amt, pp);
}

/* ---- methods passed straight on (all files) ---- */

static int plain_close(sqlite3_file *file)
{
    return REAL(file)->pMethods->xClose(REAL(file));
}
static int plain_read(sqlite3_file *file, void *out, int amt, sqlite3_int64 off)
{
    return REAL(file)->pMethods->xRead(REAL(file), out, amt, off);
}
static int plain_write(sqlite3_file *file, const void *data, int amt, sqlite3_int64 off)
{
    return REAL(file)->pMethods->xWrite(REAL(file), data, amt, off);
}
static int plain_truncate(sqlite3_file *file, sqlite3_int64 size)
{
    return REAL(file)->pMethods->xTruncate(REAL(file), size);
}
static int plain_sync(sqlite3_file *file, int flags)
{
    return REAL(file)->pMethods->xSync(REAL(file), flags);
}
static int plain_file_size(sqlite3_file *file, sqlite3_int64 *size)
{
    return REAL(file)->pMethods->xFileSize(REAL(file), size);
}
static int plain_lock(sqlite3_file *file, int level)
{
    return REAL(file)->pMethods->xLock(REAL(file), level);
}
static int plain_unlock(sqlite3_file *file, int level)
{
    return REAL(file)->pMethods->xUnlock(REAL(file), level);
}
static int plain_check_reserved(sqlite3_file *file, int *out)
{
    return REAL(file)->pMethods->xCheckReservedLock(REAL(file), out);
}
static int plain_file_control(sqlite3_file *file, int op, void *arg)
{
    return REAL(file)->pMethods->xFileControl(REAL(file), op, arg);
}
static int plain_sector_size(sqlite3_file *file)
{
    return REAL(file)->pMethods->xSectorSize(REAL(file));
}
static int plain_device_characteristics(sqlite3_file *file)
{
    return REAL(file)->pMethods->xDeviceCharacteristics(REAL(file));
}
static int plain_shm_map(sqlite3_file *file, int region, int size, int extend, void volatile **pp)
{
    return REAL(file)->pMethods->xShmMap(REAL(file), region, size, extend, pp);
}
static int plain_shm_lock(sqlite3_file *file, int offset, int n, int flags)
{
    return REAL(file)->pMethods->xShmLock(REAL(file), offset, n, flags);
}
static void plain_shm_barrier(sqlite3_file *file)
{
    REAL(file)->pMethods->xShmBarrier(REAL(file));
}
static int plain_shm_unmap(sqlite3_file *file, int delete_flag)
{
    return REAL(file)->pMethods->xShmUnmap(REAL(file), delete_flag);
}
static int plain_fetch(sqlite3_file *file, sqlite3_int64 off, int amt, void **pp)
{
    return REAL(file)->pMethods->xFetch(REAL(file), off, amt, pp);
}
static int plain_unfetch(sqlite3_file *file, sqlite3_int64 off, void *p)
{
    return REAL(file)->pMethods->xUnfetch(REAL(file), off, p);
}

static const sqlite3_io_methods plain_methods = {
    .iVersion = 3,
    .xClose = plain_close,
    .xRead = plain_read,
    .xWrite = plain_write,
    .xTruncate = plain_truncate,
    .xSync = plain_sync,
    .xFileSize = plain_file_size,
    .xLock = plain_lock,
    .xUnlock = plain_unlock,
    .xCheckReservedLock = plain_check_reserved,
    .xFileControl = plain_file_control,
    .xSectorSize = plain_sector_size,
    .xDeviceCharacteristics = plain_device_characteristics,
    .xShmMap = plain_shm_map,
    .xShmLock = plain_shm_lock,
    .xShmBarrier = plain_shm_barrier,
    .xShmUnmap = plain_shm_unmap,
    .xFetch = plain_fetch,
    .xUnfetch = plain_unfetch,
};

/* a log file: the same, but anything that reads, syncs, sizes or closes it writes out first */
static const sqlite3_io_methods wal_methods = {
    .iVersion = 3,
    .xClose = wal_close,
    .xRead = wal_read,
    .xWrite = wal_write,
    .xTruncate = wal_truncate,
    .xSync = wal_sync,
    .xFileSize = wal_file_size,
    .xLock = plain_lock,
    .xUnlock = plain_unlock,
    .xCheckReservedLock = plain_check_reserved,
    .xFileControl = wal_file_control,
    .xSectorSize = plain_sector_size,
    .xDeviceCharacteristics = plain_device_characteristics,
    .xShmMap = plain_shm_map,
    .xShmLock = plain_shm_lock,
    .xShmBarrier = plain_shm_barrier,
    .xShmUnmap = plain_shm_unmap,
    .xFetch = wal_fetch,
    .xUnfetch = plain_unfetch,
};

/* ---- the VFS ---- */

#define FILE_HEAD ((sizeof(vfs_file) + 15) & ~(size_t)15) /* the real file starts here */

static int vfs_open(sqlite3_vfs *vfs, sqlite3_filename name, sqlite3_file *file, int flags, int *out_flags)
{
    (void)vfs;
    vfs_file *f = (vfs_file *)file;
    memset(f, 0, sizeof *f);
    f->real = (sqlite3_file *)((unsigned char *)file + FILE_HEAD);
    int rc = real_vfs->xOpen(real_vfs, name, f->real, flags, out_flags);
    if (!f->real->pMethods) /* nothing to close */
        return rc;
    f->base.pMethods = (flags & SQLITE_OPEN_WAL) ? &wal_methods : &plain_methods;
    return rc; /* on failure SQLite still calls xClose, which closes the real file */
}

static int vfs_delete(sqlite3_vfs *vfs, const char *name, int sync_dir)
{
    (void)vfs;
    return real_vfs->xDelete(real_vfs, name, sync_dir);
}
static int vfs_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
    (void)vfs;
    return real_vfs->xAccess(real_vfs, name, flags, out);
}
static int vfs_full_pathname(sqlite3_vfs *vfs, const char *name, int n, char *out)
{
    (void)vfs;
    return real_vfs->xFullPathname(real_vfs, name, n, out);
}
static void *vfs_dl_open(sqlite3_vfs *vfs, const char *name)
{
    (void)vfs;
    return real_vfs->xDlOpen(real_vfs, name);
}
static void vfs_dl_error(sqlite3_vfs *vfs, int n, char *out)
{
    (void)vfs;
    real_vfs->xDlError(real_vfs, n, out);
}
static void (*vfs_dl_sym(sqlite3_vfs *vfs, void *h, const char *sym))(void)
{
    (void)vfs;
    return real_vfs->xDlSym(real_vfs, h, sym);
}
static void vfs_dl_close(sqlite3_vfs *vfs, void *h)
{
    (void)vfs;
    real_vfs->xDlClose(real_vfs, h);
}
static int vfs_randomness(sqlite3_vfs *vfs, int n, char *out)
{
    (void)vfs;
    return real_vfs->xRandomness(real_vfs, n, out);
}
static int vfs_sleep(sqlite3_vfs *vfs, int us)
{
    (void)vfs;
    return real_vfs->xSleep(real_vfs, us);
}
static int vfs_current_time(sqlite3_vfs *vfs, double *out)
{
    (void)vfs;
    return real_vfs->xCurrentTime(real_vfs, out);
}
static int vfs_last_error(sqlite3_vfs *vfs, int n, char *out)
{
    (void)vfs;
    return real_vfs->xGetLastError(real_vfs, n, out);
}
static int vfs_current_time64(sqlite3_vfs *vfs, sqlite3_int64 *out)
{
    (void)vfs;
    return real_vfs->xCurrentTimeInt64(real_vfs, out);
}
static int vfs_set_system_call(sqlite3_vfs *vfs, const char *name, sqlite3_syscall_ptr p)
{
    (void)vfs;
    return real_vfs->xSetSystemCall(real_vfs, name, p);
}
static sqlite3_syscall_ptr vfs_get_system_call(sqlite3_vfs *vfs, const char *name)
{
    (void)vfs;
    return real_vfs->xGetSystemCall(real_vfs, name);
}
static const char *vfs_next_system_call(sqlite3_vfs *vfs, const char *name)
{
    (void)vfs;
    return real_vfs->xNextSystemCall(real_vfs, name);
}

static void register_vfs(void)
{
    /* before SQLite initialises (sqlite3_vfs_find does): without memory statistics SQLite's
     * allocations skip a global mutex (fails harmlessly when SQLite is already initialised) */
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    real_vfs = sqlite3_vfs_find("unix-excl");
    if (!real_vfs || real_vfs->iVersion < 3)
        return;
    store_vfs = (sqlite3_vfs){
        .iVersion = 3,
        .szOsFile = (int)(FILE_HEAD + (size_t)real_vfs->szOsFile),
        .mxPathname = real_vfs->mxPathname,
        .zName = STORE_VFS,
        .xOpen = vfs_open,
        .xDelete = vfs_delete,
        .xAccess = vfs_access,
        .xFullPathname = vfs_full_pathname,
        .xDlOpen = vfs_dl_open,
        .xDlError = vfs_dl_error,
        .xDlSym = vfs_dl_sym,
        .xDlClose = vfs_dl_close,
        .xRandomness = vfs_randomness,
        .xSleep = vfs_sleep,
        .xCurrentTime = vfs_current_time,
        .xGetLastError = vfs_last_error,
        .xCurrentTimeInt64 = vfs_current_time64,
        .xSetSystemCall = vfs_set_system_call,
        .xGetSystemCall = vfs_get_system_call,
        .xNextSystemCall = vfs_next_system_call,
    };
    register_rc = sqlite3_vfs_register(&store_vfs, 0) == SQLITE_OK ? 0 : -1;
}

int store_vfs_register(void)
{
    pthread_once(&register_once, register_vfs);
    return register_rc;
}

void store_vfs_stats_get(store_vfs_stats *out)
{
    out->wal_writes = atomic_load_explicit(&n_writes, memory_order_relaxed);
    out->wal_flushes = atomic_load_explicit(&n_flushes, memory_order_relaxed);
}
