/*
 * expect_redfa.c - regular expressions as lazily built DFAs: the regex
 * expectations' fast path for ASCII values (expect_internal.h).
 *
 * PCRE2's JIT costs 50 to 200 ns a value on short text, most of it call
 * set-up and backtracking. Most patterns written for data contracts are
 * regular (classes, groups, alternation, counted repeats, ^ and $), so whether
 * they match anywhere in a value is a question a DFA answers in a few
 * instructions a byte. This file parses the regular subset of PCRE2 syntax,
 * builds a Thompson NFA and turns it into a DFA one transition at a time, as
 * the values need them (RE2's approach), capped at DFA_STATES states; past the
 * cap, or for anything outside the subset, the caller keeps PCRE2.
 *
 * Semantics are PCRE2's with default options (what vrun.c compiles with,
 * PCRE2_UTF | PCRE2_UCP) on ASCII subjects only: there \d \w \s and the
 * classes mean their ASCII sets, `.` is any byte but '\n' (newline LF), `^`
 * and \A match at the start, `$` and \Z at the end or before a final '\n'.
 * Existence of a match does not depend on greediness, so lazy quantifiers
 * are accepted. Not accepted (NULL, PCRE2 is used): backreferences,
 * lookaround, atomic groups, possessive quantifiers, \b \B \z \G \p \X \Q,
 * option settings ((?i) ...), POSIX classes, octal and \x{..} escapes,
 * non-ASCII pattern bytes, a '{' that is not a quantifier, repeat counts over
 * REP_MAX, patterns whose NFA passes NFA_NODES nodes. One difference is by
 * design: PCRE2 gives up on pathological backtracking (a match limit, which
 * the engine counts as unexpected) where the DFA answers exactly.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "data/expect_internal.h"

#define AST_NODES 1024
#define NFA_NODES 4096
#define DFA_STATES 2048
#define EAGER_STATES 256             /* a DFA this small is built whole up front: no "built yet?" test a byte */
#define EAGER_WORK ((size_t)1 << 22) /* closure steps the up-front build may take */
#define REP_MAX 1000
#define DEPTH_MAX 64
#define UNK UINT32_MAX

/* ---- parsing ------------------------------------------------------------------------------------- */

enum { A_SET, A_CAT, A_ALT, A_REP, A_CARET, A_DOLLAR, A_EMPTY };

struct ast {
    uint8_t t;
    int a, b;     /* children (CAT, ALT), child (REP) */
    int min, max; /* REP: max -1 is unbounded */
    uint64_t set[2];
};

struct parser {
    const unsigned char *p;
    size_t n, i;
    struct ast *a;
    int na;
    int depth;
    bool bad;
};

static int node(struct parser *ps, uint8_t t, int a, int b)
{
    if (ps->na >= AST_NODES) {
        ps->bad = true;
        return -1;
    }
    struct ast *x = &ps->a[ps->na];
    memset(x, 0, sizeof *x);
    x->t = t;
    x->a = a;
    x->b = b;
    return ps->na++;
}

static void set_add(uint64_t *s, unsigned c)
{
    s[c >> 6] |= (uint64_t)1 << (c & 63);
}

static void set_range(uint64_t *s, unsigned lo, unsigned hi)
{
    for (unsigned c = lo; c <= hi; c++) {
        set_add(s, c);
    }
}

static bool set_has(const uint64_t *s, unsigned c)
{
    return c < 128 && (s[c >> 6] >> (c & 63) & 1);
}

/* \d \w \s and their negations (ASCII: what UCP classes mean on ASCII subjects). */
static bool class_escape(unsigned char c, uint64_t *s)
{
    uint64_t t[2] = {0, 0};
    switch (c | 0x20) {
    case 'd': set_range(t, '0', '9'); break;
    case 'w':
        set_range(t, '0', '9');
        set_range(t, 'A', 'Z');
        set_range(t, 'a', 'z');
        set_add(t, '_');
        break;
    case 's':
        set_range(t, 0x09, 0x0D); /* \t \n \v \f \r */
        set_add(t, ' ');
        break;
    default: return false;
    }
    if (c >= 'A' && c <= 'Z') {
        t[0] = ~t[0];
        t[1] = ~t[1];
    }
    s[0] |= t[0];
    s[1] |= t[1];
    return true;
}

