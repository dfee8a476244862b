/*
 * base64.c - base64 (RFC 4648): writing the standard form, and decoding
 * untrusted input.
 *
 * DSSE and Sigstore producers disagree on the alphabet and padding: the DSSE
 * spec allows either standard or URL-safe base64, and some writers drop the
 * '=' padding. The decoder accepts both alphabets (not mixed within one
 * input) and optional padding, and rejects everything else: whitespace,
 * bits left over in the last character, data after padding.
 */
#include "util/internal.h"

static int b64val(unsigned char c, int *alphabet)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }
    if (c == '+' || c == '/') {
        if (*alphabet == 2) {
            return -1;
        }
        *alphabet = 1;
        return c == '+' ? 62 : 63;
    }
    if (c == '-' || c == '_') {
        if (*alphabet == 1) {
            return -1;
        }
        *alphabet = 2;
        return c == '-' ? 62 : 63;
    }
    return -1;
}

bw_status bw_base64_decode(const char *in, size_t n, bw_buf *out, size_t *bad_at)
{
    uint32_t acc = 0;
    int bits = 0, alphabet = 0;
    size_t pad = 0, data = n;

    *bad_at = 0;
    while (data > 0 && in[data - 1] == '=' && pad < 2) {
        data--;
        pad++;
    }
    if (pad > 0 && n % 4 != 0) {
        *bad_at = n - pad;
        return BW_EFORMAT;
    }
    if (data % 4 == 1) {
        *bad_at = data;
        return BW_EFORMAT;
    }
    BW_TRY(bw_buf_grow(out, data / 4 * 3 + 2));
    for (size_t i = 0; i < data; i++) {
        int v = b64val((unsigned char)in[i], &alphabet);
        if (v < 0) {
            *bad_at = i;
            return BW_EFORMAT;
        }
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out->ptr[out->len++] = (char)((acc >> bits) & 0xff);
        }
    }
    if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) {
        *bad_at = data - 1; /* non-canonical: leftover bits set */
        return BW_EFORMAT;
    }
    out->ptr[out->len] = '\0';
    return BW_OK;
}

bw_status bw_base64_encode(const void *data, size_t n, bw_buf *out)
{
    static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const uint8_t *p = data;
    size_t i = 0;

    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        char q[4] = {a[v >> 18], a[v >> 12 & 63], a[v >> 6 & 63], a[v & 63]};
        bw_buf_add(out, q, 4);
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)p[i] << 16;
        char q[4] = {a[v >> 18], a[v >> 12 & 63], '=', '='};
        bw_buf_add(out, q, 4);
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
        char q[4] = {a[v >> 18], a[v >> 12 & 63], a[v >> 6 & 63], '='};
        bw_buf_add(out, q, 4);
    }
    return out->err;
}
