/* modbus_client internals (configuration and polling). */
#ifndef GW_MODBUS_CLIENT_INT_H
#define GW_MODBUS_CLIENT_INT_H
#include <stdint.h>
#include "codec/modbus/modbus_adu.h"
#include "codec/modbus/modbus_value.h"
#include "south/modbus/modbus_client.h"

enum { MBC_SLOW, MBC_NORMAL, MBC_FAST, MBC_GROUPS };

typedef struct mbc_register {
    const char *id;     /* point id is <device>/<id> */
    uint8_t function;   /* 1 coils, 2 discrete, 3 holding, 4 input */
    uint16_t address;
    mbv_format format;
    mbv_order order;
    double scale;       /* published value = decoded * scale */
    const char *unit;
    const char *quantity; /* "energy", "voltage", ...; the id when not configured */
    int group;
} mbc_register;

typedef struct mbc_device {
    const char *name;
    const char *host;   /* TCP, or NULL */
    long long port;
    const char *serial_device; /* RTU, or NULL */
    long long baud, stop_bits;
    char parity;
    long long unit_id, retries;
    int64_t timeout_ns;
    const char *serial, *manufacturer;
    long long medium;
    mbc_register *regs;
    size_t n_regs;
} mbc_device;

struct modbus_client_config {
    bool optimize;
    int64_t interval_ns[MBC_GROUPS];
    mbc_device *devices;
    size_t n_devices;
};

/* A block read: one request covering registers [first, first+n) of a device's list. */
typedef struct mbc_block {
    mb_read_req req;
    size_t first, n;    /* indices into the device's regs (sorted by function, address) */
} mbc_block;

/* Plan the requests of one group (regs sorted by function then address).
 * Returns the number of blocks written to out (cap at least n_regs). */
size_t mbc_plan(const mbc_device *dev, int group, bool optimize, mbc_block *out, size_t cap);
#endif
