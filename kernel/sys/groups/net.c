/* The anchor of the `net` system-call group (kernel/sys/syscall_groups.h): linking with
 * -u toro_sys_net pulls in every object that defines one of the group's handlers. */
#include "../syscall_groups.h"

#include <stddef.h>

const void *const toro_sys_net[] = {SYSCALLS_NET(SYSCALL_GROUP_REF) NULL};
