/*
 * lineage.c - the lineage graph of a ledger (bw_lineage.h): artifacts and
 * stage runs, input -> run -> output edges, gates and approvals attached.
 *
 * Building is one pass over the entries in index order. Every entry is read
 * with jansson and only the members this module understands are taken; a
 * member of the wrong type makes the entry "skipped", never an error, since
 * the ledger checked the entry model at append and a newer writer may add
 * things. Memory per node is bounded: at most BW_LINEAGE_MAX_NAMES names,
 * MAX_ALIASES digests and BW_LINEAGE_MAX_TEXT bytes per string; edges live
 * in one array, sorted, deduplicated and turned into CSR tables (producers
 * and consumers per artifact, inputs and outputs per run) by finish(), which
 * runs once before the first query after the last add.
 *
 * Invariants: art/run ids are indexes into g->arts/g->runs; every alias maps
 * to exactly one artifact; runs, gates and recorded artifact entries are in
 * increasing entry order (binary search resolves approval targets).
 *
 * Queries walk with visited bitmaps and explicit stacks/queues (no recursion),
 * so a 100,000-run chain or a cycle costs each node once. The text tree caps
 * its indentation (MAX_INDENT levels) so deep chains do not print
 * quadratically many bytes.
 */
#include <jansson.h>
#include <string.h>

#include "bulwark/bw_json.h"
#include "bulwark/bw_lineage.h"
#include "util/internal.h"

#define MAX_ALIASES 8
#define MAX_NODES ((size_t)1 << 31)
#define MAX_INDENT 32
#define TEXT_MAX_ATTACHED 20 /* gates + approvals shown per node in the text tree */
#define NONE UINT32_MAX
#define NO_ENTRY UINT64_MAX

struct art {
    char *key;    /* "alg:hex" of the primary digest (sha256 when known) */
    char **names; /* grown up to BW_LINEAGE_MAX_NAMES; most contents have one name */
    uint32_t n_names, cap_names, more_names;
    uint32_t alias[MAX_ALIASES];
    uint32_t n_alias;
    char *media_type;
    uint64_t size;  /* NO_ENTRY: unknown */
    uint64_t entry; /* first artifact entry that recorded it, NO_ENTRY if none */
};

struct run {
    char *stage, *run_id, *actor, *when;
    int64_t exit_status;
    bool has_exit;
    uint64_t entry;
};

struct gate {
    uint64_t entry;
    uint32_t art;
    char *check, *verdict, *actor, *time;
};

enum { T_NONE = 0, T_ART = 1, T_RUN = 2 };

struct appr {
    uint64_t entry;
    uint64_t target_idx; /* NO_ENTRY when the target is a digest */
    uint32_t node;       /* resolved at finish */
    uint8_t type;        /* T_ART, T_RUN, T_NONE (unresolved) */
    uint64_t via_gate;   /* the gate entry approved, or NO_ENTRY */
    char *decision, *reason, *actor, *time;
};

struct alias {
    char *k;
    uint32_t art;
};

struct edge {
    uint32_t run, art;
    uint8_t out; /* 0 input, 1 output */
};

struct rec { /* an artifact entry: index -> node, for approvals naming an entry */
    uint64_t entry;
    uint32_t art;
};

struct csr {
    uint32_t *off; /* n + 1 */
    uint32_t *v;
};

struct bw_lineage {
    struct art *arts;
    size_t n_arts, cap_arts;
    struct run *runs;
    size_t n_runs, cap_runs;
    struct gate *gates;
    size_t n_gates, cap_gates;
    struct appr *apprs;
    size_t n_apprs, cap_apprs;
    struct rec *recs;
    size_t n_recs, cap_recs;
    struct edge *edges;
    size_t n_edges, cap_edges;
    struct alias *aliases;
    size_t n_aliases, cap_aliases;
    uint32_t *slots; /* open addressing over aliases: index + 1, 0 empty */
    size_t n_slots;
    uint64_t last_index;
    bool any;
    size_t skipped;
    /* built by finish() */
    bool ready;
    struct csr prod, cons, ins, outs, art_gates, art_apprs, run_apprs;
};

/* ---- small helpers ------------------------------------------------------------------------------------ */

static bw_status grow(void **p, size_t *cap, size_t n, size_t size)
{
    if (n < *cap) {
        return BW_OK;
    }
    size_t nc = *cap ? *cap * 2 : 64;
    void *q = bw_reallocarray(*p, nc, size);
    if (q == NULL) {
        return BW_ENOMEM;
    }
    *p = q;
    *cap = nc;
    return BW_OK;
}
#define GROW(arr, n, cap) grow((void **)&(arr), &(cap), (n), sizeof(*(arr)))

/* A copy of at most BW_LINEAGE_MAX_TEXT bytes, cut at a UTF-8 character boundary. */
static char *text_dup(const char *s, size_t n)
{
    if (n > BW_LINEAGE_MAX_TEXT) {
        n = BW_LINEAGE_MAX_TEXT;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80) {
            n--;
        }
    }
    return bw_strndup(s, n);
}

static const char *jstr(const json_t *o, const char *k, size_t *n)
{
    const json_t *v = json_object_get(o, k);
    if (!json_is_string(v)) {
        return NULL;
    }
    *n = json_string_length(v);
    return json_string_value(v);
}

/* Duplicate member k when it is a string; *ok false when it is present and not one. */
static bw_status take_str(const json_t *o, const char *k, char **out, bool *ok)
{
    const json_t *v = json_object_get(o, k);
    *out = NULL;
    if (v == NULL || json_is_null(v)) {
        return BW_OK;
    }
    if (!json_is_string(v)) {
        *ok = false;
        return BW_OK;
    }
    *out = text_dup(json_string_value(v), json_string_length(v));
    return *out != NULL ? BW_OK : BW_ENOMEM;
}

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s != '\0'; s++) {
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    }
    return h ^ (h >> 29);
}

static uint32_t alias_find(const bw_lineage *g, const char *k)
{
    if (g->n_slots == 0) {
        return NONE;
    }
    for (size_t i = hash_str(k) & (g->n_slots - 1);; i = (i + 1) & (g->n_slots - 1)) {
        uint32_t s = g->slots[i];
        if (s == 0) {
            return NONE;
        }
        if (strcmp(g->aliases[s - 1].k, k) == 0) {
            return s - 1;
        }
    }
}

static void slot_put(uint32_t *slots, size_t n_slots, const char *k, uint32_t v)
{
    size_t i = hash_str(k) & (n_slots - 1);
    while (slots[i] != 0) {
        i = (i + 1) & (n_slots - 1);
    }
    slots[i] = v + 1;
}

/* Add alias k (owned on success) for art; the table stays under half full. */
static bw_status alias_add(bw_lineage *g, char *k, uint32_t art)
{
    if (g->n_aliases >= MAX_NODES) {
        return BW_ELIMIT;
    }
    BW_TRY(GROW(g->aliases, g->n_aliases, g->cap_aliases));
    if ((g->n_aliases + 1) * 2 > g->n_slots) {
        size_t ns = g->n_slots ? g->n_slots * 2 : 1024;
        uint32_t *s = bw_calloc(ns, sizeof(*s));
        if (s == NULL) {
            return BW_ENOMEM;
        }
        for (size_t i = 0; i < g->n_aliases; i++) {
            slot_put(s, ns, g->aliases[i].k, (uint32_t)i);
        }
        bw_free(g->slots);
        g->slots = s;
        g->n_slots = ns;
    }
    g->aliases[g->n_aliases].k = k;
    g->aliases[g->n_aliases].art = art;
    slot_put(g->slots, g->n_slots, k, (uint32_t)g->n_aliases);
    g->n_aliases++;
    return BW_OK;
}

static bool alg_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 31) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) {
            return false;
        }
    }
    return true;
}

static bool hex_ok(const char *s, size_t n)
{
    if (n < 8 || n > 128) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) {
            return false;
        }
    }
    return true;
}

/*
 * The artifact node of a digest set (a JSON object alg -> hex), made when none of its digests is
 * known; digests the node lacks become its aliases. *out NONE when the set has no usable digest.
 */
