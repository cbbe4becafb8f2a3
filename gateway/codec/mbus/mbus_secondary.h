/* Secondary addresses (EN 13757-3 selection with CI 0x52): one type for a
 * meter's concrete address and for a select mask.
 *
 * An address is 8 BCD id digits, manufacturer, version and medium, the 8 bytes
 * a select telegram carries. Any nibble of 0xF is a wildcard, so a mask is the
 * same struct: "12FFFFFFFFFFFFFF" selects every meter whose id starts with 12.
 * A concrete address has no F nibble in its id (F is no BCD digit); the other
 * fields may hold an F nibble, which a mask then cannot tell from a wildcard.
 *
 * Nibbles are numbered as the 16-character text "IIIIIIIIMMMMVVDD" shows them:
 * 0 is the id's most significant digit, 15 the medium's low nibble. Text is for
 * the edges (configuration, logs, reports); everything else uses the struct. */
#ifndef MBUS_SECONDARY_H
#define MBUS_SECONDARY_H
#include <stdbool.h>
#include <stdint.h>

#define MBUS_SECONDARY_NIBBLES 16   /* nibbles of an address, characters of its text */
#define MBUS_SECONDARY_ID_NIBBLES 8 /* the BCD id digits come first */
#define MBUS_SECONDARY_TEXT 17      /* the text with its terminating NUL */
#define MBUS_NIBBLE_WILDCARD 0xF

typedef struct mbus_secondary {
    uint32_t id_bcd;  /* BCD digits as a 32-bit value, e.g. 0x12345678 */
    uint16_t manufacturer;
    uint8_t version, medium;
} mbus_secondary;

/* The mask that selects every meter: all nibbles F. */
mbus_secondary mbus_secondary_any(void);

/* Encode the 8 bytes of a select telegram's data; parse them back. */
void mbus_secondary_encode(const mbus_secondary *sa, uint8_t out[8]);
void mbus_secondary_decode(const uint8_t in[8], mbus_secondary *sa);

/* Does an address match a mask, nibble by nibble (F in the mask = any)? */
bool mbus_secondary_match(const mbus_secondary *mask, const mbus_secondary *addr);
/* The same 16 nibbles (the same mask, or the same address). */
bool mbus_secondary_equal(const mbus_secondary *a, const mbus_secondary *b);

/* Nibble pos (0..15, in text order) and setting it to value (0..15). */
unsigned mbus_secondary_nibble(const mbus_secondary *sa, int pos);
void mbus_secondary_set_nibble(mbus_secondary *sa, int pos, unsigned value);
/* The first wildcard nibble, or -1 when there is none. */
int mbus_secondary_first_wildcard(const mbus_secondary *sa);
/* Is every id digit fixed (no wildcard among the first 8 nibbles)? */
bool mbus_secondary_id_complete(const mbus_secondary *sa);

/* 16 upper-case hex characters "IIIIIIIIMMMMVVDD" (id, manufacturer, version,
 * medium), wildcards as F. */
void mbus_secondary_format(const mbus_secondary *sa, char out[MBUS_SECONDARY_TEXT]);
/* Exactly 16 hex characters, either case; id digits must be 0-9 or F. */
bool mbus_secondary_parse(const char *text, mbus_secondary *sa);
/* As written in a configuration: 16 hex characters as above, or the 8 id digits
 * alone (manufacturer, version and medium then wildcards). NULL is malformed. */
bool mbus_secondary_parse_mask(const char *text, mbus_secondary *sa);
#endif
