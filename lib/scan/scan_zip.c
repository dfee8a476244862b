/*
 * scan_zip.c - containers: zip (our reader, lib/formats/zip.c), tar and
 * single compressed streams (gzip, bzip2, xz through libarchive).
 *
 * Each member is read into memory under the scan's limits (member size,
 * decompressed:compressed ratio, total) and handed to bw_mscan_member, which
 * sniffs it and dispatches one level deeper. What the reader reports about
 * the container itself becomes a finding here:
 *   - disagreements a loader tolerates (CRC, local header vs central
 *     directory, entry count) are REVIEW: torch.load would still load it;
 *   - structural breaks and limit hits are MALFORMED: the contents could
 *     not be read, so the file cannot be shown safe;
 *   - tricks with no innocent use (data prepended to the archive, path
 *     traversal names, duplicate names that loaders resolve differently)
 *     are UNSAFE.
 */
#include <archive.h>
#include <archive_entry.h>
#include <dlfcn.h>
#include <pthread.h>

#include "scan/mscan.h"
#include "util/internal.h"
#include "util/larchive.h"

static const bw_rule zip_rules[] = {
    {"zip-malformed", "ZipMalformed", "The zip archive is structurally broken",
     "The end of central directory record or the central directory does not parse, a member's local header or "
     "data is missing, or its deflate data is corrupt. The members could not all be read, so the file cannot be "
     "shown safe.",
     NULL, BW_SEV_HIGH},
    {"zip-limit", "ZipLimit", "A zip member decompresses past a limit",
     "A member's decompressed size is over the member size, total size or compression ratio limit (a "
     "decompression bomb), or the archive has too many entries. The member was not read.",
     NULL, BW_SEV_HIGH},
    {"zip-crc-mismatch", "ZipCrcMismatch", "A zip member's CRC-32 does not match its data",
     "The data was changed after the archive was written. PyTorch's reader tolerates it, so the member was "
     "scanned as it is; find out who modified the file.",
     NULL, BW_SEV_MEDIUM},
    {"zip-local-name-mismatch", "ZipLocalNameMismatch", "A zip member's local header names it differently",
     "The central directory (which loaders trust) and the local file header disagree on the member's name. "
     "Tools that walk local headers see different files from torch.load: a way to hide a member from a scanner.",
     NULL, BW_SEV_MEDIUM},
    {"zip-local-mismatch", "ZipLocalMismatch", "A zip member's local header disagrees with the central directory",
     "Method, CRC or sizes in the local file header differ from the central directory entry. Loaders trust the "
     "central directory; the member was read as it describes.",
     NULL, BW_SEV_MEDIUM},
    {"zip-size-mismatch", "ZipSizeMismatch", "A zip member's data is not the size its entry claims",
     "The member decompressed to a different number of bytes than the central directory claims. A loader "
     "reading the claimed size sees a different member from one reading to the end of the stream.",
     NULL, BW_SEV_MEDIUM},
    {"zip-count-mismatch", "ZipCountMismatch", "The zip's entry count disagrees with its central directory",
     "The end of central directory record claims a different number of entries than the central directory "
     "holds. Readers that trust the count (miniz) see fewer members than readers that walk the directory "
     "(zipfile); every member was scanned.",
     NULL, BW_SEV_MEDIUM},
    {"zip-trailing-data", "ZipTrailingData", "The zip's end record does not end the file",
     "The end of central directory comment length disagrees with the bytes after the record.", NULL, BW_SEV_LOW},
    {"zip-zip64-mismatch", "ZipZip64Mismatch", "The ZIP64 locator points somewhere else",
     "The ZIP64 end of central directory locator's offset disagrees with where the ZIP64 record is. Readers "
     "that follow the locator and readers that look right before it see different archives.",
     NULL, BW_SEV_MEDIUM},
    {"zip-overlapping-entries", "ZipOverlappingEntries", "Zip entries share bytes of the archive",
     "Two central directory entries point into the same local data: the overlapping-entries zip bomb, or a "
     "way to show different names for the same bytes. No zip writer does this.",
     NULL, BW_SEV_HIGH},
    {"zip-data-past-directory", "ZipDataPastDirectory", "A zip member's data runs into the central directory",
     "A member's data extends past the start of the central directory or the end of the file: the archive "
     "lies about its layout.",
     NULL, BW_SEV_HIGH},
    {"zip-unsupported-method", "ZipUnsupportedMethod", "A zip member is encrypted or uses an unsupported method",
     "Only stored and deflate members can be read (PyTorch writes stored members). The member could not be "
     "scanned, so the file cannot be shown safe.",
     NULL, BW_SEV_HIGH},
    {"zip-duplicate-name", "ZipDuplicateName", "Two zip entries have the same name",
     "Readers resolve a duplicate name differently (zipfile takes the last entry, others the first), so a "
     "scanner and a loader can read different members. Both were scanned.",
     NULL, BW_SEV_HIGH},
    {"archive-polyglot", "ArchivePolyglot", "Other data comes before the archive",
     "The archive starts after other bytes (for example a pickle whose tail is a zip). Loaders that read from "
     "the start and loaders that read from the end see different files.",
     NULL, BW_SEV_HIGH},
    {"archive-path-traversal", "ArchivePathTraversal", "An archive member's name escapes the extraction directory",
     "A member name is absolute or contains '..' (or a link points outside): extracting the archive writes "
     "outside the target directory. Model archives never need such names.",
     NULL, BW_SEV_HIGH},
    {"archive-malformed", "ArchiveMalformed", "A tar archive or compressed stream is broken",
     "The archive or stream could not be read to its end, so its contents cannot be shown safe.", NULL, BW_SEV_HIGH},
    {"archive-limit", "ArchiveLimit", "A tar member or compressed stream decompresses past a limit",
     "The member's size is over the member size, total size or compression ratio limit (a decompression "
     "bomb). It was not read.",
     NULL, BW_SEV_HIGH},
};

