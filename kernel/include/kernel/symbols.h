/* Names for code addresses, from the symbol table embedded in the image. */
#ifndef KERNEL_SYMBOLS_H
#define KERNEL_SYMBOLS_H

#include <stdint.h>

/* Returns the name of the function containing addr and its offset, or NULL if none does. */
const char *symbols_lookup(uintptr_t addr, uintptr_t *offset);

/* Prints "  #n 0xaddr name+0xoff" lines for the frame-pointer chain starting at rbp. */
void backtrace_print(uintptr_t rip, uintptr_t rbp);

#endif
