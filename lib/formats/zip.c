/*
 * zip.c - the zip reader (see bw_zip.h and docs/internals/zip.md).
 *
 * Order of work, as Python's zipfile does it:
 *   1. find the end of central directory record (EOCD): the last signature
 *      in the final 64 KiB + 22 bytes that leaves room for the record;
 *   2. if a ZIP64 locator sits right before it, read the ZIP64 EOCD record
 *      right before the locator and take counts, sizes and offsets from it;
 *   3. the central directory ends where the (ZIP64) EOCD record starts, so
 *      prepended = record - cd_size - cd_offset ("concat" in zipfile): every
 *      offset in the archive is shifted by it;
 *   4. read central entries until cd_size bytes are used (zipfile ignores
 *      the EOCD's entry count; miniz trusts it: a disagreement is reported);
 *   5. cross-check each local header and report, never fail, on mismatch;
 *   6. look for entries sharing bytes, data running into the central
 *      directory and duplicate names.
 * Every read goes through bw_rd; every sum of claimed numbers is checked.
 */
#include <zlib.h>

#include "util/internal.h"

#define SIG_LOCAL 0x04034b50u
#define SIG_CENTRAL 0x02014b50u
#define SIG_EOCD 0x06054b50u
#define SIG_EOCD64 0x06064b50u
#define SIG_LOC64 0x07064b50u

#define EOCD_LEN 22
#define EOCD64_LEN 56
#define LOC64_LEN 20
#define CENTRAL_LEN 46
#define LOCAL_LEN 30
#define MAX_COMMENT 65535

#define FLAG_ENCRYPTED 0x0001u
#define FLAG_DESCRIPTOR 0x0008u

#define DEFAULT_MAX_ENTRIES ((size_t)1000000)
#define DEFAULT_MAX_ISSUES ((size_t)1000)

const char *bw_zip_issue_name(bw_zip_issue_kind k)
{
    switch (k) {
    case BW_ZIP_PREPENDED: return "prepended";
    case BW_ZIP_TRAILING: return "trailing";
    case BW_ZIP_COUNT_MISMATCH: return "count-mismatch";
    case BW_ZIP_LOCAL_BAD: return "local-bad";
    case BW_ZIP_LOCAL_NAME_MISMATCH: return "local-name-mismatch";
    case BW_ZIP_LOCAL_MISMATCH: return "local-mismatch";
    case BW_ZIP_OVERLAP: return "overlap";
    case BW_ZIP_DATA_PAST_CD: return "data-past-cd";
    case BW_ZIP_UNSUPPORTED: return "unsupported";
    case BW_ZIP_DUPLICATE_NAME: return "duplicate-name";
    case BW_ZIP_ZIP64_MISMATCH: return "zip64-mismatch";
    }
    return "unknown";
}

static uint16_t le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (unsigned)p[1] << 8);
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
    return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

static bw_status add_issue(bw_zip *z, bw_zip_issue_kind kind, size_t entry, uint64_t offset, const char *fmt, ...)
    BW_PRINTF(5, 6);
static bw_status add_issue(bw_zip *z, bw_zip_issue_kind kind, size_t entry, uint64_t offset, const char *fmt, ...)
{
    bw_zip_issue *is;
    va_list ap;

    if (z->n_issues >= z->opts.max_issues) {
        z->issues_dropped++;
        return BW_OK;
    }
    /* grow in powers of two: n_issues is a power of two exactly when full */
    if ((z->n_issues & (z->n_issues - 1)) == 0) {
        size_t cap = z->n_issues == 0 ? 4 : z->n_issues * 2;
        bw_zip_issue *p = bw_reallocarray(z->issues, cap, sizeof(*p));
        if (p == NULL) {
            return BW_ENOMEM;
        }
        z->issues = p;
    }
    is = &z->issues[z->n_issues++];
    memset(is, 0, sizeof(*is));
    is->kind = kind;
    is->entry = entry;
    is->offset = offset;
    va_start(ap, fmt);
    vsnprintf(is->msg, sizeof(is->msg), fmt, ap);
    va_end(ap);
    return BW_OK;
}

/* An entry's name, escaped, for messages. */
static const char *ename(const bw_zip_entry *e, char *buf, size_t cap)
{
    bw_escape_for_log((const char *)e->name.ptr, e->name.len, buf, cap);
    return buf;
}

/*
 * The last EOCD signature whose 22-byte record fits in the input, searching
 * the final 64 KiB + 22 bytes. Returns 0 when found.
 */
