/*
 * test_secrets_corpus.c - the scoring test of the secrets and personal-data
 * scanner on the labeled corpus in tests/data/secrets (made by its
 * generate.py: planted secrets and personal data at known positions in many
 * file kinds, and decoys of every class the issue names).
 *
 * Every corpus file is scanned with the built-in rules (datasets per row, raw
 * evidence so findings can be matched to labels by value). A finding is a
 * true positive when it matches a secret or personal-data label of its own
 * kind: same file, same archive member, same notebook cell, same line (where
 * lines exist), and a value that overlaps the label's (one contains the
 * other; for base64-encoded labels, the same line is enough). Anything else
 * is a false positive; a finding that matches a decoy fails the test.
 * Thresholds (issue 5): secret recall >= 0.95, personal-data recall >= 0.97,
 * precision >= 0.97, no decoy hit.
 */
#include <jansson.h>

#include "tap.h"
#include "testutil.h"
#include "util/internal.h"

struct label {
    const char *file, *member, *kind, *cls, *value;
    int cell;
    long line;
    int found;
};

static bool overlap(const char *a, const char *b)
{
    return a != NULL && b != NULL && a[0] != '\0' && b[0] != '\0' && (strstr(a, b) != NULL || strstr(b, a) != NULL);
}

static bool same_place(const struct label *l, const char *rel, const bw_finding *f)
{
    bool gz =
        strlen(l->file) > 3 && strcmp(l->file + strlen(l->file) - 3, ".gz") == 0 && strstr(l->file, ".tar") == NULL;

    if (strcmp(l->file, rel) != 0) {
        return false;
    }
    if (l->member != NULL ? (f->loc.member == NULL || strcmp(l->member, f->loc.member) != 0)
                          : (f->loc.member != NULL && !gz)) {
        return false;
    }
    if (l->cell >= 0) {
        return f->loc.cell == l->cell; /* notebook lines count per output, labels per joined outputs */
    }
    return l->line <= 0 || f->loc.line == 0 || (long)f->loc.line == l->line;
}

