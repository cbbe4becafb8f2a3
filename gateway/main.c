/* gwd: the gateway program, its composition root. Reads the configuration
 * (the gateway: section here, every module's through the table of
 * tools/modules.c), opens the services (loop, datahub, store), starts the
 * modules in table order and runs the event loop until SIGTERM or SIGINT; then
 * stops and frees them in reverse.
 *
 *   gwd CONFIG.yaml               run the gateway
 *   gwd --check-config FILE       validate only: "FILE: ok" (exit 0) or the error (exit 1)
 *   gwd --clock virtual:SOCKET CONFIG.yaml
 *                                 time follows the bench (docs/virtual-time.md)
 *   gwd --version | --help */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/config.h"
#include "core/datahub.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/services.h"
#include "core/vclock.h"
#include "store/store.h"
#include "tools/config_check.h"
#include "tools/config_preflight.h"
#include "tools/decode_cmd.h"
#include "tools/gateway_section.h"
#include "tools/modules.h"
#include "tools/reconfig.h"

#ifndef GWD_VERSION /* the Makefile passes "<release> (<git describe>)" */
#define GWD_VERSION "0.1.0"
#endif
#define MOD "gwd"

/* ---- command line --------------------------------------------------------- */

typedef struct gwd_options {
    const char *config;
    const char *clock_socket; /* --clock virtual:SOCKET; NULL = real time */
    bool check_only;
    bool done; /* --help / --version: nothing more to do */
} gwd_options;

typedef bool (*option_fn)(gwd_options *opt, const char *value);

static bool opt_check(gwd_options *opt, const char *value) {
    opt->config = value;
    opt->check_only = true;
    return true;
}

static bool opt_clock(gwd_options *opt, const char *value) {
    if (strcmp(value, "real") == 0) {
        opt->clock_socket = NULL;
        return true;
    }
    if (strncmp(value, "virtual:", 8) == 0 && value[8]) {
        opt->clock_socket = value + 8;
        return true;
    }
    fprintf(stderr, "gwd: --clock takes real or virtual:SOCKET, not %s\n", value);
    return false;
}

static bool opt_version(gwd_options *opt, const char *value) {
    printf("gwd %s\n", GWD_VERSION);
    opt->done = true;
    return true;
}

static bool opt_help(gwd_options *opt, const char *value);

/* One line per option: adding one (e.g. --clock virtual:SOCKET) is one entry. */
static const struct gwd_option {
    const char *name;
    const char *arg; /* NULL: takes no value */
    option_fn apply;
    const char *help;
} gwd_option_table[] = {
    {"--check-config", "FILE", opt_check, "validate FILE and exit (0 = valid, 1 = error)"},
    {"--clock", "MODE", opt_clock, "real (default) or virtual:SOCKET (the bench is the time master)"},
    {"--version", NULL, opt_version, "print the version and exit"},
    {"--help", NULL, opt_help, "print this help and exit"},
};
#define N_OPTIONS (sizeof gwd_option_table / sizeof gwd_option_table[0])

static bool opt_help(gwd_options *opt, const char *value) {
    printf("usage: gwd [OPTIONS] CONFIG.yaml\n\nRuns the metering gateway described by "
           "CONFIG.yaml (see docs/configuration.md).\n\noptions:\n");
    for (size_t i = 0; i < N_OPTIONS; i++) {
        char left[64];
        snprintf(left, sizeof left, "%s%s%s", gwd_option_table[i].name,
                 gwd_option_table[i].arg ? " " : "",
                 gwd_option_table[i].arg ? gwd_option_table[i].arg : "");
        printf("  %-24s %s\n", left, gwd_option_table[i].help);
    }
    opt->done = true;
    return true;
}

static const struct gwd_option *find_option(const char *arg, size_t name_len) {
    for (size_t i = 0; i < N_OPTIONS; i++)
        if (strlen(gwd_option_table[i].name) == name_len &&
            strncmp(gwd_option_table[i].name, arg, name_len) == 0)
            return &gwd_option_table[i];
    return NULL;
}

