/* cli/guestopts.h: the options that describe a guest, defined once: `lodge boot` and `lodge create machine`
 * take the machine options, `lodge run` and `lodge create instance` the WebAssembly ones (lodged includes
 * this header too, as lodge includes lodged's verb table). Sizes follow base/size.h: a bare number is
 * bytes, K/M/G/T are binary. Each verb adds its own options in a table of its own; an option the daemon's
 * API (docs/api.yaml) cannot express belongs to the local verb's table, not here. */
#ifndef LODGE_CLI_GUESTOPTS_H
#define LODGE_CLI_GUESTOPTS_H

#include <stdbool.h>
#include <string.h>

#include "base/opt.h"

#define CLI_MIB (1ull << 20)

enum {
    CLI_MOPT_KERNEL = 100, CLI_MOPT_INITRD, CLI_MOPT_APPEND, CLI_MOPT_MEM, CLI_MOPT_CPUS, CLI_MOPT_DISK,
    CLI_MOPT_NET,
};

/* A bare --mem below 1 MiB is refused: `--mem 256` is a slip for 256M, never 256 bytes. */
static const OptDesc cli_machine_opts[] = {
    {CLI_MOPT_KERNEL, "--kernel", NULL, OPT_STR, "IMAGE", "kernel", 0, 0,
     "Linux RISC-V Image (or an ELF with physical addresses)"},
    {CLI_MOPT_INITRD, "--initrd", NULL, OPT_STR, "FILE", "initrd", 0, 0, "initramfs, placed near the top of RAM"},
    {CLI_MOPT_APPEND, "--append", NULL, OPT_STR, "ARGS", "command line", 0, 0,
     "kernel command line (default \"console=ttyS0\")"},
    {CLI_MOPT_MEM, "--mem", NULL, OPT_SIZE, "SIZE", "guest RAM size", CLI_MIB, 0,
     "guest RAM: 256M, 1G (a bare number is bytes; default 256M)"},
    {CLI_MOPT_CPUS, "--cpus", NULL, OPT_COUNT, "N", "hart count", 1, 8, "harts, 1 to 8 (default 1)"},
    {CLI_MOPT_DISK, "--disk", NULL, OPT_STR, "FILE[,ro]", "disk", 0, 0,
     "a virtio-blk disk (repeatable, up to 4): /dev/vda, /dev/vdb, ..."},
    {CLI_MOPT_NET, "--net", NULL, OPT_STR, "tap=NAME|none", "network", 0, 0,
     "a virtio-net interface on host tap NAME (default none)"},
    {0},
};

enum {
    CLI_WOPT_DIR = 200, CLI_WOPT_DIR_RO, CLI_WOPT_MAPDIR, CLI_WOPT_ENV, CLI_WOPT_MAX_MEMORY,
    CLI_WOPT_FUEL,
};

/* A bare --max-memory below one wasm page (64 KiB) is refused: `--max-memory 256` means 256M. */
static const OptDesc cli_wasm_opts[] = {
    {CLI_WOPT_DIR, "--dir", NULL, OPT_STR, "HOST[::GUEST]", "directory", 0, 0,
     "preopen directory HOST for the guest, named GUEST (default HOST)"},
    {CLI_WOPT_DIR_RO, "--dir-ro", NULL, OPT_STR, "HOST[::GUEST]", "directory", 0, 0,
     "the same, read-only: no right to create, change or remove"},
    {CLI_WOPT_MAPDIR, "--mapdir", NULL, OPT_STR, "GUEST::HOST", "directory", 0, 0,
     "older spelling of --dir HOST::GUEST"},
    {CLI_WOPT_ENV, "--env", NULL, OPT_STR, "NAME=VALUE", "variable", 0, 0,
     "set a variable for the guest (--env NAME: copy this one's)"},
    {CLI_WOPT_MAX_MEMORY, "--max-memory", NULL, OPT_SIZE, "SIZE", "memory size", 64 << 10, 0,
     "limit linear memory, tables and instance data: 64M, 1G"},
    {CLI_WOPT_FUEL, "--fuel", NULL, OPT_COUNT, "N", "fuel", 1, UINT64_MAX,
     "trap after N loop iterations and calls (\"interrupted\")"},
    {0},
};

/* "FILE" or "FILE,ro" into path (n bytes); false when empty or too long. */
static inline bool cli_disk_spec(const char *v, char *path, size_t n, bool *ro)
{
    size_t len = strlen(v);
    *ro = len > 3 && strcmp(v + len - 3, ",ro") == 0;
    if (*ro)
        len -= 3;
    if (len == 0 || len >= n)
        return false;
    memcpy(path, v, len);
    path[len] = '\0';
    return true;
}

#endif
