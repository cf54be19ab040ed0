/* A CPU-bound bare-metal program for the hart: integer kernels (CRC, sieve, matrix multiply, sort, pointer
 * chasing, recursion) with a checksum, so a wrong answer fails. Runs on tests/sysvm-cpu/harness.c and on
 * `qemu-system-riscv64 -M virt -bios none` alike (both have the test finisher at 0x100000). */
#include <stdint.h>

#define FINISHER ((volatile uint32_t *)0x100000)
#ifndef BENCH_SCALE
#define BENCH_SCALE 4
#endif

static uint32_t crc_table[256];
static uint8_t buf[65536];
static uint8_t sieve[200001];
static int32_t ma[64][64], mb[64][64], mc[64][64];
static int32_t arr[3000];
static uint32_t next_idx[16384];

static uint32_t crc32(const uint8_t *p, uint32_t n)
{
    uint32_t c = ~0u;
    while (n--) c = crc_table[(c ^ *p++) & 0xff] ^ (c >> 8);
    return ~c;
}

static int fib(int n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

static uint64_t rng = 88172645463325252ull;
static uint64_t xorshift(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

uint64_t bench_main(void);
uint64_t bench_main(void)
{
    uint64_t sum = 0;
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
    for (uint32_t i = 0; i < sizeof buf; i++) buf[i] = (uint8_t)xorshift();
    for (int r = 0; r < 40 * BENCH_SCALE; r++) sum += crc32(buf, sizeof buf);

    for (int r = 0; r < 10 * BENCH_SCALE; r++) {
        for (int i = 0; i <= 200000; i++) sieve[i] = 1;
        int primes = 0;
        for (int i = 2; i <= 200000; i++) {
            if (!sieve[i]) continue;
            primes++;
            for (int j = 2 * i; j <= 200000; j += i) sieve[j] = 0;
        }
        sum += (uint64_t)primes;
    }

    for (int i = 0; i < 64; i++)
        for (int j = 0; j < 64; j++) { ma[i][j] = (int32_t)(xorshift() % 100); mb[i][j] = (int32_t)(xorshift() % 100); }
    for (int r = 0; r < 20; r++) {
        for (int i = 0; i < 64; i++)
            for (int j = 0; j < 64; j++) {
                int32_t s = 0;
                for (int k = 0; k < 64; k++) s += ma[i][k] * mb[k][j];
                mc[i][j] = s;
            }
        sum += (uint64_t)mc[r][r];
        ma[r][0]++;
    }

    for (int r = 0; r < 3; r++) {
        for (int i = 0; i < 3000; i++) arr[i] = (int32_t)(xorshift() & 0xffff);
        for (int i = 1; i < 3000; i++) {        /* insertion sort */
            int32_t v = arr[i];
            int j = i - 1;
            while (j >= 0 && arr[j] > v) { arr[j + 1] = arr[j]; j--; }
            arr[j + 1] = v;
        }
        sum += (uint64_t)arr[1500];
    }

    for (uint32_t i = 0; i < 16384; i++) next_idx[i] = i;
    for (uint32_t i = 16383; i > 0; i--) {       /* one random cycle */
        uint32_t j = (uint32_t)(xorshift() % i);
        uint32_t t = next_idx[i]; next_idx[i] = next_idx[j]; next_idx[j] = t;
    }
    uint32_t p = 0;
    for (int i = 0; i < 2000000 * BENCH_SCALE; i++) p = next_idx[p];
    sum += p;

    for (int r = 0; r < BENCH_SCALE; r++) sum += (uint64_t)fib(27);
    return sum;
}

#ifdef BENCH_HOST
#include <stdio.h>
int main(void)
{
    printf("0x%llxull\n", (unsigned long long)bench_main());
    return 0;
}
#else
/* BENCH_EXPECT: the checksum of the same code compiled for the host (run.sh does that first). */
void bench_start(void) __attribute__((noreturn));
void bench_start(void)
{
    *FINISHER = bench_main() == BENCH_EXPECT ? 0x5555 : 0x13333;
    for (;;) { }
}

__asm__(".section .text.init\n.globl _start\n_start:\n la sp, stack_top\n j bench_start\n"
        ".bss\n.align 4\n.space 65536\nstack_top:\n.text\n");
#endif
