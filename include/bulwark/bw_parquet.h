/*
 * bw_parquet.h - Parquet file metadata: the footer, the schema flattened
 * into leaf columns, row groups and column chunks, and page headers.
 *
 * A Parquet file is "PAR1", the column chunks (pages), the file metadata (a
 * Thrift compact-protocol FileMetaData struct), the metadata's length as a
 * 4-byte little-endian integer, and "PAR1" again (apache/parquet-format,
 * src/main/thrift/parquet.thrift, whose field ids this reader follows).
 *
 * bw_parquet_meta_parse reads a whole file held in memory;
 * bw_parquet_meta_read_fd reads only the last 8 bytes, the first 4 and the
 * metadata with pread(), so the data stays on disk. Both check every length
 * and count against the bytes there are before they allocate, and refuse,
 * with BW_EFORMAT and a message "<name>: offset <n>: ..." naming the file
 * offset, a footer that lies: a metadata length past the file, lists that
 * cannot fit in their bytes, strings running past the end, a schema tree
 * whose child counts do not add up, row groups whose column count is not the
 * leaf count or whose row counts do not sum to the file's, chunks whose
 * path or type is not their leaf's, chunks or page indexes outside the data
 * region, negative sizes and counts. Limits (BW_PARQUET_MAX_*) are BW_ELIMIT.
 * Encrypted footers ("PARE") are BW_EUNSUPPORTED.
 *
 * Nothing here decodes pages. A leaf the later column reader cannot handle
 * (nested in a group or repeated, a logical type that does not fit its
 * physical type) is not an error: it carries a static `unsupported` reason.
 *
 * Ownership: bw_parquet_meta_parse and bw_parquet_meta_read_fd return a
 * bw_parquet_meta the caller frees with bw_parquet_meta_free. It is a
 * read-only structure: every pointer and bw_bytes view in it points into
 * memory the meta owns (a copy of the footer, the leaf paths), valid until
 * the meta is freed, and none into the caller's buffer. A meta can be read
 * from several threads at once.
 */
#ifndef BULWARK_BW_PARQUET_H
#define BULWARK_BW_PARQUET_H

#include "bw_batch.h"
#include "bw_common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Largest file metadata read (its length is the 4 bytes before the final "PAR1"). */
#define BW_PARQUET_MAX_FOOTER (64u << 20)
/** Schema elements (groups and leaves, the root included). */
#define BW_PARQUET_MAX_SCHEMA (1u << 17)
/** Depth of the schema tree below the root. */
#define BW_PARQUET_MAX_SCHEMA_DEPTH 64
#define BW_PARQUET_MAX_ROW_GROUPS (1u << 20)
/** Column chunks over all row groups (row groups x leaves). */
#define BW_PARQUET_MAX_CHUNKS (1u << 21)
/** Bytes of all the dotted leaf paths together. */
#define BW_PARQUET_MAX_PATH_BYTES (16u << 20)
#define BW_PARQUET_MAX_KV (1u << 16)

/** Physical types (parquet.thrift Type). */
typedef enum bw_parquet_type {
    BW_PARQUET_BOOLEAN = 0,
    BW_PARQUET_INT32 = 1,
    BW_PARQUET_INT64 = 2,
    BW_PARQUET_INT96 = 3,
    BW_PARQUET_FLOAT = 4,
    BW_PARQUET_DOUBLE = 5,
    BW_PARQUET_BYTE_ARRAY = 6,
    BW_PARQUET_FIXED_LEN_BYTE_ARRAY = 7,
} bw_parquet_type;

/** FieldRepetitionType. */
typedef enum bw_parquet_repetition {
    BW_PARQUET_REQUIRED = 0,
    BW_PARQUET_OPTIONAL = 1,
    BW_PARQUET_REPEATED = 2,
} bw_parquet_repetition;

