/*
 * test_rd.c - bw_rd: every typed read (exact values, both byte orders),
 * truncation at every length for every read (status, offset, message,
 * poisoning), varints, view/copy/skip/until/sub, peek and bw_rd_valid.
 */
#include <math.h>

#include "tap.h"
#include "util/internal.h"

static const uint8_t seq[16] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
                                0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10};

static void test_init_valid(void)
{
    bw_rd rd;
    bw_error err;

    bw_error_clear(&err);
    bw_rd_init(&rd, seq, sizeof(seq), "x", &err);
    ok(bw_rd_valid(&rd), "fresh reader is valid");
    is_int(bw_rd_left(&rd), 16, "left == len");
    is_int(bw_rd_offset(&rd), 0, "offset 0");
    ok(!bw_rd_eof(&rd), "not at eof");

    bw_rd_init(&rd, NULL, 10, "x", &err);
    is_int(rd.len, 0, "NULL input gives an empty reader");
    ok(bw_rd_valid(&rd), "empty NULL reader is valid");
    ok(bw_rd_eof(&rd), "empty reader is at eof");

    ok(!bw_rd_valid(NULL), "NULL is not a valid reader");
    bw_rd_init(&rd, seq, sizeof(seq), "x", &err);
    rd.pos = 17;
    ok(!bw_rd_valid(&rd), "pos > len is invalid");
    rd.pos = 16;
    ok(bw_rd_valid(&rd), "pos == len is valid");
    rd.base = NULL;
    ok(!bw_rd_valid(&rd), "NULL base with len > 0 is invalid");
}

