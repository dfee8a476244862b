/*
 * expect_vals.c - values as keys (what "equal" means to set, distinct and
 * unique expectations) and the hash tables the engine keeps them in.
 *
 * Hashes: bw_hash64 of the bytes for strings, a bijective mix of the value
 * for the other kinds (so two integers never share a hash). Tables that keep
 * only hashes (distinct counts, the unique map) can confuse two different
 * values whose 64-bit hashes collide: with n distinct values the chance of
 * any collision is about n^2 / 2^65 (3e-6 at 10 million values).
 */
#include <math.h>

#include "data/expect_internal.h"

#define SEED_STR 0x243F6A8885A308D3ULL

static uint64_t mix_tag(char tag, uint64_t u)
{
    if (tag == 'i') {
        return bw_hash64_u64(u);
    }
    return bw_hash64_u64(u ^ ((uint64_t)(unsigned char)tag * 0x9E3779B97F4A7C15ULL)) + (unsigned char)tag;
}

void bw_vkey_tagged(char tag, uint64_t u, bw_vkey *k)
{
    k->tag = tag;
    k->p = NULL;
    k->n = 0;
    k->u = u;
    k->h = mix_tag(tag, u);
}

void bw_vkey_int(int64_t v, bw_vkey *k)
{
    bw_vkey_tagged('i', (uint64_t)v, k);
}

void bw_vkey_num(double v, bw_vkey *k)
{
    if (v == trunc(v) && v >= -9223372036854775808.0 && v < 9223372036854775808.0) {
        bw_vkey_int((int64_t)v, k);
        return;
    }
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    bw_vkey_tagged('f', u, k);
}

void bw_vkey_str(const char *s, size_t n, bw_vkey *k)
{
    k->tag = 's';
    k->p = s;
    k->n = n;
    k->u = 0;
    k->h = bw_hash64(s, n, SEED_STR);
}

void bw_vkey_of(const bw_column *c, size_t i, bw_vkey *k)
{
    switch (c->type) {
    case BW_DT_BOOL: bw_vkey_tagged('b', c->b[i], k); return;
    case BW_DT_INT64: bw_vkey_int(c->i64[i], k); return;
    case BW_DT_FLOAT64: bw_vkey_num(c->f64[i], k); return;
    case BW_DT_DATE: bw_vkey_tagged('d', (uint64_t)(int64_t)c->days[i], k); return;
    case BW_DT_TIMESTAMP: bw_vkey_tagged('t', (uint64_t)c->i64[i], k); return;
    case BW_DT_STRING: {
        size_t n;
        const char *s = bw_col_str(c, i, &n);
        bw_vkey_str(s, n, k);
        return;
    }
    default: bw_vkey_tagged('n', 0, k); return;
    }
}

size_t bw_fmt_date(int32_t days, char *out)
{
    int y;
    unsigned m, d;
    bw_civil_from_days(days, &y, &m, &d);
    return (size_t)snprintf(out, 40, "%04d-%02u-%02u", y, m, d);
}

size_t bw_fmt_ts(int64_t us, char *out)
{
    int64_t day = us >= 0 ? us / 86400000000LL : -((-us + 86399999999LL) / 86400000000LL);
    int64_t rem = us - day * 86400000000LL;
    size_t k = bw_fmt_date((int32_t)day, out);
    int64_t sec = rem / 1000000, frac = rem % 1000000;
    k += (size_t)snprintf(out + k, 40 - k, "T%02d:%02d:%02d", (int)(sec / 3600), (int)(sec / 60 % 60), (int)(sec % 60));
    if (frac != 0) {
        k += (size_t)snprintf(out + k, 40 - k, ".%06d", (int)frac);
    }
    return k;
}

void bw_vkey_json(const bw_vkey *k, bw_json *j)
{
    char t[40];
    switch (k->tag) {
    case 's': bw_json_strn(j, k->p, k->n); return;
    case 'i': bw_json_int(j, (int64_t)k->u); return;
    case 'f': {
        double v;
        memcpy(&v, &k->u, sizeof v);
        bw_json_double(j, v);
        return;
    }
    case 'b': bw_json_bool(j, k->u != 0); return;
    case 'd':
        bw_fmt_date((int32_t)(int64_t)k->u, t);
        bw_json_str(j, t);
        return;
    case 't':
        bw_fmt_ts((int64_t)k->u, t);
        bw_json_str(j, t);
        return;
    default: bw_json_null(j); return;
    }
}

