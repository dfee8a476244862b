/*
 * fuzz_zip.c - the zip reader: parse, then extract every member under small
 * limits, checking what the reader promises (abort() on violation):
 *   - a parse that fails leaves nothing to free but is still released;
 *   - every entry with local_ok has its data inside the input, after its
 *     local header; prepended + the central directory fit in the input;
 *   - issues name an entry that exists (or SIZE_MAX), with a NUL-terminated
 *     message;
 *   - an extracted member is never over the member limit, the running total
 *     never over the total limit, a stored member is a view inside the
 *     input, and crc_ok agrees with a CRC computed here;
 *   - a failed extraction hands out nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "bulwark/bulwark.h"
#include "fuzz.h"

#define MEMBER_MAX (256u * 1024u)
#define TOTAL_MAX (1024u * 1024u)

#define CHECK(x)                                                                                                       \
    do {                                                                                                               \
        if (!(x)) {                                                                                                    \
            fprintf(stderr, "fuzz_zip: invariant failed: %s (line %d)\n", #x, __LINE__);                               \
            abort();                                                                                                   \
        }                                                                                                              \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    bw_zip z;
    bw_zip_opts o = BW_ZIP_OPTS_INIT;
    bw_error err;
    bw_status rc;
    uint64_t total = 0;

    o.max_entries = 4096;
    o.max_issues = 64;
    o.max_member_size = MEMBER_MAX;
    o.max_total_size = TOTAL_MAX;
    o.max_ratio = 50;
    (void)bw_zip_sniff(data, size);
    bw_error_clear(&err);
    rc = bw_zip_parse(&z, data, size, &o, &err);
    if (rc != BW_OK) {
        CHECK(rc == BW_EFORMAT || rc == BW_ELIMIT || rc == BW_ENOMEM);
        CHECK(memchr(err.msg, '\0', sizeof(err.msg)) != NULL && err.code == rc);
        bw_zip_release(&z);
        return 0;
    }
    CHECK(z.cd_offset <= size && z.cd_size <= size - z.cd_offset);
    CHECK(z.prepended <= z.cd_offset && z.eocd_offset < size);
    CHECK(z.n_issues <= o.max_issues);
    for (size_t i = 0; i < z.n_issues; i++) {
        CHECK(z.issues[i].entry == SIZE_MAX || z.issues[i].entry < z.n_entries);
        CHECK(memchr(z.issues[i].msg, '\0', sizeof(z.issues[i].msg)) != NULL);
    }
    for (size_t i = 0; i < z.n_entries; i++) {
        const bw_zip_entry *e = &z.entries[i];
        bw_zip_data d;

        CHECK(e->name.len == 0 || (e->name.ptr >= data && e->name.ptr + e->name.len <= data + size));
        if (e->local_ok) {
            CHECK(e->data_offset >= e->local_offset + 30 && e->data_offset <= size);
            CHECK(e->csize <= size - e->data_offset);
        }
        bw_error_clear(&err);
        rc = bw_zip_extract(&z, i, &d, &err);
        if (rc != BW_OK) {
            CHECK(rc == BW_EFORMAT || rc == BW_ELIMIT || rc == BW_EUNSUPPORTED || rc == BW_ENOMEM);
            CHECK(d.bytes.ptr == NULL && d.bytes.len == 0 && d.owned == NULL);
            bw_zip_data_release(&d);
            continue;
        }
        CHECK(e->local_ok && (e->method == 0 || e->method == 8));
        CHECK(d.bytes.len <= MEMBER_MAX);
        total += d.bytes.len;
        CHECK(total <= TOTAL_MAX && total == z.extracted);
        if (e->method == 0) {
            CHECK(d.owned == NULL && d.bytes.ptr == data + e->data_offset && d.bytes.len == e->csize);
        } else {
            CHECK(d.bytes.len <= (uint64_t)e->csize * 50 + BW_ZIP_RATIO_SLACK);
        }
        CHECK(d.crc_ok == ((uint32_t)crc32_z(0, d.bytes.ptr, d.bytes.len) == e->crc32));
        CHECK(d.size_ok == (d.bytes.len == e->usize));
        bw_zip_data_release(&d);
    }
    bw_zip_release(&z);
    return 0;
}
