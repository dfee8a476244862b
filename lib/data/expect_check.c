/*
 * expect_check.c - the expectation types the engine knows and the checks of
 * their arguments (bw_expect_check, suite_internal.h).
 *
 * Each type lists the keyword arguments it reads; an argument of the wrong
 * JSON type, a regex that does not compile, a range with min > max or an
 * unknown argument is BW_EFORMAT naming the argument. The arguments Great
 * Expectations adds to every expectation (result_format, catch_exceptions,
 * meta, ...) are accepted and ignored; row_condition is refused, since
 * ignoring it would validate other rows than the suite means.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <math.h>
#include <pcre2.h>

#include "data/expect_internal.h"
#include "data/suite_internal.h"

static const struct xtype {
    const char *name;
    const char *args; /* space-separated arguments it reads, besides the common ones */
} xtypes[XK_COUNT_] = {
    [XK_COLUMN_EXISTS] = {"expect_column_to_exist", "column column_index"},
    [XK_TABLE_COLUMNS_SET] = {"expect_table_columns_to_match_set", "column_set exact_match"},
    [XK_TABLE_COLUMNS_LIST] = {"expect_table_columns_to_match_ordered_list", "column_list"},
    [XK_TABLE_COLUMN_COUNT_EQUAL] = {"expect_table_column_count_to_equal", "value"},
    [XK_TABLE_COLUMN_COUNT_BETWEEN] = {"expect_table_column_count_to_be_between", "min_value max_value strict_min "
                                                                                  "strict_max"},
    [XK_ROW_COUNT_BETWEEN] = {"expect_table_row_count_to_be_between", "min_value max_value strict_min strict_max"},
    [XK_ROW_COUNT_EQUAL] = {"expect_table_row_count_to_equal", "value"},
    [XK_NOT_NULL] = {"expect_column_values_to_not_be_null", "column mostly"},
    [XK_NULL] = {"expect_column_values_to_be_null", "column mostly"},
    [XK_OF_TYPE] = {"expect_column_values_to_be_of_type", "column type_ mostly"},
    [XK_IN_TYPE_LIST] = {"expect_column_values_to_be_in_type_list", "column type_list mostly"},
    [XK_IN_SET] = {"expect_column_values_to_be_in_set", "column value_set mostly"},
    [XK_NOT_IN_SET] = {"expect_column_values_to_not_be_in_set", "column value_set mostly"},
    [XK_BETWEEN] = {"expect_column_values_to_be_between", "column min_value max_value strict_min strict_max mostly"},
    [XK_UNIQUE] = {"expect_column_values_to_be_unique", "column mostly"},
    [XK_COMPOUND_UNIQUE] = {"expect_compound_columns_to_be_unique", "column_list ignore_row_if mostly"},
    [XK_REGEX] = {"expect_column_values_to_match_regex", "column regex mostly"},
    [XK_NOT_REGEX] = {"expect_column_values_to_not_match_regex", "column regex mostly"},
    [XK_REGEX_LIST] = {"expect_column_values_to_match_regex_list", "column regex_list match_on mostly"},
    [XK_NOT_REGEX_LIST] = {"expect_column_values_to_not_match_regex_list", "column regex_list mostly"},
    [XK_LENGTH_BETWEEN] = {"expect_column_value_lengths_to_be_between",
                           "column min_value max_value strict_min strict_max mostly"},
    [XK_LENGTH_EQUAL] = {"expect_column_value_lengths_to_equal", "column value mostly"},
    [XK_STRFTIME] = {"expect_column_values_to_match_strftime_format", "column strftime_format mostly"},
    [XK_DATEUTIL] = {"expect_column_values_to_be_dateutil_parseable", "column mostly"},
    [XK_JSON] = {"expect_column_values_to_be_json_parseable", "column mostly"},
    [XK_INCREASING] = {"expect_column_values_to_be_increasing", "column strictly mostly"},
    [XK_DECREASING] = {"expect_column_values_to_be_decreasing", "column strictly mostly"},
    [XK_PAIR_GREATER] = {"expect_column_pair_values_a_to_be_greater_than_b",
                         "column_A column_B or_equal ignore_row_if mostly"},
    [XK_PAIR_EQUAL] = {"expect_column_pair_values_to_be_equal", "column_A column_B ignore_row_if mostly"},
    [XK_MULTISUM] = {"expect_multicolumn_sum_to_equal", "column_list sum_total ignore_row_if mostly"},
    [XK_MEAN] = {"expect_column_mean_to_be_between", "column min_value max_value strict_min strict_max"},
    [XK_MEDIAN] = {"expect_column_median_to_be_between", "column min_value max_value strict_min strict_max"},
    [XK_STDEV] = {"expect_column_stdev_to_be_between", "column min_value max_value strict_min strict_max"},
    [XK_MIN] = {"expect_column_min_to_be_between", "column min_value max_value strict_min strict_max"},
    [XK_MAX] = {"expect_column_max_to_be_between", "column min_value max_value strict_min strict_max"},
    [XK_SUM] = {"expect_column_sum_to_be_between", "column min_value max_value strict_min strict_max"},
    [XK_QUANTILES] = {"expect_column_quantile_values_to_be_between", "column quantile_ranges allow_relative_error"},
    [XK_UNIQUE_COUNT] = {"expect_column_unique_value_count_to_be_between",
                         "column min_value max_value strict_min strict_max"},
    [XK_DISTINCT_IN_SET] = {"expect_column_distinct_values_to_be_in_set", "column value_set"},
    [XK_DISTINCT_CONTAIN_SET] = {"expect_column_distinct_values_to_contain_set", "column value_set"},
    [XK_DISTINCT_EQUAL_SET] = {"expect_column_distinct_values_to_equal_set", "column value_set"},
    [XK_PROPORTION_UNIQUE] = {"expect_column_proportion_of_unique_values_to_be_between",
                              "column min_value max_value strict_min strict_max"},
    [XK_MOST_COMMON_IN_SET] = {"expect_column_most_common_value_to_be_in_set", "column value_set ties_okay"},
    [XK_KL_DIVERGENCE] = {"expect_column_kl_divergence_to_be_less_than",
                          "column partition_object threshold tail_weight_holdout internal_weight_holdout "
                          "bucketize_data"},
    [XK_NO_FORMULA] = {"expect_column_values_to_not_contain_formula_injection", "column allow_numbers mostly"},
    [XK_NO_CONTROL] = {"expect_column_values_to_not_contain_control_characters", "column allow mostly"},
    [XK_NO_MARKUP] = {"expect_column_values_to_not_contain_markup", "column mostly"},
};

