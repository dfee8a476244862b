/*
 * suite.c - the in-memory expectation suite (suite_internal.h): building it,
 * the accessors, and the reader options it implies. The file formats are
 * read in suite_load.c.
 */
#include "data/expect_internal.h"
#include "data/suite_internal.h"

bw_status bw_suite_new(const char *name, const char *source, bw_suite **out, bw_error *err)
{
    *out = NULL;
    bw_suite *s = bw_calloc(1, sizeof *s);
    if (s == NULL) {
        return bw_fail(err, BW_ENOMEM, "out of memory");
    }
    s->header = -1;
    s->name = bw_strdup(name != NULL ? name : "suite");
    s->source = bw_strdup(source != NULL ? source : "<suite>");
    if (s->name == NULL || s->source == NULL) {
        bw_suite_free(s);
        return bw_fail(err, BW_ENOMEM, "out of memory");
    }
    *out = s;
    return BW_OK;
}

void bw_suite_free(bw_suite *s)
{
    if (s == NULL) {
        return;
    }
    for (size_t i = 0; i < s->n; i++) {
        bw_free(s->exps[i].type);
        json_decref(s->exps[i].kwargs);
        json_decref(s->exps[i].meta);
    }
    bw_free(s->exps);
    for (size_t i = 0; i < s->ncols; i++) {
        bw_free(s->cols[i].name);
    }
    bw_free(s->cols);
    for (size_t i = 0; i < s->nnulls; i++) {
        bw_free(s->nulls[i]);
    }
    bw_free(s->nulls);
    bw_free(s->type_names);
    bw_free(s->types);
    bw_free(s->name);
    bw_free(s->source);
    bw_free(s);
}

bw_status bw_suite_add(bw_suite *s, const char *type, json_t *kwargs, json_t *meta, unsigned line, bw_error *err)
{
    const char *canonical = NULL;
    char full[128];
    bw_status rc = BW_OK;
    if (kwargs == NULL) {
        kwargs = json_object();
        if (kwargs == NULL) {
            rc = bw_fail(err, BW_ENOMEM, "out of memory");
            goto fail;
        }
    }
    if (!json_is_object(kwargs) || (meta != NULL && !json_is_object(meta))) {
        rc = bw_fail(err, BW_EFORMAT, "%s: kwargs and meta must be objects", type);
        goto fail;
    }
    if (strncmp(type, "expect_", 7) != 0) {
        int k = snprintf(full, sizeof full, "expect_%s", type);
        if (k < 0 || (size_t)k >= sizeof full) {
            rc = bw_fail(err, BW_EFORMAT, "unknown expectation type (name too long)");
            goto fail;
        }
        type = full;
    }
    rc = bw_expect_check(type, kwargs, &canonical, err);
    if (rc != BW_OK) {
        goto fail;
    }
    if (s->n >= BW_SUITE_MAX_EXPECTATIONS) {
        rc = bw_fail(err, BW_ELIMIT, "more than %d expectations", BW_SUITE_MAX_EXPECTATIONS);
        goto fail;
    }
    if (s->n == s->cap) {
        size_t cap = s->cap != 0 ? s->cap * 2 : 16;
        bw_suite_exp *e = bw_reallocarray(s->exps, cap, sizeof *e);
        if (e == NULL) {
            rc = bw_fail(err, BW_ENOMEM, "out of memory");
            goto fail;
        }
        s->exps = e;
        s->cap = cap;
    }
    int severity = 0;
    if (meta != NULL) {
        const json_t *sv = json_object_get(meta, "severity");
        if (sv != NULL) {
            const char *t = json_string_value(sv);
            if (t != NULL && strcmp(t, "warning") == 0) {
                severity = 1;
            } else if (t == NULL || (strcmp(t, "error") != 0 && strcmp(t, "critical") != 0)) {
                rc = bw_fail(err, BW_EFORMAT, "%s: meta.severity must be \"error\" or \"warning\"", canonical);
                goto fail;
            }
        }
    }
    char *t = bw_strdup(canonical);
    if (t == NULL) {
        rc = bw_fail(err, BW_ENOMEM, "out of memory");
        goto fail;
    }
    s->exps[s->n++] = (bw_suite_exp){.type = t, .kwargs = kwargs, .meta = meta, .severity = severity, .line = line};
    return BW_OK;
fail:
    json_decref(kwargs);
    json_decref(meta);
    return rc;
}

