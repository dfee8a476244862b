/*
 * mscan.h - the context every model-format scanner reports into (internal).
 *
 * The dispatcher (lib/scan/models.c) sniffs bytes and hands them to the
 * format's scanner (lib/scan/scan_<format>.c), which parses with the
 * matching lib/formats reader, decides, and calls bw_mscan_flag for each
 * finding. Containers call bw_mscan_member for every member they hold, which
 * dispatches again one level deeper with the member path extended
 * ("outer.zip!inner.zip!archive/data.pkl").
 */
#ifndef BW_MSCAN_H
#define BW_MSCAN_H

#include "bulwark/bulwark.h"
#include "bulwark/bw_scan.h"

#define BW_MSCAN_MEMBER_MAX 1024

struct bw_allowlist; /* lib/scan/allowlist.c */

typedef struct bw_mscan {
    bw_report *report;
    const char *path;                 /* the file as the user named it */
    char member[BW_MSCAN_MEMBER_MAX]; /* container path inside it, "" at the top */
    unsigned depth;                   /* containers entered */
    uint64_t total;                   /* decompressed bytes so far, for the total limit */
    bw_verdict verdict;               /* worst so far */
    bw_scan_opts opts;                /* limits resolved (no zeros) */
    const struct bw_allowlist *allow;
} bw_mscan;

/*
 * Record a finding: `v` raises the verdict, `rule_id` names the rule (also
 * registered with the report), `offset` is the byte offset inside the current
 * member (BW_NO_OFFSET if none). The message must not contain raw input
 * bytes: escape names with bw_escape_for_log.
 */
__attribute__((visibility("hidden"))) void bw_mscan_flag(bw_mscan *s, bw_verdict v, const char *rule_id,
                                                         bw_severity sev, uint64_t offset, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* Register a rule's metadata (id, name, help) with the report; idempotent. */
__attribute__((visibility("hidden"))) void bw_mscan_rule(bw_mscan *s, const bw_rule *rule);

/*
 * Scan a member of the current container: pushes "!name" onto the member
 * path, enforces depth and size limits, sniffs and dispatches, pops.
 */
__attribute__((visibility("hidden"))) bw_status bw_mscan_member(bw_mscan *s, const char *name, const void *p, size_t n);

/* Non-zero when any sniffer recognises the bytes (cheap; reads only headers and the tail). */
__attribute__((visibility("hidden"))) int bw_mscan_recognises(const uint8_t *p, size_t n);

/* Sniff and dispatch bytes at the current member path (used by bw_mscan_member and the top level). */
__attribute__((visibility("hidden"))) bw_status bw_mscan_dispatch(bw_mscan *s, const void *p, size_t n);

/* Format scanners (each in lib/scan/scan_<format>.c). Each returns BW_OK unless out of memory. */
__attribute__((visibility("hidden"))) bw_status bw_scan_pickle(bw_mscan *s, const void *p, size_t n);
__attribute__((visibility("hidden"))) bw_status bw_scan_zip(bw_mscan *s, const void *p, size_t n);
__attribute__((visibility("hidden"))) bw_status bw_scan_tar(bw_mscan *s, const void *p, size_t n);
__attribute__((visibility("hidden"))) bw_status bw_scan_compressed(bw_mscan *s, const void *p, size_t n);
__attribute__((visibility("hidden"))) bw_status bw_scan_safetensors(bw_mscan *s, const void *p, size_t n);
__attribute__((visibility("hidden"))) bw_status bw_scan_gguf(bw_mscan *s, const void *p, size_t n);
__attribute__((visibility("hidden"))) bw_status bw_scan_npy(bw_mscan *s, const void *p, size_t n);
__attribute__((visibility("hidden"))) bw_status bw_scan_onnx(bw_mscan *s, const void *p, size_t n);
/* Keras: a model config in JSON (.keras zips' config.json, Keras 2 to_json) and HDF5 (.h5) files */
__attribute__((visibility("hidden"))) bw_status bw_scan_keras_json(bw_mscan *s, const void *p, size_t n);
__attribute__((visibility("hidden"))) bw_status bw_scan_h5(bw_mscan *s, const void *p, size_t n);

/* Content sniffers: non-zero when the bytes look like the format (cheap, bounded). */
__attribute__((visibility("hidden"))) int bw_sniff_pickle(const uint8_t *p, size_t n);
__attribute__((visibility("hidden"))) int bw_sniff_zip(const uint8_t *p, size_t n);
__attribute__((visibility("hidden"))) int bw_sniff_tar(const uint8_t *p, size_t n);
__attribute__((visibility("hidden"))) int bw_sniff_compressed(const uint8_t *p, size_t n);
__attribute__((visibility("hidden"))) int bw_sniff_safetensors(const uint8_t *p, size_t n);
__attribute__((visibility("hidden"))) int bw_sniff_gguf(const uint8_t *p, size_t n);
__attribute__((visibility("hidden"))) int bw_sniff_npy(const uint8_t *p, size_t n);
__attribute__((visibility("hidden"))) int bw_sniff_onnx(const uint8_t *p, size_t n);
__attribute__((visibility("hidden"))) int bw_sniff_keras_json(const uint8_t *p, size_t n);
__attribute__((visibility("hidden"))) int bw_sniff_h5(const uint8_t *p, size_t n);

#endif
