/*
 * meta.c - Parquet file metadata and page headers (see bw_parquet.h).
 *
 * The footer is read in two passes over one copy of its bytes, which the
 * meta owns (every view in the result points into that copy):
 *   1. FileMetaData: version, the schema list, num_rows, key/value
 *      metadata and created_by are read; the row_groups list is only
 *      skipped (which checks its whole structure) and its bytes remembered,
 *      since Thrift lets it come before the schema it refers to.
 *   2. The schema list is turned into a tree: child counts must add up to
 *      the list, every non-root element needs a repetition, a leaf a physical
 *      type. Leaves get their dotted path and maximum definition and
 *      repetition levels. Then the row groups are read against the leaves:
 *      one chunk per leaf, with the leaf's path and type, its pages inside the
 *      data region [4, meta_offset), and value counts that fit the rows.
 * All memory hangs off the meta, so a failure anywhere frees it in one call.
 * Field ids are those of apache/parquet-format src/main/thrift/parquet.thrift.
 * A known field with another wire type than the declared one is skipped as
 * an unknown field, as Thrift's generated readers do; a required field that
 * ends up missing is BW_EFORMAT.
 */
#include <errno.h>
#include <inttypes.h>
#include <sys/stat.h>
#include <unistd.h>

#include "formats/parquet/thrift.h"

#include "bulwark/bw_parquet.h"

/* parquet.thrift field ids */
enum {
    FMD_VERSION = 1,
    FMD_SCHEMA = 2,
    FMD_NUM_ROWS = 3,
    FMD_ROW_GROUPS = 4,
    FMD_KV = 5,
    FMD_CREATED_BY = 6,
    FMD_ENCRYPTION_ALGORITHM = 8,
    SE_TYPE = 1,
    SE_TYPE_LENGTH = 2,
    SE_REPETITION = 3,
    SE_NAME = 4,
    SE_NUM_CHILDREN = 5,
    SE_CONVERTED = 6,
    SE_SCALE = 7,
    SE_PRECISION = 8,
    SE_FIELD_ID = 9,
    SE_LOGICAL = 10,
    DEC_SCALE = 1,
    DEC_PRECISION = 2,
    TIME_UTC = 1,
    TIME_UNIT = 2,
    INT_BIT_WIDTH = 1,
    INT_SIGNED = 2,
    RG_COLUMNS = 1,
    RG_TOTAL_BYTE_SIZE = 2,
    RG_NUM_ROWS = 3,
    CC_FILE_PATH = 1,
    CC_FILE_OFFSET = 2,
    CC_META = 3,
    CC_OFFSET_INDEX_OFFSET = 4,
    CC_OFFSET_INDEX_LENGTH = 5,
    CC_COLUMN_INDEX_OFFSET = 6,
    CC_COLUMN_INDEX_LENGTH = 7,
    CC_CRYPTO = 8,
    CC_ENCRYPTED_META = 9,
    CMD_TYPE = 1,
    CMD_ENCODINGS = 2,
    CMD_PATH = 3,
    CMD_CODEC = 4,
    CMD_NUM_VALUES = 5,
    CMD_TOTAL_UNCOMPRESSED = 6,
    CMD_TOTAL_COMPRESSED = 7,
    CMD_DATA_PAGE_OFFSET = 9,
    CMD_DICT_PAGE_OFFSET = 11,
    CMD_STATISTICS = 12,
    CMD_BLOOM_OFFSET = 14,
    CMD_BLOOM_LENGTH = 15,
    ST_MAX = 1,
    ST_MIN = 2,
    ST_NULL_COUNT = 3,
    ST_DISTINCT_COUNT = 4,
    ST_MAX_VALUE = 5,
    ST_MIN_VALUE = 6,
    ST_MAX_EXACT = 7,
    ST_MIN_EXACT = 8,
    ST_NAN_COUNT = 9,
    KV_KEY = 1,
    KV_VALUE = 2,
    PH_TYPE = 1,
    PH_UNCOMPRESSED = 2,
    PH_COMPRESSED = 3,
    PH_CRC = 4,
    PH_DATA = 5,
    PH_INDEX = 6,
    PH_DICT = 7,
    PH_DATA_V2 = 8,
    DP_NUM_VALUES = 1,
    DP_ENCODING = 2,
    DP_DEF_ENCODING = 3,
    DP_REP_ENCODING = 4,
    DP_STATISTICS = 5,
    DICT_NUM_VALUES = 1,
    DICT_ENCODING = 2,
    DICT_IS_SORTED = 3,
    V2_NUM_VALUES = 1,
    V2_NUM_NULLS = 2,
    V2_NUM_ROWS = 3,
    V2_ENCODING = 4,
    V2_DEF_LENGTH = 5,
    V2_REP_LENGTH = 6,
    V2_IS_COMPRESSED = 7,
    V2_STATISTICS = 8,
};

/* Fewest bytes an element we keep can take: a SchemaElement needs its name
   (header, length, stop), a RowGroup its columns, sizes and stop, a KeyValue
   its key, a ColumnChunk at least a field and the stop. */
#define MIN_SCHEMA_ELEMENT 3
#define MIN_ROW_GROUP 7
#define MIN_KV 3
#define MIN_COLUMN_CHUNK 2

#define MAGIC_LEN 4
#define TAIL_LEN 8

/* The meta as allocated: the public part first, so the caller's pointer is the block's. */
typedef struct meta_impl {
    bw_parquet_meta pub;
    uint8_t *footer; /* the FileMetaData bytes every view points into */
    char *paths;     /* the leaves' dotted paths */
} meta_impl;

typedef struct pq {
    bw_thrift t;
    bw_parquet_meta *m;
    const char *name;
    bw_error *err;
    bw_bytes row_groups; /* the row_groups list, read in the second pass */
    uint64_t row_groups_at;
} pq;

#define BIT(id) ((uint64_t)1 << (id))

static bw_status nomem(pq *q)
{
    q->t.rd.st = BW_ENOMEM;
    return bw_fail(q->err, BW_ENOMEM, "%s: out of memory", q->name);
}

static bw_status missing(bw_thrift *t, const bw_thrift_struct *s, const char *field)
{
    return bw_thrift_fail_at(t, s->offset, BW_EFORMAT, "%s.%s is missing", s->what, field);
}

/* ---- typed fields: a field of another wire type is skipped like an unknown one ---- */

static bw_status get_int(bw_thrift *t, const bw_thrift_field *f, uint8_t want, int64_t *v, uint64_t *got)
{
    if (f->type != want) {
        return bw_thrift_skip_field(t, f);
    }
    BW_TRY(bw_thrift_int(t, want, v));
    *got |= BIT(f->id);
    return BW_OK;
}

static bw_status get_i32(bw_thrift *t, const bw_thrift_field *f, int32_t *v, uint64_t *got)
{
    int64_t x = 0;
    uint64_t g = 0;

    BW_TRY(get_int(t, f, BW_THRIFT_I32, &x, &g));
    if (g != 0) {
        *v = (int32_t)x;
        *got |= g;
    }
    return BW_OK;
}

static bw_status get_i64(bw_thrift *t, const bw_thrift_field *f, int64_t *v, uint64_t *got)
{
    return get_int(t, f, BW_THRIFT_I64, v, got);
}

static bw_status get_bool(bw_thrift *t, const bw_thrift_field *f, int *v, uint64_t *got)
{
    if (f->type != BW_THRIFT_TRUE && f->type != BW_THRIFT_FALSE) {
        return bw_thrift_skip_field(t, f);
    }
    *v = f->type == BW_THRIFT_TRUE;
    *got |= BIT(f->id);
    return BW_OK;
}

static bw_status get_binary(bw_thrift *t, const bw_thrift_field *f, bw_bytes *v, uint64_t *got)
{
    if (f->type != BW_THRIFT_BINARY) {
        return bw_thrift_skip_field(t, f);
    }
    BW_TRY(bw_thrift_binary(t, v));
    *got |= BIT(f->id);
    return BW_OK;
}

/* A list whose elements must be of type `want`; *count checked against the bytes left. */
static bw_status list_of(bw_thrift *t, uint8_t want, size_t min_elem, const char *what, uint32_t *count)
{
    uint64_t at = bw_rd_offset(&t->rd);
    uint8_t elem;

    BW_TRY(bw_thrift_list_begin(t, &elem, count, min_elem));
    if (elem != want && !(want == BW_THRIFT_TRUE && elem == BW_THRIFT_FALSE)) {
        return bw_thrift_fail_at(t, at, BW_EFORMAT, "%s is a list of %s, not %s", what, bw_thrift_type_name(elem),
                                 bw_thrift_type_name(want));
    }
    return BW_OK;
}

/* ---- Statistics ------------------------------------------------------------- */

static bw_status parse_stats(bw_thrift *t, bw_parquet_stats *st)
{
    bw_thrift_struct s;
    bw_thrift_field f;
    uint64_t got = 0;

    memset(st, 0, sizeof(*st));
    BW_TRY(bw_thrift_struct_begin(t, &s, "Statistics"));
    for (;;) {
        BW_TRY(bw_thrift_field_next(t, &s, &f));
        if (f.type == BW_THRIFT_STOP) {
            break;
        }
        switch (f.id) {
        case ST_MAX: BW_TRY(get_binary(t, &f, &st->max, &got)); break;
        case ST_MIN: BW_TRY(get_binary(t, &f, &st->min, &got)); break;
        case ST_NULL_COUNT: BW_TRY(get_i64(t, &f, &st->null_count, &got)); break;
        case ST_DISTINCT_COUNT: BW_TRY(get_i64(t, &f, &st->distinct_count, &got)); break;
        case ST_MAX_VALUE: BW_TRY(get_binary(t, &f, &st->max_value, &got)); break;
        case ST_MIN_VALUE: BW_TRY(get_binary(t, &f, &st->min_value, &got)); break;
        case ST_MAX_EXACT: BW_TRY(get_bool(t, &f, &st->is_max_value_exact, &got)); break;
        case ST_MIN_EXACT: BW_TRY(get_bool(t, &f, &st->is_min_value_exact, &got)); break;
        case ST_NAN_COUNT: BW_TRY(get_i64(t, &f, &st->nan_count, &got)); break;
        default: BW_TRY(bw_thrift_skip_field(t, &f)); break;
        }
    }
    bw_thrift_struct_end(t);
    /* the field ids 1..9 map onto the has bits 0..8 */
    st->has = (unsigned)(got >> 1) & 0x1ffu;
    if (st->null_count < 0 || st->distinct_count < 0 || st->nan_count < 0) {
        return bw_thrift_fail_at(t, s.offset, BW_EFORMAT, "Statistics: negative null, distinct or NaN count");
    }
    return BW_OK;
}

