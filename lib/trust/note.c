/*
 * note.c - C2SP signed notes (Ed25519, libsodium) and tlog checkpoints
 * (see bw_note.h). Notes come from other machines: every length is checked
 * before use and every failure names what was wrong.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "bulwark/bw_note.h"
#include "util/internal.h"

#define SIG_ED25519 0x01
static const char dash[] = "\xE2\x80\x94 "; /* "— " opens a signature line */

/* A key name: 1-255 bytes of UTF-8, no ASCII space or control, no '+'. */
static bool name_ok(const char *s, size_t n)
{
    if (n == 0 || n > BW_NOTE_MAX_NAME || !bw_utf8_valid(s, n)) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= 0x20 || c == 0x7F || c == '+') {
            return false;
        }
    }
    return true;
}

static uint32_t key_id(const char *name, const uint8_t pub[32])
{
    crypto_hash_sha256_state st;
    uint8_t h[crypto_hash_sha256_BYTES];
    const uint8_t mid[2] = {'\n', SIG_ED25519};

    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, (const uint8_t *)name, strlen(name));
    crypto_hash_sha256_update(&st, mid, 2);
    crypto_hash_sha256_update(&st, pub, 32);
    crypto_hash_sha256_final(&st, h);
    return (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
}

/* Base64 of s[0..n) (bw_base64_decode's forms) into out[cap]: the decoded length, or SIZE_MAX. */
static size_t from_b64(const char *s, size_t n, uint8_t *out, size_t cap)
{
    bw_buf b = BW_BUF_INIT(cap + 3); /* the decoder reserves up to two bytes more than it writes */
    size_t bad, len = SIZE_MAX;

    if (bw_base64_decode(s, n, &b, &bad) == BW_OK && b.len <= cap) {
        len = b.len;
        if (len > 0) {
            memcpy(out, b.ptr, len);
        }
    }
    if (b.ptr != NULL) {
        sodium_memzero(b.ptr, b.len); /* it may have held a signer's seed */
    }
    bw_buf_release(&b);
    return len;
}

bw_status bw_note_signer_new(const char *name, bw_note_signer *out, bw_error *err)
{
    memset(out, 0, sizeof(*out));
    if (sodium_init() < 0) {
        return bw_fail(err, BW_EIO, "libsodium could not start");
    }
    if (!name_ok(name, strlen(name))) {
        return bw_fail(err, BW_EINVAL, "a key name is 1-255 bytes of UTF-8 without spaces or '+'");
    }
    memcpy(out->v.name, name, strlen(name) + 1);
    crypto_sign_keypair(out->v.pub, out->sk);
    out->v.id = key_id(name, out->v.pub);
    return BW_OK;
}

void bw_note_signer_clear(bw_note_signer *s)
{
    sodium_memzero(s, sizeof(*s));
}

/* "<name>+<8 hex>+<base64>" at s: the name and the decoded key bytes (33: type + key), checked. */
static bw_status parse_key(const char *s, const char *what, char *name, uint32_t *id, uint8_t key[33], bw_error *err)
{
    const char *p1 = strchr(s, '+'), *p2 = p1 != NULL ? strchr(p1 + 1, '+') : NULL;
    char hex[9];
    char *end;

    if (p1 == NULL || p2 == NULL || p2 - p1 != 9 || !name_ok(s, (size_t)(p1 - s))) {
        return bw_fail(err, BW_EFORMAT, "%s: expected NAME+KEYID+KEY (a name without spaces or '+', 8 hex digits)",
                       what);
    }
    memcpy(hex, p1 + 1, 8);
    hex[8] = '\0';
    if (strspn(hex, "0123456789abcdefABCDEF") != 8) {
        return bw_fail(err, BW_EFORMAT, "%s: the key ID is not 8 hex digits", what);
    }
    *id = (uint32_t)strtoul(hex, &end, 16);
    if (from_b64(p2 + 1, strlen(p2 + 1), key, 33) != 33 || key[0] != SIG_ED25519) {
        sodium_memzero(key, 33);
        return bw_fail(err, BW_EFORMAT, "%s: the key is not base64 of 0x01 and a 32-byte Ed25519 key", what);
    }
    memcpy(name, s, (size_t)(p1 - s));
    name[p1 - s] = '\0';
    return BW_OK;
}

bw_status bw_note_verifier_parse(const char *vkey, bw_note_verifier *out, bw_error *err)
{
    uint8_t key[33];

    memset(out, 0, sizeof(*out));
    BW_TRY(parse_key(vkey, "verifier key", out->name, &out->id, key, err));
    memcpy(out->pub, key + 1, 32);
    if (key_id(out->name, out->pub) != out->id) {
        return bw_fail(err, BW_EFORMAT, "verifier key: the key ID does not match the name and key");
    }
    return BW_OK;
}