static void test_typed_values(void)
{
    bw_rd rd;
    bw_error err;
    uint8_t u8;
    uint16_t u16;
    uint32_t u32;
    uint64_t u64;
    int32_t i32;
    int64_t i64;
    float f32;
    double f64;

    bw_error_clear(&err);
    bw_rd_init(&rd, seq, sizeof(seq), "seq", &err);
    is_int(bw_rd_u8(&rd, &u8), BW_OK, "u8");
    is_int(u8, 0x01, "u8 value");
    is_int(bw_rd_u16le(&rd, &u16), BW_OK, "u16le");
    is_int(u16, 0x0302, "u16le value");
    is_int(bw_rd_u16be(&rd, &u16), BW_OK, "u16be");
    is_int(u16, 0x0405, "u16be value");
    is_int(bw_rd_offset(&rd), 5, "offset after u8+u16+u16");
    is_int(bw_rd_u32le(&rd, &u32), BW_OK, "u32le");
    is_int(u32, 0x09080706, "u32le value");
    is_int(bw_rd_u32be(&rd, &u32), BW_OK, "u32be");
    is_int(u32, 0x0a0b0c0d, "u32be value");
    is_int(bw_rd_left(&rd), 3, "3 bytes left");
    ok(!bw_rd_eof(&rd), "not at eof");

    bw_rd_init(&rd, seq, sizeof(seq), "seq", &err);
    is_int(bw_rd_u64le(&rd, &u64), BW_OK, "u64le");
    ok(u64 == UINT64_C(0x0807060504030201), "u64le value");
    is_int(bw_rd_u64be(&rd, &u64), BW_OK, "u64be");
    ok(u64 == UINT64_C(0x090a0b0c0d0e0f10), "u64be value");
    ok(bw_rd_eof(&rd), "eof after reading everything");
    is_int(bw_rd_left(&rd), 0, "nothing left");
    is_int(err.code, BW_OK, "no error recorded");

    {
        static const uint8_t hi[16] = {0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0xfa, 0xf9, 0xf8,
                                       0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80};
        bw_rd_init(&rd, hi, sizeof(hi), "hi", &err);
        is_int(bw_rd_u16le(&rd, &u16), BW_OK, "u16le high bits");
        is_int(u16, 0xfeff, "u16le high value");
        bw_rd_init(&rd, hi, sizeof(hi), "hi", &err);
        is_int(bw_rd_u16be(&rd, &u16), BW_OK, "u16be high bits");
        is_int(u16, 0xfffe, "u16be high value");
        bw_rd_init(&rd, hi, sizeof(hi), "hi", &err);
        is_int(bw_rd_u32be(&rd, &u32), BW_OK, "u32be high bits");
        ok(u32 == 0xfffefdfcu, "u32be high value");
        bw_rd_init(&rd, hi, sizeof(hi), "hi", &err);
        is_int(bw_rd_u64le(&rd, &u64), BW_OK, "u64le high bits");
        ok(u64 == UINT64_C(0xf8f9fafbfcfdfeff), "u64le high value");
        is_int(bw_rd_u64be(&rd, &u64), BW_OK, "u64be top bit");
        ok(u64 == UINT64_C(0x8000000000000080), "u64be top-bit value");
    }

    {
        static const uint8_t neg[12] = {0xfe, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80};
        bw_rd_init(&rd, neg, sizeof(neg), "neg", &err);
        is_int(bw_rd_i32le(&rd, &i32), BW_OK, "i32le");
        is_int(i32, -2, "i32le negative value");
        is_int(bw_rd_i64le(&rd, &i64), BW_OK, "i64le");
        ok(i64 == INT64_MIN, "i64le INT64_MIN");
        bw_rd_init(&rd, neg, 8, "neg", &err);
        is_int(bw_rd_i64le(&rd, &i64), BW_OK, "i64le small");
        is_int(i64, 0xfffffffe, "i64le positive value");
    }

    {
        /* 1.5f = 0x3fc00000; -2.25 = 0xc002000000000000 */
        static const uint8_t fl[12] = {0x00, 0x00, 0xc0, 0x3f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0xc0};
        static const uint8_t nan[4] = {0x00, 0x00, 0xc0, 0x7f};
        bw_rd_init(&rd, fl, sizeof(fl), "fl", &err);
        is_int(bw_rd_f32le(&rd, &f32), BW_OK, "f32le");
        ok(f32 == 1.5f, "f32le value 1.5");
        is_int(bw_rd_f64le(&rd, &f64), BW_OK, "f64le");
        ok(f64 == -2.25, "f64le value -2.25");
        bw_rd_init(&rd, nan, sizeof(nan), "nan", &err);
        is_int(bw_rd_f32le(&rd, &f32), BW_OK, "f32le NaN");
        ok(isnan(f32), "f32le NaN passes through");
    }
}

/* One read of each kind, by index, so truncation can be tested uniformly. */
enum {
    R_U8,
    R_U16LE,
    R_U16BE,
    R_U32LE,
    R_U32BE,
    R_U64LE,
    R_U64BE,
    R_I32,
    R_I64,
    R_F32,
    R_F64,
    R_VIEW5,
    R_COPY5,
    R_SKIP5,
    R_SUB5,
    R_COUNT
};
static const char *const rnames[R_COUNT] = {"u8",    "u16le",   "u16be",   "u32le",   "u32be",
                                            "u64le", "u64be",   "i32le",   "i64le",   "f32le",
                                            "f64le", "view(5)", "copy(5)", "skip(5)", "sub(5)"};
static const size_t rsize[R_COUNT] = {1, 2, 2, 4, 4, 8, 8, 4, 8, 4, 8, 5, 5, 5, 5};

