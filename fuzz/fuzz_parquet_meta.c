/*
 * fuzz_parquet_meta.c - the Parquet metadata reader and page header parser
 * on arbitrary bytes.
 *
 * Each input is tried three ways:
 *   1. as a whole file, through bw_parquet_meta_parse and, on a memfd,
 *      bw_parquet_meta_read_fd, which must agree with it;
 *   2. as the FileMetaData alone, framed with "PAR1", 16 bytes of data, its
 *      length and "PAR1", so mutations reach the Thrift reader without
 *      having to keep the footer length right;
 *   3. as a page header.
 * A parse that succeeds is checked against its own invariants (every view
 * read end to end, chunks inside the data region, one chunk per leaf, row
 * counts that add up, levels that fit the flags), abort() otherwise. A parse
 * that fails must leave a message and an offset inside the input.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bulwark/bw_parquet.h"
#include "fuzz.h"

#define CHECK(x) FUZZ_CHECK(x)

/* Read every byte of a view, so ASan sees one that points outside its memory. */
static unsigned touch(bw_bytes b)
{
    unsigned h = 0;
    for (size_t i = 0; i < b.len; i++) {
        h = h * 31 + b.ptr[i];
    }
    return h;
}

static volatile unsigned sink;

static void check_stats(const bw_parquet_stats *s)
{
    sink += touch(s->min) + touch(s->max) + touch(s->min_value) + touch(s->max_value);
    CHECK(s->null_count >= 0 && s->distinct_count >= 0 && s->nan_count >= 0);
}

static void check_meta(const bw_parquet_meta *m, size_t size)
{
    int64_t rows = 0;

    CHECK(m->file_size == size);
    CHECK(m->meta_offset >= 4 && m->meta_offset + m->meta_len + 8 == size);
    CHECK(m->num_rows >= 0 && m->n_nodes >= 1);
    sink += touch(m->created_by);
    for (size_t i = 0; i < m->n_kv; i++) {
        sink += touch(m->kv[i].key) + touch(m->kv[i].value);
    }
    for (size_t i = 0; i < m->n_nodes; i++) {
        const bw_parquet_node *e = &m->nodes[i];
        sink += touch(e->name);
        CHECK(e->name.len <= m->meta_len);
        CHECK(i == 0 || e->parent < i);
        CHECK(i == 0 || e->depth == m->nodes[e->parent].depth + 1);
        CHECK(e->depth <= BW_PARQUET_MAX_SCHEMA_DEPTH && e->max_rep <= e->max_def);
        CHECK(e->leaf < 0 || (size_t)e->leaf < m->n_leaves);
    }
    for (size_t i = 0; i < m->n_leaves; i++) {
        const bw_parquet_leaf *l = &m->leaves[i];
        size_t plen = strlen(l->path);
        CHECK(l->node < m->n_nodes && m->nodes[l->node].leaf == (int32_t)i);
        CHECK(plen >= l->name.len && memcmp(l->path + plen - l->name.len, l->name.ptr, l->name.len) == 0);
        CHECK(l->type >= BW_PARQUET_BOOLEAN && l->type <= BW_PARQUET_FIXED_LEN_BYTE_ARRAY);
        CHECK(l->type != BW_PARQUET_FIXED_LEN_BYTE_ARRAY || l->type_length > 0);
        CHECK(!(l->flags & BW_PARQUET_LEAF_NESTED) || l->unsupported != NULL);
        CHECK((l->flags & BW_PARQUET_LEAF_NESTED) || (l->max_rep == 0 && l->max_def <= 1));
    }
    for (size_t r = 0; r < m->n_row_groups; r++) {
        const bw_parquet_row_group *rg = &m->row_groups[r];
        CHECK(rg->num_rows >= 0 && rg->total_byte_size >= 0);
        CHECK(!__builtin_add_overflow(rows, rg->num_rows, &rows));
        for (size_t i = 0; i < m->n_leaves; i++) {
            const bw_parquet_chunk *c = &rg->chunks[i];
            sink += touch(c->file_path);
            check_stats(&c->stats);
            if (!c->has_meta) {
                CHECK(c->flags & BW_PARQUET_CHUNK_ENCRYPTED);
                continue;
            }
            CHECK(c->type == m->leaves[i].type);
            CHECK(c->num_values >= rg->num_rows);
            CHECK(!(c->stats.has & BW_PARQUET_STAT_NULL_COUNT) || c->stats.null_count <= c->num_values);
            if (c->flags & BW_PARQUET_CHUNK_EXTERNAL) {
                continue;
            }
            CHECK(c->start >= 4 && c->start <= c->end && c->end <= m->meta_offset);
            CHECK(c->end - c->start == (uint64_t)c->total_compressed_size);
            CHECK((uint64_t)c->data_page_offset >= c->start);
        }
    }
    CHECK(rows == m->num_rows);
}

