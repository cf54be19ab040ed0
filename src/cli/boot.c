/* `lodge boot`: parse the options into a lodge_machine_config_t, run the machine through the public API
 * (lodge.h), map how it ended to an exit status. --trace, --disasm-at and --dump-dtb reach into the machine
 * itself (sysvm/api.h). Signal handling lives here (the one place a signal handler needs static state). */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/guestopts.h"
#include "lodge.h"
#include "sysvm/api.h"
#include "sysvm/machine.h"

#define DEFAULT_APPEND "console=ttyS0"

static const char usage_head[] =
    "usage: lodge boot [OPTIONS]\n"
    "\n"
    "Boots a 64-bit RISC-V machine shaped like QEMU's virt board. Without --kernel it boots the default guest\n"
    "built by `make guest` (guests/cache/: Image and initramfs.cpio; LODGE_GUEST_DIR overrides the folder).\n"
    "The kernel is loaded at RAM + 2 MiB. Sizes: 256M, 1G (K, M, G, T are binary units; a bare number is\n"
    "bytes, so `--mem 256` is refused: write 256M).\n"
    "\n"
    "options:\n";

static const char usage_tail[] =
    "  -h, --help                this text\n"
    "\n"
    "Exit status: 0 the guest powered off; 1 error (bad file, too little memory, missing disk);\n"
    "2 usage; 3 the guest asked for a reboot; 4 the guest reported failure; 5 every hart stopped;\n"
    "130 stopped by SIGINT or Ctrl-A x; 143 stopped by SIGTERM. Disks are flushed on every exit.\n";

/* boot's own options, beside the machine options it shares with `lodge create machine`. */
enum { BOOT_BIOS = 1, BOOT_NO_RNG, BOOT_NO_VCONSOLE, BOOT_CONSOLE, BOOT_TRACE, BOOT_DISASM_AT, BOOT_DUMP_DTB };
static const OptDesc boot_opts[] = {
    {BOOT_BIOS, "--bios", NULL, OPT_STR, "FILE", "firmware", 0, 0,
     "M-mode firmware (OpenSBI fw_dynamic.bin) instead of Lodge's SBI"},
    {BOOT_NO_RNG, "--no-rng", NULL, OPT_FLAG, NULL, NULL, 0, 0, "leave out virtio-rng"},
    {BOOT_NO_VCONSOLE, "--no-vconsole", NULL, OPT_FLAG, NULL, NULL, 0, 0, "leave out virtio-console (hvc0)"},
    {BOOT_CONSOLE, "--console", NULL, OPT_STR, "WHERE", "console", 0, 0,
     "stdio (default: raw terminal; Ctrl-A x quits), none, or a FILE"},
    {BOOT_TRACE, "--trace", NULL, OPT_FLAG, NULL, NULL, 0, 0,
     "print counts of traps, interrupts, device accesses and SBI calls at exit"},
    {BOOT_DISASM_AT, "--disasm-at", NULL, OPT_STR, "ADDR|entry", "address", 0, 0,
     "print 16 guest instructions at physical ADDR (or the kernel entry) and exit"},
    {BOOT_DUMP_DTB, "--dump-dtb", NULL, OPT_STR, "FILE", "file", 0, 0,
     "write the guest's device tree to FILE and exit (dtc -I dtb reads it)"},
    {0},
};

static void usage(FILE *out)
{
    fputs(usage_head, out);
    opt_print_help(out, cli_machine_opts);
    opt_print_help(out, boot_opts);
    fputs(usage_tail, out);
}

/* The signal handlers' view of the run: what to stop, what to restore. */
static volatile sig_atomic_t stop_signal;
static lodge_machine_t *running_machine;

static void on_stop(int sig)
{
    stop_signal = sig;
    if (running_machine)
        lodge_machine_stop(running_machine);      /* async-signal-safe */
}

static void on_fatal(int sig)
{
    if (running_machine)
        machine_restore_terminal(api_machine(running_machine));
    signal(sig, SIG_DFL);
    raise(sig);
}

static void install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sa.sa_handler = on_fatal;
    sa.sa_flags = SA_RESETHAND;
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);
    sigaction(SIGABRT, &sa, NULL);
    sigaction(SIGFPE, &sa, NULL);
    sigaction(SIGILL, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

static bool parse_u64(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || end == s || *end || s[0] == '-')
        return false;
    *out = v;
    return true;
}

