/* libFuzzer target for the radio module protocol (iM871A HCI) as the gateway's
 * driver meets it: the input is the byte stream from the serial port. Frames
 * are cut out the way wmbus_radio.c does (resynchronising on A5), parsed,
 * configuration payloads read in both layouts, and every received telegram
 * (WMBUSMSG_IND) goes through the decoder with and without keys. A parsed
 * frame must encode back to the same bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "codec/decode/decode.h"
#include "tests/fuzz_fixture.h"
#include "codec/wmbus/im871a.h"

static decoder *keyed, *bare;
static telegram tg;

static void setup(void) {
    fuzz_decoders(&keyed, &bare);
}

/* The driver prepends the L field the module strips. */
static void take_telegram(const im_frame *f) {
    uint8_t frame[256];
    if (f->len < 10)
        return;
    frame[0] = f->len;
    memcpy(frame + 1, f->payload, f->len);
    decode_telegram(keyed, frame, (size_t)f->len + 1, &tg);
    decode_telegram(bare, frame, (size_t)f->len + 1, &tg);
}

static void check_roundtrip(const uint8_t *buf, size_t n, const im_frame *f) {
    uint8_t again[IM_FRAME_MAX];
    size_t m = im_frame_encode(again, sizeof again, f->ctrl, f->endpoint, f->msg, f->payload, f->len,
                               f->timestamp, f->rssi);
    if (m != n || memcmp(again, buf, n) != 0)
        abort();
}

static void take_frame(const uint8_t *buf, size_t n, const im_frame *f) {
    check_roundtrip(buf, n, f);
    im_config c;
    (void)im_config_parse(f->payload, f->len, true, &c);
    (void)im_config_parse(f->payload, f->len, false, &c);
    (void)im_rssi_dbm(f->rssi);
    if (f->endpoint == IM_EP_RADIOLINK && f->msg == IM_WMBUSMSG_IND)
        take_telegram(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!keyed)
        setup();
    size_t pos = 0;
    while (pos < size) {
        long need = im_frame_needed(data + pos, size - pos);
        if (need < 0) {
            const uint8_t *sof = memchr(data + pos + 1, IM_SOF, size - pos - 1);
            pos = sof ? (size_t)(sof - data) : size;
            continue;
        }
        if (need == 0 || (size_t)need > size - pos)
            break;
        if ((size_t)need > IM_FRAME_MAX || need < IM_HEADER_LEN)
            abort(); /* the header promises more than a frame can hold */
        im_frame f;
        char why[64];
        if (im_frame_parse(data + pos, (size_t)need, &f, why, sizeof why))
            take_frame(data + pos, (size_t)need, &f);
        else if (!why[0])
            abort(); /* a refusal always says why */
        pos += (size_t)need;
    }
    return 0;
}
