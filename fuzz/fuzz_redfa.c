/*
 * fuzz_redfa.c - the regex DFA of the regex expectations
 * (lib/data/expect_redfa.c) on arbitrary patterns: the input up to its first
 * NUL byte is the pattern, the rest is cut into subjects at '\x01' bytes
 * (bytes >= 0x80 dropped: the DFA only sees ASCII text); a '\x02' in the
 * pattern makes it two, matched as a list on any. No crash, and
 * wherever a DFA is made it answers exactly as PCRE2 in the engine's mode
 * (UTF + UCP) does on every subject, unless PCRE2 hits a match limit.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <string.h>

#include "data/expect_internal.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, 0, size);
    size_t plen = nul != NULL ? (size_t)(nul - data) : size;
    /* a '\x02' in the pattern part splits it in two: one DFA for "either matches" (a regex list on any) */
    const uint8_t *cut = memchr(data, 0x02, plen);
    const char *pats[2] = {(const char *)data, cut != NULL ? (const char *)cut + 1 : NULL};
    size_t lens[2] = {cut != NULL ? (size_t)(cut - data) : plen, cut != NULL ? plen - (size_t)(cut - data) - 1 : 0};
    size_t np = cut != NULL ? 2 : 1;
    bw_redfa *d = bw_redfa_new_any(pats, lens, np);
    if (d == NULL) {
        return 0;
    }
    int ec;
    PCRE2_SIZE eo;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)pats[0], lens[0], BW_XRE_OPTIONS, &ec, &eo, NULL);
    pcre2_code *re2 = np == 2 ? pcre2_compile((PCRE2_SPTR)pats[1], lens[1], BW_XRE_OPTIONS, &ec, &eo, NULL) : NULL;
    if (np == 2 && re2 == NULL) {
        pcre2_code_free(re);
        re = NULL;
    }
    /* a pattern PCRE2 rejects may still parse here: the engine never builds a DFA for it */
    pcre2_match_data *md = re != NULL ? pcre2_match_data_create(1, NULL) : NULL;
    char subj[256];
    size_t at = nul != NULL ? plen + 1 : size;
    while (at <= size && re != NULL && md != NULL) {
        size_t n = 0;
        while (at < size && data[at] != 0x01 && n < sizeof subj) {
            if (data[at] < 0x80) {
                subj[n++] = (char)data[at];
            }
            at++;
        }
        at++;
        int rc = pcre2_match(re, (PCRE2_SPTR)subj, n, 0, 0, md, NULL);
        if (re2 != NULL && rc == PCRE2_ERROR_NOMATCH) {
            rc = pcre2_match(re2, (PCRE2_SPTR)subj, n, 0, 0, md, NULL);
        }
        int got = bw_redfa_match(d, subj, n);
        if (got >= 0 && (rc >= 0 || rc == PCRE2_ERROR_NOMATCH)) {
            FUZZ_CHECK(got == (rc >= 0));
        }
    }
    pcre2_match_data_free(md);
    pcre2_code_free(re);
    pcre2_code_free(re2);
    bw_redfa_free(d);
    return 0;
}
