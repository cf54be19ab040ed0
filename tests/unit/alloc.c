/* alloc.c: unit tests of base/alloc.c, the accounted allocator: counting, the limit, fail_at, realloc
 * in both directions, charges without allocation, and overflow of calloc's product. */
#include <string.h>

#include "base/alloc.h"
#include "unit.h"

static void counts_bytes(UnitCtx *t)
{
    Alloc a;
    alloc_init(&a, 0);
    void *p = alloc_malloc(&a, 100);
    void *q = alloc_calloc(&a, 10, 30);
    REQUIRE(p && q);
    CHECK_INT(a.used, 400);
    CHECK_INT(((uint8_t *)q)[299], 0);
    alloc_free(&a, p, 100);
    CHECK_INT(a.used, 300);
    alloc_free(&a, q, 300);
    CHECK_INT(a.used, 0);
    CHECK_INT(a.calls, 2);
    alloc_free(&a, NULL, 1234); /* freeing NULL accounts nothing */
    CHECK_INT(a.used, 0);
}

static void limit(UnitCtx *t)
{
    Alloc a;
    alloc_init(&a, 1000);
    void *p = alloc_malloc(&a, 600);
    REQUIRE(p);
    CHECK(alloc_malloc(&a, 401) == NULL);
    CHECK_INT(a.used, 600);
    void *q = alloc_malloc(&a, 400); /* exactly up to the limit */
    CHECK(q != NULL);
    CHECK_INT(a.used, 1000);
    CHECK(alloc_malloc(&a, 1) == NULL);
    CHECK(alloc_malloc(&a, SIZE_MAX) == NULL); /* no wrap-around in the limit check */
    alloc_free(&a, q, 400);
    alloc_free(&a, p, 600);
    CHECK_INT(a.used, 0);
    CHECK(!alloc_charge(&a, 1001));
    CHECK(alloc_charge(&a, 1000));
    alloc_uncharge(&a, 1000);
    CHECK_INT(a.used, 0);
}

static void fail_at(UnitCtx *t)
{
    Alloc a;
    alloc_init(&a, 0);
    a.fail_at = 3;
    void *p1 = alloc_malloc(&a, 8), *p2 = alloc_malloc(&a, 8), *p3 = alloc_malloc(&a, 8), *p4 = alloc_malloc(&a, 8);
    CHECK(p1 && p2 && p4);
    CHECK(p3 == NULL);
    CHECK_INT(a.used, 24); /* the failed call charged nothing */
    CHECK_INT(a.calls, 4);
    alloc_free(&a, p1, 8);
    alloc_free(&a, p2, 8);
    alloc_free(&a, p4, 8);
    CHECK_INT(a.used, 0);
    /* a failing charge counts as a call too */
    alloc_init(&a, 0);
    a.fail_at = 1;
    CHECK(!alloc_charge(&a, 1));
    CHECK(alloc_charge(&a, 1));
}

static void realloc_accounting(UnitCtx *t)
{
    Alloc a;
    alloc_init(&a, 256);
    uint8_t *p = alloc_malloc(&a, 16);
    REQUIRE(p);
    memset(p, 0x5a, 16);
    uint8_t *q = alloc_realloc(&a, p, 16, 200);
    REQUIRE(q);
    CHECK_INT(a.used, 200);
    CHECK_INT(q[15], 0x5a);
    CHECK(alloc_realloc(&a, q, 200, 300) == NULL); /* over the limit: the old block survives */
    CHECK_INT(a.used, 200);
    CHECK_INT(q[0], 0x5a);
    uint8_t *r = alloc_realloc(&a, q, 200, 10);
    REQUIRE(r);
    CHECK_INT(a.used, 10);
    alloc_free(&a, r, 10);
    CHECK_INT(a.used, 0);
}

static void calloc_overflow(UnitCtx *t)
{
    Alloc a;
    alloc_init(&a, 0);
    CHECK(alloc_calloc(&a, SIZE_MAX / 2, 4) == NULL);
    CHECK_INT(a.used, 0);
    void *z = alloc_calloc(&a, 0, 16); /* a zero-size request still gives a freeable pointer */
    CHECK(z != NULL);
    alloc_free(&a, z, 0);
}

static void unaccounted(UnitCtx *t)
{
    void *p = alloc_malloc(NULL, 32);
    CHECK(p != NULL);
    CHECK(alloc_charge(NULL, SIZE_MAX));
    alloc_free(NULL, p, 32);
}

UNIT_SUITE(alloc, UNIT_TEST(counts_bytes), UNIT_TEST(limit), UNIT_TEST(fail_at), UNIT_TEST(realloc_accounting),
           UNIT_TEST(calloc_overflow), UNIT_TEST(unaccounted));