static const char *const names[XK_COUNT_ + 1] = {
    [XK_COLUMN_EXISTS] = "expect_column_to_exist",
    [XK_TABLE_COLUMNS_SET] = "expect_table_columns_to_match_set",
    [XK_TABLE_COLUMNS_LIST] = "expect_table_columns_to_match_ordered_list",
    [XK_TABLE_COLUMN_COUNT_EQUAL] = "expect_table_column_count_to_equal",
    [XK_TABLE_COLUMN_COUNT_BETWEEN] = "expect_table_column_count_to_be_between",
    [XK_ROW_COUNT_BETWEEN] = "expect_table_row_count_to_be_between",
    [XK_ROW_COUNT_EQUAL] = "expect_table_row_count_to_equal",
    [XK_NOT_NULL] = "expect_column_values_to_not_be_null",
    [XK_NULL] = "expect_column_values_to_be_null",
    [XK_OF_TYPE] = "expect_column_values_to_be_of_type",
    [XK_IN_TYPE_LIST] = "expect_column_values_to_be_in_type_list",
    [XK_IN_SET] = "expect_column_values_to_be_in_set",
    [XK_NOT_IN_SET] = "expect_column_values_to_not_be_in_set",
    [XK_BETWEEN] = "expect_column_values_to_be_between",
    [XK_UNIQUE] = "expect_column_values_to_be_unique",
    [XK_COMPOUND_UNIQUE] = "expect_compound_columns_to_be_unique",
    [XK_REGEX] = "expect_column_values_to_match_regex",
    [XK_NOT_REGEX] = "expect_column_values_to_not_match_regex",
    [XK_REGEX_LIST] = "expect_column_values_to_match_regex_list",
    [XK_NOT_REGEX_LIST] = "expect_column_values_to_not_match_regex_list",
    [XK_LENGTH_BETWEEN] = "expect_column_value_lengths_to_be_between",
    [XK_LENGTH_EQUAL] = "expect_column_value_lengths_to_equal",
    [XK_STRFTIME] = "expect_column_values_to_match_strftime_format",
    [XK_DATEUTIL] = "expect_column_values_to_be_dateutil_parseable",
    [XK_JSON] = "expect_column_values_to_be_json_parseable",
    [XK_INCREASING] = "expect_column_values_to_be_increasing",
    [XK_DECREASING] = "expect_column_values_to_be_decreasing",
    [XK_PAIR_GREATER] = "expect_column_pair_values_a_to_be_greater_than_b",
    [XK_PAIR_EQUAL] = "expect_column_pair_values_to_be_equal",
    [XK_MULTISUM] = "expect_multicolumn_sum_to_equal",
    [XK_MEAN] = "expect_column_mean_to_be_between",
    [XK_MEDIAN] = "expect_column_median_to_be_between",
    [XK_STDEV] = "expect_column_stdev_to_be_between",
    [XK_MIN] = "expect_column_min_to_be_between",
    [XK_MAX] = "expect_column_max_to_be_between",
    [XK_SUM] = "expect_column_sum_to_be_between",
    [XK_QUANTILES] = "expect_column_quantile_values_to_be_between",
    [XK_UNIQUE_COUNT] = "expect_column_unique_value_count_to_be_between",
    [XK_DISTINCT_IN_SET] = "expect_column_distinct_values_to_be_in_set",
    [XK_DISTINCT_CONTAIN_SET] = "expect_column_distinct_values_to_contain_set",
    [XK_DISTINCT_EQUAL_SET] = "expect_column_distinct_values_to_equal_set",
    [XK_PROPORTION_UNIQUE] = "expect_column_proportion_of_unique_values_to_be_between",
    [XK_MOST_COMMON_IN_SET] = "expect_column_most_common_value_to_be_in_set",
    [XK_KL_DIVERGENCE] = "expect_column_kl_divergence_to_be_less_than",
    [XK_NO_FORMULA] = "expect_column_values_to_not_contain_formula_injection",
    [XK_NO_CONTROL] = "expect_column_values_to_not_contain_control_characters",
    [XK_NO_MARKUP] = "expect_column_values_to_not_contain_markup",
    [XK_COUNT_] = NULL,
};

