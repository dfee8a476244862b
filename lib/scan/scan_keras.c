/*
 * scan_keras.c - Keras model configs: the JSON a loader turns into layers
 * (.keras zips' config.json, Keras 2 `to_json`, the "model_config" attribute
 * of Keras 2 .h5 files) and the HDF5 container itself.
 *
 * The config is parsed with jansson and walked whole (bounded depth). Code
 * runs at load through three doors, each reported: Lambda layers (marshaled
 * Python bytecode, decoded only far enough to recognise a code object, never
 * unmarshaled), Keras 3 {"module": ..., "class_name": ...} references the
 * loader imports, and TFOpLambda layers naming TensorFlow functions.
 *
 * HDF5 is read by libhdf5 from the in-memory image (see
 * docs/internals/keras.md for the accepted risk). libhdf5 is not
 * thread-safe in Debian's serial build: every call holds h5_lock.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "scan/allowlist.h"
#include "scan/mscan.h"
#include "scan/scan_onnx.h"
#include "util/internal.h"

#include <hdf5.h>

#define KERAS_MAX_JSON ((size_t)64 << 20) /* config text */
#define KERAS_MAX_DEPTH 64                /* JSON nesting walked */
#define KERAS_MAX_FINDINGS 64             /* per config; the rest only raise the verdict */
#define KERAS_SNIFF_WINDOW 4096
#define KERAS_MAX_CODE_B64 ((size_t)16 << 20)

static const bw_rule keras_rule_lambda = {
    "keras-lambda-layer",
    "KerasLambdaLayer",
    "A Keras Lambda layer carries Python code",
    "Lambda layers store a Python function as marshaled bytecode (or a name); Keras rebuilds and runs it when the "
    "model is loaded (CVE-2024-3660 for Keras 2; Keras 3 refuses it only in safe_mode). Never load such a model "
    "from an untrusted source.",
    NULL,
    BW_SEV_CRITICAL,
};

static const bw_rule keras_rule_module = {
    "keras-external-module",
    "KerasExternalModule",
    "The Keras config makes the loader import a module outside Keras",
    "Keras 3 configs name objects as {\"module\", \"class_name\"}; the loader imports the module and looks the "
    "name up (CVE-2025-1550 and follow-ups). A module outside Keras is a custom object at best and arbitrary code "
    "(os.system, builtins.exec) at worst. Inside Keras, functions such as keras.utils.get_file (writes files, "
    "CVE-2025-8747) and keras.config.enable_unsafe_deserialization (CVE-2025-9906) are just as dangerous.",
    NULL,
    BW_SEV_HIGH,
};

static const bw_rule keras_rule_tfop = {
    "keras-tf-op-lambda",
    "KerasTFOpLambda",
    "A TFOpLambda layer calls a TensorFlow function",
    "TFOpLambda and SlicingOpLambda layers call the tf.* function they name. Most are arithmetic; tf.io file "
    "operations and tf.py_function / tf.numpy_function reach the file system or Python.",
    NULL,
    BW_SEV_MEDIUM,
};

static const bw_rule keras_rule_malformed = {
    "keras-malformed",
    "KerasMalformed",
    "The Keras config is not valid JSON or is over a limit",
    "The model config could not be parsed or walked within the limits (size, nesting depth): it cannot be shown "
    "safe.",
    NULL,
    BW_SEV_HIGH,
};

static const bw_rule h5_rule_malformed = {
    "h5-malformed",
    "H5Malformed",
    "The HDF5 file cannot be read",
    "libhdf5 refused the file, or its Keras attributes are not strings within the limits: it cannot be shown "
    "safe.",
    NULL,
    BW_SEV_HIGH,
};

BW_INTERNAL const bw_rule *const *bw_scan_keras_rules(size_t *n);
const bw_rule *const *bw_scan_keras_rules(size_t *n)
{
    static const bw_rule *const all[] = {&keras_rule_lambda, &keras_rule_module, &keras_rule_tfop,
                                         &keras_rule_malformed, &h5_rule_malformed};
    *n = BW_ARRAY_LEN(all);
    return all;
}

/* ---- sniffers ---- */

static const uint8_t *find(const uint8_t *p, size_t n, const char *needle)
{
    return memmem(p, n, needle, strlen(needle));
}

