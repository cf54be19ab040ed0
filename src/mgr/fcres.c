/* fcres.c: Firecracker's resource requests checked against their schema and applied to a machine's
 * resources. Messages name the field and say what would be accepted; where Firecracker has a message of its
 * own for the same mistake, it is used word for word so clients that match on it keep working. */
#include "mgr/fcres.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

static bool fail(char *err, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static bool fail(char *err, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, n, fmt, ap);
    va_end(ap);
    return false;
}

/* ---- schema checks ------------------------------------------------------------------------------ */

typedef enum { T_STR, T_BOOL, T_UINT, T_OBJ, T_ARR } FieldType;
typedef struct Field {
    const char *name;
    FieldType type;
    bool required;
} Field;

#define NFIELDS(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_SAFE_INT 9007199254740991.0 /* JSON integers past 2^53 lose their value in transit */

static const char *type_name(FieldType t)
{
    switch (t) {
    case T_STR: return "a string";
    case T_BOOL: return "a boolean";
    case T_UINT: return "a non-negative integer";
    case T_OBJ: return "an object";
    case T_ARR: return "an array";
    }
    return "?";
}

static bool type_ok(const cJSON *v, FieldType t)
{
    switch (t) {
    case T_STR: return cJSON_IsString(v);
    case T_BOOL: return cJSON_IsBool(v);
    case T_OBJ: return cJSON_IsObject(v);
    case T_ARR: return cJSON_IsArray(v);
    case T_UINT: {
        if (!cJSON_IsNumber(v))
            return false;
        double d = v->valuedouble;
        return d >= 0 && d <= MAX_SAFE_INT && d == (double)(unsigned long long)d;
    }
    }
    return false;
}

/* Every field known, of its type, not repeated; every required one present. null counts as absent, as
 * Firecracker's optional fields accept it. */
static bool check_fields(const cJSON *obj, const char *what, const Field *f, size_t nf, char *err, size_t n)
{
    if (!cJSON_IsObject(obj))
        return fail(err, n, "%s: expected a JSON object", what);
    for (const cJSON *c = obj->child; c; c = c->next) {
        for (const cJSON *d = obj->child; d != c; d = d->next)
            if (strcmp(d->string, c->string) == 0)
                return fail(err, n, "%s: duplicate field `%s`", what, c->string);
        const Field *spec = NULL;
        for (size_t i = 0; i < nf && !spec; i++)
            if (strcmp(f[i].name, c->string) == 0)
                spec = &f[i];
        if (!spec) {
            char names[512] = "";
            for (size_t i = 0; i < nf; i++)
                snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", i ? ", " : "", f[i].name);
            return fail(err, n, "%s: unknown field `%s`, expected one of %s", what, c->string, names);
        }
        if (cJSON_IsNull(c) && !spec->required)
            continue;
        if (!type_ok(c, spec->type))
            return fail(err, n, "%s: field `%s` must be %s", what, c->string, type_name(spec->type));
    }
    for (size_t i = 0; i < nf; i++) {
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(obj, f[i].name);
        if (f[i].required && (!c || cJSON_IsNull(c)))
            return fail(err, n, "%s: missing required field `%s`", what, f[i].name);
    }
    return true;
}

/* A field's value when present and not null. */
static const cJSON *field(const cJSON *obj, const char *name)
{
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(obj, name);
    return c && !cJSON_IsNull(c) ? c : NULL;
}

static const char *str_field(const cJSON *obj, const char *name)
{
    const cJSON *c = field(obj, name);
    return c ? c->valuestring : NULL;
}

static bool bool_field(const cJSON *obj, const char *name, bool dflt)
{
    const cJSON *c = field(obj, name);
    return c ? cJSON_IsTrue(c) : dflt;
}

static bool check_id(const char *id, const char *what, char *err, size_t n)
{
    size_t len = strlen(id);
    bool ok = len >= 1 && len <= FCRES_ID_MAX;
    for (size_t i = 0; ok && i < len; i++)
        ok = (id[i] >= 'a' && id[i] <= 'z') || (id[i] >= 'A' && id[i] <= 'Z') || (id[i] >= '0' && id[i] <= '9')
             || id[i] == '_';
    return ok ? true : fail(err, n, "%s `%s`: an id is 1 to 64 letters, digits or underscores", what, id);
}

