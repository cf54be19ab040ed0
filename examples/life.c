/* life.c: Conway's Game of Life on a small torus, printing each generation as a frame of text.
 * `lodge run life.wasm [GENERATIONS] [--animate]`: --animate redraws in place and sleeps between
 * frames (the sleep is a WASI poll_oneoff on the monotonic clock). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define W 40
#define H 20

static unsigned char grid[H][W], next[H][W];

static void put(int y, int x, const char *rows[], int n)
{
    for (int r = 0; r < n; r++)
        for (int c = 0; rows[r][c]; c++)
            if (rows[r][c] == '#')
                grid[(y + r) % H][(x + c) % W] = 1;
}

static void seed(void)
{
    static const char *glider[] = {".#.", "..#", "###"};
    static const char *lwss[] = {".#..#", "#....", "#...#", "####."};
    /* an irregular blob and the R-pentomino: both churn for many generations */
    static const char *blob[] = {"..###", ".....", "#....#", "#....#", "#....#", "..###"};
    static const char *rpent[] = {".##", "##.", ".#."};
    put(1, 1, glider, 3);
    put(12, 2, lwss, 4);
    put(3, 22, blob, 6);
    put(12, 28, rpent, 3);
}

static int step(void)
{
    int alive = 0;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            int n = 0;
            for (int dy = -1; dy <= 1; dy++)
                for (int dx = -1; dx <= 1; dx++)
                    if (dy || dx)
                        n += grid[(y + dy + H) % H][(x + dx + W) % W];
            next[y][x] = n == 3 || (n == 2 && grid[y][x]);
            alive += next[y][x];
        }
    memcpy(grid, next, sizeof grid);
    return alive;
}

static void draw(int gen, int alive)
{
    char line[W + 2];
    printf("generation %d, %d alive\n", gen, alive);
    for (int y = 0; y < H; y++) {
        for (int x = 0; x < W; x++)
            line[x] = grid[y][x] ? '#' : '.';
        line[W] = '\n';
        line[W + 1] = '\0';
        fputs(line, stdout);
    }
}

int main(int argc, char **argv)
{
    int gens = 12, animate = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--animate") == 0)
            animate = 1;
        else if ((gens = atoi(argv[i])) <= 0) {
            fprintf(stderr, "usage: life [GENERATIONS] [--animate]\n");
            return 2;
        }
    }
    seed();
    int alive = 0;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            alive += grid[y][x];
    for (int g = 0; g <= gens; g++) {
        if (animate)
            printf("\033[H\033[2J");
        draw(g, alive);
        if (animate) {
            fflush(stdout);
            struct timespec ts = {0, 100 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
        if (g < gens)
            alive = step();
    }
    return 0;
}