int bw_sniff_keras_json(const uint8_t *p, size_t n)
{
    size_t i = 0, w;
    const uint8_t *m;

    if (p == NULL) {
        return 0;
    }
    w = BW_MIN(n, (size_t)KERAS_SNIFF_WINDOW);
    while (i < w && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n')) {
        i++;
    }
    if (i >= w || p[i] != '{' || find(p, w, "\"class_name\"") == NULL) {
        return 0;
    }
    if (find(p, w, "\"config\"") != NULL && find(p, w, "\"layers\"") != NULL) {
        return 1;
    }
    if (find(p, w, "\"keras_version\"") != NULL) {
        return 1;
    }
    m = find(p, w, "\"module\"");
    while (m != NULL) {
        size_t at = (size_t)(m - p) + 8;
        while (at < w && (p[at] == ' ' || p[at] == ':' || p[at] == '\t' || p[at] == '\n' || p[at] == '\r')) {
            at++;
        }
        if (w - at >= 6 && memcmp(p + at, "\"keras", 6) == 0) {
            return 1;
        }
        m = at < w ? find(p + at, w - at, "\"module\"") : NULL;
    }
    return 0;
}

int bw_sniff_h5(const uint8_t *p, size_t n)
{
    static const uint8_t sig[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};

    if (p == NULL) {
        return 0;
    }
    /* the superblock sits at 0 or after a user block of 512 * 2^k bytes */
    for (size_t off = 0; off < n && n - off >= sizeof(sig); off = off == 0 ? 512 : off * 2) {
        if (memcmp(p + off, sig, sizeof(sig)) == 0) {
            return 1;
        }
        if (off > SIZE_MAX / 2) {
            break;
        }
    }
    return 0;
}

/* ---- the JSON walk ---- */

typedef struct kwalk {
    bw_mscan *s;
    unsigned findings;
    int depth_flagged;
} kwalk;

#define KFLAG(w, v, rule, sev, ...)                                                                                    \
    do {                                                                                                               \
        if ((w)->findings < KERAS_MAX_FINDINGS) {                                                                      \
            (w)->findings++;                                                                                           \
            bw_mscan_flag((w)->s, (v), (rule), (sev), BW_NO_OFFSET, __VA_ARGS__);                                      \
        } else if ((v) > (w)->s->verdict) {                                                                            \
            (w)->s->verdict = (v);                                                                                     \
        }                                                                                                              \
    } while (0)

static void esc_str(const char *str, char *out, size_t cap)
{
    bw_escape_for_log(str != NULL ? str : "", str != NULL ? strlen(str) : 0, out, cap);
}

static const char *jstr(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

/* Does base64 text (whitespace allowed, as Keras' func_dump writes it) hold a marshaled code object? */
static bw_status code_object_in(const char *b64, int *found)
{
    bw_buf raw = BW_BUF_INIT(KERAS_MAX_CODE_B64);
    bw_buf clean = BW_BUF_INIT(KERAS_MAX_CODE_B64);
    size_t n = strlen(b64), bad;
    bw_status rc = BW_OK;

    *found = 0;
    if (n > KERAS_MAX_CODE_B64) {
        return BW_OK;
    }
    for (size_t i = 0; i < n; i++) {
        char c = b64[i];
        if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
            continue;
        }
        rc = bw_buf_addc(&clean, c);
        if (rc != BW_OK) {
            goto out;
        }
    }
    if (clean.len == 0) {
        goto out;
    }
    rc = bw_base64_decode(clean.ptr, clean.len, &raw, &bad);
    if (rc == BW_ENOMEM) {
        goto out;
    }
    /* marshal's TYPE_CODE is 'c', with FLAG_REF (0x80) set when refs are in use */
    *found = rc == BW_OK && raw.len > 0 && ((uint8_t)raw.ptr[0] == 0xe3 || raw.ptr[0] == 'c');
    rc = BW_OK;
out:
    bw_buf_release(&clean);
    bw_buf_release(&raw);
    return rc;
}

