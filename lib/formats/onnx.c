/*
 * onnx.c - a bounded protobuf wire reader and the ONNX / TensorFlow
 * SavedModel walks built on it (see include/bulwark/bw_onnx.h).
 *
 * The wire format (protobuf encoding spec): a message is a sequence of
 * fields; each starts with a varint key = (field number << 3) | wire type.
 * Wire type 0 is a varint, 1 eight little-endian bytes, 2 a varint length
 * and that many bytes (strings, bytes, nested messages, packed arrays),
 * 5 four little-endian bytes. 3 and 4 are the deprecated groups: refused.
 *
 * The walks read only the fields that matter for security and skip every
 * other field, exactly as protobuf skips unknown fields. Two protobuf rules
 * shape them: a known field with an unexpected wire type is treated as
 * unknown (skipped), and a singular string field given twice keeps the last
 * value, while an embedded message given twice is merged (so every copy is
 * walked). Nesting is capped at BW_ONNX_MAX_DEPTH messages.
 */
#include <inttypes.h>

#include "util/internal.h"

#include "bulwark/bw_onnx.h"

/* ---- wire reader -------------------------------------------------------- */

bw_status bw_pb_next(bw_rd *rd, bw_pb_field *f)
{
    uint64_t key, len;
    uint32_t v32;

    memset(f, 0, sizeof(*f));
    f->offset = bw_rd_offset(rd);
    BW_TRY(bw_rd_uvarint(rd, &key));
    if ((key >> 3) == 0 || (key >> 3) > BW_PB_MAX_FIELD) {
        return bw_rd_fail(rd, BW_EFORMAT, "protobuf: field number %" PRIu64 " out of range", key >> 3);
    }
    f->num = (uint32_t)(key >> 3);
    f->wire = (bw_pb_wire)(key & 7);
    switch (key & 7) {
    case BW_PB_VARINT: return bw_rd_uvarint(rd, &f->value);
    case BW_PB_I64: return bw_rd_u64le(rd, &f->value);
    case BW_PB_I32:
        BW_TRY(bw_rd_u32le(rd, &v32));
        f->value = v32;
        return BW_OK;
    case BW_PB_LEN:
        BW_TRY(bw_rd_uvarint(rd, &len));
        if (len > bw_rd_left(rd)) {
            return bw_rd_fail(rd, BW_EFORMAT, "protobuf: field %" PRIu32 " length %" PRIu64 " past end (%zu left)",
                              f->num, len, bw_rd_left(rd));
        }
        f->data_offset = bw_rd_offset(rd);
        return bw_rd_view(rd, (size_t)len, &f->data);
    case BW_PB_SGROUP:
    case BW_PB_EGROUP:
        return bw_rd_fail(rd, BW_EFORMAT, "protobuf: field %" PRIu32 " is a group (wire type %u), not supported",
                          f->num, (unsigned)(key & 7));
    default:
        return bw_rd_fail(rd, BW_EFORMAT, "protobuf: field %" PRIu32 " has bad wire type %u", f->num,
                          (unsigned)(key & 7));
    }
}

void bw_pb_sub(const bw_rd *parent, const bw_pb_field *f, bw_rd *sub)
{
    bw_rd_init(sub, f->data.ptr, f->data.len, parent->name, parent->err);
    sub->origin = f->data_offset;
}

/* ---- de-duplicated entry lists ------------------------------------------ */

static void list_release(bw_onnx_list *l)
{
    BW_FREE(l->v);
    BW_FREE(l->idx);
    l->n = l->cap = l->idx_cap = 0;
}

