/*
 * unique.c - exact duplicate detection past a memory budget.
 *
 * expect_column_values_to_be_unique (and the compound variant) keep a table
 * of hash -> first row while it fits the budget (bw_umap, 16 bytes a distinct
 * value). When the table would outgrow it, its entries and every later value
 * go to one of 256 parts chosen by 8 bits of the hash, so the values of one
 * group (same hash) always meet in one part. A part is a list of chunks in one
 * unlinked temporary file (each part fills a 16 KiB buffer, then appends it).
 * At the end each part is read back and resolved in one pass with a table of
 * its groups; a part too large for the budget is first split again by the
 * next 8 bits into a new file (up to 6 times; past that a part can only hold
 * a few distinct hashes and is streamed through a 1 MiB buffer). Records carry
 * the first bytes of the value as sampled text, so the unexpected values
 * reported are exactly what the in-memory path reports.
 *
 * Memory past the budget: 4 MiB of part buffers, and while resolving one part
 * its bytes (at most a third of the budget) plus its group table (40 bytes a
 * slot, 2 slots a record).
 *
 * A record: hash u64, row u64 (bit 62: an entry of the table as it was when
 * the spill started, bit 63: that entry already repeated), full length u32,
 * kept bytes u16, then the kept bytes. It never straddles two chunks. The
 * temporary file is created unlinked (O_TMPFILE where the file system has
 * it), so nothing is left behind whatever happens.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "data/expect_internal.h"
#include "util/internal.h"

#define PARTS 256
#define PART_BITS 8
#define MAX_DEPTH 7
#define WBUF ((size_t)16 << 10)
#define STREAM_BUF ((size_t)1 << 20)
#define HDR 22u
#define PRE_BIT ((uint64_t)1 << 62)
#define ROW_MASK (PRE_BIT - 1)

struct chunk {
    uint64_t off, len; /* in the set's file */
};

struct part {
    uint8_t *buf;
    size_t len;
    uint64_t bytes, records;
    struct chunk *ch;
    size_t nch, chcap;
};

struct bw_uspill {
    struct part p[PARTS];
    int fd;       /* -1 until the first chunk is written */
    uint64_t end; /* the file's length */
    int depth;
    char *dir;
    size_t budget;
};

static bw_status io_fail(bw_error *err, const char *what, const char *dir)
{
    int e = errno;
    return bw_fail(err, BW_EIO, "unique check: %s a temporary file in %s: %s", what, dir, strerror(e));
}

static bw_status oom(bw_error *err)
{
    return bw_fail(err, BW_ENOMEM, "out of memory");
}

static int temp_fd(const char *dir)
{
    int fd;
#ifdef O_TMPFILE
    fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd >= 0) {
        return fd;
    }
#endif
    char path[4096];
    if (snprintf(path, sizeof path, "%s/bulwark-unique-XXXXXX", dir) >= (int)sizeof path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    fd = mkostemp(path, O_CLOEXEC);
    if (fd >= 0) {
        (void)unlink(path);
    }
    return fd;
}

static void part_release(struct part *pt)
{
    bw_free(pt->buf);
    bw_free(pt->ch);
    memset(pt, 0, sizeof *pt);
}

void bw_uspill_free(bw_uspill *s)
{
    if (s == NULL) {
        return;
    }
    for (size_t i = 0; i < PARTS; i++) {
        part_release(&s->p[i]);
    }
    if (s->fd >= 0) {
        (void)close(s->fd);
    }
    bw_free(s->dir);
    bw_free(s);
}

static bw_status set_new(bw_uspill **out, const char *dir, size_t budget, int depth, bw_error *err)
{
    bw_uspill *s = bw_calloc(1, sizeof *s);
    if (s == NULL) {
        return oom(err);
    }
    s->fd = -1;
    s->depth = depth;
    s->budget = budget;
    s->dir = bw_strdup(dir);
    if (s->dir == NULL) {
        bw_uspill_free(s);
        return oom(err);
    }
    *out = s;
    return BW_OK;
}