/* ---- SchemaElement ---------------------------------------------------------- */

/* A union whose members are all empty structs or structs we skip: the member's id, 0 if none. */
static bw_status parse_time_unit(bw_thrift *t, bw_parquet_time_unit *unit)
{
    bw_thrift_struct s;
    bw_thrift_field f;
    int members = 0;

    *unit = BW_PARQUET_UNIT_NONE;
    BW_TRY(bw_thrift_struct_begin(t, &s, "TimeUnit"));
    for (;;) {
        BW_TRY(bw_thrift_field_next(t, &s, &f));
        if (f.type == BW_THRIFT_STOP) {
            break;
        }
        if (f.type == BW_THRIFT_STRUCT && ++members > 1) {
            return bw_thrift_fail_at(t, f.offset, BW_EFORMAT, "TimeUnit: a union with more than one member");
        }
        if (f.type == BW_THRIFT_STRUCT && f.id >= 1 && f.id <= 3) {
            *unit = (bw_parquet_time_unit)f.id; /* MILLIS 1, MICROS 2, NANOS 3 */
        }
        BW_TRY(bw_thrift_skip_field(t, &f));
    }
    bw_thrift_struct_end(t);
    return BW_OK;
}

static bw_status parse_time(bw_thrift *t, const char *what, bw_parquet_logical *lt)
{
    bw_thrift_struct s;
    bw_thrift_field f;
    uint64_t got = 0;

    BW_TRY(bw_thrift_struct_begin(t, &s, what));
    for (;;) {
        BW_TRY(bw_thrift_field_next(t, &s, &f));
        if (f.type == BW_THRIFT_STOP) {
            break;
        }
        if (f.id == TIME_UTC) {
            BW_TRY(get_bool(t, &f, &lt->utc, &got));
        } else if (f.id == TIME_UNIT && f.type == BW_THRIFT_STRUCT) {
            BW_TRY(parse_time_unit(t, &lt->unit));
            got |= BIT(TIME_UNIT);
        } else {
            BW_TRY(bw_thrift_skip_field(t, &f));
        }
    }
    bw_thrift_struct_end(t);
    if (!(got & BIT(TIME_UTC))) {
        return missing(t, &s, "isAdjustedToUTC");
    }
    if (!(got & BIT(TIME_UNIT))) {
        return missing(t, &s, "unit");
    }
    return BW_OK;
}

static bw_status parse_decimal(bw_thrift *t, bw_parquet_logical *lt)
{
    bw_thrift_struct s;
    bw_thrift_field f;
    uint64_t got = 0;

    BW_TRY(bw_thrift_struct_begin(t, &s, "DecimalType"));
    for (;;) {
        BW_TRY(bw_thrift_field_next(t, &s, &f));
        if (f.type == BW_THRIFT_STOP) {
            break;
        }
        if (f.id == DEC_SCALE) {
            BW_TRY(get_i32(t, &f, &lt->scale, &got));
        } else if (f.id == DEC_PRECISION) {
            BW_TRY(get_i32(t, &f, &lt->precision, &got));
        } else {
            BW_TRY(bw_thrift_skip_field(t, &f));
        }
    }
    bw_thrift_struct_end(t);
    if (!(got & BIT(DEC_SCALE))) {
        return missing(t, &s, "scale");
    }
    if (!(got & BIT(DEC_PRECISION))) {
        return missing(t, &s, "precision");
    }
    return BW_OK;
}

static bw_status parse_int_type(bw_thrift *t, bw_parquet_logical *lt)
{
    bw_thrift_struct s;
    bw_thrift_field f;
    uint64_t got = 0;
    int64_t width = 0;

    BW_TRY(bw_thrift_struct_begin(t, &s, "IntType"));
    for (;;) {
        BW_TRY(bw_thrift_field_next(t, &s, &f));
        if (f.type == BW_THRIFT_STOP) {
            break;
        }
        if (f.id == INT_BIT_WIDTH) {
            BW_TRY(get_int(t, &f, BW_THRIFT_I8, &width, &got));
        } else if (f.id == INT_SIGNED) {
            BW_TRY(get_bool(t, &f, &lt->is_signed, &got));
        } else {
            BW_TRY(bw_thrift_skip_field(t, &f));
        }
    }
    bw_thrift_struct_end(t);
    if (!(got & BIT(INT_BIT_WIDTH))) {
        return missing(t, &s, "bitWidth");
    }
    if (!(got & BIT(INT_SIGNED))) {
        return missing(t, &s, "isSigned");
    }
    lt->bit_width = (int)width;
    return BW_OK;
}

static bw_status parse_logical(bw_thrift *t, bw_parquet_logical *lt)
{
    bw_thrift_struct s;
    bw_thrift_field f;
    int members = 0;

    memset(lt, 0, sizeof(*lt));
    BW_TRY(bw_thrift_struct_begin(t, &s, "LogicalType"));
    for (;;) {
        BW_TRY(bw_thrift_field_next(t, &s, &f));
        if (f.type == BW_THRIFT_STOP) {
            break;
        }
        if (f.type != BW_THRIFT_STRUCT) {
            BW_TRY(bw_thrift_skip_field(t, &f)); /* every member is a struct */
            continue;
        }
        if (++members > 1) {
            return bw_thrift_fail_at(t, f.offset, BW_EFORMAT, "LogicalType: a union with more than one member");
        }
        switch (f.id) {
        case BW_PARQUET_LT_DECIMAL:
            lt->kind = BW_PARQUET_LT_DECIMAL;
            BW_TRY(parse_decimal(t, lt));
            break;
        case BW_PARQUET_LT_TIME:
        case BW_PARQUET_LT_TIMESTAMP:
            lt->kind = (bw_parquet_logical_kind)f.id;
            BW_TRY(parse_time(t, f.id == BW_PARQUET_LT_TIME ? "TimeType" : "TimestampType", lt));
            break;
        case BW_PARQUET_LT_INTEGER:
            lt->kind = BW_PARQUET_LT_INTEGER;
            BW_TRY(parse_int_type(t, lt));
            break;
        case BW_PARQUET_LT_STRING:
        case BW_PARQUET_LT_MAP:
        case BW_PARQUET_LT_LIST:
        case BW_PARQUET_LT_ENUM:
        case BW_PARQUET_LT_DATE:
        case BW_PARQUET_LT_NULL:
        case BW_PARQUET_LT_JSON:
        case BW_PARQUET_LT_BSON:
        case BW_PARQUET_LT_UUID:
        case BW_PARQUET_LT_FLOAT16:
        case BW_PARQUET_LT_VARIANT:
        case BW_PARQUET_LT_GEOMETRY:
        case BW_PARQUET_LT_GEOGRAPHY:
            lt->kind = (bw_parquet_logical_kind)f.id;
            BW_TRY(bw_thrift_skip_field(t, &f));
            break;
        default:
            lt->kind = BW_PARQUET_LT_OTHER;
            lt->other_id = f.id;
            BW_TRY(bw_thrift_skip_field(t, &f));
            break;
        }
    }
    bw_thrift_struct_end(t);
    return BW_OK;
}

static bw_status parse_node(bw_thrift *t, bw_parquet_node *e)
{
    bw_thrift_struct s;
    bw_thrift_field f;
    uint64_t got = 0;

    memset(e, 0, sizeof(*e));
    e->converted_type = BW_PARQUET_CT_NONE;
    e->leaf = -1;
    BW_TRY(bw_thrift_struct_begin(t, &s, "SchemaElement"));
    e->offset = s.offset;
    for (;;) {
        BW_TRY(bw_thrift_field_next(t, &s, &f));
        if (f.type == BW_THRIFT_STOP) {
            break;
        }
        switch (f.id) {
        case SE_TYPE: BW_TRY(get_i32(t, &f, &e->type, &got)); break;
        case SE_TYPE_LENGTH: BW_TRY(get_i32(t, &f, &e->type_length, &got)); break;
        case SE_REPETITION: BW_TRY(get_i32(t, &f, &e->repetition, &got)); break;
        case SE_NAME: BW_TRY(get_binary(t, &f, &e->name, &got)); break;
        case SE_NUM_CHILDREN: BW_TRY(get_i32(t, &f, &e->num_children, &got)); break;
        case SE_CONVERTED: BW_TRY(get_i32(t, &f, &e->converted_type, &got)); break;
        case SE_SCALE: BW_TRY(get_i32(t, &f, &e->scale, &got)); break;
        case SE_PRECISION: BW_TRY(get_i32(t, &f, &e->precision, &got)); break;
        case SE_FIELD_ID: BW_TRY(get_i32(t, &f, &e->field_id, &got)); break;
        case SE_LOGICAL:
            if (f.type == BW_THRIFT_STRUCT) {
                BW_TRY(parse_logical(t, &e->logical));
            } else {
                BW_TRY(bw_thrift_skip_field(t, &f));
            }
            break;
        default: BW_TRY(bw_thrift_skip_field(t, &f)); break;
        }
    }
    bw_thrift_struct_end(t);
    if (!(got & BIT(SE_NAME))) {
        return missing(t, &s, "name");
    }
    /* names end up in paths, messages and reports: text without NUL bytes */
    if (memchr(e->name.ptr, 0, e->name.len) != NULL || !bw_utf8_valid((const char *)e->name.ptr, e->name.len)) {
        return bw_thrift_fail_at(t, s.offset, BW_EFORMAT, "schema element name is not UTF-8 text");
    }
    e->has = ((got & BIT(SE_TYPE)) ? BW_PARQUET_HAS_TYPE : 0) |
             ((got & BIT(SE_TYPE_LENGTH)) ? BW_PARQUET_HAS_TYPE_LENGTH : 0) |
             ((got & BIT(SE_REPETITION)) ? BW_PARQUET_HAS_REPETITION : 0) |
             ((got & BIT(SE_NUM_CHILDREN)) ? BW_PARQUET_HAS_NUM_CHILDREN : 0) |
             ((got & BIT(SE_SCALE)) ? BW_PARQUET_HAS_SCALE : 0) |
             ((got & BIT(SE_PRECISION)) ? BW_PARQUET_HAS_PRECISION : 0) |
             ((got & BIT(SE_FIELD_ID)) ? BW_PARQUET_HAS_FIELD_ID : 0);
    return BW_OK;
}

