/* Start of a native application: main(argc, argv) on the application stack; its return value
 * is the exit code. `toro build --native` links this file (-u toro_app_native) and its ELF note. */
#include <kernel/arch.h>
#include <kernel/kernel.h>
#include <kernel/image_note.h>

TORO_IMAGE_NOTE(TORO_NOTE_KIND, TORO_APP_NATIVE);

const int toro_app_native = TORO_APP_NATIVE;

int main(int argc, char **argv);

static void native_main(void *arg)
{
	const struct app_args *a = arg;
	arch_irq_enable();
	kernel_exit(main(a->argc, a->argv));
}

void kernel_app_prepare(void)
{
}

_Noreturn void kernel_app_start(void *stack_top, const struct app_args *args)
{
	arch_call_on_stack(stack_top, native_main, (void *)args);
}