/* The default guest lives in guests/cache/ next to the build folder of this binary. */
static void default_guest_dir(char *buf, size_t n)
{
    const char *env = getenv("LODGE_GUEST_DIR");
    if (env && *env) {
        snprintf(buf, n, "%s", env);
        return;
    }
    char exe[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len <= 0) {
        snprintf(buf, n, "guests/cache");
        return;
    }
    exe[len] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash)
        *slash = '\0';
    snprintf(buf, n, "%s/../guests/cache", exe);
}

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "lodge boot: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n(see lodge boot --help)\n");
    return CLI_EXIT_USAGE;
}

/* Runs the machine to its end; returns the exit status the README promises. */
static int run(lodge_machine_t *m, bool trace)
{
    lodge_error_t err;
    running_machine = m;
    install_signals();
    if (!lodge_machine_start(m, &err)) {
        running_machine = NULL;
        lodge_machine_delete(m);
        fprintf(stderr, "lodge boot: %s\n", err.message);
        return CLI_EXIT_ERROR;
    }
    lodge_machine_exit_t why = LODGE_MACHINE_NOT_EXITED;
    lodge_machine_wait(m, -1, &why);
    lodge_machine_stats_t st;
    lodge_machine_stats(m, &st);
    if (trace)
        machine_print_trace(api_machine(m), stderr);
    machine_report_device_errors(api_machine(m), stderr);
    running_machine = NULL;
    lodge_machine_delete(m);       /* flushes disks and restores the terminal before anything is printed */
    switch (why) {
    case LODGE_MACHINE_POWEROFF: return CLI_EXIT_OK;
    case LODGE_MACHINE_REBOOT:
        fprintf(stderr, "lodge boot: the guest asked for a reboot\n");
        return CLI_EXIT_REBOOT;
    case LODGE_MACHINE_FAIL:
        fprintf(stderr, "lodge boot: the guest reported failure (code %u)\n", st.fail_code);
        return CLI_EXIT_GUEST_FAIL;
    case LODGE_MACHINE_HALTED:
        fprintf(stderr, "lodge boot: every hart stopped\n");
        return CLI_EXIT_HALTED;
    default:
        if (stop_signal) {
            fprintf(stderr, "lodge boot: stopped by signal %d\n", (int)stop_signal);
            return 128 + stop_signal;
        }
        fprintf(stderr, "lodge boot: stopped from the console\n");
        return 130;
    }
}

