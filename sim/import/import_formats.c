/* import_formats: the table of capture formats (import_format.h) and what
 * `hil import` does with it: find a row by its word, or by the file's looks. */
#include <stdio.h>
#include <string.h>

#include "sim/import/import_format.h"

static int read_hex(const import_opts *o, capture *c, char *err, size_t errlen) {
    return capture_read_hex(o->capture_path, c, err, errlen);
}

/* A hex file of only wired long frames became an M-Bus line's answers. */
static int write_hex(const import_opts *o, capture *c, FILE *out, char *err, size_t errlen) {
    return c->kind == CAP_SERIAL ? import_write_mbus(o, c, out, err, errlen)
                                 : import_write_radio(o, c, out, err, errlen);
}

static int read_rtl_wmbus(const import_opts *o, capture *c, char *err, size_t errlen) {
    return capture_read_rtl_wmbus(o->capture_path, c, err, errlen);
}

static int read_socat(const import_opts *o, capture *c, char *err, size_t errlen) {
    return capture_read_socat(o->capture_path, c, err, errlen);
}

/* pcapng with the pure reader (all its interfaces), classic pcap with libpcap. */
static int read_pcap(const import_opts *o, capture *c, char *err, size_t errlen) {
    unsigned char head[4] = {0};
    FILE *f = fopen(o->capture_path, "rb");
    size_t got = f ? fread(head, 1, sizeof head, f) : 0;
    if (f) fclose(f);
    if (got == 4 && head[0] == 0x0A && head[1] == 0x0D && head[2] == 0x0D && head[3] == 0x0A)
        return capture_read_pcapng(o->capture_path, o->port, o->iface, c, err, errlen);
    return capture_read_pcap(o->capture_path, o->port, c, err, errlen);
}

/* A pcapng may hold an M-Bus line or radio telegrams instead of TCP sessions. */
static int write_pcap(const import_opts *o, capture *c, FILE *out, char *err, size_t errlen) {
    if (c->kind == CAP_RADIO) return import_write_radio(o, c, out, err, errlen);
    if (c->kind == CAP_TCP) return import_write_tcp(o, c, out, err, errlen);
    if (!o->baud_given)
        capture_note(c, "a pcapng has no baud rate for its M-Bus line: %u baud taken (give --baud N)", o->baud);
    return import_write_mbus(o, c, out, err, errlen);
}

static int read_frames(const import_opts *o, capture *c, char *err, size_t errlen) {
    return capture_read_frames(o->capture_path, c, err, errlen);
}

static int read_wmbusmeters(const import_opts *o, capture *c, char *err, size_t errlen) {
    return capture_read_wmbusmeters(o->capture_path, c, err, errlen);
}

static int read_rtl433(const import_opts *o, capture *c, char *err, size_t errlen) {
    return capture_read_rtl433(o->capture_path, c, err, errlen);
}

static int read_text2pcap(const import_opts *o, capture *c, char *err, size_t errlen) {
    return capture_read_text2pcap(o->capture_path, o->port, c, err, errlen);
}

static const import_format hex = {
    .name = "hex", .help = "timestamped hex lines: TIME [RSSI] HEX (radio telegrams)",
    .detect = import_detect_hex, .read = read_hex, .write = write_hex};
static const import_format rtl_wmbus = {
    .name = "rtl-wmbus", .help = "rtl-wmbus lines: T1;1;1;2019-04-03 19:00:42.000;97;148;ID;0xHEX",
    .detect = import_detect_rtl_wmbus, .read = read_rtl_wmbus, .write = import_write_radio};
static const import_format socat = {
    .name = "socat", .help = "socat -x -v dump of an M-Bus line (> master, < slaves)",
    .detect = import_detect_socat, .read = read_socat, .write = import_write_mbus};
static const import_format pcap = {
    .name = "pcap", .alias = "pcapng",
    .help = "pcap/pcapng of IEC 104 (port 2404) or Modbus TCP (502) sessions; pcapng also wired/wireless M-Bus",
    .detect = import_detect_pcap, .read = read_pcap, .write = write_pcap};

static const import_format frames = {
    .name = "frames", .help = "hex frames without times, one a line (68 1F 1F 68 ... 16): wired or radio",
    .detect = import_detect_frames, .read = read_frames, .write = write_hex};
static const import_format wmbusmeters = {
    .name = "wmbusmeters", .help = "wmbusmeters' telegram=|HEX|[+SECONDS] lines",
    .detect = import_detect_wmbusmeters, .read = read_wmbusmeters, .write = import_write_radio};
static const import_format rtl433 = {
    .name = "rtl_433", .alias = "rtl433", .help = "rtl_433 -F json or -F csv output (its Wireless-MBus lines)",
    .detect = import_detect_rtl433, .read = read_rtl433, .write = import_write_radio};
static const import_format text2pcap = {
    .name = "text2pcap", .alias = "hexdump",
    .help = "hex dump of Ethernet packets (0000  45 00 ...), as Wireshark and text2pcap have them",
    .detect = import_detect_text2pcap, .read = read_text2pcap, .write = import_write_tcp};

const import_format *const import_formats[] = {&hex, &rtl_wmbus, &socat, &pcap,
                                               &frames, &wmbusmeters, &rtl433, &text2pcap};

const size_t import_n_formats = sizeof import_formats / sizeof import_formats[0];

const import_format *import_format_named(const char *word) {
    for (size_t i = 0; i < import_n_formats; i++) {
        const import_format *f = import_formats[i];
        if (strcmp(f->name, word) == 0 || (f->alias && strcmp(f->alias, word) == 0))
            return f;
    }
    return NULL;
}

/* The first line that is not blank or a comment (one fgets line, as a reader
 * sees it), leading blanks skipped; NULL when there is none. */
static const char *first_line(FILE *f, char *line, size_t cap) {
    while (fgets(line, (int)cap, f)) {
        char *p = line;
        while (*p == ' ' || *p == '\t') p++;
        if (*p == '#' || *p == '\n' || *p == '\r' || *p == '\0') continue;
        return p;
    }
    return NULL;
}

const import_format *import_format_detect(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    unsigned char head[4] = {0};
    size_t got = fread(head, 1, sizeof head, f);
    rewind(f);
    char line[4096], line2[4096];
    import_probe probe = {head, got, first_line(f, line, sizeof line), NULL};
    if (probe.first_line) probe.second_line = first_line(f, line2, sizeof line2);
    fclose(f);
    const import_format *best = NULL;
    int best_score = 0;
    for (size_t i = 0; i < import_n_formats; i++) {
        int score = import_formats[i]->detect(&probe);
        if (score > best_score) best = import_formats[i], best_score = score;
    }
    return best;
}

void import_format_list(char *out, size_t cap) {
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < import_n_formats && used < cap; i++)
        used += (size_t)snprintf(out + used, cap - used, "%s%s", i ? ", " : "", import_formats[i]->name);
}
