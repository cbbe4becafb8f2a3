/* report_mail: a report as an e-mail message (report_mail.h). */
#include "north/report/report_mail.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"

typedef struct buf {
    char *data;
    size_t len, cap;
    bool failed;
} buf;

static void put(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(buf *b, const char *fmt, ...) {
    for (int pass = 0; pass < 2 && !b->failed; pass++) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->failed = true;
        } else if ((size_t)n < b->cap - b->len) {
            b->len += (size_t)n;
            return;
        } else {
            size_t cap = 2 * b->cap + (size_t)n + 1;
            char *grown = realloc(b->data, cap);
            if (!grown)
                b->failed = true;
            b->data = grown ? grown : b->data;
            b->cap = cap;
        }
    }
}

/* "Mon, 07 Dec 2026 12:00:00 +0000": English names whatever the locale. */
static void mail_date(int64_t ns, char *out, size_t cap) {
    static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    time_t s = (time_t)(ns / NS_PER_S);
    struct tm tm;
    gmtime_r(&s, &tm);
    snprintf(out, cap, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday], tm.tm_mday,
             months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* Message-ID's left part: only characters a dot-atom allows. */
static void atom(const char *s, char *out, size_t cap) {
    size_t k = 0;
    for (; *s && k + 1 < cap; s++)
        out[k++] = isalnum((unsigned char)*s) || *s == '_' ? *s : '-';
    out[k] = '\0';
}

/* 57 bytes -> one 76-character line. */
static void put_base64(buf *b, const char *body, size_t len) {
    unsigned char line[80];
    for (size_t at = 0; at < len; at += 57) {
        size_t k = len - at < 57 ? len - at : 57;
        EVP_EncodeBlock(line, (const unsigned char *)body + at, (int)k);
        put(b, "%s\r\n", (const char *)line);
    }
}

static void put_headers(buf *b, const rpt_mail *m, const store_msg *msg, const char *boundary) {
    char date[64], gw[80], inst[80];
    mail_date(msg->created_ns, date, sizeof date);
    atom(m->gateway, gw, sizeof gw);
    atom(m->instance, inst, sizeof inst);
    put(b, "From: %s\r\nTo: ", m->from);
    for (size_t i = 0; i < m->n_to; i++)
        put(b, "%s%s", i ? ", " : "", m->to[i]);
    put(b, "\r\nSubject: %s report %s\r\n", gw, msg->name);
    put(b, "Date: %s\r\n", date);
    put(b, "Message-ID: <report-%lld.%s.%s@gwd>\r\n", (long long)msg->id, inst, gw);
    put(b, "X-Report-Id: %lld\r\nX-Report-Name: %s\r\n", (long long)msg->id, msg->name);
    if (m->template_no)
        put(b, "X-Report-Template: %d\r\n", m->template_no);
    put(b, "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"%s\"\r\n\r\n", boundary);
}

char *report_mail_build(const rpt_mail *m, const store_msg *msg, size_t *len) {
    buf b = {.data = malloc(4096), .cap = 4096};
    char boundary[48];
    if (!b.data)
        return NULL;
    /* base64 has no '-': the boundary cannot occur inside the attachment */
    snprintf(boundary, sizeof boundary, "gwd-report-%lld", (long long)msg->id);
    put_headers(&b, m, msg, boundary);
    put(&b, "--%s\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n", boundary);
    put(&b, "Report %s (id %lld) of %s is attached.\r\n", msg->name, (long long)msg->id,
        m->gateway);
    put(&b, "--%s\r\nContent-Type: %s; name=\"%s\"\r\n", boundary, msg->content_type, msg->name);
    put(&b, "Content-Disposition: attachment; filename=\"%s\"\r\n", msg->name);
    put(&b, "Content-Transfer-Encoding: base64\r\n\r\n");
    put_base64(&b, msg->body, msg->len);
    put(&b, "--%s--\r\n", boundary);
    if (b.failed) {
        free(b.data);
        return NULL;
    }
    *len = b.len;
    return b.data;
}
