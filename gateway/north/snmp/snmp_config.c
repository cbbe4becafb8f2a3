/* snmp_config: parsing `snmp:` (see snmp_config.h). */
#include "north/snmp/snmp_config.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

static bool is_ipv4(const char *text) {
    struct in_addr a;
    return inet_pton(AF_INET, text, &a) == 1;
}

static bool parse_traps(const cfg_node *seq, snmp_config *c, cfg_err *err) {
    static const char *const keys[] = {"host", "port", NULL};
    if (!seq) return true;
    if (seq->kind != CFG_SEQ) return cfg_fail(err, seq, "traps must be a list of {host, port}");
    if (seq->n > SNMP_MAX_TRAPS) return cfg_fail(err, seq, "at most %d trap receivers", SNMP_MAX_TRAPS);
    for (size_t i = 0; i < seq->n; i++) {
        const cfg_node *t = seq->items[i];
        const char *host;
        snmp_trap_sink *s = &c->traps[i];
        if (t->kind != CFG_MAP) return cfg_fail(err, t, "a trap receiver must be a map {host, port}");
        if (!cfg_only_keys(t, keys, err) || !cfg_str(t, "host", NULL, &host, err) ||
            !cfg_int(t, "port", 162, 1, 65535, &s->port, err))
            return false;
        if (!host) return cfg_fail(err, t, "host is required (the trap receiver's IPv4 address)");
        if (!is_ipv4(host)) return cfg_fail(err, cfg_get(t, "host"), "host \"%s\" is not an IPv4 address", host);
        if (!(s->host = strdup(host))) return cfg_fail(err, t, "out of memory");
        c->n_traps++;
    }
    return true;
}

static bool parse_body(const cfg_node *sec, snmp_config *c, cfg_err *err) {
    static const char *const keys[] = {"port", "bind", "community", "trap_community", "traps", NULL};
    const char *bind, *community, *trap_community;
    if (sec->kind != CFG_MAP) return cfg_fail(err, sec, "snmp must be a map");
    if (!cfg_only_keys(sec, keys, err) || !cfg_int(sec, "port", 161, 1, 65535, &c->port, err) ||
        !cfg_str(sec, "bind", "0.0.0.0", &bind, err) || !cfg_str(sec, "community", "public", &community, err) ||
        !cfg_str(sec, "trap_community", NULL, &trap_community, err) || !parse_traps(cfg_get(sec, "traps"), c, err))
        return false;
    if (!is_ipv4(bind)) return cfg_fail(err, cfg_get(sec, "bind"), "bind \"%s\" is not an IPv4 address", bind);
    if (!*community || strlen(community) > 64 || strpbrk(community, " \t"))
        return cfg_fail(err, cfg_get(sec, "community"), "community: 1 to 64 characters without blanks");
    c->bind = strdup(bind);
    c->community = strdup(community);
    c->trap_community = strdup(trap_community ? trap_community : community);
    return c->bind && c->community && c->trap_community;
}

bool snmp_config_parse(const cfg_node *sec, snmp_config **out, cfg_err *err) {
    *out = NULL;
    if (!sec) return true;
    snmp_config *c = calloc(1, sizeof *c);
    if (!c) return cfg_fail(err, sec, "out of memory");
    if (!parse_body(sec, c, err)) {
        snmp_config_free(c);
        return false;
    }
    *out = c;
    return true;
}

void snmp_config_free(snmp_config *c) {
    if (!c) return;
    for (size_t i = 0; i < c->n_traps; i++) free(c->traps[i].host);
    free(c->bind);
    free(c->community);
    free(c->trap_community);
    free(c);
}
