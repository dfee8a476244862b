/*
 * test_zip.c - the zip reader (lib/formats/zip.c) and the container scanner
 * (lib/scan/scan_zip.c).
 *
 * Normal archives come from tests/data/zip/ (written by make.py with
 * Python's zipfile, tarfile, gzip, bz2, lzma); hostile ones are those
 * fixtures patched here, or archives written byte by byte by tz_build.
 */
#include <zlib.h>

#include "scan/mscan.h"
#include "tap.h"
#include "testutil.h"
#include "util/internal.h"

/* make.py's PICKLE: a protocol 2 pickle of {'a': 1} */
static const uint8_t PICKLE[] = {0x80, 0x02, '}', 'q',  0x00, 'X',  0x01, 0x00, 0x00,
                                 0x00, 'a',  'q', 0x01, 'K',  0x01, 's',  '.'};
#define PICKLE_LEN sizeof(PICKLE)

/* In scan_zip.c (internal): the path-traversal check for member names. */
bool bw_archive_name_escapes(const char *p, size_t n);

/* ---- fixtures ---- */

static uint8_t *fixture(const char *name, size_t *n)
{
    const char *root = getenv("BW_SOURCE_ROOT");
    char path[4096];
    char *p;
    uint8_t *exact;

    snprintf(path, sizeof(path), "%s/tests/data/zip/%s", root != NULL ? root : ".", name);
    p = tu_read(path, n);
    if (p == NULL) {
        fprintf(stderr, "missing fixture %s\n", path);
        exit(2);
    }
    /* an allocation of exactly n bytes, so ASan sees any read past the end */
    exact = malloc(*n > 0 ? *n : 1);
    memcpy(exact, p, *n);
    free(p);
    return exact;
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)v);
    put16(p + 2, (uint16_t)(v >> 16));
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

typedef struct tz_member {
    const char *name;
    const void *data;
    size_t len;
} tz_member;

/* A zip of stored members written byte by byte; returns its length. */
static size_t tz_build(uint8_t *out, size_t cap, const tz_member *m, size_t n)
{
    size_t pos = 0, cd, offs[64];

    for (size_t i = 0; i < n; i++) {
        size_t nl = strlen(m[i].name);
        uint32_t crc = (uint32_t)crc32(0, m[i].data, (uInt)m[i].len);
        if (pos + 30 + nl + m[i].len > cap || i >= 64) {
            abort();
        }
        offs[i] = pos;
        memset(out + pos, 0, 30);
        put32(out + pos, 0x04034b50);
        put16(out + pos + 4, 20);
        put32(out + pos + 14, crc);
        put32(out + pos + 18, (uint32_t)m[i].len);
        put32(out + pos + 22, (uint32_t)m[i].len);
        put16(out + pos + 26, (uint16_t)nl);
        memcpy(out + pos + 30, m[i].name, nl);
        memcpy(out + pos + 30 + nl, m[i].data, m[i].len);
        pos += 30 + nl + m[i].len;
    }
    cd = pos;
    for (size_t i = 0; i < n; i++) {
        size_t nl = strlen(m[i].name);
        if (pos + 46 + nl > cap) {
            abort();
        }
        memset(out + pos, 0, 46);
        put32(out + pos, 0x02014b50);
        put16(out + pos + 4, 20);
        put16(out + pos + 6, 20);
        put32(out + pos + 16, (uint32_t)crc32(0, m[i].data, (uInt)m[i].len));
        put32(out + pos + 20, (uint32_t)m[i].len);
        put32(out + pos + 24, (uint32_t)m[i].len);
        put16(out + pos + 28, (uint16_t)nl);
        put32(out + pos + 42, (uint32_t)offs[i]);
        memcpy(out + pos + 46, m[i].name, nl);
        pos += 46 + nl;
    }
    if (pos + 22 > cap) {
        abort();
    }
    memset(out + pos, 0, 22);
    put32(out + pos, 0x06054b50);
    put16(out + pos + 8, (uint16_t)n);
    put16(out + pos + 10, (uint16_t)n);
    put32(out + pos + 12, (uint32_t)(pos - cd));
    put32(out + pos + 16, (uint32_t)cd);
    return pos + 22;
}

