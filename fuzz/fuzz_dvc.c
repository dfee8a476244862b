/*
 * fuzz_dvc.c - DVC dvc.lock files (lib/trust/dvc.c) and stage-run entries
 * (lib/trust/export.c) from arbitrary bytes. The input is read as a
 * dvc.lock: no crash, a failure always says why and hands back nothing;
 * every run read is written as an entry, which must parse back and write
 * the same bytes (a round trip), and must export as SLSA, OpenLineage and
 * an in-toto link (or refuse with a message). Input starting with '{' is
 * also read as an entry body, with the same round trip when it parses.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "util/internal.h"

static bw_key *key;

static void round_trip(const bw_stage_run *r)
{
    bw_buf a = BW_BUF_INIT((size_t)64 << 20), b = BW_BUF_INIT((size_t)64 << 20), x = BW_BUF_INIT((size_t)64 << 20);
    bw_stage_run *back = NULL;
    bw_error err;
    bw_export_opts o = BW_EXPORT_OPTS_INIT;
    bw_status rc;

    FUZZ_CHECK(bw_stage_run_write_json(r, &a) == BW_OK);
    bw_error_clear(&err);
    rc = bw_stage_run_parse(a.ptr, a.len, "again", &back, &err);
    if (rc != BW_OK) {
        fprintf(stderr, "round trip: %s\n%s\n", err.msg, a.ptr);
    }
    FUZZ_CHECK(rc == BW_OK);
    FUZZ_CHECK(bw_stage_run_write_json(back, &b) == BW_OK);
    FUZZ_CHECK(a.len == b.len && memcmp(a.ptr, b.ptr, a.len) == 0);
    bw_stage_run_free(back);

    o.allow_failed = 1;
    o.event_time = "2026-11-24T10:00:00Z";
    bw_error_clear(&err);
    rc = bw_export_slsa(r, &o, &x, &err);
    FUZZ_CHECK(rc == BW_OK || (rc == BW_EINVAL && r->n_outputs == 0 && err.msg[0] != '\0'));
    bw_buf_reset(&x);
    FUZZ_CHECK(bw_export_openlineage(r, &o, &x, &err) == BW_OK);
    bw_buf_reset(&x);
    bw_error_clear(&err);
    rc = bw_export_intoto_link(r, key, &x, &err);
    FUZZ_CHECK(rc == BW_OK || ((rc == BW_EUNSUPPORTED || rc == BW_EINVAL) && err.msg[0] != '\0'));
    bw_buf_release(&a);
    bw_buf_release(&b);
    bw_buf_release(&x);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    bw_stage_run *runs = (bw_stage_run *)1, *one = NULL;
    size_t n = 99;
    bw_error err;
    bw_dvc_opts o = BW_DVC_OPTS_INIT;

    if (key == NULL && bw_key_generate(BW_KEY_ED25519, &key, &err) != BW_OK) {
        abort();
    }
    o.time = "2026-11-24T10:00:00Z";
    bw_error_clear(&err);
    if (bw_dvc_lock_parse(data, size, "fuzz.lock", &o, &runs, &n, &err) == BW_OK) {
        FUZZ_CHECK(n == 0 || runs != NULL);
        for (size_t i = 0; i < n; i++) {
            round_trip(&runs[i]);
        }
        bw_stage_runs_free(runs, n);
    } else {
        FUZZ_CHECK(err.msg[0] != '\0' && err.code != BW_OK && runs == NULL && n == 0);
    }
    if (size > 0 && data[0] == '{') {
        bw_error_clear(&err);
        if (bw_stage_run_parse(data, size, "fuzz.json", &one, &err) == BW_OK) {
            round_trip(one);
            bw_stage_run_free(one);
        } else {
            FUZZ_CHECK(err.msg[0] != '\0' && one == NULL);
        }
    }
    return 0;
}
