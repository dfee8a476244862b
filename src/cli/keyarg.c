/*
 * keyarg.c - what every command that takes a key shares: finding the key
 * store, getting a passphrase, and turning a `--key` argument into a key.
 *
 * A key argument is a path when it contains '/', ends in .pem, .pub or
 * .key, or names an existing file; otherwise it is the name of a key in the
 * project's store (.bulwark/keys/). A path holds PEM (SPKI public key or
 * unencrypted PKCS#8 private key) or a bulwark key file.
 *
 * Passphrases come, in this order, from --passphrase-file FILE (its first
 * line), from $BULWARK_PASSPHRASE, or from a prompt on /dev/tty with echo
 * off. They live in one malloc'd buffer that is wiped before it is freed,
 * and are never printed. While echo is off, SIGINT and friends restore the
 * terminal before the signal takes its course.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "src/cli/cmd.h"

#define PASS_MAX 1024

void cli_key_passphrase_free(char *p, size_t n)
{
    if (p != NULL) {
        explicit_bzero(p, n);
        free(p);
    }
}

/* The first line of `path` ("-": standard input); 0 or an exit code after printing why. */
static int pass_from_file(const char *path, char **out, size_t *n)
{
    bw_buf b = BW_BUF_INIT((size_t)1 << 16);
    bw_error e = {0};
    bw_status rc;
    size_t len = 0;
    int ret = 0;

    /* grown once, so no copy of the passphrase is left behind by a reallocation */
    rc = bw_buf_grow(&b, (size_t)1 << 16);
    if (rc == BW_OK) {
        rc = bw_file_slurp(path, BW_FILE_FOLLOW | BW_FILE_STDIN, (size_t)1 << 16, &b, &e);
    }
    if (rc != BW_OK) {
        cli_error("cannot read passphrase file: %s", e.msg[0] != '\0' ? e.msg : bw_strerror(rc));
        ret = CLI_EXIT_ERROR;
        goto out;
    }
    while (len < b.len && b.ptr[len] != '\n') {
        len++;
    }
    if (len > 0 && b.ptr[len - 1] == '\r') {
        len--;
    }
    if (len == 0) {
        cli_error("the passphrase file '%s' starts with an empty line (no passphrase)", path);
        ret = CLI_EXIT_ERROR;
        goto out;
    }
    if (len > PASS_MAX) {
        cli_error("the passphrase in '%s' is longer than %d bytes", path, PASS_MAX);
        ret = CLI_EXIT_ERROR;
        goto out;
    }
    *out = malloc(len + 1);
    if (*out == NULL) {
        cli_error("out of memory");
        ret = CLI_EXIT_ERROR;
        goto out;
    }
    memcpy(*out, b.ptr, len);
    (*out)[len] = '\0';
    *n = len;
out:
    if (b.ptr != NULL) {
        explicit_bzero(b.ptr, b.cap);
    }
    bw_buf_release(&b);
    return ret;
}

static volatile sig_atomic_t tty_signal;

static void on_signal(int sig)
{
    tty_signal = sig;
}

/*
 * Ask on the terminal with echo off. Returns 0 with the line in buf[0..*n) (NUL-terminated), 1 when
 * there is no terminal, or an exit code after printing why.
 */
