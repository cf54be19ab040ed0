/* The system-VM unit tests' harness: TEST functions run in order; each prints "PASS name" or
 * "FAIL name: where" once, however many checks it makes. */
#ifndef LODGE_TESTS_SYSVM_TEST_H
#define LODGE_TESTS_SYSVM_TEST_H

#include <stdbool.h>
#include <stdio.h>

extern int t_failed_checks;
extern const char *t_first_failure;
extern int t_first_line;

#define CHECK(cond)                                                                                     \
    do {                                                                                                \
        if (!(cond)) {                                                                                  \
            if (!t_failed_checks++) {                                                                   \
                t_first_failure = #cond;                                                                \
                t_first_line = __LINE__;                                                                \
            }                                                                                           \
        }                                                                                               \
    } while (0)

typedef struct TestCase {
    const char *name;
    void (*fn)(void);
} TestCase;

/* Each test file exports its table. */
extern const TestCase t_virtq_tests[];
extern const TestCase t_fdt_tests[];
extern const TestCase t_dev_tests[];
extern const TestCase t_alloc_tests[];
extern const TestCase t_qcow2_tests[];
extern const TestCase t_ratelimit_tests[];

#endif
