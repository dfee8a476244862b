/*
 * fuzz_suite.c - the suite reader (YAML, bulwark JSON, GE JSON) on arbitrary
 * bytes, then the reports on what it read.
 *
 * The reader must return a suite whose every expectation has a known type
 * and object kwargs, or BW_EFORMAT / BW_ELIMIT / BW_ENOMEM with a message
 * naming the source. A suite it accepts is then turned into a fake run, one
 * result per expectation with the kwargs as labels and the input bytes as
 * the sampled "unexpected value", and rendered in every report format: the
 * JSON and SARIF outputs must parse, the HTML must contain no script
 * element, and the JUnit XML no character XML 1.0 forbids.
 */
#include <jansson.h>
#include <string.h>

#include "data/suite_internal.h"
#include "fuzz.h"

static bool known_type(const char *t)
{
    for (const char *const *p = bw_expectation_types(); *p != NULL; p++) {
        if (strcmp(*p, t) == 0) {
            return true;
        }
    }
    return false;
}

static void render_all(const bw_suite *s, const uint8_t *data, size_t size)
{
    size_t n = s->n < 64 ? s->n : 64;
    bw_expect_result *res = calloc(n + 1, sizeof(*res));
    char **dumps = calloc(n + 1, sizeof(*dumps));
    char *value = malloc(size + 1);
    bw_unexpected u = {0};

    FUZZ_CHECK(res != NULL && dumps != NULL && value != NULL);
    memcpy(value, data, size);
    value[size] = '\0'; /* the bytes up to the first NUL, as a sampled value */
    u.row = size;
    u.value = value;
    u.len = size;
    u.truncated = size > 200;
    for (size_t i = 0; i < n; i++) {
        const json_t *col = json_object_get(s->exps[i].kwargs, "column");
        dumps[i] = json_dumps(s->exps[i].kwargs, JSON_COMPACT);
        FUZZ_CHECK(dumps[i] != NULL);
        res[i].type = s->exps[i].type;
        res[i].kwargs_json = dumps[i];
        res[i].column = json_is_string(col) ? (char *)json_string_value(col) : NULL;
        res[i].label = dumps[i];
        res[i].success = (int)(i % 2);
        res[i].severity = s->exps[i].severity;
        res[i].per_value = 1;
        res[i].element_count = size;
        res[i].unexpected_count = 1;
        res[i].nsamples = 1;
        res[i].samples = &u;
        res[i].line = s->exps[i].line;
        res[i].error = i % 3 == 2 ? value : NULL;
    }
    bw_vrun r = {.suite_name = s->name, .data_name = value, .nresults = n, .results = res, .rows = size};
    for (int f = BW_VREPORT_TEXT; f <= BW_VREPORT_HTML; f++) {
        bw_buf b = BW_BUF_INIT((size_t)64 << 20);
        bw_vreport_opts o = {.suite_path = value, .color = f == 0, .verbose = 1};
        bw_status rc = bw_vreport_write(&r, (bw_vreport_format)f, &o, &b);
        FUZZ_CHECK(rc == BW_OK || rc == BW_ENOMEM || rc == BW_ELIMIT);
        if (rc == BW_OK && (f == BW_VREPORT_JSON || f == BW_VREPORT_SARIF)) {
            json_error_t je;
            json_t *doc = json_loadb(b.ptr, b.len, JSON_ALLOW_NUL, &je);
            if (doc == NULL) {
                fprintf(stderr, "report %d does not parse: %s\n", f, je.text);
            }
            FUZZ_CHECK(doc != NULL);
            json_decref(doc);
        }
        if (rc == BW_OK && f == BW_VREPORT_HTML) {
            FUZZ_CHECK(strstr(b.ptr, "<script") == NULL);
        }
        if (rc == BW_OK && f == BW_VREPORT_JUNIT) {
            for (size_t i = 0; i < b.len; i++) {
                unsigned char c = (unsigned char)b.ptr[i];
                FUZZ_CHECK(c >= 0x20 || c == '\t' || c == '\n' || c == '\r');
            }
        }
        bw_buf_release(&b);
    }
    for (size_t i = 0; i < n; i++) {
        free(dumps[i]);
    }
    free(dumps);
    free(res);
    free(value);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    bw_suite *s = NULL;
    bw_error e;
    bw_status rc;

    bw_error_clear(&e);
    rc = bw_suite_parse((const char *)data, size, "suite.yaml", &s, &e);
    if (rc == BW_OK) {
        FUZZ_CHECK(s != NULL && bw_suite_name(s) != NULL);
        for (size_t i = 0; i < s->n; i++) {
            FUZZ_CHECK(known_type(s->exps[i].type));
            FUZZ_CHECK(json_is_object(s->exps[i].kwargs));
            FUZZ_CHECK(s->exps[i].meta == NULL || json_is_object(s->exps[i].meta));
            FUZZ_CHECK(s->exps[i].severity == 0 || s->exps[i].severity == 1);
        }
        bw_data_opts o = BW_DATA_OPTS_INIT;
        bw_suite_data_opts(s, &o);
        FUZZ_CHECK(o.ntypes == 0 || (o.type_names != NULL && o.types != NULL));
        render_all(s, data, size);
    } else {
        FUZZ_CHECK(s == NULL);
        FUZZ_CHECK(rc == BW_EFORMAT || rc == BW_ELIMIT || rc == BW_ENOMEM);
        FUZZ_CHECK(rc == BW_ENOMEM || strncmp(e.msg, "suite.yaml", 10) == 0);
    }
    bw_suite_free(s);
    return 0;
}