static size_t count_issues(const bw_zip *z, bw_zip_issue_kind k)
{
    size_t c = 0;
    for (size_t i = 0; i < z->n_issues; i++) {
        c += z->issues[i].kind == k;
    }
    return c;
}

/* Offset of the i-th central directory entry (by walking from the EOCD's claim, no prepended data). */
static size_t cd_entry(const uint8_t *p, size_t n, size_t i)
{
    size_t eocd = n - 22, pos;
    while (get32(p + eocd) != 0x06054b50) {
        eocd--;
    }
    pos = get32(p + eocd + 16);
    for (size_t k = 0; k < i; k++) {
        pos +=
            46 + (p[pos + 28] | p[pos + 29] << 8) + (p[pos + 30] | p[pos + 31] << 8) + (p[pos + 32] | p[pos + 33] << 8);
    }
    return pos;
}

/* ---- the reader ---- */

static void test_basic(void)
{
    size_t n;
    uint8_t *p = fixture("basic.zip", &n);
    bw_zip z;
    bw_zip_data d;
    bw_error err;
    static const char text[] = "hello, zip\n";

    is_int(bw_zip_parse(&z, p, n, NULL, &err), BW_OK, "basic: parses");
    is_int(z.n_entries, 3, "basic: three entries");
    is_int(z.n_issues, 0, "basic: no issues");
    is_int(z.prepended, 0, "basic: nothing prepended");
    is_int(z.zip64, 0, "basic: not zip64");
    ok(z.n_entries == 3 && z.entries[0].name.len == 16 && memcmp(z.entries[0].name.ptr, "archive/data.pkl", 16) == 0,
       "basic: first name from the central directory");
    is_int(z.entries[0].method, 0, "basic: data.pkl stored");
    is_int(z.entries[1].method, 8, "basic: notes.txt deflated");

    is_int(bw_zip_extract(&z, 0, &d, &err), BW_OK, "basic: extract stored");
    ok(d.owned == NULL && d.bytes.ptr >= p && d.bytes.ptr + d.bytes.len <= p + n, "basic: stored is a view");
    ok(d.bytes.len == PICKLE_LEN && memcmp(d.bytes.ptr, PICKLE, PICKLE_LEN) == 0, "basic: stored bytes");
    ok(d.crc_ok && d.size_ok, "basic: stored crc and size");
    bw_zip_data_release(&d);

    is_int(bw_zip_extract(&z, 1, &d, &err), BW_OK, "basic: extract deflated");
    ok(d.owned != NULL && d.bytes.len == 220, "basic: deflated into a buffer of 220 bytes");
    ok(d.bytes.len == 220 && memcmp(d.bytes.ptr, text, 11) == 0 && memcmp(d.bytes.ptr + 209, text, 11) == 0,
       "basic: deflated bytes");
    ok(d.crc_ok && d.size_ok, "basic: deflated crc and size");
    bw_zip_data_release(&d);
    is_int(bw_zip_extract(&z, 3, &d, &err), BW_EINVAL, "basic: no entry 3");
    bw_zip_data_release(&d);
    is_int(bw_zip_sniff(p, n), 1, "basic: sniffs as zip (1)");
    bw_zip_release(&z);
    free(p);
}

static void test_comment_empty(void)
{
    size_t n;
    uint8_t *p = fixture("comment.zip", &n);
    bw_zip z;
    bw_error err;

    is_int(bw_zip_parse(&z, p, n, NULL, &err), BW_OK, "comment: parses");
    ok(z.comment.len == 24 && memcmp(z.comment.ptr, "model exported by a test", 24) == 0, "comment: read");
    is_int(z.n_issues, 0, "comment: no issues");
    bw_zip_release(&z);
    free(p);

    p = fixture("empty.zip", &n);
    is_int(bw_zip_parse(&z, p, n, NULL, &err), BW_OK, "empty: parses");
    is_int(z.n_entries, 0, "empty: no entries");
    bw_zip_release(&z);
    free(p);
}

