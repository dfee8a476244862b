/*
 * test_manifest.c - manifests: byte-for-byte agreement with model_signing's
 * published goldens (files and shard mode), JSON round trips, comparison,
 * the parser's acceptance of every shape and its refusal of lies, rehash,
 * default ignores and thread-count independence.
 */
#include <sys/stat.h>
#include <unistd.h>

#include "tap.h"
#include "testutil.h"
#include "util/internal.h"

static bw_manifest *build(const char *path, uint64_t shard, unsigned threads)
{
    bw_manifest_opts o = BW_MANIFEST_OPTS_INIT;
    bw_manifest *m = NULL;
    bw_pool *pool = NULL;
    bw_error err;

    bw_error_clear(&err);
    if (bw_pool_new(&pool, threads, NULL) != BW_OK) {
        return NULL;
    }
    o.shard_size = shard;
    o.pool = pool;
    if (bw_manifest_build(&m, path, &o, &err) != BW_OK) {
        tap_diag("build %s: %s", path, err.msg);
        m = NULL;
    }
    bw_pool_free(pool);
    return m;
}

static bw_manifest *parse_str(const char *s, bw_error *err)
{
    bw_manifest *m = NULL;
    bw_error_clear(err);
    if (bw_manifest_parse(&m, s, strlen(s), "test", err) != BW_OK) {
        return NULL;
    }
    return m;
}

/* The fixtures of model-transparency's tests/conftest.py, recreated. */
static char *fixture(const char *kind)
{
    char *dir = tu_tmpdir(), *root = tu_join(dir, "root");
    char rel[64], text[64];

    mkdir(root, 0755);
    if (strcmp(kind, "sample_model_folder") == 0) {
        for (int i = 0; i < 2; i++) {
            for (int j = 0; j < 3; j++) {
                snprintf(rel, sizeof(rel), "d%d/f%d%d", i, i, j);
                snprintf(text, sizeof(text), "This is file f%d%d in d%d.", i, j, i);
                tu_write_str(root, rel, text);
            }
        }
        for (int i = 0; i < 4; i++) {
            snprintf(rel, sizeof(rel), "f%d", i);
            snprintf(text, sizeof(text), "This is file f%d in root.", i);
            tu_write_str(root, rel, text);
        }
    } else if (strcmp(kind, "deep_model_folder") == 0) {
        for (int i = 0; i < 4; i++) {
            snprintf(rel, sizeof(rel), "d0/d1/d2/d3/d4/f%d", i);
            snprintf(text, sizeof(text), "This is file f%d.", i);
            tu_write_str(root, rel, text);
        }
    } else if (strcmp(kind, "model_folder_with_empty_file") == 0) {
        tu_write_str(root, "empty_file", "");
    } else if (strcmp(kind, "sample_model_file") == 0) {
        tu_write_str(root, "file", "This is a simple model");
    } else if (strcmp(kind, "empty_model_file") == 0) {
        tu_write_str(root, "file", "");
    }
    free(dir);
    if (strstr(kind, "model_file") != NULL) {
        char *file = tu_join(root, "file");
        free(root);
        return file;
    }
    return root;
}

