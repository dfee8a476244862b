/*
 * test_parquet_read.c - the Parquet column reader (lib/formats/parquet/
 * reader.c, decode.c, codec.c).
 *
 * 1. Fixtures from DuckDB and hyparquet-writer (tests/data/parquet): every
 *    value of every flat column is compared with <name>.values.json, which
 *    DuckDB wrote by reading the same file (gen/make_fixtures.mjs). Each is
 *    read in one batch and in batches of 7 rows (batches that cross pages and
 *    row groups), through bw_parquet_open and bw_dataset_open; multi-row-group
 *    files are also read as two byte-range slices.
 * 2. The decoders at their edges: bit widths 0..32 and 0..64, RLE and
 *    bit-packed runs, DELTA_BINARY_PACKED miniblocks of width 64, truncated
 *    inputs, and every lie (BW_EFORMAT at the lying byte's offset).
 * 3. Hand-built one-column files (a small Thrift compact writer): PLAIN
 *    INT96, CRCs, dictionary indices out of range, page counts and sizes that
 *    lie, v2 null counts that lie, unknown codecs, mutated pages.
 */
#include <dirent.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "formats/parquet/pq_internal.h"
#include "tap.h"
#include "testutil.h"

#include "bulwark/bw_dataset.h"
#include "bulwark/bw_parquet.h"

static const char *data_dir(void)
{
    static char dir[1024];
    const char *root = getenv("BW_SOURCE_ROOT");
    snprintf(dir, sizeof(dir), "%s/tests/data/parquet", root != NULL ? root : ".");
    return dir;
}

/* ---- 1. fixtures against DuckDB's values -------------------------------------------------------- */

typedef struct got_col {
    bw_column c; /* all rows, appended batch by batch (as strings/values) */
} got_col;

/* Compare one value of a batch column with its JSON sidecar value; returns 1 when equal. */
static int same_value(const bw_column *c, size_t i, json_t *v, const char *jtype, int approx)
{
    if (json_is_null(v)) {
        return !bw_col_valid(c, i);
    }
    if (!bw_col_valid(c, i)) {
        return 0;
    }
    if (strcmp(jtype, "bool") == 0) {
        return c->type == BW_DT_BOOL && c->b[i] == (json_is_true(v) ? 1 : 0);
    }
    if (strcmp(jtype, "int64") == 0 || strcmp(jtype, "timestamp") == 0) {
        return (c->type == BW_DT_INT64 || c->type == BW_DT_TIMESTAMP) && json_is_string(v) &&
               c->i64[i] == strtoll(json_string_value(v), NULL, 10);
    }
    if (strcmp(jtype, "date") == 0) {
        return c->type == BW_DT_DATE && json_is_string(v) && c->days[i] == strtol(json_string_value(v), NULL, 10);
    }
    if (strcmp(jtype, "float64") == 0) {
        double want = json_number_value(v);
        if (c->type != BW_DT_FLOAT64) {
            return 0;
        }
        if (approx) {
            return fabs(c->f64[i] - want) <= 1e-15 * fmax(1.0, fabs(want)) * 4;
        }
        return c->f64[i] == want;
    }
    if (strcmp(jtype, "string") == 0) {
        size_t n;
        const char *s = bw_col_str(c, i, &n);
        return c->type == BW_DT_STRING && json_is_string(v) && n == json_string_length(v) &&
               memcmp(s, json_string_value(v), n) == 0;
    }
    return 0;
}

static const char *dtype_of(const char *jtype)
{
    return strcmp(jtype, "timestamp") == 0 ? "timestamp" : jtype;
}

/* Read a whole file in batches of `rows` (0: default) and compare with the sidecar. */
static void check_values(const char *base, const char *path, json_t *j, size_t rows, int via_dataset)
{
    bw_data_opts o = BW_DATA_OPTS_INIT;
    bw_parquet *r = NULL;
    bw_dataset *d = NULL;
    bw_error err = {0};
    const bw_batch *b;
    json_t *cols = json_object_get(j, "columns");
    size_t ncols = json_array_size(cols), total = 0, bad = 0, batches = 0;
    bw_status rc;

    o.batch_rows = rows;
    rc = via_dataset ? bw_dataset_open(path, BW_FMT_AUTO, &o, &d, &err) : bw_parquet_open(path, &o, &r, &err);
    ok(rc == BW_OK, "%s: opens (batch %zu, %s)", base, rows, via_dataset ? "dataset" : "reader");
    if (rc != BW_OK) {
        tap_diag("%s", err.msg);
        return;
    }
    if (via_dataset) {
        is_int(bw_dataset_format(d), BW_FMT_PARQUET, "%s: the dataset says parquet", base);
    } else {
        json_t *sk = json_object_get(j, "skipped");
        size_t nskip = bw_parquet_skipped(r, 0, NULL, NULL);
        ok((nskip > 0) == (json_array_size(sk) > 0), "%s: %zu columns skipped, DuckDB has %zu nested", base, nskip,
           json_array_size(sk));
        for (size_t i = 0; i < nskip; i++) {
            const char *p, *why;
            bw_parquet_skipped(r, i, &p, &why);
            int found = 0;
            for (size_t k = 0; k < json_array_size(sk); k++) {
                const char *top = json_string_value(json_array_get(sk, k));
                found |= strncmp(p, top, strlen(top)) == 0 && (p[strlen(top)] == '.' || p[strlen(top)] == 0);
            }
            ok(found && why != NULL, "%s: skipped '%s' is under a nested column (%s)", base, p, why);
        }
    }
    for (;;) {
        rc = via_dataset ? bw_dataset_next(d, &b, &err) : bw_parquet_next(r, &b, &err);
        if (rc != BW_OK || b == NULL) {
            break;
        }
        batches++;
        if (b->ncols != ncols || b->row0 != total) {
            bad++;
            tap_diag("%s: batch with %zu columns (want %zu), row0 %llu (want %zu)", base, b->ncols, ncols,
                     (unsigned long long)b->row0, total);
            break;
        }
        for (size_t k = 0; k < ncols; k++) {
            json_t *jc = json_array_get(cols, k);
            const char *jtype = json_string_value(json_object_get(jc, "type"));
            const char *dt = json_string_value(json_object_get(jc, "duckdb_type"));
            json_t *vals = json_object_get(jc, "values");
            const bw_column *c = &b->cols[k];
            int approx = strncmp(dt, "DECIMAL", 7) == 0;

            if (strcmp(b->names[k], json_string_value(json_object_get(jc, "name"))) != 0 ||
                strcmp(bw_dtype_name(c->type), dtype_of(jtype)) != 0) {
                if (bad++ < 5) {
                    tap_diag("%s: column %zu is %s %s, want %s %s", base, k, b->names[k], bw_dtype_name(c->type),
                             json_string_value(json_object_get(jc, "name")), jtype);
                }
                continue;
            }
            for (size_t i = 0; i < b->nrows; i++) {
                if (!same_value(c, i, json_array_get(vals, total + i), jtype, approx)) {
                    if (bad++ < 5) {
                        bw_buf t;
                        bw_buf_init(&t, 1 << 20);
                        if (bw_col_valid(c, i)) {
                            (void)bw_col_format(c, i, &t);
                        }
                        char *want = json_dumps(json_array_get(vals, total + i), JSON_ENCODE_ANY);
                        tap_diag("%s: row %zu column %s: got %s, want %s", base, total + i, b->names[k],
                                 bw_col_valid(c, i) ? (t.ptr ? (char *)t.ptr : "") : "null", want);
                        free(want);
                        bw_buf_release(&t);
                    }
                }
            }
            if (c->nbad != 0) {
                bad++;
            }
        }
        total += b->nrows;
    }
    is_int(rc, BW_OK, "%s: reads to the end (batch %zu)", base, rows);
    if (rc != BW_OK) {
        tap_diag("%s", err.msg);
    }
    is_int(total, (size_t)json_number_value(json_object_get(j, "rows")), "%s: rows (batch %zu)", base, rows);
    is_int(bad, 0, "%s: every value as DuckDB reads it (batch %zu, %zu batches)", base, rows, batches);
    if (!via_dataset) {
        is_int(bw_parquet_read_stats(r)->rows, total, "%s: stats count the rows", base);
    }
    bw_parquet_free(r);
    bw_dataset_free(d);
}

