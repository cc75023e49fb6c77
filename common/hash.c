#include "hash.h"

static inline uint64_t rotl(uint64_t x, int r) {
        return (x << r) | (x >> (64 - r));
}

static inline uint64_t fmix(uint64_t k) {
        k ^= k >> 33;
        k *= 0xff51afd7ed558ccdULL;
        k ^= k >> 33;
        k *= 0xc4ceb9fe1a85ec53ULL;
        k ^= k >> 33;
        return k;
}

void cw_hash128(const void *buf, size_t len, uint64_t out[2]) {
        const unsigned char *data = buf;
        const uint64_t c1 = 0x87c37b91114253d5ULL, c2 = 0x4cf5ad432745937fULL;
        uint64_t h1 = 0, h2 = 0, k1, k2;
        size_t nblocks = len / 16, i;
        const unsigned char *tail = data + nblocks * 16;

        for (i = 0; i < nblocks; i++) {
                k1 = k2 = 0;
                for (int b = 7; b >= 0; b--) {
                        k1 = (k1 << 8) | data[i * 16 + (size_t)b];
                        k2 = (k2 << 8) | data[i * 16 + 8 + (size_t)b];
                }
                k1 *= c1;
                k1 = rotl(k1, 31);
                k1 *= c2;
                h1 ^= k1;
                h1 = rotl(h1, 27);
                h1 += h2;
                h1 = h1 * 5 + 0x52dce729;
                k2 *= c2;
                k2 = rotl(k2, 33);
                k2 *= c1;
                h2 ^= k2;
                h2 = rotl(h2, 31);
                h2 += h1;
                h2 = h2 * 5 + 0x38495ab5;
        }
        k1 = k2 = 0;
        for (i = len & 15; i > 8; i--)
                k2 = (k2 << 8) | tail[i - 1];
        if ((len & 15) > 8) {
                k2 *= c2;
                k2 = rotl(k2, 33);
                k2 *= c1;
                h2 ^= k2;
        }
        for (i = (len & 15) < 8 ? (len & 15) : 8; i > 0; i--)
                k1 = (k1 << 8) | tail[i - 1];
        if (len & 15) {
                k1 *= c1;
                k1 = rotl(k1, 31);
                k1 *= c2;
                h1 ^= k1;
        }
        h1 ^= (uint64_t)len;
        h2 ^= (uint64_t)len;
        h1 += h2;
        h2 += h1;
        h1 = fmix(h1);
        h2 = fmix(h2);
        h1 += h2;
        h2 += h1;
        out[0] = h1;
        out[1] = h2;
}

uint64_t cw_fnv1a64(const void *buf, size_t len) {
        const unsigned char *p = buf;
        uint64_t h = UINT64_C(14695981039346656037);
        for (size_t i = 0; i < len; i++)
                h = (h ^ p[i]) * UINT64_C(1099511628211);
        return h;
}
