/* store: SQLite (WAL) persistence of meters, readings, rejected telegrams and events.
 * It subscribes to the datahub; drivers never call it. Writes are batched in one
 * transaction per readout cycle (committed at DH_CYCLE_END or after 1 s at most). */
#ifndef GW_STORE_H
#define GW_STORE_H
#include "datahub.h"
#include "loop.h"

typedef struct gw_store gw_store;

/* Open or create the database; on error returns NULL and writes a message into err. */
gw_store *store_open(const char *path, char *err, size_t errlen);
/* Subscribe to hub (and use loop, which may be NULL, for the 1 s commit timer).
 * Tables: meters (upserted by name), readings (value REAL for numbers and bools,
 * value_text for strings and bytes as "68 03 ..."), events, rejected (an event of
 * kind "rejected" also stores its bytes as a BLOB and as hex). */
void store_attach(gw_store *store, datahub *hub, gw_loop *loop);
void store_flush(gw_store *store); /* commit pending writes now */
void store_close(gw_store *store);  /* flushes and unsubscribes; call before datahub_free */
#endif
