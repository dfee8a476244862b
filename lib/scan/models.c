/*
 * models.c - the model scanner's dispatcher: limits, member paths, sniffing,
 * verdicts and the public entry points (bw_scan.h).
 *
 * Bytes are identified by content, never by name. Every reading a loader
 * could take is tried: a file that sniffs as more than one format (a pickle
 * whose tail is a valid zip) is scanned under each, and the polyglot itself
 * is reported. Containers recurse through bw_mscan_member, which extends the
 * member path ("outer.zip!inner.zip!archive/data.pkl") and enforces the
 * depth and decompressed-size limits before anything is read.
 */
#include <zlib.h>

#include "scan/allowlist.h"
#include "scan/mscan.h"
#include "scan/scan_onnx.h"
#include "util/internal.h"

const char *bw_verdict_name(bw_verdict v)
{
    switch (v) {
    case BW_VERDICT_SAFE: return "safe";
    case BW_VERDICT_REVIEW: return "review";
    case BW_VERDICT_MALFORMED: return "malformed";
    case BW_VERDICT_UNSAFE: return "unsafe";
    }
    return "unknown";
}

static const bw_rule dispatch_rules[] = {
    {"model-polyglot", "ModelPolyglot", "The file is valid as more than one format",
     "Loaders that read the file differently see different contents: a scanner that picks one reading can be "
     "talked past. No legitimate model is two formats at once; treat it as an attack.",
     NULL, BW_SEV_HIGH},
    {"container-limit", "ContainerLimit", "A container exceeded a nesting or size limit",
     "Archives nested too deep, or members that decompress past the configured limits (a decompression "
     "bomb), are not read further. The file cannot be shown safe.",
     NULL, BW_SEV_HIGH},
    {"zlib-malformed", "ZlibMalformed", "A zlib stream is corrupt",
     "joblib's compressed files are zlib streams; a corrupt one cannot be shown safe.", NULL, BW_SEV_HIGH},
};

static bw_severity default_sev(bw_verdict v)
{
    switch (v) {
    case BW_VERDICT_UNSAFE: return BW_SEV_CRITICAL;
    case BW_VERDICT_MALFORMED: return BW_SEV_HIGH;
    case BW_VERDICT_REVIEW: return BW_SEV_MEDIUM;
    default: return BW_SEV_INFO;
    }
}

void bw_mscan_rule(bw_mscan *s, const bw_rule *rule)
{
    if (s->report != NULL && bw_report_add_rule(s->report, rule) != BW_OK) {
        BW_WARN("scan", "cannot register rule '%s'", rule->id);
    }
}

void bw_mscan_flag(bw_mscan *s, bw_verdict v, const char *rule_id, bw_severity sev, uint64_t offset, const char *fmt,
                   ...)
{
    char msg[512];
    bw_finding f = BW_FINDING_INIT;
    va_list ap;

    if (v > s->verdict) {
        s->verdict = v;
    }
    if (s->report == NULL) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    f.rule_id = rule_id;
    f.severity = sev == BW_SEV_INFO && v != BW_VERDICT_SAFE ? default_sev(v) : sev;
    f.loc.path = s->path;
    f.loc.member = s->member[0] != '\0' ? s->member + 1 : NULL; /* drop the leading '!' */
    f.loc.offset = offset;
    f.message = msg;
    if (bw_report_add(s->report, &f) != BW_OK) {
        BW_WARN("scan", "cannot record a finding for '%s'", s->path);
    }
}

/* joblib's compressed dumps (and zlib-wrapped pickles) are raw zlib streams */
static int sniff_zlib(const uint8_t *p, size_t n)
{
    return n >= 2 && (p[0] & 0x0f) == 8 && (p[0] >> 4) <= 7 && ((unsigned)p[0] << 8 | p[1]) % 31 == 0;
}

