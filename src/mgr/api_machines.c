/* api_machines.c: /v1/machines. A request is validated whole before anything happens (so a refused one
 * changes nothing), then mapped onto the machine's process: create starts `lodged machine` and configures
 * it through its Firecracker API; the actions become InstanceStart, PATCH /vm, SendCtrlAltDel, SIGKILL. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "mgr/daemon.h"
#include "mgr/disks.h"
#include "mgr/jsonv.h"
#include "mgr/mproc.h"

#define MIB (1024ull * 1024ull)

static bool readable_file(const char *field, const char *path, HttpResponse *r)
{
    struct stat st;
    if (path[0] != '/')
        return http_fault(r, 400, "field '%s' must be an absolute path, not '%s'", field, path);
    if (stat(path, &st) != 0)
        return http_fault(r, 400, "field '%s': %s: %s", field, path, strerror(errno));
    if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
        return http_fault(r, 400, "field '%s': %s is not a file", field, path);
    if (access(path, R_OK) != 0)
        return http_fault(r, 400, "field '%s': %s: %s", field, path, strerror(errno));
    return true;
}

/* A RISC-V Linux Image ("RSC\x05" at byte 56) or an ELF: checked here so that a wrong file is a 400 at
 * create, leaving nothing behind, rather than a machine that cannot start. */
static bool kernel_image(const char *path, HttpResponse *r)
{
    unsigned char head[64] = {0};
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n = fd >= 0 ? read(fd, head, sizeof head) : -1;
    if (fd >= 0)
        close(fd);
    if ((n >= 60 && memcmp(head + 56, "RSC\x05", 4) == 0) || (n >= 4 && memcmp(head, "\x7f" "ELF", 4) == 0))
        return true;
    return http_fault(r, 400, "field 'kernel': %s is not a RISC-V Linux Image (no \"RSC\\x05\" at byte 56) nor an ELF",
                      path);
}

static bool check_bucket(const cJSON *b, const char *where, HttpResponse *r)
{
    static const char *const fields[] = {"size", "one_time_burst", "refill_time", NULL};
    uint64_t v = 0;
    if (!cJSON_IsObject(b))
        return http_fault(r, 400, "field '%s' must be an object", where);
    if (!cJSON_GetObjectItemCaseSensitive(b, "size") || !cJSON_GetObjectItemCaseSensitive(b, "refill_time"))
        return http_fault(r, 400, "field '%s' needs size and refill_time", where);
    return jsonv_only(b, fields, where, r) && jsonv_uint(b, "size", where, 0, UINT64_MAX >> 11, &v, r) &&
           jsonv_uint(b, "one_time_burst", where, 0, UINT64_MAX >> 11, &v, r) &&
           jsonv_uint(b, "refill_time", where, 0, UINT64_MAX >> 11, &v, r);
}

/* Firecracker's RateLimiter object: {bandwidth: TokenBucket, ops: TokenBucket}. */
bool api_check_rate_limiter(const cJSON *o, const char *name, const char *where, HttpResponse *r)
{
    const cJSON *rl;
    char w[128];
    snprintf(w, sizeof w, "%s.%s", where, name);
    if (!jsonv_member(o, name, where, cJSON_Object, &rl, r))
        return false;
    if (!rl)
        return true;
    static const char *const fields[] = {"bandwidth", "ops", NULL};
    if (!jsonv_only(rl, fields, w, r))
        return false;
    for (const cJSON *m = rl->child; m; m = m->next) {
        char bw[160];
        snprintf(bw, sizeof bw, "%s.%s", w, m->string);
        if (!check_bucket(m, bw, r))
            return false;
    }
    return true;
}

