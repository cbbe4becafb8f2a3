/* bench_segment: the segment emulator (see bench_segment.h). */
#include "sim/mbus/bench_segment.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "core/clock.h"
#include "codec/mbus/mbus_error.h"
#include "sim/mbus/mbus_line.h"

/* An incomplete frame is dropped after this much silence (plus 2 byte times):
 * a real slave's UART would have timed out the character sequence. */
#define RX_IDLE_NS (50 * NS_PER_MS)

bench_segment *bench_segment_new(const char *name, unsigned baud, gw_loop *loop, trace *tr,
                               char *err, size_t errlen) {
    bench_segment *seg = calloc(1, sizeof *seg);
    if (!seg) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    snprintf(seg->name, sizeof seg->name, "%s", name);
    seg->baud = baud;
    seg->loop = loop;
    seg->tr = tr;
    if (pty_channel_open(&seg->pty, baud, err, errlen) < 0) {
        free(seg);
        return NULL;
    }
    tx_pacer_init(&seg->pacer, loop, seg->pty.io, tr, seg->name, baud);
    return seg;
}

mbus_slave *bench_segment_add_slave(bench_segment *seg) {
    mbus_slave *s = realloc(seg->slaves, (seg->n_slaves + 1) * sizeof *s);
    if (!s) return NULL;
    seg->slaves = s;
    mbus_slave_init(&s[seg->n_slaves]);
    return &s[seg->n_slaves++];
}

const char *bench_segment_path(const bench_segment *seg) {
    return seg->pty.path;
}

void bench_segment_describe(const mbus_frame *f, char *out, size_t cap) {
    int fcb = (f->c & MBUS_C_FCB) ? 1 : 0;
    switch (f->kind) {
    case MBUS_FRAME_ACK: snprintf(out, cap, "ACK"); return;
    case MBUS_FRAME_SHORT:
        if (f->c == MBUS_C_SND_NKE) snprintf(out, cap, "SND_NKE a=%u", f->a);
        else if ((f->c & 0xCF) == 0x4B) snprintf(out, cap, "REQ_UD2 a=%u fcb=%d", f->a, fcb);
        else snprintf(out, cap, "short c=%02X a=%u", f->c, f->a);
        return;
    default:
        if (f->ci == MBUS_CI_SELECT && f->data_len >= 8) {
            mbus_secondary sa;
            char text[17];
            mbus_secondary_decode(f->data, &sa);
            mbus_secondary_format(&sa, text);
            snprintf(out, cap, "SELECT a=%u %s", f->a, text);
        } else {
            snprintf(out, cap, "%s c=%02X a=%u ci=%02X", f->c == MBUS_C_RSP_UD ? "RSP_UD" : "SND_UD",
                     f->c, f->a, f->ci);
        }
    }
}

/* The line runs at the baud the gateway set last (a pty keeps it): slaves
 * with their own baud are heard only then. */
static unsigned line_baud(const bench_segment *seg) {
    return seg->baud_last ? seg->baud_last : seg->baud;
}

static unsigned slave_baud(const bench_segment *seg, const mbus_slave *s) {
    return s->baud ? s->baud : seg->baud;
}

/* Does any slave listen at this baud? */
static bool baud_heard(const bench_segment *seg, unsigned baud) {
    if (baud == seg->baud) return true;
    for (size_t i = 0; i < seg->n_slaves; i++)
        if (seg->slaves[i].baud == baud) return true;
    return false;
}

/* Answers go out at the line's baud (the pacer times bytes by it). */
static void pace_at_line_baud(bench_segment *seg) {
    unsigned baud = line_baud(seg);
    if (seg->pacer.baud == baud) return;
    seg->pacer.baud = baud;
    seg->pacer.byte_ns = wire_bytes_ns(baud, 1);
}

static void drop_rx(bench_segment *seg, size_t n) {
    memmove(seg->rx, seg->rx + n, seg->rx_len - n);
    memmove(seg->rx_end, seg->rx_end + n, (seg->rx_len - n) * sizeof seg->rx_end[0]);
    seg->rx_len -= n;
}

static void trace_rx(bench_segment *seg, size_t n, const char *event) {
    int64_t byte_ns = wire_bytes_ns(line_baud(seg), 1);
    trace_add(seg->tr, seg->name, TRACE_GW_TO_BUS, seg->baud_last, seg->rx_end[0] - byte_ns,
              seg->rx_end[n - 1], seg->rx, n, event);
}

/* The line the master's UART reads from the answers (bit-level wired-AND,
 * sim/mbus/mbus_line.h), queued for sending; the event names who answered and
 * what the UART noticed. */
