/* text_file_replace: the file is replaced whole or left as it was. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/test.h"
#include "core/text_file.h"

static void write_text(FILE *f, const void *arg) {
    fputs(arg, f);
}

static char *read_all(const char *path) {
    static char buf[256];
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

int main(void) {
    char dir[] = "/tmp/test_text_file.XXXXXX", path[128], tmp[200], err[256];
    if (!mkdtemp(dir))
        return 1;
    snprintf(path, sizeof path, "%s/list.csv", dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    CHECK(text_file_replace(path, write_text, "a;b\n1;2\n", false, err, sizeof err));
    CHECK_STR(read_all(path), "a;b\n1;2\n");
    CHECK(access(tmp, F_OK) != 0); /* nothing left behind */
    CHECK(text_file_replace(path, write_text, "a;b\n", true, err, sizeof err));
    CHECK_STR(read_all(path), "a;b\n");

    /* text_file_read: whole, NUL-terminated, also across the 4 KiB growth step. */
    size_t len = 1;
    char *text = text_file_read(path, &len);
    CHECK(text && len == 4 && strcmp(text, "a;b\n") == 0);
    free(text);
    static char big[10000];
    memset(big, 'x', sizeof big - 1);
    CHECK(text_file_replace(path, write_text, big, false, err, sizeof err));
    text = text_file_read(path, &len);
    CHECK(text && len == sizeof big - 1 && strcmp(text, big) == 0);
    free(text);
    CHECK(text_file_replace(path, write_text, "a;b\n", false, err, sizeof err));
    char missing[160];
    snprintf(missing, sizeof missing, "%s/none", dir);
    CHECK(text_file_read(missing, &len) == NULL && errno == ENOENT);

    /* A directory where the file should be: rename fails, the old one stays. */
    char sub[160];
    snprintf(sub, sizeof sub, "%s/busy", dir);
    CHECK(mkdir(sub, 0700) == 0);
    CHECK(!text_file_replace(sub, write_text, "x", false, err, sizeof err));
    CHECK_MSG(strstr(err, sub) != NULL && errno != 0, "err: %s", err);
    snprintf(tmp, sizeof tmp, "%s.tmp", sub);
    CHECK(access(tmp, F_OK) != 0);

    /* A missing directory: the temporary file cannot even be made. */
    CHECK(!text_file_replace("/nonexistent-dir/x.csv", write_text, "x", false, err, sizeof err));
    CHECK_MSG(strstr(err, "/nonexistent-dir/x.csv.tmp") != NULL, "err: %s", err);

    remove(path);
    rmdir(sub);
    rmdir(dir);
    return test_summary("test_text_file");
}
