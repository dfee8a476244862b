/*
 * fuzz_note.c - C2SP signed notes, verifier keys and checkpoints
 * (lib/trust/note.c) from arbitrary bytes: no crash, every failure says
 * why, a note verifies only with a real signature (the spec's key cannot be
 * forged), and a verified text is read as a checkpoint.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bw_note_verifier v[2];
    static int ready;
    bw_error err;
    size_t tl, which;

    if (!ready) {
        bw_note_signer s;
        if (bw_note_verifier_parse("example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k", &v[0],
                                   &err) != BW_OK ||
            bw_note_signer_new("fuzz", &s, &err) != BW_OK) {
            abort();
        }
        v[1] = s.v;
        bw_note_signer_clear(&s);
        ready = 1;
    }
    bw_error_clear(&err);
    bw_status rc = bw_note_verify((const char *)data, size, v, 2, &tl, &which, &err);
    if (rc != BW_OK) {
        if (err.msg[0] == '\0' || tl != 0) {
            abort();
        }
    } else {
        char origin[256];
        uint64_t n;
        uint8_t root[32];
        if (tl == 0 || tl >= size || which > 1) {
            abort();
        }
        bw_error_clear(&err);
        if (bw_checkpoint_parse((const char *)data, tl, origin, sizeof(origin), &n, root, &err) != BW_OK &&
            err.msg[0] == '\0') {
            abort();
        }
    }
    /* the input as a verifier key (NUL-terminated copy) and as checkpoint text */
    char *s = malloc(size + 1);
    if (s == NULL) {
        return 0;
    }
    memcpy(s, data, size);
    s[size] = '\0';
    bw_note_verifier k;
    bw_error_clear(&err);
    if (bw_note_verifier_parse(s, &k, &err) != BW_OK && err.msg[0] == '\0') {
        abort();
    }
    char origin[64];
    uint64_t n;
    uint8_t root[32];
    bw_error_clear(&err);
    if (bw_checkpoint_parse(s, size, origin, sizeof(origin), &n, root, &err) != BW_OK && err.msg[0] == '\0') {
        abort();
    }
    free(s);
    return 0;
}
