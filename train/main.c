/*
 * train - turn a labeled corpus into a model bundle.
 *
 * Option parsing fills struct train_options, check_options validates it, and
 * run() drives the library: load the corpus, train every head (with
 * cross-validation if asked), save the bundle, evaluate a held-out file.
 * Figures go to stdout; progress, warnings and errors to stderr.
 * tn_train_main is the entry of `tenor train` and of the bin/train alias
 * (classify/tenor.c); every message starts with the name it was called by.
 */
#include <errno.h>
#include <getopt.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "main.h"

#include "../lib/about.h"
#include "../lib/buf.h"
#include "../lib/bundle.h"
#include "../lib/cli.h"
#include "../lib/explain.h"
#include "../lib/names.h"
#include "../lib/corpus.h"
#include "../lib/limits.h"
#include "../lib/metrics.h"
#include "../lib/parse.h"
#include "../lib/grid.h"
#include "../lib/progress.h"
#include "../lib/train.h"
#include "../lib/version.h"

struct train_options {
	const char *output;
	const char *test;
	struct tn_corpus_opts corpus;
	struct tn_feat_opts feat;
	struct tn_train_opts train;
	char **labels;
	size_t nlabels;
	long threads;
	int quiet;
	int grid;
	int solver_set;          /* --solver given: --kernel rbf does not pick libsvm */
	int ngrams_set;          /* -n given: the word n-grams are not chosen */
	int loss_set;            /* --loss given: libsvm's solver refuses squared-hinge */
	int progress_forced;     /* -1, or --no-progress (0) / --progress (1) */
	double progress_interval;
	struct tn_progress_clock clock;
	const char *stage;       /* the stage being reported, and when it started */
	double stage_t0;
	int stage_shown;         /* a plain line of this stage was printed */
	const char *lexicon;     /* --lexicon FILE, loaded by run() once the seed is known */
	char **inputs;
	size_t ninputs;
	long top_features;       /* --top-features K: print each class's strongest n-grams */
	const char *inspect;     /* --inspect DIR: only print those of an existing bundle */
};

/* The name messages start with: "train" or "tenor train". */
static const char *prog = "train";

/* After the line "Usage: PROG -o DIR [options] CORPUS...". */
static const char usage_text[] =
"\n"
"Trains one libsvm model per label field (\"head\") of a labeled corpus and\n"
"writes a model bundle to DIR (e.g. models/news).  CORPUS files are JSONL, TSV,\n"
"CSV or fastText, plain or compressed (gzip, zstd, xz, bzip2: by magic bytes);\n"
"'-' reads standard input.  Several files form one corpus.\n"
"\n"
"Options:\n"
"\n"
"Input:\n"
"  -o, --output DIR       bundle folder to write: new, empty, or a bundle to\n"
"                         replace (atomically); any other folder is refused\n"
"                         [required]\n"
"  -f, --format FMT       auto, jsonl, tsv, csv or fasttext  [auto: by file\n"
"                         name (.csv: CSV, RFC 4180 with a header row), then\n"
"                         by the first line]\n"
"  -t, --text-field NAME  field or column holding the text  [text]\n"
"  -l, --labels A,B,...   label fields to train, one head each  [every string\n"
"                         field but id and the text; fastText: label]\n"
"      --on-error MODE    stop: a malformed record ends the run (default);\n"
"                         skip: count and skip malformed records\n"
"\n"
"Features:\n"
"  -n, --ngrams MIN-MAX   word n-gram range, or N for 1-N  [chosen: 1-1 or\n"
"                         1-2, whichever has the higher out-of-fold macro-F1\n"
"                         (mean over the heads; 1-2 must win by 0.002) on the\n"
"                         calibration folds, or the --cv folds; below 2,500\n"
"                         documents the mean over 2 or 3 splits into folds;\n"
"                         the summary and the manifest (\"selection\") say\n"
"                         which]\n"
"      --char-ngrams MIN-MAX  also character n-grams of \"<word>\" (e.g. 3-5: a\n"
"                         little more accurate on some corpora, 3x slower to\n"
"                         classify), N for 1-N, or off  [off]\n"
"  -b, --bits B           hash into 2^B buckets, 10..24  [20]\n"
"      --min-df N         drop n-grams seen in fewer than N documents  [2]\n"
"      --raw-tf           use raw term counts instead of 1 + ln(tf)\n"
"      --seed N           hash seed (decimal or 0x hex)  [0x54656e6f72]\n"
"\n";