/* Arguments GE writes into suites that change nothing here. */
static const char *const ignored[] = {
    "result_format",
    "include_config",
    "catch_exceptions",
    "meta",
    "batch_id",
    "condition_parser",
    "notes",
    "description",
    "id",
    "rendered_content",
    "windows",
    "auto",
    "profiler_config",
    "severity",
    "parse_strings_as_datetimes",
    "allow_cross_type_comparisons",
    "output_strftime_format",
    "n_bins",
    "domain_type",
    NULL,
};

const char *const *bw_expectation_types(void)
{
    return names;
}

int bw_expect_kind(const char *canonical)
{
    for (int i = 0; i < XK_COUNT_; i++) {
        if (xtypes[i].name == canonical || strcmp(xtypes[i].name, canonical) == 0) {
            return i;
        }
    }
    return -1;
}

bool bw_expect_type_name(const char *name, bw_dtype *out, bool *numeric_any)
{
    static const struct {
        const char *n;
        bw_dtype t;
        bool any;
    } aliases[] = {
        {"int", BW_DT_INT64, false},
        {"integer", BW_DT_INT64, false},
        {"int8", BW_DT_INT64, false},
        {"int16", BW_DT_INT64, false},
        {"int32", BW_DT_INT64, false},
        {"int64", BW_DT_INT64, false},
        {"uint8", BW_DT_INT64, false},
        {"uint16", BW_DT_INT64, false},
        {"uint32", BW_DT_INT64, false},
        {"uint64", BW_DT_INT64, false},
        {"long", BW_DT_INT64, false},
        {"bigint", BW_DT_INT64, false},
        {"IntegerType", BW_DT_INT64, false},
        {"LongType", BW_DT_INT64, false},
        {"float", BW_DT_FLOAT64, false},
        {"float16", BW_DT_FLOAT64, false},
        {"float32", BW_DT_FLOAT64, false},
        {"float64", BW_DT_FLOAT64, false},
        {"double", BW_DT_FLOAT64, false},
        {"real", BW_DT_FLOAT64, false},
        {"DoubleType", BW_DT_FLOAT64, false},
        {"FloatType", BW_DT_FLOAT64, false},
        {"number", BW_DT_FLOAT64, true},
        {"numeric", BW_DT_FLOAT64, true},
        {"decimal", BW_DT_FLOAT64, true},
        {"str", BW_DT_STRING, false},
        {"string", BW_DT_STRING, false},
        {"object", BW_DT_STRING, false},
        {"text", BW_DT_STRING, false},
        {"varchar", BW_DT_STRING, false},
        {"unicode", BW_DT_STRING, false},
        {"StringType", BW_DT_STRING, false},
        {"bool", BW_DT_BOOL, false},
        {"boolean", BW_DT_BOOL, false},
        {"bool_", BW_DT_BOOL, false},
        {"BooleanType", BW_DT_BOOL, false},
        {"date", BW_DT_DATE, false},
        {"DateType", BW_DT_DATE, false},
        {"datetime", BW_DT_TIMESTAMP, true},
        {"datetime64", BW_DT_TIMESTAMP, true},
        {"datetime64[ns]", BW_DT_TIMESTAMP, true},
        {"datetime64[us]", BW_DT_TIMESTAMP, true},
        {"timestamp", BW_DT_TIMESTAMP, false},
        {"Timestamp", BW_DT_TIMESTAMP, false},
        {"TimestampType", BW_DT_TIMESTAMP, false},
        {"null", BW_DT_NULL, false},
    };
    *numeric_any = false;
    for (size_t i = 0; i < BW_ARRAY_LEN(aliases); i++) {
        if (strcasecmp(aliases[i].n, name) == 0) {
            *out = aliases[i].t;
            *numeric_any = aliases[i].any;
            return true;
        }
    }
    /* "datetime64[ns, UTC]" and other zone-qualified pandas names */
    if (strncasecmp(name, "datetime64[", 11) == 0) {
        *out = BW_DT_TIMESTAMP;
        *numeric_any = true;
        return true;
    }
    return false;
}