static void goldens(void)
{
    static const struct {
        const char *fixture;
        const char *golden;
        uint64_t shard;
    } cases[] = {
        {"sample_model_folder", "sample_model_folder", 0},
        {"sample_model_folder", "sample_model_folder_shard", 1000000000},
        {"sample_model_folder", "sample_model_folder_small_shards", 8},
        {"deep_model_folder", "deep_model_folder", 0},
        {"deep_model_folder", "deep_model_folder_small_shards", 8},
        {"model_folder_with_empty_file", "model_folder_with_empty_file", 0},
        {"model_folder_with_empty_file", "model_folder_with_empty_file_small_shards", 8},
        {"empty_model_folder", "empty_model_folder", 0},
        {"empty_model_folder", "empty_model_folder_small_shards", 8},
        {"sample_model_file", "sample_model_file", 0},
        {"sample_model_file", "sample_model_file_small_shards", 8},
        {"empty_model_file", "empty_model_file", 0},
        {"empty_model_file", "empty_model_file_small_shards", 8},
    };
    const char *shared = getenv("BW_SHARED_DIR");
    char dir[4096];
    struct stat st;

    snprintf(dir, sizeof(dir), "%s/vectors/provenance/model-transparency/tests/_signing/testdata/signing/TestPayload",
             shared != NULL ? shared : "../shared");
    if (stat(dir, &st) != 0) {
        skip(1, "model-transparency goldens not found (../shared/vectors/provenance absent)");
        return;
    }
    for (size_t c = 0; c < BW_ARRAY_LEN(cases); c++) {
        char *path = fixture(cases[c].fixture), *gpath = tu_join(dir, cases[c].golden), *text;
        size_t len = 0;
        bw_manifest *ours = build(path, cases[c].shard, 2), *theirs = NULL;
        bw_error err;
        int same = 1;

        text = tu_read(gpath, &len);
        bw_error_clear(&err);
        ok(text != NULL && bw_manifest_parse(&theirs, text, len, cases[c].golden, &err) == BW_OK, "golden %s parses %s",
           cases[c].golden, err.msg);
        if (ours == NULL || theirs == NULL) {
            ok(0, "%s: both manifests exist", cases[c].golden);
        } else {
            same = ours->n == theirs->n;
            for (size_t i = 0; same && i < ours->n; i++) {
                same = strcmp(ours->entries[i].name, theirs->entries[i].name) == 0 &&
                       ours->entries[i].start == theirs->entries[i].start &&
                       ours->entries[i].end == theirs->entries[i].end &&
                       bw_digest_equal(&ours->entries[i].digest, &theirs->entries[i].digest);
            }
            ok(same, "%s: every resource (name, range, digest) as model_signing has it", cases[c].golden);
            ok(bw_digest_equal(&ours->root, &theirs->root), "%s: subject digest equal", cases[c].golden);
        }
        bw_manifest_free(ours);
        bw_manifest_free(theirs);
        free(text);
        free(gpath);
        {
            /* remove the fixture: its parent directory is the mkdtemp one */
            char *slash = strrchr(path, '/');
            *slash = '\0';
            if (strstr(cases[c].fixture, "model_file") != NULL) {
                slash = strrchr(path, '/');
                *slash = '\0';
            }
            tu_rm_rf(path);
        }
        free(path);
    }
}

static void round_trip_and_threads(void)
{
    char *dir = tu_tmpdir();
    bw_manifest *a, *b, *c, *back;
    bw_buf js = BW_BUF_INIT(1 << 24);
    bw_error err;
    char name[64];

    for (int i = 0; i < 300; i++) {
        char body[200];
        snprintf(name, sizeof(name), "d%d/sub%d/file-%03d.bin", i % 7, i % 3, i);
        snprintf(body, sizeof(body), "content %d %s", i, i % 5 ? "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" : "");
        tu_write_str(dir, name, body);
    }
    tu_write_str(dir, "a.b", "dot");
    tu_write_str(dir, "a/b", "slash");
    a = build(dir, 0, 1);
    b = build(dir, 0, 4);
    c = build(dir, 16, 3);
    ok(a != NULL && b != NULL && c != NULL, "built with 1 and 4 threads, and sharded");
    if (a == NULL || b == NULL || c == NULL) {
        return;
    }
    is_int(a->n_files, 302, "302 files");
    ok(bw_digest_equal(&a->root, &b->root), "the thread count does not change the digest");
    is_str(a->entries[0].name, "a/b", "'a/b' sorts before 'a.b' (path components)");
    is_str(a->entries[1].name, "a.b", "then 'a.b'");
    ok(c->n > c->n_files, "shard mode has more entries (%zu) than files", c->n);
    ok(bw_manifest_write_json(c, &js) == BW_OK, "write JSON");
    like(js.ptr, "\"predicateType\": \"https://model_signing/signature/v1.0\"", "OMS predicate");
    like(js.ptr, "\"algorithm\": \"sha256-sharded-16\"", "shard algorithm name as model_signing writes it");
    like(js.ptr, "\"a/b:0:5\"", "shard names are path:start:end");
    back = parse_str(js.ptr, &err);
    ok(back != NULL, "our JSON parses back %s", err.msg);
    if (back != NULL) {
        bw_manifest_diff d;
        ok(bw_digest_equal(&back->root, &c->root) && back->n == c->n, "round trip keeps every entry");
        ok(bw_manifest_compare(c, back, &d, NULL) == BW_OK && d.n == 0 && d.n_same == 302, "and compares equal");
        bw_manifest_diff_release(&d);
        bw_manifest_free(back);
    }
    bw_buf_release(&js);
    bw_manifest_free(a);
    bw_manifest_free(b);
    bw_manifest_free(c);
    tu_rm_rf(dir);
    free(dir);
}

