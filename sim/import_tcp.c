/* import_tcp: an IEC 104 capture (pcap/pcapng, import_pcap.c) → a replay
 * scenario (import.h). The master side of every session becomes a scripted
 * bench master (`plant: iec104:`) doing what the recorded client did at its
 * recorded times (connect, STARTDT/STOPDT/TESTFR, every I frame's ASDU as a
 * raw step, disconnect); the recorded server's I frames become expectations
 * (type, cause, IOA, value, within a second of the recorded instant). The
 * plant and gateway come from --base SCENARIO, the scenario the capture's
 * gateway configuration matches. Modbus TCP: import_modbus.c writes the
 * masters and expectations into the same frame. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include "iec104.h"
#include "import.h"

typedef import_stream stream;

static int stream_add(stream *s, const uint8_t *b, size_t n, int64_t t) {
    if (s->n + n > s->cap) {
        size_t cap = (s->n + n) * 2 + 256;
        uint8_t *nb = realloc(s->b, cap);
        if (!nb) return -1;
        s->b = nb;
        int64_t *nt = realloc(s->t, cap * sizeof *nt);
        if (!nt) return -1;
        s->t = nt;
        s->cap = cap;
    }
    memcpy(s->b + s->n, b, n);
    for (size_t i = 0; i < n; i++) s->t[s->n + i] = t;
    s->n += n;
    return 0;
}

void import_hex_text(const uint8_t *b, size_t n, char *out, size_t cap) {
    size_t o = 0;
    for (size_t i = 0; i < n && o + 4 < cap; i++) o += (size_t)snprintf(out + o, cap - o, i ? " %02X" : "%02X", b[i]);
    if (n == 0) out[0] = '\0';
}

static void at_text(int64_t ns, char *out, size_t cap) {
    import_seconds(ns < 0 ? 0 : ns, out, cap);
}

/* The client's APDUs of one session as script steps. */
static void write_master(FILE *out, const capture *c, int conn, const stream *s, int64_t lead) {
    char at[40], hex[800];
    int64_t open_t = -1, close_t = -1;
    for (size_t i = 0; i < c->n; i++) {
        const cap_frame *f = &c->frames[i];
        if (f->conn != conn) continue;
        if (open_t < 0) open_t = f->t_ns;
        if (f->event == CAP_CLOSE) close_t = f->t_ns;
    }
    fprintf(out, "      - name: m%d\n        script:\n", conn + 1);
    at_text(lead + open_t, at, sizeof at);
    fprintf(out, "          - {at: %s, do: connect}\n", at);
    for (size_t pos = 0; pos < s->n;) {
        iec104_apdu a;
        int need = iec104_apdu_needed(s->b + pos, s->n - pos);
        if (need <= 0 || (size_t)need > s->n - pos || iec104_apdu_parse(s->b + pos, (size_t)need, &a) < 0) break;
        at_text(lead + s->t[pos + (size_t)need - 1], at, sizeof at);
        if (a.kind == IEC104_FRAME_I) {
            import_hex_text(a.asdu, a.asdu_len, hex, sizeof hex);
            fprintf(out, "          - {at: %s, do: raw, hex: \"%s\"}\n", at, hex);
        } else if (a.kind == IEC104_FRAME_U && a.u == IEC104_U_STARTDT_ACT) {
            fprintf(out, "          - {at: %s, do: startdt}\n", at);
        } else if (a.kind == IEC104_FRAME_U && a.u == IEC104_U_STOPDT_ACT) {
            fprintf(out, "          - {at: %s, do: stopdt}\n", at);
        } else if (a.kind == IEC104_FRAME_U && a.u == IEC104_U_TESTFR_ACT) {
            fprintf(out, "          - {at: %s, do: testfr}\n", at);
        } /* S frames and TESTFR con: the bench master sends its own */
        pos += (size_t)need;
    }
    if (close_t >= 0) {
        at_text(lead + close_t, at, sizeof at);
        fprintf(out, "          - {at: %s, do: disconnect}\n", at);
    }
}

static void write_object(FILE *out, int conn, const iec104_asdu *a, const iec104_io *io, int64_t t) {
    const char *type = iec104_type_name(a->type), *cot = iec104_cot_name(a->cot);
    char after[40], before[40];
    at_text(t - 1000000000LL, after, sizeof after);
    at_text(t + 1000000000LL, before, sizeof before);
    fprintf(out, "  - iec104: {master: m%d, type: %s, cot: %s, ioa: %u", conn + 1, type ? type : "?",
            cot ? cot : "?", (unsigned)io->ioa);
    const char *tn = type ? type : "";
    bool normalized = strncmp(tn, "M_ME_NA", 7) == 0 || strncmp(tn, "M_ME_TA", 7) == 0 ||
                      strncmp(tn, "M_ME_TD", 7) == 0 || strncmp(tn, "M_ME_ND", 7) == 0;
    if (normalized) /* the expectation compares the normalised value, -1 .. 1 - 2^-15 */
        fprintf(out, ", value: %.9g, tolerance: 0.0001", (double)io->ival / 32768.0);
    else if (strncmp(tn, "M_ME_NC", 7) == 0 || strncmp(tn, "M_ME_TF", 7) == 0)
        fprintf(out, ", value: %.9g, tolerance: 0.0001", (double)io->fval);
    else if (strncmp(tn, "M_ME_N", 6) == 0 || strncmp(tn, "M_ME_T", 6) == 0 || strncmp(tn, "M_SP", 4) == 0 ||
             strncmp(tn, "M_DP", 4) == 0 || strncmp(tn, "M_IT", 4) == 0)
        fprintf(out, ", value: %d", (int)io->ival);
    fprintf(out, ", after: %s, before: %s}\n", after, before);
}

