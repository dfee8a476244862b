/*
 * scan_npy.c - NumPy .npy arrays. A plain array is data; an object array
 * ('O' anywhere in its dtype) stores a pickle after the header, which numpy
 * unpickles when loaded with allow_pickle=True: that pickle is scanned as a
 * member ("object-array-data") and the file is at least REVIEW.
 */
#include <inttypes.h>

#include "scan/mscan.h"
#include "util/internal.h"

static const bw_rule npy_rule_malformed = {
    "npy-malformed",
    "NpyMalformed",
    "The .npy header is invalid",
    "The magic, version, header length or header dict of the .npy file is invalid (an unknown dtype, a bad shape, "
    "missing or extra keys). numpy would refuse it or read it differently.",
    NULL,
    BW_SEV_HIGH,
};

static const bw_rule npy_rule_size = {
    "npy-size-mismatch",
    "NpySizeMismatch",
    "The .npy data length does not match its shape and dtype",
    "The bytes after the header are not exactly shape x itemsize: the file is truncated or carries extra bytes.",
    NULL,
    BW_SEV_HIGH,
};

static const bw_rule npy_rule_object = {
    "npy-object-array",
    "NpyObjectArray",
    "The .npy file is an object array: its data is a pickle",
    "Loading an object array requires numpy.load(..., allow_pickle=True), which unpickles the data and can run "
    "arbitrary code. The embedded pickle is scanned separately; prefer plain dtypes.",
    NULL,
    BW_SEV_MEDIUM,
};

/*
 * The rules this scanner reports, for listings and tests.
 */
BW_INTERNAL const bw_rule *const *bw_scan_npy_rules(size_t *n);
const bw_rule *const *bw_scan_npy_rules(size_t *n)
{
    static const bw_rule *const all[] = {&npy_rule_malformed, &npy_rule_size, &npy_rule_object};
    *n = BW_ARRAY_LEN(all);
    return all;
}

int bw_sniff_npy(const uint8_t *p, size_t n)
{
    return p != NULL && n >= 6 && memcmp(p, "\x93NUMPY", 6) == 0;
}

bw_status bw_scan_npy(bw_mscan *s, const void *p, size_t n)
{
    bw_npy_info info;
    bw_error err;
    bw_status rc;

    bw_error_clear(&err);
    bw_mscan_rule(s, &npy_rule_malformed);
    bw_mscan_rule(s, &npy_rule_size);
    bw_mscan_rule(s, &npy_rule_object);
    rc = bw_npy_parse(p, n, "npy", &info, &err);
    if (rc == BW_ENOMEM) {
        return rc;
    }
    if (rc != BW_OK) {
        bw_mscan_flag(s, BW_VERDICT_MALFORMED, npy_rule_malformed.id, BW_SEV_HIGH, err.offset, "%s", err.msg);
        return BW_OK;
    }
    if (info.has_object) {
        bw_mscan_flag(s, BW_VERDICT_REVIEW, npy_rule_object.id, BW_SEV_MEDIUM, info.data_offset,
                      "object array (dtype %s): numpy loads it only with allow_pickle=True, unpickling %" PRIu64
                      " bytes",
                      info.descr, info.data_len);
        return bw_mscan_member(s, "object-array-data", (const uint8_t *)p + info.data_offset, (size_t)info.data_len);
    }
    if (info.data_len != info.expected_len) {
        bw_mscan_flag(s, BW_VERDICT_MALFORMED, npy_rule_size.id, BW_SEV_HIGH, info.data_offset,
                      "data is %" PRIu64 " bytes, shape and dtype %s need %" PRIu64, info.data_len, info.descr,
                      info.expected_len);
    }
    return BW_OK;
}
