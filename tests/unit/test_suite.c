/*
 * test_suite.c - reading expectation suites (lib/data/suite_load.c): the
 * bulwark YAML format (short and long forms, the data: and columns:
 * sections, YAML 1.2 core-schema typing), the same format as JSON, Great
 * Expectations 1.x and 0.x suite JSON (the fixtures in tests/data/suites/),
 * and every error with its position: malformed YAML and JSON, duplicate
 * keys, aliases, tags, NaN, nesting and size limits, unknown keys and
 * expectation types, unsupported GE features.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/suite_internal.h"
#include "tap.h"

static bw_suite *parse(const char *text, const char *name, bw_error *e)
{
    bw_suite *s = NULL;
    bw_error_clear(e);
    if (bw_suite_parse(text, strlen(text), name, &s, e) != BW_OK) {
        return NULL;
    }
    return s;
}

/* The error message for `text`, or "" when it parses. */
static const char *err_of(const char *text)
{
    static bw_error e;
    bw_suite *s = parse(text, "s.yaml", &e);
    if (s != NULL) {
        bw_suite_free(s);
        return "";
    }
    return e.msg;
}

static char *kw(const bw_suite *s, size_t i)
{
    return json_dumps(s->exps[i].kwargs, JSON_COMPACT | JSON_SORT_KEYS);
}

static void is_kw(const bw_suite *s, size_t i, const char *want, const char *what)
{
    char *got = i < s->n ? kw(s, i) : NULL;
    is_str(got != NULL ? got : "(none)", want, "%s", what);
    free(got);
}

static const char example[] = "suite: readmissions            # name\n"
                              "data: {format: csv, delimiter: \";\", header: false, nulls: [\"\", \"NA\"]}\n"
                              "columns:\n"
                              "  patient_id: {type: string, required: true}\n"
                              "  age: int64\n"
                              "  note: {required: false, type: str}\n"
                              "  code: {nullable: false}\n"
                              "expectations:\n"
                              "  - expect_column_values_to_be_between: {column: age, min_value: 0, max_value: 120, "
                              "mostly: 0.99}\n"
                              "  - column_values_to_not_be_null: {column: patient_id}\n"
                              "  - type: expect_column_values_to_match_regex\n"
                              "    kwargs: {column: email, regex: \"^[^@]+@[^@]+$\"}\n"
                              "    meta: {severity: warning, notes: \"...\"}\n"
                              "  - expect_table_row_count_to_be_between:\n"
                              "      min_value: 1\n"
                              "      max_value: null\n";