static bw_status check_lambda(kwalk *w, const json_t *layer, const char *path)
{
    const json_t *cfg = json_object_get(layer, "config");
    const json_t *fn = json_object_get(cfg, "function");
    const char *lname = jstr(cfg, "name");
    const char *code = NULL, *what = "no function";
    char name[128], fname[128];
    int bytecode = 0;

    esc_str(lname != NULL ? lname : "?", name, sizeof(name));
    fname[0] = '\0';
    if (json_is_array(fn)) { /* Keras 2: [base64 marshal, defaults, closure] */
        code = json_string_value(json_array_get(fn, 0));
        what = "a function";
    } else if (json_is_object(fn)) { /* Keras 3: {"class_name": "__lambda__", "config": {"code": ...}} */
        const char *cls = jstr(fn, "class_name");
        code = jstr(json_object_get(fn, "config"), "code");
        if (code == NULL && json_is_string(json_object_get(fn, "config"))) {
            esc_str(jstr(fn, "config"), fname, sizeof(fname));
        }
        what = cls != NULL && strcmp(cls, "__lambda__") == 0 ? "a __lambda__ function" : "a function object";
    } else if (json_is_string(fn)) { /* function_type "raw" (base64) or a function's name */
        const char *ft = jstr(cfg, "function_type");
        if (ft != NULL && strcmp(ft, "function") == 0) {
            esc_str(json_string_value(fn), fname, sizeof(fname));
            what = "a named function";
        } else {
            code = json_string_value(fn);
            what = "a function";
        }
    }
    if (code != NULL) {
        BW_TRY(code_object_in(code, &bytecode));
    }
    if (bytecode) {
        KFLAG(w, BW_VERDICT_UNSAFE, keras_rule_lambda.id, BW_SEV_CRITICAL,
              "Lambda layer '%s' at %s holds %s as marshaled Python bytecode: Keras runs it at load", name, path, what);
    } else if (fname[0] != '\0') {
        KFLAG(w, BW_VERDICT_UNSAFE, keras_rule_lambda.id, BW_SEV_CRITICAL,
              "Lambda layer '%s' at %s calls function '%s' (no bytecode): Keras runs it at load", name, path, fname);
    } else {
        KFLAG(w, BW_VERDICT_UNSAFE, keras_rule_lambda.id, BW_SEV_CRITICAL,
              "Lambda layer '%s' at %s holds %s (no marshaled bytecode recognised): Keras runs Lambda code at load",
              name, path, what);
    }
    return BW_OK;
}

static int has_prefix(const char *s, const char *pre)
{
    return strncmp(s, pre, strlen(pre)) == 0;
}

static void check_tfop(kwalk *w, const json_t *layer, const char *cls, const char *path)
{
    const json_t *cfg = json_object_get(layer, "config");
    const char *fn = jstr(cfg, "function");
    const char *op;
    char e[160];
    int unsafe = 0;

    if (fn == NULL) {
        fn = jstr(cfg, "name");
    }
    if (fn == NULL) {
        fn = "";
    }
    op = has_prefix(fn, "tf.") ? fn + 3 : fn;
    if (has_prefix(op, "io.") || strcmp(op, "py_function") == 0 || strcmp(op, "numpy_function") == 0 ||
        strcmp(op, "py_func") == 0 || strcmp(op, "compat.v1.py_func") == 0 || has_prefix(op, "compat.v1.io.") ||
        has_prefix(op, "compat.v1.gfile.") || has_prefix(op, "compat.v2.io.") || has_prefix(op, "io.gfile.")) {
        unsafe = 1;
    } else if (has_prefix(op, "raw_ops.")) {
        const char *raw = op + 8;
        unsafe = bw_tf_op_risk((bw_bytes){(const uint8_t *)raw, strlen(raw)}) == BW_TF_RISK_UNSAFE;
    }
    esc_str(op, e, sizeof(e));
    if (unsafe) {
        KFLAG(w, BW_VERDICT_UNSAFE, keras_rule_tfop.id, BW_SEV_CRITICAL,
              "%s layer at %s calls tf.%s: file system or Python access at inference", cls, path, e);
    } else {
        KFLAG(w, BW_VERDICT_REVIEW, keras_rule_tfop.id, BW_SEV_MEDIUM, "%s layer at %s calls tf.%s", cls, path, e);
    }
}

/* Modules a Keras 3 loader may import without that being a custom object. */
static int keras_module(const char *m)
{
    static const char *const roots[] = {"keras", "keras_nlp", "keras_cv", "keras_hub", "keras_core", "tf_keras"};
    for (size_t i = 0; i < BW_ARRAY_LEN(roots); i++) {
        size_t k = strlen(roots[i]);
        if (strncmp(m, roots[i], k) == 0 && (m[k] == '\0' || m[k] == '.')) {
            return 1;
        }
    }
    return 0;
}

/*
 * Functions inside Keras that a config must never name: each was the core of
 * a published safe_mode bypass or does what a model never needs at load.
 */