/* The server's I frames of one session as expectations. */
static size_t write_answers(FILE *out, int conn, const stream *s, int64_t lead) {
    size_t n = 0;
    for (size_t pos = 0; pos < s->n;) {
        iec104_apdu a;
        iec104_asdu asdu;
        int need = iec104_apdu_needed(s->b + pos, s->n - pos);
        if (need <= 0 || (size_t)need > s->n - pos || iec104_apdu_parse(s->b + pos, (size_t)need, &a) < 0) break;
        if (a.kind == IEC104_FRAME_I && iec104_asdu_decode(a.asdu, a.asdu_len, &asdu) == 0)
            for (unsigned k = 0; k < asdu.n; k++, n++)
                write_object(out, conn, &asdu, &asdu.io[k], lead + s->t[pos + (size_t)need - 1]);
        pos += (size_t)need;
    }
    return n;
}

/* Top-level blocks of the base scenario other than these are copied. */
static bool skipped_key(const char *line) {
    static const char *const own[] = {"name:", "duration:", "expect:", "stop_after_cycles:", NULL};
    for (size_t i = 0; own[i]; i++)
        if (strncmp(line, own[i], strlen(own[i])) == 0) return true;
    return false;
}

/* Copy the base's plant (without its iec104 masters, or the masters of its
 * plant: modbus:) and gateway; the replayed masters go into the plant, where
 * the marker __MASTERS__ is. */
static int copy_base(FILE *out, const char *base, bool modbus, char *err, size_t errlen) {
    FILE *f = fopen(base, "r");
    if (!f) {
        snprintf(err, errlen, "cannot read the base scenario %s", base);
        return -1;
    }
    char line[4096];
    bool skip = false, skip_sub = false, in_plant = false, in_modbus = false, skip_masters = false;
    bool has_plant = false, placed = false;
    while (fgets(line, sizeof line, f)) {
        bool top = line[0] != ' ' && line[0] != '\n' && line[0] != '#';
        bool sub = line[0] == ' ' && line[1] == ' ' && line[2] != ' ' && line[2] != '\n';
        bool subsub = strncmp(line, "    ", 4) == 0 && line[4] != ' ' && line[4] != '\n';
        if (top) {
            skip = skipped_key(line);
            in_plant = strncmp(line, "plant:", 6) == 0;
            skip_sub = in_modbus = skip_masters = false;
        } else if (in_plant && sub) {
            skip_sub = !modbus && strncmp(line + 2, "iec104:", 7) == 0;
            in_modbus = modbus && strncmp(line + 2, "modbus:", 7) == 0;
            skip_masters = false;
            if (in_modbus && strcmp(line + 2, "modbus:\n") != 0) {
                snprintf(err, errlen, "%s: write plant: modbus: as a block (one key a line) to import into it", base);
                fclose(f);
                return -1;
            }
        } else if (in_modbus && subsub) {
            skip_masters = strncmp(line + 4, "masters:", 8) == 0;
        }
        if (skip || skip_sub || skip_masters || line[0] == '#') continue;
        fputs(line, out);
        if (in_plant && strncmp(line, "plant:", 6) == 0) {
            has_plant = true;
            if (!modbus) fputs("  iec104:\n    masters:\n      __MASTERS__\n", out), placed = true;
        }
        if (in_modbus && sub) fputs("    masters:\n      __MASTERS__\n", out), placed = true;
    }
    fclose(f);
    if (!has_plant) {
        snprintf(err, errlen, "%s has no plant: section", base);
        return -1;
    }
    return placed ? 0 : 1; /* 1: no plant: modbus: yet, the caller adds one */
}

/* The base without a plant: modbus: gets one right after plant:. */
static char *add_modbus_block(char *body) {
    char *at = strncmp(body, "plant:\n", 7) == 0 ? body : strstr(body, "\nplant:\n");
    if (!at) return body;
    at += at == body ? 7 : 8;
    static const char block[] = "  modbus:\n    masters:\n      __MASTERS__\n";
    size_t head = (size_t)(at - body), rest = strlen(at);
    char *out = malloc(head + sizeof block + rest);
    if (!out) return body;
    memcpy(out, body, head);
    memcpy(out + head, block, sizeof block - 1);
    memcpy(out + head + sizeof block - 1, at, rest + 1);
    free(body);
    return out;
}

