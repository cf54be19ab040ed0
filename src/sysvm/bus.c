/* The system bus: address decoding to devices' ops tables, with access counters for --trace. */
#include "sysvm/bus.h"

#include <string.h>

void bus_init(Bus *bus)
{
    memset(bus, 0, sizeof *bus);
}

bool bus_add(Bus *bus, uint64_t base, uint64_t size, const DevOps *ops, void *dev, VmError *err)
{
    const char *name = ops && ops->name ? ops->name : "?";
    if (!ops || !ops->read || !ops->write)
        return vmerr_set(err, "bus: device %s has no read/write", name);
    if (size == 0 || base + size - 1 < base)
        return vmerr_set(err, "bus: device %s: bad range 0x%llx+0x%llx", name, (unsigned long long)base,
                         (unsigned long long)size);
    if (bus->n == BUS_MAX_REGIONS)
        return vmerr_set(err, "bus: too many devices (max %d)", BUS_MAX_REGIONS);
    for (unsigned i = 0; i < bus->n; i++) {
        const BusRegion *r = &bus->region[i];
        if (base <= r->base + r->size - 1 && r->base <= base + size - 1)
            return vmerr_set(err, "bus: device %s at 0x%llx overlaps %s at 0x%llx", name,
                             (unsigned long long)base, r->ops->name, (unsigned long long)r->base);
    }
    bus->region[bus->n++] = (BusRegion){.base = base, .size = size, .ops = ops, .dev = dev};
    return true;
}

static bool inside(const BusRegion *r, uint64_t addr, unsigned size)
{
    return addr >= r->base && addr - r->base < r->size && size <= r->size - (addr - r->base);
}

BusRegion *bus_find(Bus *bus, uint64_t addr, unsigned size)
{
    if (bus->last < bus->n && inside(&bus->region[bus->last], addr, size))
        return &bus->region[bus->last];
    for (unsigned i = 0; i < bus->n; i++)
        if (inside(&bus->region[i], addr, size)) {
            bus->last = i;
            return &bus->region[i];
        }
    return NULL;
}

static bool size_ok(unsigned size)
{
    return size == 1 || size == 2 || size == 4 || size == 8;
}

bool bus_read(Bus *bus, uint64_t addr, unsigned size, uint64_t *val)
{
    BusRegion *r = size_ok(size) ? bus_find(bus, addr, size) : NULL;
    if (!r) {
        bus->faults++;
        *val = 0;
        return false;
    }
    r->reads++;
    return r->ops->read(r->dev, addr - r->base, size, val);
}

bool bus_write(Bus *bus, uint64_t addr, unsigned size, uint64_t val)
{
    BusRegion *r = size_ok(size) ? bus_find(bus, addr, size) : NULL;
    if (!r) {
        bus->faults++;
        return false;
    }
    r->writes++;
    if (size < 8)
        val &= (1ull << (8 * size)) - 1;
    return r->ops->write(r->dev, addr - r->base, size, val);
}

void bus_reset(Bus *bus)
{
    for (unsigned i = 0; i < bus->n; i++)
        if (bus->region[i].ops->reset)
            bus->region[i].ops->reset(bus->region[i].dev);
}
