/*
 * thrift.c - the Thrift compact protocol reader (see thrift.h).
 *
 * Everything goes through one bw_rd, so a read past the end cannot happen:
 * the worst a missed check can do is poison the reader. What the reader adds
 * to bw_rd is the protocol's shape: field headers with delta ids, zigzag
 * varints narrowed to their declared width, container headers whose counts
 * are compared with the bytes left, and a depth count that stops a chain of
 * nested structs or lists before it becomes deep recursion in the skipper.
 */
#include <inttypes.h>

#include "formats/parquet/thrift.h"

void bw_thrift_init(bw_thrift *t, const void *p, size_t n, uint64_t origin, const char *name, bw_error *err)
{
    bw_rd_init(&t->rd, p, n, name, err);
    t->rd.origin = origin;
    t->depth = 0;
}

bw_status bw_thrift_fail_at(bw_thrift *t, uint64_t off, bw_status code, const char *fmt, ...)
{
    char msg[BW_ERROR_MSG_SIZE];
    va_list ap;

    if (t->rd.st != BW_OK) {
        return t->rd.st;
    }
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    t->rd.st = code; /* poison: nothing is read after a failure */
    if (t->rd.name != NULL) {
        return bw_fail_at(t->rd.err, code, off, "%s: offset %" PRIu64 ": %s", t->rd.name, off, msg);
    }
    return bw_fail_at(t->rd.err, code, off, "offset %" PRIu64 ": %s", off, msg);
}

const char *bw_thrift_type_name(uint8_t type)
{
    static const char *const names[] = {
        "stop", "bool", "bool", "i8", "i16", "i32", "i64", "double", "binary", "list", "set", "map", "struct", "uuid",
    };
    return type < BW_ARRAY_LEN(names) ? names[type] : "unknown type";
}

/* Fewest bytes one value of an element type takes on the wire; 0 for a type that is not one. */
static size_t elem_min(uint8_t type)
{
    switch (type) {
    case BW_THRIFT_TRUE:
    case BW_THRIFT_FALSE:
    case BW_THRIFT_I8:
    case BW_THRIFT_I16:
    case BW_THRIFT_I32:
    case BW_THRIFT_I64:
    case BW_THRIFT_BINARY:
    case BW_THRIFT_LIST:
    case BW_THRIFT_SET:
    case BW_THRIFT_MAP:
    case BW_THRIFT_STRUCT: return 1;
    case BW_THRIFT_DOUBLE: return 8;
    case BW_THRIFT_UUID: return 16;
    default: return 0;
    }
}

static bw_status enter(bw_thrift *t, uint64_t at)
{
    if (t->depth >= BW_THRIFT_MAX_DEPTH) {
        return bw_thrift_fail_at(t, at, BW_ELIMIT, "thrift: structs and containers nested deeper than %d",
                                 BW_THRIFT_MAX_DEPTH);
    }
    t->depth++;
    return BW_OK;
}

static void leave(bw_thrift *t)
{
    BW_ASSERT(t->depth > 0);
    t->depth--;
}

bw_status bw_thrift_struct_begin(bw_thrift *t, bw_thrift_struct *s, const char *what)
{
    s->last = 0;
    s->seen = 0;
    s->offset = bw_rd_offset(&t->rd);
    s->what = what;
    if (t->rd.st != BW_OK) {
        return t->rd.st;
    }
    return enter(t, s->offset);
}

void bw_thrift_struct_end(bw_thrift *t)
{
    leave(t);
}

/* A varint that must fit in 32 bits (Thrift's readVarint32). */
static bw_status varint32(bw_thrift *t, uint32_t *v, const char *what)
{
    uint64_t at = bw_rd_offset(&t->rd), u;

    BW_TRY(bw_rd_uvarint(&t->rd, &u));
    if (u > UINT32_MAX) {
        return bw_thrift_fail_at(t, at, BW_EFORMAT, "thrift: %s varint %" PRIu64 " overflows 32 bits", what, u);
    }
    *v = (uint32_t)u;
    return BW_OK;
}

static int32_t zigzag32(uint32_t u)
{
    return (int32_t)(u >> 1) ^ -(int32_t)(u & 1);
}