static bw_status do_read(bw_rd *rd, int kind)
{
    uint8_t u8;
    uint16_t u16;
    uint32_t u32;
    uint64_t u64;
    int32_t i32;
    int64_t i64;
    float f;
    double d;
    bw_bytes v;
    uint8_t tmp[5];
    bw_rd sub;

    switch (kind) {
    case R_U8: return bw_rd_u8(rd, &u8);
    case R_U16LE: return bw_rd_u16le(rd, &u16);
    case R_U16BE: return bw_rd_u16be(rd, &u16);
    case R_U32LE: return bw_rd_u32le(rd, &u32);
    case R_U32BE: return bw_rd_u32be(rd, &u32);
    case R_U64LE: return bw_rd_u64le(rd, &u64);
    case R_U64BE: return bw_rd_u64be(rd, &u64);
    case R_I32: return bw_rd_i32le(rd, &i32);
    case R_I64: return bw_rd_i64le(rd, &i64);
    case R_F32: return bw_rd_f32le(rd, &f);
    case R_F64: return bw_rd_f64le(rd, &d);
    case R_VIEW5: return bw_rd_view(rd, 5, &v);
    case R_COPY5: return bw_rd_copy(rd, tmp, 5);
    case R_SKIP5: return bw_rd_skip(rd, 5);
    case R_SUB5: return bw_rd_sub(rd, 5, &sub);
    }
    return BW_EINVAL;
}

/*
 * For every read and every available length below its size: put 3 bytes of
 * prefix first (so the offset is not trivially 0), fail, check the error
 * record, then check the reader stays poisoned and never moves.
 */
static void test_truncation(void)
{
    uint8_t data[3 + 8];
    int bad_rc = 0, bad_off = 0, bad_msg = 0, bad_poison = 0, bad_ok = 0, cases = 0;

    memset(data, 0x41, sizeof(data));
    for (int k = 0; k < R_COUNT; k++) {
        for (size_t avail = 0; avail <= rsize[k]; avail++) {
            bw_rd rd;
            bw_error err;
            bw_status rc;
            char want[64];

            bw_error_clear(&err);
            bw_rd_init(&rd, data, 3 + avail, "file.bin", &err);
            if (bw_rd_skip(&rd, 3) != BW_OK) {
                bad_ok++;
                continue;
            }
            rc = do_read(&rd, k);
            if (avail == rsize[k]) {
                /* exactly enough bytes: must succeed and reach the end */
                if (rc != BW_OK || !bw_rd_eof(&rd) || rd.pos != rd.len) {
                    bad_ok++;
                    tap_diag("%s with exactly %zu bytes failed", rnames[k], avail);
                }
                continue;
            }
            cases++;
            if (rc != BW_EFORMAT || err.code != BW_EFORMAT || rd.st != BW_EFORMAT) {
                bad_rc++;
                tap_diag("%s with %zu of %zu bytes: rc %d", rnames[k], avail, rsize[k], rc);
            }
            if (err.offset != 3 || rd.pos != 3) {
                bad_off++;
                tap_diag("%s avail %zu: error offset %llu pos %zu, want 3", rnames[k], avail,
                         (unsigned long long)err.offset, rd.pos);
            }
            snprintf(want, sizeof(want), "file.bin: offset 3: ");
            if (strncmp(err.msg, want, strlen(want)) != 0 || strstr(err.msg, "truncated") == NULL) {
                bad_msg++;
                tap_diag("%s: message '%s'", rnames[k], err.msg);
            }
            /* poisoned: every later read fails with the same code and does not move */
            for (int j = 0; j < R_COUNT; j++) {
                uint8_t p;
                bw_bytes v;
                if (do_read(&rd, j) != BW_EFORMAT || rd.pos != 3) {
                    bad_poison++;
                }
                if (bw_rd_peek(&rd, &p) != BW_EFORMAT || bw_rd_until(&rd, 'A', &v) != BW_EFORMAT) {
                    bad_poison++;
                }
            }
            {
                uint64_t u;
                int64_t s;
                if (bw_rd_uvarint(&rd, &u) != BW_EFORMAT || bw_rd_svarint(&rd, &s) != BW_EFORMAT || rd.pos != 3) {
                    bad_poison++;
                }
            }
            if (bw_rd_left(&rd) != 0 || !bw_rd_eof(&rd) || !bw_rd_valid(&rd)) {
                bad_poison++;
            }
            /* the first message and offset survive later failures */
            if (err.offset != 3 || strstr(err.msg, "truncated") == NULL) {
                bad_poison++;
            }
        }
    }
    ok(cases > 60, "truncation cases run: %d", cases);
    is_int(bad_ok, 0, "every read succeeds with exactly enough bytes");
    is_int(bad_rc, 0, "every truncated read fails with BW_EFORMAT, recorded in err and reader");
    is_int(bad_off, 0, "every truncated read records the offset where it started");
    is_int(bad_msg, 0, "every message starts with name and offset and says truncated");
    is_int(bad_poison, 0, "a failed reader stays failed and never moves");
}

