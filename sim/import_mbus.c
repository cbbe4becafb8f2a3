#include "import.h"
int import_write_mbus(const import_opts *o, const capture *c, FILE *out, char *err, size_t errlen) {
    snprintf(err, errlen, "serial captures: not yet");
    return -1;
}
int capture_read_socat(const char *path, capture *c, char *err, size_t errlen) {
    snprintf(err, errlen, "socat: not yet");
    return -1;
}
