/* dp_address: a data point's address in its protocol's own terms, as one text.
 *
 * The point (core/datahub.h) carries a protocol and this text, so that no member of
 * the point belongs to one protocol; whoever needs a protocol's fields (the store's
 * DIF/VIF columns, a report's DIF/VIF or OBIS attributes) reads them back from here.
 *
 *   M-Bus, wM-Bus  "DIF <hex> VIF <hex> storage <n> tariff <n> subunit <n>": the
 *                  record's DIF/DIFE and VIF/VIFE bytes as upper-case hex separated by
 *                  spaces, e.g. "DIF 84 00 VIF 13 storage 1 tariff 0 subunit 0"; "-"
 *                  for none (DIF 0F has no VIF: "DIF 0F VIF - storage 0 ...")
 *   DLMS           "<OBIS> class <class id> attr <attribute>", the logical name as
 *                  "A-B:C.D.E.F", e.g. "1-0:1.8.0.255 class 3 attr 2"
 *   Modbus         "<bank> <register address> <format> <byte order>", e.g.
 *                  "holding 40 uint32 ABCD" (bank: coils, discrete, holding, input) */
#ifndef GW_DP_ADDRESS_H
#define GW_DP_ADDRESS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/datahub.h"

#define DP_ADDRESS_MAX 160

/* The fields of an M-Bus record's address (EN 13757-3 data information block). */
typedef struct dp_mbus_address {
    char dif_hex[48]; /* "04", "84 00" (up to 11 bytes) */
    char vif_hex[48]; /* "13", "FD 17", or "" */
    int storage, tariff, subunit;
} dp_mbus_address;

/* "mbus", "wmbus", "dlms", "modbus"; "" for DP_PROTO_NONE. */
const char *dp_protocol_name(dp_protocol protocol);

/* Write an address into out (cap >= DP_ADDRESS_MAX is always enough). */
void dp_mbus_address_format(const dp_mbus_address *a, char *out, size_t cap);
void dp_dlms_address_format(const uint8_t obis[6], int class_id, int attr, char *out, size_t cap);
void dp_modbus_address_format(const char *bank, unsigned reg, const char *format, const char *order,
                              char *out, size_t cap);

/* The M-Bus fields of an M-Bus or wM-Bus point. False for other protocols and for an
 * address that is not in the form above; *a is then all zero and empty. */
bool dp_mbus_address_of(const dp_origin *o, dp_mbus_address *a);
/* A DLMS address read back; false when it is not in the form above. */
bool dp_dlms_address_parse(const char *address, uint8_t obis[6], int *class_id, int *attr);
/* The logical name of a DLMS point as "A-B:C.D.E.F" (cap >= 24); false for others. */
bool dp_dlms_obis_of(const dp_origin *o, char *obis, size_t cap);
#endif