static int find_eocd(const uint8_t *p, size_t n, size_t *at)
{
    size_t lo;

    if (n < EOCD_LEN) {
        return -1;
    }
    lo = n - EOCD_LEN > MAX_COMMENT ? n - EOCD_LEN - MAX_COMMENT : 0;
    /* backwards from the last place a record fits, hopping between 0x06 bytes (the signature's last,
     * rare in text, where 'P' is not) */
    for (size_t end = n - EOCD_LEN + 4; end > lo + 3;) {
        const uint8_t *q = memrchr(p + lo + 3, 0x06, end - (lo + 3));
        if (q == NULL) {
            break;
        }
        if (le32(q - 3) == SIG_EOCD) {
            *at = (size_t)(q - 3 - p);
            return 0;
        }
        end = (size_t)(q - p);
    }
    return -1;
}

int bw_zip_sniff(const void *vp, size_t n)
{
    const uint8_t *p = vp;
    size_t at;
    uint64_t cd_size, cd_off, rec, clen;

    if (p == NULL) {
        return 0;
    }
    if (n >= 4 && (le32(p) == SIG_LOCAL || le32(p) == SIG_EOCD)) {
        return 1;
    }
    /*
     * Something else first: only call it a zip when the EOCD is consistent
     * (its comment reaches the end, the central directory it points at
     * starts with a central signature), so tensor bytes that happen to hold
     * "PK\5\6" are not taken for an archive.
     */
    if (find_eocd(p, n, &at) != 0) {
        return 0;
    }
    clen = le16(p + at + 20);
    if (at + EOCD_LEN + clen != n) {
        return 0;
    }
    cd_size = le32(p + at + 12);
    cd_off = le32(p + at + 16);
    rec = at;
    if (at >= LOC64_LEN + EOCD64_LEN && le32(p + at - LOC64_LEN) == SIG_LOC64) {
        rec = at - LOC64_LEN - EOCD64_LEN;
        if (le32(p + rec) != SIG_EOCD64) {
            return 0;
        }
        cd_size = le64(p + rec + 40);
        cd_off = le64(p + rec + 48);
    }
    if (cd_size > rec || rec - cd_size < cd_off) {
        return 0;
    }
    if (cd_size == 0) {
        return le16(p + at + 10) == 0 ? 2 : 0;
    }
    return cd_size >= CENTRAL_LEN && le32(p + rec - cd_size) == SIG_CENTRAL ? 2 : 0;
}