static bw_status pwrite_all(int fd, const uint8_t *p, size_t n, uint64_t at, const char *dir, bw_error *err)
{
    while (n > 0) {
        ssize_t w = pwrite(fd, p, n, (off_t)at);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            if (w == 0) {
                errno = ENOSPC;
            }
            return io_fail(err, "cannot write", dir);
        }
        p += w;
        n -= (size_t)w;
        at += (uint64_t)w;
    }
    return BW_OK;
}

static bw_status pread_all(int fd, uint8_t *p, size_t n, uint64_t at, const char *dir, bw_error *err)
{
    while (n > 0) {
        ssize_t g = pread(fd, p, n, (off_t)at);
        if (g < 0 && errno == EINTR) {
            continue;
        }
        if (g <= 0) {
            if (g == 0) {
                errno = EIO;
            }
            return io_fail(err, "cannot read back", dir);
        }
        p += g;
        n -= (size_t)g;
        at += (uint64_t)g;
    }
    return BW_OK;
}

/* Append n bytes to the file as the part's next chunk (merged with its last one when adjacent). */
static bw_status append_chunk(bw_uspill *s, struct part *pt, const uint8_t *p, size_t n, bw_error *err)
{
    if (s->fd < 0 && (s->fd = temp_fd(s->dir)) < 0) {
        return io_fail(err, "cannot create", s->dir);
    }
    BW_TRY(pwrite_all(s->fd, p, n, s->end, s->dir, err));
    if (pt->nch > 0 && pt->ch[pt->nch - 1].off + pt->ch[pt->nch - 1].len == s->end) {
        pt->ch[pt->nch - 1].len += n;
    } else {
        if (pt->nch == pt->chcap) {
            size_t cap = pt->chcap != 0 ? pt->chcap * 2 : 16;
            struct chunk *c = bw_reallocarray(pt->ch, cap, sizeof *c);
            if (c == NULL) {
                return oom(err);
            }
            pt->ch = c;
            pt->chcap = cap;
        }
        pt->ch[pt->nch++] = (struct chunk){s->end, n};
    }
    s->end += n;
    return BW_OK;
}

static bw_status part_flush(bw_uspill *s, struct part *pt, bw_error *err)
{
    if (pt->len == 0) {
        return BW_OK;
    }
    BW_TRY(append_chunk(s, pt, pt->buf, pt->len, err));
    pt->len = 0;
    return BW_OK;
}

static inline size_t part_of(uint64_t h, int depth)
{
    return (size_t)(h >> (64 - PART_BITS * (depth + 1))) & (PARTS - 1);
}

/* Append one encoded record (HDR + k bytes) to its part. */
static bw_status put_rec(bw_uspill *s, uint64_t h, const uint8_t *rec, size_t len, bw_error *err)
{
    struct part *pt = &s->p[part_of(h, s->depth)];
    if (pt->buf == NULL && (pt->buf = bw_malloc(WBUF)) == NULL) {
        return oom(err);
    }
    if (pt->len + len > WBUF) {
        BW_TRY(part_flush(s, pt, err));
    }
    pt->records++;
    pt->bytes += len;
    if (len > WBUF) {
        return append_chunk(s, pt, rec, len, err); /* a chunk of its own */
    }
    memcpy(pt->buf + pt->len, rec, len);
    pt->len += len;
    return BW_OK;
}

static void encode(uint8_t *out, uint64_t h, uint64_t row, uint32_t n, uint16_t k)
{
    memcpy(out, &h, 8);
    memcpy(out + 8, &row, 8);
    memcpy(out + 16, &n, 4);
    memcpy(out + 20, &k, 2);
}

