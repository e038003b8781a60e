/*
 * classify - stream documents through a model bundle into zstd shards.
 *
 * Option parsing fills struct classify_options, check_options validates it,
 * and run() hands the job to the library's pipeline (lib/pipeline.h), printing
 * progress, the first error records and the summary.  Signals only set a flag
 * that the pipeline polls between batches.  tn_classify_main is the entry of
 * `tenor classify` and of the bin/classify alias (classify/tenor.c); every
 * message starts with the name it was called by.
 */
#include <getopt.h>
#include <omp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "main.h"

#include "../lib/about.h"
#include "../lib/buf.h"
#include "../lib/cli.h"
#include "../lib/limits.h"
#include "../lib/merge.h"
#include "../lib/parse.h"
#include "../lib/pipeline.h"
#include "../lib/report.h"
#include "../lib/progress.h"
#include "../lib/text.h"
#include "../lib/version.h"

#define EXIT_DOC_ERRORS 3
#define EXIT_OUTPUT_CLOSED 4
#define SHOW_ERRORS 10

struct classify_options {
	struct tn_run_opts run;
	const char *report_dir;          /* --report OUT: only (re)write OUT/report.html */
	char *model_path;        /* -m resolved (tn_cli_find_model), owned */
	const char **cmdv;       /* run.argv when it was rewritten (self_command), owned */
	char *exe;               /* its first word: this executable's path, owned */
	long threads;
	int quiet;
	int progress_forced;     /* -1, or --no-progress (0) / --progress (1) */
	double progress_interval;
	struct tn_progress_clock clock;
	const char *merge;               /* --merge OUT: merge the parts in OUT instead of a run */
	uint64_t errors_shown;
};

static volatile sig_atomic_t stop_signal;
/* The name messages start with: "classify" or "tenor classify". */
static const char *prog = "classify";

