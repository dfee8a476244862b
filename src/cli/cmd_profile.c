/*
 * cmd_profile.c - `bulwark profile`: per-column statistics of a data file,
 * on several threads, one shard at a time, or merged from shard profiles.
 *
 * A seekable input is cut into byte slices (bw_data_opts.range_start/end;
 * how many depends on the size alone) that the threads take in turn and
 * profile on their own; the profiles are merged in slice order, which gives
 * what one pass gives (sketch error aside: see docs/profile.md) and the
 * same result whatever the number of threads. --shard i/N profiles slice i alone and writes its JSON;
 * --merge combines such files. --suggest drafts a validation suite from the
 * result.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h> /* isnan, isinf, isfinite: macros, no libm */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "src/cli/cmd.h"
#include "src/cli/data_opts.h"

const char cmd_profile_usage[] =
    "usage: bulwark profile [OPTIONS] DATA\n"
    "       bulwark profile --merge [--format text|json] PROFILE.json...\n"
    "\n"
    "Summarise every column of a CSV, TSV or JSON Lines file ('-' reads standard input): type,\n"
    "nulls, distinct values, min/max, mean and standard deviation, quantiles (p01 p05 p25 p50\n"
    "p75 p95 p99), top values, string lengths and pattern classes (email, url, date, uuid,\n"
    "numeric text, ipv4, phone, blank, padded, control characters, formula injection).\n"
    "\n"
    "Options:\n"
    "      --format text|json     output for people (default) or programs; JSON profiles carry\n"
    "                             their sketches, so they can be merged\n"
    "  -c, --columns A,B,...      profile only these columns\n"
    "      --top N                top values to report a column (default 5 in text, 10 in JSON)\n"
    "      --threads N            read N slices of the file at once (default: the CPUs, at most\n"
    "                             64; standard input and small files use one). The result does\n"
    "                             not depend on N\n"
    "      --slice-size SIZE      the smallest slice (default 32M, at least 4K): slices take\n"
    "                             half of what is left of the file, down to SIZE; a file under\n"
    "                             8M is read in one pass\n"
    "      --shard I/N            profile only slice I (1..N) of N equal byte ranges of the file\n"
    "      --merge                the arguments are JSON profiles (of shards): print their merge\n"
    "      --suggest FILE         also write a draft validation suite (YAML) from the profile\n" CLI_DATA_USAGE "\n"
    "Global options apply: --output FILE (written atomically), --quiet, --color.\n"
    "\n"
    "Distinct counts are exact up to 32768 values, then within 1% (HyperLogLog, p=18);\n"
    "quantiles are within 1.65% of rank (KLL, k=200); see docs/profile.md.\n"
    "\n"
    "Exit codes: 0 profiled, 2 usage error, unreadable or malformed input.\n"
    "\n"
    "Examples:\n"
    "  bulwark profile examples/readmission/data/patients.csv\n"
    "  bulwark profile --shard 1/2 --format json -o a.json big.csv\n"
    "  bulwark profile --shard 2/2 --format json -o b.json big.csv\n"
    "  bulwark profile --merge a.json b.json\n"
    "  bulwark profile --suggest suite.yml data.csv\n";

#define MAX_WARNINGS 20
#define MAX_THREADS 64
#define MIN_SLICE ((uint64_t)4 << 20)    /* a file under twice this is read in one pass */
#define SLICE_BYTES ((uint64_t)32 << 20) /* the smallest slice of a large file (--slice-size) */
#define MIN_SLICE_BYTES ((uint64_t)4 << 10)
#define MAX_SLICES ((size_t)1 << 16)
#define MAX_PROFILE_FILE ((size_t)256 << 20)

/* a malformed row or bad value, kept until its slice's first line number is known */
struct warn {
    uint64_t line, offset;
    char *column; /* NULL: a malformed row */
    char *msg;
};

/*
 * One unit of work: a byte range of the file, profiled on its own. Slices
 * after the first guess where their first record starts (BW_RANGE_GUESS:
 * the first line start in the range, without reading what comes before);
 * the guess is checked when the slice before has been read, against where
 * that one stopped, and a wrong guess (a line break inside a quoted field)
 * reads the slice again from the right offset. Profiles are merged in slice
 * order, so the result depends on the slices, never on the threads.
 */
struct slice {
    bw_data_opts o; /* its range and range mode */
    bw_profile *prof;
    bw_status rc;
    bw_error err;
    bw_data_stats st;   /* where it began and stopped */
    bw_data_format fmt; /* the format the dataset was read as */
    uint64_t line_off;  /* lines before its line 1 (its numbering is relative unless BW_RANGE_FIND) */
    struct warn *warn;  /* the first MAX_WARNINGS reports */
    size_t nwarn;
    uint64_t nbad; /* every report */
    int rereads;   /* times read again (a wrong guess; a failure) */
    enum { S_TODO, S_BUSY, S_DONE } state;
};

struct run {
    const char *path;
    char **want;
    size_t nwant;
    bw_data_format fmt;
    pthread_mutex_t mu;
    struct slice *sl;
    size_t n;
    size_t next;      /* the next slice to take */
    size_t merged;    /* slices [0, merged) are in prof */
    bw_profile *prof; /* their merge */
    bool failed;
    bw_status rc;
    bw_error err;
    uint64_t warned, printed;
    uint64_t rereads; /* slices read again after a wrong guess */
    /* the column types of the first slice's first batch, which every other slice starts from (as
       one pass would read them: the types come from the top of the file) */
    pthread_cond_t typed;
    bool published;
    char **start_names;
    bw_dtype *start_types;
    size_t nstart;
};