/* A token bucket (Firecracker's TokenBucket; size or refill_time 0: no limit), within lodge.h's ranges. */
static bool parse_bucket(const cJSON *b, const char *what, lodge_token_bucket_t *out, char *err, size_t n)
{
    static const Field f[] = {{"size", T_UINT, true}, {"refill_time", T_UINT, true},
                              {"one_time_burst", T_UINT, false}};
    if (!check_fields(b, what, f, NFIELDS(f), err, n))
        return false;
    const cJSON *burst = field(b, "one_time_burst");
    lodge_token_bucket_t t = {.size = (uint64_t)field(b, "size")->valuedouble,
                              .refill_time_ms = (uint64_t)field(b, "refill_time")->valuedouble,
                              .one_time_burst = burst ? (uint64_t)burst->valuedouble : 0};
    if (t.refill_time_ms > (1ull << 40))
        return fail(err, n, "%s: refill_time %llu ms is more than 2^40", what, (unsigned long long)t.refill_time_ms);
    *out = t;
    return true;
}

/* obj's rate limiter `name` over *rl: a bucket given replaces the one in *rl, one left out stays (PATCH
 * keeps it; a PUT starts from zero). */
static bool parse_rate_limiter(const cJSON *obj, const char *name, lodge_rate_limiter_t *rl, char *err, size_t n)
{
    static const Field f[] = {{"bandwidth", T_OBJ, false}, {"ops", T_OBJ, false}};
    const cJSON *j = field(obj, name);
    if (!j)
        return true;
    if (!check_fields(j, name, f, NFIELDS(f), err, n))
        return false;
    char what[64];
    const cJSON *bw = field(j, "bandwidth"), *ops = field(j, "ops");
    snprintf(what, sizeof what, "%s.bandwidth", name);
    if (bw && !parse_bucket(bw, what, &rl->bandwidth, err, n))
        return false;
    snprintf(what, sizeof what, "%s.ops", name);
    return !ops || parse_bucket(ops, what, &rl->ops, err, n);
}

static bool limits(const lodge_rate_limiter_t *rl)
{
    return (rl->bandwidth.size && rl->bandwidth.refill_time_ms) || rl->bandwidth.one_time_burst
           || (rl->ops.size && rl->ops.refill_time_ms) || rl->ops.one_time_burst;
}

/* One of the words in list (NULL-terminated); the index, or -1 with a message. */
static int one_of(const char *v, const char *what, const char *const *list, bool nocase, char *err, size_t n)
{
    char names[256] = "";
    for (int i = 0; list[i]; i++) {
        if ((nocase ? strcasecmp : strcmp)(v, list[i]) == 0)
            return i;
        snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", i ? ", " : "", list[i]);
    }
    fail(err, n, "%s `%s`: expected one of %s", what, v, names);
    return -1;
}

/* The file must open as the machine will open it: read-only, or read-write. */
static bool check_file(const char *path, const char *what, bool writable, char *err, size_t n)
{
    if (!*path)
        return fail(err, n, "%s: empty path", what);
    int fd = open(path, (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC);
    if (fd < 0)
        return fail(err, n, "%s %s: %s", what, path, strerror(errno));
    struct stat st;
    bool reg = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
    close(fd);
    return reg ? true : fail(err, n, "%s %s: not a regular file", what, path);
}

static bool replace_str(char **dst, const char *src)
{
    char *c = NULL;
    if (src && !(c = strdup(src)))
        return false;
    free(*dst);
    *dst = c;
    return true;
}

/* ---- resources ---------------------------------------------------------------------------------- */

void fcres_init(FcRes *r)
{
    memset(r, 0, sizeof *r);
    r->vcpus = FCRES_DEFAULT_VCPUS;
    r->mem_mib = FCRES_DEFAULT_MEM_MIB;
    r->log_level = FCLOG_INFO;
}

void fcres_free(FcRes *r)
{
    free(r->kernel);
    free(r->initrd);
    free(r->boot_args);
    for (unsigned i = 0; i < r->ndrives; i++) {
        free(r->drives[i].path);
        free(r->drives[i].partuuid);
    }
    free(r->log_path);
    free(r->metrics_path);
    fcres_init(r);
}

cJSON *fcres_parse(const char *body, size_t len, char *err, size_t errlen)
{
    if (!body || len == 0) {
        fail(err, errlen, "the request needs a JSON body");
        return NULL;
    }
    const char *end = NULL;
    cJSON *doc = cJSON_ParseWithLengthOpts(body, len, &end, false);
    if (!doc) {
        size_t at = end && end >= body ? (size_t)(end - body) : 0;
        fail(err, errlen, "malformed JSON body at byte %zu", at);
        return NULL;
    }
    for (const char *p = end; p && p < body + len; p++) {
        if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n') {
            cJSON_Delete(doc);
            fail(err, errlen, "malformed JSON body: unexpected data after the object at byte %zu", (size_t)(p - body));
            return NULL;
        }
    }
    if (!cJSON_IsObject(doc)) {
        cJSON_Delete(doc);
        fail(err, errlen, "the JSON body must be an object");
        return NULL;
    }
    return doc;
}

