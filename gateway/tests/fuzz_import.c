/* libFuzzer target for the bench's capture importers (sim/import/import_*.c,
 * sim/iec104/iec104_std.c): the input is a capture file of any format, written to
 * build/fuzz/work/import/fuzz.cap and read by every row of the format table
 * (sim/import/import_format.h: hex, rtl-wmbus, socat, pcap, frames, wmbusmeters,
 * rtl_433, text2pcap) and `auto`
 * detection; its bytes are also cut as an IEC 104 stream by the standard. A
 * reader must load the file or refuse it with "file:line:col: what is wrong",
 * and the cut must cover every byte exactly once — without a crash or a leak. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "sim/import/capture.h"
#include "sim/import/import_format.h"
#include "sim/iec104/iec104_std.h"
#include "core/log.h"

static const char *const path = "build/fuzz/work/import/fuzz.cap";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void cut_covers_every_byte(const uint8_t *b, size_t n) {
    size_t pos = 0;
    while (pos < n) {
        i104_piece p = i104_next_piece(b, n, pos);
        if (p.at != pos || p.len == 0 || p.len > n - pos) abort();
        pos += p.len;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static bool ready;
    if (!ready) {
        log_set_level(LOG_LVL_ERROR);
        mkdir("build/fuzz", 0755);
        mkdir("build/fuzz/work", 0755);
        mkdir("build/fuzz/work/import", 0755);
        ready = true;
    }
    cut_covers_every_byte(data, size);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0) abort();
    import_opts o = {.capture_path = path, .port = 0};
    for (size_t i = 0; i < import_n_formats; i++) {
        capture c;
        memset(&c, 0, sizeof c);
        char err[1024] = "";
        if (import_formats[i]->read(&o, &c, err, sizeof err) < 0 && !strstr(err, ":")) {
            fprintf(stderr, "error without a position: %s\n", err);
            abort();
        }
        capture_free(&c);
    }
    (void)import_format_detect(path);
    return 0;
}
