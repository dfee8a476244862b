/*
 * fuzz_statcache.c - the stat cache of incremental sign/verify
 * (lib/trust/statcache.c) from arbitrary bytes. Each input is read twice:
 * as it is (the MAC must refuse it unless it carries a valid one), and with
 * a valid MAC appended under a fixed key, so the layout reader behind the
 * MAC is exercised too: no crash, every failure says why and leaves nothing
 * behind. A cache that parses is written again, must come out byte for byte
 * the same (the format has one encoding), and must parse to the same
 * entries; lookups find every entry.
 */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "trust/statcache.h"
#include "util/internal.h"

static const uint8_t key[BW_STATCACHE_KEY_BYTES] = "fuzz-key-fuzz-key-fuzz-key-fuzz!";

static void check(const uint8_t *data, size_t size, bool must_fail)
{
    bw_statcache c, c2;
    bw_error err;
    bw_buf out = BW_BUF_INIT((size_t)1 << 30);

    bw_error_clear(&err);
    if (bw_statcache_parse(data, size, key, "fuzz", &c, &err) != BW_OK) {
        FUZZ_CHECK(err.code != BW_OK && err.msg[0] != '\0');
        FUZZ_CHECK(c.entries == NULL && c.root == NULL && c.n == 0);
        return;
    }
    FUZZ_CHECK(!must_fail);
    FUZZ_CHECK(c.root != NULL && (c.n == 0 || c.entries != NULL));
    for (size_t i = 0; i < c.n; i++) {
        FUZZ_CHECK(bw_statcache_find(&c, c.entries[i].name) == &c.entries[i]);
        FUZZ_CHECK(i == 0 || bw_path_cmp(c.entries[i - 1].name, c.entries[i].name) < 0);
    }
    FUZZ_CHECK(bw_statcache_write(&c, key, &out) == BW_OK);
    FUZZ_CHECK(out.len == size && memcmp(out.ptr, data, size) == 0);
    FUZZ_CHECK(bw_statcache_parse(out.ptr, out.len, key, "again", &c2, &err) == BW_OK && c2.n == c.n);
    for (size_t i = 0; i < c.n; i++) {
        FUZZ_CHECK(strcmp(c.entries[i].name, c2.entries[i].name) == 0 &&
                   bw_stat_tuple_equal(&c.entries[i].st, &c2.entries[i].st) &&
                   memcmp(c.entries[i].digest, c2.entries[i].digest, 32) == 0);
    }
    bw_statcache_release(&c2);
    bw_statcache_release(&c);
    bw_buf_release(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *signed_copy;
    unsigned int len = 0;

    if (size > ((size_t)1 << 24)) {
        return 0;
    }
    /* as given: only a cache that really carries the key's MAC may parse */
    check(data, size, false);
    signed_copy = malloc(size + 32);
    FUZZ_CHECK(signed_copy != NULL);
    if (size > 0) {
        memcpy(signed_copy, data, size);
    }
    FUZZ_CHECK(HMAC(EVP_sha256(), key, sizeof(key), data, size, signed_copy + size, &len) != NULL && len == 32);
    check(signed_copy, size + 32, false);
    /* one flipped bit in the MAC'd bytes is always refused */
    if (size > 0) {
        signed_copy[size / 2] ^= 1;
        check(signed_copy, size + 32, true);
    }
    free(signed_copy);
    return 0;
}