bool fcres_set_machine_config(FcRes *r, const cJSON *body, bool patch, char *err, size_t n)
{
    const Field f[] = {{"vcpu_count", T_UINT, !patch},    {"mem_size_mib", T_UINT, !patch},
                       {"smt", T_BOOL, false},             {"track_dirty_pages", T_BOOL, false},
                       {"huge_pages", T_STR, false},       {"cpu_template", T_STR, false}};
    if (!check_fields(body, "machine-config", f, NFIELDS(f), err, n))
        return false;
    if (patch && !body->child)
        return fail(err, n, "machine-config: empty PATCH request: give at least one field");
    const cJSON *v = field(body, "vcpu_count"), *m = field(body, "mem_size_mib");
    if (v && (v->valuedouble < 1 || v->valuedouble > LODGE_MACHINE_MAX_CPUS))
        return fail(err, n, "vcpu_count %.0f: Lodge's RISC-V machines have 1 to %d harts", v->valuedouble,
                    LODGE_MACHINE_MAX_CPUS);
    if (m && (m->valuedouble < 16 || m->valuedouble > 65536))
        return fail(err, n, "mem_size_mib %.0f: Lodge's machines have 16 to 65536 MiB of RAM", m->valuedouble);
    if (bool_field(body, "smt", false))
        return fail(err, n, "smt: simultaneous multithreading is not supported: RISC-V harts have no SMT "
                    "siblings (give false)");
    if (bool_field(body, "track_dirty_pages", false))
        return fail(err, n, "track_dirty_pages: Lodge has no diff snapshots to track dirty pages for (give false)");
    static const char *const huge[] = {"None", "Transparent", "2M", NULL};
    const char *h = str_field(body, "huge_pages");
    int hi = h ? one_of(h, "huge_pages", huge, false, err, n) : 0;
    if (hi < 0)
        return false;
    if (hi > 0)
        return fail(err, n, "huge_pages %s is not supported: guest RAM is backed by the host's normal pages "
                    "(give None)", h);
    static const char *const tmpl[] = {"None", "C3", "T2", "T2S", "T2CL", "T2A", "V1N1", NULL};
    const char *t = str_field(body, "cpu_template");
    int ti = t ? one_of(t, "cpu_template", tmpl, false, err, n) : 0;
    if (ti < 0)
        return false;
    if (ti > 0)
        return fail(err, n, "cpu_template %s is not supported: CPU templates describe x86 and Arm CPUs; Lodge's "
                    "harts are RV64GC (give None)", t);
    if (v)
        r->vcpus = (unsigned)v->valuedouble;
    if (m)
        r->mem_mib = (unsigned)m->valuedouble;
    return true;
}

bool fcres_set_boot_source(FcRes *r, const cJSON *body, char *err, size_t n)
{
    static const Field f[] = {{"kernel_image_path", T_STR, true}, {"boot_args", T_STR, false},
                              {"initrd_path", T_STR, false}};
    if (!check_fields(body, "boot-source", f, NFIELDS(f), err, n))
        return false;
    const char *kernel = str_field(body, "kernel_image_path"), *initrd = str_field(body, "initrd_path");
    const char *args = str_field(body, "boot_args");
    if (!check_file(kernel, "kernel_image_path", false, err, n))
        return false;
    if (initrd && !check_file(initrd, "initrd_path", false, err, n))
        return false;
    if (args && strlen(args) > 2048)
        return fail(err, n, "boot_args: at most 2048 bytes (%zu given)", strlen(args));
    char *k = strdup(kernel), *i = initrd ? strdup(initrd) : NULL, *a = args ? strdup(args) : NULL;
    if (!k || (initrd && !i) || (args && !a)) {
        free(k), free(i), free(a);
        return fail(err, n, "out of memory");
    }
    free(r->kernel), free(r->initrd), free(r->boot_args);
    r->kernel = k, r->initrd = i, r->boot_args = a;
    return true;
}

/* The id in the path and the one in the body must agree (Firecracker's message). */
static bool check_path_id(const cJSON *body, const char *key, const char *id, const char *what, char *err,
                          size_t n)
{
    if (!check_id(id, what, err, n))
        return false;
    const char *bid = str_field(body, key);
    if (strcmp(bid, id) != 0)
        return fail(err, n, "The id from the path [%s] does not match the id from the body [%s]!", id, bid);
    return true;
}

