/* Error names and the one place that formats error messages. */
#include <stdarg.h>
#include <stdio.h>
#include "codec/mbus/mbus_internal.h"

const char *mbus_err_name(mbus_err_code code) {
    switch (code) {
    case MBUS_OK: return "ok";
    case MBUS_ERR_INCOMPLETE: return "incomplete";
    case MBUS_ERR_START: return "bad start byte";
    case MBUS_ERR_LENGTH: return "bad length";
    case MBUS_ERR_CHECKSUM: return "bad checksum";
    case MBUS_ERR_STOP: return "missing stop byte";
    case MBUS_ERR_TOO_LONG: return "trailing bytes";
    case MBUS_ERR_CI: return "unsupported CI";
    case MBUS_ERR_HEADER: return "truncated header";
    case MBUS_ERR_DIF: return "bad DIF";
    case MBUS_ERR_VIF: return "bad VIF";
    case MBUS_ERR_DATA: return "bad data";
    case MBUS_ERR_TOO_MANY_RECORDS: return "too many records";
    case MBUS_ERR_APPLICATION: return "application error";
    case MBUS_ERR_ENCRYPTED: return "encrypted";
    case MBUS_ERR_ARGUMENT: return "bad argument";
    }
    return "unknown error";
}

mbus_err_code mbus_fail(mbus_error *err, mbus_err_code code, size_t offset, const char *fmt, ...) {
    if (!err)
        return code;
    err->code = code;
    err->offset = offset;
    int n = snprintf(err->msg, sizeof err->msg, "at byte %zu: ", offset);
    if (n < 0 || (size_t)n >= sizeof err->msg)
        return code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg + n, sizeof err->msg - (size_t)n, fmt, ap);
    va_end(ap);
    return code;
}

void mbus_ok(mbus_error *err) {
    if (!err)
        return;
    err->code = MBUS_OK;
    err->offset = 0;
    err->msg[0] = '\0';
}
