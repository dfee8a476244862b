/*
 * test_gguf.c - the GGUF reader, the chat-template checker and the GGUF
 * scanner, on the fixtures of tests/data/models-formats/gguf (written per
 * the specification by make_fixtures.py): v1/v2/v3 files with every value
 * type parse and scan SAFE, realistic templates stay clean, hostile
 * templates are UNSAFE with the expected construct, hostile layouts fail
 * with the expected message, and every prefix of every file is handled.
 */
#include <dirent.h>

#include "scan/mscan.h"
#include "tap.h"
#include "testutil.h"
#include "util/internal.h"

#include "testfx.h"

/* lib/scan/scan_gguf.c */
BW_INTERNAL const bw_rule *const *bw_scan_gguf_rules(size_t *n);

static void test_rules(void)
{
    size_t n = 0;
    const bw_rule *const *r = bw_scan_gguf_rules(&n);
    is_int(n, 2, "two rules");
    is_str(r[0]->id, "gguf-malformed", "rule 0 id");
    is_str(r[1]->id, "gguf-chat-template-injection", "rule 1 id");
    is_str(r[1]->name, "GgufChatTemplateInjection", "rule 1 name");
    is_int(r[1]->default_severity, BW_SEV_CRITICAL, "template rule is critical");
}

static const bw_gguf_kv *find_kv(const bw_gguf_file *f, const char *key)
{
    for (uint64_t i = 0; i < f->n_kv; i++) {
        if (f->kv[i].key.len == strlen(key) && memcmp(f->kv[i].key.ptr, key, f->kv[i].key.len) == 0) {
            return &f->kv[i];
        }
    }
    return NULL;
}

static void check_all_types(const char *base, const bw_gguf_file *f)
{
    const bw_gguf_kv *kv;

    is_int(f->n_kv, 19, "%s: 19 metadata entries", base);
    is_int(f->n_tensors, 4, "%s: 4 tensors", base);
    is_int(f->alignment, 32, "%s: default alignment", base);
    is_int(f->data_start % 32, 0, "%s: data section aligned", base);
    kv = find_kv(f, "general.architecture");
    ok(kv != NULL && kv->type == BW_GGUF_STRING && kv->str.len == 5 && memcmp(kv->str.ptr, "llama", 5) == 0,
       "%s: architecture string", base);
    kv = find_kv(f, "t.u32");
    ok(kv != NULL && kv->u == 4000000000u, "%s: u32 value", base);
    kv = find_kv(f, "t.i8");
    ok(kv != NULL && (int8_t)kv->u == -5, "%s: i8 value", base);
    kv = find_kv(f, "t.u64");
    ok(kv != NULL && kv->u == (uint64_t)1 << 60, "%s: u64 value", base);
    kv = find_kv(f, "t.bool");
    ok(kv != NULL && kv->type == BW_GGUF_BOOL && kv->u == 1, "%s: bool", base);
    kv = find_kv(f, "tokenizer.ggml.tokens");
    ok(kv != NULL && kv->type == BW_GGUF_ARRAY && kv->elem == BW_GGUF_STRING && kv->count == 4, "%s: token array",
       base);
    kv = find_kv(f, "t.nested");
    ok(kv != NULL && kv->elem == BW_GGUF_ARRAY && kv->count == 2, "%s: nested array", base);
    is_int(f->tensors[1].type, 8, "%s: Q8_0 tensor", base);
    is_int(f->tensors[1].nbytes, 2 * 2 * 34, "%s: Q8_0 bytes", base);
    is_int(f->tensors[2].nbytes, 144, "%s: Q4_K bytes", base);
    is_int(f->tensors[0].n_dims, 2, "%s: dims", base);
    is_int(f->tensors[0].dims[0], 32, "%s: dim 0", base);
}

static void test_valid(void)
{
    size_t n = fx_load("gguf", "valid", ".gguf", fx, MAX_FIXTURES);

    ok(n >= 12, "found %zu valid fixtures", n);
    for (size_t i = 0; i < n; i++) {
        bw_gguf_file f;
        bw_error err;
        bw_mscan s;
        bw_status rc = bw_gguf_parse(fx[i].data, fx[i].n, fx[i].base, &f, &err);
        is_int(rc, BW_OK, "%s parses", fx[i].base);
        if (rc != BW_OK) {
            tap_diag("%s", err.msg);
            continue;
        }
        if (strcmp(fx[i].base, "v3-all-types") == 0 || strcmp(fx[i].base, "v2-all-types") == 0) {
            check_all_types(fx[i].base, &f);
            is_int(f.version, fx[i].base[1] - '0', "%s: version", fx[i].base);
        }
        if (strcmp(fx[i].base, "v1-simple") == 0) {
            is_int(f.version, 1, "v1: version");
            is_int(f.n_kv, 5, "v1: 5 kv");
            is_int(f.tensors[0].dims[1], 2, "v1: u32 dims");
        }
        if (strcmp(fx[i].base, "align64") == 0) {
            is_int(f.alignment, 64, "align64: alignment");
            is_int(f.data_start % 64, 0, "align64: data aligned");
            is_int(f.tensors[1].offset % 64, 0, "align64: offsets aligned");
        }
        bw_gguf_release(&f);

        ok(bw_sniff_gguf(fx[i].data, fx[i].n), "%s: sniffed", fx[i].base);
        scan_reset(&s);
        is_int(bw_scan_gguf(&s, fx[i].data, fx[i].n), BW_OK, "%s: scan ok", fx[i].base);
        is_int(n_flags(), 0, "%s: no findings", fx[i].base);
        is_int(s.verdict, BW_VERDICT_SAFE, "%s: safe", fx[i].base);

        /* every proper prefix: no crash; malformed unless the file has no tensor data */
        size_t bad = 0;
        for (size_t k = 0; k < fx[i].n; k++) {
            uint8_t *c = fx_prefix(fx[i].data, k);
            rc = bw_gguf_parse(c, k, "t", &f, NULL);
            if (rc == BW_OK) {
                bw_gguf_release(&f);
                bad++;
            }
            scan_reset(&s);
            if (bw_scan_gguf(&s, c, k) != BW_OK || s.verdict != BW_VERDICT_MALFORMED) {
                bad++;
            }
            free(c);
        }
        is_int(bad, 0, "%s: all %zu prefixes malformed", fx[i].base, fx[i].n);
    }
    fx_free(fx, n);
}

