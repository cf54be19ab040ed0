/* mbench.c: how fast a RISC-V machine starts, through lodge.h only.
 *   create:  p50/p99 of lodge_machine_new (RAM reserved, devices made, kernel and initrd loaded, device tree
 *            written).
 *   first:   lodge_machine_new + lodge_machine_start until the first guest instructions have retired. The
 *            end is seen with lodge_machine_pause, which returns once the run loop has finished its first
 *            slice (at most 20,000 instructions per hart) and parked: an upper bound on "first instruction"
 *            by the time of one slice (tens of microseconds).
 *   rate:    machines per second over a loop of new + start + first slice + delete, one at a time, and
 *            machines created (new only) per second while all are kept, so their cost is not recycled.
 * Usage: mbench [-n ITER] [-k KEPT] [-m MiB] KERNEL [INITRD]. One line per figure.
 *        mbench -w FILE writes a 5-instruction RISC-V ELF whose first instructions power the machine off
 *        through the SiFive test device (on QEMU's virt and on Lodge alike): whole-process start-up of
 *        `lodge boot` and `qemu-system-riscv64 -bios none` to their first guest instruction, compared. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lodge.h"

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* CPU time of the whole process: on a loaded host the wall clock mostly measures the wait for a core. */
static double cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void report(const char *what, double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_d);
    printf("%-40s p50 %8.3f ms   p99 %8.3f ms   min %8.3f ms   (n=%d)\n", what, v[n / 2] / 1e6,
           v[(int)(n * 0.99)] / 1e6, v[0] / 1e6, n);
}

static lodge_machine_t *make(const lodge_machine_config_t *cfg)
{
    lodge_error_t err = {0};
    lodge_machine_t *m = lodge_machine_new(cfg, &err);
    if (!m) {
        fprintf(stderr, "mbench: lodge_machine_new: %s\n", err.message);
        exit(1);
    }
    return m;
}

/* Starts m and returns once its first slice has run (it is then paused). */
static void run_first_slice(lodge_machine_t *m)
{
    lodge_error_t err = {0};
    if (!lodge_machine_start(m, &err) || !lodge_machine_pause(m, &err)) {
        fprintf(stderr, "mbench: start/pause: %s\n", err.message);
        exit(1);
    }
    lodge_machine_stats_t st;
    lodge_machine_stats(m, &st);
    if (st.instructions == 0) {
        fprintf(stderr, "mbench: paused before any instruction retired\n");
        exit(1);
    }
}

