/*
 * output.c - what every command shares: global options, stdout or --output,
 * diagnostics, colour, the progress bar and the library's log callback.
 *
 * Results go to stdout (or to --output FILE, replaced atomically only when
 * the command finishes: a failed run never leaves a half-written report;
 * an --output that is a device or FIFO is written to like stdout).
 * Everything else goes to stderr. Output is buffered and every write is
 * checked; a full disk or a closed pipe makes the command exit 2, never 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "src/cli/cmd.h"

struct cli_globals cli = {.format = BW_FORMAT_TEXT, .fail_on = BW_SEV_HIGH};
static int color_mode = -1; /* -1 auto, 0 never, 1 always */

int cli_global_option(int c, const char *arg)
{
    switch (c) {
    case 0x1001:
        if (bw_format_parse(arg, &cli.format) != BW_OK) {
            cli_error("unknown format '%s' (expected text, json or sarif)", arg);
            return -1;
        }
        cli.format_set = true;
        return 1;
    case 'o': cli.output = arg; return 1;
    case 'q': cli.quiet = 1; return 1;
    case 'v': cli.verbose++; return 1;
    case 0x1002:
        if (strcmp(arg, "auto") == 0) {
            color_mode = -1;
        } else if (strcmp(arg, "always") == 0) {
            color_mode = 1;
        } else if (strcmp(arg, "never") == 0) {
            color_mode = 0;
        } else {
            cli_error("unknown colour mode '%s' (expected auto, always or never)", arg);
            return -1;
        }
        return 1;
    case 'j': {
        char *end = NULL;
        long v;
        errno = 0;
        v = strtol(arg, &end, 10);
        if (errno != 0 || end == arg || *end != '\0' || v < 0 || v > 1024) {
            cli_error("-j expects a number of threads from 0 (all cores) to 1024, not '%s'", arg);
            return -1;
        }
        cli.jobs = (unsigned)v;
        return 1;
    }
    case 0x1003:
        if (bw_severity_parse(arg, &cli.fail_on) != BW_OK) {
            cli_error("unknown severity '%s' (expected info, low, medium, high or critical)", arg);
            return -1;
        }
        cli.fail_on_set = true;
        return 1;
    default: return 0;
    }
}

static void log_to_stderr(bw_log_level level, const char *component, const char *msg, void *ud)
{
    (void)ud;
    switch (level) {
    case BW_LOG_ERROR: cli_error("%s", msg); break;
    case BW_LOG_WARN: cli_warn("%s", msg); break;
    default:
        cli_progress_end();
        fprintf(stderr, "bulwark: %s: %s\n", component != NULL ? component : "-", msg);
        break;
    }
}

void cli_setup_log(void)
{
    bw_log_level level = cli.verbose >= 2 ? BW_LOG_DEBUG : cli.verbose == 1 ? BW_LOG_INFO : BW_LOG_WARN;
    bw_log_set(log_to_stderr, level, NULL);
}

void cli_resolve_color(void)
{
    const char *nc = getenv("NO_COLOR"), *term = getenv("TERM");
    bool env_ok = (nc == NULL || *nc == '\0') && !(term != NULL && strcmp(term, "dumb") == 0);

    if (color_mode == 1) {
        cli.color = 1;
        cli.color_err = 1;
    } else if (color_mode == 0) {
        cli.color = 0;
        cli.color_err = 0;
    } else {
        cli.color = env_ok && cli.output == NULL && isatty(STDOUT_FILENO);
        cli.color_err = env_ok && isatty(STDERR_FILENO);
    }
    cli_setup_log();
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "bulwark %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'bulwark %s --help'.\n", cmd);
    return CLI_EXIT_USAGE;
}

int cli_print_usage(const char *usage)
{
    cli_out_str(usage);
    return cli_out_close(); /* flushed here: the caller returns at once */
}

static void vdiag(const char *label, const char *color, const char *fmt, va_list ap)
{
    cli_progress_end();
    if (cli.color_err && color != NULL) {
        fprintf(stderr, "bulwark: %s%s\033[0m: ", color, label);
    } else {
        fprintf(stderr, "bulwark: %s: ", label);
    }
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vdiag("error", "\033[1;31m", fmt, ap);
    va_end(ap);
}