static const struct {
    const char *name;
    const char *why;
} keras_danger[] = {
    {"get_file", "downloads a URL and writes or extracts it on disk (CVE-2025-8747: safe_mode bypass)"},
    {"enable_unsafe_deserialization", "turns safe_mode off for what follows, e.g. a Lambda (CVE-2025-9906)"},
    {"load_model", "loads another model file the scan cannot see"},
    {"model_from_json", "builds another model from a config the scan cannot see"},
    {"model_from_yaml", "builds another model from a config the scan cannot see"},
    {"load_weights", "reads another file named in the config"},
};

static void check_module(kwalk *w, const json_t *o, const char *module, const char *cls, const char *path)
{
    const char *name = cls;
    bw_allow_hit hit = {BW_ALLOW_UNKNOWN, NULL, NULL};
    bw_allow_kind kind;
    char em[160], en[160];

    if (strcmp(cls, "function") == 0) { /* Keras 3 functions: the name is the config (or registered_name) */
        const char *c = jstr(o, "config");
        name = c != NULL ? c : jstr(o, "registered_name");
        if (name == NULL) {
            name = "?";
        }
    }
    esc_str(module, em, sizeof(em));
    esc_str(name, en, sizeof(en));
    if (keras_module(module)) {
        const char *last = strrchr(name, '.'); /* "utils.get_file" names the same function */
        last = last != NULL ? last + 1 : name;
        for (size_t i = 0; i < BW_ARRAY_LEN(keras_danger); i++) {
            if (strcmp(last, keras_danger[i].name) == 0) {
                KFLAG(w, BW_VERDICT_UNSAFE, keras_rule_module.id, BW_SEV_CRITICAL,
                      "%s at %s references %s.%s, which %s", cls == name ? "object" : "function", path, em, en,
                      keras_danger[i].why);
            }
        }
        return;
    }
    kind = bw_allowlist_lookup(w->s->allow, module, name, &hit);
    if (kind == BW_ALLOW_UNSAFE) {
        KFLAG(w, BW_VERDICT_UNSAFE, keras_rule_module.id, BW_SEV_CRITICAL,
              "%s at %s references %s.%s (%s): the loader imports it", cls == name ? "object" : "function", path, em,
              en, hit.category != NULL ? hit.category : "unsafe");
    } else if (kind == BW_ALLOW_UNKNOWN) {
        KFLAG(w, BW_VERDICT_REVIEW, keras_rule_module.id, BW_SEV_MEDIUM,
              "custom object from module %s (%s) at %s: imported at load", em, en, path);
    }
}

static bw_status walk(kwalk *w, const json_t *j, char *path, size_t plen, size_t cap, unsigned depth);

static void path_push(char *path, size_t plen, size_t cap, const char *fmt, const char *key, size_t idx)
{
    char esc[64];
    if (key != NULL) {
        esc_str(key, esc, sizeof(esc));
        snprintf(path + plen, cap - plen, fmt, esc);
    } else {
        snprintf(path + plen, cap - plen, fmt, idx);
    }
}

static bw_status walk_object(kwalk *w, const json_t *j, char *path, size_t plen, size_t cap, unsigned depth)
{
    const char *cls = jstr(j, "class_name");
    const char *module = jstr(j, "module");
    const char *key;
    json_t *v;
    const char *where = plen > 0 ? path : "the top level";

    if (cls != NULL) {
        if (strcmp(cls, "Lambda") == 0) {
            BW_TRY(check_lambda(w, j, where));
        } else if (strcmp(cls, "TFOpLambda") == 0 || strcmp(cls, "SlicingOpLambda") == 0) {
            check_tfop(w, j, cls, where);
        }
        if (module != NULL) {
            check_module(w, j, module, cls, where);
        }
    }
    json_object_foreach((json_t *)(uintptr_t)j, key, v)
    {
        if (json_is_object(v) || json_is_array(v)) {
            path_push(path, plen, cap, ".%s", key, 0);
            BW_TRY(walk(w, v, path, strlen(path), cap, depth + 1));
            path[plen] = '\0';
        }
    }
    return BW_OK;
}

