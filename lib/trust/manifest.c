/*
 * manifest.c - building, serialising and comparing manifests (bw_digest.h).
 *
 * Building: the walk lists the files (sorted by path components); each file
 * becomes one work item in files mode, or ceil(size / shard_size) items in
 * shard mode, and the pool hashes items in parallel. Every item opens its
 * file on its own, checks the size still matches what the walk saw, hashes
 * its byte range with pread, and checks the file did not change meanwhile.
 * Items keep the walk's order, so the manifest is deterministic whatever
 * the thread count. The root digest is the hash of the concatenated raw
 * item digests, as model_signing computes its subject digest.
 *
 * Comparing: both manifests are sorted; a merge walks them file by file
 * (all shards of one file compare as one) and yields added, removed and
 * modified names.
 */
#include <errno.h>
#include <libgen.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include "trust/digest_internal.h"
#include "trust/manifest_internal.h"
#include "util/internal.h"

static const char *const default_ignores[] = {".git", ".gitattributes", ".github", ".gitignore"};

enum { WORK_CHUNK = 1 << 20 };

struct work_file {
    const char *path; /* to open */
    const char *name; /* relative name in the manifest */
    uint64_t size;
};

struct work_item {
    size_t file;
    uint64_t start;
    uint64_t end;
    bw_digest digest;
    bw_stat_tuple st; /* of the file after its range was read */
};

struct job {
    const struct work_file *files;
    struct work_item *items;
    size_t n_items;
    int shard_mode;
    bw_algo algo;
    unsigned n_workers;
    uint8_t **bufs;
    bw_hasher **hashers;
    bw_digest_progress prog;
    pthread_mutex_t mu;
    bw_status rc;
    bw_error err;
};

static int hash_item(void *ctx, size_t i, unsigned worker)
{
    struct job *j = ctx;
    struct work_item *it = &j->items[i];
    const struct work_file *wf = &j->files[it->file];
    bw_error err;
    bw_file *f = NULL;
    bw_status rc;

    bw_error_clear(&err);
    if (j->bufs[worker] == NULL) {
        j->bufs[worker] = bw_malloc(WORK_CHUNK);
        if (j->bufs[worker] == NULL) {
            rc = bw_fail(&err, BW_ENOMEM, "out of memory");
            goto out;
        }
    }
    if (j->hashers[worker] == NULL) {
        rc = bw_hasher_new(&j->hashers[worker], j->algo, &err);
        if (rc != BW_OK) {
            goto out;
        }
    }
    rc = bw_file_open(&f, wf->path, 0, &err);
    if (rc != BW_OK) {
        goto out;
    }
    if (bw_file_info(f)->size != wf->size) {
        char esc[200];
        bw_escape_for_log(wf->path, strlen(wf->path), esc, sizeof(esc));
        rc = bw_fail(&err, BW_ECHANGED, "'%s' changed while being read: size was %llu, now %llu", esc,
                     (unsigned long long)wf->size, (unsigned long long)bw_file_info(f)->size);
        goto out;
    }
    rc = bw_digest_range(f, j->hashers[worker], it->start, it->end - it->start, j->bufs[worker], WORK_CHUNK, &j->prog,
                         &it->digest, &err);
    if (rc != BW_OK) {
        goto out;
    }
    rc = bw_file_check_unchanged(f, &err);
    if (rc == BW_OK) {
        struct stat st;
        if (fstat(bw_file_fd(f), &st) == 0) {
            bw_stat_tuple_of(&st, &it->st);
        }
    }
out:
    bw_file_close(f);
    if (rc != BW_OK) {
        pthread_mutex_lock(&j->mu);
        if (j->rc == BW_OK) {
            j->rc = rc;
            j->err = err;
        }
        pthread_mutex_unlock(&j->mu);
        return 1;
    }
    return 0;
}

void bw_manifest_free(bw_manifest *m)
{
    if (m == NULL) {
        return;
    }
    for (size_t i = 0; i < m->n; i++) {
        bw_free(m->entries[i].name);
    }
    for (size_t i = 0; i < m->n_ignore; i++) {
        bw_free(m->ignore_paths[i]);
    }
    bw_free(m->entries);
    bw_free(m->ignore_paths);
    bw_free(m->name);
    bw_free(m);
}