static void test_messages(void)
{
    bw_rd rd;
    bw_error err;
    uint32_t u32;

    bw_error_clear(&err);
    bw_rd_init(&rd, seq, 6, "model.pkl", &err);
    is_int(bw_rd_skip(&rd, 4), BW_OK, "skip 4");
    is_int(bw_rd_u32le(&rd, &u32), BW_EFORMAT, "u32 with 2 bytes left");
    is_str(err.msg, "model.pkl: offset 4: truncated: uint32_t needs 4 bytes, 2 left", "full truncation message");
    ok(err.src_file != NULL && err.src_line > 0, "source location recorded");

    /* without a name the message starts with the offset */
    bw_error_clear(&err);
    bw_rd_init(&rd, seq, 2, NULL, &err);
    is_int(bw_rd_u32le(&rd, &u32), BW_EFORMAT, "unnamed reader fails");
    is_str(err.msg, "offset 0: truncated: uint32_t needs 4 bytes, 2 left", "unnamed message");

    /* NULL err: still fails and poisons */
    bw_rd_init(&rd, seq, 2, "x", NULL);
    is_int(bw_rd_u32le(&rd, &u32), BW_EFORMAT, "fails with err NULL");
    is_int(bw_rd_u8(&rd, &(uint8_t){0}), BW_EFORMAT, "poisoned with err NULL");
    is_int(rd.pos, 0, "no movement with err NULL");

    /* bw_rd_fail: custom code and message, first error kept */
    bw_error_clear(&err);
    bw_rd_init(&rd, seq, sizeof(seq), "hdr", &err);
    is_int(bw_rd_skip(&rd, 9), BW_OK, "skip 9");
    is_int(bw_rd_fail(&rd, BW_ELIMIT, "length %d over limit", 1000), BW_ELIMIT, "bw_rd_fail returns code");
    is_str(err.msg, "hdr: offset 9: length 1000 over limit", "bw_rd_fail message");
    is_int(err.offset, 9, "bw_rd_fail offset");
    is_int(err.code, BW_ELIMIT, "bw_rd_fail code");
    is_int(bw_rd_u8(&rd, &(uint8_t){0}), BW_ELIMIT, "later reads return the poisoning code");
    is_int(bw_rd_fail(&rd, BW_EFORMAT, "second"), BW_ELIMIT, "second fail keeps the first code");
    is_str(err.msg, "hdr: offset 9: length 1000 over limit", "second fail keeps the first message");
    is_int(rd.pos, 9, "no movement after fail");
}

static size_t put_uvarint(uint8_t *p, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (uint8_t)v;
    return n;
}

