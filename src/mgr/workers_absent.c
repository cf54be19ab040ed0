/* workers_absent.c: weak definitions of the worker pool's entry points, so lodged links and serves machines
 * in a tree that does not have src/mgr/workers.c: workers_new fails with a reason, and the daemon answers
 * /v1/instances with 503 and that reason. The real pool's strong definitions replace these. */
#include <stdio.h>

#include "mgr/workers.h"

#define WEAK __attribute__((weak))

WEAK WorkerPool *workers_new(const char *lodged_path, const char *state_dir, unsigned nworkers, WorkerEventFn fn,
                             void *opaque, char *err, size_t errlen)
{
    snprintf(err, errlen, "this lodged was built without the worker pool (src/mgr/workers.c)");
    return NULL;
}
WEAK void workers_delete(WorkerPool *p) {}
WEAK bool workers_create(WorkerPool *p, const InstanceSpec *spec, char *err, size_t errlen) { return false; }
WEAK bool workers_start(WorkerPool *p, const char *id, char *err, size_t errlen) { return false; }
WEAK bool workers_pause(WorkerPool *p, const char *id, char *err, size_t errlen) { return false; }
WEAK bool workers_resume(WorkerPool *p, const char *id, char *err, size_t errlen) { return false; }
WEAK bool workers_stop(WorkerPool *p, const char *id, char *err, size_t errlen) { return false; }
WEAK bool workers_kill(WorkerPool *p, const char *id, char *err, size_t errlen) { return false; }
WEAK bool workers_remove(WorkerPool *p, const char *id, char *err, size_t errlen) { return false; }
WEAK bool workers_status(WorkerPool *p, const char *id, InstanceStatus *out) { return false; }
WEAK size_t workers_list(WorkerPool *p, InstanceStatus *out, size_t max) { return 0; }
