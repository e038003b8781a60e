/*
 * classify - stream documents through a model bundle into zstd shards.
 *
 * Option parsing fills struct classify_options, check_options validates it,
 * and run() hands the job to the library's pipeline (lib/pipeline.h), printing
 * progress, the first error records and the summary.  Signals only set a flag
 * that the pipeline polls between batches.
 */
#include <getopt.h>
#include <omp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/cli.h"
#include "../lib/limits.h"
#include "../lib/parse.h"
#include "../lib/pipeline.h"
#include "../lib/progress.h"
#include "../lib/text.h"
#include "../lib/version.h"

#define EXIT_DOC_ERRORS 3
#define EXIT_OUTPUT_CLOSED 4
#define SHOW_ERRORS 10

struct classify_options {
	struct tn_run_opts run;
	long threads;
	int quiet;
	int progress_forced;     /* -1, or --no-progress (0) / --progress (1) */
	double progress_interval;
	struct tn_progress_clock clock;
	uint64_t errors_shown;
};

static volatile sig_atomic_t stop_signal;

static const char usage_text[] =
"usage: classify -m MODEL -o OUT [options] INPUT...\n"
"\n"
"Tags every document of the inputs with every head of a model bundle, on all\n"
"cores, and writes one JSON record per document, in input order, to zstd\n"
"shards OUT/part-00000.jsonl.zst, ... with OUT/manifest.json and OUT/_SUCCESS.\n"
"\n"
"Inputs (read in command-line order; folders walked recursively, sorted):\n"
"  FILE.jsonl     one document a line; text in \"text\", id in \"id\" (else FILE:LINE);\n"
"                 also any file whose first line is a JSON object ('{' first)\n"
"  FILE.csv       RFC 4180 with a header row: one document a row; text in the\n"
"                 column \"text\", id in \"id\" (else FILE:LINE)\n"
"  other files    one document each, id = the path\n"
"  tar, zip, 7z   one document per regular member, id = ARCHIVE:MEMBER\n"
"                 (a member named *.jsonl: one document a line)\n"
"  -              JSONL on standard input\n"
"  Any of these may be gzip-, zstd-, xz- or bzip2-compressed (found by magic bytes).\n"
"\n"
"Options:\n"
"  -m, --model DIR          model bundle made by train  [required]\n"
"  -o, --output OUT         run folder, or - for plain JSONL on stdout  [required]\n"
"  -f, --input-format F     auto, jsonl, text or csv: how to read files and\n"
"                           members  [auto: .jsonl/.ndjson/.json names and a\n"
"                           first line that is a JSON object are JSONL, .csv\n"
"                           names CSV; -f text reads every file as one text]\n"
"  -t, --text-field NAME    JSONL field or CSV column holding the text  [text]\n"
"      --id-field NAME      JSONL field or CSV column holding the id  [id]\n"
"      --shard-docs N       records per shard  [1000000]\n"
"      --max-doc-bytes SIZE longest document or line; longer ones become error\n"
"                           records (K, M, G suffixes)  [16M]\n"
"      --all-scores         add HEAD_scores: every class's score\n"
"      --resume             continue an interrupted run in OUT after its last\n"
"                           complete shard (same model, options and inputs)\n"
"      --force              start over in an OUT that holds a run\n"
"      --part I/N           process only part I of N: by file when there are at\n"
"                           least N files, else by document; the N parts hold\n"
"                           every document exactly once\n"
"      --zstd-level L       shard compression level, 1..19  [3]\n"
"      --batch-docs N       documents read per batch  [4096]\n"
"  -j, --threads N          threads  [all cores]\n"
"  -q, --quiet              no progress line (the summary is still printed)\n"
"      --progress           show progress even when stderr is not a terminal\n"
"      --no-progress        show no progress (as -q)\n"
"      --progress-interval S  seconds between progress lines when stderr is not\n"
"                           a terminal (also TENOR_PROGRESS_INTERVAL)  [30]\n"
"  -h, --help               this help\n"
"  -V, --version            version\n"
"\n";

