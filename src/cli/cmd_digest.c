/*
 * cmd_digest.c - `bulwark digest`: digests of files, manifests of
 * directories, and `--check`, which tells what was added, removed or changed.
 *
 * Text output is the sha256sum / b2sum line format, so `sha256sum -c`
 * accepts what we print for files and directories alike (a directory expands
 * to one line per file, named DIR/REL). The directory's own digest, the
 * manifest digest, goes to stderr as a note in text mode and into the JSON
 * and the --manifest file, where programs read it.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "src/cli/cmd.h"

const char cmd_digest_usage[] =
    "usage: bulwark digest [OPTIONS] PATH...\n"
    "       bulwark digest --check MANIFEST [PATH]\n"
    "\n"
    "Print the digest of each file, sha256sum-style, so 'sha256sum -c' accepts the output.\n"
    "A directory expands to every file under it (sorted by path components; .git, .gitattributes,\n"
    ".github and .gitignore at its top are left out, as model_signing does) and gets a manifest:\n"
    "an in-toto statement in the OpenSSF model-signing (OMS v1.0) form, listing each file's\n"
    "path, size and digest, whose subject digest is the directory's digest. '-' reads standard input.\n"
    "\n"
    "Options:\n"
    "  -a, --algo ALGO        sha256 (default) or blake2b (BLAKE2b-512, what b2sum prints)\n"
    "      --shard SIZE       hash every SIZE-byte range of each file on its own (model_signing's\n"
    "                         shard mode; spreads one big file over all cores). SIZE takes K, M, G.\n"
    "                         A file's line then shows the digest over its shard digests.\n"
    "  -m, --manifest FILE    write the manifest of the one PATH (file or directory) to FILE\n"
    "  -c, --check MANIFEST   compare PATH (default: the current directory) with MANIFEST and\n"
    "                         list added, removed and modified files; exit 1 on any difference.\n"
    "                         MANIFEST may be a --manifest file, a model_signing model.sig\n"
    "                         (contents only; 'bulwark verify' checks signatures), or\n"
    "                         sha256sum/b2sum output (then without PATH only listed files are\n"
    "                         checked, with PATH new files are reported too)\n"
    "  -e, --exclude PATTERN  leave out paths matching PATTERN (gitignore syntax; repeatable);\n"
    "                         recorded in the manifest's ignore_paths. With --check: ignore these\n"
    "                         as well as the manifest's own (and the manifest file itself)\n"
    "      --no-default-ignores  keep .gitattributes, .github and .gitignore at the top of a\n"
    "                         directory (.git directories are always left out)\n"
    "      --record           append each PATH (name, digest, size) as an artifact entry to the\n"
    "                         project's ledger (.bulwark/ledger.db, made if need be; SHA-256 only)\n"
    "      --ledger URL|PATH  with --record: this ledger instead (a SQLite file or a PostgreSQL\n"
    "                         URL; as $BULWARK_LEDGER)\n"
    "\n"
    "Global options apply: --format text|json, --output, --quiet, --verbose, -j N.\n"
    "\n"
    "Exit codes: 0 done (check: no difference), 1 check found differences,\n"
    "2 usage error, unreadable input (missing file, directory loop, a file that changed\n"
    "while being read, malformed manifest) or output failure.\n"
    "\n"
    "Examples:\n"
    "  bulwark digest model.safetensors data/*.parquet\n"
    "  bulwark digest models/readmission > SHA256SUMS && sha256sum -c SHA256SUMS\n"
    "  bulwark digest --manifest model.manifest.json models/readmission\n"
    "  bulwark digest --check model.manifest.json models/readmission\n"
    "  bulwark digest --shard 1G --format json big-checkpoint.bin\n";

struct opts {
    bw_algo algo;
    uint64_t shard;
    const char *manifest_out;
    const char *check;
    const char **excludes;
    size_t n_excludes;
    int no_default_ignores;
    bool record; /* --record: each PATH as an artifact entry in the project's ledger */
};