bw_status bw_note_signer_parse(const char *skey, bw_note_signer *out, bw_error *err)
{
    uint8_t key[33], pub[32];
    bw_status rc;

    memset(out, 0, sizeof(*out));
    if (sodium_init() < 0) {
        return bw_fail(err, BW_EIO, "libsodium could not start");
    }
    if (strncmp(skey, "PRIVATE+KEY+", 12) != 0) {
        return bw_fail(err, BW_EFORMAT, "signer key: expected PRIVATE+KEY+NAME+KEYID+KEY");
    }
    rc = parse_key(skey + 12, "signer key", out->v.name, &out->v.id, key, err);
    if (rc != BW_OK) {
        return rc;
    }
    crypto_sign_seed_keypair(pub, out->sk, key + 1);
    sodium_memzero(key, sizeof(key));
    memcpy(out->v.pub, pub, 32);
    if (key_id(out->v.name, out->v.pub) != out->v.id) {
        bw_note_signer_clear(out);
        return bw_fail(err, BW_EFORMAT, "signer key: the key ID does not match the name and key");
    }
    return BW_OK;
}

bw_status bw_note_verifier_format(const bw_note_verifier *v, bw_buf *out)
{
    uint8_t key[33];

    key[0] = SIG_ED25519;
    memcpy(key + 1, v->pub, 32);
    BW_TRY(bw_buf_printf(out, "%s+%08x+", v->name, (unsigned)v->id));
    return bw_base64_encode(key, sizeof(key), out);
}

bw_status bw_note_signer_format(const bw_note_signer *s, bw_buf *out)
{
    uint8_t key[33];
    bw_status rc;

    key[0] = SIG_ED25519;
    memcpy(key + 1, s->sk, 32); /* libsodium's secret key starts with the seed */
    rc = bw_buf_printf(out, "PRIVATE+KEY+%s+%08x+", s->v.name, (unsigned)s->v.id);
    if (rc == BW_OK) {
        rc = bw_base64_encode(key, sizeof(key), out);
    }
    sodium_memzero(key, sizeof(key));
    return rc;
}

/* Note text: non-empty UTF-8 ending in a newline, without a blank line at its end. */
static bool text_ok(const char *t, size_t n)
{
    return n > 0 && t[n - 1] == '\n' && (n < 2 || t[n - 2] != '\n') && bw_utf8_valid(t, n);
}

bw_status bw_note_sign(const char *text, size_t n, const bw_note_signer *s, bw_buf *out, bw_error *err)
{
    uint8_t sig[4 + crypto_sign_BYTES];

    if (!text_ok(text, n) || n > BW_NOTE_MAX_SIZE / 2) {
        return bw_fail(err, BW_EINVAL, "note text must be UTF-8 ending in one newline");
    }
    sig[0] = (uint8_t)(s->v.id >> 24);
    sig[1] = (uint8_t)(s->v.id >> 16);
    sig[2] = (uint8_t)(s->v.id >> 8);
    sig[3] = (uint8_t)s->v.id;
    crypto_sign_detached(sig + 4, NULL, (const uint8_t *)text, n, s->sk);
    bw_status rc = bw_buf_add(out, text, n);
    if (rc == BW_OK) {
        rc = bw_buf_printf(out, "\n%s%s ", dash, s->v.name);
    }
    if (rc == BW_OK) {
        rc = bw_base64_encode(sig, sizeof(sig), out);
    }
    if (rc == BW_OK) {
        rc = bw_buf_addc(out, '\n');
    }
    return rc != BW_OK ? bw_fail(err, rc, "out of memory") : BW_OK;
}