static int find_drive(const FcRes *r, const char *id)
{
    for (unsigned i = 0; i < r->ndrives; i++)
        if (strcmp(r->drives[i].id, id) == 0)
            return (int)i;
    return -1;
}

bool fcres_set_drive(FcRes *r, const char *id, const cJSON *body, char *err, size_t n)
{
    static const Field f[] = {{"drive_id", T_STR, true},     {"is_root_device", T_BOOL, true},
                              {"path_on_host", T_STR, false}, {"is_read_only", T_BOOL, false},
                              {"partuuid", T_STR, false},     {"cache_type", T_STR, false},
                              {"io_engine", T_STR, false},    {"rate_limiter", T_OBJ, false},
                              {"socket", T_STR, false}};
    if (!check_fields(body, "drive", f, NFIELDS(f), err, n) || !check_path_id(body, "drive_id", id, "drive", err, n))
        return false;
    if (field(body, "socket"))
        return fail(err, n, "socket: vhost-user block devices are not supported by Lodge (give path_on_host)");
    const char *path = str_field(body, "path_on_host"), *partuuid = str_field(body, "partuuid");
    if (!path)
        return fail(err, n, "drive: missing required field `path_on_host`");
    bool root = bool_field(body, "is_root_device", false), ro = bool_field(body, "is_read_only", false);
    static const char *const caches[] = {"Unsafe", "Writeback", NULL}, *const engines[] = {"Sync", "Async", NULL};
    const char *cache = str_field(body, "cache_type"), *engine = str_field(body, "io_engine");
    int ci = cache ? one_of(cache, "cache_type", caches, false, err, n) : 0;
    int ei = engine ? one_of(engine, "io_engine", engines, false, err, n) : 0;
    if (ci < 0 || ei < 0)
        return false;
    if (ei == 1)
        return fail(err, n, "io_engine Async is not supported: Lodge's block device does its I/O synchronously "
                    "(give Sync)");
    lodge_rate_limiter_t limit;
    memset(&limit, 0, sizeof limit);
    if (!parse_rate_limiter(body, "rate_limiter", &limit, err, n))
        return false;
    int at = find_drive(r, id);
    for (unsigned i = 0; root && i < r->ndrives; i++)
        if (r->drives[i].root && (int)i != at)
            return fail(err, n, "A root block device already exists!");
    if (at < 0 && r->ndrives == FCRES_MAX_DRIVES)
        return fail(err, n, "Lodge's machines have at most %d drives", FCRES_MAX_DRIVES);
    if (!check_file(path, "path_on_host", !ro, err, n))
        return false;
    FcDrive d = {.root = root, .read_only = ro, .writeback = ci == 1, .limit = limit};
    snprintf(d.id, sizeof d.id, "%s", id);
    if (!replace_str(&d.path, path) || !replace_str(&d.partuuid, partuuid)) {
        free(d.path);
        return fail(err, n, "out of memory");
    }
    if (at < 0) {
        at = (int)r->ndrives++;
    } else {
        free(r->drives[at].path);
        free(r->drives[at].partuuid);
    }
    r->drives[at] = d;
    return true;
}

static bool parse_mac(const char *s)
{
    if (strlen(s) != 17)
        return false;
    for (int i = 0; i < 17; i++) {
        char c = s[i];
        bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
        if (i % 3 == 2 ? c != ':' : !hex)
            return false;
    }
    return true;
}

