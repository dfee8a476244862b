/*
 * expect_check.c - the expectation types the engine knows and the checks of
 * their arguments (bw_expect_check, suite_internal.h).
 *
 * PLACEHOLDER: knows the names only; the engine's argument checks replace it.
 */
#include "data/suite_internal.h"

static const char *const types[] = {
    "expect_column_to_exist",
    "expect_table_columns_to_match_set",
    "expect_table_columns_to_match_ordered_list",
    "expect_table_column_count_to_equal",
    "expect_table_column_count_to_be_between",
    "expect_table_row_count_to_be_between",
    "expect_table_row_count_to_equal",
    "expect_column_values_to_not_be_null",
    "expect_column_values_to_be_null",
    "expect_column_values_to_be_of_type",
    "expect_column_values_to_be_in_type_list",
    "expect_column_values_to_be_in_set",
    "expect_column_values_to_not_be_in_set",
    "expect_column_values_to_be_between",
    "expect_column_values_to_be_unique",
    "expect_compound_columns_to_be_unique",
    "expect_column_values_to_match_regex",
    "expect_column_values_to_not_match_regex",
    "expect_column_values_to_match_regex_list",
    "expect_column_values_to_not_match_regex_list",
    "expect_column_value_lengths_to_be_between",
    "expect_column_value_lengths_to_equal",
    "expect_column_values_to_match_strftime_format",
    "expect_column_values_to_be_dateutil_parseable",
    "expect_column_values_to_be_json_parseable",
    "expect_column_values_to_be_increasing",
    "expect_column_values_to_be_decreasing",
    "expect_column_pair_values_a_to_be_greater_than_b",
    "expect_column_pair_values_to_be_equal",
    "expect_multicolumn_sum_to_equal",
    "expect_column_mean_to_be_between",
    "expect_column_median_to_be_between",
    "expect_column_stdev_to_be_between",
    "expect_column_min_to_be_between",
    "expect_column_max_to_be_between",
    "expect_column_sum_to_be_between",
    "expect_column_quantile_values_to_be_between",
    "expect_column_unique_value_count_to_be_between",
    "expect_column_distinct_values_to_be_in_set",
    "expect_column_distinct_values_to_contain_set",
    "expect_column_distinct_values_to_equal_set",
    "expect_column_proportion_of_unique_values_to_be_between",
    "expect_column_most_common_value_to_be_in_set",
    "expect_column_kl_divergence_to_be_less_than",
    /* bulwark's security expectations */
    "expect_column_values_to_not_contain_formula_injection",
    "expect_column_values_to_not_contain_control_characters",
    "expect_column_values_to_not_contain_markup",
    NULL,
};

const char *const *bw_expectation_types(void)
{
    return types;
}

bw_status bw_expect_check(const char *type, const json_t *kwargs, const char **canonical, bw_error *err)
{
    (void)kwargs;
    for (size_t i = 0; types[i] != NULL; i++) {
        if (strcmp(types[i], type) == 0) {
            *canonical = types[i];
            return BW_OK;
        }
    }
    return bw_fail(err, BW_EFORMAT, "unknown expectation type '%s'", type);
}
