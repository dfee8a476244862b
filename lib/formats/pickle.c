/*
 * pickle.c - static analysis of a Python pickle stream (see bw_pickle.h).
 *
 * The stream is read as opcodes, never unpickled. A small symbolic machine
 * mirrors CPython's unpickler (Lib/pickle.py, Modules/_pickle.c): a stack of
 * values, a stack of marks (the heights the stack had at each MARK, as
 * CPython's metastack) and a memo. Values are literals (None, bool, int,
 * float, str, bytes, tuple, list, dict, set), imported globals, call results
 * (remembering which global was called and with what), persistent-id
 * results, out-of-band buffers or "unknown". That lets the analysis see what
 * a grep cannot: STACK_GLOBAL whose operands were computed by a call, a call
 * result called again, BUILD on a class or function.
 *
 * Values live in a pool and are reference counted, so memory follows what
 * is live (stack, memo, containers), not the length of the stream. Freeing
 * is iterative (deeply nested lists must not recurse). Reference cycles made
 * through the memo are not collected early; the whole pool goes at the end.
 * Literals are bounded: at most PK_MAX_STR bytes of a string and
 * PK_MAX_ITEMS items of a container are kept, with a flag when some were
 * dropped.
 *
 * Malformed input is not an error: it becomes an issue in the result. A
 * truncated argument, an unknown opcode or an analysis limit stops the walk;
 * a bad argument, a stack underflow or a missing memo slot is recorded and
 * the walk goes on with an "unknown" value, so later imports are still seen.
 * Every byte is read through bw_rd.
 */
#include <assert.h>
#include <math.h>

#include "util/internal.h"

#define PK_DEFAULT_MAX_OPS 100000000u
#define PK_DEFAULT_MAX_MEMO 1000000u
#define PK_DEFAULT_MAX_STACK 1000000u
#define PK_MAX_STR 256                  /* bytes of a str/bytes literal kept */
#define PK_MAX_ITEMS 64                 /* items of a container kept (dict: 32 pairs) */
#define PK_MAX_VALUES (1u << 24)        /* live symbolic values */
#define PK_MAX_GLOBALS 100000u          /* imports recorded */
#define PK_MAX_ISSUES 1000u             /* issues recorded; later ones are dropped */
#define PK_MAX_DEPTH 4                  /* joblib object arrays: nested pickles */
#define PK_MAX_NUMLINE 4096             /* text-mode INT/LONG/FLOAT/GET/PUT argument */
#define PK_ESC_CAP (PK_MAX_STR * 4 + 8) /* escaped copy of a kept string */

#define PK_NIL UINT32_MAX

/* Protocol 0-5 opcodes, named as in Lib/pickletools.py. */
enum {
    OP_MARK = '(',
    OP_STOP = '.',
    OP_POP = '0',
    OP_POP_MARK = '1',
    OP_DUP = '2',
    OP_FLOAT = 'F',
    OP_INT = 'I',
    OP_BININT = 'J',
    OP_BININT1 = 'K',
    OP_LONG = 'L',
    OP_BININT2 = 'M',
    OP_NONE = 'N',
    OP_PERSID = 'P',
    OP_BINPERSID = 'Q',
    OP_REDUCE = 'R',
    OP_STRING = 'S',
    OP_BINSTRING = 'T',
    OP_SHORT_BINSTRING = 'U',
    OP_UNICODE = 'V',
    OP_BINUNICODE = 'X',
    OP_APPEND = 'a',
    OP_BUILD = 'b',
    OP_GLOBAL = 'c',
    OP_DICT = 'd',
    OP_EMPTY_DICT = '}',
    OP_APPENDS = 'e',
    OP_GET = 'g',
    OP_BINGET = 'h',
    OP_INST = 'i',
    OP_LONG_BINGET = 'j',
    OP_LIST = 'l',
    OP_EMPTY_LIST = ']',
    OP_OBJ = 'o',
    OP_PUT = 'p',
    OP_BINPUT = 'q',
    OP_LONG_BINPUT = 'r',
    OP_SETITEM = 's',
    OP_TUPLE = 't',
    OP_EMPTY_TUPLE = ')',
    OP_SETITEMS = 'u',
    OP_BINFLOAT = 'G',
    OP_PROTO = 0x80,
    OP_NEWOBJ = 0x81,
    OP_EXT1 = 0x82,
    OP_EXT2 = 0x83,
    OP_EXT4 = 0x84,
    OP_TUPLE1 = 0x85,
    OP_TUPLE2 = 0x86,
    OP_TUPLE3 = 0x87,
    OP_NEWTRUE = 0x88,
    OP_NEWFALSE = 0x89,
    OP_LONG1 = 0x8a,
    OP_LONG4 = 0x8b,
    OP_BINBYTES = 'B',
    OP_SHORT_BINBYTES = 'C',
    OP_SHORT_BINUNICODE = 0x8c,
    OP_BINUNICODE8 = 0x8d,
    OP_BINBYTES8 = 0x8e,
    OP_EMPTY_SET = 0x8f,
    OP_ADDITEMS = 0x90,
    OP_FROZENSET = 0x91,
    OP_NEWOBJ_EX = 0x92,
    OP_STACK_GLOBAL = 0x93,
    OP_MEMOIZE = 0x94,
    OP_FRAME = 0x95,
    OP_BYTEARRAY8 = 0x96,
    OP_NEXT_BUFFER = 0x97,
    OP_READONLY_BUFFER = 0x98,
};

static const char *const opnames[256] = {
    [OP_MARK] = "MARK",
    [OP_STOP] = "STOP",
    [OP_POP] = "POP",
    [OP_POP_MARK] = "POP_MARK",
    [OP_DUP] = "DUP",
    [OP_FLOAT] = "FLOAT",
    [OP_INT] = "INT",
    [OP_BININT] = "BININT",
    [OP_BININT1] = "BININT1",
    [OP_LONG] = "LONG",
    [OP_BININT2] = "BININT2",
    [OP_NONE] = "NONE",
    [OP_PERSID] = "PERSID",
    [OP_BINPERSID] = "BINPERSID",
    [OP_REDUCE] = "REDUCE",
    [OP_STRING] = "STRING",
    [OP_BINSTRING] = "BINSTRING",
    [OP_SHORT_BINSTRING] = "SHORT_BINSTRING",
    [OP_UNICODE] = "UNICODE",
    [OP_BINUNICODE] = "BINUNICODE",
    [OP_APPEND] = "APPEND",
    [OP_BUILD] = "BUILD",
    [OP_GLOBAL] = "GLOBAL",
    [OP_DICT] = "DICT",
    [OP_EMPTY_DICT] = "EMPTY_DICT",
    [OP_APPENDS] = "APPENDS",
    [OP_GET] = "GET",
    [OP_BINGET] = "BINGET",
    [OP_INST] = "INST",
    [OP_LONG_BINGET] = "LONG_BINGET",
    [OP_LIST] = "LIST",
    [OP_EMPTY_LIST] = "EMPTY_LIST",
    [OP_OBJ] = "OBJ",
    [OP_PUT] = "PUT",
    [OP_BINPUT] = "BINPUT",
    [OP_LONG_BINPUT] = "LONG_BINPUT",
    [OP_SETITEM] = "SETITEM",
    [OP_TUPLE] = "TUPLE",
    [OP_EMPTY_TUPLE] = "EMPTY_TUPLE",
    [OP_SETITEMS] = "SETITEMS",
    [OP_BINFLOAT] = "BINFLOAT",
    [OP_PROTO] = "PROTO",
    [OP_NEWOBJ] = "NEWOBJ",
    [OP_EXT1] = "EXT1",
    [OP_EXT2] = "EXT2",
    [OP_EXT4] = "EXT4",
    [OP_TUPLE1] = "TUPLE1",
    [OP_TUPLE2] = "TUPLE2",
    [OP_TUPLE3] = "TUPLE3",
    [OP_NEWTRUE] = "NEWTRUE",
    [OP_NEWFALSE] = "NEWFALSE",
    [OP_LONG1] = "LONG1",
    [OP_LONG4] = "LONG4",
    [OP_BINBYTES] = "BINBYTES",
    [OP_SHORT_BINBYTES] = "SHORT_BINBYTES",
    [OP_SHORT_BINUNICODE] = "SHORT_BINUNICODE",
    [OP_BINUNICODE8] = "BINUNICODE8",
    [OP_BINBYTES8] = "BINBYTES8",
    [OP_EMPTY_SET] = "EMPTY_SET",
    [OP_ADDITEMS] = "ADDITEMS",
    [OP_FROZENSET] = "FROZENSET",
    [OP_NEWOBJ_EX] = "NEWOBJ_EX",
    [OP_STACK_GLOBAL] = "STACK_GLOBAL",
    [OP_MEMOIZE] = "MEMOIZE",
    [OP_FRAME] = "FRAME",
    [OP_BYTEARRAY8] = "BYTEARRAY8",
    [OP_NEXT_BUFFER] = "NEXT_BUFFER",
    [OP_READONLY_BUFFER] = "READONLY_BUFFER",
};

const char *bw_pickle_opname(uint8_t op)
{
    return opnames[op];
}

/*
 * fix_imports: Lib/_compat_pickle.py's IMPORT_MAPPING and NAME_MAPPING as
 * CPython 3.11 builds them (after its update() calls), applied by
 * find_class() when the stream's protocol is below 3.
 */
struct pk_import_map {
    const char *from, *to;
};
struct pk_name_map {
    const char *from_module, *from_name, *to_module, *to_name;
};

static const struct pk_import_map import_mapping[] = {
    {"BaseHTTPServer", "http.server"},
    {"CGIHTTPServer", "http.server"},
    {"ConfigParser", "configparser"},
    {"Cookie", "http.cookies"},
    {"Dialog", "tkinter.dialog"},
    {"DocXMLRPCServer", "xmlrpc.server"},
    {"FileDialog", "tkinter.filedialog"},
    {"HTMLParser", "html.parser"},
    {"Queue", "queue"},
    {"ScrolledText", "tkinter.scrolledtext"},
    {"SimpleDialog", "tkinter.simpledialog"},
    {"SimpleHTTPServer", "http.server"},
    {"SimpleXMLRPCServer", "xmlrpc.server"},
    {"SocketServer", "socketserver"},
    {"StringIO", "io"},
    {"Tix", "tkinter.tix"},
    {"Tkconstants", "tkinter.constants"},
    {"Tkdnd", "tkinter.dnd"},
    {"Tkinter", "tkinter"},
    {"UserDict", "collections"},
    {"UserList", "collections"},
    {"UserString", "collections"},
    {"__builtin__", "builtins"},
    {"_abcoll", "collections.abc"},
    {"_elementtree", "xml.etree.ElementTree"},
    {"_winreg", "winreg"},
    {"anydbm", "dbm"},
    {"cPickle", "pickle"},
    {"cStringIO", "io"},
    {"commands", "subprocess"},
    {"cookielib", "http.cookiejar"},
    {"copy_reg", "copyreg"},
    {"dbhash", "dbm.bsd"},
    {"dbm", "dbm.ndbm"},
    {"dumbdbm", "dbm.dumb"},
    {"dummy_thread", "_dummy_thread"},
    {"gdbm", "dbm.gnu"},
    {"htmlentitydefs", "html.entities"},
    {"httplib", "http.client"},
    {"markupbase", "_markupbase"},
    {"repr", "reprlib"},
    {"robotparser", "urllib.robotparser"},
    {"test.test_support", "test.support"},
    {"thread", "_thread"},
    {"tkColorChooser", "tkinter.colorchooser"},
    {"tkCommonDialog", "tkinter.commondialog"},
    {"tkFileDialog", "tkinter.filedialog"},
    {"tkFont", "tkinter.font"},
    {"tkMessageBox", "tkinter.messagebox"},
    {"tkSimpleDialog", "tkinter.simpledialog"},
    {"ttk", "tkinter.ttk"},
    {"urllib2", "urllib.request"},
    {"urlparse", "urllib.parse"},
    {"whichdb", "dbm"},
    {"xmlrpclib", "xmlrpc.client"},
};

