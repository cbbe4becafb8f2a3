/* Helpers shared by the M-Bus codec's files; not part of the public API. */
#ifndef MBUS_INTERNAL_H
#define MBUS_INTERNAL_H
#include <stddef.h>
#include <stdint.h>
#include "codec/mbus/mbus_app.h"
#include "codec/mbus/mbus_error.h"

/* Fill *err (when not NULL) with code, offset and "at byte N: <fmt>"; returns code
 * so callers can write `return mbus_fail(...)`. Only called on the error path. */
mbus_err_code mbus_fail(mbus_error *err, mbus_err_code code, size_t offset, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Mark *err (when not NULL) as "no error". */
void mbus_ok(mbus_error *err);

/* 10^exp from a table for the exponents M-Bus uses, pow() beyond it. */
double mbus_pow10(int exp);

/* Meaning of a VIF/VIFE chain, filled by mbus_vif_describe(). */
typedef enum { MBUS_VK_NUMBER, MBUS_VK_TIME_POINT } mbus_vif_kind;

typedef struct mbus_vif_info {
    const char *quantity;
    const char *unit;
    int exp;          /* power of ten from the transmitted integer to the unit */
    double mult;      /* non-decimal factor, e.g. 60 for minutes -> seconds */
    mbus_vif_kind kind;
} mbus_vif_info;

/* Describe the VIF chain of a record (vif[0..n_vif)). */
void mbus_vif_describe(const uint8_t *vif, size_t n_vif, mbus_vif_info *vi);
/* The same without a copy for the common case: a lone primary VIF points into
 * the constant table; any other chain is described into *scratch. */
const mbus_vif_info *mbus_vif_lookup(const uint8_t *vif, size_t n_vif, mbus_vif_info *scratch);

/* Fixed data structure (CI 0x73 / 0x77): 16 bytes after the CI. */
mbus_err_code mbus_fixed_decode(const uint8_t *data, size_t len, bool msb_first, mbus_data *out,
                                mbus_error *err);

/* Write n bytes as upper-case hex, space separated, into out (cap bytes incl.
 * NUL); ends with "..." when it does not fit. */
void mbus_hex(const uint8_t *bytes, size_t n, char *out, size_t cap);

/* Decode BCD digits (n bytes, LSB first). A high nibble 0xF in the most
 * significant byte marks a negative number. */
int64_t mbus_bcd_decode(const uint8_t *bytes, size_t n);
/* The first nibble of n BCD bytes that is not a decimal digit, counted from
 * 0 = the low nibble of the first byte sent (the least significant digit);
 * -1 when all are digits. A most significant nibble 0xF is the minus sign,
 * not an error. *digit gets the bad nibble's value. */
int mbus_bcd_bad_nibble(const uint8_t *bytes, size_t n, unsigned *digit);
/* Mark r as invalid BCD: no value, r->invalid, the reason in r->text. */
void mbus_set_invalid_bcd(mbus_record *r, unsigned digit, int nibble);
/* Little-endian two's complement integer of n (1..8) bytes. */
int64_t mbus_int_decode(const uint8_t *bytes, size_t n);
/* Format a time point of 2 (type G date), 3 (type J time), 4 (type F
 * date-time) or 6 (type I date-time with seconds) bytes; false for other n. */
bool mbus_time_point_text(const uint8_t *bytes, size_t n, char *out, size_t cap);

/* Compact profiles (mbus_profile.c): the profile VIFE of a VIF chain (0x13,
 * 0x1E, 0x1F) or 0; and the expansion of a profile record (its data = the
 * LVAR bytes) into one record per value, appended to out. */
unsigned mbus_profile_vife(const uint8_t *vif, size_t n_vif);
mbus_err_code mbus_profile_expand(const mbus_record *proto, mbus_data *out, mbus_error *err);

/* Decode the variable data records of data[pos..len) into out. */
mbus_err_code mbus_records_decode(const uint8_t *data, size_t len, size_t pos, mbus_data *out,
                                  mbus_error *err);
#endif
