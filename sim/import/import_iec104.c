/* import_iec104: the IEC 104 sessions of a capture (import.h) as scripted
 * bench masters and expectations, with every octet accounted for.
 *
 * Each direction's stream is cut by the standard (iec104_std.h), not by the
 * gateway's codec: APDUs, garbage (skipped up to the next valid APDU, where
 * the cut resynchronises — counted and noted with its offset) and an
 * incomplete tail. The client's STARTDT/STOPDT/TESTFR and I frames become
 * script steps; its S frames and TESTFR confirmations are counted (the bench
 * master sends its own). The server's I frames become expectations: object by
 * object (type, cause, IOA, value) when the bench can decode the type, else
 * the ASDU by type and cause; what cannot be expected at all is counted with
 * its reason.
 *
 * Half sessions: a session whose client did not start with STARTDT (the
 * capture began mid-session) gets an implied STARTDT after its connect; one
 * without client octets (a one-directional capture) also gets the commands
 * the server's ACT_CON confirm; one without server octets is checked by
 * protocol only (import_iec104_checks.c). Every implied step has a NOTE. */
#include <stdlib.h>
#include <string.h>
#include "codec/iec104/iec104.h"
#include "sim/iec104/iec104_std.h"
#include "sim/import/import.h"

#define NS_PER_SEC 1000000000LL

static const char *const side_name[2] = {"client", "server"};

static void at_text(int64_t ns, char *out, size_t cap) { import_seconds(ns < 0 ? 0 : ns, out, cap); }

/* Garbage and a cut-off tail: counted by direction, each run noted with its offset. */
static void count_junk(capture *c, int conn, int dir, const import_stream *s, const i104_piece *p) {
    char what[200];
    if (p->kind == I104_PIECE_TAIL) {
        snprintf(what, sizeof what, "octets of an APDU cut off by the end of the %s stream", side_name[dir]);
        capture_count(c, what, p->len);
        return;
    }
    snprintf(what, sizeof what, "garbage octets in the %s stream (not IEC 104; resynchronised)", side_name[dir]);
    capture_count(c, what, p->len);
    char t[40];
    at_text(s->t[p->at], t, sizeof t);
    capture_note(c, "session %d %s stream: %zu octets of garbage at offset %zu (capture t=%s), resynchronised at offset %zu",
                 conn + 1, side_name[dir], p->len, p->at, t, p->at + p->len);
}

/* The client's APDUs as steps; whether it started with STARTDT. */
typedef struct client_view {
    size_t apdus;
    bool startdt_first;   /* its first APDU is STARTDT act */
    int64_t first_t;      /* its first APDU's time, -1 without */
} client_view;

static client_view look_at_client(const import_stream *s) {
    client_view v = {.first_t = -1};
    for (size_t pos = 0; pos < s->n;) {
        i104_piece p = i104_next_piece(s->b, s->n, pos);
        if (p.kind == I104_PIECE_APDU) {
            if (v.apdus++ == 0) {
                v.startdt_first = p.format == 'U' && s->b[p.at + 2] == IEC104_U_STARTDT_ACT;
                v.first_t = s->t[p.at + p.len - 1];
            }
        }
        pos += p.len;
    }
    return v;
}

static void write_client_steps(FILE *out, capture *c, int conn, const import_stream *s, int64_t lead) {
    char at[40], hex[800];
    for (size_t pos = 0; pos < s->n;) {
        i104_piece p = i104_next_piece(s->b, s->n, pos);
        pos += p.len;
        if (p.kind != I104_PIECE_APDU) {
            count_junk(c, conn, CAP_TO_SLAVE, s, &p);
            continue;
        }
        const uint8_t *b = s->b + p.at;
        at_text(lead + s->t[p.at + p.len - 1], at, sizeof at);
        if (p.format == 'I') {
            import_hex_text(b + 6, p.len - 6, hex, sizeof hex);
            fprintf(out, "          - {at: %s, do: raw, hex: \"%s\"}\n", at, hex);
        } else if (p.format == 'U' && b[2] == IEC104_U_STARTDT_ACT) {
            fprintf(out, "          - {at: %s, do: startdt}\n", at);
        } else if (p.format == 'U' && b[2] == IEC104_U_STOPDT_ACT) {
            fprintf(out, "          - {at: %s, do: stopdt}\n", at);
        } else if (p.format == 'U' && b[2] == IEC104_U_TESTFR_ACT) {
            fprintf(out, "          - {at: %s, do: testfr}\n", at);
        } else {
            capture_count(c, p.format == 'S' ? "client S frames (the bench master acknowledges by itself)"
                                             : "client U confirmations (the bench master confirms by itself)",
                          1);
        }
    }
}

