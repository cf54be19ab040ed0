/* main.c: lodged, the hypervisor program: the daemon, the processes it starts for its guests, and the client
 * verbs that talk to it. The lodge command forwards these verbs here, so users type `lodge ps` either way. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "mgr/mgr.h"

typedef struct MgrVerb {
    const char *name;
    int (*fn)(int, char **);
    const char *summary;
} MgrVerb;

static const MgrVerb verbs[] = {
#define MGR_VERB(name, fn, summary) {#name, fn, summary},
#include "mgr/verbs.def"
#undef MGR_VERB
};

int mgr_is_help(const char *arg)
{
    return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0;
}

static void usage(FILE *out)
{
    fprintf(out, "usage: lodged VERB [OPTIONS] ...   (also reached as `lodge VERB ...`)\n\nverbs:\n");
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
        fprintf(out, "  %-10s %s\n", verbs[i].name, verbs[i].summary);
    fprintf(out, "\n`lodged VERB --help` describes a verb.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return MGR_EXIT_USAGE;
    }
    if (mgr_is_help(argv[1])) {
        usage(stdout);
        return MGR_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
        if (strcmp(argv[1], verbs[i].name) == 0)
            return verbs[i].fn(argc - 1, argv + 1);
    /* The jail's test driver (tests/jail/run.sh): not a user's verb, so not in the table. */
    if (strcmp(argv[1], "jail-test") == 0)
        return mgr_cmd_jail_test(argc - 1, argv + 1);
    fprintf(stderr, "lodged: unknown verb '%s'\n", argv[1]);
    usage(stderr);
    return MGR_EXIT_USAGE;
}
