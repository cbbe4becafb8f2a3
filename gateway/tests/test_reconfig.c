/* test_reconfig: the staged-configuration service (tools/reconfig.h) over the
 * real module table: which sections a staged text changes, errors with their
 * line, column and path, an apply that restarts only the changed module (the
 * M-Bus master on a pseudo-terminal this test opens, as the bench's: its second
 * open of the same pty is the restart), and an apply whose module does not
 * start: rolled back, the old module running again, the file unchanged. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include "core/config.h"
#include "core/datahub.h"
#include "core/loop.h"
#include "tools/gateway_section.h"
#include "tools/modules.h"
#include "tools/reconfig.h"
#include "tests/test.h"

static char dir[64], path[128], pty[64];

static void write_text(const char *p, const char *text) {
    FILE *f = fopen(p, "w");
    fputs(text, f);
    fclose(f);
}

static char *read_text(const char *p) {
    static char buf[8192];
    FILE *f = fopen(p, "r");
    if (!f)
        return NULL;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static size_t index_of(const char *section) {
    for (size_t i = 0; i < gw_n_modules; i++)
        if (strcmp(gw_modules[i]->section, section) == 0)
            return i;
    return 0;
}

/* A configuration with the M-Bus bus on the pty, its interval and device given. */
static void config(char *out, size_t cap, const char *interval, const char *device) {
    snprintf(out, cap,
             "# a comment\n"
             "iec104: {bind: 127.0.0.1, port: 0}\n"
             "mbus:\n"
             "  - name: bus1\n"
             "    device: %s\n"
             "    baud: 2400\n"
             "    interval: %s\n"
             "    meters: [{name: m1, primary: 1}]\n",
             device, interval);
}

static void test_changed_sections(void) {
    char a[1024], b[1024];
    config(a, sizeof a, "10s", "/dev/x");
    cfg_err err;
    cfg_node *ra = cfg_load_string(a, "a", &err);
    /* the same content written otherwise: flow style, JSON quotes, no comment */
    cfg_node *rb = cfg_load_string("iec104: {port: 0, bind: 127.0.0.1}\nmbus: [{name: bus1, device: /dev/x, "
                                   "\"baud\": \"2400\", interval: 10s, meters: [{name: m1, primary: 1}]}]\n",
                                   "b", &err);
    const char *names[GW_RECONFIG_SECTIONS];
    size_t n = reconfig_changed_sections(ra, rb, names, GW_RECONFIG_SECTIONS);
    /* keys of iec104 swapped: a change of order counts (the section is rewritten) */
    CHECK_INT(n, 1);
    if (n == 1)
        CHECK_STR(names[0], "iec104");
    cfg_free(rb);
    config(b, sizeof b, "5s", "/dev/x");
    rb = cfg_load_string(b, "b", &err);
    n = reconfig_changed_sections(ra, rb, names, GW_RECONFIG_SECTIONS);
    CHECK_INT(n, 1);
    if (n == 1)
        CHECK_STR(names[0], "mbus");
    cfg_free(rb);
    rb = cfg_load_string("gateway: {name: other}\n", "c", &err);
    n = reconfig_changed_sections(ra, rb, names, GW_RECONFIG_SECTIONS);
    CHECK_INT(n, 3); /* gateway added, iec104 and mbus removed, in table order */
    if (n == 3) {
        CHECK_STR(names[0], "gateway");
        CHECK_STR(names[1], "iec104");
        CHECK_STR(names[2], "mbus");
    }
    cfg_free(rb);
    cfg_free(ra);
}

/* A pty as the bench opens one: its slave set raw once, kept open. */
static int open_pty(void) {
    int m = posix_openpt(O_RDWR | O_NOCTTY);
    if (m < 0 || grantpt(m) < 0 || unlockpt(m) < 0 || ptsname_r(m, pty, sizeof pty) != 0)
        return -1;
    return m;
}

