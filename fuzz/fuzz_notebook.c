/*
 * fuzz_notebook.c - the Jupyter notebook reader on arbitrary bytes: no
 * crash, no read past the input, and every segment keeps the reader's
 * promises: its text is readable to the last byte (each one is touched),
 * non-empty and NUL-terminated; its offset lies inside the input; a MIME
 * type comes with BW_NB_TEXT and only with it; cell -1 is metadata. A
 * failure is BW_EFORMAT, BW_ELIMIT or BW_ENOMEM with a message and an
 * offset inside the input, and nothing is visited after a visitor stops.
 */
#include <string.h>

#include "formats/notebook.h"
#include "fuzz.h"

struct fz {
    size_t size;  /* of the input */
    size_t n;     /* segments seen */
    size_t stop;  /* return BW_ECANCELED at this segment; 0 = never */
    unsigned sum; /* of every text byte, so no read can be optimised away */
};

static bw_status visit(void *ctx, const bw_nb_segment *s)
{
    struct fz *f = ctx;

    FUZZ_CHECK(f->stop == 0 || f->n < f->stop);
    FUZZ_CHECK(s->text != NULL && s->len > 0 && s->text[s->len] == '\0');
    for (size_t i = 0; i < s->len; i++) {
        f->sum += (unsigned char)s->text[i];
    }
    FUZZ_CHECK(s->offset == BW_NO_OFFSET || s->offset < f->size);
    FUZZ_CHECK(s->cell >= -1);
    FUZZ_CHECK(s->part >= BW_NB_SOURCE && s->part <= BW_NB_METADATA);
    FUZZ_CHECK((s->part == BW_NB_TEXT) == (s->mime != NULL));
    FUZZ_CHECK(s->field != NULL);
    FUZZ_CHECK(s->cell >= 0 || s->part == BW_NB_METADATA);
    FUZZ_CHECK(s->part != BW_NB_SOURCE || s->output == BW_NB_NO_OUTPUT);
    f->n++;
    return f->stop != 0 && f->n == f->stop ? BW_ECANCELED : BW_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz f = {size, 0, 0, 0};
    volatile unsigned sink;
    bw_error err;
    bw_status rc;

    (void)bw_nb_sniff(data, size);
    bw_error_clear(&err);
    rc = bw_nb_each(data, size, visit, &f, &err);
    if (rc != BW_OK) {
        FUZZ_CHECK(rc == BW_EFORMAT || rc == BW_ELIMIT || rc == BW_ENOMEM);
        FUZZ_CHECK(err.code == rc && err.msg[0] != '\0');
        FUZZ_CHECK(err.offset == BW_NO_OFFSET || err.offset <= size);
        FUZZ_CHECK(rc == BW_ENOMEM || f.n == 0); /* the shape is checked before anything is visited */
    } else if (f.n > 0) {
        /* again, stopping half-way: the visitor's status comes back and nothing follows */
        size_t all = f.n;
        f.stop = all / 2 + 1;
        f.n = 0;
        bw_error_clear(&err);
        FUZZ_CHECK(bw_nb_each(data, size, visit, &f, &err) == BW_ECANCELED);
        FUZZ_CHECK(f.n == all / 2 + 1);
    }
    sink = f.sum;
    (void)sink;
    return 0;
}
