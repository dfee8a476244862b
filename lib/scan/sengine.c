/*
 * sengine.c - the matching engine of the secrets and personal-data scanner.
 * See sengine.h for the design; docs/scan-secrets.md for the user's view.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <hs.h>
#include <pcre2.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bulwark/bw_digest.h"
#include "bulwark/bw_file.h"
#include "scan/sengine.h"
#include "scan/snative.h"
#include "scan/sshape.h"
#include "scan/validate.h"

#define DEFAULT_MAX_LEN 512u
#define SHAPE_RULES 4 /* rules per shape taken by the prefilter; more go to Hyperscan */
#define CACHE_MAGIC "bulwark-hsdb-3\n"

/* A rule's PCRE2 programs, compiled on first use. */
struct rcode {
    _Atomic(pcre2_code *) re;
    _Atomic(pcre2_code *) allow;
    bw_native native; /* a C matcher that answers as PCRE2 would for this regex (snative.h) */
};

struct bw_sengine {
    const bw_srule *rules;
    size_t n;
    char **hs_pat;    /* [n_active]: what Hyperscan compiles (see srules.h, anchor) */
    unsigned *hs_ids; /* Hyperscan id -> rule index (only rules that take part) */
    size_t n_active;
    hs_database_t *db;  /* allocated by the runtime (deserialised), or in db_map */
    size_t db_map;      /* > 0: db is an anonymous mapping of this many bytes (cache_load) */
    struct rcode *code; /* [n] */
    const char *origin;
    /* rules found by the digit-run prefilter instead of Hyperscan, by shape */
    uint32_t shape_rule[BW_SHAPE__COUNT][SHAPE_RULES];
    uint8_t n_shape_rule[BW_SHAPE__COUNT];
    unsigned shape_mask;
    /* rules matched against an input's path, not its bytes (BW_SF_PATH) */
    uint32_t *path_rule; /* [n] */
    size_t n_path_rule;
    bool runtime_flaky; /* the runtime failed check_runtime() */
};

struct bw_sscratch {
    hs_scratch_t *hs;
    pcre2_match_data *md;
    size_t *done;        /* [n]: the text up to here has been confirmed for the rule */
    size_t *last_end;    /* [n]: end of the last match taken, to skip repeats */
    unsigned flags;      /* BW_SFLAG_*: the literals the last scan met */
    bw_shits keep[2];    /* hit arrays lent to the scanner (bw_sscratch_hits) */
    bw_shits tmp;        /* the merge buffer of bw_shits_sort() */
    unsigned char *drop; /* [dcap]: resolve()'s marks */
    size_t dcap;
};

/* ---- the compiler, dlopen()ed on a cache miss ---------------------------------------------------- */

typedef hs_error_t (*hs_compile_multi_fn)(const char *const *, const unsigned *, const unsigned *, unsigned, unsigned,
                                          const hs_platform_info_t *, hs_database_t **, hs_compile_error_t **);
typedef hs_error_t (*hs_serialize_fn)(const hs_database_t *, char **, size_t *);
typedef hs_error_t (*hs_free_db_fn)(hs_database_t *);
typedef hs_error_t (*hs_free_cerr_fn)(hs_compile_error_t *);
typedef hs_error_t (*hs_expr_info_fn)(const char *, unsigned, hs_expr_info_t **, hs_compile_error_t **);

static struct {
    pthread_once_t once;
    void *lib;
    hs_compile_multi_fn compile_multi;
    hs_serialize_fn serialize;
    hs_free_db_fn free_db;
    hs_free_cerr_fn free_cerr;
    hs_expr_info_fn expr_info;
} hsc = {PTHREAD_ONCE_INIT, NULL, NULL, NULL, NULL, NULL, NULL};

static void hsc_load(void)
{
    static const char *const names[] = {"libhs.so.5", "libhs.so"};
    void *lib = bw_dlopen_first(names, BW_ARRAY_LEN(names));

    if (lib == NULL) {
        return;
    }
    /* POSIX lets a void * from dlsym convert to a function pointer */
    *(void **)&hsc.compile_multi = dlsym(lib, "hs_compile_multi");
    *(void **)&hsc.serialize = dlsym(lib, "hs_serialize_database");
    *(void **)&hsc.free_db = dlsym(lib, "hs_free_database");
    *(void **)&hsc.free_cerr = dlsym(lib, "hs_free_compile_error");
    *(void **)&hsc.expr_info = dlsym(lib, "hs_expression_info");
    if (hsc.compile_multi && hsc.serialize && hsc.free_db && hsc.free_cerr && hsc.expr_info) {
        hsc.lib = lib;
    }
}

static unsigned hs_flags_of(const bw_srule *r)
{
    unsigned f = HS_FLAG_MULTILINE;

    if (r->flags & BW_SF_MULTILINE) {
        f |= HS_FLAG_DOTALL;
    }
    if (r->flags & BW_SF_CASELESS) {
        f |= HS_FLAG_CASELESS;
    }
    return f;
}

/*
 * Compile the active rules into a serialised database (malloc()ed: out, len).
 * A pattern Hyperscan cannot run exactly (lookarounds, very large repeats)
 * becomes a prefilter: a superset that PCRE2 then confirms.
 */
