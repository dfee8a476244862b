/*
 * bw_walk.h - the files under one or more paths.
 *
 * The walk lists regular files below a root, honouring gitignore-style
 * patterns from `.gitignore` and `.bulwarkignore` files found on the way
 * (each applies to its own directory and below, later and deeper files win,
 * `!pattern` re-includes) and from the caller's exclude list (which applies
 * from the root). It always skips `.git` directories. It never follows a
 * symbolic link that resolves outside the root; a link that resolves inside
 * the root is followed. A link back to an ancestor is a directory loop
 * (BW_ELOOP, with both paths in the message); a directory reached again
 * through a second link is listed once and the later path (in byte order)
 * skipped with a warning. An unreadable
 * file or directory is a warning (logged, counted in bw_walk_list.warnings)
 * and the walk goes on.
 *
 * Entries come back sorted by path components, the order model-signing
 * uses: "a/b" sorts before "a.b" because "a" < "a.b" component-wise.
 */
#ifndef BULWARK_BW_WALK_H
#define BULWARK_BW_WALK_H

#include "bw_common.h"

#ifdef __cplusplus
extern "C" {
#endif

enum {
    BW_WALK_GITIGNORE = 1u << 0,     /**< read .gitignore files */
    BW_WALK_BULWARKIGNORE = 1u << 1, /**< read .bulwarkignore files */
    BW_WALK_NO_SYMLINKS = 1u << 2,   /**< skip every symlink (with a warning) instead of following in-root ones */
};

typedef struct bw_walk_opts {
    unsigned version;            /**< BW_WALK_OPTS_VERSION */
    unsigned flags;              /**< BW_WALK_* */
    const char *const *excludes; /**< gitignore-syntax patterns, relative to the root; borrowed */
    size_t n_excludes;
    unsigned max_depth; /**< 0 = default limit (256) */
    uint64_t max_files; /**< 0 = no limit; past it BW_ELIMIT */
} bw_walk_opts;

#define BW_WALK_OPTS_VERSION 1
#define BW_WALK_OPTS_INIT                                                                                              \
    {                                                                                                                  \
        BW_WALK_OPTS_VERSION, BW_WALK_GITIGNORE | BW_WALK_BULWARKIGNORE, NULL, 0, 0, 0                                 \
    }

typedef struct bw_walk_entry {
    char *path; /**< path to open: root joined with rel, or the in-root target of a link */
    char *rel;  /**< path relative to the root, '/'-separated; "." when the root is a file */
    uint64_t size;
    int via_symlink; /**< reached through a symbolic link */
} bw_walk_entry;

typedef struct bw_walk_list {
    bw_walk_entry *entries; /**< sorted by path components */
    size_t n;
    size_t warnings; /**< unreadable entries and skipped links, each logged */
} bw_walk_list;

/**
 * List the regular files under `root` (a directory, or a single file which
 * yields one entry with rel ".").
 * @param out  filled on success; release with bw_walk_list_release()
 * @return BW_OK, BW_ENOTFOUND / BW_EIO (root unusable), BW_ELOOP,
 *         BW_ELIMIT (depth or file-count limit), BW_ENOMEM
 */
BW_API bw_status bw_walk(const char *root, const bw_walk_opts *opts, bw_walk_list *out, bw_error *err) BW_NODISCARD;
BW_API void bw_walk_list_release(bw_walk_list *l);

/** Compare two '/'-separated relative paths component by component (for qsort-style use). */
BW_API int bw_path_cmp(const char *a, const char *b);

/**
 * Match one gitignore-syntax pattern against a relative path (no leading
 * '/'). Supports `*`, `?`, `[...]`, `**`, a leading `/` anchor, a trailing
 * `/` (directories only). Negation (`!`) is the caller's concern.
 * @return 1 on a match, 0 otherwise
 */
BW_API int bw_glob_match(const char *pattern, const char *path, int is_dir);

#ifdef __cplusplus
}
#endif
#endif
