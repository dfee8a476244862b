/*
 * bw_onnx.h - ONNX models and TensorFlow SavedModels, read as protobuf wire
 * format without a protobuf library or generated code.
 *
 * Three layers:
 *   - bw_pb_next: one field of the protobuf wire format (varint, 64-bit,
 *     length-delimited, 32-bit; groups and unknown wire types are refused).
 *   - bw_onnx_parse / bw_savedmodel_parse: walk the messages that matter for
 *     security (graphs, nodes, attributes holding subgraphs, functions,
 *     tensors with external data) and collect what they name, with byte
 *     offsets, into a result. Nothing is executed or loaded.
 *   - small pure predicates (bw_onnx_location_check, bw_onnx_domain_standard,
 *     bw_tf_op_risk) that the scanner (lib/scan/scan_onnx.c) uses to turn a
 *     result into findings.
 *
 * Strings in the results are borrowed views into the parsed buffer: keep
 * the buffer alive while the result is used.
 */
#ifndef BULWARK_BW_ONNX_H
#define BULWARK_BW_ONNX_H

#include "bw_common.h"
#include "bw_rd.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Largest field number protobuf allows (2^29 - 1). */
#define BW_PB_MAX_FIELD 536870911u
/** Nested messages entered before the input is refused (BW_ELIMIT); protobuf's own default is 100. */
#define BW_ONNX_MAX_DEPTH 64
/** Distinct entries kept per list (ops, locations, opsets, functions); more is BW_ELIMIT. */
#define BW_ONNX_MAX_ENTRIES 65536

/** Protobuf wire types. 3 and 4 (groups) and 6, 7 are refused by bw_pb_next. */
typedef enum bw_pb_wire {
    BW_PB_VARINT = 0,
    BW_PB_I64 = 1,
    BW_PB_LEN = 2,
    BW_PB_SGROUP = 3,
    BW_PB_EGROUP = 4,
    BW_PB_I32 = 5,
} bw_pb_wire;

/** One field as read from the wire. */
typedef struct bw_pb_field {
    uint32_t num;         /**< field number, 1 .. BW_PB_MAX_FIELD */
    bw_pb_wire wire;      /**< wire type */
    uint64_t offset;      /**< absolute offset of the tag */
    uint64_t value;       /**< VARINT, I64 and I32 values (zero-extended) */
    bw_bytes data;        /**< LEN payload, borrowed from the reader's input */
    uint64_t data_offset; /**< absolute offset of the LEN payload */
} bw_pb_field;

/**
 * Read the next field from `rd`. Fails with BW_EFORMAT (recorded in the
 * reader, which is then poisoned) on truncation, a field number of 0 or
 * above BW_PB_MAX_FIELD, a group, an unknown wire type, or a length past the
 * end of the reader.
 */
BW_API bw_status bw_pb_next(bw_rd *rd, bw_pb_field *f) BW_NODISCARD;

/**
 * A reader over a LEN field's payload, sharing `parent`'s error record and
 * name, with absolute offsets. `f` must have come from `parent`.
 */
BW_API void bw_pb_sub(const bw_rd *parent, const bw_pb_field *f, bw_rd *sub);

/** Where an entry was seen (bit flags, or-ed over every occurrence). */
#define BW_ONNX_IN_GRAPH 1u    /**< the main graph (ModelProto.graph, or a GraphDef) */
#define BW_ONNX_IN_SUBGRAPH 2u /**< a graph inside a node attribute (If/Loop/Scan bodies) */
#define BW_ONNX_IN_FUNCTION 4u /**< a function body (FunctionProto, FunctionDef) */
#define BW_ONNX_IN_TRAINING 8u /**< ModelProto.training_info graphs */

/**
 * An entry of a result list. Its meaning depends on the list:
 *   ops:       a = domain ("" is the default domain), b = op_type
 *              (SavedModel: a = "", b = NodeDef.op)
 *   external:  a = location, b = name of the first tensor using it
 *   opsets:    a = domain, b = "" (value = version)
 *   functions: a = domain, b = name
 * `offset` is the first occurrence (the start of the node, tensor or entry
 * message), `count` the number of occurrences.
 */
typedef struct bw_onnx_entry {
    bw_bytes a;
    bw_bytes b;
    uint64_t offset;
    uint64_t count;
    int64_t value;
    unsigned where; /**< BW_ONNX_IN_* */
} bw_onnx_entry;

/** A de-duplicated list of entries (internal index included). */
typedef struct bw_onnx_list {
    bw_onnx_entry *v;
    size_t n;
    size_t cap;
    uint32_t *idx; /* open-addressing index: entry number + 1, 0 = empty */
    size_t idx_cap;
    int key_a_only; /**< entries are keyed by `a` alone (external, opsets, function_domains) */
} bw_onnx_list;

