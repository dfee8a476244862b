/*
 * test_safetensors.c - the safetensors validator and scanner on the fixtures
 * of tests/data/models-formats/safetensors (written per the specification by
 * make_fixtures.py): valid files parse and scan SAFE, every hostile file
 * fails with the expected message, every prefix of every file is rejected
 * without a crash, and allocation failures are clean.
 */
#include <dirent.h>

#include "scan/mscan.h"
#include "tap.h"
#include "testutil.h"
#include "util/internal.h"

#include "testfx.h"

/* lib/scan/scan_safetensors.c */
BW_INTERNAL const bw_rule *const *bw_scan_safetensors_rules(size_t *n);

static void test_rules(void)
{
    size_t n = 0;
    const bw_rule *const *r = bw_scan_safetensors_rules(&n);
    is_int(n, 1, "one rule");
    is_str(r[0]->id, "safetensors-malformed", "rule id");
    is_str(r[0]->name, "SafetensorsMalformed", "rule name");
    ok(r[0]->short_desc != NULL && r[0]->help != NULL, "rule texts");
}

static void test_valid(void)
{
    size_t n = fx_load("safetensors", "valid", ".safetensors", fx, MAX_FIXTURES);

    ok(n >= 6, "found %zu valid fixtures", n);
    for (size_t i = 0; i < n; i++) {
        bw_st_file f;
        bw_error err;
        bw_mscan s;
        bw_status rc = bw_safetensors_parse(fx[i].data, fx[i].n, fx[i].base, &f, &err);
        is_int(rc, BW_OK, "%s parses", fx[i].base);
        if (rc != BW_OK) {
            tap_diag("%s", err.msg);
            continue;
        }
        ok(f.data_start == 8 + f.header_len && f.data_start + f.data_len == fx[i].n, "%s: layout adds up", fx[i].base);
        for (size_t t = 1; t < f.n_tensors; t++) {
            if (f.tensors[t].begin != f.tensors[t - 1].end) {
                ok(0, "%s: tensors are contiguous", fx[i].base);
            }
        }
        if (strcmp(fx[i].base, "basic") == 0) {
            is_int(f.n_tensors, 4, "basic: 4 tensors");
            is_int(f.n_metadata, 2, "basic: 2 metadata entries");
            is_str(f.tensors[0].name, "embed.weight", "basic: first by offset");
            is_str(f.tensors[0].dtype, "F32", "basic: dtype");
            is_int(f.tensors[0].numel, 12, "basic: numel");
            is_int(f.tensors[0].n_dims, 2, "basic: dims");
            is_str(f.tensors[1].dtype, "BF16", "basic: bf16");
            is_int(f.tensors[1].end - f.tensors[1].begin, 6, "basic: bf16 bytes");
        }
        if (strcmp(fx[i].base, "all-dtypes") == 0) {
            is_int(f.n_tensors, 15, "all-dtypes: 15 tensors");
        }
        if (strcmp(fx[i].base, "scalar-and-zero") == 0) {
            is_int(f.n_tensors, 3, "scalar-and-zero: 3 tensors");
            is_int(f.tensors[0].n_dims, 0, "scalar has no dims");
            is_int(f.tensors[0].numel, 1, "scalar has one element");
        }
        if (strcmp(fx[i].base, "unordered-keys") == 0) {
            is_str(f.tensors[0].name, "a", "sorted by offset, not by header order");
        }
        bw_safetensors_release(&f);

        ok(bw_sniff_safetensors(fx[i].data, fx[i].n), "%s: sniffed", fx[i].base);
        scan_reset(&s);
        is_int(bw_scan_safetensors(&s, fx[i].data, fx[i].n), BW_OK, "%s: scan ok", fx[i].base);
        is_int(n_flags(), 0, "%s: no findings", fx[i].base);
        is_int(s.verdict, BW_VERDICT_SAFE, "%s: safe", fx[i].base);

        /* every proper prefix is malformed */
        size_t bad = 0;
        for (size_t k = 0; k < fx[i].n; k++) {
            uint8_t *c = fx_prefix(fx[i].data, k);
            if (bw_safetensors_parse(c, k, "t", &f, NULL) == BW_OK) {
                bw_safetensors_release(&f);
                bad++;
            }
            scan_reset(&s);
            if (bw_scan_safetensors(&s, c, k) != BW_OK || s.verdict != BW_VERDICT_MALFORMED) {
                bad++;
            }
            free(c);
        }
        is_int(bad, 0, "%s: all %zu prefixes malformed", fx[i].base, fx[i].n);
    }
    fx_free(fx, n);
}