/* The rest of --help (one string would pass the 4095 characters C99 promises). */
static const char usage_text2[] =
"Tone features (each recorded in the bundle, so classify adds the same):\n"
"      --negation N       the N words after not, no, never, without, n't ...\n"
"                         also count as negated copies (\"NOT_word\"); 0: off  [0]\n"
"      --lexicon FILE     a valence lexicon, lines \"word<TAB>score\" (score an\n"
"                         integer, -9..9; e.g. AFINN-165, fetched by\n"
"                         data/fetch/afinn.py): each lexicon word counts as its\n"
"                         score's class, the sign flipped when negated; the\n"
"                         words are stored in the bundle; phrases and words\n"
"                         scored 0 are skipped  [none]\n"
"      --attribution      reporting words (said, told, according, spokesman ...)\n"
"                         and quotation marks count as two cue features  [off]\n"
"\n"
"Model:\n"
"  -s, --solver S         linear (default): liblinear's dual solver (--loss, C\n"
"                         and class weights as libsvm's C-SVC applies them) in\n"
"                         linear time, saved as a linear libsvm model that\n"
"                         svm-predict reads; libsvm: libsvm's exact C-SVC,\n"
"                         quadratic time, linear or RBF, one-vs-one;\n"
"                         liblinear: one-vs-rest in liblinear's own format\n"
"      --multiclass M     linear solver with 3+ classes: ovr, one model per\n"
"                         class against the rest, or ovo, one per class pair\n"
"                         voting as libsvm does  [ovr]\n"
"      --loss L           linear and liblinear solvers: squared-hinge (liblinear's\n"
"                         L2-loss, as scikit-learn's LinearSVC) or hinge (as\n"
"                         libsvm's C-SVC); libsvm: hinge  [squared-hinge]\n"
"  -k, --kernel K         linear or rbf; rbf trains with --solver libsvm  [linear]\n"
"  -C, --cost C           SVM regularisation C  [1]\n"
"  -g, --gamma G          RBF kernel width  [1; vectors have unit length]\n"
"      --class-weight W   balanced: weigh classes by n / (k * n_class); none:\n"
"                         all 1  [balanced]\n"
"      --balanced         the same as --class-weight balanced\n"
"      --no-probability   no calibration (faster): classify then scores by\n"
"                         decision margins.  By default every head is calibrated\n"
"                         on out-of-fold decision values of a seeded 5-fold\n"
"                         split (with --cv K: its K folds; a corpus larger than\n"
"                         --fold-docs: folds of a sample that large) by\n"
"                         pairwise Platt sigmoids (--calibration); the\n"
"                         manifest keeps the reliability table and the\n"
"                         methods' log loss and macro-F1, the bundle the plot\n"
"                         reliability-HEAD.svg  (--probability: the default)\n"
"      --calibration M    one-vs-rest heads: platt (pairwise sigmoids coupled;\n"
"                         the label is the most probable class, as svm-predict\n"
"                         -b 1 gives it: 0.6 point more macro-F1 on the mean of\n"
"                         eleven tasks, README) or softmax (one temperature;\n"
"                         the label is the model's decision); one-vs-one and\n"
"                         libsvm heads are always platt, liblinear's softmax\n"
"                         [platt]\n"
"      --eps E            libsvm stopping tolerance  [0.001]\n"
"      --cache-mb M       libsvm kernel cache per training task  [100]\n"
"\n";

/* In two parts: C11 compilers need only take strings of 4095 bytes. */
static const char usage_select[] =
"Model selection:\n"
"      --grid             choose by cross-validated macro-F1 (--cv K folds, 5 by\n"
"                         default): per head C in {0.1,0.3,1,3,10} and class\n"
"                         weighting (none, balanced); for the bundle the word\n"
"                         n-gram range 1-1, 1-2 or 1-3.  The choices and every\n"
"                         score go into the manifest (\"grid\")\n"
"      --group FIELD      keep the documents that share FIELD's value (the\n"
"                         source, author or thread they came from) in one fold\n"
"                         of every split: calibration, the choice of word\n"
"                         n-grams, --cv and --grid.  Use it when such documents\n"
"                         are near-duplicates, or the folds score the model on\n"
"                         copies of its training text and flatter it.  A record\n"
"                         without FIELD is a group of its own; FIELD is never\n"
"                         a head  [none: folds split documents]\n"
"      --fold-docs N      the calibration folds and the choice of word n-grams\n"
"                         use a seeded random sample of N documents of a larger\n"
"                         corpus (the final models train on all; ignored with\n"
"                         --cv); 0: every document  [20000]\n"
"\n";

