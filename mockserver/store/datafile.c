/* datafile.c: append-only segment files beside a file database for large records' bytes
 * (datafile.h; store.c decides what goes here and keeps the bookkeeping in SQLite).
 *
 * Why: a record's bytes in SQLite are written twice, to the write-ahead log and again by the
 * checkpoint into the database file. Here they are written once. The records row holds where they
 * are (segment, offset, length, CRC-32C), and the bytes of every record of a transaction reach
 * the file in one pwrite call before the COMMIT that makes the rows visible: a crash of the process
 * keeps what pwrite returned, which is all synchronous=NORMAL promises for the log too. Power loss:
 * datafile_sync runs right before each checkpoint syncs the log, so the bytes of records committed
 * before a checkpoint began are on disk before the log that commits them is synced.
 *
 * Each segment takes new records until it holds DATAFILE_SEGMENT_BYTES; then the next
 * transaction starts a new one, so a segment whose records all expired or were deleted can be
 * removed whole (store.c counts live records per segment). Bytes past the committed end of the
 * current segment (appended for a transaction that never committed) are cut off when the store
 * opens, and overwritten otherwise. */
#include "store/datafile.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

#define BUFFER_MAX (8u * 1024 * 1024) /* pending bytes past this are written out early */
#define OPEN_MAX 8                    /* segment files kept open besides the current one */

typedef struct open_seg {
    int64_t seg; /* 0: slot free */
    int fd;
    int dirty; /* written since the last sync (under mu) */
    uint64_t used;
} open_seg;

struct datafile {
    char *prefix;      /* "<db>-data-" */
    char *dir;         /* the directory that holds the files */
    char *name_prefix; /* the file names' "<db file name>-data-" */
    uint64_t seg_bytes;
    /* the current segment */
    int64_t seg; /* 0: none yet */
    int fd;
    int cur_dirty;      /* under mu */
    uint64_t committed; /* bytes referenced by committed rows */
    uint64_t pos;       /* where the next append goes */
    /* appended, not yet written: the bytes [buf_off, buf_off + len) == [pos - len, pos) */
    uint8_t *buf;
    size_t len, cap;
    uint64_t buf_off;
    open_seg open[OPEN_MAX];
    uint64_t clock;
    uint8_t *rbuf; /* datafile_read's result */
    size_t rcap;
    pthread_mutex_t mu; /* fds and dirty flags against datafile_sync on the checkpoint thread */
};

static void seg_path(const datafile *d, int64_t seg, char *out, size_t cap)
{
    snprintf(out, cap, "%s%06lld", d->prefix, (long long)seg);
}

datafile *datafile_new(const char *db_path)
{
    datafile *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    size_t n = strlen(db_path);
    const char *slash = strrchr(db_path, '/');
    d->prefix = malloc(n + 8);
    d->dir = slash ? strndup(db_path, slash == db_path ? 1 : (size_t)(slash - db_path)) : strdup(".");
    d->name_prefix = malloc(n + 8);
    if (!d->prefix || !d->dir || !d->name_prefix) {
        free(d->prefix);
        free(d->dir);
        free(d->name_prefix);
        free(d);
        return NULL;
    }
    snprintf(d->prefix, n + 8, "%s-data-", db_path);
    snprintf(d->name_prefix, n + 8, "%s-data-", slash ? slash + 1 : db_path);
    d->seg_bytes = DATAFILE_SEGMENT_BYTES;
    d->fd = -1;
    pthread_mutex_init(&d->mu, NULL);
    return d;
}

void datafile_free(datafile *d)
{
    if (!d)
        return;
    datafile_sync(d);
    if (d->fd >= 0)
        close(d->fd);
    for (int i = 0; i < OPEN_MAX; i++)
        if (d->open[i].seg)
            close(d->open[i].fd);
    pthread_mutex_destroy(&d->mu);
    free(d->buf);
    free(d->rbuf);
    free(d->prefix);
    free(d->dir);
    free(d->name_prefix);
    free(d);
}

void datafile_test_segment_bytes(datafile *d, uint64_t bytes)
{
    d->seg_bytes = bytes ? bytes : DATAFILE_SEGMENT_BYTES;
}

int datafile_resume(datafile *d, int64_t seg, uint64_t committed)
{
    d->seg = seg;
    d->committed = d->pos = committed;
    d->len = 0;
    if (seg == 0)
        return 0;
    char p[4200];
    seg_path(d, seg, p, sizeof p);
    d->fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (d->fd < 0)
        return -1;
    struct stat st;
    if (fstat(d->fd, &st) != 0)
        return -1;
    if ((uint64_t)st.st_size > committed && ftruncate(d->fd, (off_t)committed) != 0)
        return -1;
    return 0;
}