static const struct pk_name_map name_mapping[] = {
    {"UserDict", "IterableUserDict", "collections", "UserDict"},
    {"UserDict", "UserDict", "collections", "UserDict"},
    {"UserList", "UserList", "collections", "UserList"},
    {"UserString", "UserString", "collections", "UserString"},
    {"__builtin__", "basestring", "builtins", "str"},
    {"__builtin__", "intern", "sys", "intern"},
    {"__builtin__", "long", "builtins", "int"},
    {"__builtin__", "reduce", "functools", "reduce"},
    {"__builtin__", "unichr", "builtins", "chr"},
    {"__builtin__", "unicode", "builtins", "str"},
    {"__builtin__", "xrange", "builtins", "range"},
    {"_multiprocessing", "Connection", "multiprocessing.connection", "Connection"},
    {"_socket", "fromfd", "socket", "fromfd"},
    {"exceptions", "ArithmeticError", "builtins", "ArithmeticError"},
    {"exceptions", "AssertionError", "builtins", "AssertionError"},
    {"exceptions", "AttributeError", "builtins", "AttributeError"},
    {"exceptions", "BaseException", "builtins", "BaseException"},
    {"exceptions", "BufferError", "builtins", "BufferError"},
    {"exceptions", "BytesWarning", "builtins", "BytesWarning"},
    {"exceptions", "DeprecationWarning", "builtins", "DeprecationWarning"},
    {"exceptions", "EOFError", "builtins", "EOFError"},
    {"exceptions", "EnvironmentError", "builtins", "EnvironmentError"},
    {"exceptions", "Exception", "builtins", "Exception"},
    {"exceptions", "FloatingPointError", "builtins", "FloatingPointError"},
    {"exceptions", "FutureWarning", "builtins", "FutureWarning"},
    {"exceptions", "GeneratorExit", "builtins", "GeneratorExit"},
    {"exceptions", "IOError", "builtins", "IOError"},
    {"exceptions", "ImportError", "builtins", "ImportError"},
    {"exceptions", "ImportWarning", "builtins", "ImportWarning"},
    {"exceptions", "IndentationError", "builtins", "IndentationError"},
    {"exceptions", "IndexError", "builtins", "IndexError"},
    {"exceptions", "KeyError", "builtins", "KeyError"},
    {"exceptions", "KeyboardInterrupt", "builtins", "KeyboardInterrupt"},
    {"exceptions", "LookupError", "builtins", "LookupError"},
    {"exceptions", "MemoryError", "builtins", "MemoryError"},
    {"exceptions", "NameError", "builtins", "NameError"},
    {"exceptions", "NotImplementedError", "builtins", "NotImplementedError"},
    {"exceptions", "OSError", "builtins", "OSError"},
    {"exceptions", "OverflowError", "builtins", "OverflowError"},
    {"exceptions", "PendingDeprecationWarning", "builtins", "PendingDeprecationWarning"},
    {"exceptions", "ReferenceError", "builtins", "ReferenceError"},
    {"exceptions", "RuntimeError", "builtins", "RuntimeError"},
    {"exceptions", "RuntimeWarning", "builtins", "RuntimeWarning"},
    {"exceptions", "StandardError", "builtins", "Exception"},
    {"exceptions", "StopIteration", "builtins", "StopIteration"},
    {"exceptions", "SyntaxError", "builtins", "SyntaxError"},
    {"exceptions", "SyntaxWarning", "builtins", "SyntaxWarning"},
    {"exceptions", "SystemError", "builtins", "SystemError"},
    {"exceptions", "SystemExit", "builtins", "SystemExit"},
    {"exceptions", "TabError", "builtins", "TabError"},
    {"exceptions", "TypeError", "builtins", "TypeError"},
    {"exceptions", "UnboundLocalError", "builtins", "UnboundLocalError"},
    {"exceptions", "UnicodeDecodeError", "builtins", "UnicodeDecodeError"},
    {"exceptions", "UnicodeEncodeError", "builtins", "UnicodeEncodeError"},
    {"exceptions", "UnicodeError", "builtins", "UnicodeError"},
    {"exceptions", "UnicodeTranslateError", "builtins", "UnicodeTranslateError"},
    {"exceptions", "UnicodeWarning", "builtins", "UnicodeWarning"},
    {"exceptions", "UserWarning", "builtins", "UserWarning"},
    {"exceptions", "ValueError", "builtins", "ValueError"},
    {"exceptions", "Warning", "builtins", "Warning"},
    {"exceptions", "ZeroDivisionError", "builtins", "ZeroDivisionError"},
    {"itertools", "ifilter", "builtins", "filter"},
    {"itertools", "ifilterfalse", "itertools", "filterfalse"},
    {"itertools", "imap", "builtins", "map"},
    {"itertools", "izip", "builtins", "zip"},
    {"itertools", "izip_longest", "itertools", "zip_longest"},
    {"multiprocessing", "AuthenticationError", "multiprocessing.context", "AuthenticationError"},
    {"multiprocessing", "BufferTooShort", "multiprocessing.context", "BufferTooShort"},
    {"multiprocessing", "ProcessError", "multiprocessing.context", "ProcessError"},
    {"multiprocessing", "TimeoutError", "multiprocessing.context", "TimeoutError"},
    {"multiprocessing.forking", "Popen", "multiprocessing.popen_fork", "Popen"},
    {"multiprocessing.process", "Process", "multiprocessing.context", "Process"},
    {"socket", "_socketobject", "socket", "SocketType"},
    {"urllib", "ContentTooShortError", "urllib.error", "ContentTooShortError"},
    {"urllib", "getproxies", "urllib.request", "getproxies"},
    {"urllib", "pathname2url", "urllib.request", "pathname2url"},
    {"urllib", "quote", "urllib.parse", "quote"},
    {"urllib", "quote_plus", "urllib.parse", "quote_plus"},
    {"urllib", "unquote", "urllib.parse", "unquote"},
    {"urllib", "unquote_plus", "urllib.parse", "unquote_plus"},
    {"urllib", "url2pathname", "urllib.request", "url2pathname"},
    {"urllib", "urlcleanup", "urllib.request", "urlcleanup"},
    {"urllib", "urlencode", "urllib.parse", "urlencode"},
    {"urllib", "urlopen", "urllib.request", "urlopen"},
    {"urllib", "urlretrieve", "urllib.request", "urlretrieve"},
    {"urllib2", "HTTPError", "urllib.error", "HTTPError"},
    {"urllib2", "URLError", "urllib.error", "URLError"},
    {"whichdb", "whichdb", "dbm", "whichdb"},
};

static const struct pk_import_map *find_import_map(const char *m)
{
    for (size_t i = 0; i < BW_ARRAY_LEN(import_mapping); i++) {
        if (strcmp(import_mapping[i].from, m) == 0) {
            return &import_mapping[i];
        }
    }
    return NULL;
}

static const struct pk_name_map *find_name_map(const char *m, const char *n)
{
    for (size_t i = 0; i < BW_ARRAY_LEN(name_mapping); i++) {
        if (strcmp(name_mapping[i].from_module, m) == 0 && strcmp(name_mapping[i].from_name, n) == 0) {
            return &name_mapping[i];
        }
    }
    return NULL;
}

/* Symbolic values. */
enum pv_kind {
    PV_FREE,
    PV_UNKNOWN,
    PV_NONE,
    PV_BOOL,
    PV_INT,    /* fits int64_t, in i */
    PV_BIGINT, /* does not */
    PV_FLOAT,
    PV_STR,
    PV_BYTES,
    PV_BYTEARRAY,
    PV_TUPLE,
    PV_LIST,
    PV_DICT, /* kids alternate key, value */
    PV_SET,
    PV_FROZENSET,
    PV_GLOBAL, /* i = index into the result's globals */
    PV_CALL,   /* i = the global called, or -1; arg = the arguments */
    PV_PERSID, /* what persistent_load() returned */
    PV_BUFFER, /* an out-of-band buffer (NEXT_BUFFER) */
};

struct pval {
    uint32_t refs;    /* 0 while on the free list */
    uint8_t kind;     /* enum pv_kind */
    uint8_t elided;   /* bytes or items were dropped */
    uint32_t n;       /* bytes kept (str, bytes) or items kept (containers) */
    uint32_t cap;     /* room in kids */
    int64_t i;        /* bool/int value, global index, callee; next free slot */
    uint64_t full;    /* str/bytes: length in the stream; containers: items added */
    uint32_t arg;     /* PV_CALL: the arguments (a reference), or PK_NIL */
    uint32_t src;     /* str/bytes read straight from the input: 1 + the opcode's position, or 0 */
    const uint8_t *s; /* str/bytes: the kept bytes, in the input or in owned */
    char *owned;      /* decoded text-mode strings */
    uint32_t *kids;   /* container items (references) */
};

/* State shared by a pickle and the pickles nested in it (joblib object arrays). */
struct pk_out {
    bw_pickle_result *r;
    size_t cap_globals, cap_issues;
    uint64_t max_ops;
    size_t max_memo, max_stack;
    int joblib, stop_at_end;
    int halt;  /* stop the walk: truncated, unknown opcode, limit */
    int nomem; /* an allocation failed: the call returns BW_ENOMEM */
    struct pval *pool;
    uint32_t n_pool, cap_pool, free_head, live;
    uint32_t *work; /* pv_release's to-do list */
    size_t n_work, cap_work;
};

/*
 * A memoised str/bytes whose bytes lie in the input is not kept as a pool
 * value, so a pickle that memoises every one of a million strings does not
 * keep a million values alive. When the opcode that read it sits in the
 * first GiB, the memo slot holds that opcode's position (PK_OFF_TAG; GET
 * reads the literal again, see lit_at): four bytes a string. Otherwise it
 * holds an index into an array of these records (PK_LITE_TAG). All other
 * slots are pool references.
 */
struct pk_lite {
    const uint8_t *s;
    uint64_t full;
    uint32_t n;
    uint8_t kind;
    uint8_t elided;
};
#define PK_LITE_TAG 0x80000000u
#define PK_OFF_TAG 0x40000000u /* without PK_LITE_TAG; pool ids stay below it */
#define PK_OFF_MAX PK_OFF_TAG

struct memo_slot {
    uint64_t key;
    uint32_t val; /* PK_NIL: empty */
};

/* One pickle's machine. */
struct pk {
    struct pk_out *o;
    bw_rd *rd;
    uint32_t *stack;
    size_t sp, cap_stack;
    size_t *marks; /* stack heights at each MARK */
    size_t n_marks, cap_marks;
    struct memo_slot *memo; /* keys >= dense_cap: open addressing */
    size_t memo_cap, memo_n;
    uint32_t *dense; /* keys < dense_cap: direct index (PK_NIL = empty) */
    size_t dense_cap;
    struct pk_lite *lite; /* memoised literals kept without a pool value (see memo_value) */
    size_t n_lite, cap_lite;
    uint64_t op_off; /* offset of the opcode being analysed */
    uint8_t op;
    uint8_t proto;
    int depth;
    int in_frame;
    uint64_t frame_end;
    int stopped;
};

/* Grow *p (an array of `size`-byte elements) to hold at least `need`. */
static bool grow(void *pp, size_t *cap, size_t need, size_t size)
{
    void **p = pp;
    size_t ncap = *cap == 0 ? 16 : *cap;
    void *np;

    if (need <= *cap) {
        return true;
    }
    while (ncap < need) {
        if (!bw_mul_ok(ncap, 2, &ncap)) {
            return false;
        }
    }
    np = bw_reallocarray(*p, ncap, size);
    if (np == NULL) {
        return false;
    }
    *p = np;
    *cap = ncap;
    return true;
}

