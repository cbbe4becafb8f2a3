/* web_static: the web UI's files (gateway/north/web/ui/, installed as
 * share/gwd/ui beside bin/gwd) for GET and HEAD of every path outside /api/.
 * Public: the files hold no data, every value comes from the API behind a login.
 *
 * A path is refused before the disk is touched when a segment is empty, "."
 * or "..", starts with a dot or holds a backslash; the file found must then
 * resolve (realpath, symlinks followed) to a regular file inside the
 * resolved folder, so a symlink in the folder cannot lead out of it. */
#ifndef GW_WEB_STATIC_H
#define GW_WEB_STATIC_H
#include <stdbool.h>
#include <stddef.h>
#include "north/web/web_http.h"

/* The file name under the folder for a URL path ("/" -> "index.html"); false
 * when the path is not one the UI could have. */
bool web_static_relpath(const char *url_path, char *out, size_t cap);
/* root/rel resolved into out; false when missing, not a regular file or outside root. */
bool web_static_locate(const char *root, const char *rel, char *out, size_t cap);
/* The Content-Type for a file name by its extension (octet-stream when unknown). */
const char *web_static_type(const char *name);
/* The folder gwd serves without `ui_dir`: EXE_DIR/../share/gwd/ui, so
 * /usr/bin/gwd serves /usr/share/gwd/ui and build/host/bin/gwd build/host/share/gwd/ui. */
bool web_static_default_root(char *out, size_t cap);
/* Answer req (GET or HEAD) from root: 200 with the file, 304 when the client's
 * If-None-Match is the file's ETag, 400, 404 (405 for other methods). */
void web_static_serve(const char *root, const web_request *req, web_response *res);
#endif
