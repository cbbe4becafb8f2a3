/* The one place that fills wireless codec errors. */
#include <stdarg.h>
#include <stdio.h>
#include "codec/wmbus/wmbus_internal.h"

wmbus_err_code wmbus_fail(wmbus_error *err, wmbus_err_code code, size_t offset, const char *fmt,
                          ...) {
    if (!err)
        return code;
    err->code = code;
    err->offset = offset;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return code;
}

void wmbus_ok(wmbus_error *err) {
    if (!err)
        return;
    err->code = WMBUS_OK;
    err->offset = 0;
    err->msg[0] = '\0';
}
