/* The push transports' configuration (smtp, ftp, sftp; errors as
 * file:line:col at the offending key or value), the CMe3100 template numbers
 * (report_template.c: defaults per transport, checks of configured numbers)
 * and the e-mail a report becomes (report_mail.c: headers, CRLF, the report's
 * bytes back out of the base64 attachment). The transports against real
 * servers: harness/test_reports_push.py. */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"
#include "north/report/report.h"
#include "north/report/report_inst.h"
#include "north/report/report_mail.h"
#include "north/report/report_template.h"
#include "tests/test.h"

/* One instance; `extra` goes after format (e.g. "      template: 2101\n"),
 * `transport` is the transport's block from line 6 on. */
static report *configure(const char *format, const char *extra, const char *transport,
                         cfg_err *err) {
    char yaml[2048];
    snprintf(yaml, sizeof yaml,
             "reports:\n  instances:\n    - name: push\n      format: %s\n%s      transport:\n%s",
             format, extra, transport);
    cfg_node *root = cfg_load_string(yaml, "test.yaml", err);
    CHECK_MSG(root != NULL, "%s", err->msg);
    report *r = report_configure(cfg_get(root, "reports"), "gw", err);
    cfg_free(root);
    return r;
}

typedef struct bad_case {
    const char *extra, *transport;
    const char *where, *what; /* "test.yaml:L:C", a piece of the message */
} bad_case;

#define SMTP "        smtp:\n"
#define FTP "        ftp:\n"
#define SFTP "        sftp:\n"
#define TO "          from: gw@example.com\n          to: ops@example.com\n"

static const bad_case bad[] = {
    {"", SMTP "          url: http://mail\n" TO, "test.yaml:7:16", "smtp://host"},
    {"", SMTP "          url: smtp://mail\n          to: ops@example.com\n", "test.yaml:7:11",
     "from"},
    {"", SMTP "          url: smtp://mail\n          from: gw@example.com\n", "test.yaml:7:11",
     "to is required"},
    {"", SMTP "          url: smtp://mail\n          from: gw\n          to: o@x\n",
     "test.yaml:8:17", "address"},
    {"", SMTP "          url: smtp://mail\n          from: a@b\n          to: [o@x, \"p@x\\r\\nBcc: z@y\"]\n",
     "test.yaml:9:21", "address"},
    {"", SMTP "          url: smtps://mail\n          tls: starttls\n" TO, "test.yaml:8:16",
     "implicit"},
    {"", SMTP "          url: smtp://mail\n          tls: maybe\n" TO, "test.yaml:8:16",
     "starttls, implicit or none"},
    {"", SMTP "          url: smtp://mail\n          tls: none\n          ca_file: ca.pem\n" TO,
     "test.yaml:8:16", "tls: none"},
    {"", SMTP "          url: smtp://mail\n          insecure: true\n          ca_file: ca.pem\n" TO,
     "test.yaml:8:21", "contradict"},
    {"", SMTP "          url: smtp://mail\n          timeout: 0s\n" TO, "test.yaml:8:20",
     "timeout"},
    {"", SMTP "          url: smtp://mail\n          port: 25\n" TO, "test.yaml:8:11", "port"},
    {"", FTP "          url: sftp://files/in/\n", "test.yaml:7:16", "ftp://host"},
    {"", FTP "          url: ftp://files/in/\n          tls: starttls\n", "test.yaml:8:16",
     "explicit, implicit or none"},
    {"", FTP "          url: ftps://files/in/\n          tls: explicit\n", "test.yaml:8:16",
     "implicit"},
    {"", SFTP "          url: sftp://files/in/\n          password: p\n          known_hosts: k\n",
     "test.yaml:7:11", "username"},
    {"", SFTP "          url: sftp://files/in/\n          username: gw\n          known_hosts: k\n",
     "test.yaml:7:11", "either password or key_file"},
    {"", SFTP "          url: sftp://files/in/\n          username: gw\n          password: p\n"
              "          key_file: id\n          known_hosts: k\n",
     "test.yaml:7:11", "either password or key_file"},
    {"", SFTP "          url: sftp://files/in/\n          username: gw\n          password: p\n",
     "test.yaml:7:11", "host key must be verified"},
    {"", SFTP "          url: sftp://files/in/\n          username: gw\n          password: p\n"
              "          passphrase: x\n          known_hosts: k\n",
     "test.yaml:10:23", "go with key_file"},
    {"", SFTP "          url: sftp://files\n          username: gw\n          password: p\n"
              "          known_hosts: k\n",
     "test.yaml:7:16", "sftp://host[:port]/directory/"},
    {"", SFTP "          url: sftp://files/in/\n          username: gw\n          password: p\n"
              "          insecure: true\n          known_hosts: k\n",
     "test.yaml:10:21", "contradict"},
    {"", SFTP "          url: sftp://files/in/\n          username: gw\n          password: p\n"
              "          ca_file: ca.pem\n          known_hosts: k\n",
     "test.yaml:10:11", "ca_file"},
    /* template numbers: protocol digit, supported templates, format */
    {"      template: 2101\n", SMTP "          url: smtp://mail\n" TO, "test.yaml:5:17",
     "FTP template (2xxx) but the transport is smtp (1xxx)"},
    {"      template: 1101\n", FTP "          url: ftp://files/\n", "test.yaml:5:17",
     "e-mail template (1xxx) but the transport is ftp (2xxx)"},
    {"      template: 3109\n", "        http: {url: 'http://hes/'}\n", "test.yaml:5:17",
     "not supported"},
    {"      template: 3005\n", "        http: {url: 'http://hes/'}\n", "test.yaml:5:17",
     "event template but the format is a value format"},
    {"      template: 101\n", "        http: {url: 'http://hes/'}\n", "test.yaml:5:17",
     "four-digit"},
    {"      template: 7101\n", "        http: {url: 'http://hes/'}\n", "test.yaml:5:17",
     "first digit is the protocol"},
    {"      template: x101\n", "        http: {url: 'http://hes/'}\n", "test.yaml:5:17",
     "template"},
    {"      template: 2101\n", "        file: {dir: /tmp}\n", "test.yaml:5:17",
     "no CMe3100 template numbers"},
};