/* A server ACT_CON confirms a command of the client's: the same ASDU with cause act. */
static size_t write_implied_commands(FILE *out, const import_stream *s, int64_t lead, int64_t not_before) {
    size_t n = 0;
    char at[40], hex[800];
    for (size_t pos = 0; pos < s->n;) {
        i104_piece p = i104_next_piece(s->b, s->n, pos);
        pos += p.len;
        i104_dui d;
        if (p.kind != I104_PIECE_APDU || p.format != 'I' || i104_read_dui(s->b + p.at + 6, p.len - 6, &d) < 0 ||
            d.cot != COT_ACT_CON || d.negative || d.type < C_SC_NA_1)
            continue;
        uint8_t asdu[IEC104_ASDU_MAX];
        if (p.len - 6 > sizeof asdu) continue; /* cannot happen: the format caps the length */
        memcpy(asdu, s->b + p.at + 6, p.len - 6);
        asdu[2] = (uint8_t)((asdu[2] & 0x80) | COT_ACT);
        int64_t t = s->t[p.at + p.len - 1] - NS_PER_SEC / 1000;
        at_text(lead + (t < not_before ? not_before : t), at, sizeof at);
        import_hex_text(asdu, p.len - 6, hex, sizeof hex);
        fprintf(out, "          - {at: %s, do: raw, hex: \"%s\"}  # implied by the server's actcon\n", at, hex);
        n++;
    }
    return n;
}

void import_iec104_master(FILE *out, capture *c, int conn, const import_stream *cs, const import_stream *ss,
                          int64_t lead) {
    char at[40];
    int64_t open_t = -1, close_t = -1;
    for (size_t i = 0; i < c->n; i++) {
        const cap_frame *f = &c->frames[i];
        if (f->conn != conn) continue;
        if (open_t < 0) open_t = f->t_ns;
        if (f->event == CAP_CLOSE) close_t = f->t_ns;
    }
    client_view v = look_at_client(cs);
    fprintf(out, "      - name: m%d\n        script:\n", conn + 1);
    at_text(lead + open_t, at, sizeof at);
    fprintf(out, "          - {at: %s, do: connect}\n", at);
    if (!v.startdt_first && (v.apdus > 0 || ss->n > 0)) {
        fprintf(out, "          - {at: %s, do: startdt}  # implied: the capture starts mid-session\n", at);
        capture_note(c, "session %d: the client's first APDU is not STARTDT act (the capture starts mid-session): "
                        "a STARTDT is implied at t=%s", conn + 1, at);
    }
    if (cs->n == 0) {
        size_t n = write_implied_commands(out, ss, lead, open_t);
        capture_note(c, "session %d: no octets from the client (a one-directional capture): the server's "
                        "answers are expected, %zu command(s) implied by its actcon", conn + 1, n);
    }
    write_client_steps(out, c, conn, cs, lead);
    if (close_t >= 0) {
        at_text(lead + close_t, at, sizeof at);
        fprintf(out, "          - {at: %s, do: disconnect}\n", at);
    }
}

static void write_window(FILE *out, int64_t t) {
    char after[40], before[40];
    at_text(t - NS_PER_SEC, after, sizeof after);
    at_text(t + NS_PER_SEC, before, sizeof before);
    fprintf(out, ", after: %s, before: %s}\n", after, before);
}