static void test_zip64(void)
{
    size_t n;
    uint8_t *p = fixture("zip64.zip", &n);
    bw_zip z;
    bw_zip_data d;
    bw_error err;

    is_int(bw_zip_parse(&z, p, n, NULL, &err), BW_OK, "zip64: parses");
    is_int(z.zip64, 1, "zip64: ZIP64 end record used");
    is_int(z.n_entries, 2, "zip64: two entries");
    is_int(z.n_issues, 0, "zip64: no issues");
    ok(z.n_entries == 2 && z.entries[1].zip64 && z.entries[1].local_offset == 73, "zip64: offset from ZIP64 extra");
    is_int(bw_zip_extract(&z, 1, &d, &err), BW_OK, "zip64: extract stored");
    ok(d.bytes.len == PICKLE_LEN && d.crc_ok && d.size_ok, "zip64: stored data");
    bw_zip_data_release(&d);
    is_int(bw_zip_extract(&z, 0, &d, &err), BW_OK, "zip64: extract deflated");
    ok(d.bytes.len == 220 && d.crc_ok, "zip64: deflated data");
    bw_zip_data_release(&d);
    bw_zip_release(&z);
    free(p);
}

static void test_mismatches(void)
{
    size_t n;
    uint8_t *p = fixture("crc.zip", &n);
    bw_zip z;
    bw_zip_data d;
    bw_error err;

    is_int(bw_zip_parse(&z, p, n, NULL, &err), BW_OK, "crc: parses");
    is_int(bw_zip_extract(&z, 0, &d, &err), BW_OK, "crc: still extracts");
    ok(!d.crc_ok && d.size_ok, "crc: mismatch reported");
    bw_zip_data_release(&d);
    bw_zip_release(&z);
    free(p);

    p = fixture("localname.zip", &n);
    is_int(bw_zip_parse(&z, p, n, NULL, &err), BW_OK, "localname: parses (central directory wins)");
    is_int(count_issues(&z, BW_ZIP_LOCAL_NAME_MISMATCH), 1, "localname: one name mismatch");
    ok(z.n_issues > 0 && z.issues[0].entry == 0 && strstr(z.issues[0].msg, "archive/evil.pkl") != NULL,
       "localname: message names both");
    ok(z.entries[0].name.len == 16 && memcmp(z.entries[0].name.ptr, "archive/data.pkl", 16) == 0,
       "localname: central name kept");
    is_int(bw_zip_extract(&z, 0, &d, &err), BW_OK, "localname: still extracts");
    bw_zip_data_release(&d);
    bw_zip_release(&z);
    free(p);

    p = fixture("overlap.zip", &n);
    is_int(bw_zip_parse(&z, p, n, NULL, &err), BW_OK, "overlap: parses");
    /* entry 2 claims entry 0's header and 64 bytes of data from there, which also cover entry 1's header */
    is_int(count_issues(&z, BW_ZIP_OVERLAP), 2, "overlap: both overlaps reported");
    is_int(count_issues(&z, BW_ZIP_LOCAL_NAME_MISMATCH), 1, "overlap: the shared header names another entry");
    bw_zip_release(&z);
    free(p);
}