static void register_rules(bw_mscan *s)
{
    for (size_t i = 0; i < BW_ARRAY_LEN(zip_rules); i++) {
        bw_mscan_rule(s, &zip_rules[i]);
    }
}

/* Absolute names (/x, \x, C:x) and ".." components, with / or \ as separators. Not static: unit-tested. */
BW_INTERNAL bool bw_archive_name_escapes(const char *p, size_t n);
bool bw_archive_name_escapes(const char *p, size_t n)
{
    size_t start = 0;

    if (n == 0) {
        return false;
    }
    if (p[0] == '/' || p[0] == '\\' || (n >= 2 && p[1] == ':' && ((p[0] | 0x20) >= 'a' && (p[0] | 0x20) <= 'z'))) {
        return true;
    }
    for (size_t i = 0; i <= n; i++) {
        if (i == n || p[i] == '/' || p[i] == '\\') {
            if (i - start == 2 && p[start] == '.' && p[start + 1] == '.') {
                return true;
            }
            start = i + 1;
        }
    }
    return false;
}

/* A member name for bw_mscan_member: the raw name, or escaped if it holds a NUL or is too long. */
static void member_name(const void *p, size_t n, char *out, size_t cap)
{
    if (n > 0 && n < cap && memchr(p, '\0', n) == NULL) {
        memcpy(out, p, n);
        out[n] = '\0';
        return;
    }
    if (n == 0) {
        snprintf(out, cap, "(unnamed)");
        return;
    }
    bw_escape_for_log(p, n, out, cap);
}

