/*
 * codec.c - Parquet page decompression (apache/parquet-format
 * Compression.md): UNCOMPRESSED, SNAPPY, GZIP, ZSTD, BROTLI, LZ4_RAW and
 * the deprecated LZ4 (Hadoop's framing, or a bare LZ4 block as some writers
 * made it). LZO is not read (no writer in use makes it).
 *
 * zlib, libzstd, libbrotlidec and liblz4 are linked. libsnappy is C++ (it would pull
 * libstdc++ into every start-up), so only <snappy-c.h> is compiled against
 * and the library is dlopen()ed on the first snappy page; without it a
 * snappy page is BW_EUNSUPPORTED.
 *
 * Every codec must produce exactly the page header's uncompressed size: a
 * shorter or longer result is BW_EFORMAT. Where the format says its size up
 * front (snappy, a zstd frame), a mismatch is refused before decompressing.
 */
#include <brotli/decode.h>
#include <dlfcn.h>
#include <inttypes.h>
#include <lz4.h>
#include <pthread.h>
#include <snappy-c.h>
#include <zlib.h>
#include <zstd.h>

#include "formats/parquet/pq_internal.h"

struct pq_codecs {
    ZSTD_DCtx *zstd;
    z_stream z;
    bool z_ready;
};

pq_codecs *pq_codecs_new(void)
{
    return bw_calloc(1, sizeof(pq_codecs));
}

void pq_codecs_free(pq_codecs *c)
{
    if (c == NULL) {
        return;
    }
    ZSTD_freeDCtx(c->zstd);
    if (c->z_ready) {
        inflateEnd(&c->z);
    }
    bw_free(c);
}

/* ---- libsnappy, loaded on first use ---- */

static __typeof__(snappy_uncompress) *p_snappy_uncompress;
static __typeof__(snappy_uncompressed_length) *p_snappy_uncompressed_length;
static bool snappy_loaded;
static pthread_once_t snappy_once = PTHREAD_ONCE_INIT;

static void snappy_resolve(void)
{
    static const char *const names[] = {"libsnappy.so.1", "libsnappy.so"};
    void *lib;

    lib = bw_dlopen_first(names, BW_ARRAY_LEN(names));
    if (lib == NULL) {
        return;
    }
    *(void **)&p_snappy_uncompress = dlsym(lib, "snappy_uncompress");
    *(void **)&p_snappy_uncompressed_length = dlsym(lib, "snappy_uncompressed_length");
    snappy_loaded = p_snappy_uncompress != NULL && p_snappy_uncompressed_length != NULL;
}

bool pq_snappy_available(void)
{
    if (getenv("BULWARK_TEST_NO_SNAPPY") != NULL) {
        return false; /* test hook: behave as on a machine without libsnappy */
    }
    pthread_once(&snappy_once, snappy_resolve);
    return snappy_loaded;
}

static bw_status bad(bw_error *err, const char *name, uint64_t origin, const char *codec, const char *why, size_t dn)
{
    return bw_fail_at(err, BW_EFORMAT, origin, "%s: offset %" PRIu64 ": %s page: %s (the header says %zu bytes)", name,
                      origin, codec, why, dn);
}