/* ---- argument checks ------------------------------------------------------------------------- */

struct chk {
    const char *type;
    const json_t *kw;
    bw_error *err;
};

static bw_status bad(struct chk *c, const char *arg, const char *what)
{
    return bw_fail(c->err, BW_EFORMAT, "%s: argument '%s' %s", c->type, arg, what);
}

static bw_status need_str(struct chk *c, const char *arg)
{
    const json_t *v = json_object_get(c->kw, arg);
    if (v == NULL) {
        return bad(c, arg, "is missing");
    }
    if (!json_is_string(v) || json_string_length(v) == 0) {
        return bad(c, arg, "must be a non-empty string");
    }
    return BW_OK;
}

static bw_status opt_bool(struct chk *c, const char *arg)
{
    const json_t *v = json_object_get(c->kw, arg);
    if (v != NULL && !json_is_boolean(v) && !json_is_null(v)) {
        return bad(c, arg, "must be true or false");
    }
    return BW_OK;
}

static bw_status opt_frac(struct chk *c, const char *arg)
{
    const json_t *v = json_object_get(c->kw, arg);
    if (v == NULL || json_is_null(v)) {
        return BW_OK;
    }
    if (!json_is_number(v) || !(json_number_value(v) >= 0 && json_number_value(v) <= 1)) {
        return bad(c, arg, "must be a number from 0 to 1");
    }
    return BW_OK;
}

static bw_status need_num(struct chk *c, const char *arg, bool nonneg)
{
    const json_t *v = json_object_get(c->kw, arg);
    if (v == NULL) {
        return bad(c, arg, "is missing");
    }
    if (!json_is_number(v) || !isfinite(json_number_value(v)) || (nonneg && json_number_value(v) < 0)) {
        return bad(c, arg, nonneg ? "must be a number >= 0" : "must be a number");
    }
    return BW_OK;
}

/* A bound: a number, null/absent (unbounded) or, where `strings`, a date or timestamp string. */
static bw_status check_range(struct chk *c, bool strings, bool need_one)
{
    const json_t *lo = json_object_get(c->kw, "min_value"), *hi = json_object_get(c->kw, "max_value");
    const json_t *b[2] = {lo, hi};
    const char *nm[2] = {"min_value", "max_value"};
    double v[2] = {0, 0};
    int kind[2] = {0, 0}; /* 0 none, 1 number, 2 time */
    for (int k = 0; k < 2; k++) {
        if (b[k] == NULL || json_is_null(b[k])) {
            continue;
        }
        if (json_is_number(b[k]) && !isnan(json_number_value(b[k]))) {
            kind[k] = 1;
            v[k] = json_number_value(b[k]);
        } else if (strings && json_is_string(b[k])) {
            int64_t t;
            if (!bw_parse_timestamp(json_string_value(b[k]), json_string_length(b[k]), &t)) {
                return bad(c, nm[k], "must be a number or a date / timestamp (YYYY-MM-DD[THH:MM:SS])");
            }
            kind[k] = 2;
            v[k] = (double)t;
        } else {
            return bad(c, nm[k], strings ? "must be a number, a date string or null" : "must be a number or null");
        }
    }
    if (need_one && kind[0] == 0 && kind[1] == 0) {
        return bw_fail(c->err, BW_EFORMAT, "%s: min_value and max_value cannot both be null", c->type);
    }
    if (kind[0] != 0 && kind[1] != 0) {
        if (kind[0] != kind[1]) {
            return bw_fail(c->err, BW_EFORMAT, "%s: min_value and max_value must both be numbers or both dates",
                           c->type);
        }
        if (v[0] > v[1]) {
            return bw_fail(c->err, BW_EFORMAT, "%s: min_value is greater than max_value", c->type);
        }
    }
    BW_TRY(opt_bool(c, "strict_min"));
    return opt_bool(c, "strict_max");
}