/* The EOCD (and ZIP64 record): fills prepended, cd_offset, cd_size, claimed_entries, comment. */
static bw_status read_eocd(bw_zip *z, bw_error *err)
{
    bw_rd rd;
    size_t at;
    uint16_t disk, disk_cd, n_disk, n_total, clen;
    uint32_t cd_size32, cd_off32;
    uint64_t cd_size, cd_off, rec;

    bw_rd_init(&rd, z->base, z->len, "zip", err);
    if (find_eocd(z->base, z->len, &at) != 0) {
        return bw_fail_at(err, BW_EFORMAT, 0, "zip: no end of central directory record in the last %u bytes",
                          (unsigned)(MAX_COMMENT + EOCD_LEN));
    }
    z->eocd_offset = at;
    BW_TRY(bw_rd_skip(&rd, at + 4));
    BW_TRY(bw_rd_u16le(&rd, &disk));
    BW_TRY(bw_rd_u16le(&rd, &disk_cd));
    BW_TRY(bw_rd_u16le(&rd, &n_disk));
    BW_TRY(bw_rd_u16le(&rd, &n_total));
    BW_TRY(bw_rd_u32le(&rd, &cd_size32));
    BW_TRY(bw_rd_u32le(&rd, &cd_off32));
    BW_TRY(bw_rd_u16le(&rd, &clen));
    z->comment.ptr = z->base + rd.pos;
    z->comment.len = BW_MIN((size_t)clen, bw_rd_left(&rd));
    if (z->comment.len != bw_rd_left(&rd) || z->comment.len != clen) {
        BW_TRY(add_issue(z, BW_ZIP_TRAILING, SIZE_MAX, at,
                         "end of central directory comment claims %u bytes but %zu follow the record", clen,
                         bw_rd_left(&rd)));
    }
    cd_size = cd_size32;
    cd_off = cd_off32;
    z->claimed_entries = n_total;
    rec = at;

    if (at >= LOC64_LEN && le32(z->base + at - LOC64_LEN) == SIG_LOC64) {
        bw_rd r64;
        uint32_t sig, d64, dcd64, ndisks;
        uint64_t rec_size, n64_disk, n64_total, loc_claim;
        uint16_t made, need;

        bw_rd_init(&r64, z->base, z->len, "zip", err);
        BW_TRY(bw_rd_skip(&r64, at - LOC64_LEN + 4));
        BW_TRY(bw_rd_u32le(&r64, &d64));
        BW_TRY(bw_rd_u64le(&r64, &loc_claim));
        BW_TRY(bw_rd_u32le(&r64, &ndisks));
        if (d64 != 0 || ndisks > 1) {
            return bw_fail_at(err, BW_EFORMAT, at - LOC64_LEN, "zip: archive spans %u disks", ndisks);
        }
        if (at < LOC64_LEN + EOCD64_LEN) {
            return bw_fail_at(err, BW_EFORMAT, at - LOC64_LEN, "zip: ZIP64 locator without a ZIP64 record");
        }
        rec = at - LOC64_LEN - EOCD64_LEN;
        bw_rd_init(&r64, z->base, z->len, "zip", err);
        BW_TRY(bw_rd_skip(&r64, rec));
        BW_TRY(bw_rd_u32le(&r64, &sig));
        if (sig != SIG_EOCD64) {
            return bw_fail_at(err, BW_EFORMAT, rec, "zip: ZIP64 locator without a ZIP64 record before it");
        }
        BW_TRY(bw_rd_u64le(&r64, &rec_size));
        BW_TRY(bw_rd_u16le(&r64, &made));
        BW_TRY(bw_rd_u16le(&r64, &need));
        BW_TRY(bw_rd_u32le(&r64, &d64));
        BW_TRY(bw_rd_u32le(&r64, &dcd64));
        BW_TRY(bw_rd_u64le(&r64, &n64_disk));
        BW_TRY(bw_rd_u64le(&r64, &n64_total));
        BW_TRY(bw_rd_u64le(&r64, &cd_size));
        BW_TRY(bw_rd_u64le(&r64, &cd_off));
        if (d64 != 0 || dcd64 != 0) {
            return bw_fail_at(err, BW_EFORMAT, rec, "zip: ZIP64 record names disk %u", d64);
        }
        z->zip64 = 1;
        z->claimed_entries = n64_total;
        disk = 0;
        disk_cd = 0;
        (void)made, (void)need, (void)rec_size, (void)n64_disk;
        if (cd_size <= rec && rec - cd_size >= cd_off && loc_claim != cd_off + cd_size) {
            BW_TRY(add_issue(z, BW_ZIP_ZIP64_MISMATCH, SIZE_MAX, at - LOC64_LEN,
                             "ZIP64 locator points at offset %llu, the record is at %llu",
                             (unsigned long long)loc_claim, (unsigned long long)rec));
        }
    }
    if (disk != 0 || disk_cd != 0) {
        return bw_fail_at(err, BW_EFORMAT, at, "zip: multi-disk archives are not supported (disk %u)", disk);
    }
    if (cd_size > rec || rec - cd_size < cd_off) {
        return bw_fail_at(err, BW_EFORMAT, at,
                          "zip: central directory (offset %llu, %llu bytes) does not fit before its end record",
                          (unsigned long long)cd_off, (unsigned long long)cd_size);
    }
    z->prepended = rec - cd_size - cd_off;
    z->cd_offset = rec - cd_size;
    z->cd_size = cd_size;
    if (z->prepended != 0) {
        BW_TRY(add_issue(z, BW_ZIP_PREPENDED, SIZE_MAX, z->prepended,
                         "%llu bytes of other data come before the archive, which starts at offset %llu",
                         (unsigned long long)z->prepended, (unsigned long long)z->prepended));
    }
    return BW_OK;
}

/* ZIP64 extended information (0x0001) in a central entry's extra field. */
static bw_status read_zip64_extra(bw_rd *extra, bw_zip_entry *e, uint32_t usize32, uint32_t csize32, uint32_t off32,
                                  uint16_t disk16)
{
    while (bw_rd_left(extra) >= 4) {
        uint16_t id, sz;
        bw_rd field;

        BW_TRY(bw_rd_u16le(extra, &id));
        BW_TRY(bw_rd_u16le(extra, &sz));
        if (sz > bw_rd_left(extra)) {
            /* zipfile stops at a truncated trailing field; so do we */
            return BW_OK;
        }
        BW_TRY(bw_rd_sub(extra, sz, &field));
        if (id != 0x0001) {
            continue;
        }
        if (usize32 == UINT32_MAX) {
            BW_TRY(bw_rd_u64le(&field, &e->usize));
            e->zip64 = 1;
        }
        if (csize32 == UINT32_MAX) {
            BW_TRY(bw_rd_u64le(&field, &e->csize));
            e->zip64 = 1;
        }
        if (off32 == UINT32_MAX) {
            BW_TRY(bw_rd_u64le(&field, &e->local_offset));
            e->zip64 = 1;
        }
        (void)disk16;
        return BW_OK;
    }
    return BW_OK;
}

