/*
 * fuzz_pickle.c - bw_pickle_analyze on arbitrary bytes.
 *
 * Byte 0 picks the options (bit 0: joblib, bit 1: stop_at_end, bit 2: small
 * limits so the limit paths run); the rest is the pickle. Beyond "no crash"
 * the result's invariants are checked (abort() on violation): end within the
 * input, every import and issue offset inside the input, every string
 * NUL-terminated within its bound, counts consistent.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bulwark/bulwark.h"
#include "fuzz.h"

#define CHECK(x)                                                                                                       \
    do {                                                                                                               \
        if (!(x)) {                                                                                                    \
            fprintf(stderr, "fuzz_pickle: invariant failed: %s (line %d)\n", #x, __LINE__);                            \
            abort();                                                                                                   \
        }                                                                                                              \
    } while (0)

/* Escaped names are at most 4 bytes per kept byte, plus "..." */
#define NAME_BOUND 2048

static void check_str(const char *s)
{
    CHECK(s != NULL);
    CHECK(memchr(s, '\0', NAME_BOUND) != NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    bw_pickle_opts o = BW_PICKLE_OPTS_INIT;
    bw_pickle_result *r = NULL;
    const uint8_t *p;
    size_t n;

    if (size == 0) {
        return 0;
    }
    o.joblib = data[0] & 1;
    o.stop_at_end = (data[0] >> 1) & 1;
    if (data[0] & 4) {
        o.max_ops = 1000;
        o.max_memo = 16;
        o.max_stack = 64;
    }
    p = data + 1;
    n = size - 1;
    if (bw_pickle_analyze(&r, p, n, "fuzz.pkl", &o, NULL) != BW_OK) {
        CHECK(r == NULL);
        return 0;
    }
    CHECK(r != NULL);
    CHECK(r->end <= n);
    CHECK(!r->complete || r->end > 0);
    CHECK(r->n_globals == 0 || r->globals != NULL);
    for (size_t i = 0; i < r->n_globals; i++) {
        const bw_pickle_global *g = &r->globals[i];
        CHECK(g->offset < n);
        CHECK(bw_pickle_opname(g->opcode) != NULL);
        check_str(g->module);
        check_str(g->name);
        check_str(g->raw_module);
        check_str(g->raw_name);
    }
    for (size_t i = 0; i < r->n_issues; i++) {
        CHECK(r->issues[i].offset <= n);
        CHECK(memchr(r->issues[i].msg, '\0', sizeof(r->issues[i].msg)) != NULL);
        CHECK((unsigned)r->issues[i].kind <= BW_PICKLE_LIMIT);
    }
    CHECK(r->n_ops <= n);
    if (r->complete) {
        CHECK(r->n_ops > 0);
    }
    bw_pickle_result_free(r);
    return 0;
}
