/* report.c - `goc report` (being written). */
#include <stdio.h>

#include "commands.h"
#include "util.h"

int cmd_report(const goc_globals *g, int argc, char **argv)
{
	(void)g;
	(void)argc;
	(void)argv;
	goc_err("report: not implemented yet");
	return GOC_EXIT_FAILED;
}