static bw_status check_regex(struct chk *c, const char *arg, const char *re, size_t n)
{
    int ecode = 0;
    PCRE2_SIZE eoff = 0;
    pcre2_code *code = pcre2_compile((PCRE2_SPTR)re, n, BW_XRE_OPTIONS, &ecode, &eoff, NULL);
    if (code == NULL) {
        PCRE2_UCHAR msg[128];
        (void)pcre2_get_error_message(ecode, msg, sizeof msg);
        return bw_fail(c->err, BW_EFORMAT, "%s: argument '%s' does not compile at offset %zu: %s", c->type, arg,
                       (size_t)eoff, (const char *)msg);
    }
    pcre2_code_free(code);
    return BW_OK;
}

static bw_status need_list(struct chk *c, const char *arg, bool strings, bool nonempty)
{
    const json_t *v = json_object_get(c->kw, arg);
    if (v == NULL) {
        return bad(c, arg, "is missing");
    }
    if (!json_is_array(v)) {
        return bad(c, arg, "must be a list");
    }
    if (nonempty && json_array_size(v) == 0) {
        return bad(c, arg, "must not be empty");
    }
    if (strings) {
        size_t i;
        const json_t *e;
        json_array_foreach(v, i, e)
        {
            if (!json_is_string(e)) {
                return bad(c, arg, "must be a list of strings");
            }
        }
    }
    return BW_OK;
}

/* value_set: a list of scalars (strings, numbers, booleans); null members are allowed and match nothing. */
static bw_status need_value_set(struct chk *c)
{
    BW_TRY(need_list(c, "value_set", false, false));
    size_t i;
    const json_t *e;
    json_array_foreach(json_object_get(c->kw, "value_set"), i, e)
    {
        if (json_is_object(e) || json_is_array(e)) {
            return bad(c, "value_set", "must hold strings, numbers or booleans");
        }
    }
    return BW_OK;
}

static bw_status check_ignore_row_if(struct chk *c, bool multi)
{
    const json_t *v = json_object_get(c->kw, "ignore_row_if");
    if (v == NULL) {
        return BW_OK;
    }
    const char *s = json_string_value(v);
    if (s == NULL || (multi ? (strcmp(s, "all_values_are_missing") != 0 && strcmp(s, "any_value_is_missing") != 0 &&
                               strcmp(s, "never") != 0)
                            : (strcmp(s, "both_values_are_missing") != 0 && strcmp(s, "either_value_is_missing") != 0 &&
                               strcmp(s, "neither") != 0))) {
        return bad(c, "ignore_row_if",
                   multi ? "must be all_values_are_missing, any_value_is_missing or never"
                         : "must be both_values_are_missing, either_value_is_missing or neither");
    }
    return BW_OK;
}

