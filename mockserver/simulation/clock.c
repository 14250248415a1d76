/* clock.c: real or virtual simulation time (see clock.h). Real time is CLOCK_REALTIME plus an
 * offset (so "advance" works in real mode too); virtual time moves only when told. Switching to
 * real mode drops the offset: it is the way back to wall time. */
#include "simulation/clock.h"

#include <stdlib.h>
#include <time.h>

struct sim_clock {
    sim_clock_mode mode;
    int64_t offset_ms;  /* real mode: added to the system time */
    int64_t virtual_ms; /* virtual mode: the current time */
};

static int64_t system_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

sim_clock *sim_clock_new(sim_clock_mode mode)
{
    sim_clock *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->mode = mode;
    c->virtual_ms = system_now_ms();
    return c;
}

void sim_clock_free(sim_clock *c)
{
    free(c);
}

int64_t sim_clock_now_ms(const sim_clock *c)
{
    return c->mode == SIM_CLOCK_VIRTUAL ? c->virtual_ms : system_now_ms() + c->offset_ms;
}

sim_clock_mode sim_clock_mode_get(const sim_clock *c)
{
    return c->mode;
}

void sim_clock_set_ms(sim_clock *c, int64_t epoch_ms)
{
    if (c->mode == SIM_CLOCK_VIRTUAL)
        c->virtual_ms = epoch_ms;
    else
        c->offset_ms = epoch_ms - system_now_ms();
}

void sim_clock_advance_ms(sim_clock *c, int64_t delta_ms)
{
    if (c->mode == SIM_CLOCK_VIRTUAL)
        c->virtual_ms += delta_ms;
    else
        c->offset_ms += delta_ms;
}

int64_t sim_clock_offset_ms(const sim_clock *c)
{
    return c->mode == SIM_CLOCK_REAL ? c->offset_ms : 0;
}

void sim_clock_set_offset_ms(sim_clock *c, int64_t offset_ms)
{
    if (c->mode == SIM_CLOCK_REAL)
        c->offset_ms = offset_ms;
}

void sim_clock_set_mode(sim_clock *c, sim_clock_mode mode)
{
    if (mode == SIM_CLOCK_VIRTUAL)
        c->virtual_ms = sim_clock_now_ms(c); /* stop where it is */
    c->offset_ms = 0;                        /* real: wall time again */
    c->mode = mode;
}

void sim_clock_reset(sim_clock *c, sim_clock_mode mode)
{
    c->mode = mode;
    c->offset_ms = 0;
    c->virtual_ms = system_now_ms();
}