static bw_status art_of(bw_lineage *g, const json_t *set, uint32_t *out)
{
    char keys[MAX_ALIASES][BW_LINEAGE_MAX_TEXT / 16];
    size_t nk = 0, primary = 0;
    bool have_sha = false;
    const char *alg;
    json_t *v;
    uint32_t art = NONE;

    *out = NONE;
    if (!json_is_object(set)) {
        return BW_OK;
    }
    json_object_foreach((json_t *)set, alg, v)
    {
        const char *hex = json_string_value(v);
        if (nk == MAX_ALIASES || hex == NULL || !alg_ok(alg) || !hex_ok(hex, json_string_length(v))) {
            continue;
        }
        snprintf(keys[nk], sizeof(keys[nk]), "%s:%s", alg, hex);
        if (!have_sha && strcmp(alg, "sha256") == 0) {
            have_sha = true;
            primary = nk;
        }
        nk++;
    }
    if (nk == 0) {
        return BW_OK;
    }
    for (size_t i = 0; i < nk && art == NONE; i++) {
        uint32_t a = alias_find(g, keys[i]);
        if (a != NONE) {
            art = g->aliases[a].art;
        }
    }
    if (art == NONE) {
        struct art *a;
        if (g->n_arts >= MAX_NODES) {
            return BW_ELIMIT;
        }
        BW_TRY(GROW(g->arts, g->n_arts, g->cap_arts));
        a = &g->arts[g->n_arts];
        memset(a, 0, sizeof(*a));
        a->size = NO_ENTRY;
        a->entry = NO_ENTRY;
        if ((a->key = bw_strdup(keys[primary])) == NULL) {
            return BW_ENOMEM;
        }
        art = (uint32_t)g->n_arts++;
    }
    for (size_t i = 0; i < nk; i++) {
        struct art *a = &g->arts[art];
        char *k;
        bool same_alg = false;
        size_t alen = (size_t)(strchr(keys[i], ':') - keys[i]) + 1;
        for (uint32_t q = 0; q < a->n_alias; q++) {
            same_alg = same_alg || strncmp(g->aliases[a->alias[q]].k, keys[i], alen) == 0;
        }
        if (same_alg || alias_find(g, keys[i]) != NONE || a->n_alias == MAX_ALIASES) {
            continue; /* one digest per algorithm: a second one would be another content */
        }
        if ((k = bw_strdup(keys[i])) == NULL) {
            return BW_ENOMEM;
        }
        if (alias_add(g, k, art) != BW_OK) {
            bw_free(k);
            return BW_ENOMEM;
        }
        a->alias[a->n_alias++] = (uint32_t)(g->n_aliases - 1);
        if (i == primary && have_sha && strncmp(a->key, "sha256:", 7) != 0) {
            char *nkey = bw_strdup(keys[i]); /* a SHA-256 learnt later becomes the key */
            if (nkey == NULL) {
                return BW_ENOMEM;
            }
            bw_free(a->key);
            a->key = nkey;
        }
    }
    *out = art;
    return BW_OK;
}

static bw_status art_name(bw_lineage *g, uint32_t art, const char *s, size_t n)
{
    struct art *a = &g->arts[art];
    size_t cut = n;

    if (s == NULL || n == 0) {
        return BW_OK;
    }
    if (cut > BW_LINEAGE_MAX_TEXT) { /* compared as text_dup keeps it */
        cut = BW_LINEAGE_MAX_TEXT;
        while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80) {
            cut--;
        }
    }
    for (uint32_t i = 0; i < a->n_names; i++) {
        if (strlen(a->names[i]) == cut && memcmp(a->names[i], s, cut) == 0) {
            return BW_OK;
        }
    }
    if (a->n_names == BW_LINEAGE_MAX_NAMES) {
        a->more_names++;
        return BW_OK;
    }
    if (a->n_names == a->cap_names) {
        uint32_t nc = a->cap_names ? BW_MIN(a->cap_names * 2, BW_LINEAGE_MAX_NAMES) : 1;
        char **nn = bw_reallocarray(a->names, nc, sizeof(*nn));
        if (nn == NULL) {
            return BW_ENOMEM;
        }
        a->names = nn;
        a->cap_names = nc;
    }
    a->names[a->n_names] = text_dup(s, n);
    if (a->names[a->n_names] == NULL) {
        return BW_ENOMEM;
    }
    a->n_names++;
    return BW_OK;
}

static void run_release(struct run *r)
{
    bw_free(r->stage);
    bw_free(r->run_id);
    bw_free(r->actor);
    bw_free(r->when);
}

/* ---- adding entries --------------------------------------------------------------------------------- */

static bw_status add_artifact(bw_lineage *g, uint64_t index, const json_t *e, bool *ok)
{
    uint32_t art;
    size_t n = 0;
    const char *name = jstr(e, "name", &n);
    const json_t *sz = json_object_get(e, "size"), *mt = json_object_get(e, "media_type");

    BW_TRY(art_of(g, json_object_get(e, "digest"), &art));
    if (art == NONE) {
        *ok = false;
        return BW_OK;
    }
    BW_TRY(art_name(g, art, name, n));
    if (json_is_integer(sz) && json_integer_value(sz) >= 0) {
        g->arts[art].size = (uint64_t)json_integer_value(sz);
    }
    if (json_is_string(mt)) {
        char *m = text_dup(json_string_value(mt), json_string_length(mt));
        if (m == NULL) {
            return BW_ENOMEM;
        }
        bw_free(g->arts[art].media_type);
        g->arts[art].media_type = m;
    }
    if (g->arts[art].entry == NO_ENTRY) {
        g->arts[art].entry = index;
    }
    BW_TRY(GROW(g->recs, g->n_recs, g->cap_recs));
    g->recs[g->n_recs].entry = index;
    g->recs[g->n_recs++].art = art;
    return BW_OK;
}

static bw_status add_refs(bw_lineage *g, uint32_t run, const json_t *list, uint8_t out, bool *ok)
{
    size_t i;
    json_t *r;

    if (list == NULL) {
        return BW_OK;
    }
    if (!json_is_array(list)) {
        *ok = false;
        return BW_OK;
    }
    json_array_foreach(list, i, r)
    {
        uint32_t art;
        size_t n = 0;
        const char *name = jstr(r, "name", &n);
        const json_t *sz = json_object_get(r, "size");
        BW_TRY(art_of(g, json_object_get(r, "digest"), &art));
        if (art == NONE) {
            *ok = false;
            continue;
        }
        BW_TRY(art_name(g, art, name, n));
        if (g->arts[art].size == NO_ENTRY && json_is_integer(sz) && json_integer_value(sz) >= 0) {
            g->arts[art].size = (uint64_t)json_integer_value(sz);
        }
        if (g->n_edges >= MAX_NODES) {
            return BW_ELIMIT;
        }
        BW_TRY(GROW(g->edges, g->n_edges, g->cap_edges));
        g->edges[g->n_edges].run = run;
        g->edges[g->n_edges].art = art;
        g->edges[g->n_edges++].out = out;
    }
    return BW_OK;
}

static bw_status add_run(bw_lineage *g, uint64_t index, const json_t *e, bool *ok)
{
    struct run r;
    const json_t *x = json_object_get(e, "exit_status");
    bw_status rc;
    uint32_t id;

    memset(&r, 0, sizeof(r));
    r.entry = index;
    if (g->n_runs >= MAX_NODES) {
        return BW_ELIMIT;
    }
    if ((rc = take_str(e, "stage", &r.stage, ok)) != BW_OK || (rc = take_str(e, "run_id", &r.run_id, ok)) != BW_OK ||
        (rc = take_str(e, "actor", &r.actor, ok)) != BW_OK) {
        run_release(&r);
        return rc;
    }
    /* when it happened: the end, else the start, else the entry's time */
    rc = take_str(e, "ended", &r.when, ok);
    if (rc == BW_OK && r.when == NULL) {
        rc = take_str(e, "started", &r.when, ok);
    }
    if (rc == BW_OK && r.when == NULL) {
        rc = take_str(e, "time", &r.when, ok);
    }
    if (rc == BW_OK) {
        rc = GROW(g->runs, g->n_runs, g->cap_runs);
    }
    if (rc != BW_OK) {
        run_release(&r);
        return rc;
    }
    if (json_is_integer(x)) {
        r.exit_status = json_integer_value(x);
        r.has_exit = true;
    }
    id = (uint32_t)g->n_runs;
    g->runs[g->n_runs++] = r;
    BW_TRY(add_refs(g, id, json_object_get(e, "inputs"), 0, ok));
    return add_refs(g, id, json_object_get(e, "outputs"), 1, ok);
}