int main(void) {
    test_changed_sections();
    int master = open_pty();
    CHECK(master >= 0);
    snprintf(dir, sizeof dir, "/tmp/test_reconfig.XXXXXX");
    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/gw.yaml", dir);
    char first[1024], second[1024], broken[1024];
    config(first, sizeof first, "10s", pty);
    write_text(path, first);

    /* gwd's start, as main.c does it */
    cfg_err err = {{0}};
    cfg_node *root = cfg_load_file(path, &err);
    gw_gateway gw;
    gw_sections sections = {0};
    CHECK_MSG(root && gw_gateway_parse(cfg_get(root, "gateway"), &gw, &err) &&
                  gw_sections_parse(root, gw.name, &sections, &err),
              "%s", err.msg);
    void *running[GW_MODULES_MAX] = {0};
    gw_services svc = {.loop = loop_new(), .hub = datahub_new()};
    char why[512];
    reconfig *r = reconfig_new(path, &root, &sections, running, &svc, why, sizeof why);
    CHECK_MSG(r != NULL, "%s", why);
    const gw_reconfig *s = reconfig_service(r);
    size_t im = index_of("mbus"), ii = index_of("iec104");
    for (size_t i = 0; i < gw_n_modules; i++)
        if (sections.cfg[i] && gw_modules[i]->start)
            CHECK_MSG((running[i] = gw_modules[i]->start(sections.cfg[i], &svc, why, sizeof why)),
                      "%s: %s", gw_modules[i]->section, why);
    CHECK_STR(s->running_text(s->ctx), first);
    void *iec104_before = running[ii];

    /* an invalid text: line, column and path of the field */
    gw_config_error e;
    config(broken, sizeof broken, "soon", pty);
    CHECK(!s->validate(s->ctx, broken, &e));
    CHECK_INT(e.line, 7);
    CHECK_INT(e.col, 15);
    CHECK_STR(e.path, "mbus[0].interval");
    CHECK_MSG(strstr(e.message, "interval") != NULL, "%s", e.message);
    CHECK(!s->validate(s->ctx, "mbus: [unclosed\n", &e));
    CHECK(e.line >= 1 && e.path[0] == '\0');

    /* a changed interval: only mbus restarts, the file is replaced, the old kept */
    config(second, sizeof second, "5s", pty);
    gw_apply_result res;
    s->apply(s->ctx, second, &res);
    CHECK_MSG(res.applied && !res.invalid && !res.rolled_back, "%s", res.error.message);
    CHECK_INT(res.n_restarted, 1);
    if (res.n_restarted == 1)
        CHECK_STR(res.restarted[0], "mbus");
    CHECK(running[im] != NULL);
    CHECK(running[ii] == iec104_before);
    CHECK_STR(s->running_text(s->ctx), second);
    CHECK_STR(read_text(path), second);
    char bak[160];
    snprintf(bak, sizeof bak, "%s.bak", path);
    CHECK_STR(read_text(bak), first);

    /* a device that does not exist: mbus does not start, everything is rolled back */
    config(broken, sizeof broken, "5s", "/nonexistent/ttyUSB9");
    s->apply(s->ctx, broken, &res);
    CHECK(!res.applied && !res.invalid && res.rolled_back);
    CHECK_MSG(strncmp(res.error.message, "mbus: cannot start: ", 20) == 0 &&
                  strstr(res.error.message, "/nonexistent/ttyUSB9"),
              "%s", res.error.message);
    CHECK(running[im] != NULL); /* the running configuration's master, on the pty again */
    CHECK(running[ii] == iec104_before);
    CHECK_STR(read_text(path), second);
    CHECK_STR(s->running_text(s->ctx), second);

    /* the gateway: section is read once: refused, nothing touched */
    char gwchange[1100];
    snprintf(gwchange, sizeof gwchange, "gateway: {name: renamed}\n%s", second);
    s->apply(s->ctx, gwchange, &res);
    CHECK(!res.applied && res.invalid && !res.rolled_back);
    CHECK_STR(res.error.path, "gateway");
    CHECK_STR(read_text(path), second);

    for (size_t i = gw_n_modules; i-- > 0;)
        if (running[i] && gw_modules[i]->stop)
            gw_modules[i]->stop(running[i]);
    gw_sections_free(&sections);
    cfg_free(root);
    reconfig_free(r);
    datahub_free(svc.hub);
    loop_free(svc.loop);
    close(master);
    unlink(bak);
    unlink(path);
    rmdir(dir);
    return test_summary("test_reconfig");
}