/** The entry keyed (a, b) (b ignored for lists keyed by `a` alone); NULL if absent. O(1). */
BW_API const bw_onnx_entry *bw_onnx_list_find(const bw_onnx_list *l, bw_bytes a, bw_bytes b);

typedef struct bw_onnx_info {
    int has_ir_version;
    int64_t ir_version;
    bw_bytes producer_name;
    int has_graph;
    bw_onnx_list ops;              /**< distinct (domain, op_type) of every node, subgraphs and functions included */
    bw_onnx_list external;         /**< distinct external-data locations (every "location" entry, not just the last) */
    bw_onnx_list opsets;           /**< distinct opset_import domains, model and functions */
    bw_onnx_list functions;        /**< model-local functions (domain, name) */
    bw_onnx_list function_domains; /**< the domains of those functions (a = domain) */
    uint64_t n_nodes, n_graphs, n_tensors;
    unsigned max_depth; /**< deepest message nesting seen */
} bw_onnx_info;

BW_API void bw_onnx_info_init(bw_onnx_info *info);
BW_API void bw_onnx_info_release(bw_onnx_info *info);

/**
 * Parse a serialized onnx.ModelProto. On BW_OK the whole input was walked.
 * On BW_EFORMAT / BW_ELIMIT `err` holds the offset and reason, and `info`
 * holds everything read before the failure (still release it). BW_ENOMEM
 * likewise. `name` prefixes error messages (may be NULL).
 */
BW_API bw_status bw_onnx_parse(const void *p, size_t n, const char *name, bw_onnx_info *info,
                               bw_error *err) BW_NODISCARD;

/** True if a node with this (domain, op_type) calls a function defined in the model. */
BW_API int bw_onnx_is_local_function(const bw_onnx_info *info, const bw_onnx_entry *op);

/**
 * True for the domains whose operators ship with ONNX Runtime itself: "",
 * "ai.onnx", "ai.onnx.ml", "ai.onnx.training", "ai.onnx.preview.training",
 * "com.microsoft". Any other domain needs a custom-op library (native code).
 */
BW_API int bw_onnx_domain_standard(bw_bytes domain);

/**
 * Check an external-data location. Returns NULL if it names a file inside
 * the model directory, else a static reason: absolute path, drive letter or
 * UNC path, a ".." component (a symlinked directory makes even "a/../b"
 * leave the directory, so no ".." is accepted), an embedded NUL, a colon
 * (URL scheme or NTFS stream), or an empty location.
 */
BW_API const char *bw_onnx_location_check(bw_bytes location);

typedef struct bw_savedmodel_info {
    int has_schema_version;
    int64_t schema_version;
    uint64_t n_meta_graphs, n_nodes, n_functions;
    bw_onnx_list ops; /**< distinct NodeDef.op, graph (BW_ONNX_IN_GRAPH) and function library (BW_ONNX_IN_FUNCTION) */
    unsigned max_depth;
} bw_savedmodel_info;

BW_API void bw_savedmodel_info_init(bw_savedmodel_info *info);
BW_API void bw_savedmodel_info_release(bw_savedmodel_info *info);

/** Parse a serialized tensorflow.SavedModel (saved_model.pb); errors as bw_onnx_parse. */
BW_API bw_status bw_savedmodel_parse(const void *p, size_t n, const char *name, bw_savedmodel_info *info,
                                     bw_error *err) BW_NODISCARD;

/** Risk of a TensorFlow op by name. */
typedef enum bw_tf_risk {
    BW_TF_RISK_NONE = 0,
    BW_TF_RISK_REVIEW = 1, /**< reads files named by tensors, prints, debug dumps */
    BW_TF_RISK_UNSAFE = 2, /**< arbitrary file read/write, Python callbacks */
} bw_tf_risk;

BW_API bw_tf_risk bw_tf_op_risk(bw_bytes op);

/**
 * Cheap, bounded content sniffers (look at most at the first 4 KiB of
 * top-level fields). ONNX: field 1 is a varint (ir_version), every
 * top-level field is a ModelProto field of the right wire type, and a graph
 * (field 7) starts inside the window. SavedModel: field 1 varint, then only
 * fields 1 and 2, and field 2 holds a message that starts like a
 * MetaGraphDef.
 */
BW_API int bw_onnx_sniff(const uint8_t *p, size_t n);
BW_API int bw_savedmodel_sniff(const uint8_t *p, size_t n);

#ifdef __cplusplus
}
#endif
#endif
