/*
 * larchive.h - libarchive, loaded on first use (internal).
 *
 * libarchive is not linked: its dependency chain (libxml2, ICU, libstdc++,
 * nettle, acl ...) cost every bulwark process several milliseconds of
 * start-up and 20 MB of mapped pages, and only tar files and compressed
 * streams need it. It is dlopen()ed the first time bw_la_load() is called;
 * the declarations come from archive.h (compile only). Callers use the
 * p_archive_* pointers after bw_la_load() returned true.
 * Test hook: BULWARK_TEST_NO_LIBARCHIVE makes it behave as if not installed.
 */
#ifndef BW_LARCHIVE_H
#define BW_LARCHIVE_H

#include <archive.h>
#include <archive_entry.h>

#include "util/internal.h"

#define LA_FUNCS(X)                                                                                                    \
    X(archive_entry_filetype)                                                                                          \
    X(archive_entry_hardlink)                                                                                          \
    X(archive_entry_pathname)                                                                                          \
    X(archive_entry_size)                                                                                              \
    X(archive_entry_size_is_set)                                                                                       \
    X(archive_entry_symlink)                                                                                           \
    X(archive_error_string)                                                                                            \
    X(archive_filter_bytes)                                                                                            \
    X(archive_read_data)                                                                                               \
    X(archive_read_free)                                                                                               \
    X(archive_read_new)                                                                                                \
    X(archive_read_next_header)                                                                                        \
    X(archive_read_open_memory)                                                                                        \
    X(archive_read_support_filter_bzip2)                                                                               \
    X(archive_read_support_filter_gzip)                                                                                \
    X(archive_read_support_filter_lzma)                                                                                \
    X(archive_read_support_filter_none)                                                                                \
    X(archive_read_support_filter_xz)                                                                                  \
    X(archive_read_support_filter_zstd)                                                                                \
    X(archive_read_support_format_gnutar)                                                                              \
    X(archive_read_support_format_raw)                                                                                 \
    X(archive_read_support_format_tar)                                                                                 \
    X(archive_read_support_format_zip)
#define LA_PTR(name) extern BW_INTERNAL __typeof__(name) *p_##name;
LA_FUNCS(LA_PTR)
#undef LA_PTR

/* True when libarchive is loaded (thread-safe, once). */
BW_INTERNAL bool bw_la_load(void);

enum bw_la_kind {
    BW_LA_RAW = 0, /* one compressed stream (gzip, bzip2, xz, lzma, zstd): a single member "data" */
    BW_LA_TAR = 1, /* tar, possibly compressed */
    BW_LA_ANY = 2, /* tar or zip, possibly compressed */
};

/*
 * A reader over p[0..n) (after bw_la_load). Filters that libarchive would
 * run as an external program are left out: a scanner does not start
 * processes on hostile input. NULL when out of memory.
 */
BW_INTERNAL struct archive *bw_la_open(const void *p, size_t n, enum bw_la_kind kind);

#endif
