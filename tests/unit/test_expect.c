/*
 * test_expect.c - the expectation engine (bw_validate_run): every
 * expectation type passing and failing over small CSV files, with exact
 * element / missing / unexpected counts, samples and their row numbers,
 * `mostly`, nulls, strictness and observed values; the argument checks
 * (bw_expect_check); and the text predicates (strftime, dateutil, JSON,
 * formula injection, control characters, markup) at their edges.
 */
#include <math.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "data/expect_internal.h"
#include "data/suite_internal.h"
#include "tap.h"

static char tmpdir[] = "/tmp/bw_expect_XXXXXX";
static int nfile;

/* Write `csv` to a temporary file; returns its path (static storage, reused). */
static const char *write_csv(const char *csv)
{
    static char path[256];
    snprintf(path, sizeof path, "%s/t%d.csv", tmpdir, nfile++);
    FILE *f = fopen(path, "wb");
    if (f == NULL) {
        return NULL;
    }
    fputs(csv, f);
    fclose(f);
    return path;
}

static bw_suite *suite(void)
{
    bw_suite *s = NULL;
    bw_error err = {0};
    if (bw_suite_new("t", NULL, &s, &err) != BW_OK) {
        abort();
    }
    return s;
}

/* Add an expectation from its kwargs as JSON text; returns the status. */
static bw_status add(bw_suite *s, const char *type, const char *kwargs)
{
    bw_error err = {0};
    json_error_t je;
    json_t *kw = json_loads(kwargs, 0, &je);
    if (kw == NULL) {
        printf("# bad test JSON: %s\n", kwargs);
        return BW_EINVAL;
    }
    bw_status rc = bw_suite_add(s, type, kw, NULL, 0, &err);
    if (rc != BW_OK) {
        printf("# add %s: %s\n", type, err.msg);
    }
    return rc;
}

static bw_vrun *run_opts(bw_suite *s, const char *csv, const bw_validate_opts *o)
{
    bw_error err = {0};
    bw_data_opts d = BW_DATA_OPTS_INIT;
    bw_suite_data_opts(s, &d);
    bw_dataset *ds = NULL;
    bw_vrun *r = NULL;
    const char *path = write_csv(csv);
    if (bw_dataset_open(path, BW_FMT_CSV, &d, &ds, &err) != BW_OK) {
        printf("# open: %s\n", err.msg);
        return NULL;
    }
    if (bw_validate_run(s, ds, "t.csv", o, &r, &err) != BW_OK) {
        printf("# run: %s\n", err.msg);
    }
    bw_dataset_free(ds);
    return r;
}

static bw_vrun *run(bw_suite *s, const char *csv)
{
    return run_opts(s, csv, NULL);
}

/* Sample rows as "row=value;..." for compact comparisons. */
static const char *samples(const bw_expect_result *e)
{
    static char buf[1024];
    size_t k = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < e->nsamples && k < sizeof buf - 64; i++) {
        const bw_unexpected *u = &e->samples[i];
        k += (size_t)snprintf(buf + k, sizeof buf - k, "%s%llu=%s", i ? ";" : "", (unsigned long long)u->row,
                              u->null            ? "<null>"
                              : u->value != NULL ? u->value
                                                 : "<redacted>");
    }
    return buf;
}

#define R(i) (&r->results[(i)])

static const char *people = "id,name,age,score,email\n"
                            "1,alice,30,1.5,alice@x.org\n"
                            "2,bob,,2.5,bob@x\n"
                            "3,carol,45,NA,carol@y.org\n"
                            "4,dave,17,4.0,\n"
                            "5,erin,130,5.5,erin@z.org\n"
                            "6,frank,30,6.0,frank@x.org\n";

static void test_table(void)
{
    bw_suite *s = suite();
    ok(add(s, "expect_table_row_count_to_equal", "{\"value\": 6}") == BW_OK, "row count equal added");
    ok(add(s, "table_row_count_to_equal", "{\"value\": 5}") == BW_OK, "prefix optional");
    ok(add(s, "expect_table_row_count_to_be_between", "{\"min_value\": 1, \"max_value\": 6}") == BW_OK, "between");
    ok(add(s, "expect_table_row_count_to_be_between", "{\"min_value\": 1, \"max_value\": 6, \"strict_max\": true}") ==
           BW_OK,
       "strict");
    add(s, "expect_table_column_count_to_equal", "{\"value\": 5}");
    add(s, "expect_table_column_count_to_be_between", "{\"min_value\": 6}");
    add(s, "expect_table_columns_to_match_set", "{\"column_set\": [\"id\", \"name\", \"age\", \"score\", \"email\"]}");
    add(s, "expect_table_columns_to_match_set", "{\"column_set\": [\"id\", \"name\"], \"exact_match\": false}");
    add(s, "expect_table_columns_to_match_set", "{\"column_set\": [\"id\", \"zip\"], \"exact_match\": false}");
    add(s, "expect_table_columns_to_match_ordered_list",
        "{\"column_list\": [\"id\", \"name\", \"age\", \"score\", "
        "\"email\"]}");
    add(s, "expect_table_columns_to_match_ordered_list", "{\"column_list\": [\"name\", \"id\"]}");
    add(s, "expect_column_to_exist", "{\"column\": \"email\"}");
    add(s, "expect_column_to_exist", "{\"column\": \"email\", \"column_index\": 4}");
    add(s, "expect_column_to_exist", "{\"column\": \"email\", \"column_index\": 1}");
    add(s, "expect_column_to_exist", "{\"column\": \"zip\"}");
    bw_vrun *r = run(s, people);
    ok(r != NULL, "ran");
    if (r == NULL) {
        bw_suite_free(s);
        return;
    }
    is_int(r->nresults, 15, "15 results");
    is_int(r->rows, 6, "6 rows");
    ok(R(0)->success && !R(1)->success, "row count 6, not 5");
    is_str(R(0)->observed_json, "6", "observed row count");
    ok(R(2)->success && !R(3)->success, "between 1..6 inclusive; strict max fails");
    ok(R(4)->success, "5 columns");
    ok(!R(5)->success, "column count >= 6 fails");
    is_str(R(5)->observed_json, "5", "observed column count");
    ok(R(6)->success, "exact set");
    ok(R(7)->success, "subset with exact_match false");
    ok(!R(8)->success, "zip missing");
    is_str(R(8)->details_json,
           "{\"mismatched\":{\"unexpected\":[\"name\",\"age\",\"score\",\"email\"],\"missing\":[\"zip\"]}}",
           "mismatch details");
    is_str(R(6)->observed_json, "[\"id\",\"name\",\"age\",\"score\",\"email\"]", "observed columns");
    ok(R(9)->success && !R(10)->success, "ordered list");
    like(R(10)->details_json, "\"Expected\":\"name\",\"Found\":\"id\"", "ordered mismatch details");
    ok(R(11)->success && R(12)->success && !R(13)->success, "column exists, at index 4, not at 1");
    ok(!R(14)->success && R(14)->error == NULL, "zip does not exist (a failure, not an error)");
    is_int(r->failed, 7, "7 failed");
    ok(!r->success, "run failed");
    is_str(R(0)->type, "expect_table_row_count_to_equal", "type name");
    is_str(R(0)->kwargs_json, "{\"value\":6}", "kwargs json");
    bw_vrun_free(r);
    bw_suite_free(s);
}

