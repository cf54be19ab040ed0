/* forward.c: the hypervisor's verbs (src/mgr/verbs.def) belong to lodged, a separate program because it links
 * libraries (cJSON, libseccomp) that the static lodge binary cannot. `lodge VERB ...` runs the lodged that
 * sits next to this binary (or $LODGED), so users have one command. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

int cli_forward(int argc, char **argv)
{
    char path[PATH_MAX];
    const char *env = getenv("LODGED");
    if (env && *env) {
        snprintf(path, sizeof path, "%s", env);
    } else {
        ssize_t n = readlink("/proc/self/exe", path, sizeof path - 16);
        if (n <= 0) {
            fprintf(stderr, "lodge %s: cannot find this program's path: %s\n", argv[0], strerror(errno));
            return CLI_EXIT_ERROR;
        }
        path[n] = '\0';
        char *slash = strrchr(path, '/');
        strcpy(slash ? slash + 1 : path, "lodged");
    }
    char **args = calloc((size_t)argc + 2, sizeof *args);
    if (!args)
        return CLI_EXIT_ERROR;
    args[0] = "lodged";
    for (int i = 0; i < argc; i++)
        args[i + 1] = argv[i];
    execv(path, args);
    fprintf(stderr, "lodge %s: cannot run %s: %s (build it with make)\n", argv[0], path, strerror(errno));
    free(args);
    return CLI_EXIT_ERROR;
}