int main(void)
{
    const char *root = getenv("BW_SOURCE_ROOT");
    char path[4096];
    json_t *doc;
    json_error_t je;
    struct label *labels;
    size_t nl, total[3] = {0, 0, 0}, found[3] = {0, 0, 0}, tp = 0, fp = 0, decoy_hits = 0, nfind = 0;
    bw_secrets_opts o = BW_SECRETS_OPTS_INIT;
    bw_secrets *s = NULL;
    bw_error e;
    char **files = NULL;
    size_t nfiles = 0;

    if (root == NULL) {
        skip_all("BW_SOURCE_ROOT not set");
    }
    snprintf(path, sizeof(path), "%s/tests/data/secrets/labels.json", root);
    doc = json_load_file(path, 0, &je);
    if (doc == NULL || !json_is_array(doc)) {
        skip_all("no labeled corpus at tests/data/secrets");
    }
    nl = json_array_size(doc);
    labels = calloc(nl + 1, sizeof(*labels));
    for (size_t i = 0; i < nl; i++) {
        json_t *x = json_array_get(doc, i);
        struct label *l = &labels[i];
        bool seen = false;
        l->file = json_string_value(json_object_get(x, "file"));
        l->member = json_string_value(json_object_get(x, "member"));
        l->kind = json_string_value(json_object_get(x, "kind"));
        l->cls = json_string_value(json_object_get(x, "class"));
        l->value = json_string_value(json_object_get(x, "value"));
        l->cell =
            json_is_integer(json_object_get(x, "cell")) ? (int)json_integer_value(json_object_get(x, "cell")) : -1;
        l->line =
            json_is_integer(json_object_get(x, "line")) ? (long)json_integer_value(json_object_get(x, "line")) : 0;
        total[strcmp(l->kind, "secret") == 0 ? 0 : strcmp(l->kind, "pii") == 0 ? 1 : 2]++;
        for (size_t k = 0; k < nfiles && !seen; k++) {
            seen = strcmp(files[k], l->file) == 0;
        }
        if (!seen) {
            files = realloc(files, (nfiles + 1) * sizeof(char *));
            files[nfiles++] = (char *)(uintptr_t)l->file;
        }
    }
    /* also the corpus files with no label at all: everything they yield is a false positive */
    {
        char cmd[4200];
        FILE *p;
        char line[4096];
        snprintf(cmd, sizeof(cmd), "cd '%s/tests/data/secrets' && find corpus -type f | sort", root);
        p = popen(cmd, "r");
        while (p != NULL && fgets(line, sizeof(line), p) != NULL) {
            bool seen = false;
            line[strcspn(line, "\n")] = '\0';
            for (size_t k = 0; k < nfiles && !seen; k++) {
                seen = strcmp(files[k], line) == 0;
            }
            if (!seen) {
                files = realloc(files, (nfiles + 1) * sizeof(char *));
                files[nfiles++] = strdup(line);
            }
        }
        if (p != NULL) {
            pclose(p);
        }
    }
    tap_diag("%zu labels (%zu secret, %zu personal data, %zu decoys) in %zu files", nl, total[0], total[1], total[2],
             nfiles);
    o.per_row = 1;
    o.show_secrets = 1;
    bw_error_clear(&e);
    if (!ok(bw_secrets_new(&s, &o, &e) == BW_OK, "scanner with the built-in rules")) {
        tap_diag("%s", e.msg);
        return done_testing();
    }
    for (size_t k = 0; k < nfiles; k++) {
        bw_report *r = NULL;
        char full[4200];
        snprintf(full, sizeof(full), "%s/tests/data/secrets/%s", root, files[k]);
        if (bw_report_new(&r, "score", &e) != BW_OK) {
            return 2;
        }
        if (bw_secrets_scan_file(s, r, full, &e) != BW_OK) {
            ok(0, "scan %s: %s", files[k], e.msg);
        }
        for (size_t i = 0; i < bw_report_count(r); i++) {
            const bw_finding *f = bw_report_get(r, i);
            const char *kind = "secret";
            struct label *best = NULL, *line_only = NULL;
            for (size_t q = 0; q < bw_secrets_rule_count(s); q++) {
                bw_secrets_rule_info ri;
                if (bw_secrets_rule_get(s, q, &ri) == BW_OK && strcmp(ri.id, f->rule_id) == 0) {
                    kind = ri.kind;
                    break;
                }
            }
            nfind++;
            for (size_t q = 0; q < nl && best == NULL; q++) {
                struct label *l = &labels[q];
                if (!same_place(l, files[k], f)) {
                    continue;
                }
                if (overlap(l->value, f->evidence)) {
                    if (strcmp(l->kind, kind) == 0 || strcmp(l->kind, "decoy") == 0) {
                        best = l;
                    }
                } else if (line_only == NULL && l->cell < 0 && l->line > 0 && strcmp(l->kind, kind) == 0) {
                    line_only = l;
                }
            }
            if (best == NULL) {
                best = line_only;
            }
            if (best != NULL && strcmp(best->kind, "decoy") == 0) {
                decoy_hits++;
                fp++;
                ok(0, "decoy %s reported by %s at %s:%u", best->cls, f->rule_id, files[k], f->loc.line);
            } else if (best != NULL) {
                tp++;
                if (!best->found) {
                    best->found = 1;
                    found[strcmp(best->kind, "secret") == 0 ? 0 : 1]++;
                }
            } else {
                fp++;
                tap_diag("false positive: %s at %s%s%s:%u cell %d", f->rule_id, files[k], f->loc.member ? "!" : "",
                         f->loc.member ? f->loc.member : "", f->loc.line, (int)f->loc.cell);
            }
        }
        bw_report_free(r);
    }
    for (size_t q = 0, shown = 0; q < nl && shown < 60; q++) {
        if (!labels[q].found && strcmp(labels[q].kind, "decoy") != 0) {
            tap_diag("missed %s %s at %s%s%s:%ld cell %d", labels[q].kind, labels[q].cls, labels[q].file,
                     labels[q].member ? "!" : "", labels[q].member ? labels[q].member : "", labels[q].line,
                     labels[q].cell);
            shown++;
        }
    }
    {
        double rs = total[0] ? (double)found[0] / (double)total[0] : 1,
               rp = total[1] ? (double)found[1] / (double)total[1] : 1;
        double prec = nfind ? (double)tp / (double)nfind : 1;
        tap_diag("secret recall %.4f (%zu/%zu), personal-data recall %.4f (%zu/%zu), precision %.4f (%zu/%zu), "
                 "decoy hits %zu",
                 rs, found[0], total[0], rp, found[1], total[1], prec, tp, nfind, decoy_hits);
        ok(rs >= 0.95, "secret recall %.4f >= 0.95", rs);
        ok(rp >= 0.97, "personal-data recall %.4f >= 0.97", rp);
        ok(prec >= 0.97, "precision %.4f >= 0.97", prec);
        ok(decoy_hits == 0, "no decoy reported (%zu)", decoy_hits);
    }
    (void)fp;
    bw_secrets_free(s);
    json_decref(doc);
    for (size_t k = 0; k < nfiles; k++) {
        bool label_owned = false;
        for (size_t q = 0; q < nl && !label_owned; q++) {
            label_owned = files[k] == labels[q].file;
        }
        if (!label_owned) {
            free(files[k]);
        }
    }
    free(labels);
    free(files);
    return done_testing();
}