void cli_warn(const char *fmt, ...)
{
    va_list ap;
    if (cli.quiet) {
        return;
    }
    va_start(ap, fmt);
    vdiag("warning", "\033[1;33m", fmt, ap);
    va_end(ap);
}

void cli_note(const char *fmt, ...)
{
    va_list ap;
    if (cli.quiet) {
        return;
    }
    cli_progress_end();
    fputs("bulwark: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

void cli_report_error(const bw_error *err, bw_status rc)
{
    if (err != NULL && err->msg[0] != '\0') {
        cli_error("%s", err->msg);
    } else {
        cli_error("%s", bw_strerror(rc));
    }
}

/* ---- output ----------------------------------------------------------------------------- */

static struct {
    bw_atomic *atomic;
    char buf[1 << 16];
    size_t len;
    bool failed;
    int err_no;
} out;

static void out_flush(void)
{
    size_t off = 0;

    if (out.failed) {
        out.len = 0;
        return;
    }
    if (out.atomic != NULL) {
        bw_error e;
        bw_error_clear(&e);
        if (bw_atomic_write(out.atomic, out.buf, out.len, &e) != BW_OK) {
            out.failed = true;
            cli_error("%s", e.msg);
        }
        out.len = 0;
        return;
    }
    while (off < out.len) {
        ssize_t w = write(STDOUT_FILENO, out.buf + off, out.len - off);
        if (w < 0) {
            if (errno == EINTR) {
                continue;
            }
            out.failed = true;
            out.err_no = errno;
            break;
        }
        off += (size_t)w;
    }
    out.len = 0;
}

int cli_out_open(void)
{
    struct stat st;
    bw_error e;

    if (cli.output == NULL || strcmp(cli.output, "-") == 0) {
        return 0;
    }
    if (stat(cli.output, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
        /*
         * A device, FIFO or socket (/dev/null, /dev/stdout, a pipe): written
         * to as standard output would be. Replacing it atomically would rename
         * a regular file over it (as root, /dev/null itself).
         */
        int fd = open(cli.output, O_WRONLY | O_CLOEXEC);
        if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0) {
            cli_error("cannot write '%s': %s", cli.output, strerror(errno));
            if (fd >= 0) {
                close(fd);
            }
            return CLI_EXIT_ERROR;
        }
        close(fd);
        return 0;
    }
    bw_error_clear(&e);
    if (bw_atomic_open(&out.atomic, cli.output, 0644, &e) != BW_OK) {
        cli_error("%s", e.msg);
        return CLI_EXIT_ERROR;
    }
    return 0;
}

void cli_out_write(const void *p, size_t n)
{
    const char *c = p;

    while (n > 0) {
        size_t k = sizeof(out.buf) - out.len;
        if (k > n) {
            k = n;
        }
        memcpy(out.buf + out.len, c, k);
        out.len += k;
        c += k;
        n -= k;
        if (out.len == sizeof(out.buf)) {
            out_flush();
        }
    }
}

void cli_out_str(const char *s)
{
    cli_out_write(s, strlen(s));
}

void cli_out_printf(const char *fmt, ...)
{
    char small[512];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0) {
        return;
    }
    if ((size_t)n < sizeof(small)) {
        cli_out_write(small, (size_t)n);
        return;
    }
    {
        char *big = malloc((size_t)n + 1);
        if (big == NULL) {
            out.failed = true;
            out.err_no = ENOMEM;
            return;
        }
        va_start(ap, fmt);
        vsnprintf(big, (size_t)n + 1, fmt, ap);
        va_end(ap);
        cli_out_write(big, (size_t)n);
        free(big);
    }
}

int cli_out_close(void)
{
    bw_error e;

    out_flush();
    if (out.atomic != NULL) {
        bw_atomic *a = out.atomic;
        out.atomic = NULL;
        if (out.failed) {
            bw_atomic_abort(a);
            return CLI_EXIT_ERROR;
        }
        bw_error_clear(&e);
        if (bw_atomic_commit(a, &e) != BW_OK) {
            cli_error("%s", e.msg);
            return CLI_EXIT_ERROR;
        }
        return 0;
    }
    if (!out.failed && fsync(STDOUT_FILENO) != 0 && errno != EINVAL && errno != EROFS && errno != EBADF &&
        errno != ENOTSUP) {
        /* fsync of a pipe or terminal fails with EINVAL; only a real file's failure matters */
        out.failed = true;
        out.err_no = errno;
    }
    if (out.failed) {
        if (out.err_no != EPIPE) {
            cli_error("cannot write to standard output: %s", strerror(out.err_no));
        }
        return CLI_EXIT_ERROR;
    }
    return 0;
}

int cli_out_finish(int rc)
{
    int w;

    if (rc >= CLI_EXIT_ERROR && out.atomic != NULL) {
        bw_atomic_abort(out.atomic);
        out.atomic = NULL;
        out.len = 0;
        cli_note("'%s' left as it was: the run failed", cli.output);
        return rc;
    }
    w = cli_out_close();
    return w != 0 ? w : rc;
}

/* ---- progress --------------------------------------------------------------------------- */

static pthread_mutex_t prog_mu = PTHREAD_MUTEX_INITIALIZER;
static bool prog_drawn;

bool cli_progress_enabled(void)
{
    const char *term = getenv("TERM");
    return !cli.quiet && isatty(STDERR_FILENO) && !(term != NULL && strcmp(term, "dumb") == 0);
}

const char *cli_human_bytes(uint64_t n, char *buf, size_t cap)
{
    static const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    double v = (double)n;
    size_t u = 0;

    while (v >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
        v /= 1024;
        u++;
    }
    if (u == 0) {
        snprintf(buf, cap, "%llu B", (unsigned long long)n);
    } else {
        snprintf(buf, cap, "%.1f %s", v, units[u]);
    }
    return buf;
}

void cli_progress(void *ud, const char *what, uint64_t done, uint64_t total)
{
    char a[32], b[32], bar[31];
    int pct = total ? (int)(done * 100 / total) : 0;
    int fill = total ? (int)(done * 30 / total) : 0;

    (void)ud;
    if (!cli_progress_enabled()) {
        return;
    }
    for (int i = 0; i < 30; i++) {
        bar[i] = i < fill ? '#' : '.';
    }
    bar[30] = '\0';
    pthread_mutex_lock(&prog_mu);
    /* plain carriage return and padding: no escape sequences, so any terminal copes */
    if (total) {
        fprintf(stderr, "\r%-10s [%s] %3d%% %s / %s   ", what, bar, pct, cli_human_bytes(done, a, sizeof(a)),
                cli_human_bytes(total, b, sizeof(b)));
    } else {
        fprintf(stderr, "\r%-10s %s   ", what, cli_human_bytes(done, a, sizeof(a)));
    }
    prog_drawn = true;
    pthread_mutex_unlock(&prog_mu);
}

void cli_progress_end(void)
{
    pthread_mutex_lock(&prog_mu);
    if (prog_drawn) {
        fprintf(stderr, "\r%79s\r", "");
        prog_drawn = false;
    }
    pthread_mutex_unlock(&prog_mu);
}

int cli_parse_size(const char *s, uint64_t *res)
{
    char *end = NULL;
    unsigned long long v;
    uint64_t mult = 1;

    if (s == NULL || *s < '0' || *s > '9') {
        return -1;
    }
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno != 0) {
        return -1;
    }
    switch (*end) {
    case 'k':
    case 'K':
        mult = 1ull << 10;
        end++;
        break;
    case 'm':
    case 'M':
        mult = 1ull << 20;
        end++;
        break;
    case 'g':
    case 'G':
        mult = 1ull << 30;
        end++;
        break;
    case 't':
    case 'T':
        mult = 1ull << 40;
        end++;
        break;
    default: break;
    }
    if (mult > 1 && (strcasecmp(end, "ib") == 0 || strcasecmp(end, "b") == 0)) {
        end += strlen(end);
    } else if (mult == 1 && strcasecmp(end, "b") == 0) {
        end++;
    }
    if (*end != '\0' || v > UINT64_MAX / mult) {
        return -1;
    }
    *res = (uint64_t)v * mult;
    return 0;
}