static bw_status push_entry(bw_zip *z, size_t *cap, bw_zip_entry **slot)
{
    if (z->n_entries == *cap) {
        size_t ncap = *cap == 0 ? 16 : *cap * 2;
        bw_zip_entry *p = bw_reallocarray(z->entries, ncap, sizeof(*p));
        if (p == NULL) {
            return BW_ENOMEM;
        }
        z->entries = p;
        *cap = ncap;
    }
    *slot = &z->entries[z->n_entries++];
    memset(*slot, 0, sizeof(**slot));
    return BW_OK;
}

static bw_status read_central(bw_zip *z, bw_error *err)
{
    bw_rd all, rd;
    size_t cap = 0;

    bw_rd_init(&all, z->base, z->len, "zip", err);
    BW_TRY(bw_rd_skip(&all, (size_t)z->cd_offset));
    BW_TRY(bw_rd_sub(&all, (size_t)z->cd_size, &rd));
    while (!bw_rd_eof(&rd)) {
        bw_zip_entry *e;
        uint32_t sig, crc, csize32, usize32, off32, ext_attr;
        uint16_t made, need, flags, method, mtime, mdate, nlen, xlen, clen, disk, int_attr;
        uint64_t at = bw_rd_offset(&rd);
        bw_bytes name, comment;
        bw_rd extra;

        if (z->n_entries >= z->opts.max_entries) {
            return bw_rd_fail(&rd, BW_ELIMIT, "more than %zu central directory entries", z->opts.max_entries);
        }
        BW_TRY(bw_rd_u32le(&rd, &sig));
        if (sig != SIG_CENTRAL) {
            rd.pos -= 4; /* report the offset of the signature */
            return bw_rd_fail(&rd, BW_EFORMAT, "central directory entry %zu: bad signature 0x%08x", z->n_entries, sig);
        }
        BW_TRY(bw_rd_u16le(&rd, &made));
        BW_TRY(bw_rd_u16le(&rd, &need));
        BW_TRY(bw_rd_u16le(&rd, &flags));
        BW_TRY(bw_rd_u16le(&rd, &method));
        BW_TRY(bw_rd_u16le(&rd, &mtime));
        BW_TRY(bw_rd_u16le(&rd, &mdate));
        BW_TRY(bw_rd_u32le(&rd, &crc));
        BW_TRY(bw_rd_u32le(&rd, &csize32));
        BW_TRY(bw_rd_u32le(&rd, &usize32));
        BW_TRY(bw_rd_u16le(&rd, &nlen));
        BW_TRY(bw_rd_u16le(&rd, &xlen));
        BW_TRY(bw_rd_u16le(&rd, &clen));
        BW_TRY(bw_rd_u16le(&rd, &disk));
        BW_TRY(bw_rd_u16le(&rd, &int_attr));
        BW_TRY(bw_rd_u32le(&rd, &ext_attr));
        BW_TRY(bw_rd_u32le(&rd, &off32));
        BW_TRY(bw_rd_view(&rd, nlen, &name));
        BW_TRY(bw_rd_sub(&rd, xlen, &extra));
        BW_TRY(bw_rd_view(&rd, clen, &comment));
        (void)made, (void)need, (void)mtime, (void)mdate, (void)int_attr, (void)ext_attr, (void)comment;

        BW_TRY(push_entry(z, &cap, &e));
        e->name = name;
        e->method = method;
        e->flags = flags;
        e->crc32 = crc;
        e->csize = csize32;
        e->usize = usize32;
        e->local_offset = off32;
        e->cd_offset = at;
        e->encrypted = (flags & FLAG_ENCRYPTED) != 0;
        e->descriptor = (flags & FLAG_DESCRIPTOR) != 0;
        if (read_zip64_extra(&extra, e, usize32, csize32, off32, disk) != BW_OK) {
            return bw_fail_at(err, BW_EFORMAT, at, "zip: central directory entry %zu: ZIP64 extra field too short",
                              z->n_entries - 1);
        }
        if (e->local_offset > UINT64_MAX - z->prepended) {
            return bw_fail_at(err, BW_EFORMAT, at, "zip: central directory entry %zu: local header offset overflows",
                              z->n_entries - 1);
        }
        e->local_offset += z->prepended;
    }
    if (z->n_entries != z->claimed_entries) {
        BW_TRY(add_issue(z, BW_ZIP_COUNT_MISMATCH, SIZE_MAX, z->eocd_offset,
                         "end of central directory claims %llu entries, the central directory holds %zu",
                         (unsigned long long)z->claimed_entries, z->n_entries));
    }
    return BW_OK;
}