static void send_line(bench_segment *seg, const wa_answer *answers, size_t n, size_t n_slaves,
                      const char *who) {
    size_t total = 0;
    for (size_t k = 0; k < n; k++) total += answers[k].len;
    /* re-synchronisation can find more start bits than bytes were sent */
    size_t cap = 2 * total + 8;
    wa_byte *line = malloc(cap * sizeof *line);
    mbus_line_stats st = {0};
    size_t m = line ? mbus_line_receive(answers, n, line_baud(seg), line, NULL, cap, &st) : 0;
    char event[160];
    int used = snprintf(event, sizeof event, "%s slave %s%s", n_slaves > 1 ? "collision" : "answer",
                        who, n > n_slaves ? " + noise" : "");
    if (st.framing_errors || st.parity_errors)
        snprintf(event + used, sizeof event - (size_t)used, " (%u framing, %u parity errors)",
                 st.framing_errors, st.parity_errors);
    if (n_slaves > 1) seg->collisions++;
    if (m) {
        int64_t end = line[m - 1].t_ns + wire_bytes_ns(line_baud(seg), 1);
        if (end > seg->line.busy_until_ns) seg->line.busy_until_ns = end;
        pace_at_line_baud(seg);
        tx_pacer_send(&seg->pacer, line, m, event);
    }
    free(line);
}

/* Noise bursts still to come that overlap the answers go onto the line with
 * them (a wired-AND of everything transmitting); returns how many were added. */
static size_t add_noise(bench_segment *seg, wa_answer *answers, size_t n) {
    int64_t byte_ns = wire_bytes_ns(line_baud(seg), 1);
    int64_t from = INT64_MAX, to = INT64_MIN;
    for (size_t k = 0; k < n; k++) {
        if (answers[k].start_ns < from) from = answers[k].start_ns;
        int64_t end = answers[k].start_ns + (int64_t)answers[k].len * byte_ns;
        if (end > to) to = end;
    }
    size_t added = 0;
    for (size_t i = seg->noise_next; i < seg->n_noise; i++) {
        seg_noise *nz = &seg->noise[i];
        int64_t end = nz->at_ns + (int64_t)nz->bytes * byte_ns;
        if (nz->merged || !nz->buf || end <= from || nz->at_ns >= to) continue;
        answers[n + added] = (wa_answer){nz->buf, nz->bytes, nz->at_ns};
        nz->merged = true;
        added++;
    }
    return added;
}

/* Collect every slave's answer to frame f and send what the line makes of them. */
static void answer(bench_segment *seg, const mbus_frame *f, int64_t end_ns) {
    size_t cap = seg->n_slaves + SEG_NOISE_MAX;
    wa_answer *answers = malloc(cap * sizeof *answers);
    uint8_t (*buf)[MBUS_FRAME_MAX] = malloc(cap * sizeof *buf);
    size_t n = 0;
    char who[96] = "";
    for (size_t i = 0; answers && buf && i < seg->n_slaves; i++) {
        mbus_slave *s = &seg->slaves[i];
        size_t len = 0;
        if (slave_baud(seg, s) != line_baud(seg)) continue; /* noise to its UART */
        if (s->faults.wakeup_ns > 0 && end_ns > s->awake_until_ns) continue; /* asleep */
        if (end_ns < s->faults.added_ns || (s->faults.removed_ns && end_ns >= s->faults.removed_ns))
            continue; /* not on the bus (yet, or any more) */
        if (mbus_slave_handle(s, f, buf[n], MBUS_FRAME_MAX, &len) == SLAVE_IGNORE) continue;
        answers[n].bytes = buf[n];
        answers[n].len = len;
        answers[n].start_ns = end_ns + s->response_delay_ns;
        size_t used = strlen(who);
        if (used + 8 < sizeof who)
            snprintf(who + used, sizeof who - used, "%s%zu", used ? "," : "", i);
        else if (used + 1 < sizeof who && who[used - 1] != '.')
            snprintf(who + used, sizeof who - used, "...");
        n++;
    }
    size_t n_slaves = n;
    if (n && answers) n += add_noise(seg, answers, n);
    if (n) send_line(seg, answers, n, n_slaves, who);
    free(answers);
    free(buf);
}