static bw_status add_gate(bw_lineage *g, uint64_t index, const json_t *e, bool *ok)
{
    struct gate gt;
    uint32_t art;
    bw_status rc;

    BW_TRY(art_of(g, json_object_get(e, "subject"), &art));
    if (art == NONE) {
        return BW_OK; /* a gate about no artifact (or a null subject): not part of the graph */
    }
    memset(&gt, 0, sizeof(gt));
    gt.entry = index;
    gt.art = art;
    if ((rc = GROW(g->gates, g->n_gates, g->cap_gates)) != BW_OK || (rc = take_str(e, "check", &gt.check, ok)) ||
        (rc = take_str(e, "verdict", &gt.verdict, ok)) || (rc = take_str(e, "actor", &gt.actor, ok)) ||
        (rc = take_str(e, "time", &gt.time, ok))) {
        bw_free(gt.check);
        bw_free(gt.verdict);
        bw_free(gt.actor);
        bw_free(gt.time);
        return rc;
    }
    g->gates[g->n_gates++] = gt;
    return BW_OK;
}

static void appr_release(struct appr *a)
{
    bw_free(a->decision);
    bw_free(a->reason);
    bw_free(a->actor);
    bw_free(a->time);
}

static bw_status add_approval(bw_lineage *g, uint64_t index, const json_t *e, bool *ok)
{
    struct appr a;
    const json_t *t = json_object_get(e, "target");
    bw_status rc;

    memset(&a, 0, sizeof(a));
    a.entry = index;
    a.target_idx = NO_ENTRY;
    a.via_gate = NO_ENTRY;
    a.node = NONE;
    if (json_is_integer(t) && json_integer_value(t) >= 0) {
        a.target_idx = (uint64_t)json_integer_value(t);
    } else {
        BW_TRY(art_of(g, t, &a.node));
        if (a.node == NONE) {
            *ok = false;
            return BW_OK;
        }
        a.type = T_ART;
    }
    if ((rc = GROW(g->apprs, g->n_apprs, g->cap_apprs)) != BW_OK ||
        (rc = take_str(e, "decision", &a.decision, ok)) != BW_OK || (rc = take_str(e, "reason", &a.reason, ok)) ||
        (rc = take_str(e, "actor", &a.actor, ok)) || (rc = take_str(e, "time", &a.time, ok))) {
        appr_release(&a);
        return rc;
    }
    g->apprs[g->n_apprs++] = a;
    return BW_OK;
}

bw_status bw_lineage_add(bw_lineage *g, uint64_t index, const void *body, size_t n, bw_error *err)
{
    json_t *e;
    const char *kind;
    bool ok = true;
    bw_status rc = BW_OK;

    if (g == NULL || (body == NULL && n > 0)) {
        return bw_fail(err, BW_EINVAL, "lineage: no graph or no entry");
    }
    if (g->any && index <= g->last_index) {
        return bw_fail(err, BW_EINVAL, "lineage: entry %llu comes after entry %llu", (unsigned long long)index,
                       (unsigned long long)g->last_index);
    }
    g->any = true;
    g->last_index = index;
    e = json_loadb(body, n, JSON_REJECT_DUPLICATES, NULL);
    kind = json_string_value(json_object_get(e, "kind"));
    if (e == NULL || kind == NULL) {
        g->skipped++;
        json_decref(e);
        return BW_OK;
    }
    g->ready = false;
    if (strcmp(kind, "artifact") == 0) {
        rc = add_artifact(g, index, e, &ok);
    } else if (strcmp(kind, "stage_run") == 0) {
        rc = add_run(g, index, e, &ok);
    } else if (strcmp(kind, "gate") == 0) {
        rc = add_gate(g, index, e, &ok);
    } else if (strcmp(kind, "approval") == 0) {
        rc = add_approval(g, index, e, &ok);
    }
    json_decref(e);
    if (!ok) {
        g->skipped++;
    }
    if (rc != BW_OK) {
        return bw_fail(err, rc, "lineage: entry %llu: %s", (unsigned long long)index, bw_strerror(rc));
    }
    return BW_OK;
}

bw_status bw_lineage_new(bw_lineage **out, bw_error *err)
{
    *out = bw_calloc(1, sizeof(**out));
    return *out != NULL ? BW_OK : bw_fail(err, BW_ENOMEM, "out of memory");
}

static void csr_free(struct csr *c)
{
    BW_FREE(c->off);
    BW_FREE(c->v);
}

static void csrs_free(bw_lineage *g)
{
    csr_free(&g->prod);
    csr_free(&g->cons);
    csr_free(&g->ins);
    csr_free(&g->outs);
    csr_free(&g->art_gates);
    csr_free(&g->art_apprs);
    csr_free(&g->run_apprs);
}

void bw_lineage_free(bw_lineage *g)
{
    if (g == NULL) {
        return;
    }
    for (size_t i = 0; i < g->n_arts; i++) {
        bw_free(g->arts[i].key);
        bw_free(g->arts[i].media_type);
        for (uint32_t k = 0; k < g->arts[i].n_names; k++) {
            bw_free(g->arts[i].names[k]);
        }
        bw_free(g->arts[i].names);
    }
    for (size_t i = 0; i < g->n_runs; i++) {
        run_release(&g->runs[i]);
    }
    for (size_t i = 0; i < g->n_gates; i++) {
        bw_free(g->gates[i].check);
        bw_free(g->gates[i].verdict);
        bw_free(g->gates[i].actor);
        bw_free(g->gates[i].time);
    }
    for (size_t i = 0; i < g->n_apprs; i++) {
        appr_release(&g->apprs[i]);
    }
    for (size_t i = 0; i < g->n_aliases; i++) {
        bw_free(g->aliases[i].k);
    }
    bw_free(g->arts);
    bw_free(g->runs);
    bw_free(g->gates);
    bw_free(g->apprs);
    bw_free(g->recs);
    bw_free(g->edges);
    bw_free(g->aliases);
    bw_free(g->slots);
    csrs_free(g);
    bw_free(g);
}

struct build_ctx {
    bw_lineage *g;
    bw_error *err;
    bw_status rc;
};

static int build_one(void *ud, const bw_ledger_entry *e)
{
    struct build_ctx *c = ud;
    if (strcmp(e->kind, "key") == 0) {
        return 0; /* key events are not lineage: not even parsed */
    }
    c->rc = bw_lineage_add(c->g, e->index, e->body.ptr, e->body.len, c->err);
    return c->rc != BW_OK;
}

bw_status bw_lineage_build(bw_lineage **out, bw_ledger *l, bw_error *err)
{
    struct build_ctx c = {NULL, err, BW_OK};
    bw_status rc;

    *out = NULL;
    BW_TRY(bw_lineage_new(&c.g, err));
    rc = bw_ledger_each(l, 0, build_one, &c, err);
    if (rc == BW_ECANCELED) {
        rc = c.rc;
    }
    if (rc != BW_OK) {
        bw_lineage_free(c.g);
        return rc;
    }
    *out = c.g;
    return BW_OK;
}

/* ---- finish: sort and deduplicate edges, CSR tables, approval targets --------------------------------- */

static int edge_cmp(const void *a, const void *b)
{
    const struct edge *x = a, *y = b;
    if (x->run != y->run) {
        return x->run < y->run ? -1 : 1;
    }
    if (x->out != y->out) {
        return x->out < y->out ? -1 : 1;
    }
    return x->art < y->art ? -1 : x->art > y->art;
}

/* CSR of n rows from pairs (row[i], val[i]) given by a callback, in the pairs' order. */
typedef bool (*pair_fn)(const bw_lineage *g, size_t i, uint32_t *row, uint32_t *val);

static bw_status csr_build(const bw_lineage *g, size_t n_rows, size_t n_pairs, pair_fn f, struct csr *c)
{
    uint32_t row, val;
    c->off = bw_calloc(n_rows + 1, sizeof(*c->off));
    c->v = bw_calloc(n_pairs ? n_pairs : 1, sizeof(*c->v));
    if (c->off == NULL || c->v == NULL) {
        return BW_ENOMEM;
    }
    for (size_t i = 0; i < n_pairs; i++) {
        if (f(g, i, &row, &val)) {
            c->off[row + 1]++;
        }
    }
    for (size_t r = 0; r < n_rows; r++) {
        c->off[r + 1] += c->off[r];
    }
    uint32_t *fill = bw_calloc(n_rows + 1, sizeof(*fill));
    if (fill == NULL) {
        return BW_ENOMEM;
    }
    for (size_t i = 0; i < n_pairs; i++) {
        if (f(g, i, &row, &val)) {
            c->v[c->off[row] + fill[row]++] = val;
        }
    }
    bw_free(fill);
    return BW_OK;
}

