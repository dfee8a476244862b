/*
 * test_file.c - safe opening, mapping, streaming, change detection, slurp
 * limits and atomic writes.
 */
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tap.h"
#include "testutil.h"
#include "util/internal.h"

static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;
    while (d != NULL && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            n++;
        }
    }
    if (d != NULL) {
        closedir(d);
    }
    return n;
}

static void open_rules(const char *dir)
{
    char *f = tu_join(dir, "f"), *l = tu_join(dir, "l"), *fifo = tu_join(dir, "fifo");
    bw_file *h = NULL;
    bw_error err;

    tu_write_str(dir, "f", "hello");
    bw_error_clear(&err);
    ok(bw_file_open(&h, f, 0, &err) == BW_OK, "open a regular file");
    ok(h != NULL && bw_file_info(h)->size == 5 && bw_file_info(h)->is_regular, "size and type from fstat");
    is_str(h != NULL ? bw_file_path(h) : NULL, f, "path kept");
    bw_file_close(h);
    bw_file_close(NULL);

    bw_error_clear(&err);
    ok(bw_file_open(&h, dir, 0, &err) == BW_EIO && h == NULL, "a directory is refused");
    like(err.msg, "is a directory", "message");
    ok(symlink(f, l) == 0, "symlink");
    bw_error_clear(&err);
    ok(bw_file_open(&h, l, 0, &err) == BW_EIO, "a symlink is refused by default (O_NOFOLLOW)");
    like(err.msg, "is a symbolic link", "message");
    ok(bw_file_open(&h, l, BW_FILE_FOLLOW, NULL) == BW_OK, "BW_FILE_FOLLOW follows it");
    bw_file_close(h);
    ok(mkfifo(fifo, 0600) == 0, "fifo");
    bw_error_clear(&err);
    ok(bw_file_open(&h, fifo, 0, &err) == BW_EIO, "a FIFO is refused, without blocking on open");
    bw_error_clear(&err);
    ok(bw_file_open(&h, "/nonexistent/x", 0, &err) == BW_ENOTFOUND, "missing: BW_ENOTFOUND");
    is_str(err.msg, "cannot open '/nonexistent/x': No such file or directory", "git-style message");
    ok(bw_file_open(&h, "-", 0, &err) == BW_ENOTFOUND, "'-' is a plain name without BW_FILE_STDIN");
    free(f);
    free(l);
    free(fifo);
}

static void map_and_read(const char *dir)
{
    char *f = tu_join(dir, "data"), *e = tu_join(dir, "empty");
    uint8_t buf[64];
    bw_file *h = NULL;
    bw_bytes v;
    size_t got = 0;

    tu_write_str(dir, "data", "0123456789");
    tu_write_str(dir, "empty", "");
    ok(bw_file_open(&h, f, 0, NULL) == BW_OK, "open");
    ok(bw_file_map(h, &v, NULL) == BW_OK && v.len == 10 && memcmp(v.ptr, "0123456789", 10) == 0, "map");
    ok(bw_file_pread(h, buf, 4, 3, &got, NULL) == BW_OK && got == 4 && memcmp(buf, "3456", 4) == 0, "pread");
    ok(bw_file_read(h, buf, sizeof(buf), &got, NULL) == BW_OK && got == 10, "read from the start");
    ok(bw_file_read(h, buf, sizeof(buf), &got, NULL) == BW_OK && got == 0, "then end of file");
    bw_file_close(h);
    ok(bw_file_open(&h, e, 0, NULL) == BW_OK, "open empty");
    ok(bw_file_map(h, &v, NULL) == BW_EUNSUPPORTED, "an empty file cannot be mapped; callers stream it");
    bw_file_close(h);
    free(f);
    free(e);
}

static void unchanged(const char *dir)
{
    char *f = tu_join(dir, "grow");
    bw_file *h = NULL;
    bw_error err;
    FILE *w;

    tu_write_str(dir, "grow", "abc");
    ok(bw_file_open(&h, f, 0, NULL) == BW_OK, "open");
    ok(bw_file_check_unchanged(h, NULL) == BW_OK, "unchanged right after open");
    w = fopen(f, "ab");
    fputs("more", w);
    fclose(w);
    bw_error_clear(&err);
    ok(bw_file_check_unchanged(h, &err) == BW_ECHANGED, "an append is a change");
    like(err.msg, "size was 3, now 7", "says how");
    bw_file_close(h);
    free(f);
}

