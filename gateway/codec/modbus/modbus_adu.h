/* modbus_adu: Modbus application data units on the wire (pure, no I/O).
 *
 * TCP: MBAP header (transaction id, protocol id 0, length of what follows,
 * unit id) + PDU. RTU: unit id + PDU + CRC-16 (low byte first).
 * The framers tell, from the bytes received so far, how long the whole ADU is,
 * so a reader on the event loop knows when a frame is complete without
 * waiting on a timeout. */
#ifndef GW_MODBUS_ADU_H
#define GW_MODBUS_ADU_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MB_ADU_MAX 260 /* RTU 256, TCP 260 */
#define MB_TCP_HEADER 7

enum {
    MB_FC_READ_COILS = 0x01,
    MB_FC_READ_DISCRETE = 0x02,
    MB_FC_READ_HOLDING = 0x03,
    MB_FC_READ_INPUT = 0x04,
    MB_FC_WRITE_COIL = 0x05,
    MB_FC_WRITE_REGISTER = 0x06,
    MB_FC_WRITE_COILS = 0x0F,
    MB_FC_WRITE_REGISTERS = 0x10,
    MB_FC_DEVICE_ID = 0x2B,
};

enum {
    MB_EX_ILLEGAL_FUNCTION = 0x01,
    MB_EX_ILLEGAL_ADDRESS = 0x02,
    MB_EX_ILLEGAL_VALUE = 0x03,
    MB_EX_DEVICE_FAILURE = 0x04,
    MB_EX_GATEWAY_TARGET = 0x0B,
};

/* Most items one read may ask for (Modbus Application Protocol v1.1b3). */
#define MB_MAX_READ_BITS 2000
#define MB_MAX_READ_REGISTERS 125

uint16_t mb_crc16(const uint8_t *bytes, size_t n);

/* Length of the whole ADU given the first `have` bytes: > 0 the length, 0 when
 * more bytes are needed to tell, -1 when the bytes cannot start a valid ADU.
 * An RTU request of an unknown function code returns -1 (its length cannot
 * be known; a server answers nothing and resynchronises on silence). */
int mb_tcp_adu_length(const uint8_t *b, size_t have);
int mb_rtu_request_length(const uint8_t *b, size_t have);
int mb_rtu_response_length(const uint8_t *b, size_t have);
/* Check the CRC of a complete RTU ADU. */
bool mb_rtu_crc_ok(const uint8_t *adu, size_t len);

/* A read request's fields (function 1..4): the PDU starts at the function code. */
typedef struct mb_read_req {
    uint8_t function;
    uint16_t address, count;
} mb_read_req;
bool mb_parse_read_req(const uint8_t *pdu, size_t len, mb_read_req *out);
/* Build a read request PDU (5 bytes) into out. */
size_t mb_build_read_req(const mb_read_req *req, uint8_t *out);

/* Check a response PDU to a read request: returns 0 when it carries the
 * requested items (values then start at pdu + 2), the exception code (> 0)
 * for an exception response, or -1 when it does not match the request. */
int mb_check_read_rsp(const mb_read_req *req, const uint8_t *pdu, size_t len);
/* Item i of a read response's data: a register, or a bit (0/1). */
uint16_t mb_rsp_register(const uint8_t *pdu, unsigned i);
unsigned mb_rsp_bit(const uint8_t *pdu, unsigned i);

/* Wrap a PDU into an ADU. Return the ADU length. */
size_t mb_tcp_wrap(uint16_t tid, uint8_t unit, const uint8_t *pdu, size_t len, uint8_t *out);
size_t mb_rtu_wrap(uint8_t unit, const uint8_t *pdu, size_t len, uint8_t *out);
/* Build a read response PDU for function 1..4 from items (registers or 0/1 bits). */
size_t mb_build_read_rsp(uint8_t function, const uint16_t *items, unsigned count, uint8_t *out);
size_t mb_build_exception(uint8_t function, uint8_t code, uint8_t *out);
#endif