bw_status bw_vkey_text(const bw_vkey *k, bw_buf *out)
{
    char t[40];
    switch (k->tag) {
    case 's': return bw_buf_add(out, k->p, k->n);
    case 'i': return bw_buf_printf(out, "%lld", (long long)(int64_t)k->u);
    case 'f': {
        double v;
        memcpy(&v, &k->u, sizeof v);
        return bw_buf_printf(out, "%.17g", v);
    }
    case 'b': return bw_buf_addstr(out, k->u ? "true" : "false");
    case 'd': bw_fmt_date((int32_t)(int64_t)k->u, t); return bw_buf_addstr(out, t);
    case 't': bw_fmt_ts((int64_t)k->u, t); return bw_buf_addstr(out, t);
    default: return bw_buf_addstr(out, "null");
    }
}

static int group(char tag)
{
    switch (tag) {
    case 'b': return 0;
    case 'i':
    case 'f': return 1;
    case 'd': return 2;
    case 't': return 3;
    case 's': return 4;
    default: return 5;
    }
}

static double num_of(const bw_vkey *k)
{
    double v;
    if (k->tag == 'i') {
        return (double)(int64_t)k->u;
    }
    memcpy(&v, &k->u, sizeof v);
    return v;
}

int bw_vkey_cmp(const bw_vkey *a, const bw_vkey *b)
{
    int ga = group(a->tag), gb = group(b->tag);
    if (ga != gb) {
        return ga < gb ? -1 : 1;
    }
    switch (ga) {
    case 1: {
        if (a->tag == 'i' && b->tag == 'i') {
            int64_t x = (int64_t)a->u, y = (int64_t)b->u;
            return x < y ? -1 : x > y;
        }
        double x = num_of(a), y = num_of(b);
        return x < y ? -1 : x > y;
    }
    case 4: {
        int c = memcmp(a->p, b->p, BW_MIN(a->n, b->n));
        return c != 0 ? (c < 0 ? -1 : 1) : (a->n < b->n ? -1 : a->n > b->n);
    }
    default: {
        int64_t x = (int64_t)a->u, y = (int64_t)b->u;
        return x < y ? -1 : x > y;
    }
    }
}

size_t bw_vkey_pack(const bw_vkey *k, uint8_t *buf, size_t cap)
{
    buf[0] = (uint8_t)k->tag;
    if (k->tag == 's') {
        size_t n = BW_MIN(k->n, cap - 1);
        if (n > 0) {
            memcpy(buf + 1, k->p, n);
        }
        return n + 1;
    }
    memcpy(buf + 1, &k->u, 8);
    return 9;
}

void bw_vkey_unpack(const uint8_t *p, size_t n, bw_vkey *k)
{
    if (n == 0) {
        bw_vkey_tagged('n', 0, k);
    } else if (p[0] == 's') {
        bw_vkey_str((const char *)p + 1, n - 1, k);
    } else {
        uint64_t u = 0;
        memcpy(&u, p + 1, BW_MIN(n - 1, 8));
        bw_vkey_tagged((char)p[0], u, k);
    }
}

bool bw_vkey_from_json(const json_t *v, bw_vkey *k)
{
    if (json_is_string(v)) {
        bw_vkey_str(json_string_value(v), json_string_length(v), k);
    } else if (json_is_integer(v)) {
        bw_vkey_int((int64_t)json_integer_value(v), k);
    } else if (json_is_real(v)) {
        if (isnan(json_real_value(v))) {
            return false;
        }
        bw_vkey_num(json_real_value(v), k);
    } else if (json_is_boolean(v)) {
        bw_vkey_tagged('b', json_is_true(v), k);
    } else {
        return false;
    }
    return true;
}

/* ---- key tables ---- */

