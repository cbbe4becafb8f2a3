/* Wireless M-Bus receive throughput, end to end on one core: HCI indications
 * written into the radio module's pty are read by the gateway's driver
 * (iM871A host protocol), filtered, checked for duplicates, decrypted (AES
 * security mode 5), decoded, published to the datahub and stored in SQLite.
 * This program plays the radio module: it answers the driver's start-up
 * requests, then writes telegrams of 1,000 meters as fast as the driver
 * takes them. Prints telegrams per second; exits 1 below the goal.
 *   bench_wmbus [TELEGRAMS] [GOAL_PER_SECOND]
 * BENCH_NO_STORE=1 leaves the store out (the driver and the datahub alone). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/config.h"
#include "core/datahub.h"
#include "codec/wmbus/im871a.h"
#include "core/log.h"
#include "core/loop.h"
#include "codec/mbus/mbus_app.h"
#include "store/store.h"
#include "codec/wmbus/wmbus_build.h"
#include "south/wmbus/wmbus_config.h"
#include "south/wmbus/wmbus_radio.h"

#define METERS 1000
#define KEY "0F0E0D0C0B0A09080706050403020100"

static int open_pty(char *path, size_t cap) {
    int m = posix_openpt(O_RDWR | O_NOCTTY | O_NONBLOCK);
    if (m < 0 || grantpt(m) < 0 || unlockpt(m) < 0 || ptsname_r(m, path, cap) != 0)
        return -1;
    return m;
}

/* Answer every request the driver sent (PING, info, SET/GET_CONFIG). */
static void answer_requests(int m, uint8_t *buf, size_t *len) {
    ssize_t n = read(m, buf + *len, 4096 - *len);
    if (n > 0)
        *len += (size_t)n;
    size_t pos = 0;
    while (*len - pos >= IM_HEADER_LEN) {
        long need = im_frame_needed(buf + pos, *len - pos);
        if (need <= 0 || (size_t)need > *len - pos)
            break;
        uint8_t msg = buf[pos + 2], out[64], p[16];
        size_t plen = 0;
        if (msg == IM_GET_CONFIG_REQ) {
            im_config c = {.has_link_mode = true, .link_mode = IM_MODE_T1, .has_rssi = true, .rssi_on = true};
            plen = im_config_encode_get(&c, p, sizeof p);
        } else if (msg == IM_SET_CONFIG_REQ) {
            p[plen++] = 0;
        }
        size_t o = im_frame_encode(out, sizeof out, IM_CTRL_CRC, IM_EP_DEVMGMT, (uint8_t)(msg + 1), p,
                                   (uint8_t)plen, 0, 0);
        if (write(m, out, o) != (ssize_t)o)
            fprintf(stderr, "bench_wmbus: short write\n");
        pos += (size_t)need;
    }
    memmove(buf, buf + pos, *len - pos);
    *len -= pos;
}

/* One indication: meter k's telegram number seq (mode 5, two records). */
static size_t indication(oms_crypto *c, const uint8_t key[16], unsigned k, unsigned seq, uint8_t *out) {
    uint8_t rec[32], plain[WMBUS_FRAME_MAX];
    mbus_enc_record vol = {.vif = {0x13}, .n_vif = 1, .coding = MBUS_ENC_INT, .size = 4, .raw = 1000 + seq};
    mbus_enc_record flow = {.vif = {0x3B}, .n_vif = 1, .coding = MBUS_ENC_INT, .size = 2, .raw = seq % 500};
    size_t n = mbus_encode_record(&vol, rec, sizeof rec);
    n += mbus_encode_record(&flow, rec + n, sizeof rec - n);
    uint32_t id = 0;
    for (unsigned v = 10000001 + k, i = 0; i < 8; i++, v /= 10)
        id |= (v % 10) << (4 * i);
    wmbus_build b = {.c = 0x44, .manufacturer = wmbus_manufacturer_code("KAM"), .id_bcd = id,
                     .version = 1, .device_type = 7, .access_number = (uint8_t)seq, .mode = 5, .key = key};
    size_t len = wmbus_build_frame(c, &b, rec, n, plain, sizeof plain);
    return im_frame_encode(out, IM_FRAME_MAX, IM_CTRL_RSSI | IM_CTRL_CRC, IM_EP_RADIOLINK, IM_WMBUSMSG_IND,
                           plain + 1, (uint8_t)(len - 1), 0, 120);
}