/* Make the first slice's types (b may be NULL: none) the start of the others; wakes them. */
static void publish_types(struct run *r, const bw_batch *b)
{
    pthread_mutex_lock(&r->mu);
    if (!r->published && b != NULL && b->ncols > 0) {
        r->start_names = calloc(b->ncols, sizeof(*r->start_names));
        r->start_types = calloc(b->ncols, sizeof(*r->start_types));
        for (size_t k = 0; r->start_names != NULL && r->start_types != NULL && k < b->ncols; k++) {
            r->start_names[k] = strdup(b->names[k]);
            r->start_types[k] = r->start_names[k] != NULL ? b->cols[k].type : BW_DT_NULL;
            r->nstart++;
        }
    }
    r->published = true;
    pthread_cond_broadcast(&r->typed);
    pthread_mutex_unlock(&r->mu);
}

static char *dup_or_null(const char *s)
{
    return s != NULL ? strdup(s) : NULL;
}

/* bw_data_opts.on_bad of a slice: the report is kept (its line may be relative to the slice) */
static void on_bad(void *ctx, const bw_bad_row *b)
{
    struct slice *s = ctx;

    s->nbad++;
    if (s->nwarn < MAX_WARNINGS) {
        struct warn *w = &s->warn[s->nwarn];
        w->line = b->line;
        w->offset = b->offset;
        w->column = dup_or_null(b->column);
        w->msg = dup_or_null(b->msg != NULL ? b->msg : "malformed");
        s->nwarn += w->msg != NULL && (b->column == NULL || w->column != NULL);
    }
}

static void slice_reset(struct slice *s)
{
    bw_profile_free(s->prof);
    s->prof = NULL;
    for (size_t i = 0; i < s->nwarn; i++) {
        free(s->warn[i].column);
        free(s->warn[i].msg);
    }
    s->nwarn = 0;
    s->nbad = 0;
    s->rc = BW_OK;
    bw_error_clear(&s->err);
}

/* Columns whose distinct count the slices merged so far already estimate: p's sketches of them
   start dense (the merged result is the same, the exact phase is saved). */
static bw_status expect_many(struct run *r, bw_profile *p, bw_error *err)
{
    const char **names = NULL;
    size_t n = 0;
    bw_status rc = BW_OK;

    pthread_mutex_lock(&r->mu);
    size_t nc = r->prof != NULL ? bw_profile_ncols(r->prof) : 0;
    names = nc > 0 ? calloc(nc, sizeof(*names)) : NULL;
    for (size_t i = 0; names != NULL && i < nc; i++) {
        bw_profile_column c;
        if (bw_profile_column_get(r->prof, i, &c, NULL) == BW_OK && !c.distinct_exact) {
            names[n++] = c.name;
        }
    }
    if (n > 0) {
        rc = bw_profile_expect_many(p, names, n, err);
    }
    pthread_mutex_unlock(&r->mu);
    free(names);
    return rc;
}

/* Profile slice s into s->prof (no lock held). */
static void read_slice(struct run *r, struct slice *s)
{
    bw_dataset *d = NULL;
    bw_column *cols = NULL;
    char **names = NULL;

    bool first = s == &r->sl[0] && !r->published;

    slice_reset(s);
    memset(&s->st, 0, sizeof(s->st));
    s->o.on_bad = on_bad;
    s->o.ctx = s;
    if (r->nwant > 0) {
        /* --columns: the others are not converted (nor warned about), as in cat */
        s->o.columns = (const char *const *)r->want;
        s->o.ncolumns = r->nwant;
    }
    if (s != &r->sl[0]) {
        pthread_mutex_lock(&r->mu);
        while (!r->published) {
            pthread_cond_wait(&r->typed, &r->mu);
        }
        pthread_mutex_unlock(&r->mu);
        s->o.start_names = (const char *const *)r->start_names;
        s->o.start_types = r->start_types;
        s->o.nstart = r->nstart;
    }
    s->rc = bw_profile_new(&s->prof, NULL, &s->err);
    if (s->rc == BW_OK) {
        s->rc = expect_many(r, s->prof, &s->err);
    }
    if (s->rc == BW_OK) {
        s->rc = bw_dataset_open(r->path, r->fmt, &s->o, &d, &s->err);
    }
    if (s->rc == BW_OK && r->nwant > 0) {
        cols = calloc(r->nwant, sizeof(*cols));
        names = calloc(r->nwant, sizeof(*names));
        if (cols == NULL || names == NULL) {
            s->rc = BW_ENOMEM;
        }
    }
    while (s->rc == BW_OK) {
        const bw_batch *b = NULL;
        s->rc = bw_dataset_next(d, &b, &s->err);
        if (first) {
            publish_types(r, s->rc == BW_OK ? b : NULL);
            first = false;
        }
        if (s->rc != BW_OK || b == NULL) {
            break;
        }
        if (r->nwant > 0) {
            /* a view of the wanted columns (the column structs are copied, not their arrays) */
            bw_batch v = {.nrows = b->nrows, .row0 = b->row0, .cols = cols, .names = names};
            for (size_t k = 0; k < r->nwant; k++) {
                for (size_t j = 0; j < b->ncols; j++) {
                    if (strcmp(b->names[j], r->want[k]) == 0) {
                        cols[v.ncols] = b->cols[j];
                        names[v.ncols++] = b->names[j];
                        break;
                    }
                }
            }
            s->rc = bw_profile_add_batch(s->prof, &v, &s->err);
        } else {
            s->rc = bw_profile_add_batch(s->prof, b, &s->err);
        }
    }
    if (d != NULL) {
        s->st = *bw_dataset_stats(d);
        s->fmt = bw_dataset_format(d);
        if (s->rc == BW_OK) {
            bw_profile_add_bad_rows(s->prof, s->st.bad_rows);
        }
    }
    if (first) {
        publish_types(r, NULL); /* it could not be opened: the others infer on their own */
    }
    bw_dataset_free(d);
    free(cols);
    free(names);
}

