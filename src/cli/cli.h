/* cli.h: the verbs of the lodge command and the helpers they share. */
#ifndef LODGE_CLI_H
#define LODGE_CLI_H

#include <stddef.h>
#include <stdint.h>

/* Exit statuses of the lodge command (README "Exit status"). */
enum {
    CLI_EXIT_OK = 0,
    CLI_EXIT_ERROR = 1,    /* a file is missing or unreadable, a module is malformed/invalid/unlinkable */
    CLI_EXIT_USAGE = 2,    /* wrong flags or arguments */
    CLI_EXIT_TRAP = 134,   /* the guest trapped (as wasmtime: 128 + SIGABRT) */
    CLI_EXIT_REBOOT = 3,   /* lodge boot: the guest asked for a reboot */
    CLI_EXIT_GUEST_FAIL = 4, /* lodge boot: the guest reported failure (test device code, SBI reset reason) */
    CLI_EXIT_HALTED = 5,   /* lodge boot: every hart of the guest stopped */
};

#define VERB(name, fn, summary) int fn(int argc, char **argv);
#include "cli/verbs.def"
#undef VERB
/* Runs lodged with the same arguments (the hypervisor's verbs). */
int cli_forward(int argc, char **argv);

/* Read a whole file into a malloc'd buffer; on failure prints "lodge: PATH: reason" and returns NULL. */
uint8_t *cli_read_file(const char *path, size_t *len);
/* Read a module: binary as is, text format (.wat) converted to binary. Prints the error and returns NULL
 * on failure. The buffer is malloc'd. */
uint8_t *cli_load_module_bytes(const char *path, size_t *len);
/* True when arg is -h or --help. */
int cli_is_help(const char *arg);

#endif
