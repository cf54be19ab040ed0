/* Lodge's SBI implementation. Register use (SBI 2.0, chapter 3): a7 = extension, a6 = function,
 * a0..a5 = arguments; returns error in a0 and value in a1. Legacy extensions (0x00..0x08) return in a0 only. */
#include "sysvm/riscv/sbi.h"

enum { A0 = 10, A1 = 11, A2 = 12, A3 = 13, A4 = 14, A5 = 15, A6 = 16, A7 = 17 };

#define EXT_BASE 0x10
#define EXT_TIME 0x54494D45
#define EXT_IPI 0x735049
#define EXT_RFENCE 0x52464E43
#define EXT_HSM 0x48534D
#define EXT_SRST 0x53525354
#define EXT_DBCN 0x4442434E

#define SBI_SPEC_VERSION (2u << 24 | 0u)     /* 2.0 */
#define SBI_IMPL_ID 0x4c4f                   /* not a registered id: "LO" */
#define SBI_IMPL_VERSION 1

enum {
    SBI_SUCCESS = 0, SBI_ERR_FAILED = -1, SBI_ERR_NOT_SUPPORTED = -2, SBI_ERR_INVALID_PARAM = -3,
    SBI_ERR_DENIED = -4, SBI_ERR_INVALID_ADDRESS = -5, SBI_ERR_ALREADY_AVAILABLE = -6,
    SBI_ERR_ALREADY_STARTED = -7, SBI_ERR_ALREADY_STOPPED = -8,
};
enum { HSM_STARTED = 0, HSM_STOPPED = 1 };

typedef struct Ret {
    int64_t err;
    uint64_t val;
} Ret;

static Ret ok(uint64_t v) { return (Ret){SBI_SUCCESS, v}; }
static Ret fail(int64_t e) { return (Ret){e, 0}; }

/* Runs fn on every hart selected by (mask, base); base == -1 selects all harts. */
static int64_t for_harts(const SbiHost *host, uint64_t mask, uint64_t base, void (*fn)(const SbiHost *, Hart *))
{
    if (base == UINT64_MAX) {
        for (unsigned i = 0; i < host->nharts; i++)
            fn(host, host->hart(host->opaque, i));
        return SBI_SUCCESS;
    }
    for (unsigned b = 0; b < 64; b++) {
        if (!(mask >> b & 1))
            continue;
        if (base + b < base || base + b >= host->nharts)
            return SBI_ERR_INVALID_PARAM;
    }
    for (unsigned b = 0; b < 64; b++)
        if (mask >> b & 1)
            fn(host, host->hart(host->opaque, (unsigned)(base + b)));
    return SBI_SUCCESS;
}

static void send_ipi(const SbiHost *host, Hart *h)
{
    hart_set_mip(h, MIP_SSIP, true);
}

/* Drops the target's cached translations (sfence.vma on that hart; a whole flush covers any range/ASID). */
static void flush_tlb(const SbiHost *host, Hart *h)
{
    hart_flush_tlb(h);
}

/* Decoded code already follows every store (hart_set_peers), so a remote fence.i has nothing left to do. */
static void fence_i(const SbiHost *host, Hart *h)
{
}

static bool known_ext(uint64_t ext)
{
    switch (ext) {
    case EXT_BASE: case EXT_TIME: case EXT_IPI: case EXT_RFENCE: case EXT_HSM: case EXT_SRST: case EXT_DBCN:
    case 0x00: case 0x01: case 0x02: case 0x03: case 0x04: case 0x05: case 0x06: case 0x07: case 0x08:
        return true;
    default:
        return false;
    }
}

static Ret base_ext(uint64_t fid, uint64_t a0)
{
    switch (fid) {
    case 0: return ok(SBI_SPEC_VERSION);
    case 1: return ok(SBI_IMPL_ID);
    case 2: return ok(SBI_IMPL_VERSION);
    case 3: return ok(known_ext(a0));
    case 4: case 5: case 6: return ok(0);        /* mvendorid, marchid, mimpid */
    default: return fail(SBI_ERR_NOT_SUPPORTED);
    }
}

static Ret hsm_ext(const SbiHost *host, Hart *self, uint64_t fid, const uint64_t *a)
{
    switch (fid) {
    case 0: {                                   /* hart_start(hartid, start_addr, opaque) */
        if (a[0] >= host->nharts)
            return fail(SBI_ERR_INVALID_PARAM);
        Hart *t = host->hart(host->opaque, (unsigned)a[0]);
        if (!hart_is_stopped(t))
            return fail(SBI_ERR_ALREADY_AVAILABLE);
        host->hart_start(host->opaque, (unsigned)a[0], a[1], a[2]);
        return ok(0);
    }
    case 1:                                     /* hart_stop(): does not return on success */
        hart_set_stopped(self, true);
        return ok(0);
    case 2:                                     /* hart_get_status(hartid) */
        if (a[0] >= host->nharts)
            return fail(SBI_ERR_INVALID_PARAM);
        return ok(hart_is_stopped(host->hart(host->opaque, (unsigned)a[0])) ? HSM_STOPPED : HSM_STARTED);
    default:
        return fail(SBI_ERR_NOT_SUPPORTED);     /* hart_suspend: the kernel falls back to wfi */
    }
}