/** ConvertedType (the deprecated annotations); -1 in a schema node means none. */
typedef enum bw_parquet_converted {
    BW_PARQUET_CT_NONE = -1,
    BW_PARQUET_CT_UTF8 = 0,
    BW_PARQUET_CT_MAP = 1,
    BW_PARQUET_CT_MAP_KEY_VALUE = 2,
    BW_PARQUET_CT_LIST = 3,
    BW_PARQUET_CT_ENUM = 4,
    BW_PARQUET_CT_DECIMAL = 5,
    BW_PARQUET_CT_DATE = 6,
    BW_PARQUET_CT_TIME_MILLIS = 7,
    BW_PARQUET_CT_TIME_MICROS = 8,
    BW_PARQUET_CT_TIMESTAMP_MILLIS = 9,
    BW_PARQUET_CT_TIMESTAMP_MICROS = 10,
    BW_PARQUET_CT_UINT_8 = 11,
    BW_PARQUET_CT_UINT_16 = 12,
    BW_PARQUET_CT_UINT_32 = 13,
    BW_PARQUET_CT_UINT_64 = 14,
    BW_PARQUET_CT_INT_8 = 15,
    BW_PARQUET_CT_INT_16 = 16,
    BW_PARQUET_CT_INT_32 = 17,
    BW_PARQUET_CT_INT_64 = 18,
    BW_PARQUET_CT_JSON = 19,
    BW_PARQUET_CT_BSON = 20,
    BW_PARQUET_CT_INTERVAL = 21,
} bw_parquet_converted;

/** LogicalType union members: the value is the member's field id. */
typedef enum bw_parquet_logical_kind {
    BW_PARQUET_LT_NONE = 0,
    BW_PARQUET_LT_STRING = 1,
    BW_PARQUET_LT_MAP = 2,
    BW_PARQUET_LT_LIST = 3,
    BW_PARQUET_LT_ENUM = 4,
    BW_PARQUET_LT_DECIMAL = 5,
    BW_PARQUET_LT_DATE = 6,
    BW_PARQUET_LT_TIME = 7,
    BW_PARQUET_LT_TIMESTAMP = 8,
    BW_PARQUET_LT_INTEGER = 10,
    BW_PARQUET_LT_NULL = 11, /**< "UNKNOWN" in parquet.thrift: only nulls */
    BW_PARQUET_LT_JSON = 12,
    BW_PARQUET_LT_BSON = 13,
    BW_PARQUET_LT_UUID = 14,
    BW_PARQUET_LT_FLOAT16 = 15,
    BW_PARQUET_LT_VARIANT = 16,
    BW_PARQUET_LT_GEOMETRY = 17,
    BW_PARQUET_LT_GEOGRAPHY = 18,
    BW_PARQUET_LT_OTHER = 1000, /**< a member this version does not know; `other_id` holds its id */
} bw_parquet_logical_kind;

/** TimeUnit of TIME and TIMESTAMP. */
typedef enum bw_parquet_time_unit {
    BW_PARQUET_UNIT_NONE = 0,
    BW_PARQUET_MILLIS = 1,
    BW_PARQUET_MICROS = 2,
    BW_PARQUET_NANOS = 3,
} bw_parquet_time_unit;

typedef struct bw_parquet_logical {
    bw_parquet_logical_kind kind;
    int32_t scale, precision;  /**< DECIMAL */
    int utc;                   /**< TIME, TIMESTAMP: isAdjustedToUTC */
    bw_parquet_time_unit unit; /**< TIME, TIMESTAMP */
    int bit_width;             /**< INTEGER: 8, 16, 32 or 64 */
    int is_signed;             /**< INTEGER */
    int16_t other_id;          /**< OTHER: the union member's field id */
} bw_parquet_logical;

/** Codecs (CompressionCodec). */
typedef enum bw_parquet_codec {
    BW_PARQUET_UNCOMPRESSED = 0,
    BW_PARQUET_SNAPPY = 1,
    BW_PARQUET_GZIP = 2,
    BW_PARQUET_LZO = 3,
    BW_PARQUET_BROTLI = 4,
    BW_PARQUET_LZ4 = 5,
    BW_PARQUET_ZSTD = 6,
    BW_PARQUET_LZ4_RAW = 7,
} bw_parquet_codec;