static bool p_prod(const bw_lineage *g, size_t i, uint32_t *row, uint32_t *val)
{
    *row = g->edges[i].art;
    *val = g->edges[i].run;
    return g->edges[i].out == 1;
}
static bool p_cons(const bw_lineage *g, size_t i, uint32_t *row, uint32_t *val)
{
    *row = g->edges[i].art;
    *val = g->edges[i].run;
    return g->edges[i].out == 0;
}
static bool p_ins(const bw_lineage *g, size_t i, uint32_t *row, uint32_t *val)
{
    *row = g->edges[i].run;
    *val = g->edges[i].art;
    return g->edges[i].out == 0;
}
static bool p_outs(const bw_lineage *g, size_t i, uint32_t *row, uint32_t *val)
{
    *row = g->edges[i].run;
    *val = g->edges[i].art;
    return g->edges[i].out == 1;
}
static bool p_gates(const bw_lineage *g, size_t i, uint32_t *row, uint32_t *val)
{
    *row = g->gates[i].art;
    *val = (uint32_t)i;
    return true;
}
static bool p_art_apprs(const bw_lineage *g, size_t i, uint32_t *row, uint32_t *val)
{
    *row = g->apprs[i].node;
    *val = (uint32_t)i;
    return g->apprs[i].type == T_ART;
}
static bool p_run_apprs(const bw_lineage *g, size_t i, uint32_t *row, uint32_t *val)
{
    *row = g->apprs[i].node;
    *val = (uint32_t)i;
    return g->apprs[i].type == T_RUN;
}

/* Binary search over records in entry order: the position of `entry`, or n. */
#define FIND_ENTRY(arr, n, key, out)                                                                                   \
    do {                                                                                                               \
        size_t lo_ = 0, hi_ = (n);                                                                                     \
        (out) = (n);                                                                                                   \
        while (lo_ < hi_) {                                                                                            \
            size_t mid_ = lo_ + (hi_ - lo_) / 2;                                                                       \
            if ((arr)[mid_].entry == (key)) {                                                                          \
                (out) = mid_;                                                                                          \
                break;                                                                                                 \
            }                                                                                                          \
            if ((arr)[mid_].entry < (key)) {                                                                           \
                lo_ = mid_ + 1;                                                                                        \
            } else {                                                                                                   \
                hi_ = mid_;                                                                                            \
            }                                                                                                          \
        }                                                                                                              \
    } while (0)

static bw_status finish(bw_lineage *g, bw_error *err)
{
    size_t w = 0;
    bw_status rc;

    if (g->ready) {
        return BW_OK;
    }
    csrs_free(g);
    if (g->n_edges > 1) {
        qsort(g->edges, g->n_edges, sizeof(*g->edges), edge_cmp);
    }
    for (size_t i = 0; i < g->n_edges; i++) {
        if (w == 0 || edge_cmp(&g->edges[w - 1], &g->edges[i]) != 0) {
            g->edges[w++] = g->edges[i];
        }
    }
    g->n_edges = w;
    for (size_t i = 0; i < g->n_apprs; i++) {
        struct appr *a = &g->apprs[i];
        size_t p;
        if (a->target_idx == NO_ENTRY) {
            continue;
        }
        a->type = T_NONE;
        FIND_ENTRY(g->recs, g->n_recs, a->target_idx, p);
        if (p < g->n_recs) {
            a->type = T_ART;
            a->node = g->recs[p].art;
            continue;
        }
        FIND_ENTRY(g->gates, g->n_gates, a->target_idx, p);
        if (p < g->n_gates) {
            a->type = T_ART;
            a->node = g->gates[p].art;
            a->via_gate = g->gates[p].entry;
            continue;
        }
        FIND_ENTRY(g->runs, g->n_runs, a->target_idx, p);
        if (p < g->n_runs) {
            a->type = T_RUN;
            a->node = (uint32_t)p;
        }
    }
    if ((rc = csr_build(g, g->n_arts, g->n_edges, p_prod, &g->prod)) != BW_OK ||
        (rc = csr_build(g, g->n_arts, g->n_edges, p_cons, &g->cons)) != BW_OK ||
        (rc = csr_build(g, g->n_runs, g->n_edges, p_ins, &g->ins)) != BW_OK ||
        (rc = csr_build(g, g->n_runs, g->n_edges, p_outs, &g->outs)) != BW_OK ||
        (rc = csr_build(g, g->n_arts, g->n_gates, p_gates, &g->art_gates)) != BW_OK ||
        (rc = csr_build(g, g->n_arts, g->n_apprs, p_art_apprs, &g->art_apprs)) != BW_OK ||
        (rc = csr_build(g, g->n_runs, g->n_apprs, p_run_apprs, &g->run_apprs)) != BW_OK) {
        csrs_free(g);
        return bw_fail(err, rc, "lineage: out of memory");
    }
    g->ready = true;
    return BW_OK;
}

void bw_lineage_stats_get(bw_lineage *g, bw_lineage_stats *out)
{
    memset(out, 0, sizeof(*out));
    if (finish(g, NULL) != BW_OK) {
        return;
    }
    out->artifacts = g->n_arts;
    out->runs = g->n_runs;
    out->edges = g->n_edges;
    out->gates = g->n_gates;
    out->approvals = g->n_apprs;
    out->skipped = g->skipped;
}

/* ---- lookups ------------------------------------------------------------------------------------------ */

bw_status bw_lineage_find_digest(bw_lineage *g, const char *digest, uint32_t *out)
{
    char k[BW_LINEAGE_MAX_TEXT / 16];
    size_t n = strlen(digest);
    const char *colon = strchr(digest, ':');
    uint32_t a;

    if (n >= sizeof(k) || colon == NULL) {
        return BW_ENOTFOUND;
    }
    for (size_t i = 0; i <= n; i++) { /* hex in either case; the algorithm name as written */
        char c = digest[i];
        k[i] = digest + i > colon && c >= 'A' && c <= 'F' ? (char)(c - 'A' + 'a') : c;
    }
    a = alias_find(g, k);
    if (a == NONE) {
        return BW_ENOTFOUND;
    }
    *out = g->aliases[a].art;
    return BW_OK;
}

void bw_lineage_find_digest_prefix(bw_lineage *g, const char *prefix, uint32_t *ids, size_t cap, size_t *n)
{
    char k[BW_LINEAGE_MAX_TEXT / 16];
    size_t len = strlen(prefix);
    const char *colon = strchr(prefix, ':');
    uint32_t last = NONE;

    *n = 0;
    if (len >= sizeof(k) || colon == NULL || colon[1] == '\0') {
        return;
    }
    for (size_t i = 0; i <= len; i++) {
        char c = prefix[i];
        k[i] = prefix + i > colon && c >= 'A' && c <= 'F' ? (char)(c - 'A' + 'a') : c;
    }
    /* a node with several digests matching is counted once (exactly while ids[] holds them all) */
    for (size_t i = 0; i < g->n_aliases; i++) {
        uint32_t art = g->aliases[i].art;
        if (strncmp(g->aliases[i].k, k, len) != 0 || art == last) {
            continue;
        }
        bool seen = false;
        for (size_t j = 0; j < *n && j < cap; j++) {
            seen |= ids[j] == art;
        }
        if (seen) {
            continue;
        }
        if (*n < cap) {
            ids[*n] = art;
        }
        (*n)++;
        last = art;
    }
}

void bw_lineage_find_name(bw_lineage *g, const char *name, uint32_t *ids, size_t cap, size_t *n)
{
    *n = 0;
    for (size_t i = 0; i < g->n_arts; i++) {
        for (uint32_t k = 0; k < g->arts[i].n_names; k++) {
            if (strcmp(g->arts[i].names[k], name) == 0) {
                if (*n < cap) {
                    ids[*n] = (uint32_t)i;
                }
                (*n)++;
                break;
            }
        }
    }
}

void bw_lineage_producers(bw_lineage *g, uint32_t id, uint64_t *entries, size_t cap, size_t *n)
{
    *n = 0;
    if (id >= g->n_arts || finish(g, NULL) != BW_OK) {
        return;
    }
    for (uint32_t k = g->prod.off[id]; k < g->prod.off[id + 1]; k++) {
        if (*n < cap) {
            entries[*n] = g->runs[g->prod.v[k]].entry;
        }
        (*n)++;
    }
}

