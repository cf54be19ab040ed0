/* mgr/fcapi.h: one machine process's API: Firecracker's routes (/, /machine-config, /boot-source, /drives,
 * /network-interfaces, /entropy, /logger, /metrics, /actions, /vm, /vm/config, /version) and Lodge's own
 * (/lodge/stats, /lodge/actions), over the resources of mgr/fcres.h and the machine of lodge.h. The handler
 * runs on the HTTP server's thread; the process's other threads read the machine through fcapi_machine(). */
#ifndef LODGE_MGR_FCAPI_H
#define LODGE_MGR_FCAPI_H

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>

#include "lodge.h"
#include "mgr/fcres.h"
#include "mgr/http.h"

#define FCAPI_APP_NAME "Lodge"
#define FCAPI_VMM_VERSION "0.1.0"

typedef struct FcApi {
    pthread_mutex_t lock;       /* guards everything below */
    FcRes res;
    char id[72];
    lodge_machine_t *machine;   /* from InstanceStart on; owned by the process (fcapi_take_machine) */
    bool closing;               /* the process is ending: no more starts */
    char cmdline[4096];         /* the kernel command line the machine was given */
    FILE *log;                  /* PUT /logger's file (NULL: stderr) */
    FILE *metrics;              /* PUT /metrics's file */
    /* Called with the lock held once the machine has started (the process hooks its console pump here). */
    void (*on_start)(void *opaque, lodge_machine_t *m);
    void *on_start_opaque;
    /* Passed to lodge_machine_config_t.on_thread at InstanceStart (the process confines the machine's
     * threads here); NULL: none. */
    void (*on_thread)(void *opaque, const char *kind);
    void *on_thread_opaque;
} FcApi;

void fcapi_init(FcApi *a, const char *id);
/* Closes the log and metrics files; the machine must have been taken. */
void fcapi_free(FcApi *a);
/* The HttpHandler: opaque is the FcApi. */
void fcapi_handle(void *opaque, const HttpRequest *req, HttpResponse *resp);
/* Apply a --config-file document (as PUTs before InstanceStart would). */
bool fcapi_load(FcApi *a, const cJSON *doc, char *err, size_t errlen);
/* InstanceStart: build the machine from the resources and start it. */
bool fcapi_start(FcApi *a, char *err, size_t errlen);
/* The running machine or NULL (it stays valid until the process takes it: only the process deletes it). */
lodge_machine_t *fcapi_machine(FcApi *a);
/* The process is ending: refuse further starts and hand over the machine (NULL if never started). */
lodge_machine_t *fcapi_close(FcApi *a);
/* Append one metrics line (lodge_machine_stats_t as JSON) when PUT /metrics named a file. */
void fcapi_flush_metrics(FcApi *a, lodge_machine_t *m);
/* A line in the log at level (with the lock NOT held). */
void fcapi_log(FcApi *a, FcLogLevel level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* lodge_machine_stats_t as JSON, its field names, state and exit as names. */
char *fcapi_stats_json(const lodge_machine_stats_t *s);

#endif