static int tty_ask(const char *prompt, char *buf, size_t cap, size_t *n)
{
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP, SIGTTIN, SIGTTOU};
    struct sigaction old_act[sizeof(sigs) / sizeof(sigs[0])], act;
    struct termios old, quiet;
    bool restore = false, too_long = false;
    int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
    size_t len = 0;
    int ret = 0;

    if (fd < 0) {
        return 1;
    }
    memset(&act, 0, sizeof(act));
    act.sa_handler = on_signal; /* no SA_RESTART: the read below returns EINTR */
    sigemptyset(&act.sa_mask);
    tty_signal = 0;
    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
        sigaction(sigs[i], &act, &old_act[i]);
    }
    if (tcgetattr(fd, &old) == 0) {
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK | ECHONL);
        restore = tcsetattr(fd, TCSAFLUSH, &quiet) == 0;
    }
    if (write(fd, prompt, strlen(prompt)) < 0) {
        ret = CLI_EXIT_ERROR;
    }
    while (ret == 0) {
        char c;
        ssize_t r = read(fd, &c, 1);
        if (r < 0 && errno == EINTR && tty_signal == 0) {
            continue;
        }
        if (r <= 0 || c == '\n' || c == '\r') {
            if (r < 0) {
                ret = CLI_EXIT_ERROR;
            }
            break;
        }
        if (len + 1 >= cap) {
            too_long = true; /* keep reading to the end of the line, keep nothing more */
            continue;
        }
        buf[len++] = c;
    }
    buf[len] = '\0';
    if (restore) {
        tcsetattr(fd, TCSAFLUSH, &old);
    }
    if (write(fd, "\n", 1) < 0) {
        /* only the cosmetic newline after the hidden input was lost */
    }
    close(fd);
    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
        sigaction(sigs[i], &old_act[i], NULL);
    }
    if (tty_signal != 0) {
        explicit_bzero(buf, cap);
        raise(tty_signal);
        return CLI_EXIT_ERROR; /* a signal that does not end us (SIGTSTP) still ends the prompt */
    }
    if (ret != 0) {
        cli_error("cannot read the passphrase from the terminal");
    } else if (too_long) {
        cli_error("the passphrase is longer than %zu bytes", cap - 1);
        ret = CLI_EXIT_ERROR;
    } else if (len == 0) {
        cli_error("empty passphrase (to store a key without one, use --no-passphrase)");
        ret = CLI_EXIT_ERROR;
    }
    if (ret != 0) {
        explicit_bzero(buf, cap);
    }
    *n = len;
    return ret;
}

static int passphrase(const char *passphrase_file, const char *env_var, const char *name, bool confirm, char **out,
                      size_t *n)
{
    const char *env = getenv(env_var);
    char first[PASS_MAX + 2] = {0}, again[PASS_MAX + 2] = {0}, prompt[160];
    size_t n1 = 0, n2 = 0;
    int rc;

    *out = NULL;
    *n = 0;
    if (passphrase_file != NULL) {
        return pass_from_file(passphrase_file, out, n);
    }
    if (env != NULL) {
        size_t len = strlen(env);
        if (len == 0 || len > PASS_MAX) {
            cli_error("%s is %s", env_var, len == 0 ? "empty" : "longer than 1024 bytes");
            return CLI_EXIT_ERROR;
        }
        *out = malloc(len + 1);
        if (*out == NULL) {
            cli_error("out of memory");
            return CLI_EXIT_ERROR;
        }
        memcpy(*out, env, len + 1);
        *n = len;
        return 0;
    }
    if (name != NULL) {
        snprintf(prompt, sizeof(prompt), "%s for key '%s': ", confirm ? "New passphrase" : "Passphrase", name);
    } else {
        snprintf(prompt, sizeof(prompt), "%s: ", confirm ? "New passphrase" : "Passphrase");
    }
    rc = tty_ask(prompt, first, sizeof(first), &n1);
    if (rc == 1) {
        cli_error("a passphrase is needed and there is no terminal to ask on: give --%spassphrase-file FILE or set "
                  "%s%s",
                  strcmp(env_var, "BULWARK_NEW_PASSPHRASE") == 0      ? "new-"
                  : strcmp(env_var, "BULWARK_IMPORT_PASSPHRASE") == 0 ? "import-"
                                                                      : "",
                  env_var, confirm ? " (or --no-passphrase to store the key unencrypted)" : "");
        return CLI_EXIT_USAGE;
    }
    if (rc != 0) {
        return rc;
    }
    if (confirm) {
        unsigned char diff = 0;
        rc = tty_ask("Repeat passphrase: ", again, sizeof(again), &n2);
        if (rc != 0) {
            explicit_bzero(first, sizeof(first));
            return rc == 1 ? CLI_EXIT_ERROR : rc;
        }
        for (size_t i = 0; i < sizeof(first); i++) {
            diff |= (unsigned char)(first[i] ^ again[i]);
        }
        explicit_bzero(again, sizeof(again));
        if (diff != 0 || n1 != n2) {
            explicit_bzero(first, sizeof(first));
            cli_error("the passphrases do not match");
            return CLI_EXIT_ERROR;
        }
    }
    *out = malloc(n1 + 1);
    if (*out == NULL) {
        explicit_bzero(first, sizeof(first));
        cli_error("out of memory");
        return CLI_EXIT_ERROR;
    }
    memcpy(*out, first, n1 + 1);
    *n = n1;
    explicit_bzero(first, sizeof(first));
    return 0;
}

