/*
 * fuzz_manifest.c - bw_manifest_parse over arbitrary bytes (statements,
 * bundles, DSSE envelopes, sha256sum and BSD-tag lines), plus a round trip:
 * whatever parses is written back as a statement, parsed again, and must
 * come back identical, and must compare equal to itself.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "util/internal.h"

static void check_same(const bw_manifest *a, const bw_manifest *b)
{
    if (a->n != b->n || a->algo != b->algo || a->shard_size != b->shard_size || !bw_digest_equal(&a->root, &b->root)) {
        abort();
    }
    for (size_t i = 0; i < a->n; i++) {
        const bw_manifest_entry *x = &a->entries[i], *y = &b->entries[i];
        if (strcmp(x->name, y->name) != 0 || x->start != y->start || x->end != y->end ||
            !bw_digest_equal(&x->digest, &y->digest) || x->size != y->size) {
            abort();
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    bw_manifest *m = NULL, *again = NULL;
    bw_manifest_diff d = {0};
    bw_buf out = BW_BUF_INIT((size_t)64 << 20);
    bw_error err;

    bw_error_clear(&err);
    if (bw_manifest_parse(&m, data, size, "fuzz", &err) != BW_OK) {
        if (err.code == BW_OK || err.msg[0] == '\0') {
            abort(); /* every failure must say why */
        }
        return 0;
    }
    if (bw_manifest_compare(m, m, &d, NULL) != BW_OK || d.n != 0) {
        abort();
    }
    bw_manifest_diff_release(&d);
    switch (bw_manifest_write_json(m, &out)) {
    case BW_OK: break;
    case BW_EUNSUPPORTED: /* a name that is not UTF-8: refused, not mangled */
        bw_manifest_free(m);
        bw_buf_release(&out);
        return 0;
    default: abort();
    }
    if (bw_manifest_parse(&again, out.ptr, out.len, "round trip", &err) != BW_OK) {
        abort();
    }
    check_same(m, again);
    bw_manifest_free(again);
    bw_manifest_free(m);
    bw_buf_release(&out);
    return 0;
}
