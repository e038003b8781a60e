/*
 * fuzz_input.c - libFuzzer harness for the input reader and line splitter
 * (lib/input.c through lib/source.c): plain, gzip, zstd, xz, bzip2, lz4; tar,
 * zip, 7z; JSONL lines and whole documents; resuming past documents.
 * The first byte picks the file name and format, and a resume position; the
 * rest is the file.  Every document must come out with an id, and errors
 * with a message.
 */
#include "fuzzutil.h"
#include "../../lib/source.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "d.jsonl", "d.txt", "d.tar", "d" };
	static const enum tn_input_format fmts[] = { TN_INPUT_AUTO, TN_INPUT_AUTO, TN_INPUT_JSONL, TN_INPUT_TEXT };
	struct tn_source *s;
	struct tn_raw_doc doc;
	struct tn_err err;
	char p[256];
	const char *paths[1];
	uint64_t bytes = 0, n = 0;
	int r;

	if (size < 1)
		return 0;
	paths[0] = fz_path(p, sizeof(p), names[data[0] & 3]);
	fz_write(paths[0], data + 1, size - 1);
	if (tn_source_create(&s, paths, 1, fmts[(data[0] >> 2) & 3], 4096, &err))
		abort();  /* the file exists: only out of memory may fail */
	if (data[0] & 0x40)
		tn_source_seek(s, 0, (uint64_t)(data[0] >> 4) & 3);
	/* Bounded, so that a decompression bomb does not stall the run. */
	while (bytes < ((uint64_t)64 << 20) && (r = tn_source_next(s, &doc)) == 1) {
		if (!doc.id || !doc.id[0] || (doc.kind == TN_DOC_ERROR && doc.len == 0) || doc.len > 4096)
			abort();
		if (doc.len) {
			/* The whole document must be readable (ASan checks). */
			volatile char last = doc.data[doc.len - 1];

			(void)last;
		}
		bytes += doc.len + strlen(doc.id);
		n++;
	}
	(void)n;
	tn_source_free(s);
	return 0;
}