static void test_nulls_types(void)
{
    bw_suite *s = suite();
    add(s, "expect_column_values_to_not_be_null", "{\"column\": \"age\"}");
    add(s, "expect_column_values_to_not_be_null", "{\"column\": \"age\", \"mostly\": 0.8}");
    add(s, "expect_column_values_to_not_be_null", "{\"column\": \"age\", \"mostly\": 0.9}");
    add(s, "expect_column_values_to_be_null", "{\"column\": \"score\"}");
    add(s, "expect_column_values_to_be_of_type", "{\"column\": \"age\", \"type_\": \"int\"}");
    add(s, "expect_column_values_to_be_of_type", "{\"column\": \"score\", \"type_\": \"float64\"}");
    add(s, "expect_column_values_to_be_of_type", "{\"column\": \"name\", \"type_\": \"str\"}");
    add(s, "expect_column_values_to_be_of_type", "{\"column\": \"name\", \"type_\": \"int64\"}");
    add(s, "expect_column_values_to_be_in_type_list", "{\"column\": \"score\", \"type_list\": [\"int\", \"float\"]}");
    add(s, "expect_column_values_to_be_in_type_list", "{\"column\": \"score\", \"type_list\": [\"str\"]}");
    add(s, "expect_column_values_to_be_of_type", "{\"column\": \"age\", \"type_\": \"number\"}");
    add(s, "expect_column_values_to_not_be_null", "{\"column\": \"nope\"}");
    bw_vrun *r = run(s, people);
    if (!ok(r != NULL, "ran")) {
        bw_suite_free(s);
        return;
    }
    ok(!R(0)->success, "age has a null");
    is_int(R(0)->element_count, 6, "element count");
    is_int(R(0)->unexpected_count, 1, "one null");
    is_int(R(0)->missing_count, 0, "not-null reports no missing");
    is_str(samples(R(0)), "1=<null>", "the null at row 1");
    ok(R(0)->samples[0].null && R(0)->samples[0].value == NULL, "sample marked null");
    ok(fabs(R(0)->unexpected_percent - 100.0 / 6) < 1e-9, "unexpected percent");
    ok(R(1)->success && !R(2)->success, "mostly 0.8 passes (5/6), 0.9 fails");
    like(R(1)->label, "mostly 0.8", "label shows mostly");
    ok(!R(3)->success, "score mostly not null");
    is_int(R(3)->unexpected_count, 5, "5 non-null scores");
    is_str(samples(R(3)), "0=1.5;1=2.5;3=4;4=5.5;5=6", "non-null samples, floats formatted");
    ok(R(4)->success, "age is int");
    is_str(R(4)->observed_json, "\"int64\"", "observed type");
    ok(R(5)->success && R(6)->success && !R(7)->success, "float64, str; name is not int64");
    is_str(R(7)->observed_json, "\"string\"", "observed string");
    ok(R(8)->success && !R(9)->success, "type lists");
    ok(R(10)->success, "number accepts int64");
    ok(!R(11)->success && R(11)->error != NULL, "missing column is an error");
    like(R(11)->error, "'nope' not found", "error names the column");
    bw_vrun_free(r);
    bw_suite_free(s);

    /* a value that did not fit the schema's type counts against of_type only */
    s = suite();
    bw_error err = {0};
    ok(bw_suite_add_col(s, "n", 1, BW_DT_INT64, 1, &err) == BW_OK, "schema column");
    ok(bw_suite_add_col(s, "opt", 1, BW_DT_INT64, 0, &err) == BW_OK, "optional schema column");
    add(s, "expect_column_values_to_be_between", "{\"column\": \"n\", \"min_value\": 0}");
    add(s, "expect_column_values_to_be_of_type", "{\"column\": \"n\", \"type_\": \"int64\", \"mostly\": 0.5}");
    r = run(s, "n\n1\nx\n3\nNA\n");
    if (ok(r != NULL, "ran with schema")) {
        is_int(r->nresults, 5, "2 schema + 1 optional type + 2");
        is_str(R(0)->type, "expect_column_to_exist", "schema exists first");
        like(R(0)->label, "schema: ", "schema label");
        ok(R(0)->success, "n exists");
        is_str(R(1)->type, "expect_column_values_to_be_of_type", "schema type second");
        ok(!R(1)->success, "the bad value fails of_type");
        is_int(R(1)->unexpected_count, 1, "one bad value");
        is_int(R(1)->missing_count, 1, "one null");
        is_int(R(1)->element_count, 4, "4 rows");
        ok(R(2)->success && R(2)->error == NULL, "optional column absent: passes");
        ok(R(3)->success, "between: the bad value is null");
        is_int(R(3)->missing_count, 2, "between: 2 missing");
        ok(R(4)->success, "of_type mostly 0.5: 2 of 3 fit");
        bw_vrun_free(r);
    }
    bw_suite_free(s);
}

static void test_sets_between(void)
{
    bw_suite *s = suite();
    add(s, "expect_column_values_to_be_in_set",
        "{\"column\": \"name\", \"value_set\": [\"alice\", \"bob\", \"carol\"]}");
    add(s, "expect_column_values_to_not_be_in_set", "{\"column\": \"age\", \"value_set\": [30, 17]}");
    add(s, "expect_column_values_to_be_in_set", "{\"column\": \"age\", \"value_set\": [\"30\", 45.0, 17, 130]}");
    add(s, "expect_column_values_to_be_in_set", "{\"column\": \"score\", \"value_set\": [1.5, 2.5, 4, 5.5, 6]}");
    add(s, "expect_column_values_to_be_between", "{\"column\": \"age\", \"min_value\": 18, \"max_value\": 120}");
    add(s, "expect_column_values_to_be_between", "{\"column\": \"age\", \"min_value\": 17, \"strict_min\": true}");
    add(s, "expect_column_values_to_be_between",
        "{\"column\": \"age\", \"max_value\": 130, \"strict_max\": true, "
        "\"mostly\": 0.8}");
    add(s, "expect_column_values_to_be_between", "{\"column\": \"name\", \"min_value\": 0}");
    add(s, "expect_column_values_to_be_between", "{\"column\": \"id\", \"min_value\": 1, \"max_value\": 6}");
    bw_vrun *r = run(s, people);
    if (!ok(r != NULL, "ran")) {
        bw_suite_free(s);
        return;
    }
    ok(!R(0)->success, "in set fails");
    is_int(R(0)->unexpected_count, 3, "dave, erin, frank");
    is_str(samples(R(0)), "3=dave;4=erin;5=frank", "samples in row order");
    ok(!R(1)->success, "not in set");
    is_int(R(1)->unexpected_count, 3, "30, 17, 30");
    is_int(R(1)->missing_count, 1, "the null skipped");
    is_str(samples(R(1)), "0=30;3=17;5=30", "samples");
    ok(R(2)->success, "string \"30\" and 45.0 match ints");
    ok(R(3)->success, "floats: 4 matches 4.0");
    is_int(R(3)->missing_count, 1, "NA skipped");
    ok(!R(4)->success, "17 and 130 outside");
    is_int(R(4)->unexpected_count, 2, "two");
    is_str(samples(R(4)), "3=17;4=130", "their rows");
    ok(fabs(R(4)->unexpected_percent_nonmissing - 40.0) < 1e-9, "percent of non-missing 2/5");
    ok(!R(5)->success && R(5)->unexpected_count == 1, "strict min excludes 17");
    ok(R(6)->success && R(6)->unexpected_count == 1, "strict max excludes 130, mostly 0.8 passes");
    ok(!R(7)->success && R(7)->unexpected_count == 6, "names are not numbers: all unexpected");
    ok(R(8)->success, "ids 1..6");
    bw_vrun_free(r);
    bw_suite_free(s);
}

static void test_unique(void)
{
    bw_suite *s = suite();
    add(s, "expect_column_values_to_be_unique", "{\"column\": \"a\"}");
    add(s, "expect_column_values_to_be_unique", "{\"column\": \"b\"}");
    add(s, "expect_compound_columns_to_be_unique", "{\"column_list\": [\"a\", \"c\"]}");
    add(s, "expect_column_values_to_be_unique", "{\"column\": \"a\", \"mostly\": 0.5}");
    add(s, "expect_column_unique_value_count_to_be_between", "{\"column\": \"a\", \"min_value\": 4, \"max_value\": 4}");
    add(s, "expect_column_proportion_of_unique_values_to_be_between", "{\"column\": \"a\", \"min_value\": 0.6}");
    bw_vrun *r = run(s, "a,b,c\nx,1,p\ny,2,p\nx,3,q\nz,,p\nx,5,p\ny,6,r\nw,7,s\n");
    if (!ok(r != NULL, "ran")) {
        bw_suite_free(s);
        return;
    }
    ok(!R(0)->success, "a has duplicates");
    is_int(R(0)->unexpected_count, 5, "every row of a repeated value: x x x y y");
    is_str(samples(R(0)), "0=x;1=y;2=x;4=x;5=y", "samples in row order, first occurrences included");
    ok(R(1)->success, "b unique (null skipped)");
    is_int(R(1)->missing_count, 1, "b's null");
    ok(!R(2)->success, "(x,p) twice");
    is_int(R(2)->unexpected_count, 2, "rows 0 and 4");
    is_str(samples(R(2)), "0=x, p;4=x, p", "compound samples");
    ok(!R(3)->success, "mostly 0.5: 2/7 unique fails");
    ok(R(4)->success, "4 distinct values");
    is_str(R(4)->observed_json, "4", "observed distinct count");
    ok(fabs(strtod(R(5)->observed_json, NULL) - 4.0 / 7) < 1e-12, "proportion 4/7");
    ok(!R(5)->success, "4/7 < 0.6");
    bw_vrun_free(r);
    bw_suite_free(s);

    /* sample_max cut: the smallest rows win even when found late */
    s = suite();
    add(s, "expect_column_values_to_be_unique", "{\"column\": \"a\"}");
    bw_validate_opts o = BW_VALIDATE_OPTS_INIT;
    o.sample_max = 2;
    r = run_opts(s, "a\n1\n2\n3\n3\n2\n1\n", &o);
    if (ok(r != NULL, "ran")) {
        is_int(R(0)->unexpected_count, 6, "all six");
        is_str(samples(R(0)), "0=1;1=2", "rows 0 and 1 discovered last");
        bw_vrun_free(r);
    }
    bw_suite_free(s);
}

