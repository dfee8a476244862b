/*
 * sshape.h - the digit-run prefilter of the personal-data rules (internal).
 *
 * Payment cards, phone numbers, national identifiers, IBANs and IPv4
 * addresses are made of digit runs with a fixed shape and no literal to
 * anchor on: Hyperscan runs each such pattern at about 1 GB/s, slower than
 * the rest of the rule set together. This pass finds every run of ASCII
 * digits and reports a candidate end for each shape its neighbourhood fits.
 * It goes 64 bytes a step: eleven byte classes as bit masks (SSE2, AVX2 or
 * AVX-512, chosen at run time), then shifts and ands over this block, the one
 * before and the one after mark the few run starts whose neighbours could fit
 * a shape (dates, times, counters and versions are most of the 100 million
 * runs in a gigabyte of logs and are dropped here); only those are looked at
 * byte by byte. The shapes are necessary conditions of the rules' regexes
 * (the same candidates Hyperscan would report, or more), so PCRE2 confirms
 * each exactly as it confirms a Hyperscan candidate; a test compares the two
 * engines hit for hit.
 *
 * The same pass serves the few rules whose only literal is one common byte
 * ('@', '.', '_', '/'): in Hyperscan, four such anchors doubled the time of
 * the whole 340-rule database (1.6 s per GB against 0.76 without them). Here
 * each is a mask of the block and a few checks per occurrence, and reports
 * exactly the ends its anchor would.
 */
#ifndef BW_SSHAPE_H
#define BW_SSHAPE_H

#include "util/internal.h"

typedef enum bw_shape {
    BW_SHAPE_NONE = 0,
    BW_SHAPE_CARD,    /* [2-6] + 3 digits at a run start, 13..19 digits joined by single spaces or dashes */
    BW_SHAPE_NANP,    /* (ddd) ddd-dddd, ddd-ddd-dddd, ddd.ddd.dddd */
    BW_SHAPE_SSN,     /* ddd-dd-dddd */
    BW_SHAPE_AADHAAR, /* dddd dddd dddd */
    BW_SHAPE_IBAN,    /* two capitals then two or more digits */
    BW_SHAPE_NINO,    /* two capitals, an optional space, then two or more digits */
    BW_SHAPE_PAN,     /* five capitals, four digits, a capital */
    BW_SHAPE_IPV4,    /* d.d.d.d with one to three digits each, not after a dot */
    /* shapes around a punctuation byte, each exactly the ends its rule's Hyperscan anchor has */
    BW_SHAPE_EMAIL,  /* @[A-Za-z0-9-]{1,63}\.[A-Za-z0-9-] */
    BW_SHAPE_DOTS,   /* [A-Za-z0-9_-]\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{8} (Discord bot tokens) */
    BW_SHAPE_UNDERS, /* [0-9a-zA-Z]_[A-Z0-9]{4}_[0-9a-f]{8}-[0-9a-f]{4}- (Webex tokens) */
    BW_SHAPE_SLASH,  /* [0-9]/[0-9]{12} (Asana tokens) */
    BW_SHAPE__COUNT
} bw_shape;

/*
 * Called for each candidate: the shape and the offset just past its digits
 * (for IBAN and NINO, past the first two digits). Offsets of one shape come in
 * non-decreasing order. A non-zero return stops the scan.
 */
typedef int (*bw_shape_fn)(void *ctx, bw_shape shape, size_t to);

/*
 * Scan p[0..n) for the shapes whose bit (1u << shape) is set in `mask`;
 * runs (and punctuation bytes) at or after `stop` are not looked at. Returns the callback's
 * non-zero value, or 0. Bytes outside [0, n) are never read.
 */
BW_INTERNAL int bw_shape_scan(const char *p, size_t n, size_t stop, unsigned mask, bw_shape_fn fn, void *ctx);

/*
 * The byte classifier the scan uses: 0 portable C, 1 SSE2, 2 AVX2,
 * 3 AVX-512BW. The best this CPU runs is picked on first use; a level >= 0
 * asks for that one (or the best below it the CPU has), for tests that
 * compare them. Returns the level in effect.
 */
BW_INTERNAL int bw_shape_simd(int level);

#endif
