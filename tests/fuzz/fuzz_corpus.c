/*
 * fuzz_corpus.c - libFuzzer harness for the training corpus reader
 * (lib/corpus.c over lib/input.c): JSONL, TSV and fastText, any compression.
 * The first byte picks the file name (so the format by name, or sniffed) and
 * whether malformed records are skipped; the rest is the file.
 */
#include "fuzzutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "c.jsonl", "c.tsv", "c.txt", "c" };
	struct tn_corpus c;
	struct tn_corpus_opts co;
	struct tn_err err;
	char p[256];
	const char *paths[1];

	if (size < 1)
		return 0;
	paths[0] = fz_path(p, sizeof(p), names[data[0] & 3]);
	fz_write(paths[0], data + 1, size - 1);
	tn_corpus_opts_default(&co);
	co.skip_errors = (data[0] >> 2) & 1;
	co.max_line = 4096;
	tn_corpus_init(&c);
	tn_corpus_load(&c, paths, 1, &co, &err);
	tn_corpus_release(&c);
	return 0;
}
