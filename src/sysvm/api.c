/* The public system-VM API (lodge_machine_* in lodge.h) over the internal Machine: a machine runs its harts on
 * one thread of its own; the embedder's threads control it through requests the run loop picks up between
 * slices, and learn about state changes through one mutex and condition variable.
 * States: CREATED -start-> RUNNING <-pause/resume-> PAUSED; RUNNING/PAUSED -> STOPPED when the run ends. The
 * machine thread makes the PAUSED/RUNNING/STOPPED transitions (so a state read means what it says: PAUSED is
 * only reported once no hart runs); start makes CREATED -> RUNNING. */
#include "lodge.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sysvm/api.h"

struct lodge_machine {
    Machine *vm;
    pthread_t thread;
    bool started;                  /* the thread exists and must be joined */
    pthread_mutex_t lock;          /* guards what follows, and the state's transitions */
    pthread_cond_t changed;        /* broadcast on every state change */
    atomic_int state;              /* lodge_guest_state_t; written under lock, read anywhere */
    lodge_machine_exit_t exit;
    uint32_t fail_code;
    void (*on_thread)(void *opaque, const char *kind); /* lodge_machine_config_t's hook */
    void *on_thread_opaque;
};

static lodge_machine_exit_t exit_of(MachineExit why)
{
    switch (why) {
    case MACHINE_EXIT_POWEROFF: return LODGE_MACHINE_POWEROFF;
    case MACHINE_EXIT_REBOOT: return LODGE_MACHINE_REBOOT;
    case MACHINE_EXIT_FAIL: return LODGE_MACHINE_FAIL;
    case MACHINE_EXIT_STOPPED: return LODGE_MACHINE_STOPPED;
    case MACHINE_EXIT_HALTED: return LODGE_MACHINE_HALTED;
    }
    return LODGE_MACHINE_STOPPED;
}

static void set_state(lodge_machine_t *m, lodge_guest_state_t s)
{
    atomic_store(&m->state, (int)s);
    pthread_cond_broadcast(&m->changed);
}

/* ---- creation ---- */

static bool fail_vm(lodge_error_t *err, const VmError *e)
{
    lodge_status_t st = e->kind == VMERR_IO ? LODGE_ERR_IO : e->kind == VMERR_NOMEM ? LODGE_ERR_NOMEM : LODGE_ERR_ARG;
    return lodge_error_set(err, st, "%s", e->msg);
}

/* The public configuration checked and turned into the machine's, with the defaults lodge.h promises. */
static bool make_config(const lodge_machine_config_t *c, MachineConfig *mc, lodge_error_t *err)
{
    memset(mc, 0, sizeof *mc);
    mc->ram_size = c->mem_bytes ? c->mem_bytes : 256ull << 20;
    if (mc->ram_size < MACHINE_MIN_RAM || mc->ram_size > MACHINE_MAX_RAM || (mc->ram_size & 0xfffff))
        return lodge_error_set(err, LODGE_ERR_ARG, "mem_bytes %llu: need a whole number of MiB from %llu MiB to %llu GiB",
                               (unsigned long long)mc->ram_size, (unsigned long long)(MACHINE_MIN_RAM >> 20),
                               (unsigned long long)(MACHINE_MAX_RAM >> 30));
    mc->nharts = c->cpus ? c->cpus : 1;
    if (mc->nharts > LODGE_MACHINE_MAX_CPUS || mc->nharts > MACHINE_MAX_HARTS)
        return lodge_error_set(err, LODGE_ERR_ARG, "cpus %u: between 1 and %d", c->cpus, LODGE_MACHINE_MAX_CPUS);
    if (!c->kernel || !*c->kernel)
        return lodge_error_set(err, LODGE_ERR_ARG, "no kernel given");
    mc->kernel = c->kernel;
    mc->initrd = c->initrd;
    mc->append = c->cmdline ? c->cmdline : "console=ttyS0";
    mc->bios = c->bios;
    if (c->ndisks > LODGE_MACHINE_MAX_DISKS || c->ndisks > MACHINE_MAX_DISKS)
        return lodge_error_set(err, LODGE_ERR_ARG, "ndisks %u: at most %d", c->ndisks, LODGE_MACHINE_MAX_DISKS);
    for (unsigned i = 0; i < c->ndisks; i++) {
        if (!c->disks[i].path || !*c->disks[i].path)
            return lodge_error_set(err, LODGE_ERR_ARG, "disk %u: no path", i);
        mc->disk[i] = (MachineDisk){.path = c->disks[i].path, .ro = c->disks[i].read_only,
                                    .max_host_bytes = c->disks[i].max_host_bytes};
    }
    mc->ndisks = c->ndisks;
    mc->tap = c->tap && *c->tap ? c->tap : NULL;
    memcpy(mc->mac, c->mac, sizeof mc->mac);
    mc->rng = !c->no_rng;
    mc->vconsole = !c->no_vconsole;
    mc->max_overhead = c->max_overhead;
    switch (c->console) {
    case LODGE_CONSOLE_STREAM: mc->console = TERM_STREAM; break;
    case LODGE_CONSOLE_STDIO: mc->console = TERM_STDIO; break;
    case LODGE_CONSOLE_NONE: mc->console = TERM_NONE; break;
    case LODGE_CONSOLE_FILE:
        if (!c->console_file || !*c->console_file)
            return lodge_error_set(err, LODGE_ERR_ARG, "console FILE without console_file");
        mc->console = TERM_FILE;
        mc->console_file = c->console_file;
        break;
    default:
        return lodge_error_set(err, LODGE_ERR_ARG, "console mode %d unknown", (int)c->console);
    }
    return true;
}

