/* vmbus_record: one data point as one EN 13757-3 variable data record, for
 * the virtual M-Bus (docs/mbus.md, "Virtual M-Bus over TCP").
 *
 * M-Bus and wM-Bus points are coded as they were read: the VIF/VIFE bytes of
 * their address, the DIF's coding (integer or BCD of the same size, 32-bit
 * real), function, storage, tariff and subunit, the number as transmitted
 * (origin.raw_int). DIFEs are written by the codec's encoder, so superfluous
 * ones (a DIFE of zeros) are left out; the decoded meaning is the same. Type G
 * dates and type F date-times are coded back from their text. Not offered:
 * plain text, binary, manufacturer data, compact profiles, other time types.
 *
 * Points of other protocols (DLMS, Modbus) are offered when their quantity and
 * unit have a VIF in the encoder's table (energy Wh, volume m3, power W,
 * voltage V, current A, temperatures C, ...): an integer (32 or 64 bits) in
 * the VIF whose decade keeps the value exact, else a 32-bit real. */
#ifndef GW_VMBUS_RECORD_H
#define GW_VMBUS_RECORD_H
#include <stddef.h>
#include <stdint.h>
#include "core/datahub.h"

/* The record's bytes (DIF .. data); 0 when the point cannot be offered. */
size_t vmbus_record_encode(const dp *p, uint8_t *out, size_t cap);
#endif
