/* libFuzzer target for the gateway configuration: the input is a YAML (or
 * JSON) document handed to gw_config_check_text(), the same section parsers
 * gwd runs at start-up and for --check-config. Any text must be accepted or
 * refused with "file:line:col: what is wrong", without a crash or a leak.
 *
 * Parsing a reports section creates the report directory, so mkdir() is
 * interposed while a check runs: only relative paths without ".." are created,
 * below the scratch directory the target works in (build/fuzz/work/config). */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "core/log.h"
#include "tools/config_check.h"

static bool checking;

int mkdir(const char *path, mode_t mode) {
    if (checking && (path[0] == '/' || strstr(path, ".."))) {
        errno = EACCES;
        return -1;
    }
    return (int)syscall(SYS_mkdirat, AT_FDCWD, path, mode);
}

static char origin[4096];

static void setup(void) {
    log_set_level(LOG_LVL_ERROR);
    if (!getcwd(origin, sizeof origin))
        abort();
}

/* "name:line:col: message" (name may be another file: a key file the
 * configuration names). */
static bool well_formed(const char *msg) {
    for (const char *p = strchr(msg, ':'); p; p = strchr(p + 1, ':')) {
        int line = 0, col = 0, used = 0;
        if (sscanf(p, ":%d:%d: %n", &line, &col, &used) == 2 && used > 0 && line >= 1 && col >= 1)
            return p > msg;
    }
    return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!origin[0])
        setup();
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    /* a NUL inside the input would cut the text short: the gateway reads files as C strings */
    if (strlen(text) == size) {
        const char *scratch = "build/fuzz/work/config";
        if (chdir(origin) != 0 || (mkdir("build/fuzz/work", 0755), mkdir(scratch, 0755), chdir(scratch)) != 0)
            abort();
        cfg_err err = {{0}};
        checking = true;
        bool ok = gw_config_check_text(text, "fuzz.yaml", &err);
        checking = false;
        if (chdir(origin) != 0)
            abort();
        if (!ok && !well_formed(err.msg)) {
            fprintf(stderr, "badly formed error: %s\n", err.msg);
            abort();
        }
    }
    free(text);
    return 0;
}
