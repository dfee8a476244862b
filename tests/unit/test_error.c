/*
 * test_error.c - status text, the error record, bw_fail keeping the first
 * message, bw_fail_errno, bw_parse_u64 and bw_escape_for_log.
 */
#include <errno.h>

#include "tap.h"
#include "util/internal.h"

static const bw_status all_codes[] = {
    BW_OK,      BW_EINVAL,    BW_EFORMAT,  BW_ELIMIT, BW_EIO,          BW_ENOMEM,
    BW_EVERIFY, BW_ENOTFOUND, BW_ECHANGED, BW_ELOOP,  BW_EUNSUPPORTED, BW_ECANCELED,
};

static void test_strerror(void)
{
    int empty = 0, dup = 0, unknown = 0;
    const char *unk = bw_strerror((bw_status)-9999);

    for (size_t i = 0; i < BW_ARRAY_LEN(all_codes); i++) {
        const char *a = bw_strerror(all_codes[i]);
        if (a == NULL || a[0] == '\0') {
            empty++;
            continue;
        }
        if (strcmp(a, unk) == 0) {
            unknown++;
        }
        for (size_t j = 0; j < i; j++) {
            if (strcmp(a, bw_strerror(all_codes[j])) == 0) {
                dup++;
                tap_diag("codes %d and %d share '%s'", all_codes[i], all_codes[j], a);
            }
        }
    }
    is_int(empty, 0, "bw_strerror is non-empty for every code");
    is_int(dup, 0, "bw_strerror is distinct for every code");
    is_int(unknown, 0, "no known code maps to the unknown text");
    ok(unk != NULL && unk[0] != '\0', "an unknown code still gets text");
    ok(bw_strerror((bw_status)1) != NULL, "a positive code gets text");
    is_str(bw_strerror(BW_OK), "success", "BW_OK text");
    is_str(bw_strerror(BW_EFORMAT), "format error", "BW_EFORMAT text");
    /* the codes are ABI: never renumbered */
    ok(BW_EINVAL == -1 && BW_EFORMAT == -2 && BW_ELIMIT == -3 && BW_EIO == -4 && BW_ENOMEM == -5 && BW_EVERIFY == -6 &&
           BW_ENOTFOUND == -7 && BW_ECHANGED == -8 && BW_ELOOP == -9 && BW_EUNSUPPORTED == -10 && BW_ECANCELED == -11,
       "status code values are fixed");
    ok(bw_version() != NULL && strchr(bw_version(), '.') != NULL, "bw_version looks like a version");
}

static void test_fail(void)
{
    bw_error err;
    bw_status rc;

    memset(&err, 0x5a, sizeof(err));
    bw_error_clear(&err);
    is_int(err.code, BW_OK, "clear sets BW_OK");
    ok(err.offset == BW_NO_OFFSET, "clear sets no offset");
    is_str(err.msg, "", "clear empties the message");
    ok(err.src_file == NULL && err.src_line == 0, "clear resets the source location");
    bw_error_clear(NULL);
    ok(1, "clear accepts NULL");

    rc = bw_fail(&err, BW_EFORMAT, "bad %s at %d", "thing", 7);
    is_int(rc, BW_EFORMAT, "bw_fail returns the code");
    is_int(err.code, BW_EFORMAT, "bw_fail records the code");
    is_str(err.msg, "bad thing at 7", "bw_fail formats the message");
    ok(err.offset == BW_NO_OFFSET, "bw_fail records no offset");
    ok(err.src_file != NULL && strstr(err.src_file, "test_error.c") != NULL, "bw_fail records the file");
    ok(err.src_line > 0, "bw_fail records the line");

    rc = bw_fail_at(&err, BW_EIO, 42, "outer message");
    is_int(rc, BW_EIO, "second fail returns its own code");
    is_int(err.code, BW_EFORMAT, "second fail keeps the first code");
    is_str(err.msg, "bad thing at 7", "second fail keeps the first message");
    ok(err.offset == BW_NO_OFFSET, "second fail keeps the first offset");

    bw_error_clear(&err);
    rc = bw_fail_at(&err, BW_ELIMIT, 1234, "too big");
    is_int(err.offset, 1234, "bw_fail_at records the offset");
    is_int(rc, BW_ELIMIT, "bw_fail_at returns the code");

    is_int(bw_fail(NULL, BW_ENOMEM, "x"), BW_ENOMEM, "bw_fail with NULL err returns the code");
    bw_error_clear(&err);
    is_int(bw_fail(&err, BW_OK, "not an error"), BW_OK, "bw_fail with BW_OK returns OK");
    is_int(err.code, BW_OK, "bw_fail with BW_OK records nothing");
    is_str(err.msg, "", "bw_fail with BW_OK leaves no message");

    /* a message longer than the buffer is truncated and terminated */
    {
        char big[600];
        memset(big, 'm', sizeof(big) - 1);
        big[sizeof(big) - 1] = '\0';
        bw_error_clear(&err);
        (void)bw_fail(&err, BW_EFORMAT, "%s", big);
        is_int(strlen(err.msg), BW_ERROR_MSG_SIZE - 1, "long message truncated to the buffer");
    }
}

