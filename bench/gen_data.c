/*
 * gen_data.c - the data benchmark's CSV (issue 6): hospital stays modelled on
 * examples/readmission, 12 mixed columns, about 100 bytes a row, with the
 * exact per-column statistics written beside it.
 *
 * Build and run (bench/data.sh does both):
 *   cc -O2 -o gen_data bench/gen_data.c -lm
 *   ./gen_data --rows 15000000 --seed 20240606 --out data.csv
 * writes data.csv and data.csv.stats.json. Deterministic: the same rows,
 * seed and generator give the same bytes on any little- or big-endian
 * machine (the RNG is splitmix64; floats are formatted from integers).
 *
 * Columns (null = empty unquoted field):
 *   patient_id  string  "P" + 8 hex digits of a bijection of the row number: unique
 *   age         int     0..104, 0.5 % null
 *   sex         string  F, M, X, U
 *   admitted    date    2015-01-01 .. 2024-12-31
 *   discharged  ts      admitted + a random time of day + 30 min .. 60 days, 1 % null
 *   los_days    float   (discharged - admitted) in days, 2 decimals, null with discharged
 *   diagnosis   string  ICD-10-like codes (2,000), Zipf-distributed, 0.3 % null
 *   ward        string  12 wards
 *   cost        float   log-normal, 2 decimals, 0.05 % outliers over 100,000, 0.2 % null
 *   email       string  first.last<n>@domain, 1 % malformed (no @, @@, no TLD, a space), 3 % null
 *   readmitted  bool    true / false
 *   notes       string  free text, 70 % null; commas, "quotes", rare line breaks (RFC 4180
 *                       quoted), rare formula-like, markup and tab-containing notes
 *
 * Exact statistics: every column's value is an injective function of an
 * integer key from a bounded range, so the distinct count is the number of
 * keys seen, kept in bitmaps (about 90 MB in all, whatever the row count).
 * Distinct counts exclude nulls (SQL count(DISTINCT)); min and max compare
 * strings bytewise (DuckDB's VARCHAR order), numbers numerically.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- rng ---------------------------------------------------------------- */

static uint64_t rng_state;

