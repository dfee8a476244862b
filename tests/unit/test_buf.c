/*
 * test_buf.c - bw_buf: growth, the max cap, the sticky error, take(),
 * printf, NUL termination with binary data, and every out-of-memory path
 * (driven through bw_alloc_fail_after).
 */
#include "tap.h"
#include "util/internal.h"

/* The stated invariant: ptr NULL or NUL-terminated at len; len < cap <= max + 1. */
static int buf_invariant(const bw_buf *b)
{
    if (b->ptr == NULL) {
        return b->len == 0 && b->cap == 0;
    }
    return b->len < b->cap && b->cap <= b->max + 1 && b->ptr[b->len] == '\0';
}

static void test_init(void)
{
    bw_buf b;
    bw_buf s = BW_BUF_INIT(10);

    bw_buf_init(&b, 100);
    ok(b.ptr == NULL && b.len == 0 && b.cap == 0, "init allocates nothing");
    is_int(b.max, 100, "init sets max");
    is_int(b.err, BW_OK, "init clears err");
    ok(s.ptr == NULL && s.len == 0 && s.max == 10 && s.err == BW_OK, "BW_BUF_INIT matches init");
    bw_buf_release(&b);
    ok(b.ptr == NULL && b.len == 0, "release of an empty buffer is fine");
}

static void test_growth(void)
{
    bw_buf b;
    char expect[5000];
    int inv = 1;

    bw_buf_init(&b, 1 << 20);
    is_int(bw_buf_addstr(&b, "hello"), BW_OK, "addstr");
    is_int(b.len, 5, "len after addstr");
    is_str(b.ptr, "hello", "contents after addstr");
    ok(buf_invariant(&b), "invariant after first append");

    bw_buf_reset(&b);
    for (int i = 0; i < 5000; i++) {
        char c = (char)('a' + i % 26);
        expect[i] = c;
        if (bw_buf_addc(&b, c) != BW_OK) {
            break;
        }
        inv &= buf_invariant(&b);
    }
    is_int(b.len, 5000, "5000 single-byte appends");
    ok(inv, "invariant holds after every append");
    ok(b.cap >= 5001, "capacity grew (%zu)", b.cap);
    is_mem(b.ptr, expect, 5000, "contents kept across reallocations");
    is_int(b.ptr[5000], 0, "NUL after the last byte");

    /* grow reserves without changing len */
    {
        size_t len = b.len;
        is_int(bw_buf_grow(&b, 100000), BW_OK, "grow 100000");
        is_int(b.len, len, "grow does not change len");
        ok(b.cap >= len + 100000 + 1, "grow made room including the NUL");
        is_mem(b.ptr, expect, 5000, "grow keeps contents");
    }
    bw_buf_release(&b);
    ok(b.ptr == NULL && b.len == 0 && b.cap == 0 && b.err == BW_OK, "release empties");
}

static void test_reset(void)
{
    bw_buf b;
    char *keep;

    bw_buf_init(&b, 100);
    is_int(bw_buf_addstr(&b, "abc"), BW_OK, "append before reset");
    keep = b.ptr;
    bw_buf_reset(&b);
    ok(b.ptr == keep, "reset keeps the allocation");
    is_int(b.len, 0, "reset sets len 0");
    is_str(b.ptr, "", "reset leaves an empty string");
    is_int(bw_buf_addstr(&b, "xy"), BW_OK, "append after reset");
    is_str(b.ptr, "xy", "contents after reset and append");
    bw_buf_release(&b);
}