static bw_status hs_build(const bw_sengine *e, char **out, size_t *len, bw_error *err)
{
    const char **exprs = bw_calloc(e->n_active + 3, sizeof(*exprs));
    unsigned *flags = bw_calloc(e->n_active + 3, sizeof(*flags));
    unsigned *ids = bw_calloc(e->n_active + 3, sizeof(*ids));
    hs_database_t *db = NULL;
    hs_compile_error_t *ce = NULL;
    bw_status rc = BW_OK;

    pthread_once(&hsc.once, hsc_load);
    if (hsc.lib == NULL) {
        rc = bw_fail(err, BW_EUNSUPPORTED,
                     "cannot compile the secret rules: the Hyperscan/Vectorscan compiler (libhs.so.5) is not "
                     "installed (Debian: libvectorscan5 or libhyperscan5)");
        goto done;
    }
    if (exprs == NULL || flags == NULL || ids == NULL) {
        rc = bw_fail(err, BW_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < e->n_active; i++) {
        const bw_srule *r = &e->rules[e->hs_ids[i]];
        hs_expr_info_t *info = NULL;

        exprs[i] = e->hs_pat[i];
        ids[i] = (unsigned)i;
        flags[i] = hs_flags_of(r);
        if (hsc.expr_info(exprs[i], flags[i], &info, &ce) != HS_SUCCESS) {
            hsc.free_cerr(ce);
            ce = NULL;
            flags[i] |= HS_FLAG_PREFILTER;
        }
        free(info); /* the misc allocator is malloc */
    }
    /* the last expressions: the literals of BW_SFLAG_*, each reported once per scan */
    exprs[e->n_active] = BW_SENGINE_MARKERS;
    exprs[e->n_active + 1] = BW_SENGINE_KUBE;
    for (size_t k = 0; k < 2; k++) {
        flags[e->n_active + k] = HS_FLAG_SINGLEMATCH;
        ids[e->n_active + k] = (unsigned)(e->n_active + k);
    }
    for (;;) {
        if (hsc.compile_multi(exprs, flags, ids, (unsigned)e->n_active + 2, HS_MODE_BLOCK, NULL, &db, &ce) ==
            HS_SUCCESS) {
            break;
        }
        if (ce != NULL && ce->expression >= 0 && (size_t)ce->expression < e->n_active &&
            !(flags[ce->expression] & HS_FLAG_PREFILTER)) {
            flags[ce->expression] |= HS_FLAG_PREFILTER; /* try it as a prefilter */
            hsc.free_cerr(ce);
            ce = NULL;
            continue;
        }
        rc = bw_fail(err, BW_EINVAL, "rule '%s': Hyperscan cannot compile its regex: %s",
                     ce != NULL && ce->expression >= 0 ? e->rules[e->hs_ids[ce->expression]].id : "(set)",
                     ce != NULL ? ce->message : "unknown error");
        hsc.free_cerr(ce);
        goto done;
    }
    if (hsc.serialize(db, out, len) != HS_SUCCESS) {
        rc = bw_fail(err, BW_ENOMEM, "cannot serialise the rule database");
    }
    hsc.free_db(db);
done:
    bw_free(exprs);
    bw_free(flags);
    bw_free(ids);
    return rc;
}

/* ---- the cache --------------------------------------------------------------------------------- */

/*
 * The cache key: BLAKE2b-256 (libsodium) of everything the database depends
 * on. Not bw_hasher: OpenSSL's first digest initialises its providers, about
 * 3 ms that a one-file pre-commit scan would otherwise spend on its key.
 */
static bw_status cache_key(const bw_sengine *e, char hex[BW_DIGEST_HEX_MAX], bw_error *err)
{
    crypto_generichash_state st;
    unsigned char d[32];
    char cpu[64];
    const char *ver = hs_version();
    static const char extra[] = BW_SENGINE_MARKERS "\n" BW_SENGINE_KUBE;

    if (sodium_init() < 0 || crypto_generichash_init(&st, NULL, 0, sizeof(d)) != 0) {
        return bw_fail(err, BW_EINVAL, "cannot hash the rule set");
    }
    snprintf(cpu, sizeof(cpu), "%d%d%d%d", __builtin_cpu_supports("avx2"), __builtin_cpu_supports("avx512f"),
             __builtin_cpu_supports("avx512bw"), __builtin_cpu_supports("bmi2"));
    crypto_generichash_update(&st, (const unsigned char *)CACHE_MAGIC, strlen(CACHE_MAGIC));
    crypto_generichash_update(&st, (const unsigned char *)ver, strlen(ver) + 1);
    crypto_generichash_update(&st, (const unsigned char *)cpu, strlen(cpu) + 1);
    crypto_generichash_update(&st, (const unsigned char *)extra, sizeof(extra));
    for (size_t i = 0; i < e->n_active; i++) {
        unsigned f = hs_flags_of(&e->rules[e->hs_ids[i]]);

        crypto_generichash_update(&st, (const unsigned char *)e->hs_pat[i], strlen(e->hs_pat[i]) + 1);
        crypto_generichash_update(&st, (const unsigned char *)&f, sizeof(f));
    }
    crypto_generichash_final(&st, d, sizeof(d));
    sodium_bin2hex(hex, BW_DIGEST_HEX_MAX, d, sizeof(d));
    return BW_OK;
}

/* The cache directory, created 0700 if missing. NULL if none can be used. */
static char *cache_dir(const bw_sengine_opts *o)
{
    const char *env;
    char buf[4096];
    struct stat st;

    if (o->cache_dir != NULL) {
        snprintf(buf, sizeof(buf), "%s", o->cache_dir);
    } else if ((env = getenv("BULWARK_CACHE_DIR")) != NULL && env[0] != '\0') {
        snprintf(buf, sizeof(buf), "%s", env);
    } else if ((env = getenv("XDG_CACHE_HOME")) != NULL && env[0] == '/') {
        snprintf(buf, sizeof(buf), "%s/bulwark", env);
    } else if ((env = getenv("HOME")) != NULL && env[0] == '/') {
        snprintf(buf, sizeof(buf), "%s/.cache/bulwark", env);
    } else {
        return NULL;
    }
    /* create missing parents too ($XDG_CACHE_HOME may not exist yet) */
    for (char *q = buf + 1; *q != '\0'; q++) {
        if (*q == '/') {
            *q = '\0';
            (void)mkdir(buf, 0700);
            *q = '/';
        }
    }
    if (mkdir(buf, 0700) != 0 && errno != EEXIST) {
        return NULL;
    }
    /* a database is code for the matcher: trust only our own, private directory */
    if (lstat(buf, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 022) != 0) {
        BW_WARN("secrets", "not using cache directory '%s': not a private directory of this user", buf);
        return NULL;
    }
    return bw_strdup(buf);
}

/* size bytes of zeroed memory with every page already present (one system call instead of a fault per page). */
static void *populated(size_t size)
{
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

    return p == MAP_FAILED ? NULL : p;
}

/*
 * Load the cached database at path into e->db. The file is read into, and the
 * database rebuilt in, pre-populated mappings: on a one-file pre-commit scan
 * the page faults of two 1.4 MB buffers were most of the start-up's system time.
 */
static bw_status cache_load(bw_sengine *e, const char *path)
{
    const size_t magic = strlen(CACHE_MAGIC);
    bw_status rc = BW_EFORMAT;
    struct stat st;
    char *bytes = NULL;
    size_t size = 0, have = 0, dbsize = 0;
    void *mem = NULL;
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

    if (fd < 0) {
        return BW_ENOTFOUND;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 022) != 0 ||
        st.st_size <= (off_t)magic || st.st_size > (off_t)(256u << 20)) {
        goto done;
    }
    size = (size_t)st.st_size;
    if ((bytes = populated(size)) == NULL) {
        rc = BW_ENOMEM;
        goto done;
    }
    while (have < size) {
        ssize_t r = read(fd, bytes + have, size - have);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            goto done; /* truncated while read */
        }
        have += (size_t)r;
    }
    if (memcmp(bytes, CACHE_MAGIC, magic) != 0 ||
        hs_serialized_database_size(bytes + magic, size - magic, &dbsize) != HS_SUCCESS || dbsize == 0 ||
        (mem = populated(dbsize)) == NULL) {
        goto done;
    }
    if (hs_deserialize_database_at(bytes + magic, size - magic, (hs_database_t *)mem) != HS_SUCCESS) {
        munmap(mem, dbsize); /* corrupt, truncated or for another CPU: compile again */
        goto done;
    }
    e->db = (hs_database_t *)mem;
    e->db_map = dbsize;
    rc = BW_OK;