/* Two runs' results agree exactly: counts, verdicts and every sample. */
static bool same_results(const bw_vrun *a, const bw_vrun *b)
{
    if (a->nresults != b->nresults) {
        return false;
    }
    for (size_t i = 0; i < a->nresults; i++) {
        const bw_expect_result *x = &a->results[i], *y = &b->results[i];
        if (x->success != y->success || x->unexpected_count != y->unexpected_count ||
            x->missing_count != y->missing_count || x->element_count != y->element_count ||
            x->nsamples != y->nsamples) {
            printf("# result %zu: %llu vs %llu unexpected, %zu vs %zu samples\n", i,
                   (unsigned long long)x->unexpected_count, (unsigned long long)y->unexpected_count, x->nsamples,
                   y->nsamples);
            return false;
        }
        for (size_t k = 0; k < x->nsamples; k++) {
            const bw_unexpected *u = &x->samples[k], *v = &y->samples[k];
            if (u->row != v->row || u->len != v->len || u->truncated != v->truncated ||
                (u->value == NULL) != (v->value == NULL) || (u->value != NULL && strcmp(u->value, v->value) != 0)) {
                printf("# result %zu sample %zu: row %llu vs %llu\n", i, k, (unsigned long long)u->row,
                       (unsigned long long)v->row);
                return false;
            }
        }
    }
    return true;
}

/*
 * Past its memory budget a uniqueness check goes on in temporary files
 * (lib/data/unique.c): the results must be exactly those of the in-memory
 * table, whether the spill starts early or late and whether its parts are
 * split again (a 4 KiB budget forces several levels).
 */
static void test_unique_spill(void)
{
    enum { ROWS = 30000 };
    static uint32_t av[ROWS], bv[ROWS];
    static unsigned char seen_a[ROWS * 2];
    bw_buf csv = BW_BUF_INIT((size_t)64 << 20);
    bw_buf_addstr(&csv, "a,b,c\n");
    uint64_t st = 0x243F6A8885A308D3ULL;
    for (size_t i = 0; i < ROWS; i++) {
        st = st * 6364136223846793005ULL + 1442695040888963407ULL;
        av[i] = (uint32_t)(st >> 33) % (ROWS * 2);
        bv[i] = (uint32_t)(st >> 17) % (ROWS * 4);
        if (i % 7 == 3) {
            bw_buf_printf(&csv, "id%u,%u,\n", av[i], bv[i]); /* c null */
        } else {
            /* c: 250 bytes of text with a two-byte character across the 200-byte cut */
            bw_buf_printf(&csv, "id%u,%u,%0196u\xc3\xa9%052u\n", av[i], bv[i], av[i] % 5000, bv[i] % 3);
        }
    }
    for (size_t i = 0; i < ROWS; i++) {
        seen_a[av[i]] += seen_a[av[i]] < 2;
    }
    uint64_t dup_a = 0;
    for (size_t i = 0; i < ROWS; i++) {
        dup_a += seen_a[av[i]] > 1;
    }
    bw_suite *s = suite();
    add(s, "expect_column_values_to_be_unique", "{\"column\": \"a\"}");
    add(s, "expect_column_values_to_be_unique", "{\"column\": \"b\"}");
    add(s, "expect_column_values_to_be_unique", "{\"column\": \"c\"}");
    add(s, "expect_compound_columns_to_be_unique", "{\"column_list\": [\"a\", \"c\"]}");
    bw_validate_opts o = BW_VALIDATE_OPTS_INIT;
    o.temp_dir = tmpdir;
    bw_vrun *mem = run_opts(s, csv.ptr, &o);
    if (!ok(mem != NULL, "in memory: ran")) {
        bw_suite_free(s);
        bw_buf_release(&csv);
        return;
    }
    is_int(mem->results[0].unexpected_count, dup_a, "in memory: a's duplicates counted independently");
    ok(mem->results[2].nsamples == 20 && mem->results[2].samples[0].truncated && mem->results[2].samples[0].len == 250,
       "c's samples are cut at 200 bytes");
    const size_t budgets[] = {65536, 262144, (size_t)1 << 20};
    for (size_t k = 0; k < sizeof budgets / sizeof budgets[0]; k++) {
        o.unique_memory = budgets[k];
        bw_vrun *sp = run_opts(s, csv.ptr, &o);
        ok(sp != NULL && same_results(mem, sp), "a %zu-byte budget: the same results as in memory", budgets[k]);
        bw_vrun_free(sp);
    }
    o.unique_memory = 0;
    o.redact = 1;
    bw_vrun *mr = run_opts(s, csv.ptr, &o);
    o.unique_memory = 65536;
    bw_vrun *sr = run_opts(s, csv.ptr, &o);
    ok(mr != NULL && sr != NULL && same_results(mr, sr), "redacted: the same rows, no values");
    ok(sr != NULL && sr->results[0].nsamples > 0 && sr->results[0].samples[0].value == NULL, "redacted samples");
    bw_vrun_free(mr);
    bw_vrun_free(sr);

    /* a temporary directory that is not there: the run fails, naming it */
    o.redact = 0;
    o.temp_dir = "/nonexistent/bulwark-tmp";
    bw_error err = {0};
    bw_data_opts d = BW_DATA_OPTS_INIT;
    bw_dataset *ds = NULL;
    bw_vrun *r = NULL;
    if (bw_dataset_open(write_csv(csv.ptr), BW_FMT_CSV, &d, &ds, &err) == BW_OK) {
        bw_status rc = bw_validate_run(s, ds, "t.csv", &o, &r, &err);
        is_int(rc, BW_EIO, "no temporary directory: BW_EIO");
        ok(strstr(err.msg, "/nonexistent/bulwark-tmp") != NULL, "the message names it: %s", err.msg);
        bw_vrun_free(r);
        bw_dataset_free(ds);
    }
    bw_vrun_free(mem);
    bw_suite_free(s);
    bw_buf_release(&csv);
}

struct emitted {
    uint64_t n, rows_sum;
    uint64_t first_rows[4];
    char first_vals[4][64];
};

static bw_status record_emit(void *ctx, uint64_t row, const char *v, size_t k, size_t n)
{
    struct emitted *e = ctx;
    if (e->n < 4) {
        e->first_rows[e->n] = row;
        snprintf(e->first_vals[e->n], sizeof e->first_vals[0], "%.*s/%zu", (int)k, v, n);
    }
    e->n++;
    e->rows_sum += row;
    return BW_OK;
}

/*
 * The spill on its own, with chosen hashes: all share their top 56 bits, so
 * every split keeps them in one file until the depth runs out and the last
 * file (over 3 MB) is resolved through its 1 MiB stream buffer. The repeat of
 * X comes 3 MB after its first row, so X's first value is read back again.
 */
static void test_uspill(void)
{
    bw_error err = {0};
    bw_umap m = {0};
    uint64_t *rf;
    bool added;
    const uint64_t base = 0xABCDEF0123456700ULL;
    /* the table before the spill: W (row 0) already repeated, Z (row 1) not yet */
    bw_umap_put(&m, base | 1, 0, &rf, &added);
    *rf |= BW_UMAP_DUP;
    bw_umap_put(&m, base | 2, 1, &rf, &added);
    bw_uspill *s = NULL;
    if (!ok(bw_uspill_start(&s, &m, tmpdir, 4096, &err) == BW_OK, "spill started: %s", err.msg)) {
        bw_umap_free(&m);
        return;
    }
    bw_umap_free(&m);
    char v[64];
    bw_status rc = bw_uspill_add(s, base | 3, 10, "X-value", 7, 7, &err); /* X first */
    for (uint64_t i = 0; i < 60000 && rc == BW_OK; i++) {
        int n = snprintf(v, sizeof v, "Y%040llu", (unsigned long long)(i % 2));
        rc = bw_uspill_add(s, base | (4 + (i % 2)), 11 + i, v, (size_t)n, (size_t)n, &err);
    }
    if (rc == BW_OK) {
        rc = bw_uspill_add(s, base | 1, 50000, "W-value", 7, 7, &err); /* W again */
    }
    if (rc == BW_OK) {
        rc = bw_uspill_add(s, base | 6, 50001, "solo", 4, 4, &err); /* once: never emitted */
    }
    if (rc == BW_OK) {
        rc = bw_uspill_add(s, base | 3, 50002, "X-value", 7, 7, &err); /* X again, 2 MB later */
    }
    if (rc == BW_OK) {
        rc = bw_uspill_add(s, base | 2, 50003, "Z-value-long", 5, 12, &err); /* Z again, kept bytes only */
    }
    struct emitted e = {0};
    if (rc == BW_OK) {
        rc = bw_uspill_finish(s, record_emit, &e, &err);
    }
    ok(rc == BW_OK, "spill resolved: %s", err.msg);
    /* Y0 and Y1: 30000 rows each, all emitted; W's later row; X's two rows; Z's table row and later row */
    is_int(e.n, 60000 + 1 + 2 + 2, "every repeated row once");
    uint64_t ysum = 0;
    for (uint64_t i = 0; i < 60000; i++) {
        ysum += 11 + i;
    }
    is_int(e.rows_sum, ysum + 50000 + 10 + 50002 + 1 + 50003, "the rows emitted");
    bw_uspill_free(s);
}

