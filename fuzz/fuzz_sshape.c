/*
 * fuzz_sshape.c - the digit-run prefilter of the personal-data rules on
 * arbitrary bytes: no read past the input, every candidate ends inside it
 * and just past a digit (or, for PAN, a capital), and the offsets of each
 * shape never go backwards.
 */
#include <string.h>

#include "fuzz.h"
#include "scan/sshape.h"

struct seen {
    const uint8_t *p;
    size_t n;
    size_t last[BW_SHAPE__COUNT];
};

static int check(void *ctx, bw_shape shape, size_t to)
{
    struct seen *s = ctx;

    FUZZ_CHECK(shape > BW_SHAPE_NONE && shape < BW_SHAPE__COUNT);
    FUZZ_CHECK(to > 0 && to <= s->n);
    FUZZ_CHECK(to >= s->last[shape]);
    s->last[shape] = to;
    if (shape == BW_SHAPE_PAN) {
        FUZZ_CHECK(s->p[to - 1] >= 'A' && s->p[to - 1] <= 'Z');
    } else {
        FUZZ_CHECK(s->p[to - 1] >= '0' && s->p[to - 1] <= '9');
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct seen s;

    memset(&s, 0, sizeof(s));
    s.p = data;
    s.n = size;
    (void)bw_shape_scan((const char *)data, size, size, ~0u, check, &s);
    memset(s.last, 0, sizeof(s.last));
    (void)bw_shape_scan((const char *)data, size, size / 2, ~0u, check, &s);
    return 0;
}