/* The kept reports of slice s, numbered from the top of the file (lock held). */
static void print_warnings(struct run *r, const struct slice *s)
{
    for (size_t i = 0; i < s->nwarn && r->printed < MAX_WARNINGS; i++, r->printed++) {
        const struct warn *w = &s->warn[i];
        unsigned long long line = (unsigned long long)(w->line + s->line_off);
        if (w->column != NULL) {
            cli_warn("%s: line %llu, column '%s': %s (read as null)", r->path, line, w->column, w->msg);
        } else {
            cli_warn("%s: line %llu (offset %llu): %s (row skipped)", r->path, line, (unsigned long long)w->offset,
                     w->msg);
        }
    }
    r->warned += s->nbad;
}

/*
 * Merge the slices that are read, in order (lock held). A slice whose guess
 * was wrong, or that failed after a guess (its message would number lines
 * from the slice), is read again here from where the one before stopped.
 */
static void advance(struct run *r)
{
    while (!r->failed && r->merged < r->n && r->sl[r->merged].state == S_DONE) {
        struct slice *s = &r->sl[r->merged];
        const struct slice *p = r->merged > 0 ? &r->sl[r->merged - 1] : NULL;
        bool lines = s->fmt != BW_FMT_PARQUET; /* a line-oriented slice: its start and numbering are checked */
        if (p != NULL && lines && s->o.range_mode != BW_RANGE_FIND && s->rereads < 2 &&
            (s->st.first != p->st.next || s->rc != BW_OK)) {
            bool empty = s->o.range_end != 0 && p->st.next >= s->o.range_end;
            if (s->rc == BW_OK || empty) {
                s->o.range_mode = BW_RANGE_AT; /* from where the slice before stopped */
                r->rereads += s->rc == BW_OK;
            } else {
                s->o.range_mode = BW_RANGE_FIND; /* a failure: again, with line numbers from the top */
            }
            s->o.range_start = p->st.next;
            s->rereads++;
            s->state = S_BUSY;
            pthread_mutex_unlock(&r->mu);
            read_slice(r, s);
            pthread_mutex_lock(&r->mu);
            s->state = S_DONE;
            continue;
        }
        if (s->rc != BW_OK) {
            r->failed = true;
            r->rc = s->rc;
            r->err = s->err;
            break;
        }
        s->line_off = p == NULL || !lines || s->o.range_mode == BW_RANGE_FIND ? 0 : p->line_off + p->st.next_line - 1;
        print_warnings(r, s);
        if (r->prof == NULL) {
            r->prof = s->prof;
            s->prof = NULL;
        } else {
            bw_error e;
            bw_error_clear(&e);
            if (bw_profile_merge(r->prof, s->prof, &e) != BW_OK) {
                r->failed = true;
                r->rc = e.code != BW_OK ? e.code : BW_ENOMEM;
                r->err = e;
                break;
            }
        }
        slice_reset(s);
        r->merged++;
    }
}

/* A thread: take the next slice, read it, merge what is in order; until none is left. */
static void *work(void *arg)
{
    struct run *r = arg;

    pthread_mutex_lock(&r->mu);
    while (!r->failed && r->next < r->n) {
        struct slice *s = &r->sl[r->next++];
        s->state = S_BUSY;
        pthread_mutex_unlock(&r->mu);
        read_slice(r, s);
        pthread_mutex_lock(&r->mu);
        s->state = S_DONE;
        advance(r);
    }
    pthread_mutex_unlock(&r->mu);
    return NULL;
}

/*
 * Where the slices of a range of len bytes end (ends[0..n), at most MAX_SLICES): each takes
 * half of what is left, down to `tail` bytes (or a quarter of the range, for a range under
 * 4 * tail), and the last takes the rest when under one and a half slices remain. Big slices
 * first keep the per-slice cost down, small ones last let the threads finish together. One
 * slice under 2 * MIN_SLICE. Never depends on the threads, so neither does the result.
 */
static size_t plan_slices(uint64_t len, uint64_t tail, uint64_t *ends)
{
    uint64_t pos = 0, least = tail < len / 4 ? tail : len / 4;
    size_t n = 0;

    if (len < 2 * MIN_SLICE && tail >= MIN_SLICE) {
        ends[0] = len;
        return 1;
    }
    least = least > 0 ? least : 1;
    while (pos < len && n < MAX_SLICES - 1) {
        uint64_t rem = len - pos, s = rem / 2 > least ? rem / 2 : least;
        if (rem < s + s / 2) {
            s = rem;
        }
        pos += s;
        ends[n++] = pos;
    }
    if (pos < len) {
        ends[n++] = len;
    }
    return n;
}

/* ---- text output -------------------------------------------------------------------------------- */

/* Text for people: control characters and quotes escaped, long values cut at 40 code points. */
static void put_text(bw_buf *o, const char *s, size_t n)
{
    size_t cps = 0;

    bw_buf_addc(o, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if ((ch & 0xC0) != 0x80 && ++cps > 40) {
            bw_buf_addstr(o, "...");
            break;
        }
        if (ch < 0x20 || ch == 0x7f) {
            bw_buf_printf(o, "\\x%02x", ch);
        } else if (ch == '"' || ch == '\\') {
            bw_buf_addc(o, '\\');
            bw_buf_addc(o, (char)ch);
        } else {
            bw_buf_addc(o, (char)ch);
        }
    }
    bw_buf_addc(o, '"');
}

/* floor() without libm: v is in int64's range */
static int64_t floor_i64(double v)
{
    int64_t t = (int64_t)v;
    return (double)t > v ? t - 1 : t;
}

