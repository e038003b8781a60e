/*
 * tenor - one program with subcommands, git- and zstd-style:
 * `tenor train ...`, `tenor classify ...`, `tenor help [COMMAND]`,
 * `tenor --version`.
 *
 * The subcommands are the table commands[] below: a name, the program entry it
 * runs (train/main.h, classify/main.h) and, for a command that is an option of
 * a program (`tenor merge OUT` = `classify --merge OUT`), that option, put
 * before the user's arguments.  A new subcommand is one line there.
 *
 * Called by another name, tenor is that command: bin/train and bin/classify
 * are symbolic links to tenor in the build tree (the tests and scripts run
 * them; they are not installed, liblinear's own `train` would collide), and
 * tenor-COMMAND (a link help2man runs to write tenor-COMMAND.1) is
 * `tenor COMMAND`.  Messages start with the name the command was called by:
 * "classify: ..." under bin/classify, "tenor classify: ..." under tenor.
 *
 * It lives beside classify's main.c because it is program code (it prints,
 * exits and calls the programs' entries, which lib/ must never do) and there
 * is no top-level folder for programs; it links both programs.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "main.h"
#include "../train/main.h"

#include "../lib/about.h"
#include "../lib/buf.h"
#include "../lib/cli.h"
#include "../lib/version.h"

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *option;      /* put before the user's arguments, or NULL */
	const char *summary;     /* one line for `tenor --help` */
};

static const struct command commands[] = {
	{ "train", tn_train_main, NULL, "turn a labeled corpus into a model bundle" },
	{ "classify", tn_classify_main, NULL, "tag documents with a model bundle, into zstd shards or stdout" },
	{ "merge", tn_classify_main, "--merge", "check the parts of a --part I/N run and make them one run" },
	{ "report", tn_classify_main, "--report", "(re)write OUT/report.html for a run folder" },
	{ "inspect", tn_train_main, "--inspect", "show a model bundle's strongest n-grams per class" },
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void print_usage(FILE *f)
{
	size_t i;

	fputs("Usage: tenor COMMAND [options] [ARG...]\n"
	      "\n"
	      "Tenor tags the topic and tone of text, or any labels a corpus carries, with\n"
	      "linear SVMs (libsvm, liblinear) on hashed n-grams: train turns a labeled\n"
	      "corpus into a model bundle, classify streams documents and archives through\n"
	      "it on all cores.\n"
	      "\n"
	      "Commands:\n", f);
	for (i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-16s%s\n", commands[i].name, commands[i].summary);
	fputs("  help [COMMAND]  this help, or the help of COMMAND (tenor COMMAND --help)\n"
	      "\n"
	      "Options:\n"
	      "  -h, --help     this help\n"
	      "  -V, --version  the version of Tenor and of its libraries, and the build\n"
	      "\n"
	      "Every command explains itself and all its options with --help; the manual\n"
	      "pages tenor-train(1) and tenor-classify(1) hold the same text.  Models\n"
	      "installed with Tenor are found by name: tenor classify -m news ...\n"
	      "\n"
	      "Exit codes: those of the command; 2 usage error.\n", f);
}

static const struct command *find_command(const char *name)
{
	size_t i;

	for (i = 0; i < NCOMMANDS; i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

static int is_help_or_version(const char *arg)
{
	return !strcmp(arg, "-h") || !strcmp(arg, "--help") || !strcmp(arg, "-V") || !strcmp(arg, "--version");
}

/*
 * Runs cmd on args[0..nargs) with argv[0] = name.  A command that is an
 * option of its program gets that option first, except for --help and
 * --version, which must reach the program as they are.
 */
static int run_command(const struct command *cmd, char *name, int nargs, char **args)
{
	char **argv = calloc((size_t)nargs + 3, sizeof(*argv)), *option = NULL;
	int argc = 0, i, rc;

	if (cmd->option) {
		for (i = 0; i < nargs && !is_help_or_version(args[i]); i++)
			;
		if (i == nargs && !(option = strdup(cmd->option))) {
			free(argv);
			argv = NULL;
		}
	}
	if (!argv) {
		fprintf(stderr, "%s: out of memory\n", name);
		return TN_EXIT_ERROR;
	}
	argv[argc++] = name;
	if (option)
		argv[argc++] = option;
	for (i = 0; i < nargs; i++)
		argv[argc++] = args[i];
	rc = cmd->run(argc, argv);
	free(option);
	free(argv);
	return rc;
}

static int unknown_command(const char *word)
{
	const char *names[NCOMMANDS + 1];
	const char *near;
	size_t i;

	for (i = 0; i < NCOMMANDS; i++)
		names[i] = commands[i].name;
	names[NCOMMANDS] = "help";
	near = tn_cli_nearest(word, strlen(word), names, NCOMMANDS + 1);
	if (near)
		fprintf(stderr, "tenor: unknown command '%s'; did you mean %s?\n", word, near);
	else
		fprintf(stderr, "tenor: unknown command '%s'\n", word);
	fputs("try 'tenor --help'\n", stderr);
	return TN_EXIT_USAGE;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	const char *base = argc > 0 && argv[0] ? strrchr(argv[0], '/') : NULL;
	const struct command *cmd;
	struct tn_err err;
	char name[64];
	int c;

	base = base ? base + 1 : argc > 0 && argv[0] ? argv[0] : "tenor";
	/* Called as bin/classify, or as tenor-classify: that command. */
	if (!strncmp(base, "tenor-", 6) && (cmd = find_command(base + 6))) {
		snprintf(name, sizeof(name), "tenor %s", cmd->name);
		return run_command(cmd, name, argc - 1, argv + 1);
	}
	if ((cmd = find_command(base))) {
		snprintf(name, sizeof(name), "%s", cmd->name);
		return run_command(cmd, name, argc - 1, argv + 1);
	}

	opterr = 0;   /* tn_cli_getopt_error words the refusal */
	/* '+': options up to the command are tenor's, the rest the command's. */
	while ((c = getopt_long(argc, argv, "+:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'h': print_usage(stdout); return TN_EXIT_OK;
		case 'V': tn_about_print_version(stdout, "tenor"); return TN_EXIT_OK;
		default:
			tn_cli_getopt_error(c, argv, optind, optopt, longopts, &err);
			fprintf(stderr, "tenor: %s\ntry 'tenor --help'\n", err.msg);
			return TN_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		print_usage(stderr);
		return TN_EXIT_USAGE;
	}
	if (!strcmp(argv[optind], "help")) {
		char help[] = "--help";

		if (optind + 1 >= argc) {
			print_usage(stdout);
			return TN_EXIT_OK;
		}
		if (!(cmd = find_command(argv[optind + 1])))
			return unknown_command(argv[optind + 1]);
		snprintf(name, sizeof(name), "tenor %s", cmd->name);
		return cmd->run(2, (char *[]){ name, help, NULL });
	}
	if (!strcmp(argv[optind], "version")) {
		tn_about_print_version(stdout, "tenor");
		return TN_EXIT_OK;
	}
	if (!(cmd = find_command(argv[optind])))
		return unknown_command(argv[optind]);
	snprintf(name, sizeof(name), "tenor %s", cmd->name);
	return run_command(cmd, name, argc - optind - 1, argv + optind + 1);
}
