/* lodge.h: the public C API of Lodge: the process VM (WebAssembly, with WASI) and the system VM (RISC-V
 * machines). The hypervisor (src/mgr) is written against this header like any other embedder.
 * Process VM: Engine -> Module (decoded, validated, compiled once) -> Store (one guest's world and its
 * memory budget) -> Instance; lodge_wasi_* gives a store's instance the WASI preview1 system interface.
 * System VM: lodge_machine_* configures a machine, runs it on threads of its own, and hands its console to
 * the embedder as a byte stream.
 * Every fallible call returns NULL/false and fills a caller-supplied lodge_error_t.
 * Thread-safety: an engine and a module may be shared between threads; a store and everything in it
 * belong to one thread at a time, except lodge_store_interrupt(), which any thread may call. A machine's
 * control calls (pause, resume, stop, wait, stats) may come from any thread. */
#ifndef LODGE_H
#define LODGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define LODGE_API __attribute__((visibility("default")))
#else
#define LODGE_API
#endif

/* ---- Errors and traps ------------------------------------------------------------------------- */

typedef enum lodge_status {
    LODGE_OK = 0,
    LODGE_ERR_MALFORMED,   /* bytes are not a WebAssembly binary (decode error) */
    LODGE_ERR_INVALID,     /* well-formed but fails validation */
    LODGE_ERR_UNLINKABLE,  /* imports do not match */
    LODGE_ERR_TRAP,        /* a guest trapped; see lodge_error_t.trap */
    LODGE_ERR_EXIT,        /* a host function asked the guest to exit (WASI proc_exit); see exit_code */
    LODGE_ERR_NOMEM,       /* out of host memory or over the store's memory limit */
    LODGE_ERR_IO,          /* a host file or system call failed */
    LODGE_ERR_ARG,         /* wrong argument from the embedder (bad type, count, name) */
} lodge_status_t;

typedef enum lodge_trap_kind {
    LODGE_TRAP_NONE = 0,
    LODGE_TRAP_UNREACHABLE,
    LODGE_TRAP_MEMORY_OOB,       /* out of bounds memory access */
    LODGE_TRAP_TABLE_OOB,        /* out of bounds table access */
    LODGE_TRAP_INDIRECT_NULL,    /* uninitialized element */
    LODGE_TRAP_INDIRECT_TYPE,    /* indirect call type mismatch */
    LODGE_TRAP_DIV_ZERO,         /* integer divide by zero */
    LODGE_TRAP_INT_OVERFLOW,     /* integer overflow */
    LODGE_TRAP_INVALID_CONV,     /* invalid conversion to integer */
    LODGE_TRAP_STACK_EXHAUSTED,  /* call stack exhausted */
    LODGE_TRAP_INTERRUPTED,      /* lodge_store_interrupt() or fuel ran out */
    LODGE_TRAP_HOST,             /* a host function reported an error */
    LODGE_TRAP_NULL_REF,         /* null reference */
    LODGE_TRAP_MEMORY_LIMIT,     /* the store's memory limit refused an allocation at instantiation */
    LODGE_TRAP_UNDEFINED_ELEMENT,/* call_indirect past the end of the table */
    LODGE_TRAP_OUT_OF_MEMORY,    /* the host could not allocate for the guest (or the store's limit refused) */
} lodge_trap_kind_t;

#define LODGE_ERROR_MSG_MAX 256
#define LODGE_BACKTRACE_MAX 1024

typedef struct lodge_error {
    lodge_status_t status;
    lodge_trap_kind_t trap;          /* when status == LODGE_ERR_TRAP */
    int exit_code;                   /* when status == LODGE_ERR_EXIT */
    size_t offset;                   /* byte offset in the module for MALFORMED/INVALID, else 0 */
    char message[LODGE_ERROR_MSG_MAX];
    char backtrace[LODGE_BACKTRACE_MAX]; /* "  0: func_name\n  1: ..." innermost first; may be empty */
} lodge_error_t;

