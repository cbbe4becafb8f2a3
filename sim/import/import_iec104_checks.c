/* import_iec104_checks: the protocol checks of a recorded client's session
 * (import.h) — what IEC 60870-5-104 demands of any server, whatever its
 * common addresses, IOAs and values: STARTDT and TESTFR confirmed, every
 * command of cause act confirmed (ACT_CON, positive or negative) with its
 * type, interrogations ended with ACT_TERM, a type the standard does not
 * define refused with cause unknown_type, and the session kept open (no
 * close by the gateway). Used for a client-only capture and --protocol-only.
 * S-frame acknowledgement within w is the bench master's own check (it
 * counts unacknowledged I frames). */
#include "codec/iec104/iec104.h"
#include "sim/iec104/iec104_std.h"
#include "sim/import/import.h"

#define NS_PER_SEC 1000000000LL

static void window(FILE *out, int64_t t, const char *tail) {
    char after[40], before[40];
    import_seconds(t, after, sizeof after);
    import_seconds(t + NS_PER_SEC, before, sizeof before);
    fprintf(out, ", after: %s, before: %s%s}\n", after, before, tail);
}

static size_t check_command(FILE *out, int conn, const uint8_t *asdu, size_t len, int64_t t) {
    i104_dui d;
    if (i104_read_dui(asdu, len, &d) < 0 || d.cot != COT_ACT || d.type < C_SC_NA_1) return 0;
    if (!i104_type_name(d.type)) { /* the standard has no such type: refused as unknown */
        fprintf(out, "  - iec104: {master: m%d, type: %u, cot: unknown_type, negative: true", conn + 1, d.type);
        window(out, t, ", min: 1");
        return 1;
    }
    fprintf(out, "  - iec104: {master: m%d, type: %u, cot: actcon", conn + 1, d.type);
    window(out, t, ", min: 1");
    if (d.type != C_IC_NA_1 && d.type != C_CI_NA_1) return 1;
    fprintf(out, "  - iec104: {master: m%d, type: %u, cot: actterm", conn + 1, d.type);
    window(out, t, ", min: 1");
    return 2;
}

size_t import_iec104_checks(FILE *out, int conn, const import_stream *cs, int64_t lead, bool implied_startdt,
                            int64_t open_t) {
    size_t n = 0;
    if (implied_startdt) {
        fprintf(out, "  - iec104: {master: m%d, frame: STARTDT_CON", conn + 1);
        window(out, lead + open_t, "");
        n++;
    }
    for (size_t pos = 0; pos < cs->n;) {
        i104_piece p = i104_next_piece(cs->b, cs->n, pos);
        pos += p.len;
        if (p.kind != I104_PIECE_APDU) continue; /* counted by the master's steps */
        const uint8_t *b = cs->b + p.at;
        int64_t t = lead + cs->t[p.at + p.len - 1];
        if (p.format == 'I') n += check_command(out, conn, b + 6, p.len - 6, t);
        else if (p.format == 'U' && (b[2] == IEC104_U_STARTDT_ACT || b[2] == IEC104_U_TESTFR_ACT)) {
            fprintf(out, "  - iec104: {master: m%d, frame: %s", conn + 1,
                    b[2] == IEC104_U_STARTDT_ACT ? "STARTDT_CON" : "TESTFR_CON");
            window(out, t, "");
            n++;
        }
    }
    fprintf(out, "  - iec104: {master: m%d, frame: closed, count: 0}  # the gateway keeps the session\n", conn + 1);
    return n + 1;
}
