/* t_wasi.c: the WASI embedding API (lodge_wasi_* in lodge.h) used as the hypervisor's workers will:
 * commands with their stdio on pipes, exit codes, traps, a reactor, read-only preopens, closed stdio,
 * link errors, memory limits that refuse cleanly, and many contexts in one process.
 * Usage: t_wasi DIR (where g_*.wasm and the .wat-built modules are). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

static const char *dir;
static lodge_engine_t *engine;
static lodge_module_t *tool;

/* Everything written to a pipe's read end so far (the writer has closed it). */
static void drain(int fd, char *buf, size_t cap)
{
    size_t n = 0;
    ssize_t r;
    while (n + 1 < cap && (r = read(fd, buf + n, cap - 1 - n)) > 0)
        n += (size_t)r;
    buf[n] = '\0';
}

typedef struct Run {
    bool ok;
    int exit_code;
    lodge_error_t err;
    char out[4096], errout[4096];
} Run;

/* Run `tool` with argv in a fresh store; stdout and stderr go to pipes read back into r. */
static void run_tool(int argc, const char *const *argv, const lodge_wasi_dir_t *dirs, int ndirs, Run *r)
{
    memset(r, 0, sizeof *r);
    int po[2], pe[2];
    if (pipe(po) || pipe(pe)) {
        CHECK(false, "pipes");
        return;
    }
    lodge_store_t *store = lodge_store_new(engine, NULL);
    const char *env[] = {"GREETING=hi there"};
    lodge_wasi_config_t cfg = {.argc = argc, .argv = argv, .envc = 1, .env = env, .ndirs = ndirs,
                               .dirs = dirs, .stdin_fd = -1, .stdout_fd = po[1], .stderr_fd = pe[1]};
    lodge_wasi_t *w = lodge_wasi_new(store, &cfg, &r->err);
    lodge_instance_t *inst = w ? lodge_wasi_instantiate(w, tool, &r->err) : NULL;
    if (inst)
        r->ok = lodge_wasi_run(w, inst, &r->exit_code, &r->err);
    else
        CHECK(false, "%s: context and instance: %s", argv[1], r->err.message);
    close(po[1]);
    close(pe[1]);
    lodge_store_delete(store);
    drain(po[0], r->out, sizeof r->out);
    drain(pe[0], r->errout, sizeof r->errout);
    close(po[0]);
    close(pe[0]);
}

static void test_command(void)
{
    Run r;
    const char *argv[] = {"g_tool", "hello", "7"};
    run_tool(3, argv, NULL, 0, &r);
    CHECK(r.ok && r.exit_code == 7, "a command's exit(7) is exit_code 7 (ok %d, code %d: %s)", r.ok, r.exit_code,
          r.err.message);
    CHECK(strcmp(r.out, "argc 3: hello 7; GREETING=hi there\nstdin: Bad file descriptor\n") == 0,
          "stdout on a pipe has argv, the environment, and EBADF for a closed stdin: [%s]", r.out);
    CHECK(strcmp(r.errout, "a line on stderr\n") == 0, "stderr on its own pipe: [%s]", r.errout);
    const char *argv0[] = {"g_tool", "hello", "0"};
    run_tool(3, argv0, NULL, 0, &r);
    CHECK(r.ok && r.exit_code == 0, "a command whose _start returns ends with exit_code 0 (ok %d, code %d)", r.ok,
          r.exit_code);
    CHECK(r.err.status == LODGE_OK, "and err is left clean (status %d)", r.err.status);
    const char *argvx[] = {"g_tool", "exit", "300"};
    run_tool(3, argvx, NULL, 0, &r);
    CHECK(r.ok && r.exit_code == 300, "proc_exit(300) from nested calls is exit_code 300 (ok %d, code %d)", r.ok,
          r.exit_code);
    const char *argvt[] = {"g_tool", "trap"};
    run_tool(2, argvt, NULL, 0, &r);
    CHECK(!r.ok && r.err.status == LODGE_ERR_TRAP && r.err.trap == LODGE_TRAP_UNREACHABLE,
          "a trap is false with TRAP/unreachable (status %d, trap %d)", r.err.status, r.err.trap);
    CHECK(r.err.backtrace[0] != '\0', "with a backtrace: [%.60s]", r.err.backtrace);
}

