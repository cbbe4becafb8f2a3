/* The host protocol of the IMST iM871A radio module ("WMBus HCI"): frames
 * between a host and a wireless M-Bus radio module on a UART, as the
 * gateway's driver and the bench's module emulator both speak it.
 *
 *   SOF A5 | CTRL<<4 | ENDPOINT | MSG | LEN | PAYLOAD | [TS 4] | [RSSI 1] | [CRC 2]
 *
 * Pure: bytes in, structs out, and back. No I/O, no clock, no allocation.
 * The facts come from ../shared/spec/radio-module-im871a.md. */
#ifndef IM871A_H
#define IM871A_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IM_SOF 0xA5
#define IM_HEADER_LEN 4          /* SOF, CTRL/EP, MSG, LEN */
#define IM_FRAME_MAX (IM_HEADER_LEN + 255 + 4 + 1 + 2)

/* control bits (high nibble of byte 1) */
enum { IM_CTRL_RESERVED = 0x1, IM_CTRL_TIMESTAMP = 0x2, IM_CTRL_RSSI = 0x4, IM_CTRL_CRC = 0x8 };

/* endpoints */
enum { IM_EP_DEVMGMT = 0x01, IM_EP_RADIOLINK = 0x02, IM_EP_RADIOTEST = 0x03, IM_EP_HWTEST = 0x04 };

/* device management message ids (requests; the response is request + 1) */
enum {
    IM_PING_REQ = 0x01, IM_PING_RSP = 0x02,
    IM_SET_CONFIG_REQ = 0x03, IM_SET_CONFIG_RSP = 0x04,
    IM_GET_CONFIG_REQ = 0x05, IM_GET_CONFIG_RSP = 0x06,
    IM_RESET_REQ = 0x07, IM_RESET_RSP = 0x08,
    IM_FACTORY_RESET_REQ = 0x09, IM_FACTORY_RESET_RSP = 0x0A,
    IM_GET_DEVICEINFO_REQ = 0x0F, IM_GET_DEVICEINFO_RSP = 0x10,
    IM_GET_FWINFO_REQ = 0x13, IM_GET_FWINFO_RSP = 0x14,
};
/* radio link message ids */
enum { IM_WMBUSMSG_REQ = 0x01, IM_WMBUSMSG_RSP = 0x02, IM_WMBUSMSG_IND = 0x03 };

/* Link modes as SET_CONFIG numbers them. */
enum {
    IM_MODE_S1 = 0, IM_MODE_S1M = 1, IM_MODE_S2 = 2, IM_MODE_T1 = 3, IM_MODE_T2 = 4,
    IM_MODE_R2 = 5, IM_MODE_C1A = 6, IM_MODE_C1B = 7, IM_MODE_C2A = 8, IM_MODE_C2B = 9,
    IM_MODE_CT = 10,
};
/* "S1", "T1", "C1A", "CT", ...; NULL for numbers it does not name. */
const char *im_mode_name(unsigned mode);
/* Case-insensitive name → number; "C1" means C1A. -1 when unknown. */
int im_mode_parse(const char *name);

/* CRC-16 of the HCI (CCITT reflected, 0x8408, init FFFF), not yet inverted. */
uint16_t im_crc16(const uint8_t *data, size_t len);

typedef struct im_frame {
    uint8_t ctrl;             /* IM_CTRL_* bits */
    uint8_t endpoint, msg;
    uint8_t len;
    const uint8_t *payload;   /* points into the parsed buffer */
    bool has_timestamp, has_rssi, has_crc;
    uint32_t timestamp;       /* module ticks (little-endian on the line) */
    uint8_t rssi;             /* raw RSSI byte, see im_rssi_dbm */
} im_frame;

/* Length of the frame starting at buf[0] once its header is known: 0 when
 * fewer than IM_HEADER_LEN bytes are there, -1 when buf[0] is not SOF. */
long im_frame_needed(const uint8_t *buf, size_t n);

/* Parse one complete frame (n = im_frame_needed). false with a reason when
 * the reserved bit is set or the CRC is wrong. */
bool im_frame_parse(const uint8_t *buf, size_t n, im_frame *f, char *why, size_t why_cap);

/* Encode a frame; the optional fields are added for the ctrl bits given.
 * Returns the length, 0 when cap is too small. */
size_t im_frame_encode(uint8_t *out, size_t cap, uint8_t ctrl, uint8_t endpoint, uint8_t msg,
                       const uint8_t *payload, uint8_t len, uint32_t timestamp, uint8_t rssi);

/* RSSI byte ↔ dBm: -100 dBm at 45, 0 dBm at 230 and above, linear between
 * (and below 45). */
double im_rssi_dbm(uint8_t raw);
uint8_t im_rssi_raw(double dbm);

/* The parts of SET_CONFIG / GET_CONFIG a receiver needs. Other fields are
 * skipped when parsing and never sent. */
typedef struct im_config {
    bool save;                /* SET_CONFIG only: 1 = write to flash */
    bool has_link_mode;
    uint8_t link_mode;
    bool has_rssi, rssi_on;   /* IIFlag2 0x10: attach RSSI to received telegrams */
    bool has_timestamp, timestamp_on; /* IIFlag2 0x20: attach the RX timestamp */
} im_config;

/* SET_CONFIG payload (with the leading save byte). Returns its length. */
size_t im_config_encode_set(const im_config *c, uint8_t *out, size_t cap);
/* GET_CONFIG response payload: the same fields without the save byte. */
size_t im_config_encode_get(const im_config *c, uint8_t *out, size_t cap);
/* Parse either layout (with_save: SET_CONFIG request). false when the
 * fields run past n. */
bool im_config_parse(const uint8_t *p, size_t n, bool with_save, im_config *c);
#endif
