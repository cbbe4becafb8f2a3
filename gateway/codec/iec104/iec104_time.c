/* iec104_time: CP56Time2a (IEC 60870-5-4 6.8), seven octets:
 * ms within the minute (2), minute + IV, hour + SU, day of month + day of
 * week, month, year within the century. The gateway sends UTC, SU = 0. */
#include "codec/iec104/iec104.h"

void iec104_cp56_encode(const iec104_cp56 *t, uint8_t out[7]) {
    out[0] = (uint8_t)t->ms;
    out[1] = (uint8_t)(t->ms >> 8);
    out[2] = (uint8_t)((t->min & 0x3F) | (t->iv ? 0x80 : 0));
    out[3] = (uint8_t)((t->hour & 0x1F) | (t->su ? 0x80 : 0));
    out[4] = (uint8_t)((t->mday & 0x1F) | (t->wday & 7) << 5);
    out[5] = t->month & 0x0F;
    out[6] = t->year & 0x7F;
}

void iec104_cp56_decode(const uint8_t in[7], iec104_cp56 *t) {
    t->ms = (uint16_t)(in[0] | in[1] << 8);
    t->min = in[2] & 0x3F;
    t->iv = (in[2] & 0x80) != 0;
    t->hour = in[3] & 0x1F;
    t->su = (in[3] & 0x80) != 0;
    t->mday = in[4] & 0x1F;
    t->wday = in[4] >> 5;
    t->month = in[5] & 0x0F;
    t->year = in[6] & 0x7F;
}

/* Days since 1970-01-01 of a proleptic Gregorian date, counting in 400-year
 * eras that start on March 1st (so the leap day is the last day of a year). */
static int64_t days_from_date(int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void date_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d) {
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

void iec104_cp56_from_ms(int64_t unix_ms, iec104_cp56 *t) {
    int64_t days = unix_ms >= 0 ? unix_ms / 86400000 : (unix_ms - 86399999) / 86400000;
    int64_t in_day = unix_ms - days * 86400000;
    int64_t y;
    unsigned m, d;
    date_from_days(days, &y, &m, &d);
    t->hour = (uint8_t)(in_day / 3600000);
    t->min = (uint8_t)(in_day / 60000 % 60);
    t->ms = (uint16_t)(in_day % 60000);
    t->mday = (uint8_t)d;
    t->month = (uint8_t)m;
    t->year = (uint8_t)(((y % 100) + 100) % 100);
    t->wday = (uint8_t)(((days % 7) + 7 + 3) % 7 + 1); /* 1970-01-01 was a Thursday (4) */
    t->iv = false;
    t->su = false;
}

bool iec104_cp56_to_ms(const iec104_cp56 *t, int64_t *unix_ms) {
    if (t->ms > 59999 || t->min > 59 || t->hour > 23 || t->mday < 1 || t->mday > 31 ||
        t->month < 1 || t->month > 12 || t->year > 99)
        return false;
    int64_t days = days_from_date(2000 + t->year, t->month, t->mday);
    *unix_ms = ((days * 24 + t->hour) * 60 + t->min) * 60000 + t->ms;
    return true;
}
