/* libFuzzer target for DLMS/COSEM as the gateway's client meets it: the input
 * is a byte stream from a meter, cut into HDLC frames (and, separately, into
 * TCP/UDP wrapper PDUs); every information field and the raw input go
 * through each xDLMS decoder (AARE/AARQ, GET/SET/ACTION requests and
 * responses, InitiateResponse, A-XDR data walked to the end, ranges,
 * date-times) and through glo-ciphering with a known key. Decoders must
 * refuse with a reason or succeed with fields inside the input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "codec/dlms/dlms_apdu.h"
#include "codec/dlms/dlms_axdr.h"
#include "codec/dlms/dlms_cipher.h"
#include "codec/dlms/dlms_hdlc.h"
#include "south/dlms/dlms_profile.h"
#include "codec/dlms/dlms_wrapper.h"

static const uint8_t *input;
static size_t input_len;

/* A pointer a decoder hands back must lie within the input. */
static void inside(const uint8_t *p, size_t len) {
    if (len && (p < input || p + len > input + input_len))
        abort();
}

static void walk_data(const uint8_t *p, size_t len) {
    axdr_reader r;
    axdr_reader_init(&r, p, len);
    for (int i = 0; i < 64 && axdr_remaining(&r) > 0; i++) {
        size_t before = axdr_remaining(&r);
        axdr_reader peek = r;
        dlms_value v;
        if (axdr_value(&peek, &v)) {
            double d;
            int64_t n;
            (void)dlms_value_number(&v, &d);
            (void)dlms_value_is_integer(&v, &n);
        }
        if (!axdr_skip(&r) || axdr_remaining(&r) >= before)
            break;
    }
}

static void apdus(const uint8_t *p, size_t len) {
    const char *why = NULL;
    dlms_aare aare;
    if (dlms_aare_decode(p, len, &aare, &why)) {
        inside(aare.user_info, aare.user_info_len);
        inside(aare.auth_value, aare.auth_value_len);
        dlms_initiate in;
        (void)dlms_initiate_response_decode(aare.user_info, aare.user_info_len, &in);
        (void)dlms_aare_diag_text(aare.diagnostic);
    }
    dlms_aarq aarq;
    if (dlms_aarq_decode(p, len, &aarq, &why)) {
        dlms_initiate in;
        (void)dlms_initiate_request_decode(aarq.user_info, aarq.user_info_len, &in);
    }
    static dlms_get_response gr;
    if (dlms_get_response_decode(p, len, &gr, &why)) {
        if (gr.n > DLMS_MAX_LIST)
            abort();
        for (size_t i = 0; i < gr.n; i++)
            if (gr.res[i].ok) {
                inside(gr.res[i].data, gr.res[i].len);
                walk_data(gr.res[i].data, gr.res[i].len);
            }
        inside(gr.raw, gr.raw_len);
        walk_data(gr.raw, gr.raw_len);
        if (gr.trailing > len)
            abort();
    }
    /* the same bytes as a profile's capture objects (attribute 3) */
    dlms_profile prof = {0};
    if (dlms_profile_set_columns(&prof, p, len, &why) && (prof.n_cols < 2 || !prof.cols))
        abort();
    dlms_profile_free(&prof);
    static dlms_get_request gq;
    if (dlms_get_request_decode(p, len, &gq, &why) && gq.n > DLMS_MAX_LIST)
        abort();
    dlms_set_request sq;
    (void)dlms_set_request_decode(p, len, &sq, &why);
    dlms_action_request aq;
    (void)dlms_action_request_decode(p, len, &aq, &why);
    dlms_simple_response sr;
    (void)dlms_set_response_decode(p, len, &sr, &why);
    (void)dlms_action_response_decode(p, len, &sr, &why);
    int64_t from, to;
    (void)dlms_range_decode(p, len, &from, &to);
    dlms_datetime dt;
    if (dlms_datetime_decode(p, len, &dt)) {
        int64_t ns;
        char text[48];
        (void)dlms_datetime_to_unix_ns(&dt, &ns);
        dlms_datetime_format(&dt, text, sizeof text);
    }
    walk_data(p, len);
    /* glo-ciphered APDUs with the key the bench's meters use */
    static const dlms_keys keys = {{0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09,
                                    0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F},
                                   {0xD0, 0xD1, 0xD2, 0xD3, 0xD4, 0xD5, 0xD6, 0xD7, 0xD8, 0xD9,
                                    0xDA, 0xDB, 0xDC, 0xDD, 0xDE, 0xDF}};
    static const uint8_t title[8] = {'G', 'W', 'B', 'E', 'N', 'C', 'H', '1'};
    static uint8_t plain[HDLC_MAX_FRAME];
    uint32_t fc;
    long n = dlms_cipher_unprotect(&keys, title, p, len, plain, sizeof plain, &fc, &why);
    if (n > (long)sizeof plain)
        abort();
    if (len >= 16)
        (void)dlms_hls_gmac_verify(&keys, title, p, 16, p + 16, len - 16);
}

/* The information field of an I frame starts with the LLC header E6 E7 00. */
static void info_field(const uint8_t *p, size_t len) {
    apdus(p, len);
    if (len >= 3 && p[0] == 0xE6 && p[1] == 0xE7)
        apdus(p + 3, len - 3);
    hdlc_params hp;
    (void)hdlc_params_decode(p, len, &hp);
}

/* The input arrives on a line in pieces: its first byte chooses the piece size. */
static void hdlc_line_bytes(const uint8_t *data, size_t size) {
    static hdlc_stream st;
    memset(&st, 0, sizeof st);
    size_t piece = size ? 1 + data[0] % 64 : 1;
    for (size_t pos = size ? 1 : 0; pos < size;) {
        size_t n = size - pos < piece ? size - pos : piece;
        if (n > hdlc_stream_room(&st)) n = hdlc_stream_room(&st);
        memcpy(st.buf + st.len, data + pos, n);
        st.len += n;
        pos += n;
        hdlc_frame f;
        const uint8_t *raw;
        size_t raw_len;
        const char *why = NULL;
        hdlc_result rc;
        while ((rc = hdlc_stream_next(&st, &f, &raw, &raw_len, &why)) != HDLC_NEED_MORE) {
            if (raw_len == 0 || raw_len > st.len || (rc == HDLC_BAD && !why))
                abort();
            if (rc == HDLC_OK) {
                input = raw; /* what the decoders hand back lies within this frame */
                input_len = raw_len;
                inside(f.info, f.info_len);
                (void)hdlc_kind_name(hdlc_control_kind(f.control));
                info_field(f.info, f.info_len);
            }
        }
    }
    input = data;
    input_len = size;
}

static void wrapper_stream(const uint8_t *data, size_t size) {
    size_t pos = 0;
    while (pos < size) {
        wrapper_pdu pdu;
        const char *why = NULL;
        long n = wrapper_decode(data + pos, size - pos, &pdu, &why);
        if (n <= 0)
            break;
        if ((size_t)n > size - pos)
            abort();
        inside(pdu.apdu, pdu.len);
        apdus(pdu.apdu, pdu.len);
        pos += (size_t)n;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    input = data;
    input_len = size;
    hdlc_line_bytes(data, size);
    wrapper_stream(data, size);
    apdus(data, size);
    return 0;
}
