/*
 * scan_onnx.c - findings for ONNX models and TensorFlow SavedModels.
 *
 * Parsing is lib/formats/onnx.c (bw_onnx_parse, bw_savedmodel_parse); this
 * file only decides. Whatever was read before a parse failure is still
 * judged, and the failure itself makes the verdict at least MALFORMED.
 */
#include <inttypes.h>

#include "bulwark/bw_onnx.h"
#include "scan/mscan.h"
#include "scan/scan_onnx.h"
#include "util/internal.h"

#define NAME_ESC 128      /* escaped name in a message */
#define LIST_NAMES 8      /* op types or files listed in one message */
#define MAX_DOMAINS 32    /* custom domains reported one by one */
#define MAX_TRAVERSALS 32 /* bad locations reported one by one */

static const bw_rule onnx_rules[] = {
    {"onnx-external-data-traversal", "OnnxExternalDataTraversal",
     "An external-data location leaves the model directory",
     "ONNX loaders read tensor data from the file named by external_data 'location', relative to the model's "
     "directory. An absolute path, a drive letter, a '..' component or a URL reads an arbitrary file when the "
     "model is loaded (the class of CVE-2022-25882 and CVE-2024-27318) and can leak it through the model's "
     "outputs. Do not load the model.",
     NULL, BW_SEV_HIGH},
    {"onnx-external-data", "OnnxExternalData", "The model keeps tensor data in external files",
     "The model is not self-contained: its weights are read from the listed files next to it. Ship and verify "
     "them together with the model.",
     NULL, BW_SEV_INFO},
    {"onnx-custom-op-domain", "OnnxCustomOpDomain", "The model uses operators from a custom domain",
     "Operators outside the ONNX and ONNX Runtime domains are implemented by custom-op libraries, i.e. native "
     "code that must be registered before the model loads. Review where that library comes from.",
     NULL, BW_SEV_MEDIUM},
    {"onnx-malformed", "OnnxMalformed", "The ONNX protobuf is broken",
     "Truncated data, a bad wire type, a group, a length past the end or nesting past the limit: the file is not "
     "what an ONNX writer produces and cannot be shown safe.",
     NULL, BW_SEV_HIGH},
};

static const bw_rule tf_rules[] = {
    {"tf-dangerous-op", "TfDangerousOp", "The SavedModel uses a dangerous TensorFlow op",
     "File reads and writes by path (ReadFile, WriteFile, MatchingFiles, ImmutableConst) and Python callbacks "
     "(PyFunc, EagerPyFunc) run when the graph runs: unsafe. File readers, datasets, Print and debug ops read "
     "files named by tensors or write output: review.",
     NULL, BW_SEV_HIGH},
    {"tf-malformed", "TfMalformed", "The SavedModel protobuf is broken",
     "Truncated data, a bad wire type, a group or a length past the end: the file is not what TensorFlow writes "
     "and cannot be shown safe.",
     NULL, BW_SEV_HIGH},
};

static void esc(bw_bytes b, char out[NAME_ESC])
{
    bw_escape_for_log((const char *)b.ptr, b.len, out, NAME_ESC);
}

/* Append ", name" to a message under construction, escaped; keeps the result NUL-terminated. */
static void append_name(char *msg, size_t cap, bw_bytes name)
{
    char e[NAME_ESC];
    size_t len = strlen(msg);

    esc(name, e);
    snprintf(msg + len, cap - len, "%s%s", len > 0 ? ", " : "", e);
}