/* The rest of --help (one string would pass C's 4095-byte limit). */
static const char usage_more[] =
"Records (one JSON object a line):\n"
"  {\"id\": ID, \"topic\": \"diplomacy\", \"topic_score\": 0.9100, \"tone\": ...}\n"
"  {\"id\": ID, \"error\": \"invalid JSON at byte 12\"}\n"
"  A score is the calibrated probability of the class when the model was trained\n"
"  with --probability, else 1/(1+exp(-m)), m the class's smallest one-vs-one\n"
"  margin: 0.5 at a tie, growing with the margin.\n"
"  If the inputs carry a head's labels (a JSONL field named like the head), the\n"
"  summary and the manifest give accuracy, macro-F1 and the confusion matrix.\n"
"\n"
"Run folders: OUT must be new, empty, or hold a classify run (its manifest.json);\n"
"nothing else in it is ever deleted or replaced, and --force removes only the\n"
"shards its manifest lists and classify's temporary files.\n"
"\n"
"Progress: on a terminal, one line kept up to date (none when -o - writes to the\n"
"same terminal, unless --progress); otherwise (a file, a pipe,\n"
"a batch system's log) a plain line every interval: documents, errors, MB,\n"
"elapsed time, rates and, when the inputs' size is known, the ETA.  After\n"
"--resume, rates count only the work of this run.\n"
"\n"
"Exit codes: 0 every document classified; 3 done, but some documents are error\n"
"records (also for --resume of such a finished run); 1 runtime error;\n"
"2 usage error; 4 stopped because standard output was closed by its reader\n"
"(-o - piped into head, say); 130 or 143 stopped by SIGINT or SIGTERM (complete\n"
"shards kept; continue with --resume).\n";

/*
 * Fills o from the command line.  0, or TN_EINVAL with the usage error in err;
 * --help and --version print and exit here.
 */