/* The rest of --help (one string would pass C's 4095-byte limit). */
static const char usage_more[] =
"Quality figures (printed, and stored in the manifest):\n"
"      --cv K             K-fold stratified cross-validation, folds in parallel;\n"
"                         a head labelled by its most probable class (one-vs-one,\n"
"                         libsvm, --calibration platt) is scored on those labels,\n"
"                         its sigmoids fitted on the other folds\n"
"      --test FILE        evaluate the saved bundle on a held-out labeled file\n"
"\n"
"Looking inside a model:\n"
"      --top-features K   after training, print each class's K n-grams of the\n"
"                         largest weight, per head (one-vs-rest linear heads)\n"
"      --inspect DIR      print them for the existing bundle DIR and exit\n"
"                         (K: --top-features, default 10)\n"
"\n"
"Other:\n"
"  -j, --threads N        threads  [all cores]\n"
"  -q, --quiet            no progress or summary on stderr\n"
"      --progress         show progress even when stderr is not a terminal\n"
"      --no-progress      show no progress (the summary is still printed)\n"
"      --progress-interval S  seconds between progress lines when stderr is not\n"
"                         a terminal (also TENOR_PROGRESS_INTERVAL)  [30]\n"
"  -h, --help             this help\n"
"  -V, --version          version\n"
"\n"
"The defaults (balanced class weights, C = 1, the linear solver one-vs-rest with\n"
"the squared hinge loss, no character n-grams) were chosen by leave-one-corpus-\n"
"out cross-validation on eleven tasks from eight public corpora, among options\n"
"that keep classify fast; the word n-grams, on which the corpora disagreed, are\n"
"chosen per corpus by the folds unless -n fixes them; Platt labels by\n"
"bench/cv_gap.py, the same folds of the eleven train splits with either\n"
"calibration, three fold seeds (README, \"Choosing the defaults\").\n"
"\n"
"Progress: each stage (features, training tasks: every head's final model, its\n"
"cross-validation folds and calibration folds) with its elapsed time and an ETA\n"
"from the tasks done so far; on a terminal one line kept up to date, otherwise a\n"
"plain line every interval.\n"
"\n"
"Exit codes: 0 success, 1 error (bad data, I/O), 2 usage error.\n";

static int split_labels(struct train_options *o, const char *arg, struct tn_err *err)
{
	char *copy = strdup(arg), *tok, *save = NULL;

	if (!copy)
		return tn_err_set(err, TN_EINVAL, "out of memory");
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char **p = realloc(o->labels, (o->nlabels + 1) * sizeof(*p));

		if (!p) {
			if (!o->nlabels)
				free(copy);   /* else main frees it as labels[0] */
			return tn_err_set(err, TN_EINVAL, "out of memory");
		}
		o->labels = p;
		o->labels[o->nlabels++] = tok;
	}
	if (!o->nlabels) {
		free(copy);
		return tn_err_set(err, TN_EINVAL, "--labels needs at least one field name, not '%s'", arg);
	}
	return 0;
}

/*
 * Fills o from the command line.  0, or TN_EINVAL with the usage error in err;
 * --help and --version print and exit here.
 */