static void report_external(bw_mscan *s, const bw_onnx_info *info)
{
    char files[512] = "";
    size_t listed = 0, bad = 0;

    if (info->external.n == 0) {
        return;
    }
    for (size_t i = 0; i < info->external.n; i++) {
        const bw_onnx_entry *e = &info->external.v[i];
        const char *why = bw_onnx_location_check(e->a);
        char loc[NAME_ESC], tensor[NAME_ESC];

        if (listed < LIST_NAMES) {
            append_name(files, sizeof(files), e->a);
            listed++;
        }
        if (why == NULL) {
            continue;
        }
        if (++bad > MAX_TRAVERSALS) {
            continue;
        }
        esc(e->a, loc);
        esc(e->b, tensor);
        bw_mscan_flag(s, BW_VERDICT_UNSAFE, "onnx-external-data-traversal", BW_SEV_HIGH, e->offset,
                      "external data of tensor '%s' is read from '%s', outside the model directory (%s): loading "
                      "the model reads that file",
                      tensor, loc, why);
    }
    if (bad > MAX_TRAVERSALS) {
        bw_mscan_flag(s, BW_VERDICT_UNSAFE, "onnx-external-data-traversal", BW_SEV_HIGH, BW_NO_OFFSET,
                      "%zu more external-data locations leave the model directory", bad - MAX_TRAVERSALS);
    }
    bw_mscan_flag(s, BW_VERDICT_SAFE, "onnx-external-data", BW_SEV_INFO, info->external.v[0].offset,
                  "tensor data is read from %zu external file%s: %s%s", info->external.n,
                  info->external.n == 1 ? "" : "s", files, info->external.n > listed ? ", ..." : "");
}

static int custom_domain(const bw_onnx_info *info, bw_bytes domain)
{
    return !bw_onnx_domain_standard(domain) && bw_onnx_list_find(&info->function_domains, domain, domain) == NULL;
}

static int custom_op(const bw_onnx_info *info, const bw_onnx_entry *op)
{
    return !bw_onnx_domain_standard(op->a) && !bw_onnx_is_local_function(info, op);
}

static const char *where_text(unsigned where)
{
    if (where & BW_ONNX_IN_SUBGRAPH) {
        return " (including subgraphs)";
    }
    if (where & BW_ONNX_IN_FUNCTION) {
        return " (in model functions)";
    }
    if (where & BW_ONNX_IN_TRAINING) {
        return " (in training graphs)";
    }
    return "";
}

static int seen_domain(const bw_bytes *done, size_t n, bw_bytes d)
{
    for (size_t i = 0; i < n; i++) {
        if (done[i].len == d.len && (d.len == 0 || memcmp(done[i].ptr, d.ptr, d.len) == 0)) {
            return 1;
        }
    }
    return 0;
}

static void report_custom(bw_mscan *s, const bw_onnx_info *info)
{
    bw_bytes done[MAX_DOMAINS];
    size_t n_done = 0, more = 0;

    /* one finding per custom domain used by nodes, listing its op types */
    for (size_t i = 0; i < info->ops.n; i++) {
        const bw_onnx_entry *op = &info->ops.v[i];
        char dom[NAME_ESC], ops[512] = "";
        size_t n_ops = 0, listed = 0;
        uint64_t nodes = 0;
        unsigned where = 0;

        if (!custom_op(info, op) || seen_domain(done, n_done, op->a)) {
            continue;
        }
        if (n_done == MAX_DOMAINS) {
            more++;
            continue;
        }
        done[n_done++] = op->a;
        for (size_t j = i; j < info->ops.n; j++) {
            const bw_onnx_entry *o = &info->ops.v[j];
            if (o->a.len != op->a.len || memcmp(o->a.ptr, op->a.ptr, op->a.len) != 0 || !custom_op(info, o)) {
                continue;
            }
            n_ops++;
            nodes += o->count;
            where |= o->where;
            if (listed < LIST_NAMES) {
                append_name(ops, sizeof(ops), o->b);
                listed++;
            }
        }
        esc(op->a, dom);
        bw_mscan_flag(s, BW_VERDICT_REVIEW, "onnx-custom-op-domain", BW_SEV_MEDIUM, op->offset,
                      "%" PRIu64 " node%s use%s custom op domain '%s'%s: op type%s %s%s", nodes, nodes == 1 ? "" : "s",
                      nodes == 1 ? "s" : "", dom, where_text(where), n_ops == 1 ? "" : "s", ops,
                      n_ops > listed ? ", ..." : "");
    }
    /* custom domains imported but used by no node */
    for (size_t i = 0; i < info->opsets.n; i++) {
        const bw_onnx_entry *o = &info->opsets.v[i];
        char dom[NAME_ESC];

        if (!custom_domain(info, o->a) || seen_domain(done, n_done, o->a)) {
            continue;
        }
        if (n_done == MAX_DOMAINS) {
            more++;
            continue;
        }
        done[n_done++] = o->a;
        esc(o->a, dom);
        bw_mscan_flag(s, BW_VERDICT_REVIEW, "onnx-custom-op-domain", BW_SEV_MEDIUM, o->offset,
                      "opset_import declares custom op domain '%s' (version %" PRId64 ")", dom, o->value);
    }
    if (more > 0) {
        bw_mscan_flag(s, BW_VERDICT_REVIEW, "onnx-custom-op-domain", BW_SEV_MEDIUM, BW_NO_OFFSET,
                      "%zu more custom op domains (or ops in domains beyond the first %d) not listed", more,
                      MAX_DOMAINS);
    }
}