static void zip_issue_flag(bw_mscan *s, const bw_zip_issue *is)
{
    const char *rule = "zip-malformed";
    bw_verdict v = BW_VERDICT_MALFORMED;

    switch (is->kind) {
    case BW_ZIP_PREPENDED: rule = "archive-polyglot", v = BW_VERDICT_UNSAFE; break;
    case BW_ZIP_TRAILING: rule = "zip-trailing-data", v = BW_VERDICT_REVIEW; break;
    case BW_ZIP_COUNT_MISMATCH: rule = "zip-count-mismatch", v = BW_VERDICT_REVIEW; break;
    case BW_ZIP_LOCAL_BAD: rule = "zip-malformed", v = BW_VERDICT_MALFORMED; break;
    case BW_ZIP_LOCAL_NAME_MISMATCH: rule = "zip-local-name-mismatch", v = BW_VERDICT_REVIEW; break;
    case BW_ZIP_LOCAL_MISMATCH: rule = "zip-local-mismatch", v = BW_VERDICT_REVIEW; break;
    case BW_ZIP_OVERLAP: rule = "zip-overlapping-entries", v = BW_VERDICT_MALFORMED; break;
    case BW_ZIP_DATA_PAST_CD: rule = "zip-data-past-directory", v = BW_VERDICT_MALFORMED; break;
    case BW_ZIP_UNSUPPORTED: return; /* reported when the member is extracted */
    case BW_ZIP_DUPLICATE_NAME: rule = "zip-duplicate-name", v = BW_VERDICT_UNSAFE; break;
    case BW_ZIP_ZIP64_MISMATCH: rule = "zip-zip64-mismatch", v = BW_VERDICT_REVIEW; break;
    }
    bw_mscan_flag(s, v, rule, BW_SEV_INFO, is->offset, "%s", is->msg);
}

bw_status bw_scan_zip(bw_mscan *s, const void *p, size_t n)
{
    bw_zip z;
    bw_zip_opts zo = BW_ZIP_OPTS_INIT;

    zo.defer_stored_crc = 1; /* checked below only for members that are parsed */
    bw_error err;
    bw_status rc;
    char name[512], esc[256];

    register_rules(s);
    bw_error_clear(&err);
    zo.max_member_size = s->opts.max_member_size;
    zo.max_total_size = s->total < s->opts.max_total_size ? s->opts.max_total_size - s->total : 1;
    zo.max_ratio = s->opts.max_ratio;
    rc = bw_zip_parse(&z, p, n, &zo, &err);
    if (rc == BW_ENOMEM) {
        goto out;
    }
    if (rc != BW_OK) {
        bw_mscan_flag(s, BW_VERDICT_MALFORMED, rc == BW_ELIMIT ? "zip-limit" : "zip-malformed", BW_SEV_HIGH, err.offset,
                      "%s", err.msg);
        rc = BW_OK;
        goto out;
    }
    for (size_t i = 0; i < z.n_issues; i++) {
        zip_issue_flag(s, &z.issues[i]);
    }
    if (z.issues_dropped > 0) {
        bw_mscan_flag(s, BW_VERDICT_MALFORMED, "zip-malformed", BW_SEV_HIGH, BW_NO_OFFSET,
                      "%zu more problems in the archive were not listed", z.issues_dropped);
    }
    for (size_t i = 0; i < z.n_entries; i++) {
        const bw_zip_entry *e = &z.entries[i];
        bw_zip_data d;

        bw_escape_for_log((const char *)e->name.ptr, e->name.len, esc, sizeof(esc));
        if (bw_archive_name_escapes((const char *)e->name.ptr, e->name.len)) {
            bw_mscan_flag(s, BW_VERDICT_UNSAFE, "archive-path-traversal", BW_SEV_HIGH, e->cd_offset,
                          "zip entry '%s' is an absolute path or climbs out with '..'", esc);
        }
        bw_error_clear(&err);
        rc = bw_zip_extract(&z, i, &d, &err);
        if (rc == BW_ENOMEM) {
            bw_zip_data_release(&d);
            goto out;
        }
        if (rc != BW_OK) {
            const char *rule = rc == BW_ELIMIT         ? "zip-limit"
                               : rc == BW_EUNSUPPORTED ? "zip-unsupported-method"
                                                       : "zip-malformed";
            bw_mscan_flag(s, BW_VERDICT_MALFORMED, rule, BW_SEV_HIGH, err.offset, "%s", err.msg);
            bw_zip_data_release(&d);
            rc = BW_OK;
            continue;
        }
        if (!d.crc_checked && bw_mscan_recognises(d.bytes.ptr, d.bytes.len)) {
            /*
             * A member that will be parsed is read anyway, so its CRC costs
             * little; raw tensor storages (recognised as nothing) are not read
             * at all, which keeps a multi-GB checkpoint a millisecond scan.
             */
            bw_zip_data_check_crc(&z, i, &d);
        }
        if (!d.crc_ok) {
            bw_mscan_flag(s, BW_VERDICT_REVIEW, "zip-crc-mismatch", BW_SEV_MEDIUM, e->data_offset,
                          "zip entry '%s': CRC-32 of the data is %08x, the central directory says %08x", esc, d.crc,
                          e->crc32);
        }
        if (!d.size_ok) {
            bw_mscan_flag(s, BW_VERDICT_REVIEW, "zip-size-mismatch", BW_SEV_MEDIUM, e->data_offset,
                          "zip entry '%s': %zu bytes of data, the central directory says %llu", esc, d.bytes.len,
                          (unsigned long long)e->usize);
        }
        member_name(e->name.ptr, e->name.len, name, sizeof(name));
        rc = bw_mscan_member(s, name, d.bytes.ptr, d.bytes.len);
        bw_zip_data_release(&d);
        if (rc != BW_OK) {
            goto out;
        }
    }
out:
    bw_zip_release(&z);
    return rc;
}