/*
 * ASCII text is matched with a second compilation of each regex without UTF
 * and UCP (3x faster for \s and friends). Its answers must be those of the
 * Unicode regex: checked against PCRE2 in UTF+UCP mode over ASCII values, in
 * a batch of ASCII only (the batch fast path) and in one with a non-ASCII
 * value added (value by value).
 */
static void test_regex_ascii(void)
{
    static const char *const pats[] = {
        "\\s",      "^\\w+$",         "(?i)^K[a-z]*$", "[^\xc3\xa9]{3}",   "\\bab",        "^\\p{L}+\\d*$",
        "^.{2,4}$", "[[:alpha:]]{5}", "\xc3\xa9",      "^[a-z]+\\.",       "(?i)\xc3\x89", "\\x{e9}|z$",
        "^\\D+$",   "\\S\\s\\S",      "^\\X{3}$",      "^[\\x00-\\x7f]+$",
    };
    static const char *const vals[] = {"Kelvin", "ab cd", "a_b9",        "x.y",  "tab\there", "z",
                                       "kz",     "ABC",   "abcde",       "1234", " lead",     "a b",
                                       "q",      "12ab",  "hello world", "K",    "e",         "ab.c"};
    const size_t np = sizeof pats / sizeof pats[0], nv = sizeof vals / sizeof vals[0];
    for (int variant = 0; variant < 2; variant++) {
        bw_buf csv = BW_BUF_INIT((size_t)1 << 20);
        bw_buf_addstr(&csv, "v\n");
        for (size_t i = 0; i < nv; i++) {
            bw_buf_printf(&csv, "\"%s\"\n", vals[i]);
        }
        if (variant == 1) {
            bw_buf_addstr(&csv, "\xc3\xa9t\xc3\xa9\n"); /* "été": the batch is no longer all ASCII */
        }
        bw_suite *s = suite();
        for (size_t k = 0; k < np; k++) {
            json_t *kw = json_pack("{s:s, s:s}", "column", "v", "regex", pats[k]);
            char *txt = json_dumps(kw, JSON_COMPACT);
            add(s, "expect_column_values_to_match_regex", txt);
            free(txt);
            json_decref(kw);
        }
        bw_vrun *r = run(s, csv.ptr);
        bool all = r != NULL && r->nresults == np;
        for (size_t k = 0; all && k < np; k++) {
            int ec;
            PCRE2_SIZE eo;
            pcre2_code *re =
                pcre2_compile((PCRE2_SPTR)pats[k], PCRE2_ZERO_TERMINATED, PCRE2_UTF | PCRE2_UCP, &ec, &eo, NULL);
            pcre2_match_data *md = pcre2_match_data_create(1, NULL);
            uint64_t miss = 0;
            for (size_t i = 0; i < nv + (size_t)variant; i++) {
                const char *v = i < nv ? vals[i] : "\xc3\xa9t\xc3\xa9";
                miss += pcre2_match(re, (PCRE2_SPTR)v, strlen(v), 0, 0, md, NULL) < 0;
            }
            if (R(k)->unexpected_count != miss) {
                printf("# %s: %llu unexpected, PCRE2 UTF+UCP says %llu\n", pats[k],
                       (unsigned long long)R(k)->unexpected_count, (unsigned long long)miss);
                all = false;
            }
            pcre2_match_data_free(md);
            pcre2_code_free(re);
        }
        ok(all, "%s: every regex answers as in UTF+UCP mode", variant ? "a batch with non-ASCII text" : "ASCII batch");
        bw_vrun_free(r);
        bw_suite_free(s);
        bw_buf_release(&csv);
    }
}

static void test_regex_text(void)
{
    bw_suite *s = suite();
    add(s, "expect_column_values_to_match_regex", "{\"column\": \"email\", \"regex\": \"@[a-z]+\\\\.org$\"}");
    add(s, "expect_column_values_to_not_match_regex", "{\"column\": \"email\", \"regex\": \"^bob\"}");
    add(s, "expect_column_values_to_match_regex_list", "{\"column\": \"name\", \"regex_list\": [\"^a\", \"^b\"]}");
    add(s, "expect_column_values_to_match_regex_list",
        "{\"column\": \"name\", \"regex_list\": [\"a\", \"r\"], \"match_on\": \"all\"}");
    add(s, "expect_column_values_to_not_match_regex_list", "{\"column\": \"name\", \"regex_list\": [\"^a\", \"k$\"]}");
    add(s, "expect_column_value_lengths_to_be_between", "{\"column\": \"name\", \"min_value\": 4, \"max_value\": 5}");
    add(s, "expect_column_value_lengths_to_equal", "{\"column\": \"name\", \"value\": 5}");
    add(s, "expect_column_values_to_match_regex", "{\"column\": \"age\", \"regex\": \"^[0-9]{2}$\"}");
    add(s, "expect_column_values_to_match_regex", "{\"column\": \"name\", \"regex\": \"^\\\\w{3}$\"}");
    bw_vrun *r = run(s, "name,email,age\nalice,a@x.org,30\nbob,bob@y,7\ncarol,c@z.org,\nfrank,,45\nzoë,z@q.org,100\n");
    if (!ok(r != NULL, "ran")) {
        bw_suite_free(s);
        return;
    }
    ok(!R(0)->success, "regex fails");
    is_int(R(0)->unexpected_count, 1, "bob@y");
    is_int(R(0)->missing_count, 1, "empty email is null");
    is_str(samples(R(0)), "1=bob@y", "sample");
    ok(!R(1)->success && R(1)->unexpected_count == 1, "not match ^bob");
    is_int(R(2)->unexpected_count, 3, "any: carol, frank, zoë");
    is_int(R(3)->unexpected_count, 3, "all of a and r: alice, bob, zoë fail (carol and frank pass)");
    is_str(samples(R(3)), "0=alice;1=bob;4=zoë", "match_on all samples");
    is_int(R(4)->unexpected_count, 2, "not any: alice (^a), frank (k$)");
    is_int(R(5)->unexpected_count, 2, "lengths 4..5: bob (3), zoë (3 code points)");
    is_int(R(6)->unexpected_count, 2, "length 5: bob, zoë");
    is_int(R(7)->unexpected_count, 2, "age as text: 7 and 100");
    is_str(samples(R(7)), "1=7;4=100", "numbers formatted for regexes");
    is_int(R(8)->unexpected_count, 3, "\\w is Unicode-aware: zoë and bob match");
    bw_vrun_free(r);
    bw_suite_free(s);
}

static void test_formats(void)
{
    bw_suite *s = suite();
    add(s, "expect_column_values_to_match_strftime_format", "{\"column\": \"d\", \"strftime_format\": \"%Y-%m-%d\"}");
    add(s, "expect_column_values_to_be_dateutil_parseable", "{\"column\": \"d\"}");
    add(s, "expect_column_values_to_be_json_parseable", "{\"column\": \"j\"}");
    bw_vrun *r = run(s, "d,j\n2024-01-05,\"{\"\"a\"\": 1}\"\n2024-02-30,[1 2]\nJan 5 2024,\"\"\"x\"\"\"\n"
                        "05/01/2024,tru\nsoon,3.5e2\n");
    if (!ok(r != NULL, "ran")) {
        bw_suite_free(s);
        return;
    }
    is_int(R(0)->unexpected_count, 4, "strftime: only 2024-01-05 matches");
    is_str(samples(R(0)), "1=2024-02-30;2=Jan 5 2024;3=05/01/2024;4=soon", "strftime samples");
    is_int(R(1)->unexpected_count, 2, "dateutil: 2024-02-30 and soon");
    is_str(samples(R(1)), "1=2024-02-30;4=soon", "dateutil samples");
    is_int(R(2)->unexpected_count, 2, "json: [1 2] and tru");
    is_str(samples(R(2)), "1=[1 2];3=tru", "json samples");
    bw_vrun_free(r);
    bw_suite_free(s);
}