static uint64_t next64(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static double unif(void) /* [0, 1) */
{
    return (double)(next64() >> 11) * (1.0 / 9007199254740992.0);
}

static uint32_t below(uint32_t n)
{
    return (uint32_t)(((next64() >> 32) * (uint64_t)n) >> 32);
}

static double normal(void)
{
    double u = unif(), v = unif();
    return sqrt(-2.0 * log(1.0 - u)) * cos(6.283185307179586 * v);
}

/* a bijection of 32-bit integers: patient ids are unique by construction */
static uint32_t mix32(uint32_t x)
{
    x ^= x >> 16;
    x *= 0x7feb352dU;
    x ^= x >> 15;
    x *= 0x846ca68bU;
    x ^= x >> 16;
    return x;
}

/* ---- bitmaps for exact distinct counts ------------------------------------ */

typedef struct {
    uint64_t *w;
    uint64_t nbits;
} bitmap;

static void bm_init(bitmap *b, uint64_t nbits)
{
    b->nbits = nbits;
    b->w = calloc((nbits + 63) / 64, 8);
    if (b->w == NULL) {
        fprintf(stderr, "gen_data: out of memory\n");
        exit(1);
    }
}

static void bm_set(bitmap *b, uint64_t i)
{
    if (i >= b->nbits) {
        fprintf(stderr, "gen_data: internal error: key %" PRIu64 " >= %" PRIu64 "\n", i, b->nbits);
        exit(1);
    }
    b->w[i >> 6] |= 1ULL << (i & 63);
}

static uint64_t bm_count(const bitmap *b)
{
    uint64_t n = 0;
    for (uint64_t i = 0; i < (b->nbits + 63) / 64; i++) {
        n += (uint64_t)__builtin_popcountll(b->w[i]);
    }
    return n;
}

/* ---- output buffer ------------------------------------------------------- */

static char obuf[1 << 20];
static size_t olen;
static FILE *out;
static uint64_t out_bytes;

static void flush(void)
{
    if (olen > 0 && fwrite(obuf, 1, olen, out) != olen) {
        fprintf(stderr, "gen_data: write failed: %s\n", strerror(errno));
        exit(1);
    }
    out_bytes += olen;
    olen = 0;
}

static void put(const char *s, size_t n)
{
    memcpy(obuf + olen, s, n);
    olen += n;
}

static void putc1(char c)
{
    obuf[olen++] = c;
}

static void putu(uint64_t v)
{
    char t[24];
    int n = 0;
    do {
        t[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v > 0);
    while (n > 0) {
        obuf[olen++] = t[--n];
    }
}

static void put2(unsigned v)
{
    obuf[olen++] = (char)('0' + v / 10);
    obuf[olen++] = (char)('0' + v % 10);
}

static void putcents(uint64_t c)
{
    putu(c / 100);
    putc1('.');
    put2((unsigned)(c % 100));
}

/* ---- string statistics --------------------------------------------------- */

typedef struct {
    char *min, *max;
    size_t nmin, nmax;
    int have;
} strminmax;

static void smm_add(strminmax *m, const char *s, size_t n)
{
    if (!m->have) {
        m->min = malloc(4096);
        m->max = malloc(4096);
        memcpy(m->min, s, n);
        memcpy(m->max, s, n);
        m->nmin = m->nmax = n;
        m->have = 1;
        return;
    }
    size_t k = n < m->nmin ? n : m->nmin;
    int c = memcmp(s, m->min, k);
    if (c < 0 || (c == 0 && n < m->nmin)) {
        memcpy(m->min, s, n);
        m->nmin = n;
    }
    k = n < m->nmax ? n : m->nmax;
    c = memcmp(s, m->max, k);
    if (c > 0 || (c == 0 && n > m->nmax)) {
        memcpy(m->max, s, n);
        m->nmax = n;
    }
}

/* ---- calendar ------------------------------------------------------------ */

#define DAY0_YEAR 2015
#define NDAYS 3653 /* 2015-01-01 .. 2024-12-31 */
#define MAX_LOS_S (60L * 86400)
static char datestr[NDAYS + 64][11];

static void civil(long z, int *y, unsigned *m, unsigned *d) /* days since 1970-01-01 */
{
    z += 719468;
    long era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long yy = (long)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int)(yy + (*m <= 2));
}

/* ---- vocabularies ----------------------------------------------------------- */

static const char *const wards[] = {"Cardio", "ICU", "Onco",  "Surgery",  "Peds",  "Neuro",
                                    "Geri",   "Mat", "Ortho", "Internal", "Renal", "ER"};
static const double ward_w[] = {12, 5, 8, 14, 6, 7, 9, 4, 8, 16, 4, 7};
#define NWARDS 12

static const char *const firsts[] = {
    "anna", "ben",  "carla", "dev",   "emma", "finn",   "gita",  "hugo",  "ines", "jon",   "kim",  "leo",   "maria",
    "nils", "olga", "paul",  "quinn", "rosa", "sam",    "tara",  "uwe",   "vera", "wim",   "xena", "yusuf", "zoe",
    "amir", "bea",  "chen",  "dana",  "eli",  "fatima", "greta", "hana",  "ivan", "jade",  "karl", "lena",  "malik",
    "nora", "omar", "pia",   "raj",   "sara", "tomas",  "ulla",  "vito",  "wen",  "yara",  "zane", "alba",  "boris",
    "cleo", "dirk", "enzo",  "flora", "gus",  "hilde",  "ida",   "jakob", "kai",  "lotte", "mei",  "noah"};
static const char *const lasts[] = {
    "smith",    "meyer",   "garcia",     "rossi",    "kowal",   "nguyen",  "ivanov",   "haddad",   "tanaka",
    "muller",   "silva",   "dubois",     "jensen",   "novak",   "kaya",    "olsen",    "weber",    "lopez",
    "costa",    "berg",    "wang",       "kim",      "patel",   "singh",   "cohen",    "fischer",  "moreau",
    "ricci",    "horvat",  "nagy",       "popa",     "ali",     "chen",    "lee",      "park",     "sato",
    "ito",      "khan",    "roy",        "das",      "bauer",   "wolf",    "klein",    "young",    "king",
    "wright",   "hill",    "green",      "adams",    "baker",   "nelson",  "carter",   "mitchell", "perez",
    "roberts",  "turner",  "phillips",   "campbell", "parker",  "evans",   "edwards",  "collins",  "stewart",
    "sanchez",  "morris",  "rogers",     "reed",     "cook",    "morgan",  "bell",     "murphy",   "bailey",
    "rivera",   "cooper",  "richardson", "cox",      "howard",  "ward",    "torres",   "peterson", "gray",
    "ramirez",  "james",   "watson",     "brooks",   "kelly",   "sanders", "price",    "bennett",  "wood",
    "barnes",   "ross",    "henderson",  "coleman",  "jenkins", "perry",   "powell",   "long",     "patterson",
    "hughes",   "flores",  "washington", "butler",   "simmons", "foster",  "gonzales", "bryant",   "alexander",
    "russell",  "griffin", "diaz",       "hayes",    "myers",   "ford",    "hamilton", "graham",   "sullivan",
    "wallace",  "woods",   "cole",       "west",     "jordan",  "owens",   "reynolds", "fisher",   "ellis",
    "harrison", "gibson"};
/* domain bases differ, so the "no TLD" malformation stays injective */
static const char *const domains[] = {"mail.com", "ex.org",  "hosp.net", "clinic.io",
                                      "inbox.eu", "post.de", "web.fr",   "nhs.uk"};
#define NFIRST 64
#define NLAST 128
#define NNUM 1000
#define NDOM 8
#define EMAIL_KEYS ((uint64_t)NFIRST * NLAST * NNUM * NDOM)

/* notes: two numbers each, between non-digits, and distinct openings, so a
 * note is an injective function of (template, a, b) */
static const char *const notes_t[] = {
    "Stable, follow-up in %a days",
    "Says \"feeling better\", pain %a/%b",
    "Home, meds reviewed (%a items)",
    "Physio x%a, next in %b weeks",
    "Wound clean, dry; day %a",
    "Risk %a%, score %b",
    "Labs: HbA1c %a, creat %b",
    "Fall, x-ray negative",
    "From ward %a, bed %b",
    "Admitted via ER, triage %a\nobs %b h",
    "Diet: \"no sugar\"\nfluids %a00 ml",
    "=HYPERLINK(\"http://x.test/%a\",\"%b\")",
    "<b>urgent</b> bed %a",
    "tab\tseparated %a\tvalues %b",
    "Seen by Dr. %a, shift %b",
    "No issues",
};
static const double notes_w[] = {16, 12, 14, 9, 8, 7, 6, 5, 6, 1.5, 1, 0.02, 0.03, 0.01, 8, 10};
#define NNOTES 16
#define NOTE_KEYS ((uint64_t)NNOTES * 100 * 100)

/* ---- weighted choice -------------------------------------------------------- */

static size_t pick(const double *cum, size_t n)
{
    double u = unif() * cum[n - 1];
    size_t lo = 0, hi = n - 1;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (cum[mid] > u) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    return lo;
}

static void cumulate(const double *w, double *cum, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) {
        s += w[i];
        cum[i] = s;
    }
}

