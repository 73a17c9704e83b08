/* SPDX-License-Identifier: Apache-2.0 */
/* tmp_path - the unit suites' files and directories in /tmp, each with a name of its own
 * (mkstemp, mkdtemp: the six Xs of the template become a unique name); the test fails
 * where one cannot be made. */
#ifndef EW_TEST_TMP_PATH_H
#define EW_TEST_TMP_PATH_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A new file /tmp/ew-TAG-??????, mode 0600, holding text (NULL: empty); its path in
 * path (n bytes). */
static inline void ew_test_file(char *path, size_t n, const char *tag, const char *text)
{
	int fd;

	snprintf(path, n, "/tmp/ew-%s-XXXXXX", tag);
	fd = mkstemp(path);
	ck_assert_msg(fd >= 0, "cannot make %s", path);
	if (text != NULL) {
		size_t len = strlen(text);

		ck_assert_int_eq(write(fd, text, len), (ssize_t)len);
	}
	close(fd);
}

/* A new directory /tmp/ew-TAG-??????, mode 0700; its path in path (n bytes). */
static inline void ew_test_dir(char *path, size_t n, const char *tag)
{
	snprintf(path, n, "/tmp/ew-%s-XXXXXX", tag);
	ck_assert_msg(mkdtemp(path) != NULL, "cannot make %s", path);
}

#endif