static void test_max_cap(void)
{
    bw_buf b;
    char *out = (char *)"sentinel";
    size_t len = 99;

    /* exactly max bytes is allowed */
    bw_buf_init(&b, 8);
    is_int(bw_buf_add(&b, "12345678", 8), BW_OK, "append exactly max bytes");
    is_int(b.len, 8, "len == max");
    ok(buf_invariant(&b), "cap <= max + 1 at the limit (cap %zu)", b.cap);
    is_int(bw_buf_add(&b, "", 0), BW_OK, "empty append at the limit");

    /* one more byte fails, frees, and sticks */
    is_int(bw_buf_addc(&b, '9'), BW_ELIMIT, "append past max fails with BW_ELIMIT");
    ok(b.ptr == NULL, "failure frees the contents");
    is_int(b.len, 0, "failure sets len 0");
    is_int(b.cap, 0, "failure sets cap 0");
    is_int(b.err, BW_ELIMIT, "error is recorded");
    is_int(bw_buf_addstr(&b, "x"), BW_ELIMIT, "later addstr returns the first error");
    is_int(bw_buf_addc(&b, 'x'), BW_ELIMIT, "later addc returns the first error");
    is_int(bw_buf_add(&b, "x", 0), BW_ELIMIT, "later empty add returns the first error");
    is_int(bw_buf_printf(&b, "%d", 1), BW_ELIMIT, "later printf returns the first error");
    is_int(bw_buf_grow(&b, 0), BW_ELIMIT, "later grow returns the first error");
    ok(b.ptr == NULL && b.len == 0, "later appends are no-ops");
    is_int(bw_buf_take(&b, &out, &len), BW_ELIMIT, "take refuses the error state");
    ok(out == NULL, "take hands out nothing on error");
    is_int(len, 0, "take sets len 0 on error");
    bw_buf_release(&b);
    is_int(b.err, BW_OK, "release clears the error");
    is_int(bw_buf_addstr(&b, "ok"), BW_OK, "usable after release");
    is_str(b.ptr, "ok", "contents after release and append");
    bw_buf_release(&b);

    /* a big single append past max, and an overflowing size */
    bw_buf_init(&b, 100);
    is_int(bw_buf_addstr(&b, "abc"), BW_OK, "small append");
    is_int(bw_buf_grow(&b, 98), BW_ELIMIT, "grow past max fails");
    ok(b.ptr == NULL, "grow failure frees");
    bw_buf_release(&b);

    bw_buf_init(&b, SIZE_MAX);
    is_int(bw_buf_addstr(&b, "abc"), BW_OK, "append with max SIZE_MAX");
    is_int(bw_buf_grow(&b, SIZE_MAX), BW_ELIMIT, "len + n overflow is BW_ELIMIT");
    bw_buf_release(&b);

    /* len + n == SIZE_MAX: the +1 for the NUL must not wrap */
    bw_buf_init(&b, SIZE_MAX);
    is_int(bw_buf_grow(&b, SIZE_MAX), BW_ELIMIT, "grow SIZE_MAX on an empty unlimited buffer fails");
    ok(b.ptr == NULL && b.cap == 0, "no room claimed");
    bw_buf_release(&b);

    /* max 0: only the empty string fits */
    bw_buf_init(&b, 0);
    is_int(bw_buf_add(&b, "", 0), BW_OK, "empty append into max 0");
    ok(b.ptr != NULL && b.ptr[0] == '\0' && b.cap == 1, "max 0 holds just the NUL");
    is_int(bw_buf_addc(&b, 'a'), BW_ELIMIT, "one byte into max 0 fails");
    bw_buf_release(&b);

    /* printf past max */
    bw_buf_init(&b, 10);
    is_int(bw_buf_printf(&b, "%s", "0123456789"), BW_OK, "printf exactly max");
    is_int(bw_buf_printf(&b, "%d", 7), BW_ELIMIT, "printf past max fails");
    ok(b.ptr == NULL && b.err == BW_ELIMIT, "printf failure frees and sticks");
    bw_buf_release(&b);
}

static void test_take(void)
{
    bw_buf b;
    char *out = NULL;
    size_t len = 99;

    bw_buf_init(&b, 100);
    is_int(bw_buf_take(&b, &out, &len), BW_OK, "take of an empty buffer succeeds");
    ok(out != NULL, "take of empty yields a pointer");
    is_str(out, "", "take of empty yields \"\"");
    is_int(len, 0, "take of empty: len 0");
    bw_free(out);
    ok(b.ptr == NULL && b.len == 0 && b.cap == 0, "buffer empty after take");

    is_int(bw_buf_addstr(&b, "report"), BW_OK, "append");
    is_int(bw_buf_take(&b, &out, NULL), BW_OK, "take with len NULL");
    is_str(out, "report", "take hands out the contents");
    ok(b.ptr == NULL && b.len == 0 && b.cap == 0, "buffer empty after take");
    is_int(bw_buf_addstr(&b, "again"), BW_OK, "buffer reusable after take");
    is_str(b.ptr, "again", "new contents independent of the taken ones");
    is_str(out, "report", "taken string untouched");
    bw_free(out);
    bw_buf_release(&b);

    /* take of empty under OOM */
    bw_buf_init(&b, 100);
    bw_alloc_fail_after(0);
    is_int(bw_buf_take(&b, &out, &len), BW_ENOMEM, "take of empty with failing allocation");
    bw_alloc_fail_after(-1);
    ok(out == NULL, "nothing handed out on OOM");
    is_int(b.err, BW_ENOMEM, "OOM sticks");
    bw_buf_release(&b);
}