/* After the line "Usage: PROG -m MODEL -o OUT [options] INPUT...". */
static const char usage_text[] =
"\n"
"Tags every document of the inputs with every head of a model bundle, on all\n"
"cores, and writes one JSON record per document, in input order, to zstd\n"
"shards OUT/part-00000.jsonl.zst, ... with OUT/manifest.json and OUT/_SUCCESS,\n"
"and at the end a report of the run to open in a browser, OUT/report.html.\n"
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
"  -m, --model MODEL        model bundle made by train: a folder, or the name of\n"
"                           an installed model (news; see Models)  [required]\n"
"  -o, --output OUT         run folder, or - for plain JSONL on stdout  [required]\n"
"  -f, --input-format F     auto, jsonl, text or csv: how to read files and\n"
"                           members  [auto: .jsonl/.ndjson/.json names and a\n"
"                           first line that is a JSON object are JSONL, .csv\n"
"                           names CSV; -f text reads every file as one text]\n"
"  -t, --text-field NAME    JSONL field or CSV column holding the text  [text]\n"
"      --id-field NAME      JSONL field or CSV column holding the id  [id]\n"
"      --shard-docs N       records per shard  [1000000]\n"
"      --max-doc-bytes SIZE\n"
"                           longest document or line; longer ones become error\n"
"                           records (K, M, G suffixes)  [16M]\n"
"      --all-scores         add HEAD_scores: every class's score\n"
"      --keep-text SIZE     add \"text\": the document's first SIZE bytes (cut\n"
"                           on a character boundary; K, M suffixes); the report\n"
"                           then shows each class's most confident and most\n"
"                           uncertain documents  [0: no text]\n"
"      --top K              add HEAD_top: the K best classes with their scores,\n"
"                           best first\n"
"      --min-score P        a head whose best score is below P (0..1) is written\n"
"                           \"HEAD\": null (it abstains; HEAD_score stays)\n"
"      --explain K          add HEAD_explain: the K n-grams of the document that\n"
"                           pushed hardest toward the chosen class, with their\n"
"                           contribution to its decision value (one-vs-rest\n"
"                           linear heads only; slower)\n"
"      --no-probability     scores from decision margins instead of calibrated\n"
"                           probabilities (see Scores below)\n"
"      --resume             continue an interrupted run in OUT after its last\n"
"                           complete shard (same model, options and inputs)\n"
"      --force              start over in an OUT that holds a run\n";
/* Split in two: ISO C limits a string literal's length. */
static const char usage_text2[] =
"      --part I/N           process only part I of N, a contiguous range of the\n"
"                           input: whole files (about 1/N of the bytes each) when\n"
"                           there are at least N files, else 1/N of the documents\n"
"                           (counted first, so not standard input).  The N parts\n"
"                           hold every document exactly once and may share one\n"
"                           OUT (a shared filesystem): part I writes only\n"
"                           OUT/part-IIIII-NNNNN.jsonl.zst, its manifest\n"
"                           OUT/manifest-part-IIIII-of-NNNNN.json and its lock,\n"
"                           no _SUCCESS; --resume and --force act on part I alone\n"
"      --merge OUT          after all N parts: check that each is complete, ran\n"
"                           with the same model, options and inputs, and that\n"
"                           they cover every document once (reading every\n"
"                           shard), then write OUT/manifest.json (counts summed,\n"
"                           evaluation combined, every shard in order) and\n"
"                           OUT/_SUCCESS; the parts' files stay.  Names each\n"
"                           missing or failed part with the command that re-runs\n"
"                           it and exits 1.  Merging again gives the same result\n"
"      --zstd-level L       shard compression level, 1..19  [3]\n"
"      --batch-docs N       documents read per batch  [4096]\n"
"  -j, --threads N          threads  [all cores]\n"
"      --report OUT         only (re)write OUT/report.html from the manifest and\n"
"                           shards of the run in OUT (finished or not)\n"
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
"\n"
"  {\"id\": ID, \"error\": \"invalid JSON at byte 12\"}\n"
"  With --explain K: \"topic_explain\": [{\"ngram\": \"disarm first\", \"weight\": 0.41}, ...]\n"
"\n"
"Scores: the calibrated probability of the class, from what train fitted on\n"
"  out-of-fold decision values.  By default (train --calibration platt) pairwise\n"
"  Platt sigmoids coupled, the label the class of the highest probability (as\n"
"  svm-predict -b 1); with train --calibration softmax a softmax of the\n"
"  classes' decision values with one temperature, so the label is the model's\n"
"  decision and its score the highest (models/news is such a bundle).  Among the\n"
"  documents scored 0.8, about 80% are right (the bundle's manifest has the\n"
"  reliability table).  A head trained with --no-probability, or --no-probability\n"
"  here: 1/(1+exp(-m)), m the class's smallest margin over the others: 0.5 at a\n"
"  tie, growing with the margin, not a probability.\n"
"  The summary and the manifest's \"counts\" give each head's count per class\n"
"  (\"heads\"), documents whose label is null (\"abstained\"), error records and\n"
"  the first two heads' cross-table (\"cross\"); the manifest also has the\n"
"  Tenor version, \"started_at\"/\"finished_at\" (UTC) and the model's identity.\n"
"  If the inputs carry a head's labels (a JSONL field named like the head), the\n"
"  summary and the manifest give accuracy, macro-F1 and the confusion matrix.\n"
"\n"
"Report (OUT/report.html, not with -o -): one static page, no script, no\n"
"network: class counts per head, the cross-table as a heat map, score\n"
"histograms per class, throughput over the run, errors by kind with their first\n"
"places, confusion matrices when the inputs carried labels, and with\n"
"--keep-text the most confident and most uncertain documents per class.\n"
"\n"
"Models: -m MODEL is the folder MODEL when it exists; a name without '/' is\n"
"else looked up in each folder of $TENOR_MODELS (colon-separated), then among\n"
"the models installed with Tenor (PREFIX/share/tenor/models).\n"
"\n"
"Run folders: OUT must be new, empty, or hold a classify run (its manifest.json)\n"
"or parts of one (--part I/N); nothing else in it is ever deleted or replaced,\n"
"and --force removes only the shards its manifest lists, its report.html and\n"
"classify's temporary files (a part's: its own only).\n"
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
"shards kept; continue with --resume).  --merge: 0 merged, 3 merged but some\n"
"documents are error records, 1 a part missing, unfinished or inconsistent.\n";

