/* cgroup.c: a cgroup per guest under a Lodge parent group, for CPU weight and cap, memory and pids; cgroup
 * v1 (a hierarchy per controller) and v2 (unified), controller by controller, as the host mounts them.
 * Every write that fails is reported with the file and errno: a limit is never assumed to hold. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mgr/mgr.h"
#include "mgr/jail_int.h"

enum { CG_CPU, CG_CPUACCT, CG_MEM, CG_PIDS, CG_N };
static const char *const ctl_names[CG_N] = {"cpu", "cpuacct", "memory", "pids"};
static const unsigned ctl_bits[CG_N] = {JAIL_CG_CPU, JAIL_CG_CPU, JAIL_CG_MEM, JAIL_CG_PIDS};

typedef struct CgCtl {
    bool found;              /* a hierarchy has this controller */
    bool v2;
    bool usable;             /* the parent group exists and we may write it */
    char dir[PATH_MAX];      /* the Lodge parent group */
    char why[PATH_MAX + 200]; /* why it is not usable */
} CgCtl;

struct JailCgroups {
    CgCtl c[CG_N];
    char describe[1536];
};

static bool has_word(const char *list, const char *word, char sep)
{
    size_t n = strlen(word);
    for (const char *p = list; p && *p;) {
        const char *e = strchr(p, sep);
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == n && strncmp(p, word, n) == 0)
            return true;
        p = e ? e + 1 : NULL;
    }
    return false;
}

/* ---- Discovery ------------------------------------------------------------------------------------ */

typedef struct Found {
    char v1_mnt[CG_N][PATH_MAX], v1_root[CG_N][PATH_MAX], v1_own[CG_N][PATH_MAX];
    char v2_mnt[PATH_MAX], v2_root[PATH_MAX], v2_own[PATH_MAX];
} Found;

/* The caller's own group in each hierarchy (/proc/self/cgroup: "4:memory:/a/b", "0::/a/b"). */
static void read_own(Found *f)
{
    FILE *fp = fopen("/proc/self/cgroup", "r");
    if (!fp)
        return;
    char line[PATH_MAX + 128];
    while (fgets(line, sizeof line, fp)) {
        line[strcspn(line, "\n")] = '\0';
        char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (!c2)
            continue;
        *c2 = '\0';
        const char *ctls = c1 + 1, *path = c2 + 1;
        if (!*ctls) {
            snprintf(f->v2_own, sizeof f->v2_own, "%s", path);
            continue;
        }
        for (int i = 0; i < CG_N; i++)
            if (has_word(ctls, ctl_names[i], ','))
                snprintf(f->v1_own[i], sizeof f->v1_own[i], "%s", path);
    }
    fclose(fp);
}

/* The mount points (/proc/self/mountinfo: "id parent maj:min root mountpoint opts ... - fstype src sopts"). */
static void read_mounts(Found *f)
{
    FILE *fp = fopen("/proc/self/mountinfo", "r");
    if (!fp)
        return;
    char line[3 * PATH_MAX];
    while (fgets(line, sizeof line, fp)) {
        char *dash = strstr(line, " - ");
        if (!dash)
            continue;
        char root[PATH_MAX], mnt[PATH_MAX], fstype[64], src[256], sopts[1024] = "";
        if (sscanf(line, "%*s %*s %*s %4095s %4095s", root, mnt) != 2 ||
            sscanf(dash + 3, "%63s %255s %1023s", fstype, src, sopts) < 2)
            continue;
        if (strcmp(fstype, "cgroup2") == 0 && !f->v2_mnt[0]) {
            snprintf(f->v2_mnt, sizeof f->v2_mnt, "%s", mnt);
            snprintf(f->v2_root, sizeof f->v2_root, "%s", root);
        } else if (strcmp(fstype, "cgroup") == 0) {
            for (int i = 0; i < CG_N; i++)
                if (has_word(sopts, ctl_names[i], ',') && !f->v1_mnt[i][0]) {
                    snprintf(f->v1_mnt[i], sizeof f->v1_mnt[i], "%s", mnt);
                    snprintf(f->v1_root[i], sizeof f->v1_root[i], "%s", root);
                }
        }
    }
    fclose(fp);
}

/* Where the group named by own (a path from the hierarchy's root) is, given the mount's root and point:
 * in a container the mount shows only a subtree. */
