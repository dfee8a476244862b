/*
 * fuzz_rd.c - every bw_rd function, in orders chosen by the input.
 *
 * Input layout: byte 0 is the program length P (0..255); bytes 1..P are the
 * program; everything after it is the data the readers walk. Each program
 * byte picks an operation (low 5 bits); operations that need an argument
 * (a size, a delimiter, a status) take it from the next program byte. A
 * stack of readers starts with one over the data; "sub" pushes a reader
 * over the next n bytes, "pop" returns to the parent.
 *
 * bw_rd is the boundary between hostile bytes and every parser, so this
 * target checks more than "no crash". Each operation's result is compared
 * with a reference computed here from the raw bytes, and after every
 * operation the invariants are asserted (abort() on violation):
 *   - bw_rd_valid(), pos <= len, bw_rd_left/eof agree with pos and status;
 *   - a failed operation moves nothing and (except peek) poisons the reader;
 *   - a poisoned reader never moves again and keeps its first status;
 *   - a success moves by exactly the bytes consumed, and views point inside
 *     the reader's range;
 *   - the shared error record keeps its first failure, with an offset
 *     inside the data and a message carrying the reader name.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bulwark/bulwark.h"
#include "fuzz.h"

#define MAX_DEPTH 8
#define COPY_BUF 64

#define CHECK(x)                                                                                                       \
    do {                                                                                                               \
        if (!(x)) {                                                                                                    \
            fprintf(stderr, "fuzz_rd: invariant failed: %s (line %d)\n", #x, __LINE__);                                \
            abort();                                                                                                   \
        }                                                                                                              \
    } while (0)

enum op {
    OP_U8,
    OP_U16LE,
    OP_U16BE,
    OP_U32LE,
    OP_U32BE,
    OP_U64LE,
    OP_U64BE,
    OP_I32,
    OP_I64,
    OP_F32,
    OP_F64,
    OP_UVARINT,
    OP_SVARINT,
    OP_VIEW,
    OP_COPY,
    OP_SKIP,
    OP_PEEK,
    OP_UNTIL,
    OP_SUB,
    OP_POP,
    OP_FAIL,
    OP_COUNT
};

static int op_has_arg(unsigned op)
{
    return op == OP_VIEW || op == OP_COPY || op == OP_SKIP || op == OP_UNTIL || op == OP_SUB || op == OP_FAIL;
}

/* A program byte as a size: small values directly, the top few as edge cases. */
static size_t arg_size(uint8_t a, const bw_rd *rd)
{
    size_t left = rd->len - rd->pos;

    switch (a) {
    case 0xff: return SIZE_MAX;
    case 0xfe: return SIZE_MAX - rd->pos; /* pos + n wraps to just below pos */
    case 0xfd: return left;
    case 0xfc: return left + 1;
    case 0xfb: return left > 0 ? left - 1 : 0;
    case 0xfa: return rd->len;
    case 0xf9: return (size_t)1 << 31;
    case 0xf8: return (size_t)1 << 63;
    default: return a;
    }
}

static uint64_t load_le(const uint8_t *p, size_t n)
{
    uint64_t x = 0;
    for (size_t i = 0; i < n; i++) {
        x |= (uint64_t)p[i] << (8 * i);
    }
    return x;
}

static uint64_t load_be(const uint8_t *p, size_t n)
{
    uint64_t x = 0;
    for (size_t i = 0; i < n; i++) {
        x = (x << 8) | p[i];
    }
    return x;
}

/* Reference LEB128: returns bytes used (1..10) or 0 if truncated, too long or over 64 bits. */
static size_t ref_uvarint(const uint8_t *p, size_t left, uint64_t *out)
{
    uint64_t x = 0;
    for (size_t i = 0; i < 10 && i < left; i++) {
        uint64_t bits = p[i] & 0x7f;
        if (i == 9 && bits > 1) {
            return 0;
        }
        x |= bits << (7 * i);
        if ((p[i] & 0x80) == 0) {
            *out = x;
            return i + 1;
        }
    }
    return 0;
}

