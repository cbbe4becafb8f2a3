/* Wired M-Bus master over a real pseudo-terminal, inside the core event loop.
 *
 * The test owns the pty master side and plays a scripted slave: it reads each
 * request the driver sends, checks its exact bytes and answers with the
 * script's bytes (or stays silent). Everything runs in one loop, so the
 * driver's timeouts are real (short) waits. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/config.h"
#include "core/datahub.h"
#include "core/log.h"
#include "core/loop.h"
#include "south/mbus/mbus_config.h"
#include "codec/mbus/mbus_link.h"
#include "south/mbus/mbus_master.h"
#include "south/mbus/mbus_rx.h"
#include "south/serial/serial_port.h"
#include "tests/test.h"

/* ACW Itron BM +m (libmbus corpus, test-frames/ACW_Itron-BM-plus-m.hex):
 * id 11490378, volume 54.321 m3, date-time 2014-03-13T11:11. */
static const char *const ACW_FRAME =
    "68 3C 3C 68 08 08 72 78 03 49 11 77 04 0E 16 0A 00 00 00 0C 78 78 03 49 11 04 13 31 D4 "
    "00 00 42 6C 00 00 44 13 00 00 00 00 04 6D 0B 0B CD 13 02 27 00 00 09 FD 0E 02 09 FD 0F "
    "06 0F 00 01 75 13 D3 16";

/* ---- hex helpers ---------------------------------------------------------- */

static size_t hex_to_bytes(const char *hex, uint8_t *out, size_t cap) {
    size_t n = 0;
    unsigned v;
    int used;
    while (n < cap && sscanf(hex, " %2x%n", &v, &used) == 1) {
        out[n++] = (uint8_t)v;
        hex += used;
    }
    return n;
}

static void bytes_to_hex(const uint8_t *b, size_t n, char *out, size_t cap) {
    size_t pos = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n && pos + 4 < cap; i++)
        pos += (size_t)snprintf(out + pos, cap - pos, i ? " %02X" : "%02X", b[i]);
}

/* A long RSP_UD from primary address a with a long header (id 12345678, man
 * "ABC" = 0x0443, version 1, medium 4 = heat) and the given records. */
static size_t rsp_ud(uint8_t *out, size_t cap, uint8_t a, const char *records_hex) {
    uint8_t data[255];
    size_t n = hex_to_bytes("78 56 34 12 43 04 01 04 2A 00 00 00", data, sizeof data);
    n += hex_to_bytes(records_hex, data + n, sizeof data - n);
    return mbus_encode_long(out, cap, MBUS_C_RSP_UD, a, 0x72, data, n);
}

/* ---- the scripted slave --------------------------------------------------- */

#define MAX_STEPS 16

typedef struct step {
    const char *expect;    /* request hex the driver must send */
    uint8_t answer[300];   /* answer bytes (len 0 = stay silent) */
    size_t answer_len;
} step;

typedef struct bench {
    gw_loop *loop;
    datahub *hub;
    int master_fd;
    char device[64];
    step steps[MAX_STEPS];
    size_t n_steps;
    size_t n_requests;            /* requests seen */
    int64_t request_ns[MAX_STEPS]; /* when each request was complete */
    uint8_t req_buf[300];
    size_t req_len;
    int cycles_wanted, cycles;
    char cycle_source[64];
    int events_rejected, events_not_read;
    char last_rejected_text[256], last_not_read_meter[64];
    uint8_t last_rejected_bytes[300];
    size_t last_rejected_len;
    bool timed_out;
    int64_t start_ns; /* just before the segment started */
} bench;

static step *add_step(bench *b, const char *expect, const char *answer_hex) {
    step *s = &b->steps[b->n_steps++];
    s->expect = expect;
    s->answer_len = answer_hex ? hex_to_bytes(answer_hex, s->answer, sizeof s->answer) : 0;
    return s;
}

static void add_step_bytes(bench *b, const char *expect, const uint8_t *answer, size_t len) {
    step *s = add_step(b, expect, NULL);
    memcpy(s->answer, answer, len);
    s->answer_len = len;
}

static void slave_request(bench *b, const uint8_t *req, size_t len) {
    char got[200];
    bytes_to_hex(req, len, got, sizeof got);
    size_t i = b->n_requests++;
    if (i < MAX_STEPS)
        b->request_ns[i] = clock_mono_ns();
    if (i >= b->n_steps) {
        CHECK_MSG(false, "unexpected request %zu: %s", i, got);
        return;
    }
    CHECK_MSG(strcmp(got, b->steps[i].expect) == 0, "request %zu: got %s, expected %s", i, got,
              b->steps[i].expect);
    if (b->steps[i].answer_len)
        CHECK(write(b->master_fd, b->steps[i].answer, b->steps[i].answer_len) ==
              (ssize_t)b->steps[i].answer_len);
}

