/*
 * test_npy.c - the .npy header parser and scanner, on files written by
 * numpy.save itself (tests/data/models-formats/npy, see make_fixtures.py):
 * plain, Fortran-order, structured and datetime arrays parse with the right
 * sizes and scan SAFE; object arrays are REVIEW and hand their pickle to the
 * member scanner; wrong data lengths and hostile headers are MALFORMED; every
 * prefix of every file is handled.
 */
#include <dirent.h>

#include "scan/mscan.h"
#include "tap.h"
#include "testutil.h"
#include "util/internal.h"

#include "testfx.h"

/* lib/scan/scan_npy.c */
BW_INTERNAL const bw_rule *const *bw_scan_npy_rules(size_t *n);

static void test_rules(void)
{
    size_t n = 0;
    const bw_rule *const *r = bw_scan_npy_rules(&n);
    is_int(n, 3, "three rules");
    is_str(r[0]->id, "npy-malformed", "rule 0");
    is_str(r[1]->id, "npy-size-mismatch", "rule 1");
    is_str(r[2]->id, "npy-object-array", "rule 2");
    is_str(r[2]->name, "NpyObjectArray", "rule 2 name");
}

static void test_valid(void)
{
    size_t n = fx_load("npy", "valid", ".npy", fx, MAX_FIXTURES);

    ok(n >= 18, "found %zu valid fixtures", n);
    for (size_t i = 0; i < n; i++) {
        bw_npy_info info;
        bw_error err;
        bw_mscan s;
        const char *b = fx[i].base;
        bw_status rc = bw_npy_parse(fx[i].data, fx[i].n, b, &info, &err);
        is_int(rc, BW_OK, "%s parses", b);
        if (rc != BW_OK) {
            tap_diag("%s", err.msg);
            continue;
        }
        is_int(info.data_len, info.expected_len, "%s: data length matches", b);
        ok(!info.has_object, "%s: no objects", b);
        if (strcmp(b, "f8") == 0) {
            is_str(info.descr, "<f8", "f8: descr");
            ok(info.n_dims == 2 && info.shape[0] == 2 && info.shape[1] == 3, "f8: shape (2, 3)");
            is_int(info.itemsize, 8, "f8: itemsize");
            is_int(info.major, 1, "f8: version 1.0");
            is_int(info.data_offset % 64, 0, "f8: data aligned");
        }
        if (strcmp(b, "fortran") == 0) {
            ok(info.fortran_order, "fortran: fortran_order");
        }
        if (strcmp(b, "unicode") == 0) {
            is_int(info.itemsize, 40, "unicode: <U10 is 40 bytes");
        }
        if (strcmp(b, "scalar") == 0) {
            ok(info.n_dims == 0 && info.numel == 1, "scalar: shape ()");
        }
        if (strcmp(b, "empty") == 0) {
            ok(info.numel == 0 && info.data_len == 0, "empty: no data");
        }
        if (strcmp(b, "structured") == 0) {
            ok(info.structured, "structured: flagged");
            is_int(info.itemsize, 17, "structured: 4 + 8 + 5 bytes");
        }
        if (strcmp(b, "structured-nested") == 0) {
            is_int(info.itemsize, 16 + 6 + 1, "nested: 2*8 + 3*2 + 1 bytes");
        }
        if (strcmp(b, "version2") == 0 || strcmp(b, "version3") == 0) {
            is_int(info.major, b[7] - '0', "%s: major version", b);
        }
        ok(bw_sniff_npy(fx[i].data, fx[i].n), "%s: sniffed", b);
        scan_reset(&s);
        is_int(bw_scan_npy(&s, fx[i].data, fx[i].n), BW_OK, "%s: scan ok", b);
        is_int(n_flags(), 0, "%s: no findings", b);
        is_int(s.verdict, BW_VERDICT_SAFE, "%s: safe", b);

        size_t bad = 0;
        for (size_t k = 0; k < fx[i].n; k++) {
            uint8_t *c = fx_prefix(fx[i].data, k);
            if (bw_npy_parse(c, k, "t", &info, NULL) == BW_OK && info.data_len == info.expected_len &&
                info.expected_len > 0) {
                bad++;
            }
            scan_reset(&s);
            if (bw_scan_npy(&s, c, k) != BW_OK || s.verdict != BW_VERDICT_MALFORMED) {
                bad++;
            }
            free(c);
        }
        /* an empty array is whole once its header is: only its shorter prefixes are malformed */
        is_int(bad, 0, "%s: all %zu prefixes malformed", b, fx[i].n);
    }
    fx_free(fx, n);
}

static void test_object(void)
{
    size_t n = fx_load("npy", "object", ".npy", fx, MAX_FIXTURES);

    ok(n >= 3, "found %zu object-array fixtures", n);
    for (size_t i = 0; i < n; i++) {
        bw_npy_info info;
        bw_mscan s;
        const bw_finding *fd;
        const char *b = fx[i].base;

        is_int(bw_npy_parse(fx[i].data, fx[i].n, b, &info, NULL), BW_OK, "%s parses", b);
        ok(info.has_object, "%s: has objects", b);
        ok(info.data_len > 2 && fx[i].data[info.data_offset] == 0x80, "%s: data is a pickle (PROTO)", b);
        scan_reset(&s);
        is_int(bw_scan_npy(&s, fx[i].data, fx[i].n), BW_OK, "%s: scan ok", b);
        ok(s.verdict >= BW_VERDICT_REVIEW, "%s: at least review", b);
        fd = flag_of("npy-object-array");
        ok(fd != NULL, "%s: npy-object-array finding", b);
        if (fd != NULL) {
            like(fd->message, "allow_pickle=True", "%s: message", b);
            is_int(fd->loc.offset, info.data_offset, "%s: offset of the data", b);
            ok(fd->loc.member == NULL, "%s: finding on the file itself", b);
        }
        for (size_t k = 0; k < fx[i].n; k++) {
            uint8_t *c = fx_prefix(fx[i].data, k);
            scan_reset(&s);
            if (bw_scan_npy(&s, c, k) != BW_OK || s.verdict < BW_VERDICT_REVIEW) {
                ok(0, "%s: prefix %zu", b, k);
            }
            free(c);
        }
    }
    fx_free(fx, n);
}

