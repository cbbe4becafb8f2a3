/* wired_and: what the master receives when several slaves answer at once.
 *
 * M-Bus slaves signal a space by drawing current, so on the line a space wins:
 * the bus carries the AND of the transmitters. For now this is modelled at byte
 * level: bytes whose wire slots overlap in time are ANDed into one byte at the
 * earlier slot (a later issue models it at bit level). Two different answers
 * thus combine into a garbled frame, never into one of them intact. */
#ifndef SIM_WIRED_AND_H
#define SIM_WIRED_AND_H
#include <stddef.h>
#include <stdint.h>

/* One transmitter's answer: its bytes start at start_ns, one every byte_ns. */
typedef struct wa_answer {
    const uint8_t *bytes;
    size_t len;
    int64_t start_ns;
} wa_answer;

/* A byte on the line: it starts at t_ns and is received byte_ns later. */
typedef struct wa_byte {
    int64_t t_ns;
    uint8_t value;
} wa_byte;

/* Merge n answers into out (cap entries); returns the number of line bytes.
 * With one answer the result is that answer, byte for byte. */
size_t wired_and_merge(const wa_answer *answers, size_t n, int64_t byte_ns, wa_byte *out,
                       size_t cap);
#endif
