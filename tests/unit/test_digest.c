/*
 * test_digest.c - digests: known answers, incremental hashing, hex, files,
 * standard-input-free file paths, and detection of files that change while
 * they are read.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tap.h"
#include "testutil.h"
#include "trust/digest_internal.h"
#include "util/internal.h"

static void hex_of(bw_algo a, const void *p, size_t n, char *out)
{
    bw_digest d;
    ok(bw_digest_bytes(a, p, n, &d) == BW_OK, "digest of %zu bytes", n);
    bw_digest_hex(&d, out);
}

static void known_answers(void)
{
    char hex[BW_DIGEST_HEX_MAX];
    char *million = malloc(1000000);

    hex_of(BW_ALGO_SHA256, "abc", 3, hex);
    is_str(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "sha256(abc), FIPS 180-2");
    hex_of(BW_ALGO_SHA256, "", 0, hex);
    is_str(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "sha256 of nothing");
    memset(million, 'a', 1000000);
    hex_of(BW_ALGO_SHA256, million, 1000000, hex);
    is_str(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0", "sha256 of a million 'a'");
    hex_of(BW_ALGO_BLAKE2B, "abc", 3, hex);
    is_str(hex,
           "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d17d87c5392aab792dc252d5de4533cc9518d38a"
           "a8dbf1925ab92386edd4009923",
           "blake2b-512(abc), RFC 7693 appendix A");
    free(million);
}

static void incremental(void)
{
    bw_hasher *h = NULL;
    bw_digest one, inc, again;
    uint8_t data[10000];

    for (size_t i = 0; i < sizeof(data); i++) {
        data[i] = (uint8_t)(i * 31 + 7);
    }
    ok(bw_digest_bytes(BW_ALGO_SHA256, data, sizeof(data), &one) == BW_OK, "one-shot");
    ok(bw_hasher_new(&h, BW_ALGO_SHA256, NULL) == BW_OK, "hasher");
    {
        int updates_ok = 1;
        for (size_t off = 0; off < sizeof(data); off += 777) {
            size_t n = sizeof(data) - off < 777 ? sizeof(data) - off : 777;
            updates_ok &= bw_hasher_update(h, data + off, n) == BW_OK;
        }
        ok(updates_ok, "updates in 777-byte pieces");
    }
    ok(bw_hasher_final(h, &inc) == BW_OK, "final");
    ok(bw_digest_equal(&one, &inc), "incremental equals one-shot");
    ok(bw_hasher_update(h, data, sizeof(data)) == BW_OK && bw_hasher_final(h, &again) == BW_OK &&
           bw_digest_equal(&one, &again),
       "a hasher is reset by final and reusable");
    bw_hasher_free(h);
    bw_hasher_free(NULL);
}

static void hex_and_names(void)
{
    bw_digest a, b;
    bw_algo al;
    const char *h = "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD";

    ok(bw_digest_from_hex(BW_ALGO_SHA256, h, 64, &a) == BW_OK, "upper-case hex parses");
    ok(bw_digest_bytes(BW_ALGO_SHA256, "abc", 3, &b) == BW_OK && bw_digest_equal(&a, &b), "and equals sha256(abc)");
    ok(bw_digest_from_hex(BW_ALGO_SHA256, h, 63, &a) == BW_EFORMAT, "63 digits refused");
    ok(bw_digest_from_hex(BW_ALGO_SHA256, "g1", 2, &a) == BW_EFORMAT, "wrong length refused");
    ok(bw_digest_from_hex(BW_ALGO_SHA256, "zz7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", 64, &a) ==
           BW_EFORMAT,
       "non-hex refused");
    b.bytes[31] ^= 1;
    ok(!bw_digest_equal(&a, &b), "one flipped bit is unequal");
    ok(bw_algo_parse("SHA-256", &al) == BW_OK && al == BW_ALGO_SHA256, "SHA-256 spelling");
    ok(bw_algo_parse("blake2b-512", &al) == BW_OK && al == BW_ALGO_BLAKE2B, "blake2b-512 spelling");
    ok(bw_algo_parse("md5", &al) == BW_EINVAL, "md5 is not offered");
    is_int(bw_algo_size(BW_ALGO_BLAKE2B), 64, "blake2b is 64 bytes");
    is_str(bw_algo_name(BW_ALGO_SHA256), "sha256", "name");
}

static void files(void)
{
    char *dir = tu_tmpdir(), *path = tu_join(dir, "f.bin"), *link = tu_join(dir, "link"), *fifo = tu_join(dir, "fifo");
    uint8_t data[300000];
    bw_digest want, got;
    uint64_t size = 0;
    bw_error err;

    for (size_t i = 0; i < sizeof(data); i++) {
        data[i] = (uint8_t)(i ^ (i >> 8));
    }
    tu_write(dir, "f.bin", data, sizeof(data));
    ok(bw_digest_bytes(BW_ALGO_SHA256, data, sizeof(data), &want) == BW_OK, "reference");
    bw_error_clear(&err);
    ok(bw_digest_file(path, BW_ALGO_SHA256, &got, &size, &err) == BW_OK, "digest a file");
    ok(bw_digest_equal(&want, &got), "file digest equals the bytes' digest");
    is_int(size, sizeof(data), "size reported");

    tu_write(dir, "empty", "", 0);
    {
        char *e = tu_join(dir, "empty");
        char hex[BW_DIGEST_HEX_MAX];
        ok(bw_digest_file(e, BW_ALGO_SHA256, &got, &size, NULL) == BW_OK && size == 0, "empty file");
        bw_digest_hex(&got, hex);
        is_str(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "empty digest");
        free(e);
    }

    bw_error_clear(&err);
    ok(bw_digest_file("/nonexistent/bulwark-test", BW_ALGO_SHA256, &got, NULL, &err) == BW_ENOTFOUND, "missing file");
    like(err.msg, "cannot open '/nonexistent/bulwark-test'", "message names the file");

    bw_error_clear(&err);
    ok(bw_digest_file(dir, BW_ALGO_SHA256, &got, NULL, &err) == BW_EIO, "a directory is refused");
    like(err.msg, "is a directory", "and says why");

    ok(symlink(path, link) == 0, "make a symlink");
    bw_error_clear(&err);
    ok(bw_digest_file(link, BW_ALGO_SHA256, &got, NULL, &err) == BW_EIO, "a symlink is not followed");
    like(err.msg, "symbolic link", "and says why");

    ok(mkfifo(fifo, 0600) == 0, "make a FIFO");
    bw_error_clear(&err);
    ok(bw_digest_file(fifo, BW_ALGO_SHA256, &got, NULL, &err) == BW_EIO, "a FIFO is refused without blocking");
    like(err.msg, "FIFO", "and says why");

    tu_rm_rf(dir);
    free(dir);
    free(path);
    free(link);
    free(fifo);
}

/* Deterministic stand-ins for another process changing the file mid-read. */
static void changed_while_read(void)
{
    char *dir = tu_tmpdir(), *path = tu_join(dir, "f");
    uint8_t buf[4096], data[100000];
    bw_file *f = NULL;
    bw_hasher *h = NULL;
    bw_digest d;
    bw_error err;
    struct timespec ts[2];
    int fd;

    memset(data, 'x', sizeof(data));
    tu_write(dir, "f", data, sizeof(data));
    ok(bw_file_open(&f, path, 0, NULL) == BW_OK, "open");
    ok(bw_hasher_new(&h, BW_ALGO_SHA256, NULL) == BW_OK, "hasher");
    fd = open(path, O_WRONLY);
    ok(fd >= 0 && ftruncate(fd, 50000) == 0, "another writer truncates the file");
    bw_error_clear(&err);
    ok(bw_digest_range(f, h, 0, sizeof(data), buf, sizeof(buf), NULL, &d, &err) == BW_ECHANGED,
       "reading past the new end is a change, not a short digest");
    like(err.msg, "changed while being read", "message");
    bw_error_clear(&err);
    ok(bw_file_check_unchanged(f, &err) == BW_ECHANGED, "the size check sees it too");
    like(err.msg, "size was 100000, now 50000", "with both sizes");
    bw_file_close(f);

    ok(bw_file_open(&f, path, 0, NULL) == BW_OK, "reopen");
    ts[0].tv_sec = 1000000000;
    ts[0].tv_nsec = 0;
    ts[1] = ts[0];
    ok(futimens(fd, ts) == 0, "another writer rewrites in place (same size, new mtime)");
    bw_error_clear(&err);
    ok(bw_file_check_unchanged(f, &err) == BW_ECHANGED, "a moved mtime is a change");
    like(err.msg, "modification time", "message says what changed");
    bw_file_close(f);
    close(fd);
    bw_hasher_free(h);
    tu_rm_rf(dir);
    free(dir);
    free(path);
}

static void out_of_memory(void)
{
    char *dir = tu_tmpdir(), *path;
    int failures = 0, successes = 0;
    bw_digest d;

    tu_write_str(dir, "f", "some content");
    path = tu_join(dir, "f");
    for (long n = 0; n < 20; n++) {
        bw_status rc;
        bw_alloc_fail_after(n);
        rc = bw_digest_file(path, BW_ALGO_SHA256, &d, NULL, NULL);
        bw_alloc_fail_after(-1);
        if (rc == BW_ENOMEM) {
            failures++;
        } else if (rc == BW_OK) {
            successes++;
        }
    }
    ok(failures > 0, "allocation failures are reported as BW_ENOMEM (%d)", failures);
    ok(failures + successes == 20, "and nothing else goes wrong");
    tu_rm_rf(dir);
    free(dir);
    free(path);
}

int main(void)
{
    known_answers();
    incremental();
    hex_and_names();
    files();
    changed_while_read();
    out_of_memory();
    return done_testing();
}