static void test_yaml_example(void)
{
    bw_error e;
    bw_suite *s = parse(example, "ex.yaml", &e);

    ok(s != NULL, "the example suite parses: %s", e.msg);
    if (s == NULL) {
        return;
    }
    is_str(bw_suite_name(s), "readmissions", "name from 'suite:'");
    /* the schema: columns the engine turns into exist / of-type checks; nullable: false is an expectation */
    is_int(bw_suite_count(s), 5, "1 from the schema (nullable: false) + 4 listed");
    is_int(s->ncols, 4, "four schema columns");
    ok(strcmp(s->cols[0].name, "patient_id") == 0 && s->cols[0].required == 1 && s->cols[0].has_type == 1 &&
           s->cols[0].type == BW_DT_STRING,
       "patient_id: required string");
    ok(strcmp(s->cols[1].name, "age") == 0 && s->cols[1].required == 1 && s->cols[1].type == BW_DT_INT64,
       "shorthand 'age: int64', required by default");
    is_int(s->cols[2].required, 0, "note: required false");
    is_int(s->cols[2].has_type, 1, "note: typed");
    is_int(s->cols[2].type, BW_DT_STRING, "note: 'str' is string");
    is_int(s->cols[3].has_type, 0, "code: untyped");
    is_int(s->cols[3].required, 1, "code: required by default");
    is_str(bw_suite_type(s, 0), "expect_column_values_to_not_be_null", "code: nullable false");
    is_kw(s, 0, "{\"column\":\"code\"}", "its kwargs");
    is_int(s->exps[0].line, 7, "on the column's line");

    is_str(bw_suite_type(s, 1), "expect_column_values_to_be_between", "short form");
    is_kw(s, 1, "{\"column\":\"age\",\"max_value\":120,\"min_value\":0,\"mostly\":0.98999999999999999}",
          "short form kwargs typed: integers and a real");
    is_int(s->exps[1].line, 9, "line of the first listed expectation");
    is_str(bw_suite_type(s, 2), "expect_column_values_to_not_be_null", "'expect_' prefix added");
    is_str(bw_suite_type(s, 3), "expect_column_values_to_match_regex", "long form");
    is_int(s->exps[3].severity, 1, "meta.severity warning");
    is_int(s->exps[3].line, 11, "long form's line");
    ok(s->exps[3].meta != NULL && json_is_string(json_object_get(s->exps[3].meta, "notes")), "meta kept");
    is_kw(s, 4, "{\"max_value\":null,\"min_value\":1}", "block mapping kwargs, null");
    is_int(s->exps[1].severity, 0, "severity error by default");

    bw_data_opts o = BW_DATA_OPTS_INIT;
    bw_suite_data_opts(s, &o);
    is_int(o.delim, ';', "data.delimiter");
    is_int(o.header, 0, "data.header");
    is_int(o.nnulls, 2, "data.nulls: two");
    ok(o.nnulls == 2 && strcmp(o.nulls[0], "") == 0 && strcmp(o.nulls[1], "NA") == 0, "data.nulls values");
    is_int(o.ntypes, 3, "type overrides for the three typed columns");
    ok(o.ntypes == 3 && strcmp(o.type_names[1], "age") == 0 && o.types[1] == BW_DT_INT64, "age read as int64");
    bw_suite_free(s);
}

static void test_defaults_and_forms(void)
{
    bw_error e;
    bw_suite *s = parse("expectations:\n  - expect_column_to_exist: {column: a}\n", "d.yaml", &e);
    ok(s != NULL, "a minimal suite: %s", e.msg);
    if (s != NULL) {
        is_str(bw_suite_name(s), "suite", "unnamed suite is 'suite'");
        bw_data_opts o = BW_DATA_OPTS_INIT;
        bw_suite_data_opts(s, &o);
        is_int(o.header, 1, "header untouched without data:");
        ok(o.nulls == NULL && o.ntypes == 0 && o.delim == 0, "no other overrides");
        bw_suite_free(s);
    }
    s = parse("suite: t\ndata: {format: tsv}\nexpectations: []\n", "t.yaml", &e);
    ok(s != NULL && s->delim == '\t' && bw_suite_count(s) == 0, "format tsv sets a tab; empty list allowed");
    bw_suite_free(s);
    s = parse("suite: t\ndata: {delimiter: tab, nulls: \"-\"}\ncolumns: {a: float}\n", "t.yaml", &e);
    ok(s != NULL && s->delim == '\t' && s->nnulls == 1 && strcmp(s->nulls[0], "-") == 0, "tab and a single null");
    ok(s != NULL && bw_suite_count(s) == 0 && s->ncols == 1, "columns alone make a suite");
    bw_suite_free(s);
    /* short form with meta and severity among the arguments; null arguments */
    s = parse("expectations:\n"
              "  - expect_table_row_count_to_equal: {value: 3, severity: warning, meta: {owner: x}}\n",
              "m.yaml", &e);
    ok(s != NULL, "short form with meta/severity: %s", e.msg);
    if (s != NULL) {
        is_kw(s, 0, "{\"value\":3}", "meta and severity taken out of kwargs");
        is_int(s->exps[0].severity, 1, "severity warning");
        char *m = json_dumps(s->exps[0].meta, JSON_COMPACT | JSON_SORT_KEYS);
        is_str(m, "{\"owner\":\"x\",\"severity\":\"warning\"}", "meta merged");
        free(m);
        bw_suite_free(s);
    }
    /* a UTF-8 BOM and CRLF line ends */
    s = parse("\xEF\xBB\xBFsuite: crlf\r\nexpectations:\r\n  - expect_column_to_exist: {column: a}\r\n", "c.yaml", &e);
    ok(s != NULL && strcmp(bw_suite_name(s), "crlf") == 0 && s->exps[0].line == 3, "BOM and CRLF");
    bw_suite_free(s);
}