static void on_master(gw_loop *loop, int fd, unsigned events, void *arg) {
    bench *b = arg;
    uint8_t buf[256];
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) {
        if (n == 0 || errno != EAGAIN)
            loop_del_fd(loop, fd); /* the driver closed its side */
        return;
    }
    for (ssize_t i = 0; i < n; i++) {
        b->req_buf[b->req_len++] = buf[i];
        mbus_error err = {0};
        size_t need = mbus_frame_needed(b->req_buf, b->req_len, &err);
        if (err.code != MBUS_OK) {
            CHECK_MSG(false, "driver sent a bad start byte %02X", b->req_buf[0]);
            b->req_len = 0;
        } else if (need && b->req_len >= need) {
            slave_request(b, b->req_buf, b->req_len);
            b->req_len = 0;
        }
    }
}

static void on_update(const dh_update *u, void *arg) {
    bench *b = arg;
    if (u->kind == DH_CYCLE_END) {
        snprintf(b->cycle_source, sizeof b->cycle_source, "%s", u->source);
        if (++b->cycles >= b->cycles_wanted)
            loop_stop(b->loop, 0);
    } else if (u->kind == DH_EVENT && strcmp(u->event->kind, "rejected") == 0) {
        b->events_rejected++;
        snprintf(b->last_rejected_text, sizeof b->last_rejected_text, "%s", u->event->text);
        b->last_rejected_len = u->event->len < sizeof b->last_rejected_bytes ? u->event->len : 0;
        memcpy(b->last_rejected_bytes, u->event->bytes, b->last_rejected_len);
    } else if (u->kind == DH_EVENT && strcmp(u->event->kind, "not_read") == 0) {
        b->events_not_read++;
        snprintf(b->last_not_read_meter, sizeof b->last_not_read_meter, "%s",
                 u->event->meter ? u->event->meter : "");
    }
}

static void on_deadline(gw_loop *loop, void *arg) {
    bench *b = arg;
    b->timed_out = true;
    loop_stop(loop, 1);
}

static bool bench_open(bench *b) {
    memset(b, 0, sizeof *b);
    b->master_fd = posix_openpt(O_RDWR | O_NOCTTY | O_NONBLOCK);
    if (b->master_fd < 0 || grantpt(b->master_fd) != 0 || unlockpt(b->master_fd) != 0 ||
        ptsname_r(b->master_fd, b->device, sizeof b->device) != 0) {
        CHECK_MSG(false, "cannot create a pty: %s", strerror(errno));
        return false;
    }
    /* The master side must pass bytes through untouched as well. */
    struct termios t;
    tcgetattr(b->master_fd, &t);
    cfmakeraw(&t);
    tcsetattr(b->master_fd, TCSANOW, &t);
    b->loop = loop_new();
    b->hub = datahub_new();
    b->cycles_wanted = 1;
    datahub_subscribe(b->hub, on_update, b);
    loop_add_fd(b->loop, b->master_fd, LOOP_READ, on_master, b);
    return true;
}

static void bench_close(bench *b) {
    loop_del_fd(b->loop, b->master_fd);
    close(b->master_fd);
    datahub_free(b->hub);
    loop_free(b->loop);
}

/* Parse the segment yaml (with %s for the device), run until the wanted number
 * of cycles ended (or max_ms passed), return the segment's counters. */
static bool run_segment(bench *b, const char *yaml_fmt, int64_t max_ms, mbus_segment_stats *st) {
    char yaml[2048], err[256];
    snprintf(yaml, sizeof yaml, yaml_fmt, b->device);
    cfg_err cerr = {{0}};
    cfg_node *root = cfg_load_string(yaml, "test.yaml", &cerr);
    mbus_config *cfg = root ? mbus_config_parse(cfg_get(root, "mbus"), &cerr) : NULL;
    if (!cfg) {
        CHECK_MSG(false, "config: %s", cerr.msg);
        cfg_free(root);
        return false;
    }
    b->start_ns = clock_mono_ns();
    mbus_segment *seg = mbus_segment_start(&cfg->segments[0], b->loop, b->hub, err, sizeof err);
    CHECK_MSG(seg != NULL, "start: %s", err);
    if (seg) {
        loop_timer_id deadline = loop_timer_after(b->loop, max_ms * NS_PER_MS, on_deadline, b);
        loop_run(b->loop);
        loop_timer_cancel(b->loop, deadline);
        mbus_segment_get_stats(seg, st);
        mbus_segment_stop(seg);
    }
    mbus_config_free(cfg);
    cfg_free(root);
    CHECK_MSG(!b->timed_out, "scenario did not finish within %lld ms", (long long)max_ms);
    return seg != NULL;
}

static double point_double(const datahub *hub, const char *id) {
    const dp *p = datahub_get(hub, id);
    return p && p->value.type == DP_DOUBLE ? p->value.d : -1e300;
}

static long long point_int(const datahub *hub, const char *id) {
    const dp *p = datahub_get(hub, id);
    return p && p->value.type == DP_INT ? p->value.i : -1;
}

/* ---- scenarios ------------------------------------------------------------ */

#define SEGMENT_HEAD                                                                           \
    "mbus:\n"                                                                                  \
    "  - name: bus1\n"                                                                         \
    "    device: %s\n"                                                                         \
    "    baud: 9600\n"                                                                         \
    "    interval: 10s\n"                                                                      \
    "    response_timeout: 60ms\n"                                                             \
    "    idle_timeout: 30ms\n"