static bw_status parse_schema(pq *q)
{
    bw_thrift *t = &q->t;
    uint64_t at = bw_rd_offset(&t->rd);
    uint32_t n;

    BW_TRY(list_of(t, BW_THRIFT_STRUCT, MIN_SCHEMA_ELEMENT, "FileMetaData.schema", &n));
    if (n == 0) {
        return bw_thrift_fail_at(t, at, BW_EFORMAT, "the schema is empty");
    }
    if (n > BW_PARQUET_MAX_SCHEMA) {
        return bw_thrift_fail_at(t, at, BW_ELIMIT, "%" PRIu32 " schema elements, over the limit of %u", n,
                                 BW_PARQUET_MAX_SCHEMA);
    }
    q->m->nodes = bw_calloc(n, sizeof(*q->m->nodes));
    if (q->m->nodes == NULL) {
        return nomem(q);
    }
    q->m->n_nodes = n;
    for (uint32_t i = 0; i < n; i++) {
        BW_TRY(parse_node(t, &q->m->nodes[i]));
    }
    bw_thrift_list_end(t);
    return BW_OK;
}

static bw_status parse_kv(pq *q)
{
    bw_thrift *t = &q->t;
    uint64_t at = bw_rd_offset(&t->rd);
    uint32_t n;

    BW_TRY(list_of(t, BW_THRIFT_STRUCT, MIN_KV, "FileMetaData.key_value_metadata", &n));
    if (n > BW_PARQUET_MAX_KV) {
        return bw_thrift_fail_at(t, at, BW_ELIMIT, "%" PRIu32 " key/value entries, over the limit of %u", n,
                                 BW_PARQUET_MAX_KV);
    }
    if (n > 0 && (q->m->kv = bw_calloc(n, sizeof(*q->m->kv))) == NULL) {
        return nomem(q);
    }
    q->m->n_kv = n;
    for (uint32_t i = 0; i < n; i++) {
        bw_parquet_kv *kv = &q->m->kv[i];
        bw_thrift_struct s;
        bw_thrift_field f;
        uint64_t got = 0;

        BW_TRY(bw_thrift_struct_begin(t, &s, "KeyValue"));
        for (;;) {
            BW_TRY(bw_thrift_field_next(t, &s, &f));
            if (f.type == BW_THRIFT_STOP) {
                break;
            }
            if (f.id == KV_KEY) {
                BW_TRY(get_binary(t, &f, &kv->key, &got));
            } else if (f.id == KV_VALUE) {
                BW_TRY(get_binary(t, &f, &kv->value, &got));
            } else {
                BW_TRY(bw_thrift_skip_field(t, &f));
            }
        }
        bw_thrift_struct_end(t);
        if (!(got & BIT(KV_KEY))) {
            return missing(t, &s, "key");
        }
        kv->has_value = (got & BIT(KV_VALUE)) != 0;
    }
    bw_thrift_list_end(t);
    return BW_OK;
}

/* ---- the schema tree and its leaves ----------------------------------------- */

/* Fail with BW_EFORMAT about one column: "column '<path>': <msg>". */
static bw_status col_fail(bw_thrift *t, uint64_t off, const bw_parquet_leaf *leaf, const char *fmt, ...)
    BW_PRINTF(4, 5);
static bw_status col_fail(bw_thrift *t, uint64_t off, const bw_parquet_leaf *leaf, const char *fmt, ...)
{
    char esc[96], msg[BW_ERROR_MSG_SIZE];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    bw_escape_for_log(leaf->path, strlen(leaf->path), esc, sizeof(esc));
    return bw_thrift_fail_at(t, off, BW_EFORMAT, "column '%s': %s", esc, msg);
}

/* Largest DECIMAL precision a FIXED_LEN_BYTE_ARRAY of `n` bytes holds: floor(log10(2^(8n-1) - 1)). */
static uint64_t flba_max_precision(int32_t n)
{
    /* (8n - 1) * log10(2), log10(2) = 0.30103 to five places: exact for every n that matters */
    return ((uint64_t)n * 8 - 1) * 30103u / 100000u;
}

static const char *decimal_fit(int32_t type, int32_t type_length, int32_t scale, int32_t precision)
{
    if (precision < 1 || scale < 0 || scale > precision) {
        return "DECIMAL precision or scale out of range";
    }
    switch (type) {
    case BW_PARQUET_INT32: return precision <= 9 ? NULL : "DECIMAL precision over 9 on INT32";
    case BW_PARQUET_INT64: return precision <= 18 ? NULL : "DECIMAL precision over 18 on INT64";
    case BW_PARQUET_BYTE_ARRAY: return NULL;
    case BW_PARQUET_FIXED_LEN_BYTE_ARRAY:
        return (uint64_t)precision <= flba_max_precision(type_length) ? NULL
                                                                      : "DECIMAL precision over what its bytes hold";
    default: return "DECIMAL on a physical type other than INT32, INT64 or byte arrays";
    }
}

/*
 * Why the column reader could not make sense of this leaf's annotations, or
 * NULL. A mismatch is not a malformed file (another reader may ignore the
 * annotation), so it does not fail the parse.
 */
static const char *type_fit(const bw_parquet_node *e, const bw_parquet_leaf *l)
{
    int32_t t = l->type;
    const bw_parquet_logical *lt = &l->logical;

    switch (lt->kind) {
    case BW_PARQUET_LT_NONE:
    case BW_PARQUET_LT_NULL: break;
    case BW_PARQUET_LT_STRING:
    case BW_PARQUET_LT_ENUM:
    case BW_PARQUET_LT_JSON:
    case BW_PARQUET_LT_BSON:
    case BW_PARQUET_LT_GEOMETRY:
    case BW_PARQUET_LT_GEOGRAPHY:
        if (t != BW_PARQUET_BYTE_ARRAY) {
            return "a BYTE_ARRAY logical type on another physical type";
        }
        break;
    case BW_PARQUET_LT_DECIMAL: {
        const char *why = decimal_fit(t, l->type_length, lt->scale, lt->precision);
        if (why != NULL) {
            return why;
        }
        break;
    }
    case BW_PARQUET_LT_DATE:
        if (t != BW_PARQUET_INT32) {
            return "DATE on a physical type other than INT32";
        }
        break;
    case BW_PARQUET_LT_TIME:
        if (lt->unit == BW_PARQUET_UNIT_NONE) {
            return "TIME with an unknown unit";
        }
        if (t != (lt->unit == BW_PARQUET_MILLIS ? BW_PARQUET_INT32 : BW_PARQUET_INT64)) {
            return "TIME on a physical type that does not fit its unit";
        }
        break;
    case BW_PARQUET_LT_TIMESTAMP:
        if (lt->unit == BW_PARQUET_UNIT_NONE) {
            return "TIMESTAMP with an unknown unit";
        }
        if (t != BW_PARQUET_INT64) {
            return "TIMESTAMP on a physical type other than INT64";
        }
        break;
    case BW_PARQUET_LT_INTEGER:
        if (lt->bit_width != 8 && lt->bit_width != 16 && lt->bit_width != 32 && lt->bit_width != 64) {
            return "INTEGER with a bit width other than 8, 16, 32 or 64";
        }
        if (t != (lt->bit_width == 64 ? BW_PARQUET_INT64 : BW_PARQUET_INT32)) {
            return "INTEGER on a physical type that does not fit its width";
        }
        break;
    case BW_PARQUET_LT_UUID:
        if (t != BW_PARQUET_FIXED_LEN_BYTE_ARRAY || l->type_length != 16) {
            return "UUID on a type other than FIXED_LEN_BYTE_ARRAY(16)";
        }
        break;
    case BW_PARQUET_LT_FLOAT16:
        if (t != BW_PARQUET_FIXED_LEN_BYTE_ARRAY || l->type_length != 2) {
            return "FLOAT16 on a type other than FIXED_LEN_BYTE_ARRAY(2)";
        }
        break;
    case BW_PARQUET_LT_MAP:
    case BW_PARQUET_LT_LIST:
    case BW_PARQUET_LT_VARIANT: return "a group's logical type (MAP, LIST, VARIANT) on a leaf";
    default: return "an unknown logical type";
    }

    switch (e->converted_type) {
    case BW_PARQUET_CT_NONE: return NULL;
    case BW_PARQUET_CT_UTF8:
    case BW_PARQUET_CT_ENUM:
    case BW_PARQUET_CT_JSON:
    case BW_PARQUET_CT_BSON:
        return t == BW_PARQUET_BYTE_ARRAY ? NULL : "a BYTE_ARRAY converted type on another physical type";
    case BW_PARQUET_CT_DECIMAL:
        if (!(e->has & BW_PARQUET_HAS_PRECISION)) {
            return "DECIMAL without a precision";
        }
        return decimal_fit(t, l->type_length, e->scale, e->precision);
    case BW_PARQUET_CT_DATE:
    case BW_PARQUET_CT_TIME_MILLIS:
    case BW_PARQUET_CT_UINT_8:
    case BW_PARQUET_CT_UINT_16:
    case BW_PARQUET_CT_UINT_32:
    case BW_PARQUET_CT_INT_8:
    case BW_PARQUET_CT_INT_16:
    case BW_PARQUET_CT_INT_32: return t == BW_PARQUET_INT32 ? NULL : "an INT32 converted type on another physical type";
    case BW_PARQUET_CT_TIME_MICROS:
    case BW_PARQUET_CT_TIMESTAMP_MILLIS:
    case BW_PARQUET_CT_TIMESTAMP_MICROS:
    case BW_PARQUET_CT_UINT_64:
    case BW_PARQUET_CT_INT_64: return t == BW_PARQUET_INT64 ? NULL : "an INT64 converted type on another physical type";
    case BW_PARQUET_CT_INTERVAL:
        return t == BW_PARQUET_FIXED_LEN_BYTE_ARRAY && l->type_length == 12
                   ? NULL
                   : "INTERVAL on a type other than FIXED_LEN_BYTE_ARRAY(12)";
    case BW_PARQUET_CT_MAP:
    case BW_PARQUET_CT_MAP_KEY_VALUE:
    case BW_PARQUET_CT_LIST: return "a group's converted type (MAP, LIST) on a leaf";
    default: return "an unknown converted type";
    }
}

