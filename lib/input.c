/*
 * input.c - reading inputs: decompression, archive detection, members, lines;
 * see input.h.
 *
 * Three layers.  Bytes come from a file descriptor.  A decoder chosen by the
 * magic bytes turns them into data: gzip, zstd, xz and bzip2 are decoded with
 * their own libraries so that every byte before a damaged or truncated spot is
 * delivered, and the damage is reported after it (libarchive's filters drop
 * what they decoded in the call that fails, and do not check gzip's CRC);
 * lz4, compress and lzip go through libarchive's raw reader.  Then, when the
 * data starts like a tar, zip or 7z archive (our decision, not libarchive's
 * bidding: libarchive takes 512 zero bytes for the end of an empty tar, which
 * made a text stream starting with NUL bytes vanish), libarchive reads its
 * members from the decoded data.
 *
 * A decoding error is "pending" once found: the bytes decoded before it are
 * handed out first, the error after them.
 */
#include "input.h"

#include <archive.h>
#include <archive_entry.h>
#include <bzlib.h>
#include <errno.h>
#include <fcntl.h>
#include <lzma.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <stdarg.h>
#include <zstd.h>
#include <zstd_errors.h>

#define TN_INPUT_BLOCK (1 << 20)    /* buffer sizes for large inputs */
#define TN_INPUT_SMALL (64 << 10)   /* and for files smaller than that */
#define TN_SNIFF 512             /* decoded bytes looked at to tell an archive */
#define TN_SNIFF_WAIT_MS 10      /* a pipe quiet this long after a line is not an archive */
#define TN_XZ_MEMLIMIT ((uint64_t)1 << 30)

enum codec { C_NONE, C_GZIP, C_ZSTD, C_XZ, C_BZIP2, C_LIBARCHIVE };

static const char *const codec_name[] = { "plain", "gzip", "zstd", "xz", "bzip2", "compressed" };

struct tn_input {
	char *path;
	int fd, own_fd;
	int seekable;            /* a regular file read without a decoder */
	int regular;             /* a regular file: reading never waits for a writer */
	enum codec codec;

	size_t bufsize;          /* of ibuf and obuf */
	unsigned char *ibuf;     /* raw bytes read from fd, [ipos, ilen) unused */
	size_t ilen, ipos;
	int ieof;
	uint64_t raw_bytes;

	z_stream z;
	int z_init, z_member_done;
	ZSTD_DStream *zs;
	int zs_mid;              /* inside a zstd frame */
	lzma_stream xz;
	int xz_init;
	bz_stream bz;
	int bz_init, bz_member_done;
	struct archive *ra;      /* C_LIBARCHIVE: the raw reader */

	int dec_end;             /* the decoder reached the clean end */
	int dec_full;            /* the last decode filled its buffer: more may be ready */
	int dec_fail;            /* a decoding error is pending (dec_msg) */
	char dec_msg[256];

	unsigned char *obuf;     /* decoded bytes handed out */
	size_t head_len, head_pos;  /* the sniffed first bytes in obuf, served first */
	uint64_t pos;            /* decoded bytes handed to libarchive */

	struct archive *a;       /* archive mode */
	int archive;
	int member_open;
	int stream_given;
	int done;
	int pending_entry;       /* a header read after a damaged one, not yet returned */
	int pending_eof;         /* the end came right after a damaged header */
	int fails;               /* archive-level errors in a row */
	int member_fail;         /* the current member's data came with a warning: report it next */
	char member_msg[256];
	struct archive_entry *entry;
	uint64_t err_pos;        /* decoded offset of the last archive-level error */
	char *last_member;       /* the last member returned, for messages */
};

/* ---- raw bytes ---- */