static bw_status walk(kwalk *w, const json_t *j, char *path, size_t plen, size_t cap, unsigned depth)
{
    if (depth > KERAS_MAX_DEPTH) {
        if (!w->depth_flagged) {
            w->depth_flagged = 1;
            bw_mscan_flag(w->s, BW_VERDICT_MALFORMED, keras_rule_malformed.id, BW_SEV_HIGH, BW_NO_OFFSET,
                          "config nested deeper than %d levels: not read further", KERAS_MAX_DEPTH);
        }
        return BW_OK;
    }
    if (json_is_object(j)) {
        return walk_object(w, j, path, plen, cap, depth);
    }
    if (json_is_array(j)) {
        for (size_t i = 0; i < json_array_size(j); i++) {
            const json_t *v = json_array_get(j, i);
            if (json_is_object(v) || json_is_array(v)) {
                path_push(path, plen, cap, "[%zu]", NULL, i);
                BW_TRY(walk(w, v, path, strlen(path), cap, depth + 1));
                path[plen] = '\0';
            }
        }
    }
    return BW_OK;
}

static void register_rules(bw_mscan *s)
{
    size_t n;
    const bw_rule *const *all = bw_scan_keras_rules(&n);
    for (size_t i = 0; i < n; i++) {
        bw_mscan_rule(s, all[i]);
    }
}

bw_status bw_scan_keras_json(bw_mscan *s, const void *p, size_t n)
{
    json_error_t jerr;
    json_t *root;
    kwalk w = {s, 0, 0};
    char path[512];
    bw_status rc;

    register_rules(s);
    if (n > KERAS_MAX_JSON) {
        bw_mscan_flag(s, BW_VERDICT_MALFORMED, keras_rule_malformed.id, BW_SEV_HIGH, BW_NO_OFFSET,
                      "config is %zu bytes, over the %zu-byte limit: not read", n, KERAS_MAX_JSON);
        return BW_OK;
    }
    root = json_loadb(p, n, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL) {
        char e[200];
        esc_str(jerr.text, e, sizeof(e));
        bw_mscan_flag(s, BW_VERDICT_MALFORMED, keras_rule_malformed.id, BW_SEV_HIGH,
                      jerr.position >= 0 ? (uint64_t)jerr.position : BW_NO_OFFSET,
                      "config is not valid JSON: %s (line %d, column %d)", e, jerr.line, jerr.column);
        return BW_OK;
    }
    path[0] = '\0';
    rc = walk(&w, root, path, 0, sizeof(path), 0);
    if (w.findings >= KERAS_MAX_FINDINGS) {
        bw_mscan_flag(s, s->verdict, keras_rule_malformed.id, BW_SEV_INFO, BW_NO_OFFSET,
                      "more than %d findings in one config: the rest are not listed", KERAS_MAX_FINDINGS);
    }
    json_decref(root);
    return rc;
}

/* ---- HDF5 ---- */

#define H5_MAX_ATTR ((size_t)64 << 20)

/* Walk a root attribute's JSON under the member path "!name" (an attribute, not a container member). */
static bw_status attr_member(bw_mscan *s, const char *name, const char *text, size_t len)
{
    size_t keep = strlen(s->member), add = strlen(name) + 1;
    bw_status rc;

    if (keep + add >= sizeof(s->member)) {
        bw_mscan_flag(s, BW_VERDICT_MALFORMED, "container-limit", BW_SEV_HIGH, BW_NO_OFFSET,
                      "member path longer than %zu bytes: not read", sizeof(s->member));
        return BW_OK;
    }
    s->member[keep] = '!';
    memcpy(s->member + keep + 1, name, add);
    rc = bw_scan_keras_json(s, text, len);
    s->member[keep] = '\0';
    return rc;
}

/*
 * libhdf5 is not linked: it drags some thirty libraries (curl, Kerberos,
 * LDAP, GnuTLS ...) into every bulwark process, about 20 ms of start-up, and
 * it is only ever used in the forked child below. The child dlopen()s it and
 * resolves what it calls; without libhdf5 installed, .h5 files cannot be
 * read and fail closed. The declarations come from hdf5.h (compile only).
 */