static void test_config_errors(void) {
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cfg_err err = {{0}};
        report *r = configure("json", bad[i].extra, bad[i].transport, &err);
        if (getenv("SHOW_ERRORS")) /* to read the messages a user gets */
            printf("%s\n", err.msg);
        CHECK_MSG(r == NULL, "case %zu accepted", i);
        report_free(r);
        CHECK_MSG(strncmp(err.msg, bad[i].where, strlen(bad[i].where)) == 0 &&
                      err.msg[strlen(bad[i].where)] == ':' && strstr(err.msg, bad[i].what),
                  "case %zu: want %s ... %s, got %s", i, bad[i].where, bad[i].what, err.msg);
    }
}

/* A good configuration of every kind, and the template number it carries. */
static void good(const char *format, const char *extra, const char *transport, int template_no) {
    cfg_err err = {{0}};
    report *r = configure(format, extra, transport, &err);
    CHECK_MSG(r != NULL, "%s: %s", transport, err.msg);
    if (!r)
        return;
    CHECK_INT(r->inst[0].tr->template_no, template_no);
    report_free(r);
}

static void test_config_good(void) {
    good("json", "", SMTP "          url: smtp://mail:587\n" TO, 1101);
    good("events", "", SMTP "          url: smtps://mail\n" TO, 1005);
    good("xml3", "", SMTP "          url: smtp://mail\n          tls: implicit\n"
                         "          from: a@b.c\n          to: [o@x.y, p@x.y]\n"
                         "          username: u\n          password: p\n          ca_file: ca.pem\n"
                         "          timeout: 10s\n", 1101);
    good("csv6", "      template: 2101\n", FTP "          url: ftp://files/in\n", 2101);
    good("json", "", FTP "          url: ftps://files:990/in/\n          insecure: true\n", 2101);
    good("json", "", FTP "          url: ftp://files/\n          tls: none\n"
                         "          username: u\n          password: p\n", 2101);
    good("events", "      template: 2005\n",
         SFTP "          url: sftp://files:2222/~/in/\n          username: gw\n"
              "          key_file: id_ed25519\n          public_key_file: id_ed25519.pub\n"
              "          passphrase: x\n          host_key_sha256: "
              "\"47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\"\n", 2005);
    good("json", "", SFTP "          url: sftp://files/srv/in/\n          username: gw\n"
                          "          password: p\n          known_hosts: kh\n", 2101);
    good("json", "", "        http: {url: 'https://hes/in', username: u, password: p}\n", 3101);
    good("json", "      template: 3101\n", "        http: {url: 'http://hes/'}\n", 3101);
    good("json", "", "        file: {dir: /tmp/gwd-test-push-files}\n", 0);
    rmdir("/tmp/gwd-test-push-files");
}