/* A value of a column of type t: exact integer, or a double (dates and timestamps in microseconds). */
static void put_value(bw_buf *o, bw_dtype t, double v, int64_t iv, bool exact)
{
    if (t == BW_DT_INT64 && exact) {
        bw_buf_printf(o, "%lld", (long long)iv);
    } else if ((t == BW_DT_DATE || t == BW_DT_TIMESTAMP) && (exact || (v > -9.2e18 && v < 9.2e18))) {
        int64_t us = exact ? iv : floor_i64(v);
        uint8_t one = 1;
        bw_column c = {.n = 1, .cap = 1, .valid = &one};
        int32_t days;
        if (t == BW_DT_DATE) {
            int64_t d = us >= 0 ? us / 86400000000LL : -((-us + 86400000000LL - 1) / 86400000000LL);
            days = (int32_t)d;
            c.type = BW_DT_DATE;
            c.days = &days;
        } else {
            c.type = BW_DT_TIMESTAMP;
            c.i64 = &us;
        }
        (void)bw_col_format(&c, 0, o);
    } else if (isnan(v)) {
        bw_buf_addstr(o, "nan");
    } else if (isinf(v)) {
        bw_buf_addstr(o, v < 0 ? "-inf" : "inf");
    } else {
        bw_buf_printf(o, "%.6g", v);
    }
}

static void label(bw_buf *o, const char *l)
{
    bw_buf_printf(o, "  %-11s ", l);
}

static int write_text(const bw_profile *p, const char *source, size_t top)
{
    bw_buf o = BW_BUF_INIT(SIZE_MAX / 2);
    static const char *const qn[BW_PROFILE_NQUANTILES] = {"p01", "p05", "p25", "p50", "p75", "p95", "p99"};
    bw_error e;

    bw_error_clear(&e);
    bw_buf_printf(&o, "%s: %llu rows, %zu columns", source, (unsigned long long)bw_profile_rows(p),
                  bw_profile_ncols(p));
    if (bw_profile_bad_rows(p) > 0) {
        bw_buf_printf(&o, " (%llu malformed rows skipped)", (unsigned long long)bw_profile_bad_rows(p));
    }
    bw_buf_addc(&o, '\n');
    for (size_t i = 0; i < bw_profile_ncols(p); i++) {
        bw_profile_column c;
        bw_profile_top *tv = NULL;
        size_t ntv = 0;
        uint64_t present;
        if (bw_profile_column_get(p, i, &c, &e) != BW_OK || bw_profile_top_values(p, i, top, &tv, &ntv, &e) != BW_OK) {
            bw_buf_release(&o);
            cli_report_error(&e, e.code);
            return CLI_EXIT_ERROR;
        }
        present = c.count - c.nulls;
        bw_buf_addc(&o, '\n');
        if (cli.color) {
            bw_buf_printf(&o, "\033[1m%s\033[0m  \033[36m%s\033[0m", c.name, bw_dtype_name(c.type));
        } else {
            bw_buf_printf(&o, "%s  %s", c.name, bw_dtype_name(c.type));
        }
        bw_buf_addstr(&o, c.mixed ? "  (shards disagreed on the type)\n" : "\n");
        label(&o, "nulls");
        bw_buf_printf(&o, "%llu of %llu (%.2f%%)", (unsigned long long)c.nulls, (unsigned long long)c.count,
                      c.count ? 100.0 * (double)c.nulls / (double)c.count : 0.0);
        if (c.bad > 0) {
            bw_buf_printf(&o, ", %llu not %s", (unsigned long long)c.bad, bw_dtype_name(c.type));
        }
        bw_buf_addc(&o, '\n');
        label(&o, "distinct");
        bw_buf_printf(&o, "%llu%s\n", (unsigned long long)c.distinct, c.distinct_exact ? "" : " (estimate)");
        if (c.has_range) {
            bool ex = c.type != BW_DT_FLOAT64;
            label(&o, "min / max");
            put_value(&o, c.type, c.min, c.imin, ex);
            bw_buf_addstr(&o, " / ");
            put_value(&o, c.type, c.max, c.imax, ex);
            bw_buf_addc(&o, '\n');
            if (c.n_finite > 0) {
                label(&o, "mean / sd");
                put_value(&o, c.type, c.mean, 0, false);
                bw_buf_addstr(&o, " / ");
                if (c.type == BW_DT_DATE) {
                    bw_buf_printf(&o, "%.6g days", c.stddev / 86400e6);
                } else if (c.type == BW_DT_TIMESTAMP) {
                    bw_buf_printf(&o, "%.6g s", c.stddev / 1e6);
                } else {
                    put_value(&o, BW_DT_FLOAT64, c.stddev, 0, false);
                }
                bw_buf_addc(&o, '\n');
            }
            label(&o, "quantiles");
            for (int q = 0; q < BW_PROFILE_NQUANTILES; q++) {
                bw_buf_printf(&o, "%s%s ", q ? "  " : "", qn[q]);
                put_value(&o, c.type, c.quantiles[q], (int64_t)c.quantiles[q], c.type == BW_DT_INT64);
            }
            bw_buf_addc(&o, '\n');
        }
        if (c.type == BW_DT_FLOAT64 && (c.n_nan || c.n_inf)) {
            label(&o, "non-finite");
            bw_buf_printf(&o, "%llu nan, %llu infinite\n", (unsigned long long)c.n_nan, (unsigned long long)c.n_inf);
        }
        if (c.type == BW_DT_BOOL) {
            label(&o, "true/false");
            bw_buf_printf(&o, "%llu / %llu\n", (unsigned long long)c.n_true, (unsigned long long)(present - c.n_true));
        }
        if (c.has_lengths) {
            label(&o, "length");
            bw_buf_printf(&o, "%llu to %llu, mean %.1f\n", (unsigned long long)c.len_min, (unsigned long long)c.len_max,
                          c.len_mean);
            bool any = false;
            for (int k = 0; k < BW_PAT_COUNT; k++) {
                if (c.patterns[k] == 0) {
                    continue;
                }
                if (!any) {
                    label(&o, "patterns");
                }
                bw_buf_printf(&o, "%s%s %llu", any ? ", " : "", bw_pattern_name((bw_pattern)k),
                              (unsigned long long)c.patterns[k]);
                any = true;
            }
            if (any) {
                bw_buf_addc(&o, '\n');
            }
        }
        /* a value whose count is mostly sketch error says nothing: not shown to people */
        size_t shown = 0;
        for (size_t k = 0; k < ntv; k++) {
            shown += tv[k].err < tv[k].count - tv[k].err;
        }
        if (shown > 0) {
            label(&o, "top");
            for (size_t k = 0, n = 0; k < ntv; k++) {
                if (tv[k].err >= tv[k].count - tv[k].err) {
                    continue;
                }
                if (n++ > 0) {
                    bw_buf_addstr(&o, ", ");
                }
                put_text(&o, tv[k].value, tv[k].len);
                bw_buf_printf(&o, " %s%llu", tv[k].err ? "~" : "", (unsigned long long)tv[k].count);
            }
            bw_buf_addc(&o, '\n');
        }
        bw_profile_top_free(tv, ntv);
    }
    if (o.err != BW_OK) {
        bw_buf_release(&o);
        cli_error("out of memory");
        return CLI_EXIT_ERROR;
    }
    cli_out_write(o.ptr, o.len);
    bw_buf_release(&o);
    return 0;
}