/* Runs on the machine thread when a pause takes effect or ends. */
static void on_pause(void *opaque, bool paused)
{
    lodge_machine_t *m = opaque;
    pthread_mutex_lock(&m->lock);
    set_state(m, paused ? LODGE_STATE_PAUSED : LODGE_STATE_RUNNING);
    pthread_mutex_unlock(&m->lock);
}

lodge_machine_t *lodge_machine_new(const lodge_machine_config_t *cfg, lodge_error_t *err)
{
    if (!cfg) {
        lodge_error_set(err, LODGE_ERR_ARG, "no configuration");
        return NULL;
    }
    MachineConfig mc;
    if (!make_config(cfg, &mc, err))
        return NULL;
    lodge_machine_t *m = calloc(1, sizeof *m);
    if (!m) {
        lodge_error_set(err, LODGE_ERR_NOMEM, "out of memory");
        return NULL;
    }
    mc.on_pause = on_pause;
    mc.hook_opaque = m;
    m->on_thread = cfg->on_thread;
    m->on_thread_opaque = cfg->on_thread_opaque;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);     /* wait's timeout must not follow wall-clock jumps */
    if (pthread_mutex_init(&m->lock, NULL) != 0 || pthread_cond_init(&m->changed, &ca) != 0) {
        pthread_condattr_destroy(&ca);
        free(m);
        lodge_error_set(err, LODGE_ERR_NOMEM, "out of memory for the machine's lock");
        return NULL;
    }
    pthread_condattr_destroy(&ca);
    atomic_init(&m->state, LODGE_STATE_CREATED);
    VmError e = {{0}, VMERR_ARG};
    if (!(m->vm = machine_new(&mc, &e))) {
        fail_vm(err, &e);
        pthread_cond_destroy(&m->changed);
        pthread_mutex_destroy(&m->lock);
        free(m);
        return NULL;
    }
    return m;
}

/* ---- running ---- */

static void *run_thread(void *arg)
{
    lodge_machine_t *m = arg;
    /* This one thread runs every hart and the device work they trigger. */
    if (m->on_thread)
        m->on_thread(m->on_thread_opaque, "hart");
    MachineExit why = machine_run(m->vm);
    pthread_mutex_lock(&m->lock);
    m->exit = exit_of(why);
    m->fail_code = machine_fail_code(m->vm);
    set_state(m, LODGE_STATE_STOPPED);
    pthread_mutex_unlock(&m->lock);
    return NULL;
}