static int hexv(unsigned char c)
{
    return bw_hexval(c);
}

/*
 * One escaped character after '\' at ps->i (consumed): its byte in *c, or a
 * class added to `set` (then *c is -1). False for an unsupported escape.
 */
static bool escape(struct parser *ps, int *c, uint64_t *set)
{
    if (ps->i >= ps->n) {
        return false;
    }
    unsigned char e = ps->p[ps->i++];
    if (class_escape(e, set)) {
        *c = -1;
        return true;
    }
    switch (e) {
    case 't': *c = '\t'; return true;
    case 'n': *c = '\n'; return true;
    case 'r': *c = '\r'; return true;
    case 'f': *c = '\f'; return true;
    case 'e': *c = 0x1B; return true;
    case 'a': *c = 0x07; return true;
    case 'x': {
        if (ps->i + 2 > ps->n || hexv(ps->p[ps->i]) < 0 || hexv(ps->p[ps->i + 1]) < 0) {
            return false;
        }
        int v = hexv(ps->p[ps->i]) * 16 + hexv(ps->p[ps->i + 1]);
        ps->i += 2;
        if (v >= 0x80) {
            return false;
        }
        *c = v;
        return true;
    }
    default: break;
    }
    if (e < 0x80 && !((e >= '0' && e <= '9') || (e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z'))) {
        *c = e; /* an escaped punctuation character, space or control character is itself */
        return true;
    }
    return false;
}

static int parse_class(struct parser *ps)
{
    /* ps->i is past '[' */
    uint64_t s[2] = {0, 0};
    bool neg = false, first = true;
    if (ps->i < ps->n && ps->p[ps->i] == '^') {
        neg = true;
        ps->i++;
    }
    for (;;) {
        if (ps->i >= ps->n) {
            return -1;
        }
        unsigned char c = ps->p[ps->i];
        if (c == ']' && !first) {
            ps->i++;
            break;
        }
        first = false;
        if (c >= 0x80 || (c == '[' && ps->i + 1 < ps->n && strchr(":.=", ps->p[ps->i + 1]) != NULL)) {
            return -1;
        }
        int lo;
        ps->i++;
        if (c == '\\') {
            if (!escape(ps, &lo, s)) {
                return -1;
            }
            if (lo < 0) {
                /* a class escape: a '-' after it must be the last character or a literal PCRE2 may reject */
                if (ps->i + 1 < ps->n && ps->p[ps->i] == '-' && ps->p[ps->i + 1] != ']') {
                    return -1;
                }
                continue;
            }
        } else {
            lo = c;
        }
        int hi = lo;
        if (ps->i + 1 < ps->n && ps->p[ps->i] == '-' && ps->p[ps->i + 1] != ']') {
            ps->i++;
            unsigned char d = ps->p[ps->i++];
            uint64_t dummy[2] = {0, 0};
            if (d >= 0x80 || d == '[') {
                return -1;
            }
            if (d == '\\') {
                if (!escape(ps, &hi, dummy) || hi < 0) {
                    return -1;
                }
            } else {
                hi = d;
            }
            if (hi < lo) {
                return -1;
            }
        }
        set_range(s, (unsigned)lo, (unsigned)hi);
    }
    if (neg) {
        s[0] = ~s[0];
        s[1] = ~s[1];
    }
    int k = node(ps, A_SET, -1, -1);
    if (k >= 0) {
        ps->a[k].set[0] = s[0];
        ps->a[k].set[1] = s[1];
    }
    return k;
}

/* A {n}, {n,} or {n,m} quantifier at ps->i ('{'); false (nothing consumed) when it is not one. */
static bool braces(struct parser *ps, int *min, int *max)
{
    size_t i = ps->i + 1;
    long a = 0, b;
    size_t d = 0;
    while (i < ps->n && ps->p[i] >= '0' && ps->p[i] <= '9' && d < 6) {
        a = a * 10 + (ps->p[i++] - '0');
        d++;
    }
    if (d == 0 || i >= ps->n) {
        return false;
    }
    if (ps->p[i] == '}') {
        b = a;
    } else if (ps->p[i] == ',') {
        i++;
        d = 0;
        b = 0;
        while (i < ps->n && ps->p[i] >= '0' && ps->p[i] <= '9' && d < 6) {
            b = b * 10 + (ps->p[i++] - '0');
            d++;
        }
        if (i >= ps->n || ps->p[i] != '}') {
            return false;
        }
        if (d == 0) {
            b = -1;
        }
    } else {
        return false;
    }
    if (a > REP_MAX || b > REP_MAX || (b >= 0 && b < a)) {
        ps->bad = true; /* PCRE2 rejects b < a; large counts would make a large NFA */
        return false;
    }
    ps->i = i + 1;
    *min = (int)a;
    *max = (int)b;
    return true;
}

static int parse_alt(struct parser *ps);

static int parse_atom(struct parser *ps)
{
    unsigned char c = ps->p[ps->i++];
    int k;
    switch (c) {
    case '(': {
        if (ps->i < ps->n && (ps->p[ps->i] == '?' || ps->p[ps->i] == '*')) {
            if (ps->p[ps->i] == '*' || ps->i + 1 >= ps->n || ps->p[ps->i + 1] != ':') {
                return -1;
            }
            ps->i += 2;
        }
        if (++ps->depth > DEPTH_MAX) {
            return -1;
        }
        k = parse_alt(ps);
        ps->depth--;
        if (k < 0 || ps->i >= ps->n || ps->p[ps->i] != ')') {
            return -1;
        }
        ps->i++;
        return k;
    }
    case '[': return parse_class(ps);
    case '.':
        k = node(ps, A_SET, -1, -1);
        if (k >= 0) {
            ps->a[k].set[0] = ~(uint64_t)0 & ~((uint64_t)1 << '\n');
            ps->a[k].set[1] = ~(uint64_t)0;
        }
        return k;
    case '^': return node(ps, A_CARET, -1, -1);
    case '$': return node(ps, A_DOLLAR, -1, -1);
    case '\\': {
        if (ps->i < ps->n && (ps->p[ps->i] == 'A' || ps->p[ps->i] == 'Z')) {
            return node(ps, ps->p[ps->i++] == 'A' ? A_CARET : A_DOLLAR, -1, -1);
        }
        uint64_t s[2] = {0, 0};
        int e;
        if (!escape(ps, &e, s)) {
            return -1;
        }
        if (e >= 0) {
            set_add(s, (unsigned)e);
        }
        k = node(ps, A_SET, -1, -1);
        if (k >= 0) {
            ps->a[k].set[0] = s[0];
            ps->a[k].set[1] = s[1];
        }
        return k;
    }
    case '{': /* a literal '{' in some PCRE2 versions, a quantifier in others */
    case '*':
    case '+':
    case '?':
    case ')':
    case '|': return -1;
    default:
        if (c >= 0x80) {
            return -1;
        }
        k = node(ps, A_SET, -1, -1);
        if (k >= 0) {
            set_add(ps->a[k].set, c);
        }
        return k;
    }
}

static int parse_cat(struct parser *ps)
{
    int acc = -1;
    while (ps->i < ps->n && ps->p[ps->i] != '|' && ps->p[ps->i] != ')') {
        int k = parse_atom(ps);
        if (k < 0) {
            return -1;
        }
        if (ps->i < ps->n && strchr("*+?{", ps->p[ps->i]) != NULL) {
            if (ps->a[k].t == A_CARET || ps->a[k].t == A_DOLLAR) {
                return -1;
            }
            int min, max;
            unsigned char q = ps->p[ps->i];
            if (q == '{') {
                if (!braces(ps, &min, &max)) {
                    return -1;
                }
            } else {
                ps->i++;
                min = q == '+';
                max = q == '?' ? 1 : -1;
            }
            if (ps->i < ps->n && ps->p[ps->i] == '?') {
                ps->i++; /* lazy: the same set of matches */
            }
            if (ps->i < ps->n && strchr("*+?{", ps->p[ps->i]) != NULL) {
                return -1; /* possessive, or a quantified quantifier */
            }
            int r = node(ps, A_REP, k, -1);
            if (r < 0) {
                return -1;
            }
            ps->a[r].min = min;
            ps->a[r].max = max;
            k = r;
        }
        acc = acc < 0 ? k : node(ps, A_CAT, acc, k);
        if (acc < 0) {
            return -1;
        }
    }
    return acc < 0 ? node(ps, A_EMPTY, -1, -1) : acc;
}

static int parse_alt(struct parser *ps)
{
    int acc = parse_cat(ps);
    while (acc >= 0 && ps->i < ps->n && ps->p[ps->i] == '|') {
        ps->i++;
        int k = parse_cat(ps);
        acc = k < 0 ? -1 : node(ps, A_ALT, acc, k);
    }
    return acc;
}

/* ---- the NFA ------------------------------------------------------------------------------------- */

enum { N_CHAR, N_SPLIT, N_CARET, N_DOLLAR, N_MATCH };

struct nnode {
    uint8_t t;
    int out, out1;
    uint64_t set[2];
};

struct bw_redfa {
    bw_redfa_hot hot; /* what the inline matcher reads (expect_internal.h) */
    struct nnode *nn;
    int nnodes, start;
    uint32_t ncls;      /* byte classes; rows are 1 << hot.shift wide */
    unsigned long work; /* emit calls, against patterns that repeat empty groups */
    size_t steps;       /* closure steps, against a costly up-front build */
    /* byte classes: bytes no CHAR node tells apart share one; bytes >= 0x80 match nothing */
    /* DFA states: sets of NFA nodes (CHAR, blocked DOLLAR, MATCH), sorted */
    uint32_t nstates, scap;
    uint32_t *set_off, *set_len;
    uint16_t *pool;
    size_t pool_len, pool_cap;
    uint32_t *hslot; /* open addressing: state + 1, 0 empty */
    size_t hcap;
    /* closure work */
    uint32_t *mark, gen;
    int *stack;
    uint16_t *tmp;
    size_t ntmp;
};

static int nnew(bw_redfa *d, uint8_t t, int out, int out1)
{
    if (d->nnodes >= NFA_NODES) {
        return -1;
    }
    struct nnode *x = &d->nn[d->nnodes];
    memset(x, 0, sizeof *x);
    x->t = t;
    x->out = out;
    x->out1 = out1;
    return d->nnodes++;
}

/* Nodes for AST node k followed by `next`; the entry node, or -1 when too large. */
static int emit(bw_redfa *d, const struct ast *a, int k, int next, int depth)
{
    if (next < 0 || depth > 4 * DEPTH_MAX + AST_NODES || ++d->work > ((unsigned long)1 << 20)) {
        return -1;
    }
    const struct ast *x = &a[k];
    switch (x->t) {
    case A_SET: {
        int s = nnew(d, N_CHAR, next, -1);
        if (s >= 0) {
            d->nn[s].set[0] = x->set[0];
            d->nn[s].set[1] = x->set[1];
        }
        return s;
    }
    case A_CAT: return emit(d, a, x->a, emit(d, a, x->b, next, depth + 1), depth + 1);
    case A_ALT: {
        int l = emit(d, a, x->a, next, depth + 1), r = emit(d, a, x->b, next, depth + 1);
        return l < 0 || r < 0 ? -1 : nnew(d, N_SPLIT, l, r);
    }
    case A_CARET: return nnew(d, N_CARET, next, -1);
    case A_DOLLAR: return nnew(d, N_DOLLAR, next, -1);
    case A_EMPTY: return next;
    case A_REP: {
        int tail;
        if (x->max < 0) {
            int loop = nnew(d, N_SPLIT, -1, next);
            if (loop < 0) {
                return -1;
            }
            int body = emit(d, a, x->a, loop, depth + 1);
            if (body < 0) {
                return -1;
            }
            d->nn[loop].out = body;
            tail = loop;
        } else {
            tail = next;
            for (int j = 0; j < x->max - x->min && tail >= 0; j++) {
                int body = emit(d, a, x->a, tail, depth + 1);
                tail = body < 0 ? -1 : nnew(d, N_SPLIT, body, next);
            }
        }
        for (int j = 0; j < x->min && tail >= 0; j++) {
            tail = emit(d, a, x->a, tail, depth + 1);
        }
        return tail;
    }
    default: return -1;
    }
}

/* ---- the DFA ------------------------------------------------------------------------------------- */

/* Add the closure of node s to d->tmp: SPLITs followed, CARET passed when `start`, DOLLAR when `end`. */
static void closure(bw_redfa *d, int s, bool start, bool end)
{
    int sp = 0;
    if (d->mark[s] == d->gen) {
        return;
    }
    d->mark[s] = d->gen;
    d->stack[sp++] = s;
    while (sp > 0) {
        int k = d->stack[--sp];
        d->steps++;
        const struct nnode *x = &d->nn[k];
        int nx[2] = {-1, -1};
        switch (x->t) {
        case N_CHAR:
        case N_MATCH: d->tmp[d->ntmp++] = (uint16_t)k; break;
        case N_SPLIT:
            nx[0] = x->out;
            nx[1] = x->out1;
            break;
        case N_CARET:
            if (start) {
                nx[0] = x->out;
            }
            break;
        case N_DOLLAR:
            if (end) {
                nx[0] = x->out;
            } else {
                d->tmp[d->ntmp++] = (uint16_t)k;
            }
            break;
        default: break;
        }
        for (int j = 1; j >= 0; j--) {
            if (nx[j] >= 0 && d->mark[nx[j]] != d->gen) {
                d->mark[nx[j]] = d->gen;
                d->stack[sp++] = nx[j];
            }
        }
    }
}

static bool tmp_has_match(const bw_redfa *d, size_t from)
{
    for (size_t j = from; j < d->ntmp; j++) {
        if (d->nn[d->tmp[j]].t == N_MATCH) {
            return true;
        }
    }
    return false;
}

/*
 * Acceptance flags of the set s[0..n): at the end (DOLLARs pass), and with one
 * '\n' left; `start` when the set is the one at position 0 (CARETs pass too).
 */
static uint8_t accept_of(bw_redfa *d, const uint16_t *s, size_t n, bool start)
{
    uint8_t acc = 0;
    /* T: the set with its DOLLARs passed (position n, or n - 1 before a final '\n') */
    d->gen++;
    d->ntmp = 0;
    for (size_t j = 0; j < n; j++) {
        const struct nnode *x = &d->nn[s[j]];
        if (x->t == N_DOLLAR) {
            closure(d, x->out, start, true);
        } else if (d->mark[s[j]] != d->gen) {
            d->mark[s[j]] = d->gen;
            d->tmp[d->ntmp++] = s[j];
        }
    }
    if (tmp_has_match(d, 0)) {
        return 3;
    }
    size_t nt = d->ntmp;
    /* U: T after the '\n', with the search restarting there too */
    d->gen++;
    for (size_t j = 0; j < nt; j++) {
        const struct nnode *x = &d->nn[d->tmp[j]];
        if (x->t == N_CHAR && set_has(x->set, '\n')) {
            closure(d, x->out, false, true);
        }
    }
    closure(d, d->start, false, true);
    if (tmp_has_match(d, nt)) {
        acc |= 2;
    }
    d->ntmp = 0;
    return acc;
}

static int u16cmp(const void *a, const void *b)
{
    return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

static uint64_t set_hash(const uint16_t *s, size_t n)
{
    return bw_hash64(s, n * sizeof *s, 0x5EED);
}

static bool grow_states(bw_redfa *d)
{
    uint32_t cap = d->scap != 0 ? d->scap * 2 : 16;
    uint32_t *off = bw_reallocarray(d->set_off, cap, sizeof *off);
    if (off == NULL) {
        return false;
    }
    d->set_off = off;
    uint32_t *len = bw_reallocarray(d->set_len, cap, sizeof *len);
    if (len == NULL) {
        return false;
    }
    d->set_len = len;
    uint8_t *acc = bw_reallocarray(d->hot.acc, cap, 1);
    if (acc == NULL) {
        return false;
    }
    d->hot.acc = acc;
    uint32_t *tr = bw_reallocarray(d->hot.trans, (size_t)cap << d->hot.shift, sizeof *tr);
    if (tr == NULL) {
        return false;
    }
    d->hot.trans = tr;
    d->scap = cap;
    /* the hash table: at most half full */
    size_t hcap = (size_t)cap * 2;
    uint32_t *h = bw_calloc(hcap, sizeof *h);
    if (h == NULL) {
        return false;
    }
    for (uint32_t st = 1; st < d->nstates; st++) { /* state 0 (matched) is never looked up */
        size_t at = set_hash(d->pool + d->set_off[st], d->set_len[st]) & (hcap - 1);
        while (h[at] != 0) {
            at = (at + 1) & (hcap - 1);
        }
        h[at] = st + 1;
    }
    bw_free(d->hslot);
    d->hslot = h;
    d->hcap = hcap;
    return true;
}

/* The state of the set in d->tmp[0..ntmp) (sorted here), made when new; UNK past the cap or out of memory. */
static uint32_t intern(bw_redfa *d)
{
    size_t n = d->ntmp;
    uint16_t *s = d->tmp;
    if (tmp_has_match(d, 0)) {
        return 0; /* state 0: matched (absorbing) */
    }
    qsort(s, n, sizeof *s, u16cmp);
    uint64_t h = set_hash(s, n);
    for (size_t at = d->hcap != 0 ? h & (d->hcap - 1) : 0; d->hcap != 0 && d->hslot[at] != 0;
         at = (at + 1) & (d->hcap - 1)) {
        uint32_t st = d->hslot[at] - 1;
        if (d->set_len[st] == n && memcmp(d->pool + d->set_off[st], s, n * sizeof *s) == 0) {
            return st;
        }
    }
    if (d->nstates >= DFA_STATES || (d->nstates == d->scap && !grow_states(d))) {
        return UNK;
    }
    if (d->pool_len + n > d->pool_cap) {
        size_t cap = BW_MAX(d->pool_cap * 2, d->pool_len + n + 64);
        uint16_t *p = bw_reallocarray(d->pool, cap, sizeof *p);
        if (p == NULL) {
            return UNK;
        }
        d->pool = p;
        d->pool_cap = cap;
    }
    uint32_t st = d->nstates;
    memcpy(d->pool + d->pool_len, s, n * sizeof *s);
    d->set_off[st] = (uint32_t)d->pool_len;
    d->set_len[st] = (uint32_t)n;
    d->pool_len += n;
    for (uint32_t c = 0; c < ((uint32_t)1 << d->hot.shift); c++) {
        d->hot.trans[((size_t)st << d->hot.shift) + c] = UNK;
    }
    size_t at = h & (d->hcap - 1);
    while (d->hslot[at] != 0) {
        at = (at + 1) & (d->hcap - 1);
    }
    d->hslot[at] = st + 1;
    d->nstates++;
    d->hot.acc[st] = accept_of(d, d->pool + d->set_off[st], n, false);
    return st;
}

/* Compute the transition of state st on byte c's class; the target's row offset, or UNK (gave up). */
static uint32_t build(bw_redfa *d, uint32_t st, unsigned char c)
{
    if (d->hot.gave_up) {
        return UNK;
    }
    d->gen++;
    d->ntmp = 0;
    const uint16_t *s = d->pool + d->set_off[st];
    for (uint32_t j = 0; j < d->set_len[st]; j++) {
        const struct nnode *x = &d->nn[s[j]];
        if (x->t == N_CHAR && set_has(x->set, c)) {
            closure(d, x->out, false, false);
        }
    }
    closure(d, d->start, false, false); /* a match may start at any position */
    uint32_t to = intern(d);
    if (to == UNK) {
        d->hot.gave_up = true;
        return UNK;
    }
    to <<= d->hot.shift;
    d->hot.trans[((size_t)st << d->hot.shift) + d->hot.cls[c]] = to;
    return to;
}

static bool pcre2_newline_lf(void)
{
    uint32_t nl = 0;
    return pcre2_config(PCRE2_CONFIG_NEWLINE, &nl) >= 0 && nl == PCRE2_NEWLINE_LF;
}

bw_redfa *bw_redfa_new(const char *pat, size_t n)
{
    return bw_redfa_new_any(&pat, &n, 1);
}

bw_redfa *bw_redfa_new_any(const char *const *pats, const size_t *lens, size_t npat)
{
    if (!pcre2_newline_lf() || npat == 0) {
        return NULL; /* `.` and `$` would mean something else */
    }
    struct parser ps = {0};
    ps.a = bw_calloc(AST_NODES, sizeof *ps.a);
    bw_redfa *d = bw_calloc(1, sizeof *d);
    if (ps.a == NULL || d == NULL) {
        goto fail;
    }
    /* each pattern parsed on its own, then their alternation: a match of any one */
    int root = -1;
    for (size_t j = 0; j < npat; j++) {
        ps.p = (const unsigned char *)pats[j];
        ps.n = lens[j];
        ps.i = 0;
        ps.depth = 0;
        int r = parse_alt(&ps);
        if (r < 0 || ps.bad || ps.i != ps.n) {
            goto fail;
        }
        root = root < 0 ? r : node(&ps, A_ALT, root, r);
        if (root < 0) {
            goto fail;
        }
    }
    /* one class, unanchored, once or more (X, X+, X{1,n}): "some byte is in the set", no DFA walk needed */
    const struct ast *ra = &ps.a[root];
    if (ra->t == A_SET || (ra->t == A_REP && ra->min == 1 && ps.a[ra->a].t == A_SET)) {
        const uint64_t *set = ra->t == A_SET ? ra->set : ps.a[ra->a].set;
        for (unsigned c = 0; c < 128; c++) {
            d->hot.inset[c] = set_has(set, c);
        }
        d->hot.set_only = true;
    }
    d->nn = bw_calloc(NFA_NODES, sizeof *d->nn);
    if (d->nn == NULL) {
        goto fail;
    }
    int m = nnew(d, N_MATCH, -1, -1);
    d->start = emit(d, ps.a, root, m, 0);
    if (d->start < 0) {
        goto fail;
    }
    /* byte classes: refine "all ASCII alike" by every CHAR node's set */
    uint8_t cls[128] = {0};
    uint32_t ncls = 1;
    for (int k = 0; k < d->nnodes; k++) {
        if (d->nn[k].t != N_CHAR) {
            continue;
        }
        int16_t remap[256][2];
        memset(remap, -1, sizeof remap);
        uint32_t nn = 0;
        for (unsigned c = 0; c < 128; c++) {
            int in = set_has(d->nn[k].set, c);
            if (remap[cls[c]][in] < 0) {
                remap[cls[c]][in] = (int16_t)nn++;
            }
            cls[c] = (uint8_t)remap[cls[c]][in];
        }
        ncls = nn;
    }
    for (unsigned c = 0; c < 256; c++) {
        d->hot.cls[c] = c < 128 ? cls[c] : (uint8_t)ncls; /* all of 0x80..0xFF: one class that matches nothing */
    }
    d->ncls = ncls + 1;
    while (((uint32_t)1 << d->hot.shift) < d->ncls) {
        d->hot.shift++;
    }
    d->mark = bw_calloc((size_t)d->nnodes, sizeof *d->mark);
    d->stack = bw_calloc((size_t)d->nnodes, sizeof *d->stack);
    d->tmp = bw_calloc((size_t)d->nnodes * 2 + 2, sizeof *d->tmp);
    if (d->mark == NULL || d->stack == NULL || d->tmp == NULL) {
        goto fail;
    }
    /* state 0: matched, absorbing */
    d->ntmp = 0;
    d->tmp[d->ntmp++] = (uint16_t)m;
    if (d->nstates == d->scap && !grow_states(d)) {
        goto fail;
    }
    d->set_off[0] = 0;
    d->set_len[0] = 0;
    d->hot.acc[0] = 3;
    for (uint32_t c = 0; c < ((uint32_t)1 << d->hot.shift); c++) {
        d->hot.trans[c] = 0;
    }
    d->nstates = 1;
    /* the start: the closure with '^' passing */
    d->gen++;
    d->ntmp = 0;
    closure(d, d->start, true, false);
    d->hot.s0 = intern(d);
    if (d->hot.s0 == UNK) {
        goto fail;
    }
    d->hot.acc0 = d->hot.s0 == 0 ? 3 : accept_of(d, d->pool + d->set_off[d->hot.s0], d->set_len[d->hot.s0], true);
    d->hot.s0 <<= d->hot.shift;
    /* small DFAs whole: every state on a byte of every class, breadth first */
    d->steps = 0;
    bool whole = true;
    for (uint32_t st = 0; st < d->nstates && whole; st++) {
        for (unsigned c = 0; c < 256 && whole; c++) {
            if (d->hot.trans[((size_t)st << d->hot.shift) + d->hot.cls[c]] != UNK) {
                continue;
            }
            if (d->nstates >= EAGER_STATES || d->steps > EAGER_WORK || build(d, st, (unsigned char)c) == UNK) {
                whole = false;
            }
        }
    }
    /* whole and small: a 16-bit copy of the table (half the cache lines) */
    if (whole && !d->hot.gave_up && ((size_t)d->nstates << d->hot.shift) <= 65536) {
        size_t cells = (size_t)d->nstates << d->hot.shift;
        d->hot.t16 = bw_calloc(cells, sizeof *d->hot.t16);
        if (d->hot.t16 == NULL) {
            goto fail;
        }
        for (size_t k = 0; k < cells; k++) {
            /* padding cells past ncls are never read; they stay 0 */
            d->hot.t16[k] = d->hot.trans[k] == UNK ? 0 : (uint16_t)d->hot.trans[k];
        }
    }
    bw_free(ps.a);
    return d;
fail:
    bw_free(ps.a);
    bw_redfa_free(d);
    return NULL;
}

void bw_redfa_free(bw_redfa *d)
{
    if (d == NULL) {
        return;
    }
    bw_free(d->nn);
    bw_free(d->set_off);
    bw_free(d->set_len);
    bw_free(d->pool);
    bw_free(d->hslot);
    bw_free(d->hot.trans);
    bw_free(d->hot.t16);
    bw_free(d->hot.acc);
    bw_free(d->mark);
    bw_free(d->stack);
    bw_free(d->tmp);
    bw_free(d);
}

uint32_t bw_redfa_step(bw_redfa *d, uint32_t st, unsigned char c)
{
    return build(d, st >> d->hot.shift, c);
}