int cli_key_passphrase_for(const char *passphrase_file, const char *name, bool confirm, char **out, size_t *n)
{
    return passphrase(passphrase_file, "BULWARK_PASSPHRASE", name, confirm, out, n);
}

int cli_key_import_passphrase(const char *passphrase_file, const char *file, char **out, size_t *n)
{
    return passphrase(passphrase_file, "BULWARK_IMPORT_PASSPHRASE", file, false, out, n);
}

int cli_key_new_passphrase(const char *passphrase_file, const char *name, char **out, size_t *n)
{
    return passphrase(passphrase_file, "BULWARK_NEW_PASSPHRASE", name, true, out, n);
}

int cli_key_passphrase(const char *passphrase_file, bool confirm, char **out, size_t *n)
{
    return cli_key_passphrase_for(passphrase_file, NULL, confirm, out, n);
}

/* An unsigned number from the environment variable `var` (absent: 0); -1 when malformed. */
static int env_u64(const char *var, bool size, uint64_t *out)
{
    const char *s = getenv(var);
    char *end = NULL;

    *out = 0;
    if (s == NULL || s[0] == '\0') {
        return 0;
    }
    if (size) {
        return cli_parse_size(s, out) == 0 ? 0 : -1;
    }
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || s[0] == '-') {
        return -1;
    }
    *out = v;
    return 0;
}

int cli_key_store_open(bool create, bw_keystore **out)
{
    bw_keystore_opts o = BW_KEYSTORE_OPTS_INIT;
    uint64_t epoch = 0;
    bw_error e = {0};
    char *dir;
    bw_status rc;

    *out = NULL;
    /* for tests only: a cheap Argon2id, so the suite stays fast (docs/keys.md) */
    if (env_u64("BULWARK_KDF_OPS", false, &o.kdf_ops) != 0 || env_u64("BULWARK_KDF_MEM", true, &o.kdf_mem) != 0) {
        cli_error("BULWARK_KDF_OPS and BULWARK_KDF_MEM take a number (BULWARK_KDF_MEM a size such as 64M)");
        return CLI_EXIT_USAGE;
    }
    if (env_u64("SOURCE_DATE_EPOCH", false, &epoch) != 0 || epoch > (uint64_t)INT64_MAX) {
        cli_error("SOURCE_DATE_EPOCH is not a number of seconds");
        return CLI_EXIT_USAGE;
    }
    o.created = (int64_t)epoch;
    dir = cli_state_path("keys", create);
    if (dir == NULL) {
        return CLI_EXIT_ERROR;
    }
    rc = bw_keystore_open(out, dir, &o, &e);
    free(dir);
    if (rc != BW_OK) {
        cli_report_error(&e, rc);
        return rc == BW_EINVAL ? CLI_EXIT_USAGE : CLI_EXIT_ERROR;
    }
    return 0;
}

int cli_key_exit(bw_status rc)
{
    return rc == BW_OK ? 0 : rc == BW_EVERIFY ? CLI_EXIT_FINDINGS : CLI_EXIT_ERROR;
}

static bool ends_with(const char *s, const char *tail)
{
    size_t a = strlen(s), b = strlen(tail);
    return a >= b && strcmp(s + a - b, tail) == 0;
}

bool cli_key_spec_is_path(const char *spec)
{
    struct stat st;
    return strchr(spec, '/') != NULL || ends_with(spec, ".pem") || ends_with(spec, ".pub") || ends_with(spec, ".key") ||
           (stat(spec, &st) == 0 && S_ISREG(st.st_mode));
}

