/* unit.c: mgr/fcres.c on its own: every Firecracker request shape it accepts, and for each kind of mistake
 * the message and that nothing changed. Prints "N passed, N failed" and exits non-zero on a failure. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mgr/fcres.h"

static int passed, failed;
static char dir[] = "/tmp/fcres-unit-XXXXXX";
static char kernel[128], disk[128], disk2[128], rodisk[128];

#define CHECK(cond, ...)                                                                                       \
    do {                                                                                                       \
        if (cond) {                                                                                            \
            passed++;                                                                                          \
        } else {                                                                                               \
            failed++;                                                                                          \
            printf("FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);                                             \
            printf(__VA_ARGS__);                                                                               \
            printf("\n");                                                                                      \
        }                                                                                                      \
    } while (0)

static void touch(const char *path)
{
    FILE *f = fopen(path, "w");
    fputs("x", f);
    fclose(f);
}

/* Apply one request to r; returns the message ("" on success). */
typedef bool (*Set)(FcRes *, const cJSON *, char *, size_t);
static const char *apply(FcRes *r, Set set, const char *json)
{
    static char err[512];
    err[0] = '\0';
    cJSON *doc = fcres_parse(json, strlen(json), err, sizeof err);
    if (doc && set(r, doc, err, sizeof err))
        err[0] = '\0';
    cJSON_Delete(doc);
    return err;
}

static const char *drive(FcRes *r, const char *id, const char *json)
{
    static char err[512];
    err[0] = '\0';
    cJSON *doc = fcres_parse(json, strlen(json), err, sizeof err);
    if (doc && fcres_set_drive(r, id, doc, err, sizeof err))
        err[0] = '\0';
    cJSON_Delete(doc);
    return err;
}

static bool mc_put(FcRes *r, const cJSON *b, char *e, size_t n) { return fcres_set_machine_config(r, b, false, e, n); }
static bool mc_patch(FcRes *r, const cJSON *b, char *e, size_t n) { return fcres_set_machine_config(r, b, true, e, n); }

static char *mc_json(const FcRes *r)
{
    cJSON *j = fcres_machine_config_json(r);
    char *s = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    return s;
}

static void test_parse(void)
{
    char err[256];
    CHECK(!fcres_parse("{\"a\":", 5, err, sizeof err) && strstr(err, "malformed JSON"), "%s", err);
    CHECK(!fcres_parse("{} x", 4, err, sizeof err) && strstr(err, "after the object"), "%s", err);
    CHECK(!fcres_parse("[1]", 3, err, sizeof err) && strstr(err, "must be an object"), "%s", err);
    CHECK(!fcres_parse("", 0, err, sizeof err) && strstr(err, "needs a JSON body"), "%s", err);
    cJSON *d = fcres_parse("{}\n", 3, err, sizeof err);
    CHECK(d != NULL, "%s", err);
    cJSON_Delete(d);
}