done:
    if (bytes != NULL) {
        munmap(bytes, size);
    }
    close(fd);
    return rc;
}

static bool cache_store(const char *path, const char *bytes, size_t len)
{
    bw_buf b = BW_BUF_INIT(SIZE_MAX / 2);
    bool ok = bw_buf_add(&b, CACHE_MAGIC, strlen(CACHE_MAGIC)) == BW_OK && bw_buf_add(&b, bytes, len) == BW_OK &&
              bw_file_write_atomic(path, b.ptr, b.len, 0600, NULL) == BW_OK;

    bw_buf_release(&b);
    return ok;
}

static bw_status load_db(bw_sengine *e, const bw_sengine_opts *o, bw_error *err)
{
    char hex[BW_DIGEST_HEX_MAX], *dir = NULL, *path = NULL, *bytes = NULL;
    size_t len = 0, plen;
    bw_status rc;

    if (!o->no_cache && (dir = cache_dir(o)) != NULL) {
        rc = cache_key(e, hex, err);
        if (rc != BW_OK) {
            bw_free(dir);
            return rc;
        }
        plen = strlen(dir) + 32;
        path = bw_malloc(plen);
        if (path == NULL) {
            bw_free(dir);
            return bw_fail(err, BW_ENOMEM, "out of memory");
        }
        snprintf(path, plen, "%s/hs-%.16s.db", dir, hex);
        if (cache_load(e, path) == BW_OK) {
            e->origin = "cache";
            bw_free(dir);
            bw_free(path);
            return BW_OK;
        }
    }
    rc = hs_build(e, &bytes, &len, err);
    if (rc == BW_OK && hs_deserialize_database(bytes, len, &e->db) != HS_SUCCESS) {
        rc = bw_fail(err, BW_EINVAL, "cannot load the compiled rule database");
    }
    if (rc == BW_OK) {
        e->origin = o->no_cache ? "compiled" : "compiled (cache not writable)";
        if (path != NULL && cache_store(path, bytes, len)) {
            e->origin = "compiled";
        }
    }
    free(bytes);
    bw_free(dir);
    bw_free(path);
    return rc;
}

/* ---- engine ------------------------------------------------------------------------------------ */

/* Index just past the group that opens at re[i] ('('), or 0 if it does not close. */
static size_t group_end(const char *re, size_t n, size_t i)
{
    int depth = 0;
    bool cls = false;

    for (; i < n; i++) {
        if (re[i] == '\\') {
            i++;
        } else if (cls) {
            cls = re[i] != ']';
        } else if (re[i] == '[') {
            cls = true;
            if (i + 1 < n && re[i + 1] == '^') {
                i++;
            }
            if (i + 1 < n && re[i + 1] == ']') {
                i++; /* a ']' first in a class is a literal */
            }
        } else if (re[i] == '(') {
            depth++;
        } else if (re[i] == ')' && --depth == 0) {
            return i + 1;
        }
    }
    return 0;
}

/*
 * The pattern Hyperscan runs for a rule: its anchor, or its regex without
 * the context around the match: a leading \b or "(?:^|[^...])" group and a
 * trailing \b or "(?:[^...]|$)" group. Such boundaries force Hyperscan off
 * its literal and DFA engines onto slower ones; PCRE2 checks them when it
 * confirms, so the prefilter only widens.
 */
