/* dlms_axdr: A-XDR encoding of COSEM data (IEC 61334-6), pure codec without
 * allocation: a cursor reads one element header at a time (arrays and
 * structures give their count and the cursor moves to the first child), a
 * writer appends to a caller's buffer and remembers overflow. */
#ifndef DLMS_AXDR_H
#define DLMS_AXDR_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    DT_NULL = 0x00, DT_ARRAY = 0x01, DT_STRUCTURE = 0x02, DT_BOOLEAN = 0x03,
    DT_BIT_STRING = 0x04, DT_INT32 = 0x05, DT_UINT32 = 0x06, DT_OCTET_STRING = 0x09,
    DT_VISIBLE_STRING = 0x0A, DT_UTF8_STRING = 0x0C, DT_BCD = 0x0D, DT_INT8 = 0x0F,
    DT_INT16 = 0x10, DT_UINT8 = 0x11, DT_UINT16 = 0x12, DT_INT64 = 0x14, DT_UINT64 = 0x15,
    DT_ENUM = 0x16, DT_FLOAT32 = 0x17, DT_FLOAT64 = 0x18, DT_DATE_TIME = 0x19, DT_DATE = 0x1A,
    DT_TIME = 0x1B,
};

typedef struct axdr_reader {
    const uint8_t *p;
    size_t len, pos;
    const char *err; /* first error, NULL while fine */
} axdr_reader;

typedef struct axdr_writer {
    uint8_t *p;
    size_t cap, len;
    bool overflow;
} axdr_writer;

/* One decoded element. Numbers: i (signed types, enum, bool) or u (unsigned);
 * f for floats; strings/date-time: bytes (pointing into the input); array and
 * structure: count (children follow in the reader). */
typedef struct dlms_value {
    uint8_t type;
    int64_t i;
    uint64_t u;
    double f;
    const uint8_t *bytes;
    size_t len;   /* bytes length; bit-string: number of bits */
    size_t count; /* array/structure */
} dlms_value;

/* COSEM date-time (12 bytes). Fields 0xFF/0xFFFF = not specified. */
typedef struct dlms_datetime {
    uint16_t year;
    uint8_t month, day, weekday, hour, minute, second, hundredths;
    int16_t deviation; /* minutes; DLMS_DEVIATION_UNSPECIFIED when not given */
    uint8_t status;
} dlms_datetime;
#define DLMS_DEVIATION_UNSPECIFIED ((int16_t)0x8000)

void axdr_reader_init(axdr_reader *r, const uint8_t *p, size_t len);
bool axdr_fail(axdr_reader *r, const char *why); /* records the first error, returns false */
bool axdr_u8(axdr_reader *r, uint8_t *v);
bool axdr_u16(axdr_reader *r, uint16_t *v);
bool axdr_u32(axdr_reader *r, uint32_t *v);
bool axdr_bytes(axdr_reader *r, size_t n, const uint8_t **out);
bool axdr_length(axdr_reader *r, size_t *n); /* 0..127 or 8N + N bytes */
size_t axdr_remaining(const axdr_reader *r);
/* Read one element (its header and, for simple types, its value). */
bool axdr_value(axdr_reader *r, dlms_value *v);
/* Skip one element including all its children. */
bool axdr_skip(axdr_reader *r);
/* A number of any numeric type (int, unsigned, enum, bool, float) as double. */
bool dlms_value_number(const dlms_value *v, double *out);
bool dlms_value_is_integer(const dlms_value *v, int64_t *out);

void axdr_writer_init(axdr_writer *w, uint8_t *p, size_t cap);
void axdr_put_u8(axdr_writer *w, uint8_t v);
void axdr_put_u16(axdr_writer *w, uint16_t v);
void axdr_put_u32(axdr_writer *w, uint32_t v);
void axdr_put_bytes(axdr_writer *w, const uint8_t *p, size_t n);
void axdr_put_length(axdr_writer *w, size_t n);
/* Typed elements (tag + value). */
void axdr_put_null(axdr_writer *w);
void axdr_put_array(axdr_writer *w, size_t count);
void axdr_put_structure(axdr_writer *w, size_t count);
void axdr_put_bool(axdr_writer *w, bool v);
void axdr_put_int8(axdr_writer *w, int8_t v);
void axdr_put_int16(axdr_writer *w, int16_t v);
void axdr_put_int32(axdr_writer *w, int32_t v);
void axdr_put_int64(axdr_writer *w, int64_t v);
void axdr_put_uint8(axdr_writer *w, uint8_t v);
void axdr_put_uint16(axdr_writer *w, uint16_t v);
void axdr_put_uint32(axdr_writer *w, uint32_t v);
void axdr_put_uint64(axdr_writer *w, uint64_t v);
void axdr_put_enum(axdr_writer *w, uint8_t v);
void axdr_put_octets(axdr_writer *w, const uint8_t *p, size_t n); /* octet-string */
void axdr_put_visible(axdr_writer *w, const char *s);
void axdr_put_datetime(axdr_writer *w, const dlms_datetime *dt); /* octet-string of 12 */

/* Date-time bytes <-> struct <-> Unix time (UTC, ns). */
void dlms_datetime_encode(const dlms_datetime *dt, uint8_t out[12]);
bool dlms_datetime_decode(const uint8_t *in, size_t len, dlms_datetime *dt);
/* UTC time of a date-time: UTC = local - deviation (deviation = minutes the
 * local time is ahead of UTC); an unspecified deviation counts as UTC. False
 * when a field needed is unspecified or out of range. */
bool dlms_datetime_to_unix_ns(const dlms_datetime *dt, int64_t *ns);
/* A UTC date-time with deviation 0 and clock status 0. */
void dlms_datetime_from_unix_ns(int64_t ns, dlms_datetime *dt);
/* "2026-01-02T03:04:05Z" (with .hh when hundredths are given). */
void dlms_datetime_format(const dlms_datetime *dt, char *out, size_t cap);

/* Logical name (OBIS) "1-0:1.8.0.255" <-> 6 bytes. Accepts "1.0.1.8.0.255" too. */
bool dlms_obis_parse(const char *text, uint8_t obis[6]);
void dlms_obis_format(const uint8_t obis[6], char *out, size_t cap);
/* COSEM unit enumeration -> symbol ("Wh", "W", "V", ...), "" when unknown or none. */
const char *dlms_unit_name(int unit);
#endif
