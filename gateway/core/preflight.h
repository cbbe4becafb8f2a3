/* preflight: the small tries a module's check runs (core/module.h) so that
 * `gwd --check-config` and the start fail alike, before anything starts:
 * folders created and written to, files read, TCP ports bound and released. */
#ifndef GW_PREFLIGHT_H
#define GW_PREFLIGHT_H
#include <stdbool.h>
#include <stddef.h>
#include "core/config.h"

/* mkdir -p dir; false with why. */
bool preflight_make_dirs(const char *dir, char *why, size_t cap);
/* dir exists (created if missing) and a file can be created in it. */
bool preflight_dir_writable(const char *dir, char *why, size_t cap);
/* node (a scalar naming a folder; NULL is fine) is writable, else err at node: "what: why". */
bool preflight_folder(const cfg_node *node, const char *what, cfg_err *err);
/* node (a scalar naming a file; NULL is fine) is readable, else err at node. */
bool preflight_file_readable(const cfg_node *node, const char *what, cfg_err *err);
/* bind_ip:port can be bound now (SO_REUSEADDR, like the servers); port 0 and a
 * malformed address are fine (the latter is the server's own error, at start). */
bool preflight_tcp_bindable(const char *bind_ip, long long port, char *why, size_t cap);
/* The node of section's port (for the message), or the section itself. */
const cfg_node *preflight_port_node(const cfg_node *section);
#endif