static bw_status check_partition(struct chk *c)
{
    const json_t *p = json_object_get(c->kw, "partition_object");
    if (p == NULL || json_is_null(p)) {
        return BW_OK; /* built from the reference data at run time */
    }
    if (!json_is_object(p)) {
        return bad(c, "partition_object", "must be an object {bins, weights} or {values, weights}");
    }
    const json_t *w = json_object_get(p, "weights"), *bins = json_object_get(p, "bins"),
                 *vals = json_object_get(p, "values");
    if (!json_is_array(w) || json_array_size(w) == 0 || (bins == NULL) == (vals == NULL)) {
        return bad(c, "partition_object", "needs weights and exactly one of bins or values");
    }
    double sum = 0;
    size_t i;
    const json_t *e;
    json_array_foreach(w, i, e)
    {
        if (!json_is_number(e) || !(json_number_value(e) >= 0)) {
            return bad(c, "partition_object", "weights must be numbers >= 0");
        }
        sum += json_number_value(e);
    }
    if (fabs(sum - 1) > 1e-6) {
        return bad(c, "partition_object", "weights must sum to 1");
    }
    if (bins != NULL) {
        if (!json_is_array(bins) || json_array_size(bins) != json_array_size(w) + 1) {
            return bad(c, "partition_object", "needs one more bin edge than weights");
        }
        double prev = -INFINITY;
        json_array_foreach(bins, i, e)
        {
            double x;
            if (json_is_number(e)) {
                x = json_number_value(e);
            } else if (json_is_string(e) && (strcmp(json_string_value(e), "-Infinity") == 0 ||
                                             strcmp(json_string_value(e), "Infinity") == 0)) {
                x = json_string_value(e)[0] == '-' ? -INFINITY : INFINITY;
            } else {
                return bad(c, "partition_object", "bins must be numbers");
            }
            if (isnan(x) || (i > 0 && x < prev)) {
                return bad(c, "partition_object", "bins must be increasing");
            }
            prev = x;
        }
    } else {
        if (!json_is_array(vals) || json_array_size(vals) != json_array_size(w)) {
            return bad(c, "partition_object", "needs as many values as weights");
        }
        json_array_foreach(vals, i, e)
        {
            if (json_is_object(e) || json_is_array(e)) {
                return bad(c, "partition_object", "values must be scalars");
            }
        }
    }
    return BW_OK;
}