static void test_varint(void)
{
    bw_rd rd;
    bw_error err;
    uint64_t u;
    int64_t s;
    uint8_t buf[16];
    int bad = 0;

    /* every length 1..10, at the smallest and largest value of that length */
    for (unsigned len = 1; len <= 10; len++) {
        uint64_t lo = len == 1 ? 0 : UINT64_C(1) << (7 * (len - 1));
        uint64_t hi = len == 10 ? UINT64_MAX : (UINT64_C(1) << (7 * len)) - 1;
        uint64_t vals[2] = {lo, hi};
        for (int k = 0; k < 2; k++) {
            size_t n = put_uvarint(buf, vals[k]);
            buf[n] = 0xaa;
            bw_error_clear(&err);
            bw_rd_init(&rd, buf, n + 1, "v", &err);
            if (n != len || bw_rd_uvarint(&rd, &u) != BW_OK || u != vals[k] || rd.pos != len) {
                bad++;
                tap_diag("varint of length %u value %llu", len, (unsigned long long)vals[k]);
            }
        }
    }
    is_int(bad, 0, "uvarint of every length 1..10 decodes exactly");

    {
        static const uint8_t max[10] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
        bw_rd_init(&rd, max, sizeof(max), "v", &err);
        is_int(bw_rd_uvarint(&rd, &u), BW_OK, "max uint64 varint");
        ok(u == UINT64_MAX, "max uint64 value");
        ok(bw_rd_eof(&rd), "consumed all 10 bytes");
    }
    {
        /* non-minimal but in range: 0x80 0x00 == 0 */
        static const uint8_t nm[2] = {0x80, 0x00};
        bw_rd_init(&rd, nm, sizeof(nm), "v", &err);
        is_int(bw_rd_uvarint(&rd, &u), BW_OK, "non-minimal zero");
        is_int(u, 0, "non-minimal zero value");
    }
    {
        /* 10th byte 0x02: bit 64 would be set */
        static const uint8_t ov[10] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02};
        bw_error_clear(&err);
        bw_rd_init(&rd, ov, sizeof(ov), "v", &err);
        u = 12345;
        is_int(bw_rd_uvarint(&rd, &u), BW_EFORMAT, "overflow in the 10th byte");
        is_int(u, 12345, "output untouched on overflow");
        is_int(rd.pos, 0, "pos not moved on overflow");
        is_int(err.offset, 0, "overflow offset is the start of the varint");
        like(err.msg, "v: offset 0: ", "overflow message has name and offset");
        like(err.msg, "varint overflows 64 bits", "overflow message says so");
    }
    {
        /* more than 10 bytes */
        static const uint8_t lg[12] = {0, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00};
        bw_error_clear(&err);
        bw_rd_init(&rd, lg, sizeof(lg), "v", &err);
        is_int(bw_rd_uvarint(&rd, &u), BW_OK, "leading one-byte varint");
        is_int(bw_rd_uvarint(&rd, &u), BW_EFORMAT, "11-byte varint fails");
        is_int(rd.pos, 1, "pos not moved on too-long varint");
        is_int(err.offset, 1, "too-long offset is the start of the varint");
        like(err.msg, "v: offset 1: ", "too-long message has name and offset");
        like(err.msg, "longer than 10 bytes", "too-long message says so");
    }
    {
        /* truncated at every length */
        static const uint8_t tr[10] = {0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x01};
        int badt = 0;
        for (size_t n = 0; n < 10; n++) {
            uint8_t in[12];
            in[0] = 0x07; /* a one-byte varint first, so the offset is 1 */
            memcpy(in + 1, tr, n);
            bw_error_clear(&err);
            bw_rd_init(&rd, in, n + 1, "t", &err);
            if (bw_rd_uvarint(&rd, &u) != BW_OK || u != 7) {
                badt++;
            }
            if (bw_rd_uvarint(&rd, &u) != BW_EFORMAT || rd.pos != 1 || err.offset != 1 ||
                strstr(err.msg, "t: offset 1: truncated varint") == NULL) {
                badt++;
                tap_diag("truncated varint of %zu bytes: pos %zu offset %llu msg '%s'", n, rd.pos,
                         (unsigned long long)err.offset, err.msg);
            }
            if (bw_rd_u8(&rd, &(uint8_t){0}) != BW_EFORMAT || rd.pos != 1) {
                badt++;
            }
        }
        is_int(badt, 0, "truncated varint at every length fails, poisons, offset at start");
        bw_rd_init(&rd, tr, 10, "t", &err);
        is_int(bw_rd_uvarint(&rd, &u), BW_OK, "the full 10-byte varint decodes");
    }

    /* zigzag */
    {
        static const struct {
            uint64_t enc;
            int64_t dec;
        } zz[] = {
            {0, 0},
            {1, -1},
            {2, 1},
            {3, -2},
            {4, 2},
            {127, -64},
            {128, 64},
            {UINT64_C(0xfffffffe), INT64_C(0x7fffffff)},
            {UINT64_C(0xffffffff), -INT64_C(0x80000000)},
            {UINT64_MAX - 1, INT64_MAX},
            {UINT64_MAX, INT64_MIN},
        };
        int badz = 0;
        for (size_t i = 0; i < BW_ARRAY_LEN(zz); i++) {
            size_t n = put_uvarint(buf, zz[i].enc);
            bw_rd_init(&rd, buf, n, "z", &err);
            if (bw_rd_svarint(&rd, &s) != BW_OK || s != zz[i].dec || !bw_rd_eof(&rd)) {
                badz++;
                tap_diag("zigzag %llu", (unsigned long long)zz[i].enc);
            }
        }
        is_int(badz, 0, "svarint zigzag decodes 0, -1, 1, ..., INT64_MAX, INT64_MIN");
        bw_error_clear(&err);
        bw_rd_init(&rd, (const uint8_t[]){0x80}, 1, "z", &err);
        is_int(bw_rd_svarint(&rd, &s), BW_EFORMAT, "truncated svarint fails");
        is_int(rd.st, BW_EFORMAT, "truncated svarint poisons");
    }
}

