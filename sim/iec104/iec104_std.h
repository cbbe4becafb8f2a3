/* iec104_std: what IEC 60870-5-101/104 says about an APDU, for the bench's
 * importers (an independent reading: the gateway's codec is what is tested,
 * so the import does not ask it which frames and objects a capture holds).
 *
 *  - the APCI: start 0x68, length 4..253, and the control field's format
 *    (I: bit 0 of octet 1 clear; S: 01 00 and an even receive number;
 *    U: exactly one of the six functions, the other octets 0);
 *  - the ASDU's data unit identifier and, per type identification, the size
 *    of one information element (with its time tag), so an ASDU of a type
 *    the bench does not compare still counts as its objects.
 * A stream of one TCP direction is cut into pieces: APDUs, garbage (bytes that
 * cannot start an APDU, up to the next 0x68 that starts a valid one — as
 * Wireshark's dissector resynchronises), and an incomplete tail. */
#ifndef SIM_IEC104_STD_H
#define SIM_IEC104_STD_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum { I104_PIECE_APDU, I104_PIECE_GARBAGE, I104_PIECE_TAIL } i104_piece_kind;

typedef struct i104_piece {
    i104_piece_kind kind;
    size_t at, len;     /* offset in the stream, octets */
    char format;        /* APDU: 'I', 'S' or 'U' */
} i104_piece;

/* The format ('I', 'S', 'U') of the complete APDU b[0..len), or 0 when the
 * standard does not allow it. */
char i104_apci_format(const uint8_t *b, size_t len);
/* The piece of stream b[0..n) that starts at pos (pos < n). */
i104_piece i104_next_piece(const uint8_t *b, size_t n, size_t pos);

/* Octets of one information element of type (time tag included, IOA not),
 * -1 when the standard defines no such type (or its size varies). */
int i104_element_size(uint8_t type);
/* The standard's name of a type ("M_ST_NA_1"), or NULL. */
const char *i104_type_name(uint8_t type);

/* The data unit identifier of an ASDU and its objects counted by the standard. */
typedef struct i104_dui {
    uint8_t type, n, cot, oa;
    bool sq, negative, test;
    uint16_t ca;
    bool size_ok;       /* the length matches type, SQ and number of objects */
} i104_dui;
/* 0, or -1 when the ASDU is shorter than its 6-octet identifier. */
int i104_read_dui(const uint8_t *asdu, size_t len, i104_dui *out);
#endif