/* The local header of entry i: data_offset, local_ok, and mismatch issues. */
static bw_status check_local(bw_zip *z, size_t i)
{
    bw_zip_entry *e = &z->entries[i];
    char esc[96];
    bw_rd rd;
    uint32_t sig, crc, csize32, usize32;
    uint16_t need, flags, method, mtime, mdate, nlen, xlen;
    uint64_t csize, usize, end;
    bw_bytes name, extra;

    if (e->local_offset > z->len || z->len - e->local_offset < LOCAL_LEN) {
        return add_issue(z, BW_ZIP_LOCAL_BAD, i, e->local_offset,
                         "entry '%s': local header offset %llu is outside the input", ename(e, esc, sizeof(esc)),
                         (unsigned long long)e->local_offset);
    }
    bw_rd_init(&rd, z->base, z->len, NULL, NULL);
    if (bw_rd_skip(&rd, (size_t)e->local_offset) != BW_OK || bw_rd_u32le(&rd, &sig) != BW_OK || sig != SIG_LOCAL) {
        return add_issue(z, BW_ZIP_LOCAL_BAD, i, e->local_offset, "entry '%s': no local file header at offset %llu",
                         ename(e, esc, sizeof(esc)), (unsigned long long)e->local_offset);
    }
    if (bw_rd_u16le(&rd, &need) != BW_OK || bw_rd_u16le(&rd, &flags) != BW_OK || bw_rd_u16le(&rd, &method) != BW_OK ||
        bw_rd_u16le(&rd, &mtime) != BW_OK || bw_rd_u16le(&rd, &mdate) != BW_OK || bw_rd_u32le(&rd, &crc) != BW_OK ||
        bw_rd_u32le(&rd, &csize32) != BW_OK || bw_rd_u32le(&rd, &usize32) != BW_OK ||
        bw_rd_u16le(&rd, &nlen) != BW_OK || bw_rd_u16le(&rd, &xlen) != BW_OK || bw_rd_view(&rd, nlen, &name) != BW_OK ||
        bw_rd_view(&rd, xlen, &extra) != BW_OK) {
        return add_issue(z, BW_ZIP_LOCAL_BAD, i, e->local_offset,
                         "entry '%s': local file header at offset %llu is truncated", ename(e, esc, sizeof(esc)),
                         (unsigned long long)e->local_offset);
    }
    e->data_offset = bw_rd_offset(&rd);
    if (e->csize > z->len - e->data_offset) {
        return add_issue(z, BW_ZIP_DATA_PAST_CD, i, e->data_offset,
                         "entry '%s': %llu bytes of data at offset %llu run past the end of the input",
                         ename(e, esc, sizeof(esc)), (unsigned long long)e->csize, (unsigned long long)e->data_offset);
    }
    e->local_ok = 1;
    end = e->data_offset + e->csize;
    if (end > z->cd_offset) {
        BW_TRY(add_issue(z, BW_ZIP_DATA_PAST_CD, i, e->data_offset,
                         "entry '%s': data at offset %llu runs into the central directory at %llu",
                         ename(e, esc, sizeof(esc)), (unsigned long long)e->data_offset,
                         (unsigned long long)z->cd_offset));
    }
    if (name.len != e->name.len || (name.len > 0 && memcmp(name.ptr, e->name.ptr, name.len) != 0)) {
        char lesc[96];
        bw_escape_for_log((const char *)name.ptr, name.len, lesc, sizeof(lesc));
        BW_TRY(add_issue(z, BW_ZIP_LOCAL_NAME_MISMATCH, i, e->local_offset,
                         "entry '%s': the local header names it '%s'", ename(e, esc, sizeof(esc)), lesc));
    }
    if (method != e->method) {
        BW_TRY(add_issue(z, BW_ZIP_LOCAL_MISMATCH, i, e->local_offset,
                         "entry '%s': method %u in the central directory, %u in the local header",
                         ename(e, esc, sizeof(esc)), e->method, method));
    }
    if (e->descriptor || (flags & FLAG_DESCRIPTOR) != 0) {
        return BW_OK; /* sizes and CRC follow the data: the local fields are zero */
    }
    csize = csize32;
    usize = usize32;
    if (csize32 == UINT32_MAX || usize32 == UINT32_MAX) {
        /* the local ZIP64 extra holds both sizes */
        bw_rd x;
        bw_rd_init(&x, extra.ptr, extra.len, NULL, NULL);
        while (bw_rd_left(&x) >= 4) {
            uint16_t id, sz;
            bw_rd f;
            if (bw_rd_u16le(&x, &id) != BW_OK || bw_rd_u16le(&x, &sz) != BW_OK || bw_rd_sub(&x, sz, &f) != BW_OK) {
                break;
            }
            if (id == 0x0001 && bw_rd_u64le(&f, &usize) == BW_OK) {
                if (bw_rd_u64le(&f, &csize) != BW_OK) {
                    csize = csize32;
                }
                break;
            }
        }
    }
    if (crc != e->crc32 || csize != e->csize || usize != e->usize) {
        BW_TRY(add_issue(z, BW_ZIP_LOCAL_MISMATCH, i, e->local_offset,
                         "entry '%s': local header says crc %08x, %llu/%llu bytes; central directory crc %08x, "
                         "%llu/%llu bytes",
                         ename(e, esc, sizeof(esc)), crc, (unsigned long long)csize, (unsigned long long)usize,
                         e->crc32, (unsigned long long)e->csize, (unsigned long long)e->usize));
    }
    return BW_OK;
}

