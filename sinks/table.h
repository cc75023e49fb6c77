/*
 * Warnings as a terminal table, one line each: the one way `demo` and
 * `tail` show a warning, as kcat's format.c is the one way kcat prints a
 * message. Columns: eval_ts (ISO-8601 UTC), customer, alert, state,
 * trigger, severity, then the score and reasons of a model, and the
 * features the alert references.
 */
#ifndef CW_TABLE_H
#define CW_TABLE_H

#include <stdio.h>

#include "features/warning.h"

/* The column names, as one line. */
void cw_table_header(FILE *out);

/* One warning as one line. */
void cw_table_print(FILE *out, const struct cw_warning *w);

#endif