static void test_printf(void)
{
    bw_buf b;
    char big[3000];

    bw_buf_init(&b, 1 << 16);
    is_int(bw_buf_printf(&b, "%s=%d", "n", 42), BW_OK, "printf");
    is_str(b.ptr, "n=42", "printf contents");
    is_int(b.len, 4, "printf len");
    is_int(bw_buf_printf(&b, " %05.1f|%x|%c", 3.14159, 255u, 'z'), BW_OK, "printf appends");
    is_str(b.ptr, "n=42 003.1|ff|z", "printf appends formatted text");
    ok(buf_invariant(&b), "invariant after printf");
    is_int(bw_buf_printf(&b, "%s", ""), BW_OK, "printf of nothing");
    is_int(b.len, 15, "printf of nothing keeps len");

    memset(big, 'q', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    is_int(bw_buf_printf(&b, "<%s>", big), BW_OK, "printf that forces growth");
    is_int(b.len, 15 + 2 + 2999, "len after a large printf");
    ok(b.ptr[15] == '<' && b.ptr[16] == 'q' && b.ptr[15 + 2999 + 1] == '>', "large printf contents");
    is_int(b.ptr[b.len], 0, "NUL-terminated after printf");
    bw_buf_release(&b);
}

static void test_binary(void)
{
    bw_buf b;
    static const unsigned char bin[] = {0x00, 0x01, 0xff, 0x00, 'a', 0x00, 0x80};
    char *out;
    size_t len;

    bw_buf_init(&b, 1000);
    is_int(bw_buf_add(&b, bin, sizeof(bin)), BW_OK, "binary append");
    is_int(b.len, sizeof(bin), "len counts embedded NULs");
    is_mem(b.ptr, bin, sizeof(bin), "binary contents");
    is_int(b.ptr[b.len], 0, "NUL after binary data");
    is_int(bw_buf_add(&b, bin, sizeof(bin)), BW_OK, "second binary append");
    is_mem(b.ptr + sizeof(bin), bin, sizeof(bin), "second copy intact");
    is_int(b.len, 2 * sizeof(bin), "len after two binary appends");
    is_int(bw_buf_take(&b, &out, &len), BW_OK, "take binary");
    is_int(len, 2 * sizeof(bin), "take reports the binary length");
    is_mem(out, bin, sizeof(bin), "taken binary contents");
    is_int(out[len], 0, "taken data NUL-terminated");
    bw_free(out);
    bw_buf_release(&b);
}

/* Fail the nth allocation for n = 0..; every result is success or BW_ENOMEM. */
static void test_oom_loop(void)
{
    int bad = 0, saw_oom = 0, saw_ok = 0;

    for (long n = 0; n < 40; n++) {
        bw_buf b;
        bw_status rc = BW_OK;
        char *out = NULL;
        size_t len = 0;

        bw_buf_init(&b, 1 << 20);
        bw_alloc_fail_after(n);
        for (int i = 0; i < 2000 && rc == BW_OK; i++) {
            rc = bw_buf_printf(&b, "line %d: %s\n", i, "some text to make it grow");
            if (rc == BW_OK && i % 7 == 0) {
                rc = bw_buf_add(&b, "\0\1\2", 3);
            }
        }
        if (rc == BW_OK) {
            rc = bw_buf_take(&b, &out, &len);
        }
        bw_alloc_fail_after(-1);
        if (rc == BW_ENOMEM) {
            saw_oom++;
            if (b.ptr != NULL || b.len != 0 || b.err != BW_ENOMEM || out != NULL) {
                bad++;
                tap_diag("n=%ld: buffer not cleaned up after OOM", n);
            }
            /* the error sticks, even though allocation works again */
            if (bw_buf_addstr(&b, "x") != BW_ENOMEM) {
                bad++;
                tap_diag("n=%ld: error did not stick", n);
            }
        } else if (rc == BW_OK) {
            saw_ok++;
            if (out == NULL || len == 0 || out[len] != '\0') {
                bad++;
            }
        } else {
            bad++;
            tap_diag("n=%ld: unexpected status %d", n, rc);
        }
        bw_free(out);
        bw_buf_release(&b);
    }
    is_int(bad, 0, "OOM loop: every outcome is BW_ENOMEM (cleaned up) or success");
    ok(saw_oom > 0, "OOM loop hit out-of-memory (%d times)", saw_oom);
    ok(saw_ok > 0, "OOM loop eventually succeeds (%d times)", saw_ok);
}

int main(void)
{
    test_init();
    test_growth();
    test_reset();
    test_max_cap();
    test_take();
    test_printf();
    test_binary();
    test_oom_loop();
    return done_testing();
}
