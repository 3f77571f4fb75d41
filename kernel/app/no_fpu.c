/* The ELF note that says the application was compiled without SSE/x87 (`toro build --no-fpu`
 * links this file with -u toro_image_no_fpu), so monitors on hosts that cannot run FP
 * instructions in the guest's ring 0 know the image is safe for them (docs/design.md §4). */
#include <kernel/image_note.h>

TORO_IMAGE_NOTE(TORO_NOTE_FLAGS, TORO_IMAGE_NO_FPU);

const int toro_image_no_fpu = 1;
