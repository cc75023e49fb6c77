/*
 * The ChurnWarning record (CONTRACT.md section 4, schemas/churn_warning.avsc)
 * in Avro binary, as the warning topic carries it: the encoder the Kafka
 * sink and the Avro file sink use, and the decoder of `tail` and the
 * tests, side by side. No framing: one record per call.
 */
#ifndef CW_WARNING_CODEC_H
#define CW_WARNING_CODEC_H

#include <stddef.h>

#include "features/warning.h"
#include "schemas.h"

/* Fields of ChurnWarning, in schema order (the JSONL key order too);
 * the warning encoder checks the schema against them. */
enum cw_warning_field {
        CW_WF_WARNING_ID,
        CW_WF_CUSTOMER_ID,
        CW_WF_ALERT,
        CW_WF_KIND,
        CW_WF_STATE,
        CW_WF_SEVERITY,
        CW_WF_EVAL_TS,
        CW_WF_TRIGGER,
        CW_WF_SCORE,
        CW_WF_FEATURES,
        CW_WF_REASONS,
        CW_WF_EMITTED_AT,
        CW_WF_COUNT
};

extern const char *const cw_warning_field_names[CW_WF_COUNT];

/*
 * Sinks index the enum-name tables with the warning's enums and read its
 * borrowed strings: 0 when `w` can be written, else -1 with a sentence
 * (a malformed warning is a bug in churnwatch).
 */
int cw_warning_check(const struct cw_warning *w, char *errstr,
                     size_t errstr_size);

/* Whether the score is written as null: none, or not finite (no JSON form;
 * the contract's "null" fits best). */
int cw_warning_score_is_null(const struct cw_warning *w);

/* ---- encoding ---------------------------------------------------------------
 * Built once on the ChurnWarning schema of `s` and reused for every
 * record. */

typedef struct cw_warning_encoder cw_warning_encoder_t;

cw_warning_encoder_t *cw_warning_encoder_new(const cw_schemas_t *s,
                                             char *errstr, size_t errstr_size);
void cw_warning_encoder_destroy(cw_warning_encoder_t *enc);

/*
 * Encodes `w`. On success *buf and *len hold the record's bytes, borrowed
 * from the encoder until its next call or destroy. Returns 0, or -1 and
 * fills errstr.
 */
int cw_warning_encode(cw_warning_encoder_t *enc, const struct cw_warning *w,
                      const void **buf, size_t *len, char *errstr,
                      size_t errstr_size);

/* ---- decoding ---------------------------------------------------------------
 */

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