bw_status bw_lineage_find_run(bw_lineage *g, const char *stage, const char *run_id, uint64_t *entry)
{
    for (size_t i = 0; i < g->n_runs; i++) {
        const struct run *r = &g->runs[i];
        if (r->stage != NULL && r->run_id != NULL && strcmp(r->stage, stage) == 0 && strcmp(r->run_id, run_id) == 0) {
            *entry = r->entry;
            return BW_OK;
        }
    }
    return BW_ENOTFOUND;
}

const char *bw_lineage_key(bw_lineage *g, uint32_t id)
{
    return id < g->n_arts ? g->arts[id].key : NULL;
}

/* ---- escaping ----------------------------------------------------------------------------------------- */

/* One UTF-8 character at s[0..n): its code point and length; -1 for an invalid sequence. */
static long utf8_one(const unsigned char *s, size_t n, size_t *len)
{
    long c;
    size_t k;
    if (s[0] < 0x80) {
        *len = 1;
        return s[0];
    }
    if ((s[0] & 0xE0) == 0xC0) {
        c = s[0] & 0x1F;
        k = 2;
    } else if ((s[0] & 0xF0) == 0xE0) {
        c = s[0] & 0x0F;
        k = 3;
    } else if ((s[0] & 0xF8) == 0xF0) {
        c = s[0] & 0x07;
        k = 4;
    } else {
        *len = 1;
        return -1;
    }
    if (k > n) {
        *len = 1;
        return -1;
    }
    for (size_t i = 1; i < k; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            *len = 1;
            return -1;
        }
        c = c << 6 | (s[i] & 0x3F);
    }
    if ((k == 2 && c < 0x80) || (k == 3 && c < 0x800) || (k == 4 && (c < 0x10000 || c > 0x10FFFF)) ||
        (c >= 0xD800 && c <= 0xDFFF)) {
        *len = 1;
        return -1;
    }
    *len = k;
    return c;
}

/* Characters that reorder or hide text on a terminal (Trojan Source) besides C0/C1 controls. */
static bool invisible(long c)
{
    return (c >= 0x80 && c <= 0x9F) || c == 0x061C || c == 0x200E || c == 0x200F || (c >= 0x2028 && c <= 0x202E) ||
           (c >= 0x2066 && c <= 0x2069) || c == 0xFEFF;
}

/*
 * Text for a terminal: backslash as \\, \n \r \t, other control bytes as \xNN, invalid UTF-8
 * bytes as \xNN, line separators and bidirectional controls as \u{XXXX}. The result holds no
 * control character and reads back unambiguously.
 */
static void esc_text(bw_buf *b, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);

    while (n > 0) {
        size_t len;
        long c = utf8_one(p, n, &len);
        if (c == '\\') {
            bw_buf_addstr(b, "\\\\");
        } else if (c == '\n') {
            bw_buf_addstr(b, "\\n");
        } else if (c == '\r') {
            bw_buf_addstr(b, "\\r");
        } else if (c == '\t') {
            bw_buf_addstr(b, "\\t");
        } else if (c < 0 || c < 0x20 || c == 0x7F) {
            bw_buf_printf(b, "\\x%02x", p[0]);
        } else if (invisible(c)) {
            bw_buf_printf(b, "\\u{%04lx}", c);
        } else {
            bw_buf_add(b, p, len);
        }
        p += len;
        n -= len;
    }
}

/* Inside a DOT double-quoted string: the text form, then backslash and quote escaped. */
static void esc_dot(bw_buf *b, bw_buf *tmp, const char *s)
{
    bw_buf_reset(tmp);
    esc_text(tmp, s);
    for (size_t i = 0; tmp->ptr != NULL && i < tmp->len; i++) {
        char c = tmp->ptr[i];
        if (c == '\\' || c == '"') {
            bw_buf_addc(b, '\\');
        }
        bw_buf_addc(b, c);
    }
}

/* Inside a Mermaid "quoted" label: the text form, then every character Mermaid or HTML gives a
   meaning to as an entity code (#34; for a quote, as Mermaid's docs show). */
static void esc_mermaid(bw_buf *b, bw_buf *tmp, const char *s)
{
    bw_buf_reset(tmp);
    esc_text(tmp, s);
    for (size_t i = 0; tmp->ptr != NULL && i < tmp->len; i++) {
        unsigned char c = (unsigned char)tmp->ptr[i];
        if (c != '\0' && strchr("\"#&<>[](){}|`'\\;%", c) != NULL) {
            bw_buf_printf(b, "#%u;", c);
        } else {
            bw_buf_addc(b, (char)c);
        }
    }
}

/* ---- queries ------------------------------------------------------------------------------------------ */

static const char *art_label(const struct art *a)
{
    return a->n_names > 0 ? a->names[0] : "(unnamed)";
}

/* "sha256:" and 12 hex digits. */
static void short_key(bw_buf *b, const char *key)
{
    const char *colon = strchr(key, ':');
    size_t pre = colon != NULL ? (size_t)(colon - key) + 1 : 0;
    size_t n = strlen(key);
    bw_buf_add(b, key, n < pre + 12 ? n : pre + 12);
}

struct sel { /* what a graph-format query reached */
    uint8_t *art_in, *run_in;
    uint8_t *art_root;
    struct edge *edges;
    size_t n_edges, cap_edges;
};

static bw_status sel_edge(struct sel *s, uint32_t run, uint32_t art, uint8_t out)
{
    BW_TRY(GROW(s->edges, s->n_edges, s->cap_edges));
    s->edges[s->n_edges].run = run;
    s->edges[s->n_edges].art = art;
    s->edges[s->n_edges++].out = out;
    return BW_OK;
}

/* Breadth-first from the roots in one direction (shortest hop counts, so the depth limit is exact). */
static bw_status bfs(bw_lineage *g, const bw_lineage_query *q, bool up, struct sel *s)
{
    uint32_t *queue = bw_malloc((g->n_arts ? g->n_arts : 1) * sizeof(*queue));
    uint32_t *dist = bw_malloc((g->n_arts ? g->n_arts : 1) * sizeof(*dist));
    uint8_t *run_seen = bw_calloc(g->n_runs ? g->n_runs : 1, 1);
    size_t head = 0, tail = 0;
    bw_status rc = BW_OK;
    const struct csr *a2r = up ? &g->prod : &g->cons, *r2a = up ? &g->ins : &g->outs;

    if (queue == NULL || dist == NULL || run_seen == NULL) {
        rc = BW_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < g->n_arts; i++) {
        dist[i] = NONE;
    }
    for (size_t i = 0; i < q->n_roots; i++) {
        if (dist[q->roots[i]] == NONE) {
            dist[q->roots[i]] = 0;
            queue[tail++] = q->roots[i];
        }
    }
    while (head < tail && rc == BW_OK) {
        uint32_t a = queue[head++];
        s->art_in[a] = 1;
        if (dist[a] >= q->depth) {
            continue;
        }
        for (uint32_t k = a2r->off[a]; k < a2r->off[a + 1] && rc == BW_OK; k++) {
            uint32_t r = a2r->v[k];
            s->run_in[r] = 1;
            rc = sel_edge(s, r, a, up ? 1 : 0);
            if (run_seen[r]) {
                continue;
            }
            run_seen[r] = 1;
            for (uint32_t m = r2a->off[r]; m < r2a->off[r + 1] && rc == BW_OK; m++) {
                uint32_t b = r2a->v[m];
                rc = sel_edge(s, r, b, up ? 0 : 1);
                if (dist[b] == NONE) {
                    dist[b] = dist[a] + 1;
                    queue[tail++] = b;
                }
            }
        }
    }
out:
    bw_free(queue);
    bw_free(dist);
    bw_free(run_seen);
    return rc;
}

struct keyed {
    const char *key;
    uint32_t id;
};

static int keyed_cmp(const void *a, const void *b)
{
    const struct keyed *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c != 0 ? c : (x->id > y->id) - (x->id < y->id);
}

static void json_gates(bw_lineage *g, bw_json *j, uint32_t a)
{
    bw_json_key(j, "gates");
    bw_json_arr_begin(j);
    for (uint32_t k = g->art_gates.off[a]; k < g->art_gates.off[a + 1]; k++) {
        const struct gate *gt = &g->gates[g->art_gates.v[k]];
        bw_json_obj_begin(j);
        bw_json_key(j, "entry");
        bw_json_uint(j, gt->entry);
        bw_json_kv_str(j, "check", gt->check);
        bw_json_kv_str(j, "verdict", gt->verdict);
        bw_json_kv_str(j, "actor", gt->actor);
        bw_json_kv_str(j, "time", gt->time);
        bw_json_obj_end(j);
    }
    bw_json_arr_end(j);
}

