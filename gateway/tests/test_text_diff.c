/* test_text_diff: the unified diff of the staged configuration (core/text_diff.h),
 * checked against hunks written out by hand as diff -u writes them. */
#include <stdlib.h>
#include "core/text_diff.h"
#include "tests/test.h"

static void check_diff(const char *a, const char *b, int ctx, const char *want) {
    char *d = text_diff_unified(a, b, "running", "staged", ctx);
    CHECK(d != NULL);
    if (d)
        CHECK_STR(d, want);
    free(d);
}

int main(void) {
    /* equal texts: nothing */
    check_diff("a\nb\n", "a\nb\n", 3, "");
    check_diff("", "", 3, "");
    /* one changed line in the middle, context 1 */
    check_diff("gateway:\nmbus:\n  interval: 10s\n  baud: 2400\n",
               "gateway:\nmbus:\n  interval: 5s\n  baud: 2400\n", 1,
               "--- running\n+++ staged\n@@ -2,3 +2,3 @@\n mbus:\n-  interval: 10s\n+  interval: 5s\n"
               "   baud: 2400\n");
    /* an added last line, a removed first one */
    check_diff("a\nb\n", "a\nb\nc\n", 3, "--- running\n+++ staged\n@@ -1,2 +1,3 @@\n a\n b\n+c\n");
    check_diff("a\nb\n", "b\n", 0, "--- running\n+++ staged\n@@ -1 +0,0 @@\n-a\n");
    /* from empty and to empty */
    check_diff("", "x\n", 3, "--- running\n+++ staged\n@@ -0,0 +1 @@\n+x\n");
    check_diff("x\ny\n", "", 3, "--- running\n+++ staged\n@@ -1,2 +0,0 @@\n-x\n-y\n");
    /* two changes far apart: two hunks with context 1 */
    check_diff("1\n2\n3\n4\n5\n6\n7\n8\n", "1\nB\n3\n4\n5\n6\nG\n8\n", 1,
               "--- running\n+++ staged\n@@ -1,3 +1,3 @@\n 1\n-2\n+B\n 3\n@@ -6,3 +6,3 @@\n 6\n-7\n+G\n 8\n");
    /* two changes close together: one hunk (the gap is within 2*context) */
    check_diff("1\n2\n3\n4\n5\n", "1\nB\n3\nD\n5\n", 1,
               "--- running\n+++ staged\n@@ -1,5 +1,5 @@\n 1\n-2\n+B\n 3\n-4\n+D\n 5\n");
    /* a last line without its newline is still a line */
    check_diff("a\nb", "a\nc", 3, "--- running\n+++ staged\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n");
    return test_summary("test_text_diff");
}
