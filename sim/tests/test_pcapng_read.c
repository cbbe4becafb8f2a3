/* The pure pcapng reader (sim/import/pcapng_read.h) on real bytes: a file the
 * bench's own writer (sim/core/pcapng.c) writes, the committed dumpcap capture
 * fixtures/captures/modbus_tcp_session.pcapng (Linux loopback as Ethernet, 93 packets and an
 * interface statistics block), and a big-endian file built block by block with a
 * power-of-2 timestamp resolution, an if_tsoffset, a simple packet block, an
 * unknown block and a second section; then broken lengths, which must end the
 * reading with the offset, never a read outside the bytes. */
#include <stdlib.h>
#include <unistd.h>
#include "sim/core/pcapng.h"
#include "sim/import/pcapng_read.h"
#include "tests/test.h"

static uint8_t *slurp(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    rewind(f);
    uint8_t *b = malloc(len > 0 ? (size_t)len : 1);
    *n = b ? fread(b, 1, (size_t)len, f) : 0;
    fclose(f);
    return b;
}

static void test_the_bench_writers_file(void) {
    char path[] = "/tmp/test_pcapng_readXXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    pcapng_writer w;
    CHECK_INT(pcapng_open(&w, path), 0);
    unsigned eth = pcapng_add_interface(&w, PCAPNG_LINKTYPE_ETHERNET, "m1", "IEC 104");
    unsigned mbus = pcapng_add_interface(&w, PCAPNG_LINKTYPE_USER0, "bus1", "wired M-Bus");
    const uint8_t req[5] = {0x10, 0x5B, 0x05, 0x60, 0x16}, ack[1] = {0xE5}, frame[3] = {1, 2, 3};
    pcapng_write_packet(&w, mbus, 1767225600123456789LL, req, sizeof req, PCAPNG_DIR_OUT, "REQ_UD2 a=5");
    pcapng_write_packet(&w, mbus, 1767225600223456789LL, ack, sizeof ack, PCAPNG_DIR_IN, NULL);
    pcapng_write_packet(&w, eth, 1767225601000000000LL, frame, sizeof frame, PCAPNG_DIR_NONE, NULL);
    CHECK_INT(pcapng_close(&w), 0);
    size_t n;
    uint8_t *b = slurp(path, &n);
    unlink(path);
    CHECK(b && pcapng_read_is_pcapng(b, n));
    pcapng_reader r;
    pcapng_rpacket p;
    pcapng_read_init(&r, b, n);
    CHECK(pcapng_read_next(&r, &p));
    CHECK_INT(p.ifid, mbus);
    CHECK_INT(p.iface->linktype, 147);
    CHECK_STR(p.iface->name, "bus1");
    CHECK_STR(p.iface->description, "wired M-Bus");
    CHECK_INT(p.iface->res, 9);
    CHECK(p.has_ts);
    CHECK_INT(p.ts_ns, 1767225600123456789LL);
    CHECK_INT(p.caplen, 5);
    CHECK(memcmp(p.data, req, 5) == 0);
    CHECK_INT(p.dir, PCAPNG_PDIR_OUT);
    CHECK_INT(p.number, 1);
    CHECK(pcapng_read_next(&r, &p));
    CHECK_INT(p.dir, PCAPNG_PDIR_IN);
    CHECK_INT(p.data[0], 0xE5);
    CHECK(pcapng_read_next(&r, &p));
    CHECK_INT(p.ifid, eth);
    CHECK_INT(p.iface->linktype, 1);
    CHECK_INT(p.dir, PCAPNG_PDIR_NONE);
    CHECK_INT(p.ts_ns, 1767225601000000000LL);
    CHECK(!pcapng_read_next(&r, &p));
    CHECK(!r.failed);
    CHECK_INT(r.packets, 3);
    CHECK_INT(r.unknown_blocks + r.other_blocks, 0);
    CHECK(!r.big_endian); /* the bench writes its host's order: little-endian on x86-64 and armhf */
    free(b);
}

