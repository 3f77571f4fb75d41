/* Time since boot and wall-clock time, in nanoseconds. */
#ifndef KERNEL_TIME_H
#define KERNEL_TIME_H

#include <stdint.h>

#define NSEC_PER_SEC  1000000000ull
#define NSEC_PER_MSEC 1000000ull
#define NSEC_PER_USEC 1000ull
#define USEC_PER_SEC  1000000ull

/* Notes the boot time stamp (boot CPU, first thing). The TSC rate is found on first use. */
void time_boot(void);

uint64_t time_monotonic_ns(void);

/* The TSC value at monotonic time ns. */
uint64_t time_ns_to_tsc(uint64_t ns);

/* Nanoseconds since 1970, from the toro.realtime= option the tool passes at launch; without it
 * the wall clock starts at 0 (1970) at boot. */
uint64_t time_realtime_ns(void);

/* Sets the wall clock: realtime_ns is the time at boot (toro.realtime=, from the host's clock
 * when `toro run` starts the VM). Cheap: does not start the clock. */
void time_set_boot_realtime(uint64_t realtime_ns);

#endif
