/* The anchor of the `timer` system-call group (kernel/sys/syscall_groups.h): its handler table.
 * Linking with -u toro_sys_timer pulls in every object that defines one of the group's handlers. */
#include "../syscall_groups.h"

#include <stddef.h>

SYSCALL_GROUP_ANCHOR(TIMER, timer)