/* The spec's wording for a trap kind ("integer divide by zero", ...). Never NULL. */
LODGE_API const char *lodge_trap_name(lodge_trap_kind_t kind);
/* Fill err with a status and a printf-style message; returns false so callers can `return lodge_fail(...)`. */
LODGE_API bool lodge_error_set(lodge_error_t *err, lodge_status_t status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* ---- Values and types ------------------------------------------------------------------------- */

/* Value types use their WebAssembly binary encodings. */
typedef uint8_t lodge_valtype_t;
#define LODGE_I32 0x7F
#define LODGE_I64 0x7E
#define LODGE_F32 0x7D
#define LODGE_F64 0x7C
#define LODGE_V128 0x7B
#define LODGE_FUNCREF 0x70
#define LODGE_EXTERNREF 0x6F

typedef struct lodge_func lodge_func_t;

/* A value. Floats are carried as raw bits so NaN payloads survive. A funcref is a lodge_func_t*
 * (NULL is ref.null func); an externref is any host pointer (NULL is ref.null extern). */
typedef struct lodge_val {
    lodge_valtype_t type;
    union {
        int32_t i32;
        int64_t i64;
        uint32_t f32_bits;
        uint64_t f64_bits;
        lodge_func_t *func;
        void *ext;
    } of;
} lodge_val_t;

typedef struct lodge_functype {
    uint32_t nparams, nresults;
    const lodge_valtype_t *params;   /* borrowed */
    const lodge_valtype_t *results;  /* borrowed */
} lodge_functype_t;

typedef struct lodge_limits {
    uint32_t min;
    uint32_t max;        /* valid when has_max */
    bool has_max;
} lodge_limits_t;

typedef enum lodge_extern_kind {
    LODGE_EXTERN_FUNC = 0,
    LODGE_EXTERN_TABLE = 1,
    LODGE_EXTERN_MEMORY = 2,
    LODGE_EXTERN_GLOBAL = 3,
} lodge_extern_kind_t;

typedef struct lodge_table lodge_table_t;
typedef struct lodge_memory lodge_memory_t;
typedef struct lodge_global lodge_global_t;

typedef struct lodge_extern {
    lodge_extern_kind_t kind;
    union {
        lodge_func_t *func;
        lodge_table_t *table;
        lodge_memory_t *memory;
        lodge_global_t *global;
    } of;
} lodge_extern_t;

/* ---- Engine and modules ----------------------------------------------------------------------- */

typedef struct lodge_engine lodge_engine_t;
typedef struct lodge_module lodge_module_t;

typedef struct lodge_config {
    uint32_t max_call_depth;      /* wasm frames before "call stack exhausted"; 0 = default (10000) */
    size_t max_value_stack;       /* bytes of value stack per call; 0 = default (8 MiB) */
    bool bounds_checks;           /* force explicit bounds checks instead of guard pages */
    bool copy_data_segments;      /* write data segments into each new memory instead of mapping the
                                     module's copy-on-write image of its initial memory (for comparison) */
} lodge_config_t;

/* cfg may be NULL for defaults. Returns NULL only when out of memory. */
LODGE_API lodge_engine_t *lodge_engine_new(const lodge_config_t *cfg);
LODGE_API void lodge_engine_delete(lodge_engine_t *engine);

/* Decode, validate and compile a binary module. The bytes are copied; the module is immutable
 * afterwards and may be instantiated many times, from many threads. */
LODGE_API lodge_module_t *lodge_module_new(lodge_engine_t *engine, const uint8_t *bytes, size_t len,
                                           lodge_error_t *err);
LODGE_API void lodge_module_delete(lodge_module_t *module);
/* Bytes the module holds: its decoded parts, its copy of the bytes and the code lowered so far (a
 * module is shared by the stores instantiating it, so these are counted here, not in any store). */
LODGE_API size_t lodge_module_memory_used(const lodge_module_t *module);
/* Validate only (no compile); true when the bytes are a valid module. */
LODGE_API bool lodge_module_validate(lodge_engine_t *engine, const uint8_t *bytes, size_t len,
                                     lodge_error_t *err);

typedef struct lodge_import_desc {
    const char *module, *name;       /* borrowed from the module; NUL-terminated */
    size_t module_len, name_len;     /* byte lengths (names may contain NUL) */
    lodge_extern_kind_t kind;
    lodge_functype_t func;           /* when kind == FUNC */
    lodge_valtype_t valtype;         /* GLOBAL: value type; TABLE: element type */
    bool mutable_;                   /* GLOBAL */
    lodge_limits_t limits;           /* TABLE, MEMORY */
} lodge_import_desc_t;

typedef struct lodge_export_desc {
    const char *name;                /* borrowed from the module; NUL-terminated */
    size_t name_len;                 /* byte length (names may contain NUL) */
    lodge_extern_kind_t kind;
    uint32_t index;
} lodge_export_desc_t;

LODGE_API uint32_t lodge_module_num_imports(const lodge_module_t *module);
LODGE_API void lodge_module_import(const lodge_module_t *module, uint32_t i, lodge_import_desc_t *out);
LODGE_API uint32_t lodge_module_num_exports(const lodge_module_t *module);
LODGE_API void lodge_module_export(const lodge_module_t *module, uint32_t i, lodge_export_desc_t *out);

/* ---- Stores ---------------------------------------------------------------------------------- */

typedef struct lodge_store lodge_store_t;

typedef struct lodge_store_limits {
    size_t max_memory;      /* bytes of everything the store holds (linear memory, tables, instances,
                               functions, globals, the guest's stacks); 0 = unlimited */
    uint64_t fuel;          /* loop back-edges and calls before LODGE_TRAP_INTERRUPTED; 0 = unlimited */
} lodge_store_limits_t;

LODGE_API lodge_store_t *lodge_store_new(lodge_engine_t *engine, const lodge_store_limits_t *limits);
/* Frees the store and every instance, function, table, memory and global created in it. */
LODGE_API void lodge_store_delete(lodge_store_t *store);
/* Any thread: make running guest code in this store trap with LODGE_TRAP_INTERRUPTED soon
 * (checked at loop back-edges and calls). Cleared when the trap is delivered. */
LODGE_API void lodge_store_interrupt(lodge_store_t *store);
/* Bytes currently accounted to the store. */
LODGE_API size_t lodge_store_memory_used(const lodge_store_t *store);
LODGE_API void lodge_store_set_fuel(lodge_store_t *store, uint64_t fuel);
/* Fuel left when the store has a fuel limit (taken in chunks while guest code runs, so exact only
 * between calls); 0 when unlimited. */
LODGE_API uint64_t lodge_store_fuel(const lodge_store_t *store);
/* For schedulers that share a few threads among many guests. When guest code in the store meets an
 * interrupt request (lodge_store_interrupt(), checked at loop back-edges and calls), fn is called on the
 * thread running it: true lets the guest go on where it was, false traps with LODGE_TRAP_INTERRUPTED as
 * without a handler. fn may block, or switch the thread to another stack (a coroutine running another
 * store's guest) and come back later, even on another thread, if it brackets the switch with
 * lodge_thread_suspend()/lodge_thread_resume(). fn NULL: no handler. */
typedef bool (*lodge_interrupt_fn)(void *data, lodge_store_t *store);
LODGE_API void lodge_store_set_interrupt_handler(lodge_store_t *store, lodge_interrupt_fn fn, void *data);
/* While guest code runs, Lodge keeps one pointer per thread (where a fault in guest memory returns to).
 * Code that leaves a guest's stack for another one (a coroutine switch, in an interrupt handler or a host
 * function) takes it before the switch and gives it back after, on whichever thread the guest continues. */
LODGE_API void *lodge_thread_suspend(void);
LODGE_API void lodge_thread_resume(void *state);
/* Opaque pointer for the embedder (e.g. WASI state). */
LODGE_API void lodge_store_set_data(lodge_store_t *store, void *data);
LODGE_API void *lodge_store_data(const lodge_store_t *store);

/* ---- Host functions --------------------------------------------------------------------------- */

typedef struct lodge_caller lodge_caller_t;

/* A host function. args has type->nparams values, results room for type->nresults (write their
 * values, types are filled in by Lodge). Return true on success; to trap, fill err (status TRAP
 * with trap HOST, or EXIT with exit_code) and return false. */
typedef bool (*lodge_host_fn)(void *env, lodge_caller_t *caller, const lodge_val_t *args,
                              lodge_val_t *results, lodge_error_t *err);

/* The type is copied. finalizer (may be NULL) is called on env when the store is deleted. */
LODGE_API lodge_func_t *lodge_func_new(lodge_store_t *store, const lodge_functype_t *type, lodge_host_fn fn,
                                       void *env, void (*finalizer)(void *env));
/* The export `name` of the instance whose code called the host function; false if none. */
LODGE_API bool lodge_caller_export(lodge_caller_t *caller, const char *name, lodge_extern_t *out);
LODGE_API lodge_store_t *lodge_caller_store(lodge_caller_t *caller);
/* Memory 0 of the instance whose code called the host function (imported or its own), or NULL. */
LODGE_API lodge_memory_t *lodge_caller_memory(lodge_caller_t *caller);

/* ---- Instances -------------------------------------------------------------------------------- */

typedef struct lodge_instance lodge_instance_t;

/* imports[i] satisfies lodge_module_import(module, i). Runs data/element initialisation and the
 * start function. On failure returns NULL: UNLINKABLE, TRAP (start function or init trapped; the
 * instance's effects on imported memories and tables remain, as the spec requires), NOMEM. */
LODGE_API lodge_instance_t *lodge_instance_new(lodge_store_t *store, const lodge_module_t *module,
                                               const lodge_extern_t *imports, size_t nimports,
                                               lodge_error_t *err);
LODGE_API bool lodge_instance_export(const lodge_instance_t *instance, const char *name, lodge_extern_t *out);
/* The same for a name of `len` bytes, which may contain NUL. */
LODGE_API bool lodge_instance_export_n(const lodge_instance_t *instance, const char *name, size_t len,
                                       lodge_extern_t *out);
LODGE_API const lodge_module_t *lodge_instance_module(const lodge_instance_t *instance);

/* ---- Functions, globals, tables, memories ------------------------------------------------------ */

LODGE_API void lodge_func_type(const lodge_func_t *func, lodge_functype_t *out);
/* Call func. args must match the parameter types; results has room for nresults values.
 * On a trap returns false and fills err (status TRAP with trap kind, message and backtrace). */
LODGE_API bool lodge_func_call(lodge_store_t *store, lodge_func_t *func, const lodge_val_t *args, size_t nargs,
                               lodge_val_t *results, size_t nresults, lodge_error_t *err);
/* The function's name from the name section (or its export name), or NULL. */
LODGE_API const char *lodge_func_name(const lodge_func_t *func);

LODGE_API lodge_global_t *lodge_global_new(lodge_store_t *store, lodge_valtype_t type, bool mutable_,
                                           lodge_val_t init);
LODGE_API lodge_val_t lodge_global_get(const lodge_global_t *global);
LODGE_API bool lodge_global_set(lodge_global_t *global, lodge_val_t val, lodge_error_t *err);
LODGE_API void lodge_global_type(const lodge_global_t *global, lodge_valtype_t *type, bool *mutable_);

LODGE_API lodge_table_t *lodge_table_new(lodge_store_t *store, lodge_valtype_t elem, lodge_limits_t limits,
                                         lodge_val_t init, lodge_error_t *err);
LODGE_API uint32_t lodge_table_size(const lodge_table_t *table);
LODGE_API bool lodge_table_get(const lodge_table_t *table, uint32_t i, lodge_val_t *out);
LODGE_API bool lodge_table_set(lodge_table_t *table, uint32_t i, lodge_val_t val);
LODGE_API void lodge_table_type(const lodge_table_t *table, lodge_valtype_t *elem, lodge_limits_t *limits);
/* Grow by delta elements set to init; returns the old size, or -1 if it cannot grow (maximum, memory limit). */
LODGE_API int64_t lodge_table_grow(lodge_table_t *table, uint32_t delta, lodge_val_t init);

LODGE_API lodge_memory_t *lodge_memory_new(lodge_store_t *store, lodge_limits_t limits, lodge_error_t *err);
/* Borrowed; valid until the memory grows. */
LODGE_API uint8_t *lodge_memory_data(const lodge_memory_t *memory);
LODGE_API size_t lodge_memory_size(const lodge_memory_t *memory); /* bytes */
/* Grow by delta pages; returns the old size in pages, or -1 if it cannot grow. */
LODGE_API int64_t lodge_memory_grow(lodge_memory_t *memory, uint32_t delta);
LODGE_API void lodge_memory_type(const lodge_memory_t *memory, lodge_limits_t *limits);

/* ---- WASI preview1 ---------------------------------------------------------------------------- */

/* What a WASI guest may touch. Everything is copied by lodge_wasi_new. */
typedef struct lodge_wasi_dir {
    const char *host_path;   /* host directory to preopen */
    const char *guest_path;  /* the name the guest sees (fd_prestat_dir_name); NULL: host_path */
    bool read_only;          /* no right that would create, change or remove anything */
} lodge_wasi_dir_t;

typedef struct lodge_wasi_config {
    int argc;
    const char *const *argv;
    int envc;
    const char *const *env;          /* "KEY=VALUE" */
    int ndirs;
    const lodge_wasi_dir_t *dirs;    /* become the guest's fds 3+nlisten, 4+nlisten, ... in order */
    int nlisten;
    const char *const *listen;       /* "HOST:PORT": listening TCP sockets, the guest's fds 3, 4, ... */
    int stdin_fd, stdout_fd, stderr_fd; /* host fds behind the guest's 0, 1, 2 (borrowed, never closed);
                                         * -1: the guest's fd is closed (EBADF) */
} lodge_wasi_config_t;

typedef struct lodge_wasi lodge_wasi_t;

/* A WASI context for one instance in `store`. Its memory is accounted to the store (so the store's
 * max_memory bounds it) and it is freed with the store. NULL with err: IO (a directory or address that
 * cannot be opened, named in the message), NOMEM. */
LODGE_API lodge_wasi_t *lodge_wasi_new(lodge_store_t *store, const lodge_wasi_config_t *cfg, lodge_error_t *err);
/* Fill imports[i] for every wasi_snapshot_preview1 import of module (and set linked[i]; linked may be
 * NULL); other imports are left alone. UNLINKABLE for an unknown WASI name or a wrong type. */
LODGE_API bool lodge_wasi_link(lodge_wasi_t *wasi, const lodge_module_t *module, lodge_extern_t *imports,
                               bool *linked, lodge_error_t *err);
/* Link and instantiate a module whose imports are all WASI; UNLINKABLE names the first other import. */
LODGE_API lodge_instance_t *lodge_wasi_instantiate(lodge_wasi_t *wasi, const lodge_module_t *module,
                                                   lodge_error_t *err);
/* Run a command (its _start) or a reactor's _initialize. True when the guest finished: *exit_code is its
 * proc_exit code, or 0 when _start returned. False with err on a trap (TRAP, with kind and backtrace) or
 * when the instance exports neither function (ARG). */
LODGE_API bool lodge_wasi_run(lodge_wasi_t *wasi, lodge_instance_t *instance, int *exit_code,
                              lodge_error_t *err);

/* ---- System VM: RISC-V machines ---------------------------------------------------------------- */

typedef struct lodge_machine lodge_machine_t;

typedef enum lodge_console_mode {
    LODGE_CONSOLE_STREAM = 0, /* the embedder reads the guest's output from and writes its input to
                               * lodge_machine_console_fd() */
    LODGE_CONSOLE_STDIO,      /* the process's stdin and stdout (raw terminal; Ctrl-A x stops the machine) */
    LODGE_CONSOLE_NONE,       /* output dropped, no input */
    LODGE_CONSOLE_FILE,       /* output appended to console_file, no input */
} lodge_console_mode_t;

#define LODGE_MACHINE_MAX_DISKS 4
#define LODGE_MACHINE_MAX_CPUS 8

typedef struct lodge_machine_disk {
    const char *path;        /* a raw or qcow2 image file (by its magic; docs/sysvm.md, "Storage") */
    bool read_only;
    uint64_t max_host_bytes; /* the image file may grow to this many bytes on the host (qcow2: a write that needs
                              * clusters past it fails as an I/O error in the guest; raw: a larger image is
                              * refused); 0: unlimited */
} lodge_machine_disk_t;

typedef struct lodge_machine_config {
    uint64_t mem_bytes;      /* guest RAM, a whole number of MiB from 16 MiB to 64 GiB; 0: 256 MiB */
    unsigned cpus;           /* harts, 1..LODGE_MACHINE_MAX_CPUS; 0: 1 */
    const char *kernel;      /* a Linux RISC-V Image, or an ELF with physical addresses (required) */
    const char *initrd;      /* optional */
    const char *cmdline;     /* kernel command line; NULL: "console=ttyS0" */
    const char *bios;        /* M-mode firmware (OpenSBI fw_dynamic.bin); NULL: Lodge's own SBI */
    lodge_machine_disk_t disks[LODGE_MACHINE_MAX_DISKS]; /* /dev/vda, /dev/vdb, ... */
    unsigned ndisks;
    const char *tap;         /* host tap interface behind a virtio-net device; NULL: no network */
    uint8_t mac[6];          /* that device's MAC address; all zero: 52:54:00:12:34:56 */
    bool no_rng, no_vconsole; /* leave out virtio-rng / virtio-console */
    lodge_console_mode_t console;
    const char *console_file; /* LODGE_CONSOLE_FILE */
    size_t max_overhead;     /* bytes Lodge may allocate for the machine beyond guest RAM; 0: unlimited */
    /* Called first thing on each thread the machine creates, before it runs guest code, so the embedder can
     * confine the thread (a seccomp filter, a CPU set). kind: "hart" (runs harts, and the device work they
     * trigger) or "io" (a device thread). NULL: nothing is called. */
    void (*on_thread)(void *opaque, const char *kind);
    void *on_thread_opaque;
} lodge_machine_config_t;

/* One state machine for every kind of guest (machines here, instances in the hypervisor). */
typedef enum lodge_guest_state {
    LODGE_STATE_CREATED = 0, /* configured, not started */
    LODGE_STATE_RUNNING,
    LODGE_STATE_PAUSED,      /* no guest instruction runs; time stands still for the guest's devices */
    LODGE_STATE_STOPPED,     /* ended: see lodge_machine_exit_t */
    LODGE_STATE_CRASHED,     /* ended by a fault of the host side (a hypervisor's worker or machine process) */
} lodge_guest_state_t;

typedef enum lodge_machine_exit {
    LODGE_MACHINE_NOT_EXITED = 0,
    LODGE_MACHINE_POWEROFF,  /* the guest powered off */
    LODGE_MACHINE_REBOOT,    /* the guest asked for a reboot */
    LODGE_MACHINE_FAIL,      /* the guest reported failure (fail_code) */
    LODGE_MACHINE_STOPPED,   /* lodge_machine_stop(), or Ctrl-A x on a STDIO console */
    LODGE_MACHINE_HALTED,    /* every hart stopped */
} lodge_machine_exit_t;

typedef struct lodge_machine_stats {
    lodge_guest_state_t state;
    lodge_machine_exit_t exit;
    uint32_t fail_code;
    uint64_t instructions;          /* retired, all harts */
    uint64_t run_ns;                /* wall time spent running (not paused) */
    uint64_t mem_bytes;             /* guest RAM size */
    uint64_t mem_resident;          /* guest RAM the host has actually backed */
    uint64_t overhead_bytes;        /* Lodge's own allocations for this machine */
    uint64_t disk_read_bytes, disk_write_bytes, disk_reads, disk_writes;
    uint64_t net_rx_bytes, net_tx_bytes;
    uint64_t traps, interrupts, sbi_calls, mmio_accesses;
    uint64_t console_dropped;       /* output bytes lost because the embedder did not read */
    uint64_t disk_io_errors;        /* disk requests that failed (VIRTIO_BLK_S_IOERR) */
    uint64_t disk_limit_refusals;   /* of those, writes refused because an image reached max_host_bytes */
    uint64_t rate_limited;          /* disk requests and network frames a rate limiter made wait */
} lodge_machine_stats_t;

/* Firecracker's TokenBucket: holds up to `size` tokens (bytes or operations), starts full, refills at size per
 * refill_time_ms; one_time_burst extra tokens are spent first and never refilled. size 0 or refill_time_ms
 * 0: no limit. A request that does not fit waits (the device takes nothing more until it fits). */
typedef struct lodge_token_bucket {
    uint64_t size;
    uint64_t one_time_burst;
    uint64_t refill_time_ms;
} lodge_token_bucket_t;

/* Firecracker's RateLimiter: a request must fit both buckets. */
typedef struct lodge_rate_limiter {
    lodge_token_bucket_t bandwidth;  /* bytes of data */
    lodge_token_bucket_t ops;        /* requests (disk) or frames (network) */
} lodge_rate_limiter_t;

/* A device's limits, named as Firecracker's drive (rate_limiter) and network interface (rx_rate_limiter,
 * tx_rate_limiter) fields. All zero: no limit. */
typedef struct lodge_rate_limit {
    lodge_rate_limiter_t rate_limiter;      /* "diskN": every request */
    lodge_rate_limiter_t rx_rate_limiter;   /* "net0": frames to the guest */
    lodge_rate_limiter_t tx_rate_limiter;   /* "net0": frames from the guest */
} lodge_rate_limit_t;

/* Builds the machine: RAM reserved, devices made, images loaded, the device tree written. Nothing runs
 * yet. NULL with err: ARG (a bad value, named), IO (a file that cannot be read, named), NOMEM. */
LODGE_API lodge_machine_t *lodge_machine_new(const lodge_machine_config_t *cfg, lodge_error_t *err);
/* Starts the guest on host threads of its own; returns at once. */
LODGE_API bool lodge_machine_start(lodge_machine_t *m, lodge_error_t *err);
/* Returns once no hart runs (RUNNING -> PAUSED), or false if the machine is not running. The guest's clock
 * stands still while paused (no leap in its time after resume); its RTC keeps host wall-clock time. */
LODGE_API bool lodge_machine_pause(lodge_machine_t *m, lodge_error_t *err);
LODGE_API bool lodge_machine_resume(lodge_machine_t *m, lodge_error_t *err);
/* Any thread, async-signal-safe: end the run at the next time slice (exit STOPPED). Before start: the run
 * ends as soon as it starts. */
LODGE_API void lodge_machine_stop(lodge_machine_t *m);
/* Ask the guest to power itself off (a graceful stop); the run ends when it does. The machine presses its
 * power button (virtio-input KEY_POWER) now and every second after; a guest that does not listen never acts,
 * so wait with a timeout, then stop. ARG unless running or paused (a paused guest sees it on resume). */
LODGE_API bool lodge_machine_shutdown(lodge_machine_t *m, lodge_error_t *err);
/* Waits until the run ends; timeout_ms < 0 waits forever. False on timeout. *exit may be NULL. */
LODGE_API bool lodge_machine_wait(lodge_machine_t *m, int timeout_ms, lodge_machine_exit_t *exit);
LODGE_API lodge_guest_state_t lodge_machine_state(const lodge_machine_t *m);
/* Any thread; the run's figures are at most ~1 ms old while it runs, exact once paused or ended. */
LODGE_API void lodge_machine_stats(const lodge_machine_t *m, lodge_machine_stats_t *out);
/* LODGE_CONSOLE_STREAM: a non-blocking socket: read() gives the guest's console output, write() types at
 * it. Owned by the machine. -1 in other console modes. Output the embedder leaves unread beyond the socket's
 * buffer and a small one of Lodge's is dropped (console_dropped): the guest never waits for the reader. */
LODGE_API int lodge_machine_console_fd(const lodge_machine_t *m);
/* Any thread, in any state: replaces the rate limits of device "disk0".."disk3" or "net0" (a bucket given the
 * same values as before keeps its tokens; a changed one starts full, as Firecracker's PATCH does). Set before
 * lodge_machine_start, they hold from the first request. False with err (ARG) for a device the machine lacks
 * or values out of range (size and one_time_burst at most 2^62, refill_time_ms at most 2^40). */
LODGE_API bool lodge_machine_set_rate_limit(lodge_machine_t *m, const char *device, const lodge_rate_limit_t *rl,
                                            lodge_error_t *err);
/* Stops the machine if it runs, waits for it, flushes its disks and frees everything. */
LODGE_API void lodge_machine_delete(lodge_machine_t *m);
/* The name of a state ("running") or an exit ("poweroff"). Never NULL. */
LODGE_API const char *lodge_state_name(lodge_guest_state_t state);
LODGE_API const char *lodge_machine_exit_name(lodge_machine_exit_t exit);

#ifdef __cplusplus
}
#endif
#endif