int bw_sniff_zip(const uint8_t *p, size_t n)
{
    return bw_zip_sniff(p, n);
}

/* ---- tar and compressed streams, through libarchive ---- */

/*
 * libarchive is dlopen()ed on the first such member (lib/util/larchive.c).
 * Without it those members cannot be read and fail closed (archive-malformed).
 */
#define READ_CHUNK ((size_t)1 << 16)

static const char *arc_err(struct archive *a)
{
    const char *m = p_archive_error_string(a);
    return m != NULL ? m : "unreadable";
}

/*
 * Read the current entry into out under the limits. Returns BW_OK,
 * BW_ELIMIT or BW_EFORMAT (after flagging) or BW_ENOMEM.
 */
static bw_status read_entry(bw_mscan *s, struct archive *a, const char *esc, bw_buf *out)
{
    uint64_t left = s->total < s->opts.max_total_size ? s->opts.max_total_size - s->total : 0;
    uint64_t cap = BW_MIN(s->opts.max_member_size, left);
    size_t limit = cap >= SIZE_MAX - 2 ? SIZE_MAX - 2 : (size_t)cap;

    bw_buf_init(out, limit + 1);
    for (;;) {
        la_ssize_t got;
        int64_t in, produced;
        uint64_t ratio_cap;

        /* room for at most limit + 1 bytes: one more than allowed tells "over" from "exactly at" */
        if (bw_buf_grow(out, BW_MIN(READ_CHUNK, out->max - out->len)) != BW_OK) {
            return BW_ENOMEM;
        }
        got = p_archive_read_data(a, out->ptr + out->len, out->cap - out->len - 1);
        if (got < 0) {
            bw_mscan_flag(s, BW_VERDICT_MALFORMED, "archive-malformed", BW_SEV_HIGH, BW_NO_OFFSET, "member '%s': %s",
                          esc, arc_err(a));
            return BW_EFORMAT;
        }
        if (got == 0) {
            break;
        }
        out->len += (size_t)got;
        out->ptr[out->len] = '\0';
        if (out->len > cap) {
            bw_mscan_flag(s, BW_VERDICT_MALFORMED, "archive-limit", BW_SEV_HIGH, BW_NO_OFFSET,
                          "member '%s': decompressed size over the limit of %llu bytes", esc, (unsigned long long)cap);
            return BW_ELIMIT;
        }
        /* ratio of everything decompressed so far to the compressed bytes consumed */
        in = p_archive_filter_bytes(a, -1);
        produced = p_archive_filter_bytes(a, 0);
        if (in >= 0 && produced >= 0) {
            ratio_cap = (uint64_t)in > (UINT64_MAX - BW_ZIP_RATIO_SLACK) / s->opts.max_ratio
                            ? UINT64_MAX
                            : (uint64_t)in * s->opts.max_ratio + BW_ZIP_RATIO_SLACK;
            if ((uint64_t)produced > ratio_cap) {
                bw_mscan_flag(s, BW_VERDICT_MALFORMED, "archive-limit", BW_SEV_HIGH, BW_NO_OFFSET,
                              "member '%s': decompressed size over the limit of the compression ratio %u:1 "
                              "(%lld bytes from %lld)",
                              esc, s->opts.max_ratio, (long long)produced, (long long)in);
                return BW_ELIMIT;
            }
        }
    }
    return BW_OK;
}

