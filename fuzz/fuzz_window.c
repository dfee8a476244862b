/*
 * fuzz_window.c - the data readers' sliding window (lib/formats/window.c)
 * over a file of arbitrary bytes, read a few bytes at a time: a consumer
 * takes line after line, and every byte it sees must be the input's byte at
 * that offset; at the end every byte has been seen once, in order. A record
 * limit hit must mean the unread line really is longer than the limit.
 */
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "formats/window.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    bw_window w;
    bw_error err = {0};
    char path[64];
    size_t max_record, step, seen = 0;
    int fd;

    if (size < 2) {
        return 0;
    }
    max_record = 1 + (size_t)data[0] * 8;
    step = 1 + data[1] % 61;
    data += 2;
    size -= 2;
    fd = memfd_create("fuzz-window", MFD_CLOEXEC);
    if (fd < 0 || (size > 0 && write(fd, data, size) != (ssize_t)size)) {
        if (fd >= 0) {
            close(fd);
        }
        return 0;
    }
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    if (bw_window_open(&w, path, "fuzz", max_record, &err) != BW_OK) {
        close(fd);
        return 0;
    }
    w.step = step;
    for (;;) {
        const char *nl = w.end > w.pos ? memchr(w.buf + w.pos, '\n', w.end - w.pos) : NULL;
        size_t take = nl != NULL ? (size_t)(nl - (w.buf + w.pos)) + 1 : (w.eof ? w.end - w.pos : 0);
        bw_status rc;

        FUZZ_CHECK(w.pos <= w.end && (w.own == NULL || w.end <= w.cap));
        if (take > 0) {
            FUZZ_CHECK(w.base + w.pos == seen);
            FUZZ_CHECK(seen + take <= size && memcmp(w.buf + w.pos, data + seen, take) == 0);
            seen += take;
            w.pos += take;
            continue;
        }
        if (w.eof) {
            break;
        }
        rc = bw_window_more(&w, 1, &err);
        if (rc == BW_ELIMIT) {
            FUZZ_CHECK(w.end - w.pos > max_record && err.msg[0] != '\0');
            break;
        }
        FUZZ_CHECK(rc == BW_OK);
    }
    FUZZ_CHECK(!w.eof || seen == size);
    bw_window_close(&w);
    close(fd);
    return 0;
}
