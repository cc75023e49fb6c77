/* The project's one general-purpose hash: MurmurHash3 x64-128. */
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

#endif