/* Check the tree shape and give every node its parent, depth and levels; returns the leaf count. */
static bw_status shape_tree(pq *q, size_t *n_leaves)
{
    bw_thrift *t = &q->t;
    bw_parquet_node *nodes = q->m->nodes;
    size_t n = q->m->n_nodes, leaves = 0;
    struct {
        uint32_t node;
        int32_t left; /* children still to come */
    } stack[BW_PARQUET_MAX_SCHEMA_DEPTH + 1];
    size_t top = 0;

    if (nodes[0].has & BW_PARQUET_HAS_TYPE) {
        return bw_thrift_fail_at(t, nodes[0].offset, BW_EFORMAT, "the schema root has a physical type");
    }
    if (!(nodes[0].has & BW_PARQUET_HAS_NUM_CHILDREN) && n > 1) {
        return bw_thrift_fail_at(t, nodes[0].offset, BW_EFORMAT, "the schema root has no num_children");
    }
    if (nodes[0].num_children < 0) {
        return bw_thrift_fail_at(t, nodes[0].offset, BW_EFORMAT, "the schema root has %" PRId32 " children",
                                 nodes[0].num_children);
    }
    nodes[0].repetition = BW_PARQUET_REQUIRED; /* the root's own repetition means nothing */
    stack[0].node = 0;
    stack[0].left = nodes[0].num_children;
    for (size_t i = 1; i < n; i++) {
        bw_parquet_node *e = &nodes[i], *p;

        while (top > 0 && stack[top].left == 0) {
            top--;
        }
        if (stack[top].left == 0) {
            return bw_thrift_fail_at(t, e->offset, BW_EFORMAT,
                                     "schema element %zu is outside the tree (the groups before it are complete)", i);
        }
        stack[top].left--;
        p = &nodes[stack[top].node];
        e->parent = stack[top].node;
        e->depth = (uint16_t)(p->depth + 1);
        if (!(e->has & BW_PARQUET_HAS_REPETITION)) {
            return bw_thrift_fail_at(t, e->offset, BW_EFORMAT, "schema element %zu has no repetition_type", i);
        }
        if (e->repetition < BW_PARQUET_REQUIRED || e->repetition > BW_PARQUET_REPEATED) {
            return bw_thrift_fail_at(t, e->offset, BW_EFORMAT, "schema element %zu has repetition_type %" PRId32, i,
                                     e->repetition);
        }
        e->max_def = (uint16_t)(p->max_def + (e->repetition != BW_PARQUET_REQUIRED));
        e->max_rep = (uint16_t)(p->max_rep + (e->repetition == BW_PARQUET_REPEATED));
        if (e->has & BW_PARQUET_HAS_TYPE) {
            if ((e->has & BW_PARQUET_HAS_NUM_CHILDREN) && e->num_children != 0) {
                return bw_thrift_fail_at(t, e->offset, BW_EFORMAT,
                                         "schema element %zu has both a physical type and children", i);
            }
            if (e->type < BW_PARQUET_BOOLEAN || e->type > BW_PARQUET_FIXED_LEN_BYTE_ARRAY) {
                return bw_thrift_fail_at(t, e->offset, BW_EFORMAT, "schema element %zu has physical type %" PRId32, i,
                                         e->type);
            }
            if (e->type == BW_PARQUET_FIXED_LEN_BYTE_ARRAY && e->type_length <= 0) {
                return bw_thrift_fail_at(t, e->offset, BW_EFORMAT,
                                         "schema element %zu is a FIXED_LEN_BYTE_ARRAY of length %" PRId32, i,
                                         e->type_length);
            }
            e->num_children = 0;
            e->leaf = (int32_t)leaves++;
            continue;
        }
        if (!(e->has & BW_PARQUET_HAS_NUM_CHILDREN)) {
            return bw_thrift_fail_at(t, e->offset, BW_EFORMAT, "schema element %zu has neither a type nor children", i);
        }
        if (e->num_children < 0) {
            return bw_thrift_fail_at(t, e->offset, BW_EFORMAT, "schema element %zu has %" PRId32 " children", i,
                                     e->num_children);
        }
        if (e->num_children == 0) {
            continue; /* an empty group holds no column */
        }
        if (e->depth >= BW_PARQUET_MAX_SCHEMA_DEPTH) {
            return bw_thrift_fail_at(t, e->offset, BW_ELIMIT, "schema groups nested deeper than %d",
                                     BW_PARQUET_MAX_SCHEMA_DEPTH);
        }
        top++;
        stack[top].node = (uint32_t)i;
        stack[top].left = e->num_children;
    }
    for (size_t k = 0; k <= top; k++) {
        if (stack[k].left != 0) {
            return bw_thrift_fail_at(t, nodes[stack[k].node].offset, BW_EFORMAT,
                                     "the schema ends with %" PRId32 " children of element %" PRIu32 " missing",
                                     stack[k].left, stack[k].node);
        }
    }
    *n_leaves = leaves;
    return BW_OK;
}

static bw_status build_leaves(pq *q)
{
    bw_parquet_meta *m = q->m;
    meta_impl *impl = (meta_impl *)m;
    bw_parquet_node *nodes = m->nodes;
    size_t n_leaves = 0, total = 0, pos = 0;
    size_t *plen = NULL;
    bw_status rc;

    BW_TRY(shape_tree(q, &n_leaves));
    if (n_leaves == 0) {
        return BW_OK;
    }
    /* path lengths: a node's is its parent's, a dot and its name (the root's children have no dot) */
    plen = bw_calloc(m->n_nodes, sizeof(*plen));
    m->leaves = bw_calloc(n_leaves, sizeof(*m->leaves));
    if (plen == NULL || m->leaves == NULL) {
        rc = nomem(q);
        goto out;
    }
    for (size_t i = 1; i < m->n_nodes; i++) {
        size_t base = nodes[i].parent == 0 ? 0 : plen[nodes[i].parent] + 1;
        if (!bw_add_ok(base, nodes[i].name.len, &plen[i]) || plen[i] > BW_PARQUET_MAX_PATH_BYTES) {
            goto toolong;
        }
        if (nodes[i].leaf >= 0 && (!bw_add_ok(total, plen[i] + 1, &total) || total > BW_PARQUET_MAX_PATH_BYTES)) {
            goto toolong;
        }
    }
    impl->paths = bw_malloc(total);
    if (impl->paths == NULL) {
        rc = nomem(q);
        goto out;
    }
    m->n_leaves = n_leaves;
    for (size_t i = 1; i < m->n_nodes; i++) {
        bw_parquet_node *e = &nodes[i];
        bw_parquet_leaf *l;
        char *path;
        size_t end;

        if (e->leaf < 0) {
            continue;
        }
        l = &m->leaves[e->leaf];
        path = impl->paths + pos;
        /* write the names from the leaf up, each at its place in the path */
        end = plen[i];
        path[end] = '\0';
        for (uint32_t k = (uint32_t)i; k != 0; k = nodes[k].parent) {
            size_t at = plen[k] - nodes[k].name.len;
            if (nodes[k].name.len > 0) {
                memcpy(path + at, nodes[k].name.ptr, nodes[k].name.len);
            }
            if (at > 0) {
                path[at - 1] = '.';
            }
        }
        pos += end + 1;
        l->path = path;
        l->name = e->name;
        l->node = (uint32_t)i;
        l->type = e->type;
        l->type_length = e->type == BW_PARQUET_FIXED_LEN_BYTE_ARRAY ? e->type_length : 0;
        l->repetition = e->repetition;
        l->converted_type = e->converted_type;
        l->logical = e->logical;
        if (e->logical.kind == BW_PARQUET_LT_DECIMAL) {
            l->scale = e->logical.scale;
            l->precision = e->logical.precision;
        } else if (e->converted_type == BW_PARQUET_CT_DECIMAL) {
            l->scale = e->scale;
            l->precision = e->precision;
        }
        l->max_def = e->max_def;
        l->max_rep = e->max_rep;
        if (e->depth > 1 || e->max_rep > 0) {
            l->flags |= BW_PARQUET_LEAF_NESTED;
            l->unsupported = "a nested column (inside a group or repeated)";
        } else {
            l->unsupported = type_fit(e, l);
        }
    }
    rc = BW_OK;
    goto out;
toolong:
    rc = bw_thrift_fail_at(&q->t, nodes[0].offset, BW_ELIMIT, "the leaf column paths are over %u bytes",
                           BW_PARQUET_MAX_PATH_BYTES);
out:
    bw_free(plen);
    return rc;
}

/* ---- row groups ------------------------------------------------------------- */

/* path_in_schema must name the leaf's nodes from the root's child down. */
static bw_status check_path(pq *q, bw_thrift *t, const bw_parquet_leaf *leaf)
{
    const bw_parquet_node *nodes = q->m->nodes;
    bw_bytes names[BW_PARQUET_MAX_SCHEMA_DEPTH];
    uint64_t at = bw_rd_offset(&t->rd);
    uint32_t n, depth = nodes[leaf->node].depth, k = leaf->node;

    BW_TRY(list_of(t, BW_THRIFT_BINARY, 1, "ColumnMetaData.path_in_schema", &n));
    if (n != depth) {
        return col_fail(t, at, leaf, "path_in_schema has %" PRIu32 " names, not %" PRIu32, n, depth);
    }
    for (uint32_t i = 0; i < n; i++) {
        BW_TRY(bw_thrift_binary(t, &names[i]));
    }
    bw_thrift_list_end(t);
    for (uint32_t i = n; i-- > 0; k = nodes[k].parent) {
        const bw_bytes *a = &names[i], *b = &nodes[k].name;
        if (a->len != b->len || (a->len > 0 && memcmp(a->ptr, b->ptr, a->len) != 0)) {
            return col_fail(t, at, leaf, "path_in_schema names another column");
        }
    }
    return BW_OK;
}

static bw_status parse_encodings(bw_thrift *t, uint32_t *mask)
{
    uint32_t n;

    BW_TRY(list_of(t, BW_THRIFT_I32, 1, "ColumnMetaData.encodings", &n));
    for (uint32_t i = 0; i < n; i++) {
        int64_t e;
        BW_TRY(bw_thrift_int(t, BW_THRIFT_I32, &e));
        if (e >= 0 && e < 32) {
            *mask |= 1u << e;
        }
    }
    bw_thrift_list_end(t);
    return BW_OK;
}