/* SND_NKE, then one REQ_UD2 answered by a real meter's telegram. */
static void test_primary_readout(void) {
    bench b;
    mbus_segment_stats st;
    if (!bench_open(&b))
        return;
    add_step(&b, "10 40 05 45 16", "E5");
    add_step(&b, "10 7B 05 80 16", ACW_FRAME);
    run_segment(&b,
                SEGMENT_HEAD "    reset: nke\n"
                             "    meters:\n"
                             "      - name: water1\n"
                             "        primary: 5\n",
                2000, &st);
    CHECK_INT(b.n_requests, 2);
    /* The E5 came back at once over the pty; the next request still waits for
     * the reset to leave the wire (5 bytes * 11 bits at 9600 = 5.73 ms, plus
     * the driver's 2 ms latency allowance) and the 33 bit request gap (3.44 ms):
     * 11.166 ms. The slave sees each request a little after it was written (its
     * own read latency on a loaded machine), so up to 2 ms less may be observed
     * here; the exact bound is checked in virtual time by the scenarios'
     * idle_before_request rule (scenarios/mbus/timing_idle.yaml). */
    int64_t spacing = b.request_ns[1] - b.request_ns[0];
    CHECK_MSG(spacing >= 9166 * NS_PER_US && spacing < 100 * NS_PER_MS, "spacing %lld us",
              (long long)(spacing / 1000));
    CHECK_INT(b.cycles, 1);
    CHECK_STR(b.cycle_source, "mbus:bus1");
    CHECK_NEAR(point_double(b.hub, "water1/0"), 11490378.0, 1e-6);
    CHECK_NEAR(point_double(b.hub, "water1/1"), 54.321, 1e-9);
    const dp *vol = datahub_get(b.hub, "water1/1");
    if (vol) {
        CHECK_STR(vol->unit, "m3");
        CHECK_INT(vol->quality, 0);
        CHECK_STR(vol->origin.meter, "water1");
        CHECK_INT(vol->origin.record, 1);
        CHECK_INT(vol->origin.protocol, DP_PROTO_MBUS);
        CHECK_STR(vol->origin.address, "DIF 04 VIF 13 storage 0 tariff 0 subunit 0");
        CHECK(vol->origin.has_raw);
        CHECK_INT(vol->origin.raw_int, 54321);
        CHECK_INT(vol->origin.scale_exp, -3);
        /* 2014-03-13T11:11:00 from the telegram's date-time record */
        CHECK_INT(vol->origin.meter_ts_ns, 1394709060LL * NS_PER_S);
    } else {
        CHECK_MSG(false, "no point water1/1");
    }
    const dp *stor = datahub_get(b.hub, "water1/3");
    CHECK(stor && stor->origin.address && strstr(stor->origin.address, " storage 1 "));
    const dp *date = datahub_get(b.hub, "water1/2");
    CHECK(date && date->value.type == DP_STRING);
    const dh_meter *m = datahub_get_meter(b.hub, "water1");
    CHECK(m != NULL);
    if (m) {
        CHECK_STR(m->status, "ok");
        CHECK_STR(m->serial, "11490378");
        CHECK_STR(m->manufacturer, "ACW");
        CHECK_STR(m->interface, "mbus");
        CHECK_INT(m->primary_address, 5);
        CHECK_INT(m->version, 0x0E);
        CHECK_INT(m->medium, 0x16);
        CHECK(m->last_read_ns > 0);
    }
    CHECK_INT(point_int(b.hub, "bus1/requests"), 2);
    CHECK_INT(point_int(b.hub, "bus1/timeouts"), 0);
    CHECK_INT(point_int(b.hub, "bus1/rejected"), 0);
    CHECK_INT(point_int(b.hub, "bus1/meters_read"), 1);
    CHECK_INT(point_int(b.hub, "bus1/meters_not_read"), 0);
    CHECK_INT(st.meters_read, 1);
    bench_close(&b);
}

/* Broadcast SND_NKE (no answer), the select telegram, REQ_UD2 to 0xFD. */
static void test_secondary_readout(void) {
    bench b;
    mbus_segment_stats st;
    if (!bench_open(&b))
        return;
    add_step(&b, "10 40 FF 3F 16", NULL);
    add_step(&b, "68 0B 0B 68 53 FD 52 78 03 49 11 FF FF FF FF 73 16", "E5");
    add_step(&b, "10 7B FD 78 16", ACW_FRAME);
    run_segment(&b,
                SEGMENT_HEAD "    meters:\n"
                             "      - name: water7\n"
                             "        secondary: \"11490378\"\n",
                2000, &st);
    CHECK_INT(b.n_requests, 3);
    CHECK_INT(st.timeouts, 0); /* nobody answers a broadcast, and that is no timeout */
    CHECK_NEAR(point_double(b.hub, "water7/1"), 54.321, 1e-9);
    const dh_meter *m = datahub_get_meter(b.hub, "water7");
    CHECK(m && strcmp(m->status, "ok") == 0 && m->primary_address == -1);
    CHECK(m && m->secondary);
    if (m && m->secondary)
        CHECK_STR(m->secondary, "1149037804770E16"); /* the meter's real address */
    bench_close(&b);
}