bw_status bw_note_verify(const char *note, size_t n, const bw_note_verifier *vs, size_t nv, size_t *text_len,
                         size_t *which, bw_error *err)
{
    const char *split = NULL;
    size_t nsig = 0;
    bool verified = false;

    *text_len = 0;
    *which = SIZE_MAX;
    if (n > BW_NOTE_MAX_SIZE) {
        return bw_fail(err, BW_ELIMIT, "a note over %zu bytes", BW_NOTE_MAX_SIZE);
    }
    if (!bw_utf8_valid(note, n)) {
        return bw_fail(err, BW_EFORMAT, "a note is UTF-8");
    }
    /* the text ends at the last blank line */
    for (size_t i = n; i >= 2; i--) {
        if (note[i - 1] == '\n' && note[i - 2] == '\n') {
            split = note + i - 2;
            break;
        }
    }
    if (split == NULL || split == note) {
        return bw_fail(err, BW_EFORMAT, "a note is text, a blank line and signature lines: no blank line found");
    }
    size_t tl = (size_t)(split - note) + 1;
    const char *p = split + 2, *end = note + n;
    if (p == end) {
        return bw_fail(err, BW_EFORMAT, "the note has no signature lines");
    }
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t off = (size_t)(p - note);
        if (nl == NULL) {
            return bw_fail_at(err, BW_EFORMAT, off, "note signature at byte %zu does not end in a newline", off);
        }
        if (++nsig > BW_NOTE_MAX_SIGS) {
            return bw_fail(err, BW_ELIMIT, "more than %d note signatures", BW_NOTE_MAX_SIGS);
        }
        if ((size_t)(nl - p) < 5 || memcmp(p, dash, 4) != 0) {
            return bw_fail_at(err, BW_EFORMAT, off, "note signature at byte %zu does not start with an em dash", off);
        }
        const char *nm = p + 4, *sp = memchr(nm, ' ', (size_t)(nl - nm));
        uint8_t raw[4 + 64 + 1];
        size_t rl = sp != NULL ? from_b64(sp + 1, (size_t)(nl - sp - 1), raw, sizeof(raw)) : SIZE_MAX;
        if (sp == NULL || !name_ok(nm, (size_t)(sp - nm)) || rl == SIZE_MAX || rl < 5) {
            return bw_fail_at(err, BW_EFORMAT, off, "note signature at byte %zu: expected a key name and base64", off);
        }
        uint32_t id = (uint32_t)raw[0] << 24 | (uint32_t)raw[1] << 16 | (uint32_t)raw[2] << 8 | raw[3];
        for (size_t k = 0; k < nv; k++) {
            if (vs[k].id != id || strlen(vs[k].name) != (size_t)(sp - nm) ||
                memcmp(vs[k].name, nm, (size_t)(sp - nm)) != 0) {
                continue;
            }
            if (rl != 4 + crypto_sign_BYTES ||
                crypto_sign_verify_detached(raw + 4, (const uint8_t *)note, tl, vs[k].pub) != 0) {
                return bw_fail(err, BW_EVERIFY, "the note's signature by %s does not verify", vs[k].name);
            }
            if (!verified) {
                *which = k;
            }
            verified = true;
        }
        p = nl + 1;
    }
    if (!verified) {
        return bw_fail(err, BW_EVERIFY, "the note has no signature by a known key");
    }
    *text_len = tl;
    return BW_OK;
}

bw_status bw_checkpoint_format(const char *origin, uint64_t size, const uint8_t root[32], bw_buf *out)
{
    BW_TRY(bw_buf_printf(out, "%s\n%llu\n", origin, (unsigned long long)size));
    BW_TRY(bw_base64_encode(root, 32, out));
    return bw_buf_addc(out, '\n');
}

bw_status bw_checkpoint_parse(const char *text, size_t n, char *origin, size_t cap, uint64_t *size, uint8_t root[32],
                              bw_error *err)
{
    const char *l1 = memchr(text, '\n', n), *l2, *l3;
    uint8_t h[33];

    if (l1 == NULL || l1 == text || (size_t)(l1 - text) >= cap) {
        return bw_fail(err, BW_EFORMAT, "checkpoint: the first line (the origin) is missing, empty or too long");
    }
    l2 = memchr(l1 + 1, '\n', (size_t)(text + n - l1 - 1));
    l3 = l2 != NULL ? memchr(l2 + 1, '\n', (size_t)(text + n - l2 - 1)) : NULL;
    if (l2 == NULL || l3 == NULL) {
        return bw_fail(err, BW_EFORMAT, "checkpoint: expected origin, tree size and root hash lines");
    }
    /* the size: decimal, no sign, no leading zeros (but "0") */
    uint64_t v = 0;
    const char *s = l1 + 1;
    if (s == l2 || (*s == '0' && l2 - s > 1)) {
        return bw_fail(err, BW_EFORMAT, "checkpoint: the tree size is not a plain decimal number");
    }
    for (; s < l2; s++) {
        if (*s < '0' || *s > '9' || v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10) {
            return bw_fail(err, BW_EFORMAT, "checkpoint: the tree size is not a decimal number below 2^64");
        }
        v = v * 10 + (uint64_t)(*s - '0');
    }
    if (from_b64(l2 + 1, (size_t)(l3 - l2 - 1), h, sizeof(h)) != 32) {
        return bw_fail(err, BW_EFORMAT, "checkpoint: the root hash is not base64 of 32 bytes");
    }
    memcpy(origin, text, (size_t)(l1 - text));
    origin[l1 - text] = '\0';
    *size = v;
    memcpy(root, h, 32);
    return BW_OK;
}