static void handle_frame(bench_segment *seg, size_t len) {
    mbus_frame f;
    mbus_error err;
    char what[96];
    if (mbus_frame_parse(seg->rx, len, &f, &err) != MBUS_OK) {
        snprintf(what, sizeof what, "bad frame: %s", mbus_err_name(err.code));
        trace_rx(seg, len, what);
        return;
    }
    seg->frames++;
    bench_segment_describe(&f, what, sizeof what);
    if (!baud_heard(seg, seg->baud_last)) {
        /* the slaves listen at their own baud: a frame at another rate is noise */
        seg->baud_mismatches++;
        size_t used = strlen(what);
        snprintf(what + used, sizeof what - used, " baud_mismatch %u", seg->baud_last);
        trace_rx(seg, len, what);
        return;
    }
    int64_t end = seg->rx_end[len - 1];
    if (seg->short_to_ns > seg->short_from_ns && end >= seg->short_from_ns &&
        end < seg->short_to_ns) {
        /* a shorted line carries no slave's answer (the slaves see nothing either) */
        seg->shorted++;
        size_t used = strlen(what);
        snprintf(what + used, sizeof what - used, " short_circuit");
        trace_rx(seg, len, what);
        return;
    }
    trace_rx(seg, len, what);
    answer(seg, &f, end);
}

static void on_rx_idle(gw_loop *loop, void *arg) {
    bench_segment *seg = arg;
    seg->rx_timer = 0;
    if (seg->rx_len == 0) return;
    trace_rx(seg, seg->rx_len, "incomplete frame dropped");
    seg->rx_len = 0;
}

/* Cut complete frames out of the buffer; skip bytes that cannot start one. */
static void reassemble(bench_segment *seg) {
    while (seg->rx_len > 0) {
        mbus_error err;
        memset(&err, 0, sizeof err);
        uint8_t first = seg->rx[0];
        bool can_start = first == 0xE5 || first == 0x10 || first == 0x68;
        size_t need = can_start ? mbus_frame_needed(seg->rx, seg->rx_len, &err) : 0;
        /* two bytes always tell a frame's length: 0 then means "cannot be a frame" */
        if (!can_start || (need == 0 && seg->rx_len >= 2)) {
            trace_rx(seg, 1, "garbage byte");
            drop_rx(seg, 1);
            continue;
        }
        if (need == 0 || seg->rx_len < need) break;
        handle_frame(seg, need);
        drop_rx(seg, need);
    }
    if (seg->rx_timer) loop_timer_cancel(seg->loop, seg->rx_timer);
    seg->rx_timer = 0;
    if (seg->rx_len > 0)
        seg->rx_timer = loop_timer_at(seg->loop,
                                      seg->rx_end[seg->rx_len - 1] + RX_IDLE_NS +
                                          2 * wire_bytes_ns(line_baud(seg), 1),
                                      on_rx_idle, seg);
}

/* An echoing level converter repeats each master byte as it crosses the wire. */
static void echo_bytes(bench_segment *seg, const uint8_t *bytes, size_t n, int64_t start) {
    wa_byte *line = malloc(n * sizeof *line);
    if (!line) return;
    int64_t byte_ns = wire_bytes_ns(line_baud(seg), 1);
    pace_at_line_baud(seg);
    for (size_t i = 0; i < n; i++) {
        memset(&line[i], 0, sizeof line[i]);
        line[i].value = bytes[i];
        line[i].t_ns = start + (int64_t)i * byte_ns;
    }
    tx_pacer_send(&seg->pacer, line, n, "echo");
    free(line);
}

/* A run of 0x55 ended (another byte came): trace it once. */
static void wake_run_done(bench_segment *seg) {
    if (!seg->wake_bytes) return;
    uint8_t *run = malloc(seg->wake_bytes);
    if (run) {
        memset(run, 0x55, seg->wake_bytes);
        trace_add(seg->tr, seg->name, TRACE_GW_TO_BUS, seg->baud_last,
                  seg->wake_start_ns, seg->wake_end_ns, run, seg->wake_bytes, "wake-up sequence");
        free(run);
    }
    seg->wake_bytes = 0;
}

/* 0x55 between frames is a wake-up sequence: slaves that need one are awake
 * once the run has lasted their wakeup time, until `awake` after it ends. */
static void wake_byte(bench_segment *seg, int64_t start_ns, int64_t end_ns) {
    int64_t slack = wire_bytes_ns(line_baud(seg), 1) / 2;
    if (!seg->wake_bytes || start_ns > seg->wake_end_ns + slack) {
        wake_run_done(seg);
        seg->wake_start_ns = start_ns;
    }
    seg->wake_end_ns = end_ns;
    seg->wake_bytes++;
    for (size_t i = 0; i < seg->n_slaves; i++) {
        mbus_slave *s = &seg->slaves[i];
        if (s->faults.wakeup_ns > 0 && slave_baud(seg, s) == line_baud(seg) &&
            end_ns - seg->wake_start_ns >= s->faults.wakeup_ns)
            s->awake_until_ns = end_ns + s->faults.awake_ns;
    }
}

