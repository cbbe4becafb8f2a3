/* report_mail: one report as an Internet message (RFC 5322, MIME): a short
 * text part and the report as an attachment named by the report's name, in
 * base64 so the bytes arrive exactly as rendered (SMTP would otherwise touch
 * line ends and leading dots). The headers carry the report id (X-Report-Id,
 * and a Message-ID made from it, the same on every redelivery), the name and
 * the CMe3100 template number. CRLF line ends throughout. Pure. */
#ifndef GW_REPORT_MAIL_H
#define GW_REPORT_MAIL_H
#include <stddef.h>

#include "store/store.h"

typedef struct rpt_mail {
    const char *from;
    char *const *to;
    size_t n_to;
    const char *gateway, *instance;
    int template_no; /* 0: none */
} rpt_mail;

/* The message for msg (malloc'd, *len bytes, NUL-terminated); NULL when out of
 * memory. The Date is the report's creation time. */
char *report_mail_build(const rpt_mail *m, const store_msg *msg, size_t *len);
#endif
