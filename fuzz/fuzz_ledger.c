/*
 * fuzz_ledger.c - what the ledger reads back or is handed (lib/trust/ledger.c): stored entry
 * bytes, JSON entries and a client's old checkpoint.
 *
 * Invariants: the canonical-form checker accepts exactly what the canonical writer produces
 * (bytes it accepts are rewritten to themselves; a canonicalised entry passes it); the
 * summary and fill helpers never crash; and an arbitrary "old checkpoint" given to verify of a
 * small real ledger fails with a message (it cannot be signed by the ledger's note key).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "trust/ledger_store.h"

static bw_ledger *ledger;

static void setup(void)
{
    static char dir[] = "/tmp/fuzz_ledger.XXXXXX";
    char path[64];
    bw_ledger_opts o = BW_LEDGER_OPTS_INIT;
    bw_note_signer ns;
    bw_error err = {0};
    const char *e =
        "{\"kind\":\"gate\",\"time\":\"2026-11-24T10:00:00Z\",\"actor\":\"f\",\"check\":\"c\",\"verdict\":\"pass\"}";

    FUZZ_CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof(path), "%s/l.db", dir);
    o.create = true;
    o.origin = "fuzz.example/log";
    FUZZ_CHECK(bw_ledger_open(&ledger, path, &o, &err) == BW_OK);
    FUZZ_CHECK(bw_note_signer_new(o.origin, &ns, &err) == BW_OK);
    FUZZ_CHECK(bw_ledger_append(ledger, e, strlen(e), NULL, &ns, NULL, &err) == BW_OK);
    FUZZ_CHECK(bw_ledger_append(ledger, e, strlen(e), NULL, &ns, NULL, &err) == BW_OK);
    bw_note_signer_clear(&ns);
    /* the file stays open; unlinking it now leaves nothing behind */
    unlink(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    bw_buf a = BW_BUF_INIT(1 << 22), b = BW_BUF_INIT(1 << 22);
    bw_error err;
    char kind[16];

    if (ledger == NULL) {
        setup();
    }
    /* stored bytes: accepted only if they are their own canonical form */
    bw_error_clear(&err);
    if (bw_ledger_entry_check(data, size, kind, &err) == BW_OK) {
        bw_error e2 = {0};
        FUZZ_CHECK(kind[0] != '\0');
        FUZZ_CHECK(bw_ledger_json_canonical((const char *)data, size, &a, &e2) == BW_OK);
        FUZZ_CHECK(a.len == size && memcmp(a.ptr, data, size) == 0);
    } else {
        FUZZ_CHECK(err.msg[0] != '\0');
    }
    /* entries handed in: a canonicalised entry passes the checker and is a fixed point */
    bw_buf_reset(&a);
    bw_error_clear(&err);
    if (bw_ledger_entry_canonical((const char *)data, size, &a, &err) == BW_OK) {
        bw_error e2 = {0};
        FUZZ_CHECK(bw_ledger_entry_check(a.ptr, a.len, kind, &e2) == BW_OK);
        FUZZ_CHECK(bw_ledger_json_canonical(a.ptr, a.len, &b, &e2) == BW_OK);
        FUZZ_CHECK(a.len == b.len && memcmp(a.ptr, b.ptr, a.len) == 0);
    } else {
        FUZZ_CHECK(err.msg[0] != '\0');
    }
    bw_buf_reset(&b);
    if (bw_ledger_entry_summary(data, size, &b) != BW_OK) {
        /* out of room is fine; a crash is not */
    }
    bw_buf_reset(&b);
    bw_error_clear(&err);
    if (bw_ledger_entry_fill((const char *)data, size, "2026-11-24T10:00:00Z", "f", &b, &err) != BW_OK) {
        FUZZ_CHECK(err.msg[0] != '\0');
    }
    /* a client's old checkpoint */
    bw_ledger_verify_opts vo = BW_LEDGER_VERIFY_OPTS_INIT;
    bw_ledger_report rep;
    vo.since = (const char *)data;
    vo.since_len = size;
    bw_error_clear(&err);
    bw_status rc = bw_ledger_verify(ledger, &vo, &rep, &err);
    FUZZ_CHECK(rc == BW_EVERIFY || rc == BW_EFORMAT || rc == BW_ELIMIT);
    FUZZ_CHECK(err.msg[0] != '\0');
    bw_buf_release(&a);
    bw_buf_release(&b);
    return 0;
}