bw_status bw_thrift_field_next(bw_thrift *t, bw_thrift_struct *s, bw_thrift_field *f)
{
    uint8_t b, type;
    unsigned delta;
    int32_t id;

    f->offset = bw_rd_offset(&t->rd);
    f->id = 0;
    f->type = BW_THRIFT_STOP;
    BW_TRY(bw_rd_u8(&t->rd, &b));
    if (b == 0) {
        return BW_OK;
    }
    type = b & 0x0f;
    delta = b >> 4;
    if (type == BW_THRIFT_STOP || type > BW_THRIFT_UUID) {
        return bw_thrift_fail_at(t, f->offset, BW_EFORMAT, "thrift: %s: bad field type %u", s->what, type);
    }
    if (delta != 0) {
        id = (int32_t)s->last + (int32_t)delta;
        if (id > INT16_MAX) {
            return bw_thrift_fail_at(t, f->offset, BW_EFORMAT, "thrift: %s: field id %" PRId32 " out of range", s->what,
                                     id);
        }
    } else {
        uint32_t u = 0;
        BW_TRY(varint32(t, &u, "field id"));
        id = zigzag32(u);
        if (id < INT16_MIN || id > INT16_MAX) {
            return bw_thrift_fail_at(t, f->offset, BW_EFORMAT, "thrift: %s: field id %" PRId32 " out of range", s->what,
                                     id);
        }
    }
    if (id >= 0 && id < 64) {
        if (s->seen & ((uint64_t)1 << id)) {
            return bw_thrift_fail_at(t, f->offset, BW_EFORMAT, "thrift: %s: field %" PRId32 " given twice", s->what,
                                     id);
        }
        s->seen |= (uint64_t)1 << id;
    }
    s->last = (int16_t)id;
    f->id = (int16_t)id;
    f->type = type;
    return BW_OK;
}

