/* Goldfish RTC ("google,goldfish-rtc"): wall-clock nanoseconds since the epoch, with one alarm. */
#ifndef LODGE_SYSVM_DEV_RTC_H
#define LODGE_SYSVM_DEV_RTC_H

#include <stdbool.h>
#include <stdint.h>

#include "sysvm/bus.h"
#include "sysvm/irq.h"

#define RTC_SIZE 0x1000

typedef struct Rtc {
    uint64_t (*now_ns)(void *opaque);    /* host wall clock */
    void *opaque;
    int64_t offset_ns;                   /* guest time = host time + offset (the guest may set the clock) */
    uint32_t time_high_latch, alarm_high;
    uint64_t alarm_ns;
    bool alarm_armed, irq_enabled, alarm_fired;
    IrqLine irq;
} Rtc;

extern const DevOps rtc_ops;

void rtc_init(Rtc *r, IrqLine irq, uint64_t (*now_ns)(void *), void *opaque);
void rtc_reset(void *r);
/* Fires the alarm when due (call between slices). */
void rtc_poll(Rtc *r);

#endif
