/* test_clock.c: Criterion tests for mockserver/simulation/clock.c, the simulation clock: virtual time moves
 * only when told, real time follows the system clock plus an offset, and switching modes keeps
 * the reading continuous. Waits are short (tens of milliseconds) and bounded. */
#include <criterion/criterion.h>

#include <time.h>

#include "simulation/clock.h"

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* the reading is within [lo - slack, hi + slack] */
static void assert_near(int64_t v, int64_t lo, int64_t hi, int64_t slack)
{
    cr_assert_geq(v, lo - slack, "%lld < %lld", (long long)v, (long long)(lo - slack));
    cr_assert_leq(v, hi + slack, "%lld > %lld", (long long)v, (long long)(hi + slack));
}

Test(sim_clock, new_modes)
{
    sim_clock *r = sim_clock_new(SIM_CLOCK_REAL), *v = sim_clock_new(SIM_CLOCK_VIRTUAL);
    cr_assert_not_null(r);
    cr_assert_not_null(v);
    cr_assert_eq(sim_clock_mode_get(r), SIM_CLOCK_REAL);
    cr_assert_eq(sim_clock_mode_get(v), SIM_CLOCK_VIRTUAL);
    sim_clock_free(r);
    sim_clock_free(v);
    sim_clock_free(NULL);
}

Test(sim_clock, real_follows_system_time)
{
    sim_clock *c = sim_clock_new(SIM_CLOCK_REAL);
    int64_t before = wall_ms();
    int64_t a = sim_clock_now_ms(c);
    assert_near(a, before, wall_ms(), 5);
    sleep_ms(30);
    int64_t b = sim_clock_now_ms(c);
    cr_assert_geq(b - a, 25, "real time moved %lld ms", (long long)(b - a));
    cr_assert_lt(b - a, 5000);
    sim_clock_free(c);
}

Test(sim_clock, virtual_starts_now_and_stands_still)
{
    int64_t before = wall_ms();
    sim_clock *c = sim_clock_new(SIM_CLOCK_VIRTUAL);
    int64_t a = sim_clock_now_ms(c);
    assert_near(a, before, wall_ms(), 5);
    sleep_ms(30);
    cr_assert_eq(sim_clock_now_ms(c), a);
    sim_clock_free(c);
}

Test(sim_clock, virtual_set_and_advance)
{
    sim_clock *c = sim_clock_new(SIM_CLOCK_VIRTUAL);
    sim_clock_set_ms(c, 1700000000000);
    cr_assert_eq(sim_clock_now_ms(c), 1700000000000);
    sim_clock_advance_ms(c, 300001);
    cr_assert_eq(sim_clock_now_ms(c), 1700000300001);
    sim_clock_advance_ms(c, -1);
    cr_assert_eq(sim_clock_now_ms(c), 1700000300000);
    sim_clock_set_ms(c, 0);
    cr_assert_eq(sim_clock_now_ms(c), 0);
    sim_clock_free(c);
}

Test(sim_clock, real_advance_adds_offset)
{
    sim_clock *c = sim_clock_new(SIM_CLOCK_REAL);
    const int64_t day = 86400000;
    int64_t before = wall_ms();
    sim_clock_advance_ms(c, day);
    int64_t a = sim_clock_now_ms(c);
    assert_near(a, before + day, wall_ms() + day, 5);
    sleep_ms(20);
    cr_assert_gt(sim_clock_now_ms(c), a, "real mode keeps running after an advance");
    sim_clock_advance_ms(c, -day);
    assert_near(sim_clock_now_ms(c), before, wall_ms(), 5);
    sim_clock_free(c);
}

Test(sim_clock, real_set_moves_reading)
{
    sim_clock *c = sim_clock_new(SIM_CLOCK_REAL);
    sim_clock_set_ms(c, 1000000000000);
    int64_t a = sim_clock_now_ms(c);
    assert_near(a, 1000000000000, 1000000000000, 5);
    sleep_ms(20);
    int64_t b = sim_clock_now_ms(c);
    cr_assert_geq(b - a, 15);
    cr_assert_lt(b - a, 5000);
    sim_clock_free(c);
}

Test(sim_clock, switch_to_real_returns_to_wall_time)
{
    /* issue 14: real mode is wall time; switching to it drops any offset */
    sim_clock *c = sim_clock_new(SIM_CLOCK_VIRTUAL);
    sim_clock_set_ms(c, 1500000000000);
    sim_clock_set_mode(c, SIM_CLOCK_REAL);
    cr_assert_eq(sim_clock_mode_get(c), SIM_CLOCK_REAL);
    int64_t before = wall_ms();
    int64_t a = sim_clock_now_ms(c);
    assert_near(a, before, wall_ms(), 5);
    cr_assert_eq(sim_clock_offset_ms(c), 0);
    sleep_ms(20);
    int64_t b = sim_clock_now_ms(c);
    cr_assert_geq(b - a, 15, "now running");

    sim_clock_advance_ms(c, 86400000);
    cr_assert_eq(sim_clock_offset_ms(c), 86400000);
    sim_clock_set_mode(c, SIM_CLOCK_REAL);
    cr_assert_eq(sim_clock_offset_ms(c), 0, "real -> real drops the offset too");
    before = wall_ms();
    assert_near(sim_clock_now_ms(c), before, wall_ms(), 5);

    /* to virtual: it stops where it is */
    sim_clock_advance_ms(c, 60000);
    before = wall_ms() + 60000;
    sim_clock_set_mode(c, SIM_CLOCK_VIRTUAL);
    cr_assert_eq(sim_clock_mode_get(c), SIM_CLOCK_VIRTUAL);
    int64_t v = sim_clock_now_ms(c);
    assert_near(v, before, wall_ms() + 60000, 5);
    sleep_ms(20);
    cr_assert_eq(sim_clock_now_ms(c), v, "frozen");
    cr_assert_eq(sim_clock_offset_ms(c), 0, "no offset in virtual mode");
    sim_clock_free(c);
}

Test(sim_clock, offset_and_reset)
{
    sim_clock *c = sim_clock_new(SIM_CLOCK_REAL);
    sim_clock_set_offset_ms(c, -3600000);
    int64_t before = wall_ms();
    assert_near(sim_clock_now_ms(c), before - 3600000, wall_ms() - 3600000, 5);
    sim_clock_reset(c, SIM_CLOCK_REAL);
    cr_assert_eq(sim_clock_offset_ms(c), 0);
    before = wall_ms();
    assert_near(sim_clock_now_ms(c), before, wall_ms(), 5);
    sim_clock_reset(c, SIM_CLOCK_VIRTUAL);
    cr_assert_eq(sim_clock_mode_get(c), SIM_CLOCK_VIRTUAL);
    before = wall_ms();
    assert_near(sim_clock_now_ms(c), before - 5, wall_ms(), 5);
    sim_clock_set_offset_ms(c, 5); /* ignored in virtual mode */
    cr_assert_eq(sim_clock_offset_ms(c), 0);
    sim_clock_free(c);
}

Test(sim_clock, switch_to_same_mode_is_harmless)
{
    sim_clock *c = sim_clock_new(SIM_CLOCK_VIRTUAL);
    sim_clock_set_ms(c, 42);
    sim_clock_set_mode(c, SIM_CLOCK_VIRTUAL);
    cr_assert_eq(sim_clock_now_ms(c), 42);
    sim_clock_free(c);
}