#define H5_FUNCS(X)                                                                                                    \
    X(H5free_memory)                                                                                                   \
    X(H5Tset_size)                                                                                                     \
    X(H5Tclose)                                                                                                        \
    X(H5Aread)                                                                                                         \
    X(H5Aexists)                                                                                                       \
    X(H5Tset_strpad)                                                                                                   \
    X(H5Tset_cset)                                                                                                     \
    X(H5Tis_variable_str)                                                                                              \
    X(H5Tget_size)                                                                                                     \
    X(H5Tget_cset)                                                                                                     \
    X(H5Tget_class)                                                                                                    \
    X(H5Tcopy)                                                                                                         \
    X(H5Sget_simple_extent_npoints)                                                                                    \
    X(H5Sclose)                                                                                                        \
    X(H5Pset_file_image)                                                                                               \
    X(H5Pset_fapl_core)                                                                                                \
    X(H5Pcreate)                                                                                                       \
    X(H5Fopen)                                                                                                         \
    X(H5Eset_auto2)                                                                                                    \
    X(H5Aopen)                                                                                                         \
    X(H5Aget_type)                                                                                                     \
    X(H5Aget_space)                                                                                                    \
    X(H5Aclose)

#define H5_PTR(name) static __typeof__(name) *p_##name;
H5_FUNCS(H5_PTR)
#undef H5_PTR
static hid_t *p_H5P_CLS_FILE_ACCESS_ID_g, *p_H5T_C_S1_g;
static herr_t (*p_H5open)(void);

/*
 * Resolve libhdf5 once per process, in the parent, on the first .h5 file
 * (processes that never meet one never load it). Only dlopen/dlsym run here:
 * no HDF5 function is called outside a child, so the parent's HDF5 state
 * stays untouched and each child starts clean.
 */
static bool h5_loaded;
static pthread_once_t h5_once = PTHREAD_ONCE_INIT;

static void h5_resolve(void)
{
    static const char *const names[] = {"libhdf5_serial.so.103", "libhdf5.so.103", "libhdf5_serial.so", "libhdf5.so"};
    void *lib = bw_dlopen_first(names, BW_ARRAY_LEN(names));

    if (lib == NULL) {
        return;
    }
#define H5_SYM(name)                                                                                                   \
    if ((*(void **)&p_##name = dlsym(lib, #name)) == NULL) {                                                           \
        return;                                                                                                        \
    }
    H5_FUNCS(H5_SYM)
    H5_SYM(H5open)
#undef H5_SYM
    p_H5P_CLS_FILE_ACCESS_ID_g = dlsym(lib, "H5P_CLS_FILE_ACCESS_ID_g");
    p_H5T_C_S1_g = dlsym(lib, "H5T_C_S1_g");
    h5_loaded = p_H5P_CLS_FILE_ACCESS_ID_g != NULL && p_H5T_C_S1_g != NULL;
}

/*
 * (In the child.) Read root attribute `name` as a string into a bw_malloc'd
 * copy: 1 and the text when read, 0 when absent, -1 with *why when
 * unreadable, -2 out of memory.
 */
static int read_attr(hid_t file, const char *name, char **out, size_t *len, const char **why)
{
    hid_t attr = H5I_INVALID_HID, type = H5I_INVALID_HID, space = H5I_INVALID_HID, mem = H5I_INVALID_HID;
    int ret = -1;

    *why = "cannot be read";

    *out = NULL;
    *len = 0;
    if (p_H5Aexists(file, name) <= 0) {
        return 0;
    }
    attr = p_H5Aopen(file, name, H5P_DEFAULT);
    if (attr < 0 || (type = p_H5Aget_type(attr)) < 0 || (space = p_H5Aget_space(attr)) < 0) {
        goto out;
    }
    if (p_H5Tget_class(type) != H5T_STRING) {
        *why = "is not a string";
        goto out;
    }
    if (p_H5Sget_simple_extent_npoints(space) != 1) {
        *why = "is not a single string";
        goto out;
    }
    mem = p_H5Tcopy(*p_H5T_C_S1_g);
    if (mem < 0 || p_H5Tset_cset(mem, p_H5Tget_cset(type)) < 0) { /* h5py writes UTF-8; no conversion */
        goto out;
    }
    if (p_H5Tis_variable_str(type) > 0) {
        char *v = NULL;
        size_t n;
        if (p_H5Tset_size(mem, H5T_VARIABLE) < 0 || p_H5Aread(attr, mem, &v) < 0 || v == NULL) {
            goto out;
        }
        n = strnlen(v, H5_MAX_ATTR + 1);
        if (n > H5_MAX_ATTR) {
            *why = "is over the size limit";
            p_H5free_memory(v);
            goto out;
        }
        *out = bw_strndup(v, n);
        p_H5free_memory(v);
        if (*out == NULL) {
            ret = -2;
            goto out;
        }
        *len = n;
    } else {
        size_t n = p_H5Tget_size(type);
        if (n == 0 || n > H5_MAX_ATTR) {
            *why = "is over the size limit";
            goto out;
        }
        if (p_H5Tset_size(mem, n) < 0 || p_H5Tset_strpad(mem, H5T_STR_NULLPAD) < 0) {
            goto out;
        }
        *out = bw_calloc(1, n + 1);
        if (*out == NULL) {
            ret = -2;
            goto out;
        }
        if (p_H5Aread(attr, mem, *out) < 0) {
            BW_FREE(*out);
            goto out;
        }
        *len = strnlen(*out, n);
    }
    ret = 1;
out:
    if (mem >= 0) {
        p_H5Tclose(mem);
    }
    if (space >= 0) {
        p_H5Sclose(space);
    }
    if (type >= 0) {
        p_H5Tclose(type);
    }
    if (attr >= 0) {
        p_H5Aclose(attr);
    }
    return ret;
}

/*
 * libhdf5 parses the whole HDF5 structure in C, and a fuzzer found inputs
 * that crash it (a segfault in H5Aexists on a mutated attribute message,
 * libhdf5 1.10.8). A scanner must not die on hostile input, so HDF5 is read
 * in a child process: it opens the image, reads the root attributes and
 * writes them to a pipe as records; the parent never calls libhdf5. A crash,
 * a hang (killed after H5_TIMEOUT_MS) or a broken record fails closed:
 * the file is malformed. Records: 'O' open failed; per attribute 'N' absent,
 * 'U' + why (NUL-terminated) unreadable, 'A' + u64 length + bytes.
 */
#define H5_TIMEOUT_MS 30000

static bool write_all(int fd, const void *p, size_t n)
{
    const uint8_t *c = p;
    while (n > 0) {
        ssize_t w = write(fd, c, n);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            return false;
        }
        c += w;
        n -= (size_t)w;
    }
    return true;
}