static void test_bomb(void)
{
    size_t n;
    uint8_t *p = fixture("bomb.zip", &n);
    bw_zip z;
    bw_zip_data d;
    bw_zip_opts o = BW_ZIP_OPTS_INIT;
    bw_error err;

    o.max_ratio = 100;
    is_int(bw_zip_parse(&z, p, n, &o, &err), BW_OK, "bomb: parses");
    bw_error_clear(&err);
    is_int(bw_zip_extract(&z, 0, &d, &err), BW_ELIMIT, "bomb: ratio limit");
    like(err.msg, "decompressed size over the limit of", "bomb: message");
    like(err.msg, "ratio", "bomb: names the ratio");
    ok(d.bytes.ptr == NULL && d.owned == NULL, "bomb: nothing handed out");
    bw_zip_data_release(&d);
    bw_zip_release(&z);

    o.max_ratio = 2000;
    is_int(bw_zip_parse(&z, p, n, &o, &err), BW_OK, "bomb: parses (ratio 2000)");
    is_int(bw_zip_extract(&z, 0, &d, &err), BW_OK, "bomb: within a 2000 ratio");
    ok(d.bytes.len == (1u << 20) && d.crc_ok, "bomb: 1 MiB of zeros");
    bw_zip_data_release(&d);
    bw_error_clear(&err);
    is_int(bw_zip_extract(&z, 0, &d, &err), BW_OK, "bomb: again (total 2 MiB)");
    bw_zip_data_release(&d);
    bw_zip_release(&z);

    o.max_total_size = (3u << 20) / 2;
    is_int(bw_zip_parse(&z, p, n, &o, &err), BW_OK, "bomb: parses (total 1.5 MiB)");
    is_int(bw_zip_extract(&z, 0, &d, &err), BW_OK, "bomb: first read within total");
    bw_zip_data_release(&d);
    is_int(bw_zip_extract(&z, 0, &d, &err), BW_ELIMIT, "bomb: second read over the total");
    like(err.msg, "total", "bomb: names the total limit");
    bw_zip_data_release(&d);
    bw_zip_release(&z);

    o.max_total_size = 0;
    o.max_member_size = 1000;
    is_int(bw_zip_parse(&z, p, n, &o, &err), BW_OK, "bomb: parses (member 1000)");
    is_int(bw_zip_extract(&z, 0, &d, &err), BW_ELIMIT, "bomb: declared size over the member limit");
    like(err.msg, "declared size 1048576", "bomb: message has the declared size");
    bw_zip_data_release(&d);
    bw_zip_release(&z);

    /* lie about the size: the inflater still stops at the member limit */
    put32(p + cd_entry(p, n, 0) + 24, 10);
    is_int(bw_zip_parse(&z, p, n, &o, &err), BW_OK, "bomb: parses (size lie)");
    bw_error_clear(&err);
    is_int(bw_zip_extract(&z, 0, &d, &err), BW_ELIMIT, "bomb: a small claim does not get past the limit");
    like(err.msg, "decompressed size over the limit of 1000 bytes", "bomb: message");
    bw_zip_data_release(&d);
    bw_zip_release(&z);
    free(p);
}

static void test_polyglot(void)
{
    size_t n;
    uint8_t *p = fixture("polyglot.zip", &n);
    bw_zip z;
    bw_zip_data d;
    bw_error err;

    is_int(bw_zip_sniff(p, n), 2, "polyglot: sniffs as zip found from the end (2)");
    is_int(bw_zip_sniff(PICKLE, PICKLE_LEN), 0, "pickle alone is not a zip");
    is_int(bw_zip_parse(&z, p, n, NULL, &err), BW_OK, "polyglot: parses");
    is_int(z.prepended, PICKLE_LEN, "polyglot: zip starts after the pickle");
    is_int(count_issues(&z, BW_ZIP_PREPENDED), 1, "polyglot: reported");
    is_int(z.n_issues, 1, "polyglot: nothing else");
    is_int(bw_zip_extract(&z, 0, &d, &err), BW_OK, "polyglot: members read at shifted offsets");
    ok(d.bytes.len == PICKLE_LEN && memcmp(d.bytes.ptr, PICKLE, PICKLE_LEN) == 0 && d.crc_ok, "polyglot: data");
    bw_zip_data_release(&d);
    bw_zip_release(&z);
    free(p);
}