/* Two slices at a row group boundary read every row once, in order. */
static void check_slices(const char *base, const char *path, json_t *j)
{
    bw_parquet *r = NULL;
    bw_error err = {0};
    const bw_parquet_meta *m;
    uint64_t cut, rows = 0, first_ok = 1;

    if (bw_parquet_open(path, NULL, &r, &err) != BW_OK) {
        ok(0, "%s: open for slicing", base);
        return;
    }
    m = bw_parquet_reader_meta(r);
    if (m->n_row_groups < 2) {
        bw_parquet_free(r);
        return;
    }
    cut = m->row_groups[1].chunks[0].start;
    uint64_t size = m->file_size;
    size_t rg0 = (size_t)m->row_groups[0].num_rows;
    bw_parquet_free(r);
    for (int s = 0; s < 2; s++) {
        bw_data_opts o = BW_DATA_OPTS_INIT;
        const bw_batch *b;
        o.range_start = s == 0 ? 0 : cut;
        o.range_end = s == 0 ? cut : size;
        r = NULL;
        if (bw_parquet_open(path, &o, &r, &err) != BW_OK) {
            ok(0, "%s: slice %d opens", base, s);
            continue;
        }
        while (bw_parquet_next(r, &b, &err) == BW_OK && b != NULL) {
            json_t *first = json_object_get(json_array_get(json_object_get(j, "columns"), 0), "values");
            if (b->row0 == 0 && b->ncols > 0 && s == 1) {
                /* the second slice starts at the second row group's first row */
                first_ok = same_value(
                    &b->cols[0], 0, json_array_get(first, rg0),
                    json_string_value(json_object_get(json_array_get(json_object_get(j, "columns"), 0), "type")), 0);
            }
            rows += b->nrows;
        }
        bw_parquet_free(r);
    }
    is_int(rows, (uint64_t)json_number_value(json_object_get(j, "rows")), "%s: two slices read every row once", base);
    ok(first_ok, "%s: the second slice starts at its row group", base);
}

static void test_fixtures(void)
{
    DIR *dir = opendir(data_dir());
    struct dirent *e;
    int n = 0;
    bool kinds[8] = {0};

    if (dir == NULL) {
        ok(0, "cannot open %s", data_dir());
        return;
    }
    while ((e = readdir(dir)) != NULL) {
        size_t ln = strlen(e->d_name);
        char base[256], path[1400], side[1400];
        json_error_t jerr;
        if (ln < 13 || strcmp(e->d_name + ln - 12, ".values.json") != 0 || ln - 12 >= sizeof(base)) {
            continue;
        }
        memcpy(base, e->d_name, ln - 12);
        base[ln - 12] = 0;
        snprintf(path, sizeof(path), "%s/%s.parquet", data_dir(), base);
        snprintf(side, sizeof(side), "%s/%s", data_dir(), e->d_name);
        json_t *j = json_load_file(side, JSON_DECODE_INT_AS_REAL, &jerr);
        if (j == NULL) {
            ok(0, "%s: sidecar loads", base);
            continue;
        }
        check_values(base, path, j, 0, 0);
        check_values(base, path, j, 7, 0);
        check_values(base, path, j, 1000, 1);
        check_slices(base, path, j);
        kinds[0] |= strstr(base, "snappy") != NULL;
        kinds[1] |= strstr(base, "gzip") != NULL;
        kinds[2] |= strstr(base, "zstd") != NULL;
        kinds[3] |= strstr(base, "lz4") != NULL;
        kinds[4] |= strstr(base, "encodings") != NULL;
        kinds[5] |= strstr(base, "rowgroups") != NULL;
        json_decref(j);
        n++;
    }
    closedir(dir);
    ok(n >= 17, "%d fixtures with value sidecars", n);
    ok(kinds[0] && kinds[1] && kinds[2] && kinds[3] && kinds[4] && kinds[5],
       "snappy, gzip, zstd, lz4, every encoding and several row groups are covered");
}

/* ---- 2. decoders ------------------------------------------------------------------------------- */

static pq_in in_of(const uint8_t *p, size_t n, bw_error *err)
{
    pq_in in = {.p = p, .n = n, .origin = 1000, .exact = true, .name = "t", .err = err};
    return in;
}