/* Sets a pending decoding error (the first one wins); returns -1. */
static int dec_set_fail(struct tn_input *in, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int dec_set_fail(struct tn_input *in, const char *fmt, ...)
{
	va_list ap;

	if (!in->dec_fail) {
		va_start(ap, fmt);
		vsnprintf(in->dec_msg, sizeof(in->dec_msg), fmt, ap);
		va_end(ap);
		in->dec_fail = 1;
	}
	return -1;
}

/* Reads more raw bytes after the unused ones; 0, or -1 with the error pending. */
static int fill(struct tn_input *in)
{
	ssize_t n;

	if (in->ieof)
		return 0;
	if (in->ipos > 0) {
		memmove(in->ibuf, in->ibuf + in->ipos, in->ilen - in->ipos);
		in->ilen -= in->ipos;
		in->ipos = 0;
	}
	if (in->ilen == in->bufsize)
		return 0;
	do
		n = read(in->fd, in->ibuf + in->ilen, in->bufsize - in->ilen);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return dec_set_fail(in, "%s", strerror(errno));
	if (n == 0)
		in->ieof = 1;
	in->ilen += (size_t)n;
	in->raw_bytes += (uint64_t)n;
	return 0;
}

/* Makes at least n raw bytes available unless the input ends first; 0 or -1. */
static int need(struct tn_input *in, size_t n)
{
	while (in->ilen - in->ipos < n && !in->ieof)
		if (fill(in))
			return -1;
	return 0;
}

static size_t avail(const struct tn_input *in)
{
	return in->ilen - in->ipos;
}

/*
 * Between two gzip or bzip2 streams: 1 if another starts (magic of mlen bytes),
 * 0 at the end of the input (zero padding allowed), -1 on trailing garbage.
 */
static int next_stream(struct tn_input *in, const char *magic, size_t mlen)
{
	if (need(in, mlen))
		return -1;
	if (avail(in) == 0)
		return 0;
	if (avail(in) >= mlen && !memcmp(in->ibuf + in->ipos, magic, mlen))
		return 1;
	for (;;) {
		while (in->ipos < in->ilen && in->ibuf[in->ipos] == 0)
			in->ipos++;
		if (in->ipos < in->ilen)
			return dec_set_fail(in, "junk after the end of %s data", codec_name[in->codec]);
		if (fill(in))
			return -1;
		if (avail(in) == 0)
			return 0;
	}
}

/* ---- decoders: each returns bytes decoded into out (> 0), 0 at the clean end, -1 ---- */

static ssize_t dec_none(struct tn_input *in, unsigned char *out, size_t cap)
{
	ssize_t n;

	if (avail(in)) {
		n = (ssize_t)(avail(in) < cap ? avail(in) : cap);
		memcpy(out, in->ibuf + in->ipos, (size_t)n);
		in->ipos += (size_t)n;
		return n;
	}
	if (in->ieof)
		return 0;
	do
		n = read(in->fd, out, cap);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return dec_set_fail(in, "%s", strerror(errno));
	if (n == 0)
		in->ieof = 1;
	in->raw_bytes += (uint64_t)n;
	return n;
}

static ssize_t dec_gzip(struct tn_input *in, unsigned char *out, size_t cap)
{
	for (;;) {
		size_t produced;
		int r;

		if (in->z_member_done) {
			r = next_stream(in, "\x1f\x8b", 2);
			if (r <= 0)
				return r;
			inflateReset(&in->z);
			in->z_member_done = 0;
		}
		if (!avail(in) && !in->ieof && fill(in))
			return -1;
		in->z.next_in = in->ibuf + in->ipos;
		in->z.avail_in = (uInt)avail(in);
		in->z.next_out = out;
		in->z.avail_out = (uInt)cap;
		r = inflate(&in->z, Z_NO_FLUSH);
		in->ipos = in->ilen - in->z.avail_in;
		produced = cap - in->z.avail_out;
		if (r == Z_STREAM_END)
			in->z_member_done = 1;
		else if (r == Z_BUF_ERROR || (r == Z_OK && !produced && !avail(in) && in->ieof)) {
			if (!avail(in) && in->ieof)
				dec_set_fail(in, "truncated gzip data");
		} else if (r == Z_MEM_ERROR)
			dec_set_fail(in, "out of memory");
		else if (r != Z_OK)
			dec_set_fail(in, "corrupt gzip data: %s", in->z.msg ? in->z.msg : "invalid stream");
		if (produced)
			return (ssize_t)produced;
		if (in->dec_fail)
			return -1;
	}
}

static ssize_t dec_zstd(struct tn_input *in, unsigned char *out, size_t cap)
{
	for (;;) {
		ZSTD_inBuffer ib;
		ZSTD_outBuffer ob = { out, cap, 0 };
		size_t r;

		if (!avail(in)) {
			if (!in->ieof && fill(in))
				return -1;
			if (!avail(in) && !in->zs_mid)
				return 0;
		}
		ib.src = in->ibuf + in->ipos;
		ib.size = avail(in);
		ib.pos = 0;
		r = ZSTD_decompressStream(in->zs, &ob, &ib);
		in->ipos += ib.pos;
		if (ZSTD_isError(r)) {
			if (ZSTD_getErrorCode(r) == ZSTD_error_prefix_unknown)
				dec_set_fail(in, "junk after the end of zstd data");
			else
				dec_set_fail(in, "corrupt zstd data: %s", ZSTD_getErrorName(r));
		} else {
			in->zs_mid = r != 0;
			if (!ob.pos && !avail(in) && in->ieof && in->zs_mid)
				dec_set_fail(in, "truncated zstd data");
		}
		if (ob.pos)
			return (ssize_t)ob.pos;
		if (in->dec_fail)
			return -1;
	}
}

static ssize_t dec_xz(struct tn_input *in, unsigned char *out, size_t cap)
{
	for (;;) {
		lzma_ret r;
		size_t produced;

		if (in->dec_end)
			return 0;
		if (!avail(in) && !in->ieof && fill(in))
			return -1;
		in->xz.next_in = in->ibuf + in->ipos;
		in->xz.avail_in = avail(in);
		in->xz.next_out = out;
		in->xz.avail_out = cap;
		r = lzma_code(&in->xz, !avail(in) && in->ieof ? LZMA_FINISH : LZMA_RUN);
		in->ipos = in->ilen - in->xz.avail_in;
		produced = cap - in->xz.avail_out;
		if (r == LZMA_STREAM_END)
			in->dec_end = 1;
		else if (r == LZMA_BUF_ERROR)
			dec_set_fail(in, "truncated xz data");
		else if (r == LZMA_MEM_ERROR || r == LZMA_MEMLIMIT_ERROR)
			dec_set_fail(in, "xz data needs too much memory");
		else if (r == LZMA_OPTIONS_ERROR)
			dec_set_fail(in, "xz data with unsupported options");
		else if (r != LZMA_OK)
			dec_set_fail(in, "corrupt xz data (damaged, or junk after its end)");
		if (produced)
			return (ssize_t)produced;
		if (in->dec_fail)
			return -1;
	}
}

static ssize_t dec_bzip2(struct tn_input *in, unsigned char *out, size_t cap)
{
	for (;;) {
		size_t produced;
		int r;

		if (in->bz_member_done) {
			r = next_stream(in, "BZh", 3);
			if (r <= 0)
				return r;
			BZ2_bzDecompressEnd(&in->bz);
			in->bz_init = 0;
			memset(&in->bz, 0, sizeof(in->bz));
			if (BZ2_bzDecompressInit(&in->bz, 0, 0) != BZ_OK)
				return dec_set_fail(in, "out of memory");
			in->bz_init = 1;
			in->bz_member_done = 0;
		}
		if (!avail(in) && !in->ieof && fill(in))
			return -1;
		in->bz.next_in = (char *)(in->ibuf + in->ipos);
		in->bz.avail_in = (unsigned)avail(in);
		in->bz.next_out = (char *)out;
		in->bz.avail_out = (unsigned)cap;
		r = BZ2_bzDecompress(&in->bz);
		in->ipos = in->ilen - in->bz.avail_in;
		produced = cap - in->bz.avail_out;
		if (r == BZ_STREAM_END)
			in->bz_member_done = 1;
		else if (r == BZ_MEM_ERROR)
			dec_set_fail(in, "out of memory");
		else if (r != BZ_OK)
			dec_set_fail(in, "corrupt bzip2 data");
		else if (!produced && !avail(in) && in->ieof)
			dec_set_fail(in, "truncated bzip2 data");
		if (produced)
			return (ssize_t)produced;
		if (in->dec_fail)
			return -1;
	}
}

/* libarchive's raw reader pulls the raw bytes through this. */
static la_ssize_t raw_cb_read(struct archive *a, void *ud, const void **buf)
{
	struct tn_input *in = ud;

	(void)a;
	if (!avail(in) && fill(in))
		return -1;
	*buf = in->ibuf + in->ipos;
	{
		size_t n = avail(in);

		in->ipos = in->ilen;
		return (la_ssize_t)n;
	}
}

static ssize_t dec_libarchive(struct tn_input *in, unsigned char *out, size_t cap)
{
	for (;;) {
		ssize_t n = archive_read_data(in->ra, out, cap);

		if (n > 0)
			return n;
		if (n == 0)
			return 0;
		if (n == ARCHIVE_RETRY)
			continue;
		return dec_set_fail(in, "corrupt compressed data: %s",
				   archive_error_string(in->ra) ? archive_error_string(in->ra) : "unknown error");
	}
}

/* Decodes the next bytes into out: > 0, 0 at the clean end, -1 with dec_msg. */
static ssize_t dec_read(struct tn_input *in, unsigned char *out, size_t cap)
{
	ssize_t n;

	if (in->dec_end)
		return 0;
	/* Raw bytes read before a read error are still good; decoders stop at theirs. */
	if (in->dec_fail && (in->codec != C_NONE || !avail(in)))
		return -1;
	switch (in->codec) {
	case C_GZIP: n = dec_gzip(in, out, cap); break;
	case C_ZSTD: n = dec_zstd(in, out, cap); break;
	case C_XZ: n = dec_xz(in, out, cap); break;
	case C_BZIP2: n = dec_bzip2(in, out, cap); break;
	case C_LIBARCHIVE: n = dec_libarchive(in, out, cap); break;
	default: n = dec_none(in, out, cap); break;
	}
	if (n == 0)
		in->dec_end = 1;
	in->dec_full = n > 0 && (size_t)n == cap;
	return n;
}

/*
 * 1 if decoding more needs no byte that is still to arrive, or if bytes are
 * ready on the descriptor within timeout_ms; 0 if a read would wait.  Bytes
 * still inside a decoder without output pending count as not ready: closing
 * a batch early only costs a little throughput, waiting costs latency.
 */
static int more_ready(struct tn_input *in, int timeout_ms)
{
	struct pollfd p;
	int r;

	if (in->regular || in->ieof || in->dec_fail || in->dec_end || in->done || avail(in) || in->dec_full)
		return 1;
	p.fd = in->fd;
	p.events = POLLIN;
	p.revents = 0;
	do
		r = poll(&p, 1, timeout_ms);
	while (r < 0 && errno == EINTR);
	/* Readable, hung up, or an error the next read reports. */
	return r != 0;
}

static int start_decoder(struct tn_input *in)
{
	const unsigned char *m = in->ibuf + in->ipos;
	size_t n = avail(in);

	if (n >= 2 && m[0] == 0x1f && m[1] == 0x8b) {
		in->codec = C_GZIP;
		if (inflateInit2(&in->z, 15 + 16) != Z_OK)
			return TN_ENOMEM;
		in->z_init = 1;
	} else if (n >= 4 && ((m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f && m[3] == 0xfd) ||
			      ((m[0] & 0xf0) == 0x50 && m[1] == 0x2a && m[2] == 0x4d && m[3] == 0x18))) {
		in->codec = C_ZSTD;
		in->zs = ZSTD_createDStream();
		if (!in->zs || ZSTD_isError(ZSTD_initDStream(in->zs)))
			return TN_ENOMEM;
		in->zs_mid = 1;
	} else if (n >= 6 && !memcmp(m, "\xfd" "7zXZ\0", 6)) {
		in->codec = C_XZ;
		if (lzma_stream_decoder(&in->xz, TN_XZ_MEMLIMIT, LZMA_CONCATENATED) != LZMA_OK)
			return TN_ENOMEM;
		in->xz_init = 1;
	} else if (n >= 4 && m[0] == 'B' && m[1] == 'Z' && m[2] == 'h' && m[3] >= '1' && m[3] <= '9') {
		in->codec = C_BZIP2;
		if (BZ2_bzDecompressInit(&in->bz, 0, 0) != BZ_OK)
			return TN_ENOMEM;
		in->bz_init = 1;
	} else if ((n >= 4 && ((m[0] == 0x04 && m[1] == 0x22 && m[2] == 0x4d && m[3] == 0x18) ||
			       (m[0] == 0x02 && m[1] == 0x21 && m[2] == 0x4c && m[3] == 0x18) ||
			       !memcmp(m, "LZIP", 4))) ||
		   (n >= 2 && m[0] == 0x1f && m[1] == 0x9d)) {
		struct archive_entry *e;

		in->codec = C_LIBARCHIVE;
		in->ra = archive_read_new();
		if (!in->ra)
			return TN_ENOMEM;
		archive_read_support_filter_all(in->ra);
		archive_read_support_format_raw(in->ra);
		if (archive_read_open(in->ra, in, NULL, raw_cb_read, NULL) != ARCHIVE_OK ||
		    archive_read_next_header(in->ra, &e) != ARCHIVE_OK)
			dec_set_fail(in, "corrupt compressed data: %s",
				     archive_error_string(in->ra) ? archive_error_string(in->ra) : "unknown error");
	}
	return 0;
}

/* ---- archive detection ---- */

static int ends_with(const char *s, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);

	return n >= k && !memcmp(s + n - k, suffix, k);
}

