/* The ELF note that says the application was compiled without SSE/x87 (`toro build --no-fpu`
 * links this file with -u toro_image_no_fpu), so monitors on hosts that cannot run FP
 * instructions in the guest's ring 0 know the image is safe for them (DESIGN.md §4). */
#include <toro/abi/image.h>

#define STR(x)  #x
#define XSTR(x) STR(x)

__asm__(".pushsection .note.toro, \"a\"\n"
        ".p2align 2\n"
        ".long 5, 4, " XSTR(TORO_NOTE_FLAGS) "\n"
                                             ".asciz \"Toro\"\n"
                                             ".p2align 2\n"
                                             ".long " XSTR(TORO_IMAGE_NO_FPU) "\n"
                                                                              ".popsection\n");

const int toro_image_no_fpu = 1;