static void put(uint8_t *p, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static int write_poweroff_elf(const char *path)
{
    static const uint32_t code[] = {
        0x001002b7,     /* lui  t0, 0x100        t0 = 0x100000, the test device */
        0x00005337,     /* lui  t1, 0x5 */
        0x55530313,     /* addi t1, t1, 0x555    t1 = 0x5555: power off */
        0x0062a023,     /* sw   t1, 0(t0) */
        0x0000006f,     /* j    . */
    };
    uint8_t f[64 + 56 + sizeof code] = {0};
    memcpy(f, "\177ELF", 4);
    f[4] = 2; f[5] = 1; f[6] = 1;                          /* 64-bit, little-endian, version 1 */
    put(f + 16, 2, 2); put(f + 18, 243, 2); put(f + 20, 1, 4);  /* EXEC, RISC-V */
    put(f + 24, 0x80000000u, 8);                           /* entry */
    put(f + 32, 64, 8);                                    /* phoff */
    put(f + 52, 64, 2); put(f + 54, 56, 2); put(f + 56, 1, 2);
    uint8_t *ph = f + 64;
    put(ph, 1, 4); put(ph + 4, 5, 4);                      /* PT_LOAD, R+X */
    put(ph + 8, 120, 8);                                   /* offset */
    put(ph + 16, 0x80000000u, 8); put(ph + 24, 0x80000000u, 8);
    put(ph + 32, sizeof code, 8); put(ph + 40, sizeof code, 8); put(ph + 48, 4, 8);
    for (size_t i = 0; i < sizeof code / 4; i++)
        put(f + 120 + 4 * i, code[i], 4);
    FILE *o = fopen(path, "wb");
    if (!o || fwrite(f, sizeof f, 1, o) != 1 || fclose(o) != 0) {
        perror(path);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "-w") == 0)
        return write_poweroff_elf(argv[2]);
    int iter = 200, kept = 200, opt;
    unsigned mib = 64;
    while ((opt = getopt(argc, argv, "n:k:m:")) != -1) {
        if (opt == 'n') iter = atoi(optarg);
        else if (opt == 'k') kept = atoi(optarg);
        else if (opt == 'm') mib = (unsigned)atoi(optarg);
        else {
            fprintf(stderr, "usage: mbench [-n ITER] [-k KEPT] [-m MiB] KERNEL [INITRD]\n");
            return 2;
        }
    }
    if (optind >= argc || iter < 1 || kept < 0 || mib < 16) {
        fprintf(stderr, "usage: mbench [-n ITER] [-k KEPT] [-m MiB] KERNEL [INITRD]\n");
        return 2;
    }
    lodge_machine_config_t cfg = {.mem_bytes = (uint64_t)mib << 20, .kernel = argv[optind],
                                  .initrd = optind + 1 < argc ? argv[optind + 1] : NULL,
                                  .console = LODGE_CONSOLE_NONE};
    double *create = calloc((size_t)iter, sizeof *create), *first = calloc((size_t)iter, sizeof *first);
    double *del = calloc((size_t)iter, sizeof *del), *create_cpu = calloc((size_t)iter, sizeof *create_cpu);
    double *first_cpu = calloc((size_t)iter, sizeof *first_cpu);
    if (!create || !first || !del || !create_cpu || !first_cpu)
        return 1;
    lodge_machine_delete(make(&cfg));                     /* warm the page cache and the allocator */
    double t_all = now_ns();
    for (int i = 0; i < iter; i++) {
        double c0 = cpu_ns(), t0 = now_ns();
        lodge_machine_t *m = make(&cfg);
        double t1 = now_ns(), c1 = cpu_ns();
        run_first_slice(m);
        double t2 = now_ns(), c2 = cpu_ns();
        create_cpu[i] = c1 - c0;
        first_cpu[i] = c2 - c0;
        lodge_machine_delete(m);
        double t3 = now_ns();
        create[i] = t1 - t0;
        first[i] = t2 - t0;
        del[i] = t3 - t2;
    }
    double loop_s = (now_ns() - t_all) / 1e9;
    printf("== %u MiB machines, kernel %s%s%s\n", mib, cfg.kernel, cfg.initrd ? ", initrd " : "",
           cfg.initrd ? cfg.initrd : "");
    report("lodge_machine_new (wall)", create, iter);
    report("lodge_machine_new (CPU)", create_cpu, iter);
    report("new + start to first slice (wall)", first, iter);
    report("new + start to first slice (CPU)", first_cpu, iter);
    report("lodge_machine_delete (after first slice)", del, iter);
    printf("%-40s %8.1f machines/s (one at a time, %d in %.2f s)\n", "new+start+first slice+delete", iter / loop_s,
           iter, loop_s);
    /* Twice: on a virtual host, the first pass may meet host memory that the layer below has never backed
     * (its first touch is slow there); the second pass shows the steady state. */
    for (int pass = 1; kept > 0 && pass <= 2; pass++) {
        lodge_machine_t **all = calloc((size_t)kept, sizeof *all);
        if (!all)
            return 1;
        double t0 = now_ns();
        for (int i = 0; i < kept; i++)
            all[i] = make(&cfg);
        double s = (now_ns() - t0) / 1e9;
        printf("lodge_machine_new, all kept (pass %d)      %8.1f machines/s (%d kept at once, %.2f s)\n", pass,
               kept / s, kept, s);
        t0 = now_ns();
        for (int i = 0; i < kept; i++)
            run_first_slice(all[i]);
        s = (now_ns() - t0) / 1e9;
        printf("start to first slice, all kept (pass %d)  %8.1f machines/s (%d running at once, paused after their "
               "first slice)\n", pass, kept / s, kept);
        for (int i = 0; i < kept; i++)
            lodge_machine_delete(all[i]);
        free(all);
    }
    free(create);
    free(first);
    free(del);
    free(create_cpu);
    free(first_cpu);
    return 0;
}
