/* mbus_line: bit-level wired-AND and UART re-framing (see mbus_line.h). */
#include "sim/mbus/mbus_line.h"
#include <stdbool.h>
#include <stdlib.h>
#include "sim/core/wire.h"

#define BITS WIRE_BITS_PER_BYTE

/* Bit j (0..10) of a byte as it goes on the wire: start, data LSB first,
 * even parity, stop. */
static int frame_bit(uint8_t v, int j) {
    if (j == 0) return 0;
    if (j <= 8) return (v >> (j - 1)) & 1;
    if (j == 9) return __builtin_parity(v);
    return 1;
}

/* Half-bit instants from a start edge: the middle of bit j is half_ns(2j+1). */
static int64_t half_ns(unsigned baud, int64_t halves) {
    return halves * 1000000000LL / (2 * (int64_t)baud);
}

static int slave_level(const wa_answer *a, unsigned baud, int64_t byte_ns, int64_t t) {
    if (t < a->start_ns) return 1;
    int64_t since = t - a->start_ns;
    int64_t i = since / byte_ns;
    if (i >= (int64_t)a->len) return 1;
    int64_t off = since - i * byte_ns;
    int j = BITS - 1;
    while (j > 0 && wire_bits_ns(baud, j) > off) j--;
    return frame_bit(a->bytes[i], j);
}

int mbus_line_level(const wa_answer *answers, size_t n, unsigned baud, int64_t t) {
    int64_t byte_ns = wire_bytes_ns(baud, 1);
    for (size_t k = 0; k < n; k++)
        if (!slave_level(&answers[k], baud, byte_ns, t)) return 0;
    return 1;
}

static int by_time(const void *a, const void *b) {
    const int64_t *x = a, *y = b;
    return (*x > *y) - (*x < *y);
}

/* Every instant at which some transmitter changes its level, sorted: the line
 * can only change there. */
static int64_t *level_changes(const wa_answer *answers, size_t n, unsigned baud, size_t *count) {
    size_t cap = 0;
    for (size_t k = 0; k < n; k++) cap += answers[k].len * BITS;
    *count = 0;
    int64_t *t = malloc((cap ? cap : 1) * sizeof *t);
    if (!t) return NULL;
    int64_t byte_ns = wire_bytes_ns(baud, 1);
    for (size_t k = 0; k < n; k++) {
        int prev = 1;
        for (size_t i = 0; i < answers[k].len; i++)
            for (int j = 0; j < BITS; j++) {
                int b = frame_bit(answers[k].bytes[i], j);
                if (b != prev)
                    t[(*count)++] = answers[k].start_ns + (int64_t)i * byte_ns + wire_bits_ns(baud, j);
                prev = b;
            }
        /* the stop bit is 1 like the idle line: the end is no change */
    }
    qsort(t, *count, sizeof *t, by_time);
    return t;
}

typedef struct uart {
    const wa_answer *answers;
    size_t n;
    unsigned baud;
} uart;

static int sample(const uart *u, int64_t edge, int bit) {
    return mbus_line_level(u->answers, u->n, u->baud, edge + half_ns(u->baud, 2 * bit + 1));
}

/* Read one frame from its start edge; returns the stop bit's level. */
static int read_frame(const uart *u, int64_t edge, uint8_t *value, uint8_t *flag) {
    int ones = 0;
    *value = 0;
    for (int j = 1; j <= 8; j++) {
        int b = sample(u, edge, j);
        *value |= (uint8_t)(b << (j - 1));
        ones += b;
    }
    int parity = sample(u, edge, 9), stop = sample(u, edge, 10);
    *flag = 0;
    if ((ones + parity) & 1) *flag |= MBUS_LINE_PARITY;
    if (!stop) *flag |= MBUS_LINE_FRAMING;
    return stop;
}

size_t mbus_line_receive(const wa_answer *answers, size_t n, unsigned baud, wa_byte *out,
                         uint8_t *flags, size_t cap, mbus_line_stats *stats) {
    mbus_line_stats st = {0};
    size_t n_changes, o = 0;
    int64_t *change = baud ? level_changes(answers, n, baud, &n_changes) : NULL;
    if (!change) {
        if (stats) *stats = st;
        return 0;
    }
    uart u = {answers, n, baud};
    bool seen_high = true; /* the line was idle before anybody sent */
    int64_t hunt_from = INT64_MIN;
    for (size_t k = 0; k < n_changes && o < cap; k++) {
        int64_t t = change[k];
        if (t <= hunt_from) continue;
        if (mbus_line_level(answers, n, baud, t)) {
            seen_high = true;
            continue;
        }
        if (!seen_high) continue; /* still low since a framing error */
        if (sample(&u, t, 0)) {   /* a glitch, not a start bit */
            st.false_starts++;
            hunt_from = t + half_ns(baud, 1);
            continue;
        }
        uint8_t flag;
        seen_high = read_frame(&u, t, &out[o].value, &flag);
        out[o].t_ns = t;
        if (flags) flags[o] = flag;
        if (flag & MBUS_LINE_FRAMING) st.framing_errors++;
        if (flag & MBUS_LINE_PARITY) st.parity_errors++;
        o++;
        hunt_from = t + half_ns(baud, 2 * (BITS - 1) + 1);
    }
    free(change);
    st.bytes = (unsigned)o;
    if (stats) *stats = st;
    return o;
}
