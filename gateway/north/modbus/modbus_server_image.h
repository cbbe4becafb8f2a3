/* modbus_server_image: what the Modbus server answers — per unit id, four banks
 * (coils, discrete inputs, input registers, holding registers) of 16-bit items
 * with a "defined" mark each, so reads of unmapped addresses can be refused.
 * Banks grow to the highest address written. Pure data, no I/O. */
#ifndef GW_MODBUS_SERVER_IMAGE_H
#define GW_MODBUS_SERVER_IMAGE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum { MBS_COILS, MBS_DISCRETE, MBS_INPUT, MBS_HOLDING } mbs_bank;
#define MBS_ANY_UNIT (-1) /* the image answered for every unit id */

typedef struct mbs_bank_data {
    uint16_t *items;
    uint8_t *defined;
    uint32_t n; /* items allocated */
} mbs_bank_data;

typedef struct mbs_unit {
    int id; /* 0..255, or MBS_ANY_UNIT */
    mbs_bank_data bank[4];
} mbs_unit;

typedef struct mbs_image {
    mbs_unit *units;
    size_t n;
} mbs_image;

/* Name in configuration files: coils, discrete (or contact), input, holding. */
bool mbs_bank_parse(const char *name, mbs_bank *out);
const char *mbs_bank_name(mbs_bank b);
/* The bank a read function code (1..4) reads. */
mbs_bank mbs_bank_of_function(uint8_t function);

mbs_unit *mbs_image_unit(mbs_image *img, int id, bool create);
const mbs_unit *mbs_image_find(const mbs_image *img, int id);
/* Write n items from address on; -1 when out of memory or past 65535. */
int mbs_image_write(mbs_image *img, int unit, mbs_bank b, uint32_t address, const uint16_t *items,
                    size_t n);
/* Copy a range out; false when any address of it is not defined. */
bool mbs_image_read(const mbs_unit *u, mbs_bank b, uint32_t address, uint32_t n, uint16_t *out);
/* Forget every item of every unit (before a layout is rebuilt). */
void mbs_image_clear(mbs_image *img);
void mbs_image_free(mbs_image *img);
#endif
