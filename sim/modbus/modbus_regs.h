/* modbus_regs: the bench's own conversion of numbers to Modbus registers and
 * back, written independently of the gateway's codec (gateway/codec/modbus/
 * modbus_value.c) so that a scenario checks the gateway against a second
 * implementation instead of against itself.
 *
 * A value's bytes, most significant first, are A B C D (E F G H for 64 bits);
 * registers carry two bytes each, high byte first on the wire:
 *   ABCD  as they are                     DCBA  all bytes reversed
 *   CDAB  words reversed, bytes kept      BADC  bytes swapped inside each word
 * 16-bit values follow the same rule (DCBA and BADC swap their two bytes). */
#ifndef SIM_MODBUS_REGS_H
#define SIM_MODBUS_REGS_H
#include <stdbool.h>
#include <stdint.h>

typedef enum { MR_BOOL, MR_INT16, MR_UINT16, MR_INT32, MR_UINT32, MR_INT64, MR_FLOAT32,
               MR_FLOAT64 } mr_format;
typedef enum { MR_ABCD, MR_DCBA, MR_CDAB, MR_BADC } mr_order;

/* Names as in the configuration ("float32", "CDAB"); false when unknown. */
bool mr_format_parse(const char *name, mr_format *out);
bool mr_order_parse(const char *name, mr_order *out);
/* Registers a value occupies (1, 2 or 4). */
unsigned mr_registers(mr_format f);
/* Encode v: integers rounded half away from zero and saturated, bool = v != 0. */
void mr_encode(double v, mr_format f, mr_order o, uint16_t *regs);
double mr_decode(const uint16_t *regs, mr_format f, mr_order o);
#endif