static bool kent_eq(const bw_kset *s, const struct bw_kent *e, const bw_vkey *k)
{
    if (e->h != k->h || e->tag != k->tag) {
        return false;
    }
    if (k->tag == 's') {
        return e->n == k->n && (k->n == 0 || memcmp(s->pool + e->off, k->p, k->n) == 0);
    }
    return e->u == k->u;
}

int32_t bw_kset_find(const bw_kset *s, const bw_vkey *k)
{
    if (s->cap == 0) {
        return -1;
    }
    size_t mask = s->cap - 1;
    for (size_t i = (size_t)k->h & mask;; i = (i + 1) & mask) {
        const struct bw_kent *e = &s->e[i];
        if (e->tag == 0) {
            return -1;
        }
        if (kent_eq(s, e, k)) {
            return e->member;
        }
    }
}

static bw_status kset_grow(bw_kset *s)
{
    size_t cap = s->cap != 0 ? s->cap * 2 : 16;
    struct bw_kent *e = bw_calloc(cap, sizeof *e);
    if (e == NULL) {
        return BW_ENOMEM;
    }
    for (size_t i = 0; i < s->cap; i++) {
        if (s->e[i].tag != 0) {
            size_t j = (size_t)s->e[i].h & (cap - 1);
            while (e[j].tag != 0) {
                j = (j + 1) & (cap - 1);
            }
            e[j] = s->e[i];
        }
    }
    bw_free(s->e);
    s->e = e;
    s->cap = cap;
    return BW_OK;
}

bw_status bw_kset_add(bw_kset *s, const bw_vkey *k, int32_t member, bool *added)
{
    *added = false;
    if ((s->len + 1) * 4 > s->cap * 3) {
        BW_TRY(kset_grow(s));
    }
    size_t mask = s->cap - 1, i = (size_t)k->h & mask;
    for (;; i = (i + 1) & mask) {
        if (s->e[i].tag == 0) {
            break;
        }
        if (kent_eq(s, &s->e[i], k)) {
            return BW_OK;
        }
    }
    struct bw_kent e = {.h = k->h, .u = k->u, .member = member, .tag = k->tag};
    if (k->tag == 's') {
        if (s->pool_len + k->n > s->pool_cap) {
            size_t cap = BW_MAX(s->pool_cap * 2, s->pool_len + k->n + 64);
            char *p = bw_realloc(s->pool, cap);
            if (p == NULL) {
                return BW_ENOMEM;
            }
            s->pool = p;
            s->pool_cap = cap;
        }
        if (k->n > 0) {
            memcpy(s->pool + s->pool_len, k->p, k->n);
        }
        e.off = s->pool_len;
        e.n = k->n;
        s->pool_len += k->n;
    }
    s->e[i] = e;
    s->len++;
    *added = true;
    return BW_OK;
}

bool bw_kset_at(const bw_kset *s, size_t i, bw_vkey *k)
{
    const struct bw_kent *e = &s->e[i];
    if (e->tag == 0) {
        return false;
    }
    k->tag = e->tag;
    k->h = e->h;
    k->u = e->u;
    k->p = e->tag == 's' ? (s->pool != NULL ? s->pool + e->off : "") : NULL;
    k->n = e->n;
    return true;
}

void bw_kset_free(bw_kset *s)
{
    bw_free(s->e);
    bw_free(s->pool);
    memset(s, 0, sizeof *s);
}

bw_status bw_kset_from_json(bw_kset *s, const json_t *set)
{
    size_t i;
    const json_t *v;
    bool added;
    json_array_foreach(set, i, v)
    {
        bw_vkey k;
        if (!bw_vkey_from_json(v, &k)) {
            continue;
        }
        BW_TRY(bw_kset_add(s, &k, (int32_t)i, &added));
        if (k.tag == 's') {
            const char *t = k.p;
            size_t n = k.n;
            int64_t iv;
            double dv;
            bool bv;
            int32_t days;
            if (bw_parse_int64(t, n, &iv)) {
                bw_vkey_int(iv, &k);
                BW_TRY(bw_kset_add(s, &k, (int32_t)i, &added));
            } else if (bw_parse_float64(t, n, &dv) && !isnan(dv)) {
                bw_vkey_num(dv, &k);
                BW_TRY(bw_kset_add(s, &k, (int32_t)i, &added));
            }
            if (bw_parse_bool(t, n, &bv)) {
                bw_vkey_tagged('b', bv, &k);
                BW_TRY(bw_kset_add(s, &k, (int32_t)i, &added));
            }
            if (bw_parse_date(t, n, &days)) {
                bw_vkey_tagged('d', (uint64_t)(int64_t)days, &k);
                BW_TRY(bw_kset_add(s, &k, (int32_t)i, &added));
            }
            if (bw_parse_timestamp(t, n, &iv)) {
                bw_vkey_tagged('t', (uint64_t)iv, &k);
                BW_TRY(bw_kset_add(s, &k, (int32_t)i, &added));
            }
        }
    }
    return BW_OK;
}