int cli_boot(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)     /* a machine process serving Firecracker's API: lodged's verb */
        if (!strcmp(argv[i], "--api-sock")) {
            argv[0] = "machine";
            return cli_forward(argc, argv);
        }
    lodge_machine_config_t cfg = {.mem_bytes = 256ull << 20, .cpus = 1, .console = LODGE_CONSOLE_STDIO};
    bool trace = false, disasm = false;
    const char *dump_dtb = NULL;
    uint64_t disasm_at = 0;
    char disk_paths[LODGE_MACHINE_MAX_DISKS][PATH_MAX];
    OptParser p;
    OptArg o;
    OptResult r;
    opt_init(&p, argc, argv, cli_machine_opts, boot_opts, NULL);
    while ((r = opt_next(&p, &o)) == OPT_OPTION) {
        const char *v = o.str;
        switch (o.opt->id) {
        case CLI_MOPT_KERNEL: cfg.kernel = v; break;
        case CLI_MOPT_INITRD: cfg.initrd = v; break;
        case CLI_MOPT_APPEND: cfg.cmdline = v; break;
        case BOOT_BIOS: cfg.bios = v; break;
        case BOOT_NO_RNG: cfg.no_rng = true; break;
        case BOOT_NO_VCONSOLE: cfg.no_vconsole = true; break;
        case CLI_MOPT_MEM: cfg.mem_bytes = o.num; break;
        case CLI_MOPT_CPUS: cfg.cpus = (unsigned)o.num; break;
        case CLI_MOPT_DISK: {
            bool ro;
            if (cfg.ndisks == LODGE_MACHINE_MAX_DISKS)
                return usage_error("%s: at most 4 disks", v);
            if (!cli_disk_spec(v, disk_paths[cfg.ndisks], PATH_MAX, &ro))
                return usage_error("--disk %s: expected FILE or FILE,ro", v);
            cfg.disks[cfg.ndisks] = (lodge_machine_disk_t){.path = disk_paths[cfg.ndisks], .read_only = ro};
            cfg.ndisks++;
            break;
        }
        case CLI_MOPT_NET:
            if (!strcmp(v, "none")) cfg.tap = NULL;
            else if (!strncmp(v, "tap=", 4) && v[4]) cfg.tap = v + 4;
            else return usage_error("--net %s: expected tap=NAME or none", v);
            break;
        case BOOT_CONSOLE:
            if (!strcmp(v, "stdio")) cfg.console = LODGE_CONSOLE_STDIO;
            else if (!strcmp(v, "none")) cfg.console = LODGE_CONSOLE_NONE;
            else { cfg.console = LODGE_CONSOLE_FILE; cfg.console_file = v; }
            break;
        case BOOT_TRACE: trace = true; break;
        case BOOT_DUMP_DTB: dump_dtb = v; break;
        case BOOT_DISASM_AT:
            disasm = true;
            if (strcmp(v, "entry") && !parse_u64(v, &disasm_at))
                return usage_error("--disasm-at %s: expected an address or 'entry'", v);
            break;
        }
    }
    if (r == OPT_HELP) {
        usage(stdout);
        return CLI_EXIT_OK;
    }
    if (r == OPT_ERROR)
        return usage_error("%s", p.err);
    if (p.i < argc)
        return usage_error("unexpected argument '%s'", argv[p.i]);

    char dir[PATH_MAX + 32], kernel[PATH_MAX + 64], initrd[PATH_MAX + 64];
    if (!cfg.kernel) {
        default_guest_dir(dir, sizeof dir);
        snprintf(kernel, sizeof kernel, "%s/Image", dir);
        if (access(kernel, R_OK) != 0) {
            fprintf(stderr, "lodge boot: no --kernel and no default guest at %s\n"
                            "  build it with `make guest` (guests/build.sh), or set LODGE_GUEST_DIR\n", kernel);
            return CLI_EXIT_ERROR;
        }
        cfg.kernel = kernel;
        if (!cfg.initrd) {
            snprintf(initrd, sizeof initrd, "%s/initramfs.cpio", dir);
            cfg.initrd = initrd;
        }
    }
    if (cfg.mem_bytes < MACHINE_MIN_RAM || cfg.mem_bytes > MACHINE_MAX_RAM || (cfg.mem_bytes & (CLI_MIB - 1))) {
        fprintf(stderr, "lodge boot: --mem %llu bytes: need a whole number of MiB from %llu MiB to %llu GiB\n",
                (unsigned long long)cfg.mem_bytes, (unsigned long long)(MACHINE_MIN_RAM >> 20),
                (unsigned long long)(MACHINE_MAX_RAM >> 30));
        return CLI_EXIT_ERROR;
    }
    if (!cfg.cmdline)
        cfg.cmdline = DEFAULT_APPEND;
    if (disasm || dump_dtb)
        cfg.console = LODGE_CONSOLE_NONE;

    lodge_error_t err;
    lodge_machine_t *m = lodge_machine_new(&cfg, &err);
    if (!m) {
        fprintf(stderr, "lodge boot: %s\n", err.message);
        return CLI_EXIT_ERROR;
    }
    if (dump_dtb) {
        VmError verr = {{0}, VMERR_ARG};
        bool ok = machine_write_dtb(api_machine(m), dump_dtb, &verr);
        lodge_machine_delete(m);
        if (!ok) {
            fprintf(stderr, "lodge boot: %s\n", verr.msg);
            return CLI_EXIT_ERROR;
        }
        return CLI_EXIT_OK;
    }
    if (disasm) {
        bool ok = machine_disasm(api_machine(m), disasm_at, 16, stdout);
        lodge_machine_delete(m);
        if (!ok) {
            fprintf(stderr, "lodge boot: --disasm-at 0x%llx is not in guest RAM\n", (unsigned long long)disasm_at);
            return CLI_EXIT_ERROR;
        }
        return CLI_EXIT_OK;
    }
    return run(m, trace);
}