static void test_hostile(void)
{
    uint8_t buf[4096], *p;
    size_t n, e;
    bw_zip z;
    bw_zip_data d;
    bw_zip_opts o = BW_ZIP_OPTS_INIT;
    bw_error err;
    tz_member dup[] = {{"a.pkl", "AAAA", 4}, {"b.txt", "BB", 2}, {"a.pkl", "CCCC", 4}};
    tz_member many[10];

    n = tz_build(buf, sizeof(buf), dup, 3);
    is_int(bw_zip_parse(&z, buf, n, NULL, &err), BW_OK, "dup: parses");
    is_int(count_issues(&z, BW_ZIP_DUPLICATE_NAME), 1, "dup: duplicate name reported");
    is_int(z.n_issues, 1, "dup: nothing else");
    bw_zip_release(&z);

    for (size_t i = 0; i < 10; i++) {
        many[i] = (tz_member){"m", "x", 1};
    }
    n = tz_build(buf, sizeof(buf), many, 10);
    o.max_entries = 5;
    bw_error_clear(&err);
    is_int(bw_zip_parse(&z, buf, n, &o, &err), BW_ELIMIT, "many: entry limit");
    like(err.msg, "more than 5", "many: message");
    bw_zip_release(&z);

    /* entry count lie */
    n = tz_build(buf, sizeof(buf), dup, 2);
    put16(buf + n - 22 + 10, 1);
    is_int(bw_zip_parse(&z, buf, n, NULL, &err), BW_OK, "count: parses");
    is_int(count_issues(&z, BW_ZIP_COUNT_MISMATCH), 1, "count: reported");
    is_int(z.n_entries, 2, "count: every central entry read");
    bw_zip_release(&z);

    /* a central directory offset that does not fit */
    n = tz_build(buf, sizeof(buf), dup, 2);
    put32(buf + n - 22 + 16, 5000);
    bw_error_clear(&err);
    is_int(bw_zip_parse(&z, buf, n, NULL, &err), BW_EFORMAT, "cd offset: format error");
    like(err.msg, "does not fit", "cd offset: message");
    bw_zip_release(&z);

    /* bad central signature */
    n = tz_build(buf, sizeof(buf), dup, 2);
    e = cd_entry(buf, n, 1);
    buf[e] = 'Q';
    bw_error_clear(&err);
    is_int(bw_zip_parse(&z, buf, n, NULL, &err), BW_EFORMAT, "cd sig: format error");
    is_int(err.offset, e, "cd sig: offset of the bad entry");
    bw_zip_release(&z);

    /* unsupported method, in both headers */
    n = tz_build(buf, sizeof(buf), dup, 2);
    put16(buf + cd_entry(buf, n, 0) + 10, 12);
    put16(buf + 8, 12);
    is_int(bw_zip_parse(&z, buf, n, NULL, &err), BW_OK, "method: parses");
    is_int(count_issues(&z, BW_ZIP_UNSUPPORTED), 1, "method: reported");
    is_int(bw_zip_extract(&z, 0, &d, &err), BW_EUNSUPPORTED, "method: not extracted");
    bw_zip_data_release(&d);
    bw_zip_release(&z);

    /* method differs between the headers: reported, central wins */
    n = tz_build(buf, sizeof(buf), dup, 2);
    put16(buf + 8, 8);
    is_int(bw_zip_parse(&z, buf, n, NULL, &err), BW_OK, "local method: parses");
    is_int(count_issues(&z, BW_ZIP_LOCAL_MISMATCH), 1, "local method: reported");
    is_int(bw_zip_extract(&z, 0, &d, &err), BW_OK, "local method: stored as central says");
    bw_zip_data_release(&d);
    bw_zip_release(&z);

    /* compressed size running into the central directory, then past the end */
    n = tz_build(buf, sizeof(buf), dup, 2);
    e = cd_entry(buf, n, 1);
    put32(buf + e + 20, 60);
    is_int(bw_zip_parse(&z, buf, n, NULL, &err), BW_OK, "past cd: parses");
    ok(count_issues(&z, BW_ZIP_DATA_PAST_CD) == 1, "past cd: reported");
    put32(buf + e + 20, 100000);
    bw_zip_release(&z);
    is_int(bw_zip_parse(&z, buf, n, NULL, &err), BW_OK, "past end: parses");
    ok(count_issues(&z, BW_ZIP_DATA_PAST_CD) == 1 && !z.entries[1].local_ok, "past end: reported, unreadable");
    is_int(bw_zip_extract(&z, 1, &d, &err), BW_EFORMAT, "past end: not extracted");
    bw_zip_data_release(&d);
    bw_zip_release(&z);

    /* local header offset pointing at nothing */
    n = tz_build(buf, sizeof(buf), dup, 2);
    put32(buf + cd_entry(buf, n, 1) + 42, 3);
    is_int(bw_zip_parse(&z, buf, n, NULL, &err), BW_OK, "no local: parses");
    is_int(count_issues(&z, BW_ZIP_LOCAL_BAD), 1, "no local: reported");
    is_int(bw_zip_extract(&z, 1, &d, &err), BW_EFORMAT, "no local: not extracted");
    bw_zip_data_release(&d);
    bw_zip_release(&z);

    /* truncated deflate: claim fewer compressed bytes than the stream needs */
    p = fixture("basic.zip", &n);
    put32(p + cd_entry(p, n, 1) + 20, 3);
    is_int(bw_zip_parse(&z, p, n, NULL, &err), BW_OK, "short deflate: parses");
    bw_error_clear(&err);
    is_int(bw_zip_extract(&z, 1, &d, &err), BW_EFORMAT, "short deflate: format error");
    like(err.msg, "deflate data ends", "short deflate: message");
    bw_zip_data_release(&d);
    bw_zip_release(&z);
    free(p);

    /* no zip at all */
    bw_error_clear(&err);
    is_int(bw_zip_parse(&z, PICKLE, PICKLE_LEN, NULL, &err), BW_EFORMAT, "pickle: not a zip");
    like(err.msg, "no end of central directory", "pickle: message");
    bw_zip_release(&z);
    is_int(bw_zip_parse(&z, NULL, 0, NULL, &err), BW_EFORMAT, "empty input: not a zip");
    bw_zip_release(&z);
}

