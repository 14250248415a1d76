/* checkpoint_file.c: the file-backed checkpoint store of kinesis_consumer (kinesis.h). The file
 * is text, one checkpoint a line:
 *     STREAM SHARD_ID SEQUENCE_NUMBER SUB_SEQUENCE_NUMBER WHOLE
 * (names cannot hold spaces: Kinesis stream names and shard ids are [a-zA-Z0-9_.-]). It is read
 * once when the store is made and rewritten whole on every save, into PATH.tmp then renamed over
 * PATH, so a crash leaves the old or the new file, never half of one. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

typedef struct entry {
    char *stream, *shard, *seq;
    uint64_t sub;
    int whole;
} entry;

typedef struct file_store {
    kinesis_checkpoint_store api;
    char *path;
    entry *e;
    size_t n, cap;
} file_store;

static entry *find(file_store *fs, const char *stream, const char *shard)
{
    for (size_t i = 0; i < fs->n; i++)
        if (strcmp(fs->e[i].stream, stream) == 0 && strcmp(fs->e[i].shard, shard) == 0)
            return &fs->e[i];
    return NULL;
}

static entry *add(file_store *fs, const char *stream, const char *shard)
{
    if (fs->n == fs->cap) {
        size_t cap = fs->cap ? fs->cap * 2 : 16;
        entry *ne = realloc(fs->e, cap * sizeof *ne);
        if (!ne)
            return NULL;
        fs->e = ne;
        fs->cap = cap;
    }
    entry *e = &fs->e[fs->n];
    memset(e, 0, sizeof *e);
    e->stream = kc_strdup(stream);
    e->shard = kc_strdup(shard);
    if (!e->stream || !e->shard) {
        free(e->stream);
        free(e->shard);
        return NULL;
    }
    fs->n++;
    return e;
}

static int fs_load(void *self, const char *stream, const char *shard, char **seq, uint64_t *sub, int *whole)
{
    file_store *fs = self;
    *seq = NULL;
    *sub = 0;
    *whole = 0;
    entry *e = find(fs, stream, shard);
    if (!e)
        return 0;
    *seq = kc_strdup(e->seq);
    *sub = e->sub;
    *whole = e->whole;
    return *seq ? 0 : -1;
}

static int write_all(file_store *fs)
{
    char *tmp = kc_sprintf("%s.tmp", fs->path);
    if (!tmp)
        return -1;
    FILE *f = fopen(tmp, "w");
    int bad = !f;
    for (size_t i = 0; !bad && i < fs->n; i++)
        bad = fprintf(f, "%s %s %s %llu %d\n", fs->e[i].stream, fs->e[i].shard, fs->e[i].seq,
                      (unsigned long long)fs->e[i].sub, fs->e[i].whole) < 0;
    if (f && (fflush(f) != 0 || fclose(f) != 0))
        bad = 1;
    if (!bad && rename(tmp, fs->path) != 0)
        bad = 1;
    if (bad)
        remove(tmp);
    free(tmp);
    return bad ? -1 : 0;
}

static int fs_save(void *self, const char *stream, const char *shard, const char *seq, uint64_t sub,
                   int whole)
{
    file_store *fs = self;
    if (!stream || !shard || !seq || strchr(stream, ' ') || strchr(shard, ' ') || strchr(seq, ' '))
        return -1;
    entry *e = find(fs, stream, shard);
    if (!e && !(e = add(fs, stream, shard)))
        return -1;
    char *s = kc_strdup(seq);
    if (!s)
        return -1;
    free(e->seq);
    e->seq = s;
    e->sub = sub;
    e->whole = whole ? 1 : 0;
    return write_all(fs);
}

static void fs_free(void *self)
{
    file_store *fs = self;
    if (!fs)
        return;
    for (size_t i = 0; i < fs->n; i++) {
        free(fs->e[i].stream);
        free(fs->e[i].shard);
        free(fs->e[i].seq);
    }
    free(fs->e);
    free(fs->path);
    free(fs);
}

kinesis_checkpoint_store *kinesis_checkpoint_store_file(const char *path, kinesis_error **err)
{
    if (err)
        *err = NULL;
    kinesis_error *e = NULL;
    file_store *fs = NULL;
    FILE *f = NULL;
    if (!path || !*path) {
        e = kc_err(KINESIS_ERROR_LIBRARY, KINESIS_ERR_INVALID_PARAMETER, 0,
                   "Non empty argument required: path");
        goto out;
    }
    fs = calloc(1, sizeof *fs);
    if (!fs || !(fs->path = kc_strdup(path))) {
        e = kc_err_nomem();
        goto out;
    }
    fs->api.load = fs_load;
    fs->api.save = fs_save;
    fs->api.free = fs_free;
    fs->api.self = fs;
    f = fopen(path, "r");
    if (!f) {
        if (errno != ENOENT)
            e = kc_err(KINESIS_ERROR_LIBRARY, KINESIS_ERR_CONFIGURATION, 0, "checkpoint file %s: %s", path,
                       strerror(errno));
        goto out;
    }
    char line[1024];
    int lineno = 0;
    while (!e && fgets(line, sizeof line, f)) {
        lineno++;
        char stream[300], shard[300], seq[300];
        unsigned long long sub = 0;
        int whole = 0;
        if (line[0] == '\n' || line[0] == '#')
            continue;
        if (sscanf(line, "%299s %299s %299s %llu %d", stream, shard, seq, &sub, &whole) != 5) {
            e = kc_err(KINESIS_ERROR_LIBRARY, KINESIS_ERR_CONFIGURATION, 0,
                       "checkpoint file %s, line %d: expected STREAM SHARD SEQUENCE SUB WHOLE", path, lineno);
            break;
        }
        entry *x = find(fs, stream, shard);
        if (!x)
            x = add(fs, stream, shard);
        if (x)
            free(x->seq);
        if (!x || !(x->seq = kc_strdup(seq))) {
            e = kc_err_nomem();
            break;
        }
        x->sub = sub;
        x->whole = whole ? 1 : 0;
    }
out:
    if (f)
        fclose(f);
    if (e) {
        fs_free(fs);
        if (err)
            *err = e;
        else
            kinesis_error_free(e);
        return NULL;
    }
    return &fs->api;
}

void kinesis_checkpoint_store_free(kinesis_checkpoint_store *store)
{
    if (store && store->free)
        store->free(store->self);
}
