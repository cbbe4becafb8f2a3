/* text_file: write PATH.tmp, then rename it over PATH. */
#include "core/text_file.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static bool fail(const char *what, const char *tmp, char *err, size_t errlen) {
    int e = errno;
    snprintf(err, errlen, "%s: %s", what, strerror(e));
    if (tmp)
        remove(tmp);
    errno = e;
    return false;
}

bool text_file_replace(const char *path, text_file_body body, const void *arg, bool durable,
                       char *err, size_t errlen) {
    size_t n = strlen(path) + sizeof ".tmp";
    char *tmp = malloc(n);
    if (!tmp) {
        errno = ENOMEM;
        return fail(path, NULL, err, errlen);
    }
    snprintf(tmp, n, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    bool ok = f != NULL;
    if (!ok) {
        fail(tmp, NULL, err, errlen);
    } else {
        body(f, arg);
        ok = fflush(f) == 0 && !ferror(f);
        ok = (!durable || fsync(fileno(f)) == 0) && ok;
        ok = fclose(f) == 0 && ok;
        ok = ok && rename(tmp, path) == 0;
        if (!ok)
            fail(path, tmp, err, errlen);
    }
    free(tmp);
    return ok;
}

char *text_file_read(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - 1 - n, f);
        if (n < cap - 1)
            break;
        char *grown = realloc(buf, cap * 2);
        if (!grown) {
            free(buf);
            buf = NULL;
            errno = ENOMEM;
            break;
        }
        buf = grown;
        cap *= 2;
    }
    if (buf && ferror(f)) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf)
        buf[n] = '\0';
    *len = n;
    return buf;
}