static void compare_changes(void)
{
    char *dir = tu_tmpdir(), *p;
    bw_manifest *before, *after, *sb, *sa;
    bw_manifest_diff d;

    tu_write_str(dir, "keep", "same");
    tu_write_str(dir, "edit", "old content here");
    tu_write_str(dir, "gone", "bye");
    tu_write_str(dir, "big", "0123456789abcdef0123456789abcdef");
    before = build(dir, 0, 2);
    sb = build(dir, 8, 2);
    tu_write_str(dir, "edit", "new content here");
    tu_write_str(dir, "new", "hello");
    tu_write_str(dir, "big", "0123456789abcdef0123456789abcdeX");
    p = tu_join(dir, "gone");
    unlink(p);
    free(p);
    after = build(dir, 0, 2);
    sa = build(dir, 8, 2);
    ok(bw_manifest_compare(before, after, &d, NULL) == BW_OK, "compare");
    is_int(d.n, 4, "four differences");
    if (d.n == 4) {
        /* sorted by name: big, edit, gone, new */
        ok(d.items[0].kind == BW_CHANGE_MODIFIED && strcmp(d.items[0].name, "big") == 0, "big modified");
        ok(d.items[1].kind == BW_CHANGE_MODIFIED && strcmp(d.items[1].name, "edit") == 0, "edit modified (same size)");
        ok(d.items[2].kind == BW_CHANGE_REMOVED && strcmp(d.items[2].name, "gone") == 0, "gone removed");
        ok(d.items[3].kind == BW_CHANGE_ADDED && strcmp(d.items[3].name, "new") == 0, "new added");
    }
    is_int(d.n_same, 1, "one unchanged");
    bw_manifest_diff_release(&d);
    ok(bw_manifest_compare(sb, sa, &d, NULL) == BW_OK && d.n == 4, "shard mode: the same four, per file");
    ok(d.n == 4 && d.items[0].kind == BW_CHANGE_MODIFIED, "a change in one shard marks the file modified");
    bw_manifest_diff_release(&d);
    ok(bw_manifest_compare(before, sa, &d, NULL) == BW_EINVAL, "files vs shards cannot be compared");
    bw_manifest_free(before);
    bw_manifest_free(after);
    bw_manifest_free(sb);
    bw_manifest_free(sa);
    tu_rm_rf(dir);
    free(dir);
}

static void default_ignores_and_excludes(void)
{
    char *dir = tu_tmpdir();
    bw_manifest_opts o = BW_MANIFEST_OPTS_INIT;
    const char *ex[] = {"*.tmp"};
    bw_manifest *m = NULL;
    char **pats = NULL;
    size_t n = 0;

    tu_write_str(dir, ".git/config", "x");
    tu_write_str(dir, ".gitattributes", "x");
    tu_write_str(dir, ".github/workflows/ci.yml", "x");
    tu_write_str(dir, "sub/.gitignore", "kept: not at the top");
    tu_write_str(dir, "model.bin", "w");
    tu_write_str(dir, "scratch.tmp", "t");
    o.excludes = ex;
    o.n_excludes = 1;
    ok(bw_manifest_build(&m, dir, &o, NULL) == BW_OK, "build with an exclude");
    if (m != NULL) {
        is_int(m->n, 2, "model.bin and sub/.gitignore only");
        is_str(m->n > 0 ? m->entries[0].name : "", "model.bin", "model.bin");
        is_str(m->n > 1 ? m->entries[1].name : "", "sub/.gitignore", "nested .gitignore kept");
        is_int(m->n_ignore, 5, "ignore_paths: the exclude and four defaults");
        ok(bw_manifest_excludes(m, &pats, &n, NULL) == BW_OK && n == 5, "as exclude patterns");
        is_str(pats[0], "*.tmp", "a glob stays a glob");
        is_str(pats[1], "/.git", "a plain path is anchored at the root");
        bw_free(pats);
        bw_manifest_free(m);
    }
    o.no_default_ignores = 1;
    o.n_excludes = 0;
    ok(bw_manifest_build(&m, dir, &o, NULL) == BW_OK, "build without default ignores");
    if (m != NULL) {
        is_int(m->n, 5, ".gitattributes, .github/..., model.bin, scratch.tmp, sub/.gitignore (.git itself never)");
        bw_manifest_free(m);
    }
    tu_rm_rf(dir);
    free(dir);
}