static void test_mismatch(void)
{
    size_t n = fx_load("npy", "mismatch", ".npy", fx, MAX_FIXTURES);

    is_int(n, 2, "found 2 size-mismatch fixtures");
    for (size_t i = 0; i < n; i++) {
        bw_npy_info info;
        bw_mscan s;
        const bw_finding *fd;

        is_int(bw_npy_parse(fx[i].data, fx[i].n, fx[i].base, &info, NULL), BW_OK, "%s: header parses", fx[i].base);
        is_int(info.expected_len, 32, "%s: 8 x <i4", fx[i].base);
        scan_reset(&s);
        is_int(bw_scan_npy(&s, fx[i].data, fx[i].n), BW_OK, "%s: scan ok", fx[i].base);
        is_int(s.verdict, BW_VERDICT_MALFORMED, "%s: malformed", fx[i].base);
        fd = flag_of("npy-size-mismatch");
        ok(fd != NULL, "%s: npy-size-mismatch", fx[i].base);
        if (fd != NULL) {
            like(fd->message, "need 32", "%s: message", fx[i].base);
        }
    }
    fx_free(fx, n);
}

static void test_invalid(void)
{
    size_t n = fx_load("npy", "invalid", ".npy", fx, MAX_FIXTURES);

    ok(n >= 18, "found %zu invalid fixtures", n);
    for (size_t i = 0; i < n; i++) {
        bw_npy_info info;
        bw_error err;
        bw_mscan s;
        bw_status rc;

        bw_error_clear(&err);
        rc = bw_npy_parse(fx[i].data, fx[i].n, "m.npy", &info, &err);
        ok(rc == BW_EFORMAT || rc == BW_ELIMIT || rc == BW_EUNSUPPORTED, "%s rejected (%d)", fx[i].base, rc);
        like(err.msg, fx[i].side, "%s: message", fx[i].base);
        like(err.msg, "m.npy: ", "%s: message names the file", fx[i].base);
        ok(err.offset <= fx[i].n, "%s: offset inside the file", fx[i].base);
        scan_reset(&s);
        is_int(bw_scan_npy(&s, fx[i].data, fx[i].n), BW_OK, "%s: scan ok", fx[i].base);
        is_int(s.verdict, BW_VERDICT_MALFORMED, "%s: malformed", fx[i].base);
        ok(flag_of("npy-malformed") != NULL, "%s: npy-malformed", fx[i].base);
        for (size_t k = 0; k < fx[i].n; k++) {
            uint8_t *c = fx_prefix(fx[i].data, k);
            if (bw_npy_parse(c, k, "t", &info, NULL) == BW_OK && k + 1 == fx[i].n) {
                tap_diag("%s: one byte short parses", fx[i].base);
            }
            free(c);
        }
    }
    fx_free(fx, n);
}

static void test_literals(void)
{
    static const struct {
        const char *hdr;
        int good;
        uint64_t itemsize;
    } cases[] = {
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (3L,), }", 1, 8},
        {"{\"descr\": \"|b1\", \"fortran_order\": True, \"shape\": ()}", 1, 1},
        {"{'shape': (), 'fortran_order': False, 'descr': '<M8[ns]'}", 1, 8},
        {"{'descr': [('a', '<f4', (2, 2)), ('b', '|O')], 'fortran_order': False, 'shape': (1,)}", 1, 24},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (1 2)}", 0, 0},
        {"{'descr': '<f8' 'fortran_order': False, 'shape': (1,)}", 0, 0},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (1,),,}", 0, 0},
        {"{'descr': '<M8[]', 'fortran_order': False, 'shape': (1,)}", 0, 0},
        {"{'descr': '<U', 'fortran_order': False, 'shape': (1,)}", 0, 0},
        {"{'descr': 'f8\\', 'fortran_order': False, 'shape': (1,)}", 0, 0},
        {"{'descr': '<f8', 'fortran_order': Truex, 'shape': (1,)}", 0, 0},
    };
    for (size_t i = 0; i < BW_ARRAY_LEN(cases); i++) {
        uint8_t buf[512];
        size_t hl = strlen(cases[i].hdr);
        bw_npy_info info;
        bw_status rc;
        memcpy(buf, "\x93NUMPY\x01\x00", 8);
        buf[8] = (uint8_t)(hl + 1);
        buf[9] = 0;
        memcpy(buf + 10, cases[i].hdr, hl);
        buf[10 + hl] = '\n';
        rc = bw_npy_parse(buf, hl + 11, "lit", &info, NULL);
        if (cases[i].good) {
            is_int(rc, BW_OK, "literal %zu parses", i);
            is_int(info.itemsize, cases[i].itemsize, "literal %zu itemsize", i);
        } else {
            ok(rc != BW_OK, "literal %zu rejected", i);
        }
    }
    ok(!bw_sniff_npy((const uint8_t *)"\x93NUMP", 5), "sniff: short");
    ok(bw_sniff_npy((const uint8_t *)"\x93NUMPY", 6), "sniff: magic");
}

int main(void)
{
    test_rules();
    test_literals();
    test_valid();
    test_object();
    test_mismatch();
    test_invalid();
    bw_report_free(rep);
    return done_testing();
}
