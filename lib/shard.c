/*
 * shard.c - streaming zstd shards; see shard.h.
 */
#include "shard.h"
#include "atomic_file.h"
#include "buf.h"
#include "runnames.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>
#include <zstd.h>

struct tn_shard {
	ZSTD_CCtx *cctx;
	int fd;
	char *dir;
	unsigned index;
	long part, nparts;
	char tmp[4096], final[4096];
	unsigned char *out;
	size_t out_cap;
	uint64_t docs, bytes, raw;
	XXH64_state_t *xs;
};

void tn_shard_name(unsigned index, char *buf, size_t n)
{
	tn_name_shard(1, 1, index, buf, n);
}

void tn_shard_tmp_name(unsigned index, char *buf, size_t n)
{
	tn_name_shard_tmp(1, 1, index, buf, n);
}

static void shard_free(struct tn_shard *s)
{
	if (!s)
		return;
	if (s->fd >= 0)
		close(s->fd);
	ZSTD_freeCCtx(s->cctx);
	XXH64_freeState(s->xs);
	free(s->out);
	free(s->dir);
	free(s);
}

int tn_shard_open(struct tn_shard **out, const char *dir, unsigned index, int level, struct tn_err *err)
{
	return tn_shard_open_part(out, dir, 1, 1, index, level, err);
}

int tn_shard_open_part(struct tn_shard **out, const char *dir, long part, long nparts, unsigned index, int level,
		       struct tn_err *err)
{
	struct tn_shard *s = calloc(1, sizeof(*s));
	char name[TN_NAME_MAX];

