/* mbus_line: the M-Bus line at bit level, and the master's UART reading it.
 *
 * Every answering slave sends its bytes as UART frames (8E1: a start bit 0,
 * 8 data bits LSB first, an even parity bit, a stop bit 1), back to back,
 * from its own start instant. A slave signals a space (0) by drawing current,
 * so on the line a space wins: the line is the AND of all transmitters, idle
 * (mark, 1) when nobody sends.
 *
 * The master's UART re-frames that line as a real one does:
 *   - while hunting, a 1->0 edge after the line was at 1 is a start bit;
 *   - every bit is sampled in its middle (edge + (j + 1/2) bit times); a start
 *     bit that reads 1 there was a glitch (false start): hunting resumes;
 *   - after the stop bit's sample it hunts for the next start bit, so a byte
 *     may start anywhere (start-bit re-synchronisation), not on a byte grid.
 *   - a stop bit read as 0 is a framing error; a wrong parity a parity error.
 *     Both bytes are still delivered with their data bits: a pty cannot carry
 *     error marks, so the gateway must judge the bytes themselves (a real
 *     serial port with INPCK and no IGNPAR/PARMRK would read them as 0x00).
 *     After a framing error the line is low: the next start bit needs the line
 *     to have returned to 1 first (no 16550-style "the low stop bit was the
 *     next start bit").
 * Each received byte is reported with the instant of its start-bit edge
 * (wa_byte.t_ns); the UART hands it over one byte time (11 bits) later, as
 * for a clean byte, which keeps a single slave's answer byte for byte and
 * instant for instant what it sent.
 *
 * Two slaves sending the same bytes in step within less than half a bit read
 * as one clean answer: physically true, and why a clean E5 to a wildcard
 * select does not prove that only one meter matched. */
#ifndef SIM_MBUS_LINE_H
#define SIM_MBUS_LINE_H
#include <stddef.h>
#include <stdint.h>
#include "sim/core/wired_and.h"

enum { MBUS_LINE_FRAMING = 1, MBUS_LINE_PARITY = 2 };

typedef struct mbus_line_stats {
    unsigned bytes;          /* bytes the UART decoded */
    unsigned framing_errors; /* stop bit read as 0 */
    unsigned parity_errors;  /* even parity violated */
    unsigned false_starts;   /* start bit read as 1 in its middle */
} mbus_line_stats;

/* The level of the line at time t (1 = mark/idle, 0 = space) with the n
 * transmitters at baud. */
int mbus_line_level(const wa_answer *answers, size_t n, unsigned baud, int64_t t);

/* Re-frame the wired-AND of n answers at baud into the bytes a UART decodes.
 * out gets at most cap bytes (start-bit instant and value); flags, when not
 * NULL, gets MBUS_LINE_FRAMING/PARITY per byte; stats (may be NULL) is set.
 * Returns the number of bytes; 0 also when memory runs out. */
size_t mbus_line_receive(const wa_answer *answers, size_t n, unsigned baud, wa_byte *out,
                         uint8_t *flags, size_t cap, mbus_line_stats *stats);
#endif
