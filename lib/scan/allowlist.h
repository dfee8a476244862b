/*
 * allowlist.h - the policy database of Python globals (internal).
 */
#ifndef BW_ALLOWLIST_H
#define BW_ALLOWLIST_H

#include "bulwark/bulwark.h"

typedef enum bw_allow_kind { BW_ALLOW_UNKNOWN = 0, BW_ALLOW_SAFE = 1, BW_ALLOW_UNSAFE = 2 } bw_allow_kind;

typedef struct bw_allow_hit {
    bw_allow_kind kind;
    const char *category; /* "process execution", ... (static or owned by the allowlist) */
    const char *why;      /* explanation; may be NULL */
} bw_allow_hit;

struct bw_allowlist;

#define BW_HIDDEN __attribute__((visibility("hidden")))
/* The built-in database plus the packs in `files` (each read whole, at most 16 MiB). */
BW_HIDDEN bw_status bw_allowlist_load(struct bw_allowlist **out, const char *const *files, size_t n, bw_error *err);
/* Parse one pack's text in place (kept by the allowlist). */
BW_HIDDEN bw_status bw_allowlist_parse(struct bw_allowlist *a, char *text, const char *source, bw_error *err);
BW_HIDDEN void bw_allowlist_free(struct bw_allowlist *a);
/* Classify MODULE.NAME: unsafe entries win over safe ones; unknown otherwise. */
BW_HIDDEN bw_allow_kind bw_allowlist_lookup(const struct bw_allowlist *a, const char *module, const char *name,
                                            bw_allow_hit *hit);
BW_HIDDEN const char *bw_allowlist_version(void);

#endif
