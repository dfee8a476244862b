/*
 * tap.h - a small TAP harness (header only).
 *
 * Each test binary calls plan-free assertions and ends with done_testing(),
 * which prints "1..N" and a summary line, and returns the exit status
 * (0 all passed, 1 some failed). skip_all() exits 77, which Meson counts as
 * a skip. Assertions print the expression, file and line on failure; is_mem
 * prints a hex diff of the first differing bytes.
 */
#ifndef BW_TAP_H
#define BW_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_run_, tap_fail_, tap_skip_;

static inline void tap_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline void tap_diag(const char *fmt, ...)
{
    va_list ap;
    fputs("# ", stdout);
    va_start(ap, fmt);
    vfprintf(stdout, fmt, ap);
    va_end(ap);
    fputc('\n', stdout);
}

static inline int tap_ok_(int cond, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static inline int tap_ok_(int cond, const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    tap_run_++;
    printf("%s %d - ", cond ? "ok" : "not ok", tap_run_);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    if (!cond) {
        tap_fail_++;
        printf("#   failed at %s:%d\n", file, line);
    }
    fflush(stdout);
    return cond;
}

#define ok(cond, ...) tap_ok_(!!(cond), __FILE__, __LINE__, __VA_ARGS__)

#define is_int(got, want, ...)                                                                                         \
    do {                                                                                                               \
        long long g_ = (long long)(got), w_ = (long long)(want);                                                       \
        if (!tap_ok_(g_ == w_, __FILE__, __LINE__, __VA_ARGS__)) {                                                     \
            printf("#   got: %lld\n#   want: %lld\n", g_, w_);                                                         \
        }                                                                                                              \
    } while (0)

#define is_str(got, want, ...)                                                                                         \
    do {                                                                                                               \
        const char *g_ = (got), *w_ = (want);                                                                          \
        int eq_ = (g_ == NULL && w_ == NULL) || (g_ != NULL && w_ != NULL && strcmp(g_, w_) == 0);                     \
        if (!tap_ok_(eq_, __FILE__, __LINE__, __VA_ARGS__)) {                                                          \
            printf("#   got: '%s'\n#   want: '%s'\n", g_ ? g_ : "(null)", w_ ? w_ : "(null)");                         \
        }                                                                                                              \
    } while (0)

#define like(got, needle, ...)                                                                                         \
    do {                                                                                                               \
        const char *g_ = (got), *n_ = (needle);                                                                        \
        if (!tap_ok_(g_ != NULL && strstr(g_, n_) != NULL, __FILE__, __LINE__, __VA_ARGS__)) {                         \
            printf("#   got: '%s'\n#   wanted to contain: '%s'\n", g_ ? g_ : "(null)", n_);                            \
        }                                                                                                              \
    } while (0)

static inline void tap_hexdiff_(const unsigned char *g, const unsigned char *w, size_t n)
{
    size_t i = 0;
    while (i < n && g[i] == w[i]) {
        i++;
    }
    printf("#   first difference at byte %zu\n#   got: ", i);
    for (size_t k = i; k < n && k < i + 16; k++) {
        printf("%02x", g[k]);
    }
    printf("\n#   want: ");
    for (size_t k = i; k < n && k < i + 16; k++) {
        printf("%02x", w[k]);
    }
    putchar('\n');
}

#define is_mem(got, want, n, ...)                                                                                      \
    do {                                                                                                               \
        const unsigned char *g_ = (const unsigned char *)(got), *w_ = (const unsigned char *)(want);                   \
        size_t n_ = (n);                                                                                               \
        if (!tap_ok_(memcmp(g_, w_, n_) == 0, __FILE__, __LINE__, __VA_ARGS__)) {                                      \
            tap_hexdiff_(g_, w_, n_);                                                                                  \
        }                                                                                                              \
    } while (0)

#define skip(n, why)                                                                                                   \
    do {                                                                                                               \
        for (int s_ = 0; s_ < (n); s_++) {                                                                             \
            tap_run_++;                                                                                                \
            tap_skip_++;                                                                                               \
            printf("ok %d # skip %s\n", tap_run_, (why));                                                              \
        }                                                                                                              \
    } while (0)

static inline void skip_all(const char *why)
{
    printf("1..0 # skip %s\n", why);
    exit(77);
}

static inline int done_testing(void)
{
    printf("1..%d\n", tap_run_);
    printf("# %d passed, %d failed, %d skipped\n", tap_run_ - tap_fail_ - tap_skip_, tap_fail_, tap_skip_);
    fflush(stdout);
    return tap_fail_ ? 1 : 0;
}

#endif
