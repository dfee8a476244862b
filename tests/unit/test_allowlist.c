/*
 * test_allowlist.c - the policy database: dangerous entries and their
 * explanations, C twins, dotted names under every split, packs (parse errors
 * with line numbers, module.* patterns), and that no pack can excuse a
 * dangerous global.
 */
#include "scan/allowlist.h"
#include "tap.h"
#include "testutil.h"
#include "util/internal.h"

static bw_allow_kind look(const struct bw_allowlist *a, const char *m, const char *n)
{
    bw_allow_hit h;
    return bw_allowlist_lookup(a, m, n, &h);
}

static void builtin_db(void)
{
    struct bw_allowlist *a = NULL;
    bw_allow_hit h;
    static const char *const unsafe[][2] = {
        {"os", "system"},
        {"posix", "system"},
        {"nt", "system"},
        {"subprocess", "Popen"},
        {"_posixsubprocess", "fork_exec"},
        {"builtins", "eval"},
        {"builtins", "exec"},
        {"builtins", "__import__"},
        {"builtins", "getattr"},
        {"operator", "attrgetter"},
        {"importlib", "import_module"},
        {"runpy", "_run_code"},
        {"pydoc", "locate"},
        {"timeit", "timeit"},
        {"cProfile", "run"},
        {"pip._internal", "main"},
        {"ctypes", "CDLL"},
        {"marshal", "loads"},
        {"pickle", "loads"},
        {"_pickle", "loads"},
        {"socket", "create_connection"},
        {"torch.serialization", "load"},
        {"numpy.testing._private.utils", "runstring"},
        {"io", "open"},
        {"_io", "FileIO"},
        {"shutil", "rmtree"},
        {"pathlib", "os.system"}, /* protocol-4 dotted name: getattr(pathlib, 'os').system */
        {"torch", "serialization.load"},
        {"collections", "os.system"},
    };
    static const char *const safe[][2] = {
        {"torch._utils", "_rebuild_tensor_v2"},
        {"collections", "OrderedDict"},
        {"numpy.core.multiarray", "_reconstruct"},
        {"numpy", "dtype"},
        {"builtins", "set"},
        {"copyreg", "_reconstructor"},
        {"joblib.numpy_pickle", "NumpyArrayWrapper"},
        {"sklearn.linear_model._logistic", "LogisticRegression"},
        {"sklearn.tree._tree", "Tree"},
    };

    ok(bw_allowlist_load(&a, NULL, 0, NULL) == BW_OK, "built-in database loads (version %s)", bw_allowlist_version());
    for (size_t i = 0; i < BW_ARRAY_LEN(unsafe); i++) {
        is_int(look(a, unsafe[i][0], unsafe[i][1]), BW_ALLOW_UNSAFE, "%s.%s is dangerous", unsafe[i][0], unsafe[i][1]);
    }
    for (size_t i = 0; i < BW_ARRAY_LEN(safe); i++) {
        is_int(look(a, safe[i][0], safe[i][1]), BW_ALLOW_SAFE, "%s.%s is allowlisted", safe[i][0], safe[i][1]);
    }
    is_int(look(a, "mypackage.models", "Net"), BW_ALLOW_UNKNOWN, "a user's class is for review");
    is_int(look(a, "sklearnx", "Foo"), BW_ALLOW_UNKNOWN, "module.* does not match a longer name ('sklearnx')");
    is_int(look(a, "torch._utils", "_rebuild_tensor_v2.__globals__"), BW_ALLOW_UNSAFE,
           "an allowlisted function's __globals__ is a way out, not allowlisted");
    is_int(look(a, "builtins", "getattr.__self__.exec"), BW_ALLOW_UNSAFE,
           "getattr.__self__ is the builtins module: a dunder path is unsafe");
    is_int(look(a, "mypackage", "helpers.exec"), BW_ALLOW_UNSAFE, "a dotted path ending in a dangerous builtin");
    is_int(look(a, "mypackage", "helpers.Model"), BW_ALLOW_UNKNOWN, "an ordinary dotted class name is for review");
    is_int(look(a, "mailcap", "findmatch"), BW_ALLOW_UNSAFE, "mailcap.findmatch runs commands");
    ok(bw_allowlist_lookup(a, "os", "system", &h) == BW_ALLOW_UNSAFE && strcmp(h.category, "process execution") == 0 &&
           h.why != NULL && strstr(h.why, "runs commands") != NULL,
       "the hit explains itself: %s: %s", h.category, h.why);
    bw_allowlist_free(a);
}

static void packs(void)
{
    char *dir = tu_tmpdir(), *good = tu_join(dir, "good.txt"), *bad = tu_join(dir, "bad.txt");
    const char *files[1];
    struct bw_allowlist *a = NULL;
    bw_allow_hit h;
    bw_error err;

    tu_write_str(dir, "good.txt",
                 "# our models\n"
                 "safe   readmission.model  RiskModel   the hospital's own class\r\n"
                 "safe   readmission.layers.*  *\n"
                 "safe   os  system   # a pack cannot excuse this\n"
                 "unsafe internal.tools  *  runs shell commands\n"
                 "\n");
    tu_write_str(dir, "bad.txt", "safe readmission.model RiskModel\nallow x y\n");
    files[0] = good;
    ok(bw_allowlist_load(&a, files, 1, NULL) == BW_OK, "a pack loads");
    is_int(look(a, "readmission.model", "RiskModel"), BW_ALLOW_SAFE, "pack entry allows a class");
    is_int(look(a, "readmission.layers.attention", "Block"), BW_ALLOW_SAFE, "module.* covers submodules");
    is_int(look(a, "readmission.model", "Other"), BW_ALLOW_UNKNOWN, "other names stay unknown");
    is_int(look(a, "os", "system"), BW_ALLOW_UNSAFE, "a pack's 'safe' never excuses a dangerous global");
    ok(bw_allowlist_lookup(a, "internal.tools", "deploy", &h) == BW_ALLOW_UNSAFE && h.why != NULL &&
           strcmp(h.why, "runs shell commands") == 0,
       "a pack can add dangerous globals, with its reason");
    bw_allowlist_free(a);
    files[0] = bad;
    bw_error_clear(&err);
    ok(bw_allowlist_load(&a, files, 1, &err) == BW_EFORMAT && a == NULL, "a bad pack is refused");
    like(err.msg, "bad.txt: line 2: expected 'safe|unsafe MODULE NAME [why]'", "naming the file and line");
    files[0] = "/nonexistent/pack.txt";
    bw_error_clear(&err);
    ok(bw_allowlist_load(&a, files, 1, &err) == BW_ENOTFOUND, "a missing pack is an error");
    tu_rm_rf(dir);
    free(dir);
    free(good);
    free(bad);
}

int main(void)
{
    builtin_db();
    packs();
    return done_testing();
}