/* fixtures/captures/modbus_tcp_session.pcapng: dumpcap on Linux loopback, ns. */
static void test_a_dumpcap_file(void) {
    size_t n;
    uint8_t *b = slurp("fixtures/captures/modbus_tcp_session.pcapng", &n);
    CHECK_MSG(b != NULL, "run from the repository root");
    if (!b) return;
    pcapng_reader r;
    pcapng_rpacket p, first = {0};
    pcapng_read_init(&r, b, n);
    unsigned count = 0;
    while (pcapng_read_next(&r, &p)) {
        if (count++ == 0) first = p;
    }
    CHECK(!r.failed);
    CHECK_INT(count, 93);
    CHECK_INT(r.other_blocks, 1); /* its interface statistics block */
    CHECK_INT(r.unknown_blocks, 0);
    CHECK(first.iface != NULL);
    if (!first.iface) {
        free(b);
        return;
    }
    CHECK_INT(first.iface->linktype, 1); /* Linux loopback: Ethernet headers of zeros */
    CHECK_STR(first.iface->name, "lo");
    CHECK_INT(first.iface->res, 9);
    /* ts 418006421 << 32 | 3122709654 in ns, as tshark -e frame.time_epoch gives it */
    CHECK_INT(first.ts_ns, (int64_t)(((uint64_t)418006421 << 32) | 3122709654u));
    CHECK_INT(first.caplen, 74);
    free(b);
}

/* A tiny block builder in big-endian order. */
typedef struct buf {
    uint8_t b[1024];
    size_t n, start;
} buf;

static void be32(buf *x, uint32_t v) {
    x->b[x->n++] = (uint8_t)(v >> 24), x->b[x->n++] = (uint8_t)(v >> 16);
    x->b[x->n++] = (uint8_t)(v >> 8), x->b[x->n++] = (uint8_t)v;
}

static void be16(buf *x, uint16_t v) {
    x->b[x->n++] = (uint8_t)(v >> 8), x->b[x->n++] = (uint8_t)v;
}

static void raw(buf *x, const void *p, size_t n) {
    memcpy(x->b + x->n, p, n);
    x->n += n;
    while (x->n % 4) x->b[x->n++] = 0;
}

static void begin(buf *x, uint32_t type) {
    x->start = x->n;
    be32(x, type);
    be32(x, 0); /* length, set by end() */
}

static void end(buf *x) {
    uint32_t total = (uint32_t)(x->n + 4 - x->start);
    size_t at = x->n;
    x->n = x->start + 4;
    be32(x, total);
    x->n = at;
    be32(x, total);
}

static void shb(buf *x) {
    begin(x, 0x0A0D0D0A);
    be32(x, 0x1A2B3C4D);
    be16(x, 1), be16(x, 0);
    be32(x, 0xFFFFFFFF), be32(x, 0xFFFFFFFF);
    end(x);
}

static void big_endian_file(buf *x) {
    memset(x, 0, sizeof *x);
    shb(x);
    begin(x, 1); /* IDB: USER1, tsresol 2^-20 s, tsoffset 1000 s */
    be16(x, 148), be16(x, 0), be32(x, 0);
    be16(x, 2), be16(x, 3), raw(x, "air", 3);
    be16(x, 9), be16(x, 1), raw(x, "\x94", 1);
    be16(x, 14), be16(x, 8), be32(x, 0), be32(x, 1000);
    be16(x, 0), be16(x, 0);
    end(x);
    begin(x, 0x0BADF00D); /* a type nobody defines */
    be32(x, 42);
    end(x);
    begin(x, 6); /* EPB: 3 s and half a second in 2^-20 units */
    be32(x, 0);
    uint64_t ts = (3ULL << 20) + (1ULL << 19);
    be32(x, (uint32_t)(ts >> 32)), be32(x, (uint32_t)ts);
    be32(x, 3), be32(x, 3);
    raw(x, "\x02\x44\x55", 3);
    be16(x, 2), be16(x, 4), be32(x, 1); /* epb_flags: inbound */
    be16(x, 0), be16(x, 0);
    end(x);
    begin(x, 3); /* SPB: no time */
    be32(x, 2);
    raw(x, "\xAA\xBB", 2);
    end(x);
    shb(x); /* a second section: no interfaces yet */
    begin(x, 6);
    be32(x, 0), be32(x, 0), be32(x, 0), be32(x, 1), be32(x, 1);
    raw(x, "\x01", 1);
    end(x);
}