static void test_order_pairs(void)
{
    bw_suite *s = suite();
    add(s, "expect_column_values_to_be_increasing", "{\"column\": \"a\"}");
    add(s, "expect_column_values_to_be_increasing", "{\"column\": \"a\", \"strictly\": true}");
    add(s, "expect_column_values_to_be_decreasing", "{\"column\": \"b\"}");
    add(s, "expect_column_values_to_be_increasing", "{\"column\": \"d\"}");
    add(s, "expect_column_pair_values_a_to_be_greater_than_b", "{\"column_A\": \"a\", \"column_B\": \"b\"}");
    add(s, "expect_column_pair_values_A_to_be_greater_than_B",
        "{\"column_A\": \"a\", \"column_B\": \"b\", \"or_equal\": true}");
    add(s, "expect_column_pair_values_to_be_equal", "{\"column_A\": \"a\", \"column_B\": \"c\"}");
    add(s, "expect_column_pair_values_to_be_equal",
        "{\"column_A\": \"a\", \"column_B\": \"c\", \"ignore_row_if\": \"either_value_is_missing\"}");
    add(s, "expect_multicolumn_sum_to_equal", "{\"column_list\": [\"a\", \"b\"], \"sum_total\": 10}");
    bw_vrun *r = run(s, "a,b,c,d\n1,9,1,2024-01-01\n2,8,2,2024-01-03\n2,8,,2024-01-02\n,7,4,2024-01-04\n5,5,5,\n"
                        "4,6,4,2024-01-05\n");
    if (!ok(r != NULL, "ran")) {
        bw_suite_free(s);
        return;
    }
    ok(!R(0)->success, "a not increasing");
    is_int(R(0)->unexpected_count, 1, "4 after 5 (2 after 2 is fine, the null skipped)");
    is_str(samples(R(0)), "5=4", "its row");
    is_int(R(1)->unexpected_count, 2, "strictly: the repeated 2 too");
    ok(!R(2)->success && R(2)->unexpected_count == 1, "b not decreasing: 6 after 5");
    is_str(samples(R(2)), "5=6", "its row");
    is_int(R(3)->unexpected_count, 1, "dates: 01-02 after 01-03");
    is_str(samples(R(3)), "2=2024-01-02", "date sample");
    is_int(R(4)->unexpected_count, 6, "a > b nowhere; a null a fails too");
    is_int(R(5)->unexpected_count, 5, "or_equal: 5 >= 5 passes");
    is_str(samples(R(5)), "0=1, 9;1=2, 8;2=2, 8;3=null, 7;5=4, 6", "pair samples");
    is_int(R(6)->unexpected_count, 2, "a == c: the rows with one null");
    is_int(R(7)->unexpected_count, 0, "either missing ignored");
    is_int(R(7)->missing_count, 2, "two ignored rows");
    is_int(R(8)->unexpected_count, 1, "sums: 7 (null skipped) is not 10");
    is_str(samples(R(8)), "3=null, 7", "sum sample");
    bw_vrun_free(r);
    bw_suite_free(s);
}

static void test_aggregates(void)
{
    bw_suite *s = suite();
    add(s, "expect_column_mean_to_be_between", "{\"column\": \"x\", \"min_value\": 2.5, \"max_value\": 2.5}");
    add(s, "expect_column_median_to_be_between", "{\"column\": \"x\", \"min_value\": 2.5, \"max_value\": 2.5}");
    add(s, "expect_column_stdev_to_be_between", "{\"column\": \"x\", \"min_value\": 1.29, \"max_value\": 1.30}");
    add(s, "expect_column_min_to_be_between", "{\"column\": \"x\", \"min_value\": 1, \"strict_min\": true}");
    add(s, "expect_column_max_to_be_between", "{\"column\": \"x\", \"max_value\": 4}");
    add(s, "expect_column_sum_to_be_between", "{\"column\": \"x\", \"min_value\": 10, \"max_value\": 10}");
    add(s, "expect_column_quantile_values_to_be_between",
        "{\"column\": \"x\", \"quantile_ranges\": {\"quantiles\": [0, 0.5, 1], \"value_ranges\": [[1, 1], [2, 3], "
        "[null, 3]]}}");
    add(s, "expect_column_mean_to_be_between", "{\"column\": \"s\", \"min_value\": 2}");
    add(s, "expect_column_min_to_be_between", "{\"column\": \"d\", \"min_value\": \"2024-01-01\"}");
    add(s, "expect_column_max_to_be_between", "{\"column\": \"d\", \"max_value\": \"2024-01-31\"}");
    add(s, "expect_column_median_to_be_between", "{\"column\": \"y\", \"max_value\": 10}");
    bw_vrun *r =
        run(s, "x,s,d,y\n1,1.5,2024-01-02,1.5\n2,x,2024-03-01,\n3,2.5,2024-01-05,2\n4,,2024-01-09,NaN\n,3,,\n");
    if (!ok(r != NULL, "ran")) {
        bw_suite_free(s);
        return;
    }
    ok(R(0)->success, "mean 2.5");
    is_str(R(0)->observed_json, "2.5", "observed mean");
    ok(R(1)->success, "median 2.5 (average of the middle two)");
    is_str(R(1)->observed_json, "2.5", "observed median");
    ok(R(2)->success, "stdev 1.29..1.30");
    ok(fabs(strtod(R(2)->observed_json, NULL) - sqrt(5.0 / 3)) < 1e-12, "sample stdev sqrt(5/3)");
    ok(!R(3)->success, "min 1 not > 1");
    is_str(R(3)->observed_json, "1", "observed min");
    ok(R(4)->success, "max 4");
    ok(R(5)->success, "sum 10");
    is_str(R(5)->observed_json, "10", "integer sum");
    ok(!R(6)->success, "quantile 0.5 nearest is x[2] = 3? no: pos 1.5 rounds to 2 -> 3 fits [2,3]; q1 = 4 > 3");
    is_str(R(6)->observed_json, "{\"quantiles\":[0,0.5,1],\"values\":[1,3,4]}", "observed quantiles");
    is_str(R(6)->details_json, "{\"success_details\":[true,true,false]}", "per-quantile success");
    ok(R(7)->success, "strings parsed, x skipped: mean of 1.5, 2.5, 3");
    ok(fabs(strtod(R(7)->observed_json, NULL) - 7.0 / 3) < 1e-12, "mean 7/3");
    ok(R(8)->success, "date min");
    is_str(R(8)->observed_json, "\"2024-01-02\"", "date min observed as a date");
    ok(!R(9)->success, "date max 2024-03-01 > 01-31");
    is_str(R(9)->observed_json, "\"2024-03-01\"", "date max observed");
    is_str(R(10)->observed_json, "1.75", "NaN is missing for aggregates");
    bw_vrun_free(r);
    bw_suite_free(s);
}

/* Median and quantiles by selection over a shuffled column, checked against the known order. */
static void test_select(void)
{
    static char csv[64 * 1024];
    size_t k = (size_t)snprintf(csv, sizeof csv, "v\n");
    unsigned seed = 12345;
    int vals[2000];
    for (int i = 0; i < 2000; i++) {
        vals[i] = i + 1;
    }
    for (int i = 1999; i > 0; i--) {
        seed = seed * 1103515245u + 12345u;
        int j = (int)((seed >> 8) % (unsigned)(i + 1)), t = vals[i];
        vals[i] = vals[j];
        vals[j] = t;
    }
    for (int i = 0; i < 2000; i++) {
        k += (size_t)snprintf(csv + k, sizeof csv - k, "%d\n", vals[i]);
    }
    bw_suite *s = suite();
    add(s, "expect_column_median_to_be_between", "{\"column\": \"v\"}");
    add(s, "expect_column_quantile_values_to_be_between",
        "{\"column\": \"v\", \"quantile_ranges\": {\"quantiles\": [0.1, 0.25, 0.999, 0], \"value_ranges\": [[null, "
        "null], [null, null], [null, null], [null, null]]}}");
    add(s, "expect_column_quantile_values_to_be_between",
        "{\"column\": \"v\", \"allow_relative_error\": \"linear\", \"quantile_ranges\": {\"quantiles\": [0.25], "
        "\"value_ranges\": [[500.75, 500.75]]}}");
    bw_vrun *r = run(s, csv);
    if (ok(r != NULL, "ran")) {
        is_str(R(0)->observed_json, "1000.5", "median of 1..2000");
        is_str(R(1)->observed_json, "{\"quantiles\":[0.1,0.25,0.999,0],\"values\":[201,501,1998,1]}",
               "nearest ranks: positions 199.9, 499.75, 1997.001, 0 round to 200, 500, 1997, 0");
        ok(R(2)->success, "linear 0.25: 500.75");
        bw_vrun_free(r);
    }
    bw_suite_free(s);
}

static void test_distinct(void)
{
    bw_suite *s = suite();
    add(s, "expect_column_distinct_values_to_be_in_set", "{\"column\": \"c\", \"value_set\": [\"a\", \"b\", \"c\"]}");
    add(s, "expect_column_distinct_values_to_be_in_set", "{\"column\": \"c\", \"value_set\": [\"a\", \"b\"]}");
    add(s, "expect_column_distinct_values_to_contain_set", "{\"column\": \"c\", \"value_set\": [\"a\", \"c\"]}");
    add(s, "expect_column_distinct_values_to_contain_set", "{\"column\": \"c\", \"value_set\": [\"a\", \"d\"]}");
    add(s, "expect_column_distinct_values_to_equal_set", "{\"column\": \"c\", \"value_set\": [\"c\", \"b\", \"a\"]}");
    add(s, "expect_column_distinct_values_to_equal_set",
        "{\"column\": \"c\", \"value_set\": [\"a\", \"b\", \"c\", "
        "\"d\"]}");
    add(s, "expect_column_most_common_value_to_be_in_set", "{\"column\": \"c\", \"value_set\": [\"b\"]}");
    add(s, "expect_column_most_common_value_to_be_in_set", "{\"column\": \"n\", \"value_set\": [1]}");
    add(s, "expect_column_most_common_value_to_be_in_set",
        "{\"column\": \"n\", \"value_set\": [1], \"ties_okay\": true}");
    add(s, "expect_column_distinct_values_to_equal_set", "{\"column\": \"n\", \"value_set\": [1, 2, 3]}");
    bw_vrun *r = run(s, "c,n\nb,1\na,2\nb,2\nc,1\nb,3\n,\n");
    if (!ok(r != NULL, "ran")) {
        bw_suite_free(s);
        return;
    }
    ok(R(0)->success && !R(1)->success, "in set");
    is_str(R(0)->observed_json, "[\"a\",\"b\",\"c\"]", "sorted distinct list");
    ok(R(2)->success && !R(3)->success, "contain set");
    ok(R(4)->success && !R(5)->success, "equal set");
    ok(R(6)->success, "b is the mode");
    is_str(R(6)->observed_json, "[\"b\"]", "observed mode");
    ok(!R(7)->success, "1 and 2 tie: not ok without ties_okay");
    is_str(R(7)->observed_json, "[1,2]", "observed modes, numbers");
    ok(R(8)->success, "ties_okay");
    ok(R(9)->success, "numeric equal set");
    is_str(R(9)->observed_json, "[1,2,3]", "numbers in order");
    bw_vrun_free(r);
    bw_suite_free(s);
}