/* The name says tar (before any compression suffix). */
static int tar_name(const char *path)
{
	static const char *const comp[] = { ".gz", ".zst", ".xz", ".bz2", ".lz4", ".Z", ".lz" };
	static const char *const tars[] = { ".tar", ".tgz", ".tbz", ".tbz2", ".txz", ".tzst", ".tlz" };
	size_t n = strlen(path), i;

	for (i = 0; i < sizeof(comp) / sizeof(*comp); i++)
		if (ends_with(path, n, comp[i])) {
			n -= strlen(comp[i]);
			break;
		}
	for (i = 0; i < sizeof(tars) / sizeof(*tars); i++)
		if (ends_with(path, n, tars[i]))
			return 1;
	return 0;
}

/* A tar header block: the "ustar" magic, or a checksum that adds up. */
static int tar_header(const unsigned char *h)
{
	unsigned long sum = 0, want = 0;
	long ssum = 0;
	int i, digits = 0;

	if (!memcmp(h + 257, "ustar", 5))
		return 1;
	for (i = 0; i < 512; i++) {
		unsigned char c = i >= 148 && i < 156 ? ' ' : h[i];

		sum += c;
		ssum += (signed char)c;
	}
	for (i = 148; i < 156 && h[i] == ' '; i++)
		;
	for (; i < 156 && h[i] >= '0' && h[i] <= '7'; i++, digits++)
		want = want * 8 + (unsigned long)(h[i] - '0');
	if (!digits || (i < 156 && h[i] != ' ' && h[i] != '\0'))
		return 0;
	return want == sum || (long)want == ssum;
}

