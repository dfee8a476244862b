/*
 * test_note.c - C2SP signed notes and checkpoints (lib/trust/note.c): the
 * signed-note example of C2SP's specification (its key and signature
 * written out below), round trips, tampering, unknown and wrong keys,
 * malformed notes, and the checkpoint examples of tlog-checkpoint.md and a
 * Rekor checkpoint (parse only).
 */
#include <string.h>

#include "bulwark/bw_note.h"
#include "tap.h"
#include "util/internal.h"

/* C2SP signed-note.md, "Verifier keys", example */
static const char spec_vkey[] = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k";
static const char spec_note[] =
    "This is an example message.\n\n"
    "\xE2\x80\x94 example.com/foo "
    "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n";

static void test_spec(void)
{
    bw_note_verifier v;
    bw_error err = {0};
    size_t tl = 0, which = 9;
    bw_buf back = BW_BUF_INIT(4096);

    ok(bw_note_verifier_parse(spec_vkey, &v, &err) == BW_OK, "the spec's verifier key parses (%s)", err.msg);
    ok(v.id == 0x530d903a && strcmp(v.name, "example.com/foo") == 0, "name and key ID");
    ok(bw_note_verifier_format(&v, &back) == BW_OK && strcmp(back.ptr, spec_vkey) == 0, "and formats back the same");
    bw_buf_release(&back);
    is_int(bw_note_verify(spec_note, strlen(spec_note), &v, 1, &tl, &which, &err), BW_OK, "the spec's note verifies");
    ok(tl == strlen("This is an example message.\n") && which == 0, "signed text is the first line, by key 0");
    char bad[sizeof(spec_note)];
    memcpy(bad, spec_note, sizeof(spec_note));
    bad[5] = 'X';
    is_int(bw_note_verify(bad, strlen(bad), &v, 1, &tl, &which, &err), BW_EVERIFY, "a changed text fails: %s", err.msg);
    bw_note_verifier other = v;
    other.id ^= 1;
    is_int(bw_note_verify(spec_note, strlen(spec_note), &other, 1, &tl, &which, &err), BW_EVERIFY,
           "another key ID: no known signature (%s)", err.msg);
    char vk2[sizeof(spec_vkey)];
    memcpy(vk2, spec_vkey, sizeof(spec_vkey));
    vk2[17] = 'f'; /* 530d903a -> 530d903f: the ID no longer matches the key */
    ok(bw_note_verifier_parse(vk2, &other, &err) == BW_EFORMAT, "a verifier key with a wrong ID: %s", err.msg);
}

static void test_round_trip(void)
{
    bw_note_signer s, s2, t;
    bw_error err = {0};
    bw_buf note = BW_BUF_INIT(1 << 16), key = BW_BUF_INIT(4096);
    size_t tl, which;
    uint8_t root[32];

    for (int i = 0; i < 32; i++) {
        root[i] = (uint8_t)(i * 9);
    }
    ok(bw_note_signer_new("bulwark.example/ledger", &s, &err) == BW_OK, "a new signer");
    ok(bw_note_signer_new("other", &t, &err) == BW_OK, "and another");
    ok(bw_note_signer_new("bad name", &s2, &err) == BW_EINVAL && bw_note_signer_new("a+b", &s2, &err) == BW_EINVAL &&
           bw_note_signer_new("", &s2, &err) == BW_EINVAL,
       "names with a space or '+', or empty, refused");
    ok(bw_note_signer_format(&s, &key) == BW_OK && strncmp(key.ptr, "PRIVATE+KEY+bulwark.example/ledger+", 35) == 0,
       "signer key text");
    ok(bw_note_signer_parse(key.ptr, &s2, &err) == BW_OK && memcmp(s2.sk, s.sk, 64) == 0 && s2.v.id == s.v.id,
       "parses back to the same key");
    bw_buf_release(&key);
    bw_buf text = BW_BUF_INIT(4096);
    ok(bw_checkpoint_format("bulwark.example/ledger", 12345, root, &text) == BW_OK, "checkpoint text");
    ok(bw_note_sign(text.ptr, text.len, &s, &note, &err) == BW_OK, "signed");
    const bw_note_verifier vs[2] = {t.v, s.v};
    is_int(bw_note_verify(note.ptr, note.len, vs, 2, &tl, &which, &err), BW_OK, "verifies among two keys");
    ok(tl == text.len && which == 1, "the text and which key");
    char origin[64];
    uint64_t size = 0;
    uint8_t got[32];
    ok(bw_checkpoint_parse(note.ptr, tl, origin, sizeof(origin), &size, got, &err) == BW_OK &&
           strcmp(origin, "bulwark.example/ledger") == 0 && size == 12345 && memcmp(got, root, 32) == 0,
       "the checkpoint reads back");
    /* co-signed by t: both lines; a wrong signature by a known key fails the note */
    bw_buf two = BW_BUF_INIT(1 << 16);
    ok(bw_note_sign(text.ptr, text.len, &t, &two, &err) == BW_OK, "signed by the other");
    bw_buf_add(&note, two.ptr + text.len + 1, two.len - text.len - 1);
    is_int(bw_note_verify(note.ptr, note.len, vs, 2, &tl, &which, &err), BW_OK, "two signature lines verify");
    is_int(bw_note_verify(note.ptr, note.len, &s.v, 1, &tl, &which, &err), BW_OK, "the other's line is ignored");
    note.ptr[note.len - 10] ^= 1; /* inside the last line's base64 */
    ok(bw_note_verify(note.ptr, note.len, vs, 2, &tl, &which, &err) != BW_OK, "a spoiled line of a known key fails");
    bw_buf_release(&two);
    bw_buf_release(&note);
    ok(bw_note_sign("no newline", 10, &s, &note, &err) == BW_EINVAL, "text must end in a newline");
    bw_buf_release(&text);
    bw_note_signer_clear(&s);
    bw_note_signer_clear(&s2);
    bw_note_signer_clear(&t);
    bool zero = true;
    for (size_t i = 0; i < sizeof(s.sk); i++) {
        zero = zero && s.sk[i] == 0;
    }
    ok(zero, "a cleared signer holds no key bytes");
}

