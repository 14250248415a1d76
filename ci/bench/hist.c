/* hist.c: log-linear latency histogram (see hist.h). */
#include "hist.h"

#include <math.h>
#include <string.h>

void hist_init(hist *h)
{
    memset(h, 0, sizeof *h);
}

int hist_bucket(uint64_t v)
{
    if (v < HIST_SUB)
        return (int)v;
    int top = 63 - __builtin_clzll(v); /* >= 7 */
    int shift = top - 7;
    if (shift >= HIST_MAX_SHIFT)
        return HIST_BUCKETS - 1;
    return HIST_SUB + shift * HIST_SUB + (int)((v >> shift) - HIST_SUB);
}

uint64_t hist_bucket_upper(int b)
{
    if (b < HIST_SUB)
        return (uint64_t)b;
    int shift = (b - HIST_SUB) / HIST_SUB;
    uint64_t m = (uint64_t)(HIST_SUB + (b - HIST_SUB) % HIST_SUB);
    return ((m + 1) << shift) - 1;
}

void hist_record(hist *h, uint64_t v)
{
    h->counts[hist_bucket(v)]++;
    h->total++;
    if (v > h->max)
        h->max = v;
}

void hist_merge(hist *dst, const hist *src)
{
    for (int i = 0; i < HIST_BUCKETS; i++)
        dst->counts[i] += src->counts[i];
    dst->total += src->total;
    if (src->max > dst->max)
        dst->max = src->max;
}

uint64_t hist_quantile(const hist *h, double q)
{
    if (!h->total)
        return 0;
    if (q <= 0)
        q = 1e-12;
    if (q > 1)
        q = 1;
    uint64_t rank = (uint64_t)ceil(q * (double)h->total);
    if (rank < 1)
        rank = 1;
    uint64_t seen = 0;
    for (int i = 0; i < HIST_BUCKETS; i++) {
        seen += h->counts[i];
        if (seen >= rank) {
            if (i == HIST_BUCKETS - 1)
                return h->max; /* the overflow bucket has no upper edge */
            uint64_t up = hist_bucket_upper(i);
            return up < h->max ? up : h->max;
        }
    }
    return h->max;
}