static bool check_disks(const cJSON *disks, HttpResponse *r)
{
    static const char *const fields[] = {"path", "read_only", "clone", "size_bytes", "rate_limiter", NULL};
    int n = cJSON_GetArraySize(disks);
    if (n > LODGE_MACHINE_MAX_DISKS)
        return http_fault(r, 400, "field 'disks' has %d entries; a machine has at most %d", n, LODGE_MACHINE_MAX_DISKS);
    for (int i = 0; i < n; i++) {
        const cJSON *dk = cJSON_GetArrayItem(disks, i);
        char where[32];
        snprintf(where, sizeof where, "disks[%d]", i);
        const char *path = NULL;
        bool ro = false, clone = false;
        uint64_t size = 0;
        if (!cJSON_IsObject(dk))
            return http_fault(r, 400, "field '%s' must be an object", where);
        if (!jsonv_only(dk, fields, where, r) || !jsonv_string(dk, "path", where, &path, r) ||
            !jsonv_bool(dk, "read_only", where, &ro, r) || !jsonv_bool(dk, "clone", where, &clone, r) ||
            !jsonv_uint(dk, "size_bytes", where, 1 << 20, 1ull << 44, &size, r) ||
            !api_check_rate_limiter(dk, "rate_limiter", where, r))
            return false;
        if (!path)
            return http_fault(r, 400, "field '%s.path' is required", where);
        if (cJSON_GetObjectItemCaseSensitive(dk, "size_bytes") && !clone)
            return http_fault(r, 400, "field '%s.size_bytes' applies to clones only (\"clone\": true)", where);
        if (clone && ro)
            return http_fault(r, 400, "'%s': a clone exists to be written; read_only with clone says the opposite", where);
        char field[48];
        snprintf(field, sizeof field, "%s.path", where);
        if (!readable_file(field, path, r))
            return false;
        if (!ro && !clone && access(path, W_OK) != 0)
            return http_fault(r, 400, "field '%s': %s is not writable (set read_only, or clone it)", field, path);
        for (int j = 0; j < i; j++) {
            const cJSON *o = cJSON_GetArrayItem(disks, j);
            const char *op = cJSON_GetObjectItemCaseSensitive(o, "path")->valuestring;
            /* One base under several clones is what clones are for; the same file twice otherwise is not. */
            if (strcmp(op, path) == 0 && !(clone && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "clone"))))
                return http_fault(r, 400, "disks[%d] and disks[%d] are the same file %s", j, i, path);
        }
    }
    return true;
}

static bool check_net(const cJSON *net, HttpResponse *r)
{
    static const char *const fields[] = {"tap", "guest_mac", "rx_rate_limiter", "tx_rate_limiter", NULL};
    int n = cJSON_GetArraySize(net);
    if (n > 1)
        return http_fault(r, 400, "field 'net' has %d entries; a machine has at most one interface", n);
    for (int i = 0; i < n; i++) {
        const cJSON *ni = cJSON_GetArrayItem(net, i);
        const char *tap = NULL, *mac = NULL;
        if (!cJSON_IsObject(ni))
            return http_fault(r, 400, "field 'net[%d]' must be an object", i);
        if (!jsonv_only(ni, fields, "net[0]", r) || !jsonv_string(ni, "tap", "net[0]", &tap, r) ||
            !jsonv_string(ni, "guest_mac", "net[0]", &mac, r) ||
            !api_check_rate_limiter(ni, "rx_rate_limiter", "net[0]", r) ||
            !api_check_rate_limiter(ni, "tx_rate_limiter", "net[0]", r))
            return false;
        if (!tap || !*tap || strlen(tap) > 15 || strchr(tap, '/'))
            return http_fault(r, 400, "field 'net[0].tap' must name a host tap interface (1 to 15 characters)");
        unsigned b[6];
        char end;
        if (mac && (strlen(mac) != 17 ||
                    sscanf(mac, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &end) != 6))
            return http_fault(r, 400, "field 'net[0].guest_mac' must look like 06:00:ac:10:00:02");
    }
    return true;
}

bool api_check_limits(const cJSON *limits, HttpResponse *r)
{
    static const char *const fields[] = {"cpu_weight", "cpu_max_percent", NULL};
    uint64_t v;
    return !limits || (jsonv_only(limits, fields, "limits", r) &&
                       jsonv_uint(limits, "cpu_weight", "limits", 1, 10000, &v, r) &&
                       jsonv_uint(limits, "cpu_max_percent", "limits", 1, 100000, &v, r));
}

