/* size.c: unit tests of base/size.c (one size convention: binary suffixes, bare numbers are bytes, no unit
 * guessed) and of base/opt.c (options from a table: spellings, values by kind, messages). */
#include <string.h>

#include "base/opt.h"
#include "base/size.h"
#include "unit.h"

typedef struct {
    const char *text;
    uint64_t bare_min;
    bool ok;
    uint64_t bytes;     /* ok: the value; else unused */
    const char *why;    /* !ok: a piece of the message */
} SizeCase;

static const SizeCase size_cases[] = {
    {"0", 0, true, 0, NULL},
    {"4096", 0, true, 4096, NULL},
    {"1K", 0, true, 1024, NULL},
    {"1k", 0, true, 1024, NULL},
    {"256M", 0, true, 256ull << 20, NULL},
    {"256m", 0, true, 256ull << 20, NULL},
    {"256MiB", 0, true, 256ull << 20, NULL},
    {"256mib", 0, true, 256ull << 20, NULL},
    {"2G", 0, true, 2ull << 30, NULL},
    {"3GiB", 0, true, 3ull << 30, NULL},
    {"1T", 0, true, 1ull << 40, NULL},
    {"1TiB", 0, true, 1ull << 40, NULL},
    {"512B", 0, true, 512, NULL},
    {"16777215T", 0, true, 16777215ull << 40, NULL},
    {"16777216T", 0, false, 0, "too large"},
    {"18446744073709551615", 0, true, UINT64_MAX, NULL},
    {"18446744073709551616", 0, false, 0, "too large"},
    {"256", 1 << 20, false, 0, "write 256M for 256 MiB"},
    {"0", 1 << 20, false, 0, "0 cannot be meant here"},
    {"1048576", 1 << 20, true, 1 << 20, NULL},
    {"1M", 1 << 20, true, 1 << 20, NULL},
    {"1K", 1 << 20, true, 1024, NULL},       /* a suffix says what is meant; the rule is about bare numbers */
    {"256MB", 0, false, 0, "ambiguous"},
    {"1kb", 0, false, 0, "write 1K or 1KiB"},
    {"1x", 0, false, 0, "unknown unit 'x'"},
    {"1 M", 0, false, 0, "unknown unit"},
    {"1.5G", 0, false, 0, "unknown unit"},
    {"", 0, false, 0, "expected a number"},
    {"M", 0, false, 0, "expected a number"},
    {"-1", 0, false, 0, "expected a number"},
    {"+1", 0, false, 0, "expected a number"},
    {"0x10", 0, false, 0, "unknown unit"},
};

static void parse_table(UnitCtx *t)
{
    for (size_t i = 0; i < sizeof size_cases / sizeof size_cases[0]; i++) {
        const SizeCase *c = &size_cases[i];
        SizeRule rule = {.bare_min = c->bare_min};
        uint64_t v = 12345;
        char err[256] = "";
        bool ok = size_parse(c->text, &rule, &v, err, sizeof err);
        CHECKF(ok == c->ok, "'%s': %s (%s)", c->text, ok ? "accepted" : "refused", err);
        if (ok && c->ok)
            CHECKF(v == c->bytes, "'%s' is %llu, expected %llu", c->text, (unsigned long long)v,
                   (unsigned long long)c->bytes);
        if (!ok && !c->ok)
            CHECKF(strstr(err, c->why) != NULL, "'%s': message '%s' lacks '%s'", c->text, err, c->why);
        if (!ok)
            CHECKF(v == 12345, "'%s': output changed on failure", c->text);
    }
}

static void min_max(UnitCtx *t)
{
    SizeRule rule = {.min = 16 << 20, .max = 1ull << 30};
    uint64_t v;
    char err[256];
    CHECK(!size_parse("8M", &rule, &v, err, sizeof err) && strstr(err, "at least 16M"));
    CHECK(!size_parse("2G", &rule, &v, err, sizeof err) && strstr(err, "at most 1G"));
    CHECK(size_parse("1G", &rule, &v, err, sizeof err) && v == 1ull << 30);
    CHECK(size_parse("7", NULL, &v, err, sizeof err) && v == 7);
}

static void counts(UnitCtx *t)
{
    uint64_t v;
    char err[128];
    CHECK(size_parse_count("8", 1, 8, &v, err, sizeof err) && v == 8);
    CHECK(!size_parse_count("9", 1, 8, &v, err, sizeof err) && strstr(err, "from 1 to 8"));
    CHECK(!size_parse_count("0", 1, 8, &v, err, sizeof err));
    CHECK(!size_parse_count("2K", 1, UINT64_MAX, &v, err, sizeof err) && strstr(err, "at least 1"));
    CHECK(!size_parse_count("", 0, 10, &v, err, sizeof err));
}