static int parse_options(struct train_options *o, int argc, char **argv, struct tn_err *err)
{
	enum { OPT_CHAR = 256, OPT_MINDF, OPT_RAWTF, OPT_SEED, OPT_BAL, OPT_PROB, OPT_EPS, OPT_CACHE,
	       OPT_CV, OPT_TEST, OPT_ONERR, OPT_GRID, OPT_CW, OPT_MULTI, OPT_NOPROB, OPT_TOPFEAT, OPT_INSPECT, OPT_CALIB,
	       OPT_PROGRESS, OPT_NO_PROGRESS, OPT_INTERVAL, OPT_NEG, OPT_LEX, OPT_ATTR, OPT_FOLDDOCS, OPT_LOSS,
	       OPT_GROUP };
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "format", required_argument, NULL, 'f' },
		{ "text-field", required_argument, NULL, 't' },
		{ "labels", required_argument, NULL, 'l' },
		{ "on-error", required_argument, NULL, OPT_ONERR },
		{ "ngrams", required_argument, NULL, 'n' },
		{ "char-ngrams", required_argument, NULL, OPT_CHAR },
		{ "bits", required_argument, NULL, 'b' },
		{ "min-df", required_argument, NULL, OPT_MINDF },
		{ "raw-tf", no_argument, NULL, OPT_RAWTF },
		{ "seed", required_argument, NULL, OPT_SEED },
		{ "negation", required_argument, NULL, OPT_NEG },
		{ "lexicon", required_argument, NULL, OPT_LEX },
		{ "attribution", no_argument, NULL, OPT_ATTR },
		{ "solver", required_argument, NULL, 's' },
		{ "kernel", required_argument, NULL, 'k' },
		{ "cost", required_argument, NULL, 'C' },
		{ "gamma", required_argument, NULL, 'g' },
		{ "balanced", no_argument, NULL, OPT_BAL },
		{ "class-weight", required_argument, NULL, OPT_CW },
		{ "probability", no_argument, NULL, OPT_PROB },
		{ "no-probability", no_argument, NULL, OPT_NOPROB },
		{ "calibration", required_argument, NULL, OPT_CALIB },
		{ "top-features", required_argument, NULL, OPT_TOPFEAT },
		{ "inspect", required_argument, NULL, OPT_INSPECT },
		{ "eps", required_argument, NULL, OPT_EPS },
		{ "cache-mb", required_argument, NULL, OPT_CACHE },
		{ "cv", required_argument, NULL, OPT_CV },
		{ "grid", no_argument, NULL, OPT_GRID },
		{ "fold-docs", required_argument, NULL, OPT_FOLDDOCS },
		{ "group", required_argument, NULL, OPT_GROUP },
		{ "multiclass", required_argument, NULL, OPT_MULTI },
		{ "loss", required_argument, NULL, OPT_LOSS },
		{ "test", required_argument, NULL, OPT_TEST },
		{ "threads", required_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "progress", no_argument, NULL, OPT_PROGRESS },
		{ "no-progress", no_argument, NULL, OPT_NO_PROGRESS },
		{ "progress-interval", required_argument, NULL, OPT_INTERVAL },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	static const char *const solvers[] = { "linear", "libsvm", "liblinear", NULL };
	static const char *const kernels[] = { "linear", "rbf", NULL };
	static const char *const on_error[] = { "stop", "skip", NULL };
	static const char *const weights[] = { "none", "balanced", NULL };
	static const char *const multiclass[] = { "ovr", "ovo", NULL };
	static const char *const losses[] = { "hinge", "squared-hinge", NULL };
	static const char *const calibrations[] = { "softmax", "platt", NULL };
	long a, b;
	int c, e;

	memset(o, 0, sizeof(*o));
	o->progress_forced = -1;
	if (tn_progress_interval_init(&o->progress_interval, err))
		return TN_EINVAL;
	tn_corpus_opts_default(&o->corpus);
	tn_feat_opts_default(&o->feat);
	tn_train_opts_default(&o->train);
	/*
	 * The program's defaults: word unigrams (or bigrams, chosen by the
	 * folds), balanced class weights, the linear solver one-vs-rest with the
	 * squared hinge loss.  Chosen by leave-one-corpus-out cross-validated
	 * macro-F1 on the training splits of the corpora of bench/corpora.py,
	 * among the options that keep classify fast: character n-grams gain
	 * little on average and cost 3x at classify (README, "Choosing the
	 * defaults"; bench/defaults.md).
	 */
	o->feat.word_min = 1;
	o->feat.word_max = 1;
	o->train.balanced = 1;
	o->train.squared_hinge = 1;
	opterr = 0;   /* tn_cli_getopt_error words the refusal */
	while ((c = getopt_long(argc, argv, ":o:f:t:l:n:b:s:k:C:g:j:qhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'o': o->output = optarg; break;
		case 'f':
			if ((a = tn_format_parse(optarg)) < 0)
				return tn_err_set(err, TN_EINVAL, "unknown format '%s' (auto, jsonl, tsv, csv, fasttext)", optarg);
			o->corpus.format = (enum tn_format)a;
			break;
		case 't': o->corpus.text_field = optarg; break;
		case OPT_GROUP:
			if (!*optarg)
				return tn_err_set(err, TN_EINVAL, "--group takes a field name");
			o->corpus.group_field = optarg;
			break;
		case 'l':
			if (split_labels(o, optarg, err))
				return TN_EINVAL;
			break;
		case OPT_ONERR:
			if (tn_parse_enum(optarg, on_error, &e))
				return tn_err_set(err, TN_EINVAL, "--on-error takes stop or skip, not '%s'", optarg);
			if (e)
				o->corpus.skip_errors = 1;
			break;
		case 'n':
			if (tn_parse_ngrams(optarg, TN_FEAT_NGRAM_MAX, &a, &b))
				return tn_err_set(err, TN_EINVAL, "--ngrams takes N or MIN-MAX within 1-%d, not '%s'", TN_FEAT_NGRAM_MAX, optarg);
			o->feat.word_min = (int)a;
			o->feat.word_max = (int)b;
			o->ngrams_set = 1;
			break;
		case OPT_CHAR:
			if (!strcmp(optarg, "off"))
				a = b = 0;
			else if (tn_parse_ngrams(optarg, TN_FEAT_CHAR_NGRAM_MAX, &a, &b))
				return tn_err_set(err, TN_EINVAL, "--char-ngrams takes N or MIN-MAX within 1-%d, or off, not '%s'",
					    TN_FEAT_CHAR_NGRAM_MAX, optarg);
			o->feat.char_min = (int)a;
			o->feat.char_max = (int)b;
			break;
		case 'b':
			if (tn_parse_long(optarg, TN_FEAT_BITS_MIN, TN_FEAT_BITS_MAX, &a))
				return tn_err_set(err, TN_EINVAL, "--bits takes 10..24, not '%s'", optarg);
			o->feat.bits = (int)a;
			break;
		case OPT_MINDF:
			if (tn_parse_long(optarg, 1, 1000000, &a))
				return tn_err_set(err, TN_EINVAL, "--min-df takes a whole number >= 1, not '%s'", optarg);
			o->feat.min_df = (int)a;
			break;
		case OPT_RAWTF: o->feat.sublinear_tf = 0; break;
		case OPT_SEED:
			if (tn_parse_u64(optarg, 0, &o->feat.seed))
				return tn_err_set(err, TN_EINVAL, "--seed takes a whole number, not '%s'", optarg);
			break;
		case OPT_NEG:
			if (tn_parse_long(optarg, 0, TN_TONE_NEG_MAX, &a))
				return tn_err_set(err, TN_EINVAL, "--negation takes a number of words, 0..%d, not '%s'",
						  TN_TONE_NEG_MAX, optarg);
			o->feat.tone.neg_scope = (int)a;
			break;
		case OPT_LEX: o->lexicon = optarg; break;
		case OPT_ATTR: o->feat.tone.attribution = 1; break;
		case 's':
			o->solver_set = 1;
			if (tn_parse_enum(optarg, solvers, &e))
				return tn_err_set(err, TN_EINVAL, "--solver takes linear, libsvm or liblinear, not '%s'", optarg);
			o->train.solver = e == 0 ? TN_SOLVER_LINEAR : e == 1 ? TN_SOLVER_LIBSVM : TN_SOLVER_LIBLINEAR;
			break;
		case 'k':
			if (tn_parse_enum(optarg, kernels, &e))
				return tn_err_set(err, TN_EINVAL, "--kernel takes linear or rbf, not '%s'", optarg);
			o->train.kernel = e ? TN_KERNEL_RBF : TN_KERNEL_LINEAR;
			/* rbf trains with libsvm unless --solver named another (tn_train_opts_check then says why not). */
			if (o->train.kernel == TN_KERNEL_RBF && !o->solver_set)
				o->train.solver = TN_SOLVER_LIBSVM;
			break;
		case 'C':
			if (tn_parse_double(optarg, 1e-9, 1e9, &o->train.C))
				return tn_err_set(err, TN_EINVAL, "-C takes a positive number, not '%s'", optarg);
			break;
		case 'g':
			if (tn_parse_double(optarg, 1e-12, 1e9, &o->train.gamma))
				return tn_err_set(err, TN_EINVAL, "--gamma takes a positive number, not '%s'", optarg);
			break;
		case OPT_BAL: o->train.balanced = 1; break;
		case OPT_CW:
			if (tn_parse_enum(optarg, weights, &o->train.balanced))
				return tn_err_set(err, TN_EINVAL, "--class-weight takes none or balanced, not '%s'", optarg);
			break;
		case OPT_PROB: o->train.probability = 1; break;
		case OPT_NOPROB: o->train.probability = 0; break;
		case OPT_CALIB:
			if (tn_parse_enum(optarg, calibrations, &o->train.platt))
				return tn_err_set(err, TN_EINVAL, "--calibration takes softmax or platt, not '%s'", optarg);
			break;
		case OPT_TOPFEAT:
			if (tn_parse_long(optarg, 1, 100000, &o->top_features))
				return tn_err_set(err, TN_EINVAL, "--top-features takes a number of n-grams, 1..100000, not '%s'", optarg);
			break;
		case OPT_INSPECT: o->inspect = optarg; break;
		case OPT_EPS:
			if (tn_parse_double(optarg, 1e-12, 10, &o->train.eps))
				return tn_err_set(err, TN_EINVAL, "--eps takes a small positive number, not '%s'", optarg);
			break;
		case OPT_CACHE:
			if (tn_parse_double(optarg, 1, 1e6, &o->train.cache_mb))
				return tn_err_set(err, TN_EINVAL, "--cache-mb takes a number of MB >= 1, not '%s'", optarg);
			break;
		case OPT_CV:
			if (tn_parse_long(optarg, 2, 100, &a))
				return tn_err_set(err, TN_EINVAL, "--cv takes a number of folds, 2..100, not '%s'", optarg);
			o->train.cv = (int)a;
			break;
		case OPT_TEST: o->test = optarg; break;
		case OPT_GRID: o->grid = 1; break;
		case OPT_FOLDDOCS:
			if (tn_parse_long(optarg, 0, 1000000000, &a))
				return tn_err_set(err, TN_EINVAL, "--fold-docs takes a number of documents (0: all), not '%s'", optarg);
			o->train.fold_docs = (size_t)a;
			break;
		case OPT_LOSS:
			if (tn_parse_enum(optarg, losses, &o->train.squared_hinge))
				return tn_err_set(err, TN_EINVAL, "--loss takes hinge or squared-hinge, not '%s'", optarg);
			o->loss_set = 1;
			break;
		case OPT_MULTI:
			if (tn_parse_enum(optarg, multiclass, &o->train.one_vs_one))
				return tn_err_set(err, TN_EINVAL, "--multiclass takes ovr or ovo, not '%s'", optarg);
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
			printf("Usage: %s -o DIR [options] CORPUS...\n       %s --inspect DIR [--top-features K]\n%s", prog, prog,
			       usage_text);
			fputs(usage_text2, stdout);
			fputs(usage_select, stdout);
			fputs(usage_more, stdout);
			exit(0);
		case 'V': tn_about_print_version(stdout, prog); exit(0);
		default: return tn_cli_getopt_error(c, argv, optind, optopt, longopts, err);
		}
	}
	/* The default loss is the linear solvers'; libsvm's C-SVC has the hinge loss. */
	if (!o->loss_set && o->train.solver == TN_SOLVER_LIBSVM)
		o->train.squared_hinge = 0;
	/* Word n-grams the user did not fix are chosen by the folds (--grid chooses its own). */
	o->train.choose_ngrams = !o->ngrams_set && !o->grid;
	o->inputs = argv + optind;
	o->ninputs = (size_t)(argc - optind);
	o->corpus.labels = (const char *const *)o->labels;
	o->corpus.nlabels = o->nlabels;
	return 0;
}

