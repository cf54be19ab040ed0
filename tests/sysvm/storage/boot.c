/* Boots a guest through lodge.h with one disk, a size limit and a disk rate limit that can change while it
 * runs, for tests/sysvm/storage.sh. The guest's console goes to stdout; the machine's figures follow as
 * "host: name=value" lines.
 * Usage: sysvm-storage-boot KERNEL INITRD CMDLINE DISK MAX_HOST_BYTES BYTES_PER_S [MARKER BYTES_PER_S2]
 *   BYTES_PER_S: disk0's bandwidth limit from the start (0: none), as a bucket of a tenth of a second's
 *   bytes refilled in 100 ms; when the console prints MARKER the limit becomes BYTES_PER_S2.
 * With LODGE_TEST_TAP=NAME the machine also has a network interface on tap NAME, and with
 * LODGE_TEST_NET_TX_FPS=N its transmit side is limited to N frames per second (a bucket of one frame).
 * Exit status: 0 the guest powered off; 1 error; 124 the run took longer than LODGE_TEST_TIMEOUT s (60). */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lodge.h"

static lodge_rate_limit_t limit_of(uint64_t bytes_per_s)
{
    lodge_rate_limit_t rl;
    memset(&rl, 0, sizeof rl);
    if (bytes_per_s) {
        rl.rate_limiter.bandwidth.size = bytes_per_s / 10;
        rl.rate_limiter.bandwidth.refill_time_ms = 100;
    }
    return rl;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc != 7 && argc != 9) {
        fprintf(stderr, "usage: %s KERNEL INITRD CMDLINE DISK MAX_HOST_BYTES BYTES_PER_S [MARKER BYTES_PER_S2]\n",
                argv[0]);
        return 1;
    }
    const char *marker = argc == 9 ? argv[7] : NULL;
    const char *t = getenv("LODGE_TEST_TIMEOUT");
    double timeout = t ? atof(t) : 60;
    lodge_machine_config_t cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.mem_bytes = 256ull << 20;
    cfg.kernel = argv[1];
    cfg.initrd = argv[2];
    cfg.cmdline = argv[3];
    cfg.disks[0].path = argv[4];
    cfg.disks[0].max_host_bytes = strtoull(argv[5], NULL, 0);
    cfg.ndisks = 1;
    cfg.console = LODGE_CONSOLE_STREAM;
    cfg.tap = getenv("LODGE_TEST_TAP");
    lodge_error_t err;
    lodge_machine_t *m = lodge_machine_new(&cfg, &err);
    if (!m) {
        fprintf(stderr, "host: %s\n", err.message);
        return 1;
    }
    lodge_rate_limit_t rl = limit_of(strtoull(argv[6], NULL, 0));
    /* Set before the start: the limit holds from the first request. A device the machine lacks is refused. */
    lodge_rate_limit_t net;
    memset(&net, 0, sizeof net);
    const char *fps = getenv("LODGE_TEST_NET_TX_FPS");
    if (fps && atoi(fps) > 0) {
        net.tx_rate_limiter.ops.size = 1;
        net.tx_rate_limiter.ops.refill_time_ms = 1000 / (uint64_t)atoi(fps);
    }
    if (!lodge_machine_set_rate_limit(m, "disk0", &rl, &err) || lodge_machine_set_rate_limit(m, "disk1", &rl, &err) ||
        (cfg.tap && !lodge_machine_set_rate_limit(m, "net0", &net, &err)) || !lodge_machine_start(m, &err)) {
        fprintf(stderr, "host: %s\n", err.message);
        lodge_machine_delete(m);
        return 1;
    }
    int fd = lodge_machine_console_fd(m);
    char seen[4096] = "";              /* the console's last bytes, to find the marker across reads */
    double t0 = now_s();
    lodge_machine_exit_t why = LODGE_MACHINE_NOT_EXITED;
    while (!lodge_machine_wait(m, 0, &why)) {
        if (now_s() - t0 > timeout) {
            fprintf(stderr, "host: timeout after %.0f s\n", timeout);
            lodge_machine_stop(m);
            lodge_machine_wait(m, -1, NULL);
            lodge_machine_delete(m);
            return 124;
        }
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 50) <= 0)
            continue;
        char buf[1024];
        ssize_t n = read(fd, buf, sizeof buf);
        if (n <= 0)
            continue;
        fwrite(buf, 1, (size_t)n, stdout);
        fflush(stdout);
        size_t have = strlen(seen), keep = have + (size_t)n < sizeof seen ? have : sizeof seen - 1 - (size_t)n;
        memmove(seen, seen + have - keep, keep);
        memcpy(seen + keep, buf, (size_t)n);
        seen[keep + (size_t)n] = '\0';
        if (marker && strstr(seen, marker)) {
            rl = limit_of(strtoull(argv[8], NULL, 0));
            if (!lodge_machine_set_rate_limit(m, "disk0", &rl, &err))
                fprintf(stderr, "host: %s\n", err.message);
            else
                printf("\nhost: limit changed to %s bytes/s while running\n", argv[8]);
            marker = NULL;
        }
    }
    /* What is left of the console after the end. */
    char buf[1024];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0)
        fwrite(buf, 1, (size_t)n, stdout);
    lodge_machine_stats_t st;
    lodge_machine_stats(m, &st);
    printf("\nhost: exit=%s disk_io_errors=%llu disk_limit_refusals=%llu rate_limited=%llu disk_read_bytes=%llu "
           "disk_write_bytes=%llu\n", lodge_machine_exit_name(why), (unsigned long long)st.disk_io_errors,
           (unsigned long long)st.disk_limit_refusals, (unsigned long long)st.rate_limited,
           (unsigned long long)st.disk_read_bytes, (unsigned long long)st.disk_write_bytes);
    lodge_machine_delete(m);
    return why == LODGE_MACHINE_POWEROFF ? 0 : 1;
}
