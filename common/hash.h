/* The project's general-purpose hash, MurmurHash3 x64-128, and FNV-1a. */
#ifndef CW_HASH_H
#define CW_HASH_H

#include <stddef.h>
#include <stdint.h>

/*
 * MurmurHash3 x64_128 (Austin Appleby's public-domain design), seed 0:
 * well mixed, fast on short keys, and the same on every platform (bytes
 * are read as little endian). Used for warning ids, the engine's hash
 * table and the Avro sync marker.
 */
void cw_hash128(const void *buf, size_t len, uint64_t out[2]);

/* 64-bit FNV-1a (offset basis 14695981039346656037, prime 1099511628211):
 * simple enough for anyone to recompute, e.g. to sample customers
 * (`replay --sample-customers`, CONTRACT.md section 10). */
uint64_t cw_fnv1a64(const void *buf, size_t len);

#endif
