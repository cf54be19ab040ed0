/* mgr/jail_int.h: what the spawning side of the jail (jail.c) hands to the child side (jail_child.c): a plan
 * computed entirely before clone(), so the child, a copy of a possibly multithreaded process, needs no
 * allocation and no lock, only system calls, until it execs. */
#ifndef LODGE_MGR_JAIL_INT_H
#define LODGE_MGR_JAIL_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/resource.h>

#include "mgr/jail.h"

/* Sanitizer builds (tests only): their runtime reads /proc/self (maps, exe) and LeakSanitizer's exit check
 * needs ptrace, so the jail always mounts /proc and seccomp runs that check before the first filter. */
#if defined(__SANITIZE_ADDRESS__)
#define JAIL_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define JAIL_SANITIZED 1
#endif
#endif

/* The staging layout inside the child's mount namespace (bubblewrap's): a tmpfs on /tmp becomes the root for a
 * moment, the host's root is reached under OLDROOT, the jail's root is built under NEWROOT. */
#define JAIL_OLDROOT "/oldroot"
#define JAIL_NEWROOT "/newroot"

typedef struct JailMountOp {
    char *src;               /* OLDROOT + the host path, symlinks resolved */
    char *dst;               /* NEWROOT + the path inside */
    unsigned flags;          /* JAIL_BIND_* */
} JailMountOp;

typedef struct JailPlan {
    int nsflags;             /* CLONE_NEW* accepted for this attempt */
    bool root;               /* build the private root */
    bool proc;
    JailMountOp *ops;
    size_t nops;
    const char *hostname;
    const char *workdir;
    const char *exe;
    char *const *argv;
    char *const *envp;
    bool stdio_set;
    int stdio[3];            /* -1 already replaced by devnull */
    const int *keep;
    size_t nkeep;
    int nrl;
    int rl_res[6];
    rlim_t rl_val[6];
    int cap_last;            /* /proc/sys/kernel/cap_last_cap */
    bool set_ids;            /* become uid/gid */
    bool drop_groups;        /* and drop supplementary groups (a root caller) */
    uid_t uid;
    gid_t gid;
    const void *baseline;    /* jail_seccomp_baseline()'s program, installed after no_new_privs; NULL: none */
    unsigned short baseline_len;
    int sync_fd;             /* read end: one byte when the parent has mapped ids and placed the cgroup */
    int report_fd;           /* write end, close-on-exec: JailRecord's, then EOF at exec */
} JailPlan;

/* Steps of the child's setup, named in the parent's messages. */
typedef enum JailStage {
    JAIL_ST_SYNC, JAIL_ST_SETSID, JAIL_ST_PRIVATE, JAIL_ST_STAGING, JAIL_ST_BIND, JAIL_ST_PROC, JAIL_ST_PIVOT,
    JAIL_ST_REMOUNT, JAIL_ST_HOSTNAME, JAIL_ST_CHDIR, JAIL_ST_RLIMIT, JAIL_ST_FDS, JAIL_ST_CAPS, JAIL_ST_NNP,
    JAIL_ST_EXEC, JAIL_ST_IDS, JAIL_ST_SECCOMP,
} JailStage;

/* One fixed-size record per event, written whole (smaller than PIPE_BUF, so never interleaved). */
typedef struct JailRecord {
    int fatal;               /* the child exits after this one */
    int stage;               /* JailStage */
    int err;                 /* errno */
    unsigned lost;           /* JAIL_* protections this event takes away */
    char path[200];          /* the path concerned, truncated */
} JailRecord;

/* Removes the guest's groups that are empty (a spawn that failed); a group something runs in stays. */
void jail_cgroup_rmdir_empty(const JailCgroups *cg, const char *name);

/* The child's entry point for clone(): sets up the jail and execs, or reports and _exits(127). */
int jail_child_main(void *plan);

const char *jail_stage_name(int stage);

#endif
