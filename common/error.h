/* One-line error messages for host code: functions that can fail on bad input fill a caller's
 * buffer with the reason and return -1; the caller adds the name of the input and prints it. */
#ifndef COMMON_ERROR_H
#define COMMON_ERROR_H

#include <stddef.h>

/* Formats the reason into err (errlen bytes) and returns -1. errno is left as it was. */
int error_set(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
