/*
 * fuzz_gguf.c - the gguf reader and scanner on arbitrary bytes.
 *
 * The parser runs on the input; on success its result is checked against
 * the input (views inside it, sizes that add up), abort() otherwise. The
 * scanner then runs through the public entry point with a fresh report.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bulwark/bulwark.h"
#include "fuzz.h"

#define CHECK(x) FUZZ_CHECK(x)

static inline int inside(const uint8_t *base, size_t n, bw_bytes v)
{
    return v.len == 0 || (v.ptr >= base && v.len <= n && (size_t)(v.ptr - base) <= n - v.len);
}

static void check_parse(const uint8_t *data, size_t size);

/* lib/scan/scan_gguf.c: the rules the scanner reports. */
const bw_rule *const *bw_scan_gguf_rules(size_t *n);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t nr = 0;

    CHECK(bw_scan_gguf_rules(&nr) != NULL && nr > 0);
    check_parse(data, size);
    fuzz_scan(data, size);
    return 0;
}

static void check_parse(const uint8_t *data, size_t size)
{
    bw_gguf_file f;
    bw_error err;
    bw_jinja_hit hit;

    bw_error_clear(&err);

    if (bw_gguf_parse(data, size, "fuzz", &f, &err) != BW_OK) {
        CHECK(err.code != BW_OK && err.msg[0] != '\0');
        CHECK(err.offset == BW_NO_OFFSET || err.offset <= size);
    } else {
        CHECK(f.version >= 1 && f.version <= 3);
        CHECK(f.alignment != 0 && (f.alignment & (f.alignment - 1)) == 0);
        CHECK(f.data_start % f.alignment == 0);
        for (uint64_t i = 0; i < f.n_kv; i++) {
            CHECK(inside(data, size, f.kv[i].key));
            CHECK(inside(data, size, f.kv[i].str));
        }
        for (uint64_t i = 0; i < f.n_tensors; i++) {
            const bw_gguf_tensor *t = &f.tensors[i];
            CHECK(inside(data, size, t->name));
            CHECK(t->n_dims <= BW_GGUF_MAX_DIMS);
            CHECK(f.data_start + t->offset + t->nbytes <= size);
            CHECK(t->offset % f.alignment == 0);
        }
        bw_gguf_release(&f);
    }
    /* the template checker on the raw bytes too */
    memset(&hit, 0, sizeof(hit));
    if (bw_jinja_suspicious((const char *)data, size, &hit) == 1) {
        CHECK(hit.what != NULL && hit.at < size);
        CHECK(memchr(hit.excerpt, '\0', sizeof(hit.excerpt)) != NULL);
    }
}