struct ctx {
    const uint8_t *data; /* the whole data region */
    size_t size;
    bw_error err;
    bw_status first_code; /* what err held after the first failure */
    uint64_t first_offset;
};

/* The error record keeps its first failure, inside the data, named. */
static void check_err(struct ctx *c)
{
    if (c->first_code == BW_OK) {
        if (c->err.code != BW_OK) {
            c->first_code = c->err.code;
            c->first_offset = c->err.offset;
            CHECK(c->err.offset <= c->size);
            CHECK(c->err.msg[0] != '\0');
            CHECK(strncmp(c->err.msg, "fuzz: offset ", 13) == 0);
            CHECK(memchr(c->err.msg, '\0', sizeof(c->err.msg)) != NULL);
        }
        return;
    }
    CHECK(c->err.code == c->first_code);
    CHECK(c->err.offset == c->first_offset);
}

static void check_reader(const struct ctx *c, const bw_rd *rd)
{
    CHECK(bw_rd_valid(rd));
    CHECK(rd->pos <= rd->len);
    CHECK(rd->origin <= c->size && rd->len <= c->size - rd->origin);
    CHECK(rd->len == 0 || rd->base == c->data + rd->origin);
    CHECK(bw_rd_offset(rd) == rd->origin + rd->pos);
    if (rd->st == BW_OK) {
        CHECK(bw_rd_left(rd) == rd->len - rd->pos);
        CHECK(bw_rd_eof(rd) == (rd->pos == rd->len));
    } else {
        CHECK(rd->st < 0);
        CHECK(bw_rd_left(rd) == 0);
        CHECK(bw_rd_eof(rd));
    }
}

/* A view lies inside the reader's range and was just consumed. */
static void check_view(const bw_rd *rd, size_t before, bw_bytes v, size_t n)
{
    CHECK(v.len == n);
    CHECK(v.len == 0 || v.ptr == rd->base + before);
    CHECK(before + n <= rd->len);
}

