/* import_mbus: a serial M-Bus capture (socat) → emulated slaves that answer
 * as the recorded ones did (import.h).
 *
 * The byte stream of each direction is cut into M-Bus frames (E5, short
 * 10 C A CS 16, long 68 L L 68 ... 16). The side that sends short frames is
 * the master. Every RSP_UD becomes a page of the slave at its primary
 * address, in the recorded order (`rotate` answers them in turn, one per
 * readout; at most 64 kept); its answer delay is the median of the recorded ones and the
 * gateway reads at the median interval between the master's requests to a
 * meter. Implied expectations: the numeric records of each slave's last
 * answer, as the gateway's decoder reads them. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include "codec/decode/decode.h"
#include "sim/import/import.h"

#define MAX_ADDR 256
#define MAX_PAGES 64

typedef struct frame_ref {
    int64_t t_ns;
    const uint8_t *b;
    size_t len;
} frame_ref;

typedef struct slave_rec {
    frame_ref pages[MAX_PAGES];
    size_t n_pages, answers;
    int64_t delays[256];
    size_t n_delays;
    int64_t last_req_ns, gaps[256];
    size_t n_gaps;
    bool seen;
} slave_rec;

/* Length of the frame at b (0: not a frame start, or incomplete). */
static size_t frame_len(const uint8_t *b, size_t n) {
    if (n >= 1 && b[0] == 0xE5) return 1;
    if (n >= 5 && b[0] == 0x10 && b[4] == 0x16) return 5;
    if (n >= 6 && b[0] == 0x68 && b[3] == 0x68 && b[1] == b[2] && n >= (size_t)b[1] + 6 &&
        b[b[1] + 5] == 0x16)
        return (size_t)b[1] + 6;
    return 0;
}

static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static int64_t median(int64_t *v, size_t n, int64_t def) {
    if (n == 0) return def;
    qsort(v, n, sizeof *v, cmp_i64);
    return v[n / 2];
}

/* Frames of one direction: chunks concatenated, cut at frame boundaries;
 * bytes that start no frame are skipped (line noise). */
static size_t cut_frames(const capture *c, int dir, uint8_t *buf, frame_ref *out, size_t cap) {
    size_t len = 0, n = 0, start = 0;
    int64_t *when = malloc((c->n ? c->n : 1) * sizeof *when); /* per chunk start */
    size_t *at = malloc((c->n ? c->n : 1) * sizeof *at), chunks = 0;
    if (!when || !at) {
        free(when);
        free(at);
        return 0;
    }
    for (size_t i = 0; i < c->n; i++) {
        if (c->frames[i].dir != dir) continue;
        when[chunks] = c->frames[i].t_ns;
        at[chunks++] = len;
        memcpy(buf + len, c->frames[i].bytes, c->frames[i].len);
        len += c->frames[i].len;
    }
    size_t k = 0;
    while (start < len && n < cap) {
        size_t fl = frame_len(buf + start, len - start);
        if (!fl) {
            start++;
            continue;
        }
        while (k + 1 < chunks && at[k + 1] <= start) k++;
        out[n++] = (frame_ref){when[k], buf + start, fl};
        start += fl;
    }
    free(when);
    free(at);
    return n;
}

static void write_expectations(FILE *out, decoder *dec, int addr, const frame_ref *page) {
    telegram *t = malloc(sizeof *t);
    if (!t) return;
    decode_telegram(dec, page->b, page->len, t);
    for (size_t i = 0; i < t->app.n_records; i++) {
        const mbus_record *r = &t->app.records[i];
        if (r->kind != MBUS_VAL_NUMBER) continue;
        fprintf(out, "  - value: {point: m%03d/%zu, equals: %.17g, unit: \"%s\", quality: 0}  # %s\n",
                addr, i, r->value, r->unit ? r->unit : "", r->quantity ? r->quantity : "");
    }
    free(t);
}

