/*
 * project.c - where a project's state lives: the `.bulwark/` directory
 * (keys, ledger.db, trust store, cache), found the way git finds `.git`.
 *
 * $BULWARK_DIR names it outright. Otherwise the current directory and its
 * parents are searched for a `.bulwark` directory, stopping at the
 * filesystem root or at a directory holding `.git` (a repository's root:
 * a `.bulwark` above it belongs to another project). With none found, the
 * project is the current directory (its `.bulwark` made on demand).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "src/cli/cmd.h"

bool cli_is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

bool cli_exists(const char *p)
{
    struct stat st;
    return lstat(p, &st) == 0;
}

char *cli_path_join(const char *dir, const char *name)
{
    size_t a = strlen(dir), b = strlen(name);
    char *s = malloc(a + b + 2);
    if (s != NULL) {
        memcpy(s, dir, a);
        s[a] = '/';
        memcpy(s + a + 1, name, b + 1);
        if (a == 1 && dir[0] == '/') {
            memmove(s + 1, s + 2, b + 1); /* "/" + name, not "//name" */
        }
    }
    return s;
}

/* Make dir (mode 0700) when absent; 0, or -1 with a message. */
int cli_make_dir(const char *dir)
{
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        cli_error("cannot create '%s': %s", dir, strerror(errno));
        return -1;
    }
    if (!cli_is_dir(dir)) {
        cli_error("'%s' is not a directory", dir);
        return -1;
    }
    return 0;
}

char *cli_state_dir(bool create)
{
    const char *env = getenv("BULWARK_DIR");
    char cwd[PATH_MAX];
    char *found = NULL;

    if (env != NULL && env[0] != '\0') {
        found = strdup(env);
    } else if (getcwd(cwd, sizeof(cwd)) != NULL) {
        char dir[PATH_MAX];
        memcpy(dir, cwd, sizeof(dir));
        for (;;) {
            char *cand = cli_path_join(dir, ".bulwark");
            if (cand == NULL) {
                break;
            }
            if (cli_is_dir(cand)) {
                found = cand;
                break;
            }
            free(cand);
            char *git = cli_path_join(dir, ".git");
            bool top = git == NULL || cli_exists(git);
            free(git);
            char *slash = strrchr(dir, '/');
            if (top || slash == NULL || slash == dir) {
                break;
            }
            *slash = '\0';
        }
        if (found == NULL) {
            found = cli_path_join(cwd, ".bulwark");
        }
    } else {
        found = strdup(".bulwark");
    }
    if (found == NULL) {
        cli_error("out of memory");
        return NULL;
    }
    if (create && cli_make_dir(found) != 0) {
        free(found);
        return NULL;
    }
    return found;
}

char *cli_state_path(const char *name, bool create)
{
    char *dir = cli_state_dir(create);
    char *p = NULL;

    if (dir == NULL) {
        return NULL;
    }
    if (name == NULL || name[0] == '\0') {
        return dir;
    }
    p = cli_path_join(dir, name);
    if (p == NULL) {
        cli_error("out of memory");
    } else if (create) {
        /* intermediate directories of name ("keys/x.key" makes keys/) */
        for (char *s = p + strlen(dir) + 1; (s = strchr(s, '/')) != NULL; s++) {
            *s = '\0';
            int rc = cli_make_dir(p);
            *s = '/';
            if (rc != 0) {
                free(p);
                p = NULL;
                break;
            }
        }
    }
    free(dir);
    return p;
}

/* ------------------------------------------------------------------------------------------------
 * The ledger's store and note key: one place decides, for every command that reads or records
 */

static const char *opt_store, *opt_note_key;

void cli_ledger_use(const char *store, const char *note_key)
{
    opt_store = store;
    opt_note_key = note_key;
}

void cli_secret_free(char *s)
{
    if (s != NULL) {
        explicit_bzero(s, strlen(s));
        free(s);
    }
}

/*
 * A value of .bulwark/config: "key = value" lines, '#' starting a comment line. The file may hold a
 * store URL with a password: what is read is wiped once the value is copied out.
 */