static void json_apprs(bw_lineage *g, bw_json *j, const struct csr *c, uint32_t node)
{
    bw_json_key(j, "approvals");
    bw_json_arr_begin(j);
    for (uint32_t k = c->off[node]; k < c->off[node + 1]; k++) {
        const struct appr *a = &g->apprs[c->v[k]];
        bw_json_obj_begin(j);
        bw_json_key(j, "entry");
        bw_json_uint(j, a->entry);
        if (a->target_idx != NO_ENTRY) {
            bw_json_key(j, "target_entry");
            bw_json_uint(j, a->target_idx);
        }
        bw_json_kv_str(j, "decision", a->decision);
        bw_json_kv_str(j, "reason", a->reason);
        bw_json_kv_str(j, "actor", a->actor);
        bw_json_kv_str(j, "time", a->time);
        bw_json_obj_end(j);
    }
    bw_json_arr_end(j);
}

static bool art_failed(const bw_lineage *g, uint32_t a)
{
    for (uint32_t k = g->art_gates.off[a]; k < g->art_gates.off[a + 1]; k++) {
        const char *v = g->gates[g->art_gates.v[k]].verdict;
        if (v != NULL && strcmp(v, "fail") == 0) {
            return true;
        }
    }
    return false;
}

static void run_text(bw_buf *b, const struct run *r)
{
    esc_text(b, r->stage != NULL ? r->stage : "(no stage)");
    bw_buf_addstr(b, "  run ");
    esc_text(b, r->run_id != NULL ? r->run_id : "-");
    if (r->has_exit) {
        bw_buf_printf(b, "  exit %lld", (long long)r->exit_status);
    }
    if (r->when != NULL) {
        bw_buf_addstr(b, "  ");
        esc_text(b, r->when);
    }
}

static void art_text(bw_buf *b, const struct art *a)
{
    esc_text(b, art_label(a));
    bw_buf_addstr(b, "  ");
    short_key(b, a->key);
    if (a->n_names > 1 || a->more_names > 0) {
        bw_buf_addstr(b, "  (also ");
        for (uint32_t k = 1; k < a->n_names; k++) {
            if (k > 1) {
                bw_buf_addstr(b, ", ");
            }
            esc_text(b, a->names[k]);
        }
        if (a->more_names > 0) {
            bw_buf_printf(b, "%s+%u more", a->n_names > 1 ? ", " : "", a->more_names);
        }
        bw_buf_addc(b, ')');
    }
}