/* Parse and extract everything; returns the parse status. */
static bw_status exercise(const uint8_t *p, size_t n)
{
    bw_zip z;
    bw_zip_opts o = BW_ZIP_OPTS_INIT;
    bw_status rc;

    o.max_member_size = 1 << 20;
    o.max_total_size = 4 << 20;
    rc = bw_zip_parse(&z, p, n, &o, NULL);
    if (rc == BW_OK) {
        for (size_t i = 0; i < z.n_entries; i++) {
            bw_zip_data d;
            if (bw_zip_extract(&z, i, &d, NULL) == BW_OK && d.bytes.len > 0 &&
                (d.bytes.ptr == NULL || d.bytes.len > (1 << 20))) {
                abort();
            }
            bw_zip_data_release(&d);
        }
    }
    bw_zip_release(&z);
    return rc;
}

static void test_truncations_and_mutations(void)
{
    static const char *const files[] = {"basic.zip", "zip64.zip", "comment.zip", "polyglot.zip", "bomb.zip"};
    uint64_t seed = 0x9e3779b97f4a7c15ull;

    for (size_t f = 0; f < BW_ARRAY_LEN(files); f++) {
        size_t n, fails = 0, runs = 0;
        uint8_t *p = fixture(files[f], &n);
        for (size_t k = 0; k < n; k++) {
            uint8_t *c = malloc(k > 0 ? k : 1);
            memcpy(c, p, k);
            fails += exercise(c, k) != BW_OK;
            free(c);
        }
        ok(fails > 0, "%s: %zu truncations, %zu refused, none crashed", files[f], n, fails);
        for (int it = 0; it < 3000; it++) {
            uint8_t *c = malloc(n);
            memcpy(c, p, n);
            for (int flips = 0; flips < 1 + it % 4; flips++) {
                seed = seed * 6364136223846793005ull + 1442695040888963407ull;
                c[(seed >> 33) % n] = (uint8_t)(seed >> 20);
            }
            (void)exercise(c, n);
            runs++;
            free(c);
        }
        ok(runs == 3000, "%s: 3000 mutations, none crashed", files[f]);
        free(p);
    }
}

