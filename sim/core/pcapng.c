/* pcapng: the blocks the bench writes (see pcapng.h). Written in the host's byte order,
 * which the byte-order magic of the section header announces to readers. */
#include "sim/core/pcapng.h"
#include <string.h>

enum { BLOCK_SHB = 0x0A0D0D0A, BLOCK_IDB = 1, BLOCK_EPB = 6 };
enum { OPT_END = 0, OPT_COMMENT = 1, OPT_IF_NAME = 2, OPT_IF_DESCRIPTION = 3, OPT_IF_TSRESOL = 9,
       OPT_EPB_FLAGS = 2 };

static size_t pad4(size_t n) {
    return (n + 3) & ~(size_t)3;
}

static void put(pcapng_writer *w, const void *p, size_t n) {
    if (n && fwrite(p, 1, n, w->f) != n) w->failed = true;
}

static void put32(pcapng_writer *w, uint32_t v) {
    put(w, &v, 4);
}

static void put_zeros(pcapng_writer *w, size_t n) {
    static const uint8_t zeros[4];
    put(w, zeros, n);
}

/* The size of an option of len value bytes (padded), 0 for an absent text. */
static size_t option_size(size_t len) {
    return 4 + pad4(len);
}

static void put_option(pcapng_writer *w, uint16_t code, const void *value, size_t len) {
    uint16_t head[2] = {code, (uint16_t)len};
    put(w, head, sizeof head);
    put(w, value, len);
    put_zeros(w, pad4(len) - len);
}

static size_t text_len(const char *s) {
    size_t n = s ? strlen(s) : 0;
    return n > 60000 ? 60000 : n;
}

int pcapng_open(pcapng_writer *w, const char *path) {
    memset(w, 0, sizeof *w);
    w->f = fopen(path, "wb");
    if (!w->f) return -1;
    const char *app = "hil (metering gateway bench)";
    uint32_t total = 28 + (uint32_t)(option_size(strlen(app)) + 4);
    put32(w, BLOCK_SHB);
    put32(w, total);
    put32(w, 0x1A2B3C4D); /* byte-order magic */
    uint16_t version[2] = {1, 0};
    put(w, version, sizeof version);
    int64_t section_len = -1; /* not given */
    put(w, &section_len, 8);
    put_option(w, 4 /* shb_userappl */, app, strlen(app));
    put_option(w, OPT_END, NULL, 0);
    put32(w, total);
    return 0;
}

unsigned pcapng_add_interface(pcapng_writer *w, uint16_t linktype, const char *name, const char *description) {
    size_t nl = text_len(name), dl = text_len(description);
    uint32_t total = 20 + (uint32_t)((nl ? option_size(nl) : 0) + (dl ? option_size(dl) : 0) + option_size(1) + 4);
    put32(w, BLOCK_IDB);
    put32(w, total);
    uint16_t head[2] = {linktype, 0};
    put(w, head, sizeof head);
    put32(w, 0); /* snaplen: no limit */
    if (nl) put_option(w, OPT_IF_NAME, name, nl);
    if (dl) put_option(w, OPT_IF_DESCRIPTION, description, dl);
    uint8_t ns = 9; /* timestamps in 10^-9 s */
    put_option(w, OPT_IF_TSRESOL, &ns, 1);
    put_option(w, OPT_END, NULL, 0);
    put32(w, total);
    return w->n_ifs++;
}

void pcapng_write_packet(pcapng_writer *w, unsigned ifid, int64_t ts_ns, const uint8_t *data, size_t len,
                         pcapng_dir dir, const char *comment) {
    size_t cl = text_len(comment);
    uint32_t total = 32 + (uint32_t)(pad4(len) + (cl ? option_size(cl) : 0) + (dir ? option_size(4) : 0) + 4);
    uint64_t ts = ts_ns < 0 ? 0 : (uint64_t)ts_ns;
    put32(w, BLOCK_EPB);
    put32(w, total);
    put32(w, ifid);
    put32(w, (uint32_t)(ts >> 32));
    put32(w, (uint32_t)ts);
    put32(w, (uint32_t)len);
    put32(w, (uint32_t)len);
    put(w, data, len);
    put_zeros(w, pad4(len) - len);
    if (cl) put_option(w, OPT_COMMENT, comment, cl);
    if (dir) {
        uint32_t flags = (uint32_t)dir; /* bits 0-1: 01 inbound, 10 outbound */
        put_option(w, OPT_EPB_FLAGS, &flags, 4);
    }
    put_option(w, OPT_END, NULL, 0);
    put32(w, total);
}

int pcapng_close(pcapng_writer *w) {
    if (!w->f) return -1;
    if (fclose(w->f) != 0) w->failed = true;
    w->f = NULL;
    return w->failed ? -1 : 0;
}