void datafile_each_file(datafile *d, void (*fn)(void *ud, int64_t seg), void *ud)
{
    DIR *dir = opendir(d->dir);
    if (!dir)
        return;
    size_t pl = strlen(d->name_prefix);
    struct dirent *e;
    while ((e = readdir(dir)) != NULL) {
        const char *rest = e->d_name + pl;
        if (strncmp(e->d_name, d->name_prefix, pl) != 0 || !*rest || strlen(rest) > 18)
            continue;
        int digits = 1;
        for (const char *c = rest; *c; c++)
            digits &= *c >= '0' && *c <= '9';
        long long id = digits ? strtoll(rest, NULL, 10) : 0;
        if (id > 0)
            fn(ud, id);
    }
    closedir(dir);
}

int64_t datafile_file_size(datafile *d, int64_t seg)
{
    char p[4200];
    seg_path(d, seg, p, sizeof p);
    struct stat st;
    return stat(p, &st) == 0 ? (int64_t)st.st_size : -1;
}

int datafile_remove(datafile *d, int64_t seg)
{
    if (seg == d->seg) {
        errno = EBUSY;
        return -1;
    }
    pthread_mutex_lock(&d->mu);
    for (int i = 0; i < OPEN_MAX; i++)
        if (d->open[i].seg == seg) {
            close(d->open[i].fd);
            memset(&d->open[i], 0, sizeof d->open[i]);
        }
    pthread_mutex_unlock(&d->mu);
    char p[4200];
    seg_path(d, seg, p, sizeof p);
    return unlink(p) == 0 || errno == ENOENT ? 0 : -1;
}

/* Keep fd of segment seg open for reading (and for datafile_sync when dirty); 0, or -1 when every
 * slot holds a segment that waits for its sync (then the caller closes fd itself). Under mu. */
static int keep_open(datafile *d, int64_t seg, int fd, int dirty)
{
    open_seg *slot = NULL;
    for (int i = 0; i < OPEN_MAX; i++) {
        open_seg *o = &d->open[i];
        if (!o->seg) {
            slot = o;
            break;
        }
        if (!o->dirty && (!slot || o->used < slot->used))
            slot = o;
    }
    if (!slot)
        return -1;
    if (slot->seg)
        close(slot->fd);
    slot->seg = seg;
    slot->fd = fd;
    slot->dirty = dirty;
    slot->used = ++d->clock;
    return 0;
}

/* Start segment seg + 1 (nothing is pending). */
static int next_segment(datafile *d)
{
    char p[4200];
    seg_path(d, d->seg + 1, p, sizeof p);
    /* a file of that number holds nothing committed (the store removed it at open, or an earlier
     * roll was rolled back): start it empty */
    int fd = open(p, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    pthread_mutex_lock(&d->mu);
    if (d->fd >= 0 && keep_open(d, d->seg, d->fd, d->cur_dirty) != 0) {
        pthread_mutex_unlock(&d->mu);
        fsync(d->fd); /* every slot waits for a sync: sync this one here */
        close(d->fd);
        pthread_mutex_lock(&d->mu);
    }
    d->fd = fd;
    d->cur_dirty = 0;
    d->seg++;
    pthread_mutex_unlock(&d->mu);
    d->committed = d->pos = 0;
    d->len = 0;
    return 0;
}

int datafile_flush(datafile *d)
{
    size_t done = 0;
    while (done < d->len) {
        ssize_t w = pwrite(d->fd, d->buf + done, d->len - done, (off_t)(d->buf_off + done));
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            if (w == 0)
                errno = EIO;
            return -1;
        }
        done += (size_t)w;
    }
    d->buf_off += d->len;
    d->len = 0;
    return 0;
}

int datafile_append(datafile *d, const uint8_t *data, size_t len, int64_t *seg, uint64_t *off)
{
    if (d->pos == d->committed && d->len == 0 && (d->seg == 0 || d->committed >= d->seg_bytes) &&
        next_segment(d) != 0)
        return -1;
    if (d->len + len > d->cap) {
        if (d->len > 0 && d->len + len > BUFFER_MAX && datafile_flush(d) != 0)
            return -1;
        size_t need = d->len + len, cap = d->cap ? d->cap : 64 * 1024;
        while (cap < need)
            cap *= 2;
        if (cap > d->cap) {
            uint8_t *grown = realloc(d->buf, cap);
            if (!grown) {
                errno = ENOMEM;
                return -1;
            }
            d->buf = grown;
            d->cap = cap;
        }
    }
    if (d->len == 0)
        d->buf_off = d->pos;
    if (len)
        memcpy(d->buf + d->len, data, len);
    d->len += len;
    *seg = d->seg;
    *off = d->pos;
    d->pos += len;
    return 0;
}

datafile_mark datafile_position(const datafile *d)
{
    datafile_mark m = {d->seg, d->pos};
    return m;
}

