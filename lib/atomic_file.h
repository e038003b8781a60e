/*
 * atomic_file.h - durable, all-or-nothing file writes.
 *
 * A reader of PATH sees the old file or the new one, never a part: the data
 * goes to PATH.tmp beside it, is fsync'ed, renamed over PATH, and the folder is
 * fsync'ed so that the rename survives a crash.  Used for the run manifest and
 * _SUCCESS (pipeline.c) and the bundle's manifest (bundle.c); shards are
 * streamed and renamed into place the same way by shard.c.
 *
 * Thread-safe as long as two threads do not write the same path.
 */
#ifndef TN_ATOMIC_FILE_H
#define TN_ATOMIC_FILE_H

#include <stddef.h>

#include "err.h"

/*
 * Writes data[0..len) to path atomically (see above).  0, TN_ENOMEM, or TN_EIO
 * with err naming the file; on failure PATH.tmp is removed and PATH is as it was.
 */
int tn_write_atomic(const char *path, const char *data, size_t len, struct tn_err *err);

/* fsync()s a folder, so that renames in it are durable.  0 or TN_EIO. */
int tn_fsync_dir(const char *dir);

#endif