/* ---- --suggest ------------------------------------------------------------------------------------ */

/* A YAML double-quoted scalar. */
static void yq(bw_buf *o, const char *s, size_t n)
{
    bw_buf_addc(o, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '"' || ch == '\\') {
            bw_buf_addc(o, '\\');
            bw_buf_addc(o, (char)ch);
        } else if (ch < 0x20 || ch == 0x7f) {
            bw_buf_printf(o, "\\x%02x", ch);
        } else {
            bw_buf_addc(o, (char)ch);
        }
    }
    bw_buf_addc(o, '"');
}

/* A bound in YAML: integers exactly, doubles so they read back, dates and timestamps quoted. */
static void ybound(bw_buf *o, bw_dtype t, double v, int64_t iv)
{
    if (t == BW_DT_INT64) {
        bw_buf_printf(o, "%lld", (long long)iv);
    } else if (t == BW_DT_DATE || t == BW_DT_TIMESTAMP) {
        bw_buf tmp = BW_BUF_INIT(256);
        put_value(&tmp, t, v, iv, true);
        yq(o, tmp.ptr != NULL ? tmp.ptr : "", tmp.len);
        bw_buf_release(&tmp);
    } else {
        char b[40];
        for (int prec = 15; prec <= 17; prec++) {
            snprintf(b, sizeof(b), "%.*g", prec, v);
            if (strtod(b, NULL) == v) {
                break;
            }
        }
        bw_buf_addstr(o, b);
    }
}

static void exp_begin(bw_buf *o, const char *type, const char *col)
{
    bw_buf_printf(o, "  - %s: {", type);
    if (col != NULL) {
        bw_buf_addstr(o, "column: ");
        yq(o, col, strlen(col));
    }
}

