/* modbus_server_muc500: the MUC500's automatic Modbus register layout (pure).
 *
 * A grid of 10 holding registers per entry (spec muc500.md §3.9):
 *   device entry (registers 0-9): serial, protocol version, software version,
 *     system time, type 1;
 *   per meter a meter entry: serial (integer), manufacturer (3 x 5 bits),
 *     version/medium, time of the last readout, type 2, flags (bit 0 not read,
 *     bit 1 not all values current);
 *   then one value entry per value: INT64 unscaled, FLOAT32 scaled, scale
 *     exponent, type 0 + unit index, the meter's time stamp of the value.
 * Variants: "float only" (2 registers per entry: meter = serial, value =
 * FLOAT32, no device entry), "swap" (least significant word first for every
 * 32/64-bit field), "multi slave" (one unit id per meter; see modbus_server.h).
 * 32/64-bit fields are big endian, most significant word first, unless swap. */
#ifndef GW_MODBUS_SERVER_MUC500_H
#define GW_MODBUS_SERVER_MUC500_H
#include <stdbool.h>
#include <stdint.h>

#define MUC_ENTRY_REGS 10
#define MUC_FLOAT_ONLY_REGS 2

typedef struct muc_layout {
    bool float_only, swap, multi_slave;
    uint32_t serial;           /* device serial (the MUC500 uses the MAC address' tail) */
    uint16_t protocol_version; /* register 2 */
    uint16_t version;          /* register 3: software version, e.g. 132 = 1.32 */
} muc_layout;

typedef struct muc_meter {
    uint32_t serial;     /* the meter's serial number as an integer (not BCD) */
    char manufacturer[4];
    unsigned version, medium;
    int64_t read_s;      /* Unix time of the last readout, 0 never */
    bool not_read;       /* flag bit 0 */
    bool not_current;    /* flag bit 1: some value is not up to date */
} muc_meter;

typedef struct muc_value {
    int64_t raw;        /* unscaled integer as sent by the meter */
    bool has_raw;       /* false: the meter sent a float; the INT64 field is 0 */
    int scale_exp;      /* value = raw * 10^scale_exp */
    double value;       /* scaled value in the unit's base form */
    unsigned unit;      /* unit index, muc_unit_index() */
    int64_t meter_ts_s; /* time stamp the meter gave the value, 0 none */
} muc_value;

/* Registers per entry in this layout (10, or 2 for float only). */
unsigned muc_entry_regs(const muc_layout *l);
/* Fill one entry (muc_entry_regs registers). The device entry does not exist
 * in float-only mode (returns false there). */
bool muc_device_entry(const muc_layout *l, int64_t now_s, uint16_t *regs);
void muc_meter_entry(const muc_layout *l, const muc_meter *m, uint16_t *regs);
void muc_value_entry(const muc_layout *l, const muc_value *v, uint16_t *regs);

/* Manufacturer "ABC" → 5-bit fields (bits 10-14, 5-9, 0-4; A = 1); 0 when invalid. */
uint16_t muc_manufacturer_code(const char *man);
/* The MUC500 unit index (Table 29) of a datahub unit ("Wh", "m3", "C", ...); 0 none/unknown. */
unsigned muc_unit_index(const char *unit);
/* Serial number text ("12345678") as an integer; 0 when not a decimal number. */
uint32_t muc_serial_number(const char *serial);
#endif