static bw_status scan_zlib(bw_mscan *s, const void *p, size_t n)
{
    z_stream z;
    bw_buf out = BW_BUF_INIT(s->opts.max_member_size);
    uint64_t cap = (uint64_t)n * s->opts.max_ratio + 65536;
    bw_status rc = BW_OK;
    int zr = Z_OK;

    memset(&z, 0, sizeof(z));
    if (inflateInit(&z) != Z_OK) {
        return BW_ENOMEM;
    }
    z.next_in = (Bytef *)(uintptr_t)p;
    z.avail_in = n > UINT32_MAX ? UINT32_MAX : (uInt)n;
    while (zr != Z_STREAM_END) {
        if (out.len >= cap || bw_buf_grow(&out, 1 << 20) != BW_OK) {
            bw_mscan_flag(s, BW_VERDICT_MALFORMED, "container-limit", BW_SEV_HIGH, BW_NO_OFFSET,
                          "zlib stream decompresses past the limit (%llu bytes, ratio %u)",
                          (unsigned long long)BW_MIN(cap, s->opts.max_member_size), s->opts.max_ratio);
            goto out;
        }
        z.next_out = (Bytef *)out.ptr + out.len;
        z.avail_out = (uInt)BW_MIN(out.cap - out.len - 1, (size_t)UINT32_MAX);
        zr = inflate(&z, Z_NO_FLUSH);
        out.len = (size_t)((char *)z.next_out - out.ptr);
        if (zr == Z_STREAM_END) {
            break;
        }
        if (zr != Z_OK) {
            bw_mscan_flag(s, BW_VERDICT_MALFORMED, "zlib-malformed", BW_SEV_HIGH, z.total_in,
                          "zlib stream is corrupt or truncated (%s)", z.msg != NULL ? z.msg : "no more input");
            goto out;
        }
    }
    rc = bw_mscan_member(s, "zlib", out.ptr, out.len);
out:
    inflateEnd(&z);
    bw_buf_release(&out);
    return rc;
}

int bw_mscan_recognises(const uint8_t *b, size_t n)
{
    return bw_sniff_zip(b, n) || bw_sniff_pickle(b, n) || bw_sniff_tar(b, n) || bw_sniff_compressed(b, n) ||
           bw_sniff_gguf(b, n) || bw_sniff_npy(b, n) || bw_sniff_safetensors(b, n) || sniff_zlib(b, n) ||
           bw_sniff_h5(b, n) || bw_sniff_keras_json(b, n) || bw_sniff_onnx(b, n) || bw_sniff_savedmodel(b, n);
}

bw_status bw_mscan_dispatch(bw_mscan *s, const void *p, size_t n)
{
    const uint8_t *b = p;
    int zip = bw_sniff_zip(b, n);
    int pickle = bw_sniff_pickle(b, n);
    int readings = 0;

    for (size_t i = 0; i < BW_ARRAY_LEN(dispatch_rules); i++) {
        bw_mscan_rule(s, &dispatch_rules[i]);
    }
    if (zip) {
        readings++;
        BW_TRY(bw_scan_zip(s, p, n));
    }
    if (pickle) {
        readings++;
        BW_TRY(bw_scan_pickle(s, p, n));
    }
    if (readings == 0) {
        if (bw_sniff_tar(b, n)) {
            readings++;
            BW_TRY(bw_scan_tar(s, p, n));
        } else if (bw_sniff_compressed(b, n)) {
            readings++;
            BW_TRY(bw_scan_compressed(s, p, n));
        } else if (bw_sniff_gguf(b, n)) {
            readings++;
            BW_TRY(bw_scan_gguf(s, p, n));
        } else if (bw_sniff_npy(b, n)) {
            readings++;
            BW_TRY(bw_scan_npy(s, p, n));
        } else if (bw_sniff_safetensors(b, n)) {
            readings++;
            BW_TRY(bw_scan_safetensors(s, p, n));
        } else if (sniff_zlib(b, n)) {
            readings++;
            BW_TRY(scan_zlib(s, p, n));
        } else if (bw_sniff_h5(b, n)) {
            readings++;
            BW_TRY(bw_scan_h5(s, p, n));
        } else if (bw_sniff_keras_json(b, n)) {
            readings++;
            BW_TRY(bw_scan_keras_json(s, p, n));
        } else if (bw_sniff_onnx(b, n)) {
            readings++;
            BW_TRY(bw_scan_onnx(s, p, n));
        } else if (bw_sniff_savedmodel(b, n)) {
            readings++;
            BW_TRY(bw_scan_savedmodel(s, p, n));
        }
    }
    if (readings > 1) {
        bw_mscan_flag(s, BW_VERDICT_UNSAFE, "model-polyglot", BW_SEV_HIGH, 0,
                      "the file is both a pickle and a zip archive: loaders that pick different readings "
                      "see different contents; both were scanned");
    }
    return BW_OK;
}