static char *hs_pattern(const bw_srule *r)
{
    const char *re = r->anchor != NULL ? r->anchor : r->regex;
    size_t n = strlen(re), e;

    if (r->anchor == NULL) {
        if (n > 2 && re[0] == '\\' && re[1] == 'b') {
            re += 2;
            n -= 2;
        } else if (n > 4 && strncmp(re, "(?:^", 4) == 0 && (e = group_end(re, n, 0)) > 0 && e < n) {
            re += e;
            n -= e;
        }
        /* a trailing \b, unless the backslash before it is itself escaped */
        if (n > 2 && re[n - 2] == '\\' && re[n - 1] == 'b' && (n < 3 || re[n - 3] != '\\')) {
            n -= 2;
        } else if (n > 4 && re[n - 1] == ')') {
            /* the last top-level group: dropped when it is a context alternation ending the line */
            size_t last = SIZE_MAX;
            for (size_t i = 0; i < n;) {
                if (re[i] == '(') {
                    size_t g = group_end(re, n, i);
                    if (g == 0) {
                        break;
                    }
                    if (g == n) {
                        last = i;
                    }
                    i = g;
                } else {
                    i += re[i] == '\\' ? 2 : 1;
                }
            }
            if (last != SIZE_MAX && last > 0 && strncmp(re + last, "(?:", 3) == 0 &&
                (memmem(re + last, n - last, "|$", 2) != NULL || strncmp(re + last, "(?:$", 4) == 0)) {
                n = last;
            }
        }
    }
    return bw_strndup(re, n);
}

/* ---- the runtime's self-check ------------------------------------------------------------------- */

struct canary {
    size_t n;
    uint64_t sum;
};

static int canary_match(unsigned id, unsigned long long from, unsigned long long to, unsigned flags, void *ctx)
{
    struct canary *c = ctx;

    (void)from;
    (void)flags;
    c->n++;
    c->sum = c->sum * 1000003u + (uint64_t)id * 65537u + to;
    return 0;
}

/*
 * Scan a canary from every offset of a 64-byte line and compare what the
 * runtime reports. Debian's Vectorscan 5.4.9 on AVX-512 hosts drops matches
 * depending on where a buffer starts (tests/unit/test_salign.c): the two CSV
 * rows are ones it dropped an email in while the email rule ran in Hyperscan
 * (it now has a shape, sshape.h), the XML line one it drops the generic
 * password element of. A runtime that fails is reported
 * once, loudly: its scans may miss secrets. (Best effort: another rule set
 * may meet the bug elsewhere and not here.)
 */
static void check_runtime(bw_sengine *e)
{
    static const char text[] =
        "4154640,Mateo,Byrne,mbyrne@example.com,724.787.7348,1941-12-14,\"8955 Madison Way, Apt 271\",Portland,"
        "83807,US,2022-03-09T22:47:05.531Z,97,365.5,false\n"
        "1468407,Chloe,Nielsen,chloe_nielsen23@acme-corp.com,+31 6 67983572,1978-11-02,\"9222 Chestnut Court\","
        "Amsterdam,5023 VP,NL,2024-10-10T10:55:41.385Z,199,8895.24,true\n"
        "<property name=\"hibernate.connection.password\">DL6tvBKvNsGy#RkL!n</property>\n";
    static atomic_bool warned;
    const size_t n = sizeof(text) - 1;
    hs_scratch_t *hs = NULL;
    struct canary ref = {0, 0};
    char *buf;

    if (e->db == NULL || hs_alloc_scratch(e->db, &hs) != HS_SUCCESS) {
        return;
    }
    buf = bw_malloc(n + 128);
    if (buf == NULL) {
        hs_free_scratch(hs);
        return;
    }
    char *base = buf + (64 - ((uintptr_t)buf & 63)); /* a 64-byte boundary */
    for (size_t off = 0; off < 64 && !e->runtime_flaky; off++) {
        struct canary c = {0, 0};
        memcpy(base + off, text, n);
        if (hs_scan(e->db, base + off, (unsigned)n, 0, hs, canary_match, &c) != HS_SUCCESS) {
            break;
        }
        if (off == 0) {
            ref = c;
        } else if (c.n != ref.n || c.sum != ref.sum) {
            e->runtime_flaky = true;
        }
    }
    bw_free(buf);
    hs_free_scratch(hs);
    if (e->runtime_flaky && !atomic_exchange(&warned, true)) {
        BW_WARN("secrets",
                "the Hyperscan runtime (%s) reports different matches depending on where a buffer starts in memory "
                "on this CPU: scans may miss secrets. Install Intel Hyperscan (Debian: libhyperscan5) instead of "
                "this Vectorscan",
                hs_version());
    }
}

bool bw_sengine_runtime_flaky(const bw_sengine *e)
{
    return e->runtime_flaky;
}