/* Pack values LSB first, as Parquet does. */
static void pack(const uint64_t *v, size_t n, unsigned w, uint8_t *out)
{
    memset(out, 0, (n * w + 7) / 8 + 8);
    for (size_t i = 0; i < n; i++) {
        for (unsigned b = 0; b < w; b++) {
            if ((v[i] >> b) & 1) {
                size_t bit = i * w + b;
                out[bit >> 3] |= (uint8_t)(1u << (bit & 7));
            }
        }
    }
}

static uint64_t rnd_state = 88172645463325252ull;
static uint64_t rnd(void)
{
    rnd_state ^= rnd_state << 13;
    rnd_state ^= rnd_state >> 7;
    rnd_state ^= rnd_state << 17;
    return rnd_state;
}

static void test_unpack(void)
{
    enum { N = 77 };
    uint64_t v[N], got64[N];
    uint32_t got32[N];
    uint8_t packed[N * 8 + 16];
    int bad32 = 0, bad64 = 0;

    for (unsigned w = 0; w <= 64; w++) {
        uint64_t mask = w == 64 ? UINT64_MAX : (((uint64_t)1 << w) - 1);
        for (size_t i = 0; i < N; i++) {
            v[i] = i == 0 ? mask : rnd() & mask; /* the largest value first */
        }
        pack(v, N, w, packed);
        pq_unpack64(packed, w, N, got64);
        bad64 += memcmp(v, got64, sizeof(v)) != 0;
        if (w <= 32) {
            pq_unpack32(packed, w, N, got32);
            for (size_t i = 0; i < N; i++) {
                bad32 += got32[i] != v[i];
            }
        }
    }
    is_int(bad32, 0, "unpack32: widths 0..32 round-trip");
    is_int(bad64, 0, "unpack64: widths 0..64 round-trip");
}

static void test_hybrid(void)
{
    bw_error err = {0};
    uint32_t out[64];
    uint8_t o8[64];

    /* RLE run of 5 x 3 (width 2), then a bit-packed group of 8 values 0..7 (width 3) is another call */
    {
        const uint8_t rle[] = {5 << 1, 3};
        pq_in in = in_of(rle, sizeof(rle), &err);
        is_int(pq_hybrid32(&in, in.n, 2, 3, out, 5), BW_OK, "RLE run");
        ok(out[0] == 3 && out[4] == 3 && in.pos == 2, "RLE run values and position");
    }
    {
        uint64_t v[8] = {0, 1, 2, 3, 4, 5, 6, 7};
        uint8_t b[16];
        b[0] = (1 << 1) | 1; /* one group of 8, bit-packed */
        pack(v, 8, 3, b + 1);
        pq_in in = in_of(b, 4, &err);
        is_int(pq_hybrid32(&in, in.n, 3, 7, out, 6), BW_OK, "bit-packed run cut to the count");
        ok(out[5] == 5 && in.pos == 4, "bit-packed values; the whole group is consumed");
    }
    {
        /* a long RLE run (300 ones, varint header) in bytes */
        const uint8_t rle[] = {0xd8, 0x04, 1}; /* 600 = 300 << 1 */
        pq_in in = in_of(rle, sizeof(rle), &err);
        uint8_t many[300];
        is_int(pq_hybrid8(&in, in.n, 1, 1, many, 300), BW_OK, "RLE run of 300 levels");
        ok(many[0] == 1 && many[299] == 1, "all set");
    }
    {
        const uint8_t rle[] = {4 << 1, 0};
        pq_in in = in_of(rle, sizeof(rle), &err);
        is_int(pq_hybrid32(&in, in.n, 0, 0, out, 4), BW_OK, "width 0: zero-byte values");
    }
    struct {
        const char *what;
        uint8_t b[8];
        size_t n, count;
        unsigned width;
        uint32_t max;
        uint64_t off;
    } lies[] = {
        {"runs end before the count", {2 << 1, 1}, 2, 3, 1, 1, 1002},
        {"RLE value over the maximum", {2 << 1, 5}, 2, 2, 3, 4, 1001},
        {"RLE value wider than the width", {2 << 1, 9}, 2, 2, 3, 100, 1001},
        {"bit-packed run past the end", {(3 << 1) | 1, 0xff}, 2, 8, 2, 3, 1000},
        {"bit-packed value over the maximum", {(1 << 1) | 1, 0xff, 0xff}, 3, 8, 2, 2, 1000},
        {"truncated run header", {0x80}, 1, 1, 1, 1, 1000},
        {"width over 32", {2}, 1, 1, 33, 1, 1000},
        {"RLE value truncated", {2 << 1, 1}, 2, 2, 16, 9, 1000},
    };
    for (size_t i = 0; i < BW_ARRAY_LEN(lies); i++) {
        bw_error e = {0};
        pq_in in = in_of(lies[i].b, lies[i].n, &e);
        is_int(pq_hybrid32(&in, in.n, lies[i].width, lies[i].max, out, lies[i].count), BW_EFORMAT, "hybrid: %s",
               lies[i].what);
        is_int(e.offset, lies[i].off, "hybrid: %s: offset", lies[i].what);
        like(e.msg, "t: offset ", "hybrid: %s: message", lies[i].what);
    }
    {
        const uint8_t b[] = {2 << 1, 1};
        bw_error e = {0};
        pq_in in = in_of(b, sizeof(b), &e);
        is_int(pq_hybrid8(&in, in.n, 9, 1, o8, 1), BW_EFORMAT, "levels wider than 8 bits refused");
    }
}