/* A wrong meter answering after the select is rejected and the request repeated. */
static void test_secondary_wrong_meter(void) {
    bench b;
    mbus_segment_stats st;
    uint8_t other[300];
    size_t n = rsp_ud(other, sizeof other, 0, "04 13 2A 00 00 00");
    if (!bench_open(&b))
        return;
    add_step(&b, "68 0B 0B 68 53 FD 52 78 03 49 11 FF FF FF FF 73 16", "E5");
    add_step_bytes(&b, "10 7B FD 78 16", other, n);
    add_step(&b, "10 7B FD 78 16", ACW_FRAME);
    run_segment(&b,
                SEGMENT_HEAD "    reset: none\n"
                             "    meters:\n"
                             "      - name: water7\n"
                             "        secondary: \"11490378\"\n",
                2000, &st);
    CHECK_INT(b.n_requests, 3);
    CHECK_INT(st.rejected, 1);
    CHECK_MSG(strstr(b.last_rejected_text, "1234567804430104") != NULL, "reason: %s",
              b.last_rejected_text);
    CHECK_NEAR(point_double(b.hub, "water7/1"), 54.321, 1e-9);
    bench_close(&b);
}

/* A mask with wildcard nibbles inside the manufacturer and medium (as the tree
 * search makes them below 8 id digits): the answer of the meter the select
 * chose matches it nibble by nibble and is read, not rejected. */
static void test_secondary_nibble_mask(void) {
    bench b;
    mbus_segment_stats st;
    if (!bench_open(&b))
        return;
    add_step(&b, "68 0B 0B 68 53 FD 52 78 03 49 11 FF 04 0E FF 87 16", "E5");
    add_step(&b, "10 7B FD 78 16", ACW_FRAME);
    run_segment(&b,
                SEGMENT_HEAD "    reset: none\n"
                             "    meters:\n"
                             "      - name: water7\n"
                             "        secondary: \"1149037804FF0EFF\"\n",
                2000, &st);
    CHECK_INT(b.n_requests, 2);
    CHECK_INT(st.rejected, 0);
    CHECK_INT(st.meters_read, 1);
    CHECK_NEAR(point_double(b.hub, "water7/1"), 54.321, 1e-9);
    bench_close(&b);
}

/* Without resets, a scan whose probe isolates a configured meter reads it at
 * discovery (REQ_UD2 with FCB 1), finds it is already known and drops it: the
 * configured meter's readout right after must toggle to FCB 0, or a meter
 * checking the FCB takes it for a repeat and sends the scan's telegram again. */
static void test_scan_rediscovery_toggles_fcb(void) {
    bench b;
    mbus_segment_stats st;
    if (!bench_open(&b))
        return;
    add_step(&b, "68 0B 0B 68 53 FD 52 7F 03 49 11 FF FF FF FF 7A 16", "E5"); /* probe 1149037F */
    add_step(&b, "10 7B FD 78 16", ACW_FRAME); /* read at discovery: water7, known */
    add_step(&b, "68 0B 0B 68 53 FD 52 78 03 49 11 FF FF FF FF 73 16", "E5"); /* water7's readout */
    add_step(&b, "10 5B FD 58 16", ACW_FRAME);
    run_segment(&b,
                SEGMENT_HEAD "    reset: none\n"
                             "    scan: {mode: secondary, mask: \"1149037F\"}\n"
                             "    meters:\n"
                             "      - name: water7\n"
                             "        secondary: \"11490378\"\n",
                3000, &st);
    CHECK_INT(b.n_requests, 4);
    CHECK_INT(st.meters_read, 1);
    CHECK_NEAR(point_double(b.hub, "water7/1"), 54.321, 1e-9);
    bench_close(&b);
}

/* Three pages: FCB toggles 7B, 5B, 7B; a silent page is asked again with the
 * same FCB; records are numbered across pages; max_pages ends the readout. */
static void test_multi_page(void) {
    bench b;
    mbus_segment_stats st;
    uint8_t p1[300], p2[300], p3[300];
    size_t n1 = rsp_ud(p1, sizeof p1, 5, "04 13 01 00 00 00 1F");
    size_t n2 = rsp_ud(p2, sizeof p2, 5, "04 13 02 00 00 00 1F");
    size_t n3 = rsp_ud(p3, sizeof p3, 5, "04 13 03 00 00 00 1F");
    if (!bench_open(&b))
        return;
    add_step_bytes(&b, "10 7B 05 80 16", p1, n1);
    add_step(&b, "10 5B 05 60 16", NULL); /* page 2 lost: asked again with the same FCB */
    add_step_bytes(&b, "10 5B 05 60 16", p2, n2);
    add_step_bytes(&b, "10 7B 05 80 16", p3, n3);
    run_segment(&b,
                SEGMENT_HEAD "    reset: none\n"
                             "    max_pages: 3\n"
                             "    meters:\n"
                             "      - name: heat1\n"
                             "        primary: 5\n",
                2000, &st);
    CHECK_INT(b.n_requests, 4);
    /* each page: volume record + the 0x1F "more follows" record */
    CHECK_NEAR(point_double(b.hub, "heat1/0"), 0.001, 1e-12);
    CHECK_NEAR(point_double(b.hub, "heat1/2"), 0.002, 1e-12);
    CHECK_NEAR(point_double(b.hub, "heat1/4"), 0.003, 1e-12);
    CHECK(datahub_get(b.hub, "heat1/6") == NULL);
    CHECK_INT(st.timeouts, 1);
    CHECK_INT(st.meters_read, 1);
    const dh_meter *m = datahub_get_meter(b.hub, "heat1");
    CHECK(m && strcmp(m->serial, "12345678") == 0 && strcmp(m->manufacturer, "ABC") == 0);
    CHECK(m && m->medium == 4 && strcmp(m->medium_name, "heat_outlet") == 0);
    bench_close(&b);
}

