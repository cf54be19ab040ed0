/* Goldfish RTC registers: TIME_LOW (reading latches TIME_HIGH), TIME_HIGH, ALARM_LOW (writing arms),
 * ALARM_HIGH, IRQ_ENABLED, CLEAR_ALARM, ALARM_STATUS, CLEAR_INTERRUPT. */
#include "sysvm/dev/rtc.h"

#include <string.h>

enum { TIME_LOW = 0x00, TIME_HIGH = 0x04, ALARM_LOW = 0x08, ALARM_HIGH = 0x0c, IRQ_ENABLED = 0x10,
       CLEAR_ALARM = 0x14, ALARM_STATUS = 0x18, CLEAR_INTERRUPT = 0x1c };

void rtc_init(Rtc *r, IrqLine irq, uint64_t (*now_ns)(void *), void *opaque)
{
    memset(r, 0, sizeof *r);
    r->irq = irq;
    r->now_ns = now_ns;
    r->opaque = opaque;
}

void rtc_reset(void *dev)
{
    Rtc *r = dev;
    r->alarm_armed = r->irq_enabled = r->alarm_fired = false;
    irq_set(&r->irq, false);
}

static uint64_t guest_now(const Rtc *r)
{
    return r->now_ns(r->opaque) + (uint64_t)r->offset_ns;
}

void rtc_poll(Rtc *r)
{
    if (r->alarm_armed && guest_now(r) >= r->alarm_ns) {
        r->alarm_armed = false;
        r->alarm_fired = true;
    }
    irq_set(&r->irq, r->alarm_fired && r->irq_enabled);
}

static bool rtc_read(void *dev, uint64_t off, unsigned size, uint64_t *val)
{
    Rtc *r = dev;
    uint64_t now = guest_now(r);
    *val = 0;
    if (size != 4)
        return false;
    switch (off) {
    case TIME_LOW: *val = (uint32_t)now; r->time_high_latch = (uint32_t)(now >> 32); break;
    case TIME_HIGH: *val = r->time_high_latch; break;
    case ALARM_LOW: *val = (uint32_t)r->alarm_ns; break;
    case ALARM_HIGH: *val = (uint32_t)(r->alarm_ns >> 32); break;
    case IRQ_ENABLED: *val = r->irq_enabled; break;
    case ALARM_STATUS: *val = r->alarm_armed; break;
    default: break;
    }
    return true;
}

static bool rtc_write(void *dev, uint64_t off, unsigned size, uint64_t val)
{
    Rtc *r = dev;
    if (size != 4)
        return false;
    switch (off) {
    case TIME_LOW: {       /* setting the clock: the high half was written first */
        uint64_t want = (uint64_t)r->time_high_latch << 32 | (uint32_t)val;
        r->offset_ns = (int64_t)(want - r->now_ns(r->opaque));
        break;
    }
    case TIME_HIGH: r->time_high_latch = (uint32_t)val; break;
    case ALARM_HIGH: r->alarm_high = (uint32_t)val; break;
    case ALARM_LOW:
        r->alarm_ns = (uint64_t)r->alarm_high << 32 | (uint32_t)val;
        r->alarm_armed = true;
        break;
    case IRQ_ENABLED: r->irq_enabled = val & 1; break;
    case CLEAR_ALARM: r->alarm_armed = false; break;
    case CLEAR_INTERRUPT: r->alarm_fired = false; break;
    default: break;
    }
    rtc_poll(r);
    return true;
}

const DevOps rtc_ops = {.name = "rtc", .read = rtc_read, .write = rtc_write, .reset = rtc_reset};
