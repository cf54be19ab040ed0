/* daemon.c: `lodged daemon`: the hypervisor's API server. */
#include <stdio.h>

#include "mgr/mgr.h"

int mgr_cmd_daemon(int argc, char **argv)
{
    fprintf(stderr, "lodged daemon: not built yet\n");
    return MGR_EXIT_ERROR;
}
