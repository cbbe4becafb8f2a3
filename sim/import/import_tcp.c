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
#include "codec/iec104/iec104.h"
#include "sim/iec104/iec104_std.h"
#include "sim/import/import.h"
#include "sim/import/import_base.h"
#include "sim/import/import_derive.h"

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
    for (size_t i = 0; i < c->n; i++) { /* the first payload, either side's */
        const cap_frame *f = &c->frames[i];
        if (f->event == CAP_DATA && f->len >= 2)
            return f->bytes[0] == 0x68 && f->bytes[1] >= 4 && (size_t)f->bytes[1] + 2 <= f->len;
    }
    return false;
}

/* How much of the capture the base does not serve: server ASDUs (monitor
 * direction) whose common address is another than the base's, or whose
 * first IOA the base does not map. */
typedef struct base_mismatch {
    size_t asdus, other_ca, unknown_ioa;
    unsigned ca; /* the first other CA seen */
    uint32_t ioa; /* the first unknown IOA seen */
} base_mismatch;

static void look_for_mismatch(const import_base_iec104 *b, const stream *ss, base_mismatch *m) {
    for (size_t pos = 0; pos < ss->n;) {
        i104_piece p = i104_next_piece(ss->b, ss->n, pos);
        pos += p.len;
        i104_dui d;
        if (p.kind != I104_PIECE_APDU || p.format != 'I' || p.len < 6 + 9 ||
            i104_read_dui(ss->b + p.at + 6, p.len - 6, &d) < 0 || d.type >= C_SC_NA_1 || d.negative)
            continue;
        const uint8_t *a = ss->b + p.at + 6;
        uint32_t ioa = (uint32_t)a[6] | (uint32_t)a[7] << 8 | (uint32_t)a[8] << 16;
        m->asdus++;
        if (d.ca != b->ca && m->other_ca++ == 0) m->ca = d.ca;
        if (!import_base_ioa_type(b, ioa) && m->unknown_ioa++ == 0) m->ioa = ioa;
    }
}

/* --protocol-only by itself, with a NOTE, when the capture's server has
 * other common addresses or IOAs than the base: its values cannot be
 * compared with what gwd serves, its protocol can. */
static bool choose_protocol_only(capture *c, const import_opts *o, const import_base_iec104 *b, const stream *s) {
    if (o->protocol_only) return true;
    if (!b->known || o->values) return false;
    base_mismatch m = {0};
    for (unsigned k = 0; k < c->n_conns; k++) look_for_mismatch(b, &s[2 * k + CAP_FROM_SLAVE], &m);
    if (m.other_ca == 0 && m.unknown_ioa == 0) return false;
    capture_note(c, "the capture's server is not the --base's: of its %zu monitor ASDUs %zu have another common "
                    "address (first %u; the base's is %u) and %zu an IOA the base does not map (first %u): imported "
                    "--protocol-only (the recorded client's requests, checked by protocol, not by value)",
                 m.asdus, m.other_ca, m.ca, b->ca, m.unknown_ioa, m.ioa);
    return true;
}

/* The IEC 104 sessions: masters, and the objects they are expected to get
 * (or, for a client-only session and --protocol-only, the protocol checks). */
static size_t write_iec104(FILE *m, FILE *e, import_opts *o, capture *c, const stream *s, int64_t lead) {
    size_t expected = 0, asdus = 0;
    static import_base_iec104 base; /* large; one import per process */
    import_base_read_iec104(o->base_path, &base);
    o->protocol_only = choose_protocol_only(c, o, &base, s);
    unsigned long from[2] = {0, 0};
    for (unsigned k = 0; k < c->n_conns; k++) {
        const stream *cs = &s[2 * k + CAP_TO_SLAVE], *ss = &s[2 * k + CAP_FROM_SLAVE];
        import_iec104_master(m, c, (int)k, cs, ss, lead);
        if (o->protocol_only || ss->n == 0) {
            if (ss->n == 0)
                capture_note(c, "session %u: no octets from the server (a client-only capture): checked by "
                                "protocol only (confirmations, ACT_TERM, no close)", k + 1);
            bool implied = cs->n > 0 && (cs->b[0] != 0x68 || cs->n < 3 || cs->b[2] != IEC104_U_STARTDT_ACT);
            int64_t open_t = -1;
            for (size_t i = 0; i < c->n && open_t < 0; i++)
                if (c->frames[i].conn == (int)k) open_t = c->frames[i].t_ns;
            expected += import_iec104_checks(e, (int)k, cs, lead, implied, open_t, &base);
            if (o->protocol_only) { /* the server's frames are counted, not expected */
                FILE *null = fopen("/dev/null", "w");
                size_t objects = null ? import_iec104_answers(null, c, (int)k, ss, lead, &asdus, false) : 0;
                if (null) fclose(null);
                capture_count(c, "server objects not compared (--protocol-only)", objects);
            }
        } else {
            expected += import_iec104_answers(e, c, (int)k, ss, lead, &asdus, o->derive_base);
        }
        import_iec104_count_apdus(cs, &from[0]);
        import_iec104_count_apdus(ss, &from[1]);
    }
    c->units = from[0] + from[1];
    snprintf(c->unit, sizeof c->unit, "APDUs");
    snprintf(c->unit_detail, sizeof c->unit_detail, "%lu from the client(s), %lu from the server(s), %zu I frames with ASDUs from the server(s)",
             from[0], from[1], asdus);
    return expected;
}

