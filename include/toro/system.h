/* Native API: the life of the application. main(argc, argv) is called on the boot CPU with the
 * arguments given after "--" on the kernel command line (`toro run IMAGE -- args`); its return
 * value is the VM's exit code. */
#ifndef TORO_SYSTEM_H
#define TORO_SYSTEM_H

/* Ends the VM with code (0..255) at once; `toro run` exits with the same code. */
_Noreturn void toro_exit(int code);

#endif