static void test_kl(void)
{
    bw_suite *s = suite();
    add(s, "expect_column_kl_divergence_to_be_less_than",
        "{\"column\": \"c\", \"partition_object\": {\"values\": [\"a\", \"b\"], \"weights\": [0.5, 0.5]}, "
        "\"threshold\": 0.1}");
    add(s, "expect_column_kl_divergence_to_be_less_than",
        "{\"column\": \"c\", \"partition_object\": {\"values\": [\"a\", \"b\"], \"weights\": [0.9, 0.1]}, "
        "\"threshold\": 0.1}");
    add(s, "expect_column_kl_divergence_to_be_less_than",
        "{\"column\": \"x\", \"partition_object\": {\"bins\": [0, 5, 10], \"weights\": [0.5, 0.5]}, "
        "\"threshold\": 0.01}");
    add(s, "expect_column_kl_divergence_to_be_less_than",
        "{\"column\": \"x\", \"partition_object\": {\"bins\": [0, 5, 8], \"weights\": [0.5, 0.5]}, "
        "\"threshold\": 0.01}");
    add(s, "expect_column_kl_divergence_to_be_less_than",
        "{\"column\": \"x\", \"partition_object\": {\"bins\": [0, 5, 8], \"weights\": [0.5, 0.5]}, "
        "\"threshold\": 1, \"tail_weight_holdout\": 0.2}");
    add(s, "expect_column_kl_divergence_to_be_less_than", "{\"column\": \"x\", \"threshold\": 0.5}");
    bw_vrun *r = run(s, "c,x\na,1\nb,2\na,6\nb,9\n");
    if (!ok(r != NULL, "ran")) {
        bw_suite_free(s);
        return;
    }
    ok(R(0)->success, "same distribution");
    is_str(R(0)->observed_json, "0", "KL 0");
    ok(!R(1)->success, "skewed expectation");
    ok(fabs(strtod(R(1)->observed_json, NULL) - (0.5 * log(0.5 / 0.9) + 0.5 * log(0.5 / 0.1))) < 1e-12,
       "KL(observed || expected)");
    ok(R(2)->success, "bins: half and half");
    ok(!R(3)->success, "9 falls above the last bin: infinite");
    is_str(R(3)->observed_json, "null", "infinite KL reported as null");
    ok(R(4)->success, "tail holdout makes it finite");
    double p = 0.25, want = 0.5 * log(0.5 / 0.4) + 0.25 * log(0.25 / 0.4) + p * log(p / 0.1);
    ok(fabs(strtod(R(4)->observed_json, NULL) - want) < 1e-12, "tail holdout arithmetic");
    ok(!R(5)->success && R(5)->error != NULL, "no partition and no reference: error");
    bw_vrun_free(r);

    /* the partition from reference data */
    bw_vrun_free(NULL);
    bw_suite_free(s);
    s = suite();
    add(s, "expect_column_kl_divergence_to_be_less_than", "{\"column\": \"c\", \"threshold\": 0.01}");
    add(s, "expect_column_kl_divergence_to_be_less_than", "{\"column\": \"x\", \"threshold\": 0.01}");
    char ref[256];
    snprintf(ref, sizeof ref, "%s", write_csv("c,x\na,1\nb,2\na,3\nb,4\na,5\nb,6\na,7\nb,8\na,9\nb,10\n"));
    bw_validate_opts o = BW_VALIDATE_OPTS_INIT;
    o.reference = ref;
    r = run_opts(s, "c,x\nb,1\na,2\nb,3\na,4\nb,5\na,6\nb,7\na,8\nb,9\na,10\n", &o);
    if (ok(r != NULL, "ran with a reference")) {
        ok(R(0)->success && R(0)->error == NULL, "categorical from the reference");
        is_str(R(0)->observed_json, "0", "same shares");
        ok(R(1)->success && R(1)->error == NULL, "numeric bins from the reference");
        like(R(1)->kwargs_json, "\"partition_object\"", "the built partition is in the kwargs");
        bw_vrun_free(r);
    }
    bw_suite_free(s);
}

static void test_security(void)
{
    bw_suite *s = suite();
    add(s, "expect_column_values_to_not_contain_formula_injection", "{\"column\": \"t\"}");
    add(s, "expect_column_values_to_not_contain_formula_injection", "{\"column\": \"t\", \"allow_numbers\": false}");
    add(s, "expect_column_values_to_not_contain_control_characters", "{\"column\": \"t\"}");
    add(s, "expect_column_values_to_not_contain_markup", "{\"column\": \"t\"}");
    bw_vrun *r = run(s, "t\n=SUM(A1)\n-3.5\n+1\n@cmd\n  =1+2\nplain\n\"a\x01z\"\n\"x\xe2\x80\xaey\"\n"
                        "<script>alert(1)</script>\n<img src=x onerror=alert(1)>\n&lt;script&gt;\njava&#115;cript:x\n"
                        "a < b and c > d\n-\n");
    if (!ok(r != NULL, "ran")) {
        bw_suite_free(s);
        return;
    }
    is_int(R(0)->unexpected_count, 4, "=SUM, @cmd, '  =1+2', lone '-'");
    is_str(samples(R(0)), "0==SUM(A1);3=@cmd;4=  =1+2;13=-", "formula samples");
    is_int(R(1)->unexpected_count, 6, "numbers too when not allowed");
    is_int(R(2)->unexpected_count, 2, "\\x01 and U+202E");
    is_str(samples(R(2)), "6=a\x01z;7=x\xe2\x80\xaey", "control samples");
    is_int(R(3)->unexpected_count, 4, "script, onerror, entity-hidden script, javascript:");
    is_str(samples(R(3)),
           "8=<script>alert(1)</script>;9=<img src=x onerror=alert(1)>;10=&lt;script&gt;;"
           "11=java&#115;cript:x",
           "markup samples");
    bw_vrun_free(r);
    bw_suite_free(s);

    /* redaction and truncation of samples */
    s = suite();
    add(s, "expect_column_values_to_not_contain_formula_injection", "{\"column\": \"t\"}");
    bw_validate_opts o = BW_VALIDATE_OPTS_INIT;
    o.value_max = 4;
    r = run_opts(s, "t\n=HYPERLINK(x)\n=é€€\n", &o);
    if (ok(r != NULL, "ran truncated")) {
        is_str(R(0)->samples[0].value, "=HYP", "cut to 4 bytes");
        ok(R(0)->samples[0].truncated && R(0)->samples[0].len == 13, "truncated, full length kept");
        is_str(R(0)->samples[1].value, "=\xc3\xa9", "never inside a UTF-8 sequence");
        bw_vrun_free(r);
    }
    o.value_max = 0;
    o.redact = 1;
    r = run_opts(s, "t\n=HYPERLINK(x)\n", &o);
    if (ok(r != NULL, "ran redacted")) {
        ok(R(0)->samples[0].value == NULL && R(0)->samples[0].len == 13 && R(0)->samples[0].row == 0,
           "redacted: row and length only");
        bw_vrun_free(r);
    }
    bw_suite_free(s);
}