bw_status bw_manifest_finish(bw_manifest *m, bw_error *err)
{
    bw_hasher *h = NULL;
    const char *last = NULL;
    bw_status rc;

    rc = bw_hasher_new(&h, m->algo, err);
    if (rc != BW_OK) {
        return rc;
    }
    m->total_bytes = 0;
    m->n_files = 0;
    for (size_t i = 0; i < m->n; i++) {
        const bw_manifest_entry *e = &m->entries[i];
        if (bw_hasher_update(h, e->digest.bytes, e->digest.len) != BW_OK) {
            rc = bw_fail(err, BW_ENOMEM, "digest update failed");
            goto out;
        }
        if (last == NULL || strcmp(last, e->name) != 0) {
            m->n_files++;
            if (e->size != BW_SIZE_UNKNOWN) {
                m->total_bytes += e->size;
            }
        }
        last = e->name;
    }
    if (bw_hasher_final(h, &m->root) != BW_OK) {
        rc = bw_fail(err, BW_ENOMEM, "digest failed");
    }
out:
    bw_hasher_free(h);
    return rc;
}

void bw_manifest_hook_release(bw_manifest_hook *h)
{
    for (size_t i = 0; h->names != NULL && i < h->n_files; i++) {
        bw_free(h->names[i]);
    }
    BW_FREE(h->names);
    BW_FREE(h->tuples);
    BW_FREE(h->reused);
    h->n_files = 0;
}

/*
 * Hash `files` into a new manifest's entries, in order. With a hook, files
 * it vouches for take their entries from it and are not read.
 */
