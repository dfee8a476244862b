/*
 * sengine.h - the matching engine of the secrets and personal-data scanner
 * (internal).
 *
 * One Hyperscan/Vectorscan pass over raw bytes finds every rule's candidate
 * ends; PCRE2 then confirms each candidate on a window around it (the line,
 * or up to max_len bytes for multi-line rules), extracts the secret's
 * capture group and runs the rule's gates (entropy, allow list, placeholder
 * filter, validator). What survives is a hit. Generic keyword hits yield to
 * specific rules on the same bytes, and personal data inside a secret's match
 * is dropped.
 *
 * The Hyperscan database is compiled once per rule set and cached, serialised,
 * under the cache directory, keyed by the SHA-256 of the engine version and
 * every rule's pattern and flags; the compiler (libhs, a C++ library) is
 * dlopen()ed only on a cache miss, so a warm start links only the runtime.
 * PCRE2 patterns are compiled (and JIT-compiled) the first time a rule has a
 * candidate, so a small scan pays for the few rules it meets.
 */
#ifndef BW_SENGINE_H
#define BW_SENGINE_H

#include "scan/srules.h"
#include "util/internal.h"

typedef struct bw_sengine bw_sengine;
typedef struct bw_sscratch bw_sscratch;

typedef struct bw_sengine_opts {
    const char *cache_dir; /* NULL: $BULWARK_CACHE_DIR, else $XDG_CACHE_HOME/bulwark, else ~/.cache/bulwark */
    bool no_cache;         /* compile every time, never read or write the cache */
    unsigned kinds;        /* BW_SK_SECRET | BW_SK_PII: which rules take part; 0 = both */
    bool no_shapes;        /* run every rule through Hyperscan, none through the digit-run prefilter (tests) */
    bool no_native;        /* confirm every rule with PCRE2, none with the C matchers of snative.h (tests) */
} bw_sengine_opts;

/*
 * Build an engine over rules[0..n) (borrowed: they must outlive the engine).
 * A rule whose pattern neither PCRE2 nor Hyperscan can compile is an error
 * naming the rule (BW_EINVAL).
 */
BW_INTERNAL bw_status bw_sengine_new(bw_sengine **out, const bw_srule *rules, size_t n, const bw_sengine_opts *opts,
                                     bw_error *err);
BW_INTERNAL void bw_sengine_free(bw_sengine *e);
BW_INTERNAL size_t bw_sengine_rule_count(const bw_sengine *e);
BW_INTERNAL const bw_srule *bw_sengine_rule(const bw_sengine *e, size_t i);
/*
 * Did the Hyperscan runtime report different matches on a canary depending
 * on where it starts in memory (a Vectorscan AVX-512 bug)? Warned about once.
 */
BW_INTERNAL bool bw_sengine_runtime_flaky(const bw_sengine *e);
/* Where the database came from: "cache", "compiled", "compiled (cache not writable)". */
BW_INTERNAL const char *bw_sengine_db_origin(const bw_sengine *e);

/* The path rules (BW_SF_PATH) whose regex matches path[0..n): fn(ctx, rule index) for each, in rule order;
 * fn's non-zero return stops and is returned. -1 when a regex cannot run (compile or memory). */
BW_INTERNAL int bw_sengine_match_path(const bw_sengine *e, const char *path, size_t n,
                                      int (*fn)(void *ctx, size_t rule), void *ctx);

/* Scratch space for one thread. */
BW_INTERNAL bw_status bw_sscratch_new(const bw_sengine *e, bw_sscratch **out, bw_error *err);
BW_INTERNAL void bw_sscratch_free(bw_sscratch *s);

typedef struct bw_shit {
    uint32_t rule;         /* index into the engine's rules */
    size_t start, end;     /* the whole match */
    size_t sstart, send;   /* the secret (capture group, or the match) */
    const char *validated; /* what the validator found ("visa"), or NULL */
} bw_shit;

typedef struct bw_shits {
    bw_shit *v;
    size_t n, cap;
} bw_shits;

BW_INTERNAL void bw_shits_release(bw_shits *h);
/* Append x (the array grows by doubling); BW_ENOMEM when it cannot. */
BW_INTERNAL bw_status bw_shits_push(bw_shits *h, const bw_shit *x);
/* Append v[0..n) at once. */
BW_INTERNAL bw_status bw_shits_append(bw_shits *h, const bw_shit *v, size_t n);
/* Sort h by secret start (stable), with the scratch's merge buffer. */
BW_INTERNAL bw_status bw_shits_sort_sstart(bw_sscratch *s, bw_shits *h);
/*
 * Two hit arrays kept with the scratch (i = 0 or 1), so a scanner that takes
 * the scratch for file after file reuses their memory; it may grow them, and
 * leaves them here (or releases them) when it gives the scratch back.
 */
BW_INTERNAL bw_shits *bw_sscratch_hits(bw_sscratch *s, unsigned i);

/*
 * Scan p[0..n) and append the hits whose match ends in (lo, hi] to `out`,
 * sorted by start. Bytes outside [0, n) are never read; windows are cut at
 * 0 and n. Callers that scan a stream in chunks overlap them by at least
 * BW_SENGINE_OVERLAP and move lo/hi so each match is accepted once.
 */
#define BW_SENGINE_OVERLAP ((size_t)65536)
BW_INTERNAL bw_status bw_sengine_scan(const bw_sengine *e, bw_sscratch *s, const char *p, size_t n, size_t lo,
                                      size_t hi, bw_shits *out, bw_error *err);

/*
 * Literals the scan notes in passing, so the scanner looks for what they
 * start only in a block that holds one: the inline markers (every marker the
 * scanner honours holds one of these) and a Kubernetes Secret.
 */
#define BW_SENGINE_MARKERS "bulwark:ignore|gitleaks:allow|pragma: allowlist|secretlint-disable|nosecret"
#define BW_SENGINE_KUBE "kind: Secret"
enum { BW_SFLAG_MARKER = 1u, BW_SFLAG_KUBE = 2u };
/* BW_SFLAG_* of the literals the last bw_sengine_scan() with this scratch met (all of them when it cannot tell) */
BW_INTERNAL unsigned bw_sscratch_flags(const bw_sscratch *s);

/* The read chunk of the secrets scanner (16 MiB; > 2 * BW_SENGINE_OVERLAP); tests make it small. */
extern BW_INTERNAL size_t bw_secrets_chunk;

/* Placeholders and documentation values that are never secrets (exposed for tests). */
BW_INTERNAL bool bw_secret_is_placeholder(const char *s, size_t n);
/* Run validator v on the secret s[ss..se) found in a match p[ms..me) of the buffer p[0..n). */
BW_INTERNAL bool bw_sval_check(int v, const char *p, size_t n, size_t ms, size_t me, size_t ss, size_t se,
                               const char **what);

#endif
