/*
 * fuzz_secrets.c - the secrets and personal-data scanner on arbitrary bytes,
 * through its public entry point with the built-in rules: the structure
 * readers it dispatches to (zip/tar/gzip/bzip2/xz archives, notebooks,
 * CSV/JSONL datasets, Kubernetes Secret values) and the engine's windows.
 * The first byte picks the name, so dataset and notebook paths are taken.
 * Findings must name the input and carry a fingerprint.
 */
#include <string.h>

#include "fuzz.h"

static bw_secrets *scanner;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const names[] = {"a.txt", "data.csv", "rows.jsonl", "nb.ipynb", "secret.yaml", "x.tsv"};
    bw_secrets_input in = {0};
    bw_report *r = NULL;
    bw_error e;

    if (scanner == NULL) {
        bw_secrets_opts o = BW_SECRETS_OPTS_INIT;
        bw_error_clear(&e);
        o.per_row = 1;
        if (bw_secrets_new(&scanner, &o, &e) != BW_OK) {
            fprintf(stderr, "fuzz_secrets: %s\n", e.msg);
            abort();
        }
    }
    if (size == 0) {
        return 0;
    }
    bw_error_clear(&e);
    if (bw_report_new(&r, "fuzz", &e) != BW_OK) {
        return 0;
    }
    in.name = names[data[0] % (sizeof(names) / sizeof(names[0]))];
    in.data = data + 1;
    in.len = size - 1;
    if (bw_secrets_scan_input(scanner, r, &in, &e) != BW_OK) {
        FUZZ_CHECK(e.code != BW_OK && e.msg[0] != '\0');
    }
    for (size_t i = 0; i < bw_report_count(r); i++) {
        const bw_finding *f = bw_report_get(r, i);
        FUZZ_CHECK(f->loc.path != NULL && strcmp(f->loc.path, in.name) == 0);
        FUZZ_CHECK(f->fingerprint != NULL && strlen(f->fingerprint) == 64);
        FUZZ_CHECK(f->loc.offset == BW_NO_OFFSET || f->loc.member != NULL || f->loc.cell >= 0 ||
                   f->loc.offset < in.len + 1);
    }
    bw_report_free(r);
    return 0;
}
