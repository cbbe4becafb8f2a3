/* log: levelled log lines to stderr (or a file), stamped with the clock's wall time. */
#ifndef GW_LOG_H
#define GW_LOG_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum log_level { LOG_LVL_ERROR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG, LOG_LVL_TRACE };

void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* Parse "error|warn|info|debug|trace"; returns -1 when unknown. */
int log_level_parse(const char *name);
void log_set_stream(FILE *stream); /* default stderr */

void log_msg(enum log_level level, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Log bytes as hex after a message, e.g. rejected telegrams. */
void log_hex(enum log_level level, const char *module, const char *what, const uint8_t *bytes,
             size_t len);

#define log_error(mod, ...) log_msg(LOG_LVL_ERROR, mod, __VA_ARGS__)
#define log_warn(mod, ...) log_msg(LOG_LVL_WARN, mod, __VA_ARGS__)
#define log_info(mod, ...) log_msg(LOG_LVL_INFO, mod, __VA_ARGS__)
#define log_debug(mod, ...) log_msg(LOG_LVL_DEBUG, mod, __VA_ARGS__)
#endif