bool fcres_set_net(FcRes *r, const char *id, const cJSON *body, char *err, size_t n)
{
    static const Field f[] = {{"iface_id", T_STR, true},  {"host_dev_name", T_STR, true},
                              {"guest_mac", T_STR, false}, {"mtu", T_UINT, false},
                              {"rx_rate_limiter", T_OBJ, false}, {"tx_rate_limiter", T_OBJ, false}};
    if (!check_fields(body, "network-interface", f, NFIELDS(f), err, n)
        || !check_path_id(body, "iface_id", id, "network interface", err, n))
        return false;
    const char *tap = str_field(body, "host_dev_name"), *mac = str_field(body, "guest_mac");
    size_t len = strlen(tap);
    if (len == 0 || len >= sizeof r->net.tap || strchr(tap, '/') || strcmp(tap, ".") == 0 || strcmp(tap, "..") == 0)
        return fail(err, n, "host_dev_name `%s`: expected a Linux interface name of 1 to 15 characters", tap);
    if (mac && !parse_mac(mac))
        return fail(err, n, "guest_mac `%s`: expected six hex bytes such as 06:00:AC:10:00:02", mac);
    if (mac && (strtoul(mac, NULL, 16) & 1))
        return fail(err, n, "guest_mac %s: a multicast address cannot be an interface's own", mac);
    if (field(body, "mtu"))
        return fail(err, n, "mtu: Lodge's virtio-net device does not advertise an MTU (leave mtu out)");
    lodge_rate_limiter_t rx, tx;
    memset(&rx, 0, sizeof rx);
    memset(&tx, 0, sizeof tx);
    if (!parse_rate_limiter(body, "rx_rate_limiter", &rx, err, n)
        || !parse_rate_limiter(body, "tx_rate_limiter", &tx, err, n))
        return false;
    if (r->has_net && strcmp(r->net.id, id) != 0)
        return fail(err, n, "Lodge's machines have one network interface (%s is configured)", r->net.id);
    char sys[64];
    snprintf(sys, sizeof sys, "/sys/class/net/%s", tap);
    if (access(sys, F_OK) != 0)
        return fail(err, n, "host_dev_name %s: no such network interface on this host (create the tap first: "
                    "ip tuntap add %s mode tap)", tap, tap);
    FcNet net;
    memset(&net, 0, sizeof net);
    snprintf(net.id, sizeof net.id, "%s", id);
    snprintf(net.tap, sizeof net.tap, "%s", tap);
    snprintf(net.mac, sizeof net.mac, "%s", mac ? mac : "");
    net.rx = rx;
    net.tx = tx;
    r->net = net;
    r->has_net = true;
    return true;
}

bool fcres_set_entropy(FcRes *r, const cJSON *body, char *err, size_t n)
{
    static const Field f[] = {{"rate_limiter", T_OBJ, false}};
    lodge_rate_limiter_t rl;
    memset(&rl, 0, sizeof rl);
    if (!check_fields(body, "entropy", f, NFIELDS(f), err, n) || !parse_rate_limiter(body, "rate_limiter", &rl, err, n))
        return false;
    if (limits(&rl))
        return fail(err, n, "rate_limiter: Lodge's entropy device has no rate limiter (leave it out or give "
                    "buckets of size 0)");
    r->entropy = true;
    return true;
}

bool fcres_set_logger(FcRes *r, const cJSON *body, char *err, size_t n)
{
    static const Field f[] = {{"log_path", T_STR, false}, {"level", T_STR, false}, {"show_level", T_BOOL, false},
                              {"show_log_origin", T_BOOL, false}, {"module", T_STR, false}};
    if (!check_fields(body, "logger", f, NFIELDS(f), err, n))
        return false;
    if (field(body, "module"))
        return fail(err, n, "module: filtering the log by module is not supported (leave module out)");
    static const char *const levels[] = {"Off", "Error", "Warning", "Info", "Debug", "Trace", NULL};
    const char *lv = str_field(body, "level"), *path = str_field(body, "log_path");
    int li = lv ? one_of(lv, "level", levels, true, err, n) : FCLOG_INFO;
    if (li < 0)
        return false;
    if (path && !*path)
        return fail(err, n, "log_path: empty path");
    if (!replace_str(&r->log_path, path))
        return fail(err, n, "out of memory");
    r->log_level = (FcLogLevel)li;
    r->log_show_level = bool_field(body, "show_level", false);
    r->log_show_origin = bool_field(body, "show_log_origin", false);
    return true;
}

bool fcres_set_metrics(FcRes *r, const cJSON *body, char *err, size_t n)
{
    static const Field f[] = {{"metrics_path", T_STR, true}};
    if (!check_fields(body, "metrics", f, NFIELDS(f), err, n))
        return false;
    const char *path = str_field(body, "metrics_path");
    if (!*path)
        return fail(err, n, "metrics_path: empty path");
    return replace_str(&r->metrics_path, path) ? true : fail(err, n, "out of memory");
}

/* The drive's place among the machine's disks: the root drive first, then the others in order. */
static int disk_index(const FcRes *r, int at)
{
    if (r->drives[at].root)
        return 0;
    int k = 0;
    for (unsigned i = 0; i < r->ndrives; i++)
        if (r->drives[i].root)
            k = 1;
    for (int i = 0; i < at; i++)
        k += !r->drives[i].root;
    return k;
}

