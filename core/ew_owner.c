/* SPDX-License-Identifier: Apache-2.0 */
/* ew_owner - see ew_owner.h. */
#include "core/ew_owner.h"

#include <unistd.h>

static int owner_set;
static uid_t owner_uid;
static gid_t owner_gid;

void ew_files_owner_set(uid_t uid, gid_t gid)
{
	owner_uid = uid;
	owner_gid = gid;
	owner_set = 1;
}

int ew_files_owner(uid_t *uid, gid_t *gid)
{
	if (owner_set) {
		*uid = owner_uid;
		*gid = owner_gid;
	}
	return owner_set;
}

int ew_files_give(int fd)
{
	if (!owner_set || geteuid() != 0)
		return 0;
	return fchown(fd, owner_uid, owner_gid);
}
