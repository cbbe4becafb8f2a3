/* import_iec104_checks: the protocol checks of a recorded client's session
 * (import.h) — what IEC 60870-5-104 demands of any server, whatever its
 * common addresses, IOAs and values: STARTDT and TESTFR confirmed, every
 * command of cause act confirmed (ACT_CON, positive or negative) with its
 * type, interrogations ended with ACT_TERM, a type the standard does not
 * define refused with cause unknown_type, a command to a common address the
 * base does not have refused with unknown_ca (the station-wide commands may
 * use the broadcast address), a read or command of an IOA the base does not
 * map (for that type) refused with unknown_ioa, and the session kept open (no
 * close by the gateway). Used for a client-only capture and --protocol-only.
 * S-frame acknowledgement within w is the bench master's own check (it
 * counts unacknowledged I frames). */
#include "codec/iec104/iec104.h"
#include "sim/iec104/iec104_std.h"
#include "sim/import/import.h"
#include "sim/import/import_base.h"
#include <string.h>

#define NS_PER_SEC 1000000000LL

static void window(FILE *out, int64_t t, const char *tail) {
    char after[40], before[40];
    import_seconds(t, after, sizeof after);
    import_seconds(t + NS_PER_SEC, before, sizeof before);
    fprintf(out, ", after: %s, before: %s%s}\n", after, before, tail);
}

static size_t negative(FILE *out, int conn, unsigned type, const char *cot, int64_t t) {
    fprintf(out, "  - iec104: {master: m%d, type: %u, cot: %s, negative: true", conn + 1, type, cot);
    window(out, t, ", min: 1");
    return 1;
}

/* The negative cause the standard demands of the base's gateway for this
 * command (NULL: none, a positive or negative actcon may both be right). */
static const char *refusal(const i104_dui *d, const uint8_t *asdu, size_t len, const import_base_iec104 *b) {
    if (!i104_type_name(d->type)) return "unknown_type"; /* the standard has no such type */
    if (d->type == C_RD_NA_1 && d->cot != COT_REQUEST) return "unknown_cot"; /* a read has cause req (5) */
    if (!b || !b->known) return NULL;
    bool station = d->type == C_IC_NA_1 || d->type == C_CI_NA_1 || d->type == C_CS_NA_1 || d->type == 105 /* C_RP_NA_1 */;
    if (d->ca != b->ca && !(station && d->ca == IEC104_CA_BROADCAST)) return "unknown_ca";
    if (station || len < 9) return NULL;
    uint32_t ioa = (uint32_t)asdu[6] | (uint32_t)asdu[7] << 8 | (uint32_t)asdu[8] << 16;
    const char *mapped = import_base_ioa_type(b, ioa);
    if (d->type == C_RD_NA_1) return mapped && mapped[0] == 'M' ? NULL : "unknown_ioa";
    /* a command of a type with time tag (58..64) acts on the point of the type without (45..51) */
    unsigned plain = d->type >= 58 && d->type <= 64 ? d->type - 13u : d->type;
    const char *name = i104_type_name((uint8_t)plain);
    return mapped && name && strcmp(mapped, name) == 0 ? NULL : "unknown_ioa";
}

static size_t check_command(FILE *out, int conn, const uint8_t *asdu, size_t len, int64_t t,
                            const import_base_iec104 *b) {
    i104_dui d;
    if (i104_read_dui(asdu, len, &d) < 0 || d.type < C_SC_NA_1 ||
        (d.cot != COT_ACT && !(d.type == C_RD_NA_1 && d.cot == COT_REQUEST)))
        return 0;
    const char *cause = refusal(&d, asdu, len, b);
    if (cause) return negative(out, conn, d.type, cause, t);
    if (d.type == C_RD_NA_1 && len >= 9) { /* a read is answered by the object, cause req, not an actcon */
        fprintf(out, "  - iec104: {master: m%d, cot: req, ioa: %u", conn + 1,
                (unsigned)asdu[6] | (unsigned)asdu[7] << 8 | (unsigned)asdu[8] << 16);
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
                            int64_t open_t, const import_base_iec104 *base) {
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
        if (p.format == 'I') n += check_command(out, conn, b + 6, p.len - 6, t, base);
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
