/*
 * read_csv.c - time the data readers alone: open a file with bw_dataset_open,
 * pull every batch and print rows, bytes and MB/s per CPU-second (user + sys).
 *
 *   build-rel/bench/read_csv FILE [--format csv|jsonl|parquet] [--repeat N]
 *
 * With --repeat the best of N runs is printed. A checksum over the values
 * keeps the batches from being dead code and lets two builds be compared.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "bulwark/bulwark.h"

static double cpu_seconds(void)
{
    struct rusage ru;

    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           (double)ru.ru_stime.tv_usec / 1e6;
}

static uint64_t mix(uint64_t h, uint64_t v)
{
    return (h ^ v) * 0x100000001b3ULL;
}

static uint64_t digest(const bw_batch *b)
{
    uint64_t h = b->nrows;

    for (size_t k = 0; k < b->ncols; k++) {
        const bw_column *c = &b->cols[k];
        h = mix(h, (uint64_t)c->type);
        for (size_t i = 0; i < c->n; i++) {
            uint64_t v = 0;
            if (!bw_col_valid(c, i)) {
                h = mix(h, 0x9e37);
                continue;
            }
            switch (c->type) {
            case BW_DT_BOOL: v = c->b[i]; break;
            case BW_DT_INT64:
            case BW_DT_TIMESTAMP: v = (uint64_t)c->i64[i]; break;
            case BW_DT_FLOAT64: memcpy(&v, &c->f64[i], sizeof(v)); break;
            case BW_DT_DATE: v = (uint64_t)(uint32_t)c->days[i]; break;
            case BW_DT_STRING: v = ((uint64_t)c->off[i + 1] << 32) | (c->off[i + 1] - c->off[i]); break;
            case BW_DT_NULL: break;
            }
            h = mix(h, v);
        }
    }
    return h;
}

static int run(const char *path, bw_data_format fmt, bool sum, double *secs, uint64_t *bytes, uint64_t *rows,
               uint64_t *h)
{
    bw_error err = {0};
    bw_dataset *d = NULL;
    const bw_batch *b;
    double t0 = cpu_seconds();

    *h = 0;
    if (bw_dataset_open(path, fmt, NULL, &d, &err) != BW_OK) {
        fprintf(stderr, "read_csv: %s\n", err.msg);
        return 1;
    }
    for (;;) {
        if (bw_dataset_next(d, &b, &err) != BW_OK) {
            fprintf(stderr, "read_csv: %s\n", err.msg);
            bw_dataset_free(d);
            return 1;
        }
        if (b == NULL) {
            break;
        }
        if (sum) {
            *h = mix(*h, digest(b));
        }
    }
    *secs = cpu_seconds() - t0;
    *bytes = bw_dataset_stats(d)->bytes;
    *rows = bw_dataset_stats(d)->rows;
    bw_dataset_free(d);
    return 0;
}

int main(int argc, char **argv)
{
    const char *path = NULL;
    bw_data_format fmt = BW_FMT_AUTO;
    char delim = 0;
    int repeat = 1;
    bool sum = false;
    double best = 0;
    uint64_t bytes = 0, rows = 0, h = 0;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--format") == 0 && i + 1 < argc) {
            if (bw_data_format_parse(argv[++i], &fmt, &delim) != BW_OK) {
                fprintf(stderr, "read_csv: unknown format '%s'\n", argv[i]);
                return 2;
            }
        } else if (strcmp(argv[i], "--repeat") == 0 && i + 1 < argc) {
            repeat = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--sum") == 0) {
            sum = true;
        } else if (path == NULL && argv[i][0] != '-') {
            path = argv[i];
        } else {
            fprintf(stderr, "usage: read_csv FILE [--format csv|jsonl|parquet] [--repeat N] [--sum]\n");
            return 2;
        }
    }
    if (path == NULL) {
        fprintf(stderr, "usage: read_csv FILE [--format csv|jsonl|parquet] [--repeat N] [--sum]\n");
        return 2;
    }
    for (int r = 0; r < (repeat > 0 ? repeat : 1); r++) {
        double secs;
        if (run(path, fmt, sum, &secs, &bytes, &rows, &h) != 0) {
            return 3;
        }
        if (r == 0 || secs < best) {
            best = secs;
        }
    }
    printf("%s: %llu rows, %llu bytes, %.3f CPU s, %.1f MB/s per core", path, (unsigned long long)rows,
           (unsigned long long)bytes, best, best > 0 ? (double)bytes / 1e6 / best : 0.0);
    if (sum) {
        printf(", digest %016llx", (unsigned long long)h);
    }
    printf("\n");
    return 0;
}