static int looks_like_archive(const struct tn_input *in)
{
	const unsigned char *h = in->obuf;
	size_t n = in->head_len, i;

	if (n >= 4 && h[0] == 'P' && h[1] == 'K' &&
	    ((h[2] == 3 && h[3] == 4) || (h[2] == 5 && h[3] == 6) || (h[2] == 7 && h[3] == 8)))
		return 1;
	if (n >= 6 && !memcmp(h, "7z\xbc\xaf\x27\x1c", 6))
		return 1;
	if (n < 512)
		return 0;
	for (i = 0; i < 512 && !h[i]; i++)
		;
	if (i == 512)  /* zero blocks: the end of an empty tar, or just NUL bytes */
		return strcmp(in->path, "-") && tar_name(in->path);
	return tar_header(h);
}

/* ---- libarchive on the decoded bytes ---- */

static la_ssize_t cb_read(struct archive *a, void *ud, const void **buf)
{
	struct tn_input *in = ud;
	ssize_t n;

	if (in->head_pos < in->head_len) {
		*buf = in->obuf + in->head_pos;
		n = (ssize_t)(in->head_len - in->head_pos);
		in->head_pos = in->head_len;
		in->pos += (uint64_t)n;
		return n;
	}
	n = dec_read(in, in->obuf, in->bufsize);
	if (n < 0) {
		archive_set_error(a, EIO, "%s", in->dec_msg);
		return -1;
	}
	*buf = in->obuf;
	in->pos += (uint64_t)n;
	return n;
}

