/* `lodge boot`: parse the options into a MachineConfig, run the machine, map how it ended to an exit status.
 * Signal handling lives here (the one place a signal handler needs static state). */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "sysvm/machine.h"

#define DEFAULT_APPEND "console=ttyS0"

static const char usage_text[] =
    "usage: lodge boot [--kernel IMAGE] [--initrd FILE] [--append \"ARGS\"] [--mem SIZE] [--cpus N]\n"
    "                  [--disk FILE[,ro]]... [--net tap=NAME|none] [--console stdio|none|FILE]\n"
    "                  [--bios FILE] [--no-rng] [--no-vconsole] [--trace] [--disasm-at ADDR|entry]\n"
    "                  [--dump-dtb FILE]\n"
    "\n"
    "Boots a 64-bit RISC-V machine shaped like QEMU's virt board. Without --kernel it boots the default guest\n"
    "built by `make guest` (guests/cache/: Image and initramfs.cpio; LODGE_GUEST_DIR overrides the folder).\n"
    "  --kernel IMAGE    Linux RISC-V Image (or an ELF with physical addresses), loaded at RAM + 2 MiB\n"
    "  --initrd FILE     initramfs, placed near the top of RAM\n"
    "  --append ARGS     kernel command line (default \"" DEFAULT_APPEND "\")\n"
    "  --mem SIZE        guest RAM, e.g. 256M or 1G; a bare number is MiB (default 256M)\n"
    "  --cpus N          harts, 1 to 8 (default 1)\n"
    "  --disk FILE[,ro]  a virtio-blk disk (repeatable, up to 4): /dev/vda, /dev/vdb, ...\n"
    "  --net tap=NAME    a virtio-net interface on host tap NAME; none (default) for no network\n"
    "  --console WHERE   stdio (default: raw terminal; Ctrl-A x quits), none, or a FILE for guest output\n"
    "  --bios FILE       M-mode firmware such as OpenSBI's fw_dynamic.bin instead of Lodge's built-in SBI\n"
    "  --no-rng, --no-vconsole  leave out virtio-rng / virtio-console (hvc0)\n"
    "  --trace           print counts of traps, interrupts, device accesses and SBI calls at exit\n"
    "  --disasm-at ADDR  print 16 guest instructions at physical ADDR (or the kernel entry) and exit\n"
    "  --dump-dtb FILE   write the device tree given to the guest to FILE and exit (dtc -I dtb reads it)\n"
    "\n"
    "Exit status: 0 the guest powered off; 1 error (bad file, too little memory, missing disk);\n"
    "2 usage; 3 the guest asked for a reboot; 4 the guest reported failure; 5 every hart stopped;\n"
    "130 stopped by SIGINT or Ctrl-A x; 143 stopped by SIGTERM. Disks are flushed on every exit.\n";

/* The signal handlers' view of the run: what to set, what to restore. */
static volatile sig_atomic_t stop_signal;
static const Machine *running_machine;

static void on_stop(int sig)
{
    stop_signal = sig;
}

