/* mbus_rx: the receive side of the master's link layer (frame assembly). */
#include "south/mbus/mbus_rx.h"

#include <string.h>

void mbus_rx_reset(mbus_rx *rx) {
    memset(rx, 0, sizeof *rx);
    rx->state = MBUS_RX_EMPTY;
}

/* Decide the state from the bytes kept so far. */
static mbus_rx_state classify(mbus_rx *rx) {
    if (rx->len == 0)
        return MBUS_RX_EMPTY;
    mbus_error err = {0};
    size_t needed = mbus_frame_needed(rx->buf, rx->len, &err);
    if (err.code != MBUS_OK && err.code != MBUS_ERR_INCOMPLETE) {
        rx->err = err;
        return MBUS_RX_GARBAGE;
    }
    if (needed == 0 || rx->len < needed)
        return MBUS_RX_PARTIAL;
    rx->frame_len = needed;
    return MBUS_RX_COMPLETE;
}

mbus_rx_state mbus_rx_push(mbus_rx *rx, const uint8_t *bytes, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (rx->state == MBUS_RX_COMPLETE || rx->len == sizeof rx->buf) {
            rx->dropped++;
            continue;
        }
        rx->buf[rx->len++] = bytes[i];
        /* Once garbage, always garbage: keep collecting until the line is idle. */
        if (rx->state != MBUS_RX_GARBAGE)
            rx->state = classify(rx);
    }
    return rx->state;
}