static void pk_nomem(struct pk_out *o)
{
    o->nomem = 1;
    o->halt = 1;
}

static void pk_issue(struct pk *m, bw_pickle_issue_kind kind, const char *fmt, ...) BW_PRINTF(3, 4);
static void pk_issue(struct pk *m, bw_pickle_issue_kind kind, const char *fmt, ...)
{
    struct pk_out *o = m->o;
    bw_pickle_result *r = o->r;
    bw_pickle_issue *is;
    va_list ap;

    if ((kind == BW_PICKLE_MALFORMED || kind == BW_PICKLE_BAD_FRAME || kind == BW_PICKLE_MEMO_MISSING) &&
        r->n_calls > 0) {
        r->call_before_break = 1;
    }
    if (r->n_issues >= PK_MAX_ISSUES) {
        return; /* the first PK_MAX_ISSUES tell the story */
    }
    if (!grow(&r->issues, &o->cap_issues, r->n_issues + 1, sizeof(*r->issues))) {
        pk_nomem(o);
        return;
    }
    is = &r->issues[r->n_issues++];
    is->kind = kind;
    is->offset = m->op_off;
    va_start(ap, fmt);
    vsnprintf(is->msg, sizeof(is->msg), fmt, ap);
    va_end(ap);
}

static const char *opname(uint8_t op)
{
    return opnames[op] != NULL ? opnames[op] : "?";
}

/* A read failed: the argument runs past the end. Stop. */
static bool got(struct pk *m, bw_status st)
{
    if (st == BW_OK) {
        return true;
    }
    pk_issue(m, BW_PICKLE_MALFORMED, "truncated: %s argument runs past the end of the data", opname(m->op));
    m->o->halt = 1;
    return false;
}

static void pk_limit(struct pk *m, const char *what, uint64_t limit)
{
    pk_issue(m, BW_PICKLE_LIMIT, "%s limit of %llu reached; analysis stopped", what, (unsigned long long)limit);
    m->o->halt = 1;
}

/* ---- values ---- */

static bw_status pv_new(struct pk *m, uint8_t kind, uint32_t *out)
{
    struct pk_out *o = m->o;
    struct pval *v;
    uint32_t id;

    if (o->free_head != PK_NIL) {
        id = o->free_head;
        o->free_head = (uint32_t)o->pool[id].i;
    } else {
        if (o->n_pool == o->cap_pool) {
            size_t cap = o->cap_pool;
            if (!grow(&o->pool, &cap, (size_t)o->n_pool + 1, sizeof(*o->pool))) {
                pk_nomem(o);
                return BW_ENOMEM;
            }
            o->cap_pool = (uint32_t)BW_MIN(cap, (size_t)PK_MAX_VALUES + 64);
        }
        id = o->n_pool++;
    }
    o->live++;
    v = &o->pool[id];
    memset(v, 0, sizeof(*v));
    v->refs = 1;
    v->kind = kind;
    v->arg = PK_NIL;
    *out = id;
    return BW_OK;
}

static void pv_ref(struct pk *m, uint32_t id)
{
    m->o->pool[id].refs++;
}

/* Put slot id (its kids and text already freed) on the free list. */
static void pv_free_slot(struct pk_out *o, uint32_t id)
{
    struct pval *v = &o->pool[id];

    memset(v, 0, sizeof(*v));
    v->kind = PV_FREE;
    v->i = o->free_head;
    o->free_head = id;
    o->live--;
}

/* Drop one reference; free what is no longer referenced, without recursion. */
static void pv_release(struct pk *m, uint32_t id)
{
    struct pk_out *o = m->o;
    struct pval *leaf = &o->pool[id];

    if (leaf->refs > 1) {
        leaf->refs--;
        return;
    }
    if (leaf->refs == 1 && leaf->kids == NULL && leaf->owned == NULL && leaf->arg == PK_NIL) {
        pv_free_slot(o, id); /* the common case: a literal nobody else holds */
        return;
    }
    o->n_work = 0;
    if (!grow(&o->work, &o->cap_work, 1, sizeof(*o->work))) {
        return; /* leaks into the pool, which is freed at the end */
    }
    o->work[o->n_work++] = id;
    while (o->n_work > 0) {
        uint32_t self = o->work[--o->n_work];
        struct pval *v = &o->pool[self];
        size_t need = o->n_work + v->n + 1;

        if (v->refs == 0 || --v->refs > 0) {
            continue;
        }
        if (grow(&o->work, &o->cap_work, need, sizeof(*o->work))) {
            v = &o->pool[self];
            if (v->kids != NULL) {
                for (uint32_t k = 0; k < v->n; k++) {
                    o->work[o->n_work++] = v->kids[k];
                }
            }
            if (v->arg != PK_NIL) {
                o->work[o->n_work++] = v->arg;
            }
        }
        v = &o->pool[self];
        bw_free(v->kids);
        bw_free(v->owned);
        pv_free_slot(o, self);
    }
}

/* A str or bytes value over bytes borrowed from the input. */
static bw_status pv_bytes(struct pk *m, uint8_t kind, const uint8_t *p, size_t n, uint32_t *out)
{
    struct pval *v;

    BW_TRY(pv_new(m, kind, out));
    v = &m->o->pool[*out];
    v->s = p;
    v->n = (uint32_t)BW_MIN(n, (size_t)PK_MAX_STR);
    v->full = n;
    v->elided = n > PK_MAX_STR;
    return BW_OK;
}

/* A decoded text-mode string: `kept` bytes of a `full`-byte result. */
struct pk_text {
    char buf[PK_MAX_STR + 4];
    size_t kept;
    uint64_t full;
};

static void text_put(struct pk_text *t, uint8_t c)
{
    if (t->kept < PK_MAX_STR) {
        t->buf[t->kept++] = (char)c;
    }
    t->full++;
}

static bw_status pv_text(struct pk *m, const struct pk_text *t, uint32_t *out)
{
    struct pval *v;
    char *copy = bw_malloc(t->kept + 1);

    if (copy == NULL) {
        pk_nomem(m->o);
        return BW_ENOMEM;
    }
    memcpy(copy, t->buf, t->kept);
    copy[t->kept] = '\0';
    if (pv_new(m, PV_STR, out) != BW_OK) {
        bw_free(copy);
        return BW_ENOMEM;
    }
    v = &m->o->pool[*out];
    v->owned = copy;
    v->s = (const uint8_t *)copy;
    v->n = (uint32_t)t->kept;
    v->full = t->full;
    v->elided = t->full > t->kept;
    return BW_OK;
}

static bw_status pv_int(struct pk *m, uint8_t kind, int64_t i, uint32_t *out)
{
    BW_TRY(pv_new(m, kind, out));
    m->o->pool[*out].i = i;
    return BW_OK;
}

/* Add `item` (a reference the caller gives up) to container `c`. */
static bw_status pv_add(struct pk *m, uint32_t c, uint32_t item)
{
    struct pval *v = &m->o->pool[c];

    v->full++;
    if (v->n >= PK_MAX_ITEMS) {
        v->elided = 1;
        pv_release(m, item);
        return BW_OK;
    }
    if (v->n == v->cap) {
        size_t cap = v->cap;
        if (!grow(&v->kids, &cap, (size_t)v->n + 1, sizeof(*v->kids))) {
            pv_release(m, item);
            pk_nomem(m->o);
            return BW_ENOMEM;
        }
        v->cap = (uint32_t)cap;
    }
    v->kids[v->n++] = item;
    return BW_OK;
}

static bool pv_is_str(const struct pval *v, const char *s)
{
    size_t n = strlen(s);
    return v->kind == PV_STR && !v->elided && v->n == n && memcmp(v->s, s, n) == 0;
}

/* ---- the stack, marks and memo ---- */

static size_t stack_floor(const struct pk *m)
{
    return m->n_marks > 0 ? m->marks[m->n_marks - 1] : 0;
}

static bw_status push(struct pk *m, uint32_t v)
{
    if (m->sp + m->n_marks >= m->o->max_stack) {
        pv_release(m, v);
        pk_limit(m, "stack depth", m->o->max_stack);
        return BW_OK;
    }
    if (!grow(&m->stack, &m->cap_stack, m->sp + 1, sizeof(*m->stack))) {
        pv_release(m, v);
        pk_nomem(m->o);
        return BW_ENOMEM;
    }
    m->stack[m->sp++] = v;
    return BW_OK;
}

static bw_status push_new(struct pk *m, uint8_t kind)
{
    uint32_t v;
    BW_TRY(pv_new(m, kind, &v));
    return push(m, v);
}

static bw_status push_new_int(struct pk *m, int64_t i)
{
    uint32_t v;
    BW_TRY(pv_int(m, PV_INT, i, &v));
    return push(m, v);
}

/* Pop a value (a reference the caller now owns). Below the mark: underflow, an unknown value. */
static bw_status pop(struct pk *m, uint32_t *out)
{
    if (m->sp <= stack_floor(m)) {
        pk_issue(m, BW_PICKLE_MALFORMED, "%s: stack underflow", opname(m->op));
        return pv_new(m, PV_UNKNOWN, out);
    }
    *out = m->stack[--m->sp];
    return BW_OK;
}

/* The top value, borrowed; PK_NIL (and an issue) on underflow. */
static uint32_t top(struct pk *m)
{
    if (m->sp <= stack_floor(m)) {
        pk_issue(m, BW_PICKLE_MALFORMED, "%s: stack underflow", opname(m->op));
        return PK_NIL;
    }
    return m->stack[m->sp - 1];
}

/* Move the items above the last mark into a new container of `kind`, and drop the mark. */
static bw_status pop_mark(struct pk *m, uint8_t kind, uint32_t *out)
{
    size_t base;
    bw_status rc;

    BW_TRY(pv_new(m, kind, out));
    if (m->n_marks == 0) {
        pk_issue(m, BW_PICKLE_MALFORMED, "%s: no MARK on the stack", opname(m->op));
        return BW_OK;
    }
    base = m->marks[--m->n_marks];
    for (size_t k = base; k < m->sp; k++) {
        rc = pv_add(m, *out, m->stack[k]);
        if (rc != BW_OK) {
            for (size_t j = k + 1; j < m->sp; j++) {
                pv_release(m, m->stack[j]);
            }
            m->sp = base;
            return rc;
        }
    }
    m->sp = base;
    return BW_OK;
}

/*
 * Writers number memo slots densely (MEMOIZE uses the memo's length, BINPUT
 * counts up), so small keys live in a plain array: a million PUTs then touch
 * memory in order instead of missing the cache on every probe of a hash
 * table. Keys past PK_DENSE_MAX (or far past what is stored) use the hash.
 */
#define PK_DENSE_MAX ((uint64_t)1 << 26)

static uint32_t *memo_find(struct pk *m, uint64_t key)
{
    size_t mask = m->memo_cap - 1;
    size_t h;

    if (key < m->dense_cap) {
        return m->dense[key] != PK_NIL ? &m->dense[key] : NULL;
    }
    if (m->memo_cap == 0) {
        return NULL;
    }
    h = (size_t)((key * 0x9e3779b97f4a7c15ull) >> 17) & mask;
    while (m->memo[h].val != PK_NIL) {
        if (m->memo[h].key == key) {
            return &m->memo[h].val;
        }
        h = (h + 1) & mask;
    }
    return NULL;
}

static uint32_t *memo_find_hashed(struct pk *m, uint64_t key)
{
    size_t mask = m->memo_cap - 1;
    size_t h = (size_t)((key * 0x9e3779b97f4a7c15ull) >> 17) & mask;

    while (m->memo[h].val != PK_NIL) {
        if (m->memo[h].key == key) {
            return &m->memo[h].val;
        }
        h = (h + 1) & mask;
    }
    return NULL;
}