/* 0, or TN_EINVAL with the usage error in err. */
static int check_options(struct train_options *o, struct tn_err *err)
{
	if (o->inspect) {
		if (o->output || o->ninputs)
			return tn_err_set(err, TN_EINVAL, "--inspect DIR reads a bundle: it takes no -o and no corpus");
		if (!o->top_features)
			o->top_features = 10;
		return 0;
	}
	if (!o->output)
		return tn_err_set(err, TN_EINVAL, "no output bundle: name one with -o DIR");
	if (!o->ninputs)
		return tn_err_set(err, TN_EINVAL, "no corpus given");
	if (tn_feat_opts_check(&o->feat, err) || tn_train_opts_check(&o->train, err))
		return TN_EINVAL;
	if (o->nlabels && tn_bundle_check_head_names((const char *const *)o->labels, o->nlabels, err))
		return TN_EINVAL;
	tn_progress_clock_init(&o->clock, tn_progress_mode_pick(o->progress_forced, o->quiet, isatty(2)),
			       o->progress_interval, tn_now());
	return 0;
}

/*
 * "train: training 3/12, 0:00:04, ETA 0:00:09": the ETA assumes the tasks left
 * take as long as those done, so it moves as they finish.  On a terminal the
 * line is kept up to date and ends with the stage; otherwise a plain line is
 * printed every interval, and the stage's last one when it had any.
 */
