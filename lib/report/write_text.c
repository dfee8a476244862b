/*
 * write_text.c - the report for people, on a terminal or in a CI log.
 *
 *   HIGH      pickle-global-os-system  model.pkl:12:5 (inner.zip!data.pkl)  message
 *             evidence: AKIA********            (verbose)
 *             fingerprint: 3f2a...              (verbose)
 *   error: broken.zip: truncated central directory
 *   3 findings (1 critical, 2 high) in 12 files, 2 errors
 *
 * Everything printed except our own labels came from input: file names,
 * member names, messages that quote them. A file name with an ESC byte
 * could rewrite the terminal, so every string is written through
 * put_text(), which passes well-formed printable UTF-8 and writes control
 * characters (C0, DEL, C1) and ill-formed bytes as \xNN. Colour codes are
 * ours alone and appear only when opts->color asks for them. Evidence is
 * printed as the producer stored it, already redacted; nothing else that
 * could hold a secret is printed.
 */
#include <inttypes.h>

#include "report/report_internal.h"

static const char *const sev_labels[BW_SEV_COUNT] = {
    "INFO", "LOW", "MEDIUM", "HIGH", "CRITICAL",
};

static const char *const sev_colors[BW_SEV_COUNT] = {
    "\033[2m",    /* info: dim */
    "\033[36m",   /* low: cyan */
    "\033[33m",   /* medium: yellow */
    "\033[31m",   /* high: red */
    "\033[1;31m", /* critical: bold red */
};

#define COLOR_RESET "\033[0m"

/* Length of a well-formed UTF-8 sequence of a printable character at s, or 0. */
static size_t printable_seq(const unsigned char *s, size_t n)
{
    unsigned char c = s[0], lo = 0x80, hi = 0xbf;
    size_t need;

    if (c >= 0x20 && c < 0x7f) {
        return 1;
    }
    if (c == 0xc2) {
        need = 2;
        lo = 0xa0; /* U+0080..U+009F are the C1 controls (0x9b is CSI) */
    } else if (c >= 0xc3 && c <= 0xdf) {
        need = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
        need = 3;
        lo = c == 0xe0 ? 0xa0 : 0x80;
        hi = c == 0xed ? 0x9f : 0xbf;
    } else if (c >= 0xf0 && c <= 0xf4) {
        need = 4;
        lo = c == 0xf0 ? 0x90 : 0x80;
        hi = c == 0xf4 ? 0x8f : 0xbf;
    } else {
        return 0;
    }
    for (size_t i = 1; i < need; i++) {
        if (i >= n || s[i] < lo || s[i] > hi) {
            return 0;
        }
        lo = 0x80;
        hi = 0xbf;
    }
    return need;
}

static void put_text(bw_buf *b, const char *str)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *s = (const unsigned char *)str;
    size_t n = strlen(str), i = 0, run = 0;

    while (i < n) {
        size_t len = printable_seq(s + i, n - i);
        char esc[4];

        if (len > 0 && s[i] != '\\') {
            i += len;
            continue;
        }
        bw_buf_add(b, s + run, i - run);
        esc[0] = '\\';
        esc[1] = 'x';
        esc[2] = hex[s[i] >> 4];
        esc[3] = hex[s[i] & 15];
        if (s[i] == '\\') {
            bw_buf_add(b, "\\\\", 2); /* so a literal "\x1b" cannot pass as our escape */
        } else {
            bw_buf_add(b, esc, sizeof(esc));
        }
        i++;
        run = i;
    }
    bw_buf_add(b, s + run, n - run);
}

static void put_location(bw_buf *b, const bw_location *loc)
{
    const char *sep = " (";

    put_text(b, loc->path);
    if (loc->line > 0) {
        bw_buf_printf(b, ":%" PRIu32, loc->line);
        if (loc->column > 0) {
            bw_buf_printf(b, ":%" PRIu32, loc->column);
        }
    }
    if (loc->member != NULL) {
        bw_buf_addstr(b, sep);
        put_text(b, loc->member);
        sep = ", ";
    }
    if (loc->cell >= 0) {
        bw_buf_printf(b, "%scell %" PRId32, sep, loc->cell);
        sep = ", ";
    }
    if (loc->line == 0 && loc->offset != BW_NO_OFFSET) {
        bw_buf_printf(b, "%soffset %" PRIu64, sep, loc->offset);
        sep = ", ";
    }
    if (sep[0] == ',') {
        bw_buf_addc(b, ')');
    }
}

static void put_finding(bw_buf *b, const bw_finding *f, const bw_write_opts *opts)
{
    const char *label = sev_labels[f->severity];

    if (opts->color) {
        bw_buf_printf(b, "%s%-8s%s", sev_colors[f->severity], label, COLOR_RESET);
    } else {
        bw_buf_printf(b, "%-8s", label);
    }
    bw_buf_add(b, "  ", 2);
    put_text(b, f->rule_id);
    bw_buf_add(b, "  ", 2);
    put_location(b, &f->loc);
    bw_buf_add(b, "  ", 2);
    put_text(b, f->message);
    bw_buf_addc(b, '\n');
    if (opts->verbose) {
        if (f->evidence != NULL) {
            bw_buf_addstr(b, "          evidence: ");
            put_text(b, f->evidence);
            bw_buf_addc(b, '\n');
        }
        bw_buf_addstr(b, "          fingerprint: ");
        put_text(b, f->fingerprint);
        bw_buf_addc(b, '\n');
    }
}

static const char *plural(uint64_t n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

static void put_summary(bw_buf *b, const bw_report *r, const bw_write_opts *opts)
{
    size_t counts[BW_SEV_COUNT];
    const char *sep = " (";

    bw_report_sev_counts(r, counts);
    if (opts->color) {
        bw_buf_addstr(b, "\033[1m");
    }
    if (r->nfindings == 0) {
        bw_buf_addstr(b, "no findings");
    } else {
        bw_buf_printf(b, "%zu %s", r->nfindings, plural(r->nfindings, "finding", "findings"));
        for (int s = BW_SEV_CRITICAL; s >= BW_SEV_INFO; s--) {
            if (counts[s] > 0) {
                bw_buf_printf(b, "%s%zu %s", sep, counts[s], bw_severity_name((bw_severity)s));
                sep = ", ";
            }
        }
        bw_buf_addc(b, ')');
    }
    bw_buf_printf(b, " in %" PRIu64 " %s", r->inputs, plural(r->inputs, "file", "files"));
    if (r->nerrors > 0) {
        bw_buf_printf(b, ", %zu %s", r->nerrors, plural(r->nerrors, "error", "errors"));
    }
    if (opts->color) {
        bw_buf_addstr(b, COLOR_RESET);
    }
    bw_buf_addc(b, '\n');
}

bw_status bw_report_write_text(const bw_report *r, const bw_write_opts *opts, bw_buf *out)
{
    for (size_t i = 0; i < r->nfindings; i++) {
        put_finding(out, r->findings[i], opts);
    }
    for (size_t i = 0; i < r->nerrors; i++) {
        if (opts->color) {
            bw_buf_addstr(out, "\033[31merror:" COLOR_RESET " ");
        } else {
            bw_buf_addstr(out, "error: ");
        }
        put_text(out, r->errors[i].path);
        bw_buf_add(out, ": ", 2);
        put_text(out, r->errors[i].msg);
        bw_buf_addc(out, '\n');
    }
    put_summary(out, r, opts);
    return out->err;
}
