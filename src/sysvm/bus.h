/* The system bus: devices are ops tables {read, write, reset} on address ranges; the machine routes every
 * access outside RAM through here. Accesses to no device, or straddling a device's end, are access faults. */
#ifndef LODGE_SYSVM_BUS_H
#define LODGE_SYSVM_BUS_H

#include <stdbool.h>
#include <stdint.h>

#include "sysvm/vmerr.h"

/* A device's face on the bus. off is relative to the device's base; size is 1, 2, 4 or 8. Returning false is
 * an access fault for the hart. reset may be NULL. */
typedef struct DevOps {
    const char *name;
    bool (*read)(void *dev, uint64_t off, unsigned size, uint64_t *val);
    bool (*write)(void *dev, uint64_t off, unsigned size, uint64_t val);
    void (*reset)(void *dev);
} DevOps;

typedef struct BusRegion {
    uint64_t base, size;
    const DevOps *ops;
    void *dev;                      /* borrowed: the device outlives the bus */
    uint64_t reads, writes;         /* --trace counters */
} BusRegion;

#define BUS_MAX_REGIONS 32

typedef struct Bus {
    BusRegion region[BUS_MAX_REGIONS];
    unsigned n;
    unsigned last;                  /* index of the last region hit: accesses come in runs */
    uint64_t faults;                /* accesses that hit no device */
} Bus;

void bus_init(Bus *bus);
/* Adds a device; fails on a zero or overflowing size, an overlap, or a full bus. */
bool bus_add(Bus *bus, uint64_t base, uint64_t size, const DevOps *ops, void *dev, VmError *err);
/* The region covering [addr, addr+size), or NULL. */
BusRegion *bus_find(Bus *bus, uint64_t addr, unsigned size);
bool bus_read(Bus *bus, uint64_t addr, unsigned size, uint64_t *val);
bool bus_write(Bus *bus, uint64_t addr, unsigned size, uint64_t val);
void bus_reset(Bus *bus);

#endif
