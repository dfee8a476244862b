/*
 * allowlist.c - which Python globals a model may import: the built-in,
 * versioned allowlist (tensor and array reconstructors, value types,
 * collections), the database of known-dangerous globals with an explanation
 * for each, and user packs that extend both.
 *
 * Lookup order never lets an allow entry excuse a dangerous global: the
 * dangerous database (built-in, then packs) is consulted first; then packs'
 * safe entries, then the built-in ones. Anything on neither list is
 * "review". A dotted name (protocol 4 resolves "os.system" by getattr from
 * a module) is checked under every split, so pathlib + "os.system" is still
 * os.system.
 *
 * Pack format (one entry a line; '#' starts a comment):
 *     safe    MODULE  NAME  [why]
 *     unsafe  MODULE  NAME  [why]
 * NAME may be '*' (any name); MODULE may end in ".*" (the module and every
 * submodule).
 */
#include "scan/allowlist.h"
#include "util/internal.h"

#define ALLOWLIST_VERSION "2026.11.0"

struct entry {
    bw_allow_kind kind;
    const char *module; /* "os", or "sklearn.*" for the package and its submodules */
    const char *name;   /* "system", or "*" */
    const char *category;
    const char *why;
};

/* clang-format off */
#define UNSAFE(m, n, cat, why) { BW_ALLOW_UNSAFE, m, n, cat, why }
#define SAFE(m, n) { BW_ALLOW_SAFE, m, n, "allowlisted", NULL }

static const char EXEC[] = "process execution";
static const char EVAL[] = "evaluates a string as code";
static const char IMPORT[] = "import machinery: loads any module";
static const char ATTR[] = "attribute access stand-in: reaches any attribute, e.g. os.system";
static const char FFI[] = "foreign function interface or code objects: runs native or compiled code";
static const char NET[] = "network access";
static const char FILEIO[] = "file-system access";
static const char NESTED[] = "nested deserialiser: loads another payload the scan cannot see";
static const char DEBUG[] = "debugger or profiler entry point that runs a code string";