/* What a chunk says about the byte ranges it points at, checked once the chunk is read. */
typedef struct ranges {
    int64_t bloom_offset, offset_index_offset, column_index_offset;
    int32_t bloom_length, offset_index_length, column_index_length;
    uint64_t got; /* R_* bits */
} ranges;

#define R_BLOOM_OFFSET BIT(0)
#define R_BLOOM_LENGTH BIT(1)
#define R_OI_OFFSET BIT(2)
#define R_OI_LENGTH BIT(3)
#define R_CI_OFFSET BIT(4)
#define R_CI_LENGTH BIT(5)

static bw_status parse_col_meta(pq *q, bw_thrift *t, bw_parquet_chunk *c, const bw_parquet_leaf *leaf, ranges *r)
{
    bw_thrift_struct s;
    bw_thrift_field f;
    uint64_t got = 0, g;

    BW_TRY(bw_thrift_struct_begin(t, &s, "ColumnMetaData"));
    for (;;) {
        BW_TRY(bw_thrift_field_next(t, &s, &f));
        if (f.type == BW_THRIFT_STOP) {
            break;
        }
        switch (f.id) {
        case CMD_TYPE: BW_TRY(get_i32(t, &f, &c->type, &got)); break;
        case CMD_ENCODINGS:
            if (f.type == BW_THRIFT_LIST) {
                BW_TRY(parse_encodings(t, &c->encodings));
                got |= BIT(CMD_ENCODINGS);
            } else {
                BW_TRY(bw_thrift_skip_field(t, &f));
            }
            break;
        case CMD_PATH:
            if (f.type == BW_THRIFT_LIST) {
                BW_TRY(check_path(q, t, leaf));
                got |= BIT(CMD_PATH);
            } else {
                BW_TRY(bw_thrift_skip_field(t, &f));
            }
            break;
        case CMD_CODEC: BW_TRY(get_i32(t, &f, &c->codec, &got)); break;
        case CMD_NUM_VALUES: BW_TRY(get_i64(t, &f, &c->num_values, &got)); break;
        case CMD_TOTAL_UNCOMPRESSED: BW_TRY(get_i64(t, &f, &c->total_uncompressed_size, &got)); break;
        case CMD_TOTAL_COMPRESSED: BW_TRY(get_i64(t, &f, &c->total_compressed_size, &got)); break;
        case CMD_DATA_PAGE_OFFSET: BW_TRY(get_i64(t, &f, &c->data_page_offset, &got)); break;
        case CMD_DICT_PAGE_OFFSET: BW_TRY(get_i64(t, &f, &c->dictionary_page_offset, &got)); break;
        case CMD_STATISTICS:
            if (f.type == BW_THRIFT_STRUCT) {
                BW_TRY(parse_stats(t, &c->stats));
            } else {
                BW_TRY(bw_thrift_skip_field(t, &f));
            }
            break;
        case CMD_BLOOM_OFFSET:
            g = 0;
            BW_TRY(get_i64(t, &f, &r->bloom_offset, &g));
            r->got |= g != 0 ? R_BLOOM_OFFSET : 0;
            break;
        case CMD_BLOOM_LENGTH:
            g = 0;
            BW_TRY(get_i32(t, &f, &r->bloom_length, &g));
            r->got |= g != 0 ? R_BLOOM_LENGTH : 0;
            break;
        default: BW_TRY(bw_thrift_skip_field(t, &f)); break;
        }
    }
    bw_thrift_struct_end(t);
    if (!(got & BIT(CMD_TYPE))) {
        return missing(t, &s, "type");
    }
    if (!(got & BIT(CMD_ENCODINGS))) {
        return missing(t, &s, "encodings");
    }
    if (!(got & BIT(CMD_PATH))) {
        return missing(t, &s, "path_in_schema");
    }
    if (!(got & BIT(CMD_CODEC))) {
        return missing(t, &s, "codec");
    }
    if (!(got & BIT(CMD_NUM_VALUES))) {
        return missing(t, &s, "num_values");
    }
    if (!(got & BIT(CMD_TOTAL_UNCOMPRESSED))) {
        return missing(t, &s, "total_uncompressed_size");
    }
    if (!(got & BIT(CMD_TOTAL_COMPRESSED))) {
        return missing(t, &s, "total_compressed_size");
    }
    if (!(got & BIT(CMD_DATA_PAGE_OFFSET))) {
        return missing(t, &s, "data_page_offset");
    }
    if (c->type != leaf->type) {
        return col_fail(t, s.offset, leaf, "chunk type %s is not the schema's %s", bw_parquet_type_name(c->type),
                        bw_parquet_type_name(leaf->type));
    }
    if (c->num_values < 0 || c->total_uncompressed_size < 0 || c->total_compressed_size < 0 ||
        c->data_page_offset < 0 || ((got & BIT(CMD_DICT_PAGE_OFFSET)) && c->dictionary_page_offset < 0)) {
        return col_fail(t, s.offset, leaf, "a negative count, size or offset");
    }
    if ((c->stats.has & BW_PARQUET_STAT_NULL_COUNT) && c->stats.null_count > c->num_values) {
        return col_fail(t, s.offset, leaf, "%" PRId64 " nulls in a chunk of %" PRId64 " values", c->stats.null_count,
                        c->num_values);
    }
    /* some writers put 0 for "no dictionary" (Arrow reads it so too) */
    if ((got & BIT(CMD_DICT_PAGE_OFFSET)) && c->dictionary_page_offset > 0) {
        c->flags |= BW_PARQUET_CHUNK_DICT;
    }
    c->has_meta = 1;
    return BW_OK;
}

/* [off, off + len) inside the data region [4, data_end)? */
static int inside(uint64_t off, uint64_t len, uint64_t data_end)
{
    return off >= MAGIC_LEN && off <= data_end && len <= data_end - off;
}

static bw_status check_chunk_ranges(pq *q, bw_thrift *t, bw_parquet_chunk *c, const ranges *r,
                                    const bw_parquet_leaf *leaf)
{
    uint64_t data_end = q->m->meta_offset, start, dpo = (uint64_t)c->data_page_offset;
    uint64_t tcs = (uint64_t)c->total_compressed_size;

    start = dpo;
    if (c->flags & BW_PARQUET_CHUNK_DICT) {
        start = BW_MIN(start, (uint64_t)c->dictionary_page_offset);
    }
    if (!inside(start, tcs, data_end)) {
        return col_fail(t, c->offset, leaf, "chunk [%" PRIu64 ", +%" PRIu64 ") is outside the data [4, %" PRIu64 ")",
                        start, tcs, data_end);
    }
    c->start = start;
    c->end = start + tcs;
    if (c->num_values > 0 &&
        (dpo >= c->end || ((c->flags & BW_PARQUET_CHUNK_DICT) && (uint64_t)c->dictionary_page_offset >= c->end))) {
        return col_fail(t, c->offset, leaf, "a page offset is not inside the chunk's %" PRIu64 " bytes", tcs);
    }
    if ((r->got & R_BLOOM_OFFSET) &&
        (r->bloom_offset < 0 || r->bloom_length < 0 ||
         !inside((uint64_t)r->bloom_offset, (r->got & R_BLOOM_LENGTH) ? (uint64_t)r->bloom_length : 0, data_end))) {
        return col_fail(t, c->offset, leaf, "bloom filter outside the data");
    }
    if ((r->got & (R_OI_OFFSET | R_OI_LENGTH)) == (R_OI_OFFSET | R_OI_LENGTH) &&
        (r->offset_index_offset < 0 || r->offset_index_length < 0 ||
         !inside((uint64_t)r->offset_index_offset, (uint64_t)r->offset_index_length, data_end))) {
        return col_fail(t, c->offset, leaf, "offset index outside the data");
    }
    if ((r->got & (R_CI_OFFSET | R_CI_LENGTH)) == (R_CI_OFFSET | R_CI_LENGTH) &&
        (r->column_index_offset < 0 || r->column_index_length < 0 ||
         !inside((uint64_t)r->column_index_offset, (uint64_t)r->column_index_length, data_end))) {
        return col_fail(t, c->offset, leaf, "column index outside the data");
    }
    return BW_OK;
}

static bw_status parse_chunk(pq *q, bw_thrift *t, bw_parquet_chunk *c, const bw_parquet_leaf *leaf)
{
    bw_thrift_struct s;
    bw_thrift_field f;
    uint64_t got = 0, g;
    ranges r;

    memset(&r, 0, sizeof(r));
    BW_TRY(bw_thrift_struct_begin(t, &s, "ColumnChunk"));
    c->offset = s.offset;
    for (;;) {
        BW_TRY(bw_thrift_field_next(t, &s, &f));
        if (f.type == BW_THRIFT_STOP) {
            break;
        }
        g = 0;
        switch (f.id) {
        case CC_FILE_PATH: BW_TRY(get_binary(t, &f, &c->file_path, &got)); break;
        case CC_FILE_OFFSET: BW_TRY(get_i64(t, &f, &c->file_offset, &got)); break;
        case CC_META:
            if (f.type == BW_THRIFT_STRUCT) {
                BW_TRY(parse_col_meta(q, t, c, leaf, &r));
            } else {
                BW_TRY(bw_thrift_skip_field(t, &f));
            }
            break;
        case CC_OFFSET_INDEX_OFFSET:
            BW_TRY(get_i64(t, &f, &r.offset_index_offset, &g));
            r.got |= g != 0 ? R_OI_OFFSET : 0;
            break;
        case CC_OFFSET_INDEX_LENGTH:
            BW_TRY(get_i32(t, &f, &r.offset_index_length, &g));
            r.got |= g != 0 ? R_OI_LENGTH : 0;
            break;
        case CC_COLUMN_INDEX_OFFSET:
            BW_TRY(get_i64(t, &f, &r.column_index_offset, &g));
            r.got |= g != 0 ? R_CI_OFFSET : 0;
            break;
        case CC_COLUMN_INDEX_LENGTH:
            BW_TRY(get_i32(t, &f, &r.column_index_length, &g));
            r.got |= g != 0 ? R_CI_LENGTH : 0;
            break;
        case CC_CRYPTO:
        case CC_ENCRYPTED_META:
            c->flags |= BW_PARQUET_CHUNK_ENCRYPTED;
            BW_TRY(bw_thrift_skip_field(t, &f));
            break;
        default: BW_TRY(bw_thrift_skip_field(t, &f)); break;
        }
    }
    bw_thrift_struct_end(t);
    if ((got & BIT(CC_FILE_PATH)) && c->file_path.len > 0) {
        c->flags |= BW_PARQUET_CHUNK_EXTERNAL;
    }
    if (!c->has_meta) {
        if (c->flags & BW_PARQUET_CHUNK_ENCRYPTED) {
            return BW_OK; /* its metadata is encrypted: nothing to check */
        }
        return col_fail(t, s.offset, leaf, "ColumnChunk.meta_data is missing");
    }
    if (c->flags & BW_PARQUET_CHUNK_EXTERNAL) {
        return BW_OK; /* its offsets are in another file */
    }
    return check_chunk_ranges(q, t, c, &r, leaf);
}