static uint64_t hash_bytes(uint64_t h, bw_bytes b)
{
    for (size_t i = 0; i < b.len; i++) {
        h ^= b.ptr[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

static uint64_t entry_hash(bw_bytes a, bw_bytes b)
{
    uint64_t h = hash_bytes(0xcbf29ce484222325ULL, a);
    h ^= 0xff; /* separator: ("ab", "c") differs from ("a", "bc") */
    h *= 0x100000001b3ULL;
    return hash_bytes(h, b);
}

static int bytes_eq(bw_bytes x, bw_bytes y)
{
    return x.len == y.len && (x.len == 0 || memcmp(x.ptr, y.ptr, x.len) == 0);
}

static int bytes_is(bw_bytes x, const char *s)
{
    size_t n = strlen(s);
    return x.len == n && (n == 0 || memcmp(x.ptr, s, n) == 0);
}

const bw_onnx_entry *bw_onnx_list_find(const bw_onnx_list *l, bw_bytes a, bw_bytes b)
{
    bw_bytes kb = l->key_a_only ? (bw_bytes){NULL, 0} : b;
    size_t j;

    if (l->idx_cap == 0) {
        return NULL;
    }
    j = (size_t)entry_hash(a, kb) & (l->idx_cap - 1);
    while (l->idx[j] != 0) {
        const bw_onnx_entry *e = &l->v[l->idx[j] - 1];
        if (bytes_eq(e->a, a) && (l->key_a_only || bytes_eq(e->b, b))) {
            return e;
        }
        j = (j + 1) & (l->idx_cap - 1);
    }
    return NULL;
}

/*
 * Add (a, b) or count another occurrence. In a list keyed by `a` alone,
 * b keeps the first value seen.
 */
static bw_status list_add(bw_onnx_list *l, bw_rd *rd, bw_bytes a, bw_bytes b, uint64_t offset, int64_t value,
                          unsigned where)
{
    int key_a_only = l->key_a_only;
    bw_bytes kb = key_a_only ? (bw_bytes){NULL, 0} : b;
    size_t j;

    if (l->idx_cap != 0) {
        j = (size_t)entry_hash(a, kb) & (l->idx_cap - 1);
        while (l->idx[j] != 0) {
            bw_onnx_entry *e = &l->v[l->idx[j] - 1];
            if (bytes_eq(e->a, a) && (key_a_only || bytes_eq(e->b, b))) {
                e->count++;
                e->where |= where;
                return BW_OK;
            }
            j = (j + 1) & (l->idx_cap - 1);
        }
    }
    if (l->n >= BW_ONNX_MAX_ENTRIES) {
        return bw_rd_fail(rd, BW_ELIMIT, "more than %d distinct entries", BW_ONNX_MAX_ENTRIES);
    }
    if (l->n == l->cap) {
        size_t cap = l->cap == 0 ? 16 : l->cap * 2;
        bw_onnx_entry *v = bw_reallocarray(l->v, cap, sizeof(*v));
        if (v == NULL) {
            return BW_ENOMEM;
        }
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n] = (bw_onnx_entry){a, b, offset, 1, value, where};
    l->n++;
    if (l->n * 2 > l->idx_cap) {
        /* the index hashes (a, kb): rebuild with the same key choice */
        size_t cap = l->idx_cap == 0 ? 64 : l->idx_cap * 2;
        uint32_t *idx = bw_calloc(cap, sizeof(*idx));
        if (idx == NULL) {
            l->n--;
            return BW_ENOMEM;
        }
        for (size_t i = 0; i < l->n; i++) {
            bw_bytes ib = key_a_only ? (bw_bytes){NULL, 0} : l->v[i].b;
            size_t k = (size_t)entry_hash(l->v[i].a, ib) & (cap - 1);
            while (idx[k] != 0) {
                k = (k + 1) & (cap - 1);
            }
            idx[k] = (uint32_t)(i + 1);
        }
        bw_free(l->idx);
        l->idx = idx;
        l->idx_cap = cap;
        return BW_OK;
    }
    j = (size_t)entry_hash(a, kb) & (l->idx_cap - 1);
    while (l->idx[j] != 0) {
        j = (j + 1) & (l->idx_cap - 1);
    }
    l->idx[j] = (uint32_t)l->n;
    return BW_OK;
}

/* ---- ONNX walk ---------------------------------------------------------- */

/* onnx.proto field numbers (checked against onnx 1.12 and later) */
enum {
    MODEL_IR_VERSION = 1,
    MODEL_PRODUCER_NAME = 2,
    MODEL_GRAPH = 7,
    MODEL_OPSET_IMPORT = 8,
    MODEL_TRAINING_INFO = 20,
    MODEL_FUNCTIONS = 25,
    OPSET_DOMAIN = 1,
    OPSET_VERSION = 2,
    GRAPH_NODE = 1,
    GRAPH_INITIALIZER = 5,
    GRAPH_SPARSE_INITIALIZER = 15,
    NODE_OP_TYPE = 4,
    NODE_ATTRIBUTE = 5,
    NODE_DOMAIN = 7,
    ATTR_T = 5,
    ATTR_G = 6,
    ATTR_TENSORS = 10,
    ATTR_GRAPHS = 11,
    ATTR_SPARSE_TENSOR = 22,
    ATTR_SPARSE_TENSORS = 23,
    TENSOR_NAME = 8,
    TENSOR_EXTERNAL_DATA = 13,
    SPARSE_VALUES = 1,
    SPARSE_INDICES = 2,
    ENTRY_KEY = 1,
    ENTRY_VALUE = 2,
    TRAINING_INITIALIZATION = 1,
    TRAINING_ALGORITHM = 2,
    FUNC_NAME = 1,
    FUNC_NODE = 7,
    FUNC_OPSET_IMPORT = 9,
    FUNC_DOMAIN = 10,
    FUNC_ATTRIBUTE_PROTO = 11,
};

typedef struct walk {
    bw_onnx_info *info;
    unsigned depth;
} walk;

/* Enter the LEN field `f` of `rd` as a nested message; fails past the depth cap. */
static bw_status enter(walk *w, bw_rd *rd, const bw_pb_field *f, bw_rd *sub)
{
    bw_pb_sub(rd, f, sub);
    if (w->depth + 1 > BW_ONNX_MAX_DEPTH) {
        return bw_rd_fail(sub, BW_ELIMIT, "protobuf: messages nested deeper than %d", BW_ONNX_MAX_DEPTH);
    }
    w->depth++;
    if (w->depth > w->info->max_depth) {
        w->info->max_depth = w->depth;
    }
    return BW_OK;
}

static bw_status walk_graph(walk *w, bw_rd *rd, unsigned where);
static bw_status walk_attribute(walk *w, bw_rd *rd, unsigned where);

/* A field is used only when its wire type is the declared one (protobuf skips it otherwise). */
#define IS(f, n, w) ((f).num == (n) && (f).wire == (w))

typedef bw_status (*walk_fn)(walk *w, bw_rd *rd, unsigned where);

static bw_status walk_nested(walk *w, bw_rd *rd, const bw_pb_field *f, walk_fn fn, unsigned where)
{
    bw_rd sub;
    bw_status rc;

    BW_TRY(enter(w, rd, f, &sub));
    rc = fn(w, &sub, where);
    w->depth--;
    return rc;
}

static bw_status walk_entry_location(walk *w, bw_rd *rd, uint64_t tensor_off, bw_bytes tensor_name, unsigned where)
{
    bw_pb_field f;
    bw_bytes key = {NULL, 0}, value = {NULL, 0};
    int has_value = 0;

    while (!bw_rd_eof(rd)) {
        BW_TRY(bw_pb_next(rd, &f));
        if (IS(f, ENTRY_KEY, BW_PB_LEN)) {
            key = f.data;
        } else if (IS(f, ENTRY_VALUE, BW_PB_LEN)) {
            value = f.data;
            has_value = 1;
        }
    }
    if (bytes_is(key, "location")) {
        (void)has_value; /* an absent value is the empty location, itself flagged */
        BW_TRY(list_add(&w->info->external, rd, value, tensor_name, tensor_off, 0, where));
    }
    return BW_OK;
}

static bw_status walk_tensor(walk *w, bw_rd *rd, unsigned where)
{
    bw_pb_field f;
    bw_bytes name = {NULL, 0};
    uint64_t start = bw_rd_offset(rd);
    size_t n_ext = 0;

    w->info->n_tensors++;
    /* the name (field 8) usually precedes external_data (13), but need not: read it first */
    {
        bw_rd scan = *rd;
        while (!bw_rd_eof(&scan)) {
            BW_TRY(bw_pb_next(&scan, &f));
            if (IS(f, TENSOR_NAME, BW_PB_LEN)) {
                name = f.data;
            } else if (IS(f, TENSOR_EXTERNAL_DATA, BW_PB_LEN)) {
                n_ext++;
            }
        }
    }
    if (n_ext == 0) {
        return BW_OK;
    }
    while (!bw_rd_eof(rd)) {
        BW_TRY(bw_pb_next(rd, &f));
        if (IS(f, TENSOR_EXTERNAL_DATA, BW_PB_LEN)) {
            bw_rd sub;
            bw_status rc;
            BW_TRY(enter(w, rd, &f, &sub));
            rc = walk_entry_location(w, &sub, start, name, where);
            w->depth--;
            BW_TRY(rc);
        }
    }
    return BW_OK;
}

static bw_status walk_sparse(walk *w, bw_rd *rd, unsigned where)
{
    bw_pb_field f;

    while (!bw_rd_eof(rd)) {
        BW_TRY(bw_pb_next(rd, &f));
        if (IS(f, SPARSE_VALUES, BW_PB_LEN) || IS(f, SPARSE_INDICES, BW_PB_LEN)) {
            BW_TRY(walk_nested(w, rd, &f, walk_tensor, where));
        }
    }
    return BW_OK;
}

static bw_status walk_attribute(walk *w, bw_rd *rd, unsigned where)
{
    bw_pb_field f;
    unsigned sub_where = (where & ~BW_ONNX_IN_GRAPH) | BW_ONNX_IN_SUBGRAPH;

    while (!bw_rd_eof(rd)) {
        BW_TRY(bw_pb_next(rd, &f));
        if (IS(f, ATTR_G, BW_PB_LEN) || IS(f, ATTR_GRAPHS, BW_PB_LEN)) {
            BW_TRY(walk_nested(w, rd, &f, walk_graph, sub_where));
        } else if (IS(f, ATTR_T, BW_PB_LEN) || IS(f, ATTR_TENSORS, BW_PB_LEN)) {
            BW_TRY(walk_nested(w, rd, &f, walk_tensor, where));
        } else if (IS(f, ATTR_SPARSE_TENSOR, BW_PB_LEN) || IS(f, ATTR_SPARSE_TENSORS, BW_PB_LEN)) {
            BW_TRY(walk_nested(w, rd, &f, walk_sparse, where));
        }
    }
    return BW_OK;
}

static bw_status walk_node(walk *w, bw_rd *rd, unsigned where)
{
    bw_pb_field f;
    bw_bytes domain = {NULL, 0}, op_type = {NULL, 0};
    uint64_t start = bw_rd_offset(rd);

    w->info->n_nodes++;
    while (!bw_rd_eof(rd)) {
        BW_TRY(bw_pb_next(rd, &f));
        if (IS(f, NODE_OP_TYPE, BW_PB_LEN)) {
            op_type = f.data;
        } else if (IS(f, NODE_DOMAIN, BW_PB_LEN)) {
            domain = f.data;
        } else if (IS(f, NODE_ATTRIBUTE, BW_PB_LEN)) {
            BW_TRY(walk_nested(w, rd, &f, walk_attribute, where));
        }
    }
    return list_add(&w->info->ops, rd, domain, op_type, start, 0, where);
}

static bw_status walk_graph(walk *w, bw_rd *rd, unsigned where)
{
    bw_pb_field f;

    w->info->n_graphs++;
    while (!bw_rd_eof(rd)) {
        BW_TRY(bw_pb_next(rd, &f));
        if (IS(f, GRAPH_NODE, BW_PB_LEN)) {
            BW_TRY(walk_nested(w, rd, &f, walk_node, where));
        } else if (IS(f, GRAPH_INITIALIZER, BW_PB_LEN)) {
            BW_TRY(walk_nested(w, rd, &f, walk_tensor, where));
        } else if (IS(f, GRAPH_SPARSE_INITIALIZER, BW_PB_LEN)) {
            BW_TRY(walk_nested(w, rd, &f, walk_sparse, where));
        }
    }
    return BW_OK;
}

static bw_status walk_opset(walk *w, bw_rd *rd, unsigned where)
{
    bw_pb_field f;
    bw_bytes domain = {NULL, 0};
    int64_t version = 0;
    uint64_t start = bw_rd_offset(rd);

    while (!bw_rd_eof(rd)) {
        BW_TRY(bw_pb_next(rd, &f));
        if (IS(f, OPSET_DOMAIN, BW_PB_LEN)) {
            domain = f.data;
        } else if (IS(f, OPSET_VERSION, BW_PB_VARINT)) {
            version = (int64_t)f.value;
        }
    }
    return list_add(&w->info->opsets, rd, domain, (bw_bytes){NULL, 0}, start, version, where);
}

static bw_status walk_training(walk *w, bw_rd *rd, unsigned where)
{
    bw_pb_field f;

    while (!bw_rd_eof(rd)) {
        BW_TRY(bw_pb_next(rd, &f));
        if (IS(f, TRAINING_INITIALIZATION, BW_PB_LEN) || IS(f, TRAINING_ALGORITHM, BW_PB_LEN)) {
            BW_TRY(walk_nested(w, rd, &f, walk_graph, where));
        }
    }
    return BW_OK;
}

static bw_status walk_function(walk *w, bw_rd *rd, unsigned where)
{
    bw_pb_field f;
    bw_bytes domain = {NULL, 0}, name = {NULL, 0};
    uint64_t start = bw_rd_offset(rd);

    while (!bw_rd_eof(rd)) {
        BW_TRY(bw_pb_next(rd, &f));
        if (IS(f, FUNC_NAME, BW_PB_LEN)) {
            name = f.data;
        } else if (IS(f, FUNC_DOMAIN, BW_PB_LEN)) {
            domain = f.data;
        } else if (IS(f, FUNC_NODE, BW_PB_LEN)) {
            BW_TRY(walk_nested(w, rd, &f, walk_node, where));
        } else if (IS(f, FUNC_OPSET_IMPORT, BW_PB_LEN)) {
            BW_TRY(walk_nested(w, rd, &f, walk_opset, where));
        } else if (IS(f, FUNC_ATTRIBUTE_PROTO, BW_PB_LEN)) {
            BW_TRY(walk_nested(w, rd, &f, walk_attribute, where));
        }
    }
    BW_TRY(list_add(&w->info->functions, rd, domain, name, start, 0, where));
    return list_add(&w->info->function_domains, rd, domain, (bw_bytes){NULL, 0}, start, 0, where);
}

static bw_status walk_model(walk *w, bw_rd *rd)
{
    bw_pb_field f;
    bw_onnx_info *info = w->info;

    while (!bw_rd_eof(rd)) {
        BW_TRY(bw_pb_next(rd, &f));
        if (IS(f, MODEL_IR_VERSION, BW_PB_VARINT)) {
            info->has_ir_version = 1;
            info->ir_version = (int64_t)f.value;
        } else if (IS(f, MODEL_PRODUCER_NAME, BW_PB_LEN)) {
            info->producer_name = f.data;
        } else if (IS(f, MODEL_GRAPH, BW_PB_LEN)) {
            info->has_graph = 1;
            BW_TRY(walk_nested(w, rd, &f, walk_graph, BW_ONNX_IN_GRAPH));
        } else if (IS(f, MODEL_OPSET_IMPORT, BW_PB_LEN)) {
            BW_TRY(walk_nested(w, rd, &f, walk_opset, BW_ONNX_IN_GRAPH));
        } else if (IS(f, MODEL_TRAINING_INFO, BW_PB_LEN)) {
            BW_TRY(walk_nested(w, rd, &f, walk_training, BW_ONNX_IN_TRAINING));
        } else if (IS(f, MODEL_FUNCTIONS, BW_PB_LEN)) {
            BW_TRY(walk_nested(w, rd, &f, walk_function, BW_ONNX_IN_FUNCTION));
        }
    }
    return BW_OK;
}

void bw_onnx_info_init(bw_onnx_info *info)
{
    memset(info, 0, sizeof(*info));
    info->external.key_a_only = 1;
    info->opsets.key_a_only = 1;
    info->function_domains.key_a_only = 1;
}

void bw_onnx_info_release(bw_onnx_info *info)
{
    if (info == NULL) {
        return;
    }
    list_release(&info->ops);
    list_release(&info->external);
    list_release(&info->opsets);
    list_release(&info->functions);
    list_release(&info->function_domains);
    bw_onnx_info_init(info);
}

bw_status bw_onnx_parse(const void *p, size_t n, const char *name, bw_onnx_info *info, bw_error *err)
{
    bw_rd rd;
    walk w = {info, 0};
    bw_status rc;

    if (info == NULL || (p == NULL && n > 0)) {
        return bw_fail(err, BW_EINVAL, "bw_onnx_parse: bad arguments");
    }
    bw_rd_init(&rd, p, n, name, err);
    rc = walk_model(&w, &rd);
    if (rc == BW_ENOMEM) {
        return bw_fail(err, BW_ENOMEM, "out of memory reading ONNX model");
    }
    if (rc == BW_OK && !info->has_graph) {
        return bw_rd_fail(&rd, BW_EFORMAT, "ONNX model has no graph (field 7)");
    }
    return rc;
}

int bw_onnx_is_local_function(const bw_onnx_info *info, const bw_onnx_entry *op)
{
    return bw_onnx_list_find(&info->functions, op->a, op->b) != NULL;
}

int bw_onnx_domain_standard(bw_bytes domain)
{
    static const char *const std_domains[] = {
        "", "ai.onnx", "ai.onnx.ml", "ai.onnx.training", "ai.onnx.preview.training", "com.microsoft",
    };

    for (size_t i = 0; i < BW_ARRAY_LEN(std_domains); i++) {
        if (bytes_is(domain, std_domains[i])) {
            return 1;
        }
    }
    return 0;
}

const char *bw_onnx_location_check(bw_bytes loc)
{
    size_t i = 0;

    if (loc.len == 0) {
        return "empty location";
    }
    if (memchr(loc.ptr, '\0', loc.len) != NULL) {
        return "embedded NUL byte";
    }
    if (loc.ptr[0] == '/' || loc.ptr[0] == '\\') {
        return "absolute path";
    }
    if (loc.len >= 2 && loc.ptr[1] == ':' &&
        ((loc.ptr[0] >= 'A' && loc.ptr[0] <= 'Z') || (loc.ptr[0] >= 'a' && loc.ptr[0] <= 'z'))) {
        return "drive letter";
    }
    if (memchr(loc.ptr, ':', loc.len) != NULL) {
        return "colon (URL scheme or alternate data stream)";
    }
    /* split on both separators, as Windows does */
    while (i < loc.len) {
        size_t j = i;
        while (j < loc.len && loc.ptr[j] != '/' && loc.ptr[j] != '\\') {
            j++;
        }
        if (j - i == 2 && loc.ptr[i] == '.' && loc.ptr[i + 1] == '.') {
            return "'..' component";
        }
        i = j + 1;
    }
    return NULL;
}

/* ---- TensorFlow SavedModel walk ----------------------------------------- */

/*
 * saved_model.proto: SavedModel{saved_model_schema_version = 1, meta_graphs = 2}
 * meta_graph.proto:  MetaGraphDef{graph_def = 2}
 * graph.proto:       GraphDef{node = 1, library = 2}
 * function.proto:    FunctionDefLibrary{function = 1}, FunctionDef{node_def = 3}
 * node_def.proto:    NodeDef{name = 1, op = 2}
 */
enum {
    SM_SCHEMA_VERSION = 1,
    SM_META_GRAPHS = 2,
    MG_GRAPH_DEF = 2,
    GD_NODE = 1,
    GD_LIBRARY = 2,
    LIB_FUNCTION = 1,
    FD_NODE_DEF = 3,
    ND_OP = 2,
};

typedef struct sm_walk {
    bw_savedmodel_info *info;
    unsigned depth;
} sm_walk;

static bw_status sm_enter(sm_walk *w, bw_rd *rd, const bw_pb_field *f, bw_rd *sub)
{
    bw_pb_sub(rd, f, sub);
    w->depth++;
    if (w->depth > w->info->max_depth) {
        w->info->max_depth = w->depth;
    }
    return BW_OK;
}

static bw_status sm_nodedef(sm_walk *w, bw_rd *rd, unsigned where)
{
    bw_pb_field f;
    bw_bytes op = {NULL, 0};
    uint64_t start = bw_rd_offset(rd);

    w->info->n_nodes++;
    while (!bw_rd_eof(rd)) {
        BW_TRY(bw_pb_next(rd, &f));
        if (IS(f, ND_OP, BW_PB_LEN)) {
            op = f.data;
        }
    }
    return list_add(&w->info->ops, rd, (bw_bytes){NULL, 0}, op, start, 0, where);
}

typedef bw_status (*sm_fn)(sm_walk *w, bw_rd *rd, unsigned where);

static bw_status sm_nested(sm_walk *w, bw_rd *rd, const bw_pb_field *f, sm_fn fn, unsigned where)
{
    bw_rd sub;
    bw_status rc;

    BW_TRY(sm_enter(w, rd, f, &sub));
    rc = fn(w, &sub, where);
    w->depth--;
    return rc;
}

static bw_status sm_function(sm_walk *w, bw_rd *rd, unsigned where)
{
    bw_pb_field f;

    w->info->n_functions++;
    while (!bw_rd_eof(rd)) {
        BW_TRY(bw_pb_next(rd, &f));
        if (IS(f, FD_NODE_DEF, BW_PB_LEN)) {
            BW_TRY(sm_nested(w, rd, &f, sm_nodedef, where));
        }
    }
    return BW_OK;
}

static bw_status sm_library(sm_walk *w, bw_rd *rd, unsigned where)
{
    bw_pb_field f;

    while (!bw_rd_eof(rd)) {
        BW_TRY(bw_pb_next(rd, &f));
        if (IS(f, LIB_FUNCTION, BW_PB_LEN)) {
            BW_TRY(sm_nested(w, rd, &f, sm_function, BW_ONNX_IN_FUNCTION));
        }
    }
    return BW_OK;
}

static bw_status sm_graphdef(sm_walk *w, bw_rd *rd, unsigned where)
{
    bw_pb_field f;

    while (!bw_rd_eof(rd)) {
        BW_TRY(bw_pb_next(rd, &f));
        if (IS(f, GD_NODE, BW_PB_LEN)) {
            BW_TRY(sm_nested(w, rd, &f, sm_nodedef, BW_ONNX_IN_GRAPH));
        } else if (IS(f, GD_LIBRARY, BW_PB_LEN)) {
            BW_TRY(sm_nested(w, rd, &f, sm_library, BW_ONNX_IN_FUNCTION));
        }
    }
    return BW_OK;
}

static bw_status sm_metagraph(sm_walk *w, bw_rd *rd, unsigned where)
{
    bw_pb_field f;

    w->info->n_meta_graphs++;
    while (!bw_rd_eof(rd)) {
        BW_TRY(bw_pb_next(rd, &f));
        if (IS(f, MG_GRAPH_DEF, BW_PB_LEN)) {
            BW_TRY(sm_nested(w, rd, &f, sm_graphdef, BW_ONNX_IN_GRAPH));
        }
    }
    return BW_OK;
}

void bw_savedmodel_info_init(bw_savedmodel_info *info)
{
    memset(info, 0, sizeof(*info));
}

void bw_savedmodel_info_release(bw_savedmodel_info *info)
{
    if (info == NULL) {
        return;
    }
    list_release(&info->ops);
    bw_savedmodel_info_init(info);
}

bw_status bw_savedmodel_parse(const void *p, size_t n, const char *name, bw_savedmodel_info *info, bw_error *err)
{
    bw_rd rd;
    sm_walk w = {info, 0};
    bw_pb_field f;
    bw_status rc = BW_OK;

    if (info == NULL || (p == NULL && n > 0)) {
        return bw_fail(err, BW_EINVAL, "bw_savedmodel_parse: bad arguments");
    }
    bw_rd_init(&rd, p, n, name, err);
    while (rc == BW_OK && !bw_rd_eof(&rd)) {
        rc = bw_pb_next(&rd, &f);
        if (rc != BW_OK) {
            break;
        }
        if (IS(f, SM_SCHEMA_VERSION, BW_PB_VARINT)) {
            info->has_schema_version = 1;
            info->schema_version = (int64_t)f.value;
        } else if (IS(f, SM_META_GRAPHS, BW_PB_LEN)) {
            rc = sm_nested(&w, &rd, &f, sm_metagraph, BW_ONNX_IN_GRAPH);
        }
    }
    if (rc == BW_ENOMEM) {
        return bw_fail(err, BW_ENOMEM, "out of memory reading SavedModel");
    }
    if (rc == BW_OK && info->n_meta_graphs == 0) {
        return bw_rd_fail(&rd, BW_EFORMAT, "SavedModel has no meta graph (field 2)");
    }
    return rc;
}

bw_tf_risk bw_tf_op_risk(bw_bytes op)
{
    /* arbitrary file read/write by path, and Python callbacks (code execution) */
    static const char *const unsafe_ops[] = {
        "ReadFile", "WriteFile", "MatchingFiles", "ImmutableConst", "PyFunc", "PyFuncStateless", "EagerPyFunc",
    };
    /* file readers and writers driven by tensors, printing, debug dumps */
    static const char *const review_ops[] = {
        "Print",
        "PrintV2",
        "WholeFileReader",
        "WholeFileReaderV2",
        "TextLineReader",
        "TextLineReaderV2",
        "TFRecordReader",
        "TFRecordReaderV2",
        "FixedLengthRecordReader",
        "FixedLengthRecordReaderV2",
        "TextLineDataset",
        "TFRecordDataset",
        "TFRecordDatasetV2",
        "FixedLengthRecordDataset",
        "FixedLengthRecordDatasetV2",
        "CreateSummaryFileWriter",
        "DebugIdentity",
        "DebugIdentityV2",
        "DebugIdentityV3",
        "DebugNanCount",
        "DebugNumericSummary",
        "DebugNumericSummaryV2",
    };

    for (size_t i = 0; i < BW_ARRAY_LEN(unsafe_ops); i++) {
        if (bytes_is(op, unsafe_ops[i])) {
            return BW_TF_RISK_UNSAFE;
        }
    }
    for (size_t i = 0; i < BW_ARRAY_LEN(review_ops); i++) {
        if (bytes_is(op, review_ops[i])) {
            return BW_TF_RISK_REVIEW;
        }
    }
    return BW_TF_RISK_NONE;
}

/* ---- sniffers ----------------------------------------------------------- */

#define SNIFF_WINDOW 4096

/* Read a field header from p[*pos..n) without a bw_rd (no error record); 0 on anything odd. */
static int sniff_field(const uint8_t *p, size_t n, size_t *pos, uint32_t *num, unsigned *wire, uint64_t *len)
{
    uint64_t key = 0, v = 0;
    size_t i = *pos;

    for (unsigned s = 0;; s += 7) {
        if (i >= n || s > 28) {
            return 0;
        }
        key |= (uint64_t)(p[i] & 0x7f) << s;
        if ((p[i++] & 0x80) == 0) {
            break;
        }
    }
    *num = (uint32_t)(key >> 3);
    *wire = (unsigned)(key & 7);
    *len = 0;
    if (*num == 0) {
        return 0;
    }
    switch (*wire) {
    case 0:
    case 2:
        for (unsigned s = 0;; s += 7) {
            if (i >= n || s > 63) {
                return 0;
            }
            v |= (uint64_t)(p[i] & 0x7f) << s;
            if ((p[i++] & 0x80) == 0) {
                break;
            }
        }
        if (*wire == 2) {
            if (v > n - i) {
                return 0;
            }
            *len = v;
            i += (size_t)v;
        }
        break;
    case 1:
        if (n - i < 8) {
            return 0;
        }
        i += 8;
        break;
    case 5:
        if (n - i < 4) {
            return 0;
        }
        i += 4;
        break;
    default: return 0;
    }
    *pos = i;
    return 1;
}

/* The wire type ModelProto declares for a field number; -1 if the field is not in ModelProto. */
static int onnx_model_wire(uint32_t num)
{
    switch (num) {
    case 1: /* ir_version */
    case 5: /* model_version */ return 0;
    case 2:  /* producer_name */
    case 3:  /* producer_version */
    case 4:  /* domain */
    case 6:  /* doc_string */
    case 7:  /* graph */
    case 8:  /* opset_import */
    case 14: /* metadata_props */
    case 20: /* training_info */
    case 25: /* functions */
    case 26: /* configuration */ return 2;
    default: return -1;
    }
}

int bw_onnx_sniff(const uint8_t *p, size_t n)
{
    size_t pos = 0;
    uint32_t num;
    unsigned wire;
    uint64_t len;

    if (p == NULL || n < 2 || p[0] != 0x08) {
        return 0;
    }
    while (pos < n && pos < SNIFF_WINDOW) {
        size_t start = pos;
        if (!sniff_field(p, n, &pos, &num, &wire, &len)) {
            return 0;
        }
        if (onnx_model_wire(num) != (int)wire) {
            return 0;
        }
        if (start == 0 && num != 1) {
            return 0;
        }
        if (num == 7) {
            return 1;
        }
    }
    return 0;
}

int bw_savedmodel_sniff(const uint8_t *p, size_t n)
{
    size_t pos = 0;
    uint32_t num;
    unsigned wire;
    uint64_t len;
    int saw_meta = 0;

    if (p == NULL || n < 4 || p[0] != 0x08) {
        return 0;
    }
    while (pos < n && pos < SNIFF_WINDOW) {
        if (!sniff_field(p, n, &pos, &num, &wire, &len)) {
            return 0;
        }
        if (num == 1 && wire == 0) {
            continue;
        }
        if (num != 2 || wire != 2) {
            return 0;
        }
        if (!saw_meta) {
            /* the MetaGraphDef's first field: a message field 1..7 (meta_info_def, graph_def, ...) */
            size_t ipos = 0, body = pos - (size_t)len;
            uint32_t inum;
            unsigned iwire;
            uint64_t ilen;
            if (len == 0 || !sniff_field(p + body, (size_t)len, &ipos, &inum, &iwire, &ilen) || iwire != 2 ||
                inum < 1 || inum > 7) {
                return 0;
            }
            saw_meta = 1;
        }
    }
    return saw_meta;
}