static void group_dir(char *out, size_t len, const char *mnt, const char *root, const char *own)
{
    size_t rl = strlen(root);
    if (strcmp(root, "/") == 0)
        rl = 0;
    if (rl && strncmp(own, root, rl) == 0 && (own[rl] == '/' || own[rl] == '\0'))
        own += rl;
    else if (rl)
        own = ""; /* our group is not below the mount's root: the best we can name is the mount */
    snprintf(out, len, "%s%s", mnt, strcmp(own, "/") == 0 ? "" : own);
}

static int mkdir_p(const char *path)
{
    char buf[PATH_MAX];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *s = buf + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(buf, 0755) < 0 && errno != EEXIST)
            return -1;
        *s = '/';
    }
    return mkdir(buf, 0755) < 0 && errno != EEXIST ? -1 : 0;
}

static bool write_str(const char *dir, const char *name, const char *file, const char *val, char *err,
                      size_t errlen)
{
    char path[PATH_MAX + 160];
    snprintf(path, sizeof path, "%s%s%s/%s", dir, name ? "/" : "", name ? name : "", file);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    ssize_t n = -1;
    if (fd >= 0) {
        n = write(fd, val, strlen(val));
        int e = errno;
        close(fd);
        errno = e;
    }
    if (n == (ssize_t)strlen(val))
        return true;
    if (err)
        snprintf(err, errlen, "cannot write '%s' to %s: %s", val, path, strerror(errno));
    return false;
}

static bool read_str(const char *dir, const char *name, const char *file, char *buf, size_t len)
{
    char path[PATH_MAX + 160];
    snprintf(path, sizeof path, "%s%s%s/%s", dir, name ? "/" : "", name ? name : "", file);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    ssize_t n = read(fd, buf, len - 1);
    close(fd);
    if (n < 0)
        return false;
    buf[n] = '\0';
    return true;
}

static bool read_u64(const char *dir, const char *name, const char *file, uint64_t *out)
{
    char buf[64];
    if (!read_str(dir, name, file, buf, sizeof buf))
        return false;
    if (strncmp(buf, "max", 3) == 0) {
        *out = UINT64_MAX;
        return true;
    }
    char *end;
    *out = strtoull(buf, &end, 10);
    return end != buf;
}

