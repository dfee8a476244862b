/*
 * manifest_internal.h - shared by manifest.c and manifest_parse.c.
 */
#ifndef BW_MANIFEST_INTERNAL_H
#define BW_MANIFEST_INTERNAL_H

#include <stdbool.h>

#include "bulwark/bulwark.h"
#include "trust/statcache.h"

#define BW_INTOTO_STATEMENT_V1 "https://in-toto.io/Statement/v1"
#define BW_OMS_PREDICATE_V1 "https://model_signing/signature/v1.0"
#define BW_INTOTO_PAYLOAD_TYPE "application/vnd.in-toto+json"

/* Limits on manifests read from untrusted files. */
#define BW_MANIFEST_MAX_BYTES ((size_t)256 << 20)
#define BW_MANIFEST_MAX_ENTRIES ((size_t)10 << 20)
#define BW_MANIFEST_MAX_NAME 4096

/* Compute root, n_files and total_bytes from the entries (which must be sorted). */
__attribute__((visibility("hidden"))) bw_status bw_manifest_finish(bw_manifest *m, bw_error *err);

/*
 * A name a statement may hold: relative, '/'-separated, no empty, "." or ".."
 * component, no NUL, at most BW_MANIFEST_MAX_NAME bytes; or exactly ".".
 */
__attribute__((visibility("hidden"))) bool bw_manifest_name_ok(const char *s, size_t n);

/*
 * Incremental building (sign.c): before a walked file is hashed, reuse() may
 * hand over its entries from a vouching manifest (*n of them, at *out, all
 * for that name, in order) and the stat tuple it checked; 0 means hash it.
 * After the build, per walked file in walk order: its name, the stat tuple
 * of the bytes its entries stand for (taken after reading; invalid when it
 * could not be taken or moved between shards) and whether it was reused.
 * Release with bw_manifest_hook_release.
 */
typedef struct bw_manifest_hook {
    size_t (*reuse)(void *ud, const char *rel, const char *path, uint64_t size, const bw_manifest_entry **out,
                    bw_stat_tuple *st);
    void *ud;
    size_t n_files;
    char **names;
    bw_stat_tuple *tuples;
    bool *reused;
    size_t files_reused, files_hashed;
    uint64_t bytes_reused, bytes_hashed;
} bw_manifest_hook;

__attribute__((visibility("hidden"))) bw_status bw_manifest_build_hooked(bw_manifest **out, const char *path,
                                                                         const bw_manifest_opts *opts,
                                                                         bw_manifest_hook *hook, bw_error *err);
__attribute__((visibility("hidden"))) void bw_manifest_hook_release(bw_manifest_hook *h);

/*
 * Parse a signed payload as a statement, in one JSON pass: a JSON object with
 * a string "_type" (else BW_EFORMAT "not an in-toto statement"), read as
 * bw_manifest_parse reads a statement, except that an envelope inside it is
 * never followed (only the verified bytes count).
 */
__attribute__((visibility("hidden"))) bw_status
bw_manifest_parse_statement(bw_manifest **out, const void *data, size_t n, const char *source, bw_error *err);

#endif
