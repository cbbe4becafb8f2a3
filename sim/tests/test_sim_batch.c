/* Unit tests of the bench's batch tools: shards (stable, every file exactly once,
 * balanced by durations), the durations table, progress text, the trace channel kinds,
 * the synthesized TCP headers and the pcapng blocks. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "sim/core/pcapng.h"
#include "sim/core/tcp_synth.h"
#include "sim/core/trace_pcapng.h"
#include "sim/scenario/progress.h"
#include "sim/scenario/shard.h"
#include "tests/test.h"

static void test_shard_parse(void) {
    int k, n;
    CHECK(shard_parse("2/3", &k, &n));
    CHECK_INT(k, 2);
    CHECK_INT(n, 3);
    CHECK(!shard_parse("0/3", &k, &n));
    CHECK(!shard_parse("4/3", &k, &n));
    CHECK(!shard_parse("1/", &k, &n));
    CHECK(!shard_parse("1/3x", &k, &n));
}

/* Shards 1..3 of 10 files: each file in exactly one, and the same split twice. */
static void test_shard_cover(void) {
    char *files[10];
    char names[10][16];
    for (int i = 0; i < 10; i++) {
        snprintf(names[i], sizeof names[i], "s/%c.yaml", 'j' - i);
        files[i] = names[i];
    }
    int seen[10] = {0}, total = 0;
    for (int k = 1; k <= 3; k++) {
        char *out[10], *again[10];
        int n = shard_select(files, 10, k, 3, NULL, out);
        CHECK_INT(shard_select(files, 10, k, 3, NULL, again), n);
        CHECK(n == 3 || n == 4);
        for (int i = 0; i < n; i++) {
            CHECK(out[i] == again[i]);
            seen[(out[i] - names[0]) / 16]++; /* which of names */
        }
        total += n;
    }
    CHECK_INT(total, 10);
    for (int i = 0; i < 10; i++) CHECK_INT(seen[i], 1);
}

/* One long scenario of 100 s and nine of 10 s over 2 shards: the long one alone (100)
 * against the nine (90), not 5 and 5 by count. */
static void test_shard_balance(void) {
    char *files[10];
    char names[10][16];
    durations d = {0};
    for (int i = 0; i < 10; i++) {
        snprintf(names[i], sizeof names[i], "s/%d.yaml", i);
        files[i] = names[i];
        durations_set(&d, names[i], i == 7 ? 100 : 10);
    }
    char *out[10];
    int n1 = shard_select(files, 10, 1, 2, &d, out);
    CHECK_INT(n1, 1);
    CHECK_STR(out[0], "s/7.yaml");
    CHECK_INT(shard_select(files, 10, 2, 2, &d, out), 9);
    char path[] = "/tmp/test_sim_batch_durXXXXXX";
    int fd = mkstemp(path);
    close(fd);
    CHECK_INT(durations_save(&d, path), 0);
    durations e;
    char err[256];
    CHECK_INT(durations_load(&e, path, err, sizeof err), 0);
    CHECK_INT(e.n, 10);
    CHECK_INT(shard_select(files, 10, 1, 2, &e, out), 1);
    durations_free(&e);
    FILE *f = fopen(path, "w");
    fputs("12\tok.yaml\nnot a line\n", f);
    fclose(f);
    CHECK_INT(durations_load(&e, path, err, sizeof err), -1);
    CHECK(strstr(err, ":2:1: expected SECONDS<TAB>PATH") != NULL);
    unlink(path);
    durations_free(&d);
}

static void test_progress_text(void) {
    progress p = {.total = 10, .done = 4, .failed = 1, .start_ns = 0};
    char line[128];
    progress_format(&p, 20000000000LL, line, sizeof line);
    CHECK_STR(line, "4/10 done, 1 failed, 0:20 elapsed, about 0:30 left");
    p.done = 10;
    progress_format(&p, 3725000000000LL, line, sizeof line);
    CHECK_STR(line, "10/10 done, 1 failed, 1:02:05 elapsed");
}

static trace_channel_kind kind_of(trace_dir dir, unsigned baud, const uint8_t *b, size_t n) {
    trace_rec r = {.dir = dir, .baud = baud, .bytes = (uint8_t *)b, .len = n};
    return trace_channel_classify(&r);
}