/* Graph formats: JSON, DOT, Mermaid, over the selection. */
static bw_status write_graph(bw_lineage *g, const bw_lineage_query *q, bw_buf *out)
{
    struct sel s;
    uint32_t *arts = NULL, *art_no = NULL, *run_no = NULL;
    size_t na = 0, nr = 0, w = 0;
    bw_buf tmp = BW_BUF_INIT(1 << 20);
    bw_status rc = BW_ENOMEM;

    memset(&s, 0, sizeof(s));
    s.art_in = bw_calloc(g->n_arts + 1, 1);
    s.art_root = bw_calloc(g->n_arts + 1, 1);
    s.run_in = bw_calloc(g->n_runs + 1, 1);
    arts = bw_calloc(g->n_arts + 1, sizeof(*arts));
    art_no = bw_calloc(g->n_arts + 1, sizeof(*art_no));
    run_no = bw_calloc(g->n_runs + 1, sizeof(*run_no));
    if (s.art_in == NULL || s.art_root == NULL || s.run_in == NULL || arts == NULL || art_no == NULL ||
        run_no == NULL) {
        goto out;
    }
    for (size_t i = 0; i < q->n_roots; i++) {
        s.art_root[q->roots[i]] = 1;
    }
    if ((q->dir & BW_LINEAGE_UPSTREAM) && (rc = bfs(g, q, true, &s)) != BW_OK) {
        goto out;
    }
    if ((q->dir & BW_LINEAGE_DOWNSTREAM) && (rc = bfs(g, q, false, &s)) != BW_OK) {
        goto out;
    }
    if (s.n_edges > 1) {
        qsort(s.edges, s.n_edges, sizeof(*s.edges), edge_cmp);
    }
    for (size_t i = 0; i < s.n_edges; i++) {
        if (w == 0 || edge_cmp(&s.edges[w - 1], &s.edges[i]) != 0) {
            s.edges[w++] = s.edges[i];
        }
    }
    s.n_edges = w;
    for (size_t i = 0; i < g->n_arts; i++) {
        if (s.art_in[i]) {
            arts[na++] = (uint32_t)i;
        }
    }
    if (na > 1) {
        struct keyed *ks = bw_malloc(na * sizeof(*ks));
        if (ks == NULL) {
            rc = BW_ENOMEM;
            goto out;
        }
        for (size_t i = 0; i < na; i++) {
            ks[i].key = g->arts[arts[i]].key;
            ks[i].id = arts[i];
        }
        qsort(ks, na, sizeof(*ks), keyed_cmp);
        for (size_t i = 0; i < na; i++) {
            arts[i] = ks[i].id;
        }
        bw_free(ks);
    }
    for (size_t i = 0; i < na; i++) {
        art_no[arts[i]] = (uint32_t)i;
    }
    for (size_t i = 0; i < g->n_runs; i++) {
        if (s.run_in[i]) {
            run_no[i] = (uint32_t)nr++;
        }
    }
    rc = BW_OK;
    if (q->format == BW_LINEAGE_JSON) {
        bw_json j;
        bw_json_init(&j, out, 1);
        bw_json_obj_begin(&j);
        bw_json_kv_str(&j, "direction",
                       q->dir == BW_LINEAGE_BOTH       ? "both"
                       : q->dir == BW_LINEAGE_UPSTREAM ? "upstream"
                                                       : "downstream");
        bw_json_key(&j, "depth");
        if (q->depth == BW_LINEAGE_DEPTH_ALL) {
            bw_json_null(&j);
        } else {
            bw_json_uint(&j, q->depth);
        }
        bw_json_key(&j, "roots");
        bw_json_arr_begin(&j);
        for (size_t i = 0; i < na; i++) {
            if (s.art_root[arts[i]]) {
                char id[24];
                snprintf(id, sizeof(id), "a%zu", i);
                bw_json_str(&j, id);
            }
        }
        bw_json_arr_end(&j);
        bw_json_key(&j, "nodes");
        bw_json_arr_begin(&j);
        for (size_t i = 0; i < na; i++) {
            const struct art *a = &g->arts[arts[i]];
            char id[24];
            snprintf(id, sizeof(id), "a%zu", i);
            bw_json_obj_begin(&j);
            bw_json_kv_str(&j, "id", id);
            bw_json_kv_str(&j, "type", "artifact");
            bw_json_kv_str(&j, "key", a->key);
            bw_json_key(&j, "digests");
            bw_json_obj_begin(&j);
            for (uint32_t k = 0; k < a->n_alias; k++) {
                const char *ak = g->aliases[a->alias[k]].k, *colon = strchr(ak, ':');
                char alg[40];
                snprintf(alg, sizeof(alg), "%.*s", (int)(colon - ak), ak);
                bw_json_kv_str(&j, alg, colon + 1);
            }
            bw_json_obj_end(&j);
            bw_json_key(&j, "names");
            bw_json_arr_begin(&j);
            for (uint32_t k = 0; k < a->n_names; k++) {
                bw_json_str(&j, a->names[k]);
            }
            bw_json_arr_end(&j);
            if (a->more_names > 0) {
                bw_json_key(&j, "more_names");
                bw_json_uint(&j, a->more_names);
            }
            bw_json_kv_str(&j, "media_type", a->media_type);
            bw_json_key(&j, "size");
            if (a->size == NO_ENTRY) {
                bw_json_null(&j);
            } else {
                bw_json_uint(&j, a->size);
            }
            bw_json_key(&j, "entry");
            if (a->entry == NO_ENTRY) {
                bw_json_null(&j);
            } else {
                bw_json_uint(&j, a->entry);
            }
            json_gates(g, &j, arts[i]);
            json_apprs(g, &j, &g->art_apprs, arts[i]);
            bw_json_obj_end(&j);
        }
        for (size_t i = 0; i < g->n_runs; i++) {
            const struct run *r = &g->runs[i];
            char id[24];
            if (!s.run_in[i]) {
                continue;
            }
            snprintf(id, sizeof(id), "r%u", run_no[i]);
            bw_json_obj_begin(&j);
            bw_json_kv_str(&j, "id", id);
            bw_json_kv_str(&j, "type", "stage_run");
            bw_json_key(&j, "entry");
            bw_json_uint(&j, r->entry);
            bw_json_kv_str(&j, "stage", r->stage);
            bw_json_kv_str(&j, "run_id", r->run_id);
            bw_json_key(&j, "exit_status");
            if (r->has_exit) {
                bw_json_int(&j, r->exit_status);
            } else {
                bw_json_null(&j);
            }
            bw_json_kv_str(&j, "time", r->when);
            bw_json_kv_str(&j, "actor", r->actor);
            json_apprs(g, &j, &g->run_apprs, (uint32_t)i);
            bw_json_obj_end(&j);
        }
        bw_json_arr_end(&j);
        bw_json_key(&j, "edges");
        bw_json_arr_begin(&j);
        for (size_t i = 0; i < s.n_edges; i++) {
            const struct edge *e = &s.edges[i];
            char a[24], r[24];
            snprintf(a, sizeof(a), "a%u", art_no[e->art]);
            snprintf(r, sizeof(r), "r%u", run_no[e->run]);
            bw_json_obj_begin(&j);
            bw_json_kv_str(&j, "from", e->out ? r : a);
            bw_json_kv_str(&j, "to", e->out ? a : r);
            bw_json_kv_str(&j, "kind", e->out ? "output" : "input");
            bw_json_obj_end(&j);
        }
        bw_json_arr_end(&j);
        bw_json_obj_end(&j);
        rc = bw_json_finish(&j);
        bw_buf_addc(out, '\n');
    } else if (q->format == BW_LINEAGE_DOT) {
        bw_buf_addstr(out, "digraph lineage {\n  rankdir=LR;\n  node [fontname=\"Helvetica\", fontsize=10];\n");
        for (size_t i = 0; i < na; i++) {
            const struct art *a = &g->arts[arts[i]];
            bw_buf_printf(out, "  a%zu [shape=box, label=\"", i);
            esc_dot(out, &tmp, art_label(a));
            bw_buf_addstr(out, "\\n");
            short_key(out, a->key);
            for (uint32_t k = g->art_gates.off[arts[i]]; k < g->art_gates.off[arts[i] + 1] && k < 4; k++) {
                const struct gate *gt = &g->gates[g->art_gates.v[k]];
                bw_buf_addstr(out, "\\ngate ");
                esc_dot(out, &tmp, gt->check != NULL ? gt->check : "-");
                bw_buf_addstr(out, ": ");
                esc_dot(out, &tmp, gt->verdict != NULL ? gt->verdict : "-");
            }
            bw_buf_addc(out, '"');
            if (s.art_root[arts[i]]) {
                bw_buf_addstr(out, ", penwidth=3");
            }
            if (art_failed(g, arts[i])) {
                bw_buf_addstr(out, ", color=red");
            }
            bw_buf_addstr(out, "];\n");
        }
        for (size_t i = 0; i < g->n_runs; i++) {
            const struct run *r = &g->runs[i];
            if (!s.run_in[i]) {
                continue;
            }
            bw_buf_printf(out, "  r%u [shape=ellipse, style=filled, fillcolor=\"%s\", label=\"", run_no[i],
                          r->has_exit && r->exit_status != 0 ? "#f4cccc" : "#e8eef7");
            esc_dot(out, &tmp, r->stage != NULL ? r->stage : "(no stage)");
            bw_buf_addstr(out, "\\nrun ");
            esc_dot(out, &tmp, r->run_id != NULL ? r->run_id : "-");
            if (r->has_exit) {
                bw_buf_printf(out, ", exit %lld", (long long)r->exit_status);
            }
            bw_buf_addstr(out, "\"];\n");
        }
        for (size_t i = 0; i < s.n_edges; i++) {
            const struct edge *e = &s.edges[i];
            if (e->out) {
                bw_buf_printf(out, "  r%u -> a%u;\n", run_no[e->run], art_no[e->art]);
            } else {
                bw_buf_printf(out, "  a%u -> r%u;\n", art_no[e->art], run_no[e->run]);
            }
        }
        bw_buf_addstr(out, "}\n");
    } else {
        bw_buf_addstr(out, "flowchart LR\n");
        for (size_t i = 0; i < na; i++) {
            const struct art *a = &g->arts[arts[i]];
            bw_buf_printf(out, "  a%zu[\"", i);
            esc_mermaid(out, &tmp, art_label(a));
            bw_buf_addstr(out, "<br>");
            short_key(out, a->key);
            for (uint32_t k = g->art_gates.off[arts[i]]; k < g->art_gates.off[arts[i] + 1] && k < 4; k++) {
                const struct gate *gt = &g->gates[g->art_gates.v[k]];
                bw_buf_addstr(out, "<br>gate ");
                esc_mermaid(out, &tmp, gt->check != NULL ? gt->check : "-");
                bw_buf_addstr(out, ": ");
                esc_mermaid(out, &tmp, gt->verdict != NULL ? gt->verdict : "-");
            }
            bw_buf_addstr(out, "\"]\n");
        }
        for (size_t i = 0; i < g->n_runs; i++) {
            const struct run *r = &g->runs[i];
            if (!s.run_in[i]) {
                continue;
            }
            bw_buf_printf(out, "  r%u([\"", run_no[i]);
            esc_mermaid(out, &tmp, r->stage != NULL ? r->stage : "(no stage)");
            bw_buf_addstr(out, "<br>run ");
            esc_mermaid(out, &tmp, r->run_id != NULL ? r->run_id : "-");
            if (r->has_exit) {
                bw_buf_printf(out, ", exit %lld", (long long)r->exit_status);
            }
            bw_buf_addstr(out, "\"])\n");
        }
        for (size_t i = 0; i < s.n_edges; i++) {
            const struct edge *e = &s.edges[i];
            if (e->out) {
                bw_buf_printf(out, "  r%u --> a%u\n", run_no[e->run], art_no[e->art]);
            } else {
                bw_buf_printf(out, "  a%u --> r%u\n", art_no[e->art], run_no[e->run]);
            }
        }
        bw_buf_addstr(out, "  classDef root stroke-width:3px\n  classDef fail stroke:#c00,color:#c00\n");
        for (size_t i = 0; i < na; i++) {
            if (s.art_root[arts[i]]) {
                bw_buf_printf(out, "  class a%zu root\n", i);
            }
            if (art_failed(g, arts[i])) {
                bw_buf_printf(out, "  class a%zu fail\n", i);
            }
        }
        for (size_t i = 0; i < g->n_runs; i++) {
            if (s.run_in[i] && g->runs[i].has_exit && g->runs[i].exit_status != 0) {
                bw_buf_printf(out, "  class r%u fail\n", run_no[i]);
            }
        }
    }
out:
    bw_buf_release(&tmp);
    bw_free(s.art_in);
    bw_free(s.art_root);
    bw_free(s.run_in);
    bw_free(s.edges);
    bw_free(arts);
    bw_free(art_no);
    bw_free(run_no);
    return rc;
}

/* ---- the text tree ------------------------------------------------------------------------------------ */

enum { F_ART, F_RUN };

struct frame {
    uint8_t type; /* F_ART or F_RUN */
    uint8_t dir;  /* BW_LINEAGE_UPSTREAM or DOWNSTREAM (BOTH for a root) */
    uint32_t id;
    uint32_t hops;  /* stage runs between the root and this node */
    uint32_t child; /* next child to print */
    uint32_t n_children;
};

/* The children of a frame: attached gates/approvals (leaves), then runs (artifact) or artifacts (run). */
static uint32_t n_children(const bw_lineage *g, const struct frame *f, uint32_t depth)
{
    if (f->type == F_ART) {
        uint32_t n = g->art_gates.off[f->id + 1] - g->art_gates.off[f->id];
        n += g->art_apprs.off[f->id + 1] - g->art_apprs.off[f->id];
        if (n > TEXT_MAX_ATTACHED) {
            n = TEXT_MAX_ATTACHED + 1; /* "... and N more" */
        }
        if (f->hops < depth) {
            if (f->dir & BW_LINEAGE_UPSTREAM) {
                n += g->prod.off[f->id + 1] - g->prod.off[f->id];
            }
            if (f->dir & BW_LINEAGE_DOWNSTREAM) {
                n += g->cons.off[f->id + 1] - g->cons.off[f->id];
            }
        }
        return n;
    }
    uint32_t n = g->run_apprs.off[f->id + 1] - g->run_apprs.off[f->id];
    if (n > TEXT_MAX_ATTACHED) {
        n = TEXT_MAX_ATTACHED + 1;
    }
    const struct csr *c = f->dir == BW_LINEAGE_UPSTREAM ? &g->ins : &g->outs;
    return n + c->off[f->id + 1] - c->off[f->id];
}