/* "key value" lines (cpu.stat, memory.events, memory.oom_control). */
static bool read_key(const char *dir, const char *name, const char *file, const char *key, uint64_t *out)
{
    char buf[4096];
    if (!read_str(dir, name, file, buf, sizeof buf))
        return false;
    size_t kl = strlen(key);
    for (char *l = buf; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
        if (strncmp(l, key, kl) == 0 && l[kl] == ' ') {
            *out = strtoull(l + kl + 1, NULL, 10);
            return true;
        }
    return false;
}

/* v2: enables ctl in cgroup.subtree_control of from and of every group below it down to to (inclusive), so
 * the guests' groups under to get the controller's files. Already enabled levels are left alone. */
static void enable_chain(const char *from, const char *to, const char *ctl, char *why, size_t whylen)
{
    char plus[32], dir[PATH_MAX], cur[512];
    snprintf(plus, sizeof plus, "+%s", ctl);
    size_t n = strlen(from);
    if (strncmp(to, from, n) != 0) {
        snprintf(why, whylen, "%s is not below %s", to, from);
        return;
    }
    for (size_t end = n;; end++) {
        if (to[end] != '/' && to[end] != '\0')
            continue;
        snprintf(dir, sizeof dir, "%.*s", (int)end, to);
        cur[0] = '\0';
        bool on = read_str(dir, NULL, "cgroup.subtree_control", cur, sizeof cur);
        cur[strcspn(cur, "\n")] = '\0';
        on = on && has_word(cur, ctl, ' ');
        if (!on && !write_str(dir, NULL, "cgroup.subtree_control", plus, why, whylen))
            return;
        if (to[end] == '\0')
            return;
    }
}

JailCgroups *jail_cgroups_open(const char *parent, char *err, size_t errlen)
{
    JailCgroups *cg = calloc(1, sizeof *cg);
    Found *f = calloc(1, sizeof *f);
    if (!cg || !f) {
        free(cg);
        free(f);
        snprintf(err, errlen, "cgroups: out of memory");
        return NULL;
    }
    read_own(f);
    read_mounts(f);
    char v2own[PATH_MAX] = "", v2ctls[256] = "";
    if (f->v2_mnt[0]) {
        group_dir(v2own, sizeof v2own, f->v2_mnt, f->v2_root, f->v2_own[0] ? f->v2_own : "/");
        read_str(v2own, ".", "cgroup.controllers", v2ctls, sizeof v2ctls);
        v2ctls[strcspn(v2ctls, "\n")] = '\0';
    }
    if (!parent)
        parent = "lodge";
    for (int i = 0; i < CG_N; i++) {
        CgCtl *c = &cg->c[i];
        char base[PATH_MAX];
        const char *mnt;
        if (f->v1_mnt[i][0]) {
            mnt = f->v1_mnt[i];
            group_dir(base, sizeof base, mnt, f->v1_root[i], f->v1_own[i][0] ? f->v1_own[i] : "/");
        } else if (f->v2_mnt[0] && (i == CG_CPUACCT || has_word(v2ctls, ctl_names[i], ' '))) {
            /* v2 has no cpuacct: every group's cpu.stat counts its CPU time. */
            mnt = f->v2_mnt;
            c->v2 = true;
            snprintf(base, sizeof base, "%s", v2own);
        } else {
            mgr_appendf(cg->describe, sizeof cg->describe, "%s%s: no hierarchy has it", cg->describe[0] ? "; " : "",
                    ctl_names[i]);
            snprintf(c->why, sizeof c->why, "no hierarchy has it");
            continue;
        }
        c->found = true;
        int len = parent[0] == '/' ? snprintf(c->dir, sizeof c->dir, "%s%s", mnt, parent)
                                   : snprintf(c->dir, sizeof c->dir, "%s/%s", base, parent);
        char why[PATH_MAX + 200] = "";
        if (len >= (int)sizeof c->dir) {
            snprintf(why, sizeof why, "path too long");
        } else if (mkdir_p(c->dir) < 0) {
            snprintf(why, sizeof why, "cannot create %s: %s", c->dir, strerror(errno));
        } else if (access(c->dir, W_OK) < 0) {
            snprintf(why, sizeof why, "cannot write %s: %s", c->dir, strerror(errno));
        } else if (c->v2 && i != CG_CPUACCT) {
            /* v2 hands a controller to children only when every ancestor up from ours enables it in
             * cgroup.subtree_control; a group with processes of its own may not (the daemon then needs a
             * delegated group, e.g. systemd's Delegate=yes). */
            enable_chain(parent[0] == '/' ? mnt : base, c->dir, ctl_names[i], why, sizeof why);
        }
        c->usable = !why[0];
        snprintf(c->why, sizeof c->why, "%s", why);
        mgr_appendf(cg->describe, sizeof cg->describe, "%s%s: %s %s%s%s", cg->describe[0] ? "; " : "", ctl_names[i],
                c->v2 ? "v2" : "v1", c->dir, why[0] ? ", not usable: " : "", why);
    }
    free(f);
    return cg;
}

void jail_cgroups_close(JailCgroups *cg)
{
    free(cg);
}

const char *jail_cgroups_describe(const JailCgroups *cg)
{
    return cg->describe;
}

unsigned jail_cgroups_usable(const JailCgroups *cg)
{
    unsigned b = 0;
    for (int i = 0; i < CG_N; i++)
        if (cg->c[i].usable && i != CG_CPUACCT)
            b |= ctl_bits[i];
    return b;
}

static bool valid_name(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > 64 || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-", s[i]))
            return false;
    return true;
}

/* Only one action per directory: with v1 "cpu,cpuacct" mounted together both controllers share it. */
static bool first_with_dir(const JailCgroups *cg, int i)
{
    for (int j = 0; j < i; j++)
        if (cg->c[j].usable && strcmp(cg->c[j].dir, cg->c[i].dir) == 0)
            return false;
    return true;
}

static const CgCtl *ctl_for(const JailCgroups *cg, int i, const char *name, char *err, size_t errlen)
{
    if (name && !valid_name(name)) {
        snprintf(err, errlen, "cgroup: bad name '%s'", name ? name : "");
        return NULL;
    }
    if (!cg->c[i].usable) {
        snprintf(err, errlen, "cgroup: no usable %s controller (%s)", ctl_names[i], cg->describe);
        return NULL;
    }
    return &cg->c[i];
}

/* ---- Limits --------------------------------------------------------------------------------------- */

bool jail_set_cpu(const JailCgroups *cg, const char *name, unsigned weight, unsigned max_pct, char *err,
                  size_t errlen)
{
    const CgCtl *c = ctl_for(cg, CG_CPU, name, err, errlen);
    if (!c)
        return false;
    if (weight > 10000 || max_pct > 100000) {
        snprintf(err, errlen, "cgroup: CPU weight %u or cap %u%% out of range (1..10000, 1..100000)", weight,
                 max_pct);
        return false;
    }
    char v[64];
    const uint64_t period = 100000; /* 100 ms: short enough that a capped guest's latency stays smooth */
    if (c->v2) {
        snprintf(v, sizeof v, "%u", weight ? weight : 100);
        if (!write_str(c->dir, name, "cpu.weight", v, err, errlen))
            return false;
        if (max_pct)
            snprintf(v, sizeof v, "%" PRIu64 " %" PRIu64, period * max_pct / 100, period);
        else
            snprintf(v, sizeof v, "max %" PRIu64, period);
        return write_str(c->dir, name, "cpu.max", v, err, errlen);
    }
    /* v1 shares: 1024 is the default, as weight 100 is in v2. */
    uint64_t shares = (uint64_t)(weight ? weight : 100) * 1024 / 100;
    snprintf(v, sizeof v, "%" PRIu64, shares < 2 ? 2 : shares);
    if (!write_str(c->dir, name, "cpu.shares", v, err, errlen))
        return false;
    snprintf(v, sizeof v, "%" PRIu64, period);
    if (!write_str(c->dir, name, "cpu.cfs_period_us", v, err, errlen))
        return false;
    if (max_pct)
        snprintf(v, sizeof v, "%" PRIu64, period * max_pct / 100);
    else
        snprintf(v, sizeof v, "-1");
    return write_str(c->dir, name, "cpu.cfs_quota_us", v, err, errlen);
}

bool jail_set_memory(const JailCgroups *cg, const char *name, uint64_t max_bytes, char *err, size_t errlen)
{
    const CgCtl *c = ctl_for(cg, CG_MEM, name, err, errlen);
    if (!c)
        return false;
    char v[32];
    if (c->v2) {
        snprintf(v, sizeof v, max_bytes ? "%" PRIu64 : "max", max_bytes);
        return write_str(c->dir, name, "memory.max", v, err, errlen);
    }
    snprintf(v, sizeof v, max_bytes ? "%" PRIu64 : "-1", max_bytes);
    /* v1 wants memory+swap >= memory at every moment: raise memsw first, lower it last. Hosts without swap
     * accounting have no memsw file. */
    char probe[32];
    bool memsw = read_str(c->dir, name, "memory.memsw.limit_in_bytes", probe, sizeof probe);
    uint64_t cur = 0;
    read_u64(c->dir, name, "memory.limit_in_bytes", &cur);
    bool raising = max_bytes == 0 || max_bytes > cur;
    if (memsw && raising && !write_str(c->dir, name, "memory.memsw.limit_in_bytes", v, err, errlen))
        return false;
    if (!write_str(c->dir, name, "memory.limit_in_bytes", v, err, errlen))
        return false;
    if (memsw && !raising && !write_str(c->dir, name, "memory.memsw.limit_in_bytes", v, err, errlen))
        return false;
    return true;
}

bool jail_set_pids(const JailCgroups *cg, const char *name, uint64_t max, char *err, size_t errlen)
{
    const CgCtl *c = ctl_for(cg, CG_PIDS, name, err, errlen);
    if (!c)
        return false;
    char v[32];
    snprintf(v, sizeof v, max ? "%" PRIu64 : "max", max);
    return write_str(c->dir, name, "pids.max", v, err, errlen);
}

bool jail_cgroup_create(const JailCgroups *cg, const char *name, const JailLimits *lim, unsigned *in_force,
                        char *why, size_t whylen)
{
    *in_force = 0;
    if (why && whylen)
        why[0] = '\0';
    if (!valid_name(name)) {
        snprintf(why, whylen, "cgroup: bad name '%s'", name ? name : "");
        return false;
    }
    char e[PATH_MAX + 200];
    unsigned failed = 0;
    for (int i = 0; i < CG_N; i++) {
        const CgCtl *c = &cg->c[i];
        if (!c->usable)
            continue;
        char dir[PATH_MAX + 80];
        snprintf(dir, sizeof dir, "%s/%s", c->dir, name);
        if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
            failed |= ctl_bits[i];
            mgr_appendf(why, whylen, "%scannot create %s: %s", why[0] ? "; " : "", dir, strerror(errno));
        }
    }
    bool ok;
    if (cg->c[CG_CPU].usable && !(failed & JAIL_CG_CPU)) {
        ok = jail_set_cpu(cg, name, lim ? lim->cpu_weight : 0, lim ? lim->cpu_max_pct : 0, e, sizeof e);
        *in_force |= ok ? JAIL_CG_CPU : 0;
        if (!ok)
            mgr_appendf(why, whylen, "%s%s", why[0] ? "; " : "", e);
    }
    if (cg->c[CG_MEM].usable && !(failed & JAIL_CG_MEM)) {
        ok = jail_set_memory(cg, name, lim ? lim->mem_max : 0, e, sizeof e);
        *in_force |= ok ? JAIL_CG_MEM : 0;
        if (!ok)
            mgr_appendf(why, whylen, "%s%s", why[0] ? "; " : "", e);
    }
    if (cg->c[CG_PIDS].usable && !(failed & JAIL_CG_PIDS)) {
        ok = jail_set_pids(cg, name, lim ? lim->pids_max : 0, e, sizeof e);
        *in_force |= ok ? JAIL_CG_PIDS : 0;
        if (!ok)
            mgr_appendf(why, whylen, "%s%s", why[0] ? "; " : "", e);
    }
    for (int i = 0; i < CG_N; i++)
        if (!cg->c[i].usable && i != CG_CPUACCT)
            mgr_appendf(why, whylen, "%s%s: %s", why[0] ? "; " : "", ctl_names[i], cg->c[i].why);
    return true;
}