static void test_channel_kinds(void) {
    const uint8_t startdt[] = {0x68, 0x04, 0x07, 0, 0, 0};
    const uint8_t mbap[] = {0, 1, 0, 0, 0, 6, 1, 3, 0, 0, 0, 2};
    const uint8_t wrapper[] = {0, 1, 0, 16, 0, 1, 0, 2, 0xC0, 0x01};
    const uint8_t rtu[] = {0x07, 0x03, 0x00, 0x00, 0x00, 0x05, 0x85, 0xAF};
    const uint8_t nke[] = {0x10, 0x40, 0x05, 0x45, 0x16};
    const uint8_t hdlc[] = {0x7E, 0xA0, 0x07, 0x03, 0x21, 0x93, 0x0F, 0x01, 0x7E};
    const uint8_t hci[] = {0xA5, 0x01, 0x01, 0x00};
    CHECK_INT(kind_of(TRACE_BUS_TO_GW, 0, startdt, sizeof startdt), TK_IEC104);
    CHECK_INT(kind_of(TRACE_GW_TO_BUS, 0, mbap, sizeof mbap), TK_MODBUS_TCP);
    CHECK_INT(kind_of(TRACE_GW_TO_BUS, 0, wrapper, sizeof wrapper), TK_DLMS_WRAPPER);
    CHECK_INT(kind_of(TRACE_GW_TO_BUS, 9600, rtu, sizeof rtu), TK_MODBUS_RTU);
    CHECK_INT(kind_of(TRACE_GW_TO_BUS, 2400, nke, sizeof nke), TK_MBUS);
    CHECK_INT(kind_of(TRACE_GW_TO_BUS, 9600, hdlc, sizeof hdlc), TK_HDLC);
    CHECK_INT(kind_of(TRACE_GW_TO_BUS, 57600, hci, sizeof hci), TK_IM871A);
    CHECK_INT(kind_of(TRACE_NOTE, 0, nke, sizeof nke), TK_WMBUS);
    CHECK_INT(kind_of(TRACE_NOTE, 0, NULL, 0), TK_NOTES);
    CHECK_STR(trace_channel_kind_name(TK_IEC104), "iec104");
}

/* The checksums of a synthesized segment verify (sum over the header with the checksum is 0). */
static unsigned fold(uint32_t sum, const uint8_t *b, size_t n) {
    for (size_t i = 0; i + 1 < n; i += 2) sum += (uint32_t)((b[i] << 8) | b[i + 1]);
    if (n & 1) sum += (uint32_t)(b[n - 1] << 8);
    while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
    return sum;
}

static void test_tcp_synth(void) {
    tcp_synth s;
    tcp_synth_init(&s, 1, 2404);
    s.port[1] = 40000;
    uint8_t pkt[128];
    const uint8_t pl[] = {0x68, 0x04, 0x07, 0, 0, 0};
    size_t n = tcp_synth_packet(&s, false, TCP_PSH_ACK, pl, sizeof pl, pkt);
    CHECK_INT(n, 60);
    CHECK_INT(pkt[12], 0x08);
    CHECK_INT(fold(0, pkt + 14, 20), 0xFFFF);
    uint32_t pseudo = (10 << 8) + (1 << 8 | 2) + (10 << 8) + 1 + 6 + 26;
    CHECK_INT(fold(pseudo, pkt + 34, 26), 0xFFFF);
    CHECK_INT((pkt[34] << 8) | pkt[35], 40000); /* from the peer's port */
    CHECK_INT((pkt[36] << 8) | pkt[37], 2404);
    CHECK_INT(s.seq[1], 5000 + 6);
}

static void test_pcapng_blocks(void) {
    char path[] = "/tmp/test_sim_batch_pcapXXXXXX";
    int fd = mkstemp(path);
    close(fd);
    pcapng_writer w;
    CHECK_INT(pcapng_open(&w, path), 0);
    CHECK_INT(pcapng_add_interface(&w, PCAPNG_LINKTYPE_USER0, "bus1", "wired M-Bus"), 0);
    const uint8_t b[] = {0x10, 0x40, 0x05, 0x45, 0x16};
    pcapng_write_packet(&w, 0, 1767225600000000000LL, b, sizeof b, PCAPNG_DIR_OUT, "SND_NKE a=5");
    CHECK_INT(pcapng_close(&w), 0);
    FILE *f = fopen(path, "rb");
    uint8_t buf[512];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    unlink(path);
    /* every block's length is at its start and its end, and the blocks fill the file */
    size_t off = 0, blocks = 0;
    while (off + 12 <= n) {
        uint32_t len, tail;
        memcpy(&len, buf + off + 4, 4);
        CHECK(len % 4 == 0 && off + len <= n);
        if (len % 4 || off + len > n) break;
        memcpy(&tail, buf + off + len - 4, 4);
        CHECK_INT(tail, len);
        off += len;
        blocks++;
    }
    CHECK_INT(off, n);
    CHECK_INT(blocks, 3);
}

int main(void) {
    test_shard_parse();
    test_shard_cover();
    test_shard_balance();
    test_progress_text();
    test_channel_kinds();
    test_tcp_synth();
    test_pcapng_blocks();
    return test_summary("test_sim_batch");
}