bool fcres_drive_patch(const FcRes *r, const char *id, const cJSON *body, lodge_rate_limit_t *out, char device[16],
                       char *err, size_t n)
{
    static const Field f[] = {{"drive_id", T_STR, true}, {"path_on_host", T_STR, false},
                              {"rate_limiter", T_OBJ, false}};
    if (!check_fields(body, "drive", f, NFIELDS(f), err, n) || !check_path_id(body, "drive_id", id, "drive", err, n))
        return false;
    int at = find_drive(r, id);
    if (at < 0)
        return fail(err, n, "drive %s: no such drive", id);
    const char *path = str_field(body, "path_on_host");
    if (path && strcmp(path, r->drives[at].path) != 0)
        return fail(err, n, "path_on_host: Lodge cannot swap a running machine's disk file (drive %s is %s)", id,
                    r->drives[at].path);
    memset(out, 0, sizeof *out);
    out->rate_limiter = r->drives[at].limit;
    snprintf(device, 16, "disk%d", disk_index(r, at));
    return parse_rate_limiter(body, "rate_limiter", &out->rate_limiter, err, n);
}

bool fcres_net_patch(const FcRes *r, const char *id, const cJSON *body, lodge_rate_limit_t *out, char device[16],
                     char *err, size_t n)
{
    static const Field f[] = {{"iface_id", T_STR, true}, {"rx_rate_limiter", T_OBJ, false},
                              {"tx_rate_limiter", T_OBJ, false}};
    if (!check_fields(body, "network-interface", f, NFIELDS(f), err, n)
        || !check_path_id(body, "iface_id", id, "network interface", err, n))
        return false;
    if (!r->has_net || strcmp(r->net.id, id) != 0)
        return fail(err, n, "network interface %s: no such interface", id);
    memset(out, 0, sizeof *out);
    out->rx_rate_limiter = r->net.rx;
    out->tx_rate_limiter = r->net.tx;
    snprintf(device, 16, "net0");
    return parse_rate_limiter(body, "rx_rate_limiter", &out->rx_rate_limiter, err, n)
           && parse_rate_limiter(body, "tx_rate_limiter", &out->tx_rate_limiter, err, n);
}

void fcres_commit_limits(FcRes *r, const char *device, const lodge_rate_limit_t *rl)
{
    if (strcmp(device, "net0") == 0) {
        r->net.rx = rl->rx_rate_limiter;
        r->net.tx = rl->tx_rate_limiter;
        return;
    }
    for (unsigned i = 0; i < r->ndrives; i++) {
        char name[16];
        snprintf(name, sizeof name, "disk%d", disk_index(r, (int)i));
        if (strcmp(name, device) == 0)
            r->drives[i].limit = rl->rate_limiter;
    }
}

void fcres_each_limit(const FcRes *r, void (*fn)(void *opaque, const char *device, const lodge_rate_limit_t *rl),
                      void *opaque)
{
    for (unsigned i = 0; i < r->ndrives; i++) {
        if (!limits(&r->drives[i].limit))
            continue;
        char name[16];
        snprintf(name, sizeof name, "disk%d", disk_index(r, (int)i));
        lodge_rate_limit_t rl;
        memset(&rl, 0, sizeof rl);
        rl.rate_limiter = r->drives[i].limit;
        fn(opaque, name, &rl);
    }
    if (r->has_net && (limits(&r->net.rx) || limits(&r->net.tx))) {
        lodge_rate_limit_t rl;
        memset(&rl, 0, sizeof rl);
        rl.rx_rate_limiter = r->net.rx;
        rl.tx_rate_limiter = r->net.tx;
        fn(opaque, "net0", &rl);
    }
}

/* A config file's array of drives or interfaces, each applied with its own id. */
static bool load_list(FcRes *r, const cJSON *arr, const char *key, const char *idkey,
                      bool (*set)(FcRes *, const char *, const cJSON *, char *, size_t), char *err, size_t n)
{
    if (!arr)
        return true;
    const cJSON *it;
    cJSON_ArrayForEach(it, arr) {
        const cJSON *id = cJSON_IsObject(it) ? field(it, idkey) : NULL;
        if (!cJSON_IsString(id))
            return fail(err, n, "%s: each entry must be an object with a string `%s`", key, idkey);
        if (!set(r, id->valuestring, it, err, n))
            return false;
    }
    return true;
}

