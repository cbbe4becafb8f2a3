/* iec104_std: the standard's APCI formats and element sizes (iec104_std.h). */
#include "sim/iec104/iec104_std.h"

#define APCI_START 0x68

char i104_apci_format(const uint8_t *b, size_t len) {
    /* the APDU length is 4..253 (IEC 60870-5-104 5.1): an ASDU of at most 249 octets */
    if (len < 6 || b[0] != APCI_START || b[1] < 4 || b[1] > 253 || (size_t)b[1] + 2 != len) return 0;
    if ((b[2] & 1) == 0) return len > 6 ? 'I' : 0; /* an I frame carries an ASDU */
    if (len != 6) return 0;
    if ((b[2] & 3) == 1) return b[2] == 1 && b[3] == 0 && (b[4] & 1) == 0 ? 'S' : 0;
    if (b[3] || b[4] || b[5]) return 0;
    static const uint8_t functions[] = {0x07, 0x0B, 0x13, 0x23, 0x43, 0x83};
    for (size_t i = 0; i < sizeof functions; i++)
        if (b[2] == functions[i]) return 'U';
    return 0;
}

/* An APDU starts at pos, complete (1), cut off by the end of the stream (2), or not (0). */
static int starts_apdu(const uint8_t *b, size_t n, size_t pos) {
    if (b[pos] != APCI_START) return 0;
    if (pos + 1 >= n) return 2;
    if (b[pos + 1] < 4 || b[pos + 1] > 253) return 0;
    size_t len = (size_t)b[pos + 1] + 2;
    if (pos + len > n) return 2;
    return i104_apci_format(b + pos, len) ? 1 : 0;
}

i104_piece i104_next_piece(const uint8_t *b, size_t n, size_t pos) {
    int s = starts_apdu(b, n, pos);
    if (s == 1) {
        size_t len = (size_t)b[pos + 1] + 2;
        return (i104_piece){I104_PIECE_APDU, pos, len, i104_apci_format(b + pos, len)};
    }
    if (s == 2) return (i104_piece){I104_PIECE_TAIL, pos, n - pos, 0};
    size_t q = pos + 1;
    while (q < n && !starts_apdu(b, n, q)) q++;
    return (i104_piece){I104_PIECE_GARBAGE, pos, q - pos, 0};
}

/* IEC 60870-5-101 7.3 and -104 table 1: information element sizes with time
 * tags (CP24Time2a 3, CP56Time2a 7 octets); 0 where no type is defined. */
static const struct {
    uint8_t type;
    uint8_t size;
    const char *name;
} types[] = {
    {1, 1, "M_SP_NA_1"},   {2, 4, "M_SP_TA_1"},   {3, 1, "M_DP_NA_1"},   {4, 4, "M_DP_TA_1"},
    {5, 2, "M_ST_NA_1"},   {6, 5, "M_ST_TA_1"},   {7, 5, "M_BO_NA_1"},   {8, 8, "M_BO_TA_1"},
    {9, 3, "M_ME_NA_1"},   {10, 6, "M_ME_TA_1"},  {11, 3, "M_ME_NB_1"},  {12, 6, "M_ME_TB_1"},
    {13, 5, "M_ME_NC_1"},  {14, 8, "M_ME_TC_1"},  {15, 5, "M_IT_NA_1"},  {16, 8, "M_IT_TA_1"},
    {17, 6, "M_EP_TA_1"},  {18, 7, "M_EP_TB_1"},  {19, 7, "M_EP_TC_1"},  {20, 5, "M_PS_NA_1"},
    {21, 2, "M_ME_ND_1"},  {30, 8, "M_SP_TB_1"},  {31, 8, "M_DP_TB_1"},  {32, 9, "M_ST_TB_1"},
    {33, 12, "M_BO_TB_1"}, {34, 10, "M_ME_TD_1"}, {35, 10, "M_ME_TE_1"}, {36, 12, "M_ME_TF_1"},
    {37, 12, "M_IT_TB_1"}, {38, 10, "M_EP_TD_1"}, {39, 11, "M_EP_TE_1"}, {40, 11, "M_EP_TF_1"},
    {45, 1, "C_SC_NA_1"},  {46, 1, "C_DC_NA_1"},  {47, 1, "C_RC_NA_1"},  {48, 3, "C_SE_NA_1"},
    {49, 3, "C_SE_NB_1"},  {50, 5, "C_SE_NC_1"},  {51, 4, "C_BO_NA_1"},  {58, 8, "C_SC_TA_1"},
    {59, 8, "C_DC_TA_1"},  {60, 8, "C_RC_TA_1"},  {61, 10, "C_SE_TA_1"}, {62, 10, "C_SE_TB_1"},
    {63, 12, "C_SE_TC_1"}, {64, 11, "C_BO_TA_1"}, {70, 1, "M_EI_NA_1"},  {100, 1, "C_IC_NA_1"},
    {101, 1, "C_CI_NA_1"}, {102, 0, "C_RD_NA_1"}, {103, 7, "C_CS_NA_1"}, {104, 2, "C_TS_NA_1"},
    {105, 1, "C_RP_NA_1"}, {106, 2, "C_CD_NA_1"}, {107, 9, "C_TS_TA_1"}, {110, 3, "P_ME_NA_1"},
    {111, 3, "P_ME_NB_1"}, {112, 5, "P_ME_NC_1"}, {113, 1, "P_AC_NA_1"}, {120, 6, "F_FR_NA_1"},
    {121, 7, "F_SR_NA_1"}, {122, 4, "F_SC_NA_1"}, {123, 5, "F_LS_NA_1"}, {124, 4, "F_AF_NA_1"},
    {126, 13, "F_DR_TA_1"}, {127, 16, "F_SC_NB_1"},
};

static int find(uint8_t type) {
    for (size_t i = 0; i < sizeof types / sizeof *types; i++)
        if (types[i].type == type) return (int)i;
    return -1;
}

int i104_element_size(uint8_t type) {
    int i = find(type);
    return i < 0 ? -1 : types[i].size;
}

const char *i104_type_name(uint8_t type) {
    int i = find(type);
    return i < 0 ? (type == 125 ? "F_SG_NA_1" : NULL) : types[i].name;
}

int i104_read_dui(const uint8_t *a, size_t len, i104_dui *d) {
    if (len < 6) return -1;
    *d = (i104_dui){.type = a[0], .sq = (a[1] & 0x80) != 0, .n = a[1] & 0x7F, .cot = a[2] & 0x3F,
                    .negative = (a[2] & 0x40) != 0, .test = (a[2] & 0x80) != 0, .oa = a[3],
                    .ca = (uint16_t)(a[4] | a[5] << 8)};
    int el = i104_element_size(d->type);
    size_t body = len - 6, need = 0;
    if (el >= 0 && d->n > 0) need = d->sq ? 3 + (size_t)d->n * (size_t)el : (size_t)d->n * (3 + (size_t)el);
    d->size_ok = el >= 0 && d->n > 0 && body == need;
    return 0;
}