/** Encodings (Encoding). */
typedef enum bw_parquet_encoding {
    BW_PARQUET_PLAIN = 0,
    BW_PARQUET_PLAIN_DICTIONARY = 2,
    BW_PARQUET_RLE = 3,
    BW_PARQUET_BIT_PACKED = 4,
    BW_PARQUET_DELTA_BINARY_PACKED = 5,
    BW_PARQUET_DELTA_LENGTH_BYTE_ARRAY = 6,
    BW_PARQUET_DELTA_BYTE_ARRAY = 7,
    BW_PARQUET_RLE_DICTIONARY = 8,
    BW_PARQUET_BYTE_STREAM_SPLIT = 9,
    BW_PARQUET_ALP = 10,
} bw_parquet_encoding;

/** Page types (PageType). */
typedef enum bw_parquet_page_type {
    BW_PARQUET_DATA_PAGE = 0,
    BW_PARQUET_INDEX_PAGE = 1,
    BW_PARQUET_DICTIONARY_PAGE = 2,
    BW_PARQUET_DATA_PAGE_V2 = 3,
} bw_parquet_page_type;

/** bw_parquet_stats.has bits: which Statistics fields were present. */
#define BW_PARQUET_STAT_MAX (1u << 0)
#define BW_PARQUET_STAT_MIN (1u << 1)
#define BW_PARQUET_STAT_NULL_COUNT (1u << 2)
#define BW_PARQUET_STAT_DISTINCT_COUNT (1u << 3)
#define BW_PARQUET_STAT_MAX_VALUE (1u << 4)
#define BW_PARQUET_STAT_MIN_VALUE (1u << 5)
#define BW_PARQUET_STAT_MAX_EXACT (1u << 6)
#define BW_PARQUET_STAT_MIN_EXACT (1u << 7)
#define BW_PARQUET_STAT_NAN_COUNT (1u << 8)

/** Statistics. Values are the plain encoding of the column's physical type, unchecked. */
typedef struct bw_parquet_stats {
    unsigned has;                  /**< BW_PARQUET_STAT_* */
    bw_bytes max, min;             /**< deprecated bounds (signed order) */
    bw_bytes max_value, min_value; /**< bounds in the column's sort order */
    int64_t null_count;            /**< 0 <= null_count <= the chunk's or page's value count */
    int64_t distinct_count;        /**< >= 0 */
    int64_t nan_count;             /**< >= 0 */
    int is_max_value_exact, is_min_value_exact;
} bw_parquet_stats;

/** bw_parquet_node.has bits: optional SchemaElement fields that were present. */
#define BW_PARQUET_HAS_TYPE (1u << 0)
#define BW_PARQUET_HAS_TYPE_LENGTH (1u << 1)
#define BW_PARQUET_HAS_REPETITION (1u << 2)
#define BW_PARQUET_HAS_NUM_CHILDREN (1u << 3)
#define BW_PARQUET_HAS_SCALE (1u << 4)
#define BW_PARQUET_HAS_PRECISION (1u << 5)
#define BW_PARQUET_HAS_FIELD_ID (1u << 6)

/** One SchemaElement, in the file's depth-first order (index 0 is the root). */
typedef struct bw_parquet_node {
    bw_bytes name;              /**< valid UTF-8 without NUL bytes */
    unsigned has;               /**< BW_PARQUET_HAS_* */
    int32_t type;               /**< bw_parquet_type, leaves only */
    int32_t type_length;        /**< FIXED_LEN_BYTE_ARRAY: bytes per value (> 0) */
    int32_t repetition;         /**< bw_parquet_repetition; REQUIRED when absent (root) */
    int32_t num_children;       /**< groups: children that follow; 0 for leaves */
    int32_t converted_type;     /**< bw_parquet_converted, BW_PARQUET_CT_NONE when absent */
    int32_t scale, precision;   /**< SchemaElement.scale / precision (DECIMAL) */
    int32_t field_id;           /**< SchemaElement.field_id */
    bw_parquet_logical logical; /**< kind BW_PARQUET_LT_NONE when absent */
    uint32_t parent;            /**< index of the parent group; 0 for the root itself */
    uint16_t depth;             /**< 0 for the root, 1 for its children, ... */
    uint16_t max_def, max_rep;  /**< levels at this node */
    int32_t leaf;               /**< index in the leaves, -1 for a group */
    uint64_t offset;            /**< file offset of the SchemaElement */
} bw_parquet_node;