bw_status bw_mscan_member(bw_mscan *s, const char *name, const void *p, size_t n)
{
    size_t keep = strlen(s->member), add;
    char esc[256];
    bw_status rc;

    if (s->depth + 1 > s->opts.max_depth) {
        bw_mscan_flag(s, BW_VERDICT_MALFORMED, "container-limit", BW_SEV_HIGH, BW_NO_OFFSET,
                      "containers nested deeper than %u levels: not read further", s->opts.max_depth);
        return BW_OK;
    }
    if (n > s->opts.max_member_size || s->total + n > s->opts.max_total_size) {
        bw_escape_for_log(name, strlen(name), esc, sizeof(esc));
        bw_mscan_flag(s, BW_VERDICT_MALFORMED, "container-limit", BW_SEV_HIGH, BW_NO_OFFSET,
                      "member '%s' (%zu bytes) is over the size limits: not read", esc, n);
        return BW_OK;
    }
    bw_escape_for_log(name, strlen(name), esc, sizeof(esc));
    add = strlen(esc) + 1;
    if (keep + add >= sizeof(s->member)) {
        bw_mscan_flag(s, BW_VERDICT_MALFORMED, "container-limit", BW_SEV_HIGH, BW_NO_OFFSET,
                      "member path longer than %zu bytes: not read", sizeof(s->member));
        return BW_OK;
    }
    s->member[keep] = '!';
    memcpy(s->member + keep + 1, esc, add);
    s->depth++;
    s->total += n;
    rc = bw_mscan_dispatch(s, p, n);
    s->depth--;
    s->member[keep] = '\0';
    return rc;
}

struct bw_scanner {
    bw_scan_opts opts; /* limits resolved: no zeros */
    struct bw_allowlist *allow;
};

bw_status bw_scanner_new(bw_scanner **out, const bw_scan_opts *opts, bw_error *err)
{
    bw_scan_opts defaults = BW_SCAN_OPTS_INIT;
    bw_scanner *sc = bw_calloc(1, sizeof(*sc));
    bw_status rc;

    *out = NULL;
    if (sc == NULL) {
        return bw_fail(err, BW_ENOMEM, "out of memory");
    }
    sc->opts = opts != NULL ? *opts : defaults;
    if (sc->opts.max_depth == 0) {
        sc->opts.max_depth = 8;
    }
    if (sc->opts.max_member_size == 0) {
        sc->opts.max_member_size = (uint64_t)4 << 30;
    }
    if (sc->opts.max_total_size == 0) {
        sc->opts.max_total_size = (uint64_t)16 << 30;
    }
    if (sc->opts.max_ratio == 0) {
        sc->opts.max_ratio = 200;
    }
    rc = bw_allowlist_load(&sc->allow, sc->opts.allow_files, sc->opts.n_allow_files, err);
    if (rc != BW_OK) {
        bw_free(sc);
        return rc;
    }
    sc->opts.allow_files = NULL; /* loaded: the caller's array is not kept */
    sc->opts.n_allow_files = 0;
    *out = sc;
    return BW_OK;
}