int main(int argc, char **argv) {
    long total = argc > 1 ? atol(argv[1]) : 200000;
    double goal = argc > 2 ? atof(argv[2]) : 50000;
    log_set_level(LOG_LVL_WARN);
    char path[128], yaml[1024], db[] = "/tmp/bench_wmbus_XXXXXX";
    int m = open_pty(path, sizeof path), dbfd = mkstemp(db);
    if (m < 0 || dbfd < 0)
        return 2;
    close(dbfd);
    snprintf(yaml, sizeof yaml,
             "wmbus: [{name: r, device: \"%s\", link_mode: T1, cycle: 1h, duplicate_window: 1s,\n"
             "  meters: [{name: m, id: \"10000001\", count: %d, key: %s}]}]\n", path, METERS, KEY);
    cfg_err err;
    cfg_node *root = cfg_load_string(yaml, "bench.yaml", &err);
    wmbus_config *cfg = root ? wmbus_config_parse(cfg_get(root, "wmbus"), &err) : NULL;
    char serr[256];
    gw_store *store = store_open(db, serr, sizeof serr);
    gw_loop *loop = loop_new();
    datahub *hub = datahub_new();
    if (!cfg || !store || !loop || !hub) {
        fprintf(stderr, "bench_wmbus: %s\n", cfg ? serr : err.msg);
        return 2;
    }
    if (!getenv("BENCH_NO_STORE"))
        store_attach(store, hub, loop);
    wmbus_radio *r = wmbus_radio_start(&cfg->modules[0], loop, hub);
    uint8_t req[4096];
    size_t req_len = 0;
    wmbus_radio_stats st = {0};
    for (int i = 0; i < 1000 && st.configured == 0; i++) {
        answer_requests(m, req, &req_len);
        loop_run_once(loop, NS_PER_MS);
        wmbus_radio_get_stats(r, &st);
    }
    if (!st.configured) {
        fprintf(stderr, "bench_wmbus: the driver did not configure the module\n");
        return 2;
    }
    /* telegrams built before the clock starts: the meter's side is not measured */
    oms_crypto *c = oms_crypto_new();
    uint8_t key[16];
    for (int i = 0; i < 16; i++)
        key[i] = (uint8_t)(15 - i);
    size_t per = 0, cap = (size_t)total * 64;
    uint8_t *stream = malloc(cap), one[IM_FRAME_MAX];
    size_t len = 0;
    for (long t = 0; t < total; t++) {
        per = indication(c, key, (unsigned)(t % METERS), (unsigned)(t / METERS), one);
        if (len + per > cap)
            break;
        memcpy(stream + len, one, per);
        len += per;
    }
    int64_t t0 = clock_mono_ns();
    size_t off = 0;
    while (st.accepted + st.rejected + st.duplicates < (uint64_t)total) {
        if (off < len) {
            ssize_t w = write(m, stream + off, len - off);
            if (w > 0)
                off += (size_t)w;
        }
        loop_run_once(loop, 0);
        wmbus_radio_get_stats(r, &st);
        if (clock_mono_ns() - t0 > 120 * NS_PER_S)
            break;
    }
    store_flush(store);
    double secs = (double)(clock_mono_ns() - t0) / 1e9;
    double rate = (double)st.accepted / secs;
    printf("bench wmbus: %llu telegrams (AES mode 5, 2 records, %d meters) module pty -> datahub%s "
           "in %.3f s: %.0f telegrams/s (goal %.0f); rejected %llu, duplicates %llu\n",
           (unsigned long long)st.accepted, METERS, getenv("BENCH_NO_STORE") ? " (no store)" : " -> store", secs, rate, goal, (unsigned long long)st.rejected,
           (unsigned long long)st.duplicates);
    wmbus_radio_stop(r);
    store_close(store);
    datahub_free(hub);
    loop_free(loop);
    wmbus_config_free(cfg);
    cfg_free(root);
    oms_crypto_free(c);
    free(stream);
    close(m);
    unlink(db);
    return rate >= goal && st.rejected == 0 ? 0 : 1;
}