/* Write a DELTA_BINARY_PACKED stream of values (block 128, 4 miniblocks of 32) into w. */
static size_t delta_encode(const int64_t *v, size_t n, uint8_t *out)
{
    size_t k = 0;
#define VAR(x)                                                                                                         \
    do {                                                                                                               \
        uint64_t x_ = (x);                                                                                             \
        while (x_ >= 0x80) {                                                                                           \
            out[k++] = (uint8_t)(x_ | 0x80);                                                                           \
            x_ >>= 7;                                                                                                  \
        }                                                                                                              \
        out[k++] = (uint8_t)x_;                                                                                        \
    } while (0)
#define ZZ(x) VAR(((uint64_t)(x) << 1) ^ (uint64_t)((int64_t)(x) >> 63))
    VAR(128);
    VAR(4);
    VAR(n);
    ZZ(n > 0 ? v[0] : 0);
    for (size_t i = 1; i < n; i += 128) {
        uint64_t d[128] = {0};
        size_t m = BW_MIN((size_t)128, n - i);
        int64_t min = INT64_MAX;
        for (size_t j = 0; j < m; j++) {
            int64_t dd = (int64_t)((uint64_t)v[i + j] - (uint64_t)v[i + j - 1]);
            min = dd < min ? dd : min;
        }
        for (size_t j = 0; j < m; j++) {
            d[j] = (uint64_t)v[i + j] - (uint64_t)v[i + j - 1] - (uint64_t)min;
        }
        ZZ(min);
        size_t wpos = k;
        k += 4;
        for (int mb = 0; mb < 4; mb++) {
            uint64_t top = 0;
            for (int j = 0; j < 32; j++) {
                top |= d[mb * 32 + j];
            }
            unsigned w = pq_bit_width(top);
            out[wpos + mb] = (uint8_t)w;
            if ((size_t)mb * 32 < m) {
                pack(d + mb * 32, 32, w, out + k);
                k += 32 * w / 8;
            }
        }
    }
#undef VAR
#undef ZZ
    return k;
}

static void test_delta(void)
{
    static int64_t v[1000];
    static uint64_t got[1000];
    static uint8_t buf[1000 * 9 + 100];
    bw_error err = {0};
    size_t n;

    for (size_t i = 0; i < 1000; i++) {
        v[i] = i % 3 == 0 ? INT64_MIN : i % 3 == 1 ? INT64_MAX : (int64_t)rnd();
    }
    n = delta_encode(v, 1000, buf);
    pq_in in = in_of(buf, n, &err);
    is_int(pq_delta(&in, 64, 1000, got), BW_OK, "delta: miniblocks of width 64 decode");
    ok(memcmp(v, got, sizeof(v)) == 0 && in.pos == n, "delta: int64 extremes round-trip, every byte used");
    {
        pq_in t = in_of(buf, n, &err);
        bw_error e = {0};
        t.err = &e;
        is_int(pq_delta(&t, 32, 1000, got), BW_EFORMAT, "delta: width 64 refused for INT32");
        like(e.msg, "bit width 64 over 32", "delta: says why");
    }
    for (size_t cut = 1; cut < n; cut += 97) {
        bw_error e = {0};
        pq_in t = in_of(buf, cut, &e);
        if (pq_delta(&t, 64, 1000, got) != BW_EFORMAT || e.offset < 1000 || e.offset > 1000 + cut) {
            ok(0, "delta: cut at %zu refused with an offset inside", cut);
        }
    }
    ok(1, "delta: every truncation refused with an offset inside the input");
    {
        bw_error e = {0};
        pq_in t = in_of(buf, n, &e);
        is_int(pq_delta(&t, 64, 999, got), BW_EFORMAT, "delta: a value count other than the page's");
        is_int(e.offset, 1000, "delta: count lie at the header");
    }
    {
        const uint8_t bad_block[] = {100, 4, 1, 0};
        bw_error e = {0};
        pq_in t = in_of(bad_block, sizeof(bad_block), &e);
        is_int(pq_delta(&t, 64, 1, got), BW_EFORMAT, "delta: block size not a multiple of 128");
        const uint8_t bad_mb[] = {0x80, 1, 3, 1, 0};
        pq_in t2 = in_of(bad_mb, sizeof(bad_mb), &e);
        is_int(pq_delta(&t2, 64, 1, got), BW_EFORMAT, "delta: 3 miniblocks in a block of 128");
        const uint8_t one[] = {0x80, 1, 4, 1, 0x0e};
        pq_in t3 = in_of(one, sizeof(one), &e);
        is_int(pq_delta(&t3, 32, 1, got), BW_OK, "delta: a single value needs no block");
        is_int((int64_t)got[0], 7, "delta: the first value");
    }
    /* DELTA_LENGTH_BYTE_ARRAY and DELTA_BYTE_ARRAY */
    {
        int64_t lens[3] = {2, 0, 3};
        uint8_t b[200];
        size_t k = delta_encode(lens, 3, b);
        memcpy(b + k, "abxyz", 5);
        pq_span s[3];
        pq_buf lb = {0}, own = {0};
        bw_error e = {0};
        pq_in t = in_of(b, k + 5, &e);
        is_int(pq_delta_length(&t, 3, &lb, s), BW_OK, "delta length");
        ok(s[0].n == 2 && memcmp(s[0].p, "ab", 2) == 0 && s[1].n == 0 && s[2].n == 3 && memcmp(s[2].p, "xyz", 3) == 0,
           "delta length: values");
        pq_in t2 = in_of(b, k + 4, &e);
        is_int(pq_delta_length(&t2, 3, &lb, s), BW_EFORMAT, "delta length: bytes short");
        int64_t neg[2] = {-1, 0};
        k = delta_encode(neg, 2, b);
        bw_error e2 = {0};
        pq_in t3 = in_of(b, k, &e2);
        is_int(pq_delta_length(&t3, 2, &lb, s), BW_EFORMAT, "delta length: a negative length");
        /* prefixes {0, 3, 9}: the last keeps more than its predecessor has */
        int64_t pre[3] = {0, 3, 2}, suf[3] = {4, 1, 0};
        k = delta_encode(pre, 3, b);
        k += delta_encode(suf, 3, b + k);
        memcpy(b + k, "abcdX", 5);
        bw_error e3 = {0};
        pq_in t4 = in_of(b, k + 5, &e3);
        is_int(pq_delta_bytes(&t4, 3, &lb, &own, s), BW_OK, "delta byte array");
        ok(s[0].n == 4 && memcmp(s[0].p, "abcd", 4) == 0 && s[1].n == 4 && memcmp(s[1].p, "abcX", 4) == 0 &&
               s[2].n == 2 && memcmp(s[2].p, "ab", 2) == 0,
           "delta byte array: prefixes and suffixes");
        pre[1] = 5;
        k = delta_encode(pre, 3, b);
        k += delta_encode(suf, 3, b + k);
        memcpy(b + k, "abcdX", 5);
        bw_error e4 = {0};
        pq_in t5 = in_of(b, k + 5, &e4);
        is_int(pq_delta_bytes(&t5, 3, &lb, &own, s), BW_EFORMAT, "delta byte array: prefix longer than the value");
        pq_buf_release(&lb);
        pq_buf_release(&own);
    }
}