static Ret dbcn_ext(const SbiHost *host, uint64_t fid, const uint64_t *a)
{
    switch (fid) {
    case 0: {                                   /* write(num_bytes, base_lo, base_hi) */
        uint64_t n = a[0] > 4096 ? 4096 : a[0];
        uint8_t buf[4096];
        if (!host->read_mem(host->opaque, a[1], buf, (size_t)n))
            return fail(SBI_ERR_INVALID_PARAM);
        for (uint64_t i = 0; i < n; i++)
            host->putc(host->opaque, buf[i]);
        return ok(n);
    }
    case 1:                                     /* read: console input goes to the UART instead */
        return ok(0);
    case 2:                                     /* write_byte(byte) */
        host->putc(host->opaque, (uint8_t)a[0]);
        return ok(0);
    default:
        return fail(SBI_ERR_NOT_SUPPORTED);
    }
}

static Ret srst_ext(const SbiHost *host, uint64_t fid, const uint64_t *a)
{
    if (fid != 0)
        return fail(SBI_ERR_NOT_SUPPORTED);
    if (a[0] > SBI_RESET_WARM_REBOOT || a[1] > SBI_REASON_FAILURE)
        return fail(SBI_ERR_INVALID_PARAM);
    host->reset(host->opaque, (uint32_t)a[0], (uint32_t)a[1]);
    return ok(0);
}

bool sbi_handle(const SbiHost *host, Hart *h, SbiStats *st)
{
    uint64_t ext = hart_get_reg(h, A7), fid = hart_get_reg(h, A6);
    uint64_t a[6];
    for (int i = 0; i < 6; i++)
        a[i] = hart_get_reg(h, A0 + i);
    unsigned self = hart_id(h);
    Ret r;

    if (ext <= 0x08) {                          /* legacy extensions: one result in a0 */
        st->legacy++;
        int64_t v = 0;
        switch (ext) {
        case 0x00: host->set_timer(host->opaque, self, a[0]); hart_set_mip(h, MIP_STIP, false); break;
        case 0x01: host->putc(host->opaque, (uint8_t)a[0]); break;
        case 0x02: v = host->getc(host->opaque); break;
        case 0x03: hart_set_mip(h, MIP_SSIP, false); break;
        case 0x08: host->reset(host->opaque, SBI_RESET_SHUTDOWN, SBI_REASON_NONE); break;
        /* 0x04..0x07 take a pointer to a hart mask in the caller's virtual memory: the v0.2+ IPI and
         * RFENCE extensions replace them and every kernel that probes the base extension uses those. */
        default: v = SBI_ERR_NOT_SUPPORTED; break;
        }
        hart_set_reg(h, A0, (uint64_t)v);
        return true;
    }

    switch (ext) {
    case EXT_BASE: st->base++; r = base_ext(fid, a[0]); break;
    case EXT_TIME:
        st->time++;
        if (fid == 0) {
            host->set_timer(host->opaque, self, a[0]);
            r = ok(0);
        } else {
            r = fail(SBI_ERR_NOT_SUPPORTED);
        }
        break;
    case EXT_IPI:
        st->ipi++;
        r = fid == 0 ? fail(for_harts(host, a[0], a[1], send_ipi)) : fail(SBI_ERR_NOT_SUPPORTED);
        break;
    case EXT_RFENCE:
        st->rfence++;
        if (fid == 0) r = fail(for_harts(host, a[0], a[1], fence_i));
        else if (fid == 1 || fid == 2) r = fail(for_harts(host, a[0], a[1], flush_tlb));
        else r = fail(SBI_ERR_NOT_SUPPORTED);   /* hypervisor fences: no H extension */
        break;
    case EXT_HSM: st->hsm++; r = hsm_ext(host, h, fid, a); break;
    case EXT_SRST: st->srst++; r = srst_ext(host, fid, a); break;
    case EXT_DBCN: st->dbcn++; r = dbcn_ext(host, fid, a); break;
    default: st->unknown++; r = fail(SBI_ERR_NOT_SUPPORTED); break;
    }
    hart_set_reg(h, A0, (uint64_t)r.err);
    hart_set_reg(h, A1, r.val);
    return true;
}