static _Noreturn void h5_child(int fd, const void *p, size_t n)
{
    static const char *const attrs[] = {"model_config", "training_config"};
    hid_t file, fapl;

    if (getenv("BULWARK_TEST_H5_CHILD_CRASH") != NULL) {
        abort(); /* tests prove that a reader crash is contained and fails closed */
    }
    if (!h5_loaded || p_H5open() < 0) {
        _exit(write_all(fd, "L", 1) ? 0 : 3);
    }
    p_H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    fapl = p_H5Pcreate(*p_H5P_CLS_FILE_ACCESS_ID_g);
    if (fapl < 0 || p_H5Pset_fapl_core(fapl, 1 << 16, 0) < 0 ||
        p_H5Pset_file_image(fapl, (void *)(uintptr_t)p, n) < 0) {
        _exit(3);
    }
    file = p_H5Fopen("bulwark-image.h5", 0x0000u /* H5F_ACC_RDONLY, whose macro calls H5open inline */, fapl);
    if (file < 0) {
        _exit(write_all(fd, "O", 1) ? 0 : 3);
    }
    for (size_t i = 0; i < BW_ARRAY_LEN(attrs); i++) {
        char *text = NULL;
        size_t len = 0;
        const char *why = NULL;
        int got = read_attr(file, attrs[i], &text, &len, &why);
        bool ok;
        if (got == 1) {
            uint64_t l = len;
            ok = write_all(fd, "A", 1) && write_all(fd, &l, sizeof(l)) && write_all(fd, text, len);
        } else if (got == 0) {
            ok = write_all(fd, "N", 1);
        } else if (got == -1) {
            ok = write_all(fd, "U", 1) && write_all(fd, why, strlen(why) + 1);
        } else {
            ok = false;
        }
        if (!ok) {
            _exit(3);
        }
    }
    _exit(0); /* no cleanup: the process ends here */
}

/* Read until EOF, at most `cap` bytes, waiting at most H5_TIMEOUT_MS in all. */
static int read_child(int fd, bw_buf *out, size_t cap)
{
    struct timespec t0, t1;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        struct pollfd pfd = {fd, POLLIN, 0};
        long left;
        ssize_t r;
        clock_gettime(CLOCK_MONOTONIC, &t1);
        left = H5_TIMEOUT_MS - ((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000);
        if (left <= 0) {
            return -1; /* hung */
        }
        if (poll(&pfd, 1, (int)left) < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -1;
        }
        if (!(pfd.revents & (POLLIN | POLLHUP))) {
            continue;
        }
        if (bw_buf_grow(out, 65536) != BW_OK) {
            return -2;
        }
        r = read(fd, out->ptr + out->len, out->cap - out->len - 1);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r < 0) {
            return -1;
        }
        if (r == 0) {
            return 0;
        }
        out->len += (size_t)r;
        out->ptr[out->len] = '\0';
        if (out->len > cap) {
            return -1;
        }
    }
}