static void show_progress(void *ctx, const char *stage, size_t done, size_t total)
{
	struct train_options *o = ctx;
	double now = tn_now();
	char eta[48], hms[32];
	int end = done >= total;

	if (o->clock.mode == TN_PROGRESS_OFF)
		return;
	if (!o->stage || strcmp(o->stage, stage) || done == 0) {
		if (!o->stage || strcmp(o->stage, stage))
			o->stage_t0 = now;
		o->stage = stage;
		o->stage_shown = 0;
	}
	/* A stage that showed a line ends with its last one (a terminal's line then ends). */
	if (!tn_progress_due(&o->clock, now) &&
	    !(end && (o->clock.mode == TN_PROGRESS_TERMINAL ? o->clock.on_screen : o->stage_shown)))
		return;
	tn_progress_hms(hms, sizeof(hms), now - o->stage_t0);
	tn_progress_eta(eta, sizeof(eta), now - o->stage_t0, (double)done, (double)total);
	if (o->clock.mode == TN_PROGRESS_TERMINAL) {
		fprintf(stderr, "\r%s: %s %zu/%zu, %s%s\033[K%s", prog, stage, done, total, hms, eta, end ? "\n" : "");
		o->clock.on_screen = !end;
	} else {
		fprintf(stderr, "%s: %s %zu/%zu, %s%s\n", prog, stage, done, total, hms, eta);
		/* The stage's last line is printed once, not again at its next report. */
		o->stage_shown = !end;
	}
	fflush(stderr);
}

static void print_report(const char *title, const char *head, const struct tn_confusion *conf,
			 char **classes)
{
	struct tn_buf b = TN_BUF_INIT;

	if (tn_confusion_report(conf, (const char *const *)classes, "  ", &b) == 0)
		printf("head '%s', %s:\n%s\n", head, title, b.ptr);
	tn_buf_release(&b);
}

static int evaluate_test(const struct train_options *o, const struct tn_corpus *train,
			 struct tn_err *err)
{
	struct tn_corpus test;
	struct tn_corpus_opts co = o->corpus;
	struct tn_bundle *b = NULL;
	struct tn_confusion *conf;
	const char *paths[1] = { o->test };
	size_t h;
	int rc;

