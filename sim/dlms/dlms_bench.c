/* dlms_bench: HPLC networks of a scenario (see dlms_bench.h). */
#include "sim/dlms/dlms_bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/dlms/dlms_tcp.h"
#include "sim/dlms/rs485_line.h"

/* One item of plant: dlms: an HPLC network (transport udp), an RS-485 line
 * (hdlc) or meters on TCP listeners (tcp); the other two pointers are NULL. */
struct dlms_bench {
    hplc_net **nets;
    rs485_line **lines;
    dlms_tcp **tcps;
    size_t n;
    char (*var_names)[2][48];
};

bool dlms_bench_parse(const cfg_node *seq, const scenario_paths *paths, hplc_net_spec **specs, size_t *n,
                      cfg_err *err) {
    *specs = NULL;
    *n = 0;
    if (seq->kind != CFG_SEQ) return cfg_fail(err, seq, "dlms must be a sequence of networks");
    *specs = calloc(seq->n ? seq->n : 1, sizeof **specs);
    if (!*specs) return cfg_fail(err, seq, "out of memory");
    for (size_t i = 0; i < seq->n; i++) {
        (*n)++;
        if (!hplc_net_spec_parse(seq->items[i], paths, &(*specs)[i], err)) return false;
        for (size_t k = 0; k < i; k++)
            if (strcmp((*specs)[k].name, (*specs)[i].name) == 0)
                return cfg_fail(err, seq->items[i], "network name %s used twice", (*specs)[i].name);
    }
    return true;
}

void dlms_bench_specs_free(hplc_net_spec *specs, size_t n) {
    for (size_t i = 0; specs && i < n; i++) hplc_net_spec_free(&specs[i]);
    free(specs);
}

dlms_bench *dlms_bench_new(const hplc_net_spec *specs, size_t n, gw_loop *loop, trace *tr,
                           char *err, size_t errlen) {
    dlms_bench *b = calloc(1, sizeof *b);
    if (!b) return NULL;
    b->nets = calloc(n ? n : 1, sizeof *b->nets);
    b->lines = calloc(n ? n : 1, sizeof *b->lines);
    b->tcps = calloc(n ? n : 1, sizeof *b->tcps);
    b->var_names = calloc(n ? n : 1, sizeof *b->var_names);
    if (!b->nets || !b->lines || !b->tcps || !b->var_names) {
        dlms_bench_free(b);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        if (specs[i].transport == HPLC_TR_HDLC) b->lines[i] = rs485_line_new(&specs[i], loop, tr, err, errlen);
        else if (specs[i].transport == HPLC_TR_TCP) b->tcps[i] = dlms_tcp_new(&specs[i], loop, tr, err, errlen);
        else b->nets[i] = hplc_net_new(&specs[i], loop, tr, err, errlen);
        if (!b->nets[i] && !b->lines[i] && !b->tcps[i]) {
            dlms_bench_free(b);
            return NULL;
        }
        b->n++;
        if (b->lines[i]) {
            snprintf(b->var_names[i][0], sizeof b->var_names[i][0], "%s", specs[i].name);
        } else if (b->tcps[i]) {
            snprintf(b->var_names[i][0], sizeof b->var_names[i][0], "port:%s", specs[i].name);
        } else {
            snprintf(b->var_names[i][0], sizeof b->var_names[i][0], "port:%s", specs[i].name);
            snprintf(b->var_names[i][1], sizeof b->var_names[i][1], "port:%s:gw", specs[i].name);
        }
    }
    return b;
}

/* A network gives ${port:<net>} and ${port:<net>:gw}, a line ${<line>} (its pty),
 * TCP meters ${port:<net>} (meter 0's listening port; meter i has it + i). */
size_t dlms_bench_vars(const dlms_bench *b, subst_var *out) {
    size_t k = 0;
    for (size_t i = 0; i < b->n; i++) {
        if (b->lines[i]) {
            out[k++] = (subst_var){b->var_names[i][0], rs485_line_path(b->lines[i])};
            continue;
        }
        if (b->tcps[i]) {
            out[k++] = (subst_var){b->var_names[i][0], dlms_tcp_port_text(b->tcps[i])};
            continue;
        }
        out[k++] = (subst_var){b->var_names[i][0], hplc_net_port_text(b->nets[i])};
        out[k++] = (subst_var){b->var_names[i][1], hplc_net_gw_port_text(b->nets[i])};
    }
    return k;
}

int dlms_bench_start(dlms_bench *b) {
    for (size_t i = 0; i < b->n; i++)
        if (b->lines[i] ? rs485_line_start(b->lines[i]) < 0
            : b->tcps[i] ? dlms_tcp_start(b->tcps[i]) < 0
                         : hplc_net_start(b->nets[i]) < 0)
            return -1;
    return 0;
}

void dlms_bench_write_stats(const dlms_bench *b, const char *workdir) {
    for (size_t i = 0; b && i < b->n; i++) {
        char path[4200];
        if (b->lines[i]) {
            snprintf(path, sizeof path, "%s/dlms_%s.json", workdir, rs485_line_name(b->lines[i]));
            rs485_line_write_stats(b->lines[i], path);
            continue;
        }
        if (b->tcps[i]) {
            snprintf(path, sizeof path, "%s/dlms_%s.json", workdir, dlms_tcp_name(b->tcps[i]));
            dlms_tcp_write_stats(b->tcps[i], path);
            continue;
        }
        snprintf(path, sizeof path, "%s/dlms_%s.json", workdir, hplc_net_name(b->nets[i]));
        hplc_net_write_stats(b->nets[i], path);
    }
}

void dlms_bench_free(dlms_bench *b) {
    if (!b) return;
    for (size_t i = 0; i < b->n; i++) {
        hplc_net_free(b->nets[i]);
        rs485_line_free(b->lines[i]);
        dlms_tcp_free(b->tcps[i]);
    }
    free(b->nets);
    free(b->lines);
    free(b->tcps);
    free(b->var_names);
    free(b);
}