static void slurp(const char *dir)
{
    char *f = tu_join(dir, "s");
    bw_buf b = BW_BUF_INIT(1 << 20);
    bw_error err;
    int failures = 0;

    tu_write_str(dir, "s", "0123456789");
    ok(bw_file_slurp(f, 0, 100, &b, NULL) == BW_OK && b.len == 10 && strcmp(b.ptr, "0123456789") == 0, "slurp");
    bw_buf_release(&b);
    ok(bw_file_slurp(f, 0, 10, &b, NULL) == BW_OK && b.len == 10, "exactly at the limit is fine");
    bw_buf_release(&b);
    bw_error_clear(&err);
    ok(bw_file_slurp(f, 0, 9, &b, &err) == BW_ELIMIT, "one byte over is BW_ELIMIT");
    like(err.msg, "over the limit of 9", "message");
    bw_buf_release(&b);
    {
        bw_buf small = BW_BUF_INIT(10);
        ok(bw_file_slurp(f, 0, 100, &small, NULL) == BW_OK && small.len == 10, "a buffer capped at the size fits");
        bw_buf_release(&small);
    }
    for (long n = 0; n < 10; n++) {
        bw_status rc;
        bw_alloc_fail_after(n);
        rc = bw_file_slurp(f, 0, 100, &b, NULL);
        bw_alloc_fail_after(-1);
        failures += rc == BW_ENOMEM;
        ok(rc == BW_OK || rc == BW_ENOMEM, "allocation failure %ld: clean result", n);
        bw_buf_release(&b);
    }
    ok(failures > 0, "out-of-memory paths were taken");
    {
        /* bw_file_read_all: the rest of an open file, appended */
        size_t big = 200000, got = 0;
        char *data = malloc(big), head[3];
        bw_file *h = NULL;
        bw_buf all = BW_BUF_INIT((size_t)1 << 20);
        for (size_t i = 0; i < big; i++) {
            data[i] = (char)('a' + i % 26);
        }
        tu_write(dir, "big", data, big);
        free(f);
        f = tu_join(dir, "big");
        ok(bw_file_open(&h, f, 0, NULL) == BW_OK && bw_file_read(h, head, 3, &got, NULL) == BW_OK && got == 3,
           "read_all: the first bytes read by hand");
        ok(bw_buf_add(&all, "<<", 2) == BW_OK && bw_file_read_all(h, big, &all, NULL) == BW_OK &&
               all.len == 2 + big - 3 && memcmp(all.ptr + 2, data + 3, big - 3) == 0 && all.ptr[all.len] == '\0',
           "read_all: the rest is appended, NUL-terminated");
        bw_file_close(h);
        bw_buf_release(&all);
        bw_error_clear(&err);
        ok(bw_file_open(&h, f, 0, NULL) == BW_OK && bw_file_read_all(h, big - 1, &all, &err) == BW_ELIMIT,
           "read_all: a file over the limit is BW_ELIMIT");
        bw_file_close(h);
        bw_buf_release(&all);
        free(data);
    }
    free(f);
}

static void atomic(void)
{
    char *dir = tu_tmpdir(), *f = tu_join(dir, "out.json"), *content;
    bw_atomic *a = NULL;
    bw_error err;
    struct stat st;

    ok(bw_file_write_atomic(f, "first", 5, 0600, NULL) == BW_OK, "write a new file");
    content = tu_read(f, NULL);
    is_str(content, "first", "content");
    free(content);
    ok(stat(f, &st) == 0 && (st.st_mode & 0777) == 0600, "mode as asked");
    ok(bw_atomic_open(&a, f, 0644, NULL) == BW_OK, "start replacing it");
    ok(bw_atomic_write(a, "second, longer", 14, NULL) == BW_OK, "write");
    content = tu_read(f, NULL);
    is_str(content, "first", "until commit the old content is what readers see");
    free(content);
    is_int(count_entries(dir), 2, "the temporary file sits beside the target");
    bw_atomic_abort(a);
    content = tu_read(f, NULL);
    is_str(content, "first", "abort leaves the old file untouched");
    free(content);
    is_int(count_entries(dir), 1, "and removes the temporary file");
    ok(bw_atomic_open(&a, f, 0644, NULL) == BW_OK && bw_atomic_write(a, "third", 5, NULL) == BW_OK &&
           bw_atomic_commit(a, NULL) == BW_OK,
       "commit");
    content = tu_read(f, NULL);
    is_str(content, "third", "replaced");
    free(content);
    is_int(count_entries(dir), 1, "no temporary file left");
    bw_error_clear(&err);
    ok(bw_file_write_atomic("/nonexistent/dir/out", "x", 1, 0644, &err) == BW_ENOTFOUND, "missing directory");
    like(err.msg, "cannot create temporary file for '/nonexistent/dir/out'", "message names the target");
    tu_rm_rf(dir);
    free(dir);
    free(f);
}

/* bw_path_inside: the one helper sign, verify and digest use to leave their own output out. */
static void inside(const char *dir)
{
    char *sub = tu_join(dir, "m"), *f = tu_join(dir, "m/d/x.sig"), *dotdot = tu_join(dir, "m/d/../d/y"),
         *out = tu_join(dir, "o.sig"), *link = tu_join(dir, "lnk"), *via = tu_join(dir, "lnk/z");
    char *r;

    tu_write_str(dir, "m/d/f", "x");
    ok(symlink("m", link) == 0, "a symlink to the directory");
    r = bw_path_inside(f, sub);
    is_str(r, "d/x.sig", "a file that does not exist yet, inside");
    bw_free(r);
    r = bw_path_inside(dotdot, sub);
    is_str(r, "d/y", "'..' resolved");
    bw_free(r);
    r = bw_path_inside(via, sub);
    is_str(r, "z", "through a symlinked parent");
    bw_free(r);
    ok(bw_path_inside(out, sub) == NULL, "outside: NULL");
    r = bw_path_inside(out, dir);
    is_str(r, "o.sig", "directly inside");
    bw_free(r);
    ok(bw_path_inside(dir, sub) == NULL, "the parent is not inside");
    ok(bw_path_inside(f, out) == NULL, "not a directory: NULL");
    free(sub);
    free(f);
    free(dotdot);
    free(out);
    free(link);
    free(via);
}

int main(void)
{
    char *dir = tu_tmpdir();
    inside(dir);
    open_rules(dir);
    map_and_read(dir);
    unchanged(dir);
    slurp(dir);
    tu_rm_rf(dir);
    free(dir);
    atomic();
    return done_testing();
}