bool jail_cgroup_attach(const JailCgroups *cg, const char *name, pid_t pid, unsigned *in_force, char *why,
                        size_t whylen)
{
    *in_force = 0;
    if (why && whylen)
        why[0] = '\0';
    if (!valid_name(name)) {
        snprintf(why, whylen, "cgroup: bad name '%s'", name ? name : "");
        return false;
    }
    char v[32], e[PATH_MAX + 200];
    snprintf(v, sizeof v, "%d", (int)pid);
    unsigned failed = 0;
    for (int i = 0; i < CG_N; i++) {
        if (!cg->c[i].usable)
            continue;
        if (!first_with_dir(cg, i) || write_str(cg->c[i].dir, name, "cgroup.procs", v, e, sizeof e)) {
            *in_force |= ctl_bits[i];
        } else {
            failed |= ctl_bits[i];
            mgr_appendf(why, whylen, "%s%s", why[0] ? "; " : "", e);
        }
    }
    *in_force &= ~failed;
    return failed == 0;
}

/* ---- Usage and removal ---------------------------------------------------------------------------- */

bool jail_cgroup_usage(const JailCgroups *cg, const char *name, JailUsage *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (!valid_name(name)) {
        snprintf(err, errlen, "cgroup: bad name '%s'", name ? name : "");
        return false;
    }
    const CgCtl *acct = &cg->c[CG_CPUACCT], *cpu = &cg->c[CG_CPU], *mem = &cg->c[CG_MEM], *pids = &cg->c[CG_PIDS];
    if (acct->usable) {
        uint64_t us;
        if (!acct->v2 && read_u64(acct->dir, name, "cpuacct.usage", &out->cpu_ns))
            out->have |= JAIL_CG_CPU;
        else if (acct->v2 && read_key(acct->dir, name, "cpu.stat", "usage_usec", &us))
            out->cpu_ns = us * 1000, out->have |= JAIL_CG_CPU;
    }
    if (cpu->usable) {
        uint64_t us;
        if (cpu->v2 && read_key(cpu->dir, name, "cpu.stat", "throttled_usec", &us))
            out->throttled_ns = us * 1000;
        else if (!cpu->v2)
            read_key(cpu->dir, name, "cpu.stat", "throttled_time", &out->throttled_ns);
    }
    if (mem->usable) {
        bool ok = mem->v2 ? read_u64(mem->dir, name, "memory.current", &out->mem_bytes)
                          : read_u64(mem->dir, name, "memory.usage_in_bytes", &out->mem_bytes);
        if (ok)
            out->have |= JAIL_CG_MEM;
        if (mem->v2) {
            read_u64(mem->dir, name, "memory.peak", &out->mem_peak);
            read_key(mem->dir, name, "memory.events", "oom_kill", &out->oom_kills);
        } else {
            read_u64(mem->dir, name, "memory.max_usage_in_bytes", &out->mem_peak);
            read_key(mem->dir, name, "memory.oom_control", "oom_kill", &out->oom_kills);
        }
    }
    if (pids->usable && read_u64(pids->dir, name, "pids.current", &out->pids))
        out->have |= JAIL_CG_PIDS;
    if (!out->have) {
        snprintf(err, errlen, "cgroup: no readable group '%s' (%s)", name, cg->describe);
        return false;
    }
    return true;
}