static const struct entry builtin[] = {
    /* process execution, and the C-accelerator twins loaders resolve to */
    UNSAFE("os", "*", EXEC, "the os module runs commands (system, popen, exec*, spawn*) and changes files"),
    UNSAFE("posix", "*", EXEC, "posix is os on Unix: system, execv, fork"),
    UNSAFE("nt", "*", EXEC, "nt is os on Windows: system, startfile"),
    UNSAFE("subprocess", "*", EXEC, "subprocess starts programs"),
    UNSAFE("_posixsubprocess", "*", EXEC, "fork_exec starts programs"),
    UNSAFE("pty", "*", EXEC, "pty.spawn starts programs"),
    UNSAFE("platform", "popen", EXEC, "platform.popen runs a shell command"),
    UNSAFE("popen2", "*", EXEC, "popen2 runs shell commands"),
    UNSAFE("commands", "*", EXEC, "commands runs shell commands"),
    UNSAFE("asyncio.subprocess", "*", EXEC, "starts programs"),
    UNSAFE("asyncio", "create_subprocess_exec", EXEC, "starts programs"),
    UNSAFE("asyncio", "create_subprocess_shell", EXEC, "runs a shell command"),
    UNSAFE("asyncio.base_events", "*", EXEC, "event-loop internals start subprocesses"),
    UNSAFE("multiprocessing.*", "*", EXEC, "starts processes and unpickles in them"),
    UNSAFE("_thread", "start_new_thread", EXEC, "runs a callable in a new thread"),
    UNSAFE("threading", "Thread", EXEC, "runs a callable in a new thread"),
    UNSAFE("signal", "*", EXEC, "installs handlers or sends signals"),
    UNSAFE("webbrowser", "*", EXEC, "opens a browser, i.e. runs a program"),
    UNSAFE("mailcap", "*", EXEC, "findmatch runs the mailcap entry's test command through os.system"),
    UNSAFE("uuid", "_get_command_stdout", EXEC, "runs a command and reads its output"),
    UNSAFE("ctypes.util", "*", EXEC, "find_library runs compilers and ldconfig"),
    UNSAFE("sys", "*", IMPORT, "sys reaches sys.modules, every loaded module"),
    UNSAFE("builtins", "eval", EVAL, "eval runs a string as Python"),
    UNSAFE("builtins", "exec", EVAL, "exec runs a string as Python"),
    UNSAFE("builtins", "compile", EVAL, "compile makes a code object from a string"),
    UNSAFE("builtins", "execfile", EVAL, "runs a file as Python"),
    UNSAFE("builtins", "__import__", IMPORT, "__import__ loads any module"),
    UNSAFE("builtins", "getattr", ATTR, "getattr(obj, 'system') reaches dangerous functions from harmless objects"),
    UNSAFE("builtins", "setattr", ATTR, "setattr changes any object, e.g. patches a function"),
    UNSAFE("builtins", "delattr", ATTR, "delattr changes any object"),
    UNSAFE("builtins", "globals", ATTR, "globals exposes the loader's namespace"),
    UNSAFE("builtins", "locals", ATTR, "locals exposes the loader's namespace"),
    UNSAFE("builtins", "vars", ATTR, "vars exposes an object's namespace"),
    UNSAFE("builtins", "open", FILEIO, "open reads or overwrites files"),
    UNSAFE("builtins", "input", EXEC, "input blocks on the terminal"),
    UNSAFE("builtins", "breakpoint", DEBUG, "breakpoint enters the debugger"),
    UNSAFE("builtins", "help", EXEC, "help starts a pager program"),
    UNSAFE("builtins", "__builtins__", ATTR, "the builtins namespace itself"),
    UNSAFE("builtins", "memoryview", FFI, "raw memory access"),
    UNSAFE("operator", "attrgetter", ATTR, "attrgetter('system') fetches attributes by name"),
    UNSAFE("operator", "methodcaller", ATTR, "methodcaller('system', ...) calls methods by name"),
    UNSAFE("operator", "getitem", ATTR, "getitem reaches into sys.modules-like mappings"),
    UNSAFE("_operator", "*", ATTR, "the C twin of operator: attrgetter, methodcaller"),
    UNSAFE("functools", "partial", ATTR, "partial wraps any callable with arguments, hiding the call"),
    UNSAFE("functools", "reduce", ATTR, "reduce applies any callable"),
    UNSAFE("_functools", "*", ATTR, "the C twin of functools"),
    UNSAFE("copyreg", "_extension_registry", IMPORT, "the extension registry names arbitrary globals"),
    UNSAFE("importlib.*", "*", IMPORT, "import_module loads any module"),
    UNSAFE("imp", "*", IMPORT, "imp loads any module or source file"),
    UNSAFE("pkgutil", "*", IMPORT, "resolve_name / get_loader load any module"),
    UNSAFE("zipimport", "*", IMPORT, "imports code from a zip file"),
    UNSAFE("pydoc", "*", IMPORT, "pydoc.locate imports any dotted name; pipepager runs a command"),
    UNSAFE("inspect", "*", ATTR, "inspect reaches frames, globals and source"),
    UNSAFE("types", "CodeType", FFI, "builds a code object"),
    UNSAFE("types", "FunctionType", FFI, "builds a function from a code object"),
    UNSAFE("types", "ModuleType", IMPORT, "builds a module"),
    UNSAFE("marshal", "*", FFI, "marshal.loads makes code objects from bytes"),
    UNSAFE("ctypes", "*", FFI, "ctypes calls native code"),
    UNSAFE("_ctypes", "*", FFI, "ctypes internals call native code"),
    UNSAFE("cffi", "*", FFI, "calls native code"),
    UNSAFE("runpy", "*", EVAL, "runpy runs modules and code"),
    UNSAFE("code", "*", EVAL, "code.InteractiveInterpreter runs source strings"),
    UNSAFE("codeop", "*", EVAL, "compiles source strings"),
    UNSAFE("timeit", "*", EVAL, "timeit runs a code string"),
    UNSAFE("cProfile", "*", DEBUG, "cProfile.run executes a code string"),
    UNSAFE("profile", "*", DEBUG, "profile.run executes a code string"),
    UNSAFE("pdb", "*", DEBUG, "pdb.run executes a code string"),
    UNSAFE("bdb", "*", DEBUG, "bdb runs code under a debugger"),
    UNSAFE("trace", "*", DEBUG, "trace runs code strings"),
    UNSAFE("idlelib.*", "*", EVAL, "IDLE's run and debugger modules execute code"),
    UNSAFE("lib2to3.*", "*", EVAL, "refactoring tools run and write code"),
    UNSAFE("doctest", "*", EVAL, "runs code found in strings"),
    UNSAFE("unittest.*", "*", EVAL, "mock and loaders run arbitrary callables"),
    UNSAFE("numpy.testing._private.utils", "runstring", EVAL, "runstring executes a code string"),
    UNSAFE("numpy.f2py.*", "*", EXEC, "builds and runs compilers"),
    UNSAFE("numpy.distutils.*", "*", EXEC, "runs compilers"),
    UNSAFE("pip.*", "*", EXEC, "pip installs and runs packages (pip._internal.main)"),
    UNSAFE("setuptools.*", "*", EXEC, "runs build steps and compilers"),
    UNSAFE("distutils.*", "*", EXEC, "runs build steps and compilers"),
    UNSAFE("ensurepip", "*", EXEC, "runs pip"),
    UNSAFE("venv", "*", EXEC, "creates environments and runs pip"),
    UNSAFE("site", "*", IMPORT, "site runs .pth files and changes the import path"),
    UNSAFE("pickle", "*", NESTED, "pickle.loads runs another pickle"),
    UNSAFE("_pickle", "*", NESTED, "the C twin of pickle"),
    UNSAFE("cPickle", "*", NESTED, "pickle under its Python 2 name"),
    UNSAFE("pickletools", "*", NESTED, "reads pickles"),
    UNSAFE("shelve", "*", NESTED, "opens a pickle database"),
    UNSAFE("dill.*", "*", NESTED, "dill rebuilds code objects and functions"),
    UNSAFE("cloudpickle.*", "*", NESTED, "cloudpickle rebuilds functions and code objects"),
    UNSAFE("jsonpickle.*", "*", NESTED, "jsonpickle decodes arbitrary objects"),
    UNSAFE("yaml", "load", NESTED, "yaml.load with an unsafe loader builds arbitrary objects"),
    UNSAFE("yaml", "unsafe_load", NESTED, "builds arbitrary objects"),
    UNSAFE("yaml", "full_load", NESTED, "builds Python objects"),
    UNSAFE("torch", "load", NESTED, "torch.load of nested bytes unpickles them"),
    UNSAFE("torch.serialization", "load", NESTED, "unpickles nested bytes"),
    UNSAFE("torch.storage", "_load_from_bytes", NESTED, "torch.load of embedded bytes"),
    UNSAFE("torch.jit.*", "*", EVAL, "TorchScript compiles and runs code"),
    UNSAFE("torch.hub", "*", EXEC, "downloads and runs repositories"),
    UNSAFE("torch._dynamo.*", "*", EVAL, "compiles and runs code"),
    UNSAFE("torch._inductor.*", "*", EXEC, "runs compilers"),
    UNSAFE("numpy", "load", NESTED, "numpy.load with allow_pickle unpickles"),
    UNSAFE("numpy.lib.npyio", "*", NESTED, "loads pickled arrays"),
    UNSAFE("joblib", "load", NESTED, "unpickles nested files"),
    UNSAFE("joblib.numpy_pickle", "load", NESTED, "unpickles nested files"),
    UNSAFE("pandas.io.pickle", "*", NESTED, "read_pickle unpickles"),
    UNSAFE("pandas", "read_pickle", NESTED, "unpickles"),
    UNSAFE("keras.*", "*", EVAL, "Keras deserialisation can build Lambda layers with code"),
    UNSAFE("tensorflow.*", "*", EXEC, "TensorFlow ops read and write files and run Python"),
    UNSAFE("socket", "*", NET, "opens network connections"),
    UNSAFE("_socket", "*", NET, "opens network connections"),
    UNSAFE("ssl", "*", NET, "opens network connections"),
    UNSAFE("http.*", "*", NET, "HTTP client and server"),
    UNSAFE("urllib.*", "*", NET, "downloads and opens URLs"),
    UNSAFE("urllib2", "*", NET, "downloads and opens URLs"),
    UNSAFE("httplib", "*", NET, "HTTP client"),
    UNSAFE("requests.*", "*", NET, "downloads and uploads"),
    UNSAFE("ftplib", "*", NET, "FTP client"),
    UNSAFE("smtplib", "*", NET, "sends mail"),
    UNSAFE("telnetlib", "*", NET, "opens connections"),
    UNSAFE("xmlrpc.*", "*", NET, "calls remote procedures"),
    UNSAFE("asyncio.*", "*", NET, "event loops open connections and start processes"),
    UNSAFE("shutil", "*", FILEIO, "copies, moves and deletes trees"),
    UNSAFE("io", "open", FILEIO, "opens files"),
    UNSAFE("io", "FileIO", FILEIO, "opens files"),
    UNSAFE("io", "open_code", FILEIO, "opens files"),
    UNSAFE("_io", "*", FILEIO, "the C twin of io: opens files"),
    UNSAFE("codecs", "open", FILEIO, "opens files"),
    UNSAFE("pathlib", "*", FILEIO, "Path objects read, write and delete files; pathlib also reaches os"),
    UNSAFE("tempfile", "*", FILEIO, "creates files"),
    UNSAFE("glob", "*", FILEIO, "lists the file system"),
    UNSAFE("fileinput", "*", FILEIO, "opens files, may run a hook"),
    UNSAFE("linecache", "*", FILEIO, "reads files"),
    UNSAFE("gc", "*", ATTR, "reaches every live object"),
    UNSAFE("builtins", "object.__subclasses__", ATTR, "reaches every class"),

    /* value types and collections */
    SAFE("builtins", "set"), SAFE("builtins", "frozenset"), SAFE("builtins", "dict"), SAFE("builtins", "list"),
    SAFE("builtins", "tuple"), SAFE("builtins", "bytearray"), SAFE("builtins", "bytes"), SAFE("builtins", "int"),
    SAFE("builtins", "float"), SAFE("builtins", "complex"), SAFE("builtins", "str"), SAFE("builtins", "bool"),
    SAFE("builtins", "slice"), SAFE("builtins", "range"), SAFE("builtins", "object"), SAFE("builtins", "NoneType"),
    SAFE("builtins", "Ellipsis"), SAFE("builtins", "NotImplemented"),
    SAFE("copyreg", "_reconstructor"), SAFE("copyreg", "__newobj__"), SAFE("copyreg", "__newobj_ex__"),
    SAFE("collections", "OrderedDict"), SAFE("collections", "defaultdict"), SAFE("collections", "Counter"),
    SAFE("collections", "deque"), SAFE("collections", "namedtuple"),
    SAFE("datetime", "datetime"), SAFE("datetime", "date"), SAFE("datetime", "time"), SAFE("datetime", "timedelta"),
    SAFE("datetime", "timezone"), SAFE("decimal", "Decimal"), SAFE("fractions", "Fraction"), SAFE("uuid", "UUID"),
    SAFE("_codecs", "encode"), SAFE("codecs", "encode"),
    /* PyTorch tensors and storages */
    SAFE("torch._utils", "_rebuild_tensor"), SAFE("torch._utils", "_rebuild_tensor_v2"),
    SAFE("torch._utils", "_rebuild_tensor_v3"), SAFE("torch._utils", "_rebuild_parameter"),
    SAFE("torch._utils", "_rebuild_parameter_with_state"), SAFE("torch._utils", "_rebuild_qtensor"),
    SAFE("torch._utils", "_rebuild_sparse_tensor"), SAFE("torch._utils", "_rebuild_nested_tensor"),
    SAFE("torch._utils", "_rebuild_device_tensor_from_numpy"), SAFE("torch._utils", "_rebuild_meta_tensor_no_storage"),
    SAFE("torch._utils", "_rebuild_wrapper_subclass"),
    SAFE("torch._tensor", "_rebuild_from_type_v2"), SAFE("torch._tensor", "_rebuild_from_type"),
    SAFE("torch.nn.parameter", "Parameter"), SAFE("torch", "Size"), SAFE("torch", "device"), SAFE("torch", "dtype"),
    SAFE("torch", "Tensor"), SAFE("torch.storage", "TypedStorage"), SAFE("torch.storage", "UntypedStorage"),
    SAFE("torch", "FloatStorage"), SAFE("torch", "DoubleStorage"), SAFE("torch", "HalfStorage"),
    SAFE("torch", "BFloat16Storage"), SAFE("torch", "LongStorage"), SAFE("torch", "IntStorage"),
    SAFE("torch", "ShortStorage"), SAFE("torch", "CharStorage"), SAFE("torch", "ByteStorage"),
    SAFE("torch", "BoolStorage"), SAFE("torch", "ComplexFloatStorage"), SAFE("torch", "ComplexDoubleStorage"),
    SAFE("torch", "QInt8Storage"), SAFE("torch", "QUInt8Storage"), SAFE("torch", "QInt32Storage"),
    SAFE("torch", "float32"), SAFE("torch", "float64"), SAFE("torch", "float16"), SAFE("torch", "bfloat16"),
    SAFE("torch", "int64"), SAFE("torch", "int32"), SAFE("torch", "int16"), SAFE("torch", "int8"),
    SAFE("torch", "uint8"), SAFE("torch", "bool"), SAFE("torch", "complex64"), SAFE("torch", "complex128"),
    SAFE("torch", "per_tensor_affine"), SAFE("torch", "per_channel_affine"), SAFE("torch", "contiguous_format"),
    SAFE("torch", "channels_last"), SAFE("torch", "preserve_format"),
    /* NumPy arrays, scalars, dtypes, random state */
    SAFE("numpy.core.multiarray", "_reconstruct"), SAFE("numpy._core.multiarray", "_reconstruct"),
    SAFE("numpy.core.multiarray", "scalar"), SAFE("numpy._core.multiarray", "scalar"),
    SAFE("numpy.core.numeric", "_frombuffer"), SAFE("numpy._core.numeric", "_frombuffer"),
    SAFE("numpy", "ndarray"), SAFE("numpy", "dtype"), SAFE("numpy", "core.multiarray._reconstruct"),
    SAFE("numpy.ma.core", "_mareconstruct"), SAFE("numpy.ma.core", "MaskedArray"),
    SAFE("numpy.random._pickle", "__randomstate_ctor"), SAFE("numpy.random._pickle", "__bit_generator_ctor"),
    SAFE("numpy.random._pickle", "__generator_ctor"), SAFE("numpy.random", "__RandomState_ctor"),
    SAFE("numpy.random.mtrand", "RandomState"), SAFE("numpy.random._mt19937", "MT19937"),
    SAFE("numpy.random._pcg64", "PCG64"), SAFE("numpy.random._generator", "Generator"),
    SAFE("numpy", "float64"), SAFE("numpy", "float32"), SAFE("numpy", "int64"), SAFE("numpy", "int32"),
    SAFE("numpy", "bool_"), SAFE("numpy", "uint8"),
    /* joblib's array wrappers */
    SAFE("joblib.numpy_pickle", "NumpyArrayWrapper"), SAFE("joblib.numpy_pickle_compat", "NDArrayWrapper"),
    SAFE("sklearn.externals.joblib.numpy_pickle", "NumpyArrayWrapper"),
    /* scikit-learn estimators: classes rebuilt with copyreg._reconstructor + BUILD */
    SAFE("sklearn.linear_model.*", "*"), SAFE("sklearn.ensemble.*", "*"), SAFE("sklearn.tree.*", "*"),
    SAFE("sklearn.svm.*", "*"), SAFE("sklearn.neighbors.*", "*"), SAFE("sklearn.naive_bayes", "*"),
    SAFE("sklearn.cluster.*", "*"), SAFE("sklearn.decomposition.*", "*"), SAFE("sklearn.preprocessing.*", "*"),
    SAFE("sklearn.pipeline", "Pipeline"), SAFE("sklearn.pipeline", "FeatureUnion"),
    SAFE("sklearn.compose.*", "*"), SAFE("sklearn.impute.*", "*"), SAFE("sklearn.feature_extraction.*", "*"),
    SAFE("sklearn.feature_selection.*", "*"), SAFE("sklearn.neural_network.*", "*"),
    SAFE("sklearn.discriminant_analysis", "*"), SAFE("sklearn.calibration", "*"), SAFE("sklearn.dummy", "*"),
    SAFE("sklearn._loss.*", "*"), SAFE("sklearn.utils._bunch", "Bunch"),
};
/* clang-format on */

