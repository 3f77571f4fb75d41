/* The ELF note (owner "Toro", one 32-bit word) an archive member adds to every image it is
 * linked into: the application kind and the image flags (include/toro/abi/image.h). */
#ifndef KERNEL_IMAGE_NOTE_H
#define KERNEL_IMAGE_NOTE_H

#include <toro/abi/image.h>

#define TORO_NOTE_STR_(x) #x
#define TORO_NOTE_STR(x)  TORO_NOTE_STR_(x)

/* At file scope: a note of the given type whose descriptor is value. */
#define TORO_IMAGE_NOTE(type, value)                                                           \
	__asm__(".pushsection .note.toro, \"a\"\n"                                             \
	        ".p2align 2\n"                                                                 \
	        ".long 5, 4, " TORO_NOTE_STR(type) "\n"                                        \
	        ".asciz \"" TORO_NOTE_NAME "\"\n"                                              \
	        ".p2align 2\n"                                                                 \
	        ".long " TORO_NOTE_STR(value) "\n"                                             \
	        ".popsection\n")

#endif