void bench_segment_input(bench_segment *seg, const uint8_t *bytes, size_t n, int64_t now,
                        unsigned gateway_baud) {
    seg->baud_last = gateway_baud;
    int64_t byte_ns = wire_bytes_ns(line_baud(seg), 1);
    int64_t start = wire_place(&seg->line, now, line_baud(seg), n, NULL);
    if (seg->echo) echo_bytes(seg, bytes, n, start);
    for (size_t i = 0; i < n; i++) {
        if (seg->rx_len == SEG_RX_CAP) {
            trace_rx(seg, seg->rx_len, "receive buffer overflow");
            seg->rx_len = 0;
        }
        int64_t end = start + (int64_t)(i + 1) * byte_ns;
        if (seg->rx_len == 0 && bytes[i] == 0x55) {
            wake_byte(seg, end - byte_ns, end);
            continue;
        }
        wake_run_done(seg);
        seg->rx[seg->rx_len] = bytes[i];
        seg->rx_end[seg->rx_len] = end;
        seg->rx_len++;
    }
    reassemble(seg);
}

static void on_readable(gw_loop *loop, int fd, unsigned events, void *arg) {
    bench_segment *seg = arg;
    uint8_t buf[512];
    for (;;) {
        ssize_t r = iochan_read(seg->pty.io, buf, sizeof buf);
        if (r > 0) {
            bench_segment_input(seg, buf, (size_t)r, clock_mono_ns(), pty_channel_baud(&seg->pty));
            continue;
        }
        if (r < 0 && errno == EINTR) continue;
        break; /* EAGAIN: all read; EIO cannot happen while we hold the slave open */
    }
}

static void arm_noise(bench_segment *seg);

/* Line noise: random bytes (drawn at start, the same on every run) sent back
 * to back as a UART would; a burst overlapping an answer was merged into it
 * bit by bit already (add_noise). One that starts while an answer already on
 * its way is sent interleaves with it byte by byte (a simplification). */
static void draw_noise(bench_segment *seg) {
    uint32_t x = 0x9E3779B9u;
    for (size_t k = 0; k < seg->n_noise; k++) {
        seg_noise *nz = &seg->noise[k];
        nz->buf = malloc(nz->bytes ? nz->bytes : 1);
        for (unsigned i = 0; nz->buf && i < nz->bytes; i++) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            nz->buf[i] = (uint8_t)(x >> 24);
        }
    }
}

static void on_noise(gw_loop *loop, void *arg) {
    bench_segment *seg = arg;
    seg->noise_timer = 0;
    const seg_noise *nz = &seg->noise[seg->noise_next++];
    wa_byte *line = nz->merged || !nz->buf ? NULL : malloc(nz->bytes * sizeof *line);
    if (line) {
        int64_t byte_ns = wire_bytes_ns(line_baud(seg), 1);
        pace_at_line_baud(seg);
        for (unsigned i = 0; i < nz->bytes; i++) {
            line[i].value = nz->buf[i];
            line[i].t_ns = nz->at_ns + (int64_t)i * byte_ns;
        }
        tx_pacer_send(&seg->pacer, line, nz->bytes, "noise");
        free(line);
    }
    arm_noise(seg);
}

static void arm_noise(bench_segment *seg) {
    if (seg->noise_next < seg->n_noise)
        seg->noise_timer = loop_timer_at(seg->loop, seg->noise[seg->noise_next].at_ns, on_noise, seg);
}

int bench_segment_start(bench_segment *seg) {
    if (loop_add_fd(seg->loop, seg->pty.master, LOOP_READ, on_readable, seg) < 0) return -1;
    seg->watching = true;
    draw_noise(seg);
    arm_noise(seg);
    return 0;
}

void bench_segment_free(bench_segment *seg) {
    if (!seg) return;
    if (seg->watching) loop_del_fd(seg->loop, seg->pty.master);
    if (seg->rx_timer) loop_timer_cancel(seg->loop, seg->rx_timer);
    if (seg->noise_timer) loop_timer_cancel(seg->loop, seg->noise_timer);
    for (size_t k = 0; k < seg->n_noise; k++) free(seg->noise[k].buf);
    tx_pacer_free(&seg->pacer);
    for (size_t i = 0; i < seg->n_slaves; i++) mbus_slave_free(&seg->slaves[i]);
    free(seg->slaves);
    pty_channel_close(&seg->pty);
    free(seg);
}
