/* store.h: the simulator's persistent state in SQLite (store.c is the only file that includes
 * sqlite3.h). WAL mode, prepared statements, bound parameters only, a schema version.
 * An acknowledged write is committed before its answer leaves.
 *
 * The domain API used by the handlers (streams, shards, records, tags, ...) is declared
 * below the lifecycle functions; it is owned by the store and handler work. */
#ifndef SIM_STORE_H
#define SIM_STORE_H

#include <stddef.h>
#include <stdint.h>

typedef struct store store;

/* Open (creating if needed) the database at path (":memory:" for none). On failure returns
 * NULL and writes a human message into err. */
store *store_open(const char *path, char *err, size_t err_len);
void store_close(store *s);

/* The server key for shard iterators: created once, kept in the database. */
int store_server_key(store *s, uint8_t key[32]);

/* Remove all data (stream_name NULL) or one stream of an account/region; 0 ok, -1 not found/failure. */
int store_reset(store *s, const char *account_id, const char *region, const char *stream_name);

#endif