static void parse_shapes(void)
{
    bw_manifest *m;
    bw_error err;
    const char *abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    char buf[2048];

    snprintf(buf, sizeof(buf), "%s  dir/a\n%s *dir/b c\n\\%s  dir/new\\nline\\\\x\r\n", abc, abc, abc);
    m = parse_str(buf, &err);
    ok(m != NULL && m->kind == BW_MANIFEST_SUMS && m->n == 3, "GNU lines, binary marker, escapes, CRLF %s", err.msg);
    if (m != NULL) {
        is_str(m->entries[0].name, "dir/a", "name");
        is_str(m->entries[1].name, "dir/b c", "name with a space");
        is_str(m->entries[2].name, "dir/new\nline\\x", "escaped newline and backslash");
        ok(m->entries[0].size == BW_SIZE_UNKNOWN, "sums carry no sizes");
        bw_manifest_free(m);
    }
    snprintf(buf, sizeof(buf), "SHA256 (weird) = name) = %s\n", abc);
    m = parse_str(buf, &err);
    ok(m != NULL && m->n == 1 && strcmp(m->entries[0].name, "weird) = name") == 0,
       "BSD tag line, split at the last ') = '");
    bw_manifest_free(m);

    m = parse_str("abc123  file\n", &err);
    ok(m == NULL && err.code == BW_EFORMAT, "a short digest is refused");
    like(err.msg, "test: offset 0: line 1: expected a SHA-256 (64 hex digits)", "with source, offset and line");
    snprintf(buf, sizeof(buf), "%s  a\n%s b\n", abc, abc);
    m = parse_str(buf, &err);
    ok(m == NULL && err.offset == 132, "a single space after the digest is refused at its offset (%llu)",
       (unsigned long long)err.offset);
    like(err.msg, "line 2", "and line");
    snprintf(buf, sizeof(buf), "%s  a\n%s  a\n", abc, abc);
    m = parse_str(buf, &err);
    ok(m == NULL && strstr(err.msg, "listed twice") != NULL, "a name listed twice is refused");
    m = parse_str("\n\n", &err);
    ok(m == NULL && strstr(err.msg, "no checksum lines") != NULL, "no lines at all is refused");
    m = parse_str("{\"_type\": \"https://in-toto.io/Statement/v1\", ", &err);
    ok(m == NULL && err.code == BW_EFORMAT && strstr(err.msg, "line 1") != NULL, "truncated JSON: %s", err.msg);
    m = parse_str(
        "{\"_type\": \"https://in-toto.io/Statement/v1\", \"predicateType\": \"https://slsa.dev/provenance/v1\"}",
        &err);
    ok(m == NULL && err.code == BW_EUNSUPPORTED, "another predicate is unsupported, not malformed");
    m = parse_str("{\"a\": 1, \"a\": 2}", &err);
    ok(m == NULL && err.code == BW_EFORMAT, "duplicate keys are refused");
}

