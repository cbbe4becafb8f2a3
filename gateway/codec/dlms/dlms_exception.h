/* dlms_exception: what a COSEM server says when it cannot take a request at
 * all (IEC 62056-5-3 ExceptionResponse), and the reverse lookup of COSEM unit
 * symbols that a server serving scaled values needs. Pure codec.
 *
 *   D8 | state-error (1: service-not-allowed, 2: service-unknown)
 *      | service-error choice (1 operation-not-possible, 2 service-not-supported,
 *        3 other-reason, 4 pdu-too-long, 5 deciphering-error,
 *        6 invocation-counter-error + the expected counter, u32) */
#ifndef DLMS_EXCEPTION_H
#define DLMS_EXCEPTION_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "codec/dlms/dlms_axdr.h"

enum { DLMS_STATE_SERVICE_NOT_ALLOWED = 1, DLMS_STATE_SERVICE_UNKNOWN = 2 };
enum { DLMS_SERVICE_OPERATION_NOT_POSSIBLE = 1, DLMS_SERVICE_NOT_SUPPORTED = 2,
       DLMS_SERVICE_OTHER_REASON = 3, DLMS_SERVICE_PDU_TOO_LONG = 4,
       DLMS_SERVICE_DECIPHERING_ERROR = 5, DLMS_SERVICE_INVOCATION_COUNTER_ERROR = 6 };

typedef struct dlms_exception {
    uint8_t state_error;
    uint8_t service_error;
    uint32_t invocation_counter; /* service error 6 only */
} dlms_exception;

void dlms_exception_encode(axdr_writer *w, const dlms_exception *e);
bool dlms_exception_decode(const uint8_t *p, size_t len, dlms_exception *e, const char **why);
const char *dlms_service_error_text(uint8_t service_error);

/* COSEM unit code of a symbol dlms_unit_name() returns ("Wh" -> 30); 255
 * ("count", no unit) for "" and for symbols COSEM has no code for. */
int dlms_unit_code(const char *symbol);
#endif