static void on_fatal(int sig)
{
    machine_restore_terminal(running_machine);
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

static bool parse_size(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || s[0] == '-')
        return false;
    unsigned shift = 20;
    if (*end) {
        switch (*end) {
        case 'k': case 'K': shift = 10; break;
        case 'm': case 'M': shift = 20; break;
        case 'g': case 'G': shift = 30; break;
        default: return false;
        }
        if (end[1] && strcmp(end + 1, "iB") != 0 && strcmp(end + 1, "B") != 0)
            return false;
    }
    if (v > (UINT64_MAX >> shift))
        return false;
    *out = (uint64_t)v << shift;
    return true;
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

int cli_boot(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)     /* a machine process serving Firecracker's API: lodged's verb */
        if (!strcmp(argv[i], "--api-sock")) {
            argv[0] = "machine";
            return cli_forward(argc, argv);
        }
    MachineConfig cfg = {.ram_size = 256ull << 20, .nharts = 1, .console = TERM_STDIO, .rng = true,
                         .vconsole = true};
    bool trace = false, disasm = false;
    const char *dump_dtb = NULL;
    uint64_t disasm_at = 0;
    char disk_paths[MACHINE_MAX_DISKS][PATH_MAX];
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) {
            fputs(usage_text, stdout);
            return CLI_EXIT_OK;
        }
        bool has_val = strcmp(a, "--trace") && strcmp(a, "--no-rng") && strcmp(a, "--no-vconsole");
        if (has_val && i + 1 >= argc)
            return usage_error("%s needs a value", a);
        const char *v = has_val ? argv[++i] : NULL;
        if (!strcmp(a, "--kernel")) cfg.kernel = v;
        else if (!strcmp(a, "--initrd")) cfg.initrd = v;
        else if (!strcmp(a, "--append")) cfg.append = v;
        else if (!strcmp(a, "--bios")) cfg.bios = v;
        else if (!strcmp(a, "--trace")) trace = true;
        else if (!strcmp(a, "--no-rng")) cfg.rng = false;
        else if (!strcmp(a, "--no-vconsole")) cfg.vconsole = false;
        else if (!strcmp(a, "--mem")) {
            if (!parse_size(v, &cfg.ram_size))
                return usage_error("--mem %s: expected a size such as 256M or 1G", v);
        } else if (!strcmp(a, "--cpus")) {
            uint64_t n;
            if (!parse_u64(v, &n) || n < 1 || n > MACHINE_MAX_HARTS)
                return usage_error("--cpus %s: expected 1 to 8", v);
            cfg.nharts = (unsigned)n;
        } else if (!strcmp(a, "--disk")) {
            if (cfg.ndisks == MACHINE_MAX_DISKS)
                return usage_error("%s: at most 4 disks", v);
            size_t len = strlen(v);
            bool ro = len > 3 && !strcmp(v + len - 3, ",ro");
            if (ro) len -= 3;
            if (len == 0 || len >= PATH_MAX)
                return usage_error("--disk %s: expected FILE or FILE,ro", v);
            memcpy(disk_paths[cfg.ndisks], v, len);
            disk_paths[cfg.ndisks][len] = '\0';
            cfg.disk[cfg.ndisks] = (MachineDisk){.path = disk_paths[cfg.ndisks], .ro = ro};
            cfg.ndisks++;
        } else if (!strcmp(a, "--net")) {
            if (!strcmp(v, "none")) cfg.tap = NULL;
            else if (!strncmp(v, "tap=", 4) && v[4]) cfg.tap = v + 4;
            else return usage_error("--net %s: expected tap=NAME or none", v);
        } else if (!strcmp(a, "--console")) {
            if (!strcmp(v, "stdio")) cfg.console = TERM_STDIO;
            else if (!strcmp(v, "none")) cfg.console = TERM_NONE;
            else { cfg.console = TERM_FILE; cfg.console_file = v; }
        } else if (!strcmp(a, "--dump-dtb")) {
            dump_dtb = v;
        } else if (!strcmp(a, "--disasm-at")) {
            disasm = true;
            if (strcmp(v, "entry") && !parse_u64(v, &disasm_at))
                return usage_error("--disasm-at %s: expected an address or 'entry'", v);
        } else {
            return usage_error("unknown option %s", a);
        }
    }

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
    if (!cfg.append)
        cfg.append = DEFAULT_APPEND;
    if (disasm || dump_dtb)
        cfg.console = TERM_NONE;
    cfg.stop_flag = &stop_signal;

    VmError err = {{0}};
    Machine *m = machine_new(&cfg, &err);
    if (!m) {
        fprintf(stderr, "lodge boot: %s\n", err.msg);
        return CLI_EXIT_ERROR;
    }
    if (dump_dtb) {
        bool ok = machine_write_dtb(m, dump_dtb, &err);
        machine_delete(m);
        if (!ok) {
            fprintf(stderr, "lodge boot: %s\n", err.msg);
            return CLI_EXIT_ERROR;
        }
        return CLI_EXIT_OK;
    }
    if (disasm) {
        bool ok = machine_disasm(m, disasm_at, 16, stdout);
        machine_delete(m);
        if (!ok) {
            fprintf(stderr, "lodge boot: --disasm-at 0x%llx is not in guest RAM\n", (unsigned long long)disasm_at);
            return CLI_EXIT_ERROR;
        }
        return CLI_EXIT_OK;
    }
    running_machine = m;
    install_signals();
    MachineExit why = machine_run(m);
    uint32_t code = machine_fail_code(m);
    if (trace)
        machine_print_trace(m, stderr);
    machine_report_device_errors(m, stderr);
    running_machine = NULL;
    machine_delete(m);       /* flushes disks and restores the terminal before anything is printed */
    switch (why) {
    case MACHINE_EXIT_POWEROFF: return CLI_EXIT_OK;
    case MACHINE_EXIT_REBOOT:
        fprintf(stderr, "lodge boot: the guest asked for a reboot\n");
        return CLI_EXIT_REBOOT;
    case MACHINE_EXIT_FAIL:
        fprintf(stderr, "lodge boot: the guest reported failure (code %u)\n", code);
        return CLI_EXIT_GUEST_FAIL;
    case MACHINE_EXIT_HALTED:
        fprintf(stderr, "lodge boot: every hart stopped\n");
        return CLI_EXIT_HALTED;
    case MACHINE_EXIT_STOPPED:
    default:
        if (stop_signal) {
            fprintf(stderr, "lodge boot: stopped by signal %d\n", (int)stop_signal);
            return 128 + stop_signal;
        }
        fprintf(stderr, "lodge boot: stopped from the console\n");
        return 130;
    }
}