static bw_status parse_columns(pq *q, bw_thrift *t, bw_parquet_row_group *rg)
{
    uint64_t at = bw_rd_offset(&t->rd);
    uint32_t n;

    BW_TRY(list_of(t, BW_THRIFT_STRUCT, MIN_COLUMN_CHUNK, "RowGroup.columns", &n));
    if (n != q->m->n_leaves) {
        return bw_thrift_fail_at(t, at, BW_EFORMAT, "a row group of %" PRIu32 " columns for a schema of %zu", n,
                                 q->m->n_leaves);
    }
    if (n > 0 && (rg->chunks = bw_calloc(n, sizeof(*rg->chunks))) == NULL) {
        return nomem(q);
    }
    for (uint32_t i = 0; i < n; i++) {
        BW_TRY(parse_chunk(q, t, &rg->chunks[i], &q->m->leaves[i]));
    }
    bw_thrift_list_end(t);
    return BW_OK;
}

static bw_status parse_row_group(pq *q, bw_thrift *t, bw_parquet_row_group *rg)
{
    bw_thrift_struct s;
    bw_thrift_field f;
    uint64_t got = 0;

    BW_TRY(bw_thrift_struct_begin(t, &s, "RowGroup"));
    rg->offset = s.offset;
    for (;;) {
        BW_TRY(bw_thrift_field_next(t, &s, &f));
        if (f.type == BW_THRIFT_STOP) {
            break;
        }
        switch (f.id) {
        case RG_COLUMNS:
            if (f.type == BW_THRIFT_LIST) {
                BW_TRY(parse_columns(q, t, rg));
                got |= BIT(RG_COLUMNS);
            } else {
                BW_TRY(bw_thrift_skip_field(t, &f));
            }
            break;
        case RG_TOTAL_BYTE_SIZE: BW_TRY(get_i64(t, &f, &rg->total_byte_size, &got)); break;
        case RG_NUM_ROWS: BW_TRY(get_i64(t, &f, &rg->num_rows, &got)); break;
        default: BW_TRY(bw_thrift_skip_field(t, &f)); break;
        }
    }
    bw_thrift_struct_end(t);
    if (!(got & BIT(RG_COLUMNS))) {
        return missing(t, &s, "columns");
    }
    if (!(got & BIT(RG_TOTAL_BYTE_SIZE))) {
        return missing(t, &s, "total_byte_size");
    }
    if (!(got & BIT(RG_NUM_ROWS))) {
        return missing(t, &s, "num_rows");
    }
    if (rg->num_rows < 0 || rg->total_byte_size < 0) {
        return bw_thrift_fail_at(t, s.offset, BW_EFORMAT, "a row group with a negative row count or size");
    }
    /* every row puts at least one value (or null) in every column, exactly one in a flat one */
    for (size_t i = 0; i < q->m->n_leaves; i++) {
        const bw_parquet_chunk *c = &rg->chunks[i];
        const bw_parquet_leaf *l = &q->m->leaves[i];

        if (!c->has_meta) {
            continue;
        }
        if (c->num_values < rg->num_rows || (!(l->flags & BW_PARQUET_LEAF_NESTED) && c->num_values != rg->num_rows)) {
            return col_fail(t, c->offset, l, "%" PRId64 " values for a row group of %" PRId64 " rows", c->num_values,
                            rg->num_rows);
        }
    }
    return BW_OK;
}

static bw_status parse_row_groups(pq *q)
{
    bw_parquet_meta *m = q->m;
    bw_thrift t;
    uint64_t at = q->row_groups_at;
    uint32_t n;
    int64_t rows = 0;

    /* a reader of its own over the list's bytes, one level deep as inside FileMetaData */
    bw_thrift_init(&t, q->row_groups.ptr, q->row_groups.len, at, q->name, q->err);
    t.depth = 1;
    BW_TRY(list_of(&t, BW_THRIFT_STRUCT, MIN_ROW_GROUP, "FileMetaData.row_groups", &n));
    if (n > BW_PARQUET_MAX_ROW_GROUPS || (uint64_t)n * m->n_leaves > BW_PARQUET_MAX_CHUNKS) {
        return bw_thrift_fail_at(&t, at, BW_ELIMIT,
                                 "%" PRIu32 " row groups of %zu columns, over the limits (%u row groups, %u chunks)", n,
                                 m->n_leaves, BW_PARQUET_MAX_ROW_GROUPS, BW_PARQUET_MAX_CHUNKS);
    }
    if (n > 0 && (m->row_groups = bw_calloc(n, sizeof(*m->row_groups))) == NULL) {
        return nomem(q);
    }
    m->n_row_groups = n;
    for (uint32_t i = 0; i < n; i++) {
        BW_TRY(parse_row_group(q, &t, &m->row_groups[i]));
        if (__builtin_add_overflow(rows, m->row_groups[i].num_rows, &rows)) {
            return bw_thrift_fail_at(&t, m->row_groups[i].offset, BW_EFORMAT, "the row groups' row counts overflow");
        }
    }
    bw_thrift_list_end(&t);
    if (rows != m->num_rows) {
        return bw_thrift_fail_at(&t, at, BW_EFORMAT,
                                 "the row groups hold %" PRId64 " rows, the file metadata says %" PRId64, rows,
                                 m->num_rows);
    }
    return BW_OK;
}

/* ---- FileMetaData ----------------------------------------------------------- */

static bw_status parse_file_meta(pq *q)
{
    bw_thrift *t = &q->t;
    bw_parquet_meta *m = q->m;
    bw_thrift_struct s;
    bw_thrift_field f;
    uint64_t got = 0;

    BW_TRY(bw_thrift_struct_begin(t, &s, "FileMetaData"));
    for (;;) {
        BW_TRY(bw_thrift_field_next(t, &s, &f));
        if (f.type == BW_THRIFT_STOP) {
            break;
        }
        switch (f.id) {
        case FMD_VERSION: BW_TRY(get_i32(t, &f, &m->version, &got)); break;
        case FMD_SCHEMA:
            if (f.type == BW_THRIFT_LIST) {
                BW_TRY(parse_schema(q));
                got |= BIT(FMD_SCHEMA);
            } else {
                BW_TRY(bw_thrift_skip_field(t, &f));
            }
            break;
        case FMD_NUM_ROWS: BW_TRY(get_i64(t, &f, &m->num_rows, &got)); break;
        case FMD_ROW_GROUPS:
            if (f.type == BW_THRIFT_LIST) {
                size_t from = t->rd.pos;
                q->row_groups_at = bw_rd_offset(&t->rd);
                BW_TRY(bw_thrift_skip(t, BW_THRIFT_LIST));
                q->row_groups.ptr = t->rd.base + from;
                q->row_groups.len = t->rd.pos - from;
                got |= BIT(FMD_ROW_GROUPS);
            } else {
                BW_TRY(bw_thrift_skip_field(t, &f));
            }
            break;
        case FMD_KV:
            if (f.type == BW_THRIFT_LIST) {
                BW_TRY(parse_kv(q));
            } else {
                BW_TRY(bw_thrift_skip_field(t, &f));
            }
            break;
        case FMD_CREATED_BY: BW_TRY(get_binary(t, &f, &m->created_by, &got)); break;
        case FMD_ENCRYPTION_ALGORITHM:
            m->encrypted = 1;
            BW_TRY(bw_thrift_skip_field(t, &f));
            break;
        default: BW_TRY(bw_thrift_skip_field(t, &f)); break;
        }
    }
    bw_thrift_struct_end(t);
    if (!(got & BIT(FMD_VERSION))) {
        return missing(t, &s, "version");
    }
    if (!(got & BIT(FMD_SCHEMA))) {
        return missing(t, &s, "schema");
    }
    if (!(got & BIT(FMD_NUM_ROWS))) {
        return missing(t, &s, "num_rows");
    }
    if (!(got & BIT(FMD_ROW_GROUPS))) {
        return missing(t, &s, "row_groups");
    }
    if (!bw_rd_eof(&t->rd)) {
        return bw_rd_fail(&t->rd, BW_EFORMAT, "%zu bytes after the file metadata", bw_rd_left(&t->rd));
    }
    if (m->num_rows < 0) {
        return bw_thrift_fail_at(t, s.offset, BW_EFORMAT, "the file has %" PRId64 " rows", m->num_rows);
    }
    BW_TRY(build_leaves(q));
    return parse_row_groups(q);
}

/* ---- entry points ----------------------------------------------------------- */

void bw_parquet_meta_free(bw_parquet_meta *m)
{
    meta_impl *impl = (meta_impl *)m;

    if (m == NULL) {
        return;
    }
    for (size_t i = 0; i < m->n_row_groups; i++) {
        bw_free(m->row_groups[i].chunks);
    }
    bw_free(m->row_groups);
    bw_free(m->leaves);
    bw_free(m->nodes);
    bw_free(m->kv);
    bw_free(impl->paths);
    bw_free(impl->footer);
    bw_free(impl);
}

static bw_status fail_at(bw_error *err, bw_status code, const char *name, uint64_t off, const char *fmt, ...)
    BW_PRINTF(5, 6);
static bw_status fail_at(bw_error *err, bw_status code, const char *name, uint64_t off, const char *fmt, ...)
{
    char msg[BW_ERROR_MSG_SIZE];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return bw_fail_at(err, code, off, "%s: offset %" PRIu64 ": %s", name, off, msg);
}