static void test_bss_plain(void)
{
    bw_error err = {0};
    const uint8_t s[] = {1, 2, 3, 10, 20, 30, 0, 0, 0, 0, 0, 0}; /* three int32 in 4 streams */
    uint8_t out[12];
    int32_t v[3];
    pq_in in = in_of(s, sizeof(s), &err);

    is_int(pq_byte_stream_split(&in, 4, 3, out), BW_OK, "byte stream split int32");
    memcpy(v, out, 12);
    ok(v[0] == 1 + 10 * 256 && v[2] == 3 + 30 * 256, "byte stream split: values");
    pq_in in2 = in_of(s, 11, &err);
    is_int(pq_byte_stream_split(&in2, 4, 3, out), BW_EFORMAT, "byte stream split: size not count * width");

    const uint8_t pb[] = {2, 0, 0, 0, 'h', 'i', 9, 0, 0, 0, 'x'};
    pq_span sp[2];
    bw_error e = {0};
    pq_in in3 = in_of(pb, sizeof(pb), &e);
    is_int(pq_plain_bytes(&in3, 2, sp), BW_EFORMAT, "plain byte array: a length past the end");
    is_int(e.offset, 1006, "plain byte array: offset of the lying length");
    pq_in in4 = in_of(pb, 6, &e);
    is_int(pq_plain_bytes(&in4, 1, sp), BW_OK, "plain byte array");
    ok(sp[0].n == 2 && memcmp(sp[0].p, "hi", 2) == 0, "plain byte array: value");
}

/* ---- 3. hand-built files ----------------------------------------------------------------------- */

typedef struct tw {
    uint8_t b[1 << 16];
    size_t n;
    int16_t last[16];
    int depth;
} tw;

