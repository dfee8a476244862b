/*
 * suite_internal.h - the in-memory suite shared by the suite readers
 * (suite_load.c: YAML and GE JSON) and the engine (validate.c, expect_*.c).
 *
 * Every expectation is kept as Great Expectations keeps it: its GE type name
 * and its kwargs as a jansson object, so both file formats land in the same
 * shape and the engine reads arguments one way. The readers check each
 * expectation's arguments through bw_expect_check() (the engine's table of
 * types and their arguments) before the suite is returned, so a loaded suite
 * never fails at run time for a malformed argument.
 */
#ifndef BW_SUITE_INTERNAL_H
#define BW_SUITE_INTERNAL_H

#include <jansson.h>

#include "bulwark/bw_validate.h"
#include "util/internal.h"

typedef struct bw_suite_exp {
    char *type;     /* GE name, "expect_" prefix included */
    json_t *kwargs; /* object, owned */
    json_t *meta;   /* object or NULL, owned */
    int severity;   /* 0 error, 1 warning (meta.severity) */
    unsigned line;  /* 1-based line in the suite file, 0 unknown */
} bw_suite_exp;

typedef struct bw_suite_col {
    char *name;
    int has_type;
    bw_dtype type;
    int required;
    unsigned line; /* 1-based line of its entry in the suite file, 0 unknown */
} bw_suite_col;

struct bw_suite {
    char *name;
    char *source; /* file name for messages */
    bw_suite_exp *exps;
    size_t n, cap;
    bw_suite_col *cols; /* the `columns:` schema */
    size_t ncols;
    /* reader options from `data:` */
    char delim;
    bw_data_format format; /* data.format (BW_FMT_AUTO when absent or auto) */
    int header;            /* -1 unset, 0, 1 */
    char **nulls;
    size_t nnulls;
    int has_nulls;
    /* type overrides derived from cols (arrays handed out by bw_suite_data_opts) */
    const char **type_names;
    bw_dtype *types;
    size_t ntypes;
};

/* An empty suite named `name` (may be NULL) read from `source` (may be NULL). */
BW_INTERNAL bw_status bw_suite_new(const char *name, const char *source, bw_suite **out, bw_error *err);
/*
 * Append an expectation; takes ownership of kwargs and meta (also on failure).
 * `type` may omit the "expect_" prefix. Checks it with bw_expect_check().
 */
BW_INTERNAL bw_status bw_suite_add(bw_suite *s, const char *type, json_t *kwargs, json_t *meta, unsigned line,
                                   bw_error *err);
/* Append a schema column (name copied). */
BW_INTERNAL bw_status bw_suite_add_col(bw_suite *s, const char *name, int has_type, bw_dtype type, int required,
                                       bw_error *err);

/*
 * Implemented by the engine: BW_OK when `type` is a known expectation and
 * `kwargs` has every argument it needs with the right JSON types (regexes
 * compile, ranges are numbers, ...); BW_EFORMAT with a message otherwise
 * (the caller prefixes the position). *canonical gets the static GE name.
 */
BW_INTERNAL bw_status bw_expect_check(const char *type, const json_t *kwargs, const char **canonical, bw_error *err);

#endif