/* ---- hash sets ---- */

bw_status bw_hset_add(bw_hset *s, uint64_t h, bool *added)
{
    h += h == 0;
    *added = false;
    if ((s->len + 1) * 4 > s->cap * 3) {
        size_t cap = s->cap != 0 ? s->cap * 2 : 1024;
        uint64_t *t = bw_table_resize(NULL, 0, cap * sizeof *t);
        if (t == NULL) {
            return BW_ENOMEM;
        }
        memset(t, 0, cap * sizeof *t);
        for (size_t i = 0; i < s->cap; i++) {
            if (s->h[i] != 0) {
                size_t j = (size_t)s->h[i] & (cap - 1);
                while (t[j] != 0) {
                    j = (j + 1) & (cap - 1);
                }
                t[j] = s->h[i];
            }
        }
        if (s->h != NULL) {
            bw_table_free(s->h, s->cap * sizeof *s->h);
        }
        s->h = t;
        s->cap = cap;
    }
    size_t mask = s->cap - 1;
    for (size_t i = (size_t)(h ^ (h >> 29)) & mask;; i = (i + 1) & mask) {
        if (s->h[i] == h) {
            return BW_OK;
        }
        if (s->h[i] == 0) {
            s->h[i] = h;
            s->len++;
            *added = true;
            return BW_OK;
        }
    }
}

void bw_hset_free(bw_hset *s)
{
    if (s->h != NULL) {
        bw_table_free(s->h, s->cap * sizeof *s->h);
    }
    memset(s, 0, sizeof *s);
}

bw_status bw_umap_put(bw_umap *m, uint64_t h, uint64_t row, uint64_t **rowflag, bool *added)
{
    h += h == 0;
    *added = false;
    if ((m->len + 1) * 4 > m->cap * 3) {
        size_t cap = m->cap != 0 ? m->cap * 2 : 1024;
        uint64_t *t = bw_table_resize(NULL, 0, cap * 2 * sizeof *t);
        if (t == NULL) {
            return BW_ENOMEM;
        }
        memset(t, 0, cap * 2 * sizeof *t);
        for (size_t i = 0; i < m->cap; i++) {
            uint64_t hh = m->slot[2 * i];
            if (hh != 0) {
                size_t j = (size_t)(hh ^ (hh >> 29)) & (cap - 1);
                while (t[2 * j] != 0) {
                    j = (j + 1) & (cap - 1);
                }
                t[2 * j] = hh;
                t[2 * j + 1] = m->slot[2 * i + 1];
            }
        }
        if (m->slot != NULL) {
            bw_table_free(m->slot, m->cap * 2 * sizeof *m->slot);
        }
        m->slot = t;
        m->cap = cap;
    }
    size_t mask = m->cap - 1;
    for (size_t i = (size_t)(h ^ (h >> 29)) & mask;; i = (i + 1) & mask) {
        if (m->slot[2 * i] == h) {
            *rowflag = &m->slot[2 * i + 1];
            return BW_OK;
        }
        if (m->slot[2 * i] == 0) {
            m->slot[2 * i] = h;
            m->slot[2 * i + 1] = row;
            m->len++;
            *rowflag = &m->slot[2 * i + 1];
            *added = true;
            return BW_OK;
        }
    }
}

void bw_umap_free(bw_umap *m)
{
    if (m->slot != NULL) {
        bw_table_free(m->slot, m->cap * 2 * sizeof *m->slot);
    }
    memset(m, 0, sizeof *m);
}