static bw_status hash_files(bw_manifest *m, const struct work_file *files, size_t n_files, const bw_manifest_opts *o,
                            bw_manifest_hook *hook, bw_error *err)
{
    struct job j;
    size_t n_items = 0, n_entries = 0;
    uint64_t total = 0;
    const bw_manifest_entry **given = NULL;
    size_t *n_given = NULL;
    bw_status rc = BW_OK;

    memset(&j, 0, sizeof(j));
    pthread_mutex_init(&j.mu, NULL);
    if (hook != NULL) {
        hook->names = bw_calloc(n_files + 1, sizeof(*hook->names));
        hook->tuples = bw_calloc(n_files + 1, sizeof(*hook->tuples));
        hook->reused = bw_calloc(n_files + 1, sizeof(*hook->reused));
        given = bw_calloc(n_files + 1, sizeof(*given));
        n_given = bw_calloc(n_files + 1, sizeof(*n_given));
        if (hook->names == NULL || hook->tuples == NULL || hook->reused == NULL || given == NULL || n_given == NULL) {
            rc = bw_fail(err, BW_ENOMEM, "out of memory");
            goto out;
        }
        hook->n_files = n_files;
        for (size_t i = 0; i < n_files; i++) {
            if ((hook->names[i] = bw_strdup(files[i].name)) == NULL) {
                rc = bw_fail(err, BW_ENOMEM, "out of memory");
                goto out;
            }
            n_given[i] =
                hook->reuse(hook->ud, files[i].name, files[i].path, files[i].size, &given[i], &hook->tuples[i]);
            hook->reused[i] = n_given[i] > 0;
            if (n_given[i] > 0) {
                hook->files_reused++;
                hook->bytes_reused += files[i].size;
            } else {
                hook->files_hashed++;
                hook->bytes_hashed += files[i].size;
            }
        }
    }
    for (size_t i = 0; i < n_files; i++) {
        uint64_t k = 1;
        if (n_given != NULL && n_given[i] > 0) {
            if (n_given[i] > SIZE_MAX - n_entries) {
                rc = bw_fail(err, BW_ELIMIT, "too many shards");
                goto out;
            }
            n_entries += n_given[i];
            continue;
        }
        if (m->shard_size > 0) {
            k = files[i].size / m->shard_size + (files[i].size % m->shard_size != 0);
        }
        if (k > SIZE_MAX - n_items) {
            rc = bw_fail(err, BW_ELIMIT, "too many shards");
            goto out;
        }
        n_items += (size_t)k;
        total += files[i].size;
    }
    if (n_items > SIZE_MAX - n_entries) {
        rc = bw_fail(err, BW_ELIMIT, "too many shards");
        goto out;
    }
    n_entries += n_items;
    j.items = bw_calloc(n_items + 1, sizeof(*j.items));
    j.n_workers = bw_pool_size(o->pool);
    j.bufs = bw_calloc(j.n_workers, sizeof(*j.bufs));
    j.hashers = bw_calloc(j.n_workers, sizeof(*j.hashers));
    m->entries = bw_calloc(n_entries + 1, sizeof(*m->entries));
    if (j.items == NULL || j.bufs == NULL || j.hashers == NULL || m->entries == NULL) {
        rc = bw_fail(err, BW_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0, k = 0; i < n_files; i++) {
        if (n_given != NULL && n_given[i] > 0) {
            continue;
        }
        if (m->shard_size == 0) {
            j.items[k++] = (struct work_item){.file = i, .start = 0, .end = files[i].size};
            continue;
        }
        for (uint64_t s = 0; s < files[i].size; s += m->shard_size) {
            uint64_t e = files[i].size - s < m->shard_size ? files[i].size : s + m->shard_size;
            j.items[k++] = (struct work_item){.file = i, .start = s, .end = e};
        }
    }
    j.files = files;
    j.n_items = n_items;
    j.shard_mode = m->shard_size > 0;
    j.algo = m->algo;
    j.prog.fn = o->progress;
    j.prog.ud = o->progress_ud;
    j.prog.what = "hashing";
    j.prog.total = total;
    BW_LOG(BW_LOG_INFO, "digest", "hashing %zu files (%llu bytes, %zu work items) on %u threads", n_files,
           (unsigned long long)total, n_items, j.n_workers);
    rc = bw_pool_for(o->pool, n_items, hash_item, &j);
    if (j.rc != BW_OK) {
        rc = j.rc;
        if (err != NULL) {
            *err = j.err;
        }
        goto out;
    }
    if (rc != BW_OK) {
        rc = bw_fail(err, rc, "hashing stopped: %s", bw_strerror(rc));
        goto out;
    }
    if (o->progress != NULL) {
        o->progress(o->progress_ud, "hashing", total, total);
    }
    /* entries in file order: a reused file's from the hook, a hashed file's from its items */
    for (size_t i = 0, k = 0; i < n_files; i++) {
        size_t first = k;
        bool st_ok = true;
        if (n_given != NULL && n_given[i] > 0) {
            for (size_t g = 0; g < n_given[i]; g++) {
                bw_manifest_entry *e = &m->entries[m->n];
                if ((e->name = bw_strdup(files[i].name)) == NULL) {
                    rc = bw_fail(err, BW_ENOMEM, "out of memory");
                    goto out;
                }
                e->size = files[i].size;
                e->start = m->shard_size ? given[i][g].start : 0;
                e->end = m->shard_size ? given[i][g].end : 0;
                e->digest = given[i][g].digest;
                m->n++;
            }
            continue;
        }
        for (; k < n_items && j.items[k].file == i; k++) {
            bw_manifest_entry *e = &m->entries[m->n];
            e->name = bw_strdup(files[i].name);
            if (e->name == NULL) {
                rc = bw_fail(err, BW_ENOMEM, "out of memory");
                goto out;
            }
            e->size = files[i].size;
            e->start = m->shard_size ? j.items[k].start : 0;
            e->end = m->shard_size ? j.items[k].end : 0;
            e->digest = j.items[k].digest;
            m->n++;
            st_ok = st_ok && j.items[k].st.valid && bw_stat_tuple_equal(&j.items[k].st, &j.items[first].st);
        }
        if (hook != NULL) {
            /* the tuple of the bytes hashed: only when every shard saw the same file */
            if (st_ok && k > first) {
                hook->tuples[i] = j.items[first].st;
            } else {
                memset(&hook->tuples[i], 0, sizeof(hook->tuples[i]));
            }
        }
    }
    rc = bw_manifest_finish(m, err);
out:
    for (unsigned w = 0; j.bufs != NULL && w < j.n_workers; w++) {
        bw_free(j.bufs[w]);
    }
    for (unsigned w = 0; j.hashers != NULL && w < j.n_workers; w++) {
        bw_hasher_free(j.hashers[w]);
    }
    bw_free(j.bufs);
    bw_free(j.hashers);
    bw_free(j.items);
    bw_free(given);
    bw_free(n_given);
    pthread_mutex_destroy(&j.mu);
    return rc;
}

static char *base_name(const char *path)
{
    char *copy = bw_strdup(path), *res = NULL, *abs = NULL;
    size_t n;

    if (copy == NULL) {
        return NULL;
    }
    n = strlen(copy);
    while (n > 1 && copy[n - 1] == '/') {
        copy[--n] = '\0';
    }
    if (strcmp(copy, ".") == 0 || strcmp(copy, "..") == 0 || strcmp(basename(copy), "..") == 0 ||
        strcmp(basename(copy), ".") == 0) {
        abs = realpath(copy, NULL);
        res = bw_strdup(abs != NULL ? basename(abs) : copy);
        free(abs); /* from libc realpath */
    } else {
        res = bw_strdup(basename(copy));
    }
    bw_free(copy);
    return res;
}

bw_status bw_manifest_build(bw_manifest **out, const char *path, const bw_manifest_opts *opts, bw_error *err)
{
    return bw_manifest_build_hooked(out, path, opts, NULL, err);
}

bw_status bw_manifest_build_hooked(bw_manifest **out, const char *path, const bw_manifest_opts *opts,
                                   bw_manifest_hook *hook, bw_error *err)
{
    bw_manifest_opts defaults = BW_MANIFEST_OPTS_INIT;
    const bw_manifest_opts *o = opts != NULL ? opts : &defaults;
    bw_walk_opts wo = BW_WALK_OPTS_INIT;
    bw_walk_list list = {0};
    bw_manifest *m = NULL;
    struct work_file *files = NULL;
    const char **excl = NULL;
    size_t n_excl = 0;
    bw_status rc;

    *out = NULL;
    m = bw_calloc(1, sizeof(*m));
    if (m == NULL) {
        return bw_fail(err, BW_ENOMEM, "out of memory");
    }
    m->kind = BW_MANIFEST_STATEMENT;
    m->algo = o->algo;
    m->shard_size = o->shard_size;
    m->name = base_name(path);
    excl = bw_calloc(BW_ARRAY_LEN(default_ignores) + 1 + o->n_excludes, sizeof(*excl));
    m->ignore_paths = bw_calloc(BW_ARRAY_LEN(default_ignores) + 1 + o->n_excludes, sizeof(char *));
    if (m->name == NULL || excl == NULL || m->ignore_paths == NULL) {
        rc = bw_fail(err, BW_ENOMEM, "out of memory");
        goto out;
    }
    /* model_signing records ignored paths relative to the model root; so do we */
    for (size_t i = 0; i < o->n_excludes; i++) {
        excl[n_excl++] = o->excludes[i];
        if ((m->ignore_paths[m->n_ignore] = bw_strdup(o->excludes[i])) == NULL) {
            rc = bw_fail(err, BW_ENOMEM, "out of memory");
            goto out;
        }
        m->n_ignore++;
    }
    if (!o->no_default_ignores) {
        static const char *const anchored[] = {"/.git", "/.gitattributes", "/.github", "/.gitignore"};
        for (size_t i = 0; i < BW_ARRAY_LEN(default_ignores); i++) {
            excl[n_excl++] = anchored[i];
            if ((m->ignore_paths[m->n_ignore] = bw_strdup(default_ignores[i])) == NULL) {
                rc = bw_fail(err, BW_ENOMEM, "out of memory");
                goto out;
            }
            m->n_ignore++;
        }
        /* bulwark's own state (keys, the ledger) at the top of a directory is not its content: left
           out and recorded, only when it is there (so other manifests stay model_signing's bytes) */
        struct stat st;
        size_t pl = strlen(path);
        char *state = bw_malloc(pl + sizeof("/.bulwark"));
        if (state == NULL) {
            rc = bw_fail(err, BW_ENOMEM, "out of memory");
            goto out;
        }
        memcpy(state, path, pl);
        memcpy(state + pl, "/.bulwark", sizeof("/.bulwark"));
        bool here = lstat(state, &st) == 0 && S_ISDIR(st.st_mode);
        bw_free(state);
        if (here) {
            excl[n_excl++] = "/.bulwark";
            if ((m->ignore_paths[m->n_ignore] = bw_strdup(".bulwark")) == NULL) {
                rc = bw_fail(err, BW_ENOMEM, "out of memory");
                goto out;
            }
            m->n_ignore++;
        }
    }
    wo.flags = 0; /* a manifest covers every file: ignore files do not apply */
    wo.excludes = excl;
    wo.n_excludes = n_excl;
    rc = bw_walk(path, &wo, &list, err);
    if (rc != BW_OK) {
        goto out;
    }
    files = bw_calloc(list.n, sizeof(*files));
    if (files == NULL) {
        rc = bw_fail(err, BW_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < list.n; i++) {
        m->allow_symlinks |= list.entries[i].via_symlink != 0;
        files[i].path = list.entries[i].path;
        files[i].name = list.entries[i].rel;
        files[i].size = list.entries[i].size;
    }
    rc = hash_files(m, files, list.n, o, hook, err);
    if (rc != BW_OK) {
        goto out;
    }
    *out = m;
    m = NULL;
out:
    bw_free(files);
    bw_free(excl);
    bw_walk_list_release(&list);
    bw_manifest_free(m);
    return rc;
}

bw_status bw_manifest_rehash(bw_manifest **out, const bw_manifest *expected, const char *base,
                             const bw_manifest_opts *opts, bw_error *err)
{
    bw_manifest_opts defaults = BW_MANIFEST_OPTS_INIT;
    const bw_manifest_opts *o = opts != NULL ? opts : &defaults;
    bw_manifest *m = NULL;
    struct work_file *files = NULL;
    char **paths = NULL;
    size_t n_files = 0;
    bw_status rc = BW_OK;

    *out = NULL;
    m = bw_calloc(1, sizeof(*m));
    files = bw_calloc(expected->n, sizeof(*files));
    paths = bw_calloc(expected->n, sizeof(*paths));
    if (m == NULL || files == NULL || paths == NULL ||
        (m->name = bw_strdup(expected->name != NULL ? expected->name : "")) == NULL) {
        rc = bw_fail(err, BW_ENOMEM, "out of memory");
        goto out;
    }
    m->kind = expected->kind;
    m->algo = expected->algo;
    m->shard_size = expected->shard_size;
    for (size_t i = 0; i < expected->n; i++) {
        const char *name = expected->entries[i].name;
        bw_buf p = BW_BUF_INIT(1 << 16);
        struct stat st;
        if (n_files > 0 && strcmp(files[n_files - 1].name, name) == 0) {
            continue; /* another shard of the same file */
        }
        if (base != NULL && strcmp(name, ".") != 0) {
            bw_buf_printf(&p, "%s/%s", base, name);
        } else {
            bw_buf_addstr(&p, base != NULL ? base : name);
        }
        rc = bw_buf_take(&p, &paths[n_files], NULL);
        if (rc != BW_OK) {
            rc = bw_fail(err, rc, "path too long");
            goto out;
        }
        if (lstat(paths[n_files], &st) != 0) {
            if (errno == ENOENT || errno == ENOTDIR) {
                BW_FREE(paths[n_files]);
                continue; /* removed: compare will say so */
            }
            rc = bw_fail_errno(err, errno, "cannot stat", paths[n_files]);
            goto out;
        }
        files[n_files].path = paths[n_files];
        files[n_files].name = name;
        files[n_files].size = S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
        n_files++;
    }
    rc = hash_files(m, files, n_files, o, NULL, err);
    if (rc != BW_OK) {
        goto out;
    }
    *out = m;
    m = NULL;
out:
    for (size_t i = 0; paths != NULL && i < expected->n; i++) {
        bw_free(paths[i]);
    }
    bw_free(paths);
    bw_free(files);
    bw_manifest_free(m);
    return rc;
}

bw_status bw_manifest_prefix_names(bw_manifest *m, const char *prefix, bw_error *err)
{
    for (size_t i = 0; i < m->n; i++) {
        bw_buf b = BW_BUF_INIT(1 << 16);
        char *name;
        if (strcmp(m->entries[i].name, ".") == 0) {
            bw_buf_addstr(&b, prefix);
        } else {
            bw_buf_printf(&b, "%s/%s", prefix, m->entries[i].name);
        }
        if (bw_buf_take(&b, &name, NULL) != BW_OK) {
            return bw_fail(err, BW_ENOMEM, "out of memory");
        }
        bw_free(m->entries[i].name);
        m->entries[i].name = name;
    }
    return BW_OK;
}

bw_status bw_manifest_excludes(const bw_manifest *m, char ***out, size_t *n, bw_error *err)
{
    size_t bytes = (m->n_ignore + 1) * sizeof(char *);
    char **v, *p;

    *out = NULL;
    *n = 0;
    for (size_t i = 0; i < m->n_ignore; i++) {
        bytes += strlen(m->ignore_paths[i]) + 2;
    }
    v = bw_malloc(bytes);
    if (v == NULL) {
        return bw_fail(err, BW_ENOMEM, "out of memory");
    }
    p = (char *)(v + m->n_ignore + 1);
    for (size_t i = 0; i < m->n_ignore; i++) {
        const char *s = m->ignore_paths[i];
        size_t len = strlen(s);
        v[i] = p;
        if (strpbrk(s, "*?[") == NULL && s[0] != '/') {
            *p++ = '/';
        }
        memcpy(p, s, len + 1);
        p += len + 1;
    }
    v[m->n_ignore] = NULL;
    *out = v;
    *n = m->n_ignore;
    return BW_OK;
}

/* [i, end) is the run of entries with the same name as entries[i] */
static size_t run_end(const bw_manifest *m, size_t i)
{
    size_t k = i + 1;
    while (k < m->n && strcmp(m->entries[k].name, m->entries[i].name) == 0) {
        k++;
    }
    return k;
}

static bool runs_equal(const bw_manifest *a, size_t ai, size_t ae, const bw_manifest *b, size_t bi, size_t be)
{
    if (ae - ai != be - bi) {
        return false;
    }
    for (size_t k = 0; k < ae - ai; k++) {
        const bw_manifest_entry *x = &a->entries[ai + k], *y = &b->entries[bi + k];
        if (x->start != y->start || x->end != y->end || !bw_digest_equal(&x->digest, &y->digest)) {
            return false;
        }
        if (x->size != BW_SIZE_UNKNOWN && y->size != BW_SIZE_UNKNOWN && x->size != y->size) {
            return false;
        }
    }
    return true;
}

bw_status bw_manifest_compare(const bw_manifest *expected, const bw_manifest *actual, bw_manifest_diff *out,
                              bw_error *err)
{
    size_t i = 0, k = 0, cap = 0;

    memset(out, 0, sizeof(*out));
    if (expected->algo != actual->algo || expected->shard_size != actual->shard_size) {
        return bw_fail(err, BW_EINVAL, "cannot compare a %s manifest with a %s one", bw_algo_name(expected->algo),
                       bw_algo_name(actual->algo));
    }
    while (i < expected->n || k < actual->n) {
        int c;
        size_t ie = i < expected->n ? run_end(expected, i) : i;
        size_t ke = k < actual->n ? run_end(actual, k) : k;
        bw_manifest_change ch;

        if (i >= expected->n) {
            c = 1;
        } else if (k >= actual->n) {
            c = -1;
        } else {
            c = bw_path_cmp(expected->entries[i].name, actual->entries[k].name);
        }
        if (c == 0 && runs_equal(expected, i, ie, actual, k, ke)) {
            out->n_same++;
            i = ie;
            k = ke;
            continue;
        }
        if (c < 0) {
            ch = (bw_manifest_change){BW_CHANGE_REMOVED, expected->entries[i].name};
            i = ie;
        } else if (c > 0) {
            ch = (bw_manifest_change){BW_CHANGE_ADDED, actual->entries[k].name};
            k = ke;
        } else {
            ch = (bw_manifest_change){BW_CHANGE_MODIFIED, actual->entries[k].name};
            i = ie;
            k = ke;
        }
        if (out->n == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            bw_manifest_change *p = bw_reallocarray(out->items, ncap, sizeof(*p));
            if (p == NULL) {
                bw_manifest_diff_release(out);
                return bw_fail(err, BW_ENOMEM, "out of memory");
            }
            out->items = p;
            cap = ncap;
        }
        out->items[out->n++] = ch;
    }
    return BW_OK;
}

void bw_manifest_diff_release(bw_manifest_diff *d)
{
    BW_FREE(d->items);
    d->n = 0;
    d->n_same = 0;
}

bw_status bw_manifest_write_json(const bw_manifest *m, bw_buf *out)
{
    bw_json j;

    /*
     * JSON strings are Unicode: a file name that is not UTF-8 cannot be
     * recorded faithfully, and a lossy name would later read as "removed"
     * plus "added". Refuse instead (sha256sum-style text output still works).
     */
    for (size_t i = 0; i < m->n; i++) {
        const char *name = m->entries[i].name;
        size_t len = strlen(name);
        bool utf8 = bw_utf8_valid(name, len);
        if (!utf8 || !bw_manifest_name_ok(name, len)) {
            /* a sums file may say "../x" or "a//b"; a statement may not (and its reader would refuse it) */
            char esc[200];
            bw_escape_for_log(name, len, esc, sizeof(esc));
            BW_WARN("manifest", "file name '%s' %s and cannot be written to a JSON manifest", esc,
                    utf8 ? "is not a plain relative path" : "is not valid UTF-8");
            return BW_EUNSUPPORTED;
        }
    }
    for (size_t i = 0; i < m->n_ignore; i++) {
        if (!bw_utf8_valid(m->ignore_paths[i], strlen(m->ignore_paths[i]))) {
            return BW_EUNSUPPORTED;
        }
    }
    if (m->name != NULL && !bw_utf8_valid(m->name, strlen(m->name))) {
        return BW_EUNSUPPORTED;
    }
    bw_json_init(&j, out, 1);
    bw_manifest_json(m, &j);
    BW_TRY(bw_json_finish(&j));
    return bw_buf_addc(out, '\n');
}

void bw_manifest_json(const bw_manifest *m, bw_json *jw)
{
    bw_json *j = jw; /* the statement, as model_signing lays it out */
    char hex[BW_DIGEST_HEX_MAX];
    char algo[64];

    bw_json_obj_begin(j);
    bw_json_kv_str(j, "_type", BW_INTOTO_STATEMENT_V1);
    bw_json_key(j, "subject");
    bw_json_arr_begin(j);
    bw_json_obj_begin(j);
    bw_json_kv_str(j, "name", m->name != NULL ? m->name : "");
    bw_json_key(j, "digest");
    bw_json_obj_begin(j);
    bw_digest_hex(&m->root, hex);
    bw_json_kv_str(j, bw_algo_name(m->algo), hex);
    bw_json_obj_end(j);
    bw_json_obj_end(j);
    bw_json_arr_end(j);
    bw_json_kv_str(j, "predicateType", BW_OMS_PREDICATE_V1);
    bw_json_key(j, "predicate");
    bw_json_obj_begin(j);
    bw_json_key(j, "serialization");
    bw_json_obj_begin(j);
    bw_json_kv_str(j, "method", m->shard_size ? "shards" : "files");
    bw_json_kv_str(j, "hash_type", bw_algo_name(m->algo));
    bw_json_key(j, "allow_symlinks");
    bw_json_bool(j, m->allow_symlinks);
    if (m->shard_size) {
        bw_json_key(j, "shard_size");
        bw_json_uint(j, m->shard_size);
    }
    bw_json_key(j, "ignore_paths");
    bw_json_arr_begin(j);
    for (size_t i = 0; i < m->n_ignore; i++) {
        bw_json_str(j, m->ignore_paths[i]);
    }
    bw_json_arr_end(j);
    bw_json_obj_end(j);
    bw_json_key(j, "resources");
    bw_json_arr_begin(j);
    if (m->shard_size) {
        snprintf(algo, sizeof(algo), "%s-sharded-%llu", bw_algo_name(m->algo), (unsigned long long)m->shard_size);
    } else {
        snprintf(algo, sizeof(algo), "%s", bw_algo_name(m->algo));
    }
    for (size_t i = 0; i < m->n; i++) {
        const bw_manifest_entry *e = &m->entries[i];
        bw_json_obj_begin(j);
        bw_json_kv_str(j, "algorithm", algo);
        bw_digest_hex(&e->digest, hex);
        bw_json_kv_str(j, "digest", hex);
        if (m->shard_size) {
            bw_buf name = BW_BUF_INIT(1 << 16);
            bw_buf_printf(&name, "%s:%llu:%llu", e->name, (unsigned long long)e->start, (unsigned long long)e->end);
            bw_json_key(j, "name");
            bw_json_strn(j, name.ptr != NULL ? name.ptr : "", name.len);
            bw_buf_release(&name);
        } else {
            bw_json_kv_str(j, "name", e->name);
        }
        if (e->size != BW_SIZE_UNKNOWN) {
            bw_json_key(j, "size");
            bw_json_uint(j, e->size);
        }
        bw_json_obj_end(j);
    }
    bw_json_arr_end(j);
    bw_json_obj_end(j);
    bw_json_obj_end(j);
}
