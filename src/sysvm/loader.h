/* Loading boot images into guest RAM: a Linux RISC-V Image (its header checked), an ELF64 RISC-V executable
 * with physical load addresses, or raw firmware. */
#ifndef LODGE_SYSVM_LOADER_H
#define LODGE_SYSVM_LOADER_H

#include <stddef.h>
#include <stdint.h>

#include "sysvm/guestmem.h"
#include "sysvm/vmerr.h"

typedef struct LoadedImage {
    uint64_t entry;
    uint64_t start, end;       /* guest physical range it occupies (end includes a kernel's bss) */
} LoadedImage;

/* A Linux Image is placed at load_addr; an ELF goes where its program headers say. `what` names the file
 * in messages. */
bool loader_load_kernel(const GuestMem *gm, const uint8_t *data, size_t len, uint64_t load_addr, const char *what,
                        LoadedImage *out, VmError *err);
bool loader_load_raw(const GuestMem *gm, const uint8_t *data, size_t len, uint64_t addr, const char *what,
                     LoadedImage *out, VmError *err);

/* The same from an open file of len bytes (host_open_file), read with pread straight into guest RAM. */
bool loader_load_kernel_fd(const GuestMem *gm, int fd, uint64_t len, uint64_t load_addr, const char *what,
                           LoadedImage *out, VmError *err);
bool loader_load_raw_fd(const GuestMem *gm, int fd, uint64_t len, uint64_t addr, const char *what,
                        LoadedImage *out, VmError *err);

#endif
