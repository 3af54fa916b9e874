/* Time reads live here so pure modules can take `now` as input instead. */
#ifndef SW_PROTO_CLOCK_H
#define SW_PROTO_CLOCK_H

#include <stddef.h>
#include <stdint.h>

/* Monotonic milliseconds, for timeouts and durations. */
int64_t sw_clock_mono_ms(void);
/* Wall clock milliseconds since the epoch. */
int64_t sw_clock_wall_ms(void);
/* Formats wall ms as "YYYY-MM-DD HH:MM:SS.mmm" (UTC) into buf (>= 24 bytes). */
void sw_clock_format_utc(int64_t wall_ms, char *buf, size_t cap);
/* Formats wall ms as RFC 3339 "YYYY-MM-DDTHH:MM:SS.mmmZ" (UTC) into buf; a buffer of
 * SW_CLOCK_RFC3339_MAX bytes fits any year the int in struct tm can hold (optimised builds
 * check that with -Wformat-truncation). */
#define SW_CLOCK_RFC3339_MAX 80
void sw_clock_format_rfc3339(int64_t wall_ms, char *buf, size_t cap);
/* Sleeps ms milliseconds (restarts on EINTR unless *stop becomes non-zero; stop may be NULL). */
void sw_clock_sleep_ms(int64_t ms, volatile int *stop);
/* The CLOCK_MONOTONIC time ms milliseconds from now, for pthread_cond_timedwait on a
 * condition variable created with pthread_condattr_setclock(CLOCK_MONOTONIC). */
struct timespec;
void sw_clock_mono_in(int64_t ms, struct timespec *out);

#endif