int import_write_mbus(const import_opts *o, capture *c, FILE *out, char *err, size_t errlen) {
    size_t total = 0;
    for (size_t i = 0; i < c->n; i++) total += c->frames[i].len;
    uint8_t *buf[2] = {malloc(total + 1), malloc(total + 1)};
    frame_ref *fr[2] = {malloc((total + 1) * sizeof(frame_ref)), malloc((total + 1) * sizeof(frame_ref))};
    slave_rec *sl = calloc(MAX_ADDR, sizeof *sl);
    decoder *dec = decoder_new();
    int rc = -1;
    if (!buf[0] || !buf[1] || !fr[0] || !fr[1] || !sl || !dec) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    size_t n[2];
    for (int d = 0; d < 2; d++) n[d] = cut_frames(c, d, buf[d], fr[d], total + 1);
    /* the master is the side that sends short frames */
    size_t shorts[2] = {0, 0};
    for (int d = 0; d < 2; d++)
        for (size_t i = 0; i < n[d]; i++) shorts[d] += fr[d][i].len == 5;
    int m = shorts[1] > shorts[0] ? 1 : 0, s = 1 - m;
    int64_t bit_ns = 1000000000LL / o->baud;
    size_t k = 0;
    int64_t last_req_end = -1;
    for (size_t i = 0; i < n[s]; i++) {
        const frame_ref *a = &fr[s][i];
        while (k < n[m] && fr[m][k].t_ns <= a->t_ns) {
            const frame_ref *q = &fr[m][k++];
            last_req_end = q->t_ns; /* a chunk's time is when its last byte was read */
            if (q->len == 5 && (q->b[1] & 0x4F) == 0x4B) { /* REQ_UD2: readout interval per address */
                slave_rec *r = &sl[q->b[2]];
                if (r->last_req_ns && r->n_gaps < 256) r->gaps[r->n_gaps++] = q->t_ns - r->last_req_ns;
                r->last_req_ns = q->t_ns;
            }
        }
        if (a->len < 6) continue; /* E5: acknowledgements are the emulator's own */
        slave_rec *r = &sl[a->b[5]];
        r->seen = true;
        r->answers++;
        /* from the end of the request to the start bit of the answer's first byte */
        if (last_req_end >= 0 && r->n_delays < 256)
            r->delays[r->n_delays++] = a->t_ns - (int64_t)a->len * 11 * bit_ns - last_req_end;
        if (r->n_pages < MAX_PAGES) r->pages[r->n_pages++] = *a; /* every answer, in order */
    }
    int64_t all_gaps[256 * 8];
    size_t n_all = 0, readouts = 0, slaves = 0;
    for (int a = 0; a < MAX_ADDR; a++) {
        if (!sl[a].seen) continue;
        slaves++;
        if (sl[a].answers > readouts) readouts = sl[a].answers;
        for (size_t g = 0; g < sl[a].n_gaps && n_all < sizeof all_gaps / sizeof *all_gaps; g++)
            all_gaps[n_all++] = sl[a].gaps[g];
    }
    if (slaves == 0) {
        snprintf(err, errlen, "%s: no RSP_UD answer of a slave in the capture", o->capture_path);
        goto done;
    }
    int64_t interval = median(all_gaps, n_all, 60000000000LL);
    interval = (interval + 500000000) / 1000000000 * 1000000000;
    if (interval < 2000000000) interval = 2000000000;
    char dur[40], iv[40], start[40], delay[40];
    int64_t span = c->n ? c->frames[c->n - 1].t_ns : 0;
    import_seconds(span + interval + 5000000000LL, dur, sizeof dur);
    import_seconds(interval, iv, sizeof iv);
    import_wall_text(c->t0_wall_ns, start, sizeof start);
    fprintf(out, "# Serial M-Bus at %u baud: %zu slaves answered, up to %zu readouts each; the gateway\n"
                 "# reads every %s (median of the recorded requests); slaves answer their recorded\n"
                 "# telegrams in turn after their median recorded delay.\n",
            o->baud, slaves, readouts, iv);
    fputs("name: ", out);
    char title[PATH_MAX + 64];
    snprintf(title, sizeof title, "replay of %s (%zu M-Bus slaves)", o->capture_path, slaves);
    import_yaml_string(out, title);
    fprintf(out, "\nduration: %s\nstart: %s\nstop_after_cycles: %zu\nplant:\n  segments:\n"
                 "    - name: bus1\n      baud: %u\n      slaves:\n",
            dur, start, readouts, o->baud);
    for (int a = 0; a < MAX_ADDR; a++) {
        if (!sl[a].seen) continue;
        char path[PATH_MAX + 64];
        snprintf(path, sizeof path, "%s/%s_a%03d.hex", o->fixtures_dir, o->name, a);
        FILE *fx = fopen(path, "w");
        if (!fx) {
            snprintf(err, errlen, "cannot write %.900s", path);
            goto done;
        }
        fprintf(fx, "# slave %d: its answers (RSP_UD) as recorded in %s, in turn\n", a, o->capture_path);
        for (size_t p = 0; p < sl[a].n_pages; p++) {
            for (size_t b = 0; b < sl[a].pages[p].len; b++)
                fprintf(fx, "%s%02X", b ? " " : "", sl[a].pages[p].b[b]);
            fputc('\n', fx);
        }
        fclose(fx);
        int64_t d = median(sl[a].delays, sl[a].n_delays, 22 * bit_ns);
        if (d < 11 * bit_ns) d = 11 * bit_ns; /* a start bit cannot come before the request ended */
        import_seconds(d, delay, sizeof delay);
        fprintf(out, "        - {primary: %d, telegrams: [%s/%s_a%03d.hex], response_delay: %s, more_follows: false, rotate: true}\n",
                a, o->fixtures_ref, o->name, a, delay);
    }
    fprintf(out, "gateway:\n  gateway: {name: replay, datahub_dump: \"${workdir}/datahub.json\"}\n"
                 "  mbus:\n    - name: bus1\n      device: \"${bus1}\"\n      baud: %u\n      interval: %s\n"
                 "      meters:\n",
            o->baud, iv);
    for (int a = 0; a < MAX_ADDR; a++)
        if (sl[a].seen) fprintf(out, "        - {name: m%03d, primary: %d}\n", a, a);
    fputs("expect:\n", out);
    for (int a = 0; a < MAX_ADDR; a++) {
        if (!sl[a].seen) continue;
        /* after `readouts` cycles a slave has answered its pages in turn that often */
        const slave_rec *r = &sl[a];
        write_expectations(out, dec, a, &r->pages[(readouts - 1) % r->n_pages]);
    }
    rc = 0;
done:
    free(buf[0]);
    free(buf[1]);
    free(fr[0]);
    free(fr[1]);
    free(sl);
    decoder_free(dec);
    return rc;
}