/* Accepts "--name value" and "--name=value". Returns false on a usage error. */
static bool parse_args(int argc, char **argv, gwd_options *opt) {
    for (int i = 1; i < argc && !opt->done; i++) {
        const char *arg = argv[i];
        if (strncmp(arg, "--", 2) != 0 || strcmp(arg, "--") == 0) {
            if (strcmp(arg, "--") == 0 && i + 1 < argc)
                arg = argv[++i];
            if (opt->config) {
                fprintf(stderr, "gwd: more than one configuration file given\n");
                return false;
            }
            opt->config = arg;
            continue;
        }
        const char *eq = strchr(arg, '=');
        size_t name_len = eq ? (size_t)(eq - arg) : strlen(arg);
        const struct gwd_option *o = find_option(arg, name_len);
        if (!o) {
            fprintf(stderr, "gwd: unknown option %s (try --help)\n", arg);
            return false;
        }
        const char *value = NULL;
        if (o->arg) {
            value = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
            if (!value) {
                fprintf(stderr, "gwd: %s needs %s\n", o->name, o->arg);
                return false;
            }
        } else if (eq) {
            fprintf(stderr, "gwd: %s takes no value\n", o->name);
            return false;
        }
        if (!o->apply(opt, value))
            return false;
    }
    if (!opt->done && !opt->config) {
        fprintf(stderr, "usage: gwd [OPTIONS] CONFIG.yaml (try --help)\n");
        return false;
    }
    return true;
}

/* ---- configuration -------------------------------------------------------- */

typedef struct gwd {
    cfg_node *root;
    gw_gateway gw;                    /* the gateway: section */
    gw_sections sections;             /* each module's configuration (tools/modules.h) */
    void *running[GW_MODULES_MAX];    /* each started module */
    gw_loop *loop;
    datahub *hub;
    gw_store *store;                  /* NULL: no store */
    gw_services svc;
    const char *path;                 /* the configuration file */
    reconfig *reconfig;               /* staged configurations applied (tools/reconfig.h) */
} gwd;

static bool load_config(gwd *g, const char *path, cfg_err *err) {
    err->msg[0] = '\0';
    g->root = cfg_load_file(path, err);
    if (!g->root) {
        if (!err->msg[0])
            snprintf(err->msg, sizeof err->msg, "%s:1:1: cannot read the configuration", path);
        return false;
    }
    if (g->root->kind != CFG_MAP)
        return cfg_fail(err, g->root, "the configuration must be a map of sections");
    if (!cfg_only_keys(g->root, gw_config_sections(), err) ||
        !gw_gateway_parse(cfg_get(g->root, "gateway"), &g->gw, err))
        return false;
    /* What the start would try, tried now: --check-config and the start fail alike. */
    return gw_sections_parse(g->root, g->gw.name, &g->sections, err) &&
           gw_preflight(g->root, &g->sections, err);
}

/* Keys and passwords must be readable by their owner only: warn (the gateway
 * still runs, an installer fixes the mode) for the configuration file when it
 * holds secrets and for every key file (docs/hardening.md). */
static void warn_readable_secrets(const gwd *g, const char *path, bool to_stderr) {
    char why[512];
    const char *files[1 + 64];
    size_t n = 0;
    if (gw_config_has_secrets(g->root))
        files[n++] = path;
    for (size_t i = 0; i < gw_n_modules; i++)
        if (g->sections.cfg[i] && gw_modules[i]->key_files)
            n += gw_modules[i]->key_files(g->sections.cfg[i], files + n, 65 - n);
    for (size_t i = 0; i < n; i++) {
        if (gw_secret_file_private(files[i], why, sizeof why))
            continue;
        if (to_stderr)
            fprintf(stderr, "warning: %s\n", why);
        else
            log_warn(MOD, "%s", why);
    }
}

/* ---- running -------------------------------------------------------------- */

/* Create the directories leading to a file (var/gw.db needs var/). */
static void make_parent_dirs(const char *file) {
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", file);
    for (char *p = dir + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(dir, 0755) != 0 && errno != EEXIST)
            log_warn(MOD, "cannot create %s: %s", dir, strerror(errno));
        *p = '/';
    }
}

static void write_dump(const gwd *g) {
    if (g->gw.dump_path && datahub_dump_json(g->hub, g->gw.dump_path) != 0)
        log_warn(MOD, "cannot write the datahub dump %s", g->gw.dump_path);
}

static void on_update(const dh_update *u, void *arg) {
    if (u->kind == DH_CYCLE_END)
        write_dump(arg);
}

static void on_signal(gw_loop *loop, int signo, void *arg) {
    log_info(MOD, "%s: stopping", signo == SIGTERM ? "SIGTERM" : "SIGINT");
    loop_stop(loop, 0);
}

/* The services every module gets: the loop, the datahub and, with a store,
 * the store (subscribed first: it sees every update before anyone else). */