/* --record: PATH (file or directory, by its digest) as an artifact in the project's ledger. */
static int record(const struct opts *o, const char *path, bool dir, const bw_digest *d, uint64_t size)
{
    bw_buf body = BW_BUF_INIT(1 << 20);
    char hex[BW_DIGEST_HEX_MAX];
    int rc;

    if (!o->record) {
        return CLI_EXIT_OK;
    }
    bw_digest_hex(d, hex);
    bw_buf_addstr(&body, "{\"kind\":\"artifact\",\"name\":\"");
    bw_json_escape(&body, path, strlen(path));
    bw_buf_printf(
        &body, "\",\"digest\":{\"sha256\":\"%s\"},\"media_type\":\"%s\",\"size\":%llu}", hex,
        dir ? (o->shard ? "application/vnd.bulwark.manifest+shards" : "application/vnd.bulwark.manifest+files")
            : "application/octet-stream",
        (unsigned long long)size);
    rc = cli_ledger_note(body.ptr, NULL, NULL, true);
    bw_buf_release(&body);
    return rc;
}

/* A sha256sum line: names holding '\\', '\n' or '\r' are escaped and the line starts with '\\'. */
static void print_line(const bw_digest *d, const char *name)
{
    char hex[BW_DIGEST_HEX_MAX];
    bool esc = strpbrk(name, "\\\n\r") != NULL;

    bw_digest_hex(d, hex);
    if (esc) {
        cli_out_str("\\");
    }
    cli_out_str(hex);
    cli_out_str("  ");
    if (!esc) {
        cli_out_str(name);
    } else {
        for (const char *p = name; *p != '\0'; p++) {
            if (*p == '\\') {
                cli_out_str("\\\\");
            } else if (*p == '\n') {
                cli_out_str("\\n");
            } else if (*p == '\r') {
                cli_out_str("\\r");
            } else {
                cli_out_write(p, 1);
            }
        }
    }
    cli_out_str("\n");
}

/* The operand as given, without trailing slashes (but "/" stays "/"). */
static char *trim_slashes(const char *path)
{
    size_t n = strlen(path);
    char *s;

    while (n > 1 && path[n - 1] == '/') {
        n--;
    }
    s = malloc(n + 1);
    if (s != NULL) {
        memcpy(s, path, n);
        s[n] = '\0';
    }
    return s;
}

/* "/REL" (a pattern anchored at dir) when `file` lies inside directory `dir`, else NULL; free() it. */
static char *path_inside(const char *file, const char *dir)
{
    char *rel = bw_path_inside(file, dir), *res = NULL;

    if (rel != NULL && (res = malloc(strlen(rel) + 2)) != NULL) {
        res[0] = '/';
        memcpy(res + 1, rel, strlen(rel) + 1);
    }
    bw_free(rel);
    return res;
}

static void json_result(bw_json *j, const char *path, const char *type, const bw_manifest *m, const bw_digest *d,
                        uint64_t size)
{
    char hex[BW_DIGEST_HEX_MAX];

    bw_json_obj_begin(j);
    bw_json_kv_str(j, "path", path);
    bw_json_kv_str(j, "type", type);
    bw_json_key(j, "size");
    bw_json_uint(j, size);
    bw_digest_hex(d, hex);
    bw_json_kv_str(j, "digest", hex);
    if (m != NULL) {
        bw_digest_hex(&m->root, hex);
        bw_json_kv_str(j, "manifest_digest", hex);
        bw_json_key(j, "files");
        bw_json_uint(j, m->n_files);
        if (m->shard_size) {
            bw_json_key(j, "shards");
            bw_json_uint(j, m->n);
        }
        bw_json_key(j, "manifest");
        bw_manifest_json(m, j);
    }
    bw_json_obj_end(j);
}

static int write_manifest_file(const char *path, const bw_manifest *m)
{
    bw_buf b = BW_BUF_INIT(SIZE_MAX / 2);
    bw_error e;
    bw_status rc;

    bw_error_clear(&e);
    rc = bw_manifest_write_json(m, &b);
    if (rc == BW_OK) {
        rc = bw_file_write_atomic(path, b.ptr, b.len, 0644, &e);
    }
    bw_buf_release(&b);
    if (rc == BW_EUNSUPPORTED) {
        cli_error("cannot write manifest '%s': a file name cannot be recorded (see the warning above)", path);
        return CLI_EXIT_ERROR;
    }
    if (rc != BW_OK) {
        cli_report_error(&e, rc);
        return CLI_EXIT_ERROR;
    }
    return 0;
}

