/* SPDX-License-Identifier: Apache-2.0 */
/* check_main - the main() every Check suite shares: run the suite, exit non-zero on any
 * failure. */
#ifndef EW_TEST_CHECK_MAIN_H
#define EW_TEST_CHECK_MAIN_H

#include <check.h>
#include <stdlib.h>

#define EW_CHECK_MAIN(suite_fn)                                    \
	int main(void)                                             \
	{                                                          \
		SRunner *r = srunner_create(suite_fn());           \
		int failed;                                        \
		srunner_run_all(r, CK_NORMAL);                     \
		failed = srunner_ntests_failed(r);                 \
		srunner_free(r);                                   \
		return failed ? EXIT_FAILURE : EXIT_SUCCESS;       \
	}

#endif