bool fcres_load(FcRes *r, const cJSON *doc, char *err, size_t n)
{
    static const Field f[] = {
        {"boot-source", T_OBJ, true}, {"drives", T_ARR, false},   {"machine-config", T_OBJ, false},
        {"network-interfaces", T_ARR, false}, {"entropy", T_OBJ, false}, {"logger", T_OBJ, false},
        {"metrics", T_OBJ, false},    {"balloon", T_OBJ, false},  {"cpu-config", T_OBJ, false},
        {"mmds-config", T_OBJ, false}, {"vsock", T_OBJ, false},   {"pmem", T_ARR, false},
        {"memory-hotplug", T_OBJ, false}, {"serial", T_OBJ, false}};
    if (!check_fields(doc, "config file", f, NFIELDS(f), err, n))
        return false;
    for (size_t i = 7; i < NFIELDS(f); i++)
        if (field(doc, f[i].name))
            return fail(err, n, "config file: `%s` is not supported by Lodge (leave it out or give null)", f[i].name);
    FcRes t;
    fcres_init(&t);
    const cJSON *mc = field(doc, "machine-config"), *en = field(doc, "entropy"), *lg = field(doc, "logger");
    const cJSON *mt = field(doc, "metrics");
    bool ok = fcres_set_boot_source(&t, field(doc, "boot-source"), err, n)
              && (!mc || fcres_set_machine_config(&t, mc, false, err, n))
              && load_list(&t, field(doc, "drives"), "drives", "drive_id", fcres_set_drive, err, n)
              && load_list(&t, field(doc, "network-interfaces"), "network-interfaces", "iface_id", fcres_set_net,
                           err, n)
              && (!en || fcres_set_entropy(&t, en, err, n)) && (!lg || fcres_set_logger(&t, lg, err, n))
              && (!mt || fcres_set_metrics(&t, mt, err, n));
    if (!ok) {
        fcres_free(&t);
        return false;
    }
    fcres_free(r);
    *r = t;
    return true;
}

/* ---- output ------------------------------------------------------------------------------------- */

cJSON *fcres_machine_config_json(const FcRes *r)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "vcpu_count", r->vcpus);
    cJSON_AddNumberToObject(o, "mem_size_mib", r->mem_mib);
    cJSON_AddBoolToObject(o, "smt", false);
    cJSON_AddBoolToObject(o, "track_dirty_pages", false);
    cJSON_AddStringToObject(o, "huge_pages", "None");
    return o;
}

static void add_limiter(cJSON *o, const char *k, const lodge_rate_limiter_t *rl)
{
    if (!limits(rl)) {
        cJSON_AddNullToObject(o, k);
        return;
    }
    cJSON *j = cJSON_AddObjectToObject(o, k);
    const lodge_token_bucket_t *b[2] = {&rl->bandwidth, &rl->ops};
    static const char *const names[2] = {"bandwidth", "ops"};
    for (int i = 0; i < 2; i++) {
        if (!b[i]->size && !b[i]->one_time_burst)
            continue;
        cJSON *t = cJSON_AddObjectToObject(j, names[i]);
        cJSON_AddNumberToObject(t, "size", (double)b[i]->size);
        cJSON_AddNumberToObject(t, "one_time_burst", (double)b[i]->one_time_burst);
        cJSON_AddNumberToObject(t, "refill_time", (double)b[i]->refill_time_ms);
    }
}

static void add_str_or_null(cJSON *o, const char *k, const char *v)
{
    if (v)
        cJSON_AddStringToObject(o, k, v);
    else
        cJSON_AddNullToObject(o, k);
}