static void format(UnitCtx *t)
{
    char b[32];
    static const struct { uint64_t v; const char *exact, *brief; } f[] = {
        {0, "0", "0B"}, {100, "100", "100B"}, {1024, "1K", "1K"}, {1536, "1536", "1.5K"},
        {256ull << 20, "256M", "256M"}, {1536ull << 20, "1536M", "1.5G"}, {1ull << 40, "1T", "1T"},
        {(1ull << 30) - 1, "1073741823", "1G"}, {123456789, "123456789", "118M"},
    };
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
        size_format(f[i].v, b, sizeof b);
        CHECK_STR(b, f[i].exact);
        size_format_short(f[i].v, b, sizeof b);
        CHECK_STR(b, f[i].brief);
        /* What size_format prints reads back as the same number. */
        uint64_t back;
        size_format(f[i].v, b, sizeof b);
        CHECK(size_parse(b, NULL, &back, NULL, 0) && back == f[i].v);
    }
}

enum { T_MEM = 1, T_QUIET, T_CPUS, T_NAME };
static const OptDesc topts[] = {
    {T_MEM, "--mem", NULL, OPT_SIZE, "SIZE", "guest RAM size", 1 << 20, 0, "guest RAM"},
    {T_QUIET, "--quiet", "-q", OPT_FLAG, NULL, NULL, 0, 0, "say less"},
    {T_CPUS, "--cpus", NULL, OPT_COUNT, "N", "hart count", 1, 8, "harts"},
    {0},
};
static const OptDesc topts2[] = {{T_NAME, "--name", NULL, OPT_STR, "ID", "name", 0, 0, "its name"}, {0}};

static void options(UnitCtx *t)
{
    char *argv[] = {"verb", "--mem=1G", "-q", "--cpus", "4", "--name", "x", "FILE", "--mem", "junk", NULL};
    OptParser p;
    OptArg a;
    opt_init(&p, 10, argv, topts, topts2, NULL);
    REQUIRE(opt_next(&p, &a) == OPT_OPTION);
    CHECK(a.opt->id == T_MEM && a.num == 1ull << 30);
    REQUIRE(opt_next(&p, &a) == OPT_OPTION);
    CHECK(a.opt->id == T_QUIET);
    REQUIRE(opt_next(&p, &a) == OPT_OPTION);
    CHECK(a.opt->id == T_CPUS && a.num == 4);
    REQUIRE(opt_next(&p, &a) == OPT_OPTION);
    CHECK(a.opt->id == T_NAME && strcmp(a.str, "x") == 0);
    CHECK(opt_next(&p, &a) == OPT_DONE && p.i == 7);   /* FILE ends the options; the rest is the guest's */

    opt_init(&p, 10, argv, topts, topts2, NULL);
    p.interleaved = true;
    int operands = 0;
    OptResult r;
    while ((r = opt_next(&p, &a)) == OPT_OPTION || r == OPT_OPERAND)
        operands += r == OPT_OPERAND;
    CHECK_INT(operands, 1);
    CHECK(r == OPT_ERROR);
    CHECK_HAS(p.err, "--mem junk: bad guest RAM size");

    char *bad[][3] = {{"v", "--mem", "256"}, {"v", "--cpus", "9"}, {"v", "--frob", NULL}, {"v", "-q=1", NULL},
                      {"v", "--name", NULL}};
    const char *want[] = {"write 256M", "from 1 to 8", "unknown option '--frob'", "takes no value", "needs a value"};
    for (int i = 0; i < 5; i++) {
        opt_init(&p, bad[i][2] ? 3 : 2, bad[i], topts, topts2, NULL);
        CHECK(opt_next(&p, &a) == OPT_ERROR);
        CHECK_HAS(p.err, want[i]);
    }
    /* One-letter flags bundle as getopt's do; a bundle with anything else in it is unknown. */
    static const OptDesc flags[] = {{1, "--all", "-a", OPT_FLAG, NULL, NULL, 0, 0, "a"},
                                    {2, "--quiet", "-q", OPT_FLAG, NULL, NULL, 0, 0, "q"},
                                    {3, "--time", "-t", OPT_COUNT, "S", "time", 0, 9, "t"}, {0}};
    char *bundle[] = {"v", "-aq", "-qa", "x"}, *badb[] = {"v", "-at"};
    opt_init(&p, 4, bundle, flags, NULL, NULL);
    p.interleaved = true;
    int seen[4] = {0};
    while ((r = opt_next(&p, &a)) == OPT_OPTION)
        seen[a.opt->id]++;
    CHECK(r == OPT_OPERAND && strcmp(a.str, "x") == 0);
    CHECK(seen[1] == 2 && seen[2] == 2);
    opt_init(&p, 2, badb, flags, NULL, NULL);
    CHECK(opt_next(&p, &a) == OPT_ERROR);
    CHECK_HAS(p.err, "unknown option '-at'");

    char *help[] = {"v", "--help"}, *dashdash[] = {"v", "--", "--mem"};
    opt_init(&p, 2, help, topts, NULL, NULL);
    CHECK(opt_next(&p, &a) == OPT_HELP);
    opt_init(&p, 3, dashdash, topts, NULL, NULL);
    CHECK(opt_next(&p, &a) == OPT_DONE && p.i == 2);
}

UNIT_SUITE(size, UNIT_TEST(parse_table), UNIT_TEST(min_max), UNIT_TEST(counts), UNIT_TEST(format),
           UNIT_TEST(options));