static void check_failed(bw_status rc, const bw_error *err, size_t size)
{
    CHECK(rc == BW_EFORMAT || rc == BW_ELIMIT || rc == BW_EUNSUPPORTED || rc == BW_ENOMEM);
    CHECK(err->code == rc && err->msg[0] != '\0');
    CHECK(err->offset == BW_NO_OFFSET || err->offset <= size);
}

/* The whole-file reader, and the descriptor reader on the same bytes: the same answer. */
static void whole_file(const uint8_t *data, size_t size)
{
    bw_parquet_meta *m = NULL, *mf = NULL;
    bw_error err, errf;
    bw_status rc, rcf;
    int fd;

    bw_error_clear(&err);
    rc = bw_parquet_meta_parse(data, size, "fuzz", &m, &err);
    if (rc == BW_OK) {
        check_meta(m, size);
    } else {
        CHECK(m == NULL);
        check_failed(rc, &err, size);
    }
    fd = memfd_create("fuzz_parquet_meta", MFD_CLOEXEC);
    if (fd >= 0 && (size == 0 || write(fd, data, size) == (ssize_t)size)) {
        bw_error_clear(&errf);
        rcf = bw_parquet_meta_read_fd(fd, "fuzz", &mf, &errf);
        CHECK(rcf == rc);
        if (rcf == BW_OK) {
            CHECK(mf->n_leaves == m->n_leaves && mf->n_row_groups == m->n_row_groups && mf->num_rows == m->num_rows);
        } else {
            CHECK(errf.offset == err.offset && strcmp(errf.msg, err.msg) == 0);
        }
        bw_parquet_meta_free(mf);
    }
    if (fd >= 0) {
        close(fd);
    }
    bw_parquet_meta_free(m);
}

/* The input as FileMetaData: "PAR1", 16 data bytes, the input, its length, "PAR1". */
static void as_footer(const uint8_t *data, size_t size)
{
    size_t n = 4 + 16 + size + 8;
    uint8_t *f;
    bw_parquet_meta *m = NULL;
    bw_error err;
    bw_status rc;

    if (size > 0xffffffffu || (f = malloc(n)) == NULL) {
        return;
    }
    memcpy(f, "PAR1", 4);
    memset(f + 4, 0, 16);
    if (size > 0) {
        memcpy(f + 20, data, size);
    }
    f[20 + size] = (uint8_t)size;
    f[21 + size] = (uint8_t)(size >> 8);
    f[22 + size] = (uint8_t)(size >> 16);
    f[23 + size] = (uint8_t)(size >> 24);
    memcpy(f + 24 + size, "PAR1", 4);
    bw_error_clear(&err);
    rc = bw_parquet_meta_parse(f, n, "fuzz", &m, &err);
    if (rc == BW_OK) {
        check_meta(m, n);
    } else {
        CHECK(m == NULL);
        check_failed(rc, &err, n);
    }
    bw_parquet_meta_free(m);
    free(f);
}

static void as_page_header(const uint8_t *data, size_t size)
{
    bw_parquet_page_header h;
    size_t used = 0;
    bw_error err;
    bw_status rc;

    bw_error_clear(&err);
    rc = bw_parquet_page_header_parse(data, size, 1000, &h, &used, &err);
    if (rc != BW_OK) {
        CHECK(err.msg[0] != '\0' && err.offset >= 1000 && err.offset <= 1000 + size);
        return;
    }
    CHECK(used > 0 && used <= size);
    CHECK(h.type >= BW_PARQUET_DATA_PAGE && h.type <= BW_PARQUET_DATA_PAGE_V2);
    CHECK(h.compressed_size >= 0 && h.uncompressed_size >= 0 && h.num_values >= 0);
    if (h.type == BW_PARQUET_DATA_PAGE_V2) {
        CHECK(h.num_nulls >= 0 && h.num_nulls <= h.num_values && h.num_rows <= h.num_values);
        CHECK(h.def_length >= 0 && h.rep_length >= 0);
        CHECK((int64_t)h.def_length + h.rep_length <= h.compressed_size);
    }
    check_stats(&h.stats);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    whole_file(data, size);
    as_footer(data, size);
    as_page_header(data, size);
    return 0;
}
