/* Guest RAM: one host buffer for guest physical [base, base+size), and the checked accessors through which
 * every device reaches it. Guest addresses and lengths are hostile input: they meet this one boundary. */
#ifndef LODGE_SYSVM_GUESTMEM_H
#define LODGE_SYSVM_GUESTMEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sysvm/vmerr.h"

typedef struct GuestMem {
    uint8_t *host;                 /* owned, 2 MiB aligned; zero-filled at creation */
    uint64_t base, size;
    /* Called after a device writes guest RAM (DMA), so decoded code for the range can be dropped. */
    void (*on_write)(void *opaque, uint64_t addr, uint64_t len);
    void *opaque;
} GuestMem;

/* Allocates size bytes of zeroed RAM at guest physical base. False (with a message) if impossible. */
bool guestmem_init(GuestMem *gm, uint64_t base, uint64_t size, VmError *err);
void guestmem_fini(GuestMem *gm);

/* True when [addr, addr+len) lies inside RAM (overflow-safe; len 0 is inside when addr is). */
bool guestmem_contains(const GuestMem *gm, uint64_t addr, uint64_t len);
/* Host pointer for [addr, addr+len), or NULL when any byte is outside RAM. Writes through the pointer must be
 * followed by guestmem_written(). */
uint8_t *guestmem_ptr(const GuestMem *gm, uint64_t addr, uint64_t len);
void guestmem_written(const GuestMem *gm, uint64_t addr, uint64_t len);
/* About to fill [addr, addr+len) whole (a boot image): back it now, with huge pages where whole ones fit.
 * Only a hint: nothing fails if the host refuses. */
void guestmem_prefault(const GuestMem *gm, uint64_t addr, uint64_t len);

/* Copies; false (and nothing copied) when any byte is outside RAM. */
bool guestmem_read(const GuestMem *gm, uint64_t addr, void *buf, size_t len);
bool guestmem_write(const GuestMem *gm, uint64_t addr, const void *buf, size_t len);

/* Little-endian loads and stores of 16/32/64-bit values. */
bool guestmem_read_u16(const GuestMem *gm, uint64_t addr, uint16_t *v);
bool guestmem_read_u32(const GuestMem *gm, uint64_t addr, uint32_t *v);
bool guestmem_read_u64(const GuestMem *gm, uint64_t addr, uint64_t *v);
bool guestmem_write_u16(const GuestMem *gm, uint64_t addr, uint16_t v);
bool guestmem_write_u32(const GuestMem *gm, uint64_t addr, uint32_t v);

#endif
