/* shard: a stable, duration-balanced split of the scenarios (see shard.h). */
#define _XOPEN_SOURCE 700
#include "sim/scenario/shard.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool shard_parse(const char *text, int *k, int *n) {
    char *end;
    long a = strtol(text, &end, 10);
    if (end == text || *end != '/') return false;
    const char *rest = end + 1;
    long b = strtol(rest, &end, 10);
    if (end == rest || *end || b < 1 || a < 1 || a > b || b > 100000) return false;
    *k = (int)a;
    *n = (int)b;
    return true;
}

static long find(const durations *d, const char *path) {
    for (size_t i = 0; i < d->n; i++)
        if (strcmp(d->paths[i], path) == 0) return (long)i;
    return -1;
}

void durations_set(durations *d, const char *path, double seconds) {
    long i = find(d, path);
    if (i >= 0) {
        d->seconds[i] = seconds;
        return;
    }
    char **p = realloc(d->paths, (d->n + 1) * sizeof *p);
    if (!p) return;
    d->paths = p;
    double *s = realloc(d->seconds, (d->n + 1) * sizeof *s);
    if (!s) return;
    d->seconds = s;
    if (!(d->paths[d->n] = strdup(path))) return;
    d->seconds[d->n++] = seconds;
}

int durations_load(durations *d, const char *path, char *err, size_t errlen) {
    memset(d, 0, sizeof *d);
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    char line[4200];
    int no = 0;
    while (fgets(line, sizeof line, f)) {
        no++;
        line[strcspn(line, "\r\n")] = '\0';
        if (!line[0] || line[0] == '#') continue;
        char *tab = strchr(line, '\t'), *end;
        double s = tab ? strtod(line, &end) : -1;
        if (!tab || end != tab || s < 0 || !tab[1]) {
            snprintf(err, errlen, "%s:%d:1: expected SECONDS<TAB>PATH", path, no);
            fclose(f);
            durations_free(d);
            return -1;
        }
        durations_set(d, tab + 1, s);
    }
    fclose(f);
    return 0;
}

static int by_path(const void *a, const void *b) {
    return strcmp(**(char *const *const *)a, **(char *const *const *)b);
}

int durations_save(const durations *d, const char *out_path) {
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", out_path);
    FILE *f = fopen(tmp, "w");
    if (!f) return -1;
    char ***order = malloc((d->n ? d->n : 1) * sizeof *order);
    if (!order) {
        fclose(f);
        return -1;
    }
    for (size_t i = 0; i < d->n; i++) order[i] = &d->paths[i];
    qsort(order, d->n, sizeof *order, by_path);
    fputs("# hil run --durations: seconds each scenario took last (hil run --shard balances by them)\n", f);
    for (size_t i = 0; i < d->n; i++)
        fprintf(f, "%.3f\t%s\n", d->seconds[order[i] - d->paths], *order[i]);
    free(order);
    int bad = ferror(f);
    if (fclose(f) != 0 || bad) return -1;
    return rename(tmp, out_path);
}

void durations_free(durations *d) {
    for (size_t i = 0; i < d->n; i++) free(d->paths[i]);
    free(d->paths);
    free(d->seconds);
    memset(d, 0, sizeof *d);
}

typedef struct item {
    const char *path;
    double seconds;
    int index; /* in the files given */
} item;

static int heaviest_first(const void *a, const void *b) {
    const item *x = a, *y = b;
    if (x->seconds != y->seconds) return x->seconds > y->seconds ? -1 : 1;
    int c = strcmp(x->path, y->path);
    return c ? c : x->index - y->index;
}

static int by_index(const void *a, const void *b) {
    return ((const item *)a)->index - ((const item *)b)->index;
}

/* Files without a recorded duration weigh the mean of those with one (1 s without any). */
static double default_weight(char *const *files, int n, const durations *d) {
    double sum = 0;
    int known = 0;
    for (int i = 0; d && i < n; i++) {
        long j = find(d, files[i]);
        if (j >= 0) sum += d->seconds[j], known++;
    }
    return known ? sum / known : 1.0;
}

int shard_select(char *const *files, int n_files, int k, int n, const durations *d, char **out) {
    item *items = malloc((size_t)(n_files ? n_files : 1) * sizeof *items);
    double *load = calloc((size_t)n, sizeof *load);
    if (!items || !load) {
        free(items);
        free(load);
        return 0;
    }
    double dflt = default_weight(files, n_files, d);
    for (int i = 0; i < n_files; i++) {
        long j = d ? find(d, files[i]) : -1;
        items[i] = (item){files[i], j >= 0 ? d->seconds[j] : dflt, i};
    }
    qsort(items, (size_t)n_files, sizeof *items, heaviest_first);
    int count = 0;
    for (int i = 0; i < n_files; i++) {
        int best = 0;
        for (int s = 1; s < n; s++)
            if (load[s] < load[best] - 1e-9) best = s;
        load[best] += items[i].seconds > 0 ? items[i].seconds : 1e-3;
        if (best == k - 1) items[count++] = items[i];
    }
    qsort(items, (size_t)count, sizeof *items, by_index);
    for (int i = 0; i < count; i++) out[i] = (char *)items[i].path;
    free(items);
    free(load);
    return count;
}