struct bw_allowlist {
    struct entry *user; /* from packs; strings owned by `text` */
    size_t n_user;
    char **texts;
    size_t n_texts;
};

const char *bw_allowlist_version(void)
{
    return ALLOWLIST_VERSION;
}

static bool module_match(const char *pat, const char *module)
{
    size_t n = strlen(pat);

    if (n >= 2 && strcmp(pat + n - 2, ".*") == 0) {
        n -= 2;
        return strncmp(pat, module, n) == 0 && (module[n] == '\0' || module[n] == '.');
    }
    return strcmp(pat, module) == 0;
}

static bool entry_match(const struct entry *e, const char *module, const char *name)
{
    return module_match(e->module, module) && (strcmp(e->name, "*") == 0 || strcmp(e->name, name) == 0);
}

static const struct entry *find(const struct bw_allowlist *a, bw_allow_kind kind, const char *module, const char *name)
{
    if (kind == BW_ALLOW_UNSAFE) {
        for (size_t i = 0; i < BW_ARRAY_LEN(builtin); i++) {
            if (builtin[i].kind == kind && entry_match(&builtin[i], module, name)) {
                return &builtin[i];
            }
        }
    }
    for (size_t i = 0; a != NULL && i < a->n_user; i++) {
        if (a->user[i].kind == kind && entry_match(&a->user[i], module, name)) {
            return &a->user[i];
        }
    }
    if (kind == BW_ALLOW_SAFE) {
        for (size_t i = 0; i < BW_ARRAY_LEN(builtin); i++) {
            if (builtin[i].kind == kind && entry_match(&builtin[i], module, name)) {
                return &builtin[i];
            }
        }
    }
    return NULL;
}