bool lodge_machine_start(lodge_machine_t *m, lodge_error_t *err)
{
    pthread_mutex_lock(&m->lock);
    int st = atomic_load(&m->state);
    if (st != LODGE_STATE_CREATED || m->started) {
        pthread_mutex_unlock(&m->lock);
        return lodge_error_set(err, LODGE_ERR_ARG, "machine is %s: only a created machine starts",
                               lodge_state_name((lodge_guest_state_t)st));
    }
    /* The embedder's signals are for the embedder's threads: the machine thread blocks the asynchronous
     * ones (faults stay deliverable), and inherits the mask from here. */
    sigset_t block, old;
    sigfillset(&block);
    sigdelset(&block, SIGSEGV);
    sigdelset(&block, SIGBUS);
    sigdelset(&block, SIGFPE);
    sigdelset(&block, SIGILL);
    sigdelset(&block, SIGABRT);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    set_state(m, LODGE_STATE_RUNNING);         /* before the thread exists: its STOPPED must come after */
    int r = pthread_create(&m->thread, NULL, run_thread, m);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (r != 0) {
        set_state(m, LODGE_STATE_CREATED);
        pthread_mutex_unlock(&m->lock);
        return lodge_error_set(err, r == EAGAIN ? LODGE_ERR_NOMEM : LODGE_ERR_IO, "cannot start the machine thread: %s",
                               strerror(r));
    }
    m->started = true;
    pthread_mutex_unlock(&m->lock);
    return true;
}

bool lodge_machine_pause(lodge_machine_t *m, lodge_error_t *err)
{
    pthread_mutex_lock(&m->lock);
    int st = atomic_load(&m->state);
    if (st != LODGE_STATE_RUNNING) {
        pthread_mutex_unlock(&m->lock);
        return lodge_error_set(err, LODGE_ERR_ARG, "machine is %s, not running", lodge_state_name((lodge_guest_state_t)st));
    }
    machine_request_pause(m->vm, true);
    while ((st = atomic_load(&m->state)) == LODGE_STATE_RUNNING)
        pthread_cond_wait(&m->changed, &m->lock);
    pthread_mutex_unlock(&m->lock);
    if (st != LODGE_STATE_PAUSED)
        return lodge_error_set(err, LODGE_ERR_ARG, "machine is %s: the run ended before it paused",
                               lodge_state_name((lodge_guest_state_t)st));
    return true;
}

bool lodge_machine_resume(lodge_machine_t *m, lodge_error_t *err)
{
    pthread_mutex_lock(&m->lock);
    int st = atomic_load(&m->state);
    if (st != LODGE_STATE_PAUSED) {
        pthread_mutex_unlock(&m->lock);
        return lodge_error_set(err, LODGE_ERR_ARG, "machine is %s, not paused", lodge_state_name((lodge_guest_state_t)st));
    }
    machine_request_pause(m->vm, false);
    while (atomic_load(&m->state) == LODGE_STATE_PAUSED)
        pthread_cond_wait(&m->changed, &m->lock);
    pthread_mutex_unlock(&m->lock);
    return true;
}

void lodge_machine_stop(lodge_machine_t *m)
{
    if (m)
        machine_request_stop(m->vm);   /* an atomic bit and an eventfd write: async-signal-safe */
}

/* The guest is asked through its power button (virtio-input KEY_POWER; docs/machine-api.md says why): a
 * guest that listens powers off, and the run ends POWEROFF. A paused machine gets the press when it resumes. */
bool lodge_machine_shutdown(lodge_machine_t *m, lodge_error_t *err)
{
    int st = atomic_load(&m->state);
    if (st != LODGE_STATE_RUNNING && st != LODGE_STATE_PAUSED)
        return lodge_error_set(err, LODGE_ERR_ARG, "machine is %s: only a running machine shuts down",
                               lodge_state_name((lodge_guest_state_t)st));
    machine_request_shutdown(m->vm);
    return true;
}

bool lodge_machine_wait(lodge_machine_t *m, int timeout_ms, lodge_machine_exit_t *exit)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    if (timeout_ms > 0) {
        until.tv_sec += timeout_ms / 1000;
        until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
    }
    pthread_mutex_lock(&m->lock);
    int st;
    while ((st = atomic_load(&m->state)) != LODGE_STATE_STOPPED && st != LODGE_STATE_CRASHED) {
        if (timeout_ms < 0)
            pthread_cond_wait(&m->changed, &m->lock);
        else if (timeout_ms == 0 || pthread_cond_timedwait(&m->changed, &m->lock, &until) == ETIMEDOUT)
            break;
    }
    st = atomic_load(&m->state);
    bool ended = st == LODGE_STATE_STOPPED || st == LODGE_STATE_CRASHED;
    if (exit)
        *exit = ended ? m->exit : LODGE_MACHINE_NOT_EXITED;
    pthread_mutex_unlock(&m->lock);
    return ended;
}

lodge_guest_state_t lodge_machine_state(const lodge_machine_t *m)
{
    return (lodge_guest_state_t)atomic_load(&((lodge_machine_t *)m)->state);
}

