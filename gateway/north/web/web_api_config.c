/* web_api_config: the staged configuration (docs/api.md "Configuration mode"):
 * the running text, the exclusive mode (enter, leave, an admin's takeover),
 * the staged text validated as the file would be, its diff against the
 * running one, apply (through gw_services.reconfig: core/reconfig.h), export
 * and import. Every change needs the mode; the holder is a user name. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/clock.h"
#include "core/text_diff.h"
#include "north/web/web_ctx.h"

static const gw_reconfig *service(web_ctx *c) {
    const gw_reconfig *r = c->srv->svc.reconfig;
    if (!r)
        web_reply_error(c, 503, "this gateway has no configuration service");
    return r;
}

static json_t *mode_json(web_ctx *c) {
    const web_cfgmode *m = &c->srv->cfgmode;
    bool held = web_cfgmode_held(m);
    return json_pack("{s:b,s:s?,s:o,s:b}", "held", held, "user", held ? m->holder : NULL, "since",
                     held ? json_integer(m->since_s) : json_null(), "mine",
                     web_cfgmode_mine(m, c->user->name));
}

/* 409 naming the holder; false when the caller holds the mode. */
static bool refused_without_mode(web_ctx *c) {
    const web_cfgmode *m = &c->srv->cfgmode;
    if (web_cfgmode_mine(m, c->user->name))
        return false;
    if (!web_cfgmode_held(m)) {
        web_reply_error(c, 409, "enter the configuration mode first (POST /api/v1/config/mode)");
        return true;
    }
    web_reply_json(c, 409, json_pack("{s:s,s:s,s:I}", "error", "configuration mode held", "user",
                                     m->holder, "since", (json_int_t)m->since_s));
    return true;
}

static json_t *error_json(const gw_config_error *e) {
    return json_pack("{s:i,s:i,s:s,s:s}", "line", e->line, "column", e->col, "path", e->path,
                     "message", e->message);
}

static void reply_invalid(web_ctx *c, const gw_config_error *e) {
    web_reply_json(c, 422, json_pack("{s:b,s:[o]}", "valid", 0, "errors", error_json(e)));
}

static void audit(web_ctx *c, const char *kind, const char *fmt, const char *arg) {
    char text[600];
    int n = snprintf(text, sizeof text, "user %s ", c->user->name);
    snprintf(text + n, sizeof text - (size_t)n, fmt, arg);
    web_audit(c->srv, kind, text);
}

void web_api_config_get(web_ctx *c) {
    const gw_reconfig *r = service(c);
    if (r)
        web_reply_json(c, 200, json_pack("{s:s,s:o}", "yaml", r->running_text(r->ctx), "mode",
                                         mode_json(c)));
}

/* An empty body is {}: entering needs no argument. */
static bool wants_takeover(web_ctx *c, bool *takeover) {
    *takeover = false;
    if (c->req->body_len == 0)
        return true;
    json_t *o = web_body_object(c);
    if (!o)
        return false;
    *takeover = json_is_true(json_object_get(o, "takeover"));
    json_decref(o);
    return true;
}

void web_api_config_enter(web_ctx *c) {
    const gw_reconfig *r = service(c);
    bool takeover;
    if (!r || !wants_takeover(c, &takeover))
        return;
    web_cfgmode *m = &c->srv->cfgmode;
    int64_t now = clock_wall_ns() / NS_PER_S;
    if (web_cfgmode_held(m) && !web_cfgmode_mine(m, c->user->name)) {
        if (!takeover) {
            refused_without_mode(c);
            return;
        }
        if (strcmp(c->user->role, "admin") != 0) {
            web_reply_error(c, 403, "only an admin may take the configuration mode over");
            return;
        }
        char from[WEB_NAME_MAX];
        snprintf(from, sizeof from, "%s", m->holder);
        web_cfgmode_take(m, c->user->name, now);
        audit(c, "config_takeover", "took the configuration mode over from %s", from);
    } else if (!web_cfgmode_mine(m, c->user->name)) {
        if (!web_cfgmode_enter(m, c->user->name, r->running_text(r->ctx), now)) {
            web_reply_error(c, 500, "out of memory");
            return;
        }
        audit(c, "config_mode_entered", "entered the configuration mode%s", "");
    }
    web_reply_json(c, 200, json_pack("{s:o}", "mode", mode_json(c)));
}

