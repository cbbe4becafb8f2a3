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

/* Read path's gateway: iec104: section into b (b->known false when there is
 * none or it cannot be read: the checks then leave CA and IOAs alone). */
void import_base_read_iec104(const char *path, import_base_iec104 *b);
/* The type name the base maps ioa to, or NULL when it does not map it. */
const char *import_base_ioa_type(const import_base_iec104 *b, uint32_t ioa);
#endif