static void test_big_endian_pow2_spb_sections(void) {
    buf x;
    big_endian_file(&x);
    pcapng_reader r;
    pcapng_rpacket p;
    pcapng_read_init(&r, x.b, x.n);
    CHECK(pcapng_read_next(&r, &p));
    CHECK(r.big_endian);
    CHECK_INT(p.iface->linktype, 148);
    CHECK_STR(p.iface->name, "air");
    CHECK(p.iface->res_pow2);
    CHECK_INT(p.iface->res, 20);
    CHECK_INT(p.ts_ns, 1003500000000LL);
    CHECK_INT(p.caplen, 3);
    CHECK_INT(p.data[1], 0x44);
    CHECK_INT(p.dir, PCAPNG_PDIR_IN);
    CHECK(pcapng_read_next(&r, &p));
    CHECK(!p.has_ts);
    CHECK_INT(p.caplen, 2);
    CHECK_INT(p.origlen, 2);
    CHECK(!pcapng_read_next(&r, &p));
    CHECK(!r.failed);
    CHECK_INT(r.sections, 2);
    CHECK_INT(r.unknown_blocks, 1);
    CHECK_INT(r.unknown_if_packets, 1); /* the second section's packet names no interface */
    CHECK_INT(r.packets, 2);
}

static void test_broken_lengths_end_with_the_offset(void) {
    buf x;
    big_endian_file(&x);
    /* the EPB's length: find it after SHB (28), IDB, unknown block */
    size_t shb_len = 28, idb_len = x.b[shb_len + 7], unk = shb_len + idb_len, epb = unk + 16;
    CHECK_INT(x.b[epb + 3], 6);
    struct { uint32_t len; const char *what; } cases[] = {
        {7, "bad block length"}, {0x7FFFFFF0, "bad block length"}, {30, "bad block length"}, {36, "differs"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        buf y = x;
        y.b[epb + 4] = (uint8_t)(cases[i].len >> 24), y.b[epb + 5] = (uint8_t)(cases[i].len >> 16);
        y.b[epb + 6] = (uint8_t)(cases[i].len >> 8), y.b[epb + 7] = (uint8_t)cases[i].len;
        pcapng_reader r;
        pcapng_rpacket p;
        pcapng_read_init(&r, y.b, y.n);
        CHECK(!pcapng_read_next(&r, &p));
        CHECK(r.failed);
        CHECK_INT(r.error_offset, epb);
        CHECK_INT(r.octets_not_read, y.n - epb);
        CHECK_MSG(strstr(r.error, cases[i].what) != NULL, "%s", r.error);
    }
    /* every prefix of the file: a clean end or an error, never a read beyond n */
    for (size_t cut = 0; cut < x.n; cut++) {
        uint8_t *copy = malloc(cut ? cut : 1);
        memcpy(copy, x.b, cut);
        pcapng_reader r;
        pcapng_rpacket p;
        pcapng_read_init(&r, copy, cut);
        while (pcapng_read_next(&r, &p)) CHECK(p.data + p.caplen <= copy + cut);
        CHECK(r.failed || r.pos == cut);
        free(copy);
    }
    /* not pcapng at all */
    pcapng_reader r;
    pcapng_rpacket p;
    static const uint8_t pcap[24] = {0xD4, 0xC3, 0xB2, 0xA1};
    CHECK(!pcapng_read_is_pcapng(pcap, sizeof pcap));
    pcapng_read_init(&r, pcap, sizeof pcap);
    CHECK(!pcapng_read_next(&r, &p));
    CHECK(r.failed && r.error_offset == 0);
}

int main(void) {
    test_the_bench_writers_file();
    test_a_dumpcap_file();
    test_big_endian_pow2_spb_sections();
    test_broken_lengths_end_with_the_offset();
    return test_summary("test_pcapng_read");
}