static void test_fail_errno(void)
{
    bw_error err;

    bw_error_clear(&err);
    is_int(bw_fail_errno(&err, ENOENT, "cannot open", "model.pkl"), BW_ENOTFOUND, "ENOENT -> BW_ENOTFOUND");
    like(err.msg, "cannot open 'model.pkl': ", "errno message names the subject");
    bw_error_clear(&err);
    is_int(bw_fail_errno(&err, EACCES, "cannot open", "a"), BW_EIO, "EACCES -> BW_EIO");
    bw_error_clear(&err);
    is_int(bw_fail_errno(&err, ENOMEM, "cannot read", "a"), BW_ENOMEM, "ENOMEM -> BW_ENOMEM");
    bw_error_clear(&err);
    is_int(bw_fail_errno(&err, ELOOP, "cannot open", "link"), BW_EIO, "ELOOP -> BW_EIO");
    like(err.msg, "symbolic link", "ELOOP message");
    bw_error_clear(&err);
    (void)bw_fail_errno(&err, ENOENT, "cannot open", "evil\nname\x1b[31m");
    ok(strchr(err.msg, '\n') == NULL && strchr(err.msg, '\x1b') == NULL, "path is escaped in the message");
    like(err.msg, "evil\\x0aname\\x1b[31m", "escaped path text");
}

static void test_parse_u64(void)
{
    uint64_t v;

#define PARSE(s, max) bw_parse_u64((s), strlen(s), (max), &v)
    v = 1;
    is_int(PARSE("0", UINT64_MAX), BW_OK, "parse 0");
    ok(v == 0, "value 0");
    is_int(PARSE("12345", UINT64_MAX), BW_OK, "parse 12345");
    ok(v == 12345, "value 12345");
    is_int(PARSE("007", UINT64_MAX), BW_OK, "leading zeros");
    ok(v == 7, "value 7");
    is_int(PARSE("18446744073709551615", UINT64_MAX), BW_OK, "parse UINT64_MAX");
    ok(v == UINT64_MAX, "value UINT64_MAX");
    is_int(PARSE("18446744073709551616", UINT64_MAX), BW_ELIMIT, "UINT64_MAX + 1 overflows");
    is_int(PARSE("18446744073709551620", UINT64_MAX), BW_ELIMIT, "overflow in the last digit");
    is_int(PARSE("99999999999999999999999", UINT64_MAX), BW_ELIMIT, "far overflow");
    is_int(PARSE("100", 100), BW_OK, "exactly max");
    ok(v == 100, "value max");
    is_int(PARSE("101", 100), BW_ELIMIT, "max + 1");
    is_int(PARSE("5", 5), BW_OK, "one digit equal to max");
    is_int(PARSE("7", 5), BW_ELIMIT, "one digit over a small max");
    is_int(PARSE("19", 15), BW_ELIMIT, "last digit over a small max");
    is_int(PARSE("9", 0), BW_ELIMIT, "nonzero digit with max 0");
    is_int(PARSE("0", 0), BW_OK, "zero with max 0");
    v = 77;
    is_int(PARSE("", UINT64_MAX), BW_EFORMAT, "empty string");
    is_int(PARSE("12a", UINT64_MAX), BW_EFORMAT, "trailing non-digit");
    is_int(PARSE("-1", UINT64_MAX), BW_EFORMAT, "minus sign");
    is_int(PARSE("+1", UINT64_MAX), BW_EFORMAT, "plus sign");
    is_int(PARSE(" 1", UINT64_MAX), BW_EFORMAT, "leading space");
    is_int(PARSE("1 ", UINT64_MAX), BW_EFORMAT, "trailing space");
    is_int(PARSE("0x10", UINT64_MAX), BW_EFORMAT, "hex prefix");
    ok(v == 77, "output untouched on failure");
    /* n bounds the parse: digits after n are not read, a NUL inside n is a non-digit */
    is_int(bw_parse_u64("123xyz", 3, UINT64_MAX, &v), BW_OK, "parse a prefix of length n");
    ok(v == 123, "prefix value");
    is_int(bw_parse_u64("1\0002", 3, UINT64_MAX, &v), BW_EFORMAT, "embedded NUL is a non-digit");
#undef PARSE
}