bw_status bw_scan_onnx(bw_mscan *s, const void *p, size_t n)
{
    bw_onnx_info info;
    bw_error err;
    bw_status rc;

    for (size_t i = 0; i < BW_ARRAY_LEN(onnx_rules); i++) {
        bw_mscan_rule(s, &onnx_rules[i]);
    }
    bw_onnx_info_init(&info);
    bw_error_clear(&err);
    rc = bw_onnx_parse(p, n, NULL, &info, &err);
    if (rc != BW_ENOMEM) {
        report_external(s, &info);
        report_custom(s, &info);
        if (rc != BW_OK) {
            bw_mscan_flag(s, BW_VERDICT_MALFORMED, "onnx-malformed", BW_SEV_HIGH, err.offset,
                          "cannot parse the ONNX model: %s", err.msg[0] != '\0' ? err.msg : bw_strerror(rc));
        }
        rc = BW_OK;
    }
    bw_onnx_info_release(&info);
    return rc;
}

int bw_sniff_onnx(const uint8_t *p, size_t n)
{
    return bw_onnx_sniff(p, n);
}

bw_status bw_scan_savedmodel(bw_mscan *s, const void *p, size_t n)
{
    bw_savedmodel_info info;
    bw_error err;
    bw_status rc;

    for (size_t i = 0; i < BW_ARRAY_LEN(tf_rules); i++) {
        bw_mscan_rule(s, &tf_rules[i]);
    }
    bw_savedmodel_info_init(&info);
    bw_error_clear(&err);
    rc = bw_savedmodel_parse(p, n, NULL, &info, &err);
    if (rc != BW_ENOMEM) {
        for (size_t i = 0; i < info.ops.n; i++) {
            const bw_onnx_entry *op = &info.ops.v[i];
            bw_tf_risk risk = bw_tf_op_risk(op->b);
            char name[NAME_ESC];

            if (risk == BW_TF_RISK_NONE) {
                continue;
            }
            esc(op->b, name);
            bw_mscan_flag(s, risk == BW_TF_RISK_UNSAFE ? BW_VERDICT_UNSAFE : BW_VERDICT_REVIEW, "tf-dangerous-op",
                          risk == BW_TF_RISK_UNSAFE ? BW_SEV_HIGH : BW_SEV_MEDIUM, op->offset,
                          "%" PRIu64 " node%s run%s op '%s'%s%s", op->count, op->count == 1 ? "" : "s",
                          op->count == 1 ? "s" : "", name,
                          (op->where & BW_ONNX_IN_FUNCTION) ? " (in the function library)" : "",
                          risk == BW_TF_RISK_UNSAFE ? ": file access or Python code when the graph runs" : "");
        }
        if (rc != BW_OK) {
            bw_mscan_flag(s, BW_VERDICT_MALFORMED, "tf-malformed", BW_SEV_HIGH, err.offset,
                          "cannot parse the SavedModel: %s", err.msg[0] != '\0' ? err.msg : bw_strerror(rc));
        }
        rc = BW_OK;
    }
    bw_savedmodel_info_release(&info);
    return rc;
}

int bw_sniff_savedmodel(const uint8_t *p, size_t n)
{
    return bw_savedmodel_sniff(p, n);
}