static void fill(bw_allow_hit *hit, const struct entry *e)
{
    hit->kind = e->kind;
    hit->category = e->category;
    hit->why = e->why;
}

bw_allow_kind bw_allowlist_lookup(const struct bw_allowlist *a, const char *module, const char *name, bw_allow_hit *hit)
{
    const struct entry *e;
    char mod[512], rest[512];
    const char *dot;

    memset(hit, 0, sizeof(*hit));
    hit->kind = BW_ALLOW_UNKNOWN;
    /* dangerous first, under every way a dotted name can resolve */
    if ((e = find(a, BW_ALLOW_UNSAFE, module, name)) != NULL) {
        fill(hit, e);
        return e->kind;
    }
    for (dot = strchr(name, '.'); dot != NULL; dot = strchr(dot + 1, '.')) {
        size_t head = (size_t)(dot - name);
        /* module.head as a submodule, then head alone as a module reached by attribute */
        snprintf(mod, sizeof(mod), "%s.%.*s", module, (int)head, name);
        snprintf(rest, sizeof(rest), "%s", dot + 1);
        if ((e = find(a, BW_ALLOW_UNSAFE, mod, rest)) != NULL) {
            fill(hit, e);
            return e->kind;
        }
        for (const char *h = name; h < dot;) {
            const char *next = memchr(h, '.', (size_t)(dot - h));
            snprintf(mod, sizeof(mod), "%.*s", (int)(dot - h), h);
            if ((e = find(a, BW_ALLOW_UNSAFE, mod, rest)) != NULL) {
                fill(hit, e);
                return e->kind;
            }
            if (next == NULL) {
                break;
            }
            h = next + 1;
        }
    }
    if (strchr(name, '.') != NULL) {
        /*
         * A dotted path through an introspection attribute (getattr.__self__
         * is the builtins module; f.__globals__ is a module's namespace)
         * reaches anything: no writer of model files needs one.
         */
        static const char *const dunders[] = {
            "__self__",       "__globals__", "__builtins__", "__class__",  "__dict__", "__module__",
            "__subclasses__", "__mro__",     "__base__",     "__bases__",  "__init__", "__getattribute__",
            "__reduce__",     "__code__",    "__closure__",  "__loader__", "__spec__", "__import__"};
        const char *last = strrchr(name, '.') + 1;
        for (size_t i = 0; i < BW_ARRAY_LEN(dunders); i++) {
            const char *at = strstr(name, dunders[i]);
            size_t len = strlen(dunders[i]);
            if (at != NULL && (at == name || at[-1] == '.') && (at[len] == '\0' || at[len] == '.')) {
                static const struct entry dunder = {BW_ALLOW_UNSAFE, "*", "*", "attribute access stand-in",
                                                    "a dotted name through an introspection attribute reaches "
                                                    "builtins, module namespaces or any class"};
                fill(hit, &dunder);
                return BW_ALLOW_UNSAFE;
            }
        }
        /* the object finally reached, looked up as a builtin (exec, eval, getattr ...) */
        if ((e = find(a, BW_ALLOW_UNSAFE, "builtins", last)) != NULL) {
            fill(hit, e);
            return e->kind;
        }
    }
    if ((e = find(a, BW_ALLOW_SAFE, module, name)) != NULL) {
        fill(hit, e);
        return e->kind;
    }
    return BW_ALLOW_UNKNOWN;
}