static bw_status check_args(struct chk *c, int kind)
{
    const json_t *kw = c->kw;
    switch (kind) {
    case XK_COLUMN_EXISTS: {
        BW_TRY(need_str(c, "column"));
        const json_t *ci = json_object_get(kw, "column_index");
        if (ci != NULL && !json_is_null(ci) && (!json_is_integer(ci) || json_integer_value(ci) < 0)) {
            return bad(c, "column_index", "must be an integer >= 0");
        }
        return BW_OK;
    }
    case XK_TABLE_COLUMNS_SET: BW_TRY(need_list(c, "column_set", true, false)); return opt_bool(c, "exact_match");
    case XK_TABLE_COLUMNS_LIST: return need_list(c, "column_list", true, false);
    case XK_TABLE_COLUMN_COUNT_EQUAL:
    case XK_ROW_COUNT_EQUAL: {
        const json_t *v = json_object_get(kw, "value");
        if (!json_is_integer(v) || json_integer_value(v) < 0) {
            return bad(c, "value", "must be an integer >= 0");
        }
        return BW_OK;
    }
    case XK_TABLE_COLUMN_COUNT_BETWEEN:
    case XK_ROW_COUNT_BETWEEN: return check_range(c, false, false);
    case XK_NOT_NULL:
    case XK_NULL:
    case XK_UNIQUE:
    case XK_DATEUTIL:
    case XK_JSON:
    case XK_NO_MARKUP: return need_str(c, "column");
    case XK_OF_TYPE: {
        BW_TRY(need_str(c, "column"));
        const json_t *t = json_object_get(kw, "type_");
        bw_dtype dt;
        bool any;
        if (t == NULL) {
            return bad(c, "type_", "is missing");
        }
        if (!json_is_string(t) || !bw_expect_type_name(json_string_value(t), &dt, &any)) {
            return bad(c, "type_",
                       "must name a type (int64, float64, string, bool, date, timestamp or a pandas alias)");
        }
        return BW_OK;
    }
    case XK_IN_TYPE_LIST: {
        BW_TRY(need_str(c, "column"));
        const json_t *l = json_object_get(kw, "type_list");
        if (l == NULL || json_is_null(l)) {
            return BW_OK; /* GE: no list, every type passes */
        }
        BW_TRY(need_list(c, "type_list", true, false));
        size_t i;
        const json_t *e;
        json_array_foreach(l, i, e)
        {
            bw_dtype dt;
            bool any;
            if (!bw_expect_type_name(json_string_value(e), &dt, &any)) {
                return bw_fail(c->err, BW_EFORMAT, "%s: unknown type '%s' in type_list", c->type, json_string_value(e));
            }
        }
        return BW_OK;
    }
    case XK_IN_SET:
    case XK_NOT_IN_SET:
    case XK_DISTINCT_IN_SET:
    case XK_DISTINCT_CONTAIN_SET:
    case XK_DISTINCT_EQUAL_SET: BW_TRY(need_str(c, "column")); return need_value_set(c);
    case XK_MOST_COMMON_IN_SET:
        BW_TRY(need_str(c, "column"));
        BW_TRY(need_value_set(c));
        return opt_bool(c, "ties_okay");
    case XK_BETWEEN: BW_TRY(need_str(c, "column")); return check_range(c, true, true);
    case XK_COMPOUND_UNIQUE: BW_TRY(need_list(c, "column_list", true, true)); return check_ignore_row_if(c, true);
    case XK_REGEX:
    case XK_NOT_REGEX: {
        BW_TRY(need_str(c, "column"));
        const json_t *r = json_object_get(kw, "regex");
        if (!json_is_string(r)) {
            return bad(c, "regex", r == NULL ? "is missing" : "must be a string");
        }
        return check_regex(c, "regex", json_string_value(r), json_string_length(r));
    }
    case XK_REGEX_LIST:
    case XK_NOT_REGEX_LIST: {
        BW_TRY(need_str(c, "column"));
        BW_TRY(need_list(c, "regex_list", true, true));
        size_t i;
        const json_t *e;
        json_array_foreach(json_object_get(kw, "regex_list"), i, e)
        {
            BW_TRY(check_regex(c, "regex_list", json_string_value(e), json_string_length(e)));
        }
        const json_t *m = json_object_get(kw, "match_on");
        if (m != NULL && (!json_is_string(m) ||
                          (strcmp(json_string_value(m), "any") != 0 && strcmp(json_string_value(m), "all") != 0))) {
            return bad(c, "match_on", "must be \"any\" or \"all\"");
        }
        return BW_OK;
    }
    case XK_LENGTH_BETWEEN: BW_TRY(need_str(c, "column")); return check_range(c, false, true);
    case XK_LENGTH_EQUAL: {
        BW_TRY(need_str(c, "column"));
        const json_t *v = json_object_get(kw, "value");
        if (!json_is_integer(v) || json_integer_value(v) < 0) {
            return bad(c, "value", "must be an integer >= 0");
        }
        return BW_OK;
    }
    case XK_STRFTIME: {
        BW_TRY(need_str(c, "column"));
        BW_TRY(need_str(c, "strftime_format"));
        bw_strftime f;
        const char *why = NULL;
        if (!bw_strftime_compile(json_string_value(json_object_get(kw, "strftime_format")), &f, &why)) {
            return bw_fail(c->err, BW_EFORMAT, "%s: strftime_format: %s", c->type, why);
        }
        return BW_OK;
    }
    case XK_INCREASING:
    case XK_DECREASING: BW_TRY(need_str(c, "column")); return opt_bool(c, "strictly");
    case XK_PAIR_GREATER:
        BW_TRY(opt_bool(c, "or_equal"));
        /* fall through */
    case XK_PAIR_EQUAL:
        BW_TRY(need_str(c, "column_A"));
        BW_TRY(need_str(c, "column_B"));
        return check_ignore_row_if(c, false);
    case XK_MULTISUM:
        BW_TRY(need_list(c, "column_list", true, true));
        BW_TRY(need_num(c, "sum_total", false));
        return check_ignore_row_if(c, true);
    case XK_MEAN:
    case XK_MEDIAN:
    case XK_STDEV:
    case XK_SUM:
    case XK_UNIQUE_COUNT:
    case XK_PROPORTION_UNIQUE: BW_TRY(need_str(c, "column")); return check_range(c, false, false);
    case XK_MIN:
    case XK_MAX: BW_TRY(need_str(c, "column")); return check_range(c, true, false);
    case XK_QUANTILES: {
        BW_TRY(need_str(c, "column"));
        const json_t *q = json_object_get(kw, "quantile_ranges");
        const json_t *qs = json_object_get(q, "quantiles"), *vr = json_object_get(q, "value_ranges");
        if (!json_is_object(q) || !json_is_array(qs) || !json_is_array(vr) || json_array_size(qs) == 0 ||
            json_array_size(qs) != json_array_size(vr)) {
            return bad(c, "quantile_ranges",
                       "must be {quantiles: [...], value_ranges: [[min, max], ...]} of equal "
                       "lengths");
        }
        size_t i;
        const json_t *e;
        json_array_foreach(qs, i, e)
        {
            if (!json_is_number(e) || !(json_number_value(e) >= 0 && json_number_value(e) <= 1)) {
                return bad(c, "quantile_ranges", "quantiles must be numbers from 0 to 1");
            }
        }
        json_array_foreach(vr, i, e)
        {
            const json_t *a = json_array_get(e, 0), *b = json_array_get(e, 1);
            if (!json_is_array(e) || json_array_size(e) != 2 || !(json_is_null(a) || json_is_number(a)) ||
                !(json_is_null(b) || json_is_number(b)) ||
                (json_is_number(a) && json_is_number(b) && json_number_value(a) > json_number_value(b))) {
                return bad(c, "quantile_ranges", "value_ranges must be [min, max] pairs of numbers or null");
            }
        }
        const json_t *re = json_object_get(kw, "allow_relative_error");
        if (re != NULL && !json_is_boolean(re) && !json_is_null(re) && !json_is_number(re) &&
            !(json_is_string(re) &&
              (strcmp(json_string_value(re), "nearest") == 0 || strcmp(json_string_value(re), "linear") == 0 ||
               strcmp(json_string_value(re), "lower") == 0 || strcmp(json_string_value(re), "higher") == 0 ||
               strcmp(json_string_value(re), "midpoint") == 0))) {
            return bad(c, "allow_relative_error", "must be a boolean or nearest, linear, lower, higher, midpoint");
        }
        return BW_OK;
    }
    case XK_KL_DIVERGENCE:
        BW_TRY(need_str(c, "column"));
        BW_TRY(need_num(c, "threshold", true));
        BW_TRY(opt_frac(c, "tail_weight_holdout"));
        BW_TRY(opt_frac(c, "internal_weight_holdout"));
        BW_TRY(opt_bool(c, "bucketize_data"));
        return check_partition(c);
    case XK_NO_FORMULA: BW_TRY(need_str(c, "column")); return opt_bool(c, "allow_numbers");
    case XK_NO_CONTROL: {
        BW_TRY(need_str(c, "column"));
        const json_t *a = json_object_get(kw, "allow");
        if (a == NULL || json_is_null(a)) {
            return BW_OK;
        }
        if (!json_is_array(a) || json_array_size(a) > 16) {
            return bad(c, "allow", "must be a list of at most 16 characters or code points");
        }
        size_t i;
        const json_t *e;
        json_array_foreach(a, i, e)
        {
            bool okc = json_is_integer(e) ? json_integer_value(e) >= 0 && json_integer_value(e) <= 0x10FFFF
                                          : json_is_string(e) && json_string_length(e) > 0 &&
                                                bw_utf8_len(json_string_value(e), json_string_length(e)) == 1;
            if (!okc) {
                return bad(c, "allow", "must hold single characters or code points");
            }
        }
        return BW_OK;
    }
    default: return BW_OK;
    }
}