bw_status bw_thrift_int(bw_thrift *t, uint8_t type, int64_t *v)
{
    uint64_t at = bw_rd_offset(&t->rd), u;
    uint8_t b;

    switch (type) {
    case BW_THRIFT_I8:
        BW_TRY(bw_rd_u8(&t->rd, &b));
        *v = (int8_t)b;
        return BW_OK;
    case BW_THRIFT_I16:
    case BW_THRIFT_I32: {
        uint32_t u32 = 0;
        int32_t x;
        BW_TRY(varint32(t, &u32, bw_thrift_type_name(type)));
        x = zigzag32(u32);
        if (type == BW_THRIFT_I16 && (x < INT16_MIN || x > INT16_MAX)) {
            return bw_thrift_fail_at(t, at, BW_EFORMAT, "thrift: i16 value %" PRId32 " out of range", x);
        }
        *v = x;
        return BW_OK;
    }
    case BW_THRIFT_I64:
        BW_TRY(bw_rd_uvarint(&t->rd, &u));
        *v = (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
        return BW_OK;
    default:
        return bw_thrift_fail_at(t, at, BW_EFORMAT, "thrift: expected an integer, not %s", bw_thrift_type_name(type));
    }
}

bw_status bw_thrift_bool_elem(bw_thrift *t, int *v)
{
    uint64_t at = bw_rd_offset(&t->rd);
    uint8_t b;

    BW_TRY(bw_rd_u8(&t->rd, &b));
    /* the specification says 1 and 0; Java and C++ write 1 and 2 (the field types) */
    if (b > 2) {
        return bw_thrift_fail_at(t, at, BW_EFORMAT, "thrift: bool element is %u, not 0, 1 or 2", b);
    }
    *v = b == 1;
    return BW_OK;
}

bw_status bw_thrift_double(bw_thrift *t, double *v)
{
    return bw_rd_f64le(&t->rd, v);
}

bw_status bw_thrift_binary(bw_thrift *t, bw_bytes *out)
{
    uint64_t at = bw_rd_offset(&t->rd), len;

    BW_TRY(bw_rd_uvarint(&t->rd, &len));
    if (len > bw_rd_left(&t->rd)) {
        return bw_thrift_fail_at(t, at, BW_EFORMAT, "thrift: binary length %" PRIu64 " runs past the end (%zu left)",
                                 len, bw_rd_left(&t->rd));
    }
    return bw_rd_view(&t->rd, (size_t)len, out);
}

bw_status bw_thrift_list_begin(bw_thrift *t, uint8_t *elem, uint32_t *count, size_t min_elem)
{
    uint64_t at = bw_rd_offset(&t->rd);
    uint8_t b;
    uint32_t n = 0;
    size_t min;

    BW_TRY(bw_rd_u8(&t->rd, &b));
    *elem = b & 0x0f;
    n = b >> 4;
    if (n == 15) {
        BW_TRY(varint32(t, &n, "list size"));
        if (n > INT32_MAX) {
            return bw_thrift_fail_at(t, at, BW_EFORMAT, "thrift: list size %" PRIu32 " is negative", n);
        }
    }
    min = elem_min(*elem);
    if (min == 0) {
        return bw_thrift_fail_at(t, at, BW_EFORMAT, "thrift: list of bad element type %u", *elem);
    }
    min = BW_MAX(min, min_elem);
    if (n > bw_rd_left(&t->rd) / min) {
        return bw_thrift_fail_at(t, at, BW_EFORMAT,
                                 "thrift: list of %" PRIu32 " %s elements cannot fit in the %zu bytes left", n,
                                 bw_thrift_type_name(*elem), bw_rd_left(&t->rd));
    }
    *count = n;
    return enter(t, at);
}

void bw_thrift_list_end(bw_thrift *t)
{
    leave(t);
}

static bw_status skip_struct(bw_thrift *t)
{
    bw_thrift_struct s;
    bw_thrift_field f;

    BW_TRY(bw_thrift_struct_begin(t, &s, "struct"));
    for (;;) {
        BW_TRY(bw_thrift_field_next(t, &s, &f));
        if (f.type == BW_THRIFT_STOP) {
            break;
        }
        BW_TRY(bw_thrift_skip_field(t, &f));
    }
    bw_thrift_struct_end(t);
    return BW_OK;
}

static bw_status skip_map(bw_thrift *t)
{
    uint64_t at = bw_rd_offset(&t->rd);
    uint32_t n = 0;
    uint8_t kv, kt, vt;
    size_t kmin, vmin;

    BW_TRY(varint32(t, &n, "map size"));
    if (n == 0) {
        return BW_OK;
    }
    if (n > INT32_MAX) {
        return bw_thrift_fail_at(t, at, BW_EFORMAT, "thrift: map size %" PRIu32 " is negative", n);
    }
    BW_TRY(bw_rd_u8(&t->rd, &kv));
    kt = kv >> 4;
    vt = kv & 0x0f;
    kmin = elem_min(kt);
    vmin = elem_min(vt);
    if (kmin == 0 || vmin == 0) {
        return bw_thrift_fail_at(t, at, BW_EFORMAT, "thrift: map of bad key or value type %u/%u", kt, vt);
    }
    if (n > bw_rd_left(&t->rd) / (kmin + vmin)) {
        return bw_thrift_fail_at(t, at, BW_EFORMAT,
                                 "thrift: map of %" PRIu32 " entries cannot fit in the %zu bytes left", n,
                                 bw_rd_left(&t->rd));
    }
    BW_TRY(enter(t, at));
    for (uint32_t i = 0; i < n; i++) {
        BW_TRY(bw_thrift_skip(t, kt));
        BW_TRY(bw_thrift_skip(t, vt));
    }
    leave(t);
    return BW_OK;
}

bw_status bw_thrift_skip(bw_thrift *t, uint8_t type)
{
    uint64_t at = bw_rd_offset(&t->rd);
    int64_t i64;
    bw_bytes b;

    switch (type) {
    case BW_THRIFT_TRUE:
    case BW_THRIFT_FALSE: {
        int v;
        return bw_thrift_bool_elem(t, &v);
    }
    case BW_THRIFT_I8:
    case BW_THRIFT_I16:
    case BW_THRIFT_I32:
    case BW_THRIFT_I64: return bw_thrift_int(t, type, &i64);
    case BW_THRIFT_DOUBLE: return bw_rd_skip(&t->rd, 8);
    case BW_THRIFT_UUID: return bw_rd_skip(&t->rd, 16);
    case BW_THRIFT_BINARY: return bw_thrift_binary(t, &b);
    case BW_THRIFT_LIST:
    case BW_THRIFT_SET: {
        uint8_t elem;
        uint32_t n = 0;
        BW_TRY(bw_thrift_list_begin(t, &elem, &n, 1));
        for (uint32_t i = 0; i < n; i++) {
            BW_TRY(bw_thrift_skip(t, elem));
        }
        bw_thrift_list_end(t);
        return BW_OK;
    }
    case BW_THRIFT_MAP: return skip_map(t);
    case BW_THRIFT_STRUCT: return skip_struct(t);
    default: return bw_thrift_fail_at(t, at, BW_EFORMAT, "thrift: cannot skip a value of type %u", type);
    }
}

bw_status bw_thrift_skip_field(bw_thrift *t, const bw_thrift_field *f)
{
    if (f->type == BW_THRIFT_TRUE || f->type == BW_THRIFT_FALSE) {
        return BW_OK; /* the value was in the field header */
    }
    return bw_thrift_skip(t, f->type);
}