static void test_view_copy_skip(void)
{
    bw_rd rd;
    bw_error err;
    bw_bytes v;
    uint8_t dst[8];

    bw_error_clear(&err);
    bw_rd_init(&rd, seq, sizeof(seq), "s", &err);
    is_int(bw_rd_view(&rd, 3, &v), BW_OK, "view 3");
    ok(v.ptr == seq && v.len == 3, "view borrows the input");
    is_int(bw_rd_copy(&rd, dst, 4), BW_OK, "copy 4");
    is_mem(dst, seq + 3, 4, "copy contents");
    is_int(bw_rd_skip(&rd, 2), BW_OK, "skip 2");
    is_int(bw_rd_offset(&rd), 9, "offset after view/copy/skip");
    is_int(bw_rd_view(&rd, 0, &v), BW_OK, "zero-length view");
    ok(v.ptr == seq + 9 && v.len == 0, "zero-length view points at the cursor");
    is_int(bw_rd_skip(&rd, 7), BW_OK, "skip to the end");
    ok(bw_rd_eof(&rd), "at end");
    is_int(bw_rd_view(&rd, 0, &v), BW_OK, "zero-length view at end");
    is_int(bw_rd_copy(&rd, dst, 0), BW_OK, "zero-length copy at end");
    is_int(bw_rd_skip(&rd, 0), BW_OK, "zero-length skip at end");
    {
        bw_rd sub;
        is_int(bw_rd_sub(&rd, 0, &sub), BW_OK, "zero-length sub at end");
        ok(bw_rd_eof(&sub) && sub.origin == 16, "empty sub at end");
    }
    is_int(err.code, BW_OK, "zero-length reads at end record nothing");
    is_int(bw_rd_skip(&rd, 1), BW_EFORMAT, "skip past end fails");
    is_int(err.offset, 16, "offset of skip past end");

    /* huge sizes must not wrap the bounds check */
    bw_error_clear(&err);
    bw_rd_init(&rd, seq, sizeof(seq), "s", &err);
    is_int(bw_rd_skip(&rd, 1), BW_OK, "skip 1");
    is_int(bw_rd_view(&rd, SIZE_MAX, &v), BW_EFORMAT, "view SIZE_MAX fails");
    is_int(rd.pos, 1, "no movement");
    bw_rd_init(&rd, seq, sizeof(seq), "s", &err);
    is_int(bw_rd_skip(&rd, SIZE_MAX - 3), BW_EFORMAT, "skip near SIZE_MAX fails");

    /* zero-length reads on an empty NULL reader */
    bw_error_clear(&err);
    bw_rd_init(&rd, NULL, 0, "e", &err);
    is_int(bw_rd_view(&rd, 0, &v), BW_OK, "zero view on a NULL reader");
    is_int(v.len, 0, "zero view length");
    is_int(bw_rd_copy(&rd, dst, 0), BW_OK, "zero copy on a NULL reader");
    is_int(bw_rd_skip(&rd, 0), BW_OK, "zero skip on a NULL reader");
    is_int(bw_rd_until(&rd, 0, &v), BW_EFORMAT, "until on a NULL reader fails");
    is_int(err.offset, 0, "until on a NULL reader offset 0");
}

