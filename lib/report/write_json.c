/*
 * write_json.c - the report for programs (docs/internals/report.md has an
 * example).
 *
 * The shape is fixed and documented; fields of a location that are unknown
 * (line 0, no member, no offset, no cell) are left out rather than written
 * as 0 or null, so a consumer can tell "line 0" from "no line". Counts in
 * the summary are always present, every severity included, so consumers
 * need no defaults. Strings go through bw_json, which makes hostile file
 * names valid JSON (U+FFFD for bytes that are not UTF-8).
 */
#include "report/report_internal.h"

static void put_location(bw_json *j, const bw_location *loc)
{
    bw_json_key(j, "location");
    bw_json_obj_begin(j);
    bw_json_kv_str(j, "path", loc->path);
    if (loc->member != NULL) {
        bw_json_kv_str(j, "member", loc->member);
    }
    if (loc->line > 0) {
        bw_json_kv_int(j, "line", loc->line);
    }
    if (loc->column > 0) {
        bw_json_kv_int(j, "column", loc->column);
    }
    if (loc->end_line > 0) {
        bw_json_kv_int(j, "end_line", loc->end_line);
    }
    if (loc->end_column > 0) {
        bw_json_kv_int(j, "end_column", loc->end_column);
    }
    if (loc->offset != BW_NO_OFFSET) {
        bw_json_key(j, "offset");
        bw_json_uint(j, loc->offset);
    }
    if (loc->cell >= 0) {
        bw_json_kv_int(j, "cell", loc->cell);
    }
    bw_json_obj_end(j);
}

static void put_finding(bw_json *j, const bw_finding *f)
{
    bw_json_obj_begin(j);
    bw_json_kv_str(j, "rule_id", f->rule_id);
    bw_json_kv_str(j, "severity", bw_severity_name(f->severity));
    bw_json_kv_str(j, "message", f->message);
    put_location(j, &f->loc);
    if (f->evidence != NULL) {
        bw_json_kv_str(j, "evidence", f->evidence);
    }
    bw_json_kv_str(j, "fingerprint", f->fingerprint);
    bw_json_obj_end(j);
}

static void put_summary(bw_json *j, const bw_report *r)
{
    size_t counts[BW_SEV_COUNT];

    bw_report_sev_counts(r, counts);
    bw_json_key(j, "summary");
    bw_json_obj_begin(j);
    bw_json_key(j, "findings");
    bw_json_uint(j, r->nfindings);
    bw_json_key(j, "by_severity");
    bw_json_obj_begin(j);
    for (int s = BW_SEV_CRITICAL; s >= BW_SEV_INFO; s--) {
        bw_json_key(j, bw_severity_name((bw_severity)s));
        bw_json_uint(j, counts[s]);
    }
    bw_json_obj_end(j);
    bw_json_key(j, "inputs");
    bw_json_uint(j, r->inputs);
    bw_json_key(j, "bytes");
    bw_json_uint(j, r->bytes);
    bw_json_key(j, "errors");
    bw_json_uint(j, r->nerrors);
    bw_json_obj_end(j);
}

bw_status bw_report_write_json(const bw_report *r, const bw_write_opts *opts, bw_buf *out)
{
    bw_json j;

    bw_json_init(&j, out, 1);
    bw_json_obj_begin(&j);
    bw_json_key(&j, "tool");
    bw_json_obj_begin(&j);
    bw_json_kv_str(&j, "name", "bulwark");
    bw_json_kv_str(&j, "version", opts->tool_version != NULL ? opts->tool_version : bw_version());
    bw_json_obj_end(&j);
    bw_json_kv_str(&j, "command", r->command);
    put_summary(&j, r);

    bw_json_key(&j, "findings");
    bw_json_arr_begin(&j);
    for (size_t i = 0; i < r->nfindings; i++) {
        put_finding(&j, r->findings[i]);
    }
    bw_json_arr_end(&j);

    bw_json_key(&j, "errors");
    bw_json_arr_begin(&j);
    for (size_t i = 0; i < r->nerrors; i++) {
        const struct bw_report_error *e = &r->errors[i];
        bw_json_obj_begin(&j);
        bw_json_kv_str(&j, "path", e->path);
        bw_json_kv_str(&j, "code", bw_status_name(e->code));
        bw_json_kv_str(&j, "message", e->msg);
        if (e->offset != BW_NO_OFFSET) {
            bw_json_key(&j, "offset");
            bw_json_uint(&j, e->offset);
        }
        bw_json_obj_end(&j);
    }
    bw_json_arr_end(&j);
    if (r->nartifacts > 0) {
        bw_json_key(&j, "artifacts");
        bw_json_arr_begin(&j);
        for (size_t i = 0; i < r->nartifacts; i++) {
            bw_json_obj_begin(&j);
            bw_json_kv_str(&j, "path", r->artifacts[i].path);
            bw_json_kv_str(&j, r->artifacts[i].key, r->artifacts[i].value);
            bw_json_obj_end(&j);
        }
        bw_json_arr_end(&j);
    }
    bw_json_obj_end(&j);
    BW_TRY(bw_json_finish(&j));
    return bw_buf_addc(out, '\n');
}