static bw_status scan_archive(bw_mscan *s, const void *p, size_t n, bool raw)
{
    struct archive *a;
    struct archive_entry *ent;
    bw_buf data = BW_BUF_INIT(0);
    char name[512], esc[256];
    bw_status rc = BW_OK;
    int r;

    register_rules(s);
    if (!bw_la_load()) {
        bw_mscan_flag(s, BW_VERDICT_MALFORMED, "archive-malformed", BW_SEV_HIGH, BW_NO_OFFSET,
                      "%s cannot be read: libarchive (libarchive.so.13) is not installed",
                      raw ? "compressed stream" : "tar archive");
        return BW_OK;
    }
    a = bw_la_open(p, n, raw ? BW_LA_RAW : BW_LA_TAR);
    if (a == NULL) {
        return BW_ENOMEM;
    }
    for (;;) {
        const char *nm, *link;
        bw_status rr;

        r = p_archive_read_next_header(a, &ent);
        if (r == ARCHIVE_EOF) {
            break;
        }
        if (r < ARCHIVE_WARN) {
            bw_mscan_flag(s, BW_VERDICT_MALFORMED, "archive-malformed", BW_SEV_HIGH, BW_NO_OFFSET, "%s: %s",
                          raw ? "compressed stream" : "tar archive", arc_err(a));
            break;
        }
        nm = p_archive_entry_pathname(ent);
        if (nm == NULL) {
            nm = "";
        }
        member_name(nm, strlen(nm), name, sizeof(name));
        bw_escape_for_log(nm, strlen(nm), esc, sizeof(esc));
        if (!raw && bw_archive_name_escapes(nm, strlen(nm))) {
            bw_mscan_flag(s, BW_VERDICT_UNSAFE, "archive-path-traversal", BW_SEV_HIGH, BW_NO_OFFSET,
                          "tar member '%s' is an absolute path or climbs out with '..'", esc);
        }
        link = p_archive_entry_symlink(ent);
        if (link == NULL) {
            link = p_archive_entry_hardlink(ent);
        }
        if (!raw && link != NULL && bw_archive_name_escapes(link, strlen(link))) {
            char lesc[256];
            bw_escape_for_log(link, strlen(link), lesc, sizeof(lesc));
            bw_mscan_flag(s, BW_VERDICT_UNSAFE, "archive-path-traversal", BW_SEV_HIGH, BW_NO_OFFSET,
                          "tar member '%s' links to '%s', outside the archive", esc, lesc);
        }
        if (p_archive_entry_filetype(ent) != AE_IFREG) {
            continue;
        }
        if (p_archive_entry_size_is_set(ent) && p_archive_entry_size(ent) >= 0 &&
            (uint64_t)p_archive_entry_size(ent) > s->opts.max_member_size) {
            bw_mscan_flag(s, BW_VERDICT_MALFORMED, "archive-limit", BW_SEV_HIGH, BW_NO_OFFSET,
                          "member '%s': declared size %lld is over the limit of %llu bytes", esc,
                          (long long)p_archive_entry_size(ent), (unsigned long long)s->opts.max_member_size);
            continue;
        }
        rr = read_entry(s, a, esc, &data);
        if (rr == BW_ENOMEM) {
            rc = BW_ENOMEM;
            break;
        }
        if (rr != BW_OK) {
            break; /* a bomb or a broken stream: stop reading this archive */
        }
        rc = bw_mscan_member(s, name, data.ptr != NULL ? data.ptr : "", data.len);
        bw_buf_release(&data);
        if (rc != BW_OK) {
            break;
        }
    }
    bw_buf_release(&data);
    p_archive_read_free(a);
    return rc;
}

