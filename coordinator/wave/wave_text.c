/* Bounded heap formatting for the wave modules' messages (wave_text.h). */
#include "wave/wave_text.h"

#include <stdlib.h>

#include "sw/strbuf.h"

int wave_text_vformat(char **out, struct sw_err *err, const char *fmt, va_list ap)
{
    struct sw_strbuf sb;
    sw_strbuf_init(&sb, WAVE_TEXT_MAX);
    int rc = sw_strbuf_vprintf(&sb, err, fmt, ap);
    if (rc == 0) {
        *out = sw_strbuf_take(&sb);
        rc = *out == NULL ? sw_err_set(err, SW_ENOMEM, "out of memory") : 0;
    }
    sw_strbuf_cleanup(&sb);
    return rc;
}

int wave_text_format(char **out, struct sw_err *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = wave_text_vformat(out, err, fmt, ap);
    va_end(ap);
    return rc;
}

int wave_text_list_add(char ***list, size_t *n, struct sw_err *err, const char *fmt, ...)
{
    char **grown = realloc(*list, (*n + 1) * sizeof *grown);
    if (grown == NULL) {
        return sw_err_set(err, SW_ENOMEM, "out of memory");
    }
    *list = grown;
    va_list ap;
    va_start(ap, fmt);
    int rc = wave_text_vformat(&grown[*n], err, fmt, ap);
    va_end(ap);
    if (rc == 0) {
        (*n)++;
    }
    return rc;
}

void wave_text_list_free(char **list, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(list[i]);
    }
    free(list);
}
