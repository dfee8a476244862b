/*
 * scan_gguf.c - GGUF files hold no code, except the Jinja chat templates in
 * their metadata, which llama.cpp front ends and Python loaders render.
 * A template that reaches for Python internals is a sandbox-escape attempt
 * (UNSAFE); a file that breaks the format is MALFORMED.
 */
#include <inttypes.h>

#include "scan/mscan.h"
#include "util/internal.h"

static const bw_rule gg_rule_malformed = {
    "gguf-malformed",
    "GgufMalformed",
    "The GGUF file violates the format",
    "A count, length, type, tensor shape or offset in the GGUF file is invalid or runs past the end of the file. "
    "Loaders may crash or read something other than what was checked.",
    NULL,
    BW_SEV_HIGH,
};

static const bw_rule gg_rule_template = {
    "gguf-chat-template-injection",
    "GgufChatTemplateInjection",
    "A GGUF chat template reaches for Python internals",
    "tokenizer.chat_template holds a Jinja template that is rendered when the model chats. This one uses "
    "constructs that escape the Jinja sandbox (dunder attributes such as __globals__ or __class__, os, popen, "
    "lipsum/cycler/joiner globals, |attr with built names). Real chat templates never need them: treat the file "
    "as hostile.",
    NULL,
    BW_SEV_CRITICAL,
};

/*
 * The rules this scanner reports, for listings and tests.
 */
BW_INTERNAL const bw_rule *const *bw_scan_gguf_rules(size_t *n);
const bw_rule *const *bw_scan_gguf_rules(size_t *n)
{
    static const bw_rule *const all[] = {&gg_rule_malformed, &gg_rule_template};
    *n = BW_ARRAY_LEN(all);
    return all;
}

int bw_sniff_gguf(const uint8_t *p, size_t n)
{
    return p != NULL && n >= 4 && memcmp(p, "GGUF", 4) == 0;
}

static int gg_is_template_key(bw_bytes k)
{
    static const char base[] = "tokenizer.chat_template";
    const size_t bl = sizeof(base) - 1;

    return k.len >= bl && memcmp(k.ptr, base, bl) == 0 && (k.len == bl || k.ptr[bl] == '.');
}

bw_status bw_scan_gguf(bw_mscan *s, const void *p, size_t n)
{
    bw_gguf_file f;
    bw_error err;
    bw_status rc;

    bw_error_clear(&err);
    bw_mscan_rule(s, &gg_rule_malformed);
    bw_mscan_rule(s, &gg_rule_template);
    rc = bw_gguf_parse(p, n, "gguf", &f, &err);
    if (rc == BW_ENOMEM) {
        return rc;
    }
    if (rc != BW_OK) {
        bw_mscan_flag(s, BW_VERDICT_MALFORMED, gg_rule_malformed.id, BW_SEV_HIGH, err.offset, "%s", err.msg);
        return BW_OK;
    }
    for (uint64_t i = 0; i < f.n_kv; i++) {
        const bw_gguf_kv *kv = &f.kv[i];
        bw_jinja_hit hit;
        char key[80];
        int r;

        if (kv->type != BW_GGUF_STRING || !gg_is_template_key(kv->key)) {
            continue;
        }
        r = bw_jinja_suspicious((const char *)kv->str.ptr, kv->str.len, &hit);
        if (r < 0) {
            bw_gguf_release(&f);
            return BW_ENOMEM;
        }
        if (r > 0) {
            bw_escape_for_log((const char *)kv->key.ptr, kv->key.len, key, sizeof(key));
            bw_mscan_flag(s, BW_VERDICT_UNSAFE, gg_rule_template.id, BW_SEV_CRITICAL,
                          kv->offset + (f.version == 1 ? 4 : 8) + hit.at, "%s uses %s: \"%s\"", key, hit.what,
                          hit.excerpt);
        }
    }
    bw_gguf_release(&f);
    return BW_OK;
}
