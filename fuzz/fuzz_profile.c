/*
 * fuzz_profile.c - the profile JSON reader on arbitrary bytes.
 *
 * A refusal must be BW_EFORMAT, BW_ELIMIT or BW_ENOMEM with a message. An
 * accepted profile must answer every query, write JSON that reads back and
 * writes again to the same bytes (the format has one encoding per profile),
 * and merge with a copy of itself: rows and counts double, and the merged
 * profile must in turn write and read back. Anything else: abort().
 */
#include <stdbool.h>
#include <string.h>

#include "bulwark/bw_profile.h"
#include "fuzz.h"

#define CHECK(x) FUZZ_CHECK(x)

/* strict: the profile came from the reader, so it must read back; a merge may overflow what the reader accepts */
static void roundtrip(const bw_profile *p, bool strict)
{
    bw_buf a = BW_BUF_INIT((size_t)512 << 20), b = BW_BUF_INIT((size_t)512 << 20);
    bw_profile *q = NULL;
    bw_error err = {0};
    bw_status rc = bw_profile_write_json(p, "f", 3, 0, &a, &err);

    CHECK(rc == BW_OK || rc == BW_ENOMEM);
    if (rc == BW_OK) {
        rc = bw_profile_read_json(&q, a.ptr, a.len, &err);
        CHECK(rc == BW_OK || rc == BW_ENOMEM || (!strict && rc == BW_EFORMAT));
        if (rc == BW_OK) {
            CHECK(bw_profile_write_json(q, "f", 3, 0, &b, &err) == BW_OK);
            CHECK(a.len == b.len && memcmp(a.ptr, b.ptr, a.len) == 0);
        }
    }
    bw_profile_free(q);
    bw_buf_release(&a);
    bw_buf_release(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    bw_profile *p = NULL, *q = NULL;
    bw_error err = {0};
    bw_status rc = bw_profile_read_json(&p, data, size, &err);

    if (rc != BW_OK) {
        CHECK(rc == BW_EFORMAT || rc == BW_ELIMIT || rc == BW_ENOMEM);
        CHECK(err.code == rc && err.msg[0] != '\0');
        return 0;
    }
    for (size_t i = 0; i < bw_profile_ncols(p); i++) {
        bw_profile_column c;
        bw_profile_top *tv = NULL;
        size_t n = 0;
        rc = bw_profile_column_get(p, i, &c, &err);
        CHECK(rc == BW_OK || rc == BW_ENOMEM);
        CHECK(rc != BW_OK || c.nulls <= c.count);
        rc = bw_profile_top_values(p, i, 5, &tv, &n, &err);
        CHECK(rc == BW_OK || rc == BW_ENOMEM);
        bw_profile_top_free(tv, n);
    }
    roundtrip(p, true);
    /* the same bytes again, merged in */
    if (bw_profile_read_json(&q, data, size, &err) == BW_OK) {
        uint64_t rows = bw_profile_rows(p);
        rc = bw_profile_merge(p, q, &err);
        CHECK(rc == BW_OK || rc == BW_ENOMEM || rc == BW_ELIMIT);
        if (rc == BW_OK) {
            CHECK(bw_profile_rows(p) == 2 * rows);
            roundtrip(p, false);
        }
    }
    bw_profile_free(q);
    bw_profile_free(p);
    return 0;
}