void datafile_rewind(datafile *d, datafile_mark m)
{
    /* another segment: it was started after the mark, when nothing was pending */
    uint64_t pos = m.seg == d->seg ? m.pos : d->committed;
    if (pos >= d->pos)
        return;
    if (pos >= d->buf_off && d->len > 0)
        d->len = (size_t)(pos - d->buf_off);
    else
        d->len = 0; /* written out already: the next append overwrites it */
    d->pos = pos;
}

void datafile_committed(datafile *d)
{
    if (d->pos != d->committed) {
        pthread_mutex_lock(&d->mu);
        d->cur_dirty = 1;
        pthread_mutex_unlock(&d->mu);
    }
    d->committed = d->pos;
}

void datafile_abort(datafile *d)
{
    d->len = 0;
    d->pos = d->committed;
}

int64_t datafile_current(const datafile *d)
{
    return d->seg;
}

int datafile_pending(const datafile *d)
{
    return d->pos != d->committed;
}

/* pread exactly len bytes at off; 0, or -1 with errno set (EIO for a short file). */
static int read_exact(int fd, uint8_t *out, size_t len, uint64_t off)
{
    size_t got = 0;
    while (got < len) {
        ssize_t r = pread(fd, out + got, len - got, (off_t)(off + got));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            if (r == 0)
                errno = EIO;
            return -1;
        }
        got += (size_t)r;
    }
    return 0;
}

const uint8_t *datafile_read(datafile *d, int64_t seg, uint64_t off, size_t len)
{
    if (seg == d->seg && d->len > 0 && off >= d->buf_off && off + len <= d->buf_off + d->len)
        return d->buf + (off - d->buf_off);
    if (len > d->rcap) {
        size_t cap = d->rcap ? d->rcap : 4096;
        while (cap < len)
            cap *= 2;
        uint8_t *grown = realloc(d->rbuf, cap);
        if (!grown) {
            errno = ENOMEM;
            return NULL;
        }
        d->rbuf = grown;
        d->rcap = cap;
    }
    if (len == 0)
        return d->rbuf;
    int fd = seg == d->seg ? d->fd : -1, temp = 0;
    for (int i = 0; fd < 0 && i < OPEN_MAX; i++)
        if (d->open[i].seg == seg) {
            fd = d->open[i].fd;
            d->open[i].used = ++d->clock;
        }
    if (fd < 0) {
        char p[4200];
        seg_path(d, seg, p, sizeof p);
        if ((fd = open(p, O_RDONLY | O_CLOEXEC)) < 0)
            return NULL;
        pthread_mutex_lock(&d->mu);
        temp = keep_open(d, seg, fd, 0) != 0;
        pthread_mutex_unlock(&d->mu);
    }
    int rc = read_exact(fd, d->rbuf, len, off);
    int saved = errno;
    if (temp)
        close(fd);
    errno = saved;
    return rc == 0 ? d->rbuf : NULL;
}

void datafile_sync(datafile *d)
{
    int fds[OPEN_MAX + 1], n = 0;
    pthread_mutex_lock(&d->mu);
    if (d->cur_dirty && d->fd >= 0 && (fds[n] = dup(d->fd)) >= 0) {
        n++;
        d->cur_dirty = 0;
    }
    for (int i = 0; i < OPEN_MAX; i++)
        if (d->open[i].seg && d->open[i].dirty && (fds[n] = dup(d->open[i].fd)) >= 0) {
            n++;
            d->open[i].dirty = 0;
        }
    pthread_mutex_unlock(&d->mu);
    /* outside the lock: the writer goes on meanwhile */
    for (int i = 0; i < n; i++) {
        fdatasync(fds[i]);
        close(fds[i]);
    }
}

/* ---- CRC-32C (Castagnoli) ---- */

static uint32_t crc_table[256];
static int crc_hw_ok;
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? (c >> 1) ^ 0x82F63B78u : c >> 1;
        crc_table[i] = c;
    }
#if defined(__x86_64__)
    crc_hw_ok = __builtin_cpu_supports("sse4.2");
#endif
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) static uint32_t crc_hw(uint32_t c, const uint8_t *p, size_t n)
{
    uint64_t c64 = c;
    for (; n >= 8; p += 8, n -= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        c64 = _mm_crc32_u64(c64, v);
    }
    c = (uint32_t)c64;
    for (; n; p++, n--)
        c = _mm_crc32_u8(c, *p);
    return c;
}
#endif

uint32_t datafile_crc32c(const uint8_t *p, size_t len)
{
    pthread_once(&crc_once, crc_init);
    uint32_t c = 0xFFFFFFFFu;
#if defined(__x86_64__)
    if (crc_hw_ok)
        return ~crc_hw(c, p, len);
#endif
    for (size_t i = 0; i < len; i++)
        c = crc_table[(c ^ p[i]) & 0xff] ^ (c >> 8);
    return ~c;
}