/** Leaf flags. */
#define BW_PARQUET_LEAF_NESTED (1u << 0) /**< under a group other than the root, or repeated itself */

/** A leaf column of the schema, in schema order (= the order of the chunks of each row group). */
typedef struct bw_parquet_leaf {
    const char *path;           /**< the names from the root's child down, joined by '.', NUL-terminated */
    bw_bytes name;              /**< the leaf's own name */
    uint32_t node;              /**< index of its SchemaElement */
    int32_t type;               /**< bw_parquet_type */
    int32_t type_length;        /**< FIXED_LEN_BYTE_ARRAY only, else 0 */
    int32_t repetition;         /**< its own repetition */
    int32_t converted_type;     /**< BW_PARQUET_CT_NONE when absent */
    int32_t scale, precision;   /**< DECIMAL, from the logical type or else the SchemaElement; 0 when absent */
    bw_parquet_logical logical; /**< the logical type */
    uint16_t max_def, max_rep;  /**< maximum definition and repetition levels */
    unsigned flags;             /**< BW_PARQUET_LEAF_* */
    const char *unsupported;    /**< static reason the column reader cannot read it, or NULL */
} bw_parquet_leaf;

/** Column chunk flags. */
#define BW_PARQUET_CHUNK_EXTERNAL (1u << 0)  /**< file_path set: the data is in another file (unsupported) */
#define BW_PARQUET_CHUNK_ENCRYPTED (1u << 1) /**< crypto_metadata or encrypted_column_metadata set */
#define BW_PARQUET_CHUNK_DICT (1u << 2)      /**< dictionary_page_offset is set and > 0 */

/** A ColumnChunk and its ColumnMetaData. Offsets are absolute file offsets. */
typedef struct bw_parquet_chunk {
    unsigned flags;      /**< BW_PARQUET_CHUNK_* */
    bw_bytes file_path;  /**< EXTERNAL: the other file's path (unchecked) */
    int64_t file_offset; /**< deprecated ColumnChunk.file_offset, 0 when absent */
    int has_meta;        /**< meta_data present (always, unless ENCRYPTED) */
    int32_t type;        /**< bw_parquet_type, the leaf's */
    int32_t codec;       /**< bw_parquet_codec (not checked against the known ones) */
    uint32_t encodings;  /**< bit (1u << e) for every encoding e < 32 listed */
    int64_t num_values;  /**< values, nulls included (>= the row group's rows) */
    int64_t total_uncompressed_size, total_compressed_size;
    int64_t data_page_offset;
    int64_t dictionary_page_offset; /**< meaningful with BW_PARQUET_CHUNK_DICT */
    uint64_t start, end;            /**< the chunk's bytes [start, end): inside [4, meta_offset) */
    bw_parquet_stats stats;         /**< stats.has == 0 when absent */
    uint64_t offset;                /**< file offset of the ColumnChunk in the footer */
} bw_parquet_chunk;

typedef struct bw_parquet_row_group {
    int64_t num_rows;         /**< >= 0; they sum to bw_parquet_meta.num_rows */
    int64_t total_byte_size;  /**< uncompressed bytes, as the writer says */
    bw_parquet_chunk *chunks; /**< n_leaves entries, chunks[i] for leaves[i] */
    uint64_t offset;          /**< file offset of the RowGroup in the footer */
} bw_parquet_row_group;

typedef struct bw_parquet_kv {
    bw_bytes key;
    bw_bytes value;
    int has_value;
} bw_parquet_kv;

typedef struct bw_parquet_meta {
    uint64_t file_size;
    uint64_t meta_offset; /**< where the FileMetaData starts */
    uint32_t meta_len;    /**< its length */
    int32_t version;      /**< FileMetaData.version (1 and 2 are the same format) */
    int64_t num_rows;
    bw_bytes created_by; /**< empty when absent */
    int encrypted;       /**< plaintext footer of an encrypted file: columns cannot be read */
    size_t n_nodes;
    bw_parquet_node *nodes; /**< the schema, nodes[0] is the root */
    size_t n_leaves;
    bw_parquet_leaf *leaves;
    size_t n_row_groups;
    bw_parquet_row_group *row_groups;
    size_t n_kv;
    bw_parquet_kv *kv; /**< key_value_metadata, in file order */
} bw_parquet_meta;