static int read_procs(const char *dir, const char *name, pid_t *pids, int max)
{
    char path[PATH_MAX + 160];
    snprintf(path, sizeof path, "%s/%s/cgroup.procs", dir, name);
    FILE *f = fopen(path, "re");
    if (!f)
        return -1;
    int n = 0, v;
    while (fscanf(f, "%d", &v) == 1)
        if (n < max)
            pids[n++] = v;
    fclose(f);
    return n;
}

void jail_cgroup_rmdir_empty(const JailCgroups *cg, const char *name)
{
    if (!valid_name(name))
        return;
    for (int i = 0; i < CG_N; i++)
        if (cg->c[i].usable && first_with_dir(cg, i)) {
            char dir[PATH_MAX + 80];
            snprintf(dir, sizeof dir, "%s/%s", cg->c[i].dir, name);
            rmdir(dir); /* EBUSY while anything runs in it: then it stays */
        }
}

bool jail_cgroup_remove_parent(const JailCgroups *cg, char *err, size_t errlen)
{
    bool ok = true;
    for (int i = 0; i < CG_N; i++)
        if (cg->c[i].usable && first_with_dir(cg, i) && rmdir(cg->c[i].dir) < 0 && errno != ENOENT) {
            snprintf(err, errlen, "cgroup: cannot remove %s: %s", cg->c[i].dir, strerror(errno));
            ok = false;
        }
    return ok;
}