static void test_malformed(void)
{
    static const char *const notes[] = {
        "",
        "text\n",
        "text\n\n",
        "text\n\n- example.com/foo AAAA\n",
        "text\n\n\xE2\x80\x94 example.com/foo\n",
        "text\n\n\xE2\x80\x94 example.com/foo !!!!\n",
        "text\n\n\xE2\x80\x94 example.com/foo AAAA",
        "text\n\n\xE2\x80\x94 example.com/foo AA==\n",
        "\n\n\xE2\x80\x94 a AAAAAAAA\n",
        "te\xffxt\n\n\xE2\x80\x94 a AAAAAAAA\n",
    };
    bw_note_verifier v;
    bw_error err = {0};
    size_t tl, which;

    ok(bw_note_verifier_parse(spec_vkey, &v, &err) == BW_OK, "key");
    for (size_t i = 0; i < BW_ARRAY_LEN(notes); i++) {
        bw_error_clear(&err);
        ok(bw_note_verify(notes[i], strlen(notes[i]), &v, 1, &tl, &which, &err) == BW_EFORMAT && err.msg[0] != '\0',
           "malformed note %zu: %s", i, err.msg);
    }
    static const char *const vkeys[] = {"",
                                        "name",
                                        "name+530d903a",
                                        "na me+530d903a+AAAA",
                                        "name+5z0d903a+AAAA",
                                        "name+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2",
                                        "+530d903a+AAAA"};
    for (size_t i = 0; i < BW_ARRAY_LEN(vkeys); i++) {
        ok(bw_note_verifier_parse(vkeys[i], &v, &err) == BW_EFORMAT, "bad verifier key %zu: %s", i, err.msg);
    }
}

static void test_checkpoints(void)
{
    /* tlog-checkpoint.md's example, and a Rekor checkpoint (sigstore-conformance), parsed */
    static const char ex[] = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
    static const char rekor[] = "rekor.sigstore.dev - 1193050959916656506\n649584076\n"
                                "rnpacIXSjoToEDh0qD4CLAKdkPnW1Y4R1DhFMS+AGlI=\nextension line\n";
    char origin[128];
    uint64_t size;
    uint8_t root[32];
    bw_error err = {0};

    ok(bw_checkpoint_parse(ex, strlen(ex), origin, sizeof(origin), &size, root, &err) == BW_OK &&
           strcmp(origin, "example.com/behind-the-sofa") == 0 && size == 20852163 && root[0] == 0x0A &&
           root[31] == 0x62,
       "the spec's checkpoint");
    ok(bw_checkpoint_parse(rekor, strlen(rekor), origin, sizeof(origin), &size, root, &err) == BW_OK &&
           strcmp(origin, "rekor.sigstore.dev - 1193050959916656506") == 0 && size == 649584076,
       "a Rekor checkpoint with an extension line");
    static const char *const bad[] = {"o\n01\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
                                      "o\n-1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
                                      "o\n18446744073709551616\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
                                      "o\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2=\n",
                                      "o\n5\n",
                                      "\n5\nAA==\n"};
    for (size_t i = 0; i < BW_ARRAY_LEN(bad); i++) {
        ok(bw_checkpoint_parse(bad[i], strlen(bad[i]), origin, sizeof(origin), &size, root, &err) == BW_EFORMAT,
           "bad checkpoint %zu: %s", i, err.msg);
    }
}

int main(void)
{
    test_spec();
    test_round_trip();
    test_malformed();
    test_checkpoints();
    return done_testing();
}