static void test_peek(void)
{
    bw_rd rd;
    bw_error err;
    uint8_t b = 0;

    bw_error_clear(&err);
    bw_rd_init(&rd, seq, 2, "p", &err);
    is_int(bw_rd_peek(&rd, &b), BW_OK, "peek");
    is_int(b, 0x01, "peek value");
    is_int(rd.pos, 0, "peek does not move");
    is_int(bw_rd_skip(&rd, 2), BW_OK, "skip to end");
    b = 0x55;
    is_int(bw_rd_peek(&rd, &b), BW_EFORMAT, "peek at the end fails");
    is_int(b, 0x55, "peek at end leaves the output");
    is_int(rd.st, BW_OK, "peek at the end does not poison");
    is_int(err.code, BW_OK, "peek at the end records nothing");
    is_int(bw_rd_skip(&rd, 0), BW_OK, "reader still usable after a failed peek");
}

static void test_until(void)
{
    static const uint8_t txt[] = "key=value\nnext\n\nend";
    bw_rd rd;
    bw_error err;
    bw_bytes v;

    bw_error_clear(&err);
    bw_rd_init(&rd, txt, sizeof(txt) - 1, "u", &err);
    is_int(bw_rd_until(&rd, '=', &v), BW_OK, "until '='");
    ok(v.len == 3 && memcmp(v.ptr, "key", 3) == 0, "until view excludes the delimiter");
    is_int(rd.pos, 4, "until moves past the delimiter");
    is_int(bw_rd_until(&rd, '\n', &v), BW_OK, "until newline");
    ok(v.len == 5 && memcmp(v.ptr, "value", 5) == 0, "second field");
    is_int(bw_rd_until(&rd, '\n', &v), BW_OK, "until newline again");
    ok(v.len == 4 && memcmp(v.ptr, "next", 4) == 0, "third field");
    is_int(bw_rd_until(&rd, '\n', &v), BW_OK, "empty field");
    ok(v.len == 0 && v.ptr == txt + 15, "empty field view");
    is_int(bw_rd_until(&rd, '\n', &v), BW_EFORMAT, "missing delimiter fails");
    is_int(rd.pos, 16, "missing delimiter does not move");
    is_int(err.offset, 16, "missing delimiter offset");
    like(err.msg, "u: offset 16: missing delimiter 0x0a", "missing delimiter message");
    is_int(bw_rd_u8(&rd, &(uint8_t){0}), BW_EFORMAT, "missing delimiter poisons");

    /* delimiter as the last byte */
    bw_rd_init(&rd, "ab;", 3, "u", &err);
    is_int(bw_rd_until(&rd, ';', &v), BW_OK, "delimiter at the last byte");
    ok(bw_rd_eof(&rd) && v.len == 2, "at end after the last delimiter");
    is_int(bw_rd_until(&rd, ';', &v), BW_EFORMAT, "until at end fails");
}

