/*
 * window.c - the sliding read window of the data readers (see window.h).
 */
#include <string.h>

#include "formats/window.h"

#define READ_CHUNK ((size_t)1 << 20)

bw_status bw_window_open(bw_window *w, const char *path, const char *name, size_t max_record, bw_error *err)
{
    memset(w, 0, sizeof(*w));
    w->name = name;
    w->max_record = max_record;
    return bw_file_open(&w->file, path, BW_FILE_FOLLOW | BW_FILE_STDIN, err);
}

void bw_window_mem(bw_window *w, const void *p, size_t n, const char *name)
{
    memset(w, 0, sizeof(*w));
    w->name = name;
    w->buf = p != NULL ? p : "";
    w->end = n;
    w->eof = true;
}

bw_status bw_window_more(bw_window *w, uint64_t line, bw_error *err)
{
    size_t keep = w->end - w->pos, got = 0;

    if (w->file == NULL || w->eof) {
        w->eof = true;
        return BW_OK;
    }
    if (w->pos > 0) {
        memmove(w->own, w->own + w->pos, keep);
        w->base += w->pos;
        w->pos = 0;
        w->end = keep;
    }
    if (w->cap - w->end < READ_CHUNK / 2) {
        size_t limit = w->max_record + READ_CHUNK, cap = w->cap ? w->cap * 2 : READ_CHUNK;
        char *grown;
        if (w->cap >= limit) {
            return bw_fail_at(err, BW_ELIMIT, w->base, "%s: line %llu (offset %llu): a record longer than %zu bytes",
                              w->name, (unsigned long long)line, (unsigned long long)w->base, w->max_record);
        }
        grown = bw_realloc(w->own, BW_MIN(cap, limit) + 1);
        if (grown == NULL) {
            return bw_fail(err, BW_ENOMEM, "out of memory");
        }
        w->own = grown;
        w->buf = grown;
        w->cap = BW_MIN(cap, limit);
    }
    size_t want = w->cap - w->end;
    if (w->step != 0 && w->step < want) {
        want = w->step;
    }
    BW_TRY(bw_file_read(w->file, w->own + w->end, want, &got, err));
    if (got == 0) {
        w->eof = true;
    }
    w->end += got;
    return BW_OK;
}

void bw_window_close(bw_window *w)
{
    bw_file_close(w->file);
    bw_free(w->own);
    memset(w, 0, sizeof(*w));
}
