/* reconfig: staged configurations validated, compared and applied over the
 * module table (tools/reconfig.h). */
#include "tools/reconfig.h"
#include "core/text_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config_tree.h"
#include "core/log.h"
#include "tools/gateway_section.h"
#include "tools/modules.h"

#define MOD "reconfig"
#define STAGED_NAME "staged"

struct reconfig {
    gw_reconfig service;
    char *path;
    char *text;          /* the running configuration's text */
    cfg_node **root;     /* gwd's: the running tree */
    gw_sections *sections;
    void **running;
    const gw_services *svc;
    cfg_node **retired;  /* replaced roots: unchanged sections still point into them */
    size_t n_retired;
};

/* ---- files ------------------------------------------------------------------ */

/* The folder's entry is durable too (the rename), not only the file's bytes. */
static void sync_dir_of(const char *path) {
    char dir[4096];
    const char *slash = strrchr(path, '/');
    snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash == path ? 1 : slash - path) : 1,
             slash ? path : ".");
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

bool reconfig_write_file(const char *path, const char *text, bool keep_backup, char *err,
                         size_t cap) {
    char tmp[4200], bak[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    snprintf(bak, sizeof bak, "%s.bak", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    size_t len = strlen(text), done = 0;
    while (fd >= 0 && done < len) {
        ssize_t n = write(fd, text + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        done += (size_t)n;
    }
    if (fd < 0 || done < len || fsync(fd) != 0) {
        snprintf(err, cap, "%s: %s", tmp, strerror(errno));
        if (fd >= 0)
            close(fd);
        unlink(tmp);
        return false;
    }
    close(fd);
    /* a hard link keeps the old file's bytes under PATH.bak without a copy */
    if (keep_backup && (unlink(bak), link(path, bak) != 0) && errno != ENOENT)
        log_warn(MOD, "cannot keep %s: %s", bak, strerror(errno));
    if (rename(tmp, path) != 0) {
        snprintf(err, cap, "%s: %s", path, strerror(errno));
        unlink(tmp);
        return false;
    }
    sync_dir_of(path);
    return true;
}

/* ---- parsing ---------------------------------------------------------------- */

/* "staged:12:5: what" -> line 12, col 5, "what"; path from the tree when there is one. */
static void to_error(const cfg_err *e, const cfg_node *root, gw_config_error *out) {
    memset(out, 0, sizeof *out);
    const char *m = e->msg;
    int line = 0, col = 0, used = 0;
    if (strncmp(m, STAGED_NAME ":", sizeof STAGED_NAME) == 0 &&
        sscanf(m + sizeof STAGED_NAME, "%d:%d: %n", &line, &col, &used) == 2 && used > 0)
        m += sizeof STAGED_NAME + (size_t)used;
    out->line = line;
    out->col = col;
    snprintf(out->message, sizeof out->message, "%s", m);
    if (root && line > 0)
        cfg_tree_path_at(root, line, col, out->path, sizeof out->path);
}

/* The text as gwd reads its file: a map of known sections, each valid, doing
 * something. *root and s are set on success (the caller frees both). */
static bool parse_text(const char *text, cfg_node **root, gw_sections *s, gw_config_error *out) {
    cfg_err e = {{0}};
    gw_gateway gw;
    memset(s, 0, sizeof *s);
    *root = cfg_load_string(text, STAGED_NAME, &e);
    if (!*root) {
        if (!e.msg[0])
            snprintf(e.msg, sizeof e.msg, STAGED_NAME ":1:1: cannot read the configuration");
        to_error(&e, NULL, out);
        return false;
    }
    bool ok = (*root)->kind == CFG_MAP
                  ? cfg_only_keys(*root, gw_config_sections(), &e) &&
                        gw_gateway_parse(cfg_get(*root, "gateway"), &gw, &e) &&
                        gw_sections_parse(*root, gw.name, s, &e)
                  : cfg_fail(&e, *root, "the configuration must be a map of sections");
    if (ok)
        return true;
    to_error(&e, *root, out);
    gw_sections_free(s);
    cfg_free(*root);
    *root = NULL;
    return false;
}

/* ---- what changed ----------------------------------------------------------- */

size_t reconfig_changed_sections(const cfg_node *running, const cfg_node *staged, const char **out,
                                 size_t cap) {
    size_t n = 0;
    const char *const *names = gw_config_sections(); /* "gateway", then table order */
    for (size_t i = 0; names[i] && n < cap; i++)
        if (!cfg_tree_same(cfg_get(running, names[i]), cfg_get(staged, names[i])))
            out[n++] = names[i];
    return n;
}

/* Sections read once at start: refused online (see reconfig.h). */
static bool online(const char *section) {
    return strcmp(section, "gateway") != 0 && strcmp(section, "web") != 0;
}

static size_t module_index(const char *section) {
    for (size_t i = 0; i < gw_n_modules; i++)
        if (strcmp(gw_modules[i]->section, section) == 0)
            return i;
    return gw_n_modules;
}

/* ---- the service ------------------------------------------------------------ */

static const char *svc_running_text(void *ctx) {
    return ((reconfig *)ctx)->text;
}

static bool svc_validate(void *ctx, const char *text, gw_config_error *err) {
    cfg_node *root;
    gw_sections s;
    if (!parse_text(text, &root, &s, err))
        return false;
    gw_sections_free(&s);
    cfg_free(root);
    return true;
}

static bool svc_changed(void *ctx, const char *text, const char **out, size_t cap, size_t *n,
                        gw_config_error *err) {
    reconfig *r = ctx;
    cfg_node *root;
    gw_sections s;
    *n = 0;
    if (!parse_text(text, &root, &s, err))
        return false;
    *n = reconfig_changed_sections(*r->root, root, out, cap);
    gw_sections_free(&s);
    cfg_free(root);
    return true;
}

/* Stop module i if it runs. */
static void stop_module(reconfig *r, size_t i) {
    if (r->running[i] && gw_modules[i]->stop)
        gw_modules[i]->stop(r->running[i]);
    r->running[i] = NULL;
}

/* Start module i with cfg (NULL: it does not run). false with err. */
static bool start_module(reconfig *r, size_t i, void *cfg, char *err, size_t cap) {
    err[0] = '\0';
    if (!cfg || !gw_modules[i]->start)
        return true;
    r->running[i] = gw_modules[i]->start(cfg, r->svc, err, cap);
    if (!err[0])
        snprintf(err, cap, "cannot start");
    return r->running[i] != NULL;
}

/* Module `failed` did not start with its new section: stop the ones started,
 * start the changed ones again with their running sections, put the file back. */
static void roll_back(reconfig *r, const bool *changed, size_t failed, gw_apply_result *res) {
    char err[512];
    for (size_t i = failed; i-- > 0;)
        if (changed[i])
            stop_module(r, i);
    for (size_t i = 0; i < gw_n_modules; i++) {
        if (!changed[i] || start_module(r, i, r->sections->cfg[i], err, sizeof err))
            continue;
        log_error(MOD, "%s: the running configuration did not start again either: %s",
                  gw_modules[i]->section, err);
        size_t used = strlen(res->error.message);
        snprintf(res->error.message + used, sizeof res->error.message - used,
                 "; %s: the running configuration did not start again either: %.200s",
                 gw_modules[i]->section, err);
    }
    if (!reconfig_write_file(r->path, r->text, false, err, sizeof err))
        log_error(MOD, "cannot put the running configuration back: %s", err);
    res->rolled_back = true;
}

/* The new sections are running: they replace the old ones, the old tree is kept. */
static void commit(reconfig *r, const char *text, cfg_node *root, gw_sections *s,
                   const bool *changed) {
    for (size_t i = 0; i < gw_n_modules; i++) {
        if (!changed[i])
            continue;
        if (r->sections->cfg[i] && gw_modules[i]->free)
            gw_modules[i]->free(r->sections->cfg[i]);
        r->sections->cfg[i] = s->cfg[i];
        s->cfg[i] = NULL;
    }
    cfg_node **grown = realloc(r->retired, (r->n_retired + 1) * sizeof *grown);
    char *copy = strdup(text);
    if (grown && copy) {
        r->retired = grown;
        r->retired[r->n_retired++] = *r->root;
        *r->root = root;
        free(r->text);
        r->text = copy;
    } else { /* out of memory: the new tree is the one running, the old leaks */
        r->retired = grown ? grown : r->retired;
        *r->root = root;
        free(copy);
    }
}

static void svc_apply(void *ctx, const char *text, gw_apply_result *res) {
    reconfig *r = ctx;
    cfg_node *root;
    gw_sections s;
    memset(res, 0, sizeof *res);
    if (!parse_text(text, &root, &s, &res->error)) {
        res->invalid = true;
        return;
    }
    const char *names[GW_RECONFIG_SECTIONS];
    size_t n = reconfig_changed_sections(*r->root, root, names, GW_RECONFIG_SECTIONS);
    bool changed[GW_MODULES_MAX] = {false};
    for (size_t k = 0; k < n; k++) {
        if (!online(names[k])) {
            res->invalid = true;
            snprintf(res->error.path, sizeof res->error.path, "%s", names[k]);
            const cfg_node *at = cfg_get(root, names[k]) ? cfg_get(root, names[k]) : root;
            res->error.line = at->line;
            res->error.col = at->col;
            snprintf(res->error.message, sizeof res->error.message,
                     "%s: this section is read when gwd starts: restart gwd to change it",
                     names[k]);
            goto out;
        }
        changed[module_index(names[k])] = true;
    }
    char err[512];
    if (!reconfig_write_file(r->path, text, true, err, sizeof err)) {
        snprintf(res->error.message, sizeof res->error.message, "cannot write the configuration: %.400s", err);
        goto out;
    }
    for (size_t i = gw_n_modules; i-- > 0;)
        if (changed[i])
            stop_module(r, i);
    for (size_t i = 0; i < gw_n_modules; i++) {
        if (!changed[i] || start_module(r, i, s.cfg[i], err, sizeof err))
            continue;
        log_error(MOD, "%s: cannot start: %s (rolling back)", gw_modules[i]->section, err);
        snprintf(res->error.message, sizeof res->error.message, "%s: cannot start: %.400s",
                 gw_modules[i]->section, err);
        roll_back(r, changed, i, res);
        goto out;
    }
    for (size_t i = 0; i < gw_n_modules; i++)
        if (changed[i])
            res->restarted[res->n_restarted++] = gw_modules[i]->section;
    commit(r, text, root, &s, changed);
    root = NULL;
    res->applied = true;
    log_info(MOD, "configuration applied: %zu modules restarted", res->n_restarted);
out:
    gw_sections_free(&s);
    cfg_free(root);
}

reconfig *reconfig_new(const char *path, cfg_node **root, gw_sections *sections, void **running, const gw_services *svc, char *err,
                       size_t cap) {
    reconfig *r = calloc(1, sizeof *r);
    if (!r || !(r->path = strdup(path)) ||
        !(r->text = text_file_read(path, &(size_t){0}))) {
        snprintf(err, cap, "%s: %s", path, r ? strerror(errno) : "out of memory");
        reconfig_free(r);
        return NULL;
    }
    r->root = root;
    r->sections = sections;
    r->running = running;
    r->svc = svc;
    r->service = (gw_reconfig){.ctx = r, .running_text = svc_running_text,
                               .validate = svc_validate, .changed = svc_changed,
                               .apply = svc_apply};
    return r;
}

const gw_reconfig *reconfig_service(reconfig *r) {
    return r ? &r->service : NULL;
}

void reconfig_free(reconfig *r) {
    if (!r)
        return;
    for (size_t i = 0; i < r->n_retired; i++)
        cfg_free(r->retired[i]);
    free(r->retired);
    free(r->text);
    free(r->path);
    free(r);
}
