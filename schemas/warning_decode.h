/* Decoding ChurnWarning records (Avro binary, as on the warning topic). */
#ifndef CW_WARNING_DECODE_H
#define CW_WARNING_DECODE_H

#include <stddef.h>

#include "schemas.h"
#include "warning.h"

typedef struct cw_warning_decoder cw_warning_decoder_t;

cw_warning_decoder_t *cw_warning_decoder_new(const cw_schemas_t *s,
                                             char *errstr, size_t errstr_size);
void cw_warning_decoder_destroy(cw_warning_decoder_t *d);

/*
 * Decodes one record of exactly `len` bytes written with our schema into w,
 * whose strings and arrays are borrowed from the decoder until its next
 * call. Returns 0, or -1 with a sentence (truncated or malformed bytes, a
 * warning_id that is not 32 hex digits).
 */
int cw_warning_decode(cw_warning_decoder_t *d, const void *buf, size_t len,
                      struct cw_warning *w, char *errstr, size_t errstr_size);

#endif