static bool memo_insert_slot(struct memo_slot *tab, size_t cap, uint64_t key, uint32_t val)
{
    size_t mask = cap - 1;
    size_t h = (size_t)((key * 0x9e3779b97f4a7c15ull) >> 17) & mask;

    while (tab[h].val != PK_NIL) {
        if (tab[h].key == key) {
            return false;
        }
        h = (h + 1) & mask;
    }
    tab[h].key = key;
    tab[h].val = val;
    return true;
}

/*
 * The str/bytes literal read by the opcode at position pos of this pickle
 * (a length-prefixed string opcode), as the value that opcode pushed.
 * False when there is none there.
 */
static bool lit_at(const struct pk *m, size_t pos, struct pk_lite *l)
{
    bw_rd rd;
    uint8_t op, u8;
    uint32_t u32;
    int32_t i32;
    uint64_t len;
    bw_bytes b;

    if (pos >= m->rd->len) {
        return false;
    }
    bw_rd_init(&rd, m->rd->base + pos, m->rd->len - pos, NULL, NULL);
    if (bw_rd_u8(&rd, &op) != BW_OK) {
        return false;
    }
    l->kind = PV_STR;
    switch (op) {
    case OP_SHORT_BINBYTES: l->kind = PV_BYTES; /* fall through */
    case OP_SHORT_BINSTRING:
    case OP_SHORT_BINUNICODE:
        if (bw_rd_u8(&rd, &u8) != BW_OK) {
            return false;
        }
        len = u8;
        break;
    case OP_BINSTRING:
        if (bw_rd_i32le(&rd, &i32) != BW_OK || i32 < 0) {
            return false;
        }
        len = (uint64_t)i32;
        break;
    case OP_BINBYTES: l->kind = PV_BYTES; /* fall through */
    case OP_BINUNICODE:
        if (bw_rd_u32le(&rd, &u32) != BW_OK) {
            return false;
        }
        len = u32;
        break;
    case OP_BINBYTES8: l->kind = PV_BYTES; /* fall through */
    case OP_BINUNICODE8:
        if (bw_rd_u64le(&rd, &len) != BW_OK) {
            return false;
        }
        break;
    default: return false;
    }
    if (len > bw_rd_left(&rd) || bw_rd_view(&rd, (size_t)len, &b) != BW_OK) {
        return false;
    }
    l->s = b.ptr;
    l->full = len;
    l->n = (uint32_t)BW_MIN(len, (uint64_t)PK_MAX_STR);
    l->elided = len > PK_MAX_STR;
    return true;
}

/*
 * What the memo stores for value v: the position of the opcode that read an
 * input-backed literal, or a lite record of it, else a new reference to v.
 */
static bw_status memo_value(struct pk *m, uint32_t v, uint32_t *stored)
{
    const struct pval *pv = &m->o->pool[v];

    if ((pv->kind == PV_STR || pv->kind == PV_BYTES) && pv->owned == NULL && pv->src != 0) {
        /* src is set only where op_counted pushed the literal; GET reads it there again */
#ifndef NDEBUG
        struct pk_lite l;
        assert(lit_at(m, pv->src - 1, &l) && l.s == pv->s && l.full == pv->full && l.kind == pv->kind);
#endif
        *stored = PK_OFF_TAG | (pv->src - 1);
        return BW_OK;
    }
    if ((pv->kind == PV_STR || pv->kind == PV_BYTES) && pv->owned == NULL && m->n_lite < PK_OFF_TAG) {
        if (m->n_lite == m->cap_lite) {
            size_t cap = m->cap_lite;
            if (!grow(&m->lite, &cap, m->n_lite + 1, sizeof(*m->lite))) {
                pk_nomem(m->o);
                return BW_ENOMEM;
            }
            m->cap_lite = cap;
        }
        m->lite[m->n_lite] = (struct pk_lite){pv->s, pv->full, pv->n, pv->kind, pv->elided};
        *stored = PK_LITE_TAG | (uint32_t)m->n_lite++;
        return BW_OK;
    }
    pv_ref(m, v);
    *stored = v;
    return BW_OK;
}

/* Drop what the memo held in a slot (lite records live until the end). */
static void memo_drop(struct pk *m, uint32_t stored)
{
    if (stored != PK_NIL && !(stored & (PK_LITE_TAG | PK_OFF_TAG))) {
        pv_release(m, stored);
    }
}

/* memo[key] = the top of the stack. */
static bw_status memo_put(struct pk *m, uint64_t key)
{
    uint32_t v = top(m);
    uint32_t *slot;

    if (v == PK_NIL) {
        return BW_OK;
    }
    slot = memo_find(m, key);
    if (slot != NULL) {
        uint32_t stored;
        BW_TRY(memo_value(m, v, &stored));
        memo_drop(m, *slot);
        *slot = stored;
        return BW_OK;
    }
    if (m->memo_n >= m->o->max_memo) {
        pk_limit(m, "memo size", m->o->max_memo);
        return BW_OK;
    }
    if (key < PK_DENSE_MAX && key <= 2 * (uint64_t)m->memo_n + 1024) {
        if (key >= m->dense_cap) {
            size_t ncap = m->dense_cap == 0 ? 1024 : m->dense_cap;
            uint32_t *d;
            while (ncap <= key) {
                ncap *= 2;
            }
            d = bw_table_resize(m->dense, m->dense_cap * sizeof(*d), ncap * sizeof(*d));
            if (d == NULL) {
                pk_nomem(m->o);
                return BW_ENOMEM;
            }
            for (size_t i = m->dense_cap; i < ncap; i++) {
                d[i] = PK_NIL;
            }
            m->dense = d;
            m->dense_cap = ncap;
        }
        /* a key first stored in the hash stays there (memo_find found none above) */
        if (m->memo_cap == 0 || memo_find_hashed(m, key) == NULL) {
            uint32_t stored;
            BW_TRY(memo_value(m, v, &stored));
            m->dense[key] = stored;
            m->memo_n++;
            return BW_OK;
        }
    }
    if ((m->memo_n + 1) * 2 > m->memo_cap) {
        size_t ncap = m->memo_cap == 0 ? 64 : m->memo_cap * 2;
        struct memo_slot *tab = bw_calloc(ncap, sizeof(*tab));
        if (tab == NULL) {
            pk_nomem(m->o);
            return BW_ENOMEM;
        }
        for (size_t i = 0; i < ncap; i++) {
            tab[i].val = PK_NIL;
        }
        for (size_t i = 0; i < m->memo_cap; i++) {
            if (m->memo[i].val != PK_NIL) {
                memo_insert_slot(tab, ncap, m->memo[i].key, m->memo[i].val);
            }
        }
        bw_free(m->memo);
        m->memo = tab;
        m->memo_cap = ncap;
    }
    {
        uint32_t stored;
        BW_TRY(memo_value(m, v, &stored));
        memo_insert_slot(m->memo, m->memo_cap, key, stored);
    }
    m->memo_n++;
    return BW_OK;
}

static bw_status memo_get(struct pk *m, uint64_t key)
{
    uint32_t *slot = memo_find(m, key);

    if (slot == NULL) {
        pk_issue(m, BW_PICKLE_MEMO_MISSING, "%s of memo slot %llu, which was never set", opname(m->op),
                 (unsigned long long)key);
        return push_new(m, PV_UNKNOWN);
    }
    if ((*slot & PK_LITE_TAG) || (*slot & PK_OFF_TAG)) {
        struct pk_lite at;
        const struct pk_lite *l = &at;
        uint32_t id;
        if (*slot & PK_LITE_TAG) {
            l = &m->lite[*slot & ~PK_LITE_TAG];
        } else if (!lit_at(m, *slot & ~PK_OFF_TAG, &at)) {
            return push_new(m, PV_UNKNOWN); /* cannot happen: memo_value read it there */
        }
        BW_TRY(pv_new(m, l->kind, &id));
        m->o->pool[id].s = l->s;
        m->o->pool[id].n = l->n;
        m->o->pool[id].full = l->full;
        m->o->pool[id].elided = l->elided;
        if (l == &at) {
            m->o->pool[id].src = (*slot & ~PK_OFF_TAG) + 1;
        }
        return push(m, id);
    }
    pv_ref(m, *slot);
    return push(m, *slot);
}

/* ---- globals ---- */

/* Escaped copy of s[0..n) for the result, with "..." when the stream had more. */
static char *esc_dup(const uint8_t *s, size_t n, int elided)
{
    char buf[PK_ESC_CAP];
    size_t len;

    bw_escape_for_log((const char *)s, n, buf, sizeof(buf) - 4);
    if (elided) {
        len = strlen(buf);
        memcpy(buf + len, "...", 4);
    }
    return bw_strdup(buf);
}

/*
 * Record an import of module.name (raw bytes as written). Applies fix_imports
 * as find_class() does below protocol 3. Sets *gi, or halts at the limit.
 */
static bw_status add_global(struct pk *m, const uint8_t *mod, size_t nmod, int mod_elided, const uint8_t *name,
                            size_t nname, int name_elided, unsigned from_ext, uint32_t *gi)
{
    struct pk_out *o = m->o;
    bw_pickle_result *r = o->r;
    bw_pickle_global *g;
    const char *rm, *rn;

    *gi = PK_NIL;
    if (r->n_globals >= PK_MAX_GLOBALS) {
        pk_limit(m, "import count", PK_MAX_GLOBALS);
        return BW_OK;
    }
    if (!grow(&r->globals, &o->cap_globals, r->n_globals + 1, sizeof(*r->globals))) {
        pk_nomem(o);
        return BW_ENOMEM;
    }
    g = &r->globals[r->n_globals];
    memset(g, 0, sizeof(*g));
    g->raw_module = esc_dup(mod, nmod, mod_elided);
    g->raw_name = esc_dup(name, nname, name_elided);
    g->offset = m->op_off;
    g->opcode = m->op;
    g->from_ext = from_ext & 1u;
    if (g->raw_module == NULL || g->raw_name == NULL) {
        goto nomem;
    }
    rm = g->raw_module;
    rn = g->raw_name;
    if (m->proto < 3 && !from_ext) {
        const struct pk_name_map *nm = find_name_map(g->raw_module, g->raw_name);
        const struct pk_import_map *im = NULL;
        if (nm != NULL) {
            rm = nm->to_module;
            rn = nm->to_name;
        } else {
            im = find_import_map(g->raw_module);
            if (im != NULL) {
                rm = im->to;
            }
        }
    }
    g->module = bw_strdup(rm);
    g->name = bw_strdup(rn);
    if (g->module == NULL || g->name == NULL) {
        goto nomem;
    }
    if (mod_elided || name_elided) {
        pk_issue(m, BW_PICKLE_MALFORMED, "%s: import name over the %d-byte analysis limit: '%s'.'%s'", opname(m->op),
                 PK_MAX_STR, g->raw_module, g->raw_name);
    } else if (!bw_utf8_valid((const char *)mod, nmod) || !bw_utf8_valid((const char *)name, nname) ||
               memchr(mod, 0, nmod) != NULL || memchr(name, 0, nname) != NULL) {
        pk_issue(m, BW_PICKLE_MALFORMED, "%s: import name is not valid text: '%s'.'%s'", opname(m->op), g->raw_module,
                 g->raw_name);
    }
    *gi = (uint32_t)r->n_globals++;
    return BW_OK;
nomem:
    bw_free((void *)g->raw_module);
    bw_free((void *)g->raw_name);
    bw_free((void *)g->module);
    bw_free((void *)g->name);
    pk_nomem(o);
    return BW_ENOMEM;
}

static bw_status push_global(struct pk *m, uint32_t gi)
{
    uint32_t v;

    if (gi == PK_NIL) {
        return BW_OK; /* halted at the limit */
    }
    BW_TRY(pv_int(m, PV_GLOBAL, gi, &v));
    return push(m, v);
}