cJSON *fcres_vm_config_json(const FcRes *r)
{
    static const char *const level_names[] = {"Off", "Error", "Warning", "Info", "Debug", "Trace"};
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNullToObject(o, "balloon");
    cJSON *drives = cJSON_AddArrayToObject(o, "drives");
    for (unsigned i = 0; i < r->ndrives; i++) {
        const FcDrive *d = &r->drives[i];
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "drive_id", d->id);
        add_str_or_null(j, "partuuid", d->partuuid);
        cJSON_AddBoolToObject(j, "is_root_device", d->root);
        cJSON_AddStringToObject(j, "cache_type", d->writeback ? "Writeback" : "Unsafe");
        cJSON_AddBoolToObject(j, "is_read_only", d->read_only);
        cJSON_AddStringToObject(j, "path_on_host", d->path);
        add_limiter(j, "rate_limiter", &d->limit);
        cJSON_AddStringToObject(j, "io_engine", "Sync");
        cJSON_AddNullToObject(j, "socket");
        cJSON_AddItemToArray(drives, j);
    }
    if (r->kernel) {
        cJSON *b = cJSON_AddObjectToObject(o, "boot-source");
        cJSON_AddStringToObject(b, "kernel_image_path", r->kernel);
        add_str_or_null(b, "initrd_path", r->initrd);
        add_str_or_null(b, "boot_args", r->boot_args);
    } else {
        cJSON_AddNullToObject(o, "boot-source");
    }
    cJSON_AddNullToObject(o, "cpu-config");
    if (r->log_path || r->log_level != FCLOG_INFO) {
        cJSON *l = cJSON_AddObjectToObject(o, "logger");
        add_str_or_null(l, "log_path", r->log_path);
        cJSON_AddStringToObject(l, "level", level_names[r->log_level]);
        cJSON_AddBoolToObject(l, "show_level", r->log_show_level);
        cJSON_AddBoolToObject(l, "show_log_origin", r->log_show_origin);
    } else {
        cJSON_AddNullToObject(o, "logger");
    }
    cJSON_AddItemToObject(o, "machine-config", fcres_machine_config_json(r));
    if (r->metrics_path)
        cJSON_AddStringToObject(cJSON_AddObjectToObject(o, "metrics"), "metrics_path", r->metrics_path);
    else
        cJSON_AddNullToObject(o, "metrics");
    cJSON_AddNullToObject(o, "mmds-config");
    cJSON *nets = cJSON_AddArrayToObject(o, "network-interfaces");
    if (r->has_net) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "iface_id", r->net.id);
        cJSON_AddStringToObject(j, "host_dev_name", r->net.tap);
        add_str_or_null(j, "guest_mac", r->net.mac[0] ? r->net.mac : NULL);
        add_limiter(j, "rx_rate_limiter", &r->net.rx);
        add_limiter(j, "tx_rate_limiter", &r->net.tx);
        cJSON_AddItemToArray(nets, j);
    }
    cJSON_AddNullToObject(o, "vsock");
    if (r->entropy)
        cJSON_AddNullToObject(cJSON_AddObjectToObject(o, "entropy"), "rate_limiter");
    else
        cJSON_AddNullToObject(o, "entropy");
    return o;
}

bool fcres_machine_config(const FcRes *r, lodge_machine_config_t *cfg, char *cmdline, size_t cmdlen, char *err,
                          size_t n)
{
    if (!r->kernel)
        return fail(err, n, "Cannot start microvm without kernel configuration.");
    memset(cfg, 0, sizeof *cfg);
    cfg->mem_bytes = (uint64_t)r->mem_mib << 20;
    cfg->cpus = r->vcpus;
    cfg->kernel = r->kernel;
    cfg->initrd = r->initrd;
    /* Firecracker puts the root drive first (so it is /dev/vda) and appends root= and rw/ro for it. */
    int root = -1;
    for (unsigned i = 0; i < r->ndrives; i++)
        if (r->drives[i].root)
            root = (int)i;
    int len = snprintf(cmdline, cmdlen, "%s", r->boot_args ? r->boot_args : FCRES_DEFAULT_BOOT_ARGS);
    if (root >= 0) {
        const FcDrive *d = &r->drives[root];
        cfg->disks[cfg->ndisks++] = (lodge_machine_disk_t){.path = d->path, .read_only = d->read_only};
        if (d->partuuid)
            len += snprintf(cmdline + len, len < (int)cmdlen ? cmdlen - (size_t)len : 0, " root=PARTUUID=%s",
                            d->partuuid);
        else
            len += snprintf(cmdline + len, len < (int)cmdlen ? cmdlen - (size_t)len : 0, " root=/dev/vda");
        len += snprintf(cmdline + len, len < (int)cmdlen ? cmdlen - (size_t)len : 0, d->read_only ? " ro" : " rw");
    }
    if (len < 0 || (size_t)len >= cmdlen)
        return fail(err, n, "the kernel command line is too long");
    for (unsigned i = 0; i < r->ndrives; i++)
        if ((int)i != root)
            cfg->disks[cfg->ndisks++] = (lodge_machine_disk_t){.path = r->drives[i].path,
                                                               .read_only = r->drives[i].read_only};
    cfg->tap = r->has_net ? r->net.tap : NULL;
    for (int i = 0; r->has_net && r->net.mac[0] && i < 6; i++)
        cfg->mac[i] = (uint8_t)strtoul(r->net.mac + 3 * i, NULL, 16);   /* checked by fcres_set_net */
    cfg->no_rng = !r->entropy;        /* Firecracker's guests have an entropy device only when asked */
    cfg->console = LODGE_CONSOLE_STREAM;
    cfg->cmdline = cmdline;
    return true;
}
