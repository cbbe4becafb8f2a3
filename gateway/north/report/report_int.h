/* report internals: the report as plain arrays (a snapshot of the datahub for
 * one cycle), the writers that turn it into MUC500 CSV / JSON, and the MUC500
 * name tables. Pure functions: no datahub, no clock, so tests can drive them
 * with hand-built meters and points. */
#ifndef GW_REPORT_INT_H
#define GW_REPORT_INT_H
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/datahub.h"

typedef struct rpt_meter {
    const dh_meter *meter;
    const dp **points; /* in record order */
    size_t n_points;
} rpt_meter;

typedef struct rpt_doc {
    const char *muc_id; /* gateway name */
    int64_t ts_ns;      /* end of the readout cycle = report time */
    rpt_meter *meters;
    size_t n_meters;
    int64_t report_id; /* outbox id (> 0) the receiver deduplicates by; 0: not written */
} rpt_doc;

/* CSV variants of MUC500 Table 23; false for any other number. */
bool report_csv_variant_ok(int variant);
/* Write the document; 0 on success, -1 on a write error (errno set by stdio). */
int report_write_csv(FILE *out, const rpt_doc *doc, int variant);
int report_write_json(FILE *out, const rpt_doc *doc);
/* MUC500 XML versions 3, 6, 7, 8, 9 (Table 21); report_xml.c. */
bool report_xml_version_ok(int version);
int report_write_xml(FILE *out, const rpt_doc *doc, int version);

/* --- MUC500 names (report_names.c) --- */

/* Table 27 text for an EN 13757-3 medium code; "Reserved" for reserved codes. */
const char *report_medium_name(int medium);
/* Table 28 text for a datahub quantity ("energy" -> "Energy"); unknown
 * quantities come back unchanged (MUC500 allows text descriptions, index 31). */
const char *report_description(const char *quantity);
/* JSON INTERFACE text for a datahub interface ("mbus" -> "Mbus"). */
const char *report_interface_name(const char *interface);

/* A base unit as the report writes it: Table 29 text plus the power of ten
 * that converts the value into that unit (e.g. "varh" -> "kVARh", -3). With
 * kwh true, "Wh" becomes "kWh" (-3), as MUC500 does in XML and JSON. */
typedef struct rpt_unit {
    const char *text;
    int shift; /* SCALE in the report = 10^(scale_exp + shift) */
} rpt_unit;
rpt_unit report_unit(const char *base_unit, bool kwh);

/* --- value formatting shared by the writers (report_format.c) --- */

/* origin.raw_int / scale_exp describe the value (raw * 10^exp == value). */
bool report_raw_ok(const dp *p);
/* true when the value must not be reported as current (not read, invalid). */
bool report_value_flagged(const dp *p);
/* The value as transmitted: raw integer when origin.has_raw, else the value
 * itself (number, text, hex of bytes). Locale independent. */
void report_value_text(const dp *p, char *out, size_t cap);
/* raw_int * 10^exp as an exact decimal string, trailing fractional zeros trimmed. */
void report_decimal_shift(int64_t raw, int exp, char *out, size_t cap);
/* A double in the shortest "%.15g"/"%.17g" form that reads back, '.' as decimal point. */
void report_double_text(double v, char *out, size_t cap);
/* Power of ten exponent of a point's report scale (before unit conversion). */
int report_scale_exp(const dp *p);
/* Unix seconds (floor) of a nanosecond wall time. */
int64_t report_unix_s(int64_t ns);
/* ISO 8601 UTC "2020-09-28T12:56:24Z" (CSV-9 "readable" timestamps, file names use the compact form). */
void report_time_readable(int64_t ns, char *out, size_t cap);
#endif
