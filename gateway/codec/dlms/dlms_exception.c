/* dlms_exception: ExceptionResponse and unit symbols back to codes (see dlms_exception.h). */
#include "codec/dlms/dlms_exception.h"

#include <string.h>

#include "codec/dlms/dlms_apdu.h"

void dlms_exception_encode(axdr_writer *w, const dlms_exception *e) {
    axdr_put_u8(w, APDU_EXCEPTION_RESPONSE);
    axdr_put_u8(w, e->state_error);
    axdr_put_u8(w, e->service_error);
    if (e->service_error == DLMS_SERVICE_INVOCATION_COUNTER_ERROR) axdr_put_u32(w, e->invocation_counter);
}

bool dlms_exception_decode(const uint8_t *p, size_t len, dlms_exception *e, const char **why) {
    axdr_reader r;
    uint8_t tag;
    memset(e, 0, sizeof *e);
    axdr_reader_init(&r, p, len);
    if (!axdr_u8(&r, &tag) || tag != APDU_EXCEPTION_RESPONSE) {
        *why = "not an exception response";
        return false;
    }
    if (!axdr_u8(&r, &e->state_error) || !axdr_u8(&r, &e->service_error)) {
        *why = "exception response cut short";
        return false;
    }
    if (e->state_error < 1 || e->state_error > 2) {
        *why = "unknown state error";
        return false;
    }
    if (e->service_error < 1 || e->service_error > 6) {
        *why = "unknown service error";
        return false;
    }
    if (e->service_error == DLMS_SERVICE_INVOCATION_COUNTER_ERROR &&
        !axdr_u32(&r, &e->invocation_counter)) {
        *why = "invocation counter missing";
        return false;
    }
    return true;
}

const char *dlms_service_error_text(uint8_t service_error) {
    switch (service_error) {
    case DLMS_SERVICE_OPERATION_NOT_POSSIBLE: return "operation-not-possible";
    case DLMS_SERVICE_NOT_SUPPORTED: return "service-not-supported";
    case DLMS_SERVICE_OTHER_REASON: return "other-reason";
    case DLMS_SERVICE_PDU_TOO_LONG: return "pdu-too-long";
    case DLMS_SERVICE_DECIPHERING_ERROR: return "deciphering-error";
    case DLMS_SERVICE_INVOCATION_COUNTER_ERROR: return "invocation-counter-error";
    default: return "unknown";
    }
}

/* The names table lives with the decoder (dlms_axdr.c); a server has few
 * units to look up, once per answer, so walking the 254 codes is cheap. */
int dlms_unit_code(const char *symbol) {
    if (!symbol || !*symbol) return 255;
    for (int code = 1; code < 255; code++)
        if (strcmp(dlms_unit_name(code), symbol) == 0) return code;
    return 255;
}