/* stdio fds of -1 are closed for the guest: EBADF, and the numbers stay (the next fd is not 0). */
static void test_closed_stdio(void)
{
    int pe[2];
    REQUIRE(pipe(pe) == 0, "pipe");
    lodge_store_t *store = lodge_store_new(engine, NULL);
    const char *argv[] = {"g_tool", "probe"};
    lodge_wasi_config_t cfg = {.argc = 2, .argv = argv, .stdin_fd = -1, .stdout_fd = -1, .stderr_fd = pe[1]};
    lodge_error_t err;
    memset(&err, 0, sizeof err);
    lodge_wasi_t *w = lodge_wasi_new(store, &cfg, &err);
    lodge_instance_t *inst = w ? lodge_wasi_instantiate(w, tool, &err) : NULL;
    int code = -1;
    bool ok = inst && lodge_wasi_run(w, inst, &code, &err);
    close(pe[1]);
    char buf[256];
    drain(pe[0], buf, sizeof buf);
    close(pe[0]);
    CHECK(ok && code == 0, "probe ran (code %d: %s)", code, err.message);
    CHECK(strcmp(buf, "fd0 Bad file descriptor, fd1 Bad file descriptor, fd2 ok\n") == 0,
          "stdin and stdout of -1 answer EBADF, stderr works: [%s]", buf);
    lodge_store_delete(store);
}

static bool file_is(const char *path, const char *want)
{
    char buf[128] = {0};
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return false;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    return n >= 0 && strcmp(buf, want) == 0;
}