static la_int64_t cb_seek(struct archive *a, void *ud, la_int64_t off, int whence)
{
	struct tn_input *in = ud;
	off_t r;

	(void)a;
	if (whence == SEEK_CUR) {
		off += (la_int64_t)in->pos;
		whence = SEEK_SET;
	}
	r = lseek(in->fd, (off_t)off, whence);
	if (r < 0)
		return ARCHIVE_FATAL;
	in->head_pos = in->head_len;
	in->ipos = in->ilen = 0;
	in->ieof = 0;
	in->dec_end = 0;
	in->pos = (uint64_t)r;
	return r;
}

/* ---- open, members, blocks ---- */

int tn_input_open(struct tn_input **out, const char *path, int allow_archives, struct tn_err *err)
{
	struct tn_input *in = calloc(1, sizeof(*in));
	struct stat st;
	ssize_t n;
	int rc;

	*out = NULL;
	if (!in)
		return tn_err_set(err, TN_ENOMEM, "out of memory");
	in->fd = -1;
	in->path = strdup(path);
	if (!in->path) {
		tn_input_close(in);
		return tn_err_set(err, TN_ENOMEM, "out of memory");
	}
	if (!strcmp(path, "-")) {
		in->fd = 0;
	} else {
		in->fd = open(path, O_RDONLY | O_CLOEXEC);
		if (in->fd < 0) {
			rc = tn_err_set(err, TN_EIO, "open '%s': %s", path, strerror(errno));
			tn_input_close(in);
			return rc;
		}
		in->own_fd = 1;
	}
	if (fstat(in->fd, &st))
		memset(&st, 0, sizeof(st));
	if (S_ISDIR(st.st_mode)) {
		tn_input_close(in);
		return tn_err_set(err, TN_EIO, "open '%s': %s", path, strerror(EISDIR));
	}
	/* Small files (most members of a folder) get small buffers. */
	in->bufsize = S_ISREG(st.st_mode) && st.st_size < TN_INPUT_SMALL / 2 ? TN_INPUT_SMALL : TN_INPUT_BLOCK;
	in->ibuf = malloc(in->bufsize);
	in->obuf = malloc(in->bufsize);
	if (!in->ibuf || !in->obuf) {
		tn_input_close(in);
		return tn_err_set(err, TN_ENOMEM, "out of memory");
	}
	if (need(in, 6) && !avail(in)) {
		rc = tn_err_set(err, TN_EIO, "read '%s': %s", path, in->dec_msg);
		tn_input_close(in);
		return rc;
	}
	if (start_decoder(in)) {
		tn_input_close(in);
		return tn_err_set(err, TN_ENOMEM, "out of memory");
	}
	in->regular = S_ISREG(st.st_mode);
	in->seekable = in->codec == C_NONE && in->regular;
	/*
	 * The first decoded bytes tell an archive; they are served again after.
	 * A pipe that has delivered a whole line and then stays quiet is a
	 * stream of lines (a filter's input), not an archive, whose writer sends
	 * its 512-byte header at once: waiting for 512 bytes would hold the
	 * first line's answer back.
	 */
	while (in->head_len < TN_SNIFF && (n = dec_read(in, in->obuf + in->head_len, in->bufsize - in->head_len)) > 0) {
		in->head_len += (size_t)n;
		if (!in->regular && memchr(in->obuf, '\n', in->head_len) && !more_ready(in, TN_SNIFF_WAIT_MS))
			break;
	}
	if (allow_archives && looks_like_archive(in)) {
		in->archive = 1;
		in->a = archive_read_new();
		if (!in->a) {
			tn_input_close(in);
			return tn_err_set(err, TN_ENOMEM, "out of memory");
		}
		archive_read_support_format_tar(in->a);
		archive_read_support_format_zip(in->a);
		archive_read_support_format_7zip(in->a);
		if (in->seekable)
			archive_read_set_seek_callback(in->a, cb_seek);
		archive_read_set_read_callback(in->a, cb_read);
		archive_read_set_callback_data(in->a, in);
		if (archive_read_open1(in->a) != ARCHIVE_OK) {
			const char *m = archive_error_string(in->a);

			rc = tn_err_set(err, TN_EIO, "read '%s': %s", path, m ? m : "unknown error");
			tn_input_close(in);
			return rc;
		}
	}
	*out = in;
	return 0;
}