static void test_invalid(void)
{
    size_t n = fx_load("safetensors", "invalid", ".safetensors", fx, MAX_FIXTURES);

    ok(n >= 20, "found %zu invalid fixtures", n);
    for (size_t i = 0; i < n; i++) {
        bw_st_file f;
        bw_error err;
        bw_mscan s;
        bw_status rc;

        bw_error_clear(&err);
        rc = bw_safetensors_parse(fx[i].data, fx[i].n, "m.safetensors", &f, &err);
        ok(rc == BW_EFORMAT || rc == BW_ELIMIT, "%s rejected (%d)", fx[i].base, rc);
        ok(fx[i].side[0] != '\0', "%s has an expected message", fx[i].base);
        like(err.msg, fx[i].side, "%s: message", fx[i].base);
        like(err.msg, "m.safetensors: offset ", "%s: message names file and offset", fx[i].base);
        ok(err.offset != BW_NO_OFFSET && err.offset <= fx[i].n, "%s: offset %llu inside the file", fx[i].base,
           (unsigned long long)err.offset);
        if (rc == BW_OK) {
            bw_safetensors_release(&f);
        }
        scan_reset(&s);
        is_int(bw_scan_safetensors(&s, fx[i].data, fx[i].n), BW_OK, "%s: scan ok", fx[i].base);
        is_int(s.verdict, BW_VERDICT_MALFORMED, "%s: malformed", fx[i].base);
        is_int(n_flags(), 1, "%s: one finding", fx[i].base);
        ok(flag_of("safetensors-malformed") != NULL, "%s: rule", fx[i].base);
        if (flag_of("safetensors-malformed") != NULL) {
            is_int(flag_of("safetensors-malformed")->loc.offset, err.offset, "%s: finding offset", fx[i].base);
            is_int(flag_of("safetensors-malformed")->severity, BW_SEV_HIGH, "%s: severity", fx[i].base);
        }
        for (size_t k = 0; k < fx[i].n; k++) {
            uint8_t *c = fx_prefix(fx[i].data, k);
            if (bw_safetensors_parse(c, k, "t", &f, NULL) == BW_OK) {
                bw_safetensors_release(&f);
            }
            free(c);
        }
    }
    fx_free(fx, n);
}

static void test_sniff(void)
{
    static const uint8_t gguf[] = "GGUF\3\0\0\0\0\0\0\0\0\0\0\0";
    uint8_t h[16] = {6, 0, 0, 0, 0, 0, 0, 0, '{', '}', ' ', ' ', ' ', ' '};
    ok(bw_sniff_safetensors(h, 14), "sniff: minimal header");
    ok(!bw_sniff_safetensors(h, 13), "sniff: N past the end");
    ok(!bw_sniff_safetensors(gguf, sizeof(gguf)), "sniff: not gguf");
    h[8] = '[';
    ok(!bw_sniff_safetensors(h, 14), "sniff: needs '{'");
    h[8] = '{';
    h[0] = 1;
    ok(!bw_sniff_safetensors(h, 14), "sniff: N >= 2");
    ok(!bw_sniff_safetensors(NULL, 0), "sniff: empty");
}

static void test_dtypes(void)
{
    is_int(bw_safetensors_dtype_size("BF16", 4), 2, "BF16 is 2 bytes");
    is_int(bw_safetensors_dtype_size("F8_E4M3", 7), 1, "F8_E4M3 is 1 byte");
    is_int(bw_safetensors_dtype_size("F64", 3), 8, "F64 is 8 bytes");
    is_int(bw_safetensors_dtype_size("F6", 2), 0, "F6 unknown");
    is_int(bw_safetensors_dtype_size("F3", 2), 0, "prefix of F32 is not F32");
}

static void test_alloc_failures(void)
{
    size_t n = fx_load("safetensors", "valid", ".safetensors", fx, MAX_FIXTURES);
    size_t which = 0;
    int clean = 1, succeeded = 0;

    for (size_t i = 0; i < n; i++) {
        if (strcmp(fx[i].base, "basic") == 0) {
            which = i;
        }
    }
    for (long k = 0; k < 64 && n > 0; k++) {
        bw_st_file f;
        bw_status rc;
        bw_alloc_fail_after(k);
        rc = bw_safetensors_parse(fx[which].data, fx[which].n, "a", &f, NULL);
        bw_alloc_fail_after(-1);
        if (rc == BW_OK) {
            bw_safetensors_release(&f);
            succeeded = 1;
            break;
        }
        if (rc != BW_ENOMEM) {
            clean = 0;
        }
    }
    ok(clean, "every allocation failure is BW_ENOMEM");
    ok(succeeded, "parse succeeds once allocations do");
    fx_free(fx, n);
}

int main(void)
{
    test_rules();
    test_sniff();
    test_dtypes();
    test_valid();
    test_invalid();
    test_alloc_failures();
    bw_report_free(rep);
    return done_testing();
}