static void test_preopens(const char *tmp)
{
    char data[512], created[512];
    snprintf(data, sizeof data, "%s/data.txt", tmp);
    snprintf(created, sizeof created, "%s/new.txt", tmp);
    int fd = open(data, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    REQUIRE(fd >= 0 && write(fd, "abc", 3) == 3, "write %s", data);
    close(fd);
    Run r;
    const char *argv[] = {"g_tool", "write", "/sandbox"};
    lodge_wasi_dir_t ro = {.host_path = tmp, .guest_path = "/sandbox", .read_only = true};
    run_tool(3, argv, &ro, 1, &r);
    CHECK(r.ok && r.exit_code == 0, "a read-only preopen: read allowed, append and create refused (code %d): [%s]",
          r.exit_code, r.out);
    /* The file opens with only the rights the directory passes on, so the write fails as on an fd not
     * open for writing (EBADF); creating needs a right on the directory itself (ENOTCAPABLE). */
    CHECK(strstr(r.out, "read: abc\n") && strstr(r.out, "append: Bad file descriptor") &&
              strstr(r.out, "create: Capabilities insufficient"),
          "the write fails with EBADF, the create with ENOTCAPABLE: [%s]", r.out);
    CHECK(file_is(data, "abc") && access(created, F_OK) != 0, "and the host files are unchanged");
    lodge_wasi_dir_t rw = {.host_path = tmp, .guest_path = "/sandbox", .read_only = false};
    run_tool(3, argv, &rw, 1, &r);
    CHECK(r.ok && r.exit_code == 6, "the same directory writable: append and create work (code %d): [%s]",
          r.exit_code, r.out);
    CHECK(file_is(data, "abcmore") && access(created, F_OK) == 0, "and the host sees the changes");
    unlink(created);
    unlink(data);

    lodge_store_t *store = lodge_store_new(engine, NULL);
    lodge_wasi_dir_t missing = {.host_path = "/nonexistent/lodge-test-dir"};
    lodge_wasi_config_t cfg = {.ndirs = 1, .dirs = &missing};
    lodge_error_t err;
    memset(&err, 0, sizeof err);
    lodge_wasi_t *w = lodge_wasi_new(store, &cfg, &err);
    CHECK(!w && err.status == LODGE_ERR_IO && strstr(err.message, "/nonexistent/lodge-test-dir"),
          "a directory that cannot be opened: IO naming it: %s", err.message);
    lodge_store_delete(store);
}

static void test_reactor(void)
{
    lodge_module_t *m = check_module(engine, dir, "g_reactor.wasm");
    int po[2];
    REQUIRE(pipe(po) == 0, "pipe");
    lodge_store_t *store = lodge_store_new(engine, NULL);
    lodge_wasi_config_t cfg = {.stdin_fd = -1, .stdout_fd = po[1], .stderr_fd = 2};
    lodge_error_t err;
    memset(&err, 0, sizeof err);
    lodge_wasi_t *w = lodge_wasi_new(store, &cfg, &err);
    lodge_instance_t *inst = w ? lodge_wasi_instantiate(w, m, &err) : NULL;
    REQUIRE(inst, "reactor instantiated: %s", err.message);
    lodge_extern_t ext;
    CHECK(!lodge_instance_export(inst, "_start", &ext) && lodge_instance_export(inst, "_initialize", &ext),
          "the reactor exports _initialize and no _start");
    int code = -1;
    CHECK(lodge_wasi_run(w, inst, &code, &err) && code == 0, "lodge_wasi_run runs _initialize (code %d: %s)", code,
          err.message);
    close(po[1]);
    char buf[256];
    drain(po[0], buf, sizeof buf);
    close(po[0]);
    CHECK(strcmp(buf, "reactor ready\n") == 0, "its constructor printed: [%s]", buf);
    lodge_val_t res[1];
    bool ok = lodge_instance_export(inst, "next", &ext) &&
              lodge_func_call(store, ext.of.func, NULL, 0, res, 1, &err);
    CHECK(ok && res[0].of.i32 == 42, "then its export sees the initialised state (next() = %d)", ok ? res[0].of.i32 : -1);
    lodge_store_delete(store);
    lodge_module_delete(m);
}

static void test_link_errors(void)
{
    lodge_error_t err;
    memset(&err, 0, sizeof err);
    lodge_module_t *m = check_module(engine, dir, "imports.wasm");
    lodge_store_t *store = lodge_store_new(engine, NULL);
    lodge_wasi_config_t cfg = {.stdin_fd = -1, .stdout_fd = -1, .stderr_fd = -1};
    lodge_wasi_t *w = lodge_wasi_new(store, &cfg, &err);
    REQUIRE(w, "context: %s", err.message);
    lodge_instance_t *inst = lodge_wasi_instantiate(w, m, &err);
    CHECK(!inst && err.status == LODGE_ERR_UNLINKABLE && strstr(err.message, "unknown import: env::clock"),
          "a non-WASI import: UNLINKABLE naming it: %s", err.message);
    lodge_extern_t imports[2];
    memset(imports, 0, sizeof imports);
    CHECK(lodge_wasi_link(w, m, imports, NULL, &err) && imports[0].kind == LODGE_EXTERN_FUNC &&
              imports[0].of.func && imports[1].of.func == NULL,
          "lodge_wasi_link (linked NULL) fills the WASI import and leaves env::clock to the embedder");
    lodge_module_delete(m);

    m = check_module(engine, dir, "badwasi.wasm");
    inst = lodge_wasi_instantiate(w, m, &err);
    CHECK(!inst && err.status == LODGE_ERR_UNLINKABLE && strstr(err.message, "no_such_call"),
          "an unknown WASI name: UNLINKABLE naming it: %s", err.message);
    lodge_module_delete(m);

    m = check_module(engine, dir, "noentry.wasm");
    inst = lodge_wasi_instantiate(w, m, &err);
    int code = -1;
    CHECK(inst && !lodge_wasi_run(w, inst, &code, &err) && err.status == LODGE_ERR_ARG,
          "neither _start nor _initialize: ARG (%s)", err.message);
    lodge_module_delete(m);
    lodge_store_delete(store);
}

/* max_memory bounds the context and the instance: every limit from nothing upward either refuses with
 * NOMEM (at the context or at the instance) or runs the program to its end; never anything else. */
static void test_limits(void)
{
    lodge_store_t *store = lodge_store_new(engine, NULL);
    size_t before = lodge_store_memory_used(store);
    const char *argv[] = {"g_tool", "hello", "5"};
    lodge_wasi_config_t cfg = {.argc = 3, .argv = argv, .stdin_fd = -1, .stdout_fd = -1, .stderr_fd = -1};
    lodge_error_t err;
    memset(&err, 0, sizeof err);
    lodge_wasi_t *w = lodge_wasi_new(store, &cfg, &err);
    size_t ctx_bytes = lodge_store_memory_used(store) - before;
    CHECK(w && ctx_bytes >= 512, "a WASI context is accounted to its store (%zu bytes)", ctx_bytes);
    lodge_store_delete(store);

    lodge_store_limits_t tiny = {.max_memory = 64};
    store = lodge_store_new(engine, &tiny);
    w = lodge_wasi_new(store, &cfg, &err);
    CHECK(!w && err.status == LODGE_ERR_NOMEM, "max_memory 64: the context is refused with NOMEM (%s)",
          err.message);
    lodge_store_delete(store);

    tiny.max_memory = 16384;
    store = lodge_store_new(engine, &tiny);
    w = lodge_wasi_new(store, &cfg, &err);
    lodge_instance_t *inst = w ? lodge_wasi_instantiate(w, tool, &err) : NULL;
    CHECK(w && !inst && err.status == LODGE_ERR_NOMEM,
          "max_memory 16 KiB: the context fits, the instance is refused with NOMEM (%s)", err.message);
    lodge_store_delete(store);

    int refused_ctx = 0, refused_inst = 0, ran = 0, other = 0;
    for (size_t lim = 256; lim <= 4 * ctx_bytes; lim += 64) {
        lodge_store_limits_t l = {.max_memory = lim};
        store = lodge_store_new(engine, &l);
        memset(&err, 0, sizeof err);
        w = lodge_wasi_new(store, &cfg, &err);
        if (!w) {
            refused_ctx += err.status == LODGE_ERR_NOMEM;
            other += err.status != LODGE_ERR_NOMEM;
        } else if (!(inst = lodge_wasi_instantiate(w, tool, &err))) {
            refused_inst += err.status == LODGE_ERR_NOMEM;
            other += err.status != LODGE_ERR_NOMEM;
        } else {
            int code;
            ran += lodge_wasi_run(w, inst, &code, &err) && code == 5;
        }
        lodge_store_delete(store);
    }
    CHECK(other == 0 && refused_ctx > 0 && refused_inst > 0,
          "limits 256 B..%zu B: %d refused at the context, %d at the instance, none otherwise", 4 * ctx_bytes,
          refused_ctx, refused_inst);
    /* Enough for everything: the program runs. */
    lodge_store_limits_t big = {.max_memory = 64u << 20};
    store = lodge_store_new(engine, &big);
    w = lodge_wasi_new(store, &cfg, &err);
    inst = w ? lodge_wasi_instantiate(w, tool, &err) : NULL;
    int code = -1;
    CHECK(inst && lodge_wasi_run(w, inst, &code, &err) && code == 5, "max_memory 64 MiB: the program runs (%d)",
          code);
    lodge_store_delete(store);
    (void)ran;
}

static int count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    int n = 0;
    if (!d)
        return -1;
    while (readdir(d))
        n++;
    closedir(d);
    return n;
}

