/* base/opt.h: command-line options described once, in tables: the parser, the --help lines and the error
 * messages all come from the same description, so every verb of lodge and lodged spells options, sizes and
 * counts the same way (sizes: base/size.h). A verb combines tables (shared ones such as the machine options
 * that `boot` and `create machine` both take, plus its own) and switches on each option's id. */
#ifndef LODGE_BASE_OPT_H
#define LODGE_BASE_OPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/size.h"

typedef enum OptKind {
    OPT_FLAG,     /* no value */
    OPT_STR,      /* any text */
    OPT_SIZE,     /* bytes: base/size.h; lo is the rule's bare_min, hi its max (0: none) */
    OPT_COUNT,    /* a whole number in [lo, hi] */
} OptKind;

typedef struct OptDesc {
    int id;               /* the verb's own number for it */
    const char *name;     /* "--mem"; NULL ends a table */
    const char *alt;      /* another spelling ("-a"), or NULL */
    OptKind kind;
    const char *metavar;  /* "SIZE" in --help */
    const char *what;     /* the value in messages: "guest RAM size" */
    uint64_t lo, hi;
    const char *help;     /* one line for --help */
} OptDesc;

#define OPT_MAX_TABLES 4

typedef struct OptParser {
    int argc;
    char **argv;
    int i;                         /* the next argument to look at; starts at 1 (argv[0] is the verb) */
    const OptDesc *tables[OPT_MAX_TABLES]; /* searched in order; unused slots NULL */
    bool interleaved;              /* operands may sit between options (false: the first operand ends them) */
    char err[320];                 /* why OPT_ERROR was returned: one line, no program name */
    const char *shorts;            /* inside a bundle of one-letter flags ("-aq"): the letters still to go */
} OptParser;

typedef struct OptArg {
    const OptDesc *opt;   /* OPT_OPTION: which */
    const char *str;      /* the value as typed (OPT_OPTION with a value) or the operand (OPT_OPERAND) */
    uint64_t num;         /* OPT_SIZE: bytes; OPT_COUNT: the number */
} OptArg;

typedef enum OptResult {
    OPT_DONE = 0,       /* no more options: p->i is the first operand (== argc when none) */
    OPT_OPTION,         /* *out holds an option and its parsed value */
    OPT_OPERAND,        /* interleaved parsers only: out->str is an operand */
    OPT_HELP,           /* -h or --help */
    OPT_ERROR,          /* p->err says why (unknown option, missing or bad value) */
} OptResult;

void opt_init(OptParser *p, int argc, char **argv, const OptDesc *t0, const OptDesc *t1, const OptDesc *t2);
OptResult opt_next(OptParser *p, OptArg *out);
/* Parse text as opt's value (for other spellings such as wasmtime's -W max-memory-size=SIZE). False with
 * a message in err. */
bool opt_value(const OptDesc *opt, const char *text, OptArg *out, char *err, size_t errlen);
/* The --help lines of a table: "  --mem SIZE               guest RAM ..." */
void opt_print_help(FILE *out, const OptDesc *table);
/* The option of a table with this id, or NULL. */
const OptDesc *opt_find(const OptDesc *table, int id);

#endif
