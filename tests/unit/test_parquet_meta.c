/*
 * test_parquet_meta.c - the Parquet metadata layer (lib/formats/parquet).
 *
 * 1. Fixtures written by independent writers (DuckDB and hyparquet-writer,
 *    tests/data/parquet/gen/make_fixtures.mjs) are parsed from memory and
 *    through bw_parquet_meta_read_fd, and compared field by field with the
 *    JSON sidecar two independent readers (DuckDB's parquet_metadata() and
 *    hyparquet) produced: schema elements and logical types, leaf paths and
 *    levels, row groups, chunk offsets, sizes, codecs, encodings and
 *    statistics. Every page of every chunk is then walked with the page
 *    header parser, and the pages must add up to the chunk.
 * 2. Every byte of every fixture's footer is flipped, and the footer is
 *    truncated at every length: the parser must fail cleanly or succeed,
 *    never crash (the ASan build checks the "never").
 * 3. Hand-built footers (a small Thrift compact writer below) check the
 *    skipping of unknown fields of every type, and each lie the parser must
 *    refuse with its message, the file name and an offset inside the file.
 * 4. Page headers, file descriptors and allocation failures.
 */
#include <dirent.h>
#include <jansson.h>

#include "tap.h"
#include "testutil.h"
#include "util/internal.h"

#include "bulwark/bw_parquet.h"

/* ---- a Thrift compact protocol writer, for hostile footers ---------------- */

