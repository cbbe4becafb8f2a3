/* import_format: the capture formats `hil import` knows, one row each.
 *
 * A row names its FORMAT word, tells whether a file looks like it (for
 * `hil import auto`), reads a file into a capture (capture.h) and writes the
 * capture as a scenario plus fixtures (import.h's writers). import.c only
 * iterates the table (import_formats.c); a new format is its reader file
 * (reader and detector) and one row in that table. The rows live in the
 * table's file, not beside the readers, so that a program using one reader
 * (the replay of a radio fixture) does not link every writer. */
#ifndef SIM_IMPORT_FORMAT_H
#define SIM_IMPORT_FORMAT_H
#include <stddef.h>
#include <stdio.h>

#include "sim/import/capture.h"
#include "sim/import/import.h"

/* What `auto` looks at: the file's first bytes, and its first line that is
 * not blank or a comment (leading blanks skipped; NULL when there is none). */
typedef struct import_probe {
    const unsigned char *head;
    size_t head_len;
    const char *first_line;
    const char *second_line; /* the next such line, or NULL */
} import_probe;

typedef struct import_format {
    const char *name;   /* the FORMAT word */
    const char *alias;  /* another word accepted for it, or NULL */
    const char *help;   /* its line in `hil import --help` */
    /* 0: not this format; else how specific the evidence is (a magic number
     * over a line pattern over "hex digits"): auto takes the most specific. */
    int (*detect)(const import_probe *p);
    /* Read o->capture_path: 0, or -1 with "file:line:col: what is wrong". */
    int (*read)(const import_opts *o, capture *c, char *err, size_t errlen);
    /* The scenario body into out: 0, or -1 with a message in err. */
    int (*write)(const import_opts *o, capture *c, FILE *out, char *err, size_t errlen);
} import_format;

/* The detectors, beside their readers (import_radio.c, import_socat.c,
 * import_pcap.c): pcap's magic number 4, socat 3, rtl-wmbus 2, hex 1. */
int import_detect_hex(const import_probe *p);
int import_detect_rtl_wmbus(const import_probe *p);
int import_detect_socat(const import_probe *p);
int import_detect_pcap(const import_probe *p);
int import_detect_frames(const import_probe *p);      /* 2 */
int import_detect_wmbusmeters(const import_probe *p); /* 3 */
int import_detect_rtl433(const import_probe *p);      /* 3 */
int import_detect_text2pcap(const import_probe *p);   /* 3 */

/* The table, in the order the help and the messages list the formats. */
extern const import_format *const import_formats[];
extern const size_t import_n_formats;

/* The row for a FORMAT word (or its alias); NULL when unknown. */
const import_format *import_format_named(const char *word);
/* The format a file looks like; NULL when none (or the file cannot be read). */
const import_format *import_format_detect(const char *path);
/* "hex, rtl-wmbus, socat, pcap, ..." */
void import_format_list(char *out, size_t cap);
#endif