/* Many contexts at once, each with its own preopen and pipe; run in an order unlike creation; deleting
 * the stores closes every descriptor the contexts opened. */
#define MANY 64
static void test_many(const char *tmp)
{
    int fds_before = count_fds();
    lodge_store_t *stores[MANY];
    lodge_wasi_t *ws[MANY];
    lodge_instance_t *insts[MANY];
    int pipes[MANY][2];
    char codes[MANY][12];
    int made = 0;
    for (int i = 0; i < MANY; i++) {
        if (pipe(pipes[i]))
            break;
        snprintf(codes[i], sizeof codes[i], "%d", i + 1);
        const char *argv[] = {"g_tool", "hello", codes[i]};
        lodge_wasi_dir_t d = {.host_path = tmp, .guest_path = "/t", .read_only = true};
        lodge_wasi_config_t cfg = {.argc = 3, .argv = argv, .ndirs = 1, .dirs = &d, .stdin_fd = -1,
                                   .stdout_fd = pipes[i][1], .stderr_fd = -1};
        lodge_error_t err;
        memset(&err, 0, sizeof err);
        stores[i] = lodge_store_new(engine, NULL);
        ws[i] = lodge_wasi_new(stores[i], &cfg, &err);
        insts[i] = ws[i] ? lodge_wasi_instantiate(ws[i], tool, &err) : NULL;
        if (!insts[i]) {
            CHECK(false, "context %d: %s", i, err.message);
            lodge_store_delete(stores[i]);
            close(pipes[i][0]);
            close(pipes[i][1]);
            break;
        }
        made++;
    }
    CHECK(made == MANY, "%d contexts and instances live in one process", made);
    int good = 0;
    for (int k = 0; k < made; k++) {
        int i = (k * 37) % made; /* 37 is prime to 64: every one, shuffled */
        lodge_error_t err;
        int code = -1;
        bool ok = lodge_wasi_run(ws[i], insts[i], &code, &err);
        close(pipes[i][1]);
        char buf[256], want[128];
        drain(pipes[i][0], buf, sizeof buf);
        close(pipes[i][0]);
        snprintf(want, sizeof want, "argc 3: hello %d; GREETING=(unset)\n", i + 1);
        good += ok && code == i + 1 && strncmp(buf, want, strlen(want)) == 0;
    }
    CHECK(good == made, "each ran with its own arguments, output and exit code (%d of %d)", good, made);
    for (int i = 0; i < made; i++)
        lodge_store_delete(stores[i]);
    int fds_after = count_fds();
    CHECK(fds_after == fds_before, "deleting the stores closed every preopen (fds %d before, %d after)", fds_before,
          fds_after);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: t_wasi DIR\n");
        return 2;
    }
    dir = argv[1];
    const char *tdir = getenv("TMPDIR");
    char tmpl[512];
    snprintf(tmpl, sizeof tmpl, "%s/lodge-embed.XXXXXX", tdir ? tdir : "/tmp");
    REQUIRE(mkdtemp(tmpl), "temporary directory");
    engine = lodge_engine_new(NULL);
    REQUIRE(engine, "engine");
    tool = check_module(engine, dir, "g_tool.wasm");
    test_command();
    test_closed_stdio();
    test_preopens(tmpl);
    test_reactor();
    test_link_errors();
    test_limits();
    test_many(tmpl);
    lodge_module_delete(tool);
    lodge_engine_delete(engine);
    rmdir(tmpl);
    return check_failed ? 1 : 0;
}
