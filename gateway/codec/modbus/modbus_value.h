/* modbus_value: numbers as Modbus registers and back (pure, no I/O).
 *
 * A value occupies 1 (bool, int16, uint16), 2 (int32, uint32, float32) or 4
 * (int64, float64) registers. Registers always carry their two bytes big endian
 * on the wire; the byte order names where the value's bytes A (most significant)
 * .. D/H (least significant) land, read register by register:
 *   ABCD  big endian, most significant word first (the Modbus default)
 *   DCBA  fully reversed (little endian)
 *   CDAB  word swap: least significant word first, bytes in a word big endian
 *         (the MUC500's "Modbus swap")
 *   BADC  bytes swapped inside each word, most significant word first
 * For 64-bit values the same rule extends to four words (CDAB = GH EF CD AB). */
#ifndef GW_MODBUS_VALUE_H
#define GW_MODBUS_VALUE_H
#include <stdbool.h>
#include <stdint.h>

typedef enum {
    MBV_BOOL, MBV_INT16, MBV_UINT16, MBV_INT32, MBV_UINT32, MBV_INT64, MBV_FLOAT32, MBV_FLOAT64
} mbv_format;

typedef enum { MBV_ABCD, MBV_DCBA, MBV_CDAB, MBV_BADC } mbv_order;

/* Registers a format occupies (1, 2 or 4). */
unsigned mbv_registers(mbv_format f);
/* Names as written in configuration files: "bool", "int16", ..., "ABCD", ...
 * Parsing also accepts the CU-XE short names i16, u16, i32, u32, i64, float, double.
 * Return false when unknown. */
bool mbv_format_parse(const char *name, mbv_format *out);
bool mbv_order_parse(const char *name, mbv_order *out);
const char *mbv_format_name(mbv_format f);
const char *mbv_order_name(mbv_order o);

/* Encode a number into mbv_registers(f) registers. Integer formats round to the
 * nearest integer and saturate at the format's limits (*clipped set when that
 * happened; NaN encodes as 0 and counts as clipped); bool is v != 0. */
void mbv_encode(double v, mbv_format f, mbv_order o, uint16_t *regs, bool *clipped);
/* Encode an integer exactly (int64 keeps all 64 bits; other formats as mbv_encode). */
void mbv_encode_int(int64_t v, mbv_format f, mbv_order o, uint16_t *regs, bool *clipped);
/* Decode mbv_registers(f) registers into a number (int64/uint32 beyond 2^53 lose precision). */
double mbv_decode(const uint16_t *regs, mbv_format f, mbv_order o);
/* Put the bytes of a big-endian value (n = 2, 4 or 8 bytes) into registers in order o. */
void mbv_place(const uint8_t *be, unsigned n, mbv_order o, uint16_t *regs);
/* The inverse of mbv_place. */
void mbv_gather(const uint16_t *regs, unsigned n, mbv_order o, uint8_t *be);
#endif
