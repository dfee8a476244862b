/*
 * fuzz_sshape.c - the digit-run and punctuation prefilters (sshape.c) on
 * arbitrary bytes: no read past the input, every candidate ends inside it
 * just past what its shape needs (a digit; for PAN a capital; for the
 * punctuation shapes their bytes at fixed distances), and the offsets of
 * each shape never go backwards; and every byte classifier this CPU has
 * (portable C, SSE2, AVX2, AVX-512BW) reports the same candidates.
 */
#include <string.h>

#include "fuzz.h"
#include "scan/sshape.h"

struct seen {
    const uint8_t *p;
    size_t n;
    size_t last[BW_SHAPE__COUNT];
    uint64_t sum; /* of every candidate, in order: a cheap fingerprint of the whole list */
    size_t count;
};

static int check(void *ctx, bw_shape shape, size_t to)
{
    struct seen *s = ctx;

    FUZZ_CHECK(shape > BW_SHAPE_NONE && shape < BW_SHAPE__COUNT);
    FUZZ_CHECK(to > 0 && to <= s->n);
    FUZZ_CHECK(to >= s->last[shape]);
    s->last[shape] = to;
    s->sum = s->sum * 1000003u + (uint64_t)shape * 65537u + to;
    s->count++;
    switch (shape) {
    case BW_SHAPE_PAN: FUZZ_CHECK(s->p[to - 1] >= 'A' && s->p[to - 1] <= 'Z'); break;
    case BW_SHAPE_EMAIL:
        FUZZ_CHECK(to >= 4 && s->p[to - 2] == '.' && memchr(s->p + (to > 67 ? to - 67 : 0), '@', to > 67 ? 64 : to));
        break;
    case BW_SHAPE_DOTS: FUZZ_CHECK(to >= 16 && s->p[to - 9] == '.' && s->p[to - 16] == '.'); break;
    case BW_SHAPE_UNDERS:
        FUZZ_CHECK(to >= 21 && s->p[to - 1] == '-' && s->p[to - 15] == '_' && s->p[to - 20] == '_');
        break;
    case BW_SHAPE_SLASH:
        FUZZ_CHECK(to >= 14 && s->p[to - 13] == '/' && s->p[to - 1] >= '0' && s->p[to - 1] <= '9');
        break;
    default: FUZZ_CHECK(s->p[to - 1] >= '0' && s->p[to - 1] <= '9'); break;
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct seen s;
    int best = bw_shape_simd(-1);
    uint64_t sum0 = 0;
    size_t count0 = 0;

    for (int level = 0; level <= best; level++) {
        memset(&s, 0, sizeof(s));
        s.p = data;
        s.n = size;
        bw_shape_simd(level);
        (void)bw_shape_scan((const char *)data, size, size, ~0u, check, &s);
        memset(s.last, 0, sizeof(s.last));
        (void)bw_shape_scan((const char *)data, size, size / 2, ~0u, check, &s);
        if (level == 0) {
            sum0 = s.sum;
            count0 = s.count;
        }
        FUZZ_CHECK(s.sum == sum0 && s.count == count0);
    }
    bw_shape_simd(best);
    return 0;
}