/* The whole create request checked; defaults written into it so the record shows what runs. */
static bool check_create(Daemon *d, cJSON *o, char *id, size_t idlen, uint64_t *mem, uint64_t *cpus, bool *start,
                         HttpResponse *r)
{
    static const char *const fields[] = {"id", "kernel", "initrd", "cmdline", "mem_bytes", "cpus", "disks",
                                         "net", "limits", "start", NULL};
    const char *gid = NULL, *kernel = NULL, *initrd = NULL, *cmdline = NULL;
    const cJSON *disks, *net, *limits;
    *mem = 256 * MIB;
    *cpus = 1;
    *start = false;
    if (!jsonv_only(o, fields, NULL, r) || !jsonv_string(o, "id", NULL, &gid, r) ||
        !jsonv_string(o, "kernel", NULL, &kernel, r) || !jsonv_string(o, "initrd", NULL, &initrd, r) ||
        !jsonv_string(o, "cmdline", NULL, &cmdline, r) ||
        !jsonv_uint(o, "mem_bytes", NULL, 16 * MIB, 64 * 1024 * MIB, mem, r) ||
        !jsonv_uint(o, "cpus", NULL, 1, LODGE_MACHINE_MAX_CPUS, cpus, r) ||
        !jsonv_member(o, "disks", NULL, cJSON_Array, &disks, r) ||
        !jsonv_member(o, "net", NULL, cJSON_Array, &net, r) ||
        !jsonv_member(o, "limits", NULL, cJSON_Object, &limits, r) || !jsonv_bool(o, "start", NULL, start, r))
        return false;
    if (gid && !jsonv_valid_id(gid))
        return http_fault(r, 400, "field 'id' must match [A-Za-z0-9_.-]{1,64}");
    if (gid && guests_find(d, GUEST_MACHINE, gid))
        return http_fault(r, 409, "a machine named '%s' exists already", gid);
    if (!kernel)
        return http_fault(r, 400, "field 'kernel' is required (the absolute path of a RISC-V Linux Image)");
    if (!readable_file("kernel", kernel, r) || !kernel_image(kernel, r) ||
        (initrd && !readable_file("initrd", initrd, r)))
        return false;
    if (cmdline && strlen(cmdline) > 4096)
        return http_fault(r, 400, "field 'cmdline' is longer than 4096 bytes");
    if (*mem % MIB)
        return http_fault(r, 400, "field 'mem_bytes' (%llu) must be a whole number of MiB",
                          (unsigned long long)*mem);
    if ((disks && !check_disks(disks, r)) || (net && !check_net(net, r)) || !api_check_limits(limits, r))
        return false;
    if (gid)
        snprintf(id, idlen, "%s", gid);
    else
        guests_new_id(d, GUEST_MACHINE, "vm-", id, idlen);
    cJSON_DeleteItemFromObjectCaseSensitive(o, "id");
    cJSON_DeleteItemFromObjectCaseSensitive(o, "start");
    if (!cmdline)
        cJSON_AddStringToObject(o, "cmdline", "console=ttyS0");
    if (!cJSON_GetObjectItemCaseSensitive(o, "mem_bytes"))
        cJSON_AddNumberToObject(o, "mem_bytes", (double)*mem);
    if (!cJSON_GetObjectItemCaseSensitive(o, "cpus"))
        cJSON_AddNumberToObject(o, "cpus", (double)*cpus);
    return true;
}

/* One call to the machine's API that must succeed with 2xx; else a fault in r (400 when the machine
 * refused the configuration, 500 when it could not be reached). */
bool api_machine_call(Guest *g, const char *method, const char *path, cJSON *body, HttpResponse *r)
{
    char *text = body ? cJSON_PrintUnformatted(body) : NULL;
    cJSON_Delete(body);
    int status;
    char *resp = NULL, err[512];
    bool ok = mproc_call(g, method, path, text, &status, &resp, err, sizeof err);
    free(text);
    if (!ok) {
        free(resp);
        return http_fault(r, 500, "machine '%s': %s", g->id, err);
    }
    if (status / 100 != 2) {
        cJSON *f = resp ? cJSON_Parse(resp) : NULL;
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(f, "fault_message");
        http_fault(r, status >= 500 ? 500 : 400, "machine '%s': %s %s: %s", g->id, method, path,
                   cJSON_IsString(m) ? m->valuestring : (resp ? resp : "refused"));
        cJSON_Delete(f);
        free(resp);
        return false;
    }
    free(resp);
    return true;
}

