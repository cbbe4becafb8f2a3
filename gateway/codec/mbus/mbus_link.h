/* M-Bus link layer (EN 13757-2 / IEC 60870-5-2 FT1.2): single character E5,
 * short frame 10 C A CS 16, control frame 68 03 03 68 C A CI CS 16 and long frame
 * 68 L L 68 C A CI data CS 16. Pure: bytes in, struct out, and back. */
#ifndef MBUS_LINK_H
#define MBUS_LINK_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "codec/mbus/mbus_error.h"
#include "codec/mbus/mbus_secondary.h"

/* C field values */
#define MBUS_C_SND_NKE 0x40
#define MBUS_C_SND_UD 0x53   /* | 0x20 for FCB */
#define MBUS_C_REQ_UD2 0x5B  /* | 0x20 for FCB */
#define MBUS_C_REQ_UD1 0x5A
#define MBUS_C_RSP_UD 0x08
#define MBUS_C_FCB 0x20
#define MBUS_C_FCV 0x10

#define MBUS_ADDR_SELECTED 0xFD
#define MBUS_ADDR_BROADCAST_REPLY 0xFE
#define MBUS_ADDR_BROADCAST 0xFF

#define MBUS_CI_SELECT 0x52      /* secondary address selection */
#define MBUS_CI_APP_RESET 0x50
#define MBUS_CI_DATA_SEND 0x51

#define MBUS_FRAME_MAX 261       /* 4 + 255 + 2 */

typedef enum { MBUS_FRAME_ACK, MBUS_FRAME_SHORT, MBUS_FRAME_CONTROL, MBUS_FRAME_LONG } mbus_frame_kind;

typedef struct mbus_frame {
    mbus_frame_kind kind;
    uint8_t c, a, ci;       /* c/a: short, control, long; ci: control, long */
    const uint8_t *data;    /* user data after CI (points into the input buffer) */
    size_t data_len;
    size_t frame_len;       /* bytes the whole frame occupies */
} mbus_frame;

/* How many bytes the frame starting at buf will take: 0 when not yet known
 * (no byte yet, or fewer than 2 bytes of a long frame), else the total length.
 * err->code is MBUS_OK unless the bytes already seen cannot start a frame:
 * MBUS_ERR_START for a bad first byte (or a second 68 that is not 68),
 * MBUS_ERR_LENGTH for L < 3 or differing L fields; 0 is returned then. */
size_t mbus_frame_needed(const uint8_t *buf, size_t len, mbus_error *err);

/* Parse one frame at buf. Returns MBUS_OK and fills *out, or an error (incl.
 * MBUS_ERR_INCOMPLETE when len is shorter than the frame). Bytes after the
 * frame are left alone (out->frame_len says where it ends). */
mbus_err_code mbus_frame_parse(const uint8_t *buf, size_t len, mbus_frame *out, mbus_error *err);

/* Like mbus_frame_parse, but bytes after the frame are an error
 * (MBUS_ERR_TOO_LONG at the first extra byte): for a buffer holding one frame. */
mbus_err_code mbus_frame_parse_exact(const uint8_t *buf, size_t len, mbus_frame *out,
                                     mbus_error *err);

/* Encoders; return the frame length, 0 when cap is too small. */
size_t mbus_encode_ack(uint8_t *out, size_t cap);
size_t mbus_encode_short(uint8_t *out, size_t cap, uint8_t c, uint8_t a);
size_t mbus_encode_long(uint8_t *out, size_t cap, uint8_t c, uint8_t a, uint8_t ci,
                        const uint8_t *data, size_t data_len);

#endif