static void test_escape(void)
{
    char out[64];
    char small[8];
    int bad = 0;

    bw_escape_for_log("plain text", 10, out, sizeof(out));
    is_str(out, "plain text", "printable text unchanged");
    bw_escape_for_log("a\nb\rc\td\x1b"
                      "e\x7f"
                      "f",
                      11, out, sizeof(out));
    is_str(out, "a\\x0ab\\x0dc\\x09d\\x1be\\x7ff", "control characters escaped");
    bw_escape_for_log("back\\slash", 10, out, sizeof(out));
    is_str(out, "back\\x5cslash", "backslash escaped, so escapes are unambiguous");
    bw_escape_for_log("a\0b", 3, out, sizeof(out));
    is_str(out, "a\\x00b", "NUL escaped, length honoured");
    bw_escape_for_log("", 0, out, sizeof(out));
    is_str(out, "", "empty input");
    bw_escape_for_log("caf\xc3\xa9 \xe2\x82\xac", 9, out, sizeof(out));
    is_str(out, "caf\xc3\xa9 \xe2\x82\xac", "valid UTF-8 passes through");
    bw_escape_for_log("a\xff"
                      "b\xc3"
                      "c",
                      5, out, sizeof(out));
    is_str(out, "a\\xffb\\xc3c", "invalid UTF-8 bytes escaped");
    bw_escape_for_log("\xc0\xaf\xed\xa0\x80\xf4\x90\x80\x80", 9, out, sizeof(out));
    ok(strchr(out, '\xc0') == NULL && strchr(out, '\xed') == NULL && strchr(out, '\xf4') == NULL,
       "overlong, surrogate and out-of-range sequences escaped: '%s'", out);
    bw_escape_for_log("[\xc2\x9b"
                      "31m]\xc2\xa0",
                      9, out, sizeof(out));
    is_str(out, "[\\xc2\\x9b31m]\xc2\xa0", "C1 controls (CSI) escaped, U+00A0 kept");
    bw_escape_for_log("x\xe2\x82", 3, out, sizeof(out));
    is_str(out, "x\\xe2\\x82", "truncated UTF-8 sequence escaped");

    /* truncation: every cap from 1 up, never past cap, always terminated */
    {
        static const char in[] = "ab\x01\xc3\xa9"
                                 "cd\n\\ef";
        for (size_t cap = 1; cap <= 40; cap++) {
            char guard[48];
            memset(guard, '#', sizeof(guard));
            bw_escape_for_log(in, sizeof(in) - 1, guard, cap);
            if (strnlen(guard, cap) >= cap || guard[cap] != '#') {
                bad++;
                tap_diag("cap %zu overflowed or unterminated", cap);
            }
            for (size_t k = cap; k < sizeof(guard); k++) {
                if (guard[k] != '#') {
                    bad++;
                    break;
                }
            }
            /* never cuts an escape or a character in half */
            {
                size_t l = strlen(guard);
                if (l > 0 && (guard[l - 1] == '\\' || (unsigned char)guard[l - 1] == 0xc3)) {
                    bad++;
                    tap_diag("cap %zu ends in a partial escape: '%s'", cap, guard);
                }
                if (l >= 2 && guard[l - 2] == '\\') {
                    bad++;
                }
                if (l >= 3 && guard[l - 3] == '\\' && guard[l - 2] == 'x') {
                    bad++;
                }
            }
        }
    }
    is_int(bad, 0, "truncation never overflows and never splits an escape");
    memset(small, '#', sizeof(small));
    bw_escape_for_log("abc", 3, small, 0);
    ok(small[0] == '#', "cap 0 writes nothing");
    bw_escape_for_log("abcdefghij", 10, small, sizeof(small));
    is_str(small, "abcdefg", "truncated to cap - 1 characters");
    bw_escape_for_log("abc\nd", 5, small, sizeof(small));
    is_str(small, "abc\\x0a", "escape that fits exactly");
    bw_escape_for_log("abcd\ne", 6, small, sizeof(small));
    is_str(small, "abcd", "escape that does not fit is dropped whole");
    bw_escape_for_log("abcdef\xc3\xa9", 8, small, sizeof(small));
    is_str(small, "abcdef", "a character that does not fit is dropped whole");
}

int main(void)
{
    test_strerror();
    test_fail();
    test_fail_errno();
    test_parse_u64();
    test_escape();
    return done_testing();
}