static void test_checks(void)
{
    bw_error err = {0};
    const char *canon = NULL;
    json_t *kw;
#define CHECK(type, text, want)                                                                                        \
    do {                                                                                                               \
        kw = json_loads(text, 0, NULL);                                                                                \
        memset(&err, 0, sizeof err);                                                                                   \
        bw_status rc_ = bw_expect_check(type, kw, &canon, &err);                                                       \
        ok(rc_ == (want), "%s %s -> %d (%s)", type, text, rc_, err.msg);                                               \
        json_decref(kw);                                                                                               \
    } while (0)
    CHECK("expect_column_values_to_be_between", "{\"column\": \"a\", \"min_value\": 1}", BW_OK);
    CHECK("expect_column_values_to_be_between", "{\"column\": \"a\"}", BW_EFORMAT);
    CHECK("expect_column_values_to_be_between", "{\"column\": \"a\", \"min_value\": 5, \"max_value\": 1}", BW_EFORMAT);
    CHECK("expect_column_values_to_be_between", "{\"column\": \"a\", \"min_value\": \"x\"}", BW_EFORMAT);
    CHECK("expect_column_values_to_be_between", "{\"column\": \"a\", \"min_value\": \"2024-01-01\"}", BW_OK);
    CHECK("expect_column_values_to_match_regex", "{\"column\": \"a\", \"regex\": \"(\"}", BW_EFORMAT);
    like(err.msg, "does not compile", "regex message");
    CHECK("expect_column_values_to_match_regex", "{\"column\": \"a\", \"regex\": \"a\", \"mostly\": 1.5}", BW_EFORMAT);
    CHECK("expect_column_values_to_match_regex", "{\"column\": \"a\", \"regex\": \"a\", \"colour\": 1}", BW_EFORMAT);
    like(err.msg, "unknown argument 'colour'", "unknown argument named");
    CHECK("expect_column_values_to_match_regex",
          "{\"column\": \"a\", \"regex\": \"a\", \"result_format\": \"SUMMARY\", \"catch_exceptions\": true}", BW_OK);
    CHECK("expect_column_values_to_match_regex", "{\"column\": \"a\", \"regex\": \"a\", \"row_condition\": \"x>1\"}",
          BW_EFORMAT);
    CHECK("expect_column_mean_to_be_between", "{\"column\": \"a\", \"mostly\": 0.5}", BW_EFORMAT);
    CHECK("expect_column_values_to_be_of_type", "{\"column\": \"a\", \"type_\": \"quaternion\"}", BW_EFORMAT);
    CHECK("expect_column_values_to_be_of_type", "{\"column\": \"a\", \"type_\": \"datetime64[ns, UTC]\"}", BW_OK);
    CHECK("expect_column_values_to_match_strftime_format", "{\"column\": \"a\", \"strftime_format\": \"%Q\"}",
          BW_EFORMAT);
    CHECK("expect_column_kl_divergence_to_be_less_than",
          "{\"column\": \"a\", \"partition_object\": {\"bins\": [0, 1], \"weights\": [0.5, 0.5]}, \"threshold\": 1}",
          BW_EFORMAT);
    CHECK("expect_column_kl_divergence_to_be_less_than",
          "{\"column\": \"a\", \"partition_object\": {\"values\": [1, 2], \"weights\": [0.5, 0.4]}, \"threshold\": 1}",
          BW_EFORMAT);
    CHECK("expect_column_quantile_values_to_be_between",
          "{\"column\": \"a\", \"quantile_ranges\": {\"quantiles\": [0.5], \"value_ranges\": [[2, 1]]}}", BW_EFORMAT);
    CHECK("expect_column_values_to_not_contain_control_characters", "{\"column\": \"a\", \"allow\": [\"\\t\", 27]}",
          BW_OK);
    CHECK("expect_column_values_to_not_contain_control_characters", "{\"column\": \"a\", \"allow\": [\"ab\"]}",
          BW_EFORMAT);
    CHECK("expect_nothing_at_all", "{}", BW_EFORMAT);
    CHECK("expect_column_pair_values_A_to_be_greater_than_B", "{\"column_A\": \"a\", \"column_B\": \"b\"}", BW_OK);
    is_str(canon, "expect_column_pair_values_a_to_be_greater_than_b", "GE 0.x spelling maps to the 1.x name");
    const char *const *types = bw_expectation_types();
    size_t n = 0;
    while (types[n] != NULL) {
        n++;
    }
    is_int(n, 47, "47 expectation types");
}

static void test_predicates(void)
{
    bw_strftime f;
    const char *why = NULL;
#define SF(fmt, s, want)                                                                                               \
    ok(bw_strftime_compile(fmt, &f, &why) && bw_strftime_match(&f, s, strlen(s)) == (want), "strftime %s on '%s'",     \
       fmt, s)
    SF("%Y-%m-%d", "2024-02-29", true);
    SF("%Y-%m-%d", "2023-02-29", false);
    SF("%Y-%m-%d", "2024-2-9", true);
    SF("%Y-%m-%d", "24-02-09", false);
    SF("%Y-%m-%d", "2024-02-09 ", false);
    SF("%d/%m/%y", "31/12/99", true);
    SF("%d/%m/%y", "31/11/99", false);
    SF("%H:%M:%S.%f", "23:59:60.123456", true);
    SF("%H:%M:%S.%f", "24:00:00.1", false);
    SF("%H:%M:%S.%f", "12:00:00.1234567", false);
    SF("%I:%M %p", "12:30 pm", true);
    SF("%I:%M %p", "13:30 PM", false);
    SF("%b %d, %Y", "Feb 29, 2024", true);
    SF("%B %d %Y", "february 3   2024", true);
    SF("%A %j", "Sunday 366", true);
    SF("%Y %j", "2023 367", false);
    SF("%j", "000", false);
    SF("%Y-%m-%dT%H:%M:%S%z", "2024-01-05T10:00:00+05:30", true);
    SF("%Y-%m-%dT%H:%M:%S%z", "2024-01-05T10:00:00Z", true);
    SF("%Y-%m-%dT%H:%M:%S%z", "2024-01-05T10:00:00+5", false);
    SF("%H:%M %Z", "10:00 UTC", true);
    SF("100%%", "100%", true);
    SF("%m%d", "1231", true);
    SF("%m%d", "131", true);
    ok(!bw_strftime_compile("%Q", &f, &why) && strstr(why, "unsupported") != NULL, "unknown directive refused");

#define DU(s, want) ok(bw_dateutil_parseable(s, strlen(s)) == (want), "dateutil '%s'", s)
    DU("2024-01-05", true);
    DU("2024-01-05T10:20:30Z", true);
    DU("Jan 5 2024", true);
    DU("5 January 2024", true);
    DU("January 5th, 2024 at 10:30 pm", true);
    DU("05/01/2024", true);
    DU("13/01/2024", true);
    DU("13/13/2024", false);
    DU("Friday, 5 Jan 2024 10:20:30 +0100", true);
    DU("20240105", true);
    DU("2024", true);
    DU("10:30", true);
    DU("Feb 30 2024", false);
    DU("soon", false);
    DU("", false);
    DU("1/2/3/4", false);
    DU("hello 2024", false);

#define JV(s, want) ok(bw_json_valid(s, strlen(s)) == (want), "json '%s'", s)
    JV("{}", true);
    JV(" [1, -2.5e+3, \"a\\u00e9\", true, false, null, {\"k\": []}] ", true);
    JV("\"x\"", true);
    JV("0", true);
    JV("01", false);
    JV("1.", false);
    JV("-", false);
    JV("[1,]", false);
    JV("{\"a\" 1}", false);
    JV("{\"a\":1,}", false);
    JV("\"\\x\"", false);
    JV("\"\\u12g4\"", false);
    JV("NaN", false);
    JV("[1] 2", false);
    JV("\"a\tb\"", false);
    JV("", false);
    char deep[1200];
    memset(deep, '[', 600);
    memset(deep + 600, ']', 600);
    ok(!bw_json_valid(deep, 1200), "nesting past the bound refused");
    memset(deep, '[', 400);
    memset(deep + 400, ']', 400);
    ok(bw_json_valid(deep, 800), "400 levels accepted");

#define FI(s, nums, want) ok(bw_formula_injection(s, strlen(s), nums) == (want), "formula '%s'", s)
    FI("=1+1", true, true);
    FI(" \t=1", true, true);
    FI("\r@x", true, true);
    FI("-3.5", true, false);
    FI("+1", true, false);
    FI("-1e5 ", true, false);
    FI("-3.5", false, true);
    FI("-inf", true, true);
    FI("- item", true, true);
    FI("a=b", true, false);
    FI("", true, false);

    bw_ctlset none = {0}, tab = {.allow = {0x1B}, .nallow = 1};
    uint32_t cp = 0;
#define CT(set, s, want) ok(bw_has_control(set, s, strlen(s), &cp) == (want), "control '%s'", #s)
    CT(&none, "a\tb\r\n", false);
    CT(&none, "a\x7f", true);
    CT(&none, "\xc2\x85", true);
    CT(&none, "\xe2\x81\xa6x", true);
    CT(&none, "caf\xc3\xa9 \xe2\x82\xac", false);
    CT(&none, "\x1b[31m", true);
    CT(&tab, "\x1b[31m", false);
    ok(bw_has_control(&none, "ab\x01", 3, &cp) && cp == 1, "first flagged code point");

    bw_buf sc = BW_BUF_INIT(1 << 20);
#define MK(s, want) ok(bw_has_markup(s, strlen(s), &sc) == (want), "markup '%s'", s)
    MK("<SCRIPT src=x>", true);
    MK("< / script>", true);
    MK("<a href=\"JaVaScRiPt:alert(1)\">", true);
    MK("java\tscript:x", true);
    MK("<svg/onload=alert(1)>", true);
    MK("<div onclick = \"x\">", true);
    MK("<iframe src=x>", true);
    MK("data:text/html;base64,xx", true);
    MK("&#60;script&#62;", true);
    MK("&#x3C;img src=x onerror=y&#x3E;", true);
    MK("one=1 and two=2", false);
    MK("a<b, c>d", false);
    MK("<b>bold</b>", false);
    MK("mailto:x@y.org", false);
    MK("time 10:30 & more", false);
    MK("<p>online=yes</p>", false);
    bw_buf_release(&sc);
}

