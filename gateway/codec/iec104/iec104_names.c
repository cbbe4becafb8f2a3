/* iec104_names: type identifications and causes of transmission by name,
 * and a one-line description of an ASDU for logs and traces. */
#include "codec/iec104/iec104.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct { uint8_t type; const char *name; } type_names[] = {
    {M_SP_NA_1, "M_SP_NA_1"}, {M_DP_NA_1, "M_DP_NA_1"}, {M_ME_NA_1, "M_ME_NA_1"},
    {M_ME_NB_1, "M_ME_NB_1"}, {M_ME_NC_1, "M_ME_NC_1"}, {M_IT_NA_1, "M_IT_NA_1"},
    {M_SP_TB_1, "M_SP_TB_1"}, {M_DP_TB_1, "M_DP_TB_1"}, {M_ME_TD_1, "M_ME_TD_1"},
    {M_ME_TE_1, "M_ME_TE_1"}, {M_ME_TF_1, "M_ME_TF_1"}, {M_IT_TB_1, "M_IT_TB_1"},
    {C_SC_NA_1, "C_SC_NA_1"}, {C_DC_NA_1, "C_DC_NA_1"}, {C_SC_TA_1, "C_SC_TA_1"},
    {C_DC_TA_1, "C_DC_TA_1"}, {M_EI_NA_1, "M_EI_NA_1"}, {C_IC_NA_1, "C_IC_NA_1"},
    {C_CI_NA_1, "C_CI_NA_1"}, {C_RD_NA_1, "C_RD_NA_1"}, {C_CS_NA_1, "C_CS_NA_1"},
};
#define N_TYPES (sizeof type_names / sizeof type_names[0])

const char *iec104_type_name(uint8_t type) {
    for (size_t i = 0; i < N_TYPES; i++)
        if (type_names[i].type == type)
            return type_names[i].name;
    return NULL;
}

int iec104_type_parse(const char *name) {
    for (size_t i = 0; i < N_TYPES; i++)
        if (strcmp(type_names[i].name, name) == 0)
            return type_names[i].type;
    return -1;
}

static const char *const cot_names[64] = {
    [COT_PERIODIC] = "per", [COT_BACKGROUND] = "back", [COT_SPONTANEOUS] = "spont",
    [COT_INIT] = "init", [COT_REQUEST] = "req", [COT_ACT] = "act", [COT_ACT_CON] = "actcon",
    [COT_DEACT] = "deact", [COT_DEACT_CON] = "deactcon", [COT_ACT_TERM] = "actterm",
    [COT_INROGEN] = "inrogen", [COT_REQCOGEN] = "reqcogen",
    [COT_UNKNOWN_TYPE] = "unknown_type", [COT_UNKNOWN_COT] = "unknown_cot",
    [COT_UNKNOWN_CA] = "unknown_ca", [COT_UNKNOWN_IOA] = "unknown_ioa",
};

const char *iec104_cot_name(uint8_t cot) {
    static const char *const groups[16] = {
        "inro1", "inro2", "inro3", "inro4", "inro5", "inro6", "inro7", "inro8",
        "inro9", "inro10", "inro11", "inro12", "inro13", "inro14", "inro15", "inro16"};
    static const char *const counters[4] = {"reqco1", "reqco2", "reqco3", "reqco4"};
    if (cot >= 21 && cot <= 36)
        return groups[cot - 21];
    if (cot >= 38 && cot <= 41)
        return counters[cot - 38];
    return cot < 64 ? cot_names[cot] : NULL;
}

int iec104_cot_parse(const char *name) {
    char *end;
    long n = strtol(name, &end, 10);
    if (*name && *end == '\0')
        return n >= 1 && n <= 63 ? (int)n : -1;
    for (int c = 1; c < 64; c++) {
        const char *s = iec104_cot_name((uint8_t)c);
        if (s && strcmp(s, name) == 0)
            return c;
    }
    return -1;
}

static size_t describe_io(const iec104_asdu *a, const iec104_io *io, char *out, size_t cap) {
    int n = 0;
    switch (a->type) {
    case M_ME_NC_1:
    case M_ME_TF_1: n = snprintf(out, cap, " ioa=%u %.9g q=%02X", io->ioa, io->fval, io->q); break;
    case M_IT_NA_1:
    case M_IT_TB_1:
        n = snprintf(out, cap, " ioa=%u %d sq=%u q=%02X", io->ioa, io->ival, io->bcr_seq, io->q);
        break;
    case C_SC_NA_1:
    case C_DC_NA_1:
    case C_SC_TA_1:
    case C_DC_TA_1:
        n = snprintf(out, cap, " ioa=%u %d %s qu=%u", io->ioa, io->ival,
                     io->q & IEC104_CMD_SELECT ? "select" : "execute", (io->q >> 2) & 0x1F);
        break;
    case C_RD_NA_1:
    case C_CS_NA_1: n = snprintf(out, cap, " ioa=%u", io->ioa); break;
    case M_EI_NA_1:
    case C_IC_NA_1:
    case C_CI_NA_1: n = snprintf(out, cap, " ioa=%u qualifier=%d", io->ioa, io->ival); break;
    default: n = snprintf(out, cap, " ioa=%u %d q=%02X", io->ioa, io->ival, io->q); break;
    }
    if (n > 0 && (size_t)n + 1 < cap && iec104_type_has_time(a->type)) {
        const iec104_cp56 *t = &io->t;
        int m = snprintf(out + n, cap - (size_t)n, " t=20%02u-%02u-%02uT%02u:%02u:%02u.%03u%s",
                         t->year, t->month, t->mday, t->hour, t->min, t->ms / 1000, t->ms % 1000,
                         t->iv ? " IV" : "");
        if (m > 0)
            n = (size_t)(n + m) < cap ? n + m : (int)cap - 1;
    }
    if (n <= 0)
        return 0;
    return (size_t)n < cap ? (size_t)n : cap - 1;
}

void iec104_asdu_describe(const iec104_asdu *a, char *out, size_t cap) {
    const char *type = iec104_type_name(a->type);
    const char *cot = iec104_cot_name(a->cot);
    char tbuf[16], cbuf[16];
    if (!type) {
        snprintf(tbuf, sizeof tbuf, "type%u", a->type);
        type = tbuf;
    }
    if (!cot) {
        snprintf(cbuf, sizeof cbuf, "cot%u", a->cot);
        cot = cbuf;
    }
    int n = snprintf(out, cap, "%s %s%s%s ca=%u", type, cot, a->negative ? " neg" : "",
                     a->test ? " test" : "", a->ca);
    size_t used = n > 0 ? (size_t)n : 0;
    for (unsigned k = 0; k < a->n && used + 1 < cap && iec104_type_known(a->type); k++) {
        if (k == 4 && a->n > 5) {
            snprintf(out + used, cap - used, " ... (%u objects)", a->n);
            return;
        }
        used += describe_io(a, &a->io[k], out + used, cap - used);
    }
}