static void copy_limiter(cJSON *dst, const cJSON *src, const char *from, const char *to)
{
    const cJSON *rl = cJSON_GetObjectItemCaseSensitive(src, from);
    if (rl)
        cJSON_AddItemToObject(dst, to, cJSON_Duplicate(rl, true));
}

static bool configure(Guest *g, HttpResponse *r)
{
    const cJSON *c = g->config;
    cJSON *b = cJSON_CreateObject();
    cJSON_AddStringToObject(b, "kernel_image_path", cJSON_GetObjectItemCaseSensitive(c, "kernel")->valuestring);
    cJSON_AddStringToObject(b, "boot_args", cJSON_GetObjectItemCaseSensitive(c, "cmdline")->valuestring);
    const cJSON *initrd = cJSON_GetObjectItemCaseSensitive(c, "initrd");
    if (initrd)
        cJSON_AddStringToObject(b, "initrd_path", initrd->valuestring);
    if (!api_machine_call(g, "PUT", "/boot-source", b, r))
        return false;
    cJSON *mc = cJSON_CreateObject();
    cJSON_AddNumberToObject(mc, "vcpu_count", cJSON_GetObjectItemCaseSensitive(c, "cpus")->valuedouble);
    cJSON_AddNumberToObject(mc, "mem_size_mib", cJSON_GetObjectItemCaseSensitive(c, "mem_bytes")->valuedouble / MIB);
    if (!api_machine_call(g, "PUT", "/machine-config", mc, r))
        return false;
    const cJSON *disks = cJSON_GetObjectItemCaseSensitive(c, "disks");
    int i = 0;
    for (const cJSON *dk = disks ? disks->child : NULL; dk; dk = dk->next, i++) {
        char id[8], path[32];
        snprintf(id, sizeof id, "vd%c", 'a' + i);
        snprintf(path, sizeof path, "/drives/%s", id);
        cJSON *dr = cJSON_CreateObject();
        cJSON_AddStringToObject(dr, "drive_id", id);
        cJSON_AddStringToObject(dr, "path_on_host", disks_image(dk));
        cJSON_AddBoolToObject(dr, "is_root_device", false);
        cJSON_AddBoolToObject(dr, "is_read_only", cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(dk, "read_only")));
        copy_limiter(dr, dk, "rate_limiter", "rate_limiter");
        if (!api_machine_call(g, "PUT", path, dr, r))
            return false;
    }
    const cJSON *net = cJSON_GetObjectItemCaseSensitive(c, "net");
    for (const cJSON *ni = net ? net->child : NULL; ni; ni = ni->next) {
        cJSON *n = cJSON_CreateObject();
        cJSON_AddStringToObject(n, "iface_id", "eth0");
        cJSON_AddStringToObject(n, "host_dev_name", cJSON_GetObjectItemCaseSensitive(ni, "tap")->valuestring);
        const cJSON *mac = cJSON_GetObjectItemCaseSensitive(ni, "guest_mac");
        if (mac)
            cJSON_AddStringToObject(n, "guest_mac", mac->valuestring);
        copy_limiter(n, ni, "rx_rate_limiter", "rx_rate_limiter");
        copy_limiter(n, ni, "tx_rate_limiter", "tx_rate_limiter");
        if (!api_machine_call(g, "PUT", "/network-interfaces/eth0", n, r))
            return false;
    }
    return true;
}

/* The process is gone: why, and what state that leaves. */
static void machine_ended(Daemon *d, Guest *g)
{
    if (mproc_read_exit(d, g)) {
        guests_set_state(d, g, LODGE_STATE_STOPPED);
    } else if (g->kill_requested) {
        snprintf(g->exit_reason, sizeof g->exit_reason, "killed");
        guests_set_state(d, g, LODGE_STATE_STOPPED);
    } else {
        snprintf(g->exit_reason, sizeof g->exit_reason, "crashed");
        snprintf(g->error, sizeof g->error, "the machine process ended without an exit file (%s)",
                 g->death[0] ? g->death : "not this daemon's child: its exit status is unknown");
        guests_set_state(d, g, LODGE_STATE_CRASHED);
    }
    g->pid = 0;
    mproc_cleanup(d, g);
    guests_save(d, g);
}

