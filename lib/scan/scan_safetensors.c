/*
 * scan_safetensors.c - a safetensors file is safe exactly when it is
 * well-formed: it holds no code, only a JSON header and raw tensor bytes.
 * Any violation of the format makes it MALFORMED (a loader might read
 * something other than what a checker saw).
 */
#include "scan/mscan.h"
#include "util/internal.h"

static const bw_rule st_rule_malformed = {
    "safetensors-malformed",
    "SafetensorsMalformed",
    "The safetensors file violates the format",
    "The header length, the JSON header or the tensor table is invalid: a bad or unknown dtype, a shape that does "
    "not match the data offsets, tensors that overlap or leave gaps, duplicate names, or a header that runs past "
    "the end. Loaders may disagree on such a file; regenerate it with the safetensors library.",
    NULL,
    BW_SEV_HIGH,
};

/*
 * The rules this scanner reports, for listings and tests.
 */
BW_INTERNAL const bw_rule *const *bw_scan_safetensors_rules(size_t *n);
const bw_rule *const *bw_scan_safetensors_rules(size_t *n)
{
    static const bw_rule *const all[] = {&st_rule_malformed};
    *n = BW_ARRAY_LEN(all);
    return all;
}

int bw_sniff_safetensors(const uint8_t *p, size_t n)
{
    uint64_t h = 0;

    if (p == NULL || n < 10) {
        return 0;
    }
    for (int i = 7; i >= 0; i--) {
        h = (h << 8) | p[i];
    }
    return h >= 2 && h <= n - 8 && h <= BW_ST_MAX_HEADER && p[8] == '{';
}

bw_status bw_scan_safetensors(bw_mscan *s, const void *p, size_t n)
{
    bw_st_file f;
    bw_error err;
    bw_status rc;

    bw_error_clear(&err);
    bw_mscan_rule(s, &st_rule_malformed);
    rc = bw_safetensors_parse(p, n, "safetensors", &f, &err);
    if (rc == BW_ENOMEM) {
        return rc;
    }
    if (rc != BW_OK) {
        bw_mscan_flag(s, BW_VERDICT_MALFORMED, st_rule_malformed.id, BW_SEV_HIGH, err.offset, "%s", err.msg);
        return BW_OK;
    }
    bw_safetensors_release(&f);
    return BW_OK;
}
