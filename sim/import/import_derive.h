/* import_derive: `hil import pcap ... --derive-base`, shared by the protocols.
 *
 * A capture of a foreign server's answers has its own addresses and values;
 * the derived base is a scenario whose gateway serves exactly those addresses
 * and whose plant feeds it the recorded values: emulated wired M-Bus meters
 * d1, d2, ... (32 records each, primary 1, 2, ..., 9600 baud), a record per
 * served value (real32, or int32 for integers, VIF "volume m3 x 1", so the
 * gateway's value is the recorded one). What differs per protocol — which
 * values the capture's server sent and the gateway section that serves them
 * (iec104: with its mapping, modbus_server: with its groups) — is one row of
 * a table (import_derive.c): its collect and write functions
 * (import_derive_iec104.c, import_derive_modbus.c). */
#ifndef SIM_IMPORT_DERIVE_H
#define SIM_IMPORT_DERIVE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "sim/import/import.h"

#define DERIVE_MAX_POINTS 8000
#define DERIVE_PER_METER 32
#define DERIVE_MAX_METERS 250

/* The values the derived meters hold, in order: value i is record i % 32 of
 * meter d(i / 32 + 1), data point "d<m>/<r>". */
typedef struct derive_values {
    double value[DERIVE_MAX_POINTS];
    bool integer[DERIVE_MAX_POINTS]; /* an int32 record, else a real32 */
    size_t n;
} derive_values;

typedef struct import_derive_row {
    const char *protocol;                 /* "IEC 104", "Modbus TCP" */
    /* What the capture's server sent into the row's own state and the
     * values to feed; 0, or -1 with a message (nothing to serve). */
    int (*collect)(capture *c, const import_stream *s, derive_values *v, char *err, size_t errlen);
    /* What the base serves, for its header ("common address 7, 8 IOAs"); n:
     * the values kept (collect's, fewer beyond 250 meters). */
    void (*describe)(FILE *f, size_t n);
    /* The row's part of the base's plant (under plant:, after its M-Bus
     * segment), or NULL. */
    void (*write_plant)(FILE *f);
    /* The gateway's server section for the first n values (under gateway:). */
    void (*write_server)(FILE *f, size_t n);
    /* NOTE and counts after the base is written (its path, the meters). */
    void (*report)(capture *c, const char *base_path, size_t meters);
} import_derive_row;

extern const import_derive_row import_derive_iec104_row;
extern const import_derive_row import_derive_modbus_row;

/* The point name of value i ("d1/0"), for the rows' server sections. */
void import_derive_point(size_t i, char *out, size_t cap);

/* Write NAME.base.yaml (its path into base_path) and the meters' telegrams
 * for the capture's protocol (iec104: the IEC 104 row, else Modbus TCP); 0 or
 * -1 with err. */
int import_derive_base(const import_opts *o, capture *c, const import_stream *s, bool iec104, char *base_path,
                       size_t cap, char *err, size_t errlen);
#endif