void lodge_machine_stats(const lodge_machine_t *m, lodge_machine_stats_t *out)
{
    lodge_machine_t *mm = (lodge_machine_t *)m;    /* the lock is not part of what const promises */
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&mm->lock);
    out->state = (lodge_guest_state_t)atomic_load(&mm->state);
    out->exit = out->state == LODGE_STATE_STOPPED ? mm->exit : LODGE_MACHINE_NOT_EXITED;
    out->fail_code = mm->fail_code;
    pthread_mutex_unlock(&mm->lock);
    MachineStats s;
    machine_stats(mm->vm, &s);
    out->instructions = s.instructions;
    out->run_ns = s.run_ns;
    out->mem_bytes = machine_ram_size(mm->vm);
    out->mem_resident = machine_ram_resident(mm->vm);
    out->overhead_bytes = s.overhead_bytes + sizeof *mm;     /* the machine's and this handle's */
    out->disk_io_errors = s.disk_io_errors;
    out->disk_limit_refusals = s.disk_limit_refusals;
    out->rate_limited = s.rate_limited;
    out->disk_read_bytes = s.disk_read_bytes;
    out->disk_write_bytes = s.disk_write_bytes;
    out->disk_reads = s.disk_reads;
    out->disk_writes = s.disk_writes;
    out->net_rx_bytes = s.net_rx_bytes;
    out->net_tx_bytes = s.net_tx_bytes;
    out->traps = s.traps;
    out->interrupts = s.interrupts;
    out->sbi_calls = s.sbi_calls;
    out->mmio_accesses = s.mmio_accesses;
    out->console_dropped = s.console_dropped;
}

int lodge_machine_console_fd(const lodge_machine_t *m)
{
    return machine_console_fd(m->vm);
}

void lodge_machine_delete(lodge_machine_t *m)
{
    if (!m)
        return;
    pthread_mutex_lock(&m->lock);
    bool started = m->started;
    m->started = false;
    pthread_mutex_unlock(&m->lock);
    if (started) {
        machine_request_stop(m->vm);
        pthread_join(m->thread, NULL);
    }
    machine_delete(m->vm);              /* flushes the disks, restores the terminal */
    pthread_cond_destroy(&m->changed);
    pthread_mutex_destroy(&m->lock);
    free(m);
}

const char *lodge_state_name(lodge_guest_state_t state)
{
    switch (state) {
    case LODGE_STATE_CREATED: return "created";
    case LODGE_STATE_RUNNING: return "running";
    case LODGE_STATE_PAUSED: return "paused";
    case LODGE_STATE_STOPPED: return "stopped";
    case LODGE_STATE_CRASHED: return "crashed";
    }
    return "unknown";
}

const char *lodge_machine_exit_name(lodge_machine_exit_t exit)
{
    switch (exit) {
    case LODGE_MACHINE_NOT_EXITED: return "not exited";
    case LODGE_MACHINE_POWEROFF: return "poweroff";
    case LODGE_MACHINE_REBOOT: return "reboot";
    case LODGE_MACHINE_FAIL: return "fail";
    case LODGE_MACHINE_STOPPED: return "stopped";
    case LODGE_MACHINE_HALTED: return "halted";
    }
    return "unknown";
}

Machine *api_machine(const lodge_machine_t *m)
{
    return m->vm;
}

static RateLimitConfig limit_of(const lodge_rate_limiter_t *r)
{
    return (RateLimitConfig){
        .bandwidth = {r->bandwidth.size, r->bandwidth.one_time_burst, r->bandwidth.refill_time_ms},
        .ops = {r->ops.size, r->ops.one_time_burst, r->ops.refill_time_ms},
    };
}

/* The machine keeps the new limits under a lock of its own and its run loop applies them between slices, so
 * this needs no state check: before the start, while running or paused, or after the end. */
bool lodge_machine_set_rate_limit(lodge_machine_t *m, const char *device, const lodge_rate_limit_t *rl,
                                  lodge_error_t *err)
{
    static const lodge_rate_limit_t none;
    if (!rl)
        rl = &none;
    RateLimitConfig io = limit_of(&rl->rate_limiter), rx = limit_of(&rl->rx_rate_limiter),
                    tx = limit_of(&rl->tx_rate_limiter);
    VmError e = {{0}, VMERR_ARG};
    if (!machine_set_rate_limit(m->vm, device, &io, &rx, &tx, &e))
        return fail_vm(err, &e);
    return true;
}