bw_status bw_suite_add_col(bw_suite *s, const char *name, int has_type, bw_dtype type, int required, bw_error *err)
{
    bw_suite_col *c = bw_reallocarray(s->cols, s->ncols + 1, sizeof *c);
    if (c == NULL) {
        return bw_fail(err, BW_ENOMEM, "out of memory");
    }
    s->cols = c;
    char *nm = bw_strdup(name);
    if (nm == NULL) {
        return bw_fail(err, BW_ENOMEM, "out of memory");
    }
    if (has_type) {
        const char **tn = bw_reallocarray(s->type_names, s->ntypes + 1, sizeof *tn);
        if (tn == NULL) {
            bw_free(nm);
            return bw_fail(err, BW_ENOMEM, "out of memory");
        }
        s->type_names = tn;
        bw_dtype *ty = bw_reallocarray(s->types, s->ntypes + 1, sizeof *ty);
        if (ty == NULL) {
            bw_free(nm);
            return bw_fail(err, BW_ENOMEM, "out of memory");
        }
        s->types = ty;
        s->type_names[s->ntypes] = nm;
        s->types[s->ntypes] = type;
        s->ntypes++;
    }
    s->cols[s->ncols++] = (bw_suite_col){.name = nm, .has_type = has_type, .type = type, .required = required};
    return BW_OK;
}

const char *bw_suite_name(const bw_suite *s)
{
    return s->name;
}

size_t bw_suite_count(const bw_suite *s)
{
    return s->n;
}

const char *bw_suite_type(const bw_suite *s, size_t i)
{
    return i < s->n ? s->exps[i].type : NULL;
}

bw_data_format bw_suite_data_format(const bw_suite *s)
{
    return s->format;
}

void bw_suite_data_opts(const bw_suite *s, bw_data_opts *o)
{
    if (s->delim != 0) {
        o->delim = s->delim;
    }
    if (s->header >= 0) {
        o->header = s->header;
    }
    if (s->has_nulls) {
        o->nulls = (const char *const *)s->nulls;
        o->nnulls = s->nnulls;
    }
    if (s->ntypes != 0) {
        o->type_names = s->type_names;
        o->types = s->types;
        o->ntypes = s->ntypes;
    }
}

/* Expectations that look only at the column names, their count or the row count (the table kinds). */
static bool reads_no_values(const char *type)
{
    int k = bw_expect_kind(type);
    return k >= XK_TABLE_COLUMNS_SET && k <= XK_ROW_COUNT_EQUAL;
}

static bw_status use_column(const char ***names, size_t *n, size_t *cap, const char *name)
{
    if (name == NULL) {
        return BW_OK;
    }
    for (size_t i = 0; i < *n; i++) {
        if (strcmp((*names)[i], name) == 0) {
            return BW_OK;
        }
    }
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 16;
        const char **g = bw_reallocarray(*names, c, sizeof(*g));
        if (g == NULL) {
            return BW_ENOMEM;
        }
        *names = g;
        *cap = c;
    }
    (*names)[(*n)++] = name;
    return BW_OK;
}

bw_status bw_suite_columns_used(const bw_suite *s, const char ***names, size_t *n)
{
    static const char *const keys[] = {"column", "column_A", "column_B"};
    const char **v = NULL;
    size_t cnt = 0, cap = 0;
    bw_status rc = BW_OK;

    for (size_t i = 0; i < s->ncols && rc == BW_OK; i++) {
        rc = use_column(&v, &cnt, &cap, s->cols[i].name);
    }
    for (size_t i = 0; i < s->n && rc == BW_OK; i++) {
        const bw_suite_exp *x = &s->exps[i];
        if (reads_no_values(x->type)) {
            continue;
        }
        for (size_t k = 0; k < BW_ARRAY_LEN(keys) && rc == BW_OK; k++) {
            rc = use_column(&v, &cnt, &cap, json_string_value(json_object_get(x->kwargs, keys[k])));
        }
        const json_t *l = json_object_get(x->kwargs, "column_list");
        for (size_t k = 0; k < json_array_size(l) && rc == BW_OK; k++) {
            rc = use_column(&v, &cnt, &cap, json_string_value(json_array_get(l, k)));
        }
    }
    if (rc != BW_OK) {
        bw_free(v);
        v = NULL;
        cnt = 0;
    }
    *names = v;
    *n = cnt;
    return rc;
}
