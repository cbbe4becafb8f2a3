/* report_data: the timeline's data as one JSON object in the page (report.h):
 *   {"end_ns", "n_all", "n_shown", "kinds": [...], "lanes": [{name, kind, master,
 *    records, counts, bins}], "marks": [[lane, kind, t_ns, end_ns, dir, hex, event,
 *    decoded], ...], "status": [[meter, t_ns, text], ...], "status_dropped"}
 * Marks are arrays, not objects: a page of 20,000 marks stays a few megabytes. */
#include <stdlib.h>
#include <string.h>
#include "codec/decode/decode.h"
#include "sim/core/trace_pcapng.h"
#include "sim/report/report.h"
#include "sim/report/report_escape.h"
#include "sim/report/report_status.h"
#include "sim/report/report_timeline.h"

#define HEX_MAX 512       /* bytes of a frame shown; longer ones end in "..." */
#define DECODED_MAX 1500  /* characters of a decoded frame */
#define DECODE_FRAMES 4000 /* frames decoded per page (the rest show bytes and event) */
#define STATUS_MAX 5000

static void json_str(FILE *out, const char *s) {
    fputc('"', out);
    report_json_text(out, s);
    fputc('"', out);
}

static void hex(FILE *out, const uint8_t *b, size_t n) {
    fputc('"', out);
    for (size_t i = 0; i < n && i < HEX_MAX; i++) fprintf(out, "%s%02X", i ? " " : "", b[i]);
    if (n > HEX_MAX) fprintf(out, " ... (%zu bytes)", n);
    fputc('"', out);
}

/* A wired or wireless M-Bus frame as the gateway's decoder sees it (its JSON), cut short. */
static void decoded(FILE *out, decoder *dec, telegram *t, char *buf, const report_lane *ln, const trace_rec *r,
                    size_t *budget) {
    bool mbus = ln->kind == TK_MBUS || ln->kind == TK_WMBUS;
    if (!dec || !t || !buf || !mbus || r->len < 5 || *budget == 0) {
        fputs("\"\"", out);
        return;
    }
    --*budget;
    memset(t, 0, sizeof *t);
    decode_telegram(dec, r->bytes, r->len, t);
    size_t n = decode_json(t, buf, DECODE_JSON_MAX);
    if (n > DECODED_MAX) memcpy(buf + DECODED_MAX - 3, "...", 4);
    json_str(out, n ? buf : "");
}

static void lanes(FILE *out, const report_timeline *tl) {
    fputs(",\"lanes\":[", out);
    for (size_t i = 0; i < tl->n_lanes; i++) {
        const report_lane *ln = &tl->lanes[i];
        fprintf(out, "%s{\"name\":", i ? "," : "");
        json_str(out, ln->name);
        fprintf(out, ",\"kind\":\"%s\",\"master\":\"%s\",\"records\":%zu,\"counts\":{",
                trace_channel_kind_name((trace_channel_kind)ln->kind),
                !ln->has_master ? "" : ln->bench_master ? "bench" : "gateway",
                ln->records);
        for (int k = 0; k < MK_COUNT; k++)
            fprintf(out, "%s\"%s\":%zu", k ? "," : "", report_mark_kind_name((report_mark_kind)k), ln->counts[k]);
        fputs("},\"bins\":[", out);
        for (int b = 0; b < REPORT_BINS; b++) fprintf(out, "%s%u", b ? "," : "", ln->bins[b]);
        fputs("]}", out);
    }
    fputc(']', out);
}

static void marks(FILE *out, const report_timeline *tl, const trace *tr) {
    decoder *dec = decoder_new();
    telegram *t = malloc(sizeof *t);
    char *buf = malloc(DECODE_JSON_MAX);
    size_t budget = DECODE_FRAMES;
    fputs(",\"marks\":[", out);
    for (size_t i = 0; i < tl->n_marks; i++) {
        const report_mark *m = &tl->marks[i];
        const trace_rec *r = &tr->recs[m->rec];
        fprintf(out, "%s\n[%zu,%d,%lld,%lld,\"%s\",", i ? "," : "", m->lane, (int)m->kind, (long long)m->t_ns,
                (long long)m->end_ns, trace_dir_name(r->dir));
        hex(out, r->bytes, r->len);
        fputc(',', out);
        if (m->kind == MK_TIMEOUT) { /* the mark of the master giving up, with its request's bytes */
            char what[160];
            snprintf(what, sizeof what, "no answer to the request at %.6f s (%s)", (double)r->t_ns / 1e9, r->event);
            json_str(out, what);
        } else {
            json_str(out, r->event);
        }
        fputc(',', out);
        decoded(out, dec, t, buf, &tl->lanes[m->lane], r, &budget);
        fputc(']', out);
    }
    fputs("]", out);
    free(buf);
    free(t);
    if (dec) decoder_free(dec);
}

static void status(FILE *out, const report_input *in) {
    report_status_list l;
    report_status_load(&l, in->store_path, in->wall0_ns, STATUS_MAX);
    fputs(",\"status\":[", out);
    for (size_t i = 0; i < l.n; i++) {
        fprintf(out, "%s\n[", i ? "," : "");
        json_str(out, l.v[i].meter);
        fprintf(out, ",%lld,", (long long)l.v[i].t_ns);
        json_str(out, l.v[i].text);
        fputc(']', out);
    }
    fprintf(out, "],\"status_dropped\":%zu", l.dropped);
    report_status_free(&l);
}

void report_write_data(FILE *out, const report_input *in) {
    report_timeline tl;
    if (report_timeline_build(&tl, in->tr, in->max_marks ? in->max_marks : REPORT_MAX_MARKS) < 0)
        memset(&tl, 0, sizeof tl);
    fprintf(out, "{\"end_ns\":%lld,\"n_all\":%zu,\"n_shown\":%zu,\"kinds\":[", (long long)tl.end_ns, tl.n_all,
            tl.n_marks);
    for (int k = 0; k < MK_COUNT; k++) fprintf(out, "%s\"%s\"", k ? "," : "", report_mark_kind_name((report_mark_kind)k));
    fputc(']', out);
    lanes(out, &tl);
    marks(out, &tl, in->tr);
    status(out, in);
    fputs("}", out);
    report_timeline_free(&tl);
}