void bw_allowlist_free(struct bw_allowlist *a)
{
    if (a == NULL) {
        return;
    }
    for (size_t i = 0; i < a->n_texts; i++) {
        bw_free(a->texts[i]);
    }
    bw_free(a->texts);
    bw_free(a->user);
    bw_free(a);
}

static char *next_field(char **p)
{
    char *s = *p, *start;

    while (*s == ' ' || *s == '\t') {
        s++;
    }
    if (*s == '\0') {
        *p = s;
        return NULL;
    }
    start = s;
    while (*s != '\0' && *s != ' ' && *s != '\t') {
        s++;
    }
    if (*s != '\0') {
        *s++ = '\0';
    }
    *p = s;
    return start;
}

bw_status bw_allowlist_parse(struct bw_allowlist *a, char *text, const char *source, bw_error *err)
{
    size_t lineno = 0;
    char *line = text;

    while (line != NULL && *line != '\0') {
        char *nl = strchr(line, '\n'), *p, *kind, *module, *name;
        struct entry e;
        lineno++;
        if (nl != NULL) {
            *nl = '\0';
        }
        if (strchr(line, '\r') != NULL) {
            *strchr(line, '\r') = '\0';
        }
        p = strchr(line, '#');
        if (p != NULL) {
            *p = '\0';
        }
        p = line;
        kind = next_field(&p);
        if (kind != NULL) {
            module = next_field(&p);
            name = next_field(&p);
            while (*p == ' ' || *p == '\t') {
                p++;
            }
            if (module == NULL || name == NULL || (strcmp(kind, "safe") != 0 && strcmp(kind, "unsafe") != 0)) {
                return bw_fail(err, BW_EFORMAT, "%s: line %zu: expected 'safe|unsafe MODULE NAME [why]'", source,
                               lineno);
            }
            if (strcmp(module, "*") == 0 || strcmp(module, ".*") == 0) {
                return bw_fail(err, BW_EFORMAT, "%s: line %zu: a module pattern must name a module", source, lineno);
            }
            e.kind = strcmp(kind, "safe") == 0 ? BW_ALLOW_SAFE : BW_ALLOW_UNSAFE;
            e.module = module;
            e.name = name;
            e.category = e.kind == BW_ALLOW_SAFE ? "allowlisted by a pack" : "denied by a pack";
            e.why = *p != '\0' ? p : NULL;
            if (a->n_user % 64 == 0) {
                struct entry *v = bw_reallocarray(a->user, a->n_user + 64, sizeof(*v));
                if (v == NULL) {
                    return bw_fail(err, BW_ENOMEM, "out of memory");
                }
                a->user = v;
            }
            a->user[a->n_user++] = e;
        }
        line = nl != NULL ? nl + 1 : NULL;
    }
    return BW_OK;
}

bw_status bw_allowlist_load(struct bw_allowlist **out, const char *const *files, size_t n, bw_error *err)
{
    struct bw_allowlist *a = bw_calloc(1, sizeof(*a));
    bw_status rc = BW_OK;

    *out = NULL;
    if (a == NULL || (n > 0 && (a->texts = bw_calloc(n, sizeof(char *))) == NULL)) {
        bw_free(a);
        return bw_fail(err, BW_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < n && rc == BW_OK; i++) {
        bw_buf b = BW_BUF_INIT((size_t)16 << 20);
        rc = bw_file_slurp(files[i], BW_FILE_FOLLOW, (size_t)16 << 20, &b, err);
        if (rc == BW_OK) {
            rc = bw_buf_take(&b, &a->texts[a->n_texts], NULL);
        }
        bw_buf_release(&b);
        if (rc == BW_OK) {
            rc = bw_allowlist_parse(a, a->texts[a->n_texts++], files[i], err);
        }
    }
    if (rc != BW_OK) {
        bw_allowlist_free(a);
        return rc;
    }
    *out = a;
    return BW_OK;
}