/**
 * Parse the metadata of a whole Parquet file held in memory.
 * @param file  the file's `n` bytes (borrowed for the call only)
 * @param name  names the file in messages (borrowed; NULL for "parquet")
 * @param out   receives the metadata; free it with bw_parquet_meta_free()
 * @param err   optional; on failure the code, message and file offset
 * @return BW_OK; BW_EFORMAT (malformed or lying footer), BW_ELIMIT (over a
 *         BW_PARQUET_MAX_* limit), BW_EUNSUPPORTED (encrypted footer),
 *         BW_EINVAL (bad argument), BW_ENOMEM
 */
BW_API bw_status bw_parquet_meta_parse(const uint8_t *file, size_t n, const char *name, bw_parquet_meta **out,
                                       bw_error *err) BW_NODISCARD;

/**
 * Parse the metadata of the Parquet file open on `fd` (a regular file),
 * reading only its first 4 bytes and its footer with pread(): memory is
 * bounded by the footer (at most BW_PARQUET_MAX_FOOTER), not the file. The
 * file position is not used or moved.
 * @return as bw_parquet_meta_parse, and BW_EIO when fstat or pread fails or
 *         the file shrinks while it is read
 */
BW_API bw_status bw_parquet_meta_read_fd(int fd, const char *name, bw_parquet_meta **out, bw_error *err) BW_NODISCARD;

/** Free the metadata and everything it points to. NULL is a no-op. */
BW_API void bw_parquet_meta_free(bw_parquet_meta *m);

/** A parsed PageHeader. Only the fields of its type's sub-header are set. */
typedef struct bw_parquet_page_header {
    int32_t type;              /**< bw_parquet_page_type */
    int32_t uncompressed_size; /**< >= 0 */
    int32_t compressed_size;   /**< >= 0: the page's bytes after the header */
    int has_crc;
    uint32_t crc;
    int32_t num_values; /**< DATA_PAGE, DICTIONARY_PAGE, DATA_PAGE_V2: >= 0 */
    int32_t encoding;   /**< bw_parquet_encoding of the values */
    /* DATA_PAGE */
    int32_t def_encoding, rep_encoding;
    /* DICTIONARY_PAGE */
    int is_sorted;
    /* DATA_PAGE_V2 */
    int32_t num_nulls;  /**< 0 <= num_nulls <= num_values */
    int32_t num_rows;   /**< 0 <= num_rows <= num_values */
    int32_t def_length; /**< levels' bytes, uncompressed; def + rep <= compressed and uncompressed sizes */
    int32_t rep_length;
    int is_compressed;      /**< 1 when absent */
    bw_parquet_stats stats; /**< DATA_PAGE and DATA_PAGE_V2; views into the caller's buffer */
} bw_parquet_page_header;

/**
 * Parse one PageHeader at the start of p[0..n). `origin` is the file offset
 * of p[0], for messages ("parquet page header: offset <n>: ..."). On BW_OK
 * *consumed is the header's length; the page's data follows it. The stats
 * views in *out point into `p`.
 * @return BW_OK; BW_EFORMAT (malformed, truncated, or sizes and counts that
 *         contradict each other), BW_ELIMIT (nesting), BW_EINVAL
 */
BW_API bw_status bw_parquet_page_header_parse(const uint8_t *p, size_t n, uint64_t origin, bw_parquet_page_header *out,
                                              size_t *consumed, bw_error *err) BW_NODISCARD;

/** Names for messages and reports: "INT32", "ZSTD", "RLE_DICTIONARY", "TIMESTAMP_MILLIS", "DECIMAL", "DATA_PAGE_V2"; "?" when unknown. */
BW_API const char *bw_parquet_type_name(int32_t type);
BW_API const char *bw_parquet_codec_name(int32_t codec);
BW_API const char *bw_parquet_encoding_name(int32_t encoding);
BW_API const char *bw_parquet_converted_name(int32_t converted_type);
BW_API const char *bw_parquet_logical_name(bw_parquet_logical_kind kind);
BW_API const char *bw_parquet_page_type_name(int32_t type);

/* ---- the column reader: pages of flat columns to bw_batch ---- */