static int parse_options(struct classify_options *o, int argc, char **argv, struct tn_err *err)
{
	enum { OPT_ID = 256, OPT_SHARD, OPT_MAXDOC, OPT_ALL, OPT_RESUME, OPT_FORCE, OPT_PART, OPT_ZSTD,
	       OPT_BATCH, OPT_PROGRESS, OPT_NO_PROGRESS, OPT_INTERVAL };
	static const struct option longopts[] = {
		{ "model", required_argument, NULL, 'm' },
		{ "output", required_argument, NULL, 'o' },
		{ "input-format", required_argument, NULL, 'f' },
		{ "text-field", required_argument, NULL, 't' },
		{ "id-field", required_argument, NULL, OPT_ID },
		{ "shard-docs", required_argument, NULL, OPT_SHARD },
		{ "max-doc-bytes", required_argument, NULL, OPT_MAXDOC },
		{ "all-scores", no_argument, NULL, OPT_ALL },
		{ "resume", no_argument, NULL, OPT_RESUME },
		{ "force", no_argument, NULL, OPT_FORCE },
		{ "part", required_argument, NULL, OPT_PART },
		{ "zstd-level", required_argument, NULL, OPT_ZSTD },
		{ "batch-docs", required_argument, NULL, OPT_BATCH },
		{ "threads", required_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "progress", no_argument, NULL, OPT_PROGRESS },
		{ "no-progress", no_argument, NULL, OPT_NO_PROGRESS },
		{ "progress-interval", required_argument, NULL, OPT_INTERVAL },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	static const char *const formats[] = { "auto", "jsonl", "text", "csv", NULL };
	static const enum tn_input_format format_of[] = { TN_INPUT_AUTO, TN_INPUT_JSONL, TN_INPUT_TEXT, TN_INPUT_CSV };
	struct tn_run_opts *r = &o->run;
	uint64_t size;
	const char *env = getenv(TN_PROGRESS_INTERVAL_ENV);
	long v;
	int c, e;

	memset(o, 0, sizeof(*o));
	tn_run_opts_default(r);
	o->progress_forced = -1;
	o->progress_interval = TN_PROGRESS_INTERVAL_DEFAULT;
	if (env && *env && tn_progress_parse_interval(env, &o->progress_interval))
		return tn_err_set(err, TN_EINVAL, "%s takes seconds (> 0, at most 86400), not '%s'",
				  TN_PROGRESS_INTERVAL_ENV, env);
	while ((c = getopt_long(argc, argv, "m:o:f:t:j:qhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'm': r->model_dir = optarg; break;
		case 'o': r->out_dir = optarg; break;
		case 'f':
			if (tn_parse_enum(optarg, formats, &e))
				return tn_err_set(err, TN_EINVAL, "--input-format takes auto, jsonl, text or csv, not '%s'", optarg);
			r->input_format = format_of[e];
			break;
		case 't': r->text_field = optarg; break;
		case OPT_ID: r->id_field = optarg; break;
		case OPT_SHARD:
			if (tn_parse_long(optarg, 1, 1000000000L, &v))
				return tn_err_set(err, TN_EINVAL, "--shard-docs takes a whole number >= 1, not '%s'", optarg);
			r->shard_docs = (uint64_t)v;
			break;
		case OPT_MAXDOC:
			if (tn_parse_size(optarg, TN_MAX_DOC_BYTES_LIMIT, &size) || size < 1)
				return tn_err_set(err, TN_EINVAL, "--max-doc-bytes takes a size from 1 to 1G, not '%s'", optarg);
			r->max_doc_bytes = (size_t)size;
			break;
		case OPT_ALL: r->all_scores = 1; break;
		case OPT_RESUME: r->resume = 1; break;
		case OPT_FORCE: r->force = 1; break;
		case OPT_PART:
			if (tn_parse_part(optarg, &r->part_i, &r->part_n))
				return tn_err_set(err, TN_EINVAL, "--part takes I/N with 1 <= I <= N, not '%s'", optarg);
			break;
		case OPT_ZSTD:
			if (tn_parse_long(optarg, 1, 19, &v))
				return tn_err_set(err, TN_EINVAL, "--zstd-level takes 1..19, not '%s'", optarg);
			r->zstd_level = (int)v;
			break;
		case OPT_BATCH:
			if (tn_parse_long(optarg, 1, 1000000, &v))
				return tn_err_set(err, TN_EINVAL, "--batch-docs takes 1..1000000, not '%s'", optarg);
			r->batch_docs = (size_t)v;
			break;
		case 'j':
			if (tn_cli_parse_threads(optarg, &o->threads, err))
				return TN_EINVAL;
			break;
		case 'q': o->quiet = 1; break;
		case OPT_PROGRESS: o->progress_forced = 1; break;
		case OPT_NO_PROGRESS: o->progress_forced = 0; break;
		case OPT_INTERVAL:
			if (tn_progress_parse_interval(optarg, &o->progress_interval))
				return tn_err_set(err, TN_EINVAL, "--progress-interval takes seconds (> 0, at most 86400), not '%s'",
						  optarg);
			break;
		case 'h': fputs(usage_text, stdout); fputs(usage_more, stdout); exit(0);
		case 'V': printf("classify (Tenor) %s\n", TN_VERSION); exit(0);
		default: fprintf(stderr, "try 'classify --help'\n"); exit(TN_EXIT_USAGE);
		}
	}
	r->inputs = (const char *const *)(argv + optind);
	r->ninputs = (size_t)(argc - optind);
	return 0;
}

static int utf8(const char *s)
{
	size_t bad;

	return tn_text_valid_utf8(s, strlen(s), &bad);
}

/* 0, or TN_EINVAL with the usage error in err. */
static int check_options(struct classify_options *o, struct tn_err *err)
{
	struct tn_run_opts *r = &o->run;

	if (!r->model_dir)
		return tn_err_set(err, TN_EINVAL, "no model: name a bundle with -m DIR (e.g. models/news)");
	if (!r->out_dir)
		return tn_err_set(err, TN_EINVAL, "no output: name a run folder with -o OUT, or -o - for stdout");
	if (!r->ninputs)
		return tn_err_set(err, TN_EINVAL, "no input given (use - for standard input)");
	if (r->resume && r->force)
		return tn_err_set(err, TN_EINVAL, "--resume and --force contradict each other");
	if (!strcmp(r->out_dir, "-") && (r->resume || r->force))
		return tn_err_set(err, TN_EINVAL, "--resume and --force need a run folder, not -o -");
	/* The manifest is JSON: these must be UTF-8, checked before any work. */
	if (!utf8(r->model_dir))
		return tn_err_set(err, TN_EINVAL, "the model path '%s' is not valid UTF-8", r->model_dir);
	if (!utf8(r->text_field))
		return tn_err_set(err, TN_EINVAL, "--text-field '%s' is not valid UTF-8", r->text_field);
	if (!utf8(r->id_field))
		return tn_err_set(err, TN_EINVAL, "--id-field '%s' is not valid UTF-8", r->id_field);
	/*
	 * A filter whose records go to the same terminal shows no progress line
	 * unless asked: the records would land in the middle of it.
	 */
	tn_progress_clock_init(&o->clock,
			       tn_progress_mode_pick(o->progress_forced,
						     o->quiet || (!strcmp(r->out_dir, "-") && isatty(1) && isatty(2)),
						     isatty(2)),
			       o->progress_interval, tn_now());
	return 0;
}

static void on_signal(int sig)
{
	stop_signal = sig;
}

/* Clears a progress line kept in place on the terminal, so that what follows has a line of its own. */
static void clear_progress(struct classify_options *o)
{
	if (o->clock.on_screen) {
		fputs("\r\033[K", stderr);
		o->clock.on_screen = 0;
	}
}

static void show_progress(void *ctx, const struct tn_run_progress *p)
{
	struct classify_options *o = ctx;
	uint64_t docs = p->docs - (p->docs_before < p->docs ? p->docs_before : p->docs);
	uint64_t text = p->text_bytes - (p->text_bytes_before < p->text_bytes ? p->text_bytes_before : p->text_bytes);
	double rate = p->seconds > 0 ? (double)docs / p->seconds : 0;
	double mbs = p->seconds > 0 ? (double)text / 1e6 / p->seconds : 0;
	char eta[48] = "", hms[32], size[64] = "";

	if (p->final) {
		clear_progress(o);
		return;
	}
	if (!tn_progress_due(&o->clock, tn_now()))
		return;
	if (p->total_bytes && p->raw_bytes <= p->total_bytes) {
		snprintf(size, sizeof(size), ", %.0f%% of %.1f MB", 100.0 * (double)p->raw_bytes / (double)p->total_bytes,
			 (double)p->total_bytes / 1e6);
		if (p->raw_bytes > p->raw_bytes_before)
			tn_progress_eta(eta, sizeof(eta), p->seconds, (double)(p->raw_bytes - p->raw_bytes_before),
					(double)(p->total_bytes - p->raw_bytes_before));
	}
	tn_progress_hms(hms, sizeof(hms), p->seconds);
	fprintf(stderr, "%sclassify: %llu documents (%llu error%s), %.1f MB in %s, %.0f docs/s, %.1f MB/s%s%s%s",
		o->clock.mode == TN_PROGRESS_TERMINAL ? "\r" : "", (unsigned long long)p->docs,
		(unsigned long long)p->errors, p->errors == 1 ? "" : "s", (double)p->text_bytes / 1e6, hms, rate, mbs,
		size, eta, o->clock.mode == TN_PROGRESS_TERMINAL ? "\033[K" : "\n");
	o->clock.on_screen = o->clock.mode == TN_PROGRESS_TERMINAL;
	fflush(stderr);
}

static void show_error(void *ctx, const char *where, const char *why)
{
	struct classify_options *o = ctx;

	if (o->errors_shown++ < SHOW_ERRORS) {
		clear_progress(o);
		fprintf(stderr, "classify: %s: %s\n", where, why);
	}
}

static int run(struct classify_options *o)
{
	struct tn_run_stats st;
	struct tn_err err;
	struct sigaction sa;
	int rc;

	if (o->threads)
		omp_set_num_threads((int)o->threads);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* A reader that goes away (-o - | head) is an EPIPE the run stops on, not a kill. */
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	o->run.stop = &stop_signal;
	o->run.progress = show_progress;
	o->run.on_error = show_error;
	o->run.ctx = o;
	rc = tn_run(&o->run, &st, &err);
	clear_progress(o);
	if (st.already_complete) {
		fprintf(stderr, "classify: '%s' is complete already; nothing to resume (%llu documents, %llu error%s)\n",
			o->run.out_dir, (unsigned long long)st.docs, (unsigned long long)st.errors,
			st.errors == 1 ? "" : "s");
		tn_run_stats_release(&st);
		return st.errors ? EXIT_DOC_ERRORS : 0;
	}
	if (rc == TN_ECLOSED) {
		fprintf(stderr, "classify: stopped: %s\n", err.msg);
		tn_run_stats_release(&st);
		return EXIT_OUTPUT_CLOSED;
	}
	if (rc && rc != TN_EINTR) {
		fprintf(stderr, "classify: %s\n", err.msg);
		tn_run_stats_release(&st);
		return TN_EXIT_ERROR;
	}
	if (st.errors > SHOW_ERRORS)
		fprintf(stderr, "classify: ... %llu more error records\n",
			(unsigned long long)(st.errors - SHOW_ERRORS));
	if (st.summary)
		fputs(st.summary, stderr);
	{
		/* Rates count this run's work only: a resumed run's earlier documents are not in them. */
		uint64_t docs = st.docs - (st.docs_before < st.docs ? st.docs_before : st.docs);
		uint64_t text = st.text_bytes - (st.text_bytes_before < st.text_bytes ? st.text_bytes_before : st.text_bytes);

		fprintf(stderr, "classify: %llu documents (%llu ok, %llu error%s) in %.2f s, %.0f docs/s, %.1f MB/s",
			(unsigned long long)st.docs, (unsigned long long)st.ok, (unsigned long long)st.errors,
			st.errors == 1 ? "" : "s", st.seconds, st.seconds > 0 ? (double)docs / st.seconds : 0.0,
			st.seconds > 0 ? (double)text / 1e6 / st.seconds : 0.0);
		if (st.docs_before)
			fprintf(stderr, " (%llu new after --resume)", (unsigned long long)docs);
	}
	if (strcmp(o->run.out_dir, "-"))
		fprintf(stderr, "; %u shard%s in '%s'", st.shards, st.shards == 1 ? "" : "s", o->run.out_dir);
	fputc('\n', stderr);
	tn_run_stats_release(&st);
	if (rc == TN_EINTR) {
		fprintf(stderr, "classify: %s\n", err.msg);
		return 128 + (int)stop_signal;
	}
	return st.errors ? EXIT_DOC_ERRORS : 0;
}

int main(int argc, char **argv)
{
	struct classify_options o;
	struct tn_err err;

	if (parse_options(&o, argc, argv, &err) || check_options(&o, &err)) {
		fprintf(stderr, "classify: %s\ntry 'classify --help'\n", err.msg);
		return TN_EXIT_USAGE;
	}
	return run(&o);
}