/* A silent meter: the response timeout is waited each time, retries use the
 * same FCB (toggled from the last answer), then not_read; the next meter is read as usual. In the second
 * cycle the first meter's old points turn invalid|not topical. */
static void test_silence_retries_not_read(void) {
    bench b;
    mbus_segment_stats st;
    uint8_t p[300];
    size_t n = rsp_ud(p, sizeof p, 7, "04 13 2A 00 00 00");
    if (!bench_open(&b))
        return;
    b.cycles_wanted = 2;
    /* cycle 1: both meters answer */
    add_step_bytes(&b, "10 7B 07 82 16", p, n);
    add_step(&b, "10 7B 05 80 16", ACW_FRAME);
    /* cycle 2: meter 7 is silent three times (retries: 2), meter 5 answers; without
     * resets each meter's FCB goes on toggling from the answer of cycle 1 */
    add_step(&b, "10 5B 07 62 16", NULL);
    add_step(&b, "10 5B 07 62 16", NULL);
    add_step(&b, "10 5B 07 62 16", NULL);
    add_step(&b, "10 5B 05 60 16", ACW_FRAME);
    run_segment(&b,
                "mbus:\n"
                "  - name: bus2\n"
                "    device: %s\n"
                "    baud: 9600\n"
                "    interval: 600ms\n"
                "    response_timeout: 60ms\n"
                "    retries: 2\n"
                "    reset: none\n"
                "    meters:\n"
                "      - name: silent\n"
                "        primary: 7\n"
                "      - name: water1\n"
                "        primary: 5\n",
                3000, &st);
    CHECK_INT(b.n_requests, 6);
    /* The request left the wire after 5 bytes * 11 bits at 9600 (5.73 ms) plus
     * the 2 ms latency allowance, then the 60 ms response timeout ran; the line
     * has been idle longer than the 33 bit request gap by then, so the retry
     * goes out at once. The slave sees each request a little after it was
     * written (loop latency, a few ms under sanitizers, more on a loaded
     * machine), hence slack below 67.73 ms; the exact timeout is checked to the
     * bit in virtual time (scenarios/mbus/response_timeout_edge.yaml). */
    for (int i = 3; i <= 4; i++) {
        int64_t gap = b.request_ns[i] - b.request_ns[i - 1];
        CHECK_MSG(gap >= 55 * NS_PER_MS && gap < 250 * NS_PER_MS, "retry %d after %lld us", i,
                  (long long)(gap / 1000));
    }
    /* cycle 2 starts on the 600 ms grid counted from the segment's start (the
     * line has long been idle, so no extra gap) */
    int64_t second = b.request_ns[2] - b.start_ns;
    CHECK_MSG(second >= 600 * NS_PER_MS && second < 800 * NS_PER_MS,
              "second cycle's first request at %lld us", (long long)(second / 1000));
    CHECK_INT(st.timeouts, 3);
    CHECK_INT(st.meters_read, 3);
    CHECK_INT(st.meters_not_read, 1);
    CHECK_INT(b.events_not_read, 1);
    CHECK_STR(b.last_not_read_meter, "silent");
    const dh_meter *m = datahub_get_meter(b.hub, "silent");
    CHECK(m && strcmp(m->status, "not_read") == 0);
    CHECK(m && m->serial && strcmp(m->serial, "12345678") == 0); /* last known kept */
    const dp *old = datahub_get(b.hub, "silent/0");
    CHECK(old && old->quality == (DPQ_INVALID | DPQ_NOT_TOPICAL));
    CHECK(old && old->value.type == DP_DOUBLE && fabs(old->value.d - 0.042) < 1e-12);
    const dp *good = datahub_get(b.hub, "water1/1");
    CHECK(good && good->quality == 0);
    CHECK_INT(point_int(b.hub, "bus2/meters_not_read"), 1);
    CHECK_INT(point_int(b.hub, "bus2/timeouts"), 3);
    CHECK_INT(point_int(b.hub, "bus2/requests"), 6);
    bench_close(&b);
}

/* A bad checksum, garbage, a truncated frame and an undecodable telegram are
 * each rejected with their bytes and reason, and retried. */