static void test_oom(void)
{
    size_t n;
    uint8_t *p = fixture("overlap.zip", &n);
    int saw_nomem = 0, saw_ok = 0;

    for (long k = 0; k < 40; k++) {
        bw_zip z;
        bw_status rc;
        bw_alloc_fail_after(k);
        rc = bw_zip_parse(&z, p, n, NULL, NULL);
        if (rc == BW_OK) {
            for (size_t i = 0; i < z.n_entries; i++) {
                bw_zip_data d;
                bw_status xr = bw_zip_extract(&z, i, &d, NULL);
                if (xr == BW_ENOMEM) {
                    saw_nomem = 1;
                }
                bw_zip_data_release(&d);
            }
            saw_ok = 1;
        } else if (rc == BW_ENOMEM) {
            saw_nomem = 1;
        } else {
            ok(0, "oom: unexpected status %d after %ld allocations", rc, k);
        }
        bw_zip_release(&z);
    }
    bw_alloc_fail_after(-1);
    ok(saw_nomem && saw_ok, "oom: failing allocations give BW_ENOMEM, never a crash or leak");
    free(p);
}

/* ---- sniffers and the container scanner ---- */

static void test_sniffers(void)
{
    size_t n;
    uint8_t *p;
    static const struct {
        const char *name;
        bool escapes;
    } names[] = {
        {"archive/data.pkl", false}, {"a..b/c", false}, {"..x", false},        {"", false},           {"../x", true},
        {"a/../../x", true},         {"a/..", true},    {"/etc/passwd", true}, {"\\server\\x", true}, {"C:x", true},
        {"a\\..\\b", true},          {"..", true},
    };

    for (size_t i = 0; i < BW_ARRAY_LEN(names); i++) {
        is_int(bw_archive_name_escapes(names[i].name, strlen(names[i].name)), names[i].escapes, "name '%s'",
               names[i].name);
    }

    p = fixture("model.tar", &n);
    ok(bw_sniff_tar(p, n), "tar: ustar sniffs");
    memset(p + 257, 0, 8); /* a pre-POSIX header: the checksum still adds up without the magic */
    ok(!bw_sniff_tar(p, n), "tar: changed header fails its checksum");
    free(p);
    p = fixture("model.tar.gz", &n);
    ok(bw_sniff_compressed(p, n) && !bw_sniff_tar(p, n), "tar.gz: sniffs as compressed");
    free(p);
    p = fixture("data.pkl.bz2", &n);
    ok(bw_sniff_compressed(p, n), "bz2: sniffs");
    free(p);
    p = fixture("data.pkl.xz", &n);
    ok(bw_sniff_compressed(p, n), "xz: sniffs");
    free(p);
    ok(!bw_sniff_compressed(PICKLE, PICKLE_LEN) && !bw_sniff_tar(PICKLE, PICKLE_LEN) &&
           !bw_sniff_zip(PICKLE, PICKLE_LEN),
       "pickle: no container sniffs");
}

static int has_rule(const bw_report *r, const char *rule)
{
    for (size_t i = 0; i < bw_report_count(r); i++) {
        if (strcmp(bw_report_get(r, i)->rule_id, rule) == 0) {
            return 1;
        }
    }
    return 0;
}

/* Findings from the container rules (and dump them); the members' own findings are not counted. */
static size_t container_findings(const bw_report *r)
{
    size_t c = 0;
    for (size_t i = 0; i < bw_report_count(r); i++) {
        const bw_finding *f = bw_report_get(r, i);
        if (strncmp(f->rule_id, "zip-", 4) == 0 || strncmp(f->rule_id, "archive-", 8) == 0 ||
            strncmp(f->rule_id, "container-", 10) == 0) {
            tap_diag("%s [%s] %s", f->rule_id, f->loc.member != NULL ? f->loc.member : "", f->message);
            c++;
        }
    }
    return c;
}

