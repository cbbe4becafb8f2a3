/* wire: serial line timing (see wire.h). */
#include "sim/core/wire.h"
#include <termios.h>

int64_t wire_bits_ns(unsigned baud, int64_t bits) {
    if (baud == 0) return 0;
    /* multiply first: 11 bits at 300 baud is 36666666.67 ns, keep the error below 1 ns */
    return bits * 1000000000LL / (int64_t)baud;
}

int64_t wire_bytes_ns(unsigned baud, size_t n) {
    return wire_bits_ns(baud, (int64_t)n * WIRE_BITS_PER_BYTE);
}

int64_t wire_place(wire *w, int64_t t, unsigned baud, size_t n, int64_t *end) {
    int64_t start = t > w->busy_until_ns ? t : w->busy_until_ns;
    w->busy_until_ns = start + wire_bytes_ns(baud, n);
    if (end) *end = w->busy_until_ns;
    return start;
}

static const struct {
    unsigned baud;
    speed_t speed;
} speeds[] = {
    {300, B300},     {600, B600},     {1200, B1200},   {2400, B2400},   {4800, B4800},
    {9600, B9600},   {19200, B19200}, {38400, B38400}, {57600, B57600}, {115200, B115200},
};

unsigned wire_baud_from_speed(unsigned speed) {
    for (size_t i = 0; i < sizeof speeds / sizeof speeds[0]; i++)
        if (speeds[i].speed == speed) return speeds[i].baud;
    return 0;
}

unsigned wire_speed_from_baud(unsigned baud) {
    for (size_t i = 0; i < sizeof speeds / sizeof speeds[0]; i++)
        if (speeds[i].baud == baud) return speeds[i].speed;
    return (unsigned)-1;
}
