/* fsdir: the bench's run directories — create a path with its parents, remove a tree. */
#ifndef SIM_FSDIR_H
#define SIM_FSDIR_H

/* mkdir -p: 0 on success (or when it exists), -1 with errno set. */
int fsdir_make(const char *path);
/* rm -rf: what cannot be removed is left; never follows symbolic links. */
void fsdir_remove(const char *path);
#endif