/* Wait up to ms for the process to go (after SIGKILL it takes a moment to be reaped). */
static void wait_gone(Guest *g, int ms)
{
    for (int i = 0; i < ms / 5 && mproc_alive(g); i++) {
        struct timespec ts = {0, 5 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

static void kill_now(Daemon *d, Guest *g)
{
    g->kill_requested = true;
    guests_save(d, g);
    mproc_kill(g);
    wait_gone(g, 2000);
    if (!mproc_alive(g))
        machine_ended(d, g);
}

static void create(Daemon *d, const HttpRequest *req, HttpResponse *r)
{
    cJSON *o = jsonv_parse_object(req->body, req->body_len, r);
    if (!o)
        return;
    char id[72], err[512], dir[4200];
    uint64_t mem, cpus;
    bool start;
    if (!check_create(d, o, id, sizeof id, &mem, &cpus, &start, r)) {
        cJSON_Delete(o);
        return;
    }
    char what[256];
    snprintf(what, sizeof what, "machine '%s' (%llu MiB of RAM + %llu MiB overhead)", id,
             (unsigned long long)(mem / MIB), (unsigned long long)(d->machine_overhead / MIB));
    if (!host_admit(d, what, mem + d->machine_overhead, r)) {
        cJSON_Delete(o);
        return;
    }
    Guest *g = calloc(1, sizeof *g);
    if (!g) {
        cJSON_Delete(o);
        http_fault(r, 500, "out of memory");
        return;
    }
    g->kind = GUEST_MACHINE;
    snprintf(g->id, sizeof g->id, "%s", id);
    g->config = o;
    g->created_at = api_now();
    g->charged = mem + d->machine_overhead;
    g->cpus = cpus;
    g->state = LODGE_STATE_CREATED;
    guests_dir(d, g, dir, sizeof dir);
    if ((mkdir(dir, 0700) != 0 && errno != EEXIST) || !guests_add(d, g)) {
        http_fault(r, 500, "cannot create %s: %s", dir, strerror(errno));
        rmdir(dir);
        guests_free(g);
        return;
    }
    char io[4300];
    mproc_file(d, g, "io", io, sizeof io);
    if (mkdir(io, 0700) != 0 && errno != EEXIST) {
        http_fault(r, 500, "cannot create %s: %s", io, strerror(errno));
        goto fail;
    }
    if (!disks_make_clones(d, g, err, sizeof err)) {
        http_fault(r, 500, "machine '%s': %s", id, err);
        goto fail;
    }
    if (!mproc_spawn(d, g, err, sizeof err)) {
        http_fault(r, 500, "machine '%s': %s", id, err);
        goto fail;
    }
    if (!configure(g, r))
        goto fail;
    if (!guests_save(d, g)) {
        http_fault(r, 500, "cannot record machine '%s' in %s", id, dir);
        goto fail;
    }
    if (start && !api_machine_call(g, "PUT", "/actions", cJSON_Parse("{\"action_type\":\"InstanceStart\"}"), r)) {
        /* Created but not started: the answer says why, the record stays for the operator. */
        return;
    }
    if (start)
        guests_set_state(d, g, LODGE_STATE_RUNNING);
    jsonv_respond(r, 201, guests_json(g));
    return;
fail:
    /* Nothing of a refused create stays: its process, sockets, cgroup, files and record all go. */
    if (g->pid > 0) {
        mproc_kill(g);
        wait_gone(g, 2000);
    }
    mproc_cleanup(d, g);
    guests_remove(d, g);
}

static void action(Daemon *d, Guest *g, const HttpRequest *req, HttpResponse *r)
{
    GuestAction act;
    uint64_t timeout_s = 30;
    if (!api_parse_action(req, &act, &timeout_s, r) || !api_state_allows(g, act, r))
        return;
    /* The process may have died since the last tick: find out before talking to it. */
    if (!mproc_alive(g)) {
        machine_ended(d, g);
        if (act == ACT_KILL || act == ACT_STOP)
            return jsonv_respond(r, 200, guests_json(g));
        http_fault(r, 409, "machine '%s' is %s", g->id, lodge_state_name(g->state));
        return;
    }
    switch (act) {
    case ACT_START:
        if (api_machine_call(g, "PUT", "/actions", cJSON_Parse("{\"action_type\":\"InstanceStart\"}"), r))
            guests_set_state(d, g, LODGE_STATE_RUNNING);
        break;
    case ACT_PAUSE:
        if (api_machine_call(g, "PATCH", "/vm", cJSON_Parse("{\"state\":\"Paused\"}"), r))
            guests_set_state(d, g, LODGE_STATE_PAUSED);
        break;
    case ACT_RESUME:
        if (api_machine_call(g, "PATCH", "/vm", cJSON_Parse("{\"state\":\"Resumed\"}"), r))
            guests_set_state(d, g, LODGE_STATE_RUNNING);
        break;
    case ACT_STOP:
        if (g->state == LODGE_STATE_CREATED) {
            /* Nothing runs yet: a graceful stop is just the end of the process. */
            kill_now(d, g);
            snprintf(g->exit_reason, sizeof g->exit_reason, "stopped");
            guests_save(d, g);
            break;
        }
        if (g->state == LODGE_STATE_PAUSED &&
            !api_machine_call(g, "PATCH", "/vm", cJSON_Parse("{\"state\":\"Resumed\"}"), r))
            break;
        guests_set_state(d, g, LODGE_STATE_RUNNING);
        if (!api_machine_call(g, "PUT", "/actions", cJSON_Parse("{\"action_type\":\"SendCtrlAltDel\"}"), r)) {
            /* A machine that cannot ask its guest to power off is still stopped cleanly by its VMM
             * (the run ends at the next time slice, disks flushed): better than the SIGKILL of a kill. */
            free(r->body);
            *r = (HttpResponse){.upgrade_fd = -1};
            if (!api_machine_call(g, "PUT", "/lodge/actions", cJSON_Parse("{\"action_type\":\"Stop\"}"), r))
                break;
        }
        g->stop_deadline_ms = timeout_s ? api_now_ms() + (long long)timeout_s * 1000 : 0;
        guests_save(d, g);
        break;
    case ACT_KILL:
        kill_now(d, g);
        break;
    }
    if (r->status == 0)
        jsonv_respond(r, 200, guests_json(g));
    else if (r->status == 400)
        r->status = 409; /* the request was well formed: the machine refused it in the state it is in */
}

static void stats(Daemon *d, Guest *g, HttpResponse *r)
{
    if (g->pid > 0 && mproc_alive(g))
        mproc_refresh_stats(g);
    const lodge_machine_stats_t *s = &g->stats;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", g->id);
    cJSON_AddStringToObject(o, "state", lodge_state_name(g->state));
    cJSON_AddNumberToObject(o, "cpu_ns", (double)g->proc_cpu_ns);
    cJSON_AddNumberToObject(o, "rss_bytes", (double)g->proc_rss);
#define F(name) cJSON_AddNumberToObject(o, #name, (double)s->name)
    F(instructions), F(run_ns), F(mem_bytes), F(mem_resident), F(overhead_bytes), F(disk_read_bytes),
        F(disk_write_bytes), F(disk_reads), F(disk_writes), F(net_rx_bytes), F(net_tx_bytes), F(traps),
        F(interrupts), F(sbi_calls), F(mmio_accesses), F(console_dropped);
#undef F
    jsonv_respond(r, 200, o);
}

static void console(Daemon *d, Guest *g, const HttpRequest *req, HttpResponse *r)
{
    const char *up = http_header(req, "Upgrade"), *conn = http_header(req, "Connection");
    if (!up || strcasecmp(up, "lodge-console") != 0 || !conn || !strcasestr(conn, "upgrade")) {
        http_fault(r, 400, "attach with the headers 'Connection: Upgrade' and 'Upgrade: lodge-console'");
        return;
    }
    if (g->pid <= 0 || !mproc_alive(g) ||
        !(g->state == LODGE_STATE_CREATED || g->state == LODGE_STATE_RUNNING || g->state == LODGE_STATE_PAUSED)) {
        http_fault(r, 409, "machine '%s' is %s: there is no console to attach to", g->id, lodge_state_name(g->state));
        return;
    }
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", g->console_sock);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        http_fault(r, 500, "machine '%s': cannot reach its console at %s: %s", g->id, g->console_sock, strerror(errno));
        if (fd >= 0)
            close(fd);
        return;
    }
    http_respond_upgrade(r, "lodge-console", fd);
}

static void delete_machine(Daemon *d, Guest *g, const HttpRequest *req, HttpResponse *r)
{
    bool force = false;
    static const char *const params[] = {"force", NULL};
    if (!api_query_only(req, params, r) || !api_query_bool(req, "force", &force, r))
        return;
    bool live = g->state == LODGE_STATE_CREATED || g->state == LODGE_STATE_RUNNING || g->state == LODGE_STATE_PAUSED;
    if (live && !force) {
        http_fault(r, 409, "machine '%s' is %s: stop or kill it first, or delete with ?force=true", g->id,
                   lodge_state_name(g->state));
        return;
    }
    if (g->pid > 0 && mproc_alive(g))
        kill_now(d, g);
    if (g->pid > 0 && mproc_alive(g)) {
        http_fault(r, 500, "machine '%s': its process %d did not end after SIGKILL", g->id, g->pid);
        return;
    }
    mproc_cleanup(d, g);
    guests_remove(d, g);
    r->status = 204;
}

void api_machines(Daemon *d, const HttpRequest *req, HttpResponse *r, const char *rest)
{
    static const char *const subs[] = {"", "/actions", "/stats", "/logs", "/console"};
    const char *m = req->method, *sub;
    Guest *g;
    if (!api_collection(d, GUEST_MACHINE, req, r, rest, subs, sizeof subs / sizeof subs[0], create, &g, &sub))
        return;
    if (!*sub && strcmp(m, "DELETE") == 0)
        return delete_machine(d, g, req, r);
    if (!*sub && strcmp(m, "PATCH") == 0)
        return api_machines_patch(d, g, req, r);
    if (strcmp(sub, "/actions") == 0 && strcmp(m, "POST") == 0)
        return action(d, g, req, r);
    if (strcmp(sub, "/stats") == 0 && strcmp(m, "GET") == 0)
        return stats(d, g, r);
    if (strcmp(sub, "/logs") == 0) {
        char path[4300];
        mproc_file(d, g, "console.log", path, sizeof path);
        return api_logs(d, g, path, req, r);
    }
    if (strcmp(sub, "/console") == 0 && strcmp(m, "GET") == 0)
        return console(d, g, req, r);
    http_fault(r, 405, "%s is not served on %s", m, req->path);
}

void api_machines_tick(Daemon *d)
{
    long long now = api_now_ms();
    for (size_t i = 0; i < d->nguests; i++) {
        Guest *g = d->guests[i];
        if (g->kind != GUEST_MACHINE || g->pid <= 0)
            continue;
        if (!mproc_alive(g)) {
            machine_ended(d, g);
            continue;
        }
        if (g->stop_deadline_ms && now >= g->stop_deadline_ms) {
            /* The guest did not power off in time: as docker stop does, kill it. */
            g->stop_deadline_ms = 0;
            g->kill_requested = true;
            guests_save(d, g);
            mproc_kill(g);
        }
    }
}

void api_machines_recover(Daemon *d)
{
    for (size_t i = 0; i < d->nguests; i++) {
        Guest *g = d->guests[i];
        if (g->kind != GUEST_MACHINE)
            continue;
        bool live = g->state == LODGE_STATE_CREATED || g->state == LODGE_STATE_RUNNING || g->state == LODGE_STATE_PAUSED;
        if (!live)
            continue;
        g->is_child = false;
        if (!mproc_alive(g)) {
            machine_ended(d, g);
            continue;
        }
        /* Still there: its own word on its state wins over our record (we may have died mid-action). */
        if (mproc_refresh_stats(g) && g->stats.state != g->state &&
            g->stats.state <= LODGE_STATE_PAUSED)
            guests_set_state(d, g, g->stats.state);
    }
}