void tn_input_close(struct tn_input *in)
{
	if (!in)
		return;
	if (in->a)
		archive_read_free(in->a);
	if (in->ra)
		archive_read_free(in->ra);
	if (in->z_init)
		inflateEnd(&in->z);
	if (in->zs)
		ZSTD_freeDStream(in->zs);
	if (in->xz_init)
		lzma_end(&in->xz);
	if (in->bz_init)
		BZ2_bzDecompressEnd(&in->bz);
	if (in->own_fd)
		close(in->fd);
	free(in->ibuf);
	free(in->obuf);
	free(in->path);
	free(in->last_member);
	free(in);
}

int tn_input_is_archive(const struct tn_input *in)
{
	return in->archive;
}

/*
 * Where the header being read starts: libarchive's position, or, when it has
 * none (a negative ARCHIVE_FATAL after a failed read, e.g. a damaged 7-Zip
 * header), the compressed bytes read so far.
 */
static uint64_t header_position(struct tn_input *in)
{
	la_int64_t p = archive_read_header_position(in->a);

	if (p < 0)
		p = archive_filter_bytes(in->a, -1);
	return p < 0 ? 0 : (uint64_t)p;
}

uint64_t tn_input_error_offset(const struct tn_input *in)
{
	return in->err_pos;
}

static int la_fail(struct tn_input *in, struct tn_err *err, const char *what)
{
	const char *m = archive_error_string(in->a);

	if (in->last_member)
		return tn_err_set(err, TN_EIO, "read '%s' %s '%s': %s", in->path, what, in->last_member,
				  m ? m : "unknown error");
	return tn_err_set(err, TN_EIO, "read '%s': %s", in->path, m ? m : "unknown error");
}

