/* Runs every system-VM unit test; ends with "N passed, N failed" (tests/run-suites.sh reads it). */
#include <string.h>

#include "test.h"

int t_failed_checks;
const char *t_first_failure;
int t_first_line;

int main(int argc, char **argv)
{
    const TestCase *tables[] = {t_virtq_tests, t_fdt_tests, t_dev_tests, t_alloc_tests, t_ratelimit_tests,
                                t_qcow2_tests};
    int pass = 0, fail = 0;
    for (size_t k = 0; k < sizeof tables / sizeof tables[0]; k++)
        for (const TestCase *t = tables[k]; t->name; t++) {
            if (argc > 1 && !strstr(t->name, argv[1]))
                continue;
            t_failed_checks = 0;
            t->fn();
            if (t_failed_checks) {
                printf("FAIL %s: line %d: %s (%d failed checks)\n", t->name, t_first_line, t_first_failure,
                       t_failed_checks);
                fail++;
            } else {
                printf("PASS %s\n", t->name);
                pass++;
            }
        }
    printf("unit: %d passed, %d failed\n", pass, fail);
    return fail != 0;
}