bw_status bw_scan_h5(bw_mscan *s, const void *p, size_t n)
{
    static const char *const attrs[] = {"model_config", "training_config"};
    bw_buf res = BW_BUF_INIT(2 * H5_MAX_ATTR + 4096);
    int fds[2], status = 0, got;
    pid_t pid;
    bw_status rc = BW_OK;
    size_t at = 0;

    register_rules(s);
    if (n == 0 || n > (size_t)SIZE_MAX / 2) {
        return BW_OK;
    }
    pthread_once(&h5_once, h5_resolve);
    if (pipe2(fds, O_CLOEXEC) != 0) {
        return BW_ENOMEM;
    }
    pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        bw_mscan_flag(s, BW_VERDICT_MALFORMED, h5_rule_malformed.id, BW_SEV_HIGH, BW_NO_OFFSET,
                      "cannot start the isolated HDF5 reader: %s", strerror(errno));
        return BW_OK;
    }
    if (pid == 0) {
        close(fds[0]);
        h5_child(fds[1], p, n);
    }
    close(fds[1]);
    got = read_child(fds[0], &res, 2 * H5_MAX_ATTR + 4096);
    close(fds[0]);
    if (got != 0) {
        kill(pid, SIGKILL);
    }
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (got == -2) {
        rc = BW_ENOMEM;
        goto out;
    }
    if (got != 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        bw_mscan_flag(s, BW_VERDICT_MALFORMED, h5_rule_malformed.id, BW_SEV_HIGH, BW_NO_OFFSET,
                      "the HDF5 reader failed on this file (%s %d): corrupt or hostile HDF5",
                      WIFSIGNALED(status) ? "killed by signal"
                      : got != 0          ? "timed out or oversized, code"
                                          : "exit",
                      WIFSIGNALED(status) ? WTERMSIG(status)
                      : WIFEXITED(status) ? WEXITSTATUS(status)
                                          : got);
        goto out;
    }
    if (res.len >= 1 && res.ptr[0] == 'L') {
        bw_mscan_flag(s, BW_VERDICT_MALFORMED, h5_rule_malformed.id, BW_SEV_HIGH, BW_NO_OFFSET,
                      "cannot read HDF5 here: libhdf5 is not installed (Debian: libhdf5-103-1); the file is not "
                      "shown safe");
        goto out;
    }
    if (res.len >= 1 && res.ptr[0] == 'O') {
        bw_mscan_flag(s, BW_VERDICT_MALFORMED, h5_rule_malformed.id, BW_SEV_HIGH, BW_NO_OFFSET,
                      "libhdf5 cannot open the file (corrupt or truncated HDF5)");
        goto out;
    }
    for (size_t i = 0; i < BW_ARRAY_LEN(attrs) && rc == BW_OK; i++) {
        char kind = at < res.len ? res.ptr[at++] : '?';
        if (kind == 'N') {
            continue;
        }
        if (kind == 'U') {
            const char *why = res.ptr + at;
            size_t wl = strnlen(why, res.len - at);
            if (at + wl >= res.len) {
                kind = '?';
            } else {
                bw_mscan_flag(s, BW_VERDICT_MALFORMED, h5_rule_malformed.id, BW_SEV_HIGH, BW_NO_OFFSET,
                              "root attribute '%s' %.80s", attrs[i], why);
                at += wl + 1;
                continue;
            }
        }
        if (kind == 'A') {
            uint64_t l;
            if (res.len - at >= sizeof(l)) {
                memcpy(&l, res.ptr + at, sizeof(l));
                at += sizeof(l);
                if (l <= res.len - at) {
                    rc = attr_member(s, attrs[i], res.ptr + at, (size_t)l);
                    at += (size_t)l;
                    continue;
                }
            }
        }
        bw_mscan_flag(s, BW_VERDICT_MALFORMED, h5_rule_malformed.id, BW_SEV_HIGH, BW_NO_OFFSET,
                      "the HDF5 reader returned a broken result");
        break;
    }
out:
    bw_buf_release(&res);
    return rc;
}
