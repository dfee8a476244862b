/*
 * bw_note.h - C2SP signed notes with Ed25519 keys, and transparency-log
 * checkpoints (C2SP tlog-checkpoint), the ledger's signed tree heads.
 *
 * A note is text (UTF-8, ending in a newline, no blank line of its own
 * ending it), a blank line, and signature lines
 *     "— " <key name> " " base64(key ID (4 bytes) || signature)
 * Keys: the verifier key "<name>+<8 hex key ID>+<base64(0x01 || 32-byte
 * public key)>", the signer key "PRIVATE+KEY+<name>+<8 hex>+<base64(0x01 ||
 * 32-byte seed)>"; key ID = SHA-256(name || "\n" || 0x01 || public key)[:4].
 * A checkpoint is the note text "<origin>\n<tree size>\n<base64 root>\n"
 * (then optional extension lines).
 */
#ifndef BULWARK_BW_NOTE_H
#define BULWARK_BW_NOTE_H

#include "bw_buf.h"
#include "bw_common.h"
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define BW_NOTE_MAX_NAME 255
#define BW_NOTE_MAX_SIGS 100
#define BW_NOTE_MAX_SIZE ((size_t)1 << 20)

typedef struct bw_note_verifier {
    char name[BW_NOTE_MAX_NAME + 1];
    uint32_t id;
    uint8_t pub[32];
} bw_note_verifier;

typedef struct bw_note_signer {
    bw_note_verifier v;
    uint8_t sk[64]; /**< libsodium's secret key (seed || public); zeroed by bw_note_signer_clear */
} bw_note_signer;

/** A new Ed25519 signer named `name` (no spaces, '+' or newlines; 1-255 bytes). */
BW_API bw_status bw_note_signer_new(const char *name, bw_note_signer *out, bw_error *err) BW_NODISCARD;
/** Parse a signer key text ("PRIVATE+KEY+..."); the text is a secret: callers wipe it. */
BW_API bw_status bw_note_signer_parse(const char *skey, bw_note_signer *out, bw_error *err) BW_NODISCARD;
/** The signer key text, appended to out (a secret). */
BW_API bw_status bw_note_signer_format(const bw_note_signer *s, bw_buf *out) BW_NODISCARD;
BW_API void bw_note_signer_clear(bw_note_signer *s);

BW_API bw_status bw_note_verifier_parse(const char *vkey, bw_note_verifier *out, bw_error *err) BW_NODISCARD;
BW_API bw_status bw_note_verifier_format(const bw_note_verifier *v, bw_buf *out) BW_NODISCARD;

/** text (ending in "\n") signed by s: the whole note, appended to out. */
BW_API bw_status bw_note_sign(const char *text, size_t n, const bw_note_signer *s, bw_buf *out,
                              bw_error *err) BW_NODISCARD;
/**
 * Verify a note: BW_OK when a signature line of one of the verifiers (matched by name and key ID)
 * verifies and no line of a known key fails; *text_len = the length of the signed text (the note's
 * first bytes), *which = the verifier's index. Lines of unknown keys are ignored. BW_EFORMAT for a
 * malformed note, BW_EVERIFY when no known key signed it or a known key's signature is wrong.
 */
BW_API bw_status bw_note_verify(const char *note, size_t n, const bw_note_verifier *vs, size_t nv, size_t *text_len,
                                size_t *which, bw_error *err) BW_NODISCARD;

/** The checkpoint text for (origin, size, root hash), appended to out. */
BW_API bw_status bw_checkpoint_format(const char *origin, uint64_t size, const uint8_t root[32],
                                      bw_buf *out) BW_NODISCARD;
/** Parse checkpoint text (a verified note's text): origin (copied into origin[cap]), size, root. */
BW_API bw_status bw_checkpoint_parse(const char *text, size_t n, char *origin, size_t cap, uint64_t *size,
                                     uint8_t root[32], bw_error *err) BW_NODISCARD;

#ifdef __cplusplus
}
#endif
#endif