/* YAML 1.2 core schema typing, observed through a free-form meta object. */
static void test_scalars(void)
{
    bw_error e;
    bw_suite *s = parse("expectations:\n"
                        "  - type: expect_column_to_exist\n"
                        "    kwargs: {column: a}\n"
                        "    meta:\n"
                        "      t: [true, True, TRUE, false, \"true\", yes, on]\n"
                        "      n: [null, Null, ~, \"null\", '~']\n"
                        "      i: [0, -12, +7, 0x1F, 0o17, 007, \"12\", 9223372036854775807, 99999999999999999999]\n"
                        "      f: [1.5, -0.25, 1e3, 2.5E-1, .5, 5., .inf, -.Inf, '.inf', 1.2.3]\n"
                        "      s: [!!str 12, ! 13, plain text, 'it''s', \"tab\\there\", \"\\u00e9\"]\n",
                        "sc.yaml", &e);
    ok(s != NULL, "scalars parse: %s", e.msg);
    if (s == NULL) {
        return;
    }
    char *m = json_dumps(s->exps[0].meta, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(17));
    is_str(m,
           "{\"f\":[1.5,-0.25,1000.0,0.25,0.5,5.0,1.7976931348623157e308,-1.7976931348623157e308,\".inf\","
           "\"1.2.3\"],"
           "\"i\":[0,-12,7,31,15,7,\"12\",9223372036854775807,1e20],"
           "\"n\":[null,null,null,\"null\",\"~\"],"
           "\"s\":[\"12\",\"13\",\"plain text\",\"it's\",\"tab\\there\",\"\xC3\xA9\"],"
           "\"t\":[true,true,true,false,\"true\",\"yes\",\"on\"]}",
           "core schema: quoted always strings, yes/on strings, .inf as the largest double");
    free(m);
    bw_suite_free(s);
}