static bw_status gunzip(pq_codecs *c, const uint8_t *src, size_t n, uint8_t *dst, size_t dn, const char *name,
                        uint64_t origin, bw_error *err)
{
    z_stream *z = &c->z;
    int zr;

    if (n > UINT_MAX || dn > UINT_MAX) {
        return bw_fail_at(err, BW_ELIMIT, origin, "%s: offset %" PRIu64 ": GZIP page over 4 GiB", name, origin);
    }
    if (!c->z_ready) {
        memset(z, 0, sizeof(*z));
        if (inflateInit2(z, 15 + 32) != Z_OK) { /* 32: gzip or zlib header, detected */
            return bw_fail(err, BW_ENOMEM, "%s: out of memory (zlib)", name);
        }
        c->z_ready = true;
    } else if (inflateReset(z) != Z_OK) {
        return bw_fail(err, BW_ENOMEM, "%s: zlib reset failed", name);
    }
    z->next_in = (Bytef *)(uintptr_t)src;
    z->avail_in = (uInt)n;
    z->next_out = dst;
    z->avail_out = (uInt)dn;
    for (;;) {
        zr = inflate(z, Z_FINISH);
        if (zr == Z_STREAM_END && z->avail_in > 0 && z->avail_out > 0) {
            /* another gzip member follows: keep going with the same output */
            Bytef *next_in = z->next_in, *next_out = z->next_out;
            uInt avail_in = z->avail_in, avail_out = z->avail_out;
            if (inflateReset(z) != Z_OK) {
                return bw_fail(err, BW_ENOMEM, "%s: zlib reset failed", name);
            }
            z->next_in = next_in;
            z->avail_in = avail_in;
            z->next_out = next_out;
            z->avail_out = avail_out;
            continue;
        }
        break;
    }
    if (zr != Z_STREAM_END) {
        return bad(err, name, origin, "GZIP",
                   zr == Z_BUF_ERROR && z->avail_out == 0 ? "inflates to more bytes" : "corrupt or truncated stream",
                   dn);
    }
    if (z->avail_out != 0) {
        return bad(err, name, origin, "GZIP", "inflates to fewer bytes", dn);
    }
    if (z->avail_in != 0) {
        return bad(err, name, origin, "GZIP", "bytes after the stream", dn);
    }
    return BW_OK;
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Hadoop's LZ4 framing: blocks of [u32be raw size][u32be compressed size][LZ4 block]. */
static bool lz4_hadoop(const uint8_t *src, size_t n, uint8_t *dst, size_t dn)
{
    size_t in = 0, out = 0;

    while (in < n) {
        if (n - in < 8) {
            return false;
        }
        uint32_t raw = be32(src + in), comp = be32(src + in + 4);
        in += 8;
        if (comp > n - in || raw > dn - out || comp > INT_MAX || raw > INT_MAX) {
            return false;
        }
        int got = LZ4_decompress_safe((const char *)src + in, (char *)dst + out, (int)comp, (int)raw);
        if (got < 0 || (uint32_t)got != raw) {
            return false;
        }
        in += comp;
        out += raw;
    }
    return out == dn;
}

bw_status pq_decompress(pq_codecs *c, int32_t codec, const uint8_t *src, size_t n, uint8_t *dst, size_t dn,
                        const char *name, uint64_t origin, bw_error *err)
{
    switch (codec) {
    case BW_PARQUET_UNCOMPRESSED:
        if (n != dn) {
            return bad(err, name, origin, "UNCOMPRESSED", "compressed and uncompressed sizes differ", dn);
        }
        if (n > 0) {
            memcpy(dst, src, n);
        }
        return BW_OK;
    case BW_PARQUET_SNAPPY: {
        size_t len = 0;
        if (!pq_snappy_available()) {
            return bw_fail_at(err, BW_EUNSUPPORTED, origin,
                              "%s: offset %" PRIu64 ": SNAPPY page: libsnappy (libsnappy.so.1) cannot be loaded; "
                              "install it (Debian: libsnappy1v5)",
                              name, origin);
        }
        if (p_snappy_uncompressed_length((const char *)src, n, &len) != SNAPPY_OK) {
            return bad(err, name, origin, "SNAPPY", "corrupt length preamble", dn);
        }
        if (len != dn) {
            return bw_fail_at(err, BW_EFORMAT, origin,
                              "%s: offset %" PRIu64 ": SNAPPY page says %zu bytes, the header %zu", name, origin, len,
                              dn);
        }
        len = dn;
        if (dn > 0 && p_snappy_uncompress((const char *)src, n, (char *)dst, &len) != SNAPPY_OK) {
            return bad(err, name, origin, "SNAPPY", "corrupt stream", dn);
        }
        if (len != dn) {
            return bad(err, name, origin, "SNAPPY", "wrong size", dn);
        }
        return BW_OK;
    }
    case BW_PARQUET_GZIP: return gunzip(c, src, n, dst, dn, name, origin, err);
    case BW_PARQUET_ZSTD: {
        unsigned long long fcs = ZSTD_getFrameContentSize(src, n);
        if (fcs == ZSTD_CONTENTSIZE_ERROR) {
            return bad(err, name, origin, "ZSTD", "not a zstd frame", dn);
        }
        if (fcs != ZSTD_CONTENTSIZE_UNKNOWN && fcs > dn) {
            return bw_fail_at(err, BW_EFORMAT, origin,
                              "%s: offset %" PRIu64 ": ZSTD frame says %llu bytes, the header %zu", name, origin, fcs,
                              dn);
        }
        if (c->zstd == NULL && (c->zstd = ZSTD_createDCtx()) == NULL) {
            return bw_fail(err, BW_ENOMEM, "%s: out of memory (zstd)", name);
        }
        size_t got = ZSTD_decompressDCtx(c->zstd, dst, dn, src, n);
        if (ZSTD_isError(got)) {
            return bad(err, name, origin, "ZSTD", ZSTD_getErrorName(got), dn);
        }
        if (got != dn) {
            return bad(err, name, origin, "ZSTD", "decompresses to fewer bytes", dn);
        }
        return BW_OK;
    }
    case BW_PARQUET_LZ4_RAW: {
        if (n > INT_MAX || dn > INT_MAX) {
            return bw_fail_at(err, BW_ELIMIT, origin, "%s: offset %" PRIu64 ": LZ4 page over 2 GiB", name, origin);
        }
        int got = LZ4_decompress_safe((const char *)src, (char *)dst, (int)n, (int)dn);
        if (got < 0) {
            return bad(err, name, origin, "LZ4_RAW", "corrupt block or more bytes", dn);
        }
        if ((size_t)got != dn) {
            return bad(err, name, origin, "LZ4_RAW", "decompresses to fewer bytes", dn);
        }
        return BW_OK;
    }
    case BW_PARQUET_LZ4: {
        if (n > INT_MAX || dn > INT_MAX) {
            return bw_fail_at(err, BW_ELIMIT, origin, "%s: offset %" PRIu64 ": LZ4 page over 2 GiB", name, origin);
        }
        if (lz4_hadoop(src, n, dst, dn)) {
            return BW_OK;
        }
        int got = LZ4_decompress_safe((const char *)src, (char *)dst, (int)n, (int)dn);
        if (got >= 0 && (size_t)got == dn) {
            return BW_OK;
        }
        return bad(err, name, origin, "LZ4", "neither Hadoop-framed nor a bare LZ4 block of that size", dn);
    }
    case BW_PARQUET_BROTLI: {
        /* one shot into exactly the page's size: a stream that would write more stops there */
        size_t got = dn;
        BrotliDecoderResult r = BrotliDecoderDecompress(n, src, &got, dst);
        if (r == BROTLI_DECODER_RESULT_SUCCESS && got == dn) {
            return BW_OK;
        }
        return bad(err, name, origin, "BROTLI",
                   r == BROTLI_DECODER_RESULT_SUCCESS ? "decompresses to fewer bytes" : "corrupt stream or more bytes",
                   dn);
    }
    default:
        return bw_fail_at(err, BW_EUNSUPPORTED, origin, "%s: offset %" PRIu64 ": %s pages are not supported", name,
                          origin, bw_parquet_codec_name(codec));
    }
}