static bw_verdict scan(const char *fixture_name, const uint8_t *p, size_t n, const bw_scan_opts *o, bw_report **r)
{
    bw_verdict v = BW_VERDICT_SAFE;
    bw_error err;

    if (bw_report_new(r, "test", NULL) != BW_OK) {
        abort();
    }
    if (bw_scan_model_buffer(*r, fixture_name, p, n, o, &v, &err) != BW_OK) {
        tap_diag("scan %s: %s", fixture_name, err.msg);
    }
    return v;
}

static void test_scanner(void)
{
    static const struct {
        const char *file;
        const char *rule; /* must be present; NULL: no findings */
        bw_verdict at_least;
    } cases[] = {
        {"basic.zip", NULL, BW_VERDICT_SAFE},
        {"zip64.zip", NULL, BW_VERDICT_SAFE},
        {"model.tar", NULL, BW_VERDICT_SAFE},
        {"model.tar.gz", NULL, BW_VERDICT_SAFE},
        {"data.pkl.gz", NULL, BW_VERDICT_SAFE},
        {"data.pkl.bz2", NULL, BW_VERDICT_SAFE},
        {"data.pkl.xz", NULL, BW_VERDICT_SAFE},
        {"crc.zip", "zip-crc-mismatch", BW_VERDICT_REVIEW},
        {"localname.zip", "zip-local-name-mismatch", BW_VERDICT_REVIEW},
        {"overlap.zip", "zip-overlapping-entries", BW_VERDICT_MALFORMED},
        {"bomb.zip", "zip-limit", BW_VERDICT_MALFORMED},
        {"polyglot.zip", "archive-polyglot", BW_VERDICT_UNSAFE},
    };
    for (size_t i = 0; i < BW_ARRAY_LEN(cases); i++) {
        size_t n;
        uint8_t *p = fixture(cases[i].file, &n);
        bw_report *r = NULL;
        bw_verdict v = scan(cases[i].file, p, n, NULL, &r);
        if (cases[i].rule == NULL) {
            /* the members' own verdicts belong to their scanners (pickle): only the container is judged here */
            is_int(container_findings(r), 0, "scan %s: no container findings", cases[i].file);
        } else {
            ok(has_rule(r, cases[i].rule), "scan %s: %s", cases[i].file, cases[i].rule);
            ok(v >= cases[i].at_least, "scan %s: verdict %s", cases[i].file, bw_verdict_name(v));
        }
        bw_report_free(r);
        free(p);
    }

    {
        uint8_t buf[1024];
        tz_member m[] = {{"../../etc/cron.d/x", "x", 1}};
        size_t n = tz_build(buf, sizeof(buf), m, 1);
        bw_report *r = NULL;
        bw_verdict v = scan("trav.zip", buf, n, NULL, &r);
        ok(has_rule(r, "archive-path-traversal") && v == BW_VERDICT_UNSAFE, "scan: path traversal is unsafe");
        bw_report_free(r);
    }
    {
        size_t n;
        uint8_t *p = fixture("model.tar.gz", &n);
        bw_scan_opts o = BW_SCAN_OPTS_INIT;
        bw_report *r = NULL;
        bw_verdict v;
        o.max_member_size = 4096; /* the tar inside is 10 KiB */
        v = scan("model.tar.gz", p, n, &o, &r);
        ok(has_rule(r, "archive-limit") && v >= BW_VERDICT_MALFORMED, "scan: tar.gz over the member limit");
        bw_report_free(r);
        free(p);
    }
}

int main(void)
{
    test_basic();
    test_comment_empty();
    test_zip64();
    test_mismatches();
    test_bomb();
    test_polyglot();
    test_hostile();
    test_truncations_and_mutations();
    test_oom();
    test_sniffers();
    test_scanner();
    return done_testing();
}