/*
 * The engine's fast paths (vrun.c): regexes as DFAs walked four at a time,
 * in-set memos on short strings and booleans, the exact date memo (two days
 * 8192 apart share a slot), the byte prefilters of the security checks.
 * Every count and every sampled row is checked against values computed here
 * (regexes with PCRE2), on 300 rows with nulls, 0- to 2-byte values and
 * long values mixed in.
 */
static const char *fp_code(int i, char *buf)
{
    if (i % 7 == 0) {
        return "";
    }
    if (i % 11 == 0) {
        return "P";
    }
    if (i % 17 == 0) {
        return "P1";
    }
    snprintf(buf, 16, "%c%02d", i % 13 == 0 ? 'X' : 'P', i % 100);
    return buf;
}

static const char *fp_tag(int i)
{
    static const char *const tags[] = {"alpha", "beta", "gamma", "a-very-long-category-name",
                                       "a-very-long-category-nameX"};
    return i % 9 == 0 ? "" : tags[i % 5];
}

static int fp_note(int i)
{
    return i % 6 == 0 ? 0 : i % 23 == 0 ? 1 : i % 29 == 0 ? 2 : i % 31 == 0 ? 3 : i % 4 == 1 ? 4 : 5;
}

static void fp_day(int i, char *buf)
{
    if (i % 50 == 7) {
        snprintf(buf, 16, "%s", "2042-06-08"); /* 2020-01-03 + 8192 days: the same memo slot */
    } else {
        snprintf(buf, 16, "2020-01-%02d", i % 10 + 1);
    }
}

static bool pcre_hit(const char *pat, const char *v)
{
    int ec;
    PCRE2_SIZE eo;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED, PCRE2_UTF | PCRE2_UCP, &ec, &eo, NULL);
    pcre2_match_data *md = pcre2_match_data_create(1, NULL);
    bool hit = re != NULL && pcre2_match(re, (PCRE2_SPTR)v, strlen(v), 0, 0, md, NULL) >= 0;
    pcre2_match_data_free(md);
    pcre2_code_free(re);
    return hit;
}

/* The rows of e's samples, "r,r,...". */
static const char *sample_rows(const bw_expect_result *e)
{
    static char buf[512];
    size_t k = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < e->nsamples && k < sizeof buf - 24; i++) {
        k += (size_t)snprintf(buf + k, sizeof buf - k, "%s%llu", i ? "," : "", (unsigned long long)e->samples[i].row);
    }
    return buf;
}

static void test_fast_paths(void)
{
    enum { N = 300, NX = 11 };
    bw_buf csv = BW_BUF_INIT((size_t)1 << 20);
    bw_buf_addstr(&csv, "code,tag,flag,day,notes\n");
    static const char *const notes[] = {"",         "ctl\x01here",       "see <script>x</script>",
                                        "=SUM(A1)", "time 10:30 & more", "plain note"};
    for (int i = 0; i < N; i++) {
        char code[16], day[16];
        fp_day(i, day);
        bw_buf_printf(&csv, "%s,%s,%s,%s,%s\n", fp_code(i, code), fp_tag(i),
                      i % 10 == 3  ? ""
                      : i % 3 == 0 ? "false"
                                   : "true",
                      day, notes[fp_note(i)]);
    }
    bw_suite *s = suite();
    add(s, "expect_column_values_to_match_regex", "{\"column\": \"code\", \"regex\": \"^P[0-9]{2}$\"}");
    add(s, "expect_column_values_to_not_match_regex", "{\"column\": \"code\", \"regex\": \"7$\"}");
    add(s, "expect_column_values_to_match_regex_list", "{\"column\": \"code\", \"regex_list\": [\"^X\", \"7$\"]}");
    add(s, "expect_column_values_to_not_match_regex_list",
        "{\"column\": \"code\", \"regex_list\": [\"^X\", \"^P1$\"]}");
    add(s, "expect_column_values_to_be_in_set",
        "{\"column\": \"tag\", \"value_set\": [\"alpha\", \"beta\", \"a-very-long-category-name\"]}");
    add(s, "expect_column_values_to_be_in_set", "{\"column\": \"flag\", \"value_set\": [true]}");
    add(s, "expect_column_values_to_match_regex", "{\"column\": \"day\", \"regex\": \"^2020-01-0[1-5]$\"}");
    add(s, "expect_column_values_to_not_contain_control_characters", "{\"column\": \"notes\"}");
    add(s, "expect_column_values_to_not_contain_markup", "{\"column\": \"notes\"}");
    add(s, "expect_column_values_to_not_contain_formula_injection", "{\"column\": \"notes\"}");
    add(s, "expect_column_value_lengths_to_be_between", "{\"column\": \"code\", \"min_value\": 3, \"max_value\": 3}");
    bw_vrun *r = run(s, csv.ptr);
    if (!ok(r != NULL && r->nresults == NX, "ran")) {
        bw_vrun_free(r);
        bw_suite_free(s);
        bw_buf_release(&csv);
        return;
    }
    /* expected failures and nulls, row by row */
    uint64_t bad[NX] = {0}, nulls[NX] = {0};
    char want[NX][512];
    size_t wlen[NX] = {0}, nsamp[NX] = {0};
    for (int i = 0; i < N; i++) {
        char code[16], day[16];
        const char *c = fp_code(i, code), *t = fp_tag(i);
        fp_day(i, day);
        int nt = fp_note(i);
        bool cnull = c[0] == '\0', fail[NX] = {false}, isnull[NX] = {false};
        for (int k = 0; k < 4; k++) {
            isnull[k] = cnull;
        }
        isnull[10] = cnull;
        fail[0] = !pcre_hit("^P[0-9]{2}$", c);
        fail[1] = pcre_hit("7$", c);
        fail[2] = !pcre_hit("^X", c) && !pcre_hit("7$", c);
        fail[3] = pcre_hit("^X", c) || pcre_hit("^P1$", c);
        isnull[4] = t[0] == '\0';
        fail[4] = strcmp(t, "gamma") == 0 || strcmp(t, "a-very-long-category-nameX") == 0;
        isnull[5] = i % 10 == 3;
        fail[5] = i % 3 == 0;
        fail[6] = !pcre_hit("^2020-01-0[1-5]$", day);
        isnull[7] = isnull[8] = isnull[9] = nt == 0;
        fail[7] = nt == 1;
        fail[8] = nt == 2;
        fail[9] = nt == 3;
        fail[10] = strlen(c) != 3;
        for (int k = 0; k < NX; k++) {
            if (isnull[k]) {
                nulls[k]++;
            } else if (fail[k]) {
                bad[k]++;
                if (nsamp[k]++ < 20) {
                    wlen[k] +=
                        (size_t)snprintf(want[k] + wlen[k], sizeof want[k] - wlen[k], "%s%d", wlen[k] ? "," : "", i);
                }
            }
        }
    }
    for (int k = 0; k < NX; k++) {
        want[k][wlen[k]] = '\0';
        if (!ok(R(k)->unexpected_count == bad[k] && R(k)->missing_count == nulls[k] &&
                    strcmp(sample_rows(R(k)), want[k]) == 0,
                "%s: %llu unexpected, %llu missing, samples in row order", R(k)->label, (unsigned long long)bad[k],
                (unsigned long long)nulls[k])) {
            printf("#   got %llu unexpected, %llu missing, rows %s\n#   want rows %s\n",
                   (unsigned long long)R(k)->unexpected_count, (unsigned long long)R(k)->missing_count,
                   sample_rows(R(k)), want[k]);
        }
    }
    bw_vrun_free(r);
    bw_suite_free(s);
    bw_buf_release(&csv);
}

int main(void)
{
    if (mkdtemp(tmpdir) == NULL) {
        skip_all("no temporary directory");
    }
    test_table();
    test_nulls_types();
    test_sets_between();
    test_unique();
    test_unique_spill();
    test_uspill();
    test_regex_text();
    test_regex_ascii();
    test_formats();
    test_order_pairs();
    test_aggregates();
    test_select();
    test_distinct();
    test_kl();
    test_security();
    test_checks();
    test_predicates();
    test_fast_paths();
    for (int i = 0; i < nfile; i++) {
        char p[256];
        snprintf(p, sizeof p, "%s/t%d.csv", tmpdir, i);
        (void)unlink(p);
    }
    (void)rmdir(tmpdir);
    return done_testing();
}