static void test_sub(void)
{
    bw_rd rd, sub, sub2;
    bw_error err;
    uint16_t u16;
    uint8_t u8;

    bw_error_clear(&err);
    bw_rd_init(&rd, seq, sizeof(seq), "outer", &err);
    is_int(bw_rd_skip(&rd, 4), BW_OK, "skip 4");
    is_int(bw_rd_sub(&rd, 6, &sub), BW_OK, "sub 6");
    is_int(rd.pos, 10, "parent skips past the sub range");
    is_int(sub.origin, 4, "sub origin is absolute");
    is_int(bw_rd_offset(&sub), 4, "sub offset starts at 4");
    ok(sub.name != NULL && strcmp(sub.name, "outer") == 0 && sub.err == &err, "sub inherits name and err");
    is_int(bw_rd_left(&sub), 6, "sub has 6 bytes");
    is_int(bw_rd_u16be(&sub, &u16), BW_OK, "read in sub");
    is_int(u16, 0x0506, "sub reads the right bytes");
    is_int(bw_rd_sub(&sub, 3, &sub2), BW_OK, "nested sub");
    is_int(sub2.origin, 6, "nested origin is absolute");
    is_int(bw_rd_skip(&sub2, 3), BW_OK, "skip all of nested sub");
    is_int(bw_rd_u8(&sub2, &u8), BW_EFORMAT, "nested sub cannot read past its end");
    is_int(err.offset, 9, "nested failure offset is absolute");
    like(err.msg, "outer: offset 9: truncated", "nested failure message");
    is_int(bw_rd_u8(&sub, &u8), BW_OK, "sibling sub unaffected by the nested failure");
    is_int(u8, 0x0a, "sub never reads past its range into the parent");
    is_int(bw_rd_u8(&sub, &u8), BW_EFORMAT, "sub ends at its length even though the parent continues");
    is_int(bw_rd_u8(&rd, &u8), BW_OK, "parent unaffected by sub failures");
    is_int(u8, 0x0b, "parent continues after the sub range");

    /* sub longer than what is left */
    bw_error_clear(&err);
    bw_rd_init(&rd, seq, sizeof(seq), "outer", &err);
    is_int(bw_rd_skip(&rd, 10), BW_OK, "skip 10");
    memset(&sub, 0xa5, sizeof(sub)); /* garbage, as on the stack */
    is_int(bw_rd_sub(&rd, 7, &sub), BW_EFORMAT, "sub past end fails");
    is_int(rd.pos, 10, "parent not moved");
    is_int(err.offset, 10, "sub failure offset");
    ok(bw_rd_valid(&sub) && bw_rd_eof(&sub) && bw_rd_left(&sub) == 0, "failed sub is an empty, failed reader");
    is_int(bw_rd_u8(&sub, &u8), BW_EFORMAT, "reads on a failed sub fail");

    /* sub of a sub-reader created at a non-zero origin, then failure offset */
    bw_error_clear(&err);
    bw_rd_init(&rd, seq, sizeof(seq), "o", &err);
    rd.origin = 1000; /* a reader over a window of a larger file */
    is_int(bw_rd_skip(&rd, 2), BW_OK, "skip 2 in a window");
    is_int(bw_rd_sub(&rd, 4, &sub), BW_OK, "sub in a window");
    is_int(sub.origin, 1002, "sub origin adds the window origin");
    is_int(bw_rd_skip(&sub, 4), BW_OK, "skip sub");
    is_int(bw_rd_u8(&sub, &u8), BW_EFORMAT, "fail at the end of the windowed sub");
    is_int(err.offset, 1006, "offset is absolute in the whole file");
    like(err.msg, "o: offset 1006: ", "message uses the absolute offset");
}

int main(void)
{
    test_init_valid();
    test_typed_values();
    test_truncation();
    test_messages();
    test_varint();
    test_view_copy_skip();
    test_peek();
    test_until();
    test_sub();
    return done_testing();
}