static void test_bad_frames_rejected(void) {
    bench b;
    mbus_segment_stats st;
    uint8_t bad[300], undecodable[300];
    size_t n = hex_to_bytes(ACW_FRAME, bad, sizeof bad);
    bad[n - 2] ^= 0x01; /* checksum */
    uint8_t short_hdr[] = {0x78, 0x56};
    size_t nu = mbus_encode_long(undecodable, sizeof undecodable, 0x08, 5, 0x72, short_hdr, 2);
    if (!bench_open(&b))
        return;
    add_step_bytes(&b, "10 7B 05 80 16", bad, n);
    add_step(&b, "10 7B 05 80 16", "FF 00 12");           /* collision garbage */
    add_step(&b, "10 7B 05 80 16", "68 3C 3C 68 08 08 72"); /* then silence */
    add_step_bytes(&b, "10 7B 05 80 16", undecodable, nu);
    add_step(&b, "10 7B 05 80 16", ACW_FRAME);
    run_segment(&b,
                SEGMENT_HEAD "    reset: none\n"
                             "    retries: 4\n"
                             "    meters:\n"
                             "      - name: water1\n"
                             "        primary: 5\n",
                3000, &st);
    CHECK_INT(b.n_requests, 5);
    CHECK_INT(b.events_rejected, 4);
    CHECK_INT(st.rejected, 4);
    CHECK_INT(st.timeouts, 0);
    CHECK_INT(st.meters_read, 1);
    /* the last rejected event carries the undecodable frame itself */
    CHECK_INT(b.last_rejected_len, nu);
    CHECK(b.last_rejected_len == nu && memcmp(b.last_rejected_bytes, undecodable, nu) == 0);
    CHECK_MSG(strlen(b.last_rejected_text) > 0, "reason text missing");
    CHECK_NEAR(point_double(b.hub, "water1/1"), 54.321, 1e-9);
    bench_close(&b);
}

/* The first rejected event is the checksum error with the whole frame. */
static void test_checksum_event(void) {
    bench b;
    mbus_segment_stats st;
    uint8_t bad[300];
    size_t n = hex_to_bytes(ACW_FRAME, bad, sizeof bad);
    bad[n - 2] ^= 0x01;
    if (!bench_open(&b))
        return;
    add_step_bytes(&b, "10 7B 05 80 16", bad, n);
    add_step_bytes(&b, "10 7B 05 80 16", bad, n);
    run_segment(&b,
                SEGMENT_HEAD "    reset: none\n"
                             "    retries: 1\n"
                             "    meters:\n"
                             "      - name: water1\n"
                             "        primary: 5\n",
                2000, &st);
    CHECK_INT(b.n_requests, 2);
    CHECK_INT(b.events_rejected, 2);
    CHECK_INT(b.events_not_read, 1);
    CHECK(b.last_rejected_len == n && memcmp(b.last_rejected_bytes, bad, n) == 0);
    CHECK_MSG(strstr(b.last_rejected_text, "checksum") != NULL, "reason: %s",
              b.last_rejected_text);
    const dh_meter *m = datahub_get_meter(b.hub, "water1");
    CHECK(m && strcmp(m->status, "not_read") == 0);
    CHECK(datahub_get(b.hub, "water1/0") == NULL);
    bench_close(&b);
}

/* ---- configuration -------------------------------------------------------- */

/* The mbus section of a configuration text named gw.yaml; *root is freed by the caller. */
static mbus_config *parse_config(const char *yaml, cfg_node **root, cfg_err *err) {
    *root = cfg_load_string(yaml, "gw.yaml", err);
    return *root ? mbus_config_parse(cfg_get(*root, "mbus"), err) : NULL;
}

static void expect_config_error(const char *yaml, const char *want) {
    cfg_err err = {{0}};
    cfg_node *root;
    mbus_config *cfg = parse_config(yaml, &root, &err);
    CHECK_MSG(cfg == NULL, "accepted: %s", yaml);
    CHECK_MSG(strcmp(err.msg, want) == 0, "got \"%s\", want \"%s\"", err.msg, want);
    mbus_config_free(cfg);
    cfg_free(root);
}

#define CFG_HEAD "mbus:\n  - name: bus1\n    device: /dev/null\n"

/* Every reset mode by name (MUC500 §2.6 item 19). */
static void test_reset_modes(void) {
    static const char *const names[] = {"none", "nke", "nke_fd", "nke_ff", "app_reset"};
    static const mbus_reset_mode modes[] = {MBUS_RESET_NONE, MBUS_RESET_NKE, MBUS_RESET_NKE_FD,
                                            MBUS_RESET_NKE_FF, MBUS_RESET_APP_FF};
    for (int i = 0; i < 5; i++) {
        char yaml[256];
        snprintf(yaml, sizeof yaml, CFG_HEAD "    reset: %s\n    meters: []\n", names[i]);
        cfg_err err = {{0}};
        cfg_node *root;
        mbus_config *cfg = parse_config(yaml, &root, &err);
        CHECK_MSG(cfg != NULL, "%s: %s", names[i], err.msg);
        if (cfg) {
            CHECK_INT(cfg->segments[0].reset_mode, modes[i]);
            CHECK_INT(cfg->segments[0].reset_nke, i != 0);
        }
        mbus_config_free(cfg);
        cfg_free(root);
    }
}

