/*
 * Formatting of the wave modules' human messages (explain lines, warnings, reasons,
 * audit records) into bounded heap strings. Internal to coordinator/wave.
 */
#ifndef SW_COORDINATOR_WAVE_TEXT_H
#define SW_COORDINATOR_WAVE_TEXT_H

#include <stdarg.h>
#include <stddef.h>

#include "sw/err.h"

#define WAVE_TEXT_MAX 4096 /* longest message */

/* Formats into a new heap string *out (owned by the caller, free()). SW_ETOOBIG over
 * WAVE_TEXT_MAX bytes, SW_ENOMEM. */
int wave_text_vformat(char **out, struct sw_err *err, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));
int wave_text_format(char **out, struct sw_err *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Appends a formatted line to a heap array of heap strings (*list grows by one). */
int wave_text_list_add(char ***list, size_t *n, struct sw_err *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Frees the strings and the array. */
void wave_text_list_free(char **list, size_t n);

#endif