bw_status bw_uspill_add(bw_uspill *s, uint64_t h, uint64_t row, const char *v, size_t k, size_t n, bw_error *err)
{
    h += h == 0;
    k = BW_MIN(k, (size_t)UINT16_MAX);
    uint8_t hdr[HDR];
    encode(hdr, h, row & ROW_MASK, (uint32_t)BW_MIN(n, (size_t)UINT32_MAX), (uint16_t)k);
    struct part *pt = &s->p[part_of(h, s->depth)];
    if (pt->buf != NULL && pt->len + HDR + k <= WBUF) {
        /* the common case: straight into the buffer */
        memcpy(pt->buf + pt->len, hdr, HDR);
        if (k > 0) {
            memcpy(pt->buf + pt->len + HDR, v, k);
        }
        pt->len += HDR + k;
        pt->bytes += HDR + k;
        pt->records++;
        return BW_OK;
    }
    uint8_t *rec = bw_malloc(HDR + k);
    if (rec == NULL) {
        return oom(err);
    }
    memcpy(rec, hdr, HDR);
    if (k > 0) {
        memcpy(rec + HDR, v, k);
    }
    bw_status rc = put_rec(s, h, rec, HDR + k, err);
    bw_free(rec);
    return rc;
}

bw_status bw_uspill_start(bw_uspill **out, const bw_umap *m, const char *dir, size_t budget, bw_error *err)
{
    *out = NULL;
    bw_uspill *s = NULL;
    BW_TRY(set_new(&s, dir, budget, 0, err));
    for (size_t i = 0; i < m->cap; i++) {
        uint64_t h = m->slot[2 * i];
        if (h == 0) {
            continue;
        }
        uint8_t rec[HDR];
        encode(rec, h, m->slot[2 * i + 1] | PRE_BIT, 0, 0);
        bw_status rc = put_rec(s, h, rec, HDR, err);
        if (rc != BW_OK) {
            bw_uspill_free(s);
            return rc;
        }
    }
    *out = s;
    return BW_OK;
}

/* ---- reading back ------------------------------------------------------------------------------- */

struct rec {
    uint64_t h, row;
    uint32_t n;
    uint16_t k;
    const char *v;
};

static inline void decode(const uint8_t *p, struct rec *r)
{
    memcpy(&r->h, p, 8);
    memcpy(&r->row, p + 8, 8);
    memcpy(&r->n, p + 16, 4);
    memcpy(&r->k, p + 20, 2);
    r->v = (const char *)p + HDR;
}

/*
 * The records of one part in order, through a buffer that holds the whole
 * part when it fits. Offsets are positions in the part (its chunks end to
 * end), not in the file.
 */
struct stream {
    const bw_uspill *s;
    const struct part *pt;
    uint8_t *buf;
    size_t cap, have, at;
    uint64_t base; /* part offset of buf[0] */
    size_t ci;     /* the chunk the next read starts in */
    uint64_t cin;  /* and how far into it */
};

static bw_status stream_fill(struct stream *st, bw_error *err)
{
    memmove(st->buf, st->buf + st->at, st->have - st->at);
    st->base += st->at;
    st->have -= st->at;
    st->at = 0;
    while (st->have < st->cap && st->ci < st->pt->nch) {
        const struct chunk *c = &st->pt->ch[st->ci];
        size_t want = (size_t)BW_MIN((uint64_t)(st->cap - st->have), c->len - st->cin);
        BW_TRY(pread_all(st->s->fd, st->buf + st->have, want, c->off + st->cin, st->s->dir, err));
        st->have += want;
        st->cin += want;
        if (st->cin == c->len) {
            st->ci++;
            st->cin = 0;
        }
    }
    return BW_OK;
}

static inline size_t rec_len_at(const struct stream *st)
{
    uint16_t k;
    memcpy(&k, st->buf + st->at + 20, 2);
    return HDR + k;
}

/* The next record (*got false at the end); *off its part offset. */
static bw_status stream_next(struct stream *st, struct rec *r, uint64_t *off, bool *got, bw_error *err)
{
    *got = false;
    if (st->have - st->at < HDR || st->have - st->at < rec_len_at(st)) {
        BW_TRY(stream_fill(st, err));
        if (st->have - st->at < HDR || st->have - st->at < rec_len_at(st)) {
            return BW_OK; /* the end (a torn record cannot happen: records never straddle chunks) */
        }
    }
    decode(st->buf + st->at, r);
    *off = st->base + st->at;
    st->at += HDR + r->k;
    *got = true;
    return BW_OK;
}

