/* The anchor of the `compat` system-call group (kernel/sys/syscall_groups.h): its handler table.
 * Linking with -u toro_sys_compat pulls in every object that defines one of the group's handlers. */
#include "../syscall_groups.h"

#include <stddef.h>

SYSCALL_GROUP_ANCHOR(COMPAT, compat)