static int do_digest(struct opts *o, int n, char **paths, bw_pool *pool)
{
    bw_manifest_opts mo = BW_MANIFEST_OPTS_INIT;
    bw_buf jbuf = BW_BUF_INIT(SIZE_MAX / 2);
    bw_json j;
    int rc = 0;

    mo.algo = o->algo;
    mo.shard_size = o->shard;
    mo.excludes = o->excludes;
    mo.n_excludes = o->n_excludes;
    mo.no_default_ignores = o->no_default_ignores;
    mo.pool = pool;
    if (cli_progress_enabled()) {
        mo.progress = cli_progress;
    }
    if (cli.format == BW_FORMAT_JSON) {
        bw_json_init(&j, &jbuf, 1);
        bw_json_obj_begin(&j);
        bw_json_kv_str(&j, "algorithm", bw_algo_name(o->algo));
        if (o->shard) {
            bw_json_key(&j, "shard_size");
            bw_json_uint(&j, o->shard);
        }
        bw_json_key(&j, "results");
        bw_json_arr_begin(&j);
    }
    for (int i = 0; i < n; i++) {
        const char *path = paths[i];
        struct stat st;
        bw_error e;
        bw_status s;
        bw_manifest *m = NULL;
        bool is_dir;

        bw_error_clear(&e);
        if (strcmp(path, "-") == 0) {
            bw_digest d;
            uint64_t size = 0;
            if (o->shard || o->manifest_out) {
                cli_error("standard input cannot be sharded or given a manifest");
                rc = CLI_EXIT_ERROR;
                continue;
            }
            s = bw_digest_file("-", o->algo, &d, &size, &e);
            if (s != BW_OK) {
                cli_report_error(&e, s);
                rc = CLI_EXIT_ERROR;
                continue;
            }
            if (cli.format == BW_FORMAT_JSON) {
                json_result(&j, "-", "stream", NULL, &d, size);
            } else {
                print_line(&d, "-");
            }
            continue;
        }
        /* stat follows a symlink named on the command line: the user chose it */
        if (stat(path, &st) != 0) {
            cli_error("cannot open '%s': %s", path, strerror(errno));
            rc = CLI_EXIT_ERROR;
            continue;
        }
        is_dir = S_ISDIR(st.st_mode);
        if (!is_dir && !S_ISREG(st.st_mode)) {
            cli_error("cannot read '%s': not a regular file or directory", path);
            rc = CLI_EXIT_ERROR;
            continue;
        }
        if (!is_dir && o->shard == 0 && o->manifest_out == NULL) {
            /* the plain sha256sum case: one whole-file digest, no walk */
            bw_digest d;
            uint64_t size = 0;
            struct stat lst;
            char *real = NULL;
            /*
             * A symlink named on the command line is followed, as sha256sum
             * does (stat above already did): hash its target, which the
             * library opens without following links.
             */
            if (lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode) && (real = realpath(path, NULL)) == NULL) {
                cli_error("cannot open '%s': %s", path, strerror(errno));
                rc = CLI_EXIT_ERROR;
                continue;
            }
            s = bw_digest_file(real != NULL ? real : path, o->algo, &d, &size, &e);
            free(real);
            if (s != BW_OK) {
                cli_report_error(&e, s);
                rc = CLI_EXIT_ERROR;
                continue;
            }
            if (cli.format == BW_FORMAT_JSON) {
                json_result(&j, path, "file", NULL, &d, size);
            } else {
                print_line(&d, path);
            }
            if (record(o, path, false, &d, size) != CLI_EXIT_OK) {
                rc = CLI_EXIT_ERROR;
            }
            continue;
        }
        {
            /*
             * --output inside the directory being hashed: leave out the
             * report itself and the temporary file it is being written to
             */
            char *self = is_dir && cli.output != NULL ? path_inside(cli.output, path) : NULL;
            const char **ex = calloc(o->n_excludes + 2, sizeof(*ex));
            char *tmp_pat = NULL;
            if (ex == NULL) {
                free(self);
                cli_error("out of memory");
                rc = CLI_EXIT_ERROR;
                continue;
            }
            memcpy(ex, o->excludes, o->n_excludes * sizeof(*ex));
            mo.excludes = ex;
            mo.n_excludes = o->n_excludes;
            if (self != NULL) {
                char *slash = strrchr(self, '/');
                size_t plen = strlen(self) + 16;
                tmp_pat = malloc(plen);
                if (tmp_pat != NULL) {
                    snprintf(tmp_pat, plen, "%.*s/.%s.tmp.*", (int)(slash - self), self, slash + 1);
                    ex[mo.n_excludes++] = self;
                    ex[mo.n_excludes++] = tmp_pat;
                }
            }
            s = bw_manifest_build(&m, path, &mo, &e);
            mo.excludes = o->excludes;
            mo.n_excludes = o->n_excludes;
            free(ex);
            free(self);
            free(tmp_pat);
        }
        cli_progress_end();
        if (s != BW_OK) {
            cli_report_error(&e, s);
            rc = CLI_EXIT_ERROR;
            continue;
        }
        if (o->manifest_out != NULL) {
            int w = write_manifest_file(o->manifest_out, m);
            if (w != 0) {
                rc = w;
            }
        }
        {
            const bw_digest *rd = !is_dir && m->shard_size == 0 && m->n == 1 ? &m->entries[0].digest : &m->root;
            if (record(o, path, is_dir, rd, m->total_bytes) != CLI_EXIT_OK) {
                rc = CLI_EXIT_ERROR;
            }
        }
        if (cli.format == BW_FORMAT_JSON) {
            /* a file's digest is its content's (or, sharded, the digest over its shards) */
            const bw_digest *d = !is_dir && m->shard_size == 0 && m->n == 1 ? &m->entries[0].digest : &m->root;
            json_result(&j, path, is_dir ? "directory" : "file", m, d, m->total_bytes);
        } else if (!is_dir) {
            /* files mode: the file's own digest, as sha256sum prints it; shards: the digest over them */
            print_line(m->shard_size == 0 && m->n == 1 ? &m->entries[0].digest : &m->root, path);
        } else {
            char *base = trim_slashes(path);
            bw_buf name = BW_BUF_INIT(1 << 20);
            char hex[BW_DIGEST_HEX_MAX], human[32];
            const char *last = NULL;
            for (size_t k = 0; base != NULL && k < m->n; k++) {
                const bw_manifest_entry *ent = &m->entries[k];
                if (last != NULL && strcmp(last, ent->name) == 0) {
                    continue; /* shards of one file: printed once, below */
                }
                last = ent->name;
                bw_buf_reset(&name);
                bw_buf_printf(&name, "%s%s%s", base, strcmp(base, "/") == 0 ? "" : "/", ent->name);
                if (m->shard_size) {
                    /* the digest over this file's shard digests */
                    bw_hasher *h = NULL;
                    bw_digest fd;
                    if (bw_hasher_new(&h, m->algo, NULL) != BW_OK) {
                        continue;
                    }
                    for (size_t q = k; q < m->n && strcmp(m->entries[q].name, ent->name) == 0; q++) {
                        if (bw_hasher_update(h, m->entries[q].digest.bytes, m->entries[q].digest.len) != BW_OK) {
                            break;
                        }
                    }
                    if (bw_hasher_final(h, &fd) == BW_OK && name.ptr != NULL) {
                        print_line(&fd, name.ptr);
                    }
                    bw_hasher_free(h);
                } else if (name.ptr != NULL) {
                    print_line(&ent->digest, name.ptr);
                }
            }
            bw_digest_hex(&m->root, hex);
            cli_note("%s: %zu files, %s, manifest %s:%s", base != NULL ? base : path, m->n_files,
                     cli_human_bytes(m->total_bytes, human, sizeof(human)), bw_algo_name(m->algo), hex);
            bw_buf_release(&name);
            free(base);
        }
        bw_manifest_free(m);
    }
    if (cli.format == BW_FORMAT_JSON) {
        bw_json_arr_end(&j);
        bw_json_obj_end(&j);
        if (bw_json_finish(&j) != BW_OK) {
            cli_error("cannot build the JSON output: %s", bw_strerror(jbuf.err));
            rc = CLI_EXIT_ERROR;
        } else {
            cli_out_write(jbuf.ptr, jbuf.len);
            cli_out_str("\n");
        }
        bw_buf_release(&jbuf);
    }
    return rc;
}