/* The 4 bytes at the start and the 8 at the end; *len is the metadata length. */
static bw_status check_frame(const uint8_t head[MAGIC_LEN], const uint8_t tail[TAIL_LEN], uint64_t size,
                             const char *name, uint32_t *len, bw_error *err)
{
    uint32_t l = (uint32_t)tail[0] | (uint32_t)tail[1] << 8 | (uint32_t)tail[2] << 16 | (uint32_t)tail[3] << 24;

    if (memcmp(tail + 4, "PARE", 4) == 0) {
        return fail_at(err, BW_EUNSUPPORTED, name, size - 4, "encrypted footer (PARE) is not supported");
    }
    if (memcmp(tail + 4, "PAR1", 4) != 0) {
        return fail_at(err, BW_EFORMAT, name, size - 4, "not a Parquet file (no PAR1 at the end)");
    }
    if (memcmp(head, "PAR1", 4) != 0) {
        return fail_at(err, BW_EFORMAT, name, 0, "not a Parquet file (no PAR1 at the start)");
    }
    if ((uint64_t)l > size - MAGIC_LEN - TAIL_LEN) {
        return fail_at(err, BW_EFORMAT, name, size - TAIL_LEN,
                       "metadata length %" PRIu32 " is larger than the %" PRIu64 "-byte file allows", l, size);
    }
    if (l > BW_PARQUET_MAX_FOOTER) {
        return fail_at(err, BW_ELIMIT, name, size - TAIL_LEN, "metadata length %" PRIu32 " over the limit of %u", l,
                       BW_PARQUET_MAX_FOOTER);
    }
    *len = l;
    return BW_OK;
}

/* Parse the footer bytes (owned: taken over by the meta, freed on failure). */
static bw_status parse_footer(uint8_t *footer, uint32_t len, uint64_t size, const char *name, bw_parquet_meta **out,
                              bw_error *err)
{
    meta_impl *impl = bw_calloc(1, sizeof(*impl));
    pq q;
    bw_status rc;

    if (impl == NULL) {
        bw_free(footer);
        return bw_fail(err, BW_ENOMEM, "%s: out of memory", name);
    }
    impl->footer = footer;
    impl->pub.file_size = size;
    impl->pub.meta_len = len;
    impl->pub.meta_offset = size - TAIL_LEN - len;
    memset(&q, 0, sizeof(q));
    q.m = &impl->pub;
    q.name = name;
    q.err = err;
    bw_thrift_init(&q.t, footer, len, impl->pub.meta_offset, name, err);
    rc = parse_file_meta(&q);
    if (rc != BW_OK) {
        bw_parquet_meta_free(&impl->pub);
        return rc;
    }
    *out = &impl->pub;
    return BW_OK;
}

bw_status bw_parquet_meta_parse(const uint8_t *file, size_t n, const char *name, bw_parquet_meta **out, bw_error *err)
{
    uint8_t *footer = NULL;
    uint32_t len;

    if (out == NULL || (file == NULL && n > 0)) {
        return bw_fail(err, BW_EINVAL, "bw_parquet_meta_parse: bad argument");
    }
    *out = NULL;
    name = name != NULL ? name : "parquet";
    if (n < MAGIC_LEN + TAIL_LEN) {
        return fail_at(err, BW_EFORMAT, name, 0, "not a Parquet file (%zu bytes, fewer than 12)", n);
    }
    BW_TRY(check_frame(file, file + n - TAIL_LEN, n, name, &len, err));
    /* len + 1: an empty footer still gets a block of its own */
    if ((footer = bw_malloc((size_t)len + 1)) == NULL) {
        return bw_fail(err, BW_ENOMEM, "%s: out of memory", name);
    }
    if (len > 0) {
        memcpy(footer, file + n - TAIL_LEN - len, len);
    }
    return parse_footer(footer, len, n, name, out, err);
}

/* Read exactly `n` bytes at `off`; a short file is BW_EIO (it shrank after the fstat). */
static bw_status pread_full(int fd, void *buf, size_t n, uint64_t off, const char *name, bw_error *err)
{
    size_t done = 0;

    while (done < n) {
        ssize_t r = pread(fd, (uint8_t *)buf + done, n - done, (off_t)(off + done));
        if (r < 0) {
            if (errno == EINTR) {
                continue;
            }
            return bw_fail_errno(err, errno, "cannot read", name);
        }
        if (r == 0) {
            return bw_fail(err, BW_EIO, "cannot read '%s': the file shrank while it was read", name);
        }
        done += (size_t)r;
    }
    return BW_OK;
}

bw_status bw_parquet_meta_read_fd(int fd, const char *name, bw_parquet_meta **out, bw_error *err)
{
    uint8_t head[MAGIC_LEN], tail[TAIL_LEN], *footer = NULL;
    struct stat st;
    uint64_t size;
    uint32_t len;
    bw_status rc;

    if (out == NULL || fd < 0) {
        return bw_fail(err, BW_EINVAL, "bw_parquet_meta_read_fd: bad argument");
    }
    *out = NULL;
    name = name != NULL ? name : "parquet";
    if (fstat(fd, &st) != 0) {
        return bw_fail_errno(err, errno, "cannot stat", name);
    }
    if (!S_ISREG(st.st_mode)) {
        return bw_fail(err, BW_EIO, "cannot read '%s': not a regular file", name);
    }
    size = (uint64_t)st.st_size;
    if (size < MAGIC_LEN + TAIL_LEN) {
        return fail_at(err, BW_EFORMAT, name, 0, "not a Parquet file (%" PRIu64 " bytes, fewer than 12)", size);
    }
    BW_TRY(pread_full(fd, tail, TAIL_LEN, size - TAIL_LEN, name, err));
    BW_TRY(pread_full(fd, head, MAGIC_LEN, 0, name, err));
    BW_TRY(check_frame(head, tail, size, name, &len, err));
    if ((footer = bw_malloc((size_t)len + 1)) == NULL) {
        return bw_fail(err, BW_ENOMEM, "%s: out of memory", name);
    }
    rc = pread_full(fd, footer, len, size - TAIL_LEN - len, name, err);
    if (rc != BW_OK) {
        bw_free(footer);
        return rc;
    }
    return parse_footer(footer, len, size, name, out, err);
}

/* ---- page headers ----------------------------------------------------------- */

static bw_status page_stats(bw_thrift *t, const bw_thrift_field *f, bw_parquet_stats *st, uint64_t *got)
{
    if (f->type != BW_THRIFT_STRUCT) {
        return bw_thrift_skip_field(t, f);
    }
    BW_TRY(parse_stats(t, st));
    *got |= BIT(f->id);
    return BW_OK;
}

static bw_status parse_data_page(bw_thrift *t, bw_parquet_page_header *h)
{
    bw_thrift_struct s;
    bw_thrift_field f;
    uint64_t got = 0;

    BW_TRY(bw_thrift_struct_begin(t, &s, "DataPageHeader"));
    for (;;) {
        BW_TRY(bw_thrift_field_next(t, &s, &f));
        if (f.type == BW_THRIFT_STOP) {
            break;
        }
        switch (f.id) {
        case DP_NUM_VALUES: BW_TRY(get_i32(t, &f, &h->num_values, &got)); break;
        case DP_ENCODING: BW_TRY(get_i32(t, &f, &h->encoding, &got)); break;
        case DP_DEF_ENCODING: BW_TRY(get_i32(t, &f, &h->def_encoding, &got)); break;
        case DP_REP_ENCODING: BW_TRY(get_i32(t, &f, &h->rep_encoding, &got)); break;
        case DP_STATISTICS: BW_TRY(page_stats(t, &f, &h->stats, &got)); break;
        default: BW_TRY(bw_thrift_skip_field(t, &f)); break;
        }
    }
    bw_thrift_struct_end(t);
    if (!(got & BIT(DP_NUM_VALUES))) {
        return missing(t, &s, "num_values");
    }
    if (!(got & BIT(DP_ENCODING))) {
        return missing(t, &s, "encoding");
    }
    if (!(got & BIT(DP_DEF_ENCODING))) {
        return missing(t, &s, "definition_level_encoding");
    }
    if (!(got & BIT(DP_REP_ENCODING))) {
        return missing(t, &s, "repetition_level_encoding");
    }
    return BW_OK;
}

static bw_status parse_dict_page(bw_thrift *t, bw_parquet_page_header *h)
{
    bw_thrift_struct s;
    bw_thrift_field f;
    uint64_t got = 0;

    BW_TRY(bw_thrift_struct_begin(t, &s, "DictionaryPageHeader"));
    for (;;) {
        BW_TRY(bw_thrift_field_next(t, &s, &f));
        if (f.type == BW_THRIFT_STOP) {
            break;
        }
        switch (f.id) {
        case DICT_NUM_VALUES: BW_TRY(get_i32(t, &f, &h->num_values, &got)); break;
        case DICT_ENCODING: BW_TRY(get_i32(t, &f, &h->encoding, &got)); break;
        case DICT_IS_SORTED: BW_TRY(get_bool(t, &f, &h->is_sorted, &got)); break;
        default: BW_TRY(bw_thrift_skip_field(t, &f)); break;
        }
    }
    bw_thrift_struct_end(t);
    if (!(got & BIT(DICT_NUM_VALUES))) {
        return missing(t, &s, "num_values");
    }
    if (!(got & BIT(DICT_ENCODING))) {
        return missing(t, &s, "encoding");
    }
    return BW_OK;
}

static bw_status parse_data_page_v2(bw_thrift *t, bw_parquet_page_header *h)
{
    static const char *const required[] = {
        NULL,
        "num_values",
        "num_nulls",
        "num_rows",
        "encoding",
        "definition_levels_byte_length",
        "repetition_levels_byte_length",
    };
    bw_thrift_struct s;
    bw_thrift_field f;
    uint64_t got = 0;

    BW_TRY(bw_thrift_struct_begin(t, &s, "DataPageHeaderV2"));
    for (;;) {
        BW_TRY(bw_thrift_field_next(t, &s, &f));
        if (f.type == BW_THRIFT_STOP) {
            break;
        }
        switch (f.id) {
        case V2_NUM_VALUES: BW_TRY(get_i32(t, &f, &h->num_values, &got)); break;
        case V2_NUM_NULLS: BW_TRY(get_i32(t, &f, &h->num_nulls, &got)); break;
        case V2_NUM_ROWS: BW_TRY(get_i32(t, &f, &h->num_rows, &got)); break;
        case V2_ENCODING: BW_TRY(get_i32(t, &f, &h->encoding, &got)); break;
        case V2_DEF_LENGTH: BW_TRY(get_i32(t, &f, &h->def_length, &got)); break;
        case V2_REP_LENGTH: BW_TRY(get_i32(t, &f, &h->rep_length, &got)); break;
        case V2_IS_COMPRESSED: BW_TRY(get_bool(t, &f, &h->is_compressed, &got)); break;
        case V2_STATISTICS: BW_TRY(page_stats(t, &f, &h->stats, &got)); break;
        default: BW_TRY(bw_thrift_skip_field(t, &f)); break;
        }
    }
    bw_thrift_struct_end(t);
    for (int id = V2_NUM_VALUES; id <= V2_REP_LENGTH; id++) {
        if (!(got & BIT(id))) {
            return missing(t, &s, required[id]);
        }
    }
    if (h->num_nulls < 0 || h->num_nulls > h->num_values || h->num_rows < 0 || h->num_rows > h->num_values) {
        return bw_thrift_fail_at(t, s.offset, BW_EFORMAT,
                                 "DataPageHeaderV2: %" PRId32 " nulls and %" PRId32 " rows in %" PRId32 " values",
                                 h->num_nulls, h->num_rows, h->num_values);
    }
    if (h->def_length < 0 || h->rep_length < 0) {
        return bw_thrift_fail_at(t, s.offset, BW_EFORMAT, "DataPageHeaderV2: negative level lengths");
    }
    return BW_OK;
}