/* Every request mode by name (MUC500 §2.6 item 17); req_ud2 by default. */
static void test_request_modes(void) {
    static const char *const lines[] = {"", "    request: req_ud2\n", "    request: global_readout\n",
                                        "    request: global_readout_dif\n"};
    static const mbus_request_mode modes[] = {MBUS_REQUEST_UD2, MBUS_REQUEST_UD2,
                                              MBUS_REQUEST_GLOBAL_READOUT,
                                              MBUS_REQUEST_GLOBAL_READOUT_DIF};
    for (int i = 0; i < 4; i++) {
        char yaml[256];
        snprintf(yaml, sizeof yaml, CFG_HEAD "%s    meters: []\n", lines[i]);
        cfg_err err = {{0}};
        cfg_node *root;
        mbus_config *cfg = parse_config(yaml, &root, &err);
        CHECK_MSG(cfg != NULL, "%s: %s", lines[i], err.msg);
        if (cfg)
            CHECK_INT(cfg->segments[0].request_mode, modes[i]);
        mbus_config_free(cfg);
        cfg_free(root);
    }
    expect_config_error(CFG_HEAD "    request: freeze\n    meters: []\n",
                        "gw.yaml:4:14: request must be req_ud2, global_readout or global_readout_dif");
}

/* scan.every: a periodic scan finds meters added to the bus. */
static void test_scan_every(void) {
    cfg_err err = {{0}};
    cfg_node *root;
    mbus_config *cfg = parse_config(CFG_HEAD "    scan: {mode: secondary, every: 30s}\n    meters: []\n",
                                    &root, &err);
    CHECK_MSG(cfg != NULL, "%s", err.msg);
    if (cfg)
        CHECK_INT(cfg->segments[0].scan.every_ns, 30 * NS_PER_S);
    mbus_config_free(cfg);
    cfg_free(root);
    expect_config_error(CFG_HEAD "    scan: {mode: secondary, every: -5s}\n    meters: []\n",
                        "gw.yaml:4:36: 'every': expected a duration like 100us, 500ms, 2s, 1.5s, "
                        "15m, 1h, 1d, got '-5s'");
}

static void test_config(void) {
    cfg_err err = {{0}};
    cfg_node *root;
    mbus_config *cfg = parse_config(CFG_HEAD "    meters:\n"
                                             "      - name: a\n"
                                             "        primary: 250\n"
                                             "      - name: b\n"
                                             "        secondary: 1234567F2C2D0107\n"
                                             "        baud: 9600\n"
                                             "        wakeup: 60ms\n",
                                    &root, &err);
    CHECK_MSG(cfg != NULL, "%s", err.msg);
    if (cfg) {
        const mbus_segment_cfg *s = &cfg->segments[0];
        CHECK_INT(s->baud, 2400);
        CHECK_INT(s->interval_ns, 15 * 60 * NS_PER_S);
        CHECK_INT(s->response_timeout_ns, 137500000 + 50 * NS_PER_MS); /* 330 bits at 2400 + 50 ms */
        CHECK_INT(s->request_gap_ns, 13750000);                         /* 33 bits at 2400 */
        CHECK_INT(s->idle_timeout_ns, 100 * NS_PER_MS);
        CHECK_INT(s->retries, 3);
        CHECK_INT(s->max_pages, 3);
        CHECK(s->reset_nke);
        CHECK(!s->echo);
        CHECK_INT(s->n_meters, 2);
        CHECK_INT(s->meters[0].primary, 250);
        CHECK_INT(s->meters[0].baud, 0); /* the segment's */
        CHECK_INT(s->meters[1].baud, 9600);
        CHECK_INT(s->meters[0].wakeup_ns, 0);
        CHECK_INT(s->meters[1].wakeup_ns, 60 * NS_PER_MS);
        CHECK(s->response_timeout_auto && s->request_gap_auto);
        CHECK(s->meters[1].has_secondary);
        CHECK_INT(s->meters[1].secondary.id_bcd, 0x1234567F);
        CHECK_INT(s->meters[1].secondary.manufacturer, 0x2C2D);
        CHECK_INT(s->meters[1].secondary.version, 1);
        CHECK_INT(s->meters[1].secondary.medium, 7);
    }
    mbus_config_free(cfg);
    cfg_free(root);

    expect_config_error(CFG_HEAD "    meters:\n      - name: a\n        primary: 251\n",
                        "gw.yaml:6:18: primary address must be 0..250");
    expect_config_error(CFG_HEAD "    meters:\n      - name: a\n        primary: 1\n"
                                 "      - name: a\n        primary: 2\n",
                        "gw.yaml:7:15: duplicate meter name \"a\" (first at line 5)");
    expect_config_error(CFG_HEAD "    meters:\n      - name: a\n        secondary: 12AB5678\n",
                        "gw.yaml:6:20: secondary address must be 8 id digits or 16 hex chars "
                        "(id, manufacturer, version, medium; F = wildcard)");
    expect_config_error(CFG_HEAD "    baud: 2401\n    meters: []\n",
                        "gw.yaml:4:11: baud must be 300, 600, 1200, 2400, 4800, 9600, 19200 "
                        "or 38400");
    expect_config_error(CFG_HEAD "    reset: always\n    meters: []\n",
                        "gw.yaml:4:12: reset must be none, nke, nke_fd, nke_ff or app_reset");
    test_reset_modes();
    test_request_modes();
    test_scan_every();
    expect_config_error(CFG_HEAD "    meters:\n      - name: a\n        primary: 1\n        baud: 1234\n",
                        "gw.yaml:7:15: baud must be 300, 600, 1200, 2400, 4800, 9600, 19200 "
                        "or 38400");
    expect_config_error(CFG_HEAD "    meters:\n      - name: a\n        primary: 1\n        wakeup: 3s\n",
                        "gw.yaml:7:17: wakeup must be a duration of 0..2s");
    expect_config_error(CFG_HEAD "    echo: maybe\n    meters: []\n",
                        "gw.yaml:4:11: 'echo': expected true/false (or yes/no, on/off), got 'maybe'");
    expect_config_error(CFG_HEAD "    meters:\n      - name: a\n",
                        "gw.yaml:5:9: meter needs a primary or a secondary address");

    mbus_secondary sa;
    CHECK(mbus_secondary_parse_mask("12345678", &sa) && sa.id_bcd == 0x12345678 &&
          sa.manufacturer == 0xFFFF && sa.version == 0xFF && sa.medium == 0xFF);
    CHECK(!mbus_secondary_parse_mask("1234567", &sa));
    CHECK(!mbus_secondary_parse_mask("1234567A", &sa));
    CHECK(!mbus_secondary_parse_mask("12345678ZZ000000", &sa));
}