static int write_suggest(const bw_profile *p, const char *source, const char *path)
{
    bw_buf o = BW_BUF_INIT((size_t)64 << 20);
    bw_error e;
    uint64_t rows = bw_profile_rows(p);
    const char *base = strrchr(source, '/') ? strrchr(source, '/') + 1 : source;
    size_t blen = strcspn(base, ".");
    int rc = 0;

    bw_error_clear(&e);
    bw_buf_printf(&o, "# a draft suite from `bulwark profile --suggest` over %llu rows; review it before use\n",
                  (unsigned long long)rows);
    bw_buf_addstr(&o, "suite: ");
    yq(&o, blen ? base : "data", blen ? blen : 4);
    bw_buf_addstr(&o, "\ncolumns:\n");
    for (size_t i = 0; i < bw_profile_ncols(p); i++) {
        bw_profile_column c;
        if (bw_profile_column_get(p, i, &c, &e) != BW_OK) {
            rc = CLI_EXIT_ERROR;
            goto out;
        }
        bw_buf_addstr(&o, "  ");
        yq(&o, c.name, strlen(c.name));
        if (c.type != BW_DT_NULL) {
            bw_buf_printf(&o, ": {type: %s, required: true}\n", bw_dtype_name(c.type));
        } else {
            bw_buf_addstr(&o, ": {required: true}\n");
        }
    }
    bw_buf_addstr(&o, "expectations:\n");
    bw_buf_printf(&o, "  - expect_table_row_count_to_be_between: {min_value: %llu, max_value: %llu}\n",
                  (unsigned long long)(rows - rows / 10), (unsigned long long)(rows + (rows + 9) / 10));
    for (size_t i = 0; i < bw_profile_ncols(p); i++) {
        bw_profile_column c;
        bw_profile_top *tv = NULL;
        size_t ntv = 0;
        uint64_t present;
        if (bw_profile_column_get(p, i, &c, &e) != BW_OK) {
            rc = CLI_EXIT_ERROR;
            goto out;
        }
        present = c.count - c.nulls;
        if (c.count == 0 || present == 0) {
            continue;
        }
        exp_begin(&o, "expect_column_values_to_not_be_null", c.name);
        if (c.nulls > 0) {
            /* a little under what was seen, in whole percent */
            double mostly = (double)(present * 100 / c.count) / 100.0 - 0.01;
            bw_buf_printf(&o, ", mostly: %.2f", mostly > 0.01 ? mostly : 0.01);
        }
        bw_buf_addstr(&o, "}\n");
        if (c.has_range && c.type != BW_DT_FLOAT64) {
            exp_begin(&o, "expect_column_values_to_be_between", c.name);
            bw_buf_addstr(&o, ", min_value: ");
            ybound(&o, c.type, c.min, c.imin);
            bw_buf_addstr(&o, ", max_value: ");
            ybound(&o, c.type, c.max, c.imax);
            bw_buf_addstr(&o, "}\n");
        } else if (c.has_range && isfinite(c.min) && isfinite(c.max)) {
            exp_begin(&o, "expect_column_values_to_be_between", c.name);
            bw_buf_addstr(&o, ", min_value: ");
            ybound(&o, c.type, c.min, 0);
            bw_buf_addstr(&o, ", max_value: ");
            ybound(&o, c.type, c.max, 0);
            bw_buf_addstr(&o, "}\n");
        }
        if (c.distinct_exact && c.distinct == present && present > 1 && c.type != BW_DT_BOOL &&
            c.type != BW_DT_FLOAT64) {
            exp_begin(&o, "expect_column_values_to_be_unique", c.name);
            bw_buf_addstr(&o, "}\n");
        }
        if (c.type == BW_DT_STRING && !c.mixed) {
            /* a low-cardinality column whose every value is known: its set */
            if (c.distinct_exact && c.distinct <= 20 && c.distinct * 2 <= present && bw_profile_top_exact(p, i)) {
                if (bw_profile_top_values(p, i, c.distinct, &tv, &ntv, &e) != BW_OK) {
                    rc = CLI_EXIT_ERROR;
                    goto out;
                }
                exp_begin(&o, "expect_column_values_to_be_in_set", c.name);
                bw_buf_addstr(&o, ", value_set: [");
                for (size_t k = 0; k < ntv; k++) {
                    if (k > 0) {
                        bw_buf_addstr(&o, ", ");
                    }
                    yq(&o, tv[k].value, tv[k].len);
                }
                bw_buf_addstr(&o, "]}\n");
                bw_profile_top_free(tv, ntv);
            }
            if (c.has_lengths) {
                exp_begin(&o, "expect_column_value_lengths_to_be_between", c.name);
                bw_buf_printf(&o, ", min_value: %llu, max_value: %llu}\n", (unsigned long long)c.len_min,
                              (unsigned long long)c.len_max);
            }
            if (c.patterns[BW_PAT_FORMULA] == 0) {
                exp_begin(&o, "expect_column_values_to_not_contain_formula_injection", c.name);
                bw_buf_addstr(&o, "}\n");
            }
            if (c.patterns[BW_PAT_CONTROL] == 0) {
                exp_begin(&o, "expect_column_values_to_not_contain_control_characters", c.name);
                bw_buf_addstr(&o, "}\n");
            }
        }
    }
    if (o.err != BW_OK) {
        cli_error("out of memory");
        rc = CLI_EXIT_ERROR;
        goto out;
    }
    if (bw_file_write_atomic(path, o.ptr, o.len, 0644, &e) != BW_OK) {
        rc = CLI_EXIT_ERROR;
        goto out;
    }
out:
    if (rc != 0 && e.msg[0] != '\0') {
        cli_report_error(&e, e.code);
    }
    bw_buf_release(&o);
    return rc;
}

/* ---- the command -------------------------------------------------------------------------------- */

static int split_list(const char *s, char ***out, size_t *n)
{
    char *copy = strdup(s), *save = NULL;

    if (copy == NULL) {
        return -1;
    }
    for (char *t = strtok_r(copy, ",", &save); t != NULL; t = strtok_r(NULL, ",", &save)) {
        char **g = realloc(*out, (*n + 1) * sizeof(*g));
        if (g == NULL) {
            free(copy);
            return -1;
        }
        *out = g;
        g[*n] = strdup(t);
        if (g[*n] == NULL) {
            free(copy);
            return -1;
        }
        (*n)++;
    }
    free(copy);
    return 0;
}

static int parse_uint(const char *s, unsigned long long max, unsigned long long *v)
{
    char *end;

    if (*s < '0' || *s > '9') {
        return -1;
    }
    errno = 0;
    *v = strtoull(s, &end, 10);
    return errno == 0 && *end == '\0' && *v <= max ? 0 : -1;
}

static int merge_files(int argc, char **argv, bw_profile **out)
{
    bw_profile *acc = NULL;

    *out = NULL;
    for (int i = 0; i < argc; i++) {
        bw_buf b = BW_BUF_INIT(MAX_PROFILE_FILE);
        bw_profile *p = NULL;
        bw_error e;
        bw_error_clear(&e);
        if (bw_file_slurp(argv[i], BW_FILE_FOLLOW | BW_FILE_STDIN, MAX_PROFILE_FILE, &b, &e) != BW_OK ||
            bw_profile_read_json(&p, b.ptr != NULL ? b.ptr : "", b.len, &e) != BW_OK) {
            bw_buf_release(&b);
            if (strstr(e.msg, argv[i]) == NULL) {
                cli_error("%s: %s", argv[i], e.msg[0] ? e.msg : bw_strerror(e.code));
            } else {
                cli_report_error(&e, e.code);
            }
            bw_profile_free(acc);
            return CLI_EXIT_ERROR;
        }
        bw_buf_release(&b);
        if (acc == NULL) {
            acc = p;
            continue;
        }
        if (bw_profile_merge(acc, p, &e) != BW_OK) {
            cli_error("%s: %s", argv[i], e.msg);
            bw_profile_free(p);
            bw_profile_free(acc);
            return CLI_EXIT_ERROR;
        }
        bw_profile_free(p);
    }
    *out = acc;
    return 0;
}