static void test_template_numbers(void) {
    char why[256];
    CHECK_INT(report_template_default(1, false), 1101);
    CHECK_INT(report_template_default(2, false), 2101);
    CHECK_INT(report_template_default(3, false), 3101);
    CHECK_INT(report_template_default(3, true), 3005);
    CHECK_INT(report_template_default(0, false), 0);
    CHECK(report_template_check(1101, 1, "smtp", false, why, sizeof why));
    CHECK(report_template_check(2005, 2, "sftp", true, why, sizeof why));
    CHECK(report_template_check(3101, 3, "http", false, why, sizeof why));
    CHECK(!report_template_check(3101, 2, "ftp", false, why, sizeof why));
    CHECK_STR(why, "template: 3101 is an HTTP template (3xxx) but the transport is ftp (2xxx)");
    CHECK(!report_template_check(1005, 1, "smtp", false, why, sizeof why));
    CHECK(!report_template_check(1101, 1, "smtp", true, why, sizeof why));
    CHECK(!report_template_check(2001, 2, "ftp", false, why, sizeof why)); /* install report */
    CHECK(!report_template_check(999, 1, "smtp", false, why, sizeof why));
    CHECK(!report_template_check(10101, 1, "smtp", false, why, sizeof why));
    CHECK(!report_template_check(101, 0, "mqtt", false, why, sizeof why));
}

/* The attachment's base64 lines between the part's blank line and the closing
 * boundary, decoded. */
static size_t attachment(const char *mail, unsigned char *out) {
    const char *at = strstr(mail, "Content-Transfer-Encoding: base64\r\n\r\n");
    size_t n = 0;
    if (!at)
        return 0;
    at += strlen("Content-Transfer-Encoding: base64\r\n\r\n");
    while (*at && *at != '-') {
        const char *end = strstr(at, "\r\n");
        int k = EVP_DecodeBlock(out + n, (const unsigned char *)at, (int)(end - at));
        n += (size_t)k;
        size_t len = (size_t)(end - at);
        n -= (len >= 1 && end[-1] == '=') + (len >= 2 && end[-2] == '=');
        at = end + 2;
    }
    return n;
}

static void test_mail(void) {
    char body[600];
    size_t len = 0;
    const char *text = "line 1\n.leading dot\r\nfrom here\n";
    memcpy(body, text, strlen(text));
    len = strlen(text);
    for (int b = 0; b < 256; b++)
        body[len++] = (char)b; /* every byte value, NUL included */
    char *to[] = {"ops@example.com", "hes@example.com"};
    rpt_mail m = {"gw@example.com", to, 2, "gw 1/a", "push", 1101};
    store_msg msg = {.id = 42, .created_ns = 1765108800LL * 1000000000LL,
                     .name = "gw_20251207T120000Z_push_mbus-bus1_42.json",
                     .content_type = "application/json", .body = body, .len = len};
    size_t n;
    char *mail = report_mail_build(&m, &msg, &n);
    CHECK(mail != NULL);
    if (!mail)
        return;
    CHECK_INT(strlen(mail), n);
    const char *head = "From: gw@example.com\r\nTo: ops@example.com, hes@example.com\r\n"
                        "Subject: gw-1-a report gw_20251207T120000Z_push_mbus-bus1_42.json\r\n"
                        "Date: Sun, 07 Dec 2025 12:00:00 +0000\r\n"
                        "Message-ID: <report-42.push.gw-1-a@gwd>\r\n"
                        "X-Report-Id: 42\r\n"
                        "X-Report-Name: gw_20251207T120000Z_push_mbus-bus1_42.json\r\n"
                        "X-Report-Template: 1101\r\nMIME-Version: 1.0\r\n"
                        "Content-Type: multipart/mixed; boundary=\"gwd-report-42\"\r\n\r\n";
    CHECK_MSG(strncmp(mail, head, strlen(head)) == 0, "%.*s", (int)strlen(head), mail);
    CHECK(strstr(mail, "Message-ID: <report-42.push.gw-1-a@gwd>\r\n") != NULL);
    CHECK(strstr(mail, "Date: Sun, 07 Dec 2025 12:00:00 +0000\r\n") != NULL);
    CHECK(strstr(mail, "Subject: gw-1-a report gw_20251207T120000Z_push_mbus-bus1_42.json\r\n"));
    CHECK(strstr(mail, "X-Report-Template: 1101\r\n") != NULL);
    CHECK(strstr(mail, "Content-Disposition: attachment; "
                       "filename=\"gw_20251207T120000Z_push_mbus-bus1_42.json\"\r\n") != NULL);
    CHECK(strstr(mail, "\r\n--gwd-report-42--\r\n") != NULL);
    bool bare_lf = false;
    for (size_t i = 0; i < n; i++)
        bare_lf |= mail[i] == '\n' && (i == 0 || mail[i - 1] != '\r');
    CHECK(!bare_lf);
    unsigned char back[800];
    size_t got = attachment(mail, back);
    CHECK_INT(got, len);
    CHECK(got == len && memcmp(back, body, len) == 0);
    free(mail);
}

int main(void) {
    test_config_errors();
    test_config_good();
    test_template_numbers();
    test_mail();
    return test_summary("test_report_push");
}