static void write_header(FILE *out, const import_opts *o, const capture *c, bool iec104, size_t expected,
                         size_t timeouts, const char *dur) {
    if (iec104 && o->protocol_only)
        fprintf(out, "# IEC 104: %u session(s) to port %u replayed by bench masters (duration %s);\n"
                     "# --protocol-only: %zu protocol checks (confirmations, ACT_TERM, no close), no values.\n",
                c->n_conns, c->server_port, dur, expected);
    else if (iec104)
        fprintf(out, "# IEC 104: %u session(s) to port %u replayed by bench masters (duration %s); %zu\n"
                     "# expectations: the information objects the recorded server sent (within 1 s), the\n"
                     "# ASDUs of types the bench cannot decode by type and cause, and the protocol checks\n"
                     "# of client-only sessions; what is not expected is counted below.\n",
                c->n_conns, c->server_port, dur, expected);
    else if (o->protocol_only)
        fprintf(out, "# Modbus TCP: %u session(s) to port %u replayed by bench masters (duration %s);\n"
                     "# --protocol-only: %zu protocol checks (exception codes the protocol demands of the\n"
                     "# base's server, an answer where it maps the registers), no values.\n",
                c->n_conns, c->server_port, dur, expected);
    else
        fprintf(out, "# Modbus TCP: %u session(s) to port %u replayed by bench masters (duration %s), one\n"
                     "# master per session, every request at its recorded time; the %zu answers the\n"
                     "# recorded server gave are expected: register and bit values as recorded (they are\n"
                     "# the gateway's data: the base's plant must be in that state at --at), exception\n"
                     "# codes as recorded, other functions an answer (not an exception); the %zu requests\n"
                     "# it left unanswered are expected to time out.\n",
                c->n_conns, c->server_port, dur, expected - timeouts, timeouts);
    fprintf(out, "# Plant and gateway: %s.\n", o->base_path);
    char title[PATH_MAX + 64];
    snprintf(title, sizeof title, "replay of %s (%u %s sessions, %zu %s)", o->capture_path, c->n_conns,
             iec104 ? "IEC 104" : "Modbus TCP", expected,
             o->protocol_only ? "protocol checks" : iec104 ? "expectations" : "answers");
    fputs("name: ", out);
    import_yaml_string(out, title);
    fprintf(out, "\nduration: %s\n", dur);
}

int import_write_tcp(const import_opts *opts, capture *c, FILE *out, char *err, size_t errlen) {
    import_opts mine = *opts, *o = &mine; /* --protocol-only may be chosen on the way */
    if (!o->base_path && !o->derive_base) {
        snprintf(err, errlen, "a pcap import needs --base SCENARIO (the plant and gateway the capture was made "
                              "against) or --derive-base");
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
    size_t expected = 0, timeouts = 0;
    int64_t last = c->n ? c->frames[c->n - 1].t_ns : 0;
    if (rc == 0 && (!b || !m || !e)) rc = -1;
    static char derived[PATH_MAX + 16];
    if (rc == 0 && o->derive_base) {
        rc = import_derive_base(o, c, s, iec104, derived, sizeof derived, err, errlen);
        o->base_path = derived;
        o->values = true; /* the base serves the capture's addresses: compare the values */
    }
    if (rc == 0) rc = copy_base(b, o->base_path, !iec104, err, errlen);
    if (rc >= 0 && m && e)
        expected = iec104 ? write_iec104(m, e, o, c, s, o->at_ns)
                          : import_modbus_sessions(m, e, c, s, o->at_ns, &last, &timeouts, o);
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
        write_header(out, o, c, iec104, expected, timeouts, dur);
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
