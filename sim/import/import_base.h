/* import_base: what the --base scenario's gateway serves over IEC 104 — its
 * common address and the IOAs of its mapping with their types — so that an
 * import can tell whether a capture was made against the same configuration
 * (else it checks the protocol only) and which negative confirmation the
 * standard demands for a recorded command (unknown CA, unknown IOA). */
#ifndef SIM_IMPORT_BASE_H
#define SIM_IMPORT_BASE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IMPORT_BASE_MAX_IOAS 4096

typedef struct import_base_iec104 {
    bool known;          /* the base has a gateway: iec104: section */
    unsigned ca;         /* common_address (default 1) */
    size_t n;
    uint32_t ioa[IMPORT_BASE_MAX_IOAS];
    char type[IMPORT_BASE_MAX_IOAS][12]; /* "M_ME_NC_1", "C_SC_NA_1" */
} import_base_iec104;

/* What the base's gateway serves over Modbus TCP (modbus_server: with
 * mapping groups; a MUC500 `layout:` is not read: known stays false). */
#define IMPORT_BASE_MAX_MAPPINGS 4096
typedef struct import_base_modbus {
    bool known;
    int unit_id;        /* -1: any unit */
    size_t n;
    uint8_t bank[IMPORT_BASE_MAX_MAPPINGS];      /* 1 coils, 2 discrete, 3 holding, 4 input (= read function) */
    uint16_t address[IMPORT_BASE_MAX_MAPPINGS];
    uint8_t count[IMPORT_BASE_MAX_MAPPINGS];     /* registers (bits) it covers */
} import_base_modbus;

void import_base_read_modbus(const char *path, import_base_modbus *b);
/* Does the base map every register (bit) of [address, address + count) of
 * the bank read by function fc (1..4)? */
bool import_base_modbus_covers(const import_base_modbus *b, unsigned fc, unsigned address, unsigned count);

/* Read path's gateway: iec104: section into b (b->known false when there is
 * none or it cannot be read: the checks then leave CA and IOAs alone). */
void import_base_read_iec104(const char *path, import_base_iec104 *b);
/* The type name the base maps ioa to, or NULL when it does not map it. */
const char *import_base_ioa_type(const import_base_iec104 *b, uint32_t ioa);
/* The base scenario's start: in ns since 1970 (the time a `hil run --pcapng`
 * of it stamps its first frame with, plus that frame's scenario time); false
 * when it runs in real time or cannot be read. */
bool import_base_start_ns(const char *path, int64_t *out);
#endif
