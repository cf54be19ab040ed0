/* timeit.c: time whole processes, interleaved: `timeit RUNS INPUT DIR -- CMD1... -- CMD2... ...`.
 * One warm-up round, then RUNS rounds; in each round every command runs once (in DIR, stdin from
 * INPUT, output to /dev/null), so a noisy machine's drift hits all commands alike. Prints one line
 * per command: "median-wall-us median-cpu-us exit-status-of-the-warm-up". CPU is user+system time of
 * the child from wait4, which stays steady where wall time is noise for millisecond processes. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAXCMD 8
#define MAXRUNS 1000

static long long now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

static int cmp(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return x < y ? -1 : x > y;
}

static int run(char **argv, const char *input, const char *dir, long long *wall, long long *cpu)
{
    long long t0 = now_us();
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        int in = open(input, O_RDONLY), out = open("/dev/null", O_WRONLY);
        if (in < 0 || out < 0 || chdir(dir) < 0)
            _exit(126);
        dup2(in, 0);
        dup2(out, 1);
        dup2(out, 2);
        execvp(argv[0], argv);
        _exit(127);
    }
    int st;
    struct rusage ru;
    if (wait4(pid, &st, 0, &ru) < 0)
        return -1;
    *wall = now_us() - t0;
    *cpu = (long long)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 + ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int main(int argc, char **argv)
{
    if (argc < 6 || strcmp(argv[4], "--") != 0) {
        fprintf(stderr, "usage: timeit RUNS INPUT DIR -- CMD... [-- CMD...]\n");
        return 2;
    }
    int runs = atoi(argv[1]);
    if (runs < 1 || runs > MAXRUNS)
        return 2;
    char **cmds[MAXCMD];
    int ncmd = 0;
    for (int i = 4; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) {
            argv[i] = NULL; /* ends the previous command's argv */
            if (ncmd == MAXCMD || i + 1 >= argc)
                return 2;
            cmds[ncmd++] = &argv[i + 1];
        }
    }
    static long long wall[MAXCMD][MAXRUNS], cpu[MAXCMD][MAXRUNS];
    int status[MAXCMD];
    for (int c = 0; c < ncmd; c++) {
        long long w, u;
        status[c] = run(cmds[c], argv[2], argv[3], &w, &u);
    }
    for (int r = 0; r < runs; r++)
        for (int c = 0; c < ncmd; c++)
            if (status[c] == 0 && run(cmds[c], argv[2], argv[3], &wall[c][r], &cpu[c][r]) != 0)
                status[c] = 1000; /* it failed later: its figures mean nothing */
    for (int c = 0; c < ncmd; c++) {
        qsort(wall[c], (size_t)runs, sizeof wall[c][0], cmp);
        qsort(cpu[c], (size_t)runs, sizeof cpu[c][0], cmp);
        printf("%lld %lld %d\n", wall[c][runs / 2], cpu[c][runs / 2], status[c]);
    }
    return 0;
}