/*
 * Fills o from the command line.  0, or TN_EINVAL with the usage error in err;
 * --help and --version print and exit here.
 */
static int parse_options(struct classify_options *o, int argc, char **argv, struct tn_err *err)
{
	enum { OPT_ID = 256, OPT_SHARD, OPT_MAXDOC, OPT_ALL, OPT_RESUME, OPT_FORCE, OPT_PART, OPT_ZSTD,
	       OPT_BATCH, OPT_KEEP, OPT_REPORT, OPT_TOP, OPT_MINSCORE, OPT_EXPLAIN, OPT_NOPROB, OPT_MERGE,
	       OPT_PROGRESS, OPT_NO_PROGRESS, OPT_INTERVAL };
	static const struct option longopts[] = {
		{ "model", required_argument, NULL, 'm' },
		{ "output", required_argument, NULL, 'o' },
		{ "input-format", required_argument, NULL, 'f' },
		{ "text-field", required_argument, NULL, 't' },
		{ "id-field", required_argument, NULL, OPT_ID },
		{ "shard-docs", required_argument, NULL, OPT_SHARD },
		{ "max-doc-bytes", required_argument, NULL, OPT_MAXDOC },
		{ "all-scores", no_argument, NULL, OPT_ALL },
		{ "keep-text", required_argument, NULL, OPT_KEEP },
		{ "report", required_argument, NULL, OPT_REPORT },
		{ "top", required_argument, NULL, OPT_TOP },
		{ "min-score", required_argument, NULL, OPT_MINSCORE },
		{ "explain", required_argument, NULL, OPT_EXPLAIN },
		{ "no-probability", no_argument, NULL, OPT_NOPROB },
		{ "resume", no_argument, NULL, OPT_RESUME },
		{ "force", no_argument, NULL, OPT_FORCE },
		{ "part", required_argument, NULL, OPT_PART },
		{ "merge", required_argument, NULL, OPT_MERGE },
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
	long v;
	int c, e;

	memset(o, 0, sizeof(*o));
	tn_run_opts_default(r);
	o->progress_forced = -1;
	if (tn_progress_interval_init(&o->progress_interval, err))
		return TN_EINVAL;
	opterr = 0;   /* tn_cli_getopt_error words the refusal */
	while ((c = getopt_long(argc, argv, ":m:o:f:t:j:qhV", longopts, NULL)) != -1) {
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
		case OPT_KEEP:
			if (tn_parse_size(optarg, TN_MAX_DOC_BYTES_LIMIT, &size))
				return tn_err_set(err, TN_EINVAL, "--keep-text takes a size from 0 to 1G, not '%s'", optarg);
			r->keep_text = (size_t)size;
			break;
		case OPT_REPORT: o->report_dir = optarg; break;
		case OPT_TOP:
			if (tn_parse_long(optarg, 1, TN_MAX_CLASSES, &v))
				return tn_err_set(err, TN_EINVAL, "--top takes a number of classes, 1..%d, not '%s'",
						  TN_MAX_CLASSES, optarg);
			r->top = (int)v;
			break;
		case OPT_MINSCORE:
			if (tn_parse_double(optarg, 0, 1, &r->min_score))
				return tn_err_set(err, TN_EINVAL, "--min-score takes a score from 0 to 1, not '%s'", optarg);
			break;
		case OPT_EXPLAIN:
			if (tn_parse_long(optarg, 1, 64, &v))
				return tn_err_set(err, TN_EINVAL, "--explain takes a number of n-grams, 1..64, not '%s'", optarg);
			r->explain = (int)v;
			break;
		case OPT_NOPROB: r->no_probability = 1; break;
		case OPT_RESUME: r->resume = 1; break;
		case OPT_FORCE: r->force = 1; break;
		case OPT_PART:
			if (tn_parse_part(optarg, &r->part_i, &r->part_n))
				return tn_err_set(err, TN_EINVAL, "--part takes I/N with 1 <= I <= N, not '%s'", optarg);
			break;
		case OPT_MERGE: o->merge = optarg; break;
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
			if (tn_progress_interval_arg("--progress-interval", optarg, &o->progress_interval, err))
				return TN_EINVAL;
			break;
		case 'h':
			printf("Usage: %s -m MODEL -o OUT [options] INPUT...\n"
			       "       %s --report OUT\n"
			       "       %s --merge OUT\n%s", prog, prog, prog, usage_text);
			fputs(usage_text2, stdout);
			fputs(usage_more, stdout);
			exit(0);
		case 'V': tn_about_print_version(stdout, prog); exit(0);
		default: return tn_cli_getopt_error(c, argv, optind, optopt, longopts, err);
		}
	}
	r->argv = (const char *const *)argv;
	r->argc = argc;
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

	if (o->report_dir) {
		if (r->model_dir || r->out_dir || r->ninputs)
			return tn_err_set(err, TN_EINVAL, "--report OUT takes no model, output or input: it reads the run in OUT");
		return 0;
	}
	if (o->merge && (r->model_dir || r->out_dir || r->ninputs || r->resume || r->force || r->part_n > 1))
		return tn_err_set(err, TN_EINVAL, "--merge OUT takes no model, output, inputs, --part, --resume or "
				  "--force: the parts' manifests in OUT say them");
	if (o->merge)
		return 0;
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
	fprintf(stderr, "%s%s: %llu documents (%llu error%s), %.1f MB in %s, %.0f docs/s, %.1f MB/s%s%s%s",
		o->clock.mode == TN_PROGRESS_TERMINAL ? "\r" : "", prog, (unsigned long long)p->docs,
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
		fprintf(stderr, "%s: %s: %s\n", prog, where, why);
	}
}

