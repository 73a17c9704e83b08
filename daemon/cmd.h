/* SPDX-License-Identifier: Apache-2.0 */
/* cmd - the commands main.c dispatches to, one file each (cmd_*.c), and what they
 * share beyond the start-up (ctx.h): the stop flag file readers watch. */
#ifndef EW_CMD_H
#define EW_CMD_H

#include <getopt.h>

#include "daemon/cli.h"
#include "daemon/ctx.h"

extern const struct ew_cmd ew_cmd_replay, ew_cmd_run, ew_cmd_check, ew_cmd_explain,
	ew_cmd_alerter, ew_cmd_learn, ew_cmd_policy, ew_cmd_analyze;

/* Set by SIGINT or SIGTERM (ew_cmd_on_stop) for commands that read files to their end. */
extern volatile int ew_cmd_stop;
void ew_cmd_on_stop(int sig);

#endif