static const char *change_name(bw_change c)
{
    switch (c) {
    case BW_CHANGE_ADDED: return "added";
    case BW_CHANGE_REMOVED: return "removed";
    case BW_CHANGE_MODIFIED: return "modified";
    }
    return "?";
}

static int do_check(struct opts *o, int n, char **paths, bw_pool *pool)
{
    bw_buf raw = BW_BUF_INIT((size_t)512 << 20);
    bw_manifest *expected = NULL, *actual = NULL;
    bw_manifest_opts mo = BW_MANIFEST_OPTS_INIT;
    bw_manifest_diff diff = {0};
    char **excl = NULL, *self_excl = NULL;
    const char **all_excl = NULL;
    size_t n_excl = 0, n_all = 0, counts[3] = {0, 0, 0};
    const char *dir = n > 0 ? paths[0] : NULL;
    char *dir_trim = NULL;
    bw_error e;
    bw_status s;
    int rc = CLI_EXIT_ERROR;

    bw_error_clear(&e);
    if (n > 1) {
        return cli_usage_error("digest", "--check takes one PATH to compare, not %d", n);
    }
    if (o->shard || o->algo != BW_ALGO_SHA256 || o->manifest_out) {
        return cli_usage_error("digest", "--check takes the algorithm and shard size from the manifest");
    }
    s = bw_file_slurp(o->check, BW_FILE_STDIN | BW_FILE_FOLLOW, (size_t)512 << 20, &raw, &e);
    if (s == BW_OK) {
        s = bw_manifest_parse(&expected, raw.ptr != NULL ? raw.ptr : "", raw.len, o->check, &e);
    }
    if (s != BW_OK) {
        cli_report_error(&e, s);
        goto out;
    }
    mo.algo = expected->algo;
    mo.shard_size = expected->shard_size;
    mo.pool = pool;
    if (cli_progress_enabled()) {
        mo.progress = cli_progress;
    }
    if (expected->kind == BW_MANIFEST_SUMS && dir == NULL) {
        s = bw_manifest_rehash(&actual, expected, NULL, &mo, &e);
    } else {
        if (dir == NULL) {
            dir = ".";
        }
        if (expected->kind == BW_MANIFEST_STATEMENT) {
            s = bw_manifest_excludes(expected, &excl, &n_excl, &e);
            if (s != BW_OK) {
                cli_report_error(&e, s);
                goto out;
            }
            mo.no_default_ignores = 1; /* the manifest's ignore_paths say what was left out */
        }
        all_excl = calloc(n_excl + o->n_excludes + 2, sizeof(*all_excl));
        if (all_excl == NULL) {
            cli_error("out of memory");
            goto out;
        }
        for (size_t i = 0; i < n_excl; i++) {
            all_excl[n_all++] = excl[i];
        }
        for (size_t i = 0; i < o->n_excludes; i++) {
            all_excl[n_all++] = o->excludes[i];
        }
        /* a manifest or signature kept inside the directory it describes is not part of it */
        self_excl = path_inside(o->check, dir);
        if (self_excl != NULL) {
            all_excl[n_all++] = self_excl;
        }
        mo.excludes = all_excl;
        mo.n_excludes = n_all;
        s = bw_manifest_build(&actual, dir, &mo, &e);
        if (s == BW_OK && expected->kind == BW_MANIFEST_SUMS) {
            dir_trim = trim_slashes(dir);
            s = dir_trim == NULL ? BW_ENOMEM : bw_manifest_prefix_names(actual, dir_trim, &e);
        }
    }
    cli_progress_end();
    if (s != BW_OK) {
        cli_report_error(&e, s);
        goto out;
    }
    s = bw_manifest_compare(expected, actual, &diff, &e);
    if (s != BW_OK) {
        cli_report_error(&e, s);
        goto out;
    }
    for (size_t i = 0; i < diff.n; i++) {
        counts[diff.items[i].kind]++;
    }
    if (cli.format == BW_FORMAT_JSON) {
        bw_buf jb = BW_BUF_INIT(SIZE_MAX / 2);
        bw_json j;
        bw_json_init(&j, &jb, 1);
        bw_json_obj_begin(&j);
        bw_json_kv_str(&j, "manifest", o->check);
        bw_json_kv_str(&j, "path", dir != NULL ? dir : NULL);
        bw_json_key(&j, "ok");
        bw_json_bool(&j, diff.n == 0);
        bw_json_key(&j, "unchanged");
        bw_json_uint(&j, diff.n_same);
        for (int k = 0; k < 3; k++) {
            bw_json_key(&j, change_name((bw_change)k));
            bw_json_arr_begin(&j);
            for (size_t i = 0; i < diff.n; i++) {
                if ((int)diff.items[i].kind == k) {
                    bw_json_str(&j, diff.items[i].name);
                }
            }
            bw_json_arr_end(&j);
        }
        bw_json_obj_end(&j);
        if (bw_json_finish(&j) == BW_OK) {
            cli_out_write(jb.ptr, jb.len);
            cli_out_str("\n");
        }
        bw_buf_release(&jb);
    } else {
        for (size_t i = 0; i < diff.n; i++) {
            const char *label = change_name(diff.items[i].kind);
            if (cli.color) {
                const char *col = diff.items[i].kind == BW_CHANGE_ADDED     ? "\033[32m"
                                  : diff.items[i].kind == BW_CHANGE_REMOVED ? "\033[31m"
                                                                            : "\033[33m";
                cli_out_printf("%s%-8s\033[0m  %s\n", col, label, diff.items[i].name);
            } else {
                cli_out_printf("%-8s  %s\n", label, diff.items[i].name);
            }
        }
        cli_out_printf("%s: %zu unchanged, %zu modified, %zu added, %zu removed\n", diff.n == 0 ? "OK" : "FAILED",
                       diff.n_same, counts[BW_CHANGE_MODIFIED], counts[BW_CHANGE_ADDED], counts[BW_CHANGE_REMOVED]);
    }
    rc = diff.n == 0 ? CLI_EXIT_OK : CLI_EXIT_FINDINGS;
out:
    bw_manifest_diff_release(&diff);
    bw_manifest_free(expected);
    bw_manifest_free(actual);
    bw_free(excl);
    free(all_excl);
    free(self_excl);
    free(dir_trim);
    bw_buf_release(&raw);
    return rc;
}

