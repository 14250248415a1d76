/* datafile.h: the files beside a file database that hold large records' bytes (see datafile.c).
 * store.c keeps, in SQLite, which segment holds how many live records and how far it is committed;
 * this layer only appends, reads, syncs and removes the segment files. Not thread-safe except
 * datafile_sync, which the checkpoint thread calls while the writer works. */
#ifndef SIM_DATAFILE_H
#define SIM_DATAFILE_H

#include <stddef.h>
#include <stdint.h>

/* A segment stops taking new records once it holds this many bytes (at a transaction boundary). */
#define DATAFILE_SEGMENT_BYTES (64u * 1024 * 1024)

typedef struct datafile datafile;

/* A position in the appended data: which segment, and how far into it. */
typedef struct datafile_mark {
    int64_t seg;
    uint64_t pos;
} datafile_mark;

/* The segment files of the database at db_path are "<db_path>-data-NNNNNN". NULL: out of memory. */
datafile *datafile_new(const char *db_path);
/* Syncs what was committed since the last datafile_sync, closes the files. NULL is accepted. */
void datafile_free(datafile *d);

/* Where the next record goes: segment seg (0: none yet, the first append creates segment 1),
 * committed bytes already in it. Opens it and cuts off whatever lies past committed (a write
 * that was not committed before a crash). 0, or -1 with errno set. */
int datafile_resume(datafile *d, int64_t seg, uint64_t committed);

/* Call fn for every segment file on disk (any order). */
void datafile_each_file(datafile *d, void (*fn)(void *ud, int64_t seg), void *ud);
/* Size of segment seg's file (-1 when it is missing). */
int64_t datafile_file_size(datafile *d, int64_t seg);
/* Close and delete segment seg's file (never the current one). 0, or -1 with errno set. */
int datafile_remove(datafile *d, int64_t seg);

/* Buffer len bytes at the end of the current segment (starting a new segment first when the
 * current one is full and nothing is pending); *seg and *off say where they go. The bytes reach
 * the file by datafile_flush (or earlier when the buffer is large). 0, or -1 with errno set. */
int datafile_append(datafile *d, const uint8_t *data, size_t len, int64_t *seg, uint64_t *off);
/* The current append position (for undoing one request's appends). */
datafile_mark datafile_position(const datafile *d);
/* Forget what was appended after mark (a request rolled back). */
void datafile_rewind(datafile *d, datafile_mark mark);
/* Write every buffered byte to the file: one pwrite call. 0, or -1 with errno set. */
int datafile_flush(datafile *d);
/* The transaction that referenced the appended bytes committed: they are committed now. */
void datafile_committed(datafile *d);
/* The transaction failed: forget everything since the last commit. */
void datafile_abort(datafile *d);
/* Committed end of the current segment, and whether bytes are pending. */
int64_t datafile_current(const datafile *d);
int datafile_pending(const datafile *d);

/* The len bytes at off in segment seg (from the buffer when not yet written). The pointer is
 * valid until the next call on d. NULL with errno set when they cannot be read. */
const uint8_t *datafile_read(datafile *d, int64_t seg, uint64_t off, size_t len);

/* fsync every segment written since the last call (the checkpoint thread calls this right before
 * a checkpoint syncs the log: the bytes of records committed until then reach the disk first). */
void datafile_sync(datafile *d);

/* Tests: start a new segment once the current one holds this many bytes (0: the default). */
void datafile_test_segment_bytes(datafile *d, uint64_t bytes);

/* CRC-32C of len bytes (hardware instruction when the CPU has it). */
uint32_t datafile_crc32c(const uint8_t *p, size_t len);

#endif
