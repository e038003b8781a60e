/*
 * fuzz_record.c - libFuzzer harness for the per-record path of classify
 * (lib/pipeline.c's record parsing, features, prediction and record
 * formatting) through tn_record_ctx.  The first byte picks JSONL or plain text
 * and --all-scores; the rest is the line.  Every record must be one JSON
 * object on one line with an "id", and a JSONL line must give the same record
 * through cJSON alone as through the scanner of lib/jsonscan.h.
 */
#include "fuzzutil.h"
#include "../../lib/pipeline.h"

#include <cjson/cJSON.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct tn_record_ctx *record_ctx[2], *library_ctx[2];

static void record_setup(void)
{
	char dir[256];
	struct tn_err err;
	int k;

	if (record_ctx[0])
		return;
	fz_path(dir, sizeof(dir), "record-model");
	fz_train(dir, TN_SOLVER_LIBSVM, TN_KERNEL_LINEAR, 0);
	for (k = 0; k < 2; k++) {
		if (tn_record_ctx_create(&record_ctx[k], dir, "id", "text", k, &err) ||
		    tn_record_ctx_create(&library_ctx[k], dir, "id", "text", k, &err)) {
			fprintf(stderr, "fuzz setup: %s\n", err.msg);
			abort();
		}
		tn_record_ctx_json_library_only(library_ctx[k], 1);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *rec;
	size_t rlen;
	cJSON *j;
	int r;

	if (size < 1)
		return 0;
	record_setup();
	r = tn_record_ctx_process(record_ctx[(data[0] >> 1) & 1], (const char *)data + 1, size - 1, data[0] & 1,
				  "fuzz:1", &rec, &rlen);
	if (r < 0)
		return 0;
	/* One line, one object, an id. */
	if (rlen < 2 || rec[rlen - 1] != '\n' || memchr(rec, '\n', rlen - 1) || memchr(rec, '\0', rlen))
		abort();
	j = cJSON_ParseWithLength(rec, rlen);
	if (!j || !cJSON_IsObject(j) || !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(j, "id")) ||
	    (r == 1) != cJSON_IsString(cJSON_GetObjectItemCaseSensitive(j, "error")))
		abort();
	cJSON_Delete(j);
	if (!(data[0] & 1)) {
		const char *lrec;
		size_t llen;
		int lr = tn_record_ctx_process(library_ctx[(data[0] >> 1) & 1], (const char *)data + 1, size - 1, 0,
					       "fuzz:1", &lrec, &llen);

		/* rec stays valid: the other context has its own buffers. */
		if (lr != r || llen != rlen || memcmp(lrec, rec, rlen)) {
			fprintf(stderr, "scanner: %.*scJSON:   %.*s", (int)rlen, rec, (int)llen, lrec);
			abort();
		}
	}
	return 0;
}