/**
 * A streaming reader of a Parquet file's flat columns (reader.c).
 *
 * Each leaf column that is not nested (not in a group, list or map) becomes
 * one batch column named by its path. Types (docs/internals/parquet.md):
 * BOOLEAN -> bool; INT32 / INT64 (INT_8..INT_64, UINT_8..UINT_32) -> int64;
 * UINT_64 -> int64, or float64 from the first value over INT64_MAX on (the
 * column widens, as bw_batch.h allows); FLOAT, DOUBLE, FLOAT16 -> float64;
 * DATE -> date; TIMESTAMP millis / micros / nanos and INT96 -> timestamp in
 * microseconds (nanoseconds rounded down); TIME -> int64 microseconds since
 * midnight; DECIMAL (on any physical type) -> float64, value / 10^scale (at
 * most 15-17 significant digits survive); STRING / UTF8 / ENUM / JSON byte
 * arrays -> string, checked as UTF-8 (invalid text is null and counted in
 * the column's nbad, reported through on_bad); UUID -> string
 * 8-4-4-4-12; other byte arrays (binary, BSON, INTERVAL) -> lowercase hex.
 * bw_data_opts.types may ask for int64 -> float64, date -> timestamp or any
 * type -> string (BW_EINVAL for another conversion).
 *
 * Columns the reader cannot read (nested, encrypted, in another file, an
 * annotation that does not fit its physical type) are left out of the
 * batch and listed by bw_parquet_skipped(); they are never an error.
 *
 * The file is read with pread(), a page at a time: memory is about one page
 * per column (and its dictionary) plus the batch. Pages and chunks over 256
 * MiB are BW_ELIMIT, as are pages of more than 2^24 values.
 * bw_data_opts.range_start / range_end select the row groups whose first
 * page starts in [range_start, range_end) (both 0: all).
 */
typedef struct bw_parquet bw_parquet;

/**
 * Open the Parquet file at `path` (a regular file; "-" is BW_EUNSUPPORTED:
 * standard input cannot be seeked to its footer) and read its metadata.
 * @param o    NULL for defaults (batch_rows, on_bad_row, on_bad, types, range)
 * @param out  receives the reader; free it with bw_parquet_free()
 * @return BW_OK; BW_EFORMAT, BW_ELIMIT, BW_EUNSUPPORTED as
 *         bw_parquet_meta_read_fd; BW_EIO, BW_ENOTFOUND; BW_EINVAL (options)
 */
BW_API bw_status bw_parquet_open(const char *path, const bw_data_opts *o, bw_parquet **out, bw_error *err) BW_NODISCARD;
/** The same on an open descriptor (borrowed: it must stay open until bw_parquet_free; not closed). */
BW_API bw_status bw_parquet_open_fd(int fd, const char *name, const bw_data_opts *o, bw_parquet **out,
                                    bw_error *err) BW_NODISCARD;
/**
 * The next batch of up to batch_rows rows, or *out NULL at the end. The
 * batch belongs to the reader and is valid until the next call.
 * @return BW_OK; BW_EFORMAT (a page that lies, with its file offset),
 *         BW_EUNSUPPORTED (a codec or encoding this version does not read,
 *         or libsnappy missing), BW_ELIMIT, BW_EIO, BW_ENOMEM. After an
 *         error the reader can only be freed.
 */
BW_API bw_status bw_parquet_next(bw_parquet *r, const bw_batch **out, bw_error *err) BW_NODISCARD;
/** Rows, bad values and bytes read so far. */
BW_API const bw_data_stats *bw_parquet_read_stats(const bw_parquet *r);
/** The file's metadata (borrowed, valid until bw_parquet_free). */
BW_API const bw_parquet_meta *bw_parquet_reader_meta(const bw_parquet *r);
/**
 * The number of leaf columns left out; for i below it, *path and *why (both
 * borrowed, may be NULL pointers to skip) name column i and the reason.
 */
BW_API size_t bw_parquet_skipped(const bw_parquet *r, size_t i, const char **path, const char **why);
/** Free the reader (NULL is a no-op). */
BW_API void bw_parquet_free(bw_parquet *r);

#ifdef __cplusplus
}
#endif
#endif
