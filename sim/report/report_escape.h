/* report_escape: text from meters and captures (a manufacturer record's bytes, a
 * foreign capture's event text) put into the HTML run report. Such text may hold
 * "<", quotes, control characters or invalid UTF-8; written as it is, it would
 * end an element or a <script> early, or break the page's encoding. Valid UTF-8
 * is kept; other bytes and control characters (but tab) become the text \xNN,
 * as in the verdict lines (text_safe.h). */
#ifndef SIM_REPORT_ESCAPE_H
#define SIM_REPORT_ESCAPE_H
#include <stddef.h>
#include <stdio.h>

/* s as HTML text or attribute value: & < > " ' as character references. */
void report_html_text(FILE *out, const char *s);
/* s as the body of a JSON string (no quotes) that is safe inside
 * <script type="application/json">: " \ as \" \\, and < > & as \u003c etc., so
 * no "</script" can appear. */
void report_json_text(FILE *out, const char *s);
/* The same for a string of n bytes (may hold NUL bytes, which become \x00). */
void report_json_bytes(FILE *out, const char *s, size_t n);
#endif
