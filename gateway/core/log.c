/* log: one line per message, "<ISO wall time> <LEVEL> <module>: <text>".
 * Timestamps come from the clock module so virtual-time runs log virtual time. */
#include "core/log.h"

#include <stdarg.h>
#include <string.h>

#include "core/clock.h"

static enum log_level current_level = LOG_LVL_INFO;
static FILE *log_stream;

static const char *const level_names[] = {"error", "warn", "info", "debug", "trace"};
/* Padded to five columns so that messages line up. */
static const char *const level_tags[] = {"ERROR", "WARN ", "INFO ", "DEBUG", "TRACE"};

void log_set_level(enum log_level level) {
    current_level = level;
}

enum log_level log_get_level(void) {
    return current_level;
}

int log_level_parse(const char *name) {
    if (!name)
        return -1;
    for (int i = 0; i < (int)(sizeof level_names / sizeof level_names[0]); i++)
        if (strcmp(name, level_names[i]) == 0)
            return i;
    return -1;
}

void log_set_stream(FILE *stream) {
    log_stream = stream;
}

static FILE *stream_now(void) {
    return log_stream ? log_stream : stderr;
}

static bool log_enabled(enum log_level level) {
    return level <= current_level && (int)level >= 0 &&
           level <= LOG_LVL_TRACE;
}

static void write_prefix(FILE *f, enum log_level level, const char *module) {
    char stamp[40];
    clock_format_iso(clock_wall_ns(), stamp, sizeof stamp);
    fprintf(f, "%s %s %s: ", stamp, level_tags[level], module ? module : "-");
}

void log_msg(enum log_level level, const char *module, const char *fmt, ...) {
    if (!log_enabled(level))
        return;
    FILE *f = stream_now();
    flockfile(f);
    write_prefix(f, level, module);
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vfprintf(f, fmt, ap);
        va_end(ap);
    }
    fputc('\n', f);
    funlockfile(f);
    fflush(f);
}

void log_hex(enum log_level level, const char *module, const char *what, const uint8_t *bytes,
             size_t len) {
    if (!log_enabled(level))
        return;
    FILE *f = stream_now();
    flockfile(f);
    write_prefix(f, level, module);
    fprintf(f, "%s (%zu bytes):", what ? what : "bytes", len);
    for (size_t i = 0; i < len; i++)
        fprintf(f, " %02X", bytes[i]);
    fputc('\n', f);
    funlockfile(f);
    fflush(f);
}
