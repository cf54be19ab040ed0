/* opt.c: the table-driven option parser (opt.h): "--name VALUE", "--name=VALUE", short spellings, "--" and
 * values checked by kind, with messages that name the option and say what to type instead. */
#include <string.h>

#include "base/opt.h"

void opt_init(OptParser *p, int argc, char **argv, const OptDesc *t0, const OptDesc *t1, const OptDesc *t2)
{
    memset(p, 0, sizeof *p);
    p->argc = argc;
    p->argv = argv;
    p->i = 1;
    p->tables[0] = t0;
    p->tables[1] = t1;
    p->tables[2] = t2;
}

/* arg names opt (exactly, or as "--name=..."); *eq then points at the '=' or is NULL. */
static bool matches(const char *arg, const char *name, const char **eq)
{
    if (!name)
        return false;
    size_t n = strlen(name);
    if (strncmp(arg, name, n) != 0 || (arg[n] != '\0' && arg[n] != '='))
        return false;
    *eq = arg[n] == '=' ? arg + n : NULL;
    return true;
}

static const OptDesc *lookup(const OptParser *p, const char *arg, const char **eq)
{
    for (int t = 0; t < OPT_MAX_TABLES; t++)
        for (const OptDesc *o = p->tables[t]; o && o->name; o++)
            if (matches(arg, o->name, eq) || matches(arg, o->alt, eq))
                return o;
    return NULL;
}

const OptDesc *opt_find(const OptDesc *table, int id)
{
    for (const OptDesc *o = table; o && o->name; o++)
        if (o->id == id)
            return o;
    return NULL;
}

bool opt_value(const OptDesc *opt, const char *text, OptArg *out, char *err, size_t errlen)
{
    char why[256];
    out->opt = opt;
    out->str = text;
    out->num = 0;
    switch (opt->kind) {
    case OPT_FLAG:
    case OPT_STR:
        return true;
    case OPT_SIZE: {
        SizeRule rule = {.bare_min = opt->lo, .max = opt->hi};
        if (size_parse(text, &rule, &out->num, why, sizeof why))
            return true;
        break;
    }
    case OPT_COUNT:
        if (size_parse_count(text, opt->lo, opt->hi, &out->num, why, sizeof why))
            return true;
        break;
    }
    snprintf(err, errlen, "%s %s: bad %s: %s", opt->name, text, opt->what ? opt->what : "value", why);
    return false;
}

/* The one-letter flag spelled "-c", or NULL. */
static const OptDesc *short_flag(const OptParser *p, char c)
{
    char name[3] = {'-', c, '\0'};
    const char *eq;
    const OptDesc *o = lookup(p, name, &eq);
    return o && o->kind == OPT_FLAG ? o : NULL;
}

/* "-aq" is "-a -q" when every letter is a one-letter flag (as getopt bundles them). */
static bool is_bundle(const OptParser *p, const char *a)
{
    if (a[0] != '-' || a[1] == '-' || a[1] == '\0' || a[2] == '\0')
        return false;
    for (const char *c = a + 1; *c; c++)
        if (!short_flag(p, *c))
            return false;
    return true;
}

OptResult opt_next(OptParser *p, OptArg *out)
{
    memset(out, 0, sizeof *out);
    if (p->shorts && *p->shorts) {
        out->opt = short_flag(p, *p->shorts++);
        return OPT_OPTION;
    }
    while (p->i < p->argc) {
        const char *a = p->argv[p->i];
        if (strcmp(a, "--") == 0) {
            p->i++;
            p->interleaved = false;   /* everything after "--" is an operand */
            return OPT_DONE;
        }
        if (a[0] != '-' || a[1] == '\0') {
            if (!p->interleaved)
                return OPT_DONE;
            p->i++;
            out->str = a;
            return OPT_OPERAND;
        }
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            p->i++;
            return OPT_HELP;
        }
        const char *eq;
        const OptDesc *o = lookup(p, a, &eq);
        if (!o && is_bundle(p, a)) {
            p->i++;
            p->shorts = a + 2;
            out->opt = short_flag(p, a[1]);
            return OPT_OPTION;
        }
        if (!o) {
            snprintf(p->err, sizeof p->err, "unknown option '%s'", a);
            return OPT_ERROR;
        }
        p->i++;
        if (o->kind == OPT_FLAG) {
            if (eq) {
                snprintf(p->err, sizeof p->err, "option %s takes no value", o->name);
                return OPT_ERROR;
            }
            out->opt = o;
            return OPT_OPTION;
        }
        const char *v = eq ? eq + 1 : NULL;
        if (!v) {
            if (p->i >= p->argc) {
                snprintf(p->err, sizeof p->err, "option %s needs a value (%s)", o->name, o->metavar);
                return OPT_ERROR;
            }
            v = p->argv[p->i++];
        }
        return opt_value(o, v, out, p->err, sizeof p->err) ? OPT_OPTION : OPT_ERROR;
    }
    return OPT_DONE;
}

void opt_print_help(FILE *out, const OptDesc *table)
{
    for (const OptDesc *o = table; o && o->name; o++) {
        char left[64];
        if (!o->help)
            continue; /* described elsewhere in the verb's text */
        int n = snprintf(left, sizeof left, "%s%s%s%s%s", o->alt ? o->alt : "", o->alt ? ", " : "", o->name,
                         o->kind == OPT_FLAG ? "" : " ", o->kind == OPT_FLAG ? "" : o->metavar);
        if (n < 25)
            fprintf(out, "  %-25s %s\n", left, o->help);
        else
            fprintf(out, "  %s\n  %-25s %s\n", left, "", o->help);
    }
}