/* After the archive's end: the rest of the compressed stream must decode too (its CRC). */
static int drain(struct tn_input *in, struct tn_err *err)
{
	ssize_t n;

	if (in->codec == C_NONE)
		return 0;
	while ((n = dec_read(in, in->obuf, in->bufsize)) > 0)
		in->pos += (uint64_t)n;
	if (n < 0) {
		in->err_pos = in->pos;
		return tn_err_set(err, TN_EIO, "read '%s': %s", in->path, in->dec_msg);
	}
	return 0;
}

int tn_input_next(struct tn_input *in, const char **name, int *is_regular, struct tn_err *err)
{
	struct archive_entry *e;
	int r;

	in->member_open = 0;
	in->member_fail = 0;
	if (in->done)
		return 0;
	if (!in->archive) {
		if (in->stream_given) {
			in->done = 1;
			return 0;
		}
		in->stream_given = 1;
		*name = "data";
		*is_regular = 1;
		in->member_open = 1;
		return 1;
	}
	if (in->pending_entry) {
		in->pending_entry = 0;
		e = in->entry;
		r = ARCHIVE_OK;
	} else if (in->pending_eof) {
		r = ARCHIVE_EOF;
	} else {
		r = archive_read_next_header(in->a, &e);
	}
	if (r == ARCHIVE_RETRY) {
		/*
		 * A damaged header (libarchive's tar: bad checksum).  One error for
		 * it, then on to the next header that reads, which the next call
		 * returns.
		 */
		struct tn_err why;
		int k = 0;

		in->err_pos = header_position(in);
		tn_err_set(&why, TN_EIO, "%s", archive_error_string(in->a) ? archive_error_string(in->a) : "damaged header");
		do
			r = archive_read_next_header(in->a, &e);
		while (r == ARCHIVE_RETRY && ++k < 1000000);
		if (r == ARCHIVE_OK || r == ARCHIVE_WARN) {
			in->pending_entry = 1;
			in->entry = e;
		} else if (r == ARCHIVE_EOF) {
			in->pending_eof = 1;  /* the rest of the stream is still checked */
		} else {
			in->done = 1;
		}
		if (in->last_member)
			return tn_err_set(err, TN_EIO, "read '%s': damaged member header at byte %llu, after member '%s': %s",
					  in->path, (unsigned long long)in->err_pos, in->last_member, why.msg);
		return tn_err_set(err, TN_EIO, "read '%s': damaged member header at byte %llu: %s",
				  in->path, (unsigned long long)in->err_pos, why.msg);
	}
	if (r == ARCHIVE_EOF) {
		in->done = 1;
		return drain(in, err) ? TN_EIO : 0;
	}
	if (r < ARCHIVE_WARN) {
		/* ARCHIVE_FAILED spoils one member; the next header may still read. */
		if (r != ARCHIVE_FAILED || ++in->fails >= 100)
			in->done = 1;
		in->err_pos = header_position(in);
		if (in->last_member) {
			const char *m = archive_error_string(in->a);

			return tn_err_set(err, TN_EIO, "read '%s' after member '%s': %s", in->path, in->last_member,
					  m ? m : "unknown error");
		}
		return la_fail(in, err, "member");
	}
	in->fails = 0;
	free(in->last_member);
	in->last_member = strdup(archive_entry_pathname(e) ? archive_entry_pathname(e) : "");
	if (!in->last_member) {
		in->done = 1;
		return tn_err_set(err, TN_ENOMEM, "out of memory");
	}
	*name = in->last_member;
	*is_regular = archive_entry_filetype(e) == AE_IFREG;
	in->member_open = 1;
	return 1;
}

