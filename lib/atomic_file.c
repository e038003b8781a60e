/*
 * atomic_file.c - durable, all-or-nothing file writes; see atomic_file.h.
 */
#include "atomic_file.h"
#include "buf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int tn_fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc;

	if (fd < 0)
		return TN_EIO;
	rc = fsync(fd) ? TN_EIO : 0;
	close(fd);
	return rc;
}

int tn_write_atomic(const char *path, const char *data, size_t len, struct tn_err *err)
{
	struct tn_buf tmp = TN_BUF_INIT, dir = TN_BUF_INIT;
	const char *slash = strrchr(path, '/');
	int fd, rc = 0;
	size_t off = 0;

	if (tn_buf_addf(&tmp, "%s.tmp", path) ||
	    tn_buf_add(&dir, path, slash ? (size_t)(slash - path) : 0) ||
	    (!slash && tn_buf_addstr(&dir, ".")))
		return tn_err_set(err, TN_ENOMEM, "out of memory");
	fd = open(tmp.ptr, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (fd < 0) {
		rc = tn_err_set(err, TN_EIO, "cannot create '%s': %s", tmp.ptr, strerror(errno));
		goto out;
	}
	while (off < len) {
		ssize_t w = write(fd, data + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			rc = tn_err_set(err, TN_EIO, "cannot write '%s': %s", tmp.ptr, strerror(errno));
			break;
		}
		off += (size_t)w;
	}
	if (!rc && fsync(fd))
		rc = tn_err_set(err, TN_EIO, "cannot sync '%s': %s", tmp.ptr, strerror(errno));
	close(fd);
	if (!rc && rename(tmp.ptr, path))
		rc = tn_err_set(err, TN_EIO, "cannot rename '%s': %s", tmp.ptr, strerror(errno));
	if (rc)
		unlink(tmp.ptr);
	else
		tn_fsync_dir(dir.ptr);
out:
	tn_buf_release(&tmp);
	tn_buf_release(&dir);
	return rc;
}