void bw_scanner_free(bw_scanner *sc)
{
    if (sc == NULL) {
        return;
    }
    bw_allowlist_free(sc->allow);
    bw_free(sc);
}

bw_status bw_scanner_buffer(const bw_scanner *sc, bw_report *report, const char *name, const void *p, size_t n,
                            bw_verdict *verdict, bw_error *err)
{
    bw_mscan s;
    bw_status rc;

    *verdict = BW_VERDICT_MALFORMED;
    if (sc == NULL || name == NULL || (p == NULL && n > 0)) {
        return bw_fail(err, BW_EINVAL, "bw_scanner_buffer: missing scanner, name or bytes");
    }
    memset(&s, 0, sizeof(s));
    s.report = report;
    s.path = name;
    s.opts = sc->opts;
    s.allow = sc->allow;
    rc = bw_mscan_dispatch(&s, p != NULL ? p : "", n);
    if (rc != BW_OK) {
        return bw_fail(err, rc, "scanning '%s': %s", name, bw_strerror(rc));
    }
    *verdict = s.verdict;
    return BW_OK;
}

/* Files up to this size are read into memory rather than mapped. */
#define SMALL_FILE ((uint64_t)1 << 20)

bw_status bw_scanner_file(const bw_scanner *sc, bw_report *report, const char *path, bw_verdict *verdict, bw_error *err)
{
    bw_file *f = NULL;
    bw_bytes v = {NULL, 0};
    bw_buf small = BW_BUF_INIT((size_t)1 << 30);
    const bw_file_stat *info;
    bw_status rc;

    *verdict = BW_VERDICT_MALFORMED;
    rc = bw_file_open(&f, path, BW_FILE_STDIN, err);
    if (rc != BW_OK) {
        return rc;
    }
    info = bw_file_info(f);
    if (info->is_regular && info->size > 0 && info->size <= SMALL_FILE) {
        /* read small files: a map costs a page fault per touched page and a TLB shootdown to unmap */
        rc = bw_file_read_all(f, small.max, &small, err); /* a file grown since: read, then reported changed */
        v.ptr = (const uint8_t *)small.ptr;
        v.len = small.len;
    } else {
        rc = bw_file_map(f, &v, err);
    }
    if (rc == BW_EUNSUPPORTED) {
        /* empty files and streams: read them (bounded) */
        bw_file_close(f);
        f = NULL;
        rc = bw_file_slurp(path, BW_FILE_STDIN, (size_t)1 << 30, &small, err);
        v.ptr = (const uint8_t *)small.ptr;
        v.len = small.len;
    }
    if (rc == BW_OK) {
        rc = bw_scanner_buffer(sc, report, path, v.ptr, v.len, verdict, err);
    }
    if (rc == BW_OK && f != NULL) {
        rc = bw_file_check_unchanged(f, err);
    }
    bw_file_close(f);
    bw_buf_release(&small);
    return rc;
}

bw_status bw_scan_model_buffer(bw_report *report, const char *name, const void *p, size_t n, const bw_scan_opts *opts,
                               bw_verdict *verdict, bw_error *err)
{
    bw_scanner *sc = NULL;
    bw_status rc;

    *verdict = BW_VERDICT_MALFORMED;
    BW_TRY(bw_scanner_new(&sc, opts, err));
    rc = bw_scanner_buffer(sc, report, name, p, n, verdict, err);
    bw_scanner_free(sc);
    return rc;
}

bw_status bw_scan_model_file(bw_report *report, const char *path, const bw_scan_opts *opts, bw_verdict *verdict,
                             bw_error *err)
{
    bw_scanner *sc = NULL;
    bw_status rc;

    *verdict = BW_VERDICT_MALFORMED;
    BW_TRY(bw_scanner_new(&sc, opts, err));
    rc = bw_scanner_file(sc, report, path, verdict, err);
    bw_scanner_free(sc);
    return rc;
}
