/*
 * window.h - a sliding read window over a file or a memory input, shared by
 * the line-oriented data readers (CSV, JSONL).
 *
 * The unread bytes are buf[pos, end); base is the input offset of buf[0].
 * bw_window_more() moves the unread bytes to the front and reads on,
 * growing the allocation while one record fills it, up to max_record bytes
 * (then BW_ELIMIT naming the input and offset). A memory input is one
 * window that is already at its end.
 */
#ifndef BW_FORMATS_WINDOW_H
#define BW_FORMATS_WINDOW_H

#include <stdbool.h>

#include "bulwark/bw_file.h"
#include "util/internal.h"

typedef struct bw_window {
    const char *name; /* borrowed, for messages */
    bw_file *file;    /* NULL for a memory input */
    char *own;        /* the allocation behind buf (file input) */
    const char *buf;
    size_t cap, pos, end;
    uint64_t base;
    size_t max_record;
    size_t step; /* bytes a read asks for at most; 0: all the room (tests and fuzzing set it small) */
    bool eof;    /* nothing past end */
} bw_window;

BW_INTERNAL bw_status bw_window_open(bw_window *w, const char *path, const char *name, size_t max_record,
                                     bw_error *err);
BW_INTERNAL void bw_window_mem(bw_window *w, const void *p, size_t n, const char *name);
/* Read more; on return either end grew or eof is set. `line` names the record for a BW_ELIMIT message. */
BW_INTERNAL bw_status bw_window_more(bw_window *w, uint64_t line, bw_error *err);
BW_INTERNAL void bw_window_close(bw_window *w);

#endif