/* Port 2404 is IEC 104 and 502 Modbus; another port (--port) is told by the
 * client's first bytes: an IEC 104 APDU starts with 0x68 and its length. */
static bool is_iec104(const capture *c) {
    if (c->server_port == 2404 || c->server_port == 502) return c->server_port == 2404;
    for (size_t i = 0; i < c->n; i++) {
        const cap_frame *f = &c->frames[i];
        if (f->event == CAP_DATA && f->dir == CAP_TO_SLAVE && f->len >= 2)
            return f->bytes[0] == 0x68 && f->bytes[1] >= 4 && (size_t)f->bytes[1] + 2 <= f->len;
    }
    return false;
}

/* The IEC 104 sessions: masters and the objects they are expected to get. */
static size_t write_iec104(FILE *m, FILE *e, const capture *c, const stream *s, int64_t lead) {
    size_t objects = 0;
    for (unsigned k = 0; k < c->n_conns; k++) {
        write_master(m, c, (int)k, &s[2 * k + CAP_TO_SLAVE], lead);
        objects += write_answers(e, (int)k, &s[2 * k + CAP_FROM_SLAVE], lead);
    }
    return objects;
}

static void write_header(FILE *out, const import_opts *o, const capture *c, bool iec104, size_t expected,
                         const char *dur) {
    if (iec104)
        fprintf(out, "# IEC 104: %u session(s) to port %u replayed by bench masters (duration %s); the %zu\n"
                     "# information objects the recorded server sent are expected, within 1 s.\n",
                c->n_conns, c->server_port, dur, expected);
    else
        fprintf(out, "# Modbus TCP: %u session(s) to port %u replayed by bench masters (duration %s), one\n"
                     "# master per session, every request at its recorded time; the %zu answers the\n"
                     "# recorded server gave are expected: register and bit values as recorded (they are\n"
                     "# the gateway's data: the base's plant must be in that state at --at), exception\n"
                     "# codes as recorded, other functions an answer (not an exception), silence a timeout.\n",
                c->n_conns, c->server_port, dur, expected);
    fprintf(out, "# Plant and gateway: %s.\n", o->base_path);
    char title[PATH_MAX + 64];
    snprintf(title, sizeof title, "replay of %s (%u %s sessions, %zu %s)", o->capture_path, c->n_conns,
             iec104 ? "IEC 104" : "Modbus TCP", expected, iec104 ? "objects" : "answers");
    fputs("name: ", out);
    import_yaml_string(out, title);
    fprintf(out, "\nduration: %s\n", dur);
}

int import_write_tcp(const import_opts *o, const capture *c, FILE *out, char *err, size_t errlen) {
    if (!o->base_path) {
        snprintf(err, errlen, "a pcap import needs --base SCENARIO: the plant and gateway the capture was made against");
        return -1;
    }
    bool iec104 = is_iec104(c);
    stream *s = calloc(2 * (c->n_conns ? c->n_conns : 1), sizeof *s);
    if (!s) return -1;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < c->n; i++) {
        const cap_frame *f = &c->frames[i];
        if (f->event == CAP_DATA && f->len) rc = stream_add(&s[2 * f->conn + f->dir], f->bytes, f->len, f->t_ns);
    }
    /* the scenario text is built in memory: the masters go inside the base's plant */
    char *body = NULL, *masters = NULL, *answers = NULL;
    size_t body_len = 0, masters_len = 0, answers_len = 0;
    FILE *b = open_memstream(&body, &body_len), *m = open_memstream(&masters, &masters_len),
         *e = open_memstream(&answers, &answers_len);
    size_t expected = 0;
    int64_t last = c->n ? c->frames[c->n - 1].t_ns : 0;
    if (rc == 0 && (!b || !m || !e)) rc = -1;
    if (rc == 0) rc = copy_base(b, o->base_path, !iec104, err, errlen);
    if (rc >= 0 && m && e)
        expected = iec104 ? write_iec104(m, e, c, s, o->at_ns)
                          : import_modbus_sessions(m, e, c, s, o->at_ns, &last);
    if (b) fclose(b);
    if (m) fclose(m);
    if (e) fclose(e);
    if (rc == 1) body = add_modbus_block(body), rc = 0;
    char *mark = rc == 0 && body ? strstr(body, "      __MASTERS__\n") : NULL;
    if (rc == 0 && !mark) {
        snprintf(err, errlen, "out of memory");
        rc = -1;
    }
    if (rc == 0) {
        char dur[40];
        import_seconds(o->at_ns + last + 2 * 1000000000LL, dur, sizeof dur);
        write_header(out, o, c, iec104, expected, dur);
        fwrite(body, 1, (size_t)(mark - body), out);
        fputs(masters, out);
        fputs(mark + strlen("      __MASTERS__\n"), out);
        fputs("expect:\n", out);
        fputs(answers, out);
    }
    free(body);
    free(masters);
    free(answers);
    for (unsigned k = 0; k < 2 * (c->n_conns ? c->n_conns : 1); k++) {
        free(s[k].b);
        free(s[k].t);
    }
    free(s);
    return rc;
}
