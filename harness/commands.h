/*
 * commands.h - goc's commands, one function each, called by goc.c with
 * the global options and the command's own arguments (argv[0] is the
 * command's name). Each returns the process's exit status (util.h).
 */
#ifndef GOC_HARNESS_COMMANDS_H
#define GOC_HARNESS_COMMANDS_H

/* The options before the command: where things are. */
typedef struct goc_globals {
	const char *self;       /* this executable, for hyperfine to run `goc exec` */
	const char *build_dir;  /* the release build: goc-targets.ini */
	const char *scenarios;  /* the scenario folder */
	const char *results;    /* the results folder */
	const char *go_dir;     /* the built Go baselines */
	int argc;               /* the whole command line, for the record of a run */
	char **argv;
} goc_globals;

int cmd_list(const goc_globals *g, int argc, char **argv);
int cmd_bench(const goc_globals *g, int argc, char **argv);
int cmd_baseline(const goc_globals *g, int argc, char **argv);
int cmd_report(const goc_globals *g, int argc, char **argv);
int cmd_compare(const goc_globals *g, int argc, char **argv);
int cmd_exec(const goc_globals *g, int argc, char **argv);
int cmd_race(const goc_globals *g, int argc, char **argv);
int cmd_pitfalls(const goc_globals *g, int argc, char **argv);

#endif