/* The record at part offset `off`: from the buffer when it is still there, else read again into scratch. */
static bw_status record_at(struct stream *st, uint64_t off, uint8_t *scratch, struct rec *r, bw_error *err)
{
    if (off >= st->base && off + HDR <= st->base + st->have) {
        decode(st->buf + (off - st->base), r);
        if (off + HDR + r->k <= st->base + st->have) {
            return BW_OK;
        }
    }
    /* find the chunk: records never straddle chunks */
    uint64_t pos = 0;
    for (size_t i = 0; i < st->pt->nch; i++) {
        const struct chunk *c = &st->pt->ch[i];
        if (off < pos + c->len) {
            uint64_t at = c->off + (off - pos);
            BW_TRY(pread_all(st->s->fd, scratch, HDR, at, st->s->dir, err));
            decode(scratch, r);
            BW_TRY(pread_all(st->s->fd, scratch + HDR, r->k, at + HDR, st->s->dir, err));
            r->v = (const char *)scratch + HDR;
            return BW_OK;
        }
        pos += c->len;
    }
    return bw_fail(err, BW_EIO, "unique check: a record past the end of its temporary part");
}

struct group {
    uint64_t h;
    uint64_t row;   /* the table entry's row (pre), else the first row seen */
    uint64_t first; /* part offset of the first record after the spill (it carries the value) */
    uint32_t nnew;  /* records after the spill */
    uint8_t pre;    /* 0 no table entry, 1 an entry not yet repeated, 2 an entry already repeated */
    uint8_t done;   /* `row` was emitted */
};

struct groups {
    struct group *t;
    size_t cap, len; /* cap: the slots in use for this part (a power of two) */
    size_t room;     /* slots allocated, kept from one part to the next */
};

/* Room for a part of `records` records without growing (2 slots a record), cleared. */
static bw_status groups_reset(struct groups *g, uint64_t records, bw_error *err)
{
    size_t cap = 1024;
    while ((uint64_t)cap < 2 * records && cap < ((size_t)1 << 40)) {
        cap *= 2;
    }
    if (cap > g->room) {
        bw_free(g->t);
        g->t = bw_malloc(cap * sizeof *g->t);
        g->room = g->t != NULL ? cap : 0;
        if (g->t == NULL) {
            return oom(err);
        }
    }
    memset(g->t, 0, cap * sizeof *g->t);
    g->cap = cap;
    g->len = 0;
    return BW_OK;
}

static struct group *group_find(struct groups *g, uint64_t h, bool *fresh)
{
    size_t mask = g->cap - 1;
    for (size_t i = (size_t)(h ^ (h >> 31)) & mask;; i = (i + 1) & mask) {
        if (g->t[i].h == h) {
            *fresh = false;
            return &g->t[i];
        }
        if (g->t[i].h == 0) {
            g->t[i].h = h;
            g->len++;
            *fresh = true;
            return &g->t[i];
        }
    }
}

/*
 * Resolve one part in a single pass: every row whose value repeats and that
 * the in-memory table had not counted is emitted once. A part holds the
 * table's entries first (written when the spill started), then later rows;
 * the group table keeps at least half its slots free.
 */