int cmd_digest(int argc, char **argv)
{
    static const struct option longopts[] = {
        CLI_GLOBAL_LONGOPTS,
        {"algo", required_argument, NULL, 'a'},
        {"shard", required_argument, NULL, 0x2001},
        {"manifest", required_argument, NULL, 'm'},
        {"check", required_argument, NULL, 'c'},
        {"exclude", required_argument, NULL, 'e'},
        {"no-default-ignores", no_argument, NULL, 0x2002},
        {"record", no_argument, NULL, 0x2003},
        {"ledger", required_argument, NULL, 0x2004},
        {NULL, 0, NULL, 0},
    };
    struct opts o = {.algo = BW_ALGO_SHA256};
    const char *ledger = NULL;
    bw_pool *pool = NULL;
    bw_error e;
    int c, rc;

    o.excludes = calloc((size_t)argc + 1, sizeof(*o.excludes));
    if (o.excludes == NULL) {
        cli_error("out of memory");
        return CLI_EXIT_ERROR;
    }
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":" CLI_GLOBAL_SHORTOPTS "a:m:c:e:", longopts, NULL)) != -1) {
        int g = cli_global_option(c, optarg);
        if (g < 0) {
            rc = CLI_EXIT_USAGE;
            goto out;
        }
        if (g > 0) {
            continue;
        }
        switch (c) {
        case 'h':
            free(o.excludes);
            cli_out_str(cmd_digest_usage);
            return cli_out_close();
        case 'a':
            if (bw_algo_parse(optarg, &o.algo) != BW_OK) {
                rc = cli_usage_error("digest", "unknown algorithm '%s' (expected sha256 or blake2b)", optarg);
                goto out;
            }
            break;
        case 0x2001:
            if (cli_parse_size(optarg, &o.shard) != 0 || o.shard == 0) {
                rc = cli_usage_error("digest", "--shard expects a positive size such as 1G or 65536, not '%s'", optarg);
                goto out;
            }
            break;
        case 'm': o.manifest_out = optarg; break;
        case 'c': o.check = optarg; break;
        case 'e': o.excludes[o.n_excludes++] = optarg; break;
        case 0x2002: o.no_default_ignores = 1; break;
        case 0x2003: o.record = true; break;
        case 0x2004: ledger = optarg; break;
        case ':': rc = cli_usage_error("digest", "option '%s' needs a value", argv[optind - 1]); goto out;
        default: rc = cli_usage_error("digest", "unknown option '%s'", argv[optind - 1]); goto out;
        }
    }
    cli_resolve_color();
    argc -= optind;
    argv += optind;
    if (cli.format == BW_FORMAT_SARIF) {
        rc = cli_usage_error("digest", "--format sarif does not apply: digests are not findings (use text or json)");
        goto out;
    }
    if (o.check == NULL && argc == 0) {
        rc = cli_usage_error("digest", "no PATH given");
        goto out;
    }
    if (ledger != NULL && !o.record) {
        rc = cli_usage_error("digest", "--ledger names where --record records: give --record too");
        goto out;
    }
    cli_ledger_use(ledger, NULL);
    if (o.record && (o.check != NULL || o.algo != BW_ALGO_SHA256)) {
        rc = cli_usage_error("digest", "--record takes SHA-256 digests (no --check, no -a blake2b)");
        goto out;
    }
    if (o.manifest_out != NULL && argc != 1) {
        rc = cli_usage_error("digest", "--manifest writes the manifest of exactly one PATH");
        goto out;
    }
    rc = cli_out_open();
    if (rc != 0) {
        goto out;
    }
    bw_error_clear(&e);
    if (bw_pool_new(&pool, cli.jobs, &e) != BW_OK) {
        cli_report_error(&e, e.code);
        rc = CLI_EXIT_ERROR;
        goto out;
    }
    rc = o.check != NULL ? do_check(&o, argc, argv, pool) : do_digest(&o, argc, argv, pool);
    rc = cli_out_finish(rc);