static unsigned cpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > MAX_THREADS ? MAX_THREADS : (unsigned)n;
}

int cmd_profile(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"format", required_argument, NULL, 0x5101},
        {"columns", required_argument, NULL, 'c'},
        {"top", required_argument, NULL, 0x5102},
        {"threads", required_argument, NULL, 0x5103},
        {"shard", required_argument, NULL, 0x5104},
        {"merge", no_argument, NULL, 0x5105},
        {"suggest", required_argument, NULL, 0x5106},
        {"slice-size", required_argument, NULL, 0x5107},
        CLI_DATA_LONGOPTS,
        CLI_GLOBAL_LONGOPTS,
        {NULL, 0, NULL, 0},
    };
    struct cli_data_opts dopt;
    struct run run = {0};
    pthread_t *ths = NULL;
    uint64_t slice_bytes = SLICE_BYTES;
    bw_profile *prof = NULL;
    bool json = cli.format == BW_FORMAT_JSON, merge = false, top_set = false;
    unsigned long long top = 0, shard_i = 0, shard_n = 0, threads = 0;
    const char *suggest = NULL;
    size_t nw = 1;
    int rc = CLI_EXIT_OK, ch;

    pthread_mutex_init(&run.mu, NULL);
    pthread_cond_init(&run.typed, NULL);
    if (cli_data_opts_init(&dopt, argc) != 0) {
        rc = CLI_EXIT_ERROR;
        goto out;
    }
    opterr = 0;
    while ((ch = getopt_long(argc, argv, ":c:" CLI_DATA_SHORTOPTS CLI_GLOBAL_SHORTOPTS, longopts, NULL)) != -1) {
        int g = cli_global_option(ch, optarg);
        if (g == 0) {
            g = cli_data_option(&dopt, "profile", ch, optarg);
        }
        if (g < 0) {
            rc = CLI_EXIT_USAGE;
            goto out;
        }
        if (g > 0) {
            continue;
        }
        switch (ch) {
        case 'h':
            cli_out_str(cmd_profile_usage);
            rc = cli_out_close();
            goto out;
        case 0x5101:
            if (strcmp(optarg, "text") != 0 && strcmp(optarg, "json") != 0) {
                rc = cli_usage_error("profile", "--format expects text or json, not '%s'", optarg);
                goto out;
            }
            json = strcmp(optarg, "json") == 0;
            break;
        case 'c':
            if (split_list(optarg, &run.want, &run.nwant) != 0) {
                cli_error("out of memory");
                rc = CLI_EXIT_ERROR;
                goto out;
            }
            break;
        case 0x5102:
            if (parse_uint(optarg, 65536, &top) != 0) {
                rc = cli_usage_error("profile", "--top expects a count up to 65536, not '%s'", optarg);
                goto out;
            }
            top_set = true;
            break;
        case 0x5103:
            if (parse_uint(optarg, MAX_THREADS, &threads) != 0 || threads == 0) {
                rc = cli_usage_error("profile", "--threads expects 1 to %d, not '%s'", MAX_THREADS, optarg);
                goto out;
            }
            break;
        case 0x5104: {
            const char *slash = strchr(optarg, '/');
            char num[24];
            size_t len = slash ? (size_t)(slash - optarg) : 0;
            if (slash == NULL || len == 0 || len >= sizeof(num)) {
                rc = cli_usage_error("profile", "--shard expects I/N (1 <= I <= N), not '%s'", optarg);
                goto out;
            }
            memcpy(num, optarg, len);
            num[len] = '\0';
            if (parse_uint(num, 1000000, &shard_i) != 0 || parse_uint(slash + 1, 1000000, &shard_n) != 0 ||
                shard_i < 1 || shard_i > shard_n) {
                rc = cli_usage_error("profile", "--shard expects I/N (1 <= I <= N), not '%s'", optarg);
                goto out;
            }
            break;
        }
        case 0x5105: merge = true; break;
        case 0x5106: suggest = optarg; break;
        case 0x5107:
            if (cli_parse_size(optarg, &slice_bytes) != 0 || slice_bytes < MIN_SLICE_BYTES) {
                rc = cli_usage_error("profile", "--slice-size expects a size of at least 4K, not '%s'", optarg);
                goto out;
            }
            break;
        case ':': rc = cli_usage_error("profile", "option '%s' needs a value", argv[optind - 1]); goto out;
        default: rc = cli_usage_error("profile", "unknown option '%s'", argv[optind - 1]); goto out;
        }
    }
    cli_resolve_color();
    if (cli.format_set && cli.format != BW_FORMAT_JSON && cli.format != BW_FORMAT_TEXT) {
        rc = cli_usage_error("profile", "--format expects text or json");
        goto out;
    }
    argc -= optind;
    argv += optind;
    if (!top_set) {
        top = json ? 10 : 5;
    }
    if (merge) {
        if (argc < 1) {
            rc = cli_usage_error("profile", "--merge expects one or more JSON profiles");
            goto out;
        }
        if (shard_n > 0 || run.nwant > 0) {
            rc = cli_usage_error("profile", "--merge takes no --shard or --columns");
            goto out;
        }
        rc = merge_files(argc, argv, &prof);
        if (rc != 0) {
            goto out;
        }
        run.path = argc == 1 ? argv[0] : "merged profiles";
    } else {
        struct stat st;
        uint64_t size = 0;
        if (argc != 1) {
            rc =
                cli_usage_error("profile", argc == 0 ? "expected a DATA file" : "expected one DATA file, got %d", argc);
            goto out;
        }
        run.path = argv[0];
        cli_data_opts_finish(&dopt);
        run.fmt = dopt.fmt;
        bool seekable = strcmp(run.path, "-") != 0 && stat(run.path, &st) == 0 && S_ISREG(st.st_mode);
        if (seekable) {
            size = (uint64_t)st.st_size;
        }
        if (shard_n > 0 && !seekable) {
            rc = cli_usage_error("profile", "--shard needs a regular file, not '%s'", run.path);
            goto out;
        }
        uint64_t lo = 0, hi = size;
        if (shard_n > 0) {
            lo = size / shard_n * (shard_i - 1) + size % shard_n * (shard_i - 1) / shard_n;
            hi = size / shard_n * shard_i + size % shard_n * shard_i / shard_n;
        }
        if (threads == 0) {
            threads = cli.jobs ? (cli.jobs > MAX_THREADS ? MAX_THREADS : cli.jobs) : cpus();
        }
        uint64_t *ends = calloc(MAX_SLICES, sizeof(*ends));
        if (ends == NULL) {
            cli_error("out of memory");
            rc = CLI_EXIT_ERROR;
            goto out;
        }
        run.n = seekable ? plan_slices(hi - lo, slice_bytes, ends) : 1;
        run.sl = calloc(run.n, sizeof(*run.sl));
        const uint64_t *slice_ends = ends;
        for (size_t k = 0; run.sl != NULL && k < run.n; k++) {
            struct slice *sl = &run.sl[k];
            sl->warn = calloc(MAX_WARNINGS, sizeof(*sl->warn));
            if (sl->warn == NULL) {
                break;
            }
            sl->o = dopt.o;
            if (shard_n > 0 || run.n > 1) {
                sl->o.range_start = lo + (k > 0 ? slice_ends[k - 1] : 0);
                sl->o.range_end = lo + slice_ends[k];
                if (sl->o.range_end == 0) {
                    sl->o.range_end = 1; /* an empty slice at 0 (0 would mean the whole input) */
                }
                /* the first slice is found exactly (a shard's start is not checked by a slice before it) */
                sl->o.range_mode = k == 0 ? BW_RANGE_FIND : BW_RANGE_GUESS;
            }
        }
        free(ends);
        if (run.sl == NULL || run.sl[run.n - 1].warn == NULL) {
            cli_error("out of memory");
            rc = CLI_EXIT_ERROR;
            goto out;
        }
        nw = threads < run.n ? (size_t)threads : run.n;
        ths = calloc(nw, sizeof(*ths));
        if (ths == NULL) {
            cli_error("out of memory");
            rc = CLI_EXIT_ERROR;
            goto out;
        }
        size_t started = 0;
        for (size_t k = 1; k < nw; k++) {
            if (pthread_create(&ths[started], NULL, work, &run) == 0) {
                started++;
            }
        }
        work(&run);
        for (size_t k = 0; k < started; k++) {
            pthread_join(ths[k], NULL);
        }
        if (run.failed) {
            cli_report_error(&run.err, run.rc);
            rc = run.rc == BW_ENOMEM ? CLI_EXIT_ERROR : CLI_EXIT_USAGE;
            goto out;
        }
        prof = run.prof;
        run.prof = NULL;
        if (run.rereads > 0 && cli.verbose) {
            cli_note("%s: %llu of %zu slices read again (a guessed start was inside a quoted field)", run.path,
                     (unsigned long long)run.rereads, run.n);
        }
        for (size_t k = 0; k < run.nwant; k++) {
            bool found = false;
            for (size_t i = 0; i < bw_profile_ncols(prof) && !found; i++) {
                bw_profile_column c;
                found = bw_profile_column_get(prof, i, &c, NULL) == BW_OK && strcmp(c.name, run.want[k]) == 0;
            }
            if (!found && bw_profile_rows(prof) > 0) {
                cli_error("%s: no column '%s'", run.path, run.want[k]);
                rc = CLI_EXIT_USAGE;
                goto out;
            }
        }
        if (run.warned > MAX_WARNINGS) {
            cli_warn("%s: %llu malformed rows or values in all", run.path, (unsigned long long)run.warned);
        }
    }
    if (suggest != NULL) {
        rc = write_suggest(prof, run.path, suggest);
        if (rc != 0) {
            goto out;
        }
    }
    rc = cli_out_open();
    if (rc != 0) {
        goto out;
    }
    if (json) {
        bw_buf b = BW_BUF_INIT(SIZE_MAX / 2);
        bw_error e;
        bw_error_clear(&e);
        if (bw_profile_write_json(prof, run.path, (size_t)top, BW_PROFILE_JSON_PRETTY, &b, &e) != BW_OK) {
            cli_report_error(&e, e.code);
            bw_buf_release(&b);
            rc = cli_out_finish(CLI_EXIT_ERROR);
            goto out;
        }
        cli_out_write(b.ptr, b.len);
        bw_buf_release(&b);
        rc = cli_out_finish(CLI_EXIT_OK);
    } else {
        rc = cli_out_finish(write_text(prof, run.path, (size_t)top));
    }
out:
    for (size_t k = 0; run.sl != NULL && k < run.n; k++) {
        if (run.sl[k].warn != NULL) {
            slice_reset(&run.sl[k]);
            free(run.sl[k].warn);
        }
    }
    free(run.sl);
    free(ths);
    bw_profile_free(run.prof);
    bw_profile_free(prof);
    for (size_t i = 0; i < run.nwant; i++) {
        free(run.want[i]);
    }
    free(run.want);
    cli_data_opts_release(&dopt);
    for (size_t k = 0; k < run.nstart; k++) {
        free(run.start_names[k]);
    }
    free(run.start_names);
    free(run.start_types);
    pthread_cond_destroy(&run.typed);
    pthread_mutex_destroy(&run.mu);
    return rc;
}