	*out = NULL;
	if (!s)
		return tn_err_set(err, TN_ENOMEM, "out of memory");
	s->fd = -1;
	s->index = index;
	s->part = part;
	s->nparts = nparts;
	s->dir = strdup(dir);
	s->cctx = ZSTD_createCCtx();
	s->xs = XXH64_createState();
	s->out_cap = ZSTD_CStreamOutSize();
	s->out = malloc(s->out_cap);
	if (!s->dir || !s->cctx || !s->xs || !s->out) {
		shard_free(s);
		return tn_err_set(err, TN_ENOMEM, "out of memory");
	}
	XXH64_reset(s->xs, 0);
	ZSTD_CCtx_setParameter(s->cctx, ZSTD_c_compressionLevel, level);
	ZSTD_CCtx_setParameter(s->cctx, ZSTD_c_checksumFlag, 1);
	tn_name_shard_tmp(part, nparts, index, name, sizeof(name));
	snprintf(s->tmp, sizeof(s->tmp), "%s/%s", dir, name);
	tn_name_shard(part, nparts, index, name, sizeof(name));
	snprintf(s->final, sizeof(s->final), "%s/%s", dir, name);
	s->fd = open(s->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (s->fd < 0) {
		int e = errno;

		shard_free(s);
		return tn_err_set(err, TN_EIO, "cannot create shard in '%s': %s", dir, strerror(e));
	}
	*out = s;
	return 0;
}

static int write_all(struct tn_shard *s, const unsigned char *p, size_t n, struct tn_err *err)
{
	XXH64_update(s->xs, p, n);
	s->bytes += n;
	while (n) {
		ssize_t w = write(s->fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return tn_err_set(err, TN_EIO, "cannot write '%s': %s", s->tmp, strerror(errno));
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int compress(struct tn_shard *s, const char *data, size_t len, ZSTD_EndDirective mode,
		    struct tn_err *err)
{
	ZSTD_inBuffer in = { data, len, 0 };
	size_t left;

	do {
		ZSTD_outBuffer o = { s->out, s->out_cap, 0 };

		left = ZSTD_compressStream2(s->cctx, &o, &in, mode);
		if (ZSTD_isError(left))
			return tn_err_set(err, TN_EIO, "zstd: %s", ZSTD_getErrorName(left));
		if (o.pos && write_all(s, s->out, o.pos, err))
			return TN_EIO;
	} while (mode == ZSTD_e_end ? left != 0 : in.pos < in.size);
	return 0;
}

int tn_shard_write(struct tn_shard *s, const char *data, size_t len, struct tn_err *err)
{
	s->docs++;
	s->raw += len;
	return compress(s, data, len, ZSTD_e_continue, err);
}

uint64_t tn_shard_docs(const struct tn_shard *s)
{
	return s->docs;
}

int tn_shard_close(struct tn_shard *s, struct tn_shard_info *info, struct tn_err *err)
{
	int rc = compress(s, "", 0, ZSTD_e_end, err);

	if (!rc && fsync(s->fd))
		rc = tn_err_set(err, TN_EIO, "cannot sync '%s': %s", s->tmp, strerror(errno));
	if (close(s->fd) && !rc)
		rc = tn_err_set(err, TN_EIO, "cannot close '%s': %s", s->tmp, strerror(errno));
	s->fd = -1;
	if (!rc && rename(s->tmp, s->final))
		rc = tn_err_set(err, TN_EIO, "cannot rename '%s': %s", s->tmp, strerror(errno));
	if (rc) {
		unlink(s->tmp);
		shard_free(s);
		return rc;
	}
	tn_fsync_dir(s->dir);
	tn_name_shard(s->part, s->nparts, s->index, info->name, sizeof(info->name));
	info->docs = s->docs;
	info->bytes = s->bytes;
	info->raw_bytes = s->raw;
	snprintf(info->xxh64, sizeof(info->xxh64), "%016llx", (unsigned long long)XXH64_digest(s->xs));
	shard_free(s);
	return 0;
}

void tn_shard_abort(struct tn_shard *s)
{
	if (!s)
		return;
	if (s->fd >= 0) {
		close(s->fd);
		s->fd = -1;
	}
	unlink(s->tmp);
	shard_free(s);
}

int tn_shard_read(const char *dir, const char *name, int (*fn)(void *ctx, const char *line, size_t len),
		  void *ctx, struct tn_err *err)
{
	struct tn_buf path = TN_BUF_INIT, line = TN_BUF_INIT;
	ZSTD_DStream *ds = ZSTD_createDStream();
	static const size_t in_cap = 1 << 17;
	char *in = malloc(in_cap), *out = malloc(ZSTD_DStreamOutSize());
	FILE *f = NULL;
	size_t n, last = 0;
	int rc = 0;

	if (!ds || !in || !out || tn_buf_addf(&path, "%s/%s", dir, name)) {
		rc = tn_err_set(err, TN_ENOMEM, "out of memory");
		goto out;
	}
	f = fopen(path.ptr, "rb");
	if (!f) {
		rc = tn_err_set(err, TN_EIO, "cannot read shard '%s': %s", path.ptr, strerror(errno));
		goto out;
	}
	ZSTD_initDStream(ds);
	while (!rc && (n = fread(in, 1, in_cap, f)) > 0) {
		ZSTD_inBuffer ib = { in, n, 0 };

		while (!rc && ib.pos < ib.size) {
			ZSTD_outBuffer ob = { out, ZSTD_DStreamOutSize(), 0 };
			size_t z = ZSTD_decompressStream(ds, &ob, &ib);
			const char *p, *end, *nl;

			if (ZSTD_isError(z)) {
				rc = tn_err_set(err, TN_EIO, "cannot decode shard '%s': %s", path.ptr, ZSTD_getErrorName(z));
				break;
			}
			last = z;
			p = out;
			end = out + ob.pos;
			while (!rc && p < end && (nl = memchr(p, '\n', (size_t)(end - p)))) {
				if (tn_buf_add(&line, p, (size_t)(nl - p)))
					rc = tn_err_set(err, TN_ENOMEM, "out of memory");
				else
					rc = fn(ctx, line.ptr, line.len);
				tn_buf_reset(&line);
				p = nl + 1;
			}
			if (!rc && p < end && tn_buf_add(&line, p, (size_t)(end - p)))
				rc = tn_err_set(err, TN_ENOMEM, "out of memory");
		}
	}
	if (!rc && ferror(f))
		rc = tn_err_set(err, TN_EIO, "cannot read shard '%s': %s", path.ptr, strerror(errno));
	if (!rc && (last != 0 || line.len))
		rc = tn_err_set(err, TN_EIO, "shard '%s' is truncated", path.ptr);
out:
	if (f)
		fclose(f);
	ZSTD_freeDStream(ds);
	free(in);
	free(out);
	tn_buf_release(&path);
	tn_buf_release(&line);
	return rc;
}