static void test_unsafe(void)
{
    size_t n = fx_load("gguf", "unsafe", ".gguf", fx, MAX_FIXTURES);

    ok(n >= 20, "found %zu hostile-template fixtures", n);
    for (size_t i = 0; i < n; i++) {
        bw_gguf_file f;
        bw_mscan s;
        const bw_finding *fd;

        is_int(bw_gguf_parse(fx[i].data, fx[i].n, fx[i].base, &f, NULL), BW_OK, "%s parses", fx[i].base);
        bw_gguf_release(&f);
        scan_reset(&s);
        is_int(bw_scan_gguf(&s, fx[i].data, fx[i].n), BW_OK, "%s: scan ok", fx[i].base);
        is_int(s.verdict, BW_VERDICT_UNSAFE, "%s: unsafe", fx[i].base);
        fd = flag_of("gguf-chat-template-injection");
        ok(fd != NULL, "%s: template finding", fx[i].base);
        if (fd != NULL) {
            like(fd->message, fx[i].side, "%s: names the construct", fx[i].base);
            like(fd->message, "tokenizer.chat_template", "%s: names the key", fx[i].base);
            is_int(fd->severity, BW_SEV_CRITICAL, "%s: critical", fx[i].base);
            ok(fd->loc.offset < fx[i].n, "%s: offset inside the file", fx[i].base);
        }
        for (size_t k = 0; k < fx[i].n; k++) {
            uint8_t *c = fx_prefix(fx[i].data, k);
            scan_reset(&s);
            if (bw_scan_gguf(&s, c, k) != BW_OK) {
                ok(0, "%s: prefix %zu scans", fx[i].base, k);
            }
            free(c);
        }
    }
    fx_free(fx, n);
}

static void test_invalid(void)
{
    size_t n = fx_load("gguf", "invalid", ".gguf", fx, MAX_FIXTURES);

    ok(n >= 25, "found %zu invalid fixtures", n);
    for (size_t i = 0; i < n; i++) {
        bw_gguf_file f;
        bw_error err;
        bw_mscan s;
        bw_status rc;

        bw_error_clear(&err);
        rc = bw_gguf_parse(fx[i].data, fx[i].n, "m.gguf", &f, &err);
        ok(rc == BW_EFORMAT || rc == BW_ELIMIT || rc == BW_EUNSUPPORTED, "%s rejected (%d)", fx[i].base, rc);
        if (rc == BW_OK) {
            bw_gguf_release(&f);
        }
        like(err.msg, fx[i].side, "%s: message", fx[i].base);
        like(err.msg, "m.gguf: offset ", "%s: message names file and offset", fx[i].base);
        ok(err.offset <= fx[i].n, "%s: offset inside the file", fx[i].base);
        scan_reset(&s);
        is_int(bw_scan_gguf(&s, fx[i].data, fx[i].n), BW_OK, "%s: scan ok", fx[i].base);
        is_int(s.verdict, BW_VERDICT_MALFORMED, "%s: malformed", fx[i].base);
        ok(flag_of("gguf-malformed") != NULL && n_flags() == 1, "%s: one gguf-malformed finding", fx[i].base);
        for (size_t k = 0; k < fx[i].n; k++) {
            uint8_t *c = fx_prefix(fx[i].data, k);
            if (bw_gguf_parse(c, k, "t", &f, NULL) == BW_OK) {
                bw_gguf_release(&f);
            }
            free(c);
        }
    }
    fx_free(fx, n);
}

