/* modbus_bench: the Modbus plant of a scenario (see modbus_bench.h). */
#include "sim/modbus/modbus_bench.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sim/modbus/modbus_master.h"
#include "sim/modbus/modbus_meter.h"

struct modbus_bench {
    const modbus_plan *plan;
    modbus_meter *meters;
    modbus_master *masters;
    size_t n_meters, n_masters;  /* opened so far */
    int server_port;
    char server_port_text[8];
    char (*names)[64];           /* "port:<meter>" */
};

modbus_bench *modbus_bench_new(const modbus_plan *plan, gw_loop *loop, trace *tr, char *err,
                               size_t errlen) {
    modbus_bench *b = calloc(1, sizeof *b);
    if (b) {
        b->plan = plan;
        b->meters = calloc(plan->n_meters + 1, sizeof *b->meters);
        b->masters = calloc(plan->n_masters + 1, sizeof *b->masters);
        b->names = calloc(plan->n_meters + 1, sizeof *b->names);
    }
    if (!b || !b->meters || !b->masters || !b->names) {
        modbus_bench_free(b);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    b->server_port = gwconfig_free_port();
    snprintf(b->server_port_text, sizeof b->server_port_text, "%d", b->server_port);
    for (size_t i = 0; i < plan->n_meters; i++) {
        int rc = modbus_meter_open(&b->meters[i], &plan->meters[i], loop, tr, err, errlen);
        b->n_meters++; /* closed by free even when partly opened */
        if (rc < 0) {
            modbus_bench_free(b);
            return NULL;
        }
        snprintf(b->names[i], sizeof b->names[i], "port:%s", plan->meters[i].name);
    }
    for (size_t i = 0; i < plan->n_masters; i++) {
        if (modbus_master_open(&b->masters[i], &plan->masters[i], loop, tr, b->server_port, err,
                               errlen) < 0) {
            b->n_masters++; /* partly opened: closed by free */
            modbus_bench_free(b);
            return NULL;
        }
        b->n_masters++;
    }
    return b;
}

size_t modbus_bench_n_vars(const modbus_plan *plan) {
    return plan ? 1 + plan->n_meters + plan->n_masters : 0;
}

size_t modbus_bench_vars(modbus_bench *b, subst_var *out, size_t cap) {
    size_t n = 0;
    if (!b) return 0;
    if (n < cap) out[n++] = (subst_var){"port:modbus", b->server_port_text};
    for (size_t i = 0; i < b->n_meters && n < cap; i++) {
        const modbus_meter *m = &b->meters[i];
        out[n++] = (subst_var){m->spec->line.tcp ? b->names[i] : m->spec->name, modbus_meter_address(m)};
    }
    for (size_t i = 0; i < b->n_masters && n < cap; i++)
        if (modbus_master_pty(&b->masters[i]))
            out[n++] = (subst_var){b->masters[i].spec->name, modbus_master_pty(&b->masters[i])};
    return n;
}

int modbus_bench_start(modbus_bench *b, char *err, size_t errlen) {
    for (size_t i = 0; b && i < b->n_meters; i++)
        if (modbus_meter_start(&b->meters[i]) < 0) {
            snprintf(err, errlen, "modbus meter %s: cannot watch its channel", b->meters[i].spec->name);
            return -1;
        }
    for (size_t i = 0; b && i < b->n_masters; i++)
        if (modbus_master_start(&b->masters[i]) < 0) {
            snprintf(err, errlen, "modbus master %s: cannot start", b->masters[i].spec->name);
            return -1;
        }
    return 0;
}

void modbus_bench_free(modbus_bench *b) {
    if (!b) return;
    for (size_t i = 0; i < b->n_masters; i++) modbus_master_close(&b->masters[i]);
    for (size_t i = 0; i < b->n_meters; i++) modbus_meter_close(&b->meters[i]);
    free(b->meters);
    free(b->masters);
    free(b->names);
    free(b);
}
