/* telegram_edit: bench-side edits of RSP_UD long frames taken from fixtures:
 * give a slave its own primary address or identification number, mark a page
 * "more records follow" (DIF 0x1F) to build multi-telegram meters, or break the
 * checksum to inject a fault. Every edit keeps the frame consistent (L, CS). */
#ifndef SIM_TELEGRAM_EDIT_H
#define SIM_TELEGRAM_EDIT_H
#include <stdbool.h>
#include "sim/core/hexfile.h"
#include "codec/mbus/mbus_link.h"

/* Is t a well-formed long frame (68 L L 68 ... CS 16)? */
bool tg_is_long(const hex_frame *t);
/* Recompute the checksum of a long frame. */
void tg_fix_checksum(hex_frame *t);
/* Set the A field (and the checksum). */
void tg_set_address(hex_frame *t, uint8_t a);
/* Set the identification number (8 BCD digits) of a CI 0x72/0x76 header;
 * false when the frame has no long header. */
bool tg_set_id(hex_frame *t, uint32_t id_bcd);
/* Secondary address from a long header (CI 0x72/0x76); false when none. */
bool tg_secondary(const hex_frame *t, mbus_secondary *sa);
/* Mark "more records follow": turn a trailing manufacturer DIF 0x0F into 0x1F,
 * or append a 0x1F DIF. Returns false when the frame would become too long. */
bool tg_set_more_follows(hex_frame *t);
/* Return a copy of the frame with a wrong checksum (cs + 1) in out (cap bytes). */
size_t tg_corrupt_checksum(const hex_frame *t, uint8_t *out, size_t cap);
#endif