/* Describe a value for messages and for a STACK_GLOBAL operand that is not a literal str. */
static void describe(struct pk *m, uint32_t id, char *out, size_t cap)
{
    const struct pval *v = &m->o->pool[id];
    const bw_pickle_global *g;

    switch (v->kind) {
    case PV_CALL:
        if (v->i >= 0) {
            g = &m->o->r->globals[v->i];
            snprintf(out, cap, "<result of calling %s.%s>", g->module, g->name);
        } else {
            snprintf(out, cap, "<result of a call>");
        }
        return;
    case PV_GLOBAL:
        g = &m->o->r->globals[v->i];
        snprintf(out, cap, "<global %s.%s>", g->module, g->name);
        return;
    case PV_PERSID: snprintf(out, cap, "<persistent id>"); return;
    case PV_BUFFER: snprintf(out, cap, "<out-of-band buffer>"); return;
    case PV_STR: snprintf(out, cap, "<str of %llu bytes>", (unsigned long long)v->full); return;
    case PV_BYTES:
    case PV_BYTEARRAY: snprintf(out, cap, "<bytes>"); return;
    case PV_NONE: snprintf(out, cap, "<None>"); return;
    case PV_BOOL:
    case PV_INT:
    case PV_BIGINT: snprintf(out, cap, "<int>"); return;
    case PV_FLOAT: snprintf(out, cap, "<float>"); return;
    case PV_TUPLE:
    case PV_LIST:
    case PV_DICT:
    case PV_SET:
    case PV_FROZENSET: snprintf(out, cap, "<container>"); return;
    default: snprintf(out, cap, "<unknown>"); return;
    }
}

/* ---- text-mode arguments ---- */

static bool is_space(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/*
 * Python's int(text, 0) (base0) or int(text): surrounding whitespace, a sign,
 * a 0x/0o/0b prefix (base0 only), digits with single underscores between
 * them. Leading zeros are accepted in base 0 as _pickle.c's strtol path
 * does. Returns false if the text is not a number; *big when it does not fit
 * int64_t.
 */
static bool parse_int_text(const uint8_t *p, size_t n, bool base0, int64_t *out, bool *big)
{
    size_t i = 0, digits = 0;
    unsigned base = 10;
    bool neg = false, prev_us = false;
    uint64_t v = 0, lim;

    *big = false;
    while (n > 0 && is_space(p[n - 1])) {
        n--;
    }
    while (i < n && is_space(p[i])) {
        i++;
    }
    if (i < n && (p[i] == '+' || p[i] == '-')) {
        neg = p[i] == '-';
        i++;
    }
    if (base0 && n - i >= 2 && p[i] == '0') {
        uint8_t b = p[i + 1] | 0x20;
        base = b == 'x' ? 16 : b == 'o' ? 8 : b == 'b' ? 2 : 10;
        if (base != 10) {
            i += 2;
            prev_us = true; /* "0x_1f" is allowed */
            digits = 0;
        }
    }
    lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; i < n; i++) {
        int d;
        if (p[i] == '_') {
            if (prev_us && digits > 0) {
                return false;
            }
            if (digits == 0 && base == 10) {
                return false;
            }
            prev_us = true;
            continue;
        }
        d = bw_hexval((unsigned char)p[i]);
        if (d < 0 || (unsigned)d >= base) {
            return false;
        }
        prev_us = false;
        digits++;
        if (!*big && (v > (lim - (unsigned)d) / base)) {
            *big = true;
        }
        v = v * base + (unsigned)d;
    }
    if (digits == 0 || prev_us) {
        return false;
    }
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return true;
}

/* codecs.escape_decode, as the STRING opcode uses it. False on a bad escape. */
static bool decode_escape(const uint8_t *p, size_t n, struct pk_text *t)
{
    for (size_t i = 0; i < n;) {
        uint8_t c = p[i++];
        if (c != '\\') {
            text_put(t, c);
            continue;
        }
        if (i >= n) {
            return false; /* trailing backslash */
        }
        c = p[i++];
        switch (c) {
        case '\n': break;
        case '\\':
        case '\'':
        case '"': text_put(t, c); break;
        case 'b': text_put(t, '\b'); break;
        case 'f': text_put(t, '\f'); break;
        case 't': text_put(t, '\t'); break;
        case 'n': text_put(t, '\n'); break;
        case 'r': text_put(t, '\r'); break;
        case 'v': text_put(t, '\v'); break;
        case 'a': text_put(t, '\a'); break;
        case 'x': {
            int hi = i < n ? bw_hexval((unsigned char)p[i]) : -1;
            int lo = i + 1 < n ? bw_hexval((unsigned char)p[i + 1]) : -1;
            if (hi < 0 || lo < 0) {
                return false;
            }
            text_put(t, (uint8_t)(hi * 16 + lo));
            i += 2;
            break;
        }
        default:
            if (c >= '0' && c <= '7') {
                unsigned v = c - '0';
                for (int k = 0; k < 2 && i < n && p[i] >= '0' && p[i] <= '7'; k++) {
                    v = v * 8 + (unsigned)(p[i++] - '0');
                }
                text_put(t, (uint8_t)v);
            } else {
                text_put(t, '\\');
                text_put(t, c);
            }
            break;
        }
    }
    return true;
}

static void text_put_cp(struct pk_text *t, uint32_t cp)
{
    if (cp < 0x80) {
        text_put(t, (uint8_t)cp);
    } else if (cp < 0x800) {
        text_put(t, (uint8_t)(0xc0 | (cp >> 6)));
        text_put(t, (uint8_t)(0x80 | (cp & 0x3f)));
    } else if (cp < 0x10000) {
        text_put(t, (uint8_t)(0xe0 | (cp >> 12)));
        text_put(t, (uint8_t)(0x80 | ((cp >> 6) & 0x3f)));
        text_put(t, (uint8_t)(0x80 | (cp & 0x3f)));
    } else {
        text_put(t, (uint8_t)(0xf0 | (cp >> 18)));
        text_put(t, (uint8_t)(0x80 | ((cp >> 12) & 0x3f)));
        text_put(t, (uint8_t)(0x80 | ((cp >> 6) & 0x3f)));
        text_put(t, (uint8_t)(0x80 | (cp & 0x3f)));
    }
}

/*
 * raw-unicode-escape, as the UNICODE opcode uses it: bytes are Latin-1
 * code points, except \uXXXX and \UXXXXXXXX after an odd number of
 * backslashes. Output is UTF-8 (lone surrogates encoded as CPython keeps
 * them). False on a short or out-of-range escape.
 */
static bool decode_raw_unicode_escape(const uint8_t *p, size_t n, struct pk_text *t)
{
    size_t i = 0;

    while (i < n) {
        size_t bs = 0;
        unsigned count;
        uint32_t cp = 0;

        if (p[i] != '\\') {
            text_put_cp(t, p[i++]);
            continue;
        }
        while (i < n && p[i] == '\\') {
            bs++;
            i++;
        }
        if ((bs & 1) == 0 || i >= n || (p[i] != 'u' && p[i] != 'U')) {
            for (size_t k = 0; k < bs; k++) {
                text_put(t, '\\');
            }
            continue;
        }
        for (size_t k = 0; k + 1 < bs; k++) {
            text_put(t, '\\');
        }
        count = p[i] == 'u' ? 4 : 8;
        i++;
        for (unsigned k = 0; k < count; k++) {
            int d = i < n ? bw_hexval((unsigned char)p[i]) : -1;
            if (d < 0) {
                return false;
            }
            cp = cp * 16 + (unsigned)d;
            i++;
        }
        if (cp > 0x10ffff) {
            return false;
        }
        text_put_cp(t, cp);
    }
    return true;
}

/* The next newline-terminated argument, without its newline. */
static bool read_line(struct pk *m, bw_bytes *line)
{
    if (bw_rd_until(m->rd, '\n', line) == BW_OK) {
        return true;
    }
    pk_issue(m, BW_PICKLE_MALFORMED, "truncated: %s argument has no terminating newline", opname(m->op));
    m->o->halt = 1;
    return false;
}

/* ---- calls and BUILD ---- */

/* Record a call of `callee` (a reference the call consumes) with `args` (kept by the result). */
static bw_status do_call(struct pk *m, uint32_t callee, uint32_t args)
{
    struct pk_out *o = m->o;
    const struct pval *c = &o->pool[callee];
    int64_t gi = -1;
    uint32_t res;

    o->r->n_calls++;
    if (c->kind == PV_GLOBAL) {
        gi = c->i;
        o->r->globals[gi].called = 1;
    } else if (c->kind == PV_CALL) {
        char d[200];
        describe(m, callee, d, sizeof(d));
        pk_issue(m, BW_PICKLE_CALL_RESULT_CALLED, "%s calls %s", opname(m->op), d);
    }
    pv_release(m, callee);
    if (pv_new(m, PV_CALL, &res) != BW_OK) {
        if (args != PK_NIL) {
            pv_release(m, args);
        }
        return BW_ENOMEM;
    }
    o->pool[res].i = gi;
    o->pool[res].arg = args;
    return push(m, res);
}

/* dict[key] for a literal str key; PK_NIL if absent. */
static uint32_t dict_get(struct pk *m, uint32_t d, const char *key)
{
    const struct pval *v = &m->o->pool[d];

    for (uint32_t k = 0; k + 1 < v->n; k += 2) {
        if (pv_is_str(&m->o->pool[v->kids[k]], key)) {
            return v->kids[k + 1];
        }
    }
    return PK_NIL;
}

/*
 * Item size of a NumPy dtype from the string numpy.dtype() was called with
 * ('<f8', 'int64', 'U10', 'O', ...). 0 if not derivable; *object for object
 * dtypes (whose data is a nested pickle).
 */
static uint64_t dtype_itemsize(const uint8_t *s, size_t n, bool *object)
{
    static const struct {
        const char *name;
        unsigned size;
    } named[] = {
        {"bool", 1},        {"bool_", 1},       {"int8", 1},        {"uint8", 1},        {"byte", 1},
        {"ubyte", 1},       {"int16", 2},       {"uint16", 2},      {"short", 2},        {"ushort", 2},
        {"int32", 4},       {"uint32", 4},      {"intc", 4},        {"uintc", 4},        {"int64", 8},
        {"uint64", 8},      {"int", 8},         {"long", 8},        {"ulong", 8},        {"longlong", 8},
        {"ulonglong", 8},   {"intp", 8},        {"uintp", 8},       {"float16", 2},      {"half", 2},
        {"float32", 4},     {"single", 4},      {"float64", 8},     {"float", 8},        {"double", 8},
        {"float128", 16},   {"longdouble", 16}, {"complex64", 8},   {"csingle", 8},      {"complex128", 16},
        {"complex", 16},    {"cdouble", 16},    {"complex256", 32}, {"clongdouble", 32}, {"datetime64", 8},
        {"timedelta64", 8},
    };
    /* one-character type codes without a size */
    static const char chars[] = "?bBhHiIlLqQeFfdgDGMm";
    static const unsigned char_sizes[] = {1, 1, 1, 2, 2, 4, 4, 8, 8, 8, 8, 2, 8, 4, 8, 16, 16, 32, 8, 8};
    uint64_t digits = 0;
    size_t i;
    uint8_t kind;

    *object = false;
    if (n > 0 && (s[0] == '<' || s[0] == '>' || s[0] == '=' || s[0] == '|')) {
        s++;
        n--;
    }
    if (n == 0) {
        return 0;
    }
    if ((n == 6 && memcmp(s, "object", 6) == 0) || (n == 1 && s[0] == 'O') ||
        (n == 2 && s[0] == 'O' && (s[1] == '8' || s[1] == '4'))) {
        *object = true;
        return 8;
    }
    for (size_t k = 0; k < BW_ARRAY_LEN(named); k++) {
        if (strlen(named[k].name) == n && memcmp(named[k].name, s, n) == 0) {
            return named[k].size;
        }
    }
    kind = s[0];
    if (n == 1 || (n > 1 && s[1] == '[')) {
        const char *c = memchr(chars, kind, sizeof(chars) - 1);
        if (c == NULL || (n > 1 && kind != 'M' && kind != 'm')) {
            return 0;
        }
        return char_sizes[c - chars];
    }
    for (i = 1; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
        if (digits > 1000000000u) {
            return 0;
        }
        digits = digits * 10 + (uint64_t)(s[i] - '0');
    }
    if (i != n && !(i < n && s[i] == '[' && (kind == 'M' || kind == 'm'))) {
        return 0;
    }
    switch (kind) {
    case 'b':
    case 'i':
    case 'u':
    case 'f':
    case 'c':
    case 'S':
    case 'a':
    case 'V':
    case 'M':
    case 'm': return digits;
    case 'U': return digits * 4;
    default: return 0;
    }
}