typedef struct tw {
    uint8_t b[1 << 23];
    size_t n;
    int16_t last[64];
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

/* a struct body: as a list element, or after tw_field(id, 12) */
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

static void tw_bool(tw *w, int16_t id, int v)
{
    tw_field(w, id, v ? 1 : 2);
}

static void tw_str(tw *w, int16_t id, const char *s)
{
    tw_field(w, id, 8);
    tw_varint(w, strlen(s));
    tw_raw(w, s, strlen(s));
}

static void tw_list_hdr(tw *w, uint8_t elem, uint32_t n)
{
    if (n < 15) {
        tw_byte(w, (uint8_t)(n << 4 | elem));
    } else {
        tw_byte(w, (uint8_t)(0xf0 | elem));
        tw_varint(w, n);
    }
}

static void tw_list(tw *w, int16_t id, uint8_t elem, uint32_t n)
{
    tw_field(w, id, 9);
    tw_list_hdr(w, elem, n);
}

static void tw_elem_str(tw *w, const char *s)
{
    tw_varint(w, strlen(s));
    tw_raw(w, s, strlen(s));
}

/* ---- a hand-built file, and the lies it can tell ---------------------------- */

enum lie {
    L_NONE,
    L_META_LEN,        /* metadata length past the file */
    L_SCHEMA_COUNT,    /* a schema list of 1e9 elements */
    L_CHUNK_PAST,      /* a chunk running into the footer */
    L_DPO_NEGATIVE,    /* a negative data page offset */
    L_RG_COLUMNS,      /* a row group with one column too few */
    L_DEPTH,           /* unknown structs nested 40 deep */
    L_STRING_PAST,     /* created_by longer than the footer */
    L_ROWS_SUM,        /* row groups do not add up to num_rows */
    L_NEG_ROWS,        /* num_rows negative */
    L_TOO_MANY_KIDS,   /* the root claims more children than there are */
    L_OUTSIDE_TREE,    /* a schema element past the tree */
    L_DUP_FIELD,       /* FileMetaData.version twice */
    L_PATH,            /* path_in_schema names another column */
    L_TYPE,            /* chunk type differs from the leaf's */
    L_FLBA_LEN,        /* FIXED_LEN_BYTE_ARRAY of length 0 */
    L_TRAILING,        /* bytes after the FileMetaData */
    L_UNION2,          /* a LogicalType with two members */
    L_NULLS,           /* null_count > num_values */
    L_FLAT_VALUES,     /* a flat column with fewer values than rows */
    L_WRONG_TYPE,      /* num_rows sent as a string: skipped, then missing */
    L_VARINT32,        /* an i32 varint over 32 bits */
    L_NO_REPETITION,   /* a leaf without repetition_type */
    L_BAD_FIELD_TYPE,  /* a field header of type 14 */
    L_MAP_COUNT,       /* an unknown map claiming 1e6 entries */
    L_SCHEMA_DEEP,     /* schema groups nested 70 deep */
    L_OFFSET_INDEX,    /* an offset index past the data */
    L_MISSING_META,    /* a chunk without meta_data */
    L_BAD_MAGIC,       /* no PAR1 at the start */
    L_PARE,            /* an encrypted footer */
    L_ENCRYPTED_CHUNK, /* valid: a chunk with crypto_metadata only */
    L_EXTERNAL,        /* valid: a chunk whose data is in another file */
    L_INT_MISMATCH,    /* valid, unsupported leaf: INTEGER(64) on INT32 */
    L_MAX
};

/* Data region: 4 + 120 bytes; chunks of 20 bytes each, row group r column c at 4 + 60r + 20c. */
#define HB_DATA 120

static void hb_schema(tw *w, enum lie lie)
{
    int deep = lie == L_SCHEMA_DEEP ? 70 : 0;
    uint32_t n = 5 + (lie == L_OUTSIDE_TREE) + (uint32_t)deep + (deep > 0);

    if (lie == L_SCHEMA_COUNT) {
        tw_list(w, 2, 12, 1000000000u);
    } else {
        tw_list(w, 2, 12, n);
    }
    /* root */
    tw_begin(w);
    tw_str(w, 4, "schema");
    tw_i32(w, 5, lie == L_TOO_MANY_KIDS ? 4 : 3 + (deep > 0));
    tw_end(w);
    /* a: INT64 REQUIRED, with an unknown field and a field id */
    tw_begin(w);
    tw_i32(w, 1, 2);
    tw_i32(w, 3, 0);
    tw_str(w, 4, "a");
    tw_i32(w, 9, 7);
    tw_list(w, 30, 8, 1);
    tw_elem_str(w, "ignored");
    tw_end(w);
    /* b: BYTE_ARRAY OPTIONAL UTF8 STRING */
    tw_begin(w);
    tw_i32(w, 1, 6);
    tw_i32(w, 3, 1);
    tw_str(w, 4, "b");
    tw_i32(w, 6, 0);
    tw_struct(w, 10);
    tw_struct(w, 1);
    tw_end(w);
    if (lie == L_UNION2) {
        tw_struct(w, 12);
        tw_end(w);
    }
    tw_end(w);
    tw_end(w);
    /* s: OPTIONAL group of one */
    tw_begin(w);
    tw_i32(w, 3, 1);
    tw_str(w, 4, "s");
    tw_i32(w, 5, 1);
    tw_end(w);
    /* s.c: INT32 OPTIONAL INTEGER(16, signed), or a FLBA / no repetition */
    tw_begin(w);
    if (lie == L_FLBA_LEN) {
        tw_i32(w, 1, 7);
        tw_i32(w, 2, 0);
    } else {
        tw_i32(w, 1, 1);
    }
    if (lie != L_NO_REPETITION) {
        tw_i32(w, 3, 1);
    }
    tw_str(w, 4, "c");
    tw_struct(w, 10);
    tw_struct(w, 10);
    tw_field(w, 1, 3);
    tw_byte(w, lie == L_INT_MISMATCH ? 64 : 16);
    tw_bool(w, 2, 1);
    tw_end(w);
    tw_end(w);
    tw_end(w);
    if (lie == L_OUTSIDE_TREE) {
        tw_begin(w);
        tw_i32(w, 1, 1);
        tw_i32(w, 3, 0);
        tw_str(w, 4, "stray");
        tw_end(w);
    }
    /* a chain of groups, 70 deep, ending in a leaf */
    for (int d = 0; d < deep; d++) {
        tw_begin(w);
        tw_i32(w, 3, 1);
        tw_str(w, 4, "g");
        tw_i32(w, 5, 1);
        tw_end(w);
    }
    if (deep > 0) {
        tw_begin(w);
        tw_i32(w, 1, 1);
        tw_i32(w, 3, 1);
        tw_str(w, 4, "leaf");
        tw_end(w);
    }
}

static void hb_chunk(tw *w, enum lie lie, int rg, int col, int64_t rows)
{
    static const char *const paths[3][2] = {{"a", NULL}, {"b", NULL}, {"s", "c"}};
    static const int types[3] = {2, 6, 1};
    int64_t start = 4 + 60 * rg + 20 * col;

    tw_begin(w);
    if (lie == L_EXTERNAL && rg == 0 && col == 0) {
        tw_str(w, 1, "other.parquet");
    }
    tw_i64(w, 2, 0);
    if (lie == L_ENCRYPTED_CHUNK && rg == 1 && col == 2) {
        tw_struct(w, 8);
        tw_struct(w, 1);
        tw_end(w);
        tw_end(w);
        tw_end(w);
        return;
    }
    if (lie == L_MISSING_META && rg == 1 && col == 1) {
        tw_end(w);
        return;
    }
    tw_struct(w, 3);
    tw_i32(w, 1, lie == L_TYPE && col == 1 ? 2 : types[col]);
    tw_list(w, 2, 5, col == 1 ? 2 : 1);
    tw_zz(w, 0);
    if (col == 1) {
        tw_zz(w, 8);
    }
    tw_list(w, 3, 8, paths[col][1] ? 2 : 1);
    tw_elem_str(w, lie == L_PATH && col == 2 ? "t" : paths[col][0]);
    if (paths[col][1]) {
        tw_elem_str(w, paths[col][1]);
    }
    tw_i32(w, 4, col);
    tw_i64(w, 5, lie == L_FLAT_VALUES && col == 0 ? rows - 1 : rows);
    tw_i64(w, 6, 30);
    tw_i64(w, 7, lie == L_CHUNK_PAST && rg == 1 && col == 2 ? 21 : 20);
    tw_i64(w, 9, lie == L_DPO_NEGATIVE ? -5 : (col == 1 ? start + 6 : start));
    if (col == 1) {
        tw_i64(w, 11, start);
    }
    tw_struct(w, 12);
    tw_field(w, 1, 8); /* max */
    tw_varint(w, 8);
    tw_raw(w, "\x09\0\0\0\0\0\0\0", 8);
    tw_field(w, 2, 8); /* min */
    tw_varint(w, 8);
    tw_raw(w, "\x01\0\0\0\0\0\0\0", 8);
    tw_i64(w, 3, lie == L_NULLS ? rows + 1 : 0);
    tw_bool(w, 7, 1);
    tw_end(w);
    tw_end(w);
    if (lie == L_OFFSET_INDEX && col == 0) {
        tw_i64(w, 4, 4 + HB_DATA - 3);
        tw_i32(w, 5, 10);
    }
    tw_end(w);
}

static void hb_row_groups(tw *w, enum lie lie)
{
    static const int64_t rows[2] = {3, 4};

    tw_list(w, 4, 12, 2);
    for (int r = 0; r < 2; r++) {
        int cols = lie == L_RG_COLUMNS && r == 1 ? 2 : 3;
        tw_begin(w);
        tw_list(w, 1, 12, (uint32_t)cols);
        for (int c = 0; c < cols; c++) {
            hb_chunk(w, lie, r, c, rows[r]);
        }
        tw_i64(w, 2, 90);
        tw_i64(w, 3, rows[r]);
        tw_i32(w, 7, r); /* ordinal, an i16 sent as i32: skipped */
        tw_end(w);
    }
}

/* Unknown FileMetaData fields of every type, long-form ids included. */
static void hb_unknown(tw *w)
{
    tw_bool(w, 20, 1);
    tw_field(w, 21, 3);
    tw_byte(w, 0x80);
    tw_field(w, 22, 4);
    tw_zz(w, -300);
    tw_i32(w, 40, -70000); /* delta 18: long form */
    tw_i64(w, 41, (int64_t)1 << 40);
    tw_field(w, 42, 7);
    tw_raw(w, "\0\0\0\0\0\0\xf0\x3f", 8);
    tw_str(w, 43, "unknown string");
    tw_list(w, 44, 2, 3); /* bools: 1, 2 and 0 */
    tw_raw(w, "\x01\x02\x00", 3);
    tw_list(w, 45, 9, 2); /* a list of lists of i64 */
    tw_list_hdr(w, 6, 1);
    tw_zz(w, 5);
    tw_list_hdr(w, 6, 0);
    tw_field(w, 46, 10); /* a set of 20 i32, long-form size */
    tw_list_hdr(w, 5, 20);
    for (int i = 0; i < 20; i++) {
        tw_zz(w, i);
    }
    tw_field(w, 47, 11); /* a map string -> struct */
    tw_varint(w, 2);
    tw_byte(w, 8 << 4 | 12);
    for (int i = 0; i < 2; i++) {
        tw_elem_str(w, i ? "k2" : "k1");
        tw_begin(w);
        tw_i32(w, 1, i);
        tw_end(w);
    }
    tw_field(w, 48, 11); /* an empty map */
    tw_varint(w, 0);
    tw_field(w, 49, 13); /* a uuid */
    tw_raw(w, "0123456789abcdef", 16);
    tw_field(w, -3, 5); /* a negative id */
    tw_zz(w, 1);
}

/* The whole file: PAR1, HB_DATA bytes of data, the footer, its length, PAR1. */
static size_t hb_file(enum lie lie, uint8_t *out, size_t cap)
{
    static tw w;
    size_t n = 0, len;

    memset(&w, 0, sizeof(w));
    if (lie == L_DUP_FIELD) {
        tw_i32(&w, 1, 1);
        tw_field(&w, 1, 5);
        tw_zz(&w, 2);
    } else {
        tw_i32(&w, 1, 2);
    }
    hb_schema(&w, lie);
    if (lie == L_WRONG_TYPE) {
        tw_str(&w, 3, "7");
    } else if (lie == L_VARINT32) {
        tw_field(&w, 3, 6);
        tw_zz(&w, 7);
    } else {
        tw_i64(&w, 3, lie == L_ROWS_SUM ? 8 : lie == L_NEG_ROWS ? -1 : 7);
    }
    hb_row_groups(&w, lie);
    tw_list(&w, 5, 12, 16);
    for (int i = 0; i < 16; i++) {
        char k[16];
        snprintf(k, sizeof(k), "key%d", i);
        tw_begin(&w);
        tw_str(&w, 1, k);
        if (i % 2 == 0) {
            tw_str(&w, 2, "value");
        }
        tw_end(&w);
    }
    if (lie == L_STRING_PAST) {
        tw_field(&w, 6, 8);
        tw_varint(&w, 5000);
        tw_raw(&w, "short", 5);
    } else {
        tw_str(&w, 6, "bulwark test writer");
    }
    if (lie == L_VARINT32) {
        tw_field(&w, 50, 5);
        tw_varint(&w, (uint64_t)1 << 33);
    }
    if (lie == L_BAD_FIELD_TYPE) {
        tw_field(&w, 51, 14);
    }
    if (lie == L_MAP_COUNT) {
        tw_field(&w, 52, 11);
        tw_varint(&w, 1000000);
        tw_byte(&w, 5 << 4 | 5);
    }
    if (lie == L_DEPTH) {
        tw_struct(&w, 53);
        for (int d = 0; d < 40; d++) {
            tw_struct(&w, 1);
        }
        for (int d = 0; d < 41; d++) {
            tw_end(&w);
        }
    }
    hb_unknown(&w);
    tw_end(&w);
    if (lie == L_TRAILING) {
        tw_raw(&w, "xyz", 3);
    }
    len = w.n;
    if (n + 4 + HB_DATA + len + 8 > cap) {
        return 0;
    }
    memcpy(out, lie == L_BAD_MAGIC ? "PAR0" : "PAR1", 4);
    memset(out + 4, 0xab, HB_DATA);
    n = 4 + HB_DATA;
    memcpy(out + n, w.b, len);
    n += len;
    if (lie == L_META_LEN) {
        len = n + 100;
    }
    out[n++] = (uint8_t)len;
    out[n++] = (uint8_t)(len >> 8);
    out[n++] = (uint8_t)(len >> 16);
    out[n++] = (uint8_t)(len >> 24);
    memcpy(out + n, lie == L_PARE ? "PARE" : "PAR1", 4);
    return n + 4;
}

static void test_handbuilt_valid(void)
{
    static uint8_t f[1 << 16];
    size_t n = hb_file(L_NONE, f, sizeof(f));
    bw_parquet_meta *m = NULL;
    bw_error err;
    bw_status rc;

    bw_error_clear(&err);
    rc = bw_parquet_meta_parse(f, n, "t.parquet", &m, &err);
    is_int(rc, BW_OK, "hand-built file parses");
    if (rc != BW_OK) {
        tap_diag("%s", err.msg);
        return;
    }
    is_int(m->version, 2, "version");
    is_int(m->num_rows, 7, "num_rows");
    is_int(m->meta_offset, 4 + HB_DATA, "metadata starts after the data");
    is_int(m->file_size, n, "file size");
    ok(m->created_by.len == 19 && memcmp(m->created_by.ptr, "bulwark test writer", 19) == 0, "created_by");
    is_int(m->n_kv, 16, "16 key/value entries (long-form list size)");
    ok(m->kv[0].has_value && !m->kv[1].has_value, "optional values");
    is_int(m->n_nodes, 5, "five schema elements");
    is_int(m->nodes[1].field_id, 7, "field_id");
    ok(m->nodes[1].has & BW_PARQUET_HAS_FIELD_ID, "field_id present");
    is_int(m->n_leaves, 3, "three leaves");
    is_str(m->leaves[0].path, "a", "leaf a");
    is_str(m->leaves[1].path, "b", "leaf b");
    is_str(m->leaves[2].path, "s.c", "leaf s.c");
    is_int(m->leaves[0].max_def, 0, "a: max_def");
    is_int(m->leaves[1].max_def, 1, "b: max_def");
    is_int(m->leaves[2].max_def, 2, "s.c: max_def");
    is_int(m->leaves[2].max_rep, 0, "s.c: max_rep");
    ok(m->leaves[0].unsupported == NULL && m->leaves[1].unsupported == NULL, "flat leaves supported");
    ok((m->leaves[2].flags & BW_PARQUET_LEAF_NESTED) && m->leaves[2].unsupported != NULL, "s.c nested");
    is_int(m->leaves[1].logical.kind, BW_PARQUET_LT_STRING, "b: STRING");
    is_int(m->leaves[1].converted_type, BW_PARQUET_CT_UTF8, "b: UTF8");
    is_int(m->leaves[2].logical.kind, BW_PARQUET_LT_INTEGER, "s.c: INTEGER");
    is_int(m->leaves[2].logical.bit_width, 16, "s.c: bit width");
    is_int(m->leaves[2].logical.is_signed, 1, "s.c: signed");
    is_int(m->n_row_groups, 2, "two row groups");
    is_int(m->row_groups[1].num_rows, 4, "row group 1 rows");
    {
        const bw_parquet_chunk *c = &m->row_groups[1].chunks[1];
        is_int(c->start, 4 + 60 + 20, "chunk start is the dictionary page");
        is_int(c->end, 4 + 60 + 40, "chunk end");
        ok(c->flags & BW_PARQUET_CHUNK_DICT, "dictionary flag");
        is_int(c->encodings, (1u << 0) | (1u << 8), "encodings mask");
        is_int(c->codec, BW_PARQUET_UNCOMPRESSED + 1, "codec SNAPPY");
        ok(c->stats.has ==
               (BW_PARQUET_STAT_MAX | BW_PARQUET_STAT_MIN | BW_PARQUET_STAT_NULL_COUNT | BW_PARQUET_STAT_MAX_EXACT),
           "statistics fields present (%#x)", c->stats.has);
        ok(c->stats.min.len == 8 && c->stats.min.ptr[0] == 1 && c->stats.max.ptr[0] == 9, "min and max bytes");
        ok(c->stats.is_max_value_exact == 1, "is_max_value_exact");
    }
    bw_parquet_meta_free(m);

    /* the valid variants */
    {
        static const enum lie valid[] = {L_ENCRYPTED_CHUNK, L_EXTERNAL, L_INT_MISMATCH};
        for (size_t i = 0; i < BW_ARRAY_LEN(valid); i++) {
            n = hb_file(valid[i], f, sizeof(f));
            bw_error_clear(&err);
            rc = bw_parquet_meta_parse(f, n, "t.parquet", &m, &err);
            is_int(rc, BW_OK, "variant %d parses", valid[i]);
            if (rc != BW_OK) {
                tap_diag("%s", err.msg);
                continue;
            }
            if (valid[i] == L_ENCRYPTED_CHUNK) {
                ok(m->row_groups[1].chunks[2].flags & BW_PARQUET_CHUNK_ENCRYPTED, "encrypted chunk flagged");
                ok(!m->row_groups[1].chunks[2].has_meta, "encrypted chunk has no metadata");
            } else if (valid[i] == L_EXTERNAL) {
                ok(m->row_groups[0].chunks[0].flags & BW_PARQUET_CHUNK_EXTERNAL, "external chunk flagged");
                ok(m->row_groups[0].chunks[0].file_path.len == 13, "external path");
            } else {
                like(m->leaves[2].unsupported, "nested", "nested wins over the mismatch");
                is_int(m->leaves[2].logical.bit_width, 64, "INTEGER(64) read");
            }
            bw_parquet_meta_free(m);
        }
    }
}

static void test_handbuilt_lies(void)
{
    static const struct {
        enum lie lie;
        bw_status rc;
        const char *msg;
    } cases[] = {
        {L_META_LEN, BW_EFORMAT, "metadata length"},
        {L_SCHEMA_COUNT, BW_EFORMAT, "cannot fit"},
        {L_CHUNK_PAST, BW_EFORMAT, "column 's.c': chunk [104, +21) is outside the data [4, 124)"},
        {L_DPO_NEGATIVE, BW_EFORMAT, "negative"},
        {L_RG_COLUMNS, BW_EFORMAT, "a row group of 2 columns for a schema of 3"},
        {L_DEPTH, BW_ELIMIT, "nested deeper than 32"},
        {L_STRING_PAST, BW_EFORMAT, "binary length 5000 runs past the end"},
        {L_ROWS_SUM, BW_EFORMAT, "the row groups hold 7 rows, the file metadata says 8"},
        {L_NEG_ROWS, BW_EFORMAT, "the file has -1 rows"},
        {L_TOO_MANY_KIDS, BW_EFORMAT, "children of element 0 missing"},
        {L_OUTSIDE_TREE, BW_EFORMAT, "outside the tree"},
        {L_DUP_FIELD, BW_EFORMAT, "FileMetaData: field 1 given twice"},
        {L_PATH, BW_EFORMAT, "path_in_schema names another column"},
        {L_TYPE, BW_EFORMAT, "column 'b': chunk type INT64 is not the schema's BYTE_ARRAY"},
        {L_FLBA_LEN, BW_EFORMAT, "FIXED_LEN_BYTE_ARRAY of length 0"},
        {L_TRAILING, BW_EFORMAT, "3 bytes after the file metadata"},
        {L_UNION2, BW_EFORMAT, "LogicalType: a union with more than one member"},
        {L_NULLS, BW_EFORMAT, "nulls in a chunk of"},
        {L_FLAT_VALUES, BW_EFORMAT, "column 'a': 2 values for a row group of 3 rows"},
        {L_WRONG_TYPE, BW_EFORMAT, "FileMetaData.num_rows is missing"},
        {L_VARINT32, BW_EFORMAT, "overflows 32 bits"},
        {L_NO_REPETITION, BW_EFORMAT, "has no repetition_type"},
        {L_BAD_FIELD_TYPE, BW_EFORMAT, "bad field type 14"},
        {L_MAP_COUNT, BW_EFORMAT, "map of 1000000 entries cannot fit"},
        {L_SCHEMA_DEEP, BW_ELIMIT, "nested deeper than 64"},
        {L_OFFSET_INDEX, BW_EFORMAT, "offset index outside the data"},
        {L_MISSING_META, BW_EFORMAT, "column 'b': ColumnChunk.meta_data is missing"},
        {L_BAD_MAGIC, BW_EFORMAT, "no PAR1 at the start"},
        {L_PARE, BW_EUNSUPPORTED, "encrypted footer"},
    };
    static uint8_t f[1 << 16];

    for (size_t i = 0; i < BW_ARRAY_LEN(cases); i++) {
        size_t n = hb_file(cases[i].lie, f, sizeof(f));
        bw_parquet_meta *m = (bw_parquet_meta *)&n; /* must be reset to NULL */
        bw_error err;
        bw_status rc;

        bw_error_clear(&err);
        rc = bw_parquet_meta_parse(f, n, "t.parquet", &m, &err);
        is_int(rc, cases[i].rc, "lie %d refused with %s", cases[i].lie, bw_strerror(cases[i].rc));
        ok(m == NULL, "lie %d: no result", cases[i].lie);
        like(err.msg, cases[i].msg, "lie %d: message", cases[i].lie);
        like(err.msg, "t.parquet: offset ", "lie %d: message names the file and the offset", cases[i].lie);
        ok(err.offset < n, "lie %d: offset %llu inside the file", cases[i].lie, (unsigned long long)err.offset);
        if (rc == BW_OK) {
            bw_parquet_meta_free(m);
        }
    }
}

/* ---- fixtures from real writers ------------------------------------------- */

static const char *data_dir(void)
{
    static char dir[1024];
    const char *root = getenv("BW_SOURCE_ROOT");
    snprintf(dir, sizeof(dir), "%s/tests/data/parquet", root != NULL ? root : ".");
    return dir;
}

static int64_t jint(json_t *o, const char *key, int *present)
{
    json_t *v = json_object_get(o, key);
    *present = v != NULL && !json_is_null(v);
    if (json_is_integer(v)) {
        return json_integer_value(v);
    }
    if (json_is_string(v)) {
        return strtoll(json_string_value(v), NULL, 10);
    }
    if (json_is_true(v)) {
        return 1;
    }
    return 0;
}

static const char *jstr(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static int bytes_is(bw_bytes b, const char *s)
{
    return s != NULL && b.len == strlen(s) && (b.len == 0 || memcmp(b.ptr, s, b.len) == 0);
}

static void check_logical(const char *fx, size_t i, const bw_parquet_node *e, json_t *lt)
{
    const char *kind = jstr(lt, "type");
    int has;

    if (lt == NULL) {
        is_int(e->logical.kind, BW_PARQUET_LT_NONE, "%s: node %zu has no logical type", fx, i);
        return;
    }
    is_str(bw_parquet_logical_name(e->logical.kind), kind, "%s: node %zu logical type", fx, i);
    if (e->logical.kind == BW_PARQUET_LT_DECIMAL) {
        is_int(e->logical.scale, jint(lt, "scale", &has), "%s: node %zu decimal scale", fx, i);
        is_int(e->logical.precision, jint(lt, "precision", &has), "%s: node %zu decimal precision", fx, i);
    }
    if (e->logical.kind == BW_PARQUET_LT_TIMESTAMP || e->logical.kind == BW_PARQUET_LT_TIME) {
        static const char *const units[] = {"?", "MILLIS", "MICROS", "NANOS"};
        is_int(e->logical.utc, jint(lt, "isAdjustedToUTC", &has), "%s: node %zu isAdjustedToUTC", fx, i);
        is_str(units[e->logical.unit], jstr(lt, "unit"), "%s: node %zu unit", fx, i);
    }
    if (e->logical.kind == BW_PARQUET_LT_INTEGER) {
        is_int(e->logical.bit_width, jint(lt, "bitWidth", &has), "%s: node %zu bitWidth", fx, i);
        is_int(e->logical.is_signed, jint(lt, "isSigned", &has), "%s: node %zu isSigned", fx, i);
    }
}

static void check_schema(const char *fx, const bw_parquet_meta *m, json_t *schema)
{
    static const char *const reps[] = {"REQUIRED", "OPTIONAL", "REPEATED"};

    is_int(m->n_nodes, json_array_size(schema), "%s: schema elements", fx);
    for (size_t i = 0; i < m->n_nodes && i < json_array_size(schema); i++) {
        json_t *s = json_array_get(schema, i);
        const bw_parquet_node *e = &m->nodes[i];
        const char *type = jstr(s, "type"), *rep = jstr(s, "repetition_type"), *ct = jstr(s, "converted_type");
        int has;
        int64_t v;

        ok(bytes_is(e->name, jstr(s, "name")), "%s: node %zu name '%s'", fx, i, jstr(s, "name"));
        if (type != NULL) {
            ok(e->has & BW_PARQUET_HAS_TYPE, "%s: node %zu has a type", fx, i);
            is_str(bw_parquet_type_name(e->type), type, "%s: node %zu type", fx, i);
        } else {
            ok(!(e->has & BW_PARQUET_HAS_TYPE), "%s: node %zu has no type", fx, i);
        }
        if (rep != NULL && i > 0) {
            is_str(reps[e->repetition], rep, "%s: node %zu repetition", fx, i);
        }
        v = jint(s, "num_children", &has);
        is_int(e->num_children, has ? v : 0, "%s: node %zu num_children", fx, i);
        v = jint(s, "type_length", &has);
        is_int(!!(e->has & BW_PARQUET_HAS_TYPE_LENGTH), has, "%s: node %zu type_length present", fx, i);
        if (has) {
            is_int(e->type_length, v, "%s: node %zu type_length", fx, i);
        }
        if (ct != NULL) {
            is_str(bw_parquet_converted_name(e->converted_type), ct, "%s: node %zu converted_type", fx, i);
        } else {
            is_int(e->converted_type, BW_PARQUET_CT_NONE, "%s: node %zu no converted_type", fx, i);
        }
        v = jint(s, "scale", &has);
        if (has) {
            is_int(e->scale, v, "%s: node %zu scale", fx, i);
        }
        v = jint(s, "precision", &has);
        if (has) {
            is_int(e->precision, v, "%s: node %zu precision", fx, i);
        }
        v = jint(s, "field_id", &has);
        is_int(!!(e->has & BW_PARQUET_HAS_FIELD_ID), has, "%s: node %zu field_id present", fx, i);
        if (has) {
            is_int(e->field_id, v, "%s: node %zu field_id", fx, i);
        }
        check_logical(fx, i, e, json_object_get(s, "logical_type"));
    }
}

static void check_leaves(const char *fx, const bw_parquet_meta *m, json_t *leaves)
{
    is_int(m->n_leaves, json_array_size(leaves), "%s: leaves", fx);
    for (size_t i = 0; i < m->n_leaves && i < json_array_size(leaves); i++) {
        json_t *lf = json_array_get(leaves, i), *path = json_object_get(lf, "path");
        const bw_parquet_leaf *l = &m->leaves[i];
        char want[512] = "";
        int has, nested;

        for (size_t k = 0; k < json_array_size(path); k++) {
            size_t at = strlen(want);
            snprintf(want + at, sizeof(want) - at, "%s%s", k ? "." : "", json_string_value(json_array_get(path, k)));
        }
        is_str(l->path, want, "%s: leaf %zu path", fx, i);
        is_int(l->max_def, jint(lf, "max_def", &has), "%s: leaf %s max_def", fx, want);
        is_int(l->max_rep, jint(lf, "max_rep", &has), "%s: leaf %s max_rep", fx, want);
        nested = json_array_size(path) > 1 || l->max_rep > 0;
        is_int(!!(l->flags & BW_PARQUET_LEAF_NESTED), nested, "%s: leaf %s nested flag", fx, want);
        if (nested) {
            ok(l->unsupported != NULL, "%s: leaf %s unsupported (nested)", fx, want);
        } else {
            ok(l->unsupported == NULL, "%s: leaf %s supported (%s)", fx, want, l->unsupported ? l->unsupported : "");
        }
    }
}

/* DuckDB prints INT32 / INT64 statistics as decimal numbers and strings as themselves. */
static void check_stat(const char *fx, const char *what, const bw_parquet_leaf *l, int has, bw_bytes got,
                       const char *want)
{
    int plain_int = (l->type == BW_PARQUET_INT32 || l->type == BW_PARQUET_INT64) &&
                    l->logical.kind == BW_PARQUET_LT_NONE &&
                    (l->converted_type == BW_PARQUET_CT_NONE || l->converted_type == BW_PARQUET_CT_INT_32 ||
                     l->converted_type == BW_PARQUET_CT_INT_64 || l->converted_type == BW_PARQUET_CT_INT_16);
    int text = l->type == BW_PARQUET_BYTE_ARRAY && l->converted_type == BW_PARQUET_CT_UTF8;

    is_int(has, want != NULL, "%s: %s %s present", fx, l->path, what);
    if (!has || want == NULL) {
        return;
    }
    if (plain_int) {
        int64_t v = 0;
        size_t w = l->type == BW_PARQUET_INT32 ? 4 : 8;
        if (got.len == w) {
            uint64_t u = 0;
            for (size_t k = w; k-- > 0;) {
                u = u << 8 | got.ptr[k];
            }
            v = w == 4 ? (int64_t)(int32_t)u : (int64_t)u;
        }
        is_int(got.len, w, "%s: %s %s width", fx, l->path, what);
        is_int(v, strtoll(want, NULL, 10), "%s: %s %s value", fx, l->path, what);
    } else if (text) {
        ok(bytes_is(got, want), "%s: %s %s is '%s'", fx, l->path, what, want);
    }
}

/* Walk every page of a chunk with the page header parser: the pages must fill the chunk. */
static void walk_pages(const char *fx, const uint8_t *file, const bw_parquet_meta *m, const bw_parquet_chunk *c,
                       const bw_parquet_leaf *l, int *saw_v2)
{
    uint64_t pos = c->start, values = 0;
    int dict = 0, pages = 0, bad = 0;

    while (pos < c->end) {
        bw_parquet_page_header h;
        size_t used = 0;
        bw_error err;
        bw_status rc;
        bw_error_clear(&err);
        rc = bw_parquet_page_header_parse(file + pos, (size_t)(c->end - pos), pos, &h, &used, &err);
        if (rc != BW_OK) {
            ok(0, "%s: %s page at %llu: %s", fx, l->path, (unsigned long long)pos, err.msg);
            return;
        }
        if (h.type == BW_PARQUET_DICTIONARY_PAGE) {
            dict++;
            bad += pages != 0; /* the dictionary comes first */
        } else if (h.type == BW_PARQUET_DATA_PAGE || h.type == BW_PARQUET_DATA_PAGE_V2) {
            values += (uint64_t)h.num_values;
            *saw_v2 |= h.type == BW_PARQUET_DATA_PAGE_V2;
            if (h.stats.has & BW_PARQUET_STAT_NULL_COUNT) {
                bad += h.stats.null_count > h.num_values;
            }
        }
        pages++;
        pos += used + (uint64_t)h.compressed_size;
    }
    (void)m;
    ok(pos == c->end && bad == 0, "%s: %s: %d pages fill the chunk exactly", fx, l->path, pages);
    is_int(values, c->num_values, "%s: %s: data pages hold the chunk's values", fx, l->path);
    is_int(dict, (c->flags & BW_PARQUET_CHUNK_DICT) ? 1 : 0, "%s: %s: dictionary page iff dictionary offset", fx,
           l->path);
}

static void check_row_groups(const char *fx, const uint8_t *file, const bw_parquet_meta *m, json_t *rgs, int *saw_v2)
{
    is_int(m->n_row_groups, json_array_size(rgs), "%s: row groups", fx);
    for (size_t r = 0; r < m->n_row_groups && r < json_array_size(rgs); r++) {
        json_t *jr = json_array_get(rgs, r), *cols = json_object_get(jr, "columns");
        const bw_parquet_row_group *rg = &m->row_groups[r];
        int has;

        is_int(rg->num_rows, jint(jr, "num_rows", &has), "%s: rg %zu num_rows", fx, r);
        is_int(rg->total_byte_size, jint(jr, "total_byte_size", &has), "%s: rg %zu total_byte_size", fx, r);
        is_int(json_array_size(cols), m->n_leaves, "%s: rg %zu columns", fx, r);
        for (size_t i = 0; i < m->n_leaves && i < json_array_size(cols); i++) {
            json_t *jc = json_array_get(cols, i), *enc = json_object_get(jc, "encodings"),
                   *path = json_object_get(jc, "path_in_schema");
            const bw_parquet_chunk *c = &rg->chunks[i];
            const bw_parquet_leaf *l = &m->leaves[i];
            uint32_t mask = 0;
            char want[512] = "";
            int64_t v;

            for (size_t k = 0; k < json_array_size(path); k++) {
                size_t at = strlen(want);
                snprintf(want + at, sizeof(want) - at, "%s%s", k ? "." : "",
                         json_string_value(json_array_get(path, k)));
            }
            is_str(l->path, want, "%s: rg %zu chunk %zu path_in_schema", fx, r, i);
            ok(c->has_meta && c->flags == (c->flags & BW_PARQUET_CHUNK_DICT), "%s: %s plain chunk", fx, l->path);
            is_int(c->file_offset, jint(jc, "file_offset", &has), "%s: %s file_offset", fx, l->path);
            is_int(c->num_values, jint(jc, "num_values", &has), "%s: %s num_values", fx, l->path);
            is_str(bw_parquet_type_name(c->type), jstr(jc, "type"), "%s: %s type", fx, l->path);
            is_str(bw_parquet_codec_name(c->codec), jstr(jc, "codec"), "%s: %s codec", fx, l->path);
            for (size_t k = 0; k < json_array_size(enc); k++) {
                for (int e = 0; e < 32; e++) {
                    if (strcmp(bw_parquet_encoding_name(e), json_string_value(json_array_get(enc, k))) == 0) {
                        mask |= 1u << e;
                    }
                }
            }
            is_int(c->encodings, mask, "%s: %s encodings", fx, l->path);
            is_int(c->data_page_offset, jint(jc, "data_page_offset", &has), "%s: %s data_page_offset", fx, l->path);
            v = jint(jc, "dictionary_page_offset", &has);
            if (has && v > 0) {
                ok(c->flags & BW_PARQUET_CHUNK_DICT, "%s: %s has a dictionary", fx, l->path);
                is_int(c->dictionary_page_offset, v, "%s: %s dictionary_page_offset", fx, l->path);
            } else {
                ok(!(c->flags & BW_PARQUET_CHUNK_DICT), "%s: %s has no dictionary", fx, l->path);
            }
            is_int(c->total_compressed_size, jint(jc, "total_compressed_size", &has), "%s: %s compressed", fx, l->path);
            is_int(c->total_uncompressed_size, jint(jc, "total_uncompressed_size", &has), "%s: %s uncompressed", fx,
                   l->path);
            is_int(c->end - c->start, c->total_compressed_size, "%s: %s start..end", fx, l->path);
            v = jint(jc, "stats_null_count", &has);
            is_int(!!(c->stats.has & BW_PARQUET_STAT_NULL_COUNT), has, "%s: %s null_count present", fx, l->path);
            if (has) {
                is_int(c->stats.null_count, v, "%s: %s null_count", fx, l->path);
            }
            v = jint(jc, "stats_distinct_count", &has);
            is_int(!!(c->stats.has & BW_PARQUET_STAT_DISTINCT_COUNT), has, "%s: %s distinct_count present", fx,
                   l->path);
            if (has) {
                is_int(c->stats.distinct_count, v, "%s: %s distinct_count", fx, l->path);
            }
            check_stat(fx, "min", l, !!(c->stats.has & BW_PARQUET_STAT_MIN), c->stats.min, jstr(jc, "stats_min"));
            check_stat(fx, "max", l, !!(c->stats.has & BW_PARQUET_STAT_MAX), c->stats.max, jstr(jc, "stats_max"));
            check_stat(fx, "min_value", l, !!(c->stats.has & BW_PARQUET_STAT_MIN_VALUE), c->stats.min_value,
                       jstr(jc, "stats_min_value"));
            check_stat(fx, "max_value", l, !!(c->stats.has & BW_PARQUET_STAT_MAX_VALUE), c->stats.max_value,
                       jstr(jc, "stats_max_value"));
            walk_pages(fx, file, m, c, l, saw_v2);
        }
    }
}

/* Two metas of the same file must agree (memory and file-descriptor reads). */
static int same_meta(const bw_parquet_meta *a, const bw_parquet_meta *b)
{
    if (a->file_size != b->file_size || a->meta_len != b->meta_len || a->num_rows != b->num_rows ||
        a->n_nodes != b->n_nodes || a->n_leaves != b->n_leaves || a->n_row_groups != b->n_row_groups ||
        a->n_kv != b->n_kv) {
        return 0;
    }
    for (size_t i = 0; i < a->n_leaves; i++) {
        if (strcmp(a->leaves[i].path, b->leaves[i].path) != 0) {
            return 0;
        }
    }
    for (size_t r = 0; r < a->n_row_groups; r++) {
        for (size_t i = 0; i < a->n_leaves; i++) {
            const bw_parquet_chunk *x = &a->row_groups[r].chunks[i], *y = &b->row_groups[r].chunks[i];
            if (x->start != y->start || x->end != y->end || x->num_values != y->num_values ||
                x->stats.min_value.len != y->stats.min_value.len) {
                return 0;
            }
        }
    }
    return 1;
}

/* Flip every footer byte, and cut the footer at every length: no crash, errors inside the file. */
static void mutate(const char *fx, const uint8_t *file, size_t n, const bw_parquet_meta *m)
{
    uint8_t *c = malloc(n);
    size_t bad = 0, accepted = 0;

    memcpy(c, file, n);
    for (size_t i = m->meta_offset; i < m->meta_offset + m->meta_len; i++) {
        static const uint8_t flips[] = {0xff, 0x01, 0x80, 0x10};
        for (size_t k = 0; k < BW_ARRAY_LEN(flips); k++) {
            bw_parquet_meta *x = NULL;
            bw_error err;
            bw_error_clear(&err);
            c[i] ^= flips[k];
            if (bw_parquet_meta_parse(c, n, "m", &x, &err) == BW_OK) {
                accepted++;
                bad += x == NULL;
                bw_parquet_meta_free(x);
            } else {
                bad += x != NULL || (err.offset != BW_NO_OFFSET && err.offset >= n) || err.msg[0] == '\0';
            }
            c[i] ^= flips[k];
        }
    }
    is_int(bad, 0, "%s: %zu footer bytes flipped 4 ways (%zu still parse)", fx, (size_t)m->meta_len, accepted);

    /* the footer cut to k bytes, re-framed with its new length */
    bad = 0;
    for (uint32_t k = 0; k < m->meta_len; k++) {
        size_t cn = (size_t)m->meta_offset + k + 8;
        uint8_t *t = malloc(cn);
        bw_parquet_meta *x = NULL;
        bw_error err;
        bw_error_clear(&err);
        memcpy(t, file, (size_t)m->meta_offset + k);
        t[cn - 8] = (uint8_t)k;
        t[cn - 7] = (uint8_t)(k >> 8);
        t[cn - 6] = (uint8_t)(k >> 16);
        t[cn - 5] = (uint8_t)(k >> 24);
        memcpy(t + cn - 4, "PAR1", 4);
        if (bw_parquet_meta_parse(t, cn, "m", &x, &err) == BW_OK) {
            bad++;
            bw_parquet_meta_free(x);
        } else if (err.offset == BW_NO_OFFSET || err.offset > cn) {
            bad++;
        }
        free(t);
    }
    is_int(bad, 0, "%s: every truncated footer is refused with an offset", fx);
    free(c);
}

static void test_fixture(const char *dir, const char *base)
{
    char path[1200], side[1200];
    size_t n = 0;
    uint8_t *file;
    json_t *j;
    json_error_t jerr;
    bw_parquet_meta *m = NULL, *mf = NULL;
    bw_error err;
    int fd, has, saw_v2 = 0;
    json_t *kv;

    snprintf(path, sizeof(path), "%s/%s.parquet", dir, base);
    snprintf(side, sizeof(side), "%s/%s.json", dir, base);
    file = (uint8_t *)tu_read(path, &n);
    j = json_load_file(side, 0, &jerr);
    if (file == NULL || j == NULL) {
        ok(0, "%s: cannot load the fixture or its sidecar", base);
        free(file);
        json_decref(j);
        return;
    }
    bw_error_clear(&err);
    is_int(bw_parquet_meta_parse(file, n, base, &m, &err), BW_OK, "%s parses", base);
    if (m == NULL) {
        tap_diag("%s", err.msg);
        goto out;
    }
    is_int(m->file_size, jint(j, "file_size", &has), "%s: file size", base);
    is_int(m->meta_len, jint(j, "footer_size", &has), "%s: footer size", base);
    is_int(m->meta_offset + m->meta_len + 8, m->file_size, "%s: footer at the end", base);
    is_int(m->version, jint(j, "version", &has), "%s: version", base);
    is_int(m->num_rows, jint(j, "num_rows", &has), "%s: num_rows", base);
    ok(bytes_is(m->created_by, jstr(j, "created_by")), "%s: created_by", base);
    ok(!m->encrypted, "%s: not encrypted", base);
    kv = json_object_get(j, "key_value_metadata");
    is_int(m->n_kv, json_array_size(kv), "%s: key/value entries", base);
    for (size_t i = 0; i < m->n_kv && i < json_array_size(kv); i++) {
        json_t *e = json_array_get(kv, i);
        ok(bytes_is(m->kv[i].key, jstr(e, "key")), "%s: kv %zu key", base, i);
        ok(bytes_is(m->kv[i].value, jstr(e, "value")), "%s: kv %zu value", base, i);
    }
    check_schema(base, m, json_object_get(j, "schema"));
    check_leaves(base, m, json_object_get(j, "leaves"));
    check_row_groups(base, file, m, json_object_get(j, "row_groups"), &saw_v2);
    /* hyparquet-writer writes DATA_PAGE_V2 pages; DuckDB's PARQUET_VERSION V2 only changes the encodings */
    is_int(saw_v2, strncmp(base, "hyparquet-", 10) == 0, "%s: DATA_PAGE_V2 pages iff hyparquet-writer", base);

    fd = open(path, O_RDONLY | O_CLOEXEC);
    bw_error_clear(&err);
    is_int(bw_parquet_meta_read_fd(fd, base, &mf, &err), BW_OK, "%s: read_fd", base);
    ok(mf != NULL && same_meta(m, mf), "%s: read_fd gives the same metadata", base);
    bw_parquet_meta_free(mf);
    close(fd);

    mutate(base, file, n, m);
out:
    bw_parquet_meta_free(m);
    json_decref(j);
    free(file);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_fixtures(void)
{
    const char *dir = data_dir();
    char *names[64];
    size_t k = 0;
    DIR *d = opendir(dir);
    struct dirent *e;
    int duckdb = 0, hyparquet = 0;

    if (d == NULL) {
        ok(0, "cannot open %s", dir);
        return;
    }
    while ((e = readdir(d)) != NULL && k < BW_ARRAY_LEN(names)) {
        size_t ln = strlen(e->d_name);
        if (ln > 8 && strcmp(e->d_name + ln - 8, ".parquet") == 0) {
            names[k++] = strndup(e->d_name, ln - 8);
        }
    }
    closedir(d);
    qsort(names, k, sizeof(names[0]), cmp_str);
    ok(k >= 12, "%zu fixtures", k);
    for (size_t i = 0; i < k; i++) {
        duckdb += strncmp(names[i], "duckdb-", 7) == 0;
        hyparquet += strncmp(names[i], "hyparquet-", 10) == 0;
        test_fixture(dir, names[i]);
        free(names[i]);
    }
    ok(duckdb >= 8 && hyparquet >= 3, "fixtures from both writers (%d DuckDB, %d hyparquet-writer)", duckdb, hyparquet);
}

/* hyparquet-writer 0.17 sends IntType.bitWidth (an i8) as an i32: refused, as DuckDB refuses it. */
static void test_invalid_fixture(void)
{
    char path[1200];
    size_t n = 0;
    uint8_t *file;
    bw_parquet_meta *m = NULL;
    bw_error err;

    snprintf(path, sizeof(path), "%s/invalid/hyparquet-int-bitwidth-i32.parquet", data_dir());
    file = (uint8_t *)tu_read(path, &n);
    ok(file != NULL, "invalid fixture present");
    if (file == NULL) {
        return;
    }
    bw_error_clear(&err);
    is_int(bw_parquet_meta_parse(file, n, "int.parquet", &m, &err), BW_EFORMAT, "bitWidth as i32 refused");
    like(err.msg, "int.parquet: offset ", "message names the file and offset");
    like(err.msg, "IntType.bitWidth is missing", "message names the field");
    ok(err.offset < n, "offset inside the file");
    ok(m == NULL, "no result");
    free(file);
}

/* ---- a minimal file: flat REQUIRED leaves, annotations on the first ------- */

typedef struct mini {
    int leaves;                /* leaves; all but the first are INT32 */
    int32_t type, type_length; /* the first leaf's physical type (and length) */
    int32_t converted;         /* its converted type, -1 for none */
    int logical;               /* its LogicalType member id, 0 for none */
    int lt_a, lt_b;            /* DECIMAL scale, precision; TIME/TIMESTAMP unit id; INTEGER width, signed */
    const char *group;         /* set: every leaf sits inside one OPTIONAL group of this name */
    uint32_t row_groups;       /* each with one chunk per leaf */
    int64_t rows;              /* per row group */
    int64_t file_rows;
} mini;

static size_t mini_file(const mini *s, uint8_t *out, size_t cap)
{
    static tw w;
    size_t n;

    memset(&w, 0, sizeof(w));
    tw_i32(&w, 1, 1);
    tw_list(&w, 2, 12, (uint32_t)(1 + s->leaves + (s->group != NULL)));
    tw_begin(&w);
    tw_str(&w, 4, "root");
    tw_i32(&w, 5, s->group != NULL ? 1 : s->leaves);
    tw_end(&w);
    if (s->group != NULL) {
        tw_begin(&w);
        tw_i32(&w, 3, 1);
        tw_str(&w, 4, s->group);
        tw_i32(&w, 5, s->leaves);
        tw_end(&w);
    }
    for (int i = 0; i < s->leaves; i++) {
        char name[16];
        snprintf(name, sizeof(name), "c%d", i);
        tw_begin(&w);
        tw_i32(&w, 1, i == 0 ? s->type : 1);
        if (i == 0 && s->type == 7) {
            tw_i32(&w, 2, s->type_length);
        }
        tw_i32(&w, 3, 0);
        tw_str(&w, 4, name);
        if (i == 0 && s->converted >= 0) {
            tw_i32(&w, 6, s->converted);
            tw_i32(&w, 7, s->lt_a);
            tw_i32(&w, 8, s->lt_b);
        }
        if (i == 0 && s->logical != 0) {
            tw_struct(&w, 10);
            tw_struct(&w, (int16_t)s->logical);
            if (s->logical == 5) {
                tw_i32(&w, 1, s->lt_a);
                tw_i32(&w, 2, s->lt_b);
            } else if (s->logical == 7 || s->logical == 8) {
                tw_bool(&w, 1, 1);
                tw_struct(&w, 2);
                tw_struct(&w, (int16_t)s->lt_a);
                tw_end(&w);
                tw_end(&w);
            } else if (s->logical == 10) {
                tw_field(&w, 1, 3);
                tw_byte(&w, (uint8_t)s->lt_a);
                tw_bool(&w, 2, s->lt_b);
            }
            tw_end(&w);
            tw_end(&w);
        }
        tw_end(&w);
    }
    tw_i64(&w, 3, s->file_rows);
    tw_list(&w, 4, 12, s->row_groups);
    for (uint32_t r = 0; r < s->row_groups; r++) {
        tw_begin(&w);
        tw_list(&w, 1, 12, (uint32_t)s->leaves);
        for (int i = 0; i < s->leaves; i++) {
            tw_begin(&w);
            tw_i64(&w, 2, 0);
            tw_struct(&w, 3);
            tw_i32(&w, 1, i == 0 ? s->type : 1);
            tw_list(&w, 2, 5, 1);
            tw_zz(&w, 0);
            tw_list(&w, 3, 8, s->group != NULL ? 2 : 1);
            if (s->group != NULL) {
                tw_elem_str(&w, s->group);
            }
            {
                char name[16];
                snprintf(name, sizeof(name), "c%d", i);
                tw_elem_str(&w, name);
            }
            tw_i32(&w, 4, 0);
            tw_i64(&w, 5, s->rows);
            tw_i64(&w, 6, 1);
            tw_i64(&w, 7, 1);
            tw_i64(&w, 9, 4);
            tw_end(&w);
            tw_end(&w);
        }
        tw_i64(&w, 2, 1);
        tw_i64(&w, 3, s->rows);
        tw_end(&w);
    }
    tw_end(&w);
    n = 4 + 16 + w.n + 8;
    if (n > cap) {
        return 0;
    }
    memcpy(out, "PAR1", 4);
    memset(out + 4, 0, 16);
    memcpy(out + 20, w.b, w.n);
    out[20 + w.n] = (uint8_t)w.n;
    out[21 + w.n] = (uint8_t)(w.n >> 8);
    out[22 + w.n] = (uint8_t)(w.n >> 16);
    out[23 + w.n] = (uint8_t)(w.n >> 24);
    memcpy(out + 24 + w.n, "PAR1", 4);
    return n;
}

/* Annotations that do not fit the physical type make the leaf unsupported, not the file malformed. */
static void test_type_fit(void)
{
    static uint8_t f[1 << 20];
    static const struct {
        int32_t type, len, converted;
        int logical, a, b;
        const char *why; /* NULL: supported */
    } cases[] = {
        {1, 0, -1, 10, 16, 0, NULL},
        {2, 0, -1, 10, 64, 1, NULL},
        {1, 0, -1, 10, 64, 1, "INTEGER on a physical type that does not fit its width"},
        {1, 0, -1, 10, 12, 1, "INTEGER with a bit width other than"},
        {1, 0, -1, 5, 2, 9, NULL},
        {1, 0, -1, 5, 2, 10, "DECIMAL precision over 9 on INT32"},
        {2, 0, -1, 5, 0, 19, "DECIMAL precision over 18 on INT64"},
        {7, 16, -1, 5, 10, 38, NULL},
        {7, 16, -1, 5, 10, 39, "DECIMAL precision over what its bytes hold"},
        {7, 5, -1, 5, 3, 11, NULL},
        {7, 5, -1, 5, 3, 12, "over what its bytes hold"},
        {6, 0, -1, 5, 3, 2, "DECIMAL precision or scale out of range"},
        {5, 0, -1, 5, 1, 5, "DECIMAL on a physical type other than"},
        {7, 5, 5, 0, 2, 11, NULL},
        {1, 0, 5, 0, 2, 10, "DECIMAL precision over 9 on INT32"},
        {1, 0, -1, 7, 1, 0, NULL},
        {2, 0, -1, 7, 3, 0, NULL},
        {2, 0, -1, 7, 1, 0, "TIME on a physical type that does not fit its unit"},
        {2, 0, -1, 8, 3, 0, NULL},
        {1, 0, -1, 8, 2, 0, "TIMESTAMP on a physical type other than INT64"},
        {2, 0, -1, 8, 9, 0, "TIMESTAMP with an unknown unit"},
        {7, 16, -1, 14, 0, 0, NULL},
        {7, 8, -1, 14, 0, 0, "UUID on a type other than"},
        {7, 2, -1, 15, 0, 0, NULL},
        {6, 0, -1, 1, 0, 0, NULL},
        {1, 0, -1, 1, 0, 0, "a BYTE_ARRAY logical type on another physical type"},
        {1, 0, -1, 6, 0, 0, NULL},
        {2, 0, -1, 6, 0, 0, "DATE on a physical type other than INT32"},
        {1, 0, -1, 3, 0, 0, "a group's logical type"},
        {1, 0, -1, 11, 0, 0, NULL},
        {1, 0, -1, 9, 0, 0, "an unknown logical type"},
        {1, 0, -1, 30, 0, 0, "an unknown logical type"},
        {7, 12, 21, 0, 0, 1, NULL},
        {7, 11, 21, 0, 0, 1, "INTERVAL on a type other than"},
        {1, 0, 11, 0, 0, 1, NULL},
        {2, 0, 11, 0, 0, 1, "an INT32 converted type on another physical type"},
        {2, 0, 10, 0, 0, 1, NULL},
        {1, 0, 9, 0, 0, 1, "an INT64 converted type on another physical type"},
        {6, 0, 0, 0, 0, 1, NULL},
        {1, 0, 19, 0, 0, 1, "a BYTE_ARRAY converted type on another physical type"},
        {1, 0, 3, 0, 0, 1, "a group's converted type"},
        {1, 0, 40, 0, 0, 1, "an unknown converted type"},
    };

    for (size_t i = 0; i < BW_ARRAY_LEN(cases); i++) {
        mini s = {
            1, cases[i].type, cases[i].len, cases[i].converted, cases[i].logical, cases[i].a, cases[i].b, NULL, 0, 0,
            0};
        size_t n = mini_file(&s, f, sizeof(f));
        bw_parquet_meta *m = NULL;
        bw_error err;

        bw_error_clear(&err);
        if (bw_parquet_meta_parse(f, n, "fit.parquet", &m, &err) != BW_OK) {
            ok(0, "type fit %zu parses: %s", i, err.msg);
            continue;
        }
        if (cases[i].why == NULL) {
            ok(m->leaves[0].unsupported == NULL, "type fit %zu supported (%s)", i,
               m->leaves[0].unsupported ? m->leaves[0].unsupported : "");
        } else {
            like(m->leaves[0].unsupported, cases[i].why, "type fit %zu: unsupported", i);
        }
        if (cases[i].logical == 7 || cases[i].logical == 8) {
            is_int(m->leaves[0].logical.unit, cases[i].a <= 3 ? cases[i].a : 0, "type fit %zu: unit", i);
            is_int(m->leaves[0].logical.utc, 1, "type fit %zu: utc", i);
        }
        if (cases[i].logical == 5 || cases[i].converted == 5) {
            is_int(m->leaves[0].scale, cases[i].a, "type fit %zu: scale", i);
            is_int(m->leaves[0].precision, cases[i].b, "type fit %zu: precision", i);
        }
        if (cases[i].logical == 30) {
            is_int(m->leaves[0].logical.kind, BW_PARQUET_LT_OTHER, "type fit %zu: OTHER", i);
            is_int(m->leaves[0].logical.other_id, 30, "type fit %zu: member id", i);
        }
        bw_parquet_meta_free(m);
    }
}

static void expect_fail(const uint8_t *f, size_t n, bw_status want, const char *msg, const char *what)
{
    bw_parquet_meta *m = NULL;
    bw_error err;

    bw_error_clear(&err);
    is_int(bw_parquet_meta_parse(f, n, "lim.parquet", &m, &err), want, "%s refused", what);
    like(err.msg, msg, "%s: message", what);
    like(err.msg, "lim.parquet: offset ", "%s: names the file", what);
    ok(m == NULL && err.offset < n, "%s: offset inside the file", what);
    bw_parquet_meta_free(m);
}

/* A footer of `body` bytes, framed. */
static size_t frame(const tw *w, uint8_t *out, size_t cap)
{
    size_t n = 4 + w->n + 8;
    if (n > cap) {
        return 0;
    }
    memcpy(out, "PAR1", 4);
    memcpy(out + 4, w->b, w->n);
    out[4 + w->n] = (uint8_t)w->n;
    out[5 + w->n] = (uint8_t)(w->n >> 8);
    out[6 + w->n] = (uint8_t)(w->n >> 16);
    out[7 + w->n] = (uint8_t)(w->n >> 24);
    memcpy(out + 8 + w->n, "PAR1", 4);
    return n;
}

static void test_limits(void)
{
    static uint8_t f[1 << 23];
    static tw w;
    char *big;
    size_t n;

    /* more schema elements than BW_PARQUET_MAX_SCHEMA, with the bytes to hold them */
    memset(&w, 0, sizeof(w));
    tw_i32(&w, 1, 1);
    tw_list(&w, 2, 12, BW_PARQUET_MAX_SCHEMA + 1);
    w.n += (size_t)(BW_PARQUET_MAX_SCHEMA + 1) * 3;
    n = frame(&w, f, sizeof(f));
    expect_fail(f, n, BW_ELIMIT, "schema elements, over the limit", "schema limit");

    /* more key/value entries than BW_PARQUET_MAX_KV */
    memset(&w, 0, sizeof(w));
    tw_i32(&w, 1, 1);
    tw_list(&w, 5, 12, BW_PARQUET_MAX_KV + 1);
    w.n += (size_t)(BW_PARQUET_MAX_KV + 1) * 3;
    n = frame(&w, f, sizeof(f));
    expect_fail(f, n, BW_ELIMIT, "key/value entries, over the limit", "key/value limit");

    /* 64 leaves x 32769 row groups: over BW_PARQUET_MAX_CHUNKS; each row group a 7-byte struct */
    {
        mini s = {64, 1, 0, -1, 0, 0, 0, NULL, 0, 0, 0};
        size_t at;
        n = mini_file(&s, f, sizeof(f));
        /* rewrite: drop the empty row_groups list and the stop, append a long one */
        memcpy(w.b, f + 20, n - 28);
        w.n = n - 28 - 3; /* the empty row_groups field and list headers, and the stop */
        w.depth = 0;
        w.last[0] = 3;
        at = BW_PARQUET_MAX_CHUNKS / 64 + 1;
        tw_list(&w, 4, 12, (uint32_t)at);
        for (size_t r = 0; r < at; r++) {
            tw_byte(&w, 0x98); /* field 9, binary */
            tw_byte(&w, 4);
            tw_raw(&w, "pad!", 4);
            tw_byte(&w, 0);
        }
        tw_byte(&w, 0);
        n = frame(&w, f, sizeof(f));
        expect_fail(f, n, BW_ELIMIT, "row groups of 64 columns, over the limits", "chunk limit");
    }

    /* leaf paths over BW_PARQUET_MAX_PATH_BYTES: 300 leaves under a 60000-byte group name */
    big = malloc(60001);
    memset(big, 'g', 60000);
    big[60000] = '\0';
    {
        mini s = {300, 1, 0, -1, 0, 0, 0, big, 0, 0, 0};
        n = mini_file(&s, f, sizeof(f));
        expect_fail(f, n, BW_ELIMIT, "the leaf column paths are over", "path limit");
    }
    {
        mini s = {3, 1, 0, -1, 0, 0, 0, big, 1, 2, 2};
        bw_parquet_meta *m = NULL;
        bw_error err;
        n = mini_file(&s, f, sizeof(f));
        bw_error_clear(&err);
        is_int(bw_parquet_meta_parse(f, n, "lim.parquet", &m, &err), BW_OK, "long group name under the limit");
        ok(m != NULL && strlen(m->leaves[2].path) == 60003 && strcmp(m->leaves[2].path + 60000, ".c2") == 0,
           "long path built");
        ok(m != NULL && m->leaves[2].max_def == 1 && (m->leaves[2].flags & BW_PARQUET_LEAF_NESTED), "levels in group");
        bw_parquet_meta_free(m);
    }
    free(big);

    /* row counts that overflow int64 */
    {
        mini s = {1, 1, 0, -1, 0, 0, 0, NULL, 2, INT64_MAX, 1};
        n = mini_file(&s, f, sizeof(f));
        expect_fail(f, n, BW_EFORMAT, "the row groups' row counts overflow", "row count overflow");
    }

    /* a metadata length over BW_PARQUET_MAX_FOOTER in a file large enough: a sparse file, read by descriptor */
    {
        char *dir = tu_tmpdir(), *p = tu_join(dir, "huge.parquet");
        uint64_t size = (uint64_t)BW_PARQUET_MAX_FOOTER + 4096;
        uint32_t len = BW_PARQUET_MAX_FOOTER + 1;
        uint8_t tail[8] = {(uint8_t)len, (uint8_t)(len >> 8), (uint8_t)(len >> 16), (uint8_t)(len >> 24), 'P', 'A', 'R',
                           '1'};
        int fd = open(p, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        bw_parquet_meta *m = NULL;
        bw_error err;
        ok(fd >= 0 && ftruncate(fd, (off_t)size) == 0 && pwrite(fd, "PAR1", 4, 0) == 4 &&
               pwrite(fd, tail, 8, (off_t)(size - 8)) == 8,
           "sparse file written");
        bw_error_clear(&err);
        is_int(bw_parquet_meta_read_fd(fd, "huge.parquet", &m, &err), BW_ELIMIT, "footer over the limit");
        like(err.msg, "over the limit of 67108864", "footer limit message");
        close(fd);
        tu_rm_rf(dir);
        free(p);
        free(dir);
    }
}

/* ---- page headers ----------------------------------------------------------- */

static void test_page_headers(void)
{
    static tw w;
    bw_parquet_page_header h;
    size_t used = 7;
    bw_error err;
    bw_status rc;

    /* a v1 data page with statistics and a crc */
    memset(&w, 0, sizeof(w));
    tw_i32(&w, 1, 0);
    tw_i32(&w, 2, 100);
    tw_i32(&w, 3, 80);
    tw_i32(&w, 4, -2);
    tw_struct(&w, 5);
    tw_i32(&w, 1, 10);
    tw_i32(&w, 2, 0);
    tw_i32(&w, 3, 3);
    tw_i32(&w, 4, 3);
    tw_struct(&w, 5);
    tw_i64(&w, 3, 2);
    tw_field(&w, 6, 8);
    tw_varint(&w, 1);
    tw_byte(&w, 'a');
    tw_end(&w);
    tw_end(&w);
    tw_end(&w);
    tw_raw(&w, "page data", 9);
    bw_error_clear(&err);
    rc = bw_parquet_page_header_parse(w.b, w.n, 1000, &h, &used, &err);
    is_int(rc, BW_OK, "data page header parses");
    is_int(used, w.n - 9, "consumed the header only");
    is_int(h.type, BW_PARQUET_DATA_PAGE, "DATA_PAGE");
    is_int(h.uncompressed_size, 100, "uncompressed");
    is_int(h.compressed_size, 80, "compressed");
    ok(h.has_crc && h.crc == 0xfffffffeu, "crc as unsigned");
    is_int(h.num_values, 10, "num_values");
    is_int(h.def_encoding, BW_PARQUET_RLE, "definition levels RLE");
    ok(h.stats.null_count == 2 && h.stats.min_value.len == 1 && h.stats.min_value.ptr[0] == 'a', "page stats");
    is_int(h.is_compressed, 1, "is_compressed defaults to true");
    is_str(bw_parquet_page_type_name(h.type), "DATA_PAGE", "type name");

    /* every prefix of the header: refused, with an offset at or after 1000 */
    {
        size_t bad = 0;
        for (size_t k = 0; k < used; k++) {
            uint8_t *c = malloc(k > 0 ? k : 1);
            memcpy(c, w.b, k);
            bw_error_clear(&err);
            if (bw_parquet_page_header_parse(c, k, 1000, &h, &used, &err) != BW_EFORMAT || err.offset < 1000 ||
                strstr(err.msg, "parquet page header: offset ") == NULL) {
                bad++;
            }
            free(c);
            used = w.n - 9;
        }
        is_int(bad, 0, "every truncated page header is refused");
    }

    /* a v2 page whose levels are larger than the page */
    memset(&w, 0, sizeof(w));
    tw_i32(&w, 1, 3);
    tw_i32(&w, 2, 10);
    tw_i32(&w, 3, 10);
    tw_struct(&w, 8);
    tw_i32(&w, 1, 5);
    tw_i32(&w, 2, 1);
    tw_i32(&w, 3, 5);
    tw_i32(&w, 4, 0);
    tw_i32(&w, 5, 8);
    tw_i32(&w, 6, 4);
    tw_bool(&w, 7, 0);
    tw_end(&w);
    tw_end(&w);
    bw_error_clear(&err);
    rc = bw_parquet_page_header_parse(w.b, w.n, 0, &h, &used, &err);
    is_int(rc, BW_EFORMAT, "v2 levels over the page refused");
    like(err.msg, "12 bytes of levels in a page of 10", "v2 message");

    /* a dictionary page header with a data page header as well */
    memset(&w, 0, sizeof(w));
    tw_i32(&w, 1, 2);
    tw_i32(&w, 2, 10);
    tw_i32(&w, 3, 10);
    tw_struct(&w, 5);
    tw_i32(&w, 1, 1);
    tw_i32(&w, 2, 0);
    tw_i32(&w, 3, 3);
    tw_i32(&w, 4, 3);
    tw_end(&w);
    tw_struct(&w, 7);
    tw_i32(&w, 1, 1);
    tw_i32(&w, 2, 0);
    tw_end(&w);
    tw_end(&w);
    bw_error_clear(&err);
    is_int(bw_parquet_page_header_parse(w.b, w.n, 0, &h, &used, &err), BW_EFORMAT, "two sub-headers refused");
    like(err.msg, "more than one page-type header", "two sub-headers message");

    /* a dictionary page without its header, and an unknown page type */
    memset(&w, 0, sizeof(w));
    tw_i32(&w, 1, 2);
    tw_i32(&w, 2, 10);
    tw_i32(&w, 3, 10);
    tw_end(&w);
    bw_error_clear(&err);
    is_int(bw_parquet_page_header_parse(w.b, w.n, 0, &h, &used, &err), BW_EFORMAT, "missing sub-header refused");
    like(err.msg, "DICTIONARY_PAGE without a dictionary_page_header", "missing sub-header message");
    w.b[1] = 9 << 1; /* type 9 */
    bw_error_clear(&err);
    is_int(bw_parquet_page_header_parse(w.b, w.n, 0, &h, &used, &err), BW_EFORMAT, "unknown page type refused");
    like(err.msg, "unknown page type 9", "unknown page type message");

    is_int(bw_parquet_page_header_parse(NULL, 3, 0, &h, &used, &err), BW_EINVAL, "NULL buffer refused");
}

/* ---- file descriptors, arguments, allocation failures --------------------- */

static void test_fd_and_args(void)
{
    static uint8_t f[1 << 16];
    size_t n = hb_file(L_NONE, f, sizeof(f));
    char *dir = tu_tmpdir(), *p;
    bw_parquet_meta *m = NULL;
    bw_error err;
    int fd, pipefd[2];

    tu_write(dir, "t.parquet", f, n);
    tu_write(dir, "short.parquet", "PAR1PAR1", 8);
    tu_write(dir, "lie.parquet", f, hb_file(L_META_LEN, f, sizeof(f)));
    p = tu_join(dir, "t.parquet");
    fd = open(p, O_RDONLY | O_CLOEXEC);
    bw_error_clear(&err);
    is_int(bw_parquet_meta_read_fd(fd, "t.parquet", &m, &err), BW_OK, "read_fd on a hand-built file");
    ok(m != NULL && m->n_leaves == 3 && m->num_rows == 7, "read_fd result");
    bw_parquet_meta_free(m);
    close(fd);
    free(p);

    p = tu_join(dir, "short.parquet");
    fd = open(p, O_RDONLY | O_CLOEXEC);
    bw_error_clear(&err);
    is_int(bw_parquet_meta_read_fd(fd, "short.parquet", &m, &err), BW_EFORMAT, "read_fd: 8-byte file refused");
    like(err.msg, "fewer than 12", "read_fd: short message");
    close(fd);
    free(p);

    p = tu_join(dir, "lie.parquet");
    fd = open(p, O_RDONLY | O_CLOEXEC);
    bw_error_clear(&err);
    is_int(bw_parquet_meta_read_fd(fd, "lie.parquet", &m, &err), BW_EFORMAT, "read_fd: lying length refused");
    like(err.msg, "lie.parquet: offset ", "read_fd: message names the file");
    like(err.msg, "is larger than the", "read_fd: message says why");
    close(fd);
    free(p);

    if (pipe(pipefd) == 0) {
        bw_error_clear(&err);
        is_int(bw_parquet_meta_read_fd(pipefd[0], "pipe", &m, &err), BW_EIO, "read_fd: a pipe is refused");
        close(pipefd[0]);
        close(pipefd[1]);
    }
    is_int(bw_parquet_meta_read_fd(-1, "x", &m, &err), BW_EINVAL, "read_fd: bad descriptor");
    is_int(bw_parquet_meta_parse(NULL, 5, "x", &m, &err), BW_EINVAL, "parse: NULL buffer");
    bw_error_clear(&err);
    is_int(bw_parquet_meta_parse(f, 11, NULL, &m, &err), BW_EFORMAT, "parse: 11 bytes");
    like(err.msg, "parquet: offset 0: ", "parse: default name");
    bw_parquet_meta_free(NULL);
    ok(strcmp(bw_parquet_codec_name(6), "ZSTD") == 0 && strcmp(bw_parquet_codec_name(99), "?") == 0 &&
           strcmp(bw_parquet_encoding_name(8), "RLE_DICTIONARY") == 0 &&
           strcmp(bw_parquet_encoding_name(1), "?") == 0 &&
           strcmp(bw_parquet_logical_name(BW_PARQUET_LT_OTHER), "OTHER") == 0,
       "names");
    tu_rm_rf(dir);
    free(dir);
}

static void test_alloc_failures(void)
{
    static uint8_t f[1 << 16];
    size_t n = hb_file(L_NONE, f, sizeof(f)), bad = 0;
    long i;

    for (i = 0; i < 100; i++) {
        bw_parquet_meta *m = NULL;
        bw_error err;
        bw_status rc;
        bw_error_clear(&err);
        bw_alloc_fail_after(i);
        rc = bw_parquet_meta_parse(f, n, "t.parquet", &m, &err);
        bw_alloc_fail_after(-1);
        if (rc == BW_OK) {
            bw_parquet_meta_free(m);
            break;
        }
        bad += rc != BW_ENOMEM || m != NULL;
    }
    is_int(bad, 0, "every failed allocation is BW_ENOMEM (%ld allocations)", i);
    ok(i > 3 && i < 100, "the parse succeeds once allocations do");
}

int main(void)
{
    test_handbuilt_valid();
    test_handbuilt_lies();
    test_fixtures();
    test_invalid_fixture();
    test_type_fit();
    test_limits();
    test_page_headers();
    test_fd_and_args();
    test_alloc_failures();
    return done_testing();
}
