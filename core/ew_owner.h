/* SPDX-License-Identifier: Apache-2.0 */
/* ew_owner - the service user that files made before the privilege drop are given to.
 *
 * When the daemon runs as root and will drop to another user, what it creates for that
 * user while still root (spool directories and files, the alert file, a flow-log
 * source's state) is given to it, so that it can still write there after the drop. Set
 * once by main before anything opens (as openlog). */
#ifndef EW_OWNER_H
#define EW_OWNER_H

#include <sys/types.h>

void ew_files_owner_set(uid_t uid, gid_t gid);
/* 1 and the owner, if one was set. */
int ew_files_owner(uid_t *uid, gid_t *gid);
/* Give the file or directory open at fd to the service user, when root and one is set.
 * Returns 0, or -1 with errno. */
int ew_files_give(int fd);

#endif