static bw_status pk_run(struct pk_out *o, bw_rd *rd, int depth);

/*
 * joblib: after the BUILD of a NumpyArrayWrapper, NumpyUnpickler reads the
 * array straight from the file (joblib/numpy_pickle.py, read_array): for an
 * object dtype a nested pickle, otherwise an optional padding-length byte
 * and padding (when the state has numpy_array_alignment_bytes, joblib >=
 * 0.12) and then prod(shape) * itemsize bytes. `state` is borrowed.
 */
static bw_status joblib_array(struct pk *m, uint32_t state)
{
    struct pk_out *o = m->o;
    const struct pval *sv = &o->pool[state];
    uint32_t shape, dtype, align;
    const struct pval *shp, *dt, *args, *spec;
    const bw_pickle_global *g;
    uint64_t count = 1, itemsize, nbytes;
    bool object;

    if (sv->kind != PV_DICT || sv->elided) {
        goto unsized;
    }
    shape = dict_get(m, state, "shape");
    dtype = dict_get(m, state, "dtype");
    align = dict_get(m, state, "numpy_array_alignment_bytes");
    if (shape == PK_NIL || dtype == PK_NIL) {
        goto unsized;
    }
    shp = &o->pool[shape];
    if (shp->kind != PV_TUPLE || shp->elided) {
        goto unsized;
    }
    for (uint32_t k = 0; k < shp->n; k++) {
        const struct pval *d = &o->pool[shp->kids[k]];
        if (d->kind != PV_INT || d->i < 0 || __builtin_mul_overflow(count, (uint64_t)d->i, &count)) {
            goto unsized;
        }
    }
    dt = &o->pool[dtype];
    if (dt->kind != PV_CALL || dt->i < 0 || dt->arg == PK_NIL) {
        goto unsized;
    }
    g = &o->r->globals[dt->i];
    if (strcmp(g->name, "dtype") != 0 || strncmp(g->module, "numpy", 5) != 0 ||
        (g->module[5] != '\0' && g->module[5] != '.')) {
        goto unsized;
    }
    args = &o->pool[dt->arg];
    if (args->kind != PV_TUPLE || args->n < 1) {
        goto unsized;
    }
    spec = &o->pool[args->kids[0]];
    if (spec->kind != PV_STR || spec->elided) {
        goto unsized;
    }
    itemsize = dtype_itemsize(spec->s, spec->n, &object);
    if (itemsize == 0) {
        goto unsized;
    }
    if (m->in_frame) {
        if (bw_rd_offset(m->rd) != m->frame_end) {
            pk_issue(m, BW_PICKLE_BAD_FRAME, "joblib array data starts inside a frame");
            o->halt = 1;
            return BW_OK;
        }
        m->in_frame = 0;
    }
    if (object) {
        if (m->depth + 1 >= PK_MAX_DEPTH) {
            pk_limit(m, "nested pickle depth", PK_MAX_DEPTH);
            return BW_OK;
        }
        return pk_run(o, m->rd, m->depth + 1);
    }
    if (align != PK_NIL && o->pool[align].kind != PV_NONE) {
        uint8_t pad;
        if (!got(m, bw_rd_u8(m->rd, &pad)) || !got(m, bw_rd_skip(m->rd, pad))) {
            return BW_OK;
        }
    }
    if (__builtin_mul_overflow(count, itemsize, &nbytes) || nbytes > bw_rd_left(m->rd)) {
        pk_issue(m, BW_PICKLE_MALFORMED, "truncated: joblib array of %llu x %llu bytes runs past the end of the data",
                 (unsigned long long)count, (unsigned long long)itemsize);
        o->halt = 1;
        return BW_OK;
    }
    (void)got(m, bw_rd_skip(m->rd, (size_t)nbytes));
    return BW_OK;
unsized:
    pk_issue(m, BW_PICKLE_MALFORMED,
             "cannot size joblib array: NumpyArrayWrapper state is not a literal shape and dtype");
    o->halt = 1;
    return BW_OK;
}

static bw_status op_build(struct pk *m)
{
    struct pk_out *o = m->o;
    uint32_t state, inst;
    const struct pval *iv;
    bw_status rc = BW_OK;

    BW_TRY(pop(m, &state));
    inst = top(m);
    if (inst != PK_NIL) {
        iv = &o->pool[inst];
        if (iv->kind == PV_GLOBAL) {
            bw_pickle_global *g = &o->r->globals[iv->i];
            g->built = 1;
            pk_issue(m, BW_PICKLE_BUILD_ON_GLOBAL, "BUILD sets the state of %s.%s itself", g->module, g->name);
        } else if (iv->kind == PV_CALL && iv->i >= 0) {
            bw_pickle_global *g = &o->r->globals[iv->i];
            g->built = 1;
            if (o->joblib && strcmp(g->module, "joblib.numpy_pickle") == 0 &&
                strcmp(g->name, "NumpyArrayWrapper") == 0) {
                rc = joblib_array(m, state);
            }
        }
    }
    pv_release(m, state);
    return rc;
}

/* ---- opcodes ---- */

static bw_status op_global(struct pk *m, bool inst)
{
    bw_bytes mod, name;
    uint32_t gi, args, callee;

    if (!read_line(m, &mod) || !read_line(m, &name)) {
        return BW_OK;
    }
    BW_TRY(add_global(m, mod.ptr, BW_MIN(mod.len, (size_t)PK_MAX_STR), mod.len > PK_MAX_STR, name.ptr,
                      BW_MIN(name.len, (size_t)PK_MAX_STR), name.len > PK_MAX_STR, 0, &gi));
    if (gi == PK_NIL) {
        return BW_OK;
    }
    if (!inst) {
        return push_global(m, gi);
    }
    BW_TRY(pop_mark(m, PV_TUPLE, &args));
    if (pv_int(m, PV_GLOBAL, gi, &callee) != BW_OK) {
        pv_release(m, args);
        return BW_ENOMEM;
    }
    return do_call(m, callee, args);
}

static bw_status op_stack_global(struct pk *m)
{
    struct pk_out *o = m->o;
    uint32_t mod, name, gi = PK_NIL;
    const struct pval *mv, *nv;
    bw_status rc;

    BW_TRY(pop(m, &name));
    rc = pop(m, &mod);
    if (rc != BW_OK) {
        pv_release(m, name);
        return rc;
    }
    mv = &o->pool[mod];
    nv = &o->pool[name];
    if (mv->kind == PV_STR && nv->kind == PV_STR) {
        rc = add_global(m, mv->s, mv->n, mv->elided, nv->s, nv->n, nv->elided, 0, &gi);
    } else {
        char dm[PK_ESC_CAP], dn[PK_ESC_CAP];
        if (mv->kind == PV_STR) {
            bw_escape_for_log((const char *)mv->s, mv->n, dm, sizeof(dm));
        } else {
            describe(m, mod, dm, sizeof(dm));
        }
        if (nv->kind == PV_STR) {
            bw_escape_for_log((const char *)nv->s, nv->n, dn, sizeof(dn));
        } else {
            describe(m, name, dn, sizeof(dn));
        }
        pk_issue(m, BW_PICKLE_NONLITERAL_IMPORT, "STACK_GLOBAL of %s.%s: operand is not a literal str", dm, dn);
        rc = add_global(m, (const uint8_t *)dm, strlen(dm), 0, (const uint8_t *)dn, strlen(dn), 0, 0, &gi);
    }
    pv_release(m, mod);
    pv_release(m, name);
    if (rc != BW_OK) {
        return rc;
    }
    return push_global(m, gi);
}

static bw_status op_ext(struct pk *m, int64_t code)
{
    char name[64];
    uint32_t gi;

    if (code <= 0) {
        pk_issue(m, BW_PICKLE_MALFORMED, "%s specifies code %lld <= 0", opname(m->op), (long long)code);
    }
    pk_issue(m, BW_PICKLE_EXT, "%s names extension code %lld through copyreg's registry", opname(m->op),
             (long long)code);
    snprintf(name, sizeof(name), "_extension_registry[%lld]", (long long)code);
    BW_TRY(add_global(m, (const uint8_t *)"copyreg", 7, 0, (const uint8_t *)name, strlen(name), 0, 1, &gi));
    return push_global(m, gi);
}

/* Read a length-prefixed string or bytes argument of n bytes and push it as `kind`. */
static bw_status op_counted(struct pk *m, uint8_t kind, uint64_t n)
{
    bw_bytes b;
    uint32_t v;

    if (n > bw_rd_left(m->rd)) {
        (void)got(m, bw_rd_fail(m->rd, BW_EFORMAT, "truncated"));
        return BW_OK;
    }
    if (!got(m, bw_rd_view(m->rd, (size_t)n, &b))) {
        return BW_OK;
    }
    if ((m->op == OP_BINUNICODE || m->op == OP_SHORT_BINUNICODE || m->op == OP_BINUNICODE8) &&
        !bw_utf8_valid((const char *)b.ptr, b.len)) {
        /* CPython decodes with surrogatepass; a lone surrogate would land here too */
        pk_issue(m, BW_PICKLE_MALFORMED, "%s argument is not valid UTF-8", opname(m->op));
    }
    BW_TRY(pv_bytes(m, kind, b.ptr, b.len, &v));
    if (m->op_off - m->rd->origin < PK_OFF_MAX) {
        m->o->pool[v].src = (uint32_t)(m->op_off - m->rd->origin) + 1;
    }
    return push(m, v);
}

/* LONG1/LONG4: n bytes of little-endian two's complement. */
static bw_status op_long_bin(struct pk *m, uint64_t n)
{
    bw_bytes b;
    uint64_t u = 0;
    int64_t i;

    if (n > bw_rd_left(m->rd)) {
        (void)got(m, bw_rd_fail(m->rd, BW_EFORMAT, "truncated"));
        return BW_OK;
    }
    if (!got(m, bw_rd_view(m->rd, (size_t)n, &b))) {
        return BW_OK;
    }
    if (n == 0) {
        return push_new_int(m, 0);
    }
    if (n > 8) {
        return push_new(m, PV_BIGINT);
    }
    for (size_t k = n; k > 0; k--) {
        u = (u << 8) | b.ptr[k - 1];
    }
    if (n < 8 && (b.ptr[n - 1] & 0x80)) {
        u |= ~(uint64_t)0 << (8 * n);
    }
    memcpy(&i, &u, sizeof(i));
    return push_new_int(m, i);
}

/* Pop n values into a new tuple, in stack order. */
static bw_status op_tuple_n(struct pk *m, unsigned n)
{
    uint32_t items[3], t;
    bw_status rc = BW_OK;

    for (unsigned k = n; k > 0; k--) {
        rc = pop(m, &items[k - 1]);
        if (rc != BW_OK) {
            for (unsigned j = k; j < n; j++) {
                pv_release(m, items[j]);
            }
            return rc;
        }
    }
    rc = pv_new(m, PV_TUPLE, &t);
    for (unsigned k = 0; k < n; k++) {
        if (rc == BW_OK) {
            rc = pv_add(m, t, items[k]);
        } else {
            pv_release(m, items[k]);
        }
    }
    if (rc != BW_OK) {
        return rc;
    }
    return push(m, t);
}