/* Writes OUT/report.html and says where it is.  0, or 1 with the message printed. */
static int write_report(const char *out_dir)
{
	struct tn_err err;

	if (tn_report_write(out_dir, NULL, &err)) {
		fprintf(stderr, "%s: cannot write the report: %s\n", prog, err.msg);
		return 1;
	}
	fprintf(stderr, "%s: report in '%s/report.html'\n", prog, out_dir);
	return 0;
}

static int run(struct classify_options *o)
{
	struct tn_run_stats st;
	struct tn_err err;
	struct sigaction sa;
	int rc;

	/* -m news: the folder, else $TENOR_MODELS/news, else the installed one. */
	if (tn_cli_find_model(o->run.model_dir, getenv("TENOR_MODELS"), tn_about_models_dir(), &o->model_path, &err)) {
		fprintf(stderr, "%s: %s\n", prog, err.msg);
		return TN_EXIT_ERROR;
	}
	o->run.model_dir = o->model_path;
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
	/* Parts share OUT: the merge writes the run's report, not each part. */
	o->run.report = o->run.part_n <= 1;
	rc = tn_run(&o->run, &st, &err);
	clear_progress(o);
	if (st.already_complete) {
		fprintf(stderr, "%s: '%s' is complete already; nothing to resume (%llu documents, %llu error%s)\n",
			prog, o->run.out_dir, (unsigned long long)st.docs, (unsigned long long)st.errors,
			st.errors == 1 ? "" : "s");
		tn_run_stats_release(&st);
		return st.errors ? EXIT_DOC_ERRORS : 0;
	}
	if (rc == TN_ECLOSED) {
		fprintf(stderr, "%s: stopped: %s\n", prog, err.msg);
		tn_run_stats_release(&st);
		return EXIT_OUTPUT_CLOSED;
	}
	if (rc && rc != TN_EINTR) {
		fprintf(stderr, "%s: %s\n", prog, err.msg);
		tn_run_stats_release(&st);
		return TN_EXIT_ERROR;
	}
	if (st.errors > SHOW_ERRORS)
		fprintf(stderr, "%s: ... %llu more error records\n", prog,
			(unsigned long long)(st.errors - SHOW_ERRORS));
	if (st.counts)
		fputs(st.counts, stderr);
	if (st.summary)
		fputs(st.summary, stderr);
	{
		/* Rates count this run's work only: a resumed run's earlier documents are not in them. */
		uint64_t docs = st.docs - (st.docs_before < st.docs ? st.docs_before : st.docs);
		uint64_t text = st.text_bytes - (st.text_bytes_before < st.text_bytes ? st.text_bytes_before : st.text_bytes);

		fprintf(stderr, "%s: %llu documents (%llu ok, %llu error%s) in %.2f s, %.0f docs/s, %.1f MB/s",
			prog, (unsigned long long)st.docs, (unsigned long long)st.ok, (unsigned long long)st.errors,
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
		fprintf(stderr, "%s: %s\n", prog, err.msg);
		return 128 + (int)stop_signal;
	}
	if (strcmp(o->run.out_dir, "-")) {
		if (st.report_rc) {
			fprintf(stderr, "%s: cannot write the report: %s\n", prog, st.report_err.msg);
			return TN_EXIT_ERROR;
		}
		fprintf(stderr, "%s: report in '%s/report.html'\n", prog, o->run.out_dir);
	}
	return st.errors ? EXIT_DOC_ERRORS : 0;
}

/* classify --merge OUT: 0 (3 with error records) when merged, 1 with every problem part named. */
static int run_merge(const struct classify_options *o)
{
	struct tn_merge_stats st;
	struct tn_err err;
	int rc = tn_merge(o->merge, &st, &err);

	if (rc) {
		const char *line = st.problems;

		while (line && *line) {
			const char *nl = strchr(line, '\n');
			int len = nl ? (int)(nl - line) : (int)strlen(line);

			fprintf(stderr, "%s: %.*s\n", prog, len, line);
			line += len + (nl ? 1 : 0);
		}
		fprintf(stderr, "%s: %s\n", prog, err.msg);
		tn_merge_stats_release(&st);
		return TN_EXIT_ERROR;
	}
	if (st.summary && !o->quiet)
		fputs(st.summary, stderr);
	fprintf(stderr, "%s: merged %ld parts in '%s': %llu documents (%llu ok, %llu error%s) in %u shard%s; "
		"wrote manifest.json and _SUCCESS\n", prog, st.parts, o->merge, (unsigned long long)st.docs,
		(unsigned long long)st.ok, (unsigned long long)st.errors, st.errors == 1 ? "" : "s", st.shards,
		st.shards == 1 ? "" : "s");
	rc = st.errors ? EXIT_DOC_ERRORS : 0;
	tn_merge_stats_release(&st);
	if (write_report(o->merge))
		rc = TN_EXIT_ERROR;
	return rc;
}

/*
 * The command line a part's manifest records, for the merge to print as the
 * way to re-run the part: argv[0] is the name the program was called by
 * ("classify", "tenor classify"), not always a path a shell finds, so it
 * becomes this executable's absolute path followed by "classify" (bin/classify
 * is a link to tenor).  Kept as it was if the path cannot be found.
 */
static void self_command(struct classify_options *o, int argc, char **argv)
{
	char *exe = realpath("/proc/self/exe", NULL);
	const char **v = exe && argc > 0 ? calloc((size_t)argc + 2, sizeof(*v)) : NULL;
	int k;

	if (!v) {
		free(exe);
		return;
	}
	o->exe = exe;
	v[0] = exe;
	v[1] = "classify";
	for (k = 1; k < argc; k++)
		v[k + 1] = argv[k];
	o->cmdv = v;
	o->run.argv = v;
	o->run.argc = argc + 1;
}

int tn_classify_main(int argc, char **argv)
{
	struct classify_options o;
	struct tn_err err;
	int rc;

	if (argc > 0 && argv[0] && argv[0][0])
		prog = argv[0];
	if (parse_options(&o, argc, argv, &err) || check_options(&o, &err)) {
		fprintf(stderr, "%s: %s\ntry '%s --help'\n", prog, err.msg, prog);
		return TN_EXIT_USAGE;
	}
	o.cmdv = NULL;
	o.exe = NULL;
	self_command(&o, argc, argv);
	if (o.report_dir)
		rc = write_report(o.report_dir) ? TN_EXIT_ERROR : 0;
	else
		rc = o.merge ? run_merge(&o) : run(&o);
	free(o.model_path);
	free(o.cmdv);
	free(o.exe);
	return rc;
}