static void test_yaml_errors(void)
{
    is_str(err_of("suite: a\nsuite: b\nexpectations: []\n"), "s.yaml:2:1: duplicate key 'suite'", "duplicate key");
    is_str(err_of("expectations:\n  - expect_column_to_exist: {column: a, column: b}\n"),
           "s.yaml:2:41: duplicate key 'column'", "duplicate key in flow kwargs");
    is_str(err_of("x: &a {column: a}\nexpectations:\n  - expect_column_to_exist: *a\n"),
           "s.yaml:3:29: aliases (*a) are not supported", "alias refused");
    /* billion laughs: refused at the first alias, nothing expanded */
    is_str(err_of("a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
                  "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
                  "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"),
           "s.yaml:2:8: aliases (*a) are not supported", "billion laughs refused");
    is_str(err_of("expectations:\n  - expect_column_to_exist: {column: !custom a}\n"),
           "s.yaml:2:38: tag '!custom' is not supported (only !!str)", "custom tag");
    is_str(err_of("expectations:\n  - expect_column_to_exist: {column: \"a\\0b\"}\n"),
           "s.yaml:2:38: a NUL character (\\0) in a string", "NUL in a string refused");
    is_str(err_of("expectations:\n  - expect_column_to_exist: {column: .nan}\n"),
           "s.yaml:2:38: NaN is not a usable value here", "NaN refused");
    is_str(err_of("expectations:\n  - {[a]: 1}\n"), "s.yaml:2:6: mapping keys must be scalars, not a sequence",
           "sequence as a key");
    is_str(err_of("suite: a\n---\nsuite: b\n"), "s.yaml:2:1: more than one YAML document (one suite per file)",
           "two documents");
    like(err_of("suite: a\n  bad: [\n"), "s.yaml:2:6: ", "syntax error positioned");
    like(err_of("expectations:\n  - a: \"unterminated\n"), "s.yaml:", "unterminated quote positioned");
    is_str(err_of(""), "s.yaml: empty suite (no YAML document)", "empty text");
    is_str(err_of("# only a comment\n"), "s.yaml: empty suite (no YAML document)", "only a comment");
    is_str(err_of("---\n"), "s.yaml: the top level must be a mapping (suite, data, columns, expectations), not null",
           "empty document");
    is_str(err_of("- a\n- b\n"),
           "s.yaml:1:1: the top level must be a mapping (suite, data, columns, expectations), "
           "not a list",
           "top level a list");
    is_str(err_of("suite: a\nexpectation:\n  - expect_column_to_exist: {column: a}\n"),
           "s.yaml:2:1: unknown key 'expectation' (expected suite, data, columns, expectations)", "typo'd key");
    is_str(err_of("suite: a\n"), "s.yaml:1:1: no 'expectations' list (and no 'columns' schema)", "nothing to check");
    is_str(err_of("\"\\e[2J\": 1\n"),
           "s.yaml:1:1: unknown key '\\x1b[2J' (expected suite, data, columns, expectations)",
           "a control character in a key is escaped in the message");
    is_str(err_of("a: 1\n\"\\e\": 2\n\"\\e\": 3\n"), "s.yaml:3:1: duplicate key '\\x1b'",
           "escaped in a duplicate key too");
    is_str(err_of("suite: [a]\nexpectations: []\n"), "s.yaml:1:8: 'suite' must be a non-empty string", "bad name");
    is_str(err_of("expectations: {a: 1}\n"), "s.yaml:1:15: 'expectations' must be a list, not a mapping",
           "expectations not a list");
    is_str(err_of("expectations:\n  - 42\n"),
           "s.yaml:2:5: expectations[0]: expected a mapping (TYPE: {kwargs} or type/kwargs/meta), not a number",
           "expectation not a mapping (position of the scalar)");
    is_str(err_of("expectations:\n  - {a: {}, b: {}}\n"),
           "s.yaml:2:5: expectations[0]: expected one key, the expectation type (or 'type' and 'kwargs')",
           "two keys in the short form");
    is_str(err_of("expectations:\n  - expect_column_to_exist: [a]\n"),
           "s.yaml:2:29: expectations[0] (expect_column_to_exist): the arguments must be a mapping, not a list",
           "kwargs a list");
    is_str(err_of("expectations:\n  - type: expect_column_to_exist\n    kwarg: {column: a}\n"),
           "s.yaml:3:5: expectations[0]: unknown key 'kwarg' (expected type, kwargs, meta)", "long form typo");
    is_str(err_of("expectations:\n  - type: expect_column_to_exist\n    kwargs: {column: a}\n    meta: [1]\n"),
           "s.yaml:4:11: expectations[0] (expect_column_to_exist): meta must be a mapping, not a list", "meta a list");
    like(err_of("suite: x\nexpectations:\n  - expect_column_to_exist: {column: a}\n"
                "  - expect_column_values_to_be_purple: {column: a}\n"),
         "s.yaml:4:5: expectations[1] (expect_column_values_to_be_purple): unknown expectation type "
         "'expect_column_values_to_be_purple'",
         "unknown expectation type: position, index and name");
    like(err_of("expectations:\n  - type: expect_column_to_exist\n    kwargs: {column: a}\n"
                "    meta: {severity: fatal}\n"),
         "s.yaml:2:5: expectations[0] (expect_column_to_exist): ", "bad meta.severity positioned");
    is_str(err_of("expectations:\n  - expect_column_values_to_not_be_null: {column: a, row_condition: 'a>1'}\n"),
           "s.yaml:2:54: expectations[0]: 'row_condition' is not supported (filter the data before validating it)",
           "row_condition refused");
    is_str(err_of("expectations:\n  - expect_column_values_to_be_between:\n      column: a\n"
                  "      min_value: {$PARAMETER: lo}\n"),
           "s.yaml:4:7: expectations[0]: 'min_value' uses a suite parameter ($PARAMETER), which is not supported",
           "suite parameters refused");
    is_str(err_of("data: {header: yes}\nexpectations: []\n"),
           "s.yaml:1:16: data.header must be true or false, not a "
           "string",
           "header yes is a string in YAML 1.2");
    is_str(err_of("data: {delimiter: ab}\nexpectations: []\n"),
           "s.yaml:1:19: data.delimiter must be one character (or \"tab\")", "bad delimiter");
    is_str(err_of("data: {format: xlsx}\nexpectations: []\n"),
           "s.yaml:1:16: data.format must be auto, csv, tsv, jsonl or parquet", "bad format");
    is_str(err_of("data: {nulls: [1]}\nexpectations: []\n"), "s.yaml:1:16: data.nulls[0] must be a string",
           "null spelling not a string");
    is_str(err_of("data: {quote: x}\nexpectations: []\n"),
           "s.yaml:1:8: unknown key 'data.quote' (expected format, delimiter, header, nulls)", "unknown data key");
    is_str(err_of("columns:\n  age: integer64\n"),
           "s.yaml:2:8: column 'age': type must be bool, int64, float64, string, date or timestamp", "bad type");
    is_str(err_of("columns:\n  age: {type: int, unique: true}\n"),
           "s.yaml:2:20: column 'age': unknown key 'unique' (expected type, required, nullable)", "unknown column key");
    is_str(err_of("columns:\n  age: {required: 1}\n"),
           "s.yaml:2:19: column 'age': required and nullable must be true "
           "or false",
           "required not a boolean");
    is_str(err_of("columns: [a, b]\n"), "s.yaml:1:10: 'columns' must be a mapping of column names, not a list",
           "columns a list");
}

