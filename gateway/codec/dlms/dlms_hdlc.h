/* dlms_hdlc: IEC 62056-46 HDLC frames (frame format type 3), pure codec.
 *
 *   7E | A0|S|len (2) | dest addr | src addr | control | HCS (2) | info | FCS (2) | 7E
 *
 * HCS and FCS are CRC-16/X.25, low byte first. Addresses use 7 bits per byte
 * with bit 0 = 1 on the last byte: the client address is one byte, the server
 * address 1, 2 or 4 bytes (upper = logical device, lower = physical device). */
#ifndef DLMS_HDLC_H
#define DLMS_HDLC_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HDLC_FLAG 0x7E
#define HDLC_MAX_FRAME 2050   /* 11-bit length + 2 flags */
#define HDLC_DEFAULT_INFO 128 /* max information field length before negotiation */
#define HDLC_PF 0x10          /* poll/final bit of the control field */

/* Control field values (P/F bit set where the standard exchange sets it). */
enum {
    HDLC_SNRM = 0x93,
    HDLC_UA = 0x73,
    HDLC_DISC = 0x53,
    HDLC_DM = 0x1F,
    HDLC_FRMR = 0x97,
    HDLC_UI = 0x13,
};

typedef enum { HDLC_KIND_I, HDLC_KIND_RR, HDLC_KIND_RNR, HDLC_KIND_SNRM, HDLC_KIND_UA,
               HDLC_KIND_DISC, HDLC_KIND_DM, HDLC_KIND_FRMR, HDLC_KIND_UI,
               HDLC_KIND_UNKNOWN } hdlc_kind;

/* An HDLC address. size = 1, 2 or 4 bytes on the wire. For a 1-byte address
 * only upper is used (the client address, or a server's upper address). */
typedef struct hdlc_addr {
    uint16_t upper; /* client SAP, or the server's logical device address */
    uint16_t lower; /* the server's physical device address (size 2 and 4) */
    uint8_t size;
} hdlc_addr;

typedef struct hdlc_frame {
    bool segmented;      /* S bit: more segments of this information follow */
    hdlc_addr dest, src;
    uint8_t control;
    const uint8_t *info; /* points into the parsed buffer */
    size_t info_len;
} hdlc_frame;

/* Negotiated link parameters (SNRM/UA information field). */
typedef struct hdlc_params {
    uint16_t max_info_tx, max_info_rx; /* as seen by the sender of the field */
    uint8_t window_tx, window_rx;
} hdlc_params;

uint16_t hdlc_crc16(const uint8_t *bytes, size_t len);

/* Server address from its parts: size 0 picks the smallest that fits
 * (1 byte when lower is 0 and only the upper address is used is NOT chosen:
 * a server always gets 2 bytes unless a part needs 14 bits, then 4). */
hdlc_addr hdlc_server_addr(uint16_t logical, uint16_t physical, uint8_t size);
hdlc_addr hdlc_client_addr(uint8_t client);
bool hdlc_addr_equal(const hdlc_addr *a, const hdlc_addr *b);

/* Encode a complete frame with flags into out. Returns the length, 0 when it
 * does not fit in cap or an address is out of range. */
size_t hdlc_encode(uint8_t *out, size_t cap, const hdlc_addr *dest, const hdlc_addr *src,
                   uint8_t control, bool segmented, const uint8_t *info, size_t info_len);

typedef enum { HDLC_OK, HDLC_NEED_MORE, HDLC_BAD } hdlc_result;

/* Look for one frame at the start of buf (leading bytes that are not a flag
 * are skipped). HDLC_OK: *f filled, *used = bytes consumed including skipped
 * ones. HDLC_NEED_MORE: incomplete, *used = garbage that may be dropped.
 * HDLC_BAD: *used bytes must be dropped, *why says what was wrong. */
hdlc_result hdlc_decode(const uint8_t *buf, size_t len, hdlc_frame *f, size_t *used,
                        const char **why);

/* Bytes of a serial line from which frames are taken one at a time (both the
 * gateway's client and the bench's meters read HDLC this way). Append what
 * arrives at buf + len (at most hdlc_stream_room() bytes), then call
 * hdlc_stream_next() until it returns HDLC_NEED_MORE. */
typedef struct {
    uint8_t buf[HDLC_MAX_FRAME * 2];
    size_t len;
    size_t taken; /* bytes of the frame returned last: dropped by the next call */
} hdlc_stream;

/* Room left at buf + len; a buffer full of noise without a frame is emptied. */
size_t hdlc_stream_room(hdlc_stream *s);
/* The next frame: HDLC_OK (*f, whose info points into the buffer until the next
 * call) or HDLC_BAD (*why), its raw bytes (skipped noise included) in
 * raw and raw_len (either may be NULL); HDLC_NEED_MORE once only an incomplete frame is left. */
hdlc_result hdlc_stream_next(hdlc_stream *s, hdlc_frame *f, const uint8_t **raw, size_t *raw_len,
                             const char **why);

hdlc_kind hdlc_control_kind(uint8_t control);
const char *hdlc_kind_name(hdlc_kind kind);
static inline uint8_t hdlc_ctrl_i(unsigned nr, unsigned ns, bool pf) {
    return (uint8_t)(((nr & 7) << 5) | (pf ? HDLC_PF : 0) | ((ns & 7) << 1));
}
static inline uint8_t hdlc_ctrl_rr(unsigned nr, bool pf) {
    return (uint8_t)(((nr & 7) << 5) | (pf ? HDLC_PF : 0) | 0x01);
}
static inline unsigned hdlc_ctrl_nr(uint8_t c) { return (c >> 5) & 7; }
static inline unsigned hdlc_ctrl_ns(uint8_t c) { return (c >> 1) & 7; }

/* SNRM/UA parameter field: 81 80 len {05 06 07 08 params}. An empty field
 * means the defaults (128 bytes, window 1). Returns length written (0 = no room). */
size_t hdlc_params_encode(uint8_t *out, size_t cap, const hdlc_params *p);
bool hdlc_params_decode(const uint8_t *in, size_t len, hdlc_params *p);
/* LLC headers at the start of I-frame information. */
extern const uint8_t HDLC_LLC_REQUEST[3];  /* E6 E6 00 */
extern const uint8_t HDLC_LLC_RESPONSE[3]; /* E6 E7 00 */
#endif