/* Run one operation on `rd`; returns its status. `prog`/`pi` supply arguments. */
static bw_status run_op(struct ctx *c, bw_rd *rd, unsigned op, const uint8_t *prog, size_t plen, size_t *pi,
                        bw_rd *sub_out, int *pushed)
{
    const size_t before = rd->pos;
    const size_t left = rd->st == BW_OK ? rd->len - rd->pos : 0;
    const uint8_t *cur = rd->base + rd->pos;
    uint8_t arg = 0;
    bw_status rc = BW_OK;
    size_t used = 0; /* bytes a successful op must consume */

    if (op_has_arg(op) && *pi < plen) {
        arg = prog[(*pi)++];
    }

    switch (op) {
    case OP_U8: {
        uint8_t v;
        rc = bw_rd_u8(rd, &v);
        used = 1;
        if (rc == BW_OK) {
            CHECK(v == cur[0]);
        }
        break;
    }
#define TYPED(OPC, fn, type, n, load)                                                                                  \
    case OPC: {                                                                                                        \
        type v;                                                                                                        \
        rc = fn(rd, &v);                                                                                               \
        used = n;                                                                                                      \
        if (rc == BW_OK) {                                                                                             \
            uint64_t want = load(cur, n);                                                                              \
            type w;                                                                                                    \
            CHECK(sizeof(w) == n);                                                                                     \
            memcpy(&w, &want, n); /* little-endian host: the low n bytes */                                            \
            CHECK(memcmp(&v, &w, n) == 0);                                                                             \
        }                                                                                                              \
        break;                                                                                                         \
    }
        TYPED(OP_U16LE, bw_rd_u16le, uint16_t, 2, load_le)
        TYPED(OP_U16BE, bw_rd_u16be, uint16_t, 2, load_be)
        TYPED(OP_U32LE, bw_rd_u32le, uint32_t, 4, load_le)
        TYPED(OP_U32BE, bw_rd_u32be, uint32_t, 4, load_be)
        TYPED(OP_U64LE, bw_rd_u64le, uint64_t, 8, load_le)
        TYPED(OP_U64BE, bw_rd_u64be, uint64_t, 8, load_be)
        TYPED(OP_I32, bw_rd_i32le, int32_t, 4, load_le)
        TYPED(OP_I64, bw_rd_i64le, int64_t, 8, load_le)
        TYPED(OP_F32, bw_rd_f32le, float, 4, load_le)
        TYPED(OP_F64, bw_rd_f64le, double, 8, load_le)
#undef TYPED
    case OP_UVARINT:
    case OP_SVARINT: {
        uint64_t want = 0, u = 0;
        size_t n = rd->st == BW_OK ? ref_uvarint(cur, left, &want) : 0;
        if (op == OP_UVARINT) {
            rc = bw_rd_uvarint(rd, &u);
            if (rc == BW_OK) {
                CHECK(u == want);
            }
        } else {
            int64_t s = 0;
            rc = bw_rd_svarint(rd, &s);
            if (rc == BW_OK) {
                int64_t ws = (int64_t)(want >> 1) ^ -(int64_t)(want & 1);
                CHECK(s == ws);
                /* zigzag: non-negative values come from even encodings */
                CHECK((s < 0) == ((want & 1) != 0));
            }
        }
        /* the library accepts exactly what the reference accepts */
        CHECK((rc == BW_OK) == (n != 0));
        used = n;
        break;
    }
    case OP_VIEW: {
        bw_bytes v = {NULL, 0};
        size_t n = arg_size(arg, rd);
        rc = bw_rd_view(rd, n, &v);
        used = n;
        CHECK((rc == BW_OK) == (rd->st == BW_OK && n <= left));
        if (rc == BW_OK) {
            check_view(rd, before, v, n);
        }
        break;
    }
    case OP_COPY: {
        uint8_t buf[COPY_BUF];
        size_t n = arg_size(arg, rd);
        if (n <= left && n > sizeof(buf)) {
            n = sizeof(buf); /* the buffer bounds a copy that would succeed */
        }
        /* a copy larger than the buffer is only attempted when it must fail without writing */
        memset(buf, 0xa5, sizeof(buf));
        rc = bw_rd_copy(rd, buf, n);
        used = n;
        CHECK((rc == BW_OK) == (rd->st == BW_OK && n <= left));
        if (rc == BW_OK) {
            CHECK(n == 0 || memcmp(buf, cur, n) == 0);
        } else {
            for (size_t i = 0; i < sizeof(buf); i++) {
                CHECK(buf[i] == 0xa5); /* a failed copy writes nothing */
            }
        }
        break;
    }
    case OP_SKIP: {
        size_t n = arg_size(arg, rd);
        rc = bw_rd_skip(rd, n);
        used = n;
        CHECK((rc == BW_OK) == (rd->st == BW_OK && n <= left));
        break;
    }
    case OP_PEEK: {
        uint8_t v = 0;
        bw_status st0 = rd->st;
        rc = bw_rd_peek(rd, &v);
        CHECK(rd->st == st0); /* peek never poisons */
        CHECK((rc == BW_OK) == (st0 == BW_OK && left > 0));
        if (rc == BW_OK) {
            CHECK(v == cur[0]);
        }
        used = 0;
        break;
    }
    case OP_UNTIL: {
        bw_bytes v = {NULL, 0};
        const uint8_t *hit = left > 0 ? memchr(cur, arg, left) : NULL;
        rc = bw_rd_until(rd, arg, &v);
        CHECK((rc == BW_OK) == (rd->st == BW_OK && hit != NULL));
        if (rc == BW_OK) {
            used = (size_t)(hit - cur) + 1;
            check_view(rd, before, v, used - 1);
            CHECK(v.ptr[v.len] == arg);
            CHECK(memchr(v.ptr, arg, v.len) == NULL);
        }
        break;
    }
    case OP_SUB: {
        size_t n = arg_size(arg, rd);
        rc = bw_rd_sub(rd, n, sub_out);
        used = n;
        CHECK((rc == BW_OK) == (rd->st == BW_OK && n <= left));
        if (rc == BW_OK) {
            CHECK(sub_out->len == n && sub_out->pos == 0 && sub_out->st == BW_OK);
            CHECK(sub_out->origin == rd->origin + before);
            CHECK(n == 0 || sub_out->base == rd->base + before);
            CHECK(sub_out->err == rd->err && sub_out->name == rd->name);
            *pushed = 1;
        } else {
            /* a failed sub is an empty, failed reader: an unchecked use reads nothing */
            CHECK(bw_rd_valid(sub_out) && sub_out->len == 0 && sub_out->st != BW_OK);
        }
        break;
    }
    case OP_FAIL: {
        static const bw_status codes[] = {BW_EFORMAT, BW_ELIMIT, BW_EUNSUPPORTED, BW_EVERIFY};
        bw_status st0 = rd->st;
        bw_status code = codes[arg % 4];
        rc = bw_rd_fail(rd, code, "fuzz %u", (unsigned)arg);
        CHECK(rc == (st0 == BW_OK ? code : st0));
        CHECK(rd->st == rc);
        CHECK(rd->pos == before);
        return rc;
    }
    default: return BW_OK;
    }

    if (rc == BW_OK) {
        CHECK(rd->st == BW_OK);
        CHECK(used <= left);
        CHECK(rd->pos == before + used);
    } else {
        CHECK(rd->pos == before);                /* a failure moves nothing */
        CHECK(rd->st != BW_OK || op == OP_PEEK); /* and poisons, except peek */
    }
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct ctx c; /* static: bw_error is large for a fuzzer's stack frames */
    bw_rd stack[MAX_DEPTH];
    int depth = 0;
    const uint8_t *prog;
    size_t plen, pi = 0;

    if (size == 0) {
        return 0;
    }
    plen = data[0];
    if (plen > size - 1) {
        plen = size - 1;
    }
    prog = data + 1;
    memset(&c, 0, sizeof(c));
    c.data = data + 1 + plen;
    c.size = size - 1 - plen;
    bw_error_clear(&c.err);

    bw_rd_init(&stack[0], c.data, c.size, "fuzz", &c.err);
    check_reader(&c, &stack[0]);

    while (pi < plen) {
        uint8_t ob = prog[pi++];
        unsigned op = (ob & 0x1f) % OP_COUNT;
        bw_rd *rd = &stack[depth];
        const bw_rd snap = *rd;
        bw_rd sub;
        int pushed = 0;
        bw_status rc;

        if (op == OP_POP) {
            if (depth > 0) {
                depth--;
            }
            continue;
        }
        memset(&sub, 0x5a, sizeof(sub)); /* garbage, as an uninitialised local would be */
        rc = run_op(&c, rd, op, prog, plen, &pi, &sub, &pushed);

        /* a reader that was poisoned before the op is unchanged by it */
        if (snap.st != BW_OK) {
            CHECK(rc == snap.st);
            CHECK(rd->st == snap.st && rd->pos == snap.pos);
        }
        /* only pos and st ever change */
        CHECK(rd->base == snap.base && rd->len == snap.len && rd->origin == snap.origin);
        CHECK(rd->err == snap.err && rd->name == snap.name);
        check_reader(&c, rd);
        check_err(&c);
        if (pushed) {
            check_reader(&c, &sub);
            if (depth + 1 < MAX_DEPTH) {
                stack[++depth] = sub;
            }
        }
    }
    /* the parents were never touched by work on their sub-readers' ranges */
    for (int i = 0; i <= depth; i++) {
        check_reader(&c, &stack[i]);
    }
    return 0;
}