static void appr_text(bw_buf *b, const struct appr *a)
{
    bw_buf_addstr(b, "approval ");
    esc_text(b, a->decision != NULL ? a->decision : "-");
    if (a->via_gate != NO_ENTRY) {
        bw_buf_printf(b, " of gate entry %llu", (unsigned long long)a->via_gate);
    }
    bw_buf_addstr(b, ": ");
    esc_text(b, a->reason != NULL ? a->reason : "-");
    bw_buf_addstr(b, "  (");
    esc_text(b, a->actor != NULL ? a->actor : "-");
    bw_buf_printf(b, ", entry %llu)", (unsigned long long)a->entry);
}

static bw_status write_text(bw_lineage *g, const bw_lineage_query *q, bw_buf *out)
{
    /* the hop count (+1) at which a node's subtree was shown, 0 when never: a node reached again at as
       many hops or more is marked (*); reached at fewer (a shorter path, with --depth) it is shown
       again, since its subtree was cut shorter before. Each node is shown at most depth + 1 times. */
    uint32_t *seen_art = bw_calloc(g->n_arts + 1, sizeof(uint32_t)),
             *seen_run = bw_calloc(g->n_runs + 1, sizeof(uint32_t));
    struct frame *st = NULL;
    size_t n_st = 0, cap_st = 0;
    uint8_t last[MAX_INDENT + 1];
    bw_status rc = BW_OK;

    if (seen_art == NULL || seen_run == NULL) {
        rc = BW_ENOMEM;
        goto out;
    }
    for (size_t r = 0; r < q->n_roots && rc == BW_OK; r++) {
        struct frame f = {F_ART, (uint8_t)q->dir, q->roots[r], 0, 0, 0};
        if (r > 0) {
            bw_buf_addc(out, '\n');
        }
        art_text(out, &g->arts[f.id]);
        if (seen_art[f.id]) {
            bw_buf_addstr(out, " (*)\n");
            continue;
        }
        bw_buf_addc(out, '\n');
        seen_art[f.id] = 1; /* hops 0 */
        f.n_children = n_children(g, &f, q->depth);
        n_st = 0;
        if ((rc = GROW(st, n_st, cap_st)) != BW_OK) {
            break;
        }
        st[n_st++] = f;
        while (n_st > 0 && rc == BW_OK && out->err == BW_OK) {
            struct frame *top = &st[n_st - 1];
            uint32_t c = top->child, level = (uint32_t)n_st; /* the child's indentation level */
            struct frame child = {0, 0, 0, 0, 0, 0};
            bool expand = false;
            if (c >= top->n_children) {
                n_st--;
                continue;
            }
            top->child++;
            if (level <= MAX_INDENT) {
                last[level] = top->child == top->n_children;
            }
            for (uint32_t l = 1; l < level && l <= MAX_INDENT; l++) {
                bw_buf_addstr(out, last[l] ? "    " : "\xe2\x94\x82   "); /* "│   " */
            }
            if (level > MAX_INDENT) {
                bw_buf_printf(out, "[level %u] ", level);
            }
            bw_buf_addstr(out, top->child == top->n_children ? "\xe2\x94\x94\xe2\x94\x80\xe2\x94\x80 "   /* └── */
                                                             : "\xe2\x94\x9c\xe2\x94\x80\xe2\x94\x80 "); /* ├── */
            /* which child is c */
            uint32_t att_g = 0, att_a = 0, att;
            const struct csr *ac = top->type == F_ART ? &g->art_apprs : &g->run_apprs;
            if (top->type == F_ART) {
                att_g = g->art_gates.off[top->id + 1] - g->art_gates.off[top->id];
            }
            att_a = ac->off[top->id + 1] - ac->off[top->id];
            att = att_g + att_a > TEXT_MAX_ATTACHED ? TEXT_MAX_ATTACHED + 1 : att_g + att_a;
            if (c < att) {
                if (c == TEXT_MAX_ATTACHED) {
                    bw_buf_printf(out, "... and %u more gates and approvals\n", att_g + att_a - TEXT_MAX_ATTACHED);
                } else if (c < att_g) {
                    const struct gate *gt = &g->gates[g->art_gates.v[g->art_gates.off[top->id] + c]];
                    bw_buf_addstr(out, "gate ");
                    esc_text(out, gt->check != NULL ? gt->check : "-");
                    bw_buf_addstr(out, ": ");
                    esc_text(out, gt->verdict != NULL ? gt->verdict : "-");
                    bw_buf_addstr(out, "  (");
                    esc_text(out, gt->actor != NULL ? gt->actor : "-");
                    bw_buf_printf(out, ", entry %llu)\n", (unsigned long long)gt->entry);
                } else {
                    appr_text(out, &g->apprs[ac->v[ac->off[top->id] + (c - att_g)]]);
                    bw_buf_addc(out, '\n');
                }
                continue;
            }
            c -= att;
            if (top->type == F_ART) {
                uint32_t np = (top->dir & BW_LINEAGE_UPSTREAM) ? g->prod.off[top->id + 1] - g->prod.off[top->id] : 0;
                bool up = c < np;
                uint32_t rn = up ? g->prod.v[g->prod.off[top->id] + c] : g->cons.v[g->cons.off[top->id] + (c - np)];
                bw_buf_addstr(out, up ? "made by " : "used by ");
                run_text(out, &g->runs[rn]);
                child =
                    (struct frame){F_RUN, up ? BW_LINEAGE_UPSTREAM : BW_LINEAGE_DOWNSTREAM, rn, top->hops + 1, 0, 0};
                expand = seen_run[rn] == 0 || (q->depth != BW_LINEAGE_DEPTH_ALL && child.hops + 1 < seen_run[rn]);
                if (expand) {
                    seen_run[rn] = child.hops + 1;
                }
            } else {
                const struct csr *rc2 = top->dir == BW_LINEAGE_UPSTREAM ? &g->ins : &g->outs;
                uint32_t a = rc2->v[rc2->off[top->id] + c];
                art_text(out, &g->arts[a]);
                child = (struct frame){F_ART, top->dir, a, top->hops, 0, 0};
                expand = seen_art[a] == 0 || (q->depth != BW_LINEAGE_DEPTH_ALL && child.hops + 1 < seen_art[a]);
                if (expand) {
                    seen_art[a] = child.hops + 1;
                }
            }
            if (!expand) {
                bw_buf_addstr(out, " (*)\n");
                continue;
            }
            bw_buf_addc(out, '\n');
            child.n_children = n_children(g, &child, q->depth);
            if ((rc = GROW(st, n_st, cap_st)) != BW_OK) {
                break;
            }
            st[n_st++] = child;
        }
    }
out:
    bw_free(seen_art);
    bw_free(seen_run);
    bw_free(st);
    return rc;
}

bw_status bw_lineage_write(bw_lineage *g, const bw_lineage_query *q, bw_buf *out, bw_error *err)
{
    bw_status rc;

    if (g == NULL || q == NULL || q->version != BW_LINEAGE_QUERY_VERSION || q->n_roots == 0 ||
        (q->dir & BW_LINEAGE_BOTH) == 0 || (unsigned)q->dir > BW_LINEAGE_BOTH ||
        (unsigned)q->format > BW_LINEAGE_MERMAID) {
        return bw_fail(err, BW_EINVAL, "lineage: a query needs roots, a direction and a format");
    }
    BW_TRY(finish(g, err));
    for (size_t i = 0; i < q->n_roots; i++) {
        if (q->roots[i] >= g->n_arts) {
            return bw_fail(err, BW_EINVAL, "lineage: no artifact node %u", q->roots[i]);
        }
    }
    rc = q->format == BW_LINEAGE_TEXT ? write_text(g, q, out) : write_graph(g, q, out);
    if (rc == BW_OK && out->err != BW_OK) {
        rc = out->err;
    }
    return rc == BW_OK ? BW_OK : bw_fail(err, rc, "lineage: cannot write the graph: %s", bw_strerror(rc));
}
