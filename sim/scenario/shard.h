/* shard: which scenarios one of N machines runs (hil run --shard K/N). Every shard
 * computes the same split from the same inputs: the files are ordered by their last
 * recorded duration (longest first, files without one count as the mean of the known
 * ones, or 1 s) and then by path, and each goes to the shard with the least total so
 * far (the lowest K on a tie). Without durations this is a round robin over the sorted
 * paths. The durations file has one "SECONDS<TAB>PATH" line per scenario. */
#ifndef SIM_SHARD_H
#define SIM_SHARD_H
#include <stdbool.h>
#include <stddef.h>

typedef struct durations {
    char **paths;
    double *seconds;
    size_t n;
} durations;

/* "K/N" with 1 <= K <= N; false when text is not that. */
bool shard_parse(const char *text, int *k, int *n);
/* Load path (a missing file is an empty table); -1 on a malformed file, with err. */
int durations_load(durations *d, const char *path, char *err, size_t errlen);
/* Set (or add) path's duration. */
void durations_set(durations *d, const char *path, double seconds);
/* Write the table (sorted by path, replaced whole); -1 when it cannot be written. */
int durations_save(const durations *d, const char *out_path);
void durations_free(durations *d);

/* The files of shard k of n, in their given order, into out (room for n_files); the count. */
int shard_select(char *const *files, int n_files, int k, int n, const durations *d, char **out);
#endif