static void test_jinja(void)
{
    static const char *const benign[] = {
        "{% for m in messages %}{{ m.role }}: {{ m.content }}{% endfor %}",
        "{{ bos_token }}{% if messages[0]['role'] == 'system' %}{{ raise_exception('no system') }}{% endif %}",
        "{%- set ns = namespace(first=true) -%}{%- for m in messages -%}{%- set ns.first = false -%}{%- endfor -%}",
        "{{ '<|im_start|>' + message['role'] }}{{ message.content|trim|tojson }}",
        "{{ x|attr('items') }}",
        "{# the os. and photos. of macOS. #}Answer about the OS. os",
        "{{ message['content'] | replace('\\n', ' ') }}{{ loop.last }}{{ eos_token }}",
        "{{ 'evaluate (this)' }} {{ execution }} {{ cycles }}",
    };
    static const struct {
        const char *t, *what;
    } hostile[] = {
        {"{{ x.__class__ }}", "__class__"},
        {"{{ x['__glo''bals__'] }}", "__globals__"},
        {"{{ x|attr(\"\\x5f\\x5fmro\\x5f\\x5f\") }}", "__mro__"},
        {"{{ x.__SUBCLASSES__() }}", "__subclasses__"},
        {"{{ x|attr('_'*2+'base'+'_'*2) }}", "__base__"},
        {"{{ subprocess }}", "subprocess"},
        {"{{ x.popen('id') }}", "popen"},
        {"{{ exec('x') }}", "exec("},
        {"{{ x.mro() }}", ".mro"},
        {"{{ ()|select|string|list }}", "|string|list"},
        {"{{ x | attr ( y ) }}", "|attr"},
        {"{{ x.__weird__ }}", "dunder attribute"},
    };
    bw_jinja_hit hit;

    for (size_t i = 0; i < BW_ARRAY_LEN(benign); i++) {
        int r = bw_jinja_suspicious(benign[i], strlen(benign[i]), &hit);
        is_int(r, 0, "benign template %zu clean", i);
        if (r != 0) {
            tap_diag("hit: %s at %zu", hit.what, hit.at);
        }
    }
    for (size_t i = 0; i < BW_ARRAY_LEN(hostile); i++) {
        memset(&hit, 0, sizeof(hit));
        is_int(bw_jinja_suspicious(hostile[i].t, strlen(hostile[i].t), &hit), 1, "hostile %zu flagged", i);
        ok(hit.what != NULL && strstr(hit.what, hostile[i].what) != NULL, "hostile %zu: %s (got %s)", i,
           hostile[i].what, hit.what != NULL ? hit.what : "nothing");
        ok(hit.at < strlen(hostile[i].t), "hostile %zu: position", i);
    }
    is_int(bw_jinja_suspicious("", 0, NULL), 0, "empty template");
    {
        size_t big_n = BW_JINJA_MAX_TEMPLATE + 1;
        char *big = malloc(big_n);
        memset(big, 'a', big_n);
        is_int(bw_jinja_suspicious(big, big_n, &hit), 1, "oversized template flagged");
        like(hit.what, "size limit", "oversized: says why");
        is_int(bw_jinja_suspicious(big, big_n - 1, &hit), 0, "template at the limit checked and clean");
        free(big);
    }
    /* expansion is bounded: many '_'*8 products */
    {
        char big[4096];
        size_t k = 0;
        while (k + 8 < sizeof(big)) {
            memcpy(big + k, "'_'*8*8 ", 8);
            k += 8;
        }
        ok(bw_jinja_suspicious(big, k, &hit) >= 0, "underscore products: expansion bounded");
    }
}

static void test_types(void)
{
    uint32_t b = 0, t = 0;
    is_str(bw_gguf_ggml_type(12, &b, &t), "Q4_K", "type 12 is Q4_K");
    ok(b == 256 && t == 144, "Q4_K block layout");
    ok(bw_gguf_ggml_type(4, NULL, NULL) == NULL, "removed type 4");
    ok(bw_gguf_ggml_type(1000, NULL, NULL) == NULL, "unknown type");
    ok(bw_sniff_gguf((const uint8_t *)"GGUF", 4), "sniff");
    ok(!bw_sniff_gguf((const uint8_t *)"GGU", 3), "sniff: short");
    ok(!bw_sniff_gguf((const uint8_t *)"GGML", 4), "sniff: other");
}

static void test_alloc_failures(void)
{
    size_t n = fx_load("gguf", "unsafe", ".gguf", fx, MAX_FIXTURES);
    int clean = 1, done = 0;

    for (long k = 0; k < 64 && n > 0 && !done; k++) {
        bw_mscan s;
        bw_status rc;
        scan_reset(&s);
        bw_alloc_fail_after(k);
        rc = bw_scan_gguf(&s, fx[0].data, fx[0].n);
        bw_alloc_fail_after(-1);
        if (rc == BW_OK) {
            done = s.verdict == BW_VERDICT_UNSAFE;
        } else if (rc != BW_ENOMEM) {
            clean = 0;
        }
    }
    ok(clean, "allocation failures are BW_ENOMEM");
    ok(done, "scan completes once allocations succeed");
    fx_free(fx, n);
}

int main(void)
{
    test_rules();
    test_types();
    test_jinja();
    test_valid();
    test_unsafe();
    test_invalid();
    test_alloc_failures();
    bw_report_free(rep);
    return done_testing();
}