	co.like = train;
	co.labels = NULL;
	co.group_field = NULL;   /* groups only shape the training folds */
	tn_corpus_init(&test);
	rc = tn_corpus_load(&test, paths, 1, &co, err);
	if (rc) {
		tn_corpus_release(&test);   /* a failed load keeps what it read so far */
		return rc;
	}
	if (test.nskipped)
		fprintf(stderr, "%s: skipped %zu malformed record%s of '%s'\n", prog, test.nskipped,
			test.nskipped == 1 ? "" : "s", o->test);
	rc = tn_bundle_load(&b, o->output, err);
	conf = calloc(train->nheads, sizeof(*conf));
	if (!rc && !conf)
		rc = tn_err_set(err, TN_ENOMEM, "out of memory");
	if (!rc)
		rc = tn_evaluate(b, &test, conf, err);
	for (h = 0; !rc && h < b->nheads; h++) {
		if (tn_head_set_test(&b->heads[h], &conf[h], o->test))
			rc = tn_err_set(err, TN_ENOMEM, "out of memory");
		print_report("held-out test", b->heads[h].name, &conf[h], b->heads[h].classes);
	}
	if (!rc)
		rc = tn_bundle_write_manifest(b, o->output, err);
	if (conf)
		for (h = 0; h < train->nheads; h++)
			tn_confusion_release(&conf[h]);
	free(conf);
	tn_bundle_free(b);
	tn_corpus_release(&test);
	return rc;
}

/* Prints each class's strongest n-grams of bundle b to stdout.  0, or TN_E* with err. */
static int print_top_features(const struct tn_bundle *b, size_t k, struct tn_err *err)
{
	struct tn_explainer *ex = NULL;
	struct tn_names *names = NULL;
	struct tn_buf out = TN_BUF_INIT;
	int rc;

	if (!(rc = tn_explainer_create(&ex, b, err)) && !(rc = tn_names_load(&names, b, err)) &&
	    (rc = tn_explain_top_features(ex, names, k, &out)))
		tn_err_set(err, rc, "out of memory");
	if (!rc)
		fputs(out.ptr, stdout);
	tn_buf_release(&out);
	tn_names_free(names);
	tn_explainer_free(ex);
	return rc;
}

/* --inspect DIR: the strongest n-grams of an existing bundle. */
static int inspect(const struct train_options *o)
{
	struct tn_bundle *b = NULL;
	struct tn_err err;
	int rc = tn_bundle_load(&b, o->inspect, &err);

	if (!rc)
		rc = print_top_features(b, (size_t)o->top_features, &err);
	if (rc)
		fprintf(stderr, "%s: %s\n", prog, err.msg);
	tn_bundle_free(b);
	return rc ? TN_EXIT_ERROR : TN_EXIT_OK;
}

