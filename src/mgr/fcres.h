/* mgr/fcres.h: a machine's resources as Firecracker's API describes them (machine-config, boot-source,
 * drives, network-interfaces, entropy, logger, metrics), built up request by request before InstanceStart and
 * then turned into a lodge_machine_config_t. Each request body is checked whole against its schema (unknown
 * fields, wrong types, missing required fields, values Lodge cannot honour) before anything changes, so a
 * refused request leaves the resources as they were. No I/O beyond checking that named files can be opened;
 * not thread-safe (the caller holds its lock). */
#ifndef LODGE_MGR_FCRES_H
#define LODGE_MGR_FCRES_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "lodge.h"

#define FCRES_ID_MAX 64          /* drive and interface ids: [A-Za-z0-9_]{1,64}, as Firecracker */
#define FCRES_MAX_DRIVES LODGE_MACHINE_MAX_DISKS
#define FCRES_DEFAULT_MEM_MIB 128 /* Firecracker's defaults, so a client that sends no machine-config gets */
#define FCRES_DEFAULT_VCPUS 1     /* the machine it would get from Firecracker */
#define FCRES_DEFAULT_BOOT_ARGS "console=ttyS0 reboot=k panic=1 pci=off"

typedef struct FcDrive {
    char id[FCRES_ID_MAX + 1];
    char *path;                  /* path_on_host */
    char *partuuid;              /* NULL when absent */
    bool root, read_only;
    bool writeback;              /* cache_type "Writeback" (else "Unsafe") */
    lodge_rate_limiter_t limit;  /* rate_limiter; all zero: none */
} FcDrive;

typedef struct FcNet {
    char id[FCRES_ID_MAX + 1];
    char tap[16];                /* host_dev_name (IFNAMSIZ) */
    char mac[18];                /* guest_mac as given, "" when absent */
    lodge_rate_limiter_t rx, tx; /* rx_rate_limiter, tx_rate_limiter */
} FcNet;

typedef enum { FCLOG_OFF, FCLOG_ERROR, FCLOG_WARNING, FCLOG_INFO, FCLOG_DEBUG, FCLOG_TRACE } FcLogLevel;

typedef struct FcRes {
    unsigned vcpus, mem_mib;
    char *kernel, *initrd, *boot_args;   /* kernel NULL until PUT /boot-source; boot_args NULL: the default */
    FcDrive drives[FCRES_MAX_DRIVES];    /* in the order they were first put */
    unsigned ndrives;
    FcNet net;
    bool has_net;
    bool entropy;                        /* PUT /entropy: the guest gets a virtio-rng device */
    char *log_path;                      /* PUT /logger */
    FcLogLevel log_level;
    bool log_show_level, log_show_origin;
    char *metrics_path;                  /* PUT /metrics */
} FcRes;

void fcres_init(FcRes *r);
void fcres_free(FcRes *r);

/* Parse a request body that must be one JSON object (and nothing after it). NULL with a message. */
cJSON *fcres_parse(const char *body, size_t len, char *err, size_t errlen);

/* Each applies one request to r and returns true, or returns false with the reason in err and r unchanged.
 * patch: PATCH semantics (only the fields given change; at least one must be). */
bool fcres_set_machine_config(FcRes *r, const cJSON *body, bool patch, char *err, size_t errlen);
bool fcres_set_boot_source(FcRes *r, const cJSON *body, char *err, size_t errlen);
bool fcres_set_drive(FcRes *r, const char *id, const cJSON *body, char *err, size_t errlen);
bool fcres_set_net(FcRes *r, const char *id, const cJSON *body, char *err, size_t errlen);
bool fcres_set_entropy(FcRes *r, const cJSON *body, char *err, size_t errlen);
bool fcres_set_logger(FcRes *r, const cJSON *body, char *err, size_t errlen);
bool fcres_set_metrics(FcRes *r, const cJSON *body, char *err, size_t errlen);
/* After the start: PATCH /drives/{id} and /network-interfaces/{id} change rate limiters (a bucket left out
 * keeps its value, as in Firecracker) and may restate a drive's path_on_host (Lodge cannot swap the file of
 * a running machine's disk). On success *out holds the device's new limits and *device its name ("disk0",
 * "net0"); the caller applies them with lodge_machine_set_rate_limit, then fcres_commit_limits. */
bool fcres_drive_patch(const FcRes *r, const char *id, const cJSON *body, lodge_rate_limit_t *out,
                       char device[16], char *err, size_t errlen);
bool fcres_net_patch(const FcRes *r, const char *id, const cJSON *body, lodge_rate_limit_t *out, char device[16],
                     char *err, size_t errlen);
void fcres_commit_limits(FcRes *r, const char *device, const lodge_rate_limit_t *rl);
/* The limits of each device of the machine fcres_machine_config describes: calls fn for every device that
 * has one. */
void fcres_each_limit(const FcRes *r, void (*fn)(void *opaque, const char *device, const lodge_rate_limit_t *rl),
                      void *opaque);
/* Firecracker's --config-file document (the keys of GET /vm/config); r unchanged on failure. */
bool fcres_load(FcRes *r, const cJSON *doc, char *err, size_t errlen);

/* GET /machine-config and GET /vm/config. */
cJSON *fcres_machine_config_json(const FcRes *r);
cJSON *fcres_vm_config_json(const FcRes *r);

/* The machine's configuration. Pointers in cfg point into r and into cmdline (which receives the kernel
 * command line: boot_args, then root=... for a root drive as Firecracker appends it). False without a
 * boot source. */
bool fcres_machine_config(const FcRes *r, lodge_machine_config_t *cfg, char *cmdline, size_t cmdlen, char *err,
                          size_t errlen);

#endif
