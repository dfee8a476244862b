/*
 * fuzz_snative.c - the C matchers of snative.c against PCRE2 on arbitrary
 * bytes: the first byte picks the matcher and the start offset, the rest is
 * the subject; the two must agree on whether there is a match, and where it
 * and its group lie. No read past the subject (ASan).
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <string.h>

#include "fuzz.h"
#include "scan/snative.h"

static pcre2_code *compile(const char *re)
{
    int ecode;
    PCRE2_SIZE eoff;
    pcre2_code *c = pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED, PCRE2_MULTILINE, &ecode, &eoff, NULL);

    FUZZ_CHECK(c != NULL);
    return c;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static pcre2_code *re[2];
    static pcre2_match_data *md;
    bw_native k;
    size_t n, off, ov[4];
    const char *p;
    int a, b;

    if (re[0] == NULL) {
        re[0] = compile(BW_RE_EMAIL);
        re[1] = compile(BW_RE_IPV4);
        md = pcre2_match_data_create(8, NULL);
        FUZZ_CHECK(md != NULL);
    }
    if (size < 1) {
        return 0;
    }
    k = data[0] & 1 ? BW_NATIVE_IPV4 : BW_NATIVE_EMAIL;
    p = (const char *)data + 1;
    n = size - 1;
    off = n > 0 ? (size_t)(data[0] >> 1) % (n + 1) : 0;
    a = bw_native_match(k, p, n, off, ov);
    b = pcre2_match(re[k == BW_NATIVE_IPV4], (PCRE2_SPTR)p, n, off, 0, md, NULL);
    FUZZ_CHECK((a < 0) == (b < 0));
    if (b >= 0) {
        PCRE2_SIZE *v = pcre2_get_ovector_pointer(md);
        FUZZ_CHECK(a == 2 && b == 2);
        FUZZ_CHECK(v[0] == ov[0] && v[1] == ov[1] && v[2] == ov[2] && v[3] == ov[3]);
        FUZZ_CHECK(ov[0] >= off && ov[1] <= n);
    }
    return 0;
}