static bool word_in(const char *list, const char *w)
{
    size_t n = strlen(w);
    for (const char *p = list; *p != '\0';) {
        const char *e = strchr(p, ' ');
        size_t k = e != NULL ? (size_t)(e - p) : strlen(p);
        if (k == n && memcmp(p, w, n) == 0) {
            return true;
        }
        p += k;
        while (*p == ' ') {
            p++;
        }
    }
    return false;
}

bw_status bw_expect_check(const char *type, const json_t *kwargs, const char **canonical, bw_error *err)
{
    int kind = -1;
    for (int i = 0; i < XK_COUNT_; i++) {
        if (strcasecmp(xtypes[i].name, type) == 0) { /* GE 0.x spells column_A / column_B in names */
            kind = i;
            break;
        }
    }
    if (kind < 0) {
        return bw_fail(err, BW_EFORMAT, "unknown expectation type '%s'", type);
    }
    if (!json_is_object(kwargs)) {
        return bw_fail(err, BW_EFORMAT, "%s: arguments must be an object", type);
    }
    struct chk c = {.type = xtypes[kind].name, .kw = kwargs, .err = err};
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)kwargs, key, v)
    {
        if (strcmp(key, "row_condition") == 0) {
            if (json_is_null(v) || (json_is_string(v) && json_string_length(v) == 0)) {
                continue;
            }
            return bw_fail(err, BW_EFORMAT, "%s: row_condition is not supported", c.type);
        }
        if (strcmp(key, "mostly") == 0) {
            if (!word_in(xtypes[kind].args, "mostly")) {
                return bw_fail(err, BW_EFORMAT, "%s: argument 'mostly' applies only to per-value expectations", c.type);
            }
            continue;
        }
        bool known = word_in(xtypes[kind].args, key);
        for (size_t i = 0; !known && ignored[i] != NULL; i++) {
            known = strcmp(ignored[i], key) == 0;
        }
        if (!known) {
            return bw_fail(err, BW_EFORMAT, "%s: unknown argument '%s'", c.type, key);
        }
    }
    BW_TRY(opt_frac(&c, "mostly"));
    BW_TRY(check_args(&c, kind));
    *canonical = xtypes[kind].name;
    return BW_OK;
}