static void tw_byte(tw *w, uint8_t v)
{
    if (w->n < sizeof(w->b)) {
        w->b[w->n++] = v;
    }
}
static void tw_raw(tw *w, const void *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        tw_byte(w, ((const uint8_t *)p)[i]);
    }
}
static void tw_varint(tw *w, uint64_t v)
{
    while (v >= 0x80) {
        tw_byte(w, (uint8_t)(v | 0x80));
        v >>= 7;
    }
    tw_byte(w, (uint8_t)v);
}
static void tw_zz(tw *w, int64_t v)
{
    tw_varint(w, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}
static void tw_field(tw *w, int16_t id, uint8_t type)
{
    int delta = id - w->last[w->depth];
    if (delta >= 1 && delta <= 15) {
        tw_byte(w, (uint8_t)(delta << 4 | type));
    } else {
        tw_byte(w, type);
        tw_zz(w, id);
    }
    w->last[w->depth] = id;
}
static void tw_begin(tw *w)
{
    w->depth++;
    w->last[w->depth] = 0;
}
static void tw_end(tw *w)
{
    tw_byte(w, 0);
    w->depth--;
}
static void tw_struct(tw *w, int16_t id)
{
    tw_field(w, id, 12);
    tw_begin(w);
}
static void tw_i32(tw *w, int16_t id, int32_t v)
{
    tw_field(w, id, 5);
    tw_zz(w, v);
}
static void tw_i64(tw *w, int16_t id, int64_t v)
{
    tw_field(w, id, 6);
    tw_zz(w, v);
}
static void tw_str(tw *w, int16_t id, const char *s)
{
    tw_field(w, id, 8);
    tw_varint(w, strlen(s));
    tw_raw(w, s, strlen(s));
}
static void tw_list(tw *w, int16_t id, uint8_t elem, uint32_t n)
{
    tw_field(w, id, 9);
    tw_byte(w, (uint8_t)(n << 4 | elem)); /* n < 15 here */
}

/* One page to put in a hand-built file. */
typedef struct hpage {
    int32_t type; /* 0 data v1, 2 dictionary, 3 data v2 */
    int32_t num_values, encoding, num_nulls, def_length;
    int32_t usize; /* -1: the data's length */
    int crc;       /* 1: a right CRC, 2: a wrong one */
    const uint8_t *data;
    size_t len;
} hpage;

/* A file of one column `c0` (physical type, optional or not, rows) whose one chunk is `pages`. */
static size_t hand_file(int32_t type, int optional, int64_t rows, int32_t codec, const hpage *pages, size_t np,
                        uint8_t *out, size_t *data_at)
{
    static tw w;
    size_t n = 4, start = 4, dict_at = 0, data_page_at = 0;

    memcpy(out, "PAR1", 4);
    for (size_t i = 0; i < np; i++) {
        const hpage *p = &pages[i];
        memset(&w, 0, sizeof(w));
        tw_i32(&w, 1, p->type);
        tw_i32(&w, 2, p->usize >= 0 ? p->usize : (int32_t)p->len);
        tw_i32(&w, 3, (int32_t)p->len);
        if (p->crc) {
            uint32_t crc = (uint32_t)crc32(0, p->data, (uInt)p->len) ^ (p->crc == 2 ? 1u : 0u);
            tw_i32(&w, 4, (int32_t)crc);
        }
        if (p->type == 0) {
            tw_struct(&w, 5);
            tw_i32(&w, 1, p->num_values);
            tw_i32(&w, 2, p->encoding);
            tw_i32(&w, 3, 3);
            tw_i32(&w, 4, 3);
            tw_end(&w);
        } else if (p->type == 2) {
            tw_struct(&w, 7);
            tw_i32(&w, 1, p->num_values);
            tw_i32(&w, 2, p->encoding);
            tw_end(&w);
        } else {
            tw_struct(&w, 8);
            tw_i32(&w, 1, p->num_values);
            tw_i32(&w, 2, p->num_nulls);
            tw_i32(&w, 3, p->num_values);
            tw_i32(&w, 4, p->encoding);
            tw_i32(&w, 5, p->def_length);
            tw_i32(&w, 6, 0);
            tw_end(&w);
        }
        tw_byte(&w, 0);
        if (p->type == 2 && dict_at == 0) {
            dict_at = n;
        } else if (p->type != 2 && data_page_at == 0) {
            data_page_at = n;
            if (data_at != NULL) {
                *data_at = n + w.n;
            }
        }
        memcpy(out + n, w.b, w.n);
        n += w.n;
        memcpy(out + n, p->data, p->len);
        n += p->len;
    }
    size_t chunk_len = n - start;
    memset(&w, 0, sizeof(w));
    tw_i32(&w, 1, 1);
    tw_list(&w, 2, 12, 2);
    tw_begin(&w);
    tw_str(&w, 4, "root");
    tw_i32(&w, 5, 1);
    tw_end(&w);
    tw_begin(&w);
    tw_i32(&w, 1, type);
    if (type == 7) {
        tw_i32(&w, 2, 4);
    }
    tw_i32(&w, 3, optional ? 1 : 0);
    tw_str(&w, 4, "c0");
    tw_end(&w);
    tw_i64(&w, 3, rows);
    tw_list(&w, 4, 12, 1);
    tw_begin(&w);
    tw_list(&w, 1, 12, 1);
    tw_begin(&w);
    tw_i64(&w, 2, 4);
    tw_struct(&w, 3);
    tw_i32(&w, 1, type);
    tw_list(&w, 2, 5, 1);
    tw_zz(&w, 0);
    tw_list(&w, 3, 8, 1);
    tw_varint(&w, 2);
    tw_raw(&w, "c0", 2);
    tw_i32(&w, 4, codec);
    tw_i64(&w, 5, rows);
    tw_i64(&w, 6, (int64_t)chunk_len);
    tw_i64(&w, 7, (int64_t)chunk_len);
    tw_i64(&w, 9, (int64_t)(data_page_at ? data_page_at : start));
    if (dict_at) {
        tw_i64(&w, 11, (int64_t)dict_at);
    }
    tw_end(&w);
    tw_end(&w);
    tw_i64(&w, 2, 0);
    tw_i64(&w, 3, rows);
    tw_end(&w);
    tw_byte(&w, 0);
    memcpy(out + n, w.b, w.n);
    n += w.n;
    out[n++] = (uint8_t)w.n;
    out[n++] = (uint8_t)(w.n >> 8);
    out[n++] = 0;
    out[n++] = 0;
    memcpy(out + n, "PAR1", 4);
    return n + 4;
}

/* Read a hand-built file through a temp file: the status, the first batch's column, and err. */
static bw_status read_hand(const uint8_t *f, size_t n, bw_column *col, bw_error *err)
{
    char *dir = tu_tmpdir();
    char *path = tu_join(dir, "h.parquet");
    bw_parquet *r = NULL;
    const bw_batch *b = NULL;
    bw_status rc;

    tu_write(dir, "h.parquet", f, n);
    rc = bw_parquet_open(path, NULL, &r, err);
    if (rc == BW_OK) {
        rc = bw_parquet_next(r, &b, err);
        if (rc == BW_OK && b != NULL && col != NULL && b->ncols == 1) {
            bw_column *c = &b->cols[0];
            memset(col, 0, sizeof(*col));
            col->type = c->type;
            col->n = c->n;
            if (bw_col_reserve(col, c->n + 1) == BW_OK) {
                memcpy(col->valid, c->valid, (c->n + 7) / 8);
                if (c->i64 != NULL) {
                    memcpy(col->i64, c->i64, c->n * 8);
                }
                if (c->f64 != NULL) {
                    memcpy(col->f64, c->f64, c->n * 8);
                }
            }
        }
        while (rc == BW_OK && b != NULL) {
            rc = bw_parquet_next(r, &b, err);
        }
    }
    bw_parquet_free(r);
    tu_rm_rf(dir);
    free(path);
    free(dir);
    return rc;
}

static void test_hand_built(void)
{
    static uint8_t f[1 << 16];
    size_t n, data_at = 0;
    bw_column col;
    bw_error err;

    /* INT96: 2024-01-01T00:00:01.5 = Julian day 2460311, 1.5 s of nanoseconds */
    {
        uint8_t v[24];
        int64_t nanos = 1500000000;
        int32_t jd = 2460311;
        memcpy(v, &nanos, 8);
        memcpy(v + 8, &jd, 4);
        nanos = 999;
        jd = 2440588; /* 1970-01-01 */
        memcpy(v + 12, &nanos, 8);
        memcpy(v + 20, &jd, 4);
        hpage p = {.type = 0, .num_values = 2, .encoding = 0, .usize = -1, .crc = 1, .data = v, .len = 24};
        n = hand_file(3, 0, 2, 0, &p, 1, f, NULL);
        memset(&err, 0, sizeof(err));
        memset(&col, 0, sizeof(col));
        is_int(read_hand(f, n, &col, &err), BW_OK, "INT96 with a right CRC reads");
        ok(col.type == BW_DT_TIMESTAMP && col.n == 2 && col.i64[0] == 1704067201500000LL && col.i64[1] == 0,
           "INT96 to microseconds (nanoseconds rounded down)");
        bw_col_release(&col);
        p.crc = 2;
        n = hand_file(3, 0, 2, 0, &p, 1, f, &data_at);
        memset(&err, 0, sizeof(err));
        is_int(read_hand(f, n, NULL, &err), BW_EFORMAT, "a wrong page CRC is refused");
        like(err.msg, "CRC mismatch", "CRC: says so");
        is_int(err.offset, data_at, "CRC: offset of the page data");
    }
    /* dictionary page + RLE_DICTIONARY data page with an index out of range */
    {
        const uint8_t dict[] = {10, 0, 0, 0, 20, 0, 0, 0};
        const uint8_t idx_ok[] = {1, 3 << 1, 1};  /* width 1, RLE run of 3 x 1 */
        const uint8_t idx_bad[] = {2, 3 << 1, 2}; /* width 2, value 2: past a dictionary of 2 */
        hpage p[2] = {{.type = 2, .num_values = 2, .encoding = 0, .usize = -1, .data = dict, .len = 8},
                      {.type = 0, .num_values = 3, .encoding = 8, .usize = -1, .data = idx_ok, .len = 3}};
        n = hand_file(1, 0, 3, 0, p, 2, f, NULL);
        memset(&err, 0, sizeof(err));
        memset(&col, 0, sizeof(col));
        is_int(read_hand(f, n, &col, &err), BW_OK, "dictionary page and indices");
        ok(col.n == 3 && col.i64[0] == 20 && col.i64[2] == 20, "dictionary values");
        bw_col_release(&col);
        p[1].data = idx_bad;
        n = hand_file(1, 0, 3, 0, p, 2, f, &data_at);
        memset(&err, 0, sizeof(err));
        is_int(read_hand(f, n, NULL, &err), BW_EFORMAT, "a dictionary index out of range");
        is_int(err.offset, data_at + 2, "index lie: offset of the run's value");
        /* a data page claiming more values than the chunk */
        p[1].data = idx_ok;
        p[1].num_values = 4;
        n = hand_file(1, 0, 3, 0, p, 2, f, NULL);
        memset(&err, 0, sizeof(err));
        is_int(read_hand(f, n, NULL, &err), BW_EFORMAT, "page value count over the chunk's");
        ok(err.offset != BW_NO_OFFSET && err.offset < n, "value count lie: offset inside the file");
        /* two dictionary pages */
        hpage p3[3] = {p[0], p[0], p[1]};
        p3[2].num_values = 3;
        n = hand_file(1, 0, 3, 0, p3, 3, f, NULL);
        memset(&err, 0, sizeof(err));
        is_int(read_hand(f, n, NULL, &err), BW_EFORMAT, "a second dictionary page");
        /* a dictionary-encoded page without a dictionary */
        n = hand_file(1, 0, 3, 0, &p[1], 1, f, NULL);
        memset(&err, 0, sizeof(err));
        is_int(read_hand(f, n, NULL, &err), BW_EFORMAT, "indices without a dictionary");
    }
    /* v2 page with a lying null count, and the rows of a required column */
    {
        const uint8_t data[] = {3 << 1, 1, 7, 0, 0, 0, 8, 0, 0, 0, 9, 0, 0, 0}; /* levels: 3 x present */
        hpage p = {.type = 3,
                   .num_values = 3,
                   .num_nulls = 1,
                   .def_length = 2,
                   .encoding = 0,
                   .usize = -1,
                   .data = data,
                   .len = sizeof(data)};
        n = hand_file(1, 1, 3, 0, &p, 1, f, NULL);
        memset(&err, 0, sizeof(err));
        is_int(read_hand(f, n, NULL, &err), BW_EFORMAT, "DATA_PAGE_V2 null count that lies");
        like(err.msg, "says 1 nulls", "null count lie: message");
        p.num_nulls = 0;
        n = hand_file(1, 1, 3, 0, &p, 1, f, NULL);
        memset(&err, 0, sizeof(err));
        memset(&col, 0, sizeof(col));
        is_int(read_hand(f, n, &col, &err), BW_OK, "DATA_PAGE_V2 optional INT32");
        ok(col.n == 3 && col.i64[0] == 7 && col.i64[2] == 9, "v2 values");
        bw_col_release(&col);
        /* too few rows in the chunk: the file says 4 */
        n = hand_file(1, 1, 4, 0, &p, 1, f, NULL);
        memset(&err, 0, sizeof(err));
        is_int(read_hand(f, n, NULL, &err), BW_EFORMAT, "a chunk with fewer values than its rows");
    }
    /* codecs: an unknown one, LZO, and a size that lies */
    {
        const uint8_t v[] = {1, 0, 0, 0};
        hpage p = {.type = 0, .num_values = 1, .encoding = 0, .usize = -1, .data = v, .len = 4};
        n = hand_file(1, 0, 1, 3, &p, 1, f, NULL);
        memset(&err, 0, sizeof(err));
        is_int(read_hand(f, n, NULL, &err), BW_EUNSUPPORTED, "LZO pages are unsupported");
        like(err.msg, "LZO", "LZO: named");
        n = hand_file(1, 0, 1, 6, &p, 1, f, NULL);
        memset(&err, 0, sizeof(err));
        is_int(read_hand(f, n, NULL, &err), BW_EFORMAT, "a ZSTD page that is not zstd");
        p.usize = 8;
        n = hand_file(1, 0, 1, 0, &p, 1, f, NULL);
        memset(&err, 0, sizeof(err));
        is_int(read_hand(f, n, NULL, &err), BW_EFORMAT, "an uncompressed page whose sizes differ");
        /* the same page as GZIP that inflates to more than the header says */
        uint8_t gz[64];
        uLongf gl = sizeof(gz);
        const uint8_t eight[8] = {1, 0, 0, 0, 2, 0, 0, 0};
        compress(gz, &gl, eight, 8);
        hpage g = {.type = 0, .num_values = 1, .encoding = 0, .usize = 4, .data = gz, .len = gl};
        n = hand_file(1, 0, 1, 2, &g, 1, f, NULL);
        memset(&err, 0, sizeof(err));
        is_int(read_hand(f, n, NULL, &err), BW_EFORMAT, "a GZIP page bigger than its header says");
        g.usize = 8;
        g.num_values = 2;
        n = hand_file(1, 0, 2, 2, &g, 1, f, NULL);
        memset(&err, 0, sizeof(err));
        memset(&col, 0, sizeof(col));
        is_int(read_hand(f, n, &col, &err), BW_OK, "a zlib-wrapped GZIP page");
        ok(col.n == 2 && col.i64[1] == 2, "GZIP values");
        bw_col_release(&col);
    }
    /* a page of BIT_PACKED values (deprecated) is unsupported, a DOUBLE in DELTA_BINARY_PACKED a lie */
    {
        const uint8_t v[8] = {0};
        hpage p = {.type = 0, .num_values = 1, .encoding = 4, .usize = -1, .data = v, .len = 8};
        n = hand_file(5, 0, 1, 0, &p, 1, f, NULL);
        memset(&err, 0, sizeof(err));
        is_int(read_hand(f, n, NULL, &err), BW_EUNSUPPORTED, "BIT_PACKED values unsupported");
        p.encoding = 5;
        n = hand_file(5, 0, 1, 0, &p, 1, f, NULL);
        memset(&err, 0, sizeof(err));
        is_int(read_hand(f, n, NULL, &err), BW_EFORMAT, "DELTA_BINARY_PACKED on DOUBLE");
    }
}

/* Every byte of the data pages of small fixtures flipped: clean errors or values, never a crash. */
static void test_mutations(void)
{
    const char *names[] = {"duckdb-flat-uncompressed", "duckdb-dict", "hyparquet-flat-uncompressed", "duckdb-flat-v2"};
    size_t tried = 0, badoff = 0;

    for (size_t k = 0; k < BW_ARRAY_LEN(names); k++) {
        char path[1400];
        size_t n;
        snprintf(path, sizeof(path), "%s/%s.parquet", data_dir(), names[k]);
        uint8_t *f = (uint8_t *)tu_read(path, &n);
        bw_parquet_meta *m = NULL;
        bw_error err = {0};
        if (f == NULL || bw_parquet_meta_parse(f, n, "m", &m, &err) != BW_OK) {
            ok(0, "%s loads", names[k]);
            free(f);
            continue;
        }
        int fd = memfd_create("pq", MFD_CLOEXEC);
        size_t step = m->meta_offset > 1500 ? 3 : 1;
        for (size_t at = 4; at < m->meta_offset; at += step) {
            static const uint8_t flips[] = {0x01, 0x80, 0xff};
            uint8_t keep = f[at];
            f[at] ^= flips[at % 3];
            if (ftruncate(fd, 0) != 0 || pwrite(fd, f, n, 0) != (ssize_t)n) {
                break;
            }
            bw_parquet *r = NULL;
            bw_error e = {0};
            bw_status rc = bw_parquet_open_fd(fd, "m", NULL, &r, &e);
            const bw_batch *b = NULL;
            while (rc == BW_OK) {
                rc = bw_parquet_next(r, &b, &e);
                if (b == NULL) {
                    break;
                }
            }
            if (rc != BW_OK && rc != BW_EUNSUPPORTED && (e.offset == BW_NO_OFFSET || e.offset >= n)) {
                if (badoff++ < 3) {
                    tap_diag("%s: byte %zu: %s", names[k], at, e.msg);
                }
            }
            bw_parquet_free(r);
            f[at] = keep;
            tried++;
        }
        close(fd);
        bw_parquet_meta_free(m);
        free(f);
    }
    ok(tried > 1000, "%zu page bytes flipped", tried);
    is_int(badoff, 0, "every failure names an offset inside the file");
}

static void test_errors(void)
{
    bw_parquet *r = NULL;
    bw_error err = {0};
    bw_dataset *d = NULL;
    char *dir = tu_tmpdir();

    is_int(bw_parquet_open("-", NULL, &r, &err), BW_EUNSUPPORTED, "standard input is unsupported");
    like(err.msg, "seekable", "standard input: says why");
    memset(&err, 0, sizeof(err));
    is_int(bw_dataset_open("-", BW_FMT_PARQUET, NULL, &d, &err), BW_EUNSUPPORTED, "dataset: parquet on stdin");
    bw_data_format fmt;
    is_int(bw_data_format_parse("parquet", &fmt, NULL), BW_OK, "'parquet' is a format name");
    is_int(fmt, BW_FMT_PARQUET, "parsed");
    is_str(bw_data_format_name(BW_FMT_PARQUET), "parquet", "named");

    /* found by magic under another name */
    {
        char src[1400];
        size_t n = 0;
        snprintf(src, sizeof(src), "%s/duckdb-kv.parquet", data_dir());
        char *f = tu_read(src, &n);
        tu_write(dir, "data.bin", f, n);
        char *p = tu_join(dir, "data.bin");
        const bw_batch *b = NULL;
        memset(&err, 0, sizeof(err));
        is_int(bw_dataset_open(p, BW_FMT_AUTO, NULL, &d, &err), BW_OK, "PAR1 magic opens as parquet");
        is_int(d != NULL ? bw_dataset_format(d) : BW_FMT_AUTO, BW_FMT_PARQUET, "by content");
        ok(d != NULL && bw_dataset_next(d, &b, &err) == BW_OK && b != NULL && b->nrows == 1 && b->cols[1].i64[0] == 2,
           "its row");
        bw_dataset_free(d);
        /* type overrides: int64 -> float64 and -> string allowed, -> date refused */
        const char *names[] = {"two"};
        bw_dtype types[] = {BW_DT_STRING};
        bw_data_opts o = BW_DATA_OPTS_INIT;
        o.type_names = names;
        o.types = types;
        o.ntypes = 1;
        r = NULL;
        is_int(bw_parquet_open(p, &o, &r, &err), BW_OK, "override to string");
        ok(r != NULL && bw_parquet_next(r, &b, &err) == BW_OK && b != NULL && b->cols[1].type == BW_DT_STRING,
           "the column is a string");
        bw_parquet_free(r);
        types[0] = BW_DT_DATE;
        r = NULL;
        memset(&err, 0, sizeof(err));
        is_int(bw_parquet_open(p, &o, &r, &err), BW_EINVAL, "override int64 -> date refused");
        like(err.msg, "cannot be read as date", "override: says why");
        free(p);
        free(f);
    }
    /* snappy without libsnappy: a child process with the test hook */
    {
        pid_t pid = fork();
        if (pid == 0) {
            char src[1400];
            bw_error e = {0};
            const bw_batch *b;
            setenv("BULWARK_TEST_NO_SNAPPY", "1", 1);
            snprintf(src, sizeof(src), "%s/duckdb-flat-snappy.parquet", data_dir());
            if (bw_parquet_open(src, NULL, &r, &e) != BW_OK) {
                _exit(2);
            }
            bw_status rc = bw_parquet_next(r, &b, &e);
            _exit(rc == BW_EUNSUPPORTED && strstr(e.msg, "libsnappy") != NULL ? 0 : 1);
        }
        int st = 0;
        waitpid(pid, &st, 0);
        ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "snappy pages without libsnappy: BW_EUNSUPPORTED naming it");
    }
    tu_rm_rf(dir);
    free(dir);
}

int main(void)
{
    test_fixtures();
    test_unpack();
    test_hybrid();
    test_delta();
    test_bss_plain();
    test_hand_built();
    test_errors();
    test_mutations();
    return done_testing();
}
