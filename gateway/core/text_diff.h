/* text_diff: a unified diff of two texts, line by line (the staged
 * configuration against the running one). Pure.
 *
 * The longest common subsequence of the lines (a table of n*m cells: fine for
 * configuration files of a few thousand lines; larger inputs get the whole old
 * text removed and the new one added, still a correct diff). Hunks carry
 * `context` unchanged lines around each change, headed "@@ -a,b +c,d @@" as
 * diff -u writes them; the file header is "--- old_name" / "+++ new_name". */
#ifndef GW_TEXT_DIFF_H
#define GW_TEXT_DIFF_H
#include <stddef.h>

/* The diff as a malloc'd text ("" when both are equal); NULL when out of memory. */
char *text_diff_unified(const char *old_text, const char *new_text, const char *old_name,
                        const char *new_name, int context);
#endif