static void write_object(FILE *out, int conn, const iec104_asdu *a, const iec104_io *io, int64_t t, bool derived) {
    const char *tn = iec104_type_name(a->type), *cot = iec104_cot_name(a->cot);
    fprintf(out, "  - iec104: {master: m%d, type: %s, cot: %s%s, ioa: %u", conn + 1, tn, cot,
            a->negative ? ", negative: true" : "", (unsigned)io->ioa);
    bool normalized = strncmp(tn, "M_ME_NA", 7) == 0 || strncmp(tn, "M_ME_TA", 7) == 0 ||
                      strncmp(tn, "M_ME_TD", 7) == 0 || strncmp(tn, "M_ME_ND", 7) == 0;
    if (normalized) /* the expectation compares the normalised value, -1 .. 1 - 2^-15 */
        fprintf(out, ", value: %.9g, tolerance: 0.0001", (double)io->ival / 32768.0);
    else if (strncmp(tn, "M_ME_NC", 7) == 0 || strncmp(tn, "M_ME_TF", 7) == 0)
        fprintf(out, ", value: %.9g, tolerance: 0.0001", (double)io->fval);
    else if (strncmp(tn, "M_ME_N", 6) == 0 || strncmp(tn, "M_ME_T", 6) == 0 || strncmp(tn, "M_SP", 4) == 0 ||
             strncmp(tn, "M_DP", 4) == 0 || strncmp(tn, "M_IT", 4) == 0)
        fprintf(out, ", value: %d", (int)io->ival);
    /* a derived base's meters are read on their own clock: what the recorded
     * server sent by itself comes at other instants, so at any time */
    bool own = a->cot == COT_SPONTANEOUS || a->cot == COT_PERIODIC || a->cot == COT_BACKGROUND;
    if (derived && own) fputs("}  # at any time (derived base)\n", out);
    else write_window(out, t);
}

/* One server ASDU: its objects expected, or the ASDU by type and cause, or counted. */
static size_t expect_asdu(FILE *out, capture *c, int conn, const uint8_t *asdu, size_t len, int64_t t, bool derived) {
    static iec104_asdu a;
    i104_dui d = {0};
    char what[200];
    if (i104_read_dui(asdu, len, &d) < 0 || !d.size_ok) {
        const char *name = i104_type_name(d.type);
        snprintf(what, sizeof what, "server ASDUs that do not fit their type %u (%s) and object count", d.type,
                 name ? name : "not a type of the standard");
        capture_count(c, what, 1);
        return 0;
    }
    const char *cot = iec104_cot_name(d.cot);
    if (iec104_asdu_decode(asdu, len, &a) == 0 && iec104_type_name(a.type) && cot) {
        for (unsigned k = 0; k < a.n; k++) write_object(out, conn, &a, &a.io[k], t, derived);
        return a.n;
    }
    if (!cot) {
        snprintf(what, sizeof what, "server objects with cause %u (not a cause of the standard)", d.cot);
        capture_count(c, what, d.n);
        return 0;
    }
    if (derived && !d.negative) { /* gwd maps no such type: the derived base cannot serve it */
        const char *name = i104_type_name(d.type);
        snprintf(what, sizeof what, "server objects of type %u (%s): not served by the derived base (gwd maps no "
                 "such type)", d.type, name ? name : "?");
        capture_count(c, what, d.n);
        return 0;
    }
    /* a type the bench cannot decode, or a negative confirmation: the ASDU by type and cause */
    fprintf(out, "  - iec104: {master: m%d, type: %u, cot: %s, negative: %s, ca: %u", conn + 1, d.type, cot,
            d.negative ? "true" : "false", d.ca);
    write_window(out, t);
    const char *name = i104_type_name(d.type);
    snprintf(what, sizeof what, "server objects of type %u (%s), cause %s%s: expected by type and cause only",
             d.type, name ? name : "?", cot, d.negative ? " negative" : "");
    capture_count(c, what, d.n);
    return 0;
}

size_t import_iec104_answers(FILE *out, capture *c, int conn, const import_stream *s, int64_t lead,
                             size_t *asdus, bool derived) {
    size_t n = 0;
    for (size_t pos = 0; pos < s->n;) {
        i104_piece p = i104_next_piece(s->b, s->n, pos);
        pos += p.len;
        if (p.kind != I104_PIECE_APDU) {
            count_junk(c, conn, CAP_FROM_SLAVE, s, &p);
            continue;
        }
        int64_t t = lead + s->t[p.at + p.len - 1];
        if (p.format == 'I') {
            n += expect_asdu(out, c, conn, s->b + p.at + 6, p.len - 6, t, derived);
            (*asdus)++;
        } else {
            capture_count(c, p.format == 'S' ? "server S frames (acknowledgements of the recorded client)"
                                             : "server U frames (confirmations: the bench master checks its own)",
                          1);
        }
    }
    return n;
}

void import_iec104_count_apdus(const import_stream *s, unsigned long *apdus) {
    for (size_t pos = 0; pos < s->n;) {
        i104_piece p = i104_next_piece(s->b, s->n, pos);
        pos += p.len;
        *apdus += p.kind == I104_PIECE_APDU;
    }
}