bw_status bw_scan_tar(bw_mscan *s, const void *p, size_t n)
{
    return scan_archive(s, p, n, false);
}

bw_status bw_scan_compressed(bw_mscan *s, const void *p, size_t n)
{
    return scan_archive(s, p, n, true);
}

/* An octal number in a tar header field (leading spaces, ended by NUL or space). */
static bool tar_octal(const uint8_t *f, size_t n, uint64_t *v)
{
    size_t i = 0;
    bool digits = false;

    *v = 0;
    while (i < n && f[i] == ' ') {
        i++;
    }
    for (; i < n && f[i] >= '0' && f[i] <= '7'; i++) {
        *v = *v * 8 + (uint64_t)(f[i] - '0');
        digits = true;
    }
    return digits && (i == n || f[i] == '\0' || f[i] == ' ');
}

int bw_sniff_tar(const uint8_t *p, size_t n)
{
    uint64_t want, sum_u = 0;
    int64_t sum_s = 0;

    if (p == NULL || n < 512) {
        return 0;
    }
    if (memcmp(p + 257, "ustar", 5) == 0) {
        return 1;
    }
    /* a pre-POSIX header: a name and a checksum that adds up */
    if (p[0] == '\0' || !tar_octal(p + 148, 8, &want)) {
        return 0;
    }
    for (size_t i = 0; i < 512; i++) {
        uint8_t c = i >= 148 && i < 156 ? ' ' : p[i];
        sum_u += c;
        sum_s += (int8_t)c;
    }
    return want == sum_u || (int64_t)want == sum_s;
}

int bw_sniff_compressed(const uint8_t *p, size_t n)
{
    static const uint8_t xz[6] = {0xfd, '7', 'z', 'X', 'Z', 0x00}, zstd[4] = {0x28, 0xb5, 0x2f, 0xfd};

    if (p == NULL) {
        return 0;
    }
    if (n >= 3 && p[0] == 0x1f && p[1] == 0x8b && p[2] == 8) {
        return 1;
    }
    if (n >= 4 && p[0] == 'B' && p[1] == 'Z' && p[2] == 'h' && p[3] >= '1' && p[3] <= '9') {
        return 1;
    }
    if (n >= 6 && memcmp(p, xz, 6) == 0) {
        return 1;
    }
    if (n >= 4 && memcmp(p, zstd, 4) == 0) {
        return 1;
    }
    /*
     * lzma-alone (.lzma, what Python's lzma FORMAT_ALONE and joblib write):
     * no magic, so check the header's shape: properties byte lc/lp/pb in
     * range (0x5d is the default), a dictionary size that is a power of two
     * or 2^n + 2^(n-1), and an uncompressed size that is known or all ones.
     */
    if (n >= 13 && p[0] < 225) {
        uint32_t dict = (uint32_t)p[1] | (uint32_t)p[2] << 8 | (uint32_t)p[3] << 16 | (uint32_t)p[4] << 24;
        bool size_unknown = true, dict_ok = false;
        for (int i = 5; i < 13; i++) {
            size_unknown &= p[i] == 0xff;
        }
        for (int b = 12; b <= 30 && !dict_ok; b++) {
            dict_ok = dict == (1u << b) || dict == ((1u << b) | (1u << (b - 1)));
        }
        if (p[0] == 0x5d && dict_ok && (size_unknown || p[12] == 0)) {
            return 1;
        }
    }
    return 0;
}