out:
    bw_pool_free(pool);
    free(o.excludes);
    return rc;
}

/*
 * The digest bulwark records for a path, as `digest --record` records it (a file by its SHA-256, a
 * directory by its manifest digest): 0 with key "sha256:HEX" and *size (may be NULL) its bytes, or an
 * exit code after a message.
 */
int cli_path_digest(const char *path, bool dir, char key[8 + BW_DIGEST_HEX_MAX], uint64_t *size)
{
    bw_error e = {0};
    bw_status s;
    bw_digest d;
    char hex[BW_DIGEST_HEX_MAX];

    uint64_t bytes = 0;
    if (!dir) {
        char *real = realpath(path, NULL); /* a symlink named on the command line is followed, as digest does */
        s = bw_digest_file(real != NULL ? real : path, BW_ALGO_SHA256, &d, &bytes, &e);
        free(real);
    } else {
        bw_manifest_opts mo = BW_MANIFEST_OPTS_INIT;
        bw_manifest *m = NULL;
        mo.algo = BW_ALGO_SHA256;
        s = bw_manifest_build(&m, path, &mo, &e);
        if (s == BW_OK) {
            d = m->root;
            bytes = m->total_bytes;
        }
        bw_manifest_free(m);
    }
    if (s != BW_OK) {
        cli_report_error(&e, s);
        return CLI_EXIT_ERROR;
    }
    bw_digest_hex(&d, hex);
    snprintf(key, 8 + BW_DIGEST_HEX_MAX, "sha256:%s", hex);
    if (size != NULL) {
        *size = bytes;
    }
    return 0;
}