static bool open_services(gwd *g) {
    char err[512];
    g->loop = loop_new();
    g->hub = datahub_new();
    if (!g->loop || !g->hub) {
        log_error(MOD, "out of memory");
        return false;
    }
    if (loop_on_signal(g->loop, SIGTERM, on_signal, g) != 0 ||
        loop_on_signal(g->loop, SIGINT, on_signal, g) != 0) {
        log_error(MOD, "cannot handle SIGTERM/SIGINT");
        return false;
    }
    if (g->gw.store_path) {
        make_parent_dirs(g->gw.store_path);
        g->store = store_open(g->gw.store_path, err, sizeof err);
        if (!g->store) {
            log_error(MOD, "store %s: %s", g->gw.store_path, err);
            return false;
        }
        store_attach(g->store, g->hub, g->loop);
        store_set_retention(g->store, g->gw.retention.readings, g->gw.retention.events,
                            g->gw.retention.age_ns);
        store_set_hold(g->store, (size_t)g->gw.hold);
    }
    g->reconfig = reconfig_new(g->path, &g->root, &g->sections, g->running, &g->svc, err,
                               sizeof err);
    if (!g->reconfig) {
        log_error(MOD, "%s", err);
        return false;
    }
    g->svc = (gw_services){.loop = g->loop, .hub = g->hub, .state = store_state(g->store),
                           .store = g->store, .reconfig = reconfig_service(g->reconfig)};
    if (g->gw.dump_path)
        make_parent_dirs(g->gw.dump_path);
    return true;
}

/* Every configured module in table order, then the dump: after the servers,
 * whose counters are published ahead of each dump (the drivers only publish). */
static bool start(gwd *g) {
    char err[512];
    if (!open_services(g))
        return false;
    for (size_t i = 0; i < gw_n_modules; i++) {
        void *cfg = g->sections.cfg[i];
        if (!cfg || !gw_modules[i]->start)
            continue;
        err[0] = '\0';
        g->running[i] = gw_modules[i]->start(cfg, &g->svc, err, sizeof err);
        if (!g->running[i]) {
            log_error(MOD, "%s", err);
            return false;
        }
    }
    datahub_subscribe(g->hub, on_update, g);
    return true;
}

/* Stop in reverse (the drivers first, so nothing is published while the rest
 * shuts down), the final dump, then free the configurations (the reports with
 * the store still open) and the services. */
static void shut_down(gwd *g, bool final_dump) {
    for (size_t i = gw_n_modules; i-- > 0;)
        if (g->running[i] && gw_modules[i]->stop)
            gw_modules[i]->stop(g->running[i]);
    if (final_dump && g->hub)
        write_dump(g);
    gw_sections_free(&g->sections);
    if (g->store)
        store_close(g->store);
    if (g->hub)
        datahub_free(g->hub);
    if (g->loop)
        loop_free(g->loop);
    cfg_free(g->root);
    reconfig_free(g->reconfig); /* after the sections: they may point into its old trees */
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "decode") == 0)
        return decode_cmd_main(argc - 1, argv + 1);
    /* A peer that closes while we answer must cost us one connection, not the
     * process: writes to a closed socket fail with EPIPE instead of SIGPIPE. */
    signal(SIGPIPE, SIG_IGN);
    gwd_options opt = {0};
    if (!parse_args(argc, argv, &opt))
        return 2;
    if (opt.done)
        return 0;
    /* Virtual time first: nothing may read the clock before it is set. */
    vclock *vc = NULL;
    if (opt.clock_socket && !opt.check_only) {
        char why[512];
        vc = vclock_connect(opt.clock_socket, why, sizeof why);
        if (!vc) {
            fprintf(stderr, "gwd: %s\n", why);
            return 1;
        }
    }
    gwd g = {.path = opt.config};
    cfg_err err = {{0}};
    if (!load_config(&g, opt.config, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        shut_down(&g, false);
        vclock_free(vc);
        return 1;
    }
    warn_readable_secrets(&g, opt.config, opt.check_only);
    if (opt.check_only) {
        printf("%s: ok\n", opt.config);
        shut_down(&g, false);
        return 0;
    }
    log_set_level((enum log_level)g.gw.log_level);
    if (!start(&g) || (vc && vclock_attach(vc, g.loop) != 0)) {
        shut_down(&g, false);
        vclock_free(vc);
        return 1;
    }
    log_info(MOD, "gwd %s (%s) running with %s%s", GWD_VERSION, g.gw.name, opt.config,
             vc ? " in virtual time" : "");
    int status = vc ? vclock_run(vc, g.loop) : loop_run(g.loop);
    shut_down(&g, true);
    vclock_free(vc);
    log_info(MOD, "stopped");
    return status;
}
