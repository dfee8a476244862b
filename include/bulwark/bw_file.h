/*
 * bw_file.h - reading inputs safely and writing outputs atomically.
 *
 * Inputs: bw_file_open() accepts regular files only, opens them with
 * O_NOFOLLOW | O_CLOEXEC and remembers the fstat() taken at open, so that
 * bw_file_check_unchanged() can tell a file that changed while it was read
 * (size, mtime or inode differ) and the caller can refuse the result.
 * Contents come either as one mapping (bw_file_map) or as a stream of reads
 * (bw_file_read), which is what pipes and files over the map limit use.
 *
 * Outputs: bw_atomic writes to a temporary file beside the target, fsyncs it
 * and renames it over the target, so a reader sees the old file or the new
 * one, never a torn one. An aborted write leaves the old file untouched.
 */
#ifndef BULWARK_BW_FILE_H
#define BULWARK_BW_FILE_H

#include "bw_buf.h"
#include "bw_common.h"
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct bw_file bw_file;

/** Open flags. */
enum {
    BW_FILE_FOLLOW = 1u << 0, /**< allow a symlink as the last component (default: refuse) */
    BW_FILE_STDIN = 1u << 1,  /**< "-" means standard input (a stream; may be a pipe) */
};

/** What was seen of a file: enough to tell whether it changed. */
typedef struct bw_file_stat {
    uint64_t size;
    int64_t mtime_sec;
    long mtime_nsec;
    uint64_t dev;
    uint64_t ino;
    int is_regular; /**< 0 for standard input that is a pipe or terminal */
} bw_file_stat;

/**
 * Open `path` for reading.
 * @param out   receives the handle; close it with bw_file_close()
 * @param flags BW_FILE_* flags
 * @return BW_OK; BW_ENOTFOUND (missing), BW_EIO (not a regular file, a
 *         symlink without BW_FILE_FOLLOW, permission), BW_ENOMEM
 */
BW_API bw_status bw_file_open(bw_file **out, const char *path, unsigned flags, bw_error *err) BW_NODISCARD;
/** Close the file and unmap any mapping. NULL is a no-op. */
BW_API void bw_file_close(bw_file *f);

/** The stat taken at open (size 0 and is_regular 0 for a stream). */
BW_API const bw_file_stat *bw_file_info(const bw_file *f);
/** The path as given at open (borrowed). */
BW_API const char *bw_file_path(const bw_file *f);
BW_API int bw_file_fd(const bw_file *f);

/**
 * Map the whole file read-only. The view stays valid until bw_file_close().
 * Fails with BW_EUNSUPPORTED for streams and empty files (the caller then
 * reads with bw_file_read), BW_EIO if mmap fails.
 */
BW_API bw_status bw_file_map(bw_file *f, bw_bytes *out, bw_error *err) BW_NODISCARD;

/** Read up to `cap` bytes; *got is 0 only at the end. Retries EINTR. */
BW_API bw_status bw_file_read(bw_file *f, void *buf, size_t cap, size_t *got, bw_error *err) BW_NODISCARD;
/** Read up to `cap` bytes at `off` without moving the file position. */
BW_API bw_status bw_file_pread(bw_file *f, void *buf, size_t cap, uint64_t off, size_t *got,
                               bw_error *err) BW_NODISCARD;

/**
 * fstat() again and compare with the stat taken at open. BW_ECHANGED with a
 * message saying what changed, if the size, mtime or inode differ.
 */
BW_API bw_status bw_file_check_unchanged(bw_file *f, bw_error *err) BW_NODISCARD;

/**
 * Read the rest of an open file into `out` (appended; `out` must be
 * initialised): at most `max` bytes, BW_ELIMIT past it. For a regular file
 * the buffer grows once, to its size. Does not check that it was unchanged
 * (bw_file_check_unchanged).
 */
BW_API bw_status bw_file_read_all(bw_file *f, size_t max, bw_buf *out, bw_error *err) BW_NODISCARD;

/**
 * Read a whole file (or "-" for standard input when BW_FILE_STDIN is set)
 * into `out`, which must be initialised; at most `max` bytes (BW_ELIMIT past it).
 */
BW_API bw_status bw_file_slurp(const char *path, unsigned flags, size_t max, bw_buf *out, bw_error *err) BW_NODISCARD;

/** An output being written atomically. */
typedef struct bw_atomic bw_atomic;

/**
 * Start writing `path`: creates a temporary file in the same directory.
 * @param mode  permission bits of the new file (e.g. 0644, 0600 for secrets)
 */
BW_API bw_status bw_atomic_open(bw_atomic **out, const char *path, mode_t mode, bw_error *err) BW_NODISCARD;
BW_API bw_status bw_atomic_write(bw_atomic *a, const void *p, size_t n, bw_error *err) BW_NODISCARD;
/** fsync, rename over the target, fsync the directory, free `a`. On failure the target is untouched. */
BW_API bw_status bw_atomic_commit(bw_atomic *a, bw_error *err) BW_NODISCARD;
/** Remove the temporary file and free `a`. NULL is a no-op. */
BW_API void bw_atomic_abort(bw_atomic *a);

/** Write a whole buffer to `path` atomically. */
BW_API bw_status bw_file_write_atomic(const char *path, const void *p, size_t n, mode_t mode,
                                      bw_error *err) BW_NODISCARD;

/**
 * Where `file` (which need not exist yet) lies inside directory `dir`: its
 * path relative to dir ("model.sig", "sub/x.json"), compared on resolved
 * paths (so "d/../d/x" and symlinked parents count), or NULL when it lies
 * outside, dir is not a directory, the base name is empty, "." or "..", or
 * memory ran out. Free the result with bw_free.
 */
BW_API char *bw_path_inside(const char *file, const char *dir);

#ifdef __cplusplus
}
#endif
#endif