/* ---- json output ------------------------------------------------------------ */

static void json_str(FILE *f, const char *s, size_t n)
{
    fputc('"', f);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            fprintf(f, "\\%c", c);
        } else if (c == '\n') {
            fputs("\\n", f);
        } else if (c == '\t') {
            fputs("\\t", f);
        } else if (c < 0x20) {
            fprintf(f, "\\u%04x", c);
        } else {
            fputc(c, f);
        }
    }
    fputc('"', f);
}

#define NCOLS 12
static const char *const colnames[NCOLS] = {"patient_id", "age",  "sex",  "admitted", "discharged", "los_days",
                                            "diagnosis",  "ward", "cost", "email",    "readmitted", "notes"};
static const char *const coltypes[NCOLS] = {"string", "int64",  "string",  "date",   "timestamp", "float64",
                                            "string", "string", "float64", "string", "bool",      "string"};

static void usage(void)
{
    fprintf(stderr, "usage: gen_data [--rows N] [--seed S] --out FILE\n"
                    "writes FILE (CSV) and FILE.stats.json (exact per-column statistics)\n");
    exit(2);
}

int main(int argc, char **argv)
{
    uint64_t rows = 15000000, seed = 20240606;
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--rows") == 0 && i + 1 < argc) {
            char *end;
            char tmp[64];
            size_t k = 0;
            for (const char *p = argv[++i]; *p && k < sizeof tmp - 1; p++) {
                if (*p != ',' && *p != '_') {
                    tmp[k++] = *p;
                }
            }
            tmp[k] = 0;
            rows = strtoull(tmp, &end, 10);
            if (*end || k == 0 || rows > 4000000000ULL) {
                usage();
            }
        } else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
            seed = strtoull(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc) {
            path = argv[++i];
        } else {
            usage();
        }
    }
    if (path == NULL) {
        usage();
    }
    rng_state = seed;

    /* calendar strings */
    long day0 = 16436; /* 2015-01-01 */
    for (long d = 0; d < NDAYS + 64; d++) {
        int y;
        unsigned m, dd;
        civil(day0 + d, &y, &m, &dd);
        snprintf(datestr[d], sizeof datestr[d], "%04d-%02u-%02u", y % 10000, m % 13, dd % 32);
    }

    /* 2,000 ICD-10-like codes, Zipf(1.1) over a random permutation of ranks */
    enum { NDIAG = 2000 };
    static char diag[NDIAG][8];
    static size_t diaglen[NDIAG];
    static const char letters[] = "ABCDEFGHIJKLMNOPQRSTVWXYZ";
    for (int i = 0; i < NDIAG; i++) {
        for (;;) {
            char c[8];
            int n = 0;
            c[n++] = letters[below(25)];
            c[n++] = (char)('0' + below(10));
            c[n++] = (char)('0' + below(10));
            uint32_t k = below(10);
            if (k >= 3) {
                c[n++] = '.';
                c[n++] = (char)('0' + below(10));
                if (k >= 7) {
                    c[n++] = (char)('0' + below(10));
                }
            }
            c[n] = 0;
            int dup = 0;
            for (int j = 0; j < i && !dup; j++) {
                dup = strcmp(diag[j], c) == 0;
            }
            if (!dup) {
                memcpy(diag[i], c, (size_t)n + 1);
                diaglen[i] = (size_t)n;
                break;
            }
        }
    }
    static double diag_cum[NDIAG];
    {
        double w[NDIAG];
        for (int i = 0; i < NDIAG; i++) {
            w[i] = 1.0 / pow(i + 1, 1.1);
        }
        cumulate(w, diag_cum, NDIAG);
    }
    static int perm[NDIAG];
    for (int i = 0; i < NDIAG; i++) {
        perm[i] = i;
    }
    for (int i = NDIAG - 1; i > 0; i--) {
        int j = (int)below((uint32_t)i + 1);
        int t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    double ward_cum[NWARDS], notes_cum[NNOTES];
    cumulate(ward_w, ward_cum, NWARDS);
    cumulate(notes_w, notes_cum, NNOTES);
    size_t wardlen[NWARDS], firstlen[NFIRST], lastlen[NLAST], domlen[NDOM];
    for (int i = 0; i < NWARDS; i++) {
        wardlen[i] = strlen(wards[i]);
    }
    for (int i = 0; i < NFIRST; i++) {
        firstlen[i] = strlen(firsts[i]);
    }
    for (int i = 0; i < NLAST; i++) {
        lastlen[i] = strlen(lasts[i]);
    }
    for (int i = 0; i < NDOM; i++) {
        domlen[i] = strlen(domains[i]);
    }
    if (sizeof firsts / sizeof *firsts != NFIRST || sizeof lasts / sizeof *lasts != NLAST) {
        fprintf(stderr, "gen_data: vocabulary sizes (%zu, %zu)\n", sizeof firsts / sizeof *firsts,
                sizeof lasts / sizeof *lasts);
        return 1;
    }

    out = fopen(path, "wb");
    if (out == NULL) {
        fprintf(stderr, "gen_data: %s: %s\n", path, strerror(errno));
        return 1;
    }
    static const char header[] =
        "patient_id,age,sex,admitted,discharged,los_days,diagnosis,ward,cost,email,readmitted,notes\n";
    put(header, sizeof header - 1);

    /* statistics */
    uint64_t nulls[NCOLS] = {0};
    bitmap bm_age, bm_sex, bm_adm, bm_dis, bm_los, bm_diag, bm_ward, bm_cost, bm_costx, bm_email, bm_note;
    bm_init(&bm_age, 128);
    bm_init(&bm_sex, 4);
    bm_init(&bm_adm, NDAYS);
    bm_init(&bm_dis, (uint64_t)(NDAYS + 62) * 86400);
    bm_init(&bm_los, 62 * 100);
    bm_init(&bm_diag, NDIAG);
    bm_init(&bm_ward, NWARDS);
    bm_init(&bm_cost, 10000000);
    bm_init(&bm_costx, 10000000);
    bm_init(&bm_email, EMAIL_KEYS * 5);
    bm_init(&bm_note, NOTE_KEYS);
    strminmax smm[NCOLS];
    memset(smm, 0, sizeof smm);
    long age_min = 1000, age_max = -1;
    double age_sum = 0, los_sum = 0, cost_sum = 0;
    uint64_t los_min = UINT64_MAX, los_max = 0, cost_min = UINT64_MAX, cost_max = 0;
    long adm_min = NDAYS, adm_max = -1;
    uint64_t dis_min = UINT64_MAX, dis_max = 0, ntrue = 0;
    char note[256];

    for (uint64_t r = 0; r < rows; r++) {
        if (olen > sizeof obuf - 4096) {
            flush();
        }
        size_t f0;
        /* patient_id */
        {
            static const char hex[] = "0123456789ABCDEF";
            uint32_t id = mix32((uint32_t)r);
            f0 = olen;
            putc1('P');
            for (int s = 28; s >= 0; s -= 4) {
                putc1(hex[(id >> s) & 15]);
            }
            smm_add(&smm[0], obuf + f0, olen - f0);
        }
        putc1(',');
        /* age */
        if (unif() < 0.005) {
            nulls[1]++;
        } else {
            long a;
            if (unif() < 0.05) {
                a = (long)below(18);
            } else {
                a = 18 + (long)((unif() + unif() + unif()) / 3.0 * 87.0);
                a = a > 104 ? 104 : a;
            }
            putu((uint64_t)a);
            bm_set(&bm_age, (uint64_t)a);
            age_sum += (double)a;
            age_min = a < age_min ? a : age_min;
            age_max = a > age_max ? a : age_max;
        }
        putc1(',');
        /* sex */
        {
            double u = unif();
            int s = u < 0.49 ? 0 : u < 0.98 ? 1 : u < 0.99 ? 2 : 3;
            putc1("FMXU"[s]);
            bm_set(&bm_sex, (uint64_t)s);
            smm_add(&smm[2], &"FMXU"[s], 1);
        }
        putc1(',');
        /* admitted, discharged, los_days */
        long day = (long)below(NDAYS);
        put(datestr[day], 10);
        bm_set(&bm_adm, (uint64_t)day);
        adm_min = day < adm_min ? day : adm_min;
        adm_max = day > adm_max ? day : adm_max;
        putc1(',');
        if (unif() < 0.01) {
            nulls[4]++;
            nulls[5]++;
            putc1(',');
        } else {
            long tod = (long)below(86400);
            long los = 1800 + (long)(-log(1.0 - unif()) * 4.5 * 86400);
            los = los > MAX_LOS_S ? MAX_LOS_S : los;
            uint64_t ts = (uint64_t)(day * 86400 + tod + los);
            long dd = (long)(ts / 86400), sod = (long)(ts % 86400);
            put(datestr[dd], 10);
            putc1(' ');
            put2((unsigned)(sod / 3600));
            putc1(':');
            put2((unsigned)(sod / 60 % 60));
            putc1(':');
            put2((unsigned)(sod % 60));
            bm_set(&bm_dis, ts);
            dis_min = ts < dis_min ? ts : dis_min;
            dis_max = ts > dis_max ? ts : dis_max;
            putc1(',');
            uint64_t cents = (uint64_t)llround((double)(tod + los) / 864.0);
            putcents(cents);
            bm_set(&bm_los, cents);
            los_sum += (double)cents / 100.0;
            los_min = cents < los_min ? cents : los_min;
            los_max = cents > los_max ? cents : los_max;
        }
        putc1(',');
        /* diagnosis */
        if (unif() < 0.003) {
            nulls[6]++;
        } else {
            int k = perm[pick(diag_cum, NDIAG)];
            f0 = olen;
            put(diag[k], diaglen[k]);
            bm_set(&bm_diag, (uint64_t)k);
            smm_add(&smm[6], obuf + f0, olen - f0);
        }
        putc1(',');
        /* ward */
        {
            size_t w = pick(ward_cum, NWARDS);
            put(wards[w], wardlen[w]);
            bm_set(&bm_ward, w);
            smm_add(&smm[7], wards[w], wardlen[w]);
        }
        putc1(',');
        /* cost */
        if (unif() < 0.002) {
            nulls[8]++;
        } else {
            double c = exp(log(6000.0) + 0.9 * normal()) * 100.0;
            uint64_t cents = c < 1000 ? 1000 : c > 9999999 ? 9999999 : (uint64_t)c;
            if (unif() < 0.0005) {
                bm_set(&bm_costx, cents);
                cents = 10000000 + cents * 100; /* 100,000.00 and over: disjoint from the rest */
            } else {
                bm_set(&bm_cost, cents);
            }
            putcents(cents);
            cost_sum += (double)cents / 100.0;
            cost_min = cents < cost_min ? cents : cost_min;
            cost_max = cents > cost_max ? cents : cost_max;
        }
        putc1(',');
        /* email */
        if (unif() < 0.03) {
            nulls[9]++;
        } else {
            uint32_t fi = below(NFIRST), li = below(NLAST), n = below(NNUM), di = below(NDOM);
            uint64_t key = (((uint64_t)fi * NLAST + li) * NNUM + n) * NDOM + di;
            uint32_t v = unif() < 0.01 ? 1 + below(4) : 0;
            f0 = olen;
            put(firsts[fi], firstlen[fi]);
            putc1(v == 4 ? ' ' : '.');
            put(lasts[li], lastlen[li]);
            putu(n);
            if (v != 1) {
                putc1('@');
            }
            if (v == 2) {
                putc1('@');
            }
            if (v == 3) {
                const char *dot = strchr(domains[di], '.');
                put(domains[di], (size_t)(dot - domains[di]));
            } else {
                put(domains[di], domlen[di]);
            }
            bm_set(&bm_email, key * 5 + v);
            smm_add(&smm[9], obuf + f0, olen - f0);
        }
        putc1(',');
        /* readmitted */
        if (unif() < 0.14) {
            put("true", 4);
            ntrue++;
        } else {
            put("false", 5);
        }
        putc1(',');
        /* notes */
        if (unif() < 0.70) {
            nulls[11]++;
        } else {
            size_t t = pick(notes_cum, NNOTES);
            uint32_t a = below(100), b = below(100);
            size_t n = 0;
            int quote = 0, used_a = 0, used_b = 0;
            for (const char *p = notes_t[t]; *p; p++) {
                if (*p == '%' && (p[1] == 'a' || p[1] == 'b')) {
                    uint32_t v = *++p == 'a' ? a : b;
                    used_a |= *p == 'a';
                    used_b |= *p == 'b';
                    n += (size_t)snprintf(note + n, sizeof note - n, "%u", v);
                    continue;
                }
                if (*p == '%' && p[1] == ',') {
                    note[n++] = '%';
                    continue;
                }
                quote |= *p == '"' || *p == ',' || *p == '\n' || *p == '\r';
                note[n++] = *p;
            }
            smm_add(&smm[11], note, n);
            bm_set(&bm_note, (t * 100 + (used_a ? a : 0)) * 100 + (used_b ? b : 0));
            if (quote) {
                putc1('"');
                for (size_t i = 0; i < n; i++) {
                    if (note[i] == '"') {
                        putc1('"');
                    }
                    putc1(note[i]);
                }
                putc1('"');
            } else {
                put(note, n);
            }
        }
        putc1('\n');
    }
    flush();
    if (fclose(out) != 0) {
        fprintf(stderr, "gen_data: %s: %s\n", path, strerror(errno));
        return 1;
    }

    /* the sidecar */
    char spath[4096];
    snprintf(spath, sizeof spath, "%s.stats.json", path);
    FILE *f = fopen(spath, "w");
    if (f == NULL) {
        fprintf(stderr, "gen_data: %s: %s\n", spath, strerror(errno));
        return 1;
    }
    uint64_t distinct[NCOLS] = {
        rows,
        bm_count(&bm_age),
        bm_count(&bm_sex),
        bm_count(&bm_adm),
        bm_count(&bm_dis),
        bm_count(&bm_los),
        bm_count(&bm_diag),
        bm_count(&bm_ward),
        bm_count(&bm_cost) + bm_count(&bm_costx),
        bm_count(&bm_email),
        (ntrue > 0) + (ntrue < rows),
        bm_count(&bm_note),
    };
    fprintf(f,
            "{\n  \"generator\": \"bench/gen_data.c\",\n  \"rows\": %" PRIu64 ",\n  \"seed\": %" PRIu64
            ",\n  \"bytes\": %" PRIu64 ",\n  \"columns\": [\n",
            rows, seed, out_bytes);
    for (int c = 0; c < NCOLS; c++) {
        uint64_t nn = rows - nulls[c];
        fprintf(f,
                "    {\"name\": \"%s\", \"type\": \"%s\", \"count\": %" PRIu64 ", \"nulls\": %" PRIu64
                ", \"distinct\": %" PRIu64,
                colnames[c], coltypes[c], nn, nulls[c], distinct[c]);
        char tmin[32], tmax[32];
        switch (c) {
        case 1:
            if (nn > 0) {
                fprintf(f, ", \"min\": %ld, \"max\": %ld, \"mean\": %.9g", age_min, age_max, age_sum / (double)nn);
            }
            break;
        case 3:
            if (nn > 0) {
                fprintf(f, ", \"min\": \"%s\", \"max\": \"%s\"", datestr[adm_min], datestr[adm_max]);
            }
            break;
        case 4:
            if (nn > 0) {
                snprintf(tmin, sizeof tmin, "%s %02u:%02u:%02u", datestr[dis_min / 86400],
                         (unsigned)(dis_min % 86400 / 3600), (unsigned)(dis_min % 3600 / 60), (unsigned)(dis_min % 60));
                snprintf(tmax, sizeof tmax, "%s %02u:%02u:%02u", datestr[dis_max / 86400],
                         (unsigned)(dis_max % 86400 / 3600), (unsigned)(dis_max % 3600 / 60), (unsigned)(dis_max % 60));
                fprintf(f, ", \"min\": \"%s\", \"max\": \"%s\"", tmin, tmax);
            }
            break;
        case 5:
            if (nn > 0) {
                fprintf(f, ", \"min\": %" PRIu64 ".%02u, \"max\": %" PRIu64 ".%02u, \"mean\": %.9g", los_min / 100,
                        (unsigned)(los_min % 100), los_max / 100, (unsigned)(los_max % 100), los_sum / (double)nn);
            }
            break;
        case 8:
            if (nn > 0) {
                fprintf(f, ", \"min\": %" PRIu64 ".%02u, \"max\": %" PRIu64 ".%02u, \"mean\": %.9g", cost_min / 100,
                        (unsigned)(cost_min % 100), cost_max / 100, (unsigned)(cost_max % 100), cost_sum / (double)nn);
            }
            break;
        case 10:
            fprintf(f, ", \"min\": %s, \"max\": %s, \"true\": %" PRIu64 ", \"mean\": %.9g",
                    ntrue < rows ? "false" : "true", ntrue > 0 ? "true" : "false", ntrue,
                    rows ? (double)ntrue / (double)rows : 0.0);
            break;
        default:
            if (smm[c].have) {
                fputs(", \"min\": ", f);
                json_str(f, smm[c].min, smm[c].nmin);
                fputs(", \"max\": ", f);
                json_str(f, smm[c].max, smm[c].nmax);
            }
        }
        fprintf(f, "}%s\n", c + 1 < NCOLS ? "," : "");
    }
    fputs("  ]\n}\n", f);
    if (fclose(f) != 0) {
        fprintf(stderr, "gen_data: %s: %s\n", spath, strerror(errno));
        return 1;
    }
    fprintf(stderr, "gen_data: %" PRIu64 " rows, %" PRIu64 " bytes (%.1f per row) -> %s\n", rows, out_bytes,
            rows ? (double)out_bytes / (double)rows : 0.0, path);
    return 0;
}