/* ---- the frame assembler and the port ------------------------------------- */

static void test_rx(void) {
    mbus_rx rx;
    uint8_t f[300];
    size_t n = hex_to_bytes(ACW_FRAME, f, sizeof f);
    mbus_rx_reset(&rx);
    CHECK_INT(mbus_rx_push(&rx, f, 1), MBUS_RX_PARTIAL);
    CHECK_INT(mbus_rx_push(&rx, f + 1, 10), MBUS_RX_PARTIAL);
    CHECK_INT(mbus_rx_push(&rx, f + 11, n - 11), MBUS_RX_COMPLETE);
    CHECK_INT(rx.frame_len, n);
    CHECK_INT(mbus_rx_push(&rx, f, 2), MBUS_RX_COMPLETE);
    CHECK_INT(rx.dropped, 2);
    mbus_rx_reset(&rx);
    CHECK_INT(mbus_rx_push(&rx, (const uint8_t *)"\xE5", 1), MBUS_RX_COMPLETE);
    CHECK_INT(rx.frame_len, 1);
    mbus_rx_reset(&rx);
    CHECK_INT(mbus_rx_push(&rx, (const uint8_t *)"\x10\x40", 2), MBUS_RX_PARTIAL);
    mbus_rx_reset(&rx);
    CHECK_INT(mbus_rx_push(&rx, (const uint8_t *)"\x00\x68", 2), MBUS_RX_GARBAGE);
    CHECK_INT(rx.len, 2);
    CHECK_INT(rx.err.code, MBUS_ERR_START);
}

static void test_serial_port(void) {
    char device[64], err[256];
    int master = posix_openpt(O_RDWR | O_NOCTTY);
    CHECK(master >= 0 && grantpt(master) == 0 && unlockpt(master) == 0 &&
          ptsname_r(master, device, sizeof device) == 0);
    int fd = serial_open(device, 4800, err, sizeof err);
    CHECK_MSG(fd >= 0, "%s", err);
    if (fd >= 0) {
        struct termios t;
        CHECK(tcgetattr(fd, &t) == 0);
        CHECK_INT(cfgetospeed(&t), B4800);
        CHECK_INT(cfgetispeed(&t), B4800);
        CHECK_INT(t.c_cflag & CSIZE, CS8);
        CHECK(!(t.c_lflag & (ECHO | ICANON)));
        CHECK(fcntl(fd, F_GETFL) & O_NONBLOCK);
        uint8_t b;
        CHECK(read(fd, &b, 1) < 0 && errno == EAGAIN); /* never blocks */
        close(fd);
    }
    CHECK(serial_open("/nonexistent/tty", 2400, err, sizeof err) < 0 &&
          strstr(err, "/nonexistent/tty") != NULL);
    CHECK(serial_open(device, 1234, err, sizeof err) < 0);
    CHECK(!serial_baud_supported(57600) && serial_baud_supported(300));
    CHECK(serial_open(device, 57600, err, sizeof err) < 0 && strstr(err, "57600") != NULL);
    /* the other buses on the same module: 8N1 at the radio module's rates */
    CHECK(serial_speed_known(115200) && !serial_speed_known(1234));
    fd = serial_open_framed(device, 115200, SERIAL_8N1, err, sizeof err);
    CHECK_MSG(fd >= 0, "%s", err);
    if (fd >= 0) {
        struct termios t;
        CHECK(tcgetattr(fd, &t) == 0);
        CHECK_INT(cfgetospeed(&t), B115200);
        CHECK_INT(t.c_cflag & (CSIZE | PARENB | CSTOPB), CS8);
        close(fd);
    }
    close(master);
}

int main(void) {
    log_set_level(getenv("TEST_LOG") ? LOG_LVL_DEBUG : LOG_LVL_ERROR);
    test_config();
    test_rx();
    test_serial_port();
    test_primary_readout();
    test_secondary_readout();
    test_secondary_wrong_meter();
    test_secondary_nibble_mask();
    test_scan_rediscovery_toggles_fcb();
    test_multi_page();
    test_silence_retries_not_read();
    test_bad_frames_rejected();
    test_checksum_event();
    return test_summary("test_mbus_master");
}
