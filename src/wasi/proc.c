/* wasi/proc.c: the process's world: arguments, environment, clocks, randomness, yielding, exit and
 * signals. */
#include "os/sys.h"
#include "wasi/internal.h"

/* Write n NUL-separated strings: pointers at ptrs, text at buf (both guest addresses). */
static int put_strings(WasiCall *c, uint32_t ptrs, uint32_t buf, const char *s, uint32_t n, uint32_t len)
{
    uint8_t *pm = wasi_mem(c, ptrs, (uint64_t)n * 4);
    uint8_t *bm = wasi_mem(c, buf, len);
    if (!pm || !bm)
        return WASI_EFAULT;
    memcpy(bm, s, len);
    uint32_t off = 0;
    for (uint32_t i = 0; i < n; i++) {
        wasi_st32(pm + 4 * i, buf + off);
        off += (uint32_t)strlen(s + off) + 1;
    }
    return WASI_ESUCCESS;
}

static int put_sizes(WasiCall *c, uint32_t p1, uint32_t v1, uint32_t p2, uint32_t v2)
{
    uint8_t *m1 = wasi_mem(c, p1, 4), *m2 = wasi_mem(c, p2, 4);
    if (!m1 || !m2)
        return WASI_EFAULT;
    wasi_st32(m1, v1);
    wasi_st32(m2, v2);
    return WASI_ESUCCESS;
}

int wasi_proc_args_get(WasiCall *c, const lodge_val_t *a)
{
    return put_strings(c, WASI_A32(0), WASI_A32(1), c->ctx->args, c->ctx->argc, c->ctx->args_len);
}

int wasi_proc_args_sizes_get(WasiCall *c, const lodge_val_t *a)
{
    return put_sizes(c, WASI_A32(0), c->ctx->argc, WASI_A32(1), c->ctx->args_len);
}

int wasi_proc_environ_get(WasiCall *c, const lodge_val_t *a)
{
    return put_strings(c, WASI_A32(0), WASI_A32(1), c->ctx->env, c->ctx->envc, c->ctx->env_len);
}

int wasi_proc_environ_sizes_get(WasiCall *c, const lodge_val_t *a)
{
    return put_sizes(c, WASI_A32(0), c->ctx->envc, WASI_A32(1), c->ctx->env_len);
}

int wasi_proc_clock_res_get(WasiCall *c, const lodge_val_t *a)
{
    uint64_t ns;
    int r = os_sys_clock_res((int)WASI_A32(0), &ns);
    if (r < 0)
        return wasi_errno_from_host(r);
    return wasi_put64(c, WASI_A32(1), ns);
}

int wasi_proc_clock_time_get(WasiCall *c, const lodge_val_t *a)
{
    uint64_t ns;
    int r = os_sys_clock_now((int)WASI_A32(0), &ns);
    if (r < 0)
        return wasi_errno_from_host(r);
    return wasi_put64(c, WASI_A32(2), ns);
}

int wasi_proc_random_get(WasiCall *c, const lodge_val_t *a)
{
    uint8_t *m = wasi_mem(c, WASI_A32(0), WASI_A32(1));
    if (!m)
        return WASI_EFAULT;
    return wasi_errno_from_host(os_sys_random(m, WASI_A32(1)));
}

int wasi_proc_sched_yield(WasiCall *c, const lodge_val_t *a)
{
    return wasi_errno_from_host(os_sys_yield());
}

int wasi_proc_exit(WasiCall *c, const lodge_val_t *a)
{
    /* An exit unwinds the guest like a trap, but the embedder sees LODGE_ERR_EXIT and the code. */
    lodge_error_set(c->err, LODGE_ERR_EXIT, "exit(%u)", WASI_A32(0));
    c->err->exit_code = (int)WASI_A32(0);
    return -1;
}

int wasi_proc_raise(WasiCall *c, const lodge_val_t *a)
{
    /* Signals do not exist inside the sandbox; a signal number beyond the witx enum is invalid. */
    if (WASI_A32(0) > 30)
        return WASI_EINVAL;
    return WASI_ENOSYS;
}