/*
 * APPENDS, SETITEMS, ADDITEMS: the items above the mark go into the container
 * under it. They move straight from the stack (no intermediate list: a
 * million-item list is built by a thousand of these).
 */
static bw_status op_extend(struct pk *m, uint8_t want, bool pairs)
{
    struct pk_out *o = m->o;
    size_t base, n, k = 0;
    uint32_t target;
    bw_status rc = BW_OK;

    if (m->n_marks == 0) {
        pk_issue(m, BW_PICKLE_MALFORMED, "%s: no MARK on the stack", opname(m->op));
        (void)top(m);
        return BW_OK;
    }
    base = m->marks[--m->n_marks];
    n = m->sp - base;
    m->sp = base; /* the items stay in stack[base, base + n) until moved or released below */
    if (pairs && (n & 1)) {
        pk_issue(m, BW_PICKLE_MALFORMED, "%s: odd number of items", opname(m->op));
    }
    target = top(m);
    if (target != PK_NIL && o->pool[target].kind == want) {
        size_t lim = pairs ? n & ~(size_t)1 : n;
        for (; k < lim && rc == BW_OK; k += pairs ? 2 : 1) {
            const uint32_t *it = &m->stack[base + k];
            if (!pairs) {
                rc = pv_add(m, target, it[0]);
            } else if (o->pool[target].n + 2 > PK_MAX_ITEMS) { /* keep keys and values paired */
                o->pool[target].elided = 1;
                o->pool[target].full += 2;
                pv_release(m, it[0]);
                pv_release(m, it[1]);
            } else {
                rc = pv_add(m, target, it[0]);
                if (rc == BW_OK) {
                    rc = pv_add(m, target, it[1]);
                } else {
                    pv_release(m, it[1]);
                }
            }
        }
    }
    for (; k < n; k++) {
        pv_release(m, m->stack[base + k]);
    }
    return rc;
}

/* APPEND, SETITEM: one value (or key and value) into the container on top. */
static bw_status op_add1(struct pk *m, uint8_t want, bool pair)
{
    uint32_t key = PK_NIL, val, target;
    bw_status rc = BW_OK;

    BW_TRY(pop(m, &val));
    if (pair) {
        rc = pop(m, &key);
        if (rc != BW_OK) {
            pv_release(m, val);
            return rc;
        }
    }
    target = top(m);
    if (target == PK_NIL || m->o->pool[target].kind != want) {
        pv_release(m, val);
        if (key != PK_NIL) {
            pv_release(m, key);
        }
        return BW_OK;
    }
    if (key != PK_NIL) {
        if (m->o->pool[target].n + 2 > PK_MAX_ITEMS) {
            m->o->pool[target].elided = 1;
            m->o->pool[target].full += 2;
            pv_release(m, key);
            pv_release(m, val);
            return BW_OK;
        }
        rc = pv_add(m, target, key);
        if (rc != BW_OK) {
            pv_release(m, val);
            return rc;
        }
    }
    return pv_add(m, target, val);
}

static bw_status op_text_number(struct pk *m)
{
    bw_bytes line;
    int64_t v = 0;
    bool big = false;
    size_t n;

    if (!read_line(m, &line)) {
        return BW_OK;
    }
    n = line.len;
    if (m->op == OP_INT && n == 2 && line.ptr[0] == '0' && (line.ptr[1] == '0' || line.ptr[1] == '1')) {
        uint32_t b;
        BW_TRY(pv_int(m, PV_BOOL, line.ptr[1] == '1', &b));
        return push(m, b);
    }
    if (m->op == OP_LONG && n > 0 && line.ptr[n - 1] == 'L') {
        n--;
    }
    if (m->op == OP_FLOAT) {
        char buf[PK_MAX_NUMLINE + 1];
        char *end;
        if (n == 0 || n > PK_MAX_NUMLINE) {
            pk_issue(m, BW_PICKLE_MALFORMED, "FLOAT argument of %zu bytes is not a number", n);
            return push_new(m, PV_UNKNOWN);
        }
        memcpy(buf, line.ptr, n);
        buf[n] = '\0';
        (void)strtod(buf, &end);
        while (*end != '\0' && is_space((uint8_t)*end)) {
            end++;
        }
        if (end == buf || *end != '\0') {
            pk_issue(m, BW_PICKLE_MALFORMED, "FLOAT argument is not a number");
            return push_new(m, PV_UNKNOWN);
        }
        return push_new(m, PV_FLOAT);
    }
    if (!parse_int_text(line.ptr, n, true, &v, &big)) {
        pk_issue(m, BW_PICKLE_MALFORMED, "%s argument is not a number", opname(m->op));
        return push_new(m, PV_UNKNOWN);
    }
    if (big) {
        return push_new(m, PV_BIGINT);
    }
    return push_new_int(m, v);
}

/* GET and PUT: a decimal memo index on a line. */
static bool text_index(struct pk *m, uint64_t *key)
{
    bw_bytes line;
    int64_t v;
    bool big;

    if (!read_line(m, &line)) {
        return false;
    }
    if (!parse_int_text(line.ptr, line.len, false, &v, &big) || big || v < 0) {
        pk_issue(m, BW_PICKLE_MALFORMED, "%s argument is not a memo index", opname(m->op));
        if (m->op == OP_GET) {
            (void)push_new(m, PV_UNKNOWN);
        }
        return false;
    }
    *key = (uint64_t)v;
    return true;
}

static bw_status op_string(struct pk *m)
{
    bw_bytes line;
    struct pk_text t = {0};
    uint32_t v;
    bool ok;

    if (!read_line(m, &line)) {
        return BW_OK;
    }
    if (m->op == OP_STRING) {
        ok = line.len >= 2 && line.ptr[0] == line.ptr[line.len - 1] && (line.ptr[0] == '\'' || line.ptr[0] == '"');
        ok = ok && decode_escape(line.ptr + 1, line.len - 2, &t);
    } else {
        ok = decode_raw_unicode_escape(line.ptr, line.len, &t);
    }
    if (!ok) {
        pk_issue(m, BW_PICKLE_MALFORMED, "%s argument is not a valid %s", opname(m->op),
                 m->op == OP_STRING ? "quoted string" : "raw-unicode-escape string");
        return push_new(m, PV_UNKNOWN);
    }
    BW_TRY(pv_text(m, &t, &v));
    return push(m, v);
}

/* Frames must hold whole opcodes: called before each opcode. */
static void frame_check(struct pk *m)
{
    uint64_t off = bw_rd_offset(m->rd);

    if (!m->in_frame || off < m->frame_end) {
        return;
    }
    if (off > m->frame_end) {
        pk_issue(m, BW_PICKLE_BAD_FRAME, "an opcode crosses the end of the frame at offset %llu",
                 (unsigned long long)m->frame_end);
    }
    m->in_frame = 0;
}

static bw_status op_frame(struct pk *m)
{
    uint64_t n;
    uint64_t off;

    if (!got(m, bw_rd_u64le(m->rd, &n))) {
        return BW_OK;
    }
    off = bw_rd_offset(m->rd);
    if (m->in_frame && off - 9 < m->frame_end) {
        pk_issue(m, BW_PICKLE_BAD_FRAME, "FRAME starts before the end of the current frame at offset %llu",
                 (unsigned long long)m->frame_end);
    }
    if (n > bw_rd_left(m->rd)) {
        pk_issue(m, BW_PICKLE_BAD_FRAME, "FRAME of %llu bytes, only %zu left", (unsigned long long)n,
                 bw_rd_left(m->rd));
        m->in_frame = 0;
        return BW_OK;
    }
    m->in_frame = 1;
    m->frame_end = off + n;
    return BW_OK;
}

static bw_status op_stop(struct pk *m)
{
    struct pk_out *o = m->o;
    uint32_t v;
    uint64_t off = bw_rd_offset(m->rd);

    BW_TRY(pop(m, &v));
    pv_release(m, v);
    m->stopped = 1;
    if (m->in_frame && off < m->frame_end) {
        pk_issue(m, BW_PICKLE_BAD_FRAME, "frame continues %llu bytes past STOP",
                 (unsigned long long)(m->frame_end - off));
    }
    if (m->depth == 0) {
        o->r->complete = 1;
        o->r->end = off;
        if (!o->stop_at_end && !bw_rd_eof(m->rd)) {
            pk_issue(m, BW_PICKLE_AFTER_STOP, "%zu bytes after STOP", bw_rd_left(m->rd));
        }
    }
    return BW_OK;
}

static bw_status op_call(struct pk *m)
{
    uint32_t callee = PK_NIL, args = PK_NIL, kwargs = PK_NIL, items;
    bw_status rc;

    switch (m->op) {
    case OP_NEWOBJ_EX: /* cls, args, kwargs: only args is kept */
        BW_TRY(pop(m, &kwargs));
        pv_release(m, kwargs);
        __attribute__((fallthrough));
    case OP_REDUCE:
    case OP_NEWOBJ:
        BW_TRY(pop(m, &args));
        rc = pop(m, &callee);
        if (rc != BW_OK) {
            pv_release(m, args);
            return rc;
        }
        return do_call(m, callee, args);
    default: /* OBJ: the class is the first item above the mark */
        BW_TRY(pop_mark(m, PV_TUPLE, &items));
        if (m->o->pool[items].n == 0) {
            pk_issue(m, BW_PICKLE_MALFORMED, "OBJ without a class");
            BW_TRY(pv_new(m, PV_UNKNOWN, &callee));
        } else {
            struct pval *iv = &m->o->pool[items];
            callee = iv->kids[0];
            memmove(iv->kids, iv->kids + 1, (iv->n - 1) * sizeof(*iv->kids));
            iv->n--;
            iv->full--;
        }
        return do_call(m, callee, items);
    }
}

