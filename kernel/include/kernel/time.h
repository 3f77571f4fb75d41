/* Time since boot and wall-clock time, in nanoseconds. */
#ifndef KERNEL_TIME_H
#define KERNEL_TIME_H

#include <stdint.h>

uint64_t time_monotonic_ns(void);

/* Nanoseconds since 1970, from the toro.realtime= option the tool passes at launch; without it
 * the wall clock starts at 0 at boot. */
uint64_t time_realtime_ns(void);

/* Sets the wall clock: realtime_ns is the time now. */
void time_set_realtime(uint64_t realtime_ns);

#endif