static void test_machine_config(void)
{
    FcRes r;
    fcres_init(&r);
    char *before = mc_json(&r);
    CHECK(strcmp(before, "{\"vcpu_count\":1,\"mem_size_mib\":128,\"smt\":false,\"track_dirty_pages\":false,"
                         "\"huge_pages\":\"None\"}") == 0, "%s", before);
    const char *e = apply(&r, mc_put, "{\"vcpu_count\": 2, \"mem_size_mib\": 1024}");
    CHECK(!*e && r.vcpus == 2 && r.mem_mib == 1024, "%s", e);
    free(before);
    before = mc_json(&r);
    struct { const char *body, *expect; } bad[] = {
        {"{\"vcpu_count\": 2}", "missing required field `mem_size_mib`"},
        {"{\"vcpu_count\": 2, \"mem_size_mib\": 512, \"foo\": 1}", "unknown field `foo`"},
        {"{\"vcpu_count\": \"2\", \"mem_size_mib\": 512}", "`vcpu_count` must be a non-negative integer"},
        {"{\"vcpu_count\": 1.5, \"mem_size_mib\": 512}", "`vcpu_count` must be a non-negative integer"},
        {"{\"vcpu_count\": -1, \"mem_size_mib\": 512}", "`vcpu_count` must be a non-negative integer"},
        {"{\"vcpu_count\": 9, \"mem_size_mib\": 512}", "1 to 8 harts"},
        {"{\"vcpu_count\": 0, \"mem_size_mib\": 512}", "1 to 8 harts"},
        {"{\"vcpu_count\": 1, \"mem_size_mib\": 8}", "16 to 65536 MiB"},
        {"{\"vcpu_count\": 1, \"mem_size_mib\": 512, \"smt\": true}", "simultaneous multithreading"},
        {"{\"vcpu_count\": 1, \"mem_size_mib\": 512, \"smt\": 1}", "`smt` must be a boolean"},
        {"{\"vcpu_count\": 1, \"mem_size_mib\": 512, \"track_dirty_pages\": true}", "snapshots"},
        {"{\"vcpu_count\": 1, \"mem_size_mib\": 512, \"huge_pages\": \"2M\"}", "huge_pages 2M is not supported"},
        {"{\"vcpu_count\": 1, \"mem_size_mib\": 512, \"huge_pages\": \"4M\"}", "expected one of None, Transparent, 2M"},
        {"{\"vcpu_count\": 1, \"mem_size_mib\": 512, \"cpu_template\": \"T2\"}", "cpu_template T2 is not supported"},
        {"{\"vcpu_count\": 1, \"vcpu_count\": 2, \"mem_size_mib\": 512}", "duplicate field `vcpu_count`"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        e = apply(&r, mc_put, bad[i].body);
        char *after = mc_json(&r);
        CHECK(strstr(e, bad[i].expect) && strcmp(before, after) == 0, "%s -> '%s', %s", bad[i].body, e, after);
        free(after);
    }
    e = apply(&r, mc_patch, "{}");
    CHECK(strstr(e, "empty PATCH"), "%s", e);
    e = apply(&r, mc_patch, "{\"mem_size_mib\": 256}");
    CHECK(!*e && r.vcpus == 2 && r.mem_mib == 256, "%s", e);
    e = apply(&r, mc_put, "{\"vcpu_count\": 1, \"mem_size_mib\": 64, \"smt\": false, \"track_dirty_pages\": false, "
                          "\"huge_pages\": \"None\", \"cpu_template\": \"None\"}");
    CHECK(!*e && r.vcpus == 1 && r.mem_mib == 64, "%s", e);
    e = apply(&r, mc_put, "{\"vcpu_count\": 1, \"mem_size_mib\": 64, \"smt\": null}");
    CHECK(!*e, "null counts as absent: %s", e);
    free(before);
    fcres_free(&r);
}

static void test_boot_source(void)
{
    FcRes r;
    fcres_init(&r);
    char body[512];
    snprintf(body, sizeof body, "{\"kernel_image_path\": \"%s/no-such-kernel\"}", dir);
    const char *e = apply(&r, fcres_set_boot_source, body);
    CHECK(strstr(e, "no-such-kernel: No such file or directory") && !r.kernel, "%s", e);
    e = apply(&r, fcres_set_boot_source, "{\"boot_args\": \"console=ttyS0\"}");
    CHECK(strstr(e, "missing required field `kernel_image_path`"), "%s", e);
    snprintf(body, sizeof body, "{\"kernel_image_path\": \"%s\", \"initrd_path\": \"%s/nope\"}", kernel, dir);
    e = apply(&r, fcres_set_boot_source, body);
    CHECK(strstr(e, "initrd_path") && !r.kernel, "%s", e);
    snprintf(body, sizeof body, "{\"kernel_image_path\": \"%s\"}", dir);
    e = apply(&r, fcres_set_boot_source, body);
    CHECK(strstr(e, "not a regular file") || strstr(e, "Is a directory"), "%s", e);
    snprintf(body, sizeof body, "{\"kernel_image_path\": \"%s\", \"boot_args\": \"console=ttyS0 quiet\"}", kernel);
    e = apply(&r, fcres_set_boot_source, body);
    CHECK(!*e && r.kernel && !strcmp(r.boot_args, "console=ttyS0 quiet"), "%s", e);
    fcres_free(&r);
}

static void test_drives(void)
{
    FcRes r;
    fcres_init(&r);
    char body[512], err[256];
    lodge_machine_config_t cfg;
    char cmdline[512];
    CHECK(!fcres_machine_config(&r, &cfg, cmdline, sizeof cmdline, err, sizeof err)
          && strstr(err, "without kernel configuration"), "%s", err);
    snprintf(body, sizeof body, "{\"kernel_image_path\": \"%s\", \"boot_args\": \"console=ttyS0\"}", kernel);
    apply(&r, fcres_set_boot_source, body);

    snprintf(body, sizeof body, "{\"drive_id\": \"data\", \"path_on_host\": \"%s\", \"is_root_device\": false}", disk2);
    CHECK(!*drive(&r, "data", body) && r.ndrives == 1, "data");
    snprintf(body, sizeof body, "{\"drive_id\": \"rootfs\", \"path_on_host\": \"%s\", \"is_root_device\": true, "
             "\"is_read_only\": false}", disk);
    const char *e = drive(&r, "root", body);
    CHECK(strstr(e, "does not match the id from the body"), "%s", e);
    e = drive(&r, "root-fs", body);
    CHECK(strstr(e, "letters, digits or underscores"), "%s", e);
    CHECK(!*drive(&r, "rootfs", body) && r.ndrives == 2, "rootfs");
    snprintf(body, sizeof body, "{\"drive_id\": \"other\", \"path_on_host\": \"%s\", \"is_root_device\": true}", disk2);
    e = drive(&r, "other", body);
    CHECK(strstr(e, "A root block device already exists!") && r.ndrives == 2, "%s", e);
    snprintf(body, sizeof body, "{\"drive_id\": \"x\", \"path_on_host\": \"%s/none\", \"is_root_device\": false}", dir);
    e = drive(&r, "x", body);
    CHECK(strstr(e, "path_on_host") && strstr(e, "No such file") && r.ndrives == 2, "%s", e);
    e = drive(&r, "x", "{\"drive_id\": \"x\", \"is_root_device\": false}");
    CHECK(strstr(e, "missing required field `path_on_host`"), "%s", e);
    e = drive(&r, "x", "{\"drive_id\": \"x\", \"path_on_host\": \"/a\"}");
    CHECK(strstr(e, "missing required field `is_root_device`"), "%s", e);
    e = drive(&r, "x", "{\"drive_id\": \"x\", \"is_root_device\": false, \"socket\": \"/s\"}");
    CHECK(strstr(e, "vhost-user"), "%s", e);
    snprintf(body, sizeof body, "{\"drive_id\": \"x\", \"path_on_host\": \"%s\", \"is_root_device\": false, "
             "\"io_engine\": \"Async\"}", disk2);
    CHECK(strstr(drive(&r, "x", body), "io_engine Async is not supported"), "async");
    snprintf(body, sizeof body, "{\"drive_id\": \"x\", \"path_on_host\": \"%s\", \"is_root_device\": false, "
             "\"cache_type\": \"Fast\"}", disk2);
    CHECK(strstr(drive(&r, "x", body), "expected one of Unsafe, Writeback"), "cache");
    snprintf(body, sizeof body, "{\"drive_id\": \"x\", \"path_on_host\": \"%s\", \"is_root_device\": false, "
             "\"rate_limiter\": {\"bandwidth\": {\"size\": 1000, \"refill_time\": 2000000000000}}}", disk2);
    CHECK(strstr(drive(&r, "x", body), "more than 2^40"), "rl");
    snprintf(body, sizeof body, "{\"drive_id\": \"x\", \"path_on_host\": \"%s\", \"is_root_device\": false, "
             "\"rate_limiter\": {\"bandwidth\": {\"size\": 1000}}}", disk2);
    CHECK(strstr(drive(&r, "x", body), "missing required field `refill_time`"), "rl2");
    CHECK(r.ndrives == 2, "no change");
    /* A read-only drive only needs read permission; the update keeps its place. */
    snprintf(body, sizeof body, "{\"drive_id\": \"data\", \"path_on_host\": \"%s\", \"is_root_device\": false, "
             "\"is_read_only\": true, \"cache_type\": \"Writeback\", \"io_engine\": \"Sync\", "
             "\"rate_limiter\": {\"bandwidth\": {\"size\": 0, \"refill_time\": 0}}}", rodisk);
    e = drive(&r, "data", body);
    CHECK(!*e && r.ndrives == 2 && r.drives[0].read_only && r.drives[0].writeback, "%s", e);

    CHECK(fcres_machine_config(&r, &cfg, cmdline, sizeof cmdline, err, sizeof err), "%s", err);
    CHECK(!strcmp(cmdline, "console=ttyS0 root=/dev/vda rw"), "%s", cmdline);
    CHECK(cfg.ndisks == 2 && !strcmp(cfg.disks[0].path, disk) && !strcmp(cfg.disks[1].path, rodisk)
          && cfg.disks[1].read_only && !cfg.disks[0].read_only, "root drive first");
    CHECK(cfg.mem_bytes == 128ull << 20 && cfg.cpus == 1 && cfg.no_rng && !cfg.tap, "defaults");

    snprintf(body, sizeof body, "{\"drive_id\": \"rootfs\", \"path_on_host\": \"%s\", \"is_root_device\": true, "
             "\"is_read_only\": true, \"partuuid\": \"0eaa91a0-01\"}", disk);
    CHECK(!*drive(&r, "rootfs", body), "partuuid");
    fcres_machine_config(&r, &cfg, cmdline, sizeof cmdline, err, sizeof err);
    CHECK(!strcmp(cmdline, "console=ttyS0 root=PARTUUID=0eaa91a0-01 ro"), "%s", cmdline);
    for (int i = 0; i < 2; i++) {
        char id[16];
        snprintf(id, sizeof id, "d%d", i);
        snprintf(body, sizeof body, "{\"drive_id\": \"%s\", \"path_on_host\": \"%s\", \"is_root_device\": false}",
                 id, disk2);
        CHECK(!*drive(&r, id, body), "drive %d", i);
    }
    snprintf(body, sizeof body, "{\"drive_id\": \"d9\", \"path_on_host\": \"%s\", \"is_root_device\": false}", disk2);
    CHECK(strstr(drive(&r, "d9", body), "at most 4 drives") && r.ndrives == 4, "max");

    lodge_rate_limit_t rl;
    char dev[16];
    cJSON *p = cJSON_Parse("{\"drive_id\": \"rootfs\", \"path_on_host\": \"/other\"}");
    CHECK(!fcres_drive_patch(&r, "rootfs", p, &rl, dev, err, sizeof err) && strstr(err, "cannot swap"), "%s", err);
    cJSON_Delete(p);
    p = cJSON_Parse("{\"drive_id\": \"nope\"}");
    CHECK(!fcres_drive_patch(&r, "nope", p, &rl, dev, err, sizeof err) && strstr(err, "no such drive"), "%s", err);
    cJSON_Delete(p);
    /* data (drive 0, not root) is the machine's second disk: disk1; a bucket left out keeps its value. */
    p = cJSON_Parse("{\"drive_id\": \"data\", \"rate_limiter\": {\"ops\": {\"size\": 100, \"refill_time\": 1000}}}");
    CHECK(fcres_drive_patch(&r, "data", p, &rl, dev, err, sizeof err) && !strcmp(dev, "disk1")
          && rl.rate_limiter.ops.size == 100 && rl.rate_limiter.ops.refill_time_ms == 1000, "%s %s", err, dev);
    cJSON_Delete(p);
    fcres_commit_limits(&r, dev, &rl);
    p = cJSON_Parse("{\"drive_id\": \"data\", \"rate_limiter\": {\"bandwidth\": {\"size\": 4096, \"refill_time\": 10}}}");
    CHECK(fcres_drive_patch(&r, "data", p, &rl, dev, err, sizeof err) && rl.rate_limiter.ops.size == 100
          && rl.rate_limiter.bandwidth.size == 4096, "%s", err);
    cJSON_Delete(p);
    p = cJSON_Parse("{\"drive_id\": \"rootfs\"}");
    CHECK(fcres_drive_patch(&r, "rootfs", p, &rl, dev, err, sizeof err) && !strcmp(dev, "disk0"), "%s", err);
    cJSON_Delete(p);
    fcres_free(&r);
}

static void test_net_and_others(void)
{
    FcRes r;
    fcres_init(&r);
    char err[256];
    cJSON *b = cJSON_Parse("{\"iface_id\": \"net1\", \"host_dev_name\": \"lo\", \"guest_mac\": \"06:00:AC:10:00:02\"}");
    CHECK(fcres_set_net(&r, "net1", b, err, sizeof err) && r.has_net, "%s", err);
    cJSON_Delete(b);
    b = cJSON_Parse("{\"iface_id\": \"net1\", \"host_dev_name\": \"lo\", \"guest_mac\": \"01:00:5e:00:00:01\"}");
    CHECK(!fcres_set_net(&r, "net1", b, err, sizeof err) && strstr(err, "multicast"), "%s", err);
    cJSON_Delete(b);
    b = cJSON_Parse("{\"iface_id\": \"net1\", \"host_dev_name\": \"lo\", \"guest_mac\": \"06:00:AC:10:00:02\"}");
    CHECK(fcres_set_net(&r, "net1", b, err, sizeof err) && r.has_net && !strcmp(r.net.tap, "lo"), "%s", err);
    cJSON_Delete(b);
    b = cJSON_Parse("{\"iface_id\": \"net2\", \"host_dev_name\": \"lo\"}");
    CHECK(!fcres_set_net(&r, "net2", b, err, sizeof err) && strstr(err, "one network interface"), "%s", err);
    cJSON_Delete(b);
    b = cJSON_Parse("{\"iface_id\": \"net1\", \"host_dev_name\": \"lodge-no-such-tap\"}");
    CHECK(!fcres_set_net(&r, "net1", b, err, sizeof err) && strstr(err, "1 to 15"), "%s", err);
    cJSON_Delete(b);
    b = cJSON_Parse("{\"iface_id\": \"net1\", \"host_dev_name\": \"nosuchtap0\"}");
    CHECK(!fcres_set_net(&r, "net1", b, err, sizeof err) && strstr(err, "no such network interface"), "%s", err);
    cJSON_Delete(b);
    b = cJSON_Parse("{\"iface_id\": \"net1\", \"host_dev_name\": \"lo\", \"guest_mac\": \"06:00:AC:10:00\"}");
    CHECK(!fcres_set_net(&r, "net1", b, err, sizeof err) && strstr(err, "six hex bytes"), "%s", err);
    cJSON_Delete(b);
    b = cJSON_Parse("{\"iface_id\": \"net1\", \"host_dev_name\": \"lo\", \"mtu\": 1500}");
    CHECK(!fcres_set_net(&r, "net1", b, err, sizeof err) && strstr(err, "MTU"), "%s", err);
    cJSON_Delete(b);
    CHECK(!strcmp(r.net.mac, "06:00:AC:10:00:02"), "unchanged: %s", r.net.mac);
    char body[256], cmdline[256];
    snprintf(body, sizeof body, "{\"kernel_image_path\": \"%s\"}", kernel);
    lodge_machine_config_t cfg;
    CHECK(!*apply(&r, fcres_set_boot_source, body) && fcres_machine_config(&r, &cfg, cmdline, sizeof cmdline, err,
          sizeof err), "%s", err);
    static const uint8_t want[6] = {0x06, 0x00, 0xAC, 0x10, 0x00, 0x02};
    CHECK(!memcmp(cfg.mac, want, 6) && !strcmp(cfg.tap, "lo"), "mac %02x:%02x..", cfg.mac[0], cfg.mac[1]);

    const char *e = apply(&r, fcres_set_entropy, "{\"rate_limiter\": {\"ops\": {\"size\": 10, \"refill_time\": 1}}}");
    CHECK(strstr(e, "entropy device has no rate limiter") && !r.entropy, "%s", e);
    CHECK(!*apply(&r, fcres_set_entropy, "{}") && r.entropy, "entropy");
    e = apply(&r, fcres_set_logger, "{\"log_path\": \"/x\", \"level\": \"Verbose\"}");
    CHECK(strstr(e, "expected one of Off, Error, Warning, Info, Debug, Trace") && !r.log_path, "%s", e);
    e = apply(&r, fcres_set_logger, "{\"log_path\": \"/x\", \"level\": \"debug\", \"show_level\": true}");
    CHECK(!*e && r.log_level == FCLOG_DEBUG && r.log_show_level, "%s", e);
    e = apply(&r, fcres_set_metrics, "{}");
    CHECK(strstr(e, "missing required field `metrics_path`"), "%s", e);
    fcres_free(&r);
}

static void test_load(void)
{
    FcRes r;
    fcres_init(&r);
    char doc[1024], err[256];
    snprintf(doc, sizeof doc,
             "{\"boot-source\": {\"kernel_image_path\": \"%s\", \"boot_args\": \"console=ttyS0\"},"
             " \"drives\": [{\"drive_id\": \"rootfs\", \"path_on_host\": \"%s\", \"is_root_device\": true,"
             " \"is_read_only\": false}], \"machine-config\": {\"vcpu_count\": 2, \"mem_size_mib\": 256},"
             " \"balloon\": null}", kernel, disk);
    cJSON *d = cJSON_Parse(doc);
    CHECK(fcres_load(&r, d, err, sizeof err) && r.vcpus == 2 && r.ndrives == 1 && r.kernel, "%s", err);
    cJSON_Delete(d);
    snprintf(doc, sizeof doc, "{\"boot-source\": {\"kernel_image_path\": \"%s\"}, \"vsock\": {\"guest_cid\": 3}}",
             kernel);
    d = cJSON_Parse(doc);
    CHECK(!fcres_load(&r, d, err, sizeof err) && strstr(err, "`vsock` is not supported") && r.vcpus == 2, "%s", err);
    cJSON_Delete(d);
    d = cJSON_Parse("{\"machine-config\": {\"vcpu_count\": 1, \"mem_size_mib\": 128}}");
    CHECK(!fcres_load(&r, d, err, sizeof err) && strstr(err, "missing required field `boot-source`"), "%s", err);
    cJSON_Delete(d);
    snprintf(doc, sizeof doc, "{\"boot-source\": {\"kernel_image_path\": \"%s\"}, \"drives\": [{\"x\": 1}]}", kernel);
    d = cJSON_Parse(doc);
    CHECK(!fcres_load(&r, d, err, sizeof err) && strstr(err, "string `drive_id`") && r.ndrives == 1, "%s", err);
    cJSON_Delete(d);
    cJSON *vm = fcres_vm_config_json(&r);
    char *s = cJSON_PrintUnformatted(vm);
    CHECK(strstr(s, "\"drives\":[{\"drive_id\":\"rootfs\"") && strstr(s, "\"machine-config\":{\"vcpu_count\":2")
          && strstr(s, "\"boot-source\":{\"kernel_image_path\""), "%s", s);
    free(s);
    cJSON_Delete(vm);
    fcres_free(&r);
}

int main(void)
{
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(kernel, sizeof kernel, "%s/Image", dir);
    snprintf(disk, sizeof disk, "%s/root.ext4", dir);
    snprintf(disk2, sizeof disk2, "%s/data.img", dir);
    snprintf(rodisk, sizeof rodisk, "%s/ro.img", dir);
    touch(kernel), touch(disk), touch(disk2), touch(rodisk);
    test_parse();
    test_machine_config();
    test_boot_source();
    test_drives();
    test_net_and_others();
    test_load();
    unlink(kernel), unlink(disk), unlink(disk2), unlink(rodisk);
    rmdir(dir);
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
