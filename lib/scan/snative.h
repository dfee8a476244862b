/*
 * snative.h - exact C matchers for the busiest personal-data regexes
 * (internal).
 *
 * On data-heavy text (logs with an address on every line, customer tables)
 * most confirmations are emails and IPv4 addresses, and PCRE2 spent about a
 * thousand cycles on each, mostly walking the line up to the candidate. The
 * matchers here answer exactly what pcre2_match() answers for these two
 * regexes (PCRE2_MULTILINE, subject p[0..n), start offset off): the leftmost
 * match at or after off, with its capture group, or none. They are chosen by
 * the regex's text, so a custom rule with another regex still goes to PCRE2,
 * and test_snative.c compares them with PCRE2 at every offset of generated
 * and corpus text.
 */
#ifndef BW_SNATIVE_H
#define BW_SNATIVE_H

#include "util/internal.h"

/* RFC 5321 / 5322 addr-spec: dot-atom local part, domain labels and a TLD */
#define BW_RE_EMAIL "\\b([A-Za-z0-9._%+-]{1,64}@(?:[A-Za-z0-9-]{1,63}\\.){1,8}[A-Za-z]{2,24})\\b"

/* an IPv4 octet 0-255 without leading zeros, and one of two digits or more */
#define BW_RE_OCTET "(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
#define BW_RE_OCTET2 "(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9][0-9])"
/* four octets, not all of one digit (versions: 1.2.3.4), not inside a longer dotted number */
#define BW_RE_IPV4                                                                                                     \
    "(?:^|[^0-9.])((?:" BW_RE_OCTET2 "\\." BW_RE_OCTET "|[0-9]\\." BW_RE_OCTET2 ")\\." BW_RE_OCTET "\\." BW_RE_OCTET   \
    "|[0-9]\\.[0-9]\\.(?:" BW_RE_OCTET2 "\\." BW_RE_OCTET "|[0-9]\\." BW_RE_OCTET2                                     \
    "))(?:[^\\n0-9.]|\\.(?:[^\\n0-9]|$)|$)"

typedef enum bw_native {
    BW_NATIVE_NONE = 0,
    BW_NATIVE_EMAIL, /* BW_RE_EMAIL */
    BW_NATIVE_IPV4,  /* BW_RE_IPV4 */
} bw_native;

/* The matcher for a rule's regex, or BW_NATIVE_NONE (any other regex, or a caseless rule). */
BW_INTERNAL bw_native bw_native_for(const char *regex, bool caseless);

/*
 * Leftmost match of matcher k in the subject p[0..n) starting at or after
 * off (<= n), as pcre2_match() with PCRE2_MULTILINE finds it; bytes before
 * off are looked at as PCRE2 looks behind. On a match: ov[0..1] the match,
 * ov[2..3] group 1; returns 2. No match: returns -1.
 */
BW_INTERNAL int bw_native_match(bw_native k, const char *p, size_t n, size_t off, size_t ov[4]);

#endif