int tn_input_read(struct tn_input *in, const void **data, size_t *len, struct tn_err *err)
{
	if (!in->member_open)
		return 0;
	if (!in->archive) {
		ssize_t n;

		if (in->head_pos < in->head_len) {
			*data = in->obuf + in->head_pos;
			*len = in->head_len - in->head_pos;
			in->head_pos = in->head_len;
			return 1;
		}
		n = dec_read(in, in->obuf, in->bufsize);
		if (n > 0) {
			*data = in->obuf;
			*len = (size_t)n;
			return 1;
		}
		in->member_open = 0;
		in->done = 1;
		if (n < 0)
			return tn_err_set(err, TN_EIO, "read '%s': %s", in->path, in->dec_msg);
		return 0;
	}
	if (in->member_fail) {
		in->member_fail = 0;
		in->member_open = 0;
		return tn_err_set(err, TN_EIO, "read '%s' member '%s': %s", in->path, in->last_member, in->member_msg);
	}
	for (;;) {
		la_int64_t off;
		int r = archive_read_data_block(in->a, data, len, &off);

		if (r == ARCHIVE_OK && *len == 0)
			continue;
		if (r == ARCHIVE_OK)
			return 1;
		if (r == ARCHIVE_WARN && *len > 0) {
			/* A zip member's bad CRC comes with its last data: hand that out first. */
			const char *m = archive_error_string(in->a);

			snprintf(in->member_msg, sizeof(in->member_msg), "%s", m ? m : "unknown error");
			in->member_fail = 1;
			return 1;
		}
		in->member_open = 0;
		if (r == ARCHIVE_EOF)
			return 0;
		/* A warning (a zip member's bad CRC) spoils this member only. */
		if (r < ARCHIVE_WARN)
			in->done = 1;
		return la_fail(in, err, "member");
	}
}

int tn_input_ready(struct tn_input *in, int timeout_ms)
{
	if (!in->archive && (!in->stream_given || in->head_pos < in->head_len))
		return 1;
	return more_ready(in, timeout_ms);
}

uint64_t tn_input_raw_bytes(const struct tn_input *in)
{
	return in->raw_bytes;
}

void tn_lines_init(struct tn_lines *l, struct tn_input *in, size_t max_line)
{
	memset(l, 0, sizeof(*l));
	l->in = in;
	l->max = max_line;
	tn_buf_init(&l->line);
}

void tn_lines_release(struct tn_lines *l)
{
	tn_buf_release(&l->line);
}

int tn_lines_ready(struct tn_lines *l, int timeout_ms)
{
	if (l->eof || l->in->regular)
		return 1;
	if (l->bpos < l->blen && memchr(l->blk + l->bpos, '\n', l->blen - l->bpos))
		return 1;
	return tn_input_ready(l->in, timeout_ms);
}

static void strip_cr(const char **line, size_t *len)
{
	if (*len && (*line)[*len - 1] == '\r')
		(*len)--;
}

int tn_lines_next(struct tn_lines *l, const char **line, size_t *len, int *cut, struct tn_err *err)
{
	int over = 0;

	tn_buf_reset(&l->line);
	*cut = 0;
	for (;;) {
		const char *p, *nl;
		size_t avail_n;

		if (l->bpos >= l->blen) {
			const void *d;
			int r;

			if (l->eof)
				break;
			r = tn_input_read(l->in, &d, &l->blen, err);
			if (r < 0)
				return r;
			if (r == 0) {
				l->eof = 1;
				break;
			}
			l->blk = d;
			l->bpos = 0;
			continue;
		}
		p = l->blk + l->bpos;
		avail_n = l->blen - l->bpos;
		nl = memchr(p, '\n', avail_n);
		if (nl && l->line.len == 0 && !over) {
			/* The common case: the whole line lies inside the block. */
			size_t n = (size_t)(nl - p);

			l->bpos += n + 1;
			l->lineno++;
			*line = p;
			*len = n;
			/* The limit is on the line's content: a CRLF line's CR does not count. */
			strip_cr(line, len);
			if (*len > l->max) {
				*len = l->max;
				*cut = 1;
			}
			return 1;
		}
		{
			size_t n = nl ? (size_t)(nl - p) : avail_n;
			/* Room for max bytes, a CR and one more to tell a longer line. */
			size_t room = l->max + 2 > l->line.len ? l->max + 2 - l->line.len : 0;

			if (n > room) {
				over = 1;
				if (tn_buf_add(&l->line, p, room))
					return tn_err_set(err, TN_ENOMEM, "out of memory");
			} else if (tn_buf_add(&l->line, p, n)) {
				return tn_err_set(err, TN_ENOMEM, "out of memory");
			}
			l->bpos += n + (nl ? 1 : 0);
			if (nl)
				goto have_line;
		}
	}
	if (l->line.len == 0 && !over)
		return 0;
have_line:
	l->lineno++;
	*line = l->line.ptr;
	*len = l->line.len;
	if (!over)
		strip_cr(line, len);
	if (over || *len > l->max) {
		*len = l->max < *len ? l->max : *len;
		*cut = 1;
	}
	return 1;
}