void web_api_config_leave(web_ctx *c) {
    if (refused_without_mode(c))
        return;
    web_cfgmode_leave(&c->srv->cfgmode);
    audit(c, "config_mode_left", "left the configuration mode (staged text discarded)%s", "");
    web_reply_json(c, 200, json_pack("{s:o}", "mode", mode_json(c)));
}

void web_api_config_staged_get(web_ctx *c) {
    if (!refused_without_mode(c))
        web_reply_json(c, 200, json_pack("{s:s}", "yaml", c->srv->cfgmode.staged));
}

/* Keep text as the staged one and answer whether it is valid. */
static void stage(web_ctx *c, const char *text) {
    const gw_reconfig *r = service(c);
    if (!r)
        return;
    if (!web_cfgmode_stage(&c->srv->cfgmode, text)) {
        web_reply_error(c, 500, "out of memory");
        return;
    }
    gw_config_error e;
    if (!r->validate(r->ctx, text, &e)) {
        reply_invalid(c, &e);
        return;
    }
    web_reply_json(c, 200, json_pack("{s:b}", "valid", 1));
}

void web_api_config_staged_put(web_ctx *c) {
    if (refused_without_mode(c))
        return;
    json_t *o = web_body_object(c);
    if (!o)
        return;
    const char *text = json_string_value(json_object_get(o, "yaml"));
    if (!text)
        web_reply_error(c, 400, "the body must be {\"yaml\": \"...\"}");
    else
        stage(c, text);
    json_decref(o);
}

void web_api_config_import(web_ctx *c) {
    if (refused_without_mode(c))
        return;
    const char *body = c->req->body ? c->req->body : "";
    if (strlen(body) != c->req->body_len) {
        web_reply_error(c, 400, "the configuration holds a NUL byte");
        return;
    }
    stage(c, body);
}

static json_t *names_json(const char *const *names, size_t n) {
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(names[i]));
    return a;
}

void web_api_config_diff(web_ctx *c) {
    const gw_reconfig *r = service(c);
    if (!r || refused_without_mode(c))
        return;
    const char *running = r->running_text(r->ctx), *staged = c->srv->cfgmode.staged;
    const char *names[GW_RECONFIG_SECTIONS];
    size_t n = 0;
    gw_config_error e;
    if (!r->changed(r->ctx, staged, names, GW_RECONFIG_SECTIONS, &n, &e)) {
        reply_invalid(c, &e);
        return;
    }
    char *diff = text_diff_unified(running, staged, "running", "staged", 3);
    if (!diff) {
        web_reply_error(c, 500, "out of memory");
        return;
    }
    web_reply_json(c, 200, json_pack("{s:s,s:o}", "diff", diff, "modules", names_json(names, n)));
    free(diff);
}

void web_api_config_apply(web_ctx *c) {
    const gw_reconfig *r = service(c);
    if (!r || refused_without_mode(c))
        return;
    gw_apply_result res;
    r->apply(r->ctx, c->srv->cfgmode.staged, &res);
    if (res.invalid) {
        reply_invalid(c, &res.error);
        return;
    }
    if (!res.applied) {
        audit(c, "config_apply_failed", "could not apply the configuration: %s", res.error.message);
        web_reply_json(c, 500, json_pack("{s:b,s:s,s:b}", "applied", 0, "error", res.error.message,
                                         "rolled_back", res.rolled_back));
        return;
    }
    char list[256] = "";
    for (size_t i = 0; i < res.n_restarted; i++) {
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "",
                 res.restarted[i]);
        if (strcmp(res.restarted[i], "mbus") == 0) /* its scans ended with it */
            web_scans_fail_running(&c->srv->scans, "the M-Bus module was restarted");
    }
    audit(c, "config_applied", "applied the configuration (restarted: %s)", res.n_restarted ? list : "none");
    web_cfgmode_leave(&c->srv->cfgmode); /* committed: the mode ends */
    web_reply_json(c, 200, json_pack("{s:b,s:o}", "applied", 1, "restarted",
                                     names_json(res.restarted, res.n_restarted)));
}

void web_api_config_export(web_ctx *c) {
    const gw_reconfig *r = service(c);
    if (!r)
        return;
    const char *text = r->running_text(r->ctx);
    web_response_header(c->res, "Content-Disposition", "attachment; filename=\"gwd.yaml\"");
    web_response_body(c->res, 200, "application/yaml", text, strlen(text));
}