static int run(struct train_options *o)
{
	struct tn_progress progress = { show_progress, o };
	struct tn_corpus c;
	struct tn_bundle *b = NULL;
	struct tn_confusion *cv = NULL;
	struct tn_err err;
	double t0 = tn_now();
	size_t h, i;
	int rc;

	if (o->threads)
		omp_set_num_threads((int)o->threads);
	tn_corpus_init(&c);
	/* Before the work: a folder that is not a bundle is never replaced. */
	rc = tn_bundle_check_target(o->output, &err);
	if (rc)
		goto fail;
	/* ... and a --test file that cannot be read stops it before training. */
	if (o->test && strcmp(o->test, "-") && access(o->test, R_OK)) {
		rc = tn_err_set(&err, TN_EIO, "cannot read --test file '%s': %s", o->test, strerror(errno));
		goto fail;
	}
	if (o->lexicon) {
		const char *base = strrchr(o->lexicon, '/');
		size_t skipped;

		rc = tn_lex_load(&o->feat.tone.lex, o->lexicon, base ? base + 1 : o->lexicon, o->feat.seed,
				 &skipped, &err);
		if (rc)
			goto fail;
		if (!o->quiet)
			fprintf(stderr, "%s: lexicon '%s': %zu words%s\n", prog, o->lexicon, tn_lex_count(o->feat.tone.lex),
				skipped ? " (phrases and repeated words skipped)" : "");
	}
	rc = tn_corpus_load(&c, (const char *const *)o->inputs, o->ninputs, &o->corpus, &err);
	if (rc)
		goto fail;
	for (i = 0; i < c.nerrors; i++)
		fprintf(stderr, "%s: skipped: %s\n", prog, c.errors[i]);
	if (c.nskipped)
		fprintf(stderr, "%s: skipped %zu malformed record%s\n", prog, c.nskipped, c.nskipped == 1 ? "" : "s");
	if (!o->quiet)
		fprintf(stderr, "%s: read %zu documents (%.1f MB), %zu head%s\n", prog, c.ndocs, (double)c.bytes / 1e6,
			c.nheads, c.nheads == 1 ? "" : "s");
	if (!o->quiet && c.group_field) {
		size_t ng = tn_corpus_group_count(&c);

		fprintf(stderr, "%s: %zu group%s by '%s'", prog, ng, ng == 1 ? "" : "s", c.group_field);
		if (c.group_missing)
			fprintf(stderr, " (%zu document%s without it, each a group of its own)", c.group_missing,
				c.group_missing == 1 ? "" : "s");
		fprintf(stderr, "; folds keep each group whole\n");
	}
	if (c.ndocs > 20000 && !o->quiet && o->train.solver == TN_SOLVER_LIBSVM)
		fprintf(stderr, "%s: %zu documents: libsvm's training time grows about quadratically "
			"with them; the default --solver linear trains in linear time\n", prog, c.ndocs);
	cv = calloc(c.nheads ? c.nheads : 1, sizeof(*cv));
	if (!cv) {
		rc = tn_err_set(&err, TN_ENOMEM, "out of memory");
		goto fail;
	}
	if (o->grid) {
		struct tn_grid_opts g;

		tn_grid_opts_default(&g);
		if (o->train.cv)
			g.folds = o->train.cv;
		rc = tn_train_grid(&b, &c, &o->feat, &o->train, &g, &progress, o->train.cv ? cv : NULL, &err);
		for (size_t k = 0; !rc && !o->quiet && k < b->nheads; k++)
			fprintf(stderr, "%s: grid chose for head '%s': C %g, class weights %s, word n-grams 1-%d\n",
				prog, b->heads[k].name, tn_head_cost(&b->heads[k]), tn_head_class_weight(&b->heads[k]),
				o->feat.word_max);
	} else {
		rc = tn_train(&b, &c, &o->feat, &o->train, &progress, o->train.cv ? cv : NULL, &err);
		if (!rc && !o->quiet && o->train.choose_ngrams) {
			char line[256];

			tn_train_selection_line(b, line, sizeof(line));
			fprintf(stderr, "%s: %s\n", prog, line);
		}
	}
	if (rc)
		goto fail;
	if (tn_bundle_set_corpus(b, (const char *const *)o->inputs, o->ninputs, c.ndocs, c.bytes, c.nskipped)) {
		rc = tn_err_set(&err, TN_ENOMEM, "out of memory");
		goto fail;
	}
	for (h = 0; o->train.cv && h < b->nheads; h++) {
		char title[128];

		snprintf(title, sizeof(title), "%d-fold cross-validation%s%.64s", o->train.cv,
			 c.group_field ? ", grouped by " : "", c.group_field ? c.group_field : "");
		print_report(title, b->heads[h].name, &cv[h], c.heads[h].classes);
	}
	rc = tn_bundle_save(b, o->output, &err);
	if (rc)
		goto fail;
	if (err.msg[0])
		fprintf(stderr, "%s: %s\n", prog, err.msg);
	if (o->test) {
		rc = evaluate_test(o, &c, &err);
		if (rc)
			goto fail;
	}
	if (o->top_features && (rc = print_top_features(b, (size_t)o->top_features, &err)))
		goto fail;
	if (!o->quiet)
		fprintf(stderr, "%s: wrote '%s' (%zu head%s) in %.1f s\n", prog, o->output, b->nheads,
			b->nheads == 1 ? "" : "s", tn_now() - t0);
fail:
	/* A stage cut short leaves its terminal line open: the message gets a line of its own. */
	if (o->clock.on_screen)
		fputs("\r\033[K", stderr);
	o->clock.on_screen = 0;
	if (rc)
		fprintf(stderr, "%s: %s\n", prog, err.msg);
	for (h = 0; cv && h < c.nheads; h++)
		tn_confusion_release(&cv[h]);
	free(cv);
	tn_bundle_free(b);
	tn_lex_unref(o->feat.tone.lex);
	o->feat.tone.lex = NULL;
	tn_corpus_release(&c);
	return rc ? TN_EXIT_ERROR : TN_EXIT_OK;
}

int tn_train_main(int argc, char **argv)
{
	struct train_options o;
	struct tn_err err;
	int rc;

	if (argc > 0 && argv[0] && argv[0][0])
		prog = argv[0];
	if (parse_options(&o, argc, argv, &err) || check_options(&o, &err)) {
		fprintf(stderr, "%s: %s\ntry '%s --help'\n", prog, err.msg, prog);
		rc = TN_EXIT_USAGE;
	} else {
		rc = o.inspect ? inspect(&o) : run(&o);
	}
	free(o.labels ? o.labels[0] : NULL);
	free(o.labels);
	return rc;
}