static void test_limits(void)
{
    bw_error e;
    bw_suite *s;
    char *deep = malloc(200);
    size_t n = 0;

    n += (size_t)snprintf(deep, 200, "expectations: ");
    for (int i = 0; i < 70; i++) {
        deep[n++] = '[';
    }
    deep[n] = '\0';
    s = parse(deep, "deep.yaml", &e);
    ok(s == NULL && e.code == BW_ELIMIT, "nesting past 64 is BW_ELIMIT");
    is_str(e.msg, "deep.yaml:1:78: nested more than 64 levels deep", "depth error positioned");
    free(deep);

    /* just past the size limit: refused before parsing */
    size_t big = BW_SUITE_MAX_BYTES + 1;
    char *p = malloc(big);
    if (p != NULL) {
        memset(p, '#', big);
        bw_error_clear(&e);
        is_int(bw_suite_parse(p, big, "big.yaml", &s, &e), BW_ELIMIT, "a suite over 16 MiB is BW_ELIMIT");
        ok(s == NULL, "no suite on error");
        free(p);
    }

    /* a JSON suite nested too deep for the walker still fails cleanly */
    bw_buf b = BW_BUF_INIT(1 << 20);
    bw_buf_addstr(&b, "{\"expectations\": [{\"expect_column_to_exist\": {\"column\": \"a\", \"x\": ");
    for (int i = 0; i < 300; i++) {
        bw_buf_addc(&b, '[');
    }
    for (int i = 0; i < 300; i++) {
        bw_buf_addc(&b, ']');
    }
    bw_buf_addstr(&b, "}}]}");
    bw_error_clear(&e);
    s = NULL;
    ok(bw_suite_parse(b.ptr, b.len, "deep.json", &s, &e) != BW_OK && s == NULL, "deep JSON refused: %s", e.msg);
    bw_buf_release(&b);
}

static char *fixture(const char *name)
{
    const char *root = getenv("BW_SOURCE_ROOT");
    static char path[4096];
    snprintf(path, sizeof(path), "%s/tests/data/suites/%s", root != NULL ? root : "../..", name);
    return path;
}