static bw_status resolve(struct stream *st, struct groups *gs, uint8_t *scratch, bw_uspill_emit emit, void *ctx,
                         bw_error *err)
{
    /* a slot pair for every record of a part that fits the buffer; past the last split few distinct hashes remain */
    BW_TRY(groups_reset(gs, BW_MIN(st->pt->records, st->cap / HDR + 1), err));
    for (;;) {
        struct rec r, v = {0};
        uint64_t off;
        bool got, fresh;
        BW_TRY(stream_next(st, &r, &off, &got, err));
        if (!got) {
            return BW_OK;
        }
        if ((gs->len + 1) * 2 > gs->cap) {
            /* cannot happen: a part past the last split shares 56 hash bits, so holds <= 256 distinct */
            return bw_fail(err, BW_EINVAL, "unique check: a temporary part with more groups than expected");
        }
        struct group *e = group_find(gs, r.h, &fresh);
        if (r.row & PRE_BIT) {
            e->row = r.row & ROW_MASK;
            e->pre = (r.row & BW_UMAP_DUP) ? 2 : 1;
            continue;
        }
        uint64_t row = r.row & ROW_MASK;
        if (fresh) {
            e->row = row;
            e->first = off;
            e->nnew = 1;
            continue;
        }
        if (e->nnew++ == 0) {
            e->first = off;
        }
        if (e->pre != 2 && !e->done) {
            /* the group's first row (a table entry or the first later row) is unexpected too, once */
            e->done = 1;
            if (e->pre == 1) {
                BW_TRY(emit(ctx, e->row, r.v, r.k, r.n)); /* the same value */
            } else {
                BW_TRY(record_at(st, e->first, scratch, &v, err));
                BW_TRY(emit(ctx, e->row, v.v, v.k, v.n));
            }
        }
        BW_TRY(emit(ctx, row, r.v, r.k, r.n));
    }
}

static bw_status finish_set(bw_uspill *s, bw_uspill_emit emit, void *ctx, bw_error *err);

/* Split one too-large part into a new set at the next depth, then finish that. */
static bw_status split(bw_uspill *s, struct stream *st, bw_uspill_emit emit, void *ctx, bw_error *err)
{
    bw_uspill *sub = NULL;
    BW_TRY(set_new(&sub, s->dir, s->budget, s->depth + 1, err));
    bw_status rc = BW_OK;
    while (rc == BW_OK) {
        struct rec r;
        uint64_t off;
        bool got;
        if ((rc = stream_next(st, &r, &off, &got, err)) != BW_OK || !got) {
            break;
        }
        rc = put_rec(sub, r.h, st->buf + (off - st->base), HDR + r.k, err);
    }
    if (rc == BW_OK) {
        rc = finish_set(sub, emit, ctx, err);
    }
    bw_uspill_free(sub);
    return rc;
}

static bw_status finish_set(bw_uspill *s, bw_uspill_emit emit, void *ctx, bw_error *err)
{
    uint64_t largest = 0;
    for (size_t i = 0; i < PARTS; i++) {
        BW_TRY(part_flush(s, &s->p[i], err));
        bw_free(s->p[i].buf);
        s->p[i].buf = NULL;
        largest = BW_MAX(largest, s->p[i].bytes);
    }
    /* resolving keeps the part (up to a third of the budget) and 80 bytes a record of group table */
    uint64_t whole = s->budget / 3;
    size_t cap = (size_t)BW_MAX((uint64_t)STREAM_BUF, BW_MIN(largest, whole));
    uint8_t *buf = bw_malloc(cap), *scratch = bw_malloc(HDR + UINT16_MAX);
    struct groups gs = {0};
    bw_status rc = buf != NULL && scratch != NULL ? BW_OK : oom(err);
    for (size_t i = 0; i < PARTS && rc == BW_OK; i++) {
        struct part *pt = &s->p[i];
        if (pt->bytes == 0) {
            continue;
        }
        struct stream st = {.s = s, .pt = pt, .buf = buf, .cap = cap};
        if (pt->bytes > whole && s->depth + 1 < MAX_DEPTH) {
            rc = split(s, &st, emit, ctx, err);
        } else {
            rc = resolve(&st, &gs, scratch, emit, ctx, err);
        }
        part_release(pt);
    }
    bw_free(buf);
    bw_free(scratch);
    bw_free(gs.t);
    if (s->fd >= 0) {
        (void)close(s->fd); /* the file goes with it */
        s->fd = -1;
    }
    return rc;
}

bw_status bw_uspill_finish(bw_uspill *s, bw_uspill_emit emit, void *ctx, bw_error *err)
{
    return finish_set(s, emit, ctx, err);
}

bool bw_umap_at_budget(const bw_umap *m, size_t budget)
{
    return (m->len + 1) * 4 > m->cap * 3 && m->cap * 2 * 2 * sizeof *m->slot > budget;
}