int jail_cgroup_pids(const JailCgroups *cg, const char *name, pid_t *pids, int max)
{
    if (!valid_name(name))
        return -1;
    for (int i = 0; i < CG_N; i++)
        if (cg->c[i].usable)
            return read_procs(cg->c[i].dir, name, pids, max);
    return -1;
}

bool jail_cgroup_remove(const JailCgroups *cg, const char *name, char *err, size_t errlen)
{
    if (!valid_name(name)) {
        snprintf(err, errlen, "cgroup: bad name '%s'", name ? name : "");
        return false;
    }
    bool ok = true;
    for (int i = 0; i < CG_N; i++) {
        const CgCtl *c = &cg->c[i];
        if (!c->usable || !first_with_dir(cg, i))
            continue;
        char dir[PATH_MAX + 80];
        snprintf(dir, sizeof dir, "%s/%s", c->dir, name);
        struct stat st;
        if (stat(dir, &st) < 0)
            continue;
        /* Up to a second: a killed task leaves the group when it has exited. */
        for (int tries = 0; tries < 100; tries++) {
            pid_t pids[256];
            int n = read_procs(c->dir, name, pids, 256);
            for (int k = 0; k < n; k++)
                kill(pids[k], SIGKILL);
            if (rmdir(dir) == 0 || errno == ENOENT)
                break;
            if (errno != EBUSY) {
                snprintf(err, errlen, "cgroup: cannot remove %s: %s", dir, strerror(errno));
                ok = false;
                break;
            }
            nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
            if (tries == 99) {
                snprintf(err, errlen, "cgroup: %s still busy after a second", dir);
                ok = false;
            }
        }
    }
    return ok;
}