static const char *statement_fmt =
    "{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":[{\"name\":\"m\",\"digest\":{\"sha256\":\"%s\"}}],"
    "\"predicateType\":\"https://model_signing/signature/v1.0\",\"predicate\":{\"serialization\":{\"method\":"
    "\"files\",\"hash_type\":\"sha256\",\"allow_symlinks\":false},\"resources\":[{\"algorithm\":\"sha256\","
    "\"digest\":\"%s\",\"name\":\"%s\"}]}}";

static void parse_lies(void)
{
    char buf[2048], root[BW_DIGEST_HEX_MAX], leaf[BW_DIGEST_HEX_MAX];
    bw_digest d, r;
    bw_manifest *m;
    bw_error err;
    static const char *bad_names[] = {"../x", "/etc/passwd", "a//b", "a/./b", "a/..", ""};

    ok(bw_digest_bytes(BW_ALGO_SHA256, "x", 1, &d) == BW_OK, "leaf");
    ok(bw_digest_bytes(BW_ALGO_SHA256, d.bytes, d.len, &r) == BW_OK, "root over the one leaf");
    bw_digest_hex(&d, leaf);
    bw_digest_hex(&r, root);
    snprintf(buf, sizeof(buf), statement_fmt, root, leaf, "weights.bin");
    m = parse_str(buf, &err);
    ok(m != NULL && m->n == 1, "a correct statement parses %s", err.msg);
    bw_manifest_free(m);
    snprintf(buf, sizeof(buf), statement_fmt, leaf, leaf, "weights.bin");
    m = parse_str(buf, &err);
    ok(m == NULL && strstr(err.msg, "manifest was altered") != NULL, "an edited subject digest is caught");
    for (size_t i = 0; i < BW_ARRAY_LEN(bad_names); i++) {
        snprintf(buf, sizeof(buf), statement_fmt, root, leaf, bad_names[i]);
        m = parse_str(buf, &err);
        ok(m == NULL && strstr(err.msg, "resources[0].name") != NULL, "name '%s' refused", bad_names[i]);
    }
    snprintf(buf, sizeof(buf), statement_fmt, root, "abcd", "w");
    m = parse_str(buf, &err);
    ok(m == NULL && strstr(err.msg, "resources[0].digest") != NULL, "short resource digest refused: %s", err.msg);
    m = parse_str("{\"dsseEnvelope\":{\"payload\":\"!!!!\",\"payloadType\":\"application/vnd.in-toto+json\"}}", &err);
    ok(m == NULL && strstr(err.msg, "invalid base64 at character 0") != NULL, "bad base64 in a bundle: %s", err.msg);
    m = parse_str("{\"dsseEnvelope\":{\"payload\":\"e30=\",\"payloadType\":\"text/plain\"}}", &err);
    ok(m == NULL && err.code == BW_EUNSUPPORTED, "a non-in-toto payload type is unsupported");
}

static void rehash_and_prefix(void)
{
    char *dir = tu_tmpdir(), *p;
    bw_manifest *m, *again = NULL;
    bw_manifest_diff d;

    tu_write_str(dir, "a", "1");
    tu_write_str(dir, "b", "2");
    m = build(dir, 0, 2);
    p = tu_join(dir, "b");
    unlink(p);
    free(p);
    tu_write_str(dir, "a", "changed");
    ok(m != NULL && bw_manifest_rehash(&again, m, dir, NULL, NULL) == BW_OK, "rehash the listed files");
    ok(again != NULL && again->n == 1, "the removed file is absent");
    ok(bw_manifest_compare(m, again, &d, NULL) == BW_OK && d.n == 2 && d.items[0].kind == BW_CHANGE_MODIFIED &&
           d.items[1].kind == BW_CHANGE_REMOVED,
       "a modified, b removed");
    bw_manifest_diff_release(&d);
    ok(bw_manifest_prefix_names(again, "x/y", NULL) == BW_OK && strcmp(again->entries[0].name, "x/y/a") == 0,
       "prefix names");
    bw_manifest_free(m);
    bw_manifest_free(again);
    tu_rm_rf(dir);
    free(dir);
}

int main(void)
{
    goldens();
    round_trip_and_threads();
    compare_changes();
    default_ignores_and_excludes();
    parse_shapes();
    parse_lies();
    rehash_and_prefix();
    return done_testing();
}