static void test_ge_json(void)
{
    bw_error e = {0};
    bw_suite *s = NULL;

    is_int(bw_suite_load(fixture("ge1_readmissions.json"), &s, &e), BW_OK, "GE 1.x suite loads: %s", e.msg);
    if (s != NULL) {
        is_str(bw_suite_name(s), "readmissions_ge", "name");
        is_int(bw_suite_count(s), 8, "eight expectations");
        is_str(bw_suite_type(s, 0), "expect_table_row_count_to_be_between", "first type");
        is_kw(s, 0, "{\"max_value\":100000,\"min_value\":1000}", "first kwargs");
        is_int(s->exps[0].line, 5, "line of the first expectation object");
        is_int(s->exps[1].severity, 0, "severity critical is an error");
        is_int(s->exps[5].severity, 1, "severity warning");
        is_int(s->exps[5].line, 36, "line of the sixth");
        is_kw(s, 5, "{\"column\":\"primary_diagnosis_icd10\",\"regex\":\"^[A-Z][0-9]{2}(\\\\.[0-9A-Z]{1,4})?$\"}",
              "regex kept byte for byte");
        ok(s->exps[3].meta != NULL && json_is_object(json_object_get(s->exps[3].meta, "notes")), "meta.notes kept");
        bw_suite_free(s);
        s = NULL;
    }
    bw_error_clear(&e);
    is_int(bw_suite_load(fixture("ge0_readmissions.json"), &s, &e), BW_OK, "GE 0.x suite loads: %s", e.msg);
    if (s != NULL) {
        is_str(bw_suite_name(s), "readmissions_ge0", "expectation_suite_name");
        is_int(bw_suite_count(s), 3, "three expectations");
        is_kw(s, 1, "{\"column\":\"hba1c\",\"mostly\":0.5}", "result_format and catch_exceptions dropped");
        is_kw(s, 2, "{\"column\":\"hba1c\",\"max_value\":20.0,\"min_value\":3.0}", "include_config dropped");
        is_int(s->exps[2].line, 19, "0.x line");
        bw_suite_free(s);
        s = NULL;
    }
    bw_error_clear(&e);
    is_int(bw_suite_load(fixture("readmissions.yaml"), &s, &e), BW_OK, "the example YAML suite loads: %s", e.msg);
    if (s != NULL) {
        is_int(bw_suite_count(s), 13, "1 from the schema (nullable: false) + 12 listed");
        is_int(s->ncols, 7, "seven schema columns");
        bw_suite_free(s);
        s = NULL;
    }
    bw_error_clear(&e);
    is_int(bw_suite_load("/nonexistent/suite.yaml", &s, &e), BW_ENOTFOUND, "a missing file is BW_ENOTFOUND");
    like(e.msg, "/nonexistent/suite.yaml", "naming the file");
}

