/* Typed decoding errors of the M-Bus codec: what is wrong, at which byte. */
#ifndef MBUS_ERROR_H
#define MBUS_ERROR_H
#include <stddef.h>

typedef enum {
    MBUS_OK = 0,
    MBUS_ERR_INCOMPLETE,     /* more bytes needed (streaming); not a fault yet */
    MBUS_ERR_START,          /* first byte is not E5/10/68 */
    MBUS_ERR_LENGTH,         /* L fields differ, or L too small/large */
    MBUS_ERR_CHECKSUM,
    MBUS_ERR_STOP,           /* missing 0x16 */
    MBUS_ERR_TOO_LONG,       /* more bytes than the frame says */
    MBUS_ERR_CI,             /* CI field not supported */
    MBUS_ERR_HEADER,         /* application header truncated */
    MBUS_ERR_DIF,            /* DIF/DIFE chain truncated or too long */
    MBUS_ERR_VIF,            /* VIF/VIFE chain truncated or too long, bad plain text VIF */
    MBUS_ERR_DATA,           /* data shorter than its DIF says, bad LVAR */
    MBUS_ERR_TOO_MANY_RECORDS,
    MBUS_ERR_APPLICATION,    /* slave reported an application error (CI 0x70) */
    MBUS_ERR_ENCRYPTED,      /* payload is encrypted and cannot be read here */
    MBUS_ERR_ARGUMENT,       /* caller error: buffer too small, bad parameter */
} mbus_err_code;

typedef struct mbus_error {
    mbus_err_code code;
    size_t offset;  /* byte offset in the buffer handed to the decoder */
    char msg[128];  /* human readable, includes the offset */
} mbus_error;

const char *mbus_err_name(mbus_err_code code);
#endif