bw_status bw_sengine_new(bw_sengine **out, const bw_srule *rules, size_t n, const bw_sengine_opts *opts, bw_error *err)
{
    bw_sengine_opts o = {NULL, false, 0, false, false};
    bw_sengine *e;
    bw_status rc;

    *out = NULL;
    if (opts != NULL) {
        o = *opts;
    }
    if (o.kinds == 0) {
        o.kinds = BW_SK_SECRET | BW_SK_PII;
    }
    if (n >= UINT32_MAX) {
        return bw_fail(err, BW_EINVAL, "too many rules");
    }
    e = bw_calloc(1, sizeof(*e));
    if (e == NULL) {
        return bw_fail(err, BW_ENOMEM, "out of memory");
    }
    e->rules = rules;
    e->n = n;
    e->hs_ids = bw_calloc(n + 1, sizeof(*e->hs_ids));
    e->code = bw_calloc(n + 1, sizeof(*e->code));
    e->path_rule = bw_calloc(n + 1, sizeof(*e->path_rule));
    if (e->hs_ids == NULL || e->code == NULL || e->path_rule == NULL) {
        bw_sengine_free(e);
        return bw_fail(err, BW_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        if (rules[i].regex == NULL || rules[i].regex[0] == '\0') {
            rc = bw_fail(err, BW_EINVAL, "rule '%s' has no regex", rules[i].id ? rules[i].id : "?");
            bw_sengine_free(e);
            return rc;
        }
        if (!(rules[i].kind & o.kinds)) {
            continue;
        }
        if (!o.no_native && !(rules[i].flags & BW_SF_MULTILINE)) {
            e->code[i].native = bw_native_for(rules[i].regex, (rules[i].flags & BW_SF_CASELESS) != 0);
        }
        if (rules[i].flags & BW_SF_PATH) {
            e->path_rule[e->n_path_rule++] = (uint32_t)i;
            continue;
        }
        if (!o.no_shapes && rules[i].shape > BW_SHAPE_NONE && rules[i].shape < BW_SHAPE__COUNT &&
            e->n_shape_rule[rules[i].shape] < SHAPE_RULES) {
            e->shape_rule[rules[i].shape][e->n_shape_rule[rules[i].shape]++] = (uint32_t)i;
            e->shape_mask |= 1u << rules[i].shape;
            continue;
        }
        e->hs_ids[e->n_active++] = (unsigned)i;
    }
    e->hs_pat = bw_calloc(e->n_active + 1, sizeof(char *));
    if (e->hs_pat == NULL) {
        bw_sengine_free(e);
        return bw_fail(err, BW_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < e->n_active; i++) {
        e->hs_pat[i] = hs_pattern(&rules[e->hs_ids[i]]);
        if (e->hs_pat[i] == NULL) {
            bw_sengine_free(e);
            return bw_fail(err, BW_ENOMEM, "out of memory");
        }
    }
    rc = load_db(e, &o, err);
    if (rc != BW_OK) {
        bw_sengine_free(e);
        return rc;
    }
    check_runtime(e);
    *out = e;
    return BW_OK;
}

void bw_sengine_free(bw_sengine *e)
{
    if (e == NULL) {
        return;
    }
    if (e->db != NULL && e->db_map > 0) {
        munmap(e->db, e->db_map);
    } else if (e->db != NULL) {
        hs_free_database(e->db);
    }
    for (size_t i = 0; e->code != NULL && i < e->n; i++) {
        pcre2_code_free(atomic_load(&e->code[i].re));
        pcre2_code_free(atomic_load(&e->code[i].allow));
    }
    bw_free(e->code);
    bw_free(e->path_rule);
    for (size_t i = 0; e->hs_pat != NULL && i < e->n_active; i++) {
        bw_free(e->hs_pat[i]);
    }
    bw_free(e->hs_pat);
    bw_free(e->hs_ids);
    bw_free(e);
}

size_t bw_sengine_rule_count(const bw_sengine *e)
{
    return e->n;
}

const bw_srule *bw_sengine_rule(const bw_sengine *e, size_t i)
{
    return i < e->n ? &e->rules[i] : NULL;
}

const char *bw_sengine_db_origin(const bw_sengine *e)
{
    return e->origin;
}

/* The rule's program (allow = false) or its allow list (true), compiled once. NULL if it does not compile. */
static pcre2_code *rule_code(const bw_sengine *e, size_t i, bool allow)
{
    _Atomic(pcre2_code *) *slot = allow ? &e->code[i].allow : &e->code[i].re;
    pcre2_code *c = atomic_load_explicit(slot, memory_order_acquire), *expect = NULL;
    const bw_srule *r = &e->rules[i];
    uint32_t opt = PCRE2_MULTILINE;
    int ecode;
    PCRE2_SIZE eoff;

    if (c != NULL) {
        return c;
    }
    if (!allow && (r->flags & BW_SF_MULTILINE)) {
        opt |= PCRE2_DOTALL;
    }
    if (!allow && (r->flags & BW_SF_CASELESS)) {
        opt |= PCRE2_CASELESS;
    }
    c = pcre2_compile((PCRE2_SPTR)(allow ? r->allow : r->regex), PCRE2_ZERO_TERMINATED, opt, &ecode, &eoff, NULL);
    if (c == NULL) {
        return NULL;
    }
    (void)pcre2_jit_compile(c, PCRE2_JIT_COMPLETE); /* falls back to the interpreter if JIT is unavailable */
    if (!atomic_compare_exchange_strong_explicit(slot, &expect, c, memory_order_acq_rel, memory_order_acquire)) {
        pcre2_code_free(c); /* another thread won */
        c = expect;
    }
    return c;
}

bw_status bw_sscratch_new(const bw_sengine *e, bw_sscratch **out, bw_error *err)
{
    bw_sscratch *s = bw_calloc(1, sizeof(*s));

    *out = NULL;
    if (s == NULL) {
        return bw_fail(err, BW_ENOMEM, "out of memory");
    }
    s->md = pcre2_match_data_create(32, NULL);
    s->done = bw_calloc(e->n + 1, sizeof(size_t));
    s->last_end = bw_calloc(e->n + 1, sizeof(size_t));
    if (s->md == NULL || s->done == NULL || s->last_end == NULL ||
        (e->db != NULL && hs_alloc_scratch(e->db, &s->hs) != HS_SUCCESS)) {
        bw_sscratch_free(s);
        return bw_fail(err, BW_ENOMEM, "out of memory");
    }
    *out = s;
    return BW_OK;
}

bw_shits *bw_sscratch_hits(bw_sscratch *s, unsigned i)
{
    return &s->keep[i & 1];
}

unsigned bw_sscratch_flags(const bw_sscratch *s)
{
    return s->flags;
}

void bw_sscratch_free(bw_sscratch *s)
{
    if (s == NULL) {
        return;
    }
    if (s->hs != NULL) {
        hs_free_scratch(s->hs);
    }
    pcre2_match_data_free(s->md);
    bw_shits_release(&s->keep[0]);
    bw_shits_release(&s->keep[1]);
    bw_shits_release(&s->tmp);
    bw_free(s->drop);
    bw_free(s->done);
    bw_free(s->last_end);
    bw_free(s);
}

void bw_shits_release(bw_shits *h)
{
    bw_free(h->v);
    h->v = NULL;
    h->n = h->cap = 0;
}

static bw_status shits_reserve(bw_shits *h, size_t more)
{
    size_t cap = h->cap ? h->cap : 64;
    bw_shit *v;

    if (more <= h->cap - h->n) {
        return BW_OK;
    }
    if (more > SIZE_MAX / sizeof(bw_shit) - h->n) {
        return BW_ENOMEM;
    }
    while (cap - h->n < more) {
        cap = cap > SIZE_MAX / (2 * sizeof(bw_shit)) ? h->n + more : cap * 2;
    }
    v = bw_reallocarray(h->v, cap, sizeof(*v));
    if (v == NULL) {
        return BW_ENOMEM;
    }
    h->v = v;
    h->cap = cap;
    return BW_OK;
}

bw_status bw_shits_push(bw_shits *h, const bw_shit *x)
{
    if (h->n == h->cap && shits_reserve(h, 1) != BW_OK) {
        return BW_ENOMEM;
    }
    h->v[h->n++] = *x;
    return BW_OK;
}

bw_status bw_shits_append(bw_shits *h, const bw_shit *v, size_t n)
{
    if (n == 0) {
        return BW_OK;
    }
    if (shits_reserve(h, n) != BW_OK) {
        return BW_ENOMEM;
    }
    memcpy(h->v + h->n, v, n * sizeof(*v));
    h->n += n;
    return BW_OK;
}

/* by start, the longer match first, then by rule: the order resolve() walks */
static inline bool less_start(const bw_shit *x, const bw_shit *y)
{
    if (x->start != y->start) {
        return x->start < y->start;
    }
    if (x->end != y->end) {
        return x->end > y->end;
    }
    return x->rule < y->rule;
}

static inline bool less_sstart(const bw_shit *x, const bw_shit *y)
{
    return x->sstart < y->sstart;
}

/*
 * A stable natural merge sort of v[0..n) with the buffer tmp: hits come as
 * a few sorted runs (the Hyperscan pass, the digit-run pass, a dataset's
 * column pass), which one or two linear merges put in order, where qsort()
 * paid for n log n comparisons through a pointer and a fresh buffer a call.
 */
static inline bw_status sort_runs(bw_shit *v, size_t n, bw_shits *tmp, bool by_sstart)
{
#define LESS(a, b) (by_sstart ? less_sstart((a), (b)) : less_start((a), (b)))
    bw_shit *src = v, *dst;
    size_t i = 1;

    while (i < n && !LESS(&v[i], &v[i - 1])) {
        i++;
    }
    if (i >= n) {
        return BW_OK; /* sorted already (or fewer than two) */
    }
    if (tmp->cap < n) {
        bw_shit *t = bw_reallocarray(tmp->v, n, sizeof(*t));
        if (t == NULL) {
            return BW_ENOMEM;
        }
        tmp->v = t;
        tmp->cap = n;
    }
    dst = tmp->v;
    for (;;) {
        size_t runs = 0, a = 0;
        bw_shit *swap;
        while (a < n) {
            size_t m = a + 1, e, l, r, k;
            while (m < n && !LESS(&src[m], &src[m - 1])) {
                m++;
            }
            runs++;
            if (m >= n) {
                memcpy(dst + a, src + a, (n - a) * sizeof(*src));
                break;
            }
            e = m + 1;
            while (e < n && !LESS(&src[e], &src[e - 1])) {
                e++;
            }
            for (l = a, r = m, k = a; l < m && r < e;) {
                dst[k++] = LESS(&src[r], &src[l]) ? src[r++] : src[l++];
            }
            memcpy(dst + k, src + l, (m - l) * sizeof(*src));
            k += m - l;
            memcpy(dst + k, src + r, (e - r) * sizeof(*src));
            a = e;
        }
        swap = src;
        src = dst;
        dst = swap;
        if (runs == 1) {
            break;
        }
    }
    if (src != v) {
        memcpy(v, src, n * sizeof(*v));
    }
    return BW_OK;
#undef LESS
}

bw_status bw_shits_sort_sstart(bw_sscratch *s, bw_shits *h)
{
    return sort_runs(h->v, h->n, &s->tmp, true);
}

/* ---- scanning ---------------------------------------------------------------------------------- */

struct scan {
    const bw_sengine *e;
    bw_sscratch *s;
    const char *p;
    size_t n, lo, hi;
    bw_shits *out;
    size_t first; /* out->n at the start of this scan */
    bw_status rc;
    bw_error *err;
};

static bool allowed(const bw_sengine *e, bw_sscratch *s, size_t ri, const char *p, size_t ss, size_t se)
{
    pcre2_code *a;

    if (e->rules[ri].allow == NULL) {
        return false;
    }
    a = rule_code(e, ri, true);
    return a != NULL && pcre2_match(a, (PCRE2_SPTR)(p + ss), se - ss, 0, 0, s->md, NULL) >= 0;
}

/* Does s[0..n) contain one of the '|'-separated keywords (any case)? */
static bool has_keyword(const char *kw, const char *s, size_t n)
{
    while (*kw) {
        const char *bar = strchr(kw, '|');
        size_t m = bar ? (size_t)(bar - kw) : strlen(kw);
        for (size_t i = 0; m > 0 && i + m <= n; i++) {
            if (strncasecmp(s + i, kw, m) == 0) {
                return true;
            }
        }
        kw += m + (bar != NULL);
    }
    return false;
}

/* Confirm the candidate of rule ri ending at `to`. */
static int confirm(struct scan *c, size_t ri, size_t to)
{
    const bw_srule *r = &c->e->rules[ri];
    bw_sscratch *s = c->s;
    size_t lim = r->max_len ? r->max_len : DEFAULT_MAX_LEN, ws, we, off;
    bw_native native = c->e->code[ri].native;
    pcre2_code *re = native != BW_NATIVE_NONE ? NULL : rule_code(c->e, ri, false);

    if (re == NULL && native == BW_NATIVE_NONE) {
        c->rc = bw_fail(c->err, BW_EINVAL, "rule '%s': its regex does not compile with PCRE2", r->id);
        return 1;
    }
    /* a trailing context class ([^0-9]) may have consumed the line's newline: the line is the one before */
    if (!(r->flags & BW_SF_MULTILINE) && to > 0 && c->p[to - 1] == '\n') {
        to--;
    }
    ws = to > lim ? to - lim : 0;
    bool line_end = false; /* the window ends where the line does */
    if (r->flags & BW_SF_MULTILINE) {
        we = BW_MIN(c->n, to + 256);
    } else {
        const char *nl = to > ws ? memrchr(c->p + ws, '\n', to - ws) : NULL;
        if (nl != NULL) {
            ws = (size_t)(nl - c->p) + 1;
        }
        we = BW_MIN(c->n, to + lim);
        nl = we > to ? memchr(c->p + to, '\n', we - to) : NULL;
        if (nl != NULL) {
            we = (size_t)(nl - c->p);
        }
        line_end = nl != NULL || we == c->n;
    }
    off = ws;
    /* every match taken starts before `to`: once past it, the next one would belong to a later candidate */
    while (off <= we && off < to) {
        PCRE2_SIZE nov[4], *ov;
        int m = native != BW_NATIVE_NONE ? bw_native_match(native, c->p, we, off, nov)
                                         : pcre2_match(re, (PCRE2_SPTR)c->p, we, off, 0, s->md, NULL);
        size_t ms, me, ss, se;
        bw_shit h;

        if (m < 0) {
            /* No match starts in [off, we). A later candidate on this line has this line end and a
             * window start at or after ws, so it could find only what this search found: skip it. */
            if (m == PCRE2_ERROR_NOMATCH && line_end && we > s->done[ri]) {
                s->done[ri] = we;
            }
            break; /* no match, or a match limit: either way nothing to report */
        }
        ov = native != BW_NATIVE_NONE ? nov : pcre2_get_ovector_pointer(s->md);
        ms = ov[0];
        me = ov[1];
        if (ms >= to) {
            break; /* a later match has a candidate of its own */
        }
        off = me > ms ? me : ms + 1;
        if (me > s->done[ri]) {
            s->done[ri] = me;
        }
        if (ms < s->last_end[ri] || me <= c->lo || me > c->hi || me == ms) {
            continue;
        }
        s->last_end[ri] = me;
        ss = ms;
        se = me;
        if (r->group > 0) {
            if ((uint32_t)m <= r->group || ov[2 * r->group] == PCRE2_UNSET) {
                continue;
            }
            ss = ov[2 * r->group];
            se = ov[2 * r->group + 1];
        }
        if (se <= ss) {
            continue;
        }
        h.rule = (uint32_t)ri;
        h.start = ms;
        h.end = me;
        h.sstart = ss;
        h.send = se;
        h.validated = NULL;
        if (r->keywords != NULL && !has_keyword(r->keywords, c->p + ws, we - ws)) {
            continue;
        }
        if (r->min_entropy > 0 && bw_entropy(c->p + ss, se - ss) < (double)r->min_entropy) {
            continue;
        }
        if (r->kind == BW_SK_SECRET && bw_secret_is_placeholder(c->p + ss, se - ss)) {
            continue;
        }
        if (allowed(c->e, s, ri, c->p, ss, se)) {
            continue;
        }
        if (r->validator != BW_SV_NONE && !bw_sval_check(r->validator, c->p, c->n, ms, me, ss, se, &h.validated)) {
            continue;
        }
        if (bw_shits_push(c->out, &h) != BW_OK) {
            c->rc = bw_fail(c->err, BW_ENOMEM, "out of memory");
            return 1;
        }
    }
    if (to > s->done[ri]) {
        s->done[ri] = to;
    }
    return 0;
}

/* Confirm rule ri's candidate ending at `to`, unless an earlier candidate covered it or it lies before the block. */
int bw_sengine_match_path(const bw_sengine *e, const char *path, size_t n, int (*fn)(void *ctx, size_t rule), void *ctx)
{
    for (size_t k = 0; k < e->n_path_rule; k++) {
        size_t ri = e->path_rule[k];
        pcre2_code *re = rule_code(e, ri, false);
        pcre2_match_data *md = re != NULL ? pcre2_match_data_create_from_pattern(re, NULL) : NULL;
        int m, rc;

        if (md == NULL) {
            return -1;
        }
        m = pcre2_match(re, (PCRE2_SPTR)path, n, 0, 0, md, NULL);
        pcre2_match_data_free(md);
        if (m >= 0 && (rc = fn(ctx, ri)) != 0) {
            return rc;
        }
    }
    return 0;
}

static int candidate(struct scan *c, size_t ri, size_t to)
{
    if (to <= c->s->done[ri] || to + (size_t)BW_SENGINE_OVERLAP <= c->lo) {
        return 0;
    }
    return confirm(c, ri, to);
}

static int on_match(unsigned id, unsigned long long from, unsigned long long to, unsigned flags, void *ctx)
{
    struct scan *c = ctx;
    size_t ri;

    (void)from;
    (void)flags;
    if (id >= c->e->n_active) {
        c->s->flags |= id == c->e->n_active ? BW_SFLAG_MARKER : BW_SFLAG_KUBE;
        return 0;
    }
    ri = c->e->hs_ids[id];
    return candidate(c, ri, (size_t)to);
}

static int on_shape(void *ctx, bw_shape shape, size_t to)
{
    struct scan *c = ctx;

    for (size_t k = 0; k < c->e->n_shape_rule[shape]; k++) {
        if (candidate(c, c->e->shape_rule[shape][k], to) != 0) {
            return 1;
        }
    }
    return 0;
}

static bool overlaps(size_t a0, size_t a1, size_t b0, size_t b1)
{
    return a0 < b1 && b0 < a1;
}

/*
 * Resolve overlaps among v[0..n) (sorted by start): a generic keyword hit
 * yields to a specific secret on the same bytes; personal data inside a
 * secret's match is part of the secret; overlapping personal data keeps the
 * longer (then the more severe) hit; two rules on the same secret keep the
 * first rule. Returns the new count.
 */
static size_t resolve(const bw_sengine *e, bw_sscratch *s, bw_shit *v, size_t n)
{
    unsigned char *drop = s->drop;
    size_t k = 0;

    if (s->dcap < n + 1) {
        drop = bw_realloc(s->drop, n + 1);
        if (drop == NULL) {
            return n; /* keep everything rather than lose a finding */
        }
        s->drop = drop;
        s->dcap = n + 1;
    }
    memset(drop, 0, n + 1);
    for (size_t i = 0; i < n; i++) {
        const bw_srule *a = &e->rules[v[i].rule];
        for (size_t j = i + 1; j < n && v[j].start < v[i].end; j++) {
            const bw_srule *b = &e->rules[v[j].rule];
            size_t loser = SIZE_MAX;

            if (drop[i]) {
                break;
            }
            if (a->kind == BW_SK_SECRET && b->kind == BW_SK_SECRET) {
                bool ag = (a->flags & BW_SF_GENERIC) != 0, bg = (b->flags & BW_SF_GENERIC) != 0;
                if (!overlaps(v[i].sstart, v[i].send, v[j].sstart, v[j].send)) {
                    continue;
                }
                if (ag != bg) {
                    loser = ag ? i : j;
                } else if (v[i].sstart == v[j].sstart && v[i].send == v[j].send) {
                    loser = v[i].rule < v[j].rule ? j : i;
                } else if (ag) {
                    loser = (v[i].send - v[i].sstart) >= (v[j].send - v[j].sstart) ? j : i;
                }
            } else if (a->kind != b->kind) {
                loser = a->kind == BW_SK_PII ? i : j; /* personal data inside a secret is the secret */
            } else {
                size_t la = v[i].end - v[i].start, lb = v[j].end - v[j].start;
                loser = la > lb || (la == lb && a->severity >= b->severity) ? j : i;
            }
            if (loser != SIZE_MAX) {
                drop[loser] = 1;
            }
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (!drop[i]) {
            v[k++] = v[i];
        }
    }
    return k;
}

bw_status bw_sengine_scan(const bw_sengine *e, bw_sscratch *s, const char *p, size_t n, size_t lo, size_t hi,
                          bw_shits *out, bw_error *err)
{
    struct scan c = {e, s, p, n, lo, hi, out, out->n, BW_OK, err};
    size_t off = 0;

    s->flags = e->db == NULL ? BW_SFLAG_MARKER | BW_SFLAG_KUBE : 0; /* without a database: cannot tell */
    if ((e->db == NULL && e->shape_mask == 0) || n == 0) {
        return BW_OK;
    }
    /* Hyperscan's block mode takes an unsigned int length: feed 1 GiB blocks that overlap */
    while (off < n) {
        size_t len = BW_MIN(n - off, (size_t)1 << 30);
        hs_error_t hr;
        struct scan sub = c;

        if (off > 0) {
            /* blocks overlap by two margins: the previous one took matches ending up to this one's
             * first margin, and every later match starts inside this block */
            sub.lo = BW_MAX(lo, off + BW_SENGINE_OVERLAP) - off;
        } else {
            sub.lo = lo;
        }
        sub.p = p + off;
        sub.n = len;
        sub.hi = hi > off ? BW_MIN(hi - off, len) : 0;
        if (off + len < n) {
            sub.hi = BW_MIN(sub.hi, len - BW_SENGINE_OVERLAP);
        }
        memset(s->done, 0, e->n * sizeof(size_t));
        memset(s->last_end, 0, e->n * sizeof(size_t));
        {
            size_t before = out->n;
            hr = e->db != NULL ? hs_scan(e->db, sub.p, (unsigned)len, 0, s->hs, on_match, &sub) : HS_SUCCESS;
            if (sub.rc == BW_OK && (hr == HS_SUCCESS || hr == HS_SCAN_TERMINATED)) {
                (void)bw_shape_scan(sub.p, len, sub.hi, e->shape_mask, on_shape, &sub);
            }
            for (size_t i = before; i < out->n; i++) {
                out->v[i].start += off;
                out->v[i].end += off;
                out->v[i].sstart += off;
                out->v[i].send += off;
            }
        }
        if (sub.rc != BW_OK) {
            return sub.rc;
        }
        if (hr != HS_SUCCESS && hr != HS_SCAN_TERMINATED) {
            return bw_fail(err, BW_EINVAL, "Hyperscan scan failed (%d)", (int)hr);
        }
        if (off + len >= n) {
            break;
        }
        off += len - 2 * BW_SENGINE_OVERLAP;
    }
    if (out->n > c.first) {
        if (sort_runs(out->v + c.first, out->n - c.first, &s->tmp, false) != BW_OK) {
            return bw_fail(err, BW_ENOMEM, "out of memory");
        }
        out->n = c.first + resolve(e, s, out->v + c.first, out->n - c.first);
    }
    return BW_OK;
}
