/* tx_pacer: paced writing of slave bytes (see tx_pacer.h). */
#include "sim/core/tx_pacer.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "core/clock.h"
#include "sim/core/wire.h"

void tx_pacer_init(tx_pacer *p, gw_loop *loop, iochan *io, trace *tr, const char *ch, unsigned baud) {
    memset(p, 0, sizeof *p);
    p->loop = loop;
    p->io = io;
    p->tr = tr;
    snprintf(p->ch, sizeof p->ch, "%s", ch);
    p->baud = baud;
    p->byte_ns = wire_bytes_ns(baud, 1);
}

static int64_t due_of(const tx_pacer *p, const tx_burst *b) {
    return b->bytes[b->next].t_ns + p->byte_ns;
}

static void on_timer(gw_loop *loop, void *arg);

static void arm(tx_pacer *p) {
    if (p->timer) loop_timer_cancel(p->loop, p->timer);
    p->timer = 0;
    int64_t next = INT64_MAX;
    for (size_t i = 0; i < p->n_bursts; i++) {
        int64_t d = due_of(p, &p->bursts[i]);
        if (d < next) next = d;
    }
    if (next != INT64_MAX) p->timer = loop_timer_at(p->loop, next, on_timer, p);
}

static void write_byte(tx_pacer *p, tx_burst *b, int64_t now) {
    uint8_t v = b->bytes[b->next].value;
    ssize_t w;
    do {
        w = iochan_write(p->io, &v, 1);
    } while (w < 0 && errno == EINTR);
    if (w != 1) p->write_errors++;
    if (b->next == 0) b->first_write_ns = now;
    b->last_write_ns = now;
    b->written[b->next++] = v;
}

static void finish(tx_pacer *p, size_t index) {
    tx_burst *b = &p->bursts[index];
    /* the first byte started one byte time before the gateway could have it */
    trace_add(p->tr, p->ch, TRACE_BUS_TO_GW, p->baud, b->first_write_ns - p->byte_ns,
              b->last_write_ns, b->written, b->n, b->event);
    free(b->bytes);
    free(b->written);
    memmove(b, b + 1, (p->n_bursts - index - 1) * sizeof *b);
    p->n_bursts--;
}

static void on_timer(gw_loop *loop, void *arg) {
    tx_pacer *p = arg;
    p->timer = 0;
    int64_t now = clock_mono_ns();
    for (size_t i = 0; i < p->n_bursts;) {
        tx_burst *b = &p->bursts[i];
        while (b->next < b->n && due_of(p, b) <= now) write_byte(p, b, now);
        if (b->next == b->n) finish(p, i);
        else i++;
    }
    arm(p);
}

int tx_pacer_send(tx_pacer *p, const wa_byte *bytes, size_t n, const char *event) {
    if (n == 0) return 0;
    if (p->n_bursts == TX_MAX_BURSTS) return -1;
    tx_burst *b = &p->bursts[p->n_bursts];
    memset(b, 0, sizeof *b);
    b->bytes = malloc(n * sizeof *b->bytes);
    b->written = malloc(n);
    if (!b->bytes || !b->written) {
        free(b->bytes);
        free(b->written);
        return -1;
    }
    memcpy(b->bytes, bytes, n * sizeof *bytes);
    b->n = n;
    snprintf(b->event, sizeof b->event, "%s", event ? event : "");
    p->n_bursts++;
    arm(p);
    return 0;
}

bool tx_pacer_idle(const tx_pacer *p) {
    return p->n_bursts == 0;
}

void tx_pacer_free(tx_pacer *p) {
    if (p->timer) loop_timer_cancel(p->loop, p->timer);
    p->timer = 0;
    for (size_t i = 0; i < p->n_bursts; i++) {
        free(p->bursts[i].bytes);
        free(p->bursts[i].written);
    }
    p->n_bursts = 0;
}