static void test_json_errors(void)
{
    bw_error e;
    bw_suite *s;

    s = parse("{\"name\": \"x\",\n \"expectations\": [\n  {\"type\": \"expect_column_to_exist\", \"kwargs\": "
              "{\"column\": \"a\"}},\n  {\"type\": \"expect_nothing_at_all\", \"kwargs\": {}}\n]}\n",
              "x.json", &e);
    ok(s == NULL, "unknown GE type refused");
    like(e.msg, "x.json:4:3: expectations[1] (expect_nothing_at_all): unknown expectation type", "index, type, line");
    s = parse("{\"name\": \"x\",\n \"expectations\": [\n  {\"type\": \"a\",\n", "x.json", &e);
    ok(s == NULL && e.code == BW_EFORMAT, "truncated JSON");
    like(e.msg, "x.json:4:", "jansson's position");
    s = parse("{\"name\": \"x\", \"name\": \"y\", \"expectations\": []}", "x.json", &e);
    ok(s == NULL, "duplicate JSON key refused");
    like(e.msg, "duplicate object key", "jansson's duplicate message");
    s = parse("{\"expectations\": [{\"expectation_type\": \"expect_column_to_exist\", \"kwargs\": {\"column\": \"a\","
              " \"row_condition\": \"a > 1\", \"condition_parser\": \"pandas\"}}]}",
              "x.json", &e);
    ok(s == NULL, "row_condition refused in JSON");
    like(e.msg, "x.json:1:", "JSON error positioned");
    like(e.msg, "'row_condition' is not supported", "row_condition named");
    s = parse("{\"expectations\": [{\"type\": \"expect_column_to_exist\", \"kwargs\": {\"column\": \"a\"}, "
              "\"severity\": \"blocker\"}]}",
              "x.json", &e);
    ok(s == NULL && strstr(e.msg, "severity must be error (critical) or warning (info)") != NULL, "bad GE severity: %s",
       e.msg);
    s = parse("{\"expectations\": [{\"type\": \"expect_column_to_exist\", \"expectation_type\": "
              "\"expect_column_to_exist\", \"kwargs\": {\"column\": \"a\"}}]}",
              "x.json", &e);
    ok(s == NULL && strstr(e.msg, "both 'type' and 'expectation_type'") != NULL, "both type keys refused");
    /* bulwark's format as JSON; a YAML flow mapping is not taken for JSON */
    s = parse("{\"suite\": \"j\", \"data\": {\"delimiter\": \"|\"}, \"columns\": {\"a\": \"int\"},\n"
              " \"expectations\": [{\"expect_column_values_to_not_be_null\": {\"column\": \"a\", \"mostly\": 0.5}}]}",
              "b.json", &e);
    ok(s != NULL && bw_suite_count(s) == 1 && s->ncols == 1 && s->delim == '|' && s->exps[0].line == 2,
       "bulwark format as JSON: %s", e.msg);
    bw_suite_free(s);
    s = parse("{suite: flow, expectations: [{expect_column_to_exist: {column: a}}]}", "f.yaml", &e);
    ok(s != NULL && strcmp(bw_suite_name(s), "flow") == 0, "a YAML flow mapping is YAML: %s", e.msg);
    bw_suite_free(s);
    s = parse("{\"expectations\": [{\"expect_column_to_exist\": {\"column\": \"a\"}, \"x\": 1}]}", "x.json", &e);
    ok(s == NULL && strstr(e.msg, "x.json:1:19: expectations[0]: expected one key") != NULL,
       "JSON short form with two keys: %s", e.msg);
}

/* The columns a suite reads, for the readers' projection. */
static void test_columns_used(void)
{
    bw_error e = {0};
    const char **names = NULL;
    size_t n = 0;
    bw_suite *s = parse("suite: t\n"
                        "columns:\n  id: {type: string}\n"
                        "expectations:\n"
                        "  - expect_table_columns_to_match_ordered_list: {column_list: [id, a, b, c, d, e]}\n"
                        "  - expect_table_row_count_to_be_between: {min_value: 1}\n"
                        "  - expect_column_values_to_not_be_null: {column: b}\n"
                        "  - expect_column_pair_values_to_be_equal: {column_A: c, column_B: b}\n"
                        "  - expect_compound_columns_to_be_unique: {column_list: [id, d]}\n"
                        "  - expect_column_values_to_be_unique: {column: id}\n",
                        "u.yml", &e);
    ok(s != NULL, "suite parsed (%s)", e.msg);
    if (s == NULL) {
        return;
    }
    ok(bw_suite_columns_used(s, &names, &n) == BW_OK, "columns used");
    bw_buf b = BW_BUF_INIT(4096);
    for (size_t i = 0; i < n; i++) {
        bw_buf_printf(&b, "%s%s", i ? "," : "", names[i]);
    }
    is_str(b.ptr != NULL ? b.ptr : "", "id,b,c,d", "schema first, then first uses; names-only expectations add none");
    bw_buf_release(&b);
    bw_free(names);
    bw_suite_free(s);
    s = parse("suite: t\nexpectations:\n  - expect_table_row_count_to_equal: {value: 3}\n", "v.yml", &e);
    ok(s != NULL && bw_suite_columns_used(s, &names, &n) == BW_OK && n == 0 && names == NULL,
       "a row-count suite reads no column");
    bw_suite_free(s);
}

int main(void)
{
    test_yaml_example();
    test_defaults_and_forms();
    test_scalars();
    test_yaml_errors();
    test_limits();
    test_ge_json();
    test_json_errors();
    test_columns_used();
    return done_testing();
}
