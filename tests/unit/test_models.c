/*
 * test_models.c - the model corpus (tests/data/models/): every fixture's
 * verdict must be the one expected.json states. Benign models made by real
 * tools (PyTorch, NumPy, scikit-learn/joblib, h5py, onnx) must come out
 * safe (zero false positives); every malicious one, whose payload the
 * generator proved under the real loader, must come out unsafe.
 */
#include <jansson.h>

#include "tap.h"
#include "testutil.h"
#include "util/internal.h"

int main(void)
{
    const char *src = getenv("BW_SOURCE_ROOT");
    char dir[4096], path[4200];
    json_t *exp, *v;
    json_error_t jerr;
    const char *file;
    size_t benign = 0, benign_fp = 0, malicious = 0, missed = 0;

    snprintf(dir, sizeof(dir), "%s/tests/data/models", src != NULL ? src : ".");
    snprintf(path, sizeof(path), "%s/expected.json", dir);
    exp = json_load_file(path, 0, &jerr);
    if (exp == NULL) {
        skip_all("tests/data/models/expected.json not found");
    }
    json_object_foreach(exp, file, v)
    {
        const char *want = json_string_value(json_object_get(v, "verdict"));
        bw_report *r = NULL;
        bw_verdict got = BW_VERDICT_SAFE;
        bw_error err;
        bw_status rc;

        snprintf(path, sizeof(path), "%s/%s", dir, file);
        bw_error_clear(&err);
        if (bw_report_new(&r, "test", NULL) != BW_OK) {
            return 2;
        }
        rc = bw_scan_model_file(r, path, NULL, &got, &err);
        ok(rc == BW_OK && want != NULL && strcmp(bw_verdict_name(got), want) == 0, "%s: %s (expected %s) %s", file,
           bw_verdict_name(got), want != NULL ? want : "?", err.msg);
        if (rc == BW_OK && strcmp(bw_verdict_name(got), want != NULL ? want : "") != 0) {
            for (size_t i = 0; i < bw_report_count(r) && i < 5; i++) {
                tap_diag("  %s: %s", bw_report_get(r, i)->rule_id, bw_report_get(r, i)->message);
            }
        }
        if (strncmp(file, "benign/", 7) == 0) {
            benign++;
            benign_fp += got != BW_VERDICT_SAFE && want != NULL && strcmp(want, "safe") == 0;
        } else if (strncmp(file, "malicious/", 10) == 0) {
            malicious++;
            missed += got != BW_VERDICT_UNSAFE && want != NULL && strcmp(want, "unsafe") == 0;
        }
        bw_report_free(r);
    }
    is_int(benign_fp, 0, "zero false positives on %zu benign models", benign);
    is_int(missed, 0, "every one of %zu malicious models is unsafe", malicious);
    json_decref(exp);
    return done_testing();
}
