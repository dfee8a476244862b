/*
 * bw_zip.h - a zip reader over a byte buffer, reading archives the way
 * Python's zipfile (and so torch.load's PyTorch zip format) reads them.
 *
 * The central directory wins: entries, names, sizes and offsets come from
 * it. The local file header of each entry is only cross-checked, and every
 * disagreement (name, method, sizes, CRC) is reported as an issue instead of
 * failing, because the loaders tolerate them. Structural breaks (no end of
 * central directory record, a central directory that does not parse) fail
 * the parse with BW_EFORMAT.
 *
 * Data found before the archive (a pickle whose tail is a zip) is accepted
 * the way zipfile accepts it: every offset is shifted by `prepended`, and
 * the issue BW_ZIP_PREPENDED says so. Members are extracted on request:
 * stored members as views into the input (no copy), deflated members into a
 * buffer capped by the member size, compression ratio and total limits, so
 * a decompression bomb is BW_ELIMIT, never an out-of-memory.
 */
#ifndef BULWARK_BW_ZIP_H
#define BULWARK_BW_ZIP_H

#include "bw_common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** What a zip issue is about. Entry-level issues name the entry. */
typedef enum bw_zip_issue_kind {
    BW_ZIP_PREPENDED = 0,           /**< bytes before the archive (offset = where the zip starts) */
    BW_ZIP_TRAILING = 1,            /**< the EOCD comment length disagrees with the end of the input */
    BW_ZIP_COUNT_MISMATCH = 2,      /**< the EOCD entry count disagrees with the central directory */
    BW_ZIP_LOCAL_BAD = 3,           /**< the local header is missing, truncated or not a local header */
    BW_ZIP_LOCAL_NAME_MISMATCH = 4, /**< the local header names the member differently */
    BW_ZIP_LOCAL_MISMATCH = 5,      /**< method, CRC or sizes in the local header differ */
    BW_ZIP_OVERLAP = 6,             /**< two entries share bytes of the archive ("overlap" zip bomb) */
    BW_ZIP_DATA_PAST_CD = 7,        /**< an entry's data runs into the central directory or past the input */
    BW_ZIP_UNSUPPORTED = 8,         /**< a method other than stored/deflate, or encryption */
    BW_ZIP_DUPLICATE_NAME = 9,      /**< two entries with the same name (loaders pick different ones) */
    BW_ZIP_ZIP64_MISMATCH = 10,     /**< the ZIP64 locator's offset disagrees with where the record is */
} bw_zip_issue_kind;

typedef struct bw_zip_issue {
    bw_zip_issue_kind kind;
    size_t entry;    /**< index into entries, or SIZE_MAX for the archive */
    uint64_t offset; /**< absolute byte offset in the input */
    char msg[160];   /**< names are escaped */
} bw_zip_issue;

/** One central directory entry. Offsets are absolute (prepended data included). */
typedef struct bw_zip_entry {
    bw_bytes name;         /**< raw name bytes from the central directory (borrowed from the input) */
    uint16_t method;       /**< 0 stored, 8 deflate; others are unsupported */
    uint16_t flags;        /**< general purpose bit flags */
    uint32_t crc32;        /**< claimed CRC-32 of the uncompressed data */
    uint64_t csize;        /**< compressed size */
    uint64_t usize;        /**< uncompressed size (a claim) */
    uint64_t cd_offset;    /**< where the central entry is */
    uint64_t local_offset; /**< where the local file header is */
    uint64_t data_offset;  /**< where the member's data starts (valid if local_ok) */
    unsigned zip64 : 1;    /**< sizes or offset came from a ZIP64 extra field */
    unsigned encrypted : 1;
    unsigned descriptor : 1; /**< flag bit 3: sizes and CRC follow the data */
    unsigned local_ok : 1;   /**< the local header parsed and the data range is inside the input */
} bw_zip_entry;