char *cli_config_get(const char *key)
{
    char *path = cli_state_path("config", false);
    bw_buf b = BW_BUF_INIT(1 << 20);
    bw_error err = {0};
    char *val = NULL;
    struct stat st;

    if (path == NULL || lstat(path, &st) != 0) {
        free(path);
        return NULL;
    }
    if (bw_file_slurp(path, 0, 1 << 20, &b, &err) != BW_OK) {
        cli_warn("cannot read '%s': %s", path, err.msg);
        free(path);
        return NULL;
    }
    size_t kl = strlen(key);
    for (char *line = b.ptr; line != NULL && *line != '\0' && val == NULL;) {
        char *end = strchr(line, '\n');
        if (end != NULL) {
            *end = '\0';
        }
        line += strspn(line, " \t");
        if (strncmp(line, key, kl) == 0 && strchr(" \t=", line[kl]) != NULL) {
            char *v = line + kl + strspn(line + kl, " \t");
            if (*v == '=') {
                v++;
                v += strspn(v, " \t");
                size_t n = strlen(v);
                while (n > 0 && strchr(" \t\r", v[n - 1]) != NULL) {
                    n--;
                }
                val = strndup(v, n);
            }
        }
        line = end != NULL ? end + 1 : NULL;
    }
    if (val != NULL && strstr(val, "://") != NULL && (st.st_mode & 077) != 0) {
        cli_warn("'%s' names a store and is readable by others (chmod 600 it)", path);
    }
    explicit_bzero(b.ptr, b.len);
    bw_buf_release(&b);
    free(path);
    return val;
}

/* A path from the config is relative to the state directory. */
static char *state_relative(char *p)
{
    if (p == NULL || p[0] == '/' || strstr(p, "://") != NULL) {
        return p;
    }
    char *dir = cli_state_dir(false);
    char *full = dir != NULL ? cli_path_join(dir, p) : NULL;
    free(dir);
    cli_secret_free(p);
    return full;
}

bool cli_ledger_explicit(void)
{
    const char *env = getenv("BULWARK_LEDGER");
    return opt_store != NULL || (env != NULL && env[0] != '\0');
}

char *cli_ledger_target(bool create)
{
    const char *env = getenv("BULWARK_LEDGER");
    char *t = NULL;

    if (opt_store != NULL) {
        t = strdup(opt_store);
    } else if (env != NULL && env[0] != '\0') {
        t = strdup(env);
    } else if ((t = state_relative(cli_config_get("store"))) == NULL) {
        return cli_state_path("ledger.db", create);
    }
    if (t == NULL) {
        cli_error("out of memory");
    }
    return t;
}

char *cli_ledger_note_key_path(bool create)
{
    const char *env = getenv("BULWARK_LEDGER_NOTE_KEY");
    char *p = NULL;

    if (opt_note_key != NULL) {
        p = strdup(opt_note_key);
    } else if (env != NULL && env[0] != '\0') {
        p = strdup(env);
    } else if ((p = state_relative(cli_config_get("note-key"))) == NULL) {
        return cli_state_path("ledger.note-key", create);
    }
    if (p == NULL) {
        cli_error("out of memory");
    }
    return p;
}

char *cli_ledger_shown(const char *target)
{
    bw_buf b = BW_BUF_INIT(1 << 16);
    char *s = NULL;
    size_t n;

    if (bw_ledger_target_display(target, &b) != BW_OK || bw_buf_take(&b, &s, &n) != BW_OK) {
        bw_buf_release(&b);
        return strdup("(the ledger)");
    }
    return s;
}

char *cli_user_dir(const char *xdg_var, const char *fallback, bool create)
{
    const char *xdg = getenv(xdg_var), *home = getenv("HOME");
    char dir[PATH_MAX];
    int n;

    if (xdg != NULL && xdg[0] == '/') {
        n = snprintf(dir, sizeof(dir), "%s/bulwark", xdg);
    } else if (home != NULL && home[0] == '/') {
        n = snprintf(dir, sizeof(dir), "%s/%s/bulwark", home, fallback);
    } else {
        return NULL;
    }
    if (n < 0 || (size_t)n >= sizeof(dir)) {
        return NULL;
    }
    if (create) { /* each missing component, 0700 (as mkdir -p would, but private) */
        for (char *p = dir + 1;; p++) {
            if (*p == '/' || *p == '\0') {
                char c = *p;
                *p = '\0';
                if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
                    return NULL;
                }
                *p = c;
                if (c == '\0') {
                    break;
                }
            }
        }
    }
    return strdup(dir);
}
