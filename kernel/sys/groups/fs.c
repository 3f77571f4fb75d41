/* The anchor of the `fs` system-call group (kernel/sys/syscall_groups.h): linking with
 * -u toro_sys_fs pulls in every object that defines one of the group's handlers. */
#include "../syscall_groups.h"

#include <stddef.h>

const void *const toro_sys_fs[] = {SYSCALLS_FS(SYSCALL_GROUP_REF) NULL};