typedef struct bw_zip_opts {
    unsigned version;         /**< BW_ZIP_OPTS_VERSION */
    size_t max_entries;       /**< 0 = default (1 million) */
    size_t max_issues;        /**< issues kept (the rest are counted); 0 = default (1000) */
    uint64_t max_member_size; /**< largest member extracted; 0 = default (4 GiB) */
    uint64_t max_total_size;  /**< bytes extracted over all members; 0 = default (16 GiB) */
    uint32_t max_ratio;       /**< uncompressed : compressed, plus BW_ZIP_RATIO_SLACK bytes; 0 = default (200) */
    int defer_stored_crc;     /**< stored members: leave the CRC to bw_zip_data_check_crc, so a huge member
                                   that is never parsed (a tensor storage) is never read */
} bw_zip_opts;

#define BW_ZIP_OPTS_VERSION 1
#define BW_ZIP_OPTS_INIT                                                                                               \
    {                                                                                                                  \
        BW_ZIP_OPTS_VERSION, 0, 0, 0, 0, 0, 0                                                                          \
    }
/** Bytes a deflated member may always produce whatever its ratio (small members compress well). */
#define BW_ZIP_RATIO_SLACK 65536

typedef struct bw_zip {
    const uint8_t *base; /**< the input (borrowed) */
    size_t len;
    bw_zip_entry *entries; /**< in central directory order */
    size_t n_entries;
    bw_zip_issue *issues;
    size_t n_issues;
    size_t issues_dropped; /**< issues over max_issues, counted not kept */
    uint64_t prepended;    /**< bytes before the archive: 0 for a plain zip */
    uint64_t eocd_offset;  /**< absolute offset of the end of central directory record */
    uint64_t cd_offset;    /**< absolute offset of the central directory */
    uint64_t cd_size;
    uint64_t claimed_entries; /**< entry count in the EOCD (ZIP64 record if present) */
    bw_bytes comment;
    int zip64;          /**< a ZIP64 end of central directory record was used */
    uint64_t extracted; /**< bytes handed out by bw_zip_extract so far */
    bw_zip_opts opts;   /**< resolved (no zeros) */
} bw_zip;

/** A member's bytes: a view into the input (stored) or an owned buffer (deflate). */
typedef struct bw_zip_data {
    bw_bytes bytes;
    void *owned;     /**< non-NULL when bytes were decompressed; release with bw_zip_data_release */
    int crc_ok;      /**< the CRC-32 of bytes matched the central directory (1 while not yet checked) */
    uint32_t crc;    /**< CRC-32 computed over bytes */
    int crc_checked; /**< 0 when deferred (defer_stored_crc): call bw_zip_data_check_crc */
    int size_ok;     /**< the byte count matched the claimed uncompressed size */
} bw_zip_data;

/** Compute a deferred CRC now: sets crc, crc_ok and crc_checked. */
BW_API void bw_zip_data_check_crc(const bw_zip *z, size_t i, bw_zip_data *d);

/** True if the input looks like a zip: 1 starts with a zip signature, 2 an EOCD near the end (data prepended). */
BW_API int bw_zip_sniff(const void *p, size_t n);

/**
 * Parse the archive in p[0..n). `z` is filled (release it with
 * bw_zip_release even on failure). `opts` may be NULL.
 * @return BW_OK (issues may be present), BW_EFORMAT (no archive or a broken
 *         central directory), BW_ELIMIT (too many entries), BW_ENOMEM
 */
BW_API bw_status bw_zip_parse(bw_zip *z, const void *p, size_t n, const bw_zip_opts *opts, bw_error *err) BW_NODISCARD;
BW_API void bw_zip_release(bw_zip *z);

/**
 * Read entry `i`. Stored members are views; deflated members are inflated
 * under the limits. A CRC or size mismatch is not an error: see crc_ok and
 * size_ok. Release `out` with bw_zip_data_release whatever the status.
 * @return BW_OK, BW_ELIMIT (a limit was hit; err says which), BW_EFORMAT
 *         (no local header, data outside the input, corrupt deflate data),
 *         BW_EUNSUPPORTED (method or encryption), BW_EINVAL, BW_ENOMEM
 */
BW_API bw_status bw_zip_extract(bw_zip *z, size_t i, bw_zip_data *out, bw_error *err) BW_NODISCARD;
BW_API void bw_zip_data_release(bw_zip_data *d);

/** "prepended", "trailing", ... for messages and rule mapping. */
BW_API const char *bw_zip_issue_name(bw_zip_issue_kind k);

#ifdef __cplusplus
}
#endif
#endif