typedef struct span {
    uint64_t start, end;
    size_t idx;
} span;

static int span_cmp(const void *a, const void *b)
{
    const span *x = a, *y = b;
    if (x->start != y->start) {
        return x->start < y->start ? -1 : 1;
    }
    if (x->end != y->end) {
        return x->end < y->end ? -1 : 1;
    }
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

typedef struct named {
    bw_bytes name;
    size_t idx;
} named;

static int name_cmp(const void *a, const void *b)
{
    const named *x = a, *y = b;
    size_t n = BW_MIN(x->name.len, y->name.len);
    int c = n > 0 ? memcmp(x->name.ptr, y->name.ptr, n) : 0;
    if (c != 0) {
        return c;
    }
    if (x->name.len != y->name.len) {
        return x->name.len < y->name.len ? -1 : 1;
    }
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Entries sharing bytes (local header through end of data), and duplicate names. */
static bw_status check_layout(bw_zip *z)
{
    span *sp = NULL;
    named *idx = NULL;
    size_t ns = 0;
    char e1[96], e2[96];
    bw_status rc = BW_OK;

    if (z->n_entries < 2) {
        return BW_OK;
    }
    sp = bw_reallocarray(NULL, z->n_entries, sizeof(*sp));
    idx = bw_reallocarray(NULL, z->n_entries, sizeof(*idx));
    if (sp == NULL || idx == NULL) {
        rc = BW_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < z->n_entries; i++) {
        const bw_zip_entry *e = &z->entries[i];
        idx[i].name = e->name;
        idx[i].idx = i;
        if (e->local_ok) {
            sp[ns].start = e->local_offset;
            sp[ns].end = e->data_offset + e->csize;
            sp[ns].idx = i;
            ns++;
        }
    }
    qsort(sp, ns, sizeof(*sp), span_cmp);
    for (size_t k = 1, far = 0; k < ns; k++) {
        if (sp[k].start < sp[far].end) {
            const bw_zip_entry *a = &z->entries[sp[far].idx], *b = &z->entries[sp[k].idx];
            rc = add_issue(z, BW_ZIP_OVERLAP, sp[k].idx, sp[k].start,
                           "entries '%s' and '%s' share bytes of the archive (offsets %llu and %llu)",
                           ename(a, e1, sizeof(e1)), ename(b, e2, sizeof(e2)), (unsigned long long)sp[far].start,
                           (unsigned long long)sp[k].start);
            if (rc != BW_OK) {
                goto out;
            }
        }
        if (sp[k].end > sp[far].end) {
            far = k;
        }
    }
    qsort(idx, z->n_entries, sizeof(*idx), name_cmp);
    for (size_t k = 1; k < z->n_entries; k++) {
        const bw_zip_entry *a = &z->entries[idx[k - 1].idx], *b = &z->entries[idx[k].idx];
        if (a->name.len == b->name.len && (a->name.len == 0 || memcmp(a->name.ptr, b->name.ptr, a->name.len) == 0)) {
            rc = add_issue(z, BW_ZIP_DUPLICATE_NAME, idx[k].idx, b->cd_offset,
                           "entry '%s' appears more than once in the central directory", ename(b, e1, sizeof(e1)));
            if (rc != BW_OK) {
                goto out;
            }
        }
    }
out:
    bw_free(sp);
    bw_free(idx);
    return rc;
}

bw_status bw_zip_parse(bw_zip *z, const void *p, size_t n, const bw_zip_opts *opts, bw_error *err)
{
    bw_zip_opts defaults = BW_ZIP_OPTS_INIT;
    bw_status rc;

    if (z == NULL) {
        return bw_fail(err, BW_EINVAL, "bw_zip_parse: no result");
    }
    memset(z, 0, sizeof(*z));
    if (p == NULL && n > 0) {
        return bw_fail(err, BW_EINVAL, "bw_zip_parse: no bytes");
    }
    z->base = p != NULL ? p : (const uint8_t *)"";
    z->len = p != NULL ? n : 0;
    z->opts = opts != NULL ? *opts : defaults;
    if (z->opts.max_entries == 0) {
        z->opts.max_entries = DEFAULT_MAX_ENTRIES;
    }
    if (z->opts.max_issues == 0) {
        z->opts.max_issues = DEFAULT_MAX_ISSUES;
    }
    if (z->opts.max_member_size == 0) {
        z->opts.max_member_size = (uint64_t)4 << 30;
    }
    if (z->opts.max_total_size == 0) {
        z->opts.max_total_size = (uint64_t)16 << 30;
    }
    if (z->opts.max_ratio == 0) {
        z->opts.max_ratio = 200;
    }
    rc = read_eocd(z, err);
    if (rc == BW_OK) {
        rc = read_central(z, err);
    }
    for (size_t i = 0; rc == BW_OK && i < z->n_entries; i++) {
        bw_zip_entry *e = &z->entries[i];
        char esc[96];
        rc = check_local(z, i);
        if (rc == BW_OK && (e->encrypted || (e->method != 0 && e->method != 8))) {
            rc = add_issue(z, BW_ZIP_UNSUPPORTED, i, e->cd_offset, "entry '%s': %s%u", ename(e, esc, sizeof(esc)),
                           e->encrypted ? "encrypted, method " : "unsupported compression method ", e->method);
        }
    }
    if (rc == BW_OK) {
        rc = check_layout(z);
    }
    if (rc == BW_ENOMEM) {
        bw_fail(err, BW_ENOMEM, "zip: out of memory");
    }
    return rc;
}

void bw_zip_release(bw_zip *z)
{
    if (z == NULL) {
        return;
    }
    bw_free(z->entries);
    bw_free(z->issues);
    memset(z, 0, sizeof(*z));
}

void bw_zip_data_release(bw_zip_data *d)
{
    if (d == NULL) {
        return;
    }
    bw_free(d->owned);
    memset(d, 0, sizeof(*d));
}

static uint32_t crc_of(const uint8_t *p, size_t n)
{
    return (uint32_t)crc32_z(crc32_z(0L, Z_NULL, 0), p, n);
}

static voidpf z_alloc(voidpf opaque, uInt items, uInt size)
{
    (void)opaque;
    return bw_reallocarray(NULL, items, size);
}

static void z_free(voidpf opaque, voidpf p)
{
    (void)opaque;
    bw_free(p);
}

/* Inflate raw deflate data into out (owned), at most `cap` bytes; `why` names the limit that set cap. */
static bw_status inflate_capped(const bw_zip_entry *e, const uint8_t *in, uint64_t cap, const char *why, uint8_t **outp,
                                size_t *outn, bw_error *err)
{
    z_stream zs;
    uint8_t *out = NULL;
    size_t len = 0, alloc, limit;
    uint64_t in_left = e->csize;
    char esc[96];
    bw_status rc = BW_OK;
    int zr = Z_OK;

    *outp = NULL;
    *outn = 0;
    /* one byte more than allowed, to tell "exactly at the limit" from "over it" */
    limit = cap >= SIZE_MAX - 1 ? SIZE_MAX - 1 : (size_t)cap + 1;
    alloc = (size_t)BW_MIN((uint64_t)limit, BW_MAX(BW_MIN(e->usize, (uint64_t)1 << 24) + 1, (uint64_t)4096));
    memset(&zs, 0, sizeof(zs));
    zs.zalloc = z_alloc;
    zs.zfree = z_free;
    if (inflateInit2(&zs, -MAX_WBITS) != Z_OK) {
        return bw_fail(err, BW_ENOMEM, "zip: out of memory");
    }
    out = bw_malloc(alloc);
    if (out == NULL) {
        rc = bw_fail(err, BW_ENOMEM, "zip: out of memory");
        goto out;
    }
    zs.next_in = (Bytef *)(uintptr_t)in;
    for (;;) {
        if (zs.avail_in == 0 && in_left > 0) {
            zs.avail_in = (uInt)BW_MIN(in_left, (uint64_t)UINT32_MAX);
            in_left -= zs.avail_in;
        }
        if (len == alloc) {
            size_t nalloc;
            uint8_t *np;
            if (alloc >= limit) {
                rc = bw_fail(err, BW_ELIMIT, "zip: entry '%s': decompressed size over the limit of %llu bytes (%s)",
                             ename(e, esc, sizeof(esc)), (unsigned long long)cap, why);
                goto out;
            }
            nalloc = alloc > limit / 2 ? limit : alloc * 2;
            np = bw_realloc(out, nalloc);
            if (np == NULL) {
                rc = bw_fail(err, BW_ENOMEM, "zip: out of memory");
                goto out;
            }
            out = np;
            alloc = nalloc;
        }
        zs.next_out = out + len;
        zs.avail_out = (uInt)BW_MIN(alloc - len, (size_t)UINT32_MAX);
        zr = inflate(&zs, Z_NO_FLUSH);
        len = (size_t)(zs.next_out - out);
        if (zr == Z_STREAM_END) {
            break;
        }
        if (zr == Z_MEM_ERROR) {
            rc = bw_fail(err, BW_ENOMEM, "zip: out of memory");
            goto out;
        }
        if (zr == Z_NEED_DICT || zr == Z_DATA_ERROR || zr == Z_STREAM_ERROR) {
            rc = bw_fail_at(err, BW_EFORMAT, e->data_offset + zs.total_in, "zip: entry '%s': corrupt deflate data (%s)",
                            ename(e, esc, sizeof(esc)), zs.msg != NULL ? zs.msg : "bad data");
            goto out;
        }
        if (zr == Z_BUF_ERROR && zs.avail_in == 0 && in_left == 0 && zs.avail_out > 0) {
            rc = bw_fail_at(err, BW_EFORMAT, e->data_offset + e->csize,
                            "zip: entry '%s': deflate data ends before the end of its stream",
                            ename(e, esc, sizeof(esc)));
            goto out;
        }
    }
    if (len > cap) {
        rc = bw_fail(err, BW_ELIMIT, "zip: entry '%s': decompressed size over the limit of %llu bytes (%s)",
                     ename(e, esc, sizeof(esc)), (unsigned long long)cap, why);
        goto out;
    }
    *outp = out;
    *outn = len;
    out = NULL;
out:
    inflateEnd(&zs);
    bw_free(out);
    return rc;
}

bw_status bw_zip_extract(bw_zip *z, size_t i, bw_zip_data *out, bw_error *err)
{
    const bw_zip_entry *e;
    char esc[96];
    uint64_t left, cap, ratio_cap;
    const char *why = "member size limit";

    if (out == NULL) {
        return bw_fail(err, BW_EINVAL, "bw_zip_extract: no output");
    }
    memset(out, 0, sizeof(*out));
    if (z == NULL || i >= z->n_entries) {
        return bw_fail(err, BW_EINVAL, "bw_zip_extract: no entry %zu", i);
    }
    e = &z->entries[i];
    if (e->encrypted) {
        return bw_fail(err, BW_EUNSUPPORTED, "zip: entry '%s' is encrypted", ename(e, esc, sizeof(esc)));
    }
    if (e->method != 0 && e->method != 8) {
        return bw_fail(err, BW_EUNSUPPORTED, "zip: entry '%s': unsupported compression method %u",
                       ename(e, esc, sizeof(esc)), e->method);
    }
    if (!e->local_ok) {
        return bw_fail_at(err, BW_EFORMAT, e->local_offset, "zip: entry '%s': no readable local header or data",
                          ename(e, esc, sizeof(esc)));
    }
    left = z->extracted < z->opts.max_total_size ? z->opts.max_total_size - z->extracted : 0;
    cap = z->opts.max_member_size;
    if (left < cap) {
        cap = left;
        why = "total size limit";
    }
    if (e->usize > cap) {
        return bw_fail(err, BW_ELIMIT, "zip: entry '%s': declared size %llu is over the limit of %llu bytes (%s)",
                       ename(e, esc, sizeof(esc)), (unsigned long long)e->usize, (unsigned long long)cap, why);
    }
    if (e->method == 0) {
        if (e->csize > cap) {
            return bw_fail(err, BW_ELIMIT, "zip: entry '%s': size %llu is over the limit of %llu bytes (%s)",
                           ename(e, esc, sizeof(esc)), (unsigned long long)e->csize, (unsigned long long)cap, why);
        }
        out->bytes.ptr = z->base + e->data_offset;
        out->bytes.len = (size_t)e->csize;
    } else {
        uint8_t *buf;
        size_t n;
        if (e->csize > (UINT64_MAX - BW_ZIP_RATIO_SLACK) / z->opts.max_ratio) {
            ratio_cap = UINT64_MAX;
        } else {
            ratio_cap = e->csize * z->opts.max_ratio + BW_ZIP_RATIO_SLACK;
        }
        if (ratio_cap < cap) {
            cap = ratio_cap;
            why = "compression ratio limit";
        }
        BW_TRY(inflate_capped(e, z->base + e->data_offset, cap, why, &buf, &n, err));
        out->owned = buf;
        out->bytes.ptr = buf;
        out->bytes.len = n;
    }
    z->extracted += out->bytes.len;
    out->size_ok = out->bytes.len == e->usize;
    if (e->method == 0 && z->opts.defer_stored_crc) {
        out->crc_ok = 1; /* not known yet: bw_zip_data_check_crc */
        out->crc_checked = 0;
        return BW_OK;
    }
    bw_zip_data_check_crc(z, i, out);
    return BW_OK;
}

void bw_zip_data_check_crc(const bw_zip *z, size_t i, bw_zip_data *d)
{
    d->crc = crc_of(d->bytes.ptr, d->bytes.len);
    d->crc_ok = d->crc == z->entries[i].crc32;
    d->crc_checked = 1;
}