/* A key from a file: PEM, or a bulwark key file (which may need a passphrase). */
static int load_path(const char *path, bool want_private, const char *passphrase_file, bw_key **out)
{
    bw_buf b = BW_BUF_INIT((size_t)1 << 20);
    bw_error e = {0};
    char *pass = NULL;
    size_t plen = 0, i = 0;
    bw_status rc;
    int ret = 0;

    rc = bw_buf_grow(&b, (size_t)1 << 16);
    if (rc == BW_OK) {
        rc = bw_file_slurp(path, BW_FILE_FOLLOW, (size_t)1 << 20, &b, &e);
    }
    if (rc != BW_OK) {
        cli_report_error(&e, rc);
        ret = CLI_EXIT_ERROR;
        goto out;
    }
    while (i < b.len && (b.ptr[i] == ' ' || b.ptr[i] == '\t' || b.ptr[i] == '\r' || b.ptr[i] == '\n')) {
        i++;
    }
    if (i < b.len && b.ptr[i] == '{') {
        bw_keystore_entry ent;
        rc = bw_keystore_parse(b.ptr, b.len, path, &ent, &e);
        if (rc == BW_OK && want_private && ent.encrypted) {
            ret = cli_key_passphrase_for(passphrase_file, ent.name, false, &pass, &plen);
            if (ret != 0) {
                goto out;
            }
        }
        if (rc == BW_OK) {
            rc = bw_keystore_unseal(b.ptr, b.len, path, want_private, pass, plen, out, &e);
        }
    } else {
        /* an encrypted PEM key file (openssl genpkey -aes256): its passphrase as a store key's */
        if (bw_key_pem_encrypted(b.ptr, b.len) &&
            (ret = cli_key_passphrase_for(passphrase_file, path, false, &pass, &plen)) != 0) {
            goto out;
        }
        rc = bw_key_from_pem_pass(b.ptr, b.len, path, pass, plen, out, &e);
        if (rc == BW_OK && want_private && !bw_key_is_private(*out)) {
            bw_key_free(*out);
            *out = NULL;
            cli_error("'%s' holds a public key; a private key is needed here", path);
            ret = CLI_EXIT_ERROR;
            goto out;
        }
    }
    if (rc != BW_OK) {
        cli_report_error(&e, rc);
        ret = cli_key_exit(rc);
    }
out:
    cli_key_passphrase_free(pass, plen);
    if (b.ptr != NULL) {
        explicit_bzero(b.ptr, b.cap);
    }
    bw_buf_release(&b);
    return ret;
}

int cli_key_load(const char *spec, bool want_private, const char *passphrase_file, bw_key **out)
{
    bw_keystore *ks = NULL;
    bw_keystore_entry ent;
    bw_error e = {0};
    char *pass = NULL;
    size_t plen = 0;
    bw_status rc;
    int ret;

    *out = NULL;
    if (spec == NULL || spec[0] == '\0') {
        cli_error("no key given");
        return CLI_EXIT_USAGE;
    }
    if (cli_key_spec_is_path(spec)) {
        return load_path(spec, want_private, passphrase_file, out);
    }
    if (!bw_keystore_name_valid(spec)) {
        cli_error("'%s' is neither a key file nor a valid key name", spec);
        return CLI_EXIT_USAGE;
    }
    ret = cli_key_store_open(false, &ks);
    if (ret != 0) {
        return ret;
    }
    rc = bw_keystore_info(ks, spec, &ent, &e);
    if (rc == BW_ENOTFOUND) {
        cli_error("no key '%s' in the key store '%s' (see 'bulwark key list')", spec, bw_keystore_dir(ks));
        ret = CLI_EXIT_ERROR;
        goto out;
    }
    if (rc == BW_OK && want_private && ent.public_only) {
        cli_error("key '%s' is public only (imported to verify with); signing needs its private key", spec);
        ret = CLI_EXIT_ERROR;
        goto out;
    }
    if (rc == BW_OK && want_private && ent.encrypted) {
        ret = cli_key_passphrase_for(passphrase_file, spec, false, &pass, &plen);
        if (ret != 0) {
            goto out;
        }
    }
    if (rc == BW_OK) {
        rc = bw_keystore_load(ks, spec, want_private, pass, plen, out, &e);
    }
    if (rc != BW_OK) {
        cli_report_error(&e, rc);
        ret = cli_key_exit(rc);
    }
out:
    cli_key_passphrase_free(pass, plen);
    bw_keystore_free(ks);
    return ret;
}

void cli_key_label(const char *spec, char *out, size_t cap)
{
    const char *base = strrchr(spec, '/') != NULL ? strrchr(spec, '/') + 1 : spec;
    char *dot;

    snprintf(out, cap, "%s", base);
    dot = strrchr(out, '.');
    if (dot != NULL && dot != out) {
        *dot = '\0';
    }
}