static bw_status op(struct pk *m)
{
    bw_rd *rd = m->rd;
    uint8_t u8;
    uint16_t u16;
    uint32_t u32, v;
    int32_t i32;
    uint64_t u64;

    switch (m->op) {
    case OP_MARK:
        if (m->sp + m->n_marks >= m->o->max_stack) {
            pk_limit(m, "stack depth", m->o->max_stack);
            return BW_OK;
        }
        if (!grow(&m->marks, &m->cap_marks, m->n_marks + 1, sizeof(*m->marks))) {
            pk_nomem(m->o);
            return BW_ENOMEM;
        }
        m->marks[m->n_marks++] = m->sp;
        return BW_OK;
    case OP_STOP: return op_stop(m);
    case OP_POP:
        if (m->sp > stack_floor(m)) {
            pv_release(m, m->stack[--m->sp]);
            return BW_OK;
        }
        /* CPython's POP on an empty frame pops the mark */
        __attribute__((fallthrough));
    case OP_POP_MARK:
        BW_TRY(pop_mark(m, PV_LIST, &v));
        pv_release(m, v);
        return BW_OK;
    case OP_DUP:
        v = top(m);
        if (v == PK_NIL) {
            return push_new(m, PV_UNKNOWN);
        }
        pv_ref(m, v);
        return push(m, v);
    case OP_FLOAT:
    case OP_INT:
    case OP_LONG: return op_text_number(m);
    case OP_BININT:
        if (!got(m, bw_rd_i32le(rd, &i32))) {
            return BW_OK;
        }
        return push_new_int(m, i32);
    case OP_BININT1:
        if (!got(m, bw_rd_u8(rd, &u8))) {
            return BW_OK;
        }
        return push_new_int(m, u8);
    case OP_BININT2:
        if (!got(m, bw_rd_u16le(rd, &u16))) {
            return BW_OK;
        }
        return push_new_int(m, u16);
    case OP_LONG1:
        if (!got(m, bw_rd_u8(rd, &u8))) {
            return BW_OK;
        }
        return op_long_bin(m, u8);
    case OP_LONG4:
        if (!got(m, bw_rd_i32le(rd, &i32))) {
            return BW_OK;
        }
        if (i32 < 0) {
            pk_issue(m, BW_PICKLE_MALFORMED, "LONG4 has a negative byte count");
            m->o->halt = 1;
            return BW_OK;
        }
        return op_long_bin(m, (uint64_t)i32);
    case OP_NONE: return push_new(m, PV_NONE);
    case OP_NEWTRUE:
    case OP_NEWFALSE: BW_TRY(pv_int(m, PV_BOOL, m->op == OP_NEWTRUE, &v)); return push(m, v);
    case OP_BINFLOAT:
        if (!got(m, bw_rd_u64be(rd, &u64))) {
            return BW_OK;
        }
        return push_new(m, PV_FLOAT);
    case OP_PERSID: {
        bw_bytes line;
        if (!read_line(m, &line)) {
            return BW_OK;
        }
        m->o->r->persistent_ids++;
        return push_new(m, PV_PERSID);
    }
    case OP_BINPERSID:
        BW_TRY(pop(m, &v));
        pv_release(m, v);
        m->o->r->persistent_ids++;
        return push_new(m, PV_PERSID);
    case OP_REDUCE:
    case OP_NEWOBJ:
    case OP_NEWOBJ_EX:
    case OP_OBJ: return op_call(m);
    case OP_INST: return op_global(m, true);
    case OP_GLOBAL: return op_global(m, false);
    case OP_STACK_GLOBAL: return op_stack_global(m);
    case OP_STRING:
    case OP_UNICODE: return op_string(m);
    case OP_BINSTRING:
        if (!got(m, bw_rd_i32le(rd, &i32))) {
            return BW_OK;
        }
        if (i32 < 0) {
            pk_issue(m, BW_PICKLE_MALFORMED, "BINSTRING has a negative byte count");
            m->o->halt = 1;
            return BW_OK;
        }
        return op_counted(m, PV_STR, (uint64_t)i32);
    case OP_SHORT_BINSTRING:
    case OP_SHORT_BINUNICODE:
        if (!got(m, bw_rd_u8(rd, &u8))) {
            return BW_OK;
        }
        return op_counted(m, PV_STR, u8);
    case OP_BINUNICODE:
        if (!got(m, bw_rd_u32le(rd, &u32))) {
            return BW_OK;
        }
        return op_counted(m, PV_STR, u32);
    case OP_BINUNICODE8:
        if (!got(m, bw_rd_u64le(rd, &u64))) {
            return BW_OK;
        }
        return op_counted(m, PV_STR, u64);
    case OP_SHORT_BINBYTES:
        if (!got(m, bw_rd_u8(rd, &u8))) {
            return BW_OK;
        }
        return op_counted(m, PV_BYTES, u8);
    case OP_BINBYTES:
        if (!got(m, bw_rd_u32le(rd, &u32))) {
            return BW_OK;
        }
        return op_counted(m, PV_BYTES, u32);
    case OP_BINBYTES8:
    case OP_BYTEARRAY8:
        if (!got(m, bw_rd_u64le(rd, &u64))) {
            return BW_OK;
        }
        return op_counted(m, m->op == OP_BINBYTES8 ? PV_BYTES : PV_BYTEARRAY, u64);
    case OP_APPEND: return op_add1(m, PV_LIST, false);
    case OP_SETITEM: return op_add1(m, PV_DICT, true);
    case OP_APPENDS: return op_extend(m, PV_LIST, false);
    case OP_SETITEMS: return op_extend(m, PV_DICT, true);
    case OP_ADDITEMS: return op_extend(m, PV_SET, false);
    case OP_BUILD: return op_build(m);
    case OP_DICT:
        BW_TRY(pop_mark(m, PV_DICT, &v));
        if (m->o->pool[v].full & 1) {
            pk_issue(m, BW_PICKLE_MALFORMED, "DICT: odd number of items");
            if (m->o->pool[v].n == m->o->pool[v].full) {
                pv_release(m, m->o->pool[v].kids[--m->o->pool[v].n]);
            }
        }
        return push(m, v);
    case OP_LIST:
    case OP_TUPLE:
    case OP_FROZENSET:
        BW_TRY(pop_mark(m, m->op == OP_LIST ? PV_LIST : m->op == OP_TUPLE ? PV_TUPLE : PV_FROZENSET, &v));
        return push(m, v);
    case OP_EMPTY_DICT: return push_new(m, PV_DICT);
    case OP_EMPTY_LIST: return push_new(m, PV_LIST);
    case OP_EMPTY_TUPLE: return push_new(m, PV_TUPLE);
    case OP_EMPTY_SET: return push_new(m, PV_SET);
    case OP_TUPLE1: return op_tuple_n(m, 1);
    case OP_TUPLE2: return op_tuple_n(m, 2);
    case OP_TUPLE3: return op_tuple_n(m, 3);
    case OP_GET:
        if (!text_index(m, &u64)) {
            return BW_OK;
        }
        return memo_get(m, u64);
    case OP_BINGET:
        if (!got(m, bw_rd_u8(rd, &u8))) {
            return BW_OK;
        }
        return memo_get(m, u8);
    case OP_LONG_BINGET:
        if (!got(m, bw_rd_u32le(rd, &u32))) {
            return BW_OK;
        }
        return memo_get(m, u32);
    case OP_PUT:
        if (!text_index(m, &u64)) {
            return BW_OK;
        }
        return memo_put(m, u64);
    case OP_BINPUT:
        if (!got(m, bw_rd_u8(rd, &u8))) {
            return BW_OK;
        }
        return memo_put(m, u8);
    case OP_LONG_BINPUT:
        if (!got(m, bw_rd_u32le(rd, &u32))) {
            return BW_OK;
        }
        return memo_put(m, u32);
    case OP_MEMOIZE: return memo_put(m, m->memo_n);
    case OP_PROTO:
        if (!got(m, bw_rd_u8(rd, &u8))) {
            return BW_OK;
        }
        if (u8 > 5) {
            pk_issue(m, BW_PICKLE_MALFORMED, "unsupported pickle protocol %u", u8);
        }
        m->proto = u8;
        if (m->depth == 0) {
            m->o->r->protocol = u8;
        }
        return BW_OK;
    case OP_FRAME: return op_frame(m);
    case OP_EXT1:
        if (!got(m, bw_rd_u8(rd, &u8))) {
            return BW_OK;
        }
        return op_ext(m, u8);
    case OP_EXT2:
        if (!got(m, bw_rd_u16le(rd, &u16))) {
            return BW_OK;
        }
        return op_ext(m, u16);
    case OP_EXT4:
        if (!got(m, bw_rd_i32le(rd, &i32))) {
            return BW_OK;
        }
        return op_ext(m, i32);
    case OP_NEXT_BUFFER: return push_new(m, PV_BUFFER);
    case OP_READONLY_BUFFER: (void)top(m); return BW_OK;
    default:
        pk_issue(m, BW_PICKLE_MALFORMED, "unknown opcode 0x%02x", m->op);
        m->o->halt = 1;
        return BW_OK;
    }
}

/* Analyse one pickle from the reader's position to its STOP (or until the walk halts). */
static bw_status pk_run(struct pk_out *o, bw_rd *rd, int depth)
{
    struct pk m;
    bw_status rc = BW_OK;

    memset(&m, 0, sizeof(m));
    m.o = o;
    m.rd = rd;
    m.depth = depth;
    while (!o->halt && !m.stopped) {
        m.op_off = bw_rd_offset(rd);
        if (bw_rd_eof(rd)) {
            m.op = OP_STOP;
            pk_issue(&m, BW_PICKLE_MALFORMED, "truncated: the data ends before STOP");
            o->halt = 1;
            break;
        }
        frame_check(&m);
        if (o->r->n_ops >= o->max_ops) {
            pk_limit(&m, "opcode count", o->max_ops);
            break;
        }
        if (o->live + 8 > PK_MAX_VALUES) {
            pk_limit(&m, "live value count", PK_MAX_VALUES);
            break;
        }
        if (bw_rd_u8(rd, &m.op) != BW_OK) {
            break; /* cannot happen: not at the end */
        }
        o->r->n_ops++;
        rc = op(&m);
        if (rc != BW_OK || o->nomem) {
            rc = BW_ENOMEM;
            break;
        }
    }
    if (!m.stopped && depth == 0) {
        o->r->end = m.op_off;
    }
    for (size_t k = 0; k < m.sp; k++) {
        pv_release(&m, m.stack[k]);
    }
    for (size_t k = 0; k < m.memo_cap; k++) {
        memo_drop(&m, m.memo[k].val);
    }
    for (size_t k = 0; k < m.dense_cap; k++) {
        memo_drop(&m, m.dense[k]);
    }
    bw_free(m.lite);
    bw_free(m.stack);
    bw_free(m.marks);
    bw_free(m.memo);
    bw_table_free(m.dense, m.dense_cap * sizeof(*m.dense));
    return rc;
}

void bw_pickle_result_free(bw_pickle_result *r)
{
    if (r == NULL) {
        return;
    }
    for (size_t k = 0; k < r->n_globals; k++) {
        bw_free((void *)r->globals[k].module);
        bw_free((void *)r->globals[k].name);
        bw_free((void *)r->globals[k].raw_module);
        bw_free((void *)r->globals[k].raw_name);
    }
    bw_free(r->globals);
    bw_free(r->issues);
    bw_free(r);
}

bw_status bw_pickle_analyze(bw_pickle_result **out, const void *p, size_t n, const char *name,
                            const bw_pickle_opts *opts, bw_error *err)
{
    static const bw_pickle_opts defaults = BW_PICKLE_OPTS_INIT;
    struct pk_out o;
    bw_rd rd;
    bw_status rc;

    if (out == NULL || (p == NULL && n > 0)) {
        return bw_fail(err, BW_EINVAL, "bw_pickle_analyze: NULL argument");
    }
    *out = NULL;
    if (opts == NULL) {
        opts = &defaults;
    }
    if (opts->version != BW_PICKLE_OPTS_VERSION) {
        return bw_fail(err, BW_EINVAL, "bw_pickle_analyze: options version %u, expected %u", opts->version,
                       BW_PICKLE_OPTS_VERSION);
    }
    memset(&o, 0, sizeof(o));
    o.free_head = PK_NIL;
    o.max_ops = opts->max_ops != 0 ? opts->max_ops : PK_DEFAULT_MAX_OPS;
    o.max_memo = opts->max_memo != 0 ? opts->max_memo : PK_DEFAULT_MAX_MEMO;
    o.max_stack = opts->max_stack != 0 ? opts->max_stack : PK_DEFAULT_MAX_STACK;
    o.joblib = opts->joblib;
    o.stop_at_end = opts->stop_at_end;
    o.r = bw_calloc(1, sizeof(*o.r));
    if (o.r == NULL) {
        return bw_fail(err, BW_ENOMEM, "%s: out of memory analysing pickle", name != NULL ? name : "pickle");
    }
    bw_rd_init(&rd, p, n, name, NULL);
    rc = pk_run(&o, &rd, 0);
    for (uint32_t k = 0; k < o.n_pool; k++) {
        bw_free(o.pool[k].kids);
        bw_free(o.pool[k].owned);
    }
    bw_free(o.pool);
    bw_free(o.work);
    if (rc != BW_OK || o.nomem) {
        bw_pickle_result_free(o.r);
        return bw_fail(err, BW_ENOMEM, "%s: out of memory analysing pickle", name != NULL ? name : "pickle");
    }
    *out = o.r;
    return BW_OK;
}