bw_status bw_parquet_page_header_parse(const uint8_t *p, size_t n, uint64_t origin, bw_parquet_page_header *out,
                                       size_t *consumed, bw_error *err)
{
    bw_thrift t;
    bw_thrift_struct s;
    bw_thrift_field f;
    uint64_t got = 0, sub = 0;
    int64_t levels;

    if (out == NULL || consumed == NULL || (p == NULL && n > 0)) {
        return bw_fail(err, BW_EINVAL, "bw_parquet_page_header_parse: bad argument");
    }
    memset(out, 0, sizeof(*out));
    out->is_compressed = 1; /* the default parquet.thrift gives */
    *consumed = 0;
    bw_thrift_init(&t, p, n, origin, "parquet page header", err);
    BW_TRY(bw_thrift_struct_begin(&t, &s, "PageHeader"));
    for (;;) {
        BW_TRY(bw_thrift_field_next(&t, &s, &f));
        if (f.type == BW_THRIFT_STOP) {
            break;
        }
        switch (f.id) {
        case PH_TYPE: BW_TRY(get_i32(&t, &f, &out->type, &got)); break;
        case PH_UNCOMPRESSED: BW_TRY(get_i32(&t, &f, &out->uncompressed_size, &got)); break;
        case PH_COMPRESSED: BW_TRY(get_i32(&t, &f, &out->compressed_size, &got)); break;
        case PH_CRC: {
            int32_t crc = 0;
            BW_TRY(get_i32(&t, &f, &crc, &got));
            out->crc = (uint32_t)crc;
            out->has_crc = (got & BIT(PH_CRC)) != 0;
            break;
        }
        case PH_DATA:
        case PH_INDEX:
        case PH_DICT:
        case PH_DATA_V2:
            if (f.type != BW_THRIFT_STRUCT) {
                BW_TRY(bw_thrift_skip_field(&t, &f));
                break;
            }
            if (sub != 0) {
                return bw_thrift_fail_at(&t, f.offset, BW_EFORMAT, "PageHeader: more than one page-type header");
            }
            sub = BIT(f.id);
            if (f.id == PH_DATA) {
                BW_TRY(parse_data_page(&t, out));
            } else if (f.id == PH_DICT) {
                BW_TRY(parse_dict_page(&t, out));
            } else if (f.id == PH_DATA_V2) {
                BW_TRY(parse_data_page_v2(&t, out));
            } else {
                BW_TRY(bw_thrift_skip_field(&t, &f)); /* IndexPageHeader is empty ("TODO") */
            }
            break;
        default: BW_TRY(bw_thrift_skip_field(&t, &f)); break;
        }
    }
    bw_thrift_struct_end(&t);
    if (!(got & BIT(PH_TYPE))) {
        return missing(&t, &s, "type");
    }
    if (!(got & BIT(PH_UNCOMPRESSED))) {
        return missing(&t, &s, "uncompressed_page_size");
    }
    if (!(got & BIT(PH_COMPRESSED))) {
        return missing(&t, &s, "compressed_page_size");
    }
    if (out->uncompressed_size < 0 || out->compressed_size < 0) {
        return bw_thrift_fail_at(&t, s.offset, BW_EFORMAT, "PageHeader: negative page size");
    }
    switch (out->type) {
    case BW_PARQUET_DATA_PAGE:
        if (sub != BIT(PH_DATA)) {
            return bw_thrift_fail_at(&t, s.offset, BW_EFORMAT, "DATA_PAGE without a data_page_header");
        }
        break;
    case BW_PARQUET_INDEX_PAGE:
        if (sub != 0 && sub != BIT(PH_INDEX)) {
            return bw_thrift_fail_at(&t, s.offset, BW_EFORMAT, "INDEX_PAGE with another page type's header");
        }
        break;
    case BW_PARQUET_DICTIONARY_PAGE:
        if (sub != BIT(PH_DICT)) {
            return bw_thrift_fail_at(&t, s.offset, BW_EFORMAT, "DICTIONARY_PAGE without a dictionary_page_header");
        }
        break;
    case BW_PARQUET_DATA_PAGE_V2:
        if (sub != BIT(PH_DATA_V2)) {
            return bw_thrift_fail_at(&t, s.offset, BW_EFORMAT, "DATA_PAGE_V2 without a data_page_header_v2");
        }
        levels = (int64_t)out->def_length + out->rep_length;
        if (levels > out->compressed_size || levels > out->uncompressed_size) {
            return bw_thrift_fail_at(&t, s.offset, BW_EFORMAT,
                                     "DATA_PAGE_V2: %" PRId64 " bytes of levels in a page of %" PRId32 " bytes", levels,
                                     out->compressed_size);
        }
        break;
    default: return bw_thrift_fail_at(&t, s.offset, BW_EFORMAT, "PageHeader: unknown page type %" PRId32, out->type);
    }
    if (out->num_values < 0) {
        return bw_thrift_fail_at(&t, s.offset, BW_EFORMAT, "PageHeader: %" PRId32 " values", out->num_values);
    }
    if ((out->stats.has & BW_PARQUET_STAT_NULL_COUNT) && out->stats.null_count > out->num_values) {
        return bw_thrift_fail_at(&t, s.offset, BW_EFORMAT, "PageHeader: %" PRId64 " nulls in %" PRId32 " values",
                                 out->stats.null_count, out->num_values);
    }
    *consumed = t.rd.pos;
    return BW_OK;
}

/* ---- names ------------------------------------------------------------------ */

#define NAME_OF(table, v) ((v) >= 0 && (size_t)(v) < BW_ARRAY_LEN(table) && (table)[v] != NULL ? (table)[v] : "?")

const char *bw_parquet_type_name(int32_t type)
{
    static const char *const names[] = {
        "BOOLEAN", "INT32", "INT64", "INT96", "FLOAT", "DOUBLE", "BYTE_ARRAY", "FIXED_LEN_BYTE_ARRAY",
    };
    return NAME_OF(names, type);
}

const char *bw_parquet_codec_name(int32_t codec)
{
    static const char *const names[] = {
        "UNCOMPRESSED", "SNAPPY", "GZIP", "LZO", "BROTLI", "LZ4", "ZSTD", "LZ4_RAW",
    };
    return NAME_OF(names, codec);
}

const char *bw_parquet_encoding_name(int32_t encoding)
{
    static const char *const names[] = {
        [0] = "PLAIN",
        [2] = "PLAIN_DICTIONARY",
        [3] = "RLE",
        [4] = "BIT_PACKED",
        [5] = "DELTA_BINARY_PACKED",
        [6] = "DELTA_LENGTH_BYTE_ARRAY",
        [7] = "DELTA_BYTE_ARRAY",
        [8] = "RLE_DICTIONARY",
        [9] = "BYTE_STREAM_SPLIT",
        [10] = "ALP",
    };
    return NAME_OF(names, encoding);
}

const char *bw_parquet_converted_name(int32_t converted_type)
{
    static const char *const names[] = {
        "UTF8",
        "MAP",
        "MAP_KEY_VALUE",
        "LIST",
        "ENUM",
        "DECIMAL",
        "DATE",
        "TIME_MILLIS",
        "TIME_MICROS",
        "TIMESTAMP_MILLIS",
        "TIMESTAMP_MICROS",
        "UINT_8",
        "UINT_16",
        "UINT_32",
        "UINT_64",
        "INT_8",
        "INT_16",
        "INT_32",
        "INT_64",
        "JSON",
        "BSON",
        "INTERVAL",
    };
    return NAME_OF(names, converted_type);
}

const char *bw_parquet_logical_name(bw_parquet_logical_kind kind)
{
    static const char *const names[] = {
        [BW_PARQUET_LT_NONE] = "NONE",
        [BW_PARQUET_LT_STRING] = "STRING",
        [BW_PARQUET_LT_MAP] = "MAP",
        [BW_PARQUET_LT_LIST] = "LIST",
        [BW_PARQUET_LT_ENUM] = "ENUM",
        [BW_PARQUET_LT_DECIMAL] = "DECIMAL",
        [BW_PARQUET_LT_DATE] = "DATE",
        [BW_PARQUET_LT_TIME] = "TIME",
        [BW_PARQUET_LT_TIMESTAMP] = "TIMESTAMP",
        [BW_PARQUET_LT_INTEGER] = "INTEGER",
        [BW_PARQUET_LT_NULL] = "NULL",
        [BW_PARQUET_LT_JSON] = "JSON",
        [BW_PARQUET_LT_BSON] = "BSON",
        [BW_PARQUET_LT_UUID] = "UUID",
        [BW_PARQUET_LT_FLOAT16] = "FLOAT16",
        [BW_PARQUET_LT_VARIANT] = "VARIANT",
        [BW_PARQUET_LT_GEOMETRY] = "GEOMETRY",
        [BW_PARQUET_LT_GEOGRAPHY] = "GEOGRAPHY",
    };
    if (kind == BW_PARQUET_LT_OTHER) {
        return "OTHER";
    }
    return NAME_OF(names, (int)kind);
}

const char *bw_parquet_page_type_name(int32_t type)
{
    static const char *const names[] = {"DATA_PAGE", "INDEX_PAGE", "DICTIONARY_PAGE", "DATA_PAGE_V2"};
    return NAME_OF(names, type);
}
