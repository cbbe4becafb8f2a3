/* dlms_profile: what the DLMS client knows of one profile generic object (class 7,
 * a load profile or an event log) of one meter, so that each entry is stored once,
 * scaled, whatever the meter does:
 *
 * - its capture objects (attribute 3): class, logical name and attribute of each
 *   column, and for captured registers (classes 3, 4, 5) the scaler and unit read
 *   from the register itself (the buffer holds raw values, IEC 62056-6-2 4.3.6);
 * - the window of entries already published: the next range read starts AT the
 *   newest timestamp stored (not one second later: meters log bursts of events in
 *   one second), and entries are identified by (time, content), so a repeated row
 *   (the boundary of a range, a row a meter repeats across blocks) is dropped while
 *   several different entries of one second are all kept.
 *
 * Pure bookkeeping: no I/O; dlms_client.c feeds it what the meter answered. */
#ifndef DLMS_PROFILE_H
#define DLMS_PROFILE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/datahub.h"

typedef struct dlms_column {
    uint16_t class_id;
    uint8_t obis[6];
    int8_t attr;
    uint16_t data_index;
    bool scaled;    /* a register's value: published with the register's scaler and unit */
    bool have_su;   /* scaler and unit known */
    bool su_failed; /* the meter did not give them: the column is published invalid */
    int8_t scaler;
    uint8_t unit;
} dlms_column;

typedef struct dlms_seen {
    int64_t ts;
    uint64_t id;
} dlms_seen;

/* Identities kept at most (a day of 15-minute entries is 96); past it the window
 * moves on even after a flagged read. */
#define DLMS_SEEN_MAX 8192

typedef struct dlms_profile {
    dlms_column *cols;
    size_t n_cols;
    bool have_cols;
    int64_t from_ns;      /* the next range read starts here (inclusive); 0: not yet */
    bool from_store;      /* from_ns came from the store: rebuild `seen` from it */
    bool reread;          /* the last read was flagged: the same range once more */
    dlms_seen *seen;      /* entries with ts >= from_ns already published */
    size_t n_seen, cap_seen;
} dlms_profile;

/* Attribute 3 (capture_objects): array of {class long-unsigned, logical name
 * octet-string(6), attribute integer, data index long-unsigned}. */
bool dlms_profile_set_columns(dlms_profile *p, const uint8_t *data, size_t len, const char **why);
void dlms_profile_forget_columns(dlms_profile *p);
/* The attribute holding scaler_unit for a captured register's column (3 for
 * register and extended register, 4 for demand register), 0 when it has none. */
int dlms_column_su_attr(const dlms_column *c);
/* The first column at or after `from` whose scaler and unit are still to be read. */
bool dlms_profile_next_su(const dlms_profile *p, size_t from, size_t *col);
/* "1-0:1.8.0.255/2": logical name and attribute of a column (for log lines). */
void dlms_column_name(const dlms_column *c, char *out, size_t cap);

/* Entry identity: FNV-1a over the timestamp and each column's value in the form the
 * store keeps it (numbers as doubles, text as text, bytes as hex text), so that the
 * identities of stored entries can be rebuilt after a restart. */
uint64_t dlms_entry_id_start(int64_t ts);
uint64_t dlms_entry_id_value(uint64_t h, const dp_value *v);
uint64_t dlms_entry_id_stored(uint64_t h, bool has_number, double number, const char *text);

bool dlms_profile_seen(const dlms_profile *p, int64_t ts, uint64_t id);
bool dlms_profile_remember(dlms_profile *p, int64_t ts, uint64_t id); /* false: out of memory */
/* After a clean read: the window starts at the newest entry (newest_ns, 0 = none
 * new) and keeps only the identities of that second. */
void dlms_profile_advance(dlms_profile *p, int64_t newest_ns);
void dlms_profile_free(dlms_profile *p);
#endif
